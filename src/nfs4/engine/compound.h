/* COMPOUND: the header (tag, minor version, operation count), the
 * per-request context the operations share, and the operation loop.
 *
 * Each operation handler decodes its own arguments from `args` and appends
 * its result body (what follows the status in the XDR result union) to
 * `res`; it returns the status.  On an error status the dispatcher drops the
 * body unless the handler set c->error_body (LOCK's NFS4ERR_DENIED, and the
 * like).  Arguments that do not decode mean NFS4ERR_BADXDR. */
#ifndef FERRY_NFS4_COMPOUND_H
#define FERRY_NFS4_COMPOUND_H

#include "backend/backend.h"
#include "nfs4/fs/fh.h"
#include "rpc/server.h"
#include "xdr/nfs4_types.h"

struct nfs4_server;
struct state_session;
struct nfs4_ga_wait;

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
	struct nfs4_export *known_dir_export;
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
	/* While the handler of an operation flagged NFS4_OPF_NEED_DIR or
	 * NFS4_OPF_NEED_REG runs: the current fh's attributes, read as its
	 * type was checked (the dispatcher's; a pointer, so that clearing the
	 * compound for each COMPOUND costs no more). */
	const struct backend_attr *cfh_attr;
	bool error_body;           /* set by the handler: it encoded a body for its error */

	/* --- Filehandles and stateids (RFC 8881 16.2.3.1.2) ------------ */
	struct nfs4_fh cfh;        /* current filehandle; kind NFS4_FH_NONE if unset */
	struct nfs4_fh sfh;        /* saved filehandle */
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

	/* --- Hand-offs between handlers --------------------------------- */
	struct nfs4_handoff handoff;
};

/* Flags of an operation in the op table (optable.c).  The dispatcher does
 * what they say before (or after) the handler runs, so handlers need not. */
enum {
	NFS4_OPF_NEED_FH = 1u << 0,   /* NFS4ERR_NOFILEHANDLE without a current fh */
	NFS4_OPF_MAY_BLOCK = 1u << 1, /* run on a worker thread (disk syncs, big I/O) */
	NFS4_OPF_V40_ONLY = 1u << 2,  /* v4.1 answers NFS4ERR_NOTSUPP */
	NFS4_OPF_SESSIONLESS = 1u << 3, /* v4.1: may come without SEQUENCE, alone */
	/* Changes state (files, opens, locks, clients): in a v4.1 session it
	 * is refused with NFS4ERR_REP_TOO_BIG(_TO_CACHE) before it runs when
	 * its reply estimate would not fit, so a change is never made whose
	 * reply the client cannot get (RFC 8881 2.10.6.4).  Other operations
	 * run and are refused afterwards if their reply did not fit. */
	NFS4_OPF_CHANGES_STATE = 1u << 4,
	/* Writes to the file system of the current fh: NFS4ERR_ROFS when that
	 * is the pseudo-fs or a read-only export (implies NEED_FH).  The
	 * handler then always has c->cfh on a read-write export. */
	NFS4_OPF_ROFS = 1u << 5,
	/* On success the result body starts with a stateid4, which becomes
	 * the current stateid (RFC 8881 16.2.3.1.2). */
	NFS4_OPF_SETS_STATEID = 1u << 6,
	/* Looks up or changes names or attributes in the back end (and maybe
	 * the host's user database): quick from a cache, so it runs on the
	 * event loop, until its export proves slow (nfs4_stall_*). */
	NFS4_OPF_MAY_STALL = 1u << 7,
	/* Run twice it fails or acts twice, and no owner seqid guards it
	 * (CREATE, REMOVE, RENAME...): a v4.0 COMPOUND that runs it keeps its
	 * reply for retransmissions (nfs4/engine/drc40.h). */
	NFS4_OPF_NOT_IDEMPOTENT = 1u << 8,
	/* May wait for a disk, but usually finds its data in memory (READ
	 * from the page cache): tried on the event loop with I/O that does
	 * not wait, and moved to the worker pool only when the handler says
	 * it would block (c->would_block), or at once while its export is
	 * slow (nfs4_stall_*).  A hand-off costs as much as a small READ. */
	NFS4_OPF_TRY_INLINE = 1u << 9,
	/* The current fh must be a directory (NFS4ERR_NOTDIR, or
	 * NFS4ERR_SYMLINK: nfs4_need_dir) / a regular file of an export
	 * (nfs4_need_regular_attr): checked right before the handler, which
	 * finds the attributes read for it at c->cfh_attr. */
	NFS4_OPF_NEED_DIR = 1u << 10,
	NFS4_OPF_NEED_REG = 1u << 11,
};

/* The hooks of an operation (optable.c).  The dispatcher decodes its
 * arguments with the codec into a struct of the op table's args_size bytes
 * (NFS4ERR_BADXDR when they do not decode), and the handler serves them. */
typedef bool (*nfs4_op_decode_fn)(struct xdr_dec *d, void *args);
typedef enum nfsstat4 (*nfs4_op_serve_fn)(struct nfs4_compound *c, void *args,
					  struct xdr_enc *res);

/* The largest result body (the bytes after the status) the operation can
 * produce on success for these decoded arguments (as READ's count).  An
 * error result that changes nothing (LOCK's NFS4ERR_DENIED) need not be
 * covered: it is checked after the operation like any read. */
typedef uint32_t (*nfs4_op_reply_fn)(const struct nfs4_compound *c, const void *args);

/* The stateid argument that may be the v4.1 current stateid, inside the
 * decoded arguments, or NULL when this use of the operation has none
 * (LOCK names one of two). */
typedef struct nfs4_stateid *(*nfs4_op_stateid_fn)(void *args);

