/* Extended attributes (RFC 8276): GETXATTR, SETXATTR, LISTXATTRS and
 * REMOVEXATTR, NFSv4.2 only (the op table says so).  Names travel without
 * a namespace; the back ends keep them as the host's "user." attributes
 * (backend.h), so a name on the wire is at most BACKEND_XATTR_NAME_MAX
 * bytes.  The pseudo-fs keeps none (xattr_support false: NFS4ERR_NOTSUPP;
 * the op table answers NFS4ERR_ROFS to the changes).
 *
 * A change is a change of the object's attributes: it moves the change
 * attribute (its change_info4 brackets the call, not atomically), recalls
 * the delegations other clients hold on the object (they may cache
 * attributes and xattrs; RFC 8276 leaves xattr changes uncached by the
 * client, so the holder's own changes recall nothing), and is told to the
 * holders of directory delegations as SETATTR is. */
#include <errno.h>
#include <string.h>

#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"

enum {
	/* GETXATTR reads a value of up to this many bytes on the stack
	 * first. */
	XATTR_SMALL = 512,
};

/* The back end's errors, with the ones RFC 8276 names. */
static enum nfsstat4 xattr_status(int rc)
{
	switch (-rc) {
	case ENODATA:
		return NFS4ERR_NOXATTR;
	case E2BIG:
		return NFS4ERR_XATTR2BIG;
	case ERANGE:
		return NFS4ERR_TOOSMALL;
	default:
		return nfs4_errno_to_status(rc);
	}
}

enum nfsstat4 nfs4_xattr_name_from_wire(struct nfs4_opaque wire,
					char name[BACKEND_XATTR_NAME_MAX + 1])
{
	if (wire.len == 0)
		return NFS4ERR_INVAL;
	if (wire.len > BACKEND_XATTR_NAME_MAX)
		return NFS4ERR_NAMETOOLONG;
	/* The host's names are C strings: a NUL would cut one short. */
	if (memchr(wire.data, '\0', wire.len))
		return NFS4ERR_INVAL;
	memcpy(name, wire.data, wire.len);
	name[wire.len] = '\0';
	return NFS4_OK;
}

/* The current object must be of an export (the pseudo-fs keeps no
 * xattrs); the back end's call finds out whether it still exists. */
static enum nfsstat4 xattr_object(const struct nfs4_compound *c)
{
	return c->cfh.kind == FH_EXPORT ? NFS4_OK : NFS4ERR_NOTSUPP;
}

enum nfsstat4 nfs4_op_getxattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_getxattr_args *a = args;
	char name[BACKEND_XATTR_NAME_MAX + 1];
	enum nfsstat4 st = xattr_object(c);
	if (st == NFS4_OK)
		st = nfs4_xattr_name_from_wire(a->name, name);
	if (st != NFS4_OK)
		return st;
	/* The value may take as much room as the reply has left (the
	 * session's ca_maxresponsesize), at most the largest value there is;
	 * one that does not fit is NFS4ERR_TOOSMALL. */
	size_t used = xdr_enc_len(res) + 4;
	size_t room = res->limit > used ? (res->limit - used) & ~(size_t)3 : 0;
	size_t cap = room < BACKEND_XATTR_SIZE_MAX ? room : BACKEND_XATTR_SIZE_MAX;
	/* Most values are short: read into a small buffer first, so that
	 * the reply does not grow by the largest value there is for each. */
	struct export *ex = c->cfh.export;
	uint8_t small[XATTR_SMALL];
	size_t len = 0;
	int rc = ex->ops->getxattr(ex->bex, &c->cred, &c->cfh.bh, name, small,
				   cap < sizeof(small) ? cap : sizeof(small), &len);
	if (rc == 0) {
		struct nfs4_getxattr_res r = {{small, (uint32_t)len}};
		nfs4_enc_getxattr_res(res, &r);
		return NFS4_OK;
	}
	if (rc != -ERANGE)
		return xattr_status(rc);
	if (cap <= sizeof(small))
		return NFS4ERR_TOOSMALL;
	/* A longer one goes straight into the reply. */
	size_t off = xdr_enc_len(res);
	uint8_t *p = xdr_enc_reserve(res, 4 + xdr_pad4(cap));
	if (!p) {
		res->overflow = false;
		res->buf->len = off;
		return NFS4ERR_TOOSMALL;
	}
	rc = ex->ops->getxattr(ex->bex, &c->cred, &c->cfh.bh, name, p + 4, cap, &len);
	if (rc) {
		res->buf->len = off;
		return xattr_status(rc);
	}
	xdr_put_be32(p, (uint32_t)len);
	memset(p + 4 + len, 0, xdr_pad4(len) - len);
	res->buf->len = off + 4 + xdr_pad4(len);
	return NFS4_OK;
}

