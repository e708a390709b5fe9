/* Files, the check of a stateid an operation names, and opens: share
 * reservations, OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE (RFC 7530 9.1.4,
 * 9.9, 16.2, 16.16-16.19).  Stateids themselves: state_stid.c. */
#include <stdlib.h>
#include <string.h>

#include "state/base/state_internal.h"

/* --- files --------------------------------------------------------------------- */

static uint64_t hash_file(const struct state_server *st, const struct state_file_key *k)
{
	size_t len = k->bh.len <= BACKEND_HANDLE_MAX ? k->bh.len : BACKEND_HANDLE_MAX;
	return state_hash(st, &k->export_id, sizeof(k->export_id), k->bh.data, len);
}

struct state_file *state_file_get(struct state_server *st, const struct state_file_key *key,
				  bool create)
{
	uint64_t h = hash_file(st, key);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->files, h)
	{
		struct state_file *f = container_of(n, struct state_file, node);
		if (state_file_key_eq(&f->key, key))
			return f;
	}
	if (!create)
		return NULL;
	struct state_file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *key;
	list_init(&f->opens);
	list_init(&f->lock_states);
	list_init(&f->ranges);
	list_init(&f->delegs);
	list_init(&f->waiters);
	list_init(&f->nlm_blocks);
	list_init(&f->nlm_shares);
	hashtable_insert(&st->files, &f->node, h);
	st->n_files++;
	return f;
}

void state_file_maybe_free(struct state_server *st, struct state_file *f)
{
	if (!f || !list_empty(&f->opens) || !list_empty(&f->lock_states) ||
	    !list_empty(&f->delegs) || f->n_waiters || !list_empty(&f->nlm_blocks) ||
	    !list_empty(&f->nlm_shares))
		return;
	hashtable_remove(&st->files, &f->node);
	st->n_files--;
	free(f);
}

/* --- stateids -------------------------------------------------------------------- */

enum nfsstat4 state_stid_lookup(struct state_server *st, const struct nfs4_stateid *sid,
				const struct state_file_key *file, uint32_t minor,
				struct state_stid **out)
{
	*out = NULL;
	struct state_stid *s = state_stid_find(st, sid->other);
	if (!s || s->owner->dead)
		return state_stid_missing(st, sid);
	if (s->type == STATE_STID_DELEG && !s->file)
		return state_deleg_revoked_status(minor);
	if (s->type == STATE_STID_CLOSED || !state_file_key_eq(&s->file->key, file))
		return NFS4ERR_BAD_STATEID;
	/* An NLM host's lock state has a stateid only to sit in the lock
	 * table; no NFSv4 client was ever given it. */
	if (s->type == STATE_STID_LOCK && ((struct state_lockst *)s)->nlm)
		return NFS4ERR_BAD_STATEID;
	if (!(minor >= 1 && sid->seqid == 0) && sid->seqid != s->seqid) {
		/* Serial-number order, as seqids wrap. */
		return (int32_t)(sid->seqid - s->seqid) < 0 ? NFS4ERR_OLD_STATEID
							    : NFS4ERR_BAD_STATEID;
	}
	/* An open owner's stateids are usable once it is confirmed. */
	struct state_owner *o = s->owner;
	if (o->kind == STATE_OWNER_OPEN && !o->confirmed)
		return NFS4ERR_BAD_STATEID;
	state_client_renew(st, o->client);
	*out = s;
	return NFS4_OK;
}

/* --- write holds ------------------------------------------------------------------ */

/* An open of f gains (delta 1) or loses (-1) write access: the file's
 * first and last such opens are told to the NFSv4 layer. */
static void writers_change(struct state_server *st, struct state_file *f, int delta)
{
	if (delta > 0 && f->writers++ == 0)
		state_outbox_write_hold(st, &f->key, true);
	else if (delta < 0 && f->writers > 0 && --f->writers == 0)
		state_outbox_write_hold(st, &f->key, false);
}

/* --- opens ------------------------------------------------------------------------ */

/* Lock states taken through this open go with it. */
static void open_drop_locks(struct state_server *st, struct state_open *op)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &op->s.file->lock_states)
	{
		struct state_lockst *ls = container_of(pos, struct state_lockst, s.file_link);
		if (ls->open == op)
			state_lockst_free(st, ls);
	}
}

