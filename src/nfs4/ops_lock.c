/* LOCK, LOCKT, LOCKU, RELEASE_LOCKOWNER (RFC 7530 16.10-16.12, 16.37).
 * The locks themselves live in the state module (state/state.h). */
#include <string.h>

#include "nfs4/fattr.h"
#include "nfs4/ops_state.h"
#include "nfs4/server.h"

static void encode_denied(struct nfs4_compound *c, struct xdr_enc *res,
			  const struct state_lock_denied *d)
{
	xdr_encode_u64(res, d->offset);
	xdr_encode_u64(res, d->length);
	xdr_encode_u32(res, d->type);
	xdr_encode_u64(res, d->clientid);
	xdr_encode_opaque(res, d->owner, d->owner_len);
	c->error_body = true;
}

/* The current file as a lock target: a regular file of an export. */
static enum nfsstat4 lock_target(struct nfs4_compound *c, struct state_file_key *key)
{
	if (!nfs4_state_cfh_key(c, key))
		return NFS4ERR_ISDIR; /* the pseudo-fs holds directories only */
	struct backend_attr attr;
	enum nfsstat4 s = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (s != NFS4_OK)
		return s;
	if (attr.type == BACKEND_DIR)
		return NFS4ERR_ISDIR;
	if (attr.type != BACKEND_REG)
		return NFS4ERR_INVAL;
	return NFS4_OK;
}

NFS4_STATE_OP(lock)
{
	struct state_lock_args a;
	memset(&a, 0, sizeof(a));
	uint32_t seqid;
	if (!xdr_decode_u32(args, &a.type) || !xdr_decode_bool(args, &a.reclaim) ||
	    !xdr_decode_u64(args, &a.offset) || !xdr_decode_u64(args, &a.length) ||
	    !xdr_decode_bool(args, &a.new_owner))
		return NFS4ERR_BADXDR;
	if (a.new_owner) {
		if (!xdr_decode_u32(args, &seqid) || !nfs4_decode_stateid(args, &a.open_stateid) ||
		    !xdr_decode_u32(args, &a.lock_seqid) ||
		    !xdr_decode_u64(args, &a.lock_clientid) ||
		    !xdr_decode_opaque(args, NFS4_OPAQUE_LIMIT, &a.lock_owner, &a.lock_owner_len))
			return NFS4ERR_BADXDR;
	} else {
		if (!nfs4_decode_stateid(args, &a.lock_stateid) || !xdr_decode_u32(args, &seqid))
			return NFS4ERR_BADXDR;
	}
	/* v4.1: the session says whose lock owner it is. */
	if (c->minor >= 1)
		a.lock_clientid = c->clientid;
	struct nfs4_stateid *sid = a.new_owner ? &a.open_stateid : &a.lock_stateid;
	enum nfsstat4 s;
	/* A new lock owner is sequenced by its open owner, whose reply cache
	 * then holds this LOCK's reply (RFC 7530 9.1.7). */
	struct state_owner *o;
	if (nfs4_state_stateid_seq_start(c, sid, seqid, res, &o, &s))
		return s;
	size_t body_off = xdr_enc_len(res);
	struct state_file_key key;
	struct nfs4_stateid out;
	struct state_lock_denied denied;
	if (!nfs4_state_cfh_key(c, &key)) {
		s = NFS4ERR_ISDIR;
	} else {
		s = state_lock(c->srv->state, o, &key, &a, c->minor, &out, &denied);
		if (s == NFS4_OK)
			nfs4_encode_stateid(res, &out);
		else if (s == NFS4ERR_DENIED)
			encode_denied(c, res, &denied);
	}
	return nfs4_state_seq_finish(c, o, res, body_off, s, NULL);
}

NFS4_STATE_OP(lockt)
{
	uint32_t type;
	uint64_t offset, length, clientid;
	const uint8_t *owner;
	uint32_t owner_len;
	if (!xdr_decode_u32(args, &type) || !xdr_decode_u64(args, &offset) ||
	    !xdr_decode_u64(args, &length) || !xdr_decode_u64(args, &clientid) ||
	    !xdr_decode_opaque(args, NFS4_OPAQUE_LIMIT, &owner, &owner_len))
		return NFS4ERR_BADXDR;
	if (c->minor >= 1)
		clientid = c->clientid;
	struct state_file_key key;
	enum nfsstat4 s = lock_target(c, &key);
	if (s != NFS4_OK)
		return s;
	struct state_lock_denied denied;
	s = state_lockt(c->srv->state, clientid, owner, owner_len, &key, type, offset, length,
			&denied);
	if (s == NFS4ERR_DENIED)
		encode_denied(c, res, &denied);
	return s;
}

NFS4_STATE_OP(locku)
{
	uint32_t type, seqid;
	struct nfs4_stateid sid, out;
	uint64_t offset, length;
	if (!xdr_decode_u32(args, &type) || !xdr_decode_u32(args, &seqid) ||
	    !nfs4_decode_stateid(args, &sid) || !xdr_decode_u64(args, &offset) ||
	    !xdr_decode_u64(args, &length))
		return NFS4ERR_BADXDR;
	struct state_owner *o;
	enum nfsstat4 s;
	if (nfs4_state_stateid_seq_start(c, &sid, seqid, res, &o, &s))
		return s;
	size_t body_off = xdr_enc_len(res);
	struct state_file_key key;
	if (!nfs4_state_cfh_key(c, &key))
		s = NFS4ERR_ISDIR;
	else if ((s = state_locku(c->srv->state, o, &sid, &key, offset, length, c->minor,
				  &out)) == NFS4_OK)
		nfs4_encode_stateid(res, &out);
	return nfs4_state_seq_finish(c, o, res, body_off, s, NULL);
}

NFS4_STATE_OP(release_lockowner)
{
	uint64_t clientid;
	const uint8_t *owner;
	uint32_t owner_len;
	if (!xdr_decode_u64(args, &clientid) ||
	    !xdr_decode_opaque(args, NFS4_OPAQUE_LIMIT, &owner, &owner_len))
		return NFS4ERR_BADXDR;
	return state_release_lockowner(c->srv->state, clientid, owner, owner_len);
}
