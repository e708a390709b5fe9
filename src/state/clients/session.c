/* NFSv4.1 sessions: the session table, slot tables with their reply cache,
 * SEQUENCE, connection binding and back-channel bookkeeping (RFC 8881 2.10,
 * 18.33-18.37, 18.46).  Clients (EXCHANGE_ID, CREATE_SESSION, DESTROY_*)
 * are in session_client.c.
 *
 * A slot's reply cache is a reference on the reply buffer that went to the
 * wire (the COMPOUND4res follows the RPC header in it), taken when the
 * request ends; it stays until the client sends the slot's next seqid, and
 * a replay sends its COMPOUND4res bytes after a new RPC header, uncopied.
 * The buffers' capacities are counted against a global budget: above it
 * the sessions' target_highest_slotid goes down, requests are never
 * refused for it. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "xdr/nfs4_codec.h"
#include "state/clients/session_internal.h"

void state_session_limits_default(struct state_session_limits *l)
{
	l->max_slots = 64;
	l->max_back_slots = 16;
	l->max_request = 1024 * 1024 + 8192;
	l->max_response = 1024 * 1024 + 8192;
	l->max_response_cached = 64 * 1024;
	l->max_operations = 64;
	l->cache_budget = 64ull << 20;
}

void state_session_set_limits(struct state_server *st, const struct state_session_limits *l)
{
	pthread_mutex_lock(&st->sess_lock);
	st->limits = *l;
	if (st->limits.max_slots == 0)
		st->limits.max_slots = 1;
	if (st->limits.max_back_slots == 0)
		st->limits.max_back_slots = 1;
	pthread_mutex_unlock(&st->sess_lock);
}

int state_sessions_init(struct state_server *st)
{
	pthread_mutex_init(&st->sess_lock, NULL);
	state_session_limits_default(&st->limits);
	state_random(&st->next_session, sizeof(st->next_session));
	if (state_conn_index_init(st) != 0)
		return -1;
	return hashtable_init(&st->sessions, 64) == 0 ? 0 : -1;
}

void state_sessions_fini(struct state_server *st)
{
	state_conn_index_fini(st);
	hashtable_fini(&st->sessions);
	pthread_mutex_destroy(&st->sess_lock);
}

static uint64_t hash_sessionid(const struct state_server *st, const uint8_t *id)
{
	return state_hash(st, "S", 1, id, NFS4_SESSIONID_SIZE);
}

/* --- references ------------------------------------------------------------ */

struct state_session *state_session_ref(struct state_session *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void state_conn_put(struct state_server *st, struct rpc_conn *conn)
{
	if (conn && st->opts.conn_unref)
		st->opts.conn_unref(conn);
}

/* The rpc layer keeps a back-bound connection open however idle it is. */
void state_conn_hold_back(struct state_server *st, struct rpc_conn *conn, bool on)
{
	if (conn && st->opts.conn_hold_back)
		st->opts.conn_hold_back(conn, on);
}

void state_session_unref(struct state_server *st, struct state_session *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].reply) {
			bytes += s->slots[i].reply->cap;
			buf_unref(s->slots[i].reply);
		}
	}
	atomic_fetch_sub(&st->cache_bytes, bytes);
	for (unsigned i = 0; i < s->nconns; i++) {
		if (s->conns[i].dir & STATE_CONN_BACK)
			state_conn_hold_back(st, s->conns[i].conn, false);
		state_conn_put(st, s->conns[i].conn);
	}
	free(s->conns);
	free(s->slots);
	free(s->back_slots);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct state_session *state_session_find(struct state_server *st, const uint8_t *sessionid)
{
	uint64_t h = hash_sessionid(st, sessionid);
	struct state_session *found = NULL;
	pthread_mutex_lock(&st->sess_lock);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->sessions, h)
	{
		struct state_session *s = container_of(n, struct state_session, node);
		if (memcmp(s->id, sessionid, NFS4_SESSIONID_SIZE) == 0) {
			found = state_session_ref(s);
			break;
		}
	}
	pthread_mutex_unlock(&st->sess_lock);
	return found;
}

