/* Data: READ, WRITE, COMMIT. */
#include <string.h>

#include "nfs4/fattr.h"
#include "nfs4/ops.h"
#include "nfs4/server.h"


/* READ and WRITE work on regular files only. */
static enum nfsstat4 need_regular(struct nfs4_compound *c)
{
	if (c->cfh.kind != NFS4_FH_EXPORT)
		return NFS4ERR_ISDIR; /* every pseudo-fs object is a directory */
	struct backend_attr attr;
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (st != NFS4_OK)
		return st;
	if (attr.type == BACKEND_DIR)
		return NFS4ERR_ISDIR;
	if (attr.type == BACKEND_LNK)
		return NFS4ERR_SYMLINK;
	if (attr.type != BACKEND_REG)
		return NFS4ERR_INVAL;
	return NFS4_OK;
}

NFS4_OP(read)
{
	struct nfs4_stateid sid;
	uint64_t offset;
	uint32_t count;
	if (!nfs4_decode_stateid(args, &sid) || !xdr_decode_u64(args, &offset) ||
	    !xdr_decode_u32(args, &count))
		return NFS4ERR_BADXDR;
	enum nfsstat4 st = need_regular(c);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_check_io_stateid(c, &sid, false, offset, count)) != NFS4_OK)
		return st;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	/* No file reaches past the largest offset the host can address. */
	if (offset >= (uint64_t)INT64_MAX - count) {
		xdr_encode_bool(res, true);
		xdr_encode_opaque(res, NULL, 0);
		return NFS4_OK;
	}
	/* Read straight into the reply: eof, length, then the bytes. */
	size_t eof_off = xdr_enc_len(res);
	uint8_t *p = xdr_enc_reserve(res, 8 + xdr_pad4(count));
	if (!p)
		return NFS4ERR_RESOURCE;
	size_t got = 0;
	bool eof = false;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->read(ex->bex, &c->cred, &c->cfh.bh, offset, count, p + 8, &got, &eof);
	if (rc)
		return nfs4_errno_to_status(rc);
	xdr_put_be32(p, eof ? 1 : 0);
	xdr_put_be32(p + 4, (uint32_t)got);
	memset(p + 8 + got, 0, xdr_pad4(got) - got);
	res->buf->len = eof_off + 8 + xdr_pad4(got);
	return NFS4_OK;
}

NFS4_OP(write)
{
	struct nfs4_stateid sid;
	uint64_t offset;
	uint32_t stable, len;
	const uint8_t *data;
	if (!nfs4_decode_stateid(args, &sid) || !xdr_decode_u64(args, &offset) ||
	    !xdr_decode_u32(args, &stable) || !xdr_decode_opaque(args, UINT32_MAX, &data, &len))
		return NFS4ERR_BADXDR;
	if (stable > FILE_SYNC4)
		return NFS4ERR_BADXDR;
	enum nfsstat4 st = need_regular(c);
	if (st != NFS4_OK)
		return st;
	if (offset + len < offset || offset + len > (1ull << 63) - 1)
		return NFS4ERR_FBIG;
	if ((st = nfs4_check_io_stateid(c, &sid, true, offset, len)) != NFS4_OK)
		return st;
	size_t written = 0;
	enum backend_stable committed = BACKEND_UNSTABLE;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->write(ex->bex, &c->cred, &c->cfh.bh, offset, data, len,
				(enum backend_stable)stable, &written, &committed);
	if (rc)
		return nfs4_errno_to_status(rc);
	xdr_encode_u32(res, (uint32_t)written);
	xdr_encode_u32(res, (uint32_t)committed);
	xdr_encode_opaque_fixed(res, c->srv->write_verifier, 8);
	return NFS4_OK;
}

NFS4_OP(commit)
{
	uint64_t offset;
	uint32_t count;
	if (!xdr_decode_u64(args, &offset) || !xdr_decode_u32(args, &count))
		return NFS4ERR_BADXDR;
	enum nfsstat4 st = need_regular(c);
	if (st == NFS4ERR_SYMLINK)
		st = NFS4ERR_INVAL;
	if (st != NFS4_OK)
		return st;
	if (offset + count < offset)
		return NFS4ERR_INVAL;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->commit(ex->bex, &c->cfh.bh, offset, count);
	if (rc)
		return nfs4_errno_to_status(rc);
	xdr_encode_opaque_fixed(res, c->srv->write_verifier, 8);
	return NFS4_OK;
}
