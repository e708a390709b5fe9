/* Callbacks to v4.0 clients: a connection dialled out to the address the
 * client gave in SETCLIENTID, CB_COMPOUND with minor version 0 and the
 * client's callback_ident, no CB_SEQUENCE. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nfs4/callback_internal.h"
#include "nfs4/server.h"

bool nfs4_cb_dial_allowed(struct nfs4_server *srv, const struct state_callback *cb)
{
	(void)srv;
	(void)cb;
	return false; /* dialling out comes next */
}

void cb_send40(struct nfs4_cb_engine *eng, struct cb_item *it)
{
	cb_item_outcome(eng, it, CB_OUT_FAILED, NULL, 0);
}
