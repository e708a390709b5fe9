/* CB_RECALL (RFC 8881 20.2): give back a delegation (struct
 * nfs4_cb_recall_args); void result. */
#include "callback/callback.h"

static bool enc(struct xdr_enc *e, const void *args)
{
	return nfs4_enc_cb_recall_args(e, args);
}

const struct cb_op cb_op_recall = {
	.opnum = OP_CB_RECALL,
	.name = "recall",
	.encode = enc,
};
