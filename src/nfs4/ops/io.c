/* Data: READ, WRITE, COMMIT (NFSv4.2's data operations: io42.c). */
#include <errno.h>
#include <string.h>

#include "core/pipe_pool.h"
#include "export/write.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"


enum nfsstat4 nfs4_need_regular_attr(struct nfs4_compound *c, const struct fh *fh,
				     struct backend_attr *attr)
{
	if (fh->kind != FH_EXPORT)
		return NFS4ERR_ISDIR; /* every pseudo-fs object is a directory */
	enum nfsstat4 st = nfs4_fh_getattr(c, fh, attr);
	return st != NFS4_OK ? st : nfs4_type_error(attr->type, BACKEND_REG);
}

/* READ and WRITE need only the type: an object's never changes.  *seen
 * points to the attributes read for it, or is NULL when none were (the
 * OPEN just before proved the type). */
static enum nfsstat4 need_regular(struct nfs4_compound *c, struct backend_attr *attr,
				  const struct backend_attr **seen)
{
	*seen = NULL;
	if (c->handoff.regular_for != 0 && c->handoff.regular_for == c->op_index)
		return NFS4_OK;
	enum nfsstat4 st = nfs4_need_regular_attr(c, &c->cfh, attr);
	if (st == NFS4_OK)
		*seen = attr;
	return st;
}

/* WRITE needs only the type, which a back end may know without asking the
 * file system (a statx was a twentieth of a 4 KiB WRITE's CPU); seen is
 * then NULL. */
static enum nfsstat4 need_regular_type(struct nfs4_compound *c, struct backend_attr *attr,
				       const struct backend_attr **seen)
{
	struct export *ex = c->cfh.export;
	if (c->cfh.kind != FH_EXPORT || !ex->ops->object_type)
		return need_regular(c, attr, seen);
	*seen = NULL;
	if (c->handoff.regular_for != 0 && c->handoff.regular_for == c->op_index)
		return NFS4_OK;
	enum backend_ftype type;
	int rc = ex->ops->object_type(ex->bex, &c->cfh.bh, &type);
	return rc ? nfs4_errno_to_status(rc) : nfs4_type_error(type, BACKEND_REG);
}

void nfs4_data_changed(struct nfs4_compound *c)
{
	/* Size, times and change moved: holders told of an entry's
	 * attributes learn them (no cost without such a holder). */
	struct backend_attr attr;
	if (state_dirdeleg_any_child_attrs(c->srv->state) &&
	    nfs4_fh_getattr(c, &c->cfh, &attr) == NFS4_OK)
		nfs4_dirdeleg_child_attrs(NFS4_DIR_BY(c), &c->cfh, &attr);
}

/* From this size on a READ's data goes file -> pipe -> socket, never
 * through our memory: below it the two copies cost less than the pipe's
 * bookkeeping and the extra system calls. */
enum { NFS4_SPLICE_MIN = 64 * 1024 };

/* Reads into the reply's place for the data, p (count bytes reserved); on
 * an event loop (would_block non-NULL) only what is in memory. */
static int read_copy(struct nfs4_compound *c, const struct backend_attr *seen, uint64_t offset,
		     uint32_t count, uint8_t *p, size_t *got, bool *eof, bool *would_block)
{
	struct export *ex = c->cfh.export;
	if (!would_block)
		return ex->ops->read(ex->bex, &c->cred, &c->cfh.bh, offset, count, p, got, eof);
	*would_block = true;
	if (!ex->ops->read_nowait)
		return 0;
	return ex->ops->read_nowait(ex->bex, &c->cred, &c->cfh.bh, seen, offset, count, p, got,
				    eof, would_block);
}

/* Large reads: the data spliced into the reply's pipe, which rpc sends in
 * place of the reserved bytes at p.  A reply the v4.1 slot keeps is read
 * into memory as before (rpc would read the pipe back into it anyway).
 * When the pipe fills before count (an unaligned 1 MiB spans one page
 * more than a pipe of fs.pipe-max-size, 1 MiB, holds), the rest is copied
 * after it.  False when splicing does not apply: copy instead. */
static bool read_spliced(struct nfs4_compound *c, uint64_t offset, uint32_t count, uint8_t *p,
			 size_t *got, bool *eof, bool *would_block, int *rc)
{
	struct export *ex = c->cfh.export;
	if (count < NFS4_SPLICE_MIN || !ex->ops->read_splice || c->cachethis)
		return false;
	struct pooled_pipe *pipe = rpc_request_pipe(c->req);
	if (!pipe)
		return false;
	*rc = ex->ops->read_splice(ex->bex, &c->cred, &c->cfh.bh, offset, count, pipe->wr, got,
				   eof, would_block);
	pipe->held += *got;
	if (*rc != 0 || (would_block && *would_block) || *got == 0) {
		rpc_request_pipe_drop(c->req);
		return true;
	}
	rpc_request_reply_spliced(c->req, (size_t)(p - c->req->reply.buf->data), *got);
	if (*got == count || *eof)
		return true;
	size_t more = 0;
	bool more_eof = false, more_blocks = false;
	if (read_copy(c, NULL, offset + *got, count - (uint32_t)*got, p + *got, &more, &more_eof,
		      would_block ? &more_blocks : NULL) == 0 &&
	    !more_blocks) {
		*got += more; /* else a short read: the client asks for the rest */
		*eof = more_eof;
	}
	return true;
}

