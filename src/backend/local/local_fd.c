/* Handles and the cache of open objects.
 *
 * A handle is the kernel's own file handle (name_to_handle_at): its type
 * (4 bytes, host order) followed by f_handle.  The kernel checks inode
 * number and generation when it decodes one, so handles stay valid across
 * restarts and go stale when the object is deleted; garbage fails in the
 * kernel with EINVAL or ESTALE.  Handles are decoded against the export's
 * mount, so an object outside the export's directory but on the same file
 * system would resolve: as with nfsd's default no_subtree_check we do not
 * walk up to prove otherwise, because every handle we hand out was reached
 * from the root and the NFS layer signs them.
 *
 * Resolving costs open_by_handle_at (1.4 us) plus, for a caller other than
 * root, two fsuid switches (2.6 us) since it needs CAP_DAC_READ_SEARCH.  So
 * resolved objects stay open as O_PATH descriptors in a small LRU cache
 * keyed by handle; a hit costs a mutex.  An O_PATH descriptor stays valid
 * and names the same inode forever, so the cache can never point a handle
 * at a different object.  What it can do is keep a deleted inode alive:
 * removals made through the export drop the entry at once
 * (local_fd_forget), getattr of an entry whose inode has no links left
 * answers ESTALE and drops it, and deletions made on the host hold at most
 * LOCAL_FD_CACHE_MAX inodes until eviction.
 *
 * Entries are reference counted so a descriptor is never closed (and its
 * number reused) while another thread uses it. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

void local_proc_path(char buf[LOCAL_PROC_FD_PATH], int fd)
{
	snprintf(buf, LOCAL_PROC_FD_PATH, "/proc/self/fd/%d", fd);
}

int local_handle_make(int dirfd, const char *name, int flags, struct backend_handle *out,
		      int *mount_id_out)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + BACKEND_HANDLE_MAX];
	} u;
	int mount_id;
	int32_t type;

	u.fh.handle_bytes = BACKEND_HANDLE_MAX - LOCAL_HANDLE_HDR;
	if (name_to_handle_at(dirfd, name, &u.fh, &mount_id, flags) != 0)
		return -errno;
	type = u.fh.handle_type;
	memcpy(out->data, &type, LOCAL_HANDLE_HDR);
	memcpy(out->data + LOCAL_HANDLE_HDR, u.fh.f_handle, u.fh.handle_bytes);
	out->len = (uint8_t)(LOCAL_HANDLE_HDR + u.fh.handle_bytes);
	if (mount_id_out)
		*mount_id_out = mount_id;
	return 0;
}

int local_handle_child(struct local_export *ex, int dirfd, const char *name,
		       struct backend_handle *out)
{
	int mount_id = -1, r;

	/* Flags 0: a trailing symbolic link is named, not followed.  The walk
	 * does follow a mount on the name; the mount id tells (the export's
	 * mount is pinned by root_fd, so its id cannot be reused). */
	r = local_handle_make(dirfd, name, 0, out, &mount_id);
	if (r == 0 && mount_id != ex->mount_id)
		r = -EXDEV;
	return r;
}

/* open_by_handle_at, with errors the contract knows: -ESTALE when the
 * object is gone, -EBADF when the bytes cannot be a handle. */
static int local_handle_open(struct local_export *ex, const struct backend_handle *h)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + BACKEND_HANDLE_MAX];
	} u;
	int32_t type;
	int fd, r;

	if (h->len <= LOCAL_HANDLE_HDR || h->len > BACKEND_HANDLE_MAX)
		return -EBADF;
	memcpy(&type, h->data, LOCAL_HANDLE_HDR);
	u.fh.handle_type = type;
	u.fh.handle_bytes = h->len - LOCAL_HANDLE_HDR;
	memcpy(u.fh.f_handle, h->data + LOCAL_HANDLE_HDR, u.fh.handle_bytes);
	r = local_cred_privileged();
	if (r != 0)
		return r;
	/* The kernel reports ENOMEM, rather than ESTALE, for an inode that is
	 * being evicted after its last unlink; it settles at once. */
	for (int tries = 0;; tries++) {
		fd = open_by_handle_at(ex->root_fd, &u.fh, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOMEM)
			break;
		if (tries == 3)
			return -ESTALE;
		sched_yield();
	}
	switch (errno) {
	case EINVAL:
	case EOVERFLOW:
		return -EBADF;
	case ENOENT:
		return -ESTALE;
	default:
		return -errno;
	}
}

