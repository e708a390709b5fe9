#include "xdr/nfs4_codec_stream.h"

NFS4_CODEC_PAIR(verifier, struct nfs4_verifier)

bool xdr_fattr_raw(struct xdr_stream *x, struct nfs4_fattr_raw *f)
{
	return xdr_bitmap(x, &f->mask, &f->extra) && xdr_opaque(x, UINT32_MAX, &f->vals);
}

NFS4_CODEC_PAIR(fattr_raw, struct nfs4_fattr_raw)

bool xdr_change_info(struct xdr_stream *x, struct nfs4_change_info *ci)
{
	return xdr_bool(x, &ci->atomic) && xdr_u64(x, &ci->before) && xdr_u64(x, &ci->after);
}

NFS4_CODEC_PAIR(change_info, struct nfs4_change_info)

NFS4_CODEC_TYPE(name_args, struct nfs4_name_args, a,
		xdr_component(x, &a->name))

/* Inlined into both directions: it is also the result of CLOSE and LOCK. */
XDR_HOT bool xdr_stateid_args(struct xdr_stream *x, struct nfs4_stateid_args *a)
{
	return xdr_stateid(x, &a->stateid);
}

NFS4_CODEC_PAIR(stateid_args, struct nfs4_stateid_args)

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

#define NFS4_NAME_CASE(name, number) \
	case name:                   \
		return #name;

const char *nfs4_status_name(uint32_t status)
{
	switch (status) {
		NFS4_STATUSES(NFS4_NAME_CASE)
	}
	return NULL;
}

const char *nfs4_op_name(uint32_t opnum)
{
	switch (opnum) {
		NFS4_OPS(NFS4_NAME_CASE)
	}
	return NULL;
}

const char *nfs4_cb_op_name(uint32_t opnum)
{
	switch (opnum) {
		NFS4_CB_OPS(NFS4_NAME_CASE)
	}
	return NULL;
}
