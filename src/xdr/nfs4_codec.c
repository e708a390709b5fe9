#include "xdr/nfs4_codec_stream.h"

NFS4_CODEC_PAIR(verifier, struct nfs4_verifier)

bool xdr_fattr_raw(struct xdr_stream *x, struct nfs4_fattr_raw *f, bool *extra)
{
	return xdr_bitmap(x, &f->mask, extra) && xdr_opaque(x, UINT32_MAX, &f->vals);
}

bool nfs4_enc_fattr_raw(struct xdr_enc *e, const struct nfs4_fattr_raw *f)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_fattr_raw(&x, (struct nfs4_fattr_raw *)f, NULL);
}

bool nfs4_dec_fattr_raw(struct xdr_dec *d, struct nfs4_fattr_raw *f, bool *extra)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_fattr_raw(&x, f, extra);
}

bool xdr_change_info(struct xdr_stream *x, struct nfs4_change_info *ci)
{
	return xdr_bool(x, &ci->atomic) && xdr_u64(x, &ci->before) && xdr_u64(x, &ci->after);
}

NFS4_CODEC_PAIR(change_info, struct nfs4_change_info)

NFS4_CODEC_TYPE(name_args, struct nfs4_name_args, a,
		xdr_component(x, &a->name))

NFS4_CODEC_TYPE(stateid_args, struct nfs4_stateid_args, a,
		xdr_stateid(x, &a->stateid))

NFS4_CODEC_TYPE(clientid_args, struct nfs4_clientid_args, a,
		xdr_u64(x, &a->clientid))

/* --- COMPOUND ------------------------------------------------------------------ */

/* The header fields in wire order, up to the count.  Encoders write the
 * count later (it is known only at the end), so they stop before it and
 * keep its offset; the decoders read it like any other field. */
XDR_HOT bool xdr_compound_args_hdr(struct xdr_stream *x, struct nfs4_opaque *tag,
				   uint32_t *minor, uint32_t *callback_ident)
{
	return xdr_opaque(x, UINT32_MAX, tag) && xdr_u32(x, minor) &&
	       (!callback_ident || xdr_u32(x, callback_ident));
}

bool nfs4_dec_compound_args_hdr(struct xdr_dec *d, struct nfs4_compound_args_hdr *h)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_compound_args_hdr(&x, &h->tag, &h->minor, NULL) && xdr_u32(&x, &h->numops);
}

/* COMPOUND4res up to the count, which the server patches at the end. */
XDR_HOT bool xdr_compound_res_hdr(struct xdr_stream *x, uint32_t *status, struct nfs4_opaque *tag)
{
	return xdr_u32(x, status) && xdr_opaque(x, UINT32_MAX, tag);
}

bool nfs4_dec_compound_res_hdr(struct xdr_dec *d, struct nfs4_compound_res_hdr *h)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_compound_res_hdr(&x, &h->status, &h->tag) && xdr_u32(&x, &h->numres);
}

static bool compound_count_begin(struct nfs4_compound_enc *c, struct xdr_enc *e)
{
	c->e = e;
	c->count = 0;
	c->count_off = xdr_enc_len(e);
	return xdr_encode_u32(e, 0);
}

bool nfs4_enc_compound_args_begin(struct nfs4_compound_enc *c, struct xdr_enc *e,
				  struct nfs4_opaque tag, uint32_t minor)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_compound_args_hdr(&x, &tag, &minor, NULL) && compound_count_begin(c, e);
}

bool nfs4_enc_op(struct nfs4_compound_enc *c, uint32_t opnum)
{
	c->count++;
	return xdr_encode_u32(c->e, opnum);
}

void nfs4_enc_compound_end(struct nfs4_compound_enc *c)
{
	if (!c->e->overflow)
		xdr_enc_patch_u32(c->e, c->count_off, c->count);
}

