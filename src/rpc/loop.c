/* Event loops: one thread and one epoll instance each, owning connections. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/server_internal.h"

enum {
	LOOP_TICK_MS = 250,
	READS_PER_WAKEUP = 4,   /* fairness between connections of a loop */
	INPUT_TRIM_IDLE_MS = 2000,
	CONNECT_IDLE_MS = 1000, /* a dial with no call left waits no longer */
	MAX_EVENTS = 64,
};

int rpc_loop_init(struct rpc_loop *loop, struct rpc_server *srv, unsigned index)
{
	memset(loop, 0, sizeof(*loop));
	loop->srv = srv;
	loop->index = index;
	list_init(&loop->conns);
	list_init(&loop->graveyard);
	pthread_mutex_init(&loop->msg_lock, NULL);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake.kind = POLL_WAKE;
	loop->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	loop->tick.kind = POLL_TICK;
	loop->tick.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->epfd < 0 || loop->wake.fd < 0 || loop->tick.fd < 0)
		return -errno;
	struct itimerspec its = {
		.it_interval = {0, LOOP_TICK_MS * 1000000L},
		.it_value = {0, LOOP_TICK_MS * 1000000L},
	};
	timerfd_settime(loop->tick.fd, 0, &its, NULL);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &loop->wake};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wake.fd, &ev) != 0)
		return -errno;
	ev.data.ptr = &loop->tick;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->tick.fd, &ev) != 0)
		return -errno;
	return 0;
}

void rpc_loop_destroy(struct rpc_loop *loop)
{
	/* A close asked for after the stop still holds a reference. */
	rpc_loop_settle(loop);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wake.fd >= 0)
		close(loop->wake.fd);
	if (loop->tick.fd >= 0)
		close(loop->tick.fd);
	pthread_mutex_destroy(&loop->msg_lock);
}

static void loop_wake(struct rpc_loop *loop)
{
	uint64_t one = 1;
	ssize_t unused = write(loop->wake.fd, &one, sizeof(one));
	(void)unused;
}

void rpc_loop_post(struct rpc_loop *loop, struct rpc_conn *conn, unsigned flags)
{
	bool wake = false;
	pthread_mutex_lock(&loop->msg_lock);
	if (conn->msg_flags == 0) {
		/* The queue holds a reference until the loop takes the message. */
		rpc_conn_ref(conn);
		conn->msg_next = NULL;
		if (loop->msg_tail)
			loop->msg_tail->msg_next = conn;
		else
			loop->msg_head = conn;
		loop->msg_tail = conn;
		wake = true;
	}
	conn->msg_flags |= flags;
	pthread_mutex_unlock(&loop->msg_lock);
	if (wake)
		loop_wake(loop);
}

void rpc_loop_post_loop(struct rpc_loop *loop, unsigned flags)
{
	pthread_mutex_lock(&loop->msg_lock);
	loop->loop_msgs |= flags;
	pthread_mutex_unlock(&loop->msg_lock);
	loop_wake(loop);
}

/* --- connection reading ------------------------------------------------- */

static void conn_close(struct rpc_loop *loop, struct rpc_conn *conn, const char *why)
{
	pthread_mutex_lock(&conn->lock);
	if (conn->closed) {
		pthread_mutex_unlock(&conn->lock);
		return;
	}
	conn->closed = true;
	/* Replies nobody will read: their memory goes now, not with the last
	 * reference, which a session may keep for long. */
	for (unsigned i = 0; i < conn->outq_count; i++)
		rpc_out_seg_release(conn->srv,
				    &conn->outq[(conn->outq_head + i) % conn->outq_cap]);
	conn->outq_count = 0;
	conn->outq_head_off = 0;
	rpc_conn_uncharge_output(conn, conn->outq_bytes);
	conn->outq_bytes = 0;
	/* Requests waiting for it to drain go on (and find it closed). */
	rpc_conn_wake_memory_waiters_locked(conn);
	pthread_mutex_unlock(&conn->lock);

	log_debug("rpc: closing connection from %s: %s", conn->peer_str, why);
	/* Handed to another process (or being handed: frozen): that one
	 * serves it now; ours is only a copy of the descriptor, closed with
	 * the last reference. */
	bool handed = atomic_load(&conn->srv->handed_over) || loop->frozen;
	if (!handed && atomic_load(&conn->tls_state) == RPC_CONN_TLS_UP) {
		pthread_mutex_lock(&conn->lock);
		rpc_tls_shutdown(conn->tls);
		pthread_mutex_unlock(&conn->lock);
	}
	struct rpc_server *srv = loop->srv;
	for (unsigned i = 0; i < srv->nprograms; i++)
		if (srv->programs[i].conn_closed)
			srv->programs[i].conn_closed(conn, srv->programs[i].ctx);
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, conn->poll.fd, NULL);
	/* Wake a peer blocked on us; the fd itself is closed with the last
	 * reference so no other connection can reuse its number meanwhile. */
	if (!handed)
		shutdown(conn->poll.fd, SHUT_RDWR);
	rpc_conn_fail_calls(conn, -ECONNRESET, 0, false);
	/* A record torn by the close is never served: its pipe, and those of
	 * the CALLs set aside, go back now, while the pool surely exists. */
	rpc_record_reader_release_pipe(&conn->reader);
	for (; conn->naside; conn->naside--) {
		rpc_record_release(&conn->aside[conn->aside_head]);
		conn->aside_head = (conn->aside_head + 1) % RPC_ASIDE_MAX;
	}
	list_del(&conn->loop_link);
	loop->nconns--;
	rpc_conn_untrack(conn);
	/* epoll may still have returned events for it in the batch being
	 * handled: the loop's reference is dropped after the batch. */
	list_add_head(&loop->graveyard, &conn->loop_link);
}

