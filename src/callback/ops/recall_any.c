/* CB_RECALL_ANY (RFC 8881 20.6): keep at most so many delegations (struct
 * nfs4_cb_recall_any_args); void result. */
#include "callback/callback.h"

CB_OP_ENCODER(recall_any)

const struct cb_op cb_op_recall_any = {
	.opnum = OP_CB_RECALL_ANY,
	.name = "recall_any",
	.encode = cb_enc_recall_any,
};
