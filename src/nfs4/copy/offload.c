/* The copy engine (copy.h): the states of asynchronous copies, the copy
 * workers, the pieces a copy moves in, and CB_OFFLOAD.
 *
 * A copy's state (struct copy_rec) is referenced by the engine's list of
 * kept copies, by the run queue or the worker copying it, and by its
 * CB_OFFLOAD while that is on its way; the last reference frees it.  The
 * copies are few (max_per_client per client, each a long operation), so
 * the list is scanned rather than indexed.
 *
 * Lock: the engine's lock (struct nfs4_copy_engine.workers.lock), level 9e of
 * core/lock_order.h, a leaf: the back end, the state module and the
 * callback engine are called with it released. */
#include "nfs4/copy/copy.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/container_of.h"
#include "core/log.h"
#include "core/workers.h"
#include "callback/callback.h"
#include "nfs4/engine/compound.h"
#include "nfs4/server.h"
#include "state/state.h"

enum {
	COPY_WORKERS_MAX = 16,
	/* Idle workers look for copies of clients that went this often. */
	COPY_SWEEP_MS = 1000,
	/* Clients looked up per sweep, at most. */
	COPY_SWEEP_CLIENTS = 32,
};

enum copy_phase { COPY_QUEUED, COPY_RUNNING, COPY_ENDED };

struct copy_rec {
	struct copy_rec *next;  /* the engine's kept copies, oldest first */
	struct copy_rec *qnext; /* the run queue */
	uint8_t other[NFS4_OTHER_SIZE];
	struct nfs4_copy_job job;
	_Atomic uint64_t done; /* bytes copied so far */
	_Atomic bool cancel;   /* stop at the next piece */
	/* Under the engine's lock: */
	enum copy_phase phase;
	uint32_t result;  /* once COPY_ENDED */
	bool cb_pending;  /* its CB_OFFLOAD is on its way */
	bool cb_failed;   /* its CB_OFFLOAD could not be delivered */
	bool learned;     /* the client knows the result */
	bool kept;        /* on the engine's list */
	unsigned refs;
	/* Its CB_OFFLOAD (one at most, while cb_pending): the call and its
	 * arguments, whose fh points into job. */
	struct cb_call cb;
	struct nfs4_cb_offload_args cb_args;
	struct nfs4_copy_engine *cb_eng;
};

struct nfs4_copy_engine {
	struct nfs4_server *srv;
	struct nfs4_copy_settings set;
	/* The copy workers.  workers.lock: lock order, core/lock_order.h,
	 * level 9e; workers.cond: work queued, a copy cancelled, stop. */
	struct workers workers;
	struct copy_rec *kept;
	struct copy_rec *qhead, **qtail;
	struct nfs4_copy_stats stats; /* running and kept computed when read */
};

void nfs4_copy_settings_default(struct nfs4_copy_settings *s)
{
	s->sync_max = NFS4_COPY_SYNC_MAX_DEFAULT;
	s->max_per_client = NFS4_COPY_PER_CLIENT_DEFAULT;
	s->workers = NFS4_COPY_WORKERS_DEFAULT;
	s->chunk = NFS4_COPY_CHUNK_DEFAULT;
	s->rate = 0;
}

/* --- references and the list (lock held) ------------------------------------------- */

/* Drops n references (0, 1 or 2). */
static void rec_put_locked(struct copy_rec *r, unsigned n)
{
	r->refs -= n;
	if (n && r->refs == 0)
		free(r);
}

/* Takes r off the list of kept copies: 1 when it was on it (the list's
 * reference, for the caller to drop), else 0. */
