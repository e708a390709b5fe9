/* Serving one CALL: RPC-level checks, program lookup, inline or pooled run,
 * reply framing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server_internal.h"

enum { REPLY_INITIAL = 512 };

/* A request that runs on the worker pool. */
struct pooled_request {
	struct threadpool_task task;
	struct rpc_request req;
	const struct rpc_program *prog;
};

/* A parked request: resubmitted once both dispatch returned PARK (the
 * request copied in) and rpc_park_resume was called. */
struct rpc_park {
	struct pooled_request pr; /* first: pooled_run frees the park */
	atomic_uint holds;
	/* Memory counted for the request while it was parked, in its turn
	 * (budget.c's wake-up): its reservation when it runs again. */
	size_t mem_granted;
};

/* The request is over (its reply sent, or dropped): its record and its
 * place in the in-flight counts go. */
static void request_release(struct rpc_request *req)
{
	struct rpc_conn *conn = req->conn;
	rpc_gss_call_release(req->gss);
	req->gss = NULL;
	rpc_record_release(&req->record);
	/* A reply sent now counts as queued output; a dropped one is gone. */
	rpc_request_uncharge_all(req);

	atomic_fetch_sub(&conn->inflight, 1);
	/* The loop paused reading at the in-flight limit or the memory
	 * budget; this request's end may have made room. Posted before the
	 * server's count drops, so a stop that waits for that count finds
	 * the message queued while the loop still runs. */
	if (atomic_load(&conn->read_paused) || atomic_load(&conn->peer_eof))
		rpc_loop_post(conn->loop, conn, CONN_MSG_RESUME);
	atomic_fetch_sub_explicit(&conn->srv->inflight, 1, memory_order_release);
	rpc_conn_unref(conn);
}

void rpc_request_pipe_drop(struct rpc_request *req)
{
	if (req->splice_pipe)
		pipe_pool_put(req->conn->srv->pipes, req->splice_pipe);
	req->splice_pipe = NULL;
	rpc_mapped_release(&req->map);
	req->splice_len = 0;
}

/* Whether large READ data goes to this connection spliced
 * (enum rpc_splice_reads). */
static bool conn_takes_spliced_reads(const struct rpc_conn *conn)
{
	switch (conn->srv->opts.splice_reads) {
	case RPC_SPLICE_READS_ALWAYS:
		return true;
	case RPC_SPLICE_READS_NEVER:
		return false;
	case RPC_SPLICE_READS_REMOTE:
		break;
	}
	return !conn->peer_on_host;
}

/* Wrapped results (krb5i, krb5p) are checksummed or encrypted as one body
 * in memory, and TLS in user space encrypts what it is given: neither
 * takes data that is not in memory. */
static bool reply_takes_data_by_reference(const struct rpc_request *req)
{
	return !req->splice_len && !req->gss_wrap && !rpc_conn_tls_in_user_space(req->conn);
}

struct pooled_pipe *rpc_request_pipe(struct rpc_request *req)
{
	struct pipe_pool *pool = req->conn->srv->pipes;
	if (!pool || !reply_takes_data_by_reference(req) || !conn_takes_spliced_reads(req->conn))
		return NULL;
	if (!req->splice_pipe)
		req->splice_pipe = pipe_pool_get(pool);
	return req->splice_pipe;
}

void rpc_request_reply_spliced(struct rpc_request *req, size_t at, size_t len)
{
	req->splice_at = at;
	req->splice_len = len;
	if (!len)
		rpc_request_pipe_drop(req);
}

bool rpc_request_can_map(struct rpc_request *req)
{
	return req->conn->srv->opts.map_reads && !req->splice_pipe &&
	       reply_takes_data_by_reference(req) && !conn_takes_spliced_reads(req->conn);
}

void rpc_request_reply_mapped(struct rpc_request *req, size_t at, size_t len,
			      const struct rpc_mapped *m)
{
	rpc_mapped_release(&req->map);
	req->map = *m;
	req->splice_at = at;
	req->splice_len = len;
	if (!len)
		rpc_request_pipe_drop(req);
}

/* The spliced range is still the reply's: nothing rolled it back. */
static bool reply_splice_holds(const struct rpc_request *req, const struct buf *b)
{
	return (req->splice_pipe || req->map.base) && req->splice_len &&
	       req->splice_at + req->splice_len <= b->len;
}

