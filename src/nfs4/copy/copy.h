/* Server-side copy (RFC 7862 4, 15.2, 15.8, 15.9, 16.1): the copy engine.
 *
 * A COPY is served one of three ways (ops/copy.c decides, see
 * docs/DECISIONS.md "Server-side COPY"):
 *   - synchronously, on the worker thread that serves the COMPOUND
 *     (COPY is a may-block operation, so never on an event loop), for a
 *     copy of at most sync_max bytes, whatever the client asked;
 *   - asynchronously, for a larger copy the client allows to be: the
 *     reply carries a copy stateid at once (the session slot is free with
 *     it), a copy worker of this engine moves the data, and the result
 *     goes to the client in CB_OFFLOAD through the callback engine
 *     (callback/callback.h);
 *   - not at all: NFS4ERR_OFFLOAD_NO_REQS for a larger copy the client
 *     requires to be synchronous, so a worker thread is never held for
 *     long.
 *
 * The data moves in pieces of `chunk` bytes (backend_ops.copy); between
 * pieces a copy stops when it was cancelled (OFFLOAD_CANCEL), its client
 * went (DESTROY_CLIENTID, a lease that expired, a new incarnation) or the
 * engine stops.  Nothing holds a file open between pieces.
 *
 * The state of an asynchronous copy lives until its client learned the
 * result (RFC 7862 4.8): CB_OFFLOAD answered by the client, or
 * OFFLOAD_STATUS that reported it complete; or until OFFLOAD_CANCEL, or
 * until its client goes.  A client keeps at most max_per_client of them;
 * past that the oldest finished copy whose CB_OFFLOAD could not be
 * delivered makes room, and when there is none the COPY answers
 * NFS4ERR_DELAY.
 *
 * Threads: `workers` copy threads of the engine's own; their lock is
 * level 9e of core/lock_order.h, a leaf (state, back end and callback
 * engine are called after it is released). */
#ifndef FERRY_NFS4_COPY_H
#define FERRY_NFS4_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "export/fh.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

struct nfs4_server;

struct nfs4_copy_settings {
	uint64_t sync_max;       /* largest copy served synchronously (bytes) */
	unsigned max_per_client; /* asynchronous copies kept per client */
	unsigned workers;        /* copy threads */
	uint64_t chunk;          /* bytes per back-end call: how soon a copy stops */
	uint64_t rate;           /* bytes per second per copy; 0: no limit */
};

enum {
	NFS4_COPY_SYNC_MAX_DEFAULT = 32u << 20,
	NFS4_COPY_PER_CLIENT_DEFAULT = 16,
	NFS4_COPY_WORKERS_DEFAULT = 2,
	NFS4_COPY_CHUNK_DEFAULT = 8u << 20,
};

void nfs4_copy_settings_default(struct nfs4_copy_settings *s);

/* Starts the engine of srv (nfs4_server_init does).  0 or -errno. */
int nfs4_copy_engine_start(struct nfs4_server *srv, const struct nfs4_copy_settings *s);

/* Stops the copies under way (each ends at its next piece, counted as
 * cancelled, without CB_OFFLOAD) and the workers; later COPYs are refused
 * (NFS4ERR_DELAY).  Then, once the callback engine has stopped too (no
 * CB_OFFLOAD can still end), nfs4_copy_engine_free frees the rest. */
void nfs4_copy_engine_stop(struct nfs4_server *srv);
void nfs4_copy_engine_free(struct nfs4_server *srv);

/* One copy: the caller's client and identity on the export (squashed),
 * the two files of that export, the ranges.  count is what to copy
 * (never 0: "to the end of file" is resolved by the caller). */
struct nfs4_copy_job {
	uint64_t clientid;
	struct backend_cred cred;
	struct fh src, dst; /* FH_EXPORT, the same export */
	uint64_t src_off, dst_off, count;
};

/* Copies on the calling thread (a worker thread of the rpc pool).
 * *copied gets what was copied: an error after some bytes were copied is
 * a short copy (NFS4_OK); NFS4ERR_DELAY when the engine stops. */
enum nfsstat4 nfs4_copy_run_sync(struct nfs4_server *srv, const struct nfs4_copy_job *job,
				 uint64_t *copied);

/* Starts an asynchronous copy: *sid gets its copy stateid (seqid 1).
 * NFS4ERR_DELAY when the client keeps as many as it may and none can
 * make room, or the engine stops; NFS4ERR_SERVERFAULT without memory. */
enum nfsstat4 nfs4_copy_start(struct nfs4_server *srv, const struct nfs4_copy_job *job,
			      struct nfs4_stateid *sid);

/* What OFFLOAD_STATUS and OFFLOAD_CANCEL name: a copy stateid of client
 * clientid, started by user uid, whose destination is the current file
 * dst.  Any mismatch (another client, another user, another file, seqid 0
 * or not the copy's) is NFS4ERR_BAD_STATEID, as is a copy no longer kept. */
struct nfs4_copy_ref {
	uint64_t clientid;
	uint32_t uid;
	const struct fh *dst;
	const struct nfs4_stateid *sid;
};

/* OFFLOAD_STATUS: *count the bytes copied so far; *complete whether the
 * copy ended, and then *result its status.  Reporting the end is the
 * client learning the result: the copy's state goes (once its CB_OFFLOAD,
 * if one is on its way, ended). */
enum nfsstat4 nfs4_copy_status(struct nfs4_server *srv, const struct nfs4_copy_ref *ref,
			       uint64_t *count, bool *complete, uint32_t *result);

/* OFFLOAD_CANCEL: a copy under way stops at its next piece (what it
 * copied stays copied) and no CB_OFFLOAD is sent; its state goes.
 * NFS4ERR_COMPLETE_ALREADY when it had ended (its result is still there
 * for OFFLOAD_STATUS or its CB_OFFLOAD). */
enum nfsstat4 nfs4_copy_cancel(struct nfs4_server *srv, const struct nfs4_copy_ref *ref);

/* Counters since start, and what is kept now. */
struct nfs4_copy_stats {
	uint64_t sync_total, async_total; /* copies started each way */
	uint64_t completed;  /* ended with NFS4_OK (short copies included) */
	uint64_t failed;     /* ended with an error */
	uint64_t cancelled;  /* OFFLOAD_CANCEL, the client gone, the server stopping */
	uint64_t bytes;      /* copied, every way */
	uint64_t no_reqs;    /* COPYs answered NFS4ERR_OFFLOAD_NO_REQS */
	uint64_t cb_failed;  /* results whose CB_OFFLOAD could not be delivered */
	unsigned running;    /* asynchronous copies queued or copying */
	unsigned kept;       /* asynchronous copies' states kept, running included */
};

void nfs4_copy_get_stats(struct nfs4_server *srv, struct nfs4_copy_stats *out);

/* Counts a COPY refused with NFS4ERR_OFFLOAD_NO_REQS. */
void nfs4_copy_count_no_reqs(struct nfs4_server *srv);

/* The sync_max of the engine: the largest copy answered synchronously. */
uint64_t nfs4_copy_sync_max(const struct nfs4_server *srv);

#endif
