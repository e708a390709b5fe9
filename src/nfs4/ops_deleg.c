/* Delegation operations, while Ferry grants no delegation: DELEGRETURN has
 * nothing to return, DELEGPURGE serves only CLAIM_DELEGATE_PREV, which Ferry
 * does not support. */
#include "nfs4/ops.h"

NFS4_OP(delegreturn)
{
	struct nfs4_stateid sid;
	if (!nfs4_decode_stateid(args, &sid))
		return NFS4ERR_BADXDR;
	/* No stateid this server issued is a delegation stateid. */
	return NFS4ERR_BAD_STATEID;
}

NFS4_OP(delegpurge)
{
	uint64_t clientid;
	if (!xdr_decode_u64(args, &clientid))
		return NFS4ERR_BADXDR;
	return NFS4ERR_NOTSUPP;
}
