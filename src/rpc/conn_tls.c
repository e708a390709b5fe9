/* A connection's way into TLS and its bytes through it (RFC 9289): the
 * server's context, the STARTTLS probe's answer, the handshake driven by
 * the event loop, and reads and writes through the session. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/server_internal.h"
#include "rpc/tls/tls.h"

void rpc_server_set_tls(struct rpc_server *srv, struct rpc_tls_ctx *ctx, unsigned handshake_s)
{
	pthread_mutex_lock(&srv->tls_lock);
	struct rpc_tls_ctx *old = srv->tls_ctx;
	srv->tls_ctx = rpc_tls_ctx_ref(ctx);
	srv->tls_handshake_ms = (handshake_s ? handshake_s : RPC_TLS_DEFAULT_HANDSHAKE_S) * 1000u;
	pthread_mutex_unlock(&srv->tls_lock);
	/* Sessions made with the old context hold their own reference. */
	rpc_tls_ctx_unref(old);
}

struct rpc_tls_ctx *rpc_server_tls_ctx(struct rpc_server *srv)
{
	pthread_mutex_lock(&srv->tls_lock);
	struct rpc_tls_ctx *c = rpc_tls_ctx_ref(srv->tls_ctx);
	pthread_mutex_unlock(&srv->tls_lock);
	return c;
}

