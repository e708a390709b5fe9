/* Directory delegations, recall-only (RFC 8881 10.9, 18.39): who gets one,
 * which changes by another client recall it (the change waits with
 * NFS4ERR_DELAY), that the holder's own changes never do, and that they
 * end like file delegations (DELEGRETURN, revocation and FREE_STATEID,
 * DESTROY_CLIENTID), with the counters moving. */
#include "lib/ctl_test.h"
#include "proto/dirdeleg_fixture.h"

static const uint32_t ALL_NOTIFY =
	(1u << NOTIFY4_CHANGE_CHILD_ATTRS) | (1u << NOTIFY4_CHANGE_DIR_ATTRS) |
	(1u << NOTIFY4_REMOVE_ENTRY) | (1u << NOTIFY4_ADD_ENTRY) |
	(1u << NOTIFY4_RENAME_ENTRY) | (1u << NOTIFY4_CHANGE_COOKIE_VERIFIER);

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("");
}

static double metric_delta(const char *before, const char *after, const char *series)
{
	return ctlt_metric(after, series) - ctlt_metric(before, series);
}

/* GDD4_UNAVAIL for a client without a back channel, NFS4ERR_NOTDIR for a
 * file; a recall-only grant for a client that asked for nothing. */
static void test_grant_and_refusals(void **st)
{
	(void)st;
	struct nfs4c_sess a, n;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dd-grant-a", 1001);
	struct dd_fh dir = dd_mkdir(&a, "d-grant");

	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get(&a, &dir, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	assert_int_equal(r.notification.w[0], 0);
	/* Asked again: the same delegation. */
	struct nfs4_get_dir_delegation_res again;
	assert_int_equal(dd_get(&a, &dir, 0, &again), NFS4_OK);
	assert_int_equal(again.status, GDD4_OK);
	assert_memory_equal(again.stateid.other, r.stateid.other, NFS4_OTHER_SIZE);

	/* A client with no back channel cannot be recalled: none, and no
	 * promise to tell it later. */
	int fd = nfs4c_connect(server.hostport);
	nfs4c_session_up_flags(&n, fd, 1002, "dd-grant-n", NULL, 0);
	struct nfs4_get_dir_delegation_res u;
	memset(&u, 0xff, sizeof(u));
	assert_int_equal(dd_get_full(&n, &dir, 0, NULL, NULL, 0, &u), NFS4_OK);
	assert_int_equal(u.status, GDD4_UNAVAIL);
	assert_false(u.will_signal_deleg_avail);
	nfs4c_close(fd);

	struct dl_open f = dl_open(&a, "plain-file", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(f.status, NFS4_OK);
	struct dd_fh file = {.len = f.fhlen};
	memcpy(file.fh, f.fh, f.fhlen);
	assert_int_equal(dd_get(&a, &file, 0, &u), NFS4ERR_NOTDIR);
	/* Arguments cut short: the protocol's error, nothing granted. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&a, &m, 0, false);
	nfs4c_putfh(&m, dir.fh, dir.len);
	nfs4c_op(&m, OP_GET_DIR_DELEGATION);
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GET_DIR_DELEGATION), NFS4ERR_BADXDR);
	nfs4c_done(&p);
	assert_int_equal(dd_return(&a, &dir, &r.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* One change by b in a's delegated directory: NFS4ERR_DELAY and a
 * CB_RECALL naming the directory, the retry passes once a returned it. */
static void recall_case(struct nfs4c_sess *a, struct nfs4c_cb *sa, struct nfs4c_sess *b,
			const struct dd_fh *dir, uint32_t notify, const struct dd_fh *on,
			uint32_t opnum, dl_op_fn add, const void *arg)
{
	struct nfs4_stateid sid = dd_grant(a, dir, notify);
	unsigned before = nfs4c_cb_count(sa, OP_CB_RECALL);
	assert_int_equal(dd_on(b, on, opnum, add, arg), NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(sa, OP_CB_RECALL, before + 1, 5000));
	assert_true(nfs4c_cb_recalled(sa, &sid));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(sa, OP_CB_RECALL, before, &rec));
	assert_int_equal(rec.fhlen, dir->len);
	assert_memory_equal(rec.fh, dir->fh, dir->len);
	/* Still recalled: the change keeps waiting. */
	assert_int_equal(dd_on(b, on, opnum, add, arg), NFS4ERR_DELAY);
	assert_int_equal(dd_return(a, dir, &sid), NFS4_OK);
	assert_int_equal(dd_on(b, on, opnum, add, arg), NFS4_OK);
}

static void test_recall_by_each_change(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dd-each-a", 1011);
	dl_client(&b, &sb, "dd-each-b", 1012);
	char *before = ctlt_scrape(&server);

	struct dd_fh d1 = dd_mkdir(&b, "d-add");
	recall_case(&a, &sa, &b, &d1, 0, &d1, OP_CREATE, dd_add_create_file, "new");

	/* Told of additions only: a removal cannot be told, so it recalls. */
	struct dd_fh d2 = dd_mkdir(&b, "d-remove");
	assert_int_equal(dd_on(&b, &d2, OP_CREATE, dd_add_create_file, "old"), NFS4_OK);
	recall_case(&a, &sa, &b, &d2, 1u << NOTIFY4_ADD_ENTRY, &d2, OP_REMOVE, dd_add_remove,
		    "old");

	struct dd_fh d3 = dd_mkdir(&b, "d-rename");
	assert_int_equal(dd_on(&b, &d3, OP_CREATE, dd_add_create_file, "x"), NFS4_OK);
	static const char *const xy[] = {"x", "y"};
	recall_case(&a, &sa, &b, &d3, 0, &d3, OP_RENAME, dd_add_rename, xy);

	/* Out of the delegated directory, and into it. */
	struct dd_fh d4 = dd_mkdir(&b, "d-out"), other = dd_mkdir(&b, "d-other");
	assert_int_equal(dd_on(&b, &d4, OP_CREATE, dd_add_create_file, "leaving"), NFS4_OK);
	struct dd_move out = {"leaving", "left", &other};
	recall_case(&a, &sa, &b, &d4, 0, &d4, OP_RENAME, dd_add_move, &out);
	struct dd_fh d5 = dd_mkdir(&b, "d-in");
	struct dd_move in = {"left", "arrived", &d5};
	recall_case(&a, &sa, &b, &d5, 0, &other, OP_RENAME, dd_add_move, &in);

	/* The directory's own attributes. */
	struct dd_fh d6 = dd_mkdir(&b, "d-chmod");
	static const uint32_t mode = 0700;
	recall_case(&a, &sa, &b, &d6, 0, &d6, OP_SETATTR, dd_add_chmod, &mode);

	/* The directory itself removed (no notification could tell). */
	struct dd_fh d7 = dd_mkdir(&b, "d-gone");
	struct dd_fh root = dd_export_fh(&b);
	recall_case(&a, &sa, &b, &d7, ALL_NOTIFY, &root, OP_REMOVE, dd_add_remove, "d-gone");

	char *after = ctlt_scrape(&server);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_granted_total"), 7);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_recalled_total"), 7);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_active"), 0);
	/* File delegations are counted apart. */
	assert_int_equal(metric_delta(before, after, "ferry_delegations_granted_total"), 0);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* RFC 8881 10.9.2: the holder's own changes never recall its delegation;
 * a directory recalled a moment ago is not delegated again at once. */
static void test_holder_changes_and_no_regrant(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dd-own-a", 1021);
	dl_client(&b, &sb, "dd-own-b", 1022);
	struct dd_fh dir = dd_mkdir(&a, "d-own");
	struct nfs4_stateid sid = dd_grant(&a, &dir, 0);
	unsigned recalls = nfs4c_cb_count(&sa, OP_CB_RECALL);
	static const char *const ab[] = {"a", "b"};
	static const uint32_t mode = 0755;
	assert_int_equal(dd_on(&a, &dir, OP_CREATE, dd_add_create_file, "a"), NFS4_OK);
	assert_int_equal(dd_on(&a, &dir, OP_RENAME, dd_add_rename, ab), NFS4_OK);
	assert_int_equal(dd_on(&a, &dir, OP_SETATTR, dd_add_chmod, &mode), NFS4_OK);
	assert_int_equal(dd_on(&a, &dir, OP_REMOVE, dd_add_remove, "b"), NFS4_OK);
	/* Reading is no change: b's READDIR-free look at it recalls nothing. */
	struct dl_open none = dl_open_claim(&b, "absent", OPEN4_SHARE_ACCESS_READ, false, NULL,
					     dir.fh, dir.len);
	assert_int_equal(none.status, NFS4ERR_NOENT);
	usleep(300 * 1000);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), recalls);

	/* b's change recalls it; right after, it is not granted again. */
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "c"), NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, recalls + 1, 5000));
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get(&a, &dir, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_UNAVAIL);
	assert_false(r.will_signal_deleg_avail);
	/* Asked to be told: promised, and told once the directory may be
	 * delegated again (the no-regrant window is 5 s). */
	struct nfs4_get_dir_delegation_args ga;
	memset(&ga, 0, sizeof(ga));
	ga.signal_deleg_avail = true;
	uint64_t t0 = dl_now_ms();
	assert_int_equal(dd_get_args(&a, &dir, &ga, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_UNAVAIL);
	assert_true(r.will_signal_deleg_avail);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALLABLE_OBJ_AVAIL), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALLABLE_OBJ_AVAIL, 1, 10000));
	/* Not before the window after the recall has passed. */
	assert_true(dl_now_ms() - t0 >= 3000);
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_RECALLABLE_OBJ_AVAIL, 0, &rec));
	assert_true(nfs4_bitmap_isset(&rec.type_mask, RCA4_TYPE_MASK_DIR_DLG));
	assert_int_equal(rec.status, NFS4_OK);
	struct nfs4_get_dir_delegation_res again;
	assert_int_equal(dd_get(&a, &dir, 0, &again), NFS4_OK);
	assert_int_equal(again.status, GDD4_OK);
	assert_int_equal(dd_return(&a, &dir, &again.stateid), NFS4_OK);
	/* Told once: the promise is kept, not repeated. */
	usleep(500 * 1000);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALLABLE_OBJ_AVAIL), 1);
	/* Returned twice: the stateid is gone. */
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4ERR_BAD_STATEID);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A holder that never answers the recall is revoked; the change then
 * goes through, and the holder learns it from SEQUENCE until it frees the
 * stateid. */
