/* The callback engine: a queue per session (v4.1) or per client (v4.0),
 * drained in order by a small pool of callback workers (never a thread
 * per session), with the retry policy of every callback: once at once on
 * another back-bound connection, then up to `retries` attempts with an
 * exponential backoff from retry_ms, then NFS4ERR_CB_PATH_DOWN.
 *
 * Threads: cb_queue runs on any thread and only links an item in; the
 * workers send and call done(); rpc loop threads run reply completions,
 * which only record the outcome (cb_item_outcome) and wake a worker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/workers.h"
#include "callback/callback_internal.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server.h"

enum {
	/* DELAY or uncached-reply resends of one attempt before it counts as
	 * failed: a client that always says DELAY does not hold a slot for
	 * ever. */
	CB_RESENDS_MAX = 20,
	/* The workers look for due timers at least this often. */
	CB_IDLE_WAKE_MS = 1000,
};

void cb_timing_default(struct cb_timing *t)
{
	t->timeout_ms = 5000;
	t->retry_ms = 5000;
	t->retries = 3;
	t->delay_ms = 100;
	t->workers = 2;
}

/* --- channels (eng->workers.lock held) ----------------------------------------------------- */

static void chan_mark_ready(struct cb_engine *eng, struct cb_chan *c)
{
	if (c->on_ready)
		return;
	c->on_ready = true;
	c->ready_next = NULL;
	*eng->ready_tail = c;
	eng->ready_tail = &c->ready_next;
	pthread_cond_signal(&eng->workers.cond);
}

static struct cb_chan *chan_pop_ready(struct cb_engine *eng)
{
	struct cb_chan *c = eng->ready_head;
	if (!c)
		return NULL;
	eng->ready_head = c->ready_next;
	if (!eng->ready_head)
		eng->ready_tail = &eng->ready_head;
	c->on_ready = false;
	return c;
}

static struct cb_chan *chan_find(struct cb_engine *eng, bool v41, const uint8_t *sessionid,
				 uint64_t clientid)
{
	for (struct cb_chan *c = eng->chans; c; c = c->next)
		if (c->v41 == v41 && (v41 ? memcmp(c->sessionid, sessionid, NFS4_SESSIONID_SIZE) == 0
					  : c->clientid == clientid))
			return c;
	return NULL;
}

/* Unlinks an empty, idle channel; returns it for freeing outside the lock,
 * or NULL when it stays. */
static struct cb_chan *chan_maybe_unlink(struct cb_engine *eng, struct cb_chan *c)
{
	if (c->nitems || c->nfinished || c->running || c->on_ready)
		return NULL;
	/* A v4.0 client's dialled connection is kept for its next callback
	 * until the rpc layer closes it (idle timeout, the client). */
	if (c->conn40 && !rpc_conn_is_closed(c->conn40))
		return NULL;
	for (struct cb_chan **pp = &eng->chans; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return c;
		}
	}
	return NULL;
}

static void chan_free(struct cb_engine *eng, struct cb_chan *c);

/* A worker done with c frees it when it is empty and idle; the lock is
 * released around the free (chan_free calls state and rpc). */
static void chan_release_locked(struct cb_engine *eng, struct cb_chan *c)
{
	struct cb_chan *gone = chan_maybe_unlink(eng, c);
	if (!gone)
		return;
	pthread_mutex_unlock(&eng->workers.lock);
	chan_free(eng, gone);
	pthread_mutex_lock(&eng->workers.lock);
}

static void chan_free(struct cb_engine *eng, struct cb_chan *c)
{
	if (!c)
		return;
	if (c->session)
		state_session_unref(eng->state, c->session);
	rpc_gss_cb_put(c->gss40);
	if (c->conn40) {
		/* Closed already when the rpc server stopped (its loop may be
		 * gone): then only the reference goes. */
		if (!rpc_conn_is_closed(c->conn40))
			rpc_conn_close(c->conn40);
		rpc_conn_unref(c->conn40);
	}
	free(c);
}

static void chan_append(struct cb_chan *c, struct cb_item *it)
{
	it->chan = c;
	it->next = NULL;
	*c->tail = it;
	c->tail = &it->next;
	c->nitems++;
}

static void chan_remove(struct cb_chan *c, struct cb_item *it)
{
	for (struct cb_item **pp = &c->head; *pp; pp = &(*pp)->next) {
		if (*pp != it)
			continue;
		*pp = it->next;
		if (c->tail == &it->next)
			c->tail = pp;
		c->nitems--;
		it->next = NULL;
		return;
	}
}

