#include "xdr/nfs4_codec_session.h"

/* --- lists ----------------------------------------------------------------- */

bool nfs4_dec_list(struct xdr_dec *d, uint32_t max, nfs4_list_item_dec *item, void *scratch,
		   struct nfs4_list *l)
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
		if (!item(d, scratch))
			return false;
	l->count = n;
	l->wire.data = start;
	l->wire.len = (uint32_t)(d->p - start);
	return true;
}

bool nfs4_enc_list_wire(struct xdr_enc *e, const struct nfs4_list *l)
{
	return xdr_encode_u32(e, l->count) && xdr_encode_opaque_fixed(e, l->wire.data, l->wire.len);
}

bool nfs4_dec_opaque_item(struct xdr_dec *it, struct nfs4_opaque *o)
{
	return nfs4_dec_opaque(it, NFS4_OPAQUE_LIMIT, o);
}

static bool opaque_item(struct xdr_dec *d, void *scratch)
{
	return nfs4_dec_opaque_item(d, scratch);
}

static bool dec_opaque_list(struct xdr_dec *d, struct nfs4_list *l)
{
	struct nfs4_opaque o;
	return nfs4_dec_list(d, UINT32_MAX, opaque_item, &o, l);
}

/* --- shared pieces --------------------------------------------------------- */

bool nfs4_enc_sessionid(struct xdr_enc *e, const struct nfs4_sessionid *s)
{
	return xdr_encode_opaque_fixed(e, s->data, NFS4_SESSIONID_SIZE);
}

bool nfs4_dec_sessionid(struct xdr_dec *d, struct nfs4_sessionid *s)
{
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(d, NFS4_SESSIONID_SIZE, &p))
		return false;
	memcpy(s->data, p, NFS4_SESSIONID_SIZE);
	return true;
}

static bool enc_sp_ops(struct xdr_enc *e, const struct nfs4_sp_ops *o)
{
	return nfs4_encode_bitmap(e, &o->must_enforce) && nfs4_encode_bitmap(e, &o->must_allow);
}

static bool dec_sp_ops(struct xdr_dec *d, struct nfs4_sp_ops *o)
{
	bool x1, x2;
	if (!nfs4_decode_bitmap(d, &o->must_enforce, &x1) ||
	    !nfs4_decode_bitmap(d, &o->must_allow, &x2))
		return false;
	o->extra = x1 || x2;
	return true;
}

static bool enc_state_protect_a(struct xdr_enc *e, const struct nfs4_state_protect_a *s)
{
	if (!xdr_encode_u32(e, s->how))
		return false;
	switch (s->how) {
	case SP4_NONE:
		return true;
	case SP4_MACH_CRED:
		return enc_sp_ops(e, &s->ops);
	case SP4_SSV:
		return enc_sp_ops(e, &s->ops) && nfs4_enc_list_wire(e, &s->hash_algs) &&
		       nfs4_enc_list_wire(e, &s->encr_algs) && xdr_encode_u32(e, s->window) &&
		       xdr_encode_u32(e, s->num_gss_handles);
	default:
		return false;
	}
}

static bool dec_state_protect_a(struct xdr_dec *d, struct nfs4_state_protect_a *s)
{
	if (!xdr_decode_u32(d, &s->how))
		return false;
	switch (s->how) {
	case SP4_NONE:
		return true;
	case SP4_MACH_CRED:
		return dec_sp_ops(d, &s->ops);
	case SP4_SSV:
		return dec_sp_ops(d, &s->ops) && dec_opaque_list(d, &s->hash_algs) &&
		       dec_opaque_list(d, &s->encr_algs) && xdr_decode_u32(d, &s->window) &&
		       xdr_decode_u32(d, &s->num_gss_handles);
	default:
		return false;
	}
}

static bool enc_state_protect_r(struct xdr_enc *e, const struct nfs4_state_protect_r *s)
{
	if (!xdr_encode_u32(e, s->how))
		return false;
	switch (s->how) {
	case SP4_NONE:
		return true;
	case SP4_MACH_CRED:
		return enc_sp_ops(e, &s->ops);
	case SP4_SSV:
		return enc_sp_ops(e, &s->ops) && xdr_encode_u32(e, s->hash_alg) &&
		       xdr_encode_u32(e, s->encr_alg) && xdr_encode_u32(e, s->ssv_len) &&
		       xdr_encode_u32(e, s->window) && nfs4_enc_list_wire(e, &s->handles);
	default:
		return false;
	}
}

