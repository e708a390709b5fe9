/* Delegations in the state module: the grant policy, conflicts and
 * recalls, DELEGRETURN, revocation, and what a revoked delegation's
 * stateid answers. */
#include "state_test.h"

static struct state_server *dl_new(uint32_t lease_ms, enum state_deleg_mode mode,
				   unsigned max_total, unsigned max_per_client)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = lease_ms;
	o.reaper_interval_ms = 20;
	o.deleg.mode = mode;
	o.deleg.max_total = max_total;
	o.deleg.max_per_client = max_per_client;
	o.deleg.no_regrant_ms = 200;
	struct state_server *st = NULL;
	assert_int_equal(state_server_create(&o, &st), 0);
	return st;
}

static struct state_deleg_grant dl_grant(struct state_server *st, uint64_t clientid,
					 const struct state_file_key *k, uint32_t access,
					 uint32_t want, bool v41)
{
	struct state_deleg_ask a = {
		.access = access, .want = want, .v41 = v41, .cb_up = true};
	struct state_deleg_grant g;
	state_deleg_grant(st, clientid, k, &a, &g);
	return g;
}

/* OPEN (with confirm) then the grant decision, as OPEN makes them. */
static struct state_deleg_grant dl_open(struct state_server *st, uint64_t clientid,
					const char *owner, uint32_t *seqid,
					const struct state_file_key *k, uint32_t access,
					enum nfsstat4 want_status)
{
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, clientid, owner, seqid, k, access, 0, &sid), want_status);
	struct state_deleg_grant g = {.type = OPEN_DELEGATE_NONE};
	if (want_status == NFS4_OK)
		g = dl_grant(st, clientid, k, access, 0, false);
	return g;
}

static size_t dl_recalls(struct state_server *st, struct state_deleg_cb *out, size_t max)
{
	return state_deleg_take_callbacks(st, out, max);
}

static void test_read_and_write_grants(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f1 = st_key(1, "f1"), f2 = st_key(1, "f2");
	uint32_t seq = 1;
	struct state_deleg_grant g = dl_open(st, a, "o", &seq, &f1, STATE_SHARE_ACCESS_READ, NFS4_OK);
	assert_int_equal(g.type, OPEN_DELEGATE_READ);
	assert_true(g.is_new && g.file_first);
	/* The same client opening again gets the same delegation. */
	struct state_deleg_grant g2 =
		dl_open(st, a, "o2", &(uint32_t){1}, &f1, STATE_SHARE_ACCESS_READ, NFS4_OK);
	assert_int_equal(g2.type, OPEN_DELEGATE_READ);
	assert_false(g2.is_new);
	assert_memory_equal(g2.stateid.other, g.stateid.other, NFS4_OTHER_SIZE);
	g = dl_open(st, a, "o", &seq, &f2, STATE_SHARE_ACCESS_BOTH, NFS4_OK);
	assert_int_equal(g.type, OPEN_DELEGATE_WRITE);
	struct state_deleg_stats ds;
	state_deleg_get_stats(st, &ds);
	assert_int_equal(ds.active, 2);
	assert_int_equal(ds.granted, 2);
	state_server_destroy(st);
}

