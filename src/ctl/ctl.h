/* The control plane: an HTTP server on its own thread, off the data path.
 *
 *   GET  /metrics                      Prometheus text format
 *   GET  /api/v1/server                version, uptime, boot verifier, grace
 *   GET  /api/v1/listeners             address and minor-version range of each,
 *                                      and whether it serves MOUNT
 *   PUT  /api/v1/listeners/{index}     {"min_minor": 1, "max_minor": 1}
 *   GET  /api/v1/exports
 *   POST /api/v1/exports/reload        re-reads the config file's exports
 *   GET  /api/v1/clients
 *   DELETE /api/v1/clients/{clientid}  evicts a client (hex id, as listed)
 *   GET  /api/v1/sessions
 *   GET  /api/v1/connections           open connections and their sessions
 *   GET  /api/v1/mounts                MOUNT's mount list (client, path, when)
 *                                      and its call counters
 *   POST /api/v1/upgrade               {"binary": "/path"} (optional): hands
 *                                      the sockets and state to that ferryd
 *                                      (by default the binary this one was
 *                                      started from) and exits; on failure
 *                                      this one serves on (409 with why)
 *   GET  /api/v1/cluster               clustered heads: members, epochs, grace
 *   POST /api/v1/cluster/takeover      {"node": "a"}: take over failed head a
 *   POST /api/v1/cluster/remove        {"node": "a"}: a will not come back
 *   GET  /api/v1/cluster/config        the cluster's configuration in RADOS
 *                                      ([cluster] config = rados): its text and
 *                                      version, and what this head applied
 *   POST /api/v1/cluster/config/exports  {"name": "n", "options": {"path": ...}}
 *   PATCH /api/v1/cluster/config/exports/{name}  {"options": {"access": "ro"}}
 *   DELETE /api/v1/cluster/config/exports/{name}
 *                                      add, change ("" removes a key) and remove
 *                                      an export of it: checked whole as a head
 *                                      would apply it (400 with the reason, and
 *                                      nothing written), then written and every
 *                                      head told
 *
 * Anything but GET needs "Authorization: Bearer TOKEN", TOKEN being the
 * contents of the token file ferryd creates (0600) in its state directory;
 * a GET needs it too when the peer is not on loopback (a unix socket
 * counts as loopback).  Errors are JSON
 * {"error": "..."} with a 4xx status; a change is checked whole before any
 * of it is applied.
 *
 * The control thread reads counters the request path keeps (per-thread op
 * counters summed here, atomics) and takes the state locks only as long as
 * a snapshot needs them: a scrape never makes a request wait on it. */
#ifndef FERRY_CTL_CTL_H
#define FERRY_CTL_CTL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "state/state.h"

struct nfs4_server;
struct nlm_service;
struct nfs3_server;
struct rpc_server;
struct ctl_server;

/* The MOUNT program's mount list and counters, through hooks ferryd
 * sets (the control plane does not use the mount module itself). */
enum { CTL_MOUNT_PROCS = 6, CTL_MOUNT_OUTCOMES = 6 };
struct ctl_mount_entry {
	char host[64];
	char path[1025];
	int64_t when; /* seconds since the epoch */
};
struct ctl_mount_stats {
	uint64_t calls[CTL_MOUNT_PROCS];   /* by procedure: NULL, MNT, ..., EXPORT */
	uint64_t mnt[CTL_MOUNT_OUTCOMES];  /* MNT's results */
	uint64_t garbage_args, list_full, entries;
};
struct ctl_mount_hooks {
	/* The list in a malloc'd array the caller frees; 0 or -ENOMEM. */
	int (*list)(void *arg, struct ctl_mount_entry **out, size_t *n);
	void (*stats)(void *arg, struct ctl_mount_stats *out);
	/* The label of each procedure and each MNT result. */
	const char *proc_names[CTL_MOUNT_PROCS];
	const char *outcome_names[CTL_MOUNT_OUTCOMES];
	void *arg;
};

/* The cluster's configuration in RADOS ([cluster] config = rados), through
 * hooks ferryd sets, and what this head made of it (written by ferryd,
 * read by /metrics and the API). */
struct ctl_cluster_config {
	/* The text (malloc'd) and its version; 0 or a negative errno with a
	 * message in err. */
	int (*show)(void *arg, char **text, uint64_t *version, char *err, size_t errlen);
	/* An edit of [export name] (config_text_edit), checked whole as a
	 * head would apply it, written if the object is still at the version
	 * read (read and checked again if not), and every head told.  0 with
	 * the new version; -EINVAL when the edit is refused (err says why:
	 * nothing was written); another negative errno when RADOS failed. */
	int (*edit)(void *arg, enum config_edit_op op, const char *name, const char *const *keys,
		    const char *const *values, unsigned n, uint64_t *version, char *err,
		    size_t errlen);
	void *arg;
	_Atomic uint64_t version; /* of the configuration applied */
	_Atomic bool ok;          /* the last one read was applied */
	_Atomic uint64_t errors;  /* reads that could not be read, parsed or applied */
	_Atomic uint64_t applied; /* configurations applied, the first one included */
};

