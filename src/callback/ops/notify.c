/* CB_NOTIFY (RFC 8881 20.4): changes of a delegated directory (struct
 * nfs4_cb_notify_args); void result.  Its batches are cut, when they are
 * noted, to what the back channel's ca_maxrequestsize leaves after the
 * CB_COMPOUND around them (state/deleg/state_dirdeleg.c, nfs4/deleg/dir_grant.c);
 * the v4.1 encoder is limited to ca_maxrequestsize too (send41.c). */
#include "callback/callback.h"

CB_OP_ENCODER(notify)

const struct cb_op cb_op_notify = {
	.opnum = OP_CB_NOTIFY,
	.name = "notify",
	.encode = cb_enc_notify,
};
