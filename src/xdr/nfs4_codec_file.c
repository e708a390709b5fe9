#include "xdr/nfs4_codec_file.h"

/* --- file handles and lookups --------------------------------------------------- */

bool nfs4_enc_putfh_args(struct xdr_enc *e, const struct nfs4_putfh_args *a)
{
	return nfs4_enc_opaque(e, a->fh);
}

bool nfs4_dec_putfh_args(struct xdr_dec *d, struct nfs4_putfh_args *a)
{
	return nfs4_dec_fh(d, &a->fh);
}

bool nfs4_enc_getfh_res(struct xdr_enc *e, const struct nfs4_getfh_res *r)
{
	return nfs4_enc_opaque(e, r->fh);
}

bool nfs4_dec_getfh_res(struct xdr_dec *d, struct nfs4_getfh_res *r)
{
	return nfs4_dec_fh(d, &r->fh);
}

bool nfs4_enc_lookup_args(struct xdr_enc *e, const struct nfs4_lookup_args *a)
{
	return nfs4_enc_opaque(e, a->name);
}

bool nfs4_dec_lookup_args(struct xdr_dec *d, struct nfs4_lookup_args *a)
{
	return nfs4_dec_component(d, &a->name);
}

bool nfs4_enc_secinfo_args(struct xdr_enc *e, const struct nfs4_secinfo_args *a)
{
	return nfs4_enc_opaque(e, a->name);
}

bool nfs4_dec_secinfo_args(struct xdr_dec *d, struct nfs4_secinfo_args *a)
{
	return nfs4_dec_component(d, &a->name);
}

bool nfs4_enc_openattr_args(struct xdr_enc *e, const struct nfs4_openattr_args *a)
{
	return xdr_encode_bool(e, a->createdir);
}

bool nfs4_dec_openattr_args(struct xdr_dec *d, struct nfs4_openattr_args *a)
{
	return xdr_decode_bool(d, &a->createdir);
}

/* --- attributes ---------------------------------------------------------------------- */

bool nfs4_enc_getattr_args(struct xdr_enc *e, const struct nfs4_getattr_args *a)
{
	return nfs4_encode_bitmap(e, &a->mask);
}

bool nfs4_dec_getattr_args(struct xdr_dec *d, struct nfs4_getattr_args *a)
{
	return nfs4_decode_bitmap(d, &a->mask, &a->mask_extra);
}

bool nfs4_enc_getattr_res(struct xdr_enc *e, const struct nfs4_getattr_res *r)
{
	return nfs4_enc_fattr_raw(e, &r->attrs);
}

bool nfs4_dec_getattr_res(struct xdr_dec *d, struct nfs4_getattr_res *r)
{
	return nfs4_dec_fattr_raw(d, &r->attrs, &r->mask_extra);
}

bool nfs4_enc_setattr_args(struct xdr_enc *e, const struct nfs4_setattr_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && nfs4_enc_fattr_raw(e, &a->attrs);
}

bool nfs4_dec_setattr_args(struct xdr_dec *d, struct nfs4_setattr_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) &&
	       nfs4_dec_fattr_raw(d, &a->attrs, &a->mask_extra);
}

bool nfs4_enc_setattr_res(struct xdr_enc *e, const struct nfs4_setattr_res *r)
{
	return nfs4_encode_bitmap(e, &r->attrsset);
}

bool nfs4_dec_setattr_res(struct xdr_dec *d, struct nfs4_setattr_res *r)
{
	return nfs4_decode_bitmap(d, &r->attrsset, &r->mask_extra);
}

bool nfs4_enc_verify_args(struct xdr_enc *e, const struct nfs4_verify_args *a)
{
	return nfs4_enc_fattr_raw(e, &a->attrs);
}

bool nfs4_dec_verify_args(struct xdr_dec *d, struct nfs4_verify_args *a)
{
	return nfs4_dec_fattr_raw(d, &a->attrs, &a->mask_extra);
}

bool nfs4_enc_access_args(struct xdr_enc *e, const struct nfs4_access_args *a)
{
	return xdr_encode_u32(e, a->access);
}

bool nfs4_dec_access_args(struct xdr_dec *d, struct nfs4_access_args *a)
{
	return xdr_decode_u32(d, &a->access);
}

bool nfs4_enc_access_res(struct xdr_enc *e, const struct nfs4_access_res *r)
{
	return xdr_encode_u32(e, r->supported) && xdr_encode_u32(e, r->access);
}