static unsigned rec_unkeep_locked(struct nfs4_copy_engine *eng, struct copy_rec *r)
{
	if (!r->kept)
		return 0;
	for (struct copy_rec **pp = &eng->kept; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	r->next = NULL;
	r->kept = false;
	return 1;
}

static struct copy_rec *rec_find_locked(struct nfs4_copy_engine *eng,
					const struct nfs4_copy_ref *ref, enum nfsstat4 *st)
{
	*st = NFS4ERR_BAD_STATEID;
	/* RFC 7862 4.8: seqid 0 names no copy ("the current one" would be
	 * ambiguous among copies), and a copy stateid keeps seqid 1. */
	if (ref->sid->seqid != 1)
		return NULL;
	for (struct copy_rec *r = eng->kept; r; r = r->next) {
		if (memcmp(r->other, ref->sid->other, NFS4_OTHER_SIZE) != 0)
			continue;
		/* Another client's, another user's (RFC 7862 4.1.2: an
		 * OFFLOAD_CANCEL must not touch another user's copy) or
		 * another file's: not a stateid for this request. */
		if (r->job.clientid != ref->clientid || r->job.cred.uid != ref->uid ||
		    !fh_equal(&r->job.dst, ref->dst))
			return NULL;
		*st = NFS4_OK;
		return r;
	}
	return NULL;
}

/* --- moving the data -------------------------------------------------------------- */

/* A result of copy_pieces that is no status: the copy was stopped. */
enum { COPY_STOPPED = 0xffffffffu };

/* Waits (lock released on return) until the copy may go on at `rate`, or
 * it is stopped. */
static void copy_throttle(struct nfs4_copy_engine *eng, const _Atomic bool *cancel,
			  uint64_t start_ms, uint64_t done)
{
	uint64_t due = start_ms + done * 1000 / eng->set.rate;
	pthread_mutex_lock(&eng->workers.lock);
	/* Until due; a cancel or the stop wakes it early. */
	while (!workers_stopping(&eng->workers) && !(cancel && atomic_load(cancel)) &&
	       workers_wait_until(&eng->workers, due))
		continue;
	pthread_mutex_unlock(&eng->workers.lock);
}

/* Copies job in pieces, *done counting; stops (COPY_STOPPED) when cancel
 * is set, the engine stops, or (clientid) the client is gone.  Returns
 * NFS4_OK (at the end, or short where the source ended) or the first
 * error of the back end. */
static uint32_t copy_pieces(struct nfs4_copy_engine *eng, const struct nfs4_copy_job *job,
			    const _Atomic bool *cancel, bool check_client, _Atomic uint64_t *done)
{
	struct export *ex = job->dst.export;
	uint64_t start_ms = clock_now_ms();
	uint32_t status = NFS4_OK;
	for (;;) {
		if (workers_stopping(&eng->workers) || (cancel && atomic_load(cancel)))
			return COPY_STOPPED;
		/* One look-up per piece: a client that went (DESTROY_CLIENTID,
		 * its lease expired) has its copies stop here. */
		if (check_client && !state_client_is_v41(eng->srv->state, job->clientid))
			return COPY_STOPPED;
		uint64_t at = atomic_load(done);
		if (at >= job->count)
			break;
		uint64_t n = job->count - at;
		if (n > eng->set.chunk)
			n = eng->set.chunk;
		uint64_t copied = 0;
		int rc = ex->ops->copy(ex->bex, &job->cred, &job->src.bh, job->src_off + at,
				       &job->dst.bh, job->dst_off + at, n, &copied);
		if (rc) {
			status = nfs4_errno_to_status(rc);
			break;
		}
		if (copied == 0)
			break; /* the source ends sooner than it did at COPY */
		atomic_store(done, at + copied);
		if (eng->set.rate)
			copy_throttle(eng, cancel, start_ms, at + copied);
	}
	return status;
}

enum nfsstat4 nfs4_copy_run_sync(struct nfs4_server *srv, const struct nfs4_copy_job *job,
				 uint64_t *copied)
{
	struct nfs4_copy_engine *eng = srv->copies;
	_Atomic uint64_t done = 0;
	uint32_t st = copy_pieces(eng, job, NULL, false, &done);
	*copied = atomic_load(&done);
	pthread_mutex_lock(&eng->workers.lock);
	eng->stats.sync_total++;
	eng->stats.bytes += *copied;
	if (st == COPY_STOPPED)
		eng->stats.cancelled++;
	else if (st == NFS4_OK || *copied)
		eng->stats.completed++;
	else
		eng->stats.failed++;
	pthread_mutex_unlock(&eng->workers.lock);
	if (st == COPY_STOPPED)
		return *copied ? NFS4_OK : NFS4ERR_DELAY;
	/* RFC 7862 15.2.3: what was copied before an error is reported as
	 * such; COPY4res has no room for both, so a short copy says it. */
	return *copied ? NFS4_OK : (enum nfsstat4)st;
}

/* --- CB_OFFLOAD -------------------------------------------------------------------- */

/* The client answered (it knows the result) or could not be reached (the
 * result stays for OFFLOAD_STATUS). */
static void offload_done(struct cb_call *call, uint32_t status)
{
	struct copy_rec *r = container_of(call, struct copy_rec, cb);
	struct nfs4_copy_engine *eng = r->cb_eng;
	pthread_mutex_lock(&eng->workers.lock);
	r->cb_pending = false;
	if (status == NFS4ERR_CB_PATH_DOWN) {
		r->cb_failed = true;
		eng->stats.cb_failed++;
	} else {
		/* NFS4_OK, or the client's own error (BAD_STATEID when it
		 * lost track of the copy): either way it was told. */
		r->learned = true;
	}
	rec_put_locked(r, 1 + (r->learned ? rec_unkeep_locked(eng, r) : 0));
	pthread_mutex_unlock(&eng->workers.lock);
}

static void offload_send(struct nfs4_copy_engine *eng, struct copy_rec *r, uint32_t result,
			 uint64_t done)
{
	struct nfs4_cb_offload_args *a = &r->cb_args;
	memset(a, 0, sizeof(*a));
	a->fh = (struct nfs4_opaque){r->job.dst.wire, r->job.dst.wire_len};
	a->stateid.seqid = 1;
	memcpy(a->stateid.other, r->other, NFS4_OTHER_SIZE);
	a->status = result;
	if (result == NFS4_OK) {
		a->resok.count = done;
		/* Like an UNSTABLE WRITE: the client COMMITs, and the write
		 * verifier tells it when a restart lost the data. */
		a->resok.committed = UNSTABLE4;
		memcpy(a->resok.writeverf.data, eng->srv->write_verifier,
		       sizeof(a->resok.writeverf.data));
	} else {
		a->bytes_copied = done;
	}
	r->cb_eng = eng;
	r->cb = (struct cb_call){.op = &cb_op_offload, .args = a, .done = offload_done};
	int rc = cb_queue(eng->srv->cb, r->job.clientid, &r->cb);
	if (rc == 0)
		return;
	/* No back channel at all (or the client went): as undeliverable. */
	offload_done(&r->cb, NFS4ERR_CB_PATH_DOWN);
}

/* --- the workers ------------------------------------------------------------------- */

/* Copies of clients that went: those under way stop at their next piece,
 * the ended ones go.  Called by an idle worker, lock held (released and
 * taken again around the state look-ups). */
static void sweep_locked(struct nfs4_copy_engine *eng)
{
	uint64_t ids[COPY_SWEEP_CLIENTS];
	unsigned n = 0;
	for (struct copy_rec *r = eng->kept; r && n < COPY_SWEEP_CLIENTS; r = r->next) {
		bool seen = false;
		for (unsigned i = 0; i < n && !seen; i++)
			seen = ids[i] == r->job.clientid;
		if (!seen)
			ids[n++] = r->job.clientid;
	}
	if (n == 0)
		return;
	bool gone[COPY_SWEEP_CLIENTS];
	pthread_mutex_unlock(&eng->workers.lock);
	for (unsigned i = 0; i < n; i++)
		gone[i] = !state_client_is_v41(eng->srv->state, ids[i]);
	pthread_mutex_lock(&eng->workers.lock);
	for (struct copy_rec *r = eng->kept, *next; r; r = next) {
		next = r->next;
		for (unsigned i = 0; i < n; i++) {
			if (!gone[i] || ids[i] != r->job.clientid)
				continue;
			if (r->phase == COPY_ENDED)
				rec_put_locked(r, rec_unkeep_locked(eng, r));
			else
				atomic_store(&r->cancel, true);
			break; /* r may be gone */
		}
	}
}

/* A copy worker (workers_body_fn: called with the engine's lock held). */
static void copy_worker(void *arg)
{
	struct nfs4_copy_engine *eng = arg;
	for (;;) {
		while (!workers_stopping(&eng->workers) && !eng->qhead) {
			if (!workers_wait_until(&eng->workers, clock_now_ms() + COPY_SWEEP_MS))
				sweep_locked(eng);
		}
		if (workers_stopping(&eng->workers))
			break;
		struct copy_rec *r = eng->qhead;
		eng->qhead = r->qnext;
		if (!eng->qhead)
			eng->qtail = &eng->qhead;
		r->qnext = NULL;
		r->phase = COPY_RUNNING; /* the queue's reference is the worker's now */
		pthread_mutex_unlock(&eng->workers.lock);

		uint32_t st = copy_pieces(eng, &r->job, &r->cancel, true, &r->done);
		uint64_t done = atomic_load(&r->done);

		pthread_mutex_lock(&eng->workers.lock);
		eng->stats.bytes += done;
		if (st == COPY_STOPPED) {
			/* Cancelled: no CB_OFFLOAD (the client asked, or is
			 * gone, or the server stops); its state goes. */
			eng->stats.cancelled++;
			r->phase = COPY_ENDED;
			r->result = NFS4ERR_DELAY;
			rec_put_locked(r, 1 + rec_unkeep_locked(eng, r));
			continue;
		}
		if (st == NFS4_OK)
			eng->stats.completed++;
		else
			eng->stats.failed++;
		r->phase = COPY_ENDED;
		r->result = st;
		bool send = r->kept && !r->learned;
		if (send) {
			r->cb_pending = true;
			r->refs++;
		}
		pthread_mutex_unlock(&eng->workers.lock);
		if (send)
			offload_send(eng, r, st, done);
		pthread_mutex_lock(&eng->workers.lock);
		rec_put_locked(r, 1);
	}
}

/* --- the engine -------------------------------------------------------------------- */

int nfs4_copy_engine_start(struct nfs4_server *srv, const struct nfs4_copy_settings *s)
{
	struct nfs4_copy_engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	eng->srv = srv;
	eng->set = *s;
	if (eng->set.workers > COPY_WORKERS_MAX)
		eng->set.workers = COPY_WORKERS_MAX;
	if (eng->set.chunk < 4096)
		eng->set.chunk = 4096;
	eng->qtail = &eng->qhead;
	srv->copies = eng;
	int rc = workers_launch(&eng->workers, eng->set.workers, NULL, copy_worker, eng);
	if (rc) {
		log_error("nfs4: cannot start the copy workers: %s", strerror(-rc));
		srv->copies = NULL;
		free(eng);
	}
	return rc;
}

void nfs4_copy_engine_stop(struct nfs4_server *srv)
{
	struct nfs4_copy_engine *eng = srv->copies;
	if (!eng)
		return;
	workers_stop(&eng->workers);
}

void nfs4_copy_engine_free(struct nfs4_server *srv)
{
	struct nfs4_copy_engine *eng = srv->copies;
	if (!eng)
		return;
	pthread_mutex_lock(&eng->workers.lock);
	/* Queued and never started: cancelled by the stop. */
	while (eng->qhead) {
		struct copy_rec *r = eng->qhead;
		eng->qhead = r->qnext;
		eng->stats.cancelled++;
		rec_put_locked(r, 1 + rec_unkeep_locked(eng, r));
	}
	while (eng->kept) {
		struct copy_rec *r = eng->kept;
		rec_put_locked(r, rec_unkeep_locked(eng, r));
	}
	pthread_mutex_unlock(&eng->workers.lock);
	workers_destroy(&eng->workers);
	free(eng);
	srv->copies = NULL;
}

/* --- operations -------------------------------------------------------------------- */

enum nfsstat4 nfs4_copy_start(struct nfs4_server *srv, const struct nfs4_copy_job *job,
			      struct nfs4_stateid *sid)
{
	struct nfs4_copy_engine *eng = srv->copies;
	struct copy_rec *r = calloc(1, sizeof(*r));
	if (!r)
		return NFS4ERR_SERVERFAULT;
	r->job = *job;
	/* Unguessable: a copy stateid names a copy to its client only. */
	if (getrandom(r->other, sizeof(r->other), 0) != (ssize_t)sizeof(r->other)) {
		free(r);
		return NFS4ERR_SERVERFAULT;
	}
	pthread_mutex_lock(&eng->workers.lock);
	if (workers_stopping(&eng->workers)) {
		pthread_mutex_unlock(&eng->workers.lock);
		free(r);
		return NFS4ERR_DELAY;
	}
	unsigned mine = 0;
	struct copy_rec *room = NULL; /* the oldest the client could not be told of */
	for (struct copy_rec *k = eng->kept; k; k = k->next) {
		if (k->job.clientid != job->clientid)
			continue;
		mine++;
		if (!room && k->phase == COPY_ENDED && k->cb_failed && !k->cb_pending)
			room = k;
	}
	if (eng->set.max_per_client && mine >= eng->set.max_per_client) {
		if (!room) {
			pthread_mutex_unlock(&eng->workers.lock);
			free(r);
			return NFS4ERR_DELAY;
		}
		rec_put_locked(room, rec_unkeep_locked(eng, room));
	}
	r->phase = COPY_QUEUED;
	r->refs = 2; /* kept, queued */
	r->kept = true;
	struct copy_rec **pp = &eng->kept;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
	*eng->qtail = r;
	eng->qtail = &r->qnext;
	eng->stats.async_total++;
	pthread_cond_broadcast(&eng->workers.cond);
	sid->seqid = 1;
	memcpy(sid->other, r->other, NFS4_OTHER_SIZE);
	pthread_mutex_unlock(&eng->workers.lock);
	return NFS4_OK;
}

enum nfsstat4 nfs4_copy_status(struct nfs4_server *srv, const struct nfs4_copy_ref *ref,
			       uint64_t *count, bool *complete, uint32_t *result)
{
	struct nfs4_copy_engine *eng = srv->copies;
	enum nfsstat4 st;
	pthread_mutex_lock(&eng->workers.lock);
	struct copy_rec *r = rec_find_locked(eng, ref, &st);
	if (r) {
		*count = atomic_load(&r->done);
		*complete = r->phase == COPY_ENDED;
		*result = r->result;
		if (*complete) {
			r->learned = true;
			if (!r->cb_pending)
				rec_put_locked(r, rec_unkeep_locked(eng, r));
		}
	}
	pthread_mutex_unlock(&eng->workers.lock);
	return st;
}

enum nfsstat4 nfs4_copy_cancel(struct nfs4_server *srv, const struct nfs4_copy_ref *ref)
{
	struct nfs4_copy_engine *eng = srv->copies;
	enum nfsstat4 st;
	pthread_mutex_lock(&eng->workers.lock);
	struct copy_rec *r = rec_find_locked(eng, ref, &st);
	if (r && r->phase == COPY_ENDED) {
		st = NFS4ERR_COMPLETE_ALREADY;
	} else if (r) {
		atomic_store(&r->cancel, true);
		/* The worker (or the queue) keeps its reference; the copy
		 * stops and is counted there. */
		rec_put_locked(r, rec_unkeep_locked(eng, r));
		pthread_cond_broadcast(&eng->workers.cond);
	}
	pthread_mutex_unlock(&eng->workers.lock);
	return st;
}

void nfs4_copy_get_stats(struct nfs4_server *srv, struct nfs4_copy_stats *out)
{
	memset(out, 0, sizeof(*out));
	struct nfs4_copy_engine *eng = srv->copies;
	if (!eng)
		return;
	pthread_mutex_lock(&eng->workers.lock);
	*out = eng->stats;
	for (struct copy_rec *r = eng->kept; r; r = r->next) {
		out->kept++;
		if (r->phase != COPY_ENDED)
			out->running++;
	}
	pthread_mutex_unlock(&eng->workers.lock);
}

void nfs4_copy_count_no_reqs(struct nfs4_server *srv)
{
	struct nfs4_copy_engine *eng = srv->copies;
	pthread_mutex_lock(&eng->workers.lock);
	eng->stats.no_reqs++;
	pthread_mutex_unlock(&eng->workers.lock);
}

uint64_t nfs4_copy_sync_max(const struct nfs4_server *srv)
{
	return srv->copies->set.sync_max;
}