const uint8_t *state_session_id(const struct state_session *s) { return s->id; }
uint64_t state_session_clientid(const struct state_session *s) { return s->clientid; }

/* --- creation and removal (st->lock held) ------------------------------------- */

/* The client's sessions came or went: each learns how many there are now,
 * and the server how many clients have sessions (the budget's shares). */
static void client_sessions_changed(struct state_server *st, struct state_client *cl, int delta)
{
	unsigned n = (unsigned)list_count(&cl->sessions);
	list_for_each_entry(s, &cl->sessions, struct state_session, client_link) {
		atomic_store_explicit(&s->client_sessions, n, memory_order_relaxed);
	}
	if (delta > 0 && n == 1)
		atomic_fetch_add(&st->n_session_clients, 1);
	else if (delta < 0 && n == 0)
		atomic_fetch_sub(&st->n_session_clients, 1);
}

struct state_session *state_session_new(struct state_server *st, struct state_client *cl,
					const struct nfs4_chan_attrs *fore,
					const struct nfs4_chan_attrs *back, uint32_t flags,
					uint32_t cb_program, const struct state_cb_sec *sec,
					const uint8_t *id)
{
	struct state_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->minor = cl->minor ? cl->minor : 1;
	s->slots = calloc(fore->maxrequests, sizeof(*s->slots));
	uint32_t nback = back->maxrequests ? back->maxrequests : 1;
	s->back_slots = calloc(nback, sizeof(*s->back_slots));
	if (!s->slots || !s->back_slots) {
		free(s->slots);
		free(s->back_slots);
		free(s);
		return NULL;
	}
	s->back_limit = nback - 1;
	atomic_init(&s->refs, 1); /* the table's */
	atomic_init(&s->renewed_ms, state_now_ms());
	pthread_mutex_init(&s->lock, NULL);
	s->clientid = cl->clientid;
	s->client = cl;
	s->sp4 = cl->sp4;
	s->gss_context_alive = st->opts.gss_context_alive;
	s->fore = *fore;
	s->back = *back;
	s->flags = flags;
	s->cb_program = cb_program;
	s->cb_sec = *sec;
	s->nslots = fore->maxrequests;
	s->target_last = s->nslots ? s->nslots - 1 : 0;
	s->highest = s->target_last;
	s->back_wanted = flags & CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
	atomic_init(&s->recallable_revoked, cl->recallable_revoked);
	pthread_mutex_lock(&st->sess_lock);
	if (id) {
		memcpy(s->id, id, NFS4_SESSIONID_SIZE);
	} else {
		uint32_t n = ++st->next_session;
		uint8_t rnd[4];
		state_random(rnd, sizeof(rnd));
		for (int i = 0; i < 8; i++)
			s->id[i] = (uint8_t)(cl->clientid >> (56 - 8 * i));
		xdr_put_be32(s->id + 8, n);
		memcpy(s->id + 12, rnd, 4);
	}
	hashtable_insert(&st->sessions, &s->node, hash_sessionid(st, s->id));
	pthread_mutex_unlock(&st->sess_lock);
	list_add_tail(&cl->sessions, &s->client_link);
	client_sessions_changed(st, cl, 1);
	atomic_fetch_add(&st->n_sessions, 1);
	return s;
}

/* Takes a session out of the table and off its client; the memory goes
 * with the last reference (a request in flight may hold one). */
void state_session_kill(struct state_server *st, struct state_session *s)
{
	pthread_mutex_lock(&st->sess_lock);
	hashtable_remove(&st->sessions, &s->node);
	pthread_mutex_unlock(&st->sess_lock);
	list_del(&s->client_link);
	if (s->client)
		client_sessions_changed(st, s->client, -1);
	pthread_mutex_lock(&s->lock);
	s->dead = true;
	s->client = NULL;
	/* The connections are released now: a dead session calls nobody. */
	struct state_sess_conn *conns = s->conns;
	unsigned nconns = s->nconns;
	s->conns = NULL;
	s->nconns = s->conns_cap = 0;
	for (unsigned i = 0; i < nconns; i++)
		state_conn_index_del(st, conns[i].conn, s);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < nconns; i++) {
		if (conns[i].dir & STATE_CONN_BACK)
			state_conn_hold_back(st, conns[i].conn, false);
		state_conn_put(st, conns[i].conn);
	}
	free(conns);
	atomic_fetch_sub(&st->n_sessions, 1);
	state_session_unref(st, s);
}

