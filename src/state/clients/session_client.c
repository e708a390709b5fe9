/* v4.1 clients: EXCHANGE_ID (RFC 8881 18.35), CREATE_SESSION (18.36),
 * DESTROY_SESSION, DESTROY_CLIENTID, RECLAIM_COMPLETE, TEST_STATEID and
 * FREE_STATEID. */
#include <stdlib.h>
#include <string.h>

#include "state/clients/session_internal.h"

enum {
	EID_ARG_FLAGS = EXCHGID4_FLAG_SUPP_MOVED_REFER | EXCHGID4_FLAG_SUPP_MOVED_MIGR |
			EXCHGID4_FLAG_SUPP_FENCE_OPS | EXCHGID4_FLAG_BIND_PRINC_STATEID |
			EXCHGID4_FLAG_MASK_PNFS | EXCHGID4_FLAG_UPD_CONFIRMED_REC_A,
};

static void exchange_result(const struct state_client *cl, struct state_exchange_res *out)
{
	out->clientid = cl->clientid;
	out->sequenceid = cl->cs_seq + 1;
	/* No migration, no pNFS, no principal-bound stateids. */
	out->flags = EXCHGID4_FLAG_USE_NON_PNFS | (cl->confirmed ? EXCHGID4_FLAG_CONFIRMED_R : 0);
}

static bool client_busy(const struct state_client *cl)
{
	return !list_empty(&cl->sessions) || state_client_has_state(cl);
}

enum nfsstat4 state_exchange_id(struct state_server *st, const struct state_principal *who,
				const uint8_t verifier[NFS4_VERIFIER_SIZE], const uint8_t *name,
				uint32_t name_len, uint32_t flags, uint32_t minor,
				struct state_exchange_res *out)
{
	if (flags & ~(uint32_t)EID_ARG_FLAGS)
		return NFS4ERR_INVAL;
	bool update = flags & EXCHGID4_FLAG_UPD_CONFIRMED_REC_A;
	bool dropped = false;
	pthread_mutex_lock(&st->lock);
	struct state_client *conf = state_client_find_name(st, name, name_len, true);
	struct state_client *unconf = state_client_find_name(st, name, name_len, false);
	enum nfsstat4 status = NFS4_OK;
	if (update) {
		/* Cases 6-9: only a confirmed record of the same principal and
		 * verifier can be updated. */
		if (!conf || !conf->v41)
			status = NFS4ERR_NOENT;
		else if (conf->sp4.mach && !state_principal_eq(&conf->principal, who))
			status = NFS4ERR_WRONG_CRED; /* RFC 8881 18.35.4 */
		else if (!state_principal_eq(&conf->principal, who))
			status = NFS4ERR_PERM;
		else if (memcmp(conf->verifier, verifier, NFS4_VERIFIER_SIZE) != 0)
			status = NFS4ERR_NOT_SAME;
		else {
			conf->eid_flags = flags & ~(uint32_t)EXCHGID4_FLAG_UPD_CONFIRMED_REC_A;
			state_client_renew(st, conf);
			exchange_result(conf, out);
		}
		pthread_mutex_unlock(&st->lock);
		return status;
	}
	/* Case 3: a collision.  Refused while the other principal's client
	 * holds state (sessions count) under a live lease; otherwise it goes. */
	if (state_client_name_taken(st, &conf, who, client_busy, &dropped)) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_CLID_INUSE;
	}
	if (conf && conf->v41 && memcmp(conf->verifier, verifier, NFS4_VERIFIER_SIZE) == 0) {
		/* Case 2: the same incarnation asks again. */
		state_client_renew(st, conf);
		exchange_result(conf, out);
		pthread_mutex_unlock(&st->lock);
		return NFS4_OK;
	}
	/* Cases 1, 4 (restart: new verifier; the confirmed record stays until
	 * the new one is confirmed) and 5 (an unconfirmed record is replaced). */
	if (unconf)
		state_client_destroy(st, unconf, false);
	struct state_callback nocb;
	memset(&nocb, 0, sizeof(nocb));
	if (state_clients_full(st)) {
		/* The table frees as idle and unconfirmed clients' leases run
		 * out: a client that waits gets in (RFC 8881 lists
		 * NFS4ERR_DELAY for EXCHANGE_ID). */
		pthread_mutex_unlock(&st->lock);
		if (dropped)
			state_record_sync(st, name, name_len);
		return NFS4ERR_DELAY;
	}
	struct state_client *cl =
		state_client_new(st, who, verifier, name, name_len, &nocb, state_clientid_new(st));
	if (!cl) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_RESOURCE;
	}
	cl->v41 = true;
	cl->minor = (uint8_t)minor;
	cl->eid_flags = flags;
	cl->cs_seq = 0;
	exchange_result(cl, out);
	pthread_mutex_unlock(&st->lock);
	if (dropped)
		state_record_sync(st, name, name_len);
	return status;
}

