#include "nfs4/engine/program.h"

#include "nfs4/engine/bulk.h"
#include "nfs4/engine/compound.h"
#include "nfs4/server.h"
#include "state/clients/session.h"
#include "xdr/nfs4_prot.h"

static struct rpc_dispatch_result nfs4_dispatch(struct rpc_request *req, void *ctx)
{
	switch (req->hdr.proc) {
	case NFSPROC4_NULL:
		return rpc_dispatch_done(RPC_SUCCESS);
	case NFSPROC4_COMPOUND:
		return nfs4_compound(ctx, req);
	default:
		return rpc_dispatch_done(RPC_PROC_UNAVAIL);
	}
}

/* A closed connection leaves every session it was bound to. */
static void nfs4_conn_closed(struct rpc_conn *conn, void *ctx)
{
	struct nfs4_server *srv = ctx;
	if (srv->state)
		state_conn_closed(srv->state, conn);
}

void nfs4_program_describe(struct rpc_program *prog, struct nfs4_server *srv)
{
	*prog = rpc_program_single(NFS4_PROGRAM, NFS4_VERSION, nfs4_dispatch, srv);
	prog->conn_closed = nfs4_conn_closed;
	prog->find_bulk = nfs4_bulk_find;
}
