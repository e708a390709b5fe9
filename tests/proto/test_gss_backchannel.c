/* Callbacks under RPCSEC_GSS (RFC 8881 2.10.8.2): a v4.1 client, alice
 * under krb5i, gives BACKCHANNEL_CTL its own context for the back channel
 * (the server's handle for it, a handle of the client's, the service);
 * the server's probe and its CB_RECALL of alice's read delegation then
 * come under that context, checked and answered through it by the test
 * client; the delegation goes back and the writer gets the file.
 *
 * And what must not happen: BACKCHANNEL_CTL naming a context the server
 * does not have is NFS4ERR_NOENT, and a client whose only callback
 * security is a context that is gone (destroyed) gets no callback in
 * another flavor: no delegation either. */
#include "proto/gss_fixture.h"

#include "lib/ctl_test.h"

static const uint32_t RD = OPEN4_SHARE_ACCESS_READ;
static const uint32_t BOTH = OPEN4_SHARE_ACCESS_BOTH;
static const char CB_HANDLE[] = "alice-callbacks"; /* gcbp_handle_from_client */

static char ccache[320];

static int setup(void **st)
{
	(void)st;
	return gss_server_up("krb5i:sys", 500, ccache, sizeof(ccache));
}

static int teardown(void **st)
{
	(void)st;
	return gss_server_down();
}

/* BACKCHANNEL_CTL with one RPCSEC_GSS entry: the server's handle
 * from_server, CB_HANDLE, service. */
static uint32_t backchannel_gss(struct nfs4c_sess *s, const uint8_t *from_server, uint32_t len,
				uint32_t service)
{
	struct nfs4_cb_sec_parms gss = {
		.flavor = RPCSEC_GSS,
		.gss_service = service,
		.gss_handle_from_server = {from_server, len},
		.gss_handle_from_client = {(const uint8_t *)CB_HANDLE, sizeof(CB_HANDLE) - 1},
	};
	return nfs4c_backchannel_ctl_parms(s, NFS4C_CB_PROGRAM, &gss, 1);
}

/* alice's client: a context of her own on a connection that is also the
 * session's back channel, served in the background. */
static struct rpc_gss_client *alice_client(struct nfs4c_sess *s, struct nfs4c_cb *svc,
					   const char *name)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	struct rpc_gss_client *g = nfs4c_gss_login(fd, NULL, ccache, NULL, RPC_GSS_SVC_INTEGRITY);
	nfs4c_bg_start(fd);
	nfs4c_session_up_minor_flags(s, 1, fd, 1, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_done(&p);
	return g;
}

static unsigned gss_records(struct nfs4c_cb *svc, uint32_t opnum, uint32_t status)
{
	unsigned n = 0;
	struct nfs4c_cb_rec r;
	for (unsigned i = 0; nfs4c_cb_get(svc, opnum, i, &r); i++)
		n += r.cred_flavor == RPC_AUTH_GSS && r.status == status;
	return n;
}

static void test_recall_over_gss_back_channel(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct rpc_gss_client *g = alice_client(&a, &sa, "gss-cb-a");
	uint32_t hlen;
	const uint8_t *h = rpc_gss_client_handle(g, &hlen);
	assert_true(hlen > 0);

	/* A handle the server never gave: nothing to call back with. */
	uint8_t bogus[16] = {0xde, 0xad};
	assert_int_equal(backchannel_gss(&a, bogus, sizeof(bogus), RPC_GSS_SVC_INTEGRITY),
			 NFS4ERR_NOENT);
	/* alice's own context, under krb5i: the server probes through it. */
	assert_int_equal(backchannel_gss(&a, h, hlen, RPC_GSS_SVC_INTEGRITY), NFS4_OK);
	uint64_t end = dl_now_ms() + 5000;
	while (gss_records(&sa, OP_CB_SEQUENCE, NFS4_OK) == 0 && dl_now_ms() < end)
		usleep(20 * 1000);
	assert_true(gss_records(&sa, OP_CB_SEQUENCE, NFS4_OK) > 0);
	dl_wait_path_up(&a, "gss-cb-a");

	dl_client(&b, &sb, "gss-cb-b", 902); /* AUTH_SYS: the export takes sys too */
	struct dl_open oa = dl_open(&a, "f-gss", RD, true);
	assert_int_equal(oa.status, NFS4_OK);
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);
	unsigned recalls_before = gss_records(&sa, OP_CB_RECALL, NFS4_OK);
	assert_int_equal(dl_open(&b, "f-gss", BOTH, false).status, NFS4ERR_DELAY);
	end = dl_now_ms() + 5000;
	while (gss_records(&sa, OP_CB_RECALL, NFS4_OK) == recalls_before && dl_now_ms() < end)
		usleep(20 * 1000);
	/* The recall came under RPCSEC_GSS, verified by alice's context. */
	assert_int_equal(gss_records(&sa, OP_CB_RECALL, NFS4_OK), recalls_before + 1);
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), recalls_before + 1);
	assert_int_equal(dl_delegreturn(&a, &oa), NFS4_OK);
	assert_int_equal(dl_open(&b, "f-gss", BOTH, false).status, NFS4_OK);

	dl_client_end(&b, &sb);
	nfs4c_gss_detach(a.fd);
	dl_client_end(&a, &sa);
	rpc_gss_client_free(g);
}

/* The back channel's context destroyed: the server has nothing the client
 * allowed to call back with, so no callback goes (in no other flavor)
 * and no delegation is granted. */
static void test_gone_context_means_no_callbacks(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	struct rpc_gss_client *cb_ctx = alice_client(&a, &sa, "gss-cb-gone");
	/* The probe of the session's back channel, made when it was made, is
	 * let arrive first: in a loaded run it came after the count below
	 * was taken, and was counted as a callback after the context went. */
	assert_true(nfs4c_cb_wait(&sa, OP_CB_SEQUENCE, 1, 5000));
	/* A second context of alice's, given for callbacks, then destroyed
	 * on a connection of its own. */
	int fd2 = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g2 =
		nfs4c_gss_login(fd2, NULL, ccache, NULL, RPC_GSS_SVC_INTEGRITY);
	uint32_t hlen;
	const uint8_t *h = rpc_gss_client_handle(g2, &hlen);
	uint8_t handle[RPC_GSS_HANDLE_MAX];
	memcpy(handle, h, hlen);
	assert_int_equal(backchannel_gss(&a, handle, hlen, RPC_GSS_SVC_INTEGRITY), NFS4_OK);
	assert_int_equal(nfs4c_gss_destroy(fd2), 0);
	nfs4c_close(fd2);
	unsigned calls_before = nfs4c_cb_count(&sa, OP_CB_SEQUENCE);
	/* Whatever the server tries now cannot reach alice: no delegation. */
	for (int i = 0; i < 5; i++) {
		struct dl_open o = dl_open(&a, "f-gone", RD, true);
		assert_int_equal(o.status, NFS4_OK);
		assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE);
		usleep(100 * 1000);
	}
	/* No callback arrived in any flavor after the context went. */
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_SEQUENCE), calls_before);
	nfs4c_gss_detach(a.fd);
	dl_client_end(&a, &sa);
	rpc_gss_client_free(g2);
	rpc_gss_client_free(cb_ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_over_gss_back_channel),
		cmocka_unit_test(test_gone_context_means_no_callbacks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
