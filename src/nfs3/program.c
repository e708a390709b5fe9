/* The NFSv3 program and NFSACL beside it: dispatch, the duplicate request
 * cache, counters, waits for the committer.  Both programs go through the
 * same pipeline (struct nfs3_table); only their procedures differ. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "nfs3/nfs3_internal.h"
#include "export/stall.h"
#include "rpc/drc.h"
#include "xdr/nfsacl_codec.h"

static nfs3_proc_fn *const procs[NFSPROC3_COUNT] = {
	[NFSPROC3_GETATTR] = nfs3_getattr,	   [NFSPROC3_SETATTR] = nfs3_setattr,
	[NFSPROC3_LOOKUP] = nfs3_lookup,	   [NFSPROC3_ACCESS] = nfs3_access,
	[NFSPROC3_READLINK] = nfs3_readlink,	   [NFSPROC3_READ] = nfs3_read,
	[NFSPROC3_WRITE] = nfs3_write,		   [NFSPROC3_CREATE] = nfs3_create,
	[NFSPROC3_MKDIR] = nfs3_mkdir,		   [NFSPROC3_SYMLINK] = nfs3_symlink,
	[NFSPROC3_MKNOD] = nfs3_mknod,		   [NFSPROC3_REMOVE] = nfs3_remove,
	[NFSPROC3_RMDIR] = nfs3_rmdir,		   [NFSPROC3_RENAME] = nfs3_rename,
	[NFSPROC3_LINK] = nfs3_link,		   [NFSPROC3_READDIR] = nfs3_readdir,
	[NFSPROC3_READDIRPLUS] = nfs3_readdirplus, [NFSPROC3_FSSTAT] = nfs3_fsstat,
	[NFSPROC3_FSINFO] = nfs3_fsinfo,	   [NFSPROC3_PATHCONF] = nfs3_pathconf,
	[NFSPROC3_COMMIT] = nfs3_commit,
};

/* The procedures that only read names and attributes, READ of up to 64
 * KiB from the page cache and UNSTABLE WRITE of up to 64 KiB: they run on
 * the event loop that read them while their export answers fast (a hand-off to a worker costs about as
 * much as a GETATTR from the page cache), on a worker while it is slow
 * (export/stall.h) or when the data is not in memory. */
static bool may_run_inline(uint32_t proc)
{
	switch (proc) {
	case NFSPROC3_GETATTR:
	case NFSPROC3_LOOKUP:
	case NFSPROC3_ACCESS:
	case NFSPROC3_READLINK:
	case NFSPROC3_FSSTAT:
	case NFSPROC3_FSINFO:
	case NFSPROC3_PATHCONF:
	case NFSPROC3_READ:  /* from the page cache only (nfs3_read) */
	case NFSPROC3_WRITE: /* UNSTABLE, no read from a disk first (nfs3_write) */
		return true;
	default:
		return false;
	}
}

/* The export a call's first argument (every procedure's is a handle)
 * names, NULL when it does not parse.  Only its header is read: the
 * procedure verifies the handle (nfs3_resolve), and a call with a forged
 * one fails there at once, so it never counts as slow for the export it
 * names. */
static struct export *call_export(struct nfs3_server *srv, const struct rpc_request *req)
{
	struct xdr_dec d = req->args;
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	struct nfs3_fh wire;
	if (!nfs3_xdr_fh(&x, &wire))
		return NULL;
	return fh_export_hint(srv->exports, wire.data, wire.len);
}

/* The procedures a retransmission must not run again: their second run
 * fails (EXIST, NOENT) or acts twice.  WRITE is idempotent but kept too,
 * so that a retransmitted write does not undo a later one. */
static bool not_idempotent(uint32_t proc)
{
	switch (proc) {
	case NFSPROC3_SETATTR:
	case NFSPROC3_WRITE:
	case NFSPROC3_CREATE:
	case NFSPROC3_MKDIR:
	case NFSPROC3_SYMLINK:
	case NFSPROC3_MKNOD:
	case NFSPROC3_REMOVE:
	case NFSPROC3_RMDIR:
	case NFSPROC3_RENAME:
	case NFSPROC3_LINK:
		return true;
	default:
		return false;
	}
}

