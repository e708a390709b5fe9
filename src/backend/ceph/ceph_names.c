/* The ceph back end's names: lookups, creates, removes, renames, links and
 * listings, each made by libcephfs with the caller's identity. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"

/* The directory h for a call by cred: held, with cred's UserPerm. */
struct cephfs_dir_call {
	struct cephfs_obj dir;
	struct cephfs_perm perm;
};

static int cephfs_call_begin(struct cephfs_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *dir, const char *name,
			     struct cephfs_dir_call *c)
{
	int rc = name ? backend_name_check(name) : 0;

	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	rc = cephfs_obj_get_typed(ex, dir, BACKEND_DIR, -ENOTDIR, &c->dir);
	if (rc)
		return rc;
	if (cephfs_perm_init(&c->perm, cred)) {
		cephfs_obj_put(ex, &c->dir);
		return -ENOMEM;
	}
	return 0;
}

/* Around a change of c's directory (see cephfs_dirwatch_begin). */
static void cephfs_change_begin(struct cephfs_export *ex, struct cephfs_dir_call *c)
{
	cephfs_dirwatch_begin(ex, c->dir.ino, c->dir.snapid);
}

static void cephfs_change_end(struct cephfs_export *ex, struct cephfs_dir_call *c,
			      unsigned changes)
{
	cephfs_dirwatch_end(ex, c->dir.ino, c->dir.snapid, changes);
}

static void cephfs_call_end(struct cephfs_export *ex, struct cephfs_dir_call *c)
{
	cephfs_perm_fini(&c->perm);
	cephfs_obj_put(ex, &c->dir);
}

/* name in c's directory (libcephfs's answer as cephfs_err's), its
 * attributes of mask in *stx; *in held on success. */
static int cephfs_lookup_in(struct cephfs_export *ex, struct cephfs_dir_call *c, const char *name,
			    unsigned mask, struct Inode **in, struct ceph_statx *stx)
{
	return cephfs_err(ex, CEPHFS_CALL(ex, lookup,
					  ceph_ll_lookup(ex->cm, c->dir.in, name, in, stx, mask,
							 AT_SYMLINK_NOFOLLOW, c->perm.up)));
}

/* The handle and attributes of a new or found inode, and its reference
 * dropped. */
static void cephfs_found(struct cephfs_export *ex, struct Inode *in, const struct ceph_statx *stx,
			 struct backend_handle *out, struct backend_attr *attr)
{
	if (out)
		cephfs_handle_from_statx(stx, out);
	if (attr)
		cephfs_attr_from_statx(stx, attr);
	ceph_ll_put(ex->cm, in);
}

/* LOOKUP of name in dir, or of its parent when name is NULL (none above
 * the export's root: -ENOENT). */
static int cephfs_lookup_at(struct backend_export *bex, const struct backend_cred *cred,
			    const struct backend_handle *dir, const char *name,
			    struct backend_handle *out, struct backend_attr *attr)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct ceph_statx stx;
	struct Inode *in;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);

	if (rc)
		return rc;
	if (!name && c.dir.ino == ex->root_ino && c.dir.snapid == ex->root_snapid) {
		cephfs_call_end(ex, &c);
		return -ENOENT;
	}
	rc = cephfs_lookup_in(ex, &c, name ? name : "..", CEPH_WANT_ATTRS, &in, &stx);
	if (!rc && !name && !S_ISDIR(stx.stx_mode)) {
		ceph_ll_put(ex->cm, in);
		rc = -ENOTDIR;
	} else if (!rc) {
		cephfs_found(ex, in, &stx, out, attr);
	}
	cephfs_call_end(ex, &c);
	return rc;
}

int cephfs_lookup(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *dir, const char *name, struct backend_handle *out,
		  struct backend_attr *attr)
{
	return cephfs_lookup_at(bex, cred, dir, name, out, attr);
}

int cephfs_lookup_parent(struct backend_export *bex, const struct backend_cred *cred,
			 const struct backend_handle *dir, struct backend_handle *out,
			 struct backend_attr *attr)
{
	return cephfs_lookup_at(bex, cred, dir, NULL, out, attr);
}

