/* The ceph back end's data and attribute changes: access, setattr, read,
 * write, commit and the group commit's sync, space (allocate, deallocate,
 * seek) and server-side copy. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"

int cephfs_access(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *h, uint32_t want, uint32_t *granted)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	struct ceph_statx stx;
	struct backend_attr a;
	int rc = cephfs_obj_get_stat(ex, h, &o, &stx);

	if (rc)
		return rc;
	cephfs_attr_from_statx(&stx, &a);
	*granted = 0;
	for (uint32_t bit = 1; bit <= 4; bit <<= 1)
		if ((want & bit) && cephfs_may(ex, o.in, cred, &a, bit))
			*granted |= bit;
	/* Nothing is written in a snapshot. */
	if (o.snapid != CEPH_NOSNAP)
		*granted &= ~(uint32_t)BACKEND_ACCESS_WRITE;
	cephfs_obj_put(ex, &o);
	return 0;
}

int cephfs_setattr_obj(struct cephfs_export *ex, const struct backend_cred *cred,
		       struct cephfs_obj *o, const struct backend_setattr *sa,
		       struct backend_attr *attr)
{
	struct ceph_statx stx;
	int mask = 0;

	memset(&stx, 0, sizeof(stx));
	if (sa->mask & BACKEND_SET_MODE) {
		mask |= CEPH_SETATTR_MODE;
		stx.stx_mode = (uint16_t)(sa->mode & 07777);
	}
	if (sa->mask & BACKEND_SET_UID) {
		mask |= CEPH_SETATTR_UID;
		stx.stx_uid = sa->uid;
	}
	if (sa->mask & BACKEND_SET_GID) {
		mask |= CEPH_SETATTR_GID;
		stx.stx_gid = sa->gid;
	}
	if (sa->mask & BACKEND_SET_SIZE) {
		mask |= CEPH_SETATTR_SIZE;
		stx.stx_size = sa->size;
	}
	if (sa->mask & BACKEND_SET_ATIME) {
		mask |= CEPH_SETATTR_ATIME;
		stx.stx_atime = sa->atime;
	}
	/* The _NOW flags tell libcephfs that setting the time needs write
	 * permission only (not ownership); the time itself is the one
	 * given. */
	struct timespec now_ts;
	clock_gettime(CLOCK_REALTIME, &now_ts);
	if (sa->mask & BACKEND_SET_ATIME_NOW) {
		mask |= CEPH_SETATTR_ATIME | CEPH_SETATTR_ATIME_NOW;
		stx.stx_atime = now_ts;
	}
	if (sa->mask & BACKEND_SET_MTIME) {
		mask |= CEPH_SETATTR_MTIME;
		stx.stx_mtime = sa->mtime;
	}
	if (sa->mask & BACKEND_SET_MTIME_NOW) {
		mask |= CEPH_SETATTR_MTIME | CEPH_SETATTR_MTIME_NOW;
		stx.stx_mtime = now_ts;
	}
	struct ceph_statx now;
	int rc = cephfs_obj_stat(ex, o, &now);
	if (rc)
		return rc;
	if ((sa->mask & BACKEND_SET_SIZE) && !S_ISREG(now.stx_mode))
		return S_ISDIR(now.stx_mode) ? -EISDIR : -EINVAL;
	struct cephfs_perm perm;
	if (cephfs_perm_init(&perm, cred))
		return -ENOMEM;
	/* A size change by the file's owner is a write under nfsd's owner
	 * override (an open for writing that created the file read-only). */
	const struct UserPerm *as = perm.up;
	if ((sa->mask & BACKEND_SET_SIZE) && cred->uid == now.stx_uid && cred->uid != 0) {
		struct backend_attr a;
		cephfs_attr_from_statx(&now, &a);
		if (!cephfs_may(ex, o->in, cred, &a, BACKEND_ACCESS_WRITE) &&
		    !(sa->mask & ~(uint32_t)BACKEND_SET_SIZE))
			as = ceph_mount_perms(ex->cm);
	}
	/* Any change of a file's attributes takes capabilities the read
	 * cache's delegation holds (its size, the data the cache keeps). */
	if (mask && S_ISREG(now.stx_mode))
		cephfs_cache_drop(ex, o->ino, o->snapid);
	if (mask) {
		/* A directory's own attributes: a change a watch of it must
		 * not take for another client's. */
		cephfs_dirwatch_begin(ex, o->ino, o->snapid);
		rc = cephfs_err(
		    ex, CEPHFS_CALL(ex, setattr, ceph_ll_setattr(ex->cm, o->in, &stx, mask, as)));
		cephfs_dirwatch_end(ex, o->ino, o->snapid, rc == 0);
	}
	cephfs_perm_fini(&perm);
	if (rc)
		return rc;
	rc = cephfs_obj_stat(ex, o, &now);
	if (!rc && attr)
		cephfs_attr_from_statx(&now, attr);
	return rc;
}