static void loop_bury(struct rpc_loop *loop)
{
	while (!list_empty(&loop->graveyard)) {
		struct rpc_conn *conn = list_entry(loop->graveyard.next, struct rpc_conn, loop_link);
		list_del(&conn->loop_link);
		rpc_conn_unref(conn); /* the loop's reference */
	}
}

static void conn_set_reading(struct rpc_conn *conn, bool on)
{
	pthread_mutex_lock(&conn->lock);
	if (conn->reading != on) {
		conn->reading = on;
		rpc_conn_update_events_locked(conn);
	}
	pthread_mutex_unlock(&conn->lock);
}

/* Whether the connection may take more requests now. */
static bool conn_has_room(struct rpc_conn *conn)
{
	if (atomic_load(&conn->inflight) >= conn->srv->opts.max_inflight_per_conn)
		return false;
	pthread_mutex_lock(&conn->lock);
	bool ok = rpc_conn_within_budget_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	return ok;
}

static void conn_begin_batch(struct rpc_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	conn->batching = true;
	pthread_mutex_unlock(&conn->lock);
}

static bool conn_end_batch(struct rpc_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	conn->batching = false;
	bool ok = conn->closed || rpc_conn_flush_locked(conn);
	if (ok)
		rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	return ok;
}

static void handle_record(struct rpc_conn *conn, struct rpc_record *rec)
{
	struct xdr_dec d;
	uint32_t xid, msg_type;
	xdr_dec_init(&d, rec->data, rec->len);
	if (!rpc_decode_msg_start(&d, &xid, &msg_type)) {
		log_ratelimited("rpc: %s sent a %zu-byte record too short for an RPC header",
				conn->peer_str, rec->len);
		rpc_record_release(rec);
		return;
	}
	if (msg_type == RPC_MSG_REPLY) {
		rpc_conn_handle_reply(conn, xid, &d);
		rpc_record_release(rec);
		return;
	}
	if (msg_type != RPC_MSG_CALL) {
		log_ratelimited("rpc: %s sent msg_type %u; dropped", conn->peer_str, msg_type);
		rpc_record_release(rec);
		return;
	}
	rpc_dispatch_call(conn, rec, &d, xid);
}

static bool conn_has_calls(struct rpc_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	bool r = conn->calls != NULL;
	pthread_mutex_unlock(&conn->lock);
	return r;
}

static bool record_is_call(const struct rpc_record *rec)
{
	return rec->len >= 8 && xdr_get_be32(rec->data + 4) == RPC_MSG_CALL;
}

/* While the backlog is full, reading goes on only to find the REPLYs our
 * outgoing calls wait for (a callback's answer must not wait behind the
 * client's requests), with room to set the CALLs aside. */
static bool conn_reads_for_replies(struct rpc_conn *conn)
{
	return conn->naside < RPC_ASIDE_MAX && conn_has_calls(conn);
}

static bool conn_tls_start(struct rpc_loop *loop, struct rpc_conn *conn);

/* While handing over: a connection reads on only to finish a record whose
 * bytes could not be handed as they are. */
