/* Stateid validation: BAD, OLD, STALE, EXPIRED; wrong file; closed and
 * unconfirmed; special stateids; v4.1's seqid 0. */
#include "state_test.h"

static struct state_server *st;
static uint64_t c1;
static struct state_file_key fa;

static int setup(void **state)
{
	st = st_new(60000);
	c1 = st_client(st, "client-one", 1000);
	fa = st_key(1, "f");
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	return 0;
}

static void test_layout(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a, b;
	struct state_file_key fb = st_key(1, "g");
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 1, 0, &a), NFS4_OK);
	assert_int_equal(st_open(st, c1, "o", &s, &fb, 1, 0, &b), NFS4_OK);
	/* Unique, and carrying the clientid's boot epoch and low half. */
	assert_memory_not_equal(a.other, b.other, NFS4_OTHER_SIZE);
	assert_int_equal(xdr_get_be32(a.other), (uint32_t)(c1 >> 32));
	assert_int_equal(xdr_get_be32(a.other + 4), (uint32_t)c1);
	/* OPEN then OPEN_CONFIRM: seqid 2. */
	assert_int_equal(a.seqid, 2);
}

/* Guessing gains nothing: neither the clientids of clients set up one after
 * the other nor the stateids of consecutive opens follow from each other
 * (the old layout had the low clientid and the stateid counter go up by 1),
 * while every one stays unique. */
static void test_ids_unguessable(void **state)
{
	enum { N = 64 };
	uint64_t ids[N];
	struct nfs4_stateid sids[N];
	unsigned steps_of_one = 0;
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "guess-%d", i);
		ids[i] = st_client(st, name, 1000);
		assert_int_equal((uint32_t)(ids[i] >> 32), (uint32_t)(c1 >> 32));
		char h[16];
		snprintf(h, sizeof(h), "f%d", i);
		struct state_file_key k = st_key(1, h);
		uint32_t s = 1;
		assert_int_equal(st_open(st, c1, h, &s, &k, 1, 0, &sids[i]), NFS4_OK);
		for (int j = 0; j < i; j++) {
			assert_true(ids[j] != ids[i]);
			assert_memory_not_equal(sids[j].other, sids[i].other, NFS4_OTHER_SIZE);
		}
		if (i > 0) {
			uint32_t d = (uint32_t)ids[i] - (uint32_t)ids[i - 1];
			uint32_t e = xdr_get_be32(sids[i].other + 8) -
				     xdr_get_be32(sids[i - 1].other + 8);
			steps_of_one += (d <= 2) + (e <= 2);
		}
	}
	/* A keyed permutation of 32 bits steps by at most 2 about once in
	 * 2^30 pairs. */
	assert_int_equal(steps_of_one, 0);
}

static void test_seqid_checks(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 1, 0, &a), NFS4_OK);
	struct nfs4_stateid old = a, future = a;
	old.seqid--;
	future.seqid++;
	assert_int_equal(state_check_io(st, 0, &a, &fa, false, 0, 1, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &old, &fa, false, 0, 1, 0), NFS4ERR_OLD_STATEID);
	assert_int_equal(state_check_io(st, 0, &future, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	/* v4.1: seqid 0 is "the current one"; not in v4.0. */
	struct nfs4_stateid zero = a;
	zero.seqid = 0;
	assert_int_equal(state_check_io(st, 0, &zero, &fa, false, 0, 1, 1), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &zero, &fa, false, 0, 1, 0), NFS4ERR_OLD_STATEID);
}

static void test_bad_and_stale(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 1, 0, &a), NFS4_OK);
	struct nfs4_stateid x = a;
	x.other[11] ^= 0x55;
	assert_int_equal(state_check_io(st, 0, &x, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	x = a;
	x.other[0] ^= 0x01; /* another boot epoch */
	assert_int_equal(state_check_io(st, 0, &x, &fa, false, 0, 1, 0), NFS4ERR_STALE_STATEID);
	struct state_owner *o;
	assert_int_equal(state_stateid_owner(st, 0, &x, &o), NFS4ERR_STALE_STATEID);
	assert_null(o);
	/* Special-looking stateids that are not the special ones. */
	struct nfs4_stateid z = st_special(0, 5), ones = st_special(0xff, 3);
	assert_int_equal(state_check_io(st, 0, &z, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	assert_int_equal(state_check_io(st, 0, &ones, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	assert_int_equal(state_stateid_owner(st, 0, &z, &o), NFS4ERR_BAD_STATEID);
	/* Wrong file. */
	struct state_file_key fb = st_key(2, "f");
	assert_int_equal(state_check_io(st, 0, &a, &fb, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
}

static void test_closed_and_unconfirmed(void **state)
{
	struct nfs4_stateid a, b, out;
	bool confirm;
	/* Unconfirmed owner: its stateid is not usable for I/O or CLOSE. */
	assert_int_equal(st_open_raw(st, c1, "new", 10, &fa, 1, 0, 0, &a, &confirm), NFS4_OK);
	assert_true(confirm);
	assert_int_equal(state_check_io(st, 0, &a, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &a, 11, &fa, 0, 0, 0, 0, &out),
			 NFS4ERR_BAD_STATEID);
	/* OPEN_CONFIRM with the old stateid seqid: OLD_STATEID (seqid moves). */
	struct nfs4_stateid olda = a;
	olda.seqid = 0;
	assert_int_equal(st_stateid_op(st, ST_CONFIRM, &olda, 11, &fa, 0, 0, 0, 0, &out),
			 NFS4ERR_OLD_STATEID);
	assert_int_equal(st_stateid_op(st, ST_CONFIRM, &a, 12, &fa, 0, 0, 0, 0, &out), NFS4_OK);
	assert_int_equal(out.seqid, a.seqid + 1);
	/* Confirming again: nothing to confirm. */
	assert_int_equal(st_stateid_op(st, ST_CONFIRM, &out, 13, &fa, 0, 0, 0, 0, &b),
			 NFS4ERR_BAD_STATEID);
	/* Closed: gone for everything but a replay of the CLOSE. */
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &out, 13, &fa, 0, 0, 0, 0, &b), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &b, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	assert_int_equal(state_check_io(st, 0, &out, &fa, false, 0, 1, 0), NFS4ERR_BAD_STATEID);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.opens, 0);
	assert_int_equal(ss.files, 0);
}

/* After a client restart (SETCLIENTID with a new verifier, confirmed), its
 * earlier stateids are expired (pynfs CID1). */
static void test_expired_after_client_restart(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a, out;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 3, 3, &a), NFS4_OK);
	uint64_t c1b = st_client_v(st, "client-one", 1000, "rebooted");
	assert_true(c1b != c1);
	assert_int_equal(state_check_io(st, 0, &a, &fa, false, 0, 1, 0), NFS4ERR_EXPIRED);
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &a, s, &fa, 0, 0, 0, 0, &out),
			 NFS4ERR_EXPIRED);
	assert_int_equal(state_renew(st, c1), NFS4ERR_EXPIRED);
	/* Its deny went with it. */
	uint32_t s2 = 1;
	assert_int_equal(st_open(st, c1b, "o", &s2, &fa, 3, 0, &a), NFS4_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_unguessable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seqid_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_and_unconfirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_after_client_restart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
