/* The test client's back-channel service on its own, over a socketpair: this
 * test plays the server, encoding CB_COMPOUNDs with the codec, so every
 * callback op the service decodes (CB_SEQUENCE, CB_RECALL, CB_GETATTR,
 * CB_NOTIFY_LOCK, CB_NOTIFY, CB_OFFLOAD) is covered, including those ferryd
 * does not send yet, and so are its slot bookkeeping and handler table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/nfs4_client.h"
#include "rpc/rpc_msg.h"

enum { PROG = 0x40000000 };

static const uint8_t fh[] = {1, 2, 3, 4, 5, 6, 7};

struct pair {
	int server, client;
	struct nfs4c_cb svc;
};

static void pair_up(struct pair *p)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->server = sv[0];
	p->client = sv[1];
	nfs4c_cb_init(&p->svc, PROG);
	nfs4c_cb_attach(p->client, &p->svc);
}

static void pair_down(struct pair *p)
{
	nfs4c_close(p->client);
	close(p->server);
	nfs4c_cb_destroy(&p->svc);
}

static struct nfs4_sessionid sid_of(uint8_t b)
{
	struct nfs4_sessionid s;
	memset(s.data, b, sizeof(s.data));
	return s;
}

static struct nfs4_stateid stateid_of(uint8_t b)
{
	struct nfs4_stateid s = {.seqid = b};
	memset(s.other, b, sizeof(s.other));
	return s;
}

/* Starts a CB_COMPOUND call (RPC header included) with CB_SEQUENCE on slot. */
static void cb_begin(struct xdr_enc *e, struct nfs4_compound_enc *c, uint32_t xid,
		     uint32_t seqid, uint32_t slot)
{
	assert_true(xdr_enc_init(e, 512, 1u << 20));
	assert_true(rpc_encode_call(e, xid, PROG, 1, CB_COMPOUND, NULL));
	assert_true(nfs4_enc_cb_compound_args_begin(c, e, nfs4_opaque_str("cbtag"), 1, 0));
	struct nfs4_cb_sequence_args a = {.sessionid = sid_of(0x5a), .sequenceid = seqid,
					  .slotid = slot, .highest_slotid = slot};
	assert_true(nfs4_enc_op(c, OP_CB_SEQUENCE));
	assert_true(nfs4_enc_cb_sequence_args(e, &a));
}

/* Sends the call, lets the service answer it, reads the reply header. */
static void cb_exchange(struct pair *p, struct xdr_enc *e, struct nfs4_compound_enc *c,
			unsigned want_recs, struct rpctest_reply *r,
			struct nfs4_compound_res_hdr *h)
{
	nfs4_enc_compound_end(c);
	assert_false(e->overflow);
	assert_int_equal(rpctest_send_record(p->server, e->buf->data, e->buf->len, 0), 0);
	xdr_enc_release(e);
	assert_true(nfs4c_cb_serve(p->client, want_recs, 2000));
	assert_int_equal(rpctest_recv_reply(p->server, r, 2000), 0);
	assert_int_equal(nfs4c_parse_compound(r, h), 0);
	assert_int_equal(h->tag.len, 5);
	assert_memory_equal(h->tag.data, "cbtag", 5);
}

static void expect_sequence_ok(struct rpctest_reply *r, uint32_t seqid, uint32_t slot)
{
	uint32_t op, st;
	assert_true(nfs4_dec_op_res(&r->results, &op, &st));
	assert_int_equal(op, OP_CB_SEQUENCE);
	assert_int_equal(st, NFS4_OK);
	struct nfs4_cb_sequence_res s;
	assert_true(nfs4_dec_cb_sequence_res(&r->results, &s));
	assert_memory_equal(s.sessionid.data, sid_of(0x5a).data, NFS4_SESSIONID_SIZE);
	assert_int_equal(s.sequenceid, seqid);
	assert_int_equal(s.slotid, slot);
	assert_true(s.target_highest_slotid <= s.highest_slotid);
}

static void expect_op(struct rpctest_reply *r, uint32_t want_op, uint32_t want_status)
{
	uint32_t op, st;
	assert_true(nfs4_dec_op_res(&r->results, &op, &st));
	assert_int_equal(op, want_op);
	assert_int_equal(st, want_status);
}

