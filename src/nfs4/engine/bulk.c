#include "nfs4/engine/bulk.h"

#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_session.h"
#include "xdr/nfs4_prot.h"

/* The Linux client sends SEQUENCE, PUTFH, WRITE (v4.0: PUTFH, WRITE); a few
 * operations ahead of the WRITE is all a real client puts there. */
enum { BULK_MAX_OPS_BEFORE = 4 };

/* Skips one operation before the WRITE; false for any the finder does not
 * know or that is malformed. */
static bool skip_op(struct xdr_dec *d, uint32_t opnum)
{
	switch (opnum) {
	case OP_SEQUENCE: {
		struct nfs4_sequence_args a;
		return nfs4_dec_sequence_args(d, &a);
	}
	case OP_PUTFH: {
		struct nfs4_putfh_args a;
		return nfs4_dec_putfh_args(d, &a);
	}
	case OP_PUTROOTFH:
		return true;
	default:
		return false;
	}
}

bool nfs4_bulk_find_write(const uint8_t *args, size_t have, size_t args_len, size_t *data_off,
			  size_t *data_len)
{
	if (have > args_len)
		have = args_len;
	struct xdr_dec d;
	xdr_dec_init(&d, args, have);
	struct nfs4_compound_args_hdr h;
	if (!nfs4_dec_compound_args_hdr(&d, &h))
		return false;
	for (uint32_t i = 0; i < h.numops && i <= BULK_MAX_OPS_BEFORE; i++) {
		uint32_t opnum;
		if (!nfs4_dec_op(&d, &opnum))
			return false;
		if (opnum != OP_WRITE) {
			if (!skip_op(&d, opnum))
				return false;
			continue;
		}
		struct nfs4_write_args w;
		if (!nfs4_dec_write_args_hdr(&d, &w))
			return false;
		size_t off = (size_t)(d.p - args);
		if (w.data.len < NFS4_BULK_WRITE_MIN || w.data.len > args_len - off)
			return false;
		*data_off = off;
		*data_len = w.data.len;
		return true;
	}
	return false;
}

bool nfs4_bulk_find(void *ctx, uint32_t vers, uint32_t proc, const uint8_t *args, size_t have,
		    size_t args_len, size_t *bulk_off, size_t *bulk_len)
{
	(void)ctx;
	if (vers != NFS4_VERSION || proc != NFSPROC4_COMPOUND)
		return false;
	return nfs4_bulk_find_write(args, have, args_len, bulk_off, bulk_len);
}
