/* File delegations over NFSv4.0: granted once the CB_NULL probe of the
 * client's callback address answered, recalled over a connection ferryd
 * dials to that address (CB_RECALL with the client's callback_ident), and
 * returned with DELEGRETURN.  v4.0 has no session, so even the holder's own
 * REMOVE recalls its delegation. */
#include "proto/deleg_fixture.h"

static void test_v40_recall_dialled(void **st)
{
	(void)st;
	struct nfs4c_client40 a, b;
	struct nfs4c_cb sa, sb;
	struct nfs4c_cb_listener la, lb;
	dl_client40(&a, &sa, &la, "dl40-a", 930);
	dl_client40(&b, &sb, &lb, "dl40-b", 930);
	uint32_t seqa = 1, seqb = 1;
	struct nfs4c_open40 oa, ob;
	/* The callback engine dials v4.0 clients: a delegation must come
	 * once the probe answered. */
	assert_true(dl_open40_deleg(&a, "oa", &seqa, "f40", OPEN4_SHARE_ACCESS_READ, &oa));
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_RECALL, 0, &rec));
	assert_int_equal(rec.minor, 0);
	assert_int_equal(rec.callback_ident, DL_CB_IDENT);
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	assert_int_equal(dl_delegreturn40(&a, &oa), NFS4_OK);
	assert_int_equal(nfs4c_open40(&b, "ob", &seqb, "export", "f40",
				      OPEN4_SHARE_ACCESS_WRITE, false, &ob),
			 NFS4_OK);
	/* The holder's own REMOVE recalls its write delegation. */
	struct nfs4c_open40 ow;
	assert_true(dl_open40_deleg(&a, "oa", &seqa, "f40-own", OPEN4_SHARE_ACCESS_BOTH, &ow));
	assert_int_equal(ow.deleg.type, OPEN_DELEGATE_WRITE);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	NFS4C_OP(&m, OP_REMOVE, nfs4_enc_remove_args,
		 &(struct nfs4_name_args){nfs4_opaque_str("f40-own")});
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_DELAY);
	nfs4c_done(&p);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 2, 5000));
	assert_int_equal(dl_delegreturn40(&a, &ow), NFS4_OK);
	dl_client40_end(&a, &sa, &la);
	dl_client40_end(&b, &sb, &lb);
}

/* A v4.0 client whose callback service did not answer the first CB_NULL
 * (the Linux client's, say, busy or slow right after its mount): the path
 * is down, so no delegation; but the client's later activity makes ferryd
 * probe again, and once that probe is answered OPEN delegates. */
static void test_v40_first_probe_unanswered(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sa;
	struct nfs4c_cb_listener la;
	nfs4c_cb_init(&sa, NFS4C_CB_PROGRAM);
	sa.silent = true;
	assert_int_equal(nfs4c_cb_listen(&la, &sa), 0);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&a, fd, nfs4c_cred(931), "dl40-silent",
					   NFS4C_CB_PROGRAM, "tcp", la.uaddr, DL_CB_IDENT),
			 NFS4_OK);
	assert_true(nfs4c_cb_wait(&sa, 0, 1, 5000));
	uint32_t seq = 1;
	struct nfs4c_open40 o;
	/* Past the probe's timeout (300 ms): the path is down. */
	usleep(600 * 1000);
	assert_int_equal(nfs4c_open40(&a, "os", &seq, "export", "f40-silent",
				      OPEN4_SHARE_ACCESS_READ, true, &o),
			 NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE);
	sa.silent = false;
	assert_true(dl_open40_deleg(&a, "os", &seq, "f40-silent", OPEN4_SHARE_ACCESS_READ, &o));
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	assert_true(nfs4c_cb_count(&sa, 0) >= 2);
	assert_int_equal(dl_delegreturn40(&a, &o), NFS4_OK);
	dl_client40_end(&a, &sa, &la);
}

/* The callback address refuses connections at first (the service is not
 * listening yet) and listens later: the same, by RENEW alone. */
