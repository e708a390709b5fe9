/* The RPCSEC_GSS initiator (rpc/gss/gss_client.h) against an acceptor of
 * the test's own, written here from RFC 2203 on MIT GSS-API, in process:
 * the transport is a function call.  A throwaway realm (tests/lib/
 * krb5_kdc.h) gives the keys: alice initiates, nfs/localhost accepts.
 *
 * Checked: establishment (handle, window, the window's verifier, mutual
 * authentication), DATA calls under each service both ways, every
 * tampering of a reply being refused, the test hooks (an old sequence
 * number resent, a checksum flipped) doing what the protocol tests rely
 * on, DESTROY, and the failures of establishment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/krb5_kdc.h"
#include "rpc/gss/gss_client.h"
#include "rpc/gss/gss_wire.h"

enum { PROG = 100003, VERS = 4, PROC = 1, WINDOW = 32, SEEN = 4096 };

/* --- the realm ------------------------------------------------------------------------ */

static struct krb5_kdc kdc;
static char alice_keytab[300];

static int realm_up(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0)
		return -1;
	krb5_kdc_client_keytab(&kdc, "alice", alice_keytab, sizeof(alice_keytab));
	return 0;
}

static int realm_down(void **state)
{
	(void)state;
	krb5_kdc_stop(&kdc);
	return 0;
}

/* --- the acceptor ---------------------------------------------------------------------- */

struct acceptor {
	gss_cred_id_t cred;
	gss_ctx_id_t ctx;
	bool complete;
	uint8_t handle[16];
	char principal[256];
	bool seen[SEEN];
	uint32_t last_service;  /* of the last DATA call served */
	uint32_t last_args_len; /* its plain arguments, echoed as results */
	unsigned dropped, garbage, served, destroyed;
	/* Tampering with the next reply: */
	bool bad_verifier;   /* flip a byte of the verifier */
	bool bad_results;    /* flip a byte of the (wrapped) results */
	bool other_seq;      /* wrap the results with another sequence number */
	bool no_conf;        /* krb5p results wrapped without confidentiality */
	bool none_verifier;  /* an AUTH_NONE verifier */
	bool refuse_init;    /* answer INIT with GSS_S_FAILURE */
};

static struct acceptor acc;

static void acceptor_reset(void)
{
	OM_uint32 min;
	if (acc.ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &acc.ctx, GSS_C_NO_BUFFER);
	if (acc.cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &acc.cred);
	memset(&acc, 0, sizeof(acc));
	acc.ctx = GSS_C_NO_CONTEXT;
	memcpy(acc.handle, "ferry-test-ctx-1", 16);
	gss_OID_set_desc mechs = {1, gss_mech_krb5};
	gss_key_value_element_desc kt = {"keytab", kdc.keytab};
	gss_key_value_set_desc store = {1, &kt};
	OM_uint32 maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs,
					      GSS_C_ACCEPT, &store, &acc.cred, NULL, NULL);
	assert_false(GSS_ERROR(maj));
}

static void put_mic(struct xdr_enc *e, const void *msg, size_t len)
{
	OM_uint32 min;
	gss_buffer_desc m = {len, (void *)msg}, t = GSS_C_EMPTY_BUFFER;
	assert_false(GSS_ERROR(gss_get_mic(&min, acc.ctx, 0, &m, &t)));
	assert_true(xdr_encode_u32(e, RPC_AUTH_GSS));
	if (acc.bad_verifier)
		((uint8_t *)t.value)[t.length - 1] ^= 1;
	assert_true(xdr_encode_opaque(e, t.value, (uint32_t)t.length));
	gss_release_buffer(&min, &t);
}

static void reply_head(struct xdr_enc *e, uint32_t xid)
{
	assert_true(xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_REPLY) &&
		    xdr_encode_u32(e, RPC_MSG_ACCEPTED));
}

static void seq_verifier(struct xdr_enc *e, uint32_t seq)
{
	uint8_t be[4];
	xdr_put_be32(be, seq);
	if (acc.none_verifier)
		assert_true(xdr_encode_u32(e, RPC_AUTH_NONE) && xdr_encode_u32(e, 0));
	else
		put_mic(e, be, 4);
}

