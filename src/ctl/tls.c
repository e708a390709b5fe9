/* RPC-with-TLS in the control plane: what each connection's transport is
 * (for GET /api/v1/connections and `ferryctl connections`), and the
 * ferry_tls_* metrics. */
#include "ctl/ctl_internal.h"
#include "rpc/server.h"
#include "rpc/tls/tls.h"

static const char *transport_name(enum rpc_xprtsec x)
{
	return x == RPC_XPRTSEC_MTLS ? "mtls" : x == RPC_XPRTSEC_TLS ? "tls" : "none";
}

json_t *ctl_tls_conn_json(struct rpc_conn *conn, const char **transport)
{
	*transport = transport_name(rpc_conn_xprtsec(conn));
	struct rpc_tls_info info;
	if (!rpc_conn_tls_describe(conn, &info))
		return json_null();
	const struct rpc_tls_peer *p = &info.peer;
	return json_pack("{s:s, s:s, s:b, s:b, s:s, s:s}", "version", info.version, "cipher",
			 info.cipher, "ktls_send", info.ktls_send, "ktls_recv", info.ktls_recv,
			 "peer", p->verified && p->nnames ? p->names[0] : "", "peer_sha256",
			 p->verified ? p->sha256 : "");
}

void ctl_tls_metrics(struct ctl_server *cs, struct ctl_text *t)
{
	struct rpc_tls_stats s;
	rpc_server_get_tls_stats(cs->ctx.rpc, &s);
	struct rpc_tls_ctx *ctx = rpc_server_tls_ctx(cs->ctx.rpc);
	bool on = ctx != NULL;
	rpc_tls_ctx_unref(ctx);
	ctl_metric_value(t, "ferry_tls_enabled", "gauge",
			 "1 when clients are offered RPC-with-TLS (a [tls] section).", on ? 1 : 0);
	const struct ctl_series transports[] = {
		{"tls", s.open - s.open_mutual},
		{"mtls", s.open_mutual},
		{"ktls", s.open_ktls},
	};
	ctl_metric_labelled(t, "ferry_tls_connections", "gauge",
			    "Connections in TLS now, by transport, and those whose kernel encrypts "
			    "what they send (kernel TLS).",
			    "transport", transports, sizeof(transports) / sizeof(transports[0]));
	const struct ctl_series probes[] = {{"all", s.probes}, {"busy", s.probes_refused}};
	ctl_metric_labelled(t, "ferry_tls_probes_total", "counter",
			    "AUTH_TLS probes, and those answered without STARTTLS because other "
			    "calls were in flight on the connection.",
			    "outcome", probes, sizeof(probes) / sizeof(probes[0]));
	ctl_metric_value(t, "ferry_tls_handshakes_total", "counter", "TLS handshakes completed.",
			 s.handshakes);
	ctl_metric_head(t, "ferry_tls_handshake_failures_total", "counter",
			"TLS handshakes that failed, by cause; each closed its connection.");
	for (unsigned k = 0; k < RPC_TLS_FAIL_KINDS; k++)
		ctl_metric_series(t, "ferry_tls_handshake_failures_total", "cause",
				  rpc_tls_failure_name((enum rpc_tls_failure)k), s.failures[k]);
}
