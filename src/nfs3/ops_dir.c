/* The NFSv3 procedures on names: LOOKUP, the creates (CREATE MKDIR SYMLINK
 * MKNOD), REMOVE RMDIR RENAME LINK. */
#include <errno.h>
#include <string.h>

#include "nfs3/nfs3_internal.h"

static bool is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* A directory of the call that changes it, with its pre-operation
 * attributes in wcc: the handle, the attributes, the status. */
static enum nfsstat3 change_dir(struct nfs3_call *c, const struct nfs3_fh *wire, struct fh *dir,
				struct backend_attr *attr, struct nfs3_wcc *wcc)
{
	enum nfsstat3 st = nfs3_resolve_change(c, wire, dir, attr, wcc);
	if (st != NFS3_OK)
		return st;
	if (attr->type != BACKEND_DIR)
		return NFS3ERR_NOTDIR;
	return NFS3_OK;
}

void nfs3_lookup(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh dir;
	struct backend_attr dattr, oattr;
	if ((r->status = nfs3_resolve_post_typed(c, &a->dirop.dir, BACKEND_DIR, NFS3ERR_NOTDIR, &dir,
						 &dattr, &r->dir_attr)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	char name[BACKEND_NAME_MAX + 1];
	if ((r->status = nfs3_name(&a->dirop.name, name)) != NFS3_OK)
		return;
	struct backend_handle bh;
	int rc;
	if (strcmp(name, ".") == 0) {
		bh = dir.bh;
		oattr = dattr;
		rc = 0;
	} else if (strcmp(name, "..") == 0) {
		rc = ex->ops->lookup_parent(ex->bex, &c->cred, &dir.bh, &bh, &oattr);
		/* The export's root is its own parent: a v3 client never
		 * leaves its export by name. */
		if (rc == -ENOENT) {
			bh = dir.bh;
			oattr = dattr;
			rc = 0;
		}
	} else {
		rc = ex->ops->lookup(ex->bex, &c->cred, &dir.bh, name, &bh, &oattr);
	}
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		return;
	}
	if (!nfs3_fh_make(c, ex, &bh, &c->obj)) {
		r->status = NFS3ERR_SERVERFAULT;
		return;
	}
	r->fh.present = true;
	r->fh.fh = (struct nfs3_fh){c->obj.wire, c->obj.wire_len};
	nfs3_post_from(ex, &oattr, &r->attr);
}

/* The tail every create shares: the new object's handle and attributes,
 * the directory's after-attributes, what must be stable before the reply
 * (obj_what: the object's enum backend_sync_what flags; 0 when nothing
 * was created or changed).  rc is the back end's. */
static void create_done(struct nfs3_call *c, struct fh *dir, int rc,
			const struct backend_handle *bh, const struct backend_attr *oattr,
			unsigned obj_what, struct nfs3_res *r)
{
	struct export *ex = dir->export;
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		nfs3_post_now(c, dir, &r->wcc.after);
		return;
	}
	r->status = NFS3_OK;
	if (obj_what & BACKEND_SYNC_NEW)
		nfs3_durable_note(c, ex, &dir->bh, BACKEND_SYNC_ENTRIES);
	if (obj_what)
		nfs3_durable_note(c, ex, bh, obj_what);
	/* A handle too long for v3 is left out: the object exists, and
	 * the client's LOOKUP will say what it can. */
	r->fh.present = nfs3_fh_make(c, ex, bh, &c->obj);
	r->fh.fh = (struct nfs3_fh){c->obj.wire, c->obj.wire_len};
	nfs3_post_from(ex, oattr, &r->attr);
	nfs3_post_now(c, dir, &r->wcc.after);
}

/* The checks every create makes of the directory and name, and the
 * delegations it recalls. */
static enum nfsstat3 create_begin(struct nfs3_call *c, const struct nfs3_diropargs *where,
				  struct fh *dir, char name[BACKEND_NAME_MAX + 1],
				  struct nfs3_res *r)
{
	struct backend_attr dattr;
	enum nfsstat3 st = change_dir(c, &where->dir, dir, &dattr, &r->wcc);
	if (st != NFS3_OK)
		return st;
	if ((st = nfs3_name(&where->name, name)) == NFS3_OK && is_dot(name))
		st = NFS3ERR_EXIST;
	if (st == NFS3_OK)
		st = nfs3_dirdeleg_break(c, dir);
	if (st != NFS3_OK)
		nfs3_post_from(dir->export, &dattr, &r->wcc.after);
	return st;
}

