/* The byte-range locks a back end holds for ferryd (backend_ops.lock),
 * handed from one process to the next at an in-place upgrade.
 *
 * A ceph export's locks are the MDS's, kept per CephFS client session, and
 * the new ferryd mounts under a session of its own: it cannot inherit the
 * old one's locks, only take them again.  So the old ferryd lets go of
 * them in the back end once its state image lists them (it serves nothing
 * by then), the new one takes each range again, as the owner it has in
 * its own state, before it says it is ready, and refuses the upgrade if
 * one cannot be taken (the old one then takes them all again and serves
 * on).  For the milliseconds in between no session holds them: another
 * client of the file system that asks for a conflicting lock just then
 * gets it, and the upgrade fails rather than leave an NFS client holding
 * a lock the storage does not.
 *
 * Each range (or owner's file) is one round trip to the MDS or more (the
 * new process first opens each file): they go out from
 * BACKEND_LOCKS_THREADS threads at a time, the upgrade reading no request
 * meanwhile. */
#include "export/backend_locks.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/log.h"
#include "export/export.h"
#include "state/state.h"

enum {
	/* Calls to the back ends at a time. */
	BACKEND_LOCKS_THREADS = 16,
	/* An item not tried (a take stopped by another's failure). */
	LOCK_NOT_TRIED = 1,
};

static bool selected(const struct state_backend_lock *l, struct export_backend_locks_which w)
{
	return l->nlm ? w.nlm : w.nfs4;
}

static struct export *lock_export(struct exports *exps, const struct state_backend_lock *l)
{
	struct export *ex = exports_find(exps, l->file.export_id);
	return ex && ex->ops->lock ? ex : NULL;
}

/* The back end's length for an inclusive range: 0 is "to the end". */
static uint64_t range_length(const struct state_backend_lock *l)
{
	return l->last == UINT64_MAX ? 0 : l->last - l->start + 1;
}

/* By file, then owner: the ranges of one holder next to each other. */
static int holder_cmp(const void *pa, const void *pb)
{
	const struct state_backend_lock *a = pa, *b = pb;
	if (a->file.export_id != b->file.export_id)
		return a->file.export_id < b->file.export_id ? -1 : 1;
	if (a->file.bh.len != b->file.bh.len)
		return a->file.bh.len < b->file.bh.len ? -1 : 1;
	int c = memcmp(a->file.bh.data, b->file.bh.data, a->file.bh.len);
	if (c)
		return c;
	return a->owner_id < b->owner_id ? -1 : a->owner_id > b->owner_id;
}

/* Calls to the back ends, items handed out to the threads in turn. */
struct lock_job {
	struct exports *exps;
	const struct state_backend_lock *const *items;
	size_t n;
	bool unlock;   /* UNLOCK of the holder's whole file, else take the range */
	bool all_or_none; /* a failure stops the others */
	int *rc;       /* per item: 0, -errno, or LOCK_NOT_TRIED */
	_Atomic size_t next;
	_Atomic bool stop;
	_Atomic size_t first_failed; /* an item that failed (n: none) */
};

static int lock_item(struct lock_job *j, const struct state_backend_lock *l)
{
	struct export *ex = lock_export(j->exps, l);
	if (!ex)
		return j->unlock ? 0 : -ESTALE;
	if (j->unlock)
		return ex->ops->lock(ex->bex, &l->file.bh, l->owner_id, BACKEND_LOCK_UNLOCK, 0, 0,
				     false, NULL);
	struct backend_lock_conflict k;
	return ex->ops->lock(ex->bex, &l->file.bh, l->owner_id,
			     l->write ? BACKEND_LOCK_WRITE : BACKEND_LOCK_READ, l->start,
			     range_length(l), false, &k);
}

static void *lock_worker(void *arg)
{
	struct lock_job *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n || atomic_load(&j->stop))
			break;
		int rc = lock_item(j, j->items[i]);
		j->rc[i] = rc;
		if (rc == 0)
			continue;
		size_t none = j->n;
		atomic_compare_exchange_strong(&j->first_failed, &none, i);
		if (j->all_or_none)
			atomic_store(&j->stop, true);
	}
	return NULL;
}

/* Runs the job on up to BACKEND_LOCKS_THREADS threads, the caller's among
 * them. */
