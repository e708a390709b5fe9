/* SP4_MACH_CRED (RFC 8881 18.35.3) as the Linux client uses it under
 * Kerberos: EXCHANGE_ID under krb5i as the machine's principal
 * (host/localhost), asking that the client ID and its sessions be
 * managed by that principal only and that state may be given back under
 * it on any export.
 *
 *   - granted: SP4_MACH_CRED with the five management operations
 *     enforced, CLOSE and DELEGRETURN among those allowed;
 *   - asked under krb5 alone (no checksum binds the principal to the
 *     request): NFS4ERR_INVAL;
 *   - on an export of sec = krb5:sys, the machine's krb5i COMPOUND PUTFH,
 *     SAVEFH, CLOSE (the Linux client's has a GETATTR there) is served, where anyone else's
 *     (alice under krb5i, who asked for no protection) is NFS4ERR_WRONGSEC;
 *   - DESTROY_SESSION of the protected client's session by alice:
 *     NFS4ERR_WRONG_CRED; by the machine: done;
 *   - a connection the protected client did not bind with
 *     BIND_CONN_TO_SESSION: SEQUENCE on it is
 *     NFS4ERR_CONN_NOT_BOUND_TO_SESSION (RFC 8881 2.10.3.1: SEQUENCE binds
 *     a connection implicitly under SP4_NONE only), and served once the
 *     machine bound it. */
#include "proto/gss_fixture.h"

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

static void set_op(struct nfs4_bitmap *b, uint32_t op)
{
	b->w[op / 32] |= 1u << (op % 32);
}

/* EXCHANGE_ID asking for SP4_MACH_CRED as the Linux client does. */
static uint32_t exchange_mach(int fd, const char *name, struct nfs4_exchange_id_res *out)
{
	struct nfs4_exchange_id_args a = {.ownerid = nfs4_opaque_str(name)};
	memcpy(a.verifier.data, "verf0001", 8);
	a.state_protect.how = SP4_MACH_CRED;
	static const uint32_t enforce[] = {OP_BIND_CONN_TO_SESSION, OP_EXCHANGE_ID,
					   OP_CREATE_SESSION, OP_DESTROY_SESSION,
					   OP_DESTROY_CLIENTID};
	static const uint32_t allow[] = {OP_CLOSE, OP_OPEN_DOWNGRADE, OP_LOCKU, OP_DELEGRETURN,
					 OP_COMMIT, OP_SECINFO, OP_SECINFO_NO_NAME,
					 OP_TEST_STATEID, OP_FREE_STATEID, OP_WRITE};
	for (size_t i = 0; i < sizeof(enforce) / sizeof(enforce[0]); i++)
		set_op(&a.state_protect.ops.must_enforce, enforce[i]);
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		set_op(&a.state_protect.ops.must_allow, allow[i]);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	NFS4C_OP(&m, OP_EXCHANGE_ID, nfs4_enc_exchange_id_args, &a);
	nfs4c_send(fd, NULL, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_EXCHANGE_ID);
	if (s == NFS4_OK)
		assert_true(nfs4_dec_exchange_id_res(&p.d, out));
	nfs4c_done(&p);
	return s;
}

/* The machine's session on fd (under krb5i), SP4_MACH_CRED granted. */
static void machine_session(struct nfs4c_sess *s, int fd, const char *name)
{
	struct nfs4_exchange_id_res r;
	assert_int_equal(exchange_mach(fd, name, &r), NFS4_OK);
	assert_int_equal(r.state_protect.how, SP4_MACH_CRED);
	const struct nfs4_bitmap *enf = &r.state_protect.ops.must_enforce;
	assert_true(nfs4_bitmap_isset(enf, OP_CREATE_SESSION));
	assert_true(nfs4_bitmap_isset(enf, OP_DESTROY_SESSION));
	assert_true(nfs4_bitmap_isset(enf, OP_DESTROY_CLIENTID));
	assert_true(nfs4_bitmap_isset(enf, OP_BIND_CONN_TO_SESSION));
	assert_true(nfs4_bitmap_isset(&r.state_protect.ops.must_allow, OP_CLOSE));
	assert_true(nfs4_bitmap_isset(&r.state_protect.ops.must_allow, OP_DELEGRETURN));
	struct nfs4c_cs cs;
	assert_int_equal(nfs4c_create_session(fd, NULL, r.clientid, r.sequenceid, 0, NULL, &cs),
			 NFS4_OK);
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->clientid = r.clientid;
	memcpy(s->sid, cs.sid, sizeof(s->sid));
	s->nslots = cs.fore.maxreqs < NFS4C_MAX_SLOTS ? cs.fore.maxreqs : NFS4C_MAX_SLOTS;
	s->minor = 1;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, NULL, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_done(&p);
}

/* SEQUENCE, PUTFH fh, SAVEFH, CLOSE stateid: the status of the first
 * failing operation (or of CLOSE).  The Linux client puts a GETATTR
 * between PUTFH and CLOSE: what matters is that CLOSE does not follow the
 * put directly. */
static uint32_t putfh_getattr_close(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
				    const struct nfs4_stateid *sid)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	nfs4c_op(&m, OP_SAVEFH);
	nfs4c_close_op(&m, 0, sid);
	nfs4c_send(s->fd, NULL, &m, &p);
	uint32_t st = nfs4c_seq_result(&p, NULL);
	if (st == NFS4_OK)
		st = nfs4c_next(&p, OP_PUTFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&p, OP_SAVEFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&p, OP_CLOSE);
	nfs4c_done(&p);
	return st;
}

/* An open of name (created) by s through the export, under AUTH_SYS on
 * fd_sys: what the client's user did before its ticket expired. */