void state_client_set_sp4(struct state_server *st, uint64_t clientid, const struct state_sp4 *want,
			  struct state_sp4 *now)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, false);
	if (!cl)
		cl = state_client_find(st, clientid, true);
	if (cl && list_empty(&cl->sessions))
		cl->sp4 = *want;
	*now = cl ? cl->sp4 : *want;
	pthread_mutex_unlock(&st->lock);
}

/* With st->lock held. */
static bool mach_mismatch(struct state_server *st, uint64_t clientid,
			  const struct state_principal *who, uint32_t opnum)
{
	struct state_client *cl = state_client_find(st, clientid, true);
	if (!cl)
		cl = state_client_find(st, clientid, false);
	return cl && cl->sp4.mach && state_sp4_has(cl->sp4.enforce, opnum) &&
	       !state_principal_eq(&cl->principal, who);
}

enum nfsstat4 state_client_mach_check(struct state_server *st, uint64_t clientid,
				      const struct state_principal *who, uint32_t opnum)
{
	pthread_mutex_lock(&st->lock);
	bool wrong = mach_mismatch(st, clientid, who, opnum);
	pthread_mutex_unlock(&st->lock);
	return wrong ? NFS4ERR_WRONG_CRED : NFS4_OK;
}

enum nfsstat4 state_session_mach_check(struct state_server *st, const uint8_t *sessionid,
				       const struct state_principal *who, uint32_t opnum)
{
	struct state_session *s = state_session_find(st, sessionid);
	if (!s)
		return NFS4_OK;
	uint64_t clientid = s->clientid;
	state_session_unref(st, s);
	return state_client_mach_check(st, clientid, who, opnum);
}

bool state_client_mach_allows_any(struct state_server *st, uint64_t clientid,
				  const struct state_principal *who)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	bool ok = cl && cl->sp4.mach && state_principal_eq(&cl->principal, who);
	pthread_mutex_unlock(&st->lock);
	return ok;
}

/* --- CREATE_SESSION --------------------------------------------------------------- */

static uint32_t clamp(uint32_t v, uint32_t max) { return v < max ? v : max; }

/* Negotiates the fore channel: the client's wishes within the server's
 * limits.  NFS4ERR_TOOSMALL when they leave no room for a COMPOUND. */
static enum nfsstat4 fore_attrs(const struct state_session_limits *l,
				const struct nfs4_chan_attrs *in, struct nfs4_chan_attrs *out)
{
	/* Room for a SEQUENCE and one small operation with its RPC header. */
	enum { MIN_SIZE = 256 };
	if (in->maxrequestsize < MIN_SIZE || in->maxresponsesize < MIN_SIZE)
		return NFS4ERR_TOOSMALL;
	out->headerpadsize = 0;
	out->has_rdma_ird = false; /* no RDMA: ca_rdma_ird stays empty */
	out->rdma_ird = 0;
	out->maxrequestsize = clamp(in->maxrequestsize, l->max_request);
	out->maxresponsesize = clamp(in->maxresponsesize, l->max_response);
	out->maxresponsesize_cached =
		clamp(clamp(in->maxresponsesize_cached, l->max_response_cached), out->maxresponsesize);
	out->maxoperations = clamp(in->maxoperations ? in->maxoperations : 1, l->max_operations);
	out->maxrequests = clamp(in->maxrequests ? in->maxrequests : 1, l->max_slots);
	return NFS4_OK;
}

