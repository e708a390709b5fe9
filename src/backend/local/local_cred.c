/* The calling thread's file-system identity.
 *
 * Permission checks are the kernel's: before a call that takes a cred, the
 * thread's fsuid, fsgid and supplementary groups become the caller's, so
 * every open, create, unlink, chmod, utimes... is judged exactly as for a
 * local process of that user (mode bits, POSIX ACLs, sticky directories,
 * protected_hardlinks, read-only mounts, immutable files).
 *
 * Linux keeps credentials per thread.  We call the raw system calls because
 * glibc's setgroups() (like its setuid family) applies the change to every
 * thread of the process, which would mix the identities of requests served
 * in parallel.
 *
 * A change costs about 1.3 us here (prepare_creds, commit_creds, RCU), as
 * much as a whole GETATTR, so the identity is remembered per thread and left
 * in place after a call: repeated calls by the same user cost no system
 * call.  backend_local_restore_identity() gives it back for code that opens
 * host files for itself on a thread that also serves calls.
 *
 * Capabilities are per thread too, and the kernel's own fsuid rule (leaving
 * fsuid 0 drops the file-system ones: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
 * CAP_FOWNER, CAP_CHOWN, CAP_FSETID, CAP_MKNOD) leaves the rest in force:
 * CAP_SYS_ADMIN, CAP_SYS_RESOURCE (quotas, reserved blocks), CAP_SETUID...
 * So the thread's effective set is set explicitly (libcap, capset on this
 * thread only), the permitted set staying whole:
 *   acting for a user     only what the identity switch needs: CAP_SETUID
 *                         and CAP_SETGID (setfsuid, setfsgid, setgroups to
 *                         the next caller), which no file operation checks;
 *   acting for root       those and the file-system capabilities (squash =
 *                         none: the client's root is root on the export);
 *   the server's own work (local_cred_privileged: fsuid 0; open_by_handle_at
 *                         needs CAP_DAC_READ_SEARCH, the shared descriptors
 *                         are opened whoever asks first, leases need
 *                         CAP_LEASE) those, and the switch's two;
 *   after backend_local_restore_identity  what the thread had.
 * A capset costs about as much as an identity change (a commit_creds), so
 * one is made only when the set must change: keeping the switch's two in
 * every set lets a thread go from one user to another with no capset at
 * all (measured on the shared 2-core machine, best of 8 runs of 200000
 * access calls alternating two users: 6.8 us a call before capabilities
 * were managed, 11.2 with the two dropped after each switch, 6.9 kept); a
 * change to or from fsuid 0 makes the
 * kernel move the file-system capabilities, and one capset sets them
 * right.  All of this needs uid 0 (a non-root process would keep its
 * capabilities under any fsuid), so export_open refuses to run otherwise.
 *
 * The thread also gets its own fs_struct (unshare(CLONE_FS)) with umask 0:
 * the NFS client has applied the user's umask to the mode it sends, and
 * the server must not narrow it again; the process's other threads keep
 * theirs. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum { LOCAL_SAVED_GROUPS = 64 };

/* The thread's effective capability sets (see above). */
enum local_caps {
	LOCAL_CAPS_SAVED = 0, /* what the thread had: the server's own */
	LOCAL_CAPS_USER,
	LOCAL_CAPS_ROOT,
	LOCAL_CAPS_SWITCH, /* for a thread whose set in force lacks the switch's two */
	LOCAL_CAPS_PRIVILEGED,
	LOCAL_CAPS_COUNT,
	LOCAL_CAPS_UNKNOWN = LOCAL_CAPS_COUNT, /* after a fsuid change */
};

static const cap_value_t local_caps_root[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
					      CAP_FOWNER, CAP_FSETID,	    CAP_MKNOD,
					      CAP_SETUID, CAP_SETGID};
static const cap_value_t local_caps_switch[] = {CAP_SETUID, CAP_SETGID};
static const cap_value_t local_caps_privileged[] = {CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE,
						    CAP_LEASE, CAP_SETUID, CAP_SETGID};

struct local_identity {
	bool ready;      /* thread set up: own fs_struct, saved identity */
	bool umask_zero; /* the umask in force is 0 */
	bool groups_known;
	uint32_t uid, gid, ngids;
	uint32_t gids[BACKEND_MAX_GIDS];
	/* What the thread had before its first back-end call. */
	uint32_t saved_uid, saved_gid;
	int saved_ngroups; /* -1: more than we could save */
	gid_t saved_groups[LOCAL_SAVED_GROUPS];
	mode_t saved_umask;
	cap_t caps[LOCAL_CAPS_COUNT]; /* made at set-up; freed when the thread ends */
	enum local_caps caps_now;
	bool saved_can_switch; /* caps[SAVED] has CAP_SETUID and CAP_SETGID effective */
};

