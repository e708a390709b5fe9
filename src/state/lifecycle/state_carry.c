/* The NFSv4 state an in-place upgrade hands to the new ferryd
 * (state_carry_save / state_carry_load): clients, their owners, opens,
 * lock states and ranges, delegations, and v4.1 sessions with their slot
 * tables, kept replies and connection bindings, each with the identifiers
 * the clients hold (clientids, stateids, session ids are this server's
 * random choices: unlike NLM's, the state cannot be made again by calls).
 * The new ferryd serves them on the connections handed over with no grace
 * period and no reclaim.
 *
 * A delegation goes over as it is (recalled or not) where
 * state_deleg_suspend was told what holds it back on the host goes over
 * too (the NFSv4 layer passes a file's lease, a directory's watch, beside
 * the image); a directory delegation with what its holder asked and the
 * changes waiting to be told.
 * What is not carried makes save refuse, and the new ferryd then starts
 * as after a restart (records, grace, reclaim): the other delegations
 * (those of a back end whose leases and watches cannot be handed over:
 * the upgrade recalls them first, and those not returned within a lease
 * are revoked, which are carried as revoked stateids), this head's own
 * grace period under way, a CREATE_SESSION half done.  A lock held in a
 * back end too (a ceph export's, the old process's CephFS session's) is
 * carried marked so: the new ferryd takes it in its own session before it
 * serves (export/backend_locks.c).  A cluster head's state is carried
 * too: its records stay in RADOS under its node, and the new process
 * joins under the old one's instance (state_cluster_options.instance)
 * without needing grace.
 *
 * Layout (XDR): the format version; the boot epoch, the identifier keys
 * and counters; the expired clientids; then per client its record, its
 * open owners before its lock owners (a lock state names its open), each
 * owner's states, its sessions, its revoked delegations and (format 3 on)
 * the delegations it holds and whether its v4.0 callback path worked;
 * then (format 2 on) the waiters of denied blocking v4.1 locks, oldest
 * first, whose clients are told by CB_NOTIFY_LOCK when the lock frees, as
 * before the upgrade.  Connections are named by their index in the
 * handover (state_carry_adopt_conn binds them again).  Format 4 adds to
 * each delegation whether it is a directory's, and a directory's record
 * and waiting changes; format 5 to each lock state whether a back end
 * holds its ranges too.  Formats 1 to 4 are still read, and the oldest
 * that holds the state is written (4 with no lock held in a back end, 3
 * with no directory delegation either, 2 with no delegation at all). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/clients/session_internal.h"
#include "state/deleg/state_dirdeleg.h"
#include "xdr/xdr.h"

/* The format saved; the oldest one read; the first with the waiters; the
 * first with delegations held; the first with directory delegations; the
 * first with locks held in a back end. */
enum {
	CARRY_FORMAT = 5,
	CARRY_FORMAT_OLDEST = 1,
	CARRY_FORMAT_WAITERS = 2,
	CARRY_FORMAT_DELEGS = 3,
	CARRY_FORMAT_DIRS = 4,
	CARRY_FORMAT_BACKEND_LOCKS = 5,
};

/* --- save ---------------------------------------------------------------------- */

struct save {
	struct state_server *st;
	uint32_t format;
	struct xdr_enc *e;
	state_carry_conn_index_fn conn_index;
	void *arg;
	uint64_t now;
	bool refused; /* something that cannot be carried (err says what) */
	char *err;
	size_t errlen;
};

static bool enc_key(struct xdr_enc *e, const struct state_file_key *k)
{
	return xdr_encode_u32(e, k->export_id) && xdr_encode_opaque(e, k->bh.data, k->bh.len);
}

static bool enc_chan(struct xdr_enc *e, const struct nfs4_chan_attrs *a)
{
	return xdr_encode_u32(e, a->headerpadsize) && xdr_encode_u32(e, a->maxrequestsize) &&
	       xdr_encode_u32(e, a->maxresponsesize) &&
	       xdr_encode_u32(e, a->maxresponsesize_cached) &&
	       xdr_encode_u32(e, a->maxoperations) && xdr_encode_u32(e, a->maxrequests) &&
	       xdr_encode_bool(e, a->has_rdma_ird) && xdr_encode_u32(e, a->rdma_ird);
}

static bool enc_cb_sec(struct xdr_enc *e, const struct state_cb_sec *c)
{
	bool ok = xdr_encode_bool(e, c->none) && xdr_encode_bool(e, c->sys) &&
		  xdr_encode_u32(e, c->cred.stamp) && xdr_encode_u32(e, c->cred.uid) &&
		  xdr_encode_u32(e, c->cred.gid) && xdr_encode_u32(e, c->cred.ngids);
	for (uint32_t i = 0; ok && i < c->cred.ngids; i++)
		ok = xdr_encode_u32(e, c->cred.gids[i]);
	return ok && xdr_encode_cstring(e, c->cred.machinename) && xdr_encode_bool(e, c->gss) &&
	       xdr_encode_u32(e, c->gss_service) &&
	       xdr_encode_opaque(e, c->gss_from_server, c->gss_from_server_len) &&
	       xdr_encode_opaque(e, c->gss_from_client, c->gss_from_client_len);
}

static bool save_refuse(struct save *sv, const char *why)
{
	snprintf(sv->err, sv->errlen, "%s", why);
	sv->refused = true;
	return false;
}

/* Whether some NFSv4 lock state has its ranges in a back end too (NLM's
 * go in NLM's section). */
static bool backend_locks_held(const struct state_server *st)
{
	list_for_each_entry(cl, &st->clients, const struct state_client, link) {
		if (cl->nlm)
			continue;
		list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
			if (o->kind != STATE_OWNER_LOCK)
				continue;
			list_for_each_entry(s, &o->states, const struct state_stid, owner_link) {
				if (((const struct state_lockst *)s)->backend)
					return true;
			}
		}
	}
	return false;
}

static bool save_state(struct save *sv, const struct state_stid *s)
{
	struct xdr_enc *e = sv->e;
	if (!s->file)
		return save_refuse(sv, "a state without its file");
	if (!xdr_encode_opaque_fixed(e, s->other, NFS4_OTHER_SIZE) ||
	    !xdr_encode_u32(e, s->seqid) || !enc_key(e, &s->file->key))
		return false;
	if (s->type == STATE_STID_OPEN) {
		const struct state_open *op = (const struct state_open *)s;
		return xdr_encode_u32(e, op->access) && xdr_encode_u32(e, op->deny) &&
		       xdr_encode_u32(e, op->access_seen) && xdr_encode_u32(e, op->deny_seen);
	}
	const struct state_lockst *ls = (const struct state_lockst *)s;
	uint32_t n = 0;
	list_for_each_entry(r, &s->file->ranges, const struct state_range, file_link)
		n += r->ls == ls;
	if (!xdr_encode_opaque_fixed(e, ls->open->s.other, NFS4_OTHER_SIZE) ||
	    (sv->format >= CARRY_FORMAT_BACKEND_LOCKS && !xdr_encode_bool(e, ls->backend)) ||
	    !xdr_encode_u32(e, n))
		return false;
	list_for_each_entry(r, &s->file->ranges, const struct state_range, file_link) {
		if (r->ls == ls && !(xdr_encode_u64(e, r->start) && xdr_encode_u64(e, r->last) &&
				     xdr_encode_u32(e, r->type)))
			return false;
	}
	return true;
}