static void init_call(struct xdr_enc *e, uint32_t xid, struct xdr_dec *args)
{
	OM_uint32 maj, min = 0;
	const uint8_t *tok;
	uint32_t toklen;
	assert_true(rpc_gss_decode_init_arg(args, &tok, &toklen));
	gss_buffer_desc in = {toklen, (void *)tok}, out = GSS_C_EMPTY_BUFFER;
	gss_name_t src = GSS_C_NO_NAME;
	if (acc.refuse_init) {
		maj = GSS_S_FAILURE;
	} else {
		maj = gss_accept_sec_context(&min, &acc.ctx, acc.cred, &in,
					     GSS_C_NO_CHANNEL_BINDINGS, &src, NULL, &out, NULL,
					     NULL, NULL);
	}
	struct rpc_gss_init_res r = {.handle = acc.handle, .handle_len = sizeof(acc.handle),
				     .major = maj, .minor = min, .window = WINDOW,
				     .token = out.value, .token_len = (uint32_t)out.length};
	reply_head(e, xid);
	if (maj == GSS_S_COMPLETE) {
		acc.complete = true;
		gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
		assert_false(GSS_ERROR(gss_display_name(&min, src, &name, NULL)));
		snprintf(acc.principal, sizeof(acc.principal), "%.*s", (int)name.length,
			 (char *)name.value);
		gss_release_buffer(&min, &name);
		uint8_t be[4];
		xdr_put_be32(be, WINDOW);
		put_mic(e, be, 4);
	} else {
		assert_true(xdr_encode_u32(e, RPC_AUTH_NONE) && xdr_encode_u32(e, 0));
	}
	assert_true(xdr_encode_u32(e, RPC_SUCCESS));
	assert_true(rpc_gss_encode_init_res(e, &r));
	gss_release_buffer(&min, &out);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&min, &src);
}

/* Wraps the results res (len bytes) of a call with seq as service wants. */
static void put_results(struct xdr_enc *e, uint32_t service, uint32_t seq, const uint8_t *res,
			uint32_t len)
{
	OM_uint32 min;
	if (service == RPC_GSS_SVC_NONE) {
		assert_true(xdr_encode_opaque_fixed(e, res, len));
		return;
	}
	uint8_t *body = malloc(4 + len);
	assert_non_null(body);
	xdr_put_be32(body, acc.other_seq ? seq + 1 : seq);
	memcpy(body + 4, res, len);
	gss_buffer_desc in = {4 + len, body}, t = GSS_C_EMPTY_BUFFER;
	if (service == RPC_GSS_SVC_INTEGRITY) {
		assert_false(GSS_ERROR(gss_get_mic(&min, acc.ctx, 0, &in, &t)));
		if (acc.bad_results)
			body[4 + len - 1] ^= 1; /* after the checksum was taken */
		assert_true(xdr_encode_opaque(e, body, 4 + len));
		assert_true(xdr_encode_opaque(e, t.value, (uint32_t)t.length));
	} else {
		int conf = 0;
		assert_false(GSS_ERROR(gss_wrap(&min, acc.ctx, !acc.no_conf, 0, &in, &conf, &t)));
		if (acc.bad_results)
			((uint8_t *)t.value)[t.length / 2] ^= 1;
		assert_true(xdr_encode_opaque(e, t.value, (uint32_t)t.length));
	}
	gss_release_buffer(&min, &t);
	free(body);
}

