/* What the control plane reads from the state module and the few changes
 * it makes: snapshots of clients and sessions (copies, taken under the
 * state locks and read afterwards without them) and the eviction of a
 * client.  Nothing here is on the request path.
 *
 * Locks: the snapshots take the state lock (level 3) and each session's
 * lock (level 5) in turn, as the request path does; evicting takes the
 * records lock and the state lock like a lease expiry. */
#ifndef FERRY_STATE_STATE_INFO_H
#define FERRY_STATE_STATE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/clients/session.h"
#include "state/state.h"

enum {
	STATE_INFO_OWNER_MAX = 128, /* owner names are cut here (owner_len says how long) */
	STATE_INFO_CONNS_MAX = 8,   /* connections listed per session */
};

struct state_client_info {
	uint64_t clientid;
	uint8_t owner[STATE_INFO_OWNER_MAX]; /* the co_ownerid / id bytes, maybe cut */
	uint32_t owner_len;                  /* the whole length */
	char origin[CONFIG_NAME_MAX]; /* the head it came in through ("": this one's own) */
	uint32_t minor;                      /* 0: SETCLIENTID; 1, 2: EXCHANGE_ID's */
	bool confirmed;
	char machine[RPC_AUTH_SYS_MAX_MACHINENAME + 1]; /* AUTH_SYS machine name */
	uint32_t uid;
	struct state_callback cb;      /* v4.0: the callback address it gave */
	char peer[STATE_PEER_MAX];     /* v4.0: where its calls came from ("": not known) */
	enum state_cb_status cb_status; /* v4.0: the last probe's outcome */
	int64_t lease_left_ms;          /* negative: expired, not yet reaped */
	unsigned sessions, owners, opens, lock_states;
	unsigned locks, delegations; /* byte ranges held; delegations held */
	uint64_t memory_bytes;       /* its state, as the memory budget counts it */
};

struct state_session_info {
	uint8_t id[NFS4_SESSIONID_SIZE];
	uint64_t clientid;
	uint32_t slots;            /* fore-channel slots */
	uint32_t slots_in_use;     /* requests being served */
	uint32_t target_highest_slotid; /* what SEQUENCE last returned */
	uint64_t cache_bytes;      /* replies kept in its slots */
	uint32_t back_slots;
	bool back_wanted;          /* the client asked for a back channel */
	bool cb_fault;
	enum state_cb_status cb_status;
	uint32_t cb_program;
	unsigned nconns; /* connections bound (conns lists the first few) */
	struct {
		struct rpc_conn *conn; /* referenced: released by state_session_info_free */
		unsigned dir;          /* STATE_CONN_* */
	} conns[STATE_INFO_CONNS_MAX];
};

/* Every client, confirmed or not.  *out is malloc'd (free() it), NULL with
 * *n 0 when there is none.  Returns 0 or -ENOMEM. */
int state_clients_snapshot(struct state_server *st, struct state_client_info **out, size_t *n);

/* Every session.  Free with state_session_info_free (it releases the
 * connection references).  Returns 0 or -ENOMEM. */
int state_sessions_snapshot(struct state_server *st, struct state_session_info **out,
			    size_t *n);
void state_session_info_free(struct state_server *st, struct state_session_info *v, size_t n);

/* Counts for metrics, cheaper than the snapshots: clients by minor version
 * (confirmed ones), sessions by back-channel health (none wanted, up,
 * down, unknown) and a histogram of slots in use per session (bucket i:
 * sessions with at most bounds[i] in use; the last bucket the rest). */
enum { STATE_SLOT_BUCKETS = 6 };
struct state_census {
	unsigned clients_by_minor[3];
	unsigned clients_unconfirmed;
	unsigned sessions_back[4]; /* none, up, down, unknown */
	unsigned slots_in_use_hist[STATE_SLOT_BUCKETS + 1];
	uint64_t slots_in_use_sum;
	/* The target_highest_slotid SEQUENCE last gave, lowest and highest over
	 * the sessions (a low one: the reply-cache budget is tight). */
	unsigned target_highest_slotid_min, target_highest_slotid_max;
	unsigned sessions;
};
extern const unsigned state_slot_bucket_bounds[STATE_SLOT_BUCKETS]; /* 0 1 2 4 8 16 */
void state_census(struct state_server *st, struct state_census *out);

/* Whether the session exists and conn is bound to it (either direction).
 * For the minor-version gate of a listener narrowed at run time. */
bool state_session_has_conn(struct state_server *st, const uint8_t *sessionid,
			    const struct rpc_conn *conn);

/* Evicts a client: its opens, locks and sessions go (as when its lease
 * ends), its stable record is removed (it may not reclaim) and its stateids
 * answer NFS4ERR_EXPIRED afterwards.  May block on the disk.  0 or -ENOENT. */
int state_client_evict(struct state_server *st, uint64_t clientid);

#endif
