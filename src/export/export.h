/* Exports and the pseudo file system that joins them.
 *
 * The pseudo file system is a read-only tree of directories made from the
 * exports' pseudo paths: PUTROOTFH lands at its root, and LOOKUP walks down
 * to the export roots.  An export at "/" is itself the root.
 *
 * Exports come and go while requests run (exports_reload), and requests
 * hold pointers to an export and to pseudo nodes without a lock.  So
 * nothing is freed before the exports close: the list of exports only
 * grows, a removed export is marked gone (its handles are stale from then
 * on, while a request already inside it finishes on its open back end),
 * and a pseudo node is never unlinked, only hidden while no export lives
 * at or below it. */
#ifndef FERRY_EXPORT_EXPORT_H
#define FERRY_EXPORT_EXPORT_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "core/config.h"
#include "core/siphash.h"
#include "rpc/rpc_msg.h"
#include "rpc/tls/tls.h"
#include "xdr/nfs4_prot.h"

enum export_squash {
	EXPORT_SQUASH_ROOT = 0, /* uid/gid 0 become the anonymous ids (default) */
	EXPORT_SQUASH_ALL,      /* everyone is anonymous */
	EXPORT_SQUASH_NONE,
};

/* What one client entry matches. */
enum export_match {
	EXPORT_MATCH_PREFIX,   /* an address or CIDR prefix (family, addr, prefix) */
	EXPORT_MATCH_IDENTITY, /* a TLS client certificate: cert:NAME, sha256:HEX */
	EXPORT_MATCH_ANYONE,   /* "*" */
	EXPORT_MATCH_HOST,     /* a host name: the addresses it had when the list was made */
	EXPORT_MATCH_WILDCARD, /* a name pattern (*.example.com): the client's own name */
};

struct export_cidr {
	enum export_match kind;
	int family; /* AF_INET or AF_INET6 (EXPORT_MATCH_PREFIX) */
	uint8_t addr[16];
	unsigned prefix;
};

/* A host name entry's addresses, looked up when its list is made. */
enum { EXPORT_HOST_ADDRS = 8 };
struct export_host_addrs {
	unsigned n;
	struct {
		int family;
		uint8_t addr[16];
	} a[EXPORT_HOST_ADDRS];
};

/* The options that decide what one client may do with an export: its
 * client entry's own (exports(5)'s per-host options) or the export's. */
struct export_opts {
	bool read_only;
	bool insecure; /* AUTH_SYS from any source port */
	enum export_squash squash;
	uint32_t anonuid, anongid;
	uint32_t sec, xprtsec; /* packed as core/config.h's lists */
};

struct pseudo_node;
/* The back-end hooks that report events of an export to the server
 * (backend_ops.lease_notify, backend_ops.dir_notify). */
enum export_watch_kind { EXPORT_WATCH_LEASE_BREAKS, EXPORT_WATCH_DIR_CHANGES, EXPORT_WATCH_KINDS };

/* The context such a hook is given: whoever watches (the NFSv4 server),
 * and the export by id. */
struct export_watch {
	void *owner;
	uint32_t export_id;
};

/* Who may use an export, and with which options.  Immutable once
 * published: a reload publishes a new list and keeps the old one until
 * the exports close, since a request may still be reading it.  Entries
 * are tried in order; the first that matches a client gives its options
 * when it has its own (bit k of own), else the export's do. */
struct export_client_list {
	struct export_client_list *retired; /* the list this one replaced */
	unsigned n;                       /* 0: every client */
	struct export_cidr v[CONFIG_MAX_CLIENTS];
	char text[CONFIG_MAX_CLIENTS][CONFIG_CLIENT_ENTRY_MAX]; /* as configured */
	uint32_t own;
	struct export_opts opts[CONFIG_MAX_CLIENTS];
	struct export_host_addrs hosts[CONFIG_MAX_CLIENTS]; /* EXPORT_MATCH_HOST entries */
	bool from_exports_file; /* the export came from an exports(5) file */
	bool fsid_root;         /* ... with fsid=0 (it is served as the pseudo root) */
};

