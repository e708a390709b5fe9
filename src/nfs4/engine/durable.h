/* Stable before the reply: what a COMPOUND changed in names or metadata
 * reaches stable storage before its reply leaves.  A client may take a
 * reply as the promise that the change survives a crash of the server
 * (RFC 1813's contract, which NFSv4 clients keep: only WRITE has an
 * unstable form, closed by COMMIT), so a power cut after the reply must
 * not lose a created file, bring back a removed one or undo a rename.
 *
 * Handlers note what their change left to flush (nfs4_durable_note: the
 * directories whose entries changed, the objects created, those whose
 * attributes changed).  When the operations are done the dispatcher parks
 * the request with the committer (nfs4_durable_wait_start), whose thread
 * takes every request waiting at the time, asks each export's back end to
 * flush each object they named once (backend_ops.sync), and resumes them
 * all: while one flush runs, the requests that finish meanwhile gather
 * for the next, so a burst of creates in a directory shares its flushes
 * (a group commit).  An export with `async = yes`, or whose back end has
 * no sync (memory), notes nothing and answers at once. */
#ifndef FERRY_NFS4_ENGINE_DURABLE_H
#define FERRY_NFS4_ENGINE_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

struct nfs4_compound;
struct export;
struct nfs4_server;
struct rpc_park;

/* What one COMPOUND waits for (struct nfs4_compound.durable): allocated
 * by its first note, freed with the run. */
struct nfs4_durable_wait {
	struct nfs4_durable_wait *next; /* in the committer's queue */
	struct rpc_park *park;
	uint64_t queued_ns;
	int err;     /* the flush's outcome, set before the resume */
	bool queued; /* handed to the committer: the flush is done once resumed */
	/* The first operation that noted a change: a failed flush is
	 * reported there (its result becomes NFS4ERR_IO and the COMPOUND
	 * ends with it). */
	uint32_t first_op, first_opnum;
	size_t first_status_off;
	unsigned n, cap;
	struct nfs4_durable_item {
		struct export *export;
		struct backend_sync_item item;
	} *items;
};

/* Notes that the current operation's change to object h of export ex
 * (what: enum backend_sync_what flags) must be stable before the reply.
 * Nothing for an async export or a back end without sync.  Out of memory,
 * the object is flushed here and now instead. */
void nfs4_durable_note(struct nfs4_compound *c, struct export *ex,
		       const struct backend_handle *h, unsigned what);

/* Hands the COMPOUND's wait to the committer: park is the request's park
 * handle (rpc_request_park), resumed once the flush is done (w->err
 * set); the caller no longer touches w until then.  park NULL (no memory
 * to park): the flush is made before this returns. */
void nfs4_durable_wait_start(struct nfs4_server *srv, struct nfs4_durable_wait *w,
			     struct rpc_park *park);

void nfs4_durable_wait_free(struct nfs4_durable_wait *w);

/* The committer's thread: started with the server, stopped after the
 * rpc layer has drained (no request may wait then). */
int nfs4_durable_start(struct nfs4_server *srv);
void nfs4_durable_stop(struct nfs4_server *srv);

/* For /metrics. */
struct nfs4_durable_stats {
	uint64_t flushes; /* batches flushed */
	uint64_t waits;   /* COMPOUNDs that waited for one */
	uint64_t objects; /* objects flushed (each once per batch) */
	uint64_t errors;  /* batches whose flush failed */
	uint64_t wait_ns; /* time COMPOUNDs waited, in all */
};
void nfs4_durable_stats_read(const struct nfs4_server *srv, struct nfs4_durable_stats *out);

#endif