/* Takes an open off its file: its share reservation and locks end. */
static void open_detach(struct state_server *st, struct state_open *op)
{
	struct state_file *f = op->s.file;
	if (!f)
		return;
	open_drop_locks(st, op);
	if (op->access & STATE_SHARE_ACCESS_WRITE)
		writers_change(st, f, -1);
	list_del(&op->s.file_link);
	op->s.file = NULL;
	st->n_opens--;
	if (op->s.owner->client)
		op->s.owner->client->n_opens--;
	state_file_maybe_free(st, f);
}

static void open_kind_free(struct state_server *st, struct state_stid *s)
{
	state_open_free(st, (struct state_open *)s);
}

/* An open is CLOSEd, never freed by FREE_STATEID (RFC 8881 18.38.3). */
static enum nfsstat4 open_kind_free_stateid(struct state_server *st, struct state_stid *s,
					    enum nfsstat4 tested)
{
	(void)st, (void)s, (void)tested;
	return NFS4ERR_LOCKS_HELD;
}

static const struct state_stid_kind open_kind = {
	.free = open_kind_free,
	.free_stateid = open_kind_free_stateid,
};

void state_opens_init(struct state_server *st)
{
	/* A closed open is kept only for a replay of its CLOSE: freed as an
	 * open, and no client's to free. */
	state_stid_kind_set(st, STATE_STID_OPEN, &open_kind);
	state_stid_kind_set(st, STATE_STID_CLOSED, &open_kind);
}

void state_open_free(struct state_server *st, struct state_open *op)
{
	open_detach(st, op);
	hashtable_remove(&st->stids, &op->s.node);
	list_del(&op->s.owner_link);
	free(op);
}

struct state_open *state_open_carried(struct state_server *st, struct state_owner *o,
				      struct state_file *f, const struct state_open_carry *c)
{
	struct state_open *op = calloc(1, sizeof(*op));
	if (!op)
		return NULL;
	op->access = c->access;
	op->deny = c->deny;
	op->access_seen = c->access_seen;
	op->deny_seen = c->deny_seen;
	if (!f) {
		/* v4.0: the owner's last closed open, kept for a CLOSE replay
		 * (state_close): on no file and off the owner's list. */
		state_stid_init_as(st, &op->s, STATE_STID_CLOSED, o, NULL, c->other, c->seqid);
		list_del(&op->s.owner_link);
		list_init(&op->s.owner_link);
		o->closed = op;
		return op;
	}
	if (c->access & STATE_SHARE_ACCESS_WRITE)
		writers_change(st, f, 1);
	state_stid_init_as(st, &op->s, STATE_STID_OPEN, o, f, c->other, c->seqid);
	list_add_tail(&f->opens, &op->s.file_link);
	st->n_opens++;
	o->client->n_opens++;
	return op;
}

static bool share_conflicts(const struct state_file *f, uint32_t access, uint32_t deny)
{
	list_for_each_entry(o, &f->opens, const struct state_open, s.file_link) {
		/* The owner's own open counts too (RFC 7530 16.16.5): an OPEN
		 * never gets past a deny it set itself. */
		if (!state_stid_live(&o->s))
			continue;
		if ((access & o->deny) || (deny & o->access))
			return true;
	}
	/* NLM share reservations (DOS SHARE) count as opens of another owner. */
	return state_nlm_share_conflicts(f, access, deny, NULL);
}

struct state_stid *state_stid_of_owner(const struct list_node *file_list,
				       const struct state_owner *o)
{
	const struct list_node *pos;
	for (pos = file_list->next; pos != file_list; pos = pos->next) {
		struct state_stid *s = container_of(pos, struct state_stid, file_link);
		if (s->owner == o)
			return s;
	}
	return NULL;
}

static struct state_open *open_of_owner(struct state_file *f, const struct state_owner *o)
{
	struct state_stid *s = state_stid_of_owner(&f->opens, o);
	return s ? container_of(s, struct state_open, s) : NULL;
}

/* Grace rules for a client (st->lock held). */
static enum nfsstat4 grace_check(struct state_server *st, const struct state_client *cl,
				 bool reclaim)
{
	uint64_t now = state_now_ms();
	bool grace = state_grace_active(st, now);
	if (reclaim) {
		/* A v4.1 client that said RECLAIM_COMPLETE has no grace left
		 * (RFC 8881 18.51.3). */
		if (!grace || cl->reclaim_complete)
			return NFS4ERR_NO_GRACE;
		if (!cl->reclaimable)
			return NFS4ERR_RECLAIM_BAD;
		/* Other heads of the cluster may not enforce grace yet. */
		if (state_cluster_reclaims_wait(st, now))
			return NFS4ERR_DELAY;
		return NFS4_OK;
	}
	return grace ? NFS4ERR_GRACE : NFS4_OK;
}

