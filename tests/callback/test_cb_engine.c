/* The callback engine against the test client over loopback: the server
 * (rpc + nfs4) runs in this process, so the test queues callbacks with
 * cb_queue and sees their done(), while the client's back-channel
 * service answers them as scripted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(300, 50, 3);
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

static void test_recall_delivered(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "cb-recall");
	cbfix_done_reset();
	struct cbfix_req req;
	cbfix_recall(&req, 3);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_int_equal(cbfix_dones.tag[0], 3);
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, 0, &r));
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.stateid.seqid, 1);
	assert_memory_equal(r.stateid.other, req.args.recall.stateid.other, NFS4_OTHER_SIZE);
	assert_true(r.truncate);
	assert_int_equal(r.fhlen, 8);
	assert_memory_equal(r.fh, req.fh, 8);
	assert_true(cb_path_up(f->nfs.cb, s.clientid));
	/* Counted: the probe and the recall, each in one bucket. */
	cbfix_quiesce(f);
	struct cb_stats st;
	cb_get_stats(f->nfs.cb, &st);
	assert_true(st.total >= 2);
	uint64_t in_buckets = 0;
	for (unsigned i = 0; i < CB_DURATION_BUCKETS; i++)
		in_buckets += st.duration_hist[i];
	assert_int_equal(in_buckets, st.total);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.pending, 0);
	cbfix_end_session(&s, &svc);
}

/* The client holds its answers until four calls wait: the server must
 * have four in flight at once, each on its own back slot, sent in the
 * order they were queued, and match the replies (sent newest first) by
 * XID. */
static void test_several_in_flight(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "cb-inflight");
	cbfix_done_reset();
	svc.batch = 4;
	struct cbfix_req req;
	for (unsigned k = 0; k < 4; k++) {
		cbfix_recall(&req, k);
		assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	}
	assert_true(cbfix_wait_done(4, WAIT_MS));
	assert_int_equal(svc.max_held, 4);
	bool slot_used[16] = {false};
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(cbfix_dones.status[k], NFS4_OK);
		struct nfs4c_cb_rec r, q;
		assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, k, &r));
		/* In queue order. */
		assert_int_equal(r.stateid.other[0], 0x10 + k);
		assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, k + 1, &q));
		assert_true(q.slotid < 16);
		assert_false(slot_used[q.slotid]);
		slot_used[q.slotid] = true;
		assert_int_equal(q.status, NFS4_OK);
	}
	cbfix_end_session(&s, &svc);
}

/* The client's target_highest_slotid: slots above it are not used, so
 * with a target of 1 at most two calls are in flight. */
static void test_target_highest_slot(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "cb-target");
	svc.target_highest_slot = 1;
	cbfix_done_reset();
	/* The probe's reply said 15; one call learns the target. */
	struct cbfix_req req;
	cbfix_recall(&req, 0);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	svc.batch = 2;
	for (unsigned k = 1; k <= 6; k++) {
		cbfix_recall(&req, k);
		assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	}
	assert_true(cbfix_wait_done(7, WAIT_MS));
	assert_int_equal(svc.max_held, 2);
	struct nfs4c_cb_rec q;
	for (unsigned i = 2; nfs4c_cb_get(&svc, OP_CB_SEQUENCE, i, &q); i++)
		assert_true(q.slotid <= 1);
	for (unsigned k = 0; k < 7; k++)
		assert_int_equal(cbfix_dones.status[k], NFS4_OK);
	cbfix_end_session(&s, &svc);
}

/* Callbacks of one queue reach the client in the order they were queued
 * and end in that order when the client answers each at once. */
static void test_queue_order(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "cb-order");
	cbfix_done_reset();
	struct cbfix_req req;
	for (unsigned k = 0; k < 12; k++) {
		cbfix_recall(&req, k);
		assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	}
	assert_true(cbfix_wait_done(12, WAIT_MS));
	for (unsigned k = 0; k < 12; k++) {
		struct nfs4c_cb_rec r;
		assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, k, &r));
		assert_int_equal(r.stateid.other[0], 0x10 + k);
		assert_int_equal(cbfix_dones.status[k], NFS4_OK);
	}
	/* One slot only (learned from a reply): still in order. */
	svc.target_highest_slot = 0;
	cbfix_recall(&req, 12);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(13, WAIT_MS));
	for (unsigned k = 13; k < 20; k++) {
		cbfix_recall(&req, k);
		assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	}
	assert_true(cbfix_wait_done(20, WAIT_MS));
	for (unsigned k = 13; k < 20; k++) {
		struct nfs4c_cb_rec r, q;
		assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, k, &r));
		assert_int_equal(r.stateid.other[0], 0x10 + k);
		assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, k + 1, &q));
		assert_int_equal(q.slotid, 0);
	}
	cbfix_end_session(&s, &svc);
}

