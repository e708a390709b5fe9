/* The NFSv3 procedures on one object: GETATTR SETATTR ACCESS READLINK READ
 * WRITE COMMIT FSSTAT FSINFO PATHCONF. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipe_pool.h"
#include "export/write.h"
#include "nfs3/nfs3_internal.h"

void nfs3_getattr(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh fh;
	struct backend_attr attr;
	r->status = nfs3_resolve_post(c, &a->fh, &fh, &attr, &r->attr);
}

/* NFS3_OK for a regular file; what READ, WRITE, COMMIT and a SETATTR of
 * the size answer for another type. */
static enum nfsstat3 regular_only(enum backend_ftype type)
{
	return type == BACKEND_REG ? NFS3_OK : type == BACKEND_DIR ? NFS3ERR_ISDIR : NFS3ERR_INVAL;
}

enum nfsstat3 nfs3_setattr_from(const struct nfs3_sattr *s, struct backend_setattr *out)
{
	memset(out, 0, sizeof(*out));
	if (s->set_mode) {
		out->mask |= BACKEND_SET_MODE;
		out->mode = s->mode & 07777;
	}
	if (s->set_uid) {
		out->mask |= BACKEND_SET_UID;
		out->uid = s->uid;
	}
	if (s->set_gid) {
		out->mask |= BACKEND_SET_GID;
		out->gid = s->gid;
	}
	if (s->set_size) {
		out->mask |= BACKEND_SET_SIZE;
		out->size = s->size;
	}
	if (s->atime_how == SET_TO_SERVER_TIME) {
		out->mask |= BACKEND_SET_ATIME_NOW;
	} else if (s->atime_how == SET_TO_CLIENT_TIME) {
		if (s->atime.nsec >= 1000000000u)
			return NFS3ERR_INVAL;
		out->mask |= BACKEND_SET_ATIME;
		out->atime = (struct timespec){s->atime.sec, s->atime.nsec};
	}
	if (s->mtime_how == SET_TO_SERVER_TIME) {
		out->mask |= BACKEND_SET_MTIME_NOW;
	} else if (s->mtime_how == SET_TO_CLIENT_TIME) {
		if (s->mtime.nsec >= 1000000000u)
			return NFS3ERR_INVAL;
		out->mask |= BACKEND_SET_MTIME;
		out->mtime = (struct timespec){s->mtime.sec, s->mtime.nsec};
	}
	return NFS3_OK;
}

void nfs3_setattr(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_setattr_args *s = &a->setattr;
	struct fh fh;
	struct backend_attr before, after;
	if ((r->status = nfs3_resolve_change(c, &s->object, &fh, &before, &r->wcc)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	struct backend_setattr sa;
	if ((r->status = nfs3_setattr_from(&s->attr, &sa)) != NFS3_OK)
		goto out;
	/* The guard: the change applies only to the object as the client saw
	 * it (RFC 1813 3.3.2). */
	if (s->guard_check && ((uint32_t)before.ctime.tv_sec != s->guard_ctime.sec ||
			       (uint32_t)before.ctime.tv_nsec != s->guard_ctime.nsec)) {
		r->status = NFS3ERR_NOT_SYNC;
		goto out;
	}
	if (sa.mask & BACKEND_SET_SIZE && (r->status = regular_only(before.type)) != NFS3_OK)
		goto out;
	if ((r->status = nfs3_deleg_break(c, &fh, true)) != NFS3_OK)
		goto out;
	int rc = ex->ops->setattr(ex->bex, &c->cred, &fh.bh, &sa, &after);
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		goto out;
	}
	nfs3_durable_note(c, ex, &fh.bh, BACKEND_SYNC_ATTRS);
	nfs3_post_from(ex, &after, &r->wcc.after);
	return;
out:
	nfs3_post_now(c, &fh, &r->wcc.after);
}

void nfs3_access(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh fh;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post(c, &a->access.object, &fh, &attr, &r->attr)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	uint32_t want = a->access.access, granted = 0, bits = 0;
	int rc = ex->ops->access(ex->bex, &c->cred, &fh.bh,
				 BACKEND_ACCESS_READ | BACKEND_ACCESS_WRITE | BACKEND_ACCESS_EXEC,
				 &bits);
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		return;
	}
	bool ro = export_read_only(ex, rpc_conn_peer_addr(c->req->conn));
	bool dir = attr.type == BACKEND_DIR;
	if (bits & BACKEND_ACCESS_READ)
		granted |= ACCESS3_READ;
	if (dir && bits & BACKEND_ACCESS_EXEC)
		granted |= ACCESS3_LOOKUP;
	if (!dir && bits & BACKEND_ACCESS_EXEC)
		granted |= ACCESS3_EXECUTE;
	if (bits & BACKEND_ACCESS_WRITE && !ro) {
		granted |= ACCESS3_MODIFY | ACCESS3_EXTEND;
		if (dir)
			granted |= ACCESS3_DELETE;
	}
	r->u.access = granted & want;
}

