/* The ceph back end: a directory of a CephFS file system, through
 * libcephfs's low-level calls.
 *
 * Each export is one CephFS client (one MDS session) mounted at the
 * export's directory.  Objects are named by their CephFS inode number and
 * snapshot id, which every client of the file system sees the same, so a
 * handle outlives a restart of ferryd and means the same on any ferryd
 * serving the file system; a handle is resolved with a lookup by inode
 * number, which the MDS answers when the client's cache does not.
 *
 * Every call acts with the caller's identity (a UserPerm of the squashed
 * uid, gid and groups), and libcephfs checks permissions for it: names,
 * attributes and extended attributes.  Data is read and written through an
 * open file; who may read or write is decided per request from the file's
 * mode and owner (cephfs_data_open), as the local back end lets the kernel
 * decide it, with nfsd's owner override.
 *
 * One concern per file: this one opens and closes exports, resolves
 * handles and converts attributes; names are in ceph_names.c, data and
 * attributes changes in ceph_io.c, extended attributes in ceph_xattr.c,
 * delegations in ceph_lease.c, directory watches in ceph_dirwatch.c, the
 * session across
 * restarts in ceph_session.c, the open files I/O goes through in
 * ceph_files.c, the state the control plane shows in ceph_status.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "backend/ceph/ceph_client.h"
#include "backend/ceph/ceph_internal.h"
#include "core/log.h"

enum {
	CEPH_HANDLE_VERSION = 1,
	CEPH_HANDLE_LEN = 1 + 8 + 8, /* version, inode number, snapshot id */
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void cephfs_handle_make(uint64_t ino, uint64_t snapid, struct backend_handle *out)
{
	memset(out, 0, sizeof(*out));
	out->len = CEPH_HANDLE_LEN;
	out->data[0] = CEPH_HANDLE_VERSION;
	put_u64(out->data + 1, ino);
	put_u64(out->data + 9, snapid);
}

int cephfs_err(struct cephfs_export *ex, int rc)
{
	if (rc == -ENOTCONN || rc == -ESHUTDOWN) {
		/* The cluster evicted this client (its session timed out, or
		 * it was blocklisted): nothing on this mount works any more. */
		static atomic_bool told;
		if (!atomic_exchange(&told, true))
			log_error("ceph: the mount of %s is no longer connected (%s): restart "
				  "ferryd",
				  ex->path, strerror(-rc));
		return -EIO;
	}
	return rc;
}

int cephfs_handle_parse(const struct backend_handle *h, uint64_t *ino, uint64_t *snapid)
{
	if (h->len != CEPH_HANDLE_LEN || h->data[0] != CEPH_HANDLE_VERSION)
		return -EBADF;
	*ino = get_u64(h->data + 1);
	*snapid = get_u64(h->data + 9);
	return 0;
}

/* cephfs_obj_get, whose check also reads want (0: nothing more) into *stx:
 * then fresh attributes (the MDS asked when the client's capabilities do
 * not cover them), as cephfs_obj_stat reads them. */
static int cephfs_obj_resolve(struct cephfs_export *ex, const struct backend_handle *h,
			      struct cephfs_obj *o, unsigned want, struct ceph_statx *stx)
{
	o->in = NULL;
	o->kept = NULL;
	if (cephfs_handle_parse(h, &o->ino, &o->snapid))
		return -EBADF;
	/* An inode kept from an earlier request is checked (below) without
	 * a lookup (ceph_inodes.c). */
	o->kept = cephfs_inode_get(ex, o->ino, o->snapid, &o->in);
	if (!o->kept) {
		vinodeno_t vino = { .ino = { o->ino }, .snapid = { o->snapid } };
		int rc = CEPHFS_CALL(ex, lookup_vino, ceph_ll_lookup_vino(ex->cm, vino, &o->in));
		if (rc == -ENOENT || rc == -ESTALE || rc == -EINVAL)
			return -ESTALE;
		if (rc)
			return cephfs_err(ex, rc);
		o->kept = cephfs_inode_keep(ex, o->ino, o->snapid, &o->in);
	}
	/* What the client's cache knows: a lookup by number may answer with
	 * the live inode for a snapshot id it does not know, and keeps an
	 * unlinked inode while it holds capabilities on it.  A snapshot's
	 * inode is made up for any snapshot id asked, so the MDS is asked
	 * whether that snapshot exists (-EINVAL when not). */
	struct ceph_statx own;
	if (!stx)
		stx = &own;
	unsigned flags = o->snapid != CEPH_NOSNAP ? AT_STATX_FORCE_SYNC
			 : want			  ? 0
						  : AT_STATX_DONT_SYNC;
	int rc = CEPHFS_CALL(ex, getattr,
			     ceph_ll_getattr(ex->cm, o->in, stx,
					     want | CEPH_STATX_INO | CEPH_STATX_MODE |
						 CEPH_STATX_NLINK,
					     flags, ceph_mount_perms(ex->cm)));
	if (rc == -EINVAL)
		rc = -ESTALE;
	if (!rc &&
	    (stx->stx_ino != o->ino || (uint64_t)stx->stx_dev != o->snapid || stx->stx_nlink == 0))
		rc = -ESTALE;
	if (rc) {
		/* Looked up again next time. */
		if (o->kept)
			cephfs_inode_forget(ex, o->kept);
		cephfs_obj_put(ex, o);
		return rc == -ENOENT ? -ESTALE : cephfs_err(ex, rc);
	}
	o->type = backend_ftype_of_mode(stx->stx_mode);
	if (o->kept)
		cephfs_inode_note_type(o->kept, o->type);
	return 0;
}

