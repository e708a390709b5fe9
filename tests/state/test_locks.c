/* Byte-range locks: conflicts between owners and clients, POSIX
 * replace/split/merge for one owner, ranges to EOF and bad ranges,
 * LOCK4denied, LOCKT, LOCKU, RELEASE_LOCKOWNER, CLOSE, and mandatory
 * checks of I/O. */
#include "state_test.h"

enum { RD = STATE_READ_LT, WR = STATE_WRITE_LT };
#define EOF_LEN STATE_LENGTH_EOF

static struct state_server *st;
static uint64_t c1, c2;
static struct state_file_key fa;
/* Two opens of file a (clients 1 and 2, read-write, no deny). */
static struct nfs4_stateid o1, o2;
static uint32_t os1, os2;

static int setup(void **state)
{
	st = st_new(60000);
	c1 = st_client(st, "client-one", 1000);
	c2 = st_client(st, "client-two", 1001);
	fa = st_key(3, "locked-file");
	os1 = os2 = 1;
	assert_int_equal(st_open(st, c1, "open1", &os1, &fa, 3, 0, &o1), NFS4_OK);
	assert_int_equal(st_open(st, c2, "open2", &os2, &fa, 3, 0, &o2), NFS4_OK);
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	return 0;
}

/* A lock owner of client 1 (via open1) takes type over [off, off+len). */
static enum nfsstat4 lock1(const char *owner, uint32_t type, uint64_t off, uint64_t len,
			   struct nfs4_stateid *ls, struct state_lock_denied *d)
{
	return st_lock_new(st, &o1, &os1, c1, owner, 0, &fa, type, off, len, ls, d);
}

static enum nfsstat4 lock2(const char *owner, uint32_t type, uint64_t off, uint64_t len,
			   struct nfs4_stateid *ls, struct state_lock_denied *d)
{
	return st_lock_new(st, &o2, &os2, c2, owner, 0, &fa, type, off, len, ls, d);
}

static void test_conflict_matrix(void **state)
{
	static const struct {
		uint32_t held, want;
		bool conflict;
	} m[] = {{RD, RD, false}, {RD, WR, true}, {WR, RD, true}, {WR, WR, true}};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		setup(state);
		struct nfs4_stateid l1, l2, l3;
		struct state_lock_denied d;
		assert_int_equal(lock1("lo1", m[i].held, 100, 100, &l1, &d), NFS4_OK);
		/* Another client. */
		assert_int_equal(lock2("lo2", m[i].want, 150, 10, &l2, &d),
				 m[i].conflict ? NFS4ERR_DENIED : NFS4_OK);
		/* Another owner of the same client. */
		assert_int_equal(lock1("lo3", m[i].want, 199, 1, &l3, &d),
				 m[i].conflict ? NFS4ERR_DENIED : NFS4_OK);
		/* Touching but not overlapping. */
		assert_int_equal(lock2("lo4", m[i].want, 200, 5, &l2, &d), NFS4_OK);
		assert_int_equal(lock2("lo5", m[i].want, 0, 100, &l2, &d), NFS4_OK);
		/* The W variants behave the same, without waiting. */
		assert_int_equal(lock2("lo6", m[i].want + 2, 120, 1, &l2, &d),
				 m[i].conflict ? NFS4ERR_DENIED : NFS4_OK);
		teardown(state);
	}
}

static void test_denied_details(void **state)
{
	struct nfs4_stateid l1, l2;
	struct state_lock_denied d;
	assert_int_equal(lock1("the-owner", WR, 10, 20, &l1, &d), NFS4_OK);
	memset(&d, 0, sizeof(d));
	assert_int_equal(lock2("x", RD, 0, EOF_LEN, &l2, &d), NFS4ERR_DENIED);
	assert_int_equal(d.offset, 10);
	assert_int_equal(d.length, 20);
	assert_int_equal(d.type, WR);
	assert_int_equal(d.clientid, c1);
	assert_int_equal(d.owner_len, 9);
	assert_memory_equal(d.owner, "the-owner", 9);
	/* A lock to EOF reports length all ones. */
	struct nfs4_stateid l3;
	assert_int_equal(lock1("eof-owner", RD, 1000, EOF_LEN, &l3, &d), NFS4_OK);
	assert_int_equal(lock2("y", WR, 5000, 1, &l2, &d), NFS4ERR_DENIED);
	assert_int_equal(d.offset, 1000);
	assert_true(d.length == EOF_LEN);
	assert_int_equal(d.type, RD);
	/* The denied LOCK created no owner or stateid for "y". */
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.lock_states, 2);
}

