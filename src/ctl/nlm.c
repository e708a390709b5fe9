/* NLM in the control plane:
 *   GET /api/v1/nlm   whether NLM is served, its counters (calls by
 *                     procedure, GRANTED and _RES callbacks, statd calls,
 *                     reboots heard) and every NLM host with what it holds
 *                     (owners, locks, blocked requests, shares) and the NSM
 *                     state its last LOCK carried; NLM over UDP (its first
 *                     port, sockets, calls served and datagrams dropped)
 * and the ferry_nlm_* metrics (metrics.c). */
#include <stdlib.h>

#include "ctl/ctl_internal.h"
#include "nfs4/server.h"
#include "nlm/nlm.h"
#include "state/opens/state_nlm.h"

unsigned ctl_nlm_get(struct ctl_server *cs, json_t **out)
{
	if (!cs->ctx.nlm) {
		*out = json_pack("{s:b}", "enabled", 0);
		return 200;
	}
	struct nlm_stats st;
	nlm_get_stats(cs->ctx.nlm, &st);
	struct state_nlm_stats ss;
	state_nlm_get_stats(cs->ctx.nfs->state, &ss);
	struct state_nlm_host_info *hosts;
	int n = state_nlm_list_hosts(cs->ctx.nfs->state, &hosts);
	if (n < 0) {
		*out = ctl_api_error("out of memory");
		return 500;
	}
	json_t *calls = json_object();
	for (uint32_t p = 0; p <= NLMPROC4_MAX; p++)
		if (st.calls[p])
			json_object_set_new(calls, nlm4_proc_name(p), json_integer((json_int_t)st.calls[p]));
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:I}", "name",
						      hosts[i].name, "address", hosts[i].addr, "nsm_state", hosts[i].nsm_state,
						      "owners", (json_int_t)hosts[i].owners, "locks",
						      (json_int_t)hosts[i].locks, "blocked",
						      (json_int_t)hosts[i].blocked, "shares",
						      (json_int_t)hosts[i].shares));
	free(hosts);
	/* reboots: notices statd passed on, not calls to statd (nsm_calls). */
	*out = json_pack("{s:b, s:b, s:i, s:{s:i, s:i, s:I, s:I}, "
			 "s:I, s:I, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I}, "
			 "s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:I, s:I, s:o}",
			 "enabled", 1, "nsm", st.nsm, "callback_port", (int)st.callback_port,
			 "udp", "port", (int)st.udp_port, "listeners", (int)st.udp_listeners,
			 "calls", (json_int_t)st.udp_calls, "dropped", (json_int_t)st.udp_bad,
			 "hosts", (json_int_t)ss.hosts, "locks", (json_int_t)ss.locks, "blocked",
			 (json_int_t)ss.blocked, "shares", (json_int_t)ss.shares, "granted_later",
			 (json_int_t)ss.granted_later, "calls", calls, "granted", "ok",
			 (json_int_t)st.granted_sent, "refused", (json_int_t)st.granted_refused,
			 "failed", (json_int_t)st.granted_failed, "res", "ok",
			 (json_int_t)st.res_sent, "failed", (json_int_t)st.res_failed, "nsm_calls",
			 "sm_mon", (json_int_t)st.sm_mon, "sm_unmon", (json_int_t)st.sm_unmon,
			 "failed", (json_int_t)st.nsm_failed, "reboots",
			 (json_int_t)st.reboots, "free_all", (json_int_t)st.free_all, "list", list);
	return 200;
}