/* --- items ---------------------------------------------------------------------------- */

static void item_free(struct cb_item *it)
{
	free(it->res_body);
	free(it);
}

/* Ends an item (eng->workers.lock held): off its channel, onto the finished list. */
static void item_finish_locked(struct cb_engine *eng, struct cb_item *it, uint32_t status)
{
	it->status = status;
	it->state = CB_ITEM_FINISHED;
	chan_remove(it->chan, it);
	it->chan->nfinished++;
	it->next = NULL;
	*eng->finished_tail = it;
	eng->finished_tail = &it->next;
	pthread_cond_signal(&eng->workers.cond);
}

static const uint64_t duration_bounds[CB_DURATION_BUCKETS - 1] = CB_DURATION_BOUNDS_MS;

/* A worker, no lock held: counts and calls done. */
static void item_deliver(struct cb_engine *eng, struct cb_item *it)
{
	/* Ended while holding a back slot (given up during a DELAY pause, or
	 * at stop): the seqid was not taken, the slot is free again.  The
	 * channel is still there: nfinished keeps it. */
	if (it->has_slot && it->chan->session)
		state_cb_slot_end(eng->state, it->chan->session, it->slotid, false);
	it->has_slot = false;
	uint64_t ms = clock_now_ms() - it->queued_ms;
	unsigned b = 0;
	while (b < CB_DURATION_BUCKETS - 1 && ms > duration_bounds[b])
		b++;
	struct cb_counts *k = &eng->stats.by_kind[it->kind];
	pthread_mutex_lock(&eng->workers.lock);
	eng->stats.total++;
	k->total++;
	if (it->status == NFS4ERR_CB_PATH_DOWN) {
		eng->stats.failures++;
		k->failures++;
	}
	eng->stats.duration_ms_sum += ms;
	k->duration_ms_sum += ms;
	eng->stats.duration_hist[b]++;
	k->duration_hist[b]++;
	pthread_mutex_unlock(&eng->workers.lock);
	struct cb_call *call = it->call;
	if (call && call->done) {
		uint32_t status = it->status;
		if (status == NFS4_OK && it->res_body && call->res) {
			/* Decoded again from the kept bytes: the reply is gone. */
			if (!cb_item_decode_res(it, call->op, call->res))
				status = NFS4ERR_RESOURCE;
		}
		call->done(call, status);
	}
	item_free(it);
	pthread_mutex_lock(&eng->workers.lock);
	eng->stats.pending--;
	pthread_mutex_unlock(&eng->workers.lock);
}

bool cb_item_keep_res(struct cb_item *it, const struct cb_compound_op *op)
{
	free(it->res_body);
	it->res_body = malloc(op->body_len ? op->body_len : 1);
	if (!it->res_body)
		return false;
	memcpy(it->res_body, op->body, op->body_len);
	it->res_len = op->body_len;
	return true;
}

bool cb_item_decode_res(const struct cb_item *it, const struct cb_op *op, void *res)
{
	struct xdr_dec d;
	xdr_dec_init(&d, it->res_body, it->res_len);
	return op->decode(&d, res);
}

void cb_reply_read(struct cb_reply *r, const struct cb_item *it, int err,
		   const struct rpc_reply_hdr *hdr, struct xdr_dec *results,
		   const struct nfs4_cb_sequence_args *seq)
{
	memset(r, 0, sizeof(*r));
	if (it->call) {
		r->op.opnum = it->call->op->opnum;
		r->op.res = r->res;
	}
	r->out.status = NFS4ERR_BADXDR;
	r->answered = err == 0 && hdr->reply_stat == RPC_MSG_ACCEPTED &&
		      hdr->accept_stat == RPC_SUCCESS;
	if (!r->answered)
		return;
	if (it->probe && !seq)
		r->out.status = NFS4_OK;
	else
		cb_compound_decode_reply(results, seq, it->probe ? NULL : &r->op, it->probe ? 0 : 1,
					 &r->out);
}

enum cb_outcome cb_reply_settle(struct cb_item *it, const struct cb_reply *r, uint32_t *status)
{
	if (!it->probe && r->op.status == NFS4ERR_DELAY)
		return CB_OUT_PAUSE;
	*status = r->out.status;
	if (!it->probe && r->op.status == NFS4_OK && r->op.body && it->call->res &&
	    !cb_item_keep_res(it, &r->op))
		*status = NFS4ERR_RESOURCE;
	return CB_OUT_DONE;
}

