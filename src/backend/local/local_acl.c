/* The local back end's POSIX ACLs: the kernel's own, read and written
 * through its "system.posix_acl_*" attributes as the caller, so the
 * kernel checks who may change them and applies them to every later
 * permission check (and an access ACL to the mode bits).  The object is
 * named by the magic-link path of its cached O_PATH descriptor, as in
 * local_xattr.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "backend/local/local_internal.h"

int local_get_acl(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *h, enum backend_acl_kind kind,
		  struct backend_acl *out)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	r = local_cred_enter(cred);
	uint8_t *val = r == 0 ? malloc(BACKEND_ACL_XATTR_MAX) : NULL;
	if (r == 0 && !val)
		r = -ENOMEM;
	if (r == 0) {
		char path[LOCAL_PROC_FD_PATH];
		local_proc_path(path, f->pfd);
		ssize_t n = getxattr(path, backend_acl_xattr_name(kind), val,
				     BACKEND_ACL_XATTR_MAX);
		struct stat st;
		if (n >= 0) {
			r = backend_acl_from_xattr(val, (size_t)n, out);
			if (r != 0)
				r = -EIO; /* the file system's value, not ours to fix */
		} else if (errno != ENODATA) {
			r = -errno;
		} else if (kind == BACKEND_ACL_DEFAULT) {
			out->count = 0;
		} else if (fstatat(f->pfd, "", &st, AT_EMPTY_PATH) != 0) {
			r = -errno;
		} else {
			backend_acl_from_mode(st.st_mode, out);
		}
	}
	free(val);
	local_fd_put(ex, f);
	return r;
}

int local_set_acl(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *h, enum backend_acl_kind kind,
		  const struct backend_acl *acl)
{
	struct local_export *ex = local_export_of(bex);
	bool remove = kind == BACKEND_ACL_DEFAULT && acl->count == 0;
	if (!remove && backend_acl_check(acl) != 0)
		return -EINVAL;
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f);
	if (r != 0)
		return r;
	r = local_cred_enter(cred);
	uint8_t *val = r == 0 && !remove ? malloc(BACKEND_ACL_XATTR_MAX) : NULL;
	if (r == 0 && !remove && !val)
		r = -ENOMEM;
	if (r == 0) {
		char path[LOCAL_PROC_FD_PATH];
		local_proc_path(path, f->pfd);
		const char *name = backend_acl_xattr_name(kind);
		if (remove) {
			if (removexattr(path, name) != 0 && errno != ENODATA)
				r = -errno;
		} else if (setxattr(path, name, val, backend_acl_to_xattr(acl, val), 0) != 0) {
			r = -errno;
		}
	}
	free(val);
	local_attrcache_forget(ex, &f->handle); /* the mode and ctime */
	local_fd_put(ex, f);
	return r;
}
