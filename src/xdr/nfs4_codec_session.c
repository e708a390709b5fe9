#include "xdr/nfs4_codec_session.h"
#include "xdr/nfs4_codec_stream.h"

/* --- lists ----------------------------------------------------------------- */

/* The decoding half of every list: count, then each item checked by step. */
static bool list_decode(struct xdr_dec *d, uint32_t max, bool (*step)(struct xdr_dec *, void *),
			void *ctx, struct nfs4_list *l)
{
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > max)
		return false;
	const uint8_t *start = d->p;
	/* Every item takes at least 4 bytes, so a count past that cannot be
	 * real and the loop below stays proportional to the input. */
	if (n > xdr_dec_remaining(d) / 4)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!step(d, ctx))
			return false;
	l->count = n;
	l->wire.data = start;
	l->wire.len = (uint32_t)(d->p - start);
	return true;
}

struct dec_step {
	nfs4_list_item_dec *item;
	void *scratch;
};

static bool dec_step(struct xdr_dec *d, void *ctx)
{
	struct dec_step *s = ctx;
	return s->item(d, s->scratch);
}

bool nfs4_dec_list(struct xdr_dec *d, uint32_t max, nfs4_list_item_dec *item, void *scratch,
		   struct nfs4_list *l)
{
	struct dec_step s = {item, scratch};
	return list_decode(d, max, dec_step, &s, l);
}

struct stream_step {
	xdr_item_fn *item;
	void *scratch;
};

static bool stream_step(struct xdr_dec *d, void *ctx)
{
	struct stream_step *s = ctx;
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return s->item(&x, s->scratch);
}

bool nfs4_enc_list_wire(struct xdr_enc *e, const struct nfs4_list *l)
{
	return xdr_encode_u32(e, l->count) && xdr_encode_opaque_fixed(e, l->wire.data, l->wire.len);
}

bool xdr_list(struct xdr_stream *x, uint32_t max, struct nfs4_list *l, const void *items,
	      size_t size, xdr_item_fn *item, void *scratch)
{
	if (xdr_is_dec(x)) {
		struct stream_step s = {item, scratch};
		return list_decode(x->d, max, stream_step, &s, l);
	}
	if (!items)
		return nfs4_enc_list_wire(x->e, l);
	if (!xdr_encode_u32(x->e, l->count))
		return false;
	for (uint32_t i = 0; i < l->count; i++)
		/* Encoding only reads the item. */
		if (!item(x, (void *)((uintptr_t)items + i * size)))
			return false;
	return true;
}

static bool xdr_list_opaque(struct xdr_stream *x, struct nfs4_opaque *o)
{
	return xdr_opaque(x, NFS4_OPAQUE_LIMIT, o);
}

bool nfs4_dec_opaque_item(struct xdr_dec *it, struct nfs4_opaque *o)
{
	struct xdr_stream x = XDR_DEC_STREAM(it);
	return xdr_list_opaque(&x, o);
}

XDR_ITEM(list_opaque)

/* sec_oid4<> and gsshandle4_t<> lists: Ferry implements no SSV, so these
 * only ever re-encode from wire bytes. */
static bool xdr_opaque_list(struct xdr_stream *x, struct nfs4_list *l)
{
	struct nfs4_opaque o;
	return xdr_list(x, UINT32_MAX, l, NULL, 0, xdr_list_opaque_item, &o);
}

/* --- shared pieces --------------------------------------------------------- */

bool xdr_sessionid(struct xdr_stream *x, struct nfs4_sessionid *s)
{
	return xdr_fixed(x, NFS4_SESSIONID_SIZE, s->data);
}

NFS4_CODEC_PAIR(sessionid, struct nfs4_sessionid)

static bool xdr_sp_ops(struct xdr_stream *x, struct nfs4_sp_ops *o)
{
	if (xdr_is_dec(x))
		o->extra = false;
	return xdr_bitmap_or(x, &o->must_enforce, &o->extra) &&
	       xdr_bitmap_or(x, &o->must_allow, &o->extra);
}

/* state_protect4_a and state_protect4_r share the discriminant and every
 * arm but SSV's rest, which *ssv asks the caller to describe. */