int cephfs_setattr(struct backend_export *bex, const struct backend_cred *cred,
		   const struct backend_handle *h, const struct backend_setattr *sa,
		   struct backend_attr *attr)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	int rc = cephfs_obj_get(ex, h, &o);

	if (rc)
		return rc;
	/* Any change of attributes takes capabilities a read delegation
	 * holds: libcephfs would wait for the lease's DELEGRETURN. */
	if (sa->mask && o.type == BACKEND_REG && cephfs_lease_break_held(ex, o.ino, o.snapid)) {
		cephfs_obj_put(ex, &o);
		return -EAGAIN;
	}
	rc = cephfs_setattr_obj(ex, cred, &o, sa, attr);
	cephfs_obj_put(ex, &o);
	return rc;
}

int cephfs_read(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *h, uint64_t off, size_t len, void *buf, size_t *got,
		bool *eof)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_data d;
	int rc = cephfs_data_begin(ex, cred, h, false, 0, &d);

	if (rc)
		return rc;
	cephfs_revoke_wait(ex, d.o.ino, d.o.snapid);
	int n = len ? CEPHFS_CALL(ex, read, ceph_ll_read(ex->cm, d.io.fh, (int64_t)off, len, buf))
		    : 0;
	if (n < 0) {
		rc = cephfs_err(ex, n);
	} else {
		*got = (size_t)n;
		/* The size as it is after the read: a file written meanwhile
		 * by another client ends later. */
		struct ceph_statx stx;
		int s = CEPHFS_CALL(ex, getattr,
				    ceph_ll_getattr(ex->cm, d.o.in, &stx, CEPH_STATX_SIZE, 0,
						    ceph_mount_perms(ex->cm)));
		uint64_t size = s == 0 ? stx.stx_size : d.a.size;
		*eof = off + (uint64_t)n >= size;
	}
	cephfs_data_end(ex, &d);
	return rc;
}

/* Large READs of data read before go out of the read cache's memory
 * (ceph_cache.c); the rest, and every READ the cache does not serve, as
 * cephfs_read. */
int cephfs_read_mapped(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *h, uint64_t off, size_t len,
		       struct backend_mapping *out, size_t *got, bool *eof, bool *would_block)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	*got = 0;
	*out = (struct backend_mapping){0};
	if (!cephfs_cache_may_serve(ex, off, len))
		return -EOPNOTSUPP;
	if (would_block) {
		/* The handle's inode and attributes may take the MDS: on a
		 * worker. */
		*would_block = true;
		return 0;
	}
	struct cephfs_obj o;
	struct ceph_statx stx;
	struct backend_attr a;
	int rc = cephfs_obj_get_stat(ex, h, &o, &stx);
	if (rc)
		return rc;
	rc = cephfs_data_check(ex, cred, &o, &stx, false, &a);
	if (!rc) {
		cephfs_revoke_wait(ex, o.ino, o.snapid);
		rc = cephfs_cache_read(ex, &o, off, len, out, got, eof);
	}
	cephfs_obj_put(ex, &o);
	return rc;
}

/* Clears set-user-ID (and set-group-ID when group-executable) after a
 * change of a file's data by anyone but root, as the kernel does. */
static void cephfs_kill_suid(struct cephfs_export *ex, const struct backend_cred *cred,
			     struct cephfs_obj *o, const struct backend_attr *a)
{
	if (cred->uid == 0 || !(a->mode & (S_ISUID | S_ISGID)))
		return;
	uint32_t mode = a->mode & ~(uint32_t)S_ISUID;
	if (a->mode & S_IXGRP)
		mode &= ~(uint32_t)S_ISGID;
	if (mode == a->mode)
		return;
	struct ceph_statx stx = { .stx_mode = (uint16_t)mode };
	CEPHFS_CALL(
	    ex, setattr,
	    ceph_ll_setattr(ex->cm, o->in, &stx, CEPH_SETATTR_MODE, ceph_mount_perms(ex->cm)));
}

