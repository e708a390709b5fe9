/* Connections: lifetime, the serialised output queue, outgoing calls. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/addr.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server_internal.h"

enum { OUTQ_INITIAL = 16, WRITEV_MAX_IOV = 64 };

static bool rpc_pipe_empty(const struct pooled_pipe *p)
{
	int n = 0;
	return ioctl(p->rd, FIONREAD, &n) == 0 && n == 0;
}

static void format_peer(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		snprintf(out, len, "local");
	}
}

/* A peer on this host gets the congestion control named for those
 * (rpc_server_options.local_congestion).  One the kernel refuses (not
 * built, or not allowed to an unprivileged process) leaves the system's,
 * said once. */
static void conn_set_local_congestion(struct rpc_server *srv, int fd)
{
	const char *name = srv->opts.local_congestion;
	if (!name[0] || setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)) == 0)
		return;
	int err = errno;
	if (!atomic_exchange(&srv->local_congestion_refused, true))
		log_warn("rpc: TCP congestion control '%s' for clients on this host: %s; they get "
			 "the system's ([rpc] local_congestion_control)",
			 name, strerror(err));
}

struct rpc_conn *rpc_conn_new(struct rpc_server *srv, int fd, const struct sockaddr *peer,
			      socklen_t peerlen)
{
	struct rpc_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->poll.kind = POLL_CONN;
	c->poll.fd = fd;
	atomic_init(&c->refs, 1);
	atomic_init(&c->closed, false);
	c->srv = srv;
	list_init(&c->loop_link);
	list_init(&c->all_link);
	rpc_record_reader_init(&c->reader, srv->opts.max_record_size);
	pthread_mutex_init(&c->lock, NULL);
	if (peer && peerlen <= sizeof(c->peer))
		memcpy(&c->peer, peer, peerlen);
	format_peer((const struct sockaddr *)&c->peer, c->peer_str, sizeof(c->peer_str));
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	c->peer_on_host = peer && getsockname(fd, (struct sockaddr *)&local, &llen) == 0 &&
			  rpc_addr_same_host((const struct sockaddr *)&c->peer,
					     (const struct sockaddr *)&local);
	if (c->peer_on_host)
		conn_set_local_congestion(srv, fd);
	c->listener = -1;
	atomic_init(&c->xprtsec, RPC_XPRTSEC_NONE);
	return c;
}

struct rpc_conn *rpc_conn_ref(struct rpc_conn *conn)
{
	atomic_fetch_add_explicit(&conn->refs, 1, memory_order_relaxed);
	return conn;
}

