/* The bench's event loop: non-blocking TCP connections under one epoll
 * instance, record marking on input (rpc/record.h), a writev queue on
 * output, and XID routing of replies to the stream that made the call.
 *
 * Cost per RPC is kept to a few hundred nanoseconds so the client is never
 * what limits a run: requests produced while handling a batch of replies
 * are written together, one sendmsg per connection per batch, and input is
 * read in large chunks that usually carry many replies.
 *
 * Under RPCSEC_GSS (--sec krb5*) a call is built in two steps instead:
 * its arguments alone in the stream's encoder (a WRITE's payload copied
 * in: the checksum or the encryption needs them in one piece), then the
 * whole call, header, credential, verifier and the arguments as the
 * service wants them, by rpc_gss_client_encode_call into the stream's
 * wire buffer; a reply is checked and unwrapped by
 * rpc_gss_client_decode_reply before its results are decoded.  AUTH_SYS
 * calls take none of this: one test of c->gss per call and per reply.
 * That checking and unwrapping is the client's own cryptography, done on
 * this one thread: with 1 MiB replies under krb5i it costs nearly as
 * much as the server's work and can be what limits a run
 * (docs/BENCHMARKS.md says where it did).
 *
 * Under --tls (tls.c) each connection's bytes go through its TLS session
 * instead of straight to the socket: bench_conn_recv and bench_conn_sendv
 * test cn->tls once per read or write, which is all plain text pays. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/bench/bench.h"
#include "core/clock.h"
#include "rpc/client.h"

enum {
	BENCH_MAX_RECORD = 8u << 20, /* largest reply accepted */
	BENCH_EPOLL_EVENTS = 128,
	BENCH_IOV_BATCH = 256,
	BENCH_READ_ROUNDS = 8, /* reads per connection per wake-up, for fairness */
	BENCH_SCRATCH = 64 * 1024, /* per connection, for coalescing small pieces */
	BENCH_COALESCE_MAX = 8192,
	/* Per stream: the arguments under RPCSEC_GSS (payload included),
	 * and the call as sent, up to the session's maxrequestsize (see
	 * session.c) and a little more for the GSS header and tokens. */
	BENCH_GSS_ARGS_MAX = (1u << 20) + 64 * 1024,
	BENCH_GSS_WIRE_MAX = BENCH_GSS_ARGS_MAX + 8192,
};

static const uint8_t zero_pad[4];