/* The attributes a create sets, from the client's sattr3, with mode when
 * it names none (0: no default); on an error the directory's
 * after-attributes are answered with it. */
static enum nfsstat3 create_attrs(struct nfs3_call *c, struct fh *dir,
				  const struct nfs3_sattr *attr, uint32_t mode,
				  struct backend_setattr *sa, struct nfs3_res *r)
{
	enum nfsstat3 st = nfs3_setattr_from(attr, sa);
	if (st != NFS3_OK) {
		nfs3_post_now(c, dir, &r->wcc.after);
		return st;
	}
	if (mode && !(sa->mask & BACKEND_SET_MODE)) {
		sa->mask |= BACKEND_SET_MODE;
		sa->mode = mode;
	}
	return NFS3_OK;
}

void nfs3_create(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_create_args *ca = &a->create;
	struct fh dir;
	char name[BACKEND_NAME_MAX + 1];
	if ((r->status = create_begin(c, &ca->where, &dir, name, r)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	struct backend_setattr sa = {0};
	enum backend_create_mode how = BACKEND_CREATE_UNCHECKED;
	static const uint8_t no_verf[8];
	const uint8_t *verf = no_verf;
	switch (ca->mode) {
	case GUARDED:
		how = BACKEND_CREATE_GUARDED;
		/* fall through */
	case UNCHECKED:
		if ((r->status = create_attrs(c, &dir, &ca->attr, 0644, &sa, r)) != NFS3_OK)
			return;
		break;
	default:
		/* The verifier is kept with the file by the back end, as for
		 * NFSv4's exclusive create; the client sets the attributes
		 * with a SETATTR afterwards (RFC 1813 3.3.8). */
		how = BACKEND_CREATE_EXCLUSIVE;
		verf = ca->verf;
		sa.mask = BACKEND_SET_MODE;
		sa.mode = 0600;
		break;
	}
	/* An UNCHECKED create of an existing file truncates it when asked
	 * to: a change to that file. */
	if (how == BACKEND_CREATE_UNCHECKED &&
	    (r->status = nfs3_deleg_break_name(c, &dir, name)) != NFS3_OK) {
		nfs3_post_now(c, &dir, &r->wcc.after);
		return;
	}
	struct backend_handle bh;
	struct backend_attr oattr;
	bool created = false;
	int rc = ex->ops->create_file(ex->bex, &c->cred, &dir.bh, name, how, verf, &sa, &bh, &oattr,
				      &created);
	/* An exclusive create keeps its verifier in the times: they must
	 * last too, or a retry after a crash would not be recognised.  An
	 * UNCHECKED create of an existing file changed at most its size. */
	unsigned what = 0;
	if (created)
		what = BACKEND_SYNC_NEW | (how == BACKEND_CREATE_EXCLUSIVE ? BACKEND_SYNC_ATTRS : 0);
	else if (sa.mask & BACKEND_SET_SIZE)
		what = BACKEND_SYNC_ATTRS;
	create_done(c, &dir, rc, &bh, &oattr, what, r);
}

void nfs3_mkdir(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct fh dir;
	char name[BACKEND_NAME_MAX + 1];
	if ((r->status = create_begin(c, &a->mkdir.where, &dir, name, r)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	struct backend_setattr sa;
	if ((r->status = create_attrs(c, &dir, &a->mkdir.attr, 0755, &sa, r)) != NFS3_OK)
		return;
	struct backend_handle bh;
	struct backend_attr oattr;
	int rc = ex->ops->mknod(ex->bex, &c->cred, &dir.bh, name, BACKEND_DIR, 0, 0, &sa, &bh,
				&oattr);
	create_done(c, &dir, rc, &bh, &oattr, BACKEND_SYNC_NEW, r);
}

void nfs3_symlink(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_symlink_args *sl = &a->symlink;
	struct fh dir;
	char name[BACKEND_NAME_MAX + 1];
	if ((r->status = create_begin(c, &sl->where, &dir, name, r)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	struct backend_setattr sa;
	static _Thread_local char target[BACKEND_PATH_MAX + 1];
	if ((r->status = create_attrs(c, &dir, &sl->attr, 0, &sa, r)) != NFS3_OK)
		return;
	if (sl->path.len == 0 || memchr(sl->path.data, '\0', sl->path.len))
		r->status = NFS3ERR_INVAL;
	else if (sl->path.len > BACKEND_PATH_MAX)
		r->status = NFS3ERR_NAMETOOLONG;
	if (r->status != NFS3_OK) {
		nfs3_post_now(c, &dir, &r->wcc.after);
		return;
	}
	memcpy(target, sl->path.data, sl->path.len);
	target[sl->path.len] = '\0';
	/* A symbolic link's own mode means nothing on Linux. */
	sa.mask &= ~(uint32_t)BACKEND_SET_MODE;
	struct backend_handle bh;
	struct backend_attr oattr;
	int rc = ex->ops->symlink(ex->bex, &c->cred, &dir.bh, name, target, &sa, &bh, &oattr);
	create_done(c, &dir, rc, &bh, &oattr, BACKEND_SYNC_NEW, r);
}

void nfs3_mknod(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_mknod_args *mk = &a->mknod;
	struct fh dir;
	char name[BACKEND_NAME_MAX + 1];
	if ((r->status = create_begin(c, &mk->where, &dir, name, r)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	/* Regular files, directories and links have procedures of their
	 * own. */
	if (mk->type != NF3CHR && mk->type != NF3BLK && mk->type != NF3SOCK &&
	    mk->type != NF3FIFO) {
		r->status = NFS3ERR_BADTYPE;
		nfs3_post_now(c, &dir, &r->wcc.after);
		return;
	}
	/* enum backend_ftype has ftype3's numbers. */
	enum backend_ftype type = (enum backend_ftype)mk->type;
	struct backend_setattr sa;
	if ((r->status = create_attrs(c, &dir, &mk->attr, 0644, &sa, r)) != NFS3_OK)
		return;
	struct backend_handle bh;
	struct backend_attr oattr;
	int rc = ex->ops->mknod(ex->bex, &c->cred, &dir.bh, name, type, mk->major, mk->minor, &sa,
				&bh, &oattr);
	create_done(c, &dir, rc, &bh, &oattr, BACKEND_SYNC_NEW, r);
}

/* REMOVE and RMDIR: the back end removes either kind; v3 says which the
 * client meant. */
static void remove_common(struct nfs3_call *c, struct nfs3_diropargs *d, struct nfs3_res *r,
			  bool want_dir)
{
	struct fh dir;
	struct backend_attr dattr;
	if ((r->status = change_dir(c, &d->dir, &dir, &dattr, &r->wcc)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	char name[BACKEND_NAME_MAX + 1];
	struct backend_handle bh;
	struct backend_attr oattr;
	if ((r->status = nfs3_name(&d->name, name)) != NFS3_OK)
		goto out;
	if (strcmp(name, ".") == 0) {
		r->status = NFS3ERR_INVAL;
		goto out;
	}
	if (strcmp(name, "..") == 0) {
		r->status = want_dir ? NFS3ERR_NOTEMPTY : NFS3ERR_INVAL;
		goto out;
	}
	int rc = ex->ops->lookup(ex->bex, &c->cred, &dir.bh, name, &bh, &oattr);
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		goto out;
	}
	if (want_dir && oattr.type != BACKEND_DIR) {
		r->status = NFS3ERR_NOTDIR;
		goto out;
	}
	if (!want_dir && oattr.type == BACKEND_DIR) {
		r->status = NFS3ERR_ISDIR;
		goto out;
	}
	if ((r->status = nfs3_dirdeleg_break(c, &dir)) != NFS3_OK)
		goto out;
	if (oattr.type == BACKEND_REG) {
		struct fh obj = {.kind = FH_EXPORT, .export = ex, .bh = bh};
		if ((r->status = nfs3_deleg_break(c, &obj, true)) != NFS3_OK)
			goto out;
	}
	rc = ex->ops->remove(ex->bex, &c->cred, &dir.bh, name);
	if (rc != 0) {
		r->status = nfs3_errno(rc);
		goto out;
	}
	nfs3_durable_note(c, ex, &dir.bh, BACKEND_SYNC_ENTRIES);
out:
	nfs3_post_now(c, &dir, &r->wcc.after);
}

void nfs3_remove(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	remove_common(c, &a->dirop, r, false);
}

void nfs3_rmdir(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	remove_common(c, &a->dirop, r, true);
}

void nfs3_rename(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_rename_args *ra = &a->rename;
	struct fh from, to;
	struct backend_attr fattr, tattr;
	if ((r->status = change_dir(c, &ra->from.dir, &from, &fattr, &r->wcc)) != NFS3_OK)
		return;
	if ((r->status = change_dir(c, &ra->to.dir, &to, &tattr, &r->wcc2)) != NFS3_OK) {
		nfs3_post_from(from.export, &fattr, &r->wcc.after);
		return;
	}
	struct export *ex = from.export;
	char fname[BACKEND_NAME_MAX + 1], tname[BACKEND_NAME_MAX + 1];
	if (to.export != from.export) {
		r->status = NFS3ERR_XDEV;
	} else if ((r->status = nfs3_name(&ra->from.name, fname)) != NFS3_OK ||
		   (r->status = nfs3_name(&ra->to.name, tname)) != NFS3_OK) {
	} else if (is_dot(fname) || is_dot(tname)) {
		r->status = NFS3ERR_INVAL;
	} else if ((r->status = nfs3_deleg_break_name(c, &from, fname)) != NFS3_OK ||
		   (r->status = nfs3_deleg_break_name(c, &to, tname)) != NFS3_OK ||
		   (r->status = nfs3_dirdeleg_break(c, &from)) != NFS3_OK ||
		   (r->status = nfs3_dirdeleg_break(c, &to)) != NFS3_OK) {
	} else {
		int rc = ex->ops->rename(ex->bex, &c->cred, &from.bh, fname, &to.bh, tname);
		r->status = nfs3_errno(rc);
		if (rc == 0) {
			nfs3_durable_note(c, ex, &from.bh, BACKEND_SYNC_ENTRIES);
			nfs3_durable_note(c, ex, &to.bh, BACKEND_SYNC_ENTRIES);
		}
	}
	nfs3_post_now(c, &from, &r->wcc.after);
	nfs3_post_now(c, &to, &r->wcc2.after);
}

void nfs3_link(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	(void)encoded;
	struct nfs3_link_args *la = &a->link;
	struct fh file, dir;
	struct backend_attr oattr, dattr;
	if ((r->status = nfs3_resolve_post(c, &la->file, &file, &oattr, &r->attr)) != NFS3_OK)
		return;
	if ((r->status = change_dir(c, &la->link.dir, &dir, &dattr, &r->wcc)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	char name[BACKEND_NAME_MAX + 1];
	if (file.export != dir.export) {
		r->status = NFS3ERR_XDEV;
	} else if (oattr.type == BACKEND_DIR) {
		r->status = NFS3ERR_ISDIR;
	} else if ((r->status = nfs3_name(&la->link.name, name)) != NFS3_OK) {
	} else if (is_dot(name)) {
		r->status = NFS3ERR_EXIST;
	} else if ((r->status = nfs3_deleg_break(c, &file, true)) != NFS3_OK ||
		   (r->status = nfs3_dirdeleg_break(c, &dir)) != NFS3_OK) {
	} else {
		int rc = ex->ops->link(ex->bex, &c->cred, &file.bh, &dir.bh, name);
		r->status = nfs3_errno(rc);
		if (rc == 0) {
			nfs3_durable_note(c, ex, &dir.bh, BACKEND_SYNC_ENTRIES);
			nfs3_durable_note(c, ex, &file.bh, BACKEND_SYNC_NEW | BACKEND_SYNC_ATTRS);
		}
	}
	nfs3_post_now(c, &file, &r->attr);
	nfs3_post_now(c, &dir, &r->wcc.after);
}
