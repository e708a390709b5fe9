/* ferryd: the Ferry NFS server. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/state_dir.h"
#include "callback/callback.h"
#include "ctl/ctl.h"
#include "mount/mount.h"
#include "nfs3/nfs3.h"
#include "nfs4/engine/program.h"
#include "nfs4/server.h"
#include "nlm/nlm.h"
#include "rpc/rpcbind.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server.h"
#include "state/state.h"
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

/* An export directory the operator made that the anonymous user cannot
 * write to: root on every client is squashed to that user by default, so
 * its first "touch" on the mount is "Permission denied".  Said once at
 * start, with the fixes; the directory is left as it is.  Mode bits only
 * (an ACL may grant more: then the warning is wrong, and says "seems"). */
static void warn_if_anonymous_cannot_write(const struct config_export *e)
{
	struct stat st;
	if (e->squash == CONFIG_SQUASH_NONE || stat(e->path, &st) != 0)
		return;
	bool w = (st.st_mode & S_IWOTH) || (st.st_uid == e->anonuid && (st.st_mode & S_IWUSR)) ||
		 (st.st_uid != e->anonuid && st.st_gid == e->anongid && (st.st_mode & S_IWGRP));
	if (w)
		return;
	log_warn("export %s: %s (mode %04o, owner %u:%u) seems not writable by uid %u, the "
		 "anonymous user that clients' root is squashed to: root on a client will get "
		 "\"Permission denied\" there.  Fix with chmod 1777 %s (as ferryd makes a missing "
		 "export directory), or set anonuid/anongid or squash = none in the export's section",
		 e->pseudo, e->path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		 (unsigned)st.st_gid, (unsigned)e->anonuid, e->path);
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

/* Readers see the whole file or none of it. */
static int write_port_file(const char *path, const uint16_t *ports, unsigned n)
{
	char text[CONFIG_MAX_LISTEN * 8];
	size_t len = 0;
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%u\n", ports[i]);
	int rc = state_file_replace(path, text, len, 0644);
	errno = -rc;
	return rc ? -1 : 0;
}

/* Reloads the exports' options from the config file: on SIGHUP (main
 * thread) and from the control plane (its thread), one at a time.
 * lock order: see core/lock_order.h, level 0. */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

struct reload_ctx {
	struct nfs4_server *nfs;
	struct rpc_server *rpc;
	const struct ferry_config *cfg;
};

/* Whether some export of cfg lists a krb5 flavour. */
static bool config_wants_gss(const struct ferry_config *cfg)
{
	for (unsigned i = 0; i < cfg->nexports; i++)
		if (config_sec_has_krb5(cfg->exports[i].sec))
			return true;
	return false;
}

/* Serves RPCSEC_GSS with cfg's keytab and limits (once per process: a
 * later call finds it served and changes nothing).  0, or -EINVAL with
 * the reason in err. */
static int enable_gss(struct rpc_server *srv, const struct ferry_config *cfg, char *err,
		      size_t errlen)
{
	if (rpc_server_gss(srv))
		return 0;
	struct rpc_gss_options go = {
		.keytab = cfg->keytab[0] ? cfg->keytab : NULL,
		.max_contexts = cfg->gss_max_contexts,
		.idle_s = cfg->gss_context_idle_s,
		.act_as_server = backend_local_restore_identity,
	};
	char why[400];
	if (rpc_server_enable_gss(srv, &go, why, sizeof(why)) != 0) {
		snprintf(err, errlen,
			 "an export lists a krb5 flavour, but %s (set [server] keytab to a keytab "
			 "holding nfs/HOST@REALM)",
			 why);
		return -EINVAL;
	}
	log_info("RPCSEC_GSS: Kerberos 5 keys from %s",
		 cfg->keytab[0] ? cfg->keytab : "the default keytab");
	return 0;
}

/* Reads [tls]'s files into a context: *out NULL when there is no [tls]
 * section.  0, or -EINVAL with the reason in err. */
static int load_tls(const struct ferry_config *cfg, struct rpc_tls_ctx **out, char *err,
		    size_t errlen)
{
	*out = NULL;
	if (!cfg->tls_cert[0])
		return 0;
	struct rpc_tls_files f = {
		.cert = cfg->tls_cert,
		.key = cfg->tls_key,
		.client_ca = cfg->tls_client_ca[0] ? cfg->tls_client_ca : NULL,
	};
	*out = rpc_tls_ctx_load(&f, err, errlen);
	return *out ? 0 : -EINVAL;
}

/* Offers STARTTLS with ctx (NULL: no longer), and says so. */
static void apply_tls(struct rpc_server *srv, const struct ferry_config *cfg,
		      struct rpc_tls_ctx *ctx)
{
	bool had = rpc_server_tls_ctx_present(srv);
	rpc_server_set_tls(srv, ctx, cfg->tls_handshake_timeout_s);
	if (ctx) {
		struct rpc_tls_ctx_info info;
		rpc_tls_ctx_info(ctx, &info);
		log_info("RPC-with-TLS: certificate %s (expires %s)%s", info.subject, info.not_after,
			 info.client_ca ? ", client certificates verified against client_ca" : "");
	} else if (had) {
		log_info("RPC-with-TLS: no [tls] section any more; new connections are not offered "
			 "TLS");
	}
}

static int reload_exports(void *arg, char *err, size_t errlen)
{
	struct reload_ctx *rc = arg;
	if (!rc->cfg->config_path[0]) {
		snprintf(err, errlen, "ferryd was started without --config: there is no file to "
				      "reload the exports from");
		return -EINVAL;
	}
	if (rc->cfg->exports_from_cli) {
		snprintf(err, errlen, "the exports were given with --export on the command line, "
				      "not read from %s",
			 rc->cfg->config_path);
		return -EINVAL;
	}
	/* A fresh configuration read the way start-up read it, so defaults
	 * (pseudo paths) come out the same. */
	struct ferry_config *fresh = malloc(sizeof(*fresh));
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	config_init_defaults(fresh);
	int ret = -EINVAL;
	if (config_load_file(fresh, rc->cfg->config_path, err, errlen) &&
	    config_finish(fresh, err, errlen)) {
		pthread_mutex_lock(&reload_lock);
		/* An export that gains a krb5 flavour: Kerberos is served from
		 * the keytab read now, before the exports change, so that a
		 * keytab that cannot be read changes nothing.  (Served and then
		 * refused by the exports' check, it stays served: no export
		 * lets a context in.) */
		ret = config_wants_gss(fresh) ? enable_gss(rc->rpc, fresh, err, errlen) : 0;
		/* [tls]'s files are read before anything changes: a file that
		 * cannot be used fails the reload as a whole. */
		struct rpc_tls_ctx *tls = NULL;
		if (ret == 0)
			ret = load_tls(fresh, &tls, err, errlen);
		if (ret == 0)
			ret = exports_reload(&rc->nfs->exports, fresh, err, errlen);
		if (ret == 0)
			apply_tls(rc->rpc, fresh, tls);
		rpc_tls_ctx_unref(tls);
		pthread_mutex_unlock(&reload_lock);
	}
	free(fresh);
	if (ret)
		log_warn("exports not reloaded: %s", err);
	else
		log_info("exports reloaded from %s", rc->cfg->config_path);
	return ret;
}

/* "HOST:PORT" as configured, with the port actually bound. */
static void listener_address(const char *configured, uint16_t port, char *out, size_t outlen)
{
	const char *colon = strrchr(configured, ':');
	int hostlen = colon ? (int)(colon - configured) : (int)strlen(configured);
	snprintf(out, outlen, "%.*s:%u", hostlen, configured, port);
}

/* Starts the control plane and writes where it listens to
 * <state_dir>/control.addr (for ferryctl and tests).  A default address
 * that cannot be bound (another ferryd has it) is not fatal; one the
 * operator asked for is. */
static int start_control(struct ctl_server **out, const struct ctl_context *ctx,
			 const struct ferry_config *cfg)
{
	*out = NULL;
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/control.addr", cfg->state_dir);
	if (!cfg->control_listen[0]) {
		unlink(path);
		log_info("control plane disabled");
		return 0;
	}
	char bound[160] = "", err[512];
	*out = ctl_server_start(ctx, cfg->control_listen, cfg->control_token_file, bound,
				sizeof(bound), err, sizeof(err));
	if (!*out) {
		unlink(path);
		if (cfg->control_explicit) {
			log_error("%s", err);
			return -1;
		}
		log_warn("%s; running without a control plane (set [control] listen)", err);
		return 0;
	}
	char line[sizeof(bound) + 2];
	int len = snprintf(line, sizeof(line), "%s\n", bound);
	int rc = state_file_replace(path, line, (size_t)len, 0644);
	if (rc)
		log_warn("cannot write %s: %s", path, strerror(-rc));
	log_info("control plane on http://%s (token in %s)", bound, cfg->control_token_file);
	return 0;
}

/* --- MOUNT in the control plane ----------------------------------------- */

static int mount_hook_list(void *arg, struct ctl_mount_entry **out, size_t *n)
{
	struct mount_entry *v;
	int rc = mount_server_list(arg, &v, n);
	if (rc)
		return rc;
	struct ctl_mount_entry *c = malloc((*n ? *n : 1) * sizeof(*c));
	if (!c) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++) {
		snprintf(c[i].host, sizeof(c[i].host), "%s", v[i].host);
		snprintf(c[i].path, sizeof(c[i].path), "%s", v[i].path);
		c[i].when = v[i].when;
	}
	free(v);
	*out = c;
	return 0;
}

