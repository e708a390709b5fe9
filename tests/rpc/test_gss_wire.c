/* The RPCSEC_GSS wire form (rpc/gss/gss_wire.h): the credential, the
 * context-creation arguments and results, and the integrity and privacy
 * wrappings, encoded and decoded back, and every malformed input refused:
 * cut short anywhere, a wrong version, unknown procedures and services, an
 * overlong handle, trailing bytes, lengths past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rpc/gss/gss_wire.h"
#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

static void enc_init(struct xdr_enc *e)
{
	assert_true(xdr_enc_init(e, 256, 1u << 20));
}

/* --- the credential ------------------------------------------------------------------- */

/* A credential body written field by field (not by the encoder under
 * test): version, proc, seq, service, then the handle as opaque with
 * length hlen_wire (which may lie), hlen real bytes, then trailing zero
 * bytes. */
static void raw_cred(struct xdr_enc *e, uint32_t version, uint32_t proc, uint32_t seq,
		     uint32_t service, uint32_t hlen_wire, uint32_t hlen, uint32_t trailing)
{
	enc_init(e);
	assert_true(xdr_encode_u32(e, version) && xdr_encode_u32(e, proc) &&
		    xdr_encode_u32(e, seq) && xdr_encode_u32(e, service) &&
		    xdr_encode_u32(e, hlen_wire));
	uint8_t *p = xdr_enc_reserve(e, xdr_pad4(hlen) + trailing);
	assert_non_null(p);
	for (uint32_t i = 0; i < hlen; i++)
		p[i] = (uint8_t)(0xa0 + i);
	memset(p + hlen, 0, xdr_pad4(hlen) - hlen + trailing);
}

static bool decodes(const struct xdr_enc *e, struct rpc_gss_cred *c)
{
	return rpc_gss_decode_cred(e->buf->data, (uint32_t)e->buf->len, c);
}

static void test_cred_round_trip(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 1, 3, 4, 5, 16, 63, RPC_GSS_HANDLE_MAX};
	uint8_t handle[RPC_GSS_HANDLE_MAX];
	for (unsigned i = 0; i < sizeof(handle); i++)
		handle[i] = (uint8_t)(i * 7 + 1);
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		for (uint32_t proc = RPC_GSS_PROC_DATA; proc <= RPC_GSS_PROC_DESTROY; proc++)
			for (uint32_t svc = RPC_GSS_SVC_NONE; svc <= RPC_GSS_SVC_PRIVACY; svc++) {
				struct rpc_gss_cred in = {.version = RPC_GSS_VERSION,
							  .proc = proc,
							  .seq = 0x7ffffff0u + svc,
							  .service = svc,
							  .handle = handle,
							  .handle_len = lens[k]};
				struct xdr_enc e;
				enc_init(&e);
				assert_true(rpc_gss_encode_cred(&e, &in));
				/* An opaque_auth: flavor, body length, body. */
				const uint8_t *p = e.buf->data;
				assert_int_equal(xdr_get_be32(p), RPC_AUTH_GSS);
				uint32_t body = xdr_get_be32(p + 4);
				assert_int_equal(body, 20 + xdr_pad4(lens[k]));
				assert_int_equal(e.buf->len, 8 + body);
				assert_true(body <= RPC_AUTH_MAX_BODY);
				struct rpc_gss_cred out;
				memset(&out, 0xff, sizeof(out));
				assert_true(rpc_gss_decode_cred(p + 8, body, &out));
				assert_int_equal(out.version, RPC_GSS_VERSION);
				assert_int_equal(out.proc, proc);
				assert_int_equal(out.seq, in.seq);
				assert_int_equal(out.service, svc);
				assert_int_equal(out.handle_len, lens[k]);
				if (lens[k])
					assert_memory_equal(out.handle, handle, lens[k]);
				/* The padding is zero. */
				for (uint32_t b = lens[k]; b < xdr_pad4(lens[k]); b++)
					assert_int_equal(p[8 + 20 + b], 0);
				xdr_enc_release(&e);
			}
}

