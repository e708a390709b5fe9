#include "callback/callback.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "state/session.h"

/* --- the callback-op table ---------------------------------------------------------- */

#define CB_ARGS(op)                                                    \
	static bool cb_enc_##op(struct xdr_enc *e, const void *args) \
	{                                                              \
		return nfs4_enc_##op##_args(e, args);                \
	}
#define CB_RES(op)                                              \
	static bool cb_dec_##op(struct xdr_dec *d, void *res) \
	{                                                       \
		return nfs4_dec_##op##_res(d, res);           \
	}

CB_ARGS(cb_sequence)
CB_RES(cb_sequence)
CB_ARGS(cb_recall)
CB_ARGS(cb_getattr)
CB_RES(cb_getattr)
CB_ARGS(cb_notify_lock)
CB_ARGS(cb_notify)
CB_ARGS(cb_offload)
CB_ARGS(cb_recallable_obj_avail)
CB_ARGS(cb_recall_any)

#define CB_OP(num, op, dec, max) \
	[num] = {.opnum = num, .name = #num, .enc_args = cb_enc_##op, .dec_res = dec, .res_max = max}
#define CB_OP42(num, op, dec, max)                                                          \
	[num] = {.opnum = num, .name = #num, .enc_args = cb_enc_##op, .dec_res = dec, .res_max = max, \
		 .minor_min = 2}

enum {
	CB_SEQUENCE_RES = NFS4_SESSIONID_SIZE + 4 * 4,
	/* CB_GETATTR asks for size and change (and the like): a bitmap and
	 * a few fixed-size values, well under this. */
	CB_GETATTR_RES = 4 + 4 * NFS4_BITMAP_WORDS + 4 + 256,
};

static const struct nfs4_cb_op_desc cb_op_table[] = {
	CB_OP(OP_CB_GETATTR, cb_getattr, cb_dec_cb_getattr, CB_GETATTR_RES),
	CB_OP(OP_CB_RECALL, cb_recall, NULL, 0),
	CB_OP(OP_CB_SEQUENCE, cb_sequence, cb_dec_cb_sequence, CB_SEQUENCE_RES),
	CB_OP(OP_CB_NOTIFY_LOCK, cb_notify_lock, NULL, 0),
	CB_OP(OP_CB_NOTIFY, cb_notify, NULL, 0),
	CB_OP42(OP_CB_OFFLOAD, cb_offload, NULL, 0),
	CB_OP(OP_CB_RECALLABLE_OBJ_AVAIL, cb_recallable_obj_avail, NULL, 0),
	CB_OP(OP_CB_RECALL_ANY, cb_recall_any, NULL, 0),
};

const struct nfs4_cb_op_desc *nfs4_cb_op_describe(uint32_t opnum)
{
	if (opnum >= sizeof(cb_op_table) / sizeof(cb_op_table[0]) || !cb_op_table[opnum].name)
		return NULL;
	return &cb_op_table[opnum];
}

/* --- CB_COMPOUND --------------------------------------------------------------------- */

bool nfs4_cb_compound_encode(struct xdr_enc *e, uint32_t callback_ident, uint32_t minor,
			     const struct nfs4_cb_sequence_args *seq, const struct nfs4_cb_op *ops,
			     uint32_t nops)
{
	struct nfs4_compound_enc ce;
	uint32_t cb_minor = seq ? (minor ? minor : 1) : 0;
	/* An operation of a later minor version raises it (CB_OFFLOAD: 2). */
	for (uint32_t i = 0; seq && i < nops; i++) {
		const struct nfs4_cb_op_desc *desc = nfs4_cb_op_describe(ops[i].opnum);
		if (desc && desc->minor_min > cb_minor)
			cb_minor = desc->minor_min;
	}
	/* v4.1 ignores callback_ident (RFC 8881 20.2). */
	if (!nfs4_enc_cb_compound_args_begin(&ce, e, (struct nfs4_opaque){NULL, 0}, cb_minor,
					     seq ? 0 : callback_ident))
		return false;
	if (seq && (!nfs4_enc_op(&ce, OP_CB_SEQUENCE) || !nfs4_enc_cb_sequence_args(e, seq)))
		return false;
	for (uint32_t i = 0; i < nops; i++) {
		const struct nfs4_cb_op_desc *desc = nfs4_cb_op_describe(ops[i].opnum);
		if (!desc || desc->opnum == OP_CB_SEQUENCE)
			return false;
		if (!nfs4_enc_op(&ce, desc->opnum) || !desc->enc_args(e, ops[i].args))
			return false;
	}
	nfs4_enc_compound_end(&ce);
	return !e->overflow;
}

/* The CB_SEQUENCE result must be the one for the call: a reply that names
 * another session or slot (a confused or hostile client, a reply routed to
 * the wrong call) says nothing about this back channel. */
static bool cb_sequence_matches(const struct nfs4_cb_sequence_res *r,
				const struct nfs4_cb_sequence_args *sent)
{
	return memcmp(r->sessionid.data, sent->sessionid.data, NFS4_SESSIONID_SIZE) == 0 &&
	       r->slotid == sent->slotid && r->sequenceid == sent->sequenceid;
}

void nfs4_cb_compound_decode_reply(struct xdr_dec *d, const struct nfs4_cb_sequence_args *seq,
				   struct nfs4_cb_op *ops, uint32_t nops,
				   struct nfs4_cb_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->status = NFS4ERR_BADXDR;
	for (uint32_t i = 0; i < nops; i++)
		ops[i].status = NFS4ERR_SERVERFAULT; /* no result came back */
	struct nfs4_compound_res_hdr h;
	uint32_t opnum, status;
	if (!nfs4_dec_compound_res_hdr(d, &h))
		return;
	if (h.numres == 0 && h.status != NFS4_OK) {
		/* Refused as a whole (NFS4ERR_MINOR_VERS_MISMATCH, ...). */
		out->status = h.status;
		return;
	}
	uint32_t nres = h.numres;
	if (seq) {
		if (nres < 1 || !nfs4_dec_op_res(d, &opnum, &status) || opnum != OP_CB_SEQUENCE)
			return;
		if (status != NFS4_OK) {
			out->status = status;
			return;
		}
		if (!nfs4_dec_cb_sequence_res(d, &out->seq) || !cb_sequence_matches(&out->seq, seq))
			return;
		out->sequence_done = true;
		nres--;
	}
	if (nres > nops)
		return;
	for (uint32_t i = 0; i < nres; i++) {
		const struct nfs4_cb_op_desc *desc = nfs4_cb_op_describe(ops[i].opnum);
		if (!desc || !nfs4_dec_op_res(d, &opnum, &status) || opnum != ops[i].opnum)
			return;
		ops[i].status = status;
		if (status != NFS4_OK) {
			/* Results stop at the first failing operation. */
			out->status = i + 1 == nres ? status : NFS4ERR_BADXDR;
			return;
		}
		const uint8_t *body = d->p;
		if (desc->dec_res && (!ops[i].res || !desc->dec_res(d, ops[i].res)))
			return;
		/* The table's bound, not the record size, limits what a client
		 * makes the server decode and keep (a CB_GETATTR answer is
		 * copied until done() ran). */
		if ((size_t)(d->p - body) > desc->res_max)
			return;
	}
	/* Results stop only at an error: a short list of good ones is
	 * malformed. */
	out->status = nres == nops ? (uint32_t)NFS4_OK : NFS4ERR_BADXDR;
}
