/* Stable client records and the grace period across a simulated restart:
 * the state server is destroyed and created again over the same state
 * directory. */
#include "state_test.h"

#include "state/clients/session.h"

enum { GRACE_MS = 400 };

static char dir[256], recdir[300];
static struct state_server *st;
static struct state_file_key fa;

static struct state_server *start(uint32_t lease_ms, uint32_t grace_ms)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	snprintf(o.state_dir, sizeof(o.state_dir), "%s", dir);
	o.lease_ms = lease_ms;
	o.grace_ms = grace_ms;
	struct state_server *s = NULL;
	assert_int_equal(state_server_create(&o, &s), 0);
	return s;
}

static int setup(void **state)
{
	st_tmpdir(dir, sizeof(dir));
	snprintf(recdir, sizeof(recdir), "%s/v4clients", dir);
	fa = st_key(1, "f");
	st = start(60000, GRACE_MS);
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	st_rmtree(dir);
	return 0;
}

static void restart(uint32_t lease_ms, uint32_t grace_ms)
{
	state_server_destroy(st);
	st = start(lease_ms, grace_ms);
}

static void test_records_follow_clients(void **state)
{
	assert_int_equal(st_count_files(recdir), 0);
	assert_false(state_in_grace(st)); /* nothing to reclaim: no grace */
	uint64_t a = st_client(st, "alpha", 1);
	assert_int_equal(st_count_files(recdir), 1);
	st_client(st, "beta", 2);
	assert_int_equal(st_count_files(recdir), 2);
	/* A callback update or a client restart keeps one record per name. */
	st_client(st, "alpha", 1);
	st_client_v(st, "alpha", 1, "newverf");
	assert_int_equal(st_count_files(recdir), 2);
	assert_int_equal(state_renew(st, a), NFS4ERR_EXPIRED);
}

static void test_expired_client_loses_record(void **state)
{
	restart(200, GRACE_MS);
	st_client(st, "alpha", 1);
	assert_int_equal(st_count_files(recdir), 1);
	st_sleep_ms(500);
	state_run_reaper(st);
	assert_int_equal(st_count_files(recdir), 0);
}

static void test_grace_after_restart(void **state)
{
	uint64_t a = st_client(st, "alpha", 1);
	st_client(st, "beta", 2);
	uint32_t s = 1;
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, a, "o", &s, &fa, 3, 0, &sid), NFS4_OK);

	restart(60000, GRACE_MS);
	assert_true(state_in_grace(st));
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.records_prev, 2);
	/* Old clientids and stateids are stale. */
	assert_int_equal(state_renew(st, a), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(state_check_io(st, 0, &sid, &fa, false, 0, 1, 0), NFS4ERR_STALE_STATEID);
	/* Anonymous I/O waits for the grace period. */
	struct nfs4_stateid anon = st_special(0, 0);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 0, 1, 0), NFS4ERR_GRACE);

	uint64_t a2 = st_client(st, "alpha", 1);
	uint64_t g = st_client(st, "gamma", 3); /* no record before the restart */
	assert_true(a2 != a);
	assert_int_equal(state_check_grace(st, a2, true), NFS4_OK);
	assert_int_equal(state_check_grace(st, a2, false), NFS4ERR_GRACE);
	assert_int_equal(state_check_grace(st, g, true), NFS4ERR_RECLAIM_BAD);
	assert_int_equal(state_check_grace(st, g, false), NFS4ERR_GRACE);

	/* Reclaim the open (confirmed without OPEN_CONFIRM), and a lock. */
	bool confirm = true;
	s = 1;
	assert_int_equal(st_open_raw(st, a2, "o", s++, &fa, 3, 0, STATE_OPEN_RECLAIM, &sid,
				     &confirm),
			 NFS4_OK);
	assert_false(confirm);
	assert_int_equal(st_open_raw(st, g, "o", 1, &fa, 1, 0, STATE_OPEN_RECLAIM, &sid, &confirm),
			 NFS4ERR_RECLAIM_BAD);
	assert_int_equal(st_open_raw(st, g, "p", 1, &fa, 1, 0, 0, &sid, &confirm), NFS4ERR_GRACE);
	struct nfs4_stateid lsid;
	struct state_lock_denied d;
	s = 2;
	assert_int_equal(st_open_raw(st, a2, "o", s++, &fa, 3, 0, STATE_OPEN_RECLAIM, &sid,
				     &confirm),
			 NFS4_OK);
	assert_int_equal(st_lock_new(st, &sid, &s, a2, "lo", 0, &fa, STATE_WRITE_LT, 0, 10, &lsid,
				     &d),
			 NFS4ERR_GRACE);
	struct state_stats before;
	state_get_stats(st, &before);
	assert_int_equal(before.lock_states, 0);

	/* The GRACE failure left nothing behind; a reclaim LOCK works. */
	struct state_owner *o;
	assert_int_equal(state_stateid_owner(st, 0, &sid, &o), NFS4_OK);
	struct state_lock_args la;
	memset(&la, 0, sizeof(la));
	la.type = STATE_WRITE_LT;
	la.reclaim = true;
	la.length = 10;
	la.new_owner = true;
	la.open_stateid = sid;
	la.lock_clientid = a2;
	la.lock_owner = (const uint8_t *)"lo";
	la.lock_owner_len = 2;
	struct state_replay r;
	assert_int_equal(state_seq_begin(st, o, s, OP_LOCK, false, &r), STATE_SEQ_NEW);
	assert_int_equal(state_lock(st, o, &fa, &la, 0, &lsid, &d), NFS4_OK);
	state_seq_end(st, o, false, NFS4_OK, NULL, 0, NULL);
	state_owner_put(st, o);
	s++;

	/* Grace ends: reclaims are late, others proceed; beta never came
	 * back, so its record goes; alpha's and gamma's stay. */
	st_sleep_ms(GRACE_MS + 100);
	state_run_reaper(st);
	assert_false(state_in_grace(st));
	assert_int_equal(state_check_grace(st, a2, true), NFS4ERR_NO_GRACE);
	assert_int_equal(state_check_grace(st, g, false), NFS4_OK);
	assert_int_equal(st_open_raw(st, g, "p", 2, &fa, 1, 0, 0, &sid, &confirm), NFS4_OK);
	assert_int_equal(st_count_files(recdir), 2);
	state_get_stats(st, &ss);
	assert_int_equal(ss.records_prev, 0);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 20, 1, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 5, 1, 0), NFS4ERR_LOCKED);

	/* A second restart: beta has no record any more (pynfs REBT6). */
	restart(60000, GRACE_MS);
	uint64_t b3 = st_client(st, "beta", 2);
	uint64_t a3 = st_client(st, "alpha", 1);
	assert_int_equal(state_check_grace(st, b3, true), NFS4ERR_RECLAIM_BAD);
	assert_int_equal(state_check_grace(st, a3, true), NFS4_OK);
}

