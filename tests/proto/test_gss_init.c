/* RPCSEC_GSS context creation refused, against a real ferryd and a
 * throwaway Kerberos realm (tests/lib/krb5_kdc.h): each answer is checked
 * field by field, as RFC 2203 gives it.
 *
 *   - INIT with a token the GSS-API rejects (alice's AP-REQ with a byte
 *     of its authenticator changed, or bytes that are no token at all) is
 *     an accepted SUCCESS with an AUTH_NONE verifier whose
 *     rpc_gss_init_res holds the error's gss_major and an empty handle and
 *     token (5.2.3.1: "handle and gss_token must be set to NULL"), though
 *     MIT's acceptor made an error token for the first;
 *   - CONTINUE_INIT naming a handle the server never issued, one of a
 *     context already complete, or one of the wrong length is not
 *     RPCSEC_GSS_CREDPROBLEM, which 5.2.3.2 rules out for context
 *     creation: it is an rpc_gss_init_res with GSS_S_NO_CONTEXT (the
 *     status the GSS-API gives a context handle it does not know), an
 *     empty handle and token; the complete context goes on serving;
 *   - a credential of an RPCSEC_GSS version other than 1 (0, 2), whether
 *     INIT or DATA, is MSG_DENIED AUTH_ERROR AUTH_REJECTEDCRED (5.1, with
 *     errata 4067), not AUTH_BADCRED. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "rpc/gss/gss_client.h"
#include "rpc/gss/gss_wire.h"

static struct krb5_kdc kdc;
static struct ferryd_proc server;
static char ccache[320];

static int setup(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0 || !krb5_kdc_kinit(&kdc, "alice", ccache, sizeof(ccache)))
		return -1;
	char conf[800];
	snprintf(conf, sizeof(conf), "sec = krb5:sys\n[server]\nkeytab = %s\n", kdc.keytab);
	return ferryd_start_export(&server, conf);
}

static int teardown(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	krb5_kdc_stop(&kdc);
	return rc == 0 ? 0 : -1;
}

/* --- raw calls ------------------------------------------------------------------------ */

/* An NFSv4 NULL call (the procedure of context creation) with an
 * RPCSEC_GSS credential of version vers, gss procedure proc and handle,
 * an AUTH_NONE verifier, and the token as its rpc_gss_init_arg. */
static struct buf *gss_null_call(uint32_t xid, uint32_t vers, uint32_t proc, const uint8_t *handle,
				 uint32_t handle_len, const void *token, uint32_t token_len)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256 + token_len, 256 + token_len));
	xdr_encode_u32(&e, xid);
	xdr_encode_u32(&e, RPC_MSG_CALL);
	xdr_encode_u32(&e, RPC_VERSION);
	xdr_encode_u32(&e, NFS4_PROGRAM);
	xdr_encode_u32(&e, NFS4_VERSION);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, RPC_AUTH_GSS);
	xdr_encode_u32(&e, 5 * 4 + (uint32_t)xdr_pad4(handle_len));
	xdr_encode_u32(&e, vers);
	xdr_encode_u32(&e, proc);
	xdr_encode_u32(&e, 0); /* seq_num */
	xdr_encode_u32(&e, RPC_GSS_SVC_NONE);
	xdr_encode_opaque(&e, handle, handle_len);
	xdr_encode_u32(&e, RPC_AUTH_NONE);
	xdr_encode_u32(&e, 0);
	xdr_encode_opaque(&e, token, token_len);
	assert_false(e.overflow);
	return xdr_enc_take(&e);
}

/* Sends call on a new connection; the reply, parsed. */
static void roundtrip(struct buf *call, struct rpctest_reply *rep)
{
	int fd = nfs4c_connect(server.hostport);
	struct buf *raw = NULL;
	assert_int_equal(nfs4c_rpc_raw(fd, call->data, call->len, RPCTEST_TIMEOUT_MS, &raw), 0);
	buf_unref(call);
	assert_int_equal(rpctest_parse_reply(raw, rep), 0);
	nfs4c_close(fd);
}

