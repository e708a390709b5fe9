/* Internals of the callback engine (queue.c: queues, workers, retries;
 * send41.c: the v4.1 back channel; send40.c: v4.0 dial-out).
 *
 * A channel is the queue of one session (v4.1) or one client (v4.0).  Its
 * items are started in order by a worker (one worker runs a channel at a
 * time), several may be in flight at once (v4.1: up to the client's back
 * slots), and a later item never starts while an earlier one waits for its
 * backoff or DELAY pause (probes excepted: they carry no operation).  A
 * reply arrives on an rpc loop thread; it only records the outcome and
 * hands the item back to the workers, which call done().
 *
 * Lock: the engine's lock (struct cb_engine.workers.lock), level 9a of
 * core/lock_order.h: it guards the channels and the items' queue fields
 * (state, timers, counts; an item's slot and result fields belong to its
 * owner while it is CB_ITEM_SENDING) and is a leaf: no state, rpc or user
 * code runs under it.  conn40 is touched only by the worker running its
 * channel. */
#ifndef FERRY_CALLBACK_INTERNAL_H
#define FERRY_CALLBACK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/workers.h"
#include "callback/callback.h"
#include "state/clients/session.h"

struct rpc_conn;
struct rpc_reply_hdr;
struct xdr_dec;
struct cb_chan;

enum cb_item_state {
	CB_ITEM_QUEUED,   /* ready to be sent when its turn comes */
	/* A worker is sending it, or it was sent and its reply is awaited.
	 * Until cb_item_outcome its owner is the sender, then (once the call
	 * is handed to rpc, after which the sender leaves it alone) the reply
	 * handler: only the owner changes the slot and result fields. */
	CB_ITEM_SENDING,
	CB_ITEM_WAIT,     /* waits until not_before (backoff, DELAY pause) */
	CB_ITEM_FINISHED, /* ended: done() is due */
};

struct cb_item {
	struct cb_item *next;     /* the channel's FIFO, then the finished list */
	struct cb_chan *chan;
	struct cb_call *call;     /* the owner's; NULL for a probe */
	unsigned kind;            /* for the counters (CB_KIND_PROBE for a probe) */
	bool probe;               /* v4.1: only CB_SEQUENCE; v4.0: CB_NULL */
	enum cb_item_state state;
	uint64_t queued_ms;       /* for the duration counter */
	uint64_t not_before_ms;   /* CB_ITEM_WAIT */
	unsigned attempts;        /* failed attempts so far */
	unsigned resends;         /* DELAY and uncached retries (bounded) */
	unsigned sends;           /* sends so far (the retries counter) */
	bool moved;               /* the immediate retry on another connection was used */
	bool backoff;             /* CB_ITEM_WAIT after a failed attempt (not a DELAY pause) */
	const struct rpc_conn *exclude; /* compared only: avoid it on the next send */
	/* v4.1: a back slot held across a resend with the same seqid. */
	bool has_slot;
	uint32_t slotid, seqid;
	bool reset_tried;         /* SEQ_MISORDERED: seqid 1 was tried */
	/* The ending. */
	uint32_t status;
	/* The result's body on NFS4_OK (an op with a decode): decoded again
	 * into call->res for done. */
	uint8_t *res_body;
	uint32_t res_len;
};

struct cb_chan {
	struct cb_chan *next;       /* the engine's channels */
	struct cb_chan *ready_next; /* the engine's ready list */
	bool on_ready, running;
	bool rerun;   /* something changed while a worker ran it */
	bool stalled; /* every usable back slot is held by its calls */
	bool v41;
	uint8_t sessionid[NFS4_SESSIONID_SIZE];
	uint64_t clientid;
	struct state_session *session; /* v4.1, referenced */
	struct cb_item *head, **tail;
	unsigned nitems;
	unsigned nfinished; /* ended items not yet delivered: they point here */
	/* v4.0: the dialled connection (referenced) and the callback it was
	 * dialled for. */
	struct rpc_conn *conn40;
	uint32_t gen40;
	/* v4.0 under RPCSEC_GSS: the context the server made with the
	 * client's callback service (referenced), for callback gen40. */
	struct rpc_gss_cb *gss40;
	uint32_t gss_gen40;
	uint32_t ident40, prog40;
};