static bool handover_reads_on(const struct rpc_loop *loop, const struct rpc_conn *conn)
{
	return loop->handover && !loop->frozen && !rpc_record_reader_handable(&conn->reader);
}

/* Serves the complete records already buffered, as far as backpressure
 * allows.  Returns false when the stream is malformed (connection closed). */
static bool conn_process_records(struct rpc_loop *loop, struct rpc_conn *conn)
{
	enum rpc_record_status st = RPC_RECORD_NEED_MORE;
	bool room = true;
	conn_begin_batch(conn);
	/* CALLs set aside come first, in the order they arrived. */
	while (conn->naside && (room = conn_has_room(conn))) {
		struct rpc_record rec = conn->aside[conn->aside_head];
		conn->aside_head = (conn->aside_head + 1) % RPC_ASIDE_MAX;
		conn->naside--;
		handle_record(conn, &rec);
	}
	for (;;) {
		room = room && conn_has_room(conn);
		bool replies_only = !room || conn->naside;
		if (replies_only && !conn_reads_for_replies(conn))
			break;
		struct rpc_record rec;
		st = rpc_record_next(&conn->reader, &rec);
		if (st != RPC_RECORD_READY)
			break;
		if (replies_only && record_is_call(&rec)) {
			conn->aside[(conn->aside_head + conn->naside) % RPC_ASIDE_MAX] = rec;
			conn->naside++;
			continue;
		}
		handle_record(conn, &rec);
		/* After STARTTLS the next bytes are TLS's, not records. */
		if (atomic_load(&conn->tls_state) == RPC_CONN_TLS_STARTING)
			break;
	}
	bool flushed = conn_end_batch(conn);
	if (st == RPC_RECORD_TOO_BIG || st == RPC_RECORD_EMPTY || st == RPC_RECORD_NOMEM) {
		atomic_fetch_add_explicit(&loop->srv->st_bad_records, 1, memory_order_relaxed);
		log_ratelimited("rpc: closing %s: %s", conn->peer_str,
				st == RPC_RECORD_TOO_BIG ? "record larger than the maximum"
				: st == RPC_RECORD_EMPTY ? "empty record"
							 : "out of memory");
		conn_close(loop, conn, "bad record");
		return false;
	}
	if (!flushed) {
		conn_close(loop, conn, "write failed");
		return false;
	}
	if (atomic_load(&conn->tls_state) == RPC_CONN_TLS_STARTING)
		return conn_tls_start(loop, conn);
	bool pause = !room || conn->naside || (loop->draining && !handover_reads_on(loop, conn));
	atomic_store(&conn->read_paused, pause);
	bool read_on = (!pause || (!loop->draining && conn_reads_for_replies(conn))) &&
		       !atomic_load(&conn->peer_eof);
	conn_set_reading(conn, read_on);
	/* A request may have finished between the check and the pause:
	 * look again so the connection cannot stall. */
	if (pause && (!loop->draining || loop->handover) && conn_has_room(conn))
		rpc_loop_post(loop, conn, CONN_MSG_RESUME);
	return true;
}

/* After the peer's EOF: close once every request it sent is answered and
 * the answers are written.  A partial record left over can never complete. */
static void conn_finish_if_done(struct rpc_loop *loop, struct rpc_conn *conn)
{
	if (!atomic_load(&conn->peer_eof) || atomic_load(&conn->read_paused) ||
	    atomic_load(&conn->inflight) > 0)
		return;
	pthread_mutex_lock(&conn->lock);
	bool pending = conn->outq_count > 0;
	pthread_mutex_unlock(&conn->lock);
	if (!pending)
		conn_close(loop, conn, "peer closed");
}

/* Splices up to want bytes of a record's payload from the socket into the
 * pipe; as read(2).  A failure other than "nothing to read yet" ends the
 * splicing of this record and is not the connection's: its bytes are then
 * read as usual (0 bytes moved, errno EINTR, so the caller goes on). */
