#include "nfs4/engine/compound.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "nfs4/deleg/deleg.h"
#include "rpc/drc.h"
#include "nfs4/engine/durable.h"
#include "nfs4/engine/op_stats.h"
#include "nfs4/engine/optable.h"
#include "export/stall.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/clients/session.h"
#include "state/lifecycle/state_info.h"
#include "xdr/nfs4_codec.h"

enum {
	NFS40_MAX_OPS = 1024,
	TRACE_OPS = 16, /* operations named in the debug log line of a COMPOUND */
};

/* What a COMPOUND carries between operations, and across the move to a
 * worker thread when an operation may block. */
struct compound_run {
	struct nfs4_compound c;
	uint32_t numops;
	uint32_t next; /* index of the next operation */
	/* The COMPOUND4res being built; its encoder is set again on each
	 * (re)start since the request may have moved to a worker. */
	struct nfs4_compound_res_enc res;
	uint32_t last_status;
	/* At debug level only: the operations run, for one log line. */
	bool trace;
	uint32_t traced[TRACE_OPS];
	/* v4.0: the arguments (for the duplicate request cache's key) and
	 * the cache's entry once a non-idempotent operation is to run. */
	const uint8_t *args_start;
	size_t args_len;
	bool drc_begun;
	struct rpc_drc_entry *drc_entry;
	/* The operation it stopped at goes to the remote pool
	 * (rpc_dispatch_defer_remote), not the workers. */
	bool defer_remote;
};

/* "v4.1 COMPOUND from 127.0.0.1:871: [SEQUENCE, PUTFH, OPEN, GETATTR] ->
 * NFS4_OK": the minor-version path and the operations up to the first
 * that failed (the rest were never decoded, so their names are unknown). */
static void compound_log(const struct compound_run *run, const struct rpc_request *req)
{
	char list[TRACE_OPS * 24 + 16];
	size_t n = 0;
	/* run->next stops at the operation that failed or was refused. */
	uint32_t ran = run->next < run->numops && run->last_status != NFS4_OK ? run->next + 1
									    : run->next;
	uint32_t shown = ran < TRACE_OPS ? ran : TRACE_OPS;
	for (uint32_t i = 0; i < shown; i++) {
		const char *name = nfs4_op_name(run->traced[i]);
		if (strncmp(name, "OP_", 3) == 0)
			name += 3;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", name);
	}
	if (ran > shown)
		snprintf(list + n, sizeof(list) - n, ", ...");
	log_debug("nfs4: v4.%u COMPOUND from %s: [%s] (%u of %u ops) -> %s", run->c.minor,
		  rpc_conn_peer(req->conn), list, ran, run->numops,
		  nfs4_status_name(run->last_status));
}

enum nfsstat4 nfs4_errno_to_status(int err)
{
	switch (-err) {
	case 0:
		return NFS4_OK;
	case EPERM:
	case EBUSY:
		return NFS4ERR_PERM;
	case ENOENT:
		return NFS4ERR_NOENT;
	case ENXIO:
	case ENODEV:
		return NFS4ERR_NXIO;
	case EACCES:
		return NFS4ERR_ACCESS;
	case EEXIST:
		return NFS4ERR_EXIST;
	case EXDEV:
		return NFS4ERR_XDEV;
	case ENOTDIR:
		return NFS4ERR_NOTDIR;
	case EISDIR:
		return NFS4ERR_ISDIR;
	case EINVAL:
	case EOVERFLOW:
		return NFS4ERR_INVAL;
	case EFBIG:
		return NFS4ERR_FBIG;
	case ENOSPC:
		return NFS4ERR_NOSPC;
	case EROFS:
		return NFS4ERR_ROFS;
	case EMLINK:
		return NFS4ERR_MLINK;
	case ENAMETOOLONG:
		return NFS4ERR_NAMETOOLONG;
	case ENOTEMPTY:
		return NFS4ERR_NOTEMPTY;
	case EDQUOT:
		return NFS4ERR_DQUOT;
	case ESTALE:
	case EBADF:
		return NFS4ERR_STALE;
	case ELOOP:
		return NFS4ERR_SYMLINK;
	case EOPNOTSUPP:
		return NFS4ERR_NOTSUPP;
	case EAGAIN:
		return NFS4ERR_DELAY;
	case ETXTBSY:
		return NFS4ERR_FILE_OPEN;
	case ENOMEM:
		return NFS4ERR_RESOURCE;
	case EIO:
		return NFS4ERR_IO;
	default:
		log_ratelimited("nfs4: back-end error %d (%s) reported as NFS4ERR_IO", -err,
				strerror(-err));
		return NFS4ERR_IO;
	}
}

static bool stateid_is_current(const struct nfs4_stateid *sid)
{
	if (sid->seqid != 1)
		return false;
	for (int i = 0; i < NFS4_OTHER_SIZE; i++)
		if (sid->other[i])
			return false;
	return true;
}

enum nfsstat4 nfs4_compound_resolve_stateid(const struct nfs4_compound *c,
					    struct nfs4_stateid *sid)
{
	if (c->minor < 1 || !stateid_is_current(sid))
		return NFS4_OK;
	if (!c->has_current_stateid)
		return NFS4ERR_BAD_STATEID;
	*sid = c->current_stateid;
	return NFS4_OK;
}

void nfs4_compound_set_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid)
{
	c->current_stateid = *sid;
	c->has_current_stateid = true;
}