static bool dec_state_protect_r(struct xdr_dec *d, struct nfs4_state_protect_r *s)
{
	if (!xdr_decode_u32(d, &s->how))
		return false;
	switch (s->how) {
	case SP4_NONE:
		return true;
	case SP4_MACH_CRED:
		return dec_sp_ops(d, &s->ops);
	case SP4_SSV:
		return dec_sp_ops(d, &s->ops) && xdr_decode_u32(d, &s->hash_alg) &&
		       xdr_decode_u32(d, &s->encr_alg) && xdr_decode_u32(d, &s->ssv_len) &&
		       xdr_decode_u32(d, &s->window) && dec_opaque_list(d, &s->handles);
	default:
		return false;
	}
}

/* nfs_impl_id4<1> */
static bool enc_impl_id(struct xdr_enc *e, bool has, const struct nfs4_impl_id *id)
{
	if (!xdr_encode_u32(e, has ? 1 : 0))
		return false;
	return !has || (nfs4_enc_opaque(e, id->domain) && nfs4_enc_opaque(e, id->name) &&
			nfs4_encode_time(e, &id->date));
}

static bool dec_impl_id(struct xdr_dec *d, bool *has, struct nfs4_impl_id *id)
{
	uint32_t n;
	if (!xdr_decode_u32(d, &n) || n > 1)
		return false;
	*has = n == 1;
	return !*has || (nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &id->domain) &&
			 nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &id->name) &&
			 nfs4_decode_time(d, &id->date));
}

/* --- EXCHANGE_ID ----------------------------------------------------------- */

bool nfs4_enc_exchange_id_args(struct xdr_enc *e, const struct nfs4_exchange_id_args *a)
{
	return nfs4_enc_verifier(e, &a->verifier) && nfs4_enc_opaque(e, a->ownerid) &&
	       xdr_encode_u32(e, a->flags) && enc_state_protect_a(e, &a->state_protect) &&
	       enc_impl_id(e, a->has_impl_id, &a->impl_id);
}

bool nfs4_dec_exchange_id_args(struct xdr_dec *d, struct nfs4_exchange_id_args *a)
{
	return nfs4_dec_verifier(d, &a->verifier) &&
	       nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &a->ownerid) && xdr_decode_u32(d, &a->flags) &&
	       dec_state_protect_a(d, &a->state_protect) &&
	       dec_impl_id(d, &a->has_impl_id, &a->impl_id);
}

bool nfs4_enc_exchange_id_res(struct xdr_enc *e, const struct nfs4_exchange_id_res *r)
{
	return xdr_encode_u64(e, r->clientid) && xdr_encode_u32(e, r->sequenceid) &&
	       xdr_encode_u32(e, r->flags) && enc_state_protect_r(e, &r->state_protect) &&
	       xdr_encode_u64(e, r->server_minor_id) && nfs4_enc_opaque(e, r->server_major_id) &&
	       nfs4_enc_opaque(e, r->server_scope) && enc_impl_id(e, r->has_impl_id, &r->impl_id);
}

bool nfs4_dec_exchange_id_res(struct xdr_dec *d, struct nfs4_exchange_id_res *r)
{
	return xdr_decode_u64(d, &r->clientid) && xdr_decode_u32(d, &r->sequenceid) &&
	       xdr_decode_u32(d, &r->flags) && dec_state_protect_r(d, &r->state_protect) &&
	       xdr_decode_u64(d, &r->server_minor_id) &&
	       nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &r->server_major_id) &&
	       nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &r->server_scope) &&
	       dec_impl_id(d, &r->has_impl_id, &r->impl_id);
}

/* --- CREATE_SESSION -------------------------------------------------------- */

bool nfs4_enc_chan_attrs(struct xdr_enc *e, const struct nfs4_chan_attrs *c)
{
	uint8_t *p = xdr_enc_reserve(e, 7 * 4 + (c->has_rdma_ird ? 4 : 0));
	if (!p)
		return false;
	xdr_put_be32(p, c->headerpadsize);
	xdr_put_be32(p + 4, c->maxrequestsize);
	xdr_put_be32(p + 8, c->maxresponsesize);
	xdr_put_be32(p + 12, c->maxresponsesize_cached);
	xdr_put_be32(p + 16, c->maxoperations);
	xdr_put_be32(p + 20, c->maxrequests);
	xdr_put_be32(p + 24, c->has_rdma_ird ? 1 : 0);
	if (c->has_rdma_ird)
		xdr_put_be32(p + 28, c->rdma_ird);
	return true;
}

