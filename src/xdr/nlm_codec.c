/* The NLM v4 and NSM codec (xdr/nlm_prot.h).  Each structure is decoded
 * and encoded field by field in wire order; a decoder that fails leaves
 * the cursor wherever it stopped (the caller refuses the whole call). */
#include "xdr/nlm_prot.h"

static bool dec_bytes(struct xdr_dec *d, uint32_t max, struct nlm_bytes *out)
{
	return xdr_decode_opaque(d, max, &out->data, &out->len);
}

static bool enc_bytes(struct xdr_enc *e, const struct nlm_bytes *in)
{
	return xdr_encode_opaque(e, in->data, in->len);
}

static bool dec_i32(struct xdr_dec *d, int32_t *v) { return xdr_decode_i32(d, v); }
static bool enc_i32(struct xdr_enc *e, int32_t v) { return xdr_encode_u32(e, (uint32_t)v); }

bool nlm4_decode_lock(struct xdr_dec *d, struct nlm4_lock *out)
{
	return dec_bytes(d, NLM4_MAXSTRLEN, &out->caller_name) &&
	       dec_bytes(d, NLM4_FH_MAX, &out->fh) && dec_bytes(d, NLM4_MAXNETOBJ, &out->oh) &&
	       dec_i32(d, &out->svid) && xdr_decode_u64(d, &out->offset) &&
	       xdr_decode_u64(d, &out->len);
}

bool nlm4_encode_lock(struct xdr_enc *e, const struct nlm4_lock *in)
{
	return enc_bytes(e, &in->caller_name) && enc_bytes(e, &in->fh) && enc_bytes(e, &in->oh) &&
	       enc_i32(e, in->svid) && xdr_encode_u64(e, in->offset) &&
	       xdr_encode_u64(e, in->len);
}

bool nlm4_decode_testargs(struct xdr_dec *d, struct nlm4_testargs *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) &&
	       xdr_decode_bool(d, &out->exclusive) && nlm4_decode_lock(d, &out->lock);
}

bool nlm4_encode_testargs(struct xdr_enc *e, const struct nlm4_testargs *in)
{
	return enc_bytes(e, &in->cookie) && xdr_encode_bool(e, in->exclusive) &&
	       nlm4_encode_lock(e, &in->lock);
}

bool nlm4_decode_lockargs(struct xdr_dec *d, struct nlm4_lockargs *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) && xdr_decode_bool(d, &out->block) &&
	       xdr_decode_bool(d, &out->exclusive) && nlm4_decode_lock(d, &out->lock) &&
	       xdr_decode_bool(d, &out->reclaim) && dec_i32(d, &out->state);
}

bool nlm4_encode_lockargs(struct xdr_enc *e, const struct nlm4_lockargs *in)
{
	return enc_bytes(e, &in->cookie) && xdr_encode_bool(e, in->block) &&
	       xdr_encode_bool(e, in->exclusive) && nlm4_encode_lock(e, &in->lock) &&
	       xdr_encode_bool(e, in->reclaim) && enc_i32(e, in->state);
}

bool nlm4_decode_cancargs(struct xdr_dec *d, struct nlm4_cancargs *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) && xdr_decode_bool(d, &out->block) &&
	       xdr_decode_bool(d, &out->exclusive) && nlm4_decode_lock(d, &out->lock);
}

bool nlm4_encode_cancargs(struct xdr_enc *e, const struct nlm4_cancargs *in)
{
	return enc_bytes(e, &in->cookie) && xdr_encode_bool(e, in->block) &&
	       xdr_encode_bool(e, in->exclusive) && nlm4_encode_lock(e, &in->lock);
}

bool nlm4_decode_unlockargs(struct xdr_dec *d, struct nlm4_unlockargs *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) && nlm4_decode_lock(d, &out->lock);
}

bool nlm4_encode_unlockargs(struct xdr_enc *e, const struct nlm4_unlockargs *in)
{
	return enc_bytes(e, &in->cookie) && nlm4_encode_lock(e, &in->lock);
}

bool nlm4_decode_res(struct xdr_dec *d, struct nlm4_res *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) && xdr_decode_u32(d, &out->stat);
}

bool nlm4_encode_res(struct xdr_enc *e, const struct nlm4_res *in)
{
	return enc_bytes(e, &in->cookie) && xdr_encode_u32(e, in->stat);
}

