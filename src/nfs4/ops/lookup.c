/* Moving the current filehandle: PUTFH, PUTROOTFH, LOOKUP, LOOKUPP, ... */
#include <string.h>

#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/clients/session.h"


static bool client_allowed(struct nfs4_compound *c, const struct export *ex)
{
	return export_allows(ex, rpc_conn_peer_addr(c->req->conn),
				  rpc_conn_tls_peer(c->req->conn));
}

/* May the COMPOUND go on past a put-filehandle operation (PUTFH,
 * PUTROOTFH, PUTPUBFH, RESTOREFH) onto fh under a flavour fh's export does
 * not take?  RFC 8881 2.6.3.1.1: only when nothing follows, or what
 * follows finds out the security itself: SECINFO and SECINFO_NO_NAME
 * (which answer it), LOOKUP and LOOKUPP (which check where they arrive).
 * Anything else gets NFS4ERR_WRONGSEC from the put operation. */
static enum nfsstat4 put_fh_sec(struct nfs4_compound *c, const struct fh *fh)
{
	if (fh->kind != FH_EXPORT || export_sec_ok(fh->export, rpc_conn_peer_addr(c->req->conn), &c->req->cred))
		return NFS4_OK;
	switch (c->next_opnum) {
	case NFS4_NO_NEXT_OP:
	case OP_SECINFO:
	case OP_SECINFO_NO_NAME:
	case OP_LOOKUP:
	case OP_LOOKUPP:
		return NFS4_OK;
	default:
		break;
	}
	/* SP4_MACH_CRED: the machine's principal giving state back under
	 * its own flavour (RFC 8881 18.35.3): a COMPOUND with an operation
	 * the client may send so (CLOSE, DELEGRETURN, ...) anywhere after
	 * the put (the Linux client sends PUTFH, GETATTR, DELEGRETURN). */
	if (c->sp4.mach && nfs4_compound_rest_has(c, c->sp4.allow)) {
		struct state_principal who;
		state_principal_from_cred(&who, &c->req->cred);
		if (state_client_mach_allows_any(c->srv->state, c->clientid, &who))
			return NFS4_OK;
	}
	return NFS4ERR_WRONGSEC;
}

/* Where LOOKUP and LOOKUPP arrive must take the call's flavour (the
 * pseudo file system takes every one). */
static enum nfsstat4 arrive_sec(struct nfs4_compound *c, const struct fh *fh)
{
	if (fh->kind != FH_EXPORT || export_sec_ok(fh->export, rpc_conn_peer_addr(c->req->conn), &c->req->cred))
		return NFS4_OK;
	return NFS4ERR_WRONGSEC;
}

/* Entering an export (PUTFH, PUTROOTFH, LOOKUP across a mount point): the
 * client must be admitted, and on a `secure` export come from a reserved
 * port.  knfsd answers a request from a non-reserved port on a secure
 * export with nfserr_perm when it verifies the file handle
 * (fs/nfsd/nfsfh.c, nfsd_setuser_and_check_port): NFS4ERR_PERM here too,
 * so that a kernel client reports EPERM. */
static enum nfsstat4 export_enter(struct nfs4_compound *c, const struct export *ex)
{
	if (!client_allowed(c, ex))
		return NFS4ERR_ACCESS;
	if (!export_port_ok(ex, rpc_conn_peer_addr(c->req->conn), c->req->cred.flavor)) {
		log_ratelimited("nfs4: %s: AUTH_SYS from a non-reserved port refused on the secure "
				"export %s (set secure = no to admit it)",
				rpc_conn_peer(c->req->conn), ex->pseudo);
		return NFS4ERR_PERM;
	}
	return NFS4_OK;
}

/* fh as the current filehandle (PUTFH, PUTROOTFH): its export entered,
 * its security checked. */
