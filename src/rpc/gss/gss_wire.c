#include "rpc/gss/gss_wire.h"

#include "rpc/rpc_msg.h"

bool rpc_gss_decode_cred(const uint8_t *body, uint32_t len, struct rpc_gss_cred *c)
{
	struct xdr_dec d;
	xdr_dec_init(&d, body, len);
	if (!xdr_decode_u32(&d, &c->version) || c->version != RPC_GSS_VERSION ||
	    !xdr_decode_u32(&d, &c->proc) || !xdr_decode_u32(&d, &c->seq) ||
	    !xdr_decode_u32(&d, &c->service) ||
	    !xdr_decode_opaque(&d, RPC_GSS_HANDLE_MAX, &c->handle, &c->handle_len))
		return false;
	if (c->proc > RPC_GSS_PROC_DESTROY || c->service < RPC_GSS_SVC_NONE ||
	    c->service > RPC_GSS_SVC_PRIVACY)
		return false;
	return xdr_dec_remaining(&d) == 0;
}

bool rpc_gss_encode_cred(struct xdr_enc *e, const struct rpc_gss_cred *c)
{
	uint32_t body = 4 * 4 + 4 + (uint32_t)xdr_pad4(c->handle_len);
	return xdr_encode_u32(e, RPC_AUTH_GSS) && xdr_encode_u32(e, body) &&
	       xdr_encode_u32(e, RPC_GSS_VERSION) && xdr_encode_u32(e, c->proc) &&
	       xdr_encode_u32(e, c->seq) && xdr_encode_u32(e, c->service) &&
	       xdr_encode_opaque(e, c->handle, c->handle_len);
}

bool rpc_gss_encode_init_res(struct xdr_enc *e, const struct rpc_gss_init_res *r)
{
	return xdr_encode_opaque(e, r->handle, r->handle_len) && xdr_encode_u32(e, r->major) &&
	       xdr_encode_u32(e, r->minor) && xdr_encode_u32(e, r->window) &&
	       xdr_encode_opaque(e, r->token, r->token_len);
}

bool rpc_gss_decode_init_res(struct xdr_dec *d, struct rpc_gss_init_res *r)
{
	return xdr_decode_opaque(d, RPC_GSS_HANDLE_MAX, &r->handle, &r->handle_len) &&
	       xdr_decode_u32(d, &r->major) && xdr_decode_u32(d, &r->minor) &&
	       xdr_decode_u32(d, &r->window) &&
	       xdr_decode_opaque(d, RPC_GSS_TOKEN_MAX, &r->token, &r->token_len);
}

bool rpc_gss_decode_init_arg(struct xdr_dec *d, const uint8_t **token, uint32_t *len)
{
	return xdr_decode_opaque(d, RPC_GSS_TOKEN_MAX, token, len) && xdr_dec_remaining(d) == 0;
}

bool rpc_gss_decode_integ(struct xdr_dec *d, const uint8_t **body, uint32_t *body_len,
			  const uint8_t **checksum, uint32_t *checksum_len)
{
	return xdr_decode_opaque(d, UINT32_MAX, body, body_len) &&
	       xdr_decode_opaque(d, RPC_AUTH_MAX_BODY, checksum, checksum_len) &&
	       xdr_dec_remaining(d) == 0;
}

bool rpc_gss_decode_priv(struct xdr_dec *d, const uint8_t **token, uint32_t *len)
{
	return xdr_decode_opaque(d, UINT32_MAX, token, len) && xdr_dec_remaining(d) == 0;
}

bool rpc_gss_databody_seq(const uint8_t *body, uint32_t len, uint32_t want_seq,
			  const uint8_t **rest, uint32_t *rest_len)
{
	if (len < 4 || xdr_get_be32(body) != want_seq)
		return false;
	*rest = body + 4;
	*rest_len = len - 4;
	return true;
}