void rpc_conn_unref(struct rpc_conn *conn)
{
	if (atomic_fetch_sub_explicit(&conn->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Last reference: nothing can write to the fd any more, so it can be
	 * closed without another connection reusing its number under us.
	 * A connection leaves the server's list when it closes, before its
	 * loop lets go of it; one never adopted (its loop gone first) leaves
	 * here. */
	if (conn->tracked)
		rpc_conn_untrack(conn);
	/* A closed connection's queue went at close (uncounted there); one
	 * never adopted keeps its queue to here and is not counted off: its
	 * loop may be gone. */
	for (unsigned i = 0; i < conn->outq_count; i++)
		rpc_out_seg_release(conn->srv, &conn->outq[(conn->outq_head + i) % conn->outq_cap]);
	free(conn->outq);
	for (unsigned i = 0; i < conn->naside; i++)
		rpc_record_release(&conn->aside[(conn->aside_head + i) % RPC_ASIDE_MAX]);
	rpc_record_reader_destroy(&conn->reader);
	rpc_tls_session_free(conn->tls);
	free(conn->tls_info);
	if (conn->poll.fd >= 0)
		close(conn->poll.fd);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

void rpc_conn_track(struct rpc_conn *conn)
{
	struct rpc_server *srv = conn->srv;
	atomic_fetch_add_explicit(&srv->st_accepted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&srv->st_open, 1, memory_order_relaxed);
	conn->opened_ms = clock_now_ms();
	pthread_mutex_lock(&srv->conns_lock);
	list_add_head(&srv->all_conns, &conn->all_link);
	atomic_fetch_add_explicit(&srv->conns_changed, 1, memory_order_relaxed);
	conn->tracked = true;
	rpc_conn_limits_add_locked(conn);
	pthread_mutex_unlock(&srv->conns_lock);
}

void rpc_conn_untrack(struct rpc_conn *conn)
{
	struct rpc_server *srv = conn->srv;
	atomic_fetch_sub_explicit(&srv->st_open, 1, memory_order_relaxed);
	pthread_mutex_lock(&srv->conns_lock);
	if (conn->tracked) {
		list_del(&conn->all_link);
		atomic_fetch_add_explicit(&srv->conns_changed, 1, memory_order_relaxed);
		conn->tracked = false;
		rpc_conn_limits_remove_locked(conn);
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

int rpc_server_list_conns(struct rpc_server *srv, struct rpc_conn_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	uint64_t now = clock_now_ms();
	pthread_mutex_lock(&srv->conns_lock);
	size_t count = list_count(&srv->all_conns);
	struct rpc_conn_info *v = count ? calloc(count, sizeof(*v)) : NULL;
	if (count && !v) {
		pthread_mutex_unlock(&srv->conns_lock);
		return -ENOMEM;
	}
	size_t i = 0;
	list_for_each_entry(c, &srv->all_conns, struct rpc_conn, all_link) {
		v[i].conn = rpc_conn_ref(c);
		memcpy(v[i].peer, c->peer_str, sizeof(v[i].peer));
		v[i].listener = c->listener;
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);
		if (c->poll.fd >= 0 && getsockname(c->poll.fd, (struct sockaddr *)&local, &ll) == 0)
			format_peer((const struct sockaddr *)&local, v[i].local, sizeof(v[i].local));
		v[i].inflight = atomic_load(&c->inflight);
		v[i].age_ms = now - c->opened_ms;
		i++;
	}
	pthread_mutex_unlock(&srv->conns_lock);
	*out = v;
	*n = count;
	return 0;
}

uint64_t rpc_server_conns_changed(struct rpc_server *srv)
{
	return atomic_load_explicit(&srv->conns_changed, memory_order_relaxed);
}

void rpc_conn_info_free(struct rpc_conn_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		rpc_conn_unref(v[i].conn);
	free(v);
}

const char *rpc_conn_peer(const struct rpc_conn *conn) { return conn->peer_str; }

int rpc_conn_listener(const struct rpc_conn *conn) { return conn->listener; }

const struct sockaddr_storage *rpc_conn_peer_addr(const struct rpc_conn *conn)
{
	return &conn->peer;
}

bool rpc_conn_is_closed(struct rpc_conn *conn)
{
	return atomic_load(&conn->closed);
}

void rpc_conn_close(struct rpc_conn *conn)
{
	if (conn->loop && !rpc_conn_is_closed(conn))
		rpc_loop_post(conn->loop, conn, CONN_MSG_CLOSE);
}

void rpc_conn_hold_back(struct rpc_conn *conn, bool on)
{
	if (on)
		atomic_fetch_add(&conn->back_holds, 1);
	else
		atomic_fetch_sub(&conn->back_holds, 1);
}

void rpc_conn_update_events_locked(struct rpc_conn *conn)
{
	if (conn->closed || !conn->adopted)
		return;
	bool connecting = atomic_load(&conn->connecting);
	bool want_write = conn->outq_count > 0 || connecting;
	/* A connect in progress completes (or fails) with EPOLLOUT. */
	uint32_t events =
		(conn->reading && !connecting ? EPOLLIN : 0) | (want_write ? EPOLLOUT : 0);
	/* A TLS handshake waits for what it asked for, whatever else. */
	if (atomic_load(&conn->tls_state) == RPC_CONN_TLS_HANDSHAKE) {
		want_write = conn->tls_want_write;
		events = want_write ? EPOLLOUT : EPOLLIN;
	}
	struct epoll_event ev = {.events = events, .data.ptr = &conn->poll};
	if (epoll_ctl(conn->loop->epfd, EPOLL_CTL_MOD, conn->poll.fd, &ev) != 0)
		log_warn("rpc: epoll_ctl on %s: %s", conn->peer_str, strerror(errno));
	conn->writing = want_write;
}

void rpc_out_seg_release(struct rpc_server *srv, struct rpc_out_seg *sg)
{
	buf_unref(sg->b);
	sg->b = NULL;
	if (sg->pipe)
		pipe_pool_put(srv->pipes, sg->pipe);
	sg->pipe = NULL;
	rpc_mapped_release(&sg->map);
}

static void outq_pop(struct rpc_conn *conn)
{
	rpc_out_seg_release(conn->srv, &conn->outq[conn->outq_head]);
	conn->outq_head = (conn->outq_head + 1) % conn->outq_cap;
	conn->outq_count--;
	conn->outq_head_off = 0;
}

/* A pipe at the head of the queue: its bytes go to the socket by splice,
 * page references handed over, no copy.  MSG_MORE-like hint when more of
 * the queue follows, so the kernel packs the tail with them. */
static ssize_t outq_splice_head(struct rpc_conn *conn, size_t *attempted)
{
	struct rpc_out_seg *sg = &conn->outq[conn->outq_head];
	*attempted = sg->len - conn->outq_head_off;
	unsigned flags = SPLICE_F_NONBLOCK | (conn->outq_count > 1 ? SPLICE_F_MORE : 0);
	ssize_t w = splice(sg->pipe->rd, NULL, conn->poll.fd, NULL, *attempted, flags);
	if (w > 0) {
		sg->pipe->held -= (size_t)w;
	} else if (w == 0 || (errno == EAGAIN && rpc_pipe_empty(sg->pipe))) {
		/* The pipe holds fewer bytes than the reply promised: the
		 * record cannot be completed, the stream is lost. */
		log_error("rpc: reply data to %s missing from its pipe; closing",
			  conn->peer_str);
		errno = EPIPE;
		return -1;
	}
	return w;
}

/* The buffers at the head of the queue, up to the next pipe, in one
 * sendmsg. */
static ssize_t outq_write_bufs(struct rpc_conn *conn, size_t *attempted)
{
	struct iovec iov[WRITEV_MAX_IOV];
	unsigned n = 0;
	size_t total = 0;
	bool pipe_next = false;
	for (; n < conn->outq_count && n < WRITEV_MAX_IOV; n++) {
		const struct rpc_out_seg *sg = &conn->outq[(conn->outq_head + n) % conn->outq_cap];
		if (sg->pipe) {
			pipe_next = true;
			break;
		}
		size_t skip = n == 0 ? conn->outq_head_off : 0;
		uint8_t *base = sg->b ? sg->b->data : sg->map.base;
		iov[n].iov_base = base + sg->off + skip;
		iov[n].iov_len = sg->len - skip;
		total += iov[n].iov_len;
	}
	*attempted = total;
	if (rpc_conn_tls_in_user_space(conn))
		return rpc_tls_writev(conn->tls, iov, (int)n);
	if (!pipe_next)
		return writev(conn->poll.fd, iov, (int)n);
	/* A header followed by spliced data: one packet for both. */
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
	return sendmsg(conn->poll.fd, &msg, MSG_NOSIGNAL | MSG_MORE);
}

/* A mapped piece's rest (from skip) turned into a buffer of its bytes as
 * the file has them now, zeros for the pages it lost. */
static bool outq_unmap_seg(struct rpc_out_seg *sg, size_t skip)
{
	size_t rest = sg->len - skip;
	struct buf *b = buf_new(rest);
	if (!b)
		return false;
	rpc_mapped_copy(&sg->map, sg->off + skip, b->data, rest);
	b->len = rest;
	rpc_mapped_release(&sg->map);
	*sg = rpc_out_buf(b, 0, rest);
	return true;
}

/* The write failed with EFAULT: a page of a mapped piece it took in is no
 * longer the file's (the file shrank while the reply waited; the kernel
 * drops a whole chunk that spans the fault, so the piece need not be the
 * head).  The record's length is promised, so the mapped pieces the write
 * took in go from memory instead, zeros past the file's new end.  False
 * when there was none (the stream cannot go on). */
static bool outq_unmap(struct rpc_conn *conn)
{
	bool any = false;
	for (unsigned i = 0; i < conn->outq_count && i < WRITEV_MAX_IOV; i++) {
		struct rpc_out_seg *sg = &conn->outq[(conn->outq_head + i) % conn->outq_cap];
		if (sg->pipe)
			break;
		if (!sg->map.base)
			continue;
		if (!outq_unmap_seg(sg, i == 0 ? conn->outq_head_off : 0))
			return false;
		if (i == 0)
			conn->outq_head_off = 0;
		any = true;
	}
	if (any)
		log_debug("rpc: a file read for %s shrank while its reply was sent; the "
			  "reply's data past its new end is sent as zeros",
			  conn->peer_str);
	return any;
}

bool rpc_conn_flush_locked(struct rpc_conn *conn)
{
	if (atomic_load(&conn->connecting))
		return true; /* written once connected */
	/* The handshake has the socket: replies wait for it to be done. */
	if (atomic_load(&conn->tls_state) == RPC_CONN_TLS_HANDSHAKE)
		return true;
	while (conn->outq_count > 0) {
		size_t total = 0;
		if (conn->outq[conn->outq_head].pipe && rpc_conn_tls_in_user_space(conn)) {
			/* Never queued so (rpc_request_pipe): its bytes would
			 * bypass the encryption. */
			log_error("rpc: a spliced reply queued for %s under TLS; closing",
				  conn->peer_str);
			return false;
		}
		ssize_t w = conn->outq[conn->outq_head].pipe ? outq_splice_head(conn, &total)
							      : outq_write_bufs(conn, &total);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			if (errno == EFAULT && outq_unmap(conn))
				continue;
			log_debug("rpc: write to %s: %s", conn->peer_str, strerror(errno));
			return false;
		}
		size_t left = (size_t)w;
		conn->outq_bytes -= left;
		rpc_conn_uncharge_output(conn, left);
		if (left)
			conn->out_progress_ms = clock_now_coarse_ms();
		while (left > 0) {
			size_t rest = conn->outq[conn->outq_head].len - conn->outq_head_off;
			if (left < rest) {
				conn->outq_head_off += left;
				break;
			}
			left -= rest;
			outq_pop(conn);
		}
		if (atomic_load(&conn->mem_waiting))
			rpc_conn_wake_memory_waiters_locked(conn);
		if ((size_t)w < total)
			return true; /* the socket buffer is full: wait for EPOLLOUT */
	}
	return true;
}

/* Makes room for n more pieces. */
static bool outq_reserve(struct rpc_conn *conn, unsigned n)
{
	if (conn->outq_count + n <= conn->outq_cap)
		return true;
	unsigned cap = conn->outq_cap ? conn->outq_cap * 2 : OUTQ_INITIAL;
	while (cap < conn->outq_count + n)
		cap *= 2;
	struct rpc_out_seg *q = malloc(cap * sizeof(*q));
	if (!q)
		return false;
	for (unsigned i = 0; i < conn->outq_count; i++)
		q[i] = conn->outq[(conn->outq_head + i) % conn->outq_cap];
	free(conn->outq);
	conn->outq = q;
	conn->outq_cap = cap;
	conn->outq_head = 0;
	return true;
}

void rpc_conn_send_segs(struct rpc_conn *conn, struct rpc_out_seg *segs, unsigned n)
{
	bool failed = false;
	pthread_mutex_lock(&conn->lock);
	if (conn->closed || !outq_reserve(conn, n)) {
		failed = !conn->closed;
		pthread_mutex_unlock(&conn->lock);
		for (unsigned i = 0; i < n; i++)
			rpc_out_seg_release(conn->srv, &segs[i]);
		if (failed)
			rpc_conn_close(conn);
		return;
	}
	/* A queue that starts now has made no progress yet, not none for
	 * as long as it was empty. */
	if (conn->outq_count == 0)
		conn->out_progress_ms = clock_now_ms();
	for (unsigned i = 0; i < n; i++) {
		conn->outq[(conn->outq_head + conn->outq_count) % conn->outq_cap] = segs[i];
		conn->outq_count++;
		conn->outq_bytes += segs[i].len;
		rpc_conn_charge_output(conn, segs[i].len);
	}
	if (!conn->batching) {
		bool was_writing = conn->writing;
		failed = !rpc_conn_flush_locked(conn);
		if (!failed && (conn->outq_count > 0) != was_writing)
			rpc_conn_update_events_locked(conn);
	}
	bool over = !rpc_conn_within_budget_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	if (failed)
		rpc_conn_close(conn);
	else if (over)
		/* The loop notices the backlog on its next pass; nothing to do
		 * here but make sure it looks soon. */
		rpc_loop_post(conn->loop, conn, CONN_MSG_RESUME);
}

void rpc_conn_send(struct rpc_conn *conn, struct buf *b)
{
	struct rpc_out_seg seg = rpc_out_buf(b, 0, b->len);
	rpc_conn_send_segs(conn, &seg, 1);
}

/* --- outgoing calls ---------------------------------------------------- */

/* Sends the call e holds (its record mark reserved) as pc, registered
 * first so that a fast reply always finds it.  Takes e and pc. */
static int call_send(struct rpc_conn *conn, struct xdr_enc *e, struct rpc_pending_call *pc,
		     unsigned timeout_ms)
{
	xdr_enc_patch_u32(e, 0, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(e) - 4));
	pc->deadline_ms = clock_now_ms() + timeout_ms;
	pthread_mutex_lock(&conn->lock);
	/* No loop serves it (a connection object a test made): nothing would
	 * read the reply or time the call out. */
	if (conn->closed || !conn->loop) {
		pthread_mutex_unlock(&conn->lock);
		xdr_enc_release(e);
		rpc_gss_cb_put(pc->gss);
		free(pc);
		return -ENOTCONN;
	}
	pc->next = conn->calls;
	conn->calls = pc;
	pthread_mutex_unlock(&conn->lock);
	/* A connection whose backlog paused reading must read again for the
	 * reply. */
	if (atomic_load(&conn->read_paused) && conn->loop)
		rpc_loop_post(conn->loop, conn, CONN_MSG_RESUME);
	rpc_conn_send(conn, xdr_enc_take(e));
	return 0;
}

/* A pending call and an encoder with the record mark reserved. */
static struct rpc_pending_call *call_new(struct rpc_conn *conn, struct xdr_enc *e, size_t args_len,
					 rpc_call_done_fn done, void *arg)
{
	struct rpc_pending_call *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	if (!xdr_enc_init(e, 256 + args_len, (size_t)conn->srv->opts.max_record_size + 4)) {
		free(pc);
		return NULL;
	}
	xdr_enc_reserve(e, 4);
	pc->xid = atomic_fetch_add(&conn->srv->xid_next, 1);
	pc->done = done;
	pc->arg = arg;
	return pc;
}

int rpc_conn_call(struct rpc_conn *conn, uint32_t prog, uint32_t vers, uint32_t proc,
		  const struct rpc_cred *cred, const void *args, size_t args_len,
		  unsigned timeout_ms, rpc_call_done_fn done, void *arg)
{
	struct xdr_enc e;
	struct rpc_pending_call *pc = call_new(conn, &e, args_len, done, arg);
	if (!pc)
		return -ENOMEM;
	if (!rpc_encode_call(&e, pc->xid, prog, vers, proc, cred) ||
	    !xdr_encode_opaque_fixed(&e, args, args_len) || (args_len & 3)) {
		xdr_enc_release(&e);
		free(pc);
		return -EMSGSIZE;
	}
	return call_send(conn, &e, pc, timeout_ms);
}

struct rpc_gss_cb *rpc_conn_gss_cb(struct rpc_conn *conn, const uint8_t *from_server,
				   uint32_t from_server_len, const uint8_t *from_client,
				   uint32_t from_client_len, uint32_t service)
{
	struct rpc_gss_server *g = rpc_server_gss(conn->srv);
	if (!g)
		return NULL;
	return rpc_gss_server_cb_get(g, from_server, from_server_len, from_client,
				     from_client_len, service);
}

bool rpc_conn_gss_knows(struct rpc_conn *conn, const uint8_t *handle, uint32_t len)
{
	struct rpc_gss_server *g = rpc_server_gss(conn->srv);
	return g && rpc_gss_server_knows(g, handle, len);
}

int rpc_conn_call_gss(struct rpc_conn *conn, struct rpc_gss_cb *gss, uint32_t prog, uint32_t vers,
		      uint32_t proc, const void *args, size_t args_len, unsigned timeout_ms,
		      rpc_call_done_fn done, void *arg)
{
	struct xdr_enc e;
	struct rpc_pending_call *pc = call_new(conn, &e, args_len, done, arg);
	if (!pc) {
		rpc_gss_cb_put(gss);
		return -ENOMEM;
	}
	pc->gss = gss;
	int rc = rpc_gss_cb_encode_call(gss, &e, pc->xid, prog, vers, proc, args, args_len,
					&pc->gss_seq);
	if (rc) {
		xdr_enc_release(&e);
		rpc_gss_cb_put(gss);
		free(pc);
		return rc;
	}
	return call_send(conn, &e, pc, timeout_ms);
}

static struct rpc_pending_call *take_call(struct rpc_conn *conn, uint32_t xid)
{
	pthread_mutex_lock(&conn->lock);
	struct rpc_pending_call **pp = &conn->calls;
	while (*pp && (*pp)->xid != xid)
		pp = &(*pp)->next;
	struct rpc_pending_call *pc = *pp;
	if (pc)
		*pp = pc->next;
	pthread_mutex_unlock(&conn->lock);
	return pc;
}

void rpc_conn_handle_reply(struct rpc_conn *conn, uint32_t xid, struct xdr_dec *d)
{
	atomic_fetch_add_explicit(&conn->srv->st_replies, 1, memory_order_relaxed);
	struct rpc_pending_call *pc = take_call(conn, xid);
	if (!pc) {
		log_ratelimited("rpc: %s sent a REPLY with unknown xid 0x%08x; dropped",
				conn->peer_str, xid);
		return;
	}
	struct rpc_reply_hdr hdr;
	struct buf *plain = NULL;
	int rc = rpc_decode_reply(d, &hdr) ? 0 : -EBADMSG;
	if (rc == 0 && pc->gss) {
		/* The reply is the client's only if its verifier checks; the
		 * results are read as the call's service protected them. */
		rc = rpc_gss_cb_open_reply(pc->gss, pc->gss_seq, &hdr, d->p, xdr_dec_remaining(d),
					   &plain);
		if (rc)
			log_ratelimited("rpc: %s: the RPCSEC_GSS reply to xid 0x%08x does not "
					"verify; taken as no reply",
					conn->peer_str, xid);
		else if (plain)
			xdr_dec_init(d, plain->data, plain->len);
	}
	if (rc)
		pc->done(pc->arg, rc == -EACCES ? -EBADMSG : rc, NULL, NULL);
	else
		pc->done(pc->arg, 0, &hdr, d);
	buf_unref(plain);
	rpc_gss_cb_put(pc->gss);
	free(pc);
}

void rpc_conn_fail_calls(struct rpc_conn *conn, int err, uint64_t now_ms, bool only_expired)
{
	struct rpc_pending_call *failed = NULL;
	pthread_mutex_lock(&conn->lock);
	struct rpc_pending_call **pp = &conn->calls;
	while (*pp) {
		struct rpc_pending_call *pc = *pp;
		if (!only_expired || pc->deadline_ms <= now_ms) {
			*pp = pc->next;
			pc->next = failed;
			failed = pc;
		} else {
			pp = &pc->next;
		}
	}
	pthread_mutex_unlock(&conn->lock);
	while (failed) {
		struct rpc_pending_call *pc = failed;
		failed = pc->next;
		pc->done(pc->arg, err, NULL, NULL);
		rpc_gss_cb_put(pc->gss);
		free(pc);
	}
}