static bool dec_holder(struct xdr_dec *d, struct nlm4_holder *h)
{
	return xdr_decode_bool(d, &h->exclusive) && dec_i32(d, &h->svid) &&
	       dec_bytes(d, NLM4_MAXNETOBJ, &h->oh) && xdr_decode_u64(d, &h->offset) &&
	       xdr_decode_u64(d, &h->len);
}

static bool enc_holder(struct xdr_enc *e, const struct nlm4_holder *h)
{
	return xdr_encode_bool(e, h->exclusive) && enc_i32(e, h->svid) && enc_bytes(e, &h->oh) &&
	       xdr_encode_u64(e, h->offset) && xdr_encode_u64(e, h->len);
}

bool nlm4_decode_testres(struct xdr_dec *d, struct nlm4_testres *out)
{
	if (!dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) || !xdr_decode_u32(d, &out->stat))
		return false;
	return out->stat != NLM4_DENIED || dec_holder(d, &out->holder);
}

bool nlm4_encode_testres(struct xdr_enc *e, const struct nlm4_testres *in)
{
	if (!enc_bytes(e, &in->cookie) || !xdr_encode_u32(e, in->stat))
		return false;
	return in->stat != NLM4_DENIED || enc_holder(e, &in->holder);
}

bool nlm4_decode_shareargs(struct xdr_dec *d, struct nlm4_shareargs *out)
{
	struct nlm4_share *s = &out->share;
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) &&
	       dec_bytes(d, NLM4_MAXSTRLEN, &s->caller_name) && dec_bytes(d, NLM4_FH_MAX, &s->fh) &&
	       dec_bytes(d, NLM4_MAXNETOBJ, &s->oh) && xdr_decode_u32(d, &s->mode) &&
	       xdr_decode_u32(d, &s->access) && xdr_decode_bool(d, &out->reclaim);
}

bool nlm4_encode_shareargs(struct xdr_enc *e, const struct nlm4_shareargs *in)
{
	const struct nlm4_share *s = &in->share;
	return enc_bytes(e, &in->cookie) && enc_bytes(e, &s->caller_name) &&
	       enc_bytes(e, &s->fh) && enc_bytes(e, &s->oh) && xdr_encode_u32(e, s->mode) &&
	       xdr_encode_u32(e, s->access) && xdr_encode_bool(e, in->reclaim);
}

bool nlm4_decode_shareres(struct xdr_dec *d, struct nlm4_shareres *out)
{
	return dec_bytes(d, NLM4_MAXNETOBJ, &out->cookie) && xdr_decode_u32(d, &out->stat) &&
	       dec_i32(d, &out->sequence);
}

bool nlm4_encode_shareres(struct xdr_enc *e, const struct nlm4_shareres *in)
{
	return enc_bytes(e, &in->cookie) && xdr_encode_u32(e, in->stat) &&
	       enc_i32(e, in->sequence);
}

bool nlm4_decode_notify(struct xdr_dec *d, struct nlm4_notify *out)
{
	/* nlm4_notify's name is string<MAXNAMELEN>, MAXNAMELEN being
	 * LM_MAXSTRLEN + 1. */
	return dec_bytes(d, NLM4_MAXSTRLEN + 1, &out->name) && dec_i32(d, &out->state);
}

bool nlm4_encode_notify(struct xdr_enc *e, const struct nlm4_notify *in)
{
	return enc_bytes(e, &in->name) && enc_i32(e, in->state);
}

/* --- NSM ---------------------------------------------------------------- */

bool nsm_decode_my_id(struct xdr_dec *d, struct nsm_my_id *out)
{
	return dec_bytes(d, NSM_MAXSTRLEN, &out->my_name) && dec_i32(d, &out->my_prog) &&
	       dec_i32(d, &out->my_vers) && dec_i32(d, &out->my_proc);
}

bool nsm_encode_my_id(struct xdr_enc *e, const struct nsm_my_id *in)
{
	return enc_bytes(e, &in->my_name) && enc_i32(e, in->my_prog) &&
	       enc_i32(e, in->my_vers) && enc_i32(e, in->my_proc);
}

bool nsm_decode_mon_id(struct xdr_dec *d, struct nsm_mon *out)
{
	return dec_bytes(d, NSM_MAXSTRLEN, &out->mon_name) && nsm_decode_my_id(d, &out->my_id);
}

bool nsm_encode_mon_id(struct xdr_enc *e, const struct nsm_mon *in)
{
	return enc_bytes(e, &in->mon_name) && nsm_encode_my_id(e, &in->my_id);
}

