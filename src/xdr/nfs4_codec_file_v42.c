#include "xdr/nfs4_codec_file.h"

bool nfs4_enc_allocate_args(struct xdr_enc *e, const struct nfs4_allocate_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u64(e, a->length);
}

bool nfs4_dec_allocate_args(struct xdr_dec *d, struct nfs4_allocate_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u64(d, &a->length);
}

/* --- SEEK, READ_PLUS ------------------------------------------------------------------ */

bool nfs4_enc_seek_args(struct xdr_enc *e, const struct nfs4_seek_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u32(e, a->what);
}

bool nfs4_dec_seek_args(struct xdr_dec *d, struct nfs4_seek_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u32(d, &a->what);
}

bool nfs4_enc_seek_res(struct xdr_enc *e, const struct nfs4_seek_res *r)
{
	return xdr_encode_bool(e, r->eof) && xdr_encode_u64(e, r->offset);
}

bool nfs4_dec_seek_res(struct xdr_dec *d, struct nfs4_seek_res *r)
{
	return xdr_decode_bool(d, &r->eof) && xdr_decode_u64(d, &r->offset);
}

bool nfs4_enc_read_plus_begin(struct nfs4_read_plus_enc *r, struct xdr_enc *e)
{
	*r = (struct nfs4_read_plus_enc){.e = e, .start = xdr_enc_len(e)};
	/* eof and the count are patched by finish. */
	return xdr_encode_u32(e, 0) && xdr_encode_u32(e, 0);
}

uint8_t *nfs4_enc_read_plus_data_reserve(struct nfs4_read_plus_enc *r, uint64_t offset,
					 uint32_t count)
{
	r->data_off = xdr_enc_len(r->e);
	uint8_t *p = xdr_enc_reserve(r->e, 4 + 8 + 4 + xdr_pad4(count));
	if (!p)
		return NULL;
	xdr_put_be32(p, NFS4_CONTENT_DATA);
	xdr_put_be32(p + 4, (uint32_t)(offset >> 32));
	xdr_put_be32(p + 8, (uint32_t)offset);
	return p + 16;
}

void nfs4_enc_read_plus_data_done(struct nfs4_read_plus_enc *r, uint32_t got)
{
	uint8_t *p = r->e->buf->data + r->data_off + 12;
	xdr_put_be32(p, got);
	memset(p + 4 + got, 0, xdr_pad4(got) - got);
	r->e->buf->len = r->data_off + 16 + xdr_pad4(got);
	r->count++;
}

bool nfs4_enc_read_plus_hole(struct nfs4_read_plus_enc *r, uint64_t offset, uint64_t length)
{
	if (!xdr_encode_u32(r->e, NFS4_CONTENT_HOLE) || !xdr_encode_u64(r->e, offset) ||
	    !xdr_encode_u64(r->e, length))
		return false;
	r->count++;
	return true;
}

bool nfs4_enc_read_plus_finish(struct nfs4_read_plus_enc *r, bool eof)
{
	if (r->e->overflow)
		return false;
	xdr_enc_patch_u32(r->e, r->start, eof ? 1 : 0);
	xdr_enc_patch_u32(r->e, r->start + 4, r->count);
	return true;
}

static bool dec_read_plus_content(struct xdr_dec *d, struct nfs4_read_plus_content *c)
{
	c->length = 0;
	c->data = (struct nfs4_opaque){0};
	if (!xdr_decode_u32(d, &c->type) || !xdr_decode_u64(d, &c->offset))
		return false;
	switch (c->type) {
	case NFS4_CONTENT_DATA:
		if (!nfs4_dec_opaque(d, UINT32_MAX, &c->data))
			return false;
		c->length = c->data.len;
		return true;
	case NFS4_CONTENT_HOLE:
		return xdr_decode_u64(d, &c->length);
	default:
		return false;
	}
}

