/* The callback engine when the client does not simply answer: NFS4ERR_DELAY
 * (the same seqid again), SEQ_MISORDERED (a client whose back slots
 * restarted), silence (retries with backoff, then NFS4ERR_CB_PATH_DOWN and
 * the SEQUENCE flags), BADSESSION (a faulty back channel), a back channel
 * that moves to another connection, a session destroyed under its queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "core/clock.h"
#include "nfs4/cb_fixture.h"

enum { RETRIES = 3 };
static const uint32_t PATH_DOWN = SEQ4_STATUS_CB_PATH_DOWN | SEQ4_STATUS_CB_PATH_DOWN_SESSION;

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(300, 50, RETRIES);
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

/* Scripted CB_SEQUENCE answers: `refuse` calls get `status`, then the
 * default answer. */
static _Atomic int refuse;
static uint32_t refuse_status;

static uint32_t scripted_sequence(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				  struct xdr_enc *res)
{
	if (atomic_load(&refuse) > 0) {
		atomic_fetch_sub(&refuse, 1);
		return refuse_status;
	}
	return nfs4c_cb_default_sequence(svc, op, res);
}

static void queue_recall(struct cbfix *f, uint64_t clientid, unsigned k)
{
	struct cbfix_req req;
	cbfix_recall(&req, k);
	assert_int_equal(cbfix_queue(f->nfs.cb, clientid, &req), 0);
}

/* NFS4ERR_DELAY on CB_SEQUENCE: the seqid was not taken; the same one goes
 * again on the same slot after a pause. */
static void test_delay_same_seqid(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-delay");
	svc.handlers[OP_CB_SEQUENCE] = scripted_sequence;
	refuse_status = NFS4ERR_DELAY;
	atomic_store(&refuse, 2);
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	struct nfs4c_cb_rec a, b, c;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 1, &a));
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 2, &b));
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 3, &c));
	assert_int_equal(a.status, NFS4ERR_DELAY);
	assert_int_equal(b.status, NFS4ERR_DELAY);
	assert_int_equal(c.status, NFS4_OK);
	assert_int_equal(a.seqid, 2); /* the probe took 1 */
	assert_int_equal(b.seqid, a.seqid);
	assert_int_equal(c.seqid, a.seqid);
	assert_int_equal(b.slotid, a.slotid);
	assert_int_equal(c.slotid, a.slotid);
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), 1);
	/* The next call carries the next seqid. */
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	struct nfs4c_cb_rec d;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 4, &d));
	assert_int_equal(d.seqid, a.seqid + 1);
	assert_int_equal(nfs4c_ping(&s) & (PATH_DOWN | SEQ4_STATUS_BACKCHANNEL_FAULT), 0);
	cbfix_end_session(&s, &svc);
}

/* A client that says DELAY for ever: the callback gives up in the end
 * (NFS4ERR_CB_PATH_DOWN) and gives its back slot back, seqid unspent. */
static void test_delay_for_ever(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-delay-ever");
	svc.target_highest_slot = 0;
	svc.handlers[OP_CB_SEQUENCE] = scripted_sequence;
	refuse_status = NFS4ERR_DELAY;
	atomic_store(&refuse, 1000000);
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, 6 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4ERR_CB_PATH_DOWN);
	struct nfs4c_cb_rec a;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 1, &a));
	atomic_store(&refuse, 0);
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	struct nfs4c_cb_rec b;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, nfs4c_cb_count(&svc, OP_CB_SEQUENCE) - 1,
				 &b));
	assert_int_equal(b.status, NFS4_OK);
	assert_int_equal(b.slotid, a.slotid);
	assert_int_equal(b.seqid, a.seqid);
	cbfix_end_session(&s, &svc);
}

/* The client lost its back slots' state (they restarted at 0): the server
 * gets SEQ_MISORDERED, resends with seqid 1, and goes on from there. */
static void test_misordered_recovered(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-misordered");
	svc.target_highest_slot = 0;
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	pthread_mutex_lock(&svc.lock);
	memset(svc.slot_seq, 0, sizeof(svc.slot_seq));
	pthread_mutex_unlock(&svc.lock);
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	unsigned n = nfs4c_cb_count(&svc, OP_CB_SEQUENCE);
	struct nfs4c_cb_rec bad, good;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, n - 2, &bad));
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, n - 1, &good));
	assert_int_equal(bad.status, NFS4ERR_SEQ_MISORDERED);
	assert_true(bad.seqid > 1);
	assert_int_equal(good.status, NFS4_OK);
	assert_int_equal(good.seqid, 1);
	assert_int_equal(good.slotid, bad.slotid);
	/* And on from 1. */
	queue_recall(f, s.clientid, 3);
	assert_true(cbfix_wait_done(3, WAIT_MS));
	assert_int_equal(cbfix_dones.status[2], NFS4_OK);
	struct nfs4c_cb_rec next;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, n, &next));
	assert_int_equal(next.seqid, 2);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_BACKCHANNEL_FAULT, 0);
	cbfix_end_session(&s, &svc);
}

