/* Internals shared by the state module's files.  Everything here is
 * protected by st->lock unless said otherwise. */
#ifndef FERRY_STATE_STATE_INTERNAL_H
#define FERRY_STATE_STATE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "core/container_of.h"
#include "core/hashtable.h"
#include "core/list.h"
#include "core/siphash.h"
#include "state/state.h"

/* --- objects ------------------------------------------------------------ */

struct state_client {
	struct hashtable_node by_id;
	struct hashtable_node by_name;
	struct list_node link; /* st->clients */
	uint64_t clientid;
	uint8_t verifier[NFS4_VERIFIER_SIZE];
	uint8_t confirm[NFS4_VERIFIER_SIZE];
	uint8_t *name;
	uint32_t name_len;
	struct state_principal principal;
	struct state_callback cb;
	char peer[STATE_PEER_MAX]; /* v4.0: where its calls came from (state_client_seen_from) */
	bool confirmed;
	bool reclaimable; /* had a stable record before the restart */
	uint64_t expires_ms;
	struct list_node owners;
	enum state_cb_status cb_status;
	uint32_t cb_gen; /* advances with each callback change */
	/* v4.0, path not up: the client's next renewal at or after this time
	 * asks for another probe (0: none asked for yet); cb_downs failed
	 * probes in a row stretch the wait (state_callback.c). */
	uint64_t cb_reprobe_ms;
	unsigned cb_downs;
	unsigned n_delegs;  /* delegations held (not revoked) */
	unsigned n_revoked; /* revoked delegations not yet freed */
	/* What counts against the caps (struct state_caps). */
	unsigned n_open_owners, n_lock_owners, n_opens, n_lock_states, n_locks;
	uint32_t caps_logged; /* 1 << state_cap_kind: refusals logged already */
	uint64_t recall_any_ms; /* when it was last asked to give delegations back */

	/* An NLM host (state_nlm.c), named by its caller_name: on
	 * st->nlm_hosts by link, in neither client table, no lease. */
	bool nlm;
	int32_t nlm_nsm_state; /* the NSM state its last LOCK carried */
	char nlm_addr[64];     /* the address it calls from */
	unsigned nlm_blocks, nlm_shares; /* its blocked LOCKs and shares */

	/* v4.1 and up (EXCHANGE_ID); see session.h. */
	bool v41;
	uint8_t minor; /* the minor version it registered with (0 for SETCLIENTID) */
	struct state_sp4 sp4; /* v4.1: SP4_MACH_CRED, set at EXCHANGE_ID */
	uint32_t eid_flags;
	uint32_t cs_seq;           /* the last CREATE_SESSION sequence taken */
	struct buf *cs_reply;      /* its result body, for a replay (or NULL) */
	enum nfsstat4 cs_status;
	/* cs_seq was taken and its result is not kept yet (the record is
	 * being written, the result encoded): a retry waits (DELAY). */
	bool cs_busy;
	bool reclaim_complete;
	bool recallable_revoked; /* SEQ4_STATUS_RECALLABLE_STATE_REVOKED */
	struct list_node sessions; /* struct state_session.client_link */
};

/* STATE_OWNER_DELEG: one per client that holds delegations, so that a
 * delegation is a stateid like the others (found, expired and freed with
 * its client through the owner tables). */
enum state_owner_kind { STATE_OWNER_OPEN = 1, STATE_OWNER_LOCK = 2, STATE_OWNER_DELEG = 3 };

struct state_owner {
	struct hashtable_node node;
	struct list_node client_link;
	struct state_client *client; /* NULL once dead */
	uint64_t clientid;
	enum state_owner_kind kind;
	uint32_t len;
	unsigned refs; /* the owner table's, plus callers' */
	bool dead;
	bool confirmed; /* open owners: OPEN_CONFIRM done (or not needed) */
	bool has_seqid;
	uint32_t seqid;
	uint64_t last_used_ms;
	struct list_node states; /* its opens or lock states */
	struct state_open *closed; /* v4.0: last closed open, for a CLOSE replay */

	/* The sequence: mutex outside st->lock; the rest under st->lock.
	 * lock order: see core/lock_order.h, level 1. */
	pthread_mutex_t seq_lock;
	bool seq_new;	      /* the operation in progress is a new one */
	uint32_t seq_pending; /* its seqid */
	uint32_t seq_opnum;   /* and operation */
	/* The last seqid-ordered reply, as state_seq_begin hands it out for a
	 * replay; its body is owned here (malloc'd). */
	bool r_valid;
	struct state_replay reply;
	uint8_t bytes[]; /* the owner's name (len), allocated with it */
};

struct state_file {
	struct hashtable_node node;
	struct state_file_key key;
	struct list_node opens;
	struct list_node lock_states;
	struct list_node ranges; /* every lock on the file, by any owner */
	struct list_node delegs; /* struct state_deleg.s.file_link */
	struct list_node waiters; /* struct state_waiter.file_link */
	unsigned n_waiters;
	/* NLM: blocked LOCKs waiting for the range (struct state_nlm_block,
	 * oldest first) and DOS share reservations (struct state_nlm_share),
	 * state_nlm.c. */
	struct list_node nlm_blocks;
	struct list_node nlm_shares;
	unsigned writers; /* opens with write access (the back end's write hold) */
};

/* A denied blocking lock request (state_lock_wait.c).  The owner is kept
 * by value: a new lock owner whose first LOCK was denied is undone. */
struct state_waiter {
	struct list_node file_link;
	struct list_node all_link; /* st->waiters, oldest first */
	struct state_file *file;
	uint64_t clientid;
	uint32_t type; /* STATE_READ_LT or STATE_WRITE_LT */
	uint64_t start, last;
	uint64_t expires_ms;
	uint32_t owner_len;
	uint8_t owner[];
};

