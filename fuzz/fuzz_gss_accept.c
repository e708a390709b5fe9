/* libFuzzer target: RPCSEC_GSS as the server reads it (rpc/gss/
 * gss_server.h): a whole call, from its xid, through the call-header
 * decoder and, when its credential is RPCSEC_GSS, rpc_gss_accept with a
 * real acceptor.  The acceptor's key is random, in a memory keytab made
 * at start-up, so the tokens of INIT and CONTINUE_INIT reach MIT's
 * gss_accept_sec_context and the handles of DATA and DESTROY the context
 * table; no context ever completes (nobody has the key), which is what an
 * attacker without a ticket faces.
 *
 * Beyond "no sanitizer report": a call served has its arguments within
 * the input; an answered control call left a reply that begins with the
 * call's xid; the table never holds more than its cap. */
#include "fuzz_codec.h"
#include "fuzz_keytab.h"

#include <stdio.h>
#include <stdlib.h>

#include "rpc/gss/gss_server.h"
#include "rpc/rpc_msg.h"

enum { CAP = 64 };

static struct rpc_gss_server *acceptor(void)
{
	static struct rpc_gss_server *s;
	if (s)
		return s;
	char err[256];
	struct rpc_gss_options o = {.keytab = fuzz_keytab(), .max_contexts = CAP};
	s = rpc_gss_server_create(&o, err, sizeof(err));
	if (!s)
		fprintf(stderr, "fuzz_gss_accept: %s\n", err);
	CHECK(s != NULL);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct rpc_gss_server *s = acceptor();
	struct xdr_dec d;
	xdr_dec_init(&d, in, n);
	uint32_t xid, type;
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	enum rpc_auth_stat why = RPC_AUTH_OK;
	if (!rpc_decode_msg_start(&d, &xid, &type) || type != RPC_MSG_CALL)
		return 0;
	hdr.xid = xid;
	if (rpc_decode_call(&d, &hdr, &cred, &why) != RPC_CALL_OK || hdr.cred_flavor != RPC_AUTH_GSS)
		return 0;
	struct xdr_enc reply;
	CHECK(xdr_enc_init(&reply, 256, 1u << 20));
	struct rpc_gss_call *call = NULL;
	enum rpc_gss_verdict v = rpc_gss_accept(s, &hdr, in, &d, &cred, &call, &reply, &why);
	switch (v) {
	case RPC_GSS_SERVE:
		CHECK(call != NULL);
		/* The arguments are the input's (krb5) or the decrypted copy's. */
		CHECK(d.p <= d.end);
		break;
	case RPC_GSS_ANSWERED:
		CHECK(reply.buf->len >= 4 && xdr_get_be32(reply.buf->data) == xid);
		break;
	case RPC_GSS_REJECT:
		CHECK(why != RPC_AUTH_OK);
		break;
	default:
		break;
	}
	rpc_gss_call_release(call);
	xdr_enc_release(&reply);
	struct rpc_gss_stats st;
	rpc_gss_server_stats(s, &st);
	CHECK(st.contexts <= CAP);
	return 0;
}