uint64_t local_handle_hash(const struct backend_handle *h)
{
	uint64_t x = 14695981039346656037ull; /* FNV-1a: handles are signed by the NFS layer */

	for (unsigned i = 0; i < h->len; i++)
		x = (x ^ h->data[i]) * 1099511628211ull;
	return x;
}

uint64_t local_ino_hash(uint64_t ino)
{
	return ino * 0x9e3779b97f4a7c15ull;
}

static void local_fd_free(struct local_export *ex, struct local_fd *f)
{
	int rfd = atomic_load(&f->rfd);

	if (rfd >= 0)
		close(rfd);
	if (atomic_load(&f->attr_held))
		local_attrcache_release(ex, f->ino, f->pfd);
	else
		close(f->pfd);
	free(f);
}

/* Under ex->lock. */
static struct local_fd *local_fd_find(struct local_export *ex, const struct backend_handle *h)
{
	struct hashtable_node *n;

	hashtable_for_each_hash(n, &ex->fds, local_handle_hash(h))
	{
		struct local_fd *f = hashtable_entry(n, struct local_fd, node);

		if (local_handle_eq(&f->handle, h))
			return f;
	}
	return NULL;
}

/* Takes f out of the table; under ex->lock.  Returns f if the caller must
 * free it (nobody holds it), NULL if the last put will. */
static struct local_fd *local_fd_unhash(struct local_export *ex, struct local_fd *f)
{
	hashtable_remove(&ex->fds, &f->node);
	hashtable_remove(&ex->fds_by_ino, &f->ino_node);
	list_del(&f->lru);
	f->cached = false;
	return f->refs == 0 ? f : NULL;
}

/* Closes the entries on victims (collected by local_fd_unhash, linked
 * through lru: free once out of the LRU list), after ex->lock is released. */
static void local_fd_free_list(struct local_export *ex, struct list_node *victims)
{
	struct list_node *p, *tmp;

	list_for_each_safe(p, tmp, victims)
		local_fd_free(ex, list_entry(p, struct local_fd, lru));
}

/* Inserts a new entry for pfd (taken) and returns it referenced, or the
 * entry another thread inserted meanwhile. */
static struct local_fd *local_fd_insert(struct local_export *ex, const struct backend_handle *h,
					int pfd, const struct statx *stx)
{
	struct local_fd *f = calloc(1, sizeof(*f)), *old;
	struct list_node victims;

	if (!f) {
		close(pfd);
		return NULL;
	}
	f->handle = *h;
	f->pfd = pfd;
	atomic_init(&f->rfd, -1);
	atomic_init(&f->rfd_rw, false);
	atomic_init(&f->data_ops, 0);
	atomic_init(&f->attr_held, false);
	atomic_init(&f->linked_at, 0);
	atomic_init(&f->write_ok, 0);
	f->lease = BACKEND_LEASE_NONE;
	f->ino = stx->stx_ino;
	f->fmt = stx->stx_mode & S_IFMT;
	f->refs = 1;
	f->cached = true;

	pthread_mutex_lock(&ex->lock);
	old = local_fd_find(ex, h);
	if (old) {
		old->refs++;
		pthread_mutex_unlock(&ex->lock);
		close(pfd);
		free(f);
		return old;
	}
	hashtable_insert(&ex->fds, &f->node, local_handle_hash(h));
	hashtable_insert(&ex->fds_by_ino, &f->ino_node, local_ino_hash(f->ino));
	list_add_head(&ex->lru, &f->lru);
	/* Evict idle entries from the cold end; entries in use stay and the
	 * cache runs over its size until they are put. */
	list_init(&victims);
	for (struct list_node *p = ex->lru.prev, *prev;
	     p != &ex->lru && hashtable_count(&ex->fds) > LOCAL_FD_CACHE_MAX; p = prev) {
		struct local_fd *v = list_entry(p, struct local_fd, lru);

		prev = p->prev;
		if (v->refs == 0 && !v->pinned && local_fd_unhash(ex, v))
			list_add_head(&victims, &v->lru);
	}
	pthread_mutex_unlock(&ex->lock);
	local_fd_free_list(ex, &victims);
	return f;
}

