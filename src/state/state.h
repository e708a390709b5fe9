/* Server state: clients, open and lock owners, stateids, opens, byte-range
 * locks, leases, grace and stable client records, the v4.0 callback probe.
 *
 * The module never calls the back end: op handlers do the file-system work
 * (lookup, create, access checks, truncation) and tell the state module
 * what to record.  Files are named by struct state_file_key (export id +
 * back-end handle bytes).
 *
 * Byte-range locks are kept here, not forwarded to the host kernel: they
 * must be per NFS lock owner (the kernel only knows this process), survive
 * as long as the client's lease, and be reported with their owner in
 * LOCK4denied.  Consequence: local processes on the server do not see them.
 *
 * v4.0 and v4.1 share everything below.  Owner seqids (v4.0 only) are
 * checked in one place, state_seq_begin/state_seq_end, which a v4.1 front
 * door bypasses; stateid seqid 0 means "current" when minor >= 1.
 *
 * Locks: the owner sequence mutexes, the records lock and the state lock
 * (levels 1, 2 and 3 of core/lock_order.h, the one lock order of the
 * server).  The state lock covers every table (clients, owners, stateids,
 * files) and all open/lock state, and is held only for in-memory work.
 * One lock for all tables is deliberate: state operations are rare next to
 * I/O, and the I/O check (state_check_io) holds it for one hash lookup and
 * a scan of the file's locks.  Split it if measurements show contention.
 *
 * Threads: one background thread per state server (lease expiry, idle
 * owner reaping, end of grace, record removal, callback probes). */
#ifndef FERRY_STATE_STATE_H
#define FERRY_STATE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/config.h"
#include "core/cred.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

struct state_server;
struct state_owner;
struct rpc_conn;

/* --- protocol constants the state module interprets ------------------- */

enum {
	STATE_SHARE_ACCESS_READ = 1,
	STATE_SHARE_ACCESS_WRITE = 2,
	STATE_SHARE_ACCESS_BOTH = 3,
	STATE_SHARE_DENY_NONE = 0,
	STATE_SHARE_DENY_READ = 1,
	STATE_SHARE_DENY_WRITE = 2,
	STATE_SHARE_DENY_BOTH = 3,
};

/* nfs_lock_type4 */
enum { STATE_READ_LT = 1, STATE_WRITE_LT = 2, STATE_READW_LT = 3, STATE_WRITEW_LT = 4 };

#define STATE_LENGTH_EOF UINT64_MAX /* lock length meaning "to the end of file" */

/* --- server lifecycle ------------------------------------------------- */

/* Delegation policy (see "delegations" below). */
enum state_deleg_mode {
	STATE_DELEG_OFF = 0,
	STATE_DELEG_READ_ONLY = 1, /* read delegations only */
	STATE_DELEG_READ_WRITE = 2,
};

/* The default of state_deleg_limits.no_regrant_ms. */
enum { STATE_DELEG_NO_REGRANT_MS = 5000 };

struct state_deleg_limits {
	enum state_deleg_mode mode;
	unsigned max_total;      /* 0: no limit */
	unsigned max_per_client; /* 0: no limit */
	/* No new delegation on a file recalled less than this long ago, so
	 * that two clients do not pass one back and forth. */
	uint32_t no_regrant_ms;
	/* Directory delegations (state/deleg/state_dirdeleg.h): granted at all,
	 * how many in all (0: no limit; max_per_client counts them with the
	 * file delegations), the window over which a holder's notifications
	 * are gathered into one CB_NOTIFY, the changes that may wait for a
	 * holder, how long a CB_NOTIFY may be under way while others wait,
	 * and the longest attribute-notification delay a holder may ask. */
	bool dir;
	unsigned max_dir;
	uint32_t dir_window_ms;
	unsigned dir_max_changes;
	uint32_t dir_slow_ms;
	uint32_t dir_attr_delay_max_ms;
};

/* Defaults of the directory-delegation limits. */
enum {
	STATE_DIR_WINDOW_MS = 50,
	STATE_DIR_MAX_CHANGES = 4096,
	STATE_DIR_SLOW_MS = 1000,
	STATE_DIR_ATTR_DELAY_MAX_MS = 1000,
};

/* What clients may hold, so that one client (or a flood of new ones)
 * cannot take the server's memory.  The limit that matters is memory:
 * all clients' state together may take `memory` bytes (counted with
 * STATE_BYTES_*), one client `client_share_pct` percent of that; the
 * counts are further caps an administrator may set (0: none).  The
 * defaults suit both thousands of clients and one client machine with a
 * million files open (a Linux client uses one open owner per user and
 * one open per file it has open).
 * A request past a limit is refused with the error the RFC gives for
 * running out: the state module answers NFS4ERR_RESOURCE for owners,
 * opens and locks (the v4.0 error; the NFSv4 layer says NFS4ERR_DELAY in
 * v4.1, which has no RESOURCE), and the client and session calls their
 * own (state_setclientid, state_exchange_id, state_create_session).
 * Before refusing for memory the state module frees what it may (v4.0
 * owners kept only for replays). */
struct state_caps {
	unsigned clients;		 /* client records, confirmed or not */
	unsigned sessions_per_client;
	unsigned open_owners_per_client;
	unsigned opens_per_client;
	unsigned lock_owners_per_client;
	unsigned locks_per_client; /* byte ranges held, and lock stateids, each */
	uint64_t memory;           /* bytes of all clients' state (0: no budget) */
	unsigned client_share_pct; /* of memory, for one client (0 or 100: all of it) */
};

enum {
	STATE_CAP_CLIENTS_DEFAULT = 16384,
	STATE_CAP_SESSIONS_DEFAULT = 16,
	STATE_CLIENT_SHARE_DEFAULT = 50,
};

/* What each kind of state costs, as the budget counts it: the records and
 * their share of the tables and the allocator, measured as ferryd's RSS
 * per 100,000 (tests/proto/test_state_scale.c prints it).  An open counts
 * its file's record too (most files have one open). */
enum {
	STATE_BYTES_CLIENT = 2048, /* with its sessions' slot tables */
	STATE_BYTES_OWNER = 320,
	STATE_BYTES_OPEN = 480,
	STATE_BYTES_LOCK_STATE = 128,
	STATE_BYTES_LOCK = 96,
	STATE_BYTES_DELEG = 256,
};

/* The memory budget when none is set: an eighth of the machine's. */
uint64_t state_memory_default(void);

/* Which cap a refused request hit (state_stats.cap_hits). */
enum state_cap_kind {
	STATE_CAP_CLIENTS,
	STATE_CAP_SESSIONS,
	STATE_CAP_OPEN_OWNERS,
	STATE_CAP_OPENS,
	STATE_CAP_LOCK_OWNERS,
	STATE_CAP_LOCKS,
	STATE_CAP_MEMORY,        /* all clients' state at the budget */
	STATE_CAP_CLIENT_MEMORY, /* one client's at its share of it */
	STATE_CAP_KINDS
};

/* The caps' names as metric labels ("clients", "sessions", "open_owners",
 * "opens", "lock_owners", "locks", "memory", "client_memory"). */
extern const char *const state_cap_names[STATE_CAP_KINDS];

/* Makes one CB_NULL call (program prog, version 1) to hostport ("a.b.c.d:p"
 * or "[v6]:p") and returns 0 when it is answered with SUCCESS, or a
 * negative errno.  Runs on the state thread; may block up to timeout_ms. */
typedef int (*state_cb_null_fn)(const char *hostport, uint32_t prog, unsigned timeout_ms);

enum { STATE_CB_REPROBE_FIRST_MS = 1000 };

/* [cluster] of ferryd.conf: where the stable client records live when
 * several heads serve one CephFS.  node "" : no cluster, the records are
 * files in the state directory. */