static void test_ranges(void **state)
{
	struct nfs4_stateid l;
	struct state_lock_denied d;
	assert_int_equal(lock1("a", WR, 0, 0, &l, &d), NFS4ERR_INVAL);
	assert_int_equal(lock1("a", WR, 100, UINT64_MAX - 1, &l, &d), NFS4ERR_INVAL);
	/* Up to the last byte exactly is fine. */
	assert_int_equal(lock1("a", WR, UINT64_MAX - 9, 10, &l, &d), NFS4_OK);
	assert_int_equal(lock1("b", WR, 0, 0xffffffffffffull, &l, &d), NFS4_OK);
	assert_int_equal(lock1("c", WR, 5, 1, &l, &d), NFS4ERR_DENIED);
	assert_int_equal(lock1("c", 7, 5, 1, &l, &d), NFS4ERR_INVAL);
	assert_int_equal(state_check_range(0, 0), NFS4ERR_INVAL);
	assert_int_equal(state_check_range(1, UINT64_MAX), NFS4_OK);
	assert_int_equal(state_check_range(1, UINT64_MAX - 1), NFS4_OK);
	assert_int_equal(state_check_range(2, UINT64_MAX - 1), NFS4_OK); /* ends at the last byte */
	assert_int_equal(state_check_range(3, UINT64_MAX - 1), NFS4ERR_INVAL);
}

/* Where client 2 can write-lock one byte: the map of client 1's locks. */
static bool byte_locked(uint64_t off)
{
	struct state_lock_denied d;
	return state_lockt(st, c2, (const uint8_t *)"probe", 5, &fa, WR, off, 1, &d) ==
	       NFS4ERR_DENIED;
}

static void test_split_and_merge(void **state)
{
	struct nfs4_stateid l;
	uint32_t ls = 1;
	struct state_lock_denied d;
	assert_int_equal(lock1("o", WR, 100, 100, &l, &d), NFS4_OK); /* [100,199] */
	/* Unlock the middle: two pieces. */
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 140, 20), NFS4_OK);
	assert_true(byte_locked(100) && byte_locked(139));
	assert_false(byte_locked(140) || byte_locked(159));
	assert_true(byte_locked(160) && byte_locked(199));
	assert_false(byte_locked(200));
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.locks, 2);
	/* Fill the hole with the same type: one range again. */
	assert_int_equal(st_lock(st, &l, &ls, &fa, WR, false, 140, 20, &d), NFS4_OK);
	state_get_stats(st, &ss);
	assert_int_equal(ss.locks, 1);
	/* Adjacent ranges merge (pynfs LOCKMRG: [25,100) then [50,125)). */
	assert_int_equal(st_lock(st, &l, &ls, &fa, WR, false, 200, 50, &d), NFS4_OK);
	state_get_stats(st, &ss);
	assert_int_equal(ss.locks, 1);
	assert_int_equal(state_lockt(st, c2, (const uint8_t *)"p", 1, &fa, RD, 0, EOF_LEN, &d),
			 NFS4ERR_DENIED);
	assert_int_equal(d.offset, 100);
	assert_int_equal(d.length, 150);
	/* Downgrade the middle to a read lock: three ranges. */
	assert_int_equal(st_lock(st, &l, &ls, &fa, RD, false, 150, 10, &d), NFS4_OK);
	state_get_stats(st, &ss);
	assert_int_equal(ss.locks, 3);
	struct nfs4_stateid l2;
	assert_int_equal(lock2("r", RD, 150, 10, &l2, &d), NFS4_OK);
	assert_int_equal(lock2("r2", RD, 149, 2, &l2, &d), NFS4ERR_DENIED);
	/* Unlock a range that is not locked: fine. */
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 5000, 10), NFS4_OK);
	/* Unlock everything to EOF. */
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 0, EOF_LEN), NFS4_OK);
	assert_false(byte_locked(100) || byte_locked(170) || byte_locked(240));
}

static void test_upgrade_in_place(void **state)
{
	struct nfs4_stateid l, l2;
	uint32_t ls = 1;
	struct state_lock_denied d;
	assert_int_equal(lock1("o", RD, 0, 10, &l, &d), NFS4_OK);
	assert_int_equal(lock2("x", RD, 0, 10, &l2, &d), NFS4_OK);
	/* The upgrade meets client 2's read lock. */
	assert_int_equal(st_lock(st, &l, &ls, &fa, WR, false, 0, 10, &d), NFS4ERR_DENIED);
	assert_int_equal(d.clientid, c2);
	/* Partly overlapping own lock: replaced where they overlap. */
	assert_int_equal(st_lock(st, &l, &ls, &fa, WR, false, 10, 10, &d), NFS4_OK);
	assert_int_equal(st_lock(st, &l, &ls, &fa, RD, false, 5, 10, &d), NFS4_OK);
	struct state_stats ss;
	state_get_stats(st, &ss);
	/* Own: read [0,14] (merged) and write [15,19]; client 2: read [0,9]. */
	assert_int_equal(ss.locks, 3);
}

