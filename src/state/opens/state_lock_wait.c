/* Waiters of denied blocking locks and their notices (CB_NOTIFY_LOCK,
 * RFC 8881 18.10.4 and 20.11); the contract is in state.h.
 *
 * Everything but the flush runs under st->lock.  A waiter hangs on its
 * file (which it keeps from being freed) and on the server's list, oldest
 * first, so expiry stops at the first waiter still in time.  A notice is
 * a copy of what the hook needs, so the waiter, its file and its owner may
 * go before the notice is sent. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"

static void waiters_client_gone(struct state_server *st, struct state_client *cl)
{
	state_waiters_forget(st, cl->clientid, NULL, 0);
}

void state_waiters_init(struct state_server *st)
{
	state_hooks_add_client_gone(st, waiters_client_gone);
	list_init(&st->waiters);
	st->notices_tail = &st->notices;
	pthread_cond_init(&st->notify_cond, NULL);
}

static bool waiter_is(const struct state_waiter *w, uint64_t clientid, const uint8_t *owner,
		      uint32_t owner_len)
{
	return w->clientid == clientid && w->owner_len == owner_len &&
	       memcmp(w->owner, owner, owner_len) == 0;
}

static struct state_waiter *waiter_find(struct state_file *f, uint64_t clientid,
					const uint8_t *owner, uint32_t owner_len)
{
	list_for_each_entry(w, &f->waiters, struct state_waiter, file_link) {
		if (waiter_is(w, clientid, owner, owner_len))
			return w;
	}
	return NULL;
}

static void waiter_free(struct state_server *st, struct state_waiter *w)
{
	list_del(&w->file_link);
	list_del(&w->all_link);
	w->file->n_waiters--;
	st->n_waiters--;
	free(w);
}

bool state_waiter_add(struct state_server *st, struct state_file *f, uint64_t clientid,
		      const uint8_t *owner, uint32_t owner_len, uint32_t type, uint64_t start,
		      uint64_t last)
{
	struct state_waiter *w = waiter_find(f, clientid, owner, owner_len);
	if (w) {
		/* Moves to the young end of the expiry list. */
		list_del(&w->all_link);
	} else {
		if (f->n_waiters >= STATE_WAITERS_PER_FILE || st->n_waiters >= STATE_WAITERS_MAX)
			return false; /* the client polls, as it would without notices */
		w = malloc(sizeof(*w) + owner_len);
		if (!w)
			return false;
		w->file = f;
		w->clientid = clientid;
		w->owner_len = owner_len;
		memcpy(w->owner, owner, owner_len);
		list_add_tail(&f->waiters, &w->file_link);
		f->n_waiters++;
		st->n_waiters++;
	}
	w->type = type;
	w->start = start;
	w->last = last;
	w->expires_ms = state_now_ms() + st->opts.lease_ms;
	list_add_tail(&st->waiters, &w->all_link);
	return true;
}

bool state_waiter_carried(struct state_server *st, struct state_file *f, uint64_t clientid,
			  const uint8_t *owner, uint32_t owner_len, uint32_t type, uint64_t start,
			  uint64_t last, uint64_t expires_ms)
{
	if (!state_waiter_add(st, f, clientid, owner, owner_len, type, start, last))
		return false;
	/* Added last, and carried oldest first: the list stays in expiry
	 * order. */
	struct state_waiter *w = container_of(st->waiters.prev, struct state_waiter, all_link);
	w->expires_ms = expires_ms;
	return true;
}

void state_waiter_drop(struct state_server *st, struct state_file *f, uint64_t clientid,
		       const uint8_t *owner, uint32_t owner_len)
{
	struct state_waiter *w = f->n_waiters ? waiter_find(f, clientid, owner, owner_len) : NULL;
	if (w)
		waiter_free(st, w);
}

static void notice_queue(struct state_server *st, const struct state_waiter *w)
{
	struct state_notice *n = malloc(sizeof(*n) + w->owner_len);
	if (!n)
		return; /* the client's own polling covers it */
	n->next = NULL;
	n->released = false;
	n->owner_id = 0;
	n->clientid = w->clientid;
	n->file = w->file->key;
	n->owner_len = w->owner_len;
	memcpy(n->owner, w->owner, w->owner_len);
	*st->notices_tail = n;
	st->notices_tail = &n->next;
	atomic_store(&st->notices_queued, true);
}

