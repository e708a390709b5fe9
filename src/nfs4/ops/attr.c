/* Attributes: GETATTR, SETATTR, VERIFY, NVERIFY, ACCESS. */
#include <string.h>

#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/acl.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/state.h"

enum {
	ACCESS4_ALL = 0x3f,
	/* RFC 8276 adds the xattr bits in minor version 2. */
	ACCESS4_XATTR_BITS = ACCESS4_XAREAD | ACCESS4_XAWRITE | ACCESS4_XALIST,
};

enum nfsstat4 nfs4_op_getattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_getattr_args *a = args;
	const struct nfs4_bitmap want = a->mask;
	/* Write-only attributes cannot be read (RFC 7530 5.5). */
	if (nfs4_bitmap_isset(&want, FATTR4_TIME_ACCESS_SET) ||
	    nfs4_bitmap_isset(&want, FATTR4_TIME_MODIFY_SET))
		return NFS4ERR_INVAL;
	struct backend_attr attr;
	enum nfsstat4 st = NFS4_OK;
	if (c->handoff.lookup_attr_for == c->op_index) {
		/* Read by the LOOKUP just before; once only, so that a run
		 * again after a wait (nfs4_deleg_getattr) reads them anew. */
		attr = c->handoff.lookup_attr;
		c->handoff.lookup_attr_for = 0;
	} else {
		st = nfs4_fh_getattr(c, &c->cfh, &attr);
	}
	if (st == NFS4_OK)
		st = nfs4_deleg_getattr(c, &want, &attr);
	if (st != NFS4_OK)
		return st;
	return nfs4_fattr_encode(c, &c->cfh, &attr, &want, res);
}

bool nfs4_dec_setattr_wire_args(struct xdr_dec *d, struct nfs4_setattr_wire_args *w)
{
	w->decoded = nfs4_dec_setattr_args(d, &w->args);
	return true;
}

enum nfsstat4 nfs4_op_setattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_setattr_wire_args *a = args;
	struct nfs4_sattr sattr;
	struct nfs4_setattr_res r = {{{0}}, false};
	/* SETATTR4res carries attrsset whatever the status. */
	c->error_body = true;
	if (!a->decoded) {
		nfs4_enc_setattr_res(res, &r);
		return NFS4ERR_BADXDR;
	}
	struct nfs4_stateid sid = a->args.stateid;
	enum nfsstat4 st = nfs4_fattr_decode_set(c, &a->args.attrs, a->args.attrs.extra, &sattr);
	if (st == NFS4_OK && c->cfh.kind == FH_NONE)
		st = NFS4ERR_NOFILEHANDLE;
	if (st == NFS4_OK)
		st = nfs4_need_export_object(c, true);
	struct backend_attr attr;
	if (st == NFS4_OK)
		st = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (st == NFS4_OK && (sattr.sa.mask & BACKEND_SET_SIZE)) {
		if (attr.type == BACKEND_DIR)
			st = NFS4ERR_ISDIR;
		else if (attr.type != BACKEND_REG)
			st = NFS4ERR_INVAL;
		else if ((st = nfs4_compound_resolve_stateid(c, &sid)) == NFS4_OK)
			/* Truncation and extension touch the bytes from the
			 * smaller of the two sizes to the end. */
			st = nfs4_check_io_stateid(c, &sid, true,
						   sattr.sa.size < attr.size ? sattr.sa.size
									   : attr.size,
						   STATE_LENGTH_EOF);
	}
	/* Delegated times come from the holder of the file's ATTRS_DELEG
	 * delegation, named by the SETATTR's stateid (RFC 9754); anyone
	 * else may not set them. */
	if (st == NFS4_OK && sattr.deleg_times) {
		if (c->minor < 1 || c->cfh.kind != FH_EXPORT)
			st = NFS4ERR_INVAL;
		else if ((st = nfs4_compound_resolve_stateid(c, &sid)) == NFS4_OK) {
			struct state_file_key key = {.export_id = c->cfh.export->id,
						     .bh = c->cfh.bh};
			st = state_deleg_check_times(c->srv->state, c->clientid, &sid, &key);
		}
	}
	/* The ACL is mapped before anything changes, so one that cannot be
	 * set leaves the mode and the rest as they were. */
	struct nfs4_acl_posix acl = {0};
	if (st == NFS4_OK && sattr.has_acl)
		st = nfs4_acl_map_sattr(c->srv, &sattr, attr.type, &acl);
	bool changes = sattr.sa.mask || sattr.has_acl;
	/* Any other change (mode, owner, times, ACL) recalls other clients'
	 * delegations: they may cache what it changes. */
	if (st == NFS4_OK && ((sattr.sa.mask & ~BACKEND_SET_SIZE) || sattr.has_acl))
		st = nfs4_deleg_break_setattr(c, &sid);
	/* A directory's own attributes: its delegations' holders cache
	 * them. */
	if (st == NFS4_OK && changes && attr.type == BACKEND_DIR)
		st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_CHANGE_DIR_ATTRS);
	struct export *ex = c->cfh.export;
	if (st == NFS4_OK && sattr.sa.mask) {
		int rc = ex->ops->setattr(ex->bex, &c->cred, &c->cfh.bh, &sattr.sa, &attr);
		st = nfs4_errno_to_status(rc);
		if (rc == 0)
			nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ATTRS);
	}
	/* The mode first, then the ACL, which prevails (RFC 8881 6.4.1.3). */
	if (st == NFS4_OK && sattr.has_acl) {
		st = nfs4_acl_apply(&c->cred, ex, &c->cfh.bh, attr.type, &acl);
		if (st == NFS4_OK) {
			nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ATTRS);
			st = nfs4_fh_getattr(c, &c->cfh, &attr); /* its new mode */
		}
	}
	nfs4_acl_posix_free(&acl);
	if (st == NFS4_OK)
		r.attrsset = sattr.mask;
	nfs4_enc_setattr_res(res, &r);
	if (st == NFS4_OK && changes) {
		if (attr.type == BACKEND_DIR)
			nfs4_dirdeleg_dir_attrs(NFS4_DIR_BY(c), &c->cfh);
		nfs4_dirdeleg_child_attrs(NFS4_DIR_BY(c), &c->cfh, &attr);
	}
	return st;
}

