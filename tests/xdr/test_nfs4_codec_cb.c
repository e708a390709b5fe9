/* The callback codec: every encode/decode pair round-trips field by field,
 * every truncation of a valid encoding fails, over-limit handles and owners
 * fail, and CB_NOTIFY's bodies nest inside notify4 as the protocol has it. */
#include "codec_check.h"

#include "xdr/nfs4_codec_cb.h"

static uint8_t big[2048];

static void assert_fattr_equal(const struct nfs4_fattr_raw *a, const struct nfs4_fattr_raw *b)
{
	assert_bitmap_equal(&a->mask, &b->mask);
	assert_opaque_equal(a->vals, b->vals);
}

static void assert_entry_equal(const struct nfs4_notify_entry *a,
			       const struct nfs4_notify_entry *b)
{
	assert_opaque_equal(a->name, b->name);
	assert_fattr_equal(&a->attrs, &b->attrs);
}

static const uint8_t fh1[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};

/* --- CB_SEQUENCE ----------------------------------------------------------- */

static void test_cb_sequence(void **state)
{
	struct nfs4_referring_call calls0[2] = {{1, 0}, {7, 3}};
	struct nfs4_referring_call calls1[1] = {{0xffffffffu, 63}};
	struct nfs4_referring_call_list lists[2] = {
		{.sessionid = sid(1), .count = 2, .items = calls0},
		{.sessionid = sid(2), .count = 1, .items = calls1},
	};
	struct nfs4_cb_sequence_args a = {
		.sessionid = sid(3), .sequenceid = 9, .slotid = 0, .highest_slotid = 15,
		.cachethis = false, .lists = {.count = 2}, .items = lists}, b;
	CHECK_PAIR(nfs4_enc_cb_sequence_args, nfs4_dec_cb_sequence_args, &a, &b);
	assert_memory_equal(a.sessionid.data, b.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(a.sequenceid, b.sequenceid);
	assert_int_equal(a.slotid, b.slotid);
	assert_int_equal(a.highest_slotid, b.highest_slotid);
	assert_false(b.cachethis);
	assert_null(b.items);
	assert_int_equal(b.lists.count, 2);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &b.lists);
	for (int i = 0; i < 2; i++) {
		struct nfs4_referring_call_list r;
		assert_true(nfs4_dec_referring_call_list(&it, &r));
		assert_memory_equal(r.sessionid.data, lists[i].sessionid.data,
				    NFS4_SESSIONID_SIZE);
		assert_int_equal(r.count, lists[i].count);
		for (uint32_t k = 0; k < r.count; k++) {
			struct nfs4_referring_call c;
			nfs4_referring_call_list_get(&r, k, &c);
			assert_int_equal(c.sequenceid, lists[i].items[k].sequenceid);
			assert_int_equal(c.slotid, lists[i].items[k].slotid);
		}
	}
	assert_int_equal(xdr_dec_remaining(&it), 0);

	/* No referring calls, the common case. */
	a.lists.count = 0;
	CHECK_PAIR(nfs4_enc_cb_sequence_args, nfs4_dec_cb_sequence_args, &a, &b);
	assert_int_equal(b.lists.count, 0);

	/* An inner count the bytes cannot hold. */
	struct xdr_enc e;
	codec_raw_init(&e);
	nfs4_enc_sessionid(&e, &a.sessionid);
	xdr_encode_u32(&e, 1);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 0);
	xdr_encode_bool(&e, true);
	xdr_encode_u32(&e, 1);
	nfs4_enc_sessionid(&e, &a.sessionid);
	xdr_encode_u32(&e, 0x20000000);
	xdr_encode_u64(&e, 0);
	CHECK_DEC_FAILS(nfs4_dec_cb_sequence_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_cb_sequence_args);
	xdr_enc_release(&e);

	struct nfs4_cb_sequence_res ra = {sid(4), 9, 0, 15, 7}, rb;
	CHECK_PAIR(nfs4_enc_cb_sequence_res, nfs4_dec_cb_sequence_res, &ra, &rb);
	assert_memory_equal(ra.sessionid.data, rb.sessionid.data, NFS4_SESSIONID_SIZE);
	assert_int_equal(ra.sequenceid, rb.sequenceid);
	assert_int_equal(ra.slotid, rb.slotid);
	assert_int_equal(ra.highest_slotid, rb.highest_slotid);
	assert_int_equal(ra.target_highest_slotid, rb.target_highest_slotid);
}

