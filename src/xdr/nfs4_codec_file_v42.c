#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_stream.h"

NFS4_CODEC_TYPE(allocate_args, struct nfs4_allocate_args, a,
		xdr_stateid(x, &a->stateid) && xdr_u64(x, &a->offset) && xdr_u64(x, &a->length))

/* --- SEEK, READ_PLUS ------------------------------------------------------------------ */

NFS4_CODEC_TYPE(seek_args, struct nfs4_seek_args, a,
		xdr_stateid(x, &a->stateid) && xdr_u64(x, &a->offset) && xdr_u32(x, &a->what))

NFS4_CODEC_TYPE(seek_res, struct nfs4_seek_res, r,
		xdr_bool(x, &r->eof) && xdr_u64(x, &r->offset))

/* read_plus_content.  Encoding builds a DATA piece in reserved room
 * (nfs4_enc_read_plus_data_reserve, since the bytes come from a file), so
 * only holes encode through here. */
static bool xdr_read_plus_content(struct xdr_stream *x, struct nfs4_read_plus_content *c)
{
	if (xdr_is_dec(x)) {
		c->length = 0;
		c->data = (struct nfs4_opaque){0};
	}
	if (!xdr_u32(x, &c->type) || !xdr_u64(x, &c->offset))
		return false;
	switch (c->type) {
	case NFS4_CONTENT_DATA:
		if (!xdr_opaque(x, UINT32_MAX, &c->data))
			return false;
		if (xdr_is_dec(x))
			c->length = c->data.len;
		return true;
	case NFS4_CONTENT_HOLE:
		return xdr_u64(x, &c->length);
	default:
		return xdr_refuse(x);
	}
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
	struct nfs4_read_plus_content c = {
		.type = NFS4_CONTENT_HOLE, .offset = offset, .length = length};
	struct xdr_stream x = XDR_ENC_STREAM(r->e);
	if (!xdr_read_plus_content(&x, &c))
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

XDR_ITEM(read_plus_content)

bool nfs4_dec_read_plus_res(struct xdr_dec *d, struct nfs4_read_plus_res *r)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	struct nfs4_read_plus_content scratch;
	return xdr_bool(&x, &r->eof) && xdr_u32(&x, &r->count) &&
	       xdr_dec_span(&x, r->count, xdr_read_plus_content_item, &scratch, &r->contents);
}

bool nfs4_read_plus_res_next(struct nfs4_read_plus_res *r, struct nfs4_read_plus_content *c)
{
	struct xdr_stream x = XDR_DEC_STREAM(&r->contents);
	return xdr_read_plus_content(&x, c);
}

/* --- CLONE, COPY, offload ------------------------------------------------------------- */

NFS4_CODEC_TYPE(clone_args, struct nfs4_clone_args, a,
		xdr_stateid(x, &a->src_stateid) && xdr_stateid(x, &a->dst_stateid) &&
		xdr_u64(x, &a->src_offset) && xdr_u64(x, &a->dst_offset) && xdr_u64(x, &a->count))