bool nfs4_dec_read_plus_res(struct xdr_dec *d, struct nfs4_read_plus_res *r)
{
	if (!xdr_decode_bool(d, &r->eof) || !xdr_decode_u32(d, &r->count))
		return false;
	r->contents = *d;
	for (uint32_t i = 0; i < r->count; i++) {
		struct nfs4_read_plus_content c;
		if (!dec_read_plus_content(d, &c))
			return false;
	}
	r->contents.end = d->p;
	return true;
}

bool nfs4_read_plus_res_next(struct nfs4_read_plus_res *r, struct nfs4_read_plus_content *c)
{
	return dec_read_plus_content(&r->contents, c);
}

/* --- CLONE, COPY, offload ------------------------------------------------------------- */

bool nfs4_enc_clone_args(struct xdr_enc *e, const struct nfs4_clone_args *a)
{
	return nfs4_encode_stateid(e, &a->src_stateid) && nfs4_encode_stateid(e, &a->dst_stateid) &&
	       xdr_encode_u64(e, a->src_offset) && xdr_encode_u64(e, a->dst_offset) &&
	       xdr_encode_u64(e, a->count);
}

bool nfs4_dec_clone_args(struct xdr_dec *d, struct nfs4_clone_args *a)
{
	return nfs4_decode_stateid(d, &a->src_stateid) && nfs4_decode_stateid(d, &a->dst_stateid) &&
	       xdr_decode_u64(d, &a->src_offset) && xdr_decode_u64(d, &a->dst_offset) &&
	       xdr_decode_u64(d, &a->count);
}

static bool enc_netloc(struct xdr_enc *e, const struct nfs4_netloc *n)
{
	if (!xdr_encode_u32(e, n->type))
		return false;
	switch (n->type) {
	case NL4_NAME:
	case NL4_URL:
		return nfs4_enc_opaque(e, n->name);
	case NL4_NETADDR:
		return nfs4_enc_opaque(e, n->netid) && nfs4_enc_opaque(e, n->addr);
	default:
		return false;
	}
}

static bool dec_netloc(struct xdr_dec *d, struct nfs4_netloc *n)
{
	*n = (struct nfs4_netloc){0};
	if (!xdr_decode_u32(d, &n->type))
		return false;
	switch (n->type) {
	case NL4_NAME:
	case NL4_URL:
		return nfs4_dec_bounded_str(d, &n->name);
	case NL4_NETADDR:
		return nfs4_dec_bounded_str(d, &n->netid) && nfs4_dec_bounded_str(d, &n->addr);
	default:
		return false;
	}
}

bool nfs4_enc_copy_args(struct xdr_enc *e, const struct nfs4_copy_args *a)
{
	if (a->nsources > NFS4_COPY_SOURCES_MAX ||
	    !nfs4_encode_stateid(e, &a->src_stateid) || !nfs4_encode_stateid(e, &a->dst_stateid) ||
	    !xdr_encode_u64(e, a->src_offset) || !xdr_encode_u64(e, a->dst_offset) ||
	    !xdr_encode_u64(e, a->count) || !xdr_encode_bool(e, a->consecutive) ||
	    !xdr_encode_bool(e, a->synchronous) || !xdr_encode_u32(e, a->nsources))
		return false;
	for (uint32_t i = 0; i < a->nsources; i++)
		if (!enc_netloc(e, &a->sources[i]))
			return false;
	return true;
}

bool nfs4_dec_copy_args(struct xdr_dec *d, struct nfs4_copy_args *a)
{
	if (!nfs4_decode_stateid(d, &a->src_stateid) || !nfs4_decode_stateid(d, &a->dst_stateid) ||
	    !xdr_decode_u64(d, &a->src_offset) || !xdr_decode_u64(d, &a->dst_offset) ||
	    !xdr_decode_u64(d, &a->count) || !xdr_decode_bool(d, &a->consecutive) ||
	    !xdr_decode_bool(d, &a->synchronous) || !xdr_decode_u32(d, &a->nsources) ||
	    a->nsources > NFS4_COPY_SOURCES_MAX)
		return false;
	for (uint32_t i = 0; i < a->nsources; i++)
		if (!dec_netloc(d, &a->sources[i]))
			return false;
	return true;
}

