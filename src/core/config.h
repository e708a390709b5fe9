/* Server configuration: built-in defaults, then an INI file (--config), then
 * command-line flags, later ones overriding earlier ones.
 *
 * File format (parsed by libinih):
 *
 *   [server]
 *   listen = 127.0.0.1:2049        ; may repeat; ",minor=A-B" after the
 *                                   ; address limits that listener's
 *                                   ; NFSv4 minor versions (e.g. minor=0-0);
 *                                   ; ",v3=no" serves no NFSv3 there
 *                                   ; ",mount=no" serves no MOUNT there
 *   state_dir = /var/lib/ferry      ; made 0700; must not be group/world-writable
 *                                   ; nor inside an export (it holds fh.key)
 *   log_level = info
 *   event_loops = 0                 ; 0: one per CPU
 *   workers = 8                     ; threads for requests that may block
 *   remote_workers = 32             ; threads for name and attribute changes on
 *                                   ; exports whose back end waits on a server for
 *                                   ; them (ceph), started by the first; 0: those
 *                                   ; go to the workers
 *   rpcbind = yes                   ; register with a local rpcbind if one runs
 *   mount = yes                     ; serve MOUNT (program 100005) on the listeners
 *   exports = /etc/exports          ; a knfsd exports(5) file read for more
 *                                   ; exports (unset: none is read)
 *   keytab = /etc/krb5.keytab       ; RPCSEC_GSS: the server's keys (nfs/HOST@REALM),
 *                                   ; read when an export lists a krb5 flavour
 *   gss_max_contexts = 8192         ; RPCSEC_GSS contexts at once; one more drops
 *                                   ; the least recently used
 *   gss_context_idle = 3600         ; seconds: an idle context is dropped
 *   min_minor = 0                   ; NFSv4 minor versions accepted (0..2)
 *   max_minor = 2
 *
 *   [rpc]
 *   max_record_size = 1056768
 *   max_inflight_per_conn = 128
 *   idle_timeout = 360              ; seconds; 0 disables; also closes a
 *                                   ; connection that reads no reply that long
 *   inflight_memory_mb = 256        ; requests served and replies built or queued,
 *                                   ; all connections: past it large replies
 *                                   ; (READ, READDIR) get NFS4ERR_DELAY
 *   inflight_memory_per_conn_mb = 16 ; the same per connection: past it the
 *                                   ; connection is not read, and its large
 *                                   ; replies wait, until it drains
 *   max_connections = 4096          ; client connections open at once; 0: no limit
 *   max_connections_per_client = 128 ; the same from one address; 0: no limit
 *                                   ; (past either: accepted and closed at once)
 *   splice_pipes = 256              ; pipes for large READ/WRITE data moved
 *                                   ; without copying it (two descriptors
 *                                   ; each); 0: copy every byte
 *   splice_reads = remote           ; which large READ replies are spliced:
 *                                   ; remote (to peers on other hosts),
 *                                   ; always or never
 *   map_reads = yes                 ; large READ data not spliced is sent
 *                                   ; from a mapping of the file (one copy,
 *                                   ; the kernel's); no: read, then sent
 *   local_congestion_control = cubic ; TCP congestion control of connections
 *                                   ; with clients on this host (loopback or
 *                                   ; this host's own address), whose packets
 *                                   ; cross no network; "system": the
 *                                   ; system's (net.ipv4.tcp_congestion_control)
 *
 *   [export NAME]                   ; one section per export
 *   path = /srv/data
 *   pseudo = /data                  ; default "/" + basename(path)
 *   access = rw                     ; rw or ro
 *   squash = root                   ; root (default), all or none
 *   secure = yes                    ; AUTH_SYS/AUTH_NONE only from source ports
 *                                   ; below 1024 (as knfsd's secure); "no" (or
 *                                   ; "insecure = yes", knfsd's insecure) admits
 *                                   ; any port: any local user could then claim
 *                                   ; any uid
 *   sec = krb5p:krb5i:krb5:sys      ; security flavours accepted, in the order
 *                                   ; SECINFO offers them (knfsd's spelling):
 *                                   ; none, sys, krb5, krb5i, krb5p; default
 *                                   ; sys:none.  A call under another flavour
 *                                   ; gets NFS4ERR_WRONGSEC.  krb5* need keys
 *                                   ; ([server] keytab)
 *   xprtsec = mtls:tls:none         ; transports accepted (knfsd's words): none
 *                                   ; (plain TCP), tls (TLS without a client
 *                                   ; certificate), mtls (TLS with a verified
 *                                   ; client certificate); default all three.
 *                                   ; A call over another gets NFS4ERR_WRONGSEC
 *   nfs3 = yes                      ; NFSv3 clients may use it (no: NFS3ERR_ACCES)
 *   anonuid = 65534
 *   anongid = 65534
 *   clients = 127.0.0.0/8, ::1      ; CIDR list; default: every client.  Also
 *                                   ; cert:NAME (a verified client certificate
 *                                   ; naming NAME in its subjectAltName or CN)
 *                                   ; and sha256:HEX (its fingerprint), * (every
 *                                   ; client), a host name (its addresses, looked
 *                                   ; up when the exports load) and a wildcard
 *                                   ; like *.example.com (the client's name by
 *                                   ; reverse lookup, confirmed forward)
 *   backend = local                 ; local or memory
 *   read_cache_mb = 128             ; ceph backend only: file data ferryd keeps in
 *                                   ; memory for large READs of data read before,
 *                                   ; coherent with other CephFS clients through
 *                                   ; read delegations; 0: none (a local export's
 *                                   ; reads use the kernel's page cache)
 *   memory_latency_us = 0           ; tests and benchmarks, memory backend only:
 *                                   ; each name or attribute change/lookup
 *                                   ; sleeps this long (a slow disk)
 *   attr_cache = yes                ; local backend: listings take unchanged files'
 *                                   ; attributes from a cache kept exact by a
 *                                   ; fanotify filesystem mark (needs
 *                                   ; CAP_SYS_ADMIN; without it, or "no", every
 *                                   ; listing reads them from the file system).
 *                                   ; Read when the export opens.
 *
 *   A knfsd exports(5) file adds exports too ([server] exports = FILE or
 *   --exports FILE; core/exports_file.h): each host pattern of a line is
 *   a client entry with its own options (struct config_client_opts).
 *
 *   [nfs]
 *   lease_time = 90                 ; seconds
 *   grace_time = 90                 ; seconds after a restart, at most: ends when
 *                                   ; every v4.1 client of the records reclaimed
 *   owner_domain = localdomain      ; for "user@domain" owner strings
 *   session_slots = 64              ; v4.1 fore-channel slots offered per session
 *   reply_cache_mb = 64             ; v4.1 reply caches, all sessions together
 *   callback_timeout_ms = 5000      ; a callback without a reply by then failed
 *   callback_retry_ms = 5000        ; first backoff between callback attempts (doubles);
 *                                   ; a v4.0 path that is down is probed again after
 *                                   ; this long (at most 1 s), then doubling
 *   callback_retries = 3            ; attempts with backoff before the path is down
 *   delegations = readwrite         ; off, read or readwrite
 *   max_delegations = 0             ; all clients together; 0: no limit
 *   max_delegations_per_client = 0  ; 0: no limit (directory delegations count too)
 *   dir_delegations = yes           ; GET_DIR_DELEGATION grants (v4.1)
 *   max_dir_delegations = 0         ; all clients together; 0: no limit
 *   dir_notify_window_ms = 50       ; changes gathered into one CB_NOTIFY per holder
 *   dir_notify_max_changes = 4096   ; a holder with more waiting is recalled
 *   dir_notify_slow_ms = 1000       ; ... and one slower to answer a CB_NOTIFY
 *                                   ; while changes wait
 *   dir_attr_delay_max_ms = 1000    ; longest attribute-notification delay granted
 *   copy_sync_max = 33554432        ; COPY: bytes copied before the reply at most
 *                                   ; (larger: asynchronous, CB_OFFLOAD)
 *   copy_max_per_client = 16        ; asynchronous copies kept per client
 *   copy_rate_mb = 0                ; MiB/s per copy; 0: no limit
 *   max_clients = 16384             ; client records (0: no limit, as the caps below);
 *                                   ; past it EXCHANGE_ID gets NFS4ERR_DELAY,
 *                                   ; SETCLIENTID NFS4ERR_RESOURCE
 *   max_sessions_per_client = 16    ; past it CREATE_SESSION gets NFS4ERR_NOSPC
 *   state_memory_mb = 0             ; all clients' opens, locks, owners, delegations
 *                                   ; together (0: an eighth of the machine's memory);
 *                                   ; past it OPEN / LOCK get NFS4ERR_RESOURCE (v4.0)
 *                                   ; or NFS4ERR_DELAY (v4.1)
 *   client_state_share = 50         ; percent of it one client may hold
 *   max_open_owners_per_client = 0  ; further caps by count, with the same errors
 *   max_opens_per_client = 0        ; (0: none but the memory above)
 *   max_lock_owners_per_client = 0
 *   max_locks_per_client = 0        ; byte ranges held, and lock stateids
 *
 *   [nlm]                           ; the NLM v4 lock manager (NFSv3 clients)
 *   nsm = yes                       ; monitor client hosts through the local
 *                                   ; rpc.statd (SM_MON) and hear of their reboots
 *   unmon_delay_ms = 30000          ; a host holding nothing is unmonitored this late
 *   sm_notify = /usr/sbin/sm-notify ; run with -f at a start after NLM hosts held
 *                                   ; locks, so they reclaim (with nsm = yes)
 *   statd_dir = /var/lib/nfs        ; sm-notify's -P (statd's directory; unset:
 *                                   ; sm-notify's default)
 *
 *   [tls]                           ; RPC-with-TLS (RFC 9289); without this
 *                                   ; section no client is offered TLS
 *   cert = /etc/ferry/server.pem    ; PEM: the server's certificate (chain)
 *   key = /etc/ferry/server.key     ; PEM: its private key
 *   client_ca = /etc/ferry/ca.pem   ; PEM: CAs that sign client certificates
 *                                   ; (mutual TLS); unset: none is asked for
 *   handshake_timeout = 10          ; seconds a handshake may take
 *                                   ; (a reload re-reads the files)
 *
 *   [cluster]                       ; several heads on one CephFS (man 5 ferryd.conf)
 *   node = head-1                   ; this head's name, unique in the cluster
 *   rados_conf = /etc/ceph/ceph.conf
 *   rados_id = ferry
 *   rados_pool = ferry
 *   rados_namespace =
 *   config = file                   ; or rados: the [export NAME] sections and
 *                                   ; [nfs] are read from RADOS object "config"
 *                                   ; of that pool and namespace (this syntax,
 *                                   ; those sections only; config_load_text),
 *                                   ; not from this file, and applied live when
 *                                   ; it changes (ferryctl export add|set|remove)
 *
 *   [control]                       ; the HTTP control plane (/metrics, /api/v1)
 *   listen = 127.0.0.1:9590         ; HOST:PORT, unix:/PATH or none; default port 9590
 *                                   ; (NFS-Ganesha's exporter has 9587)
 *   token_file = STATE_DIR/control.token ; bearer token for writes (0600)
 */