/* The arguments of a DATA call, unwrapped: NULL when they do not check. */
static uint8_t *take_args(uint32_t service, uint32_t seq, struct xdr_dec *d, uint32_t *len)
{
	OM_uint32 maj, min;
	const uint8_t *body, *sum, *rest;
	uint32_t blen, slen, rlen;
	uint8_t *out = NULL;
	if (service == RPC_GSS_SVC_NONE) {
		*len = (uint32_t)xdr_dec_remaining(d);
		out = malloc(*len + 1);
		memcpy(out, d->p, *len);
		return out;
	}
	if (service == RPC_GSS_SVC_INTEGRITY) {
		if (!rpc_gss_decode_integ(d, &body, &blen, &sum, &slen))
			return NULL;
		gss_buffer_desc m = {blen, (void *)body}, t = {slen, (void *)sum};
		maj = gss_verify_mic(&min, acc.ctx, &m, &t, NULL);
		if (GSS_ERROR(maj) || !rpc_gss_databody_seq(body, blen, seq, &rest, &rlen))
			return NULL;
	} else {
		if (!rpc_gss_decode_priv(d, &body, &blen))
			return NULL;
		gss_buffer_desc in = {blen, (void *)body}, un = GSS_C_EMPTY_BUFFER;
		int conf = 0;
		maj = gss_unwrap(&min, acc.ctx, &in, &un, &conf, NULL);
		if (GSS_ERROR(maj) || !conf ||
		    !rpc_gss_databody_seq(un.value, (uint32_t)un.length, seq, &rest, &rlen)) {
			gss_release_buffer(&min, &un);
			return NULL;
		}
		out = malloc(rlen + 1);
		memcpy(out, rest, rlen);
		*len = rlen;
		gss_release_buffer(&min, &un);
		return out;
	}
	out = malloc(rlen + 1);
	memcpy(out, rest, rlen);
	*len = rlen;
	return out;
}

/* Serves one call; false: dropped, no reply. */
static bool serve(const uint8_t *rec, size_t len, struct xdr_enc *e)
{
	struct xdr_dec d;
	uint32_t xid = 0, mtype = 0, rpcvers = 0, prog = 0, vers = 0, proc = 0, cflav = 0;
	uint32_t vflav = 0, clen = 0, vlen = 0;
	const uint8_t *cbody = NULL, *vbody = NULL;
	xdr_dec_init(&d, rec, len);
	assert_true(xdr_decode_u32(&d, &xid) && xdr_decode_u32(&d, &mtype) &&
		    xdr_decode_u32(&d, &rpcvers) && xdr_decode_u32(&d, &prog) &&
		    xdr_decode_u32(&d, &vers) && xdr_decode_u32(&d, &proc) &&
		    xdr_decode_u32(&d, &cflav) &&
		    xdr_decode_opaque(&d, RPC_AUTH_MAX_BODY, &cbody, &clen));
	size_t hdr_len = (size_t)(d.p - rec);
	assert_true(xdr_decode_u32(&d, &vflav) &&
		    xdr_decode_opaque(&d, RPC_AUTH_MAX_BODY, &vbody, &vlen));
	assert_int_equal(mtype, RPC_MSG_CALL);
	assert_int_equal(rpcvers, RPC_VERSION);
	assert_int_equal(prog, PROG);
	assert_int_equal(vers, VERS);
	assert_int_equal(cflav, RPC_AUTH_GSS);
	struct rpc_gss_cred cr;
	assert_true(rpc_gss_decode_cred(cbody, clen, &cr));

	if (cr.proc == RPC_GSS_PROC_INIT || cr.proc == RPC_GSS_PROC_CONTINUE_INIT) {
		assert_int_equal(proc, 0);
		assert_int_equal(vflav, RPC_AUTH_NONE);
		assert_int_equal(vlen, 0);
		if (cr.proc == RPC_GSS_PROC_INIT)
			assert_int_equal(cr.handle_len, 0);
		else
			assert_memory_equal(cr.handle, acc.handle, 16);
		init_call(e, xid, &d);
		return true;
	}
	assert_true(acc.complete);
	assert_int_equal(cr.handle_len, 16);
	assert_memory_equal(cr.handle, acc.handle, 16);
	/* The header's checksum: from the XID to the end of the credential. */
	OM_uint32 maj, min;
	gss_buffer_desc m = {hdr_len, (void *)rec}, t = {vlen, (void *)vbody};
	assert_int_equal(vflav, RPC_AUTH_GSS);
	maj = gss_verify_mic(&min, acc.ctx, &m, &t, NULL);
	assert_false(GSS_ERROR(maj));
	if (cr.seq >= SEEN || acc.seen[cr.seq]) {
		acc.dropped++;
		return false;
	}
	acc.seen[cr.seq] = true;
	if (cr.proc == RPC_GSS_PROC_DESTROY) {
		assert_int_equal(proc, 0);
		assert_int_equal(xdr_dec_remaining(&d), 0);
		reply_head(e, xid);
		seq_verifier(e, cr.seq);
		assert_true(xdr_encode_u32(e, RPC_SUCCESS));
		acc.destroyed++;
		acc.complete = false;
		gss_delete_sec_context(&min, &acc.ctx, GSS_C_NO_BUFFER);
		return true;
	}
	assert_int_equal(cr.proc, RPC_GSS_PROC_DATA);
	assert_int_equal(proc, PROC);
	uint32_t alen = 0;
	uint8_t *args = take_args(cr.service, cr.seq, &d, &alen);
	reply_head(e, xid);
	seq_verifier(e, cr.seq);
	if (!args) {
		acc.garbage++;
		assert_true(xdr_encode_u32(e, RPC_GARBAGE_ARGS));
		return true;
	}
	acc.served++;
	acc.last_service = cr.service;
	acc.last_args_len = alen;
	assert_true(xdr_encode_u32(e, RPC_SUCCESS));
	put_results(e, cr.service, cr.seq, args, alen); /* the arguments echoed */
	free(args);
	return true;
}

