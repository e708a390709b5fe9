/* The callback engine: the callbacks the server sends to its clients.
 * It sits between rpc + state and nfs4 (core <- xdr <- rpc <- callback
 * <- nfs4, core <- backend <- state <- callback): it knows the wire form
 * of CB_COMPOUND and of each callback operation, a queue per session
 * (v4.1) or client (v4.0), the callback workers that drain them in order,
 * the retries, the v4.1 back channel (send41.c) and the v4.0 dialled
 * connection (send40.c).  The state of the back channel (its slots and
 * seqids, the path's status, the v4.0 probe queue) is the state module's
 * (state/clients/session.h, state/state.h); what a callback is for (a recall, a
 * notice) is its owner's, in nfs4.
 *
 * A callback operation is one file, src/callback/ops/<name>.c, defining
 * its struct cb_op (how its arguments are encoded and its result decoded,
 * through the codec of xdr/nfs4_codec_cb.h), and one row in
 * src/callback/ops/list.h.  Nothing else in the engine names it.
 *
 * What users of cb_queue must know:
 *   - The owner embeds a struct cb_call in its own object and keeps it, its
 *     args and what they point to (a file handle, a lock owner, notify4
 *     bodies) until done() ran: the engine copies nothing.
 *   - done() runs on a callback worker thread with no lock held, exactly
 *     once per queued call, also when the session is destroyed, the client
 *     expires or the server stops (then NFS4ERR_CB_PATH_DOWN).  It is the
 *     owner's last look at the call (free it there).
 *   - A session destroyed with callbacks queued: they move to another
 *     session of the client with a back channel at their next attempt,
 *     or end with NFS4ERR_CB_PATH_DOWN after the retries.
 *   - done() may run before cb_queue returns (on a worker): make what it
 *     looks at ready before queueing.
 *   - NFS4ERR_CB_PATH_DOWN means the client could not be reached: the
 *     caller revokes what it recalled and, for v4.1, sets the client's
 *     SEQ4_STATUS_RECALLABLE_STATE_REVOKED (state_client_set_revoked).
 *     A queued callback is not withdrawn when its reason went away (a
 *     delegation returned meanwhile): done() should check. */
#ifndef FERRY_CALLBACK_CALLBACK_H
#define FERRY_CALLBACK_CALLBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "callback/ops/list.h"
#include "xdr/nfs4_codec_cb.h"

struct rpc_server;
struct state_server;
struct state_session;
struct cb_engine;

/* --- callback operations ------------------------------------------------------------ */

/* One callback operation: the wire half of a callback, shared by every
 * owner that sends it (CB_RECALL goes for file and directory delegations
 * alike).  Arguments are the codec's struct nfs4_cb_OP_args, results its
 * struct nfs4_cb_OP_res. */
struct cb_op {
	uint32_t opnum;
	/* The kind of callback in metrics (ferry_callbacks_total{op="recall"}). */
	const char *name;
	/* The lowest minor version that defines it (0: any): a CB_COMPOUND
	 * carrying it says at least this one (CB_OFFLOAD: 2, which a Linux
	 * client refuses as illegal in a minor version 1 CB_COMPOUND). */
	uint32_t minor_min;
	/* The largest result body on NFS4_OK Ferry accepts: what a reply to
	 * a CB_COMPOUND of these operations may take (ca_maxresponsesize of
	 * the back channel bounds it too). */
	uint32_t res_max;
	bool (*encode)(struct xdr_enc *e, const void *args);
	/* NULL for an operation whose result on NFS4_OK is void; else decodes
	 * into res (at most CB_RES_MAX_SIZE bytes), pointing into d. */
	bool (*decode)(struct xdr_dec *d, void *res);
};

/* An operation's encoder (and decoder, for a result that is not void) in
 * its file of ops/: the codec's function for its struct nfs4_cb_OP_args
 * (struct nfs4_cb_OP_res) as struct cb_op calls it, named cb_enc_OP
 * (cb_dec_OP). */
#define CB_OP_ENCODER(op)                                                                    \
	static bool cb_enc_##op(struct xdr_enc *e, const void *args)                         \
	{                                                                                    \
		return nfs4_enc_cb_##op##_args(e, args);                                     \
	}
#define CB_OP_DECODER(op)                                                                    \
	static bool cb_dec_##op(struct xdr_dec *d, void *res)                                \
	{                                                                                    \
		return nfs4_dec_cb_##op##_res(d, res);                                       \
	}

/* The largest decoded result struct of any operation (each file of ops/ checks its own). */
enum { CB_RES_MAX_SIZE = 256 };