enum nfsstat4 state_check_grace(struct state_server *st, uint64_t clientid, bool reclaim)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl;
	enum nfsstat4 s = state_client_use(st, clientid, &cl);
	if (s == NFS4_OK)
		s = grace_check(st, cl, reclaim);
	pthread_mutex_unlock(&st->lock);
	return s;
}

bool state_in_grace(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	bool g = state_grace_active(st, state_now_ms());
	pthread_mutex_unlock(&st->lock);
	return g;
}

enum nfsstat4 state_open(struct state_server *st, struct state_owner *o,
			 const struct state_file_key *file, uint32_t access, uint32_t deny,
			 unsigned flags, uint32_t minor, struct nfs4_stateid *out,
			 bool *need_confirm)
{
	*need_confirm = false;
	if (access < STATE_SHARE_ACCESS_READ || access > STATE_SHARE_ACCESS_BOTH ||
	    deny > STATE_SHARE_DENY_BOTH)
		return NFS4ERR_INVAL;
	bool reclaim = flags & STATE_OPEN_RECLAIM;
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 s = NFS4_OK;
	if (o->dead) {
		s = NFS4ERR_EXPIRED;
		goto out;
	}
	state_client_renew(st, o->client);
	if ((s = grace_check(st, o->client, reclaim)) != NFS4_OK)
		goto out;
	/* A v4.1 client reclaims until its RECLAIM_COMPLETE; new state before
	 * that is refused (RFC 8881 18.51.3). */
	if (minor >= 1 && o->client->v41 && !reclaim && !o->client->reclaim_complete) {
		s = NFS4ERR_GRACE;
		goto out;
	}
	struct state_file *f = state_file_get(st, file, true);
	if (!f) {
		s = NFS4ERR_RESOURCE;
		goto out;
	}
	if (share_conflicts(f, access, deny)) {
		state_file_maybe_free(st, f);
		s = NFS4ERR_SHARE_DENIED;
		goto out;
	}
	/* Share reservations first, as a denied OPEN recalls nothing; a
	 * reclaim in grace conflicts with no delegation made since. */
	if (!reclaim && state_delegs_in_way(st, f, o->clientid,
					    (access & STATE_SHARE_ACCESS_WRITE) != 0)) {
		state_file_maybe_free(st, f);
		s = NFS4ERR_DELAY;
		goto out;
	}
	struct state_open *op = open_of_owner(f, o);
	if (op) {
		/* A second OPEN by the same owner upgrades the first. */
		if ((access & ~op->access) & STATE_SHARE_ACCESS_WRITE)
			writers_change(st, f, 1);
		op->access |= access;
		op->deny |= deny;
		op->access_seen |= (uint8_t)(1u << access);
		op->deny_seen |= (uint8_t)(1u << deny);
		state_stid_bump(&op->s);
	} else {
		op = state_room_for(st, o->client, STATE_CAP_OPENS, o->client->n_opens)
			     ? calloc(1, sizeof(*op))
			     : NULL;
		if (!op) {
			state_file_maybe_free(st, f);
			s = NFS4ERR_RESOURCE;
			goto out;
		}
		op->access = access;
		op->deny = deny;
		if (access & STATE_SHARE_ACCESS_WRITE)
			writers_change(st, f, 1);
		op->access_seen = (uint8_t)(1u << access);
		op->deny_seen = (uint8_t)(1u << deny);
		state_stid_init(st, &op->s, STATE_STID_OPEN, o, f);
		list_add_tail(&f->opens, &op->s.file_link);
		st->n_opens++;
		o->client->n_opens++;
	}
	if (reclaim)
		o->confirmed = true; /* a reclaim needs no OPEN_CONFIRM */
	*need_confirm = minor == 0 && !o->confirmed;
	state_stid_export(&op->s, out);
out:
	pthread_mutex_unlock(&st->lock);
	return s;
}

/* Looks up an open stateid of owner o (st->lock held). */
static enum nfsstat4 open_lookup(struct state_server *st, struct state_owner *o,
				 const struct nfs4_stateid *sid, const struct state_file_key *file,
				 uint32_t minor, struct state_open **out)
{
	struct state_stid *s;
	enum nfsstat4 status = state_stid_lookup(st, sid, file, minor, &s);
	if (status != NFS4_OK)
		return status;
	if (s->type != STATE_STID_OPEN || s->owner != o)
		return NFS4ERR_BAD_STATEID;
	*out = (struct state_open *)s;
	return NFS4_OK;
}

