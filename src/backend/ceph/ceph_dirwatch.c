/* The ceph back end's directory watches (backend_ops.dir_watch): changes
 * other CephFS clients make to a delegated directory.
 *
 * What libcephfs 16.2 can tell a client about another client's change to
 * a directory (measured, docs/DECISIONS.md):
 *  - no names.  The invalidation callbacks of ceph_ll_register_callbacks
 *    (ino_cb, dentry_cb, ino_release_cb) are not called when another
 *    client creates, removes or renames an entry, nor when it changes the
 *    directory's mode.  dentry_cb does name an entry another client
 *    removed when this client holds a reference on its inode (an open
 *    file, a read delegation), but it says nothing of creations or
 *    renames, nor of entries not held, and comes the same way for
 *    Ferry's own removal of a held file: not used.  The MDS's dentry
 *    lease revocations (which carry a name) stay inside libcephfs.
 *  - that the directory changed.  Every such change revokes this client's
 *    shared capabilities on the directory, so its next getattr reaches the
 *    MDS and returns the directory's change attribute (statx version).
 *    The MDS raises it by one for each entry created, removed, linked or
 *    moved in or out, two for a rename within the directory, one more
 *    for an entry a rename replaced, one for a change of the directory's
 *    own attributes or extended attributes; a change to an entry's
 *    attributes or data leaves it alone.  While the capabilities are held
 *    the getattr is answered from the client's cache (tens of
 *    microseconds, no message), and ll_getattr cannot be made to ask the
 *    MDS (AT_STATX_FORCE_SYNC is EINVAL there).
 *
 * So a watch is a bounded periodic revalidation of the watched directories
 * alone: a thread of the export asks each one's change attribute every
 * CEPHFS_DIRWATCH_POLL_MS, and a value other than the one Ferry's own
 * changes account for is BACKEND_DIR_LOST (the NFS layer recalls the
 * delegations: the holders list again rather than serve a stale listing);
 * a directory that can no longer be reached is BACKEND_DIR_GONE.
 *
 * Ferry's own changes are never reported (the NFS layer notifies them
 * itself): each operation that changes a watched directory is bracketed
 * (cephfs_dirwatch_begin/_end) and adds what it raises the change
 * attribute by to what the watch expects.  A reading is only trusted when
 * no such operation was under way while it was taken, so it either counts
 * an operation fully or not at all.  A reading short of the expectation
 * by no more than Ferry's own renames out of the directory is the cache
 * lagging behind them (the MDS's reply carries the target directory's
 * attributes alone), not another client's change, which would have
 * revoked the capabilities and brought the MDS's value, past the
 * expectation: it waits for the next reading.  Any other reading is
 * BACKEND_DIR_LOST; an expectation that is wrong (an operation the MDS
 * counted otherwise) is so a recall, never a missed change.
 *
 * A directory Ferry keeps changing with overlapping operations cannot be
 * read cleanly; after CEPHFS_DIRWATCH_SKIPS_MAX polls without a clean
 * reading it is BACKEND_DIR_LOST too, so another client's change is never
 * seen later than that.
 *
 * A watch costs a cached getattr per directory per poll, so at most
 * CEPHFS_DIRWATCH_MAX directories are watched (-EAGAIN beyond: no
 * delegation).  One thread asks them in turn, so a getattr the MDS is
 * slow to answer (that of a directory another client removed: 1 to 5 s,
 * measured) delays the others' reports as long.
 *
 * No libcephfs call is made under the watch lock: the libcephfs calls of
 * the thread and of the operations would otherwise wait on each other. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"
#include "core/log.h"

enum {
	/* How often each watched directory is asked: a change by another
	 * CephFS client is reported within about this (plus a getattr
	 * that reaches the MDS). */
	CEPHFS_DIRWATCH_POLL_MS = 100,
	/* Directories watched at most (each costs a getattr per poll). */
	CEPHFS_DIRWATCH_MAX = 1024,
	/* Polls in a row a directory may go unread because Ferry's own
	 * operations in it kept overlapping the reading: past them, its
	 * delegations are recalled (nothing else would bound how late
	 * another client's change is seen in a directory Ferry keeps
	 * changing). */
	CEPHFS_DIRWATCH_SKIPS_MAX = 20,
};

