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

struct buf *rpc_handover_tls_encode(const struct rpc_handover *h, size_t *n)
{
	*n = 0;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256, 1u << 30))
		return NULL;
	uint32_t count = 0;
	for (size_t i = 0; i < h->nconns; i++)
		count += h->conns[i].tls;
	bool ok = xdr_encode_u32(&e, count);
	for (size_t i = 0; ok && i < h->nconns; i++) {
		const struct rpc_handover_conn *c = &h->conns[i];
		if (!c->tls)
			continue;
		const struct rpc_tls_info *t = &c->tls_info;
		ok = xdr_encode_u32(&e, (uint32_t)i) && xdr_encode_cstring(&e, t->version) &&
		     xdr_encode_cstring(&e, t->cipher) && xdr_encode_bool(&e, t->peer.verified) &&
		     xdr_encode_u32(&e, t->peer.nnames);
		for (unsigned k = 0; ok && k < t->peer.nnames; k++)
			ok = xdr_encode_cstring(&e, t->peer.names[k]);
		ok = ok && xdr_encode_cstring(&e, t->peer.sha256);
	}
	if (!ok || e.overflow) {
		xdr_enc_release(&e);
		return NULL;
	}
	*n = count;
	return xdr_enc_take(&e);
}

void rpc_handover_tls_free(struct rpc_tls_info **v, size_t nconns)
{
	for (size_t i = 0; v && i < nconns; i++)
		free(v[i]);
	free(v);
}

int rpc_handover_tls_decode(const uint8_t *p, size_t len, size_t nconns,
			    struct rpc_tls_info ***out)
{
	*out = NULL;
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	uint32_t count;
	if (!xdr_decode_u32(&d, &count) || count > nconns)
		return -EINVAL;
	struct rpc_tls_info **v = nconns ? calloc(nconns, sizeof(*v)) : NULL;
	if (nconns && !v)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < count; i++) {
		uint32_t idx;
		struct rpc_tls_info t;
		memset(&t, 0, sizeof(t));
		bool ok = xdr_decode_u32(&d, &idx) && idx < nconns && !v[idx] &&
			  xdr_decode_cstring(&d, t.version, sizeof(t.version)) &&
			  xdr_decode_cstring(&d, t.cipher, sizeof(t.cipher)) &&
			  xdr_decode_bool(&d, &t.peer.verified) &&
			  xdr_decode_u32(&d, &t.peer.nnames) && t.peer.nnames <= RPC_TLS_MAX_NAMES;
		for (unsigned k = 0; ok && k < t.peer.nnames; k++)
			ok = xdr_decode_cstring(&d, t.peer.names[k], sizeof(t.peer.names[k]));
		ok = ok && xdr_decode_cstring(&d, t.peer.sha256, sizeof(t.peer.sha256));
		/* Handed over only when the kernel did both directions. */
		t.ktls_send = t.ktls_recv = true;
		if (!ok)
			rc = -EINVAL;
		else if (!(v[idx] = malloc(sizeof(t))))
			rc = -ENOMEM;
		else
			*v[idx] = t;
	}
	if (rc == 0 && xdr_dec_remaining(&d) != 0)
		rc = -EINVAL;
	if (rc) {
		rpc_handover_tls_free(v, nconns);
		return rc;
	}
	*out = v;
	return 0;
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

/* A connection handed over in kernel TLS: its session, made from what
 * the handover said (the kernel holds the keys). */
static bool adopt_tls(struct rpc_conn *conn, const struct rpc_tls_info *tls)
{
	conn->tls_info = malloc(sizeof(*conn->tls_info));
	conn->tls = conn->tls_info ? rpc_tls_session_kernel(conn->poll.fd, tls) : NULL;
	if (!conn->tls)
		return false;
	*conn->tls_info = *tls;
	conn->tls_ktls_send = conn->tls_ktls_recv = true;
	atomic_store(&conn->xprtsec, tls->peer.verified ? RPC_XPRTSEC_MTLS : RPC_XPRTSEC_TLS);
	atomic_store(&conn->tls_state, RPC_CONN_TLS_UP);
	return true;
}

struct rpc_conn *rpc_server_adopt_handed(struct rpc_server *srv, int fd, int listener,
					 const uint8_t *unread, size_t unread_len,
					 const struct rpc_tls_info *tls,
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
	if (!rpc_record_reader_preload(&conn->reader, unread, unread_len) ||
	    (tls && !adopt_tls(conn, tls))) {
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