enum { STATE_CLUSTER_ADDRS_MAX = 1024 };

struct state_cluster_options {
	char node[CONFIG_NAME_MAX];	    /* this head's name, unique in the cluster */
	char rados_conf[CONFIG_PATH_MAX];   /* "" : librados' default search */
	char rados_id[CONFIG_NAME_MAX];	    /* "" : "admin" */
	char rados_pool[CONFIG_NAME_MAX];   /* "ferry" by default */
	char rados_namespace[CONFIG_NAME_MAX]; /* "" : the pool's default namespace */
	uint32_t fence_after_ms; /* [cluster] fence_after */
	/* The number this process joins under (0: a new random one).  An
	 * upgrade keeps the ferryd before this one's, so that neither takes
	 * the other for a second process under the node's name: the old one
	 * serves on when the upgrade fails. */
	uint64_t instance;
};

struct state_options {
	/* "" : no stable records, no grace (unless cluster.node is set: then
	 * the records are in RADOS; the directory keeps the boot epoch). */
	char state_dir[CONFIG_PATH_MAX];
	struct state_cluster_options cluster;
	uint32_t lease_ms;
	uint32_t grace_ms;
	uint32_t reaper_interval_ms; /* 0: a quarter of the lease, within [20, 1000] */
	/* The state comes from the ferryd before this one (state_carry_load
	 * follows): its records' clients are the ones carried over, and no
	 * grace period begins. */
	bool carried;
	/* The v4.0 callback probe after SETCLIENTID_CONFIRM.  cb_probe, when
	 * set, hands it to the callback engine and returns at once (called
	 * from the state thread, no lock held); the engine reports with
	 * state_cb_probe_done.  Else cb_null dials and waits on the state
	 * thread.  Neither: no probes (the path stays unknown). */
	void (*cb_probe)(void *ctx, uint64_t clientid, uint32_t gen);
	void *cb_ctx;
	state_cb_null_fn cb_null;
	uint32_t cb_timeout_ms;
	/* A v4.0 client whose probe failed is probed again on its next
	 * renewal (any request that renews its lease) after this long,
	 * doubled by each further failure up to a lease (0: 1000; from the
	 * configuration: callback_retry_ms, at most 1000). */
	uint32_t cb_reprobe_ms;
	/* v4.1: references on the connections bound to sessions (rpc_conn_ref
	 * and rpc_conn_unref); NULL: connections are not kept. */
	struct rpc_conn *(*conn_ref)(struct rpc_conn *conn);
	/* Whether the RPCSEC_GSS context a client gave for its back channel
	 * (the server's handle for it) still exists on the server of conn
	 * (rpc_conn_gss_knows); NULL: taken as gone. */
	bool (*gss_context_alive)(struct rpc_conn *conn, const uint8_t *handle, uint32_t len);
	void (*conn_unref)(struct rpc_conn *conn);
	bool (*conn_is_closed)(struct rpc_conn *conn);
	struct state_deleg_limits deleg; /* delegation policy */
	struct state_caps caps;
	/* A session starts (on) or stops using a connection as its back
	 * channel (rpc_conn_hold_back); atomic, called under a session's lock.
	 * NULL: not told. */
	void (*conn_hold_back)(struct rpc_conn *conn, bool on);
	/* The state thread's drain of the outbox: after its periodic pass
	 * (client expiry: leases to drop, write holds to release), a recall
	 * sent again, or a state_outbox_kick; see state_deleg_work_pending.
	 * Called on the state thread, no lock held, with cb_ctx.  NULL: the
	 * next COMPOUND's end takes it. */
	void (*work)(void *ctx);
};

/* Defaults from the configuration: state_dir, lease_time, grace_time, the
 * delegation keys, the caps. */
void state_options_from_config(struct state_options *o, const struct ferry_config *cfg);

/* What makes the calling thread act as the server itself again before the
 * state module writes its own files (the stable records): the back end's
 * identity switch (backend_local_restore_identity), which the NFSv4 server
 * sets when it starts (nfs4_server_init); the state module never calls
 * the back end for it.  NULL
 * (the default): a thread writes as whoever it is. */
void state_set_act_as_server(void (*fn)(void));

/* Creates the state server: picks a boot epoch newer than any before it
 * (kept in <state_dir>/boot), reads the stable client records
 * (<state_dir>/v4clients/) and, when there are any, starts the grace
 * period; starts the state thread.  Returns 0 or a negative errno (logged). */
int state_server_create(const struct state_options *o, struct state_server **out);

/* Stops the thread and frees all state.  Stable records stay on disk. */
void state_server_destroy(struct state_server *st);

/* The lease in milliseconds (what the server advertises). */
uint32_t state_lease_ms(const struct state_server *st);

/* --- clients (RFC 7530 16.33, 16.34, 16.32) --------------------------- */

/* Who set up a client: AUTH_SYS uid + machine name, an RPCSEC_GSS
 * principal, or AUTH_NONE. */
struct state_principal {
	uint32_t flavor;
	uint32_t uid;
	char machine[RPC_AUTH_SYS_MAX_MACHINENAME + 1];
	char gss_name[RPC_CRED_PRINCIPAL_MAX + 1]; /* RPCSEC_GSS: the principal */
	/* RPCSEC_GSS: the service it came with (v4.0 callbacks use it);
	 * not part of who the principal is. */
	uint32_t gss_service;
};

/* SP4_MACH_CRED state protection of a v4.1 client (RFC 8881 2.10.8.3,
 * 18.35): the operations only the principal that made the client may send
 * (NFS4ERR_WRONG_CRED for anyone else), and those that principal may send
 * whatever the flavours of the export (RFC 8881 2.6.3.1.1.x: returning
 * state with the machine's credential).  Bit n of a map is operation n. */
struct state_sp4 {
	bool mach;
	uint64_t enforce[2], allow[2];
};

static inline bool state_sp4_has(const uint64_t map[2], uint32_t op)
{
	return op < 128 && (map[op / 64] >> (op % 64) & 1);
}

void state_principal_from_cred(struct state_principal *p, const struct rpc_cred *cred);

enum {
	STATE_NETID_MAX = 16,
	STATE_UADDR_MAX = 64,
	STATE_PEER_MAX = 64, /* "address:port", as rpc_conn_peer gives it */
};

/* Client owners kept apart by the head they came in through.  A client
 * that mounts two heads of a cluster sends one owner (co_ownerid, or
 * SETCLIENTID's id) to both; once one head has taken the other over, the
 * owner the client sends to the addresses taken over names the state it
 * had on the failed head, not the state it has on the survivor.  The
 * survivor keys such an owner TAG ORIGIN NUL OWNER, ORIGIN the head whose
 * address it came in on (TAG begins with a NUL, which no client's owner
 * string is known to).  An owner sent to this head's own addresses is
 * kept as sent, unless it begins with TAG itself: then TAG NUL OWNER, so
 * that no client can name the state of another origin. */
enum { STATE_OWNER_KEY_EXTRA = 16 + CONFIG_NAME_MAX };

/* A planned stop, once no request runs any more: the stable records of
 * clients that hold no open, lock or delegation are removed, so that the
 * next run's grace period does not wait for clients with nothing to
 * reclaim (an idle mount notices a restart only at its next renewal,
 * tens of seconds later).  Nothing is removed while a grace period runs
 * (a client may not have reclaimed yet) or by a head that does not
 * acknowledge (fenced, or cut off from RADOS).  How many went.  A crash
 * keeps every record, as before. */
size_t state_records_forget_stateless(struct state_server *st);

/* The key of owner (len bytes) come in through an address of head origin
 * ("" or NULL: this head's own) into key, which has room for len +
 * STATE_OWNER_KEY_EXTRA bytes; its length.  origin is a node name (at
 * most CONFIG_NAME_MAX - 1 bytes). */