static void test_cred_malformed(void **state)
{
	(void)state;
	struct xdr_enc e;
	struct rpc_gss_cred c;

	/* The good one, then each field spoiled. */
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_INTEGRITY, 16, 16, 0);
	assert_true(decodes(&e, &c));
	/* Cut short at every length. */
	for (size_t n = 0; n < e.buf->len; n++)
		assert_false(rpc_gss_decode_cred(e.buf->data, (uint32_t)n, &c));
	xdr_enc_release(&e);

	raw_cred(&e, 0, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 2, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_DESTROY + 1, 5, RPC_GSS_SVC_NONE, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, 0xffffffffu, 5, RPC_GSS_SVC_NONE, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, 0, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_PRIVACY + 1, 4, 4, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	/* A handle longer than the maximum, though all there. */
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, RPC_GSS_HANDLE_MAX + 1,
		 RPC_GSS_HANDLE_MAX + 1, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	/* A handle length past the end. */
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 20, 16, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 0xfffffffcu, 16, 0);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	/* Trailing bytes, a word or a few. */
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 16, 16, 4);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_DATA, 5, RPC_GSS_SVC_NONE, 16, 16, 1);
	assert_false(decodes(&e, &c));
	xdr_enc_release(&e);
	/* Every procedure and service at its edges is fine. */
	raw_cred(&e, 1, RPC_GSS_PROC_DESTROY, 0, RPC_GSS_SVC_PRIVACY, 0, 0, 0);
	assert_true(decodes(&e, &c));
	assert_int_equal(c.handle_len, 0);
	xdr_enc_release(&e);
	raw_cred(&e, 1, RPC_GSS_PROC_INIT, 0xffffffffu, RPC_GSS_SVC_NONE, RPC_GSS_HANDLE_MAX,
		 RPC_GSS_HANDLE_MAX, 0);
	assert_true(decodes(&e, &c));
	assert_int_equal(c.seq, 0xffffffffu);
	xdr_enc_release(&e);
}

/* --- rpc_gss_init_res and rpc_gss_init_arg ------------------------------------------------ */

static void test_init_res_round_trip(void **state)
{
	(void)state;
	uint8_t handle[16], *token = malloc(1000);
	assert_non_null(token);
	memcpy(handle, "0123456789abcdef", 16);
	for (int i = 0; i < 1000; i++)
		token[i] = (uint8_t)i;
	static const uint32_t toklens[] = {0, 1, 2, 3, 4, 5, 999, 1000};
	for (unsigned k = 0; k < sizeof(toklens) / sizeof(toklens[0]); k++) {
		struct rpc_gss_init_res in = {.handle = handle,
					      .handle_len = 16,
					      .major = 1u << 16,
					      .minor = 0x96c73a8au,
					      .window = 128,
					      .token = token,
					      .token_len = toklens[k]};
		struct xdr_enc e;
		enc_init(&e);
		assert_true(rpc_gss_encode_init_res(&e, &in));
		assert_int_equal(e.buf->len, 4 + 16 + 12 + 4 + xdr_pad4(toklens[k]));
		struct rpc_gss_init_res out;
		struct xdr_dec d;
		xdr_dec_init(&d, e.buf->data, e.buf->len);
		assert_true(rpc_gss_decode_init_res(&d, &out));
		assert_int_equal(xdr_dec_remaining(&d), 0);
		assert_int_equal(out.handle_len, 16);
		assert_memory_equal(out.handle, handle, 16);
		assert_int_equal(out.major, in.major);
		assert_int_equal(out.minor, in.minor);
		assert_int_equal(out.window, 128);
		assert_int_equal(out.token_len, toklens[k]);
		if (toklens[k])
			assert_memory_equal(out.token, token, toklens[k]);
		/* Cut short anywhere. */
		for (size_t n = 0; n < e.buf->len; n++) {
			xdr_dec_init(&d, e.buf->data, n);
			assert_false(rpc_gss_decode_init_res(&d, &out));
		}
		xdr_enc_release(&e);
	}
	/* An empty result (a failed acceptor's: no handle, no token). */
	struct rpc_gss_init_res none = {.major = 0xd0000u};
	struct xdr_enc e;
	enc_init(&e);
	assert_true(rpc_gss_encode_init_res(&e, &none));
	assert_int_equal(e.buf->len, 20);
	struct rpc_gss_init_res out;
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_init_res(&d, &out));
	assert_int_equal(out.handle_len, 0);
	assert_int_equal(out.token_len, 0);
	assert_int_equal(out.major, 0xd0000u);
	xdr_enc_release(&e);
	free(token);
}