/* Reads the pipe's (or mapping's) bytes into their place in the reply: a
 * reply that is kept must be whole in memory.  False when the pipe does
 * not give them all (the reply is then unusable). */
static bool reply_unsplice(struct rpc_request *req)
{
	struct pooled_pipe *p = req->splice_pipe;
	uint8_t *dst = req->reply.buf->data + req->splice_at;
	size_t left = req->splice_len;
	if (req->map.base) {
		rpc_mapped_copy(&req->map, req->map.skip, dst, left);
		rpc_request_pipe_drop(req);
		return true;
	}
	while (left > 0) {
		ssize_t n = read(p->rd, dst, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		dst += n;
		left -= (size_t)n;
		p->held -= (size_t)n;
	}
	rpc_request_pipe_drop(req);
	return true;
}

/* krb5i: the reply as encoded, the checksum after its results (and tail):
 * no copy of the results. */
static void request_finish_checksummed(struct rpc_request *req, struct buf *b)
{
	size_t tail_len = req->tail ? req->tail_len : 0;
	struct buf *sum = rpc_gss_call_checksum_reply(
		req->gss, b->data + req->results_off - RPC_GSS_WRAP_HEAD,
		b->len - req->results_off, req->tail ? req->tail->data + req->tail_off : NULL,
		tail_len);
	if (!sum) {
		buf_unref(b);
		return;
	}
	xdr_put_be32(b->data, RPC_RECORD_LAST_FRAG | (uint32_t)(b->len - 4 + tail_len + sum->len));
	struct rpc_out_seg segs[3];
	unsigned n = 0;
	segs[n++] = rpc_out_buf(b, 0, b->len);
	if (req->tail)
		segs[n++] = rpc_out_buf(req->tail, req->tail_off, req->tail_len);
	segs[n++] = rpc_out_buf(sum, 0, sum->len);
	req->tail = NULL;
	rpc_conn_send_segs(req->conn, segs, n);
}

/* krb5i / krb5p: the reply with its results (and tail) checksummed or
 * sealed; a reply that cannot be is dropped (the client retries on a new
 * context). */
static void request_finish_wrapped(struct rpc_request *req)
{
	struct buf *b = xdr_enc_take(&req->reply);
	if (req->results_off > b->len) {
		buf_unref(b);
	} else if (rpc_gss_call_integrity(req->gss)) {
		request_finish_checksummed(req, b);
	} else {
		struct buf *w = rpc_gss_call_seal_reply(
			req->gss, b->data, req->results_off - RPC_GSS_WRAP_HEAD,
			b->data + req->results_off, b->len - req->results_off,
			req->tail ? req->tail->data + req->tail_off : NULL,
			req->tail ? req->tail_len : 0);
		buf_unref(b);
		if (w) {
			struct rpc_out_seg seg = rpc_out_buf(w, 0, w->len);
			rpc_conn_send_segs(req->conn, &seg, 1);
		}
	}
	buf_unref(req->tail);
	req->tail = NULL;
	request_release(req);
}

/* Sealing a large reply (krb5i, krb5p) costs about a millisecond per MiB
 * of CPU: it leaves the event loop for a worker, so that the replies to one
 * connection are sealed in parallel and the loop goes on reading calls. */
enum { WRAP_ON_WORKER_MIN = 64 * 1024 };

/* Hands a copy of the request (it lives on the loop's stack) to pool (the
 * workers or the remote pool), where run takes it on; false when out of
 * memory for the copy. */
static bool hand_off(struct rpc_request *req, const struct rpc_program *prog,
		     void (*run)(struct threadpool_task *task), struct threadpool *pool)
{
	struct pooled_request *pr = malloc(sizeof(*pr));
	if (!pr)
		return false;
	pr->task.run = run;
	pr->req = *req;
	pr->req.on_worker = true;
	pr->prog = prog;
	struct rpc_server *srv = req->conn->srv;
	atomic_fetch_add_explicit(pool == srv->pool ? &srv->st_worker_handoffs
						    : &srv->st_remote_handoffs,
				  1, memory_order_relaxed);
	threadpool_submit(pool, &pr->task);
	return true;
}

static void wrapped_run(struct threadpool_task *task)
{
	struct pooled_request *pr = (struct pooled_request *)task;
	request_finish_wrapped(&pr->req);
	free(pr);
}

static bool wrap_on_worker(struct rpc_request *req)
{
	return !req->on_worker &&
	       xdr_enc_len(&req->reply) + req->tail_len >= WRAP_ON_WORKER_MIN &&
	       hand_off(req, NULL, wrapped_run, req->conn->srv->pool);
}

/* The server's gate is shut: nothing is answered (rpc_server_set_gate). */
static bool gate_shut(struct rpc_server *srv)
{
	if (!srv->gate || srv->gate(srv->gate_arg))
		return false;
	atomic_fetch_add_explicit(&srv->st_gate_drops, 1, memory_order_relaxed);
	return true;
}

/* A request that ends without a reply. */
static void request_drop(struct rpc_request *req)
{
	rpc_request_pipe_drop(req);
	buf_unref(xdr_enc_take(&req->reply));
	buf_unref(req->tail);
	req->tail = NULL;
	request_release(req);
}

static void request_finish(struct rpc_request *req)
{
	struct rpc_conn *conn = req->conn;
	if (gate_shut(conn->srv)) {
		request_drop(req);
		return;
	}
	if (req->gss_wrap) {
		if (!wrap_on_worker(req))
			request_finish_wrapped(req);
		return;
	}
	struct buf *b = xdr_enc_take(&req->reply);
	if (!req->reply_shared)
		xdr_put_be32(b->data,
			     RPC_RECORD_LAST_FRAG | (uint32_t)(b->len - 4 + req->tail_len));
	struct rpc_out_seg segs[4];
	unsigned n = 0;
	if (reply_splice_holds(req, b)) {
		size_t end = req->splice_at + req->splice_len;
		atomic_fetch_add_explicit(req->map.base ? &conn->srv->st_mapped_reply_bytes
							: &conn->srv->st_spliced_reply_bytes,
					  req->splice_len, memory_order_relaxed);
		segs[n++] = rpc_out_buf(b, 0, req->splice_at);
		if (req->map.base)
			segs[n++] = (struct rpc_out_seg){.off = req->map.skip,
							 .len = req->splice_len,
							 .map = req->map};
		else
			segs[n++] = (struct rpc_out_seg){.len = req->splice_len,
							 .pipe = req->splice_pipe};
		req->splice_pipe = NULL;
		req->map = (struct rpc_mapped){0};
		req->splice_len = 0;
		if (end < b->len)
			segs[n++] = rpc_out_buf(buf_ref(b), end, b->len - end);
	} else {
		rpc_request_pipe_drop(req);
		segs[n++] = rpc_out_buf(b, 0, b->len);
	}
	if (req->tail) {
		segs[n++] = rpc_out_buf(req->tail, req->tail_off, req->tail_len);
		req->tail = NULL;
	}
	rpc_conn_send_segs(conn, segs, n);
	request_release(req);
}

/* Replaces whatever was encoded after the record mark with a bare reply. */
static void reply_reset(struct rpc_request *req)
{
	rpc_request_pipe_drop(req);
	buf_unref(req->tail);
	req->tail = NULL;
	req->tail_len = 0;
	req->reply.buf->len = 4;
	req->reply.overflow = false;
	req->gss_wrap = false;
}

/* An accepted reply's header: the verifier is RPCSEC_GSS's for a call
 * made under it, else null. */
static void encode_accepted(struct rpc_request *req, enum rpc_accept_stat stat)
{
	if (req->gss)
		rpc_gss_call_encode_accepted(req->gss, &req->reply, req->hdr.xid, stat);
	else
		rpc_encode_accepted(&req->reply, req->hdr.xid, stat);
}

size_t rpc_request_reply_trailer(const struct rpc_request *req)
{
	return req->gss_wrap ? rpc_gss_call_trailer(req->gss) : 0;
}

void rpc_request_reply_tail(struct rpc_request *req, struct buf *b, size_t off, size_t len)
{
	buf_unref(req->tail);
	req->tail = b;
	req->tail_off = off;
	req->tail_len = len;
}

struct buf *rpc_request_share_reply(struct rpc_request *req)
{
	struct xdr_enc *e = &req->reply;
	if (e->overflow || req->tail)
		return NULL;
	if (reply_splice_holds(req, e->buf) && !reply_unsplice(req)) {
		log_error("rpc: reply data for xid 0x%08x lost from its pipe; answering "
			  "SYSTEM_ERR",
			  req->hdr.xid);
		rpc_request_pipe_drop(req);
		e->overflow = true; /* turned into SYSTEM_ERR by request_run */
		return NULL;
	}
	rpc_request_pipe_drop(req);
	xdr_put_be32(e->buf->data, RPC_RECORD_LAST_FRAG | (uint32_t)(e->buf->len - 4));
	e->buf = buf_trim(e->buf);
	req->reply_shared = true;
	return buf_ref(e->buf);
}

static bool request_defer(struct rpc_request *req, const struct rpc_program *prog, bool remote);

static enum rpc_error_kind accept_error_kind(enum rpc_accept_stat st)
{
	switch (st) {
	case RPC_PROG_UNAVAIL:
		return RPC_ERR_PROG_UNAVAIL;
	case RPC_PROG_MISMATCH:
		return RPC_ERR_PROG_MISMATCH;
	case RPC_PROC_UNAVAIL:
		return RPC_ERR_PROC_UNAVAIL;
	case RPC_GARBAGE_ARGS:
		return RPC_ERR_GARBAGE_ARGS;
	default:
		return RPC_ERR_SYSTEM;
	}
}

static void pooled_run(struct threadpool_task *task);

/* A parked request runs again (on a worker), with the memory granted it. */
static void park_run(struct threadpool_task *task)
{
	struct rpc_park *p = (struct rpc_park *)task;
	p->pr.req.charged += p->mem_granted;
	p->pr.req.mem_granted = p->mem_granted;
	pooled_run(task);
}

void rpc_park_grant_memory(struct rpc_park *p, size_t bytes) { p->mem_granted = bytes; }

struct rpc_park *rpc_request_park(struct rpc_request *req)
{
	struct rpc_park *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pr.task.run = park_run;
	atomic_init(&p->holds, 2);
	req->park = p;
	return p;
}

static void park_release(struct rpc_park *p)
{
	if (atomic_fetch_sub(&p->holds, 1) == 1)
		threadpool_submit(p->pr.req.conn->srv->pool, &p->pr.task);
}

void rpc_park_resume(struct rpc_park *p)
{
	park_release(p);
}

/* Parked requests resumed together, run one after another by one worker. */
struct park_batch {
	struct threadpool_task task;
	unsigned n;
	struct rpc_park *parks[];
};

static void park_batch_run(struct threadpool_task *task)
{
	struct park_batch *b = (struct park_batch *)task;
	for (unsigned i = 0; i < b->n; i++)
		park_run(&b->parks[i]->pr.task);
	free(b);
}

void rpc_park_resume_all(struct rpc_park *const *parks, unsigned n)
{
	struct park_batch *b = malloc(sizeof(*b) + n * sizeof(b->parks[0]));
	struct threadpool *pool = NULL;
	unsigned ready = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rpc_park *p = parks[i];
		if (atomic_fetch_sub(&p->holds, 1) != 1)
			continue; /* its request has not parked yet: it goes on */
		struct threadpool *own = p->pr.req.conn->srv->pool;
		if (!b || (pool && own != pool)) {
			threadpool_submit(own, &p->pr.task);
			continue;
		}
		pool = own;
		b->parks[ready++] = p;
	}
	if (!b)
		return;
	if (ready > 1) {
		b->n = ready;
		b->task.run = park_batch_run;
		threadpool_submit(pool, &b->task);
		return;
	}
	if (ready == 1)
		threadpool_submit(pool, &b->parks[0]->pr.task);
	free(b);
}

