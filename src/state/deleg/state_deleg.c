/* Delegations: their records, the grant policy, conflicts with other
 * clients' operations, recall bookkeeping and revocation (RFC 8881
 * 10.2-10.4, RFC 7530 10.2-10.4).  The callbacks they lead to, DELEGRETURN
 * and CB_GETATTR are in state_deleg_cb.c.
 *
 * Policy, in the spirit of what Linux knfsd does: a read delegation for an
 * OPEN with read access only, a write delegation for one with write access,
 * and none when another client has the file open in a way that conflicts,
 * holds a conflicting (or any recalled) delegation or a lock on it, when
 * the client's callback path is not known to work, in grace, on a file
 * recalled in the last few seconds (no ping-pong), or beyond the caps. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/clients/session_internal.h"

/* The owner name of every client's delegation owner (its kind keeps it
 * apart from open and lock owners of the same bytes). */
static const uint8_t deleg_owner_name[] = "delegations";

static void deleg_kind_free(struct state_server *st, struct state_stid *s);

/* Memory is short: v4.1 clients holding delegations are asked to give half
 * of them back (CB_RECALL_ANY, at most once a lease per client: they answer
 * with DELEGRETURNs, which a later request finds freed). */
static void delegs_reclaim(struct state_server *st, uint64_t now)
{
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		if (cl->v41 && cl->n_delegs > 0 &&
		    (!cl->recall_any_ms || cl->recall_any_ms + st->opts.lease_ms <= now)) {
			cl->recall_any_ms = now;
			state_deleg_queue_recall_any(st, cl, cl->n_delegs / 2);
		}
	}
}
static enum nfsstat4 deleg_kind_free_stateid(struct state_server *st, struct state_stid *s,
					     enum nfsstat4 tested);

static const struct state_stid_kind deleg_kind = {
	.free = deleg_kind_free,
	.free_stateid = deleg_kind_free_stateid,
};

void state_deleg_init(struct state_server *st)
{
	state_stid_kind_set(st, STATE_STID_DELEG, &deleg_kind);
	st->delegs_in_way = state_deleg_conflict;
	state_hooks_add_reclaim(st, delegs_reclaim);
	st->deleg.limits = st->opts.deleg;
	list_init(&st->deleg.recalled_list);
	list_init(&st->deleg.dir_pending);
}

/* Sets or clears SEQ4_STATUS_RECALLABLE_STATE_REVOKED on the client's
 * sessions: what SEQUENCE reads without the state lock. */
static void client_revoked_flag(struct state_server *st, struct state_client *cl)
{
	state_sessions_recallable_revoked(st, cl, cl->n_revoked > 0);
}

/* --- callbacks for the outbox --------------------------------------------------- */

void state_deleg_queue_recall_any(struct state_server *st, struct state_client *cl, uint32_t keep)
{
	struct state_deleg_cb *cb = state_outbox_callback_slot(st);
	if (!cb)
		return;
	cb->opnum = OP_CB_RECALL_ANY;
	cb->clientid = cl->clientid;
	cb->keep = keep;
	state_outbox_flag(st);
}

static void queue_cb(struct state_server *st, struct state_deleg *d, uint32_t opnum)
{
	struct state_deleg_cb *cb = state_outbox_callback_slot(st);
	if (!cb)
		return;
	cb->opnum = opnum;
	cb->clientid = d->s.owner->clientid;
	state_stid_export(&d->s, &cb->stateid);
	cb->file = d->s.file->key;
	cb->timestamps = d->timestamps;
	cb->dir = d->dir != NULL;
	state_outbox_flag(st);
}

/* --- records ---------------------------------------------------------------------- */

static struct state_deleg *deleg_of(struct state_stid *s)
{
	return container_of(s, struct state_deleg, s);
}

static struct state_deleg *deleg_of_client(const struct state_file *f, uint64_t clientid)
{
	list_for_each_entry(s, &f->delegs, struct state_stid, file_link) {
		if (s->owner->clientid == clientid)
			return deleg_of(s);
	}
	return NULL;
}

/* Takes a delegation off its file (returned, revoked or freed); queues the
 * file's lease to be dropped when it was the last one. */
