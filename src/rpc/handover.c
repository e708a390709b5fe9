/* Handing the server's sockets to another process (rpc/server.h): the
 * loops drain to a point where nothing is under way, then let go of their
 * sockets; the other side serves them as listeners and connections of its
 * own, starting with the bytes this side received and did not serve. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/server_internal.h"

enum { HANDOVER_POLL_MS = 5 };

static bool loops_settled(struct rpc_server *srv)
{
	if (atomic_load(&srv->inflight) > 0)
		return false;
	for (unsigned i = 0; i < srv->nloops; i++)
		if (!atomic_load(&srv->loops[i].handover_settled))
			return false;
	return true;
}

static bool loops_frozen(struct rpc_server *srv)
{
	for (unsigned i = 0; i < srv->nloops; i++)
		if (!atomic_load(&srv->loops[i].frozen_done))
			return false;
	return true;
}

static void post_all(struct rpc_server *srv, unsigned msg)
{
	for (unsigned i = 0; i < srv->nloops; i++)
		rpc_loop_post_loop(&srv->loops[i], msg);
}

/* The loops' lists gathered into out (theirs are freed). */
static int gather(struct rpc_server *srv, struct rpc_handover *out)
{
	size_t n = 0;
	bool failed = false;
	for (unsigned i = 0; i < srv->nloops; i++) {
		n += srv->loops[i].nsnap;
		failed |= srv->loops[i].snap_failed;
		out->closed_tls += srv->loops[i].closed_tls;
		out->closed_dialled += srv->loops[i].closed_dialled;
	}
	out->conns = n ? calloc(n, sizeof(*out->conns)) : NULL;
	failed |= n && !out->conns;
	for (unsigned i = 0; i < srv->nloops; i++) {
		struct rpc_loop *l = &srv->loops[i];
		for (size_t k = 0; k < l->nsnap; k++) {
			if (out->conns) {
				out->conns[out->nconns++] = l->snap[k];
			} else {
				close(l->snap[k].fd);
				free(l->snap[k].unread);
			}
		}
		free(l->snap);
		l->snap = NULL;
		l->nsnap = 0;
		l->snap_failed = false;
		l->closed_tls = l->closed_dialled = 0;
	}
	pthread_mutex_lock(&srv->listen_lock);
	out->nlisteners = srv->nlisteners;
	for (unsigned i = 0; i < out->nlisteners; i++)
		out->listener_fds[i] = srv->listeners[i].poll.fd;
	pthread_mutex_unlock(&srv->listen_lock);
	return failed ? -ENOMEM : 0;
}

int rpc_server_handover_freeze(struct rpc_server *srv, unsigned timeout_ms,
			       struct rpc_handover *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!srv->started || atomic_load(&srv->stopping)) {
		snprintf(err, errlen, "the RPC server is not running");
		return -ESHUTDOWN;
	}
	uint64_t deadline = clock_now_ms() + timeout_ms;
	post_all(srv, LOOP_MSG_HANDOVER);
	/* The loops publish whether they settled after each batch; a wake
	 * makes an idle one look again. */
	while (!loops_settled(srv)) {
		if (clock_now_ms() >= deadline) {
			snprintf(err, errlen,
				 "requests still under way after %u ms (%u running)", timeout_ms,
				 atomic_load(&srv->inflight));
			post_all(srv, LOOP_MSG_THAW);
			return -ETIMEDOUT;
		}
		usleep(HANDOVER_POLL_MS * 1000);
		post_all(srv, LOOP_MSG_HANDOVER);
	}
	post_all(srv, LOOP_MSG_FREEZE);
	while (!loops_frozen(srv))
		usleep(1000);
	int rc = gather(srv, out);
	if (rc) {
		snprintf(err, errlen, "out of memory listing the connections");
		rpc_server_handover_thaw(srv, out);
		return rc;
	}
	return 0;
}

void rpc_server_handover_thaw(struct rpc_server *srv, struct rpc_handover *h)
{
	post_all(srv, LOOP_MSG_THAW);
	rpc_handover_free(h);
}

void rpc_server_handover_done(struct rpc_server *srv, struct rpc_handover *h)
{
	atomic_store(&srv->handed_over, true);
	rpc_handover_free(h);
}

void rpc_server_share_sockets(struct rpc_server *srv, bool shared)
{
	atomic_store(&srv->handed_over, shared);
}

void rpc_handover_free(struct rpc_handover *h)
{
	for (size_t i = 0; i < h->nconns; i++) {
		close(h->conns[i].fd);
		free(h->conns[i].unread);
	}
	free(h->conns);
	h->conns = NULL;
	h->nconns = 0;
}

int rpc_server_listen_fd(struct rpc_server *srv, int fd, uint16_t *bound_port)
{
	if (srv->nlisteners >= RPC_MAX_LISTENERS) {
		close(fd);
		return -ENOSPC;
	}
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
	    (len = sizeof(listening), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) !=
		    0 ||
	    !listening) {
		close(fd);
		return -ENOTSOCK;
	}
	uint16_t p = rpc_server_add_listener(srv, fd);
	if (bound_port)
		*bound_port = p;
	log_info("rpc: listening on a socket handed over (port %u)", p);
	return 0;
}

struct rpc_conn *rpc_server_adopt_handed(struct rpc_server *srv, int fd, int listener,
					 const uint8_t *unread, size_t unread_len,
					 void (*before_serve)(void *arg, struct rpc_conn *conn),
					 void *arg)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
		return NULL;
	struct rpc_conn *conn = rpc_conn_new(srv, fd, (struct sockaddr *)&peer, plen);
	if (!conn)
		return NULL;
	if (!rpc_record_reader_preload(&conn->reader, unread, unread_len)) {
		conn->poll.fd = -1; /* the caller still owns fd */
		rpc_conn_unref(conn);
		return NULL;
	}
	conn->listener = listener >= 0 && (unsigned)listener < srv->nlisteners ? listener : -1;
	rpc_conn_track(conn);
	unsigned target = atomic_fetch_add(&srv->next_loop, 1) % srv->nloops;
	conn->loop = &srv->loops[target];
	if (before_serve)
		before_serve(arg, conn);
	/* rpc_conn_new's reference becomes the loop's; the caller gets one. */
	rpc_conn_ref(conn);
	rpc_loop_post(conn->loop, conn, CONN_MSG_ADOPT);
	return conn;
}
