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
#include "export/fh.h"
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

/* --- locks in the back end -------------------------------------------------------
 *
 * On a back end other servers and clients reach too (ceph), a lock is also
 * taken in the storage (backend_ops.lock), so they see it and the NFS
 * clients see theirs.  ferryd's own table stays the authority among its own
 * clients and is asked first (a conflict there is answered with the holder
 * the RFC wants); the storage is asked next, with no state lock held; then
 * the table takes the lock.  The storage refusing is NFS4ERR_DENIED with
 * the range it tells and an owner that says who: another server or client
 * of the file system, which ferryd cannot name. */

/* The export of key when its back end holds locks; NULL otherwise. */
static struct export *lock_backend(struct nfs4_compound *c,
					const struct state_file_key *key)
{
	struct export *ex = exports_find(&c->srv->exports, key->export_id);
	return ex && ex->ops->lock ? ex : NULL;
}

static enum backend_lock_type lock_backend_type(uint32_t type)
{
	return type == STATE_WRITE_LT || type == STATE_WRITEW_LT ? BACKEND_LOCK_WRITE
								  : BACKEND_LOCK_READ;
}

/* NFS lengths say "to the end" with all ones, the back end with 0. */
static uint64_t lock_backend_length(uint64_t length)
{
	return length == STATE_LENGTH_EOF ? 0 : length;
}

static void lock_denied_elsewhere(const struct backend_lock_conflict *k,
				  struct state_lock_denied *d)
{
	static const char who[] = "another server or client of the file system";
	d->offset = k->offset;
	d->length = k->length == 0 ? STATE_LENGTH_EOF : k->length;
	d->type = k->type == BACKEND_LOCK_WRITE ? STATE_WRITE_LT : STATE_READ_LT;
	d->clientid = 0;
	d->owner_len = sizeof(who) - 1;
	memcpy(d->owner, who, sizeof(who) - 1);
}

static enum nfsstat4 lock_file_backend(struct nfs4_compound *c, struct export *ex,
				       struct state_owner *o, const struct state_file_key *key,
				       const struct state_lock_args *arg, struct nfs4_stateid *out,
				       struct state_lock_denied *denied)
{
	struct state_lock_args la = *arg;
	uint64_t owner_id = 0;
	la.owner_id = &owner_id;
	la.dry_run = true;
	enum nfsstat4 s = state_lock(c->srv->state, o, key, &la, c->minor, out, denied);
	if (s != NFS4_OK)
		return s;
	struct backend_lock_conflict k;
	uint64_t blen = lock_backend_length(la.length);
	int rc = ex->ops->lock(ex->bex, &key->bh, owner_id, lock_backend_type(la.type),
			       la.offset, blen, false, &k);
	if (rc == -EAGAIN) {
		lock_denied_elsewhere(&k, denied);
		return NFS4ERR_DENIED;
	}
	if (rc)
		return nfs4_errno_to_status(rc);
	la.dry_run = false;
	la.backend = true;
	s = state_lock(c->srv->state, o, key, &la, c->minor, out, denied);
	if (s != NFS4_OK) {
		/* Only the lease running out or a cap reached since the dry
		 * run get here.  The range goes back in the storage: where
		 * the owner held a lock over it before (an upgrade), the
		 * storage holds less than ferryd's table until the owner's
		 * next lock or its release. */
		rc = ex->ops->lock(ex->bex, &key->bh, owner_id, BACKEND_LOCK_UNLOCK, la.offset,
				   blen, false, NULL);
		log_debug("nfs4: LOCK taken in the back end but refused by the state (%d), "
			  "given back: %d",
			  (int)s, rc);
	}
	return s;
}

