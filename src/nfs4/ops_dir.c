/* Directories and names: READDIR, CREATE, REMOVE, RENAME, LINK, READLINK. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs4/fattr.h"
#include "nfs4/ops.h"
#include "nfs4/server.h"

enum {
	COOKIE_FIRST_PSEUDO = 3, /* 0 starts, 1 and 2 are reserved by the RFC */
	READDIR_ENTRY_OVERHEAD = 4 + 8 + 4, /* value_follows, cookie, name length */
	READDIR_RESOK_TAIL = 8, /* end of list + eof */
};

/* The cookie verifier: the same for every directory and across restarts,
 * because the cookies themselves stay valid (they come from the back end). */
static void cookie_verifier(struct nfs4_compound *c, uint8_t out[8])
{
	uint64_t v = siphash24(&c->srv->exports.fh_key, "cookieverf", 10);
	memcpy(out, &v, 8);
}

struct readdir_ctx {
	struct nfs4_compound *c;
	struct xdr_enc *res;
	const struct nfs4_bitmap *want;
	size_t start;     /* where the READDIR4resok begins in res */
	uint32_t maxcount;
	uint32_t dircount;
	uint32_t dirbytes; /* cookie + name bytes so far, for dircount */
	unsigned count;    /* entries encoded */
	enum nfsstat4 error;
};

/* Encodes one entry; false when it does not fit (then nothing is kept). */
static bool readdir_add(struct readdir_ctx *r, const char *name, size_t namelen,
			uint64_t cookie, const struct nfs4_fh *fh, const struct backend_attr *attr)
{
	struct xdr_enc *e = r->res;
	size_t mark = xdr_enc_len(e);
	uint32_t entry_dir = (uint32_t)(8 + 4 + xdr_pad4(namelen));
	if (r->count > 0 && r->dircount && r->dirbytes + entry_dir > r->dircount)
		return false;
	xdr_encode_bool(e, true);
	xdr_encode_u64(e, cookie);
	xdr_encode_opaque(e, name, (uint32_t)namelen);
	enum nfsstat4 st = nfs4_fattr_encode(r->c, fh, attr, r->want, e);
	if (st != NFS4_OK || e->overflow ||
	    xdr_enc_len(e) - r->start + READDIR_RESOK_TAIL > r->maxcount) {
		e->overflow = false;
		e->buf->len = mark;
		return false;
	}
	r->dirbytes += entry_dir;
	r->count++;
	return true;
}

static bool readdir_backend_entry(void *ctx, const struct backend_dirent *ent)
{
	struct readdir_ctx *r = ctx;
	if (!ent->attr)
		return true; /* gone since it was listed */
	struct nfs4_fh fh;
	nfs4_fh_from_object(&r->c->srv->exports, r->c->cfh.export, ent->handle, &fh);
	return readdir_add(r, ent->name, ent->namelen, ent->cookie, &fh, ent->attr);
}

static enum nfsstat4 readdir_pseudo(struct readdir_ctx *r, uint64_t cookie, bool *eof)
{
	struct nfs4_compound *c = r->c;
	uint64_t n = COOKIE_FIRST_PSEUDO;
	*eof = true;
	for (struct nfs4_pseudo_node *k = c->cfh.node->children; k; k = k->sibling, n++) {
		if (n <= cookie)
			continue;
		struct nfs4_fh fh;
		struct backend_attr attr;
		if (k->export) {
			if (!nfs4_export_allows(k->export, rpc_conn_peer_addr(c->req->conn)))
				continue;
			/* A mount point shows the root of what is mounted there. */
			nfs4_fh_from_object(&c->srv->exports, k->export, &k->export->root, &fh);
		} else {
			nfs4_fh_from_pseudo(&c->srv->exports, k, &fh);
		}
		if (nfs4_fh_getattr(c, &fh, &attr) != NFS4_OK)
			continue;
		if (!readdir_add(r, k->name, strlen(k->name), n, &fh, &attr)) {
			*eof = false;
			break;
		}
	}
	return NFS4_OK;
}

