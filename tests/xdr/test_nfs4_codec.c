/* The shared pieces of the NFSv4 codec: COMPOUND and CB_COMPOUND headers in
 * both directions (counts and statuses patched at the end, every truncation
 * fails), verifier, change_info4, raw fattr4, and the status and operation
 * names. */
#include "codec_check.h"

#include "xdr/nfs4_codec.h"

static void test_compound_args(void **state)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	codec_raw_init(&e);
	assert_true(nfs4_enc_compound_args_begin(&c, &e, nfs4_opaque_str("hello"), 1));
	assert_true(nfs4_enc_op(&c, OP_SEQUENCE));
	assert_true(nfs4_enc_op(&c, OP_PUTROOTFH));
	assert_true(nfs4_enc_op(&c, OP_GETFH));
	nfs4_enc_compound_end(&c);
	const uint8_t want[] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 1,
				0, 0, 0, 3, 0, 0, 0, OP_SEQUENCE, 0, 0, 0, OP_PUTROOTFH,
				0, 0, 0, OP_GETFH};
	assert_int_equal(xdr_enc_len(&e), sizeof(want));
	assert_memory_equal(e.buf->data, want, sizeof(want));

	struct xdr_dec d;
	struct nfs4_compound_args_hdr h;
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	assert_true(nfs4_dec_compound_args_hdr(&d, &h));
	assert_opaque_equal(h.tag, nfs4_opaque_str("hello"));
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.numops, 3);
	uint32_t opnum;
	assert_true(nfs4_dec_op(&d, &opnum));
	assert_int_equal(opnum, OP_SEQUENCE);
	/* Every truncation of the header fails. */
	for (size_t k = 0; k < 16; k++) {
		xdr_dec_init(&d, e.buf->data, k);
		assert_false(nfs4_dec_compound_args_hdr(&d, &h));
	}
	xdr_enc_release(&e);

	/* A tag longer than the record. */
	const uint8_t longtag[] = {0, 0, 1, 0, 'a', 'b', 'c', 'd'};
	CHECK_DEC_FAILS(nfs4_dec_compound_args_hdr, longtag, sizeof(longtag),
			struct nfs4_compound_args_hdr);
}

static void test_compound_res(void **state)
{
	struct xdr_enc e;
	struct nfs4_compound_res_enc r;
	codec_raw_init(&e);
	assert_true(nfs4_enc_compound_res_begin(&r, &e, nfs4_opaque_str("t")));
	size_t s1 = nfs4_enc_op_res(&r, OP_SEQUENCE, NFS4_OK);
	(void)s1;
	size_t s2 = nfs4_enc_op_res(&r, OP_LOOKUP, NFS4_OK);
	nfs4_enc_op_res_patch(&r, s2, NFS4ERR_NOENT);
	nfs4_enc_compound_res_finish(&r, NFS4ERR_NOENT);

	struct xdr_dec d;
	struct nfs4_compound_res_hdr h;
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	assert_true(nfs4_dec_compound_res_hdr(&d, &h));
	assert_int_equal(h.status, NFS4ERR_NOENT);
	assert_opaque_equal(h.tag, nfs4_opaque_str("t"));
	assert_int_equal(h.numres, 2);
	uint32_t opnum, status;
	assert_true(nfs4_dec_op_res(&d, &opnum, &status));
	assert_int_equal(opnum, OP_SEQUENCE);
	assert_int_equal(status, NFS4_OK);
	assert_true(nfs4_dec_op_res(&d, &opnum, &status));
	assert_int_equal(opnum, OP_LOOKUP);
	assert_int_equal(status, NFS4ERR_NOENT);
	assert_int_equal(xdr_dec_remaining(&d), 0);
	for (size_t k = 0; k < 16; k++) {
		xdr_dec_init(&d, e.buf->data, k);
		assert_false(nfs4_dec_compound_res_hdr(&d, &h));
	}
	for (size_t k = 0; k < 8; k++) {
		xdr_dec_init(&d, e.buf->data + 16, k);
		assert_false(nfs4_dec_op_res(&d, &opnum, &status));
	}
	xdr_enc_release(&e);
}

static void test_cb_compound_args(void **state)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	codec_raw_init(&e);
	assert_true(nfs4_enc_cb_compound_args_begin(&c, &e, nfs4_opaque_str(""), 0, 0x1234));
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL));
	nfs4_enc_compound_end(&c);
	struct xdr_dec d;
	struct nfs4_cb_compound_args_hdr h;
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	assert_true(nfs4_dec_cb_compound_args_hdr(&d, &h));
	assert_int_equal(h.tag.len, 0);
	assert_int_equal(h.minor, 0);
	assert_int_equal(h.callback_ident, 0x1234);
	assert_int_equal(h.numops, 1);
	for (size_t k = 0; k < 16; k++) {
		xdr_dec_init(&d, e.buf->data, k);
		assert_false(nfs4_dec_cb_compound_args_hdr(&d, &h));
	}
	xdr_enc_release(&e);
}

