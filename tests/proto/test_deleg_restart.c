/* Delegations across a ferryd restart: the client reclaims its write
 * delegation (and a read one with delegated timestamps) with
 * CLAIM_PREVIOUS in the grace period, and the reclaimed
 * delegation is recalled like any other. */
#include "proto/deleg_fixture.h"

static void test_reclaim_after_restart(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-restart", 920);
	struct dl_open o = dl_open(&a, "f-restart", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	/* And a read delegation with delegated timestamps (RFC 9754). */
	const uint32_t rd_ts = OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS;
	struct dl_open ots = dl_open(&a, "f-restart-ts", rd_ts, true);
	assert_int_equal(ots.deleg.type, OPEN_DELEGATE_READ_ATTRS_DELEG);
	dl_client_end(&a, &sa);
	assert_int_equal(ferryd_stop(&server), 0);
	assert_int_equal(dl_start(), 0);

	/* The same client (name and verifier) comes back in grace. */
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(&sa, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &sa);
	nfs4c_bg_start(fd);
	nfs4c_session_up_flags(&a, fd, 920, "dl-restart", NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	struct nfs4_open_claim prev = {.type = CLAIM_PREVIOUS, .delegate_type = OPEN_DELEGATE_WRITE};
	struct dl_open r = dl_open_claim(&a, NULL, OPEN4_SHARE_ACCESS_BOTH, false, &prev, o.fh,
					 o.fhlen);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_WRITE);
	/* The timestamps delegation comes back as what it was. */
	struct nfs4_open_claim prev_ts = {.type = CLAIM_PREVIOUS,
					  .delegate_type = OPEN_DELEGATE_READ_ATTRS_DELEG};
	struct dl_open rts = dl_open_claim(&a, NULL, rd_ts, false, &prev_ts, ots.fh, ots.fhlen);
	assert_int_equal(rts.status, NFS4_OK);
	assert_int_equal(rts.deleg.type, OPEN_DELEGATE_READ_ATTRS_DELEG);
	dl_reclaim_complete(&a);
	/* After grace, a second OPEN gets the same delegation. */
	uint64_t end = dl_now_ms() + 15000;
	struct dl_open again;
	while ((again = dl_open(&a, "f-restart", OPEN4_SHARE_ACCESS_BOTH, false)).status ==
		       NFS4ERR_GRACE &&
	       dl_now_ms() < end)
		usleep(200 * 1000);
	assert_int_equal(again.status, NFS4_OK);
	assert_int_equal(again.deleg.type, OPEN_DELEGATE_WRITE);
	assert_memory_equal(again.deleg.stateid.other, r.deleg.stateid.other, NFS4_OTHER_SIZE);

	/* Another client's OPEN recalls it. */
	struct nfs4c_sess b;
	struct nfs4c_cb sb;
	int fdb = nfs4c_connect(server.hostport);
	nfs4c_cb_init(&sb, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fdb, &sb);
	nfs4c_bg_start(fdb);
	nfs4c_session_up(&b, fdb, 921, "dl-restart-b", NULL);
	assert_int_equal(dl_open(&b, "f-restart", OPEN4_SHARE_ACCESS_READ, false).status,
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &r.deleg.stateid));
	assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
	assert_int_equal(dl_open(&b, "f-restart", OPEN4_SHARE_ACCESS_READ, false).status, NFS4_OK);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_after_restart),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