static void test_v40_listener_late(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sa;
	struct nfs4c_cb_listener la;
	nfs4c_cb_init(&sa, NFS4C_CB_PROGRAM);
	assert_int_equal(nfs4c_cb_bind(&la, &sa), 0);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&a, fd, nfs4c_cred(932), "dl40-late",
					   NFS4C_CB_PROGRAM, "tcp", la.uaddr, DL_CB_IDENT),
			 NFS4_OK);
	uint32_t seq = 1;
	struct nfs4c_open40 o;
	/* The refused dial fails the probe at once; an OPEN after it gets
	 * no delegation. */
	usleep(300 * 1000);
	assert_int_equal(nfs4c_open40(&a, "ol", &seq, "export", "f40-late",
				      OPEN4_SHARE_ACCESS_READ, true, &o),
			 NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE);
	assert_int_equal(nfs4c_cb_count(&sa, 0), 0);
	assert_int_equal(nfs4c_cb_listen_start(&la), 0);
	/* RENEWs only, for up to 3 s: the probe they bring must arrive. */
	bool probed = false;
	for (uint64_t end = dl_now_ms() + 3000; !probed && dl_now_ms() < end;) {
		assert_int_equal(dl_renew40(&a), NFS4_OK);
		probed = nfs4c_cb_wait(&sa, 0, 1, 100);
	}
	assert_true(probed);
	assert_true(dl_open40_deleg(&a, "ol", &seq, "f40-late", OPEN4_SHARE_ACCESS_READ, &o));
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(dl_delegreturn40(&a, &o), NFS4_OK);
	dl_client40_end(&a, &sa, &la);
}

/* The client changes its callback (SETCLIENTID again, same verifier) while
 * the probe of the old address is still out: the new address must get a
 * probe of its own at once, and the old probe's late failure must not
 * count for it. */
static void test_v40_callback_changed_during_probe(void **st)
{
	(void)st;
	struct nfs4c_client40 a;
	struct nfs4c_cb sold, snew;
	struct nfs4c_cb_listener lold, lnew;
	nfs4c_cb_init(&sold, NFS4C_CB_PROGRAM);
	nfs4c_cb_init(&snew, NFS4C_CB_PROGRAM);
	sold.silent = true;
	assert_int_equal(nfs4c_cb_listen(&lold, &sold), 0);
	assert_int_equal(nfs4c_cb_listen(&lnew, &snew), 0);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&a, fd, nfs4c_cred(933), "dl40-moved",
					   NFS4C_CB_PROGRAM, "tcp", lold.uaddr, DL_CB_IDENT),
			 NFS4_OK);
	uint64_t id = a.clientid;
	assert_true(nfs4c_cb_wait(&sold, 0, 1, 5000));
	/* The old probe waits for its answer (300 ms timeout) meanwhile. */
	assert_int_equal(nfs4c_setclientid(&a, fd, nfs4c_cred(933), "dl40-moved",
					   NFS4C_CB_PROGRAM, "tcp", lnew.uaddr, DL_CB_IDENT),
			 NFS4_OK);
	assert_true(a.clientid == id); /* a callback update, not a new client */
	/* No request of the client's in between: this probe is the update's. */
	assert_true(nfs4c_cb_wait(&snew, 0, 1, 2000));
	usleep(500 * 1000); /* the old probe has failed by now */
	uint32_t seq = 1;
	struct nfs4c_open40 o;
	assert_int_equal(nfs4c_open40(&a, "om", &seq, "export", "f40-moved",
				      OPEN4_SHARE_ACCESS_READ, true, &o),
			 NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(dl_delegreturn40(&a, &o), NFS4_OK);
	nfs4c_close(a.fd);
	nfs4c_cb_listen_stop(&lold);
	nfs4c_cb_listen_stop(&lnew);
	nfs4c_cb_destroy(&sold);
	nfs4c_cb_destroy(&snew);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v40_recall_dialled),
		cmocka_unit_test(test_v40_first_probe_unanswered),
		cmocka_unit_test(test_v40_listener_late),
		cmocka_unit_test(test_v40_callback_changed_during_probe),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