/* Large reads to a connection that takes its data copied: the data is
 * mapped, and rpc sends it from the mapping in place of the reserved bytes
 * at p (the kernel's one copy instead of a read into p and a second copy).
 * Not for a reply the v4.1 slot keeps.  False when mapping does not
 * apply: copy instead. */
static bool read_mapped(struct nfs4_compound *c, uint64_t offset, uint32_t count, uint8_t *p,
			size_t *got, bool *eof, bool *would_block, int *rc)
{
	struct export *ex = c->cfh.export;
	if (count < NFS4_SPLICE_MIN || !ex->ops->read_mapped || c->cachethis ||
	    !rpc_request_can_map(c->req))
		return false;
	struct backend_mapping m;
	int r = ex->ops->read_mapped(ex->bex, &c->cred, &c->cfh.bh, offset, count, &m, got, eof,
				     would_block);
	if (r == -EOPNOTSUPP)
		return false;
	*rc = r;
	if (r == 0 && m.base)
		rpc_request_reply_mapped(c->req, (size_t)(p - c->req->reply.buf->data), *got,
					 &(struct rpc_mapped){m.base, m.size, m.skip, m.release, m.release_arg});
	return true;
}

int nfs4_read_into(struct nfs4_compound *c, const struct backend_attr *seen, uint64_t offset,
		   uint32_t count, uint8_t *p, size_t *got, bool *eof, bool *would_block)
{
	int rc = 0;
	if (!read_spliced(c, offset, count, p, got, eof, would_block, &rc) &&
	    !read_mapped(c, offset, count, p, got, eof, would_block, &rc))
		rc = read_copy(c, seen, offset, count, p, got, eof, would_block);
	return rc;
}

enum nfsstat4 nfs4_op_read(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_read_args *a = args;
	uint64_t offset = a->offset;
	uint32_t count = a->count;
	struct backend_attr attr;
	const struct backend_attr *seen;
	/* The attributes serve a read from memory on the event loop
	 * (read_nowait); a back end without it reads on a worker and needs
	 * the type alone (its read finds a stale handle). */
	enum nfsstat4 st = c->cfh.kind == FH_EXPORT && !c->cfh.export->ops->read_nowait
				   ? need_regular_type(c, &attr, &seen)
				   : need_regular(c, &attr, &seen);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_check_io_stateid(c, &a->stateid, false, offset, count)) != NFS4_OK)
		return st;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	/* No file reaches past the largest offset the host can address. */
	if (offset >= (uint64_t)INT64_MAX - count) {
		struct nfs4_read_res r = {.eof = true};
		nfs4_enc_read_res(res, &r);
		return NFS4_OK;
	}
	/* Read straight into the reply. */
	size_t off;
	uint8_t *p = nfs4_enc_read_res_reserve(res, count, &off);
	if (!p)
		return NFS4ERR_RESOURCE;
	size_t got = 0;
	bool eof = false;
	/* On an event loop (NFS4_OPF_TRY_INLINE): only what is in memory; the
	 * rest is read on a worker. */
	bool would_block = false;
	bool *nowait = c->req->on_worker ? NULL : &would_block;
	int rc = nfs4_read_into(c, seen, offset, count, p, &got, &eof, nowait);
	if (rc == 0 && would_block) {
		nfs4_enc_read_res_finish(res, off, false, 0);
		c->would_block = true;
		return NFS4ERR_DELAY; /* not sent: the dispatcher moves the op */
	}
	if (rc) {
		nfs4_enc_read_res_finish(res, off, false, 0);
		return nfs4_errno_to_status(rc);
	}
	nfs4_enc_read_res_finish(res, off, eof, (uint32_t)got);
	return NFS4_OK;
}

/* A large WRITE's data may have arrived into a pipe instead of the record
 * (rpc's find_bulk: engine/bulk.c), leaving a hole in the arguments.  This
 * handler is the one consumer of those bytes: the decoder only points at
 * them, the reply caches hash only the arguments' first bytes, which rpc
 * keeps in memory (RPC_ARGS_HEAD_IN_MEMORY), and a later operation's
 * arguments are never in the hole.  So the bytes are taken here, from the
 * pipe into the file, or read into the record first for a back end
 * without write_pipe. */
