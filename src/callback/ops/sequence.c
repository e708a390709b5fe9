/* CB_SEQUENCE (RFC 8881 20.9): first in every v4.1 CB_COMPOUND, never
 * queued alone (a probe is a CB_COMPOUND of it only); not a row of
 * list.h. */
#include "callback/callback.h"

_Static_assert(sizeof(struct nfs4_cb_sequence_res) <= CB_RES_MAX_SIZE,
	       "CB_SEQUENCE's result fits the engine's room for one");

CB_OP_ENCODER(sequence)
CB_OP_DECODER(sequence)

const struct cb_op cb_op_sequence = {
	.opnum = OP_CB_SEQUENCE,
	.name = "sequence",
	.res_max = NFS4_SESSIONID_SIZE + 4 * 4,
	.encode = cb_enc_sequence,
	.decode = cb_dec_sequence,
};
