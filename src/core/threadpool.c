#include "core/threadpool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/workers.h"

struct threadpool {
	/* workers.lock: lock order, see core/lock_order.h, level 9; it
	 * guards the queue and idle. */
	struct workers workers;
	struct threadpool_task *head, *tail;
	/* Workers waiting on workers.cond: a task submitted while all are
	 * busy needs no signal (a busy worker looks at the queue before it
	 * waits). */
	unsigned idle;
};

/* A worker (workers_body_fn: called with the lock held); a task runs
 * without it. */
static void threadpool_worker(void *arg)
{
	struct threadpool *pool = arg;

	for (;;) {
		while (!pool->head && !workers_stopping(&pool->workers)) {
			pool->idle++;
			pthread_cond_wait(&pool->workers.cond, &pool->workers.lock);
			pool->idle--;
		}
		struct threadpool_task *task = pool->head;
		if (!task)
			break; /* stopping and drained */
		pool->head = task->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->workers.lock);
		task->next = NULL;
		task->run(task);
		pthread_mutex_lock(&pool->workers.lock);
	}
}

struct threadpool *threadpool_create(const char *name, unsigned threads)
{
	struct threadpool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	int rc = workers_launch(&pool->workers, threads, name, threadpool_worker, pool);
	if (rc) {
		log_error("threadpool %s: cannot start its workers: %s", name, strerror(-rc));
		free(pool);
		return NULL;
	}
	return pool;
}

void threadpool_submit(struct threadpool *pool, struct threadpool_task *task)
{
	task->next = NULL;
	pthread_mutex_lock(&pool->workers.lock);
	if (pool->tail)
		pool->tail->next = task;
	else
		pool->head = task;
	pool->tail = task;
	bool wake = pool->idle > 0;
	pthread_mutex_unlock(&pool->workers.lock);
	/* After the unlock: a worker woken under the lock would only block
	 * on it at once (most of the pool's futex time under write4k). */
	if (wake)
		pthread_cond_signal(&pool->workers.cond);
}

void threadpool_destroy(struct threadpool *pool)
{
	if (!pool)
		return;
	workers_close(&pool->workers);
	free(pool);
}
