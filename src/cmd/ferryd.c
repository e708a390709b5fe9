/* ferryd: the Ferry NFS server. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "nfs4/callback.h"
#include "nfs4/program.h"
#include "nfs4/server.h"
#include "rpc/rpcbind.h"
#include "rpc/server.h"
#include "xdr/nfs4_prot.h"

enum { SHUTDOWN_DRAIN_MS = 10000 };

/* An export directory ferryd creates itself is world-writable with the
 * sticky bit, as /tmp: clients' root is squashed to nobody by default, so a
 * root-owned 0755 directory would be an export nobody can write to.  Each
 * user still owns (and alone may remove) what they create. */
#define EXPORT_DIR_MODE ((mode_t)01777)

/* Makes sure path is a directory, creating it with mode when missing (an
 * existing one is left as the operator made it). */
static int ensure_dir(const char *path, const char *what, mode_t mode)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_error("%s %s is not a directory", what, path);
			return -1;
		}
		return 0;
	}
	/* chmod after mkdir: the umask must not take bits away. */
	if (errno != ENOENT || mkdir(path, mode) != 0 || chmod(path, mode) != 0) {
		log_error("cannot create %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	log_info("created %s %s", what, path);
	return 0;
}

/* Each connection is a descriptor: allow as many as the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int write_port_file(const char *path, const uint16_t *ports, unsigned n)
{
	char tmp[CONFIG_PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%u\n", ports[i]);
	if (fclose(f) != 0)
		return -1;
	/* Readers see the whole file or none of it. */
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct ferry_config cfg;
	char err[1024];
	bool help;

	config_init_defaults(&cfg);
	if (!config_parse_args(&cfg, argc, argv, &help, err, sizeof(err))) {
		fprintf(stderr, "ferryd: %s\n%s", err, config_usage());
		return 2;
	}
	if (help) {
		fputs(config_usage(), stdout);
		return 0;
	}
	if (!config_finish(&cfg, err, sizeof(err))) {
		fprintf(stderr, "ferryd: %s\n", err);
		return 2;
	}
	log_set_level(cfg.log_level);

	/* Signals are taken synchronously by the main thread only. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	if (ensure_dir(cfg.state_dir, "state directory", 0755) != 0)
		return 1;
	for (unsigned i = 0; i < cfg.nexports; i++)
		if (strcmp(cfg.exports[i].backend, "local") == 0 &&
		    ensure_dir(cfg.exports[i].path, "export directory", EXPORT_DIR_MODE) != 0)
			return 1;
	static struct nfs4_server nfs;
	if (nfs4_server_init(&nfs, &cfg) != 0)
		return 1;

	struct rpc_server_options opts;
	rpc_server_options_default(&opts);
	opts.event_loops = cfg.event_loops;
	opts.workers = cfg.workers;
	opts.max_record_size = cfg.max_record_size;
	opts.max_inflight_per_conn = cfg.max_inflight_per_conn;
	opts.idle_timeout_s = cfg.idle_timeout_s;
	struct rpc_server *srv = rpc_server_create(&opts);
	if (!srv)
		return 1;
	struct rpc_program nfs4;
	nfs4_program_describe(&nfs4, &nfs);
	nfs.rpc = srv;
	rpc_server_add_program(srv, &nfs4);

	uint16_t ports[CONFIG_MAX_LISTEN];
	for (unsigned i = 0; i < cfg.nlisten; i++) {
		if (rpc_server_listen(srv, cfg.listen[i], &ports[i]) != 0) {
			rpc_server_destroy(srv);
			return 1;
		}
	}
	if (rpc_server_start(srv) != 0) {
		log_error("cannot start the server threads");
		rpc_server_destroy(srv);
		return 1;
	}
	if (cfg.port_file[0] && write_port_file(cfg.port_file, ports, cfg.nlisten) != 0) {
		log_error("cannot write port file %s: %s", cfg.port_file, strerror(errno));
		rpc_server_destroy(srv);
		return 1;
	}
	bool registered = false;
	/* The portmapper protocol speaks of IPv4 TCP ports: register the first
	 * IPv4 listener's. */
	int v4 = -1;
	for (unsigned i = 0; i < cfg.nlisten && v4 < 0; i++)
		if (cfg.listen[i][0] != '[')
			v4 = (int)i;
	uint16_t rpcbind_port = v4 >= 0 ? ports[v4] : 0;
	if (cfg.rpcbind && v4 >= 0) {
		int rc = rpcbind_register(NFS4_PROGRAM, NFS4_VERSION, rpcbind_port, true);
		registered = rc == 0;
		if (rc == -ECONNREFUSED)
			log_info("no rpcbind on this host; not registered (NFSv4 clients do not "
				 "need it)");
		else if (rc)
			log_warn("rpcbind registration failed: %s", strerror(-rc));
		else
			log_info("registered program %u version %u on port %u with rpcbind",
				 NFS4_PROGRAM, NFS4_VERSION, rpcbind_port);
	}
	log_info("ferryd ready");

	int sig = 0;
	while (sigwait(&sigs, &sig) != 0)
		;
	log_info("received %s; stopping", strsignal(sig));
	if (registered)
		rpcbind_register(NFS4_PROGRAM, NFS4_VERSION, rpcbind_port, false);
	rpc_server_stop(srv, SHUTDOWN_DRAIN_MS);
	struct rpc_server_stats st;
	rpc_server_get_stats(srv, &st);
	/* Callbacks end before the rpc server they use goes. */
	nfs4_cb_engine_stop(&nfs);
	rpc_server_destroy(srv);
	nfs4_server_fini(&nfs);
	log_info("ferryd stopped after %llu calls on %llu connections",
		 (unsigned long long)st.calls, (unsigned long long)st.connections_accepted);
	return 0;
}
