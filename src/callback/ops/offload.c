/* CB_OFFLOAD (RFC 7862 15.9): how an asynchronous COPY ended (struct
 * nfs4_cb_offload_args); void result.  Minor version 2 only: a Linux
 * client refuses it as illegal in a minor version 1 CB_COMPOUND. */
#include "callback/callback.h"

static bool enc(struct xdr_enc *e, const void *args)
{
	return nfs4_enc_cb_offload_args(e, args);
}

const struct cb_op cb_op_offload = {
	.opnum = OP_CB_OFFLOAD,
	.name = "offload",
	.minor_min = 2,
	.encode = enc,
};
