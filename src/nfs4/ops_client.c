/* SETCLIENTID, SETCLIENTID_CONFIRM, RENEW (RFC 7530 16.33, 16.34, 16.32),
 * and the CB_NULL dialer the state module probes callback paths with. */
#include <errno.h>
#include <string.h>

#include "nfs4/ops_state.h"
#include "nfs4/server.h"
#include "rpc/client.h"

/* A string<> into a fixed buffer; one that does not fit leaves it empty,
 * which makes the callback path unusable rather than the request fail. */
static bool decode_string_into(struct xdr_dec *d, char *out, size_t cap)
{
	const uint8_t *s;
	uint32_t len;
	if (!xdr_decode_opaque(d, UINT32_MAX, &s, &len))
		return false;
	if (len >= cap || memchr(s, '\0', len))
		len = 0;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

NFS4_STATE_OP(setclientid)
{
	const uint8_t *verifier, *name;
	uint32_t name_len;
	struct state_callback cb;
	memset(&cb, 0, sizeof(cb));
	if (!xdr_decode_opaque_fixed(args, NFS4_VERIFIER_SIZE, &verifier) ||
	    !xdr_decode_opaque(args, NFS4_OPAQUE_LIMIT, &name, &name_len) ||
	    !xdr_decode_u32(args, &cb.program) ||
	    !decode_string_into(args, cb.netid, sizeof(cb.netid)) ||
	    !decode_string_into(args, cb.addr, sizeof(cb.addr)) || !xdr_decode_u32(args, &cb.ident))
		return NFS4ERR_BADXDR;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	uint64_t clientid;
	uint8_t confirm[NFS4_VERIFIER_SIZE];
	struct state_callback inuse;
	enum nfsstat4 s = state_setclientid(c->srv->state, &who, verifier, name, name_len, &cb,
					    &clientid, confirm, &inuse);
	if (s == NFS4_OK) {
		xdr_encode_u64(res, clientid);
		xdr_encode_opaque_fixed(res, confirm, NFS4_VERIFIER_SIZE);
	} else if (s == NFS4ERR_CLID_INUSE) {
		/* The body says where the client holding the id is. */
		xdr_encode_opaque(res, inuse.netid, (uint32_t)strlen(inuse.netid));
		xdr_encode_opaque(res, inuse.addr, (uint32_t)strlen(inuse.addr));
		c->error_body = true;
	}
	return s;
}

NFS4_STATE_OP(setclientid_confirm)
{
	uint64_t clientid;
	const uint8_t *confirm;
	if (!xdr_decode_u64(args, &clientid) ||
	    !xdr_decode_opaque_fixed(args, NFS4_VERIFIER_SIZE, &confirm))
		return NFS4ERR_BADXDR;
	struct state_principal who;
	state_principal_from_cred(&who, &c->req->cred);
	return state_setclientid_confirm(c->srv->state, &who, clientid, confirm);
}

NFS4_STATE_OP(renew)
{
	uint64_t clientid;
	if (!xdr_decode_u64(args, &clientid))
		return NFS4ERR_BADXDR;
	/* No delegations are granted, so never NFS4ERR_CB_PATH_DOWN. */
	return state_renew(c->srv->state, clientid);
}

int nfs4_cb_null_dial(const char *hostport, uint32_t prog, unsigned timeout_ms)
{
	struct rpc_client cl;
	int rc = rpc_client_connect(&cl, hostport, timeout_ms);
	if (rc) {
		rpc_client_close(&cl);
		return rc;
	}
	static const uint8_t no_args[1];
	struct buf *reply = NULL;
	struct rpc_reply_hdr hdr;
	size_t off;
	rc = rpc_client_call(&cl, prog, NFS4_CALLBACK_VERSION, 0, NULL, no_args, 0, &reply, &hdr,
			     &off, timeout_ms);
	if (rc == 0 && (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS))
		rc = -EPROTO;
	buf_unref(reply);
	rpc_client_close(&cl);
	return rc;
}