static bool save_owner(struct save *sv, const struct state_owner *o)
{
	struct xdr_enc *e = sv->e;
	const struct state_replay *r = &o->reply;
	if (!xdr_encode_u32(e, o->kind) || !xdr_encode_opaque(e, o->bytes, o->len) ||
	    !xdr_encode_bool(e, o->confirmed) || !xdr_encode_bool(e, o->has_seqid) ||
	    !xdr_encode_u32(e, o->seqid) || !xdr_encode_bool(e, o->r_valid))
		return false;
	if (o->r_valid &&
	    !(xdr_encode_u32(e, r->opnum) && xdr_encode_u32(e, r->status) &&
	      xdr_encode_opaque(e, r->body, (uint32_t)r->len) && xdr_encode_bool(e, r->has_file) &&
	      enc_key(e, &r->file)))
		return false;
	if (!xdr_encode_bool(e, o->closed != NULL))
		return false;
	if (o->closed && !(xdr_encode_opaque_fixed(e, o->closed->s.other, NFS4_OTHER_SIZE) &&
			   xdr_encode_u32(e, o->closed->s.seqid)))
		return false;
	uint32_t n = (uint32_t)list_count(&o->states);
	if (!xdr_encode_u32(e, n))
		return false;
	list_for_each_entry(s, &o->states, const struct state_stid, owner_link) {
		if (!save_state(sv, s))
			return false;
	}
	return true;
}

static bool save_session(struct save *sv, struct state_session *s)
{
	struct xdr_enc *e = sv->e;
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&s->inflight) > 0) {
		pthread_mutex_unlock(&s->lock);
		return save_refuse(sv, "a session has a request under way");
	}
	/* How long ago it was last used: its client's lease runs from there
	 * (state_sessions_lease), not from the upgrade. */
	uint64_t renewed = atomic_load(&s->renewed_ms);
	uint64_t age = sv->now > renewed ? sv->now - renewed : 0;
	ok = xdr_encode_opaque_fixed(e, s->id, NFS4_SESSIONID_SIZE) &&
	     xdr_encode_u32(e, age > UINT32_MAX ? UINT32_MAX : (uint32_t)age) &&
	     xdr_encode_u32(e, s->minor) && enc_chan(e, &s->fore) && enc_chan(e, &s->back) &&
	     xdr_encode_u32(e, s->flags) && xdr_encode_u32(e, s->nslots) &&
	     xdr_encode_u32(e, s->target_last) && xdr_encode_u32(e, s->highest);
	for (uint32_t i = 0; ok && i < s->nslots; i++) {
		const struct state_slot *sl = &s->slots[i];
		const struct buf *b = sl->reply;
		ok = xdr_encode_u32(e, sl->seqid) && xdr_encode_bool(e, sl->used) &&
		     xdr_encode_u64(e, sl->digest) && xdr_encode_bool(e, b != NULL) &&
		     (!b || xdr_encode_opaque(e, b->data + sl->reply_off,
					      (uint32_t)(b->len - sl->reply_off)));
	}
	/* The connections still bound that were handed over. */
	uint32_t nconns = 0;
	for (unsigned i = 0; i < s->nconns; i++)
		nconns += sv->conn_index(sv->arg, s->conns[i].conn) >= 0;
	ok = ok && xdr_encode_u32(e, nconns);
	for (unsigned i = 0; ok && i < s->nconns; i++) {
		int idx = sv->conn_index(sv->arg, s->conns[i].conn);
		if (idx >= 0)
			ok = xdr_encode_u32(e, (uint32_t)idx) && xdr_encode_u32(e, s->conns[i].dir);
	}
	uint32_t nback = s->back.maxrequests ? s->back.maxrequests : 1;
	ok = ok && xdr_encode_bool(e, s->back_wanted) && xdr_encode_u32(e, s->cb_program) &&
	     enc_cb_sec(e, &s->cb_sec) && xdr_encode_u32(e, nback);
	for (uint32_t i = 0; ok && i < nback; i++)
		ok = xdr_encode_u32(e, s->back_slots[i].seqid);
	ok = ok && xdr_encode_u32(e, s->back_limit);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static bool enc_bitmap(struct xdr_enc *e, const struct nfs4_bitmap *b)
{
	bool ok = true;
	for (unsigned i = 0; ok && i < NFS4_BITMAP_WORDS; i++)
		ok = xdr_encode_u32(e, b->w[i]);
	return ok;
}

/* What a directory delegation's holder asked, and the changes waiting
 * for it, each with the time it has left.  A CB_NOTIFY under way may
 * or may not have reached the holder: the new ferryd recalls it. */
static bool save_dir(struct save *sv, const struct state_dirdeleg *dd)
{
	struct xdr_enc *e = sv->e;
	if (!(xdr_encode_u32(e, dd->notify) && enc_bitmap(e, &dd->child_attrs) &&
	      enc_bitmap(e, &dd->dir_attrs) && xdr_encode_u32(e, dd->child_delay_ms) &&
	      xdr_encode_u32(e, dd->dir_delay_ms) && xdr_encode_u32(e, dd->max_wire) &&
	      xdr_encode_bool(e, dd->in_flight) && xdr_encode_u32(e, dd->count)))
		return false;
	uint32_t off = 0, n = 0;
	while (off < dd->len) {
		struct state_dirdeleg_item h;
		memcpy(&h, dd->buf + off, sizeof(h));
		uint64_t left = h.due_ms > sv->now ? h.due_ms - sv->now : 0;
		if (!(xdr_encode_u32(e, h.kind) && xdr_encode_u64(e, h.key) &&
		      xdr_encode_u64(e, left) &&
		      xdr_encode_opaque(e, dd->buf + off + sizeof(h), h.len)))
			return false;
		off += (uint32_t)sizeof(h) + h.len;
		n++;
	}
	return n == dd->count || save_refuse(sv, "a directory's changes do not add up");
}

/* The delegations a client holds, each with its file (whose lease or
 * watch the NFSv4 layer hands over beside the image) and, if recalled,
 * how long ago. */