void nfs3_readlink(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	struct fh fh;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post_typed(c, &a->fh, BACKEND_LNK, NFS3ERR_INVAL, &fh, &attr,
						 &r->attr)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	static _Thread_local char target[BACKEND_PATH_MAX];
	size_t len = 0;
	int rc = ex->ops->readlink(ex->bex, &fh.bh, target, sizeof(target), &len);
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		return;
	}
	r->u.path = (struct nfs3_str){(const uint8_t *)target, (uint32_t)len};
	(void)encoded;
}

/* Large reads: the data spliced from the file into the reply's pipe,
 * which rpc sends in place of the bytes reserved at data (no copy through
 * user space), as NFSv4's READ does.  When the pipe fills first, the rest
 * is copied after it.  False when splicing does not apply (small, a back
 * end without pages, no pipe, RPCSEC_GSS wrapping): copy instead. */
static bool read_spliced(struct nfs3_call *c, struct export *ex, const struct fh *fh,
			 uint64_t offset, uint32_t count, uint8_t *data, size_t *got, bool *eof,
			 int *rc)
{
	if (count < NFS3_SPLICE_MIN)
		return false;
	if (ex->ops->read_mapped && rpc_request_can_map(c->req)) {
		/* To a connection that takes its data copied: sent from a
		 * mapping of the file, the kernel's one copy (NFSv4's READ). */
		struct backend_mapping m;
		int r = ex->ops->read_mapped(ex->bex, &c->cred, &fh->bh, offset, count, &m, got,
					     eof, NULL);
		if (r == -EOPNOTSUPP)
			return false;
		*rc = r;
		size_t at = (size_t)(data - c->req->reply.buf->data);
		if (r == 0 && m.base)
			rpc_request_reply_mapped(c->req, at, *got,
						 &(struct rpc_mapped){m.base, m.size, m.skip, m.release, m.release_arg});
		return r != 0 || m.base;
	}
	if (!ex->ops->read_splice)
		return false;
	struct pooled_pipe *pipe = rpc_request_pipe(c->req);
	if (!pipe)
		return false;
	*rc = ex->ops->read_splice(ex->bex, &c->cred, &fh->bh, offset, count, pipe->wr, got, eof,
				   NULL);
	pipe->held += *got;
	if (*rc != 0 || *got == 0) {
		rpc_request_pipe_drop(c->req);
		return *rc != 0;
	}
	rpc_request_reply_spliced(c->req, (size_t)(data - c->req->reply.buf->data), *got);
	if (*got == count || *eof)
		return true;
	size_t more = 0;
	bool more_eof = false;
	if (ex->ops->read(ex->bex, &c->cred, &fh->bh, offset + *got, count - *got, data + *got,
			  &more, &more_eof) == 0) {
		*got += more; /* else a short read: the client asks for the rest */
		*eof = more_eof;
	}
	return true;
}