void state_sessions_client_gone(struct state_server *st, struct state_client *cl)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &cl->sessions)
	{
		struct state_session *s = container_of(pos, struct state_session, client_link);
		state_session_kill(st, s);
	}
}

void state_sessions_lease(struct state_server *st, struct state_client *cl)
{
	uint64_t now = state_now_ms();
	list_for_each_entry(s, &cl->sessions, struct state_session, client_link) {
		uint64_t until = atomic_load(&s->renewed_ms) + st->opts.lease_ms;
		/* A request still running (a long COMMIT) keeps the lease. */
		if (atomic_load(&s->inflight) > 0)
			until = now + st->opts.lease_ms;
		if (until > cl->expires_ms)
			cl->expires_ms = until;
	}
}

/* --- connections (s->lock held) ------------------------------------------------- */

struct state_sess_conn *state_sess_conn_find(struct state_session *s, const struct rpc_conn *conn)
{
	for (unsigned i = 0; i < s->nconns; i++)
		if (s->conns[i].conn == conn)
			return &s->conns[i];
	return NULL;
}

/* Binds conn with dir bits (added to any it has).  False when out of
 * memory. */
static bool conn_bind_locked(struct state_server *st, struct state_session *s,
			     struct rpc_conn *conn, unsigned dir)
{
	struct state_sess_conn *c = state_sess_conn_find(s, conn);
	if (!c) {
		if (!st->opts.conn_ref)
			return true; /* unit tests: connections are not tracked */
		/* Closed already: its close hook ran (or runs after we let go
		 * of s->lock, and then finds it), never bind a dead one.  The
		 * flag is read without the connection's lock. */
		if (s->nconns == s->conns_cap) {
			unsigned cap = s->conns_cap ? s->conns_cap * 2 : 2;
			struct state_sess_conn *n = realloc(s->conns, cap * sizeof(*n));
			if (!n)
				return false;
			s->conns = n;
			s->conns_cap = cap;
		}
		/* In the connection's index first, then the closed check:
		 * the close hook runs after the flag is set, so either it
		 * finds this binding or the binding sees the flag
		 * (session_conn.c). */
		if (!state_conn_index_add(st, conn, s))
			return false;
		if (st->opts.conn_is_closed && st->opts.conn_is_closed(conn)) {
			state_conn_index_del(st, conn, s);
			return true;
		}
		c = &s->conns[s->nconns++];
		memset(c, 0, sizeof(*c));
		c->conn = st->opts.conn_ref(conn);
	}
	if ((dir & STATE_CONN_BACK) && !(c->dir & STATE_CONN_BACK))
		state_conn_hold_back(st, c->conn, true);
	if ((dir & STATE_CONN_BACK) && (!(c->dir & STATE_CONN_BACK) || c->back_failed)) {
		/* A new path: probe it, and let the client show it fixed a
		 * fault. */
		s->cb_status = STATE_CB_UNKNOWN;
		s->cb_probing = false;
		s->cb_fault = false;
		c->back_failed = false;
	}
	c->dir |= dir;
	return true;
}

void state_session_bind_initial(struct state_server *st, struct state_session *s,
				struct rpc_conn *conn, unsigned dir)
{
	if (!conn)
		return;
	pthread_mutex_lock(&s->lock);
	if (!conn_bind_locked(st, s, conn, dir))
		log_error("state: out of memory binding a connection to a session");
	pthread_mutex_unlock(&s->lock);
}

