/* CB_RECALL (RFC 8881 20.2): give back a delegation (struct
 * nfs4_cb_recall_args); void result. */
#include "callback/callback.h"

CB_OP_ENCODER(recall)

const struct cb_op cb_op_recall = {
	.opnum = OP_CB_RECALL,
	.name = "recall",
	.encode = cb_enc_recall,
};
