/* Waiters of denied blocking locks (v4.1) and their notices: remembered for
 * READW/WRITEW only, bounded per file, refreshed, dropped when the owner
 * gets a lock, on RELEASE_LOCKOWNER and after a lease; a notice names the
 * client, lock owner and file, reaches the hook only at a flush, and only
 * once nothing conflicts any more. */
#include "state_test.h"

enum { RD = STATE_READ_LT, WR = STATE_WRITE_LT, WRW = STATE_WRITEW_LT, RDW = STATE_READW_LT };

static struct state_server *st;
static uint64_t c1, c2;
static struct state_file_key fa;
static struct nfs4_stateid o1, o2;
static uint32_t s1, s2; /* the open owners' next seqids */
/* What lock_as says of the back end (state_lock_args.backend). */
static bool lock_in_backend;

enum { NOTICES_MAX = 64 };
static struct {
	unsigned n;
	uint64_t clientid[NOTICES_MAX];
	char owner[NOTICES_MAX][32];
	struct state_file_key file[NOTICES_MAX];
	/* Released notices (a lock state gone with its locks), apart. */
	unsigned released;
	uint64_t released_id[NOTICES_MAX];
	struct state_file_key released_file[NOTICES_MAX];
} seen;

static void on_notice(void *ctx, const struct state_lock_notice *n)
{
	(void)ctx;
	if (n->released) {
		if (seen.released < NOTICES_MAX) {
			seen.released_id[seen.released] = n->owner_id;
			seen.released_file[seen.released++] = *n->file;
		}
		return;
	}
	if (seen.n == NOTICES_MAX)
		return;
	seen.clientid[seen.n] = n->clientid;
	snprintf(seen.owner[seen.n], sizeof(seen.owner[0]), "%.*s", (int)n->owner_len,
		 (const char *)n->owner);
	seen.file[seen.n] = *n->file;
	seen.n++;
}

/* The state thread flushes queued notices on its periodic run too; these
 * tests decide which flush delivers, so the periodic run waits an hour and
 * the one the thread makes as it starts is over before the tests begin. */
static int setup_lease(uint32_t lease_ms)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = lease_ms;
	o.reaper_interval_ms = 3600 * 1000;
	assert_int_equal(state_server_create(&o, &st), 0);
	state_run_reaper(st);
	c1 = st_client(st, "client-one", 1000);
	c2 = st_client(st, "client-two", 1001);
	fa = st_key(3, "locked-file");
	s1 = 1;
	s2 = 1;
	lock_in_backend = false;
	assert_int_equal(st_open(st, c1, "open1", &s1, &fa, 3, 0, &o1), NFS4_OK);
	assert_int_equal(st_open(st, c2, "open2", &s2, &fa, 3, 0, &o2), NFS4_OK);
	memset(&seen, 0, sizeof(seen));
	state_lock_notify_set(st, on_notice, NULL);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_lease(60000);
}

static int teardown(void **state)
{
	(void)state;
	state_server_destroy(st);
	return 0;
}

/* LOCK as a new lock owner of an open, sequenced as v4.1 does (bypass);
 * a dry run (state_lock_args.dry_run) when dry. */
static enum nfsstat4 lock_as_dry(uint64_t clientid, const struct nfs4_stateid *open_sid,
				 const char *owner, uint32_t type, uint64_t off, uint64_t len,
				 uint32_t minor, struct nfs4_stateid *out, bool dry,
				 uint64_t *owner_id)
{
	struct state_owner *o;
	enum nfsstat4 s = state_stateid_owner(st, 0, open_sid, &o);
	if (s != NFS4_OK)
		return s;
	struct state_lock_args a;
	memset(&a, 0, sizeof(a));
	a.type = type;
	a.offset = off;
	a.length = len;
	a.new_owner = true;
	a.open_stateid = *open_sid;
	a.lock_clientid = clientid;
	a.lock_owner = (const uint8_t *)owner;
	a.lock_owner_len = (uint32_t)strlen(owner);
	a.dry_run = dry;
	a.backend = lock_in_backend;
	a.owner_id = owner_id;
	struct state_replay r;
	struct state_lock_denied d;
	struct nfs4_stateid tmp;
	state_seq_begin(st, o, 0, OP_LOCK, true, &r);
	s = state_lock(st, o, &fa, &a, minor, out ? out : &tmp, &d);
	state_seq_end(st, o, true, s, NULL, 0, NULL);
	state_owner_put(st, o);
	return s;
}

