/* RPCSEC_GSS in the control plane:
 *   GET /api/v1/gss   whether Kerberos is served, the context counters and
 *                     every context (principal, local uid, idle time,
 *                     calls, the ticket's remaining lifetime, whose crypto
 *                     does the per-message work: OpenSSL and the enctype,
 *                     or MIT's GSS-API)
 * and the ferry_gss_* metrics (none when no export lists a krb5 flavour). */
#include <stdlib.h>

#include "ctl/ctl_internal.h"
#include "rpc/gss/gss_krb5.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server.h"

/* The listing shows at most this many contexts, the most recent first. */
enum { GSS_LIST_MAX = 1024 };

unsigned ctl_gss_get(struct ctl_server *cs, json_t **out)
{
	struct rpc_gss_server *g = rpc_server_gss(cs->ctx.rpc);
	if (!g) {
		*out = json_pack("{s:b}", "enabled", 0);
		return 200;
	}
	struct rpc_gss_stats st;
	rpc_gss_server_stats(g, &st);
	struct rpc_gss_ctx_info *v = calloc(GSS_LIST_MAX, sizeof(*v));
	if (!v) {
		*out = ctl_api_error("out of memory");
		return 500;
	}
	size_t n = rpc_gss_server_list(g, v, GSS_LIST_MAX);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *enctype = gss_krb5_enctype_name(v[i].openssl_enctype);
		json_array_append_new(
			list, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:s, s:s}", "principal",
					v[i].complete ? v[i].principal : "", "complete", v[i].complete,
					"uid", (json_int_t)v[i].uid, "idle_ms", (json_int_t)v[i].idle_ms,
					"calls", (json_int_t)v[i].calls, "expires_in_s",
					(json_int_t)v[i].expires_in_s, "crypto",
					!v[i].complete ? "" : enctype ? "openssl" : "gssapi",
					"enctype", enctype ? enctype : ""));
	}
	free(v);
	*out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "enabled", 1,
			 "contexts", (json_int_t)st.contexts, "max_contexts",
			 (json_int_t)st.contexts_max, "created", (json_int_t)st.created,
			 "init_failures", (json_int_t)st.init_failures, "destroyed",
			 (json_int_t)st.destroyed, "evicted", (json_int_t)st.evicted, "expired",
			 (json_int_t)st.expired, "replays_dropped", (json_int_t)st.replays_dropped,
			 "bad_verifiers", (json_int_t)st.bad_verifiers, "bad_bodies",
			 (json_int_t)st.bad_bodies, "list", list);
	return 200;
}

void ctl_gss_metrics(struct ctl_server *cs, struct ctl_text *t)
{
	struct rpc_gss_server *g = rpc_server_gss(cs->ctx.rpc);
	if (!g)
		return;
	struct rpc_gss_stats s;
	rpc_gss_server_stats(g, &s);
	ctl_metric_value(t, "ferry_gss_contexts", "gauge",
			 "RPCSEC_GSS contexts held (made or being made).", s.contexts);
	ctl_metric_value(t, "ferry_gss_contexts_max", "gauge",
			 "The most RPCSEC_GSS contexts held at once.", s.contexts_max);
	const struct ctl_series events[] = {
		{"created", s.created}, {"refused", s.init_failures}, {"destroyed", s.destroyed},
		{"evicted", s.evicted}, {"expired", s.expired},
	};
	ctl_metric_labelled(t, "ferry_gss_context_events_total", "counter",
			    "RPCSEC_GSS contexts made, refused at creation, destroyed by their "
			    "client, dropped for room, and dropped idle or expired.",
			    "event", events, sizeof(events) / sizeof(events[0]));
	ctl_metric_value(t, "ferry_gss_openssl_contexts_total", "counter",
			 "RPCSEC_GSS contexts made whose checksums and encryption ferryd does "
			 "with OpenSSL (the others: MIT's GSS-API, for enctypes other than AES "
			 "with SHA-1 or SHA-2).",
			 s.created_openssl);
	const struct ctl_series services[] = {
		{"krb5", s.calls[0]}, {"krb5i", s.calls[1]}, {"krb5p", s.calls[2]},
	};
	ctl_metric_labelled(t, "ferry_gss_calls_total", "counter",
			    "RPCSEC_GSS calls served, by service.", "service", services,
			    sizeof(services) / sizeof(services[0]));
	const struct ctl_series refusals[] = {
		{"replay", s.replays_dropped},
		{"bad_verifier", s.bad_verifiers},
		{"bad_body", s.bad_bodies},
	};
	ctl_metric_labelled(t, "ferry_gss_refused_total", "counter",
			    "RPCSEC_GSS calls refused: a sequence number replayed or behind the "
			    "window (dropped), a header checksum that did not verify, an "
			    "integrity or privacy body that did not check out.",
			    "reason", refusals, sizeof(refusals) / sizeof(refusals[0]));
}
