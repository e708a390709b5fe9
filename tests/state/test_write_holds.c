/* Write holds (state_take_write_holds): a file's first open with write
 * access is queued as a hold and the end of its last as a release, in the
 * order they happen, whichever way the access goes (OPEN, an upgrade by a
 * second OPEN of the owner, OPEN_DOWNGRADE, CLOSE, lease expiry), a release
 * cancels its hold while both are queued, and the state thread calls its
 * work hook once expiry queued one. */
#include <stdatomic.h>

#include "state_test.h"

enum { LEASE_MS = 300 };

static struct state_server *st;
static struct state_file_key fa, fb, fc;
static atomic_int hook_calls;

static void count_hook(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&hook_calls, 1);
}

static int setup(void **state)
{
	(void)state;
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = LEASE_MS;
	o.work = count_hook;
	if (state_server_create(&o, &st) != 0)
		return -1;
	fa = st_key(1, "fa");
	fb = st_key(1, "fb");
	fc = st_key(1, "fc");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	state_server_destroy(st);
	return 0;
}

/* Takes what is queued; expects exactly the holds given (file, on). */
static void expect_holds(unsigned n, const struct state_file_key *const *files, const bool *on)
{
	struct state_write_hold got[8];
	size_t have = state_take_write_holds(st, got, 8);
	assert_int_equal(have, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(got[i].file.export_id, files[i]->export_id);
		assert_int_equal(got[i].file.bh.len, files[i]->bh.len);
		assert_memory_equal(got[i].file.bh.data, files[i]->bh.data, files[i]->bh.len);
		assert_int_equal(got[i].on, on[i]);
	}
}

static void expect_none(void) { expect_holds(0, NULL, NULL); }

static void expect_one(const struct state_file_key *k, bool on)
{
	const struct state_file_key *files[] = {k};
	expect_holds(1, files, &on);
}

static enum nfsstat4 downgrade(struct nfs4_stateid *sid, uint32_t *seqid,
			       const struct state_file_key *k, uint32_t access)
{
	struct nfs4_stateid out;
	enum nfsstat4 s = st_stateid_op(st, ST_DOWNGRADE, sid, *seqid, k, access, 0, 0, 0, &out);
	if (st_advances(s))
		(*seqid)++;
	if (s == NFS4_OK)
		*sid = out;
	return s;
}

static void test_first_and_last_writer(void **state)
{
	(void)state;
	uint64_t c1 = st_client(st, "w1", 1), c2 = st_client(st, "w2", 2);
	uint32_t s1 = 1, s2 = 1, s3 = 1;
	struct nfs4_stateid o1, o2, o3, r1;
	expect_none();
	/* Readers hold nothing. */
	assert_int_equal(st_open(st, c1, "reader", &s3, &fa, STATE_SHARE_ACCESS_READ, 0, &r1),
			 NFS4_OK);
	expect_none();
	assert_int_equal(st_open(st, c1, "o", &s1, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o1),
			 NFS4_OK);
	expect_one(&fa, true);
	/* A second writer of the file (reading first, then writing too), and
	 * a writer of another file. */
	assert_int_equal(st_open(st, c2, "o", &s2, &fa, STATE_SHARE_ACCESS_READ, 0, &o2), NFS4_OK);
	assert_int_equal(st_open(st, c2, "o", &s2, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o2), NFS4_OK);
	expect_none();
	assert_int_equal(st_open(st, c2, "o", &s2, &fb, STATE_SHARE_ACCESS_WRITE, 0, &r1), NFS4_OK);
	expect_one(&fb, true);
	/* c2 goes back to reading fa: c1 still writes it. */
	assert_int_equal(downgrade(&o2, &s2, &fa, STATE_SHARE_ACCESS_READ), NFS4_OK);
	expect_none();
	assert_int_equal(st_close(st, &o1, &s1, &fa), NFS4_OK);
	expect_one(&fa, false);
	/* c2's read open of fa upgraded by a second OPEN for writing. */
	assert_int_equal(st_open(st, c2, "o", &s2, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o2), NFS4_OK);
	expect_one(&fa, true);
	/* Several changes between two takes come out in order, but a hold
	 * whose release comes before the take goes out with it (fa's second
	 * writer here): the queue tells only fa's release and fc's hold. */
	assert_int_equal(st_close(st, &o2, &s2, &fa), NFS4_OK);
	assert_int_equal(st_open(st, c1, "o", &s1, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o1), NFS4_OK);
	assert_int_equal(st_open(st, c1, "o", &s1, &fc, STATE_SHARE_ACCESS_WRITE, 0, &o3), NFS4_OK);
	assert_true(state_deleg_work_pending(st));
	assert_false(state_deleg_callbacks_urgent(st));
	assert_int_equal(st_close(st, &o1, &s1, &fa), NFS4_OK);
	const struct state_file_key *files[] = {&fa, &fc};
	const bool on[] = {false, true};
	expect_holds(2, files, on);
	expect_none();
	/* The pair alone: nothing is left, not even the pending flag. */
	assert_int_equal(st_open(st, c1, "o", &s1, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o1), NFS4_OK);
	assert_int_equal(st_close(st, &o1, &s1, &fa), NFS4_OK);
	assert_false(state_deleg_work_pending(st));
	expect_none();
	assert_int_equal(st_close(st, &o3, &s1, &fc), NFS4_OK);
	expect_one(&fc, false);
	assert_int_equal(st_close(st, &r1, &s2, &fb), NFS4_OK); /* r1: c2's open of fb */
	expect_one(&fb, false);
}

/* A client that stops renewing loses its opens to the state thread: the
 * release is queued and the hook told, without any request. */
static void test_expiry_releases(void **state)
{
	(void)state;
	uint64_t c1 = st_client(st, "x1", 11), c2 = st_client(st, "x2", 12);
	uint32_t s1 = 1;
	struct nfs4_stateid o1;
	assert_int_equal(st_open(st, c1, "o", &s1, &fc, STATE_SHARE_ACCESS_BOTH, 0, &o1), NFS4_OK);
	expect_one(&fc, true);
	int before = atomic_load(&hook_calls);
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(LEASE_MS / 3);
		assert_int_equal(state_renew(st, c2), NFS4_OK);
	}
	state_run_reaper(st);
	assert_true(atomic_load(&hook_calls) > before);
	expect_one(&fc, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_and_last_writer),
		cmocka_unit_test(test_expiry_releases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
