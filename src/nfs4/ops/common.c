#include <string.h>

#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"

enum nfsstat4 nfs4_need_export_object(struct nfs4_compound *c, bool for_write)
{
	if (c->cfh.kind != FH_EXPORT)
		return for_write ? NFS4ERR_ROFS : NFS4ERR_INVAL;
	if (for_write && export_read_only(c->cfh.export, rpc_conn_peer_addr(c->req->conn)))
		return NFS4ERR_ROFS;
	return NFS4_OK;
}

enum nfsstat4 nfs4_name_from_wire(struct nfs4_opaque wire, char name[BACKEND_NAME_MAX + 1])
{
	enum nfsstat4 st = nfs4_check_component(wire.data, wire.len, BACKEND_NAME_MAX);
	if (st != NFS4_OK)
		return st;
	memcpy(name, wire.data, wire.len);
	name[wire.len] = '\0';
	return NFS4_OK;
}

enum nfsstat4 nfs4_need_dir(struct nfs4_compound *c, struct backend_attr *attr)
{
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, attr);
	return st != NFS4_OK ? st : nfs4_type_error(attr->type, BACKEND_DIR);
}

enum nfsstat4 nfs4_need_dir_name(struct nfs4_compound *c, struct nfs4_opaque wire,
				 char name[BACKEND_NAME_MAX + 1], struct backend_attr *dattr)
{
	struct backend_attr unused;
	enum nfsstat4 name_st = nfs4_name_from_wire(wire, name);
	enum nfsstat4 st = nfs4_need_dir(c, dattr ? dattr : &unused);
	return st != NFS4_OK ? st : name_st;
}

struct nfs4_change_info nfs4_dir_change_info(uint64_t before, uint64_t after)
{
	/* Not atomic: another change may fall between the two readings. */
	return (struct nfs4_change_info){.atomic = false, .before = before, .after = after};
}
