/* NLM v4 locks and share reservations in the state module (state_nlm.c).
 *
 * An NLM host (the caller_name of its requests, from one address) is a
 * client of its own kind: no lease (NSM tells when it reboots), in neither client table, so
 * no NFSv4 request can name it.  Its lock owners are (host, svid, oh): an
 * owner's bytes are the svid (4 bytes, big-endian) then oh.  Their locks
 * are lock states on the same files and in the same range lists as NFSv4
 * byte-range locks, so the two conflict both ways: an NLM lock is another
 * owner's lock to a v4 LOCK, LOCKT, READ or WRITE, and a v4 lock denies an
 * NLM LOCK or TEST.  A v4 holder is reported to TEST with svid 0 and its
 * lock owner's bytes as oh.
 *
 * A blocking LOCK that is denied waits on its file (NLM4_BLOCKED).  When
 * the locks in its way go (an NLM UNLOCK, a v4 LOCKU or CLOSE, a client
 * or host going), the state module takes the lock for it and queues a
 * grant; the NLM layer's hook (state_nlm_grant_hook_set) sends GRANTED to
 * the client.  The grant carries bytes the NLM layer gave with the LOCK
 * (what it needs to build the call), which the state module never reads.
 *
 * Grace is the state module's one grace period: while it lasts only
 * reclaims take locks and shares, everything else is
 * NLM4_DENIED_GRACE_PERIOD.  A reclaim outside grace is served as a new
 * lock (a server without NFSv4 client records starts with no grace, and
 * must not refuse an NLM client that reclaims after its restart).
 *
 * The functions answer nlm4_stats (xdr/nlm_prot.h) and take st->lock. */
#ifndef FERRY_STATE_STATE_NLM_H
#define FERRY_STATE_STATE_NLM_H

#include <stdbool.h>
#include <stdint.h>

#include "state/state.h"
#include "xdr/nlm_prot.h"

struct state_server;
struct state_file_key;

/* Blocked LOCKs remembered at most, in all (past it: DENIED_NOLOCKS). */
enum { STATE_NLM_BLOCKS_MAX = 4096, STATE_NLM_BLOB_MAX = 8192 };

struct state_nlm_owner {
	const uint8_t *host; /* caller_name */
	uint32_t host_len;
	/* The caller's address ("192.0.2.1"): a host is its name at an
	 * address, so that another machine naming it cannot touch its
	 * locks (FREE_ALL, UNLOCK). */
	const char *addr;
	int32_t svid;
	const uint8_t *oh;
	uint32_t oh_len;
};

struct state_nlm_lock {
	struct state_nlm_owner owner;
	const struct state_file_key *file;
	bool exclusive;
	uint64_t offset, len; /* NLM's: len 0 is to the end of the file */
};

/* TEST's nlm4_holder. */
struct state_nlm_holder {
	bool exclusive;
	int32_t svid;
	uint32_t oh_len;
	uint8_t oh[NLM4_MAXNETOBJ];
	uint64_t offset, len;
};

/* What a call did to its host, for NSM (which knows hosts by name): the
 * first state of a host of that name came (monitor it), or the last went
 * (stop). */
struct state_nlm_effect {
	bool host_new;
	bool host_gone;
};

/* On an export whose back end holds locks too (backend_ops.lock, ceph),
 * the NLM layer takes them there after the table (state_nlm_lock), lets
 * them go after it (state_nlm_unlock), and asks it after TEST: this is
 * what it needs.  Passed as NULL elsewhere. */
struct state_nlm_backend {
	/* The owner's id in the back end (state_lock_owner_id), set when the
	 * owner is known (always after a granted LOCK). */
	uint64_t owner_id;
	bool owner_known;
	/* UNLOCK: the owner holds nothing on the file any more (the back end
	 * may let go of the whole file). */
	bool none_left;
};

/* TEST: NLM4_GRANTED, NLM4_DENIED with *holder, DENIED_GRACE_PERIOD.  be
 * (may be NULL) gets the owner's id when it has locks. */
uint32_t state_nlm_test(struct state_server *st, const struct state_nlm_lock *l,
			struct state_nlm_holder *holder, struct state_nlm_backend *be);

/* LOCK (and NM_LOCK, block false): POSIX semantics as NFSv4 LOCK (the
 * owner's own locks are replaced, split and merged).  A denied lock with
 * block set waits (NLM4_BLOCKED; a repeated request of the same owner and
 * range refreshes it, keeping its place), unless waiting would close a
 * cycle of NLM owners each waiting for the next (NLM4_DEADLCK), and is
 * granted later through the hook with blob (blob_len at most STATE_NLM_BLOB_MAX, copied).  nsm_state
 * is the client's NSM state number (kept, reported). */
uint32_t state_nlm_lock(struct state_server *st, const struct state_nlm_lock *l, bool block,
			bool reclaim, int32_t nsm_state, const void *blob, uint32_t blob_len,
			struct state_nlm_effect *eff);

/* LOCK on an export whose back end holds locks: never blocks in the table
 * (a granted waiter would not hold the back end's lock; the caller answers
 * NLM4_BLOCKED to a blocking request that is denied, and the client asks
 * again), marks the lock state so that its locks are let go in the back
 * end when it goes with them (a released notice, state_lock_notice), and
 * gives the owner's id in be. */