bool nfs4_dec_chan_attrs(struct xdr_dec *d, struct nfs4_chan_attrs *c)
{
	uint32_t n = 0;
	if (xdr_dec_remaining(d) < 7 * 4)
		return false;
	xdr_decode_u32(d, &c->headerpadsize);
	xdr_decode_u32(d, &c->maxrequestsize);
	xdr_decode_u32(d, &c->maxresponsesize);
	xdr_decode_u32(d, &c->maxresponsesize_cached);
	xdr_decode_u32(d, &c->maxoperations);
	xdr_decode_u32(d, &c->maxrequests);
	xdr_decode_u32(d, &n);
	if (n > 1)
		return false;
	c->has_rdma_ird = n == 1;
	c->rdma_ird = 0;
	return !c->has_rdma_ird || xdr_decode_u32(d, &c->rdma_ird);
}

static bool enc_authsys(struct xdr_enc *e, const struct nfs4_authsys_parms *s)
{
	if (s->ngids > NFS4_AUTHSYS_GIDS_MAX ||
	    s->machinename.len > NFS4_AUTHSYS_MACHINENAME_MAX) {
		e->overflow = true; /* an encoder must not put out what no decoder takes */
		return false;
	}
	if (!xdr_encode_u32(e, s->stamp) || !nfs4_enc_opaque(e, s->machinename) ||
	    !xdr_encode_u32(e, s->uid) || !xdr_encode_u32(e, s->gid) ||
	    !xdr_encode_u32(e, s->ngids))
		return false;
	for (uint32_t i = 0; i < s->ngids; i++)
		if (!xdr_encode_u32(e, s->gids[i]))
			return false;
	return true;
}

static bool dec_authsys(struct xdr_dec *d, struct nfs4_authsys_parms *s)
{
	if (!xdr_decode_u32(d, &s->stamp) ||
	    !nfs4_dec_opaque(d, NFS4_AUTHSYS_MACHINENAME_MAX, &s->machinename) ||
	    !xdr_decode_u32(d, &s->uid) || !xdr_decode_u32(d, &s->gid) ||
	    !xdr_decode_u32(d, &s->ngids) || s->ngids > NFS4_AUTHSYS_GIDS_MAX ||
	    xdr_dec_remaining(d) / 4 < s->ngids)
		return false;
	for (uint32_t i = 0; i < s->ngids; i++)
		xdr_decode_u32(d, &s->gids[i]);
	return true;
}

bool nfs4_enc_cb_sec_parms(struct xdr_enc *e, const struct nfs4_cb_sec_parms *p)
{
	if (!xdr_encode_u32(e, p->flavor))
		return false;
	switch (p->flavor) {
	case NFS4_AUTH_NONE:
		return true;
	case NFS4_AUTH_SYS:
		return enc_authsys(e, &p->sys);
	case RPCSEC_GSS:
		return xdr_encode_u32(e, p->gss_service) &&
		       nfs4_enc_opaque(e, p->gss_handle_from_server) &&
		       nfs4_enc_opaque(e, p->gss_handle_from_client);
	default:
		e->overflow = true;
		return false;
	}
}

bool nfs4_dec_cb_sec_parms(struct xdr_dec *d, struct nfs4_cb_sec_parms *p)
{
	if (!xdr_decode_u32(d, &p->flavor))
		return false;
	switch (p->flavor) {
	case NFS4_AUTH_NONE:
		return true;
	case NFS4_AUTH_SYS:
		return dec_authsys(d, &p->sys);
	case RPCSEC_GSS:
		return xdr_decode_u32(d, &p->gss_service) &&
		       nfs4_dec_opaque(d, UINT32_MAX, &p->gss_handle_from_server) &&
		       nfs4_dec_opaque(d, UINT32_MAX, &p->gss_handle_from_client);
	default:
		return false;
	}
}

static bool cb_sec_item(struct xdr_dec *d, void *scratch)
{
	return nfs4_dec_cb_sec_parms(d, scratch);
}

static bool enc_cb_sec_list(struct xdr_enc *e, const struct nfs4_cb_sec_list *s)
{
	if (!s->items)
		return nfs4_enc_list_wire(e, &s->l);
	if (!xdr_encode_u32(e, s->l.count))
		return false;
	for (uint32_t i = 0; i < s->l.count; i++)
		if (!nfs4_enc_cb_sec_parms(e, &s->items[i]))
			return false;
	return true;
}