/* Whether p serves calls that came in through listener (rpc_conn_listener;
 * one no listener accepted, or past the mask's bits, is served). */
static bool served_on(const struct rpc_program *p, int listener)
{
	return listener < 0 || listener >= 32 || !(p->listeners_off & (1u << listener));
}

/* The versions the programs of number prog served on listener serve
 * together: false when there are none. */
static bool versions_span(const struct rpc_server *srv, uint32_t prog, int listener,
			  uint32_t *low, uint32_t *high)
{
	*low = UINT32_MAX;
	*high = 0;
	for (unsigned i = 0; i < srv->nprograms; i++) {
		const struct rpc_program *p = &srv->programs[i];
		if (p->prog != prog || !served_on(p, listener))
			continue;
		*low = p->vers_low < *low ? p->vers_low : *low;
		*high = p->vers_high > *high ? p->vers_high : *high;
	}
	return *low <= *high;
}

static void request_run(struct rpc_request *req, const struct rpc_program *prog)
{
	struct rpc_dispatch_result r = prog->dispatch(req, prog->ctx);
	bool deferred = r.action == RPC_DISPATCH_DEFER || r.action == RPC_DISPATCH_DEFER_REMOTE;
	if (deferred && !req->on_worker) {
		if (request_defer(req, prog, r.action == RPC_DISPATCH_DEFER_REMOTE))
			return;
		/* Out of memory for the hand-off: carry on here. */
		req->on_worker = true;
		r = prog->dispatch(req, prog->ctx);
	}
	if (r.action == RPC_DISPATCH_PARK && req->park) {
		struct rpc_park *p = req->park;
		req->park = NULL;
		p->pr.req = *req;
		p->pr.req.on_worker = true;
		p->pr.prog = prog;
		park_release(p);
		return;
	}
	if (r.action == RPC_DISPATCH_PARK) {
		log_error("rpc: program %u parked xid 0x%08x without a handle; answering "
			  "SYSTEM_ERR",
			  prog->prog, req->hdr.xid);
		r = rpc_dispatch_done(RPC_SYSTEM_ERR);
	}
	if (r.action == RPC_DISPATCH_DROP && !req->reply_shared) {
		request_drop(req);
		return;
	}
	enum rpc_accept_stat st = r.stat;
	if (r.action == RPC_DISPATCH_DEFER || r.action == RPC_DISPATCH_DEFER_REMOTE) {
		log_error("rpc: program %u deferred xid 0x%08x twice; answering SYSTEM_ERR",
			  prog->prog, req->hdr.xid);
		st = RPC_SYSTEM_ERR;
	}
	if (req->reply_shared) {
		/* Someone keeps these bytes: they are the reply, whatever the
		 * program says now. */
		if (st != RPC_SUCCESS)
			log_error("rpc: program %u failed xid 0x%08x after sharing its reply; "
				  "sending the shared reply",
				  prog->prog, req->hdr.xid);
		request_finish(req);
		return;
	}
	if (st == RPC_SUCCESS && req->reply.overflow) {
		log_warn("rpc: reply to xid 0x%08x from %s does not fit; answering SYSTEM_ERR",
			 req->hdr.xid, rpc_conn_peer(req->conn));
		st = RPC_SYSTEM_ERR;
	}
	if (st != RPC_SUCCESS) {
		rpc_server_count_error(req->conn->srv, accept_error_kind(st));
		reply_reset(req);
		encode_accepted(req, st);
	}
	request_finish(req);
}

