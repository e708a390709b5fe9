/* ferryd: the Ferry NFS server. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/test_setting.h"
#include "core/state_dir.h"
#include "callback/callback.h"
#include "ctl/ctl.h"
#include "export/backend_locks.h"
#include "mount/mount.h"
#include "nfs3/nfs3.h"
#include "nfs4/copy/copy.h"
#include "nfs4/engine/program.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/server.h"
#include "nlm/nlm.h"
#include "rpc/drc.h"
#include "rpc/rpcbind.h"
#include "rpc/gss/gss_server.h"
#include "rpc/server.h"
#include "state/state.h"
#include "upgrade/image.h"
#include "upgrade/upgrade.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfsacl_codec.h"

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
	/* Nobody writes to a read-only export: nothing to warn of. */
	if (e->squash == CONFIG_SQUASH_NONE || e->read_only || stat(e->path, &st) != 0)
		return;
	bool w = (st.st_mode & S_IWOTH) || (st.st_uid == e->anonuid && (st.st_mode & S_IWUSR)) ||
		 (st.st_uid != e->anonuid && st.st_gid == e->anongid && (st.st_mode & S_IWGRP));
	if (w)
		return;
	log_warn("export %s: %s (mode %04o, owner %u:%u) seems not writable by uid %u, the "
		 "anonymous user that clients' root is squashed to: root on a client will get "
		 "\"Permission denied\" there.  Fix with chmod 1777 %s (as ferryd makes a missing "
		 "export directory), or set %s",
		 e->pseudo, e->path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		 (unsigned)st.st_gid, (unsigned)e->anonuid, e->path,
		 e->exports_line ? "anonuid=/anongid= or no_root_squash on its line of the exports "
				   "file"
				 : "anonuid/anongid or squash = none in the export's section");
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

/* Reloads the exports from the config file (exports_reload: options,
 * added and removed exports): on SIGHUP (main thread) and from the
 * control plane (its thread), one at a time.
 * lock order: see core/lock_order.h, level 0. */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

struct cluster_conf;

struct reload_ctx {
	struct nfs4_server *nfs;
	struct rpc_server *rpc;
	const struct ferry_config *cfg;
	/* [cluster] config = rados: the exports come from there. */
	struct cluster_conf *cluster;
};

/* Whether some export of cfg lists a krb5 flavour. */
static bool config_wants_gss(const struct ferry_config *cfg)
{
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct config_export *e = &cfg->exports[i];
		if (config_sec_has_krb5(e->sec))
			return true;
		/* exports(5): a host's own flavours */
		for (unsigned k = 0; k < e->nclients; k++)
			if ((e->client_own_opts & UINT32_C(1) << k) &&
			    config_sec_has_krb5(e->client_opts[k].sec))
				return true;
	}
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

/* A configuration read as start-up read it, so that defaults (pseudo
 * paths) come out the same: the file, and with [cluster] config = rados
 * the cluster's text (text; NULL: none).  0, or -EINVAL with the reason. */
static int config_build(const struct ferry_config *running, const char *text,
			struct ferry_config *fresh, char *err, size_t errlen)
{
	config_init_defaults(fresh);
	if (running->config_path[0] && !config_load_file(fresh, running->config_path, err, errlen))
		return -EINVAL;
	/* --exports is no part of the file: the running server's stands. */
	if (running->exports_file_from_cli) {
		memcpy(fresh->exports_file, running->exports_file, sizeof(fresh->exports_file));
		fresh->exports_file_from_cli = true;
	}
	if (fresh->cluster_config_rados != running->cluster_config_rados) {
		snprintf(err, errlen, "[cluster] config changed in %s; that needs a restart",
			 running->config_path);
		return -EINVAL;
	}
	if (text && !config_load_text(fresh, text, "the cluster's configuration", err, errlen))
		return -EINVAL;
	return config_finish(fresh, err, errlen) ? 0 : -EINVAL;
}

/* Applies fresh's exports and [tls], all or nothing. */
static int config_apply(struct reload_ctx *rc, const struct ferry_config *fresh, char *err,
			size_t errlen)
{
	/* An export that gains a krb5 flavour: Kerberos is served from
	 * the keytab read now, before the exports change, so that a
	 * keytab that cannot be read changes nothing.  (Served and then
	 * refused by the exports' check, it stays served: no export
	 * lets a context in.) */
	int ret = config_wants_gss(fresh) ? enable_gss(rc->rpc, fresh, err, errlen) : 0;
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
	const char *key = ret == 0 ? config_nfs_differs(rc->cfg, fresh) : NULL;
	if (key)
		log_warn("[nfs] %s differs from what this server started with; [nfs] is applied "
			 "when it restarts",
			 key);
	return ret;
}

/* --- the cluster's configuration in RADOS ([cluster] config = rados) ------ */

/* The object, watched; a thread of its own applies what it holds when a
 * head says it changed, when the watch broke, and every
 * CLUSTER_CONF_POLL_S in case a notification was lost. */
enum { CLUSTER_CONF_POLL_S = 30, CLUSTER_CONF_NOTIFY_MS = 5000, CLUSTER_CONF_EDIT_TRIES = 8 };

struct cluster_conf {
	struct state_cluster_config *cc;
	struct reload_ctx *reload;
	struct ctl_cluster_config status;
	/* lock order: see core/lock_order.h, level 0b. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool changed, stop, running;
	pthread_t thread;
	/* Under reload_lock: the version applied, and the last one that
	 * could not be (said once in the log). */
	uint64_t applied, failed;
};