static void test_policy_refusals(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key f = st_key(1, "f");
	uint32_t sa = 1, sb = 1;
	/* b has the file open for writing: no read delegation for a. */
	struct state_deleg_grant g = dl_open(st, b, "ob", &sb, &f, STATE_SHARE_ACCESS_WRITE, NFS4_OK);
	assert_int_equal(g.type, OPEN_DELEGATE_WRITE);
	/* a's read OPEN conflicts with b's write delegation: recalled. */
	struct nfs4_stateid sid;
	assert_int_equal(st_open(st, a, "oa", &sa, &f, STATE_SHARE_ACCESS_READ, 0, &sid),
			 NFS4ERR_DELAY);
	struct state_deleg_cb cbs[4];
	assert_int_equal(dl_recalls(st, cbs, 4), 1);
	assert_int_equal(cbs[0].opnum, OP_CB_RECALL);
	assert_int_equal(cbs[0].clientid, b);
	/* Once returned, a opens but gets no delegation: b writes it. */
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 0, &last), NFS4_OK);
	assert_true(last);
	g = dl_open(st, a, "oa", &sa, &f, STATE_SHARE_ACCESS_READ, NFS4_OK);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE);
	/* v4.1 with a want: NONE_EXT and the reason. */
	g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, OPEN4_SHARE_ACCESS_WANT_READ_DELEG, true);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(g.why, WND4_CONTENTION);
	g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, OPEN4_SHARE_ACCESS_WANT_NO_DELEG, true);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(g.why, WND4_NOT_WANTED);
	g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, OPEN4_SHARE_ACCESS_WANT_CANCEL, true);
	assert_int_equal(g.why, WND4_CANCELLED);
	/* A writer of its own: no read delegation (its writes would break
	 * it), but a write delegation. */
	struct state_file_key g3 = st_key(1, "g3");
	uint32_t s3 = 1;
	struct nfs4_stateid sid3;
	assert_int_equal(st_open(st, a, "o3", &s3, &g3, STATE_SHARE_ACCESS_WRITE, 0, &sid3),
			 NFS4_OK);
	assert_int_equal(dl_grant(st, a, &g3, STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_NONE);
	assert_int_equal(dl_grant(st, a, &g3, STATE_SHARE_ACCESS_BOTH, 0, false).type,
			 OPEN_DELEGATE_WRITE);
	/* No callback path: none. */
	struct state_file_key f2 = st_key(1, "f2");
	struct state_deleg_ask ask = {.access = STATE_SHARE_ACCESS_READ, .cb_up = false};
	state_deleg_grant(st, a, &f2, &ask, &g);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE);
	state_server_destroy(st);
}

/* The upgrade's carry test: files whose name begins with "kept". */
static bool carry_kept(void *arg, const struct state_file_key *file, bool dir)
{
	(void)arg, (void)dir;
	return file->bh.len >= 4 && memcmp(file->bh.data, "kept", 4) == 0;
}

/* Before an upgrade, delegations the upgrade carries are still granted
 * and kept; the others are recalled and none such is granted; after it
 * (or a failed one), any is granted again. */
static void test_suspended_grants_carried_only(void **state)
{
	(void)state;
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key held = st_key(1, "kept-held"), lost = st_key(1, "other-held");
	struct state_file_key kept = st_key(1, "kept-new"), other = st_key(1, "other-new");
	uint32_t r = STATE_SHARE_ACCESS_READ, want = OPEN4_SHARE_ACCESS_WANT_READ_DELEG;
	struct state_deleg_grant gh = dl_grant(st, a, &held, r, want, true);
	struct state_deleg_grant gl = dl_grant(st, a, &lost, r, want, true);
	assert_int_equal(gh.type, OPEN_DELEGATE_READ);
	assert_int_equal(gl.type, OPEN_DELEGATE_READ);

	state_deleg_suspend(st, true, carry_kept, NULL);
	struct state_deleg_cb cbs[4];
	assert_int_equal(dl_recalls(st, cbs, 4), 1);
	assert_memory_equal(cbs[0].stateid.other, gl.stateid.other, NFS4_OTHER_SIZE);
	assert_int_equal(state_deleg_outstanding(st), 1);
	struct state_deleg_grant g = dl_grant(st, a, &kept, r, want, true);
	assert_int_equal(g.type, OPEN_DELEGATE_READ);
	assert_true(g.is_new);
	g = dl_grant(st, a, &other, r, want, true);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(g.why, WND4_RESOURCE);
	/* The new one carried: not among those the upgrade waits for. */
	assert_int_equal(state_deleg_outstanding(st), 1);

	state_deleg_suspend(st, false, NULL, NULL);
	assert_int_equal(dl_grant(st, a, &other, r, want, true).type, OPEN_DELEGATE_READ);
	state_server_destroy(st);
}

