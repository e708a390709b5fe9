/* Leases: a client that stops renewing loses its opens and locks to the
 * state thread, its stateids and clientid become EXPIRED; renewal by RENEW
 * or by use keeps a client; idle owners and unconfirmed clients go. */
#include "state_test.h"

enum { LEASE_MS = 300 };

static struct state_server *st;
static struct state_file_key fa;

static int setup(void **state)
{
	st = st_new(LEASE_MS);
	fa = st_key(1, "f");
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	return 0;
}

static void test_expiry_releases_state(void **state)
{
	uint64_t c1 = st_client(st, "c1", 1), c2 = st_client(st, "c2", 2);
	uint32_t s1 = 1, s2 = 1;
	struct nfs4_stateid o1, o2, l1;
	struct state_lock_denied d;
	assert_int_equal(st_open(st, c1, "o", &s1, &fa, 3, 2, &o1), NFS4_OK);
	assert_int_equal(st_lock_new(st, &o1, &s1, c1, "lo", 0, &fa, STATE_WRITE_LT, 0, 100, &l1,
				     &d),
			 NFS4_OK);
	assert_int_equal(st_open(st, c2, "o", &s2, &fa, 2, 0, &o2), NFS4ERR_SHARE_DENIED);
	/* Client 2 keeps renewing; client 1 goes quiet. */
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(LEASE_MS / 3);
		assert_int_equal(state_renew(st, c2), NFS4_OK);
	}
	state_run_reaper(st);
	assert_int_equal(st_open(st, c2, "o", &s2, &fa, 3, 0, &o2), NFS4_OK);
	assert_int_equal(st_lock_new(st, &o2, &s2, c2, "lo2", 0, &fa, STATE_WRITE_LT, 0, 10, &l1,
				     &d),
			 NFS4_OK);
	assert_int_equal(state_renew(st, c1), NFS4ERR_EXPIRED);
	assert_int_equal(state_check_io(st, 0, &o1, &fa, false, 0, 1, 0), NFS4ERR_EXPIRED);
	struct state_owner *o;
	assert_int_equal(state_stateid_owner(st, 0, &o1, &o), NFS4ERR_EXPIRED);
	/* An OPEN with the expired clientid (pynfs CID6 accepts either). */
	struct nfs4_stateid x;
	uint32_t s3 = 1;
	assert_int_equal(st_open(st, c1, "o", &s3, &fa, 1, 0, &x), NFS4ERR_EXPIRED);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.clients_confirmed, 1);
	assert_int_equal(ss.opens, 1);
	assert_int_equal(ss.locks, 1);
}

/* Using a stateid renews the lease just as RENEW does. */
static void test_use_renews(void **state)
{
	uint64_t c1 = st_client(st, "c1", 1);
	uint32_t s1 = 1;
	struct nfs4_stateid o1;
	assert_int_equal(st_open(st, c1, "o", &s1, &fa, 1, 0, &o1), NFS4_OK);
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(LEASE_MS / 3);
		assert_int_equal(state_check_io(st, 0, &o1, &fa, false, 0, 1, 0), NFS4_OK);
	}
	assert_int_equal(state_renew(st, c1), NFS4_OK);
}

static void test_unconfirmed_client_goes(void **state)
{
	struct state_principal who = st_who(1);
	struct state_callback cb = st_cb(), inuse;
	uint8_t v[8] = {1}, confirm[8];
	uint64_t id;
	assert_int_equal(state_setclientid(st, &who, v, (const uint8_t *)"x", 1, &cb, &id, confirm,
					   &inuse),
			 NFS4_OK);
	st_sleep_ms(LEASE_MS * 2);
	state_run_reaper(st);
	assert_int_equal(state_setclientid_confirm(st, &who, id, confirm), NFS4ERR_STALE_CLIENTID);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.clients_unconfirmed, 0);
}

/* Owners with nothing open, and owners never confirmed, go after a lease. */
static void test_idle_owners_reaped(void **state)
{
	uint64_t c1 = st_client(st, "c1", 1);
	uint32_t s1 = 1;
	struct nfs4_stateid a, b;
	bool confirm;
	assert_int_equal(st_open(st, c1, "closed", &s1, &fa, 1, 0, &a), NFS4_OK);
	assert_int_equal(st_close(st, &a, &s1, &fa), NFS4_OK);
	assert_int_equal(st_open_raw(st, c1, "unconfirmed", 1, &fa, 1, 3, 0, &b, &confirm),
			 NFS4_OK);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.owners, 2);
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(LEASE_MS / 3);
		assert_int_equal(state_renew(st, c1), NFS4_OK);
	}
	state_run_reaper(st);
	state_get_stats(st, &ss);
	assert_int_equal(ss.owners, 0);
	assert_int_equal(ss.opens, 0);
	assert_int_equal(ss.files, 0);
	assert_int_equal(ss.clients_confirmed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expiry_releases_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_renews, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconfirmed_client_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_owners_reaped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
