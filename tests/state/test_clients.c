/* SETCLIENTID / SETCLIENTID_CONFIRM cases of RFC 7530 16.33.5 and
 * 16.34.5, RENEW, and universal addresses. */
#include "state_test.h"

static struct state_server *st;

static int setup(void **state)
{
	st = st_new(60000);
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	return 0;
}

struct sc {
	uint64_t id;
	uint8_t confirm[8];
	struct state_callback inuse;
};

static enum nfsstat4 setclientid(const char *name, uint32_t uid, const char *verf,
				 const char *cbaddr, struct sc *out)
{
	struct state_principal who = st_who(uid);
	struct state_callback cb = st_cb();
	if (cbaddr)
		snprintf(cb.addr, sizeof(cb.addr), "%s", cbaddr);
	uint8_t v[8] = {0};
	memcpy(v, verf, strlen(verf) < 8 ? strlen(verf) : 8);
	return state_setclientid(st, &who, v, (const uint8_t *)name, (uint32_t)strlen(name), &cb,
				 &out->id, out->confirm, &out->inuse);
}

static enum nfsstat4 confirm(uint32_t uid, const struct sc *s)
{
	struct state_principal who = st_who(uid);
	return state_setclientid_confirm(st, &who, s->id, s->confirm);
}

static void test_new_client(void **state)
{
	struct sc a;
	assert_int_equal(setclientid("c", 1, "v1", NULL, &a), NFS4_OK);
	/* Unconfirmed: not usable yet. */
	assert_int_equal(state_renew(st, a.id), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(confirm(1, &a), NFS4_OK);
	assert_int_equal(state_renew(st, a.id), NFS4_OK);
	/* A retransmitted confirm is fine. */
	assert_int_equal(confirm(1, &a), NFS4_OK);
	/* A wrong confirm verifier, an unknown clientid, an old boot. */
	struct sc bad = a;
	bad.confirm[0] ^= 1;
	assert_int_equal(confirm(1, &bad), NFS4ERR_STALE_CLIENTID);
	bad = a;
	bad.id += 1000;
	assert_int_equal(confirm(1, &bad), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(state_renew(st, bad.id), NFS4ERR_STALE_CLIENTID);
	bad.id = a.id ^ (1ull << 40);
	assert_int_equal(confirm(1, &bad), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(state_renew(st, bad.id), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(state_renew(st, 0), NFS4ERR_STALE_CLIENTID);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.clients_confirmed, 1);
	assert_int_equal(ss.clients_unconfirmed, 0);
}

/* Same verifier as the confirmed record: a callback update that keeps the
 * clientid and the state (pynfs CID1b, CID4a, CIDCF2). */
static void test_callback_update(void **state)
{
	struct sc a, b;
	assert_int_equal(setclientid("c", 1, "v1", NULL, &a), NFS4_OK);
	assert_int_equal(confirm(1, &a), NFS4_OK);
	struct state_file_key k = st_key(1, "f");
	uint32_t s = 1;
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, a.id, "o", &s, &k, 1, 0, &sid), NFS4_OK);
	assert_int_equal(setclientid("c", 1, "v1", "127.0.0.1.8.1", &b), NFS4_OK);
	assert_true(b.id == a.id);
	assert_memory_not_equal(b.confirm, a.confirm, 8);
	/* Confirming the first setclientid again does nothing harmful. */
	assert_int_equal(confirm(1, &a), NFS4_OK);
	assert_int_equal(confirm(1, &b), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &sid, &k, false, 0, 1, 0), NFS4_OK);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.clients_confirmed, 1);
	assert_int_equal(ss.clients_unconfirmed, 0);
	assert_int_equal(ss.opens, 1);
}

/* A new verifier: the client restarted.  New clientid; the confirm drops
 * the old incarnation's state (pynfs CID4b). */
static void test_client_reboot(void **state)
{
	struct sc a, b;
	assert_int_equal(setclientid("c", 1, "v1", NULL, &a), NFS4_OK);
	assert_int_equal(confirm(1, &a), NFS4_OK);
	struct state_file_key k = st_key(1, "f");
	uint32_t s = 1;
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, a.id, "o", &s, &k, 3, 3, &sid), NFS4_OK);
	assert_int_equal(setclientid("c", 1, "v2", NULL, &b), NFS4_OK);
	assert_true(b.id != a.id);
	/* Until the confirm the old one still works. */
	assert_int_equal(state_renew(st, a.id), NFS4_OK);
	assert_int_equal(confirm(1, &b), NFS4_OK);
	assert_int_equal(state_renew(st, a.id), NFS4ERR_EXPIRED);
	assert_int_equal(state_check_io(st, 0, &sid, &k, false, 0, 1, 0), NFS4ERR_EXPIRED);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.opens, 0);
	assert_int_equal(ss.clients_confirmed, 1);
}

/* An unconfirmed record is replaced by the next SETCLIENTID (CID4c-e). */
static void test_unconfirmed_replaced(void **state)
{
	struct sc a, b, c;
	assert_int_equal(setclientid("c", 1, "v1", NULL, &a), NFS4_OK);
	assert_int_equal(setclientid("c", 1, "v2", NULL, &b), NFS4_OK);
	assert_true(a.id != b.id);
	assert_int_equal(confirm(1, &a), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(confirm(1, &b), NFS4_OK);
	/* Confirmed {v2}; unconfirmed {v3}; then {v3} again: a fresh one. */
	assert_int_equal(setclientid("c", 1, "v3", NULL, &a), NFS4_OK);
	assert_int_equal(setclientid("c", 1, "v3", NULL, &c), NFS4_OK);
	assert_true(c.id != a.id && c.id != b.id);
	assert_memory_not_equal(c.confirm, a.confirm, 8);
	assert_int_equal(confirm(1, &a), NFS4ERR_STALE_CLIENTID);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.clients_unconfirmed, 1);
}

