/* Stateid checks for READ, WRITE, SETATTR(size), COPY and the other NFSv4.2
 * data operations: the state module decides, for the file a filehandle
 * names. */
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/state.h"

enum nfsstat4 nfs4_check_io_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				    bool write, uint64_t offset, uint64_t length)
{
	return nfs4_check_io_stateid_fh(c, &c->cfh, sid, write, offset, length);
}

enum nfsstat4 nfs4_check_io_stateid_fh(struct nfs4_compound *c, const struct fh *fh,
				       const struct nfs4_stateid *sid, bool write,
				       uint64_t offset, uint64_t length)
{
	if (fh->kind != FH_EXPORT)
		return NFS4ERR_BAD_STATEID; /* the pseudo-fs has no state */
	struct state_file_key key = {.export_id = fh->export->id, .bh = fh->bh};
	return state_check_io(c->srv->state, c->minor >= 1 ? c->clientid : 0, sid, &key, write,
			      offset, length, c->minor);
}
