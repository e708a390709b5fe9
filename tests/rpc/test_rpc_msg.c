/* ONC RPC messages: CALL decoding with AUTH_NONE and AUTH_SYS, every way a
 * call can be cut short or malformed, and reply/call encoders checked by
 * decoding what they produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

enum { PROG = 100003, VERS = 4, PROC = 1, ARGS_WORD = 0xcafebabe };

/* ---- building calls by hand ---- */

struct sys_body {
	uint32_t stamp;
	const char *name;
	uint32_t namelen;
	uint32_t uid, gid;
	uint32_t ngids;   /* count written on the wire */
	uint32_t ngids_w; /* gids actually written */
	uint32_t trailing; /* extra zero bytes after the structure */
};

static void enc_init(struct xdr_enc *e)
{
	assert_true(xdr_enc_init(e, 256, 1 << 16));
}

/* Encodes an AUTH_SYS body (without flavor and length). */
static void put_sys_body(struct xdr_enc *e, const struct sys_body *b)
{
	assert_true(xdr_encode_u32(e, b->stamp));
	assert_true(xdr_encode_opaque(e, b->name, b->namelen));
	assert_true(xdr_encode_u32(e, b->uid));
	assert_true(xdr_encode_u32(e, b->gid));
	assert_true(xdr_encode_u32(e, b->ngids));
	for (uint32_t i = 0; i < b->ngids_w; i++)
		assert_true(xdr_encode_u32(e, 1000 + i));
}

/* The encoded body as bytes in its own encoder (released by the caller). */
static void sys_body_bytes(struct xdr_enc *e, const struct sys_body *b)
{
	enc_init(e);
	put_sys_body(e, b);
	if (b->trailing) {
		uint8_t *t = xdr_enc_reserve(e, b->trailing);
		assert_non_null(t);
		memset(t, 0, b->trailing);
	}
}

struct call_spec {
	uint32_t xid, msg_type, rpcvers;
	uint32_t cred_flavor;
	const uint8_t *cred_body;
	uint32_t cred_len;
	uint32_t verf_flavor;
	const uint8_t *verf_body;
	uint32_t verf_len;
	bool args; /* append one argument word */
};

static struct call_spec spec_default(void)
{
	return (struct call_spec){.xid = 0x01020304, .msg_type = RPC_MSG_CALL,
				  .rpcvers = RPC_VERSION, .args = true};
}

static void put_call(struct xdr_enc *e, const struct call_spec *s)
{
	enc_init(e);
	assert_true(xdr_encode_u32(e, s->xid));
	assert_true(xdr_encode_u32(e, s->msg_type));
	assert_true(xdr_encode_u32(e, s->rpcvers));
	assert_true(xdr_encode_u32(e, PROG));
	assert_true(xdr_encode_u32(e, VERS));
	assert_true(xdr_encode_u32(e, PROC));
	assert_true(xdr_encode_u32(e, s->cred_flavor));
	assert_true(xdr_encode_opaque(e, s->cred_body, s->cred_len));
	assert_true(xdr_encode_u32(e, s->verf_flavor));
	assert_true(xdr_encode_opaque(e, s->verf_body, s->verf_len));
	if (s->args)
		assert_true(xdr_encode_u32(e, ARGS_WORD));
}

struct decoded {
	enum rpc_call_decode st;
	enum rpc_auth_stat auth;
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	struct xdr_dec d;
};

/* Decodes the first len bytes as a call, msg start included. */
static struct decoded decode(const uint8_t *p, size_t len)
{
	struct decoded r;
	memset(&r, 0, sizeof(r));
	r.auth = (enum rpc_auth_stat)-1;
	xdr_dec_init(&r.d, p, len);
	uint32_t xid, type;
	assert_true(rpc_decode_msg_start(&r.d, &xid, &type));
	assert_int_equal(type, RPC_MSG_CALL);
	r.st = rpc_decode_call(&r.d, &r.hdr, &r.cred, &r.auth);
	return r;
}

