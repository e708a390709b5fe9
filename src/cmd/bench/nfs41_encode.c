/* Encoders for the NFSv4.1 operations ferry-bench sends (RFC 8881 18.*). */
#include <string.h>

#include "cmd/bench/nfs41.h"

const struct nfs41_stateid nfs41_current_stateid = {.seqid = 1};

void nfs41_bitmap_set(struct nfs41_bitmap *b, unsigned attr)
{
	unsigned word = attr / 32;
	if (word >= NFS41_BITMAP_MAX)
		return;
	while (b->n <= word)
		b->w[b->n++] = 0;
	b->w[word] |= 1u << (attr % 32);
}

static bool enc_bitmap(struct xdr_enc *e, const struct nfs41_bitmap *b)
{
	bool ok = xdr_encode_u32(e, b->n);
	for (uint32_t i = 0; ok && i < b->n; i++)
		ok = xdr_encode_u32(e, b->w[i]);
	return ok;
}

static bool enc_str(struct xdr_enc *e, const char *s)
{
	return xdr_encode_opaque(e, s, (uint32_t)strlen(s));
}

static bool enc_stateid(struct xdr_enc *e, const struct nfs41_stateid *sid)
{
	return xdr_encode_u32(e, sid->seqid) &&
	       xdr_encode_opaque_fixed(e, sid->other, NFS4_OTHER_SIZE);
}

bool nfs41_enc_compound_start(struct xdr_enc *e, const char *tag, size_t *numops_off)
{
	if (!enc_str(e, tag) || !xdr_encode_u32(e, 1))
		return false;
	*numops_off = xdr_enc_len(e);
	return xdr_encode_u32(e, 0);
}

void nfs41_enc_compound_end(struct xdr_enc *e, size_t numops_off, uint32_t numops)
{
	if (!e->overflow)
		xdr_enc_patch_u32(e, numops_off, numops);
}

bool nfs41_enc_sequence(struct xdr_enc *e, const uint8_t sessionid[NFS4_SESSIONID_SIZE],
			uint32_t seqid, uint32_t slotid, uint32_t highest_slotid, bool cachethis)
{
	return xdr_encode_u32(e, OP_SEQUENCE) &&
	       xdr_encode_opaque_fixed(e, sessionid, NFS4_SESSIONID_SIZE) &&
	       xdr_encode_u32(e, seqid) && xdr_encode_u32(e, slotid) &&
	       xdr_encode_u32(e, highest_slotid) && xdr_encode_bool(e, cachethis);
}

bool nfs41_enc_exchange_id(struct xdr_enc *e, const uint8_t verifier[NFS4_VERIFIER_SIZE],
			   const void *owner, uint32_t owner_len, uint32_t flags)
{
	/* client_owner4, flags, state_protect4_a (SP4_NONE), one nfs_impl_id4
	 * (domain, name, build date) so server logs say who is calling. */
	return xdr_encode_u32(e, OP_EXCHANGE_ID) &&
	       xdr_encode_opaque_fixed(e, verifier, NFS4_VERIFIER_SIZE) &&
	       xdr_encode_opaque(e, owner, owner_len) && xdr_encode_u32(e, flags) &&
	       xdr_encode_u32(e, SP4_NONE) && xdr_encode_u32(e, 1) &&
	       enc_str(e, "ferry.invalid") && enc_str(e, "ferry-bench") &&
	       xdr_encode_u64(e, 0) && xdr_encode_u32(e, 0);
}

static bool enc_channel_attrs(struct xdr_enc *e, const struct nfs41_channel_attrs *a)
{
	return xdr_encode_u32(e, a->headerpadsize) && xdr_encode_u32(e, a->maxrequestsize) &&
	       xdr_encode_u32(e, a->maxresponsesize) &&
	       xdr_encode_u32(e, a->maxresponsesize_cached) &&
	       xdr_encode_u32(e, a->maxoperations) && xdr_encode_u32(e, a->maxrequests) &&
	       xdr_encode_u32(e, 0); /* ca_rdma_ird<1>: none */
}

bool nfs41_enc_create_session(struct xdr_enc *e, uint64_t clientid, uint32_t sequence,
			      const struct nfs41_channel_attrs *fore,
			      const struct nfs41_channel_attrs *back, uint32_t cb_program,
			      uint32_t uid, uint32_t gid, const char *machinename)
{
	/* No back channel is asked for (flags 0), but csa_sec_parms still
	 * carries one AUTH_SYS entry, as the Linux client sends. */
	return xdr_encode_u32(e, OP_CREATE_SESSION) && xdr_encode_u64(e, clientid) &&
	       xdr_encode_u32(e, sequence) && xdr_encode_u32(e, 0) &&
	       enc_channel_attrs(e, fore) && enc_channel_attrs(e, back) &&
	       xdr_encode_u32(e, cb_program) && xdr_encode_u32(e, 1) &&
	       xdr_encode_u32(e, 1 /* AUTH_SYS */) && xdr_encode_u32(e, 0 /* stamp */) &&
	       enc_str(e, machinename) && xdr_encode_u32(e, uid) && xdr_encode_u32(e, gid) &&
	       xdr_encode_u32(e, 0);
}

