#include "xdr/nfs4_codec_cb.h"

/* --- CB_SEQUENCE ----------------------------------------------------------- */

enum { REFERRING_CALL_WIRE = 8 };

bool nfs4_enc_referring_call_list(struct xdr_enc *e, const struct nfs4_referring_call_list *r)
{
	if (!nfs4_enc_sessionid(e, &r->sessionid))
		return false;
	uint8_t *p = xdr_enc_reserve(e, 4 + (size_t)r->count * REFERRING_CALL_WIRE);
	if (!p)
		return false;
	xdr_put_be32(p, r->count);
	p += 4;
	if (!r->items) {
		if (r->count)
			memcpy(p, r->wire, (size_t)r->count * REFERRING_CALL_WIRE);
		return true;
	}
	for (uint32_t i = 0; i < r->count; i++, p += REFERRING_CALL_WIRE) {
		xdr_put_be32(p, r->items[i].sequenceid);
		xdr_put_be32(p + 4, r->items[i].slotid);
	}
	return true;
}

bool nfs4_dec_referring_call_list(struct xdr_dec *d, struct nfs4_referring_call_list *r)
{
	uint32_t n;
	const uint8_t *p;
	if (!nfs4_dec_sessionid(d, &r->sessionid) || !xdr_decode_u32(d, &n) ||
	    n > xdr_dec_remaining(d) / REFERRING_CALL_WIRE ||
	    !xdr_decode_opaque_fixed(d, (size_t)n * REFERRING_CALL_WIRE, &p))
		return false;
	r->count = n;
	r->items = NULL;
	r->wire = p;
	return true;
}

void nfs4_referring_call_list_get(const struct nfs4_referring_call_list *r, uint32_t i,
				  struct nfs4_referring_call *out)
{
	if (r->items) {
		*out = r->items[i];
		return;
	}
	const uint8_t *p = r->wire + (size_t)i * REFERRING_CALL_WIRE;
	out->sequenceid = xdr_get_be32(p);
	out->slotid = xdr_get_be32(p + 4);
}

static bool referring_call_list_item(struct xdr_dec *d, void *scratch)
{
	return nfs4_dec_referring_call_list(d, scratch);
}

bool nfs4_enc_cb_sequence_args(struct xdr_enc *e, const struct nfs4_cb_sequence_args *a)
{
	if (!nfs4_enc_sessionid(e, &a->sessionid) || !xdr_encode_u32(e, a->sequenceid) ||
	    !xdr_encode_u32(e, a->slotid) || !xdr_encode_u32(e, a->highest_slotid) ||
	    !xdr_encode_bool(e, a->cachethis))
		return false;
	if (!a->items)
		return nfs4_enc_list_wire(e, &a->lists);
	if (!xdr_encode_u32(e, a->lists.count))
		return false;
	for (uint32_t i = 0; i < a->lists.count; i++)
		if (!nfs4_enc_referring_call_list(e, &a->items[i]))
			return false;
	return true;
}

bool nfs4_dec_cb_sequence_args(struct xdr_dec *d, struct nfs4_cb_sequence_args *a)
{
	struct nfs4_referring_call_list r;
	a->items = NULL;
	return nfs4_dec_sessionid(d, &a->sessionid) && xdr_decode_u32(d, &a->sequenceid) &&
	       xdr_decode_u32(d, &a->slotid) && xdr_decode_u32(d, &a->highest_slotid) &&
	       xdr_decode_bool(d, &a->cachethis) &&
	       nfs4_dec_list(d, UINT32_MAX, referring_call_list_item, &r, &a->lists);
}

bool nfs4_enc_cb_sequence_res(struct xdr_enc *e, const struct nfs4_cb_sequence_res *r)
{
	return nfs4_enc_sessionid(e, &r->sessionid) && xdr_encode_u32(e, r->sequenceid) &&
	       xdr_encode_u32(e, r->slotid) && xdr_encode_u32(e, r->highest_slotid) &&
	       xdr_encode_u32(e, r->target_highest_slotid);
}

