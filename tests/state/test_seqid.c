/* Owner seqids and the per-owner reply cache (RFC 7530 9.1.7, 9.1.8):
 * next seqid, replay of the last reply (body and file), bad seqids, the
 * errors that do not advance the seqid, CLOSE replays, unconfirmed owners
 * starting over, the v4.1 bypass, and serialisation of one owner. */
#include <pthread.h>
#include <stdatomic.h>

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

static struct state_owner *owner(const char *name)
{
	struct state_owner *o;
	assert_int_equal(state_open_owner_get(st, c1, (const uint8_t *)name, (uint32_t)strlen(name),
					      &o),
			 NFS4_OK);
	return o;
}

/* Runs one "operation" on o: begin, then (if new) end with status and body. */
static enum state_seq op(struct state_owner *o, uint32_t seqid, uint32_t opnum,
			 enum nfsstat4 status, const char *body, struct state_replay *r,
			 const struct state_file_key *file)
{
	enum state_seq s = state_seq_begin(st, o, seqid, opnum, false, r);
	if (s == STATE_SEQ_REPLAY) {
		/* Copy out: the cache may change once the mutex is released. */
		static char copy[256];
		if (r->len)
			memcpy(copy, r->body, r->len);
		r->body = (const uint8_t *)copy;
	}
	state_seq_end(st, o, false, status, (const uint8_t *)body, body ? strlen(body) : 0,
		      s == STATE_SEQ_NEW ? file : NULL);
	return s;
}

static void test_next_replay_bad(void **state)
{
	struct state_owner *o = owner("o");
	struct state_replay r;
	/* A new owner takes any seqid. */
	assert_int_equal(op(o, 41, OP_OPEN, NFS4_OK, "reply-41", &r, &fa), STATE_SEQ_NEW);
	/* The same seqid and operation: the cached reply, file included. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(op(o, 41, OP_OPEN, NFS4_OK, "ignored", &r, NULL), STATE_SEQ_REPLAY);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.len, 8);
	assert_memory_equal(r.body, "reply-41", 8);
	assert_true(r.has_file);
	assert_true(r.file.bh.len == fa.bh.len && r.file.export_id == fa.export_id);
	/* The same seqid, another operation: BAD_SEQID. */
	assert_int_equal(op(o, 41, OP_CLOSE, NFS4_OK, NULL, &r, NULL), STATE_SEQ_BAD);
	/* Too old, too new.  (Not OPEN: this owner is unconfirmed, and a new
	 * OPEN would start it over.) */
	assert_int_equal(op(o, 40, OP_OPEN_CONFIRM, NFS4_OK, NULL, &r, NULL), STATE_SEQ_BAD);
	assert_int_equal(op(o, 43, OP_OPEN_CONFIRM, NFS4_OK, NULL, &r, NULL), STATE_SEQ_BAD);
	/* Next: an error reply is cached too (it advances the seqid). */
	assert_int_equal(op(o, 42, OP_OPEN, NFS4ERR_SHARE_DENIED, "", &r, NULL), STATE_SEQ_NEW);
	assert_int_equal(op(o, 42, OP_OPEN, NFS4_OK, NULL, &r, NULL), STATE_SEQ_REPLAY);
	assert_int_equal(r.status, NFS4ERR_SHARE_DENIED);
	assert_false(r.has_file);
	state_owner_put(st, o);
}