/* --- CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK --------------------------------- */

static void test_cb_recall(void **state)
{
	struct nfs4_cb_recall_args a = {stid(2), true, {fh1, sizeof(fh1)}}, b;
	CHECK_PAIR(nfs4_enc_cb_recall_args, nfs4_dec_cb_recall_args, &a, &b);
	assert_stateid_equal(&a.stateid, &b.stateid);
	assert_true(b.truncate);
	assert_opaque_equal(a.fh, b.fh);

	/* nfs_fh4<128>. */
	a.fh = (struct nfs4_opaque){big, NFS4_FHSIZE};
	CHECK_PAIR(nfs4_enc_cb_recall_args, nfs4_dec_cb_recall_args, &a, &b);
	a.fh.len = NFS4_FHSIZE + 1;
	CODEC_ENCODE(nfs4_enc_cb_recall_args, &a);
	CHECK_DEC_FAILS(nfs4_dec_cb_recall_args, codec_wire, codec_wire_len,
			struct nfs4_cb_recall_args);
}

static void test_cb_getattr(void **state)
{
	struct nfs4_cb_getattr_args a = {.fh = {fh1, sizeof(fh1)}}, b;
	nfs4_bitmap_set(&a.attr_request, FATTR4_CHANGE);
	nfs4_bitmap_set(&a.attr_request, FATTR4_SIZE);
	nfs4_bitmap_set(&a.attr_request, FATTR4_TIME_MODIFY);
	CHECK_PAIR(nfs4_enc_cb_getattr_args, nfs4_dec_cb_getattr_args, &a, &b);
	assert_opaque_equal(a.fh, b.fh);
	assert_bitmap_equal(&a.attr_request, &b.attr_request);
	assert_false(b.extra);

	static const uint8_t vals[] = {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0x10, 0};
	struct nfs4_cb_getattr_res ra = {.attrs = {.vals = {vals, sizeof(vals)}}}, rb;
	nfs4_bitmap_set(&ra.attrs.mask, FATTR4_CHANGE);
	nfs4_bitmap_set(&ra.attrs.mask, FATTR4_SIZE);
	CHECK_PAIR(nfs4_enc_cb_getattr_res, nfs4_dec_cb_getattr_res, &ra, &rb);
	assert_fattr_equal(&ra.attrs, &rb.attrs);
}

static void test_cb_notify_lock(void **state)
{
	struct nfs4_cb_notify_lock_args a = {{fh1, 8}, {0x77, op("lockowner")}}, b;
	CHECK_PAIR(nfs4_enc_cb_notify_lock_args, nfs4_dec_cb_notify_lock_args, &a, &b);
	assert_opaque_equal(a.fh, b.fh);
	assert_int_equal(a.lock_owner.clientid, b.lock_owner.clientid);
	assert_opaque_equal(a.lock_owner.owner, b.lock_owner.owner);

	a.lock_owner.owner = (struct nfs4_opaque){big, NFS4_OPAQUE_LIMIT + 1};
	CODEC_ENCODE(nfs4_enc_cb_notify_lock_args, &a);
	CHECK_DEC_FAILS(nfs4_dec_cb_notify_lock_args, codec_wire, codec_wire_len,
			struct nfs4_cb_notify_lock_args);
}

/* --- CB_NOTIFY ------------------------------------------------------------- */

static const uint8_t sizeval[] = {0, 0, 0, 0, 0, 0, 0x20, 0};

static struct nfs4_notify_entry entry(const char *name)
{
	struct nfs4_notify_entry n = {.name = op(name), .attrs = {.vals = {sizeval, 8}}};
	nfs4_bitmap_set(&n.attrs.mask, FATTR4_SIZE);
	return n;
}

