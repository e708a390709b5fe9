/* The ceph back end's byte-range locks (backend_ops.lock): POSIX record
 * locks held by ferryd's own CephFS client, so that another ferryd serving
 * the same file system, a kernel mount, ceph-fuse or any libcephfs program
 * sees the NFS clients' locks, and they see theirs.
 *
 * libcephfs sends every ceph_ll_setlk to the MDS, which keeps the locks of
 * an inode per (client session, owner): with the owner's top bit set the
 * owner alone names the holder within the session (the pid is not
 * compared), as the kernel client does for its lock owners.  So each NFS
 * lock owner gets an owner id of its own (the caller's) with that bit set,
 * and the MDS merges and splits its ranges as fcntl does, the way ferryd's
 * own table does for the NFS owner.
 *
 * libcephfs also remembers each lock on the Fh it was taken through and
 * drops them all when that Fh is closed (as closing a descriptor drops a
 * process's fcntl locks).  So the locks of an inode go through one Fh of
 * this table's own, opened read-only (the MDS does not ask for a write
 * open for a write lock; the NFS layer has checked the client's OPEN), and
 * kept open while any owner may hold a lock on the inode: until each owner
 * told it holds nothing (UNLOCK of the whole file), and not tied to the
 * files kept for I/O (ceph_files.c), which close when idle.
 *
 * One mutex, held across the open, the lock calls and the close: locks are
 * taken far less often than files are read, and holding it keeps a lock
 * and the unlock that follows it in the order they were decided.  Nothing
 * is ever waited for (no sleeping setlk): a conflict is -EAGAIN at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ceph/ceph_internal.h"
#include "core/log.h"

enum {
	CEPHFS_LOCK_BUCKETS = 256,
};

/* The owners' ids as the MDS takes them: the top bit says "the owner
 * alone names the holder". */
#define CEPHFS_LOCK_OWNER_BIT (1ull << 63)

/* A locked inode: its Fh and the owners that may hold locks through it. */
struct cephfs_lockfile {
	struct cephfs_lockfile *next;
	uint64_t ino, snapid;
	struct Inode *in;
	struct Fh *fh;
	size_t nowners, cap;
	uint64_t *owners;
};

struct cephfs_locks {
	/* lock order: see core/lock_order.h, level 6f. */
	pthread_mutex_t lock;
	struct cephfs_lockfile *bucket[CEPHFS_LOCK_BUCKETS];
	size_t count;
};

int cephfs_locks_open(struct cephfs_export *ex)
{
	struct cephfs_locks *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	ex->locks = t;
	return 0;
}

static void cephfs_lockfile_free(struct cephfs_export *ex, struct cephfs_lockfile *f)
{
	/* The close drops whatever the MDS still holds for the owners. */
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
	ceph_ll_put(ex->cm, f->in);
	free(f->owners);
	free(f);
}