static void test_silent_holder_revoked(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dd-silent-a", 1031);
	dl_client(&b, &sb, "dd-silent-b", 1032);
	char *before = ctlt_scrape(&server);
	struct dd_fh dir = dd_mkdir(&b, "d-silent");
	struct nfs4_stateid sid = dd_grant(&a, &dir, 0);
	pthread_mutex_lock(&sa.lock);
	sa.silent = true;
	pthread_mutex_unlock(&sa.lock);
	uint32_t s;
	uint64_t end = dl_now_ms() + 20000;
	while ((s = dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "late")) == NFS4ERR_DELAY &&
	       dl_now_ms() < end)
		usleep(100 * 1000);
	assert_int_equal(s, NFS4_OK);
	pthread_mutex_lock(&sa.lock);
	sa.silent = false;
	pthread_mutex_unlock(&sa.lock);
	assert_true(nfs4c_ping(&a) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4ERR_DELEG_REVOKED);
	/* DELEGRETURN of a revoked one frees it, like a file's: FREE_STATEID
	 * then finds nothing. */
	assert_int_equal(dd_on(&a, &dir, OP_FREE_STATEID, add_free_stateid, &sid),
			 NFS4ERR_BAD_STATEID);
	assert_int_equal(nfs4c_ping(&a) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED, 0);
	char *after = ctlt_scrape(&server);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_revoked_total"), 1);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_active"), 0);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A client that holds one cannot go (DESTROY_CLIENTID: CLIENTID_BUSY,
 * as with a file delegation); once its lease runs out the delegation goes
 * with it, and nothing is left to recall. */