uint32_t state_owner_key(const char *origin, const uint8_t *owner, uint32_t len, uint8_t *key);

/* The origin of key (state_owner_key) into origin (CONFIG_NAME_MAX
 * bytes; "" for this head's own), and where the owner as the client sent
 * it begins. */
uint32_t state_owner_key_split(const uint8_t *key, uint32_t len, char origin[CONFIG_NAME_MAX]);

/* A v4.0 callback path as SETCLIENTID gives it. */
struct state_callback {
	uint32_t program;
	uint32_t ident;
	char netid[STATE_NETID_MAX]; /* "tcp", "tcp6" */
	char addr[STATE_UADDR_MAX];  /* universal address */
};

/* SETCLIENTID.  On NFS4_OK fills *clientid and confirm.  On
 * NFS4ERR_CLID_INUSE fills *inuse with the callback address of the client
 * holding the id (netid and addr are what CLID_INUSE's body carries): a
 * confirmed client of another principal with state and a live lease.  One
 * without state is dropped instead, and its stable record removed (a
 * rare disk write). */
enum nfsstat4 state_setclientid(struct state_server *st, const struct state_principal *who,
				const uint8_t verifier[NFS4_VERIFIER_SIZE], const uint8_t *name,
				uint32_t name_len, const struct state_callback *cb,
				uint64_t *clientid, uint8_t confirm[NFS4_VERIFIER_SIZE],
				struct state_callback *inuse);

/* SETCLIENTID_CONFIRM.  Writes the stable record (fsync) of a newly
 * confirmed client before returning, and schedules a callback probe.
 * May block on the disk: run it where blocking is allowed. */
enum nfsstat4 state_setclientid_confirm(struct state_server *st, const struct state_principal *who,
					uint64_t clientid,
					const uint8_t confirm[NFS4_VERIFIER_SIZE]);

/* Whether clientid is a client that registered with EXCHANGE_ID (v4.1):
 * a v4.0 request may not name it (its state is its sessions'). */
bool state_client_is_v41(struct state_server *st, uint64_t clientid);

/* RENEW: NFS4ERR_STALE_CLIENTID, NFS4ERR_EXPIRED or NFS4_OK. */
enum nfsstat4 state_renew(struct state_server *st, uint64_t clientid);

/* v4.0: the client's SETCLIENTID, SETCLIENTID_CONFIRM or RENEW came from
 * peer ("address:port"), which the control plane lists it with (a v4.1
 * client is listed with its sessions' connections).  Both records of the
 * clientid, confirmed and not; nothing when there is none. */
void state_client_seen_from(struct state_server *st, uint64_t clientid, const char *peer);

enum state_cb_status { STATE_CB_UNKNOWN = 0, STATE_CB_UP, STATE_CB_DOWN };

/* Whether the last probe of a confirmed client's callback path answered;
 * STATE_CB_UNKNOWN for an unknown client or before the first probe ends. */
enum state_cb_status state_client_cb_status(struct state_server *st, uint64_t clientid);

/* v4.0: a callback to the client's address (probe or not) was answered
 * (ok) or not after its retries.  Ignored when the client changed its
 * callback since (gen is state_cb_route's cb_gen). */
void state_cb_probe_done(struct state_server *st, uint64_t clientid, uint32_t gen, bool ok);

/* "tcp"/"tcp6" universal address (RFC 5665) to "host:port" /
 * "[host]:port"; only literal addresses.  False when it is not one. */
bool state_uaddr_to_hostport(const char *netid, const char *uaddr, char *out, size_t outlen);

/* Probes waiting for the state thread at most; more are dropped (the
 * client's path stays unknown until its next SETCLIENTID). */
enum { STATE_PROBES_MAX = 256 };

/* --- grace ------------------------------------------------------------ */

bool state_in_grace(struct state_server *st);

/* Whether a client may do what it asks now: a reclaim needs the grace
 * period (NFS4ERR_NO_GRACE) and a stable record from before the restart
 * (NFS4ERR_RECLAIM_BAD); anything else waits for the grace period to end
 * (NFS4ERR_GRACE).  Also NFS4ERR_STALE_CLIENTID / NFS4ERR_EXPIRED. */
enum nfsstat4 state_check_grace(struct state_server *st, uint64_t clientid, bool reclaim);

/* --- owners and their seqids (RFC 7530 9.1.7) ------------------------- */

/* A file: the export and the back end's handle. */
struct state_file_key {
	uint32_t export_id;
	struct backend_handle bh;
};

/* Finds or creates the open owner (clientid, owner); renews the lease.
 * NFS4ERR_STALE_CLIENTID (unknown, unconfirmed or older boot) or
 * NFS4ERR_EXPIRED (lease ran out).  *out holds a reference. */
enum nfsstat4 state_open_owner_get(struct state_server *st, uint64_t clientid,
				   const uint8_t *owner, uint32_t len, struct state_owner **out);

/* Stateids belong to their client.  The functions below that take the
 * caller's clientid (v4.1: the session's) answer NFS4ERR_BAD_STATEID for a
 * stateid of another client (RFC 8881 8.2.4) before acting on it.  With
 * clientid 0 (v4.0, where a request names its client only through the
 * stateid) any v4.0 client's stateid is taken, which is safe as far as
 * stateids cannot be guessed (base/state_stid.c), but no v4.1 client's: those
 * are for its sessions only. */

/* The owner of an open or lock stateid, to sequence an operation on it
 * (a stateid closed by the owner's last CLOSE still finds it, so that the
 * CLOSE can be replayed).  NFS4ERR_BAD_STATEID, NFS4ERR_STALE_STATEID or
 * NFS4ERR_EXPIRED; renews the lease.  *out holds a reference. */
enum nfsstat4 state_stateid_owner(struct state_server *st, uint64_t clientid,
				  const struct nfs4_stateid *sid, struct state_owner **out);

void state_owner_put(struct state_server *st, struct state_owner *o);

/* The clientid an owner belongs to. */
uint64_t state_owner_clientid(const struct state_owner *o);

enum state_seq { STATE_SEQ_NEW, STATE_SEQ_REPLAY, STATE_SEQ_BAD };

/* The reply cached for an owner's last seqid-ordered operation.  Valid until
 * state_seq_end. */
struct state_replay {
	uint32_t opnum;
	enum nfsstat4 status;
	const uint8_t *body; /* the result after the status */
	size_t len;
	bool has_file; /* OPEN: the file it made current */
	struct state_file_key file;
};

/* Begins a seqid-ordered operation (opnum) of owner o, taking its sequence
 * mutex unless bypass is set (always: end with state_seq_end and the same
 * bypass).  v4.1 (bypass) orders nothing: its sessions give exactly-once,
 * and an owner's operations may run at the same time, each changing state
 * under the state lock as any other operation does.
 *   STATE_SEQ_NEW    : seqid is the next one (or the owner is new, or
 *                      bypass is set: v4.1); go ahead.
 *   STATE_SEQ_REPLAY : seqid is the last one and the same operation: send
 *                      *r as the result.
 *   STATE_SEQ_BAD    : answer NFS4ERR_BAD_SEQID.
 * An unconfirmed open owner that sends a new OPEN starts over (its opens are
 * dropped), as its first OPEN was never confirmed. */
enum state_seq state_seq_begin(struct state_server *st, struct state_owner *o, uint32_t seqid,
			       uint32_t opnum, bool bypass, struct state_replay *r);

/* Ends it.  For a NEW operation whose status advances the seqid (all but
 * STALE_CLIENTID, STALE_STATEID, BAD_STATEID, BAD_SEQID, BADXDR, RESOURCE,
 * NOFILEHANDLE, MOVED) the seqid is taken and body[0..len) (copied) becomes
 * the reply to replay; file, when not NULL, is the current file to restore
 * on a replay (OPEN); with bypass nothing is kept.  Releases the sequence
 * mutex; returns status. */
