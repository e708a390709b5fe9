/* A housekeeping thread of a ceph export (ceph_internal.h, struct
 * cephfs_chore): the open files' closer, the leases' recall thread and the
 * directory watches each run their work every period, or at once when
 * woken, under their own table's lock. */
#include <errno.h>
#include <time.h>

#include "backend/ceph/ceph_internal.h"

static void *cephfs_chore_thread(void *arg)
{
	struct cephfs_chore *c = arg;

	pthread_mutex_lock(c->lock);
	while (!c->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += c->period_ms / 1000;
		until.tv_nsec += (long)(c->period_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->wake, c->lock, &until);
		if (!c->stop)
			c->work(c->ex);
	}
	pthread_mutex_unlock(c->lock);
	return NULL;
}

void cephfs_chore_init(struct cephfs_chore *c, pthread_mutex_t *lock, unsigned period_ms,
		       void (*work)(struct cephfs_export *ex), struct cephfs_export *ex)
{
	c->lock = lock;
	pthread_cond_init(&c->wake, NULL);
	c->period_ms = period_ms;
	c->work = work;
	c->ex = ex;
	c->stop = false;
	c->started = false;
}

int cephfs_chore_start(struct cephfs_chore *c)
{
	int rc = pthread_create(&c->thread, NULL, cephfs_chore_thread, c);
	if (rc)
		return -rc;
	c->started = true;
	return 0;
}

void cephfs_chore_wake(struct cephfs_chore *c)
{
	pthread_cond_signal(&c->wake);
}

void cephfs_chore_stop(struct cephfs_chore *c)
{
	pthread_mutex_lock(c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(c->lock);
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = false;
	pthread_cond_destroy(&c->wake);
}