/* The mode (type and permission bits) and inode number of name in c's
 * directory; nothing held after. */
static int cephfs_lookup_mode(struct cephfs_export *ex, struct cephfs_dir_call *c,
			      const char *name, uint32_t *mode, uint64_t *ino)
{
	struct ceph_statx stx;
	struct Inode *in;
	int rc = cephfs_lookup_in(ex, c, name, CEPH_STATX_MODE | CEPH_STATX_INO, &in, &stx);

	if (!rc) {
		ceph_ll_put(ex->cm, in);
		*mode = stx.stx_mode;
		*ino = stx.stx_ino;
	}
	return rc;
}

/* A create's end: the new inode's handle and attributes when rc is 0,
 * else the inode (if any) let go of; c ended either way.  Returns rc. */
static int cephfs_made(struct cephfs_export *ex, struct cephfs_dir_call *c, int rc,
		       struct Inode *in, const struct ceph_statx *stx, struct backend_handle *out,
		       struct backend_attr *attr)
{
	if (!rc)
		cephfs_found(ex, in, stx, out, attr);
	else if (in)
		ceph_ll_put(ex->cm, in);
	cephfs_call_end(ex, c);
	return rc;
}

/* What a create's attributes leave to a SETATTR after it: the owner, and
 * (for files that existed) the size. */
static int cephfs_apply_after_create(struct cephfs_export *ex, const struct backend_cred *cred,
				     struct Inode *in, const struct backend_setattr *sa,
				     uint32_t mask, struct ceph_statx *stx)
{
	if (!sa || !(sa->mask & mask))
		return 0;
	struct backend_setattr rest = *sa;
	rest.mask &= mask;
	struct cephfs_obj o = { .in = in, .ino = stx->stx_ino, .snapid = (uint64_t)stx->stx_dev };
	struct backend_attr a;
	int rc = cephfs_setattr_obj(ex, cred, &o, &rest, &a);
	if (rc)
		return rc;
	return cephfs_err(ex, CEPHFS_CALL(ex, getattr,
					  ceph_ll_getattr(ex->cm, in, stx, CEPH_WANT_ATTRS, 0,
							  ceph_mount_perms(ex->cm))));
}