static void test_caps_and_modes(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_ONLY, 3, 2);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key k[4] = {st_key(1, "k0"), st_key(1, "k1"), st_key(1, "k2"),
				      st_key(1, "k3")};
	assert_int_equal(dl_grant(st, a, &k[0], STATE_SHARE_ACCESS_BOTH, 0, false).type,
			 OPEN_DELEGATE_NONE); /* read-only mode */
	assert_int_equal(dl_grant(st, a, &k[0], STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_READ);
	assert_int_equal(dl_grant(st, a, &k[1], STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_READ);
	/* Per client cap. */
	assert_int_equal(dl_grant(st, a, &k[2], STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_NONE);
	assert_int_equal(dl_grant(st, b, &k[2], STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_READ);
	/* Total cap. */
	struct state_deleg_grant g = dl_grant(st, b, &k[3], STATE_SHARE_ACCESS_READ,
					      OPEN4_SHARE_ACCESS_WANT_ANY_DELEG, true);
	assert_int_equal(g.type, OPEN_DELEGATE_NONE_EXT);
	assert_int_equal(g.why, WND4_RESOURCE);
	state_server_destroy(st);

	st = dl_new(10000, STATE_DELEG_OFF, 0, 0);
	a = st_client(st, "a", 1);
	assert_int_equal(dl_grant(st, a, &k[0], STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_NONE);
	state_server_destroy(st);
}

static void test_conflicts_and_no_ping_pong(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key f = st_key(1, "f");
	struct state_deleg_grant ga = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	struct state_deleg_grant gb = dl_grant(st, b, &f, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(ga.type, OPEN_DELEGATE_READ);
	assert_int_equal(gb.type, OPEN_DELEGATE_READ); /* read delegations share */
	/* Reads conflict with no read delegation; the holder's own change
	 * with no delegation of its own. */
	assert_int_equal(state_deleg_break(st, &f, a, NULL, false), NFS4_OK);
	struct state_deleg_cb cbs[4];
	assert_int_equal(dl_recalls(st, cbs, 4), 0);
	/* A change by a recalls b's only; a change by nobody known, both. */
	assert_int_equal(state_deleg_break(st, &f, a, NULL, true), NFS4ERR_DELAY);
	assert_int_equal(dl_recalls(st, cbs, 4), 1);
	assert_int_equal(cbs[0].clientid, b);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, true), NFS4ERR_DELAY);
	assert_int_equal(dl_recalls(st, cbs, 4), 1); /* b's went out already */
	assert_int_equal(cbs[0].clientid, a);
	/* A stateid names its client: a's own delegation stateid. */
	assert_int_equal(state_deleg_break(st, &f, 0, &ga.stateid, true), NFS4ERR_DELAY);
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &gb.stateid, &f, 1, &last), NFS4_OK);
	assert_false(last);
	assert_int_equal(state_deleg_break(st, &f, 0, &ga.stateid, true), NFS4_OK);
	assert_int_equal(state_delegreturn(st, 0, &ga.stateid, &f, 1, &last), NFS4_OK);
	assert_true(last);
	/* Recalled a moment ago: no delegation, until the window passed. */
	assert_int_equal(dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_NONE);
	st_sleep_ms(250);
	assert_int_equal(dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false).type,
			 OPEN_DELEGATE_READ);
	state_server_destroy(st);
}

/* What a lease drop asks before it acts: whether the file has a
 * delegation now.  A grant after the "last" DELEGRETURN makes the answer
 * yes again, so the drop that DELEGRETURN asked for keeps the lease. */
static void test_file_delegated_after_last_return(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key f = st_key(1, "f"), other = st_key(1, "g");
	assert_false(state_deleg_file_delegated(st, &f));
	struct state_deleg_grant ga = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(ga.type, OPEN_DELEGATE_READ);
	assert_true(ga.is_new && ga.file_first);
	assert_true(state_deleg_file_delegated(st, &f));
	assert_false(state_deleg_file_delegated(st, &other));
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &ga.stateid, &f, 1, &last), NFS4_OK);
	assert_true(last);
	assert_false(state_deleg_file_delegated(st, &f));
	/* b's OPEN before the lease drop: the file's first again. */
	struct state_deleg_grant gb = dl_grant(st, b, &f, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(gb.type, OPEN_DELEGATE_READ);
	assert_true(gb.is_new && gb.file_first);
	assert_true(state_deleg_file_delegated(st, &f));
	assert_int_equal(state_delegreturn(st, 0, &gb.stateid, &f, 1, &last), NFS4_OK);
	assert_true(last);
	assert_false(state_deleg_file_delegated(st, &f));
	state_server_destroy(st);
}

