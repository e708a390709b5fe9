/* Stable before the reply: what a call changed in names or metadata
 * reaches stable storage before its reply leaves.  A client may take a
 * reply as the promise that the change survives a crash of the server
 * (RFC 1813's contract, which NFSv4 clients keep: only WRITE has an
 * unstable form, closed by COMMIT), so a power cut after the reply must
 * not lose a created file, bring back a removed one or undo a rename.
 *
 * A program notes what a call's change left to flush (export_durable_add:
 * the directories whose entries changed, the objects created, those whose
 * attributes changed).  When the call is done it parks the request with
 * the committer (export_durable_wait_start), whose thread takes every
 * request waiting at the time, asks each export's back end to flush each
 * object they named once (backend_ops.sync), and resumes them all: while
 * one flush runs, the requests that finish meanwhile gather for the next,
 * so a burst of creates in a directory shares its flushes (a group
 * commit).  One committer serves every program (NFSv4 and NFSv3).  An
 * export with `async = yes`, or whose back end has no sync (memory), notes
 * nothing and answers at once. */
#ifndef FERRY_EXPORT_DURABLE_H
#define FERRY_EXPORT_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

struct export;
struct export_durable;
struct rpc_park;

/* What one call waits for; a program embeds it in what it keeps across
 * the park (the caller's memory, zeroed before its first add). */
struct export_durable_wait {
	struct export_durable_wait *next; /* in the committer's queue */
	struct rpc_park *park;
	uint64_t queued_ns;
	int err;     /* the flush's outcome, set before the resume */
	bool queued; /* handed to the committer: the flush is done once resumed */
	unsigned n, cap;
	struct export_durable_item {
		struct export *export;
		struct backend_sync_item item;
	} *items;
};

/* Whether a change to ex must be waited for (a back end with sync, the
 * export not async). */
bool export_durable_needed(const struct export *ex);

/* Adds object h of ex (what: enum backend_sync_what flags) to w.  False
 * when out of memory: the object was flushed here and now instead (the
 * error, if any, logged). */
bool export_durable_add(struct export_durable_wait *w, struct export *ex,
			const struct backend_handle *h, unsigned what);

/* Flushes object h of ex here and now, alone (a call with no memory to
 * wait with the others); a failure is logged. */
void export_durable_sync_now(struct export *ex, const struct backend_handle *h, unsigned what);

/* Hands w (with at least one item) to the committer: park is the
 * request's park handle (rpc_request_park), resumed once the flush is done
 * (w->err set); the caller no longer touches w until then.  park NULL (no
 * memory to park) or d NULL (no committer): the flush is made before this
 * returns. */
void export_durable_wait_start(struct export_durable *d, struct export_durable_wait *w,
			       struct rpc_park *park);

/* Frees what w holds (not w itself). */
void export_durable_wait_clear(struct export_durable_wait *w);

/* The committer's thread: started before the programs serve, stopped
 * after the rpc layer has drained (no request may wait then).  0 or a
 * negative errno. */
int export_durable_start(struct export_durable **out);
void export_durable_stop(struct export_durable *d);

/* For /metrics. */
struct export_durable_stats {
	uint64_t flushes; /* batches flushed */
	uint64_t waits;   /* calls that waited for one */
	uint64_t objects; /* objects flushed (each once per batch) */
	uint64_t errors;  /* batches whose flush failed */
	uint64_t wait_ns; /* time calls waited, in all */
};
void export_durable_stats_read(const struct export_durable *d, struct export_durable_stats *out);

#endif
