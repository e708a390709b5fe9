/* NFSv4.1 operations: EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION,
 * SEQUENCE, BIND_CONN_TO_SESSION, DESTROY_CLIENTID, RECLAIM_COMPLETE,
 * SECINFO_NO_NAME, TEST_STATEID, FREE_STATEID, BACKCHANNEL_CTL, SET_SSV
 * (RFC 8881 18.33-18.51).  The codec decodes the arguments and encodes the
 * results; the state lives in state/clients/session.h; this file maps the one to
 * the other and applies the COMPOUND-level rules. */
#include "nfs4/ops/ops.h"

#include <string.h>

#include "callback/callback.h"
#include "rpc/gss/gss_server.h"
#include "nfs4/server.h"
#include "state/clients/session.h"

/* --- mapping the codec's wire structs to the state module's ------------------------ */

/* callback_sec_parms4<>: which flavors the client allows for callbacks
 * (the first AUTH_SYS entry gives the credential, the first RPCSEC_GSS
 * entry naming a context this server has gives the context).  Returns
 * whether an RPCSEC_GSS entry named a context the server does not have
 * (or one it could not keep): that entry allows nothing. */
static bool session_cb_sec_from_wire(const struct nfs4_compound *c, struct state_cb_sec *sec,
				     const struct nfs4_cb_sec_list *l)
{
	memset(sec, 0, sizeof(*sec));
	bool unknown = false;
	struct rpc_gss_server *gss = rpc_server_gss(c->srv->rpc);
	struct xdr_dec it;
	struct nfs4_cb_sec_parms p;
	nfs4_list_iter_init(&it, &l->l);
	for (uint32_t i = 0; i < l->l.count && nfs4_dec_cb_sec_parms(&it, &p); i++) {
		if (p.flavor == NFS4_AUTH_NONE) {
			sec->none = true;
		} else if (p.flavor == NFS4_AUTH_SYS && !sec->sys) {
			struct rpc_cred *cr = &sec->cred;
			sec->sys = true;
			cr->flavor = RPC_AUTH_SYS;
			cr->stamp = p.sys.stamp;
			cr->uid = p.sys.uid;
			cr->gid = p.sys.gid;
			cr->ngids = p.sys.ngids;
			memcpy(cr->gids, p.sys.gids, p.sys.ngids * sizeof(cr->gids[0]));
			memcpy(cr->machinename, p.sys.machinename.data, p.sys.machinename.len);
			cr->machinename[p.sys.machinename.len] = '\0';
		} else if (p.flavor == RPCSEC_GSS && !sec->gss) {
			const struct nfs4_opaque *hs = &p.gss_handle_from_server;
			const struct nfs4_opaque *hc = &p.gss_handle_from_client;
			if (!gss || hs->len > STATE_GSS_HANDLE_MAX || hc->len > STATE_GSS_HANDLE_MAX ||
			    p.gss_service < RPC_CRED_GSS_NONE || p.gss_service > RPC_CRED_GSS_PRIVACY ||
			    !rpc_gss_server_knows(gss, hs->data, hs->len)) {
				unknown = true;
				continue;
			}
			sec->gss = true;
			sec->gss_service = p.gss_service;
			memcpy(sec->gss_from_server, hs->data, hs->len);
			sec->gss_from_server_len = hs->len;
			memcpy(sec->gss_from_client, hc->data, hc->len);
			sec->gss_from_client_len = hc->len;
		} else if (p.flavor == RPCSEC_GSS) {
			/* One context is enough; later ones are not checked. */
		}
	}
	return unknown;
}

_Static_assert((int)NFS4_AUTHSYS_MACHINENAME_MAX <= (int)RPC_AUTH_SYS_MAX_MACHINENAME &&
		       (int)NFS4_AUTHSYS_GIDS_MAX <= (int)RPC_AUTH_SYS_MAX_GIDS,
	       "a decoded AUTH_SYS credential must fit rpc_cred");