int cephfs_create_file(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *dir, const char *name,
		       enum backend_create_mode how, const uint8_t verifier[8],
		       const struct backend_setattr *sa, struct backend_handle *out,
		       struct backend_attr *attr, bool *created)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct ceph_statx stx;
	struct Inode *in = NULL;
	struct Fh *fh = NULL;
	/* Without a mode the file gets none, as with nfsd and the other back
	 * ends: the client sets it next (EXCLUSIVE creates carry no
	 * attributes). */
	uint32_t mode = sa && (sa->mask & BACKEND_SET_MODE) ? sa->mode & 07777 : 0;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);

	if (rc)
		return rc;
	*created = false;
	/* Open for writing too: the WRITE that usually follows a create then
	 * goes through this file (kept with the open files), where another
	 * open would be one more request to the MDS, and closing this one
	 * would hand back the capabilities the write asks for again. */
	int oflags = O_CREAT | O_EXCL | O_RDWR;
	cephfs_change_begin(ex, &c);
	rc = cephfs_err(
	    ex, CEPHFS_CALL(ex, create,
			    ceph_ll_create(ex->cm, c.dir.in, name, S_IFREG | mode, oflags, &in, &fh,
					   &stx, CEPH_WANT_ATTRS, AT_SYMLINK_NOFOLLOW, c.perm.up)));
	if (rc == 0) {
		*created = true;
		struct backend_setattr rest = { 0 };
		if (sa)
			rest = *sa;
		rest.mask &= ~(uint32_t)BACKEND_SET_MODE;
		if (how == BACKEND_CREATE_EXCLUSIVE) {
			rest.mask |= BACKEND_SET_ATIME | BACKEND_SET_MTIME;
			rest.mask &= ~(uint32_t)(BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME_NOW);
			backend_verifier_to_times(verifier, &rest.atime, &rest.mtime);
		}
		rc = cephfs_apply_after_create(ex, cred, in, &rest, ~0u, &stx);
		if (rc) {
			/* A file that cannot be made what was asked is not left
			 * behind. */
			CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, fh));
			ceph_ll_put(ex->cm, in);
			int gone = CEPHFS_CALL(
			    ex, unlink, ceph_ll_unlink(ex->cm, c.dir.in, name, c.perm.up));
			cephfs_change_end(ex, &c, gone == 0 ? 2 : 1);
			cephfs_call_end(ex, &c);
			return rc;
		}
		cephfs_change_end(ex, &c, 1);
		cephfs_file_adopt(ex, stx.stx_ino, (uint64_t)stx.stx_dev, fh);
		cephfs_found(ex, in, &stx, out, attr);
		cephfs_call_end(ex, &c);
		return 0;
	}
	cephfs_change_end(ex, &c, 0);
	if (rc != -EEXIST || how == BACKEND_CREATE_GUARDED) {
		cephfs_call_end(ex, &c);
		return rc;
	}
	/* It exists: UNCHECKED opens it (applying only the size), EXCLUSIVE
	 * answers for it when its verifier is ours (a retried create). */
	rc = cephfs_lookup_in(ex, &c, name, CEPH_WANT_ATTRS, &in, &stx);
	if (rc) {
		cephfs_call_end(ex, &c);
		return rc;
	}
	if (S_ISDIR(stx.stx_mode))
		rc = -EISDIR;
	else if (!S_ISREG(stx.stx_mode))
		rc = -EEXIST;
	else if (how == BACKEND_CREATE_EXCLUSIVE &&
		 !backend_verifier_matches(verifier, &stx.stx_atime, &stx.stx_mtime))
		rc = -EEXIST;
	else if (how == BACKEND_CREATE_UNCHECKED)
		rc = cephfs_apply_after_create(ex, cred, in, sa, BACKEND_SET_SIZE, &stx);
	if (rc)
		ceph_ll_put(ex->cm, in);
	else
		cephfs_found(ex, in, &stx, out, attr);
	cephfs_call_end(ex, &c);
	return rc;
}

int cephfs_mknod(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *dir, const char *name, enum backend_ftype type,
		 uint32_t rdev_major, uint32_t rdev_minor, const struct backend_setattr *sa,
		 struct backend_handle *out, struct backend_attr *attr)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct ceph_statx stx;
	struct Inode *in = NULL;
	uint32_t perm = sa && (sa->mask & BACKEND_SET_MODE) ? sa->mode & 07777 : 0;
	uint32_t fmt = backend_ftype_mode(type);

	/* Regular files and links have their own calls. */
	if (!fmt || type == BACKEND_REG || type == BACKEND_LNK)
		return -EINVAL;
	/* Devices are made by root alone (CAP_MKNOD), which libcephfs does
	 * not check. */
	if ((type == BACKEND_BLK || type == BACKEND_CHR) && cred->uid != 0)
		return -EPERM;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);
	if (rc)
		return rc;
	/* A new directory takes permissions and sticky, not the set-ID
	 * bits (the MDS gives it set-group-ID from a parent that has it). */
	cephfs_change_begin(ex, &c);
	if (type == BACKEND_DIR)
		rc = CEPHFS_CALL(ex, mkdir,
				 ceph_ll_mkdir(ex->cm, c.dir.in, name, perm & 01777, &in, &stx,
					       CEPH_WANT_ATTRS, AT_SYMLINK_NOFOLLOW, c.perm.up));
	else
		rc = CEPHFS_CALL(ex, mknod,
				 ceph_ll_mknod(ex->cm, c.dir.in, name, fmt | perm,
					       makedev(rdev_major, rdev_minor), &in, &stx,
					       CEPH_WANT_ATTRS, AT_SYMLINK_NOFOLLOW, c.perm.up));
	cephfs_change_end(ex, &c, rc == 0);
	rc = cephfs_err(ex, rc);
	if (!rc)
		rc = cephfs_apply_after_create(
		    ex, cred, in, sa, ~(uint32_t)(BACKEND_SET_MODE | BACKEND_SET_SIZE), &stx);
	return cephfs_made(ex, &c, rc, in, &stx, out, attr);
}

