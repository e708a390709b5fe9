/* The local back end's attributes: statx to struct backend_attr, GETATTR,
 * SETATTR and the file system's figures (statfs). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

int local_statx(int fd, struct statx *stx)
{
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  STATX_BASIC_STATS | STATX_BTIME, stx) != 0)
		return -errno;
	return 0;
}

static struct timespec local_ts(const struct statx_timestamp *t)
{
	return (struct timespec){ .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };
}

void local_attr_fill(const struct statx *stx, struct backend_attr *attr)
{
	BACKEND_ATTR_FROM_STATX(attr, stx);
	/* The change attribute is the ctime in nanoseconds: the kernel sets it
	 * on every data and metadata change, including those made by host
	 * processes, and it survives restarts.  Since Linux 6.13 ext4, xfs,
	 * btrfs and tmpfs use multigrain timestamps: once a ctime has been
	 * read, the next change gets a fine-grained one, so two changes
	 * around an observation never share a value.  (The kernel's i_version
	 * change cookie would be better but is not exported by statx.) */
	attr->change = (uint64_t)stx->stx_ctime.tv_sec * 1000000000u + stx->stx_ctime.tv_nsec;
	attr->rdev_major = stx->stx_rdev_major;
	attr->rdev_minor = stx->stx_rdev_minor;
	attr->atime = local_ts(&stx->stx_atime);
	attr->mtime = local_ts(&stx->stx_mtime);
	attr->ctime = local_ts(&stx->stx_ctime);
	if (stx->stx_mask & STATX_BTIME)
		attr->btime = local_ts(&stx->stx_btime);
}

int local_getattr(struct backend_export *bex, const struct backend_handle *h,
		  struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct statx stx;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	r = local_statx(f->pfd, &stx);
	if (r == 0 && stx.stx_nlink == 0) {
		/* Removed (on the host, or through another name) while cached. */
		local_fd_forget(ex, f->ino);
		r = -ESTALE;
	}
	if (r == 0)
		local_attr_fill(&stx, attr);
	local_fd_put(ex, f);
	return r;
}

int local_object_type(struct backend_export *bex, const struct backend_handle *h,
		      enum backend_ftype *type)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct statx stx;
	uint64_t ticket = 0;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	/* Found linked since, with no change of its link count after (the
	 * ticket of a held file moves with every one). */
	if (local_attrcache_quiet_ticket(ex, f, &ticket) &&
	    ticket == atomic_load_explicit(&f->linked_at, memory_order_relaxed)) {
		*type = backend_ftype_of_mode(f->fmt);
		local_fd_put(ex, f);
		return 0;
	}
	/* The link count alone, as getattr checks it: a file removed on the
	 * host is stale here too.  Asking for no timestamp matters: a statx
	 * that reads the ctime makes the kernel give the file's next write a
	 * fine-grained one (multigrain timestamps), which dirties the inode
	 * on every write. */
	if (statx(f->pfd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_NLINK, &stx) != 0) {
		r = -errno;
	} else if (stx.stx_nlink == 0) {
		local_fd_forget(ex, f->ino);
		r = -ESTALE;
	} else {
		*type = backend_ftype_of_mode(f->fmt);
		if (ticket)
			atomic_store_explicit(&f->linked_at, ticket, memory_order_relaxed);
	}
	local_fd_put(ex, f);
	return r;
}