/* The roundtrip: a dropped call is -ETIMEDOUT, as a transport says. */
static int roundtrip(void *arg, const void *record, size_t len, struct buf **reply)
{
	(void)arg;
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 1u << 20));
	if (!serve(record, len, &e)) {
		xdr_enc_release(&e);
		return -ETIMEDOUT;
	}
	*reply = xdr_enc_take(&e);
	return 0;
}

/* --- the client's side ------------------------------------------------------------------ */

static struct rpc_gss_client *client_up(uint32_t service)
{
	char err[256] = "";
	acceptor_reset();
	struct rpc_gss_client *c =
		rpc_gss_client_new("nfs@localhost", alice_keytab, NULL, "alice", err, sizeof(err));
	if (!c)
		fail_msg("rpc_gss_client_new: %s", err);
	int rc = rpc_gss_client_establish(c, PROG, VERS, service, roundtrip, NULL);
	if (rc)
		fail_msg("establish: %d %s", rc, rpc_gss_client_error(c));
	return c;
}

static const uint8_t ARGS[] = "0123456789abcdefghijklmnopqrstuv"; /* 32 bytes + NUL */

/* One DATA call with ARGS; *reply the raw reply (caller's). */
static int call(struct rpc_gss_client *c, uint32_t service, struct rpc_gss_client_call *info,
		struct buf **reply)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 0x1000 + acc.served, PROG, VERS, PROC,
						    service, ARGS, 32, info),
			 0);
	assert_int_equal(info->len, e.buf->len);
	int rc = roundtrip(NULL, e.buf->data, e.buf->len, reply);
	xdr_enc_release(&e);
	return rc;
}

/* A call whose reply must come back as ARGS. */
static void echo_ok(struct rpc_gss_client *c, uint32_t service)
{
	struct rpc_gss_client_call info;
	struct buf *reply, *out;
	struct rpc_reply_hdr hdr;
	size_t off;
	assert_int_equal(call(c, service, &info, &reply), 0);
	int rc = rpc_gss_client_decode_reply(c, &info, reply->data, reply->len, &hdr, &out, &off);
	if (rc)
		fail_msg("decode_reply: %d %s", rc, rpc_gss_client_error(c));
	assert_int_equal(hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(out->len - off, 32);
	assert_memory_equal(out->data + off, ARGS, 32);
	assert_memory_equal(out->data, reply->data, off); /* the header as received */
	assert_int_equal(acc.last_service, service);
	assert_int_equal(acc.last_args_len, 32);
	buf_unref(out);
	buf_unref(reply);
}

/* A call whose reply the client must refuse with want. */
static void echo_refused(struct rpc_gss_client *c, uint32_t service, int want)
{
	struct rpc_gss_client_call info;
	struct buf *reply, *out = (struct buf *)1;
	struct rpc_reply_hdr hdr;
	size_t off;
	assert_int_equal(call(c, service, &info, &reply), 0);
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, reply->len, &hdr, &out,
						     &off),
			 want);
	assert_null(out);
	assert_true(rpc_gss_client_error(c)[0] != '\0');
	buf_unref(reply);
}

