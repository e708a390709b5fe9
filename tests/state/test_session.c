/* The v4.1 session layer without the network: slot seqids through their
 * wrap, a retry of a request still in flight, a refused SEQUENCE leaving the
 * slot alone, replays renewing the lease, the reply-cache budget lowering
 * target_highest_slotid and enforced once the client shrinks, the reaper destroying expired clients' sessions
 * and returning their cache bytes, SEQUENCE from many threads,
 * DESTROY_SESSION racing SEQUENCEs, a CREATE_SESSION retried while its
 * first copy is still under way, and what closing a connection costs. */
#include "state_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "state/clients/session_internal.h"

struct sess {
	uint64_t clientid;
	uint8_t sid[NFS4_SESSIONID_SIZE];
};

static void sess_up(struct state_server *st, const char *name, uint32_t slots, struct sess *out)
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
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 1 << 20,
					  .maxresponsesize = 1 << 20,
					  .maxresponsesize_cached = 4096,
					  .maxoperations = 16,
					  .maxrequests = slots};
	a.back = (struct nfs4_chan_attrs){.maxrequestsize = 4096,
					  .maxresponsesize = 4096,
					  .maxoperations = 2,
					  .maxrequests = 16};
	struct state_create_session_res r;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	assert_null(replay);
	out->clientid = er.clientid;
	memcpy(out->sid, r.sessionid, NFS4_SESSIONID_SIZE);
}

/* The channel attributes are the codec's, RDMA field included: whatever a
 * client asks for it, the negotiated channels carry no ca_rdma_ird. */
static void test_no_rdma_ird(void **state)
{
	(void)state;
	struct state_server *st = st_new(60000);
	struct state_principal who = st_who(1);
	struct state_exchange_res er;
	assert_int_equal(state_exchange_id(st, &who, (const uint8_t *)"verifier",
					   (const uint8_t *)"rdma", 4, 0, 1, &er),
			 NFS4_OK);
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	a.clientid = er.clientid;
	a.sequence = er.sequenceid;
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 1 << 20,
					  .maxresponsesize = 1 << 20,
					  .maxoperations = 16,
					  .maxrequests = 8,
					  .has_rdma_ird = true,
					  .rdma_ird = 7};
	a.back = a.fore;
	a.back.maxrequestsize = 4096;
	a.back.maxresponsesize = 4096;
	struct state_create_session_res r;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	assert_null(replay);
	assert_false(r.fore.has_rdma_ird);
	assert_int_equal(r.fore.rdma_ird, 0);
	assert_false(r.back.has_rdma_ird);
	assert_int_equal(r.back.rdma_ird, 0);
	assert_int_equal(r.back.maxrequestsize, 4096);
	state_server_destroy(st);
}

static enum nfsstat4 seq(struct state_server *st, const struct sess *s, uint32_t slot,
			 uint32_t seqid, uint64_t digest, struct state_sequence_res *r)
{
	/* The client uses its slots from the lowest up. */
	struct state_sequence_args a = {.sessionid = s->sid,
					.seqid = seqid,
					.slotid = slot,
					.highest_slotid = slot,
					.cachethis = true,
					.digest = digest,
					.numops = 1,
					.reqsize = 100};
	return state_sequence(st, &a, r);
}

enum { FAKE_HDR = 8 }; /* stands for the RPC header before the COMPOUND4res */

/* A reply as the COMPOUND front door keeps it: header, then the result. */
static struct buf *kept_reply(const void *body, size_t len)
{
	struct buf *b = buf_new(FAKE_HDR + len);
	assert_non_null(b);
	memcpy(b->data, "rpc-hdr!", FAKE_HDR);
	memcpy(b->data + FAKE_HDR, body, len);
	b->len = FAKE_HDR + len;
	return b;
}

static void done(struct state_server *st, struct state_sequence_res *r, uint32_t slot,
		 const char *reply)
{
	state_sequence_done(st, r->session, slot, kept_reply(reply, strlen(reply)), FAKE_HDR);
}