static ssize_t conn_splice_in(struct rpc_conn *conn, struct pooled_pipe *pipe, size_t want,
			      bool *nomem)
{
	ssize_t n = splice(conn->poll.fd, NULL, pipe->wr, NULL, want,
			   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (n > 0) {
		*nomem = !rpc_record_spliced(&conn->reader, (size_t)n);
		atomic_fetch_add_explicit(&conn->srv->st_splice_in_bytes, (uint64_t)n,
					  memory_order_relaxed);
		return n;
	}
	if (n == 0 || errno == EINTR)
		return n;
	int queued = 0;
	/* EAGAIN with bytes queued on the socket: the pipe is full before its
	 * size (each socket fragment takes a slot of its own). */
	if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
	    (ioctl(conn->poll.fd, FIONREAD, &queued) != 0 || queued == 0))
		return -1;
	*nomem = !rpc_record_splice_stop(&conn->reader);
	atomic_fetch_add_explicit(&conn->srv->st_splice_in_fallbacks, 1, memory_order_relaxed);
	errno = EINTR;
	return -1;
}

/* Moves the next bytes off the socket, into the pipe or the buffer; as
 * read(2), *asked set to what was asked for.  NULL space: out of memory. */
static ssize_t conn_take_bytes(struct rpc_conn *conn, size_t *asked, bool *nomem)
{
	struct rpc_record_reader *r = &conn->reader;
	if (rpc_record_plan_bulk(r, rpc_conn_find_bulk, conn) == RPC_RECORD_BULK_NO_PIPE)
		atomic_fetch_add_explicit(&conn->srv->st_splice_in_fallbacks, 1,
					  memory_order_relaxed);
	struct pooled_pipe *pipe;
	size_t want = rpc_record_splice_want(r, &pipe);
	if (want) {
		*asked = want;
		return conn_splice_in(conn, pipe, want, nomem);
	}
	uint8_t *space = rpc_record_read_space(r, asked);
	if (!space) {
		*nomem = true;
		return -1;
	}
	ssize_t n = atomic_load(&conn->tls_state) == RPC_CONN_TLS_UP
			    ? rpc_conn_tls_read(conn, space, *asked)
			    : read(conn->poll.fd, space, *asked);
	if (n > 0)
		rpc_record_commit(r, (size_t)n);
	return n;
}

/* TLS: the STARTTLS reply is queued.  Once it is written the handshake
 * begins (the client sends its ClientHello only after reading it).
 * False when the connection was closed. */
static bool conn_tls_start(struct rpc_loop *loop, struct rpc_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	bool written = conn->outq_count == 0;
	if (!written) {
		/* Read nothing more until the reply is out (conn_on_writable
		 * comes back here). */
		conn->reading = false;
		rpc_conn_update_events_locked(conn);
	}
	pthread_mutex_unlock(&conn->lock);
	if (!written)
		return true;
	if (!rpc_conn_tls_begin(conn)) {
		conn_close(loop, conn, "TLS start failed");
		return false;
	}
	return true;
}

static void conn_on_readable(struct rpc_loop *loop, struct rpc_conn *conn);

/* Drives the handshake on readiness; once it is done, records may
 * already wait in the session. */
static void conn_tls_handshake(struct rpc_loop *loop, struct rpc_conn *conn)
{
	switch (rpc_conn_tls_step(conn)) {
	case RPC_TLS_FAILED:
		conn_close(loop, conn, "TLS handshake failed");
		return;
	case RPC_TLS_DONE:
		conn->last_activity_ms = clock_now_coarse_ms();
		conn_set_reading(conn, !loop->draining);
		conn_on_readable(loop, conn);
		return;
	default:
		conn->last_activity_ms = clock_now_coarse_ms();
		return;
	}
}

static void conn_on_readable(struct rpc_loop *loop, struct rpc_conn *conn)
{
	uint8_t tls = atomic_load(&conn->tls_state);
	if (tls == RPC_CONN_TLS_HANDSHAKE) {
		conn_tls_handshake(loop, conn);
		return;
	}
	if (tls == RPC_CONN_TLS_STARTING)
		return;
	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		size_t avail = 0;
		bool nomem = false;
		ssize_t n = conn_take_bytes(conn, &avail, &nomem);
		if (nomem) {
			conn_close(loop, conn, "out of memory");
			return;
		}
		if (n == 0) {
			atomic_store(&conn->peer_eof, true);
			conn_set_reading(conn, false);
			if (conn_process_records(loop, conn))
				conn_finish_if_done(loop, conn);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(loop, conn, strerror(errno));
			return;
		}
		conn->last_activity_ms = clock_now_coarse_ms();
		if (!conn_process_records(loop, conn))
			return;
		/* STARTTLS answered: the socket's next bytes are the handshake's. */
		tls = atomic_load(&conn->tls_state);
		if (tls == RPC_CONN_TLS_STARTING || tls == RPC_CONN_TLS_HANDSHAKE)
			return;
		if (atomic_load(&conn->read_paused) &&
		    (loop->draining || !conn_reads_for_replies(conn)))
			return;
		if ((size_t)n < avail)
			return; /* drained the socket */
	}
	/* Fairness: other connections first.  What TLS already took off the
	 * socket would wake nothing: come back for it. */
	if (rpc_conn_tls_buffered(conn))
		rpc_loop_post(loop, conn, CONN_MSG_READ);
}