enum nfsstat4 state_seq_end(struct state_server *st, struct state_owner *o, bool bypass,
			    enum nfsstat4 status, const uint8_t *body, size_t len,
			    const struct state_file_key *file);

/* --- opens and share reservations (RFC 7530 9.9, 16.16-16.19, 16.2) ---- */

enum { STATE_OPEN_RECLAIM = 1u << 0 };

/* OPEN for owner o (sequenced) of file with share_access/share_deny.
 * Checks grace (GRACE / NO_GRACE / RECLAIM_BAD), the share reservations of
 * every open of the file, the owner's own included (NFS4ERR_SHARE_DENIED),
 * then creates the open or upgrades the owner's existing one.
 * Unless a reclaim, another client's delegation that conflicts with the
 * access is recalled and the answer is NFS4ERR_DELAY (state_deleg_break).
 * *need_confirm: v4.0 owner not yet confirmed (rflags OPEN4_RESULT_CONFIRM).
 * A reclaim confirms the owner. */
enum nfsstat4 state_open(struct state_server *st, struct state_owner *o,
			 const struct state_file_key *file, uint32_t access, uint32_t deny,
			 unsigned flags, uint32_t minor,
			 struct nfs4_stateid *out, bool *need_confirm);

/* OPEN_CONFIRM: confirms the owner; NFS4ERR_BAD_STATEID if it already is. */
enum nfsstat4 state_open_confirm(struct state_server *st, struct state_owner *o,
				 const struct nfs4_stateid *sid, const struct state_file_key *file,
				 struct nfs4_stateid *out);

/* OPEN_DOWNGRADE: access/deny must be subsets of the open's (NFS4ERR_INVAL). */
enum nfsstat4 state_open_downgrade(struct state_server *st, struct state_owner *o,
				   const struct nfs4_stateid *sid,
				   const struct state_file_key *file, uint32_t access,
				   uint32_t deny, uint32_t minor,
				   struct nfs4_stateid *out);

/* CLOSE: releases the open, its share reservation and the locks taken
 * through it.  *out is the stateid with its seqid advanced.  With minor 0
 * the stateid stays known to the owner for a replay of this CLOSE. */
enum nfsstat4 state_close(struct state_server *st, struct state_owner *o,
			  const struct nfs4_stateid *sid, const struct state_file_key *file,
			  uint32_t minor, struct nfs4_stateid *out);

/* --- byte-range locks (RFC 7530 9.2, 16.10-16.12, 16.37) -------------- */

/* LOCK4denied: the conflicting lock. */
struct state_lock_denied {
	uint64_t offset, length; /* length STATE_LENGTH_EOF: to the end */
	uint32_t type;           /* STATE_READ_LT or STATE_WRITE_LT */
	uint64_t clientid;
	uint32_t owner_len;
	uint8_t owner[NFS4_OPAQUE_LIMIT];
};

struct state_lock_args {
	/* READW/WRITEW are served like READ/WRITE (no waiting), but with
	 * minor >= 1 a denied one is remembered and the owner notified when
	 * the lock may be free (state_lock_notify_set). */
	uint32_t type;
	bool reclaim;
	uint64_t offset, length;
	bool new_owner;
	/* new_owner (open_to_lock_owner4): o is the open owner */
	struct nfs4_stateid open_stateid;
	uint64_t lock_clientid;
	const uint8_t *lock_owner;
	uint32_t lock_owner_len;
	uint32_t lock_seqid;
	/* !new_owner (exist_lock_owner4): o is the lock owner */
	struct nfs4_stateid lock_stateid;
	/* Checks everything a LOCK checks and changes nothing (no owner,
	 * lock state, range or seqid stays behind): NFS4_OK says the lock
	 * would be granted now.  The nfs4 layer asks so before taking the
	 * lock in the back end, then asks again for real. */
	bool dry_run;
	/* The caller took the lock in the back end too (backend_ops.lock):
	 * when the lock state goes with locks, a released notice
	 * (state_lock_notice) tells the hook to let go of them there. */
	bool backend;
	/* When not NULL, gets the lock owner's id (state_lock_owner_id)
	 * once the lock owner is known, whatever the status. */
	uint64_t *owner_id;
};

/* The id a back end holds the lock owner (clientid, owner)'s locks under
 * (backend_ops.lock): the same for the same owner while this server runs,
 * and a different one for every other owner (a keyed 64-bit hash). */
uint64_t state_lock_owner_id(const struct state_server *st, uint64_t clientid,
			     const uint8_t *owner, uint32_t owner_len);

/* Checks a lock range: NFS4ERR_INVAL for length 0 or offset + length past
 * 2^64 (unless length is STATE_LENGTH_EOF). */
enum nfsstat4 state_check_range(uint64_t offset, uint64_t length);

/* LOCK, sequenced on o (the open owner for a new lock owner, else the lock
 * owner).  POSIX semantics: the owner's own locks are replaced, split and
 * merged; another owner's overlapping lock (any client) is
 * NFS4ERR_DENIED with *denied filled.  WRITE_LT needs an open with write
 * access, READ_LT one with read access (NFS4ERR_OPENMODE). */
enum nfsstat4 state_lock(struct state_server *st, struct state_owner *o,
			 const struct state_file_key *file, const struct state_lock_args *a,
			 uint32_t minor, struct nfs4_stateid *out,
			 struct state_lock_denied *denied);

/* LOCKU, sequenced on the lock owner o.  Unlocking a range not locked is
 * not an error. */
enum nfsstat4 state_locku(struct state_server *st, struct state_owner *o,
			  const struct nfs4_stateid *sid, const struct state_file_key *file,
			  uint64_t offset, uint64_t length, uint32_t minor,
			  struct nfs4_stateid *out);

/* What a LOCKU left of its owner's locks on the file, for the back end. */
struct state_locku_left {
	uint64_t owner_id; /* state_lock_owner_id of the lock owner */
	bool none;	   /* it holds no range of the file any more */
};

/* state_locku, and (on NFS4_OK) *left filled. */
enum nfsstat4 state_locku_left(struct state_server *st, struct state_owner *o,
			       const struct nfs4_stateid *sid, const struct state_file_key *file,
			       uint64_t offset, uint64_t length, uint32_t minor,
			       struct nfs4_stateid *out, struct state_locku_left *left);

/* LOCKT: would the lock owner (clientid, owner) get this lock? */
enum nfsstat4 state_lockt(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			  uint32_t owner_len, const struct state_file_key *file, uint32_t type,
			  uint64_t offset, uint64_t length, struct state_lock_denied *denied);

/* RELEASE_LOCKOWNER: NFS4ERR_LOCKS_HELD while it holds any lock. */
enum nfsstat4 state_release_lockowner(struct state_server *st, uint64_t clientid,
				      const uint8_t *owner, uint32_t owner_len);

/* --- locks a back end holds too, for an upgrade -------------------------- */

/* A range of a lock taken in a back end too (the NFSv4 layer's LOCK with
 * backend set, NLM's state_nlm_lock_backend).  The back end holds it in
 * this process's storage session (a ceph export's MDS keeps the locks per
 * CephFS client session): an in-place upgrade lets them go in the old
 * process and takes them again in the new one (export/backend_locks.c). */
struct state_backend_lock {
	struct state_file_key file;
	uint64_t owner_id;    /* state_lock_owner_id of the lock owner */
	uint64_t start, last; /* inclusive; last UINT64_MAX: to the end */
	bool write;
	bool nlm; /* an NLM host's, else an NFSv4 client's */
};

