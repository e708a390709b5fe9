#include "rpc/rpc_msg.h"

#include <string.h>

bool rpc_decode_msg_start(struct xdr_dec *d, uint32_t *xid, uint32_t *msg_type)
{
	return xdr_decode_u32(d, xid) && xdr_decode_u32(d, msg_type);
}

static bool decode_opaque_auth(struct xdr_dec *d, uint32_t *flavor, const uint8_t **body,
			       uint32_t *len)
{
	return xdr_decode_u32(d, flavor) && xdr_decode_opaque(d, RPC_AUTH_MAX_BODY, body, len);
}

bool rpc_decode_auth_sys(const uint8_t *body, uint32_t len, struct rpc_cred *cred)
{
	struct xdr_dec d;
	const uint8_t *name;
	uint32_t namelen;

	xdr_dec_init(&d, body, len);
	if (!xdr_decode_u32(&d, &cred->stamp) ||
	    !xdr_decode_opaque(&d, RPC_AUTH_SYS_MAX_MACHINENAME, &name, &namelen) ||
	    !xdr_decode_u32(&d, &cred->uid) || !xdr_decode_u32(&d, &cred->gid) ||
	    !xdr_decode_u32(&d, &cred->ngids) || cred->ngids > RPC_AUTH_SYS_MAX_GIDS)
		return false;
	for (uint32_t i = 0; i < cred->ngids; i++)
		if (!xdr_decode_u32(&d, &cred->gids[i]))
			return false;
	/* The body length must match the structure exactly. */
	if (xdr_dec_remaining(&d) != 0)
		return false;
	memcpy(cred->machinename, name, namelen);
	cred->machinename[namelen] = '\0';
	cred->flavor = RPC_AUTH_SYS;
	return true;
}

enum rpc_call_decode rpc_decode_call(struct xdr_dec *d, struct rpc_call_hdr *hdr,
				     struct rpc_cred *cred, enum rpc_auth_stat *auth_stat)
{
	if (!xdr_decode_u32(d, &hdr->rpcvers))
		return RPC_CALL_GARBAGE;
	/* RFC 5531: any other RPC version is rejected before looking further. */
	if (hdr->rpcvers != RPC_VERSION)
		return RPC_CALL_BAD_RPCVERS;
	if (!xdr_decode_u32(d, &hdr->prog) || !xdr_decode_u32(d, &hdr->vers) ||
	    !xdr_decode_u32(d, &hdr->proc))
		return RPC_CALL_GARBAGE;
	if (!decode_opaque_auth(d, &hdr->cred_flavor, &hdr->cred_body, &hdr->cred_len)) {
		*auth_stat = RPC_AUTH_BADCRED;
		return RPC_CALL_AUTH_ERROR;
	}
	if (!decode_opaque_auth(d, &hdr->verf_flavor, &hdr->verf_body, &hdr->verf_len)) {
		*auth_stat = RPC_AUTH_BADVERF;
		return RPC_CALL_AUTH_ERROR;
	}
	/* Each field a reader may look at, not the whole struct: the
	 * machine name's buffer is 256 bytes, and this runs for every call. */
	cred->flavor = hdr->cred_flavor;
	cred->gss_service = 0;
	cred->stamp = cred->uid = cred->gid = cred->ngids = 0;
	cred->machinename[0] = '\0';
	cred->principal = NULL;
	switch (hdr->cred_flavor) {
	case RPC_AUTH_NONE:
	case RPC_AUTH_TLS:
		/* Both have an empty body.  AUTH_TLS (RFC 9289 4.1): the
		 * dispatcher answers the probe (a NULL call) and refuses it on
		 * any other. */
		if (hdr->cred_len != 0) {
			*auth_stat = RPC_AUTH_BADCRED;
			return RPC_CALL_AUTH_ERROR;
		}
		/* An anonymous caller maps to nobody; the export decides further. */
		cred->uid = cred->gid = 65534;
		break;
	case RPC_AUTH_SYS:
		if (!rpc_decode_auth_sys(hdr->cred_body, hdr->cred_len, cred)) {
			*auth_stat = RPC_AUTH_BADCRED;
			return RPC_CALL_AUTH_ERROR;
		}
		break;
	case RPC_AUTH_GSS:
		/* The credential and the verifier are RPCSEC_GSS's to check
		 * (rpc/gss/gss_server.h), with the context they name. */
		cred->flavor = RPC_AUTH_GSS;
		return RPC_CALL_OK;
	default:
		/* The obsolete flavors (AUTH_SHORT, AUTH_DH) are not served. */
		*auth_stat = RPC_AUTH_BADCRED;
		return RPC_CALL_AUTH_ERROR;
	}
	/* AUTH_NONE, AUTH_SYS and AUTH_TLS take a null verifier. */
	if (hdr->verf_flavor != RPC_AUTH_NONE || hdr->verf_len != 0) {
		*auth_stat = RPC_AUTH_BADVERF;
		return RPC_CALL_AUTH_ERROR;
	}
	return RPC_CALL_OK;
}