/* A waiter whose lock may be free, queued for state_lock_notify_flush. */
struct state_notice {
	struct state_notice *next;
	bool released; /* see state_lock_notice */
	uint64_t owner_id;
	uint64_t clientid;
	struct state_file_key file;
	uint32_t owner_len;
	uint8_t owner[];
};

/* Calls the base makes into the parts above it, each registered by the
 * part that does the work when the server is made (st->lock held in all). */
enum { STATE_HOOKS_MAX = 4 };
struct state_server;
struct state_client;
struct state_hooks {
	/* A client is being torn down: each part lets go of what it keeps
	 * of it outside its owners (waiting lock requests). */
	void (*client_gone[STATE_HOOKS_MAX])(struct state_server *st, struct state_client *cl);
	unsigned n_client_gone;
	/* Memory is short: each part frees or asks back what it can. */
	void (*reclaim[STATE_HOOKS_MAX])(struct state_server *st, uint64_t now);
	unsigned n_reclaim;
	/* Whether a confirmed client of this name exists (the records keep
	 * one for each); set by the clients' part. */
	bool (*client_named)(struct state_server *st, const uint8_t *name, uint32_t len);
};
void state_hooks_add_client_gone(struct state_server *st,
				 void (*fn)(struct state_server *st, struct state_client *cl));
void state_hooks_add_reclaim(struct state_server *st,
			     void (*fn)(struct state_server *st, uint64_t now));
/* Runs the client_gone hooks for cl. */
void state_hooks_client_gone(struct state_server *st, struct state_client *cl);

enum state_stid_type {
	STATE_STID_OPEN = 1,
	STATE_STID_LOCK,
	STATE_STID_CLOSED,
	STATE_STID_DELEG,
	STATE_STID_KINDS
};

/* What the part of the state module that owns a kind of stateid does with
 * one, registered by that part when the server is made
 * (state_stid_kind_set): the parts beneath it (an owner torn down,
 * FREE_STATEID) reach opens, locks and delegations only through this. */
struct state_stid;
struct state_stid_kind {
	/* Frees s and what hangs from it (st->lock held). */
	void (*free)(struct state_server *st, struct state_stid *s);
	/* FREE_STATEID of s, a stateid of the caller's that TEST_STATEID
	 * finds NFS4_OK or NFS4ERR_DELEG_REVOKED (tested): NFS4_OK when it
	 * was freed, NFS4ERR_LOCKS_HELD while it must be closed, returned or
	 * unlocked first (RFC 8881 18.38.3). */
	enum nfsstat4 (*free_stateid)(struct state_server *st, struct state_stid *s,
				      enum nfsstat4 tested);
};

/* What open and lock states have in common: the stateid. */
struct state_stid {
	struct hashtable_node node;
	uint8_t other[NFS4_OTHER_SIZE];
	uint32_t seqid;
	enum state_stid_type type;
	struct state_owner *owner;
	struct state_file *file; /* NULL once closed */
	struct list_node owner_link;
	struct list_node file_link;
};

struct state_open {
	struct state_stid s;
	uint32_t access, deny;
	/* Bit v set: some OPEN asked for exactly access (deny) value v.
	 * OPEN_DOWNGRADE may only return to such a value (RFC 7530 16.19.4). */
	uint8_t access_seen, deny_seen;
};

struct state_lockst {
	struct state_stid s;
	struct state_open *open; /* the open the lock owner came from */
	/* Its locks are held in the back end too (state_lock_args.backend):
	 * going with locks, it leaves a released notice. */
	bool backend;
	/* An NLM host's (state_nlm.c): open is NULL, and no NFSv4 request
	 * may name its stateid. */
	bool nlm;
};

struct state_range {
	struct list_node file_link;
	struct state_lockst *ls;
	uint64_t start, last; /* inclusive; last UINT64_MAX: to the end */
	uint32_t type;	      /* STATE_READ_LT or STATE_WRITE_LT */
};

/* A delegation (state_deleg.c).  s.owner is its client's delegation owner;
 * s.file is NULL once revoked (the stateid stays until the client frees or
 * returns it, or goes). */
enum state_ga { STATE_GA_IDLE = 0, STATE_GA_PENDING, STATE_GA_ANSWERED };

struct state_deleg {
	struct state_stid s;
	uint32_t type; /* OPEN_DELEGATE_READ or OPEN_DELEGATE_WRITE */
	bool recalled, revoked;
	uint64_t recall_ms;           /* when it was recalled */
	struct list_node recall_link; /* st->deleg.recalled_list while recalled */
	/* A CB_RECALL the holder could not match to a delegation of its own
	 * (NFS4ERR_BAD_STATEID, NFS4ERR_BADHANDLE): most likely it overtook
	 * the reply that granted it.  Sent again at resend_ms (0: not due),
	 * at most STATE_DELEG_RECALL_RESENDS times. */
	uint64_t resend_ms;
	unsigned resends;
	/* CB_GETATTR (write delegations): the holder's answer. */
	enum state_ga ga;
	struct state_deleg_ga ga_values;
	/* RFC 9754: granted as an ATTRS_DELEG one (the holder keeps the
	 * file's access and modify times). */
	bool timestamps;
	/* A directory delegation (state_dirdeleg.c): what its holder asked
	 * to be told and what waits to be sent; NULL for a file's. */
	struct state_dirdeleg *dir;
};