static bool save_delegs(struct save *sv, struct state_client *cl)
{
	struct xdr_enc *e = sv->e;
	if (!xdr_encode_u32(e, cl->n_delegs))
		return false;
	uint32_t n = 0;
	list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
		if (o->kind != STATE_OWNER_DELEG)
			continue;
		list_for_each_entry(s, &o->states, const struct state_stid, owner_link) {
			const struct state_deleg *d = (const struct state_deleg *)s;
			if (d->revoked)
				continue;
			if (!state_deleg_is_carried(sv->st, d))
				return save_refuse(sv, d->dir ? "a directory delegation whose "
								"watch cannot be handed over "
								"is held"
							      : "a delegation whose lease cannot "
								"be handed over is held");
			if (d->dir && sv->format < CARRY_FORMAT_DIRS)
				return save_refuse(sv, "directory delegations do not add up");
			uint64_t ago = d->recalled && sv->now > d->recall_ms ? sv->now - d->recall_ms
									   : 0;
			if (!(xdr_encode_opaque_fixed(e, s->other, NFS4_OTHER_SIZE) &&
			      xdr_encode_u32(e, s->seqid) && xdr_encode_u32(e, d->type) &&
			      enc_key(e, &s->file->key) && xdr_encode_bool(e, d->timestamps) &&
			      xdr_encode_bool(e, d->recalled) && xdr_encode_u64(e, ago)))
				return false;
			if (sv->format >= CARRY_FORMAT_DIRS &&
			    !(xdr_encode_bool(e, d->dir != NULL) && (!d->dir || save_dir(sv, d->dir))))
				return false;
			n++;
		}
	}
	return n == cl->n_delegs || save_refuse(sv, "a client's delegations do not add up");
}

static bool save_client(struct save *sv, struct state_client *cl)
{
	struct xdr_enc *e = sv->e;
	if (cl->cs_busy)
		return save_refuse(sv, "a CREATE_SESSION is under way");
	const struct state_principal *p = &cl->principal;
	uint64_t left = cl->expires_ms > sv->now ? cl->expires_ms - sv->now : 0;
	const struct buf *cs = cl->cs_reply;
	bool ok = xdr_encode_u64(e, cl->clientid) &&
		  xdr_encode_opaque_fixed(e, cl->verifier, NFS4_VERIFIER_SIZE) &&
		  xdr_encode_opaque_fixed(e, cl->confirm, NFS4_VERIFIER_SIZE) &&
		  xdr_encode_opaque(e, cl->name, cl->name_len) && xdr_encode_u32(e, p->flavor) &&
		  xdr_encode_u32(e, p->uid) && xdr_encode_cstring(e, p->machine) && xdr_encode_cstring(e, p->gss_name) &&
		  xdr_encode_u32(e, p->gss_service) && xdr_encode_u32(e, cl->cb.program) &&
		  xdr_encode_u32(e, cl->cb.ident) && xdr_encode_cstring(e, cl->cb.netid) &&
		  xdr_encode_cstring(e, cl->cb.addr) && xdr_encode_cstring(e, cl->peer) &&
		  xdr_encode_bool(e, cl->confirmed) && xdr_encode_u32(e, (uint32_t)left) &&
		  xdr_encode_bool(e, cl->v41) && xdr_encode_u32(e, cl->minor) &&
		  xdr_encode_bool(e, cl->sp4.mach) && xdr_encode_u64(e, cl->sp4.enforce[0]) &&
		  xdr_encode_u64(e, cl->sp4.enforce[1]) && xdr_encode_u64(e, cl->sp4.allow[0]) &&
		  xdr_encode_u64(e, cl->sp4.allow[1]) && xdr_encode_u32(e, cl->eid_flags) &&
		  xdr_encode_u32(e, cl->cs_seq) && xdr_encode_u32(e, cl->cs_status) &&
		  xdr_encode_bool(e, cs != NULL) &&
		  (!cs || xdr_encode_opaque(e, cs->data, (uint32_t)cs->len)) &&
		  xdr_encode_bool(e, cl->reclaim_complete);
	if (!ok)
		return false;
	/* Open owners first: a lock state names the open it came from. */
	uint32_t nowners = 0;
	list_for_each_entry(o, &cl->owners, const struct state_owner, client_link)
		nowners += o->kind != STATE_OWNER_DELEG;
	if (!xdr_encode_u32(e, nowners))
		return false;
	for (int kind = STATE_OWNER_OPEN; kind <= STATE_OWNER_LOCK; kind++) {
		list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
			if ((int)o->kind == kind && !save_owner(sv, o))
				return false;
		}
	}
	if (!xdr_encode_u32(e, (uint32_t)list_count(&cl->sessions)))
		return false;
	list_for_each_entry(s, &cl->sessions, struct state_session, client_link) {
		if (!save_session(sv, s))
			return false;
	}
	/* Revoked delegations not freed yet, after the sessions: loading them
	 * sets the sessions' SEQ4_STATUS_RECALLABLE_STATE_REVOKED. */
	if (!xdr_encode_u32(e, cl->n_revoked))
		return false;
	uint32_t revoked = 0;
	list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
		if (o->kind != STATE_OWNER_DELEG)
			continue;
		list_for_each_entry(s, &o->states, const struct state_stid, owner_link) {
			const struct state_deleg *d = (const struct state_deleg *)s;
			if (!d->revoked)
				continue;
			if (!(xdr_encode_opaque_fixed(e, s->other, NFS4_OTHER_SIZE) &&
			      xdr_encode_u32(e, s->seqid) && xdr_encode_u32(e, d->type)))
				return false;
			revoked++;
		}
	}
	if (revoked != cl->n_revoked)
		return save_refuse(sv, "a client's revoked delegations do not add up");
	if (sv->format < CARRY_FORMAT_DELEGS)
		return true;
	/* A v4.0 client's callback path as this process last found it. */
	return save_delegs(sv, cl) && xdr_encode_bool(e, cl->cb_status == STATE_CB_UP);
}

/* The waiters of denied blocking locks, oldest first (their expiry
 * order), each with the time it has left. */
static bool save_waiters(struct save *sv)
{
	struct xdr_enc *e = sv->e;
	if (!xdr_encode_u32(e, sv->st->n_waiters))
		return false;
	uint32_t n = 0;
	list_for_each_entry(w, &sv->st->waiters, struct state_waiter, all_link) {
		uint64_t left = w->expires_ms > sv->now ? w->expires_ms - sv->now : 0;
		if (!enc_key(e, &w->file->key) || !xdr_encode_u64(e, w->clientid) ||
		    !xdr_encode_opaque(e, w->owner, w->owner_len) || !xdr_encode_u32(e, w->type) ||
		    !xdr_encode_u64(e, w->start) || !xdr_encode_u64(e, w->last) ||
		    !xdr_encode_u64(e, left))
			return false;
		n++;
	}
	return n == sv->st->n_waiters || save_refuse(sv, "the waiters do not add up");
}