NFS4_OP(readdir)
{
	uint64_t cookie;
	const uint8_t *verf;
	uint32_t dircount, maxcount;
	struct nfs4_bitmap want;
	bool extra;
	if (!xdr_decode_u64(args, &cookie) || !xdr_decode_opaque_fixed(args, 8, &verf) ||
	    !xdr_decode_u32(args, &dircount) || !xdr_decode_u32(args, &maxcount) ||
	    !nfs4_decode_bitmap(args, &want, &extra))
		return NFS4ERR_BADXDR;
	struct backend_attr dattr;
	enum nfsstat4 st = nfs4_need_dir(c, &dattr);
	if (st != NFS4_OK)
		return st;
	if (nfs4_bitmap_isset(&want, FATTR4_TIME_ACCESS_SET) ||
	    nfs4_bitmap_isset(&want, FATTR4_TIME_MODIFY_SET))
		return NFS4ERR_INVAL;
	if (cookie == 1 || cookie == 2)
		return NFS4ERR_BAD_COOKIE;
	uint8_t ours[8];
	cookie_verifier(c, ours);
	if (cookie != 0 && memcmp(verf, ours, 8) != 0)
		return NFS4ERR_NOT_SAME;

	struct readdir_ctx r = {
		.c = c,
		.res = res,
		.want = &want,
		.start = xdr_enc_len(res),
		.maxcount = maxcount,
		.dircount = dircount,
	};
	xdr_encode_opaque_fixed(res, ours, 8);
	bool eof = false;
	if (c->cfh.kind == NFS4_FH_PSEUDO) {
		st = readdir_pseudo(&r, cookie, &eof);
	} else {
		struct nfs4_export *ex = c->cfh.export;
		int rc = ex->ops->readdir(ex->bex, &c->cred, &c->cfh.bh, cookie,
					  readdir_backend_entry, &r, &eof);
		st = rc == -EINVAL ? NFS4ERR_BAD_COOKIE : nfs4_errno_to_status(rc);
	}
	if (st != NFS4_OK)
		return st;
	if (r.count == 0 && !eof)
		return NFS4ERR_TOOSMALL;
	xdr_encode_bool(res, false);
	xdr_encode_bool(res, eof);
	if (xdr_enc_len(res) - r.start > maxcount)
		return NFS4ERR_TOOSMALL;
	return NFS4_OK;
}

/* The change attribute of the current directory, for change_info4. */
static uint64_t dir_change(struct nfs4_compound *c, const struct nfs4_fh *fh)
{
	struct backend_attr a;
	return nfs4_fh_getattr(c, fh, &a) == NFS4_OK ? a.change : 0;
}

NFS4_OP(create)
{
	uint32_t type, major = 0, minor = 0;
	const uint8_t *link = NULL;
	uint32_t linklen = 0;
	if (!xdr_decode_u32(args, &type))
		return NFS4ERR_BADXDR;
	if (type == NF4LNK && !xdr_decode_opaque(args, UINT32_MAX, &link, &linklen))
		return NFS4ERR_BADXDR;
	if ((type == NF4BLK || type == NF4CHR) &&
	    (!xdr_decode_u32(args, &major) || !xdr_decode_u32(args, &minor)))
		return NFS4ERR_BADXDR;
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_decode_name(args, name);
	if (name_st == NFS4ERR_BADXDR)
		return name_st;
	struct nfs4_sattr sattr;
	enum nfsstat4 st = nfs4_fattr_decode_set(c, args, &sattr);
	if (st != NFS4_OK)
		return st;

	struct backend_attr dattr;
	if ((st = nfs4_need_dir(c, &dattr)) != NFS4_OK)
		return st;
	if (type == NF4REG || type == NF4ATTRDIR || type == NF4NAMEDATTR)
		return NFS4ERR_BADTYPE;
	if (type < NF4REG || type > NF4FIFO)
		return NFS4ERR_BADXDR;
	if (name_st != NFS4_OK)
		return name_st;

	struct nfs4_export *ex = c->cfh.export;
	struct backend_handle bh;
	struct backend_attr attr;
	int rc;
	if (type == NF4LNK) {
		if (linklen == 0 || linklen > BACKEND_PATH_MAX - 1)
			return linklen ? NFS4ERR_NAMETOOLONG : NFS4ERR_INVAL;
		char target[BACKEND_PATH_MAX];
		memcpy(target, link, linklen);
		target[linklen] = '\0';
		if (memchr(link, '\0', linklen))
			return NFS4ERR_INVAL;
		rc = ex->ops->symlink(ex->bex, &c->cred, &c->cfh.bh, name, target, &sattr.sa, &bh,
				      &attr);
	} else {
		static const enum backend_ftype types[] = {
			[NF4DIR] = BACKEND_DIR,   [NF4BLK] = BACKEND_BLK,  [NF4CHR] = BACKEND_CHR,
			[NF4SOCK] = BACKEND_SOCK, [NF4FIFO] = BACKEND_FIFO,
		};
		rc = ex->ops->mknod(ex->bex, &c->cred, &c->cfh.bh, name, types[type], major, minor,
				    &sattr.sa, &bh, &attr);
	}
	if (rc)
		return nfs4_errno_to_status(rc);
	uint64_t after = dir_change(c, &c->cfh);
	nfs4_encode_change_info(res, dattr.change, after);
	nfs4_encode_bitmap(res, &sattr.mask);
	struct nfs4_fh fh;
	nfs4_fh_from_object(&c->srv->exports, ex, &bh, &fh);
	nfs4_compound_set_cfh(c, &fh);
	return NFS4_OK;
}