static _Thread_local struct local_identity local_id;

/* setfsuid and setfsgid report the previous id, never an error; asking for
 * an invalid id (-1) changes nothing and tells the current one. */
static uint32_t local_fsuid_now(void)
{
	return (uint32_t)syscall(SYS_setfsuid, -1);
}

static uint32_t local_fsgid_now(void)
{
	return (uint32_t)syscall(SYS_setfsgid, -1);
}

/* saved with its effective set replaced by those of list[0..n) that are
 * permitted. */
static cap_t local_caps_make(cap_t saved, const cap_value_t *list, size_t n)
{
	cap_t c = cap_dup(saved);

	if (!c || cap_clear_flag(c, CAP_EFFECTIVE) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		cap_flag_value_t permitted = CAP_CLEAR;

		if (cap_get_flag(saved, list[i], CAP_PERMITTED, &permitted) != 0)
			goto fail;
		if (permitted == CAP_SET && cap_set_flag(c, CAP_EFFECTIVE, 1, &list[i], CAP_SET) != 0)
			goto fail;
	}
	return c;
fail:
	cap_free(c);
	return NULL;
}

/* The sets are the thread's: freed when it ends. */
static pthread_key_t local_caps_key;
static pthread_once_t local_caps_key_once = PTHREAD_ONCE_INIT;

static void local_caps_free(void *arg)
{
	struct local_identity *id = arg;

	for (int k = 0; k < LOCAL_CAPS_COUNT; k++) {
		cap_free(id->caps[k]);
		id->caps[k] = NULL;
	}
}

static void local_caps_key_make(void)
{
	pthread_key_create(&local_caps_key, local_caps_free);
}

static int local_caps_setup(struct local_identity *id)
{
	if (pthread_once(&local_caps_key_once, local_caps_key_make) != 0)
		return -EAGAIN;
	cap_t saved = cap_get_proc(); /* this thread's */

	if (!saved)
		return -errno;
	id->caps[LOCAL_CAPS_SAVED] = saved;
	id->caps[LOCAL_CAPS_USER] = local_caps_make(
		saved, local_caps_switch, sizeof(local_caps_switch) / sizeof(local_caps_switch[0]));
	id->caps[LOCAL_CAPS_ROOT] = local_caps_make(saved, local_caps_root,
						    sizeof(local_caps_root) / sizeof(local_caps_root[0]));
	id->caps[LOCAL_CAPS_SWITCH] = local_caps_make(
		saved, local_caps_switch, sizeof(local_caps_switch) / sizeof(local_caps_switch[0]));
	id->caps[LOCAL_CAPS_PRIVILEGED] =
		local_caps_make(saved, local_caps_privileged,
				sizeof(local_caps_privileged) / sizeof(local_caps_privileged[0]));
	for (int i = 0; i < LOCAL_CAPS_COUNT; i++) {
		if (!id->caps[i]) {
			local_caps_free(id);
			return -ENOMEM;
		}
	}
	if (pthread_setspecific(local_caps_key, id) != 0) {
		local_caps_free(id);
		return -ENOMEM;
	}
	id->caps_now = LOCAL_CAPS_SAVED;
	cap_flag_value_t setuid = CAP_CLEAR, setgid = CAP_CLEAR;
	id->saved_can_switch = cap_get_flag(saved, CAP_SETUID, CAP_EFFECTIVE, &setuid) == 0 &&
			       cap_get_flag(saved, CAP_SETGID, CAP_EFFECTIVE, &setgid) == 0 &&
			       setuid == CAP_SET && setgid == CAP_SET;
	return 0;
}

/* Makes want the thread's effective set, unless it is already. */
static int local_caps_use(enum local_caps want)
{
	struct local_identity *id = &local_id;

	if (id->caps_now == want)
		return 0;
	if (cap_set_proc(id->caps[want]) != 0) {
		id->caps_now = LOCAL_CAPS_UNKNOWN;
		return -errno;
	}
	id->caps_now = want;
	return 0;
}

/* Whether the set in force may change the thread's ids.  The saved set is
 * whatever the thread was created with (a thread made by one acting for a
 * user has less). */
static bool local_caps_can_switch(void)
{
	enum local_caps now = local_id.caps_now;

	return (now != LOCAL_CAPS_SAVED && now != LOCAL_CAPS_UNKNOWN) ||
	       (now == LOCAL_CAPS_SAVED && local_id.saved_can_switch);
}