int cephfs_obj_get(struct cephfs_export *ex, const struct backend_handle *h, struct cephfs_obj *o)
{
	return cephfs_obj_resolve(ex, h, o, 0, NULL);
}

void cephfs_obj_put(struct cephfs_export *ex, struct cephfs_obj *o)
{
	if (o->kept)
		cephfs_inode_put(ex, o->kept);
	else if (o->in)
		ceph_ll_put(ex->cm, o->in);
	o->in = NULL;
	o->kept = NULL;
}

struct Inode *cephfs_obj_take(struct cephfs_export *ex, struct cephfs_obj *o)
{
	struct Inode *in = o->in;

	if (o->kept) {
		vinodeno_t vino = { .ino = { o->ino }, .snapid = { o->snapid } };
		if (CEPHFS_CALL(ex, lookup_vino, ceph_ll_lookup_vino(ex->cm, vino, &in)) != 0)
			in = NULL;
		cephfs_obj_put(ex, o);
	}
	o->in = NULL;
	o->kept = NULL;
	return in;
}

int cephfs_obj_get_typed(struct cephfs_export *ex, const struct backend_handle *h,
			 enum backend_ftype type, int wrong, struct cephfs_obj *o)
{
	int rc = cephfs_obj_get(ex, h, o);

	if (!rc && o->type != type) {
		cephfs_obj_put(ex, o);
		rc = wrong;
	}
	return rc;
}

int cephfs_perm_init(struct cephfs_perm *p, const struct backend_cred *cred)
{
	uint32_t n = cred->ngids < BACKEND_MAX_GIDS ? cred->ngids : BACKEND_MAX_GIDS;

	for (uint32_t i = 0; i < n; i++)
		p->gids[i] = cred->gids[i];
	p->up = ceph_userperm_new(cred->uid, cred->gid, (int)n, n ? p->gids : NULL);
	return p->up ? 0 : -ENOMEM;
}

void cephfs_perm_fini(struct cephfs_perm *p)
{
	if (p->up)
		ceph_userperm_destroy(p->up);
	p->up = NULL;
}

void cephfs_attr_from_statx(const struct ceph_statx *stx, struct backend_attr *attr)
{
	BACKEND_ATTR_FROM_STATX(attr, stx);
	/* CephFS's change attribute: moved by every change of data or
	 * metadata, by any client. */
	attr->change = stx->stx_version;
	attr->rdev_major = major(stx->stx_rdev);
	attr->rdev_minor = minor(stx->stx_rdev);
	attr->atime = stx->stx_atime;
	attr->mtime = stx->stx_mtime;
	attr->ctime = stx->stx_ctime;
	if (stx->stx_mask & CEPH_STATX_BTIME)
		attr->btime = stx->stx_btime;
}

/* libcephfs reports an inode's snapshot id as its device (CEPH_NOSNAP
 * for the live file system). */
void cephfs_handle_from_statx(const struct ceph_statx *stx, struct backend_handle *h)
{
	cephfs_handle_make(stx->stx_ino, (uint64_t)stx->stx_dev, h);
}

int cephfs_obj_stat(struct cephfs_export *ex, struct cephfs_obj *o, struct ceph_statx *stx)
{
	int rc = CEPHFS_CALL(
	    ex, getattr,
	    ceph_ll_getattr(ex->cm, o->in, stx, CEPH_WANT_ATTRS, 0, ceph_mount_perms(ex->cm)));

	if (rc == -ENOENT || (rc == 0 && stx->stx_nlink == 0))
		return -ESTALE;
	return cephfs_err(ex, rc);
}

