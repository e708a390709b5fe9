/* COMPOUND: the per-request context the dispatcher and the operation
 * handlers share, and the operation loop (compound.c).
 *
 * For each operation the dispatcher decodes the arguments with the op
 * table's codec (optable.h; NFS4ERR_BADXDR when they do not decode), makes
 * the checks the table's flags ask for, and calls the handler on the decoded
 * struct.  The handler appends its result body (what follows the status in
 * the XDR result union) to `res` and returns the status.  On an error status
 * the dispatcher drops the body unless the handler set c->error_body (LOCK's
 * NFS4ERR_DENIED, and the like). */
#ifndef FERRY_NFS4_COMPOUND_H
#define FERRY_NFS4_COMPOUND_H

#include "backend/backend.h"
#include "export/fh.h"
#include "rpc/server.h"
#include "state/state.h" /* struct state_sp4 */
#include "xdr/nfs4_types.h"

struct nfs4_server;
struct state_session;
struct nfs4_ga_wait;
struct nfs4_durable_wait;

/* Hand-offs between the handlers of one COMPOUND: what an operation learned
 * that a later one uses instead of asking the back end again.  Each is an
 * optimisation only (without it the later operation reads the same thing
 * anew) and each is exact, never stale: an object's type never changes, and
 * attributes are only handed to the operation right after the one that read
 * them.  Fields named *_for hold the index of the operation that may take
 * them (0: none); any other operation at that index makes them lapse, since
 * indexes only grow.  Zeroed with the compound at the start of each COMPOUND;
 * carried along when the COMPOUND moves to a worker or parks. */
struct nfs4_handoff {
	/* LOOKUP to a later LOOKUP.  The directory the last LOOKUP found (set
	 * in lookup_found, known_dir.len 0: none, cleared by every LOOKUP
	 * that finds something else): a LOOKUP from it needs no getattr to
	 * know that it is one (a path walk is LOOKUP after LOOKUP).  Read
	 * only while the current fh is that very object. */
	struct export *known_dir_export;
	struct backend_handle known_dir;
	/* LOOKUP to the LOOKUPs right after it.  lookups_ahead: this many of
	 * them were resolved in one walk (lookup_walk); each finds its result
	 * made (the current fh is already the last one's) and counts it down.
	 * Only consecutive LOOKUPs are counted, so nothing runs in between.
	 * lookup_walk_failed: a walk did not go through, so the rest of the
	 * COMPOUND's LOOKUPs go one by one; never cleared. */
	uint32_t lookups_ahead;
	bool lookup_walk_failed;
	/* LOOKUP to GETATTR.  The current fh's attributes as the LOOKUP that
	 * found it read them, for the operation at index lookup_attr_for:
	 * the GETATTR right after it answers from them once (and clears
	 * lookup_attr_for, so that a run again after a wait reads anew); a
	 * GETFH in between moves lookup_attr_for on by one.  Exact: read while
	 * this COMPOUND ran, after anything its client saw done before it sent
	 * it, and nothing of this COMPOUND changed the object since. */
	struct backend_attr lookup_attr;
	uint32_t lookup_attr_for;
	/* OPEN to READ or WRITE.  The OPEN right before the operation at this
	 * index made the current fh a regular file whose attributes it had
	 * just read (open.c): a READ or WRITE there (io.c) needs no getattr to
	 * know the type (an OPEN, WRITE, CLOSE COMPOUND). */
	uint32_t regular_for;
};

/* A result's header: the operation and its status. */
enum { NFS4_OP_RES_HEAD = 8 };

/* No operation has number 0 (NFSv4 numbers them from 3). */
enum { NFS4_NO_NEXT_OP = 0 };

/* The context of one COMPOUND, which the dispatcher and the handlers share. */
struct nfs4_compound {
	/* --- The request ----------------------------------------------- */
	struct nfs4_server *srv;
	struct rpc_request *req; /* set again when the COMPOUND moves to a worker */
	uint32_t minor;
	uint32_t numops;
	uint32_t servable_ops;     /* numops, or fewer where v4.0 refuses the rest */
	uint64_t args_digest;      /* v4.1: of the COMPOUND's arguments (SEQ_FALSE_RETRY) */

	/* --- The operation being served (set by the dispatcher) -------- */
	uint32_t opnum;
	uint32_t op_index;         /* its position in the COMPOUND */
	/* The operation after it (NFS4_NO_NEXT_OP when it is the last), for
	 * the security checks of RFC 8881 2.6.3.1.1 (ops/lookup.c). */
	uint32_t next_opnum;
	/* While the handler of an operation flagged NFS4_OPF_NEED_DIR or
	 * NFS4_OPF_NEED_REG runs: the current fh's attributes, read as its
	 * type was checked (the dispatcher's; a pointer, so that clearing the
	 * compound for each COMPOUND costs no more). */
	const struct backend_attr *cfh_attr;
	bool error_body;           /* set by the handler: it encoded a body for its error */
	size_t op_status_off;      /* where the reply has its status */

