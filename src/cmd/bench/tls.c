/* RPC-with-TLS for ferry-bench (--tls, RFC 9289): each connection, once
 * made, sends the AUTH_TLS NULL probe to the NFS program, expects
 * STARTTLS and does the TLS 1.3 handshake (rpc/tls/tls.h), before the
 * event loop or RPCSEC_GSS use it.  From then on every byte of it goes
 * through its session (bench_conn_recv, bench_conn_sendv in bench.h).
 *
 * With --tls-ca the server's certificate must chain to that CA and name
 * the host of --server (a DNS name or an IP address in its
 * subjectAltName); without it nothing about the server is checked.
 * --tls-cert (and --tls-key, unless the key is in the same file) offers a
 * client certificate: mutual TLS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/bench/bench.h"
#include "xdr/nfs4_prot.h"

void bench_server_host(const char *server, char *out, size_t len)
{
	const char *host = server, *end = strrchr(server, ':');
	size_t n = end ? (size_t)(end - server) : strlen(server);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	snprintf(out, len, "%.*s", (int)n, host);
}

int bench_tls_start(struct bench_conn *cn)
{
	struct bench_ctx *c = cn->ctx;
	const struct bench_opts *o = &c->opts;
	char host[256], err[512] = "";
	bench_server_host(o->server, host, sizeof(host));
	struct rpc_tls_client_opts to = {
		.ca = o->tls_ca[0] ? o->tls_ca : NULL,
		.cert = o->tls_cert[0] ? o->tls_cert : NULL,
		.key = o->tls_key[0] ? o->tls_key : NULL,
		.server_name = o->tls_ca[0] ? host : NULL,
		.timeout_ms = (unsigned)(o->timeout_s * 1000),
	};
	int rc = 0;
	cn->tls = rpc_tls_client_start(cn->fd, NFS4_PROGRAM, NFS4_VERSION, &to, &rc, err,
				       sizeof(err));
	if (cn->tls)
		return 0;
	const char *hint = rc == -EPROTONOSUPPORT
				   ? " (no STARTTLS to the AUTH_TLS probe)"
				   : "";
	bench_fail(c, "TLS on connection %u to %s: %s%s", cn->index, o->server,
		   err[0] ? err : strerror(rc < 0 ? -rc : EPROTO), hint);
	return -1;
}

void bench_tls_end(struct bench_conn *cn)
{
	if (!cn->tls)
		return;
	rpc_tls_shutdown(cn->tls);
	rpc_tls_session_free(cn->tls);
	cn->tls = NULL;
}
