/* Delegations, continued: the callbacks they lead to (queued for the
 * NFSv4 layer, and their outcomes), CB_GETATTR for GETATTR of another client
 * (RFC 8881 10.4.3), DELEGRETURN, CLAIM_DELEGATE_CUR checks and counters. */
#include <string.h>

#include "state/base/state_internal.h"

size_t state_deleg_take_unleased(struct state_server *st, struct state_file_key *out, size_t max)
{
	pthread_mutex_lock(&st->lock);
	size_t n = 0;
	/* A file delegated again since it was queued keeps its lease; a
	 * directory still delegated may have lost the delegation that
	 * needed its index (the NFSv4 layer asks again). */
	while (n < max && st->outbox.nunleased > 0) {
		struct state_file_key *k = &st->outbox.unleased[--st->outbox.nunleased];
		struct state_file *f = state_file_get(st, k, false);
		if (!f || list_empty(&f->delegs) ||
		    container_of(f->delegs.next, struct state_deleg, s.file_link)->dir)
			out[n++] = *k;
	}
	state_outbox_flag(st);
	pthread_mutex_unlock(&st->lock);
	return n;
}

/* The delegation a callback was about, if it is still the same one. */
static struct state_deleg *cb_deleg(struct state_server *st, const struct nfs4_stateid *sid)
{
	struct state_deleg *d = state_deleg_find(st, sid);
	return d && d->s.seqid == sid->seqid && !d->revoked ? d : NULL;
}

void state_deleg_recall_done(struct state_server *st, const struct nfs4_stateid *sid,
			     uint32_t status)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = cb_deleg(st, sid);
	if (d) {
		switch (status) {
		case NFS4ERR_CB_PATH_DOWN:
			state_deleg_revoke_locked(st, d, "recall undeliverable");
			break;
		case NFS4ERR_BADHANDLE:
		case NFS4ERR_BAD_STATEID:
			/* Most likely the recall overtook the reply that
			 * granted the delegation (a CephFS delegation taken
			 * back by the MDS right after it was given does
			 * that): the holder would keep trusting its cache.
			 * Sent again once it has had time to read that reply;
			 * after the last try, the lease after the recall
			 * decides, as for any other error. */
			state_deleg_recall_resend_locked(st, d);
			break;
		default:
			/* NFS4_OK: DELEGRETURN follows.  Any other error leaves
			 * it to the lease after the recall. */
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
}

void state_deleg_getattr_done(struct state_server *st, const struct nfs4_stateid *sid,
			      const struct state_deleg_ga *ans)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = cb_deleg(st, sid);
	if (d && d->s.file) {
		if (ans) {
			/* Only an answer to the question under way counts: a
			 * late or repeated one must not serve a later GETATTR
			 * that has to ask again. */
			if (d->ga == STATE_GA_PENDING) {
				d->ga = STATE_GA_ANSWERED;
				d->ga_values = *ans;
			}
		} else {
			/* No answer about the file: the other client can only
			 * be served once the delegation is back. */
			d->ga = STATE_GA_IDLE;
			state_deleg_recall_locked(st, d);
		}
	}
	pthread_mutex_unlock(&st->lock);
}

bool state_deleg_getattr_answered(struct state_server *st, const struct nfs4_stateid *sid)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = cb_deleg(st, sid);
	bool answered = d && d->ga == STATE_GA_ANSWERED;
	pthread_mutex_unlock(&st->lock);
	return answered;
}

void state_deleg_getattr_served(struct state_server *st, const struct nfs4_stateid *sid)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = cb_deleg(st, sid);
	if (d && d->ga == STATE_GA_ANSWERED)
		d->ga = STATE_GA_IDLE;
	pthread_mutex_unlock(&st->lock);
}