static void cluster_conf_changed(void *arg)
{
	struct cluster_conf *c = arg;
	pthread_mutex_lock(&c->lock);
	c->changed = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Reads the object and applies it unless this version is applied
 * already (force: in any case, a reload asked for).  A version that cannot
 * be read, parsed or applied leaves the configuration applied as it was,
 * and says so. */
static int cluster_conf_reload(struct cluster_conf *c, bool force, char *err, size_t errlen)
{
	char *text = NULL;
	uint64_t version = 0;
	int ret = state_cluster_config_read(c->cc, &text, &version);
	if (ret) {
		snprintf(err, errlen, "cannot read the cluster's configuration from RADOS: %s",
			 strerror(-ret));
		atomic_fetch_add(&c->status.errors, 1);
		atomic_store(&c->status.ok, false);
		log_warn("%s; keeping version %llu", err, (unsigned long long)c->applied);
		return ret;
	}
	pthread_mutex_lock(&reload_lock);
	if (!force && (version == c->applied || version == c->failed)) {
		pthread_mutex_unlock(&reload_lock);
		free(text);
		return 0;
	}
	struct ferry_config *fresh = malloc(sizeof(*fresh));
	ret = fresh ? config_build(c->reload->cfg, text, fresh, err, errlen) : -ENOMEM;
	if (ret == 0)
		ret = config_apply(c->reload, fresh, err, errlen);
	if (ret == 0) {
		c->applied = version;
		c->failed = 0;
		atomic_store(&c->status.version, version);
		atomic_store(&c->status.ok, true);
		atomic_fetch_add(&c->status.applied, 1);
		log_info("cluster configuration version %llu applied: %u export(s)",
			 (unsigned long long)version, fresh->nexports);
	} else {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		atomic_fetch_add(&c->status.errors, 1);
		atomic_store(&c->status.ok, false);
		if (version != c->failed || force)
			log_error("cluster configuration version %llu not applied: %s; this head "
				  "keeps version %llu",
				  (unsigned long long)version, err, (unsigned long long)c->applied);
		c->failed = version;
	}
	pthread_mutex_unlock(&reload_lock);
	free(fresh);
	free(text);
	return ret;
}

static void *cluster_conf_thread(void *arg)
{
	struct cluster_conf *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		if (!c->changed) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += CLUSTER_CONF_POLL_S;
			pthread_cond_timedwait(&c->cond, &c->lock, &until);
			if (c->stop)
				break;
		}
		c->changed = false;
		pthread_mutex_unlock(&c->lock);
		int rc = state_cluster_config_watch_check(c->cc);
		if (rc)
			log_warn("cannot watch the cluster's configuration (%s): changes are read "
				 "every %d s",
				 strerror(-rc), CLUSTER_CONF_POLL_S);
		char err[1024];
		cluster_conf_reload(c, false, err, sizeof(err));
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static int cluster_conf_show(void *arg, char **text, uint64_t *version, char *err, size_t errlen)
{
	struct cluster_conf *c = arg;
	int rc = state_cluster_config_read(c->cc, text, version);
	if (rc)
		snprintf(err, errlen, "%s", strerror(-rc));
	return rc;
}

/* The control plane's edit: read, edit, check whole as every head will
 * apply it, write if no other head wrote meanwhile (else again), tell
 * every head. */
static int cluster_conf_edit(void *arg, enum config_edit_op op, const char *name,
			     const char *const *keys, const char *const *values, unsigned n,
			     uint64_t *version, char *err, size_t errlen)
{
	struct cluster_conf *c = arg;
	struct ferry_config *fresh = malloc(sizeof(*fresh));
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = -ECANCELED;
	for (int attempt = 0; rc == -ECANCELED && attempt < CLUSTER_CONF_EDIT_TRIES; attempt++) {
		char *text = NULL, *edited = NULL;
		uint64_t was = 0;
		rc = state_cluster_config_read(c->cc, &text, &was);
		if (rc) {
			snprintf(err, errlen, "cannot read it from RADOS: %s", strerror(-rc));
			break;
		}
		if (!config_text_edit(text, op, name, keys, values, n, &edited, err, errlen))
			rc = -EINVAL;
		else if ((rc = config_build(c->reload->cfg, edited, fresh, err, errlen)) == 0 &&
			 (rc = exports_check(&c->reload->nfs->exports, fresh, err, errlen)) != 0)
			rc = rc == -ENOMEM ? rc : -EINVAL;
		if (rc == 0) {
			rc = state_cluster_config_write(c->cc, edited, was, version);
			if (rc && rc != -ECANCELED)
				snprintf(err, errlen, "cannot write it to RADOS: %s", strerror(-rc));
		}
		free(text);
		free(edited);
	}
	free(fresh);
	if (rc == -ECANCELED)
		snprintf(err, errlen, "other heads kept changing it; try again");
	if (rc)
		return rc;
	log_info("cluster configuration version %llu written: export %s %s",
		 (unsigned long long)*version, name,
		 op == CONFIG_EDIT_ADD ? "added" : op == CONFIG_EDIT_SET ? "changed" : "removed");
	int nrc = state_cluster_config_notify(c->cc, CLUSTER_CONF_NOTIFY_MS);
	if (nrc)
		log_warn("cluster configuration version %llu: not every head acknowledged the "
			 "change (%s); they read it within %d s",
			 (unsigned long long)*version, strerror(-nrc), CLUSTER_CONF_POLL_S);
	return 0;
}

/* At start: the object read into cfg (the file read already), and
 * watched.  A configuration that cannot be read or used stops the start:
 * there is no earlier one to serve. */
static int cluster_conf_open(struct cluster_conf *c, struct ferry_config *cfg)
{
	struct state_options so;
	state_options_from_config(&so, cfg);
	int rc = state_cluster_config_open(&so.cluster, &c->cc);
	if (rc)
		return rc;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->status.show = cluster_conf_show;
	c->status.edit = cluster_conf_edit;
	c->status.arg = c;
	/* The watch first: a change between the read and the watch is
	 * then read again by the thread. */
	rc = state_cluster_config_watch(c->cc, cluster_conf_changed, c);
	if (rc)
		log_warn("cannot watch the cluster's configuration (%s): changes are read every "
			 "%d s",
			 strerror(-rc), CLUSTER_CONF_POLL_S);
	char *text = NULL, err[1024];
	uint64_t version = 0;
	rc = state_cluster_config_read(c->cc, &text, &version);
	if (rc) {
		log_error("cannot read the cluster's configuration from RADOS: %s", strerror(-rc));
		return rc;
	}
	if (!config_load_text(cfg, text, "the cluster's configuration", err, sizeof(err)) ||
	    !config_finish(cfg, err, sizeof(err))) {
		log_error("cluster configuration version %llu: %s (fix it in RADOS object 'config' "
			  "of pool %s)",
			  (unsigned long long)version, err, cfg->cluster_rados_pool);
		free(text);
		return -EINVAL;
	}
	free(text);
	c->applied = version;
	atomic_store(&c->status.version, version);
	atomic_store(&c->status.ok, true);
	atomic_store(&c->status.applied, 1);
	log_info("cluster configuration version %llu: %u export(s)", (unsigned long long)version,
		 cfg->nexports);
	return 0;
}

/* Once the server serves: the thread that applies changes (control_context
 * has given it the reload's context). */
static int cluster_conf_start(struct cluster_conf *c)
{
	if (pthread_create(&c->thread, NULL, cluster_conf_thread, c) != 0) {
		log_error("cannot start the thread that applies the cluster's configuration");
		return -1;
	}
	c->running = true;
	return 0;
}

static void cluster_conf_stop(struct cluster_conf *c)
{
	if (c->running) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	state_cluster_config_close(c->cc);
	c->cc = NULL;
}

static int reload_exports(void *arg, char *err, size_t errlen)
{
	struct reload_ctx *rc = arg;
	if (!rc->cfg->config_path[0] && !rc->cfg->exports_file[0]) {
		snprintf(err, errlen, "ferryd was started without --config or --exports: there is "
				      "no file to reload the exports from");
		return -EINVAL;
	}
	if (rc->cfg->exports_from_cli) {
		snprintf(err, errlen, "the exports were given with --export on the command line, "
				      "not read from %s",
			 rc->cfg->config_path);
		return -EINVAL;
	}
	if (rc->cluster)
		return cluster_conf_reload(rc->cluster, true, err, errlen);
	struct ferry_config *fresh = malloc(sizeof(*fresh));
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int ret = config_build(rc->cfg, NULL, fresh, err, errlen);
	if (ret == 0) {
		pthread_mutex_lock(&reload_lock);
		ret = config_apply(rc, fresh, err, errlen);
		pthread_mutex_unlock(&reload_lock);
	}
	free(fresh);
	if (ret)
		log_warn("exports not reloaded: %s", err);
	else
		log_info("exports reloaded from %s%s%s", rc->cfg->config_path,
			 rc->cfg->config_path[0] && rc->cfg->exports_file[0] ? " and " : "",
			 rc->cfg->exports_file);
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
			 const struct ferry_config *cfg, int inherited_fd)
{
	*out = NULL;
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/control.addr", cfg->state_dir);
	if (!cfg->control_listen[0]) {
		if (inherited_fd >= 0)
			close(inherited_fd);
		unlink(path);
		log_info("control plane disabled");
		return 0;
	}
	char bound[160] = "", err[512];
	*out = inherited_fd >= 0
		       ? ctl_server_start_on(ctx, inherited_fd, cfg->control_listen,
					     cfg->control_token_file, bound, sizeof(bound), err,
					     sizeof(err))
		       : ctl_server_start(ctx, cfg->control_listen, cfg->control_token_file,
					  bound, sizeof(bound), err, sizeof(err));
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
		 * (version where_vers): its own, but NLM's and NFSACL's,
		 * which go where NFSv3 does. */
		uint32_t where_prog, where_vers;
	} served[] = {
		{NFS4_PROGRAM, NFS4_VERSION, NFS4_VERSION, NFS4_PROGRAM, NFS4_VERSION},
		{NFS3_PROGRAM, NFS3_VERSION, NFS3_VERSION, NFS3_PROGRAM, NFS3_VERSION},
		{MOUNT_PROGRAM, MOUNT_V3, MOUNT_V3, MOUNT_PROGRAM, MOUNT_V3},
		{NLM_PROGRAM, NLM4_VERSION, NLM4_VERSION, NFS3_PROGRAM, NFS3_VERSION},
		{NFSACL_PROGRAM, NFSACL_VERSION, NFSACL_VERSION, NFS3_PROGRAM, NFS3_VERSION},
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
	struct cluster_conf cluster_conf;
	/* In-place upgrades (upgrade/upgrade.h).  argv and the binary this
	 * process was started from are the new one's defaults; inherited is
	 * what a ferryd handed to this one (channel -1: none). */
	char *const *argv;
	char binary[CONFIG_PATH_MAX];
	pthread_t main_thread;
	pthread_mutex_t upgrade_lock;
	struct ctl_upgrade_stats upgrade_stats;
	atomic_bool handed_over; /* the new ferryd serves: exit */
	struct upgrade_inherited inherited;
	struct upgrade_image image; /* inherited's, parsed */
	/* The leases of delegated files inherited's LEASES section names,
	 * taken over once the ferryd before this one said go. */
	struct nfs4_lease_carried *leases;
	size_t nleases;
	/* The watches of delegated directories inherited's DIR_WATCHES
	 * section names, taken over with the leases. */
	struct nfs4_dir_watches dir_watches;
	/* What the TLS_CONNS section says of each inherited connection in
	 * kernel TLS (NULL: plain), by its index. */
	struct rpc_tls_info **tls_conns;
	bool inherited_listener[CONFIG_MAX_LISTEN]; /* serves the old one's socket */
	/* Listeners beyond the configured ones: addresses of heads the ferryd
	 * before this one took over (upgrade_cluster_section), at indexes
	 * cfg.nlisten on; nlisteners counts both. */
	unsigned nlisteners;
	char listen_extra[CONFIG_MAX_LISTEN][UPGRADE_LISTEN_ADDR_MAX];
	/* The connections listed at the freeze, while frozen (the NFSv4
	 * state names them by their index); sorted by connection. */
	const struct rpc_handover *handover;
	size_t *handover_order;
	/* The locks back ends held for the owners whose state the image
	 * carries, let go of for the new ferryd (given back to this one if
	 * the upgrade fails); in a new ferryd, whether it took the inherited
	 * ones (let go of again if it gives up). */
	struct export_backend_locks_which locks_handed;
	bool locks_inherited;
};

/* A section of the state image handed over (NULL: none, or not started by
 * an upgrade). */
static const struct upgrade_image_section *inherited_section(const struct ferryd *d,
							      uint32_t kind)
{
	return d->inherited.channel >= 0 ? upgrade_image_find(&d->image, kind) : NULL;
}

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

/* With [cluster] config = rados, the exports and [nfs] from RADOS. */
static int configure_cluster(struct ferryd *d)
{
	if (!d->cfg.cluster_config_rados)
		return 0;
	if (!d->cfg.config_path[0]) {
		log_error("[cluster] config = rados comes from a --config file");
		return -1;
	}
	return cluster_conf_open(&d->cluster_conf, &d->cfg) == 0 ? 0 : -1;
}

/* Signals are taken synchronously by the main thread only (sigs). */
static void block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGHUP);
	sigaddset(sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The local exports' directories, then the state directory (which must
 * not be inside one). */