/* What a directory delegation has beyond a file delegation's record. */
struct state_dirdeleg {
	struct state_deleg *owner; /* the record this belongs to */
	uint32_t notify; /* the NOTIFY4_* bits granted */
	struct nfs4_bitmap child_attrs, dir_attrs;
	uint32_t child_delay_ms, dir_delay_ms;
	/* The changes not yet sent: each a notify4 item of the wire
	 * (state_dirdeleg_batch); wire counts their bytes in CB_NOTIFYs.
	 * One CB_NOTIFY carries at most max_wire of them (what the back
	 * channel takes); more wait for the next, at most the server's
	 * max_changes in all. */
	uint8_t *buf;
	uint32_t len, cap, count, wire, max_wire;
	uint64_t due_ms;  /* when the next CB_NOTIFY goes out (0: nothing waits) */
	bool in_flight;   /* a CB_NOTIFY of it is under way */
	/* The first NFS4ERR_DELAY a change of another client got while this
	 * delegation was recalled (0: none); its end adds the time since to
	 * the counters. */
	uint64_t delayed_since_ms;
	struct list_node pending_link; /* st->deleg.dir_pending while due_ms */
};

struct state_deleg_recent {
	struct state_file_key key;
	uint64_t ms;
};

enum { STATE_DELEG_RECENT = 64, STATE_DELEG_PENDING_MAX = 4096, STATE_DIR_WISHES = 64 };
/* Write holds waiting for the NFSv4 layer: one per OPEN or CLOSE of a file
 * between two drains (every COMPOUND drains at its end). */
enum { STATE_WRITE_HOLDS_MAX = 1 << 16 };

/* The outbox (state_outbox.c, the base): every side effect waiting for the
 * NFSv4 layer, whichever part queued it (st->lock). */
struct state_outbox {
	/* Callbacks to send, and files whose lease is to go. */
	struct state_deleg_cb *cbs;
	size_t ncbs, cbs_cap;
	struct state_file_key *unleased;
	size_t nunleased, unleased_cap;
	/* Files whose first open with write access came or last went, for
	 * the back end's write holds, oldest first. */
	struct state_write_hold *wholds;
	size_t nwholds, wholds_cap;
	_Atomic bool work; /* cbs, unleased or wholds not empty */
	_Atomic bool urgent; /* cbs or unleased not empty */
};
/* Keeps the outbox's flags in step with its queues (after every change). */
void state_outbox_flag(struct state_server *st);
/* A zeroed entry at the end of the callback queue, or NULL (logged) when it
 * is full; the caller fills it and calls state_outbox_flag. */
struct state_deleg_cb *state_outbox_callback_slot(struct state_server *st);
/* Queues key's lease to be dropped. */
void state_outbox_unlease(struct state_server *st, const struct state_file_key *key);
/* Queues a write hold (on) or its release for key; a release whose hold
 * is still queued cancels it. */
void state_outbox_write_hold(struct state_server *st, const struct state_file_key *key, bool on);
void state_outbox_fini(struct state_server *st);
/* The state thread's drain: the NFSv4 layer's hook, when work is pending
 * (no lock held). */
void state_deleg_work_run(struct state_server *st);

/* Delegation bookkeeping of the server (st->lock). */
struct state_deleg_table {
	struct state_deleg_limits limits;
	struct state_deleg_stats files; /* file delegations' counters, as reported */
	struct list_node recalled_list; /* struct state_deleg.recall_link */
	/* The earliest resend_ms of the recalled ones (0: none due): the
	 * state thread wakes for it. */
	uint64_t resend_due_ms;
	/* Files recalled lately (a ring): no new delegation on them. */
	struct state_deleg_recent recent[STATE_DELEG_RECENT];
	unsigned recent_next;
	atomic_uint n_any, n_write; /* active, and active write, delegations */
	/* state_deleg_suspend: none granted, file or directory, that the
	 * upgrade would not carry. */
	bool suspended;
	/* While suspended: which files' delegations an upgrade carries (the
	 * others are recalled first); NULL: none. */
	state_deleg_carry_fn *carried;
	void *carried_arg;
	/* Directory delegations (state_dirdeleg.c): counted apart from file
	 * delegations, their batches of notifications waiting to be sent. */
	struct state_dirdeleg_stats dirs; /* their counters, as reported */
	atomic_uint n_dir; /* dirs.active, for a check without the lock */
	atomic_uint n_dir_child; /* of them, those told of child attributes */
	struct list_node dir_pending; /* struct state_dirdeleg.pending_link */
	/* Clients told GDD4_UNAVAIL with will_signal: each gets
	 * CB_RECALLABLE_OBJ_AVAIL once that directory may be delegated. */
	struct state_dir_wish {
		uint64_t clientid;
		struct state_file_key dir;
	} dir_wishes[STATE_DIR_WISHES];
	unsigned n_dir_wishes;
};

/* A record from before the restart. */
struct state_prev {
	uint8_t *name;
	uint32_t name_len;
	bool reclaimed; /* its client said RECLAIM_COMPLETE (v4.1) */
};

struct state_probe {
	struct state_probe *next;
	uint64_t clientid;
	uint32_t gen;
	uint32_t prog;
	char netid[STATE_NETID_MAX];
	char addr[STATE_UADDR_MAX];
};

enum { STATE_EXPIRED_MAX = 4096 };

struct state_server {
	/* Each kind of stateid's operations (state_stid_kind_set). */
	const struct state_stid_kind *stid_kinds[STATE_STID_KINDS];
	/* Set by the delegations' part (state_deleg_init): whether another
	 * client's delegation on f stands in the way of an access by
	 * clientid (0: none known) that changes (write) or reads the file,
	 * recalling those that do.  Opens, locks and NLM, beneath it, ask
	 * through state_delegs_in_way. */
	bool (*delegs_in_way)(struct state_server *st, struct state_file *f, uint64_t clientid,
			      bool write);
	/* What the parts above the base registered for it to call
	 * (state_hooks_add_*): the base never calls up by name. */
	struct state_hooks hooks;
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 3 */
	struct state_options opts;
	uint32_t boot; /* epoch: in clientids and stateids */
	/* Counters behind the clientids and stateids, which show them only
	 * through state_id_permute. */
	uint32_t next_client;
	uint32_t next_stid;
	struct siphash_key hkey;
	struct siphash_key id_key; /* per boot, for state_id_permute */
	struct hashtable clients_by_id, clients_by_name, owners, stids, files;
	struct list_node clients;