/* --- EXCHANGE_ID ------------------------------------------------------------------ */

/* SP4_MACH_CRED (RFC 8881 18.35.3).  Enforced: what the client asks for
 * among the v4.1 operations, and always the five the RFC has the client
 * list (the client ID and its sessions are the machine's to manage).
 * Allowed under the machine's principal on any export: operations that
 * give state back and need no user's permission (CLOSE, OPEN_DOWNGRADE,
 * LOCKU, DELEGRETURN, TEST_STATEID, FREE_STATEID), so a client whose
 * user's ticket expired can still return what it holds, and the security
 * queries. */
static const uint32_t sp4_always_enforced[] = {OP_BIND_CONN_TO_SESSION, OP_EXCHANGE_ID,
					       OP_CREATE_SESSION, OP_DESTROY_SESSION,
					       OP_DESTROY_CLIENTID};
static const uint32_t sp4_allowable[] = {OP_CLOSE,	  OP_OPEN_DOWNGRADE, OP_LOCKU,
					 OP_DELEGRETURN,  OP_TEST_STATEID,   OP_FREE_STATEID,
					 OP_SECINFO,	  OP_SECINFO_NO_NAME};

static void sp4_set(uint64_t map[2], uint32_t op)
{
	if (op < 128)
		map[op / 64] |= (uint64_t)1 << (op % 64);
}

static void sp4_grant(const struct nfs4_sp_ops *asked, struct state_sp4 *out)
{
	memset(out, 0, sizeof(*out));
	out->mach = true;
	for (uint32_t op = 0; op < 128; op++) {
		const struct nfs4_op_desc *d = nfs4_op_describe(op);
		if (nfs4_bitmap_isset(&asked->must_enforce, op) && d && d->minor_max >= 1)
			sp4_set(out->enforce, op);
	}
	for (size_t i = 0; i < sizeof(sp4_always_enforced) / sizeof(sp4_always_enforced[0]); i++)
		sp4_set(out->enforce, sp4_always_enforced[i]);
	for (size_t i = 0; i < sizeof(sp4_allowable) / sizeof(sp4_allowable[0]); i++)
		if (nfs4_bitmap_isset(&asked->must_allow, sp4_allowable[i]))
			sp4_set(out->allow, sp4_allowable[i]);
}

static void sp4_to_bitmap(const uint64_t map[2], struct nfs4_bitmap *b)
{
	memset(b, 0, sizeof(*b));
	for (uint32_t op = 0; op < 128 && op < 32 * NFS4_BITMAP_WORDS; op++)
		if (state_sp4_has(map, op))
			b->w[op / 32] |= 1u << (op % 32);
}