static struct decoded decode_spec(const struct call_spec *s)
{
	struct xdr_enc e;
	put_call(&e, s);
	/* Decode from a copy so nothing can point into the released encoder. */
	static uint8_t copy[1 << 16];
	memcpy(copy, e.buf->data, e.buf->len);
	size_t len = e.buf->len;
	xdr_enc_release(&e);
	return decode(copy, len);
}

static void assert_auth_error(const struct decoded *r, enum rpc_auth_stat want)
{
	assert_int_equal(r->st, RPC_CALL_AUTH_ERROR);
	assert_int_equal(r->auth, want);
}

static char long_name[300];

static int group_setup(void **state)
{
	for (size_t i = 0; i < sizeof(long_name); i++)
		long_name[i] = (char)('a' + i % 26);
	return 0;
}

static struct sys_body sys_full(void)
{
	return (struct sys_body){.stamp = 77, .name = long_name, .namelen = 255, .uid = 1001,
				 .gid = 1002, .ngids = 16, .ngids_w = 16};
}

/* ---- CALL ---- */

static void test_call_auth_none(void **state)
{
	struct call_spec s = spec_default();
	struct xdr_enc e;
	put_call(&e, &s);
	struct decoded r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.hdr.rpcvers, 2);
	assert_int_equal(r.hdr.prog, PROG);
	assert_int_equal(r.hdr.vers, VERS);
	assert_int_equal(r.hdr.proc, PROC);
	assert_int_equal(r.hdr.cred_flavor, RPC_AUTH_NONE);
	assert_int_equal(r.hdr.cred_len, 0);
	assert_int_equal(r.hdr.verf_flavor, RPC_AUTH_NONE);
	assert_int_equal(r.hdr.verf_len, 0);
	assert_int_equal(r.cred.flavor, RPC_AUTH_NONE);
	assert_int_equal(r.cred.uid, 65534);
	assert_int_equal(r.cred.gid, 65534);
	assert_int_equal(r.cred.ngids, 0);
	/* Left at the arguments. */
	uint32_t w;
	assert_int_equal(xdr_dec_remaining(&r.d), 4);
	assert_true(xdr_decode_u32(&r.d, &w));
	assert_int_equal(w, ARGS_WORD);
	xdr_enc_release(&e);
}

static void test_call_auth_sys(void **state)
{
	struct sys_body b = sys_full();
	struct xdr_enc body;
	sys_body_bytes(&body, &b);
	struct call_spec s = spec_default();
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_body = body.buf->data;
	s.cred_len = (uint32_t)body.buf->len;
	assert_int_equal(s.cred_len, 4 + 4 + 256 + 4 + 4 + 4 + 16 * 4);

	struct xdr_enc e;
	put_call(&e, &s);
	struct decoded r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.hdr.cred_flavor, RPC_AUTH_SYS);
	assert_int_equal(r.hdr.cred_len, s.cred_len);
	assert_ptr_equal(r.hdr.cred_body, e.buf->data + 32); /* in place */
	assert_int_equal(r.cred.flavor, RPC_AUTH_SYS);
	assert_int_equal(r.cred.stamp, 77);
	assert_int_equal(r.cred.uid, 1001);
	assert_int_equal(r.cred.gid, 1002);
	assert_int_equal(r.cred.ngids, 16);
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(r.cred.gids[i], 1000 + i);
	assert_int_equal(strlen(r.cred.machinename), 255);
	assert_memory_equal(r.cred.machinename, long_name, 255);
	uint32_t w;
	assert_true(xdr_decode_u32(&r.d, &w));
	assert_int_equal(w, ARGS_WORD);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	xdr_enc_release(&e);
	xdr_enc_release(&body);

	/* Smallest AUTH_SYS: empty name, no gids. */
	b = (struct sys_body){.stamp = 1, .name = "", .namelen = 0, .uid = 0, .gid = 0};
	sys_body_bytes(&body, &b);
	s.cred_body = body.buf->data;
	s.cred_len = (uint32_t)body.buf->len;
	r = decode_spec(&s);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.cred.uid, 0);
	assert_int_equal(r.cred.ngids, 0);
	assert_string_equal(r.cred.machinename, "");
	xdr_enc_release(&body);
}