/* READ encodes its own result, reading the data straight into the reply. */
void nfs3_read(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	struct nfs3_read_args *ra = &a->read;
	struct fh fh;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post(c, &ra->file, &fh, &attr, &r->attr)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	if ((r->status = regular_only(attr.type)) != NFS3_OK ||
	    (r->status = nfs3_deleg_break(c, &fh, false)) != NFS3_OK)
		return;
	uint32_t count = ra->count < c->srv->max_io ? ra->count : c->srv->max_io;
	/* On an event loop only what the page cache holds, and no large
	 * read: the rest goes to a worker. */
	bool on_loop = !c->req->on_worker;
	if (on_loop && (count > NFS3_READ_INLINE_MAX || !ex->ops->read_nowait)) {
		c->defer = true;
		return;
	}
	if (count >= 65536 && !nfs3_reserve_reply(c, count + 512, r))
		return;
	struct xdr_enc *e = &c->req->reply;
	struct xdr_stream x = XDR_ENC_STREAM(e);
	uint32_t ok = NFS3_OK;
	size_t start = xdr_enc_len(e);
	if (!xdr_u32(&x, &ok) || !nfs3_xdr_post_attr(&x, &r->attr))
		return;
	size_t head = xdr_enc_len(e);
	uint8_t *p = xdr_enc_reserve(e, 12 + xdr_pad4(count));
	if (!p) {
		e->overflow = false;
		e->buf->len = start;
		r->status = NFS3ERR_IO;
		return;
	}
	size_t got = 0;
	bool eof = false, would_block = false;
	int rc = 0;
	if (count > 0 && on_loop)
		rc = ex->ops->read_nowait(ex->bex, &c->cred, &fh.bh, &attr, ra->offset, count,
					  p + 12, &got, &eof, &would_block);
	else if (count > 0 && !read_spliced(c, ex, &fh, ra->offset, count, p + 12, &got, &eof, &rc))
		rc = ex->ops->read(ex->bex, &c->cred, &fh.bh, ra->offset, count, p + 12, &got,
				   &eof);
	if (would_block) {
		e->buf->len = start;
		c->defer = true;
		return;
	}
	if (rc != 0) {
		e->buf->len = start;
		r->status = nfs3_errno(rc);
		return;
	}
	if (count == 0)
		eof = ra->offset >= attr.size;
	xdr_put_be32(p, (uint32_t)got);
	xdr_put_be32(p + 4, eof ? 1 : 0);
	xdr_put_be32(p + 8, (uint32_t)got);
	memset(p + 12 + got, 0, xdr_pad4(got) - got);
	e->buf->len = head + 12 + xdr_pad4(got);
	*encoded = true;
}

