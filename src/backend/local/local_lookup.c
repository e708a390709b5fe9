/* The local back end's name lookups: one component below a directory
 * (LOOKUP) and the parent of a directory (LOOKUPP), turning what they find
 * into a handle and a cache entry. */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum { LOCAL_MAX_DEPTH = 4096 };

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

/* Handle and attributes of dirfd/name when the object is in the cache, in
 * one system call: statx of the name gives its attributes, inode number
 * and mount, and a cached entry of that inode (whose open descriptor
 * keeps the number from being reused) gives the handle.  The walk is the
 * permission check: it needs search permission on the directory under the
 * caller's identity.  1: not cached, or on another mount (the open below
 * gives the answer, EXDEV for a mount point). */
static int local_lookup_cached(struct local_export *ex, int dirfd, const char *name,
			       struct backend_handle *out, struct backend_attr *attr)
{
	struct local_fd *f;
	struct statx stx;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID, &stx) != 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != (uint64_t)ex->mount_id ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != ex->dev)
		return 1;
	f = local_fd_cached_ino(ex, stx.stx_ino);
	if (!f)
		return 1;
	*out = f->handle;
	if (attr)
		local_attr_fill(&stx, attr);
	local_fd_put(ex, f);
	return 0;
}

int local_lookup(struct backend_export *bex, const struct backend_cred *cred,
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

int local_lookup_path(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *dir, const char *const *names, unsigned n,
		      struct backend_handle *out, struct backend_attr *attr)
{
	struct local_export *ex = local_export_of(bex);
	char path[BACKEND_PATH_MAX];
	size_t len = 0;
	struct local_fd *d, *f;
	struct statx stx;
	int r, fd;

	if (n == 0)
		return -EINVAL;
	/* The same names the component lookups would accept, joined: none
	 * holds a '/', "." or "..", so the walk below visits exactly these
	 * objects one after the other. */
	for (unsigned i = 0; i < n; i++) {
		size_t nl;

		if ((r = backend_name_check(names[i])) != 0)
			return r;
		nl = strlen(names[i]);
		if (len + nl + 1 > sizeof(path))
			return -ENAMETOOLONG;
		if (i > 0)
			path[len++] = '/';
		memcpy(path + len, names[i], nl);
		len += nl;
	}
	path[len] = '\0';
	r = local_fd_get(ex, dir, &d);
	if (r != 0)
		return r;
	r = d->fmt != S_IFDIR ? -ENOTDIR : local_cred_enter(cred);
	/* One openat2 walks every component as the caller (search permission
	 * on each directory), refuses a symbolic link or a mount point
	 * anywhere on the way (ELOOP, EXDEV) and a non-directory before the
	 * end (ENOTDIR): the checks n component lookups make, each of which
	 * is one statx by name. */
	fd = r == 0 ? local_open_child(d->pfd, path) : r;
	local_fd_put(ex, d);
	if (fd < 0)
		return fd;
	r = local_statx(fd, &stx);
	if (r == 0 && makedev(stx.stx_dev_major, stx.stx_dev_minor) != ex->dev)
		r = -EXDEV;
	if (r != 0) {
		close(fd);
		return r;
	}
	/* Known already (its descriptor keeps the inode number ours): the
	 * cached handle, and this descriptor goes. */
	f = local_fd_cached_ino(ex, stx.stx_ino);
	if (f) {
		*out = f->handle;
		local_fd_put(ex, f);
		close(fd);
		if (attr)
			local_attr_fill(&stx, attr);
		return 0;
	}
	r = local_describe(ex, fd, out, attr);
	if (r != 0)
		close(fd);
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

int local_lookup_parent(struct backend_export *bex, const struct backend_cred *cred,
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