static void test_establish(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_INTEGRITY);
	assert_true(rpc_gss_client_established(c));
	assert_int_equal(rpc_gss_client_window(c), WINDOW);
	assert_int_equal(rpc_gss_client_service(c), RPC_GSS_SVC_INTEGRITY);
	assert_string_equal(acc.principal, "alice@FERRY.TEST");
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 -EEXIST);
	rpc_gss_client_free(c);
}

static void test_services(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_NONE);
	for (int round = 0; round < 3; round++) {
		echo_ok(c, RPC_GSS_SVC_NONE);
		echo_ok(c, RPC_GSS_SVC_INTEGRITY);
		echo_ok(c, RPC_GSS_SVC_PRIVACY);
	}
	assert_int_equal(acc.served, 9);
	rpc_gss_client_free(c);
}

/* Offsets the tamper tests use, and the sequence numbers taken. */
static void test_call_layout(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_NONE);
	struct xdr_enc e;
	struct rpc_gss_client_call info;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	assert_true(xdr_encode_u32(&e, 0xdeadbeef)); /* a record mark's room */
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 77, PROG, VERS, PROC,
						    RPC_GSS_SVC_INTEGRITY, ARGS, 32, &info),
			 0);
	const uint8_t *p = e.buf->data + 4;
	assert_int_equal(info.xid, 77);
	assert_int_equal(info.seq, 1);
	assert_int_equal(info.gss_proc, RPC_GSS_PROC_DATA);
	assert_int_equal(info.len, e.buf->len - 4);
	assert_int_equal(xdr_get_be32(p), 77);
	assert_int_equal(info.cred_off, 24);
	assert_int_equal(xdr_get_be32(p + info.cred_off), RPC_AUTH_GSS);
	struct rpc_gss_cred cr;
	uint32_t clen = xdr_get_be32(p + info.cred_off + 4);
	assert_true(rpc_gss_decode_cred(p + info.cred_off + 8, clen, &cr));
	assert_int_equal(cr.proc, RPC_GSS_PROC_DATA);
	assert_int_equal(cr.seq, 1);
	assert_int_equal(cr.service, RPC_GSS_SVC_INTEGRITY);
	assert_int_equal(info.verf_off, info.cred_off + 8 + clen);
	assert_int_equal(xdr_get_be32(p + info.verf_off), RPC_AUTH_GSS);
	/* integ data: the body (seq + args), then the checksum. */
	assert_int_equal(xdr_get_be32(p + info.body_off), 36);
	assert_int_equal(xdr_get_be32(p + info.body_off + 4), 1);
	assert_memory_equal(p + info.body_off + 8, ARGS, 32);
	assert_int_equal(info.checksum_off, info.body_off + 4 + 36 + 4);
	assert_int_equal(xdr_get_be32(p + info.checksum_off - 4), info.checksum_len);
	assert_int_equal(info.body_off + 4 + 36 + 4 + xdr_pad4(info.checksum_len), info.len);
	/* The next call takes the next number; the hook sets it. */
	e.buf->len = 0;
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 78, PROG, VERS, PROC, RPC_GSS_SVC_NONE,
						    ARGS, 32, &info),
			 0);
	assert_int_equal(info.seq, 2);
	assert_int_equal(info.checksum_len, 0);
	assert_int_equal(info.body_off + 32, info.len);
	assert_int_equal(rpc_gss_client_set_seq(c, 1000), 3);
	e.buf->len = 0;
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 79, PROG, VERS, PROC, RPC_GSS_SVC_NONE,
						    ARGS, 32, &info),
			 0);
	assert_int_equal(info.seq, 1000);
	/* Unknown services, and the end of the sequence numbers. */
	e.buf->len = 0;
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 80, PROG, VERS, PROC, 4, ARGS, 32,
						    &info),
			 -EINVAL);
	rpc_gss_client_set_seq(c, RPC_GSS_MAXSEQ);
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 80, PROG, VERS, PROC, RPC_GSS_SVC_NONE,
						    ARGS, 32, &info),
			 -EOVERFLOW);
	assert_int_equal(e.buf->len, 0);
	xdr_enc_release(&e);
	rpc_gss_client_free(c);
}

