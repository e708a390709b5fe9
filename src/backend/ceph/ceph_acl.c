/* The ceph back end's POSIX ACLs: CephFS's own, in the same
 * "system.posix_acl_*" attributes and format as the kernel's
 * (backend/posix_acl.c), read and written as the caller.  The client runs
 * with client_acl_type = posix_acl (ceph_client.c), so libcephfs applies
 * them in its permission checks, lets only the owner (or root) change
 * them, sets the mode from an access ACL, refuses a default ACL on
 * anything but a directory, and gives new objects their directory's
 * default ACL. */
#include <errno.h>
#include <stdlib.h>

#include "backend/ceph/ceph_internal.h"

/* The object h, its attributes and cred's permissions, for one call:
 * cephfs_perm_fini and cephfs_obj_put after. */
static int acl_call_begin(struct cephfs_export *ex, const struct backend_cred *cred,
			  const struct backend_handle *h, struct cephfs_obj *o,
			  struct ceph_statx *stx, struct cephfs_perm *perm)
{
	int rc = cephfs_obj_get_stat(ex, h, o, stx);
	if (rc)
		return rc;
	if ((rc = cephfs_perm_init(perm, cred)))
		cephfs_obj_put(ex, o);
	return rc;
}

int cephfs_get_acl(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *h, enum backend_acl_kind kind,
		   struct backend_acl *out)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	struct ceph_statx stx;
	struct cephfs_perm perm;
	int rc = acl_call_begin(ex, cred, h, &o, &stx, &perm);
	if (rc)
		return rc;
	uint8_t *val = malloc(BACKEND_ACL_XATTR_MAX);
	if (!val) {
		rc = -ENOMEM;
		goto out;
	}
	int n = CEPHFS_CALL(ex, getxattr,
			    ceph_ll_getxattr(ex->cm, o.in, backend_acl_xattr_name(kind), val,
					     BACKEND_ACL_XATTR_MAX, perm.up));
	if (n >= 0) {
		rc = backend_acl_from_xattr(val, (size_t)n, out) ? -EIO : 0;
	} else if (n != -ENODATA) {
		rc = cephfs_err(ex, n);
	} else if (kind == BACKEND_ACL_DEFAULT) {
		out->count = 0;
	} else {
		backend_acl_from_mode(stx.stx_mode, out);
	}
	free(val);
out:
	cephfs_perm_fini(&perm);
	cephfs_obj_put(ex, &o);
	return rc;
}

int cephfs_set_acl(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *h, enum backend_acl_kind kind,
		   const struct backend_acl *acl)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	bool remove = kind == BACKEND_ACL_DEFAULT && acl->count == 0;
	if (!remove && backend_acl_check(acl) != 0)
		return -EINVAL;
	struct cephfs_obj o;
	struct ceph_statx stx;
	struct cephfs_perm perm;
	int rc = acl_call_begin(ex, cred, h, &o, &stx, &perm);
	if (rc)
		return rc;
	if (o.snapid != CEPH_NOSNAP) {
		rc = -EROFS; /* a snapshot changes nothing */
		goto out;
	}
	const char *name = backend_acl_xattr_name(kind);
	if (remove) {
		rc = CEPHFS_CALL(ex, removexattr, ceph_ll_removexattr(ex->cm, o.in, name, perm.up));
		rc = rc == -ENODATA ? 0 : cephfs_err(ex, rc);
	} else {
		uint8_t *val = malloc(BACKEND_ACL_XATTR_MAX);
		rc = val ? CEPHFS_CALL(ex, setxattr,
				       ceph_ll_setxattr(ex->cm, o.in, name, val,
							backend_acl_to_xattr(acl, val), 0, perm.up))
			 : -ENOMEM;
		rc = cephfs_err(ex, rc);
		free(val);
	}
out:
	cephfs_perm_fini(&perm);
	cephfs_obj_put(ex, &o);
	return rc;
}