int cephfs_symlink(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *dir, const char *name, const char *target,
		   const struct backend_setattr *sa, struct backend_handle *out,
		   struct backend_attr *attr)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct ceph_statx stx;
	struct Inode *in = NULL;

	if (!target[0])
		return -ENOENT;
	if (strnlen(target, BACKEND_PATH_MAX) >= BACKEND_PATH_MAX)
		return -ENAMETOOLONG;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);
	if (rc)
		return rc;
	cephfs_change_begin(ex, &c);
	rc = cephfs_err(
	    ex, CEPHFS_CALL(ex, symlink,
			    ceph_ll_symlink(ex->cm, c.dir.in, name, target, &in, &stx,
					    CEPH_WANT_ATTRS, AT_SYMLINK_NOFOLLOW, c.perm.up)));
	cephfs_change_end(ex, &c, rc == 0);
	/* A symbolic link's mode means nothing; its owner may be set. */
	if (!rc)
		rc = cephfs_apply_after_create(ex, cred, in, sa,
					       BACKEND_SET_UID | BACKEND_SET_GID |
						   BACKEND_SET_ATIME | BACKEND_SET_MTIME |
						   BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME_NOW,
					       &stx);
	return cephfs_made(ex, &c, rc, in, &stx, out, attr);
}

int cephfs_readlink(struct backend_export *bex, const struct backend_handle *h, char *buf,
		    size_t cap, size_t *len)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	struct ceph_statx stx;
	int rc = cephfs_obj_get_stat(ex, h, &o, &stx);

	if (rc)
		return rc;
	if (!S_ISLNK(stx.stx_mode))
		rc = -EINVAL;
	if (!rc) {
		rc =
		    CEPHFS_CALL(ex, readlink,
				ceph_ll_readlink(ex->cm, o.in, buf, cap, ceph_mount_perms(ex->cm)));
		if (rc >= 0 && (size_t)rc >= cap && stx.stx_size >= cap)
			rc = -ENAMETOOLONG;
		if (rc >= 0) {
			*len = (size_t)rc;
			rc = 0;
		} else {
			rc = cephfs_err(ex, rc);
		}
	}
	cephfs_obj_put(ex, &o);
	return rc;
}

int cephfs_remove(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *dir, const char *name)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	uint32_t mode;
	uint64_t ino;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);

	if (rc)
		return rc;
	rc = cephfs_lookup_mode(ex, &c, name, &mode, &ino);
	if (!rc) {
		/* The read cache's delegation goes first: the MDS would
		 * recall it before removing the name. */
		if (!S_ISDIR(mode))
			cephfs_cache_drop(ex, ino, c.dir.snapid);
		cephfs_change_begin(ex, &c);
		rc = S_ISDIR(mode)
			 ? CEPHFS_CALL(ex, rmdir, ceph_ll_rmdir(ex->cm, c.dir.in, name, c.perm.up))
			 : CEPHFS_CALL(ex, unlink,
				       ceph_ll_unlink(ex->cm, c.dir.in, name, c.perm.up));
		cephfs_change_end(ex, &c, rc == 0);
		if (rc == 0 && !S_ISDIR(mode))
			cephfs_file_drop_removed(ex, ino, c.dir.snapid);
		if (rc == 0)
			cephfs_inode_drop(ex, ino, c.dir.snapid);
		rc = cephfs_err(ex, rc);
	}
	cephfs_call_end(ex, &c);
	return rc;
}

/* rename(2)'s answers where the MDS can give others: a file over a
 * directory is EISDIR (the MDS says ENOTEMPTY when the directory has
 * entries and this client's cache does not know it), a directory over a
 * file ENOTDIR.  0 when the types allow the rename (or there is no
 * target); over says whether there is another file there, noop whether
 * both names are the same file's. */