static void test_notify_bodies(void **state)
{
	struct nfs4_notify_entry ea = entry("file.txt"), eb;
	CHECK_PAIR(nfs4_enc_notify_entry, nfs4_dec_notify_entry, &ea, &eb);
	assert_entry_equal(&ea, &eb);

	struct nfs4_notify_remove ra = {entry("gone"), 1234}, rb;
	CHECK_PAIR(nfs4_enc_notify_remove, nfs4_dec_notify_remove, &ra, &rb);
	assert_entry_equal(&ra.old_entry, &rb.old_entry);
	assert_int_equal(ra.old_entry_cookie, rb.old_entry_cookie);

	struct nfs4_notify_add full = {
		.has_old_entry = true, .old_entry = {entry("old"), 5},
		.new_entry = entry("new"),
		.has_new_entry_cookie = true, .new_entry_cookie = 6,
		.has_prev_entry = true, .prev_entry = entry("prev"), .prev_entry_cookie = 4,
		.last_entry = true,
	};
	struct nfs4_notify_add bare = {.new_entry = entry("only")};
	struct nfs4_notify_add *adds[] = {&full, &bare};
	for (int i = 0; i < 2; i++) {
		struct nfs4_notify_add *a = adds[i], b;
		CHECK_PAIR(nfs4_enc_notify_add, nfs4_dec_notify_add, a, &b);
		assert_int_equal(a->has_old_entry, b.has_old_entry);
		if (a->has_old_entry) {
			assert_entry_equal(&a->old_entry.old_entry, &b.old_entry.old_entry);
			assert_int_equal(a->old_entry.old_entry_cookie,
					 b.old_entry.old_entry_cookie);
		}
		assert_entry_equal(&a->new_entry, &b.new_entry);
		assert_int_equal(a->has_new_entry_cookie, b.has_new_entry_cookie);
		assert_int_equal(a->new_entry_cookie, b.new_entry_cookie);
		assert_int_equal(a->has_prev_entry, b.has_prev_entry);
		if (a->has_prev_entry) {
			assert_entry_equal(&a->prev_entry, &b.prev_entry);
			assert_int_equal(a->prev_entry_cookie, b.prev_entry_cookie);
		}
		assert_int_equal(a->last_entry, b.last_entry);
	}
	/* notify_remove4<1> with two. */
	uint8_t two[] = {0, 0, 0, 2};
	CHECK_DEC_FAILS(nfs4_dec_notify_add, two, sizeof(two), struct nfs4_notify_add);

	struct nfs4_notify_attr aa = {entry("changed")}, ab;
	CHECK_PAIR(nfs4_enc_notify_attr, nfs4_dec_notify_attr, &aa, &ab);
	assert_entry_equal(&aa.changed_entry, &ab.changed_entry);

	struct nfs4_notify_rename na = {{entry("from"), 10}, {.new_entry = entry("to"),
							      .last_entry = false}}, nb;
	CHECK_PAIR(nfs4_enc_notify_rename, nfs4_dec_notify_rename, &na, &nb);
	assert_entry_equal(&na.old_entry.old_entry, &nb.old_entry.old_entry);
	assert_int_equal(na.old_entry.old_entry_cookie, nb.old_entry.old_entry_cookie);
	assert_entry_equal(&na.new_entry.new_entry, &nb.new_entry.new_entry);
	assert_false(nb.new_entry.has_old_entry);

	struct nfs4_notify_verifier va = {verf(1), verf(2)}, vb;
	CHECK_PAIR(nfs4_enc_notify_verifier, nfs4_dec_notify_verifier, &va, &vb);
	assert_memory_equal(va.old_cookieverf.data, vb.old_cookieverf.data, NFS4_VERIFIER_SIZE);
	assert_memory_equal(va.new_cookieverf.data, vb.new_cookieverf.data, NFS4_VERIFIER_SIZE);
}