static bool dec_cb_sec_list(struct xdr_dec *d, struct nfs4_cb_sec_list *s)
{
	struct nfs4_cb_sec_parms p;
	s->items = NULL;
	return nfs4_dec_list(d, UINT32_MAX, cb_sec_item, &p, &s->l);
}

bool nfs4_enc_create_session_args(struct xdr_enc *e, const struct nfs4_create_session_args *a)
{
	return xdr_encode_u64(e, a->clientid) && xdr_encode_u32(e, a->sequence) &&
	       xdr_encode_u32(e, a->flags) && nfs4_enc_chan_attrs(e, &a->fore) &&
	       nfs4_enc_chan_attrs(e, &a->back) && xdr_encode_u32(e, a->cb_program) &&
	       enc_cb_sec_list(e, &a->sec_parms);
}

bool nfs4_dec_create_session_args(struct xdr_dec *d, struct nfs4_create_session_args *a)
{
	return xdr_decode_u64(d, &a->clientid) && xdr_decode_u32(d, &a->sequence) &&
	       xdr_decode_u32(d, &a->flags) && nfs4_dec_chan_attrs(d, &a->fore) &&
	       nfs4_dec_chan_attrs(d, &a->back) && xdr_decode_u32(d, &a->cb_program) &&
	       dec_cb_sec_list(d, &a->sec_parms);
}

bool nfs4_enc_create_session_res(struct xdr_enc *e, const struct nfs4_create_session_res *r)
{
	return nfs4_enc_sessionid(e, &r->sessionid) && xdr_encode_u32(e, r->sequence) &&
	       xdr_encode_u32(e, r->flags) && nfs4_enc_chan_attrs(e, &r->fore) &&
	       nfs4_enc_chan_attrs(e, &r->back);
}

bool nfs4_dec_create_session_res(struct xdr_dec *d, struct nfs4_create_session_res *r)
{
	return nfs4_dec_sessionid(d, &r->sessionid) && xdr_decode_u32(d, &r->sequence) &&
	       xdr_decode_u32(d, &r->flags) && nfs4_dec_chan_attrs(d, &r->fore) &&
	       nfs4_dec_chan_attrs(d, &r->back);
}

/* --- DESTROY_SESSION, SEQUENCE, BIND_CONN_TO_SESSION, BACKCHANNEL_CTL ------ */

bool nfs4_enc_destroy_session_args(struct xdr_enc *e, const struct nfs4_destroy_session_args *a)
{
	return nfs4_enc_sessionid(e, &a->sessionid);
}

bool nfs4_dec_destroy_session_args(struct xdr_dec *d, struct nfs4_destroy_session_args *a)
{
	return nfs4_dec_sessionid(d, &a->sessionid);
}

/* SEQUENCE is on every v4.1 request: one reserve, no per-field checks. */
bool nfs4_enc_sequence_args(struct xdr_enc *e, const struct nfs4_sequence_args *a)
{
	uint8_t *p = xdr_enc_reserve(e, NFS4_SESSIONID_SIZE + 16);
	if (!p)
		return false;
	memcpy(p, a->sessionid.data, NFS4_SESSIONID_SIZE);
	p += NFS4_SESSIONID_SIZE;
	xdr_put_be32(p, a->sequenceid);
	xdr_put_be32(p + 4, a->slotid);
	xdr_put_be32(p + 8, a->highest_slotid);
	xdr_put_be32(p + 12, a->cachethis ? 1 : 0);
	return true;
}

bool nfs4_dec_sequence_args(struct xdr_dec *d, struct nfs4_sequence_args *a)
{
	if (xdr_dec_remaining(d) < NFS4_SESSIONID_SIZE + 16)
		return false;
	memcpy(a->sessionid.data, d->p, NFS4_SESSIONID_SIZE);
	d->p += NFS4_SESSIONID_SIZE;
	xdr_decode_u32(d, &a->sequenceid);
	xdr_decode_u32(d, &a->slotid);
	xdr_decode_u32(d, &a->highest_slotid);
	return xdr_decode_bool(d, &a->cachethis);
}

bool nfs4_enc_sequence_res(struct xdr_enc *e, const struct nfs4_sequence_res *r)
{
	uint8_t *p = xdr_enc_reserve(e, NFS4_SESSIONID_SIZE + 20);
	if (!p)
		return false;
	memcpy(p, r->sessionid.data, NFS4_SESSIONID_SIZE);
	p += NFS4_SESSIONID_SIZE;
	xdr_put_be32(p, r->sequenceid);
	xdr_put_be32(p + 4, r->slotid);
	xdr_put_be32(p + 8, r->highest_slotid);
	xdr_put_be32(p + 12, r->target_highest_slotid);
	xdr_put_be32(p + 16, r->status_flags);
	return true;
}