/* The back channel: what the client asks (the Linux client wants 16 slots
 * of one or two operations), within limits. */
static enum nfsstat4 back_attrs(const struct state_session_limits *l,
				const struct nfs4_chan_attrs *in, struct nfs4_chan_attrs *out)
{
	/* A CB_COMPOUND of CB_SEQUENCE and CB_RECALL must fit. */
	enum { MIN_BACK_REQUEST = 256, MIN_BACK_RESPONSE = 64 };
	if (in->maxrequestsize < MIN_BACK_REQUEST || in->maxresponsesize < MIN_BACK_RESPONSE)
		return NFS4ERR_TOOSMALL;
	*out = *in;
	out->headerpadsize = 0;
	out->has_rdma_ird = false;
	out->rdma_ird = 0;
	out->maxrequests = clamp(in->maxrequests ? in->maxrequests : 1, l->max_back_slots);
	out->maxrequestsize = clamp(in->maxrequestsize, l->max_request);
	out->maxresponsesize = clamp(in->maxresponsesize, l->max_response);
	out->maxresponsesize_cached = clamp(in->maxresponsesize_cached, out->maxresponsesize);
	return NFS4_OK;
}

enum nfsstat4 state_create_session(struct state_server *st, const struct state_principal *who,
				   const struct state_create_session_args *a,
				   struct state_create_session_res *out, struct buf **replay,
				   enum nfsstat4 *replay_status)
{
	*replay = NULL;
	pthread_mutex_lock(&st->lock);
	if ((uint32_t)(a->clientid >> 32) != st->boot) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_STALE_CLIENTID;
	}
	struct state_client *conf = state_client_find(st, a->clientid, true);
	struct state_client *unconf = conf ? NULL : state_client_find(st, a->clientid, false);
	struct state_client *cl = conf ? conf : unconf;
	enum nfsstat4 status = NFS4_OK;
	if (!cl || !cl->v41) {
		status = NFS4ERR_STALE_CLIENTID;
	} else if (!conf && !state_principal_eq(&cl->principal, who)) {
		/* Only the principal that made it may confirm a client ID;
		 * once confirmed, others may add sessions (RFC 8881 18.36.4). */
		status = NFS4ERR_CLID_INUSE;
	} else if (a->sequence == cl->cs_seq && cl->cs_reply) {
		*replay = buf_ref(cl->cs_reply);
		*replay_status = cl->cs_status;
		state_client_renew(st, cl);
	} else if (a->sequence == cl->cs_seq && cl->cs_busy) {
		/* A retry of the one still under way: its result comes once
		 * kept (RFC 8881 18.36.4 has it replayed, not refused). */
		status = NFS4ERR_DELAY;
	} else if (a->sequence != (uint32_t)(cl->cs_seq + 1)) {
		status = NFS4ERR_SEQ_MISORDERED;
	}
	if (status != NFS4_OK || *replay) {
		pthread_mutex_unlock(&st->lock);
		return status;
	}
	struct state_session_limits lim;
	pthread_mutex_lock(&st->sess_lock);
	lim = st->limits;
	pthread_mutex_unlock(&st->sess_lock);
	memset(out, 0, sizeof(*out));
	if ((status = fore_attrs(&lim, &a->fore, &out->fore)) != NFS4_OK ||
	    (status = back_attrs(&lim, &a->back, &out->back)) != NFS4_OK) {
		pthread_mutex_unlock(&st->lock);
		return status;
	}
	if (state_cap_reached(st, STATE_CAP_SESSIONS, (unsigned)list_count(&cl->sessions))) {
		/* RFC 8881 18.36.4: NFS4ERR_NOSPC when the server cannot make
		 * another session; the client may destroy one it has. */
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_NOSPC;
	}
	/* Not persistent (the reply caches live in memory), no RDMA. */
	out->flags = a->flags & CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
	struct state_session *s =
		state_session_new(st, cl, &out->fore, &out->back, out->flags, a->cb_program,
				  &a->cb_sec, NULL);
	if (!s) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_RESOURCE;
	}
	state_session_bind_initial(st, s, a->conn,
				   STATE_CONN_FORE | ((out->flags & CREATE_SESSION4_FLAG_CONN_BACK_CHAN)
							      ? STATE_CONN_BACK
							      : 0));
	memcpy(out->sessionid, s->id, NFS4_SESSIONID_SIZE);
	cl->cs_seq = a->sequence;
	cl->cs_busy = true;
	buf_unref(cl->cs_reply);
	cl->cs_reply = NULL;
	out->sequence = a->sequence;
	/* The first session confirms the client; an earlier incarnation
	 * (same name) and its state go now (RFC 8881 18.35.5 case 4). */
	uint32_t name_len = unconf ? unconf->name_len : 0;
	uint8_t *name = unconf ? state_client_confirm(st, unconf) : NULL;
	state_client_renew(st, cl);
	pthread_mutex_unlock(&st->lock);
	if (unconf)
		state_client_record_write(st, name, name_len);
	return NFS4_OK;
}