struct export {
	uint32_t id; /* in file handles: pseudo path and root (export_roots.c) */
	char path[CONFIG_PATH_MAX];
	/* ceph back end: what the export was opened with (a reload may not
	 * change it). */
	char ceph_conf[CONFIG_PATH_MAX];
	char ceph_id[64];
	unsigned read_cache_mb;
	char pseudo[CONFIG_PATH_MAX];
	char name[64];
	/* The options a reload may change (exports_reload) while requests
	 * read them: each one atomic, so a request sees every option either
	 * before or after the reload (not necessarily all from the same side). */
	_Atomic bool read_only;
	_Atomic bool insecure; /* AUTH_SYS from any source port (knfsd's insecure) */
	/* The security flavours accepted, in SECINFO's order (packed as
	 * core/config.h's enum config_sec). */
	_Atomic uint32_t sec;
	/* The transports accepted (packed as enum config_xprtsec). */
	_Atomic uint32_t xprtsec;
	/* async = yes: replies to changes do not wait for them to be stable
	 * (export/durable.h). */
	_Atomic bool async;
	/* nfs3 = no: NFSv3 clients may not use it: the NFSv3 program refuses
	 * its handles (NFS3ERR_ACCES), MOUNT its root (MNT3ERR_ACCES). */
	_Atomic bool no_nfs3;
	/* secure_locks = no (knfsd's insecure_locks): an NLM lock or share
	 * needs no read access to its file (old clients send no credentials
	 * with their lock calls). */
	_Atomic bool insecure_locks;
	_Atomic enum export_squash squash;
	_Atomic uint32_t anonuid, anongid;
	_Atomic(struct export_client_list *) clients;
	const struct backend_ops *ops;
	struct backend_export *bex;
	/* The back end and the file system keep POSIX ACLs (the NFSv4 acl
	 * attribute, NFSACL): read at start-up. */
	bool acls;
	struct backend_handle root;
	struct backend_attr root_attr; /* at start-up: fileid of the root */
	struct pseudo_node *mount_point;
	/* Until when its name and attribute operations run on the worker
	 * pool (clock_now_ns; export_stall_note), the slow ones in a row on the
	 * loops, and whether that was logged. */
	_Atomic uint64_t slow_until_ns;
	_Atomic unsigned slow_strikes;
	_Atomic bool slow_logged;
	/* The contexts of its back end's hooks (exports_watch), NULL
	 * where the hook is not set. */
	struct export_watch *watch[EXPORT_WATCH_KINDS];
	/* Removed from the configuration: exports_find no longer finds it,
	 * so its handles are stale; it comes back if the same export (pseudo
	 * path, path, back end) is added again. */
	_Atomic bool gone;
};

/* A node is linked once, at the end of its parent's children (so that a
 * READDIR cookie, a child's position, keeps naming the same child) and
 * never unlinked: the links are atomic for the readers that walk them
 * while a reload adds nodes. */
struct pseudo_node {
	uint32_t id; /* stable: derived from the node's path; in file handles */
	char name[256];
	struct pseudo_node *parent;
	struct pseudo_node *_Atomic children; /* first child */
	struct pseudo_node *_Atomic sibling;
	struct export *_Atomic export; /* the export mounted here, or NULL */
	/* Exports that live at or below the node: 0 hides it (but the root). */
	_Atomic unsigned live;
	uint64_t fileid;
};

/* Whether a pseudo node is part of the tree now (some export lives at or
 * below it); readers skip the others. */
static inline bool pseudo_visible(const struct pseudo_node *n)
{
	return !n->parent || atomic_load_explicit(&((struct pseudo_node *)n)->live,
						  memory_order_acquire) > 0;
}

/* Exports ever opened in one run, gone ones included. */
enum { EXPORTS_SLOTS = 1024 };