static void test_seqid_wrap_and_inflight(void **state)
{
	struct state_server *st = st_new(60000);
	struct sess s;
	sess_up(st, "wrap", 4, &s);
	struct state_sequence_res r, r2;
	/* Put slot 1 just before the wrap. */
	struct state_session *ss = state_session_find(st, s.sid);
	assert_non_null(ss);
	ss->slots[1].seqid = UINT32_MAX - 1;
	ss->slots[1].used = true;
	state_session_unref(st, ss);

	assert_int_equal(seq(st, &s, 1, UINT32_MAX, 7, &r), NFS4_OK);
	assert_int_equal(r.kind, STATE_SEQ41_NEW);
	/* The same request again while the first is in flight: DELAY, and
	 * the slot is untouched. */
	assert_int_equal(seq(st, &s, 1, UINT32_MAX, 7, &r2), NFS4ERR_DELAY);
	assert_int_equal(seq(st, &s, 1, 0, 8, &r2), NFS4ERR_DELAY);
	struct buf *kept = kept_reply("reply-max", 9);
	state_sequence_done(st, r.session, 1, kept, FAKE_HDR);
	/* Replay of UINT32_MAX, then the wrap to 0.  The replay is the kept
	 * buffer itself, not a copy. */
	assert_int_equal(seq(st, &s, 1, UINT32_MAX, 7, &r), NFS4_OK);
	assert_int_equal(r.kind, STATE_SEQ41_REPLAY);
	assert_ptr_equal(r.replay, kept);
	assert_int_equal(r.replay_off, FAKE_HDR);
	assert_int_equal(r.replay->len - r.replay_off, 9);
	assert_memory_equal(r.replay->data + r.replay_off, "reply-max", 9);
	buf_unref(r.replay);
	assert_int_equal(seq(st, &s, 1, 1, 9, &r), NFS4ERR_SEQ_MISORDERED);
	assert_int_equal(seq(st, &s, 1, 0, 9, &r), NFS4_OK);
	assert_int_equal(r.kind, STATE_SEQ41_NEW);
	done(st, &r, 1, "reply-zero");
	assert_int_equal(seq(st, &s, 1, 0, 10, &r), NFS4ERR_SEQ_FALSE_RETRY);
	assert_int_equal(seq(st, &s, 1, 1, 11, &r), NFS4_OK);
	done(st, &r, 1, "one");
	/* Refusals leave the slot alone: TOO_MANY_OPS, REQ_TOO_BIG. */
	struct state_sequence_args a = {.sessionid = s.sid, .seqid = 2, .slotid = 1,
					.numops = 17, .reqsize = 10};
	assert_int_equal(state_sequence(st, &a, &r), NFS4ERR_TOO_MANY_OPS);
	a.numops = 2;
	a.reqsize = (1 << 20) + 1;
	assert_int_equal(state_sequence(st, &a, &r), NFS4ERR_REQ_TOO_BIG);
	assert_int_equal(seq(st, &s, 1, 2, 12, &r), NFS4_OK);
	done(st, &r, 1, "two");
	struct state_session_stats sst;
	state_get_session_stats(st, &sst);
	assert_true(sst.replay_hits >= 1);
	assert_true(sst.err_slot_busy >= 2);
	assert_int_equal(sst.slots_in_use, 0);
	assert_true(sst.cache_bytes > 0);
	state_server_destroy(st);
}

static void test_replay_renews_and_reaper(void **state)
{
	struct state_server *st = st_new(300);
	struct sess s;
	sess_up(st, "lease", 2, &s);
	struct state_sequence_res r;
	assert_int_equal(seq(st, &s, 0, 1, 1, &r), NFS4_OK);
	done(st, &r, 0, "cached reply");
	/* Only replays for more than a lease: the client lives on. */
	for (int i = 0; i < 8; i++) {
		st_sleep_ms(100);
		assert_int_equal(seq(st, &s, 0, 1, 1, &r), NFS4_OK);
		assert_int_equal(r.kind, STATE_SEQ41_REPLAY);
		buf_unref(r.replay);
		state_run_reaper(st);
	}
	struct state_stats stats;
	state_get_stats(st, &stats);
	assert_int_equal(stats.clients_confirmed, 1);
	/* Silence: the reaper destroys the client, its session and cache. */
	st_sleep_ms(700);
	state_run_reaper(st);
	state_get_stats(st, &stats);
	assert_int_equal(stats.clients_confirmed, 0);
	assert_int_equal(seq(st, &s, 0, 2, 1, &r), NFS4ERR_BADSESSION);
	struct state_session_stats sst;
	state_get_session_stats(st, &sst);
	assert_int_equal(sst.sessions, 0);
	assert_int_equal(sst.cache_bytes, 0);
	state_server_destroy(st);
}