/* A cache hit, found under ex->lock: a reference for the caller, and the
 * entry moves to the hot end of the LRU list.  f may be NULL (a miss). */
static inline struct local_fd *local_fd_hit(struct local_export *ex, struct local_fd *f)
{
	if (f) {
		f->refs++;
		if (ex->lru.next != &f->lru) {
			list_del(&f->lru);
			list_add_head(&ex->lru, &f->lru);
		}
	}
	return f;
}

struct local_fd *local_fd_cached(struct local_export *ex, const struct backend_handle *h)
{
	struct local_fd *f;

	pthread_mutex_lock(&ex->lock);
	f = local_fd_hit(ex, local_fd_find(ex, h));
	pthread_mutex_unlock(&ex->lock);
	return f;
}

struct local_fd *local_fd_cached_ino(struct local_export *ex, uint64_t ino)
{
	struct hashtable_node *n;
	struct local_fd *f = NULL;

	pthread_mutex_lock(&ex->lock);
	hashtable_for_each_hash(n, &ex->fds_by_ino, local_ino_hash(ino))
	{
		struct local_fd *c = hashtable_entry(n, struct local_fd, ino_node);

		if (c->ino == ino) {
			f = c;
			break;
		}
	}
	f = local_fd_hit(ex, f);
	pthread_mutex_unlock(&ex->lock);
	return f;
}