int cephfs_write(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *h, uint64_t off, const void *buf, size_t len,
		 enum backend_stable stable, size_t *written, enum backend_stable *committed)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_data d;
	int rc = cephfs_data_begin(ex, cred, h, true, 0, &d);

	if (rc)
		return rc;
	bool counted = len && stable == BACKEND_UNSTABLE;
	if (counted)
		cephfs_writeback_admit(ex->writeback);
	int n = len ? CEPHFS_CALL(ex, write, ceph_ll_write(ex->cm, d.io.fh, (int64_t)off, len, buf))
		    : 0;
	if (counted)
		cephfs_writeback_written(ex->writeback, n > 0 ? (uint64_t)n : 0);
	if (n < 0) {
		rc = cephfs_err(ex, n);
	} else {
		*written = (size_t)n;
		*committed = BACKEND_UNSTABLE;
		if (stable != BACKEND_UNSTABLE) {
			rc = cephfs_err(ex, CEPHFS_CALL(ex, fsync,
							ceph_ll_fsync(ex->cm, d.io.fh,
								      stable == BACKEND_DATA_SYNC)));
			if (!rc)
				*committed = stable;
		}
		if (n > 0)
			cephfs_kill_suid(ex, cred, &d.o, &d.a);
	}
	cephfs_data_end(ex, &d);
	return rc;
}

int cephfs_commit(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
		  uint64_t len)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj o;
	int rc = cephfs_obj_get(ex, h, &o);

	(void)off;
	(void)len;
	if (rc)
		return rc;
	if (o.type != BACKEND_REG) {
		cephfs_obj_put(ex, &o);
		return o.type == BACKEND_DIR ? -EISDIR : -EINVAL;
	}
	/* The data the client cache holds goes to the OSDs, and the size and
	 * times to the MDS, before the answer. */
	rc = cephfs_err(ex, CEPHFS_CALL(ex, sync_inode, ceph_ll_sync_inode(ex->cm, o.in, 0)));
	cephfs_obj_put(ex, &o);
	return rc;
}

/* The MDS answers a change before it has journaled it (an "unsafe"
 * reply) and journals it moments later.  libcephfs's fsync of an inode
 * (ceph_ll_sync_inode) asks the MDS to journal at once and waits until
 * every change made to it, or in it for a directory, is journaled, and
 * writes its own cached data and attributes; ceph_sync_fs does that for
 * every inode of the mount, the data of every file written and not yet
 * committed among them.  So a group takes a sync of each directory whose
 * names changed and of each object whose attributes did, and no other
 * file's data goes to the OSDs for it.  An object made or linked in one
 * of those directories needs none of its own: the MDS journals its inode
 * in the same entry as the name (the directory's sync waits for it).  A
 * group of more such objects than CEPHFS_SYNC_EACH_MAX (each sync waits
 * for its own round trip) takes one ceph_sync_fs. */
enum { CEPHFS_SYNC_EACH_MAX = 8 };

int cephfs_sync(struct backend_export *bex, const struct backend_sync_item *items, unsigned n)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	const unsigned each_kind = BACKEND_SYNC_ENTRIES | BACKEND_SYNC_ATTRS;
	unsigned each = 0;
	int first = 0;

	for (unsigned i = 0; i < n; i++)
		each += (items[i].what & each_kind) != 0;
	if (each > CEPHFS_SYNC_EACH_MAX) {
		first = cephfs_err(ex, CEPHFS_CALL(ex, sync_fs, ceph_sync_fs(ex->cm)));
		cephfs_files_close_removed(ex);
		return first;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!(items[i].what & each_kind))
			continue;
		struct cephfs_obj o;
		int rc = cephfs_obj_get(ex, &items[i].h, &o);
		if (rc == 0) {
			rc = cephfs_err(
			    ex, CEPHFS_CALL(ex, sync_inode, ceph_ll_sync_inode(ex->cm, o.in, 0)));
			cephfs_obj_put(ex, &o);
		}
		if (rc == -ESTALE)
			rc = 0;
		if (rc && !first)
			first = rc;
	}
	/* The removes are stable: their files' open files go, all together. */
	cephfs_files_close_removed(ex);
	return first;
}

/* CephFS allocates nothing ahead (objects are written when data comes);
 * for ALLOCATE, libcephfs extends the size as fallocate would. */
