/* Decoders for the NFSv4.1 results ferry-bench reads (RFC 8881 18.*).
 * Every read is bounds-checked by the xdr cursor; a false return means the
 * reply is malformed, which the bench treats as a protocol error. */
#include <stdio.h>
#include <string.h>

#include "cmd/bench/nfs41.h"

static bool dec_bitmap(struct xdr_dec *d, struct nfs41_bitmap *b)
{
	uint32_t n, w;
	if (!xdr_decode_u32(d, &n) || n > 64)
		return false;
	b->n = n < NFS41_BITMAP_MAX ? n : NFS41_BITMAP_MAX;
	for (uint32_t i = 0; i < n; i++) {
		if (!xdr_decode_u32(d, &w))
			return false;
		if (i < NFS41_BITMAP_MAX)
			b->w[i] = w;
	}
	return true;
}

static bool skip_opaque(struct xdr_dec *d, uint32_t max)
{
	const uint8_t *p;
	uint32_t n;
	return xdr_decode_opaque(d, max, &p, &n);
}

static bool dec_stateid(struct xdr_dec *d, struct nfs41_stateid *sid)
{
	const uint8_t *p;
	if (!xdr_decode_u32(d, &sid->seqid) || !xdr_decode_opaque_fixed(d, NFS4_OTHER_SIZE, &p))
		return false;
	memcpy(sid->other, p, NFS4_OTHER_SIZE);
	return true;
}

static bool skip_change_info(struct xdr_dec *d)
{
	bool atomic;
	uint64_t before, after;
	return xdr_decode_bool(d, &atomic) && xdr_decode_u64(d, &before) &&
	       xdr_decode_u64(d, &after);
}

static bool skip_nfsace(struct xdr_dec *d)
{
	uint32_t type, flag, mask;
	return xdr_decode_u32(d, &type) && xdr_decode_u32(d, &flag) &&
	       xdr_decode_u32(d, &mask) && skip_opaque(d, UINT32_MAX);
}

bool nfs41_dec_compound(struct xdr_dec *d, uint32_t *status, uint32_t *numres)
{
	return xdr_decode_u32(d, status) && skip_opaque(d, NFS4_OPAQUE_LIMIT) &&
	       xdr_decode_u32(d, numres);
}

bool nfs41_dec_op(struct xdr_dec *d, uint32_t *opnum, uint32_t *status)
{
	return xdr_decode_u32(d, opnum) && xdr_decode_u32(d, status);
}

bool nfs41_dec_sequence(struct xdr_dec *d, struct nfs41_sequence_res *r)
{
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(d, NFS4_SESSIONID_SIZE, &p))
		return false;
	memcpy(r->sessionid, p, NFS4_SESSIONID_SIZE);
	return xdr_decode_u32(d, &r->seqid) && xdr_decode_u32(d, &r->slotid) &&
	       xdr_decode_u32(d, &r->highest_slotid) &&
	       xdr_decode_u32(d, &r->target_highest_slotid) &&
	       xdr_decode_u32(d, &r->status_flags);
}

bool nfs41_dec_exchange_id(struct xdr_dec *d, struct nfs41_exchange_id_res *r)
{
	if (!xdr_decode_u64(d, &r->clientid) || !xdr_decode_u32(d, &r->sequenceid) ||
	    !xdr_decode_u32(d, &r->flags) || !xdr_decode_u32(d, &r->spr_how))
		return false;
	/* We asked for SP4_NONE; anything else the caller rejects, and its
	 * body is not decoded. */
	if (r->spr_how != SP4_NONE)
		return true;
	uint64_t minor_id;
	uint32_t nimpl;
	if (!xdr_decode_u64(d, &minor_id) || !skip_opaque(d, NFS4_OPAQUE_LIMIT) ||
	    !skip_opaque(d, NFS4_OPAQUE_LIMIT) || !xdr_decode_u32(d, &nimpl) || nimpl > 1)
		return false;
	if (nimpl) {
		uint64_t secs;
		uint32_t nsecs;
		if (!skip_opaque(d, UINT32_MAX) || !skip_opaque(d, UINT32_MAX) ||
		    !xdr_decode_u64(d, &secs) || !xdr_decode_u32(d, &nsecs))
			return false;
	}
	return true;
}

