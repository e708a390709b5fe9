#include "core/workers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"

int workers_init(struct workers *w)
{
	w->nthreads = 0;
	w->threads = NULL;
	atomic_init(&w->stop, false);
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);
	if (rc)
		return -rc;
	/* Deadlines are clock_now_ms() values: a change of the wall clock
	 * must not stretch or cut a wait. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -rc;
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

static void *workers_main(void *p)
{
	struct workers *w = p;
	pthread_mutex_lock(&w->lock);
	w->body(w->arg);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workers_start(struct workers *w, unsigned n, const char *name, workers_body_fn *body,
		  void *arg)
{
	if (n == 0)
		n = 1;
	w->threads = calloc(n, sizeof(*w->threads));
	if (!w->threads)
		return -ENOMEM;
	w->body = body;
	w->arg = arg;
	for (unsigned i = 0; i < n; i++) {
		int rc = pthread_create(&w->threads[i], NULL, workers_main, w);
		if (rc)
			return -rc;
		w->nthreads++;
		if (name) {
			char tname[16];
			snprintf(tname, sizeof(tname), "%.8s%u", name, i % 10000);
			pthread_setname_np(w->threads[i], tname);
		}
	}
	return 0;
}

int workers_launch(struct workers *w, unsigned n, const char *name, workers_body_fn *body,
		   void *arg)
{
	int rc = workers_init(w);
	if (rc)
		return rc;
	rc = workers_start(w, n, name, body, arg);
	if (rc)
		workers_close(w);
	return rc;
}

void workers_close(struct workers *w)
{
	workers_stop(w);
	workers_destroy(w);
}

bool workers_wait_until(struct workers *w, uint64_t deadline_ms)
{
	if (!deadline_ms) {
		pthread_cond_wait(&w->cond, &w->lock);
		return true;
	}
	uint64_t now = clock_now_ms();
	if (deadline_ms <= now)
		return false;
	struct timespec ts = clock_deadline_ms(deadline_ms - now);
	return pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT;
}

void workers_stop(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	w->nthreads = 0;
}

void workers_destroy(struct workers *w)
{
	free(w->threads);
	w->threads = NULL;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}