bool nfs4_dec_cb_sequence_res(struct xdr_dec *d, struct nfs4_cb_sequence_res *r)
{
	return nfs4_dec_sessionid(d, &r->sessionid) && xdr_decode_u32(d, &r->sequenceid) &&
	       xdr_decode_u32(d, &r->slotid) && xdr_decode_u32(d, &r->highest_slotid) &&
	       xdr_decode_u32(d, &r->target_highest_slotid);
}

/* --- CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK --------------------------------- */

bool nfs4_enc_cb_recall_args(struct xdr_enc *e, const struct nfs4_cb_recall_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_bool(e, a->truncate) &&
	       nfs4_enc_opaque(e, a->fh);
}

bool nfs4_dec_cb_recall_args(struct xdr_dec *d, struct nfs4_cb_recall_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_bool(d, &a->truncate) &&
	       nfs4_dec_fh(d, &a->fh);
}

bool nfs4_enc_cb_getattr_args(struct xdr_enc *e, const struct nfs4_cb_getattr_args *a)
{
	return nfs4_enc_opaque(e, a->fh) && nfs4_encode_bitmap(e, &a->attr_request);
}

bool nfs4_dec_cb_getattr_args(struct xdr_dec *d, struct nfs4_cb_getattr_args *a)
{
	return nfs4_dec_fh(d, &a->fh) && nfs4_decode_bitmap(d, &a->attr_request, &a->extra);
}

bool nfs4_enc_cb_getattr_res(struct xdr_enc *e, const struct nfs4_cb_getattr_res *r)
{
	return nfs4_enc_fattr_raw(e, &r->attrs);
}

bool nfs4_dec_cb_getattr_res(struct xdr_dec *d, struct nfs4_cb_getattr_res *r)
{
	return nfs4_dec_fattr_raw(d, &r->attrs, &r->extra);
}

bool nfs4_enc_cb_notify_lock_args(struct xdr_enc *e, const struct nfs4_cb_notify_lock_args *a)
{
	return nfs4_enc_opaque(e, a->fh) && nfs4_enc_state_owner(e, &a->lock_owner);
}

bool nfs4_dec_cb_notify_lock_args(struct xdr_dec *d, struct nfs4_cb_notify_lock_args *a)
{
	return nfs4_dec_fh(d, &a->fh) && nfs4_dec_state_owner(d, &a->lock_owner);
}

/* --- CB_NOTIFY ------------------------------------------------------------- */

bool nfs4_enc_notify(struct xdr_enc *e, const struct nfs4_notify *n)
{
	return nfs4_encode_bitmap(e, &n->mask) && nfs4_enc_opaque(e, n->vals);
}

bool nfs4_dec_notify(struct xdr_dec *d, struct nfs4_notify *n)
{
	return nfs4_decode_bitmap(d, &n->mask, &n->extra) && nfs4_dec_opaque(d, UINT32_MAX, &n->vals);
}

static bool notify_item(struct xdr_dec *d, void *scratch)
{
	return nfs4_dec_notify(d, scratch);
}

bool nfs4_enc_cb_notify_args(struct xdr_enc *e, const struct nfs4_cb_notify_args *a)
{
	if (!nfs4_encode_stateid(e, &a->stateid) || !nfs4_enc_opaque(e, a->fh))
		return false;
	if (!a->items)
		return nfs4_enc_list_wire(e, &a->changes);
	if (!xdr_encode_u32(e, a->changes.count))
		return false;
	for (uint32_t i = 0; i < a->changes.count; i++)
		if (!nfs4_enc_notify(e, &a->items[i]))
			return false;
	return true;
}

bool nfs4_dec_cb_notify_args(struct xdr_dec *d, struct nfs4_cb_notify_args *a)
{
	struct nfs4_notify n;
	a->items = NULL;
	return nfs4_decode_stateid(d, &a->stateid) && nfs4_dec_fh(d, &a->fh) &&
	       nfs4_dec_list(d, UINT32_MAX, notify_item, &n, &a->changes);
}

bool nfs4_enc_notify_entry(struct xdr_enc *e, const struct nfs4_notify_entry *n)
{
	return nfs4_enc_opaque(e, n->name) && nfs4_enc_fattr_raw(e, &n->attrs);
}