enum nfsstat4 state_bind_conn(struct state_server *st, const uint8_t *sessionid,
			      struct rpc_conn *conn, uint32_t dir, unsigned *bound)
{
	unsigned want;
	switch (dir) {
	case CDFC4_FORE:
		want = STATE_CONN_FORE;
		break;
	case CDFC4_BACK:
		want = STATE_CONN_BACK;
		break;
	case CDFC4_FORE_OR_BOTH:
	case CDFC4_BACK_OR_BOTH:
		want = STATE_CONN_FORE | STATE_CONN_BACK;
		break;
	default:
		return NFS4ERR_INVAL;
	}
	struct state_session *s = state_session_find(st, sessionid);
	if (!s)
		return NFS4ERR_BADSESSION;
	enum nfsstat4 status = NFS4_OK;
	pthread_mutex_lock(&s->lock);
	if (s->dead) {
		status = NFS4ERR_BADSESSION;
	} else {
		struct state_sess_conn *c = state_sess_conn_find(s, conn);
		/* A connection keeps the directions it has; binding again
		 * replaces them (RFC 8881 18.34.3). */
		if (c && (c->dir & STATE_CONN_BACK))
			state_conn_hold_back(st, c->conn, false);
		if (c)
			c->dir = 0;
		if (!conn_bind_locked(st, s, conn, want))
			status = NFS4ERR_RESOURCE;
		else
			s->back_wanted = s->back_wanted || (want & STATE_CONN_BACK);
		*bound = want;
	}
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->renewed_ms, state_now_ms());
	state_session_unref(st, s);
	return status;
}

enum nfsstat4 state_backchannel_ctl(struct state_server *st, struct state_session *s,
				    uint32_t cb_program, const struct state_cb_sec *sec)
{
	enum nfsstat4 status = NFS4_OK;
	pthread_mutex_lock(&s->lock);
	if (!s->back_wanted && !state_session_has_back_locked(s)) {
		status = NFS4ERR_INVAL;
	} else {
		s->cb_program = cb_program;
		s->cb_sec = *sec;
		s->cb_status = STATE_CB_UNKNOWN;
		s->cb_probing = false;
		s->cb_fault = false;
	}
	pthread_mutex_unlock(&s->lock);
	return status;
}

/* --- SEQUENCE ----------------------------------------------------------------------- */

/* The number of slots the client should use: all of them, unless the reply
 * caches together are over the budget, in which case each client gets a
 * fair share of it, split among its sessions (a client does not get more
 * by opening more sessions); at least one slot, as knfsd does.  Between
 * three quarters of the budget and all of it the session keeps the target
 * it has, so that the target does not swing with every reply kept or
 * freed. */
static uint32_t target_slots(struct state_server *st, const struct state_session *s)
{
	uint64_t used = atomic_load_explicit(&st->cache_bytes, memory_order_relaxed);
	uint64_t budget = st->limits.cache_budget;
	if (budget == 0 || used <= budget / 4 * 3)
		return s->nslots;
	if (used <= budget)
		return s->target_last + 1;
	uint64_t nclients = atomic_load_explicit(&st->n_session_clients, memory_order_relaxed);
	uint64_t nsess = atomic_load_explicit(&s->client_sessions, memory_order_relaxed);
	uint64_t per = s->fore.maxresponsesize_cached ? s->fore.maxresponsesize_cached : 1;
	uint64_t share = budget / (nclients ? nclients : 1) / (nsess ? nsess : 1) / per;
	if (share < 1)
		share = 1;
	return share < s->nslots ? (uint32_t)share : s->nslots;
}

/* Moves sr_highest_slotid toward the target (s->lock held), RFC 8881
 * 2.10.6.1: down only once the client's own highest slot (sa_highest_slotid)
 * is within the target, so it no longer uses the slots above, which are
 * then freed with their kept replies (the budget is enforced, not only
 * asked for); up as soon as the target is, with fresh slots.  Returns the
 * cache bytes freed. */
