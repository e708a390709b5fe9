#include "nfs4/server.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/log.h"
#include "nfs4/ops_state.h"
#include "state/state.h"

int nfs4_server_init(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	memset(srv, 0, sizeof(*srv));
	srv->minor_min = 0;
	srv->minor_max = 0;
	srv->lease_time_s = cfg->lease_time_s;
	snprintf(srv->owner_domain, sizeof(srv->owner_domain), "%s", cfg->owner_domain);
	/* Random, so it differs after every restart even within a second. */
	if (getrandom(srv->write_verifier, sizeof(srv->write_verifier), 0) !=
	    sizeof(srv->write_verifier)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(srv->write_verifier, &ts, sizeof(srv->write_verifier));
	}
	int rc = nfs4_exports_open(&srv->exports, cfg);
	if (rc)
		return rc;
	struct state_options so;
	state_options_from_config(&so, cfg);
	so.cb_null = nfs4_cb_null_dial;
	return state_server_create(&so, &srv->state);
}

void nfs4_server_fini(struct nfs4_server *srv)
{
	if (srv->state)
		state_server_destroy(srv->state);
	srv->state = NULL;
	nfs4_exports_close(&srv->exports);
}