#ifndef FERRY_CORE_CONFIG_H
#define FERRY_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

enum {
	CONFIG_MAX_LISTEN = 16,
	CONFIG_MAX_EXPORTS = 64,
	CONFIG_PATH_MAX = 4096,
	CONFIG_NAME_MAX = 128, /* a [cluster] name: node, RADOS id, pool, namespace */
	CONFIG_MAX_CLIENTS = 32,
	/* One entry of an export's clients: an address or prefix, or
	 * "cert:" and a certificate name, or "sha256:" and 64 hex digits. */
	CONFIG_CLIENT_ENTRY_MAX = 144,
	CONFIG_CONTROL_PORT = 9590, /* the control plane's default port */
	CONFIG_READ_CACHE_MB_DEFAULT = 128, /* a ceph export's read_cache_mb */
	CONFIG_CONGESTION_NAME_MAX = 16, /* Linux's TCP_CA_NAME_MAX, with its NUL */
};

/* Which file delegations the server grants. */
enum config_delegations { CONFIG_DELEG_OFF = 0, CONFIG_DELEG_READ = 1, CONFIG_DELEG_READWRITE = 2 };

enum config_squash { CONFIG_SQUASH_ROOT = 0, CONFIG_SQUASH_ALL, CONFIG_SQUASH_NONE };