struct cephfs_dirwatch_dir {
	struct cephfs_dirwatch_dir *next;
	uint64_t ino, snapid;
	struct Inode *in; /* held; put by the thread alone */
	uint64_t seen;	  /* the change attribute last accounted for */
	uint64_t expect;  /* what Ferry's finished operations added since */
	uint64_t lag;	  /* how much of it the client's cache may not show yet */
	uint64_t gen;	  /* operations begun (a reading taken across one is dropped) */
	unsigned busy;	  /* operations under way */
	unsigned skipped; /* polls in a row that could not read it */
	bool failed;	  /* the last reading failed, and was told */
	bool dead;	  /* unwatched: the thread puts and frees it */
};

struct cephfs_dirwatch {
	pthread_mutex_t lock; /* level 6e (core/lock_order.h): no libcephfs call under it */
	struct cephfs_chore poller; /* started with the first watch */
	struct cephfs_dirwatch_dir *dirs;
	size_t count;		 /* live ones */
	_Atomic size_t watching; /* count, read without the lock by the operations */
	/* An upgrade's: the poller reads nothing while handed (the new
	 * process watches from the marks on); a pass under way is waited
	 * for (passing, idle). */
	bool handed, passing;
	pthread_cond_t idle;
};

static struct cephfs_dirwatch_dir *cephfs_dirwatch_find(struct cephfs_dirwatch *w, uint64_t ino,
							uint64_t snapid)
{
	for (struct cephfs_dirwatch_dir *d = w->dirs; d; d = d->next)
		if (!d->dead && d->ino == ino && d->snapid == snapid)
			return d;
	return NULL;
}

/* The directory's change attribute, from the client's cache while it
 * holds the capabilities for it (libcephfs's ll_getattr cannot be made
 * to ask the MDS: AT_STATX_FORCE_SYNC is EINVAL there). */
static int cephfs_dirwatch_version(struct cephfs_export *ex, struct Inode *in, uint64_t *v)
{
	struct ceph_statx stx;
	int rc = CEPHFS_CALL(ex, getattr,
			     ceph_ll_getattr(ex->cm, in, &stx, CEPH_STATX_VERSION | CEPH_STATX_NLINK,
					     0, ceph_mount_perms(ex->cm)));
	if (rc)
		return rc;
	if (stx.stx_nlink == 0)
		return -ENOENT; /* removed by another client */
	*v = stx.stx_version;
	return 0;
}

static void cephfs_dirwatch_tell(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				 enum backend_dir_event ev)
{
	struct backend_handle h;

	cephfs_handle_make(ino, snapid, &h);
	pthread_mutex_lock(&ex->notify_lock);
	backend_dir_change_fn fn = ex->dir_fn;
	void *ctx = ex->dir_ctx;
	pthread_mutex_unlock(&ex->notify_lock);
	if (fn)
		fn(ctx, &h, ev, "");
}

/* One pass over the watched directories.  Lock held; released around the
 * libcephfs calls and the reports.  Only one pass runs at a time (the
 * poller's, or an upgrade's last: cephfs_dir_watch_hand), and only a pass
 * unlinks entries, so d stays valid across them. */
