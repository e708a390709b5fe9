/* libFuzzer target: a client's CB_COMPOUND reply, decoded and checked as
 * the callback engine does it (src/callback/cb_compound.c
 * cb_compound_decode_reply, against the call that was sent), then, for
 * a CB_GETATTR answer, kept as the engine keeps it for done (queue.c
 * cb_item_keep_res, cb_item_decode_res) and its values decoded as the
 * delegation code reads them (nfs4_fattr_decode_values).
 *
 * Input layout:
 *   byte 0   bits 0-1: the operation sent after CB_SEQUENCE: none (the
 *                      back channel's probe), CB_RECALL, CB_GETATTR,
 *                      CB_NOTIFY_LOCK
 *            bit 2:    a v4.0 callback (no CB_SEQUENCE; with no operation
 *                      there is nothing to decode)
 *   the rest CB_COMPOUND4res
 *
 * The call sent: CB_SEQUENCE of session "fuzz-cb-session!", slot 2,
 * seqid 7 (the seeds of fuzz/make-server-seeds.py answer it).
 *
 * Checked beyond "no sanitizer report": NFS4_OK only when every operation
 * answered NFS4_OK (and, v4.1, CB_SEQUENCE did, for this very session,
 * slot and seqid); sequence_done only for such a CB_SEQUENCE; a kept
 * CB_GETATTR answer is a copy equal to what was decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callback/callback.h"
#include "callback/callback_internal.h"
#include "xdr/nfs4_fattr.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static const char SESSION[NFS4_SESSIONID_SIZE] = "fuzz-cb-session!";
enum { SENT_SLOT = 2, SENT_SEQID = 7 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_getattr(const struct cb_compound_op *op, const struct nfs4_cb_getattr_res *r)
{
	struct cb_item item;
	struct nfs4_cb_getattr_res kept;
	memset(&item, 0, sizeof(item));
	memset(&kept, 0, sizeof(kept));
	if (cb_item_keep_res(&item, op)) {
		CHECK(item.res_len == op->body_len);
		CHECK(cb_item_decode_res(&item, &cb_op_getattr, &kept));
		CHECK(kept.attrs.vals.len == r->attrs.vals.len);
		CHECK(memcmp(kept.attrs.vals.data, r->attrs.vals.data, r->attrs.vals.len) == 0);
		CHECK(kept.attrs.vals.len == 0 ||
		      (kept.attrs.vals.data >= item.res_body &&
		       kept.attrs.vals.data + kept.attrs.vals.len <= item.res_body + item.res_len));
		for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
			CHECK(kept.attrs.mask.w[w] == r->attrs.mask.w[w]);
	}
	struct nfs4_attrs attrs;
	uint32_t bad = 0;
	memset(&attrs, 0, sizeof(attrs));
	if (nfs4_fattr_decode_values(&kept.attrs.mask, kept.attrs.vals, &attrs, &bad)) {
		for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
			CHECK(attrs.present.w[w] == r->attrs.mask.w[w]);
	}
	free(item.res_body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uint32_t ops_sent[] = {0, OP_CB_RECALL, OP_CB_GETATTR, OP_CB_NOTIFY_LOCK};
	uint32_t opnum = ops_sent[data[0] & 3];
	bool v40 = data[0] & 4;
	if (v40 && !opnum)
		return 0;

	struct nfs4_cb_sequence_args seq;
	memset(&seq, 0, sizeof(seq));
	memcpy(seq.sessionid.data, SESSION, NFS4_SESSIONID_SIZE);
	seq.sequenceid = SENT_SEQID;
	seq.slotid = SENT_SLOT;
	seq.highest_slotid = SENT_SLOT;

	struct nfs4_cb_getattr_res gres;
	memset(&gres, 0, sizeof(gres));
	struct cb_compound_op op = {.opnum = opnum, .res = &gres, .status = 0};
	struct cb_compound_outcome out;
	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	cb_compound_decode_reply(&d, v40 ? NULL : &seq, opnum ? &op : NULL, opnum ? 1 : 0, &out);

	if (out.sequence_done) {
		CHECK(!v40);
		CHECK(memcmp(out.seq.sessionid.data, SESSION, NFS4_SESSIONID_SIZE) == 0);
		CHECK(out.seq.slotid == SENT_SLOT && out.seq.sequenceid == SENT_SEQID);
	}
	if (out.status == NFS4_OK) {
		CHECK(v40 || out.sequence_done);
		if (opnum) {
			CHECK(op.status == NFS4_OK);
			if (opnum == OP_CB_GETATTR) {
				const uint8_t *p = gres.attrs.vals.data;
				CHECK(gres.attrs.vals.len == 0 ||
				      (p >= data + 1 && p + gres.attrs.vals.len <= data + size));
				check_getattr(&op, &gres);
			}
		}
	}
	return 0;
}