static void test_lease_expiry_ends_them(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dd-gone-a", 1041);
	dl_client(&b, &sb, "dd-gone-b", 1042);
	struct dd_fh dir = dd_mkdir(&b, "d-client-gone");
	char *before = ctlt_scrape(&server);
	dd_grant(&a, &dir, 0);
	assert_int_equal(nfs4c_destroy_session(&a), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&a), NFS4ERR_CLIENTID_BUSY);
	/* The lease is 10 s; the state thread's pass comes soon after. */
	char *after = NULL;
	uint64_t end = dl_now_ms() + 30000;
	for (;;) {
		after = ctlt_scrape(&server);
		if (metric_delta(before, after, "ferry_dir_delegations_active") == 0 ||
		    dl_now_ms() > end)
			break;
		free(after);
		nfs4c_ping(&b); /* b's lease must outlast a's */
		usleep(500 * 1000);
	}
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_granted_total"), 1);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_active"), 0);
	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "free"), NFS4_OK);
	free(after);
	after = ctlt_scrape(&server);
	assert_int_equal(metric_delta(before, after, "ferry_dir_delegations_recalled_total"), 0);
	free(before);
	free(after);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* The index of a directory's entries (for CHANGE_CHILD_ATTRS) lives as
 * long as a delegation that asked child attributes: a refused grant
 * leaves none behind, a grant of other kinds drops it, DELEGRETURN of the
 * one that needed it drops it, and the gauges say so. */
