#include "xdr/nfs4_codec_file.h"

static bool enc_owner(struct xdr_enc *e, const struct nfs4_state_owner *o)
{
	return xdr_encode_u64(e, o->clientid) && nfs4_enc_opaque(e, o->owner);
}

static bool dec_owner(struct xdr_dec *d, struct nfs4_state_owner *o)
{
	return xdr_decode_u64(d, &o->clientid) && nfs4_dec_bounded_str(d, &o->owner);
}

/* --- OPEN ----------------------------------------------------------------------------- */

static bool enc_createhow(struct xdr_enc *e, const struct nfs4_createhow *h)
{
	if (!xdr_encode_u32(e, h->mode))
		return false;
	switch (h->mode) {
	case UNCHECKED4:
	case GUARDED4:
		return nfs4_enc_fattr_raw(e, &h->attrs);
	case EXCLUSIVE4:
		return nfs4_enc_verifier(e, &h->verifier);
	case EXCLUSIVE4_1:
		return nfs4_enc_verifier(e, &h->verifier) && nfs4_enc_fattr_raw(e, &h->attrs);
	default:
		return false;
	}
}

static bool dec_createhow(struct xdr_dec *d, struct nfs4_createhow *h)
{
	if (!xdr_decode_u32(d, &h->mode))
		return false;
	switch (h->mode) {
	case UNCHECKED4:
	case GUARDED4:
		return nfs4_dec_fattr_raw(d, &h->attrs, &h->mask_extra);
	case EXCLUSIVE4:
		return nfs4_dec_verifier(d, &h->verifier);
	case EXCLUSIVE4_1:
		return nfs4_dec_verifier(d, &h->verifier) &&
		       nfs4_dec_fattr_raw(d, &h->attrs, &h->mask_extra);
	default:
		return false;
	}
}

static bool enc_claim(struct xdr_enc *e, const struct nfs4_open_claim *c)
{
	if (!xdr_encode_u32(e, c->type))
		return false;
	switch (c->type) {
	case CLAIM_NULL:
	case CLAIM_DELEGATE_PREV:
		return nfs4_enc_opaque(e, c->file);
	case CLAIM_PREVIOUS:
		return xdr_encode_u32(e, c->delegate_type);
	case CLAIM_DELEGATE_CUR:
		return nfs4_encode_stateid(e, &c->delegate_stateid) && nfs4_enc_opaque(e, c->file);
	case CLAIM_DELEG_CUR_FH:
		return nfs4_encode_stateid(e, &c->delegate_stateid);
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	default:
		return false;
	}
}

static bool dec_claim(struct xdr_dec *d, struct nfs4_open_claim *c)
{
	if (!xdr_decode_u32(d, &c->type))
		return false;
	switch (c->type) {
	case CLAIM_NULL:
	case CLAIM_DELEGATE_PREV:
		return nfs4_dec_component(d, &c->file);
	case CLAIM_PREVIOUS:
		return xdr_decode_u32(d, &c->delegate_type);
	case CLAIM_DELEGATE_CUR:
		return nfs4_decode_stateid(d, &c->delegate_stateid) && nfs4_dec_component(d, &c->file);
	case CLAIM_DELEG_CUR_FH:
		return nfs4_decode_stateid(d, &c->delegate_stateid);
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	default:
		return false;
	}
}

bool nfs4_enc_open_args(struct xdr_enc *e, const struct nfs4_open_args *a)
{
	if (!xdr_encode_u32(e, a->seqid) || !xdr_encode_u32(e, a->share_access) ||
	    !xdr_encode_u32(e, a->share_deny) || !enc_owner(e, &a->owner) ||
	    !xdr_encode_u32(e, a->opentype))
		return false;
	if (a->opentype == OPEN4_CREATE && !enc_createhow(e, &a->how))
		return false;
	return enc_claim(e, &a->claim);
}

bool nfs4_dec_open_args(struct xdr_dec *d, struct nfs4_open_args *a)
{
	memset(&a->how, 0, sizeof(a->how));
	memset(&a->claim, 0, sizeof(a->claim));
	if (!xdr_decode_u32(d, &a->seqid) || !xdr_decode_u32(d, &a->share_access) ||
	    !xdr_decode_u32(d, &a->share_deny) || !dec_owner(d, &a->owner) ||
	    !xdr_decode_u32(d, &a->opentype))
		return false;
	if (a->opentype == OPEN4_CREATE) {
		if (!dec_createhow(d, &a->how))
			return false;
	} else if (a->opentype != OPEN4_NOCREATE) {
		return false;
	}
	return dec_claim(d, &a->claim);
}

static bool enc_ace(struct xdr_enc *e, const struct nfs4_ace *a)
{
	return xdr_encode_u32(e, a->type) && xdr_encode_u32(e, a->flag) &&
	       xdr_encode_u32(e, a->access_mask) && nfs4_enc_opaque(e, a->who);
}

static bool dec_ace(struct xdr_dec *d, struct nfs4_ace *a)
{
	return xdr_decode_u32(d, &a->type) && xdr_decode_u32(d, &a->flag) &&
	       xdr_decode_u32(d, &a->access_mask) && nfs4_dec_bounded_str(d, &a->who);
}

