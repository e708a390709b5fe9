/* The local back end's extended attributes: the host's "user." namespace.
 *
 * The calls name the object by the "/proc/self/fd/N" path of its cached
 * O_PATH descriptor: fgetxattr and friends refuse O_PATH descriptors, and
 * so do the *xattrat calls of Linux 6.13 with AT_EMPTY_PATH (both checked
 * on 6.18), while a path through the descriptor's magic link reaches the
 * object itself, a symbolic link included, without opening it (so no
 * lease is broken and nothing needs read access).  Every call runs under
 * the caller's identity, so the kernel makes its own permission checks.
 *
 * Listings are sorted and resumed by a hash of the name
 * (backend/xattr_list.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "backend/local/local_internal.h"

enum {
	LOCAL_XATTR_KEY_MAX = BACKEND_XATTR_PREFIX_LEN + BACKEND_XATTR_NAME_MAX + 1,
	/* Linux lists at most 64 KiB of names (XATTR_LIST_MAX). */
	LOCAL_XATTR_LIST_MAX = 65536,
};

/* What every call on an object's attributes works with: the object held,
 * the path that names it for the *xattr calls and, for a call on one
 * attribute, that attribute's name in the host's namespace. */
struct local_xattr_call {
	struct local_fd *f;
	char path[LOCAL_PROC_FD_PATH];
	char key[LOCAL_XATTR_KEY_MAX];
};

/* Opens a call on h (on its attribute name, when not NULL), the thread
 * acting for cred; release c->f with local_fd_put. */
static int local_xattr_begin(struct local_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *h, const char *name,
			     struct local_xattr_call *c)
{
	int r;

	if (name) {
		r = backend_xattr_name_check(name);
		if (r != 0)
			return r;
		memcpy(c->key, "user.", BACKEND_XATTR_PREFIX_LEN);
		strcpy(c->key + BACKEND_XATTR_PREFIX_LEN, name);
	}
	r = local_fd_get(ex, h, &c->f);
	if (r != 0)
		return r;
	r = local_cred_enter(cred); /* a cache miss above runs privileged */
	if (r != 0) {
		local_fd_put(ex, c->f);
		return r;
	}
	local_proc_path(c->path, c->f->pfd);
	return 0;
}

int local_getxattr(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *h, const char *name, void *buf, size_t cap,
		   size_t *len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_xattr_call c;
	int r = local_xattr_begin(ex, cred, h, name, &c);

	if (r != 0)
		return r;
	ssize_t n = getxattr(c.path, c.key, buf, cap);
	if (n < 0)
		r = -errno;
	else if (cap == 0 && n > 0)
		r = -ERANGE; /* a size of 0 asks for the length instead */
	else
		*len = (size_t)n;
	local_fd_put(ex, c.f);
	return r;
}

int local_setxattr(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *h, const char *name, const void *value,
		   size_t len, enum backend_xattr_set how)
{
	struct local_export *ex = local_export_of(bex);
	struct local_xattr_call c;
	int flags = how == BACKEND_XATTR_CREATE	   ? XATTR_CREATE
		    : how == BACKEND_XATTR_REPLACE ? XATTR_REPLACE
						   : 0;

	if (len > BACKEND_XATTR_SIZE_MAX)
		return -E2BIG;
	int r = local_xattr_begin(ex, cred, h, name, &c);
	if (r != 0)
		return r;
	if (setxattr(c.path, c.key, len ? value : "", len, flags) != 0)
		r = -errno;
	local_attrcache_forget(ex, &c.f->handle); /* its ctime */
	local_fd_put(ex, c.f);
	return r;
}

int local_removexattr(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, const char *name)
{
	struct local_export *ex = local_export_of(bex);
	struct local_xattr_call c;
	int r = local_xattr_begin(ex, cred, h, name, &c);

	if (r != 0)
		return r;
	if (removexattr(c.path, c.key) != 0)
		r = -errno;
	local_attrcache_forget(ex, &c.f->handle);
	local_fd_put(ex, c.f);
	return r;
}

/* The kernel's list of every name of the object (all namespaces), retried
 * while it grows between the size query and the read.  *out is malloc'd. */
static int local_xattr_read_list(const char *path, char **out, size_t *len)
{
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = listxattr(path, NULL, 0);

		if (n < 0)
			return -errno;
		char *buf = malloc(n > 0 ? (size_t)n : 1);
		if (!buf)
			return -ENOMEM;
		ssize_t got = n > 0 ? listxattr(path, buf, (size_t)n) : 0;
		if (got >= 0) {
			*out = buf;
			*len = (size_t)got;
			return 0;
		}
		int e = errno;
		free(buf);
		if (e != ERANGE)
			return -e;
	}
	return -EAGAIN;
}

int local_listxattr(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, uint64_t cookie, backend_xattr_fn fn,
		    void *ctx, bool *eof)
{
	struct local_export *ex = local_export_of(bex);
	struct local_xattr_call c;
	char *list = NULL;
	size_t len = 0;
	int r = local_xattr_begin(ex, cred, h, NULL, &c);

	if (r != 0)
		return r;
	r = local_xattr_read_list(c.path, &list, &len);
	local_fd_put(ex, c.f);
	if (r != 0)
		return r;
	r = backend_xattr_list_emit(list, len, cookie, fn, ctx, eof);
	free(list);
	return r;
}