/* An export's security flavours, in order, packed 4 bits each from the
 * lowest: the first is sec & 0xf, a 0 ends the list. */
enum config_sec {
	CONFIG_SEC_END = 0,
	CONFIG_SEC_NONE,  /* AUTH_NONE */
	CONFIG_SEC_SYS,   /* AUTH_SYS */
	CONFIG_SEC_KRB5,  /* RPCSEC_GSS, Kerberos 5, authentication */
	CONFIG_SEC_KRB5I, /* ... and integrity */
	CONFIG_SEC_KRB5P, /* ... and privacy */
	CONFIG_SEC_KINDS
};
/* The default: AUTH_SYS, then AUTH_NONE. */
#define CONFIG_SEC_DEFAULT ((uint32_t)CONFIG_SEC_SYS | (uint32_t)CONFIG_SEC_NONE << 4)

/* The flavour's name in a configuration ("krb5i"). */
const char *config_sec_name(enum config_sec s);
/* True when the packed list names a krb5 flavour. */
bool config_sec_has_krb5(uint32_t sec);

/* An export's transports (enum rpc_xprtsec's values), in order, packed 4
 * bits each as the flavours are. */
enum config_xprtsec {
	CONFIG_XPRTSEC_END = 0,
	CONFIG_XPRTSEC_NONE,
	CONFIG_XPRTSEC_TLS,
	CONFIG_XPRTSEC_MTLS,
	CONFIG_XPRTSEC_KINDS
};
#define CONFIG_XPRTSEC_DEFAULT                                                          \
	((uint32_t)CONFIG_XPRTSEC_NONE | (uint32_t)CONFIG_XPRTSEC_TLS << 4 |                \
	 (uint32_t)CONFIG_XPRTSEC_MTLS << 8)