static bool xdr_sp_how(struct xdr_stream *x, uint32_t *how, struct nfs4_sp_ops *ops, bool *ssv)
{
	*ssv = false;
	if (!xdr_u32(x, how))
		return false;
	switch (*how) {
	case SP4_NONE:
		return true;
	case SP4_SSV:
		*ssv = true;
		/* fall through */
	case SP4_MACH_CRED:
		return xdr_sp_ops(x, ops);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_state_protect_a(struct xdr_stream *x, struct nfs4_state_protect_a *s)
{
	bool ssv;
	return xdr_sp_how(x, &s->how, &s->ops, &ssv) &&
	       (!ssv || (xdr_opaque_list(x, &s->hash_algs) && xdr_opaque_list(x, &s->encr_algs) &&
			 xdr_u32(x, &s->window) && xdr_u32(x, &s->num_gss_handles)));
}

static bool xdr_state_protect_r(struct xdr_stream *x, struct nfs4_state_protect_r *s)
{
	bool ssv;
	return xdr_sp_how(x, &s->how, &s->ops, &ssv) &&
	       (!ssv || (xdr_u32(x, &s->hash_alg) && xdr_u32(x, &s->encr_alg) &&
			 xdr_u32(x, &s->ssv_len) && xdr_u32(x, &s->window) &&
			 xdr_opaque_list(x, &s->handles)));
}

/* nfs_impl_id4<1> */
static bool xdr_impl_id(struct xdr_stream *x, bool *has, struct nfs4_impl_id *id)
{
	return xdr_optional(x, has) &&
	       (!*has || (xdr_opaque(x, NFS4_OPAQUE_LIMIT, &id->domain) &&
			  xdr_opaque(x, NFS4_OPAQUE_LIMIT, &id->name) && xdr_time(x, &id->date)));
}

/* --- EXCHANGE_ID ----------------------------------------------------------- */

NFS4_CODEC_TYPE(exchange_id_args, struct nfs4_exchange_id_args, a,
		xdr_verifier(x, &a->verifier) && xdr_opaque(x, NFS4_OPAQUE_LIMIT, &a->ownerid) &&
		xdr_u32(x, &a->flags) && xdr_state_protect_a(x, &a->state_protect) &&
		xdr_impl_id(x, &a->has_impl_id, &a->impl_id))

NFS4_CODEC_TYPE(exchange_id_res, struct nfs4_exchange_id_res, r,
		xdr_u64(x, &r->clientid) && xdr_u32(x, &r->sequenceid) && xdr_u32(x, &r->flags) &&
		xdr_state_protect_r(x, &r->state_protect) && xdr_u64(x, &r->server_minor_id) &&
		xdr_opaque(x, NFS4_OPAQUE_LIMIT, &r->server_major_id) &&
		xdr_opaque(x, NFS4_OPAQUE_LIMIT, &r->server_scope) &&
		xdr_impl_id(x, &r->has_impl_id, &r->impl_id))

/* --- CREATE_SESSION -------------------------------------------------------- */

static bool xdr_chan_attrs(struct xdr_stream *x, struct nfs4_chan_attrs *c)
{
	uint8_t *p = xdr_span(x, 7 * 4);
	if (!p)
		return false;
	xdr_span_u32(x, &p, &c->headerpadsize);
	xdr_span_u32(x, &p, &c->maxrequestsize);
	xdr_span_u32(x, &p, &c->maxresponsesize);
	xdr_span_u32(x, &p, &c->maxresponsesize_cached);
	xdr_span_u32(x, &p, &c->maxoperations);
	xdr_span_u32(x, &p, &c->maxrequests);
	if (!xdr_span_bool(x, &p, &c->has_rdma_ird))
		return false;
	if (xdr_is_dec(x))
		c->rdma_ird = 0;
	return !c->has_rdma_ird || xdr_u32(x, &c->rdma_ird);
}

NFS4_CODEC_PAIR(chan_attrs, struct nfs4_chan_attrs)

static bool xdr_authsys(struct xdr_stream *x, struct nfs4_authsys_parms *s)
{
	if (xdr_is_enc(x) && (s->ngids > NFS4_AUTHSYS_GIDS_MAX ||
			      s->machinename.len > NFS4_AUTHSYS_MACHINENAME_MAX))
		return xdr_refuse(x);
	if (!xdr_u32(x, &s->stamp) ||
	    !xdr_opaque(x, NFS4_AUTHSYS_MACHINENAME_MAX, &s->machinename) ||
	    !xdr_u32(x, &s->uid) || !xdr_u32(x, &s->gid) ||
	    !xdr_count(x, NFS4_AUTHSYS_GIDS_MAX, &s->ngids))
		return false;
	for (uint32_t i = 0; i < s->ngids; i++)
		if (!xdr_u32(x, &s->gids[i]))
			return false;
	return true;
}

static bool xdr_cb_sec_parms(struct xdr_stream *x, struct nfs4_cb_sec_parms *p)
{
	if (!xdr_u32(x, &p->flavor))
		return false;
	switch (p->flavor) {
	case NFS4_AUTH_NONE:
		return true;
	case NFS4_AUTH_SYS:
		return xdr_authsys(x, &p->sys);
	case RPCSEC_GSS:
		return xdr_u32(x, &p->gss_service) &&
		       xdr_opaque(x, UINT32_MAX, &p->gss_handle_from_server) &&
		       xdr_opaque(x, UINT32_MAX, &p->gss_handle_from_client);
	default:
		return xdr_refuse(x);
	}
}

NFS4_CODEC_PAIR(cb_sec_parms, struct nfs4_cb_sec_parms)

XDR_LIST_OF(cb_sec_parms)

static bool xdr_cb_sec_list(struct xdr_stream *x, struct nfs4_cb_sec_list *s)
{
	return xdr_cb_sec_parms_list(x, &s->l, &s->items);
}

NFS4_CODEC_TYPE(create_session_args, struct nfs4_create_session_args, a,
		xdr_u64(x, &a->clientid) && xdr_u32(x, &a->sequence) && xdr_u32(x, &a->flags) &&
		xdr_chan_attrs(x, &a->fore) && xdr_chan_attrs(x, &a->back) &&
		xdr_u32(x, &a->cb_program) && xdr_cb_sec_list(x, &a->sec_parms))

NFS4_CODEC_TYPE(create_session_res, struct nfs4_create_session_res, r,
		xdr_sessionid(x, &r->sessionid) && xdr_u32(x, &r->sequence) &&
		xdr_u32(x, &r->flags) && xdr_chan_attrs(x, &r->fore) && xdr_chan_attrs(x, &r->back))

/* --- DESTROY_SESSION, SEQUENCE, BIND_CONN_TO_SESSION, BACKCHANNEL_CTL ------ */

NFS4_CODEC_TYPE(destroy_session_args, struct nfs4_destroy_session_args, a,
		xdr_sessionid(x, &a->sessionid))

/* SEQUENCE is on every v4.1 request: one bounds check, no per-field ones.
 * Its arguments and result begin alike: sessionid, sequenceid, slotid,
 * highest_slotid; sequence_head spans those and the `tail` bytes of fixed
 * fields that follow, which the caller steps through *p. */
XDR_HOT bool xdr_sequence_head(struct xdr_stream *x, size_t tail, uint8_t **p,
			       struct nfs4_sessionid *sessionid, uint32_t *sequenceid,
			       uint32_t *slotid, uint32_t *highest_slotid)
{
	*p = xdr_span(x, NFS4_SESSIONID_SIZE + 12 + tail);
	if (!*p)
		return false;
	xdr_span_fixed(x, p, NFS4_SESSIONID_SIZE, sessionid->data);
	xdr_span_u32(x, p, sequenceid);
	xdr_span_u32(x, p, slotid);
	xdr_span_u32(x, p, highest_slotid);
	return true;
}

XDR_HOT bool xdr_sequence_args(struct xdr_stream *x, struct nfs4_sequence_args *a)
{
	uint8_t *p;
	return xdr_sequence_head(x, 4, &p, &a->sessionid, &a->sequenceid, &a->slotid,
				 &a->highest_slotid) &&
	       xdr_span_bool(x, &p, &a->cachethis);
}

NFS4_CODEC_PAIR(sequence_args, struct nfs4_sequence_args)

XDR_HOT bool xdr_sequence_res(struct xdr_stream *x, struct nfs4_sequence_res *r)
{
	uint8_t *p;
	if (!xdr_sequence_head(x, 8, &p, &r->sessionid, &r->sequenceid, &r->slotid,
			       &r->highest_slotid))
		return false;
	xdr_span_u32(x, &p, &r->target_highest_slotid);
	xdr_span_u32(x, &p, &r->status_flags);
	return true;
}

NFS4_CODEC_PAIR(sequence_res, struct nfs4_sequence_res)

NFS4_CODEC_TYPE(bind_conn, struct nfs4_bind_conn, b,
		xdr_sessionid(x, &b->sessionid) && xdr_u32(x, &b->dir) &&
		xdr_bool(x, &b->use_conn_in_rdma_mode))

NFS4_CODEC_TYPE(backchannel_ctl_args, struct nfs4_backchannel_ctl_args, a,
		xdr_u32(x, &a->cb_program) && xdr_cb_sec_list(x, &a->sec_parms))

/* --- DESTROY_CLIENTID, RECLAIM_COMPLETE, RENEW ----------------------------- */

NFS4_CODEC_TYPE(reclaim_complete_args, struct nfs4_reclaim_complete_args, a,
		xdr_bool(x, &a->one_fs))


/* --- TEST_STATEID, FREE_STATEID -------------------------------------------- */

enum { STATEID_WIRE = 4 + NFS4_OTHER_SIZE };

XDR_ITEM(stateid)

XDR_ITEM(u32)

static bool xdr_test_stateid_args(struct xdr_stream *x, struct nfs4_test_stateid_args *a)
{
	if (xdr_is_dec(x))
		a->items = NULL;
	return xdr_fixed_list(x, &a->count, STATEID_WIRE, &a->wire, a->items, sizeof(*a->items),
			      xdr_stateid_item);
}

NFS4_CODEC_PAIR(test_stateid_args, struct nfs4_test_stateid_args)

static bool xdr_test_stateid_res(struct xdr_stream *x, struct nfs4_test_stateid_res *r)
{
	if (xdr_is_dec(x))
		r->items = NULL;
	return xdr_fixed_list(x, &r->count, 4, &r->wire, r->items, sizeof(*r->items), xdr_u32_item);
}

NFS4_CODEC_PAIR(test_stateid_res, struct nfs4_test_stateid_res)

void nfs4_test_stateid_args_get(const struct nfs4_test_stateid_args *a, uint32_t i,
				struct nfs4_stateid *out)
{
	xdr_fixed_item(a->items, sizeof(*a->items), a->wire, STATEID_WIRE, i, xdr_stateid_item,
		       out);
}

uint32_t nfs4_test_stateid_res_get(const struct nfs4_test_stateid_res *r, uint32_t i)
{
	uint32_t v;
	xdr_fixed_item(r->items, sizeof(*r->items), r->wire, 4, i, xdr_u32_item, &v);
	return v;
}


/* --- SECINFO result, SECINFO_NO_NAME --------------------------------------- */

NFS4_CODEC_TYPE(secinfo, struct nfs4_secinfo, s,
		xdr_u32(x, &s->flavor) &&
		(s->flavor != RPCSEC_GSS || (xdr_opaque(x, NFS4_OPAQUE_LIMIT, &s->gss_oid) &&
		xdr_u32(x, &s->gss_qop) && xdr_u32(x, &s->gss_service))))

XDR_LIST_OF(secinfo)

NFS4_CODEC_TYPE(secinfo_res, struct nfs4_secinfo_res, r,
		xdr_secinfo_list(x, &r->l, &r->items))

NFS4_CODEC_TYPE(secinfo_no_name_args, struct nfs4_secinfo_no_name_args, a,
		xdr_u32(x, &a->style))

/* --- SET_SSV --------------------------------------------------------------- */

NFS4_CODEC_TYPE(set_ssv_args, struct nfs4_set_ssv_args, a,
		xdr_opaque(x, UINT32_MAX, &a->ssv) && xdr_opaque(x, UINT32_MAX, &a->digest))

NFS4_CODEC_TYPE(set_ssv_res, struct nfs4_set_ssv_res, r,
		xdr_opaque(x, UINT32_MAX, &r->digest))

/* --- SETCLIENTID, SETCLIENTID_CONFIRM, RELEASE_LOCKOWNER ------------------- */

static bool xdr_netaddr(struct xdr_stream *x, struct nfs4_netaddr *n)
{
	return xdr_opaque(x, UINT32_MAX, &n->netid) && xdr_opaque(x, UINT32_MAX, &n->addr);
}

NFS4_CODEC_TYPE(setclientid_args, struct nfs4_setclientid_args, a,
		xdr_verifier(x, &a->verifier) && xdr_opaque(x, NFS4_OPAQUE_LIMIT, &a->id) &&
		xdr_u32(x, &a->cb_program) && xdr_netaddr(x, &a->cb_location) &&
		xdr_u32(x, &a->callback_ident))

static bool xdr_setclientid_res(struct xdr_stream *x, uint32_t status,
				struct nfs4_setclientid_res *r)
{
	if (status == NFS4_OK)
		return xdr_u64(x, &r->clientid) && xdr_verifier(x, &r->confirm);
	if (status == NFS4ERR_CLID_INUSE)
		return xdr_netaddr(x, &r->inuse_addr);
	return xdr_is_dec(x) || !x->e->overflow;
}

bool nfs4_enc_setclientid_res(struct xdr_enc *e, uint32_t status,
			      const struct nfs4_setclientid_res *r)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_setclientid_res(&x, status, (struct nfs4_setclientid_res *)r);
}

bool nfs4_dec_setclientid_res(struct xdr_dec *d, uint32_t status, struct nfs4_setclientid_res *r)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_setclientid_res(&x, status, r);
}