static int cephfs_rename_types(struct cephfs_export *ex, struct cephfs_dir_call *c,
			       const char *from_name, struct cephfs_obj *to, const char *to_name,
			       bool *over, bool *noop, uint64_t *replaced)
{
	struct ceph_statx from_stx, to_stx;
	struct Inode *in;
	*over = *noop = false;
	int rc = cephfs_lookup_in(ex, c, from_name, CEPH_STATX_MODE | CEPH_STATX_INO, &in, &from_stx);
	if (rc)
		return rc;
	ceph_ll_put(ex->cm, in);
	rc = CEPHFS_CALL(ex, lookup,
			 ceph_ll_lookup(ex->cm, to->in, to_name, &in, &to_stx,
					CEPH_STATX_MODE | CEPH_STATX_INO, AT_SYMLINK_NOFOLLOW,
					c->perm.up));
	if (rc)
		return 0; /* no target, or one the rename itself will judge */
	ceph_ll_put(ex->cm, in);
	/* The same file under both names: rename(2) does nothing (nor
	 * does the MDS). */
	*over = to_stx.stx_ino != from_stx.stx_ino;
	*noop = !*over;
	*replaced = to_stx.stx_ino;
	if (S_ISDIR(to_stx.stx_mode) && !S_ISDIR(from_stx.stx_mode))
		return -EISDIR;
	if (!S_ISDIR(to_stx.stx_mode) && S_ISDIR(from_stx.stx_mode))
		return -ENOTDIR;
	return 0;
}

int cephfs_rename(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *from_dir, const char *from_name,
		  const struct backend_handle *to_dir, const char *to_name)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct cephfs_obj to;
	bool over = false, noop = false;
	uint64_t replaced = 0;
	int rc = backend_name_check(to_name);

	if (rc)
		return rc;
	rc = cephfs_call_begin(ex, cred, from_dir, from_name, &c);
	if (rc)
		return rc;
	rc = cephfs_obj_get(ex, to_dir, &to);
	if (!rc && to.type != BACKEND_DIR)
		rc = -ENOTDIR;
	else if (!rc)
		rc = cephfs_rename_types(ex, &c, from_name, &to, to_name, &over, &noop, &replaced);
	if (!rc) {
		/* The MDS raises the change attribute of a directory the
		 * name moves within by two, of each of two directories by
		 * one, and the target's by one more for an entry renamed
		 * over (measured, docs/DECISIONS.md). */
		bool within = to.ino == c.dir.ino && to.snapid == c.dir.snapid;
		if (over)
			cephfs_cache_drop(ex, replaced, to.snapid); /* as remove's */
		cephfs_change_begin(ex, &c);
		if (!within)
			cephfs_dirwatch_begin(ex, to.ino, to.snapid);
		rc = cephfs_err(ex, CEPHFS_CALL(ex, rename,
						ceph_ll_rename(ex->cm, c.dir.in, from_name, to.in,
							       to_name, c.perm.up)));
		unsigned in_to = rc || noop ? 0 : 1 + over;
		if (!rc && over)
			cephfs_inode_drop(ex, replaced, to.snapid);
		if (within) {
			cephfs_change_end(ex, &c, rc || noop ? 0 : 1 + in_to);
		} else {
			cephfs_dirwatch_end_moved_out(ex, c.dir.ino, c.dir.snapid, rc ? 0 : 1);
			cephfs_dirwatch_end(ex, to.ino, to.snapid, in_to);
		}
	}
	cephfs_obj_put(ex, &to);
	cephfs_call_end(ex, &c);
	return rc;
}

int cephfs_link(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *h, const struct backend_handle *dir, const char *name)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct cephfs_obj o;
	int rc = cephfs_call_begin(ex, cred, dir, name, &c);

	if (rc)
		return rc;
	rc = cephfs_obj_get(ex, h, &o);
	if (!rc) {
		cephfs_change_begin(ex, &c);
		rc = cephfs_err(
		    ex,
		    CEPHFS_CALL(ex, link, ceph_ll_link(ex->cm, o.in, c.dir.in, name, c.perm.up)));
		cephfs_change_end(ex, &c, rc == 0);
		cephfs_obj_put(ex, &o);
	}
	cephfs_call_end(ex, &c);
	return rc;
}