static void pooled_run(struct threadpool_task *task)
{
	struct pooled_request *pr = (struct pooled_request *)task;
	request_run(&pr->req, pr->prog);
	free(pr);
}

/* The remote pool, started by its first call, so that a server whose
 * exports never ask for it runs none of its threads; NULL when there is
 * none (the workers take its calls).  Two loops starting it at once: one
 * pool is kept, the other goes. */
static struct threadpool *remote_pool(struct rpc_server *srv)
{
	struct threadpool *p = atomic_load_explicit(&srv->remote_pool, memory_order_acquire);
	if (p || !srv->opts.remote_workers || atomic_load(&srv->remote_pool_failed))
		return p;
	struct threadpool *made = threadpool_create("remote", srv->opts.remote_workers);
	if (!made) {
		/* Logged once by threadpool_create: not tried again. */
		atomic_store(&srv->remote_pool_failed, true);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&srv->remote_pool, &p, made)) {
		threadpool_destroy(made);
		return p;
	}
	return made;
}

/* Moves a request that must not run on an event loop to the worker pool,
 * or (remote) to the pool for calls that wait on another server. */
static bool request_defer(struct rpc_request *req, const struct rpc_program *prog, bool remote)
{
	struct rpc_server *srv = req->conn->srv;
	struct threadpool *pool = remote ? remote_pool(srv) : NULL;
	return hand_off(req, prog, pooled_run, pool ? pool : srv->pool);
}