/* A watch hook set on every export, and on those added later. */
typedef void export_watch_hook_fn(struct export *ex, struct export_watch *w);
struct exports_watching {
	void *owner;
	export_watch_hook_fn *hook;
	const char *lost;
};

struct exports {
	/* EXPORTS_SLOTS entries; the first count are set and stay set until
	 * the exports close (gone ones too): a reload stores an entry, then
	 * the count. */
	struct export **list;
	_Atomic unsigned count;
	struct pseudo_node *root;
	struct siphash_key fh_key; /* signs file handles; kept in the state dir */
	/* What an export opened by a reload needs of the configuration the
	 * exports were opened with. */
	char state_dir[CONFIG_PATH_MAX];
	char cluster_node[CONFIG_NAME_MAX];
	bool succeeds_running; /* while exports_open opens (backend_options) */
	struct exports_watching watching[EXPORT_WATCH_KINDS];
};

/* Entry i of the list, or NULL when it is gone or beyond the count. */
static inline struct export *exports_at(const struct exports *exps, unsigned i)
{
	if (i >= atomic_load_explicit(&((struct exports *)exps)->count, memory_order_acquire))
		return NULL;
	struct export *ex = exps->list[i];
	return atomic_load_explicit(&ex->gone, memory_order_acquire) ? NULL : ex;
}

/* How many entries exports_at may be asked for. */
static inline unsigned exports_slots_used(const struct exports *exps)
{
	return atomic_load_explicit(&((struct exports *)exps)->count, memory_order_acquire);
}

/* Opens every configured export and builds the pseudo tree.  Returns 0 or a
 * negative errno (logged). */
int exports_open(struct exports *exps, const struct ferry_config *cfg);
void exports_close(struct exports *exps);

/* Makes the served exports those of cfg, all or nothing, while requests
 * run: an export of the same pseudo path, path and back end has its
 * options (access, squash, anonymous ids, clients, ...) changed in place;
 * one that is new, or whose path or back end changed, is opened (before
 * anything changes: one that cannot be opened fails the reload) and
 * joins the pseudo tree; one no longer configured is gone (its handles
 * are stale).  0, or a negative errno with a message in err (-EINVAL: a
 * bad entry or pseudo path; -ENOSPC: EXPORTS_SLOTS used up, a restart
 * frees them).  Callers serialise reloads. */
int exports_reload(struct exports *exps, const struct ferry_config *cfg, char *err,
			size_t errlen);

/* What exports_reload would refuse of cfg, without changing anything:
 * the pseudo paths (nested, overlapping, "/" beside others), the client
 * lists, the back ends, and that each export not served now can be opened
 * (opened and closed again).  0, or a negative errno with a message. */
int exports_check(struct exports *exps, const struct ferry_config *cfg, char *err,
		       size_t errlen);

/* Gives each opened export (root and root_attr read) its id, from its
 * pseudo path and whether its root is the one recorded in
 * <state_dir>/export_roots at the last start, and records the roots.
 * 0 or a negative errno (logged). */
int export_roots_assign(struct export *const *list, unsigned n, const char *state_dir);

struct export *exports_find(struct exports *exps, uint32_t id);
struct pseudo_node *pseudo_find(struct exports *exps, uint32_t id);

/* A child of a pseudo directory by name, or NULL. */
struct pseudo_node *pseudo_lookup(struct pseudo_node *dir, const char *name);

/* The options that apply to the client at addr: those of the first
 * client entry that matches it when that entry has its own, else the
 * export's. */
void export_opts_of(const struct export *ex, const struct sockaddr_storage *addr,
		    struct export_opts *out);

/* Whether the client at addr may only read the export. */
bool export_read_only(const struct export *ex, const struct sockaddr_storage *addr);

/* The flavours the client at addr may use the export with, packed, in
 * SECINFO's order. */
uint32_t export_sec_for(const struct export *ex, const struct sockaddr_storage *addr);