/* Reading resumed (or may have): what TLS holds is read now, since no
 * epoll event will come for it. */
static void conn_read_tls_buffered(struct rpc_loop *loop, struct rpc_conn *conn)
{
	if (!loop->draining && !rpc_conn_is_closed(conn) && !atomic_load(&conn->read_paused) &&
	    !atomic_load(&conn->peer_eof) && rpc_conn_tls_buffered(conn))
		conn_on_readable(loop, conn);
}

static void conn_on_writable(struct rpc_loop *loop, struct rpc_conn *conn)
{
	uint8_t tls = atomic_load(&conn->tls_state);
	if (tls == RPC_CONN_TLS_HANDSHAKE) {
		conn_tls_handshake(loop, conn);
		return;
	}
	pthread_mutex_lock(&conn->lock);
	bool ok = rpc_conn_flush_locked(conn);
	if (ok)
		rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	if (!ok) {
		conn_close(loop, conn, "write failed");
		return;
	}
	if (tls == RPC_CONN_TLS_STARTING) {
		conn_tls_start(loop, conn);
		return;
	}
	if (atomic_load(&conn->read_paused) &&
	    (!loop->draining || (loop->handover && !loop->frozen))) {
		if (!conn_process_records(loop, conn))
			return;
		conn_read_tls_buffered(loop, conn);
	}
	conn_finish_if_done(loop, conn);
}

/* A dialled connection's connect ended (EPOLLOUT, EPOLLERR or EPOLLHUP). */
static void conn_on_connected(struct rpc_loop *loop, struct rpc_conn *conn)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(conn->poll.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err) {
		log_info("rpc: cannot connect to %s: %s", conn->peer_str, strerror(err));
		conn_close(loop, conn, "connect failed");
		return;
	}
	conn->last_activity_ms = clock_now_ms();
	pthread_mutex_lock(&conn->lock);
	atomic_store(&conn->connecting, false);
	bool ok = rpc_conn_flush_locked(conn);
	if (ok)
		rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	if (!ok)
		conn_close(loop, conn, "write failed");
}

static void conn_adopt(struct rpc_loop *loop, struct rpc_conn *conn)
{
	conn->adopted = true;
	conn->reading = !loop->draining;
	conn->reader.pipes = loop->srv->pipes;
	conn->last_activity_ms = clock_now_ms();
	list_add_head(&loop->conns, &conn->loop_link);
	loop->nconns++;
	uint32_t events = atomic_load(&conn->connecting) ? EPOLLOUT
			  : conn->reading			   ? EPOLLIN
								   : 0;
	struct epoll_event ev = {.events = events, .data.ptr = &conn->poll};
	pthread_mutex_lock(&conn->lock);
	int rc = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, conn->poll.fd, &ev);
	pthread_mutex_unlock(&conn->lock);
	if (rc != 0) {
		log_warn("rpc: cannot watch connection from %s: %s", conn->peer_str,
			 strerror(errno));
		conn_close(loop, conn, "epoll_ctl failed");
		return;
	}
	/* Replies queued before adoption (outgoing calls) need EPOLLOUT. */
	pthread_mutex_lock(&conn->lock);
	rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
}

/* --- handing over to another process (rpc_server_handover_freeze) ------- */

static void loop_listeners_watch(struct rpc_loop *loop, bool on)
{
	if (loop->index != 0)
		return;
	for (unsigned i = 0; i < loop->srv->nlisteners; i++) {
		struct rpc_listener *l = &loop->srv->listeners[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->poll};
		if (on)
			epoll_ctl(loop->epfd, EPOLL_CTL_ADD, l->poll.fd, &ev);
		else
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, l->poll.fd, NULL);
		l->paused = false;
	}
}

/* Nothing of the loop is under way: every request answered and written,
 * every connection at a record boundary it can hand over. */