enum gss_outcome {
	GSS_SERVE,   /* on to the program, as the context's user */
	GSS_REPLIED, /* the reply is encoded */
	GSS_DROPPED, /* no reply at all */
};

/* A call with an RPCSEC_GSS credential, before any program: msg is its
 * first byte. */
static enum gss_outcome gss_check(struct rpc_request *req, const uint8_t *msg)
{
	struct rpc_server *srv = req->conn->srv;
	enum rpc_auth_stat why = RPC_AUTH_OK;
	struct rpc_gss_server *g = rpc_server_gss(srv);
	if (!g) {
		why = RPC_AUTH_REJECTEDCRED;
	} else {
		switch (rpc_gss_accept(g, &req->hdr, msg, &req->args, &req->cred, &req->gss,
				       &req->reply, &why)) {
		case RPC_GSS_SERVE:
			return GSS_SERVE;
		case RPC_GSS_ANSWERED:
			return GSS_REPLIED;
		case RPC_GSS_GARBAGE:
			encode_accepted(req, RPC_GARBAGE_ARGS);
			rpc_server_count_error(srv, RPC_ERR_GARBAGE_ARGS);
			return GSS_REPLIED;
		case RPC_GSS_DROP:
			return GSS_DROPPED;
		case RPC_GSS_REJECT:
			break;
		}
	}
	log_ratelimited("rpc: %s: RPCSEC_GSS call refused (auth_stat %d, xid 0x%08x)",
			req->conn->peer_str, (int)why, req->hdr.xid);
	rpc_encode_auth_error(&req->reply, req->hdr.xid, why);
	rpc_server_count_error(srv, RPC_ERR_AUTH);
	return GSS_REPLIED;
}

