/* The operations of ops/list.h as one table, and CB_COMPOUND: building
 * one (CB_SEQUENCE first for v4.1) and checking its reply against the
 * call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callback/callback_internal.h"

/* --- the operations ------------------------------------------------------------------ */

#define CB_OP_ROW(name) &cb_op_##name,
static const struct cb_op *const cb_ops[] = {CB_OPS_LIST(CB_OP_ROW)};
#undef CB_OP_ROW
enum { CB_NOPS = sizeof(cb_ops) / sizeof(cb_ops[0]) };

const struct cb_op *cb_op_find(uint32_t opnum)
{
	if (opnum == OP_CB_SEQUENCE)
		return &cb_op_sequence;
	for (unsigned i = 0; i < CB_NOPS; i++)
		if (cb_ops[i]->opnum == opnum)
			return cb_ops[i];
	return NULL;
}

unsigned cb_op_kind(const struct cb_op *op)
{
	for (unsigned i = 0; i < CB_NOPS; i++)
		if (cb_ops[i] == op)
			return 1 + i;
	return 0;
}

const char *cb_kind_name(unsigned kind)
{
	if (kind == CB_KIND_PROBE)
		return "probe";
	return kind < CB_KINDS ? cb_ops[kind - 1]->name : "unknown";
}

/* --- CB_COMPOUND --------------------------------------------------------------------- */

bool cb_compound_encode(struct xdr_enc *e, uint32_t callback_ident, uint32_t minor,
			const struct nfs4_cb_sequence_args *seq, const struct cb_compound_op *ops,
			uint32_t nops)
{
	struct nfs4_compound_enc ce;
	uint32_t cb_minor = seq ? (minor ? minor : 1) : 0;
	/* An operation of a later minor version raises it (CB_OFFLOAD: 2). */
	for (uint32_t i = 0; seq && i < nops; i++) {
		const struct cb_op *desc = cb_op_find(ops[i].opnum);
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
		const struct cb_op *desc = cb_op_find(ops[i].opnum);
		if (!desc || desc->opnum == OP_CB_SEQUENCE)
			return false;
		if (!nfs4_enc_op(&ce, desc->opnum) || !desc->encode(e, ops[i].args))
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

void cb_compound_decode_reply(struct xdr_dec *d, const struct nfs4_cb_sequence_args *seq,
			      struct cb_compound_op *ops, uint32_t nops,
			      struct cb_compound_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->status = NFS4ERR_BADXDR;
	for (uint32_t i = 0; i < nops; i++) {
		ops[i].status = NFS4ERR_SERVERFAULT; /* no result came back */
		ops[i].body = NULL;
		ops[i].body_len = 0;
	}
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
		const struct cb_op *desc = cb_op_find(ops[i].opnum);
		if (!desc || !nfs4_dec_op_res(d, &opnum, &status) || opnum != ops[i].opnum)
			return;
		ops[i].status = status;
		if (status != NFS4_OK) {
			/* Results stop at the first failing operation. */
			out->status = i + 1 == nres ? status : NFS4ERR_BADXDR;
			return;
		}
		const uint8_t *body = d->p;
		if (desc->decode && (!ops[i].res || !desc->decode(d, ops[i].res)))
			return;
		/* The table's bound, not the record size, limits what a client
		 * makes the server decode and keep (a CB_GETATTR answer is
		 * copied until done() ran). */
		if ((size_t)(d->p - body) > desc->res_max)
			return;
		if (desc->decode) {
			ops[i].body = body;
			ops[i].body_len = (uint32_t)(d->p - body);
		}
	}
	/* Results stop only at an error: a short list of good ones is
	 * malformed. */
	out->status = nres == nops ? (uint32_t)NFS4_OK : NFS4ERR_BADXDR;
}