static bool dec_channel_attrs(struct xdr_dec *d, struct nfs41_channel_attrs *a)
{
	uint32_t nird, ird;
	if (!xdr_decode_u32(d, &a->headerpadsize) || !xdr_decode_u32(d, &a->maxrequestsize) ||
	    !xdr_decode_u32(d, &a->maxresponsesize) ||
	    !xdr_decode_u32(d, &a->maxresponsesize_cached) ||
	    !xdr_decode_u32(d, &a->maxoperations) || !xdr_decode_u32(d, &a->maxrequests) ||
	    !xdr_decode_u32(d, &nird) || nird > 1)
		return false;
	return nird == 0 || xdr_decode_u32(d, &ird);
}

bool nfs41_dec_create_session(struct xdr_dec *d, struct nfs41_create_session_res *r)
{
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(d, NFS4_SESSIONID_SIZE, &p))
		return false;
	memcpy(r->sessionid, p, NFS4_SESSIONID_SIZE);
	return xdr_decode_u32(d, &r->sequence) && xdr_decode_u32(d, &r->flags) &&
	       dec_channel_attrs(d, &r->fore) && dec_channel_attrs(d, &r->back);
}

bool nfs41_dec_getfh(struct xdr_dec *d, struct nfs41_fh *fh)
{
	const uint8_t *p;
	uint32_t n;
	if (!xdr_decode_opaque(d, NFS4_FHSIZE, &p, &n))
		return false;
	fh->len = n;
	memcpy(fh->data, p, n);
	return true;
}

bool nfs41_dec_fattr(struct xdr_dec *d, struct nfs41_bitmap *mask, const uint8_t **vals,
		     uint32_t *vals_len)
{
	return dec_bitmap(d, mask) && xdr_decode_opaque(d, UINT32_MAX, vals, vals_len);
}

bool nfs41_dec_open(struct xdr_dec *d, struct nfs41_stateid *sid, uint32_t *deleg_type)
{
	uint32_t rflags, why;
	struct nfs41_bitmap attrset;
	struct nfs41_stateid dsid;
	bool recall, flag;
	if (!dec_stateid(d, sid) || !skip_change_info(d) || !xdr_decode_u32(d, &rflags) ||
	    !dec_bitmap(d, &attrset) || !xdr_decode_u32(d, deleg_type))
		return false;
	switch (*deleg_type) {
	case OPEN_DELEGATE_NONE:
		return true;
	case OPEN_DELEGATE_READ:
		return dec_stateid(d, &dsid) && xdr_decode_bool(d, &recall) && skip_nfsace(d);
	case OPEN_DELEGATE_WRITE: {
		uint32_t limitby, a, b;
		uint64_t size;
		if (!dec_stateid(d, &dsid) || !xdr_decode_bool(d, &recall) ||
		    !xdr_decode_u32(d, &limitby))
			return false;
		if (limitby == NFS_LIMIT_SIZE) {
			if (!xdr_decode_u64(d, &size))
				return false;
		} else if (limitby == NFS_LIMIT_BLOCKS) {
			if (!xdr_decode_u32(d, &a) || !xdr_decode_u32(d, &b))
				return false;
		} else {
			return false;
		}
		return skip_nfsace(d);
	}
	case OPEN_DELEGATE_NONE_EXT:
		if (!xdr_decode_u32(d, &why))
			return false;
		if (why == WND4_CONTENTION || why == WND4_RESOURCE)
			return xdr_decode_bool(d, &flag);
		return true;
	default:
		return false;
	}
}

bool nfs41_dec_close(struct xdr_dec *d, struct nfs41_stateid *sid) { return dec_stateid(d, sid); }

