/* The local back end: a directory of this host.
 *
 * Objects are named by kernel file handles and reached through a cache of
 * O_PATH descriptors (local_fd.c); permission checks are the kernel's, made
 * under the caller's fsuid/fsgid/groups (local_cred.c); name operations
 * live in local_dir.c.  Nothing here walks a path: every call works from a
 * descriptor on one name component, without following symbolic links, so
 * no name a client sends can lead outside the export.
 *
 * Requirements, checked by export_open: ferryd runs as root (uid 0, with
 * CAP_DAC_READ_SEARCH for open_by_handle_at), and the exported file system
 * supports export handles (ext4, xfs, btrfs, tmpfs... but not /proc or most
 * FUSE file systems).  Persistent handles are the documented choice: a
 * table of our own would have to follow renames made on the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/local_internal.h"
#include "core/log.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

enum { LOCAL_MAX_DEPTH = 4096 };

void local_proc_path(char buf[LOCAL_PROC_FD_PATH], int fd)
{
	snprintf(buf, LOCAL_PROC_FD_PATH, "/proc/self/fd/%d", fd);
}

int local_statx(int fd, struct statx *stx)
{
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  STATX_BASIC_STATS | STATX_BTIME, stx) != 0)
		return -errno;
	return 0;
}

static enum backend_ftype local_ftype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return BACKEND_DIR;
	case S_IFBLK:
		return BACKEND_BLK;
	case S_IFCHR:
		return BACKEND_CHR;
	case S_IFLNK:
		return BACKEND_LNK;
	case S_IFSOCK:
		return BACKEND_SOCK;
	case S_IFIFO:
		return BACKEND_FIFO;
	default:
		return BACKEND_REG;
	}
}

static struct timespec local_ts(const struct statx_timestamp *t)
{
	return (struct timespec){ .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };
}

void local_attr_fill(const struct statx *stx, struct backend_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->type = local_ftype(stx->stx_mode);
	attr->mode = stx->stx_mode & 07777;
	attr->nlink = stx->stx_nlink;
	attr->uid = stx->stx_uid;
	attr->gid = stx->stx_gid;
	attr->size = stx->stx_size;
	attr->space_used = stx->stx_blocks * 512;
	attr->fileid = stx->stx_ino;
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

int local_open_child(int dirfd, const char *name)
{
	/* O_PATH|O_NOFOLLOW returns a trailing symbolic link itself even with
	 * RESOLVE_NO_SYMLINKS; RESOLVE_NO_XDEV refuses a mount point, whose
	 * objects our handles could not name (EXDEV). */
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int local_identify(struct local_export *ex, int pfd, struct backend_handle *out,
		   struct statx *stx)
{
	int r = local_statx(pfd, stx);

	if (r != 0)
		return r;
	if (makedev(stx->stx_dev_major, stx->stx_dev_minor) != ex->dev)
		return -EXDEV;
	return local_handle_make(pfd, "", AT_EMPTY_PATH, out, NULL);
}

int local_describe(struct local_export *ex, int pfd, struct backend_handle *out,
		   struct backend_attr *attr)
{
	struct statx stx;
	int r = local_identify(ex, pfd, out, &stx);

	if (r != 0)
		return r;
	if (attr)
		local_attr_fill(&stx, attr);
	local_fd_adopt(ex, out, pfd, &stx);
	return 0;
}

/* ---- export ---- */

static void local_export_free(struct local_export *ex)
{
	if (ex->root_ent)
		local_fd_cache_destroy(ex);
	if (ex->root_fd >= 0)
		close(ex->root_fd);
	free(ex);
}