/* Listing cookies are libcephfs's directory offsets: in a directory listed
 * in hash order (CephFS's way for every directory its MDS serves since
 * Luminous) an offset is made of the name's hash, so it stays valid while
 * its entry exists, across restarts and on any client.
 *
 * A READDIR that stops before the end keeps its open listing, with the
 * entry it read but did not hand out, for the READDIR that goes on from
 * there: opened afresh at an offset, libcephfs asks the MDS for the
 * directory again (tens of ms for thousands of entries), and only a
 * listing read through to its end in one piece lets libcephfs serve the
 * next ones from its cache. */
enum {
	CEPHFS_LISTINGS_MAX = 64,
	CEPHFS_LISTING_KEEP_MS = 10000,
};

struct cephfs_listing {
	uint64_t ino, snapid;
	uint64_t cookie; /* where the next READDIR resumes */
	struct ceph_dir_result *dirp;
	bool pending; /* de and stx were read and not handed out */
	struct dirent de;
	struct ceph_statx stx;
	uint64_t pending_cookie; /* the cookie after the pending entry */
	uint64_t kept_ms;
};

struct cephfs_listings {
	pthread_mutex_t lock;
	struct cephfs_listing *slot[CEPHFS_LISTINGS_MAX];
};

static void cephfs_listing_free(struct cephfs_export *ex, struct cephfs_listing *l)
{
	if (l->dirp)
		ceph_ll_releasedir(ex->cm, l->dirp);
	free(l);
}

int cephfs_listings_open(struct cephfs_export *ex)
{
	ex->listings = calloc(1, sizeof(*ex->listings));
	if (!ex->listings)
		return -ENOMEM;
	pthread_mutex_init(&ex->listings->lock, NULL);
	return 0;
}

