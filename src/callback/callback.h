/* The one home of callbacks sent to clients: the callback-op table (one
 * entry per CB operation: how its arguments are encoded and its result
 * decoded, through the codec of xdr/nfs4_codec_cb.h), the building and
 * checking of a v4.1 CB_COMPOUND, which always starts with CB_SEQUENCE,
 * and the callback engine: a queue per session (v4.1) or client (v4.0),
 * callback workers that drain them in order, retries, the v4.1 back
 * channel (cb_send41.c) and the v4.0 dialled connection (cb_send40.c).
 * The state of the back channel (its slots and seqids, the path's status,
 * the v4.0 probe queue) is the state module's (state/session.h,
 * state/state.h); sending needs rpc, so it lives here.
 *
 * What users of nfs4_cb_queue must know:
 * Requests carry CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK, CB_NOTIFY,
 * CB_RECALLABLE_OBJ_AVAIL (directory delegations, nfs4/deleg/dirdeleg.h),
 * CB_OFFLOAD (asynchronous COPY, nfs4/copy/copy.h) and CB_RECALL_ANY (state
 * memory short: nfs4/deleg/callbacks.c).
 *   - done() runs on a callback worker thread with no lock held, exactly
 *     once per queued request, also when the session is destroyed, the
 *     client expires or the server stops (then NFS4ERR_CB_PATH_DOWN).
 *   - A session destroyed with callbacks queued: they move to another
 *     session of the client with a back channel at their next attempt,
 *     or end with NFS4ERR_CB_PATH_DOWN after the retries.
 *   - done() may run before nfs4_cb_queue returns (on a worker): make
 *     what it looks at ready before queueing.
 *   - NFS4ERR_CB_PATH_DOWN means the client could not be reached: the
 *     caller revokes what it recalled and, for v4.1, sets the client's
 *     SEQ4_STATUS_RECALLABLE_STATE_REVOKED (state_client_set_revoked).
 *     A queued callback is not withdrawn when its reason went away (a
 *     delegation returned meanwhile): done() should check. */
#ifndef FERRY_NFS4_CALLBACK_H
#define FERRY_NFS4_CALLBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs4_codec_cb.h"

struct nfs4_server;
struct state_session;

/* One callback operation.  Arguments are the codec's struct
 * nfs4_cb_OP_args, results its struct nfs4_cb_OP_res. */
struct nfs4_cb_op_desc {
	uint32_t opnum;
	const char *name;
	bool (*enc_args)(struct xdr_enc *e, const void *args);
	/* NULL for an operation whose result on NFS4_OK is void. */
	bool (*dec_res)(struct xdr_dec *d, void *res);
	/* The largest result body on NFS4_OK Ferry accepts: what a reply to
	 * a CB_COMPOUND of these operations may take (ca_maxresponsesize of
	 * the back channel bounds it too). */
	uint32_t res_max;
	/* The lowest minor version that defines it (0: any): a CB_COMPOUND
	 * carrying it says at least this one (CB_OFFLOAD: 2, which a Linux
	 * client refuses as illegal in a minor version 1 CB_COMPOUND). */
	uint32_t minor_min;
};

/* The descriptor of a callback operation Ferry sends, or NULL. */
const struct nfs4_cb_op_desc *nfs4_cb_op_describe(uint32_t opnum);

/* One operation of a CB_COMPOUND after its CB_SEQUENCE: args is encoded
 * by nfs4_cb_compound_encode; res and status are filled by
 * nfs4_cb_compound_decode_reply (res is needed for an operation whose
 * result has a body: without it the reply counts as undecodable).  A decoded res
 * points into the reply, valid only as long as the reply is. */
struct nfs4_cb_op {
	uint32_t opnum;
	const void *args;
	void *res;
	uint32_t status;
};

/* Encodes CB_COMPOUND4args with an empty tag: with seq, minor version
 * minor (the session's: 1 or 2) and CB_SEQUENCE first (the v4.1 and v4.2
 * back channel); without, minor version 0 and the client's callback_ident
 * (v4.0); an operation of a later minor version raises it (CB_OFFLOAD's
 * CB_COMPOUND says 2).  Then ops[0 .. nops).  False when an operation is not in the
 * table (or is CB_SEQUENCE) or the encoder overflowed. */