/* What a refused context creation must be (RFC 2203 5.2.3.1): accepted,
 * SUCCESS, an AUTH_NONE verifier, and an rpc_gss_init_res with major, an
 * empty handle and an empty token.  Returns gss_minor. */
static uint32_t expect_init_refused(struct rpctest_reply *rep, uint32_t major)
{
	if (rep->hdr.reply_stat != RPC_MSG_ACCEPTED)
		fprintf(stderr, "denied: reject_stat %u auth_stat %u\n", rep->hdr.reject_stat,
			rep->hdr.auth_stat);
	assert_int_equal(rep->hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(rep->hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(rep->hdr.verf_flavor, RPC_AUTH_NONE);
	assert_int_equal(rep->hdr.verf_len, 0);
	struct rpc_gss_init_res res;
	assert_true(rpc_gss_decode_init_res(&rep->results, &res));
	assert_int_equal(xdr_dec_remaining(&rep->results), 0);
	if (res.major != major || res.handle_len || res.token_len)
		fprintf(stderr, "gss_major 0x%x (want 0x%x) minor %u, handle %u bytes, token %u bytes\n",
			res.major, major, res.minor, res.handle_len, res.token_len);
	assert_int_equal(res.major, major);
	assert_int_equal(res.handle_len, 0);
	assert_int_equal(res.token_len, 0);
	assert_int_equal(res.window, 0);
	return res.minor;
}

static void expect_denied(struct rpctest_reply *rep, enum rpc_auth_stat why)
{
	assert_int_equal(rep->hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(rep->hdr.reject_stat, RPC_AUTH_ERROR);
	assert_int_equal(rep->hdr.auth_stat, why);
}

/* alice's first context-creation token for nfs@localhost (an AP-REQ
 * asking for mutual authentication), as gss_init_sec_context makes it. */
static struct buf *alice_ap_req(void)
{
	OM_uint32 major, minor;
	gss_key_value_element_desc kv = {"ccache", ccache};
	gss_key_value_set_desc store = {1, &kv};
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_OID_set_desc mechs = {1, (gss_OID)gss_mech_krb5};
	major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs,
				      GSS_C_INITIATE, &store, &cred, NULL, NULL);
	assert_int_equal(major, GSS_S_COMPLETE);
	gss_name_t target;
	gss_buffer_desc name = {strlen("nfs@localhost"), "nfs@localhost"};
	assert_int_equal(gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target),
			 GSS_S_COMPLETE);
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	major = gss_init_sec_context(&minor, cred, &ctx, target, (gss_OID)gss_mech_krb5,
				     GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &out, NULL,
				     NULL);
	assert_int_equal(major, GSS_S_CONTINUE_NEEDED);
	assert_true(out.length > 64);
	struct buf *b = buf_new(out.length);
	memcpy(b->data, out.value, out.length);
	b->len = out.length;
	gss_release_buffer(&minor, &out);
	gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
	gss_release_name(&minor, &target);
	gss_release_cred(&minor, &cred);
	return b;
}

/* --- a) a token the GSS-API rejects ---------------------------------------------------- */

static void test_init_token_rejected(void **state)
{
	(void)state;
	struct rpctest_reply rep;

	/* alice's AP-REQ with the last byte of its authenticator (the end
	 * of the token) changed: MIT's acceptor refuses it and, the
	 * initiator having asked for mutual authentication, makes a
	 * KRB-ERROR token, which the reply must not carry. */
	struct buf *tok = alice_ap_req();
	tok->data[tok->len - 1] ^= 0x01;
	roundtrip(gss_null_call(0x49540001, RPC_GSS_VERSION, RPC_GSS_PROC_INIT, NULL, 0, tok->data,
				(uint32_t)tok->len),
		  &rep);
	expect_init_refused(&rep, GSS_S_FAILURE);
	rpctest_reply_release(&rep);
	buf_unref(tok);

	/* Bytes that are no GSS-API token at all (MIT's status for them is
	 * GSS_S_FAILURE too). */
	static const uint8_t junk[] = "not a context token";
	roundtrip(gss_null_call(0x49540002, RPC_GSS_VERSION, RPC_GSS_PROC_INIT, NULL, 0, junk,
				sizeof(junk)),
		  &rep);
	expect_init_refused(&rep, GSS_S_FAILURE);
	rpctest_reply_release(&rep);

	/* The server goes on making contexts. */
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "alice");
	assert_non_null(g);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_NONE), 0);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
}