bool nfs4_dec_notify_entry(struct xdr_dec *d, struct nfs4_notify_entry *n)
{
	bool extra;
	return nfs4_dec_opaque(d, UINT32_MAX, &n->name) && nfs4_dec_fattr_raw(d, &n->attrs, &extra);
}

bool nfs4_enc_notify_remove(struct xdr_enc *e, const struct nfs4_notify_remove *n)
{
	return nfs4_enc_notify_entry(e, &n->old_entry) && xdr_encode_u64(e, n->old_entry_cookie);
}

bool nfs4_dec_notify_remove(struct xdr_dec *d, struct nfs4_notify_remove *n)
{
	return nfs4_dec_notify_entry(d, &n->old_entry) && xdr_decode_u64(d, &n->old_entry_cookie);
}

/* An optional<1> as XDR writes it: a count of 0 or 1. */
static bool dec_optional(struct xdr_dec *d, bool *has)
{
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > 1)
		return false;
	*has = n == 1;
	return true;
}

bool nfs4_enc_notify_add(struct xdr_enc *e, const struct nfs4_notify_add *n)
{
	if (!xdr_encode_u32(e, n->has_old_entry ? 1 : 0) ||
	    (n->has_old_entry && !nfs4_enc_notify_remove(e, &n->old_entry)) ||
	    !nfs4_enc_notify_entry(e, &n->new_entry) ||
	    !xdr_encode_u32(e, n->has_new_entry_cookie ? 1 : 0) ||
	    (n->has_new_entry_cookie && !xdr_encode_u64(e, n->new_entry_cookie)) ||
	    !xdr_encode_u32(e, n->has_prev_entry ? 1 : 0))
		return false;
	if (n->has_prev_entry && (!nfs4_enc_notify_entry(e, &n->prev_entry) ||
				  !xdr_encode_u64(e, n->prev_entry_cookie)))
		return false;
	return xdr_encode_bool(e, n->last_entry);
}

bool nfs4_dec_notify_add(struct xdr_dec *d, struct nfs4_notify_add *n)
{
	if (!dec_optional(d, &n->has_old_entry) ||
	    (n->has_old_entry && !nfs4_dec_notify_remove(d, &n->old_entry)) ||
	    !nfs4_dec_notify_entry(d, &n->new_entry) || !dec_optional(d, &n->has_new_entry_cookie) ||
	    (n->has_new_entry_cookie && !xdr_decode_u64(d, &n->new_entry_cookie)) ||
	    !dec_optional(d, &n->has_prev_entry))
		return false;
	if (n->has_prev_entry && (!nfs4_dec_notify_entry(d, &n->prev_entry) ||
				  !xdr_decode_u64(d, &n->prev_entry_cookie)))
		return false;
	return xdr_decode_bool(d, &n->last_entry);
}

bool nfs4_enc_notify_attr(struct xdr_enc *e, const struct nfs4_notify_attr *n)
{
	return nfs4_enc_notify_entry(e, &n->changed_entry);
}

bool nfs4_dec_notify_attr(struct xdr_dec *d, struct nfs4_notify_attr *n)
{
	return nfs4_dec_notify_entry(d, &n->changed_entry);
}

bool nfs4_enc_notify_rename(struct xdr_enc *e, const struct nfs4_notify_rename *n)
{
	return nfs4_enc_notify_remove(e, &n->old_entry) && nfs4_enc_notify_add(e, &n->new_entry);
}

bool nfs4_dec_notify_rename(struct xdr_dec *d, struct nfs4_notify_rename *n)
{
	return nfs4_dec_notify_remove(d, &n->old_entry) && nfs4_dec_notify_add(d, &n->new_entry);
}

bool nfs4_enc_notify_verifier(struct xdr_enc *e, const struct nfs4_notify_verifier *n)
{
	return nfs4_enc_verifier(e, &n->old_cookieverf) && nfs4_enc_verifier(e, &n->new_cookieverf);
}

bool nfs4_dec_notify_verifier(struct xdr_dec *d, struct nfs4_notify_verifier *n)
{
	return nfs4_dec_verifier(d, &n->old_cookieverf) && nfs4_dec_verifier(d, &n->new_cookieverf);
}

/* --- CB_OFFLOAD ------------------------------------------------------------ */

