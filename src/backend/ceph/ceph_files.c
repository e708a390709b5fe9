/* The ceph back end's open files: the Fh a READ or WRITE goes through,
 * kept between requests.
 *
 * Opening and closing a libcephfs file per request costs more than the
 * I/O: the last close of a file written sends its capabilities back to
 * the MDS, and the next open asks for them again.  So the open file of an
 * inode stays (for reading, or for reading and writing once a write came
 * or when the file was created here: the create's own file) while
 * requests use it and a few seconds after the last one; a thread
 * closes the idle ones, so that the capabilities they hold go back to the
 * MDS and other clients are not kept from caching the file longer than
 * that.  A file removed through ferryd has its open file closed soon
 * after (cephfs_remove): nothing will read it, and until the close the MDS
 * cannot purge it.  Not at once but after the sync that makes the remove
 * stable, with the other files of the same batch (cephfs_sync), or on the
 * sweeper's next round when no sync comes (an export with async = yes):
 * the close of a file written moments before sends its data and
 * capabilities, and a batch's closes made together leave in fewer of the
 * messenger's rounds (docs/DECISIONS.md, "CephFS create: removed files
 * closed after the sync").  Who may read or write is decided per request
 * before a file is taken from here (cephfs_data_open); the file is the
 * mount's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"
#include "core/container_of.h"
#include "core/log.h"

enum {
	CEPHFS_FILE_IDLE_MS = 3000, /* an unused file closes after this */
	CEPHFS_FILE_MAX = 4096,	    /* open files kept at most */
};

struct cephfs_file {
	struct cephfs_kept k; /* k.used_ms UINT64_MAX: out of the table */
	struct Fh *fh;
	bool write; /* opened for reading and writing */
};

struct cephfs_files {
	struct cephfs_kept_table t;
	/* Removed files' open files out of the table, waiting to be closed
	 * (cephfs_files_close_removed); guarded by t.lock. */
	struct cephfs_kept *removed;
};

static struct cephfs_file *file_of(struct cephfs_kept *k)
{
	return k ? container_of(k, struct cephfs_file, k) : NULL;
}

static void cephfs_file_close(struct cephfs_export *ex, struct cephfs_kept *k)
{
	struct cephfs_file *f = file_of(k);
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
	free(f);
}

/* Closes the files of the list k (linked by k.next). */
static void close_list(struct cephfs_export *ex, struct cephfs_kept *k)
{
	while (k) {
		struct cephfs_kept *next = k->next;
		cephfs_file_close(ex, k);
		k = next;
	}
}

void cephfs_files_close_removed(struct cephfs_export *ex)
{
	struct cephfs_kept_table *t = &ex->files->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_kept *removed = ex->files->removed;
	ex->files->removed = NULL;
	pthread_mutex_unlock(&t->lock);
	close_list(ex, removed);
}

/* The sweeper's round (t.lock held, as cephfs_kept_release_idle wants). */
static void cephfs_files_close_stale(struct cephfs_export *ex)
{
	struct cephfs_kept_table *t = &ex->files->t;
	struct cephfs_kept *removed = ex->files->removed;

	ex->files->removed = NULL;
	if (removed) {
		pthread_mutex_unlock(&t->lock);
		close_list(ex, removed);
		pthread_mutex_lock(&t->lock);
	}
	cephfs_kept_release_idle(ex, t, CEPHFS_FILE_IDLE_MS);
}

int cephfs_files_open(struct cephfs_export *ex)
{
	struct cephfs_files *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	ex->files = t;
	return cephfs_kept_open(ex, &t->t, cephfs_files_close_stale, cephfs_file_close);
}

void cephfs_files_close(struct cephfs_export *ex)
{
	struct cephfs_files *t = ex->files;

	if (!t)
		return;
	cephfs_kept_close(ex, &t->t);
	/* The sweeper has stopped, and no request runs any more. */
	close_list(ex, t->removed);
	free(t);
	ex->files = NULL;
}

int cephfs_file_get(struct cephfs_export *ex, const struct cephfs_obj *o, bool write,
		    struct cephfs_file **out)
{
	struct cephfs_kept_table *t = &ex->files->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_file *f = file_of(*cephfs_kept_slot(t, o->ino, o->snapid));
	if (f && (f->write || !write)) {
		f->k.users++;
		pthread_mutex_unlock(&t->lock);
		*out = f;
		return 0;
	}
	if (t->count >= CEPHFS_FILE_MAX)
		cephfs_kept_release_idle(ex, t, 0);
	pthread_mutex_unlock(&t->lock);

