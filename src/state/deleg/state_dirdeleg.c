/* Directory delegations: grant policy, conflicts, batches of
 * notifications and counters (contract in state/deleg/state_dirdeleg.h).  The
 * record, its recall, return and revocation are state_deleg.c's. */
#include <stdlib.h>
#include <string.h>

#include "state/deleg/state_dirdeleg.h"
#include "state/clients/session_internal.h"

static struct state_deleg *deleg_at(struct list_node *pos)
{
	return container_of(pos, struct state_deleg, s.file_link);
}

static uint32_t clamp_ms(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void grant_fill(const struct state_deleg *d, struct state_dirdeleg_grant *out)
{
	out->granted = true;
	state_stid_export(&d->s, &out->stateid);
	out->notify = d->dir->notify;
	out->child_attrs = d->dir->child_attrs;
	out->dir_attrs = d->dir->dir_attrs;
}

/* The smallest request the client's back channels take (st->lock held;
 * takes the sessions' locks). */
static uint32_t back_max_request(struct state_client *cl)
{
	uint32_t req = 0;
	list_for_each_entry(s, &cl->sessions, struct state_session, client_link) {
		pthread_mutex_lock(&s->lock);
		if (s->back_wanted && (!req || s->back.maxrequestsize < req))
			req = s->back.maxrequestsize;
		pthread_mutex_unlock(&s->lock);
	}
	return req;
}

/* Whether a directory delegation on f cannot be granted to cl now for a
 * passing reason: one of f's delegations is being recalled, f was
 * recalled lately, grace, the caps. */
static bool dir_busy(struct state_server *st, const struct state_client *cl,
		     const struct state_file *f, uint64_t now)
{
	const struct state_deleg_limits *l = &st->deleg.limits;
	if (state_deleg_any_recalled(f))
		return true;
	return state_grace_active(st, now) || (l->max_dir && st->deleg.dirs.active >= l->max_dir) ||
	       (l->max_per_client && cl->n_delegs >= l->max_per_client) ||
	       state_deleg_recently_recalled(st, &f->key, now);
}

/* Remembers that clientid is to be told when dir may be delegated; false
 * when no more promises can be kept. */
static bool wish_add(struct state_server *st, uint64_t clientid, const struct state_file_key *dir)
{
	struct state_deleg_table *t = &st->deleg;
	for (unsigned i = 0; i < t->n_dir_wishes; i++)
		if (t->dir_wishes[i].clientid == clientid &&
		    state_file_key_eq(&t->dir_wishes[i].dir, dir))
			return true;
	if (t->n_dir_wishes == STATE_DIR_WISHES)
		return false;
	t->dir_wishes[t->n_dir_wishes].clientid = clientid;
	t->dir_wishes[t->n_dir_wishes].dir = *dir;
	t->n_dir_wishes++;
	return true;
}

bool state_dirdeleg_take_avail(struct state_server *st, uint64_t now, uint64_t *clientid,
			       uint64_t *next_ms)
{
	/* A directory stays busy until a recall ends or the no-regrant
	 * window passes: looked at again this often meanwhile. */
	enum { WISH_POLL_MS = 200 };
	bool found = false;
	pthread_mutex_lock(&st->lock);
	struct state_deleg_table *t = &st->deleg;
	for (unsigned i = 0; i < t->n_dir_wishes && !found;) {
		struct state_dir_wish *w = &t->dir_wishes[i];
		struct state_client *cl = state_client_find(st, w->clientid, true);
		struct state_file *f = cl ? state_file_get(st, &w->dir, true) : NULL;
		bool gone = !cl, ready = f && !dir_busy(st, cl, f, now);
		if (f)
			state_file_maybe_free(st, f);
		if (!gone && !ready && f) {
			i++;
			continue;
		}
		if (ready) {
			*clientid = w->clientid;
			found = true;
		}
		*w = t->dir_wishes[--t->n_dir_wishes];
	}
	*next_ms = t->n_dir_wishes ? now + WISH_POLL_MS : 0;
	pthread_mutex_unlock(&st->lock);
	return found;
}

void state_dirdeleg_grant(struct state_server *st, uint64_t clientid,
			  const struct state_file_key *dir, const struct state_dirdeleg_ask *ask,
			  struct state_dirdeleg_grant *out)
{
	memset(out, 0, sizeof(*out));
	const struct state_deleg_limits *l = &st->deleg.limits;
	if (!l->dir)
		return;
	pthread_mutex_lock(&st->lock);
	uint64_t now = state_now_ms();
	struct state_client *cl =
		state_deleg_grantable(st, dir, true) ? state_client_find(st, clientid, true) : NULL;
	struct state_file *f = cl ? state_file_get(st, dir, true) : NULL;
	if (!f)
		goto out;
	list_for_each_entry(d, &f->delegs, struct state_deleg, s.file_link) {
		if (d->s.owner->clientid == clientid && !d->recalled) {
			grant_fill(d, out);
			goto out;
		}
	}
	bool back = state_deleg_back_usable(cl, false);
	if (!back || dir_busy(st, cl, f, now)) {
		/* Without a back channel no signal could reach it either. */
		if (back && ask->signal)
			out->will_signal = wish_add(st, clientid, dir);
		goto out;
	}
	struct state_dirdeleg *dd = calloc(1, sizeof(*dd));
	if (!dd)
		goto out;
	dd->notify = ask->notify;
	dd->child_attrs = ask->child_attrs;
	dd->dir_attrs = ask->dir_attrs;
	/* Never sooner than the window: attribute changes gather like the
	 * others. */
	uint32_t hi = l->dir_attr_delay_max_ms > l->dir_window_ms ? l->dir_attr_delay_max_ms
								   : l->dir_window_ms;
	dd->child_delay_ms = clamp_ms(ask->child_delay_ms, l->dir_window_ms, hi);
	dd->dir_delay_ms = clamp_ms(ask->dir_delay_ms, l->dir_window_ms, hi);
	uint32_t req = back_max_request(cl);
	dd->max_wire = req > ask->cb_overhead ? req - ask->cb_overhead : 0;
	bool first = list_empty(&f->delegs);
	struct state_deleg *d = state_deleg_new(st, cl, f, OPEN_DELEGATE_READ, dd);
	if (d) {
		grant_fill(d, out);
		out->is_new = true;
		out->first = first;
	}
out:
	if (f)
		state_file_maybe_free(st, f);
	pthread_mutex_unlock(&st->lock);
}

void state_dirdeleg_needs(struct state_server *st, const struct state_file_key *dir, bool *held,
			  bool *child_attrs)
{
	*held = *child_attrs = false;
	pthread_mutex_lock(&st->lock);
	struct state_file *f = state_file_get(st, dir, false);
	struct list_node *pos;
	for (pos = f ? f->delegs.next : NULL; f && pos != &f->delegs; pos = pos->next) {
		struct state_deleg *d = deleg_at(pos);
		*held = true;
		if (d->dir && !d->recalled && (d->dir->notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS)))
			*child_attrs = true;
	}
	pthread_mutex_unlock(&st->lock);
}