void cb_call_started(struct cb_engine *eng, struct cb_item *it)
{
	pthread_mutex_lock(&eng->workers.lock);
	eng->calls_out++;
	if (it->sends++ > 0) {
		eng->stats.retries++;
		eng->stats.by_kind[it->kind].retries++;
	}
	pthread_mutex_unlock(&eng->workers.lock);
}

void cb_call_ended(struct cb_engine *eng)
{
	pthread_mutex_lock(&eng->workers.lock);
	if (--eng->calls_out == 0)
		pthread_cond_broadcast(&eng->idle);
	pthread_mutex_unlock(&eng->workers.lock);
}

/* A call of the channel was answered: the path works again (a probe after
 * the client bound a new connection, say), so callbacks waiting out a
 * backoff go now rather than when it ends. */
static void chan_end_backoff_locked(struct cb_chan *c)
{
	for (struct cb_item *it = c->head; it; it = it->next) {
		if (it->state == CB_ITEM_WAIT && it->backoff) {
			it->state = CB_ITEM_QUEUED;
			it->backoff = false;
		}
	}
}

void cb_item_outcome(struct cb_engine *eng, struct cb_item *it, enum cb_outcome out,
		     const struct rpc_conn *conn, uint32_t status)
{
	uint64_t now = clock_now_ms();
	pthread_mutex_lock(&eng->workers.lock);
	struct cb_chan *c = it->chan;
	if ((out == CB_OUT_RESEND || out == CB_OUT_PAUSE) && ++it->resends > CB_RESENDS_MAX)
		out = CB_OUT_FAILED;
	it->backoff = false;
	switch (out) {
	case CB_OUT_DONE:
		item_finish_locked(eng, it, status);
		if (status != NFS4ERR_CB_PATH_DOWN)
			chan_end_backoff_locked(c);
		break;
	case CB_OUT_RESEND:
		it->state = CB_ITEM_QUEUED;
		break;
	case CB_OUT_PAUSE:
	case CB_OUT_NOT_YET:
		it->state = CB_ITEM_WAIT;
		it->not_before_ms = now + eng->t.delay_ms;
		break;
	case CB_OUT_NOSLOT:
		/* A call of this channel holds every usable slot; its end makes
		 * the channel ready again. */
		it->state = CB_ITEM_QUEUED;
		c->stalled = true;
		break;
	case CB_OUT_FAILED:
		it->resends = 0;
		if (it->probe) {
			item_finish_locked(eng, it, NFS4ERR_CB_PATH_DOWN);
		} else if (!it->moved && conn) {
			/* Once at once on another back-bound connection. */
			it->moved = true;
			it->exclude = conn;
			it->state = CB_ITEM_QUEUED;
		} else if (it->call->fail_fast || ++it->attempts > eng->t.retries) {
			item_finish_locked(eng, it, NFS4ERR_CB_PATH_DOWN);
		} else {
			it->exclude = NULL;
			it->state = CB_ITEM_WAIT;
			it->backoff = true;
			uint64_t wait = (uint64_t)eng->t.retry_ms << (it->attempts - 1);
			it->not_before_ms = now + wait;
		}
		break;
	}
	if (out != CB_OUT_NOSLOT) {
		/* Something changed on the channel (a slot freed, an item
		 * ended): let a worker look at it again. */
		if (c->running)
			c->rerun = true;
		else
			chan_mark_ready(eng, c);
	}
	pthread_cond_signal(&eng->workers.cond);
	pthread_mutex_unlock(&eng->workers.lock);
}

/* --- the workers ------------------------------------------------------------------- */

/* Sends what may go now, in order (eng->workers.lock held; dropped while sending). */
static void chan_run(struct cb_engine *eng, struct cb_chan *c)
{
	c->stalled = false;
	while (!c->stalled && !workers_stopping(&eng->workers)) {
		/* Items start in order: the first not yet started, unless an
		 * earlier one waits (its backoff or pause holds the ones behind
		 * it).  A probe carries no operation and may pass: it is how a
		 * mended path is found. */
		struct cb_item *it;
		bool held = false;
		for (it = c->head; it; it = it->next) {
			if (it->state == CB_ITEM_WAIT)
				held = true;
			else if (it->state == CB_ITEM_QUEUED && (!held || it->probe))
				break;
		}
		if (!it)
			break;
		it->state = CB_ITEM_SENDING;
		pthread_mutex_unlock(&eng->workers.lock);
		if (c->v41)
			cb_send41(eng, it);
		else
			cb_send40(eng, it);
		pthread_mutex_lock(&eng->workers.lock);
	}
}