bool nfs4_dec_sequence_res(struct xdr_dec *d, struct nfs4_sequence_res *r)
{
	if (xdr_dec_remaining(d) < NFS4_SESSIONID_SIZE + 20)
		return false;
	memcpy(r->sessionid.data, d->p, NFS4_SESSIONID_SIZE);
	d->p += NFS4_SESSIONID_SIZE;
	xdr_decode_u32(d, &r->sequenceid);
	xdr_decode_u32(d, &r->slotid);
	xdr_decode_u32(d, &r->highest_slotid);
	xdr_decode_u32(d, &r->target_highest_slotid);
	return xdr_decode_u32(d, &r->status_flags);
}

bool nfs4_enc_bind_conn_to_session_args(struct xdr_enc *e,
					const struct nfs4_bind_conn_to_session_args *a)
{
	return nfs4_enc_sessionid(e, &a->sessionid) && xdr_encode_u32(e, a->dir) &&
	       xdr_encode_bool(e, a->use_conn_in_rdma_mode);
}

bool nfs4_dec_bind_conn_to_session_args(struct xdr_dec *d,
					struct nfs4_bind_conn_to_session_args *a)
{
	return nfs4_dec_sessionid(d, &a->sessionid) && xdr_decode_u32(d, &a->dir) &&
	       xdr_decode_bool(d, &a->use_conn_in_rdma_mode);
}

bool nfs4_enc_bind_conn_to_session_res(struct xdr_enc *e,
				       const struct nfs4_bind_conn_to_session_res *r)
{
	return nfs4_enc_sessionid(e, &r->sessionid) && xdr_encode_u32(e, r->dir) &&
	       xdr_encode_bool(e, r->use_conn_in_rdma_mode);
}

bool nfs4_dec_bind_conn_to_session_res(struct xdr_dec *d, struct nfs4_bind_conn_to_session_res *r)
{
	return nfs4_dec_sessionid(d, &r->sessionid) && xdr_decode_u32(d, &r->dir) &&
	       xdr_decode_bool(d, &r->use_conn_in_rdma_mode);
}

bool nfs4_enc_backchannel_ctl_args(struct xdr_enc *e, const struct nfs4_backchannel_ctl_args *a)
{
	return xdr_encode_u32(e, a->cb_program) && enc_cb_sec_list(e, &a->sec_parms);
}

bool nfs4_dec_backchannel_ctl_args(struct xdr_dec *d, struct nfs4_backchannel_ctl_args *a)
{
	return xdr_decode_u32(d, &a->cb_program) && dec_cb_sec_list(d, &a->sec_parms);
}

/* --- DESTROY_CLIENTID, RECLAIM_COMPLETE, RENEW ----------------------------- */

bool nfs4_enc_destroy_clientid_args(struct xdr_enc *e, const struct nfs4_destroy_clientid_args *a)
{
	return xdr_encode_u64(e, a->clientid);
}

bool nfs4_dec_destroy_clientid_args(struct xdr_dec *d, struct nfs4_destroy_clientid_args *a)
{
	return xdr_decode_u64(d, &a->clientid);
}

bool nfs4_enc_reclaim_complete_args(struct xdr_enc *e, const struct nfs4_reclaim_complete_args *a)
{
	return xdr_encode_bool(e, a->one_fs);
}

bool nfs4_dec_reclaim_complete_args(struct xdr_dec *d, struct nfs4_reclaim_complete_args *a)
{
	return xdr_decode_bool(d, &a->one_fs);
}

bool nfs4_enc_renew_args(struct xdr_enc *e, const struct nfs4_renew_args *a)
{
	return xdr_encode_u64(e, a->clientid);
}

bool nfs4_dec_renew_args(struct xdr_dec *d, struct nfs4_renew_args *a)
{
	return xdr_decode_u64(d, &a->clientid);
}

/* --- TEST_STATEID, FREE_STATEID -------------------------------------------- */

enum { STATEID_WIRE = 4 + NFS4_OTHER_SIZE };