bool nfs4_enc_compound_res_begin(struct nfs4_compound_res_enc *r, struct xdr_enc *e,
				 struct nfs4_opaque tag)
{
	r->e = e;
	r->count = 0;
	r->status_off = xdr_enc_len(e);
	struct xdr_stream x = XDR_ENC_STREAM(e);
	uint32_t status = NFS4_OK;
	bool ok = xdr_compound_res_hdr(&x, &status, &tag);
	r->count_off = xdr_enc_len(e);
	return ok && xdr_encode_u32(e, 0);
}

size_t nfs4_enc_op_res(struct nfs4_compound_res_enc *r, uint32_t opnum, uint32_t status)
{
	r->count++;
	xdr_encode_u32(r->e, opnum);
	size_t off = xdr_enc_len(r->e);
	xdr_encode_u32(r->e, status);
	return off;
}

void nfs4_enc_op_res_patch(struct nfs4_compound_res_enc *r, size_t status_off, uint32_t status)
{
	if (status_off + 4 <= xdr_enc_len(r->e))
		xdr_enc_patch_u32(r->e, status_off, status);
}

void nfs4_enc_compound_res_finish(struct nfs4_compound_res_enc *r, uint32_t status)
{
	if (r->e->overflow)
		return;
	xdr_enc_patch_u32(r->e, r->status_off, status);
	xdr_enc_patch_u32(r->e, r->count_off, r->count);
}

/* --- CB_COMPOUND --------------------------------------------------------------- */

bool nfs4_enc_cb_compound_args_begin(struct nfs4_compound_enc *c, struct xdr_enc *e,
				     struct nfs4_opaque tag, uint32_t minor,
				     uint32_t callback_ident)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_compound_args_hdr(&x, &tag, &minor, &callback_ident) &&
	       compound_count_begin(c, e);
}

bool nfs4_dec_cb_compound_args_hdr(struct xdr_dec *d, struct nfs4_cb_compound_args_hdr *h)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_compound_args_hdr(&x, &h->tag, &h->minor, &h->callback_ident) &&
	       xdr_u32(&x, &h->numops);
}

/* --- names --------------------------------------------------------------------- */