/* The changes of names and attributes: what the reply cache keeps but
 * WRITE. */
static bool changes_meta(uint32_t proc)
{
	return proc != NFSPROC3_WRITE && not_idempotent(proc);
}

/* NFSv3's procedures through the pipeline: results filled by the
 * procedure, encoded here unless it encoded them itself. */
static bool v3_decode(struct xdr_stream *x, uint32_t proc, union nfs3_any_args *a)
{
	return nfs3_xdr_args(x, proc, &a->v3);
}

static uint32_t v3_run(struct nfs3_call *c, uint32_t proc, union nfs3_any_args *a)
{
	struct nfs3_res r;
	memset(&r, 0, sizeof(r));
	bool encoded = false;
	procs[proc](c, &a->v3, &r, &encoded);
	if (c->defer || c->parked)
		return r.status;
	if (!encoded) {
		struct xdr_stream ex = XDR_ENC_STREAM(&c->req->reply);
		nfs3_xdr_res(&ex, proc, &r);
	}
	if (c->pending) {
		c->pending->wcc = r.wcc;
		c->pending->wcc2 = r.wcc2;
		c->pending->attr = r.attr;
	}
	return r.status;
}

static void v3_encode_failed(struct xdr_stream *x, uint32_t proc, const struct nfs3_pending *p)
{
	struct nfs3_res r;
	memset(&r, 0, sizeof(r));
	r.status = NFS3ERR_IO;
	r.wcc = p->wcc;
	r.wcc2 = p->wcc2;
	r.attr = p->attr;
	nfs3_xdr_res(x, proc, &r);
}

static const struct nfs3_table v3_table = {
	.program = "nfs3",
	.nprocs = NFSPROC3_COUNT,
	.stats_base = 0,
	.name = nfs3_proc_name,
	.not_idempotent = not_idempotent,
	.may_run_inline = may_run_inline,
	.changes_meta = changes_meta,
	.decode = v3_decode,
	.run = v3_run,
	.encode_failed = v3_encode_failed,
};

int nfs3_server_init(struct nfs3_server *srv, struct exports *exports,
		     struct state_server *state, const uint8_t verifier[8], uint32_t max_record)
{
	memset(srv, 0, sizeof(*srv));
	srv->exports = exports;
	srv->state = state;
	memcpy(srv->write_verifier, verifier, sizeof(srv->write_verifier));
	/* Room for the RPC header and the results around the data. */
	uint32_t io = max_record > 4096 ? max_record - 4096 : 4096;
	srv->max_io = io > (1u << 20) ? 1u << 20 : io & ~4095u;
	nfs3_stats_init(srv);
	if (rpc_drc_create(&srv->drc) != 0)
		return -ENOMEM;
	return 0;
}

void nfs3_server_fini(struct nfs3_server *srv)
{
	if (srv->drc)
		rpc_drc_destroy(srv->drc);
	srv->drc = NULL;
	nfs3_stats_free(srv);
}

void nfs3_drc_stats_read(struct nfs3_server *srv, struct nfs3_drc_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!srv->drc)
		return;
	struct rpc_drc_stats st;
	rpc_drc_stats(srv->drc, &st);
	out->entries = st.entries;
	out->bytes = st.bytes;
	out->hits = st.hits;
	out->drops = st.dropped;
}

/* The end of a call whose results are encoded: a flush it waited for
 * that failed turns them into NFS3ERR_IO (the change may not survive a
 * crash); counted; kept for retransmissions when not idempotent. */
