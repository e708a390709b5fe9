/* CB_NOTIFY_LOCK (RFC 8881 20.11): a blocked lock may be free now (struct
 * nfs4_cb_notify_lock_args); void result. */
#include "callback/callback.h"

CB_OP_ENCODER(notify_lock)

const struct cb_op cb_op_notify_lock = {
	.opnum = OP_CB_NOTIFY_LOCK,
	.name = "notify_lock",
	.encode = cb_enc_notify_lock,
};