static void test_delegreturn_errors(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f = st_key(1, "f"), other = st_key(1, "g");
	uint32_t seq = 1;
	struct nfs4_stateid osid;
	assert_int_equal(st_open(st, a, "o", &seq, &f, STATE_SHARE_ACCESS_READ, 0, &osid), NFS4_OK);
	struct state_deleg_grant g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	bool last;
	/* An open stateid is not a delegation; another file; an old seqid. */
	assert_int_equal(state_delegreturn(st, 0, &osid, &f, 0, &last), NFS4ERR_BAD_STATEID);
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &other, 0, &last), NFS4ERR_BAD_STATEID);
	struct nfs4_stateid old = g.stateid;
	old.seqid = 0;
	assert_int_equal(state_delegreturn(st, 0, &old, &f, 0, &last), NFS4ERR_OLD_STATEID);
	/* Reads with a read delegation; writes need a write delegation. */
	assert_int_equal(state_check_io(st, 0, &g.stateid, &f, false, 0, 10, 0), NFS4_OK);
	assert_int_equal(state_check_io(st, 0, &g.stateid, &f, true, 0, 10, 0), NFS4ERR_OPENMODE);
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 0, &last), NFS4_OK);
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 0, &last), NFS4ERR_BAD_STATEID);
	state_server_destroy(st);
}

static void test_revoked_after_a_lease(void **state)
{
	struct state_server *st = dl_new(300, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f = st_key(1, "f");
	struct state_deleg_grant g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, true), NFS4ERR_DELAY);
	struct state_deleg_cb cbs[2];
	assert_int_equal(dl_recalls(st, cbs, 2), 1);
	state_deleg_recall_done(st, &cbs[0].stateid, NFS4_OK);
	/* Keep the client alive while the recall runs out. */
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(60);
		assert_int_equal(state_renew(st, a), NFS4_OK);
	}
	state_run_reaper(st);
	struct state_deleg_stats ds;
	state_deleg_get_stats(st, &ds);
	assert_int_equal(ds.revoked, 1);
	assert_int_equal(ds.active, 0);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, true), NFS4_OK);
	/* Its file's lease is to go. */
	struct state_file_key keys[2];
	assert_int_equal(state_deleg_take_unleased(st, keys, 2), 1);
	/* v4.0: EXPIRED for I/O; the client is not kept from other work. */
	assert_int_equal(state_check_io(st, 0, &g.stateid, &f, false, 0, 1, 0), NFS4ERR_EXPIRED);
	assert_int_equal(state_check_io(st, 0, &g.stateid, &f, false, 0, 1, 1),
			 NFS4ERR_DELEG_REVOKED);
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 1, &last), NFS4ERR_DELEG_REVOKED);
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 1, &last), NFS4ERR_BAD_STATEID);
	state_server_destroy(st);
}

static void test_undeliverable_recall_revokes(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f = st_key(1, "f");
	struct state_deleg_grant g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_BOTH, 0, false);
	assert_int_equal(g.type, OPEN_DELEGATE_WRITE);
	/* Another client's GETATTR asks the holder first. */
	bool have;
	struct state_deleg_ga v;
	assert_int_equal(state_deleg_getattr(st, &f, 77, &have, &v, NULL, NULL), NFS4ERR_DELAY);
	struct state_deleg_cb cbs[2];
	assert_int_equal(dl_recalls(st, cbs, 2), 1);
	assert_int_equal(cbs[0].opnum, OP_CB_GETATTR);
	assert_int_equal(state_deleg_getattr(st, &f, 77, &have, &v, NULL, NULL), NFS4ERR_DELAY);
	struct state_deleg_ga ans = {.change = 42, .size = 7};
	state_deleg_getattr_done(st, &cbs[0].stateid, &ans);
	assert_int_equal(state_deleg_getattr(st, &f, 77, &have, &v, NULL, NULL), NFS4_OK);
	assert_true(have);
	assert_int_equal(v.change, 42);
	assert_int_equal(v.size, 7);
	/* The holder itself is not asked. */
	assert_int_equal(state_deleg_getattr(st, &f, a, &have, &v, NULL, NULL), NFS4_OK);
	assert_false(have);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, false), NFS4ERR_DELAY);
	assert_int_equal(dl_recalls(st, cbs, 2), 1);
	state_deleg_recall_done(st, &cbs[0].stateid, NFS4ERR_CB_PATH_DOWN);
	assert_true(state_client_has_delegations(st, a) == false);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, false), NFS4_OK);
	state_server_destroy(st);
}