int cephfs_obj_get_stat(struct cephfs_export *ex, const struct backend_handle *h,
			struct cephfs_obj *o, struct ceph_statx *stx)
{
	/* One getattr both checks the handle and reads the attributes. */
	return cephfs_obj_resolve(ex, h, o, CEPH_WANT_ATTRS, stx);
}

int cephfs_attr_of(struct cephfs_export *ex, const struct backend_handle *h,
		   struct backend_attr *attr, uint64_t *snapid)
{
	struct cephfs_obj o;
	struct ceph_statx stx;
	int rc = cephfs_obj_get_stat(ex, h, &o, &stx);

	if (rc)
		return rc;
	cephfs_obj_put(ex, &o);
	cephfs_attr_from_statx(&stx, attr);
	if (snapid)
		*snapid = o.snapid;
	return 0;
}

bool cephfs_may(struct cephfs_export *ex, struct Inode *in, const struct backend_cred *cred,
		const struct backend_attr *a, uint32_t want)
{
	/* Root and the owner: what the mode says is what an ACL says. */
	if (cred->uid == 0 || cred->uid == a->uid)
		return backend_mode_may(cred, a->type, a->mode, a->uid, a->gid, want);
	/* Anyone else: the access ACL, when there is one (libcephfs keeps it
	 * with the inode's cached attributes; most objects have none). */
	uint8_t small[4 + 8 * 16], *val = small;
	int n = CEPHFS_CALL(ex, getxattr,
			    ceph_ll_getxattr(ex->cm, in, BACKEND_ACL_XATTR_ACCESS, small,
					     sizeof(small), ceph_mount_perms(ex->cm)));
	if (n == -ERANGE && (val = malloc(BACKEND_ACL_XATTR_MAX)))
		n = CEPHFS_CALL(ex, getxattr,
				ceph_ll_getxattr(ex->cm, in, BACKEND_ACL_XATTR_ACCESS, val,
						 BACKEND_ACL_XATTR_MAX, ceph_mount_perms(ex->cm)));
	struct backend_acl *acl = n > 0 ? malloc(sizeof(*acl)) : NULL;
	bool may;
	if (acl && backend_acl_from_xattr(val, (size_t)n, acl) == 0)
		may = backend_acl_may(acl, cred, a->uid, a->gid, want);
	else if (n > 0)
		may = false; /* an ACL that cannot be read grants nothing */
	else
		may = backend_mode_may(cred, a->type, a->mode, a->uid, a->gid, want);
	free(acl);
	if (val && val != small)
		free(val);
	return may;
}

int cephfs_data_check(struct cephfs_export *ex, const struct backend_cred *cred,
		      struct cephfs_obj *o, const struct ceph_statx *stx, bool write,
		      struct backend_attr *attr)
{
	cephfs_attr_from_statx(stx, attr);
	if (attr->type == BACKEND_DIR)
		return -EISDIR;
	if (attr->type != BACKEND_REG)
		return -EINVAL;
	bool owner = cred->uid == attr->uid;
	bool may = write ? cephfs_may(ex, o->in, cred, attr, BACKEND_ACCESS_WRITE) || owner
			 : cephfs_may(ex, o->in, cred, attr, BACKEND_ACCESS_READ) ||
			       cephfs_may(ex, o->in, cred, attr, BACKEND_ACCESS_EXEC) || owner;
	if (!may)
		return -EACCES;
	if (write && o->snapid != CEPH_NOSNAP)
		return -EROFS;
	return 0;
}

/* cephfs_data_open with o's attributes read already (stx). */
static int cephfs_data_open_stat(struct cephfs_export *ex, const struct backend_cred *cred,
				 struct cephfs_obj *o, const struct ceph_statx *stx, bool write,
				 struct cephfs_io *io, struct backend_attr *attr)
{
	memset(io, 0, sizeof(*io));
	int rc = cephfs_data_check(ex, cred, o, stx, write, attr);
	if (rc)
		return rc;
	/* A file under a read lease is not opened for writing: libcephfs
	 * would wait for the lease's DELEGRETURN (ceph_lease.c). */
	if (write && cephfs_lease_break_held(ex, o->ino, o->snapid))
		return -EAGAIN;
	/* Nor while the read cache holds a delegation on it, which it gives
	 * back now (ceph_cache.c). */
	if (write)
		cephfs_cache_drop(ex, o->ino, o->snapid);
	rc = cephfs_file_get(ex, o, write, &io->file);
	if (!rc)
		io->fh = cephfs_file_fh(io->file);
	return rc;
}