struct nfs4_op_desc {
	const char *name;
	/* NULL for an operation Ferry does not serve: NFS4ERR_NOTSUPP. */
	nfs4_op_serve_fn serve;
	nfs4_op_decode_fn decode;
	uint16_t args_size;
	uint8_t minor_min, minor_max; /* the minor versions that define the op */
	uint16_t flags;               /* NFS4_OPF_* */
	/* Reply-size estimate: reply_size(c, args) when set, else the
	 * constant reply_max. */
	uint32_t reply_max;
	nfs4_op_reply_fn reply_size;
	/* Set for an operation whose stateid argument may be the current
	 * stateid (v4.1, seqid 1 and other all zeros): the dispatcher
	 * resolves it in the decoded arguments before the handler runs
	 * (NFS4ERR_BAD_STATEID when there is none). */
	nfs4_op_stateid_fn stateid_arg;
	/* Set for an operation whose result has a body whatever its status
	 * (SETATTR's attrsset): encodes that body for an error result the
	 * dispatcher makes (the operation refused before it ran) or whose
	 * body it drops (a reply too big). */
	void (*refused_body)(struct xdr_enc *res);
};

/* The largest decoded arguments struct of any operation. */
enum { NFS4_OP_ARGS_MAX = 512 };

/* Declares and defines the handler of an operation on decoded arguments:
 *   NFS4_SERVE(lookup) { ... a->name ... }
 * where `a` is the operation's struct nfs4_lookup_args (xdr/nfs4_codec_*.h),
 * c the COMPOUND and res the reply to append the result body to.
 * NFS4_SERVE0 is for an operation without arguments. */
#define NFS4_SERVE_DECL(name) \
	enum nfsstat4 nfs4_serve_##name(struct nfs4_compound *c, void *args, struct xdr_enc *res)
#define NFS4_SERVE(name)                                                                   \
	static enum nfsstat4 serve_##name(struct nfs4_compound *c,                         \
					  struct nfs4_##name##_args *a, struct xdr_enc *res); \
	NFS4_SERVE_DECL(name) { return serve_##name(c, args, res); }                        \
	static enum nfsstat4 serve_##name(struct nfs4_compound *c,                         \
					  struct nfs4_##name##_args *a, struct xdr_enc *res)
#define NFS4_SERVE0(name) \
	NFS4_SERVE_DECL(name)

/* One past the highest operation number in the table. */
enum { NFS4_OP_TABLE_SIZE = OP_REMOVEXATTR + 1 };

/* The descriptor of an operation number, or NULL if no minor version
 * defines it. */
const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum);

/* Operations flagged NFS4_OPF_MAY_STALL run on the event loop while their
 * export answers them fast.  Once NFS4_STALL_STRIKES in a row took
 * NFS4_STALL_NS or more on a loop (a disk that has to seek, a directory
 * service that has to be asked; one alone may be a loop thread that lost
 * its CPU), those of that export go to the worker pool for
 * NFS4_STALL_HOLD_NS, so the loop's other connections do not wait behind
 * them; then they are tried on the loop again (stall.c). */
enum {
	NFS4_STALL_NS = 1000000,
	NFS4_STALL_STRIKES = 3,
};
#define NFS4_STALL_HOLD_NS 1000000000ull

/* Whether such an operation on the current filehandle's export should go
 * to the worker pool now. */
bool nfs4_stall_expected(const struct nfs4_compound *c, uint64_t now_ns);

/* Tells how long one such operation, run on an event loop, took on ex
 * (ended at end_ns). */
void nfs4_stall_note(struct nfs4_export *ex, uint64_t end_ns, uint64_t took_ns);

/* Counts one operation sent to the worker pool because its export was
 * slow; the total, for /metrics.  Rare: one shared counter. */
void nfs4_stall_count_deferral(void);
uint64_t nfs4_stall_deferrals(void);

/* Operations tried on an event loop (NFS4_OPF_TRY_INLINE) that would have
 * waited and moved to the worker pool: READs of data not in the page
 * cache.  For /metrics. */
uint64_t nfs4_inline_deferrals(void);

/* The operation's reply-size estimate for its decoded arguments. */
uint32_t nfs4_op_reply_estimate(const struct nfs4_op_desc *desc, const struct nfs4_compound *c,
				const void *args);

/* Per-operation counters, by minor version: calls served (including those
 * refused by the dispatcher's checks), calls that ended with an error, the
 * time spent in them and a latency histogram.  Each thread counts in its
 * own block without a lock; reading sums the blocks (a thread that exits
 * leaves its counts behind).  Minor versions past the last are counted
 * with it. */
enum {
	NFS4_STATS_MINORS = 3,
	/* Bucket i holds calls of at most nfs4_op_lat_bound_ns(i): powers of
	 * four from 1.024 us to 4.3 s, so the index is a shift of the
	 * leading-zero count, not a search. */
	NFS4_OP_LAT_BUCKETS = 12,
};

static inline uint64_t nfs4_op_lat_bound_ns(unsigned i)
{
	return 1024ull << (2 * i);
}

struct nfs4_op_stats {
	uint64_t calls;
	uint64_t errors;
	uint64_t total_ns;
	/* Not cumulative; the last one counts calls above every bound. */
	uint64_t lat[NFS4_OP_LAT_BUCKETS + 1];
};

/* Adds one call of opnum (< NFS4_OP_TABLE_SIZE) on this thread. */
void nfs4_op_stats_count(uint32_t opnum, uint32_t minor, bool error, uint64_t ns);

/* Fills out with the totals of every thread, by minor version and op. */
void nfs4_op_stats_read(struct nfs4_op_stats out[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE]);

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
void nfs4_compound_set_cfh(struct nfs4_compound *c, const struct nfs4_fh *fh);

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

#endif