bool nfs4_enc_test_stateid_args(struct xdr_enc *e, const struct nfs4_test_stateid_args *a)
{
	if (!xdr_encode_u32(e, a->count))
		return false;
	if (!a->items)
		return xdr_encode_opaque_fixed(e, a->wire, (size_t)a->count * STATEID_WIRE);
	for (uint32_t i = 0; i < a->count; i++)
		if (!nfs4_encode_stateid(e, &a->items[i]))
			return false;
	return true;
}

bool nfs4_dec_test_stateid_args(struct xdr_dec *d, struct nfs4_test_stateid_args *a)
{
	uint32_t n;
	const uint8_t *p;
	if (!xdr_decode_u32(d, &n) || n > xdr_dec_remaining(d) / STATEID_WIRE ||
	    !xdr_decode_opaque_fixed(d, (size_t)n * STATEID_WIRE, &p))
		return false;
	a->count = n;
	a->items = NULL;
	a->wire = p;
	return true;
}

void nfs4_test_stateid_args_get(const struct nfs4_test_stateid_args *a, uint32_t i,
				struct nfs4_stateid *out)
{
	if (a->items) {
		*out = a->items[i];
		return;
	}
	const uint8_t *p = a->wire + (size_t)i * STATEID_WIRE;
	out->seqid = xdr_get_be32(p);
	memcpy(out->other, p + 4, NFS4_OTHER_SIZE);
}

bool nfs4_enc_test_stateid_res(struct xdr_enc *e, const struct nfs4_test_stateid_res *r)
{
	uint8_t *p = xdr_enc_reserve(e, 4 + (size_t)r->count * 4);
	if (!p)
		return false;
	xdr_put_be32(p, r->count);
	if (!r->items) {
		if (r->count)
			memcpy(p + 4, r->wire, (size_t)r->count * 4);
		return true;
	}
	for (uint32_t i = 0; i < r->count; i++)
		xdr_put_be32(p + 4 + 4 * (size_t)i, r->items[i]);
	return true;
}

bool nfs4_dec_test_stateid_res(struct xdr_dec *d, struct nfs4_test_stateid_res *r)
{
	uint32_t n;
	const uint8_t *p;
	if (!xdr_decode_u32(d, &n) || n > xdr_dec_remaining(d) / 4 ||
	    !xdr_decode_opaque_fixed(d, (size_t)n * 4, &p))
		return false;
	r->count = n;
	r->items = NULL;
	r->wire = p;
	return true;
}

uint32_t nfs4_test_stateid_res_get(const struct nfs4_test_stateid_res *r, uint32_t i)
{
	return r->items ? r->items[i] : xdr_get_be32(r->wire + (size_t)i * 4);
}

bool nfs4_enc_free_stateid_args(struct xdr_enc *e, const struct nfs4_free_stateid_args *a)
{
	return nfs4_encode_stateid(e, &a->stateid);
}

bool nfs4_dec_free_stateid_args(struct xdr_dec *d, struct nfs4_free_stateid_args *a)
{
	return nfs4_decode_stateid(d, &a->stateid);
}

/* --- SECINFO result, SECINFO_NO_NAME --------------------------------------- */

bool nfs4_enc_secinfo(struct xdr_enc *e, const struct nfs4_secinfo *s)
{
	if (!xdr_encode_u32(e, s->flavor))
		return false;
	return s->flavor != RPCSEC_GSS ||
	       (nfs4_enc_opaque(e, s->gss_oid) && xdr_encode_u32(e, s->gss_qop) &&
		xdr_encode_u32(e, s->gss_service));
}

bool nfs4_dec_secinfo(struct xdr_dec *d, struct nfs4_secinfo *s)
{
	if (!xdr_decode_u32(d, &s->flavor))
		return false;
	return s->flavor != RPCSEC_GSS ||
	       (nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &s->gss_oid) &&
		xdr_decode_u32(d, &s->gss_qop) && xdr_decode_u32(d, &s->gss_service));
}

static bool secinfo_item(struct xdr_dec *d, void *scratch)
{
	return nfs4_dec_secinfo(d, scratch);
}

bool nfs4_enc_secinfo_res(struct xdr_enc *e, const struct nfs4_secinfo_res *r)
{
	if (!r->items)
		return nfs4_enc_list_wire(e, &r->l);
	if (!xdr_encode_u32(e, r->l.count))
		return false;
	for (uint32_t i = 0; i < r->l.count; i++)
		if (!nfs4_enc_secinfo(e, &r->items[i]))
			return false;
	return true;
}

