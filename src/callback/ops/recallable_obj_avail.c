/* CB_RECALLABLE_OBJ_AVAIL (RFC 8881 20.7): the client may ask for a
 * directory delegation again (struct nfs4_cb_recallable_obj_avail_args);
 * void result. */
#include "callback/callback.h"

CB_OP_ENCODER(recallable_obj_avail)

const struct cb_op cb_op_recallable_obj_avail = {
	.opnum = OP_CB_RECALLABLE_OBJ_AVAIL,
	.name = "recallable_obj_avail",
	.encode = cb_enc_recallable_obj_avail,
};