	/* Opened without the lock (the MDS may be asked); a file opened
	 * meanwhile by another request for the same inode wins. */
	struct cephfs_file *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->k.ino = o->ino;
	n->k.snapid = o->snapid;
	n->k.users = 1;
	n->write = write;
	int rc = cephfs_err(ex, CEPHFS_CALL(ex, open,
					    ceph_ll_open(ex->cm, o->in, write ? O_RDWR : O_RDONLY,
							 &n->fh, ceph_mount_perms(ex->cm))));
	if (rc) {
		free(n);
		return rc;
	}
	pthread_mutex_lock(&t->lock);
	struct cephfs_kept **slot = cephfs_kept_slot(t, o->ino, o->snapid);
	f = file_of(*slot);
	if (f && (f->write || !write)) {
		f->k.users++;
		pthread_mutex_unlock(&t->lock);
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, n->fh));
		free(n);
		*out = f;
		return 0;
	}
	struct cephfs_file *idle = NULL;
	if (f) {
		/* A file for reading only, replaced by this one for writing:
		 * out of the table, closed now if nobody uses it, else by its
		 * last user. */
		*slot = f->k.next;
		t->count--;
		f->k.next = NULL;
		f->k.ino = f->k.snapid = 0;
		f->k.used_ms = UINT64_MAX; /* marks it out of the table */
		if (f->k.users == 0)
			idle = f;
		slot = cephfs_kept_slot(t, o->ino, o->snapid);
	}
	n->k.next = *slot;
	*slot = &n->k;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	if (idle)
		cephfs_file_close(ex, &idle->k);
	*out = n;
	return 0;
}

struct Fh *cephfs_file_fh(const struct cephfs_file *f)
{
	return f->fh;
}

void cephfs_file_put(struct cephfs_export *ex, struct cephfs_file *f)
{
	struct cephfs_kept_table *t = &ex->files->t;

	pthread_mutex_lock(&t->lock);
	bool orphan = f->k.used_ms == UINT64_MAX;
	bool last = --f->k.users == 0;
	if (!orphan)
		f->k.used_ms = clock_now_coarse_ms();
	pthread_mutex_unlock(&t->lock);
	if (orphan && last)
		cephfs_file_close(ex, &f->k);
}

void cephfs_file_adopt(struct cephfs_export *ex, uint64_t ino, uint64_t snapid, struct Fh *fh)
{
	struct cephfs_kept_table *t = &ex->files->t;
	struct cephfs_file *n = calloc(1, sizeof(*n));

	if (n) {
		pthread_mutex_lock(&t->lock);
		struct cephfs_kept **slot = cephfs_kept_slot(t, ino, snapid);
		if (!*slot && t->count < CEPHFS_FILE_MAX) {
			n->k.ino = ino;
			n->k.snapid = snapid;
			n->k.used_ms = clock_now_coarse_ms();
			n->fh = fh;
			n->write = true;
			n->k.next = *slot;
			*slot = &n->k;
			t->count++;
			pthread_mutex_unlock(&t->lock);
			return;
		}
		pthread_mutex_unlock(&t->lock);
		free(n);
	}
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, fh));
}

/* Takes the file kept open on (ino, snapid) (writer: only one open for
 * writing) out of the table when no request is using it, and closes it or,
 * removed, sets it aside for cephfs_files_close_removed; true when none
 * such is left in the table. */
static bool file_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid, bool writer,
		      bool removed)
{
	struct cephfs_kept_table *t = &ex->files->t;

	pthread_mutex_lock(&t->lock);
	struct cephfs_kept **slot = cephfs_kept_slot(t, ino, snapid);
	struct cephfs_file *f = file_of(*slot);
	if (!f || (writer && !f->write)) {
		pthread_mutex_unlock(&t->lock);
		return true;
	}
	if (f->k.users > 0) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	*slot = f->k.next;
	t->count--;
	if (removed) {
		f->k.next = ex->files->removed;
		ex->files->removed = &f->k;
		pthread_mutex_unlock(&t->lock);
		return true;
	}
	pthread_mutex_unlock(&t->lock);
	cephfs_file_close(ex, &f->k);
	return true;
}

bool cephfs_file_drop_writer(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	return file_drop(ex, ino, snapid, true, false);
}

void cephfs_file_drop_removed(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	file_drop(ex, ino, snapid, false, true);
}