/* Each prefix of a call: GARBAGE while the fixed header is incomplete,
 * AUTH_ERROR/BADCRED inside the credential, AUTH_ERROR/BADVERF inside the
 * verifier. */
static void check_truncations(const struct call_spec *s)
{
	struct call_spec t = *s;
	t.args = false;
	struct xdr_enc e;
	put_call(&e, &t);
	size_t full = e.buf->len;
	size_t cred_end = 32 + xdr_pad4(t.cred_len);
	assert_int_equal(full, cred_end + 8 + xdr_pad4(t.verf_len));

	for (size_t n = 8; n < full; n++) {
		struct decoded r = decode(e.buf->data, n);
		if (n < 24) {
			assert_int_equal(r.st, RPC_CALL_GARBAGE);
		} else if (n < cred_end) {
			assert_auth_error(&r, RPC_AUTH_BADCRED);
		} else {
			assert_auth_error(&r, RPC_AUTH_BADVERF);
		}
	}
	struct decoded r = decode(e.buf->data, full);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	xdr_enc_release(&e);
}

static void test_call_truncated(void **state)
{
	struct call_spec s = spec_default();
	check_truncations(&s);

	struct sys_body b = sys_full();
	struct xdr_enc body;
	sys_body_bytes(&body, &b);
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_body = body.buf->data;
	s.cred_len = (uint32_t)body.buf->len;
	check_truncations(&s);
	xdr_enc_release(&body);

	/* A call too short for the message start is caught by the caller. */
	struct xdr_dec d;
	uint8_t four[4] = {0};
	uint32_t xid, type;
	xdr_dec_init(&d, four, sizeof(four));
	assert_false(rpc_decode_msg_start(&d, &xid, &type));
}

static void test_call_bad_rpcvers(void **state)
{
	struct call_spec s = spec_default();
	s.rpcvers = 3;
	struct decoded r = decode_spec(&s);
	assert_int_equal(r.st, RPC_CALL_BAD_RPCVERS);
	assert_int_equal(r.hdr.rpcvers, 3);

	/* Rejected from the version word alone, whatever follows. */
	uint8_t m[12] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3};
	r = decode(m, sizeof(m));
	assert_int_equal(r.st, RPC_CALL_BAD_RPCVERS);
	m[11] = 1;
	r = decode(m, sizeof(m));
	assert_int_equal(r.st, RPC_CALL_BAD_RPCVERS);
}

static void check_bad_sys(const struct sys_body *b, int32_t len_delta)
{
	struct xdr_enc body;
	sys_body_bytes(&body, b);
	struct call_spec s = spec_default();
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_body = body.buf->data;
	s.cred_len = (uint32_t)((int32_t)body.buf->len + len_delta);
	struct decoded r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADCRED);

	/* The same body fed to rpc_decode_auth_sys directly. */
	struct rpc_cred c;
	memset(&c, 0x55, sizeof(c));
	assert_false(rpc_decode_auth_sys(s.cred_body, s.cred_len, &c));
	xdr_enc_release(&body);
}

static void test_call_bad_auth_sys(void **state)
{
	struct sys_body b = sys_full();

	/* 17 gids, on the wire and in the count. */
	b.ngids = b.ngids_w = 17;
	check_bad_sys(&b, 0);
	/* A count of 17 with only 16 present. */
	b.ngids_w = 16;
	check_bad_sys(&b, 0);
	/* A huge count. */
	b.ngids = 0xffffffff;
	check_bad_sys(&b, 0);

	/* Machine name of 256 bytes. */
	b = sys_full();
	b.namelen = 256;
	check_bad_sys(&b, 0);
	/* Name length word under the maximum but over what the body holds,
	 * and a huge one. */
	b = (struct sys_body){.name = "", .namelen = 0};
	struct xdr_enc body;
	sys_body_bytes(&body, &b);
	assert_int_equal(body.buf->len, 20);
	struct rpc_cred c;
	assert_true(rpc_decode_auth_sys(body.buf->data, 20, &c));
	xdr_put_be32(body.buf->data + 4, 200);
	assert_false(rpc_decode_auth_sys(body.buf->data, 20, &c));
	xdr_put_be32(body.buf->data + 4, 0xffffffff);
	assert_false(rpc_decode_auth_sys(body.buf->data, 20, &c));
	xdr_enc_release(&body);

	/* Body longer than its structure: trailing bytes. */
	b = sys_full();
	b.trailing = 4;
	check_bad_sys(&b, 0);
	b.trailing = 1;
	check_bad_sys(&b, 0);
	/* Body shorter than its structure: declared length cuts the gids. */
	b = sys_full();
	check_bad_sys(&b, -4);
	check_bad_sys(&b, -1);
	/* An empty AUTH_SYS body. */
	struct call_spec s = spec_default();
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_len = 0;
	struct decoded r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADCRED);
}