static void test_init_res_malformed(void **state)
{
	(void)state;
	struct xdr_enc e;
	struct xdr_dec d;
	struct rpc_gss_init_res out;
	/* A handle past RPC_GSS_HANDLE_MAX. */
	uint8_t big[RPC_GSS_HANDLE_MAX + 1];
	memset(big, 1, sizeof(big));
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, big, sizeof(big)) && xdr_encode_u32(&e, 0) &&
		    xdr_encode_u32(&e, 0) && xdr_encode_u32(&e, 128) && xdr_encode_u32(&e, 0));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_init_res(&d, &out));
	xdr_enc_release(&e);
	/* A token length past the end. */
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, big, 16) && xdr_encode_u32(&e, 0) &&
		    xdr_encode_u32(&e, 0) && xdr_encode_u32(&e, 128) && xdr_encode_u32(&e, 8) &&
		    xdr_encode_u32(&e, 0));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_init_res(&d, &out));
	xdr_enc_release(&e);
	/* A token longer than RPC_GSS_TOKEN_MAX, though all there. */
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, big, 16) && xdr_encode_u32(&e, 0) &&
		    xdr_encode_u32(&e, 0) && xdr_encode_u32(&e, 128));
	uint8_t *tok = calloc(1, RPC_GSS_TOKEN_MAX + 4);
	assert_non_null(tok);
	assert_true(xdr_encode_opaque(&e, tok, RPC_GSS_TOKEN_MAX + 1));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_init_res(&d, &out));
	xdr_enc_release(&e);
	/* ... and one of exactly the maximum is fine. */
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, big, 16) && xdr_encode_u32(&e, 0) &&
		    xdr_encode_u32(&e, 0) && xdr_encode_u32(&e, 128));
	assert_true(xdr_encode_opaque(&e, tok, RPC_GSS_TOKEN_MAX));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_init_res(&d, &out));
	assert_int_equal(out.token_len, RPC_GSS_TOKEN_MAX);
	xdr_enc_release(&e);
	free(tok);
}

static void test_init_arg(void **state)
{
	(void)state;
	struct xdr_enc e;
	struct xdr_dec d;
	const uint8_t *tok;
	uint32_t len;
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, "an AP-REQ", 9));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_init_arg(&d, &tok, &len));
	assert_int_equal(len, 9);
	assert_memory_equal(tok, "an AP-REQ", 9);
	for (size_t n = 0; n < e.buf->len; n++) {
		xdr_dec_init(&d, e.buf->data, n);
		assert_false(rpc_gss_decode_init_arg(&d, &tok, &len));
	}
	/* Trailing bytes. */
	assert_true(xdr_encode_u32(&e, 0));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_init_arg(&d, &tok, &len));
	xdr_enc_release(&e);
	/* An empty token is well formed (the acceptor refuses it). */
	enc_init(&e);
	assert_true(xdr_encode_u32(&e, 0));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_init_arg(&d, &tok, &len));
	assert_int_equal(len, 0);
	xdr_enc_release(&e);
	/* Past RPC_GSS_TOKEN_MAX. */
	enc_init(&e);
	uint8_t *big = calloc(1, RPC_GSS_TOKEN_MAX + 4);
	assert_non_null(big);
	assert_true(xdr_encode_opaque(&e, big, RPC_GSS_TOKEN_MAX + 1));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_init_arg(&d, &tok, &len));
	xdr_enc_release(&e);
	free(big);
}

/* --- the integrity and privacy wrappings ------------------------------------------------ */

/* rpc_gss_integ_data of seq + payload with a checksum of sumlen bytes. */
static void integ(struct xdr_enc *e, uint32_t seq, const char *payload, uint32_t sumlen)
{
	enc_init(e);
	size_t n = strlen(payload);
	uint8_t *body = malloc(4 + n);
	assert_non_null(body);
	xdr_put_be32(body, seq);
	memcpy(body + 4, payload, n);
	assert_true(xdr_encode_opaque(e, body, (uint32_t)(4 + n)));
	uint8_t *sum = malloc(sumlen + 1);
	assert_non_null(sum);
	memset(sum, 0x5a, sumlen);
	assert_true(xdr_encode_opaque(e, sum, sumlen));
	free(sum);
	free(body);
}