/* Another principal: CLID_INUSE while the client holds state, with its
 * callback address; accepted when it holds none (pynfs CID2, CID2a). */
static void test_clid_inuse(void **state)
{
	struct sc a, b;
	assert_int_equal(setclientid("shared", 1, "v1", "127.0.0.1.3.4", &a), NFS4_OK);
	assert_int_equal(confirm(1, &a), NFS4_OK);
	assert_int_equal(setclientid("shared", 2, "v1", NULL, &b), NFS4_OK); /* no state */
	/* That dropped client 1's record. */
	assert_int_equal(state_renew(st, a.id), NFS4ERR_EXPIRED);
	assert_int_equal(confirm(2, &b), NFS4_OK);
	struct state_file_key k = st_key(1, "f");
	uint32_t s = 1;
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, b.id, "o", &s, &k, 1, 0, &sid), NFS4_OK);
	struct sc c;
	assert_int_equal(setclientid("shared", 3, "v9", NULL, &c), NFS4ERR_CLID_INUSE);
	assert_string_equal(c.inuse.netid, "tcp");
	assert_string_equal(c.inuse.addr, "127.0.0.1.0.1");
	assert_int_equal(state_renew(st, b.id), NFS4_OK);
	/* AUTH_NONE is a principal of its own. */
	struct state_principal none;
	memset(&none, 0, sizeof(none));
	struct state_callback cb = st_cb();
	uint8_t v[8] = {0};
	assert_int_equal(state_setclientid(st, &none, v, (const uint8_t *)"shared", 6, &cb, &c.id,
					   c.confirm, &c.inuse),
			 NFS4ERR_CLID_INUSE);
}

/* SETCLIENTID_CONFIRM from another principal: CLID_INUSE. */
static void test_confirm_wrong_principal(void **state)
{
	struct sc a;
	assert_int_equal(setclientid("c", 1, "v1", NULL, &a), NFS4_OK);
	assert_int_equal(confirm(2, &a), NFS4ERR_CLID_INUSE);
	assert_int_equal(confirm(1, &a), NFS4_OK);
	assert_int_equal(confirm(2, &a), NFS4ERR_CLID_INUSE);
}

static void test_principal_from_cred(void **state)
{
	struct rpc_cred cred;
	memset(&cred, 0, sizeof(cred));
	cred.flavor = RPC_AUTH_SYS;
	cred.uid = 42;
	cred.gid = 7;
	snprintf(cred.machinename, sizeof(cred.machinename), "box");
	struct state_principal p;
	state_principal_from_cred(&p, &cred);
	assert_int_equal(p.flavor, RPC_AUTH_SYS);
	assert_int_equal(p.uid, 42);
	assert_string_equal(p.machine, "box");
	cred.flavor = RPC_AUTH_NONE;
	state_principal_from_cred(&p, &cred);
	assert_int_equal(p.uid, 0);
	assert_string_equal(p.machine, "");
}

/* Owner keys (state_owner_key): one owner come in through this head's
 * own address and through two heads' addresses taken over gives three
 * keys, each split back into its origin and the owner as sent; an owner
 * that itself looks like a key stays this head's own. */
static void test_owner_keys(void **state)
{
	(void)state;
	static const uint8_t owner[] = "Linux NFSv4.1 box";
	uint32_t len = sizeof(owner) - 1;
	uint8_t own[64 + STATE_OWNER_KEY_EXTRA], of_a[64 + STATE_OWNER_KEY_EXTRA],
		of_b[64 + STATE_OWNER_KEY_EXTRA];
	uint32_t own_len = state_owner_key(NULL, owner, len, own);
	uint32_t a_len = state_owner_key("a", owner, len, of_a);
	uint32_t b_len = state_owner_key("b", owner, len, of_b);
	assert_int_equal(own_len, len);
	assert_memory_equal(own, owner, len);
	assert_true(a_len == b_len && memcmp(of_a, of_b, a_len) != 0);
	assert_true(a_len > len);
	char origin[CONFIG_NAME_MAX];
	assert_int_equal(state_owner_key_split(own, own_len, origin), 0);
	assert_string_equal(origin, "");
	uint32_t off = state_owner_key_split(of_a, a_len, origin);
	assert_string_equal(origin, "a");
	assert_int_equal(a_len - off, len);
	assert_memory_equal(of_a + off, owner, len);

	/* A client that sends a's key as its owner to this head's own
	 * address does not reach a's clients' state. */
	uint8_t forged[2 * (64 + STATE_OWNER_KEY_EXTRA)];
	uint32_t forged_len = state_owner_key("", of_a, a_len, forged);
	assert_true(forged_len != a_len || memcmp(forged, of_a, a_len) != 0);
	off = state_owner_key_split(forged, forged_len, origin);
	assert_string_equal(origin, "");
	assert_int_equal(forged_len - off, a_len);
	assert_memory_equal(forged + off, of_a, a_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconfirmed_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clid_inuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_wrong_principal, setup, teardown),
		cmocka_unit_test(test_principal_from_cred),
		cmocka_unit_test(test_owner_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
