/* NLM hosts in the state module (state/opens/state_nlm.h): locks of NLM owners
 * against each other and against NFSv4 locks and opens, blocked LOCKs
 * granted through the hook (and not to a host that went), shares,
 * FREE_ALL, the host record coming and going (what NSM is told), and the
 * stats. */
#include "state_test.h"

#include "state/opens/state_nlm.h"

static struct state_server *st;
static struct state_file_key fa;

/* Grants the hook got: the blob's first byte of each. */
static unsigned ngrants;
static uint8_t grant_tag[16];
static char grant_host[16][32];

static void on_grant(void *ctx, const struct state_nlm_grant *g)
{
	(void)ctx;
	if (ngrants < 16) {
		grant_tag[ngrants] = g->blob_len ? g->blob[0] : 0;
		snprintf(grant_host[ngrants], sizeof(grant_host[0]), "%.*s", (int)g->host_len,
			 (const char *)g->host);
	}
	ngrants++;
}

/* The state thread flushes queued grants on its periodic run too, and one
 * it took just before a test's flush could still be reaching the hook when
 * that flush returned: the periodic run waits an hour here, and the one
 * the thread makes as it starts is over before a test begins. */
static int setup(void **state)
{
	(void)state;
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.reaper_interval_ms = 3600 * 1000;
	assert_int_equal(state_server_create(&o, &st), 0);
	state_run_reaper(st);
	fa = st_key(3, "nlm-file");
	ngrants = 0;
	state_nlm_grant_hook_set(st, on_grant, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	state_nlm_grant_hook_set(st, NULL, NULL);
	state_server_destroy(st);
	return 0;
}

/* Each test host at an address of its own, but the "shared" ones, which
 * two names use (NSM watches addresses). */
static const char *addr_of(const char *host)
{
	static const char *const addrs[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
					    "192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8"};
	if (strncmp(host, "shared", 6) == 0)
		return "192.0.2.100";
	unsigned i = (unsigned)(host[0] - 'a');
	return i < 8 ? addrs[i] : "192.0.2.99";
}

static struct state_nlm_lock lk(const char *host, int32_t svid, bool excl, uint64_t off,
				uint64_t len)
{
	return (struct state_nlm_lock){
		.owner = {.host = (const uint8_t *)host,
			  .host_len = (uint32_t)strlen(host),
			  .addr = addr_of(host),
			  .svid = svid,
			  .oh = (const uint8_t *)"oh",
			  .oh_len = 2},
		.file = &fa,
		.exclusive = excl,
		.offset = off,
		.len = len,
	};
}

static uint32_t lock(const char *host, int32_t svid, bool excl, uint64_t off, uint64_t len,
		     bool block, uint8_t tag, struct state_nlm_effect *eff)
{
	struct state_nlm_lock l = lk(host, svid, excl, off, len);
	struct state_nlm_effect e;
	return state_nlm_lock(st, &l, block, false, 3, &tag, 1, eff ? eff : &e);
}

static uint32_t unlock(const char *host, int32_t svid, uint64_t off, uint64_t len,
		       struct state_nlm_effect *eff)
{
	struct state_nlm_lock l = lk(host, svid, false, off, len);
	struct state_nlm_effect e;
	return state_nlm_unlock(st, &l, eff ? eff : &e, NULL);
}

/* NSM is asked to watch an address once, while some host there holds
 * state: two caller names from one address are one watch. */
static void test_watch_by_address(void **state)
{
	(void)state;
	struct state_nlm_effect eff;
	assert_int_equal(lock("shared-x", 1, true, 0, 10, false, 0, &eff), NLM4_GRANTED);
	assert_true(eff.host_new);
	assert_int_equal(lock("shared-y", 2, true, 20, 10, false, 0, &eff), NLM4_GRANTED);
	assert_false(eff.host_new);
	assert_true(state_nlm_addr_held(st, "192.0.2.100"));
	assert_int_equal(unlock("shared-x", 1, 0, 10, &eff), NLM4_GRANTED);
	assert_false(eff.host_gone);
	assert_int_equal(unlock("shared-y", 2, 20, 10, &eff), NLM4_GRANTED);
	assert_true(eff.host_gone);
	assert_false(state_nlm_addr_held(st, "192.0.2.100"));
}

static void test_owners_and_holder(void **state)
{
	(void)state;
	struct state_nlm_effect eff;
	assert_int_equal(lock("a", 1, true, 10, 10, false, 0, &eff), NLM4_GRANTED);
	assert_true(eff.host_new);
	/* Same host, other svid: another owner. */
	assert_int_equal(lock("a", 2, false, 15, 1, false, 0, NULL), NLM4_DENIED);
	/* Same owner: replaced, no conflict. */
	assert_int_equal(lock("a", 1, false, 0, 0, false, 0, &eff), NLM4_GRANTED);
	assert_false(eff.host_new);
	struct state_nlm_lock t = lk("b", 9, true, 100, 1);
	struct state_nlm_holder h;
	assert_int_equal(state_nlm_test(st, &t, &h, NULL), NLM4_DENIED);
	assert_false(h.exclusive);
	assert_int_equal(h.svid, 1);
	assert_int_equal(h.offset, 0);
	assert_int_equal(h.len, 0); /* to the end */
	assert_int_equal(h.oh_len, 2);
	assert_memory_equal(h.oh, "oh", 2);
	/* Shared with shared is fine. */
	assert_int_equal(lock("b", 9, false, 100, 1, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(unlock("b", 9, 0, 0, &eff), NLM4_GRANTED);
	assert_true(eff.host_gone);
	assert_int_equal(unlock("a", 1, 0, 0, &eff), NLM4_GRANTED);
	assert_true(eff.host_gone);
	struct state_nlm_stats s;
	state_nlm_get_stats(st, &s);
	assert_int_equal(s.hosts, 0);
	assert_int_equal(s.locks, 0);
}

static void test_v4_conflicts(void **state)
{
	(void)state;
	uint64_t c = st_client(st, "v4-client", 1000);
	uint32_t os = 1;
	struct nfs4_stateid o, ls;
	struct state_lock_denied d;
	assert_int_equal(st_open(st, c, "open", &os, &fa, 3, 0, &o), NFS4_OK);
	assert_int_equal(st_lock_new(st, &o, &os, c, "v4-lo", 0, &fa, STATE_WRITE_LT, 0, 10, &ls, &d),
			 NFS4_OK);
	assert_int_equal(lock("a", 1, false, 5, 1, false, 0, NULL), NLM4_DENIED);
	struct state_nlm_lock t = lk("a", 1, false, 5, 1);
	struct state_nlm_holder h;
	assert_int_equal(state_nlm_test(st, &t, &h, NULL), NLM4_DENIED);
	assert_int_equal(h.svid, 0);
	assert_memory_equal(h.oh, "v4-lo", 5);
	/* Blocked behind the v4 lock: granted when it goes. */
	assert_int_equal(lock("a", 1, true, 0, 20, true, 0x11, NULL), NLM4_BLOCKED);
	uint32_t lseq = 1;
	assert_int_equal(st_unlock(st, &ls, &lseq, &fa, 0, 10), NFS4_OK);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 1);
	assert_int_equal(grant_tag[0], 0x11);
	assert_string_equal(grant_host[0], "a");
	/* Now NLM holds it: v4 is denied, with the NLM owner named. */
	struct nfs4_stateid ls2;
	memset(&d, 0, sizeof(d));
	assert_int_equal(
		st_lock_new(st, &o, &os, c, "v4-lo2", 0, &fa, STATE_READ_LT, 3, 1, &ls2, &d),
		NFS4ERR_DENIED);
	assert_int_equal(d.owner_len, 6);
	assert_int_equal(xdr_get_be32(d.owner), 1); /* svid, then oh */
	assert_int_equal(unlock("a", 1, 0, 0, NULL), NLM4_GRANTED);
}

static void test_block_order_and_cancel(void **state)
{
	(void)state;
	assert_int_equal(lock("a", 1, true, 0, 10, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("b", 2, true, 0, 10, true, 0x21, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("c", 3, true, 0, 10, true, 0x31, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("d", 4, true, 0, 10, true, 0x41, NULL), NLM4_BLOCKED);
	/* c gives up. */
	struct state_nlm_lock cl = lk("c", 3, true, 0, 10);
	struct state_nlm_effect eff;
	assert_int_equal(state_nlm_cancel(st, &cl, &eff), NLM4_GRANTED);
	assert_true(eff.host_gone);
	/* a goes: b (first in line) gets it, d still waits. */
	assert_int_equal(unlock("a", 1, 0, 10, NULL), NLM4_GRANTED);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 1);
	assert_int_equal(grant_tag[0], 0x21);
	assert_int_equal(unlock("b", 2, 0, 10, NULL), NLM4_GRANTED);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 2);
	assert_int_equal(grant_tag[1], 0x41);
	assert_int_equal(unlock("d", 4, 0, 10, NULL), NLM4_GRANTED);
}

/* A grant replaces its owner's own locks on its range: when b's second
 * blocked LOCK (read, bytes 50-59) is granted inside b's first one (write,
 * 0-99), c's read lock waiting ahead of it for bytes 50-59 is in nobody's
 * way any more and must be granted in the same wake-up, not left until
 * something else changes on the file. */
static void test_grant_lets_in_earlier_waiter(void **state)
{
	(void)state;
	assert_int_equal(lock("a", 1, true, 0, 100, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("b", 2, true, 0, 100, true, 0x21, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("c", 3, false, 50, 10, true, 0x31, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("b", 2, false, 50, 10, true, 0x22, NULL), NLM4_BLOCKED);
	assert_int_equal(unlock("a", 1, 0, 0, NULL), NLM4_GRANTED);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 3);
	assert_int_equal(grant_tag[0], 0x21);
	assert_int_equal(grant_tag[1], 0x22);
	assert_int_equal(grant_tag[2], 0x31);
	struct state_nlm_stats s;
	state_nlm_get_stats(st, &s);
	assert_int_equal(s.blocked, 0);
	/* c holds its read lock: a writer is refused there, b keeps its
	 * write lock around it. */
	struct state_nlm_lock t = lk("d", 4, true, 55, 1);
	struct state_nlm_holder h;
	assert_int_equal(state_nlm_test(st, &t, &h, NULL), NLM4_DENIED);
	assert_false(h.exclusive);
	t = lk("c", 3, false, 10, 1);
	assert_int_equal(state_nlm_test(st, &t, &h, NULL), NLM4_DENIED);
	assert_true(h.exclusive);
	assert_int_equal(h.svid, 2);
	assert_int_equal(unlock("b", 2, 0, 0, NULL), NLM4_GRANTED);
	assert_int_equal(unlock("c", 3, 0, 0, NULL), NLM4_GRANTED);
}

static void test_deadlock(void **state)
{
	(void)state;
	assert_int_equal(lock("a", 1, true, 0, 10, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("b", 2, true, 100, 10, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("c", 3, true, 200, 10, false, 0, NULL), NLM4_GRANTED);
	/* a waits for b, b for c: c waiting for a closes the cycle. */
	assert_int_equal(lock("a", 1, true, 100, 10, true, 0, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("b", 2, true, 200, 10, true, 0, NULL), NLM4_BLOCKED);
	assert_int_equal(lock("c", 3, true, 0, 10, true, 0, NULL), NLM4_DEADLCK);
	/* Waiting for a range no one in the chain holds is fine. */
	assert_int_equal(lock("d", 4, true, 0, 10, true, 0, NULL), NLM4_BLOCKED);
	/* Two-party: a waits for b; b asking for a's range deadlocks. */
	assert_int_equal(lock("b", 2, true, 5, 1, true, 0, NULL), NLM4_DEADLCK);
}

/* A v4 client's write delegation of the file: an NLM lock recalls it,
 * waits while it is there, and is granted once it is returned. */
static void test_delegation_recalled(void **state)
{
	(void)state;
	state_nlm_grant_hook_set(st, NULL, NULL);
	state_server_destroy(st);
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.deleg.mode = STATE_DELEG_READ_WRITE;
	o.deleg.no_regrant_ms = 200;
	assert_int_equal(state_server_create(&o, &st), 0);
	state_nlm_grant_hook_set(st, on_grant, NULL);
	uint64_t c = st_client(st, "v4-holder", 1000);
	uint32_t os = 1;
	struct nfs4_stateid op;
	assert_int_equal(st_open(st, c, "open", &os, &fa, STATE_SHARE_ACCESS_BOTH, 0, &op), NFS4_OK);
	struct state_deleg_ask ask = {.access = STATE_SHARE_ACCESS_BOTH, .cb_up = true};
	struct state_deleg_grant g;
	state_deleg_grant(st, c, &fa, &ask, &g);
	assert_int_equal(g.type, OPEN_DELEGATE_WRITE);

	assert_int_equal(lock("a", 1, false, 0, 10, false, 0, NULL), NLM4_DENIED);
	struct state_deleg_cb cb[4];
	assert_int_equal(state_deleg_take_callbacks(st, cb, 4), 1);
	assert_int_equal(cb[0].opnum, OP_CB_RECALL);
	assert_int_equal(lock("a", 1, true, 0, 10, true, 0x71, NULL), NLM4_BLOCKED);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 0);
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &fa, 0, &last), NFS4_OK);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 1);
	assert_int_equal(grant_tag[0], 0x71);
	assert_int_equal(unlock("a", 1, 0, 10, NULL), NLM4_GRANTED);
}

static void test_free_host(void **state)
{
	(void)state;
	assert_int_equal(lock("gone", 1, true, 0, 10, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("gone", 2, true, 20, 10, false, 0, NULL), NLM4_GRANTED);
	assert_int_equal(lock("b", 3, true, 0, 30, true, 0x51, NULL), NLM4_BLOCKED);
	/* gone also waits for something: freed with it, never granted. */
	assert_int_equal(lock("gone", 5, true, 0, 30, true, 0x61, NULL), NLM4_BLOCKED);
	bool known;
	/* Another machine naming the host frees nothing. */
	assert_int_equal(state_nlm_free_host(st, (const uint8_t *)"gone", 4, "192.0.2.9", &known), 0);
	assert_false(known);
	assert_int_equal(lock("b", 3, true, 0, 30, true, 0x51, NULL), NLM4_BLOCKED);
	assert_int_equal(state_nlm_free_host(st, (const uint8_t *)"gone", 4, addr_of("gone"), &known),
			 2);
	assert_true(known);
	state_lock_notify_flush(st);
	assert_int_equal(ngrants, 1);
	assert_int_equal(grant_tag[0], 0x51);
	assert_int_equal(state_nlm_free_host(st, (const uint8_t *)"gone", 4, NULL, &known), 0);
	assert_false(known);
	/* A reboot notice names the address only: every name there goes. */
	assert_int_equal(state_nlm_free_host(st, NULL, 0, addr_of("b"), &known), 1);
	assert_true(known);
	assert_false(state_nlm_addr_held(st, addr_of("b")));
}

static void test_shares(void **state)
{
	(void)state;
	struct state_nlm_owner a = {.host = (const uint8_t *)"a", .host_len = 1, .addr = "192.0.2.1",
				    .oh = (const uint8_t *)"s", .oh_len = 1};
	struct state_nlm_owner b = {.host = (const uint8_t *)"b", .host_len = 1, .addr = "192.0.2.2",
				    .oh = (const uint8_t *)"s", .oh_len = 1};
	struct state_nlm_effect eff;
	assert_int_equal(state_nlm_share(st, &a, &fa, NLM4_FSA_R, NLM4_FSM_DW, false, &eff),
			 NLM4_GRANTED);
	assert_true(eff.host_new);
	assert_int_equal(state_nlm_share(st, &b, &fa, NLM4_FSA_W, NLM4_FSM_DN, false, &eff),
			 NLM4_DENIED);
	/* A v4 OPEN for writing meets it too; reading does not. */
	uint64_t c = st_client(st, "v4-client", 1000);
	uint32_t os = 1;
	struct nfs4_stateid o;
	assert_int_equal(st_open(st, c, "open-w", &os, &fa, STATE_SHARE_ACCESS_WRITE, 0, &o),
			 NFS4ERR_SHARE_DENIED);
	assert_int_equal(st_open(st, c, "open-r", &os, &fa, STATE_SHARE_ACCESS_READ, 0, &o),
			 NFS4_OK);
	/* The v4 read open denies an NLM share that denies reading. */
	assert_int_equal(state_nlm_share(st, &b, &fa, NLM4_FSA_R, NLM4_FSM_DR, false, &eff),
			 NLM4_DENIED);
	assert_int_equal(state_nlm_unshare(st, &a, &fa, &eff), NLM4_GRANTED);
	assert_true(eff.host_gone);
}

static void test_grace(void **state)
{
	(void)state;
	/* A server whose grace period lasts 10 s. */
	state_nlm_grant_hook_set(st, NULL, NULL);
	state_server_destroy(st);
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.grace_ms = 10000;
	assert_int_equal(state_server_create(&o, &st), 0);
	assert_false(state_in_grace(st));
	state_nlm_grace_begin(st);
	assert_true(state_in_grace(st));
	assert_int_equal(lock("a", 1, true, 0, 10, false, 0, NULL), NLM4_DENIED_GRACE_PERIOD);
	struct state_nlm_lock l = lk("a", 1, true, 0, 10);
	struct state_nlm_effect eff;
	assert_int_equal(state_nlm_lock(st, &l, false, true, 3, NULL, 0, &eff), NLM4_GRANTED);
	assert_int_equal(unlock("a", 1, 0, 10, NULL), NLM4_DENIED_GRACE_PERIOD);
	struct state_nlm_holder h;
	assert_int_equal(state_nlm_test(st, &l, &h, NULL), NLM4_DENIED_GRACE_PERIOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owners_and_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_order_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_lets_in_earlier_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delegation_recalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