int state_carry_save(struct state_server *st, state_carry_conn_index_fn conn_index, void *arg,
		     struct buf **out, char *err, size_t errlen)
{
	*out = NULL;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 64 * 1024, 1u << 30)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	err[0] = '\0';
	struct save sv = {.st = st, .e = &e, .conn_index = conn_index, .arg = arg,
			  .now = state_now_ms(), .err = err, .errlen = errlen};
	pthread_mutex_lock(&st->lock);
	/* The oldest format that holds what is there, so that an upgrade
	 * back to the release before carries the state when it can: with no
	 * directory delegation, the one before's (3); with no delegation at
	 * all, the one before that's (2). */
	sv.format = backend_locks_held(st)	  ? CARRY_FORMAT_BACKEND_LOCKS
		    : atomic_load(&st->deleg.n_dir) ? CARRY_FORMAT_DIRS
		    : st->deleg.files.active	  ? CARRY_FORMAT_DELEGS
						  : CARRY_FORMAT_WAITERS;
	bool ok = true;
	/* A cluster's grace that other heads started goes on after the
	 * upgrade (this head enforces it again when it joins); this head's own
	 * is for clients that have not reclaimed yet. */
	if (state_grace_own(st, sv.now))
		ok = save_refuse(&sv, "a grace period is under way");
	uint32_t nclients = 0;
	list_for_each_entry(cl, &st->clients, struct state_client, link)
		nclients += !cl->nlm;
	if (ok) {
		ok = xdr_encode_u32(&e, sv.format) && xdr_encode_u32(&e, st->boot) &&
		     xdr_encode_u64(&e, st->id_key.k0) && xdr_encode_u64(&e, st->id_key.k1) &&
		     xdr_encode_u32(&e, st->next_client) && xdr_encode_u32(&e, st->next_stid);
		pthread_mutex_lock(&st->sess_lock);
		ok = ok && xdr_encode_u32(&e, st->next_session);
		pthread_mutex_unlock(&st->sess_lock);
		ok = ok && xdr_encode_u32(&e, (uint32_t)st->expired_count);
		for (size_t i = 0; ok && i < st->expired_count; i++)
			ok = xdr_encode_u64(&e, st->expired[i]);
		ok = ok && xdr_encode_u32(&e, nclients);
	}
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		if (!ok)
			break;
		if (!cl->nlm)
			ok = save_client(&sv, cl);
	}
	ok = ok && save_waiters(&sv);
	pthread_mutex_unlock(&st->lock);
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		if (sv.refused)
			return -EBUSY;
		snprintf(err, errlen, "out of memory writing the NFSv4 state");
		return -ENOMEM;
	}
	*out = xdr_enc_take(&e);
	return 0;
}

/* --- load ---------------------------------------------------------------------- */

/* A connection binding waiting for its connection (state_carry_adopt_conn). */
struct state_carry_bind {
	struct state_session *s; /* referenced */
	uint32_t index;
	unsigned dir;
};

struct load {
	struct state_server *st;
	struct xdr_dec *d;
	uint32_t format;
	uint64_t now;
	unsigned clients, sessions, opens, locks, waiters, delegs;
	unsigned dirs, dir_changes; /* directory delegations, changes waiting */
	char *err;
	size_t errlen;
};

static bool load_fail(struct load *ld, const char *what)
{
	snprintf(ld->err, ld->errlen, "the NFSv4 state image: %s", what);
	return false;
}

static bool dec_key(struct xdr_dec *d, struct state_file_key *k)
{
	const uint8_t *h;
	uint32_t len;
	memset(k, 0, sizeof(*k));
	if (!xdr_decode_u32(d, &k->export_id) || !xdr_decode_opaque(d, BACKEND_HANDLE_MAX, &h, &len))
		return false;
	k->bh.len = (uint8_t)len;
	memcpy(k->bh.data, h, len);
	return true;
}

static bool dec_other(struct xdr_dec *d, uint8_t other[NFS4_OTHER_SIZE])
{
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(d, NFS4_OTHER_SIZE, &p))
		return false;
	memcpy(other, p, NFS4_OTHER_SIZE);
	return true;
}

static bool dec_chan(struct xdr_dec *d, struct nfs4_chan_attrs *a)
{
	return xdr_decode_u32(d, &a->headerpadsize) && xdr_decode_u32(d, &a->maxrequestsize) &&
	       xdr_decode_u32(d, &a->maxresponsesize) &&
	       xdr_decode_u32(d, &a->maxresponsesize_cached) &&
	       xdr_decode_u32(d, &a->maxoperations) && xdr_decode_u32(d, &a->maxrequests) &&
	       xdr_decode_bool(d, &a->has_rdma_ird) && xdr_decode_u32(d, &a->rdma_ird);
}

static bool dec_cb_sec(struct xdr_dec *d, struct state_cb_sec *c)
{
	memset(c, 0, sizeof(*c));
	const uint8_t *p;
	if (!xdr_decode_bool(d, &c->none) || !xdr_decode_bool(d, &c->sys) ||
	    !xdr_decode_u32(d, &c->cred.stamp) || !xdr_decode_u32(d, &c->cred.uid) ||
	    !xdr_decode_u32(d, &c->cred.gid) || !xdr_decode_u32(d, &c->cred.ngids) ||
	    c->cred.ngids > RPC_AUTH_SYS_MAX_GIDS)
		return false;
	for (uint32_t i = 0; i < c->cred.ngids; i++)
		if (!xdr_decode_u32(d, &c->cred.gids[i]))
			return false;
	c->cred.flavor = RPC_AUTH_SYS;
	if (!xdr_decode_cstring(d, c->cred.machinename, sizeof(c->cred.machinename)) ||
	    !xdr_decode_bool(d, &c->gss) || !xdr_decode_u32(d, &c->gss_service) ||
	    !xdr_decode_opaque(d, STATE_GSS_HANDLE_MAX, &p, &c->gss_from_server_len))
		return false;
	memcpy(c->gss_from_server, p, c->gss_from_server_len);
	if (!xdr_decode_opaque(d, STATE_GSS_HANDLE_MAX, &p, &c->gss_from_client_len))
		return false;
	memcpy(c->gss_from_client, p, c->gss_from_client_len);
	return true;
}

