#include "rpc/gss/gss_seal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rpc/rpc_msg.h"

/* --- one context's per-message work --------------------------------------- */

int rpc_gss_sec_ready(struct rpc_gss_sec *s)
{
	if (s->fast)
		return 0;
	s->fast = gss_krb5_take(&s->ctx);
	return s->fast || s->ctx != GSS_C_NO_CONTEXT ? 0 : -EIO;
}

void rpc_gss_sec_release(struct rpc_gss_sec *s)
{
	OM_uint32 minor;
	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	s->ctx = GSS_C_NO_CONTEXT;
	gss_krb5_free(s->fast);
	s->fast = NULL;
}

int rpc_gss_sec_export(struct rpc_gss_sec *s, gss_buffer_desc *token)
{
	OM_uint32 minor;
	*token = (gss_buffer_desc)GSS_C_EMPTY_BUFFER;
	if (s->fast || s->ctx == GSS_C_NO_CONTEXT)
		return -EIO;
	/* Exporting ends the context it is given: it is made again from
	 * the token, which an import may read any number of times. */
	if (gss_export_sec_context(&minor, &s->ctx, token) != GSS_S_COMPLETE)
		return -EIO; /* the context stays as it was */
	if (gss_import_sec_context(&minor, token, &s->ctx) != GSS_S_COMPLETE) {
		s->ctx = GSS_C_NO_CONTEXT;
		OPENSSL_cleanse(token->value, token->length);
		gss_release_buffer(&minor, token);
		return -EIO;
	}
	return 0;
}

int rpc_gss_sec_import(struct rpc_gss_sec *s, const uint8_t *token, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc in = {len, (void *)token};
	s->fast = NULL;
	s->ctx = GSS_C_NO_CONTEXT;
	if (len == 0 || gss_import_sec_context(&minor, &in, &s->ctx) != GSS_S_COMPLETE) {
		s->ctx = GSS_C_NO_CONTEXT;
		return -EINVAL;
	}
	return 0;
}

/* MIT's calls take one buffer: the segments, joined when there are
 * several (*joined to free). */