void cephfs_listings_close(struct cephfs_export *ex)
{
	struct cephfs_listings *t = ex->listings;

	if (!t)
		return;
	for (unsigned i = 0; i < CEPHFS_LISTINGS_MAX; i++)
		if (t->slot[i])
			cephfs_listing_free(ex, t->slot[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
	ex->listings = NULL;
}

/* The listing kept for (ino, snapid) at cookie, taken out; NULL if none. */
static struct cephfs_listing *cephfs_listing_take(struct cephfs_export *ex, uint64_t ino,
						  uint64_t snapid, uint64_t cookie)
{
	struct cephfs_listings *t = ex->listings;
	struct cephfs_listing *l = NULL;

	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < CEPHFS_LISTINGS_MAX && !l; i++) {
		struct cephfs_listing *x = t->slot[i];
		if (x && x->ino == ino && x->snapid == snapid && x->cookie == cookie) {
			l = x;
			t->slot[i] = NULL;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return l;
}

/* Keeps l for the next READDIR, in a free slot, else instead of the
 * oldest; listings kept too long go. */
static void cephfs_listing_keep(struct cephfs_export *ex, struct cephfs_listing *l)
{
	struct cephfs_listings *t = ex->listings;
	struct cephfs_listing *out[CEPHFS_LISTINGS_MAX];
	unsigned nout = 0, free_slot = CEPHFS_LISTINGS_MAX, oldest = 0;
	uint64_t now = clock_now_coarse_ms();

	l->kept_ms = now;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < CEPHFS_LISTINGS_MAX; i++) {
		struct cephfs_listing *x = t->slot[i];
		if (x && now - x->kept_ms > CEPHFS_LISTING_KEEP_MS) {
			out[nout++] = x;
			t->slot[i] = x = NULL;
		}
		if (!x && free_slot == CEPHFS_LISTINGS_MAX)
			free_slot = i;
		if (x && t->slot[oldest] && x->kept_ms < t->slot[oldest]->kept_ms)
			oldest = i;
	}
	if (free_slot == CEPHFS_LISTINGS_MAX) {
		out[nout++] = t->slot[oldest];
		free_slot = oldest;
	}
	t->slot[free_slot] = l;
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = 0; i < nout; i++)
		cephfs_listing_free(ex, out[i]);
}

int cephfs_readdir(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *dir, uint64_t cookie,
		   const struct backend_keep_key *keep, backend_dirent_fn fn, void *ctx, bool *eof)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dir_call c;
	struct cephfs_listing *l = NULL;
	int rc = cephfs_call_begin(ex, cred, dir, NULL, &c);

	(void)keep;
	if (rc)
		return rc;
	/* Cookies 1 and 2 are libcephfs's "." and "..", never handed out. */
	if (cookie == 1 || cookie == 2) {
		cephfs_call_end(ex, &c);
		return -EINVAL;
	}
	/* libcephfs lets anyone open a directory for listing; listing needs
	 * read permission, and the entries' attributes search permission. */
	struct ceph_statx dstx;
	struct backend_attr da;
	rc = cephfs_obj_stat(ex, &c.dir, &dstx);
	if (!rc) {
		cephfs_attr_from_statx(&dstx, &da);
		if (!cephfs_may(ex, c.dir.in, cred, &da, BACKEND_ACCESS_READ))
			rc = -EACCES;
	}
	if (!rc && cookie)
		l = cephfs_listing_take(ex, c.dir.ino, c.dir.snapid, cookie);
	if (!rc && !l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			rc = -ENOMEM;
		else
			rc = cephfs_err(ex, CEPHFS_CALL(ex, opendir,
							ceph_ll_opendir(ex->cm, c.dir.in, &l->dirp,
									c.perm.up)));
		if (!rc && cookie)
			ceph_seekdir(ex->cm, l->dirp, (int64_t)cookie);
	}
	if (rc) {
		if (l)
			cephfs_listing_free(ex, l);
		cephfs_call_end(ex, &c);
		return rc;
	}
	l->ino = c.dir.ino;
	l->snapid = c.dir.snapid;
	bool search = cephfs_may(ex, c.dir.in, cred, &da, BACKEND_ACCESS_EXEC);
	uint64_t last = cookie;
	*eof = false;
	for (;;) {
		uint64_t after;
		if (l->pending) {
			l->pending = false;
			after = l->pending_cookie;
		} else {
			struct Inode *in = NULL;
			/* The attributes the MDS sent with the listing, as they
			 * were when it listed: asking each entry's own (the
			 * default) costs an MDS round trip per entry whose
			 * capabilities this client does not hold. */
			int n = CEPHFS_CALL(
			    ex, readdirplus,
			    ceph_readdirplus_r(ex->cm, l->dirp, &l->de, &l->stx, CEPH_WANT_ATTRS,
					       AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, &in));
			if (in)
				ceph_ll_put(ex->cm, in);
			if (n < 0) {
				rc = cephfs_err(ex, n);
				break;
			}
			if (n == 0) {
				*eof = true;
				break;
			}
			after = (uint64_t)ceph_telldir(ex->cm, l->dirp);
			if (strcmp(l->de.d_name, ".") == 0 || strcmp(l->de.d_name, "..") == 0)
				continue;
		}
		struct backend_handle h;
		struct backend_attr a;
		cephfs_handle_from_statx(&l->stx, &h);
		cephfs_attr_from_statx(&l->stx, &a);
		struct backend_dirent ent = {
			.name = l->de.d_name,
			.namelen = strlen(l->de.d_name),
			.cookie = after,
			.handle = &h,
			.attr = search ? &a : NULL,
		};
		if (!fn(ctx, &ent)) {
			/* Not consumed: handed out first by the READDIR that
			 * resumes after the last one that was. */
			l->pending = true;
			l->pending_cookie = after;
			l->cookie = last;
			cephfs_listing_keep(ex, l);
			l = NULL;
			break;
		}
		last = after;
	}
	if (l)
		cephfs_listing_free(ex, l);
	cephfs_call_end(ex, &c);
	return rc;
}