enum nfsstat4 nfs4_op_exchange_id(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_exchange_id_args *a = args;
	/* The flags a client may send (RFC 8881 18.35.3); CONFIRMED_R and
	 * the undefined bits are the server's or nobody's. */
	enum {
		EXCHGID4_CLIENT_FLAGS = 0x00000001 | 0x00000002 | 0x00000100 | 0x00070000 |
					0x40000000,
	};
	if (a->flags & ~(uint32_t)EXCHGID4_CLIENT_FLAGS)
		return NFS4ERR_INVAL;
	struct state_sp4 sp4 = {0};
	switch (a->state_protect.how) {
	case SP4_NONE:
		break;
	case SP4_MACH_CRED:
		/* The machine's principal is worth enforcing only when a
		 * checksum binds it to each request: krb5i or krb5p. */
		if (c->req->cred.flavor != RPC_AUTH_GSS ||
		    c->req->cred.gss_service == RPC_CRED_GSS_NONE)
			return NFS4ERR_INVAL;
		sp4_grant(&a->state_protect.ops, &sp4);
		break;
	default: /* SP4_SSV: the only other arm that decodes */
		return NFS4ERR_ENCR_ALG_UNSUPP;
	}
	if (a->ownerid.len == 0)
		return NFS4ERR_INVAL;
	/* Client state only for hosts that may use an export (see
	 * SETCLIENTID); NFS4ERR_PERM is the permission error RFC 8881 lists
	 * for EXCHANGE_ID. */
	if (!exports_admit_any(&c->srv->exports, rpc_conn_peer_addr(c->req->conn),
				    rpc_conn_tls_peer(c->req->conn)))
		return NFS4ERR_PERM;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	/* An owner that came in through the address of a head this one
	 * took over names the state it had there (state.h,
	 * state_owner_key), and sees that head's server_owner, the
	 * server it mounted. */
	int listener = rpc_conn_listener(c->req->conn);
	uint8_t key[NFS4_OPAQUE_LIMIT + STATE_OWNER_KEY_EXTRA];
	uint32_t key_len = state_owner_key(nfs4_server_listener_origin(c->srv, listener),
					   a->ownerid.data, a->ownerid.len, key);
	struct state_exchange_res r;
	enum nfsstat4 s = state_exchange_id(c->srv->state, &who, a->verifier.data, key, key_len,
					    a->flags, c->minor, &r);
	if (s != NFS4_OK)
		return s;
	struct state_sp4 granted;
	state_client_set_sp4(c->srv->state, r.clientid, &sp4, &granted);
	const struct nfs4_server *srv = c->srv;
	/* server_owner4 and server_scope: the same across restarts, so the
	 * client can tell a restart from another server; the scope is the
	 * cluster's with [cluster] (nfs4/server.c). */
	uint8_t major[sizeof(srv->server_owner)];
	struct nfs4_opaque owner = {major, nfs4_server_owner_of(srv, listener, major)};
	struct nfs4_opaque scope = {srv->server_scope, srv->server_scope_len};
	struct nfs4_exchange_id_res out = {
		.clientid = r.clientid,
		.sequenceid = r.sequenceid,
		.flags = r.flags,
		.state_protect = {.how = granted.mach ? SP4_MACH_CRED : SP4_NONE},
		.server_minor_id = 0,
		.server_major_id = owner,
		.server_scope = scope,
		.has_impl_id = true,
		.impl_id = {.domain = {(const uint8_t *)"ferry.invalid", 13},
			    .name = {(const uint8_t *)"ferry", 5}},
	};
	if (granted.mach) {
		sp4_to_bitmap(granted.enforce, &out.state_protect.ops.must_enforce);
		sp4_to_bitmap(granted.allow, &out.state_protect.ops.must_allow);
	}
	nfs4_enc_exchange_id_res(res, &out);
	return NFS4_OK;
}

/* SP4_MACH_CRED of client clientid, for an operation sent outside its
 * sessions; who gets the caller. */
static enum nfsstat4 client_mach_check(struct nfs4_compound *c, uint64_t clientid, uint32_t op,
				       struct state_principal *who)
{
	state_principal_from_cred(who, &c->req->cred);
	return state_client_mach_check(c->srv->state, clientid, who, op);
}

/* --- CREATE_SESSION ------------------------------------------------------------- */

