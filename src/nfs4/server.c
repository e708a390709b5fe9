#include "core/state_dir.h"
#include "nfs4/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

#include "core/log.h"
#include "core/test_setting.h"
#include "callback/callback.h"
#include "nfs4/copy/copy.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/deleg/deleg.h"
#include "rpc/drc.h"
#include "nfs4/engine/durable.h"
#include "nfs4/ops/ops.h"
#include "state/clients/session.h"
#include "state/state.h"

/* The back-end hooks set on every export whose back end has them, by
 * kind, and what an export goes without when it cannot have one. */
static const struct {
	export_watch_hook_fn *hook;
	const char *lost;
} export_hooks[EXPORT_WATCH_KINDS] = {
	[EXPORT_WATCH_LEASE_BREAKS] = {nfs4_deleg_lease_hook, "host access does not recall delegations"},
	[EXPORT_WATCH_DIR_CHANGES] = {nfs4_dirdeleg_host_hook, "no directory delegations"},
};

/* A cluster head's server_owner: its node name, which every head knows,
 * so that a head answers for the addresses of a head it took over as
 * that head did (nfs4_server_owner_of).  The scope (server_scope) names
 * the cluster. */
static uint32_t cluster_owner(const char *node, uint8_t *buf)
{
	/* Node names are shorter than CONFIG_NAME_MAX (config, and
	 * listener_origin's size): the prefix and the name always fit. */
	int n = snprintf((char *)buf, 16 + CONFIG_NAME_MAX, "ferry-head:%.*s", CONFIG_NAME_MAX - 1,
			 node);
	return n > 0 ? (uint32_t)n : 0;
}

/* The server's identity for v4.1 clients (server_owner, server_scope): 16
 * random bytes made once and kept in <state_dir>/server_id, so a restarted
 * server is recognisably the same one and clients reclaim.  Without a state
 * directory it is random per run.  A cluster head's is its node name
 * (cluster_owner). */
static void server_identity(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	if (cfg->cluster_node[0]) {
		srv->server_owner_len = cluster_owner(cfg->cluster_node, srv->server_owner);
		return;
	}
	const char *state_dir = cfg->state_dir;
	uint8_t id[16];
	bool have = false;
	char path[CONFIG_PATH_MAX + 16];
	if (state_dir[0]) {
		snprintf(path, sizeof(path), "%s/server_id", state_dir);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			have = read(fd, id, sizeof(id)) == (ssize_t)sizeof(id);
			close(fd);
		}
	}
	if (!have) {
		if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			memset(id, 0, sizeof(id));
			memcpy(id, &ts, sizeof(ts) < sizeof(id) ? sizeof(ts) : sizeof(id));
		}
		if (state_dir[0]) {
			int rc = state_file_replace(path, id, sizeof(id), 0600);
			if (rc)
				log_warn("nfs4: cannot keep the server identity in %s: %s", path,
					 strerror(-rc));
		}
	}
	int n = snprintf((char *)srv->server_owner, sizeof(srv->server_owner), "ferry-");
	for (size_t i = 0; i < sizeof(id); i++)
		n += snprintf((char *)srv->server_owner + n, sizeof(srv->server_owner) - (size_t)n,
			      "%02x", id[i]);
	srv->server_owner_len = (uint32_t)n;
}

/* server_scope: the servers that share what clients may reclaim (RFC 8881
 * 2.10.4).  A Linux client that sees the scope change at a restart or
 * fail-over recovers without reclaiming (its locks are lost), so every
 * head of one cluster, which share the client records, says the same
 * scope: the cluster's RADOS pool and namespace name it.  A head alone
 * is its own scope. */
static void server_scope(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	int n;
	if (cfg->cluster_node[0])
		n = snprintf((char *)srv->server_scope, sizeof(srv->server_scope),
			     "ferry-cluster:%s/%s", cfg->cluster_rados_pool,
			     cfg->cluster_rados_namespace);
	else
		n = snprintf((char *)srv->server_scope, sizeof(srv->server_scope), "%.*s",
			     (int)srv->server_owner_len, (const char *)srv->server_owner);
	srv->server_scope_len = n < 0 ? 0
			       : (size_t)n < sizeof(srv->server_scope) ? (uint32_t)n
								       : sizeof(srv->server_scope) - 1;
}

/* The callback engine's dial policy: a v4.0 client's callback address is
 * dialled only when some export lets that address in. */
static bool server_cb_may_dial(void *ctx, const struct sockaddr_storage *addr)
{
	struct nfs4_server *srv = ctx;
	return exports_admit_any(&srv->exports, addr, NULL);
}

/* state_options.cb_probe: the state thread asks for a v4.0 probe.  The
 * state server is made before the engine (which needs it): until the
 * engine is there, no probe goes. */
