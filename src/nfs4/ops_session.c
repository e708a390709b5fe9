/* NFSv4.1 operations: EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION,
 * SEQUENCE, BIND_CONN_TO_SESSION, DESTROY_CLIENTID, RECLAIM_COMPLETE,
 * SECINFO_NO_NAME, TEST_STATEID, FREE_STATEID, BACKCHANNEL_CTL, SET_SSV
 * (RFC 8881 18.33-18.51).  The state lives in state/session.h; this file
 * decodes, encodes and applies the COMPOUND-level rules. */
#include "nfs4/ops_session.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nfs4/ops.h"
#include "nfs4/ops_state.h"
#include "nfs4/server.h"
#include "state/session.h"

enum { CB_TIMEOUT_MS = 5000 };

/* --- EXCHANGE_ID ------------------------------------------------------------------ */

static bool skip_opaque(struct xdr_dec *d, uint32_t max)
{
	const uint8_t *p;
	uint32_t n;
	return xdr_decode_opaque(d, max, &p, &n);
}

NFS4_SESSION_OP(exchange_id)
{
	const uint8_t *verifier, *owner;
	uint32_t owner_len, flags, how;
	if (!xdr_decode_opaque_fixed(args, NFS4_VERIFIER_SIZE, &verifier) ||
	    !xdr_decode_opaque(args, NFS4_OPAQUE_LIMIT, &owner, &owner_len) ||
	    !xdr_decode_u32(args, &flags) || !xdr_decode_u32(args, &how))
		return NFS4ERR_BADXDR;
	/* The flags a client may send (RFC 8881 18.35.3); CONFIRMED_R and
	 * the undefined bits are the server's or nobody's. */
	enum {
		EXCHGID4_CLIENT_FLAGS = 0x00000001 | 0x00000002 | 0x00000100 | 0x00070000 |
					0x40000000,
	};
	if (flags & ~(uint32_t)EXCHGID4_CLIENT_FLAGS)
		return NFS4ERR_INVAL;
	switch (how) {
	case SP4_NONE:
		break;
	case SP4_MACH_CRED:
		/* Needs RPCSEC_GSS, which Ferry does not serve (as nfsd). */
		return NFS4ERR_INVAL;
	case SP4_SSV:
		return NFS4ERR_ENCR_ALG_UNSUPP;
	default:
		return NFS4ERR_INVAL;
	}
	uint32_t nimpl;
	if (!xdr_decode_u32(args, &nimpl) || nimpl > 1)
		return NFS4ERR_BADXDR;
	if (nimpl) {
		uint64_t secs;
		uint32_t nsecs;
		if (!skip_opaque(args, NFS4_OPAQUE_LIMIT) || !skip_opaque(args, NFS4_OPAQUE_LIMIT) ||
		    !xdr_decode_u64(args, &secs) || !xdr_decode_u32(args, &nsecs))
			return NFS4ERR_BADXDR;
	}
	if (owner_len == 0)
		return NFS4ERR_INVAL;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	struct state_exchange_res r;
	enum nfsstat4 s =
		state_exchange_id(c->srv->state, &who, verifier, owner, owner_len, flags, &r);
	if (s != NFS4_OK)
		return s;
	struct nfs4_server *srv = c->srv;
	xdr_encode_u64(res, r.clientid);
	xdr_encode_u32(res, r.sequenceid);
	xdr_encode_u32(res, r.flags);
	xdr_encode_u32(res, SP4_NONE);
	/* server_owner4 and server_scope: the same across restarts, so the
	 * client can tell a restart from another server. */
	xdr_encode_u64(res, 0);
	xdr_encode_opaque(res, srv->server_owner, srv->server_owner_len);
	xdr_encode_opaque(res, srv->server_owner, srv->server_owner_len);
	xdr_encode_u32(res, 1); /* server_impl_id */
	xdr_encode_opaque(res, "ferry.invalid", 13);
	xdr_encode_opaque(res, "ferry", 5);
	xdr_encode_u64(res, 0);
	xdr_encode_u32(res, 0);
	return NFS4_OK;
}