static void test_call_cred_too_long(void **state)
{
	static uint8_t junk[404];
	memset(junk, 0, sizeof(junk));
	static const uint32_t flavors[] = {RPC_AUTH_NONE, RPC_AUTH_SYS, RPC_AUTH_GSS};
	for (size_t i = 0; i < 3; i++) {
		struct call_spec s = spec_default();
		s.cred_flavor = flavors[i];
		s.cred_body = junk;
		s.cred_len = 401;
		struct decoded r = decode_spec(&s);
		assert_auth_error(&r, RPC_AUTH_BADCRED);
		s.cred_len = 404;
		r = decode_spec(&s);
		assert_auth_error(&r, RPC_AUTH_BADCRED);
	}

	/* A body of exactly 400 is within the opaque_auth limit; AUTH_SYS
	 * still checks its structure. */
	struct call_spec s = spec_default();
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_body = junk;
	s.cred_len = 400;
	struct decoded r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADCRED);

	/* A valid AUTH_SYS body padded out to exactly 400 bytes is not exact. */
	struct sys_body b = sys_full();
	struct xdr_enc body;
	sys_body_bytes(&body, &b);
	assert_true(body.buf->len < 400);
	static uint8_t big[400];
	memset(big, 0, sizeof(big));
	memcpy(big, body.buf->data, body.buf->len);
	assert_false(rpc_decode_auth_sys(big, 400, &(struct rpc_cred){0}));
	assert_true(rpc_decode_auth_sys(big, (uint32_t)body.buf->len, &(struct rpc_cred){0}));
	xdr_enc_release(&body);
}

/* RPCSEC_GSS credentials and verifiers are the GSS layer's to check, with
 * their context: the header decoder hands them on whatever they hold. */
static void test_call_gss_passed_on(void **state)
{
	(void)state;
	uint8_t body[8] = {0, 0, 0, 1, 0, 0, 0, 0};
	struct call_spec s = spec_default();
	s.cred_flavor = RPC_AUTH_GSS;
	s.cred_body = body;
	s.cred_len = sizeof(body);
	struct decoded r = decode_spec(&s);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.cred.flavor, RPC_AUTH_GSS);
	assert_int_equal(r.hdr.cred_len, sizeof(body));
}

static void test_call_unknown_flavor(void **state)
{
	static const uint32_t flavors[] = {RPC_AUTH_SHORT, RPC_AUTH_DH, 390003, 0xffffffff};
	uint8_t body[8] = {0, 0, 0, 1, 0, 0, 0, 0};
	for (size_t i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++) {
		struct call_spec s = spec_default();
		s.cred_flavor = flavors[i];
		s.cred_body = body;
		s.cred_len = sizeof(body);
		struct decoded r = decode_spec(&s);
		assert_auth_error(&r, RPC_AUTH_BADCRED);
		s.cred_len = 0;
		r = decode_spec(&s);
		assert_auth_error(&r, RPC_AUTH_BADCRED);
	}
}