/* ex's options for entry k of its list (or, k = -1, its own) as
 * `exportfs -v` shows them: "rw,sync,wdelay,root_squash,...".  The
 * text's length, as snprintf. */
int export_options_text(const struct export *ex, const struct export_client_list *cl, int k,
			char *out, size_t outlen);

/* Whether the client at addr, with peer's verified TLS client
 * certificate (NULL: none), may use the export. */
bool export_allows(const struct export *ex, const struct sockaddr_storage *addr,
			const struct rpc_tls_peer *peer);

/* Whether some export admits the client (who may keep state). */
bool exports_admit_any(const struct exports *exps, const struct sockaddr_storage *addr,
			    const struct rpc_tls_peer *peer);

/* Whether a caller with this credential flavor may use the export from
 * addr's source port: a `secure` export (the default) admits AUTH_SYS and
 * AUTH_NONE only from a reserved port (< 1024), which only a privileged
 * process on the client can bind, so that a user on an admitted client
 * cannot send a uid of their choosing.  Flavors that prove the identity
 * (RPCSEC_GSS) come from any port. */
bool export_port_ok(const struct export *ex, const struct sockaddr_storage *addr,
			 uint32_t flavor);

/* export_watch_hook_fn sets ex's back-end hook of one kind to report to
 * w, or clears it (w NULL). */

/* Gives every export whose back end has the hook of this kind a watch
 * context and sets the hook, and so for the exports a reload adds later;
 * one that cannot have a context (out of memory) is logged with what it
 * goes without (lost). */
void exports_watch(struct exports *exps, void *owner,
			enum export_watch_kind kind, export_watch_hook_fn *hook, const char *lost);

/* Clears the hook of this kind of every watched export, and frees its
 * context. */
void exports_unwatch(struct exports *exps, enum export_watch_kind kind,
			  export_watch_hook_fn *hook);

/* --- security flavours (RFC 8881 2.6.3) ------------------------------ */

/* The flavour a call was made under, as exports list them. */
enum config_sec export_cred_sec(const struct rpc_cred *rc);

/* Whether the export takes calls under rc's flavour from the client at addr. */
bool export_sec_ok(const struct export *ex, const struct sockaddr_storage *addr,
		   const struct rpc_cred *rc);

/* export_sec_ok for NLM: AUTH_SYS and AUTH_NONE are taken too where the
 * export lists a Kerberos flavour, as knfsd's lockd takes them: clients'
 * lock managers call with AUTH_SYS whatever the mount's flavour (Linux's
 * always does), so locks on a sec=krb5 mount would fail otherwise.  The
 * transport rule holds as for NFS. */
bool export_lock_sec_ok(const struct export *ex, const struct sockaddr_storage *addr,
			const struct rpc_cred *rc);

/* The flavours of the pseudo file system: every flavour some export
 * takes (a client must be able to walk to each export), in the order of
 * the first export that names it. */
uint32_t exports_pseudo_sec(const struct exports *exps);

/* The back-end identity for a caller at addr on this export, after
 * squashing. */
void export_cred(const struct export *ex, const struct sockaddr_storage *addr,
		 const struct rpc_cred *rc, struct backend_cred *out);

/* --- delegations a change meets ---------------------------------------- */

struct state_server;

/* Before a change to the entry name of directory dir of ex (a create
 * that may truncate, a rename onto it): the NFSv4 delegations of the
 * regular file it names, if any, are recalled (state_deleg_break, write;
 * clientid the caller's, 0 when it is not an NFSv4.1 client).  NFS4_OK
 * when there is no delegation at all, no such entry or it is not a
 * regular file (the change itself then says what it meets); else what
 * state_deleg_break says.  cred looks the name up. */
enum nfsstat4 export_deleg_break_name(struct state_server *st, struct export *ex,
				      const struct backend_cred *cred,
				      const struct backend_handle *dir, const char *name,
				      uint64_t clientid);

#endif