/* --- CREATE_SESSION ------------------------------------------------------------- */

static bool decode_chan_attrs(struct xdr_dec *d, struct state_chan_attrs *a)
{
	uint32_t nird, ird;
	if (!xdr_decode_u32(d, &a->headerpadsize) || !xdr_decode_u32(d, &a->maxrequestsize) ||
	    !xdr_decode_u32(d, &a->maxresponsesize) ||
	    !xdr_decode_u32(d, &a->maxresponsesize_cached) ||
	    !xdr_decode_u32(d, &a->maxoperations) || !xdr_decode_u32(d, &a->maxrequests) ||
	    !xdr_decode_u32(d, &nird) || nird > 1)
		return false;
	return nird == 0 || xdr_decode_u32(d, &ird);
}

static void encode_chan_attrs(struct xdr_enc *e, const struct state_chan_attrs *a)
{
	xdr_encode_u32(e, a->headerpadsize);
	xdr_encode_u32(e, a->maxrequestsize);
	xdr_encode_u32(e, a->maxresponsesize);
	xdr_encode_u32(e, a->maxresponsesize_cached);
	xdr_encode_u32(e, a->maxoperations);
	xdr_encode_u32(e, a->maxrequests);
	xdr_encode_u32(e, 0); /* ca_rdma_ird: none */
}