uint32_t state_nlm_lock_backend(struct state_server *st, const struct state_nlm_lock *l,
				bool reclaim, int32_t nsm_state, struct state_nlm_effect *eff,
				struct state_nlm_backend *be);

/* UNLOCK: NLM4_GRANTED (unlocking what is not locked included).  be (may
 * be NULL) gets the owner's id and whether it holds anything left. */
uint32_t state_nlm_unlock(struct state_server *st, const struct state_nlm_lock *l,
			  struct state_nlm_effect *eff, struct state_nlm_backend *be);

/* CANCEL: forgets the blocked LOCK of the owner with this range and kind,
 * if any; NLM4_GRANTED either way (as other servers answer; a lock
 * granted meanwhile is the client's to refuse through GRANTED's answer). */
uint32_t state_nlm_cancel(struct state_server *st, const struct state_nlm_lock *l,
			  struct state_nlm_effect *eff);

/* SHARE / UNSHARE (DOS share reservations): access and mode (what it
 * denies) as NLM4_FSA_* / NLM4_FSM_*, which conflict with each other and
 * with NFSv4 OPENs' share_access/share_deny as OPENs do
 * (NLM4_DENIED; an NFSv4 OPEN past an NLM share gets NFS4ERR_SHARE_DENIED).
 * One reservation per (owner, file): a second replaces the first. */
uint32_t state_nlm_share(struct state_server *st, const struct state_nlm_owner *o,
			 const struct state_file_key *file, uint32_t access, uint32_t mode,
			 bool reclaim, struct state_nlm_effect *eff);
uint32_t state_nlm_unshare(struct state_server *st, const struct state_nlm_owner *o,
			   const struct state_file_key *file, struct state_nlm_effect *eff);

/* FREE_ALL (host: the caller_name, addr: the caller's address), or a
 * host rebooted (NSM: host NULL, every name at addr): drops every lock,
 * blocked LOCK and share of the host(s).
 * Returns how many locks went; *known: the host had a record. */
/* Whether some host at this address still holds state (NSM keeps
 * watching the address until none does). */
bool state_nlm_addr_held(struct state_server *st, const char *addr);

unsigned state_nlm_free_host(struct state_server *st, const uint8_t *host, uint32_t host_len,
			     const char *addr, bool *known);

/* A blocked LOCK granted since: blob as the LOCK gave it, the host. */
struct state_nlm_grant {
	const uint8_t *host;
	uint32_t host_len;
	const uint8_t *blob;
	uint32_t blob_len;
};


/* Sets (or, fn NULL, clears) the hook; queued grants with no hook are
 * dropped (their locks stay with the owner until it unlocks or its host
 * goes). */
void state_nlm_grant_hook_set(struct state_server *st, state_nlm_grant_fn fn, void *ctx);

/* NLM hosts held locks before this start (the NLM layer's own record):
 * they may reclaim, so a grace period of grace_time starts now, as it
 * does for NFSv4 client records, and lasts its whole length (NLM has no
 * RECLAIM_COMPLETE to end it early). */
void state_nlm_grace_begin(struct state_server *st);
/* Whether the grace period is over (or there is none). */
bool state_nlm_grace_over(struct state_server *st);

/* --- handing the locks to the ferryd an upgrade starts ------------------ */

/* One lock, share or blocked LOCK of an NLM host, as its call made it:
 * calling state_nlm_lock (block for a blocked one, with its blob) or
 * state_nlm_share with it, reclaim set, makes it again. */
enum state_nlm_item_kind { STATE_NLM_ITEM_LOCK = 1, STATE_NLM_ITEM_SHARE, STATE_NLM_ITEM_BLOCK };

struct state_nlm_item {
	enum state_nlm_item_kind kind;
	struct state_nlm_lock lock; /* LOCK and BLOCK; the owner for SHARE */
	int32_t nsm_state;
	uint32_t access, deny;      /* SHARE */
	const uint8_t *blob;        /* BLOCK */
	uint32_t blob_len;
	/* The lock is held in the back end too (state_nlm_lock_backend):
	 * another process cannot take it over from this table alone. */
	bool backend;
};

/* Calls fn with each, st->lock held (fn must not call the state module);
 * stops at fn's first false, which it returns. */
bool state_nlm_visit(struct state_server *st,
		     bool (*fn)(void *arg, const struct state_nlm_item *it), void *arg);

/* --- for the control plane ------------------------------------------- */

struct state_nlm_host_info {
	char name[NLM4_MAXSTRLEN + 1];
	char addr[64];
	int32_t nsm_state;
	unsigned owners, locks, blocked, shares;
};

struct state_nlm_stats {
	unsigned hosts, locks, blocked, shares;
	uint64_t granted_later;
};

void state_nlm_get_stats(struct state_server *st, struct state_nlm_stats *out);

/* Every NLM host, in a malloc'd array the caller frees; -ENOMEM or the
 * count. */
int state_nlm_list_hosts(struct state_server *st, struct state_nlm_host_info **out);

#endif
