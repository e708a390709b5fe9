/* libFuzzer target: the RPCSEC_GSS wire decoders (rpc/gss/gss_wire.h),
 * which read a call's credential and arguments and, in the initiator, the
 * server's answers before any GSS-API check.
 *
 * Byte 0 picks the decoder (modulo their number), the rest is its input.
 * Beyond "no sanitizer report": what decodes lies within the input,
 * respects the limits the header promises, and (for the credential and
 * rpc_gss_init_res, which have encoders) re-encodes into bytes that decode
 * again to the same values. */
#include "fuzz_codec.h"

#include "rpc/gss/gss_wire.h"
#include "rpc/rpc_msg.h"

static bool within(const uint8_t *p, uint32_t len, const uint8_t *in, size_t n)
{
	return len == 0 || (p >= in && p + len <= in + n);
}

static void cred(const uint8_t *in, size_t n)
{
	struct rpc_gss_cred c, again;
	if (n > UINT32_MAX || !rpc_gss_decode_cred(in, (uint32_t)n, &c))
		return;
	CHECK(c.version == RPC_GSS_VERSION);
	CHECK(c.proc <= RPC_GSS_PROC_DESTROY);
	CHECK(c.service >= RPC_GSS_SVC_NONE && c.service <= RPC_GSS_SVC_PRIVACY);
	CHECK(c.handle_len <= RPC_GSS_HANDLE_MAX && within(c.handle, c.handle_len, in, n));
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 128, 1024));
	CHECK(rpc_gss_encode_cred(&e, &c));
	/* flavor, body length, body */
	CHECK(e.buf->len >= 8 && xdr_get_be32(e.buf->data) == RPC_AUTH_GSS);
	uint32_t body = xdr_get_be32(e.buf->data + 4);
	CHECK(body == e.buf->len - 8 && body <= RPC_AUTH_MAX_BODY);
	CHECK(rpc_gss_decode_cred(e.buf->data + 8, body, &again));
	CHECK(again.proc == c.proc && again.seq == c.seq && again.service == c.service);
	CHECK(again.handle_len == c.handle_len);
	CHECK(c.handle_len == 0 || memcmp(again.handle, c.handle, c.handle_len) == 0);
	xdr_enc_release(&e);
}

static void init_res(const uint8_t *in, size_t n)
{
	struct rpc_gss_init_res r, again;
	struct xdr_dec d;
	xdr_dec_init(&d, in, n);
	if (!rpc_gss_decode_init_res(&d, &r))
		return;
	CHECK(r.handle_len <= RPC_GSS_HANDLE_MAX && within(r.handle, r.handle_len, in, n));
	CHECK(r.token_len <= RPC_GSS_TOKEN_MAX && within(r.token, r.token_len, in, n));
	size_t used = n - xdr_dec_remaining(&d);
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 256, 1u << 20));
	CHECK(rpc_gss_encode_init_res(&e, &r));
	CHECK(e.buf->len == used);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	CHECK(rpc_gss_decode_init_res(&d, &again));
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(again.major == r.major && again.minor == r.minor && again.window == r.window);
	CHECK(again.handle_len == r.handle_len && again.token_len == r.token_len);
	CHECK(r.handle_len == 0 || memcmp(again.handle, r.handle, r.handle_len) == 0);
	CHECK(r.token_len == 0 || memcmp(again.token, r.token, r.token_len) == 0);
	xdr_enc_release(&e);
}

static void init_arg(const uint8_t *in, size_t n)
{
	const uint8_t *tok;
	uint32_t len;
	struct xdr_dec d;
	xdr_dec_init(&d, in, n);
	if (!rpc_gss_decode_init_arg(&d, &tok, &len))
		return;
	CHECK(len <= RPC_GSS_TOKEN_MAX && within(tok, len, in, n));
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(4 + xdr_pad4(len) == n);
}

/* A databody's sequence number, with the first word of the body as the
 * one wanted (and its neighbour, which must not match). */
static void databody(const uint8_t *body, uint32_t len)
{
	const uint8_t *rest;
	uint32_t rlen;
	if (len < 4) {
		CHECK(!rpc_gss_databody_seq(body, len, 0, &rest, &rlen));
		return;
	}
	uint32_t seq = xdr_get_be32(body);
	CHECK(rpc_gss_databody_seq(body, len, seq, &rest, &rlen));
	CHECK(rest == body + 4 && rlen == len - 4);
	CHECK(!rpc_gss_databody_seq(body, len, seq + 1, &rest, &rlen));
}

static void integ(const uint8_t *in, size_t n)
{
	const uint8_t *body, *sum;
	uint32_t blen, slen;
	struct xdr_dec d;
	xdr_dec_init(&d, in, n);
	if (!rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen))
		return;
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(within(body, blen, in, n) && within(sum, slen, in, n));
	CHECK(slen <= RPC_AUTH_MAX_BODY);
	CHECK(8 + xdr_pad4(blen) + xdr_pad4(slen) == n);
	databody(body, blen);
}

static void priv(const uint8_t *in, size_t n)
{
	const uint8_t *tok;
	uint32_t len;
	struct xdr_dec d;
	xdr_dec_init(&d, in, n);
	if (!rpc_gss_decode_priv(&d, &tok, &len))
		return;
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(within(tok, len, in, n) && 4 + xdr_pad4(len) == n);
	databody(tok, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 6) {
	case 0:
		cred(p, n);
		break;
	case 1:
		init_res(p, n);
		break;
	case 2:
		init_arg(p, n);
		break;
	case 3:
		integ(p, n);
		break;
	case 4:
		priv(p, n);
		break;
	case 5:
		if (n <= UINT32_MAX)
			databody(p, (uint32_t)n);
		break;
	}
	return 0;
}