static void mount_hook_stats(void *arg, struct ctl_mount_stats *out)
{
	struct mount_stats st;
	mount_server_get_stats(arg, &st);
	_Static_assert((int)CTL_MOUNT_PROCS == (int)MOUNTPROC3_COUNT, "MOUNT procedures");
	_Static_assert((int)CTL_MOUNT_OUTCOMES == (int)MOUNT_MNT_OUTCOMES, "MNT results");
	memset(out, 0, sizeof(*out));
	memcpy(out->calls, st.calls, sizeof(out->calls));
	memcpy(out->mnt, st.mnt, sizeof(out->mnt));
	out->garbage_args = st.garbage_args;
	out->list_full = st.list_full;
	out->entries = st.entries;
}

static void mount_hooks_init(struct ctl_mount_hooks *h, struct mount_server *ms)
{
	memset(h, 0, sizeof(*h));
	h->list = mount_hook_list;
	h->stats = mount_hook_stats;
	h->arg = ms;
	for (unsigned i = 0; i < CTL_MOUNT_PROCS; i++)
		h->proc_names[i] = mount_proc_name(i);
	for (unsigned i = 0; i < CTL_MOUNT_OUTCOMES; i++)
		h->outcome_names[i] = mount_mnt_outcome_name((enum mount_mnt_outcome)i);
}