static enum nfsstat4 lock_as(uint64_t clientid, const struct nfs4_stateid *open_sid,
			     const char *owner, uint32_t type, uint64_t off, uint64_t len,
			     uint32_t minor, struct nfs4_stateid *out)
{
	return lock_as_dry(clientid, open_sid, owner, type, off, len, minor, out, false, NULL);
}

/* LOCKU; *lsid moves on. */
static void unlock_as(struct nfs4_stateid *lsid, uint64_t off, uint64_t len)
{
	struct state_owner *o;
	assert_int_equal(state_stateid_owner(st, 0, lsid, &o), NFS4_OK);
	struct state_replay r;
	struct nfs4_stateid out;
	state_seq_begin(st, o, 0, OP_LOCKU, true, &r);
	assert_int_equal(state_locku(st, o, lsid, &fa, off, len, 1, &out), NFS4_OK);
	state_seq_end(st, o, true, NFS4_OK, NULL, 0, NULL);
	state_owner_put(st, o);
	*lsid = out;
}

static unsigned waiters(void)
{
	struct state_stats s;
	state_get_stats(st, &s);
	return s.lock_waiters;
}

static void test_notice_after_unlock(void **state)
{
	(void)state;
	struct nfs4_stateid h;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, 10, 1, &h), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "waiter", WRW, 5, 1, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(lock_as(c2, &o2, "waiter", WRW, 5, 1, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(), 1);
	unlock_as(&h, 0, 5); /* what is left still conflicts */
	state_lock_notify_flush(st);
	assert_int_equal(seen.n, 0);
	unlock_as(&h, 5, 5);
	assert_int_equal(seen.n, 0); /* queued until a flush */
	assert_int_equal(waiters(), 0);
	state_lock_notify_flush(st);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.clientid[0], c2);
	assert_string_equal(seen.owner[0], "waiter");
	assert_true(seen.file[0].export_id == fa.export_id && seen.file[0].bh.len == fa.bh.len &&
		    memcmp(seen.file[0].bh.data, fa.bh.data, fa.bh.len) == 0);
	state_lock_notify_flush(st);
	assert_int_equal(seen.n, 1); /* once */
}

/* A write lock downgraded to read lets readers in. */
static void test_notice_after_downgrade(void **state)
{
	(void)state;
	struct nfs4_stateid h;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, 100, 1, &h), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "reader", RDW, 10, 10, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(lock_as(c1, &o1, "holder", RD, 0, 100, 1, NULL), NFS4_OK);
	state_lock_notify_flush(st);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.owner[0], "reader");
}

static void test_plain_and_v40_not_remembered(void **state)
{
	(void)state;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, 10, 1, NULL), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "plain", WR, 0, 10, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(lock_as(c2, &o2, "v40", WRW, 0, 10, 0, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(), 0);
}

static void test_bounded_per_file(void **state)
{
	(void)state;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, STATE_LENGTH_EOF, 1, NULL), NFS4_OK);
	for (unsigned i = 0; i < STATE_WAITERS_PER_FILE + 8; i++) {
		char owner[16];
		snprintf(owner, sizeof(owner), "w%u", i);
		assert_int_equal(lock_as(c2, &o2, owner, WRW, i, 1, 1, NULL), NFS4ERR_DENIED);
	}
	assert_int_equal(waiters(), STATE_WAITERS_PER_FILE);
}

static void test_dropped_when_owner_locks(void **state)
{
	(void)state;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, 10, 1, NULL), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "waiter", WRW, 0, 1, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(lock_as(c2, &o2, "waiter", WR, 50, 1, 1, NULL), NFS4_OK);
	assert_int_equal(waiters(), 0);
	/* And with its lock owner. */
	assert_int_equal(lock_as(c2, &o2, "other", WRW, 0, 1, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(), 1);
	assert_int_equal(state_release_lockowner(st, c2, (const uint8_t *)"other", 5), NFS4_OK);
	assert_int_equal(waiters(), 0);
}