	/* Clientids whose lease expired or that were replaced: their stateids
	 * get NFS4ERR_EXPIRED rather than NFS4ERR_BAD_STATEID. */
	uint64_t expired[STATE_EXPIRED_MAX];
	size_t expired_next, expired_count;

	/* Grace: the records read at start-up, until the grace period ends. */
	bool grace;
	uint64_t grace_end_ms;
	struct state_prev *prev;
	size_t nprev;

	/* Stable records.  lock order: see core/lock_order.h, level 2. */
	pthread_mutex_t records_lock;
	struct state_record_store *rec_store; /* NULL: no stable records */
	struct state_cluster *cluster;	      /* NULL: not clustered */

	/* The state thread. */
	pthread_t thread;
	bool thread_started;
	pthread_cond_t cond;
	bool stop;
	/* state_server_pause: the state thread does nothing (no expiry, no
	 * record written or removed, no callback) until resumed. */
	bool paused;
	bool pause_held; /* the thread saw paused and waits */
	bool outbox_kicked; /* state_outbox_kick: the thread drains the outbox */
	uint64_t reap_requests, reap_done; /* state_run_reaper */
	pthread_cond_t reap_cond;
	struct state_probe *probes, **probes_tail;
	uint32_t interval_ms;

	unsigned n_owners, n_opens, n_lock_states, n_locks, n_files;
	/* Open and lock owners of clients that went (expired, destroyed,
	 * rebooted): dead already, so nothing finds them or conflicts with
	 * their states, which the state thread frees a slice at a time
	 * (state_owners_free_dying) so that a client with a million opens
	 * does not hold st->lock, and every other client, for its whole
	 * freeing.  Linked by client_link. */
	struct list_node dying_owners;
	unsigned n_dying_opens, n_dying_lock_states; /* counted in n_opens, n_lock_states too */
	uint64_t reclaim_ms; /* the last walk for memory to free (state_room_for) */
	unsigned n_clients; /* records, confirmed or not (the clients cap) */
	_Atomic uint64_t cap_hits[STATE_CAP_KINDS];
	struct state_deleg_table deleg;
	struct state_outbox outbox;

	/* Blocked v4.1 lock requests and their notices (state_lock_wait.c).
	 * The hook and its busy count under st->lock; notify_cond signals
	 * notify_busy reaching 0. */
	struct list_node waiters;
	unsigned n_waiters;
	struct state_notice *notices, **notices_tail;
	_Atomic bool notices_queued;
	state_lock_notify_fn notify_fn;
	void *notify_ctx;
	unsigned notify_busy;
	pthread_cond_t notify_cond;

	/* NLM hosts and their granted blocked locks (state_nlm.c). */
	struct list_node nlm_hosts; /* struct state_client.link */
	struct list_node nlm_blocks_all, nlm_shares_all; /* their all_link */
	unsigned n_nlm_hosts, n_nlm_blocks, n_nlm_shares;
	struct state_nlm_grant_item *nlm_grants, **nlm_grants_tail;
	state_nlm_grant_fn nlm_grant_fn;
	void *nlm_grant_ctx;
	uint64_t nlm_granted_later; /* blocked locks granted when freed, since start */
	/* The grace period NLM hosts from before the restart need: not cut
	 * short when every NFSv4 client has reclaimed (0: none). */
	uint64_t nlm_grace_end_ms;

	/* v4.1 sessions (session.c): the table under sess_lock, counters
	 * atomic.  lock order: see core/lock_order.h, level 4. */
	pthread_mutex_t sess_lock;
	struct hashtable sessions;
	uint32_t next_session;
	struct state_session_limits limits;
	_Atomic uint64_t cache_bytes;
	_Atomic uint64_t n_sequence, n_replay, n_bad_session, n_badslot, n_misordered,
		n_slot_busy, n_false_retry, n_uncached, n_slots_in_use, n_sessions, n_cb_ok,
		n_cb_failed, n_too_many_ops, n_req_too_big, n_close_visits,
		n_session_clients; /* clients with at least one session */
	/* Sessions carried over from another ferryd waiting for the
	 * connections they were bound to (lifecycle/state_carry.c), until
	 * state_carry_adopt_done (st->lock). */
	struct state_carry_bind *carry_binds;
	size_t n_carry_binds;
	/* Connection -> the sessions bound to it (session_conn.c).
	 * lock order: see core/lock_order.h, level 5a. */
	pthread_mutex_t conn_index_lock;
	struct hashtable conn_index;
};

/* --- helpers across files (st->lock held unless said otherwise) ---------- */

uint64_t state_hash(const struct state_server *st, const void *a, size_t alen, const void *b,
		    size_t blen);
uint64_t state_now_ms(void);
void state_random(void *out, size_t len);
/* A per-boot secret permutation of 32-bit values, one per domain ('C'
 * clientids, 'S' stateids): an id made of it is unique per counter value
 * and does not tell the ids made before or after it. */
uint32_t state_id_permute(const struct state_server *st, uint8_t domain, uint32_t n);

/* clients/state_client.c (state_clientid_expired: base/state_stid.c) */
struct state_client *state_client_find(struct state_server *st, uint64_t clientid,
				       bool confirmed);
struct state_client *state_client_find_name(struct state_server *st, const uint8_t *name,
					    uint32_t len, bool confirmed);
/* A confirmed client for an operation: STALE_CLIENTID / EXPIRED; renews. */
enum nfsstat4 state_client_use(struct state_server *st, uint64_t clientid,
			       struct state_client **out);