static void server_cb_probe40(void *ctx, uint64_t clientid, uint32_t gen)
{
	struct nfs4_server *srv = ctx;
	cb_probe40(srv->cb, clientid, gen);
}

int nfs4_server_init(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	int rc = nfs4_server_open_exports(srv, cfg);
	return rc ? rc : nfs4_server_start(srv, cfg);
}

int nfs4_server_open_exports(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	memset(srv, 0, sizeof(*srv));
	srv->minor_min = cfg->min_minor;
	srv->minor_max = cfg->max_minor;
	srv->nlisteners = cfg->nlisten;
	for (unsigned i = 0; i < CONFIG_MAX_LISTEN; i++) {
		bool own = i < cfg->nlisten && cfg->listen_minor_min[i] >= 0;
		uint32_t lo = own ? (uint32_t)cfg->listen_minor_min[i] : srv->minor_min;
		uint32_t hi = own ? (uint32_t)cfg->listen_minor_max[i] : srv->minor_max;
		atomic_init(&srv->listener_minor[i], lo << 16 | hi);
	}
	srv->lease_time_s = cfg->lease_time_s;
	snprintf(srv->owner_domain, sizeof(srv->owner_domain), "%s", cfg->owner_domain);
	/* Random, so it differs after every restart even within a second. */
	if (getrandom(srv->write_verifier, sizeof(srv->write_verifier), 0) !=
	    sizeof(srv->write_verifier)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(srv->write_verifier, &ts, sizeof(srv->write_verifier));
	}
	return exports_open(&srv->exports, cfg);
}

int nfs4_server_start(struct nfs4_server *srv, const struct ferry_config *cfg)
{
	int rc = rpc_drc_create(&srv->drc40);
	if (rc)
		return rc;
	/* The state module writes its records as the server, whatever NFS
	 * caller a thread last acted for in the back end. */
	state_set_act_as_server(backend_local_restore_identity);
	struct state_options so;
	state_options_from_config(&so, cfg);
	so.cb_probe = server_cb_probe40;
	so.cb_ctx = srv;
	so.conn_ref = rpc_conn_ref;
	so.gss_context_alive = rpc_conn_gss_knows;
	so.conn_unref = rpc_conn_unref;
	so.conn_is_closed = rpc_conn_is_closed;
	so.conn_hold_back = rpc_conn_hold_back;
	so.work = nfs4_write_holds_work;
	so.carried = srv->state_carried;
	so.cluster.instance = srv->cluster_instance;
	pthread_mutex_init(&srv->write_holds_lock, NULL);
	for (unsigned i = 0; i < NFS4_DELEG_LEASE_STRIPES; i++)
		pthread_mutex_init(&srv->deleg_lease_locks[i], NULL);
	srv->test_lease_drop_delay_ms =
		test_setting_ms("FERRY_TEST_LEASE_DROP_DELAY_MS", "lease drops are held back");
	rc = state_server_create(&so, &srv->state);
	if (rc)
		return rc;
	server_identity(srv, cfg);
	server_scope(srv, cfg);
	struct state_session_limits lim;
	state_session_limits_default(&lim);
	lim.max_slots = cfg->session_slots;
	lim.max_request = cfg->max_record_size;
	lim.max_response = cfg->max_record_size;
	lim.cache_budget = (uint64_t)cfg->reply_cache_mb << 20;
	state_session_set_limits(srv->state, &lim);
	struct cb_timing cbt;
	cb_timing_default(&cbt);
	cbt.timeout_ms = cfg->callback_timeout_ms;
	cbt.retry_ms = cfg->callback_retry_ms;
	cbt.retries = cfg->callback_retries;
	/* The pause after NFS4ERR_DELAY: short, and shorter still when the
	 * backoff was made short (tests). */
	if (cbt.retry_ms / 10 < cbt.delay_ms)
		cbt.delay_ms = cbt.retry_ms / 10 + 1;
	struct cb_engine_config cbc = {
		.state = srv->state,
		.rpc = &srv->rpc,
		.timing = cbt,
		.may_dial = server_cb_may_dial,
		.ctx = srv,
	};
	rc = cb_engine_create(&cbc, &srv->cb);
	if (rc)
		return rc;
	struct nfs4_copy_settings cps;
	nfs4_copy_settings_default(&cps);
	cps.sync_max = cfg->copy_sync_max;
	cps.max_per_client = cfg->copy_max_per_client;
	cps.rate = (uint64_t)cfg->copy_rate_mb << 20;
	rc = nfs4_copy_engine_start(srv, &cps);
	if (rc)
		return rc;
	rc = nfs4_ga_waits_start(srv);
	if (rc)
		return rc;
	rc = export_durable_start(&srv->durable);
	if (rc)
		return rc;
	rc = nfs4_dirdeleg_notifier_start(srv);
	if (rc)
		return rc;
	rc = nfs4_dirdeleg_children_start(srv);
	if (rc)
		return rc;
	for (unsigned k = 0; k < EXPORT_WATCH_KINDS; k++)
		exports_watch(&srv->exports, srv, k, export_hooks[k].hook,
				   export_hooks[k].lost);
	state_lock_notify_set(srv->state, nfs4_lock_notify, srv);
	atomic_store_explicit(&srv->write_holds_ready, true, memory_order_release);
	return 0;
}