/* A call with the AUTH_TLS credential (RFC 9289 4.1): only the NULL
 * procedure of a program served here, answered without the program. */
static void tls_probe(struct rpc_request *req, const struct rpc_program *prog)
{
	struct rpc_conn *conn = req->conn;
	uint32_t xid = req->hdr.xid;
	if (req->hdr.proc != 0) {
		log_ratelimited("rpc: %s: AUTH_TLS on procedure %u refused", conn->peer_str,
				req->hdr.proc);
		rpc_encode_auth_error(&req->reply, xid, RPC_AUTH_BADCRED);
		rpc_server_count_error(conn->srv, RPC_ERR_AUTH);
		return;
	}
	if (!prog) {
		rpc_encode_accepted(&req->reply, xid, RPC_PROG_UNAVAIL);
		rpc_server_count_error(conn->srv, RPC_ERR_PROG_UNAVAIL);
		return;
	}
	switch (rpc_conn_tls_probe(conn, atomic_load(&conn->inflight))) {
	case RPC_TLS_PROBE_STARTTLS:
		rpc_encode_accepted_verf(&req->reply, xid, RPC_SUCCESS, RPC_AUTH_NONE,
					 RPC_TLS_STARTTLS, RPC_TLS_STARTTLS_LEN);
		break;
	case RPC_TLS_PROBE_NOT_OFFERED:
		rpc_encode_accepted(&req->reply, xid, RPC_SUCCESS);
		break;
	case RPC_TLS_PROBE_BADCRED:
		log_ratelimited("rpc: %s: AUTH_TLS probe inside TLS refused", conn->peer_str);
		rpc_encode_auth_error(&req->reply, xid, RPC_AUTH_BADCRED);
		rpc_server_count_error(conn->srv, RPC_ERR_AUTH);
		break;
	}
}

/* The program serving version vers of prog on listener.  Several
 * programs may share a number with different versions (NFSv3 beside
 * NFSv4), and a program may be off on some listeners: NULL when none
 * serves vers there (versions_span then says whether any serves prog, and
 * PROG_MISMATCH's span). */
static const struct rpc_program *find_program_vers(const struct rpc_server *srv, uint32_t prog,
						   uint32_t vers, int listener)
{
	for (unsigned i = 0; i < srv->nprograms; i++) {
		const struct rpc_program *p = &srv->programs[i];
		if (p->prog == prog && vers >= p->vers_low && vers <= p->vers_high &&
		    served_on(p, listener))
			return p;
	}
	return NULL;
}

bool rpc_server_serves(const struct rpc_server *srv, uint32_t prog, uint32_t vers, int listener)
{
	return find_program_vers(srv, prog, vers, listener) != NULL;
}

/* Any program of that number (the AUTH_TLS probe, which names no version
 * the server must serve). */
static const struct rpc_program *find_program(struct rpc_server *srv, uint32_t prog)
{
	for (unsigned i = 0; i < srv->nprograms; i++)
		if (srv->programs[i].prog == prog)
			return &srv->programs[i];
	return NULL;
}