static void test_errors_that_keep_the_seqid(void **state)
{
	static const enum nfsstat4 keep[] = {
		NFS4ERR_STALE_CLIENTID, NFS4ERR_STALE_STATEID, NFS4ERR_BAD_STATEID,
		NFS4ERR_BAD_SEQID,	NFS4ERR_BADXDR,	       NFS4ERR_RESOURCE,
		NFS4ERR_NOFILEHANDLE,	NFS4ERR_MOVED,
	};
	struct state_owner *o = owner("o");
	struct state_replay r;
	assert_int_equal(op(o, 1, OP_OPEN, NFS4_OK, "first", &r, NULL), STATE_SEQ_NEW);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_int_equal(op(o, 2, OP_CLOSE, keep[i], NULL, &r, NULL), STATE_SEQ_NEW);
	/* Still at 1: 1 replays, 2 is new. */
	assert_int_equal(op(o, 1, OP_OPEN, NFS4_OK, NULL, &r, NULL), STATE_SEQ_REPLAY);
	assert_memory_equal(r.body, "first", 5);
	/* Other errors advance (GRACE does: pynfs REBT11). */
	assert_int_equal(op(o, 2, OP_OPEN, NFS4ERR_GRACE, NULL, &r, NULL), STATE_SEQ_NEW);
	assert_int_equal(op(o, 3, OP_OPEN, NFS4ERR_OLD_STATEID, NULL, &r, NULL), STATE_SEQ_NEW);
	assert_int_equal(op(o, 3, OP_OPEN, NFS4_OK, NULL, &r, NULL), STATE_SEQ_REPLAY);
	assert_int_equal(r.status, NFS4ERR_OLD_STATEID);
	state_owner_put(st, o);
}

static void test_seqid_wraps(void **state)
{
	struct state_owner *o = owner("o");
	struct state_replay r;
	assert_int_equal(op(o, UINT32_MAX, OP_OPEN, NFS4_OK, NULL, &r, NULL), STATE_SEQ_NEW);
	assert_int_equal(op(o, 0, OP_OPEN, NFS4_OK, NULL, &r, NULL), STATE_SEQ_NEW);
	state_owner_put(st, o);
}

/* pynfs RPLY9: a retransmitted CLOSE gets its reply although the stateid
 * is gone; the owner's next operation ends that. */
static void test_close_replay(void **state)
{
	uint32_t s = 1;
	struct nfs4_stateid a, out, again;
	assert_int_equal(st_open(st, c1, "o", &s, &fa, 1, 0, &a), NFS4_OK);
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &a, s, &fa, 0, 0, 0, 0, &out), NFS4_OK);
	memset(&again, 0, sizeof(again));
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &a, s, &fa, 0, 0, 0, 0, &again), NFS4_OK);
	assert_memory_equal(&again, &out, sizeof(out));
	/* A new CLOSE with the closed stateid: BAD_STATEID. */
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &a, s + 1, &fa, 0, 0, 0, 0, &again),
			 NFS4ERR_BAD_STATEID);
	/* After it, the closed stateid no longer finds the owner. */
	struct state_owner *o;
	assert_int_equal(state_stateid_owner(st, 0, &a, &o), NFS4ERR_BAD_STATEID);
	/* A wrong seqid on CLOSE: BAD_SEQID, and the replay says so too (RPLY11
	 * only needs the same error). */
	struct nfs4_stateid b;
	uint32_t s2 = 1;
	assert_int_equal(st_open(st, c1, "p", &s2, &fa, 1, 0, &b), NFS4_OK);
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &b, s2 + 1, &fa, 0, 0, 0, 0, &out),
			 NFS4ERR_BAD_SEQID);
	assert_int_equal(st_stateid_op(st, ST_CLOSE, &b, s2 + 1, &fa, 0, 0, 0, 0, &out),
			 NFS4ERR_BAD_SEQID);
}

/* An owner whose OPEN was never confirmed: a new OPEN with any seqid starts
 * it over and drops the unconfirmed open. */
static void test_unconfirmed_owner_restarts(void **state)
{
	struct nfs4_stateid a, b;
	bool confirm;
	assert_int_equal(st_open_raw(st, c1, "o", 100, &fa, 3, 3, 0, &a, &confirm), NFS4_OK);
	assert_true(confirm);
	/* Not a replay (different seqid): starts over; the old deny is gone
	 * so this second open does not meet it. */
	assert_int_equal(st_open_raw(st, c1, "o", 7, &fa, 3, 0, 0, &b, &confirm), NFS4_OK);
	assert_true(confirm);
	assert_memory_not_equal(a.other, b.other, NFS4_OTHER_SIZE);
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.opens, 1);
	/* A confirmed owner does not restart. */
	struct nfs4_stateid out;
	assert_int_equal(st_stateid_op(st, ST_CONFIRM, &b, 8, &fa, 0, 0, 0, 0, &out), NFS4_OK);
	assert_int_equal(st_open_raw(st, c1, "o", 50, &fa, 1, 0, 0, &a, &confirm),
			 NFS4ERR_BAD_SEQID);
	assert_int_equal(st_open_raw(st, c1, "o", 9, &fa, 1, 0, 0, &a, &confirm), NFS4_OK);
	assert_false(confirm);
}