size_t state_dirdeleg_dirs(struct state_server *st, struct state_file_key *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&st->lock);
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		list_for_each_entry(o, &cl->owners, struct state_owner, client_link) {
			if (o->kind != STATE_OWNER_DELEG)
				continue;
			list_for_each_entry(s, &o->states, struct state_stid, owner_link) {
				const struct state_deleg *d = (const struct state_deleg *)s;
				if (!d->dir || !s->file)
					continue;
				bool seen = false;
				for (size_t i = 0; i < n && i < max && !seen; i++)
					seen = state_file_key_eq(&out[i], &s->file->key);
				if (seen)
					continue;
				if (n < max)
					out[n] = s->file->key;
				n++;
			}
		}
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}

bool state_dirdeleg_any(struct state_server *st)
{
	return atomic_load_explicit(&st->deleg.n_dir, memory_order_relaxed) > 0;
}

enum nfsstat4 state_dirdeleg_break(struct state_server *st, const struct state_file_key *dir,
				   uint64_t clientid, uint32_t need)
{
	bool conflict = false;
	pthread_mutex_lock(&st->lock);
	struct state_file *f = state_file_get(st, dir, false);
	struct list_node *pos, *tmp;
	if (f) {
		list_for_each_safe(pos, tmp, &f->delegs)
		{
			struct state_deleg *d = deleg_at(pos);
			if (!d->dir || d->s.owner->clientid == clientid)
				continue; /* the holder's own changes never recall */
			if (!d->recalled && need && (need & ~d->dir->notify) == 0)
				continue; /* notified instead */
			conflict = true;
			state_deleg_recall_locked(st, d);
			if (!d->dir->delayed_since_ms)
				d->dir->delayed_since_ms = state_now_ms();
		}
	}
	if (conflict)
		st->deleg.dirs.delays++;
	pthread_mutex_unlock(&st->lock);
	return conflict ? NFS4ERR_DELAY : NFS4_OK;
}