void nfs4_compound_set_cfh(struct nfs4_compound *c, const struct fh *fh)
{
	if (&c->cfh != fh)
		c->cfh = *fh;
	/* A new current filehandle leaves no current stateid (RFC 8881
	 * 16.2.3.1.2); OPEN and RESTOREFH set one afterwards. */
	c->has_current_stateid = false;
	if (fh->kind == FH_EXPORT)
		export_cred(fh->export, rpc_conn_peer_addr(c->req->conn), &c->req->cred, &c->cred);
	else
		memset(&c->cred, 0, sizeof(c->cred));
}

/* A listener narrowed at run time keeps serving the sessions established
 * on it: a v4.1 COMPOUND whose SEQUENCE names a live session this
 * connection is bound to passes, while new clients of that minor version
 * (EXCHANGE_ID, CREATE_SESSION) and other connections are refused.  Looks
 * ahead in a copy of the cursor; only on the refusal path. */
static bool compound_established_session(struct nfs4_server *srv, const struct xdr_dec *args,
					 uint32_t minor, const struct rpc_conn *conn)
{
	if (minor < 1 || minor > NFS4_MINOR_HIGHEST || minor < srv->minor_min ||
	    minor > srv->minor_max)
		return false;
	struct xdr_dec d = *args;
	uint32_t opnum;
	const uint8_t *sid;
	if (!xdr_decode_u32(&d, &opnum) || opnum != OP_SEQUENCE ||
	    !xdr_decode_opaque_fixed(&d, NFS4_SESSIONID_SIZE, &sid))
		return false;
	return state_session_has_conn(srv->state, sid, conn);
}

/* What SEQ_FALSE_RETRY compares: a hash of the first bytes of the
 * arguments and their length (a retry is the same bytes; a different
 * request differs early: its tag, its operations, their first arguments).
 * 192 bytes hold the header, SEQUENCE, a PUTFH and the next operation's
 * first arguments (a WRITE's stateid and offset).  It only tells one
 * request of a slot from the next, so a multiply-rotate over 8-byte words
 * does: a keyed hash of 512 bytes (siphash) was a twentieth of a 4 KiB
 * WRITE's CPU. */
enum { ARGS_DIGEST_BYTES = 192 };

static uint64_t compound_args_digest(const uint8_t *args, size_t len)
{
	const uint64_t k1 = 0x9e3779b97f4a7c15ull, k2 = 0xc2b2ae3d27d4eb4full;
	size_t n = len < ARGS_DIGEST_BYTES ? len : ARGS_DIGEST_BYTES;
	uint64_t h = (uint64_t)len * k1;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;
		memcpy(&w, args + i, n - i < 8 ? n - i : 8);
		h ^= w * k2;
		h = ((h << 31) | (h >> 33)) * k1;
	}
	h ^= h >> 33;
	h *= k2;
	return h ^ (h >> 29);
}

/* Starts a COMPOUND: header decoded, result header encoded.  Returns false
 * when the arguments are garbage. */
static bool compound_begin(struct compound_run *run, struct nfs4_server *srv,
			   struct rpc_request *req, enum rpc_accept_stat *done)
{
	struct xdr_dec *d = &req->args;
	struct xdr_enc *e = &req->reply;
	const uint8_t *args_start = d->p;
	size_t args_len = xdr_dec_remaining(d);

	struct nfs4_compound_args_hdr h;
	if (!nfs4_dec_compound_args_hdr(d, &h)) {
		*done = RPC_GARBAGE_ARGS;
		return false;
	}
	uint32_t minor = h.minor;
	run->numops = h.numops;
	memset(&run->c, 0, sizeof(run->c));
	run->c.srv = srv;
	run->c.req = req;
	run->c.minor = minor;
	run->c.cfh.kind = FH_NONE;
	run->c.sfh.kind = FH_NONE;
	run->next = 0;
	run->last_status = NFS4_OK;
	run->trace = log_get_level() >= LOG_LEVEL_DEBUG;
	run->args_start = args_start;
	run->args_len = args_len;
	run->drc_begun = false;
	run->drc_entry = NULL;
	run->defer_remote = false;
	/* The tag is echoed as sent. */
	nfs4_enc_compound_res_begin(&run->res, e, h.tag);

	uint32_t lo, hi;
	nfs4_server_listener_minor(srv, rpc_conn_listener(req->conn), &lo, &hi);
	if ((minor < lo || minor > hi) && !compound_established_session(srv, d, minor, req->conn)) {
		log_debug("nfs4: minor version %u from %s refused (accepted %u-%u)", minor,
			  rpc_conn_peer(req->conn), lo, hi);
		nfs4_enc_compound_res_finish(&run->res, NFS4ERR_MINOR_VERS_MISMATCH);
		*done = RPC_SUCCESS;
		return false;
	}
	if (minor >= 1)
		run->c.args_digest = compound_args_digest(args_start, args_len);
	run->c.numops = run->numops;
	/* v4.0 refuses operations past NFS40_MAX_OPS before they run. */
	run->c.servable_ops =
		minor == 0 && run->numops > NFS40_MAX_OPS ? NFS40_MAX_OPS : run->numops;
	return true;
}

/* Replies at least this large are reserved against the memory budgets. */
enum { NFS4_RESERVE_MIN = 16 * 1024 };

static _Atomic uint64_t n_rep_too_big, n_rep_too_big_to_cache;
/* One shared counter: moving to the pool costs far more than it. */
static _Atomic uint64_t n_inline_deferrals;

uint64_t nfs4_inline_deferrals(void) { return atomic_load(&n_inline_deferrals); }

