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
 * that.  Who may read or write is decided per request before a file is
 * taken from here (cephfs_data_open); the file is the mount's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ceph/ceph_internal.h"
#include "core/clock.h"
#include "core/log.h"

enum {
	CEPHFS_FILE_BUCKETS = 1024,
	CEPHFS_FILE_IDLE_MS = 3000, /* an unused file closes after this */
	CEPHFS_FILE_MAX = 4096,	    /* open files kept at most */
};

struct cephfs_file {
	struct cephfs_file *next;
	uint64_t ino, snapid;
	struct Fh *fh;
	bool write;	  /* opened for reading and writing */
	unsigned users;	  /* requests using fh now */
	uint64_t used_ms; /* when the last one ended */
};

struct cephfs_files {
	pthread_mutex_t lock;
	struct cephfs_chore closer; /* closes the idle files */
	struct cephfs_file *bucket[CEPHFS_FILE_BUCKETS];
	size_t count;
};

static struct cephfs_file **cephfs_file_slot(struct cephfs_files *t, uint64_t ino, uint64_t snapid)
{
	struct cephfs_file **p = &t->bucket[(ino ^ (snapid << 7)) % CEPHFS_FILE_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->snapid != snapid))
		p = &(*p)->next;
	return p;
}

/* Closes the unused files idle since before limit (all unused ones: 0
 * means now, and UINT64_MAX every one).  Lock held; the closes are made
 * with it released, the files out of the table first. */
static void cephfs_files_close_idle(struct cephfs_export *ex, uint64_t older_than_ms, bool all)
{
	struct cephfs_files *t = ex->files;
	struct cephfs_file *closing = NULL;
	uint64_t now = clock_now_coarse_ms();

	for (size_t b = 0; b < CEPHFS_FILE_BUCKETS; b++) {
		struct cephfs_file **p = &t->bucket[b];
		while (*p) {
			struct cephfs_file *f = *p;
			if (f->users == 0 && (all || now - f->used_ms >= older_than_ms)) {
				*p = f->next;
				f->next = closing;
				closing = f;
				t->count--;
				continue;
			}
			p = &f->next;
		}
	}
	pthread_mutex_unlock(&t->lock);
	while (closing) {
		struct cephfs_file *f = closing;
		closing = f->next;
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
		free(f);
	}
	pthread_mutex_lock(&t->lock);
}

static void cephfs_files_close_stale(struct cephfs_export *ex)
{
	cephfs_files_close_idle(ex, CEPHFS_FILE_IDLE_MS, false);
}

int cephfs_files_open(struct cephfs_export *ex)
{
	struct cephfs_files *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	cephfs_chore_init(&t->closer, &t->lock, 1000, cephfs_files_close_stale, ex);
	ex->files = t;
	return cephfs_chore_start(&t->closer);
}

void cephfs_files_close(struct cephfs_export *ex)
{
	struct cephfs_files *t = ex->files;

	if (!t)
		return;
	cephfs_chore_stop(&t->closer);
	pthread_mutex_lock(&t->lock);
	cephfs_files_close_idle(ex, 0, true);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
	ex->files = NULL;
}


int cephfs_file_get(struct cephfs_export *ex, const struct cephfs_obj *o, bool write,
		    struct cephfs_file **out)
{
	struct cephfs_files *t = ex->files;

	pthread_mutex_lock(&t->lock);
	struct cephfs_file *f = *cephfs_file_slot(t, o->ino, o->snapid);
	if (f && (f->write || !write)) {
		f->users++;
		pthread_mutex_unlock(&t->lock);
		*out = f;
		return 0;
	}
	if (t->count >= CEPHFS_FILE_MAX)
		cephfs_files_close_idle(ex, 0, false);
	pthread_mutex_unlock(&t->lock);

	/* Opened without the lock (the MDS may be asked); a file opened
	 * meanwhile by another request for the same inode wins. */
	struct cephfs_file *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->ino = o->ino;
	n->snapid = o->snapid;
	n->write = write;
	n->users = 1;
	int rc = cephfs_err(ex, CEPHFS_CALL(ex, open,
					    ceph_ll_open(ex->cm, o->in, write ? O_RDWR : O_RDONLY,
							 &n->fh, ceph_mount_perms(ex->cm))));
	if (rc) {
		free(n);
		return rc;
	}
	pthread_mutex_lock(&t->lock);
	struct cephfs_file **slot = cephfs_file_slot(t, o->ino, o->snapid);
	f = *slot;
	if (f && (f->write || !write)) {
		f->users++;
		pthread_mutex_unlock(&t->lock);
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, n->fh));
		free(n);
		*out = f;
		return 0;
	}
	if (f) {
		/* A file for reading only, replaced by this one for writing:
		 * out of the table, closed by its last user. */
		*slot = f->next;
		t->count--;
		f->next = NULL;
		f->ino = f->snapid = 0;
		f->used_ms = UINT64_MAX; /* marks it out of the table */
		slot = cephfs_file_slot(t, o->ino, o->snapid);
	}
	n->next = *slot;
	*slot = n;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	*out = n;
	return 0;
}

struct Fh *cephfs_file_fh(const struct cephfs_file *f)
{
	return f->fh;
}

void cephfs_file_put(struct cephfs_export *ex, struct cephfs_file *f)
{
	struct cephfs_files *t = ex->files;

	pthread_mutex_lock(&t->lock);
	bool orphan = f->used_ms == UINT64_MAX;
	bool last = --f->users == 0;
	if (!orphan)
		f->used_ms = clock_now_coarse_ms();
	pthread_mutex_unlock(&t->lock);
	if (orphan && last) {
		CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
		free(f);
	}
}

void cephfs_file_adopt(struct cephfs_export *ex, uint64_t ino, uint64_t snapid, struct Fh *fh)
{
	struct cephfs_files *t = ex->files;
	struct cephfs_file *n = calloc(1, sizeof(*n));

	if (n) {
		pthread_mutex_lock(&t->lock);
		struct cephfs_file **slot = cephfs_file_slot(t, ino, snapid);
		if (!*slot && t->count < CEPHFS_FILE_MAX) {
			n->ino = ino;
			n->snapid = snapid;
			n->fh = fh;
			n->write = true;
			n->used_ms = clock_now_coarse_ms();
			n->next = *slot;
			*slot = n;
			t->count++;
			pthread_mutex_unlock(&t->lock);
			return;
		}
		pthread_mutex_unlock(&t->lock);
		free(n);
	}
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, fh));
}

bool cephfs_file_drop_writer(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_files *t = ex->files;

	pthread_mutex_lock(&t->lock);
	struct cephfs_file **slot = cephfs_file_slot(t, ino, snapid);
	struct cephfs_file *f = *slot;
	if (!f || !f->write) {
		pthread_mutex_unlock(&t->lock);
		return true;
	}
	if (f->users > 0) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	*slot = f->next;
	t->count--;
	pthread_mutex_unlock(&t->lock);
	CEPHFS_CALL(ex, close, ceph_ll_close(ex->cm, f->fh));
	free(f);
	return true;
}