static void test_integ(void **state)
{
	(void)state;
	struct xdr_enc e;
	struct xdr_dec d;
	const uint8_t *body, *sum, *rest;
	uint32_t blen, slen, rlen;
	integ(&e, 42, "results!", 28);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	assert_int_equal(blen, 12);
	assert_int_equal(slen, 28);
	assert_int_equal(sum[0], 0x5a);
	assert_true(rpc_gss_databody_seq(body, blen, 42, &rest, &rlen));
	assert_int_equal(rlen, 8);
	assert_memory_equal(rest, "results!", 8);
	assert_false(rpc_gss_databody_seq(body, blen, 43, &rest, &rlen));
	/* Cut short anywhere. */
	for (size_t n = 0; n < e.buf->len; n++) {
		xdr_dec_init(&d, e.buf->data, n);
		assert_false(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	}
	/* Trailing bytes. */
	assert_true(xdr_encode_u32(&e, 0));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	xdr_enc_release(&e);
	/* The body's length past the end. */
	integ(&e, 42, "results!", 28);
	xdr_put_be32(e.buf->data, (uint32_t)e.buf->len);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	xdr_put_be32(e.buf->data, 0xfffffff0u);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	xdr_enc_release(&e);
	/* A checksum past the limit of an opaque_auth body. */
	integ(&e, 42, "results!", RPC_AUTH_MAX_BODY + 1);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	xdr_enc_release(&e);
	integ(&e, 42, "results!", RPC_AUTH_MAX_BODY);
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	xdr_enc_release(&e);
	/* A body without room for its sequence number decodes; it then has
	 * none. */
	integ(&e, 1, "", 4);
	e.buf->len = 0;
	assert_true(xdr_encode_opaque(&e, "ab", 2) && xdr_encode_opaque(&e, "sum", 3));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_integ(&d, &body, &blen, &sum, &slen));
	assert_false(rpc_gss_databody_seq(body, blen, 0x61620000u, &rest, &rlen));
	xdr_enc_release(&e);
}

static void test_priv(void **state)
{
	(void)state;
	struct xdr_enc e;
	struct xdr_dec d;
	const uint8_t *tok;
	uint32_t len;
	enc_init(&e);
	assert_true(xdr_encode_opaque(&e, "wrapped token", 13));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_true(rpc_gss_decode_priv(&d, &tok, &len));
	assert_int_equal(len, 13);
	assert_memory_equal(tok, "wrapped token", 13);
	for (size_t n = 0; n < e.buf->len; n++) {
		xdr_dec_init(&d, e.buf->data, n);
		assert_false(rpc_gss_decode_priv(&d, &tok, &len));
	}
	assert_true(xdr_encode_u32(&e, 7));
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_priv(&d, &tok, &len));
	/* Length past the end. */
	xdr_put_be32(e.buf->data, 17);
	e.buf->len -= 4;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	assert_false(rpc_gss_decode_priv(&d, &tok, &len));
	xdr_enc_release(&e);
}

static void test_databody_seq(void **state)
{
	(void)state;
	const uint8_t body[] = {0x80, 0, 0, 1, 'x', 'y'};
	const uint8_t *rest = NULL;
	uint32_t rlen = 99;
	assert_true(rpc_gss_databody_seq(body, 6, 0x80000001u, &rest, &rlen));
	assert_ptr_equal(rest, body + 4);
	assert_int_equal(rlen, 2);
	assert_true(rpc_gss_databody_seq(body, 4, 0x80000001u, &rest, &rlen));
	assert_int_equal(rlen, 0);
	for (uint32_t n = 0; n < 4; n++)
		assert_false(rpc_gss_databody_seq(body, n, 0x80000001u, &rest, &rlen));
	assert_false(rpc_gss_databody_seq(body, 6, 1, &rest, &rlen));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cred_round_trip),
		cmocka_unit_test(test_cred_malformed),
		cmocka_unit_test(test_init_res_round_trip),
		cmocka_unit_test(test_init_res_malformed),
		cmocka_unit_test(test_init_arg),
		cmocka_unit_test(test_integ),
		cmocka_unit_test(test_priv),
		cmocka_unit_test(test_databody_seq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