/* Restarting twice within one second still gives new clientids. */
static void test_boot_epochs_differ(void **state)
{
	uint64_t a = st_client(st, "alpha", 1);
	restart(60000, 0);
	uint64_t b = st_client(st, "alpha", 1);
	restart(60000, 0);
	uint64_t c = st_client(st, "alpha", 1);
	assert_true((a >> 32) < (b >> 32) && (b >> 32) < (c >> 32));
	/* grace_time 0: records from before are dropped at once. */
	assert_false(state_in_grace(st));
	assert_int_equal(state_check_grace(st, c, true), NFS4ERR_NO_GRACE);
	assert_int_equal(st_count_files(recdir), 1);
}

static void test_garbage_in_record_dir(void **state)
{
	st_client(st, "alpha", 1);
	char p[512];
	snprintf(p, sizeof(p), "%s/junk", recdir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("not a record", f);
	fclose(f);
	restart(60000, GRACE_MS);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.records_prev, 1);
}

/* A v4.1 client (EXCHANGE_ID, CREATE_SESSION: confirmed, its record on
 * disk); its clientid. */
static uint64_t client41(const char *name)
{
	struct state_principal who = st_who(1);
	struct state_exchange_res er;
	assert_int_equal(state_exchange_id(st, &who, (const uint8_t *)"verifier",
					   (const uint8_t *)name, (uint32_t)strlen(name), 0, 1, &er),
			 NFS4_OK);
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	a.clientid = er.clientid;
	a.sequence = er.sequenceid;
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 4096, .maxresponsesize = 4096,
					  .maxoperations = 8, .maxrequests = 1};
	a.back = a.fore;
	struct state_create_session_res r;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	return er.clientid;
}

/* Grace ends as soon as every client of the records said
 * RECLAIM_COMPLETE; a v4.0 client in the records, which has no way to say
 * so, keeps the whole period. */
static void test_grace_ends_when_all_reclaimed(void **state)
{
	client41("one");
	client41("two");
	restart(60000, 60000);
	assert_true(state_in_grace(st));
	uint64_t one = client41("one");
	assert_int_equal(state_reclaim_complete(st, one), NFS4_OK);
	assert_true(state_in_grace(st)); /* "two" may still reclaim */
	uint64_t two = client41("two");
	assert_int_equal(state_check_grace(st, two, true), NFS4_OK);
	assert_int_equal(state_reclaim_complete(st, two), NFS4_OK);
	assert_false(state_in_grace(st));
	assert_int_equal(state_check_grace(st, one, false), NFS4_OK);
	state_run_reaper(st);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.records_prev, 0);
	assert_int_equal(st_count_files(recdir), 2);

	/* With a v4.0 client among the records. */
	st_client(st, "three", 3);
	restart(60000, 60000);
	one = client41("one");
	two = client41("two");
	assert_int_equal(state_reclaim_complete(st, one), NFS4_OK);
	assert_int_equal(state_reclaim_complete(st, two), NFS4_OK);
	assert_true(state_in_grace(st));
	uint64_t three = st_client(st, "three", 3);
	assert_int_equal(state_check_grace(st, three, true), NFS4_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_follow_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_client_loses_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grace_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_epochs_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_in_record_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grace_ends_when_all_reclaimed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
