/* Internals of the v4.1 session files (session.c, session_client.c). */
#ifndef FERRY_STATE_SESSION_INTERNAL_H
#define FERRY_STATE_SESSION_INTERNAL_H

#include <stdatomic.h>

#include "state/base/state_internal.h"
#include "state/clients/session.h"

struct state_slot {
	uint32_t seqid;     /* of the last request taken */
	bool used;          /* a request was taken */
	bool inflight;      /* it is being served */
	uint64_t digest;    /* of its arguments (SEQ_FALSE_RETRY) */
	struct buf *reply;  /* the reply sent for it, when kept (immutable) */
	size_t reply_off;   /* where the COMPOUND4res starts in reply */
};

struct state_sess_conn {
	struct rpc_conn *conn; /* referenced */
	unsigned dir;          /* STATE_CONN_* */
	uint64_t last_fore_ms;
	bool back_failed;      /* a callback send on it failed */
};

/* One slot of the back channel (the client is the replier). */
struct state_back_slot {
	uint32_t seqid; /* the last seqid the client took on it */
	bool busy;      /* a callback holds it */
};

struct state_session {
	struct hashtable_node node;       /* st->sessions (sess_lock) */
	struct list_node client_link; /* client->sessions (st->lock) */
	uint8_t id[NFS4_SESSIONID_SIZE];
	uint64_t clientid;
	struct state_client *client; /* NULL once dead (st->lock) */
	uint8_t minor; /* its client's minor version (1 or 2): its callbacks' */
	struct state_sp4 sp4; /* its client's, fixed before any session exists */
	/* st->opts.gss_context_alive, for back_working_locked. */
	bool (*gss_context_alive)(struct rpc_conn *conn, const uint8_t *handle, uint32_t len);
	atomic_uint refs;
	_Atomic uint64_t renewed_ms;
	atomic_uint inflight;
	atomic_bool recallable_revoked; /* the client's flag (state_client_set_revoked) */
	/* How many sessions its client has (itself included), set under
	 * st->lock as they come and go: its share of the reply-cache budget
	 * is its client's share divided by this. */
	atomic_uint client_sessions;

	/* Everything below under lock.
	 * lock order: see core/lock_order.h, level 5. */
	pthread_mutex_t lock;
	bool dead;
	/* Carried by an upgrade, its connections not yet taken by this
	 * process (state_carry_adopt_done ends it): no back-bound connection
	 * then means "not yet", not a path that is down. */
	bool carry_unbound;
	struct nfs4_chan_attrs fore, back;
	uint32_t flags;
	uint32_t nslots;
	uint32_t target_last; /* the target_highest_slotid SEQUENCE last returned */
	/* sr_highest_slotid: slots above it are freed (their replies gone,
	 * their seqids started again) and NFS4ERR_BADSLOT until it rises. */
	uint32_t highest;
	struct state_slot *slots;
	struct state_sess_conn *conns;
	unsigned nconns, conns_cap;
	/* back channel */
	bool back_wanted; /* the client asked for one */
	uint32_t cb_program;
	struct state_cb_sec cb_sec;
	struct state_back_slot *back_slots; /* back.maxrequests of them */
	uint32_t back_limit; /* the highest slot id the client lets us use */
	bool cb_fault;
	bool cb_probing; /* a probe was asked for since cb_status became unknown */
	enum state_cb_status cb_status;
};

/* session.c (st->lock held).  new: id NULL makes one; a session carried
 * over from another ferryd (state_carry_load) keeps its own. */
struct state_session *state_session_new(struct state_server *st, struct state_client *cl,
					const struct nfs4_chan_attrs *fore,
					const struct nfs4_chan_attrs *back, uint32_t flags,
					uint32_t cb_program, const struct state_cb_sec *sec,
					const uint8_t *id);
void state_session_kill(struct state_server *st, struct state_session *s);
/* Binds conn to s (st->lock may be held). */
void state_session_bind_initial(struct state_server *st, struct state_session *s,
				struct rpc_conn *conn, unsigned dir);

/* The rpc layer's hooks: release a connection reference; tell it a
 * session starts or stops using the connection as its back channel. */
void state_conn_put(struct state_server *st, struct rpc_conn *conn);
void state_conn_hold_back(struct state_server *st, struct rpc_conn *conn, bool on);

/* session_conn.c: the sessions each connection is bound to (s->lock held
 * for add and del).  add: false when out of memory. */
int state_conn_index_init(struct state_server *st);
void state_conn_index_fini(struct state_server *st);
bool state_conn_index_add(struct state_server *st, const struct rpc_conn *conn,
			  struct state_session *s);
void state_conn_index_del(struct state_server *st, const struct rpc_conn *conn,
			  struct state_session *s);

/* s->lock held: conn's entry among the session's connections, or NULL. */
struct state_sess_conn *state_sess_conn_find(struct state_session *s, const struct rpc_conn *conn);

/* session_back.c */
/* s->lock held: some back-bound connection exists; one that has not failed
 * exists and the last callback did not find the path down. */
bool state_session_has_back_locked(const struct state_session *s);
bool state_session_back_working_locked(const struct state_session *s);
/* No lock held: some session of the client has a working back channel. */
bool state_client_back_working(struct state_server *st, uint64_t clientid);

#endif