const char *config_xprtsec_name(enum config_xprtsec x);

/* The options one host pattern of an exports(5) line gives its clients:
 * what a client entry with options of its own applies instead of the
 * export's. */
struct config_client_opts {
	bool read_only;
	bool insecure;
	enum config_squash squash;
	uint32_t anonuid, anongid;
	uint32_t sec, xprtsec; /* packed, as the export's */
};

struct config_export {
	char name[64];
	char path[CONFIG_PATH_MAX];
	char pseudo[CONFIG_PATH_MAX];
	bool read_only;
	enum config_squash squash;
	bool insecure; /* AUTH_SYS from any source port, not only reserved ones */
	uint32_t sec;  /* the flavours accepted, packed (enum config_sec) */
	uint32_t xprtsec; /* the transports accepted, packed (enum config_xprtsec) */
	bool async;    /* replies to changes do not wait for stable storage */
	bool no_nfs3;  /* nfs3 = no: NFSv3 clients may not use it */
	bool insecure_locks; /* secure_locks = no: NLM locks without read access */
	uint32_t anonuid, anongid;
	char clients[CONFIG_MAX_CLIENTS][CONFIG_CLIENT_ENTRY_MAX]; /* as written, checked by the NFS layer */
	unsigned nclients;
	/* Client k has options of its own (bit k set) in client_opts[k]:
	 * exports(5)'s per-host options; the export's fields above then
	 * hold the first host's, for logs and listings. */
	uint32_t client_own_opts;
	struct config_client_opts client_opts[CONFIG_MAX_CLIENTS];
	/* Read from an exports(5) file, at this line (0: an [export NAME]
	 * section or --export); fsid=0 (or fsid=root) was given. */
	unsigned exports_line;
	bool fsid_root;
	/* mp: served only while its path is a mount point (checked when the
	 * exports file is read, at start and at each reload). */
	bool need_mountpoint;
	char backend[16];
	unsigned memory_latency_us; /* memory back end: injected latency */
	unsigned read_cache_mb;	    /* ceph back end: READ data kept in memory */
	/* ceph back end: the cluster's configuration file and the client id
	 * ("" : the back end's defaults). */
	char ceph_conf[CONFIG_PATH_MAX];
	char ceph_id[64];
	bool no_attr_cache;         /* attr_cache = no (local back end) */
};

/* The highest NFSv4 minor version a configuration may name (the NFSv4
 * layer serves each one up to it: NFS4_MINOR_HIGHEST). */
enum { CONFIG_MINOR_HIGHEST = 2 };