static struct rpc_dispatch_result nfs3_finish(struct nfs3_server *srv, const struct nfs3_table *t,
					      struct rpc_request *req, struct nfs3_pending *p,
					      uint32_t proc, uint64_t t0,
					      struct rpc_drc_entry *drc_entry, uint32_t status)
{
	if (p && p->w.err) {
		log_ratelimited("%s: from %s: a change could not be made stable (%s); "
				"answering NFS3ERR_IO",
				t->program, rpc_conn_peer(req->conn), strerror(-p->w.err));
		status = NFS3ERR_IO;
		req->reply.buf->len = req->results_off;
		req->reply.overflow = false;
		struct xdr_stream ex = XDR_ENC_STREAM(&req->reply);
		t->encode_failed(&ex, proc, p);
	}
	if (p) {
		export_durable_wait_clear(&p->w);
		free(p);
	}
	nfs3_stats_count(srv, t->stats_base + proc, status != NFS3_OK, clock_now_ns() - t0);
	if (drc_entry) {
		/* JUKEBOX is "not now": a retransmission runs again rather
		 * than hear it again. */
		struct buf *b = req->reply.overflow || status == NFS3ERR_JUKEBOX
					? NULL
					: rpc_request_share_reply(req);
		rpc_drc_finish(srv->drc, drc_entry, b, req->results_off);
	}
	return rpc_dispatch_done(RPC_SUCCESS);
}

/* Serves one call (on a worker, or on the loop for the procedures
 * t->may_run_inline names): decode, run, encode.  t0: when it began, for
 * the counters. */
static struct rpc_dispatch_result nfs3_serve(struct nfs3_server *srv, const struct nfs3_table *t,
					     struct rpc_request *req, uint64_t t0)
{
	uint32_t proc = req->hdr.proc;
	/* Decoded from a copy of the cursor: a parked call decodes again
	 * when it resumes. */
	struct xdr_dec args = req->args;
	const uint8_t *args_start = args.p;
	size_t args_len = xdr_dec_remaining(&args);
	union nfs3_any_args a;
	memset(&a, 0, sizeof(a));
	struct xdr_stream dx = XDR_DEC_STREAM(&args);
	if (!t->decode(&dx, proc, &a)) {
		log_ratelimited("%s: %s: undecodable %s arguments (xid 0x%08x)", t->program,
				rpc_conn_peer(req->conn), t->name(proc), req->hdr.xid);
		return rpc_dispatch_done(RPC_GARBAGE_ARGS);
	}

	struct rpc_drc_entry *drc_entry = NULL;
	if (srv->drc && t->not_idempotent(proc)) {
		struct rpc_drc_key k;
		rpc_drc_key(&k, rpc_conn_peer(req->conn), req->hdr.xid, args_start, args_len);
		enum rpc_drc_found found;
		struct buf *kept = NULL;
		size_t off = 0;
		drc_entry = rpc_drc_begin(srv->drc, &k, &found, &kept, &off);
		if (found == RPC_DRC_DONE) {
			rpc_request_reply_tail(req, kept, off, kept->len - off);
			log_info("%s: retransmitted %s (xid 0x%08x) from %s answered from the "
				 "duplicate request cache",
				 t->program, t->name(proc), req->hdr.xid, rpc_conn_peer(req->conn));
			return rpc_dispatch_done(RPC_SUCCESS);
		}
		if (found == RPC_DRC_IN_PROGRESS) {
			/* The original still runs: the client retransmits again
			 * and gets its reply then. */
			return rpc_dispatch_drop();
		}
	}

	struct nfs3_call c = {.srv = srv, .req = req};
	uint32_t status = t->run(&c, proc, &a);
	if (c.defer) {
		/* Nothing encoded, nothing changed: again on a worker, where
		 * it is entered in the reply cache anew. */
		if (drc_entry)
			rpc_drc_finish(srv->drc, drc_entry, NULL, 0);
		if (c.pending) {
			export_durable_wait_clear(&c.pending->w);
			free(c.pending);
		}
		return rpc_dispatch_defer();
	}
	if (c.parked) {
		/* Only READ and the listings park, and none is in the reply
		 * cache. */
		return rpc_dispatch_park();
	}
	struct nfs3_pending *p = c.pending;
	if (p && p->w.n > 0) {
		/* The changes are made stable before the reply leaves. */
		p->table = t;
		p->proc = proc;
		p->t0 = t0;
		p->drc_entry = drc_entry;
		struct rpc_park *park = rpc_request_park(req);
		if (park)
			req->prog_state = p;
		export_durable_wait_start(srv->durable, &p->w, park);
		if (park)
			return rpc_dispatch_park();
		return nfs3_finish(srv, t, req, p, proc, t0, drc_entry, status);
	}
	if (p) {
		export_durable_wait_clear(&p->w);
		free(p);
	}
	return nfs3_finish(srv, t, req, NULL, proc, t0, drc_entry, status);
}

