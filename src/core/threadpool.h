/* A fixed pool of worker threads draining one FIFO of intrusive tasks.
 *
 * Used for work that may block for long (disk syncs, large I/O, lock
 * waits): quick requests run on the event-loop thread that read them. */
#ifndef FERRY_CORE_THREADPOOL_H
#define FERRY_CORE_THREADPOOL_H

#include <stddef.h>

struct threadpool_task {
	void (*run)(struct threadpool_task *task);
	struct threadpool_task *next; /* owned by the pool while queued */
};

struct threadpool;

/* Starts `threads` workers named "<name>N".  Returns NULL on failure. */
struct threadpool *threadpool_create(const char *name, unsigned threads);

/* Queues a task; the pool does not own the task memory: task->run must free
 * or recycle it.  Never blocks on the workers. */
void threadpool_submit(struct threadpool *pool, struct threadpool_task *task);

/* Runs every queued task, then stops and joins the workers, frees the pool. */
void threadpool_destroy(struct threadpool *pool);

#endif