static int prepare_dirs(struct ferry_config *cfg)
{
	char err[1024];

	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct config_export *e = &cfg->exports[i];
		if (strcmp(e->backend, "local") != 0)
			continue;
		/* An exports file names directories that exist, as knfsd's
		 * exportfs wants them: a mistyped path is an error, not a new
		 * world-writable directory. */
		struct stat st;
		int missing = e->exports_line && stat(e->path, &st) != 0 ? errno : 0;
		if (e->exports_line && (missing || !S_ISDIR(st.st_mode))) {
			log_error("%s:%u:1: %s: %s", cfg->exports_file, e->exports_line, e->path,
				  missing ? strerror(missing) : "not a directory");
			return -1;
		}
		if (!e->exports_line && ensure_dir(e->path, "export directory", EXPORT_DIR_MODE) != 0)
			return -1;
		warn_if_anonymous_cannot_write(e);
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
	opts.remote_workers = cfg->remote_workers;
	opts.max_record_size = cfg->max_record_size;
	opts.max_inflight_per_conn = cfg->max_inflight_per_conn;
	opts.idle_timeout_s = cfg->idle_timeout_s;
	opts.max_memory = (size_t)cfg->inflight_memory_mb << 20;
	opts.max_memory_per_conn = (size_t)cfg->inflight_memory_per_conn_mb << 20;
	opts.max_connections = cfg->max_connections;
	opts.max_connections_per_client = cfg->max_connections_per_client;
	opts.splice_pipes = cfg->splice_pipes;
	static const enum rpc_splice_reads splice_reads[] = {
		RPC_SPLICE_READS_REMOTE, RPC_SPLICE_READS_ALWAYS, RPC_SPLICE_READS_NEVER};
	opts.splice_reads = splice_reads[cfg->splice_reads];
	opts.map_reads = cfg->map_reads;
	_Static_assert(sizeof(opts.local_congestion) == sizeof(cfg->local_congestion),
		       "one name, two places");
	memcpy(opts.local_congestion, cfg->local_congestion, sizeof(opts.local_congestion));
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

/* NFSv4, then NFSv3 and NFSACL on the same listeners, exports and state. */
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
	/* NFSACL where NFSv3 is: the Linux client sends it on its NFS
	 * connection. */
	struct rpc_program acl_prog;
	nfs3_acl_program_describe(&acl_prog, &d->nfs3);
	acl_prog.listeners_off = nfs3_prog.listeners_off;
	rpc_server_add_program(d->srv, &acl_prog);
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
	const struct upgrade_image_section *carried = inherited_section(d, UPGRADE_SECTION_NLM);
	nlm_opts.inherited = carried != NULL;
	if (nlm_create(d->nfs.state, &d->nfs.exports, &nlm_opts, &d->nlm) != 0)
		return -1;
	char err[512];
	if (carried && nlm_state_restore(d->nlm, carried->data, carried->len, err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		return -1;
	}
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
/* A cluster head started by an upgrade listens on the addresses of heads
 * the one before it took over, as that one did, each under its head's
 * name (the server owner its clients know there).  -1 on failure (said
 * to the old one: it serves on). */
static int inherit_extra_listeners(struct ferryd *d, int old_index[CONFIG_MAX_LISTEN])
{
	struct upgrade_cluster_section cs;
	if (!upgrade_cluster_decode(inherited_section(d, UPGRADE_SECTION_CLUSTER), &cs))
		return 0;
	for (unsigned k = 0; k < cs.nextra; k++) {
		unsigned i = cs.extra[k].listener;
		char err[UPGRADE_LISTEN_ADDR_MAX + UPGRADE_NAME_MAX + 64] = "";
		int fd = -1;
		if (i != d->nlisteners || i >= CONFIG_MAX_LISTEN || i >= d->inherited.nlisteners ||
		    (fd = d->inherited.listener_fds[i]) < 0)
			snprintf(err, sizeof(err), "listener %u of a head taken over was not handed "
				 "over in order", i);
		else if (nfs4_server_add_listener(&d->nfs, i, cs.extra[k].origin) != 0 ||
			 rpc_server_listen_fd(d->srv, fd, &d->ports[i]) != 0)
			snprintf(err, sizeof(err), "cannot listen on %s, taken over from %s",
				 d->inherited.listen[i], cs.extra[k].origin);
		if (err[0]) {
			log_error("upgrade: %s", err);
			upgrade_refuse(&d->inherited, err);
			return -1;
		}
		d->inherited.listener_fds[i] = -1;
		_Static_assert(sizeof(d->listen_extra[i]) == sizeof(d->inherited.listen[i]),
			       "an inherited address fits");
		memcpy(d->listen_extra[i], d->inherited.listen[i], sizeof(d->listen_extra[i]));
		old_index[i] = (int)i;
		d->nlisteners = i + 1;
		log_info("upgrade: listening on %s as head %s's address, as before", d->listen_extra[i],
			 cs.extra[k].origin);
	}
	return 0;
}

static int listen_and_start(struct ferryd *d)
{
	if (d->cfg.cluster_node[0])
		rpc_server_set_gate(d->srv, cluster_gate, d->nfs.state);
	int old_index[CONFIG_MAX_LISTEN];
	for (unsigned i = 0; i < d->cfg.nlisten; i++) {
		/* The socket the ferryd before this one listened on, when it
		 * listened at the same address in the same place. */
		int fd = upgrade_take_listener(&d->inherited, i, d->cfg.listen[i]);
		old_index[i] = fd >= 0 ? (int)i : -1;
		int rc = fd >= 0 ? rpc_server_listen_fd(d->srv, fd, &d->ports[i])
				 : rpc_server_listen(d->srv, d->cfg.listen[i], &d->ports[i]);
		if (rc != 0)
			return -1;
	}
	d->nlisteners = d->cfg.nlisten;
	if (inherit_extra_listeners(d, old_index) != 0)
		return -1;
	if (rpc_server_start(d->srv) != 0) {
		log_error("cannot start the server threads");
		return -1;
	}
	for (unsigned i = 0; i < d->nlisteners; i++)
		d->inherited_listener[i] = old_index[i] >= 0;
	return 0;
}

struct adopting {
	struct ferryd *d;
	size_t index;
};

/* Before a connection handed over is read: the NFSv4 sessions carried
 * over that were bound to it. */
static void adopt_bind(void *arg, struct rpc_conn *conn)
{
	struct adopting *a = arg;
	state_carry_adopt_conn(a->d->nfs.state, a->index, conn);
}

/* The connections handed over, with what the ferryd before this one
 * received on them and did not serve: only once it said go, so that a
 * ferryd it gave up on never read a request it would not answer. */
static void adopt_inherited(struct ferryd *d)
{
	struct upgrade_inherited *in = &d->inherited;
	for (size_t i = 0; i < in->nconns; i++) {
		struct upgrade_conn *c = &in->conns[i];
		int listener = c->listener >= 0 && (unsigned)c->listener < d->nlisteners &&
					       d->inherited_listener[c->listener]
				       ? c->listener
				       : -1;
		struct adopting a = {.d = d, .index = i};
		const struct rpc_tls_info *tls = d->tls_conns ? d->tls_conns[i] : NULL;
		struct rpc_conn *conn = rpc_server_adopt_handed(d->srv, c->fd, listener, c->unread,
								c->unread_len, tls, adopt_bind, &a);
		if (!conn) {
			log_warn("upgrade: cannot serve a connection handed over; it is closed");
			continue;
		}
		c->fd = -1;
		rpc_conn_unref(conn);
	}
	rpc_handover_tls_free(d->tls_conns, in->nconns);
	d->tls_conns = NULL;
	state_carry_adopt_done(d->nfs.state);
}

static int upgrade_to(void *arg, const char *binary, struct ctl_upgrade_result *res);

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
	d->reload.nfs = &d->nfs;
	d->reload.rpc = d->srv;
	d->reload.cfg = &d->cfg;
	ctx->reload_exports = reload_exports;
	ctx->reload_arg = &d->reload;
	ctx->upgrade = upgrade_to;
	ctx->upgrade_arg = d;
	ctx->upgrade_stats = &d->upgrade_stats;
	if (d->cluster_conf.cc) {
		/* Before the control plane serves: a reload it is asked for
		 * must read RADOS, not find no export in the file. */
		d->cluster_conf.reload = &d->reload;
		d->reload.cluster = &d->cluster_conf;
		ctx->cluster_config = &d->cluster_conf.status;
	}
	if (d->mountd) {
		mount_hooks_init(&d->mount_hooks, d->mountd);
		ctx->mount = &d->mount_hooks;
	}
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		listener_address(d->cfg.listen[i], d->ports[i], ctx->listeners[i],
				 sizeof(ctx->listeners[i]));
	_Static_assert(sizeof(ctx->listeners[0]) >= sizeof(d->listen_extra[0]),
		       "an address taken over fits");
	for (unsigned i = d->cfg.nlisten; i < d->nlisteners; i++)
		memcpy(ctx->listeners[i], d->listen_extra[i], sizeof(d->listen_extra[i]));
	ctx->nlisteners = d->nlisteners;
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
	int ctl_fd = d->inherited.control_fd;
	d->inherited.control_fd = -1;
	if (start_control(&d->ctl, &d->ctl_ctx, &d->cfg, ctl_fd) != 0)
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
	nlm_tell_peers(d->nlm);
	log_info("ferryd ready");
	/* Under systemd (Type=notify); a no-op elsewhere.  After an upgrade
	 * this process is the service's main one now. */
	if (d->inherited.channel >= 0)
		sd_notifyf(0, "MAINPID=%d\nREADY=1\nSTATUS=serving NFSv4", (int)getpid());
	else
		sd_notify(0, "READY=1\nSTATUS=serving NFSv4");
	return 0;
}

/* --- in-place upgrades ------------------------------------------------------ */

/* NLM over UDP after an upgrade that failed: the sockets again, and
 * rpcbind told of statd's callback port, which may be another now. */
static void upgrade_nlm_udp_again(struct ferryd *d)
{
	nlm_udp_start(d);
	if (d->cfg.rpcbind)
		nlm_register_udp(d->nlm, true);
}

/* The handover's connections, ordered by connection (for handover_index). */
static int by_conn(const void *a, const void *b, void *arg)
{
	const struct rpc_handover *h = arg;
	const struct rpc_conn *x = h->conns[*(const size_t *)a].conn;
	const struct rpc_conn *y = h->conns[*(const size_t *)b].conn;
	return x < y ? -1 : x > y;
}

/* state_carry_conn_index_fn: conn's index in the handover, -1 if it was
 * not handed over (closed: RPC-with-TLS, dialled). */
static int handover_index(void *arg, const struct rpc_conn *conn)
{
	const struct ferryd *d = arg;
	const struct rpc_handover *h = d->handover;
	size_t lo = 0, hi = d->handover_order ? h->nconns : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rpc_conn *c = h->conns[d->handover_order[mid]].conn;
		if (c == conn)
			return (int)d->handover_order[mid];
		if (c < conn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void handover_forget(struct ferryd *d)
{
	free(d->handover_order);
	d->handover_order = NULL;
	d->handover = NULL;
}

/* File delegations go over with the kernel leases behind them
 * (nfs4/deleg/leases_carried.c), directory delegations with the watches
 * of their directories (nfs4/deleg/dirs_carried.c), where the back end can
 * hand those over.  The others (a ceph export's) are not carried,
 * nor asynchronous COPYs (their work and results are this process's):
 * before the new binary is started, those delegations are recalled
 * (state_deleg_suspend) and the upgrade waits, serving meanwhile, for
 * them to come back and for the copies to end and be reported.  A
 * recalled delegation not returned within a lease is revoked by the
 * state thread (and carried as revoked), so the wait ends within a lease
 * and the state thread's next round. */
enum { UPGRADE_HANDBACK_SLACK_MS = 2000 };

static unsigned copies_kept(struct ferryd *d)
{
	struct nfs4_copy_stats cs;
	nfs4_copy_get_stats(&d->nfs, &cs);
	return cs.kept;
}

static void upgrade_await_handback(struct ferryd *d)
{
	unsigned delegs = 0, copies = 0;
	uint64_t limit = (uint64_t)d->cfg.lease_time_s * 1000 + UPGRADE_HANDBACK_SLACK_MS;
	for (uint64_t waited = 0; waited < limit; waited += 10) {
		delegs = state_deleg_outstanding(d->nfs.state);
		copies = copies_kept(d);
		if (delegs == 0 && copies == 0) {
			if (waited >= 1000)
				log_info("upgrade: delegations and COPYs back after %llu ms",
					 (unsigned long long)waited);
			return;
		}
		usleep(10 * 1000);
	}
	log_warn("upgrade: after %llu ms, %u delegation(s) not returned and %u asynchronous "
		 "COPY(s) kept",
		 (unsigned long long)limit, delegs, copies);
}

/* NLM over UDP (and statd's callback) first: the new ferryd binds the
 * same addresses, and no UDP call may change the state once its image
 * is taken; then the connections; then the state thread and NSM's calls
 * to statd (no expiry, record or monitor change while the new ferryd
 * takes them over).  The connections are then listed by connection, for
 * the NFSv4 state to name them (handover_index). */
static int upgrade_freeze(void *arg, struct rpc_handover *h, char *err, size_t errlen)
{
	struct ferryd *d = arg;
	nlm_udp_stop(d->nlm);
	int rc = rpc_server_handover_freeze(d->srv, UPGRADE_FREEZE_MS, h, err, errlen);
	if (rc) {
		upgrade_nlm_udp_again(d);
		return rc;
	}
	state_server_pause(d->nfs.state, true);
	nlm_nsm_pause(d->nlm, true);
	d->handover = h;
	d->handover_order = h->nconns ? malloc(h->nconns * sizeof(size_t)) : NULL;
	if (d->handover_order) {
		for (size_t i = 0; i < h->nconns; i++)
			d->handover_order[i] = i;
		qsort_r(d->handover_order, h->nconns, sizeof(size_t), by_conn, h);
	}
	return 0;
}

/* The duplicate request caches an upgrade hands over, each in an image
 * section of its own. */
enum { REPLY_CACHES = 2 };
struct reply_cache {
	struct rpc_drc *drc; /* NULL: none */
	uint32_t kind;
};

static void reply_caches(struct ferryd *d, struct reply_cache out[REPLY_CACHES])
{
	out[0] = (struct reply_cache){d->nfs.drc40, UPGRADE_SECTION_DRC_NFS40};
	out[1] = (struct reply_cache){d->nfs3.drc, UPGRADE_SECTION_DRC_NFS3};
}

/* A cluster head's membership: the new ferryd joins under this process's
 * instance, and listens where this one took other heads' addresses over. */
static void upgrade_image_cluster(struct ferryd *d, struct upgrade_image_writer *w)
{
	struct upgrade_cluster_section cs = {.instance = state_cluster_instance(d->nfs.state)};
	snprintf(cs.node, sizeof(cs.node), "%s", d->cfg.cluster_node);
	for (unsigned i = d->cfg.nlisten; i < d->handover->nlisteners; i++) {
		const char *origin = nfs4_server_listener_origin(&d->nfs, (int)i);
		if (!origin[0] || cs.nextra >= UPGRADE_CLUSTER_LISTENERS_MAX)
			continue;
		cs.extra[cs.nextra].listener = i;
		snprintf(cs.extra[cs.nextra].origin, sizeof(cs.extra[0].origin), "%s", origin);
		cs.nextra++;
	}
	uint8_t sec[UPGRADE_CLUSTER_SECTION_MAX];
	upgrade_image_add(w, UPGRADE_SECTION_CLUSTER, sec, upgrade_cluster_encode(&cs, sec));
}

/* What clients must find unchanged: the write verifier (their unstable
 * writes are in the file system's cache, which outlives this process),
 * and the upgrades so far. */
static int upgrade_image(void *arg, uint8_t **img, size_t *len, struct upgrade_files *files,
			 char *err, size_t errlen)
{
	struct ferryd *d = arg;
	struct upgrade_server_section srv;
	memcpy(srv.write_verifier, d->nfs.write_verifier, sizeof(srv.write_verifier));
	srv.upgrades = atomic_load(&d->upgrade_stats.done) + 1;
	uint8_t sec[16];
	upgrade_server_encode(&srv, sec);
	struct upgrade_image_writer w;
	upgrade_image_begin(&w, UPGRADE_IMAGE_VERSION);
	upgrade_image_add(&w, UPGRADE_SECTION_SERVER, sec, sizeof(sec));
	if (d->cfg.cluster_node[0])
		upgrade_image_cluster(d, &w);
	struct buf *nlm = NULL;
	char why[256];
	int rc = nlm_state_save(d->nlm, &nlm, why, sizeof(why));
	bool nlm_carried = rc == 0, nfs4_carried = false;
	if (rc == 0)
		upgrade_image_add(&w, UPGRADE_SECTION_NLM, nlm->data, nlm->len);
	else if (rc == -EOPNOTSUPP)
		log_warn("upgrade: NLM locks are not handed over (%s): their hosts reclaim them "
			 "in a grace period", why);
	buf_unref(nlm);
	if (rc && rc != -EOPNOTSUPP) {
		w.failed = true; /* finish frees what was written */
		upgrade_image_finish(&w, len);
		snprintf(err, errlen, "%s", why);
		return rc;
	}
	/* The directory watches first: what they had seen is noted for the
	 * delegations' holders before the state is saved. */
	struct nfs4_dir_watches watches;
	struct buf *nfs4 = NULL;
	int wrc = nfs4_dir_watches_hand(&d->nfs, &watches);
	if (wrc) {
		rc = wrc;
		snprintf(why, sizeof(why), "the watches of delegated directories: %s",
			 strerror(-wrc));
	} else if (d->handover->nconns && !d->handover_order) {
		rc = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
	} else if (copies_kept(d)) {
		rc = -EBUSY;
		snprintf(why, sizeof(why), "asynchronous COPYs are under way or unreported");
	} else {
		rc = state_carry_save(d->nfs.state, handover_index, d, &nfs4, why, sizeof(why));
	}
	/* The leases its delegations rely on, with their descriptors. */
	struct buf *leases = NULL;
	if (rc == 0) {
		rc = nfs4_deleg_leases_save(&d->nfs, &leases, &files->fds, &files->n);
		if (rc)
			snprintf(why, sizeof(why), "the leases of delegated files: %s",
				 strerror(-rc));
	}
	/* And the watches' descriptors after the leases'. */
	struct buf *dir_watches = NULL;
	if (rc == 0 && watches.n) {
		size_t first = files->n;
		int *fds = realloc(files->fds, (first + watches.n) * sizeof(*fds));
		dir_watches = fds ? nfs4_dir_watches_encode(&watches, first) : NULL;
		if (fds)
			files->fds = fds;
		if (!dir_watches) {
			rc = -ENOMEM;
			snprintf(why, sizeof(why), "the watches of delegated directories: %s",
				 strerror(ENOMEM));
		} else {
			/* A watch that is no descriptor (ceph's) goes in the
			 * section alone. */
			for (size_t i = 0; i < watches.n; i++) {
				if (watches.v[i].fd < 0)
					continue;
				files->fds[files->n++] = watches.v[i].fd;
				watches.v[i].fd = -1;
			}
		}
	}
	if (rc == 0) {
		nfs4_carried = true;
		upgrade_image_add(&w, UPGRADE_SECTION_NFS4, nfs4->data, nfs4->len);
		/* Only when there are any: an image without them is one the
		 * release before reads too. */
		if (leases && leases->len > 4)
			upgrade_image_add(&w, UPGRADE_SECTION_LEASES, leases->data,
					  leases->len);
		if (dir_watches)
			upgrade_image_add(&w, UPGRADE_SECTION_DIR_WATCHES, dir_watches->data,
					  dir_watches->len);
	} else {
		/* Nothing carries the directory delegations: the watches are
		 * this process's again. */
		nfs4_dir_watches_resume(&d->nfs);
		log_warn("upgrade: the NFSv4 state is not handed over (%s): its clients reclaim "
			 "it in a grace period", why);
	}
	buf_unref(nfs4);
	buf_unref(leases);
	buf_unref(dir_watches);
	nfs4_dir_watches_free(&watches);
	/* What the connections in kernel TLS are. */
	size_t ntls = 0;
	struct buf *tls = rpc_handover_tls_encode(d->handover, &ntls);
	if (!tls) {
		w.failed = true; /* finish frees what was written */
		upgrade_image_finish(&w, len);
		snprintf(err, errlen, "out of memory listing the TLS connections");
		return -ENOMEM;
	}
	/* Only when there are any: an image without it is one the release
	 * before reads too. */
	if (ntls) {
		upgrade_image_add(&w, UPGRADE_SECTION_TLS_CONNS, tls->data, tls->len);
		log_info("upgrade: %zu connection(s) in kernel TLS go over", ntls);
	}
	buf_unref(tls);
	/* The Kerberos contexts, so that their clients go on with them. */
	struct rpc_gss_server *gss = rpc_server_gss(d->srv);
	struct buf *contexts = NULL;
	unsigned left = 0;
	if (gss && rpc_gss_server_save(gss, &contexts, &left) == 0) {
		upgrade_image_add(&w, UPGRADE_SECTION_GSS, contexts->data, contexts->len);
		explicit_bzero(contexts->data, contexts->len);
	} else if (gss) {
		log_warn("upgrade: the RPCSEC_GSS contexts are not handed over (out of memory): "
			 "their clients make new ones");
	}
	if (left)
		log_info("upgrade: %u RPCSEC_GSS context(s) not handed over (being made, or "
			 "MIT's GSS-API could not export them): their clients make new ones",
			 left);
	buf_unref(contexts);
	/* The replies kept for retransmissions of v4.0 and v3 calls. */
	struct reply_cache caches[REPLY_CACHES];
	reply_caches(d, caches);
	for (size_t i = 0; i < REPLY_CACHES; i++) {
		struct buf *kept = NULL;
		if (caches[i].drc && rpc_drc_save(caches[i].drc, &kept) == 0)
			upgrade_image_add(&w, caches[i].kind, kept->data, kept->len);
		else if (caches[i].drc)
			log_warn("upgrade: a reply cache is not handed over (out of memory)");
		buf_unref(kept);
	}
	*img = upgrade_image_finish(&w, len);
	if (!*img) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Nothing is served until the upgrade ends: the locks the image
	 * carries leave this process's storage sessions, for the new ferryd
	 * to take in its own. */
	d->locks_handed = (struct export_backend_locks_which){.nfs4 = nfs4_carried,
							      .nlm = nlm_carried};
	size_t handed = export_backend_locks_release(&d->nfs.exports, d->nfs.state,
						     d->locks_handed);
	if (handed)
		log_info("upgrade: %zu lock range(s) held in back ends let go of for the new "
			 "ferryd",
			 handed);
	return 0;
}

/* A failed upgrade: the locks let go of for the new ferryd are this
 * process's again. */
static void upgrade_locks_back(struct ferryd *d)
{
	struct export_backend_locks_which w = d->locks_handed;
	d->locks_handed = (struct export_backend_locks_which){0};
	if (!w.nfs4 && !w.nlm)
		return;
	size_t taken, failed;
	char err[256];
	export_backend_locks_take(&d->nfs.exports, d->nfs.state, w, false, &taken, &failed, err,
				  sizeof(err));
	if (taken || failed)
		log_info("upgrade: %zu lock range(s) taken again in back ends, %zu lost", taken,
			 failed);
}

static void upgrade_thaw(void *arg, struct rpc_handover *h)
{
	struct ferryd *d = arg;
	handover_forget(d);
	upgrade_locks_back(d);
	nlm_nsm_pause(d->nlm, false);
	nfs4_dir_watches_resume(&d->nfs);
	state_server_pause(d->nfs.state, false);
	rpc_server_handover_thaw(d->srv, h);
	upgrade_nlm_udp_again(d);
	/* The new ferryd may have published its own storage clients as this
	 * head's: a take-over must fence this process's again. */
	if (d->cfg.cluster_node[0] && ctl_server_cluster_publish(d->ctl) != 0)
		log_warn("upgrade: cannot publish this head's addresses and storage clients "
			 "again");
}

static void upgrade_done(void *arg, struct rpc_handover *h)
{
	struct ferryd *d = arg;
	/* The new ferryd holds them now: closing the exports must not drop
	 * them. */
	nfs4_deleg_leases_leave(&d->nfs);
	handover_forget(d);
	rpc_server_handover_done(d->srv, h);
}

/* Hands over to binary (NULL: the one this process was started from).
 * One at a time; the main thread exits once it succeeded. */
static int upgrade_to(void *arg, const char *binary, struct ctl_upgrade_result *res)
{
	struct ferryd *d = arg;
	memset(res, 0, sizeof(*res));
	if (pthread_mutex_trylock(&d->upgrade_lock) != 0) {
		snprintf(res->err, sizeof(res->err), "an upgrade is under way already");
		return -EBUSY;
	}
	if (atomic_load(&d->handed_over)) {
		pthread_mutex_unlock(&d->upgrade_lock);
		snprintf(res->err, sizeof(res->err), "this ferryd handed over already");
		return -EBUSY;
	}
	struct upgrade_offer o = {
		.binary = binary && *binary ? binary : d->binary,
		.argv = d->argv,
		.control_fd = ctl_server_listen_fd(d->ctl),
	};
	/* The configured addresses, then those of heads taken over (which
	 * the control plane knows as bound; none without a control plane). */
	(void)ctl_server_listeners(d->ctl, o.listen, RPC_HANDOVER_LISTENERS_MAX);
	for (unsigned i = 0; i < d->cfg.nlisten; i++)
		o.listen[i] = d->cfg.listen[i];
	/* Test settings: an image the new ferryd cannot read, a new ferryd
	 * not ready in time. */
	const char *v = getenv("FERRY_TEST_UPGRADE_IMAGE_VERSION");
	o.image_version = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
	const char *ms = getenv("FERRY_TEST_UPGRADE_READY_MS");
	o.ready_ms = ms ? (unsigned)strtoul(ms, NULL, 10) : 0;
	struct upgrade_hooks hooks = {
		.arg = d,
		.freeze = upgrade_freeze,
		.image = upgrade_image,
		.thaw = upgrade_thaw,
		.done = upgrade_done,
	};
	log_info("upgrade: starting %s", o.binary);
	state_deleg_suspend(d->nfs.state, true, nfs4_deleg_carryable, &d->nfs);
	upgrade_await_handback(d);
	struct upgrade_result r;
	int rc = upgrade_run(&o, &hooks, &r);
	if (rc) {
		state_deleg_suspend(d->nfs.state, false, NULL, NULL);
		atomic_fetch_add(&d->upgrade_stats.failed, 1);
		log_error("upgrade: %s; serving on", r.err);
		snprintf(res->err, sizeof(res->err), "%s", r.err);
	} else {
		log_info("upgrade: pid %d serves now (%u listeners, %zu connections handed over, "
			 "%u TLS connections closed; %llu ms without reading a request)",
			 (int)r.pid, r.listeners, r.connections, r.closed_tls,
			 (unsigned long long)r.stall_ms);
		res->pid = (int)r.pid;
		res->stall_ms = r.stall_ms;
		res->connections = r.connections;
		res->listeners = r.listeners;
		res->tls_closed = r.closed_tls;
		atomic_store(&d->handed_over, true);
		/* The main thread exits, once the control plane has answered. */
		pthread_kill(d->main_thread, SIGUSR2);
	}
	pthread_mutex_unlock(&d->upgrade_lock);
	return rc;
}

/* A cluster head goes on as the same member: the node's instance is the
 * old process's (its heartbeat, records and place in the grace object
 * carry on).  Refused when one of the two is a cluster head and the
 * other is not, or they are different heads: that is a restart.  0, or
 * -1 with err. */
static int inherit_cluster(struct ferryd *d, char *err, size_t errlen)
{
	struct upgrade_cluster_section cs;
	bool had = upgrade_cluster_decode(upgrade_image_find(&d->image, UPGRADE_SECTION_CLUSTER),
					  &cs);
	if (!had && !d->cfg.cluster_node[0])
		return 0;
	if (!had || !d->cfg.cluster_node[0] || strcmp(cs.node, d->cfg.cluster_node) != 0) {
		const char *none = "(not a cluster head)";
		snprintf(err, errlen, "the [cluster] node changes from %s to %s: that takes a restart",
			 had ? cs.node : none, d->cfg.cluster_node[0] ? d->cfg.cluster_node : none);
		return -1;
	}
	d->nfs.cluster_instance = cs.instance;
	return 0;
}

/* A test setting that makes a ferryd started by an upgrade wait (name: a
 * number of milliseconds) before it does what: said in the log, and
 * unset, so the binary of this process's own next upgrade does not
 * inherit it. */
static void upgrade_test_delay(const char *name, const char *what)
{
	unsigned ms = test_setting_ms(name, what);
	if (!ms)
		return;
	usleep(ms * 1000u);
	unsetenv(name);
}

/* Started by an upgrade: what the ferryd before this one handed over,
 * its image checked.  -1 on failure (said to it: it serves on). */
static int inherit(struct ferryd *d)
{
	d->inherited.channel = -1;
	d->inherited.control_fd = -1;
	int ch = upgrade_channel_from_env();
	if (ch < 0)
		return 0;
	/* Test setting: a new ferryd slow to start (a CephFS mount can take
	 * seconds), the old one serving meanwhile. */
	upgrade_test_delay("FERRY_TEST_UPGRADE_START_DELAY_MS",
			   "the upgrade asks for the state that late");
	char err[512];
	if (upgrade_inherit(ch, &d->inherited, err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		return -1;
	}
	struct upgrade_image *img = &d->image;
	struct upgrade_server_section srv;
	if (upgrade_image_parse(d->inherited.image, d->inherited.image_len, img, err,
				sizeof(err)) != 0 ||
	    !upgrade_server_decode(upgrade_image_find(img, UPGRADE_SECTION_SERVER), &srv)) {
		if (img->version)
			snprintf(err, sizeof(err), "the state image has no server section");
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		upgrade_inherited_free(&d->inherited);
		return -1;
	}
	if (inherit_cluster(d, err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		upgrade_inherited_free(&d->inherited);
		return -1;
	}
	atomic_store(&d->upgrade_stats.done, srv.upgrades);
	log_info("upgrade: taking over (%u listeners, %zu connections, state image version %u)",
		 d->inherited.nlisteners, d->inherited.nconns, img->version);
	return 0;
}

/* The NFSv4 clients, sessions, opens and locks the ferryd before this one
 * had, made again before anything is served (their connections are bound
 * as they are adopted).  -1 on failure (said to it: it serves on). */
static int inherit_nfs4(struct ferryd *d)
{
	const struct upgrade_image_section *sec = inherited_section(d, UPGRADE_SECTION_NFS4);
	if (!sec) {
		if (d->inherited.channel >= 0)
			log_info("upgrade: no NFSv4 state handed over; its clients reclaim");
		return 0;
	}
	char err[512];
	if (state_carry_load(d->nfs.state, sec->data, sec->len, err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		return -1;
	}
	return 0;
}

/* The locks the carried state (NFSv4's and NLM's) has in back ends, taken
 * in this process's storage sessions before anything is served: the
 * ferryd before this one let go of them in its own.  One that cannot be
 * taken refuses the upgrade (the one before takes them again).  -1 then. */
static int inherit_backend_locks(struct ferryd *d)
{
	if (d->inherited.channel < 0)
		return 0;
	struct export_backend_locks_which all = {.nfs4 = true, .nlm = true};
	size_t taken, failed;
	char err[320];
	/* Test setting: the locks taken that much later, so that another
	 * client of the file system can take one first. */
	upgrade_test_delay("FERRY_TEST_UPGRADE_LOCKS_DELAY_MS",
			   "the upgrade takes the locks held in back ends that late");
	if (export_backend_locks_take(&d->nfs.exports, d->nfs.state, all, true, &taken, &failed,
				      err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		return -1;
	}
	d->locks_inherited = taken > 0;
	if (taken)
		log_info("upgrade: %zu lock range(s) taken in back ends", taken);
	return 0;
}

/* A new ferryd that gives up lets go of the locks it took, for the one
 * before it to take again. */
static void drop_inherited_locks(struct ferryd *d)
{
	if (!d->locks_inherited)
		return;
	d->locks_inherited = false;
	struct export_backend_locks_which all = {.nfs4 = true, .nlm = true};
	export_backend_locks_release(&d->nfs.exports, d->nfs.state, all);
}

/* A section of the image (what it holds) that did not decode (rc -EINVAL)
 * or could not be kept: said to the ferryd before this one, which serves
 * on.  -1 then, 0 for rc 0. */
static int section_refused(struct ferryd *d, const char *what, int rc)
{
	if (rc == 0)
		return 0;
	char err[128];
	snprintf(err, sizeof(err), "%s: %s", what,
		 rc == -EINVAL ? "they do not decode" : strerror(-rc));
	log_error("upgrade: %s", err);
	upgrade_refuse(&d->inherited, err);
	return -1;
}

/* The leases of the delegated files the NFSv4 state carries, checked
 * now and taken over once the ferryd before this one says go
 * (adopt_leases).  -1 on failure (said to it: it serves on). */
static int inherit_leases(struct ferryd *d)
{
	const struct upgrade_image_section *sec = inherited_section(d, UPGRADE_SECTION_LEASES);
	if (!sec)
		return 0;
	int rc = nfs4_deleg_leases_decode(sec->data, sec->len, d->inherited.files.n, &d->leases,
					  &d->nleases);
	return section_refused(d, "the leases of delegated files", rc);
}

/* The watches of delegated directories, checked now and taken over with
 * the leases (adopt_leases).  -1 on failure (said to it: it serves on). */
static int inherit_dir_watches(struct ferryd *d)
{
	const struct upgrade_image_section *sec =
		inherited_section(d, UPGRADE_SECTION_DIR_WATCHES);
	if (!sec)
		return 0;
	int rc = nfs4_dir_watches_decode(sec->data, sec->len, d->inherited.files.n,
					 &d->dir_watches);
	return section_refused(d, "the watches of delegated directories", rc);
}

/* The connections handed over in kernel TLS.  -1 on failure (said to
 * it: it serves on). */
static int inherit_tls_conns(struct ferryd *d)
{
	const struct upgrade_image_section *sec = inherited_section(d, UPGRADE_SECTION_TLS_CONNS);
	if (!sec)
		return 0;
	int rc = rpc_handover_tls_decode(sec->data, sec->len, d->inherited.nconns, &d->tls_conns);
	return section_refused(d, "the connections in kernel TLS", rc);
}

static int take_inherited_file(void *arg, size_t i)
{
	return upgrade_take_file(arg, i);
}

static void adopt_leases(struct ferryd *d)
{
	nfs4_deleg_leases_adopt(&d->nfs, d->leases, d->nleases, take_inherited_file,
				&d->inherited);
	free(d->leases);
	d->leases = NULL;
	d->nleases = 0;
	/* Also with no watch inherited: what is kept per delegated
	 * directory is made again for those the state carried. */
	nfs4_dir_watches_adopt(&d->nfs, &d->dir_watches, take_inherited_file, &d->inherited);
}

/* The replies the ferryd before this one kept for retransmissions of
 * NFSv4.0 and NFSv3 calls.  -1 on failure (said to it: it serves on). */
static int inherit_reply_caches(struct ferryd *d)
{
	struct reply_cache caches[REPLY_CACHES];
	reply_caches(d, caches);
	for (size_t i = 0; i < REPLY_CACHES; i++) {
		const struct upgrade_image_section *sec = inherited_section(d, caches[i].kind);
		char err[256];
		if (sec && caches[i].drc &&
		    rpc_drc_load(caches[i].drc, sec->data, sec->len, err, sizeof(err)) != 0) {
			log_error("upgrade: %s", err);
			upgrade_refuse(&d->inherited, err);
			return -1;
		}
	}
	return 0;
}

/* The RPCSEC_GSS contexts the ferryd before this one had: their handles,
 * windows and keys go on here.  -1 on failure (said to it: it serves on). */
static int inherit_gss(struct ferryd *d)
{
	const struct upgrade_image_section *sec = inherited_section(d, UPGRADE_SECTION_GSS);
	struct rpc_gss_server *gss = rpc_server_gss(d->srv);
	if (!sec)
		return 0;
	if (!gss) {
		log_warn("upgrade: RPCSEC_GSS contexts were handed over, but no export here lists "
			 "a krb5 flavour: they are dropped");
		return 0;
	}
	char err[256];
	unsigned n = 0;
	if (rpc_gss_server_load(gss, sec->data, sec->len, &n, err, sizeof(err)) != 0) {
		log_error("upgrade: %s", err);
		upgrade_refuse(&d->inherited, err);
		return -1;
	}
	log_info("upgrade: %u RPCSEC_GSS context(s) carried over", n);
	return 0;
}

/* After inherit, once the NFS server is set up: the clients' view of it
 * carries on. */
static void inherit_server(struct ferryd *d)
{
	struct upgrade_server_section srv;
	if (upgrade_server_decode(inherited_section(d, UPGRADE_SECTION_SERVER), &srv))
		memcpy(d->nfs.write_verifier, srv.write_verifier, sizeof(srv.write_verifier));
}

/* Serves until SIGINT or SIGTERM (returned), or until another ferryd took
 * over (SIGUSR2 returned); SIGHUP reloads the exports: clients, sessions
 * and connections stay, only options change.  SIGUSR2 upgrades in place
 * to the binary this one was started from. */
static int serve_until_stopped(struct ferryd *d)
{
	int sig = 0;
	for (;;) {
		if (sigwait(&d->sigs, &sig) != 0)
			continue;
		if (sig == SIGUSR2 && !atomic_load(&d->handed_over)) {
			log_info("received SIGUSR2; upgrading in place");
			struct ctl_upgrade_result res;
			(void)upgrade_to(d, NULL, &res);
			continue;
		}
		if (sig == SIGUSR2)
			return sig;
		if (sig != SIGHUP)
			return sig;
		char why[512];
		log_info("received SIGHUP; reloading the exports");
		sd_notify(0, "RELOADING=1");
		reload_exports(&d->reload, why, sizeof(why));
		sd_notify(0, "READY=1");
	}
}

/* Another ferryd serves the sockets, the clients and their records now
 * (this one handed over, or an upgrade that started this one was given
 * up): this one answers the control request that asked for it, lets go
 * of the file system (a CephFS client ends its session, giving back its
 * capabilities at once rather than when the MDS times it out) and exits,
 * leaving rpcbind, the state directory and the sockets as they are. */
static void stop_beside_running(struct ferryd *d, const char *said)
{
	drop_inherited_locks(d);
	free(d->leases); /* an upgrade given up: never taken over */
	d->leases = NULL;
	nfs4_dir_watches_free(&d->dir_watches);
	rpc_handover_tls_free(d->tls_conns, d->inherited.nconns);
	d->tls_conns = NULL;
	ctl_server_release_socket(d->ctl);
	for (int i = 0; i < 200 && ctl_server_requests(d->ctl) > 0; i++)
		usleep(10000);
	ctl_server_stop(d->ctl);
	nlm_udp_stop(d->nlm);
	rpc_server_stop(d->srv, 0);
	cb_engine_stop(d->nfs.cb);
	state_cluster_stop(d->nfs.state);
	rpc_server_destroy(d->srv);
	nfs3_server_fini(&d->nfs3);
	mount_server_destroy(d->mountd);
	nlm_destroy(d->nlm);
	nfs4_server_fini(&d->nfs);
	log_info("%s", said);
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
	/* No change of the exports once they start closing. */
	if (d->cluster_conf.cc)
		cluster_conf_stop(&d->cluster_conf);
	/* No NLM over UDP either once the server stops serving. */
	nlm_udp_stop(d->nlm);
	rpc_server_stop(d->srv, SHUTDOWN_DRAIN_MS);
	struct rpc_server_stats st;
	rpc_server_get_stats(d->srv, &st);
	/* Callbacks end before the rpc server they use goes. */
	cb_engine_stop(d->nfs.cb);
	/* No request runs any more: clients holding nothing need not be
	 * waited for after the restart. */
	state_records_forget_stateless(d->nfs.state);
	/* The cluster thread lists the RPC server's connections. */
	state_cluster_stop(d->nfs.state);
	rpc_server_destroy(d->srv);
	nfs3_server_fini(&d->nfs3);
	mount_server_destroy(d->mountd);
	/* Before the state it locks in goes. */
	nlm_destroy(d->nlm);
	nfs4_server_fini(&d->nfs);
	/* How large READ data left (splice_reads, map_reads): the rest of it
	 * was copied. */
	log_info("ferryd stopped after %llu calls on %llu connections (READ data: %llu bytes "
		 "spliced, %llu sent from mappings)",
		 (unsigned long long)st.calls, (unsigned long long)st.connections_accepted,
		 (unsigned long long)st.spliced_reply_bytes,
		 (unsigned long long)st.mapped_reply_bytes);
}

int main(int argc, char **argv)
{
	static struct ferryd d;

	int status = configure(&d.cfg, argc, argv);
	if (status >= 0)
		return status;
	block_signals(&d.sigs);
	raise_fd_limit();
	d.argv = argv;
	d.main_thread = pthread_self();
	pthread_mutex_init(&d.upgrade_lock, NULL);
	/* The path, not /proc/self/exe: a package upgrade puts the new binary
	 * there, and SIGUSR2 is to start that one. */
	ssize_t n = readlink("/proc/self/exe", d.binary, sizeof(d.binary) - 1);
	d.binary[n > 0 ? n : 0] = '\0';
	d.cfg.succeeds_running = upgrade_started();
	if (configure_cluster(&d) != 0 || prepare_dirs(&d.cfg) != 0 ||
	    nfs4_server_open_exports(&d.nfs, &d.cfg) != 0)
		return 1;
	/* Started by an upgrade: the old ferryd stops serving from here (its
	 * exports are open here already, a CephFS mounted), until this one
	 * serves. */
	if (inherit(&d) != 0)
		return 1;
	d.nfs.state_carried = inherited_section(&d, UPGRADE_SECTION_NFS4) != NULL;
	if (nfs4_server_start(&d.nfs, &d.cfg) != 0)
		return 1;
	inherit_server(&d);
	if (!(d.srv = rpc_create(&d.cfg)))
		return 1;
	/* Until this ferryd is ready, the sockets handed over are still the
	 * old one's too: a failed start must not shut them down. */
	rpc_server_share_sockets(d.srv, d.inherited.channel >= 0);
	if (add_nfs(&d) != 0 || add_mount(&d) != 0 || add_nlm(&d) != 0 || inherit_nfs4(&d) != 0 ||
	    inherit_backend_locks(&d) != 0 || inherit_leases(&d) != 0 ||
	    inherit_dir_watches(&d) != 0 || inherit_tls_conns(&d) != 0 ||
	    inherit_reply_caches(&d) != 0 || inherit_gss(&d) != 0 ||
	    listen_and_start(&d) != 0) {
		drop_inherited_locks(&d);
		rpc_server_destroy(d.srv);
		return 1;
	}
	control_context(&d);
	nlm_udp_start(&d);
	/* From here a cluster head's thread lists the RPC server's
	 * connections: it stops before that server goes. */
	if (announce(&d) != 0) {
		drop_inherited_locks(&d);
		state_cluster_stop(d.nfs.state);
		rpc_server_destroy(d.srv);
		return 1;
	}
	if (d.cluster_conf.cc && cluster_conf_start(&d.cluster_conf) != 0) {
		drop_inherited_locks(&d);
		state_cluster_stop(d.nfs.state);
		rpc_server_destroy(d.srv);
		return 1;
	}
	if (d.inherited.channel >= 0) {
		/* Test settings: a new ferryd that is late, or fails, when all
		 * but ready (a cluster head has joined and published by now). */
		upgrade_test_delay("FERRY_TEST_UPGRADE_READY_DELAY_MS",
				   "the upgrade says ready that late");
		if (getenv("FERRY_TEST_UPGRADE_FAIL_READY")) {
			log_error("upgrade: FERRY_TEST_UPGRADE_FAIL_READY is set: giving up before "
				  "ready (a test setting)");
			stop_beside_running(&d, "ferryd gave the upgrade up and stopped");
			return 1;
		}
		if (upgrade_ready(&d.inherited) != 0) {
			log_error("upgrade: the ferryd before this one gave up; it serves on");
			stop_beside_running(&d, "ferryd gave the upgrade up and stopped");
			return 1;
		}
		rpc_server_share_sockets(d.srv, false);
		d.locks_inherited = false; /* this ferryd's to keep now */
		/* Before a request can reach a delegation they cover. */
		adopt_leases(&d);
		/* Test setting: the connections taken that much later, so that a
		 * recall made on taking the leases comes first. */
		upgrade_test_delay("FERRY_TEST_UPGRADE_ADOPT_DELAY_MS",
				   "the upgrade takes the connections that late");
		adopt_inherited(&d);
		upgrade_inherited_free(&d.inherited);
	}
	int sig = serve_until_stopped(&d);
	if (sig == SIGUSR2) {
		stop_beside_running(&d, "ferryd handed over and stopped");
		return 0;
	}
	log_info("received %s; stopping", strsignal(sig));
	sd_notify(0, "STOPPING=1");
	shut_down(&d);
	return 0;
}
