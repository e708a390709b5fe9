/* Internals of the v4.1 session files (session.c, session_client.c). */
#ifndef FERRY_STATE_SESSION_INTERNAL_H
#define FERRY_STATE_SESSION_INTERNAL_H

#include <stdatomic.h>

#include "state/state_internal.h"

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
};

struct state_session {
	struct hashtable_node node;       /* st->sessions (sess_lock) */
	struct state_list client_link; /* client->sessions (st->lock) */
	uint8_t id[NFS4_SESSIONID_SIZE];
	uint64_t clientid;
	struct state_client *client; /* NULL once dead (st->lock) */
	atomic_uint refs;
	_Atomic uint64_t renewed_ms;
	atomic_uint inflight;

	/* Everything below under lock.
	 * lock order: see core/lock_order.h, level 5. */
	pthread_mutex_t lock;
	bool dead;
	struct nfs4_chan_attrs fore, back;
	uint32_t flags;
	uint32_t nslots;
	uint32_t target_last; /* the target_highest_slotid SEQUENCE last returned */
	struct state_slot *slots;
	struct state_sess_conn *conns;
	unsigned nconns, conns_cap;
	/* back channel */
	bool back_wanted; /* the client asked for one */
	uint32_t cb_program;
	struct state_cb_sec cb_sec;
	uint32_t cb_seqid;
	bool cb_busy;
	bool cb_fault;
	enum state_cb_status cb_status;
};

/* session.c (st->lock held) */
struct state_session *state_session_new(struct state_server *st, struct state_client *cl,
					const struct nfs4_chan_attrs *fore,
					const struct nfs4_chan_attrs *back, uint32_t flags,
					uint32_t cb_program, const struct state_cb_sec *sec);
void state_session_kill(struct state_server *st, struct state_session *s);
/* Binds conn to s (st->lock may be held). */
void state_session_bind_initial(struct state_server *st, struct state_session *s,
				struct rpc_conn *conn, unsigned dir);

#endif