int cephfs_data_open(struct cephfs_export *ex, const struct backend_cred *cred,
		     struct cephfs_obj *o, bool write, struct cephfs_io *io,
		     struct backend_attr *attr)
{
	struct ceph_statx stx;
	int rc = cephfs_obj_stat(ex, o, &stx);

	if (rc) {
		memset(io, 0, sizeof(*io));
		return rc;
	}
	return cephfs_data_open_stat(ex, cred, o, &stx, write, io, attr);
}

void cephfs_data_close(struct cephfs_export *ex, struct cephfs_io *io)
{
	if (io->file)
		cephfs_file_put(ex, io->file);
	memset(io, 0, sizeof(*io));
}

int cephfs_data_begin(struct cephfs_export *ex, const struct backend_cred *cred,
		      const struct backend_handle *h, bool write, int refuse,
		      struct cephfs_data *d)
{
	struct ceph_statx stx;
	int rc = cephfs_obj_get_stat(ex, h, &d->o, &stx);

	if (rc)
		return rc;
	rc = refuse ? refuse : cephfs_data_open_stat(ex, cred, &d->o, &stx, write, &d->io, &d->a);
	if (rc)
		cephfs_obj_put(ex, &d->o);
	return rc;
}

void cephfs_data_end(struct cephfs_export *ex, struct cephfs_data *d)
{
	cephfs_data_close(ex, &d->io);
	cephfs_obj_put(ex, &d->o);
}

/* ---- exports ---- */

/* The admin socket of the export's client under identity slot (0: the
 * kept identity, 1: its alternate) into ex->asok; "" when the path is too
 * long for a socket.  One path per identity: a ferryd an upgrade started
 * never binds the running one's. */
static void asok_path(struct cephfs_export *ex, const char *state_dir, unsigned slot)
{
	char asok[2 * BACKEND_PATH_MAX];
	int len = snprintf(asok, sizeof(asok), "%s/ceph-%016llx%s.asok", state_dir,
			   (unsigned long long)cephfs_identity_key(ex->conf, ex->id, ex->path),
			   slot ? "-2" : "");
	ex->asok[0] = '\0';
	if (len > 0 && (size_t)len < sizeof(ex->asok))
		memcpy(ex->asok, asok, (size_t)len + 1);
}

/* Whether a process answers on the unix socket at path. */
static bool socket_live(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (!path[0] || strlen(path) >= sizeof(a.sun_path))
		return false;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return live;
}

/* Creates the export's CephFS client and mounts it under the export's
 * session identity (ceph_session.c): a restart first ends what a dead
 * ferryd left; a ferryd an upgrade started takes the identity the running
 * one does not hold: the one whose admin socket nobody answers on, and
 * the other if the MDS refuses it as in use (EPERM). */
static int cephfs_mount_session(struct cephfs_export *ex, const char *state_dir,
				const struct backend_options *opts)
{
	bool beside = opts && opts->succeeds_running && state_dir;
	unsigned first = 0;
	if (beside) {
		asok_path(ex, state_dir, 0);
		first = socket_live(ex->asok) ? 1 : 0;
	}
	for (unsigned attempt = 0;; attempt++) {
		unsigned slot = (first + attempt) % 2;
		char why[256];
		int rc = cephfs_client_create(ex->conf, ex->id, &ex->cm, why, sizeof(why));
		if (rc) {
			log_error("ceph: %s", why);
			return rc;
		}
		if (state_dir) {
			/* The admin socket the control plane asks (ceph_status.c). */
			asok_path(ex, state_dir, slot);
			if (ex->asok[0] && (rc = ceph_conf_set(ex->cm, "admin_socket", ex->asok))) {
				log_warn("ceph: no admin socket at %s: %s", ex->asok, strerror(-rc));
				ex->asok[0] = '\0';
			}
			char uuid[sizeof(ex->uuid)];
			rc = cephfs_session_identity(state_dir, ex->conf, ex->id, ex->path,
						     opts ? opts->cluster_node : NULL, uuid,
						     sizeof(uuid));
			if (slot == 0)
				memcpy(ex->uuid, uuid, sizeof(ex->uuid));
			else
				cephfs_session_alternate(uuid, ex->uuid, sizeof(ex->uuid));
			if (!rc)
				rc = cephfs_session_reclaim(ex, ex->uuid, !beside);
			if (rc)
				return rc;
		}
		rc = ceph_mount(ex->cm, ex->path);
		if (rc == -EPERM && beside && attempt == 0) {
			log_info("ceph: %s: the running ferryd holds session %s; taking the other",
				 ex->path, ex->uuid);
			ceph_shutdown(ex->cm);
			ex->cm = NULL;
			continue;
		}
		if (rc)
			log_error("ceph: cannot mount %s as client.%s (configuration %s): %s",
				  ex->path, ex->id, ex->conf, strerror(-rc));
		return rc;
	}
}