enum nfsstat4 nfs4_op_create_session(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_create_session_args *a = args;
	/* PERSIST, CONN_BACK_CHAN and CONN_RDMA are all that is defined. */
	if (a->flags & ~(uint32_t)0x7)
		return NFS4ERR_INVAL;
	struct state_create_session_args sa;
	memset(&sa, 0, sizeof(sa));
	sa.clientid = a->clientid;
	sa.sequence = a->sequence;
	sa.flags = a->flags;
	sa.fore = a->fore;
	sa.back = a->back;
	sa.cb_program = a->cb_program;
	/* A GSS entry naming no context of this server allows nothing: if
	 * nothing else is allowed, the back channel is down (no silent
	 * fallback to a flavor the client did not list). */
	session_cb_sec_from_wire(c, &sa.cb_sec, &a->sec_parms);
	sa.conn = c->req->conn;
	struct state_principal who;
	enum nfsstat4 wrong = client_mach_check(c, a->clientid, OP_CREATE_SESSION, &who);
	if (wrong != NFS4_OK)
		return wrong;
	struct state_create_session_res r;
	struct buf *replay = NULL;
	enum nfsstat4 replay_status = NFS4_OK;
	enum nfsstat4 s =
		state_create_session(c->srv->state, &who, &sa, &r, &replay, &replay_status);
	if (replay) {
		/* The result as first encoded, so a retry sees the same bytes. */
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
	struct nfs4_create_session_res out;
	memcpy(out.sessionid.data, r.sessionid, NFS4_SESSIONID_SIZE);
	out.sequence = r.sequence;
	out.flags = r.flags;
	out.fore = r.fore;
	out.back = r.back;
	size_t body_off = xdr_enc_len(res);
	bool encoded = nfs4_enc_create_session_res(res, &out);
	state_create_session_cache(c->srv->state, a->clientid, a->sequence, NFS4_OK,
				   encoded ? res->buf->data + body_off : NULL,
				   encoded ? xdr_enc_len(res) - body_off : 0);
	return NFS4_OK;
}

/* --- DESTROY_SESSION, DESTROY_CLIENTID, BIND_CONN_TO_SESSION ------------------- */

/* SP4_MACH_CRED of the client of session sid, sent outside it. */
static enum nfsstat4 session_mach_check(struct nfs4_compound *c, const uint8_t *sid, uint32_t op)
{
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	return state_session_mach_check(c->srv->state, sid, &who, op);
}

enum nfsstat4 nfs4_op_destroy_session(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_destroy_session_args *a = args;
	const uint8_t *sid = a->sessionid.data;
	/* In the session it destroys, it must be the last operation. */
	if (c->session && memcmp(state_session_id(c->session), sid, NFS4_SESSIONID_SIZE) == 0 &&
	    c->op_index + 1 != c->numops)
		return NFS4ERR_NOT_ONLY_OP;
	enum nfsstat4 wrong = session_mach_check(c, sid, OP_DESTROY_SESSION);
	if (wrong != NFS4_OK)
		return wrong;
	return state_destroy_session(c->srv->state, sid, c->session, c->req->conn);
}

enum nfsstat4 nfs4_op_destroy_clientid(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_destroy_clientid_args *a = args;
	/* The session this COMPOUND runs in is one of its sessions. */
	if (c->session && state_session_clientid(c->session) == a->clientid)
		return NFS4ERR_CLIENTID_BUSY;
	struct state_principal who;
	enum nfsstat4 wrong = client_mach_check(c, a->clientid, OP_DESTROY_CLIENTID, &who);
	if (wrong != NFS4_OK)
		return wrong;
	return state_destroy_clientid(c->srv->state, a->clientid);
}

enum nfsstat4 nfs4_op_bind_conn_to_session(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_bind_conn_to_session_args *a = args;
	enum nfsstat4 wrong = session_mach_check(c, a->sessionid.data, OP_BIND_CONN_TO_SESSION);
	if (wrong != NFS4_OK)
		return wrong;
	unsigned bound = 0;
	enum nfsstat4 s =
		state_bind_conn(c->srv->state, a->sessionid.data, c->req->conn, a->dir, &bound);
	if (s != NFS4_OK)
		return s;
	/* channel_dir_from_server4 has the STATE_CONN_* values: FORE 1,
	 * BACK 2, BOTH 3. */
	struct nfs4_bind_conn_to_session_res out = {
		.sessionid = a->sessionid, .dir = bound, .use_conn_in_rdma_mode = false};
	nfs4_enc_bind_conn_to_session_res(res, &out);
	return NFS4_OK;
}

/* --- SEQUENCE --------------------------------------------------------------------- */

enum nfsstat4 nfs4_op_sequence(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_sequence_args *a = args;
	struct state_sequence_args sa = {
		.sessionid = a->sessionid.data,
		.seqid = a->sequenceid,
		.slotid = a->slotid,
		.highest_slotid = a->highest_slotid,
		.cachethis = a->cachethis,
		.digest = c->args_digest,
		.numops = c->numops,
		.reqsize = (uint32_t)c->req->record.len,
		/* The result header is encoded already; the record mark does
		 * not count. */
		.replysize = (uint32_t)(xdr_enc_len(res) - 4 +
					nfs4_op_describe(OP_SEQUENCE)->reply_max),
		.conn = c->req->conn,
	};
	struct state_sequence_res r;
	enum nfsstat4 s = state_sequence(c->srv->state, &sa, &r);
	if (s != NFS4_OK)
		return s;
	if (r.kind == STATE_SEQ41_REPLAY) {
		c->replay = r.replay;
		c->replay_off = r.replay_off;
		return NFS4_OK;
	}
	c->session = r.session;
	c->clientid = r.clientid;
	c->sp4 = r.sp4;
	c->slotid = a->slotid;
	c->cachethis = a->cachethis;
	c->max_cached = r.fore.maxresponsesize_cached;
	/* From here the reply may not outgrow what the client accepts (the
	 * RPC header and record mark included, and what RPCSEC_GSS adds after
	 * the results).  Results' bodies stop NFS4_OP_RES_HEAD short of it:
	 * the header of the result that reports NFS4ERR_REP_TOO_BIG always
	 * fits (the engine lets op headers use that room). */
	struct xdr_enc *e = &c->req->reply;
	c->saved_limit = e->limit;
	size_t room = (size_t)r.fore.maxresponsesize + 4;
	size_t keep = NFS4_OP_RES_HEAD + rpc_request_reply_trailer(c->req);
	size_t lim = room > keep ? room - keep : 0;
	if (lim < e->limit)
		e->limit = lim;
	struct nfs4_sequence_res out = {
		.sessionid = a->sessionid,
		.sequenceid = a->sequenceid,
		.slotid = a->slotid,
		.highest_slotid = r.highest_slotid,
		.target_highest_slotid = r.target_highest_slotid,
		.status_flags = r.status_flags,
	};
	nfs4_enc_sequence_res(res, &out);
	if (r.probe)
		cb_probe41(c->srv->cb, c->session);
	return NFS4_OK;
}

/* --- RECLAIM_COMPLETE, SECINFO_NO_NAME ------------------------------------------ */

enum nfsstat4 nfs4_op_reclaim_complete(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_reclaim_complete_args *a = args;
	if (a->one_fs) {
		/* Per file system: Ferry's grace is global; nothing to track
		 * beyond the file system being one (RFC 8881 18.51.3). */
		if (c->cfh.kind == FH_NONE)
			return NFS4ERR_NOFILEHANDLE;
		return NFS4_OK;
	}
	return state_reclaim_complete(c->srv->state, c->clientid);
}

/* The Kerberos 5 mechanism's OID (1.2.840.113554.1.2.2) as GSS-API holds
 * it, without the DER tag and length: what sec_oid4 carries. */
static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

void nfs4_enc_export_flavors(struct xdr_enc *res, uint32_t sec)
{
	struct nfs4_secinfo items[CONFIG_SEC_KINDS];
	uint32_t n = 0;
	for (; sec && n < CONFIG_SEC_KINDS; sec >>= 4) {
		struct nfs4_secinfo *it = &items[n++];
		memset(it, 0, sizeof(*it));
		switch ((enum config_sec)(sec & 0xf)) {
		case CONFIG_SEC_NONE:
			it->flavor = NFS4_AUTH_NONE;
			break;
		case CONFIG_SEC_SYS:
			it->flavor = NFS4_AUTH_SYS;
			break;
		default:
			it->flavor = RPCSEC_GSS;
			it->gss_oid = (struct nfs4_opaque){krb5_oid, sizeof(krb5_oid)};
			it->gss_qop = 0;
			it->gss_service = (sec & 0xf) - CONFIG_SEC_KRB5 + RPC_CRED_GSS_NONE;
			break;
		}
	}
	struct nfs4_secinfo_res out = {.l = {.count = n}, .items = items};
	nfs4_enc_secinfo_res(res, &out);
}

/* The flavours of what fh names: its export's, or the pseudo file
 * system's. */
uint32_t nfs4_fh_sec(const struct nfs4_compound *c, const struct fh *fh)
{
	if (fh->kind == FH_EXPORT)
		return export_sec_for(fh->export, rpc_conn_peer_addr(c->req->conn));
	return exports_pseudo_sec(&c->srv->exports);
}

enum nfsstat4 nfs4_op_secinfo_no_name(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_secinfo_no_name_args *a = args;
	if (a->style > SECINFO_STYLE4_PARENT)
		return NFS4ERR_INVAL;
	/* The pseudo-root has no parent. */
	if (a->style == SECINFO_STYLE4_PARENT && c->cfh.kind == FH_PSEUDO &&
	    !c->cfh.node->parent)
		return NFS4ERR_NOENT;
	/* The parent of an export's root is the pseudo file system; of
	 * anything else in an export, the export. */
	struct fh of = c->cfh;
	if (a->style == SECINFO_STYLE4_PARENT && of.kind == FH_EXPORT &&
	    of.bh.len == of.export->root.len &&
	    memcmp(of.bh.data, of.export->root.data, of.bh.len) == 0)
		of.kind = FH_PSEUDO;
	nfs4_enc_export_flavors(res, nfs4_fh_sec(c, &of));
	/* Like SECINFO, it consumes the current filehandle. */
	c->cfh.kind = FH_NONE;
	return NFS4_OK;
}

/* --- TEST_STATEID, FREE_STATEID ------------------------------------------------- */

enum nfsstat4 nfs4_op_test_stateid(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_test_stateid_args *a = args;
	/* nfsstat4<> written as nfs4_enc_test_stateid_res lays it out, one
	 * status at a time: the list is bounded only by the request, and
	 * building it first would need an allocation per call. */
	if (!xdr_encode_u32(res, a->count))
		return NFS4_OK; /* overflow: the dispatcher reports it */
	/* Once the reply is full nothing more reaches the client. */
	for (uint32_t i = 0; i < a->count && !res->overflow; i++) {
		struct nfs4_stateid sid;
		nfs4_test_stateid_args_get(a, i, &sid);
		xdr_encode_u32(res, state_test_stateid(c->srv->state, c->clientid, &sid));
	}
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_free_stateid(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_free_stateid_args *a = args;
	return state_free_stateid(c->srv->state, c->clientid, &a->stateid);
}

/* --- BACKCHANNEL_CTL, SET_SSV ------------------------------------------------------ */

enum nfsstat4 nfs4_op_backchannel_ctl(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_backchannel_ctl_args *a = args;
	/* RFC 8881 18.33.3: the program and the security are replaced, and
	 * an RPCSEC_GSS handle the server does not have is NFS4ERR_NOENT. */
	if (!state_session_back_wanted(c->srv->state, c->session))
		return NFS4ERR_INVAL;
	struct state_cb_sec sec;
	if (session_cb_sec_from_wire(c, &sec, &a->sec_parms))
		return NFS4ERR_NOENT;
	/* No flavor at all: nothing the server may call back with. */
	if (!state_cb_sec_usable(&sec))
		return NFS4ERR_INVAL;
	enum nfsstat4 s = state_backchannel_ctl(c->srv->state, c->session, a->cb_program, &sec);
	if (s == NFS4_OK)
		cb_probe41(c->srv->cb, c->session);
	return s;
}

enum nfsstat4 nfs4_op_set_ssv(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	/* Only for a client ID made with SP4_SSV, which Ferry refuses. */
	return NFS4ERR_INVAL;
}