enum nfsstat4 state_deleg_getattr(struct state_server *st, const struct state_file_key *file,
				  uint64_t clientid, bool *have, struct state_deleg_ga *values,
				  bool *pending, struct nfs4_stateid *pending_sid)
{
	*have = false;
	if (pending)
		*pending = false;
	enum nfsstat4 status = NFS4_OK;
	pthread_mutex_lock(&st->lock);
	struct state_file *f = state_file_get(st, file, false);
	if (!f)
		goto out;
	list_for_each_entry(d, &f->delegs, struct state_deleg, s.file_link) {
		if (d->type != OPEN_DELEGATE_WRITE || d->s.owner->clientid == clientid)
			continue;
		if (d->recalled) {
			status = NFS4ERR_DELAY;
		} else if (d->ga == STATE_GA_ANSWERED) {
			/* One answer serves one GETATTR: the holder may write
			 * again at any time. */
			d->ga = STATE_GA_IDLE;
			*have = true;
			*values = d->ga_values;
		} else {
			if (d->ga == STATE_GA_IDLE) {
				d->ga = STATE_GA_PENDING;
				state_deleg_queue_getattr(st, d);
			}
			if (pending) {
				*pending = true;
				pending_sid->seqid = d->s.seqid;
				memcpy(pending_sid->other, d->s.other, sizeof(pending_sid->other));
			}
			status = NFS4ERR_DELAY;
		}
		break; /* a write delegation is the only one on its file */
	}
out:
	pthread_mutex_unlock(&st->lock);
	return status;
}

enum nfsstat4 state_delegreturn(struct state_server *st, uint64_t clientid,
				const struct nfs4_stateid *sid, const struct state_file_key *file,
				uint32_t minor, bool *last)
{
	*last = false;
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 status = NFS4_OK;
	struct state_stid *s = state_stid_find(st, sid->other);
	struct state_deleg *d = NULL;
	if (!s || s->owner->dead) {
		status = state_stid_missing(st, sid);
	} else if (s->type != STATE_STID_DELEG || state_stid_foreign(s, clientid)) {
		status = NFS4ERR_BAD_STATEID;
	} else {
		d = container_of(s, struct state_deleg, s);
		if (d->revoked) {
			/* The client learns it was revoked, and is done with it. */
			status = state_deleg_revoked_status(minor);
			state_deleg_free(st, d);
		} else if (!state_file_key_eq(&d->s.file->key, file)) {
			status = NFS4ERR_BAD_STATEID;
		} else if (!(minor >= 1 && sid->seqid == 0) && sid->seqid != d->s.seqid) {
			status = (int32_t)(sid->seqid - d->s.seqid) < 0 ? NFS4ERR_OLD_STATEID
									: NFS4ERR_BAD_STATEID;
		} else {
			struct state_file *f = d->s.file;
			state_client_renew(st, d->s.owner->client);
			/* A directory has no lease to drop. */
			*last = !d->dir && f->delegs.next == &d->s.file_link &&
				f->delegs.prev == &d->s.file_link;
			/* The NFSv4 layer drops the lease itself: not queued. */
			state_deleg_free_returned(st, d);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

enum nfsstat4 state_deleg_check_cur(struct state_server *st, uint64_t clientid,
				    const struct nfs4_stateid *sid,
				    const struct state_file_key *file, uint32_t minor)
{
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 status = NFS4_OK;
	struct state_stid *s = state_stid_find(st, sid->other);
	if (!s || s->owner->dead) {
		status = state_stid_missing(st, sid);
	} else if (s->type != STATE_STID_DELEG || s->owner->clientid != clientid) {
		status = NFS4ERR_BAD_STATEID;
	} else {
		struct state_deleg *d = container_of(s, struct state_deleg, s);
		if (d->revoked)
			status = state_deleg_revoked_status(minor);
		else if (!state_file_key_eq(&d->s.file->key, file))
			status = NFS4ERR_BAD_STATEID;
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

void state_deleg_get_stats(struct state_server *st, struct state_deleg_stats *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->deleg.files;
	pthread_mutex_unlock(&st->lock);
}

enum nfsstat4 state_deleg_check_times(struct state_server *st, uint64_t clientid,
				      const struct nfs4_stateid *sid,
				      const struct state_file_key *file)
{
	pthread_mutex_lock(&st->lock);
	struct state_deleg *d = state_deleg_find(st, sid);
	bool ok = d && !d->revoked && d->timestamps && d->s.file &&
		  d->s.owner->clientid == clientid && state_file_key_eq(&d->s.file->key, file);
	pthread_mutex_unlock(&st->lock);
	return ok ? NFS4_OK : NFS4ERR_INVAL;
}
