/* What the ceph back end keeps per inode between requests (its open files,
 * ceph_files.c; the inodes of resolved handles, ceph_inodes.c): a table by
 * inode number and snapshot id of entries that requests use, or that have
 * been idle since their last use, and a thread that lets go of those idle
 * for a few seconds, so that what they hold (capabilities, an inode kept
 * from libcephfs's cache trimming) goes back to the MDS. */
#include <errno.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"

struct cephfs_kept **cephfs_kept_slot(struct cephfs_kept_table *t, uint64_t ino, uint64_t snapid)
{
	struct cephfs_kept **p = &t->bucket[(ino ^ (snapid << 7)) % CEPHFS_KEPT_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

void cephfs_kept_release_idle(struct cephfs_export *ex, struct cephfs_kept_table *t,
			      uint64_t older_than_ms)
{
	struct cephfs_kept *releasing = NULL;
	uint64_t now = clock_now_coarse_ms();

	for (size_t b = 0; b < CEPHFS_KEPT_BUCKETS; b++) {
		struct cephfs_kept **p = &t->bucket[b];
		while (*p) {
			struct cephfs_kept *k = *p;
			if (k->users == 0 && now - k->used_ms >= older_than_ms) {
				*p = k->next;
				k->next = releasing;
				releasing = k;
				t->count--;
				continue;
			}
			p = &k->next;
		}
	}
	pthread_mutex_unlock(&t->lock);
	while (releasing) {
		struct cephfs_kept *k = releasing;
		releasing = k->next;
		t->release(ex, k);
	}
	pthread_mutex_lock(&t->lock);
}

int cephfs_kept_open(struct cephfs_export *ex, struct cephfs_kept_table *t,
		     void (*sweep)(struct cephfs_export *ex),
		     void (*release)(struct cephfs_export *ex, struct cephfs_kept *k))
{
	pthread_mutex_init(&t->lock, NULL);
	t->release = release;
	cephfs_chore_init(&t->sweeper, &t->lock, 1000, sweep, ex);
	return cephfs_chore_start(&t->sweeper);
}

void cephfs_kept_close(struct cephfs_export *ex, struct cephfs_kept_table *t)
{
	cephfs_chore_stop(&t->sweeper);
	pthread_mutex_lock(&t->lock);
	cephfs_kept_release_idle(ex, t, 0);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
}