static void test_replay_hook(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_NONE);
	echo_ok(c, RPC_GSS_SVC_NONE);
	echo_ok(c, RPC_GSS_SVC_NONE);
	uint32_t next = rpc_gss_client_set_seq(c, 1);
	struct rpc_gss_client_call info;
	struct buf *reply;
	assert_int_equal(call(c, RPC_GSS_SVC_INTEGRITY, &info, &reply), -ETIMEDOUT);
	assert_int_equal(info.seq, 1);
	assert_int_equal(acc.dropped, 1);
	rpc_gss_client_set_seq(c, next);
	echo_ok(c, RPC_GSS_SVC_PRIVACY);
	rpc_gss_client_free(c);
}

static void test_tampered_checksum(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_INTEGRITY);
	struct xdr_enc e;
	struct rpc_gss_client_call info;
	struct buf *reply, *out;
	struct rpc_reply_hdr hdr;
	size_t off;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 5, PROG, VERS, PROC,
						    RPC_GSS_SVC_INTEGRITY, ARGS, 32, &info),
			 0);
	e.buf->data[info.checksum_off + info.checksum_len - 1] ^= 0x80;
	assert_int_equal(roundtrip(NULL, e.buf->data, e.buf->len, &reply), 0);
	assert_int_equal(acc.garbage, 1);
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, reply->len, &hdr, &out,
						     &off),
			 0);
	assert_int_equal(hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(hdr.accept_stat, RPC_GARBAGE_ARGS);
	assert_int_equal(out->len, reply->len);
	buf_unref(out);
	buf_unref(reply);
	xdr_enc_release(&e);
	echo_ok(c, RPC_GSS_SVC_INTEGRITY);
	rpc_gss_client_free(c);
}

static void test_bad_replies(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_NONE);
	static const uint32_t services[] = {RPC_GSS_SVC_NONE, RPC_GSS_SVC_INTEGRITY,
					    RPC_GSS_SVC_PRIVACY};
	for (unsigned i = 0; i < 3; i++) {
		acc.bad_verifier = true;
		echo_refused(c, services[i], -EACCES);
		acc.bad_verifier = false;
		acc.none_verifier = true;
		echo_refused(c, services[i], -EACCES);
		acc.none_verifier = false;
	}
	acc.bad_results = true;
	echo_refused(c, RPC_GSS_SVC_INTEGRITY, -EACCES);
	echo_refused(c, RPC_GSS_SVC_PRIVACY, -EACCES);
	acc.bad_results = false;
	acc.other_seq = true;
	echo_refused(c, RPC_GSS_SVC_INTEGRITY, -EACCES);
	echo_refused(c, RPC_GSS_SVC_PRIVACY, -EACCES);
	acc.other_seq = false;
	acc.no_conf = true;
	echo_refused(c, RPC_GSS_SVC_PRIVACY, -EACCES);
	acc.no_conf = false;

	/* Malformed: another XID, cut short, integ data with bytes after it. */
	struct rpc_gss_client_call info;
	struct buf *reply, *out;
	struct rpc_reply_hdr hdr;
	size_t off;
	assert_int_equal(call(c, RPC_GSS_SVC_INTEGRITY, &info, &reply), 0);
	info.xid++;
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, reply->len, &hdr, &out,
						     &off),
			 -EBADMSG);
	info.xid--;
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, 10, &hdr, &out, &off),
			 -EBADMSG);
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, reply->len - 4, &hdr,
						     &out, &off),
			 -EBADMSG);
	struct buf *longer = buf_new(reply->len + 4);
	memcpy(longer->data, reply->data, reply->len);
	memset(longer->data + reply->len, 0, 4);
	longer->len = reply->len + 4;
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, longer->data, longer->len, &hdr,
						     &out, &off),
			 -EBADMSG);
	/* ... and the reply as it came still reads. */
	assert_int_equal(rpc_gss_client_decode_reply(c, &info, reply->data, reply->len, &hdr, &out,
						     &off),
			 0);
	buf_unref(out);
	buf_unref(longer);
	buf_unref(reply);
	echo_ok(c, RPC_GSS_SVC_PRIVACY);
	rpc_gss_client_free(c);
}