static void lock_job_run(struct lock_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		j->rc[i] = LOCK_NOT_TRIED;
	atomic_init(&j->next, 0);
	atomic_init(&j->stop, false);
	atomic_init(&j->first_failed, j->n);
	pthread_t threads[BACKEND_LOCKS_THREADS - 1];
	size_t want = j->n < BACKEND_LOCKS_THREADS ? j->n : BACKEND_LOCKS_THREADS;
	size_t started = 0;
	while (started + 1 < want && pthread_create(&threads[started], NULL, lock_worker, j) == 0)
		started++;
	lock_worker(j);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* Each owner's locks on a file go with one UNLOCK of the whole file,
 * which also tells the back end the owner holds nothing there (ceph closes
 * the file it locked through).  v is sorted by holder here. */
static void unlock_holders(struct exports *exps, struct state_backend_lock *v, size_t n,
			   struct export_backend_locks_which which)
{
	if (n == 0)
		return;
	const struct state_backend_lock **items = calloc(n, sizeof(*items));
	int *rc = calloc(n, sizeof(*rc));
	if (!items || !rc) {
		log_error("upgrade: out of memory letting go of the locks held in back ends");
		free(items);
		free(rc);
		return;
	}
	qsort(v, n, sizeof(*v), holder_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (selected(&v[i], which) && (k == 0 || holder_cmp(items[k - 1], &v[i]) != 0))
			items[k++] = &v[i];
	}
	struct lock_job j = {.exps = exps, .items = items, .n = k, .unlock = true, .rc = rc};
	lock_job_run(&j);
	for (size_t i = 0; i < k; i++) {
		if (rc[i] != 0)
			log_warn("upgrade: a lock of export %u not let go in its back end: %s",
				 items[i]->file.export_id, strerror(-rc[i]));
	}
	free(items);
	free(rc);
}

size_t export_backend_locks_release(struct exports *exps, struct state_server *st,
				    struct export_backend_locks_which which)
{
	struct state_backend_lock *v;
	size_t n;
	if (state_backend_locks(st, &v, &n) != 0) {
		log_error("upgrade: out of memory listing the locks held in back ends");
		return 0;
	}
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += selected(&v[i], which);
	unlock_holders(exps, v, n, which);
	free(v);
	return count;
}

/* What an item that could not be taken was, for the log or err. */
static void describe(struct exports *exps, const struct state_backend_lock *l, int rc, char *out,
		     size_t len)
{
	struct export *ex = lock_export(exps, l);
	snprintf(out, len, "a %s lock of bytes %llu-%llu on a file of export %s: %s",
		 l->write ? "write" : "read", (unsigned long long)l->start,
		 (unsigned long long)l->last, ex ? ex->name : "(gone)",
		 rc == -EAGAIN ? "another holder has a conflicting lock" : strerror(-rc));
}

int export_backend_locks_take(struct exports *exps, struct state_server *st,
			      struct export_backend_locks_which which, bool all_or_none,
			      size_t *taken, size_t *failed, char *err, size_t errlen)
{
	*taken = *failed = 0;
	struct state_backend_lock *v;
	size_t n;
	if (state_backend_locks(st, &v, &n) != 0) {
		snprintf(err, errlen, "out of memory listing the locks held in back ends");
		return -ENOMEM;
	}
	const struct state_backend_lock **items = n ? calloc(n, sizeof(*items)) : NULL;
	int *rc = n ? calloc(n, sizeof(*rc)) : NULL;
	if (n && (!items || !rc)) {
		free(items);
		free(rc);
		free(v);
		snprintf(err, errlen, "out of memory taking the locks held in back ends");
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (selected(&v[i], which))
			items[k++] = &v[i];
	struct lock_job j = {.exps = exps, .items = items, .n = k, .all_or_none = all_or_none,
			     .rc = rc};
	lock_job_run(&j);
	int result = 0;
	for (size_t i = 0; i < k; i++) {
		if (rc[i] == 0) {
			(*taken)++;
		} else if (rc[i] != LOCK_NOT_TRIED) {
			(*failed)++;
			if (!all_or_none) {
				char what[200];
				describe(exps, items[i], rc[i], what, sizeof(what));
				log_error("upgrade: lost %s (the NFS client still holds it in "
					  "ferryd's table)",
					  what);
			}
		}
	}
	size_t first = atomic_load(&j.first_failed);
	if (all_or_none && first < k) {
		char what[200];
		describe(exps, items[first], rc[first], what, sizeof(what));
		snprintf(err, errlen, "cannot take %s", what);
		result = rc[first];
		/* Those taken go again, and those that failed (the back end
		 * may hold part of one). */
		struct export_backend_locks_which all = {.nfs4 = true, .nlm = true};
		size_t m = 0;
		for (size_t i = 0; i < k; i++)
			if (rc[i] != LOCK_NOT_TRIED)
				v[m++] = *items[i];
		unlock_holders(exps, v, m, all);
		*taken = 0;
	}
	free(items);
	free(rc);
	free(v);
	return result;
}