static bool dec_priv(struct xdr_dec *d, uint8_t priv[NSM_PRIV_SIZE])
{
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(d, NSM_PRIV_SIZE, &p))
		return false;
	memcpy(priv, p, NSM_PRIV_SIZE);
	return true;
}

bool nsm_decode_mon(struct xdr_dec *d, struct nsm_mon *out)
{
	return nsm_decode_mon_id(d, out) && dec_priv(d, out->priv);
}

bool nsm_encode_mon(struct xdr_enc *e, const struct nsm_mon *in)
{
	return nsm_encode_mon_id(e, in) && xdr_encode_opaque_fixed(e, in->priv, NSM_PRIV_SIZE);
}

bool nsm_decode_stat_res(struct xdr_dec *d, struct nsm_stat_res *out)
{
	return xdr_decode_u32(d, &out->res_stat) && dec_i32(d, &out->state);
}

bool nsm_encode_stat_res(struct xdr_enc *e, const struct nsm_stat_res *in)
{
	return xdr_encode_u32(e, in->res_stat) && enc_i32(e, in->state);
}

bool nsm_decode_stat_chge(struct xdr_dec *d, struct nsm_stat_chge *out)
{
	return dec_bytes(d, NSM_MAXSTRLEN, &out->mon_name) && dec_i32(d, &out->state);
}

bool nsm_encode_stat_chge(struct xdr_enc *e, const struct nsm_stat_chge *in)
{
	return enc_bytes(e, &in->mon_name) && enc_i32(e, in->state);
}

bool nsm_decode_status(struct xdr_dec *d, struct nsm_status *out)
{
	return dec_bytes(d, NSM_MAXSTRLEN, &out->mon_name) && dec_i32(d, &out->state) &&
	       dec_priv(d, out->priv);
}

bool nsm_encode_status(struct xdr_enc *e, const struct nsm_status *in)
{
	return enc_bytes(e, &in->mon_name) && enc_i32(e, in->state) &&
	       xdr_encode_opaque_fixed(e, in->priv, NSM_PRIV_SIZE);
}

/* --- names ------------------------------------------------------------------ */

const char *nlm4_proc_name(uint32_t proc)
{
	static const char *const names[] = {
		[NLMPROC4_NULL] = "NULL",
		[NLMPROC4_TEST] = "TEST",
		[NLMPROC4_LOCK] = "LOCK",
		[NLMPROC4_CANCEL] = "CANCEL",
		[NLMPROC4_UNLOCK] = "UNLOCK",
		[NLMPROC4_GRANTED] = "GRANTED",
		[NLMPROC4_TEST_MSG] = "TEST_MSG",
		[NLMPROC4_LOCK_MSG] = "LOCK_MSG",
		[NLMPROC4_CANCEL_MSG] = "CANCEL_MSG",
		[NLMPROC4_UNLOCK_MSG] = "UNLOCK_MSG",
		[NLMPROC4_GRANTED_MSG] = "GRANTED_MSG",
		[NLMPROC4_TEST_RES] = "TEST_RES",
		[NLMPROC4_LOCK_RES] = "LOCK_RES",
		[NLMPROC4_CANCEL_RES] = "CANCEL_RES",
		[NLMPROC4_UNLOCK_RES] = "UNLOCK_RES",
		[NLMPROC4_GRANTED_RES] = "GRANTED_RES",
		[NLMPROC4_SM_NOTIFY] = "SM_NOTIFY",
		[NLMPROC4_SHARE] = "SHARE",
		[NLMPROC4_UNSHARE] = "UNSHARE",
		[NLMPROC4_NM_LOCK] = "NM_LOCK",
		[NLMPROC4_FREE_ALL] = "FREE_ALL",
	};
	return proc < sizeof(names) / sizeof(names[0]) && names[proc] ? names[proc] : "?";
}

const char *nlm4_stat_name(uint32_t stat)
{
	static const char *const names[] = {
		[NLM4_GRANTED] = "GRANTED",
		[NLM4_DENIED] = "DENIED",
		[NLM4_DENIED_NOLOCKS] = "DENIED_NOLOCKS",
		[NLM4_BLOCKED] = "BLOCKED",
		[NLM4_DENIED_GRACE_PERIOD] = "DENIED_GRACE_PERIOD",
		[NLM4_DEADLCK] = "DEADLCK",
		[NLM4_ROFS] = "ROFS",
		[NLM4_STALE_FH] = "STALE_FH",
		[NLM4_FBIG] = "FBIG",
		[NLM4_FAILED] = "FAILED",
	};
	return stat < sizeof(names) / sizeof(names[0]) ? names[stat] : "?";
}
