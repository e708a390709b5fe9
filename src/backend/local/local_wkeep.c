/* Descriptors kept for writing while the NFS layer holds a file open for
 * writing (backend_ops.write_hold).
 *
 * Without them every WRITE opens the file through /proc/self/fd (a path
 * walk of the magic link, the permission checks of open, a struct file)
 * and closes it again (fput, the fanotify close-write event): about a
 * tenth of a 4 KiB WRITE's CPU.  While an NFS open with write access
 * exists, the first WRITE's descriptor is kept here instead and later
 * WRITEs go through it, each still checked as open(O_WRONLY) would check
 * it (local_may_write), so a chmod on the host is seen by the next WRITE
 * as before.
 *
 * A kept descriptor is what an open for writing is on the host: the file
 * cannot be executed (ETXTBSY) and no lease can be taken on it while it is
 * open (as with knfsd, which holds a struct file per open).  So it is kept
 * only between the NFS layer's holds (the last release closes it), never
 * while the server holds a WRITE lease on the file (its own O_RDWR
 * descriptor serves the writes then), and it is closed before the server
 * takes a lease of its own (local_wkeep_drop).  At most LOCAL_WKEEP_MAX are
 * kept per export; past that a WRITE opens and closes its own as before.
 *
 * A record lives while holds or users are non-zero or a descriptor is
 * kept.  users counts WRITEs using the kept descriptor now: it is closed
 * only once none does, so a number is never closed under a writer. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

struct local_wkeep {
	struct hashtable_node node;
	struct backend_handle handle;
	long holds;     /* the NFS layer's holds: opens with write access */
	unsigned users; /* WRITEs using fd now */
	int fd;         /* kept descriptor, -1: none */
	bool drop;      /* close fd once users is 0 (a lease is wanted) */
};

int local_wkeep_init(struct local_export *ex)
{
	int r = hashtable_init(&ex->wkeeps, LOCAL_WKEEP_BUCKETS);

	if (r != 0)
		return r;
	r = pthread_mutex_init(&ex->wkeep_lock, NULL);
	if (r != 0) {
		hashtable_fini(&ex->wkeeps);
		return -r;
	}
	ex->wkeep_fds = 0;
	ex->wkeep_ready = true;
	return 0;
}

void local_wkeep_fini(struct local_export *ex)
{
	struct hashtable_iter it;
	struct hashtable_node *n;

	if (!ex->wkeep_ready)
		return;
	while ((n = hashtable_iter_first(&it, &ex->wkeeps)) != NULL) {
		struct local_wkeep *k = hashtable_entry(n, struct local_wkeep, node);

		hashtable_remove(&ex->wkeeps, n);
		if (k->fd >= 0)
			close(k->fd);
		free(k);
	}
	hashtable_fini(&ex->wkeeps);
	pthread_mutex_destroy(&ex->wkeep_lock);
	ex->wkeep_ready = false;
}

/* Under wkeep_lock. */
static struct local_wkeep *wkeep_find(struct local_export *ex, const struct backend_handle *h)
{
	struct hashtable_node *n;

	hashtable_for_each_hash(n, &ex->wkeeps, local_handle_hash(h))
	{
		struct local_wkeep *k = hashtable_entry(n, struct local_wkeep, node);

		if (local_handle_eq(&k->handle, h))
			return k;
	}
	return NULL;
}

/* Takes the record's descriptor away when nobody uses it and it is no
 * longer wanted, and the record itself when nothing is left in it; under
 * wkeep_lock.  Returns the descriptor for the caller to close after the
 * unlock (-1: none). */
static int wkeep_settle(struct local_export *ex, struct local_wkeep *k)
{
	int fd = -1;

	if (k->users == 0 && k->fd >= 0 && (k->holds <= 0 || k->drop)) {
		fd = k->fd;
		k->fd = -1;
		ex->wkeep_fds--;
	}
	if (k->users == 0)
		k->drop = false;
	if (k->holds == 0 && k->users == 0 && k->fd < 0) {
		hashtable_remove(&ex->wkeeps, &k->node);
		free(k);
	}
	return fd;
}

int local_write_hold(struct backend_export *bex, const struct backend_handle *h, bool on)
{
	struct local_export *ex = local_export_of(bex);
	struct local_wkeep *k;
	int fd = -1;

	if (h->len <= LOCAL_HANDLE_HDR || h->len > BACKEND_HANDLE_MAX)
		return -EBADF;
	pthread_mutex_lock(&ex->wkeep_lock);
	k = wkeep_find(ex, h);
	if (!k) {
		/* A release for a hold that was never counted (its record
		 * could not be made) has nothing to undo. */
		if (!on) {
			pthread_mutex_unlock(&ex->wkeep_lock);
			return 0;
		}
		k = calloc(1, sizeof(*k));
		if (!k) {
			pthread_mutex_unlock(&ex->wkeep_lock);
			return -ENOMEM;
		}
		k->handle = *h;
		k->fd = -1;
		hashtable_insert(&ex->wkeeps, &k->node, local_handle_hash(h));
	}
	/* The NFS layer tells holds in the order it made them (one drain at
	 * a time), so a release never overtakes its hold; never below 0. */
	if (on)
		k->holds++;
	else if (k->holds > 0)
		k->holds--;
	fd = wkeep_settle(ex, k);
	pthread_mutex_unlock(&ex->wkeep_lock);
	if (fd >= 0)
		close(fd);
	return 0;
}

int local_wkeep_take(struct local_export *ex, struct local_fd *f)
{
	struct local_wkeep *k;
	int fd = -1;

	if (atomic_load(&f->rfd_rw))
		return -1; /* the lease's descriptor serves (local_open_write) */
	pthread_mutex_lock(&ex->wkeep_lock);
	k = wkeep_find(ex, &f->handle);
	if (k && k->fd >= 0 && k->holds > 0 && !k->drop) {
		k->users++;
		fd = k->fd;
	}
	pthread_mutex_unlock(&ex->wkeep_lock);
	return fd;
}

void local_wkeep_put(struct local_export *ex, struct local_fd *f, int fd, bool taken)
{
	struct local_wkeep *k;
	int close_fd = -1;

	pthread_mutex_lock(&ex->wkeep_lock);
	k = wkeep_find(ex, &f->handle);
	if (taken) {
		/* users > 0 kept the record and its descriptor. */
		k->users--;
		close_fd = wkeep_settle(ex, k);
	} else if (k && k->holds > 0 && k->fd < 0 && !k->drop && !atomic_load(&f->rfd_rw) &&
		   ex->wkeep_fds < LOCAL_WKEEP_MAX) {
		k->fd = fd;
		ex->wkeep_fds++;
	} else {
		close_fd = fd;
	}
	pthread_mutex_unlock(&ex->wkeep_lock);
	if (close_fd >= 0)
		close(close_fd);
}

void local_wkeep_drop(struct local_export *ex, const struct backend_handle *h)
{
	struct local_wkeep *k;
	int fd = -1;

	if (!ex->wkeep_ready)
		return;
	pthread_mutex_lock(&ex->wkeep_lock);
	k = wkeep_find(ex, h);
	if (k && k->fd >= 0) {
		k->drop = true;
		fd = wkeep_settle(ex, k);
	}
	pthread_mutex_unlock(&ex->wkeep_lock);
	if (fd >= 0)
		close(fd);
}

size_t local_wkeep_count(struct local_export *ex)
{
	size_t n;

	pthread_mutex_lock(&ex->wkeep_lock);
	n = ex->wkeep_fds;
	pthread_mutex_unlock(&ex->wkeep_lock);
	return n;
}