bool nfs4_dec_secinfo_res(struct xdr_dec *d, struct nfs4_secinfo_res *r)
{
	struct nfs4_secinfo s;
	r->items = NULL;
	return nfs4_dec_list(d, UINT32_MAX, secinfo_item, &s, &r->l);
}

bool nfs4_enc_secinfo_no_name_args(struct xdr_enc *e, const struct nfs4_secinfo_no_name_args *a)
{
	return xdr_encode_u32(e, a->style);
}

bool nfs4_dec_secinfo_no_name_args(struct xdr_dec *d, struct nfs4_secinfo_no_name_args *a)
{
	return xdr_decode_u32(d, &a->style);
}

/* --- SET_SSV --------------------------------------------------------------- */

bool nfs4_enc_set_ssv_args(struct xdr_enc *e, const struct nfs4_set_ssv_args *a)
{
	return nfs4_enc_opaque(e, a->ssv) && nfs4_enc_opaque(e, a->digest);
}

bool nfs4_dec_set_ssv_args(struct xdr_dec *d, struct nfs4_set_ssv_args *a)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &a->ssv) && nfs4_dec_opaque(d, UINT32_MAX, &a->digest);
}

bool nfs4_enc_set_ssv_res(struct xdr_enc *e, const struct nfs4_set_ssv_res *r)
{
	return nfs4_enc_opaque(e, r->digest);
}

bool nfs4_dec_set_ssv_res(struct xdr_dec *d, struct nfs4_set_ssv_res *r)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &r->digest);
}

/* --- SETCLIENTID, SETCLIENTID_CONFIRM, RELEASE_LOCKOWNER ------------------- */

static bool enc_netaddr(struct xdr_enc *e, const struct nfs4_netaddr *n)
{
	return nfs4_enc_opaque(e, n->netid) && nfs4_enc_opaque(e, n->addr);
}

static bool dec_netaddr(struct xdr_dec *d, struct nfs4_netaddr *n)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &n->netid) && nfs4_dec_opaque(d, UINT32_MAX, &n->addr);
}

bool nfs4_enc_setclientid_args(struct xdr_enc *e, const struct nfs4_setclientid_args *a)
{
	return nfs4_enc_verifier(e, &a->verifier) && nfs4_enc_opaque(e, a->id) &&
	       xdr_encode_u32(e, a->cb_program) && enc_netaddr(e, &a->cb_location) &&
	       xdr_encode_u32(e, a->callback_ident);
}

bool nfs4_dec_setclientid_args(struct xdr_dec *d, struct nfs4_setclientid_args *a)
{
	return nfs4_dec_verifier(d, &a->verifier) &&
	       nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &a->id) && xdr_decode_u32(d, &a->cb_program) &&
	       dec_netaddr(d, &a->cb_location) && xdr_decode_u32(d, &a->callback_ident);
}

bool nfs4_enc_setclientid_res(struct xdr_enc *e, uint32_t status,
			      const struct nfs4_setclientid_res *r)
{
	if (status == NFS4_OK)
		return xdr_encode_u64(e, r->clientid) && nfs4_enc_verifier(e, &r->confirm);
	if (status == NFS4ERR_CLID_INUSE)
		return enc_netaddr(e, &r->inuse_addr);
	return !e->overflow;
}

bool nfs4_dec_setclientid_res(struct xdr_dec *d, uint32_t status, struct nfs4_setclientid_res *r)
{
	if (status == NFS4_OK)
		return xdr_decode_u64(d, &r->clientid) && nfs4_dec_verifier(d, &r->confirm);
	if (status == NFS4ERR_CLID_INUSE)
		return dec_netaddr(d, &r->inuse_addr);
	return true;
}

bool nfs4_enc_setclientid_confirm_args(struct xdr_enc *e,
				       const struct nfs4_setclientid_confirm_args *a)
{
	return xdr_encode_u64(e, a->clientid) && nfs4_enc_verifier(e, &a->confirm);
}

bool nfs4_dec_setclientid_confirm_args(struct xdr_dec *d, struct nfs4_setclientid_confirm_args *a)
{
	return xdr_decode_u64(d, &a->clientid) && nfs4_dec_verifier(d, &a->confirm);
}

bool nfs4_enc_release_lockowner_args(struct xdr_enc *e, const struct nfs4_release_lockowner_args *a)
{
	return nfs4_enc_state_owner(e, &a->owner);
}

bool nfs4_dec_release_lockowner_args(struct xdr_dec *d, struct nfs4_release_lockowner_args *a)
{
	return nfs4_dec_state_owner(d, &a->owner);
}

