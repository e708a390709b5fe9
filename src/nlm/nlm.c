/* The NLM service's life: options, start (the sender, NSM, the grant
 * hook), stop and counters.  The program is program.c, calls to clients
 * and statd sender.c and nsm.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nlm/nlm_internal.h"
#include "state/state.h"

void nlm_options_default(struct nlm_options *o)
{
	*o = (struct nlm_options){
		.callback_timeout_ms = 5000,
		.granted_retries = 5,
		.retry_ms = 1000,
		.portmapper_port = 111,
		.nsm = true,
		.udp = true,
		.unmon_delay_ms = 30000,
		.sm_notify = "/usr/sbin/sm-notify",
	};
}

int nlm_create(struct state_server *st, struct exports *exps, const struct nlm_options *o,
	       struct nlm_service **out)
{
	struct nlm_service *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->st = st;
	n->exps = exps;
	n->opts = *o;
	int rc = nlm_sender_start(n);
	if (rc) {
		log_error("nlm: cannot start the sender thread: %s", strerror(-rc));
		free(n);
		return rc;
	}
	if ((rc = nlm_nsm_start(n)) != 0) {
		nlm_sender_stop(n);
		free(n);
		return rc;
	}
	state_nlm_grant_hook_set(st, nlm_grant_hook, n);
	*out = n;
	return 0;
}

void nlm_destroy(struct nlm_service *n)
{
	if (!n)
		return;
	state_nlm_grant_hook_set(n->st, NULL, NULL);
	nlm_udp_stop(n); /* no call over UDP, nor statd's callback, once the sender stops */
	nlm_sender_stop(n);
	nlm_nsm_free(n);
	free(n);
}

void nlm_get_stats(struct nlm_service *n, struct nlm_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	for (unsigned i = 0; i <= NLMPROC4_MAX; i++)
		out->calls[i] = atomic_load(&n->calls[i]);
	for (unsigned i = 0; i <= NLM4_FAILED; i++)
		out->results[i] = atomic_load(&n->results[i]);
	out->garbage = atomic_load(&n->garbage);
	out->granted_sent = atomic_load(&n->granted_sent);
	out->granted_refused = atomic_load(&n->granted_refused);
	out->granted_failed = atomic_load(&n->granted_failed);
	out->res_sent = atomic_load(&n->res_sent);
	out->res_failed = atomic_load(&n->res_failed);
	out->free_all = atomic_load(&n->free_all);
	out->sm_mon = atomic_load(&n->sm_mon);
	out->sm_unmon = atomic_load(&n->sm_unmon);
	out->nsm_failed = atomic_load(&n->nsm_failed);
	out->reboots = atomic_load(&n->reboots);
	out->nsm = n->opts.nsm;
	nlm_udp_get_stats(n, out);
}

