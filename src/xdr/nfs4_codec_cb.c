#include "xdr/nfs4_codec_cb.h"
#include "xdr/nfs4_codec_stream.h"

/* --- CB_SEQUENCE ----------------------------------------------------------- */

enum { REFERRING_CALL_WIRE = 8 };

static bool referring_call_item(struct xdr_stream *x, void *p)
{
	struct nfs4_referring_call *c = p;
	return xdr_u32(x, &c->sequenceid) && xdr_u32(x, &c->slotid);
}

static bool xdr_referring_call_list(struct xdr_stream *x, struct nfs4_referring_call_list *r)
{
	if (xdr_is_dec(x))
		r->items = NULL;
	return xdr_sessionid(x, &r->sessionid) &&
	       xdr_fixed_list(x, &r->count, REFERRING_CALL_WIRE, &r->wire, r->items,
			      sizeof(*r->items), referring_call_item);
}

NFS4_CODEC_PAIR(referring_call_list, struct nfs4_referring_call_list)

void nfs4_referring_call_list_get(const struct nfs4_referring_call_list *r, uint32_t i,
				  struct nfs4_referring_call *out)
{
	xdr_fixed_item(r->items, sizeof(*r->items), r->wire, REFERRING_CALL_WIRE, i,
		       referring_call_item, out);
}

XDR_LIST_OF(referring_call_list)

NFS4_CODEC_TYPE(cb_sequence_args, struct nfs4_cb_sequence_args, a,
		xdr_sessionid(x, &a->sessionid) && xdr_u32(x, &a->sequenceid) &&
		xdr_u32(x, &a->slotid) && xdr_u32(x, &a->highest_slotid) &&
		xdr_bool(x, &a->cachethis) &&
		xdr_referring_call_list_list(x, &a->lists, &a->items))

NFS4_CODEC_TYPE(cb_sequence_res, struct nfs4_cb_sequence_res, r,
		xdr_sessionid(x, &r->sessionid) && xdr_u32(x, &r->sequenceid) &&
		xdr_u32(x, &r->slotid) && xdr_u32(x, &r->highest_slotid) &&
		xdr_u32(x, &r->target_highest_slotid))

/* --- CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK --------------------------------- */

NFS4_CODEC_TYPE(cb_recall_args, struct nfs4_cb_recall_args, a,
		xdr_stateid(x, &a->stateid) && xdr_bool(x, &a->truncate) && xdr_fh(x, &a->fh))

NFS4_CODEC_TYPE(cb_getattr_args, struct nfs4_cb_getattr_args, a,
		xdr_fh(x, &a->fh) && xdr_bitmap(x, &a->attr_request, &a->extra))

NFS4_CODEC_TYPE(cb_notify_lock_args, struct nfs4_cb_notify_lock_args, a,
		xdr_fh(x, &a->fh) && xdr_state_owner(x, &a->lock_owner))

/* --- CB_NOTIFY ------------------------------------------------------------- */

XDR_LIST_OF(fattr_raw)

NFS4_CODEC_TYPE(cb_notify_args, struct nfs4_cb_notify_args, a,
		xdr_stateid(x, &a->stateid) && xdr_fh(x, &a->fh) &&
		xdr_fattr_raw_list(x, &a->changes, &a->items))

NFS4_CODEC_TYPE(notify_entry, struct nfs4_notify_entry, n,
		xdr_opaque(x, UINT32_MAX, &n->name) && xdr_fattr_raw(x, &n->attrs))

NFS4_CODEC_TYPE(notify_remove, struct nfs4_notify_remove, n,
		xdr_notify_entry(x, &n->old_entry) && xdr_u64(x, &n->old_entry_cookie))

static bool xdr_notify_add(struct xdr_stream *x, struct nfs4_notify_add *n)
{
	if (!xdr_optional(x, &n->has_old_entry) ||
	    (n->has_old_entry && !xdr_notify_remove(x, &n->old_entry)) ||
	    !xdr_notify_entry(x, &n->new_entry) || !xdr_optional(x, &n->has_new_entry_cookie) ||
	    (n->has_new_entry_cookie && !xdr_u64(x, &n->new_entry_cookie)) ||
	    !xdr_optional(x, &n->has_prev_entry))
		return false;
	if (n->has_prev_entry &&
	    (!xdr_notify_entry(x, &n->prev_entry) || !xdr_u64(x, &n->prev_entry_cookie)))
		return false;
	return xdr_bool(x, &n->last_entry);
}

NFS4_CODEC_PAIR(notify_add, struct nfs4_notify_add)

NFS4_CODEC_TYPE(notify_attr, struct nfs4_notify_attr, n,
		xdr_notify_entry(x, &n->changed_entry))

NFS4_CODEC_TYPE(notify_rename, struct nfs4_notify_rename, n,
		xdr_notify_remove(x, &n->old_entry) && xdr_notify_add(x, &n->new_entry))

NFS4_CODEC_TYPE(notify_verifier, struct nfs4_notify_verifier, n,
		xdr_verifier(x, &n->old_cookieverf) && xdr_verifier(x, &n->new_cookieverf))

/* --- CB_OFFLOAD ------------------------------------------------------------ */

bool xdr_write_response(struct xdr_stream *x, struct nfs4_write_response *w)
{
	return xdr_optional(x, &w->has_callback_id) &&
	       (!w->has_callback_id || xdr_stateid(x, &w->callback_id)) &&
	       xdr_u64(x, &w->count) && xdr_u32(x, &w->committed) &&
	       xdr_verifier(x, &w->writeverf);
}

NFS4_CODEC_PAIR(write_response, struct nfs4_write_response)

static bool xdr_cb_offload_args(struct xdr_stream *x, struct nfs4_cb_offload_args *a)
{
	if (!xdr_fh(x, &a->fh) || !xdr_stateid(x, &a->stateid) || !xdr_u32(x, &a->status))
		return false;
	if (a->status == NFS4_OK)
		return xdr_write_response(x, &a->resok);
	return xdr_u64(x, &a->bytes_copied);
}

NFS4_CODEC_PAIR(cb_offload_args, struct nfs4_cb_offload_args)

/* --- CB_RECALL_ANY, CB_RECALLABLE_OBJ_AVAIL, CB_RECALL_SLOT,
 *     CB_WANTS_CANCELLED --------------------------------------------------- */

NFS4_CODEC_TYPE(cb_recall_any_args, struct nfs4_cb_recall_any_args, a,
		xdr_u32(x, &a->objects_to_keep) && xdr_bitmap(x, &a->type_mask, &a->extra))

NFS4_CODEC_TYPE(cb_recall_slot_args, struct nfs4_cb_recall_slot_args, a,
		xdr_u32(x, &a->target_highest_slotid))

NFS4_CODEC_TYPE(cb_wants_cancelled_args, struct nfs4_cb_wants_cancelled_args, a,
		xdr_bool(x, &a->contended_wants_cancelled) &&
		xdr_bool(x, &a->resourced_wants_cancelled))