size_t state_dirdeleg_targets(struct state_server *st, const struct state_file_key *dir,
			      uint32_t kind, struct state_dirdeleg_target *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&st->lock);
	struct state_file *f = state_file_get(st, dir, false);
	struct list_node *pos;
	for (pos = f ? f->delegs.next : NULL; f && pos != &f->delegs; pos = pos->next) {
		struct state_deleg *d = deleg_at(pos);
		if (!d->dir || d->recalled || !(d->dir->notify & (1u << kind)))
			continue;
		if (n < max) {
			state_stid_export(&d->s, &out[n].stateid);
			out[n].child_attrs = d->dir->child_attrs;
			out[n].dir_attrs = d->dir->dir_attrs;
		}
		n++;
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* --- batches ------------------------------------------------------------------------ */

void state_dirdeleg_drop_batch(struct state_server *st, struct state_deleg *d)
{
	struct state_dirdeleg *dd = d->dir;
	/* A delegation going (returned, revoked, freed): the writers it kept
	 * waiting wait no more. */
	if (!d->s.file && dd->delayed_since_ms) {
		st->deleg.dirs.delay_ms += state_now_ms() - dd->delayed_since_ms;
		dd->delayed_since_ms = 0;
	}
	free(dd->buf);
	dd->buf = NULL;
	dd->len = dd->cap = dd->count = dd->wire = 0;
	dd->due_ms = 0;
	list_del(&dd->pending_link);
}

/* What a change costs in a CB_NOTIFY: notify4 is a one-word bitmap
 * (length and word) and the opaque of its body. */
static uint32_t item_wire(uint32_t len)
{
	return 4 + 4 + 4 + ((len + 3) & ~3u);
}

static uint32_t kind_delay(const struct state_server *st, const struct state_dirdeleg *dd,
			   uint32_t kind)
{
	switch (kind) {
	case NOTIFY4_CHANGE_CHILD_ATTRS: return dd->child_delay_ms;
	case NOTIFY4_CHANGE_DIR_ATTRS: return dd->dir_delay_ms;
	default: return st->deleg.limits.dir_window_ms;
	}
}

/* The delegation a callback or a note is about, if it still stands. */
static struct state_deleg *live_dir_deleg(struct state_server *st, const struct nfs4_stateid *sid)
{
	struct state_deleg *d = state_deleg_find(st, sid);
	return d && d->dir && d->s.seqid == sid->seqid && !d->revoked && !d->recalled ? d : NULL;
}

/* Takes the waiting change of kind and key out of dd's batch, if any. */
static void drop_superseded(struct state_dirdeleg *dd, uint32_t kind, uint64_t key)
{
	uint32_t off = 0;
	while (off < dd->len) {
		struct state_dirdeleg_item h;
		memcpy(&h, dd->buf + off, sizeof(h));
		uint32_t size = (uint32_t)sizeof(h) + h.len;
		if (h.kind == kind && h.key == key) {
			memmove(dd->buf + off, dd->buf + off + size, dd->len - off - size);
			dd->len -= size;
			dd->count--;
			dd->wire -= item_wire(h.len);
			return;
		}
		off += size;
	}
}

/* Appends a change to dd's batch, due at when; false when out of
 * memory.  st->lock held. */
static bool batch_append(struct state_server *st, struct state_dirdeleg *dd, uint32_t kind,
			 uint64_t key, uint64_t when, const uint8_t *body, uint32_t len)
{
	uint32_t need = (uint32_t)sizeof(struct state_dirdeleg_item) + len;
	if (dd->len + need > dd->cap) {
		uint32_t cap = dd->cap ? dd->cap : 512;
		while (cap < dd->len + need)
			cap *= 2;
		uint8_t *p = realloc(dd->buf, cap);
		if (!p)
			return false;
		dd->buf = p;
		dd->cap = cap;
	}
	struct state_dirdeleg_item h = {.kind = kind, .len = len, .key = key, .due_ms = when};
	memcpy(dd->buf + dd->len, &h, sizeof(h));
	memcpy(dd->buf + dd->len + sizeof(h), body, len);
	dd->len += need;
	dd->count++;
	dd->wire += item_wire(len);
	if (!dd->due_ms) {
		list_add_tail(&st->deleg.dir_pending, &dd->pending_link);
		dd->due_ms = when;
	} else if (when < dd->due_ms) {
		dd->due_ms = when;
	}
	return true;
}

bool state_dirdeleg_note(struct state_server *st, const struct nfs4_stateid *sid, uint32_t kind,
			 uint64_t key, const uint8_t *body, uint32_t len)
{
	bool due = false;
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = live_dir_deleg(st, sid);
	if (!d)
		goto out;
	struct state_dirdeleg *dd = d->dir;
	if (key && (kind == NOTIFY4_CHANGE_CHILD_ATTRS || kind == NOTIFY4_CHANGE_DIR_ATTRS))
		drop_superseded(dd, kind, key);
	unsigned max_changes = st->deleg.limits.dir_max_changes;
	/* A change the holder would never learn (too many waiting, too
	 * large, no memory): it must not keep trusting its listing. */
	if ((max_changes && dd->count >= max_changes) || item_wire(len) > dd->max_wire ||
	    !batch_append(st, dd, kind, key, state_now_ms() + kind_delay(st, dd, kind), body,
			  len)) {
		st->deleg.dirs.overflows++;
		state_deleg_recall_locked(st, d);
		goto out;
	}
	due = true;
out:
	pthread_mutex_unlock(&st->lock);
	return due;
}

bool state_dirdeleg_carried_change(struct state_server *st, struct state_deleg *d, uint32_t kind,
				   uint64_t key, uint64_t due_ms, const uint8_t *body,
				   uint32_t len)
{
	return batch_append(st, d->dir, kind, key, due_ms, body, len);
}

void state_dirdeleg_fell_behind(struct state_server *st, const struct nfs4_stateid *sid)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = live_dir_deleg(st, sid);
	if (d) {
		st->deleg.dirs.overflows++;
		state_deleg_recall_locked(st, d);
	}
	pthread_mutex_unlock(&st->lock);
}