/* --- rpcbind ---------------------------------------------------------------- */

/* Every program on every listener that serves it (rpc_server_serves);
 * rpcbind keeps the first listener of each address family per program and
 * version.  A program that joins ferryd is one more row of served[]. */
static void rpcbind_plan(struct rpcbind_regs *regs, const struct ctl_context *ctl)
{
	const struct {
		uint32_t prog, lo, hi;
		/* Registered on the listeners that serve this program
		 * (version where_vers): its own, but NLM's, which goes
		 * where NFSv3 does. */
		uint32_t where_prog, where_vers;
	} served[] = {
		{NFS4_PROGRAM, NFS4_VERSION, NFS4_VERSION, NFS4_PROGRAM, NFS4_VERSION},
		{NFS3_PROGRAM, NFS3_VERSION, NFS3_VERSION, NFS3_PROGRAM, NFS3_VERSION},
		{MOUNT_PROGRAM, MOUNT_V3, MOUNT_V3, MOUNT_PROGRAM, MOUNT_V3},
		{NLM_PROGRAM, NLM4_VERSION, NLM4_VERSION, NFS3_PROGRAM, NFS3_VERSION},
	};
	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < ctl->nlisteners; i++) {
		const char *addr = ctl->listeners[i];
		int rc = 0;
		for (size_t k = 0; k < sizeof(served) / sizeof(served[0]) && rc == 0; k++)
			if (rpc_server_serves(ctl->rpc, served[k].prog, served[k].lo, (int)i) &&
			    rpc_server_serves(ctl->rpc, served[k].where_prog, served[k].where_vers,
					      (int)i))
				rc = rpcbind_regs_add(regs, served[k].prog, served[k].lo,
						      served[k].hi, addr);
		if (rc == -EINVAL)
			log_warn("rpcbind: listener %s is not a numeric address; not registered",
				 addr);
		else if (rc)
			log_warn("rpcbind: too many registrations; %s not registered", addr);
	}
}