bool rpc_encode_auth_sys(struct xdr_enc *e, const struct rpc_cred *cred)
{
	size_t namelen = strnlen(cred->machinename, RPC_AUTH_SYS_MAX_MACHINENAME);
	uint32_t ngids = cred->ngids > RPC_AUTH_SYS_MAX_GIDS ? RPC_AUTH_SYS_MAX_GIDS : cred->ngids;
	uint32_t body = (uint32_t)(4 + 4 + xdr_pad4(namelen) + 4 + 4 + 4 + 4 * ngids);
	bool ok = xdr_encode_u32(e, RPC_AUTH_SYS) && xdr_encode_u32(e, body) &&
		  xdr_encode_u32(e, cred->stamp) &&
		  xdr_encode_opaque(e, cred->machinename, (uint32_t)namelen) &&
		  xdr_encode_u32(e, cred->uid) && xdr_encode_u32(e, cred->gid) &&
		  xdr_encode_u32(e, ngids);
	for (uint32_t i = 0; ok && i < ngids; i++)
		ok = xdr_encode_u32(e, cred->gids[i]);
	return ok;
}

static bool encode_null_auth(struct xdr_enc *e)
{
	return xdr_encode_u32(e, RPC_AUTH_NONE) && xdr_encode_u32(e, 0);
}

bool rpc_encode_accepted_verf(struct xdr_enc *e, uint32_t xid, enum rpc_accept_stat stat,
			      uint32_t verf_flavor, const void *verf, uint32_t verf_len)
{
	return xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_REPLY) &&
	       xdr_encode_u32(e, RPC_MSG_ACCEPTED) && xdr_encode_u32(e, verf_flavor) &&
	       xdr_encode_opaque(e, verf, verf_len) && xdr_encode_u32(e, stat);
}

bool rpc_encode_accepted(struct xdr_enc *e, uint32_t xid, enum rpc_accept_stat stat)
{
	return rpc_encode_accepted_verf(e, xid, stat, RPC_AUTH_NONE, NULL, 0);
}

bool rpc_encode_prog_mismatch(struct xdr_enc *e, uint32_t xid, uint32_t low, uint32_t high)
{
	return rpc_encode_accepted(e, xid, RPC_PROG_MISMATCH) && xdr_encode_u32(e, low) &&
	       xdr_encode_u32(e, high);
}

bool rpc_encode_rpc_mismatch(struct xdr_enc *e, uint32_t xid)
{
	return xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_REPLY) &&
	       xdr_encode_u32(e, RPC_MSG_DENIED) && xdr_encode_u32(e, RPC_MISMATCH) &&
	       xdr_encode_u32(e, RPC_VERSION) && xdr_encode_u32(e, RPC_VERSION);
}

bool rpc_encode_auth_error(struct xdr_enc *e, uint32_t xid, enum rpc_auth_stat stat)
{
	return xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_REPLY) &&
	       xdr_encode_u32(e, RPC_MSG_DENIED) && xdr_encode_u32(e, RPC_AUTH_ERROR) &&
	       xdr_encode_u32(e, stat);
}

bool rpc_encode_call(struct xdr_enc *e, uint32_t xid, uint32_t prog, uint32_t vers,
		     uint32_t proc, const struct rpc_cred *cred)
{
	bool ok = xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_CALL) &&
		  xdr_encode_u32(e, RPC_VERSION) && xdr_encode_u32(e, prog) &&
		  xdr_encode_u32(e, vers) && xdr_encode_u32(e, proc);
	if (!ok)
		return false;
	if (cred && cred->flavor == RPC_AUTH_SYS)
		ok = rpc_encode_auth_sys(e, cred);
	else if (cred && cred->flavor == RPC_AUTH_TLS)
		ok = xdr_encode_u32(e, RPC_AUTH_TLS) && xdr_encode_u32(e, 0);
	else
		ok = encode_null_auth(e);
	return ok && encode_null_auth(e);
}

bool rpc_decode_reply(struct xdr_dec *d, struct rpc_reply_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (!xdr_decode_u32(d, &hdr->reply_stat))
		return false;
	if (hdr->reply_stat == RPC_MSG_ACCEPTED) {
		if (!decode_opaque_auth(d, &hdr->verf_flavor, &hdr->verf, &hdr->verf_len) ||
		    !xdr_decode_u32(d, &hdr->accept_stat))
			return false;
		if (hdr->accept_stat == RPC_PROG_MISMATCH)
			return xdr_decode_u32(d, &hdr->mismatch_low) &&
			       xdr_decode_u32(d, &hdr->mismatch_high);
		return true;
	}
	if (hdr->reply_stat != RPC_MSG_DENIED || !xdr_decode_u32(d, &hdr->reject_stat))
		return false;
	if (hdr->reject_stat == RPC_MISMATCH)
		return xdr_decode_u32(d, &hdr->mismatch_low) && xdr_decode_u32(d, &hdr->mismatch_high);
	if (hdr->reject_stat == RPC_AUTH_ERROR)
		return xdr_decode_u32(d, &hdr->auth_stat);
	return false;
}
