/* RPCSEC_GSS for ferry-bench (--sec krb5|krb5i|krb5p): the contexts, made
 * before the event loop runs and ended after it, over the run's own
 * connections.  The calls themselves are wrapped and their replies
 * unwrapped in loop.c (call_send, conn_dispatch).
 *
 * Contexts: a context is not bound to a connection, but the server drops
 * a call whose sequence number has fallen behind its window (RFC 2203
 * 5.3.3.1), so each stream is bound to one context of its own connection
 * and a context takes at most window streams.  The calls of a context
 * then leave in sequence order on one connection and never more than
 * window of them are outstanding, whatever order the server runs them in.
 * With the defaults (64 in flight, one session, one connection) that is
 * one context for the run. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/bench/bench.h"
#include "core/clock.h"
#include "xdr/nfs4_prot.h"

const char *bench_sec_name(uint32_t sec)
{
	switch (sec) {
	case RPC_GSS_SVC_NONE:
		return "krb5";
	case RPC_GSS_SVC_INTEGRITY:
		return "krb5i";
	case RPC_GSS_SVC_PRIVACY:
		return "krb5p";
	default:
		return "sys";
	}
}

uint32_t bench_gss_window(const struct bench_ctx *c)
{
	return c->ngss ? rpc_gss_client_window(c->gss_ctxs[0].cl) : 0;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = clock_now_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int ms = (int)((deadline_ns - now + 999999) / 1000000);
		int n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* After a send or a receive on fd failed (errno): 0 to try again (it was
 * interrupted, or fd is ready now for events), else why not. */
static int wait_again(int fd, short events, uint64_t deadline_ns)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return wait_fd(fd, events, deadline_ns);
}

/* rpc_gss_roundtrip_fn over a bench connection, blocking (its socket is
 * non-blocking: poll waits).  Only for establishment and destruction,
 * while nothing else is in flight on the connection: a record with
 * another XID is a protocol error. */
static int conn_roundtrip(void *arg, const void *record, size_t len, struct buf **reply)
{
	struct bench_conn *cn = arg;
	struct bench_ctx *c = cn->ctx;
	uint64_t deadline = clock_now_ns() + (uint64_t)(c->opts.timeout_s * 1e9);
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)len);
	struct iovec iov[2] = {{mark, 4}, {(void *)record, len}};
	size_t left = 4 + len;
	unsigned first = 0;
	while (left > 0) {
		ssize_t w = bench_conn_sendv(cn, iov + first, 2 - first);
		if (w < 0) {
			int rc = wait_again(cn->fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		left -= (size_t)w;
		while (w > 0) {
			size_t n = (size_t)w < iov[first].iov_len ? (size_t)w : iov[first].iov_len;
			iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
			iov[first].iov_len -= n;
			w -= (ssize_t)n;
			if (iov[first].iov_len == 0 && first < 1)
				first++;
		}
	}
	for (;;) {
		struct rpc_record rec;
		enum rpc_record_status st = rpc_record_next(&cn->rd, &rec);
		if (st == RPC_RECORD_READY) {
			int rc = 0;
			if (rec.len < 4 || len < 4 || memcmp(rec.data, record, 4) != 0)
				rc = -EPROTO;
			else if (!(*reply = buf_new(rec.len)))
				rc = -ENOMEM;
			else {
				memcpy((*reply)->data, rec.data, rec.len);
				(*reply)->len = rec.len;
			}
			rpc_record_release(&rec);
			return rc;
		}
		if (st != RPC_RECORD_NEED_MORE)
			return st == RPC_RECORD_NOMEM ? -ENOMEM : -EMSGSIZE;
		size_t avail;
		uint8_t *p = rpc_record_read_space(&cn->rd, &avail);
		if (!p)
			return -ENOMEM;
		ssize_t n = bench_conn_recv(cn, p, avail);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			int rc = wait_again(cn->fd, POLLIN, deadline);
			if (rc)
				return rc;
			continue;
		}
		rpc_record_commit(&cn->rd, (size_t)n);
	}
}

/* A new context on cn, established. */
static struct bench_gss *gss_new(struct bench_ctx *c, struct bench_conn *cn)
{
	const struct bench_opts *o = &c->opts;
	char target[sizeof(o->krb5_target) + 8], host[sizeof(o->server)], err[512];
	if (c->ngss >= c->streams_cap) {
		bench_fail(c, "internal: too many RPCSEC_GSS contexts");
		return NULL;
	}
	if (o->krb5_target[0])
		snprintf(target, sizeof(target), "%s", o->krb5_target);
	else {
		/* nfs@HOST for --server HOST:PORT. */
		bench_server_host(o->server, host, sizeof(host));
		snprintf(target, sizeof(target), "nfs@%s", host);
	}
	struct rpc_gss_client *cl =
		rpc_gss_client_new(target, o->krb5_keytab[0] ? o->krb5_keytab : NULL, NULL,
				   o->krb5_principal[0] ? o->krb5_principal : NULL, err, sizeof(err));
	if (!cl) {
		bench_fail(c, "RPCSEC_GSS (%s) for %s: %s", bench_sec_name(o->sec), target, err);
		return NULL;
	}
	int rc = rpc_gss_client_establish(cl, NFS4_PROGRAM, NFS4_VERSION, o->sec, conn_roundtrip,
					  cn);
	if (rc) {
		bench_fail(c, "RPCSEC_GSS context with %s on connection %u: %s (%s)", target,
			   cn->index, rpc_gss_client_error(cl), strerror(-rc));
		rpc_gss_client_free(cl);
		return NULL;
	}
	struct bench_gss *g = &c->gss_ctxs[c->ngss++];
	*g = (struct bench_gss){.cl = cl, .conn = cn};
	if (o->verbose)
		fprintf(stderr, "ferry-bench: RPCSEC_GSS context %u (%s) with %s on connection %u, "
				"window %u\n",
			c->ngss - 1, bench_sec_name(o->sec), target, cn->index,
			rpc_gss_client_window(cl));
	return g;
}

int bench_gss_bind(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	if (!c->gss)
		return 0;
	if (!c->gss_ctxs) {
		c->gss_ctxs = calloc(c->streams_cap, sizeof(*c->gss_ctxs));
		if (!c->gss_ctxs) {
			bench_fail(c, "out of memory");
			return -1;
		}
	}
	struct bench_gss *g = NULL;
	for (unsigned i = 0; i < c->ngss && !g; i++)
		if (c->gss_ctxs[i].conn == s->conn &&
		    c->gss_ctxs[i].nstreams < rpc_gss_client_window(c->gss_ctxs[i].cl))
			g = &c->gss_ctxs[i];
	if (!g && !(g = gss_new(c, s->conn)))
		return -1;
	g->nstreams++;
	s->call.gss = g;
	return 0;
}

void bench_gss_teardown(struct bench_ctx *c)
{
	for (unsigned i = 0; i < c->ngss; i++) {
		struct bench_gss *g = &c->gss_ctxs[i];
		/* After a failure the connection may hold anything: the
		 * context is left to expire on the server. */
		if (!c->failed && c->rpcs_inflight == 0) {
			int rc = rpc_gss_client_destroy(g->cl, NFS4_PROGRAM, NFS4_VERSION,
							conn_roundtrip, g->conn);
			if (rc && c->opts.verbose)
				fprintf(stderr, "ferry-bench: RPCSEC_GSS_DESTROY of context %u: %s\n",
					i, rpc_gss_client_error(g->cl));
		}
		rpc_gss_client_free(g->cl);
	}
	free(c->gss_ctxs);
	c->gss_ctxs = NULL;
	c->ngss = 0;
}