static void rpcbind_announce(struct rpcbind_regs *regs)
{
	unsigned planned = regs->n;
	int first_err;
	int rc = rpcbind_regs_register(regs, &first_err);
	if (rc == -ECONNREFUSED) {
		log_warn("rpcbind: none runs on this host (nothing at %s or 127.0.0.1:111): "
			 "NFSv3 clients, mount.nfs and showmount cannot find MOUNT; NFSv4 "
			 "clients do not need it (start rpcbind, or set rpcbind = no to "
			 "silence this)",
			 RPCBIND_SOCKET_PATH);
		return;
	}
	if (first_err)
		log_warn("rpcbind: %u of %u registrations refused: %s", planned - (unsigned)rc,
			 planned, strerror(-first_err));
	for (unsigned i = 0; i < regs->n; i++)
		log_info("rpcbind: registered program %u version %u on %s %s", regs->v[i].prog,
			 regs->v[i].vers, regs->v[i].netid, regs->v[i].uaddr);
}

/* --- start-up and shut-down, step by step ----------------------------------- */

/* Everything the server is made of, from the first step to the last. */
struct ferryd {
	struct ferry_config cfg;
	sigset_t sigs;
	struct nfs4_server nfs;
	struct nfs3_server nfs3;
	struct rpc_server *srv;
	struct mount_server *mountd;
	struct nlm_service *nlm;
	uint16_t ports[CONFIG_MAX_LISTEN];
	struct ctl_context ctl_ctx;
	struct reload_ctx reload;
	struct ctl_mount_hooks mount_hooks;
	struct ctl_server *ctl;
	struct rpcbind_regs regs;
};

/* The configuration from the file and the command line: -1 to go on, else
 * the exit status (0 after --help). */
static int configure(struct ferry_config *cfg, int argc, char **argv)
{
	char err[1024];
	bool help;

	config_init_defaults(cfg);
	if (!config_parse_args(cfg, argc, argv, &help, err, sizeof(err))) {
		fprintf(stderr, "ferryd: %s\n%s", err, config_usage());
		return 2;
	}
	if (help) {
		fputs(config_usage(), stdout);
		return 0;
	}
	if (!config_finish(cfg, err, sizeof(err))) {
		fprintf(stderr, "ferryd: %s\n", err);
		return 2;
	}
	log_set_level(cfg->log_level);
	return -1;
}

/* Signals are taken synchronously by the main thread only (sigs). */
static void block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The local exports' directories, then the state directory (which must
 * not be inside one). */