void state_client_renew(struct state_server *st, struct state_client *cl);
/* Drops a client and all its state; remembers its clientid as expired. */
void state_client_destroy(struct state_server *st, struct state_client *cl, bool tombstone);
bool state_clientid_expired(const struct state_server *st, uint64_t clientid);
/* The kinds of stateids (struct state_stid_kind): set by the part that
 * owns a kind; state_stid_free frees any stateid through its kind. */
void state_stid_kind_set(struct state_server *st, enum state_stid_type type,
			 const struct state_stid_kind *kind);
void state_stid_free(struct state_server *st, struct state_stid *s);
/* Each part registers its hooks and kinds of stateids. */
void state_clients_init(struct state_server *st);
void state_opens_init(struct state_server *st);
void state_locks_init(struct state_server *st);
/* Remembers clientid as expired (a ring of STATE_EXPIRED_MAX). */
void state_clientid_tombstone(struct state_server *st, uint64_t clientid);
bool state_client_has_state(const struct state_client *cl);
/* Confirms an unconfirmed client (SETCLIENTID_CONFIRM, or the first
 * CREATE_SESSION): its earlier incarnation under the same name goes with
 * its state (its stateids then read as expired), and it may reclaim while
 * the grace period lasts if it had a record before the restart.  Returns
 * a copy of its name (malloc'd, NULL when out of memory) for
 * state_client_record_write.  st->lock held. */
uint8_t *state_client_confirm(struct state_server *st, struct state_client *unconf);
/* Writes the stable record of a client just confirmed (name from
 * state_client_confirm, freed here): it must be on disk before the client
 * relies on it.  Called with no lock held. */
void state_client_record_write(struct state_server *st, uint8_t *name, uint32_t len);
/* EXCHANGE_ID and SETCLIENTID: whether the confirmed record under the
 * asked name (*conf, may be NULL) belongs to another principal and keeps
 * the name, being busy (the caller's protocol says what counts) under a
 * live lease: the caller answers NFS4ERR_CLID_INUSE.  An idle or lapsed
 * record of another principal is destroyed instead (its clientid then
 * reads as expired): *conf becomes NULL and *dropped true, and the caller
 * syncs the name's stable record after releasing st->lock.  st->lock held. */
bool state_client_name_taken(struct state_server *st, struct state_client **conf,
			     const struct state_principal *who,
			     bool (*busy)(const struct state_client *), bool *dropped);
/* The state thread's pass: expires clients.  Returns names whose stable
 * record must be re-synced (malloc'd array of malloc'd prev entries). */
size_t state_clients_expire(struct state_server *st, uint64_t now, struct state_prev **names);

/* state_deleg.c: whether a delegation on f is being recalled (no new
 * one is granted on the file meanwhile). */
bool state_deleg_any_recalled(const struct state_file *f);
/* Whether the upgrade under way carries delegation d, file or directory
 * (st->lock held). */
bool state_deleg_is_carried(struct state_server *st, const struct state_deleg *d);
/* Whether a new delegation of file (dir: a directory's) may be granted
 * now: always, but during an upgrade's run-up only one the upgrade will
 * carry (st->lock held). */
bool state_deleg_grantable(struct state_server *st, const struct state_file_key *file, bool dir);
/* A delegation held in the ferryd before this one (state_carry_load), with
 * its stateid as it was; dir: a directory delegation's record (taken, also
 * on failure; NULL: a file's); recalled: when (state_now_ms's clock; it is
 * revoked a lease after that, as before).  NULL when out of memory. */
struct state_deleg *state_deleg_carried(struct state_server *st, struct state_client *cl,
					struct state_file *f, const uint8_t other[NFS4_OTHER_SIZE],
					uint32_t seqid, uint32_t type, bool timestamps,
					struct state_dirdeleg *dir, bool recalled, uint64_t recall_ms);
/* A delegation revoked in the ferryd before this one that its client has
 * not freed yet (state_carry_load): its stateid as it was, on no file. */
bool state_deleg_carried_revoked(struct state_server *st, struct state_client *cl,
				 const uint8_t other[NFS4_OTHER_SIZE], uint32_t seqid, uint32_t type);

/* clients/state_owner.c */
struct state_owner *state_owner_find(struct state_server *st, uint64_t clientid,
				     enum state_owner_kind kind, const uint8_t *bytes,
				     uint32_t len);
struct state_owner *state_owner_create(struct state_server *st, struct state_client *cl,
				       enum state_owner_kind kind, const uint8_t *bytes,
				       uint32_t len);
/* Unlinks an owner and frees its states; the memory goes with the last
 * reference. */
void state_owner_kill(struct state_server *st, struct state_owner *o);
/* A v4.1 open or lock owner whose last state went and that nothing but
 * the table and `held` references of the caller holds goes now (st->lock
 * held).  Sessions give v4.1 exactly-once semantics, so an owner keeps no
 * seqid or reply to replay, and one kept until the lease ran out would
 * count against the client's owners for nothing (clients that name an
 * owner per OPEN make thousands a minute).  v4.0 owners keep their last
 * reply for a retransmitted CLOSE and wait for the reaper. */
void state_owner_release_if_empty(struct state_server *st, struct state_owner *o, unsigned held);
/* Kills an owner whose client is going: at once for a delegation owner;
 * an open or lock owner is only made dead (unfindable, its states
 * conflicting with nothing: see state_stid_live) and left on
 * st->dying_owners for state_owners_free_dying. */
void state_owner_bury(struct state_server *st, struct state_owner *o);
/* Queues a CB_RECALL_ANY asking v4.1 client cl to keep at most keep of
 * its delegations (st->lock held). */
void state_deleg_queue_recall_any(struct state_server *st, struct state_client *cl, uint32_t keep);
/* Frees up to max states of dying owners, and the owners left empty;
 * returns whether any remain (st->lock held). */