static void test_call_bad_verifier(void **state)
{
	uint8_t body[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct call_spec s = spec_default();

	/* Non-null flavor with an empty body. */
	s.verf_flavor = RPC_AUTH_SYS;
	struct decoded r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);
	s.verf_flavor = RPC_AUTH_GSS;
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);

	/* AUTH_NONE verifier with a body. */
	s.verf_flavor = RPC_AUTH_NONE;
	s.verf_body = body;
	s.verf_len = 8;
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);
	s.verf_len = 1;
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);

	/* Verifier body over 400 bytes. */
	static uint8_t junk[404];
	s.verf_body = junk;
	s.verf_len = 404;
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);

	/* Same with AUTH_SYS credentials. */
	struct sys_body b = sys_full();
	struct xdr_enc cred;
	sys_body_bytes(&cred, &b);
	s = spec_default();
	s.cred_flavor = RPC_AUTH_SYS;
	s.cred_body = cred.buf->data;
	s.cred_len = (uint32_t)cred.buf->len;
	s.verf_flavor = RPC_AUTH_SYS;
	s.verf_body = cred.buf->data;
	s.verf_len = (uint32_t)cred.buf->len;
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADVERF);
	xdr_enc_release(&cred);
}

static void test_call_auth_none_with_body(void **state)
{
	uint8_t body[8] = {0};
	struct call_spec s = spec_default();
	s.cred_body = body;
	s.cred_len = 4;
	struct decoded r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADCRED);
	s.cred_len = 3; /* padded to 4 on the wire */
	r = decode_spec(&s);
	assert_auth_error(&r, RPC_AUTH_BADCRED);
}

/* ---- replies ---- */

struct reply {
	uint32_t xid, type;
	bool ok;
	struct rpc_reply_hdr hdr;
	size_t rest;
};

static struct reply decode_reply_bytes(const uint8_t *p, size_t len)
{
	struct reply r;
	memset(&r, 0, sizeof(r));
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	assert_true(rpc_decode_msg_start(&d, &r.xid, &r.type));
	r.ok = rpc_decode_reply(&d, &r.hdr);
	r.rest = xdr_dec_remaining(&d);
	return r;
}

/* Every proper prefix of an encoded reply fails to decode. */
static void check_reply_prefixes(const struct xdr_enc *e)
{
	for (size_t n = 8; n < e->buf->len; n++) {
		struct reply r = decode_reply_bytes(e->buf->data, n);
		assert_false(r.ok);
	}
}

static void test_reply_accepted(void **state)
{
	static const enum rpc_accept_stat stats[] = {RPC_SUCCESS, RPC_PROG_UNAVAIL,
						     RPC_PROC_UNAVAIL, RPC_GARBAGE_ARGS,
						     RPC_SYSTEM_ERR};
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		struct xdr_enc e;
		enc_init(&e);
		assert_true(rpc_encode_accepted(&e, 0xabcdef01, stats[i]));
		assert_int_equal(xdr_enc_len(&e), 24);
		check_reply_prefixes(&e);
		assert_true(xdr_encode_u32(&e, ARGS_WORD)); /* results */
		struct reply r = decode_reply_bytes(e.buf->data, e.buf->len);
		assert_true(r.ok);
		assert_int_equal(r.xid, 0xabcdef01);
		assert_int_equal(r.type, RPC_MSG_REPLY);
		assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
		assert_int_equal(r.hdr.accept_stat, stats[i]);
		assert_int_equal(r.rest, 4);
		xdr_enc_release(&e);
	}
}

static void test_reply_prog_mismatch(void **state)
{
	struct xdr_enc e;
	enc_init(&e);
	assert_true(rpc_encode_prog_mismatch(&e, 9, 4, 5));
	assert_int_equal(xdr_enc_len(&e), 32);
	check_reply_prefixes(&e);
	struct reply r = decode_reply_bytes(e.buf->data, e.buf->len);
	assert_true(r.ok);
	assert_int_equal(r.xid, 9);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_PROG_MISMATCH);
	assert_int_equal(r.hdr.mismatch_low, 4);
	assert_int_equal(r.hdr.mismatch_high, 5);
	assert_int_equal(r.rest, 0);
	xdr_enc_release(&e);
}

static void test_reply_rpc_mismatch(void **state)
{
	struct xdr_enc e;
	enc_init(&e);
	assert_true(rpc_encode_rpc_mismatch(&e, 10));
	assert_int_equal(xdr_enc_len(&e), 24);
	check_reply_prefixes(&e);
	struct reply r = decode_reply_bytes(e.buf->data, e.buf->len);
	assert_true(r.ok);
	assert_int_equal(r.xid, 10);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(r.hdr.reject_stat, RPC_MISMATCH);
	assert_int_equal(r.hdr.mismatch_low, 2);
	assert_int_equal(r.hdr.mismatch_high, 2);
	assert_int_equal(r.rest, 0);
	xdr_enc_release(&e);
}

