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
 * Each locked inode has a mutex of its own, held across the open, the lock
 * calls and the close: it keeps a lock and the unlock that follows it in
 * the order they were decided, while calls on other inodes go to the MDS
 * beside them (an upgrade takes every lock again at once, through many
 * threads: export/backend_locks.c).  The table's mutex only finds or adds
 * an inode and counts its users; it is never held with an inode's.
 * Nothing is ever waited for (no sleeping setlk): a conflict is -EAGAIN at
 * once. */
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

/* A locked inode: its Fh and the owners that may hold locks through it.
 * It stays in the table while an owner may hold a lock through it or a
 * call uses it (users). */
struct cephfs_lockfile {
	struct cephfs_lockfile *next;
	uint64_t ino, snapid;
	unsigned users; /* calls using it (the table's lock) */
	/* lock order: see core/lock_order.h, level 6f.  The rest is its. */
	pthread_mutex_t lock;
	struct Inode *in; /* NULL until opened */
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
	if (f->fh)
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
	if (f->in)
		ceph_ll_put(ex->cm, f->in);
	pthread_mutex_destroy(&f->lock);
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

/* Opens the Fh the locks of h (f's inode) go through; f's lock held.  0
 * or -errno. */
static int cephfs_lockfile_open(struct cephfs_export *ex, const struct backend_handle *h,
				struct cephfs_lockfile *f)
{
	struct cephfs_obj o;
	int rc = cephfs_obj_get(ex, h, &o);
	if (rc)
		return rc;
	if (o.type != BACKEND_REG) {
		cephfs_obj_put(ex, &o);
		return o.type == BACKEND_DIR ? -EISDIR : -EINVAL;
	}
	struct Fh *fh;
	rc = (int)CEPHFS_CALL(ex, open,
			      ceph_ll_open(ex->cm, o.in, O_RDONLY, &fh, ceph_mount_perms(ex->cm)));
	if (rc) {
		cephfs_obj_put(ex, &o);
		return cephfs_err(ex, rc);
	}
	/* The table keeps its own reference on the inode for the Fh. */
	struct Inode *in = cephfs_obj_take(ex, &o);
	if (!in) {
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, fh));
		return -ESTALE;
	}
	f->in = in;
	f->fh = fh;
	return 0;
}

/* The inode's entry, added if need be, with one more user; NULL when it
 * is not there and add is false, or out of memory (*rc). */
static struct cephfs_lockfile *cephfs_lockfile_use(struct cephfs_locks *t, uint64_t ino,
						   uint64_t snapid, bool add, int *rc)
{
	*rc = 0;
	pthread_mutex_lock(&t->lock);
	struct cephfs_lockfile **slot = cephfs_lockfile_slot(t, ino, snapid), *f = *slot;
	if (!f && add) {
		f = calloc(1, sizeof(*f));
		if (f) {
			pthread_mutex_init(&f->lock, NULL);
			f->ino = ino;
			f->snapid = snapid;
			*slot = f;
			t->count++;
		} else {
			*rc = -ENOMEM;
		}
	}
	if (f)
		f->users++;
	pthread_mutex_unlock(&t->lock);
	return f;
}

/* One user fewer; the last one frees an entry no owner holds anything
 * through (a test, a refused first lock, the last owner let go, an open
 * that failed).  With no user left, nothing else reads f's fields. */
static void cephfs_lockfile_unuse(struct cephfs_export *ex, struct cephfs_locks *t,
				  struct cephfs_lockfile *f)
{
	pthread_mutex_lock(&t->lock);
	bool gone = --f->users == 0 && f->nowners == 0;
	if (gone) {
		*cephfs_lockfile_slot(t, f->ino, f->snapid) = f->next;
		t->count--;
	}
	pthread_mutex_unlock(&t->lock);
	if (gone)
		cephfs_lockfile_free(ex, f);
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

	/* Nothing to unlock where nothing was ever locked through the
	 * table. */
	struct cephfs_lockfile *f = cephfs_lockfile_use(t, ino, snapid, !unlock, &rc);
	if (!f)
		return rc;
	pthread_mutex_lock(&f->lock);
	if (!f->fh && unlock)
		goto out;
	if (!f->fh && (rc = cephfs_lockfile_open(ex, h, f)) != 0)
		goto out;
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
	pthread_mutex_unlock(&f->lock);
	cephfs_lockfile_unuse(ex, t, f);
	return rc;
}
