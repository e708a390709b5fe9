/* Share reservations: OPEN access/deny across clients and owners, upgrades,
 * OPEN_DOWNGRADE, CLOSE, and what special stateids may do under them. */
#include "state_test.h"

enum { R = STATE_SHARE_ACCESS_READ, W = STATE_SHARE_ACCESS_WRITE, RW = STATE_SHARE_ACCESS_BOTH };
enum { DN = STATE_SHARE_DENY_NONE, DR = STATE_SHARE_DENY_READ, DW = STATE_SHARE_DENY_WRITE,
       DB = STATE_SHARE_DENY_BOTH };

static struct state_server *st;
static uint64_t c1, c2;
static struct state_file_key fa;

static int setup(void **state)
{
	st = st_new(60000);
	c1 = st_client(st, "client-one", 1000);
	c2 = st_client(st, "client-two", 1001);
	fa = st_key(7, "file-a");
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	return 0;
}

static void matrix_case(void **state, uint32_t a1, uint32_t d1, uint32_t a2, uint32_t d2)
{
	setup(state);
	uint32_t s1 = 1, s2 = 1;
	struct nfs4_stateid x, y;
	assert_int_equal(st_open(st, c1, "o1", &s1, &fa, a1, d1, &x), NFS4_OK);
	bool conflict = (a2 & d1) || (d2 & a1);
	assert_int_equal(st_open(st, c2, "o2", &s2, &fa, a2, d2, &y),
			 conflict ? NFS4ERR_SHARE_DENIED : NFS4_OK);
	teardown(state);
}

/* Every (access, deny) pair against every other, between two clients:
 * conflict exactly when one's access meets the other's deny. */
static void test_matrix_two_clients(void **state)
{
	for (uint32_t a1 = R; a1 <= RW; a1++)
		for (uint32_t d1 = DN; d1 <= DB; d1++)
			for (uint32_t a2 = R; a2 <= RW; a2++)
				for (uint32_t d2 = DN; d2 <= DB; d2++)
					matrix_case(state, a1, d1, a2, d2);
}

static void test_two_owners_one_client(void **state)
{
	uint32_t s1 = 1, s2 = 1;
	struct nfs4_stateid x, y;
	assert_int_equal(st_open(st, c1, "owner1", &s1, &fa, RW, DW, &x), NFS4_OK);
	assert_int_equal(st_open(st, c1, "owner2", &s2, &fa, R, DN, &y), NFS4_OK);
	assert_int_equal(st_open(st, c1, "owner3", &s2, &fa, W, DN, &y), NFS4ERR_SHARE_DENIED);
}

/* A second OPEN by the same owner upgrades the open, and its own deny
 * applies to it (RFC 7530 16.16.5, pynfs OPEN21). */
static void test_same_owner_upgrade_and_self_deny(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a, b;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, R, DN, &a), NFS4_OK);
	assert_int_equal(st_open(st, c1, "o", &s, &fa, W, DN, &b), NFS4_OK);
	assert_memory_equal(a.other, b.other, NFS4_OTHER_SIZE);
	assert_int_equal(b.seqid, a.seqid + 1);
	/* Now RW: another client cannot deny write or read. */
	uint32_t s2 = 1;
	struct nfs4_stateid y;
	assert_int_equal(st_open(st, c2, "p", &s2, &fa, R, DW, &y), NFS4ERR_SHARE_DENIED);

	struct state_file_key fb = st_key(7, "file-b");
	uint32_t s3 = 1;
	assert_int_equal(st_open(st, c2, "q", &s3, &fb, RW, DR, &y), NFS4_OK);
	assert_int_equal(st_open(st, c2, "q", &s3, &fb, R, DN, &y), NFS4ERR_SHARE_DENIED);
}

static void test_close_releases_deny(void **state)
{
	uint32_t s1 = 1, s2 = 1;
	struct nfs4_stateid x, y;
	assert_int_equal(st_open(st, c1, "o1", &s1, &fa, R, DB, &x), NFS4_OK);
	assert_int_equal(st_open(st, c2, "o2", &s2, &fa, R, DN, &y), NFS4ERR_SHARE_DENIED);
	assert_int_equal(st_close(st, &x, &s1, &fa), NFS4_OK);
	assert_int_equal(st_open(st, c2, "o2", &s2, &fa, RW, DN, &y), NFS4_OK);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.opens, 1);
}