/* v4.1 bypass: any seqid, nothing cached, no OPEN_CONFIRM. */
static void test_bypass(void **state)
{
	struct state_owner *o = owner("v41");
	struct state_replay r;
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(state_seq_begin(st, o, 0, OP_OPEN, true, &r), STATE_SEQ_NEW);
		struct nfs4_stateid sid;
		bool confirm = true;
		assert_int_equal(state_open(st, o, &fa, 1, 0, 0, 1, &sid, &confirm), NFS4_OK);
		assert_false(confirm);
		state_seq_end(st, o, true, NFS4_OK, (const uint8_t *)"x", 1, &fa);
	}
	state_owner_put(st, o);
}

struct racer {
	struct state_owner *o;
	uint32_t seqid;
	enum state_seq res;
	int order;
};

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int order_next;

static void *race(void *arg)
{
	struct racer *rc = arg;
	struct state_replay r;
	rc->res = state_seq_begin(st, rc->o, rc->seqid, OP_OPEN, false, &r);
	pthread_mutex_lock(&order_lock);
	rc->order = order_next++;
	pthread_mutex_unlock(&order_lock);
	st_sleep_ms(20);
	state_seq_end(st, rc->o, false, NFS4_OK, (const uint8_t *)"r", 1, NULL);
	return NULL;
}

/* A retransmission that arrives while the original runs waits for it and
 * then gets the reply. */
static void test_same_owner_serialised(void **state)
{
	struct state_owner *o = owner("busy");
	struct state_replay r;
	assert_int_equal(state_seq_begin(st, o, 5, OP_OPEN, false, &r), STATE_SEQ_NEW);
	struct racer rc = {.o = o, .seqid = 5};
	pthread_t t;
	pthread_create(&t, NULL, race, &rc);
	st_sleep_ms(50);
	pthread_mutex_lock(&order_lock);
	assert_int_equal(order_next, 0); /* still waiting */
	pthread_mutex_unlock(&order_lock);
	state_seq_end(st, o, false, NFS4_OK, (const uint8_t *)"orig", 4, NULL);
	pthread_join(t, NULL);
	assert_int_equal(rc.res, STATE_SEQ_REPLAY);
	state_owner_put(st, o);
}

struct bypasser {
	struct state_owner *o;
	atomic_bool began;
};

static void *bypass_begin(void *arg)
{
	struct bypasser *b = arg;
	struct state_replay r;
	assert_int_equal(state_seq_begin(st, b->o, 0, OP_OPEN, true, &r), STATE_SEQ_NEW);
	atomic_store(&b->began, true);
	state_seq_end(st, b->o, true, NFS4_OK, NULL, 0, NULL);
	return NULL;
}

/* v4.1 orders nothing: a second operation of the owner begins while the
 * first is still running (a client's processes share one open owner). */
static void test_bypass_runs_side_by_side(void **state)
{
	(void)state;
	struct state_owner *o = owner("many");
	struct state_replay r;
	assert_int_equal(state_seq_begin(st, o, 0, OP_OPEN, true, &r), STATE_SEQ_NEW);
	struct bypasser b = {.o = o};
	pthread_t t;
	pthread_create(&t, NULL, bypass_begin, &b);
	for (int i = 0; i < 200 && !atomic_load(&b.began); i++)
		st_sleep_ms(10);
	bool began_meanwhile = atomic_load(&b.began);
	state_seq_end(st, o, true, NFS4_OK, NULL, 0, NULL);
	pthread_join(t, NULL);
	assert_true(began_meanwhile);
	state_owner_put(st, o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_next_replay_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_that_keep_the_seqid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seqid_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unconfirmed_owner_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bypass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_owner_serialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bypass_runs_side_by_side, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
