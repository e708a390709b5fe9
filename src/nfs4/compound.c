#include "nfs4/compound.h"

#include "xdr/nfs4_prot.h"

/* Highest operation number each minor version defines. */
static uint32_t last_op_of_minor(uint32_t minor)
{
	switch (minor) {
	case 0:
		return OP_RELEASE_LOCKOWNER;
	case 1:
		return OP_RECLAIM_COMPLETE;
	default:
		return OP_REMOVEXATTR;
	}
}

enum rpc_accept_stat nfs4_compound(struct rpc_request *req)
{
	struct xdr_dec *d = &req->args;
	const uint8_t *tag;
	uint32_t taglen, minor, numops;

	/* The tag is only bounded by the record; it is echoed as sent. */
	if (!xdr_decode_opaque(d, UINT32_MAX, &tag, &taglen) || !xdr_decode_u32(d, &minor) ||
	    !xdr_decode_u32(d, &numops))
		return RPC_GARBAGE_ARGS;

	struct xdr_enc *e = &req->reply;
	size_t status_off = xdr_enc_len(e);
	xdr_encode_u32(e, NFS4_OK);
	xdr_encode_opaque(e, tag, taglen);
	size_t count_off = xdr_enc_len(e);
	xdr_encode_u32(e, 0);

	if (minor > NFS4_MINOR_VERSION_MAX) {
		xdr_enc_patch_u32(e, status_off, NFS4ERR_MINOR_VERS_MISMATCH);
		return RPC_SUCCESS;
	}
	if (numops == 0)
		return RPC_SUCCESS;

	/* No operation is served yet: the first one ends the COMPOUND, as
	 * unsupported if it exists in this minor version, illegal if not. */
	uint32_t op;
	if (!xdr_decode_u32(d, &op))
		return RPC_GARBAGE_ARGS;
	uint32_t status = NFS4ERR_NOTSUPP;
	if (op < OP_ACCESS || op > last_op_of_minor(minor)) {
		op = OP_ILLEGAL;
		status = NFS4ERR_OP_ILLEGAL;
	}
	xdr_encode_u32(e, op);
	xdr_encode_u32(e, status);
	xdr_enc_patch_u32(e, count_off, 1);
	xdr_enc_patch_u32(e, status_off, status);
	return RPC_SUCCESS;
}
