/* The local back end's permission checks: ACCESS, and the rules that let
 * an owner or an executing client through where the mode bits alone would
 * not (as Linux nfsd does). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/siphash.h"

#include "backend/local/local_internal.h"

/* access(2) asked of the object itself under the caller's identity: the
 * kernel's own answer (mode bits, ACLs, read-only mounts, immutable files,
 * root needing an x bit to execute).  AT_EACCESS makes faccessat2 use the
 * thread's fsuid/fsgid rather than the real ids; the raw system call is
 * used because glibc's fallback would compute the answer itself. */
static int local_access_check(int pfd, int mode)
{
	if (syscall(SYS_faccessat2, pfd, "", mode, AT_EACCESS | AT_EMPTY_PATH) == 0)
		return 0;
	return -errno;
}

static bool local_access_denied(int r)
{
	return r == -EACCES || r == -EPERM || r == -EROFS || r == -ETXTBSY;
}

int local_access(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *h, uint32_t want, uint32_t *granted)
{
	static const struct {
		uint32_t bit;
		int mode;
	} bits[] = {
		{ BACKEND_ACCESS_READ, R_OK },
		{ BACKEND_ACCESS_WRITE, W_OK },
		{ BACKEND_ACCESS_EXEC, X_OK },
	};
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	*granted = 0;
	r = local_cred_enter(cred);
	for (unsigned i = 0; r == 0 && i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(want & bits[i].bit))
			continue;
		r = local_access_check(f->pfd, bits[i].mode);
		if (r == 0)
			*granted |= bits[i].bit;
		else if (local_access_denied(r))
			r = 0;
	}
	local_fd_put(ex, f);
	return r;
}

/* NFS clients open a file once and then read and write it through the
 * server with each call checked anew, so Linux nfsd lets the owner read and
 * write regardless of the mode bits ("owner override"): a process that
 * creates a file 0444 and writes to it (cp -p, tar, git objects) must keep
 * working.  The owner could chmod the file anyway, so nothing is given
 * away.  We do the same for read, write and truncate. */
bool local_is_owner(int pfd, const struct backend_cred *cred)
{
	struct statx stx;

	return local_statx(pfd, &stx) == 0 && stx.stx_uid == cred->uid;
}

/* Linux nfsd lets READ through when the file may be executed: a client
 * runs a 0711 program by reading it. */
int local_may_read(struct local_fd *f, const struct backend_cred *cred)
{
	int r = local_access_check(f->pfd, R_OK);

	if (r == -EACCES)
		r = local_access_check(f->pfd, X_OK);
	if (r == -EACCES && local_is_owner(f->pfd, cred))
		r = 0;
	return r;
}

/* Why a digest: a READ on the event loop comes with the file's attributes,
 * read moments before by the same operation.  The kernel's answer depends
 * on the caller (uid, gid, groups) and on the file's owner, group, mode and
 * ACL; an ACL change (like every chmod, chown or xattr change) moves the
 * ctime, which is the local back end's change attribute.  So while the
 * same caller asks about a file whose attributes still digest the same, the
 * answer is the one the kernel gave before, and the system call is spared.
 * Reads do not move the ctime, so a file read again and again keeps its
 * digest; a write moves it, and the next READ asks the kernel again.  The
 * digest is keyed with a secret of this process (siphash), so no caller
 * can make two different situations digest the same. */
static struct siphash_key access_key;
static pthread_once_t access_key_once = PTHREAD_ONCE_INIT;

static void access_key_init(void)
{
	if (getrandom(&access_key, sizeof(access_key), 0) != (ssize_t)sizeof(access_key)) {
		/* Never 0 (the empty memo) and never reused: no memo is made. */
		access_key.k0 = access_key.k1 = 0;
	}
}

/* What a memo is the digest of: the caller, and what the answer depends
 * on (a read: the object as seen and the access asked; a write: the
 * ticket), the fields of the other kind zero. */
struct access_memo {
	uint64_t fileid, change, ticket;
	uint32_t mode, uid, gid, want, cuid, cgid, ngids;
	uint32_t gids[BACKEND_MAX_GIDS];
};

/* The digest of in, with cred's identity filled in first; 0 when no memo
 * may be made. */
static uint64_t access_memo_digest(const struct backend_cred *cred, struct access_memo *in)
{
	uint32_t ngids = cred->ngids < BACKEND_MAX_GIDS ? cred->ngids : BACKEND_MAX_GIDS;
	in->cuid = cred->uid;
	in->cgid = cred->gid;
	in->ngids = ngids;
	memcpy(in->gids, cred->gids, ngids * sizeof(in->gids[0]));
	pthread_once(&access_key_once, access_key_init);
	if (access_key.k0 == 0 && access_key.k1 == 0)
		return 0;
	uint64_t d = siphash24(&access_key, in,
			       offsetof(struct access_memo, gids) + ngids * sizeof(in->gids[0]));
	return d ? d : 1;
}

static uint64_t access_digest(const struct backend_cred *cred, const struct backend_attr *seen,
			      int mode)
{
	struct access_memo in;
	memset(&in, 0, sizeof(in));
	in.fileid = seen->fileid;
	in.change = seen->change;
	in.mode = seen->mode;
	in.uid = seen->uid;
	in.gid = seen->gid;
	in.want = (uint32_t)mode;
	return access_memo_digest(cred, &in);
}

/* check's answer for f and cred, or 0 at once when memo holds digest d
 * (a check passed for the same caller and state); a pass is remembered.
 * d 0: nothing to remember by. */
static int access_memo_check(_Atomic uint64_t *memo, uint64_t d,
			     int (*check)(struct local_fd *f, const struct backend_cred *cred),
			     struct local_fd *f, const struct backend_cred *cred)
{
	if (d && d == atomic_load_explicit(memo, memory_order_relaxed))
		return 0;
	int r = check(f, cred);
	if (r == 0 && d)
		atomic_store_explicit(memo, d, memory_order_relaxed);
	return r;
}

int local_may_read_seen(struct local_fd *f, const struct backend_cred *cred,
			const struct backend_attr *seen)
{
	if (!seen)
		return local_may_read(f, cred);
	return access_memo_check(&f->read_ok, access_digest(cred, seen, R_OK), local_may_read, f,
				 cred);
}

/* As open(O_WRONLY) would judge it, with the owner override of
 * local_open_write. */
int local_may_write(struct local_fd *f, const struct backend_cred *cred)
{
	int r = local_access_check(f->pfd, W_OK);

	if (r == -EACCES && local_is_owner(f->pfd, cred))
		r = 0;
	return r;
}

/* The caller and the ticket in one value, so that a memo is never the
 * half of one. */
static uint64_t write_digest(const struct backend_cred *cred, uint64_t ticket)
{
	struct access_memo in;
	memset(&in, 0, sizeof(in));
	in.ticket = ticket;
	return access_memo_digest(cred, &in);
}

int local_may_write_held(struct local_export *ex, struct local_fd *f,
			 const struct backend_cred *cred)
{
	uint64_t ticket, d = 0;

	if (local_attrcache_quiet_ticket(ex, f, &ticket))
		d = write_digest(cred, ticket);
	return access_memo_check(&f->write_ok, d, local_may_write, f, cred);
}