static int local_export_open(const char *path, const char *state_dir, struct backend_export **out)
{
	struct local_export *ex;
	struct statx stx;
	long link_max;
	int r;

	if (geteuid() != 0) {
		log_error("local back end: %s: ferryd must run as root: it checks permissions by "
			  "switching each thread's fsuid, which only drops the capabilities that "
			  "bypass them when leaving uid 0",
			  path);
		return -EPERM;
	}
	r = local_cred_privileged();
	if (r != 0)
		return r;
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	snprintf(ex->path, sizeof(ex->path), "%s", path);
	ex->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ex->root_fd < 0) {
		r = -errno;
		log_error("local back end: cannot open export directory %s: %s", path, strerror(-r));
		goto fail;
	}
	r = local_statx(ex->root_fd, &stx);
	if (r != 0)
		goto fail;
	ex->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	ex->root_ino = stx.stx_ino;

	r = local_handle_make(ex->root_fd, "", AT_EMPTY_PATH, &ex->root, &ex->mount_id);
	if (r == -EOPNOTSUPP || r == -EOVERFLOW) {
		log_error("local back end: %s: the file system cannot make persistent file handles "
			  "that fit %d bytes (it needs export support: ext4, xfs, btrfs, tmpfs...)",
			  path, BACKEND_HANDLE_MAX);
		goto fail;
	}
	if (r != 0) {
		log_error("local back end: %s: name_to_handle_at: %s", path, strerror(-r));
		goto fail;
	}
	r = local_fd_cache_init(ex);
	if (r == -EPERM) {
		log_error("local back end: %s: open_by_handle_at refused: ferryd needs "
			  "CAP_DAC_READ_SEARCH (run it as root)",
			  path);
		goto fail;
	}
	if (r != 0) {
		log_error("local back end: %s: cannot open the root by handle: %s", path,
			  strerror(-r));
		goto fail;
	}
	link_max = fpathconf(ex->root_fd, _PC_LINK_MAX);
	ex->link_max = link_max > 0 && link_max < UINT32_MAX ? (uint32_t)link_max : 65000;
	(void)state_dir; /* handles are the kernel's: nothing to keep */
	*out = (struct backend_export *)ex;
	return 0;
fail:
	local_export_free(ex);
	return r;
}

static void local_export_close(struct backend_export *bex)
{
	if (bex)
		local_export_free(local_export_of(bex));
}

static int local_root(struct backend_export *bex, struct backend_handle *out)
{
	*out = local_export_of(bex)->root;
	return 0;
}

/* ---- attributes and names ---- */