static void test_every_op_decoded_and_recorded(void **state)
{
	struct pair p;
	pair_up(&p);
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	cb_begin(&e, &c, 1, 1, 0);
	struct nfs4_cb_recall_args ra = {stateid_of(3), true, {fh, sizeof(fh)}};
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL) && nfs4_enc_cb_recall_args(&e, &ra));
	struct nfs4_cb_getattr_args ga = {.fh = {fh, sizeof(fh)}};
	nfs4_bitmap_set(&ga.attr_request, FATTR4_SIZE);
	nfs4_bitmap_set(&ga.attr_request, FATTR4_CHANGE);
	assert_true(nfs4_enc_op(&c, OP_CB_GETATTR) && nfs4_enc_cb_getattr_args(&e, &ga));
	struct nfs4_cb_notify_lock_args la = {{fh, sizeof(fh)}, {0x1122, nfs4_opaque_str("lo")}};
	assert_true(nfs4_enc_op(&c, OP_CB_NOTIFY_LOCK) && nfs4_enc_cb_notify_lock_args(&e, &la));
	struct nfs4_cb_notify_args na = {.stateid = stateid_of(4), .fh = {fh, sizeof(fh)}};
	assert_true(nfs4_enc_op(&c, OP_CB_NOTIFY) && nfs4_enc_cb_notify_args(&e, &na));
	struct nfs4_cb_offload_args oa = {.fh = {fh, sizeof(fh)}, .stateid = stateid_of(5),
					  .status = NFS4ERR_IO, .bytes_copied = 9};
	assert_true(nfs4_enc_op(&c, OP_CB_OFFLOAD) && nfs4_enc_cb_offload_args(&e, &oa));
	struct rpctest_reply r;
	struct nfs4_compound_res_hdr h;
	cb_exchange(&p, &e, &c, 6, &r, &h);
	assert_int_equal(h.status, NFS4_OK);
	assert_int_equal(h.numres, 6);
	expect_sequence_ok(&r, 1, 0);
	expect_op(&r, OP_CB_RECALL, NFS4_OK);
	expect_op(&r, OP_CB_GETATTR, NFS4_OK);
	struct nfs4_cb_getattr_res gr;
	assert_true(nfs4_dec_cb_getattr_res(&r.results, &gr));
	expect_op(&r, OP_CB_NOTIFY_LOCK, NFS4_OK);
	expect_op(&r, OP_CB_NOTIFY, NFS4_OK);
	expect_op(&r, OP_CB_OFFLOAD, NFS4_OK);
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);

	/* What arrived, as a test asks for it. */
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_SEQUENCE, 0, &rec));
	assert_int_equal(rec.prog, PROG);
	assert_int_equal(rec.minor, 1);
	assert_memory_equal(rec.sessionid.data, sid_of(0x5a).data, NFS4_SESSIONID_SIZE);
	struct nfs4_stateid s3 = stateid_of(3), s4 = stateid_of(4), s5 = stateid_of(5);
	assert_true(nfs4c_cb_recalled(&p.svc, &s3));
	assert_false(nfs4c_cb_recalled(&p.svc, &s4));
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_RECALL, 0, &rec));
	assert_true(rec.truncate);
	assert_int_equal(rec.fhlen, sizeof(fh));
	assert_memory_equal(rec.fh, fh, sizeof(fh));
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_GETATTR, 0, &rec));
	assert_true(nfs4_bitmap_isset(&rec.attr_request, FATTR4_SIZE));
	assert_false(nfs4_bitmap_isset(&rec.attr_request, FATTR4_MODE));
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_NOTIFY_LOCK, 0, &rec));
	assert_int_equal(rec.owner_clientid, 0x1122);
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_NOTIFY, 0, &rec));
	assert_memory_equal(rec.stateid.other, s4.other, NFS4_OTHER_SIZE);
	assert_int_equal(rec.nchanges, 0);
	assert_true(nfs4c_cb_get(&p.svc, OP_CB_OFFLOAD, 0, &rec));
	assert_int_equal(rec.stateid.seqid, s5.seqid);
	pair_down(&p);
}

/* The back-channel slot: seqid + 1 is new, the same seqid a replay, any
 * other misordered (and the compound stops there). */