static uint64_t highest_follow_target(struct state_session *s, uint32_t target,
				      uint32_t client_highest)
{
	uint64_t freed = 0;
	if (target > s->highest) {
		for (uint32_t i = s->highest + 1; i <= target; i++) {
			struct state_slot *slot = &s->slots[i];
			slot->used = false;
			slot->seqid = 0;
			if (slot->reply) { /* none is left above the highest */
				freed += slot->reply->cap;
				buf_unref(slot->reply);
				slot->reply = NULL;
			}
		}
		s->highest = target;
	} else if (target < s->highest && client_highest <= target) {
		uint32_t keep = target;
		for (uint32_t i = target + 1; i <= s->highest; i++) {
			struct state_slot *slot = &s->slots[i];
			if (slot->inflight) {
				keep = i; /* still being served: freed next time */
				continue;
			}
			if (slot->reply) {
				freed += slot->reply->cap;
				buf_unref(slot->reply);
				slot->reply = NULL;
			}
		}
		s->highest = keep;
	}
	return freed;
}

static uint32_t status_flags_locked(const struct state_session *s)
{
	uint32_t f = 0;
	/* CB_PATH_DOWN (the client's, not the session's) is decided by
	 * state_sequence once this lock is released. */
	if (s->back_wanted && !state_session_back_working_locked(s))
		f |= SEQ4_STATUS_CB_PATH_DOWN_SESSION;
	if (s->cb_fault)
		f |= SEQ4_STATUS_BACKCHANNEL_FAULT;
	if (atomic_load_explicit(&s->recallable_revoked, memory_order_relaxed))
		f |= SEQ4_STATUS_RECALLABLE_STATE_REVOKED;
	return f;
}

/* The first bytes of a session id, enough to tell sessions apart in a log. */
static uint32_t sessionid_head(const uint8_t *id)
{
	return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
}

/* SEQUENCE errors name the session, slot and both seqids: what an operator
 * needs to tell a client bug from a network replay.  Errors a client can
 * cause at will are rate-limited; a busy slot (a retransmission racing its
 * original) is ordinary and logged at debug only.  Replays are logged at
 * info: each one is a lost reply somewhere. */
static void log_sequence_outcome(const struct state_session *s,
				 const struct state_sequence_args *a, enum nfsstat4 status,
				 enum state_seq41 kind, uint32_t expected, uint32_t nslots)
{
	uint32_t sid = sessionid_head(s->id);
	switch (status) {
	case NFS4_OK:
		if (kind == STATE_SEQ41_REPLAY)
			log_info("state: SEQUENCE replay from the reply cache: session %08x..., "
				 "slot %u, seqid %u",
				 sid, a->slotid, a->seqid);
		break;
	case NFS4ERR_DELAY:
		log_debug("state: SEQUENCE slot busy: session %08x..., slot %u, seqid %u", sid,
			  a->slotid, a->seqid);
		break;
	case NFS4ERR_BADSLOT:
		log_ratelimited("state: SEQUENCE NFS4ERR_BADSLOT: session %08x..., slot %u of %u",
				sid, a->slotid, nslots);
		break;
	case NFS4ERR_BADSESSION:
		log_debug("state: SEQUENCE on destroyed session %08x...", sid);
		break;
	default:
		log_ratelimited("state: SEQUENCE %s: session %08x..., slot %u, expected seqid %u, "
				"got %u",
				nfs4_status_name(status), sid, a->slotid, expected, a->seqid);
		break;
	}
}