static const char *const op_names[] = {
	[OP_ACCESS] = "OP_ACCESS",
	[OP_CLOSE] = "OP_CLOSE",
	[OP_COMMIT] = "OP_COMMIT",
	[OP_CREATE] = "OP_CREATE",
	[OP_DELEGPURGE] = "OP_DELEGPURGE",
	[OP_DELEGRETURN] = "OP_DELEGRETURN",
	[OP_GETATTR] = "OP_GETATTR",
	[OP_GETFH] = "OP_GETFH",
	[OP_LINK] = "OP_LINK",
	[OP_LOCK] = "OP_LOCK",
	[OP_LOCKT] = "OP_LOCKT",
	[OP_LOCKU] = "OP_LOCKU",
	[OP_LOOKUP] = "OP_LOOKUP",
	[OP_LOOKUPP] = "OP_LOOKUPP",
	[OP_NVERIFY] = "OP_NVERIFY",
	[OP_OPEN] = "OP_OPEN",
	[OP_OPENATTR] = "OP_OPENATTR",
	[OP_OPEN_CONFIRM] = "OP_OPEN_CONFIRM",
	[OP_OPEN_DOWNGRADE] = "OP_OPEN_DOWNGRADE",
	[OP_PUTFH] = "OP_PUTFH",
	[OP_PUTPUBFH] = "OP_PUTPUBFH",
	[OP_PUTROOTFH] = "OP_PUTROOTFH",
	[OP_READ] = "OP_READ",
	[OP_READDIR] = "OP_READDIR",
	[OP_READLINK] = "OP_READLINK",
	[OP_REMOVE] = "OP_REMOVE",
	[OP_RENAME] = "OP_RENAME",
	[OP_RENEW] = "OP_RENEW",
	[OP_RESTOREFH] = "OP_RESTOREFH",
	[OP_SAVEFH] = "OP_SAVEFH",
	[OP_SECINFO] = "OP_SECINFO",
	[OP_SETATTR] = "OP_SETATTR",
	[OP_SETCLIENTID] = "OP_SETCLIENTID",
	[OP_SETCLIENTID_CONFIRM] = "OP_SETCLIENTID_CONFIRM",
	[OP_VERIFY] = "OP_VERIFY",
	[OP_WRITE] = "OP_WRITE",
	[OP_RELEASE_LOCKOWNER] = "OP_RELEASE_LOCKOWNER",
	[OP_BACKCHANNEL_CTL] = "OP_BACKCHANNEL_CTL",
	[OP_BIND_CONN_TO_SESSION] = "OP_BIND_CONN_TO_SESSION",
	[OP_EXCHANGE_ID] = "OP_EXCHANGE_ID",
	[OP_CREATE_SESSION] = "OP_CREATE_SESSION",
	[OP_DESTROY_SESSION] = "OP_DESTROY_SESSION",
	[OP_FREE_STATEID] = "OP_FREE_STATEID",
	[OP_GET_DIR_DELEGATION] = "OP_GET_DIR_DELEGATION",
	[OP_GETDEVICEINFO] = "OP_GETDEVICEINFO",
	[OP_GETDEVICELIST] = "OP_GETDEVICELIST",
	[OP_LAYOUTCOMMIT] = "OP_LAYOUTCOMMIT",
	[OP_LAYOUTGET] = "OP_LAYOUTGET",
	[OP_LAYOUTRETURN] = "OP_LAYOUTRETURN",
	[OP_SECINFO_NO_NAME] = "OP_SECINFO_NO_NAME",
	[OP_SEQUENCE] = "OP_SEQUENCE",
	[OP_SET_SSV] = "OP_SET_SSV",
	[OP_TEST_STATEID] = "OP_TEST_STATEID",
	[OP_WANT_DELEGATION] = "OP_WANT_DELEGATION",
	[OP_DESTROY_CLIENTID] = "OP_DESTROY_CLIENTID",
	[OP_RECLAIM_COMPLETE] = "OP_RECLAIM_COMPLETE",
	[OP_ALLOCATE] = "OP_ALLOCATE",
	[OP_COPY] = "OP_COPY",
	[OP_COPY_NOTIFY] = "OP_COPY_NOTIFY",
	[OP_DEALLOCATE] = "OP_DEALLOCATE",
	[OP_IO_ADVISE] = "OP_IO_ADVISE",
	[OP_LAYOUTERROR] = "OP_LAYOUTERROR",
	[OP_LAYOUTSTATS] = "OP_LAYOUTSTATS",
	[OP_OFFLOAD_CANCEL] = "OP_OFFLOAD_CANCEL",
	[OP_OFFLOAD_STATUS] = "OP_OFFLOAD_STATUS",
	[OP_READ_PLUS] = "OP_READ_PLUS",
	[OP_SEEK] = "OP_SEEK",
	[OP_WRITE_SAME] = "OP_WRITE_SAME",
	[OP_CLONE] = "OP_CLONE",
	[OP_GETXATTR] = "OP_GETXATTR",
	[OP_SETXATTR] = "OP_SETXATTR",
	[OP_LISTXATTRS] = "OP_LISTXATTRS",
	[OP_REMOVEXATTR] = "OP_REMOVEXATTR",
};

static const char *const cb_op_names[] = {
	[OP_CB_GETATTR] = "OP_CB_GETATTR",
	[OP_CB_RECALL] = "OP_CB_RECALL",
	[OP_CB_LAYOUTRECALL] = "OP_CB_LAYOUTRECALL",
	[OP_CB_NOTIFY] = "OP_CB_NOTIFY",
	[OP_CB_PUSH_DELEG] = "OP_CB_PUSH_DELEG",
	[OP_CB_RECALL_ANY] = "OP_CB_RECALL_ANY",
	[OP_CB_RECALLABLE_OBJ_AVAIL] = "OP_CB_RECALLABLE_OBJ_AVAIL",
	[OP_CB_RECALL_SLOT] = "OP_CB_RECALL_SLOT",
	[OP_CB_SEQUENCE] = "OP_CB_SEQUENCE",
	[OP_CB_WANTS_CANCELLED] = "OP_CB_WANTS_CANCELLED",
	[OP_CB_NOTIFY_LOCK] = "OP_CB_NOTIFY_LOCK",
	[OP_CB_NOTIFY_DEVICEID] = "OP_CB_NOTIFY_DEVICEID",
	[OP_CB_OFFLOAD] = "OP_CB_OFFLOAD",
};

