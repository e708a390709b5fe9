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

enum {
	CEPHFS_INODE_BUCKETS = 1024,
	CEPHFS_INODE_IDLE_MS = 3000, /* an unused inode is released after this */
	CEPHFS_INODE_MAX = 4096,     /* inodes kept at most */
};

struct cephfs_inode {
	struct cephfs_inode *next;
	uint64_t ino, snapid;
	struct Inode *in;  /* the table's reference */
	_Atomic int type;  /* enum backend_ftype once a check read it; 0: not yet */
	unsigned users;	   /* requests using in now */
	uint64_t used_ms;  /* when the last one ended */
	bool forgotten;	   /* out of the table: released by its last user */
};

struct cephfs_inodes {
	pthread_mutex_t lock;
	struct cephfs_chore releaser; /* releases the idle inodes */
	struct cephfs_inode *bucket[CEPHFS_INODE_BUCKETS];
	size_t count;
};

static struct cephfs_inode **cephfs_inode_slot(struct cephfs_inodes *t, uint64_t ino,
					       uint64_t snapid)
{
	struct cephfs_inode **p = &t->bucket[(ino ^ (snapid << 7)) % CEPHFS_INODE_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

/* Releases the unused inodes idle for older_than_ms (every unused one with
 * all).  Lock held; the releases are made with it released, the inodes
 * out of the table first. */
static void cephfs_inodes_release_idle(struct cephfs_export *ex, uint64_t older_than_ms, bool all)
{
	struct cephfs_inodes *t = ex->inodes;
	struct cephfs_inode *releasing = NULL;
	uint64_t now = clock_now_coarse_ms();

	for (size_t b = 0; b < CEPHFS_INODE_BUCKETS; b++) {
		struct cephfs_inode **p = &t->bucket[b];
		while (*p) {
			struct cephfs_inode *i = *p;
			if (i->users == 0 && (all || now - i->used_ms >= older_than_ms)) {
				*p = i->next;
				i->next = releasing;
				releasing = i;
				t->count--;
				continue;
			}
			p = &i->next;
		}
	}
	pthread_mutex_unlock(&t->lock);
	while (releasing) {
		struct cephfs_inode *i = releasing;
		releasing = i->next;
		ceph_ll_put(ex->cm, i->in);
		free(i);
	}
	pthread_mutex_lock(&t->lock);
}

static void cephfs_inodes_release_stale(struct cephfs_export *ex)
{
	cephfs_inodes_release_idle(ex, CEPHFS_INODE_IDLE_MS, false);
}

int cephfs_inodes_open(struct cephfs_export *ex)
{
	struct cephfs_inodes *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	cephfs_chore_init(&t->releaser, &t->lock, 1000, cephfs_inodes_release_stale, ex);
	ex->inodes = t;
	return cephfs_chore_start(&t->releaser);
}

void cephfs_inodes_close(struct cephfs_export *ex)
{
	struct cephfs_inodes *t = ex->inodes;

	if (!t)
		return;
	cephfs_chore_stop(&t->releaser);
	pthread_mutex_lock(&t->lock);
	cephfs_inodes_release_idle(ex, 0, true);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
	ex->inodes = NULL;
}

struct cephfs_inode *cephfs_inode_get(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				      struct Inode **in)
{
	struct cephfs_inodes *t = ex->inodes;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode *i = *cephfs_inode_slot(t, ino, snapid);
	if (i) {
		i->users++;
		*in = i->in;
	}
	pthread_mutex_unlock(&t->lock);
	return i;
}

struct cephfs_inode *cephfs_inode_keep(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				       struct Inode **in)
{
	struct cephfs_inodes *t = ex->inodes;
	struct cephfs_inode *n = calloc(1, sizeof(*n));
	struct Inode *extra = NULL;

	pthread_mutex_lock(&t->lock);
	if (t->count >= CEPHFS_INODE_MAX)
		cephfs_inodes_release_idle(ex, 0, false);
	struct cephfs_inode **slot = cephfs_inode_slot(t, ino, snapid);
	struct cephfs_inode *i = *slot;
	if (i) {
		/* Kept meanwhile by another request: that one's reference
		 * serves, and this one goes back. */
		i->users++;
		extra = *in;
		*in = i->in;
	} else if (n && t->count < CEPHFS_INODE_MAX) {
		i = n;
		n = NULL;
		i->ino = ino;
		i->snapid = snapid;
		i->in = *in;
		i->users = 1;
		*slot = i;
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
	struct cephfs_inodes *t = ex->inodes;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode *i = *cephfs_inode_slot(t, ino, snapid);
	int v = i ? atomic_load_explicit(&i->type, memory_order_relaxed) : 0;
	pthread_mutex_unlock(&t->lock);
	if (v == 0)
		return false;
	*type = (enum backend_ftype)v;
	return true;
}

void cephfs_inode_put(struct cephfs_export *ex, struct cephfs_inode *i)
{
	struct cephfs_inodes *t = ex->inodes;
	bool release;

	pthread_mutex_lock(&t->lock);
	i->users--;
	i->used_ms = clock_now_coarse_ms();
	release = i->forgotten && i->users == 0;
	pthread_mutex_unlock(&t->lock);
	if (release) {
		ceph_ll_put(ex->cm, i->in);
		free(i);
	}
}

void cephfs_inode_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_inodes *t = ex->inodes;
	struct cephfs_inode *release = NULL;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode **p = cephfs_inode_slot(t, ino, snapid);
	struct cephfs_inode *i = *p;
	if (i) {
		*p = i->next;
		i->next = NULL;
		t->count--;
		if (i->users == 0)
			release = i;
		else
			i->forgotten = true;
	}
	pthread_mutex_unlock(&t->lock);
	if (release) {
		ceph_ll_put(ex->cm, release->in);
		free(release);
	}
}

void cephfs_inode_forget(struct cephfs_export *ex, struct cephfs_inode *i)
{
	struct cephfs_inodes *t = ex->inodes;

	pthread_mutex_lock(&t->lock);
	struct cephfs_inode **p = cephfs_inode_slot(t, i->ino, i->snapid);
	if (*p == i) {
		*p = i->next;
		i->next = NULL;
		i->forgotten = true;
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
}
