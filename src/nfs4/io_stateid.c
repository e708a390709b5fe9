/* Stateid checks for READ, WRITE and SETATTR(size): the state module
 * decides, for the file the current filehandle names. */
#include "nfs4/ops.h"
#include "nfs4/ops_state.h"
#include "nfs4/server.h"
#include "state/state.h"

enum nfsstat4 nfs4_check_io_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				    bool write, uint64_t offset, uint64_t length)
{
	struct state_file_key key;
	if (!nfs4_state_cfh_key(c, &key))
		return NFS4ERR_BAD_STATEID;
	return state_check_io(c->srv->state, c->minor >= 1 ? c->clientid : 0, sid, &key, write,
			      offset, length, c->minor);
}