static const char *const status_names_low[] = {
	[NFS4_OK] = "NFS4_OK",
	[NFS4ERR_PERM] = "NFS4ERR_PERM",
	[NFS4ERR_NOENT] = "NFS4ERR_NOENT",
	[NFS4ERR_IO] = "NFS4ERR_IO",
	[NFS4ERR_NXIO] = "NFS4ERR_NXIO",
	[NFS4ERR_ACCESS] = "NFS4ERR_ACCESS",
	[NFS4ERR_EXIST] = "NFS4ERR_EXIST",
	[NFS4ERR_XDEV] = "NFS4ERR_XDEV",
	[NFS4ERR_NOTDIR] = "NFS4ERR_NOTDIR",
	[NFS4ERR_ISDIR] = "NFS4ERR_ISDIR",
	[NFS4ERR_INVAL] = "NFS4ERR_INVAL",
	[NFS4ERR_FBIG] = "NFS4ERR_FBIG",
	[NFS4ERR_NOSPC] = "NFS4ERR_NOSPC",
	[NFS4ERR_ROFS] = "NFS4ERR_ROFS",
	[NFS4ERR_MLINK] = "NFS4ERR_MLINK",
	[NFS4ERR_NAMETOOLONG] = "NFS4ERR_NAMETOOLONG",
	[NFS4ERR_NOTEMPTY] = "NFS4ERR_NOTEMPTY",
	[NFS4ERR_DQUOT] = "NFS4ERR_DQUOT",
	[NFS4ERR_STALE] = "NFS4ERR_STALE",
};