static enum nfsstat4 put_fh(struct nfs4_compound *c, const struct fh *fh)
{
	enum nfsstat4 st;
	if (fh->kind == FH_EXPORT && (st = export_enter(c, fh->export)) != NFS4_OK)
		return st;
	if ((st = put_fh_sec(c, fh)) != NFS4_OK)
		return st;
	nfs4_compound_set_cfh(c, fh);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_putfh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_putfh_args *a = args;
	struct fh fh;
	switch (fh_parse(&c->srv->exports, a->fh.data, a->fh.len, &fh)) {
	case FH_OK:
		break;
	case FH_STALE:
		return NFS4ERR_STALE;
	case FH_BADHANDLE:
	default:
		return NFS4ERR_BADHANDLE;
	}
	return put_fh(c, &fh);
}

enum nfsstat4 nfs4_op_putrootfh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	struct fh fh;
	fh_from_pseudo(&c->srv->exports, c->srv->exports.root, &fh);
	return put_fh(c, &fh);
}

/* Ferry's public filehandle is the root of the pseudo file system. */
enum nfsstat4 nfs4_op_putpubfh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	return nfs4_op_putrootfh(c, args, res);
}

enum nfsstat4 nfs4_op_getfh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	if (c->handoff.lookup_attr_for == c->op_index)
		c->handoff.lookup_attr_for = c->op_index + 1;
	struct nfs4_getfh_res r = {{c->cfh.wire, c->cfh.wire_len}};
	return nfs4_enc_getfh_res(res, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

enum nfsstat4 nfs4_op_savefh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	c->sfh = c->cfh;
	c->saved_stateid = c->current_stateid;
	c->has_saved_stateid = c->has_current_stateid;
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_restorefh(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	if (c->sfh.kind == FH_NONE)
		return NFS4ERR_RESTOREFH;
	enum nfsstat4 st = put_fh_sec(c, &c->sfh);
	if (st != NFS4_OK)
		return st;
	nfs4_compound_set_cfh(c, &c->sfh);
	c->current_stateid = c->saved_stateid;
	c->has_current_stateid = c->has_saved_stateid;
	return NFS4_OK;
}

/* Resolves name in the current fh into *out: the back end's lookup refuses
 * it below anything but a directory, and the caller checks the directory
 * (nfs4_need_dir, a back-end getattr) first or, for LOOKUP, after a
 * failure.  *attr: the object's attributes, as the back end read them
 * (*has_attr; none for the pseudo file system). */
static enum nfsstat4 lookup_name(struct nfs4_compound *c, const char *name, struct fh *out,
				 bool *is_dir, struct backend_attr *attr, bool *has_attr)
{
	enum nfsstat4 st;
	*is_dir = false;
	*has_attr = false;
	if (c->cfh.kind == FH_PSEUDO) {
		struct pseudo_node *child = pseudo_lookup(c->cfh.node, name);
		if (!child)
			return NFS4ERR_NOENT;
		/* Read once: a reload may take the export away meanwhile. */
		struct export *cex = child->export;
		if (cex) {
			/* Exports this client may not use are not there for it. */
			if (!client_allowed(c, cex))
				return NFS4ERR_NOENT;
			st = export_enter(c, cex);
			if (st != NFS4_OK)
				return st;
			fh_from_object(&c->srv->exports, cex, &cex->root, out);
			/* An export's root was opened as a directory. */
			*is_dir = true;
		} else {
			fh_from_pseudo(&c->srv->exports, child, out);
		}
		return NFS4_OK;
	}
	struct export *ex = c->cfh.export;
	struct backend_handle bh;
	int rc = ex->ops->lookup(ex->bex, &c->cred, &c->cfh.bh, name, &bh, attr);
	if (rc)
		return nfs4_errno_to_status(rc);
	fh_from_object(&c->srv->exports, ex, &bh, out);
	*is_dir = attr->type == BACKEND_DIR;
	*has_attr = true;
	return NFS4_OK;
}

static bool lookup_from_known_dir(const struct nfs4_compound *c)
{
	const struct nfs4_handoff *h = &c->handoff;
	return c->cfh.kind == FH_EXPORT && h->known_dir.len &&
	       h->known_dir_export == c->cfh.export && h->known_dir.len == c->cfh.bh.len &&
	       memcmp(h->known_dir.data, c->cfh.bh.data, h->known_dir.len) == 0;
}

/* The current fh is now fh; attr (NULL: none) its attributes as just read,
 * which the next operation may take (handoff.lookup_attr). */
static void lookup_found(struct nfs4_compound *c, const struct fh *fh,
			 const struct backend_attr *attr, bool is_dir)
{
	nfs4_compound_set_cfh(c, fh);
	c->handoff.known_dir.len = 0;
	if (is_dir && fh->kind == FH_EXPORT) {
		c->handoff.known_dir_export = fh->export;
		c->handoff.known_dir = fh->bh;
	}
	c->handoff.lookup_attr_for = 0;
	if (attr && fh->kind == FH_EXPORT) {
		c->handoff.lookup_attr = *attr;
		c->handoff.lookup_attr_for = c->op_index + 1 + c->handoff.lookups_ahead;
	}
}

/* A path walk is LOOKUP after LOOKUP in one COMPOUND (PUTROOTFH LOOKUP...
 * GETFH GETATTR at a mount, or ferry-bench's lookup), and a back end can
 * walk several names in one call: the local one in one openat2 where
 * each LOOKUP costs a statx by name.  The walk costs an openat2, a statx
 * and a close: measured (DECISIONS.md), it loses to a statx per name at
 * two names and wins from three. */
enum { LOOKUP_WALK_MIN = 3, LOOKUP_WALK_MAX = 16 };

/* Resolves this LOOKUP's name and those of the LOOKUPs right after it
 * (read ahead in a copy of the argument cursor) in one back-end walk, when
 * all of them succeed: then the current fh is the last one's and those
 * LOOKUPs find their result made (handoff.lookups_ahead).  Anything else (a
 * name the walk refuses, a symbolic link, a mount point, a missing name,
 * no permission) leaves no trace: the LOOKUPs go one by one and each
 * gives its own result, as without the walk. */
static bool lookup_walk(struct nfs4_compound *c, struct nfs4_opaque first)
{
	if (c->cfh.kind != FH_EXPORT || c->handoff.lookup_walk_failed ||
	    !c->cfh.export->ops->lookup_path || c->op_index + LOOKUP_WALK_MIN > c->servable_ops)
		return false;
	/* The LOOKUPs that follow, found before any name is copied: a
	 * LOOKUP alone (PUTFH LOOKUP GETFH GETATTR) costs one peek. */
	struct nfs4_opaque wire[LOOKUP_WALK_MAX];
	unsigned nwire = 0;
	wire[nwire++] = first;
	struct xdr_dec ahead = c->req->args;
	for (uint32_t i = c->op_index + 1; i < c->servable_ops && nwire < LOOKUP_WALK_MAX; i++) {
		uint32_t opnum;
		struct nfs4_lookup_args la;
		if (!nfs4_dec_op(&ahead, &opnum) || opnum != OP_LOOKUP ||
		    !nfs4_dec_lookup_args(&ahead, &la))
			break;
		wire[nwire++] = la.name;
	}
	if (nwire < LOOKUP_WALK_MIN)
		return false;
	/* Up to the first name LOOKUP refuses, which then gives its own
	 * error when its turn comes. */
	char names[LOOKUP_WALK_MAX][BACKEND_NAME_MAX + 1];
	const char *walk[LOOKUP_WALK_MAX];
	unsigned n = 0;
	while (n < nwire && nfs4_name_from_wire(wire[n], names[n]) == NFS4_OK) {
		walk[n] = names[n];
		n++;
	}
	if (n < LOOKUP_WALK_MIN)
		return false;
	struct export *ex = c->cfh.export;
	struct backend_handle bh;
	struct backend_attr attr;
	if (ex->ops->lookup_path(ex->bex, &c->cred, &c->cfh.bh, walk, n, &bh, &attr) != 0) {
		c->handoff.lookup_walk_failed = true;
		return false;
	}
	struct fh fh;
	fh_from_object(&c->srv->exports, ex, &bh, &fh);
	/* The LOOKUPs one by one give WRONGSEC then. */
	if (arrive_sec(c, &fh) != NFS4_OK)
		return false;
	c->handoff.lookups_ahead = n - 1;
	lookup_found(c, &fh, &attr, attr.type == BACKEND_DIR);
	return true;
}

enum nfsstat4 nfs4_op_lookup(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_lookup_args *a = args;
	if (c->handoff.lookups_ahead) {
		/* Walked by an earlier LOOKUP of this COMPOUND. */
		c->handoff.lookups_ahead--;
		return NFS4_OK;
	}
	if (lookup_walk(c, a->name))
		return NFS4_OK;
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_name_from_wire(a->name, name);
	bool dir_known = lookup_from_known_dir(c);
	struct fh fh;
	struct backend_attr attr, dattr;
	bool is_dir, has_attr;
	enum nfsstat4 st;
	if (name_st == NFS4_OK && !dir_known && c->cfh.kind == FH_EXPORT) {
		/* A back end finds a name only below a directory that exists
		 * (nothing resolves in one removed), so a lookup that succeeds
		 * proves what the directory's check would have, and saves its
		 * getattr.  A failure needs the check: its error ranks first. */
		st = lookup_name(c, name, &fh, &is_dir, &attr, &has_attr);
		if (st == NFS4_OK && (st = arrive_sec(c, &fh)) == NFS4_OK) {
			lookup_found(c, &fh, has_attr ? &attr : NULL, is_dir);
			return NFS4_OK;
		}
		if (st == NFS4ERR_WRONGSEC)
			return st;
		enum nfsstat4 dir_st = nfs4_need_dir(c, &dattr);
		return dir_st != NFS4_OK ? dir_st : st;
	}
	if (!dir_known && (st = nfs4_need_dir(c, &dattr)) != NFS4_OK)
		return st;
	if (name_st != NFS4_OK)
		return name_st;
	st = lookup_name(c, name, &fh, &is_dir, &attr, &has_attr);
	if (st != NFS4_OK || (st = arrive_sec(c, &fh)) != NFS4_OK)
		return st;
	lookup_found(c, &fh, has_attr ? &attr : NULL, is_dir);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_lookupp(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	/* NFS4_OPF_NEED_DIR: the current fh is a directory. */
	struct fh fh;
	if (c->cfh.kind == FH_PSEUDO) {
		if (!c->cfh.node->parent)
			return NFS4ERR_NOENT;
		fh_from_pseudo(&c->srv->exports, c->cfh.node->parent, &fh);
	} else {
		struct export *ex = c->cfh.export;
		bool at_root = c->cfh.bh.len == ex->root.len &&
			       memcmp(c->cfh.bh.data, ex->root.data, ex->root.len) == 0;
		if (at_root) {
			/* Up from an export's root is the pseudo-fs around it. */
			if (!ex->mount_point->parent)
				return NFS4ERR_NOENT;
			fh_from_pseudo(&c->srv->exports, ex->mount_point->parent, &fh);
		} else {
			struct backend_handle bh;
			struct backend_attr attr;
			int rc = ex->ops->lookup_parent(ex->bex, &c->cred, &c->cfh.bh, &bh, &attr);
			if (rc)
				return nfs4_errno_to_status(rc);
			fh_from_object(&c->srv->exports, ex, &bh, &fh);
		}
	}
	enum nfsstat4 st = arrive_sec(c, &fh);
	if (st != NFS4_OK)
		return st;
	nfs4_compound_set_cfh(c, &fh);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_secinfo(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_secinfo_args *a = args;
	/* As LOOKUP: the directory's errors rank before the name's. */
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 st = nfs4_need_dir_name(c, a->name, name, NULL);
	if (st != NFS4_OK)
		return st;
	struct fh fh;
	struct backend_attr attr;
	bool is_dir, has_attr;
	st = lookup_name(c, name, &fh, &is_dir, &attr, &has_attr);
	if (st != NFS4_OK)
		return st;
	nfs4_enc_export_flavors(res, nfs4_fh_sec(c, &fh));
	/* RFC 7530 16.31.4: SECINFO consumes the current filehandle. */
	c->cfh.kind = FH_NONE;
	return NFS4_OK;
}

/* Named attributes are not supported. */
enum nfsstat4 nfs4_op_openattr(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	return NFS4ERR_NOTSUPP;
}