static void cephfs_dirwatch_walk(struct cephfs_export *ex)
{
	struct cephfs_dirwatch *w = ex->dirwatch;
	struct cephfs_dirwatch_dir **p = &w->dirs;

	while (*p && !w->poller.stop) {
		struct cephfs_dirwatch_dir *d = *p;
		if (d->dead) {
			*p = d->next;
			pthread_mutex_unlock(&w->lock);
			ceph_ll_put(ex->cm, d->in);
			free(d);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		uint64_t gen = d->gen, v = 0;
		int rc = 0;
		/* Asked again on the next pass, once Ferry's operation is
		 * done. */
		bool skip = d->busy != 0;
		if (!skip) {
			pthread_mutex_unlock(&w->lock);
			rc = cephfs_dirwatch_version(ex, d->in, &v);
			pthread_mutex_lock(&w->lock);
			/* Taken across an operation of Ferry's. */
			skip = d->busy || d->gen != gen;
		}
		p = &d->next;
		if (d->dead)
			continue;
		if (skip && ++d->skipped < CEPHFS_DIRWATCH_SKIPS_MAX)
			continue;
		d->skipped = 0;
		/* A directory gone stays gone: told once. */
		if (!skip && rc && d->failed)
			continue;
		d->failed = !skip && rc;
		enum backend_dir_event ev;
		if (skip) {
			/* What Ferry accounts for stays: a later reading
			 * that matches it tells nothing more. */
			ev = BACKEND_DIR_LOST;
			log_info("ceph: directory %#llx unread for %u polls (ferryd's own "
				 "operations in it overlapping): its delegations are recalled",
				 (unsigned long long)d->ino, (unsigned)CEPHFS_DIRWATCH_SKIPS_MAX);
		} else if (rc == -ENOENT || rc == -ESTALE) {
			ev = BACKEND_DIR_GONE;
		} else if (rc) {
			/* Nothing known: the holders must not go on trusting
			 * their listing. */
			ev = BACKEND_DIR_LOST;
		} else if (v == d->seen + d->expect) {
			d->seen = v;
			d->expect = d->lag = 0;
			continue;
		} else if (v + d->lag >= d->seen + d->expect && v < d->seen + d->expect) {
			/* Short of what Ferry's own operations account for
			 * by no more than its renames out of the directory:
			 * the cache of the directory a rename moved a name
			 * out of keeps its old attributes (the MDS's reply
			 * carries the target directory's alone) until the
			 * next reply about it.  Not a change of anyone
			 * else's: that would have revoked the capabilities,
			 * and the value read would be the MDS's, past what
			 * Ferry accounts for. */
			continue;
		} else {
			ev = BACKEND_DIR_LOST;
			log_info("ceph: directory %#llx changed by another CephFS client (change "
				 "attribute %llu, %llu accounted for): its delegations are recalled",
				 (unsigned long long)d->ino, (unsigned long long)v,
				 (unsigned long long)(d->seen + d->expect));
			d->seen = v;
			d->expect = d->lag = 0;
		}
		uint64_t ino = d->ino, snapid = d->snapid;
		pthread_mutex_unlock(&w->lock);
		if (rc && !skip)
			log_info("ceph: watched directory %#llx cannot be asked (%s): its "
				 "delegations are recalled",
				 (unsigned long long)ino, strerror(-rc));
		cephfs_dirwatch_tell(ex, ino, snapid, ev);
		pthread_mutex_lock(&w->lock);
	}
}

/* The poller's pass: none while handed to an upgrade's new process. */
static void cephfs_dirwatch_pass(struct cephfs_export *ex)
{
	struct cephfs_dirwatch *w = ex->dirwatch;

	if (w->handed)
		return;
	w->passing = true;
	cephfs_dirwatch_walk(ex);
	w->passing = false;
	pthread_cond_broadcast(&w->idle);
}

int cephfs_dirwatch_open(struct cephfs_export *ex)
{
	struct cephfs_dirwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->idle, NULL);
	cephfs_chore_init(&w->poller, &w->lock, CEPHFS_DIRWATCH_POLL_MS, cephfs_dirwatch_pass, ex);
	ex->dirwatch = w;
	return 0;
}

void cephfs_dirwatch_close(struct cephfs_export *ex)
{
	struct cephfs_dirwatch *w = ex->dirwatch;

	if (!w)
		return;
	cephfs_chore_stop(&w->poller);
	while (w->dirs) {
		struct cephfs_dirwatch_dir *d = w->dirs;
		w->dirs = d->next;
		ceph_ll_put(ex->cm, d->in);
		free(d);
	}
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->lock);
	free(w);
	ex->dirwatch = NULL;
}