static int local_chmod(int pfd, uint32_t mode)
{
	char path[LOCAL_PROC_FD_PATH];

	if (syscall(SYS_fchmodat2, pfd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	local_proc_path(path, pfd); /* kernels before 6.6 */
	return fchmodat(AT_FDCWD, path, mode, 0) == 0 ? 0 : -errno;
}

static struct timespec local_time_arg(const struct backend_setattr *sa, uint32_t set,
				      uint32_t now, const struct timespec *t)
{
	if (sa->mask & now)
		return (struct timespec){ .tv_nsec = UTIME_NOW };
	if (sa->mask & set)
		return *t;
	return (struct timespec){ .tv_nsec = UTIME_OMIT };
}

/* Size first, then owner, mode (after chown, which clears set-id bits) and
 * times last (truncation sets mtime).  Not atomic: a failure leaves the
 * earlier changes made, as a sequence of system calls would. */
int local_setattr_apply(struct local_export *ex, const struct backend_cred *cred,
			struct local_fd *f, const struct backend_setattr *sa)
{
	uint32_t m = sa->mask;
	int r;

	(void)ex;
	if (m & BACKEND_SET_SIZE) {
		int wfd;

		r = local_data_type(f);
		if (r != 0)
			return r;
		if (sa->size > INT64_MAX)
			return -EFBIG;
		wfd = local_open_write(cred, f);
		if (wfd < 0)
			return wfd;
		r = ftruncate(wfd, (off_t)sa->size) == 0 ? 0 : -errno;
		close(wfd);
		if (r != 0)
			return r;
	}
	if (m & (BACKEND_SET_UID | BACKEND_SET_GID)) {
		uid_t uid = m & BACKEND_SET_UID ? (uid_t)sa->uid : (uid_t)-1;
		gid_t gid = m & BACKEND_SET_GID ? (gid_t)sa->gid : (gid_t)-1;

		if (fchownat(f->pfd, "", uid, gid, AT_EMPTY_PATH) != 0)
			return -errno;
	}
	/* A symbolic link's mode means nothing on Linux; nfsd ignores it too. */
	if ((m & BACKEND_SET_MODE) && f->fmt != S_IFLNK) {
		r = local_chmod(f->pfd, sa->mode & 07777);
		if (r != 0)
			return r;
	}
	if (m & (BACKEND_SET_ATIME | BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME |
		 BACKEND_SET_MTIME_NOW)) {
		struct timespec ts[2] = {
			local_time_arg(sa, BACKEND_SET_ATIME, BACKEND_SET_ATIME_NOW, &sa->atime),
			local_time_arg(sa, BACKEND_SET_MTIME, BACKEND_SET_MTIME_NOW, &sa->mtime),
		};

		if (utimensat(f->pfd, "", ts, AT_EMPTY_PATH) != 0)
			return -errno;
	}
	return 0;
}

int local_setattr_handle(struct local_export *ex, const struct backend_cred *cred,
			 const struct backend_handle *h, const struct backend_setattr *sa,
			 struct backend_attr *attr)
{
	struct local_fd *f;
	struct statx stx;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	r = local_cred_enter(cred); /* a cache miss above runs privileged */
	if (r == 0) {
		r = local_setattr_apply(ex, cred, f, sa);
		local_attrcache_forget(ex, &f->handle); /* part may be applied on failure */
	}
	if (r == 0 && attr) {
		r = local_statx(f->pfd, &stx);
		if (r == 0)
			local_attr_fill(&stx, attr);
	}
	local_fd_put(ex, f);
	return r;
}

int local_setattr(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *h, const struct backend_setattr *sa,
		  struct backend_attr *attr)
{
	return local_setattr_handle(local_export_of(bex), cred, h, sa, attr);
}

int local_statfs(struct backend_export *bex, const struct backend_handle *h,
		 struct backend_fsstat *out)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct statvfs sv;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	if (fstatvfs(f->pfd, &sv) != 0) {
		r = -errno;
	} else {
		backend_fsstat_from_statvfs(&sv, out);
		out->name_max = (uint32_t)sv.f_namemax;
		out->link_max = ex->link_max;
		out->xattrs = ex->xattrs;
		out->acls = ex->acls;
		/* FICLONERANGE wants the file system's block size. */
		out->clone_blksize = (uint32_t)sv.f_bsize;
		out->change_kind = BACKEND_CHANGE_CTIME; /* local_attr_fill */
	}
	local_fd_put(ex, f);
	return r;
}