static int prepare_dirs(struct ferry_config *cfg)
{
	char err[1024];

	for (unsigned i = 0; i < cfg->nexports; i++) {
		if (strcmp(cfg->exports[i].backend, "local") != 0)
			continue;
		if (ensure_dir(cfg->exports[i].path, "export directory", EXPORT_DIR_MODE) != 0)
			return -1;
		warn_if_anonymous_cannot_write(&cfg->exports[i]);
	}
	if (state_dir_prepare(cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* The RPC server with cfg's limits, Kerberos and TLS; NULL when it cannot
 * be had (said in the log). */
static struct rpc_server *rpc_create(const struct ferry_config *cfg)
{
	struct rpc_server_options opts;
	char err[1024];

	rpc_server_options_default(&opts);
	opts.event_loops = cfg->event_loops;
	opts.workers = cfg->workers;
	opts.max_record_size = cfg->max_record_size;
	opts.max_inflight_per_conn = cfg->max_inflight_per_conn;
	opts.idle_timeout_s = cfg->idle_timeout_s;
	opts.max_memory = (size_t)cfg->inflight_memory_mb << 20;
	opts.max_memory_per_conn = (size_t)cfg->inflight_memory_per_conn_mb << 20;
	opts.max_connections = cfg->max_connections;
	opts.max_connections_per_client = cfg->max_connections_per_client;
	opts.splice_pipes = cfg->splice_pipes;
	struct rpc_server *srv = rpc_server_create(&opts);
	if (!srv)
		return NULL;
	/* RPCSEC_GSS only when an export asks for it: a host without a
	 * keytab serves AUTH_SYS as before. */
	if (config_wants_gss(cfg) && enable_gss(srv, cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		rpc_server_destroy(srv);
		return NULL;
	}
	struct rpc_tls_ctx *tls = NULL;
	if (load_tls(cfg, &tls, err, sizeof(err)) != 0) {
		log_error("%s", err);
		rpc_server_destroy(srv);
		return NULL;
	}
	apply_tls(srv, cfg, tls);
	rpc_tls_ctx_unref(tls);
	return srv;
}

/* NFSv4, then NFSv3 on the same listeners, exports and state. */
static int add_nfs(struct ferryd *d)
{
	struct rpc_program nfs4;
	nfs4_program_describe(&nfs4, &d->nfs);
	d->nfs.rpc = d->srv;
	rpc_server_add_program(d->srv, &nfs4);
	if (nfs3_server_init(&d->nfs3, &d->nfs.exports, d->nfs.state, d->nfs.write_verifier,
			     d->cfg.max_record_size) != 0) {
		log_error("cannot set up the NFSv3 program: out of memory");
		return -1;
	}
	d->nfs3.durable = d->nfs.durable;
	struct rpc_program nfs3_prog;
	nfs3_program_describe(&nfs3_prog, &d->nfs3);
	_Static_assert(CONFIG_MAX_LISTEN <= 32, "struct rpc_program.listeners_off: a bit each");
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		if (d->cfg.listen_no_v3[i])
			nfs3_prog.listeners_off |= 1u << i;
	rpc_server_add_program(d->srv, &nfs3_prog);
	return 0;
}

/* MOUNT beside NFS on the same listeners: mount.nfs and libnfs find it
 * through rpcbind on the NFS port. */
static int add_mount(struct ferryd *d)
{
	if (!d->cfg.mount)
		return 0;
	d->mountd = mount_server_create(&d->nfs.exports);
	if (!d->mountd) {
		log_error("out of memory for the MOUNT program");
		return -1;
	}
	struct rpc_program mnt;
	mount_program_describe(&mnt, d->mountd);
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		/* MOUNT only where NFSv3 is served: it is v3's way in. */
		if (d->cfg.listen_no_mount[i] || d->cfg.listen_no_v3[i])
			mnt.listeners_off |= 1u << i;
	rpc_server_add_program(d->srv, &mnt);
	return 0;
}

/* NLM v4, NFSv3's lock manager, on the same listeners; its locks are in
 * the same state as NFSv4's. */
static int add_nlm(struct ferryd *d)
{
	const struct ferry_config *cfg = &d->cfg;
	struct nlm_options nlm_opts;
	nlm_options_default(&nlm_opts);
	nlm_opts.nsm = cfg->nlm_nsm;
	nlm_opts.udp = cfg->nlm_udp;
	nlm_opts.unmon_delay_ms = cfg->nlm_unmon_delay_ms;
	snprintf(nlm_opts.state_dir, sizeof(nlm_opts.state_dir), "%s", cfg->state_dir);
	snprintf(nlm_opts.sm_notify, sizeof(nlm_opts.sm_notify), "%s", cfg->nlm_sm_notify);
	snprintf(nlm_opts.statd_dir, sizeof(nlm_opts.statd_dir), "%s", cfg->nlm_statd_dir);
	/* Test only: where clients' portmappers listen, so that a protocol
	 * test's lock manager on loopback can stand in for one. */
	const char *pmap = getenv("FERRY_TEST_NLM_PORTMAPPER_PORT");
	if (pmap && atoi(pmap) > 0 && atoi(pmap) < 65536) {
		nlm_opts.portmapper_port = (uint16_t)atoi(pmap);
		nlm_opts.retry_ms = 200;
		nlm_opts.granted_retries = 2;
	}
	if (nlm_create(d->nfs.state, &d->nfs.exports, &nlm_opts, &d->nlm) != 0)
		return -1;
	struct rpc_program nlm_prog;
	nlm_program_describe(&nlm_prog, d->nlm);
	rpc_server_add_program(d->srv, &nlm_prog);
	return 0;
}

/* The RPC gate of a clustered head: it answers nothing while it may
 * have been fenced (state_cluster_acknowledges). */
static bool cluster_gate(void *arg)
{
	return state_cluster_acknowledges(arg);
}

/* Every listener bound (the ports it got in d->ports), then the threads. */
static int listen_and_start(struct ferryd *d)
{
	if (d->cfg.cluster_node[0])
		rpc_server_set_gate(d->srv, cluster_gate, d->nfs.state);
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		if (rpc_server_listen(d->srv, d->cfg.listen[i], &d->ports[i]) != 0)
			return -1;
	if (rpc_server_start(d->srv) != 0) {
		log_error("cannot start the server threads");
		return -1;
	}
	return 0;
}

/* What the control plane (and a reload) works on: the servers, the
 * configuration, MOUNT's hooks and the listeners' addresses as bound. */
static void control_context(struct ferryd *d)
{
	struct ctl_context *ctx = &d->ctl_ctx;
	ctx->nfs = &d->nfs;
	ctx->nfs3 = &d->nfs3;
	ctx->rpc = d->srv;
	ctx->nlm = d->nlm;
	ctx->cfg = &d->cfg;
	ctx->nlisteners = d->cfg.nlisten;
	d->reload.nfs = &d->nfs;
	d->reload.rpc = d->srv;
	d->reload.cfg = &d->cfg;
	ctx->reload_exports = reload_exports;
	ctx->reload_arg = &d->reload;
	if (d->mountd) {
		mount_hooks_init(&d->mount_hooks, d->mountd);
		ctx->mount = &d->mount_hooks;
	}
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		listener_address(d->cfg.listen[i], d->ports[i], ctx->listeners[i],
				 sizeof(ctx->listeners[i]));
}

/* NLM over UDP where it is served over TCP (beside NFSv3), on the same
 * address and port; then statd's callback. */
static void nlm_udp_start(struct ferryd *d)
{
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		if (rpc_server_serves(d->srv, NLM_PROGRAM, NLM4_VERSION, (int)i) &&
		    rpc_server_serves(d->srv, NFS3_PROGRAM, NFS3_VERSION, (int)i))
			(void)nlm_udp_listen(d->nlm, d->ctl_ctx.listeners[i]);
	nlm_udp_ready(d->nlm);
}

/* The server made known: the cluster, the control plane, the port file,
 * rpcbind, systemd.  The control plane comes before the port file, so
 * that whoever waits for that file finds the control plane's address
 * too.  On failure, what was started here is stopped. */
static int announce(struct ferryd *d)
{
	if (d->cfg.cluster_node[0])
		ctl_cluster_publish(&d->ctl_ctx);
	if (start_control(&d->ctl, &d->ctl_ctx, &d->cfg) != 0)
		return -1;
	if (d->cfg.port_file[0] &&
	    write_port_file(d->cfg.port_file, d->ports, d->cfg.nlisten) != 0) {
		log_error("cannot write port file %s: %s", d->cfg.port_file, strerror(errno));
		ctl_server_stop(d->ctl);
		return -1;
	}
	if (d->cfg.rpcbind) {
		rpcbind_plan(&d->regs, &d->ctl_ctx);
		rpcbind_announce(&d->regs);
		/* NLM over UDP; statd reaches NLM's reboot callback through
		 * that registration. */
		nlm_register_udp(d->nlm, true);
	}
	log_info("ferryd ready");
	/* Under systemd (Type=notify); a no-op elsewhere. */
	sd_notify(0, "READY=1\nSTATUS=serving NFSv4");
	return 0;
}

/* Serves until SIGINT or SIGTERM (returned); SIGHUP reloads the exports:
 * clients, sessions and connections stay, only options change. */
static int serve_until_stopped(struct ferryd *d)
{
	int sig = 0;
	for (;;) {
		if (sigwait(&d->sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
		char why[512];
		log_info("received SIGHUP; reloading the exports");
		sd_notify(0, "RELOADING=1");
		reload_exports(&d->reload, why, sizeof(why));
		sd_notify(0, "READY=1");
	}
}

/* Everything stopped and freed, in the order each part needs. */
static void shut_down(struct ferryd *d)
{
	rpcbind_regs_unregister(&d->regs);
	nlm_register_udp(d->nlm, false);
	/* The control plane reads the server: it goes first, and its address
	 * with it, so ferryctl does not try a server that is gone. */
	if (d->ctl) {
		char path[CONFIG_PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/control.addr", d->cfg.state_dir);
		unlink(path);
	}
	ctl_server_stop(d->ctl);
	/* No NLM over UDP either once the server stops serving. */
	nlm_udp_stop(d->nlm);
	rpc_server_stop(d->srv, SHUTDOWN_DRAIN_MS);
	struct rpc_server_stats st;
	rpc_server_get_stats(d->srv, &st);
	/* Callbacks end before the rpc server they use goes. */
	cb_engine_stop(d->nfs.cb);
	rpc_server_destroy(d->srv);
	nfs3_server_fini(&d->nfs3);
	mount_server_destroy(d->mountd);
	/* Before the state it locks in goes. */
	nlm_destroy(d->nlm);
	nfs4_server_fini(&d->nfs);
	log_info("ferryd stopped after %llu calls on %llu connections",
		 (unsigned long long)st.calls, (unsigned long long)st.connections_accepted);
}

int main(int argc, char **argv)
{
	static struct ferryd d;

	int status = configure(&d.cfg, argc, argv);
	if (status >= 0)
		return status;
	block_signals(&d.sigs);
	raise_fd_limit();
	if (prepare_dirs(&d.cfg) != 0 || nfs4_server_init(&d.nfs, &d.cfg) != 0)
		return 1;
	if (!(d.srv = rpc_create(&d.cfg)))
		return 1;
	if (add_nfs(&d) != 0 || add_mount(&d) != 0 || add_nlm(&d) != 0 ||
	    listen_and_start(&d) != 0) {
		rpc_server_destroy(d.srv);
		return 1;
	}
	control_context(&d);
	nlm_udp_start(&d);
	if (announce(&d) != 0) {
		rpc_server_destroy(d.srv);
		return 1;
	}
	int sig = serve_until_stopped(&d);
	log_info("received %s; stopping", strsignal(sig));
	sd_notify(0, "STOPPING=1");
	shut_down(&d);
	return 0;
}