static enum nfsstat4 lock_file(struct nfs4_compound *c, struct state_owner *o,
			       const struct nfs4_stateid *sid, const struct state_file_key *key,
			       const void *arg, struct xdr_enc *res)
{
	(void)sid; /* la holds it */
	struct nfs4_lock_res out;
	struct state_lock_denied denied;
	struct export *ex = lock_backend(c, key);
	enum nfsstat4 s =
		ex ? lock_file_backend(c, ex, o, key, arg, &out.stateid, &denied)
		   : state_lock(c->srv->state, o, key, arg, c->minor, &out.stateid, &denied);
	if (s == NFS4_OK)
		nfs4_enc_lock_res(res, &out);
	else if (s == NFS4ERR_DENIED)
		encode_denied(c, res, &denied);
	return s;
}

enum nfsstat4 nfs4_op_lock(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_lock_args *a = args;
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

enum nfsstat4 nfs4_op_lockt(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_lockt_args *a = args;
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
	struct export *ex = s == NFS4_OK ? lock_backend(c, &key) : NULL;
	if (ex) {
		uint64_t owner_id = state_lock_owner_id(c->srv->state, clientid, a->owner.owner.data,
							a->owner.owner.len);
		struct backend_lock_conflict k;
		int rc = ex->ops->lock(ex->bex, &key.bh, owner_id, lock_backend_type(a->locktype),
				       a->offset, lock_backend_length(a->length), true, &k);
		if (rc == -EAGAIN) {
			lock_denied_elsewhere(&k, &denied);
			s = NFS4ERR_DENIED;
		} else if (rc) {
			s = nfs4_errno_to_status(rc);
		}
	}
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
	struct state_locku_left left;
	enum nfsstat4 s = state_locku_left(c->srv->state, o, sid, key, a->offset, a->length,
					   c->minor, &out.stateid, &left);
	struct export *ex = s == NFS4_OK ? lock_backend(c, key) : NULL;
	if (ex) {
		/* After the table: a client of this server that asks in
		 * between is refused by the storage and retries.  An owner
		 * left with nothing lets go of the whole file, so the back end
		 * can forget it. */
		int rc = left.none ? ex->ops->lock(ex->bex, &key->bh, left.owner_id,
						   BACKEND_LOCK_UNLOCK, 0, 0, false, NULL)
				   : ex->ops->lock(ex->bex, &key->bh, left.owner_id,
						   BACKEND_LOCK_UNLOCK, a->offset,
						   lock_backend_length(a->length), false, NULL);
		/* The client's LOCKU is done in ferryd's table, where this
		 * server's clients look; the back end has logged why other
		 * servers may still see the lock. */
		(void)rc;
	}
	if (s == NFS4_OK)
		nfs4_enc_locku_res(res, &out);
	return s;
}

enum nfsstat4 nfs4_op_locku(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_locku_args *a = args;
	return nfs4_state_stateid_seq_run(c, &a->stateid, a->seqid, NFS4ERR_ISDIR, locku_file, a,
					  res);
}

enum nfsstat4 nfs4_op_release_lockowner(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_release_lockowner_args *a = args;
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
 * state thread) with no lock held; cb_queue returns at once, a released
 * notice's unlock is one call to the back end. */
void nfs4_lock_notify(void *ctx, const struct state_lock_notice *n)
{
	struct nfs4_server *srv = ctx;
	struct export *ex = exports_find(&srv->exports, n->file->export_id);
	if (!ex)
		return;
	if (n->released) {
		/* A lock state went with its locks (CLOSE, FREE_STATEID,
		 * expiry): the storage lets go of them too, unless the owner
		 * has locked the file anew since (the storage then holds at
		 * least what ferryd's table does, until that lock state
		 * goes in turn). */
		if (ex->ops->lock &&
		    !state_lock_owner_holds(srv->state, n->clientid, n->owner, n->owner_len,
					    n->file))
			(void)ex->ops->lock(ex->bex, &n->file->bh, n->owner_id,
					    BACKEND_LOCK_UNLOCK, 0, 0, false, NULL);
		return;
	}
	struct fh fh;
	fh_from_object(&srv->exports, ex, &n->file->bh, &fh);
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