static bool loop_handover_settled(struct rpc_loop *loop)
{
	list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link) {
		if (atomic_load(&c->inflight) > 0 || c->naside > 0 ||
		    !rpc_record_reader_handable(&c->reader))
			return false;
		pthread_mutex_lock(&c->lock);
		bool pending = c->outq_count > 0;
		pthread_mutex_unlock(&c->lock);
		if (pending)
			return false;
	}
	return true;
}

static void loop_handover_begin(struct rpc_loop *loop)
{
	if (!loop->handover) {
		loop->handover = true;
		loop->draining = true;
		loop_listeners_watch(loop, false);
		struct list_node *pos, *tmp;
		list_for_each_safe(pos, tmp, &loop->conns) {
			struct rpc_conn *c = list_entry(pos, struct rpc_conn, loop_link);
			/* A TLS session whose keys live in this process (TLS in
			 * user space, or a handshake under way), and a dialled
			 * connection, whose calls wait in it, are closed: the
			 * peer reconnects.  One the kernel does both ways of
			 * lives in its socket and goes over with it. */
			uint8_t tls = atomic_load(&c->tls_state);
			if (tls != RPC_CONN_TLS_NONE &&
			    !(tls == RPC_CONN_TLS_UP && c->tls_ktls_send && c->tls_ktls_recv &&
			      c->tls_info)) {
				loop->closed_tls++;
				conn_close(loop, c, "handing over: TLS connections are not handed");
			} else if (c->dialled || atomic_load(&c->connecting)) {
				loop->closed_dialled++;
				conn_close(loop, c, "handing over: dialled connection");
			} else {
				conn_set_reading(c, !rpc_record_reader_handable(&c->reader) &&
							    !atomic_load(&c->peer_eof));
			}
		}
	}
	atomic_store(&loop->handover_settled, loop_handover_settled(loop));
}

static void loop_handover_freeze(struct rpc_loop *loop)
{
	size_t n = 0;
	list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link)
		n++;
	loop->snap = n ? calloc(n, sizeof(*loop->snap)) : NULL;
	loop->nsnap = 0;
	loop->snap_failed = n && !loop->snap;
	list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link) {
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, c->poll.fd, NULL);
		if (loop->snap_failed)
			continue;
		const uint8_t *p;
		size_t len = rpc_record_reader_unread(&c->reader, &p);
		struct rpc_handover_conn *h = &loop->snap[loop->nsnap];
		/* A descriptor of the list's own: the connection may still
		 * close here before the list is sent. */
		h->fd = fcntl(c->poll.fd, F_DUPFD_CLOEXEC, 0);
		h->conn = c;
		h->listener = c->listener;
		h->unread_len = len;
		if (h->fd < 0 || (len && !(h->unread = malloc(len)))) {
			if (h->fd >= 0)
				close(h->fd);
			loop->snap_failed = true;
			continue;
		}
		if (len)
			memcpy(h->unread, p, len);
		h->tls = atomic_load(&c->tls_state) == RPC_CONN_TLS_UP;
		if (h->tls)
			h->tls_info = *c->tls_info;
		loop->nsnap++;
	}
	loop->frozen = true;
	atomic_store(&loop->frozen_done, true);
}

static void loop_handover_thaw(struct rpc_loop *loop)
{
	if (!loop->handover)
		return;
	bool was_frozen = loop->frozen;
	loop->handover = loop->frozen = false;
	loop->draining = false;
	atomic_store(&loop->handover_settled, false);
	atomic_store(&loop->frozen_done, false);
	loop_listeners_watch(loop, true);
	list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link) {
		if (was_frozen) {
			pthread_mutex_lock(&c->lock);
			c->reading = false;
			struct epoll_event ev = {.events = 0, .data.ptr = &c->poll};
			epoll_ctl(loop->epfd, EPOLL_CTL_ADD, c->poll.fd, &ev);
			rpc_conn_update_events_locked(c);
			pthread_mutex_unlock(&c->lock);
		}
		/* Serves what is buffered and turns reading back on. */
		rpc_loop_post(loop, c, CONN_MSG_RESUME);
	}
}

/* --- messages, timers, listeners ---------------------------------------- */