bool state_owners_free_dying(struct state_server *st, unsigned max);
/* Whether a state still counts: its owner is not dead (a dying client's
 * states stay on their files until freed, ignored). */
static inline bool state_stid_live(const struct state_stid *s) { return !s->owner->dead; }
void state_owner_unref(struct state_server *st, struct state_owner *o);
void state_owners_reap(struct state_server *st, uint64_t now);
/* Memory is short: owners kept only so that a v4.0 CLOSE or OPEN could be
 * replayed go (a reclaim hook of the clients' part). */
void state_owners_reclaim(struct state_server *st, uint64_t now);

/* opens/state_open.c; the stateid table (state_stid_init, _find, _missing,
 * _bump, _export, _is_special) is base/state_stid.c, state_file_key_eq
 * base/state_base.c */
struct state_file *state_file_get(struct state_server *st, const struct state_file_key *key,
				  bool create);
void state_file_maybe_free(struct state_server *st, struct state_file *f);
bool state_file_key_eq(const struct state_file_key *a, const struct state_file_key *b);
void state_stid_init(struct state_server *st, struct state_stid *s, enum state_stid_type type,
		     struct state_owner *o, struct state_file *f);
/* The same with the identity given (a state carried over from another
 * ferryd, state_carry_load); other must be unused. */
void state_stid_init_as(struct state_server *st, struct state_stid *s, enum state_stid_type type,
			struct state_owner *o, struct state_file *f,
			const uint8_t other[NFS4_OTHER_SIZE], uint32_t seqid);
/* Frees an open state, its lock states included. */
void state_open_free(struct state_server *st, struct state_open *op);
/* An open carried over from another ferryd (state_carry_load), with its
 * stateid as it was; f NULL: a v4.0 owner's last closed open. */
struct state_open_carry {
	uint8_t other[NFS4_OTHER_SIZE];
	uint32_t seqid;
	uint32_t access, deny;
	uint8_t access_seen, deny_seen;
};
struct state_open *state_open_carried(struct state_server *st, struct state_owner *o,
				      struct state_file *f, const struct state_open_carry *c);
/* Finds and validates a stateid for an operation on file. */
enum nfsstat4 state_stid_lookup(struct state_server *st, const struct nfs4_stateid *sid,
				const struct state_file_key *file, uint32_t minor,
				struct state_stid **out);
bool state_stid_is_special(const struct nfs4_stateid *sid, uint8_t fill, uint32_t seqid);
/* The stateid with this "other" (any type, closed ones included), or NULL. */
struct state_stid *state_stid_find(struct state_server *st, const uint8_t *other);
/* The stateid owner o holds among those on a file's list (opens or lock
 * states, linked by file_link), or NULL. */
struct state_stid *state_stid_of_owner(const struct list_node *file_list,
				       const struct state_owner *o);
/* Whether s is not for a caller of client clientid (the v4.1 session's;
 * 0: a v4.0 request, which may use any v4.0 client's stateids but no
 * v4.1 client's).  The owner is alive. */
static inline bool state_stid_foreign(const struct state_stid *s, uint64_t clientid)
{
	return clientid ? s->owner->clientid != clientid : s->owner->client->v41;
}
/* Why a stateid is not usable when state_stid_find found nothing (or it is
 * special): BAD_STATEID, STALE_STATEID or EXPIRED. */
enum nfsstat4 state_stid_missing(const struct state_server *st, const struct nfs4_stateid *sid);
void state_stid_bump(struct state_stid *s);
void state_stid_export(const struct state_stid *s, struct nfs4_stateid *out);

/* deleg/state_deleg.c */
void state_deleg_init(struct state_server *st);
/* Frees a delegation (its file's list, its owner's list, the tables); the
 * file's lease is queued to be dropped when it was the last one, except
 * by _returned (DELEGRETURN drops it itself). */
void state_deleg_free(struct state_server *st, struct state_deleg *d);
void state_deleg_free_returned(struct state_server *st, struct state_deleg *d);
/* A delegation stateid (not a revoked check), or NULL. */
struct state_deleg *state_deleg_find(struct state_server *st, const struct nfs4_stateid *sid);
void state_deleg_recall_locked(struct state_server *st, struct state_deleg *d);
void state_deleg_revoke_locked(struct state_server *st, struct state_deleg *d, const char *why);
/* Schedules d's CB_RECALL to be sent again (state_deleg_recalls_resend),
 * unless it was tried STATE_DELEG_RECALL_RESENDS times already; wakes the
 * state thread. */
void state_deleg_recall_resend_locked(struct state_server *st, struct state_deleg *d);
void state_deleg_queue_getattr(struct state_server *st, struct state_deleg *d);
/* A new delegation of client cl on f (a directory one when dir is
 * given: the record takes it), counted; NULL when out of memory (dir is
 * then freed too). */
struct state_deleg *state_deleg_new(struct state_server *st, struct state_client *cl,
				    struct state_file *f, uint32_t type, struct state_dirdeleg *dir);
/* Another client's delegation on f conflicts with an access by clientid:
 * recalls it (queues CB_RECALL) unless it already is; true if any.  The
 * parts beneath the delegations' ask through state_delegs_in_way. */
bool state_deleg_conflict(struct state_server *st, struct state_file *f, uint64_t clientid,
			  bool write);
static inline bool state_delegs_in_way(struct state_server *st, struct state_file *f,
				       uint64_t clientid, bool write)
{
	return st->delegs_in_way && st->delegs_in_way(st, f, clientid, write);
}
/* Whether a v4.1 client's back channel may carry a delegation's
 * callbacks (need_up: its last callback was answered); takes the
 * sessions' locks. */
