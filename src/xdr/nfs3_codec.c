#include "xdr/nfs3_codec.h"

/* --- basic types ------------------------------------------------------- */

bool nfs3_xdr_fh(struct xdr_stream *x, struct nfs3_fh *fh)
{
	return xdr_bytes(x, NFS3_FHSIZE, &fh->data, &fh->len);
}

static bool xdr_name(struct xdr_stream *x, struct nfs3_str *s)
{
	return xdr_bytes(x, NFS3_NAME_WIRE_MAX, &s->data, &s->len);
}

static bool xdr_path(struct xdr_stream *x, struct nfs3_str *s)
{
	return xdr_bytes(x, NFS3_PATH_WIRE_MAX, &s->data, &s->len);
}

static bool xdr_time(struct xdr_stream *x, struct nfs3_time *t)
{
	return xdr_u32(x, &t->sec) && xdr_u32(x, &t->nsec);
}

static bool xdr_fattr(struct xdr_stream *x, struct nfs3_fattr *a)
{
	uint8_t *p = xdr_span(x, 84);
	if (!p)
		return false;
	xdr_span_u32(x, &p, &a->type);
	xdr_span_u32(x, &p, &a->mode);
	xdr_span_u32(x, &p, &a->nlink);
	xdr_span_u32(x, &p, &a->uid);
	xdr_span_u32(x, &p, &a->gid);
	xdr_span_u64(x, &p, &a->size);
	xdr_span_u64(x, &p, &a->used);
	xdr_span_u32(x, &p, &a->rdev_major);
	xdr_span_u32(x, &p, &a->rdev_minor);
	xdr_span_u64(x, &p, &a->fsid);
	xdr_span_u64(x, &p, &a->fileid);
	xdr_span_u32(x, &p, &a->atime.sec);
	xdr_span_u32(x, &p, &a->atime.nsec);
	xdr_span_u32(x, &p, &a->mtime.sec);
	xdr_span_u32(x, &p, &a->mtime.nsec);
	xdr_span_u32(x, &p, &a->ctime.sec);
	xdr_span_u32(x, &p, &a->ctime.nsec);
	return true;
}

bool nfs3_xdr_post_attr(struct xdr_stream *x, struct nfs3_post_attr *a)
{
	if (!xdr_optional(x, &a->present))
		return false;
	return !a->present || xdr_fattr(x, &a->attr);
}

static bool xdr_pre_attr(struct xdr_stream *x, struct nfs3_pre_attr *a)
{
	if (!xdr_optional(x, &a->present))
		return false;
	return !a->present || (xdr_u64(x, &a->attr.size) && xdr_time(x, &a->attr.mtime) &&
			       xdr_time(x, &a->attr.ctime));
}

bool nfs3_xdr_wcc(struct xdr_stream *x, struct nfs3_wcc *w)
{
	return xdr_pre_attr(x, &w->before) && nfs3_xdr_post_attr(x, &w->after);
}

static bool xdr_post_fh(struct xdr_stream *x, struct nfs3_post_fh *f)
{
	if (!xdr_optional(x, &f->present))
		return false;
	return !f->present || nfs3_xdr_fh(x, &f->fh);
}

/* set_mode3, set_uid3, set_gid3: a bool, then the value when set. */
static bool xdr_set_u32(struct xdr_stream *x, bool *set, uint32_t *v)
{
	return xdr_bool(x, set) && (!*set || xdr_u32(x, v));
}