static bool load_state(struct load *ld, struct state_owner *o)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	uint8_t other[NFS4_OTHER_SIZE];
	uint32_t seqid;
	struct state_file_key key;
	if (!dec_other(d, other) || !xdr_decode_u32(d, &seqid) || !dec_key(d, &key))
		return load_fail(ld, "a state does not decode");
	if (state_stid_find(st, other))
		return load_fail(ld, "a stateid comes twice");
	struct state_file *f = state_file_get(st, &key, true);
	if (!f)
		return load_fail(ld, "out of memory");
	if (o->kind == STATE_OWNER_OPEN) {
		struct state_open_carry c;
		uint32_t as, ds;
		memcpy(c.other, other, NFS4_OTHER_SIZE);
		c.seqid = seqid;
		if (!xdr_decode_u32(d, &c.access) || !xdr_decode_u32(d, &c.deny) ||
		    !xdr_decode_u32(d, &as) || !xdr_decode_u32(d, &ds) || as > 0xff || ds > 0xff ||
		    c.access > STATE_SHARE_ACCESS_BOTH || c.deny > STATE_SHARE_ACCESS_BOTH) {
			state_file_maybe_free(st, f);
			return load_fail(ld, "an open does not decode");
		}
		c.access_seen = (uint8_t)as;
		c.deny_seen = (uint8_t)ds;
		if (!state_open_carried(st, o, f, &c)) {
			state_file_maybe_free(st, f);
			return load_fail(ld, "out of memory");
		}
		ld->opens++;
		return true;
	}
	uint8_t open_other[NFS4_OTHER_SIZE];
	uint32_t nranges;
	bool backend = false;
	struct state_stid *os = dec_other(d, open_other) ? state_stid_find(st, open_other) : NULL;
	if (!os || os->type != STATE_STID_OPEN || os->file != f ||
	    os->owner->clientid != o->clientid ||
	    (ld->format >= CARRY_FORMAT_BACKEND_LOCKS && !xdr_decode_bool(d, &backend)) ||
	    !xdr_decode_u32(d, &nranges)) {
		state_file_maybe_free(st, f);
		return load_fail(ld, "a lock state names no open of its client on its file");
	}
	struct state_lockst *ls =
		state_lockst_carried(st, o, (struct state_open *)os, other, seqid);
	if (!ls)
		return load_fail(ld, "out of memory");
	/* Its ranges are taken in the back end again before this ferryd
	 * serves (export/backend_locks.c). */
	ls->backend = backend;
	for (uint32_t i = 0; i < nranges; i++) {
		uint64_t start, last;
		uint32_t type;
		struct state_range *nr, *spare;
		if (!xdr_decode_u64(d, &start) || !xdr_decode_u64(d, &last) ||
		    !xdr_decode_u32(d, &type) || start > last ||
		    (type != STATE_READ_LT && type != STATE_WRITE_LT))
			return load_fail(ld, "a lock range does not decode");
		if (state_lock_conflict(f, type, start, last, state_range_of_owner, o))
			return load_fail(ld, "a lock range conflicts with another");
		if (!state_ranges_alloc(&nr, &spare))
			return load_fail(ld, "out of memory");
		state_ranges_set(st, ls, type, start, last, nr, &spare);
		free(spare);
		ld->locks++;
	}
	return true;
}

static bool load_owner(struct load *ld, struct state_client *cl)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	uint32_t kind, len, nstates;
	const uint8_t *bytes;
	if (!xdr_decode_u32(d, &kind) || (kind != STATE_OWNER_OPEN && kind != STATE_OWNER_LOCK) ||
	    !xdr_decode_opaque(d, NFS4_OPAQUE_LIMIT, &bytes, &len))
		return load_fail(ld, "an owner does not decode");
	if (state_owner_find(st, cl->clientid, kind, bytes, len))
		return load_fail(ld, "an owner comes twice");
	struct state_owner *o = state_owner_create(st, cl, kind, bytes, len);
	if (!o)
		return load_fail(ld, "an owner over the caps, or out of memory");
	bool has_closed;
	if (!xdr_decode_bool(d, &o->confirmed) || !xdr_decode_bool(d, &o->has_seqid) ||
	    !xdr_decode_u32(d, &o->seqid) || !xdr_decode_bool(d, &o->r_valid))
		return load_fail(ld, "an owner does not decode");
	if (o->r_valid) {
		struct state_replay *r = &o->reply;
		uint32_t status, blen;
		const uint8_t *body;
		if (!xdr_decode_u32(d, &r->opnum) || !xdr_decode_u32(d, &status) ||
		    !xdr_decode_opaque(d, 1u << 20, &body, &blen) ||
		    !xdr_decode_bool(d, &r->has_file) || !dec_key(d, &r->file)) {
			o->r_valid = false;
			return load_fail(ld, "an owner's last reply does not decode");
		}
		r->status = (enum nfsstat4)status;
		uint8_t *copy = blen ? malloc(blen) : NULL;
		if (blen && !copy) {
			o->r_valid = false;
			return load_fail(ld, "out of memory");
		}
		if (blen)
			memcpy(copy, body, blen);
		r->body = copy;
		r->len = blen;
	}
	if (!xdr_decode_bool(d, &has_closed))
		return load_fail(ld, "an owner does not decode");
	if (has_closed) {
		struct state_open_carry c = {0};
		if (!dec_other(d, c.other) || !xdr_decode_u32(d, &c.seqid) ||
		    state_stid_find(st, c.other))
			return load_fail(ld, "a closed open does not decode");
		if (!state_open_carried(st, o, NULL, &c))
			return load_fail(ld, "out of memory");
	}
	if (!xdr_decode_u32(d, &nstates))
		return load_fail(ld, "an owner does not decode");
	for (uint32_t i = 0; i < nstates; i++)
		if (!load_state(ld, o))
			return false;
	return true;
}

