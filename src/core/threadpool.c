#include "core/threadpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

struct threadpool {
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 9 */
	pthread_cond_t wake;
	struct threadpool_task *head, *tail;
	bool stopping;
	/* Workers waiting on wake: a task submitted while all are busy
	 * needs no signal (a busy worker looks at the queue before it
	 * waits). */
	unsigned idle;
	unsigned nthreads;
	char name[12];
	pthread_t threads[];
};

struct worker_start {
	struct threadpool *pool;
	unsigned index;
};

static void *threadpool_worker(void *arg)
{
	struct threadpool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->head && !pool->stopping) {
			pool->idle++;
			pthread_cond_wait(&pool->wake, &pool->lock);
			pool->idle--;
		}
		struct threadpool_task *task = pool->head;
		if (!task)
			break; /* stopping and drained */
		pool->head = task->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		task->next = NULL;
		task->run(task);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct threadpool *threadpool_create(const char *name, unsigned threads)
{
	if (threads == 0)
		threads = 1;
	struct threadpool *pool = calloc(1, sizeof(*pool) + threads * sizeof(pthread_t));
	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, threadpool_worker, pool) != 0) {
			log_error("threadpool %s: cannot start worker %u", name, i);
			threadpool_destroy(pool);
			return NULL;
		}
		pool->nthreads++;
		char tname[16];
		snprintf(tname, sizeof(tname), "%.8s%u", pool->name, i % 10000);
		pthread_setname_np(pool->threads[i], tname);
	}
	return pool;
}

void threadpool_submit(struct threadpool *pool, struct threadpool_task *task)
{
	task->next = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = task;
	else
		pool->head = task;
	pool->tail = task;
	bool wake = pool->idle > 0;
	pthread_mutex_unlock(&pool->lock);
	/* After the unlock: a worker woken under the lock would only block
	 * on it at once (most of the pool's futex time under write4k). */
	if (wake)
		pthread_cond_signal(&pool->wake);
}

void threadpool_destroy(struct threadpool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool);
}