static double indexed(const char *series)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

static void test_index_lives_with_its_delegation(void **st)
{
	(void)st;
	struct nfs4c_sess a, b, n;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dd-index-a", 1051);
	dl_client(&b, &sb, "dd-index-b", 1052);
	struct dd_fh dir = dd_mkdir(&a, "d-index");
	static const char *const names[] = {"f1", "f2", "f3"};
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(dd_on(&a, &dir, OP_CREATE, dd_add_create_file, names[i]), NFS4_OK);
	const uint32_t child = 1u << NOTIFY4_CHANGE_CHILD_ATTRS;
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 0);

	/* Refused (no back channel): nothing indexed stays. */
	int fd = nfs4c_connect(server.hostport);
	nfs4c_session_up_flags(&n, fd, 1053, "dd-index-n", NULL, 0);
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get(&n, &dir, child, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_UNAVAIL);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 0);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_entries"), 0);
	nfs4c_close(fd);

	/* Granted with child attributes: the three entries are indexed. */
	struct nfs4_stateid sa_sid = dd_grant(&a, &dir, child);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 1);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_entries"), 3);
	/* Another holder without them changes nothing; once the one that
	 * asked returns its delegation, the index goes though the directory
	 * stays delegated. */
	struct nfs4_stateid sb_sid = dd_grant(&b, &dir, 1u << NOTIFY4_ADD_ENTRY);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 1);
	assert_int_equal(dd_return(&a, &dir, &sa_sid), NFS4_OK);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 0);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_entries"), 0);
	/* Asked again by a while b holds one: indexed again; all returned,
	 * nothing left. */
	sa_sid = dd_grant(&a, &dir, child);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_entries"), 3);
	assert_int_equal(dd_return(&a, &dir, &sa_sid), NFS4_OK);
	assert_int_equal(dd_return(&b, &dir, &sb_sid), NFS4_OK);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_dirs"), 0);
	assert_int_equal(indexed("ferry_dir_delegation_indexed_entries"), 0);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_and_refusals),
		cmocka_unit_test(test_recall_by_each_change),
		cmocka_unit_test(test_holder_changes_and_no_regrant),
		cmocka_unit_test(test_silent_holder_revoked),
		cmocka_unit_test(test_lease_expiry_ends_them),
		cmocka_unit_test(test_index_lives_with_its_delegation),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
