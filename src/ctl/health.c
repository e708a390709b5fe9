/* GET /healthz: whether this server should keep serving its addresses,
 * for a health check that moves them elsewhere when it should not
 * (keepalived's vrrp_script through `ferryctl health`, a load balancer).
 * 200 when healthy, 503 with the problems otherwise:
 *   - a clustered head that was fenced (taken over, replaced, or
 *     blocklisted by another head), or that acknowledges nothing because
 *     its heartbeat has not reached RADOS for nearly fence_after;
 *   - a clustered head that cannot read the cluster's grace object;
 *   - an event loop that has not come round to its tick for
 *     HEALTH_LOOP_STUCK_MS (its connections are not being served).
 * It reads only what the server already knows: a check must answer while
 * RADOS does not.  No token is needed, as for the other reads. */
#include <stdio.h>

#include "ctl/ctl_internal.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "state/state.h"

enum { HEALTH_LOOP_STUCK_MS = 5000 };

/* The problems, one sentence each, into problems (a JSON array). */
static void health_problems(struct ctl_server *cs, json_t *problems)
{
	struct state_cluster_health h;
	state_cluster_health(cs->ctx.nfs->state, &h);
	char msg[256];
	if (h.fenced) {
		json_array_append_new(problems,
				      json_string("fenced: this head was taken over, replaced or "
						  "blocklisted, and is stopping"));
	} else if (h.enabled && !h.acknowledging) {
		snprintf(msg, sizeof(msg),
			 "acknowledging nothing: no heartbeat reached RADOS for %llu ms "
			 "(fence_after %llu ms)",
			 (unsigned long long)h.beat_age_ms, (unsigned long long)h.fence_after_ms);
		json_array_append_new(problems, json_string(msg));
	}
	if (h.enabled && !h.fenced && !h.reachable)
		json_array_append_new(problems,
				      json_string("cannot read the cluster's grace object in RADOS"));
	unsigned stuck = rpc_server_loops_stuck(cs->ctx.rpc, HEALTH_LOOP_STUCK_MS);
	if (stuck) {
		snprintf(msg, sizeof(msg), "%u event loop(s) stuck for over %d ms", stuck,
			 HEALTH_LOOP_STUCK_MS);
		json_array_append_new(problems, json_string(msg));
	}
}

unsigned ctl_health(struct ctl_server *cs, json_t **out)
{
	json_t *problems = json_array();
	health_problems(cs, problems);
	bool ok = json_array_size(problems) == 0;
	*out = json_pack("{s:b, s:o}", "healthy", ok, "problems", problems);
	return ok ? 200 : 503;
}

void ctl_health_metrics(struct ctl_server *cs, struct ctl_text *t)
{
	json_t *problems = json_array();
	health_problems(cs, problems);
	ctl_text_printf(t,
			"# HELP ferry_healthy 1 when GET /healthz answers 200 (nothing stops this "
			"server from serving its addresses).\n# TYPE ferry_healthy gauge\n"
			"ferry_healthy %d\n",
			json_array_size(problems) == 0);
	json_decref(problems);
	ctl_text_printf(t,
			"# HELP ferry_event_loops_stuck Event loops that have not come round to "
			"their tick for %d ms.\n# TYPE ferry_event_loops_stuck gauge\n"
			"ferry_event_loops_stuck %u\n",
			HEALTH_LOOP_STUCK_MS,
			rpc_server_loops_stuck(cs->ctx.rpc, HEALTH_LOOP_STUCK_MS));
	ctl_text_printf(t,
			"# HELP ferry_rpc_gate_drops_total Calls and replies dropped unanswered "
			"while a clustered head acknowledged nothing (it may have been fenced).\n"
			"# TYPE ferry_rpc_gate_drops_total counter\nferry_rpc_gate_drops_total %llu\n",
			(unsigned long long)rpc_server_gate_drops(cs->ctx.rpc));
}