/* Due waits become queued; returns the earliest wait still ahead (0: none).
 * Idle v4.0 channels whose connection closed go to *gone. */
static uint64_t timers_run(struct cb_engine *eng, uint64_t now, struct cb_chan **gone)
{
	uint64_t next = 0;
	for (struct cb_chan *c = eng->chans, *cnext; c; c = cnext) {
		cnext = c->next;
		if (c->conn40 && rpc_conn_is_closed(c->conn40)) {
			struct cb_chan *g = chan_maybe_unlink(eng, c);
			if (g) {
				g->next = *gone;
				*gone = g;
				continue;
			}
		}
		for (struct cb_item *it = c->head; it; it = it->next) {
			if (it->state != CB_ITEM_WAIT)
				continue;
			if (it->not_before_ms <= now) {
				it->state = CB_ITEM_QUEUED;
				if (!c->running)
					chan_mark_ready(eng, c);
				else
					c->rerun = true;
			} else if (!next || it->not_before_ms < next) {
				next = it->not_before_ms;
			}
		}
	}
	return next;
}

/* At stop: everything not in flight ends with CB_PATH_DOWN. */
static void stop_items(struct cb_engine *eng)
{
	for (struct cb_chan *c = eng->chans; c; c = c->next) {
		struct cb_item *it = c->head;
		while (it) {
			struct cb_item *next = it->next;
			if (it->state == CB_ITEM_QUEUED || it->state == CB_ITEM_WAIT)
				item_finish_locked(eng, it, NFS4ERR_CB_PATH_DOWN);
			it = next;
		}
	}
}

static bool engine_has_items(const struct cb_engine *eng)
{
	for (const struct cb_chan *c = eng->chans; c; c = c->next)
		if (c->nitems)
			return true;
	return false;
}

/* A callback worker (workers_body_fn: called with the engine's lock
 * held). */
static void cb_worker(void *arg)
{
	struct cb_engine *eng = arg;
	for (;;) {
		if (workers_stopping(&eng->workers))
			stop_items(eng);
		if (eng->finished) {
			struct cb_item *it = eng->finished;
			eng->finished = it->next;
			if (!eng->finished)
				eng->finished_tail = &eng->finished;
			struct cb_chan *c = it->chan;
			pthread_mutex_unlock(&eng->workers.lock);
			/* nfinished keeps c while item_deliver uses it: counted
			 * down before, another worker could free c meanwhile. */
			item_deliver(eng, it);
			pthread_mutex_lock(&eng->workers.lock);
			c->nfinished--;
			chan_release_locked(eng, c);
			continue;
		}
		struct cb_chan *closed = NULL;
		uint64_t next = timers_run(eng, clock_now_ms(), &closed);
		if (closed) {
			pthread_mutex_unlock(&eng->workers.lock);
			while (closed) {
				struct cb_chan *g = closed;
				closed = g->next;
				chan_free(eng, g);
			}
			pthread_mutex_lock(&eng->workers.lock);
			continue;
		}
		struct cb_chan *c = chan_pop_ready(eng);
		if (c) {
			if (c->running) {
				c->rerun = true;
				continue;
			}
			c->running = true;
			do {
				c->rerun = false;
				chan_run(eng, c);
			} while (c->rerun && !c->stalled && !workers_stopping(&eng->workers));
			c->running = false;
			if (c->rerun)
				chan_mark_ready(eng, c);
			chan_release_locked(eng, c);
			continue;
		}
		if (workers_stopping(&eng->workers) && !engine_has_items(eng))
			break;
		uint64_t idle_wake = clock_now_ms() + CB_IDLE_WAKE_MS;
		workers_wait_until(&eng->workers, next && next < idle_wake ? next : idle_wake);
	}
	pthread_cond_broadcast(&eng->workers.cond);
}

/* --- start and stop ------------------------------------------------------------------ */