static bool enc_space_limit(struct xdr_enc *e, const struct nfs4_space_limit *l)
{
	if (!xdr_encode_u32(e, l->limitby))
		return false;
	switch (l->limitby) {
	case NFS_LIMIT_SIZE:
		return xdr_encode_u64(e, l->filesize);
	case NFS_LIMIT_BLOCKS:
		return xdr_encode_u32(e, l->num_blocks) && xdr_encode_u32(e, l->bytes_per_block);
	default:
		return false;
	}
}

static bool dec_space_limit(struct xdr_dec *d, struct nfs4_space_limit *l)
{
	if (!xdr_decode_u32(d, &l->limitby))
		return false;
	switch (l->limitby) {
	case NFS_LIMIT_SIZE:
		return xdr_decode_u64(d, &l->filesize);
	case NFS_LIMIT_BLOCKS:
		return xdr_decode_u32(d, &l->num_blocks) && xdr_decode_u32(d, &l->bytes_per_block);
	default:
		return false;
	}
}

static bool enc_delegation(struct xdr_enc *e, const struct nfs4_open_delegation *g)
{
	if (!xdr_encode_u32(e, g->type))
		return false;
	switch (g->type) {
	case OPEN_DELEGATE_NONE:
		return true;
	case OPEN_DELEGATE_READ:
		return nfs4_encode_stateid(e, &g->stateid) && xdr_encode_bool(e, g->recall) &&
		       enc_ace(e, &g->permissions);
	case OPEN_DELEGATE_WRITE:
		return nfs4_encode_stateid(e, &g->stateid) && xdr_encode_bool(e, g->recall) &&
		       enc_space_limit(e, &g->space_limit) && enc_ace(e, &g->permissions);
	case OPEN_DELEGATE_NONE_EXT:
		if (!xdr_encode_u32(e, g->why))
			return false;
		if (g->why == WND4_CONTENTION || g->why == WND4_RESOURCE)
			return xdr_encode_bool(e, g->server_will);
		return true;
	default:
		return false;
	}
}

static bool dec_delegation(struct xdr_dec *d, struct nfs4_open_delegation *g)
{
	memset(g, 0, sizeof(*g));
	if (!xdr_decode_u32(d, &g->type))
		return false;
	switch (g->type) {
	case OPEN_DELEGATE_NONE:
		return true;
	case OPEN_DELEGATE_READ:
		return nfs4_decode_stateid(d, &g->stateid) && xdr_decode_bool(d, &g->recall) &&
		       dec_ace(d, &g->permissions);
	case OPEN_DELEGATE_WRITE:
		return nfs4_decode_stateid(d, &g->stateid) && xdr_decode_bool(d, &g->recall) &&
		       dec_space_limit(d, &g->space_limit) && dec_ace(d, &g->permissions);
	case OPEN_DELEGATE_NONE_EXT:
		if (!xdr_decode_u32(d, &g->why))
			return false;
		if (g->why == WND4_CONTENTION || g->why == WND4_RESOURCE)
			return xdr_decode_bool(d, &g->server_will);
		return true;
	default:
		return false;
	}
}

bool nfs4_enc_open_res(struct xdr_enc *e, const struct nfs4_open_res *r)
{
	return nfs4_encode_stateid(e, &r->stateid) && nfs4_enc_change_info(e, &r->cinfo) &&
	       xdr_encode_u32(e, r->rflags) && nfs4_encode_bitmap(e, &r->attrset) &&
	       enc_delegation(e, &r->delegation);
}

bool nfs4_dec_open_res(struct xdr_dec *d, struct nfs4_open_res *r)
{
	return nfs4_decode_stateid(d, &r->stateid) && nfs4_dec_change_info(d, &r->cinfo) &&
	       xdr_decode_u32(d, &r->rflags) &&
	       nfs4_decode_bitmap(d, &r->attrset, &r->mask_extra) &&
	       dec_delegation(d, &r->delegation);
}

/* --- OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE ---------------------------------------------- */

bool nfs4_enc_open_confirm_args(struct xdr_enc *e, const struct nfs4_open_confirm_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u32(e, a->seqid);
}

bool nfs4_dec_open_confirm_args(struct xdr_dec *d, struct nfs4_open_confirm_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u32(d, &a->seqid);
}

bool nfs4_enc_open_downgrade_args(struct xdr_enc *e, const struct nfs4_open_downgrade_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u32(e, a->seqid) &&
	       xdr_encode_u32(e, a->share_access) && xdr_encode_u32(e, a->share_deny);
}

bool nfs4_dec_open_downgrade_args(struct xdr_dec *d, struct nfs4_open_downgrade_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u32(d, &a->seqid) &&
	       xdr_decode_u32(d, &a->share_access) && xdr_decode_u32(d, &a->share_deny);
}

bool nfs4_enc_close_args(struct xdr_enc *e, const struct nfs4_close_args *a)
{
	return xdr_encode_u32(e, a->seqid) && nfs4_encode_stateid(e, &a->stateid);
}