static struct dl_open open_as_sys(struct nfs4c_sess *s, int fd_sys, const char *name)
{
	int keep = s->fd;
	s->fd = fd_sys;
	s->cred = nfs4c_cred(0);
	struct dl_open o = dl_open(s, name, OPEN4_SHARE_ACCESS_READ, true);
	s->fd = keep;
	s->cred = NULL;
	return o;
}

static void test_machine_gives_state_back_anywhere(void **st)
{
	(void)st;
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *m = nfs4c_gss_login(fd, kdc.keytab, NULL, "host/localhost",
					   RPC_GSS_SVC_INTEGRITY);
	struct nfs4c_sess s;
	machine_session(&s, fd, "sp4-machine");
	/* The session's second connection, AUTH_SYS (the export takes sys):
	 * the file is opened there. */
	int fd_sys = nfs4c_connect(server.hostport);
	struct nfs4c_call bm;
	struct nfs4c_reply bp;
	nfs4c_begin(&bm, 1);
	nfs4c_op(&bm, OP_BIND_CONN_TO_SESSION);
	struct xdr_enc *e = &bm.e;
	xdr_encode_opaque_fixed(e, s.sid, 16);
	xdr_encode_u32(e, 1); /* CDFC4_FORE */
	xdr_encode_bool(e, false);
	/* BIND_CONN_TO_SESSION is enforced: from AUTH_SYS it is refused. */
	nfs4c_send(fd_sys, nfs4c_cred(0), &bm, &bp);
	assert_int_equal(nfs4c_next(&bp, OP_BIND_CONN_TO_SESSION), NFS4ERR_WRONG_CRED);
	nfs4c_done(&bp);
	/* The machine binds it (its context on that connection too); the
	 * open is then the user's, under AUTH_SYS, through the machine's
	 * session. */
	assert_int_equal(nfs4c_gss_attach(fd_sys, m, RPC_GSS_SVC_INTEGRITY), 0);
	uint32_t dir = 0;
	assert_int_equal(nfs4c_bind_conn(fd_sys, NULL, s.sid, CDFC4_FORE, &dir), NFS4_OK);
	nfs4c_gss_detach(fd_sys);
	struct dl_open o = open_as_sys(&s, fd_sys, "sp4-f");
	assert_int_equal(o.status, NFS4_OK);
	/* Given back by the machine under krb5i, which the export does not
	 * list: served, as the client's protection allows. */
	assert_int_equal(putfh_getattr_close(&s, o.fh, o.fhlen, &o.stateid), NFS4_OK);

	/* alice under krb5i asked for no protection: the same is WRONGSEC. */
	int fd_a = nfs4c_connect(server.hostport);
	struct rpc_gss_client *a = nfs4c_gss_login(fd_a, NULL, alice_cc, NULL, RPC_GSS_SVC_INTEGRITY);
	struct nfs4c_sess as;
	nfs4c_session_up(&as, fd_a, 4242, "sp4-alice", NULL);
	struct dl_open oa = open_as_sys(&as, fd_sys, "sp4-fa");
	assert_int_equal(oa.status, NFS4_OK);
	assert_int_equal(putfh_getattr_close(&as, oa.fh, oa.fhlen, &oa.stateid), NFS4ERR_WRONGSEC);

	/* alice may not end the machine's session; the machine may. */
	struct nfs4c_call dm;
	struct nfs4c_reply dp;
	nfs4c_begin(&dm, 1);
	nfs4c_destroy_session_op(&dm, s.sid);
	nfs4c_send(fd_a, NULL, &dm, &dp);
	assert_int_equal(nfs4c_next(&dp, OP_DESTROY_SESSION), NFS4ERR_WRONG_CRED);
	nfs4c_done(&dp);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);

	nfs4c_close(fd_sys);
	nfs4c_gss_detach(fd_a);
	nfs4c_close(fd_a);
	nfs4c_gss_detach(fd);
	nfs4c_close(fd);
	rpc_gss_client_free(a);
	rpc_gss_client_free(m);
}

static void test_unbound_connection_refused(void **st)
{
	(void)st;
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *m = nfs4c_gss_login(fd, kdc.keytab, NULL, "host/localhost",
						   RPC_GSS_SVC_INTEGRITY);
	struct nfs4c_sess s;
	machine_session(&s, fd, "sp4-bind");
	int fd2 = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_gss_attach(fd2, m, RPC_GSS_SVC_INTEGRITY), 0);

	struct nfs4c_call c;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &c, 0, false);
	nfs4c_send(fd2, NULL, &c, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_CONN_NOT_BOUND_TO_SESSION);
	nfs4c_done(&p);
	s.seq[0]--; /* the slot did not move */

	uint32_t dir = 0;
	assert_int_equal(nfs4c_bind_conn(fd2, NULL, s.sid, CDFC4_FORE, &dir), NFS4_OK);
	s.fd = fd2;
	nfs4c_ping(&s);
	s.fd = fd;
	nfs4c_ping(&s);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);

	nfs4c_gss_detach(fd2);
	nfs4c_close(fd2);
	nfs4c_gss_detach(fd);
	nfs4c_close(fd);
	rpc_gss_client_free(m);
}

static void test_mach_cred_needs_integrity(void **st)
{
	(void)st;
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *m =
		nfs4c_gss_login(fd, kdc.keytab, NULL, "host/localhost", RPC_GSS_SVC_NONE);
	struct nfs4_exchange_id_res r;
	assert_int_equal(exchange_mach(fd, "sp4-krb5-only", &r), NFS4ERR_INVAL);
	nfs4c_gss_detach(fd);
	nfs4c_close(fd);
	rpc_gss_client_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_gives_state_back_anywhere),
		cmocka_unit_test(test_mach_cred_needs_integrity),
		cmocka_unit_test(test_unbound_connection_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
