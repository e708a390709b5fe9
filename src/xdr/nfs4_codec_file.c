#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_stream.h"

/* --- file handles and lookups --------------------------------------------------- */

XDR_HOT bool xdr_putfh_args(struct xdr_stream *x, struct nfs4_putfh_args *a)
{
	return xdr_fh(x, &a->fh);
}

NFS4_CODEC_PAIR(putfh_args, struct nfs4_putfh_args)

NFS4_CODEC_TYPE(openattr_args, struct nfs4_openattr_args, a,
		xdr_bool(x, &a->createdir))

/* --- attributes ---------------------------------------------------------------------- */

XDR_HOT bool xdr_getattr_args(struct xdr_stream *x, struct nfs4_getattr_args *a)
{
	return xdr_bitmap(x, &a->mask, &a->mask_extra);
}

NFS4_CODEC_PAIR(getattr_args, struct nfs4_getattr_args)

XDR_HOT bool xdr_getattr_res(struct xdr_stream *x, struct nfs4_getattr_res *r)
{
	return xdr_fattr_raw(x, &r->attrs);
}

NFS4_CODEC_PAIR(getattr_res, struct nfs4_getattr_res)

NFS4_CODEC_TYPE(setattr_args, struct nfs4_setattr_args, a,
		xdr_stateid(x, &a->stateid) && xdr_fattr_raw(x, &a->attrs))

NFS4_CODEC_TYPE(setattr_res, struct nfs4_setattr_res, r,
		xdr_bitmap(x, &r->attrsset, &r->mask_extra))

NFS4_CODEC_TYPE(access_args, struct nfs4_access_args, a,
		xdr_u32(x, &a->access))

NFS4_CODEC_TYPE(access_res, struct nfs4_access_res, r,
		xdr_u32(x, &r->supported) && xdr_u32(x, &r->access))

/* --- READDIR -------------------------------------------------------------------------- */

NFS4_CODEC_TYPE(readdir_args, struct nfs4_readdir_args, a,
		xdr_u64(x, &a->cookie) && xdr_verifier(x, &a->cookieverf) &&
		xdr_u32(x, &a->dircount) && xdr_u32(x, &a->maxcount) &&
		xdr_bitmap(x, &a->attr_request, &a->mask_extra))

/* The end of the list and eof, which every reply still has to carry. */
enum { READDIR_TAIL = 8 };

/* entry4 up to its attributes, after the list's "one more" bool.  The
 * encoder writes the attributes itself (the caller may build them in
 * place), so only decoding goes on to them (xdr_dirent). */
static bool xdr_dirent_head(struct xdr_stream *x, uint64_t *cookie, struct nfs4_opaque *name)
{
	return xdr_u64(x, cookie) && xdr_component(x, name);
}

static bool xdr_dirent(struct xdr_stream *x, struct nfs4_dirent *ent)
{
	return xdr_dirent_head(x, &ent->cookie, &ent->name) &&
	       xdr_fattr_raw(x, &ent->attrs);
}

bool nfs4_enc_readdir_begin(struct nfs4_readdir_enc *r, struct xdr_enc *e,
			    const struct nfs4_verifier *cookieverf, uint32_t dircount,
			    uint32_t maxcount)
{
	*r = (struct nfs4_readdir_enc){
		.e = e,
		.start = xdr_enc_len(e),
		.maxcount = maxcount,
		.dircount = dircount,
	};
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_verifier(&x, (struct nfs4_verifier *)cookieverf);
}

bool nfs4_enc_readdir_entry_begin(struct nfs4_readdir_enc *r, uint64_t cookie,
				  struct nfs4_opaque name)
{
	/* dircount counts the cookie and name as READDIR4args says; the
	 * first entry always goes in so a small dircount still makes progress. */
	uint32_t entry_dirbytes = (uint32_t)(8 + 4 + xdr_pad4(name.len));
	if (r->e->overflow ||
	    (r->count > 0 && r->dircount && (uint64_t)r->dirbytes + entry_dirbytes > r->dircount))
		return false;
	r->entry_mark = xdr_enc_len(r->e);
	r->entry_dirbytes = entry_dirbytes;
	struct xdr_stream x = XDR_ENC_STREAM(r->e);
	bool more = true;
	/* A write past the limit is found by entry_end, which cancels it. */
	(void)(xdr_bool(&x, &more) && xdr_dirent_head(&x, &cookie, &name));
	return true;
}