/* Waits up to ms for the state thread to queue a callback; how many. */
static size_t dl_recalls_within(struct state_server *st, struct state_deleg_cb *out, size_t max,
				unsigned ms)
{
	size_t n = 0;
	for (unsigned waited = 0; (n = dl_recalls(st, out, max)) == 0 && waited < ms; waited += 20)
		st_sleep_ms(20);
	return n;
}

/* A CB_RECALL the holder cannot match (NFS4ERR_BAD_STATEID: it overtook the
 * OPEN reply that granted the delegation) goes out again a second later,
 * STATE_DELEG_RECALL_RESENDS times at most; one answered NFS4_OK does not. */
static void test_unmatched_recall_sent_again(void **state)
{
	struct state_server *st = dl_new(60000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f = st_key(1, "f");
	struct state_deleg_grant g = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(g.type, OPEN_DELEGATE_READ);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, true), NFS4ERR_DELAY);
	struct state_deleg_cb cbs[2];
	assert_int_equal(dl_recalls(st, cbs, 2), 1);
	for (unsigned i = 0; i < STATE_DELEG_RECALL_RESENDS; i++) {
		state_deleg_recall_done(st, &cbs[0].stateid,
					i % 2 ? NFS4ERR_BADHANDLE : NFS4ERR_BAD_STATEID);
		/* Not at once: the reply that granted it needs its time. */
		assert_int_equal(dl_recalls(st, cbs, 2), 0);
		assert_int_equal(dl_recalls_within(st, cbs, 2, 3000), 1);
		assert_int_equal(cbs[0].opnum, OP_CB_RECALL);
		assert_memory_equal(cbs[0].stateid.other, g.stateid.other, sizeof(g.stateid.other));
	}
	state_deleg_recall_done(st, &cbs[0].stateid, NFS4ERR_BAD_STATEID);
	assert_int_equal(dl_recalls_within(st, cbs, 2, 1500), 0);
	/* Still recalled, and returned as usual. */
	bool last;
	assert_int_equal(state_delegreturn(st, 0, &g.stateid, &f, 0, &last), NFS4_OK);

	/* Answered: nothing more is sent. */
	struct state_file_key f2 = st_key(1, "f2");
	g = dl_grant(st, a, &f2, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(g.type, OPEN_DELEGATE_READ);
	assert_int_equal(state_deleg_break(st, &f2, 0, NULL, true), NFS4ERR_DELAY);
	assert_int_equal(dl_recalls(st, cbs, 2), 1);
	state_deleg_recall_done(st, &cbs[0].stateid, NFS4_OK);
	assert_int_equal(dl_recalls_within(st, cbs, 2, 1500), 0);
	state_server_destroy(st);
}

/* The back end gave the file's lease up: every file delegation on it is
 * revoked at once, recalled or not, and the file's lease is to be dropped. */
