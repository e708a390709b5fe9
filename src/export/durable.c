/* The committer (export/durable.h): one thread that flushes, batch after
 * batch, what the calls waiting for it changed, each object once per batch.
 *
 * Lock: the committer's lock (struct export_durable.workers.lock), level 9g
 * of core/lock_order.h: a leaf, taken with nothing held; the back ends are
 * called and the parked requests resumed after it is released. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/test_setting.h"
#include "core/workers.h"
#include "export/durable.h"
#include "export/export.h"
#include "rpc/server.h"

struct export_durable {
	struct workers workers; /* one thread; lock: level 9g */
	struct export_durable_wait *head, **tail;
	_Atomic uint64_t flushes, waits, objects, errors, wait_ns;
	/* FERRY_TEST_DURABLE_FLUSH_DELAY_MS (a test setting, read once at
	 * start): each flush starts this late, so that a test sees calls
	 * share one whatever the disk under it (on tmpfs a flush ends before
	 * the next call is served, and none would). */
	unsigned test_flush_delay_ms;
};

void export_durable_wait_clear(struct export_durable_wait *w)
{
	if (!w)
		return;
	free(w->items);
	w->items = NULL;
	w->n = w->cap = 0;
}

bool export_durable_needed(const struct export *ex)
{
	return ex->ops->sync && !atomic_load_explicit(&ex->async, memory_order_relaxed);
}

/* Adds (export, h) to w, or ORs what into the entry it has already. */
static bool wait_add(struct export_durable_wait *w, struct export *ex,
		     const struct backend_handle *h, unsigned what)
{
	for (unsigned i = 0; i < w->n; i++) {
		struct export_durable_item *it = &w->items[i];
		if (it->export == ex && it->item.h.len == h->len &&
		    memcmp(it->item.h.data, h->data, h->len) == 0) {
			it->item.what |= what;
			return true;
		}
	}
	if (w->n == w->cap) {
		unsigned cap = w->cap ? 2 * w->cap : 4;
		struct export_durable_item *v = realloc(w->items, cap * sizeof(*v));
		if (!v)
			return false;
		w->items = v;
		w->cap = cap;
	}
	w->items[w->n++] = (struct export_durable_item){
		.export = ex, .item = {.h = *h, .what = what}};
	return true;
}

void export_durable_sync_now(struct export *ex, const struct backend_handle *h, unsigned what)
{
	struct backend_sync_item item = {.h = *h, .what = what};
	int rc = ex->ops->sync(ex->bex, &item, 1);
	if (rc)
		log_ratelimited("export %s: a change could not be made stable before its reply: %s",
				ex->name, strerror(-rc));
}

bool export_durable_add(struct export_durable_wait *w, struct export *ex,
			const struct backend_handle *h, unsigned what)
{
	if (wait_add(w, ex, h, what))
		return true;
	/* No memory to wait with the others: this change alone, here. */
	export_durable_sync_now(ex, h, what);
	return false;
}

/* Orders a batch's items by export, then handle, so that each object is
 * flushed once. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct export_durable_item *a = *(const struct export_durable_item *const *)pa;
	const struct export_durable_item *b = *(const struct export_durable_item *const *)pb;
	if (a->export != b->export)
		return a->export->id < b->export->id ? -1 : 1;
	if (a->item.h.len != b->item.h.len)
		return a->item.h.len < b->item.h.len ? -1 : 1;
	return memcmp(a->item.h.data, b->item.h.data, a->item.h.len);
}

/* An export whose flush failed in a batch, and how. */
struct flush_failure {
	const struct export *export;
	int err;
};

/* Flushes every item of the waits in list, each object once, export by
 * export; a wait's err is the error of the first export it named whose
 * flush failed.  With no memory to sort the batch, each wait is flushed
 * on its own. */
