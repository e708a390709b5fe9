/* CB_GETATTR (RFC 8881 20.1): a write delegation holder's size and change
 * (struct nfs4_cb_getattr_args; result struct nfs4_cb_getattr_res). */
#include "callback/callback.h"

_Static_assert(sizeof(struct nfs4_cb_getattr_res) <= CB_RES_MAX_SIZE,
	       "CB_GETATTR's result fits the engine's room for one");

enum {
	/* CB_GETATTR asks for size and change (and the like): a bitmap and
	 * a few fixed-size values, well under this. */
	CB_GETATTR_RES = 4 + 4 * NFS4_BITMAP_WORDS + 4 + 256,
};

CB_OP_ENCODER(getattr)
CB_OP_DECODER(getattr)

const struct cb_op cb_op_getattr = {
	.opnum = OP_CB_GETATTR,
	.name = "getattr",
	.res_max = CB_GETATTR_RES,
	.encode = cb_enc_getattr,
	.decode = cb_dec_getattr,
};