/* struct cb_op cb_op_recall, cb_op_getattr, ...: every row of ops/list.h. */
#define CB_OP_DECLARE(name) extern const struct cb_op cb_op_##name;
CB_OPS_LIST(CB_OP_DECLARE)
#undef CB_OP_DECLARE
/* CB_SEQUENCE, which starts every v4.1 CB_COMPOUND (never queued alone). */
extern const struct cb_op cb_op_sequence;

/* The operation with number opnum that Ferry sends (CB_SEQUENCE included),
 * or NULL. */
const struct cb_op *cb_op_find(uint32_t opnum);

/* --- CB_COMPOUND --------------------------------------------------------------------- */

/* One operation of a CB_COMPOUND after its CB_SEQUENCE: args is encoded
 * by cb_compound_encode; res, status and the body are filled by
 * cb_compound_decode_reply (res is needed for an operation whose result
 * has a body: without it the reply counts as undecodable).  A decoded res
 * and the body point into the reply, valid only as long as the reply is. */
struct cb_compound_op {
	uint32_t opnum;
	const void *args;
	void *res;
	uint32_t status;
	const uint8_t *body; /* the result's bytes on NFS4_OK (NULL when void) */
	uint32_t body_len;
};

/* Encodes CB_COMPOUND4args with an empty tag: with seq, minor version
 * minor (the session's: 1 or 2) and CB_SEQUENCE first (the v4.1 and v4.2
 * back channel); without, minor version 0 and the client's callback_ident
 * (v4.0); an operation of a later minor version raises it (CB_OFFLOAD's
 * CB_COMPOUND says 2).  Then ops[0 .. nops).  False when an operation is
 * not known (cb_op_find) or is CB_SEQUENCE, or the encoder overflowed. */
bool cb_compound_encode(struct xdr_enc *e, uint32_t callback_ident, uint32_t minor,
			const struct nfs4_cb_sequence_args *seq, const struct cb_compound_op *ops,
			uint32_t nops);

/* The outcome of a CB_COMPOUND reply. */
struct cb_compound_outcome {
	/* NFS4_OK when every operation succeeded; else the first error, or
	 * NFS4ERR_BADXDR for a reply that does not decode, lacks CB_SEQUENCE
	 * first or a result, or whose CB_SEQUENCE names another session,
	 * slot or seqid than the call. */
	uint32_t status;
	/* v4.1: CB_SEQUENCE was answered with NFS4_OK for this very slot
	 * and seqid: the client's back slot moved on. */
	bool sequence_done;
	struct nfs4_cb_sequence_res seq;
};

/* Decodes CB_COMPOUND4res against the call: seq is the CB_SEQUENCE that
 * was sent (NULL for v4.0), ops the operations after it (their res and
 * status filled). */
void cb_compound_decode_reply(struct xdr_dec *d, const struct nfs4_cb_sequence_args *seq,
			      struct cb_compound_op *ops, uint32_t nops,
			      struct cb_compound_outcome *out);

/* --- queueing a callback ----------------------------------------------------------- */

/* One callback, embedded by its owner (container_of gets the owner back in
 * done).  The owner fills op, args, res, fail_fast and done; the engine only
 * reads them, and writes *res. */
struct cb_call {
	const struct cb_op *op;
	const void *args; /* the op's codec arguments */
	/* NULL, or where the op's result goes on NFS4_OK (an operation with a
	 * result, CB_GETATTR): filled before done, pointing into memory the
	 * engine keeps only until done returns. */
	void *res;
	/* No backoff: after a failed attempt (no reply within the timeout, a
	 * lost connection), and the immediate one on another connection, it
	 * ends with NFS4ERR_CB_PATH_DOWN.  For callbacks that others wait on
	 * (a directory delegation's CB_NOTIFY and CB_RECALL: writers in the
	 * directory get NFS4ERR_DELAY until it ends), where a retry schedule
	 * of tens of seconds would stall them. */
	bool fail_fast;
	/* Called exactly once when the callback ended (see the top of this
	 * file), with NFS4_OK; the client's error for the operation (e.g.
	 * NFS4ERR_BADHANDLE, NFS4ERR_BAD_STATEID); NFS4ERR_RESOURCE when the
	 * result could not be kept; or NFS4ERR_CB_PATH_DOWN when it could not
	 * be delivered after every retry. */
	void (*done)(struct cb_call *call, uint32_t status);
};

/* Queues call for client clientid and returns at once (never waits for
 * the client): v4.1 on the queue of one of the client's sessions with a
 * back channel, v4.0 on the client's own queue (dialled out).  0;
 * -ENOTCONN when the client has no callback path at all or the engine
 * stopped (done is not called: the call is still the caller's); -ENOMEM;
 * -EINVAL for an op not in ops/list.h.  Call it with no state lock held:
 * it looks the client up under the state lock. */
