#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_stream.h"

bool xdr_state_owner(struct xdr_stream *x, struct nfs4_state_owner *o)
{
	return xdr_u64(x, &o->clientid) && xdr_bounded_str(x, &o->owner);
}

NFS4_CODEC_PAIR(state_owner, struct nfs4_state_owner)

/* --- OPEN ----------------------------------------------------------------------------- */

static bool xdr_createhow(struct xdr_stream *x, struct nfs4_createhow *h)
{
	if (!xdr_u32(x, &h->mode))
		return false;
	switch (h->mode) {
	case UNCHECKED4:
	case GUARDED4:
		return xdr_fattr_raw(x, &h->attrs);
	case EXCLUSIVE4:
		return xdr_verifier(x, &h->verifier);
	case EXCLUSIVE4_1:
		return xdr_verifier(x, &h->verifier) && xdr_fattr_raw(x, &h->attrs);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_claim(struct xdr_stream *x, struct nfs4_open_claim *c)
{
	if (!xdr_u32(x, &c->type))
		return false;
	switch (c->type) {
	case CLAIM_NULL:
	case CLAIM_DELEGATE_PREV:
		return xdr_component(x, &c->file);
	case CLAIM_PREVIOUS:
		return xdr_u32(x, &c->delegate_type);
	case CLAIM_DELEGATE_CUR:
		return xdr_stateid(x, &c->delegate_stateid) && xdr_component(x, &c->file);
	case CLAIM_DELEG_CUR_FH:
		return xdr_stateid(x, &c->delegate_stateid);
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_open_args(struct xdr_stream *x, struct nfs4_open_args *a)
{
	/* The arms not on the wire read as zero after a decode. */
	if (xdr_is_dec(x)) {
		memset(&a->how, 0, sizeof(a->how));
		memset(&a->claim, 0, sizeof(a->claim));
	}
	if (!xdr_u32(x, &a->seqid) || !xdr_u32(x, &a->share_access) ||
	    !xdr_u32(x, &a->share_deny) || !xdr_state_owner(x, &a->owner) ||
	    !xdr_u32(x, &a->opentype))
		return false;
	if (a->opentype == OPEN4_CREATE) {
		if (!xdr_createhow(x, &a->how))
			return false;
	} else if (a->opentype != OPEN4_NOCREATE) {
		return xdr_refuse(x);
	}
	return xdr_claim(x, &a->claim);
}

NFS4_CODEC_PAIR(open_args, struct nfs4_open_args)

bool xdr_ace(struct xdr_stream *x, struct nfs4_ace *a)
{
	return xdr_u32(x, &a->type) && xdr_u32(x, &a->flag) && xdr_u32(x, &a->access_mask) &&
	       xdr_bounded_str(x, &a->who);
}

static bool xdr_space_limit(struct xdr_stream *x, struct nfs4_space_limit *l)
{
	if (!xdr_u32(x, &l->limitby))
		return false;
	switch (l->limitby) {
	case NFS_LIMIT_SIZE:
		return xdr_u64(x, &l->filesize);
	case NFS_LIMIT_BLOCKS:
		return xdr_u32(x, &l->num_blocks) && xdr_u32(x, &l->bytes_per_block);
	default:
		return xdr_refuse(x);
	}
}

bool xdr_open_delegation(struct xdr_stream *x, struct nfs4_open_delegation *g)
{
	if (xdr_is_dec(x))
		memset(g, 0, sizeof(*g));
	if (!xdr_u32(x, &g->type))
		return false;
	switch (g->type) {
	case OPEN_DELEGATE_NONE:
		return true;
	case OPEN_DELEGATE_READ:
	case OPEN_DELEGATE_READ_ATTRS_DELEG:
		return xdr_stateid(x, &g->stateid) && xdr_bool(x, &g->recall) &&
		       xdr_ace(x, &g->permissions);
	case OPEN_DELEGATE_WRITE:
	case OPEN_DELEGATE_WRITE_ATTRS_DELEG:
		return xdr_stateid(x, &g->stateid) && xdr_bool(x, &g->recall) &&
		       xdr_space_limit(x, &g->space_limit) && xdr_ace(x, &g->permissions);
	case OPEN_DELEGATE_NONE_EXT:
		if (!xdr_u32(x, &g->why))
			return false;
		if (g->why == WND4_CONTENTION || g->why == WND4_RESOURCE)
			return xdr_bool(x, &g->server_will);
		return true;
	default:
		return xdr_refuse(x);
	}
}

NFS4_CODEC_PAIR(open_delegation, struct nfs4_open_delegation)

NFS4_CODEC_TYPE(open_res, struct nfs4_open_res, r,
		xdr_stateid(x, &r->stateid) && xdr_change_info(x, &r->cinfo) &&
		xdr_u32(x, &r->rflags) && xdr_bitmap(x, &r->attrset, &r->mask_extra) &&
		xdr_open_delegation(x, &r->delegation))

/* --- OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE ---------------------------------------------- */

NFS4_CODEC_TYPE(open_confirm_args, struct nfs4_open_confirm_args, a,
		xdr_stateid(x, &a->stateid) && xdr_u32(x, &a->seqid))

NFS4_CODEC_TYPE(open_downgrade_args, struct nfs4_open_downgrade_args, a,
		xdr_stateid(x, &a->stateid) && xdr_u32(x, &a->seqid) &&
		xdr_u32(x, &a->share_access) && xdr_u32(x, &a->share_deny))

NFS4_CODEC_TYPE(close_args, struct nfs4_close_args, a,
		xdr_u32(x, &a->seqid) && xdr_stateid(x, &a->stateid))

/* --- locks ---------------------------------------------------------------------------- */

static bool xdr_locker(struct xdr_stream *x, struct nfs4_locker *l)
{
	if (xdr_is_dec(x))
		memset(l, 0, sizeof(*l));
	if (!xdr_bool(x, &l->new_lock_owner))
		return false;
	if (l->new_lock_owner)
		return xdr_u32(x, &l->open_seqid) && xdr_stateid(x, &l->open_stateid) &&
		       xdr_u32(x, &l->lock_seqid) && xdr_state_owner(x, &l->owner);
	return xdr_stateid(x, &l->lock_stateid) && xdr_u32(x, &l->lock_seqid);
}

NFS4_CODEC_TYPE(lock_args, struct nfs4_lock_args, a,
		xdr_u32(x, &a->locktype) && xdr_bool(x, &a->reclaim) && xdr_u64(x, &a->offset) &&
		xdr_u64(x, &a->length) && xdr_locker(x, &a->locker))

NFS4_CODEC_TYPE(lock_denied, struct nfs4_lock_denied, r,
		xdr_u64(x, &r->offset) && xdr_u64(x, &r->length) && xdr_u32(x, &r->locktype) &&
		xdr_state_owner(x, &r->owner))

NFS4_CODEC_TYPE(lockt_args, struct nfs4_lockt_args, a,
		xdr_u32(x, &a->locktype) && xdr_u64(x, &a->offset) && xdr_u64(x, &a->length) &&
		xdr_state_owner(x, &a->owner))

NFS4_CODEC_TYPE(locku_args, struct nfs4_locku_args, a,
		xdr_u32(x, &a->locktype) && xdr_u32(x, &a->seqid) && xdr_stateid(x, &a->stateid) &&
		xdr_u64(x, &a->offset) && xdr_u64(x, &a->length))