static bool xdr_set_time(struct xdr_stream *x, uint32_t *how, struct nfs3_time *t)
{
	if (!xdr_u32(x, how))
		return false;
	switch (*how) {
	case DONT_CHANGE:
	case SET_TO_SERVER_TIME:
		return true;
	case SET_TO_CLIENT_TIME:
		return xdr_time(x, t);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_sattr(struct xdr_stream *x, struct nfs3_sattr *s)
{
	return xdr_set_u32(x, &s->set_mode, &s->mode) && xdr_set_u32(x, &s->set_uid, &s->uid) &&
	       xdr_set_u32(x, &s->set_gid, &s->gid) && xdr_bool(x, &s->set_size) &&
	       (!s->set_size || xdr_u64(x, &s->size)) &&
	       xdr_set_time(x, &s->atime_how, &s->atime) &&
	       xdr_set_time(x, &s->mtime_how, &s->mtime);
}

static bool xdr_diropargs(struct xdr_stream *x, struct nfs3_diropargs *d)
{
	return nfs3_xdr_fh(x, &d->dir) && xdr_name(x, &d->name);
}

/* --- arguments --------------------------------------------------------- */

static bool xdr_create_args(struct xdr_stream *x, struct nfs3_create_args *a)
{
	if (!xdr_diropargs(x, &a->where) || !xdr_u32(x, &a->mode))
		return false;
	switch (a->mode) {
	case UNCHECKED:
	case GUARDED:
		return xdr_sattr(x, &a->attr);
	case EXCLUSIVE:
		return xdr_fixed(x, NFS3_CREATEVERFSIZE, a->verf);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_mknod_args(struct xdr_stream *x, struct nfs3_mknod_args *a)
{
	if (!xdr_diropargs(x, &a->where) || !xdr_u32(x, &a->type))
		return false;
	switch (a->type) {
	case NF3CHR:
	case NF3BLK:
		return xdr_sattr(x, &a->attr) && xdr_u32(x, &a->major) && xdr_u32(x, &a->minor);
	case NF3SOCK:
	case NF3FIFO:
		return xdr_sattr(x, &a->attr);
	case NF3REG:
	case NF3DIR:
	case NF3LNK:
		return true; /* void arm: the server answers NFS3ERR_BADTYPE */
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_write_args(struct xdr_stream *x, struct nfs3_write_args *a)
{
	if (!nfs3_xdr_fh(x, &a->file) || !xdr_u64(x, &a->offset) || !xdr_u32(x, &a->count) ||
	    !xdr_u32(x, &a->stable))
		return false;
	if (a->stable > FILE_SYNC)
		return xdr_refuse(x);
	return xdr_bytes(x, UINT32_MAX, &a->data.data, &a->data.len);
}

bool nfs3_xdr_args(struct xdr_stream *x, uint32_t proc, union nfs3_args *a)
{
	switch (proc) {
	case NFSPROC3_NULL:
		return true;
	case NFSPROC3_GETATTR:
	case NFSPROC3_READLINK:
	case NFSPROC3_FSSTAT:
	case NFSPROC3_FSINFO:
	case NFSPROC3_PATHCONF:
		return nfs3_xdr_fh(x, &a->fh);
	case NFSPROC3_SETATTR:
		return nfs3_xdr_fh(x, &a->setattr.object) && xdr_sattr(x, &a->setattr.attr) &&
		       xdr_bool(x, &a->setattr.guard_check) &&
		       (!a->setattr.guard_check || xdr_time(x, &a->setattr.guard_ctime));
	case NFSPROC3_LOOKUP:
	case NFSPROC3_REMOVE:
	case NFSPROC3_RMDIR:
		return xdr_diropargs(x, &a->dirop);
	case NFSPROC3_ACCESS:
		return nfs3_xdr_fh(x, &a->access.object) && xdr_u32(x, &a->access.access);
	case NFSPROC3_READ:
		return nfs3_xdr_fh(x, &a->read.file) && xdr_u64(x, &a->read.offset) &&
		       xdr_u32(x, &a->read.count);
	case NFSPROC3_WRITE:
		return xdr_write_args(x, &a->write);
	case NFSPROC3_CREATE:
		return xdr_create_args(x, &a->create);
	case NFSPROC3_MKDIR:
		return xdr_diropargs(x, &a->mkdir.where) && xdr_sattr(x, &a->mkdir.attr);
	case NFSPROC3_SYMLINK:
		return xdr_diropargs(x, &a->symlink.where) && xdr_sattr(x, &a->symlink.attr) &&
		       xdr_path(x, &a->symlink.path);
	case NFSPROC3_MKNOD:
		return xdr_mknod_args(x, &a->mknod);
	case NFSPROC3_RENAME:
		return xdr_diropargs(x, &a->rename.from) && xdr_diropargs(x, &a->rename.to);
	case NFSPROC3_LINK:
		return nfs3_xdr_fh(x, &a->link.file) && xdr_diropargs(x, &a->link.link);
	case NFSPROC3_READDIR:
		return nfs3_xdr_fh(x, &a->readdir.dir) && xdr_u64(x, &a->readdir.cookie) &&
		       xdr_fixed(x, NFS3_COOKIEVERFSIZE, a->readdir.verf) &&
		       xdr_u32(x, &a->readdir.count);
	case NFSPROC3_READDIRPLUS:
		return nfs3_xdr_fh(x, &a->readdir.dir) && xdr_u64(x, &a->readdir.cookie) &&
		       xdr_fixed(x, NFS3_COOKIEVERFSIZE, a->readdir.verf) &&
		       xdr_u32(x, &a->readdir.count) && xdr_u32(x, &a->readdir.maxcount);
	case NFSPROC3_COMMIT:
		return nfs3_xdr_fh(x, &a->commit.file) && xdr_u64(x, &a->commit.offset) &&
		       xdr_u32(x, &a->commit.count);
	default:
		return xdr_refuse(x);
	}
}

/* --- results ----------------------------------------------------------- */

bool nfs3_xdr_entry(struct xdr_stream *x, struct nfs3_entry *e, bool plus)
{
	bool follows = true;
	if (!xdr_bool(x, &follows) || !follows || !xdr_u64(x, &e->fileid) ||
	    !xdr_name(x, &e->name) || !xdr_u64(x, &e->cookie))
		return false;
	return !plus || (nfs3_xdr_post_attr(x, &e->attr) && xdr_post_fh(x, &e->fh));
}

uint32_t nfs3_entry_size(const struct nfs3_entry *e, bool plus)
{
	uint32_t n = 4 + 8 + 4 + (uint32_t)xdr_pad4(e->name.len) + 8;
	if (plus) {
		n += 4 + (e->attr.present ? 84 : 0);
		n += 4 + (e->fh.present ? 4 + (uint32_t)xdr_pad4(e->fh.fh.len) : 0);
	}
	return n;
}

bool nfs3_xdr_dirlist_end(struct xdr_stream *x, bool *eof)
{
	bool follows = false;
	return xdr_bool(x, &follows) && !follows && xdr_bool(x, eof);
}

bool nfs3_xdr_readdir_head(struct xdr_stream *x, struct nfs3_res *r)
{
	return xdr_u32(x, &r->status) && nfs3_xdr_post_attr(x, &r->attr) &&
	       (r->status != NFS3_OK || xdr_fixed(x, NFS3_COOKIEVERFSIZE, r->u.readdir.verf));
}

static bool xdr_dirlist(struct xdr_stream *x, struct nfs3_dirlist *l, bool plus)
{
	if (xdr_is_enc(x)) {
		for (uint32_t i = 0; i < l->n; i++)
			if (!nfs3_xdr_entry(x, &l->v[i], plus))
				return false;
		return nfs3_xdr_dirlist_end(x, &l->eof);
	}
	l->n = 0;
	for (;;) {
		bool follows;
		if (!xdr_bool(x, &follows))
			return false;
		if (!follows)
			return xdr_bool(x, &l->eof);
		if (l->n == l->cap)
			return false;
		struct nfs3_entry *e = &l->v[l->n++];
		if (!xdr_u64(x, &e->fileid) || !xdr_name(x, &e->name) || !xdr_u64(x, &e->cookie))
			return false;
		if (plus && !(nfs3_xdr_post_attr(x, &e->attr) && xdr_post_fh(x, &e->fh)))
			return false;
	}
}

/* The results whose failure carries one post_op_attr, and whose success
 * starts with it. */
static bool xdr_res_ok(struct xdr_stream *x, uint32_t proc, struct nfs3_res *r)
{
	switch (proc) {
	case NFSPROC3_ACCESS:
		return xdr_u32(x, &r->u.access);
	case NFSPROC3_READLINK:
		return xdr_path(x, &r->u.path);
	case NFSPROC3_READ:
		return xdr_u32(x, &r->u.read.count) && xdr_bool(x, &r->u.read.eof) &&
		       xdr_bytes(x, UINT32_MAX, &r->u.read.data.data, &r->u.read.data.len);
	case NFSPROC3_FSSTAT:
		return xdr_u64(x, &r->u.fsstat.tbytes) && xdr_u64(x, &r->u.fsstat.fbytes) &&
		       xdr_u64(x, &r->u.fsstat.abytes) && xdr_u64(x, &r->u.fsstat.tfiles) &&
		       xdr_u64(x, &r->u.fsstat.ffiles) && xdr_u64(x, &r->u.fsstat.afiles) &&
		       xdr_u32(x, &r->u.fsstat.invarsec);
	case NFSPROC3_FSINFO:
		return xdr_u32(x, &r->u.fsinfo.rtmax) && xdr_u32(x, &r->u.fsinfo.rtpref) &&
		       xdr_u32(x, &r->u.fsinfo.rtmult) && xdr_u32(x, &r->u.fsinfo.wtmax) &&
		       xdr_u32(x, &r->u.fsinfo.wtpref) && xdr_u32(x, &r->u.fsinfo.wtmult) &&
		       xdr_u32(x, &r->u.fsinfo.dtpref) && xdr_u64(x, &r->u.fsinfo.maxfilesize) &&
		       xdr_time(x, &r->u.fsinfo.time_delta) && xdr_u32(x, &r->u.fsinfo.properties);
	case NFSPROC3_PATHCONF:
		return xdr_u32(x, &r->u.pathconf.linkmax) && xdr_u32(x, &r->u.pathconf.name_max) &&
		       xdr_bool(x, &r->u.pathconf.no_trunc) &&
		       xdr_bool(x, &r->u.pathconf.chown_restricted) &&
		       xdr_bool(x, &r->u.pathconf.case_insensitive) &&
		       xdr_bool(x, &r->u.pathconf.case_preserving);
	default:
		return false;
	}
}

bool nfs3_xdr_res(struct xdr_stream *x, uint32_t proc, struct nfs3_res *r)
{
	if (proc == NFSPROC3_NULL)
		return true;
	if (proc >= NFSPROC3_COUNT || !xdr_u32(x, &r->status))
		return xdr_refuse(x);
	bool ok = r->status == NFS3_OK;
	switch (proc) {
	case NFSPROC3_GETATTR:
		r->attr.present = ok;
		return !ok || xdr_fattr(x, &r->attr.attr);
	case NFSPROC3_SETATTR:
	case NFSPROC3_REMOVE:
	case NFSPROC3_RMDIR:
		return nfs3_xdr_wcc(x, &r->wcc);
	case NFSPROC3_LOOKUP:
		if (ok) {
			r->fh.present = true;
			return nfs3_xdr_fh(x, &r->fh.fh) && nfs3_xdr_post_attr(x, &r->attr) &&
			       nfs3_xdr_post_attr(x, &r->dir_attr);
		}
		return nfs3_xdr_post_attr(x, &r->dir_attr);
	case NFSPROC3_ACCESS:
	case NFSPROC3_READLINK:
	case NFSPROC3_READ:
	case NFSPROC3_FSSTAT:
	case NFSPROC3_FSINFO:
	case NFSPROC3_PATHCONF:
		return nfs3_xdr_post_attr(x, &r->attr) && (!ok || xdr_res_ok(x, proc, r));
	case NFSPROC3_WRITE:
		return nfs3_xdr_wcc(x, &r->wcc) &&
		       (!ok || (xdr_u32(x, &r->u.write.count) &&
				xdr_u32(x, &r->u.write.committed) &&
				xdr_fixed(x, NFS3_WRITEVERFSIZE, r->u.write.verf)));
	case NFSPROC3_CREATE:
	case NFSPROC3_MKDIR:
	case NFSPROC3_SYMLINK:
	case NFSPROC3_MKNOD:
		return (!ok || (xdr_post_fh(x, &r->fh) && nfs3_xdr_post_attr(x, &r->attr))) &&
		       nfs3_xdr_wcc(x, &r->wcc);
	case NFSPROC3_RENAME:
		return nfs3_xdr_wcc(x, &r->wcc) && nfs3_xdr_wcc(x, &r->wcc2);
	case NFSPROC3_LINK:
		return nfs3_xdr_post_attr(x, &r->attr) && nfs3_xdr_wcc(x, &r->wcc);
	case NFSPROC3_READDIR:
	case NFSPROC3_READDIRPLUS:
		/* The status went above: the head's description again, after it. */
		return nfs3_xdr_post_attr(x, &r->attr) &&
		       (!ok || (xdr_fixed(x, NFS3_COOKIEVERFSIZE, r->u.readdir.verf) &&
				xdr_dirlist(x, &r->u.readdir.list, proc == NFSPROC3_READDIRPLUS)));
	case NFSPROC3_COMMIT:
		return nfs3_xdr_wcc(x, &r->wcc) &&
		       (!ok || xdr_fixed(x, NFS3_WRITEVERFSIZE, r->u.commit_verf));
	default:
		return xdr_refuse(x);
	}
}

const char *nfs3_proc_name(uint32_t proc)
{
	static const char *const names[NFSPROC3_COUNT] = {
		"NULL", "GETATTR", "SETATTR", "LOOKUP", "ACCESS", "READLINK",
		"READ", "WRITE", "CREATE", "MKDIR", "SYMLINK", "MKNOD",
		"REMOVE", "RMDIR", "RENAME", "LINK", "READDIR", "READDIRPLUS",
		"FSSTAT", "FSINFO", "PATHCONF", "COMMIT",
	};
	return proc < NFSPROC3_COUNT ? names[proc] : "?";
}