enum nfsstat4 state_open_confirm(struct state_server *st, struct state_owner *o,
				 const struct nfs4_stateid *sid, const struct state_file_key *file,
				 struct nfs4_stateid *out)
{
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 s = NFS4ERR_BAD_STATEID;
	struct state_stid *stid = state_stid_find(st, sid->other);
	if (!stid || stid->owner->dead) {
		s = state_stid_missing(st, sid);
	} else if (stid->owner == o && o->confirmed) {
		s = NFS4ERR_BAD_STATEID; /* nothing left to confirm */
	} else if (stid->owner == o) {
		/* The owner is unconfirmed, which open_lookup refuses: check
		 * with it confirmed, and keep that if all is well. */
		o->confirmed = true;
		struct state_open *op;
		s = open_lookup(st, o, sid, file, 0, &op);
		if (s == NFS4_OK) {
			state_stid_bump(&op->s);
			state_stid_export(&op->s, out);
		} else {
			o->confirmed = false;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return s;
}

enum nfsstat4 state_open_downgrade(struct state_server *st, struct state_owner *o,
				   const struct nfs4_stateid *sid,
				   const struct state_file_key *file, uint32_t access,
				   uint32_t deny, uint32_t minor,
				   struct nfs4_stateid *out)
{
	pthread_mutex_lock(&st->lock);
	struct state_open *op;
	enum nfsstat4 s = open_lookup(st, o, sid, file, minor, &op);
	if (s == NFS4_OK) {
		if (access < STATE_SHARE_ACCESS_READ || access > STATE_SHARE_ACCESS_BOTH ||
		    deny > STATE_SHARE_DENY_BOTH || (access & ~op->access) || (deny & ~op->deny) ||
		    !(op->access_seen & (1u << access)) || !(op->deny_seen & (1u << deny))) {
			s = NFS4ERR_INVAL;
		} else {
			if ((op->access & ~access) & STATE_SHARE_ACCESS_WRITE)
				writers_change(st, op->s.file, -1);
			op->access = access;
			op->deny = deny;
			/* Modes wider than the new one are no longer held. */
			for (uint32_t v = 1; v <= STATE_SHARE_ACCESS_BOTH; v++)
				if (v & ~access)
					op->access_seen &= (uint8_t)~(1u << v);
			for (uint32_t v = 1; v <= STATE_SHARE_DENY_BOTH; v++)
				if (v & ~deny)
					op->deny_seen &= (uint8_t)~(1u << v);
			state_stid_bump(&op->s);
			state_stid_export(&op->s, out);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return s;
}

enum nfsstat4 state_close(struct state_server *st, struct state_owner *o,
			  const struct nfs4_stateid *sid, const struct state_file_key *file,
			  uint32_t minor, struct nfs4_stateid *out)
{
	pthread_mutex_lock(&st->lock);
	struct state_open *op;
	enum nfsstat4 s = open_lookup(st, o, sid, file, minor, &op);
	if (s == NFS4_OK) {
		state_stid_bump(&op->s);
		state_stid_export(&op->s, out);
		if (minor == 0) {
			/* Kept (unusable) until the owner's next operation, so a
			 * retransmitted CLOSE still finds its owner. */
			open_detach(st, op);
			op->s.type = STATE_STID_CLOSED;
			if (o->closed)
				state_open_free(st, o->closed);
			o->closed = op;
			list_del(&op->s.owner_link);
		} else {
			/* The lock owners whose last locks this open takes
			 * along go with it, as the open owner may. */
			enum { LOCK_OWNERS_SEEN = 16 };
			struct state_owner *lock_owners[LOCK_OWNERS_SEEN];
			unsigned n = 0;
			list_for_each_entry(ls, &op->s.file->lock_states, struct state_lockst,
					    s.file_link) {
				if (ls->open == op && n < LOCK_OWNERS_SEEN) {
					lock_owners[n] = ls->s.owner;
					lock_owners[n++]->refs++;
				}
			}
			state_open_free(st, op);
			for (unsigned i = 0; i < n; i++) {
				state_owner_release_if_empty(st, lock_owners[i], 1);
				state_owner_unref(st, lock_owners[i]);
			}
			state_owner_release_if_empty(st, o, 1); /* the caller's reference */
		}
	}
	pthread_mutex_unlock(&st->lock);
	return s;
}