static int cephfs_export_open(const char *path, const char *state_dir,
			      const struct backend_options *opts, struct backend_export **out)
{
	const char *conf = opts && opts->ceph_conf ? opts->ceph_conf : "/etc/ceph/ceph.conf";
	const char *id = opts && opts->ceph_id ? opts->ceph_id : "admin";
	struct cephfs_export *ex = calloc(1, sizeof(*ex));
	int rc;

	if (!ex)
		return -ENOMEM;
	snprintf(ex->path, sizeof(ex->path), "%s", path[0] ? path : "/");
	snprintf(ex->conf, sizeof(ex->conf), "%s", conf);
	snprintf(ex->id, sizeof(ex->id), "%s", id);
	pthread_mutex_init(&ex->notify_lock, NULL);
	rc = cephfs_mount_session(ex, state_dir, opts);
	if (rc)
		goto fail;
	ceph_umask(ex->cm, 0);
	rc = cephfs_files_open(ex);
	if (!rc)
		rc = cephfs_inodes_open(ex);
	if (!rc)
		rc = cephfs_listings_open(ex);
	if (!rc)
		rc = cephfs_revokes_open(ex);
	if (!rc)
		rc = cephfs_leases_open(ex);
	if (!rc)
		rc = cephfs_cache_open(ex, opts ? opts->ceph_read_cache_mb : 0);
	if (!rc)
		rc = cephfs_dirwatch_open(ex);
	if (!rc)
		rc = cephfs_locks_open(ex);
	if (!rc && !(ex->writeback = cephfs_writeback_new(ex->cm)))
		rc = -ENOMEM;
	if (rc)
		goto fail;
	rc = ceph_ll_lookup_root(ex->cm, &ex->root);
	if (rc)
		goto fail;
	struct ceph_statx stx;
	rc = CEPHFS_CALL(ex, getattr,
			 ceph_ll_getattr(ex->cm, ex->root, &stx, CEPH_STATX_INO | CEPH_STATX_MODE,
					 0, ceph_mount_perms(ex->cm)));
	if (rc)
		goto fail;
	if (!S_ISDIR(stx.stx_mode)) {
		rc = -ENOTDIR;
		goto fail;
	}
	ex->root_ino = stx.stx_ino;
	ex->root_snapid = (uint64_t)stx.stx_dev;
	*out = (struct backend_export *)ex;
	return 0;
fail:
	cephfs_writeback_free(ex->writeback);
	cephfs_locks_close(ex);
	cephfs_dirwatch_close(ex);
	cephfs_cache_close(ex);
	cephfs_leases_close(ex);
	cephfs_revokes_close(ex);
	cephfs_listings_close(ex);
	cephfs_inodes_close(ex);
	cephfs_files_close(ex);
	if (ex->root)
		ceph_ll_put(ex->cm, ex->root);
	if (ex->cm)
		ceph_shutdown(ex->cm);
	pthread_mutex_destroy(&ex->notify_lock);
	free(ex);
	return rc < 0 ? rc : -EIO;
}

static void cephfs_export_close(struct backend_export *bex)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	if (!ex)
		return;
	cephfs_writeback_free(ex->writeback);
	cephfs_locks_close(ex);
	cephfs_dirwatch_close(ex);
	cephfs_cache_close(ex);
	cephfs_leases_close(ex);
	cephfs_revokes_close(ex);
	cephfs_listings_close(ex);
	cephfs_inodes_close(ex);
	cephfs_files_close(ex);
	ceph_ll_put(ex->cm, ex->root);
	ceph_unmount(ex->cm);
	ceph_release(ex->cm);
	pthread_mutex_destroy(&ex->notify_lock);
	free(ex);
}

static int cephfs_root(struct backend_export *bex, struct backend_handle *out)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	cephfs_handle_make(ex->root_ino, ex->root_snapid, out);
	return 0;
}