bool nfs4_cb_compound_encode(struct xdr_enc *e, uint32_t callback_ident, uint32_t minor,
			     const struct nfs4_cb_sequence_args *seq, const struct nfs4_cb_op *ops,
			     uint32_t nops);

/* The outcome of a CB_COMPOUND reply. */
struct nfs4_cb_outcome {
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
void nfs4_cb_compound_decode_reply(struct xdr_dec *d, const struct nfs4_cb_sequence_args *seq,
				   struct nfs4_cb_op *ops, uint32_t nops,
				   struct nfs4_cb_outcome *out);

/* --- the callback queue --------------------------------------------------------------- */

/* How a queued callback ended. */
struct nfs4_cb_result {
	/* NFS4_OK; the client's error for the operation (e.g. NFS4ERR_BADHANDLE,
	 * NFS4ERR_BAD_STATEID); or NFS4ERR_CB_PATH_DOWN when it could not be
	 * delivered after every retry. */
	uint32_t status;
	/* CB_GETATTR answered NFS4_OK: its result (valid only during done). */
	const struct nfs4_cb_getattr_res *getattr;
};

/* One callback operation for a client; nfs4_cb_queue copies everything. */
struct nfs4_cb_request {
	uint32_t opnum; /* OP_CB_RECALL, _GETATTR, _NOTIFY_LOCK, _NOTIFY, _RECALLABLE_OBJ_AVAIL,
			 * _OFFLOAD */
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fh_len;
	struct nfs4_stateid stateid; /* CB_RECALL, CB_NOTIFY, CB_OFFLOAD */
	bool truncate;               /* CB_RECALL */
	struct nfs4_bitmap attr_request; /* CB_GETATTR */
	uint64_t lock_clientid;      /* CB_NOTIFY_LOCK: the lock owner */
	const uint8_t *lock_owner;
	uint32_t lock_owner_len;
	/* CB_NOTIFY: the notify4 items, in order (their bodies are copied). */
	const struct nfs4_notify *changes;
	uint32_t nchanges;
	/* CB_RECALLABLE_OBJ_AVAIL, CB_RECALL_ANY: how many objects, of the
	 * RCA4_TYPE_MASK_* kinds in type_mask (the client may keep, for
	 * CB_RECALL_ANY). */
	uint32_t objects_to_keep;
	struct nfs4_bitmap type_mask;
	/* CB_OFFLOAD: how the copy ended (offload_info4): with NFS4_OK its
	 * write_response4 (no callback id), else the bytes copied. */
	uint32_t offload_status;
	struct nfs4_write_response offload_resok;
	uint64_t offload_bytes;
	/* No backoff: after a failed attempt (no reply within the timeout, a
	 * lost connection), and the immediate one on another connection, it
	 * ends with NFS4ERR_CB_PATH_DOWN.  For callbacks that others wait on
	 * (a directory delegation's CB_NOTIFY and CB_RECALL: writers in the
	 * directory get NFS4ERR_DELAY until it ends), where a retry schedule
	 * of tens of seconds would stall them. */
	bool fail_fast;
	/* Called exactly once when the callback ended, from a callback worker
	 * thread, with no lock held; may be NULL. */
	void (*done)(struct nfs4_server *srv, void *arg, const struct nfs4_cb_result *r);
	void *arg;
};

/* Queues req for client clientid and returns at once (never waits for the
 * client): v4.1 on the queue of one of the client's sessions with a back
 * channel, v4.0 on the client's own queue (dialled out).  0; -ENOTCONN when the
 * client has no callback path at all (done is not called); -ENOMEM.
 * (Also -EINVAL for an opnum the table does not send.)  Call it with no
 * state lock held: it looks the client up under the state lock. */
int nfs4_cb_queue(struct nfs4_server *srv, uint64_t clientid, const struct nfs4_cb_request *req);

/* Whether the client has a working callback path now (a delegation may be
 * granted only then). */
bool nfs4_cb_path_up(struct nfs4_server *srv, uint64_t clientid);

/* Timings of callbacks (nfs4_cb_engine_start; the [nfs] callback_* keys). */
struct nfs4_cb_timing {
	unsigned timeout_ms;  /* a call without a reply by then failed (default 5000) */
	unsigned retry_ms;    /* first backoff; doubles each time (default 5000) */
	unsigned retries;     /* backoff attempts after the first two (default 3) */
	unsigned delay_ms;    /* pause before resending after NFS4ERR_DELAY (default 100) */
	unsigned workers;     /* callback worker threads (default 2) */
};

void nfs4_cb_timing_default(struct nfs4_cb_timing *t);

/* Starts the callback workers of srv (nfs4_server_init does).  0 or
 * -errno. */
int nfs4_cb_engine_start(struct nfs4_server *srv, const struct nfs4_cb_timing *t);

/* Ends every queued callback with NFS4ERR_CB_PATH_DOWN (done is called),
 * waits for calls in flight to end and stops the workers; later queueing
 * gets -ENOTCONN.  Call after rpc_server_stop (every connection closed, so
 * nothing is in flight) and before rpc_server_destroy, or while the rpc
 * server runs (calls in flight then end by reply or timeout).
 * nfs4_server_fini calls it too (a no-op the second time).
 * nfs4_cb_engine_free, once nothing can queue any more (the state thread
 * stopped), frees what is left. */
void nfs4_cb_engine_stop(struct nfs4_server *srv);
void nfs4_cb_engine_free(struct nfs4_server *srv);

/* Counters for the metrics. */
enum { NFS4_CB_DURATION_BUCKETS = 7 };
/* Upper bounds of the duration buckets, in milliseconds; the last bucket
 * takes the rest. */
#define NFS4_CB_DURATION_BOUNDS_MS {1, 10, 100, 1000, 10000, 60000}
/* What a callback carried, for the counters: a probe (v4.1 CB_SEQUENCE
 * alone, v4.0 CB_NULL) or the one operation of a request. */
enum nfs4_cb_kind {
	NFS4_CB_KIND_PROBE,
	NFS4_CB_KIND_RECALL,
	NFS4_CB_KIND_GETATTR,
	NFS4_CB_KIND_NOTIFY_LOCK,
	NFS4_CB_KIND_NOTIFY,
	NFS4_CB_KIND_OBJ_AVAIL,
	NFS4_CB_KIND_OFFLOAD,
	NFS4_CB_KIND_RECALL_ANY,
	NFS4_CB_KINDS
};

/* The name of a kind in metrics ("probe", "recall", ...). */
const char *nfs4_cb_kind_name(enum nfs4_cb_kind kind);

struct nfs4_cb_counts {
	uint64_t total;    /* callbacks ended (done called; probes included) */
	uint64_t failures; /* ended with NFS4ERR_CB_PATH_DOWN */
	uint64_t retries;  /* sends after a callback's first */
	uint64_t duration_ms_sum; /* queued to ended */
	uint64_t duration_hist[NFS4_CB_DURATION_BUCKETS];
};

struct nfs4_cb_stats {
	uint64_t total, failures, retries, duration_ms_sum; /* all kinds together */
	uint64_t duration_hist[NFS4_CB_DURATION_BUCKETS];
	struct nfs4_cb_counts by_kind[NFS4_CB_KINDS];
	uint64_t pending; /* queued and not ended yet (done not returned) */
};

void nfs4_cb_get_stats(struct nfs4_server *srv, struct nfs4_cb_stats *out);

/* Probes the back channel of session s: a CB_COMPOUND with only
 * CB_SEQUENCE, queued like any callback (at most one probe waits per
 * session); its outcome is recorded in the session's callback status. */
void nfs4_cb_probe41(struct nfs4_server *srv, struct state_session *s);

/* v4.0: probes the client's callback path with CB_NULL over the
 * dialled connection, queued like any callback; its outcome goes to
 * state_cb_probe_done.  The state thread calls it (state_options.cb_probe,
 * ctx the nfs4_server). */
void nfs4_cb_probe40(void *srv, uint64_t clientid, uint32_t gen);

#endif