bool nfs4_enc_write_response(struct xdr_enc *e, const struct nfs4_write_response *w)
{
	if (!xdr_encode_u32(e, w->has_callback_id ? 1 : 0) ||
	    (w->has_callback_id && !nfs4_encode_stateid(e, &w->callback_id)))
		return false;
	return xdr_encode_u64(e, w->count) && xdr_encode_u32(e, w->committed) &&
	       nfs4_enc_verifier(e, &w->writeverf);
}

bool nfs4_dec_write_response(struct xdr_dec *d, struct nfs4_write_response *w)
{
	if (!dec_optional(d, &w->has_callback_id) ||
	    (w->has_callback_id && !nfs4_decode_stateid(d, &w->callback_id)))
		return false;
	return xdr_decode_u64(d, &w->count) && xdr_decode_u32(d, &w->committed) &&
	       nfs4_dec_verifier(d, &w->writeverf);
}

bool nfs4_enc_cb_offload_args(struct xdr_enc *e, const struct nfs4_cb_offload_args *a)
{
	if (!nfs4_enc_opaque(e, a->fh) || !nfs4_encode_stateid(e, &a->stateid) ||
	    !xdr_encode_u32(e, a->status))
		return false;
	if (a->status == NFS4_OK)
		return nfs4_enc_write_response(e, &a->resok);
	return xdr_encode_u64(e, a->bytes_copied);
}

bool nfs4_dec_cb_offload_args(struct xdr_dec *d, struct nfs4_cb_offload_args *a)
{
	if (!nfs4_dec_fh(d, &a->fh) || !nfs4_decode_stateid(d, &a->stateid) ||
	    !xdr_decode_u32(d, &a->status))
		return false;
	if (a->status == NFS4_OK)
		return nfs4_dec_write_response(d, &a->resok);
	return xdr_decode_u64(d, &a->bytes_copied);
}

/* --- CB_RECALL_ANY, CB_RECALLABLE_OBJ_AVAIL, CB_RECALL_SLOT,
 *     CB_WANTS_CANCELLED --------------------------------------------------- */

bool nfs4_enc_cb_recall_any_args(struct xdr_enc *e, const struct nfs4_cb_recall_any_args *a)
{
	return xdr_encode_u32(e, a->objects_to_keep) && nfs4_encode_bitmap(e, &a->type_mask);
}

bool nfs4_dec_cb_recall_any_args(struct xdr_dec *d, struct nfs4_cb_recall_any_args *a)
{
	return xdr_decode_u32(d, &a->objects_to_keep) &&
	       nfs4_decode_bitmap(d, &a->type_mask, &a->extra);
}

bool nfs4_enc_cb_recallable_obj_avail_args(struct xdr_enc *e,
					   const struct nfs4_cb_recallable_obj_avail_args *a)
{
	return nfs4_enc_cb_recall_any_args(e, &a->a);
}

bool nfs4_dec_cb_recallable_obj_avail_args(struct xdr_dec *d,
					   struct nfs4_cb_recallable_obj_avail_args *a)
{
	return nfs4_dec_cb_recall_any_args(d, &a->a);
}

bool nfs4_enc_cb_recall_slot_args(struct xdr_enc *e, const struct nfs4_cb_recall_slot_args *a)
{
	return xdr_encode_u32(e, a->target_highest_slotid);
}

bool nfs4_dec_cb_recall_slot_args(struct xdr_dec *d, struct nfs4_cb_recall_slot_args *a)
{
	return xdr_decode_u32(d, &a->target_highest_slotid);
}

bool nfs4_enc_cb_wants_cancelled_args(struct xdr_enc *e,
				      const struct nfs4_cb_wants_cancelled_args *a)
{
	return xdr_encode_bool(e, a->contended_wants_cancelled) &&
	       xdr_encode_bool(e, a->resourced_wants_cancelled);
}

bool nfs4_dec_cb_wants_cancelled_args(struct xdr_dec *d, struct nfs4_cb_wants_cancelled_args *a)
{
	return xdr_decode_bool(d, &a->contended_wants_cancelled) &&
	       xdr_decode_bool(d, &a->resourced_wants_cancelled);
}