static bool load_session(struct load *ld, struct state_client *cl, struct state_carry_bind **binds,
			 size_t *nbinds)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	const uint8_t *id;
	uint32_t age, minor, flags, nslots, target_last, highest;
	struct nfs4_chan_attrs fore, back;
	if (!xdr_decode_opaque_fixed(d, NFS4_SESSIONID_SIZE, &id) || !xdr_decode_u32(d, &age) ||
	    !xdr_decode_u32(d, &minor) ||
	    !dec_chan(d, &fore) || !dec_chan(d, &back) || !xdr_decode_u32(d, &flags) ||
	    !xdr_decode_u32(d, &nslots) || !xdr_decode_u32(d, &target_last) ||
	    !xdr_decode_u32(d, &highest))
		return load_fail(ld, "a session does not decode");
	if (nslots == 0 || nslots != fore.maxrequests || nslots > 1u << 16 ||
	    back.maxrequests > 1u << 16 || target_last >= nslots || highest >= nslots)
		return load_fail(ld, "a session's slot table is out of bounds");
	struct state_session *found = state_session_find(st, id);
	if (found) {
		state_session_unref(st, found);
		return load_fail(ld, "a session comes twice");
	}
	/* The back channel's program and security come after the slots:
	 * made with none, set below. */
	struct state_cb_sec nosec = {0};
	struct state_session *s = state_session_new(st, cl, &fore, &back, flags, 0, &nosec, id);
	if (!s)
		return load_fail(ld, "out of memory");
	s->minor = (uint8_t)minor;
	atomic_store(&s->renewed_ms, ld->now > age ? ld->now - age : 0);
	s->target_last = target_last;
	s->highest = highest;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < nslots; i++) {
		struct state_slot *sl = &s->slots[i];
		bool has_reply;
		if (!xdr_decode_u32(d, &sl->seqid) || !xdr_decode_bool(d, &sl->used) ||
		    !xdr_decode_u64(d, &sl->digest) || !xdr_decode_bool(d, &has_reply))
			return load_fail(ld, "a slot does not decode");
		if (!has_reply)
			continue;
		const uint8_t *p;
		uint32_t len;
		if (!xdr_decode_opaque(d, fore.maxresponsesize_cached + 1024, &p, &len))
			return load_fail(ld, "a slot's kept reply does not decode");
		struct buf *b = buf_new(len ? len : 1);
		if (!b)
			return load_fail(ld, "out of memory");
		memcpy(b->data, p, len);
		b->len = len;
		sl->reply = b;
		sl->reply_off = 0;
		bytes += b->cap;
	}
	atomic_fetch_add(&st->cache_bytes, bytes);
	uint32_t nconns;
	if (!xdr_decode_u32(d, &nconns) || nconns > 1u << 16)
		return load_fail(ld, "a session's connections do not decode");
	for (uint32_t i = 0; i < nconns; i++) {
		uint32_t index, dir;
		if (!xdr_decode_u32(d, &index) || !xdr_decode_u32(d, &dir) ||
		    (dir & ~(STATE_CONN_FORE | STATE_CONN_BACK)) || !dir)
			return load_fail(ld, "a session's connection does not decode");
		struct state_carry_bind *grown = realloc(*binds, (*nbinds + 1) * sizeof(**binds));
		if (!grown)
			return load_fail(ld, "out of memory");
		*binds = grown;
		grown[(*nbinds)++] =
			(struct state_carry_bind){.s = state_session_ref(s), .index = index, .dir = dir};
		s->carry_unbound = true;
	}
	uint32_t nback, cb_program;
	struct state_cb_sec sec;
	bool back_wanted;
	if (!xdr_decode_bool(d, &back_wanted) || !xdr_decode_u32(d, &cb_program) ||
	    !dec_cb_sec(d, &sec) || !xdr_decode_u32(d, &nback) ||
	    nback != (back.maxrequests ? back.maxrequests : 1))
		return load_fail(ld, "a session's back channel does not decode");
	pthread_mutex_lock(&s->lock);
	s->back_wanted = back_wanted;
	s->cb_program = cb_program;
	s->cb_sec = sec;
	bool ok = true;
	for (uint32_t i = 0; ok && i < nback; i++)
		ok = xdr_decode_u32(d, &s->back_slots[i].seqid);
	ok = ok && xdr_decode_u32(d, &s->back_limit) && s->back_limit < nback;
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		return load_fail(ld, "a session's back slots do not decode");
	ld->sessions++;
	return true;
}

static bool dec_bitmap(struct xdr_dec *d, struct nfs4_bitmap *b)
{
	bool ok = true;
	for (unsigned i = 0; ok && i < NFS4_BITMAP_WORDS; i++)
		ok = xdr_decode_u32(d, &b->w[i]);
	return ok;
}

/* A directory delegation's record as save_dir wrote it, without its
 * changes (load_dir_changes); NULL when it does not decode (*oom: or
 * there was no memory). */
static struct state_dirdeleg *load_dir(struct load *ld, uint32_t *nchanges, bool *in_flight,
				       bool *oom)
{
	struct xdr_dec *d = ld->d;
	struct state_dirdeleg *dd = calloc(1, sizeof(*dd));
	*oom = !dd;
	if (!dd)
		return NULL;
	if (!xdr_decode_u32(d, &dd->notify) || !dec_bitmap(d, &dd->child_attrs) ||
	    !dec_bitmap(d, &dd->dir_attrs) || !xdr_decode_u32(d, &dd->child_delay_ms) ||
	    !xdr_decode_u32(d, &dd->dir_delay_ms) || !xdr_decode_u32(d, &dd->max_wire) ||
	    !xdr_decode_bool(d, in_flight) || !xdr_decode_u32(d, nchanges) ||
	    *nchanges > 1u << 20) {
		free(dd);
		return NULL;
	}
	return dd;
}

/* A recalled delegation keeps no change (its recall superseded them):
 * read past. */
static bool load_dir_changes(struct load *ld, struct state_deleg *dg, uint32_t n)
{
	struct xdr_dec *d = ld->d;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t kind, len;
		uint64_t key, left;
		const uint8_t *body;
		if (!xdr_decode_u32(d, &kind) || !xdr_decode_u64(d, &key) ||
		    !xdr_decode_u64(d, &left) || !xdr_decode_opaque(d, 1u << 20, &body, &len) ||
		    kind > NOTIFY4_CHANGE_COOKIE_VERIFIER)
			return load_fail(ld, "a directory's changes do not decode");
		if (!dg->recalled &&
		    !state_dirdeleg_carried_change(ld->st, dg, kind, key, ld->now + left, body, len))
			return load_fail(ld, "out of memory");
	}
	return true;
}

static bool load_delegs(struct load *ld, struct state_client *cl)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > 1u << 20)
		return load_fail(ld, "a client's delegations do not decode");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t other[NFS4_OTHER_SIZE];
		uint32_t seqid, type;
		struct state_file_key key;
		bool timestamps, recalled, is_dir = false;
		uint64_t ago;
		if (!dec_other(d, other) || !xdr_decode_u32(d, &seqid) ||
		    !xdr_decode_u32(d, &type) || !dec_key(d, &key) ||
		    !xdr_decode_bool(d, &timestamps) || !xdr_decode_bool(d, &recalled) ||
		    !xdr_decode_u64(d, &ago) ||
		    (ld->format >= CARRY_FORMAT_DIRS && !xdr_decode_bool(d, &is_dir)) ||
		    (type != OPEN_DELEGATE_READ && type != OPEN_DELEGATE_WRITE) ||
		    (is_dir && type != OPEN_DELEGATE_READ) || state_stid_find(st, other))
			return load_fail(ld, "a delegation does not decode");
		struct state_dirdeleg *dd = NULL;
		uint32_t nchanges = 0;
		bool in_flight = false, oom;
		if (is_dir && !(dd = load_dir(ld, &nchanges, &in_flight, &oom)))
			return load_fail(ld, oom ? "out of memory"
						 : "a directory delegation does not decode");
		struct state_file *f = state_file_get(st, &key, true);
		if (!f) {
			free(dd);
			return load_fail(ld, "out of memory");
		}
		/* One client, one delegation of a file; a write one alone;
		 * a file's and a directory's never on one object. */
		bool clash = false;
		list_for_each_entry(o, &f->delegs, const struct state_deleg, s.file_link)
			clash = clash || o->s.owner->clientid == cl->clientid ||
				type == OPEN_DELEGATE_WRITE || o->type == OPEN_DELEGATE_WRITE ||
				(o->dir != NULL) != is_dir;
		if (clash) {
			free(dd);
			state_file_maybe_free(st, f);
			return load_fail(ld, "two delegations of a file that cannot both be held");
		}
		uint64_t recall_ms = ago < ld->now ? ld->now - ago : 0;
		struct state_deleg *dg = state_deleg_carried(st, cl, f, other, seqid, type,
							     timestamps, dd, recalled, recall_ms);
		if (!dg) {
			state_file_maybe_free(st, f);
			return load_fail(ld, "out of memory");
		}
		if (is_dir && !load_dir_changes(ld, dg, nchanges))
			return false;
		ld->dirs += is_dir;
		ld->dir_changes += nchanges;
		/* Its holder may or may not have had the last CB_NOTIFY: it
		 * must not go on trusting its listing. */
		if (in_flight && !dg->recalled)
			state_deleg_recall_locked(st, dg);
		ld->delegs++;
	}
	return true;
}