struct ferry_config {
	char listen[CONFIG_MAX_LISTEN][128];
	/* Per listener: its own minor-version range, or -1 for the server's. */
	int listen_minor_min[CONFIG_MAX_LISTEN], listen_minor_max[CONFIG_MAX_LISTEN];
	/* Per listener: ",v3=no" (NFSv3 not served there). */
	bool listen_no_v3[CONFIG_MAX_LISTEN];
	unsigned nlisten;
	struct config_export exports[CONFIG_MAX_EXPORTS];
	unsigned nexports;
	char state_dir[CONFIG_PATH_MAX];
	char keytab[CONFIG_PATH_MAX]; /* "" : the default keytab */
	/* [tls]: cert and key set: STARTTLS is offered. */
	char tls_cert[CONFIG_PATH_MAX], tls_key[CONFIG_PATH_MAX], tls_client_ca[CONFIG_PATH_MAX];
	unsigned tls_handshake_timeout_s;
	unsigned gss_max_contexts, gss_context_idle_s;
	char port_file[CONFIG_PATH_MAX]; /* written with the bound port(s) */
	enum log_level log_level;
	unsigned event_loops;
	unsigned workers;
	unsigned remote_workers;
	uint32_t max_record_size;
	unsigned max_inflight_per_conn;
	unsigned idle_timeout_s;
	unsigned inflight_memory_mb, inflight_memory_per_conn_mb;
	unsigned max_connections, max_connections_per_client;
	unsigned splice_pipes;
	unsigned splice_reads; /* enum rpc_splice_reads, in its order */
	bool map_reads;
	/* [rpc] local_congestion_control: "" for "system". */
	char local_congestion[CONFIG_CONGESTION_NAME_MAX];
	bool rpcbind;
	/* [server] mount: the MOUNT program (NFSv3 clients' way to an export
	 * root) on the listeners that do not say mount=no. */
	bool mount;
	/* Per listener: ",mount=no" serves no MOUNT program there. */
	bool listen_no_mount[CONFIG_MAX_LISTEN];
	unsigned lease_time_s;
	unsigned grace_time_s;
	char owner_domain[128];
	unsigned min_minor, max_minor;
	unsigned session_slots;
	unsigned reply_cache_mb;
	unsigned callback_timeout_ms, callback_retry_ms, callback_retries;
	uint64_t copy_sync_max;
	unsigned copy_max_per_client, copy_rate_mb;
	/* [nlm]: NSM through the local rpc.statd (nsm), how long a host that
	 * holds nothing stays monitored, and what a restart runs to have the
	 * last run's NLM hosts notified (with nsm; statd_dir: its -P, "" :
	 * sm-notify's default); udp: NLM over UDP too, on each listener
	 * that serves it over TCP. */
	bool nlm_nsm, nlm_udp;
	unsigned nlm_unmon_delay_ms;
	char nlm_statd_dir[CONFIG_PATH_MAX];
	char nlm_sm_notify[CONFIG_PATH_MAX];
	/* [control]: "" means none (disabled); control_explicit says whether
	 * the address came from the file or a flag rather than the default
	 * (a default that cannot bind is not fatal). */
	char control_listen[128];
	bool control_explicit;
	char control_token_file[CONFIG_PATH_MAX]; /* "" : STATE_DIR/control.token */
	char config_path[CONFIG_PATH_MAX];        /* the --config file, for reloads */
	/* The exports(5) file ([server] exports or --exports; "" : none),
	 * read by config_finish, and whether --exports named it (a reload
	 * rebuilds the configuration from the file, which does not). */
	char exports_file[CONFIG_PATH_MAX];
	bool exports_file_from_cli;
	bool exports_from_cli;                    /* --export given: the file's are not used */
	enum config_delegations delegations;
	unsigned max_delegations, max_delegations_per_client;
	bool dir_delegations;
	unsigned max_dir_delegations, dir_notify_window_ms, dir_notify_max_changes,
		dir_notify_slow_ms, dir_attr_delay_max_ms;
	/* [cluster]: several heads on one CephFS.  cluster_node "" : no
	 * cluster (stable records in the state directory); else the records
	 * are on RADOS object rec-<node> of cluster_rados_pool (default
	 * "ferry"). */
	char cluster_node[CONFIG_NAME_MAX];
	char cluster_rados_conf[CONFIG_PATH_MAX];
	char cluster_rados_id[CONFIG_NAME_MAX];
	char cluster_rados_pool[CONFIG_NAME_MAX];
	char cluster_rados_namespace[CONFIG_NAME_MAX];
	/* A head whose heartbeat has not reached RADOS for this long is
	 * taken to be fenced: it acknowledges nothing more, and no other head
	 * takes it over sooner. */
	unsigned cluster_fence_after_s;
	/* [cluster] config = rados: the exports and [nfs] are read from the
	 * cluster's configuration object (config_load_text), not the file. */
	bool cluster_config_rados;
	/* Not from the file: this ferryd was started by an upgrade, beside the
	 * running one it takes over from (whose storage sessions live on until
	 * it exits, or for good when the upgrade fails). */
	bool succeeds_running;
	/* Caps on client state (state/state.h, struct state_caps). */
	unsigned max_clients, max_sessions_per_client, max_open_owners_per_client,
		max_opens_per_client, max_lock_owners_per_client, max_locks_per_client,
		state_memory_mb, client_state_share;
};