bool nfs4_enc_copy_requirements(struct xdr_enc *e, const struct nfs4_copy_requirements *r)
{
	return xdr_encode_bool(e, r->consecutive) && xdr_encode_bool(e, r->synchronous);
}

bool nfs4_dec_copy_requirements(struct xdr_dec *d, struct nfs4_copy_requirements *r)
{
	return xdr_decode_bool(d, &r->consecutive) && xdr_decode_bool(d, &r->synchronous);
}

bool nfs4_enc_copy_res(struct xdr_enc *e, const struct nfs4_copy_res *r)
{
	const struct nfs4_write_response *w = &r->response;
	if (!xdr_encode_u32(e, w->has_callback_id ? 1 : 0) ||
	    (w->has_callback_id && !nfs4_encode_stateid(e, &w->callback_id)))
		return false;
	return xdr_encode_u64(e, w->count) && xdr_encode_u32(e, w->committed) &&
	       nfs4_enc_verifier(e, &w->writeverf) &&
	       nfs4_enc_copy_requirements(e, &r->requirements);
}

/* An optional item (T<1>): the count must be 0 or 1. */
static bool dec_optional(struct xdr_dec *d, bool *present)
{
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > 1)
		return false;
	*present = n == 1;
	return true;
}

bool nfs4_dec_copy_res(struct xdr_dec *d, struct nfs4_copy_res *r)
{
	struct nfs4_write_response *w = &r->response;
	memset(&w->callback_id, 0, sizeof(w->callback_id));
	if (!dec_optional(d, &w->has_callback_id) ||
	    (w->has_callback_id && !nfs4_decode_stateid(d, &w->callback_id)))
		return false;
	return xdr_decode_u64(d, &w->count) && xdr_decode_u32(d, &w->committed) &&
	       w->committed <= FILE_SYNC4 && nfs4_dec_verifier(d, &w->writeverf) &&
	       nfs4_dec_copy_requirements(d, &r->requirements);
}

bool nfs4_enc_offload_args(struct xdr_enc *e, const struct nfs4_offload_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid);
}

bool nfs4_dec_offload_args(struct xdr_dec *d, struct nfs4_offload_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid);
}

bool nfs4_enc_offload_status_res(struct xdr_enc *e, const struct nfs4_offload_status_res *r)
{
	return xdr_encode_u64(e, r->count) && xdr_encode_u32(e, r->has_complete ? 1 : 0) &&
	       (!r->has_complete || xdr_encode_u32(e, r->complete));
}

bool nfs4_dec_offload_status_res(struct xdr_dec *d, struct nfs4_offload_status_res *r)
{
	r->complete = 0;
	return xdr_decode_u64(d, &r->count) && dec_optional(d, &r->has_complete) &&
	       (!r->has_complete || xdr_decode_u32(d, &r->complete));
}

bool nfs4_enc_io_advise_args(struct xdr_enc *e, const struct nfs4_io_advise_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u64(e, a->count) && nfs4_encode_bitmap(e, &a->hints);
}

bool nfs4_dec_io_advise_args(struct xdr_dec *d, struct nfs4_io_advise_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u64(d, &a->count) && nfs4_decode_bitmap(d, &a->hints, &a->mask_extra);
}

bool nfs4_enc_io_advise_res(struct xdr_enc *e, const struct nfs4_io_advise_res *r)
{
	return nfs4_encode_bitmap(e, &r->hints);
}

bool nfs4_dec_io_advise_res(struct xdr_dec *d, struct nfs4_io_advise_res *r)
{
	return nfs4_decode_bitmap(d, &r->hints, &r->mask_extra);
}

/* --- extended attributes ---------------------------------------------------------------- */

bool nfs4_enc_xattr_name_args(struct xdr_enc *e, const struct nfs4_xattr_name_args *a)
{
	return nfs4_enc_opaque(e, a->name);
}