bool nfs41_dec_write(struct xdr_dec *d, uint32_t *count, uint32_t *committed)
{
	const uint8_t *verf;
	return xdr_decode_u32(d, count) && xdr_decode_u32(d, committed) &&
	       xdr_decode_opaque_fixed(d, NFS4_VERIFIER_SIZE, &verf);
}

bool nfs41_dec_read(struct xdr_dec *d, bool *eof, uint32_t *count)
{
	const uint8_t *p;
	return xdr_decode_bool(d, eof) && xdr_decode_opaque(d, UINT32_MAX, &p, count);
}

bool nfs41_dec_commit(struct xdr_dec *d)
{
	const uint8_t *verf;
	return xdr_decode_opaque_fixed(d, NFS4_VERIFIER_SIZE, &verf);
}

bool nfs41_dec_remove(struct xdr_dec *d) { return skip_change_info(d); }

bool nfs41_dec_create(struct xdr_dec *d)
{
	struct nfs41_bitmap attrset;
	return skip_change_info(d) && dec_bitmap(d, &attrset);
}

bool nfs41_dec_readdir(struct xdr_dec *d, uint8_t verf[NFS4_VERIFIER_SIZE], uint32_t *entries,
		       uint64_t *last_cookie, bool *eof)
{
	const uint8_t *p;
	bool follows;
	if (!xdr_decode_opaque_fixed(d, NFS4_VERIFIER_SIZE, &p))
		return false;
	memcpy(verf, p, NFS4_VERIFIER_SIZE);
	*entries = 0;
	for (;;) {
		if (!xdr_decode_bool(d, &follows))
			return false;
		if (!follows)
			break;
		struct nfs41_bitmap mask;
		const uint8_t *vals;
		uint32_t vlen;
		if (!xdr_decode_u64(d, last_cookie) || !skip_opaque(d, NFS4_OPAQUE_LIMIT) ||
		    !nfs41_dec_fattr(d, &mask, &vals, &vlen))
			return false;
		(*entries)++;
	}
	return xdr_decode_bool(d, eof);
}

bool nfs41_dec_skip_resok(struct xdr_dec *d, uint32_t opnum)
{
	switch (opnum) {
	case OP_PUTFH:
	case OP_PUTROOTFH:
	case OP_LOOKUP:
	case OP_DESTROY_SESSION:
	case OP_DESTROY_CLIENTID:
	case OP_RECLAIM_COMPLETE:
	case OP_SAVEFH:
	case OP_RESTOREFH:
		return true;
	case OP_GETFH: {
		struct nfs41_fh fh;
		return nfs41_dec_getfh(d, &fh);
	}
	case OP_GETATTR: {
		struct nfs41_bitmap m;
		const uint8_t *v;
		uint32_t n;
		return nfs41_dec_fattr(d, &m, &v, &n);
	}
	case OP_OPEN: {
		struct nfs41_stateid sid;
		uint32_t dt;
		return nfs41_dec_open(d, &sid, &dt);
	}
	case OP_CLOSE: {
		struct nfs41_stateid sid;
		return nfs41_dec_close(d, &sid);
	}
	case OP_WRITE: {
		uint32_t c, s;
		return nfs41_dec_write(d, &c, &s);
	}
	case OP_READ: {
		bool eof;
		uint32_t c;
		return nfs41_dec_read(d, &eof, &c);
	}
	case OP_COMMIT:
		return nfs41_dec_commit(d);
	case OP_REMOVE:
		return nfs41_dec_remove(d);
	case OP_CREATE:
		return nfs41_dec_create(d);
	case OP_SEQUENCE: {
		struct nfs41_sequence_res r;
		return nfs41_dec_sequence(d, &r);
	}
	default:
		return false;
	}
}

struct name_entry {
	uint32_t v;
	const char *name;
};