static void test_downgrade(void **state)
{
	uint32_t s1 = 1, s2 = 1;
	struct nfs4_stateid x, y, out;
	/* READ/DENY_NONE, then upgraded to BOTH/DENY_WRITE by the same owner. */
	assert_int_equal(st_open(st, c1, "o1", &s1, &fa, R, DN, &x), NFS4_OK);
	assert_int_equal(st_open(st, c1, "o1", &s1, &fa, RW, DW, &x), NFS4_OK);
	assert_int_equal(st_open(st, c2, "o2", &s2, &fa, W, DN, &y), NFS4ERR_SHARE_DENIED);
	/* WRITE alone was never asked for: no downgrade to it. */
	assert_int_equal(st_stateid_op(st, ST_DOWNGRADE, &x, s1++, &fa, W, DN, 0, 0, &out),
			 NFS4ERR_INVAL);
	/* Not a subset: INVAL (and the seqid moves on). */
	assert_int_equal(st_stateid_op(st, ST_DOWNGRADE, &x, s1++, &fa, R, DB, 0, 0, &out),
			 NFS4ERR_INVAL);
	assert_int_equal(st_stateid_op(st, ST_DOWNGRADE, &x, s1++, &fa, 0, DN, 0, 0, &out),
			 NFS4ERR_INVAL);
	assert_int_equal(st_stateid_op(st, ST_DOWNGRADE, &x, s1++, &fa, R, DN, 0, 0, &out),
			 NFS4_OK);
	assert_int_equal(out.seqid, x.seqid + 1);
	/* The old stateid is now old. */
	assert_int_equal(st_stateid_op(st, ST_DOWNGRADE, &x, s1++, &fa, R, DN, 0, 0, &out),
			 NFS4ERR_OLD_STATEID);
	assert_int_equal(st_open(st, c2, "o2", &s2, &fa, W, DN, &y), NFS4_OK);
}

static void test_invalid_modes(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid x;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 0, DN, &x), NFS4ERR_INVAL);
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 4, DN, &x), NFS4ERR_INVAL);
	assert_int_equal(st_open(st, c1, "o", &s, &fa, R, 4, &x), NFS4ERR_INVAL);
}

/* Special stateids meet share reservations as NFS4ERR_LOCKED. */
static void test_special_stateids_and_deny(void **state)
{
	struct nfs4_stateid anon = st_special(0, 0), bypass = st_special(0xff, UINT32_MAX);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, false, 0, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 0, 10, 0), NFS4_OK);
	uint32_t s = 1;
	struct nfs4_stateid x;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, RW, DW, &x), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, false, 0, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fa, true, 0, 10, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &bypass, &fa, true, 0, 10, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &bypass, &fa, false, 0, 10, 0), NFS4_OK);
	/* Deny read stops reads, bypass ones included. */
	struct state_file_key fb = st_key(7, "file-b");
	uint32_t s2 = 1;
	assert_int_equal(st_open(st, c2, "p", &s2, &fb, R, DR, &x), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &anon, &fb, false, 0, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &bypass, &fb, false, 0, 1, 0), NFS4ERR_LOCKED);
	assert_int_equal(state_check_io(st, 0, &anon, &fb, true, 0, 1, 0), NFS4_OK);
}

static void test_openmode(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid r, w;
	struct state_file_key fb = st_key(7, "file-b");
	assert_int_equal(st_open(st, c1, "o", &s, &fa, R, DN, &r), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &r, &fa, false, 0, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &r, &fa, true, 0, 10, 0), NFS4ERR_OPENMODE);
	/* Write-only opens may read (clients fill pages they write). */
	assert_int_equal(st_open(st, c1, "o", &s, &fb, W, DN, &w), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &w, &fb, false, 0, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &w, &fb, true, 0, 10, 0), NFS4_OK);
	/* A stateid of another file is bad. */
	assert_int_equal(state_check_io(st, 0, &w, &fa, false, 0, 10, 0), NFS4ERR_BAD_STATEID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_two_clients),
		cmocka_unit_test_setup_teardown(test_two_owners_one_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_owner_upgrade_and_self_deny, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_releases_deny, setup, teardown),
		cmocka_unit_test_setup_teardown(test_downgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_stateids_and_deny, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openmode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
