/* A group of long-lived threads that share one lock, one condition
 * variable and a stop flag.
 *
 * Every service thread of the server has this shape: the deferral pool
 * (threadpool.c), the callback workers, the copy workers, the CB_GETATTR
 * deadline timer and the CB_NOTIFY sender (src/nfs4).  The owner embeds a
 * struct workers, writes the thread body and decides what its lock guards;
 * the start, the timed waits and the stop are written here once, so that a
 * stop is never missed by a thread about to wait and every timed wait runs
 * on the monotonic clock.
 *
 * Lock: `lock` has the level of the owner that embeds it (the owner's
 * declaration cites core/lock_order.h). */
#ifndef FERRY_CORE_WORKERS_H
#define FERRY_CORE_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC: see workers_wait_until */
	/* Set by workers_stop under the lock; an owner may also read it
	 * without the lock (a long job polling whether to give up). */
	_Atomic bool stop;
	unsigned nthreads; /* started and not yet joined */
	pthread_t *threads;
	void (*body)(void *arg);
	void *arg;
};

/* Initialises the lock and the condition variable.  Returns 0 or a
 * negative errno (nothing to undo then). */
int workers_init(struct workers *w);

/* A thread's body: called with the group's lock held, it returns (lock
 * held) once it has seen workers_stopping() and finished; it may drop the
 * lock while it works. */
typedef void workers_body_fn(void *arg);

/* Starts n threads running body(arg) (n == 0 starts one: a group with no
 * thread would never do its work), each named "<name>N" (the first 8
 * characters of name) when name is not NULL.  Returns 0, or a negative
 * errno when a thread could not be started: the ones started before it
 * (nthreads) run until workers_stop, which the caller still owes. */
int workers_start(struct workers *w, unsigned n, const char *name, workers_body_fn *body,
		  void *arg);

/* workers_init and workers_start, all or nothing: when a thread cannot
 * start, the ones started are stopped and everything is freed.  Returns 0
 * or a negative errno. */
int workers_launch(struct workers *w, unsigned n, const char *name, workers_body_fn *body,
		   void *arg);

/* Whether workers_stop has begun (with or without the lock held). */
static inline bool workers_stopping(const struct workers *w)
{
	return atomic_load(&w->stop);
}

/* With the lock held: waits for a signal of cond, or until deadline_ms of
 * clock_now_ms() (0: no deadline).  Returns false when the deadline has
 * passed, without waiting if it had passed already; true on a wake-up
 * (which may be spurious: the caller looks at its state again). */
bool workers_wait_until(struct workers *w, uint64_t deadline_ms);

/* Sets the stop flag, wakes every thread and joins them; called without
 * the lock.  The bodies see workers_stopping() and return.  Calling it
 * again does nothing more. */
void workers_stop(struct workers *w);

/* Frees what workers_init and workers_start took; after workers_stop (or
 * when no thread was started). */
void workers_destroy(struct workers *w);

/* workers_stop then workers_destroy, for an owner with nothing to do
 * between the threads' end and the freeing. */
void workers_close(struct workers *w);

#endif