bool nfs4_dec_close_args(struct xdr_dec *d, struct nfs4_close_args *a)
{
	return xdr_decode_u32(d, &a->seqid) && nfs4_decode_stateid(d, &a->stateid);
}

bool nfs4_enc_stateid_res(struct xdr_enc *e, const struct nfs4_stateid_res *r)
{
	return nfs4_encode_stateid(e, &r->stateid);
}

bool nfs4_dec_stateid_res(struct xdr_dec *d, struct nfs4_stateid_res *r)
{
	return nfs4_decode_stateid(d, &r->stateid);
}

/* --- locks ---------------------------------------------------------------------------- */

static bool enc_locker(struct xdr_enc *e, const struct nfs4_locker *l)
{
	if (!xdr_encode_bool(e, l->new_lock_owner))
		return false;
	if (l->new_lock_owner)
		return xdr_encode_u32(e, l->open_seqid) && nfs4_encode_stateid(e, &l->open_stateid) &&
		       xdr_encode_u32(e, l->lock_seqid) && enc_owner(e, &l->owner);
	return nfs4_encode_stateid(e, &l->lock_stateid) && xdr_encode_u32(e, l->lock_seqid);
}

static bool dec_locker(struct xdr_dec *d, struct nfs4_locker *l)
{
	memset(l, 0, sizeof(*l));
	if (!xdr_decode_bool(d, &l->new_lock_owner))
		return false;
	if (l->new_lock_owner)
		return xdr_decode_u32(d, &l->open_seqid) && nfs4_decode_stateid(d, &l->open_stateid) &&
		       xdr_decode_u32(d, &l->lock_seqid) && dec_owner(d, &l->owner);
	return nfs4_decode_stateid(d, &l->lock_stateid) && xdr_decode_u32(d, &l->lock_seqid);
}

bool nfs4_enc_lock_args(struct xdr_enc *e, const struct nfs4_lock_args *a)
{
	return xdr_encode_u32(e, a->locktype) && xdr_encode_bool(e, a->reclaim) &&
	       xdr_encode_u64(e, a->offset) && xdr_encode_u64(e, a->length) &&
	       enc_locker(e, &a->locker);
}

bool nfs4_dec_lock_args(struct xdr_dec *d, struct nfs4_lock_args *a)
{
	return xdr_decode_u32(d, &a->locktype) && xdr_decode_bool(d, &a->reclaim) &&
	       xdr_decode_u64(d, &a->offset) && xdr_decode_u64(d, &a->length) &&
	       dec_locker(d, &a->locker);
}

bool nfs4_enc_lock_denied(struct xdr_enc *e, const struct nfs4_lock_denied *r)
{
	return xdr_encode_u64(e, r->offset) && xdr_encode_u64(e, r->length) &&
	       xdr_encode_u32(e, r->locktype) && enc_owner(e, &r->owner);
}

bool nfs4_dec_lock_denied(struct xdr_dec *d, struct nfs4_lock_denied *r)
{
	return xdr_decode_u64(d, &r->offset) && xdr_decode_u64(d, &r->length) &&
	       xdr_decode_u32(d, &r->locktype) && dec_owner(d, &r->owner);
}

bool nfs4_enc_lockt_args(struct xdr_enc *e, const struct nfs4_lockt_args *a)
{
	return xdr_encode_u32(e, a->locktype) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u64(e, a->length) && enc_owner(e, &a->owner);
}

bool nfs4_dec_lockt_args(struct xdr_dec *d, struct nfs4_lockt_args *a)
{
	return xdr_decode_u32(d, &a->locktype) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u64(d, &a->length) && dec_owner(d, &a->owner);
}

bool nfs4_enc_locku_args(struct xdr_enc *e, const struct nfs4_locku_args *a)
{
	return xdr_encode_u32(e, a->locktype) && xdr_encode_u32(e, a->seqid) &&
	       nfs4_encode_stateid(e, &a->stateid) && xdr_encode_u64(e, a->offset) &&
	       xdr_encode_u64(e, a->length);
}

bool nfs4_dec_locku_args(struct xdr_dec *d, struct nfs4_locku_args *a)
{
	return xdr_decode_u32(d, &a->locktype) && xdr_decode_u32(d, &a->seqid) &&
	       nfs4_decode_stateid(d, &a->stateid) && xdr_decode_u64(d, &a->offset) &&
	       xdr_decode_u64(d, &a->length);
}

/* --- delegations ---------------------------------------------------------------------- */

bool nfs4_enc_delegreturn_args(struct xdr_enc *e, const struct nfs4_delegreturn_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid);
}

bool nfs4_dec_delegreturn_args(struct xdr_dec *d, struct nfs4_delegreturn_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid);
}

bool nfs4_enc_delegpurge_args(struct xdr_enc *e, const struct nfs4_delegpurge_args *a)
{
	return xdr_encode_u64(e, a->clientid);
}

bool nfs4_dec_delegpurge_args(struct xdr_dec *d, struct nfs4_delegpurge_args *a)
{
	return xdr_decode_u64(d, &a->clientid);
}
