/* The ceph back end's resolved handles: the libcephfs inode a handle named,
 * kept between requests.
 *
 * Resolving a handle (cephfs_obj_get) was a lookup by inode number, the
 * getattr that checks the inode is still linked, and the release of the
 * reference the lookup took: three calls, each under libcephfs's one
 * client lock, for every handle of every request (a READ resolved three).
 * Under load those calls mostly waited for the lock behind the calls
 * moving data (ceph_ll_write copies a WRITE's data under it): 47 us of
 * lookup per 4 KiB WRITE, against 21 us of the write itself.  So an
 * inode found stays here, with the lookup's reference, while requests use
 * it and a few seconds after the last one; a handle found here is checked
 * with the getattr alone.  A thread releases the idle ones, so that the
 * inodes of files no longer used are not kept from libcephfs's cache
 * trimming (and an unlinked file's purge) longer than that. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"
#include "core/container_of.h"

enum {
	CEPHFS_INODE_IDLE_MS = 3000, /* an unused inode is released after this */
	CEPHFS_INODE_MAX = 4096,     /* inodes kept at most */
};

struct cephfs_inode {
	struct cephfs_kept k;
	struct Inode *in; /* the table's reference */
	_Atomic int type; /* enum backend_ftype once a check read it; 0: not yet */
	bool forgotten;	  /* out of the table: released by its last user */
};

struct cephfs_inodes {
	struct cephfs_kept_table t;
};

static struct cephfs_inode *inode_of(struct cephfs_kept *k)
{
	return k ? container_of(k, struct cephfs_inode, k) : NULL;
}

static void cephfs_inode_release(struct cephfs_export *ex, struct cephfs_kept *k)
{
	struct cephfs_inode *i = inode_of(k);
	ceph_ll_put(ex->cm, i->in);
	free(i);
}

static void cephfs_inodes_release_stale(struct cephfs_export *ex)
{
	cephfs_kept_release_idle(ex, &ex->inodes->t, CEPHFS_INODE_IDLE_MS);
}

int cephfs_inodes_open(struct cephfs_export *ex)
{
	struct cephfs_inodes *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	ex->inodes = t;
	return cephfs_kept_open(ex, &t->t, cephfs_inodes_release_stale, cephfs_inode_release);
}

void cephfs_inodes_close(struct cephfs_export *ex)
{
	struct cephfs_inodes *t = ex->inodes;

	if (!t)
		return;
	cephfs_kept_close(ex, &t->t);
	free(t);
	ex->inodes = NULL;
}

struct cephfs_inode *cephfs_inode_get(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				      struct Inode **in)
{
	struct cephfs_kept_table *t = &ex->inodes->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode *i = inode_of(*cephfs_kept_slot(t, ino, snapid));
	if (i) {
		i->k.users++;
		*in = i->in;
	}
	pthread_mutex_unlock(&t->lock);
	return i;
}

struct cephfs_inode *cephfs_inode_keep(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				       struct Inode **in)
{
	struct cephfs_kept_table *t = &ex->inodes->t;
	struct cephfs_inode *n = calloc(1, sizeof(*n));
	struct Inode *extra = NULL;

	pthread_mutex_lock(&t->lock);
	if (t->count >= CEPHFS_INODE_MAX)
		cephfs_kept_release_idle(ex, t, 0);
	struct cephfs_kept **slot = cephfs_kept_slot(t, ino, snapid);
	struct cephfs_inode *i = inode_of(*slot);
	if (i) {
		/* Kept meanwhile by another request: that one's reference
		 * serves, and this one goes back. */
		i->k.users++;
		extra = *in;
		*in = i->in;
	} else if (n && t->count < CEPHFS_INODE_MAX) {
		i = n;
		n = NULL;
		i->k.ino = ino;
		i->k.snapid = snapid;
		i->k.users = 1;
		i->in = *in;
		*slot = &i->k;
		t->count++;
	}
	pthread_mutex_unlock(&t->lock);
	free(n);
	if (extra)
		ceph_ll_put(ex->cm, extra);
	return i;
}

void cephfs_inode_note_type(struct cephfs_inode *i, enum backend_ftype type)
{
	atomic_store_explicit(&i->type, (int)type, memory_order_relaxed);
}

bool cephfs_inode_type(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
		       enum backend_ftype *type)
{
	struct cephfs_kept_table *t = &ex->inodes->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode *i = inode_of(*cephfs_kept_slot(t, ino, snapid));
	int v = i ? atomic_load_explicit(&i->type, memory_order_relaxed) : 0;
	pthread_mutex_unlock(&t->lock);
	if (v == 0)
		return false;
	*type = (enum backend_ftype)v;
	return true;
}

void cephfs_inode_put(struct cephfs_export *ex, struct cephfs_inode *i)
{
	struct cephfs_kept_table *t = &ex->inodes->t;
	bool release;

	pthread_mutex_lock(&t->lock);
	i->k.users--;
	i->k.used_ms = clock_now_coarse_ms();
	release = i->forgotten && i->k.users == 0;
	pthread_mutex_unlock(&t->lock);
	if (release)
		cephfs_inode_release(ex, &i->k);
}

/* Takes i out of the table.  Lock held.  True when nobody uses it (the
 * caller releases it), else its last user will. */
static bool cephfs_inode_unlink(struct cephfs_kept_table *t, struct cephfs_kept **slot,
				struct cephfs_inode *i)
{
	*slot = i->k.next;
	i->k.next = NULL;
	t->count--;
	i->forgotten = true;
	return i->k.users == 0;
}

void cephfs_inode_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_kept_table *t = &ex->inodes->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_kept **slot = cephfs_kept_slot(t, ino, snapid);
	struct cephfs_inode *i = inode_of(*slot);
	bool release = i && cephfs_inode_unlink(t, slot, i);
	pthread_mutex_unlock(&t->lock);
	if (release)
		cephfs_inode_release(ex, &i->k);
}

void cephfs_inode_forget(struct cephfs_export *ex, struct cephfs_inode *i)
{
	struct cephfs_kept_table *t = &ex->inodes->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_kept **slot = cephfs_kept_slot(t, i->k.ino, i->k.snapid);
	/* i has a user (the caller): its last one releases it. */
	if (*slot == &i->k)
		cephfs_inode_unlink(t, slot, i);
	pthread_mutex_unlock(&t->lock);
}