/* What SETXATTR and REMOVEXATTR do around the change itself. */
static enum nfsstat4 xattr_change_begin(struct nfs4_compound *c, struct backend_attr *before)
{
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, before);
	if (st == NFS4_OK)
		st = nfs4_deleg_break_fh(c, &c->cfh);
	if (st == NFS4_OK && before->type == BACKEND_DIR)
		st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_CHANGE_DIR_ATTRS);
	return st;
}

static void xattr_change_end(struct nfs4_compound *c, const struct backend_attr *before,
			     struct xdr_enc *res)
{
	struct backend_attr after;
	if (nfs4_fh_getattr(c, &c->cfh, &after) != NFS4_OK)
		after = *before;
	struct nfs4_cinfo_res r = {nfs4_dir_change_info(before->change, after.change)};
	nfs4_enc_cinfo_res(res, &r);
	if (after.type == BACKEND_DIR)
		nfs4_dirdeleg_dir_attrs(NFS4_DIR_BY(c), &c->cfh);
	nfs4_dirdeleg_child_attrs(NFS4_DIR_BY(c), &c->cfh, &after);
}

enum nfsstat4 nfs4_op_setxattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_setxattr_args *a = args;
	char name[BACKEND_XATTR_NAME_MAX + 1];
	enum backend_xattr_set how;
	switch (a->option) {
	case SETXATTR4_EITHER:
		how = BACKEND_XATTR_EITHER;
		break;
	case SETXATTR4_CREATE:
		how = BACKEND_XATTR_CREATE;
		break;
	case SETXATTR4_REPLACE:
		how = BACKEND_XATTR_REPLACE;
		break;
	default:
		return NFS4ERR_INVAL;
	}
	enum nfsstat4 st = nfs4_xattr_name_from_wire(a->name, name);
	if (st != NFS4_OK)
		return st;
	if (a->value.len > BACKEND_XATTR_SIZE_MAX)
		return NFS4ERR_XATTR2BIG;
	struct backend_attr before;
	if ((st = xattr_change_begin(c, &before)) != NFS4_OK)
		return st;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->setxattr(ex->bex, &c->cred, &c->cfh.bh, name, a->value.data,
				   a->value.len, how);
	if (rc)
		return xattr_status(rc);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ATTRS);
	xattr_change_end(c, &before, res);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_removexattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_removexattr_args *a = args;
	char name[BACKEND_XATTR_NAME_MAX + 1];
	enum nfsstat4 st = nfs4_xattr_name_from_wire(a->name, name);
	if (st != NFS4_OK)
		return st;
	struct backend_attr before;
	if ((st = xattr_change_begin(c, &before)) != NFS4_OK)
		return st;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->removexattr(ex->bex, &c->cred, &c->cfh.bh, name);
	if (rc)
		return xattr_status(rc);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ATTRS);
	xattr_change_end(c, &before, res);
	return NFS4_OK;
}

struct listxattrs_ctx {
	struct nfs4_listxattrs_enc enc;
	uint64_t cookie; /* of the last name encoded */
};

static bool listxattrs_name(void *ctx, const char *name, size_t namelen, uint64_t cookie)
{
	struct listxattrs_ctx *l = ctx;
	struct nfs4_opaque n = {(const uint8_t *)name, (uint32_t)namelen};
	if (!nfs4_enc_listxattrs_name(&l->enc, n))
		return false;
	l->cookie = cookie;
	return true;
}

/* lxa_maxcount bounds the whole LISTXATTRS4resok (cookie, names, eof), as
 * READDIR's maxcount does its result; so does the room the reply has
 * left.  Not even one name fitting is NFS4ERR_TOOSMALL. */
enum nfsstat4 nfs4_op_listxattrs(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_listxattrs_args *a = args;
	enum nfsstat4 st = xattr_object(c);
	if (st != NFS4_OK)
		return st;
	size_t used = xdr_enc_len(res);
	size_t room = res->limit > used ? res->limit - used : 0;
	uint32_t maxcount = a->maxcount < room ? a->maxcount : (uint32_t)room;
	struct listxattrs_ctx l = {.cookie = a->cookie};
	if (!nfs4_enc_listxattrs_begin(&l.enc, res, maxcount)) {
		res->overflow = false;
		res->buf->len = used;
		return NFS4ERR_TOOSMALL;
	}
	bool eof = false;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->listxattr(ex->bex, &c->cred, &c->cfh.bh, a->cookie, listxattrs_name, &l,
				    &eof);
	if (rc) {
		res->buf->len = used;
		return xattr_status(rc);
	}
	if ((l.enc.count == 0 && !eof) || !nfs4_enc_listxattrs_finish(&l.enc, l.cookie, eof)) {
		res->overflow = false;
		res->buf->len = used;
		return NFS4ERR_TOOSMALL;
	}
	return NFS4_OK;
}