bool nfs4_enc_readdir_entry_end(struct nfs4_readdir_enc *r)
{
	struct xdr_enc *e = r->e;
	if (e->overflow || xdr_enc_len(e) - r->start + READDIR_TAIL > r->maxcount) {
		nfs4_enc_readdir_entry_cancel(r);
		return false;
	}
	r->dirbytes += r->entry_dirbytes;
	r->count++;
	return true;
}

void nfs4_enc_readdir_entry_cancel(struct nfs4_readdir_enc *r)
{
	r->e->overflow = false;
	r->e->buf->len = r->entry_mark;
}

const uint8_t *nfs4_enc_readdir_entry_bytes(const struct nfs4_readdir_enc *r, size_t *len)
{
	*len = xdr_enc_len(r->e) - r->entry_mark;
	return r->e->buf->data + r->entry_mark;
}

bool nfs4_enc_readdir_entry_copy(struct nfs4_readdir_enc *r, const void *bytes, size_t len,
				 size_t namelen)
{
	uint32_t entry_dirbytes = (uint32_t)(8 + 4 + xdr_pad4(namelen));
	if (r->e->overflow ||
	    (r->count > 0 && r->dircount && (uint64_t)r->dirbytes + entry_dirbytes > r->dircount))
		return false;
	r->entry_mark = xdr_enc_len(r->e);
	r->entry_dirbytes = entry_dirbytes;
	uint8_t *p = xdr_enc_reserve(r->e, len);
	if (p)
		memcpy(p, bytes, len);
	return nfs4_enc_readdir_entry_end(r);
}

bool nfs4_enc_readdir_entry(struct nfs4_readdir_enc *r, uint64_t cookie, struct nfs4_opaque name,
			    const struct nfs4_fattr_raw *attrs)
{
	if (!nfs4_enc_readdir_entry_begin(r, cookie, name))
		return false;
	nfs4_enc_fattr_raw(r->e, attrs);
	return nfs4_enc_readdir_entry_end(r);
}

bool nfs4_enc_readdir_finish(struct nfs4_readdir_enc *r, bool eof)
{
	return xdr_encode_bool(r->e, false) && xdr_encode_bool(r->e, eof) &&
	       xdr_enc_len(r->e) - r->start <= r->maxcount;
}

bool nfs4_dec_readdir_res(struct xdr_dec *d, struct nfs4_readdir_res *r)
{
	if (!nfs4_dec_verifier(d, &r->cookieverf))
		return false;
	r->entries = *d;
	r->count = 0;
	r->last_cookie = 0;
	for (;;) {
		bool more;
		if (!xdr_decode_bool(d, &more))
			return false;
		if (!more)
			break;
		struct nfs4_dirent ent;
		struct xdr_stream x = XDR_DEC_STREAM(d);
		if (!xdr_dirent(&x, &ent) || r->count == UINT32_MAX)
			return false;
		r->count++;
		r->last_cookie = ent.cookie;
	}
	r->entries.end = d->p;
	return xdr_decode_bool(d, &r->eof);
}

bool nfs4_readdir_res_next(struct nfs4_readdir_res *r, struct nfs4_dirent *ent)
{
	bool more = false;
	struct xdr_stream x = XDR_DEC_STREAM(&r->entries);
	return xdr_bool(&x, &more) && more && xdr_dirent(&x, ent);
}

/* --- namespace changes ---------------------------------------------------------------- */

static bool xdr_create_args(struct xdr_stream *x, struct nfs4_create_args *a)
{
	/* The arms not on the wire read as zero after a decode. */
	if (xdr_is_dec(x)) {
		a->linkdata = (struct nfs4_opaque){0};
		a->devdata = (struct nfs4_specdata){0};
	}
	if (!xdr_u32(x, &a->type))
		return false;
	switch (a->type) {
	case NF4LNK:
		if (!xdr_opaque(x, UINT32_MAX, &a->linkdata))
			return false;
		break;
	case NF4BLK:
	case NF4CHR:
		if (!xdr_u32(x, &a->devdata.major) || !xdr_u32(x, &a->devdata.minor))
			return false;
		break;
	default:
		/* Other types carry no arm; which ones CREATE accepts is the
		 * handler's call (NFS4ERR_BADTYPE), not a decoding error. */
		break;
	}
	return xdr_component(x, &a->name) && xdr_fattr_raw(x, &a->attrs);
}

NFS4_CODEC_PAIR(create_args, struct nfs4_create_args)

NFS4_CODEC_TYPE(create_res, struct nfs4_create_res, r,
		xdr_change_info(x, &r->cinfo) && xdr_bitmap(x, &r->attrset, &r->mask_extra))

