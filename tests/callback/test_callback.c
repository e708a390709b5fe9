/* The callback-op table and the CB_COMPOUND it builds: what goes out
 * decodes back with the codec as the client would read it, and a reply is
 * good only when its CB_SEQUENCE answers the very session, slot and seqid
 * that were sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "callback/callback.h"
#include "xdr/nfs4_prot.h"

static const uint8_t fh_bytes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void seq_args(struct nfs4_cb_sequence_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < NFS4_SESSIONID_SIZE; i++)
		a->sessionid.data[i] = (uint8_t)(0xa0 + i);
	a->sequenceid = 7;
	a->slotid = 0;
	a->highest_slotid = 0;
}

static void recall_args(struct nfs4_cb_recall_args *r)
{
	memset(r, 0, sizeof(*r));
	r->stateid.seqid = 3;
	memset(r->stateid.other, 0x5c, NFS4_OTHER_SIZE);
	r->truncate = true;
	r->fh = (struct nfs4_opaque){fh_bytes, sizeof(fh_bytes)};
}

/* v4.0: no CB_SEQUENCE, the client's callback_ident in the header. */
static void test_v40_recall(void **state)
{
	struct nfs4_cb_recall_args rec;
	recall_args(&rec);
	struct cb_compound_op op = {.opnum = OP_CB_RECALL, .args = &rec};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 4096));
	assert_true(cb_compound_encode(&e, 0x1234, 0, NULL, &op, 1));
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	struct nfs4_cb_compound_args_hdr h;
	uint32_t opnum;
	struct nfs4_cb_recall_args r2;
	assert_true(nfs4_dec_cb_compound_args_hdr(&d, &h));
	assert_int_equal(h.minor, 0);
	assert_int_equal(h.callback_ident, 0x1234);
	assert_int_equal(h.numops, 1);
	assert_true(nfs4_dec_op(&d, &opnum) && opnum == OP_CB_RECALL);
	assert_true(nfs4_dec_cb_recall_args(&d, &r2));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	xdr_enc_release(&e);

	/* The reply has only the recall's result. */
	assert_true(xdr_enc_init(&e, 64, 4096));
	struct nfs4_compound_res_enc re;
	assert_true(nfs4_enc_compound_res_begin(&re, &e, (struct nfs4_opaque){NULL, 0}));
	nfs4_enc_op_res(&re, OP_CB_RECALL, NFS4_OK);
	nfs4_enc_compound_res_finish(&re, NFS4_OK);
	struct cb_compound_outcome out;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	cb_compound_decode_reply(&d, NULL, &op, 1, &out);
	assert_int_equal(out.status, NFS4_OK);
	assert_false(out.sequence_done);
	assert_int_equal(op.status, NFS4_OK);
	xdr_enc_release(&e);
}

static void test_table_entries(void **state)
{
	static const uint32_t ops[] = {OP_CB_SEQUENCE,    OP_CB_RECALL, OP_CB_GETATTR,
				       OP_CB_NOTIFY_LOCK, OP_CB_NOTIFY, OP_CB_OFFLOAD};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct cb_op *d = cb_op_find(ops[i]);
		assert_non_null(d);
		assert_int_equal(d->opnum, ops[i]);
		assert_non_null(d->name);
		assert_non_null(d->encode);
		/* A result body needs a decoder and room for it. */
		assert_true((d->decode != NULL) == (d->res_max > 0));
	}
	assert_non_null(cb_op_find(OP_CB_SEQUENCE)->decode);
	assert_non_null(cb_op_find(OP_CB_GETATTR)->decode);
	assert_null(cb_op_find(OP_CB_LAYOUTRECALL));
	assert_null(cb_op_find(0));
	assert_null(cb_op_find(10044));
	assert_null(cb_op_find(UINT32_MAX));
}