void cephfs_dirwatch_begin(struct cephfs_export *ex, uint64_t ino, uint64_t snapid)
{
	struct cephfs_dirwatch *w = ex->dirwatch;

	if (!w || !atomic_load(&w->watching))
		return;
	pthread_mutex_lock(&w->lock);
	struct cephfs_dirwatch_dir *d = cephfs_dirwatch_find(w, ino, snapid);
	if (d) {
		d->busy++;
		d->gen++;
	}
	pthread_mutex_unlock(&w->lock);
}

static void cephfs_dirwatch_done(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				 unsigned changes, bool lagging)
{
	struct cephfs_dirwatch *w = ex->dirwatch;

	if (!w || !atomic_load(&w->watching))
		return;
	pthread_mutex_lock(&w->lock);
	struct cephfs_dirwatch_dir *d = cephfs_dirwatch_find(w, ino, snapid);
	/* An operation under way since before the watch began has no
	 * begin: its change may be in the first reading or not, so a
	 * mismatch (a recall) may follow, never a missed change; a reading
	 * taken across its end is dropped. */
	if (d && d->busy) {
		d->busy--;
		d->expect += changes;
		if (lagging)
			d->lag += changes;
	} else if (d) {
		d->gen++;
	}
	pthread_mutex_unlock(&w->lock);
}

void cephfs_dirwatch_end(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
			 unsigned changes)
{
	cephfs_dirwatch_done(ex, ino, snapid, changes, false);
}

void cephfs_dirwatch_end_moved_out(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				   unsigned changes)
{
	cephfs_dirwatch_done(ex, ino, snapid, changes, true);
}

static int cephfs_dirwatch_add(struct cephfs_export *ex, const struct backend_handle *h,
			       const uint64_t *mark)
{
	struct cephfs_dirwatch *w = ex->dirwatch;
	struct cephfs_obj o;
	uint64_t v;

	int rc = cephfs_obj_get_typed(ex, h, BACKEND_DIR, -ENOTDIR, &o);
	if (rc)
		return rc;
	/* A snapshot never changes, but nothing needs watching it either:
	 * its listings are not delegated. */
	if (o.snapid != CEPH_NOSNAP) {
		cephfs_obj_put(ex, &o);
		return -ENOTSUP;
	}
	pthread_mutex_lock(&w->lock);
	bool have = cephfs_dirwatch_find(w, o.ino, o.snapid) != NULL;
	bool full = w->count >= CEPHFS_DIRWATCH_MAX;
	pthread_mutex_unlock(&w->lock);
	if (have || full) {
		cephfs_obj_put(ex, &o);
		return have ? 0 : -EAGAIN;
	}
	struct cephfs_dirwatch_dir *d = calloc(1, sizeof(*d));
	if (!d) {
		cephfs_obj_put(ex, &o);
		return -ENOMEM;
	}
	/* The first reading: a change made before it is not the watch's
	 * to tell (the holder sees it in the directory's change attribute,
	 * which is CephFS's own); from here on every change is.  A watch an
	 * upgrade hands over goes on from what the old process had
	 * accounted for: the first pass tells a change made since. */
	if (mark) {
		v = *mark;
	} else if ((rc = cephfs_dirwatch_version(ex, o.in, &v)) != 0) {
		cephfs_obj_put(ex, &o);
		free(d);
		return cephfs_err(ex, rc);
	}
	d->ino = o.ino;
	d->snapid = o.snapid;
	d->in = cephfs_obj_take(ex, &o); /* the watch's own reference */
	if (!d->in) {
		free(d);
		return -ESTALE;
	}
	d->seen = v;
	pthread_mutex_lock(&w->lock);
	if (cephfs_dirwatch_find(w, d->ino, d->snapid)) {
		/* Watched meanwhile by another call. */
		pthread_mutex_unlock(&w->lock);
		ceph_ll_put(ex->cm, d->in);
		free(d);
		return 0;
	}
	if (!w->poller.started) {
		rc = cephfs_chore_start(&w->poller);
		if (rc) {
			pthread_mutex_unlock(&w->lock);
			ceph_ll_put(ex->cm, d->in);
			free(d);
			return rc;
		}
	}
	d->next = w->dirs;
	w->dirs = d;
	w->count++;
	atomic_store(&w->watching, w->count);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

static void cephfs_dirwatch_remove(struct cephfs_export *ex, const struct backend_handle *h)
{
	struct cephfs_dirwatch *w = ex->dirwatch;
	uint64_t ino, snapid;

	if (cephfs_handle_parse(h, &ino, &snapid))
		return;
	pthread_mutex_lock(&w->lock);
	struct cephfs_dirwatch_dir *d = cephfs_dirwatch_find(w, ino, snapid);
	if (d) {
		d->dead = true;
		w->count--;
		atomic_store(&w->watching, w->count);
		cephfs_chore_wake(&w->poller);
	}
	pthread_mutex_unlock(&w->lock);
}

int cephfs_dir_watch(struct backend_export *bex, const struct backend_handle *h, bool on)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	if (!ex->dirwatch)
		return on ? -ENOTSUP : 0;
	if (!on) {
		cephfs_dirwatch_remove(ex, h);
		return 0;
	}
	return cephfs_dirwatch_add(ex, h, NULL);
}