static void test_budget_lowers_target(void **state)
{
	struct state_server *st = st_new(60000);
	struct state_session_limits lim;
	state_session_limits_default(&lim);
	lim.cache_budget = 4096;
	state_session_set_limits(st, &lim);
	struct sess s;
	sess_up(st, "budget", 16, &s);
	struct state_sequence_res r;
	assert_int_equal(seq(st, &s, 0, 1, 1, &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, 15);
	char big[3000];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	done(st, &r, 0, big);
	assert_int_equal(seq(st, &s, 1, 1, 1, &r), NFS4_OK);
	done(st, &r, 1, big);
	/* Over the budget: the target comes down, requests still work.  The
	 * whole kept buffers count. */
	struct state_session_stats sst;
	state_get_session_stats(st, &sst);
	assert_int_equal(sst.cache_bytes, 2 * (FAKE_HDR + sizeof(big) - 1));
	assert_int_equal(seq(st, &s, 2, 1, 1, &r), NFS4_OK);
	assert_int_equal(r.highest_slotid, 15);
	assert_true(r.target_highest_slotid < 15);
	done(st, &r, 2, "x");
	state_server_destroy(st);
}

/* A SEQUENCE on slot with the client's sa_highest_slotid. */
static enum nfsstat4 seq_hi(struct state_server *st, const struct sess *s, uint32_t slot,
			    uint32_t seqid, uint32_t highest, struct state_sequence_res *r)
{
	struct state_sequence_args a = {.sessionid = s->sid,
					.seqid = seqid,
					.slotid = slot,
					.highest_slotid = highest,
					.cachethis = true,
					.digest = seqid,
					.numops = 1,
					.reqsize = 100};
	return state_sequence(st, &a, r);
}

/* The budget holds: four sessions whose kept replies are about three times
 * it are told a lower target; once each client's highest slot is within it
 * (it shrank its table), the slots above are freed with their replies and
 * refused (BADSLOT), and the caches fit the budget.  Back under it, the
 * target and the highest slot go up again, the new slots fresh. */
static void test_budget_enforced(void **state)
{
	struct state_server *st = st_new(60000);
	struct state_session_limits lim;
	state_session_limits_default(&lim);
	lim.cache_budget = 64 * 1024;
	state_session_set_limits(st, &lim);
	enum { NS = 4, SLOTS = 16 };
	struct sess s[NS];
	uint32_t next[NS][SLOTS];
	char big[3000];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct state_sequence_res r;
	for (int k = 0; k < NS; k++) {
		char name[16];
		snprintf(name, sizeof(name), "budget-%d", k);
		sess_up(st, name, SLOTS, &s[k]);
		for (uint32_t i = 0; i < SLOTS; i++) {
			assert_int_equal(seq_hi(st, &s[k], i, 1, SLOTS - 1, &r), NFS4_OK);
			done(st, &r, i, big);
			next[k][i] = 2;
		}
	}
	struct state_session_stats sst;
	state_get_session_stats(st, &sst);
	assert_true(sst.cache_bytes > 2 * lim.cache_budget);

	uint32_t target[NS];
	for (int k = 0; k < NS; k++) {
		/* Told the target while still using every slot. */
		assert_int_equal(seq_hi(st, &s[k], 0, next[k][0]++, SLOTS - 1, &r), NFS4_OK);
		assert_int_equal(r.highest_slotid, SLOTS - 1);
		assert_true(r.target_highest_slotid < SLOTS - 1);
		target[k] = r.target_highest_slotid;
		done(st, &r, 0, "x");
		/* The client shrinks to it: the slots above go. */
		assert_int_equal(seq_hi(st, &s[k], 0, next[k][0]++, target[k], &r), NFS4_OK);
		assert_int_equal(r.highest_slotid, target[k]);
		done(st, &r, 0, "x");
		assert_int_equal(seq_hi(st, &s[k], SLOTS - 1, next[k][SLOTS - 1], target[k], &r),
				 NFS4ERR_BADSLOT);
	}
	state_get_session_stats(st, &sst);
	assert_true(sst.cache_bytes <= lim.cache_budget);

	/* Under the budget again: the target and the highest slot rise, and
	 * a freed slot starts again at seqid 1. */
	assert_int_equal(seq_hi(st, &s[0], 0, next[0][0]++, target[0], &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, SLOTS - 1);
	assert_int_equal(r.highest_slotid, SLOTS - 1);
	done(st, &r, 0, "x");
	assert_int_equal(seq_hi(st, &s[0], SLOTS - 1, 1, SLOTS - 1, &r), NFS4_OK);
	done(st, &r, SLOTS - 1, "x");
	state_server_destroy(st);
}

/* Over the budget the share is per client first: a client with four
 * sessions gets no more than one with a single session. */
static void test_budget_shared_by_clients(void **state)
{
	struct state_server *st = st_new(60000);
	struct state_session_limits lim;
	state_session_limits_default(&lim);
	lim.cache_budget = 64 * 1024;
	state_session_set_limits(st, &lim);
	enum { SLOTS = 16 };
	struct sess one, many[4];
	sess_up(st, "budget-one", SLOTS, &one);
	/* Four sessions of one client (sess_up's channel attributes). */
	struct state_principal who = st_who(1);
	struct state_exchange_res er;
	assert_int_equal(state_exchange_id(st, &who, (const uint8_t *)"verifier",
					   (const uint8_t *)"budget-many", 11, 0, 1, &er),
			 NFS4_OK);
	for (int k = 0; k < 4; k++) {
		struct state_create_session_args a;
		memset(&a, 0, sizeof(a));
		a.clientid = er.clientid;
		a.sequence = er.sequenceid + (uint32_t)k;
		a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 1 << 20,
						  .maxresponsesize = 1 << 20,
						  .maxresponsesize_cached = 4096,
						  .maxoperations = 16,
						  .maxrequests = SLOTS};
		a.back = (struct nfs4_chan_attrs){.maxrequestsize = 4096,
						  .maxresponsesize = 4096,
						  .maxoperations = 2,
						  .maxrequests = 16};
		struct state_create_session_res r;
		struct buf *replay;
		enum nfsstat4 rs;
		assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
		many[k].clientid = er.clientid;
		memcpy(many[k].sid, r.sessionid, NFS4_SESSIONID_SIZE);
	}
	/* Over the budget. */
	char big[3000];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct state_sequence_res r;
	for (uint32_t i = 0; i < SLOTS; i++) {
		assert_int_equal(seq_hi(st, &one, i, 1, SLOTS - 1, &r), NFS4_OK);
		done(st, &r, i, big);
		assert_int_equal(seq_hi(st, &many[0], i, 1, SLOTS - 1, &r), NFS4_OK);
		done(st, &r, i, big);
	}
	/* Half of 64 KiB each; the four sessions split theirs: 8 and 2 slots
	 * of 4 KiB. */
	assert_int_equal(seq_hi(st, &one, 0, 2, SLOTS - 1, &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, 7);
	done(st, &r, 0, big);
	assert_int_equal(seq_hi(st, &many[1], 0, 1, SLOTS - 1, &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, 1);
	done(st, &r, 0, big);
	/* One of them goes: the other three share the client's half. */
	assert_int_equal(state_destroy_session(st, many[3].sid, NULL, NULL), NFS4_OK);
	assert_int_equal(seq_hi(st, &many[1], 0, 2, SLOTS - 1, &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, 1); /* 32 KiB / 3 / 4 KiB = 2 */
	done(st, &r, 0, big);
	assert_int_equal(state_destroy_session(st, many[2].sid, NULL, NULL), NFS4_OK);
	assert_int_equal(seq_hi(st, &many[1], 0, 3, SLOTS - 1, &r), NFS4_OK);
	assert_int_equal(r.target_highest_slotid, 3);
	done(st, &r, 0, big);
	state_server_destroy(st);
}

/* --- many threads on one session ------------------------------------------------- */

struct worker {
	struct state_server *st;
	const struct sess *s;
	uint32_t slot;
	int replays;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct state_sequence_res r;
	for (uint32_t i = 1; i <= 2000; i++) {
		if (seq(w->st, w->s, w->slot, i, i, &r) != NFS4_OK || r.kind != STATE_SEQ41_NEW)
			return (void *)1;
		state_sequence_done(w->st, r.session, w->slot,
				    i % 2 ? kept_reply(&i, sizeof(i)) : NULL, FAKE_HDR);
		if (i % 3 == 0) {
			enum nfsstat4 s = seq(w->st, w->s, w->slot, i, i, &r);
			if (s == NFS4_OK) {
				w->replays++;
				buf_unref(r.replay);
			} else if (s != NFS4ERR_RETRY_UNCACHED_REP) {
				return (void *)2;
			}
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct state_server *st = st_new(60000);
	struct sess s;
	sess_up(st, "threads", 8, &s);
	pthread_t t[8];
	struct worker w[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){st, &s, (uint32_t)i, 0};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		assert_null(rv);
		assert_true(w[i].replays > 0);
	}
	state_server_destroy(st);
}

/* --- CREATE_SESSION retried before its reply is kept ------------------------------ */

/* Between taking csa_sequence and keeping the encoded result (the stable
 * record is written in between, on the disk) a retry of the same
 * CREATE_SESSION must not look misordered: it gets NFS4ERR_DELAY, and once
 * the result is kept, that result. */
static void test_create_session_retry_in_progress(void **state)
{
	struct state_server *st = st_new(60000);
	struct state_principal who = st_who(1);
	struct state_exchange_res er;
	assert_int_equal(state_exchange_id(st, &who, (const uint8_t *)"verifier",
					   (const uint8_t *)"cs-retry", 8, 0, 1, &er),
			 NFS4_OK);
	struct state_create_session_args a;
	memset(&a, 0, sizeof(a));
	a.clientid = er.clientid;
	a.sequence = er.sequenceid;
	a.fore = (struct nfs4_chan_attrs){.maxrequestsize = 4096, .maxresponsesize = 4096,
					  .maxoperations = 8, .maxrequests = 2};
	a.back = a.fore;
	struct state_create_session_res r, r2;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	assert_null(replay);
	/* The retry while the first one's reply is being made. */
	assert_int_equal(state_create_session(st, &who, &a, &r2, &replay, &rs), NFS4ERR_DELAY);
	assert_null(replay);
	const char body[] = "the encoded result";
	state_create_session_cache(st, a.clientid, a.sequence, NFS4_OK, (const uint8_t *)body,
				   sizeof(body));
	assert_int_equal(state_create_session(st, &who, &a, &r2, &replay, &rs), NFS4_OK);
	assert_non_null(replay);
	assert_int_equal(rs, NFS4_OK);
	assert_int_equal(replay->len, sizeof(body));
	assert_memory_equal(replay->data, body, sizeof(body));
	buf_unref(replay);
	/* One session, not two. */
	struct state_session_stats sst;
	state_get_session_stats(st, &sst);
	assert_int_equal(sst.sessions, 1);
	state_server_destroy(st);
}

/* --- closing a connection ------------------------------------------------------------ */

/* Connections as the state module sees them: pointers it references. */
static char fake_conns[64];
static atomic_uint fake_refs[64];

static struct rpc_conn *fake_conn(unsigned i) { return (struct rpc_conn *)(void *)&fake_conns[i]; }

static struct rpc_conn *fake_ref(struct rpc_conn *c)
{
	atomic_fetch_add(&fake_refs[(char *)(void *)c - fake_conns], 1);
	return c;
}

static void fake_unref(struct rpc_conn *c)
{
	atomic_fetch_sub(&fake_refs[(char *)(void *)c - fake_conns], 1);
}

/* Session i of its own client, created over connection i. */
static void sess_up_on(struct state_server *st, unsigned i, struct sess *out)
{
	char name[32];
	snprintf(name, sizeof(name), "conn-close-%u", i);
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
					  .maxoperations = 8, .maxrequests = 2};
	a.back = a.fore;
	a.conn = fake_conn(i);
	struct state_create_session_res r;
	struct buf *replay;
	enum nfsstat4 rs;
	assert_int_equal(state_create_session(st, &who, &a, &r, &replay, &rs), NFS4_OK);
	out->clientid = er.clientid;
	memcpy(out->sid, r.sessionid, NFS4_SESSIONID_SIZE);
}

/* A connection that closes is unbound from the sessions it was bound to,
 * and only those are looked at: closing costs the connection's sessions,
 * not all of the server's. */
static void test_conn_close_costs_its_sessions(void **state)
{
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.conn_ref = fake_ref;
	o.conn_unref = fake_unref;
	struct state_server *st = NULL;
	assert_int_equal(state_server_create(&o, &st), 0);
	enum { N = 40 };
	struct sess s[N];
	for (unsigned i = 0; i < N; i++)
		sess_up_on(st, i, &s[i]);
	/* Connection 0 serves session 1 too. */
	unsigned bound;
	assert_int_equal(state_bind_conn(st, s[1].sid, fake_conn(0), CDFC4_FORE, &bound), NFS4_OK);
	assert_int_equal(atomic_load(&fake_refs[0]), 2);
	struct state_session_stats before, after;
	state_get_session_stats(st, &before);
	state_conn_closed(st, fake_conn(0));
	state_get_session_stats(st, &after);
	assert_int_equal(after.conn_close_visits - before.conn_close_visits, 2);
	assert_int_equal(atomic_load(&fake_refs[0]), 0);
	/* Gone from both: a second close finds nothing. */
	state_conn_closed(st, fake_conn(0));
	state_get_session_stats(st, &before);
	assert_int_equal(before.conn_close_visits, after.conn_close_visits);
	/* A destroyed session let go of its connection already. */
	assert_int_equal(state_destroy_session(st, s[2].sid, NULL, NULL), NFS4_OK);
	assert_int_equal(atomic_load(&fake_refs[2]), 0);
	state_conn_closed(st, fake_conn(2));
	state_conn_closed(st, fake_conn(3));
	state_get_session_stats(st, &after);
	assert_int_equal(after.conn_close_visits - before.conn_close_visits, 1);
	assert_int_equal(atomic_load(&fake_refs[3]), 0);
	state_server_destroy(st);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(atomic_load(&fake_refs[i]), 0);
}

/* --- DESTROY_SESSION against SEQUENCEs arriving --------------------------------- */

struct racer {
	struct state_server *st;
	const struct sess *s;
	uint32_t slot;
	atomic_bool *destroyed;
	atomic_bool violated;
};

/* Takes the slot again and again until the session is gone; while it holds
 * the slot, the session must not have been destroyed under it. */
static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct state_sequence_res res;
	for (uint32_t seqid = 1;; seqid++) {
		if (seq(r->st, r->s, r->slot, seqid, seqid, &res) != NFS4_OK)
			break;
		for (int i = 0; i < 50; i++)
			atomic_signal_fence(memory_order_seq_cst); /* hold it a moment */
		if (atomic_load(r->destroyed))
			atomic_store(&r->violated, true);
		state_sequence_done(r->st, res.session, r->slot, NULL, 0);
	}
	return NULL;
}

/* DESTROY_SESSION succeeds only while no request runs on the session: a
 * SEQUENCE that takes a slot while the destroy is deciding either makes it
 * NFS4ERR_DELAY or finds the session gone (NFS4ERR_BADSESSION), never a
 * session destroyed while it is being served. */
static void test_destroy_races_sequence(void **state)
{
	struct state_server *st = st_new(60000);
	enum { ROUNDS = 300, RACERS = 2 };
	for (int round = 0; round < ROUNDS; round++) {
		char name[32];
		snprintf(name, sizeof(name), "destroy-race-%d", round);
		struct sess s;
		sess_up(st, name, RACERS, &s);
		atomic_bool destroyed = false;
		pthread_t t[RACERS];
		struct racer r[RACERS];
		for (int i = 0; i < RACERS; i++) {
			r[i] = (struct racer){.st = st, .s = &s, .slot = (uint32_t)i,
					      .destroyed = &destroyed};
			atomic_init(&r[i].violated, false);
			pthread_create(&t[i], NULL, racer_main, &r[i]);
		}
		enum nfsstat4 status;
		while ((status = state_destroy_session(st, s.sid, NULL, NULL)) == NFS4ERR_DELAY)
			;
		assert_int_equal(status, NFS4_OK);
		atomic_store(&destroyed, true);
		for (int i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			if (atomic_load(&r[i].violated))
				fail_msg("round %d: a request was running on a destroyed session",
					 round);
		}
	}
	state_server_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rdma_ird),
		cmocka_unit_test(test_seqid_wrap_and_inflight),
		cmocka_unit_test(test_replay_renews_and_reaper),
		cmocka_unit_test(test_budget_lowers_target),
		cmocka_unit_test(test_budget_enforced),
		cmocka_unit_test(test_budget_shared_by_clients),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_destroy_races_sequence),
		cmocka_unit_test(test_create_session_retry_in_progress),
		cmocka_unit_test(test_conn_close_costs_its_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
