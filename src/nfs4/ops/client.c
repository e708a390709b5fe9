/* SETCLIENTID, SETCLIENTID_CONFIRM, RENEW (RFC 7530 16.33, 16.34, 16.32):
 * the codec decodes and encodes, the state module keeps the clients. */
#include <string.h>

#include "callback/callback.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/state.h"

/* A string<> into a fixed buffer; one that does not fit leaves it empty,
 * which makes the callback path unusable rather than the request fail. */
static void client_string_into(struct nfs4_opaque s, char *out, size_t cap)
{
	uint32_t len = s.len;
	if (len >= cap || memchr(s.data, '\0', len))
		len = 0;
	if (len)
		memcpy(out, s.data, len);
	out[len] = '\0';
}

enum nfsstat4 nfs4_op_setclientid(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_setclientid_args *a = args;
	/* Client state only for hosts that may use an export: others could
	 * only fill the client table.  RFC 7530 lists no permission error
	 * for SETCLIENTID; NFS4ERR_ACCESS is what such a host gets from
	 * PUTFH too, and a mount fails with "permission denied". */
	if (!exports_admit_any(&c->srv->exports, rpc_conn_peer_addr(c->req->conn),
				    rpc_conn_tls_peer(c->req->conn)))
		return NFS4ERR_ACCESS;
	struct state_callback cb;
	memset(&cb, 0, sizeof(cb));
	cb.program = a->cb_program;
	cb.ident = a->callback_ident;
	/* A client that came over TLS is not called back: a v4.0 callback is
	 * a connection ferryd dials, where the client would have to be the
	 * TLS server (RFC 9289 gives it no way to), and a plain-text one
	 * would carry its stateids and file handles in clear.  Its callback
	 * path stays down, so it is granted no delegation (RFC 7530 10.2.1)
	 * and loses nothing else. */
	if (c->req->cred.xprtsec == RPC_XPRTSEC_NONE) {
		client_string_into(a->cb_location.netid, cb.netid, sizeof(cb.netid));
		client_string_into(a->cb_location.addr, cb.addr, sizeof(cb.addr));
	}
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	struct nfs4_setclientid_res out;
	memset(&out, 0, sizeof(out));
	struct state_callback inuse;
	/* Kept apart from the same id sent to this head's own addresses
	 * when it came in through a head's address taken over (state.h,
	 * state_owner_key). */
	uint8_t key[NFS4_OPAQUE_LIMIT + STATE_OWNER_KEY_EXTRA];
	uint32_t key_len = state_owner_key(
		nfs4_server_listener_origin(c->srv, rpc_conn_listener(c->req->conn)), a->id.data,
		a->id.len, key);
	enum nfsstat4 s = state_setclientid(c->srv->state, &who, a->verifier.data, key, key_len,
					    &cb, &out.clientid, out.confirm.data, &inuse);
	if (s == NFS4ERR_CLID_INUSE) {
		/* The body says where the client holding the id is. */
		out.inuse_addr.netid = nfs4_opaque_str(inuse.netid);
		out.inuse_addr.addr = nfs4_opaque_str(inuse.addr);
		c->error_body = true;
	}
	if (s == NFS4_OK)
		state_client_seen_from(c->srv->state, out.clientid, rpc_conn_peer(c->req->conn));
	if (s == NFS4_OK || s == NFS4ERR_CLID_INUSE)
		nfs4_enc_setclientid_res(res, s, &out);
	return s;
}

enum nfsstat4 nfs4_op_setclientid_confirm(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_setclientid_confirm_args *a = args;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	enum nfsstat4 s =
		state_setclientid_confirm(c->srv->state, &who, a->clientid, a->confirm.data);
	if (s == NFS4_OK)
		state_client_seen_from(c->srv->state, a->clientid, rpc_conn_peer(c->req->conn));
	return s;
}

enum nfsstat4 nfs4_op_renew(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_renew_args *a = args;
	enum nfsstat4 s = nfs4_state_v40_clientid(c, a->clientid);
	if (s != NFS4_OK)
		return s;
	s = state_renew(c->srv->state, a->clientid);
	if (s == NFS4_OK)
		state_client_seen_from(c->srv->state, a->clientid, rpc_conn_peer(c->req->conn));
	/* A client holding delegations learns that it cannot be recalled
	 * (RFC 7530 16.29.5): it should return them or fix its callback. */
	if (s == NFS4_OK && state_client_has_delegations(c->srv->state, a->clientid) &&
	    !cb_path_up(c->srv->cb, a->clientid))
		s = NFS4ERR_CB_PATH_DOWN;
	return s;
}