void cephfs_locks_close(struct cephfs_export *ex)
{
	struct cephfs_locks *t = ex->locks;

	if (!t)
		return;
	for (size_t i = 0; i < CEPHFS_LOCK_BUCKETS; i++) {
		while (t->bucket[i]) {
			struct cephfs_lockfile *f = t->bucket[i];
			t->bucket[i] = f->next;
			cephfs_lockfile_free(ex, f);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
	ex->locks = NULL;
}


static struct cephfs_lockfile **cephfs_lockfile_slot(struct cephfs_locks *t, uint64_t ino,
						     uint64_t snapid)
{
	struct cephfs_lockfile **p = &t->bucket[(ino ^ (snapid << 7)) % CEPHFS_LOCK_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

/* Opens the Fh the locks of o go through; 0 or -errno. */
static int cephfs_lockfile_new(struct cephfs_export *ex, struct cephfs_obj *o,
			       struct cephfs_lockfile **out)
{
	struct cephfs_lockfile *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	int rc = (int)CEPHFS_CALL(ex, open,
				  ceph_ll_open(ex->cm, o->in, O_RDONLY, &f->fh,
					       ceph_mount_perms(ex->cm)));
	if (rc) {
		free(f);
		return cephfs_err(ex, rc);
	}
	/* The table keeps its own reference on the inode for the Fh. */
	f->ino = o->ino;
	f->snapid = o->snapid;
	f->in = cephfs_obj_take(ex, o);
	if (!f->in) {
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
		free(f);
		return -ESTALE;
	}
	*out = f;
	return 0;
}

static bool cephfs_lockfile_has(const struct cephfs_lockfile *f, uint64_t owner, size_t *at)
{
	for (size_t i = 0; i < f->nowners; i++) {
		if (f->owners[i] == owner) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static int cephfs_lockfile_add(struct cephfs_lockfile *f, uint64_t owner)
{
	if (cephfs_lockfile_has(f, owner, NULL))
		return 0;
	if (f->nowners == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		uint64_t *o = realloc(f->owners, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		f->owners = o;
		f->cap = cap;
	}
	f->owners[f->nowners++] = owner;
	return 0;
}

static void cephfs_lockfile_drop(struct cephfs_lockfile *f, uint64_t owner)
{
	size_t at;

	if (cephfs_lockfile_has(f, owner, &at))
		f->owners[at] = f->owners[--f->nowners];
}

static void cephfs_flock_fill(struct flock *fl, enum backend_lock_type type, uint64_t offset,
			      uint64_t length)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type == BACKEND_LOCK_WRITE ? F_WRLCK
		     : type == BACKEND_LOCK_READ ? F_RDLCK
						 : F_UNLCK;
	fl->l_whence = SEEK_SET;
	/* Offsets past off_t are the end of the file as far as CephFS can
	 * tell (its lock ranges are signed too). */
	fl->l_start = offset > (uint64_t)INT64_MAX ? INT64_MAX : (off_t)offset;
	fl->l_len = length > (uint64_t)INT64_MAX - (uint64_t)fl->l_start ? 0 : (off_t)length;
}

/* What getlk says stands in the way of (type, range) for owner: 0 and
 * conflict filled, -ENOENT when nothing does (any more), or -errno. */
static int cephfs_lock_ask(struct cephfs_export *ex, struct cephfs_lockfile *f, uint64_t owner,
			   enum backend_lock_type type, uint64_t offset, uint64_t length,
			   struct backend_lock_conflict *conflict)
{
	struct flock fl;

	cephfs_flock_fill(&fl, type, offset, length);
	int rc = (int)CEPHFS_CALL(ex, getlk, ceph_ll_getlk(ex->cm, f->fh, &fl, owner));
	if (rc)
		return cephfs_err(ex, rc);
	if (fl.l_type == F_UNLCK)
		return -ENOENT;
	if (conflict) {
		conflict->type = fl.l_type == F_WRLCK ? BACKEND_LOCK_WRITE : BACKEND_LOCK_READ;
		conflict->offset = fl.l_start < 0 ? 0 : (uint64_t)fl.l_start;
		conflict->length = fl.l_len <= 0 ? 0 : (uint64_t)fl.l_len;
	}
	return 0;
}

int cephfs_lock(struct backend_export *bex, const struct backend_handle *h, uint64_t owner,
		enum backend_lock_type type, uint64_t offset, uint64_t length, bool test,
		struct backend_lock_conflict *conflict)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_locks *t = ex->locks;
	uint64_t ino, snapid;
	int rc = cephfs_handle_parse(h, &ino, &snapid);

	if (rc)
		return rc;
	/* Nothing writes a snapshot: ferryd's own table is enough there. */
	if (snapid != CEPH_NOSNAP)
		return 0;
	owner |= CEPHFS_LOCK_OWNER_BIT;
	bool unlock = !test && type == BACKEND_LOCK_UNLOCK;
	bool all = offset == 0 && length == 0;

	pthread_mutex_lock(&t->lock);
	struct cephfs_lockfile **slot = cephfs_lockfile_slot(t, ino, snapid), *f = *slot;
	if (!f && unlock) {
		/* Nothing was ever locked through this table. */
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	if (!f) {
		struct cephfs_obj o;
		if ((rc = cephfs_obj_get(ex, h, &o)) == 0) {
			if (o.type != BACKEND_REG)
				rc = o.type == BACKEND_DIR ? -EISDIR : -EINVAL;
			else
				rc = cephfs_lockfile_new(ex, &o, &f);
			cephfs_obj_put(ex, &o);
		}
		if (rc) {
			pthread_mutex_unlock(&t->lock);
			return rc;
		}
		*slot = f;
		t->count++;
	}
	if (test) {
		rc = cephfs_lock_ask(ex, f, owner, type, offset, length, conflict);
		rc = rc == -ENOENT ? 0 : rc == 0 ? -EAGAIN : rc;
	} else {
		struct flock fl;
		cephfs_flock_fill(&fl, type, offset, length);
		/* Owner ids are recorded before the call: a lock the MDS took
		 * while the reply was lost is still let go of later. */
		bool added = !unlock && !cephfs_lockfile_has(f, owner, NULL);
		if (added && (rc = cephfs_lockfile_add(f, owner)) != 0)
			goto out;
		rc = (int)CEPHFS_CALL(ex, setlk, ceph_ll_setlk(ex->cm, f->fh, &fl, owner, 0));
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			/* A refused lock changes nothing in the MDS. */
			if (added)
				cephfs_lockfile_drop(f, owner);
			rc = -EAGAIN;
			if (conflict) {
				/* Best effort: the holder may have let go since. */
				memset(conflict, 0, sizeof(*conflict));
				conflict->type = BACKEND_LOCK_WRITE;
				conflict->offset = offset;
				conflict->length = length;
				(void)cephfs_lock_ask(ex, f, owner, type, offset, length, conflict);
			}
		} else if (rc) {
			log_warn("ceph: %s of inode %llx [%llu, +%llu) for owner %016llx: %s",
				 unlock ? "unlock" : "lock", (unsigned long long)ino,
				 (unsigned long long)offset, (unsigned long long)length,
				 (unsigned long long)owner, strerror(-rc));
			rc = cephfs_err(ex, rc);
		} else if (unlock && all) {
			cephfs_lockfile_drop(f, owner);
		}
	}
out:
	if (f->nowners == 0) {
		/* No owner holds anything here (a test, a refused first
		 * lock, or the last owner let go). */
		*slot = f->next;
		t->count--;
		cephfs_lockfile_free(ex, f);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}