static bool one_buffer(const struct iovec *iov, int niov, gss_buffer_desc *out, void **joined)
{
	*joined = NULL;
	if (niov == 1) {
		*out = (gss_buffer_desc){iov[0].iov_len, iov[0].iov_base};
		return true;
	}
	size_t len = 0;
	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return false;
	size_t at = 0;
	for (int i = 0; i < niov; i++) {
		if (iov[i].iov_len)
			memcpy(p + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	*out = (gss_buffer_desc){len, p};
	*joined = p;
	return true;
}

int rpc_gss_sec_mic(struct rpc_gss_sec *s, const struct iovec *iov, int niov, uint8_t *out,
		    size_t cap, uint32_t *len)
{
	if (s->fast) {
		size_t n = gss_krb5_mic_size(s->fast);
		if (n > cap)
			return -EMSGSIZE;
		*len = (uint32_t)n;
		return gss_krb5_get_mic(s->fast, iov, niov, out);
	}
	OM_uint32 minor;
	gss_buffer_desc in, mic = GSS_C_EMPTY_BUFFER;
	void *joined;
	if (!one_buffer(iov, niov, &in, &joined))
		return -ENOMEM;
	int rc = 0;
	if (GSS_ERROR(gss_get_mic(&minor, s->ctx, GSS_C_QOP_DEFAULT, &in, &mic)))
		rc = -EIO;
	else if (mic.length > cap)
		rc = -EMSGSIZE;
	else {
		memcpy(out, mic.value, mic.length);
		*len = (uint32_t)mic.length;
	}
	gss_release_buffer(&minor, &mic);
	free(joined);
	return rc;
}

int rpc_gss_sec_verify(struct rpc_gss_sec *s, const struct iovec *iov, int niov,
		       const uint8_t *tok, size_t len)
{
	if (s->fast)
		return gss_krb5_verify_mic(s->fast, iov, niov, tok, len) ? -EACCES : 0;
	OM_uint32 minor;
	gss_buffer_desc in, t = {len, (void *)tok};
	void *joined;
	if (!one_buffer(iov, niov, &in, &joined))
		return -ENOMEM;
	OM_uint32 major = gss_verify_mic(&minor, s->ctx, &in, &t, NULL);
	free(joined);
	if (major == GSS_S_CONTEXT_EXPIRED)
		return -EKEYEXPIRED;
	return GSS_ERROR(major) ? -EACCES : 0;
}

int rpc_gss_sec_wrap(struct rpc_gss_sec *s, const struct iovec *iov, int niov, struct xdr_enc *e)
{
	if (s->fast) {
		size_t plain = 0;
		for (int i = 0; i < niov; i++)
			plain += iov[i].iov_len;
		size_t n = gss_krb5_wrap_size(s->fast, plain);
		if (n > UINT32_MAX - 4)
			return -EMSGSIZE;
		/* Written in place: the length, the token, the padding. */
		uint8_t *p = xdr_enc_reserve(e, 4 + xdr_pad4(n));
		if (!p)
			return -EMSGSIZE;
		xdr_put_be32(p, (uint32_t)n);
		memset(p + 4 + n, 0, xdr_pad4(n) - n);
		return gss_krb5_wrap(s->fast, iov, niov, p + 4);
	}
	OM_uint32 minor;
	gss_buffer_desc in, tok = GSS_C_EMPTY_BUFFER;
	void *joined;
	if (!one_buffer(iov, niov, &in, &joined))
		return -ENOMEM;
	int conf = 0, rc = 0;
	if (GSS_ERROR(gss_wrap(&minor, s->ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok)) || !conf)
		rc = -EIO;
	else if (tok.length > UINT32_MAX || !xdr_encode_opaque(e, tok.value, (uint32_t)tok.length))
		rc = -EMSGSIZE;
	gss_release_buffer(&minor, &tok);
	free(joined);
	return rc;
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

int rpc_gss_sec_unwrap(struct rpc_gss_sec *s, const uint8_t *tok, size_t len, struct buf **out,
		       size_t *off, size_t *plain_len)
{
	*out = NULL;
	if (s->fast) {
		struct buf *b = buf_new(len ? len : 1);
		if (!b)
			return -ENOMEM;
		int rc = gss_krb5_unwrap(s->fast, tok, len, b->data, off, plain_len);
		if (rc) {
			buf_unref(b);
			return rc == -EIO ? -EIO : -EACCES;
		}
		b->len = *off + *plain_len;
		*out = b;
		return 0;
	}
	OM_uint32 minor;
	gss_buffer_desc in = {len, (void *)tok}, plain = GSS_C_EMPTY_BUFFER;
	int conf = 0, rc = 0;
	if (GSS_ERROR(gss_unwrap(&minor, s->ctx, &in, &plain, &conf, NULL)) || !conf)
		rc = -EACCES;
	else if (!(*out = buf_of(plain.value, plain.length)))
		rc = -ENOMEM;
	else {
		*off = 0;
		*plain_len = plain.length;
	}
	gss_release_buffer(&minor, &plain);
	return rc;
}

size_t rpc_gss_sec_wrap_overhead(struct rpc_gss_sec *s)
{
	if (s->fast)
		return gss_krb5_wrap_size(s->fast, 0);
	OM_uint32 max_in = 0, minor;
	if (gss_wrap_size_limit(&minor, s->ctx, 1, GSS_C_QOP_DEFAULT, 65536, &max_in) ==
		    GSS_S_COMPLETE &&
	    max_in <= 65536)
		return 65536 - max_in;
	return 128;
}

/* --- one RPCSEC_GSS call --------------------------------------------------- */

int rpc_gss_seal_verifier(struct rpc_gss_sec *s, struct xdr_enc *e, const uint8_t *hdr,
			  size_t len)
{
	uint8_t mic[RPC_AUTH_MAX_BODY];
	uint32_t mic_len = 0;
	struct iovec iov = {(void *)hdr, len};
	int rc = rpc_gss_sec_mic(s, &iov, 1, mic, sizeof(mic), &mic_len);
	if (rc)
		return rc;
	return xdr_encode_u32(e, RPC_AUTH_GSS) && xdr_encode_opaque(e, mic, mic_len) ? 0
										     : -EMSGSIZE;
}

int rpc_gss_seal_args(struct rpc_gss_sec *s, struct xdr_enc *e, uint32_t seq, uint32_t service,
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
	uint8_t seq_xdr[4];
	xdr_put_be32(seq_xdr, seq);
	struct iovec body[2] = {{seq_xdr, 4}, {(void *)args, args_len}};
	if (service == RPC_GSS_SVC_PRIVACY)
		return rpc_gss_sec_wrap(s, body, 2, e);
	uint8_t mic[RPC_AUTH_MAX_BODY];
	uint32_t mic_len = 0;
	int rc = rpc_gss_sec_mic(s, body, 2, mic, sizeof(mic), &mic_len);
	if (rc)
		return rc;
	/* The body as one opaque: its padding is the arguments' own. */
	if (!xdr_encode_u32(e, (uint32_t)(4 + args_len)) ||
	    !xdr_encode_opaque_fixed(e, seq_xdr, 4) ||
	    (args_len && !xdr_encode_opaque_fixed(e, args, args_len)) ||
	    !xdr_encode_u32(e, mic_len))
		return -EMSGSIZE;
	if (checksum_at)
		*checksum_at = xdr_enc_len(e);
	return xdr_encode_opaque_fixed(e, mic, mic_len) ? 0 : -EMSGSIZE;
}

int rpc_gss_check_verifier(struct rpc_gss_sec *s, uint32_t flavor, const uint8_t *verf,
			   uint32_t verf_len, uint32_t seq)
{
	if (flavor != RPC_AUTH_GSS)
		return -EACCES;
	uint8_t be[4];
	xdr_put_be32(be, seq);
	struct iovec iov = {be, 4};
	return rpc_gss_sec_verify(s, &iov, 1, verf, verf_len) ? -EACCES : 0;
}

int rpc_gss_open_results_view(struct rpc_gss_sec *s, uint32_t seq, uint32_t service,
			      const uint8_t *res, size_t len, const uint8_t **plain,
			      size_t *plain_len, struct buf **owned)
{
	*owned = NULL;
	const uint8_t *rest;
	uint32_t rest_len;
	struct xdr_dec d;
	xdr_dec_init(&d, res, len);
	if (service == RPC_GSS_SVC_NONE) {
		*plain = res;
		*plain_len = len;
		return 0;
	}
	if (service == RPC_GSS_SVC_INTEGRITY) {
		const uint8_t *body, *mic;
		uint32_t body_len, mic_len;
		if (!rpc_gss_decode_integ(&d, &body, &body_len, &mic, &mic_len))
			return -EBADMSG;
		struct iovec iov = {(void *)body, body_len};
		if (rpc_gss_sec_verify(s, &iov, 1, mic, mic_len) ||
		    !rpc_gss_databody_seq(body, body_len, seq, &rest, &rest_len))
			return -EACCES;
		*plain = rest;
		*plain_len = rest_len;
		return 0;
	}
	if (service != RPC_GSS_SVC_PRIVACY)
		return -EINVAL;
	const uint8_t *tok;
	uint32_t tok_len;
	if (!rpc_gss_decode_priv(&d, &tok, &tok_len))
		return -EBADMSG;
	struct buf *b;
	size_t off, n;
	int rc = rpc_gss_sec_unwrap(s, tok, tok_len, &b, &off, &n);
	if (rc)
		return rc;
	if (n > UINT32_MAX ||
	    !rpc_gss_databody_seq(b->data + off, (uint32_t)n, seq, &rest, &rest_len)) {
		buf_unref(b);
		return -EACCES;
	}
	*plain = rest;
	*plain_len = rest_len;
	*owned = b;
	return 0;
}

int rpc_gss_open_results(struct rpc_gss_sec *s, uint32_t seq, uint32_t service,
			 const uint8_t *res, size_t len, struct buf **plain)
{
	const uint8_t *p;
	size_t n;
	struct buf *owned;
	*plain = NULL;
	int rc = rpc_gss_open_results_view(s, seq, service, res, len, &p, &n, &owned);
	if (rc)
		return rc;
	if (owned) {
		/* Moved to the start of the buffer they were decrypted into. */
		memmove(owned->data, p, n);
		owned->len = n;
		*plain = owned;
		return 0;
	}
	*plain = buf_of(p, n);
	return *plain ? 0 : -ENOMEM;
}
