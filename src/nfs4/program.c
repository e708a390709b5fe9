#include "nfs4/program.h"

#include "nfs4/compound.h"
#include "xdr/nfs4_prot.h"

static enum rpc_accept_stat nfs4_dispatch(struct rpc_request *req, void *ctx)
{
	switch (req->hdr.proc) {
	case NFSPROC4_NULL:
		return RPC_SUCCESS;
	case NFSPROC4_COMPOUND:
		return nfs4_compound(ctx, req);
	default:
		return RPC_PROC_UNAVAIL;
	}
}

void nfs4_program_describe(struct rpc_program *prog, struct nfs4_server *srv)
{
	*prog = (struct rpc_program){
		.prog = NFS4_PROGRAM,
		.vers_low = NFS4_VERSION,
		.vers_high = NFS4_VERSION,
		.dispatch = nfs4_dispatch,
		.may_block = NULL,
		.ctx = srv,
	};
}