/* What an upgrade did (struct ctl_context.upgrade). */
struct ctl_upgrade_result {
	int pid;            /* the new ferryd's */
	uint64_t stall_ms;  /* no request read meanwhile */
	uint64_t connections, listeners, tls_closed;
	char err[512];
};

/* Upgrades counted for /metrics: done (carried over from each ferryd to
 * the next) and failed (in this process). */
struct ctl_upgrade_stats {
	_Atomic uint64_t done, failed;
};

/* What the control plane serves.  Everything pointed to outlives the
 * control server (ctl_server_stop first). */
struct ctl_context {
	struct nfs4_server *nfs;
	struct nlm_service *nlm; /* NULL: no NLM program */
	struct nfs3_server *nfs3; /* NULL: no NFSv3 program */
	struct rpc_server *rpc;
	const struct ferry_config *cfg;
	/* The listeners as bound ("127.0.0.1:2049"), in rpc_server_listen order
	 * (a take-over adds to them). */
	char listeners[CONFIG_MAX_LISTEN][128];
	unsigned nlisteners;
	/* Re-reads and applies the exports (the same as SIGHUP); 0, or a
	 * negative errno with a message in err.  NULL: reload unsupported. */
	int (*reload_exports)(void *arg, char *err, size_t errlen);
	void *reload_arg;
	/* Hands over to binary (NULL: the one this ferryd was started from);
	 * 0 when the new ferryd serves, else a negative errno with res->err.
	 * NULL: upgrades unsupported. */
	int (*upgrade)(void *arg, const char *binary, struct ctl_upgrade_result *res);
	void *upgrade_arg;
	struct ctl_upgrade_stats *upgrade_stats; /* NULL: none */
	/* NULL: MOUNT is not served. */
	const struct ctl_mount_hooks *mount;
	/* NULL: the exports are not the cluster's configuration. */
	struct ctl_cluster_config *cluster_config;
	/* What the cluster's heartbeat publishes of this head's connections
	 * (ctl_cluster_publish sets it). */
	struct state_cluster_conns_source conns_source;
	/* Where the cluster thread tells the other heads' addresses, which
	 * this head holds ahead (ctl_cluster_publish sets it). */
	struct state_cluster_peers_sink peers_sink;
};

/* Largest request body accepted (413 beyond it). */
enum { CTL_MAX_BODY = 16384 };

/* Binds listen ("HOST:PORT", port 0 picks one; or "unix:/PATH", a socket
 * file of mode 0600 removed at stop), creates or reads the
 * token file and starts the control thread.  *bound gets the address
 * actually bound.  NULL on failure, with a message in err. */
/* A clustered head tells the cluster the addresses it serves, as bound
 * (ctx->listeners: its own and those it took over, which a head taking
 * it over in turn will listen on), and its exports' storage clients (what
 * that head blocklists first); from then on the heartbeat publishes
 * its client connections too, which that head resets.  0 or a negative
 * errno (logged). */
int ctl_cluster_publish(struct ctl_context *ctx);
/* ctl_cluster_publish on the control plane's own context, which has the
 * addresses taken over since it started.  0 or a negative errno. */
int ctl_server_cluster_publish(struct ctl_server *cs);
/* The listeners' addresses as the control plane serves them (those a
 * take-over added included), pointers into cs, at most max; how many. */
unsigned ctl_server_listeners(const struct ctl_server *cs, const char *out[], unsigned max);

struct ctl_server *ctl_server_start(const struct ctl_context *ctx, const char *listen,
				    const char *token_path, char *bound, size_t boundlen,
				    char *err, size_t errlen);

/* Stops the thread (requests under way finish) and frees the server. */
void ctl_server_stop(struct ctl_server *cs);

/* The same, on a listening socket handed over by the ferryd this one
 * replaces (taken; listen is what the configuration says, for its unix
 * socket's path). */
struct ctl_server *ctl_server_start_on(const struct ctl_context *ctx, int fd, const char *listen,
				       const char *token_path, char *bound, size_t boundlen,
				       char *err, size_t errlen);
/* The listening socket (for a handover; still the server's). */
int ctl_server_listen_fd(const struct ctl_server *cs);
/* Requests being answered now. */
unsigned ctl_server_requests(struct ctl_server *cs);
/* The socket was handed over: the server stops accepting on it and lets
 * go of it without shutting it down; ctl_server_stop leaves its file in
 * place.  Requests already begun are answered. */
void ctl_server_release_socket(struct ctl_server *cs);

/* Reads the token in path (created by ferryd) into tok (NUL-terminated,
 * whitespace trimmed).  0 or a negative errno. */
int ctl_token_read(const char *path, char *tok, size_t toklen);

/* Makes sure path holds a token: reads it, or writes a fresh random one
 * with mode 0600.  0 or a negative errno. */
int ctl_token_ensure(const char *path, char *tok, size_t toklen);

enum { CTL_TOKEN_MAX = 128 };

#endif