enum nfsstat4 state_sequence(struct state_server *st, const struct state_sequence_args *a,
			     struct state_sequence_res *out)
{
	memset(out, 0, sizeof(*out));
	atomic_fetch_add_explicit(&st->n_sequence, 1, memory_order_relaxed);
	struct state_session *s = state_session_find(st, a->sessionid);
	if (!s) {
		atomic_fetch_add_explicit(&st->n_bad_session, 1, memory_order_relaxed);
		/* Every client sees this once after a restart: not a warning. */
		log_debug("state: SEQUENCE for unknown session %08x..., slot %u seqid %u",
			  sessionid_head(a->sessionid), a->slotid, a->seqid);
		return NFS4ERR_BADSESSION;
	}
	enum nfsstat4 status = NFS4_OK;
	pthread_mutex_lock(&s->lock);
	struct state_slot *slot = a->slotid <= s->highest ? &s->slots[a->slotid] : NULL;
	/* For the log, read under the lock. */
	uint32_t expected = slot ? slot->seqid + 1 : 0, nslots = s->highest + 1;
	if (s->dead) {
		atomic_fetch_add_explicit(&st->n_bad_session, 1, memory_order_relaxed);
		status = NFS4ERR_BADSESSION;
	} else if (!slot) {
		atomic_fetch_add_explicit(&st->n_badslot, 1, memory_order_relaxed);
		status = NFS4ERR_BADSLOT;
	} else if (slot->inflight) {
		/* The original is still being served: no queuing. */
		atomic_fetch_add_explicit(&st->n_slot_busy, 1, memory_order_relaxed);
		status = NFS4ERR_DELAY;
	} else if (slot->used && a->seqid == slot->seqid) {
		if (a->digest != slot->digest) {
			atomic_fetch_add_explicit(&st->n_false_retry, 1, memory_order_relaxed);
			status = NFS4ERR_SEQ_FALSE_RETRY;
		} else if (!slot->reply) {
			atomic_fetch_add_explicit(&st->n_uncached, 1, memory_order_relaxed);
			status = NFS4ERR_RETRY_UNCACHED_REP;
		} else {
			atomic_fetch_add_explicit(&st->n_replay, 1, memory_order_relaxed);
			out->kind = STATE_SEQ41_REPLAY;
			out->replay = buf_ref(slot->reply);
			out->replay_off = slot->reply_off;
		}
	} else if (a->seqid == (uint32_t)(slot->seqid + 1)) {
		/* Checked here, before the slot moves: a refused request leaves
		 * it as it was. */
		if (s->sp4.mach && a->conn && st->opts.conn_ref &&
		    !state_sess_conn_find(s, a->conn)) {
			/* Under SP4_MACH_CRED only BIND_CONN_TO_SESSION binds a
			 * connection (RFC 8881 2.10.3.1), so that a connection
			 * cannot join the session without the machine's
			 * credential.  (A retry's cached reply is given on any
			 * connection, as it discloses nothing new.) */
			status = NFS4ERR_CONN_NOT_BOUND_TO_SESSION;
		} else if (a->numops > s->fore.maxoperations) {
			atomic_fetch_add_explicit(&st->n_too_many_ops, 1, memory_order_relaxed);
			status = NFS4ERR_TOO_MANY_OPS;
		} else if (a->reqsize > s->fore.maxrequestsize) {
			atomic_fetch_add_explicit(&st->n_req_too_big, 1, memory_order_relaxed);
			status = NFS4ERR_REQ_TOO_BIG;
		} else if (a->replysize > s->fore.maxresponsesize) {
			status = NFS4ERR_REP_TOO_BIG;
		} else if (a->cachethis && a->replysize > s->fore.maxresponsesize_cached) {
			status = NFS4ERR_REP_TOO_BIG_TO_CACHE;
		} else {
			out->kind = STATE_SEQ41_NEW;
			slot->inflight = true;
			slot->used = true;
			slot->seqid = a->seqid;
			slot->digest = a->digest;
			if (slot->reply) {
				atomic_fetch_sub(&st->cache_bytes, slot->reply->cap);
				buf_unref(slot->reply);
				slot->reply = NULL;
			}
			atomic_fetch_add(&s->inflight, 1);
			atomic_fetch_add_explicit(&st->n_slots_in_use, 1, memory_order_relaxed);
		}
	} else {
		atomic_fetch_add_explicit(&st->n_misordered, 1, memory_order_relaxed);
		status = NFS4ERR_SEQ_MISORDERED;
	}
	if (status == NFS4_OK) {
		/* SP4_NONE: a connection SEQUENCE arrives on is bound to the
		 * fore channel (RFC 8881 2.10.3.1); under SP4_MACH_CRED it is
		 * bound already (refused above otherwise). */
		if (a->conn && !state_sess_conn_find(s, a->conn))
			conn_bind_locked(st, s, a->conn, STATE_CONN_FORE);
		struct state_sess_conn *c = a->conn ? state_sess_conn_find(s, a->conn) : NULL;
		if (c)
			c->last_fore_ms = state_now_ms();
		out->clientid = s->clientid;
		out->sp4 = s->sp4;
		out->target_highest_slotid = target_slots(st, s) - 1;
		s->target_last = out->target_highest_slotid;
		uint64_t freed = highest_follow_target(s, out->target_highest_slotid,
						       a->highest_slotid);
		if (freed)
			atomic_fetch_sub(&st->cache_bytes, freed);
		out->highest_slotid = s->highest;
		out->status_flags = status_flags_locked(s);
		out->fore = s->fore;
		out->probe = s->back_wanted && state_session_has_back_locked(s) &&
			     s->cb_status == STATE_CB_UNKNOWN && !s->cb_probing;
		if (out->probe)
			s->cb_probing = true;
	}
	pthread_mutex_unlock(&s->lock);
	log_sequence_outcome(s, a, status, out->kind, expected, nslots);
	if (status == NFS4_OK) {
		if ((out->status_flags & SEQ4_STATUS_CB_PATH_DOWN_SESSION) &&
		    !state_client_back_working(st, s->clientid))
			out->status_flags |= SEQ4_STATUS_CB_PATH_DOWN;
		atomic_store(&s->renewed_ms, state_now_ms());
		if (out->kind == STATE_SEQ41_NEW) {
			out->session = s; /* keeps the reference */
			return NFS4_OK;
		}
	}
	state_session_unref(st, s);
	return status;
}