NFS4_CODEC_TYPE(setclientid_confirm_args, struct nfs4_setclientid_confirm_args, a,
		xdr_u64(x, &a->clientid) && xdr_verifier(x, &a->confirm))

NFS4_CODEC_TYPE(release_lockowner_args, struct nfs4_release_lockowner_args, a,
		xdr_state_owner(x, &a->owner))

/* --- GET_DIR_DELEGATION ---------------------------------------------------- */

static bool xdr_get_dir_delegation_args(struct xdr_stream *x,
					struct nfs4_get_dir_delegation_args *a)
{
	if (xdr_is_dec(x))
		a->extra = false;
	return xdr_bool(x, &a->signal_deleg_avail) &&
	       xdr_bitmap_or(x, &a->notification_types, &a->extra) &&
	       xdr_time(x, &a->child_attr_delay) && xdr_time(x, &a->dir_attr_delay) &&
	       xdr_bitmap_or(x, &a->child_attributes, &a->extra) &&
	       xdr_bitmap_or(x, &a->dir_attributes, &a->extra);
}

NFS4_CODEC_PAIR(get_dir_delegation_args, struct nfs4_get_dir_delegation_args)

static bool xdr_get_dir_delegation_res(struct xdr_stream *x,
				       struct nfs4_get_dir_delegation_res *r)
{
	if (!xdr_u32(x, &r->status))
		return false;
	if (xdr_is_dec(x))
		r->extra = false;
	switch (r->status) {
	case GDD4_OK:
		return xdr_verifier(x, &r->cookieverf) && xdr_stateid(x, &r->stateid) &&
		       xdr_bitmap_or(x, &r->notification, &r->extra) &&
		       xdr_bitmap_or(x, &r->child_attributes, &r->extra) &&
		       xdr_bitmap_or(x, &r->dir_attributes, &r->extra);
	case GDD4_UNAVAIL:
		return xdr_bool(x, &r->will_signal_deleg_avail);
	default:
		return xdr_refuse(x);
	}
}

NFS4_CODEC_PAIR(get_dir_delegation_res, struct nfs4_get_dir_delegation_res)

/* --- WANT_DELEGATION ------------------------------------------------------ */

static bool xdr_want_delegation_args(struct xdr_stream *x, struct nfs4_want_delegation_args *a)
{
	if (!xdr_u32(x, &a->want) || !xdr_u32(x, &a->claim))
		return false;
	switch (a->claim) {
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	case CLAIM_PREVIOUS:
		return xdr_u32(x, &a->delegate_type);
	default:
		return xdr_refuse(x);
	}
}

NFS4_CODEC_PAIR(want_delegation_args, struct nfs4_want_delegation_args)

NFS4_CODEC_TYPE(want_delegation_res, struct nfs4_want_delegation_res, r,
		xdr_open_delegation(x, &r->deleg))