static void test_reply_auth_error(void **state)
{
	static const enum rpc_auth_stat stats[] = {RPC_AUTH_BADCRED, RPC_AUTH_REJECTEDCRED,
						   RPC_AUTH_BADVERF, RPC_AUTH_TOOWEAK};
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		struct xdr_enc e;
		enc_init(&e);
		assert_true(rpc_encode_auth_error(&e, 11 + (uint32_t)i, stats[i]));
		assert_int_equal(xdr_enc_len(&e), 20);
		check_reply_prefixes(&e);
		struct reply r = decode_reply_bytes(e.buf->data, e.buf->len);
		assert_true(r.ok);
		assert_int_equal(r.xid, 11 + i);
		assert_int_equal(r.hdr.reply_stat, RPC_MSG_DENIED);
		assert_int_equal(r.hdr.reject_stat, RPC_AUTH_ERROR);
		assert_int_equal(r.hdr.auth_stat, stats[i]);
		xdr_enc_release(&e);
	}
}

static void test_reply_malformed(void **state)
{
	/* reply_stat 2 */
	uint8_t a[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0};
	assert_false(decode_reply_bytes(a, sizeof(a)).ok);
	/* denied with reject_stat 2 */
	uint8_t b[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0};
	assert_false(decode_reply_bytes(b, sizeof(b)).ok);
	/* accepted with a verifier body over 400 bytes */
	struct xdr_enc e;
	enc_init(&e);
	static uint8_t junk[404];
	assert_true(xdr_encode_u32(&e, 1) && xdr_encode_u32(&e, RPC_MSG_REPLY) &&
		    xdr_encode_u32(&e, RPC_MSG_ACCEPTED) && xdr_encode_u32(&e, RPC_AUTH_SYS) &&
		    xdr_encode_opaque(&e, junk, 404) && xdr_encode_u32(&e, RPC_SUCCESS));
	assert_false(decode_reply_bytes(e.buf->data, e.buf->len).ok);
	xdr_enc_release(&e);
	/* accepted with a (non-null) 8-byte verifier: skipped over */
	enc_init(&e);
	assert_true(xdr_encode_u32(&e, 1) && xdr_encode_u32(&e, RPC_MSG_REPLY) &&
		    xdr_encode_u32(&e, RPC_MSG_ACCEPTED) && xdr_encode_u32(&e, RPC_AUTH_SHORT) &&
		    xdr_encode_opaque(&e, junk, 8) && xdr_encode_u32(&e, RPC_SUCCESS) &&
		    xdr_encode_u32(&e, ARGS_WORD));
	struct reply r = decode_reply_bytes(e.buf->data, e.buf->len);
	assert_true(r.ok);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(r.rest, 4);
	xdr_enc_release(&e);
}

static void test_reply_encoder_overflow(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 4, 20));
	assert_false(rpc_encode_accepted(&e, 1, RPC_SUCCESS));
	assert_true(e.overflow);
	xdr_enc_release(&e);
	assert_true(xdr_enc_init(&e, 4, 28));
	assert_false(rpc_encode_prog_mismatch(&e, 1, 4, 4));
	assert_true(e.overflow);
	xdr_enc_release(&e);
	assert_true(xdr_enc_init(&e, 4, 20));
	assert_false(rpc_encode_rpc_mismatch(&e, 1));
	xdr_enc_release(&e);
	assert_true(xdr_enc_init(&e, 4, 16));
	assert_false(rpc_encode_auth_error(&e, 1, RPC_AUTH_BADCRED));
	xdr_enc_release(&e);
}

/* ---- rpc_encode_call ---- */