int cephfs_space(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *h, uint64_t off, uint64_t len,
		 enum backend_space what)
{
	int mode = backend_space_fallocate_mode(what);
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_data d;
	int rc = cephfs_data_begin(ex, cred, h, true,
				   off > INT64_MAX || len > INT64_MAX - off ? -EFBIG : 0, &d);

	if (rc)
		return rc;
	rc = cephfs_err(ex, CEPHFS_CALL(ex, fallocate,
					ceph_ll_fallocate(ex->cm, d.io.fh, mode, (int64_t)off,
							  (int64_t)len)));
	if (!rc)
		cephfs_kill_suid(ex, cred, &d.o, &d.a);
	cephfs_data_end(ex, &d);
	return rc;
}

int cephfs_seek(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *h, uint64_t off, enum backend_seek what, uint64_t *out)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_data d;
	int rc = cephfs_data_begin(ex, cred, h, false, off > INT64_MAX ? -ENXIO : 0, &d);

	if (rc)
		return rc;
	/* libcephfs 16.2 knows no holes: all of a file is data, and its end
	 * the only hole. */
	off_t r = CEPHFS_CALL(ex, lseek,
			      ceph_ll_lseek(ex->cm, d.io.fh, (off_t)off,
					    what == BACKEND_SEEK_DATA ? SEEK_DATA : SEEK_HOLE));
	if (r < 0)
		rc = cephfs_err(ex, (int)r);
	else
		*out = (uint64_t)r;
	cephfs_data_end(ex, &d);
	return rc;
}

enum { CEPH_COPY_CHUNK = 4u << 20 };

/* libcephfs 16.2 offers no copy of its own (the kernel client's
 * copy_file_range uses the OSDs' copy-from, which libcephfs does not
 * expose): the data goes through ferryd, 4 MiB at a time, read and
 * written on the client's behalf. */
int cephfs_copy(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *src, uint64_t src_off,
		const struct backend_handle *dst, uint64_t dst_off, uint64_t len, uint64_t *copied)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_obj so = { 0 }, d = { 0 };
	struct backend_attr sa, da;
	struct cephfs_io sio = { 0 }, dio = { 0 };
	char *buf = NULL;
	int rc;

	*copied = 0;
	if (src_off > INT64_MAX || dst_off > INT64_MAX || len > INT64_MAX - dst_off)
		return -EFBIG;
	rc = cephfs_obj_get(ex, src, &so);
	if (!rc)
		rc = cephfs_obj_get(ex, dst, &d);
	if (!rc)
		rc = cephfs_data_open(ex, cred, &so, false, &sio, &sa);
	if (!rc)
		rc = cephfs_data_open(ex, cred, &d, true, &dio, &da);
	size_t chunk = len < CEPH_COPY_CHUNK ? (size_t)len : CEPH_COPY_CHUNK;
	if (!rc && chunk && !(buf = malloc(chunk)))
		rc = -ENOMEM;
	if (!rc)
		cephfs_revoke_wait(ex, so.ino, so.snapid);
	while (!rc && *copied < len) {
		size_t want = len - *copied < chunk ? (size_t)(len - *copied) : chunk;
		int n = CEPHFS_CALL(
		    ex, read,
		    ceph_ll_read(ex->cm, sio.fh, (int64_t)(src_off + *copied), want, buf));
		if (n < 0) {
			rc = cephfs_err(ex, n);
			break;
		}
		if (n == 0)
			break;
		cephfs_writeback_admit(ex->writeback);
		int w = CEPHFS_CALL(
		    ex, write,
		    ceph_ll_write(ex->cm, dio.fh, (int64_t)(dst_off + *copied), (uint64_t)n, buf));
		cephfs_writeback_written(ex->writeback, w > 0 ? (uint64_t)w : 0);
		if (w < 0) {
			rc = cephfs_err(ex, w);
			break;
		}
		*copied += (uint64_t)w;
		if (w < n)
			break;
	}
	/* A short copy is no error: the caller copies again from there. */
	if (rc && *copied)
		rc = 0;
	if (*copied)
		cephfs_kill_suid(ex, cred, &d, &da);
	free(buf);
	cephfs_data_close(ex, &dio);
	cephfs_data_close(ex, &sio);
	cephfs_obj_put(ex, &d);
	cephfs_obj_put(ex, &so);
	return rc;
}