NFS4_CODEC_TYPE(cinfo_res, struct nfs4_cinfo_res, r,
		xdr_change_info(x, &r->cinfo))

NFS4_CODEC_TYPE(rename_args, struct nfs4_rename_args, a,
		xdr_component(x, &a->oldname) && xdr_component(x, &a->newname))

NFS4_CODEC_TYPE(rename_res, struct nfs4_rename_res, r,
		xdr_change_info(x, &r->source_cinfo) && xdr_change_info(x, &r->target_cinfo))

NFS4_CODEC_TYPE(readlink_res, struct nfs4_readlink_res, r,
		xdr_opaque(x, UINT32_MAX, &r->link))

/* --- I/O ------------------------------------------------------------------------------ */

/* READ and WRITE open with stateid, offset and a u32: one bounds check. */
XDR_HOT bool xdr_io_head(struct xdr_stream *x, struct nfs4_stateid *stateid, uint64_t *offset,
			 uint32_t *word)
{
	uint8_t *p = xdr_span(x, 4 + NFS4_OTHER_SIZE + 8 + 4);
	if (!p)
		return false;
	xdr_span_u32(x, &p, &stateid->seqid);
	xdr_span_fixed(x, &p, NFS4_OTHER_SIZE, stateid->other);
	xdr_span_u64(x, &p, offset);
	xdr_span_u32(x, &p, word);
	return true;
}

XDR_HOT bool xdr_read_args(struct xdr_stream *x, struct nfs4_read_args *a)
{
	return xdr_io_head(x, &a->stateid, &a->offset, &a->count);
}

NFS4_CODEC_PAIR(read_args, struct nfs4_read_args)

NFS4_CODEC_TYPE(read_res, struct nfs4_read_res, r,
		xdr_bool(x, &r->eof) && xdr_opaque(x, UINT32_MAX, &r->data))

/* The data is the caller's to append (it may come from a file): encoding
 * stops at the reserved room, decoding has it in place. */
uint8_t *nfs4_enc_read_res_reserve(struct xdr_enc *e, uint32_t count, size_t *off)
{
	*off = xdr_enc_len(e);
	uint8_t *p = xdr_enc_reserve(e, 8 + xdr_pad4(count));
	return p ? p + 8 : NULL;
}

void nfs4_enc_read_res_finish(struct xdr_enc *e, size_t off, bool eof, uint32_t got)
{
	uint8_t *p = e->buf->data + off;
	xdr_put_be32(p, eof ? 1 : 0);
	xdr_put_be32(p + 4, got);
	memset(p + 8 + got, 0, xdr_pad4(got) - got);
	e->buf->len = off + 8 + xdr_pad4(got);
}

/* stable_how4 past FILE_SYNC4 is refused by decoding only (the tests build
 * such requests to see them refused). */
XDR_HOT bool xdr_write_head(struct xdr_stream *x, struct nfs4_write_args *a)
{
	return xdr_io_head(x, &a->stateid, &a->offset, &a->stable) &&
	       xdr_dec_check(x, a->stable <= FILE_SYNC4);
}

XDR_HOT bool xdr_write_args(struct xdr_stream *x, struct nfs4_write_args *a)
{
	return xdr_write_head(x, a) && xdr_opaque(x, UINT32_MAX, &a->data);
}

NFS4_CODEC_PAIR(write_args, struct nfs4_write_args)

bool nfs4_enc_write_args_hdr(struct xdr_enc *e, const struct nfs4_write_args *a)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_write_head(&x, (struct nfs4_write_args *)a) && xdr_encode_u32(e, a->data.len);
}

bool nfs4_dec_write_args_hdr(struct xdr_dec *d, struct nfs4_write_args *a)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	a->data.data = NULL;
	return xdr_write_head(&x, a) && xdr_decode_u32(d, &a->data.len);
}

NFS4_CODEC_TYPE(write_res, struct nfs4_write_res, r,
		xdr_u32(x, &r->count) && xdr_u32(x, &r->committed) &&
		xdr_dec_check(x, r->committed <= FILE_SYNC4) && xdr_verifier(x, &r->writeverf))

NFS4_CODEC_TYPE(commit_args, struct nfs4_commit_args, a,
		xdr_u64(x, &a->offset) && xdr_u32(x, &a->count))

NFS4_CODEC_TYPE(commit_res, struct nfs4_commit_res, r,
		xdr_verifier(x, &r->writeverf))

