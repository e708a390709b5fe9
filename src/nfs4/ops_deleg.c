/* Delegation operations, while Ferry grants no delegation: DELEGRETURN has
 * nothing to return, DELEGPURGE serves only CLAIM_DELEGATE_PREV, which Ferry
 * does not support. */
#include "nfs4/ops.h"

NFS4_SERVE(delegreturn)
{
	(void)c, (void)a, (void)res;
	/* No stateid this server issued is a delegation stateid. */
	return NFS4ERR_BAD_STATEID;
}

NFS4_SERVE(delegpurge)
{
	(void)c, (void)a, (void)res;
	return NFS4ERR_NOTSUPP;
}