static void deleg_detach(struct state_server *st, struct state_deleg *d, bool unlease)
{
	struct state_file *f = d->s.file;
	if (!f)
		return;
	list_del(&d->s.file_link);
	d->s.file = NULL;
	if (d->recalled)
		list_del(&d->recall_link);
	struct state_client *cl = d->s.owner->client;
	if (cl && cl->n_delegs > 0)
		cl->n_delegs--;
	if (d->dir) {
		/* A directory has no lease: its changes reach the holders as
		 * notifications or recalls.  Once the last delegation went,
		 * the back end stops watching it, and once the last that
		 * asked child attributes went, their index goes: queued like a
		 * lease, the NFSv4 layer decides (nfs4_dirdeleg_release). */
		state_dirdeleg_drop_batch(st, d);
		if (list_empty(&f->delegs) ||
		    (d->dir->notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS)))
			state_outbox_unlease(st, &f->key);
		st->deleg.dirs.active--;
		atomic_fetch_sub_explicit(&st->deleg.n_dir, 1, memory_order_relaxed);
		if (d->dir->notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS))
			atomic_fetch_sub_explicit(&st->deleg.n_dir_child, 1, memory_order_relaxed);
		state_file_maybe_free(st, f);
		return;
	}
	st->deleg.files.active--;
	atomic_fetch_sub_explicit(&st->deleg.n_any, 1, memory_order_relaxed);
	if (d->type == OPEN_DELEGATE_WRITE)
		atomic_fetch_sub_explicit(&st->deleg.n_write, 1, memory_order_relaxed);
	if (unlease && list_empty(&f->delegs))
		state_outbox_unlease(st, &f->key);
	/* Blocked NLM LOCKs may have waited for it. */
	if (!list_empty(&f->nlm_blocks))
		state_nlm_blocks_wake(st, f);
	state_file_maybe_free(st, f);
}

static void deleg_free(struct state_server *st, struct state_deleg *d, bool unlease)
{
	struct state_client *cl = d->s.owner->client;
	if (d->revoked) {
		if (cl && cl->n_revoked > 0 && --cl->n_revoked == 0)
			client_revoked_flag(st, cl);
	} else {
		deleg_detach(st, d, unlease);
	}
	hashtable_remove(&st->stids, &d->s.node);
	list_del(&d->s.owner_link);
	free(d->dir);
	free(d);
}

void state_deleg_free(struct state_server *st, struct state_deleg *d) { deleg_free(st, d, true); }

void state_deleg_free_returned(struct state_server *st, struct state_deleg *d)
{
	deleg_free(st, d, false);
}

static void deleg_kind_free(struct state_server *st, struct state_stid *s)
{
	deleg_free(st, deleg_of(s), true);
}

static enum nfsstat4 deleg_kind_free_stateid(struct state_server *st, struct state_stid *s,
					     enum nfsstat4 tested)
{
	if (tested != NFS4ERR_DELEG_REVOKED)
		return NFS4ERR_LOCKS_HELD; /* DELEGRETURN it */
	/* The client acknowledges the revocation (RFC 8881 18.38.3). */
	deleg_free(st, deleg_of(s), true);
	return NFS4_OK;
}

static void deleg_revoke(struct state_server *st, struct state_deleg *d, const char *why)
{
	if (d->revoked)
		return;
	log_info("state: delegation of client %016llx revoked (%s)",
		 (unsigned long long)d->s.owner->clientid, why);
	deleg_detach(st, d, true);
	d->revoked = true;
	d->recalled = false;
	if (d->dir)
		st->deleg.dirs.revoked++;
	else
		st->deleg.files.revoked++;
	struct state_client *cl = d->s.owner->client;
	if (cl && cl->n_revoked++ == 0)
		client_revoked_flag(st, cl);
}

/* Marks a delegation recalled and queues its CB_RECALL. */
static void deleg_recall(struct state_server *st, struct state_deleg *d)
{
	if (d->recalled || d->revoked)
		return;
	d->recalled = true;
	d->recall_ms = state_now_ms();
	list_add_tail(&st->deleg.recalled_list, &d->recall_link);
	if (d->dir) {
		/* The recall supersedes what was not sent: the holder drops
		 * its cached listing when it returns the delegation. */
		state_dirdeleg_drop_batch(st, d);
		st->deleg.dirs.recalled++;
	} else {
		st->deleg.files.recalled++;
	}
	struct state_deleg_recent *r = &st->deleg.recent[st->deleg.recent_next];
	st->deleg.recent_next = (st->deleg.recent_next + 1) % STATE_DELEG_RECENT;
	r->key = d->s.file->key;
	r->ms = d->recall_ms;
	queue_cb(st, d, OP_CB_RECALL);
}