static void flush_batch(struct export_durable *d, struct export_durable_wait *list)
{
	size_t n = 0;
	for (struct export_durable_wait *w = list; w; w = w->next)
		n += w->n;
	const struct export_durable_item **all = malloc(n * sizeof(*all) + 1);
	struct backend_sync_item *items = malloc(n * sizeof(*items) + 1);
	struct flush_failure *failed = calloc(n + 1, sizeof(*failed));
	if (!all || !items || !failed) {
		free(all);
		free(items);
		free(failed);
		for (struct export_durable_wait *w = list; w; w = w->next) {
			w->err = 0;
			for (unsigned i = 0; i < w->n && w->err == 0; i++)
				w->err = w->items[i].export->ops->sync(w->items[i].export->bex,
								      &w->items[i].item, 1);
		}
		return;
	}
	size_t k = 0;
	for (struct export_durable_wait *w = list; w; w = w->next)
		for (unsigned i = 0; i < w->n; i++)
			all[k++] = &w->items[i];
	qsort(all, n, sizeof(*all), item_cmp);
	size_t nfailed = 0;
	for (size_t i = 0; i < n;) {
		/* One export's objects, each once with its flags merged. */
		struct export *ex = all[i]->export;
		unsigned m = 0;
		for (; i < n && all[i]->export == ex; i++) {
			if (m > 0 && item_cmp(&all[i], &all[i - 1]) == 0) {
				items[m - 1].what |= all[i]->item.what;
				continue;
			}
			items[m++] = all[i]->item;
		}
		int rc = ex->ops->sync(ex->bex, items, m);
		if (d)
			atomic_fetch_add_explicit(&d->objects, m, memory_order_relaxed);
		if (rc)
			failed[nfailed++] = (struct flush_failure){ex, rc};
	}
	for (struct export_durable_wait *w = list; w; w = w->next) {
		w->err = 0;
		for (unsigned i = 0; i < w->n && !w->err; i++)
			for (size_t f = 0; f < nfailed && !w->err; f++)
				if (w->items[i].export == failed[f].export)
					w->err = failed[f].err;
	}
	if (nfailed && d)
		atomic_fetch_add_explicit(&d->errors, 1, memory_order_relaxed);
	free(all);
	free(items);
	free(failed);
}

void export_durable_wait_start(struct export_durable *d, struct export_durable_wait *w,
			       struct rpc_park *park)
{
	w->park = park;
	w->queued = true;
	w->next = NULL;
	w->queued_ns = clock_now_ns();
	if (!d || !park) {
		/* No park (no memory for it), or no committer (an
		 * in-process test harness that did not start one):
		 * flushed here, alone, before the caller goes on. */
		flush_batch(NULL, w);
		if (park)
			rpc_park_resume(park);
		return;
	}
	pthread_mutex_lock(&d->workers.lock);
	*d->tail = w;
	d->tail = &w->next;
	pthread_cond_signal(&d->workers.cond);
	pthread_mutex_unlock(&d->workers.lock);
}

/* Lets the calls of a flushed batch go on, all with one hand-off to the
 * workers (a wake-up per call cost more than the flush's own CPU: a
 * quarter of ferryd's time under ferry-bench create went to switching
 * threads).  Each wait belongs to its call once resumed. */
static void resume_batch(struct export_durable *d, struct export_durable_wait *list)
{
	unsigned n = 0;
	for (struct export_durable_wait *w = list; w; w = w->next)
		n++;
	struct rpc_park **parks = malloc(n * sizeof(*parks));
	uint64_t now = clock_now_ns();
	unsigned k = 0;
	while (list) {
		struct export_durable_wait *w = list;
		list = w->next;
		w->next = NULL;
		atomic_fetch_add_explicit(&d->waits, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&d->wait_ns, now - w->queued_ns, memory_order_relaxed);
		if (parks)
			parks[k++] = w->park;
		else
			rpc_park_resume(w->park);
	}
	if (parks)
		rpc_park_resume_all(parks, k);
	free(parks);
}

/* The committer's thread (workers_body_fn: called with its lock held). */
static void committer(void *arg)
{
	struct export_durable *d = arg;
	for (;;) {
		if (!d->head) {
			if (workers_stopping(&d->workers))
				break;
			workers_wait_until(&d->workers, 0);
			continue;
		}
		struct export_durable_wait *list = d->head;
		d->head = NULL;
		d->tail = &d->head;
		pthread_mutex_unlock(&d->workers.lock);
		if (d->test_flush_delay_ms)
			usleep(d->test_flush_delay_ms * 1000u);
		flush_batch(d, list);
		atomic_fetch_add_explicit(&d->flushes, 1, memory_order_relaxed);
		resume_batch(d, list);
		pthread_mutex_lock(&d->workers.lock);
	}
}

int export_durable_start(struct export_durable **out)
{
	struct export_durable *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->tail = &d->head;
	d->test_flush_delay_ms =
		test_setting_ms("FERRY_TEST_DURABLE_FLUSH_DELAY_MS", "each flush starts late");
	int rc = workers_launch(&d->workers, 1, "commit", committer, d);
	if (rc) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void export_durable_stop(struct export_durable *d)
{
	if (!d)
		return;
	/* The thread flushes what is queued before it sees the stop. */
	workers_close(&d->workers);
	free(d);
}

void export_durable_stats_read(const struct export_durable *d, struct export_durable_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d)
		return;
	out->flushes = atomic_load_explicit(&d->flushes, memory_order_relaxed);
	out->waits = atomic_load_explicit(&d->waits, memory_order_relaxed);
	out->objects = atomic_load_explicit(&d->objects, memory_order_relaxed);
	out->errors = atomic_load_explicit(&d->errors, memory_order_relaxed);
	out->wait_ns = atomic_load_explicit(&d->wait_ns, memory_order_relaxed);
}
