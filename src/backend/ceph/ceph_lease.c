/* The ceph back end's delegations and directory watches: none yet.
 *
 * Other CephFS clients (another ferryd, a kernel mount, ceph-fuse) change
 * the file system behind Ferry's back, so an NFS delegation is safe only
 * while CephFS itself holds them back, which is what a CephFS delegation
 * (libcephfs ceph_ll_delegation) on an open file of Ferry's client would
 * do.  With libcephfs 16.2 that is not safe to rely on:
 *  - A write delegation cannot be recalled with data to write back: from
 *    the recall on, the MDS is taking back the buffering capability, and
 *    libcephfs makes every buffered write on the file wait for that to
 *    finish, which needs the delegation returned first; the holder's
 *    WRITEs would hang until libcephfs's deadline, then land after the
 *    other client went ahead.
 *  - A read delegation holds the file's shared-read capabilities, and the
 *    MDS takes those back on a lock transition of its own (a file this
 *    client had open for writing moving from exclusive to shared) without
 *    libcephfs calling the recall function: every other client's access
 *    to the file then waits for the delegation's deadline (minutes).
 * So every lease is answered -EAGAIN, which the NFS layer takes as a
 * conflict: no file delegation is granted on a ceph export, and other
 * CephFS clients are never held back by one.  Likewise no directory can be
 * watched (libcephfs reports no changes of names), so dir_watch answers
 * -ENOTSUP and no directory delegation is granted: clients revalidate,
 * which is always correct. */
#include <errno.h>

#include "backend/ceph/ceph_internal.h"

int cephfs_lease(struct backend_export *bex, const struct backend_handle *h,
		 enum backend_lease type)
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
