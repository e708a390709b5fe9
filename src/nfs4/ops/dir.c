/* Directories and names: READDIR, CREATE, REMOVE, RENAME, LINK, READLINK. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/acl.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"

enum {
	COOKIE_FIRST_PSEUDO = 3, /* 0 starts, 1 and 2 are reserved by the RFC */
};

/* The cookie verifier: the same for every directory and across restarts,
 * because the cookies themselves stay valid (they come from the back end). */
void nfs4_dir_cookie_verifier(const struct nfs4_server *srv, struct nfs4_verifier *out)
{
	uint64_t v = siphash24(&srv->exports.fh_key, "cookieverf", 10);
	memcpy(out->data, &v, 8);
}

struct readdir_ctx {
	struct nfs4_compound *c;
	struct nfs4_readdir_enc enc;
	const struct nfs4_bitmap *want;
};

/* The attributes whose encoding for an entry depends on nothing but the
 * entry's own attributes and handle and the export (all below bit 64):
 * an entry4 encoded with only these may be kept by the back end and sent
 * again while those are unchanged (backend_dirent.keep).  Left out: what
 * depends on the minor version (supported_attrs ...), on the server's
 * settings (lease_time) or on the file system as a whole (space and file
 * counts, which any write anywhere changes). */
static const unsigned readdir_keepable[] = {
	FATTR4_TYPE,	  FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE,	     FATTR4_SIZE,
	FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_FSID,
	FATTR4_UNIQUE_HANDLES, FATTR4_RDATTR_ERROR, FATTR4_ACLSUPPORT, FATTR4_CANSETTIME,
	FATTR4_CASE_INSENSITIVE, FATTR4_CASE_PRESERVING, FATTR4_CHOWN_RESTRICTED,
	FATTR4_FILEHANDLE, FATTR4_FILEID, FATTR4_HOMOGENEOUS, FATTR4_MAXFILESIZE,
	FATTR4_MAXREAD, FATTR4_MAXWRITE, FATTR4_MODE, FATTR4_NO_TRUNC, FATTR4_NUMLINKS,
	FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_USED,
	FATTR4_TIME_ACCESS, FATTR4_TIME_CREATE, FATTR4_TIME_DELTA, FATTR4_TIME_METADATA,
	FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID,
};

/* The key entries of this READDIR are kept under: the attributes it will
 * return (the request's, less what the minor version does not support)
 * and the export; false when they are not all keepable. */
static bool readdir_keep_key(struct nfs4_compound *c, const struct nfs4_bitmap *want,
			     struct backend_keep_key *key)
{
	static uint64_t keepable;
	uint64_t k = __atomic_load_n(&keepable, __ATOMIC_RELAXED);
	struct nfs4_bitmap sup;

	if (!k) {
		for (size_t i = 0; i < sizeof(readdir_keepable) / sizeof(readdir_keepable[0]); i++)
			k |= 1ull << readdir_keepable[i];
		__atomic_store_n(&keepable, k, __ATOMIC_RELAXED);
	}
	nfs4_fattr_supported(c, &sup);
	for (int i = 2; i < NFS4_BITMAP_WORDS; i++)
		if (want->w[i] & sup.w[i])
			return false;
	uint64_t asked = ((uint64_t)(want->w[1] & sup.w[1]) << 32) | (want->w[0] & sup.w[0]);
	if (asked & ~k)
		return false;
	/* Both words nonzero, whatever is asked. */
	key->what = asked | (1ull << FATTR4_SUPPORTED_ATTRS);
	key->where = ((uint64_t)1 << 63) | c->cfh.export->id;
	return true;
}

/* Encodes one entry, its attributes straight into the reply; false when it
 * does not fit (then nothing of it is kept). */
static bool readdir_add(struct readdir_ctx *r, const char *name, size_t namelen,
			uint64_t cookie, const struct fh *fh, const struct backend_attr *attr)
{
	struct nfs4_opaque n = {(const uint8_t *)name, (uint32_t)namelen};
	if (!nfs4_enc_readdir_entry_begin(&r->enc, cookie, n))
		return false;
	if (nfs4_fattr_encode(r->c, fh, attr, r->want, r->enc.e) != NFS4_OK) {
		nfs4_enc_readdir_entry_cancel(&r->enc);
		return false;
	}
	return nfs4_enc_readdir_entry_end(&r->enc);
}

static bool readdir_backend_entry(void *ctx, const struct backend_dirent *ent)
{
	struct readdir_ctx *r = ctx;
	if (ent->kept)
		return nfs4_enc_readdir_entry_copy(&r->enc, ent->kept, ent->kept_len, ent->namelen);
	if (!ent->attr)
		return true; /* gone since it was listed */
	struct fh fh;
	fh_from_object(&r->c->srv->exports, r->c->cfh.export, ent->handle, &fh);
	if (!readdir_add(r, ent->name, ent->namelen, ent->cookie, &fh, ent->attr))
		return false;
	if (ent->keep) {
		size_t len;
		const uint8_t *bytes = nfs4_enc_readdir_entry_bytes(&r->enc, &len);
		ent->keep(ent, bytes, len);
	}
	return true;
}