void nfs3_write(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_write_args *wa = &a->write;
	struct fh fh;
	struct backend_attr before, after;
	if ((r->status = nfs3_resolve_change(c, &wa->file, &fh, &before, &r->wcc)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	if ((r->status = regular_only(before.type)) != NFS3_OK)
		goto out;
	/* The data's length is the count the client meant (RFC 1813 3.3.7
	 * lets the server take the data's); more than it says is garbage. */
	if (wa->data.len < wa->count) {
		r->status = NFS3ERR_INVAL;
		goto out;
	}
	if ((r->status = nfs3_deleg_break(c, &fh, true)) != NFS3_OK)
		goto out;
	/* On an event loop: an UNSTABLE write of up to 64 KiB that needs no
	 * read from a disk first, its bytes in memory; anything else goes to
	 * a worker.  The data may be longer than count and long enough for rpc
	 * to have spliced it into a pipe (nfs3_bulk_find), leaving a hole in
	 * the arguments that only export_write_args may read. */
	bool on_loop = !c->req->on_worker;
	if (on_loop && (wa->stable != UNSTABLE || wa->count > NFS3_WRITE_INLINE_MAX ||
			!rpc_request_args_in_memory(c->req, wa->data.data, wa->count) ||
			!ex->ops->write_nowait)) {
		c->defer = true;
		return;
	}
	enum backend_stable stable = wa->stable == FILE_SYNC   ? BACKEND_FILE_SYNC
				     : wa->stable == DATA_SYNC ? BACKEND_DATA_SYNC
							       : BACKEND_UNSTABLE;
	size_t written = 0;
	enum backend_stable committed = BACKEND_UNSTABLE;
	int rc;
	if (on_loop) {
		bool would_block = false;
		rc = ex->ops->write_nowait(ex->bex, &c->cred, &fh.bh, &before, wa->offset,
					   wa->data.data, wa->count, &written, &would_block);
		if (would_block) {
			c->defer = true;
			return;
		}
	} else {
		rc = export_write_args(c->req, ex, &c->cred, &fh.bh, wa->offset, wa->data.data,
				       wa->count, stable, &written, &committed);
	}
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		goto out;
	}
	r->u.write.count = (uint32_t)written;
	r->u.write.committed = committed == BACKEND_FILE_SYNC   ? FILE_SYNC
			       : committed == BACKEND_DATA_SYNC ? DATA_SYNC
								: UNSTABLE;
	memcpy(r->u.write.verf, c->srv->write_verifier, sizeof(r->u.write.verf));
	if (ex->ops->getattr(ex->bex, &fh.bh, &after) == 0)
		nfs3_post_from(ex, &after, &r->wcc.after);
	return;
out:
	nfs3_post_now(c, &fh, &r->wcc.after);
}

void nfs3_commit(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh fh;
	struct backend_attr before;
	if ((r->status = nfs3_resolve(c, &a->commit.file, false, &fh, &before)) != NFS3_OK)
		return;
	struct export *ex = fh.export;
	nfs3_pre_from(&before, &r->wcc.before);
	if ((r->status = regular_only(before.type)) == NFS3_OK) {
		int rc = ex->ops->commit(ex->bex, &fh.bh, a->commit.offset, a->commit.count);
		r->status = nfs3_errno(rc);
		memcpy(r->u.commit_verf, c->srv->write_verifier, sizeof(r->u.commit_verf));
	}
	nfs3_post_now(c, &fh, &r->wcc.after);
}

/* FSSTAT's and PATHCONF's start: the object's attributes in r, and its
 * file system's figures in fs; false when r->status says why not. */
static bool statfs_of(struct nfs3_call *c, const struct nfs3_fh *wire, struct nfs3_res *r,
		      struct backend_fsstat *fs)
{
	struct fh fh;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post(c, wire, &fh, &attr, &r->attr)) != NFS3_OK)
		return false;
	struct export *ex = fh.export;
	r->status = nfs3_errno(ex->ops->statfs(ex->bex, &fh.bh, fs));
	return r->status == NFS3_OK;
}

void nfs3_fsstat(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct backend_fsstat fs;
	if (!statfs_of(c, &a->fh, r, &fs))
		return;
	r->u.fsstat.tbytes = fs.space_total;
	r->u.fsstat.fbytes = fs.space_free;
	r->u.fsstat.abytes = fs.space_avail;
	r->u.fsstat.tfiles = fs.files_total;
	r->u.fsstat.ffiles = fs.files_free;
	r->u.fsstat.afiles = fs.files_avail;
	r->u.fsstat.invarsec = 0; /* the figures change at any time */
}

void nfs3_fsinfo(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh fh;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post(c, &a->fh, &fh, &attr, &r->attr)) != NFS3_OK)
		return;
	uint32_t io = c->srv->max_io;
	r->u.fsinfo.rtmax = io;
	r->u.fsinfo.rtpref = io;
	r->u.fsinfo.rtmult = 4096;
	r->u.fsinfo.wtmax = io;
	r->u.fsinfo.wtpref = io;
	r->u.fsinfo.wtmult = 4096;
	r->u.fsinfo.dtpref = io < 65536 ? io : 65536;
	r->u.fsinfo.maxfilesize = INT64_MAX;
	r->u.fsinfo.time_delta = (struct nfs3_time){0, 1};
	r->u.fsinfo.properties = FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME;
}

void nfs3_pathconf(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct backend_fsstat fs;
	if (!statfs_of(c, &a->fh, r, &fs))
		return;
	r->u.pathconf.linkmax = fs.link_max;
	r->u.pathconf.name_max = fs.name_max;
	r->u.pathconf.no_trunc = true;
	r->u.pathconf.chown_restricted = true;
	r->u.pathconf.case_insensitive = false;
	r->u.pathconf.case_preserving = true;
}
