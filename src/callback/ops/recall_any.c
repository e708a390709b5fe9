/* CB_RECALL_ANY (RFC 8881 20.6): keep at most so many delegations (struct
 * nfs4_cb_recall_any_args); void result. */
#include "callback/callback.h"

static bool enc(struct xdr_enc *e, const void *args)
{
	return nfs4_enc_cb_recall_any_args(e, args);
}

const struct cb_op cb_op_recall_any = {
	.opnum = OP_CB_RECALL_ANY,
	.name = "recall_any",
	.encode = enc,
};