void rpc_server_get_tls_stats(struct rpc_server *srv, struct rpc_tls_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->probes = atomic_load(&srv->st_tls_probes);
	out->probes_refused = atomic_load(&srv->st_tls_refused_probes);
	out->handshakes = atomic_load(&srv->st_tls_handshakes);
	for (unsigned k = 0; k < RPC_TLS_FAIL_KINDS; k++)
		out->failures[k] = atomic_load(&srv->st_tls_failures[k]);
	pthread_mutex_lock(&srv->conns_lock);
	list_for_each_entry(c, &srv->all_conns, struct rpc_conn, all_link) {
		if (atomic_load(&c->tls_state) != RPC_CONN_TLS_UP)
			continue;
		out->open++;
		if (atomic_load(&c->xprtsec) == RPC_XPRTSEC_MTLS)
			out->open_mutual++;
		if (c->tls_ktls_send)
			out->open_ktls++;
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

bool rpc_server_tls_ctx_present(struct rpc_server *srv)
{
	pthread_mutex_lock(&srv->tls_lock);
	bool on = srv->tls_ctx != NULL;
	pthread_mutex_unlock(&srv->tls_lock);
	return on;
}

enum rpc_xprtsec rpc_conn_xprtsec(const struct rpc_conn *conn)
{
	return (enum rpc_xprtsec)atomic_load(&((struct rpc_conn *)conn)->xprtsec);
}

const struct rpc_tls_peer *rpc_conn_tls_peer(const struct rpc_conn *conn)
{
	/* tls_info is set once, before xprtsec says TLS, and never changes. */
	if (rpc_conn_xprtsec(conn) == RPC_XPRTSEC_NONE || !conn->tls_info)
		return NULL;
	return &conn->tls_info->peer;
}

bool rpc_conn_tls_describe(const struct rpc_conn *conn, struct rpc_tls_info *out)
{
	if (rpc_conn_xprtsec(conn) == RPC_XPRTSEC_NONE || !conn->tls_info)
		return false;
	*out = *conn->tls_info;
	return true;
}

/* --- the probe (dispatch.c) ---------------------------------------------- */

enum rpc_tls_probe_answer rpc_conn_tls_probe(struct rpc_conn *conn, unsigned inflight)
{
	struct rpc_server *srv = conn->srv;
	atomic_fetch_add_explicit(&srv->st_tls_probes, 1, memory_order_relaxed);
	if (atomic_load(&conn->tls_state) != RPC_CONN_TLS_NONE)
		return RPC_TLS_PROBE_BADCRED; /* RFC 9289 4.1: not inside TLS */
	if (!rpc_server_tls_ctx_present(srv))
		return RPC_TLS_PROBE_NOT_OFFERED;
	/* The probe must be the only call on the connection: a reply still
	 * to come would go out in plain text into the client's TLS stream. */
	pthread_mutex_lock(&conn->lock);
	bool quiet = inflight == 1 && conn->outq_count == 0 && conn->calls == NULL;
	pthread_mutex_unlock(&conn->lock);
	if (!quiet) {
		atomic_fetch_add_explicit(&srv->st_tls_refused_probes, 1, memory_order_relaxed);
		log_ratelimited("rpc: %s asked for TLS with other calls in flight; answered without "
				"STARTTLS",
				conn->peer_str);
		return RPC_TLS_PROBE_NOT_OFFERED;
	}
	atomic_store(&conn->tls_state, RPC_CONN_TLS_STARTING);
	return RPC_TLS_PROBE_STARTTLS;
}

/* --- the handshake (loop.c) ---------------------------------------------- */

void rpc_conn_tls_fail(struct rpc_conn *conn, enum rpc_tls_failure why)
{
	atomic_fetch_add_explicit(&conn->srv->st_tls_failures[why], 1, memory_order_relaxed);
	log_ratelimited("rpc: TLS handshake with %s failed (%s); closing", conn->peer_str,
			rpc_tls_failure_name(why));
}

bool rpc_conn_tls_begin(struct rpc_conn *conn)
{
	struct rpc_server *srv = conn->srv;
	/* Bytes after the probe, before the handshake: RFC 9289 4.1 has the
	 * server drop them and the connection. */
	if (!rpc_record_reader_idle(&conn->reader) || conn->naside) {
		log_ratelimited("rpc: %s sent RPC records after asking for TLS; closing",
				conn->peer_str);
		atomic_fetch_add_explicit(&srv->st_tls_failures[RPC_TLS_FAIL_NOT_TLS], 1,
					  memory_order_relaxed);
		return false;
	}
	struct rpc_tls_ctx *ctx = rpc_server_tls_ctx(srv);
	struct rpc_tls_session *s = ctx ? rpc_tls_session_server(ctx, conn->poll.fd) : NULL;
	rpc_tls_ctx_unref(ctx);
	if (!s) {
		log_warn("rpc: cannot start TLS with %s (no context or no memory); closing",
			 conn->peer_str);
		return false;
	}
	pthread_mutex_lock(&conn->lock);
	conn->tls = s;
	conn->tls_deadline_ms = clock_now_ms() + srv->tls_handshake_ms;
	conn->tls_want_write = false;
	atomic_store(&conn->tls_state, RPC_CONN_TLS_HANDSHAKE);
	rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	return true;
}

enum rpc_tls_step rpc_conn_tls_step(struct rpc_conn *conn)
{
	enum rpc_tls_failure why = RPC_TLS_FAIL_PROTOCOL;
	struct rpc_tls_info *info = NULL;
	pthread_mutex_lock(&conn->lock);
	enum rpc_tls_step st = rpc_tls_handshake(conn->tls, &why);
	if (st == RPC_TLS_DONE && !(info = malloc(sizeof(*info)))) {
		st = RPC_TLS_FAILED;
		why = RPC_TLS_FAIL_PROTOCOL;
	}
	if (st == RPC_TLS_DONE) {
		rpc_tls_session_info(conn->tls, info);
		conn->tls_info = info;
		conn->tls_ktls_send = info->ktls_send;
		conn->tls_ktls_recv = info->ktls_recv;
		atomic_store(&conn->xprtsec, info->peer.verified ? RPC_XPRTSEC_MTLS : RPC_XPRTSEC_TLS);
		atomic_store(&conn->tls_state, RPC_CONN_TLS_UP);
		conn->tls_want_write = false;
	} else {
		conn->tls_want_write = st == RPC_TLS_WANT_WRITE;
	}
	if (st != RPC_TLS_FAILED)
		rpc_conn_update_events_locked(conn);
	pthread_mutex_unlock(&conn->lock);
	if (st == RPC_TLS_FAILED) {
		rpc_conn_tls_fail(conn, why);
	} else if (st == RPC_TLS_DONE) {
		atomic_fetch_add_explicit(&conn->srv->st_tls_handshakes, 1, memory_order_relaxed);
		log_debug("rpc: %s: %s %s%s%s%s", conn->peer_str, info->version, info->cipher,
			  info->ktls_send ? ", kernel TLS" : "",
			  info->peer.verified ? ", client certificate " : "",
			  info->peer.verified && info->peer.nnames ? info->peer.names[0] : "");
	}
	return st;
}

/* --- bytes ----------------------------------------------------------------- */

ssize_t rpc_conn_tls_read(struct rpc_conn *conn, void *buf, size_t len)
{
	pthread_mutex_lock(&conn->lock);
	ssize_t n = rpc_tls_read(conn->tls, buf, len);
	int err = errno;
	pthread_mutex_unlock(&conn->lock);
	errno = err;
	return n;
}

bool rpc_conn_tls_buffered(struct rpc_conn *conn)
{
	if (atomic_load(&conn->tls_state) != RPC_CONN_TLS_UP)
		return false;
	pthread_mutex_lock(&conn->lock);
	bool b = rpc_tls_pending(conn->tls);
	pthread_mutex_unlock(&conn->lock);
	return b;
}