static bool load_client(struct load *ld, struct state_carry_bind **binds, size_t *nbinds)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	uint64_t clientid;
	const uint8_t *verifier, *confirm, *name;
	uint32_t name_len;
	struct state_principal who = {0};
	struct state_callback cb = {0};
	if (!xdr_decode_u64(d, &clientid) ||
	    !xdr_decode_opaque_fixed(d, NFS4_VERIFIER_SIZE, &verifier) ||
	    !xdr_decode_opaque_fixed(d, NFS4_VERIFIER_SIZE, &confirm) ||
	    !xdr_decode_opaque(d, NFS4_OPAQUE_LIMIT, &name, &name_len) ||
	    !xdr_decode_u32(d, &who.flavor) || !xdr_decode_u32(d, &who.uid) ||
	    !xdr_decode_cstring(d, who.machine, sizeof(who.machine)) ||
	    !xdr_decode_cstring(d, who.gss_name, sizeof(who.gss_name)) || !xdr_decode_u32(d, &who.gss_service) ||
	    !xdr_decode_u32(d, &cb.program) || !xdr_decode_u32(d, &cb.ident) ||
	    !xdr_decode_cstring(d, cb.netid, sizeof(cb.netid)) || !xdr_decode_cstring(d, cb.addr, sizeof(cb.addr)))
		return load_fail(ld, "a client does not decode");
	if ((uint32_t)(clientid >> 32) != st->boot)
		return load_fail(ld, "a client of another boot");
	struct state_client *cl = state_client_new(st, &who, verifier, name, name_len, &cb, clientid);
	if (!cl)
		return load_fail(ld, "out of memory");
	memcpy(cl->confirm, confirm, NFS4_VERIFIER_SIZE);
	uint32_t left, minor, cs_status;
	bool has_cs;
	if (!xdr_decode_cstring(d, cl->peer, sizeof(cl->peer)) || !xdr_decode_bool(d, &cl->confirmed) ||
	    !xdr_decode_u32(d, &left) || !xdr_decode_bool(d, &cl->v41) ||
	    !xdr_decode_u32(d, &minor) || minor > 2 /* the highest minor version */ ||
	    !xdr_decode_bool(d, &cl->sp4.mach) || !xdr_decode_u64(d, &cl->sp4.enforce[0]) ||
	    !xdr_decode_u64(d, &cl->sp4.enforce[1]) || !xdr_decode_u64(d, &cl->sp4.allow[0]) ||
	    !xdr_decode_u64(d, &cl->sp4.allow[1]) || !xdr_decode_u32(d, &cl->eid_flags) ||
	    !xdr_decode_u32(d, &cl->cs_seq) || !xdr_decode_u32(d, &cs_status) ||
	    !xdr_decode_bool(d, &has_cs))
		return load_fail(ld, "a client does not decode");
	cl->minor = (uint8_t)minor;
	cl->cs_status = (enum nfsstat4)cs_status;
	/* Its lease goes on from where it was; the callback path is probed
	 * again (v4.0: this process has not dialled it). */
	cl->expires_ms = ld->now + left;
	cl->cb_status = STATE_CB_UNKNOWN;
	if (has_cs) {
		const uint8_t *p;
		uint32_t len;
		if (!xdr_decode_opaque(d, 1u << 20, &p, &len))
			return load_fail(ld, "a client's CREATE_SESSION reply does not decode");
		cl->cs_reply = buf_new(len ? len : 1);
		if (!cl->cs_reply)
			return load_fail(ld, "out of memory");
		memcpy(cl->cs_reply->data, p, len);
		cl->cs_reply->len = len;
	}
	uint32_t nowners, nsessions;
	if (!xdr_decode_bool(d, &cl->reclaim_complete) || !xdr_decode_u32(d, &nowners))
		return load_fail(ld, "a client does not decode");
	if (cl->confirmed && state_client_find_name(st, cl->name, cl->name_len, true) != cl)
		return load_fail(ld, "two confirmed clients of one name");
	for (uint32_t i = 0; i < nowners; i++)
		if (!load_owner(ld, cl))
			return false;
	if (!xdr_decode_u32(d, &nsessions))
		return load_fail(ld, "a client does not decode");
	for (uint32_t i = 0; i < nsessions; i++)
		if (!load_session(ld, cl, binds, nbinds))
			return false;
	uint32_t nrevoked;
	if (!xdr_decode_u32(d, &nrevoked) || nrevoked > 1u << 20)
		return load_fail(ld, "a client does not decode");
	for (uint32_t i = 0; i < nrevoked; i++) {
		uint8_t other[NFS4_OTHER_SIZE];
		uint32_t seqid, type;
		if (!dec_other(d, other) || !xdr_decode_u32(d, &seqid) ||
		    !xdr_decode_u32(d, &type) ||
		    (type != OPEN_DELEGATE_READ && type != OPEN_DELEGATE_WRITE) ||
		    state_stid_find(st, other))
			return load_fail(ld, "a revoked delegation does not decode");
		if (!state_deleg_carried_revoked(st, cl, other, seqid, type))
			return load_fail(ld, "out of memory");
	}
	if (ld->format >= CARRY_FORMAT_DELEGS && !load_delegs(ld, cl))
		return false;
	/* A v4.0 client's callback path that worked a moment ago counts as
	 * working (its delegations stay recallable, RENEW does not say
	 * NFS4ERR_CB_PATH_DOWN); it is probed again once this process
	 * serves (state_carry_adopt_done): it cannot dial before. */
	bool cb_up = false;
	if (ld->format >= CARRY_FORMAT_DELEGS && !xdr_decode_bool(d, &cb_up))
		return load_fail(ld, "a client does not decode");
	if (cb_up && !cl->v41)
		cl->cb_status = STATE_CB_UP;
	ld->clients++;
	return true;
}

