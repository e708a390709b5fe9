/* NLM locks on a ceph export are CephFS record locks too: two ferryd heads
 * exporting the same CephFS directory; an NLM lock through one head is
 * refused through the other (TEST names another server, LOCK is DENIED or,
 * blocking, BLOCKED without waiting there), UNLOCK and FREE_ALL let go of
 * it in CephFS.  An NLM lock goes over an in-place upgrade of its head
 * held in CephFS all along.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"
#include "lib/ctl_test.h"
#include "nlm/nlm_client.h"

static struct ferryd_proc head_b;

static int nlm_setup(void **st)
{
	if (ceph_setup(st) != 0)
		return -1;
	char conf[300], state[300];
	snprintf(conf, sizeof(conf), "%s/ferry-b.conf", dl_dir);
	snprintf(state, sizeof(state), "%s/state-b", dl_dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = 4\n"
		"[export e]\nbackend = ceph\npath = %s\npseudo = /export\nceph_conf = %s\n"
		"ceph_id = %s\nsquash = none\n",
		ceph_dir, ceph_conf, ceph_id);
	fclose(f);
	const char *args[] = {"--config", conf, "--state-dir", state, NULL};
	return ferryd_start(&head_b, args);
}

static int nlm_teardown(void **st)
{
	int rc = ferryd_stop(&head_b);
	return dl_teardown(st) | rc;
}

static void test_two_heads(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	share_client_at(&a, &sa, server.hostport, "nlm-head-a", 970);
	share_client_at(&b, &sb, head_b.hostport, "nlm-head-b", 971);
	struct dl_open oa = dl_open(&a, "nlm-two-heads", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct dl_open ob = dl_open(&b, "nlm-two-heads", BOTH, false);
	assert_int_equal(ob.status, NFS4_OK);
	struct file fa = {.fhlen = oa.fhlen}, fb = {.fhlen = ob.fhlen};
	memcpy(fa.fh, oa.fh, oa.fhlen);
	memcpy(fb.fh, ob.fh, ob.fhlen);
	int fda = rpctest_connect(server.hostport), fdb = rpctest_connect(head_b.hostport);

	struct nlm4_lock la = mk_lock("client-a", 1, &fa, 0, 10);
	struct nlm4_lock lb = mk_lock("client-b", 2, &fb, 5, 10);
	assert_int_equal(nlm_lock(fda, &la, true, false), NLM4_GRANTED);
	struct nlm4_holder h = {0};
	uint8_t oh[1024];
	assert_int_equal(nlm_test(fdb, &lb, true, &h, oh), NLM4_DENIED);
	assert_int_equal(h.svid, 0);
	assert_int_equal(h.offset, 0);
	assert_int_equal(h.len, 10);
	assert_true(h.oh.len > 0 && memcmp(h.oh.data, "another server", 14) == 0);
	assert_int_equal(nlm_lock(fdb, &lb, true, false), NLM4_DENIED);
	assert_int_equal(nlm_lock(fdb, &lb, true, true), NLM4_BLOCKED);
	/* Head B's table holds nothing for it: it did not wait there. */
	assert_int_equal(nlm_unlock(fda, &la), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fdb, &lb, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fda, &la, false, false), NLM4_DENIED);

	/* FREE_ALL of B's host lets go of its lock in CephFS too. */
	nlm_free_all(fdb, "client-b");
	uint32_t s = NLM4_DENIED;
	for (int i = 0; i < 100 && s != NLM4_GRANTED; i++) {
		s = nlm_lock(fda, &la, true, false);
		if (s != NLM4_GRANTED)
			usleep(50000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fda, &la), NLM4_GRANTED);
	close(fda);
	close(fdb);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	assert_int_equal(dl_on(&b, ob.fh, ob.fhlen, OP_CLOSE, add_close, &ob.stateid), NFS4_OK);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);
}

/* An NLM lock on a ceph export goes over an in-place upgrade (before, a
 * lock held in CephFS kept NLM's locks from going over: the old ferryd's
 * CephFS session let go of it and its host had to reclaim it): the other
 * head is refused the range before and after, the upgraded head's table
 * still knows the holder, another host locks another range at once (no
 * grace period), and the UNLOCK after the upgrade lets go of the range in
 * CephFS. */
static void test_upgrade_keeps_lock(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	share_client_at(&a, &sa, server.hostport, "nlm-upgrade-a", 972);
	share_client_at(&b, &sb, head_b.hostport, "nlm-upgrade-b", 973);
	struct dl_open oa = dl_open(&a, "nlm-upgraded", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct dl_open ob = dl_open(&b, "nlm-upgraded", BOTH, false);
	assert_int_equal(ob.status, NFS4_OK);
	struct file f = {.fhlen = oa.fhlen}, fb = {.fhlen = ob.fhlen};
	memcpy(f.fh, oa.fh, oa.fhlen);
	memcpy(fb.fh, ob.fh, ob.fhlen);
	int fda = rpctest_connect(server.hostport), fdb = rpctest_connect(head_b.hostport);
	struct nlm4_lock la = mk_lock("upgrade-a", 1, &f, 0, 10);
	struct nlm4_lock lb = mk_lock("upgrade-b", 2, &fb, 0, 10);
	assert_int_equal(nlm_lock(fda, &la, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fdb, &lb, true, false), NLM4_DENIED);
	/* A blocking LOCK the storage refuses (the other head's lock) is
	 * answered BLOCKED and not kept: the client asks again.  Nothing of
	 * it keeps NLM's locks from going over. */
	struct nlm4_lock held_b = mk_lock("upgrade-b", 2, &fb, 50, 10);
	struct nlm4_lock waiting = mk_lock("upgrade-c", 3, &f, 50, 10);
	assert_int_equal(nlm_lock(fdb, &held_b, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fda, &waiting, true, true), NLM4_BLOCKED);

	ctlt_upgrade(&server);
	assert_true(ferryd_log_has(&server, "nlm: carried over 1 lock(s)"));
	assert_false(ferryd_log_has(&server, "NLM locks are not handed over"));
	assert_int_equal(nlm_lock(fda, &waiting, true, true), NLM4_BLOCKED);
	assert_int_equal(nlm_unlock(fdb, &held_b), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fda, &waiting, true, true), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fda, &waiting), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fdb, &lb, true, false), NLM4_DENIED);
	struct nlm4_holder h = {0};
	uint8_t oh[1024];
	struct nlm4_lock other_host = mk_lock("upgrade-c", 3, &f, 5, 1);
	assert_int_equal(nlm_test(fda, &other_host, true, &h, oh), NLM4_DENIED);
	assert_int_equal(h.svid, 1);
	struct nlm4_lock apart = mk_lock("upgrade-c", 3, &f, 100, 10);
	assert_int_equal(nlm_lock(fda, &apart, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fda, &apart), NLM4_GRANTED);

	assert_int_equal(nlm_unlock(fda, &la), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fdb, &lb, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fdb, &lb), NLM4_GRANTED);
	close(fda);
	close(fdb);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	assert_int_equal(dl_on(&b, ob.fh, ob.fhlen, OP_CLOSE, add_close, &ob.stateid), NFS4_OK);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_nlm"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_heads),
		cmocka_unit_test(test_upgrade_keeps_lock),
	};
	return cmocka_run_group_tests(tests, nlm_setup, nlm_teardown);
}