static void test_encode_call_round_trip(void **state)
{
	struct rpc_cred in;
	memset(&in, 0, sizeof(in));
	in.flavor = RPC_AUTH_SYS;
	in.stamp = 0x5eed;
	in.uid = 4242;
	in.gid = 4343;
	in.ngids = 16;
	for (uint32_t i = 0; i < 16; i++)
		in.gids[i] = 7 * i;
	memcpy(in.machinename, long_name, 255);
	in.machinename[255] = '\0';

	struct xdr_enc e;
	enc_init(&e);
	assert_true(rpc_encode_call(&e, 0x99, PROG, VERS, PROC, &in));
	assert_true(xdr_encode_u32(&e, ARGS_WORD));
	struct decoded r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.hdr.prog, PROG);
	assert_int_equal(r.hdr.vers, VERS);
	assert_int_equal(r.hdr.proc, PROC);
	assert_int_equal(r.cred.flavor, RPC_AUTH_SYS);
	assert_int_equal(r.cred.stamp, in.stamp);
	assert_int_equal(r.cred.uid, in.uid);
	assert_int_equal(r.cred.gid, in.gid);
	assert_int_equal(r.cred.ngids, 16);
	assert_memory_equal(r.cred.gids, in.gids, sizeof(in.gids));
	assert_string_equal(r.cred.machinename, in.machinename);
	uint32_t w;
	assert_true(xdr_decode_u32(&r.d, &w));
	assert_int_equal(w, ARGS_WORD);
	xdr_enc_release(&e);

	/* Odd name length (padding) and no gids. */
	memset(&in, 0, sizeof(in));
	in.flavor = RPC_AUTH_SYS;
	strcpy(in.machinename, "client7");
	in.uid = 1;
	enc_init(&e);
	assert_true(rpc_encode_call(&e, 1, PROG, VERS, 0, &in));
	r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_string_equal(r.cred.machinename, "client7");
	assert_int_equal(r.cred.ngids, 0);
	assert_int_equal(r.hdr.cred_len, 4 + 4 + 8 + 4 + 4 + 4);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	xdr_enc_release(&e);

	/* More gids than AUTH_SYS carries are cut to 16, still decodable. */
	in.ngids = 40;
	enc_init(&e);
	assert_true(rpc_encode_call(&e, 2, PROG, VERS, 0, &in));
	r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.cred.ngids, 16);
	xdr_enc_release(&e);

	/* NULL and AUTH_NONE credentials encode AUTH_NONE. */
	enc_init(&e);
	assert_true(rpc_encode_call(&e, 3, PROG, VERS, 0, NULL));
	r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.cred.flavor, RPC_AUTH_NONE);
	assert_int_equal(xdr_enc_len(&e), 40);
	xdr_enc_release(&e);
	in.flavor = RPC_AUTH_NONE;
	enc_init(&e);
	assert_true(rpc_encode_call(&e, 4, PROG, VERS, 0, &in));
	r = decode(e.buf->data, e.buf->len);
	assert_int_equal(r.st, RPC_CALL_OK);
	assert_int_equal(r.hdr.cred_flavor, RPC_AUTH_NONE);
	xdr_enc_release(&e);

	/* An encoder too small fails cleanly. */
	in.flavor = RPC_AUTH_SYS;
	assert_true(xdr_enc_init(&e, 4, 50));
	assert_false(rpc_encode_call(&e, 5, PROG, VERS, 0, &in));
	assert_true(e.overflow);
	xdr_enc_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_auth_none),
		cmocka_unit_test(test_call_auth_sys),
		cmocka_unit_test(test_call_truncated),
		cmocka_unit_test(test_call_bad_rpcvers),
		cmocka_unit_test(test_call_bad_auth_sys),
		cmocka_unit_test(test_call_cred_too_long),
		cmocka_unit_test(test_call_unknown_flavor),
		cmocka_unit_test(test_call_gss_passed_on),
		cmocka_unit_test(test_call_bad_verifier),
		cmocka_unit_test(test_call_auth_none_with_body),
		cmocka_unit_test(test_reply_accepted),
		cmocka_unit_test(test_reply_prog_mismatch),
		cmocka_unit_test(test_reply_rpc_mismatch),
		cmocka_unit_test(test_reply_auth_error),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_reply_encoder_overflow),
		cmocka_unit_test(test_encode_call_round_trip),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