bool nfs41_enc_destroy_session(struct xdr_enc *e, const uint8_t sessionid[NFS4_SESSIONID_SIZE])
{
	return xdr_encode_u32(e, OP_DESTROY_SESSION) &&
	       xdr_encode_opaque_fixed(e, sessionid, NFS4_SESSIONID_SIZE);
}

bool nfs41_enc_destroy_clientid(struct xdr_enc *e, uint64_t clientid)
{
	return xdr_encode_u32(e, OP_DESTROY_CLIENTID) && xdr_encode_u64(e, clientid);
}

bool nfs41_enc_reclaim_complete(struct xdr_enc *e, bool one_fs)
{
	return xdr_encode_u32(e, OP_RECLAIM_COMPLETE) && xdr_encode_bool(e, one_fs);
}

bool nfs41_enc_putrootfh(struct xdr_enc *e) { return xdr_encode_u32(e, OP_PUTROOTFH); }

bool nfs41_enc_putfh(struct xdr_enc *e, const struct nfs41_fh *fh)
{
	return xdr_encode_u32(e, OP_PUTFH) && xdr_encode_opaque(e, fh->data, fh->len);
}

bool nfs41_enc_getfh(struct xdr_enc *e) { return xdr_encode_u32(e, OP_GETFH); }

bool nfs41_enc_lookup(struct xdr_enc *e, const char *name)
{
	return xdr_encode_u32(e, OP_LOOKUP) && enc_str(e, name);
}

bool nfs41_enc_getattr(struct xdr_enc *e, const struct nfs41_bitmap *attrs)
{
	return xdr_encode_u32(e, OP_GETATTR) && enc_bitmap(e, attrs);
}

bool nfs41_enc_open(struct xdr_enc *e, uint64_t clientid, const void *owner, uint32_t owner_len,
		    uint32_t access, bool create, const char *name)
{
	bool ok = xdr_encode_u32(e, OP_OPEN) && xdr_encode_u32(e, 0 /* seqid: unused in 4.1 */) &&
		  xdr_encode_u32(e, access | OPEN4_SHARE_ACCESS_WANT_NO_DELEG) &&
		  xdr_encode_u32(e, OPEN4_SHARE_DENY_NONE) && xdr_encode_u64(e, clientid) &&
		  xdr_encode_opaque(e, owner, owner_len);
	if (!ok)
		return false;
	if (create) {
		/* createattrs: mode 0644, so both servers create alike. */
		struct nfs41_bitmap mask = {0};
		nfs41_bitmap_set(&mask, FATTR4_MODE);
		ok = xdr_encode_u32(e, OPEN4_CREATE) && xdr_encode_u32(e, UNCHECKED4) &&
		     enc_bitmap(e, &mask) && xdr_encode_u32(e, 4) && xdr_encode_u32(e, 0644);
	} else {
		ok = xdr_encode_u32(e, OPEN4_NOCREATE);
	}
	return ok && xdr_encode_u32(e, CLAIM_NULL) && enc_str(e, name);
}

bool nfs41_enc_close(struct xdr_enc *e, const struct nfs41_stateid *sid)
{
	return xdr_encode_u32(e, OP_CLOSE) && xdr_encode_u32(e, 0) && enc_stateid(e, sid);
}

bool nfs41_enc_write_head(struct xdr_enc *e, const struct nfs41_stateid *sid, uint64_t offset,
			  uint32_t stable, uint32_t len)
{
	return xdr_encode_u32(e, OP_WRITE) && enc_stateid(e, sid) && xdr_encode_u64(e, offset) &&
	       xdr_encode_u32(e, stable) && xdr_encode_u32(e, len);
}

bool nfs41_enc_read(struct xdr_enc *e, const struct nfs41_stateid *sid, uint64_t offset,
		    uint32_t count)
{
	return xdr_encode_u32(e, OP_READ) && enc_stateid(e, sid) && xdr_encode_u64(e, offset) &&
	       xdr_encode_u32(e, count);
}

bool nfs41_enc_commit(struct xdr_enc *e, uint64_t offset, uint32_t count)
{
	return xdr_encode_u32(e, OP_COMMIT) && xdr_encode_u64(e, offset) &&
	       xdr_encode_u32(e, count);
}

bool nfs41_enc_remove(struct xdr_enc *e, const char *name)
{
	return xdr_encode_u32(e, OP_REMOVE) && enc_str(e, name);
}

bool nfs41_enc_create_dir(struct xdr_enc *e, const char *name)
{
	struct nfs41_bitmap mask = {0};
	nfs41_bitmap_set(&mask, FATTR4_MODE);
	return xdr_encode_u32(e, OP_CREATE) && xdr_encode_u32(e, NF4DIR) && enc_str(e, name) &&
	       enc_bitmap(e, &mask) && xdr_encode_u32(e, 4) && xdr_encode_u32(e, 0755);
}

bool nfs41_enc_readdir(struct xdr_enc *e, uint64_t cookie, const uint8_t verf[NFS4_VERIFIER_SIZE],
		       uint32_t dircount, uint32_t maxcount, const struct nfs41_bitmap *attrs)
{
	return xdr_encode_u32(e, OP_READDIR) && xdr_encode_u64(e, cookie) &&
	       xdr_encode_opaque_fixed(e, verf, NFS4_VERIFIER_SIZE) &&
	       xdr_encode_u32(e, dircount) && xdr_encode_u32(e, maxcount) && enc_bitmap(e, attrs);
}