static void test_encode_sequence_recall(void **state)
{
	struct nfs4_cb_sequence_args seq;
	struct nfs4_cb_recall_args rec;
	seq_args(&seq);
	recall_args(&rec);
	struct cb_compound_op op = {.opnum = OP_CB_RECALL, .args = &rec};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 4096));
	assert_true(cb_compound_encode(&e, 0, 1, &seq, &op, 1));

	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	struct nfs4_cb_compound_args_hdr h;
	assert_true(nfs4_dec_cb_compound_args_hdr(&d, &h));
	assert_int_equal(h.tag.len, 0);
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.numops, 2);
	uint32_t opnum;
	struct nfs4_cb_sequence_args s2;
	assert_true(nfs4_dec_op(&d, &opnum));
	assert_int_equal(opnum, OP_CB_SEQUENCE);
	assert_true(nfs4_dec_cb_sequence_args(&d, &s2));
	assert_memory_equal(s2.sessionid.data, seq.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(s2.sequenceid, 7);
	assert_int_equal(s2.slotid, 0);
	assert_int_equal(s2.highest_slotid, 0);
	assert_false(s2.cachethis);
	assert_int_equal(s2.lists.count, 0);
	struct nfs4_cb_recall_args r2;
	assert_true(nfs4_dec_op(&d, &opnum));
	assert_int_equal(opnum, OP_CB_RECALL);
	assert_true(nfs4_dec_cb_recall_args(&d, &r2));
	assert_int_equal(r2.stateid.seqid, 3);
	assert_memory_equal(r2.stateid.other, rec.stateid.other, NFS4_OTHER_SIZE);
	assert_true(r2.truncate);
	assert_int_equal(r2.fh.len, sizeof(fh_bytes));
	assert_memory_equal(r2.fh.data, fh_bytes, sizeof(fh_bytes));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	xdr_enc_release(&e);

	/* CB_SEQUENCE comes once, first; an operation outside the table is
	 * not sent. */
	struct cb_compound_op bad[] = {{.opnum = OP_CB_SEQUENCE, .args = &seq},
				   {.opnum = OP_CB_LAYOUTRECALL, .args = &rec}};
	for (int i = 0; i < 2; i++) {
		assert_true(xdr_enc_init(&e, 64, 4096));
		assert_false(cb_compound_encode(&e, 0, 1, &seq, &bad[i], 1));
		xdr_enc_release(&e);
	}
}

/* A client's reply: CB_SEQUENCE with seq_status (and, on NFS4_OK, the
 * result r), then each of the statuses in more (a CB_GETATTR result gets
 * a small fattr4). */
static void build_reply(struct xdr_enc *e, uint32_t seq_status, const struct nfs4_cb_sequence_res *r,
			const uint32_t *ops, const uint32_t *status, int n)
{
	assert_true(xdr_enc_init(e, 64, 4096));
	struct nfs4_compound_res_enc re;
	assert_true(nfs4_enc_compound_res_begin(&re, e, (struct nfs4_opaque){NULL, 0}));
	nfs4_enc_op_res(&re, OP_CB_SEQUENCE, seq_status);
	uint32_t last = seq_status;
	if (seq_status == NFS4_OK) {
		assert_true(nfs4_enc_cb_sequence_res(e, r));
		for (int i = 0; i < n; i++) {
			nfs4_enc_op_res(&re, ops[i], status[i]);
			last = status[i];
			if (status[i] != NFS4_OK)
				break;
			if (ops[i] == OP_CB_GETATTR) {
				static const uint8_t vals[8] = {0, 0, 0, 0, 0, 0, 0x10, 0};
				struct nfs4_cb_getattr_res g = {
					.attrs = {.vals = {vals, sizeof(vals)}}};
				g.attrs.mask.w[0] = 1u << FATTR4_SIZE;
				assert_true(nfs4_enc_cb_getattr_res(e, &g));
			}
		}
	}
	nfs4_enc_compound_res_finish(&re, last);
	assert_false(e->overflow);
}

static void good_res(struct nfs4_cb_sequence_res *r, const struct nfs4_cb_sequence_args *a)
{
	memset(r, 0, sizeof(*r));
	r->sessionid = a->sessionid;
	r->sequenceid = a->sequenceid;
	r->slotid = a->slotid;
	r->highest_slotid = 0;
	r->target_highest_slotid = 0;
}

static void decode(const struct xdr_enc *e, const struct nfs4_cb_sequence_args *seq,
		   struct cb_compound_op *ops, uint32_t nops, struct cb_compound_outcome *out)
{
	struct xdr_dec d;
	xdr_dec_init(&d, e->buf->data, e->buf->len);
	cb_compound_decode_reply(&d, seq, ops, nops, out);
}