static void loop_drain_messages(struct rpc_loop *loop)
{
	uint64_t count;
	ssize_t unused = read(loop->wake.fd, &count, sizeof(count));
	(void)unused;
	for (;;) {
		pthread_mutex_lock(&loop->msg_lock);
		struct rpc_conn *conn = loop->msg_head;
		unsigned flags = 0;
		if (conn) {
			loop->msg_head = conn->msg_next;
			if (!loop->msg_head)
				loop->msg_tail = NULL;
			flags = conn->msg_flags;
			conn->msg_flags = 0;
		}
		unsigned loop_msgs = loop->loop_msgs;
		loop->loop_msgs = 0;
		pthread_mutex_unlock(&loop->msg_lock);

		if ((loop_msgs & LOOP_MSG_DRAIN) && !loop->draining) {
			loop->draining = true;
			if (loop->index == 0)
				for (unsigned i = 0; i < loop->srv->nlisteners; i++)
					epoll_ctl(loop->epfd, EPOLL_CTL_DEL,
						  loop->srv->listeners[i].poll.fd, NULL);
			list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link)
				conn_set_reading(c, false);
		}
		if (loop_msgs & LOOP_MSG_HANDOVER)
			loop_handover_begin(loop);
		if (loop_msgs & LOOP_MSG_FREEZE)
			loop_handover_freeze(loop);
		if (loop_msgs & LOOP_MSG_THAW)
			loop_handover_thaw(loop);
		if (loop_msgs & LOOP_MSG_EXIT)
			loop->exiting = true;
		if (!conn)
			return;
		if (flags & CONN_MSG_ADOPT)
			conn_adopt(loop, conn);
		if (flags & CONN_MSG_CLOSE)
			conn_close(loop, conn, "closed by request");
		else if ((flags & CONN_MSG_RESUME) && conn->adopted && !rpc_conn_is_closed(conn) &&
			 (!loop->draining || (loop->handover && !loop->frozen)) &&
			 conn_process_records(loop, conn)) {
			conn_read_tls_buffered(loop, conn);
			conn_finish_if_done(loop, conn);
		}
		if ((flags & CONN_MSG_READ) && !(flags & CONN_MSG_CLOSE) && conn->adopted)
			conn_read_tls_buffered(loop, conn);
		rpc_conn_unref(conn); /* the queue's reference */
	}
}

static void loop_on_tick(struct rpc_loop *loop)
{
	uint64_t expirations;
	ssize_t unused = read(loop->tick.fd, &expirations, sizeof(expirations));
	(void)unused;
	uint64_t now = clock_now_ms();
	unsigned idle_ms = loop->srv->opts.idle_timeout_s * 1000u;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &loop->conns) {
		struct rpc_conn *c = list_entry(pos, struct rpc_conn, loop_link);
		rpc_conn_fail_calls(c, -ETIMEDOUT, now, true);
		uint64_t idle = now - c->last_activity_ms;
		if (idle >= INPUT_TRIM_IDLE_MS)
			rpc_record_reader_trim(&c->reader);
		if (atomic_load(&c->tls_state) == RPC_CONN_TLS_HANDSHAKE &&
		    now >= c->tls_deadline_ms) {
			rpc_conn_tls_fail(c, RPC_TLS_FAIL_TIMEOUT);
			conn_close(loop, c, "TLS handshake timed out");
			continue;
		}
		if (atomic_load(&c->connecting)) {
			/* A dial nobody waits on any more (its calls timed out). */
			if (idle >= CONNECT_IDLE_MS && !conn_has_calls(c))
				conn_close(loop, c, "connect timed out");
			continue;
		}
		/* A peer that has not read for the idle timeout while replies
		 * wait for it is gone or hostile: its budget's worth of memory
		 * must not stay pinned until it closes. */
		if (idle_ms) {
			pthread_mutex_lock(&c->lock);
			bool stuck = rpc_conn_output_stuck(c->outq_count, now, c->out_progress_ms,
							   idle_ms);
			pthread_mutex_unlock(&c->lock);
			if (stuck) {
				log_ratelimited("rpc: closing %s: it read none of its replies for "
						"%u s (idle_timeout)",
						c->peer_str, loop->srv->opts.idle_timeout_s);
				conn_close(loop, c, "replies not read");
				continue;
			}
		}
		if (idle_ms && idle >= idle_ms && atomic_load(&c->inflight) == 0 &&
		    atomic_load(&c->back_holds) == 0) {
			pthread_mutex_lock(&c->lock);
			bool busy = c->outq_count > 0 || c->calls != NULL;
			pthread_mutex_unlock(&c->lock);
			if (!busy)
				conn_close(loop, c, "idle timeout");
		}
	}
	if (loop->index != 0)
		return;
	rpc_server_trim_after_burst(loop->srv);
	/* Listeners paused for lack of file descriptors get another chance. */
	for (unsigned i = 0; i < loop->srv->nlisteners; i++) {
		struct rpc_listener *l = &loop->srv->listeners[i];
		if (!l->paused || loop->draining)
			continue;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->poll};
		if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, l->poll.fd, &ev) == 0)
			l->paused = false;
	}
}