static void test_lease_lost_revokes(void **state)
{
	struct state_server *st = dl_new(60000, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key f = st_key(1, "f"), other = st_key(1, "other");
	struct state_deleg_grant ga = dl_grant(st, a, &f, STATE_SHARE_ACCESS_READ, 0, false);
	struct state_deleg_grant gb = dl_grant(st, b, &f, STATE_SHARE_ACCESS_READ, 0, false);
	struct state_deleg_grant go = dl_grant(st, a, &other, STATE_SHARE_ACCESS_READ, 0, false);
	assert_int_equal(ga.type, OPEN_DELEGATE_READ);
	assert_int_equal(gb.type, OPEN_DELEGATE_READ);
	assert_int_equal(go.type, OPEN_DELEGATE_READ);
	state_deleg_revoke_file(st, &f, "test");
	struct state_deleg_stats ds;
	state_deleg_get_stats(st, &ds);
	assert_int_equal(ds.revoked, 2);
	assert_int_equal(ds.active, 1);
	assert_int_equal(state_check_io(st, 0, &ga.stateid, &f, false, 0, 1, 1),
			 NFS4ERR_DELEG_REVOKED);
	assert_int_equal(state_check_io(st, 0, &gb.stateid, &f, false, 0, 1, 1),
			 NFS4ERR_DELEG_REVOKED);
	assert_int_equal(state_check_io(st, 0, &go.stateid, &other, false, 0, 1, 1), NFS4_OK);
	assert_false(state_deleg_file_delegated(st, &f));
	struct state_file_key keys[2];
	assert_int_equal(state_deleg_take_unleased(st, keys, 2), 1);
	assert_int_equal(keys[0].export_id, f.export_id);
	assert_int_equal(keys[0].bh.len, f.bh.len);
	assert_memory_equal(keys[0].bh.data, f.bh.data, f.bh.len);
	/* Nothing left to revoke: a second notice changes nothing. */
	state_deleg_revoke_file(st, &f, "test");
	state_deleg_get_stats(st, &ds);
	assert_int_equal(ds.revoked, 2);
	state_server_destroy(st);
}

static void test_reclaim_and_cur(void **state)
{
	struct state_server *st = dl_new(10000, STATE_DELEG_OFF, 0, 0);
	uint64_t a = st_client(st, "a", 1), b = st_client(st, "b", 2);
	struct state_file_key f = st_key(1, "f");
	/* A reclaim gets its delegation back whatever the policy. */
	struct state_deleg_ask ask = {.access = STATE_SHARE_ACCESS_READ,
				      .reclaim_type = OPEN_DELEGATE_WRITE};
	struct state_deleg_grant g;
	state_deleg_grant(st, a, &f, &ask, &g);
	assert_int_equal(g.type, OPEN_DELEGATE_WRITE);
	assert_true(g.recall); /* no callback path */
	/* Another client cannot have held one beside it. */
	struct state_deleg_grant gb;
	ask.reclaim_type = OPEN_DELEGATE_READ;
	state_deleg_grant(st, b, &f, &ask, &gb);
	assert_int_equal(gb.type, OPEN_DELEGATE_NONE);
	assert_int_equal(state_deleg_check_cur(st, a, &g.stateid, &f, 0), NFS4_OK);
	assert_int_equal(state_deleg_check_cur(st, b, &g.stateid, &f, 0), NFS4ERR_BAD_STATEID);
	/* A client going drops its delegations. */
	assert_true(state_client_has_delegations(st, a));
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.delegations, 1);
	state_server_destroy(st);
}

static void test_client_expiry_drops_delegations(void **state)
{
	struct state_server *st = dl_new(200, STATE_DELEG_READ_WRITE, 0, 0);
	uint64_t a = st_client(st, "a", 1);
	struct state_file_key f = st_key(1, "f");
	assert_int_equal(dl_grant(st, a, &f, STATE_SHARE_ACCESS_BOTH, 0, false).type,
			 OPEN_DELEGATE_WRITE);
	st_sleep_ms(350);
	state_run_reaper(st);
	struct state_deleg_stats ds;
	state_deleg_get_stats(st, &ds);
	assert_int_equal(ds.active, 0);
	assert_int_equal(ds.revoked, 0); /* gone with its client, not revoked */
	struct state_file_key keys[2];
	assert_int_equal(state_deleg_take_unleased(st, keys, 2), 1);
	assert_int_equal(state_deleg_break(st, &f, 0, NULL, true), NFS4_OK);
	state_server_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_and_write_grants),
		cmocka_unit_test(test_policy_refusals),
		cmocka_unit_test(test_suspended_grants_carried_only),
		cmocka_unit_test(test_caps_and_modes),
		cmocka_unit_test(test_conflicts_and_no_ping_pong),
		cmocka_unit_test(test_delegreturn_errors),
		cmocka_unit_test(test_revoked_after_a_lease),
		cmocka_unit_test(test_undeliverable_recall_revokes),
		cmocka_unit_test(test_unmatched_recall_sent_again),
		cmocka_unit_test(test_lease_lost_revokes),
		cmocka_unit_test(test_reclaim_and_cur),
		cmocka_unit_test(test_client_expiry_drops_delegations),
		cmocka_unit_test(test_file_delegated_after_last_return),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