/* --- b) CONTINUE_INIT of a context the server is not making ---------------------------- */

static void test_continue_init_unknown_handle(void **state)
{
	(void)state;
	struct rpctest_reply rep;
	static const uint8_t token[] = "a second token";

	/* A handle of the server's length that it never issued. */
	static const uint8_t never[16] = {0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef,
					  1, 2,	3, 4, 5,    6,	  7,	8};
	roundtrip(gss_null_call(0x49550001, RPC_GSS_VERSION, RPC_GSS_PROC_CONTINUE_INIT, never,
				sizeof(never), token, sizeof(token)),
		  &rep);
	assert_int_equal(expect_init_refused(&rep, GSS_S_NO_CONTEXT), 0);
	rpctest_reply_release(&rep);

	/* A handle of another length. */
	roundtrip(gss_null_call(0x49550002, RPC_GSS_VERSION, RPC_GSS_PROC_CONTINUE_INIT, never, 5,
				token, sizeof(token)),
		  &rep);
	assert_int_equal(expect_init_refused(&rep, GSS_S_NO_CONTEXT), 0);
	rpctest_reply_release(&rep);

	/* The handle of a context already made: there is nothing to go on
	 * with, and the context itself is left alone. */
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "alice");
	assert_non_null(g);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_NONE), 0);
	uint32_t hlen = 0;
	const uint8_t *h = rpc_gss_client_handle(g, &hlen);
	assert_int_equal(hlen, 16);
	roundtrip(gss_null_call(0x49550003, RPC_GSS_VERSION, RPC_GSS_PROC_CONTINUE_INIT, h, hlen,
				token, sizeof(token)),
		  &rep);
	assert_int_equal(expect_init_refused(&rep, GSS_S_NO_CONTEXT), 0);
	rpctest_reply_release(&rep);
	/* It still serves a call (an NFSv4 NULL under it). */
	struct rpc_gss_client_call info;
	struct buf *call, *raw = NULL;
	assert_int_equal(nfs4c_gss_build(fd, 0x49550004, NFS4_PROGRAM, NFS4_VERSION, 0, NULL, 0,
					 &call, &info),
			 0);
	assert_int_equal(nfs4c_rpc_raw(fd, call->data, call->len, RPCTEST_TIMEOUT_MS, &raw), 0);
	buf_unref(call);
	assert_int_equal(nfs4c_gss_reply(fd, &info, raw, &rep), 0);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(rep.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&rep);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
}

/* --- c) a version other than 1 --------------------------------------------------------- */

static void test_unsupported_version(void **state)
{
	(void)state;
	struct rpctest_reply rep;
	struct buf *tok = alice_ap_req();
	static const uint32_t versions[] = {0, 2};
	for (unsigned i = 0; i < 2; i++) {
		/* INIT with a good token. */
		roundtrip(gss_null_call(0x49560001 + i, versions[i], RPC_GSS_PROC_INIT, NULL, 0,
					tok->data, (uint32_t)tok->len),
			  &rep);
		expect_denied(&rep, RPC_AUTH_REJECTEDCRED);
		rpctest_reply_release(&rep);
		/* A DATA call naming some handle. */
		static const uint8_t handle[16] = {1};
		roundtrip(gss_null_call(0x49560011 + i, versions[i], RPC_GSS_PROC_DATA, handle,
					sizeof(handle), NULL, 0),
			  &rep);
		expect_denied(&rep, RPC_AUTH_REJECTEDCRED);
		rpctest_reply_release(&rep);
	}
	buf_unref(tok);
	/* Version 1 with an unknown gss procedure stays a bad credential. */
	roundtrip(gss_null_call(0x49560021, RPC_GSS_VERSION, 4, NULL, 0, NULL, 0), &rep);
	expect_denied(&rep, RPC_AUTH_BADCRED);
	rpctest_reply_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_token_rejected),
		cmocka_unit_test(test_continue_init_unknown_handle),
		cmocka_unit_test(test_unsupported_version),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