static void test_lock_stateid_seqids(void **state)
{
	struct nfs4_stateid l, old;
	uint32_t ls = 1;
	struct state_lock_denied d;
	assert_int_equal(lock1("o", WR, 0, 10, &l, &d), NFS4_OK);
	assert_int_equal(l.seqid, 1);
	old = l;
	assert_int_equal(st_lock(st, &l, &ls, &fa, WR, false, 20, 10, &d), NFS4_OK);
	assert_int_equal(l.seqid, 2);
	/* An old lock stateid (pynfs LOCK9a), and LOCKU with it. */
	uint32_t bad = ls;
	assert_int_equal(st_lock(st, &old, &bad, &fa, WR, false, 40, 10, &d),
			 NFS4ERR_OLD_STATEID);
	ls++;
	/* Wrong lock seqid (pynfs LOCK8a, LKU6). */
	bad = ls + 1;
	assert_int_equal(st_lock(st, &l, &bad, &fa, WR, false, 40, 10, &d), NFS4ERR_BAD_SEQID);
	assert_int_equal(st_unlock(st, &l, &bad, &fa, 0, 1), NFS4ERR_BAD_SEQID);
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 0, 10), NFS4_OK);
	assert_int_equal(l.seqid, 3);
}

static void test_new_lock_owner_rules(void **state)
{
	struct nfs4_stateid l, l2;
	struct state_lock_denied d;
	assert_int_equal(st_lock_new(st, &o1, &os1, c1, "lo", 5, &fa, RD, 0, 1, &l, &d), NFS4_OK);
	/* Named as new again: only with the lock owner's next seqid (pynfs
	 * LOCK24), as for any other request of that owner. */
	assert_int_equal(st_lock_new(st, &o1, &os1, c1, "lo", 9, &fa, RD, 2, 1, &l2, &d),
			 NFS4ERR_BAD_SEQID);
	assert_int_equal(st_lock_new(st, &o1, &os1, c1, "lo", 5, &fa, RD, 2, 1, &l2, &d),
			 NFS4ERR_BAD_SEQID);
	assert_int_equal(st_lock_new(st, &o1, &os1, c1, "lo", 6, &fa, RD, 2, 1, &l2, &d), NFS4_OK);
	assert_memory_equal(l.other, l2.other, NFS4_OTHER_SIZE);
	/* The lock owner's clientid must be the open owner's. */
	assert_int_equal(st_lock_new(st, &o1, &os1, c2, "lz", 0, &fa, RD, 4, 1, &l2, &d),
			 NFS4ERR_BAD_STATEID);
	assert_int_equal(st_lock_new(st, &o1, &os1, 0x1234, "lz", 0, &fa, RD, 4, 1, &l2, &d),
			 NFS4ERR_STALE_CLIENTID);
	/* The open's stateid must be the current one and of this file. */
	struct state_file_key fb = st_key(3, "other");
	assert_int_equal(st_lock_new(st, &o1, &os1, c1, "lz", 0, &fb, RD, 4, 1, &l2, &d),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_stateid oldo = o1;
	oldo.seqid--;
	assert_int_equal(st_lock_new(st, &oldo, &os1, c1, "lz", 0, &fa, RD, 4, 1, &l2, &d),
			 NFS4ERR_OLD_STATEID);
}

static void test_lock_openmode(void **state)
{
	struct state_file_key fb = st_key(3, "ro-file");
	struct nfs4_stateid r, w, l;
	uint32_t s = 1;
	struct state_lock_denied d;
	assert_int_equal(st_open(st, c1, "ro", &s, &fb, STATE_SHARE_ACCESS_READ, 0, &r), NFS4_OK);
	assert_int_equal(st_lock_new(st, &r, &s, c1, "l", 0, &fb, WR, 0, 1, &l, &d),
			 NFS4ERR_OPENMODE);
	assert_int_equal(st_lock_new(st, &r, &s, c1, "l", 0, &fb, RD, 0, 1, &l, &d), NFS4_OK);
	uint32_t s2 = 1;
	assert_int_equal(st_open(st, c2, "wo", &s2, &fb, STATE_SHARE_ACCESS_WRITE, 0, &w),
			 NFS4_OK);
	assert_int_equal(st_lock_new(st, &w, &s2, c2, "m", 0, &fb, RD, 5, 1, &l, &d),
			 NFS4ERR_OPENMODE);
}

static void test_lockt(void **state)
{
	struct nfs4_stateid l;
	struct state_lock_denied d;
	const uint8_t *own = (const uint8_t *)"lo";
	assert_int_equal(state_lockt(st, c1, own, 2, &fa, WR, 0, 10, &d), NFS4_OK);
	assert_int_equal(lock1("lo", WR, 100, 50, &l, &d), NFS4_OK);
	/* The owner itself is never in its own way (pynfs LKTOVER). */
	assert_int_equal(state_lockt(st, c1, own, 2, &fa, WR, 75, 50, &d), NFS4_OK);
	assert_int_equal(state_lockt(st, c1, (const uint8_t *)"other", 5, &fa, RD, 125, 50, &d),
			 NFS4ERR_DENIED);
	assert_int_equal(state_lockt(st, c1, own, 2, &fa, WR, 0, 0, &d), NFS4ERR_INVAL);
	assert_int_equal(state_lockt(st, c1, own, 2, &fa, WR, 100, UINT64_MAX - 1, &d),
			 NFS4ERR_INVAL);
	assert_int_equal(state_lockt(st, 0x42, own, 2, &fa, WR, 0, 1, &d),
			 NFS4ERR_STALE_CLIENTID);
}

static void test_release_lockowner(void **state)
{
	struct nfs4_stateid l;
	uint32_t ls = 1;
	struct state_lock_denied d;
	const uint8_t *own = (const uint8_t *)"rel";
	assert_int_equal(state_release_lockowner(st, c1, own, 3), NFS4_OK); /* unknown: fine */
	assert_int_equal(lock1("rel", WR, 0, 10, &l, &d), NFS4_OK);
	assert_int_equal(state_release_lockowner(st, c1, own, 3), NFS4ERR_LOCKS_HELD);
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 0, 10), NFS4_OK);
	assert_int_equal(state_release_lockowner(st, c1, own, 3), NFS4_OK);
	/* Its stateid is gone. */
	assert_int_equal(st_unlock(st, &l, &ls, &fa, 0, 10), NFS4ERR_BAD_STATEID);
	assert_int_equal(state_release_lockowner(st, 77, own, 3), NFS4ERR_STALE_CLIENTID);
}