static enum nfsstat4 count_limit(enum nfsstat4 s)
{
	if (s == NFS4ERR_REP_TOO_BIG)
		atomic_fetch_add_explicit(&n_rep_too_big, 1, memory_order_relaxed);
	else if (s == NFS4ERR_REP_TOO_BIG_TO_CACHE)
		atomic_fetch_add_explicit(&n_rep_too_big_to_cache, 1, memory_order_relaxed);
	return s;
}

void nfs4_reply_limit_stats_read(struct nfs4_reply_limit_stats *out)
{
	out->rep_too_big = atomic_load(&n_rep_too_big);
	out->rep_too_big_to_cache = atomic_load(&n_rep_too_big_to_cache);
}

/* Notes the operation for the debug log line of the COMPOUND. */
static void compound_trace(struct compound_run *run, uint32_t opnum)
{
	if (run->trace && run->next < TRACE_OPS)
		run->traced[run->next] = opnum;
}

/* An operation refused before it ran: its result ends the COMPOUND.  desc
 * is NULL for an operation number no minor version knows. */
static void compound_refuse(struct compound_run *run, const struct nfs4_op_desc *desc,
			    uint32_t opnum, enum nfsstat4 status)
{
	compound_trace(run, opnum);
	nfs4_enc_op_res(&run->res, opnum, status);
	if (desc && desc->refused_body)
		desc->refused_body(run->res.e);
	run->last_status = status;
}

/* v4.1 rules on where an operation may be (RFC 8881 2.10.6, 18.46.3):
 * SEQUENCE first, or a session-less operation alone. */
static enum nfsstat4 compound41_gate(const struct compound_run *run,
				     const struct nfs4_op_desc *desc, uint32_t opnum)
{
	if (desc->flags & NFS4_OPF_V40_ONLY)
		return NFS4ERR_NOTSUPP;
	if (run->next == 0) {
		if (opnum == OP_SEQUENCE)
			return NFS4_OK;
		if (desc->flags & NFS4_OPF_SESSIONLESS)
			return run->numops > 1 ? NFS4ERR_NOT_ONLY_OP : NFS4_OK;
		return NFS4ERR_OP_NOT_IN_SESSION;
	}
	if (opnum == OP_SEQUENCE)
		return NFS4ERR_SEQUENCE_POS;
	if (opnum == OP_BIND_CONN_TO_SESSION)
		return NFS4ERR_NOT_ONLY_OP;
	return NFS4_OK;
}

/* Sends the reply SEQUENCE found in the slot: a new RPC header (this call's
 * XID) followed by the kept COMPOUND4res, by reference, in place of
 * anything encoded so far. */
static void compound_send_replay(struct compound_run *run, struct xdr_enc *e)
{
	struct buf *r = run->c.replay;
	run->c.replay = NULL;
	e->buf->len = run->res.status_off;
	e->overflow = false;
	if (run->c.saved_limit)
		e->limit = run->c.saved_limit;
	rpc_request_reply_tail(run->c.req, r, run->c.replay_off, r->len - run->c.replay_off);
}

/* v4.0: sends the reply the duplicate request cache kept for this call (a
 * retransmission) in place of anything encoded so far; the XID is the
 * same, so only the COMPOUND4res after the new RPC header is kept. */
static void compound40_send_cached(struct compound_run *run, struct xdr_enc *e, struct buf *r,
				   size_t off)
{
	e->buf->len = run->res.status_off;
	e->overflow = false;
	rpc_request_reply_tail(run->c.req, r, off, r->len - off);
	log_info("nfs4: v4.0 retransmission of xid 0x%08x from %s answered from the "
		 "duplicate request cache",
		 run->c.req->hdr.xid, rpc_conn_peer(run->c.req->conn));
}

/* v4.0, before a non-idempotent operation runs: the call is recorded as in
 * progress, or, when a copy of it is recorded already, this copy is
 * answered from the cache (DONE) or dropped (IN_PROGRESS). */
static enum rpc_drc_found compound40_drc_begin(struct compound_run *run, struct nfs4_server *srv,
						  struct xdr_enc *e)
{
	run->drc_begun = true;
	struct rpc_drc_key k;
	rpc_drc_key(&k, rpc_conn_peer(run->c.req->conn), run->c.req->hdr.xid,
		       run->args_start, run->args_len);
	enum rpc_drc_found found;
	struct buf *r = NULL;
	size_t off = 0;
	run->drc_entry = rpc_drc_begin(srv->drc40, &k, &found, &r, &off);
	if (found == RPC_DRC_DONE)
		compound40_send_cached(run, e, r, off);
	return found;
}

/* v4.0, as a COMPOUND starts: a retransmission of a call the cache holds. */
static enum rpc_drc_found compound40_drc_lookup(struct compound_run *run,
						   struct nfs4_server *srv, struct xdr_enc *e)
{
	if (!srv->drc40 || rpc_drc_empty(srv->drc40))
		return RPC_DRC_MISS;
	struct rpc_drc_key k;
	rpc_drc_key(&k, rpc_conn_peer(run->c.req->conn), run->c.req->hdr.xid,
		       run->args_start, run->args_len);
	struct buf *r = NULL;
	size_t off = 0;
	enum rpc_drc_found found = rpc_drc_lookup(srv->drc40, &k, &r, &off);
	if (found == RPC_DRC_DONE)
		compound40_send_cached(run, e, r, off);
	return found;
}