static void test_expires_after_lease(void **state)
{
	(void)state;
	state_server_destroy(st);
	setup_lease(400);
	struct nfs4_stateid h;
	assert_int_equal(lock_as(c1, &o1, "holder", WR, 0, 10, 1, &h), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "waiter", WRW, 0, 1, 1, NULL), NFS4ERR_DENIED);
	assert_int_equal(waiters(), 1);
	for (int i = 0; i < 3; i++) { /* the clients stay, the waiter goes */
		st_sleep_ms(200);
		assert_int_equal(state_renew(st, c1), NFS4_OK);
		assert_int_equal(state_renew(st, c2), NFS4_OK);
	}
	state_run_reaper(st);
	assert_int_equal(waiters(), 0);
	unlock_as(&h, 0, 10);
	state_lock_notify_flush(st);
	assert_int_equal(seen.n, 0);
}

static unsigned lock_count(void)
{
	struct state_stats s;
	state_get_stats(st, &s);
	return s.locks;
}

/* A dry run answers as LOCK would and leaves nothing behind: no lock, no
 * lock state, no owner; it names the owner's id. */
static void test_dry_run(void **state)
{
	(void)state;
	struct state_stats before, after;
	state_get_stats(st, &before);
	uint64_t id = 0;
	struct nfs4_stateid ls;
	assert_int_equal(lock_as_dry(c1, &o1, "dry", WR, 0, 10, 1, &ls, true, &id), NFS4_OK);
	assert_int_equal(id, state_lock_owner_id(st, c1, (const uint8_t *)"dry", 3));
	assert_true(id != state_lock_owner_id(st, c2, (const uint8_t *)"dry", 3));
	state_get_stats(st, &after);
	assert_int_equal(after.locks, before.locks);
	assert_int_equal(after.lock_states, before.lock_states);
	assert_int_equal(after.owners, before.owners);
	/* Nothing holds the range: another client's lock is granted. */
	assert_int_equal(lock_as(c2, &o2, "real", WR, 0, 10, 1, &ls), NFS4_OK);
	assert_int_equal(lock_as_dry(c1, &o1, "dry", WR, 5, 1, 1, NULL, true, &id),
			 NFS4ERR_DENIED);
	assert_int_equal(lock_as_dry(c1, &o1, "dry", WR, 10, 1, 1, NULL, true, &id), NFS4_OK);
	assert_int_equal(lock_count(), 1);
}

/* A lock state whose locks the back end holds too that goes with locks
 * (CLOSE) leaves a released notice for the back end, named by the owner's
 * id, at the next flush; one that held none, or whose locks were ferryd's
 * own only, leaves nothing. */
static void test_released_notice(void **state)
{
	(void)state;
	struct nfs4_stateid held, empty, local;
	assert_int_equal(lock_as(c2, &o2, "local", WR, 40, 10, 1, &local), NFS4_OK);
	lock_in_backend = true;
	assert_int_equal(lock_as(c1, &o1, "held", WR, 0, 10, 1, &held), NFS4_OK);
	assert_int_equal(lock_as(c2, &o2, "empty", WR, 20, 10, 1, &empty), NFS4_OK);
	unlock_as(&empty, 20, 10);
	assert_int_equal(st_close(st, &o1, &s1, &fa), NFS4_OK);
	assert_int_equal(seen.released, 0); /* queued until a flush */
	state_lock_notify_flush(st);
	assert_int_equal(seen.released, 1);
	assert_int_equal(seen.released_id[0],
			 state_lock_owner_id(st, c1, (const uint8_t *)"held", 4));
	assert_true(seen.released_file[0].bh.len == fa.bh.len &&
		    memcmp(seen.released_file[0].bh.data, fa.bh.data, fa.bh.len) == 0);
	assert_int_equal(seen.n, 0);
	/* What the hook asks before letting go in the back end. */
	assert_false(state_lock_owner_holds(st, c1, (const uint8_t *)"held", 4, &fa));
	assert_true(state_lock_owner_holds(st, c2, (const uint8_t *)"local", 5, &fa));
	assert_false(state_lock_owner_holds(st, c2, (const uint8_t *)"empty", 5, &fa));
	assert_int_equal(st_close(st, &o2, &s2, &fa), NFS4_OK);
	state_lock_notify_flush(st);
	assert_int_equal(seen.released, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notice_after_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notice_after_downgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_and_v40_not_remembered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_per_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_when_owner_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expires_after_lease, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