void state_sequence_done(struct state_server *st, struct state_session *s, uint32_t slotid,
			 struct buf *reply, size_t off)
{
	pthread_mutex_lock(&s->lock);
	struct state_slot *slot = &s->slots[slotid];
	slot->inflight = false;
	struct buf *old = slot->reply;
	if (old)
		atomic_fetch_sub(&st->cache_bytes, old->cap);
	slot->reply = reply;
	slot->reply_off = off;
	if (reply)
		atomic_fetch_add(&st->cache_bytes, reply->cap);
	pthread_mutex_unlock(&s->lock);
	buf_unref(old);
	atomic_fetch_sub(&s->inflight, 1);
	atomic_fetch_sub_explicit(&st->n_slots_in_use, 1, memory_order_relaxed);
	atomic_store(&s->renewed_ms, state_now_ms());
	state_session_unref(st, s);
}

void state_cb_put_conn(struct state_server *st, struct rpc_conn *conn) { state_conn_put(st, conn); }

/* --- counters ----------------------------------------------------------------------- */

void state_get_session_stats(struct state_server *st, struct state_session_stats *o)
{
	o->sequence_total = atomic_load(&st->n_sequence);
	o->replay_hits = atomic_load(&st->n_replay);
	o->err_bad_session = atomic_load(&st->n_bad_session);
	o->err_badslot = atomic_load(&st->n_badslot);
	o->err_seq_misordered = atomic_load(&st->n_misordered);
	o->err_slot_busy = atomic_load(&st->n_slot_busy);
	o->err_false_retry = atomic_load(&st->n_false_retry);
	o->err_uncached = atomic_load(&st->n_uncached);
	o->err_too_many_ops = atomic_load(&st->n_too_many_ops);
	o->err_req_too_big = atomic_load(&st->n_req_too_big);
	o->slots_in_use = atomic_load(&st->n_slots_in_use);
	o->cache_bytes = atomic_load(&st->cache_bytes);
	o->sessions = atomic_load(&st->n_sessions);
	o->callbacks_ok = atomic_load(&st->n_cb_ok);
	o->callbacks_failed = atomic_load(&st->n_cb_failed);
	o->conn_close_visits = atomic_load(&st->n_close_visits);
}

void state_sessions_recallable_revoked(struct state_server *st, struct state_client *cl, bool on)
{
	(void)st;
	cl->recallable_revoked = on;
	list_for_each_entry(s, &cl->sessions, struct state_session, client_link) {
		atomic_store(&s->recallable_revoked, on);
	}
}
