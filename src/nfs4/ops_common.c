#include <string.h>

#include "nfs4/fattr.h"
#include "nfs4/ops.h"

enum nfsstat4 nfs4_need_export_object(struct nfs4_compound *c, bool for_write)
{
	if (c->cfh.kind != NFS4_FH_EXPORT)
		return for_write ? NFS4ERR_ROFS : NFS4ERR_INVAL;
	if (for_write && c->cfh.export->read_only)
		return NFS4ERR_ROFS;
	return NFS4_OK;
}

enum nfsstat4 nfs4_decode_name(struct xdr_dec *d, char name[BACKEND_NAME_MAX + 1])
{
	const uint8_t *s;
	uint32_t len;
	if (!xdr_decode_opaque(d, UINT32_MAX, &s, &len))
		return NFS4ERR_BADXDR;
	enum nfsstat4 st = nfs4_check_component(s, len, BACKEND_NAME_MAX);
	if (st != NFS4_OK)
		return st;
	memcpy(name, s, len);
	name[len] = '\0';
	return NFS4_OK;
}

enum nfsstat4 nfs4_need_dir(struct nfs4_compound *c, struct backend_attr *attr)
{
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, attr);
	if (st != NFS4_OK)
		return st;
	if (attr->type == BACKEND_LNK)
		return NFS4ERR_SYMLINK;
	if (attr->type != BACKEND_DIR)
		return NFS4ERR_NOTDIR;
	return NFS4_OK;
}

bool nfs4_encode_change_info(struct xdr_enc *e, uint64_t before, uint64_t after)
{
	/* Not atomic: another change may fall between the two readings. */
	return xdr_encode_bool(e, false) && xdr_encode_u64(e, before) && xdr_encode_u64(e, after);
}