static bool xdr_netloc(struct xdr_stream *x, struct nfs4_netloc *n)
{
	if (xdr_is_dec(x))
		*n = (struct nfs4_netloc){0};
	if (!xdr_u32(x, &n->type))
		return false;
	switch (n->type) {
	case NL4_NAME:
	case NL4_URL:
		return xdr_bounded_str(x, &n->name);
	case NL4_NETADDR:
		return xdr_bounded_str(x, &n->netid) && xdr_bounded_str(x, &n->addr);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_copy_args(struct xdr_stream *x, struct nfs4_copy_args *a)
{
	/* sources[] holds no more: encoding past it would read beyond it. */
	if (xdr_is_enc(x) && a->nsources > NFS4_COPY_SOURCES_MAX)
		return xdr_refuse(x);
	if (!xdr_stateid(x, &a->src_stateid) || !xdr_stateid(x, &a->dst_stateid) ||
	    !xdr_u64(x, &a->src_offset) || !xdr_u64(x, &a->dst_offset) ||
	    !xdr_u64(x, &a->count) || !xdr_bool(x, &a->consecutive) ||
	    !xdr_bool(x, &a->synchronous) || !xdr_count(x, NFS4_COPY_SOURCES_MAX, &a->nsources))
		return false;
	for (uint32_t i = 0; i < a->nsources; i++)
		if (!xdr_netloc(x, &a->sources[i]))
			return false;
	return true;
}

NFS4_CODEC_PAIR(copy_args, struct nfs4_copy_args)

NFS4_CODEC_TYPE(copy_requirements, struct nfs4_copy_requirements, r,
		xdr_bool(x, &r->consecutive) && xdr_bool(x, &r->synchronous))

/* COPY's write_response4 is CB_OFFLOAD's, with the decoder also refusing an
 * unknown stable_how4 and clearing an absent callback id. */
static bool xdr_copy_res(struct xdr_stream *x, struct nfs4_copy_res *r)
{
	if (xdr_is_dec(x))
		memset(&r->response.callback_id, 0, sizeof(r->response.callback_id));
	return xdr_write_response(x, &r->response) &&
	       xdr_dec_check(x, r->response.committed <= FILE_SYNC4) &&
	       xdr_copy_requirements(x, &r->requirements);
}

NFS4_CODEC_PAIR(copy_res, struct nfs4_copy_res)

static bool xdr_offload_status_res(struct xdr_stream *x, struct nfs4_offload_status_res *r)
{
	if (xdr_is_dec(x))
		r->complete = 0;
	return xdr_u64(x, &r->count) && xdr_optional(x, &r->has_complete) &&
	       (!r->has_complete || xdr_u32(x, &r->complete));
}

NFS4_CODEC_PAIR(offload_status_res, struct nfs4_offload_status_res)

NFS4_CODEC_TYPE(io_advise_args, struct nfs4_io_advise_args, a,
		xdr_stateid(x, &a->stateid) && xdr_u64(x, &a->offset) && xdr_u64(x, &a->count) &&
		xdr_bitmap(x, &a->hints, &a->mask_extra))

NFS4_CODEC_TYPE(io_advise_res, struct nfs4_io_advise_res, r,
		xdr_bitmap(x, &r->hints, &r->mask_extra))

/* --- extended attributes ---------------------------------------------------------------- */

NFS4_CODEC_TYPE(getxattr_res, struct nfs4_getxattr_res, r,
		xdr_opaque(x, UINT32_MAX, &r->value))

NFS4_CODEC_TYPE(setxattr_args, struct nfs4_setxattr_args, a,
		xdr_u32(x, &a->option) && xdr_component(x, &a->name) &&
		xdr_opaque(x, UINT32_MAX, &a->value))

NFS4_CODEC_TYPE(listxattrs_args, struct nfs4_listxattrs_args, a,
		xdr_u64(x, &a->cookie) && xdr_u32(x, &a->maxcount))

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
	struct xdr_stream x = XDR_ENC_STREAM(e);
	if (!xdr_component(&x, &name) ||
	    xdr_enc_len(e) - r->start + LISTXATTRS_TAIL > r->maxcount) {
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

XDR_ITEM(component)

bool nfs4_dec_listxattrs_res(struct xdr_dec *d, struct nfs4_listxattrs_res *r)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	struct nfs4_opaque scratch;
	return xdr_u64(&x, &r->cookie) && xdr_u32(&x, &r->count) &&
	       xdr_dec_span(&x, r->count, xdr_component_item, &scratch, &r->names) &&
	       xdr_bool(&x, &r->eof);
}

bool nfs4_listxattrs_res_next(struct nfs4_listxattrs_res *r, struct nfs4_opaque *name)
{
	struct xdr_stream x = XDR_DEC_STREAM(&r->names);
	return xdr_component(&x, name);
}