static void loop_on_listener(struct rpc_loop *loop, struct rpc_listener *l)
{
	struct rpc_server *srv = loop->srv;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(l->poll.fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_ratelimited("rpc: accept: %s; pausing the listener",
						strerror(errno));
				struct epoll_event ev = {.events = 0, .data.ptr = &l->poll};
				epoll_ctl(loop->epfd, EPOLL_CTL_MOD, l->poll.fd, &ev);
				l->paused = true;
			}
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct rpc_conn *conn = rpc_conn_new(srv, fd, (struct sockaddr *)&peer, plen);
		if (!conn) {
			close(fd);
			continue;
		}
		/* Past a limit: accepted and closed at once, so the client
		 * learns now rather than waiting in the listen backlog. */
		if (!rpc_conn_limits_admit(srv, &conn->peer, conn->peer_str)) {
			rpc_conn_unref(conn);
			continue;
		}
		conn->listener = (int)l->index;
		rpc_conn_track(conn);
		unsigned target = atomic_fetch_add(&srv->next_loop, 1) % srv->nloops;
		conn->loop = &srv->loops[target];
		log_debug("rpc: connection from %s on loop %u", conn->peer_str, target);
		/* The reference from rpc_conn_new becomes the loop's. */
		rpc_loop_post(conn->loop, conn, CONN_MSG_ADOPT);
	}
}

static bool loop_output_pending(struct rpc_loop *loop)
{
	list_for_each_entry(c, &loop->conns, struct rpc_conn, loop_link) {
		pthread_mutex_lock(&c->lock);
		bool pending = c->outq_count > 0;
		pthread_mutex_unlock(&c->lock);
		if (pending)
			return true;
	}
	return false;
}

void *rpc_loop_main(void *arg)
{
	struct rpc_loop *loop = arg;
	struct epoll_event events[MAX_EVENTS];
	uint64_t exit_deadline = 0;

	for (;;) {
		if (loop->exiting) {
			uint64_t now = clock_now_ms();
			if (!exit_deadline)
				exit_deadline = now + 1000;
			if (!loop_output_pending(loop) || now >= exit_deadline)
				break;
		}
		int n = epoll_wait(loop->epfd, events, MAX_EVENTS, loop->exiting ? 50 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("rpc: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct rpc_pollable *p = events[i].data.ptr;
			switch (p->kind) {
			case POLL_WAKE:
				loop_drain_messages(loop);
				break;
			case POLL_TICK:
				atomic_store_explicit(&loop->last_tick_ms, clock_now_ms(),
						      memory_order_relaxed);
				loop_on_tick(loop);
				break;
			case POLL_LISTENER:
				if (!loop->draining)
					loop_on_listener(loop, (struct rpc_listener *)p);
				break;
			case POLL_CONN: {
				struct rpc_conn *conn = (struct rpc_conn *)p;
				/* Keep it alive while handling, even if it closes. */
				rpc_conn_ref(conn);
				if (atomic_load(&conn->connecting)) {
					conn_on_connected(loop, conn);
					rpc_conn_unref(conn);
					break;
				}
				if (events[i].events & (EPOLLERR | EPOLLHUP) &&
				    !(events[i].events & EPOLLIN))
					conn_close(loop, conn, "socket error");
				if ((events[i].events & EPOLLOUT) && !rpc_conn_is_closed(conn))
					conn_on_writable(loop, conn);
				if ((events[i].events & EPOLLIN) && !rpc_conn_is_closed(conn))
					conn_on_readable(loop, conn);
				rpc_conn_unref(conn);
				break;
			}
			}
		}
		loop_bury(loop);
		if (loop->handover && !loop->frozen)
			atomic_store(&loop->handover_settled, loop_handover_settled(loop));
	}
	rpc_loop_settle(loop);
	return NULL;
}

void rpc_loop_settle(struct rpc_loop *loop)
{
	/* Connections adopted or messages posted meanwhile are settled too. */
	loop_drain_messages(loop);
	while (!list_empty(&loop->conns))
		conn_close(loop, list_entry(loop->conns.next, struct rpc_conn, loop_link),
			   "server stopping");
	loop_bury(loop);
}