NFS4_OP(remove)
{
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_decode_name(args, name);
	if (name_st == NFS4ERR_BADXDR)
		return name_st;
	struct backend_attr dattr;
	enum nfsstat4 st = nfs4_need_dir(c, &dattr);
	if (st != NFS4_OK)
		return st;
	if (name_st != NFS4_OK)
		return name_st;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->remove(ex->bex, &c->cred, &c->cfh.bh, name);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_encode_change_info(res, dattr.change, dir_change(c, &c->cfh));
	return NFS4_OK;
}

NFS4_OP(rename)
{
	char from[BACKEND_NAME_MAX + 1], to[BACKEND_NAME_MAX + 1];
	enum nfsstat4 from_st = nfs4_decode_name(args, from);
	if (from_st == NFS4ERR_BADXDR)
		return from_st;
	enum nfsstat4 to_st = nfs4_decode_name(args, to);
	if (to_st == NFS4ERR_BADXDR)
		return to_st;
	if (c->sfh.kind == NFS4_FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	struct backend_attr tattr, sattr;
	enum nfsstat4 st = nfs4_need_dir(c, &tattr);
	if (st != NFS4_OK)
		return st;
	st = nfs4_fh_getattr(c, &c->sfh, &sattr);
	if (st != NFS4_OK)
		return st;
	if (sattr.type != BACKEND_DIR)
		return NFS4ERR_NOTDIR;
	if (c->sfh.kind != c->cfh.kind || c->sfh.export != c->cfh.export)
		return NFS4ERR_XDEV;
	if (from_st != NFS4_OK)
		return from_st;
	if (to_st != NFS4_OK)
		return to_st;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->rename(ex->bex, &c->cred, &c->sfh.bh, from, &c->cfh.bh, to);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_encode_change_info(res, sattr.change, dir_change(c, &c->sfh));
	nfs4_encode_change_info(res, tattr.change, dir_change(c, &c->cfh));
	return NFS4_OK;
}

NFS4_OP(link)
{
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_decode_name(args, name);
	if (name_st == NFS4ERR_BADXDR)
		return name_st;
	if (c->sfh.kind == NFS4_FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	struct backend_attr dattr, oattr;
	enum nfsstat4 st = nfs4_need_dir(c, &dattr);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_fh_getattr(c, &c->sfh, &oattr)) != NFS4_OK)
		return st;
	if (oattr.type == BACKEND_DIR)
		return NFS4ERR_ISDIR;
	if (c->sfh.kind != c->cfh.kind || c->sfh.export != c->cfh.export)
		return NFS4ERR_XDEV;
	if (name_st != NFS4_OK)
		return name_st;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->link(ex->bex, &c->cred, &c->sfh.bh, &c->cfh.bh, name);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_encode_change_info(res, dattr.change, dir_change(c, &c->cfh));
	return NFS4_OK;
}

NFS4_OP(readlink)
{
	struct backend_attr attr;
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (st != NFS4_OK)
		return st;
	if (attr.type != BACKEND_LNK)
		return NFS4ERR_INVAL;
	char *buf = malloc(BACKEND_PATH_MAX);
	if (!buf)
		return NFS4ERR_RESOURCE;
	size_t len = 0;
	struct nfs4_export *ex = c->cfh.export;
	int rc = ex->ops->readlink(ex->bex, &c->cfh.bh, buf, BACKEND_PATH_MAX, &len);
	if (!rc)
		xdr_encode_opaque(res, buf, (uint32_t)len);
	free(buf);
	return nfs4_errno_to_status(rc);
}