static struct rpc_dispatch_result nfs3_dispatch_table(struct nfs3_server *srv,
						      const struct nfs3_table *t,
						      struct rpc_request *req)
{
	uint32_t proc = req->hdr.proc;
	if (proc >= t->nprocs)
		return rpc_dispatch_done(RPC_PROC_UNAVAIL);
	if (proc == 0) { /* NULL */
		nfs3_stats_count(srv, t->stats_base, false, 0);
		return rpc_dispatch_done(RPC_SUCCESS);
	}
	/* Every other procedure calls the back end, which may wait for a
	 * disk: on a worker, but for those that read names and attributes
	 * of an export that answers fast. */
	if (!req->on_worker) {
		if (!t->may_run_inline(proc)) {
			struct export *ex = t->changes_meta(proc) ? call_export(srv, req) : NULL;
			return ex && export_changes_wait_remote(ex) ? rpc_dispatch_defer_remote()
								    : rpc_dispatch_defer();
		}
		uint64_t t0 = clock_now_ns();
		struct export *ex = call_export(srv, req);
		if (ex && export_stall_expected(ex, t0)) {
			export_stall_count_deferral();
			return rpc_dispatch_defer();
		}
		struct rpc_dispatch_result res = nfs3_serve(srv, t, req, t0);
		if (ex) {
			uint64_t t1 = clock_now_ns();
			export_stall_note(ex, t1, t1 - t0);
		}
		return res;
	}
	struct nfs3_pending *p = req->prog_state;
	if (p) {
		/* Back from the committer: the results are encoded. */
		req->prog_state = NULL;
		uint32_t status = xdr_get_be32(req->reply.buf->data + req->results_off);
		return nfs3_finish(srv, p->table, req, p, p->proc, p->t0, p->drc_entry, status);
	}
	return nfs3_serve(srv, t, req, clock_now_ns());
}

static struct rpc_dispatch_result nfs3_dispatch(struct rpc_request *req, void *ctx)
{
	return nfs3_dispatch_table(ctx, &v3_table, req);
}

static struct rpc_dispatch_result nfsacl_dispatch(struct rpc_request *req, void *ctx)
{
	return nfs3_dispatch_table(ctx, &nfs3_acl_table, req);
}

/* rpc's question for a large call (struct rpc_program.find_bulk): where a
 * WRITE's data is, so that rpc splices it from the socket into a pipe
 * instead of reading it into memory. */
static bool nfs3_bulk_find(void *ctx, uint32_t vers, uint32_t proc, const uint8_t *args,
			   size_t have, size_t args_len, size_t *data_off, size_t *data_len)
{
	(void)ctx;
	if (vers != NFS3_VERSION || proc != NFSPROC3_WRITE)
		return false;
	if (have > args_len)
		have = args_len;
	struct xdr_dec d;
	xdr_dec_init(&d, args, have);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	struct nfs3_fh fh;
	uint64_t offset = 0;
	uint32_t count = 0, stable = 0, len = 0;
	if (!nfs3_xdr_fh(&x, &fh) || !xdr_u64(&x, &offset) || !xdr_u32(&x, &count) ||
	    !xdr_u32(&x, &stable) || !xdr_u32(&x, &len))
		return false;
	size_t off = (size_t)(d.p - args);
	if (len < NFS3_BULK_WRITE_MIN || len > args_len - off)
		return false;
	*data_off = off;
	*data_len = len;
	return true;
}

void nfs3_program_describe(struct rpc_program *prog, struct nfs3_server *srv)
{
	*prog = rpc_program_single(NFS3_PROGRAM, NFS3_VERSION, nfs3_dispatch, srv);
	prog->find_bulk = nfs3_bulk_find;
}

void nfs3_acl_program_describe(struct rpc_program *prog, struct nfs3_server *srv)
{
	*prog = rpc_program_single(NFSACL_PROGRAM, NFSACL_VERSION, nfsacl_dispatch, srv);
}