int cb_engine_create(const struct cb_engine_config *cfg, struct cb_engine **out)
{
	*out = NULL;
	struct cb_engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	eng->state = cfg->state;
	eng->rpc = cfg->rpc;
	eng->may_dial = cfg->may_dial;
	eng->ctx = cfg->ctx;
	eng->t = cfg->timing;
	int rc = workers_init(&eng->workers);
	if (rc) {
		free(eng);
		return rc;
	}
	pthread_cond_init(&eng->idle, NULL);
	eng->ready_tail = &eng->ready_head;
	eng->finished_tail = &eng->finished;
	/* As many as can start: one worker drains every queue, only slower. */
	workers_start(&eng->workers, eng->t.workers, "callback", cb_worker, eng);
	if (eng->workers.nthreads == 0) {
		cb_engine_stop(eng);
		cb_engine_free(eng);
		return -EAGAIN;
	}
	*out = eng;
	return 0;
}

void cb_engine_stop(struct cb_engine *eng)
{
	if (!eng || eng->stopped)
		return;
	eng->stopped = true;
	workers_stop(&eng->workers);
	pthread_mutex_lock(&eng->workers.lock);
	/* Completions still to come (an rpc server not stopped yet) find
	 * their items until the last one ran. */
	while (eng->calls_out)
		pthread_cond_wait(&eng->idle, &eng->workers.lock);
	stop_items(eng);
	struct cb_item *fin = eng->finished;
	eng->finished = NULL;
	eng->finished_tail = &eng->finished;
	struct cb_chan *chans = eng->chans;
	eng->chans = NULL;
	pthread_mutex_unlock(&eng->workers.lock);
	while (fin) {
		struct cb_item *next = fin->next;
		item_deliver(eng, fin);
		fin = next;
	}
	while (chans) {
		struct cb_chan *next = chans->next;
		chan_free(eng, chans);
		chans = next;
	}
}

void cb_engine_free(struct cb_engine *eng)
{
	if (!eng)
		return;
	pthread_cond_destroy(&eng->idle);
	workers_destroy(&eng->workers);
	free(eng);
}

/* --- queueing ---------------------------------------------------------------------------- */

static struct cb_item *item_new(struct cb_call *call)
{
	struct cb_item *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->call = call;
	it->probe = !call;
	it->kind = call ? cb_op_kind(call->op) : CB_KIND_PROBE;
	it->queued_ms = clock_now_ms();
	it->state = CB_ITEM_QUEUED;
	return it;
}

/* Whether a probe of c waits to be sent.  Only such a probe makes a new
 * one needless: it reads the client's callback (v4.0) or picks the back
 * connection (v4.1) when it goes.  One already out may be testing what the
 * client has just replaced (an older callback address, a connection it
 * bound anew), and its outcome is not the new path's. */
static bool chan_probe_waiting(const struct cb_chan *c)
{
	for (const struct cb_item *it = c->head; it; it = it->next)
		if (it->probe && it->state != CB_ITEM_SENDING)
			return true;
	return false;
}

/* Links it onto the channel for (v41, session / clientid), made from
 * spare when there is none (eng->workers.lock held, not stopping).  Returns
 * whether spare was used; *dup_probe when it is a probe that is not
 * needed (the caller frees it). */
static bool enqueue_locked(struct cb_engine *eng, struct cb_chan *spare, bool v41,
			   struct state_session *s, uint64_t clientid, struct cb_item *it,
			   bool *dup_probe)
{
	const uint8_t *sid = s ? state_session_id(s) : NULL;
	bool used = false;
	struct cb_chan *c = chan_find(eng, v41, sid, clientid);
	if (!c) {
		c = spare;
		c->v41 = v41;
		c->clientid = clientid;
		if (sid)
			memcpy(c->sessionid, sid, NFS4_SESSIONID_SIZE);
		c->session = s ? state_session_ref(s) : NULL;
		c->tail = &c->head;
		c->next = eng->chans;
		eng->chans = c;
		used = true;
	}
	if (it->probe && chan_probe_waiting(c)) {
		*dup_probe = true; /* one not sent yet: its outcome will do */
		return used;
	}
	*dup_probe = false;
	if (!it->chan)
		eng->stats.pending++; /* a moved item is counted already */
	chan_append(c, it);
	if (c->running)
		c->rerun = true;
	else
		chan_mark_ready(eng, c);
	return used;
}

/* enqueue_locked under the lock; when stopping nothing new is taken:
 * *dup_probe is set and the caller frees it. */