struct cb_engine {
	struct state_server *state;
	struct rpc_server *const *rpc;
	bool (*may_dial)(void *ctx, const struct sockaddr_storage *addr);
	void *ctx;
	struct cb_timing t;
	/* The callback workers; workers.lock: lock order, see
	 * core/lock_order.h, level 9a. */
	struct workers workers;
	pthread_cond_t idle; /* calls_out reached 0 */
	bool stopped; /* cb_engine_stop ran (the owner's thread only) */
	struct cb_chan *chans;
	struct cb_chan *ready_head, **ready_tail;
	struct cb_item *finished, **finished_tail; /* FIFO: done() in the order items ended */
	unsigned calls_out; /* rpc calls whose done has not run yet */
	/* Counters (under lock). */
	struct cb_stats stats;
};

/* How one try of an item ended (cb_item_outcome). */
enum cb_outcome {
	CB_OUT_DONE,       /* answered: status is the result */
	CB_OUT_RESEND,     /* send again at once (the slot kept or given back) */
	CB_OUT_PAUSE,      /* send again after delay_ms (NFS4ERR_DELAY) */
	CB_OUT_FAILED,     /* an attempt failed: another connection, or backoff */
	CB_OUT_NOSLOT,     /* every back slot is busy: wait for one */
	/* A session an upgrade carried whose connections this process has
	 * not taken yet: send again after delay_ms, not counted against the
	 * resends (the upgrade bounds the wait: it takes them or gives up). */
	CB_OUT_NOT_YET,
};

/* queue.c: records the outcome of a send or reply of item (no lock
 * held); conn is the connection used (NULL when none), status the result
 * for CB_OUT_DONE. */
void cb_item_outcome(struct cb_engine *eng, struct cb_item *item, enum cb_outcome out,
		     const struct rpc_conn *conn, uint32_t status);
/* A call of item is handed to rpc (counted; its done will run) / its done
 * ran. */
void cb_call_started(struct cb_engine *eng, struct cb_item *item);
void cb_call_ended(struct cb_engine *eng);

/* Moves an item of a destroyed session to the queue of session to (the
 * client's other session with a back channel), or, when the engine is
 * stopping, ends it with NFS4ERR_CB_PATH_DOWN; either way the caller's
 * worker then forgets it.  0 or -ENOMEM (the item stays). */
int cb_item_move41(struct cb_engine *eng, struct cb_item *item, struct state_session *to);

/* send40.c: whether a v4.0 client's callback address may be dialled: a
 * literal tcp/tcp6 address that the engine's may_dial lets in. */
bool cb_dial_allowed(struct cb_engine *eng, const struct state_callback *cb);

/* send41.c: sends item (state CB_ITEM_SENDING) over the v4.1 back
 * channel of its channel's session; a worker thread, no lock held.  Ends
 * with cb_item_outcome now or when the reply came. */
void cb_send41(struct cb_engine *eng, struct cb_item *item);

/* send40.c: the same over the v4.0 dialled connection. */
void cb_send40(struct cb_engine *eng, struct cb_item *item);

/* The kind of op for the counters: 1 + its row in ops/list.h, or 0
 * (cb_compound.c). */
unsigned cb_op_kind(const struct cb_op *op);

/* Keeps a copy of the result body of op (decoded NFS4_OK) in item: the
 * reply goes away before done runs.  False when out of memory. */
bool cb_item_keep_res(struct cb_item *item, const struct cb_compound_op *op);
/* Decodes the kept body again into res (op's result struct), pointing into
 * item. */
bool cb_item_decode_res(const struct cb_item *item, const struct cb_op *op, void *res);

/* A callback's reply as both back channels read it (queue.c). */
struct cb_reply {
	bool answered; /* an accepted RPC that succeeded */
	struct cb_compound_outcome out;
	struct cb_compound_op op; /* the item's operation (not a probe's) */
	/* op.res: room for any op's decoded result (CB_RES_MAX_SIZE). */
	_Alignas(16) unsigned char res[CB_RES_MAX_SIZE];
};

/* Reads the reply of item's call (err, hdr and results as rpc gives them
 * to the completion) into *r; seq is the CB_SEQUENCE sent (v4.1), or NULL
 * (v4.0: a probe is a CB_NULL, which has no results). */
void cb_reply_read(struct cb_reply *r, const struct cb_item *item, int err,
		   const struct rpc_reply_hdr *hdr, struct xdr_dec *results,
		   const struct nfs4_cb_sequence_args *seq);

/* The outcome of a reply the client processed: NFS4ERR_DELAY from the
 * operation pauses the item; anything else ends it with the COMPOUND's
 * status in *status (a result's body kept in item for done). */
enum cb_outcome cb_reply_settle(struct cb_item *item, const struct cb_reply *r,
				uint32_t *status);

#endif