/* Past the limit the header encoders fail and leave the overflow flag. */
static void test_compound_overflow(void **state)
{
	struct xdr_enc e;
	struct nfs4_compound_res_enc r;
	assert_true(xdr_enc_init(&e, 4, 8));
	assert_false(nfs4_enc_compound_res_begin(&r, &e, nfs4_opaque_str("tag")));
	assert_true(e.overflow);
	nfs4_enc_compound_res_finish(&r, NFS4_OK);
	xdr_enc_release(&e);
}

static void test_shared_pieces(void **state)
{
	struct nfs4_verifier va = {{1, 2, 3, 4, 5, 6, 7, 8}}, vb;
	CHECK_PAIR(nfs4_enc_verifier, nfs4_dec_verifier, &va, &vb);
	assert_memory_equal(va.data, vb.data, NFS4_VERIFIER_SIZE);

	struct nfs4_change_info ca = {true, 1, 0xffffffffffffffffull}, cb;
	CHECK_PAIR(nfs4_enc_change_info, nfs4_dec_change_info, &ca, &cb);
	assert_true(cb.atomic);
	assert_int_equal(ca.before, cb.before);
	assert_int_equal(ca.after, cb.after);

	static const uint8_t vals[] = {0, 0, 0, 2};
	struct nfs4_fattr_raw fa = {.vals = {vals, sizeof(vals)}}, fb;
	nfs4_bitmap_set(&fa.mask, FATTR4_TYPE);
	CODEC_ENCODE(nfs4_enc_fattr_raw, &fa);
	fb.extra = true;
	struct xdr_dec d;
	xdr_dec_init(&d, codec_wire, codec_wire_len);
	assert_true(nfs4_dec_fattr_raw(&d, &fb));
	assert_false(fb.extra);
	assert_memory_equal(fa.mask.w, fb.mask.w, sizeof(fa.mask.w));
	assert_opaque_equal(fa.vals, fb.vals);
	for (size_t k = 0; k < codec_wire_len; k++) {
		xdr_dec_init(&d, codec_wire, k);
		assert_false(nfs4_dec_fattr_raw(&d, &fb));
	}
}

static void test_names(void **state)
{
	assert_string_equal(nfs4_status_name(NFS4_OK), "NFS4_OK");
	assert_string_equal(nfs4_status_name(NFS4ERR_PERM), "NFS4ERR_PERM");
	assert_string_equal(nfs4_status_name(NFS4ERR_STALE), "NFS4ERR_STALE");
	assert_string_equal(nfs4_status_name(NFS4ERR_BADHANDLE), "NFS4ERR_BADHANDLE");
	assert_string_equal(nfs4_status_name(NFS4ERR_DELAY), "NFS4ERR_DELAY");
	assert_string_equal(nfs4_status_name(NFS4ERR_BADSESSION), "NFS4ERR_BADSESSION");
	assert_string_equal(nfs4_status_name(NFS4ERR_XATTR2BIG), "NFS4ERR_XATTR2BIG");
	/* Holes and numbers past the tables. */
	assert_null(nfs4_status_name(3));
	assert_null(nfs4_status_name(71));
	assert_null(nfs4_status_name(NFS4ERR_XATTR2BIG + 1));
	assert_null(nfs4_status_name(0xffffffffu));

	assert_string_equal(nfs4_op_name(OP_ACCESS), "OP_ACCESS");
	assert_string_equal(nfs4_op_name(OP_SEQUENCE), "OP_SEQUENCE");
	assert_string_equal(nfs4_op_name(OP_REMOVEXATTR), "OP_REMOVEXATTR");
	assert_string_equal(nfs4_op_name(OP_ILLEGAL), "OP_ILLEGAL");
	assert_null(nfs4_op_name(0));
	assert_null(nfs4_op_name(2));
	assert_null(nfs4_op_name(OP_REMOVEXATTR + 1));
	assert_null(nfs4_op_name(0xffffffffu));

	assert_string_equal(nfs4_cb_op_name(OP_CB_RECALL), "OP_CB_RECALL");
	assert_string_equal(nfs4_cb_op_name(OP_CB_OFFLOAD), "OP_CB_OFFLOAD");
	assert_string_equal(nfs4_cb_op_name(OP_CB_ILLEGAL), "OP_CB_ILLEGAL");
	assert_null(nfs4_cb_op_name(0));
	assert_null(nfs4_cb_op_name(OP_CB_OFFLOAD + 1));

	/* Every number the protocol defines has a name. */
	for (uint32_t op = OP_ACCESS; op <= OP_REMOVEXATTR; op++)
		assert_non_null(nfs4_op_name(op));
	for (uint32_t op = OP_CB_GETATTR; op <= OP_CB_OFFLOAD; op++)
		assert_non_null(nfs4_cb_op_name(op));
	/* 10002 and 10073 were never assigned. */
	for (uint32_t s = NFS4ERR_BADHANDLE; s <= NFS4ERR_XATTR2BIG; s++)
		if (s != 10002 && s != 10073)
			assert_non_null(nfs4_status_name(s));
	assert_null(nfs4_status_name(10002));
	assert_null(nfs4_status_name(10073));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compound_args),
		cmocka_unit_test(test_compound_res),
		cmocka_unit_test(test_cb_compound_args),
		cmocka_unit_test(test_compound_overflow),
		cmocka_unit_test(test_shared_pieces),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
