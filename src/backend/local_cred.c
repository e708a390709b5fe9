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
 * Leaving fsuid 0 drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
 * CAP_CHOWN and CAP_FSETID from the thread's effective set (and returning
 * to 0 raises them again): that is what makes the checks bite, and why
 * open_by_handle_at, which needs CAP_DAC_READ_SEARCH, runs with fsuid 0
 * (local_cred_privileged).  It only works from uid 0: a non-root process
 * keeping capabilities would keep them under any fsuid, so export_open
 * refuses to run otherwise.
 *
 * The thread also gets its own fs_struct (unshare(CLONE_FS)) with umask 0:
 * the NFS client has applied the user's umask to the mode it sends, and
 * the server must not narrow it again; the process's other threads keep
 * theirs. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/local_internal.h"

enum { LOCAL_SAVED_GROUPS = 64 };

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

static int local_cred_setup(void)
{
	struct local_identity *id = &local_id;
	long n;

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
	id->ready = true;
	return 0;
}

static int local_cred_set_uid(uint32_t uid)
{
	syscall(SYS_setfsuid, uid);
	if (local_fsuid_now() != uid)
		return -EPERM;
	local_id.uid = uid;
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
	if (!id->groups_known || id->ngids != cred->ngids ||
	    memcmp(id->gids, cred->gids, cred->ngids * sizeof(cred->gids[0])) != 0) {
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

int local_cred_privileged(void)
{
	int r = local_cred_setup();

	if (r != 0)
		return r;
	return local_id.uid == 0 ? 0 : local_cred_set_uid(0);
}

void backend_local_restore_identity(void)
{
	struct local_identity *id = &local_id;

	if (!id->ready)
		return;
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
}