bool nfs4_dec_access_res(struct xdr_dec *d, struct nfs4_access_res *r)
{
	return xdr_decode_u32(d, &r->supported) && xdr_decode_u32(d, &r->access);
}

/* --- READDIR -------------------------------------------------------------------------- */

bool nfs4_enc_readdir_args(struct xdr_enc *e, const struct nfs4_readdir_args *a)
{
	return xdr_encode_u64(e, a->cookie) && nfs4_enc_verifier(e, &a->cookieverf) &&
	       xdr_encode_u32(e, a->dircount) && xdr_encode_u32(e, a->maxcount) &&
	       nfs4_encode_bitmap(e, &a->attr_request);
}

bool nfs4_dec_readdir_args(struct xdr_dec *d, struct nfs4_readdir_args *a)
{
	return xdr_decode_u64(d, &a->cookie) && nfs4_dec_verifier(d, &a->cookieverf) &&
	       xdr_decode_u32(d, &a->dircount) && xdr_decode_u32(d, &a->maxcount) &&
	       nfs4_decode_bitmap(d, &a->attr_request, &a->mask_extra);
}

/* The end of the list and eof, which every reply still has to carry. */
enum { READDIR_TAIL = 8 };

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
	return nfs4_enc_verifier(e, cookieverf);
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
	xdr_encode_bool(r->e, true);
	xdr_encode_u64(r->e, cookie);
	nfs4_enc_opaque(r->e, name);
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

static bool dec_dirent(struct xdr_dec *d, struct nfs4_dirent *ent)
{
	return xdr_decode_u64(d, &ent->cookie) && nfs4_dec_component(d, &ent->name) &&
	       nfs4_dec_fattr_raw(d, &ent->attrs, &ent->mask_extra);
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
		if (!dec_dirent(d, &ent) || r->count == UINT32_MAX)
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
	return xdr_decode_bool(&r->entries, &more) && more && dec_dirent(&r->entries, ent);
}

/* --- namespace changes ---------------------------------------------------------------- */

bool nfs4_enc_create_args(struct xdr_enc *e, const struct nfs4_create_args *a)
{
	if (!xdr_encode_u32(e, a->type))
		return false;
	switch (a->type) {
	case NF4LNK:
		if (!nfs4_enc_opaque(e, a->linkdata))
			return false;
		break;
	case NF4BLK:
	case NF4CHR:
		if (!xdr_encode_u32(e, a->devdata.major) || !xdr_encode_u32(e, a->devdata.minor))
			return false;
		break;
	default:
		break;
	}
	return nfs4_enc_opaque(e, a->name) && nfs4_enc_fattr_raw(e, &a->attrs);
}

bool nfs4_dec_create_args(struct xdr_dec *d, struct nfs4_create_args *a)
{
	a->linkdata = (struct nfs4_opaque){0};
	a->devdata = (struct nfs4_specdata){0};
	if (!xdr_decode_u32(d, &a->type))
		return false;
	switch (a->type) {
	case NF4LNK:
		if (!nfs4_dec_opaque(d, UINT32_MAX, &a->linkdata))
			return false;
		break;
	case NF4BLK:
	case NF4CHR:
		if (!xdr_decode_u32(d, &a->devdata.major) || !xdr_decode_u32(d, &a->devdata.minor))
			return false;
		break;
	default:
		/* Other types carry no arm; which ones CREATE accepts is the
		 * handler's call (NFS4ERR_BADTYPE), not a decoding error. */
		break;
	}
	return nfs4_dec_component(d, &a->name) && nfs4_dec_fattr_raw(d, &a->attrs, &a->mask_extra);
}

bool nfs4_enc_create_res(struct xdr_enc *e, const struct nfs4_create_res *r)
{
	return nfs4_enc_change_info(e, &r->cinfo) && nfs4_encode_bitmap(e, &r->attrset);
}

bool nfs4_dec_create_res(struct xdr_dec *d, struct nfs4_create_res *r)
{
	return nfs4_dec_change_info(d, &r->cinfo) &&
	       nfs4_decode_bitmap(d, &r->attrset, &r->mask_extra);
}

bool nfs4_enc_remove_args(struct xdr_enc *e, const struct nfs4_remove_args *a)
{
	return nfs4_enc_opaque(e, a->name);
}

bool nfs4_dec_remove_args(struct xdr_dec *d, struct nfs4_remove_args *a)
{
	return nfs4_dec_component(d, &a->name);
}

bool nfs4_enc_cinfo_res(struct xdr_enc *e, const struct nfs4_cinfo_res *r)
{
	return nfs4_enc_change_info(e, &r->cinfo);
}