static void test_cb_notify(void **state)
{
	/* Two notify4: an add and a remove in one, a verifier change in the
	 * other; the bodies go into notifylist4 in the order of their bits. */
	static uint8_t body0[512], body1[64];
	size_t len0, len1;
	struct nfs4_notify_remove rm = {entry("a"), 1};
	struct nfs4_notify_add add = {.new_entry = entry("b"), .last_entry = true};
	struct nfs4_notify_verifier ver = {verf(3), verf(4)};
	struct xdr_enc e;
	codec_raw_init(&e);
	assert_true(nfs4_enc_notify_remove(&e, &rm));
	assert_true(nfs4_enc_notify_add(&e, &add));
	len0 = xdr_enc_len(&e);
	memcpy(body0, e.buf->data, len0);
	xdr_enc_release(&e);
	codec_raw_init(&e);
	assert_true(nfs4_enc_notify_verifier(&e, &ver));
	len1 = xdr_enc_len(&e);
	memcpy(body1, e.buf->data, len1);
	xdr_enc_release(&e);

	struct nfs4_notify n[2] = {{.vals = {body0, (uint32_t)len0}},
				   {.vals = {body1, (uint32_t)len1}}};
	nfs4_bitmap_set(&n[0].mask, NOTIFY4_REMOVE_ENTRY);
	nfs4_bitmap_set(&n[0].mask, NOTIFY4_ADD_ENTRY);
	nfs4_bitmap_set(&n[1].mask, NOTIFY4_CHANGE_COOKIE_VERIFIER);
	struct nfs4_cb_notify_args a = {stid(5), {fh1, sizeof(fh1)}, {.count = 2}, n}, b;
	CHECK_PAIR(nfs4_enc_cb_notify_args, nfs4_dec_cb_notify_args, &a, &b);
	assert_stateid_equal(&a.stateid, &b.stateid);
	assert_opaque_equal(a.fh, b.fh);
	assert_int_equal(b.changes.count, 2);

	struct xdr_dec it, body;
	struct nfs4_notify got;
	nfs4_list_iter_init(&it, &b.changes);
	assert_true(nfs4_dec_notify(&it, &got));
	assert_bitmap_equal(&n[0].mask, &got.mask);
	xdr_dec_init(&body, got.vals.data, got.vals.len);
	struct nfs4_notify_remove rm2;
	struct nfs4_notify_add add2;
	assert_true(nfs4_dec_notify_remove(&body, &rm2));
	assert_true(nfs4_dec_notify_add(&body, &add2));
	assert_int_equal(xdr_dec_remaining(&body), 0);
	assert_entry_equal(&rm.old_entry, &rm2.old_entry);
	assert_entry_equal(&add.new_entry, &add2.new_entry);
	assert_true(add2.last_entry);
	assert_true(nfs4_dec_notify(&it, &got));
	assert_bitmap_equal(&n[1].mask, &got.mask);
	xdr_dec_init(&body, got.vals.data, got.vals.len);
	struct nfs4_notify_verifier ver2;
	assert_true(nfs4_dec_notify_verifier(&body, &ver2));
	assert_memory_equal(ver.new_cookieverf.data, ver2.new_cookieverf.data,
			    NFS4_VERIFIER_SIZE);
	assert_int_equal(xdr_dec_remaining(&it), 0);

	/* A notify4 count the bytes cannot hold. */
	codec_raw_init(&e);
	nfs4_encode_stateid(&e, &a.stateid);
	nfs4_enc_opaque(&e, a.fh);
	xdr_encode_u32(&e, 1000);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 0);
	CHECK_DEC_FAILS(nfs4_dec_cb_notify_args, e.buf->data, xdr_enc_len(&e),
			struct nfs4_cb_notify_args);
	xdr_enc_release(&e);
}

/* --- CB_OFFLOAD and the small ones ----------------------------------------- */

static void test_cb_offload(void **state)
{
	struct nfs4_cb_offload_args a = {
		.fh = {fh1, sizeof(fh1)}, .stateid = stid(6), .status = NFS4_OK,
		.resok = {.has_callback_id = true, .callback_id = stid(7), .count = 1ull << 33,
			  .committed = FILE_SYNC4, .writeverf = verf(9)}}, b;
	CHECK_PAIR(nfs4_enc_cb_offload_args, nfs4_dec_cb_offload_args, &a, &b);
	assert_opaque_equal(a.fh, b.fh);
	assert_stateid_equal(&a.stateid, &b.stateid);
	assert_int_equal(b.status, NFS4_OK);
	assert_true(b.resok.has_callback_id);
	assert_stateid_equal(&a.resok.callback_id, &b.resok.callback_id);
	assert_int_equal(a.resok.count, b.resok.count);
	assert_int_equal(a.resok.committed, b.resok.committed);
	assert_memory_equal(a.resok.writeverf.data, b.resok.writeverf.data, NFS4_VERIFIER_SIZE);

	a.resok.has_callback_id = false;
	CHECK_PAIR(nfs4_enc_cb_offload_args, nfs4_dec_cb_offload_args, &a, &b);
	assert_false(b.resok.has_callback_id);

	a.status = NFS4ERR_NOSPC;
	a.bytes_copied = 4096;
	CHECK_PAIR(nfs4_enc_cb_offload_args, nfs4_dec_cb_offload_args, &a, &b);
	assert_int_equal(b.status, NFS4ERR_NOSPC);
	assert_int_equal(b.bytes_copied, 4096);
}