void rpc_dispatch_call(struct rpc_conn *conn, struct rpc_record *rec, struct xdr_dec *d,
		       uint32_t xid)
{
	struct rpc_server *srv = conn->srv;
	struct rpc_request req;
	memset(&req, 0, sizeof(req));
	req.record = *rec;
	req.hdr.xid = xid;

	if (!xdr_enc_init(&req.reply, REPLY_INITIAL, (size_t)srv->opts.max_record_size + 4)) {
		rpc_record_release(rec);
		return;
	}
	xdr_enc_reserve(&req.reply, 4); /* record mark, filled in at the end */
	atomic_fetch_add_explicit(&srv->st_calls, 1, memory_order_relaxed);

	enum rpc_auth_stat auth_stat = RPC_AUTH_OK;
	enum rpc_call_decode dec = rpc_decode_call(d, &req.hdr, &req.cred, &auth_stat);
	req.args = *d;

	/* From here on the request counts as in flight, whatever its fate. */
	req.conn = rpc_conn_ref(conn);
	rpc_request_charge(&req, req.record.len);
	atomic_fetch_add(&conn->inflight, 1);
	atomic_fetch_add_explicit(&srv->inflight, 1, memory_order_acquire);

	const struct rpc_program *prog = NULL;
	switch (dec) {
	case RPC_CALL_GARBAGE:
		log_ratelimited("rpc: %s sent a truncated call header (xid 0x%08x)",
				conn->peer_str, xid);
		rpc_encode_accepted(&req.reply, xid, RPC_GARBAGE_ARGS);
		rpc_server_count_error(srv, RPC_ERR_GARBAGE_ARGS);
		break;
	case RPC_CALL_BAD_RPCVERS:
		log_ratelimited("rpc: %s sent RPC version %u (xid 0x%08x)", conn->peer_str,
				req.hdr.rpcvers, xid);
		rpc_encode_rpc_mismatch(&req.reply, xid);
		rpc_server_count_error(srv, RPC_ERR_RPC_MISMATCH);
		break;
	case RPC_CALL_AUTH_ERROR:
		log_ratelimited("rpc: %s: credential flavor %u rejected (auth_stat %d)",
				conn->peer_str, req.hdr.cred_flavor, (int)auth_stat);
		rpc_encode_auth_error(&req.reply, xid, auth_stat);
		rpc_server_count_error(srv, RPC_ERR_AUTH);
		break;
	case RPC_CALL_OK:
		if (req.hdr.cred_flavor == RPC_AUTH_TLS) {
			tls_probe(&req, find_program(srv, req.hdr.prog));
			break;
		}
		if (req.hdr.cred_flavor == RPC_AUTH_GSS) {
			enum gss_outcome g = gss_check(&req, req.record.data);
			if (g == GSS_REPLIED)
				break;
			if (g == GSS_DROPPED) {
				buf_unref(xdr_enc_take(&req.reply));
				request_release(&req);
				return;
			}
		}
		uint32_t low, high;
		int listener = conn->listener;
		prog = find_program_vers(srv, req.hdr.prog, req.hdr.vers, listener);
		if (!prog && !versions_span(srv, req.hdr.prog, listener, &low, &high)) {
			encode_accepted(&req, RPC_PROG_UNAVAIL);
			rpc_server_count_error(srv, RPC_ERR_PROG_UNAVAIL);
		} else if (!prog) {
			encode_accepted(&req, RPC_PROG_MISMATCH);
			xdr_encode_u32(&req.reply, low);
			xdr_encode_u32(&req.reply, high);
			rpc_server_count_error(srv, RPC_ERR_PROG_MISMATCH);
		} else {
			encode_accepted(&req, RPC_SUCCESS);
			if (req.gss && rpc_gss_call_wraps(req.gss)) {
				rpc_gss_call_reserve(req.gss, &req.reply);
				req.gss_wrap = true;
			}
			req.results_off = xdr_enc_len(&req.reply);
		}
		break;
	}
	if (!prog) {
		request_finish(&req);
		return;
	}
	/* Stamped last: RPCSEC_GSS fills the credential in anew. */
	req.cred.xprtsec = rpc_conn_xprtsec(conn);
	if (gate_shut(srv)) { /* not served at all: nothing it does is acknowledged */
		request_drop(&req);
		return;
	}
	request_run(&req, prog);
}