/* A client that never answers: the first try, then RETRIES more with
 * backoff, then NFS4ERR_CB_PATH_DOWN; its SEQUENCEs say the path is down
 * until a callback gets through again. */
static void test_silent_client_path_down(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-silent");
	struct cb_stats before, after;
	cb_get_stats(f->nfs.cb, &before);
	svc.silent = true;
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, 4 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4ERR_CB_PATH_DOWN);
	/* Probe + 1 + RETRIES: no other connection for an immediate retry. */
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), 1 + RETRIES);
	cb_get_stats(f->nfs.cb, &after);
	assert_int_equal(after.failures - before.failures, 1);
	assert_int_equal(after.retries - before.retries, RETRIES);
	assert_int_equal(after.total - before.total, 1);
	assert_true(after.duration_ms_sum - before.duration_ms_sum >= 50 + 100 + 200);
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, PATH_DOWN);
	assert_false(cb_path_up(f->nfs.cb, s.clientid));

	/* It answers again: the next callback gets through and clears it. */
	svc.silent = false;
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	assert_true(cb_path_up(f->nfs.cb, s.clientid));
	cbfix_end_session(&s, &svc);
}

/* BADSESSION: the client does not know the session on its back channel.
 * Every attempt fails; SEQUENCE reports BACKCHANNEL_FAULT. */
static void test_badsession_fault(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-badsession");
	svc.handlers[OP_CB_SEQUENCE] = scripted_sequence;
	refuse_status = NFS4ERR_BADSESSION;
	atomic_store(&refuse, 1000);
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, 4 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4ERR_CB_PATH_DOWN);
	uint32_t flags = nfs4c_ping(&s);
	assert_int_equal(flags & SEQ4_STATUS_BACKCHANNEL_FAULT, SEQ4_STATUS_BACKCHANNEL_FAULT);
	assert_int_equal(flags & PATH_DOWN, PATH_DOWN);
	/* A seqid was never spent: the client's last is the probe's. */
	struct nfs4c_cb_rec r;
	for (unsigned i = 1; nfs4c_cb_get(&svc, OP_CB_SEQUENCE, i, &r); i++)
		assert_int_equal(r.seqid, 2);

	/* Misordered that seqid 1 does not cure is a fault too. */
	refuse_status = NFS4ERR_SEQ_MISORDERED;
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, 4 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4ERR_CB_PATH_DOWN);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_BACKCHANNEL_FAULT,
			 SEQ4_STATUS_BACKCHANNEL_FAULT);

	/* The client binds its connection for the back channel again: the
	 * fault is cleared, the path probed, and callbacks work. */
	atomic_store(&refuse, 0);
	nfs4c_bg_stop(s.fd);
	uint32_t got;
	assert_int_equal(nfs4c_bind_conn(s.fd, s.cred, s.sid, CDFC4_FORE_OR_BOTH, &got), NFS4_OK);
	nfs4c_bg_start(s.fd);
	assert_int_equal(cbfix_ping_until(&s, 0, 0) & SEQ4_STATUS_BACKCHANNEL_FAULT, 0);
	queue_recall(f, s.clientid, 3);
	assert_true(cbfix_wait_done(3, WAIT_MS));
	assert_int_equal(cbfix_dones.status[2], NFS4_OK);
	cbfix_end_session(&s, &svc);
}

/* A second connection bound for the back channel: when the first goes,
 * callbacks use the second; when the first is silent, the engine retries
 * at once on the second. */
static void test_back_channel_moves(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc, svc2;
	cbfix_back_session(f, &s, &svc, "retry-move");
	int fd2 = nfs4c_connect(f->hostport);
	nfs4c_cb_init(&svc2, NFS4C_CB_PROGRAM);
	svc2.highest_slot = svc2.target_highest_slot = 15;
	nfs4c_cb_attach(fd2, &svc2);
	uint32_t got = 0;
	assert_int_equal(nfs4c_bind_conn(fd2, s.cred, s.sid, CDFC4_BACK, &got), NFS4_OK);
	assert_int_equal(got, CDFC4_BACK);
	nfs4c_bg_start(fd2);
	/* Both share the client's back slots: the second answers what the
	 * first took. */
	memcpy(svc2.slot_seq, svc.slot_seq, sizeof(svc.slot_seq));

	/* The first is silent: one timeout, then at once on the second. */
	svc.silent = true;
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&svc2, OP_CB_RECALL), 1);
	assert_true(nfs4c_cb_count(&svc, OP_CB_RECALL) >= 1);

	/* The first goes away: callbacks go to the second straight away. */
	nfs4c_close(s.fd);
	usleep(100 * 1000);
	unsigned before = nfs4c_cb_count(&svc2, OP_CB_RECALL);
	queue_recall(f, s.clientid, 2);
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&svc2, OP_CB_RECALL), before + 1);
	nfs4c_close(fd2);
	nfs4c_cb_destroy(&svc);
	nfs4c_cb_destroy(&svc2);
}