static int local_getattr(struct backend_export *bex, const struct backend_handle *h,
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

/* Handle and attributes of dirfd/name when the object is in the cache:
 * name_to_handle_at on the name, then statx of the cached descriptor, so
 * handle and attributes describe the same inode (two calls, no open).  The
 * handle's walk is the permission check: it needs search permission on the
 * directory under the caller's identity.  1: not cached. */
static int local_lookup_cached(struct local_export *ex, int dirfd, const char *name,
			       struct backend_handle *out, struct backend_attr *attr)
{
	struct local_fd *f;
	struct statx stx;
	int r = local_handle_child(ex, dirfd, name, out);

	/* A mount point of a file system without handles: the open below
	 * gives the answer (EXDEV). */
	if (r == -EOPNOTSUPP || r == -EOVERFLOW)
		return 1;
	if (r != 0)
		return r;
	f = local_fd_cached(ex, out);
	if (!f)
		return 1;
	r = local_statx(f->pfd, &stx);
	/* nlink 0: the name went away since the handle was made. */
	if (r == 0 && stx.stx_nlink == 0)
		r = 1;
	if (r == 0 && attr)
		local_attr_fill(&stx, attr);
	local_fd_put(ex, f);
	return r;
}

static int local_lookup(struct backend_export *bex, const struct backend_cred *cred,
			const struct backend_handle *dir, const char *name,
			struct backend_handle *out, struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *d;
	int r = backend_name_check(name), fd;

	if (r != 0)
		return r;
	r = local_fd_get(ex, dir, &d);
	if (r != 0)
		return r;
	if (d->fmt != S_IFDIR)
		r = -ENOTDIR;
	if (r == 0)
		r = local_cred_enter(cred);
	if (r == 0)
		r = local_lookup_cached(ex, d->pfd, name, out, attr);
	if (r == 1) {
		/* Not cached: open it, so the GETATTR that follows a LOOKUP
		 * (a cache miss would cost open_by_handle_at and, for a
		 * caller other than root, two identity switches) finds it.
		 * The handle is made again from the descriptor: the name may
		 * have been replaced since, and the cache must never file a
		 * descriptor under another object's handle. */
		fd = local_open_child(d->pfd, name);
		r = fd < 0 ? fd : local_describe(ex, fd, out, attr);
		if (fd >= 0 && r != 0)
			close(fd);
	}
	local_fd_put(ex, d);
	return r;
}

/* Whether directory fd is the export root or below it: 0 or -ESTALE.  A
 * directory moved out of the export on the host keeps its handle, so its
 * parent must not be taken on trust.  Walking up needs no permission of
 * the caller's, so it runs privileged. */
static int local_dir_inside(struct local_export *ex, int fd)
{
	struct statx stx;
	uint64_t prev_ino = 0;
	int cur = fd, r = -ESTALE;

	for (int depth = 0; depth < LOCAL_MAX_DEPTH; depth++) {
		int up;

		if (local_statx(cur, &stx) != 0 ||
		    makedev(stx.stx_dev_major, stx.stx_dev_minor) != ex->dev)
			break;
		if (stx.stx_ino == ex->root_ino) {
			r = 0;
			break;
		}
		if (depth > 0 && stx.stx_ino == prev_ino)
			break; /* ".." of the file system's root is itself */
		prev_ino = stx.stx_ino;
		if (depth == 0 && local_cred_privileged() != 0)
			break;
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			break;
		if (cur != fd)
			close(cur);
		cur = up;
	}
	if (cur != fd)
		close(cur);
	return r;
}

static int local_lookup_parent(struct backend_export *bex, const struct backend_cred *cred,
			       const struct backend_handle *dir, struct backend_handle *out,
			       struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *d;
	int r = local_fd_get(ex, dir, &d), fd = -1;

	if (r != 0)
		return r;
	if (d->fmt != S_IFDIR)
		r = -ENOTDIR;
	else if (d->ino == ex->root_ino)
		r = -ENOENT;
	if (r == 0)
		r = local_cred_enter(cred);
	if (r == 0) {
		/* ".." is what we want here, so no RESOLVE_BENEATH; the walk
		 * below decides whether the result is still ours. */
		fd = openat(d->pfd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : local_dir_inside(ex, fd);
	}
	if (r == 0)
		r = local_describe(ex, fd, out, attr);
	if (fd >= 0 && r != 0)
		close(fd);
	local_fd_put(ex, d);
	return r;
}

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

static int local_access(struct backend_export *bex, const struct backend_cred *cred,
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

/* ---- data ---- */

/* NFS clients open a file once and then read and write it through the
 * server with each call checked anew, so Linux nfsd lets the owner read and
 * write regardless of the mode bits ("owner override"): a process that
 * creates a file 0444 and writes to it (cp -p, tar, git objects) must keep
 * working.  The owner could chmod the file anyway, so nothing is given
 * away.  We do the same for read, write and truncate. */
static bool local_is_owner(int pfd, const struct backend_cred *cred)
{
	struct statx stx;

	return local_statx(pfd, &stx) == 0 && stx.stx_uid == cred->uid;
}

/* A descriptor for writing, opened under the caller's identity so the
 * kernel applies open's permission checks (and ETXTBSY, EROFS, immutable
 * files).  Not cached: a file held open for writing cannot be executed on
 * the host and blocks leases.  Leaves the thread in cred's identity. */
static int local_open_write(const struct backend_cred *cred, struct local_fd *f)
{
	char path[LOCAL_PROC_FD_PATH];
	int fd, r, err;

	local_proc_path(path, f->pfd);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	if (err != EACCES || !local_is_owner(f->pfd, cred))
		return -err;
	r = local_cred_privileged();
	if (r != 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	err = errno;
	/* Back to the caller so the write itself (suid clearing, quota) is
	 * theirs. */
	r = local_cred_enter(cred);
	if (fd < 0)
		return -err;
	if (r != 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Linux nfsd lets READ through when the file may be executed: a client
 * runs a 0711 program by reading it. */
static int local_may_read(struct local_fd *f, const struct backend_cred *cred)
{
	int r = local_access_check(f->pfd, R_OK);

	if (r == -EACCES)
		r = local_access_check(f->pfd, X_OK);
	if (r == -EACCES && local_is_owner(f->pfd, cred))
		r = 0;
	return r;
}

static int local_data_type(const struct local_fd *f)
{
	if (f->fmt == S_IFREG)
		return 0;
	return f->fmt == S_IFDIR ? -EISDIR : -EINVAL; /* never open a device or fifo */
}

static int local_read(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, uint64_t off, size_t len, void *buf,
		      size_t *got, bool *eof)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct stat st;
	ssize_t n;
	int r = local_fd_get(ex, h, &f), rfd;

	if (r != 0)
		return r;
	*got = 0;
	*eof = false;
	r = local_data_type(f);
	if (r != 0)
		goto out;
	rfd = local_fd_data(ex, f);
	if (rfd < 0) {
		r = rfd;
		goto out;
	}
	r = local_cred_enter(cred);
	if (r == 0)
		r = local_may_read(f, cred);
	if (r != 0)
		goto out;
	if (off > INT64_MAX) {
		*eof = true;
		goto out;
	}
	n = pread(rfd, buf, len, (off_t)off);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	*got = (size_t)n;
	/* A short read is the end; a full one needs the size to tell, so a
	 * client reading a 4 KiB file in one call does not come back for
	 * an empty one. */
	if ((size_t)n < len)
		*eof = true;
	else if (fstat(rfd, &st) == 0)
		*eof = off + (uint64_t)n >= (uint64_t)st.st_size;
	else
		r = -errno;
out:
	local_fd_put(ex, f);
	return r;
}

static int local_write(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *h, uint64_t off, const void *buf, size_t len,
		       enum backend_stable stable, size_t *written,
		       enum backend_stable *committed)
{
	struct local_export *ex = local_export_of(bex);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct local_fd *f;
	ssize_t n;
	int r = local_fd_get(ex, h, &f), wfd, flags = 0;

	if (r != 0)
		return r;
	*written = 0;
	r = local_data_type(f);
	if (r == 0 && off > INT64_MAX)
		r = -EFBIG;
	if (r == 0)
		r = local_cred_enter(cred);
	if (r != 0)
		goto out;
	wfd = local_open_write(cred, f);
	if (wfd < 0) {
		r = wfd;
		goto out;
	}
	/* RWF_DSYNC / RWF_SYNC flush just the written range as part of the
	 * write, instead of a separate f(data)sync of the whole file. */
	if (stable == BACKEND_DATA_SYNC)
		flags = RWF_DSYNC;
	else if (stable == BACKEND_FILE_SYNC)
		flags = RWF_SYNC;
	n = pwritev2(wfd, &iov, 1, (off_t)off, flags);
	if (n < 0)
		r = -errno;
	close(wfd);
	if (r == 0) {
		*written = (size_t)n;
		*committed = stable;
	}
out:
	local_fd_put(ex, f);
	return r;
}

static int local_commit(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
			uint64_t len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f), rfd;

	if (r != 0)
		return r;
	(void)off;
	(void)len;
	r = local_data_type(f);
	if (r == 0) {
		/* fsync reports writeback errors to every descriptor open at
		 * the time, so the long-lived read descriptor sees those of
		 * writes made through the short-lived write ones.  The whole
		 * file, data and metadata: COMMIT promises the size too. */
		rfd = local_fd_data(ex, f);
		r = rfd < 0 ? rfd : fsync(rfd) == 0 ? 0 : -errno;
	}
	local_fd_put(ex, f);
	return r;
}

/* ---- setattr ---- */

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

static int local_setattr(struct backend_export *bex, const struct backend_cred *cred,
			 const struct backend_handle *h, const struct backend_setattr *sa,
			 struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct statx stx;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	r = local_cred_enter(cred);
	if (r == 0)
		r = local_setattr_apply(ex, cred, f, sa);
	if (r == 0 && attr) {
		r = local_statx(f->pfd, &stx);
		if (r == 0)
			local_attr_fill(&stx, attr);
	}
	local_fd_put(ex, f);
	return r;
}

/* ---- the rest ---- */

static int local_readlink(struct backend_export *bex, const struct backend_handle *h, char *buf,
			  size_t cap, size_t *len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	ssize_t n;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	if (f->fmt != S_IFLNK) {
		r = -EINVAL;
	} else {
		n = readlinkat(f->pfd, "", buf, cap);
		if (n < 0)
			r = -errno;
		else if ((size_t)n >= cap)
			r = -ENAMETOOLONG; /* no room for the whole target and its NUL */
		else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	local_fd_put(ex, f);
	return r;
}

static int local_statfs(struct backend_export *bex, const struct backend_handle *h,
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
		out->space_total = (uint64_t)sv.f_blocks * sv.f_frsize;
		out->space_free = (uint64_t)sv.f_bfree * sv.f_frsize;
		out->space_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		out->files_total = sv.f_files;
		out->files_free = sv.f_ffree;
		out->files_avail = sv.f_favail;
		out->name_max = (uint32_t)sv.f_namemax;
		out->link_max = ex->link_max;
	}
	local_fd_put(ex, f);
	return r;
}

const struct backend_ops backend_local_ops = {
	.name = "local",
	.export_open = local_export_open,
	.export_close = local_export_close,
	.root = local_root,
	.getattr = local_getattr,
	.lookup = local_lookup,
	.lookup_parent = local_lookup_parent,
	.access = local_access,
	.setattr = local_setattr,
	.read = local_read,
	.write = local_write,
	.commit = local_commit,
	.create_file = local_create_file,
	.mknod = local_mknod,
	.symlink = local_symlink,
	.readlink = local_readlink,
	.remove = local_remove,
	.rename = local_rename,
	.link = local_link,
	.readdir = local_readdir,
	.statfs = local_statfs,
};