static int write_data(struct nfs4_compound *c, const struct backend_attr *seen, uint64_t offset,
		      const uint8_t *data, uint32_t len, enum backend_stable stable, size_t *written,
		      enum backend_stable *committed, bool *would_block)
{
	struct export *ex = c->cfh.export;
	if (would_block) {
		/* The record is in memory: only small WRITEs stay on a loop. */
		*committed = BACKEND_UNSTABLE;
		return ex->ops->write_nowait(ex->bex, &c->cred, &c->cfh.bh, seen, offset, data, len,
					     written, would_block);
	}
	return export_write_args(c->req, ex, &c->cred, &c->cfh.bh, offset, data, len, stable,
				 written, committed);
}

/* A WRITE runs on an event loop (NFS4_OPF_TRY_INLINE) when it is small and
 * unstable: its bytes go into the page cache with one system call, which
 * costs less than handing the COMPOUND to a worker and back.  Larger ones
 * (whose data may sit in a pipe), stable ones (which wait for the disk by
 * design) and those of a back end that cannot tell whether it would wait
 * move to a worker; so do all of an export whose operations turned slow
 * (NFS4_OPF_MAY_STALL: a buffered write can wait for dirty pages to be
 * written back or for the journal). */
enum { NFS4_WRITE_INLINE_MAX = 64 * 1024 };

static bool write_runs_here(const struct nfs4_compound *c, const struct nfs4_write_args *a)
{
	/* A WRITE of exactly NFS4_BULK_WRITE_MIN bytes may have had its data
	 * spliced (a record long enough for rpc's bulk path: more operations
	 * after it): the hole is for write_data on a worker to read. */
	return c->req->on_worker ||
	       (a->stable == UNSTABLE4 && a->data.len <= NFS4_WRITE_INLINE_MAX &&
		rpc_request_args_in_memory(c->req, a->data.data, a->data.len) &&
		c->cfh.kind == FH_EXPORT && c->cfh.export->ops->write_nowait);
}

enum nfsstat4 nfs4_op_write(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_write_args *a = args;
	uint64_t offset = a->offset;
	uint32_t len = a->data.len;
	const uint8_t *data = a->data.data;
	if (!write_runs_here(c, a)) {
		c->would_block = true;
		return NFS4ERR_DELAY; /* not sent: the dispatcher moves the op */
	}
	struct backend_attr attr;
	const struct backend_attr *seen;
	enum nfsstat4 st = need_regular_type(c, &attr, &seen);
	if (st != NFS4_OK)
		return st;
	if (offset + len < offset || offset + len > (1ull << 63) - 1)
		return NFS4ERR_FBIG;
	if ((st = nfs4_check_io_stateid(c, &a->stateid, true, offset, len)) != NFS4_OK)
		return st;
	size_t written = 0;
	enum backend_stable committed = BACKEND_UNSTABLE;
	bool would_block = false;
	int rc = write_data(c, seen, offset, data, len, (enum backend_stable)a->stable, &written,
			    &committed, c->req->on_worker ? NULL : &would_block);
	if (rc == 0 && would_block) {
		c->would_block = true;
		return NFS4ERR_DELAY;
	}
	if (rc)
		return nfs4_errno_to_status(rc);
	struct nfs4_write_res r = {.count = (uint32_t)written, .committed = (uint32_t)committed};
	memcpy(r.writeverf.data, c->srv->write_verifier, sizeof(r.writeverf.data));
	nfs4_enc_write_res(res, &r);
	nfs4_data_changed(c);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_commit(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_commit_args *a = args;
	struct backend_attr attr;
	enum nfsstat4 st = nfs4_need_regular_attr(c, &c->cfh, &attr);
	if (st == NFS4ERR_SYMLINK)
		st = NFS4ERR_INVAL;
	if (st != NFS4_OK)
		return st;
	if (a->offset + a->count < a->offset)
		return NFS4ERR_INVAL;
	/* What WRITE would need: a COMMIT is I/O on the caller's behalf,
	 * and no open stateid vouches for the caller here.  As knfsd (which
	 * verifies the handle for writing with owner override before it
	 * syncs), the file's owner may commit whatever its mode: a file
	 * created 0444 and written through its open is still committed. */
	struct export *ex = c->cfh.export;
	if (export_read_only(ex, rpc_conn_peer_addr(c->req->conn)))
		return NFS4ERR_ROFS;
	int rc;
	if (attr.uid != c->cred.uid) {
		uint32_t granted = 0;
		rc = ex->ops->access(ex->bex, &c->cred, &c->cfh.bh, BACKEND_ACCESS_WRITE,
				     &granted);
		if (rc)
			return nfs4_errno_to_status(rc);
		if (!(granted & BACKEND_ACCESS_WRITE))
			return NFS4ERR_ACCESS;
	}
	rc = ex->ops->commit(ex->bex, &c->cfh.bh, a->offset, a->count);
	if (rc)
		return nfs4_errno_to_status(rc);
	struct nfs4_commit_res r;
	memcpy(r.writeverf.data, c->srv->write_verifier, sizeof(r.writeverf.data));
	nfs4_enc_commit_res(res, &r);
	return NFS4_OK;
}
