/* libFuzzer target: every decoder of xdr/nfs4_codec_cb.h, and the
 * COMPOUND / CB_COMPOUND headers of xdr/nfs4_codec.h.
 *
 * Byte 0 picks the decoder (modulo their number), the rest is its input.
 * Beyond "no sanitizer report": a list that decoded walks item by item
 * without failing, and whatever decodes re-encodes into bytes that decode
 * again (fuzz_codec.h). */
#include "fuzz_codec.h"

#include "xdr/nfs4_codec_cb.h"

static void walk_cb_sequence_args(const struct nfs4_cb_sequence_args *a)
{
	struct xdr_dec it;
	struct nfs4_referring_call_list r;
	struct nfs4_referring_call c;
	nfs4_list_iter_init(&it, &a->lists);
	for (uint32_t i = 0; i < a->lists.count; i++) {
		CHECK(nfs4_dec_referring_call_list(&it, &r));
		for (uint32_t k = 0; k < r.count; k++)
			nfs4_referring_call_list_get(&r, k, &c);
	}
	CHECK(xdr_dec_remaining(&it) == 0);
}

/* Each notify4's values are tried as every body type: a body that decodes
 * must re-encode (the bodies are opaque to notify4, so most will not). */
static void walk_bodies(struct nfs4_opaque vals)
{
	struct xdr_dec d;
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 256, 1u << 20));
#define TRY(name)                                                    \
	do {                                                         \
		struct nfs4_notify_##name b;                         \
		xdr_dec_init(&d, vals.data, vals.len);               \
		if (nfs4_dec_notify_##name(&d, &b))                  \
			CHECK(nfs4_enc_notify_##name(&e, &b));       \
	} while (0)
	TRY(entry);
	TRY(remove);
	TRY(add);
	TRY(attr);
	TRY(rename);
	TRY(verifier);
#undef TRY
	xdr_enc_release(&e);
}

static void walk_cb_notify_args(const struct nfs4_cb_notify_args *a)
{
	struct xdr_dec it;
	struct nfs4_notify n;
	nfs4_list_iter_init(&it, &a->changes);
	for (uint32_t i = 0; i < a->changes.count; i++) {
		CHECK(nfs4_dec_notify(&it, &n));
		walk_bodies(n.vals);
	}
	CHECK(xdr_dec_remaining(&it) == 0);
}

static void walk_compound_res_hdr(const struct nfs4_compound_res_hdr *h) { (void)h; }

static bool enc_compound_args_hdr(struct xdr_enc *e, const struct nfs4_compound_args_hdr *h)
{
	struct nfs4_compound_enc c;
	if (!nfs4_enc_compound_args_begin(&c, e, h->tag, h->minor))
		return false;
	c.count = h->numops;
	nfs4_enc_compound_end(&c);
	return !e->overflow;
}

static bool enc_cb_compound_args_hdr(struct xdr_enc *e,
				     const struct nfs4_cb_compound_args_hdr *h)
{
	struct nfs4_compound_enc c;
	if (!nfs4_enc_cb_compound_args_begin(&c, e, h->tag, h->minor, h->callback_ident))
		return false;
	c.count = h->numops;
	nfs4_enc_compound_end(&c);
	return !e->overflow;
}

static bool enc_compound_res_hdr(struct xdr_enc *e, const struct nfs4_compound_res_hdr *h)
{
	struct nfs4_compound_res_enc r;
	if (!nfs4_enc_compound_res_begin(&r, e, h->tag))
		return false;
	r.count = h->numres;
	nfs4_enc_compound_res_finish(&r, h->status);
	return !e->overflow;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 23) {
#define PAIR(k, name, walk)                                                               \
	case k:                                                                           \
		FUZZ_PAIR(struct nfs4_##name, nfs4_enc_##name, nfs4_dec_##name, walk, p, n); \
		break;
	PAIR(0, cb_sequence_args, walk_cb_sequence_args)
	PAIR(1, cb_sequence_res, FUZZ_NO_WALK)
	PAIR(2, cb_recall_args, FUZZ_NO_WALK)
	PAIR(3, cb_getattr_args, FUZZ_NO_WALK)
	PAIR(4, cb_getattr_res, FUZZ_NO_WALK)
	PAIR(5, cb_notify_lock_args, FUZZ_NO_WALK)
	PAIR(6, cb_notify_args, walk_cb_notify_args)
	PAIR(7, notify_entry, FUZZ_NO_WALK)
	PAIR(8, notify_remove, FUZZ_NO_WALK)
	PAIR(9, notify_add, FUZZ_NO_WALK)
	PAIR(10, notify_attr, FUZZ_NO_WALK)
	PAIR(11, notify_rename, FUZZ_NO_WALK)
	PAIR(12, notify_verifier, FUZZ_NO_WALK)
	PAIR(13, cb_offload_args, FUZZ_NO_WALK)
	PAIR(14, cb_recall_any_args, FUZZ_NO_WALK)
	PAIR(15, cb_recallable_obj_avail_args, FUZZ_NO_WALK)
	PAIR(16, cb_recall_slot_args, FUZZ_NO_WALK)
	PAIR(17, cb_wants_cancelled_args, FUZZ_NO_WALK)
	PAIR(18, referring_call_list, FUZZ_NO_WALK)
	PAIR(22, write_response, FUZZ_NO_WALK)
#undef PAIR
	case 19:
		FUZZ_PAIR(struct nfs4_compound_args_hdr, enc_compound_args_hdr,
			  nfs4_dec_compound_args_hdr, FUZZ_NO_WALK, p, n);
		break;
	case 20:
		FUZZ_PAIR(struct nfs4_cb_compound_args_hdr, enc_cb_compound_args_hdr,
			  nfs4_dec_cb_compound_args_hdr, FUZZ_NO_WALK, p, n);
		break;
	case 21:
		FUZZ_PAIR(struct nfs4_compound_res_hdr, enc_compound_res_hdr,
			  nfs4_dec_compound_res_hdr, walk_compound_res_hdr, p, n);
		break;
	}
	return 0;
}