static void test_reply_checked(void **state)
{
	struct nfs4_cb_sequence_args seq;
	seq_args(&seq);
	struct nfs4_cb_sequence_res r;
	struct cb_compound_outcome out;
	struct xdr_enc e;
	static const uint32_t recall[] = {OP_CB_RECALL};
	static const uint32_t ok[] = {NFS4_OK};

	/* The answer to this call. */
	good_res(&r, &seq);
	build_reply(&e, NFS4_OK, &r, recall, ok, 1);
	struct cb_compound_op op = {.opnum = OP_CB_RECALL};
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4_OK);
	assert_true(out.sequence_done);
	assert_int_equal(op.status, NFS4_OK);
	xdr_enc_release(&e);

	/* Another session's id: a failed callback, the slot not spent. */
	good_res(&r, &seq);
	r.sessionid.data[5] ^= 1;
	build_reply(&e, NFS4_OK, &r, recall, ok, 1);
	decode(&e, &seq, &op, 1, &out);
	assert_int_not_equal(out.status, NFS4_OK);
	assert_false(out.sequence_done);
	xdr_enc_release(&e);

	/* Another slot, another seqid: the same. */
	for (int i = 0; i < 2; i++) {
		good_res(&r, &seq);
		if (i == 0)
			r.slotid = 1;
		else
			r.sequenceid = seq.sequenceid + 1;
		build_reply(&e, NFS4_OK, &r, NULL, NULL, 0);
		decode(&e, &seq, NULL, 0, &out);
		assert_int_not_equal(out.status, NFS4_OK);
		assert_false(out.sequence_done);
		xdr_enc_release(&e);
	}

	/* CB_SEQUENCE refused: its status, nothing spent. */
	build_reply(&e, NFS4ERR_SEQ_MISORDERED, NULL, NULL, NULL, 0);
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_SEQ_MISORDERED);
	assert_false(out.sequence_done);
	xdr_enc_release(&e);

	/* The recall refused after a good CB_SEQUENCE: the slot moved on. */
	static const uint32_t bad[] = {NFS4ERR_BADHANDLE};
	good_res(&r, &seq);
	build_reply(&e, NFS4_OK, &r, recall, bad, 1);
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADHANDLE);
	assert_int_equal(op.status, NFS4ERR_BADHANDLE);
	assert_true(out.sequence_done);
	xdr_enc_release(&e);

	/* A missing result, a result for another operation, a truncated
	 * reply: undecodable. */
	good_res(&r, &seq);
	build_reply(&e, NFS4_OK, &r, NULL, NULL, 0);
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	xdr_enc_release(&e);
	static const uint32_t getattr[] = {OP_CB_GETATTR};
	build_reply(&e, NFS4_OK, &r, getattr, ok, 1);
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	struct nfs4_cb_getattr_res g;
	struct cb_compound_op gop = {.opnum = OP_CB_GETATTR, .res = &g};
	e.buf->len -= 4;
	decode(&e, &seq, &gop, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	assert_true(out.sequence_done); /* the CB_SEQUENCE part is whole */
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, 20);
	cb_compound_decode_reply(&d, &seq, NULL, 0, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	assert_false(out.sequence_done);
	xdr_enc_release(&e);
}

static void test_reply_getattr_body(void **state)
{
	struct nfs4_cb_sequence_args seq;
	seq_args(&seq);
	struct nfs4_cb_sequence_res r;
	good_res(&r, &seq);
	static const uint32_t getattr[] = {OP_CB_GETATTR};
	static const uint32_t ok[] = {NFS4_OK};
	struct xdr_enc e;
	build_reply(&e, NFS4_OK, &r, getattr, ok, 1);
	struct nfs4_cb_getattr_res g;
	memset(&g, 0, sizeof(g));
	struct cb_compound_op op = {.opnum = OP_CB_GETATTR, .res = &g};
	struct cb_compound_outcome out;
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4_OK);
	assert_int_equal(g.attrs.mask.w[0], 1u << FATTR4_SIZE);
	assert_int_equal(g.attrs.vals.len, 8);
	/* Without somewhere to decode the body into, the reply is not taken. */
	op.res = NULL;
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	xdr_enc_release(&e);
}

/* A CB_GETATTR answer larger than the table's res_max is refused: a client
 * cannot make the server copy and keep (cb_item_keep_getattr) whatever it
 * sends up to the record size. */
static void test_reply_getattr_oversized(void **state)
{
	struct nfs4_cb_sequence_args seq;
	seq_args(&seq);
	struct nfs4_cb_sequence_res r;
	good_res(&r, &seq);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 16384));
	struct nfs4_compound_res_enc re;
	assert_true(nfs4_enc_compound_res_begin(&re, &e, (struct nfs4_opaque){NULL, 0}));
	nfs4_enc_op_res(&re, OP_CB_SEQUENCE, NFS4_OK);
	assert_true(nfs4_enc_cb_sequence_res(&e, &r));
	nfs4_enc_op_res(&re, OP_CB_GETATTR, NFS4_OK);
	const uint32_t len = cb_op_find(OP_CB_GETATTR)->res_max + 4;
	static uint8_t vals[8192];
	assert_true(len <= sizeof(vals));
	struct nfs4_cb_getattr_res big = {.attrs = {.vals = {vals, len}}};
	big.attrs.mask.w[0] = 1u << FATTR4_SIZE;
	assert_true(nfs4_enc_cb_getattr_res(&e, &big));
	nfs4_enc_compound_res_finish(&re, NFS4_OK);
	assert_false(e.overflow);
	struct nfs4_cb_getattr_res g;
	memset(&g, 0, sizeof(g));
	struct cb_compound_op op = {.opnum = OP_CB_GETATTR, .res = &g};
	struct cb_compound_outcome out;
	decode(&e, &seq, &op, 1, &out);
	assert_int_equal(out.status, NFS4ERR_BADXDR);
	xdr_enc_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_entries),
		cmocka_unit_test(test_encode_sequence_recall),
		cmocka_unit_test(test_reply_checked),
		cmocka_unit_test(test_reply_getattr_body),
		cmocka_unit_test(test_reply_getattr_oversized),
		cmocka_unit_test(test_v40_recall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