/* CB_GETATTR: the client's fattr4 reaches done(). */
static uint32_t answer_getattr(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			       struct xdr_enc *res)
{
	(void)svc;
	(void)op;
	struct nfs4_cb_getattr_res r;
	memset(&r, 0, sizeof(r));
	nfs4_bitmap_set(&r.attrs.mask, FATTR4_SIZE);
	uint8_t size[8] = {0, 0, 0, 0, 0, 0, 0x12, 0x34};
	r.attrs.vals = (struct nfs4_opaque){size, 8};
	return nfs4_enc_cb_getattr_res(res, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

static uint32_t answer_bad_stateid(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				   struct xdr_enc *res)
{
	(void)svc;
	(void)op;
	(void)res;
	return NFS4ERR_BAD_STATEID;
}

static void test_getattr_and_errors(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "cb-getattr");
	svc.handlers[OP_CB_GETATTR] = answer_getattr;
	cbfix_done_reset();
	struct cbfix_req req;
	memset(&req, 0, sizeof(req));
	req.call.op = &cb_op_getattr;
	req.call.res = &req.res;
	memcpy(req.fh, "abcd", 4);
	req.args.getattr.fh = (struct nfs4_opaque){req.fh, 4};
	nfs4_bitmap_set(&req.args.getattr.attr_request, FATTR4_SIZE);
	nfs4_bitmap_set(&req.args.getattr.attr_request, FATTR4_CHANGE);
	req.call.done = cbfix_on_done;
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_true(cbfix_dones.getattr[0]);
	assert_true(nfs4_bitmap_isset(&cbfix_dones.getattr_mask[0], FATTR4_SIZE));
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_GETATTR, 0, &r));
	assert_true(nfs4_bitmap_isset(&r.attr_request, FATTR4_CHANGE));
	assert_memory_equal(r.fh, "abcd", 4);

	/* CB_NOTIFY_LOCK carries the lock owner. */
	memset(&req, 0, sizeof(req));
	req.call.op = &cb_op_notify_lock;
	req.args.notify_lock.fh = (struct nfs4_opaque){req.fh, 2};
	req.args.notify_lock.lock_owner.clientid = s.clientid;
	uint8_t owner[5] = {'o', 'w', 'n', 'e', 'r'};
	memcpy(req.owner, owner, sizeof(owner));
	req.args.notify_lock.lock_owner.owner = (struct nfs4_opaque){req.owner, 5};
	req.call.done = cbfix_on_done;
	req.tag = 7;
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	memset(owner, 0, sizeof(owner)); /* queued requests are copies */
	assert_true(cbfix_wait_done(2, WAIT_MS));
	assert_int_equal(cbfix_dones.status[1], NFS4_OK);
	assert_true(nfs4c_cb_get(&svc, OP_CB_NOTIFY_LOCK, 0, &r));
	assert_int_equal(r.owner_clientid, s.clientid);

	/* The client's error for the operation is the result. */
	svc.handlers[OP_CB_RECALL] = answer_bad_stateid;
	cbfix_recall(&req, 9);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(3, WAIT_MS));
	assert_int_equal(cbfix_dones.status[2], NFS4ERR_BAD_STATEID);
	assert_false(cbfix_dones.getattr[2]);
	assert_true(cb_path_up(f->nfs.cb, s.clientid));
	cbfix_end_session(&s, &svc);
}

/* No callback path: a client without a back channel, an unknown client. */
static void test_no_path(void **state)
{
	struct cbfix *f = *state;
	int fd = nfs4c_connect(f->hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 901, "cb-noback", NULL);
	struct cbfix_req req;
	cbfix_recall(&req, 1);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), -ENOTCONN);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid ^ 0x5555, &req), -ENOTCONN);
	assert_false(cb_path_up(f->nfs.cb, s.clientid));
	req.call.op = &cb_op_sequence;
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), -EINVAL);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_delivered),
		cmocka_unit_test(test_several_in_flight),
		cmocka_unit_test(test_target_highest_slot),
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_getattr_and_errors),
		cmocka_unit_test(test_no_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