bool state_deleg_back_usable(struct state_client *cl, bool need_up);
/* Whether key was recalled less than no_regrant_ms before now. */
bool state_deleg_recently_recalled(const struct state_server *st,
				   const struct state_file_key *key, uint64_t now);
/* The state thread's pass: revokes recalled delegations not returned
 * within a lease. */
void state_delegs_expire(struct state_server *st, uint64_t now);
/* Sends again the recalls due by now (state_deleg.resend_ms); st->lock
 * held.  The thread then drains the queue (state_deleg_work_run). */
void state_deleg_recalls_resend(struct state_server *st, uint64_t now);
/* The status of a revoked delegation's stateid for minor. */
static inline enum nfsstat4 state_deleg_revoked_status(uint32_t minor)
{
	return minor >= 1 ? NFS4ERR_DELEG_REVOKED : NFS4ERR_EXPIRED;
}

/* state_dirdeleg.c: a directory delegation leaves its file (returned,
 * recalled, revoked, freed): its pending batch goes. */
void state_dirdeleg_drop_batch(struct state_server *st, struct state_deleg *d);
/* state_dirdeleg.c: a change that waited for the holder of d (a directory
 * delegation carried by an upgrade) in the ferryd before this one,
 * appended in its order, due at due_ms; false when out of memory. */
bool state_dirdeleg_carried_change(struct state_server *st, struct state_deleg *d, uint32_t kind,
				   uint64_t key, uint64_t due_ms, const uint8_t *body,
				   uint32_t len);

/* opens/state_lock.c */
void state_lockst_free(struct state_server *st, struct state_lockst *ls);
bool state_lockst_has_ranges(const struct state_lockst *ls);
typedef bool (*state_range_skip_fn)(const struct state_range *r, const void *arg);
/* The first lock on f that conflicts with a lock of type over [start,
 * last], ignoring those for which skip() says so (skip NULL: none). */
const struct state_range *state_lock_conflict(const struct state_file *f, uint32_t type,
					      uint64_t start, uint64_t last,
					      state_range_skip_fn skip, const void *arg);
/* skip for state_lock_conflict: the locks of lock owner arg. */
bool state_range_of_owner(const struct state_range *r, const void *owner);
/* The last byte of [offset, offset + length); STATE_LENGTH_EOF: UINT64_MAX. */
uint64_t state_range_last(uint64_t offset, uint64_t length);
/* Takes [start, last] out of ls's ranges (spare: see state_lock.c). */
void state_ranges_cut(struct state_server *st, struct state_lockst *ls, uint64_t start,
		      uint64_t last, struct state_range **spare);
/* Gives ls a lock of type over [start, last] (nr and *spare preallocated). */
void state_ranges_set(struct state_server *st, struct state_lockst *ls, uint32_t type,
		      uint64_t start, uint64_t last, struct state_range *nr,
		      struct state_range **spare);
/* The two ranges state_ranges_set needs, allocated before the state lock
 * is taken; false, with neither, when there is no memory. */
bool state_ranges_alloc(struct state_range **nr, struct state_range **spare);
/* Lock owner lo's lock state on f, or NULL. */
struct state_lockst *state_lockst_of(struct state_file *f, const struct state_owner *lo);
/* A lock state carried over from another ferryd (state_carry_load), with
 * its stateid as it was, taken through open op; its ranges follow
 * (state_ranges_set). */
struct state_lockst *state_lockst_carried(struct state_server *st, struct state_owner *lo,
					  struct state_open *op, const uint8_t other[NFS4_OTHER_SIZE],
					  uint32_t seqid);

/* opens/state_nlm.c */
void state_nlm_init(struct state_server *st);
/* Frees every NLM host and what it holds (server destruction). */
void state_nlm_fini(struct state_server *st);
/* Locks on f went or shrank: blocked NLM LOCKs nothing blocks any more
 * are granted now and queued for the grant hook. */
void state_nlm_blocks_wake(struct state_server *st, struct state_file *f);
/* Whether an NLM share reservation on f other than skip's conflicts with
 * access/deny (STATE_SHARE_* bits). */
bool state_nlm_share_conflicts(const struct state_file *f, uint32_t access, uint32_t deny,
			       const void *skip);
/* The queued grants, taken off the queue (st->lock held; the same flag,
 * st->notices_queued, says whether any wait, and state_lock_notify_flush
 * takes them with the lock notices). */
struct state_nlm_grant_item *state_nlm_grants_take(struct state_server *st);
/* Hands grants taken to the hook fn and frees them (st->lock not held). */
void state_nlm_grants_send(struct state_nlm_grant_item *list, state_nlm_grant_fn fn, void *ctx);

/* state_lock_wait.c: waiters of denied blocking locks (see state.h) */
void state_waiters_init(struct state_server *st);
/* Remembers (or refreshes) the waiter of owner on f; false when it is
 * not remembered (the limits, or out of memory). */
bool state_waiter_add(struct state_server *st, struct state_file *f, uint64_t clientid,
		      const uint8_t *owner, uint32_t owner_len, uint32_t type, uint64_t start,
		      uint64_t last);
/* state_waiter_add of a waiter an upgrade carried, expiring at expires_ms;
 * added in the order they expire (lifecycle/state_carry.c). */
bool state_waiter_carried(struct state_server *st, struct state_file *f, uint64_t clientid,
			  const uint8_t *owner, uint32_t owner_len, uint32_t type, uint64_t start,
			  uint64_t last, uint64_t expires_ms);
/* Forgets the waiter of owner on f (it got a lock there). */
void state_waiter_drop(struct state_server *st, struct state_file *f, uint64_t clientid,
		       const uint8_t *owner, uint32_t owner_len);
/* Locks on f went or shrank: the waiters nothing blocks any more become
 * notices.  f may be freed (state_file_maybe_free) unless keep. */
