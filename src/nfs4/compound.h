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
#include "nfs4/fh.h"
#include "rpc/server.h"
#include "xdr/nfs4_types.h"

struct nfs4_server;
struct state_session;

struct nfs4_compound {
	struct nfs4_server *srv;
	struct rpc_request *req;
	uint32_t minor;
	uint32_t opnum;        /* the operation being served */
	uint32_t op_index;     /* its position in the COMPOUND */
	struct nfs4_fh cfh;    /* current filehandle; kind NFS4_FH_NONE if unset */
	struct nfs4_fh sfh;    /* saved filehandle */
	struct backend_cred cred; /* the caller on cfh's export, squashed */
	bool error_body;       /* the handler encoded a body for its error */
	/* v4.1: the current stateid (RFC 8881 16.2.3.1.2). */
	struct nfs4_stateid current_stateid;
	bool has_current_stateid;
	/* SAVEFH / RESTOREFH carry the current stateid along. */
	struct nfs4_stateid saved_stateid;
	bool has_saved_stateid;
	/* v4.1, set by SEQUENCE: the session (referenced until the COMPOUND
	 * ends), its client, the slot, and whether the reply is kept. */
	struct state_session *session;
	uint64_t clientid;
	uint32_t slotid;
	bool cachethis;
	uint32_t max_cached;       /* ca_maxresponsesize_cached */
	struct buf *replay;        /* SEQUENCE found a replay: these bytes are the reply */
	uint64_t args_digest;      /* of the COMPOUND's arguments */
	uint32_t numops;
	size_t saved_limit;        /* req->reply's limit before SEQUENCE lowered it */
};

typedef enum nfsstat4 (*nfs4_op_handler)(struct nfs4_compound *c, struct xdr_dec *args,
					 struct xdr_enc *res);

enum {
	NFS4_OPF_NEED_FH = 1u << 0,   /* NFS4ERR_NOFILEHANDLE without a current fh */
	NFS4_OPF_MAY_BLOCK = 1u << 1, /* run on a worker thread (disk syncs, big I/O) */
	NFS4_OPF_V40_ONLY = 1u << 2,  /* v4.1 answers NFS4ERR_NOTSUPP */
	NFS4_OPF_SESSIONLESS = 1u << 3, /* v4.1: may come without SEQUENCE, alone */
};

struct nfs4_op_desc {
	const char *name;
	nfs4_op_handler handler;
	uint8_t minor_min, minor_max; /* the minor versions that define the op */
	uint8_t flags;
};

/* The descriptor of an operation number, or NULL if no minor version
 * defines it. */
const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum);

/* Serves one COMPOUND call (done with GARBAGE_ARGS when its header cannot be
 * decoded).  Defers when an operation that may block comes up on an event
 * loop; called again on the worker, it goes on from that operation. */
struct rpc_dispatch_result nfs4_compound(struct nfs4_server *srv, struct rpc_request *req);

/* Sets the current filehandle and the caller's identity on its export. */
void nfs4_compound_set_cfh(struct nfs4_compound *c, const struct nfs4_fh *fh);

/* v4.1 current stateid: sid (seqid 1, other all zeros) is replaced by the
 * COMPOUND's current stateid, NFS4ERR_BAD_STATEID when there is none.
 * Any other stateid (and every one in v4.0) is left alone. */
enum nfsstat4 nfs4_compound_resolve_stateid(const struct nfs4_compound *c,
					    struct nfs4_stateid *sid);

/* Makes sid the current stateid (OPEN, LOCK, LOCKU, ...). */
void nfs4_compound_set_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid);

/* Maps a back end's negative errno to the NFSv4 status. */
enum nfsstat4 nfs4_errno_to_status(int err);

#endif