	/* --- Filehandles and stateids (RFC 8881 16.2.3.1.2) ------------ */
	struct fh cfh;        /* current filehandle; kind FH_NONE if unset */
	struct fh sfh;        /* saved filehandle */
	struct backend_cred cred;  /* the caller on cfh's export, squashed */
	/* v4.1: the current stateid; SAVEFH and RESTOREFH carry it along in
	 * the saved one. */
	struct nfs4_stateid current_stateid;
	bool has_current_stateid;
	struct nfs4_stateid saved_stateid;
	bool has_saved_stateid;

	/* --- v4.1 session, set by SEQUENCE (ops/session.c) ------------- */
	/* The session (referenced until the COMPOUND ends), its client, the
	 * slot, and whether the reply is kept: read by the dispatcher, which
	 * releases the slot, and by handlers that need the client. */
	struct state_session *session;
	uint64_t clientid;
	struct state_sp4 sp4; /* the client's SP4_MACH_CRED protection */
	uint32_t slotid;
	bool cachethis;
	uint32_t max_cached;       /* ca_maxresponsesize_cached */
	size_t saved_limit;        /* req->reply's limit before SEQUENCE lowered it */
	/* SEQUENCE found a replay: the kept reply (a reference), whose bytes
	 * from replay_off on are the COMPOUND4res the dispatcher sends again. */
	struct buf *replay;
	size_t replay_off;

	/* --- Scheduling: a handler asks the dispatcher to move or wait -- */
	/* Set by a handler that parked the request (rpc_request_park, its
	 * resume arranged): the dispatcher drops the operation's result and
	 * returns rpc_dispatch_park(); on resume the operation runs again
	 * and finds what it left in ga_wait (which it then frees). */
	bool parked;
	struct nfs4_ga_wait *ga_wait;
	/* With parked: the wait is for the connection's memory budget
	 * (rpc_request_wait_memory), not ga_wait. */
	bool mem_wait;
	/* Set by a handler of an NFS4_OPF_TRY_INLINE operation on an event
	 * loop that found it would have to wait (data not in memory): the
	 * dispatcher drops its result and moves the COMPOUND, from this
	 * operation on, to the worker pool, where it runs again. */
	bool would_block;
	/* The operation about to run again on a worker already holds its
	 * reply's memory reservation from the loop. */
	bool op_reserved;

	/* --- Before the reply -------------------------------------------- */
	/* The changes to make stable before the reply leaves (NULL: none;
	 * nfs4/engine/durable.h). */
	struct nfs4_durable_wait *durable;

	/* --- Hand-offs between handlers --------------------------------- */
	struct nfs4_handoff handoff;
};

/* Operations tried on an event loop (NFS4_OPF_TRY_INLINE) that would have
 * waited and moved to the worker pool: READs of data not in the page
 * cache.  For /metrics. */
uint64_t nfs4_inline_deferrals(void);

/* v4.1 replies refused for their size after SEQUENCE took the request
 * (NFS4ERR_REP_TOO_BIG, NFS4ERR_REP_TOO_BIG_TO_CACHE).  Rare: one shared
 * counter each. */
struct nfs4_reply_limit_stats {
	uint64_t rep_too_big, rep_too_big_to_cache;
};
void nfs4_reply_limit_stats_read(struct nfs4_reply_limit_stats *out);

/* Serves one COMPOUND call (done with GARBAGE_ARGS when its header cannot be
 * decoded).  Defers when an operation that may block comes up on an event
 * loop; called again on the worker, it goes on from that operation. */
struct rpc_dispatch_result nfs4_compound(struct nfs4_server *srv, struct rpc_request *req);

/* Sets the current filehandle and the caller's identity on its export. */
void nfs4_compound_set_cfh(struct nfs4_compound *c, const struct fh *fh);

/* v4.1 current stateid: sid (seqid 1, other all zeros) is replaced by the
 * COMPOUND's current stateid, NFS4ERR_BAD_STATEID when there is none.
 * Any other stateid (and every one in v4.0) is left alone.  The dispatcher
 * does this for operations with a stateid_arg in the op table; handlers
 * call it only for a stateid they use conditionally (SETATTR's). */
enum nfsstat4 nfs4_compound_resolve_stateid(const struct nfs4_compound *c,
					    struct nfs4_stateid *sid);

/* Makes sid the current stateid.  Operations flagged
 * NFS4_OPF_SETS_STATEID get this from the dispatcher. */
void nfs4_compound_set_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid);

/* Maps a back end's negative errno to the NFSv4 status. */
enum nfsstat4 nfs4_errno_to_status(int err);

/* Whether an operation after the current one (whose arguments were
 * decoded) is in map (bit n: operation n); the rest of the arguments are
 * decoded in a copy of the cursor to find them.  False at the first that
 * does not decode. */
bool nfs4_compound_rest_has(const struct nfs4_compound *c, const uint64_t map[2]);

#endif
