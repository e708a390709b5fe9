/* A COMPOUND's wait for the committer (durable.h). */
#include "nfs4/engine/durable.h"

#include <stdlib.h>

#include "nfs4/engine/compound.h"
#include "nfs4/server.h"

void nfs4_durable_wait_free(struct nfs4_durable_wait *w)
{
	if (!w)
		return;
	export_durable_wait_clear(&w->w);
	free(w);
}

void nfs4_durable_note(struct nfs4_compound *c, struct export *ex,
		       const struct backend_handle *h, unsigned what)
{
	if (!export_durable_needed(ex))
		return;
	struct nfs4_durable_wait *w = c->durable;
	if (!w && (w = calloc(1, sizeof(*w))) != NULL) {
		w->first_op = c->op_index;
		w->first_opnum = c->opnum;
		w->first_status_off = c->op_status_off;
		c->durable = w;
	}
	if (w)
		export_durable_add(&w->w, ex, h, what);
	else
		export_durable_sync_now(ex, h, what); /* no memory to wait with the others */
}

void nfs4_durable_wait_start(struct nfs4_server *srv, struct nfs4_durable_wait *w,
			     struct rpc_park *park)
{
	export_durable_wait_start(srv->durable, &w->w, park);
}