/* The first changes of dd's batch that fit one CB_NOTIFY (at least one:
 * note() takes none that could never fit): how many, their bytes in dd's
 * buffer and on the wire. */
static uint32_t batch_prefix(const struct state_dirdeleg *dd, uint32_t *len, uint32_t *wire)
{
	uint32_t off = 0, n = 0, w = 0;
	while (off < dd->len) {
		struct state_dirdeleg_item h;
		memcpy(&h, dd->buf + off, sizeof(h));
		if (n > 0 && w + item_wire(h.len) > dd->max_wire)
			break;
		off += (uint32_t)sizeof(h) + h.len;
		w += item_wire(h.len);
		n++;
	}
	*len = off;
	*wire = w;
	return n;
}

/* Moves dd's batch, or as much of it as one CB_NOTIFY takes, to out;
 * false when there is no memory for the part left behind. */
static bool batch_take(struct state_dirdeleg *dd, struct state_dirdeleg_batch *out)
{
	uint32_t len, wire, n = batch_prefix(dd, &len, &wire);
	if (n == dd->count) {
		out->buf = dd->buf;
		dd->buf = NULL;
		dd->cap = 0;
	} else {
		out->buf = malloc(len);
		if (!out->buf)
			return false;
		memcpy(out->buf, dd->buf, len);
		memmove(dd->buf, dd->buf + len, dd->len - len);
	}
	out->len = len;
	out->count = n;
	out->wire = wire;
	dd->len -= len;
	dd->count -= n;
	dd->wire -= wire;
	return true;
}