static int local_cred_setup(void)
{
	struct local_identity *id = &local_id;
	long n;
	int r;

	if (id->ready)
		return 0;
	if (unshare(CLONE_FS) != 0)
		return -errno;
	id->saved_uid = id->uid = local_fsuid_now();
	id->saved_gid = id->gid = local_fsgid_now();
	n = syscall(SYS_getgroups, LOCAL_SAVED_GROUPS, id->saved_groups);
	id->saved_ngroups = n < 0 ? -1 : (int)n;
	id->saved_umask = umask(0);
	id->umask_zero = true;
	id->groups_known = false;
	r = local_caps_setup(id);
	if (r != 0)
		return r;
	id->ready = true;
	return 0;
}

static int local_cred_set_uid(uint32_t uid)
{
	syscall(SYS_setfsuid, uid);
	/* The kernel drops or raises the file-system capabilities with a
	 * change from or to fsuid 0 (and touches nothing otherwise). */
	if ((local_id.uid == 0) != (uid == 0))
		local_id.caps_now = LOCAL_CAPS_UNKNOWN;
	if (local_fsuid_now() != uid)
		return -EPERM;
	local_id.uid = uid;
	return 0;
}

/* Makes the thread's ids cred's, with the capabilities that takes. */
static int local_cred_switch(const struct backend_cred *cred)
{
	struct local_identity *id = &local_id;
	bool groups = !id->groups_known || id->ngids != cred->ngids ||
		      memcmp(id->gids, cred->gids, cred->ngids * sizeof(cred->gids[0])) != 0;
	int r;

	if (!groups && id->gid == cred->gid && id->uid == cred->uid)
		return 0;
	if (!local_caps_can_switch() && (r = local_caps_use(LOCAL_CAPS_SWITCH)) != 0)
		return r;
	if (groups) {
		gid_t gids[BACKEND_MAX_GIDS];

		for (uint32_t i = 0; i < cred->ngids; i++)
			gids[i] = cred->gids[i];
		id->groups_known = false;
		if (syscall(SYS_setgroups, (size_t)cred->ngids, gids) != 0)
			return -errno;
		memcpy(id->gids, cred->gids, cred->ngids * sizeof(cred->gids[0]));
		id->ngids = cred->ngids;
		id->groups_known = true;
	}
	if (id->gid != cred->gid) {
		syscall(SYS_setfsgid, cred->gid);
		if (local_fsgid_now() != cred->gid)
			return -EPERM;
		id->gid = cred->gid;
	}
	if (id->uid != cred->uid)
		return local_cred_set_uid(cred->uid);
	return 0;
}

int local_cred_enter(const struct backend_cred *cred)
{
	struct local_identity *id = &local_id;
	int r = local_cred_setup();

	if (r != 0)
		return r;
	if (cred->ngids > BACKEND_MAX_GIDS || cred->uid == UINT32_MAX || cred->gid == UINT32_MAX)
		return -EINVAL;
	if (!id->umask_zero) {
		umask(0);
		id->umask_zero = true;
	}
	r = local_cred_switch(cred);
	if (r != 0)
		return r;
	return local_caps_use(cred->uid == 0 ? LOCAL_CAPS_ROOT : LOCAL_CAPS_USER);
}

int local_cred_privileged(void)
{
	int r = local_cred_setup();

	if (r != 0)
		return r;
	if (local_id.uid != 0) {
		if (!local_caps_can_switch() && (r = local_caps_use(LOCAL_CAPS_SWITCH)) != 0)
			return r;
		if ((r = local_cred_set_uid(0)) != 0)
			return r;
	}
	return local_caps_use(LOCAL_CAPS_PRIVILEGED);
}

void backend_local_restore_identity(void)
{
	struct local_identity *id = &local_id;

	if (!id->ready)
		return;
	/* The switch back needs CAP_SETUID and CAP_SETGID. */
	if (!local_caps_can_switch())
		local_caps_use(LOCAL_CAPS_SWITCH);
	if (id->saved_ngroups >= 0) {
		syscall(SYS_setgroups, (size_t)id->saved_ngroups, id->saved_groups);
		id->groups_known = false;
	}
	if (id->gid != id->saved_gid) {
		syscall(SYS_setfsgid, id->saved_gid);
		id->gid = local_fsgid_now();
	}
	if (id->uid != id->saved_uid) {
		syscall(SYS_setfsuid, id->saved_uid);
		id->uid = local_fsuid_now();
	}
	if (id->umask_zero) {
		umask(id->saved_umask);
		id->umask_zero = false;
	}
	/* A change of fsuid above moved the file-system capabilities. */
	local_caps_use(LOCAL_CAPS_SAVED);
}