static void test_cb_small(void **state)
{
	struct nfs4_cb_recall_any_args a = {.objects_to_keep = 10}, b;
	nfs4_bitmap_set(&a.type_mask, 0);
	nfs4_bitmap_set(&a.type_mask, 1);
	CHECK_PAIR(nfs4_enc_cb_recall_any_args, nfs4_dec_cb_recall_any_args, &a, &b);
	assert_int_equal(a.objects_to_keep, b.objects_to_keep);
	assert_bitmap_equal(&a.type_mask, &b.type_mask);

	struct nfs4_cb_recallable_obj_avail_args oa = a, ob;
	CHECK_PAIR(nfs4_enc_cb_recallable_obj_avail_args, nfs4_dec_cb_recallable_obj_avail_args,
		   &oa, &ob);
	assert_int_equal(oa.objects_to_keep, ob.objects_to_keep);
	assert_bitmap_equal(&oa.type_mask, &ob.type_mask);

	struct nfs4_cb_recall_slot_args sa = {3}, sb;
	CHECK_PAIR(nfs4_enc_cb_recall_slot_args, nfs4_dec_cb_recall_slot_args, &sa, &sb);
	assert_int_equal(sb.target_highest_slotid, 3);

	struct nfs4_cb_wants_cancelled_args wa = {true, false}, wb;
	CHECK_PAIR(nfs4_enc_cb_wants_cancelled_args, nfs4_dec_cb_wants_cancelled_args, &wa, &wb);
	assert_true(wb.contended_wants_cancelled);
	assert_false(wb.resourced_wants_cancelled);
}

/* A whole CB_COMPOUND as the server sends it and a client reads it. */
static void test_cb_compound_roundtrip(void **state)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	codec_raw_init(&e);
	assert_true(nfs4_enc_cb_compound_args_begin(&c, &e, op("tag"), 1, 0));
	struct nfs4_cb_sequence_args sa = {.sessionid = sid(1), .sequenceid = 1,
					   .highest_slotid = 0, .lists = {0}, .items = NULL};
	static const struct nfs4_referring_call_list none[1];
	sa.items = none;
	assert_true(nfs4_enc_op(&c, OP_CB_SEQUENCE));
	assert_true(nfs4_enc_cb_sequence_args(&e, &sa));
	struct nfs4_cb_recall_args ra = {stid(1), false, {fh1, sizeof(fh1)}};
	assert_true(nfs4_enc_op(&c, OP_CB_RECALL));
	assert_true(nfs4_enc_cb_recall_args(&e, &ra));
	nfs4_enc_compound_end(&c);

	struct xdr_dec d;
	struct nfs4_cb_compound_args_hdr h;
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	assert_true(nfs4_dec_cb_compound_args_hdr(&d, &h));
	assert_int_equal(h.numops, 2);
	uint32_t opnum;
	struct nfs4_cb_sequence_args sb;
	struct nfs4_cb_recall_args rb;
	assert_true(nfs4_dec_op(&d, &opnum));
	assert_int_equal(opnum, OP_CB_SEQUENCE);
	assert_true(nfs4_dec_cb_sequence_args(&d, &sb));
	assert_int_equal(sb.lists.count, 0);
	assert_true(nfs4_dec_op(&d, &opnum));
	assert_int_equal(opnum, OP_CB_RECALL);
	assert_true(nfs4_dec_cb_recall_args(&d, &rb));
	assert_stateid_equal(&ra.stateid, &rb.stateid);
	assert_int_equal(xdr_dec_remaining(&d), 0);
	xdr_enc_release(&e);
}

static void test_count(void **state)
{
	print_message("round-tripped %zu encode/decode pairs\n", codec_pairs_checked);
	assert_true(codec_pairs_checked >= 20);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cb_sequence),
		cmocka_unit_test(test_cb_recall),
		cmocka_unit_test(test_cb_getattr),
		cmocka_unit_test(test_cb_notify_lock),
		cmocka_unit_test(test_notify_bodies),
		cmocka_unit_test(test_cb_notify),
		cmocka_unit_test(test_cb_offload),
		cmocka_unit_test(test_cb_small),
		cmocka_unit_test(test_cb_compound_roundtrip),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