bool state_dirdeleg_take_batch(struct state_server *st, uint64_t now,
			       struct state_dirdeleg_batch *out, uint64_t *next_ms)
{
	bool taken = false;
	*next_ms = 0;
	uint32_t slow_ms = st->deleg.limits.dir_slow_ms;
	pthread_mutex_lock(&st->lock);
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->deleg.dir_pending)
	{
		struct state_dirdeleg *dd = container_of(pos, struct state_dirdeleg, pending_link);
		struct state_deleg *d = dd->owner;
		uint64_t when = dd->due_ms;
		if (dd->in_flight) {
			/* Its answer lets the next go (state_dirdeleg_notify_done);
			 * a holder that keeps the oldest waiting change too long
			 * past its time has fallen behind the directory. */
			if (!slow_ms)
				continue;
			struct state_dirdeleg_item first;
			memcpy(&first, dd->buf, sizeof(first));
			if (now >= first.due_ms + slow_ms) {
				st->deleg.dirs.slow++;
				state_deleg_recall_locked(st, d);
				continue;
			}
			when = first.due_ms + slow_ms;
		}
		if (taken || dd->in_flight || dd->due_ms > now) {
			if (!*next_ms || when < *next_ms)
				*next_ms = when;
			continue;
		}
		if (!batch_take(dd, out)) {
			st->deleg.dirs.overflows++;
			state_deleg_recall_locked(st, d);
			continue;
		}
		out->clientid = d->s.owner->clientid;
		state_stid_export(&d->s, &out->stateid);
		out->dir = d->s.file->key;
		st->deleg.dirs.notifies++;
		st->deleg.dirs.changes += out->count;
		st->deleg.dirs.notify_bytes += out->wire;
		dd->in_flight = true;
		if (dd->count == 0) {
			dd->due_ms = 0;
			list_del(&dd->pending_link);
		} else {
			/* The rest is due already: it goes once this is answered. */
			dd->due_ms = now;
		}
		taken = true;
	}
	pthread_mutex_unlock(&st->lock);
	return taken;
}

bool state_dirdeleg_notify_done(struct state_server *st, const struct nfs4_stateid *sid,
				uint32_t status)
{
	bool waiting = false;
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = state_deleg_find(st, sid);
	if (d && d->dir && d->s.seqid == sid->seqid) {
		d->dir->in_flight = false;
		if (d->revoked || !d->s.file) {
			/* gone meanwhile: nothing is owed */
		} else if (status == NFS4ERR_CB_PATH_DOWN) {
			state_deleg_revoke_locked(st, d, "notification undeliverable");
		} else if (status != NFS4_OK) {
			if (!d->recalled)
				st->deleg.dirs.notify_failures++;
			state_deleg_recall_locked(st, d);
		} else {
			waiting = d->dir->due_ms != 0;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return waiting;
}

bool state_dirdeleg_any_child_attrs(struct state_server *st)
{
	return atomic_load_explicit(&st->deleg.n_dir_child, memory_order_relaxed) > 0;
}

void state_dirdeleg_get_stats(struct state_server *st, struct state_dirdeleg_stats *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->deleg.dirs;
	pthread_mutex_unlock(&st->lock);
}