void state_create_session_cache(struct state_server *st, uint64_t clientid, uint32_t sequence,
				enum nfsstat4 status, const uint8_t *body, size_t len)
{
	/* Without a body (out of memory, or the result did not encode) a
	 * retry then gets SEQ_MISORDERED: not fatal. */
	struct buf *b = body ? buf_new(len ? len : 1) : NULL;
	if (b) {
		memcpy(b->data, body, len);
		b->len = len;
	}
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (cl && cl->cs_seq == sequence) {
		cl->cs_busy = false;
		if (b) {
			buf_unref(cl->cs_reply);
			cl->cs_reply = b;
			cl->cs_status = status;
			b = NULL;
		}
	}
	pthread_mutex_unlock(&st->lock);
	buf_unref(b);
}

/* --- DESTROY_SESSION, DESTROY_CLIENTID -------------------------------------------- */

enum nfsstat4 state_destroy_session(struct state_server *st, const uint8_t *sessionid,
				    const struct state_session *own, const struct rpc_conn *conn)
{
	struct state_session *s = state_session_find(st, sessionid);
	if (!s)
		return NFS4ERR_BADSESSION;
	enum nfsstat4 status = NFS4_OK;
	pthread_mutex_lock(&st->lock);
	pthread_mutex_lock(&s->lock);
	/* Slots in flight, read under the lock SEQUENCE takes them under: the
	 * caller's own excepted. */
	unsigned busy = 0;
	for (uint32_t i = 0; i < s->nslots; i++)
		busy += s->slots[i].inflight;
	if (own == s)
		busy--;
	if (s->dead || !s->client)
		status = NFS4ERR_BADSESSION;
	else if (own != s && conn && st->opts.conn_ref && !state_sess_conn_find(s, conn))
		status = NFS4ERR_CONN_NOT_BOUND_TO_SESSION;
	else if (busy > 0)
		status = NFS4ERR_DELAY; /* let them finish first */
	else
		s->dead = true; /* from now on SEQUENCE finds it gone */
	pthread_mutex_unlock(&s->lock);
	if (status == NFS4_OK)
		state_session_kill(st, s);
	pthread_mutex_unlock(&st->lock);
	state_session_unref(st, s);
	return status;
}