int local_fd_get(struct local_export *ex, const struct backend_handle *h, struct local_fd **out)
{
	struct local_fd *f;
	struct statx stx;
	int fd, r;

	if (h->len <= LOCAL_HANDLE_HDR || h->len > BACKEND_HANDLE_MAX)
		return -EBADF;
	f = local_fd_cached(ex, h);
	if (f) {
		*out = f;
		return 0;
	}

	fd = local_handle_open(ex, h);
	if (fd < 0)
		return fd;
	r = local_statx(fd, &stx);
	if (r == 0 && stx.stx_nlink == 0)
		r = -ESTALE; /* deleted, only kept alive by someone's open */
	if (r == 0 && makedev(stx.stx_dev_major, stx.stx_dev_minor) != ex->dev)
		r = -ESTALE; /* another subvolume of the same file system */
	if (r != 0) {
		close(fd);
		return r;
	}
	f = local_fd_insert(ex, h, fd, &stx);
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

void local_fd_put(struct local_export *ex, struct local_fd *f)
{
	int rw_fd = -1;
	bool gone;

	pthread_mutex_lock(&ex->lock);
	gone = --f->refs == 0 && !f->cached;
	/* An O_RDWR descriptor left over from a WRITE lease that was dropped
	 * while others used it: closed by the last user, since a cached
	 * descriptor open for writing would keep the host from executing the
	 * file and anyone from taking a read lease on it. */
	if (!gone && f->refs == 0 && atomic_load(&f->rfd_rw) && f->lease == BACKEND_LEASE_NONE) {
		rw_fd = atomic_exchange(&f->rfd, -1);
		atomic_store(&f->rfd_rw, false);
	}
	pthread_mutex_unlock(&ex->lock);
	if (rw_fd >= 0)
		close(rw_fd);
	if (gone)
		local_fd_free(ex, f);
}

int local_fd_dup_rw(struct local_fd *f)
{
	int fd;

	if (!atomic_load(&f->rfd_rw))
		return -1;
	/* The caller's reference keeps rfd from changing (see struct
	 * local_fd); a dup shares the open file, so closing it leaves the
	 * lease alone (a lease goes with the last descriptor of its file). */
	fd = fcntl(atomic_load(&f->rfd), F_DUPFD_CLOEXEC, 0);
	return fd >= 0 ? fd : -errno;
}

void local_fd_adopt(struct local_export *ex, const struct backend_handle *h, int pfd,
		    const struct statx *stx)
{
	struct local_fd *f = local_fd_insert(ex, h, pfd, stx);

	if (f)
		local_fd_put(ex, f);
}

int local_fd_data(struct local_export *ex, struct local_fd *f)
{
	char path[LOCAL_PROC_FD_PATH];
	int fd = atomic_load(&f->rfd), expected = -1, r;

	if (fd >= 0)
		return fd;
	/* Reopening through /proc follows the magic link to the inode, not a
	 * path; whoever asks first may lack read permission, so the shared
	 * descriptor is opened privileged and callers check permission per
	 * call. */
	r = local_cred_privileged();
	if (r != 0)
		return r;
	local_proc_path(path, f->pfd);
	/* O_NONBLOCK: when a process on the host holds a write lease on the
	 * file, open fails at once (EWOULDBLOCK, answered NFS4ERR_DELAY)
	 * instead of holding this thread for the lease-break time. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (!atomic_compare_exchange_strong(&f->rfd, &expected, fd)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

void local_fd_forget(struct local_export *ex, uint64_t ino)
{
	struct local_fd *f;
	struct list_node victims;

	/* Through the index by inode number (every REMOVE and RENAME over a
	 * name comes here: walking the whole table was ~1% of a create and
	 * remove); unhashing changes the chain, so the search starts again
	 * after each. */
	list_init(&victims);
	pthread_mutex_lock(&ex->lock);
	do {
		struct hashtable_node *n;

		f = NULL;
		hashtable_for_each_hash(n, &ex->fds_by_ino, local_ino_hash(ino))
		{
			struct local_fd *c = hashtable_entry(n, struct local_fd, ino_node);

			if (c->ino == ino && !c->pinned) {
				f = c;
				break;
			}
		}
		if (f && local_fd_unhash(ex, f))
			list_add_head(&victims, &f->lru);
	} while (f);
	pthread_mutex_unlock(&ex->lock);
	local_fd_free_list(ex, &victims);
}

int local_fd_cache_init(struct local_export *ex)
{
	struct statx stx;
	int fd, r;

	r = hashtable_init(&ex->fds, LOCAL_FD_BUCKETS);
	if (r != 0)
		return r;
	r = hashtable_init(&ex->fds_by_ino, LOCAL_FD_BUCKETS);
	if (r != 0) {
		hashtable_fini(&ex->fds);
		return r;
	}
	list_init(&ex->lru);
	r = pthread_mutex_init(&ex->lock, NULL);
	if (r != 0) {
		hashtable_fini(&ex->fds_by_ino);
		hashtable_fini(&ex->fds);
		return -r;
	}
	fd = local_handle_open(ex, &ex->root);
	if (fd < 0) {
		pthread_mutex_destroy(&ex->lock);
		hashtable_fini(&ex->fds_by_ino);
		hashtable_fini(&ex->fds);
		return fd;
	}
	r = local_statx(fd, &stx);
	if (r == 0) {
		ex->root_ent = local_fd_insert(ex, &ex->root, fd, &stx);
		if (!ex->root_ent)
			r = -ENOMEM;
	} else {
		close(fd);
	}
	if (r != 0) {
		pthread_mutex_destroy(&ex->lock);
		hashtable_fini(&ex->fds_by_ino);
		hashtable_fini(&ex->fds);
		return r;
	}
	ex->root_ent->pinned = true; /* keeps the reference from the insert */
	return 0;
}

void local_fd_cache_destroy(struct local_export *ex)
{
	/* Every entry of the table is on the LRU list, linked through lru as
	 * local_fd_free_list walks a list of victims. */
	local_fd_free_list(ex, &ex->lru);
	list_init(&ex->lru);
	hashtable_fini(&ex->fds_by_ino);
	hashtable_fini(&ex->fds);
	pthread_mutex_destroy(&ex->lock);
}
