/* CB_OFFLOAD (RFC 7862 15.9): how an asynchronous COPY ended (struct
 * nfs4_cb_offload_args); void result.  Minor version 2 only: a Linux
 * client refuses it as illegal in a minor version 1 CB_COMPOUND. */
#include "callback/callback.h"

CB_OP_ENCODER(offload)

const struct cb_op cb_op_offload = {
	.opnum = OP_CB_OFFLOAD,
	.name = "offload",
	.minor_min = 2,
	.encode = cb_enc_offload,
};