/* Every such range now, in a new array (*out, to free(); NULL and *n 0
 * when there is none).  0, or -ENOMEM. */
int state_backend_locks(struct state_server *st, struct state_backend_lock **out, size_t *n);

/* --- blocked locks: CB_NOTIFY_LOCK (v4.1, RFC 8881 18.10.4, 20.11) ------- */

/* A v4.1 LOCK of type READW_LT/WRITEW_LT that was denied leaves a waiter:
 * (client, lock owner, file, range, type).  When a conflicting lock goes
 * (LOCKU, a lock narrowed or downgraded, CLOSE, FREE_STATEID, the holder's
 * client expiring or destroyed) and nothing else conflicts any more, the
 * waiter becomes a notice, handed to the hook below: the nfs4 layer sends
 * CB_NOTIFY_LOCK and the client retries its LOCK.  The lock is not kept
 * for the waiter: whoever asks first gets it (RFC 8881 20.11.4 allows it).
 *
 * Waiters are bounded (STATE_WAITERS_PER_FILE per file, STATE_WAITERS_MAX
 * in all: past that a denied request is not remembered and the client
 * polls, as without notification), a second denial of the same owner on
 * the same file replaces its waiter, and a waiter goes when its owner gets
 * a lock on the file, when it is notified, after a lease without either,
 * and with its client or lock owner (RELEASE_LOCKOWNER). */
enum { STATE_WAITERS_PER_FILE = 32, STATE_WAITERS_MAX = 4096 };

struct state_lock_notice {
	uint64_t clientid;
	const struct state_file_key *file;
	const uint8_t *owner; /* the lock owner's bytes */
	uint32_t owner_len;
	/* Not a waiter's notice: the lock owner's lock state on the file
	 * went with ranges still locked (CLOSE, FREE_STATEID, its lease or
	 * client expired or was destroyed), so whatever the back end holds
	 * for owner_id (state_lock_owner_id) on the file is to be let go. */
	bool released;
	uint64_t owner_id;
};

/* For a released notice's hook: whether the lock owner (clientid, owner)
 * holds locks on file again (it locked the file anew between the release
 * and the notice), so that the back end keeps its locks. */
bool state_lock_owner_holds(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			    uint32_t owner_len, const struct state_file_key *file);

/* Called once per notice, with no state lock held; the notice is valid
 * during the call only.  Must not block, but for a released notice, which
 * may call the back end (on ceph, one round trip to the MDS). */
typedef void (*state_lock_notify_fn)(void *ctx, const struct state_lock_notice *n);

/* Sets (or, fn NULL, clears) the hook.  Clearing waits for calls in
 * progress to end; notices are then dropped. */
void state_lock_notify_set(struct state_server *st, state_lock_notify_fn fn, void *ctx);

/* Hands the notices queued so far to the hook.  Call with no state lock
 * held, not even an owner's sequence mutex: the nfs4 layer does after
 * each COMPOUND, the state thread after each pass.  One atomic load when
 * nothing is queued. */
void state_lock_notify_flush(struct state_server *st);

/* --- I/O --------------------------------------------------------------- */

/* Checks the stateid of a READ (write false), WRITE or SETATTR(size)
 * (write true) of bytes [offset, offset + length) of file; length 0 checks
 * no byte range (SETATTR(size): pass offset = min(old, new size) and
 * STATE_LENGTH_EOF).
 *   anonymous (all zeros) and READ bypass (all ones; for a write it counts
 *   as anonymous) stateids: NFS4ERR_GRACE during grace; NFS4ERR_LOCKED when
 *   an open denies the access or (except bypass reads) a lock conflicts.
 *   open or lock stateids: NFS4ERR_BAD_STATEID (unknown, other file, closed,
 *   unconfirmed owner), NFS4ERR_OLD_STATEID, NFS4ERR_STALE_STATEID,
 *   NFS4ERR_EXPIRED; NFS4ERR_OPENMODE for a write without write access (a
 *   read is allowed with write-only access, as clients read to fill pages);
 *   NFS4ERR_LOCKED when another lock owner's lock conflicts (locks taken
 *   through the same open do not block it).
 * Renews the client's lease. */
enum nfsstat4 state_check_io(struct state_server *st, uint64_t clientid,
			     const struct nfs4_stateid *sid,
			     const struct state_file_key *file, bool write, uint64_t offset,
			     uint64_t length, uint32_t minor);

/* --- delegations (RFC 8881 10.2-10.4, 18.16, 18.6; RFC 7530 10.2-10.4) ---
 *
 * A delegation is a stateid of its client (not of an open owner), on one
 * file.  The state module decides whether an OPEN gets one (grant policy),
 * finds conflicts with other clients' operations and marks the delegations
 * they hit as recalled.  It never talks to the client: the callbacks to send
 * (CB_RECALL, CB_GETATTR) wait in a queue that the NFSv4 layer drains with
 * state_deleg_take_callbacks after the operation that made them, outside
 * the state lock, and whose outcomes come back through
 * state_deleg_recall_done / state_deleg_getattr_done.  A recalled
 * delegation not returned within a lease is revoked by the state thread.
 *
 * "Another client": an operation is matched to a client by its v4.1
 * session or by the stateid it uses; one with neither (a v4.0 REMOVE, a
 * special stateid) is another client to every delegation. */

/* What an OPEN asks, for the grant decision. */
struct state_deleg_ask {
	uint32_t access; /* STATE_SHARE_ACCESS_* of this OPEN */
	uint32_t want;   /* v4.1 OPEN4_SHARE_ACCESS_WANT_* bits of share_access */
	bool v41;        /* the answer may be OPEN_DELEGATE_NONE_EXT */
	/* A v4.0 client's callback path works now (the NFSv4 layer checks
	 * the address it dials).  A v4.1 client's back channels are the
	 * state module's: it looks at them itself (one not known to fail
	 * counts as working), so the OPEN path does not have to ask. */
	bool cb_up;
	/* CLAIM_PREVIOUS: the delegation type the client reclaims
	 * (OPEN_DELEGATE_NONE: none). */
	uint32_t reclaim_type;
};

/* The open_delegation4 to send. */
struct state_deleg_grant {
	uint32_t type; /* OPEN_DELEGATE_NONE, _READ, _WRITE or _NONE_EXT */
	struct nfs4_stateid stateid;
	bool recall;      /* a reclaimed delegation the server wants back */
	uint32_t why;     /* NONE_EXT: WND4_* */
	bool server_will; /* NONE_EXT CONTENTION/RESOURCE */
	bool is_new;      /* a delegation made by this OPEN (state_deleg_undo) */
	/* RFC 9754: the delegation carries the file's times (the OPEN asked
	 * OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS): READ/WRITE_ATTRS_DELEG. */
	bool timestamps;
	/* The first delegation of the file (the NFSv4 layer asks for the
	 * lease with every new one: nfs4_deleg_lease_grant). */
	bool file_first;
};

/* Decides and records the delegation for an OPEN that client clientid
 * just made (state_open succeeded) on file, or for its WANT_DELEGATION.  A
 * client that holds a delegation on the file keeps it and gets the same
 * one again. */
void state_deleg_grant(struct state_server *st, uint64_t clientid,
		       const struct state_file_key *file, const struct state_deleg_ask *a,
		       struct state_deleg_grant *out);

/* Whether any delegation (any write delegation) is held: a check without
 * the lock, so that operations on undelegated servers pay nothing. */
bool state_deleg_any(struct state_server *st);
bool state_deleg_any_write(struct state_server *st);

/* Whether file has a delegation now (held or recalled; not returned, not
 * revoked; a directory's count too).  Takes the state lock: the NFSv4
 * layer asks it under a file's lease lock (core/lock_order.h, 2c) before it
 * drops the lease that state_delegreturn's *last or
 * state_deleg_take_unleased asked for, since a newer delegation may have
 * come since. */