static void test_slot_bookkeeping(void **state)
{
	struct pair p;
	pair_up(&p);
	static const struct {
		uint32_t seqid, slot, status;
	} steps[] = {
		{1, 0, NFS4_OK}, {2, 0, NFS4_OK}, {2, 0, NFS4_OK}, {4, 0, NFS4ERR_SEQ_MISORDERED},
		{1, 3, NFS4_OK}, {3, 0, NFS4_OK}, {7, 200, NFS4ERR_BADSLOT},
	};
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct xdr_enc e;
		struct nfs4_compound_enc c;
		cb_begin(&e, &c, 10 + i, steps[i].seqid, steps[i].slot);
		struct nfs4_cb_recall_args ra = {stateid_of(1), false, {fh, sizeof(fh)}};
		assert_true(nfs4_enc_op(&c, OP_CB_RECALL) && nfs4_enc_cb_recall_args(&e, &ra));
		struct rpctest_reply r;
		struct nfs4_compound_res_hdr h;
		bool ok = steps[i].status == NFS4_OK;
		cb_exchange(&p, &e, &c, p.svc.nrecs + (ok ? 2 : 1), &r, &h);
		assert_int_equal(h.status, steps[i].status);
		assert_int_equal(h.numres, ok ? 2 : 1);
		if (ok) {
			expect_sequence_ok(&r, steps[i].seqid, steps[i].slot);
			expect_op(&r, OP_CB_RECALL, NFS4_OK);
		} else {
			expect_op(&r, OP_CB_SEQUENCE, steps[i].status);
		}
		assert_int_equal(xdr_dec_remaining(&r.results), 0);
		rpctest_reply_release(&r);
	}
	pair_down(&p);
}

static uint32_t recall_delay(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			     struct xdr_enc *res)
{
	return op->u.recall.truncate ? NFS4ERR_DELAY : NFS4_OK;
}

/* A handler decides an op's status; the results stop at the first failure;
 * ops the client does not implement get NOTSUPP, unknown numbers ILLEGAL;
 * other programs PROG_UNAVAIL; CB_NULL is answered and recorded. */
static void test_handlers_and_errors(void **state)
{
	struct pair p;
	pair_up(&p);
	p.svc.handlers[OP_CB_RECALL] = recall_delay;
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	cb_begin(&e, &c, 20, 1, 0);
	struct nfs4_cb_recall_args ra = {stateid_of(1), true, {fh, sizeof(fh)}};
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL) && nfs4_enc_cb_recall_args(&e, &ra));
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL) && nfs4_enc_cb_recall_args(&e, &ra));
	struct rpctest_reply r;
	struct nfs4_compound_res_hdr h;
	cb_exchange(&p, &e, &c, 2, &r, &h);
	assert_int_equal(h.status, NFS4ERR_DELAY);
	assert_int_equal(h.numres, 2);
	expect_sequence_ok(&r, 1, 0);
	expect_op(&r, OP_CB_RECALL, NFS4ERR_DELAY);
	rpctest_reply_release(&r);

	cb_begin(&e, &c, 21, 2, 0);
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL_SLOT));
	cb_exchange(&p, &e, &c, 4, &r, &h);
	assert_int_equal(h.status, NFS4ERR_NOTSUPP);
	expect_sequence_ok(&r, 2, 0);
	expect_op(&r, OP_CB_RECALL_SLOT, NFS4ERR_NOTSUPP);
	rpctest_reply_release(&r);

	cb_begin(&e, &c, 22, 3, 0);
	assert_true(nfs4_enc_op(&c, 99));
	cb_exchange(&p, &e, &c, 6, &r, &h);
	assert_int_equal(h.status, NFS4ERR_OP_ILLEGAL);
	expect_sequence_ok(&r, 3, 0);
	expect_op(&r, OP_CB_ILLEGAL, NFS4ERR_OP_ILLEGAL);
	rpctest_reply_release(&r);

	/* CB_NULL, and a call to another program. */
	for (uint32_t prog = PROG; prog <= PROG + 1; prog++) {
		assert_true(xdr_enc_init(&e, 128, 1024));
		assert_true(rpc_encode_call(&e, 30 + prog - PROG, prog, 1, CB_NULL, NULL));
		assert_int_equal(rpctest_send_record(p.server, e.buf->data, e.buf->len, 0), 0);
		xdr_enc_release(&e);
		assert_true(nfs4c_cb_serve(p.client, 7 + prog - PROG, 2000));
		assert_int_equal(rpctest_recv_reply(p.server, &r, 2000), 0);
		assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
		assert_int_equal(r.hdr.accept_stat, prog == PROG ? RPC_SUCCESS : RPC_PROG_UNAVAIL);
		rpctest_reply_release(&r);
	}
	/* Both recorded, with the program each was for. */
	assert_int_equal(nfs4c_cb_count(&p.svc, 0), 2);
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&p.svc, 0, 0, &rec));
	assert_int_equal(rec.prog, PROG);
	assert_true(nfs4c_cb_get(&p.svc, 0, 1, &rec));
	assert_int_equal(rec.prog, PROG + 1);
	pair_down(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_decoded_and_recorded),
		cmocka_unit_test(test_slot_bookkeeping),
		cmocka_unit_test(test_handlers_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