void state_waiters_wake(struct state_server *st, struct state_file *f, bool keep);
/* Queues a released notice (state_lock_notice) for lock owner o's locks on
 * file f, which its lock state held when it went. */
void state_lock_release_queue(struct state_server *st, const struct state_owner *o,
			      const struct state_file *f);
/* Forgets the waiters of a client (owner NULL) or of one of its owners. */
void state_waiters_forget(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			  uint32_t owner_len);
void state_waiters_expire(struct state_server *st, uint64_t now);
/* Frees every waiter and notice (server destruction). */
void state_waiters_fini(struct state_server *st);

/* Whether count reached cap (0: no cap); a hit is counted.  st->lock. */
bool state_cap_reached(struct state_server *st, enum state_cap_kind kind, unsigned count);
/* Whether client cl (NULL: a new one) may have one more of kind, which it
 * has count of: below the count cap, and the state's memory (all
 * clients', freeing what may go first; cl's share of it) has room.  A
 * refusal is counted and logged once per client and limit.  st->lock. */
bool state_room_for(struct state_server *st, struct state_client *cl, enum state_cap_kind kind,
		    unsigned count);
/* The bytes the budget counts: all clients' state, one client's. */
uint64_t state_memory_used(const struct state_server *st);
uint64_t state_client_memory(const struct state_client *cl);
/* The client table is full: a new record would pass the clients cap. */
static inline bool state_clients_full(struct state_server *st)
{
	return !state_room_for(st, NULL, STATE_CAP_CLIENTS, st->n_clients);
}

/* state_client.c: a new client record (unconfirmed), in the tables. */
struct state_client *state_client_new(struct state_server *st, const struct state_principal *who,
				      const uint8_t verifier[NFS4_VERIFIER_SIZE],
				      const uint8_t *name, uint32_t len,
				      const struct state_callback *cb, uint64_t clientid);
/* What every client record has, an NFSv4 client's or an NLM host's: its
 * name copied, empty lists; no id, in no table yet.  NULL: no memory. */
struct state_client *state_client_alloc(const uint8_t *name, uint32_t len);
uint64_t state_clientid_new(struct state_server *st);
bool state_principal_eq(const struct state_principal *a, const struct state_principal *b);
/* A malloc'd copy of len bytes (NULL when out of memory); never a zero-size
 * allocation, so an empty name still has a buffer that free() takes. */
uint8_t *state_bytes_dup(const uint8_t *p, uint32_t len);

/* session.c (st->lock held) */
int state_sessions_init(struct state_server *st);
void state_sessions_fini(struct state_server *st);
/* Destroys the sessions of a client that goes away. */
void state_sessions_client_gone(struct state_server *st, struct state_client *cl);
/* Sets SEQ4_STATUS_RECALLABLE_STATE_REVOKED on (or off) the client's
 * sessions. */
void state_sessions_recallable_revoked(struct state_server *st, struct state_client *cl, bool on);
/* Pushes a v4.1 client's lease forward by its sessions' latest use. */
void state_sessions_lease(struct state_server *st, struct state_client *cl);

/* state_record.c (records_lock, then st->lock, taken inside) */
int state_records_open(struct state_server *st);
void state_records_close(struct state_server *st);
void state_record_sync(struct state_server *st, const uint8_t *name, uint32_t len);
/* st->lock held: ends grace when due; returns the names to re-sync. */
size_t state_grace_tick(struct state_server *st, uint64_t now, struct state_prev **names);
bool state_grace_active(struct state_server *st, uint64_t now);
/* This head's own grace period (its records' clients may reclaim), the
 * cluster's aside.  st->lock held. */
bool state_grace_own(const struct state_server *st, uint64_t now);

/* Clustered heads (state_cluster.c).  open: connects to the grace object
 * and makes *boot unique in the cluster (st->cluster set, even on
 * failure: state_cluster_close frees it); start: joins (need: this head
 * has clients that may reclaim) and starts the cluster thread. */
int state_cluster_open(struct state_server *st, uint32_t *boot);
int state_cluster_start(struct state_server *st, bool need);
void state_cluster_close(struct state_server *st);
/* The cluster is in grace, or this head cannot tell: no new state. */
bool state_cluster_enforcing(const struct state_server *st, uint64_t now);
/* Reclaims must wait (NFS4ERR_DELAY): other heads may not enforce yet. */
bool state_cluster_reclaims_wait(const struct state_server *st, uint64_t now);
/* This head's own grace just ended: tell the cluster now. */
void state_cluster_kick(struct state_server *st);
/* Removes name's stable record, whatever the state says (a planned stop:
 * state_records_forget_stateless).  0 or a negative errno (logged). */
int state_record_forget(struct state_server *st, const uint8_t *name, uint32_t len);
/* Makes names (another head's records) this head's: durable in its store,
 * reclaimable in a grace period of grace_time from now.  0 or a negative
 * errno (a record could not be written). */
int state_records_adopt(struct state_server *st, const struct state_prev *names, size_t n);
bool state_prev_has(const struct state_server *st, const uint8_t *name, uint32_t len);
/* st->lock held: the client of record name finished reclaiming; when it
 * was the last one that could, grace ends now. */
void state_grace_reclaimed(struct state_server *st, const uint8_t *name, uint32_t len);
void state_prev_free(struct state_prev *p, size_t n);

/* clients/state_callback.c */
void state_cb_schedule(struct state_server *st, struct state_client *cl);
/* v4.0: cl renewed its lease at now (st->lock held): asks for another probe
 * of its callback path when it is not up and the wait after the last one
 * is over. */
void state_cb_reprobe_due(struct state_server *st, struct state_client *cl, uint64_t now);
/* Runs one queued probe, if any, with st->lock NOT held.  Returns false
 * when the queue was empty. */
bool state_cb_run_one(struct state_server *st);
void state_cb_free_queue(struct state_server *st);

#endif
