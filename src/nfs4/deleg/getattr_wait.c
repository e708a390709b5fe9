/* GETATTRs parked on a CB_GETATTR (deleg.h, nfs4_ga_wait_*): a registry
 * of waiters by delegation stateid and one timer thread for their
 * deadlines.  Whoever unlinks a waiter (the answer, the deadline or the
 * stop) resumes its COMPOUND; that is what makes the resume happen once.
 *
 * Lock: the registry's lock (struct nfs4_ga_waits.workers.lock), level 9b of
 * core/lock_order.h: a leaf, taken with nothing held; rpc_park_resume is
 * called after it is released. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/workers.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/server.h"

struct nfs4_ga_waits {
	/* One timer thread; workers.lock: lock order, core/lock_order.h,
	 * level 9b. */
	struct workers workers;
	struct nfs4_ga_wait *head; /* unordered: a handful at a time */
	uint64_t tickets;          /* the last ticket given to a waiter */
};

static void waits_resume_list(struct nfs4_ga_wait *list)
{
	while (list) {
		struct nfs4_ga_wait *w = list;
		list = w->next;
		w->next = NULL;
		rpc_park_resume(w->park);
	}
}

/* The deadline thread (workers_body_fn: called with the registry's lock
 * held). */
static void waits_timer(void *arg)
{
	struct nfs4_ga_waits *gw = arg;
	for (;;) {
		bool stop = workers_stopping(&gw->workers);
		uint64_t now = clock_now_ms(), next = 0;
		struct nfs4_ga_wait *due = NULL;
		for (struct nfs4_ga_wait **pp = &gw->head; *pp;) {
			struct nfs4_ga_wait *w = *pp;
			if (stop || w->deadline_ms <= now) {
				*pp = w->next;
				w->next = due;
				due = w;
				continue;
			}
			if (!next || w->deadline_ms < next)
				next = w->deadline_ms;
			pp = &w->next;
		}
		if (due) {
			pthread_mutex_unlock(&gw->workers.lock);
			waits_resume_list(due);
			pthread_mutex_lock(&gw->workers.lock);
			continue;
		}
		if (stop)
			break;
		workers_wait_until(&gw->workers, next);
	}
}

int nfs4_ga_waits_start(struct nfs4_server *srv)
{
	struct nfs4_ga_waits *gw = calloc(1, sizeof(*gw));
	if (!gw)
		return -ENOMEM;
	int rc = workers_launch(&gw->workers, 1, NULL, waits_timer, gw);
	if (rc) {
		free(gw);
		return rc;
	}
	srv->ga_waits = gw;
	return 0;
}

void nfs4_ga_waits_stop(struct nfs4_server *srv)
{
	struct nfs4_ga_waits *gw = srv->ga_waits;
	if (!gw)
		return;
	workers_close(&gw->workers);
	free(gw);
	srv->ga_waits = NULL;
}

/* Resumes w if it is still the waiter registered with ticket: the caller
 * no longer owns w once it is registered (whoever unlinks it resumes the
 * COMPOUND, which frees it), so w is only compared, and the ticket tells
 * it from a later waiter that got the same memory. */
static void waits_kick(struct nfs4_ga_waits *gw, const struct nfs4_ga_wait *w, uint64_t ticket)
{
	struct nfs4_ga_wait *found = NULL;
	pthread_mutex_lock(&gw->workers.lock);
	for (struct nfs4_ga_wait **pp = &gw->head; *pp; pp = &(*pp)->next) {
		if (*pp == w && w->ticket == ticket) {
			found = *pp;
			*pp = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&gw->workers.lock);
	if (found) {
		found->next = NULL;
		rpc_park_resume(found->park);
	}
}

bool nfs4_ga_wait_add(struct nfs4_server *srv, struct nfs4_ga_wait *w, unsigned timeout_ms)
{
	struct nfs4_ga_waits *gw = srv->ga_waits;
	if (!gw)
		return false;
	/* Copied before w is linked: from then on an answer or the deadline
	 * may resume the COMPOUND, which frees w. */
	struct nfs4_stateid sid = w->stateid;
	w->deadline_ms = clock_now_ms() + timeout_ms;
	pthread_mutex_lock(&gw->workers.lock);
	bool ok = !workers_stopping(&gw->workers);
	uint64_t ticket = 0;
	if (ok) {
		ticket = w->ticket = ++gw->tickets;
		w->next = gw->head;
		gw->head = w;
		pthread_cond_signal(&gw->workers.cond);
	}
	pthread_mutex_unlock(&gw->workers.lock);
	/* The CB_GETATTR went out before the wait was registered: its answer
	 * may be in already, and nobody else would wake this one. */
	if (ok && state_deleg_getattr_answered(srv->state, &sid))
		waits_kick(gw, w, ticket);
	return ok;
}

struct nfs4_ga_wait *nfs4_ga_wait_take(struct nfs4_server *srv, const struct nfs4_stateid *sid,
				       const struct nfs4_ga_values *v, unsigned *n)
{
	struct nfs4_ga_waits *gw = srv->ga_waits;
	*n = 0;
	if (!gw)
		return NULL;
	struct nfs4_ga_wait *list = NULL;
	pthread_mutex_lock(&gw->workers.lock);
	for (struct nfs4_ga_wait **pp = &gw->head; *pp;) {
		struct nfs4_ga_wait *w = *pp;
		if (memcmp(w->stateid.other, sid->other, sizeof(sid->other)) != 0) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (v)
			w->values = *v;
		w->next = list;
		list = w;
		(*n)++;
	}
	pthread_mutex_unlock(&gw->workers.lock);
	return list;
}

void nfs4_ga_wait_resume(struct nfs4_ga_wait *list)
{
	waits_resume_list(list);
}