bool state_deleg_file_delegated(struct state_server *st, const struct state_file_key *file);

/* Takes back a delegation just granted (is_new) that cannot stand (the
 * back end refused its lease) before the client heard of it. */
void state_deleg_undo(struct state_server *st, const struct nfs4_stateid *sid);

/* An operation of client clientid (0: none known; sid, when not NULL and
 * one of this server's stateids, names the client instead) that reads
 * (write false: conflicts with write delegations) or changes (write true:
 * with every delegation) file.  NFS4_OK, or NFS4ERR_DELAY while another
 * client's delegation conflicts: it is marked recalled (CB_RECALL queued)
 * unless it already was. */
enum nfsstat4 state_deleg_break(struct state_server *st, const struct state_file_key *file,
				uint64_t clientid, const struct nfs4_stateid *sid, bool write);

/* The back end no longer holds file back for its delegations (its lease is
 * gone): every delegation of the file is revoked now, its holder told by
 * SEQ4_STATUS_RECALLABLE_STATE_REVOKED and NFS4ERR_DELEG_REVOKED (why is
 * logged).  Directory delegations are not touched. */
void state_deleg_revoke_file(struct state_server *st, const struct state_file_key *file,
			     const char *why);

/* A holder's CB_GETATTR answer: change and size, and the times an
 * ATTRS_DELEG holder keeps (RFC 9754) when it sent them. */
struct state_deleg_ga {
	uint64_t change, size;
	bool has_atime, has_mtime;
	struct timespec atime, mtime;
};

/* GETATTR of change or size (RFC 8881 10.4.3) by client clientid (v4.1):
 * when another client holds a write delegation on file, the first call
 * queues CB_GETATTR and answers NFS4ERR_DELAY; once the holder answered,
 * the next call gets NFS4_OK with *have set and the holder's change and
 * size.  A holder that failed to answer has its delegation recalled
 * (NFS4ERR_DELAY).  *pending (may be NULL) is set with NFS4ERR_DELAY while
 * a CB_GETATTR to the holder of delegation *pending_sid is under way, so
 * that the caller may wait for its answer (state_deleg_getattr_done tells
 * it) rather than answer NFS4ERR_DELAY. */
enum nfsstat4 state_deleg_getattr(struct state_server *st, const struct state_file_key *file,
				  uint64_t clientid, bool *have, struct state_deleg_ga *values,
				  bool *pending, struct nfs4_stateid *pending_sid);

/* A callback the NFSv4 layer is to send. */
struct state_deleg_cb {
	uint32_t opnum; /* OP_CB_RECALL, OP_CB_GETATTR or OP_CB_RECALL_ANY */
	uint64_t clientid;
	struct nfs4_stateid stateid;
	struct state_file_key file;
	bool timestamps; /* an ATTRS_DELEG delegation: CB_GETATTR asks its times */
	bool dir;        /* a directory delegation */
	/* CB_RECALL_ANY (state memory short: no stateid, no file): how many
	 * delegations the client may keep. */
	uint32_t keep;
};

/* Whether anything of the NFSv4 layer's delegation work waits to be
 * taken: callbacks to send, back-end leases to drop, or write holds to
 * apply (which need no callback at all).  A cheap check, no lock. */
bool state_deleg_work_pending(struct state_server *st);

/* The same without the write holds: what should go out without waiting
 * for anything else (a recall, a lease drop), where holds wait for the end
 * of the COMPOUND that queued them. */
bool state_deleg_callbacks_urgent(struct state_server *st);

/* Has the state thread hand the outbox to the NFSv4 layer's hook (struct
 * state_options.work) now, when callbacks or lease drops wait in it: what a
 * caller outside a COMPOUND does after queuing some (an NFSv3 call that
 * met a delegation, an NLM call, a callback's outcome, a change on the
 * host), so that the outbox is drained in one place besides the
 * COMPOUND's end.  Returns at once.  Nothing without a hook: the next
 * COMPOUND's end takes it then. */
void state_outbox_kick(struct state_server *st);

/* Moves up to max queued callbacks to out; returns how many. */
size_t state_deleg_take_callbacks(struct state_server *st, struct state_deleg_cb *out,
				  size_t max);

/* Files whose last delegation went (returned, revoked, freed with its
 * client) and whose back-end lease is to be dropped, and directories
 * whose last directory delegation went and that the back end is to stop
 * watching: up to max to out. */
size_t state_deleg_take_unleased(struct state_server *st, struct state_file_key *out, size_t max);

/* A file's first open with write access came (on) or its last went
 * (off): the back end may keep a descriptor for writing it meanwhile
 * (backend_ops.write_hold).  Queued in the order they happen, through
 * the same pending flag as callbacks (state_deleg_work_pending); a
 * release whose hold is still queued takes that hold out instead. */
struct state_write_hold {
	struct state_file_key file;
	bool on;
};

/* Moves up to max queued write holds to out, oldest first; returns how
 * many.  The caller applies them in that order before it takes more (one
 * taker at a time), so that a release never overtakes its hold. */
size_t state_take_write_holds(struct state_server *st, struct state_write_hold *out, size_t max);

/* How a CB_RECALL ended (status as its done() got it, callback/callback.h).
 * NFS4ERR_CB_PATH_DOWN (undeliverable): revoked now.  NFS4ERR_BADHANDLE
 * and NFS4ERR_BAD_STATEID (perhaps the recall overtook the OPEN reply): the
 * recall is sent again, STATE_DELEG_RECALL_RESENDS times at most,
 * STATE_DELEG_RECALL_RESEND_MS apart (the OPEN reply reaches the holder
 * within a round trip or two).  Whatever the answer, revoked if not
 * returned within a lease of the recall. */
enum { STATE_DELEG_RECALL_RESEND_MS = 1000, STATE_DELEG_RECALL_RESENDS = 5 };
void state_deleg_recall_done(struct state_server *st, const struct nfs4_stateid *sid,
			     uint32_t status);

/* How a CB_GETATTR ended: ans, the holder's values, when it answered
 * NFS4_OK; NULL otherwise, and the delegation is recalled. */
void state_deleg_getattr_done(struct state_server *st, const struct nfs4_stateid *sid,
			      const struct state_deleg_ga *ans);

/* The answer of the CB_GETATTR about sid served the GETATTRs that waited
 * for it: the next GETATTR asks again (the holder may write meanwhile). */
void state_deleg_getattr_served(struct state_server *st, const struct nfs4_stateid *sid);

/* Whether the holder of sid answered a CB_GETATTR that no GETATTR has
 * served yet (a GETATTR that parks after the answer came need not wait). */
bool state_deleg_getattr_answered(struct state_server *st, const struct nfs4_stateid *sid);

/* DELEGRETURN of sid on file.  NFS4ERR_BAD_STATEID (unknown, not a
 * delegation, other file), NFS4ERR_OLD_STATEID, NFS4ERR_STALE_STATEID,
 * NFS4ERR_EXPIRED; a revoked one: NFS4ERR_DELEG_REVOKED (v4.1) or
 * NFS4ERR_EXPIRED (v4.0), and it is freed.  *last: the file has no
 * delegation left (drop its lease). */
enum nfsstat4 state_delegreturn(struct state_server *st, uint64_t clientid,
				const struct nfs4_stateid *sid,
				const struct state_file_key *file, uint32_t minor, bool *last);

/* CLAIM_DELEGATE_CUR / CLAIM_DELEG_CUR_FH: sid must be a delegation of
 * client clientid on file (NFS4ERR_BAD_STATEID, ...). */
enum nfsstat4 state_deleg_check_cur(struct state_server *st, uint64_t clientid,
				    const struct nfs4_stateid *sid,
				    const struct state_file_key *file, uint32_t minor);