void bench_fail(struct bench_ctx *c, const char *fmt, ...)
{
	if (c->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->failed = true;
}

int loop_init(struct bench_ctx *c, unsigned max_streams)
{
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		bench_fail(c, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	c->xid_bits = 1;
	while ((1u << c->xid_bits) < max_streams)
		c->xid_bits++;
	c->streams_cap = max_streams;
	c->streams = calloc(max_streams, sizeof(*c->streams));
	c->timers = calloc(max_streams, sizeof(*c->timers));
	if (!c->streams || !c->timers) {
		bench_fail(c, "out of memory");
		return -1;
	}
	if (getrandom(&c->xid_gen, sizeof(c->xid_gen), 0) != sizeof(c->xid_gen))
		c->xid_gen = (uint32_t)clock_now_ns();
	return 0;
}

void loop_destroy(struct bench_ctx *c)
{
	for (unsigned i = 0; i < c->nconns; i++) {
		struct bench_conn *cn = &c->conns[i];
		bench_tls_end(cn);
		if (cn->fd >= 0)
			close(cn->fd);
		rpc_record_reader_destroy(&cn->rd);
		free(cn->out);
		free(cn->scratch);
	}
	free(c->conns);
	c->conns = NULL;
	c->nconns = 0;
	free(c->streams);
	free(c->timers);
	c->streams = NULL;
	c->timers = NULL;
	if (c->epfd >= 0)
		close(c->epfd);
	c->epfd = -1;
}

int loop_connect(struct bench_ctx *c)
{
	unsigned n = c->opts.connections;
	c->conns = calloc(n, sizeof(*c->conns));
	if (!c->conns) {
		bench_fail(c, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct bench_conn *cn = &c->conns[i];
		cn->fd = -1;
		cn->index = i;
		cn->ctx = c;
		rpc_record_reader_init(&cn->rd, BENCH_MAX_RECORD);
		c->nconns++;
		struct rpc_client cl;
		int rc = rpc_client_connect(&cl, c->opts.server, 5000);
		if (rc) {
			bench_fail(c, "cannot connect to %s: %s", c->opts.server, strerror(-rc));
			return -1;
		}
		cn->fd = cl.fd; /* non-blocking, TCP_NODELAY */
		if (c->opts.tls && bench_tls_start(cn))
			return -1;
		cn->out_cap = 64; /* a power of two: indexes wrap with a mask */
		cn->out = calloc(cn->out_cap, sizeof(*cn->out));
		cn->scratch = malloc(BENCH_SCRATCH);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = cn};
		if (!cn->out || !cn->scratch || epoll_ctl(c->epfd, EPOLL_CTL_ADD, cn->fd, &ev) != 0) {
			bench_fail(c, "connection setup: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int loop_add_stream(struct bench_ctx *c, struct bench_stream *s)
{
	if (c->nstreams >= c->streams_cap) {
		bench_fail(c, "internal: too many streams");
		return -1;
	}
	s->ctx = c;
	s->id = c->nstreams;
	s->slot = -1;
	if (!xdr_enc_init(&s->call.enc, 1024, c->gss ? BENCH_GSS_ARGS_MAX : 256 * 1024) ||
	    (c->gss && !xdr_enc_init(&s->call.wire, 1024, BENCH_GSS_WIRE_MAX))) {
		bench_fail(c, "out of memory");
		return -1;
	}
	c->streams[c->nstreams++] = s;
	return 0;
}

void loop_free_stream(struct bench_stream *s)
{
	if (s->call.enc.buf)
		xdr_enc_release(&s->call.enc);
	if (s->call.wire.buf)
		xdr_enc_release(&s->call.wire);
}

void call_begin(struct bench_stream *s, uint32_t prog, uint32_t vers, uint32_t proc,
		const struct rpc_cred *cred)
{
	struct bench_ctx *c = s->ctx;
	struct bench_call *k = &s->call;
	k->enc.buf->len = 0;
	k->enc.overflow = false;
	k->payload = NULL;
	k->payload_len = 0;
	k->split = 0;
	/* The low bits name the stream; the rest only need to differ from the
	 * stream's previous call. */
	k->xid = (++c->xid_gen << c->xid_bits) | s->id;
	if (c->gss) {
		/* The arguments alone: call_send makes the call around them. */
		k->prog = prog;
		k->vers = vers;
		k->proc = proc;
		return;
	}
	xdr_encode_u32(&k->enc, 0); /* record mark, patched by call_send */
	unsigned t = proc == 0 && !cred ? 0 : 1;
	struct bench_call_tmpl *tp = &c->call_tmpl[t];
	if (tp->len == 0 || tp->prog != prog || tp->vers != vers || tp->proc != proc ||
	    tp->cred != cred) {
		struct xdr_enc te;
		if (!xdr_enc_init(&te, sizeof(tp->bytes), sizeof(tp->bytes)) ||
		    !rpc_encode_call(&te, 0, prog, vers, proc, cred)) {
			if (te.buf)
				xdr_enc_release(&te);
			bench_fail(c, "internal: cannot encode an RPC header");
			return;
		}
		memcpy(tp->bytes, te.buf->data, te.buf->len);
		tp->len = te.buf->len;
		tp->prog = prog;
		tp->vers = vers;
		tp->proc = proc;
		tp->cred = cred;
		xdr_enc_release(&te);
	}
	uint8_t *p = xdr_enc_reserve(&k->enc, tp->len);
	if (p) {
		memcpy(p, tp->bytes, tp->len);
		xdr_put_be32(p, k->xid);
	}
}

void call_splice(struct bench_stream *s, const uint8_t *payload, uint32_t len)
{
	if (s->ctx->gss) {
		/* Checksummed or encrypted with the rest: in one piece. */
		xdr_encode_opaque_fixed(&s->call.enc, payload, len);
		return;
	}
	s->call.split = xdr_enc_len(&s->call.enc);
	s->call.payload = payload;
	s->call.payload_len = len;
}

static bool out_push(struct bench_conn *cn, const void *p, size_t len)
{
	if (len == 0)
		return true;
	if (cn->out_count == cn->out_cap) {
		unsigned ncap = cn->out_cap * 2;
		struct iovec *n = malloc(ncap * sizeof(*n));
		if (!n)
			return false;
		for (unsigned i = 0; i < cn->out_count; i++)
			n[i] = cn->out[(cn->out_head + i) & (cn->out_cap - 1)];
		free(cn->out);
		cn->out = n;
		cn->out_cap = ncap;
		cn->out_head = 0;
	}
	struct iovec *v = &cn->out[(cn->out_head + cn->out_count) & (cn->out_cap - 1)];
	v->iov_base = (void *)p;
	v->iov_len = len;
	cn->out_count++;
	return true;
}

/* call_send under RPCSEC_GSS: the whole call around the arguments in
 * k->enc, into k->wire, queued. */
static bool call_wrap(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	struct bench_call *k = &s->call;
	struct xdr_enc *w = &k->wire;
	if (!k->gss) {
		bench_fail(c, "internal: a stream without an RPCSEC_GSS context");
		return false;
	}
	w->buf->len = 0;
	w->overflow = false;
	xdr_encode_u32(w, 0); /* record mark */
	int rc = rpc_gss_client_encode_call(k->gss->cl, w, k->xid, k->prog, k->vers, k->proc,
					    c->opts.sec, k->enc.buf->data, xdr_enc_len(&k->enc),
					    &k->gcall);
	if (rc) {
		bench_fail(c, "RPCSEC_GSS: cannot make a call: %s (%s)",
			   rpc_gss_client_error(k->gss->cl), strerror(-rc));
		return false;
	}
	xdr_put_be32(w->buf->data, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(w) - 4));
	if (!out_push(s->conn, w->buf->data, xdr_enc_len(w))) {
		bench_fail(c, "out of memory");
		return false;
	}
	return true;
}

/* call_send under AUTH_SYS: the record mark patched, the header and
 * arguments queued with the payload between them, never copied. */
static inline bool call_frame(struct bench_stream *s)
{
	struct bench_call *k = &s->call;
	struct bench_conn *cn = s->conn;
	size_t len = xdr_enc_len(&k->enc);
	if (!k->payload)
		k->split = len;
	size_t pad = xdr_pad4(k->payload_len) - k->payload_len;
	size_t total = len - 4 + (k->payload ? k->payload_len + pad : 0);
	xdr_put_be32(k->enc.buf->data, RPC_RECORD_LAST_FRAG | (uint32_t)total);
	bool ok = out_push(cn, k->enc.buf->data, k->split);
	if (k->payload)
		ok = ok && out_push(cn, k->payload, k->payload_len) && out_push(cn, zero_pad, pad);
	ok = ok && out_push(cn, k->enc.buf->data + k->split, len - k->split);
	if (!ok)
		bench_fail(s->ctx, "out of memory");
	return ok;
}

void call_send(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	struct bench_call *k = &s->call;
	struct bench_conn *cn = s->conn;
	if (c->failed)
		return;
	if (k->enc.overflow) {
		bench_fail(c, "internal: request does not fit the encoder");
		return;
	}
	if (c->gss ? !call_wrap(s) : !call_frame(s))
		return;
	k->busy = true;
	k->conn = cn;
	if (c->rpcs_inflight == 0) /* from idle: the cached time may be old */
		c->last_progress_ns = c->now_ns = clock_now_ns();
	cn->inflight++;
	c->rpcs_inflight++;
	if (!cn->dirty) {
		cn->dirty = true;
		cn->next_dirty = c->dirty_head;
		c->dirty_head = cn;
	}
}

static void conn_set_want_out(struct bench_conn *cn, bool want)
{
	if (cn->want_out == want)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = cn};
	if (epoll_ctl(cn->ctx->epfd, EPOLL_CTL_MOD, cn->fd, &ev) != 0) {
		bench_fail(cn->ctx, "epoll_ctl: %s", strerror(errno));
		return;
	}
	cn->want_out = want;
}

/* Builds the iovecs of the next sendmsg.  Small pieces (headers, NULL
 * calls, 4 KiB writes) are copied together into the connection's scratch
 * buffer: the kernel's per-iovec cost is higher than a short memcpy.  The
 * ring keeps pointing at the calls' own buffers, so after a partial send
 * the next flush simply copies again from where the ring now starts. */
static unsigned flush_gather(struct bench_conn *cn, struct iovec *iov)
{
	unsigned n = 0;
	size_t used = 0;
	for (unsigned i = 0; i < cn->out_count && n < BENCH_IOV_BATCH; i++) {
		const struct iovec *v = &cn->out[(cn->out_head + i) & (cn->out_cap - 1)];
		if (v->iov_len <= BENCH_COALESCE_MAX && used + v->iov_len <= BENCH_SCRATCH) {
			uint8_t *dst = cn->scratch + used;
			memcpy(dst, v->iov_base, v->iov_len);
			used += v->iov_len;
			if (n > 0 && (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len == dst) {
				iov[n - 1].iov_len += v->iov_len;
				continue;
			}
			iov[n].iov_base = dst;
			iov[n++].iov_len = v->iov_len;
		} else if (v->iov_len <= BENCH_COALESCE_MAX) {
			break; /* scratch full: send what we have */
		} else {
			iov[n++] = *v;
		}
	}
	return n;
}

static void conn_flush(struct bench_conn *cn)
{
	struct iovec iov[BENCH_IOV_BATCH];
	while (cn->out_count > 0) {
		/* After EAGAIN the ring still starts where it did, so the
		 * retry starts with the same bytes, as TLS wants. */
		unsigned n = flush_gather(cn, iov);
		ssize_t w = bench_conn_sendv(cn, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_set_want_out(cn, true);
				return;
			}
			bench_fail(cn->ctx, "send to %s (connection %u): %s", cn->ctx->opts.server,
				   cn->index, strerror(errno));
			return;
		}
		size_t left = (size_t)w;
		while (left > 0) {
			struct iovec *v = &cn->out[cn->out_head];
			if (left >= v->iov_len) {
				left -= v->iov_len;
				cn->out_head = (cn->out_head + 1) & (cn->out_cap - 1);
				cn->out_count--;
			} else {
				v->iov_base = (uint8_t *)v->iov_base + left;
				v->iov_len -= left;
				left = 0;
			}
		}
	}
	conn_set_want_out(cn, false);
}

/* The bookkeeping of a reply matched to its call. */
static inline void call_done(struct bench_conn *cn, struct bench_stream *s)
{
	struct bench_ctx *c = cn->ctx;
	s->call.busy = false;
	cn->inflight--;
	c->rpcs_inflight--;
	c->last_progress_ns = c->now_ns;
	c->stats.rpcs++;
}

/* Whether the call ran (accepted, SUCCESS); bench_fail says why not. */
static inline bool call_accepted(struct bench_ctx *c, const struct rpc_reply_hdr *hdr)
{
	if (hdr->reply_stat != RPC_MSG_ACCEPTED) {
		bench_fail(c, "RPC call denied: reject_stat %u auth_stat %u", hdr->reject_stat,
			   hdr->auth_stat);
		return false;
	}
	if (hdr->accept_stat != RPC_SUCCESS) {
		static const char *const names[] = {"SUCCESS",     "PROG_UNAVAIL", "PROG_MISMATCH",
						    "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"};
		bench_fail(c, "RPC call not executed: accept_stat %s",
			   hdr->accept_stat < 6 ? names[hdr->accept_stat] : "unknown");
		return false;
	}
	return true;
}

/* A reply under RPCSEC_GSS: its verifier checked and its results
 * unwrapped (a new buffer) before s->on_reply reads them. */
static void conn_dispatch_gss(struct bench_conn *cn, struct bench_stream *s,
			      const struct rpc_record *rec, uint32_t xid)
{
	struct bench_ctx *c = cn->ctx;
	struct rpc_gss_client *g = s->call.gss->cl;
	struct rpc_reply_hdr hdr;
	struct buf *plain;
	size_t off;
	int rc = rpc_gss_client_decode_reply(g, &s->call.gcall, rec->data, rec->len, &hdr, &plain,
					     &off);
	if (rc) {
		bench_fail(c, "connection %u: RPCSEC_GSS reply (xid 0x%08x): %s (%s)", cn->index,
			   xid, rpc_gss_client_error(g), strerror(-rc));
		return;
	}
	call_done(cn, s);
	if (call_accepted(c, &hdr)) {
		struct xdr_dec d;
		xdr_dec_init(&d, plain->data + off, plain->len - off);
		s->on_reply(s, &d);
	}
	buf_unref(plain);
}

static void conn_dispatch(struct bench_conn *cn, const struct rpc_record *rec)
{
	struct bench_ctx *c = cn->ctx;
	struct xdr_dec d;
	uint32_t xid, mtype;
	xdr_dec_init(&d, rec->data, rec->len);
	if (!rpc_decode_msg_start(&d, &xid, &mtype)) {
		bench_fail(c, "connection %u: short RPC message (%zu bytes)", cn->index, rec->len);
		return;
	}
	if (mtype != RPC_MSG_REPLY) {
		/* No back channel was asked for: a CALL here is the server's
		 * mistake. */
		bench_fail(c, "connection %u: server sent an RPC CALL (xid 0x%08x) but no back "
			      "channel was requested",
			   cn->index, xid);
		return;
	}
	uint32_t id = xid & ((1u << c->xid_bits) - 1);
	struct bench_stream *s = id < c->nstreams ? c->streams[id] : NULL;
	if (!s || !s->call.busy || s->call.xid != xid || s->call.conn != cn) {
		bench_fail(c, "connection %u: reply with unknown XID 0x%08x", cn->index, xid);
		return;
	}
	if (c->gss) {
		conn_dispatch_gss(cn, s, rec, xid);
		return;
	}
	struct rpc_reply_hdr hdr;
	if (!rpc_decode_reply(&d, &hdr)) {
		bench_fail(c, "connection %u: malformed RPC reply header (xid 0x%08x)", cn->index,
			   xid);
		return;
	}
	call_done(cn, s);
	if (call_accepted(c, &hdr))
		s->on_reply(s, &d);
}

static void conn_read(struct bench_conn *cn)
{
	struct bench_ctx *c = cn->ctx;
	/* Under TLS, replies already decrypted and buffered wake no epoll:
	 * read until a short read says the socket is drained. */
	for (int round = 0; (round < BENCH_READ_ROUNDS || cn->tls) && !c->failed; round++) {
		size_t avail;
		uint8_t *p = rpc_record_read_space(&cn->rd, &avail);
		if (!p) {
			bench_fail(c, "out of memory");
			return;
		}
		ssize_t n = bench_conn_recv(cn, p, avail);
		if (n == 0) {
			bench_fail(c, "server closed connection %u (%u RPCs in flight on it)",
				   cn->index, cn->inflight);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			bench_fail(c, "receive on connection %u: %s", cn->index, strerror(errno));
			return;
		}
		rpc_record_commit(&cn->rd, (size_t)n);
		c->now_ns = clock_now_ns();
		for (;;) {
			struct rpc_record rec;
			enum rpc_record_status st = rpc_record_next(&cn->rd, &rec);
			if (st == RPC_RECORD_NEED_MORE)
				break;
			if (st != RPC_RECORD_READY) {
				bench_fail(c, "connection %u: bad record marking from the server (%s)",
					   cn->index,
					   st == RPC_RECORD_TOO_BIG ? "record too big"
					   : st == RPC_RECORD_EMPTY ? "empty record"
								    : "out of memory");
				return;
			}
			conn_dispatch(cn, &rec);
			rpc_record_release(&rec);
			if (c->failed)
				return;
		}
		if ((size_t)n < avail)
			return;
	}
}

void loop_sleep(struct bench_stream *s, uint64_t ns)
{
	struct bench_ctx *c = s->ctx;
	s->wake_ns = c->now_ns + ns;
	if (!s->timer_armed) {
		s->timer_armed = true;
		c->timers[c->ntimers++] = s;
	}
}

static void fire_timers(struct bench_ctx *c, uint64_t now)
{
	for (unsigned i = 0; i < c->ntimers && !c->failed;) {
		struct bench_stream *s = c->timers[i];
		if (s->wake_ns > now) {
			i++;
			continue;
		}
		c->timers[i] = c->timers[--c->ntimers];
		s->timer_armed = false;
		s->on_wake(s);
	}
}

static int next_timeout_ms(struct bench_ctx *c, uint64_t now)
{
	/* The predicate may depend on time (end of the run): wake at least
	 * every 10 ms even when idle. */
	uint64_t wait = 10 * 1000000ull;
	for (unsigned i = 0; i < c->ntimers; i++) {
		uint64_t w = c->timers[i]->wake_ns > now ? c->timers[i]->wake_ns - now : 0;
		if (w < wait)
			wait = w;
	}
	return (int)((wait + 999999) / 1000000);
}

int loop_run(struct bench_ctx *c, bool (*pred)(struct bench_ctx *c, void *arg), void *arg)
{
	struct epoll_event evs[BENCH_EPOLL_EVENTS];
	c->now_ns = clock_now_ns();
	uint64_t timeout_ns = (uint64_t)(c->opts.timeout_s * 1e9);
	while (!c->failed) {
		if (pred(c, arg))
			return 0;
		uint64_t now = c->now_ns;
		int n = epoll_wait(c->epfd, evs, BENCH_EPOLL_EVENTS, next_timeout_ms(c, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bench_fail(c, "epoll_wait: %s", strerror(errno));
			break;
		}
		c->now_ns = clock_now_ns();
		for (int i = 0; i < n && !c->failed; i++) {
			struct bench_conn *cn = evs[i].data.ptr;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(cn);
			if (!c->failed && (evs[i].events & EPOLLOUT))
				conn_flush(cn);
		}
		now = c->now_ns;
		if (c->ntimers)
			fire_timers(c, now);
		while (c->dirty_head && !c->failed) {
			struct bench_conn *cn = c->dirty_head;
			c->dirty_head = cn->next_dirty;
			cn->dirty = false;
			conn_flush(cn);
		}
		if (c->rpcs_inflight > 0 && timeout_ns && now > c->last_progress_ns + timeout_ns)
			bench_fail(c, "no reply from the server for %.0f s with %u RPCs in flight",
				   c->opts.timeout_s, c->rpcs_inflight);
	}
	return -1;
}