static enum nfsstat4 readdir_pseudo(struct readdir_ctx *r, uint64_t cookie, bool *eof)
{
	struct nfs4_compound *c = r->c;
	uint64_t n = COOKIE_FIRST_PSEUDO;
	*eof = true;
	for (struct pseudo_node *k = c->cfh.node->children; k; k = k->sibling, n++) {
		if (n <= cookie || !pseudo_visible(k))
			continue;
		struct fh fh;
		struct backend_attr attr;
		struct export *kex = k->export;
		if (kex) {
			if (!export_allows(kex, rpc_conn_peer_addr(c->req->conn),
							rpc_conn_tls_peer(c->req->conn)))
				continue;
			/* A mount point shows the root of what is mounted there. */
			fh_from_object(&c->srv->exports, kex, &kex->root, &fh);
		} else {
			fh_from_pseudo(&c->srv->exports, k, &fh);
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

enum nfsstat4 nfs4_op_readdir(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_readdir_args *a = args;
	/* NFS4_OPF_NEED_DIR: the current fh is a directory. */
	enum nfsstat4 st;
	if (nfs4_bitmap_isset(&a->attr_request, FATTR4_TIME_ACCESS_SET) ||
	    nfs4_bitmap_isset(&a->attr_request, FATTR4_TIME_MODIFY_SET))
		return NFS4ERR_INVAL;
	if (a->cookie == 1 || a->cookie == 2)
		return NFS4ERR_BAD_COOKIE;
	/* The verifier that comes with a cookie is not checked: a cookie is a
	 * position the back end resumes from, valid for as long as the
	 * directory exists.  RFC 8881 18.23.3 and RFC 7530 16.24.4 give the
	 * verifier to servers whose cookies can go stale, to tell such a cookie
	 * apart (NFS4ERR_NOT_SAME); ours cannot, and clients that send a
	 * verifier of their own (libnfs) would be refused past the first page.
	 * A cookie that points nowhere is still NFS4ERR_BAD_COOKIE. */
	struct nfs4_verifier ours;
	nfs4_dir_cookie_verifier(c->srv, &ours);

	struct readdir_ctx r = {.c = c, .want = &a->attr_request};
	nfs4_enc_readdir_begin(&r.enc, res, &ours, a->dircount, a->maxcount);
	bool eof = false;
	if (c->cfh.kind == FH_PSEUDO) {
		st = readdir_pseudo(&r, a->cookie, &eof);
	} else {
		struct export *ex = c->cfh.export;
		struct backend_keep_key key;
		bool keep = readdir_keep_key(c, &a->attr_request, &key);
		int rc = ex->ops->readdir(ex->bex, &c->cred, &c->cfh.bh, a->cookie,
					  keep ? &key : NULL, readdir_backend_entry, &r, &eof);
		st = rc == -EINVAL ? NFS4ERR_BAD_COOKIE : nfs4_errno_to_status(rc);
	}
	if (st != NFS4_OK)
		return st;
	if (r.enc.count == 0 && !eof)
		return NFS4ERR_TOOSMALL;
	/* A reply past the buffer is the dispatcher's to answer, as for any
	 * operation; one past maxcount is READDIR's own. */
	if (!nfs4_enc_readdir_finish(&r.enc, eof) && !res->overflow)
		return NFS4ERR_TOOSMALL;
	return NFS4_OK;
}

/* The change attribute of the current directory, for change_info4. */
static uint64_t dir_change(struct nfs4_compound *c, const struct fh *fh)
{
	struct backend_attr a;
	return nfs4_fh_getattr(c, fh, &a) == NFS4_OK ? a.change : 0;
}

/* CREATE's object, made, with its ACL when one was asked; the current
 * filehandle becomes it. */
static enum nfsstat4 create_object(struct nfs4_compound *c, const struct nfs4_create_args *a,
				   const char *name, enum backend_ftype btype,
				   const struct backend_attr *dattr, struct nfs4_sattr *sattr,
				   const struct nfs4_acl_posix *acl, struct xdr_enc *res)
{
	uint32_t major = a->devdata.major, minor = a->devdata.minor;
	const uint8_t *link = a->linkdata.data;
	uint32_t linklen = a->linkdata.len;
	struct export *ex = c->cfh.export;
	struct backend_handle bh;
	struct backend_attr attr;
	int rc;
	if (btype == BACKEND_LNK) {
		if (linklen == 0 || linklen > BACKEND_PATH_MAX - 1)
			return linklen ? NFS4ERR_NAMETOOLONG : NFS4ERR_INVAL;
		char target[BACKEND_PATH_MAX];
		memcpy(target, link, linklen);
		target[linklen] = '\0';
		if (memchr(link, '\0', linklen))
			return NFS4ERR_INVAL;
		rc = ex->ops->symlink(ex->bex, &c->cred, &c->cfh.bh, name, target, &sattr->sa, &bh,
				      &attr);
	} else {
		rc = ex->ops->mknod(ex->bex, &c->cred, &c->cfh.bh, name, btype, major, minor,
				    &sattr->sa, &bh, &attr);
	}
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ENTRIES);
	nfs4_durable_note(c, ex, &bh, BACKEND_SYNC_NEW);
	/* The object stands whatever happens to its ACL: one the file system
	 * would not take (a symbolic link's) is left out of attrset. */
	if (sattr->has_acl && (nfs4_acl_apply(&c->cred, ex, &bh, btype, acl) != NFS4_OK ||
			       ex->ops->getattr(ex->bex, &bh, &attr) != 0))
		nfs4_acl_attrs_clear(&sattr->mask);
	struct nfs4_create_res r = {
		.cinfo = nfs4_dir_change_info(dattr->change, dir_change(c, &c->cfh)),
		.attrset = sattr->mask,
	};
	nfs4_enc_create_res(res, &r);
	nfs4_dirdeleg_added(NFS4_DIR_BY(c), &c->cfh, name, &bh, &attr);
	struct fh fh;
	fh_from_object(&c->srv->exports, ex, &bh, &fh);
	nfs4_compound_set_cfh(c, &fh);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_create(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_create_args *a = args;
	uint32_t type = a->type;
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_name_from_wire(a->name, name);
	struct nfs4_sattr sattr;
	enum nfsstat4 st = nfs4_fattr_decode_set(c, &a->attrs, a->attrs.extra, &sattr);
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
	static const enum backend_ftype types[] = {
		[NF4DIR] = BACKEND_DIR,   [NF4BLK] = BACKEND_BLK,   [NF4CHR] = BACKEND_CHR,
		[NF4LNK] = BACKEND_LNK,   [NF4SOCK] = BACKEND_SOCK, [NF4FIFO] = BACKEND_FIFO,
	};
	/* An ACL to set is mapped before anything is made: one that cannot
	 * be set refuses the CREATE, as knfsd's does. */
	struct nfs4_acl_posix acl = {0};
	if (sattr.has_acl &&
	    (st = nfs4_acl_map_sattr(c->srv, &sattr, types[type], &acl)) != NFS4_OK) {
		nfs4_acl_posix_free(&acl);
		return st;
	}
	if ((st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_ADD_ENTRY)) != NFS4_OK) {
		nfs4_acl_posix_free(&acl);
		return st;
	}
	st = create_object(c, a, name, types[type], &dattr, &sattr, &acl, res);
	nfs4_acl_posix_free(&acl);
	return st;
}

enum nfsstat4 nfs4_op_remove(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_remove_args *a = args;
	char name[BACKEND_NAME_MAX + 1];
	struct backend_attr dattr;
	enum nfsstat4 st = nfs4_need_dir_name(c, a->name, name, &dattr);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_deleg_break_name(c, &c->cfh, name)) != NFS4_OK ||
	    (st = nfs4_dirdeleg_break_name(c, &c->cfh, name, NULL)) != NFS4_OK ||
	    (st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_REMOVE_ENTRY)) != NFS4_OK)
		return st;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->remove(ex->bex, &c->cred, &c->cfh.bh, name);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ENTRIES);
	struct nfs4_remove_res r = {nfs4_dir_change_info(dattr.change, dir_change(c, &c->cfh))};
	nfs4_enc_remove_res(res, &r);
	nfs4_dirdeleg_removed(NFS4_DIR_BY(c), &c->cfh, name);
	return NFS4_OK;
}