void state_lock_release_queue(struct state_server *st, const struct state_owner *o,
			      const struct state_file *f)
{
	struct state_notice *n = malloc(sizeof(*n) + o->len);
	if (!n) {
		/* The back end keeps the locks until its file is closed (on
		 * ceph, at unmount): other servers' clients see them longer. */
		log_warn("state: no memory to let go of a lock owner's locks in the back end");
		return;
	}
	n->next = NULL;
	n->released = true;
	n->owner_id = state_lock_owner_id(st, o->clientid, o->bytes, o->len);
	n->clientid = o->clientid;
	n->file = f->key;
	n->owner_len = o->len;
	memcpy(n->owner, o->bytes, o->len);
	*st->notices_tail = n;
	st->notices_tail = &n->next;
	atomic_store(&st->notices_queued, true);
}

void state_waiters_wake(struct state_server *st, struct state_file *f, bool keep)
{
	/* Blocked NLM LOCKs take their locks first: they were promised them;
	 * a v4 waiter is only told to ask again. */
	if (f && !list_empty(&f->nlm_blocks))
		state_nlm_blocks_wake(st, f);
	if (!f || f->n_waiters == 0)
		return;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->waiters)
	{
		struct state_waiter *w = container_of(pos, struct state_waiter, file_link);
		/* The waiter's own locks never block it (it may hold part of
		 * the range already). */
		const struct state_owner *lo = state_owner_find(st, w->clientid, STATE_OWNER_LOCK,
								 w->owner, w->owner_len);
		if (state_lock_conflict(f, w->type, w->start, w->last,
					lo ? state_range_of_owner : NULL, lo))
			continue;
		/* Notified once: a client that loses the race asks again with
		 * READW/WRITEW and waits anew. */
		notice_queue(st, w);
		waiter_free(st, w);
	}
	if (!keep)
		state_file_maybe_free(st, f);
}

void state_waiters_forget(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			  uint32_t owner_len)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->waiters)
	{
		struct state_waiter *w = container_of(pos, struct state_waiter, all_link);
		if (w->clientid != clientid || (owner && !waiter_is(w, clientid, owner, owner_len)))
			continue;
		struct state_file *f = w->file;
		waiter_free(st, w);
		state_file_maybe_free(st, f);
	}
}

void state_waiters_expire(struct state_server *st, uint64_t now)
{
	while (!list_empty(&st->waiters)) {
		struct state_waiter *w =
			container_of(st->waiters.next, struct state_waiter, all_link);
		if (w->expires_ms > now)
			break;
		struct state_file *f = w->file;
		waiter_free(st, w);
		state_file_maybe_free(st, f);
	}
}

void state_waiters_fini(struct state_server *st)
{
	while (!list_empty(&st->waiters)) {
		struct state_waiter *w =
			container_of(st->waiters.next, struct state_waiter, all_link);
		struct state_file *f = w->file;
		waiter_free(st, w);
		state_file_maybe_free(st, f);
	}
	while (st->notices) {
		struct state_notice *n = st->notices;
		st->notices = n->next;
		free(n);
	}
	st->notices_tail = &st->notices;
	pthread_cond_destroy(&st->notify_cond);
}

void state_lock_notify_set(struct state_server *st, state_lock_notify_fn fn, void *ctx)
{
	pthread_mutex_lock(&st->lock);
	st->notify_fn = fn;
	st->notify_ctx = ctx;
	while (st->notify_busy)
		pthread_cond_wait(&st->notify_cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

void state_lock_notify_flush(struct state_server *st)
{
	if (!atomic_load(&st->notices_queued))
		return;
	pthread_mutex_lock(&st->lock);
	struct state_notice *list = st->notices;
	state_lock_notify_fn fn = st->notify_fn;
	void *ctx = st->notify_ctx;
	st->notices = NULL;
	st->notices_tail = &st->notices;
	/* NLM grants ride on the same flag: taken with the notices, under
	 * the lock that clears it, so that none queued meanwhile is left
	 * behind a cleared flag. */
	struct state_nlm_grant_item *grants = state_nlm_grants_take(st);
	state_nlm_grant_fn grant_fn = st->nlm_grant_fn;
	void *grant_ctx = st->nlm_grant_ctx;
	atomic_store(&st->notices_queued, false);
	bool busy = (fn && list) || (grant_fn && grants);
	if (busy)
		st->notify_busy++;
	pthread_mutex_unlock(&st->lock);
	state_nlm_grants_send(grants, grant_fn, grant_ctx);
	while (list) {
		struct state_notice *n = list;
		list = n->next;
		if (fn) {
			struct state_lock_notice ln = {
				.clientid = n->clientid,
				.file = &n->file,
				.owner = n->owner,
				.owner_len = n->owner_len,
				.released = n->released,
				.owner_id = n->owner_id,
			};
			fn(ctx, &ln);
		}
		free(n);
	}
	if (busy) {
		pthread_mutex_lock(&st->lock);
		if (--st->notify_busy == 0)
			pthread_cond_broadcast(&st->notify_cond);
		pthread_mutex_unlock(&st->lock);
	}
}