static const char *const status_names_high[] = {
	[NFS4ERR_BADHANDLE - NFS4ERR_BADHANDLE] = "NFS4ERR_BADHANDLE",
	[NFS4ERR_BAD_COOKIE - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_COOKIE",
	[NFS4ERR_NOTSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_NOTSUPP",
	[NFS4ERR_TOOSMALL - NFS4ERR_BADHANDLE] = "NFS4ERR_TOOSMALL",
	[NFS4ERR_SERVERFAULT - NFS4ERR_BADHANDLE] = "NFS4ERR_SERVERFAULT",
	[NFS4ERR_BADTYPE - NFS4ERR_BADHANDLE] = "NFS4ERR_BADTYPE",
	[NFS4ERR_DELAY - NFS4ERR_BADHANDLE] = "NFS4ERR_DELAY",
	[NFS4ERR_SAME - NFS4ERR_BADHANDLE] = "NFS4ERR_SAME",
	[NFS4ERR_DENIED - NFS4ERR_BADHANDLE] = "NFS4ERR_DENIED",
	[NFS4ERR_EXPIRED - NFS4ERR_BADHANDLE] = "NFS4ERR_EXPIRED",
	[NFS4ERR_LOCKED - NFS4ERR_BADHANDLE] = "NFS4ERR_LOCKED",
	[NFS4ERR_GRACE - NFS4ERR_BADHANDLE] = "NFS4ERR_GRACE",
	[NFS4ERR_FHEXPIRED - NFS4ERR_BADHANDLE] = "NFS4ERR_FHEXPIRED",
	[NFS4ERR_SHARE_DENIED - NFS4ERR_BADHANDLE] = "NFS4ERR_SHARE_DENIED",
	[NFS4ERR_WRONGSEC - NFS4ERR_BADHANDLE] = "NFS4ERR_WRONGSEC",
	[NFS4ERR_CLID_INUSE - NFS4ERR_BADHANDLE] = "NFS4ERR_CLID_INUSE",
	[NFS4ERR_RESOURCE - NFS4ERR_BADHANDLE] = "NFS4ERR_RESOURCE",
	[NFS4ERR_MOVED - NFS4ERR_BADHANDLE] = "NFS4ERR_MOVED",
	[NFS4ERR_NOFILEHANDLE - NFS4ERR_BADHANDLE] = "NFS4ERR_NOFILEHANDLE",
	[NFS4ERR_MINOR_VERS_MISMATCH - NFS4ERR_BADHANDLE] = "NFS4ERR_MINOR_VERS_MISMATCH",
	[NFS4ERR_STALE_CLIENTID - NFS4ERR_BADHANDLE] = "NFS4ERR_STALE_CLIENTID",
	[NFS4ERR_STALE_STATEID - NFS4ERR_BADHANDLE] = "NFS4ERR_STALE_STATEID",
	[NFS4ERR_OLD_STATEID - NFS4ERR_BADHANDLE] = "NFS4ERR_OLD_STATEID",
	[NFS4ERR_BAD_STATEID - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_STATEID",
	[NFS4ERR_BAD_SEQID - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_SEQID",
	[NFS4ERR_NOT_SAME - NFS4ERR_BADHANDLE] = "NFS4ERR_NOT_SAME",
	[NFS4ERR_LOCK_RANGE - NFS4ERR_BADHANDLE] = "NFS4ERR_LOCK_RANGE",
	[NFS4ERR_SYMLINK - NFS4ERR_BADHANDLE] = "NFS4ERR_SYMLINK",
	[NFS4ERR_RESTOREFH - NFS4ERR_BADHANDLE] = "NFS4ERR_RESTOREFH",
	[NFS4ERR_LEASE_MOVED - NFS4ERR_BADHANDLE] = "NFS4ERR_LEASE_MOVED",
	[NFS4ERR_ATTRNOTSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_ATTRNOTSUPP",
	[NFS4ERR_NO_GRACE - NFS4ERR_BADHANDLE] = "NFS4ERR_NO_GRACE",
	[NFS4ERR_RECLAIM_BAD - NFS4ERR_BADHANDLE] = "NFS4ERR_RECLAIM_BAD",
	[NFS4ERR_RECLAIM_CONFLICT - NFS4ERR_BADHANDLE] = "NFS4ERR_RECLAIM_CONFLICT",
	[NFS4ERR_BADXDR - NFS4ERR_BADHANDLE] = "NFS4ERR_BADXDR",
	[NFS4ERR_LOCKS_HELD - NFS4ERR_BADHANDLE] = "NFS4ERR_LOCKS_HELD",
	[NFS4ERR_OPENMODE - NFS4ERR_BADHANDLE] = "NFS4ERR_OPENMODE",
	[NFS4ERR_BADOWNER - NFS4ERR_BADHANDLE] = "NFS4ERR_BADOWNER",
	[NFS4ERR_BADCHAR - NFS4ERR_BADHANDLE] = "NFS4ERR_BADCHAR",
	[NFS4ERR_BADNAME - NFS4ERR_BADHANDLE] = "NFS4ERR_BADNAME",
	[NFS4ERR_BAD_RANGE - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_RANGE",
	[NFS4ERR_LOCK_NOTSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_LOCK_NOTSUPP",
	[NFS4ERR_OP_ILLEGAL - NFS4ERR_BADHANDLE] = "NFS4ERR_OP_ILLEGAL",
	[NFS4ERR_DEADLOCK - NFS4ERR_BADHANDLE] = "NFS4ERR_DEADLOCK",
	[NFS4ERR_FILE_OPEN - NFS4ERR_BADHANDLE] = "NFS4ERR_FILE_OPEN",
	[NFS4ERR_ADMIN_REVOKED - NFS4ERR_BADHANDLE] = "NFS4ERR_ADMIN_REVOKED",
	[NFS4ERR_CB_PATH_DOWN - NFS4ERR_BADHANDLE] = "NFS4ERR_CB_PATH_DOWN",
	[NFS4ERR_BADIOMODE - NFS4ERR_BADHANDLE] = "NFS4ERR_BADIOMODE",
	[NFS4ERR_BADLAYOUT - NFS4ERR_BADHANDLE] = "NFS4ERR_BADLAYOUT",
	[NFS4ERR_BAD_SESSION_DIGEST - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_SESSION_DIGEST",
	[NFS4ERR_BADSESSION - NFS4ERR_BADHANDLE] = "NFS4ERR_BADSESSION",
	[NFS4ERR_BADSLOT - NFS4ERR_BADHANDLE] = "NFS4ERR_BADSLOT",
	[NFS4ERR_COMPLETE_ALREADY - NFS4ERR_BADHANDLE] = "NFS4ERR_COMPLETE_ALREADY",
	[NFS4ERR_CONN_NOT_BOUND_TO_SESSION - NFS4ERR_BADHANDLE] = "NFS4ERR_CONN_NOT_BOUND_TO_SESSION",
	[NFS4ERR_DELEG_ALREADY_WANTED - NFS4ERR_BADHANDLE] = "NFS4ERR_DELEG_ALREADY_WANTED",
	[NFS4ERR_BACK_CHAN_BUSY - NFS4ERR_BADHANDLE] = "NFS4ERR_BACK_CHAN_BUSY",
	[NFS4ERR_LAYOUTTRYLATER - NFS4ERR_BADHANDLE] = "NFS4ERR_LAYOUTTRYLATER",
	[NFS4ERR_LAYOUTUNAVAILABLE - NFS4ERR_BADHANDLE] = "NFS4ERR_LAYOUTUNAVAILABLE",
	[NFS4ERR_NOMATCHING_LAYOUT - NFS4ERR_BADHANDLE] = "NFS4ERR_NOMATCHING_LAYOUT",
	[NFS4ERR_RECALLCONFLICT - NFS4ERR_BADHANDLE] = "NFS4ERR_RECALLCONFLICT",
	[NFS4ERR_UNKNOWN_LAYOUTTYPE - NFS4ERR_BADHANDLE] = "NFS4ERR_UNKNOWN_LAYOUTTYPE",
	[NFS4ERR_SEQ_MISORDERED - NFS4ERR_BADHANDLE] = "NFS4ERR_SEQ_MISORDERED",
	[NFS4ERR_SEQUENCE_POS - NFS4ERR_BADHANDLE] = "NFS4ERR_SEQUENCE_POS",
	[NFS4ERR_REQ_TOO_BIG - NFS4ERR_BADHANDLE] = "NFS4ERR_REQ_TOO_BIG",
	[NFS4ERR_REP_TOO_BIG - NFS4ERR_BADHANDLE] = "NFS4ERR_REP_TOO_BIG",
	[NFS4ERR_REP_TOO_BIG_TO_CACHE - NFS4ERR_BADHANDLE] = "NFS4ERR_REP_TOO_BIG_TO_CACHE",
	[NFS4ERR_RETRY_UNCACHED_REP - NFS4ERR_BADHANDLE] = "NFS4ERR_RETRY_UNCACHED_REP",
	[NFS4ERR_UNSAFE_COMPOUND - NFS4ERR_BADHANDLE] = "NFS4ERR_UNSAFE_COMPOUND",
	[NFS4ERR_TOO_MANY_OPS - NFS4ERR_BADHANDLE] = "NFS4ERR_TOO_MANY_OPS",
	[NFS4ERR_OP_NOT_IN_SESSION - NFS4ERR_BADHANDLE] = "NFS4ERR_OP_NOT_IN_SESSION",
	[NFS4ERR_HASH_ALG_UNSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_HASH_ALG_UNSUPP",
	[NFS4ERR_CLIENTID_BUSY - NFS4ERR_BADHANDLE] = "NFS4ERR_CLIENTID_BUSY",
	[NFS4ERR_PNFS_IO_HOLE - NFS4ERR_BADHANDLE] = "NFS4ERR_PNFS_IO_HOLE",
	[NFS4ERR_SEQ_FALSE_RETRY - NFS4ERR_BADHANDLE] = "NFS4ERR_SEQ_FALSE_RETRY",
	[NFS4ERR_BAD_HIGH_SLOT - NFS4ERR_BADHANDLE] = "NFS4ERR_BAD_HIGH_SLOT",
	[NFS4ERR_DEADSESSION - NFS4ERR_BADHANDLE] = "NFS4ERR_DEADSESSION",
	[NFS4ERR_ENCR_ALG_UNSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_ENCR_ALG_UNSUPP",
	[NFS4ERR_PNFS_NO_LAYOUT - NFS4ERR_BADHANDLE] = "NFS4ERR_PNFS_NO_LAYOUT",
	[NFS4ERR_NOT_ONLY_OP - NFS4ERR_BADHANDLE] = "NFS4ERR_NOT_ONLY_OP",
	[NFS4ERR_WRONG_CRED - NFS4ERR_BADHANDLE] = "NFS4ERR_WRONG_CRED",
	[NFS4ERR_WRONG_TYPE - NFS4ERR_BADHANDLE] = "NFS4ERR_WRONG_TYPE",
	[NFS4ERR_DIRDELEG_UNAVAIL - NFS4ERR_BADHANDLE] = "NFS4ERR_DIRDELEG_UNAVAIL",
	[NFS4ERR_REJECT_DELEG - NFS4ERR_BADHANDLE] = "NFS4ERR_REJECT_DELEG",
	[NFS4ERR_RETURNCONFLICT - NFS4ERR_BADHANDLE] = "NFS4ERR_RETURNCONFLICT",
	[NFS4ERR_DELEG_REVOKED - NFS4ERR_BADHANDLE] = "NFS4ERR_DELEG_REVOKED",
	[NFS4ERR_PARTNER_NOTSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_PARTNER_NOTSUPP",
	[NFS4ERR_PARTNER_NO_AUTH - NFS4ERR_BADHANDLE] = "NFS4ERR_PARTNER_NO_AUTH",
	[NFS4ERR_UNION_NOTSUPP - NFS4ERR_BADHANDLE] = "NFS4ERR_UNION_NOTSUPP",
	[NFS4ERR_OFFLOAD_DENIED - NFS4ERR_BADHANDLE] = "NFS4ERR_OFFLOAD_DENIED",
	[NFS4ERR_WRONG_LFS - NFS4ERR_BADHANDLE] = "NFS4ERR_WRONG_LFS",
	[NFS4ERR_BADLABEL - NFS4ERR_BADHANDLE] = "NFS4ERR_BADLABEL",
	[NFS4ERR_OFFLOAD_NO_REQS - NFS4ERR_BADHANDLE] = "NFS4ERR_OFFLOAD_NO_REQS",
	[NFS4ERR_NOXATTR - NFS4ERR_BADHANDLE] = "NFS4ERR_NOXATTR",
	[NFS4ERR_XATTR2BIG - NFS4ERR_BADHANDLE] = "NFS4ERR_XATTR2BIG",
};

#define NAME_IN(table, i) \
	((size_t)(i) < sizeof(table) / sizeof(table[0]) ? table[(size_t)(i)] : NULL)

const char *nfs4_status_name(uint32_t status)
{
	if (status >= NFS4ERR_BADHANDLE)
		return NAME_IN(status_names_high, status - NFS4ERR_BADHANDLE);
	return NAME_IN(status_names_low, status);
}

const char *nfs4_op_name(uint32_t opnum)
{
	return opnum == OP_ILLEGAL ? "OP_ILLEGAL" : NAME_IN(op_names, opnum);
}

const char *nfs4_cb_op_name(uint32_t opnum)
{
	return opnum == OP_CB_ILLEGAL ? "OP_CB_ILLEGAL" : NAME_IN(cb_op_names, opnum);
}
