/* The ceph back end's delegations and directory watches.
 *
 * Other CephFS clients (another ferryd, a kernel mount, ceph-fuse) change
 * the file system behind Ferry's back, so a delegation is safe only while
 * CephFS itself holds the others back.  Until this back end takes CephFS
 * delegations (libcephfs ceph_ll_delegation) for the files it delegates,
 * it answers every lease with -EAGAIN, which the NFS layer takes as a
 * conflict: no file delegation is granted on a ceph export.  Likewise it
 * cannot watch a directory (libcephfs reports no changes of names), so no
 * directory delegation is granted: clients revalidate instead, which is
 * always correct. */
#include <errno.h>

#include "backend/ceph/ceph_internal.h"

int cephfs_lease(struct backend_export *bex, const struct backend_handle *h, enum backend_lease type)
{
	/* Dropping what was never held is 0, as the interface says. */
	return type == BACKEND_LEASE_NONE ? 0 : -EAGAIN;
}

void cephfs_lease_notify(struct backend_export *bex, backend_lease_break_fn fn, void *ctx)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	pthread_mutex_lock(&ex->notify_lock);
	ex->break_fn = fn;
	ex->break_ctx = ctx;
	pthread_mutex_unlock(&ex->notify_lock);
}

int cephfs_dir_watch(struct backend_export *bex, const struct backend_handle *h, bool on)
{
	return on ? -ENOTSUP : 0;
}

void cephfs_dir_notify(struct backend_export *bex, backend_dir_change_fn fn, void *ctx)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	pthread_mutex_lock(&ex->notify_lock);
	ex->dir_fn = fn;
	ex->dir_ctx = ctx;
	pthread_mutex_unlock(&ex->notify_lock);
}