static void test_close_drops_locks(void **state)
{
	struct nfs4_stateid l, l2;
	struct state_lock_denied d;
	assert_int_equal(lock1("lo", WR, 0, EOF_LEN, &l, &d), NFS4_OK);
	assert_int_equal(lock2("x", RD, 5, 1, &l2, &d), NFS4ERR_DENIED);
	assert_int_equal(st_close(st, &o1, &os1, &fa), NFS4_OK);
	assert_int_equal(lock2("x", WR, 5, 1, &l2, &d), NFS4_OK);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.lock_states, 1);
	assert_int_equal(ss.locks, 1);
}

/* Mandatory checks: a WRITE overlapping another owner's lock is LOCKED, a
 * READ only against a write lock; the lock holder's own I/O passes. */
static void test_io_against_locks(void **state)
{
	struct nfs4_stateid l, l2;
	struct state_lock_denied d;
	struct nfs4_stateid anon = st_special(0, 0), bypass = st_special(0xff, UINT32_MAX);
	assert_int_equal(lock1("w", WR, 100, 10, &l, &d), NFS4_OK);
	assert_int_equal(lock2("r", RD, 200, 10, &l2, &d), NFS4_OK);
	/* Client 2 through its open. */
	assert_int_equal(state_check_io(st, 0, &o2, &fa, true, 105, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &o2, &fa, false, 95, 10, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &o2, &fa, false, 0, 100, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &o2, &fa, true, 110, 90, 0), NFS4_OK);
	/* Client 2's own read lock: its writes there pass, client 1's not. */
	assert_int_equal(state_check_io(st, 0, &l2, &fa, true, 200, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &o2, &fa, true, 200, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &o1, &fa, true, 205, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &o1, &fa, false, 205, 1, 0), NFS4_OK);
	/* Client 1's own write lock. */
	assert_int_equal(state_check_io(st, 0, &l, &fa, true, 100, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &o1, &fa, true, 100, 10, 0), NFS4_OK);
	/* Anonymous I/O; bypass reads skip locks. */
	assert_int_equal(state_check_io(st, 0, &anon, &fa, false, 100, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &bypass, &fa, false, 100, 1, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &bypass, &fa, true, 100, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 0, 10, 0), NFS4_OK);
	/* Length 0: no range to check; a truncation to 150 meets the locks past it. */
	assert_int_equal(state_check_io(st, 0, &o2, &fa, true, 105, 0, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 150, EOF_LEN, 0), NFS4ERR_LOCKED);
	/* A range running past 2^64 counts as to the end. */
	assert_int_equal(state_check_io(st, 0, &o2, &fa, true, UINT64_MAX - 1, 100, 0), NFS4_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflict_matrix),
		cmocka_unit_test_setup_teardown(test_denied_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_and_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_stateid_seqids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_lock_owner_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_openmode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_lockowner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_drops_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_against_locks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
