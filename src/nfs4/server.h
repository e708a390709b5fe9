/* The NFSv4 service: exports, state, and the settings the operations read. */
#ifndef FERRY_NFS4_SERVER_H
#define FERRY_NFS4_SERVER_H

#include <stdint.h>

#include "core/config.h"
#include "nfs4/export.h"
#include "rpc/server.h"

struct state_server;
struct nfs4_cb_engine;

struct nfs4_server {
	struct nfs4_exports exports;
	struct state_server *state;
	struct rpc_server *rpc; /* for callbacks */
	struct nfs4_cb_engine *cb; /* the callback queues and workers (nfs4/callback.h) */
	uint32_t minor_min, minor_max; /* minor versions accepted */
	/* Per listener (rpc_conn_listener), when its config narrows them. */
	uint32_t listener_minor_min[CONFIG_MAX_LISTEN], listener_minor_max[CONFIG_MAX_LISTEN];
	uint32_t lease_time_s;
	char owner_domain[128];
	/* Changes at every start so clients resend unstable writes. */
	uint8_t write_verifier[8];
	/* v4.1 server_owner major id and server_scope: kept in the state
	 * directory (server_id), the same across restarts. */
	uint8_t server_owner[48];
	uint32_t server_owner_len;
};

/* Opens the exports and the state (reading stable client records from the
 * state directory).  Returns 0 or a negative errno (logged). */
int nfs4_server_init(struct nfs4_server *srv, const struct ferry_config *cfg);
void nfs4_server_fini(struct nfs4_server *srv);

#endif