static bool engine_enqueue(struct cb_engine *eng, struct cb_chan *spare, bool v41,
			   struct state_session *s, uint64_t clientid, struct cb_item *it,
			   bool *dup_probe)
{
	bool used = false;
	pthread_mutex_lock(&eng->workers.lock);
	if (workers_stopping(&eng->workers))
		*dup_probe = true;
	else
		used = enqueue_locked(eng, spare, v41, s, clientid, it, dup_probe);
	pthread_mutex_unlock(&eng->workers.lock);
	return used;
}

static int queue_item(struct cb_engine *eng, bool v41, struct state_session *s,
		      uint64_t clientid, struct cb_item *it)
{
	struct cb_chan *spare = calloc(1, sizeof(*spare));
	if (!eng || !spare) {
		free(spare);
		item_free(it);
		return eng ? -ENOMEM : -ENOTCONN;
	}
	bool dup = false;
	if (!engine_enqueue(eng, spare, v41, s, clientid, it, &dup))
		free(spare);
	if (dup) {
		bool stopping = !it->probe;
		item_free(it);
		if (stopping)
			return -ENOTCONN;
	}
	return 0;
}

void cb_probe40(struct cb_engine *eng, uint64_t clientid, uint32_t gen)
{
	/* The generation is read again when the probe is sent: the result is
	 * recorded for the callback actually dialled. */
	(void)gen;
	struct cb_item *it = item_new(NULL);
	if (!it)
		return;
	queue_item(eng, false, NULL, clientid, it);
}

int cb_queue(struct cb_engine *eng, uint64_t clientid, struct cb_call *call)
{
	/* Only what ops/list.h has: the rest are never sent alone
	 * (CB_SEQUENCE) or not known. */
	if (!call->op || cb_op_kind(call->op) == CB_KIND_PROBE)
		return -EINVAL;
	if (!eng)
		return -ENOTCONN;
	struct state_cb_route r;
	if (!state_cb_route(eng->state, clientid, &r))
		return -ENOTCONN;
	if (r.v41 && !r.session)
		return -ENOTCONN;
	if (!r.v41 && !cb_dial_allowed(eng, &r.cb))
		return -ENOTCONN;
	struct cb_item *it = item_new(call);
	if (!it) {
		state_session_unref(eng->state, r.session);
		return -ENOMEM;
	}
	int rc = queue_item(eng, r.v41, r.session, clientid, it);
	state_session_unref(eng->state, r.session);
	return rc;
}

void cb_probe41(struct cb_engine *eng, struct state_session *s)
{
	struct cb_item *it = eng ? item_new(NULL) : NULL;
	if (!it) {
		if (eng)
			state_cb_set_status(eng->state, s, STATE_CB_UNKNOWN, false);
		return;
	}
	queue_item(eng, true, s, state_session_clientid(s), it);
}

int cb_item_move41(struct cb_engine *eng, struct cb_item *it, struct state_session *to)
{
	struct cb_chan *spare = calloc(1, sizeof(*spare));
	if (!spare)
		return -ENOMEM;
	pthread_mutex_lock(&eng->workers.lock);
	struct cb_chan *from = it->chan;
	bool used = false;
	if (workers_stopping(&eng->workers)) {
		/* Its done() is still owed: it ends here, on its old channel,
		 * like every other item at stop. */
		item_finish_locked(eng, it, NFS4ERR_CB_PATH_DOWN);
	} else {
		/* One lock for both channels: stop cannot come in between and
		 * leave the item on neither. */
		chan_remove(from, it);
		it->state = CB_ITEM_QUEUED;
		it->exclude = NULL;
		bool dup;
		used = enqueue_locked(eng, spare, true, to, state_session_clientid(to), it, &dup);
		if (from->running)
			from->rerun = true;
		else
			chan_mark_ready(eng, from);
	}
	pthread_mutex_unlock(&eng->workers.lock);
	if (!used)
		free(spare);
	return 0;
}

bool cb_path_up(struct cb_engine *eng, uint64_t clientid)
{
	struct state_cb_route r;
	if (!eng || !state_cb_route(eng->state, clientid, &r))
		return false;
	state_session_unref(eng->state, r.session);
	if (r.v41)
		return state_cb_client_up41(eng->state, clientid);
	return r.status == STATE_CB_UP && cb_dial_allowed(eng, &r.cb);
}

void cb_get_stats(struct cb_engine *eng, struct cb_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!eng)
		return;
	pthread_mutex_lock(&eng->workers.lock);
	*out = eng->stats;
	pthread_mutex_unlock(&eng->workers.lock);
}