bool nfs4_dec_xattr_name_args(struct xdr_dec *d, struct nfs4_xattr_name_args *a)
{
	return nfs4_dec_component(d, &a->name);
}

bool nfs4_enc_getxattr_res(struct xdr_enc *e, const struct nfs4_getxattr_res *r)
{
	return nfs4_enc_opaque(e, r->value);
}

bool nfs4_dec_getxattr_res(struct xdr_dec *d, struct nfs4_getxattr_res *r)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &r->value);
}

bool nfs4_enc_setxattr_args(struct xdr_enc *e, const struct nfs4_setxattr_args *a)
{
	return xdr_encode_u32(e, a->option) && nfs4_enc_opaque(e, a->name) &&
	       nfs4_enc_opaque(e, a->value);
}

bool nfs4_dec_setxattr_args(struct xdr_dec *d, struct nfs4_setxattr_args *a)
{
	return xdr_decode_u32(d, &a->option) && nfs4_dec_component(d, &a->name) &&
	       nfs4_dec_opaque(d, UINT32_MAX, &a->value);
}

bool nfs4_enc_listxattrs_args(struct xdr_enc *e, const struct nfs4_listxattrs_args *a)
{
	return xdr_encode_u64(e, a->cookie) && xdr_encode_u32(e, a->maxcount);
}

bool nfs4_dec_listxattrs_args(struct xdr_dec *d, struct nfs4_listxattrs_args *a)
{
	return xdr_decode_u64(d, &a->cookie) && xdr_decode_u32(d, &a->maxcount);
}

/* eof, which every result still has to carry. */
enum { LISTXATTRS_TAIL = 4 };

bool nfs4_enc_listxattrs_begin(struct nfs4_listxattrs_enc *r, struct xdr_enc *e,
			       uint32_t maxcount)
{
	*r = (struct nfs4_listxattrs_enc){.e = e, .start = xdr_enc_len(e), .maxcount = maxcount};
	/* The cookie and the count are patched by finish. */
	return xdr_encode_u64(e, 0) && xdr_encode_u32(e, 0);
}

bool nfs4_enc_listxattrs_name(struct nfs4_listxattrs_enc *r, struct nfs4_opaque name)
{
	struct xdr_enc *e = r->e;
	if (e->overflow)
		return false;
	size_t mark = xdr_enc_len(e);
	if (!nfs4_enc_opaque(e, name) || xdr_enc_len(e) - r->start + LISTXATTRS_TAIL > r->maxcount) {
		e->overflow = false;
		e->buf->len = mark;
		return false;
	}
	r->count++;
	return true;
}

bool nfs4_enc_listxattrs_finish(struct nfs4_listxattrs_enc *r, uint64_t cookie, bool eof)
{
	struct xdr_enc *e = r->e;
	if (!xdr_encode_bool(e, eof))
		return false;
	xdr_enc_patch_u32(e, r->start, (uint32_t)(cookie >> 32));
	xdr_enc_patch_u32(e, r->start + 4, (uint32_t)cookie);
	xdr_enc_patch_u32(e, r->start + 8, r->count);
	return xdr_enc_len(e) - r->start <= r->maxcount;
}

bool nfs4_dec_listxattrs_res(struct xdr_dec *d, struct nfs4_listxattrs_res *r)
{
	if (!xdr_decode_u64(d, &r->cookie) || !xdr_decode_u32(d, &r->count))
		return false;
	r->names = *d;
	for (uint32_t i = 0; i < r->count; i++) {
		struct nfs4_opaque name;
		if (!nfs4_dec_component(d, &name))
			return false;
	}
	r->names.end = d->p;
	return xdr_decode_bool(d, &r->eof);
}

bool nfs4_listxattrs_res_next(struct nfs4_listxattrs_res *r, struct nfs4_opaque *name)
{
	return nfs4_dec_component(&r->names, name);
}
