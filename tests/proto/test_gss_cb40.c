/* NFSv4.0 callbacks under RPCSEC_GSS (RFC 7530 3.3.3): a v4.0 client that
 * set its client ID up under Kerberos as its machine's principal
 * (host/localhost) gets its callbacks under Kerberos too: ferryd makes a
 * context of its own, as its own principal (the first key of its keytab,
 * nfs/localhost), with the client's callback service nfs@localhost, on the
 * address the client gave; the test's callback service accepts it with an
 * acceptor of its own.  The probe (CB_NULL) and the CB_RECALL of the
 * client's read delegation arrive under that context.
 *
 * And no silent downgrade: a v4.0 client whose principal is a user's
 * (alice, no host to name a callback service by) gets no callback at all,
 * in no flavor, and so no delegation. */
#include "proto/gss_fixture.h"

#include "rpc/gss/gss_server.h"

enum { IDENT = 0x4747 };

static char alice_cc[320];

static int setup(void **st)
{
	(void)st;
	return gss_server_up("krb5:sys", 1000, alice_cc, sizeof(alice_cc));
}

static int teardown(void **st)
{
	(void)st;
	return gss_server_down();
}

/* A v4.0 client under RPCSEC_GSS (krb5) as principal (NULL: the ccache's),
 * with a callback listener whose service accepts RPCSEC_GSS contexts with
 * the fixture's service keys. */
static struct rpc_gss_client *gss_client40(struct nfs4c_client40 *c, struct nfs4c_cb *svc,
					   struct nfs4c_cb_listener *l, const char *id,
					   const char *keytab, const char *ccache,
					   const char *principal)
{
	char err[256];
	struct rpc_gss_options o = {.keytab = kdc.keytab};
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	svc->acceptor = rpc_gss_server_create(&o, err, sizeof(err));
	if (!svc->acceptor)
		fail_msg("acceptor: %s", err);
	assert_int_equal(nfs4c_cb_listen(l, svc), 0);
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g = nfs4c_gss_login(fd, keytab, ccache, principal, RPC_GSS_SVC_NONE);
	assert_int_equal(nfs4c_setclientid(c, fd, nfs4c_cred(1), id, NFS4C_CB_PROGRAM, "tcp",
					   l->uaddr, IDENT),
			 NFS4_OK);
	return g;
}

static void gss_client40_end(struct nfs4c_client40 *c, struct nfs4c_cb *svc,
			     struct nfs4c_cb_listener *l, struct rpc_gss_client *g)
{
	nfs4c_gss_detach(c->fd);
	nfs4c_close(c->fd);
	nfs4c_cb_listen_stop(l);
	rpc_gss_server_destroy(svc->acceptor);
	nfs4c_cb_destroy(svc);
	rpc_gss_client_free(g);
}

/* Records of opnum (0: CB_NULL) that came under RPCSEC_GSS and were
 * answered. */
static unsigned gss_calls(struct nfs4c_cb *svc, uint32_t opnum)
{
	unsigned n = 0;
	struct nfs4c_cb_rec r;
	for (unsigned i = 0; nfs4c_cb_get(svc, opnum, i, &r); i++)
		n += r.cred_flavor == RPC_AUTH_GSS && r.status == NFS4_OK;
	return n;
}

static void test_v40_callbacks_under_gss(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sa;
	struct nfs4c_cb_listener la;
	struct rpc_gss_client *g =
		gss_client40(&a, &sa, &la, "gss40-a", kdc.keytab, NULL, "host/localhost");
	/* The probe, under the server's own context. */
	assert_true(nfs4c_cb_wait(&sa, 0, 1, 5000));
	assert_true(gss_calls(&sa, 0) >= 1);

	uint32_t seqa = 1;
	struct nfs4c_open40 oa;
	assert_true(dl_open40_deleg(&a, "oa", &seqa, "f-gss40", OPEN4_SHARE_ACCESS_READ, &oa));
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);

	/* Another client wants to write: under AUTH_SYS as the file's owner
	 * (a's machine principal maps to the anonymous user, who made it).
	 * The recall goes under Kerberos. */
	int fdb = nfs4c_connect(server.hostport);
	struct nfs4c_client40 b;
	assert_int_equal(nfs4c_setclientid(&b, fdb, nfs4c_cred(65534), "gss40-b", NFS4C_CB_PROGRAM,
					   "tcp", NULL, IDENT),
			 NFS4_OK);
	uint32_t seqb = 1;
	struct nfs4c_open40 ob;
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f-gss40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_int_equal(gss_calls(&sa, OP_CB_RECALL), 1);
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, oa.fh, oa.fhlen);
	NFS4C_OP(&m, OP_DELEGRETURN, nfs4_enc_delegreturn_args,
		 &(struct nfs4_stateid_args){oa.deleg.stateid});
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_DELEGRETURN), NFS4_OK);
	nfs4c_done(&p);
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f-gss40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4_OK);
	nfs4c_close(fdb);
	gss_client40_end(&a, &sa, &la, g);
}

static void test_v40_user_principal_gets_no_callbacks(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sa;
	struct nfs4c_cb_listener la;
	struct rpc_gss_client *g = gss_client40(&a, &sa, &la, "gss40-alice", NULL, alice_cc, NULL);
	uint32_t seqa = 1;
	struct nfs4c_open40 oa;
	assert_false(dl_open40_deleg(&a, "oa", &seqa, "f-alice40", OPEN4_SHARE_ACCESS_READ, &oa));
	/* Not under AUTH_NONE or AUTH_SYS instead: nothing came at all. */
	struct nfs4c_cb_rec r;
	assert_false(nfs4c_cb_get(&sa, 0, 0, &r));
	assert_false(nfs4c_cb_get(&sa, OP_CB_RECALL, 0, &r));
	gss_client40_end(&a, &sa, &la, g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v40_callbacks_under_gss),
		cmocka_unit_test(test_v40_user_principal_gets_no_callbacks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