static int cephfs_getattr(struct backend_export *bex, const struct backend_handle *h,
			  struct backend_attr *attr)
{
	return cephfs_attr_of(cephfs_export_of(bex), h, attr, NULL);
}

static int cephfs_object_type(struct backend_export *bex, const struct backend_handle *h,
			      enum backend_ftype *type)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	uint64_t ino, snapid;

	/* A kept inode's type is known, and never changes: WRITE asks for
	 * it before its own resolution of the handle, which finds a stale
	 * one (ceph_inodes.c). */
	if (cephfs_handle_parse(h, &ino, &snapid))
		return -EBADF;
	if (cephfs_inode_type(ex, ino, snapid, type))
		return 0;
	int rc = cephfs_obj_get(ex, h, &o);

	/* The resolution read the type from the client's cache, and found
	 * the object still linked. */
	if (!rc)
		*type = o.type;
	cephfs_obj_put(ex, &o);
	return rc;
}

static int cephfs_statfs(struct backend_export *bex, const struct backend_handle *h,
			 struct backend_fsstat *out)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	struct statvfs sv;
	int rc = cephfs_obj_get(ex, h, &o);

	if (rc)
		return rc;
	rc = cephfs_err(ex, CEPHFS_CALL(ex, statfs, ceph_ll_statfs(ex->cm, o.in, &sv)));
	cephfs_obj_put(ex, &o);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	backend_fsstat_from_statvfs(&sv, out);
	out->name_max = sv.f_namemax ? (uint32_t)sv.f_namemax : BACKEND_NAME_MAX;
	/* CephFS sets no limit on hard links. */
	out->link_max = UINT32_MAX;
	out->xattrs = true;
	out->acls = true; /* client_acl_type = posix_acl */
	out->clone_blksize = 4096;
	out->change_kind = BACKEND_CHANGE_COUNTER;
	return 0;
}

static int cephfs_clone(struct backend_export *bex, const struct backend_cred *cred,
			const struct backend_handle *src, uint64_t src_off,
			const struct backend_handle *dst, uint64_t dst_off, uint64_t len)
{
	/* libcephfs offers no reflink. */
	return -EOPNOTSUPP;
}

static int cephfs_advise(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
			 uint64_t len, enum backend_advice advice)
{
	return -EOPNOTSUPP;
}

const struct backend_ops backend_ceph_ops = {
	.name = "ceph",
	.changes_wait_remote = true,
	.export_open = cephfs_export_open,
	.export_close = cephfs_export_close,
	.end_peer_session = cephfs_end_peer_session,
	.client_instance = cephfs_client_instance,
	.root = cephfs_root,
	.getattr = cephfs_getattr,
	.object_type = cephfs_object_type,
	.lookup = cephfs_lookup,
	.lookup_parent = cephfs_lookup_parent,
	.access = cephfs_access,
	.setattr = cephfs_setattr,
	.read = cephfs_read,
	.read_mapped = cephfs_read_mapped,
	.write = cephfs_write,
	.commit = cephfs_commit,
	.sync = cephfs_sync,
	.copy = cephfs_copy,
	.space = cephfs_space,
	.seek = cephfs_seek,
	.clone = cephfs_clone,
	.advise = cephfs_advise,
	.create_file = cephfs_create_file,
	.mknod = cephfs_mknod,
	.symlink = cephfs_symlink,
	.readlink = cephfs_readlink,
	.remove = cephfs_remove,
	.rename = cephfs_rename,
	.link = cephfs_link,
	.readdir = cephfs_readdir,
	.statfs = cephfs_statfs,
	.getxattr = cephfs_getxattr,
	.setxattr = cephfs_setxattr,
	.listxattr = cephfs_listxattr,
	.removexattr = cephfs_removexattr,
	.get_acl = cephfs_get_acl,
	.set_acl = cephfs_set_acl,
	.lease = cephfs_lease,
	.lease_notify = cephfs_lease_notify,
	.lease_list = cephfs_lease_list,
	.lease_adopt = cephfs_lease_adopt,
	.lease_leave = cephfs_lease_leave,
	.dir_watch = cephfs_dir_watch,
	.dir_watch_hand = cephfs_dir_watch_hand,
	.dir_watch_adopt = cephfs_dir_watch_adopt,
	.dir_watch_resume = cephfs_dir_watch_resume,
	.dir_notify = cephfs_dir_notify,
	.lock = cephfs_lock,
	.status = cephfs_status,
};
