/* Stable before the reply, for COMPOUNDs: the committer is the one every
 * program shares (export/durable.h); this is what a COMPOUND keeps
 * besides, to report a failed flush at the operation that made the first
 * change.
 *
 * Handlers note what their change left to flush (nfs4_durable_note).
 * When the operations are done the dispatcher parks the request with the
 * committer (nfs4_durable_wait_start), which resumes it once the flush is
 * done. */
#ifndef FERRY_NFS4_ENGINE_DURABLE_H
#define FERRY_NFS4_ENGINE_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/durable.h"

struct nfs4_compound;
struct nfs4_server;

/* What one COMPOUND waits for (struct nfs4_compound.durable): allocated
 * by its first note, freed with the run. */
struct nfs4_durable_wait {
	struct export_durable_wait w;
	/* The first operation that noted a change: a failed flush is
	 * reported there (its result becomes NFS4ERR_IO and the COMPOUND
	 * ends with it). */
	uint32_t first_op, first_opnum;
	size_t first_status_off;
};

/* Notes that the current operation's change to object h of export ex
 * (what: enum backend_sync_what flags) must be stable before the reply.
 * Nothing for an async export or a back end without sync.  Out of memory,
 * the object is flushed here and now instead. */
void nfs4_durable_note(struct nfs4_compound *c, struct export *ex,
		       const struct backend_handle *h, unsigned what);

/* Hands the COMPOUND's wait to the committer (export_durable_wait_start). */
void nfs4_durable_wait_start(struct nfs4_server *srv, struct nfs4_durable_wait *w,
			     struct rpc_park *park);

void nfs4_durable_wait_free(struct nfs4_durable_wait *w);

#endif