/* Fills cfg with built-in defaults (no listen address, no export: those
 * defaults are applied by config_finish when nothing else set them). */
void config_init_defaults(struct ferry_config *cfg);

/* Applies argv.  On bad input writes a message to *err (static or within
 * errbuf) and returns false.  Sets *want_help for --help. */
bool config_parse_args(struct ferry_config *cfg, int argc, char **argv, bool *want_help,
		       char *errbuf, size_t errlen);

/* A decimal number no larger than max with nothing after it, and no minus
 * sign (strtoull would wrap "-1"); ferryd's and ferry-bench's parsers share it. */
bool config_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* Stores v into an unsigned field of size bytes (4 or 8), as the option
 * and key tables of ferryd and ferry-bench name their fields by offset
 * and size. */
void config_store_uint(void *field, size_t size, unsigned long long v);

/* Reads an INI file into cfg; false with a message on error. */
bool config_load_file(struct ferry_config *cfg, const char *path, char *errbuf, size_t errlen);

/* Reads the cluster's configuration (the text of its RADOS object,
 * named origin in messages) into cfg: [export NAME] and [nfs] sections
 * only.  false with a message on error. */
bool config_load_text(struct ferry_config *cfg, const char *text, const char *origin,
		      char *errbuf, size_t errlen);

/* The first [nfs] key whose value differs between a and b, or NULL: a
 * running server applies [nfs] only when it starts. */
const char *config_nfs_differs(const struct ferry_config *a, const struct ferry_config *b);

/* An edit of the cluster's configuration text (config_edit.c). */
enum config_edit_op {
	CONFIG_EDIT_ADD,    /* a new [export NAME] with the keys given */
	CONFIG_EDIT_SET,    /* keys of [export NAME] set; an empty value removes the key */
	CONFIG_EDIT_REMOVE, /* [export NAME] removed */
};

/* text with the edit made, in *out (malloc'd); everything else in text
 * is kept as it was, comments included.  false with a message when the
 * edit cannot be made (an export that exists for ADD or is missing
 * otherwise, a name, key or value that cannot be written).  Whether the
 * result is a valid configuration is for config_load_text to say. */
bool config_text_edit(const char *text, enum config_edit_op op, const char *name,
		      const char *const *keys, const char *const *values, unsigned n, char **out,
		      char *errbuf, size_t errlen);

/* Appends an export named name with every option at its default; NULL
 * with a message when CONFIG_MAX_EXPORTS are there. */
struct config_export *config_export_new(struct ferry_config *cfg, const char *name,
				       char *errbuf, size_t errlen);

/* Parses "DIR[:PSEUDO]" and appends an export; false with a message. */
bool config_add_export_spec(struct ferry_config *cfg, const char *spec, char *errbuf,
			    size_t errlen);

/* Applies the embedded defaults for anything left unset (listen
 * 127.0.0.1:2049, export ./export at /export, state dir ./state) and checks
 * the whole configuration. */
bool config_finish(struct ferry_config *cfg, char *errbuf, size_t errlen);

/* The usage text for ferryd. */
const char *config_usage(void);

/* Writes the message into errbuf (errlen bytes) and returns false: how
 * the configuration's readers (config.c, config_edit.c) refuse. */
bool config_fail(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