enum nfsstat4 nfs4_op_verify(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_verify_args *a = args;
	return nfs4_fattr_verify(c, &a->attrs, a->attrs.extra, true);
}

/* NVERIFY4args is VERIFY4args. */
enum nfsstat4 nfs4_op_nverify(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_verify_args *a = args;
	return nfs4_fattr_verify(c, &a->attrs, a->attrs.extra, false);
}

enum nfsstat4 nfs4_op_access(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_access_args *a = args;
	uint32_t want = a->access;
	uint32_t valid = ACCESS4_ALL | (c->minor >= 2 ? ACCESS4_XATTR_BITS : 0);
	if (want & ~valid)
		return NFS4ERR_INVAL;
	struct backend_attr attr;
	enum nfsstat4 st = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (st != NFS4_OK)
		return st;
	uint32_t granted = 0;
	if (c->cfh.kind == FH_PSEUDO) {
		granted = want & (ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_EXECUTE);
	} else {
		bool dir = attr.type == BACKEND_DIR;
		uint32_t perm = 0, have = 0;
		/* Reading and listing xattrs is reading the object, changing
		 * them writing it (as the back ends judge them). */
		if (want & (ACCESS4_READ | ACCESS4_XAREAD | ACCESS4_XALIST))
			perm |= BACKEND_ACCESS_READ;
		if (want & (ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE | ACCESS4_XAWRITE))
			perm |= BACKEND_ACCESS_WRITE;
		if (want & (ACCESS4_LOOKUP | ACCESS4_EXECUTE))
			perm |= BACKEND_ACCESS_EXEC;
		struct export *ex = c->cfh.export;
		int rc = ex->ops->access(ex->bex, &c->cred, &c->cfh.bh, perm, &have);
		if (rc)
			return nfs4_errno_to_status(rc);
		if (have & BACKEND_ACCESS_READ)
			granted |= want & (ACCESS4_READ | ACCESS4_XAREAD | ACCESS4_XALIST);
		if ((have & BACKEND_ACCESS_WRITE) && !export_read_only(ex, rpc_conn_peer_addr(c->req->conn))) {
			granted |= want & (ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_XAWRITE);
			/* DELETE is about a directory's entries. */
			if (dir)
				granted |= want & ACCESS4_DELETE;
		}
		if (have & BACKEND_ACCESS_EXEC)
			granted |= want & (dir ? ACCESS4_LOOKUP : ACCESS4_EXECUTE);
	}
	/* LOOKUP and DELETE mean something for directories only, EXECUTE
	 * for the rest. */
	uint32_t supported =
		want & (attr.type == BACKEND_DIR ? ~(uint32_t)ACCESS4_EXECUTE
						 : ~(uint32_t)(ACCESS4_LOOKUP | ACCESS4_DELETE));
	/* Only regular files and directories of an export carry xattrs (the
	 * host's rule for its user namespace; the pseudo-fs keeps none). */
	if (c->cfh.kind != FH_EXPORT ||
	    (attr.type != BACKEND_REG && attr.type != BACKEND_DIR))
		supported &= ~(uint32_t)ACCESS4_XATTR_BITS;
	struct nfs4_access_res r = {.supported = supported, .access = granted & supported};
	nfs4_enc_access_res(res, &r); /* an overflow is the dispatcher's to answer */
	return NFS4_OK;
}