void state_deleg_queue_getattr(struct state_server *st, struct state_deleg *d)
{
	queue_cb(st, d, OP_CB_GETATTR);
}

void state_deleg_recall_locked(struct state_server *st, struct state_deleg *d)
{
	deleg_recall(st, d);
}

void state_deleg_revoke_locked(struct state_server *st, struct state_deleg *d, const char *why)
{
	deleg_revoke(st, d, why);
}

void state_deleg_recall_resend_locked(struct state_server *st, struct state_deleg *d)
{
	if (!d->recalled || d->revoked || d->resends >= STATE_DELEG_RECALL_RESENDS)
		return;
	d->resend_ms = state_now_ms() + STATE_DELEG_RECALL_RESEND_MS;
	uint64_t *due = &st->deleg.resend_due_ms;
	if (*due == 0 || d->resend_ms < *due) {
		*due = d->resend_ms;
		pthread_cond_signal(&st->cond);
	}
}

void state_deleg_recalls_resend(struct state_server *st, uint64_t now)
{
	uint64_t next = 0;
	list_for_each_entry(d, &st->deleg.recalled_list, struct state_deleg, recall_link) {
		if (!d->resend_ms)
			continue;
		if (d->resend_ms <= now) {
			d->resend_ms = 0;
			d->resends++;
			queue_cb(st, d, OP_CB_RECALL);
		} else if (next == 0 || d->resend_ms < next) {
			next = d->resend_ms;
		}
	}
	st->deleg.resend_due_ms = next;
}

struct state_deleg *state_deleg_find(struct state_server *st, const struct nfs4_stateid *sid)
{
	struct state_stid *s = state_stid_find(st, sid->other);
	if (!s || s->owner->dead || s->type != STATE_STID_DELEG)
		return NULL;
	return deleg_of(s);
}

/* The client's delegation owner, made on first use (NULL: out of memory). */
static struct state_owner *deleg_owner(struct state_server *st, struct state_client *cl)
{
	struct state_owner *o = state_owner_find(st, cl->clientid, STATE_OWNER_DELEG,
						 deleg_owner_name, sizeof(deleg_owner_name));
	if (!o)
		o = state_owner_create(st, cl, STATE_OWNER_DELEG, deleg_owner_name,
				       sizeof(deleg_owner_name));
	if (o) {
		o->confirmed = true;
		o->last_used_ms = state_now_ms();
	}
	return o;
}

/* One more file delegation held, of type. */
static void file_deleg_counted(struct state_server *st, uint32_t type)
{
	st->deleg.files.active++;
	atomic_fetch_add_explicit(&st->deleg.n_any, 1, memory_order_relaxed);
	if (type == OPEN_DELEGATE_WRITE)
		atomic_fetch_add_explicit(&st->deleg.n_write, 1, memory_order_relaxed);
}

/* One more directory delegation held, dir (d's). */
static void dir_deleg_counted(struct state_server *st, struct state_deleg *d,
			      struct state_dirdeleg *dir)
{
	dir->owner = d;
	list_init(&dir->pending_link);
	st->deleg.dirs.active++;
	atomic_fetch_add_explicit(&st->deleg.n_dir, 1, memory_order_relaxed);
	if (dir->notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS))
		atomic_fetch_add_explicit(&st->deleg.n_dir_child, 1, memory_order_relaxed);
}

struct state_deleg *state_deleg_new(struct state_server *st, struct state_client *cl,
				    struct state_file *f, uint32_t type, struct state_dirdeleg *dir)
{
	struct state_owner *o = deleg_owner(st, cl);
	struct state_deleg *d = o ? calloc(1, sizeof(*d)) : NULL;
	if (!d) {
		free(dir);
		return NULL;
	}
	d->type = type;
	d->dir = dir;
	list_init(&d->recall_link);
	state_stid_init(st, &d->s, STATE_STID_DELEG, o, f);
	list_add_tail(&f->delegs, &d->s.file_link);
	cl->n_delegs++;
	if (dir) {
		dir_deleg_counted(st, d, dir);
		st->deleg.dirs.granted++;
		return d;
	}
	st->deleg.files.granted++;
	file_deleg_counted(st, type);
	return d;
}

