/* The ceph back end's revokes under way: CephFS delegations of ferryd's
 * client (an NFS client's lease, ceph_lease.c, or the read cache's,
 * ceph_cache.c) that libcephfs recalled and that are not given back yet.
 *
 * While one is listed, the MDS is taking capabilities away from the
 * client, and a read of that file entering libcephfs waits there for the
 * revoke to end; libcephfs 16.2 does not wake it when the delegation's
 * return ends the revoke, and it stalled about 5 s (DECISIONS.md, "CephFS:
 * a read cache of ferryd's own").  So ferryd keeps its reads out of that
 * window: they wait here (cephfs_revoke_wait) until the delegation is back
 * (cephfs_revoke_end), and a getattr after the return draws a reply from
 * the MDS whose capabilities wake a read that entered libcephfs just
 * before the recall.
 *
 * Lock: the registry's own, a leaf: taken inside libcephfs's client lock
 * (by a recall function) and inside a holder's lock, around nothing. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "backend/ceph/ceph_internal.h"

struct cephfs_revokes {
	pthread_mutex_t lock;
	pthread_cond_t ended; /* a revoke left the list */
	struct cephfs_revoke *list;
	/* How many are listed: while none is, nearly always, a read does not
	 * take the lock to look. */
	_Atomic unsigned count;
};

int cephfs_revokes_open(struct cephfs_export *ex)
{
	struct cephfs_revokes *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->ended, NULL);
	ex->revokes = v;
	return 0;
}

void cephfs_revokes_close(struct cephfs_export *ex)
{
	struct cephfs_revokes *v = ex->revokes;

	if (!v)
		return;
	pthread_cond_destroy(&v->ended);
	pthread_mutex_destroy(&v->lock);
	free(v);
	ex->revokes = NULL;
}

void cephfs_revoke_begin(struct cephfs_export *ex, struct cephfs_revoke *r, uint64_t ino,
			 uint64_t snapid)
{
	struct cephfs_revokes *v = ex->revokes;

	pthread_mutex_lock(&v->lock);
	if (!r->listed) {
		r->ino = ino;
		r->snapid = snapid;
		r->listed = true;
		r->next = v->list;
		v->list = r;
		atomic_fetch_add_explicit(&v->count, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&v->lock);
}

void cephfs_revoke_end(struct cephfs_export *ex, struct cephfs_revoke *r, struct Inode *in)
{
	struct cephfs_revokes *v = ex->revokes;

	pthread_mutex_lock(&v->lock);
	bool listed = r->listed;
	if (listed) {
		struct cephfs_revoke **p = &v->list;
		while (*p != r)
			p = &(*p)->next;
		*p = r->next;
		r->listed = false;
		atomic_fetch_sub_explicit(&v->count, 1, memory_order_relaxed);
		pthread_cond_broadcast(&v->ended);
	}
	pthread_mutex_unlock(&v->lock);
	if (!listed)
		return;
	/* The revoke took the capabilities that cover the size and times:
	 * the MDS answers this one, and its reply wakes a read waiting in
	 * libcephfs (with it alone the read cache's writer test still
	 * stalled in 1 run of 10, against 3 of 8 without). */
	struct ceph_statx stx;
	CEPHFS_CALL(ex, getattr,
		    ceph_ll_getattr(ex->cm, in, &stx, CEPH_STATX_SIZE | CEPH_STATX_MTIME, 0,
				    ceph_mount_perms(ex->cm)));
}

void cephfs_revoke_wait(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_revokes *v = ex->revokes;

	if (!v || !atomic_load_explicit(&v->count, memory_order_relaxed))
		return;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		const struct cephfs_revoke *r = v->list;
		while (r && (r->ino != ino || r->snapid != snapid))
			r = r->next;
		if (!r)
			break;
		pthread_cond_wait(&v->ended, &v->lock);
	}
	pthread_mutex_unlock(&v->lock);
}