/* --- GET_DIR_DELEGATION ---------------------------------------------------- */

bool nfs4_enc_get_dir_delegation_args(struct xdr_enc *e,
				      const struct nfs4_get_dir_delegation_args *a)
{
	return xdr_encode_bool(e, a->signal_deleg_avail) &&
	       nfs4_encode_bitmap(e, &a->notification_types) &&
	       nfs4_encode_time(e, &a->child_attr_delay) &&
	       nfs4_encode_time(e, &a->dir_attr_delay) &&
	       nfs4_encode_bitmap(e, &a->child_attributes) &&
	       nfs4_encode_bitmap(e, &a->dir_attributes);
}

bool nfs4_dec_get_dir_delegation_args(struct xdr_dec *d, struct nfs4_get_dir_delegation_args *a)
{
	bool x1, x2, x3;
	if (!xdr_decode_bool(d, &a->signal_deleg_avail) ||
	    !nfs4_decode_bitmap(d, &a->notification_types, &x1) ||
	    !nfs4_decode_time(d, &a->child_attr_delay) || !nfs4_decode_time(d, &a->dir_attr_delay) ||
	    !nfs4_decode_bitmap(d, &a->child_attributes, &x2) ||
	    !nfs4_decode_bitmap(d, &a->dir_attributes, &x3))
		return false;
	a->extra = x1 || x2 || x3;
	return true;
}

bool nfs4_enc_get_dir_delegation_res(struct xdr_enc *e,
				     const struct nfs4_get_dir_delegation_res *r)
{
	if (!xdr_encode_u32(e, r->status))
		return false;
	switch (r->status) {
	case GDD4_OK:
		return nfs4_enc_verifier(e, &r->cookieverf) && nfs4_encode_stateid(e, &r->stateid) &&
		       nfs4_encode_bitmap(e, &r->notification) &&
		       nfs4_encode_bitmap(e, &r->child_attributes) &&
		       nfs4_encode_bitmap(e, &r->dir_attributes);
	case GDD4_UNAVAIL:
		return xdr_encode_bool(e, r->will_signal_deleg_avail);
	default:
		e->overflow = true;
		return false;
	}
}

bool nfs4_dec_get_dir_delegation_res(struct xdr_dec *d, struct nfs4_get_dir_delegation_res *r)
{
	bool x1, x2, x3;
	if (!xdr_decode_u32(d, &r->status))
		return false;
	r->extra = false;
	switch (r->status) {
	case GDD4_OK:
		if (!nfs4_dec_verifier(d, &r->cookieverf) || !nfs4_decode_stateid(d, &r->stateid) ||
		    !nfs4_decode_bitmap(d, &r->notification, &x1) ||
		    !nfs4_decode_bitmap(d, &r->child_attributes, &x2) ||
		    !nfs4_decode_bitmap(d, &r->dir_attributes, &x3))
			return false;
		r->extra = x1 || x2 || x3;
		return true;
	case GDD4_UNAVAIL:
		return xdr_decode_bool(d, &r->will_signal_deleg_avail);
	default:
		return false;
	}
}

/* --- WANT_DELEGATION ------------------------------------------------------ */

bool nfs4_enc_want_delegation_args(struct xdr_enc *e, const struct nfs4_want_delegation_args *a)
{
	if (!xdr_encode_u32(e, a->want) || !xdr_encode_u32(e, a->claim))
		return false;
	switch (a->claim) {
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	case CLAIM_PREVIOUS:
		return xdr_encode_u32(e, a->delegate_type);
	default:
		e->overflow = true;
		return false;
	}
}

bool nfs4_dec_want_delegation_args(struct xdr_dec *d, struct nfs4_want_delegation_args *a)
{
	if (!xdr_decode_u32(d, &a->want) || !xdr_decode_u32(d, &a->claim))
		return false;
	switch (a->claim) {
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
		return true;
	case CLAIM_PREVIOUS:
		return xdr_decode_u32(d, &a->delegate_type);
	default:
		return false;
	}
}

bool nfs4_enc_want_delegation_res(struct xdr_enc *e, const struct nfs4_want_delegation_res *r)
{
	return nfs4_enc_open_delegation(e, &r->deleg);
}

bool nfs4_dec_want_delegation_res(struct xdr_dec *d, struct nfs4_want_delegation_res *r)
{
	return nfs4_dec_open_delegation(d, &r->deleg);
}