static void test_destroy(void **state)
{
	(void)state;
	struct rpc_gss_client *c = client_up(RPC_GSS_SVC_PRIVACY);
	echo_ok(c, RPC_GSS_SVC_PRIVACY);
	assert_int_equal(rpc_gss_client_destroy(c, PROG, VERS, roundtrip, NULL), 0);
	assert_int_equal(acc.destroyed, 1);
	assert_false(rpc_gss_client_established(c));
	struct xdr_enc e;
	struct rpc_gss_client_call info;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	assert_int_equal(rpc_gss_client_encode_call(c, &e, 9, PROG, VERS, PROC, RPC_GSS_SVC_NONE,
						    ARGS, 32, &info),
			 -ENOTCONN);
	xdr_enc_release(&e);
	assert_int_equal(rpc_gss_client_destroy(c, PROG, VERS, roundtrip, NULL), -ENOTCONN);
	/* A new context on the same client. */
	memset(acc.seen, 0, sizeof(acc.seen));
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 0);
	echo_ok(c, RPC_GSS_SVC_INTEGRITY);
	rpc_gss_client_free(c);
}

static int dead_transport(void *arg, const void *record, size_t len, struct buf **reply)
{
	(void)arg;
	(void)record;
	(void)len;
	(void)reply;
	return -ECONNRESET;
}

static void test_establish_failures(void **state)
{
	(void)state;
	char err[256] = "";
	acceptor_reset();
	/* No key for that service: the first token cannot be made. */
	struct rpc_gss_client *c =
		rpc_gss_client_new("nfs@elsewhere", alice_keytab, NULL, "alice", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 -EIO);
	assert_true(strlen(rpc_gss_client_error(c)) > 0);
	assert_false(rpc_gss_client_established(c));
	rpc_gss_client_free(c);

	/* The server's acceptor fails. */
	c = rpc_gss_client_new("nfs@localhost", alice_keytab, NULL, "alice", err, sizeof(err));
	assert_non_null(c);
	acc.refuse_init = true;
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 -EPROTO);
	acc.refuse_init = false;
	/* A transport error comes back as it is. */
	assert_int_equal(
		rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, dead_transport, NULL),
		-ECONNRESET);
	/* A window verifier that does not check. */
	acceptor_reset();
	acc.bad_verifier = true;
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 -EACCES);
	acc.bad_verifier = false;
	acceptor_reset();
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, 0, roundtrip, NULL), -EINVAL);
	assert_int_equal(rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			 0);
	echo_ok(c, RPC_GSS_SVC_PRIVACY);
	rpc_gss_client_free(c);

	/* No such principal in the keytab. */
	c = rpc_gss_client_new("nfs@localhost", alice_keytab, NULL, "bob", err, sizeof(err));
	if (c) {
		assert_int_not_equal(
			rpc_gss_client_establish(c, PROG, VERS, RPC_GSS_SVC_NONE, roundtrip, NULL),
			0);
		rpc_gss_client_free(c);
	} else {
		assert_true(strlen(err) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_establish),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_call_layout),
		cmocka_unit_test(test_replay_hook),
		cmocka_unit_test(test_tampered_checksum),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_establish_failures),
	};
	return cmocka_run_group_tests(tests, realm_up, realm_down);
}
