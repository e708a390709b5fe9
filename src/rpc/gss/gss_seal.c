#include "rpc/gss/gss_seal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_msg.h"

int rpc_gss_seal_verifier(gss_ctx_id_t ctx, struct xdr_enc *e, const uint8_t *hdr, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc in = {len, (void *)hdr}, mic = GSS_C_EMPTY_BUFFER;
	if (GSS_ERROR(gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &in, &mic)))
		return -EIO;
	int rc = 0;
	if (mic.length > RPC_AUTH_MAX_BODY)
		rc = -EMSGSIZE;
	else if (!xdr_encode_u32(e, RPC_AUTH_GSS) ||
		 !xdr_encode_opaque(e, mic.value, (uint32_t)mic.length))
		rc = -EMSGSIZE;
	gss_release_buffer(&minor, &mic);
	return rc;
}

int rpc_gss_seal_args(gss_ctx_id_t ctx, struct xdr_enc *e, uint32_t seq, uint32_t service,
		      const void *args, size_t args_len, size_t *checksum_at)
{
	if (checksum_at)
		*checksum_at = 0;
	if (service == RPC_GSS_SVC_NONE)
		return args_len == 0 || xdr_encode_opaque_fixed(e, args, args_len) ? 0 : -EMSGSIZE;
	if (service != RPC_GSS_SVC_INTEGRITY && service != RPC_GSS_SVC_PRIVACY)
		return -EINVAL;
	if (args_len > UINT32_MAX - 4)
		return -EMSGSIZE;
	/* The body: the sequence number, then the arguments. */
	uint8_t *body = malloc(4 + args_len);
	if (!body)
		return -ENOMEM;
	xdr_put_be32(body, seq);
	if (args_len)
		memcpy(body + 4, args, args_len);
	OM_uint32 major, minor;
	gss_buffer_desc in = {4 + args_len, body}, tok = GSS_C_EMPTY_BUFFER;
	int rc = 0, conf = 0;
	if (service == RPC_GSS_SVC_INTEGRITY) {
		major = gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &in, &tok);
		if (GSS_ERROR(major))
			rc = -EIO;
		else if (!xdr_encode_opaque(e, body, (uint32_t)in.length) ||
			 !xdr_encode_u32(e, (uint32_t)tok.length))
			rc = -EMSGSIZE;
		else {
			if (checksum_at)
				*checksum_at = xdr_enc_len(e);
			if (!xdr_encode_opaque_fixed(e, tok.value, tok.length))
				rc = -EMSGSIZE;
		}
	} else {
		major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok);
		if (GSS_ERROR(major) || !conf)
			rc = -EIO;
		else if (tok.length > UINT32_MAX ||
			 !xdr_encode_opaque(e, tok.value, (uint32_t)tok.length))
			rc = -EMSGSIZE;
	}
	gss_release_buffer(&minor, &tok);
	free(body);
	return rc;
}

int rpc_gss_check_verifier(gss_ctx_id_t ctx, uint32_t flavor, const uint8_t *verf,
			   uint32_t verf_len, uint32_t seq)
{
	if (flavor != RPC_AUTH_GSS)
		return -EACCES;
	uint8_t be[4];
	xdr_put_be32(be, seq);
	OM_uint32 minor;
	gss_buffer_desc msg = {4, be}, tok = {verf_len, (void *)verf};
	return GSS_ERROR(gss_verify_mic(&minor, ctx, &msg, &tok, NULL)) ? -EACCES : 0;
}

static struct buf *buf_of(const void *p, size_t n)
{
	struct buf *b = buf_new(n ? n : 1);
	if (b) {
		if (n)
			memcpy(b->data, p, n);
		b->len = n;
	}
	return b;
}

int rpc_gss_open_results(gss_ctx_id_t ctx, uint32_t seq, uint32_t service, const uint8_t *res,
			 size_t len, struct buf **plain)
{
	*plain = NULL;
	const uint8_t *rest;
	uint32_t rest_len;
	struct xdr_dec d;
	xdr_dec_init(&d, res, len);
	if (service == RPC_GSS_SVC_NONE) {
		*plain = buf_of(res, len);
		return *plain ? 0 : -ENOMEM;
	}
	OM_uint32 minor;
	if (service == RPC_GSS_SVC_INTEGRITY) {
		const uint8_t *body, *mic;
		uint32_t body_len, mic_len;
		if (!rpc_gss_decode_integ(&d, &body, &body_len, &mic, &mic_len))
			return -EBADMSG;
		gss_buffer_desc msg = {body_len, (void *)body}, tok = {mic_len, (void *)mic};
		if (GSS_ERROR(gss_verify_mic(&minor, ctx, &msg, &tok, NULL)))
			return -EACCES;
		if (!rpc_gss_databody_seq(body, body_len, seq, &rest, &rest_len))
			return -EACCES;
		*plain = buf_of(rest, rest_len);
		return *plain ? 0 : -ENOMEM;
	}
	if (service != RPC_GSS_SVC_PRIVACY)
		return -EINVAL;
	const uint8_t *tok;
	uint32_t tok_len;
	if (!rpc_gss_decode_priv(&d, &tok, &tok_len))
		return -EBADMSG;
	gss_buffer_desc in = {tok_len, (void *)tok}, out = GSS_C_EMPTY_BUFFER;
	int conf = 0, rc = 0;
	if (GSS_ERROR(gss_unwrap(&minor, ctx, &in, &out, &conf, NULL)) || !conf)
		rc = -EACCES;
	else if (out.length > UINT32_MAX ||
		 !rpc_gss_databody_seq(out.value, (uint32_t)out.length, seq, &rest, &rest_len))
		rc = -EACCES;
	else if (!(*plain = buf_of(rest, rest_len)))
		rc = -ENOMEM;
	gss_release_buffer(&minor, &out);
	return rc;
}