/* DESTROY_SESSION while a callback of it waits for a retry: it moves to
 * the client's other session with a back channel. */
static void test_session_destroyed_moves_queue(void **state)
{
	struct cbfix *f = *state;
	int fd = nfs4c_connect(f->hostport), fd2 = nfs4c_connect(f->hostport);
	const struct rpc_cred *cred = nfs4c_cred(930);
	struct nfs4c_cb svc, svc2;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_init(&svc2, NFS4C_CB_PROGRAM);
	svc.silent = true;
	nfs4c_cb_attach(fd, &svc);
	nfs4c_cb_attach(fd2, &svc2);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, cred, "retry-destroy", "v1", 0, 0, &e), NFS4_OK);
	struct nfs4c_cs cs1, cs2;
	assert_int_equal(nfs4c_create_session(fd, cred, e.clientid, e.seq,
					      CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, &cs1),
			 NFS4_OK);
	nfs4c_bg_start(fd);
	cbfix_done_reset();
	queue_recall(f, e.clientid, 1);
	/* The first try on the silent session fails by its timeout. */
	assert_true(nfs4c_cb_wait(&svc, OP_CB_RECALL, 1, WAIT_MS));
	assert_int_equal(nfs4c_create_session(fd2, cred, e.clientid, e.seq + 1,
					      CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, &cs2),
			 NFS4_OK);
	nfs4c_bg_start(fd2);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_destroy_session_op(&m, cs1.sid);
	/* On a connection bound to it (RFC 8881 18.37.3). */
	nfs4c_send(fd, cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_SESSION), NFS4_OK);
	nfs4c_done(&p);
	assert_true(cbfix_wait_done(1, 4 * WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc2, OP_CB_SEQUENCE, nfs4c_cb_count(&svc2, OP_CB_SEQUENCE) - 1,
				 &r));
	assert_memory_equal(r.sessionid.data, cs2.sid, 16);
	assert_int_equal(nfs4c_cb_count(&svc2, OP_CB_RECALL), 1);
	nfs4c_close(fd);
	nfs4c_close(fd2);
	nfs4c_cb_destroy(&svc);
	nfs4c_cb_destroy(&svc2);
}

/* A callback waiting out a long backoff goes as soon as the path is
 * found mended: the client binds its connection again, the next SEQUENCE
 * has it probed, and the probe's answer releases the waiting recall. */
static int setup_slow(void **state)
{
	struct cbfix *f = cbfix_start(300, 20000, 3);
	*state = f;
	return f ? 0 : -1;
}

static void test_mended_path_ends_backoff(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "retry-mended");
	svc.silent = true;
	cbfix_done_reset();
	queue_recall(f, s.clientid, 1);
	/* The first try times out; the next waits 20 s. */
	assert_int_equal(cbfix_ping_until(&s, SEQ4_STATUS_CB_PATH_DOWN_SESSION, WAIT_MS) &
				 SEQ4_STATUS_CB_PATH_DOWN_SESSION,
			 SEQ4_STATUS_CB_PATH_DOWN_SESSION);
	svc.silent = false;
	uint64_t t0 = clock_now_ms();
	nfs4c_bg_stop(s.fd);
	uint32_t got;
	assert_int_equal(nfs4c_bind_conn(s.fd, s.cred, s.sid, CDFC4_FORE_OR_BOTH, &got), NFS4_OK);
	nfs4c_bg_start(s.fd);
	nfs4c_ping(&s);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_true(clock_now_ms() - t0 < 5000);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_CB_PATH_DOWN_SESSION, 0);
	cbfix_end_session(&s, &svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_same_seqid),
		cmocka_unit_test(test_delay_for_ever),
		cmocka_unit_test(test_misordered_recovered),
		cmocka_unit_test(test_silent_client_path_down),
		cmocka_unit_test(test_badsession_fault),
		cmocka_unit_test(test_back_channel_moves),
		cmocka_unit_test(test_session_destroyed_moves_queue),
		cmocka_unit_test_setup_teardown(test_mended_path_ends_backoff, setup_slow,
						teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