int cb_queue(struct cb_engine *eng, uint64_t clientid, struct cb_call *call);

/* Whether the client has a working callback path now (a delegation may be
 * granted only then). */
bool cb_path_up(struct cb_engine *eng, uint64_t clientid);

/* Probes the back channel of session s: a CB_COMPOUND with only
 * CB_SEQUENCE, queued like any callback (at most one probe waits per
 * session); its outcome is recorded in the session's callback status. */
void cb_probe41(struct cb_engine *eng, struct state_session *s);

/* v4.0: probes the client's callback path with CB_NULL over the dialled
 * connection, queued like any callback; its outcome goes to
 * state_cb_probe_done.  For the state thread's state_options.cb_probe. */
void cb_probe40(struct cb_engine *eng, uint64_t clientid, uint32_t gen);

/* --- the engine ------------------------------------------------------------------------ */

/* Timings of callbacks (the [nfs] callback_* keys). */
struct cb_timing {
	unsigned timeout_ms;  /* a call without a reply by then failed (default 5000) */
	unsigned retry_ms;    /* first backoff; doubles each time (default 5000) */
	unsigned retries;     /* backoff attempts after the first two (default 3) */
	unsigned delay_ms;    /* pause before resending after NFS4ERR_DELAY (default 100) */
	unsigned workers;     /* callback worker threads (default 2) */
};

void cb_timing_default(struct cb_timing *t);

struct cb_engine_config {
	struct state_server *state;
	/* Where the rpc server is found when a v4.0 client is dialled: it is
	 * made after the engine (ferryd starts the NFSv4 service first) and
	 * NULL until then (no dialling). */
	struct rpc_server *const *rpc;
	struct cb_timing timing;
	/* Whether a v4.0 client's callback address may be dialled (some export
	 * lets it in): a client cannot make the server connect anywhere else.
	 * Called with ctx, on any thread, no lock held. */
	bool (*may_dial)(void *ctx, const struct sockaddr_storage *addr);
	void *ctx;
};

/* Makes the engine and starts its workers.  0 or -errno. */
int cb_engine_create(const struct cb_engine_config *cfg, struct cb_engine **out);

/* Ends every queued callback with NFS4ERR_CB_PATH_DOWN (done is called),
 * waits for calls in flight to end and stops the workers; later queueing
 * gets -ENOTCONN.  Call after rpc_server_stop (every connection closed, so
 * nothing is in flight) and before rpc_server_destroy, or while the rpc
 * server runs (calls in flight then end by reply or timeout).  A no-op
 * the second time.  cb_engine_free, once nothing can queue any more (the
 * state thread stopped), frees what is left.  Both take NULL. */
void cb_engine_stop(struct cb_engine *eng);
void cb_engine_free(struct cb_engine *eng);

/* --- counters for the metrics ------------------------------------------------------------ */

enum { CB_DURATION_BUCKETS = 7 };
/* Upper bounds of the duration buckets, in milliseconds; the last bucket
 * takes the rest. */
#define CB_DURATION_BOUNDS_MS {1, 10, 100, 1000, 10000, 60000}

/* What a callback carried, for the counters: kind 0 is a probe (v4.1
 * CB_SEQUENCE alone, v4.0 CB_NULL), kind 1 + i the i-th row of ops/list.h. */
#define CB_OP_COUNT(name) +1
enum { CB_KIND_PROBE = 0, CB_KINDS = 1 CB_OPS_LIST(CB_OP_COUNT) };
#undef CB_OP_COUNT

/* The label of a kind in metrics ("probe", then each op's name). */
const char *cb_kind_name(unsigned kind);

struct cb_counts {
	uint64_t total;    /* callbacks ended (done called; probes included) */
	uint64_t failures; /* ended with NFS4ERR_CB_PATH_DOWN */
	uint64_t retries;  /* sends after a callback's first */
	uint64_t duration_ms_sum; /* queued to ended */
	uint64_t duration_hist[CB_DURATION_BUCKETS];
};

struct cb_stats {
	uint64_t total, failures, retries, duration_ms_sum; /* all kinds together */
	uint64_t duration_hist[CB_DURATION_BUCKETS];
	struct cb_counts by_kind[CB_KINDS];
	uint64_t pending; /* queued and not ended yet (done not returned) */
};

/* Zeros when eng is NULL. */
void cb_get_stats(struct cb_engine *eng, struct cb_stats *out);

#endif