bool nfs4_dec_cinfo_res(struct xdr_dec *d, struct nfs4_cinfo_res *r)
{
	return nfs4_dec_change_info(d, &r->cinfo);
}

bool nfs4_enc_rename_args(struct xdr_enc *e, const struct nfs4_rename_args *a)
{
	return nfs4_enc_opaque(e, a->oldname) && nfs4_enc_opaque(e, a->newname);
}

bool nfs4_dec_rename_args(struct xdr_dec *d, struct nfs4_rename_args *a)
{
	return nfs4_dec_component(d, &a->oldname) && nfs4_dec_component(d, &a->newname);
}

bool nfs4_enc_rename_res(struct xdr_enc *e, const struct nfs4_rename_res *r)
{
	return nfs4_enc_change_info(e, &r->source_cinfo) &&
	       nfs4_enc_change_info(e, &r->target_cinfo);
}

bool nfs4_dec_rename_res(struct xdr_dec *d, struct nfs4_rename_res *r)
{
	return nfs4_dec_change_info(d, &r->source_cinfo) &&
	       nfs4_dec_change_info(d, &r->target_cinfo);
}

bool nfs4_enc_link_args(struct xdr_enc *e, const struct nfs4_link_args *a)
{
	return nfs4_enc_opaque(e, a->newname);
}

bool nfs4_dec_link_args(struct xdr_dec *d, struct nfs4_link_args *a)
{
	return nfs4_dec_component(d, &a->newname);
}

bool nfs4_enc_readlink_res(struct xdr_enc *e, const struct nfs4_readlink_res *r)
{
	return nfs4_enc_opaque(e, r->link);
}

bool nfs4_dec_readlink_res(struct xdr_dec *d, struct nfs4_readlink_res *r)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &r->link);
}

/* --- I/O ------------------------------------------------------------------------------ */

bool nfs4_enc_read_args(struct xdr_enc *e, const struct nfs4_read_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u32(e, a->count);
}

bool nfs4_dec_read_args(struct xdr_dec *d, struct nfs4_read_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u32(d, &a->count);
}

bool nfs4_enc_read_res(struct xdr_enc *e, const struct nfs4_read_res *r)
{
	return xdr_encode_bool(e, r->eof) && nfs4_enc_opaque(e, r->data);
}

bool nfs4_dec_read_res(struct xdr_dec *d, struct nfs4_read_res *r)
{
	return xdr_decode_bool(d, &r->eof) && nfs4_dec_opaque(d, UINT32_MAX, &r->data);
}

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

bool nfs4_enc_write_args_hdr(struct xdr_enc *e, const struct nfs4_write_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u32(e, a->stable) && xdr_encode_u32(e, a->data.len);
}

bool nfs4_enc_write_args(struct xdr_enc *e, const struct nfs4_write_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u32(e, a->stable) && nfs4_enc_opaque(e, a->data);
}

bool nfs4_dec_write_args(struct xdr_dec *d, struct nfs4_write_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u32(d, &a->stable) && a->stable <= FILE_SYNC4 &&
	       nfs4_dec_opaque(d, UINT32_MAX, &a->data);
}

bool nfs4_enc_write_res(struct xdr_enc *e, const struct nfs4_write_res *r)
{
	return xdr_encode_u32(e, r->count) && xdr_encode_u32(e, r->committed) &&
	       nfs4_enc_verifier(e, &r->writeverf);
}

bool nfs4_dec_write_res(struct xdr_dec *d, struct nfs4_write_res *r)
{
	return xdr_decode_u32(d, &r->count) && xdr_decode_u32(d, &r->committed) &&
	       r->committed <= FILE_SYNC4 && nfs4_dec_verifier(d, &r->writeverf);
}

bool nfs4_enc_commit_args(struct xdr_enc *e, const struct nfs4_commit_args *a)
{
	return xdr_encode_u64(e, a->offset) && xdr_encode_u32(e, a->count);
}

bool nfs4_dec_commit_args(struct xdr_dec *d, struct nfs4_commit_args *a)
{
	return xdr_decode_u64(d, &a->offset) && xdr_decode_u32(d, &a->count);
}

bool nfs4_enc_commit_res(struct xdr_enc *e, const struct nfs4_commit_res *r)
{
	return nfs4_enc_verifier(e, &r->writeverf);
}

bool nfs4_dec_commit_res(struct xdr_dec *d, struct nfs4_commit_res *r)
{
	return nfs4_dec_verifier(d, &r->writeverf);
}
