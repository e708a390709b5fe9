/* The ceph back end's extended attributes: CephFS's "user." namespace
 * (RFC 8276), with the rules backend.h sets for every back end.
 * libcephfs checks read and write permission for the caller; the rules
 * it does not apply (only files and directories, the sticky directory)
 * are applied here first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "backend/ceph/ceph_internal.h"

enum { CEPH_XATTR_KEY_MAX = BACKEND_XATTR_PREFIX_LEN + BACKEND_XATTR_NAME_MAX + 1 };

struct cephfs_xattr_call {
	struct cephfs_obj o;
	struct ceph_statx stx;
	struct cephfs_perm perm;
	char key[CEPH_XATTR_KEY_MAX];
};

static int cephfs_xattr_begin(struct cephfs_export *ex, const struct backend_cred *cred,
			      const struct backend_handle *h, const char *name,
			      struct cephfs_xattr_call *c)
{
	int rc = name ? backend_xattr_name_check(name) : 0;

	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	if (name)
		snprintf(c->key, sizeof(c->key), "user.%s", name);
	rc = cephfs_obj_get_stat(ex, h, &c->o, &c->stx);
	if (!rc && (rc = cephfs_perm_init(&c->perm, cred)))
		cephfs_obj_put(ex, &c->o);
	return rc;
}

static void cephfs_xattr_end(struct cephfs_export *ex, struct cephfs_xattr_call *c)
{
	cephfs_perm_fini(&c->perm);
	cephfs_obj_put(ex, &c->o);
}

static bool cephfs_xattr_holder(const struct cephfs_xattr_call *c)
{
	return S_ISREG(c->stx.stx_mode) || S_ISDIR(c->stx.stx_mode);
}

/* What a change needs besides write permission (libcephfs checks that). */
static int cephfs_xattr_may_change(const struct backend_cred *cred,
				   const struct cephfs_xattr_call *c)
{
	if (!cephfs_xattr_holder(c))
		return -EPERM;
	if (S_ISDIR(c->stx.stx_mode) && (c->stx.stx_mode & S_ISVTX) && cred->uid != 0 &&
	    cred->uid != c->stx.stx_uid)
		return -EPERM;
	if (c->o.snapid != CEPH_NOSNAP)
		return -EROFS;
	return 0;
}

int cephfs_getxattr(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, const char *name, void *buf, size_t cap,
		    size_t *len)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_xattr_call c;
	int rc = cephfs_xattr_begin(ex, cred, h, name, &c);

	if (rc)
		return rc;
	if (!cephfs_xattr_holder(&c)) {
		rc = -ENODATA;
	} else {
		/* The size first, so that a value longer than cap is -ERANGE
		 * whatever libcephfs does with a short buffer. */
		int n = CEPHFS_CALL(ex, getxattr,
				    ceph_ll_getxattr(ex->cm, c.o.in, c.key, NULL, 0, c.perm.up));
		if (n >= 0 && (size_t)n > cap)
			n = -ERANGE;
		else if (n > 0)
			n = CEPHFS_CALL(
			    ex, getxattr,
			    ceph_ll_getxattr(ex->cm, c.o.in, c.key, buf, cap, c.perm.up));
		if (n >= 0)
			*len = (size_t)n;
		rc = n < 0 ? cephfs_err(ex, n) : 0;
	}
	cephfs_xattr_end(ex, &c);
	return rc;
}

int cephfs_setxattr(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, const char *name, const void *value, size_t len,
		    enum backend_xattr_set how)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_xattr_call c;

	if (len > BACKEND_XATTR_SIZE_MAX)
		return -E2BIG;
	int rc = cephfs_xattr_begin(ex, cred, h, name, &c);
	if (rc)
		return rc;
	rc = cephfs_xattr_may_change(cred, &c);
	if (!rc) {
		int flags = how == BACKEND_XATTR_CREATE	   ? XATTR_CREATE
			    : how == BACKEND_XATTR_REPLACE ? XATTR_REPLACE
							   : 0;
		cephfs_dirwatch_begin(ex, c.o.ino, c.o.snapid);
		rc = cephfs_err(ex, CEPHFS_CALL(ex, setxattr,
						ceph_ll_setxattr(ex->cm, c.o.in, c.key, value, len,
								 flags, c.perm.up)));
		cephfs_dirwatch_end(ex, c.o.ino, c.o.snapid, rc == 0);
	}
	cephfs_xattr_end(ex, &c);
	return rc;
}

int cephfs_listxattr(struct backend_export *bex, const struct backend_cred *cred,
		     const struct backend_handle *h, uint64_t cookie, backend_xattr_fn fn,
		     void *ctx, bool *eof)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_xattr_call c;
	char *list = NULL;
	size_t len = 0;
	int rc = cephfs_xattr_begin(ex, cred, h, NULL, &c);

	if (rc)
		return rc;
	if (!cephfs_xattr_holder(&c)) {
		cephfs_xattr_end(ex, &c);
		*eof = true;
		return 0;
	}
	/* Retried while the list grows between the size asked and the read. */
	for (int tries = 0; tries < 8; tries++) {
		size_t need = 0;
		rc = cephfs_err(
		    ex, CEPHFS_CALL(ex, listxattr,
				    ceph_ll_listxattr(ex->cm, c.o.in, NULL, 0, &need, c.perm.up)));
		if (rc)
			break;
		free(list);
		list = malloc(need ? need : 1);
		if (!list) {
			rc = -ENOMEM;
			break;
		}
		len = 0;
		rc = CEPHFS_CALL(ex, listxattr,
				 ceph_ll_listxattr(ex->cm, c.o.in, list, need, &len, c.perm.up));
		if (rc != -ERANGE)
			break;
	}
	cephfs_xattr_end(ex, &c);
	if (rc >= 0)
		rc = backend_xattr_list_emit(list, len, cookie, fn, ctx, eof);
	free(list);
	return rc < 0 ? cephfs_err(ex, rc) : 0;
}

int cephfs_removexattr(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *h, const char *name)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_xattr_call c;
	int rc = cephfs_xattr_begin(ex, cred, h, name, &c);

	if (rc)
		return rc;
	rc = cephfs_xattr_may_change(cred, &c);
	if (!rc) {
		cephfs_dirwatch_begin(ex, c.o.ino, c.o.snapid);
		rc = cephfs_err(ex,
				CEPHFS_CALL(ex, removexattr,
					    ceph_ll_removexattr(ex->cm, c.o.in, c.key, c.perm.up)));
		cephfs_dirwatch_end(ex, c.o.ino, c.o.snapid, rc == 0);
	}
	cephfs_xattr_end(ex, &c);
	return rc;
}