/* SETATTR of time_deleg_access / time_deleg_modify (RFC 9754) by client
 * clientid with stateid sid on file: NFS4_OK when sid is the client's
 * ATTRS_DELEG delegation of the file (not revoked), NFS4ERR_INVAL
 * otherwise. */
enum nfsstat4 state_deleg_check_times(struct state_server *st, uint64_t clientid,
				      const struct nfs4_stateid *sid,
				      const struct state_file_key *file);

/* Whether the client holds a delegation (RENEW's NFS4ERR_CB_PATH_DOWN). */
bool state_client_has_delegations(struct state_server *st, uint64_t clientid);

struct state_deleg_stats {
	uint64_t granted, recalled, revoked; /* since start */
	unsigned active;                     /* held now (revoked ones not counted) */
};

void state_deleg_get_stats(struct state_server *st, struct state_deleg_stats *out);

/* --- clustered heads ([cluster], state_cluster.c) --------------------- */

enum { STATE_CLUSTER_LIST_MAX = 64 };

/* One head of the cluster, as the grace object lists it. */
struct state_cluster_member {
	char name[CONFIG_NAME_MAX];
	bool need, enforcing;
	char addrs[STATE_CLUSTER_ADDRS_MAX];
	char fence[STATE_CLUSTER_ADDRS_MAX]; /* its RADOS and CephFS clients */
	/* Since this head last saw its heartbeat change (state_cluster_status
	 * only; UINT64_MAX: never seen). */
	uint64_t silent_ms;
};

struct state_cluster_status {
	bool enabled; /* [cluster] node set */
	char node[CONFIG_NAME_MAX];
	/* This head's view, from its last look at the grace object. */
	bool in_grace;	     /* the cluster is in grace (or it cannot tell) */
	bool reachable;	     /* the last look succeeded recently */
	bool reclaims_open;  /* reclaims are answered (every head enforces) */
	unsigned reclaims_outstanding; /* records here no client has reclaimed yet */
	uint64_t looks, look_errors;  /* since start */
	bool fenced;	     /* taken over, replaced or blocklisted: stopping */
	bool acknowledging;  /* the RPC gate is open (state_cluster_acknowledges) */
	uint64_t fence_after_ms;
	uint64_t beat_age_ms; /* since this head's last heartbeat that arrived was sent */
	/* The object now (read for the call; read_error when it could not
	 * be: the rest is then the last view). */
	int read_error;
	uint64_t current, recovery, since_ms;
	size_t nmembers;
	struct state_cluster_member members[STATE_CLUSTER_LIST_MAX];
};

/* A secret every head of the cluster shares (the key that signs file
 * handles): len bytes on RADOS object oid of the [cluster] pool, read, or
 * made at random by the first head that asks.  0 or a negative errno
 * (logged). */
int state_rados_shared_secret(const struct state_cluster_options *c, const char *oid,
			      uint8_t *out, size_t len);

/* The cluster's configuration (state_cluster_config.c): the text of RADOS
 * object "config" in the [cluster] pool and namespace, and its version,
 * which every change moves on.  Opened on a RADOS connection of its own;
 * the calls wait for RADOS (30 s at most), so not under a lock of the
 * data path. */
struct state_cluster_config;
int state_cluster_config_open(const struct state_cluster_options *c,
			      struct state_cluster_config **out);
void state_cluster_config_close(struct state_cluster_config *cc);
/* The text (malloc'd, NUL-terminated) and its version; no object is ""
 * and version 0.  -EFBIG past 4 MiB, -EILSEQ for a NUL inside. */
int state_cluster_config_read(struct state_cluster_config *cc, char **text, uint64_t *version);
/* Replaces the text if the object is still at version (0: if there is
 * none), *written the version it then has; -ECANCELED when another
 * write came first. */
int state_cluster_config_write(struct state_cluster_config *cc, const char *text,
			       uint64_t version, uint64_t *written);
/* Tells every head watching that the text changed, waiting at most
 * timeout_ms for their acknowledgements. */
int state_cluster_config_notify(struct state_cluster_config *cc, unsigned timeout_ms);
/* Calls changed(arg), on a RADOS thread, when a head notifies and when
 * the watch breaks (a change may have been missed: the caller then
 * calls state_cluster_config_watch_check and reads again).  Makes the
 * object, empty, when there is none. */
int state_cluster_config_watch(struct state_cluster_config *cc, void (*changed)(void *arg),
			       void *arg);
/* Sets the watch up again if it broke; 0 or a negative errno. */
int state_cluster_config_watch_check(struct state_cluster_config *cc);

/* The number this head's process joined the cluster under
 * (state_cluster_options.instance); 0 when not clustered. */
uint64_t state_cluster_instance(const struct state_server *st);

/* Tells the cluster the addresses this head serves NFS on (space-
 * separated HOST:PORT, as bound): what a head taking it over listens on;
 * and the client instances of its storage (space-separated, as RADOS
 * blocklisting names them; may be NULL), which a head taking it over
 * blocklists with this head's own RADOS clients.  0, -ENOTSUP (not
 * clustered) or a negative errno. */
int state_cluster_publish(struct state_server *st, const char *addrs, const char *clients);

/* Whether this head may acknowledge anything now: true unless it is
 * clustered and fenced, or its last heartbeat that reached RADOS was
 * sent nearly fence_after ago (another head may take it over soon).  The
 * RPC layer drops requests and replies while it is false.  Cheap: two
 * atomic loads and a clock read. */
bool state_cluster_acknowledges(const struct state_server *st);

/* This head's fitness to serve as a clustered head, from what it
 * already knows (no RADOS call: a health check must not wait on RADOS). */
struct state_cluster_health {
	bool enabled;	    /* [cluster] node set; the rest is false/0 otherwise */
	bool fenced;	    /* taken over, replaced or blocklisted */
	bool acknowledging; /* the RPC gate is open */
	bool reachable;	    /* it read the grace object recently */
	uint64_t beat_age_ms, fence_after_ms;
};
void state_cluster_health(const struct state_server *st, struct state_cluster_health *out);

/* What this head and the cluster say now.  out->enabled false when the
 * server is not clustered. */
void state_cluster_status(struct state_server *st, struct state_cluster_status *out);

/* What a take-over did. */
struct state_cluster_takeover_result {
	char addrs[STATE_CLUSTER_ADDRS_MAX]; /* the addresses node served (0: taken now) */
	unsigned records;		     /* client records adopted */
	char taken_by[CONFIG_NAME_MAX];	     /* who holds node's clients now */
	uint64_t retry_ms;		     /* -EAGAIN: when to try again (and addrs: node's) */
};

/* This head takes over head node, which failed: once node's heartbeat
 * has been silent for fence_after, node's RADOS and CephFS clients are
 * blocklisted, node becomes "taken over by this head" in the grace
 * object, its client records become this head's, and a cluster grace
 * period starts for them (this head needs it).  r->addrs gets the
 * addresses node served, r->records how many records it took.  The
 * caller then ends node's sessions with the storage and listens on its
 * addresses.  0; -EALREADY when node was taken over already (by
 * r->taken_by: this head for a repeat, which completes an adoption an
 * earlier try left undone); -EAGAIN when node's heartbeat changed less
 * than fence_after ago (try again in r->retry_ms); -ENOENT (no such
 * member), -EINVAL (node is this head), -ENOTSUP (not clustered) or
 * another negative errno (nothing taken over). */
int state_cluster_takeover(struct state_server *st, const char *node,
			   struct state_cluster_takeover_result *r);

/* Where the heartbeat finds this head's client connections, to publish
 * them for the head that may take this one over, which resets them
 * (rpc_tickle) so that the clients reconnect at once: changed() returns a
 * count that moves whenever they may have changed, list() them as
 * space-separated "LOCAL>PEER" words ("192.0.2.1:2049>192.0.2.50:871"),
 * malloc'd (NULL: out of memory).  Set by ferryd; src must outlive the
 * server. */