bool state_deleg_is_carried(struct state_server *st, const struct state_deleg *d)
{
	return d->s.file && st->deleg.carried &&
	       st->deleg.carried(st->deleg.carried_arg, &d->s.file->key, d->dir != NULL);
}

bool state_deleg_grantable(struct state_server *st, const struct state_file_key *file, bool dir)
{
	return !st->deleg.suspended ||
	       (st->deleg.carried && st->deleg.carried(st->deleg.carried_arg, file, dir));
}

/* Recalls d for an upgrade unless it goes over with it. */
static void suspend_one(struct state_server *st, struct state_deleg *d, unsigned *recalled,
			unsigned *kept)
{
	if (!d->s.file || d->recalled || d->revoked)
		return;
	if (state_deleg_is_carried(st, d)) {
		(*kept)++;
		return;
	}
	deleg_recall(st, d);
	(*recalled)++;
}

void state_deleg_suspend(struct state_server *st, bool on, state_deleg_carry_fn *carried,
			 void *arg)
{
	pthread_mutex_lock(&st->lock);
	st->deleg.suspended = on;
	st->deleg.carried = on ? carried : NULL;
	st->deleg.carried_arg = on ? arg : NULL;
	unsigned recalled = 0, kept = 0;
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		list_for_each_entry(o, &cl->owners, struct state_owner, client_link) {
			if (!on || o->kind != STATE_OWNER_DELEG)
				continue;
			list_for_each_entry(s, &o->states, struct state_stid, owner_link)
				suspend_one(st, deleg_of(s), &recalled, &kept);
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (kept)
		log_info("state: %u delegation(s) go over with the upgrade", kept);
	if (recalled) {
		log_info("state: %u delegation(s) recalled for an upgrade", recalled);
		state_outbox_kick(st);
	}
}

unsigned state_deleg_outstanding(struct state_server *st)
{
	/* Suspended, every delegation that does not go over has been
	 * recalled, and none is granted: those still held are on the
	 * recalled list (the upgrade asks every 10 ms; the list is short
	 * beside every client's delegations). */
	pthread_mutex_lock(&st->lock);
	unsigned n = 0;
	list_for_each_entry(d, &st->deleg.recalled_list, struct state_deleg, recall_link)
		n += !state_deleg_is_carried(st, d);
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* A delegation record of client cl with the identity given (one carried
 * over from the ferryd before this one), on f (NULL: a revoked one); NULL
 * when out of memory. */
static struct state_deleg *deleg_made_as(struct state_server *st, struct state_client *cl,
					 struct state_file *f, const uint8_t other[NFS4_OTHER_SIZE],
					 uint32_t seqid, uint32_t type)
{
	struct state_owner *o = deleg_owner(st, cl);
	struct state_deleg *d = o ? calloc(1, sizeof(*d)) : NULL;
	if (!d)
		return NULL;
	d->type = type;
	list_init(&d->recall_link);
	state_stid_init_as(st, &d->s, STATE_STID_DELEG, o, f, other, seqid);
	return d;
}

struct state_deleg *state_deleg_carried(struct state_server *st, struct state_client *cl,
					struct state_file *f, const uint8_t other[NFS4_OTHER_SIZE],
					uint32_t seqid, uint32_t type, bool timestamps,
					struct state_dirdeleg *dir, bool recalled, uint64_t recall_ms)
{
	struct state_deleg *d = deleg_made_as(st, cl, f, other, seqid, type);
	if (!d) {
		free(dir);
		return NULL;
	}
	d->timestamps = timestamps;
	d->dir = dir;
	list_add_tail(&f->delegs, &d->s.file_link);
	cl->n_delegs++;
	if (dir)
		dir_deleg_counted(st, d, dir);
	else
		file_deleg_counted(st, type);
	if (recalled) {
		/* Recalled by the ferryd before: the holder returns it here,
		 * or it is revoked a lease after the recall.  That one's
		 * CB_RECALL may still have been waiting to go when it froze
		 * (a host change seen as it handed its watches over): sent
		 * again, a recall the holder had already is answered the
		 * same way. */
		d->recalled = true;
		d->recall_ms = recall_ms;
		list_add_tail(&st->deleg.recalled_list, &d->recall_link);
		queue_cb(st, d, OP_CB_RECALL);
	}
	return d;
}

bool state_deleg_carried_revoked(struct state_server *st, struct state_client *cl,
				 const uint8_t other[NFS4_OTHER_SIZE], uint32_t seqid, uint32_t type)
{
	struct state_deleg *d = deleg_made_as(st, cl, NULL, other, seqid, type);
	if (!d)
		return false;
	d->revoked = true;
	list_init(&d->s.file_link);
	if (cl->n_revoked++ == 0)
		client_revoked_flag(st, cl);
	return true;
}

bool state_deleg_any(struct state_server *st)
{
	return atomic_load_explicit(&st->deleg.n_any, memory_order_relaxed) > 0;
}

bool state_deleg_any_write(struct state_server *st)
{
	return atomic_load_explicit(&st->deleg.n_write, memory_order_relaxed) > 0;
}

/* --- conflicts ---------------------------------------------------------------------- */

bool state_deleg_conflict(struct state_server *st, struct state_file *f, uint64_t clientid,
			  bool write)
{
	if (!f)
		return false;
	bool conflict = false;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->delegs)
	{
		struct state_deleg *d =
			deleg_of(container_of(pos, struct state_stid, file_link));
		if (d->s.owner->clientid == clientid)
			continue; /* a client never conflicts with itself */
		if (d->dir)
			continue; /* state_dirdeleg_break decides for directories */
		if (!write && d->type != OPEN_DELEGATE_WRITE)
			continue;
		conflict = true;
		deleg_recall(st, d);
	}
	return conflict;
}

/* The client a stateid belongs to, or 0. */
static uint64_t stateid_client(struct state_server *st, const struct nfs4_stateid *sid)
{
	if (!sid)
		return 0;
	struct state_stid *s = state_stid_find(st, sid->other);
	return s && !s->owner->dead ? s->owner->clientid : 0;
}

enum nfsstat4 state_deleg_break(struct state_server *st, const struct state_file_key *file,
				uint64_t clientid, const struct nfs4_stateid *sid, bool write)
{
	pthread_mutex_lock(&st->lock);
	if (clientid == 0)
		clientid = stateid_client(st, sid);
	struct state_file *f = state_file_get(st, file, false);
	bool conflict = state_deleg_conflict(st, f, clientid, write);
	pthread_mutex_unlock(&st->lock);
	return conflict ? NFS4ERR_DELAY : NFS4_OK;
}

/* --- the grant policy --------------------------------------------------------------- */

/* A v4.1 back channel that is bound and not known to fail is good enough
 * to grant on before its first probe came back (knfsd does the same): the
 * client made it for callbacks, and a recall that cannot get through ends
 * in a revocation the client is told about.  need_up: only one whose last
 * callback was answered (what a reclaim needs not to be recalled at once). */
bool state_deleg_back_usable(struct state_client *cl, bool need_up)
{
	if (!cl->v41)
		return false;
	bool ok = false;
	for (struct list_node *p = cl->sessions.next; p != &cl->sessions && !ok; p = p->next) {
		struct state_session *s = container_of(p, struct state_session, client_link);
		pthread_mutex_lock(&s->lock);
		ok = state_session_back_working_locked(s) &&
		     (!need_up || s->cb_status == STATE_CB_UP);
		pthread_mutex_unlock(&s->lock);
	}
	return ok;
}

bool state_deleg_recently_recalled(const struct state_server *st,
				   const struct state_file_key *key, uint64_t now)
{
	uint32_t window = st->deleg.limits.no_regrant_ms;
	for (unsigned i = 0; i < STATE_DELEG_RECENT; i++) {
		const struct state_deleg_recent *r = &st->deleg.recent[i];
		if (r->ms && now - r->ms < window && state_file_key_eq(&r->key, key))
			return true;
	}
	return false;
}

bool state_deleg_any_recalled(const struct state_file *f)
{
	list_for_each_entry(d, &f->delegs, const struct state_deleg, s.file_link)
		if (d->recalled)
			return true;
	return false;
}

/* Another client's delegation on f that cannot coexist with one of this
 * type for clientid. */
static bool others_deleg_conflict(const struct state_file *f, uint64_t clientid, uint32_t type)
{
	list_for_each_entry(d, &f->delegs, const struct state_deleg, s.file_link)
		if (d->s.owner->clientid != clientid &&
		    (type == OPEN_DELEGATE_WRITE || d->type == OPEN_DELEGATE_WRITE))
			return true;
	return false;
}

/* Whether something on f rules out a delegation of this type for
 * clientid: another client's open, delegation (or any being recalled) or
 * lock that conflicts; for a read delegation, any writer at all, the
 * client's own included (its writes would break the read lease). */
static bool others_conflict(const struct state_file *f, uint64_t clientid, uint32_t type)
{
	list_for_each_entry(op, &f->opens, const struct state_open, s.file_link) {
		if (!state_stid_live(&op->s))
			continue;
		if (type == OPEN_DELEGATE_READ && (op->access & STATE_SHARE_ACCESS_WRITE))
			return true;
		if (type == OPEN_DELEGATE_WRITE && op->s.owner->clientid != clientid)
			return true;
	}
	if (others_deleg_conflict(f, clientid, type) || state_deleg_any_recalled(f))
		return true;
	list_for_each_entry(r, &f->ranges, const struct state_range, file_link)
		if (r->ls->s.owner->clientid != clientid && state_stid_live(&r->ls->s))
			return true;
	return false;
}

static void grant_none(const struct state_deleg_ask *a, uint32_t why,
		       struct state_deleg_grant *out)
{
	/* NONE_EXT tells a v4.1 client that asked why it got none (RFC 8881
	 * 18.16.3); a client without a preference gets plain NONE. */
	uint32_t want = a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK;
	if (a->v41 && want != OPEN4_SHARE_ACCESS_WANT_NO_PREFERENCE) {
		out->type = OPEN_DELEGATE_NONE_EXT;
		out->why = why;
		out->server_will = false;
	} else {
		out->type = OPEN_DELEGATE_NONE;
	}
}

static void grant_give(struct state_deleg *d, bool is_new, bool first,
		       struct state_deleg_grant *out)
{
	out->type = d->type;
	out->timestamps = d->timestamps;
	state_stid_export(&d->s, &out->stateid);
	out->is_new = is_new;
	out->file_first = first;
}

/* The type the OPEN of file can have, or OPEN_DELEGATE_NONE with *why. */
static uint32_t grant_type(struct state_server *st, const struct state_file_key *file,
			   const struct state_deleg_ask *a, uint32_t *why)
{
	uint32_t want = a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK;
	bool writes = a->access & STATE_SHARE_ACCESS_WRITE;
	*why = WND4_CONTENTION;
	if (want == OPEN4_SHARE_ACCESS_WANT_READ_DELEG && writes)
		return OPEN_DELEGATE_NONE; /* a read delegation cannot cover a write open */
	if (want == OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG && !writes)
		return OPEN_DELEGATE_NONE;
	*why = WND4_RESOURCE;
	if (!state_deleg_grantable(st, file, false))
		return OPEN_DELEGATE_NONE;
	switch (st->deleg.limits.mode) {
	case STATE_DELEG_OFF:
		return OPEN_DELEGATE_NONE;
	case STATE_DELEG_READ_ONLY:
		return writes ? OPEN_DELEGATE_NONE : OPEN_DELEGATE_READ;
	default:
		return writes ? OPEN_DELEGATE_WRITE : OPEN_DELEGATE_READ;
	}
}

void state_deleg_grant(struct state_server *st, uint64_t clientid,
		       const struct state_file_key *file, const struct state_deleg_ask *a,
		       struct state_deleg_grant *out)
{
	memset(out, 0, sizeof(*out));
	out->type = OPEN_DELEGATE_NONE;
	uint32_t want = a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK;
	if (want == OPEN4_SHARE_ACCESS_WANT_NO_DELEG) {
		grant_none(a, WND4_NOT_WANTED, out);
		return;
	}
	if (want == OPEN4_SHARE_ACCESS_WANT_CANCEL) {
		/* Nothing is ever pending (no SIGNAL/PUSH promise is made). */
		grant_none(a, WND4_CANCELLED, out);
		return;
	}
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	/* WANT_DELEGATION may come for a file without state yet. */
	struct state_file *f = cl ? state_file_get(st, file, true) : NULL;
	uint64_t now = state_now_ms();
	if (!f) {
		grant_none(a, WND4_RESOURCE, out);
		goto out;
	}
	struct state_deleg *d = deleg_of_client(f, cl->clientid);
	if (d) {
		/* The client's delegation covers this OPEN too, unless a read
		 * one for a write open (there is no upgrade). */
		if (d->recalled || (d->type == OPEN_DELEGATE_READ &&
				    (a->access & STATE_SHARE_ACCESS_WRITE)))
			grant_none(a, d->recalled ? WND4_CONTENTION : WND4_NOT_SUPP_UPGRADE, out);
		else
			grant_give(d, false, false, out);
		goto out;
	}
	if (a->reclaim_type == OPEN_DELEGATE_READ || a->reclaim_type == OPEN_DELEGATE_WRITE) {
		/* A reclaim in grace gets what it held (RFC 8881 18.16.3,
		 * CLAIM_PREVIOUS); without a callback path it is wanted back
		 * at once. */
		bool first = list_empty(&f->delegs);
		d = others_deleg_conflict(f, cl->clientid, a->reclaim_type)
			    ? NULL /* two clients cannot both have held these */
			    : state_deleg_new(st, cl, f, a->reclaim_type, NULL);
		if (!d) {
			grant_none(a, WND4_CONTENTION, out);
			goto out;
		}
		d->timestamps = a->v41 && (a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS);
		grant_give(d, true, first, out);
		out->recall = !(a->cb_up || state_deleg_back_usable(cl, true));
		goto out;
	}
	uint32_t why;
	uint32_t type = grant_type(st, file, a, &why);
	const struct state_deleg_limits *l = &st->deleg.limits;
	if (type == OPEN_DELEGATE_NONE) {
		grant_none(a, why, out);
	} else if (!(a->cb_up || state_deleg_back_usable(cl, false)) || state_grace_active(st, now)) {
		grant_none(a, WND4_RESOURCE, out);
	} else if ((l->max_total && st->deleg.files.active >= l->max_total) ||
		   (l->max_per_client && cl->n_delegs >= l->max_per_client)) {
		grant_none(a, WND4_RESOURCE, out);
	} else if (state_deleg_recently_recalled(st, file, now) || others_conflict(f, cl->clientid, type)) {
		grant_none(a, WND4_CONTENTION, out);
	} else {
		bool first = list_empty(&f->delegs);
		d = state_deleg_new(st, cl, f, type, NULL);
		if (d) {
			d->timestamps =
				a->v41 && (a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS);
			grant_give(d, true, first, out);
		}
		else
			grant_none(a, WND4_RESOURCE, out);
	}
out:
	state_file_maybe_free(st, f);
	pthread_mutex_unlock(&st->lock);
}

void state_deleg_revoke_file(struct state_server *st, const struct state_file_key *file,
			     const char *why)
{
	pthread_mutex_lock(&st->lock);
	/* Each revocation takes one off the file, and the last may free the
	 * file: looked up again every time. */
	for (;;) {
		struct state_file *f = state_file_get(st, file, false);
		struct state_deleg *victim = NULL;
		if (f) {
			list_for_each_entry(d, &f->delegs, struct state_deleg, s.file_link) {
				if (!d->dir) {
					victim = d;
					break;
				}
			}
		}
		if (!victim)
			break;
		deleg_revoke(st, victim, why);
	}
	pthread_mutex_unlock(&st->lock);
}

bool state_deleg_file_delegated(struct state_server *st, const struct state_file_key *file)
{
	pthread_mutex_lock(&st->lock);
	struct state_file *f = state_file_get(st, file, false);
	bool has = f && !list_empty(&f->delegs);
	pthread_mutex_unlock(&st->lock);
	return has;
}

void state_deleg_undo(struct state_server *st, const struct nfs4_stateid *sid)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = state_deleg_find(st, sid);
	if (d) {
		if (d->dir)
			st->deleg.dirs.granted--;
		else
			st->deleg.files.granted--;
		state_deleg_free(st, d);
	}
	pthread_mutex_unlock(&st->lock);
}

/* --- expiry --------------------------------------------------------------------------- */

void state_delegs_expire(struct state_server *st, uint64_t now)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->deleg.recalled_list)
	{
		struct state_deleg *d = container_of(pos, struct state_deleg, recall_link);
		if (d->recall_ms + st->opts.lease_ms <= now)
			deleg_revoke(st, d, "not returned within a lease of its recall");
	}
}

bool state_client_has_delegations(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	bool has = cl && cl->n_delegs > 0;
	pthread_mutex_unlock(&st->lock);
	return has;
}