enum nfsstat4 state_destroy_clientid(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 status = NFS4_OK;
	struct state_client *cl = state_client_find(st, clientid, true);
	if (!cl)
		cl = state_client_find(st, clientid, false);
	/* A v4.0 client is not one a v4.1 operation can name. */
	if (!cl || !cl->v41 || (uint32_t)(clientid >> 32) != st->boot) {
		status = NFS4ERR_STALE_CLIENTID;
	} else if (client_busy(cl)) {
		status = NFS4ERR_CLIENTID_BUSY;
	} else {
		bool was_confirmed = cl->confirmed;
		uint32_t len = cl->name_len;
		uint8_t *name = was_confirmed ? state_bytes_dup(cl->name, len) : NULL;
		state_client_destroy(st, cl, false);
		pthread_mutex_unlock(&st->lock);
		if (name) {
			state_record_sync(st, name, len);
			free(name);
		}
		return NFS4_OK;
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* --- RECLAIM_COMPLETE ----------------------------------------------------------- */

enum nfsstat4 state_reclaim_complete(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl;
	enum nfsstat4 status = state_client_use(st, clientid, &cl);
	if (status == NFS4_OK) {
		if (cl->reclaim_complete) {
			status = NFS4ERR_COMPLETE_ALREADY;
		} else {
			cl->reclaim_complete = true;
			/* Nothing more to reclaim for it. */
			cl->reclaimable = false;
			state_grace_reclaimed(st, cl->name, cl->name_len);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* --- TEST_STATEID, FREE_STATEID ------------------------------------------------- */

/* The stateid of client clientid, checked as TEST_STATEID does (st->lock). */
static enum nfsstat4 stid_of_client(struct state_server *st, uint64_t clientid,
				    const struct nfs4_stateid *sid, struct state_stid **out)
{
	*out = NULL;
	struct state_stid *s = state_stid_find(st, sid->other);
	if (!s || s->owner->dead) {
		enum nfsstat4 why = state_stid_missing(st, sid);
		/* v4.1 has no STALE_STATEID: a stateid of an earlier server
		 * instance is just not one of this client's. */
		return why == NFS4ERR_STALE_STATEID ? NFS4ERR_BAD_STATEID : why;
	}
	if (s->owner->clientid != clientid || s->type == STATE_STID_CLOSED)
		return NFS4ERR_BAD_STATEID;
	if (s->type == STATE_STID_DELEG && !s->file) {
		*out = s; /* revoked: FREE_STATEID frees it */
		return NFS4ERR_DELEG_REVOKED;
	}
	if (sid->seqid != 0 && sid->seqid != s->seqid)
		return (int32_t)(sid->seqid - s->seqid) < 0 ? NFS4ERR_OLD_STATEID
							    : NFS4ERR_BAD_STATEID;
	*out = s;
	return NFS4_OK;
}

/* TEST_STATEID's answer for sid; with and_free, FREE_STATEID's: the
 * stateid is then freed when its kind allows. */
static enum nfsstat4 stid_test(struct state_server *st, uint64_t clientid,
			       const struct nfs4_stateid *sid, bool and_free)
{
	pthread_mutex_lock(&st->lock);
	struct state_stid *s;
	enum nfsstat4 status = stid_of_client(st, clientid, sid, &s);
	if (and_free && (status == NFS4ERR_DELEG_REVOKED || status == NFS4_OK))
		status = st->stid_kinds[s->type]->free_stateid(st, s, status);
	pthread_mutex_unlock(&st->lock);
	return status;
}

enum nfsstat4 state_test_stateid(struct state_server *st, uint64_t clientid,
				 const struct nfs4_stateid *sid)
{
	return stid_test(st, clientid, sid, false);
}

enum nfsstat4 state_free_stateid(struct state_server *st, uint64_t clientid,
				 const struct nfs4_stateid *sid)
{
	return stid_test(st, clientid, sid, true);
}