static const struct name_entry status_names[] = {
	{NFS4_OK, "NFS4_OK"},
	{NFS4ERR_PERM, "NFS4ERR_PERM"},
	{NFS4ERR_NOENT, "NFS4ERR_NOENT"},
	{NFS4ERR_IO, "NFS4ERR_IO"},
	{NFS4ERR_NXIO, "NFS4ERR_NXIO"},
	{NFS4ERR_ACCESS, "NFS4ERR_ACCESS"},
	{NFS4ERR_EXIST, "NFS4ERR_EXIST"},
	{NFS4ERR_XDEV, "NFS4ERR_XDEV"},
	{NFS4ERR_NOTDIR, "NFS4ERR_NOTDIR"},
	{NFS4ERR_ISDIR, "NFS4ERR_ISDIR"},
	{NFS4ERR_INVAL, "NFS4ERR_INVAL"},
	{NFS4ERR_FBIG, "NFS4ERR_FBIG"},
	{NFS4ERR_NOSPC, "NFS4ERR_NOSPC"},
	{NFS4ERR_ROFS, "NFS4ERR_ROFS"},
	{NFS4ERR_NAMETOOLONG, "NFS4ERR_NAMETOOLONG"},
	{NFS4ERR_NOTEMPTY, "NFS4ERR_NOTEMPTY"},
	{NFS4ERR_DQUOT, "NFS4ERR_DQUOT"},
	{NFS4ERR_STALE, "NFS4ERR_STALE"},
	{NFS4ERR_BADHANDLE, "NFS4ERR_BADHANDLE"},
	{NFS4ERR_BAD_COOKIE, "NFS4ERR_BAD_COOKIE"},
	{NFS4ERR_NOTSUPP, "NFS4ERR_NOTSUPP"},
	{NFS4ERR_TOOSMALL, "NFS4ERR_TOOSMALL"},
	{NFS4ERR_SERVERFAULT, "NFS4ERR_SERVERFAULT"},
	{NFS4ERR_BADTYPE, "NFS4ERR_BADTYPE"},
	{NFS4ERR_DELAY, "NFS4ERR_DELAY"},
	{NFS4ERR_DENIED, "NFS4ERR_DENIED"},
	{NFS4ERR_EXPIRED, "NFS4ERR_EXPIRED"},
	{NFS4ERR_GRACE, "NFS4ERR_GRACE"},
	{NFS4ERR_FHEXPIRED, "NFS4ERR_FHEXPIRED"},
	{NFS4ERR_SHARE_DENIED, "NFS4ERR_SHARE_DENIED"},
	{NFS4ERR_WRONGSEC, "NFS4ERR_WRONGSEC"},
	{NFS4ERR_CLID_INUSE, "NFS4ERR_CLID_INUSE"},
	{NFS4ERR_RESOURCE, "NFS4ERR_RESOURCE"},
	{NFS4ERR_MOVED, "NFS4ERR_MOVED"},
	{NFS4ERR_NOFILEHANDLE, "NFS4ERR_NOFILEHANDLE"},
	{NFS4ERR_MINOR_VERS_MISMATCH, "NFS4ERR_MINOR_VERS_MISMATCH"},
	{NFS4ERR_STALE_CLIENTID, "NFS4ERR_STALE_CLIENTID"},
	{NFS4ERR_STALE_STATEID, "NFS4ERR_STALE_STATEID"},
	{NFS4ERR_OLD_STATEID, "NFS4ERR_OLD_STATEID"},
	{NFS4ERR_BAD_STATEID, "NFS4ERR_BAD_STATEID"},
	{NFS4ERR_BAD_SEQID, "NFS4ERR_BAD_SEQID"},
	{NFS4ERR_SYMLINK, "NFS4ERR_SYMLINK"},
	{NFS4ERR_ATTRNOTSUPP, "NFS4ERR_ATTRNOTSUPP"},
	{NFS4ERR_BADXDR, "NFS4ERR_BADXDR"},
	{NFS4ERR_OPENMODE, "NFS4ERR_OPENMODE"},
	{NFS4ERR_BADOWNER, "NFS4ERR_BADOWNER"},
	{NFS4ERR_BADCHAR, "NFS4ERR_BADCHAR"},
	{NFS4ERR_BADNAME, "NFS4ERR_BADNAME"},
	{NFS4ERR_OP_ILLEGAL, "NFS4ERR_OP_ILLEGAL"},
	{NFS4ERR_FILE_OPEN, "NFS4ERR_FILE_OPEN"},
	{NFS4ERR_ADMIN_REVOKED, "NFS4ERR_ADMIN_REVOKED"},
	{NFS4ERR_BADSESSION, "NFS4ERR_BADSESSION"},
	{NFS4ERR_BADSLOT, "NFS4ERR_BADSLOT"},
	{NFS4ERR_COMPLETE_ALREADY, "NFS4ERR_COMPLETE_ALREADY"},
	{NFS4ERR_CONN_NOT_BOUND_TO_SESSION, "NFS4ERR_CONN_NOT_BOUND_TO_SESSION"},
	{NFS4ERR_SEQ_MISORDERED, "NFS4ERR_SEQ_MISORDERED"},
	{NFS4ERR_SEQUENCE_POS, "NFS4ERR_SEQUENCE_POS"},
	{NFS4ERR_REQ_TOO_BIG, "NFS4ERR_REQ_TOO_BIG"},
	{NFS4ERR_REP_TOO_BIG, "NFS4ERR_REP_TOO_BIG"},
	{NFS4ERR_REP_TOO_BIG_TO_CACHE, "NFS4ERR_REP_TOO_BIG_TO_CACHE"},
	{NFS4ERR_RETRY_UNCACHED_REP, "NFS4ERR_RETRY_UNCACHED_REP"},
	{NFS4ERR_TOO_MANY_OPS, "NFS4ERR_TOO_MANY_OPS"},
	{NFS4ERR_OP_NOT_IN_SESSION, "NFS4ERR_OP_NOT_IN_SESSION"},
	{NFS4ERR_CLIENTID_BUSY, "NFS4ERR_CLIENTID_BUSY"},
	{NFS4ERR_SEQ_FALSE_RETRY, "NFS4ERR_SEQ_FALSE_RETRY"},
	{NFS4ERR_BAD_HIGH_SLOT, "NFS4ERR_BAD_HIGH_SLOT"},
	{NFS4ERR_DEADSESSION, "NFS4ERR_DEADSESSION"},
	{NFS4ERR_NOT_ONLY_OP, "NFS4ERR_NOT_ONLY_OP"},
	{NFS4ERR_WRONG_CRED, "NFS4ERR_WRONG_CRED"},
	{NFS4ERR_WRONG_TYPE, "NFS4ERR_WRONG_TYPE"},
};