/* callback_sec_parms4<>: keeps the first AUTH_SYS or AUTH_NONE entry. */
static bool decode_cb_sec(struct xdr_dec *d, struct state_cb_sec *sec)
{
	uint32_t n;
	memset(sec, 0, sizeof(*sec));
	bool have = false;
	if (!xdr_decode_u32(d, &n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t flavor;
		if (!xdr_decode_u32(d, &flavor))
			return false;
		if (flavor == RPC_AUTH_NONE) {
			if (!have) {
				sec->flavor = RPC_AUTH_NONE;
				have = true;
			}
		} else if (flavor == RPC_AUTH_SYS) {
			struct rpc_cred cr;
			memset(&cr, 0, sizeof(cr));
			const uint8_t *mn;
			uint32_t mlen, ngids;
			cr.flavor = RPC_AUTH_SYS;
			if (!xdr_decode_u32(d, &cr.stamp) ||
			    !xdr_decode_opaque(d, RPC_AUTH_SYS_MAX_MACHINENAME, &mn, &mlen) ||
			    !xdr_decode_u32(d, &cr.uid) || !xdr_decode_u32(d, &cr.gid) ||
			    !xdr_decode_u32(d, &ngids) || ngids > RPC_AUTH_SYS_MAX_GIDS)
				return false;
			memcpy(cr.machinename, mn, mlen);
			cr.ngids = ngids;
			for (uint32_t g = 0; g < ngids; g++)
				if (!xdr_decode_u32(d, &cr.gids[g]))
					return false;
			if (!have) {
				sec->flavor = RPC_AUTH_SYS;
				sec->cred = cr;
				have = true;
			}
		} else if (flavor == RPC_AUTH_GSS) {
			uint32_t service;
			if (!xdr_decode_u32(d, &service) || !skip_opaque(d, UINT32_MAX) ||
			    !skip_opaque(d, UINT32_MAX))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

NFS4_SESSION_OP(create_session)
{
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	if (!xdr_decode_u64(args, &a.clientid) || !xdr_decode_u32(args, &a.sequence) ||
	    !xdr_decode_u32(args, &a.flags) || !decode_chan_attrs(args, &a.fore) ||
	    !decode_chan_attrs(args, &a.back) || !xdr_decode_u32(args, &a.cb_program) ||
	    !decode_cb_sec(args, &a.cb_sec))
		return NFS4ERR_BADXDR;
	/* PERSIST, CONN_BACK_CHAN and CONN_RDMA are all that is defined. */
	if (a.flags & ~(uint32_t)0x7)
		return NFS4ERR_INVAL;
	a.conn = c->req->conn;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	struct state_create_session_res r;
	struct buf *replay = NULL;
	enum nfsstat4 replay_status = NFS4_OK;
	enum nfsstat4 s =
		state_create_session(c->srv->state, &who, &a, &r, &replay, &replay_status);
	if (replay) {
		uint8_t *p = xdr_enc_reserve(res, replay->len);
		if (p)
			memcpy(p, replay->data, replay->len);
		buf_unref(replay);
		if (replay_status != NFS4_OK)
			c->error_body = true;
		return replay_status;
	}
	if (s != NFS4_OK)
		return s;
	size_t body_off = xdr_enc_len(res);
	xdr_encode_opaque_fixed(res, r.sessionid, NFS4_SESSIONID_SIZE);
	xdr_encode_u32(res, r.sequence);
	xdr_encode_u32(res, r.flags);
	encode_chan_attrs(res, &r.fore);
	encode_chan_attrs(res, &r.back);
	if (!res->overflow)
		state_create_session_cache(c->srv->state, a.clientid, a.sequence, NFS4_OK,
					   res->buf->data + body_off, xdr_enc_len(res) - body_off);
	return NFS4_OK;
}

/* --- DESTROY_SESSION, DESTROY_CLIENTID, BIND_CONN_TO_SESSION ------------------- */

NFS4_SESSION_OP(destroy_session)
{
	const uint8_t *sid;
	if (!xdr_decode_opaque_fixed(args, NFS4_SESSIONID_SIZE, &sid))
		return NFS4ERR_BADXDR;
	/* In the session it destroys, it must be the last operation. */
	if (c->session && memcmp(state_session_id(c->session), sid, NFS4_SESSIONID_SIZE) == 0 &&
	    c->op_index + 1 != c->numops)
		return NFS4ERR_NOT_ONLY_OP;
	return state_destroy_session(c->srv->state, sid, c->session);
}

NFS4_SESSION_OP(destroy_clientid)
{
	uint64_t clientid;
	if (!xdr_decode_u64(args, &clientid))
		return NFS4ERR_BADXDR;
	/* The session this COMPOUND runs in is one of its sessions. */
	if (c->session && state_session_clientid(c->session) == clientid)
		return NFS4ERR_CLIENTID_BUSY;
	return state_destroy_clientid(c->srv->state, clientid);
}

NFS4_SESSION_OP(bind_conn_to_session)
{
	const uint8_t *sid;
	uint32_t dir;
	bool rdma;
	if (!xdr_decode_opaque_fixed(args, NFS4_SESSIONID_SIZE, &sid) ||
	    !xdr_decode_u32(args, &dir) || !xdr_decode_bool(args, &rdma))
		return NFS4ERR_BADXDR;
	unsigned bound = 0;
	enum nfsstat4 s = state_bind_conn(c->srv->state, sid, c->req->conn, dir, &bound);
	if (s != NFS4_OK)
		return s;
	xdr_encode_opaque_fixed(res, sid, NFS4_SESSIONID_SIZE);
	/* channel_dir_from_server4: FORE 1, BACK 2, BOTH 3. */
	xdr_encode_u32(res, bound);
	xdr_encode_bool(res, false);
	return NFS4_OK;
}

/* --- SEQUENCE --------------------------------------------------------------------- */

NFS4_SESSION_OP(sequence)
{
	const uint8_t *sid;
	struct state_sequence_args a;
	memset(&a, 0, sizeof(a));
	if (!xdr_decode_opaque_fixed(args, NFS4_SESSIONID_SIZE, &sid) ||
	    !xdr_decode_u32(args, &a.seqid) || !xdr_decode_u32(args, &a.slotid) ||
	    !xdr_decode_u32(args, &a.highest_slotid) || !xdr_decode_bool(args, &a.cachethis))
		return NFS4ERR_BADXDR;
	a.sessionid = sid;
	a.digest = c->args_digest;
	a.numops = c->numops;
	a.reqsize = (uint32_t)c->req->record.len;
	a.conn = c->req->conn;
	struct state_sequence_res r;
	enum nfsstat4 s = state_sequence(c->srv->state, &a, &r);
	if (s != NFS4_OK)
		return s;
	if (r.kind == STATE_SEQ41_REPLAY) {
		c->replay = r.replay;
		c->replay_off = r.replay_off;
		return NFS4_OK;
	}
	c->session = r.session;
	c->clientid = r.clientid;
	c->slotid = a.slotid;
	c->cachethis = a.cachethis;
	c->max_cached = r.fore.maxresponsesize_cached;
	/* From here the reply may not outgrow what the client accepts (the
	 * RPC header and record mark included). */
	struct xdr_enc *e = &c->req->reply;
	c->saved_limit = e->limit;
	size_t lim = (size_t)r.fore.maxresponsesize + 4;
	if (lim < e->limit)
		e->limit = lim;
	xdr_encode_opaque_fixed(res, sid, NFS4_SESSIONID_SIZE);
	xdr_encode_u32(res, a.seqid);
	xdr_encode_u32(res, a.slotid);
	xdr_encode_u32(res, r.highest_slotid);
	xdr_encode_u32(res, r.target_highest_slotid);
	xdr_encode_u32(res, r.status_flags);
	if (r.probe)
		nfs4_cb41_probe(c->srv, c->session);
	return NFS4_OK;
}

/* --- RECLAIM_COMPLETE, SECINFO_NO_NAME ------------------------------------------ */

NFS4_SESSION_OP(reclaim_complete)
{
	bool one_fs;
	if (!xdr_decode_bool(args, &one_fs))
		return NFS4ERR_BADXDR;
	if (one_fs) {
		/* Per file system: Ferry's grace is global; nothing to track
		 * beyond the file system being one (RFC 8881 18.51.3). */
		if (c->cfh.kind == NFS4_FH_NONE)
			return NFS4ERR_NOFILEHANDLE;
		return NFS4_OK;
	}
	return state_reclaim_complete(c->srv->state, c->clientid);
}

NFS4_SESSION_OP(secinfo_no_name)
{
	uint32_t style;
	if (!xdr_decode_u32(args, &style))
		return NFS4ERR_BADXDR;
	if (style > SECINFO_STYLE4_PARENT)
		return NFS4ERR_INVAL;
	/* The pseudo-root has no parent. */
	if (style == SECINFO_STYLE4_PARENT && c->cfh.kind == NFS4_FH_PSEUDO && !c->cfh.node->parent)
		return NFS4ERR_NOENT;
	/* Every export takes AUTH_SYS and AUTH_NONE, strongest first. */
	xdr_encode_u32(res, 2);
	xdr_encode_u32(res, RPC_AUTH_SYS);
	xdr_encode_u32(res, RPC_AUTH_NONE);
	/* Like SECINFO, it consumes the current filehandle. */
	c->cfh.kind = NFS4_FH_NONE;
	return NFS4_OK;
}

/* --- TEST_STATEID, FREE_STATEID ------------------------------------------------- */

NFS4_SESSION_OP(test_stateid)
{
	uint32_t n;
	if (!xdr_decode_u32(args, &n) || n > xdr_dec_remaining(args) / 16)
		return NFS4ERR_BADXDR;
	xdr_encode_u32(res, n);
	for (uint32_t i = 0; i < n; i++) {
		struct nfs4_stateid sid;
		if (!nfs4_decode_stateid(args, &sid))
			return NFS4ERR_BADXDR;
		xdr_encode_u32(res, state_test_stateid(c->srv->state, c->clientid, &sid));
	}
	return NFS4_OK;
}

NFS4_SESSION_OP(free_stateid)
{
	struct nfs4_stateid sid;
	if (!nfs4_decode_stateid(args, &sid))
		return NFS4ERR_BADXDR;
	return state_free_stateid(c->srv->state, c->clientid, &sid);
}

/* --- BACKCHANNEL_CTL, SET_SSV ------------------------------------------------------ */

NFS4_SESSION_OP(backchannel_ctl)
{
	uint32_t program;
	struct state_cb_sec sec;
	if (!xdr_decode_u32(args, &program) || !decode_cb_sec(args, &sec))
		return NFS4ERR_BADXDR;
	enum nfsstat4 s = state_backchannel_ctl(c->srv->state, c->session, program, &sec);
	if (s == NFS4_OK)
		nfs4_cb41_probe(c->srv, c->session);
	return s;
}

NFS4_SESSION_OP(set_ssv)
{
	/* Only for a client ID made with SP4_SSV, which Ferry refuses. */
	return NFS4ERR_INVAL;
}

/* --- the back-channel probe ------------------------------------------------------- */

struct cb_probe {
	struct nfs4_server *srv;
	struct state_session *session;
};

static void cb_probe_done(void *arg, int err, const struct rpc_reply_hdr *hdr,
			  struct xdr_dec *results)
{
	struct cb_probe *p = arg;
	bool ok = false;
	if (err == 0 && hdr->reply_stat == RPC_MSG_ACCEPTED && hdr->accept_stat == RPC_SUCCESS) {
		uint32_t status, taglen, nres, opnum, opstatus;
		const uint8_t *tag;
		ok = xdr_decode_u32(results, &status) &&
		     xdr_decode_opaque(results, UINT32_MAX, &tag, &taglen) &&
		     xdr_decode_u32(results, &nres) && nres >= 1 &&
		     xdr_decode_u32(results, &opnum) && opnum == OP_CB_SEQUENCE &&
		     xdr_decode_u32(results, &opstatus) && opstatus == NFS4_OK;
	}
	if (!ok)
		log_info("nfs4: back channel of a session did not answer CB_SEQUENCE (%d)", err);
	state_cb_end(p->srv->state, p->session, ok);
	state_session_unref(p->srv->state, p->session);
	free(p);
}

void nfs4_cb41_probe(struct nfs4_server *srv, struct state_session *s)
{
	struct state_cb_target t;
	if (!state_cb_begin(srv->state, s, &t))
		return;
	uint8_t buf[128];
	struct xdr_enc e;
	bool ok = false;
	if (xdr_enc_init(&e, sizeof(buf), 256)) {
		xdr_encode_opaque(&e, "", 0);         /* tag */
		xdr_encode_u32(&e, 1);                /* minorversion */
		xdr_encode_u32(&e, 0);                /* callback_ident (unused in 4.1) */
		xdr_encode_u32(&e, 1);                /* one operation */
		xdr_encode_u32(&e, OP_CB_SEQUENCE);
		xdr_encode_opaque_fixed(&e, t.sessionid, NFS4_SESSIONID_SIZE);
		xdr_encode_u32(&e, t.seqid);
		xdr_encode_u32(&e, t.slotid);
		xdr_encode_u32(&e, 0);                /* highest slot */
		xdr_encode_bool(&e, false);           /* cachethis */
		xdr_encode_u32(&e, 0);                /* referring call lists */
		struct cb_probe *p = malloc(sizeof(*p));
		if (p && !e.overflow) {
			p->srv = srv;
			p->session = state_session_ref(s);
			const struct rpc_cred *cred =
				t.sec.flavor == RPC_AUTH_SYS ? &t.sec.cred : NULL;
			int rc = rpc_conn_call(t.conn, t.program, 1, CB_COMPOUND, cred,
					       e.buf->data, e.buf->len, CB_TIMEOUT_MS, cb_probe_done,
					       p);
			if (rc == 0) {
				ok = true;
			} else {
				state_session_unref(srv->state, p->session);
				free(p);
			}
		} else {
			free(p);
		}
		xdr_enc_release(&e);
	}
	state_cb_put_conn(srv->state, t.conn);
	if (!ok)
		state_cb_end(srv->state, s, false);
}