/* v4.1, after an operation ran in a session: a reply over
 * ca_maxresponsesize becomes NFS4ERR_REP_TOO_BIG, one over
 * ca_maxresponsesize_cached when it is to be kept
 * NFS4ERR_REP_TOO_BIG_TO_CACHE (the operation's result is dropped). */
static enum nfsstat4 compound41_limit(struct nfs4_compound *c, struct xdr_enc *e,
				      size_t body_off, enum nfsstat4 status)
{
	if (e->overflow) {
		e->overflow = false;
		e->buf->len = body_off;
		c->error_body = false;
		return count_limit(NFS4ERR_REP_TOO_BIG);
	}
	if (c->cachethis && xdr_enc_len(e) - 4 > c->max_cached) {
		e->buf->len = body_off;
		c->error_body = false;
		return count_limit(NFS4ERR_REP_TOO_BIG_TO_CACHE);
	}
	return status;
}

/* v4.1, before an operation that changes state: the reply with its largest
 * result must fit what the client takes, and what the slot keeps when it
 * asked for that; else the operation does not run. */
static enum nfsstat4 compound41_limit_before(struct nfs4_compound *c, uint32_t estimate)
{
	const struct xdr_enc *e = &c->req->reply;
	uint64_t need = (uint64_t)xdr_enc_len(e) + estimate;
	if (need > e->limit)
		return count_limit(NFS4ERR_REP_TOO_BIG);
	/* The record mark is not part of the reply. */
	if (c->cachethis && need - 4 > c->max_cached)
		return count_limit(NFS4ERR_REP_TOO_BIG_TO_CACHE);
	return NFS4_OK;
}

/* A large reply (READ, READDIR) is counted against the memory budgets
 * before it is built; past them the client retries later.  Small ones are
 * not: they are bounded by the requests in flight, and the count would cost
 * every GETATTR.  NFS4ERR_DELAY when over budget, with c->parked and
 * c->mem_wait set when the request can wait for the client to read earlier
 * replies (DELAY stands if it cannot wait). */
static enum nfsstat4 compound_reserve_reply(struct nfs4_compound *c,
					    const struct nfs4_op_desc *desc, const void *args)
{
	if (c->op_reserved) {
		c->op_reserved = false; /* reserved on the loop before it moved */
		return NFS4_OK;
	}
	if (!desc->reply_size && desc->reply_max < NFS4_RESERVE_MIN)
		return NFS4_OK;
	uint32_t need = nfs4_op_reply_estimate(desc, c, args);
	enum rpc_reserve r =
		need >= NFS4_RESERVE_MIN ? rpc_request_reserve(c->req, need) : RPC_RESERVED;
	if (r == RPC_RESERVE_WAIT) {
		c->parked = true;
		c->mem_wait = true;
	}
	return r == RPC_RESERVED ? NFS4_OK : NFS4ERR_DELAY;
}

/* The checks the op table asks for, the arguments decoded into a struct on
 * this stack (the current stateid resolved in them), then the handler.
 * *estimate is the reply-size estimate of an operation that changes state. */