const char *nfs41_status_name(uint32_t status)
{
	static char other[32];
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].v == status)
			return status_names[i].name;
	snprintf(other, sizeof(other), "NFS4ERR_%u", status);
	return other;
}

static const struct name_entry op_names[] = {
	{OP_CLOSE, "CLOSE"},
	{OP_COMMIT, "COMMIT"},
	{OP_CREATE, "CREATE"},
	{OP_GETATTR, "GETATTR"},
	{OP_GETFH, "GETFH"},
	{OP_LOOKUP, "LOOKUP"},
	{OP_OPEN, "OPEN"},
	{OP_PUTFH, "PUTFH"},
	{OP_PUTROOTFH, "PUTROOTFH"},
	{OP_READ, "READ"},
	{OP_READDIR, "READDIR"},
	{OP_REMOVE, "REMOVE"},
	{OP_WRITE, "WRITE"},
	{OP_EXCHANGE_ID, "EXCHANGE_ID"},
	{OP_CREATE_SESSION, "CREATE_SESSION"},
	{OP_DESTROY_SESSION, "DESTROY_SESSION"},
	{OP_SEQUENCE, "SEQUENCE"},
	{OP_DESTROY_CLIENTID, "DESTROY_CLIENTID"},
	{OP_RECLAIM_COMPLETE, "RECLAIM_COMPLETE"},
	{OP_ILLEGAL, "ILLEGAL"},
};

const char *nfs41_op_name(uint32_t opnum)
{
	static char other[32];
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].v == opnum)
			return op_names[i].name;
	snprintf(other, sizeof(other), "OP_%u", opnum);
	return other;
}