struct state_cluster_conns_source {
	uint64_t (*changed)(void *arg);
	char *(*list)(void *arg);
	void *arg;
};

/* Where the cluster thread tells the other heads' published addresses
 * (state_cluster_member: name and addrs; every member but this head):
 * told() is called on that thread at its first look after the sink is
 * set and every few looks after (2 s; heads publish when they start and
 * when they take one over).  It must not block long: the heartbeat waits
 * for it.  Set by ferryd; sink must outlive the server. */
struct state_cluster_peers_sink {
	void (*told)(void *arg, const struct state_cluster_member *peers, size_t n);
	void *arg;
};

/* Stops the cluster thread (heartbeats, looks, and its calls of the
 * connections source and peers sink below) for good: ferryd calls it
 * before the RPC server those use goes.  Nothing when not clustered. */
void state_cluster_stop(struct state_server *st);

/* Where the cluster thread reads this head's connections from and tells
 * the other heads' addresses to (either may be NULL). */
void state_cluster_set_io(struct state_server *st, const struct state_cluster_conns_source *conns,
			  const struct state_cluster_peers_sink *peers);

/* Head node's connections as it last published them, malloc'd into *out
 * (NULL: none).  0 or a negative errno. */
int state_cluster_peer_conns(struct state_server *st, const char *node, char **out);

/* Removes head node, which will not come back, from the cluster: grace no
 * longer waits for it, and its client records are dropped (nobody can
 * reclaim through it any more).  Errors as state_cluster_takeover. */
int state_cluster_remove(struct state_server *st, const char *node);

/* --- for tests and the control plane ---------------------------------- */

struct state_stats {
	unsigned clients_confirmed, clients_unconfirmed;
	unsigned owners, opens, lock_states, locks, files;
	/* States of clients that went, still being freed (a slice at a time,
	 * so that freeing a million opens never holds the others up). */
	unsigned dying_states;
	/* What the memory budget counts now, and the budget (0: none). */
	uint64_t memory_bytes, memory_budget;
	unsigned lock_waiters; /* blocked v4.1 lock requests remembered */
	unsigned records_prev; /* records from before the restart, pending reclaim */
	unsigned delegations;  /* held (not revoked) */
	bool in_grace;
	uint64_t cap_hits[STATE_CAP_KINDS]; /* requests refused at a cap, since start */
};

void state_get_stats(struct state_server *st, struct state_stats *out);

/* Holds the state thread (expiry, record writes and removals, recalls,
 * probes) while another ferryd takes the state over, or lets it go on
 * (the upgrade failed).  Returns once the thread is between two rounds. */
void state_server_pause(struct state_server *st, bool paused);

/* Runs the state thread's periodic work now (expiry, reaping, grace end)
 * and waits for it. */
void state_run_reaper(struct state_server *st);

/* --- in-place upgrades: the NFSv4 state handed over (lifecycle/state_carry.c)
 *
 * The old ferryd, frozen (state_server_pause, the RPC server's handover),
 * writes its clients, owners, opens, locks and sessions with the
 * identifiers the clients hold; the new one makes them again before it
 * serves, with no grace period.  Connections are named by their index in
 * the handover: conn_index gives a bound connection's (negative: not
 * handed over, the binding is dropped). */
struct rpc_conn;
typedef int (*state_carry_conn_index_fn)(void *arg, const struct rpc_conn *conn);

/* 0 and *out (the caller's); -EBUSY when something cannot be carried (a
 * delegation that state_deleg_suspend did not name carried, a lock held in a back end, a grace
 * period, a cluster head, a CREATE_SESSION half done: err says which),
 * -ENOMEM.  Revoked delegations their clients have not freed go as
 * revoked stateids. */
int state_carry_save(struct state_server *st, state_carry_conn_index_fn conn_index, void *arg,
		     struct buf **out, char *err, size_t errlen);
/* Makes the state of an image again in a server made with
 * state_options.carried (no grace period for its records' clients) that
 * has no NFSv4 client yet.  0, or -EINVAL with err (nothing of it is
 * kept). */
int state_carry_load(struct state_server *st, const uint8_t *p, size_t len, char *err,
		     size_t errlen);
/* The connection the handover listed at index is served as conn: the
 * carried sessions bound to it are bound again (before it is read). */
void state_carry_adopt_conn(struct state_server *st, size_t index, struct rpc_conn *conn);
/* Every connection adopted, the RPC server serving: what waited for
 * others is dropped, and the v4.0 clients' callback paths are probed
 * again (this process dials them anew). */
void state_carry_adopt_done(struct state_server *st);

/* Whether an upgrade can carry the delegations of a file (its back end
 * hands the file's lease over) or of a directory (dir: its back end hands
 * its watch over), called with the state's lock held. */
typedef bool state_deleg_carry_fn(void *arg, const struct state_file_key *file, bool dir);
/* Before an upgrade (on): every delegation held, file or directory, that
 * the upgrade does not carry (carried, NULL: none, says no) is recalled,
 * and none such is granted, while those it carries still are (a client
 * opening a file in the seconds a new binary takes to start, a CephFS
 * mount among them, still gets its delegation); after (off), any. */
void state_deleg_suspend(struct state_server *st, bool on, state_deleg_carry_fn *carried,
			 void *arg);
/* Once suspended: the delegations still held (being recalled) that the
 * upgrade does not carry (revoked ones aside, which it carries as such):
 * an upgrade carries the NFSv4 state only when none is left. */
unsigned state_deleg_outstanding(struct state_server *st);

/* --- types the server's own record keeps for its parts -------------------- */

/* Directory delegations' counters (state_dirdeleg_get_stats). */
struct state_dirdeleg_stats {
	uint64_t granted, recalled, revoked; /* since start */
	unsigned active;                     /* held now (revoked ones not counted) */
	uint64_t notifies;                   /* CB_NOTIFYs handed to the callback queue */
	uint64_t changes;                    /* the changes they carried */
	uint64_t notify_bytes;               /* their notify4 items' bytes on the wire */
	/* Recalls by cause (the others: a change no notification describes,
	 * or one the holder did not ask to be told of): more changes waiting
	 * than dir_max_changes, or one too large for any CB_NOTIFY; a
	 * CB_NOTIFY answered with an error; one under way longer than
	 * dir_slow_ms while others waited. */
	uint64_t overflows, notify_failures, slow;
	/* NFS4ERR_DELAY given to changes of other clients because of a
	 * recalled directory delegation, and the time from the first of them
	 * to the delegation's end, summed over delegations. */
	uint64_t delays, delay_ms;
};

/* Limits the server offers; set from the configuration. */
struct state_session_limits {
	uint32_t max_slots;          /* fore-channel slots per session (default 64) */
	uint32_t max_back_slots;     /* back-channel slots (default 16) */
	uint32_t max_request;        /* ca_maxrequestsize cap (the RPC record limit) */
	uint32_t max_response;       /* ca_maxresponsesize cap */
	uint32_t max_response_cached;/* per-slot cached reply cap */
	uint32_t max_operations;     /* ca_maxoperations cap */
	uint64_t cache_budget;       /* all reply caches together, in bytes */
};

/* An NLM grant (state/opens/state_nlm.h). */
struct state_nlm_grant;
/* Called once per grant, with no state lock held (from
 * state_lock_notify_flush's caller: the NFSv4 layer after a COMPOUND, the
 * state thread, the NLM layer after each call); must not block.  The
 * grant is valid during the call only. */
typedef void (*state_nlm_grant_fn)(void *ctx, const struct state_nlm_grant *g);

#endif