/* RENAME and LINK act from the saved fh on the current fh, a directory
 * (*dattr) of the same export (else NFS4ERR_XDEV).  The saved fh (*sattr)
 * is RENAME's source directory (saved_dir: else NFS4ERR_NOTDIR) or the
 * object LINK links, which is no directory (else NFS4ERR_ISDIR).  The
 * new name's error (names_st, the old name's first for RENAME) only
 * counts once the handles are good. */
static enum nfsstat4 need_saved_and_dir(struct nfs4_compound *c, bool saved_dir,
					enum nfsstat4 names_st, struct backend_attr *dattr,
					struct backend_attr *sattr)
{
	if (c->sfh.kind == FH_NONE)
		return NFS4ERR_NOFILEHANDLE;
	enum nfsstat4 st = nfs4_need_dir(c, dattr);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_fh_getattr(c, &c->sfh, sattr)) != NFS4_OK)
		return st;
	if ((sattr->type == BACKEND_DIR) != saved_dir)
		return saved_dir ? NFS4ERR_NOTDIR : NFS4ERR_ISDIR;
	if (c->sfh.kind != c->cfh.kind || c->sfh.export != c->cfh.export)
		return NFS4ERR_XDEV;
	return names_st;
}

enum nfsstat4 nfs4_op_rename(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_rename_args *a = args;
	char from[BACKEND_NAME_MAX + 1], to[BACKEND_NAME_MAX + 1];
	enum nfsstat4 names_st = nfs4_name_from_wire(a->oldname, from);
	enum nfsstat4 to_st = nfs4_name_from_wire(a->newname, to);
	if (names_st == NFS4_OK)
		names_st = to_st;
	struct backend_attr tattr, sattr;
	enum nfsstat4 st = need_saved_and_dir(c, true, names_st, &tattr, &sattr);
	if (st != NFS4_OK)
		return st;
	/* The file renamed and the one it replaces. */
	if ((st = nfs4_deleg_break_name(c, &c->sfh, from)) != NFS4_OK ||
	    (st = nfs4_deleg_break_name(c, &c->cfh, to)) != NFS4_OK)
		return st;
	/* A rename within a directory is one change; across, an entry goes
	 * from one and comes into the other.  A delegated directory renamed
	 * or replaced itself is recalled. */
	bool within = fh_equal(&c->sfh, &c->cfh);
	bool replaces;
	if ((st = nfs4_dirdeleg_break_name(c, &c->sfh, from, NULL)) != NFS4_OK ||
	    (st = nfs4_dirdeleg_break_name(c, &c->cfh, to, &replaces)) != NFS4_OK ||
	    (st = nfs4_dirdeleg_break(c, &c->sfh,
				      within ? 1u << NOTIFY4_RENAME_ENTRY
					     : 1u << NOTIFY4_REMOVE_ENTRY)) != NFS4_OK ||
	    (!within &&
	     (st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_ADD_ENTRY)) != NFS4_OK))
		return st;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->rename(ex->bex, &c->cred, &c->sfh.bh, from, &c->cfh.bh, to);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_durable_note(c, ex, &c->sfh.bh, BACKEND_SYNC_ENTRIES);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ENTRIES);
	struct nfs4_rename_res r = {
		.source_cinfo = nfs4_dir_change_info(sattr.change, dir_change(c, &c->sfh)),
		.target_cinfo = nfs4_dir_change_info(tattr.change, dir_change(c, &c->cfh)),
	};
	nfs4_enc_rename_res(res, &r);
	nfs4_dirdeleg_renamed(NFS4_DIR_BY(c), &c->sfh, from, &c->cfh, to, replaces);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_link(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_link_args *a = args;
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 name_st = nfs4_name_from_wire(a->name, name);
	struct backend_attr dattr, oattr;
	enum nfsstat4 st = need_saved_and_dir(c, false, name_st, &dattr, &oattr);
	if (st != NFS4_OK)
		return st;
	if ((st = nfs4_deleg_break_fh(c, &c->sfh)) != NFS4_OK ||
	    (st = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_ADD_ENTRY)) != NFS4_OK)
		return st;
	struct export *ex = c->cfh.export;
	int rc = ex->ops->link(ex->bex, &c->cred, &c->sfh.bh, &c->cfh.bh, name);
	if (rc)
		return nfs4_errno_to_status(rc);
	nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ENTRIES);
	nfs4_durable_note(c, ex, &c->sfh.bh, BACKEND_SYNC_NEW);
	struct nfs4_link_res r = {nfs4_dir_change_info(dattr.change, dir_change(c, &c->cfh))};
	nfs4_enc_link_res(res, &r);
	/* One more link now: the attributes as they are. */
	if (nfs4_fh_getattr(c, &c->sfh, &oattr) == NFS4_OK)
		nfs4_dirdeleg_added(NFS4_DIR_BY(c), &c->cfh, name, &c->sfh.bh, &oattr);
	else
		nfs4_dirdeleg_added(NFS4_DIR_BY(c), &c->cfh, name, NULL, NULL);
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_readlink(struct nfs4_compound *c, void *args, struct xdr_enc *res)
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
	struct export *ex = c->cfh.export;
	int rc = ex->ops->readlink(ex->bex, &c->cfh.bh, buf, BACKEND_PATH_MAX, &len);
	if (!rc) {
		struct nfs4_readlink_res r = {{(const uint8_t *)buf, (uint32_t)len}};
		nfs4_enc_readlink_res(res, &r);
	}
	free(buf);
	return nfs4_errno_to_status(rc);
}
