/* LOCK, LOCKT, LOCKU, RELEASE_LOCKOWNER (RFC 7530 16.10-16.12, 16.37) and
 * CB_NOTIFY_LOCK (RFC 8881 20.11).  The locks themselves, and the waiters
 * of denied blocking locks, live in the state module (state/state.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/container_of.h"
#include "core/log.h"
#include "callback/callback.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/fs/fh.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "xdr/nfs4_codec_session.h"

static void encode_denied(struct nfs4_compound *c, struct xdr_enc *res,
			  const struct state_lock_denied *d)
{
	struct nfs4_lock_denied r = {
		.offset = d->offset,
		.length = d->length,
		.locktype = d->type,
		.owner = {d->clientid, {d->owner, d->owner_len}},
	};
	nfs4_enc_lock_denied(res, &r);
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

static enum nfsstat4 lock_file(struct nfs4_compound *c, struct state_owner *o,
			       const struct nfs4_stateid *sid, const struct state_file_key *key,
			       const void *arg, struct xdr_enc *res)
{
	(void)sid; /* la holds it */
	struct nfs4_lock_res out;
	struct state_lock_denied denied;
	enum nfsstat4 s = state_lock(c->srv->state, o, key, arg, c->minor, &out.stateid, &denied);
	if (s == NFS4_OK)
		nfs4_enc_lock_res(res, &out);
	else if (s == NFS4ERR_DENIED)
		encode_denied(c, res, &denied);
	return s;
}

NFS4_SERVE(lock)
{
	const struct nfs4_locker *l = &a->locker;
	struct state_lock_args la = {
		.type = a->locktype,
		.reclaim = a->reclaim,
		.offset = a->offset,
		.length = a->length,
		.new_owner = l->new_lock_owner,
	};
	uint32_t seqid;
	if (l->new_lock_owner) {
		seqid = l->open_seqid;
		la.open_stateid = l->open_stateid;
		la.lock_seqid = l->lock_seqid;
		la.lock_clientid = l->owner.clientid;
		la.lock_owner = l->owner.owner.data;
		la.lock_owner_len = l->owner.owner.len;
	} else {
		seqid = l->lock_seqid;
		la.lock_stateid = l->lock_stateid;
	}
	/* v4.1: the session says whose lock owner it is. */
	if (c->minor >= 1)
		la.lock_clientid = c->clientid;
	enum nfsstat4 s;
	if (la.new_owner && (s = nfs4_state_v40_clientid(c, la.lock_clientid)) != NFS4_OK)
		return s;
	const struct nfs4_stateid *sid = la.new_owner ? &la.open_stateid : &la.lock_stateid;
	/* A new lock owner is sequenced by its open owner, whose reply cache
	 * then holds this LOCK's reply (RFC 7530 9.1.7). */
	return nfs4_state_stateid_seq_run(c, sid, seqid, NFS4ERR_ISDIR, lock_file, &la, res);
}

NFS4_SERVE(lockt)
{
	uint64_t clientid = a->owner.clientid;
	if (c->minor >= 1)
		clientid = c->clientid;
	enum nfsstat4 s = nfs4_state_v40_clientid(c, clientid);
	if (s != NFS4_OK)
		return s;
	struct state_file_key key;
	s = lock_target(c, &key);
	if (s != NFS4_OK)
		return s;
	struct state_lock_denied denied;
	s = state_lockt(c->srv->state, clientid, a->owner.owner.data, a->owner.owner.len, &key,
			a->locktype, a->offset, a->length, &denied);
	if (s == NFS4ERR_DENIED)
		encode_denied(c, res, &denied);
	return s;
}

static enum nfsstat4 locku_file(struct nfs4_compound *c, struct state_owner *o,
				const struct nfs4_stateid *sid, const struct state_file_key *key,
				const void *arg, struct xdr_enc *res)
{
	const struct nfs4_locku_args *a = arg;
	struct nfs4_locku_res out;
	enum nfsstat4 s = state_locku(c->srv->state, o, sid, key, a->offset, a->length, c->minor,
				      &out.stateid);
	if (s == NFS4_OK)
		nfs4_enc_locku_res(res, &out);
	return s;
}

NFS4_SERVE(locku)
{
	return nfs4_state_stateid_seq_run(c, &a->stateid, a->seqid, NFS4ERR_ISDIR, locku_file, a,
					  res);
}

NFS4_SERVE(release_lockowner)
{
	enum nfsstat4 s = nfs4_state_v40_clientid(c, a->owner.clientid);
	if (s != NFS4_OK)
		return s;
	return state_release_lockowner(c->srv->state, a->owner.clientid, a->owner.owner.data,
				       a->owner.owner.len);
}

/* A CB_NOTIFY_LOCK on its way: its arguments and what they point to. */
struct lock_notify_call {
	struct cb_call call;
	struct nfs4_cb_notify_lock_args args;
	uint8_t fh[NFS4_FHSIZE];
	uint8_t owner[]; /* the lock owner */
};

static void lock_notify_done(struct cb_call *call, uint32_t status)
{
	(void)status;
	free(container_of(call, struct lock_notify_call, call));
}

/* Runs where state_lock_notify_flush is called (after a COMPOUND, on the
 * state thread) with no lock held; cb_queue returns at once. */
void nfs4_lock_notify(void *ctx, const struct state_lock_notice *n)
{
	struct nfs4_server *srv = ctx;
	struct nfs4_export *ex = nfs4_exports_find(&srv->exports, n->file->export_id);
	if (!ex)
		return;
	struct nfs4_fh fh;
	nfs4_fh_from_object(&srv->exports, ex, &n->file->bh, &fh);
	struct lock_notify_call *lc = malloc(sizeof(*lc) + n->owner_len);
	int rc = -ENOMEM;
	if (lc) {
		memcpy(lc->fh, fh.wire, fh.wire_len);
		memcpy(lc->owner, n->owner, n->owner_len);
		lc->args = (struct nfs4_cb_notify_lock_args){
			.fh = {lc->fh, fh.wire_len},
			.lock_owner = {.clientid = n->clientid,
				       .owner = {lc->owner, n->owner_len}},
		};
		lc->call = (struct cb_call){.op = &cb_op_notify_lock, .args = &lc->args,
					    .done = lock_notify_done};
		/* Nothing to do when it cannot go (no back channel): the client
		 * polls for the lock as it would without notices. */
		rc = cb_queue(srv->cb, n->clientid, &lc->call);
		if (rc != 0)
			free(lc);
	}
	if (rc != 0)
		log_debug("nfs4: CB_NOTIFY_LOCK for client %016llx not queued: %s",
			  (unsigned long long)n->clientid, strerror(-rc));
	else
		log_debug("nfs4: CB_NOTIFY_LOCK queued for client %016llx",
			  (unsigned long long)n->clientid);
}