int cephfs_dir_watch_hand(struct backend_export *bex, int *fd, struct backend_handle **dirs,
			  uint64_t **marks, size_t *n)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dirwatch *w = ex->dirwatch;

	*fd = -1;
	*dirs = NULL;
	*marks = NULL;
	*n = 0;
	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->handed = true;
	while (w->passing)
		pthread_cond_wait(&w->idle, &w->lock);
	/* A last look, told before the state is saved (its holders are
	 * told through the NFS layer, which notes it for them). */
	cephfs_dirwatch_walk(ex);
	size_t cap = w->count;
	struct backend_handle *hv = cap ? calloc(cap, sizeof(*hv)) : NULL;
	uint64_t *mv = cap ? calloc(cap, sizeof(*mv)) : NULL;
	size_t k = 0;
	if (cap && (!hv || !mv)) {
		w->handed = false;
		pthread_mutex_unlock(&w->lock);
		free(hv);
		free(mv);
		return -ENOMEM;
	}
	for (struct cephfs_dirwatch_dir *d = w->dirs; d && k < cap; d = d->next) {
		if (d->dead)
			continue;
		cephfs_handle_make(d->ino, d->snapid, &hv[k]);
		/* Frozen: no operation of ferryd's is under way, so what the
		 * MDS's change attribute should be is all accounted for. */
		mv[k++] = d->seen + d->expect;
	}
	pthread_mutex_unlock(&w->lock);
	*dirs = hv;
	*marks = mv;
	*n = k;
	return 0;
}

int cephfs_dir_watch_adopt(struct backend_export *bex, int fd, const struct backend_handle *dirs,
			   const uint64_t *marks, size_t n)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	if (fd >= 0)
		close(fd); /* none is expected: the watch is the marks */
	if (!ex->dirwatch || (n && !marks))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int rc = cephfs_dirwatch_add(ex, &dirs[i], &marks[i]);
		if (rc == -ESTALE || rc == -ENOENT) {
			/* Removed meanwhile: told as the poller would. */
			uint64_t ino, snapid;
			if (cephfs_handle_parse(&dirs[i], &ino, &snapid) == 0)
				cephfs_dirwatch_tell(ex, ino, snapid, BACKEND_DIR_GONE);
		} else if (rc) {
			return rc;
		}
	}
	return 0;
}

void cephfs_dir_watch_resume(struct backend_export *bex)
{
	struct cephfs_export *ex = cephfs_export_of(bex);
	struct cephfs_dirwatch *w = ex->dirwatch;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->handed = false;
	if (w->poller.started)
		cephfs_chore_wake(&w->poller);
	pthread_mutex_unlock(&w->lock);
}

void cephfs_dir_notify(struct backend_export *bex, backend_dir_change_fn fn, void *ctx)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	backend_dir_notify_set(&ex->notify_lock, &ex->dir_fn, &ex->dir_ctx, fn, ctx);
}