void nfs4_server_fini(struct nfs4_server *srv)
{
	/* Before the state goes: no report may reach it any more. */
	for (unsigned k = 0; k < EXPORT_WATCH_KINDS; k++)
		exports_unwatch(&srv->exports, k, export_hooks[k].hook);
	/* No notice may reach the engine once it is gone. */
	if (srv->state)
		state_lock_notify_set(srv->state, NULL, NULL);
	nfs4_dirdeleg_notifier_stop(srv);
	/* Copies stop before the callback engine, which then ends the
	 * CB_OFFLOADs still on their way; their states go after it. */
	nfs4_copy_engine_stop(srv);
	cb_engine_stop(srv->cb);
	nfs4_copy_engine_free(srv);
	nfs4_dirdeleg_notifier_free(srv);
	nfs4_dirdeleg_children_free(srv);
	/* After the engine: no answer can come any more. */
	nfs4_ga_waits_stop(srv);
	/* The rpc layer has drained: nothing waits for a flush any more. */
	export_durable_stop(srv->durable);
	srv->durable = NULL;
	/* The state thread's hook is done with once the state is gone; the
	 * back ends close what their holds kept with the exports. */
	atomic_store_explicit(&srv->write_holds_ready, false, memory_order_release);
	if (srv->state)
		state_server_destroy(srv->state);
	cb_engine_free(srv->cb);
	srv->cb = NULL;
	srv->state = NULL;
	exports_close(&srv->exports);
	rpc_drc_destroy(srv->drc40);
	srv->drc40 = NULL;
}

void nfs4_server_listener_minor(const struct nfs4_server *srv, int listener, uint32_t *lo,
				uint32_t *hi)
{
	if (listener < 0 || listener >= CONFIG_MAX_LISTEN) {
		*lo = srv->minor_min;
		*hi = srv->minor_max;
		return;
	}
	/* Relaxed: the word itself is the whole range; nothing else is
	 * published with it. */
	uint32_t w = atomic_load_explicit(&((struct nfs4_server *)srv)->listener_minor[listener],
					  memory_order_relaxed);
	*lo = w >> 16;
	*hi = w & 0xffff;
}

int nfs4_server_add_listener(struct nfs4_server *srv, unsigned listener, const char *origin)
{
	if (listener > srv->nlisteners || listener >= CONFIG_MAX_LISTEN)
		return -EINVAL;
	atomic_store(&srv->listener_minor[listener], srv->minor_min << 16 | srv->minor_max);
	snprintf(srv->listener_origin[listener], sizeof(srv->listener_origin[listener]), "%s",
		 origin ? origin : "");
	if (listener == srv->nlisteners)
		srv->nlisteners = listener + 1;
	return 0;
}

const char *nfs4_server_listener_origin(const struct nfs4_server *srv, int listener)
{
	if (listener < 0 || (unsigned)listener >= srv->nlisteners)
		return "";
	return srv->listener_origin[listener];
}

uint32_t nfs4_server_owner_of(const struct nfs4_server *srv, int listener, uint8_t *buf)
{
	const char *origin = nfs4_server_listener_origin(srv, listener);
	if (!origin[0]) {
		memcpy(buf, srv->server_owner, srv->server_owner_len);
		return srv->server_owner_len;
	}
	return cluster_owner(origin, buf);
}

int nfs4_server_set_listener_minor(struct nfs4_server *srv, unsigned listener, uint32_t lo,
				   uint32_t hi)
{
	if (listener >= srv->nlisteners || listener >= CONFIG_MAX_LISTEN)
		return -ENOENT;
	if (lo > hi || hi > NFS4_MINOR_HIGHEST)
		return -EINVAL;
	uint32_t old = atomic_exchange(&srv->listener_minor[listener], lo << 16 | hi);
	if (old != (lo << 16 | hi))
		log_info("nfs4: listener %u now accepts minor versions %u-%u (was %u-%u)", listener,
			 lo, hi, old >> 16, old & 0xffff);
	return 0;
}