static bool load_waiters(struct load *ld)
{
	struct state_server *st = ld->st;
	struct xdr_dec *d = ld->d;
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > STATE_WAITERS_MAX)
		return load_fail(ld, "no waiter count");
	for (uint32_t i = 0; i < n; i++) {
		struct state_file_key key;
		uint64_t clientid, start, last, left;
		uint32_t type;
		const uint8_t *owner;
		uint32_t owner_len;
		if (!dec_key(d, &key) || !xdr_decode_u64(d, &clientid) ||
		    !xdr_decode_opaque(d, NFS4_OPAQUE_LIMIT, &owner, &owner_len) ||
		    !xdr_decode_u32(d, &type) || !xdr_decode_u64(d, &start) ||
		    !xdr_decode_u64(d, &last) || !xdr_decode_u64(d, &left) ||
		    (type != STATE_READ_LT && type != STATE_WRITE_LT) || start > last)
			return load_fail(ld, "a waiter does not decode");
		struct state_client *cl = state_client_find(st, clientid, true);
		if (!cl || cl->nlm)
			continue; /* not a carried client's: nobody to tell */
		struct state_file *f = state_file_get(st, &key, true);
		if (!f)
			return load_fail(ld, "out of memory");
		if (!state_waiter_carried(st, f, clientid, owner, owner_len, type, start, last,
					  ld->now + (left < st->opts.lease_ms ? left
									  : st->opts.lease_ms))) {
			/* Past the limits: that client polls, as it would
			 * have for a waiter not remembered. */
			state_file_maybe_free(st, f);
			continue;
		}
		ld->waiters++;
	}
	return true;
}

static void binds_free(struct state_server *st, struct state_carry_bind *binds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_session_unref(st, binds[i].s);
	free(binds);
}

int state_carry_load(struct state_server *st, const uint8_t *p, size_t len, char *err,
		     size_t errlen)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	struct load ld = {.st = st, .d = &d, .now = state_now_ms(), .err = err, .errlen = errlen};
	uint32_t format;
	struct state_carry_bind *binds = NULL;
	size_t nbinds = 0;
	uint32_t boot, next_client, next_stid, next_session, nexpired, nclients;
	struct siphash_key id_key;
	pthread_mutex_lock(&st->lock);
	bool ok = true;
	bool fresh = true;
	list_for_each_entry(cl, &st->clients, struct state_client, link)
		fresh = fresh && cl->nlm;
	if (!fresh) {
		ok = load_fail(&ld, "clients exist already");
	} else if (!xdr_decode_u32(&d, &format) || format < CARRY_FORMAT_OLDEST ||
		   format > CARRY_FORMAT) {
		ok = load_fail(&ld, "an unknown format");
	} else if (!xdr_decode_u32(&d, &boot) || !xdr_decode_u64(&d, &id_key.k0) ||
		   !xdr_decode_u64(&d, &id_key.k1) || !xdr_decode_u32(&d, &next_client) ||
		   !xdr_decode_u32(&d, &next_stid) || !xdr_decode_u32(&d, &next_session) ||
		   !xdr_decode_u32(&d, &nexpired) || nexpired > STATE_EXPIRED_MAX) {
		ok = load_fail(&ld, "the header does not decode");
	} else {
		ld.format = format;
		/* The identifiers the clients hold were made under the old
		 * boot epoch and keys: they stay this server's. */
		st->boot = boot;
		st->id_key = id_key;
		st->next_stid = next_stid;
		pthread_mutex_lock(&st->sess_lock);
		st->next_session = next_session;
		pthread_mutex_unlock(&st->sess_lock);
		for (uint32_t i = 0; ok && i < nexpired; i++) {
			uint64_t id;
			ok = xdr_decode_u64(&d, &id) || load_fail(&ld, "an expired clientid");
			if (ok)
				state_clientid_tombstone(st, id);
		}
		ok = ok && (xdr_decode_u32(&d, &nclients) || load_fail(&ld, "no client count"));
		for (uint32_t i = 0; ok && i < nclients; i++)
			ok = load_client(&ld, &binds, &nbinds);
		if (ok && format >= CARRY_FORMAT_WAITERS)
			ok = load_waiters(&ld);
		if (ok && xdr_dec_remaining(&d) != 0)
			ok = load_fail(&ld, "bytes after the last client");
		st->next_client = next_client;
	}
	if (ok) {
		/* No grace period began for the records' clients (they are the
		 * ones just made: state_options.carried); NLM hosts whose locks
		 * were not carried may have begun one, and keep it. */
		st->carry_binds = binds;
		st->n_carry_binds = nbinds;
		binds = NULL;
		nbinds = 0;
	} else {
		struct list_node *pos, *tmp;
		list_for_each_safe(pos, tmp, &st->clients)
		{
			struct state_client *cl = container_of(pos, struct state_client, link);
			if (!cl->nlm)
				state_client_destroy(st, cl, false);
		}
	}
	pthread_mutex_unlock(&st->lock);
	binds_free(st, binds, nbinds);
	if (!ok)
		return -EINVAL;
	/* The write holds of the opens with write access, asked again. */
	state_outbox_kick(st);
	char dirs[96] = "";
	if (ld.dirs)
		snprintf(dirs, sizeof(dirs), " (%u of directories, %u change(s) waiting to be told)",
			 ld.dirs, ld.dir_changes);
	log_info("state: carried over %u client(s), %u session(s), %u open(s), %u lock(s) and %u "
		 "delegation(s)%s%s",
		 ld.clients, ld.sessions, ld.opens, ld.locks, ld.delegs, dirs,
		 ld.waiters ? " with blocked lock requests" : "");
	return 0;
}

void state_carry_adopt_conn(struct state_server *st, size_t index, struct rpc_conn *conn)
{
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_carry_binds; i++) {
		struct state_carry_bind *b = &st->carry_binds[i];
		if (b->index == index && !b->s->dead)
			state_session_bind_initial(st, b->s, conn, b->dir);
	}
	pthread_mutex_unlock(&st->lock);
}

void state_carry_adopt_done(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		if (!cl->nlm && !cl->v41 && cl->confirmed)
			state_cb_schedule(st, cl);
	}
	struct state_carry_bind *binds = st->carry_binds;
	size_t n = st->n_carry_binds;
	st->carry_binds = NULL;
	st->n_carry_binds = 0;
	/* Every connection this process will take is taken: a session with
	 * no back-bound connection now has a path that is down. */
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&binds[i].s->lock);
		binds[i].s->carry_unbound = false;
		pthread_mutex_unlock(&binds[i].s->lock);
	}
	pthread_mutex_unlock(&st->lock);
	binds_free(st, binds, n);
}
