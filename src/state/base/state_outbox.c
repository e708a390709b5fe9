/* The outbox, part of the base: every side effect the state module decides
 * on and leaves to the NFSv4 layer waits here until it is taken, in one
 * place whichever part queued it: callbacks to send (CB_RECALL,
 * CB_GETATTR, CB_RECALL_ANY), files whose back-end lease is to go, and the
 * write holds of files whose first writer came or last went.  The NFSv4
 * layer drains it after a COMPOUND; the state thread has it drained
 * otherwise (state_deleg_work_run). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"

/* The three queues are arrays that double as they fill, from first
 * entries up to most.  v itself when it has room for one more of its n
 * entries (*cap of them), else v grown (*cap updated), or NULL when it may
 * not grow or there is no memory (v is kept). */
static void *queue_room(void *v, size_t n, size_t *cap, size_t size, size_t first, size_t most)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : first;
	void *p = c <= most ? realloc(v, c * size) : NULL;
	if (p)
		*cap = c;
	return p;
}

void state_outbox_flag(struct state_server *st)
{
	bool urgent = st->outbox.ncbs > 0 || st->outbox.nunleased > 0;
	atomic_store_explicit(&st->outbox.urgent, urgent, memory_order_release);
	atomic_store_explicit(&st->outbox.work, urgent || st->outbox.nwholds > 0,
			      memory_order_release);
}

bool state_deleg_work_pending(struct state_server *st)
{
	return atomic_load_explicit(&st->outbox.work, memory_order_acquire);
}

bool state_deleg_callbacks_urgent(struct state_server *st)
{
	return atomic_load_explicit(&st->outbox.urgent, memory_order_acquire);
}

void state_deleg_work_run(struct state_server *st)
{
	if (st->opts.work && state_deleg_work_pending(st))
		st->opts.work(st->opts.cb_ctx);
}

void state_outbox_kick(struct state_server *st)
{
	/* Callbacks and lease drops only: a COMPOUND still running keeps its
	 * write holds for its own end (a CLOSE after the OPEN cancels one). */
	if (!st->opts.work || !state_deleg_callbacks_urgent(st))
		return;
	pthread_mutex_lock(&st->lock);
	st->outbox_kicked = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* Moves the oldest entries of queue v (up to max of its *n) to out, and
 * says how many; lock held (v is the queue as it is under it).  What is
 * left pending changes, so the outbox's flags follow. */
static size_t queue_take(struct state_server *st, void *v, size_t *n, void *out, size_t max,
			 size_t size)
{
	size_t k = *n < max ? *n : max;
	if (k > 0) {
		memcpy(out, v, k * size);
		memmove(v, (char *)v + k * size, (*n - k) * size);
		*n -= k;
	}
	state_outbox_flag(st);
	return k;
}

size_t state_deleg_take_callbacks(struct state_server *st, struct state_deleg_cb *out, size_t max)
{
	pthread_mutex_lock(&st->lock);
	size_t n = queue_take(st, st->outbox.cbs, &st->outbox.ncbs, out, max, sizeof(*out));
	pthread_mutex_unlock(&st->lock);
	return n;
}

void state_outbox_fini(struct state_server *st)
{
	struct state_outbox *t = &st->outbox;
	free(t->cbs);
	free(t->unleased);
	free(t->wholds);
	memset(t, 0, sizeof(*t));
}

/* A free entry of the callback queue, or NULL (logged) when it is full. */
struct state_deleg_cb *state_outbox_callback_slot(struct state_server *st)
{
	struct state_outbox *t = &st->outbox;
	struct state_deleg_cb *p = queue_room(t->cbs, t->ncbs, &t->cbs_cap, sizeof(*p), 16,
					      STATE_DELEG_PENDING_MAX);
	if (!p) {
		/* Not sent: a recall then ends with the lease (revoked), a
		 * CB_GETATTR with a recall by the next GETATTR. */
		log_warn("state: callback queue full; a callback is dropped");
		return NULL;
	}
	t->cbs = p;
	struct state_deleg_cb *cb = &t->cbs[t->ncbs++];
	memset(cb, 0, sizeof(*cb));
	return cb;
}

void state_outbox_unlease(struct state_server *st, const struct state_file_key *key)
{
	struct state_outbox *t = &st->outbox;
	struct state_file_key *p = queue_room(t->unleased, t->nunleased, &t->unleased_cap,
					      sizeof(*p), 16, STATE_DELEG_PENDING_MAX);
	if (!p) {
		log_warn("state: a delegated file's lease stays held (out of memory)");
		return;
	}
	t->unleased = p;
	t->unleased[t->nunleased++] = *key;
	state_outbox_flag(st);
}

/* --- write holds ------------------------------------------------------------------ */

enum { WRITE_HOLD_CANCEL_SPAN = 64 };

/* A release whose hold is still queued cancels it: the back end never
 * heard of that writer, so there is nothing to tell it (an OPEN, WRITE,
 * CLOSE COMPOUND, whose WRITE opened its own descriptor).  Only the
 * newest entries are looked at: the queue is drained at the end of every
 * COMPOUND, so a pair is close together or not worth the search. */
static bool cancel_queued_hold(struct state_outbox *t, const struct state_file_key *key)
{
	size_t stop = t->nwholds > WRITE_HOLD_CANCEL_SPAN ? t->nwholds - WRITE_HOLD_CANCEL_SPAN : 0;
	for (size_t i = t->nwholds; i-- > stop;) {
		struct state_write_hold *h = &t->wholds[i];
		if (!state_file_key_eq(&h->file, key))
			continue;
		/* The file's newest entry: its hold (holds and releases of a
		 * file alternate), or a release if the hold was lost. */
		if (!h->on)
			return false;
		memmove(h, h + 1, (t->nwholds - i - 1) * sizeof(*h));
		t->nwholds--;
		return true;
	}
	return false;
}

void state_outbox_write_hold(struct state_server *st, const struct state_file_key *key, bool on)
{
	struct state_outbox *t = &st->outbox;
	if (!on && cancel_queued_hold(t, key)) {
		state_outbox_flag(st);
		return;
	}
	struct state_write_hold *p = queue_room(t->wholds, t->nwholds, &t->wholds_cap, sizeof(*p),
						64, STATE_WRITE_HOLDS_MAX);
	if (!p) {
		/* A lost hold keeps nothing; a lost release keeps a descriptor
		 * until the file's next release. */
		log_warn("state: write-hold queue full; the back end is not told");
		return;
	}
	t->wholds = p;
	t->wholds[t->nwholds++] = (struct state_write_hold){.file = *key, .on = on};
	state_outbox_flag(st);
}

size_t state_take_write_holds(struct state_server *st, struct state_write_hold *out, size_t max)
{
	pthread_mutex_lock(&st->lock);
	size_t n = queue_take(st, st->outbox.wholds, &st->outbox.nwholds, out, max, sizeof(*out));
	pthread_mutex_unlock(&st->lock);
	return n;
}