static enum nfsstat4 compound_run_op(struct nfs4_compound *c, const struct nfs4_op_desc *desc,
				     uint32_t *estimate)
{
	if (!desc->serve)
		return NFS4ERR_NOTSUPP;
	if ((desc->flags & NFS4_OPF_NEED_FH) && c->cfh.kind == FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	/* The pseudo-fs is read-only too. */
	if ((desc->flags & NFS4_OPF_ROFS) &&
	    (c->cfh.kind != FH_EXPORT ||
	     export_read_only(c->cfh.export, rpc_conn_peer_addr(c->req->conn))))
		return NFS4ERR_ROFS;
	_Alignas(max_align_t) uint8_t args[NFS4_OP_ARGS_MAX];
	memset(args, 0, desc->args_size);
	if (!desc->decode(&c->req->args, args))
		return NFS4ERR_BADXDR;
	enum nfsstat4 status;
	c->next_opnum = c->op_index + 1 < c->numops && xdr_dec_remaining(&c->req->args) >= 4
				? xdr_get_be32(c->req->args.p)
				: NFS4_NO_NEXT_OP;
	/* SP4_MACH_CRED: an operation the client had enforced comes from the
	 * principal that made the client, or not at all. */
	if (c->sp4.mach && state_sp4_has(c->sp4.enforce, c->opnum)) {
		struct state_principal who;
		state_principal_from_cred(&who, &c->req->cred);
		if ((status = state_client_mach_check(c->srv->state, c->clientid, &who,
						      c->opnum)) != NFS4_OK)
			return status;
	}
	struct nfs4_stateid *sid;
	if (desc->stateid_arg && c->minor >= 1 && (sid = desc->stateid_arg(args)) &&
	    (status = nfs4_compound_resolve_stateid(c, sid)) != NFS4_OK)
		return status;
	if (desc->flags & NFS4_OPF_CHANGES_STATE) {
		*estimate = nfs4_op_reply_estimate(desc, c, args);
		if (c->session && (status = compound41_limit_before(c, *estimate)) != NFS4_OK)
			return status;
	}
	if ((status = compound_reserve_reply(c, desc, args)) != NFS4_OK)
		return status;
	/* The first thing each of these handlers needs (and the reason for
	 * the operation's back-end getattr). */
	struct backend_attr cfh_attr;
	if (desc->flags & NFS4_OPF_NEED_DIR)
		status = nfs4_need_dir(c, &cfh_attr);
	else if (desc->flags & NFS4_OPF_NEED_REG)
		status = nfs4_need_regular_attr(c, &c->cfh, &cfh_attr);
	if (status != NFS4_OK)
		return status;
	c->cfh_attr = &cfh_attr;
	status = desc->serve(c, args, &c->req->reply);
	c->cfh_attr = NULL;
	return status;
}

/* After a successful operation flagged NFS4_OPF_SETS_STATEID: its result
 * starts with the stateid that is now current. */
static void compound_take_stateid(struct nfs4_compound *c, size_t body_off)
{
	const struct xdr_enc *e = &c->req->reply;
	struct xdr_dec d;
	struct nfs4_stateid sid;
	xdr_dec_init(&d, e->buf->data + body_off, xdr_enc_len(e) - body_off);
	if (nfs4_decode_stateid(&d, &sid))
		nfs4_compound_set_stateid(c, &sid);
}

/* The run moved off the stack, so that it outlives this call (deferred to
 * a worker or parked); false when there is no memory for it. */
static bool compound_run_keep(struct compound_run **runp, struct compound_run *local)
{
	if (*runp != local)
		return true;
	struct compound_run *run = malloc(sizeof(*run));
	if (!run)
		return false;
	*run = *local;
	*runp = run;
	return true;
}

/* An operation asked to wait (c->parked, with c->ga_wait filled or
 * c->mem_wait set): moves the run to the heap (once), takes the park handle
 * and registers the wait.  False, with ga_wait freed, when it cannot wait:
 * its status stands. */
static bool compound_park(struct compound_run **runp, struct compound_run *local,
			  struct rpc_request *req)
{
	struct compound_run *run = *runp;
	struct nfs4_ga_wait *w = run->c.ga_wait;
	bool mem_wait = run->c.mem_wait;
	run->c.mem_wait = false;
	if (!compound_run_keep(runp, local))
		goto fail;
	run = *runp;
	if (mem_wait) {
		req->prog_state = run;
		if (rpc_request_wait_memory(req))
			return true;
		req->prog_state = NULL;
		goto fail;
	}
	w->park = rpc_request_park(req);
	if (!w->park)
		goto fail;
	req->prog_state = run;
	/* A registry already stopping: resume at once, the operation then
	 * answers as for a holder that stayed silent. */
	if (!nfs4_ga_wait_add(run->c.srv, w, NFS4_GA_WAIT_MS))
		rpc_park_resume(w->park);
	/* Registered: w may be resumed and freed on another thread already. */
	return true;
fail:
	free(w);
	(*runp)->c.ga_wait = NULL;
	return false;
}

/* What became of one step of the loop over a COMPOUND's operations. */
enum op_step {
	STEP_NEXT,  /* go on (with the next step, or the next operation) */
	STEP_STOP,  /* the COMPOUND ends with this operation's result */
	STEP_SENT,  /* a kept reply went out instead (a retransmission) */
	STEP_DROP,  /* a copy of this call still runs: no reply at all */
	STEP_DEFER, /* goes on from this operation on a worker */
	STEP_PARK,  /* goes on from this operation when the request resumes */
};

/* The operation being served, as the loop's steps hand it on. */
struct compound_op {
	const uint8_t *start; /* its place in the arguments, to decode it again */
	uint32_t opnum;
	const struct nfs4_op_desc *desc;
	uint64_t t0, t1; /* when it started and ended */
};

/* The next operation's number and descriptor, and whether this minor
 * version lets it run here; STEP_STOP after encoding its refusal. */
static enum op_step compound_admit(struct compound_run *run, struct compound_op *op)
{
	op->start = run->c.req->args.p;
	if (!nfs4_dec_op(&run->c.req->args, &op->opnum)) {
		/* Fewer operations than announced. */
		compound_refuse(run, NULL, OP_ILLEGAL, NFS4ERR_BADXDR);
		return STEP_STOP;
	}
	const struct nfs4_op_desc *desc = op->desc = nfs4_op_describe(op->opnum);
	if (!desc || run->c.minor < desc->minor_min || run->c.minor > desc->minor_max) {
		compound_refuse(run, NULL, OP_ILLEGAL, NFS4ERR_OP_ILLEGAL);
		return STEP_STOP;
	}
	enum nfsstat4 refused = NFS4_OK;
	/* v4.0 has no negotiated limit; past this many operations the server
	 * is out of resources for the request (RFC 7530 15.2). */
	if (run->c.minor == 0 && run->next >= NFS40_MAX_OPS)
		refused = NFS4ERR_RESOURCE;
	else if (run->c.minor >= 1)
		refused = compound41_gate(run, desc, op->opnum);
	if (refused == NFS4_OK)
		return STEP_NEXT;
	compound_refuse(run, desc, op->opnum, refused);
	return STEP_STOP;
}

/* Where the operation runs: here (STEP_NEXT), or on a worker from this
 * operation on (STEP_DEFER, the run moved to the heap).  On an event loop an
 * operation that may block goes to the pool, and so does one that may stall
 * or is tried inline first while its export is slow.  t_last: when the
 * previous operation of this call ended (0: none), op->t0 from it. */
static enum op_step compound_schedule(struct compound_run **runp, struct compound_run *local,
				      struct compound_op *op, uint64_t t_last)
{
	struct compound_run *run = *runp;
	struct rpc_request *req = run->c.req;
	uint16_t flags = op->desc->flags;
	/* Taken here for the operation statistics, and to tell whether its
	 * export is slow just now. */
	op->t0 = t_last ? t_last : clock_now_ns();
	if (req->on_worker)
		return STEP_NEXT;
	bool on_export = run->c.cfh.kind == FH_EXPORT;
	/* A change its export's back end makes by asking a metadata server
	 * would wait a round trip on the loop every time. */
	bool remote = (flags & NFS4_OPF_META_CHANGE) && on_export &&
		      export_changes_wait_remote(run->c.cfh.export);
	bool stalls = !remote && (flags & (NFS4_OPF_MAY_STALL | NFS4_OPF_TRY_INLINE)) &&
		      on_export && export_stall_expected(run->c.cfh.export, op->t0);
	if (stalls)
		export_stall_count_deferral();
	if (!(flags & NFS4_OPF_MAY_BLOCK) && !stalls && !remote)
		return STEP_NEXT;
	if (!compound_run_keep(runp, local))
		return STEP_NEXT; /* no memory to move: serve it here */
	(*runp)->defer_remote = remote;
	req->prog_state = *runp;
	/* The worker decodes this operation again. */
	req->args.p = op->start;
	return STEP_DEFER;
}

/* The operation asked to run elsewhere or later (c->would_block, or
 * c->parked): its result header goes, the arguments rewind to it and the
 * run is kept for STEP_DEFER or STEP_PARK.  STEP_NEXT when it cannot move
 * or wait: *status (NFS4ERR_DELAY for a move) then stands. */
static enum op_step compound_reschedule(struct compound_run **runp, struct compound_run *local,
					const struct compound_op *op, size_t status_off,
					enum nfsstat4 *status)
{
	struct rpc_request *req = (*runp)->c.req;
	enum op_step step;
	if ((*runp)->c.would_block) {
		/* Tried on the loop, it would have waited: it runs again on
		 * a worker, with the memory it reserved. */
		(*runp)->c.would_block = false;
		atomic_fetch_add_explicit(&n_inline_deferrals, 1, memory_order_relaxed);
		if (!compound_run_keep(runp, local)) {
			*status = NFS4ERR_DELAY; /* no memory to move it */
			return STEP_NEXT;
		}
		req->prog_state = *runp;
		(*runp)->c.op_reserved = true;
		(*runp)->defer_remote = false;
		step = STEP_DEFER;
	} else {
		(*runp)->c.parked = false;
		if (!compound_park(runp, local, req))
			return STEP_NEXT;
		/* The slot stays in flight. */
		step = STEP_PARK;
	}
	(*runp)->res.count--;
	req->reply.buf->len = status_off - 4;
	req->args.p = op->start;
	return step;
}

/* The operation's status and result body as the reply carries them: the
 * current stateid taken from it, the v4.1 session's size limits (the v4.0
 * record's) applied, an error's body dropped.  STEP_STOP when the COMPOUND
 * ends with it (an error, or no room for even the result header). */
static enum op_step compound_result(struct compound_run *run, const struct compound_op *op,
				    enum nfsstat4 status, size_t status_off, size_t body_off,
				    uint32_t estimate)
{
	struct nfs4_compound *c = &run->c;
	const struct nfs4_op_desc *desc = op->desc;
	struct xdr_enc *e = &c->req->reply;
	if (status == NFS4_OK && (desc->flags & NFS4_OPF_SETS_STATEID))
		compound_take_stateid(c, body_off);
	/* A result over its estimate would defeat the check before state
	 * changes: the op table is out of date. */
	if (status == NFS4_OK && !e->overflow && xdr_enc_len(e) - body_off > estimate) {
		log_ratelimited("nfs4: %s encoded %zu bytes, over its estimate of %u", desc->name,
				xdr_enc_len(e) - body_off, estimate);
		assert(!"reply estimate too small");
	}
	if (c->session) {
		status = compound41_limit(c, e, body_off, status);
	} else if (e->overflow) {
		/* v4.0: the reply outgrew the largest record; this operation's
		 * result is dropped and it reports that the request needs more
		 * than the server gives it. */
		e->overflow = false;
		e->buf->len = body_off;
		c->error_body = false;
		status = NFS4ERR_RESOURCE;
	}
	if (status != NFS4_OK && !c->error_body && !e->overflow) {
		e->buf->len = body_off;
		if (desc->refused_body)
			desc->refused_body(e);
	}
	if (e->overflow)
		return STEP_STOP; /* no room even for the result header: SYSTEM_ERR */
	nfs4_enc_op_res_patch(&run->res, status_off, status);
	run->last_status = status;
	nfs4_op_stats_count(op->opnum, c->minor, status != NFS4_OK, op->t1 - op->t0);
	if (status == NFS4_OK)
		return STEP_NEXT;
	log_debug("nfs4: %s from %s: op %u of %u failed with %u", desc->name,
		  rpc_conn_peer(c->req->conn), run->next + 1, run->numops, status);
	return STEP_STOP;
}

/* Runs the operation here and encodes its result; the stall learning and
 * the counters see it.  It may yet move (STEP_DEFER, STEP_PARK), or find
 * the reply of a retransmission to send (STEP_SENT). */
static enum op_step compound_serve(struct compound_run **runp, struct compound_run *local,
				   struct compound_op *op)
{
	struct compound_run *run = *runp;
	struct nfs4_compound *c = &run->c;
	const struct nfs4_op_desc *desc = op->desc;
	struct xdr_enc *e = &c->req->reply;
	compound_trace(run, op->opnum);
	c->opnum = op->opnum;
	c->op_index = run->next;
	c->error_body = false;
	/* In a session the limit stops results' bodies NFS4_OP_RES_HEAD
	 * short of what the client takes: a result's header may use it, so
	 * that an error (NFS4ERR_REP_TOO_BIG) always has its header. */
	if (c->session)
		e->limit += NFS4_OP_RES_HEAD;
	size_t status_off = nfs4_enc_op_res(&run->res, op->opnum, NFS4_OK);
	if (c->session)
		e->limit -= NFS4_OP_RES_HEAD;
	c->op_status_off = status_off;
	size_t body_off = xdr_enc_len(e);
	struct export *stall_ex =
		(desc->flags & NFS4_OPF_MAY_STALL) && c->cfh.kind == FH_EXPORT ? c->cfh.export
										 : NULL;
	uint32_t estimate = UINT32_MAX;
	enum nfsstat4 status = compound_run_op(c, desc, &estimate);
	op->t1 = clock_now_ns();
	/* Only the loops learn: a worker's time includes waiting for a CPU
	 * among many workers. */
	if (stall_ex && !c->req->on_worker)
		export_stall_note(stall_ex, op->t1, op->t1 - op->t0);
	/* SEQUENCE decides its own size limits, before its slot moves. */
	if (op->opnum == OP_SEQUENCE)
		count_limit(status);
	if (c->would_block || c->parked) {
		enum op_step step = compound_reschedule(runp, local, op, status_off, &status);
		if (step != STEP_NEXT)
			return step;
		run = *runp;
		c = &run->c;
	}
	if (c->replay) {
		nfs4_op_stats_count(op->opnum, c->minor, false, op->t1 - op->t0);
		compound_send_replay(run, e);
		return STEP_SENT;
	}
	return compound_result(run, op, status, status_off, body_off, estimate);
}

/* v4.0, before a non-idempotent operation: the call is recorded in the
 * duplicate request cache, unless a copy of it got there first (the
 * operations before this one are idempotent): then its reply is sent
 * (STEP_SENT) or, while it still runs, none (STEP_DROP). */
static enum op_step compound40_drc_guard(struct compound_run *run, const struct compound_op *op)
{
	struct nfs4_server *srv = run->c.srv;
	if (!(op->desc->flags & NFS4_OPF_NOT_IDEMPOTENT) || run->c.minor != 0 || !srv->drc40 ||
	    run->drc_begun)
		return STEP_NEXT;
	switch (compound40_drc_begin(run, srv, &run->c.req->reply)) {
	case RPC_DRC_DONE:
		return STEP_SENT;
	case RPC_DRC_IN_PROGRESS:
		return STEP_DROP;
	default:
		return STEP_NEXT;
	}
}

/* A new COMPOUND: its header, and in v4.0 the duplicate request cache.
 * False when that answered it already (garbage arguments, a minor version
 * refused, a retransmission): *early is then what to return. */
static bool compound_start(struct compound_run *run, struct nfs4_server *srv,
			   struct rpc_request *req, struct rpc_dispatch_result *early)
{
	enum rpc_accept_stat done;
	if (!compound_begin(run, srv, req, &done)) {
		*early = rpc_dispatch_done(done);
		return false;
	}
	if (run->c.minor != 0)
		return true;
	switch (compound40_drc_lookup(run, srv, &req->reply)) {
	case RPC_DRC_DONE:
		*early = rpc_dispatch_done(RPC_SUCCESS);
		return false;
	case RPC_DRC_IN_PROGRESS:
		*early = rpc_dispatch_drop();
		return false;
	default:
		return true;
	}
}

/* The reply is complete: the v4.1 slot keeps it as it goes to the wire
 * (when asked) and is free again; in v4.0 the duplicate request cache keeps
 * it when a non-idempotent operation ran. */
static void compound_keep_reply(struct compound_run *run, struct rpc_request *req)
{
	struct nfs4_server *srv = run->c.srv;
	struct xdr_enc *e = &req->reply;
	if (run->c.session) {
		struct buf *keep = NULL;
		if (run->c.cachethis && !e->overflow) {
			keep = rpc_request_share_reply(req);
			if (!keep)
				log_ratelimited("nfs4: a reply could not be kept; a retry gets "
						"NFS4ERR_RETRY_UNCACHED_REP");
		}
		state_sequence_done(srv->state, run->c.session, run->c.slotid, keep,
				    run->res.status_off);
		run->c.session = NULL;
	} else if (run->drc_entry) {
		rpc_drc_finish(srv->drc40, run->drc_entry,
				  e->overflow ? NULL : rpc_request_share_reply(req),
				  run->res.status_off);
		run->drc_entry = NULL;
	}
}

/* The operations ran (or the one that ended the COMPOUND was refused):
 * the reply's status, the debug line, and the reply caches. */
static void compound_finish(struct compound_run *run, struct rpc_request *req)
{
	/* An operation resumed from a park consumes its wait; one refused
	 * before it ran again must not leak it. */
	free(run->c.ga_wait);
	run->c.ga_wait = NULL;
	nfs4_enc_compound_res_finish(&run->res, run->last_status);
	if (run->trace)
		compound_log(run, req);
	compound_keep_reply(run, req);
}

/* A flush the reply waited for failed: the change may not survive a crash,
 * so the operation that made the first of them answers NFS4ERR_IO and the
 * COMPOUND ends with it (the results after it are dropped). */
static void compound_durable_failed(struct compound_run *run, const struct nfs4_durable_wait *w)
{
	struct xdr_enc *e = &run->c.req->reply;
	log_ratelimited("nfs4: from %s: a change could not be made stable (%s); answering "
			"NFS4ERR_IO",
			rpc_conn_peer(run->c.req->conn), strerror(-w->w.err));
	e->buf->len = w->first_status_off - 4;
	e->overflow = false;
	run->res.count = w->first_op;
	run->next = w->first_op;
	nfs4_enc_op_res(&run->res, w->first_opnum, NFS4ERR_IO);
	const struct nfs4_op_desc *desc = nfs4_op_describe(w->first_opnum);
	if (desc && desc->refused_body)
		desc->refused_body(e);
	run->last_status = NFS4ERR_IO;
}

/* The operations are done (or one failed): when they changed names or
 * metadata, the request waits, parked, for the committer to make the
 * changes stable (durable.h), STEP_PARK; resumed, a flush that failed is
 * reported.  Without the memory to park, the flush is made here. */
static enum op_step compound_durable(struct compound_run **runp, struct compound_run *local,
				     struct rpc_request *req, enum op_step step)
{
	struct nfs4_durable_wait *w = (*runp)->c.durable;
	if (!w)
		return step;
	if (!w->w.queued) {
		struct rpc_park *park = NULL;
		if (compound_run_keep(runp, local))
			park = rpc_request_park(req);
		if (park)
			req->prog_state = *runp;
		nfs4_durable_wait_start((*runp)->c.srv, w, park);
		if (park)
			return STEP_PARK;
	}
	if (w->w.err)
		compound_durable_failed(*runp, w);
	return step;
}

/* Serves a COMPOUND's operations in order until one fails, each admitted
 * (decoded, allowed by the minor version), scheduled (here, or on a worker
 * from it on), guarded by the v4.0 reply cache, then served; a run that
 * moves or waits comes back here from where it left off. */
struct rpc_dispatch_result nfs4_compound(struct nfs4_server *srv, struct rpc_request *req)
{
	struct compound_run local;
	struct compound_run *run = req->prog_state;

	if (!run) {
		struct rpc_dispatch_result early;
		run = &local;
		if (!compound_start(run, srv, req, &early))
			return early;
	}
	/* The request may have moved to a worker since the last operation. */
	run->c.req = req;
	run->res.e = &req->reply;

	/* When the previous operation of this COMPOUND ended: the next one
	 * starts then, give or take its decoding, which saves a clock read per
	 * operation (on this VM's clock about 4% of a path walk's CPU). */
	uint64_t t_last = 0;
	enum op_step step = STEP_NEXT;
	/* Back from the committer: every operation has run. */
	bool flushed = run->c.durable && run->c.durable->w.queued;
	while (!flushed && step == STEP_NEXT && run->next < run->numops) {
		struct compound_op op;
		step = compound_admit(run, &op);
		if (step == STEP_NEXT)
			step = compound_schedule(&run, &local, &op, t_last);
		if (step == STEP_NEXT)
			step = compound40_drc_guard(run, &op);
		if (step == STEP_NEXT)
			step = compound_serve(&run, &local, &op);
		if (step == STEP_NEXT) {
			run->next++;
			t_last = op.t1;
		}
	}
	if (step == STEP_NEXT || step == STEP_STOP)
		step = compound_durable(&run, &local, req, step);
	/* The one place a COMPOUND drains the state module's outbox, when its
	 * run stops: the callbacks its operations queued go out (a CB_GETATTR
	 * before it parks to wait for the answer), and once it has ended, the
	 * write holds reach the back end before the reply goes out (the next
	 * WRITE finds its descriptor kept, after a CLOSE the host sees the
	 * file closed; a CLOSE after the OPEN has cancelled its hold). */
	if (state_deleg_work_pending(srv->state))
		nfs4_outbox_drain(srv, step != STEP_DEFER && step != STEP_PARK);
	if (step == STEP_DEFER)
		return run->defer_remote ? rpc_dispatch_defer_remote() : rpc_dispatch_defer();
	if (step == STEP_PARK)
		return rpc_dispatch_park();
	/* A reply that went out from a cache (STEP_SENT), or none at all
	 * (STEP_DROP), is neither finished nor kept again. */
	if (step == STEP_NEXT || step == STEP_STOP)
		compound_finish(run, req);
	nfs4_durable_wait_free(run->c.durable);
	run->c.durable = NULL;
	if (run != &local) {
		free(run);
		req->prog_state = NULL;
	}
	/* CB_NOTIFY_LOCKs for locks this COMPOUND freed (LOCKU, CLOSE,
	 * FREE_STATEID...): queued now that no state lock is held. */
	state_lock_notify_flush(srv->state);
	return step == STEP_DROP ? rpc_dispatch_drop() : rpc_dispatch_done(RPC_SUCCESS);
}

bool nfs4_compound_rest_has(const struct nfs4_compound *c, const uint64_t map[2])
{
	struct xdr_dec d = c->req->args;
	_Alignas(max_align_t) uint8_t scratch[NFS4_OP_ARGS_MAX];
	for (uint32_t i = c->op_index + 1; i < c->numops; i++) {
		uint32_t opnum;
		if (!nfs4_dec_op(&d, &opnum))
			return false;
		if (state_sp4_has(map, opnum))
			return true;
		const struct nfs4_op_desc *desc = nfs4_op_describe(opnum);
		if (!desc || !desc->decode)
			return false;
		memset(scratch, 0, desc->args_size);
		if (!desc->decode(&d, scratch))
			return false;
	}
	return false;
}
