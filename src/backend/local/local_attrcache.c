/* Attributes of files that have not changed, so that listing a directory
 * again does not read every entry's attributes from the file system
 * (local_readdir: a statx per entry was three quarters of a listing's CPU).
 *
 * What is kept: the attributes (statx) of regular files and symbolic links
 * with one link, keyed by handle and found by handle or inode number.  A
 * directory always has two links or more, and a hard-linked file's changes
 * through another name are not tied to this one: neither is ever kept.
 *
 * How it stays exact: one fanotify group per export holds a filesystem
 * mark (FAN_MARK_FILESYSTEM, FAN_REPORT_FID: every event names its object
 * by file handle, the back end's own handle layout, local_fd.c) on the
 * export's file system, for every event that comes with a change of a
 * file's attributes:
 *   FAN_MODIFY: write(2) and every other data change (truncate,
 *     fallocate, copy_file_range, clone), utimes of the mtime alone;
 *   FAN_ATTRIB: chmod, chown, utimes, xattrs, and every change of the
 *     link count (link, unlink, a rename over the file);
 *   FAN_MOVE_SELF: a rename of the file (its ctime);
 *   FAN_DELETE_SELF: the inode freed;
 *   FAN_ACCESS: a read, which may set the atime (relatime);
 *   FAN_CLOSE_WRITE: the close of a file written through a shared
 *     mapping, which reports no FAN_MODIFY (see below);
 *   FAN_Q_OVERFLOW: events lost: everything is forgotten.
 * The kernel queues an event inside the system call that makes the
 * change, before it returns.  Each listing first reads whatever is queued
 * (local_attrcache_sync), under a lock that every reader of the group
 * holds until it has applied what it read: a change whose system call
 * returned before a listing began is never served stale by it, whoever
 * made it.  A thread of the export reads the group in between, so that
 * the queue does not overflow while no listing comes.  The server's own
 * changes (write, setattr, the creates, remove, rename, link, space and
 * clone operations, copies, xattrs) also drop the entry themselves, before
 * they return (local_attrcache_forget*), so that they do not rest on the
 * events at all.
 *
 * Races between reading and filling: a statx may read attributes just
 * before a change whose event is applied before the result is filed.  So
 * every invalidation first counts in a generation (one of many stripes by
 * handle hash, one of many by inode number, one for all), and a result is
 * filed only when the generations it was read under have not moved
 * (local_attrcache_get hands them out as a ticket).
 *
 * What the events do not show, and so may be served stale until the
 * file's next event: a write through a shared writable mmap on the host
 * (the kernel updates mtime at the page fault, without an event; the
 * writer's final close reports FAN_CLOSE_WRITE), and the atime set by an
 * mmap or exec of the file on the host.  A mount over a cached name is not
 * seen either.
 *
 * Files the server reads and writes itself would queue an event per
 * operation (FAN_ACCESS, FAN_MODIFY): about a tenth of a 4 KiB READ's or
 * WRITE's CPU went to making, merging and freeing them.  So a file with
 * LOCAL_ATTRCACHE_HOLD_AFTER data operations on one open entry is held:
 * its attributes are no longer kept (it is changing, and the listing
 * reads them with a statx), and an ignore mark on its inode
 * (FAN_MARK_IGNORED_MASK, surviving modification) stops the kernel from
 * reporting its reads and writes, by anyone.  Its other events (chmod,
 * rename, deletion, close after writing) come as before.  Holding counts
 * the file out (and moves its inode's generation) before the mark is
 * placed; when the entry goes, the mark is removed before the file counts
 * in again (and the generation moves again, so nothing read while it was
 * held is filed).  The marks are placed and removed by the cache's
 * thread, which acts privileged (fanotify_mark needs read permission on
 * the file, which the caller of the operation may lack), each on a
 * descriptor of the inode handed over to it.  A mark that cannot be
 * placed leaves the file held and its events coming, which is exact too.
 *
 * A held file's own writes move none of its generations, so its ticket
 * moves only with its other events: a change of mode, owner, ACL or link
 * count (FAN_ATTRIB), a rename, its deletion.  When nothing is queued on
 * the group either, every such change made before now has moved the
 * ticket (local_attrcache_quiet_ticket): WRITE's permission check and its
 * check that the file still has a name, once passed, hold while the
 * ticket does (one ioctl where they took two system calls with a path
 * walk each).
 *
 * No cache at all (every listing reads the file system, as before) when
 * the mark cannot be had: no CAP_SYS_ADMIN, a kernel without
 * FAN_MARK_FILESYSTEM, or a file system that cannot report file handles;
 * one warning says so.  Lock order: core/lock_order.h, 6b (the drain lock)
 * and 6c (the table); both are leaves but for 6b taking 6c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/clock.h"
#include "core/list.h"
#include "core/log.h"

enum {
	ATTRCACHE_MASK = FAN_MODIFY | FAN_ATTRIB | FAN_MOVE_SELF | FAN_DELETE_SELF | FAN_ACCESS |
			 FAN_CLOSE_WRITE,
	ATTRCACHE_STRIPES = 4096, /* a power of two */
	ATTRCACHE_BUF = 64 * 1024,
	ATTRCACHE_BATCH_MS = 50,
	/* What a held file's ignore mark silences (its other events come). */
	ATTRCACHE_IGNORED_WHILE_HELD = FAN_MODIFY | FAN_ACCESS,
};

struct attrcache_ent {
	struct hashtable_node node;     /* by handle */
	struct hashtable_node ino_node; /* by inode number */
	struct list_node order; /* filing order: the oldest goes first */
	struct backend_handle handle;
	struct backend_attr attr;
};

/* A mark to place or remove, on the inode fd names (the cache's thread
 * closes fd once done). */
struct attrcache_mark {
	struct list_node link;
	uint64_t ino;
	int fd;
	bool add;
};

/* A held inode: its attributes are never filed; refs: the open entries
 * holding it. */
struct attrcache_held {
	struct hashtable_node node;
	uint64_t ino;
	uint32_t refs;
};

struct local_attrcache {
	/* 6b: held by whoever reads the group, until what it read is applied. */
	pthread_mutex_t drain;
	/* 6c: everything below. */
	pthread_mutex_t lock;
	struct hashtable by_handle, by_ino;
	struct list_node order; /* of the entries, newest first */
	size_t max;
	uint64_t gen_all;
	/* 64 bits: a ticket must never come round to an old value. */
	uint64_t gen_handle[ATTRCACHE_STRIPES], gen_ino[ATTRCACHE_STRIPES];
	uint64_t hits, misses, filed, dropped, flushes; /* for tests and logs */
	struct hashtable held;   /* struct attrcache_held, by inode number */
	struct list_node marks;  /* struct attrcache_mark, for the thread */
	uint64_t holds, marks_placed, releases; /* for tests and logs */
	int gfd, efd, qfd;       /* qfd: an eventfd, marks queued */
	pthread_t thread;
	bool thread_started;
};

/* Each counter only grows, so the sum moves when any of them does.  They
 * change under the table lock only, but local_attrcache_ticket reads them
 * without it: stores and loads are atomic (relaxed), so no read is torn. */
static uint64_t attrcache_ticket_of(const struct local_attrcache *c, uint64_t hh, uint64_t ino)
{
	return __atomic_load_n(&c->gen_all, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->gen_handle[hh & (ATTRCACHE_STRIPES - 1)], __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->gen_ino[(local_ino_hash(ino) >> 20) & (ATTRCACHE_STRIPES - 1)],
			       __ATOMIC_RELAXED);
}

static uint64_t attrcache_ticket_locked(const struct local_attrcache *c, uint64_t hh,
					uint64_t ino)
{
	return attrcache_ticket_of(c, hh, ino);
}

static void attrcache_bump(uint64_t *g)
{
	__atomic_store_n(g, *g + 1, __ATOMIC_RELAXED);
}

/* Each cache started begins its generations at a base of its own, so that
 * a ticket of a cache stopped and started again (an exports reload) can
 * never equal one of the new cache's. */
static uint64_t attrcache_next_base(void)
{
	static uint64_t starts;

	return (__atomic_add_fetch(&starts, 1, __ATOMIC_RELAXED)) << 40;
}

static void attrcache_unlink_locked(struct local_attrcache *c, struct attrcache_ent *e)
{
	hashtable_remove(&c->by_handle, &e->node);
	hashtable_remove(&c->by_ino, &e->ino_node);
	list_del(&e->order);
	free(e);
}

static void attrcache_unlink_all_locked(struct local_attrcache *c)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &c->order)
		attrcache_unlink_locked(c, list_entry(pos, struct attrcache_ent, order));
}

static struct attrcache_ent *attrcache_find_locked(struct local_attrcache *c,
						   const struct backend_handle *h, uint64_t hh)
{
	struct hashtable_node *n;

	hashtable_for_each_hash(n, &c->by_handle, hh)
	{
		struct attrcache_ent *e = hashtable_entry(n, struct attrcache_ent, node);

		if (local_handle_eq(&e->handle, h))
			return e;
	}
	return NULL;
}

static struct attrcache_held *attrcache_held_find_locked(struct local_attrcache *c,
							 uint64_t ino)
{
	struct hashtable_node *n;

	hashtable_for_each_hash(n, &c->held, local_ino_hash(ino))
	{
		struct attrcache_held *h = hashtable_entry(n, struct attrcache_held, node);

		if (h->ino == ino)
			return h;
	}
	return NULL;
}

static void attrcache_flush_locked(struct local_attrcache *c)
{
	attrcache_unlink_all_locked(c);
	__atomic_store_n(&c->gen_all, c->gen_all + 1, __ATOMIC_RELAXED);
	c->flushes++;
}

static void attrcache_forget_handle_locked(struct local_attrcache *c,
					   const struct backend_handle *h)
{
	uint64_t hh = local_handle_hash(h);
	struct attrcache_ent *e = attrcache_find_locked(c, h, hh);

	attrcache_bump(&c->gen_handle[hh & (ATTRCACHE_STRIPES - 1)]);
	if (e) {
		/* The entry's inode stripe too: a ticket taken by inode number
		 * alone must not file what this change made stale. */
		attrcache_bump(
			&c->gen_ino[(local_ino_hash(e->attr.fileid) >> 20) & (ATTRCACHE_STRIPES - 1)]);
		attrcache_unlink_locked(c, e);
	}
}

/* Reads and applies every event queued; with c->drain held. */
static void attrcache_drain_locked(struct local_export *ex, struct local_attrcache *c)
{
	char buf[ATTRCACHE_BUF] __attribute__((aligned(8)));
	ssize_t got;

	while ((got = read(c->gfd, buf, sizeof(buf))) > 0) {
		size_t len = (size_t)got, off = 0;
		struct fanotify_event_metadata m;
		struct backend_handle h;
		const char *ev;

		pthread_mutex_lock(&c->lock);
		while (local_watch_next_event(buf, len, &off, &m, &ev)) {
			if (m.vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (m.mask & FAN_Q_OVERFLOW) {
				attrcache_flush_locked(c);
				continue;
			}
			/* Events of the server's own changes are applied too: the
			 * entry is usually gone already, and applying costs less
			 * than proving every change path drops it. */
			if (local_watch_event_fid(ev, FAN_EVENT_INFO_TYPE_FID, &h, NULL))
				attrcache_forget_handle_locked(c, &h);
			else
				attrcache_flush_locked(c); /* an object we cannot name */
		}
		pthread_mutex_unlock(&c->lock);
		if (len < sizeof(buf) / 2)
			break; /* most likely all there was: spare the EAGAIN read */
	}
	if (got < 0 && errno != EAGAIN && errno != EINTR)
		log_error("local back end: %s: reading attribute cache events: %s", ex->path,
			  strerror(errno));
}

void local_attrcache_sync(struct local_export *ex)
{
	struct local_attrcache *c = ex->attrcache;

	if (!c)
		return;
	pthread_mutex_lock(&c->drain);
	attrcache_drain_locked(ex, c);
	pthread_mutex_unlock(&c->drain);
	/* The server's own changes drop entries under the table lock alone:
	 * taking it once orders every one made before this call ahead of the
	 * lock-free reads of local_attrcache_ticket that follow. */
	pthread_mutex_lock(&c->lock);
	pthread_mutex_unlock(&c->lock);
}

void local_attrcache_ticket_prefetch(struct local_export *ex, uint64_t hh, uint64_t ino)
{
	struct local_attrcache *c = ex->attrcache;

	if (c) {
		__builtin_prefetch(&c->gen_handle[hh & (ATTRCACHE_STRIPES - 1)]);
		__builtin_prefetch(
			&c->gen_ino[(local_ino_hash(ino) >> 20) & (ATTRCACHE_STRIPES - 1)]);
	}
}

uint64_t local_attrcache_ticket(struct local_export *ex, uint64_t hh, uint64_t ino)
{
	struct local_attrcache *c = ex->attrcache;

	return c ? attrcache_ticket_of(c, hh, ino) : 0;
}

static void attrcache_apply_marks(struct local_export *ex, struct local_attrcache *c);

/* Waits for the first event, then reads the queue at most every
 * ATTRCACHE_BATCH_MS while events keep coming: a thread waiting on the
 * group is woken by every event queued, and under read4k or write4k that
 * wake-up (and this thread's work per event) was about a quarter of the
 * server's CPU.  Between its reads nothing waits on the group, so an event
 * costs its queueing alone, and the kernel merges the repeats of one
 * process on one file meanwhile.  Listings read the queue themselves
 * first, so the batching delays no invalidation a listing depends on.
 * The thread also places and removes the held files' marks (qfd). */
static void *attrcache_main(void *arg)
{
	struct local_export *ex = arg;
	struct local_attrcache *c = ex->attrcache;
	bool waiting = true; /* on the group (else: sleeping the batch time) */
	uint64_t sync_at = 0;
	int r = local_cred_privileged();

	if (r != 0)
		log_warn("local back end: %s: the attribute cache thread cannot act privileged "
			 "(%s): files read and written often are reported event by event",
			 ex->path, strerror(-r));
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = c->efd, .events = POLLIN },
			{ .fd = c->qfd, .events = POLLIN },
			{ .fd = c->gfd, .events = POLLIN },
		};
		uint64_t now = waiting ? 0 : clock_now_ms();
		int timeout = waiting ? -1 : now >= sync_at ? 0 : (int)(sync_at - now);
		int n = poll(p, waiting ? 3 : 2, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("local back end: attribute cache thread: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents)
			attrcache_apply_marks(ex, c);
		if (waiting) {
			if (p[2].revents) {
				/* Events came: gather more for a while. */
				waiting = false;
				sync_at = clock_now_ms() + ATTRCACHE_BATCH_MS;
			}
		} else if (n == 0) {
			local_attrcache_sync(ex);
			waiting = true;
		}
	}
	return NULL;
}

static void attrcache_free(struct local_attrcache *c)
{
	struct hashtable_iter it;
	struct hashtable_node *n;

	/* The group's marks go with it. */
	if (c->gfd >= 0)
		close(c->gfd);
	if (c->efd >= 0)
		close(c->efd);
	if (c->qfd >= 0)
		close(c->qfd);
	while (!list_empty(&c->marks)) {
		struct attrcache_mark *m = list_entry(c->marks.next, struct attrcache_mark, link);

		list_del(&m->link);
		close(m->fd);
		free(m);
	}
	for (n = hashtable_iter_first(&it, &c->held); n; n = hashtable_iter_next(&it))
		free(hashtable_entry(n, struct attrcache_held, node));
	hashtable_fini(&c->held);
	attrcache_unlink_all_locked(c);
	hashtable_fini(&c->by_handle);
	hashtable_fini(&c->by_ino);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->drain);
	free(c);
}

/* The group and its filesystem mark, or -errno (*why: which step).  Both
 * need CAP_SYS_ADMIN, which the thread's effective set does not hold while
 * it does the back end's work (local_cred.c): raised here for the two
 * calls from the permitted set, then the set is put back as it was. */
static int attrcache_group_open(struct local_export *ex, const char **why)
{
	cap_t saved = cap_get_proc(), raised = saved ? cap_dup(saved) : NULL;
	const cap_value_t admin = CAP_SYS_ADMIN;
	int fd = -ENOMEM;

	*why = "capabilities";
	if (!raised || cap_set_flag(raised, CAP_EFFECTIVE, 1, &admin, CAP_SET) != 0 ||
	    cap_set_proc(raised) != 0) {
		fd = -EPERM; /* not in the permitted set */
		goto out;
	}
	*why = "fanotify_init";
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC | FAN_NONBLOCK,
			   O_RDONLY | O_CLOEXEC | O_LARGEFILE);
	if (fd < 0) {
		fd = -errno;
	} else if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, ATTRCACHE_MASK,
				 ex->root_fd, NULL) != 0) {
		int e = errno;

		*why = "a filesystem mark";
		close(fd);
		fd = -e;
	}
	if (cap_set_proc(saved) != 0)
		log_error("local back end: restoring capabilities: %s", strerror(errno));
out:
	if (raised)
		cap_free(raised);
	if (saved)
		cap_free(saved);
	return fd;
}

void local_attrcache_start(struct local_export *ex, size_t max_entries)
{
	struct local_attrcache *c;
	const char *why;
	int r;

	if (ex->attrcache || max_entries == 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->gfd = c->efd = c->qfd = -1;
	c->max = max_entries;
	c->gen_all = attrcache_next_base();
	list_init(&c->order);
	list_init(&c->marks);
	pthread_mutex_init(&c->drain, NULL);
	pthread_mutex_init(&c->lock, NULL);
	if (hashtable_init(&c->by_handle, 1024) != 0 || hashtable_init(&c->by_ino, 1024) != 0 ||
	    hashtable_init(&c->held, 64) != 0) {
		attrcache_free(c);
		return;
	}
	c->gfd = attrcache_group_open(ex, &why);
	if (c->gfd < 0) {
		log_warn("local back end: %s: no attribute cache (%s: %s): every listing reads "
			 "each entry's attributes from the file system",
			 ex->path, why, strerror(-c->gfd));
		attrcache_free(c);
		return;
	}
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->qfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ex->attrcache = c;
	r = c->efd < 0 || c->qfd < 0 ? -errno
				     : -pthread_create(&c->thread, NULL, attrcache_main, ex);
	if (r != 0) {
		log_warn("local back end: %s: no attribute cache (its thread: %s)", ex->path,
			 strerror(-r));
		ex->attrcache = NULL;
		attrcache_free(c);
		return;
	}
	c->thread_started = true;
}

void local_attrcache_stop(struct local_export *ex)
{
	struct local_attrcache *c = ex->attrcache;
	uint64_t one = 1;

	if (!c)
		return;
	log_info("local back end: %s: attribute cache: %llu hits, %llu misses, %llu filed, "
		 "%llu not filed (changed meanwhile or held), %llu flushes, %llu files held, "
		 "%llu let go",
		 ex->path, (unsigned long long)c->hits, (unsigned long long)c->misses,
		 (unsigned long long)c->filed, (unsigned long long)c->dropped,
		 (unsigned long long)c->flushes, (unsigned long long)c->holds,
		 (unsigned long long)c->releases);
	if (c->thread_started) {
		if (write(c->efd, &one, sizeof(one)) != sizeof(one))
			log_error("local back end: stopping the attribute cache thread: %s",
				  strerror(errno));
		pthread_join(c->thread, NULL);
	}
	ex->attrcache = NULL;
	attrcache_free(c);
}

bool local_attrcache_get(struct local_export *ex, const struct backend_handle *h, uint64_t ino,
			 struct backend_attr *out, uint64_t *ticket)
{
	struct local_attrcache *c = ex->attrcache;
	uint64_t hh = local_handle_hash(h);
	struct attrcache_ent *e;

	if (!c)
		return false;
	pthread_mutex_lock(&c->lock);
	e = attrcache_find_locked(c, h, hh);
	*ticket = attrcache_ticket_locked(c, hh, ino);
	if (e && e->attr.fileid == ino) {
		*out = e->attr;
		c->hits++;
	} else {
		e = NULL;
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

bool local_attrcache_put(struct local_export *ex, const struct backend_handle *h,
			 const struct statx *stx, uint64_t ticket)
{
	struct local_attrcache *c = ex->attrcache;
	uint64_t hh = local_handle_hash(h);
	struct attrcache_ent *e;
	uint32_t fmt = stx->stx_mode & S_IFMT;

	if (!c || stx->stx_nlink != 1 || (fmt != S_IFREG && fmt != S_IFLNK) ||
	    makedev(stx->stx_dev_major, stx->stx_dev_minor) != ex->dev)
		return false;
	e = malloc(sizeof(*e));
	if (!e)
		return false;
	e->handle = *h;
	local_attr_fill(stx, &e->attr);
	pthread_mutex_lock(&c->lock);
	if (attrcache_ticket_locked(c, hh, stx->stx_ino) != ticket ||
	    attrcache_find_locked(c, h, hh) ||
	    (hashtable_count(&c->held) && attrcache_held_find_locked(c, stx->stx_ino))) {
		/* Changed since the statx (or filed meanwhile by another
		 * listing, from a statx as fresh as ours). */
		c->dropped++;
		pthread_mutex_unlock(&c->lock);
		free(e);
		return false;
	}
	if (hashtable_count(&c->by_handle) >= c->max)
		attrcache_unlink_locked(c, list_entry(c->order.prev, struct attrcache_ent, order));
	hashtable_insert(&c->by_handle, &e->node, hh);
	hashtable_insert(&c->by_ino, &e->ino_node, local_ino_hash(stx->stx_ino));
	list_add_head(&c->order, &e->order);
	c->filed++;
	pthread_mutex_unlock(&c->lock);
	return true;
}

void local_attrcache_forget(struct local_export *ex, const struct backend_handle *h)
{
	struct local_attrcache *c = ex->attrcache;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	attrcache_forget_handle_locked(c, h);
	pthread_mutex_unlock(&c->lock);
}

static void attrcache_forget_ino_locked(struct local_attrcache *c, uint64_t ino)
{
	uint64_t ih = local_ino_hash(ino);
	struct hashtable_node *n;

	attrcache_bump(&c->gen_ino[(ih >> 20) & (ATTRCACHE_STRIPES - 1)]);
again:
	hashtable_for_each_hash(n, &c->by_ino, ih)
	{
		struct attrcache_ent *e = hashtable_entry(n, struct attrcache_ent, ino_node);

		if (e->attr.fileid == ino) {
			attrcache_bump(&c->gen_handle[local_handle_hash(&e->handle) &
							 (ATTRCACHE_STRIPES - 1)]);
			attrcache_unlink_locked(c, e);
			goto again; /* the walk may not go on after a removal */
		}
	}
}

void local_attrcache_forget_ino(struct local_export *ex, uint64_t ino)
{
	struct local_attrcache *c = ex->attrcache;

	if (!c || ino == 0)
		return;
	pthread_mutex_lock(&c->lock);
	attrcache_forget_ino_locked(c, ino);
	pthread_mutex_unlock(&c->lock);
}

/* --- held files ---------------------------------------------------------- */

/* Queues a mark for the thread; with c->lock held. */
static void attrcache_queue_mark_locked(struct local_attrcache *c, struct attrcache_mark *m)
{
	bool first = list_empty(&c->marks);

	list_add_tail(&c->marks, &m->link);
	if (first) {
		uint64_t one = 1;

		if (write(c->qfd, &one, sizeof(one)) != sizeof(one))
			log_error("local back end: waking the attribute cache thread: %s",
				  strerror(errno));
	}
}

void local_attrcache_note_io(struct local_export *ex, struct local_fd *f)
{
	struct local_attrcache *c = ex->attrcache;
	struct attrcache_held *h;
	struct attrcache_mark *m;
	int fd;

	/* One caller only sees the count reach the mark. */
	if (!c || atomic_load_explicit(&f->attr_held, memory_order_relaxed) ||
	    atomic_fetch_add_explicit(&f->data_ops, 1, memory_order_relaxed) + 1 !=
		    LOCAL_ATTRCACHE_HOLD_AFTER)
		return;
	m = malloc(sizeof(*m));
	h = malloc(sizeof(*h));
	fd = fcntl(f->pfd, F_DUPFD_CLOEXEC, 0);
	if (!m || !h || fd < 0) {
		free(m);
		free(h);
		if (fd >= 0)
			close(fd);
		return; /* not held: its events keep coming, which is exact too */
	}
	*m = (struct attrcache_mark){.ino = f->ino, .fd = fd, .add = true};
	pthread_mutex_lock(&c->lock);
	struct attrcache_held *old = attrcache_held_find_locked(c, f->ino);

	if (old) {
		old->refs++;
		free(h);
	} else {
		*h = (struct attrcache_held){.ino = f->ino, .refs = 1};
		hashtable_insert(&c->held, &h->node, local_ino_hash(f->ino));
	}
	/* Counted out before the mark goes on: nothing of the file is filed
	 * from here, and what was filed (or read under a ticket) is void. */
	attrcache_forget_ino_locked(c, f->ino);
	c->holds++;
	/* Held from here: the entry's own writes need forget nothing (nothing
	 * of the file is kept, or filed), so its ticket moves only with the
	 * events that do come (local_attrcache_quiet_ticket). */
	atomic_store(&f->attr_held, true);
	attrcache_queue_mark_locked(c, m);
	pthread_mutex_unlock(&c->lock);
}

bool local_attrcache_quiet_ticket(struct local_export *ex, const struct local_fd *f,
				  uint64_t *ticket)
{
	struct local_attrcache *c = ex->attrcache;
	int queued = -1;

	if (!c || !atomic_load_explicit(&f->attr_held, memory_order_acquire))
		return false;
	/* The drain lock: whatever the thread has read of the queue is
	 * applied (its generations moved) before it lets go. */
	pthread_mutex_lock(&c->drain);
	if (ioctl(c->gfd, FIONREAD, &queued) == 0 && queued == 0)
		*ticket = attrcache_ticket_of(c, local_handle_hash(&f->handle), f->ino) + 1;
	pthread_mutex_unlock(&c->drain);
	return queued == 0;
}

void local_attrcache_release(struct local_export *ex, uint64_t ino, int pfd)
{
	struct local_attrcache *c = ex->attrcache;
	struct attrcache_mark *m = c ? malloc(sizeof(*m)) : NULL;

	if (!m) {
		/* No cache (its group, and every mark, went with it), or no
		 * memory: the mark stays until the group closes, the file
		 * stays held. */
		close(pfd);
		return;
	}
	*m = (struct attrcache_mark){.ino = ino, .fd = pfd, .add = false};
	pthread_mutex_lock(&c->lock);
	attrcache_queue_mark_locked(c, m);
	pthread_mutex_unlock(&c->lock);
}

/* Places or removes one mark (on the cache's thread, privileged). */
static void attrcache_apply_mark(struct local_export *ex, struct local_attrcache *c,
				 struct attrcache_mark *m)
{
	char path[LOCAL_PROC_FD_PATH];
	unsigned flags = (m->add ? FAN_MARK_ADD | FAN_MARK_IGNORED_SURV_MODIFY : FAN_MARK_REMOVE) |
			 FAN_MARK_IGNORED_MASK;

	/* By path: fanotify_mark takes no O_PATH descriptor, but its magic
	 * link names the inode. */
	local_proc_path(path, m->fd);
	bool done = fanotify_mark(c->gfd, flags, ATTRCACHE_IGNORED_WHILE_HELD, AT_FDCWD, path) == 0;

	if (!done && (m->add || errno != ENOENT))
		log_debug("local back end: %s: %s the ignore mark of inode %llu: %s", ex->path,
			  m->add ? "placing" : "removing", (unsigned long long)m->ino,
			  strerror(errno));
	close(m->fd);
	if (m->add) {
		pthread_mutex_lock(&c->lock);
		c->marks_placed += done;
		pthread_mutex_unlock(&c->lock);
		return;
	}
	pthread_mutex_lock(&c->lock);
	struct attrcache_held *h = attrcache_held_find_locked(c, m->ino);

	/* None: held under a cache stopped since (a reload). */
	if (h && --h->refs == 0) {
		hashtable_remove(&c->held, &h->node);
		free(h);
	}
	/* Whatever was read while the events were ignored is void. */
	attrcache_forget_ino_locked(c, m->ino);
	c->releases++;
	pthread_mutex_unlock(&c->lock);
}

static void attrcache_apply_marks(struct local_export *ex, struct local_attrcache *c)
{
	uint64_t count;

	if (read(c->qfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_error("local back end: attribute cache thread: %s", strerror(errno));
	for (;;) {
		struct attrcache_mark *m = NULL;

		pthread_mutex_lock(&c->lock);
		if (!list_empty(&c->marks)) {
			m = list_entry(c->marks.next, struct attrcache_mark, link);
			list_del(&m->link);
		}
		pthread_mutex_unlock(&c->lock);
		if (!m)
			return;
		attrcache_apply_mark(ex, c, m);
		free(m);
	}
}

uint64_t local_attrcache_ino_of(struct local_export *ex, int dirfd, const char *name)
{
	struct statx stx;

	if (ex->attrcache && statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
				   STATX_INO, &stx) == 0)
		return stx.stx_ino;
	return 0;
}

bool local_attrcache_on(const struct local_export *ex)
{
	return ex->attrcache != NULL;
}

void local_attrcache_stats(struct local_export *ex, struct backend_attrcache_stats *out)
{
	struct local_attrcache *c = ex->attrcache;

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	out->on = true;
	out->entries = hashtable_count(&c->by_handle);
	out->hits = c->hits;
	out->misses = c->misses;
	out->flushes = c->flushes;
	out->held = hashtable_count(&c->held);
	out->marks_placed = c->marks_placed;
	out->marks_removed = c->releases;
	pthread_mutex_unlock(&c->lock);
}

void backend_local_set_attr_cache(struct backend_export *bex, bool on)
{
	struct local_export *ex = local_export_of(bex);

	if (on)
		local_attrcache_start(ex, LOCAL_ATTRCACHE_MAX);
	else
		local_attrcache_stop(ex);
}

void backend_local_attr_cache_stats(struct backend_export *bex,
				    struct backend_attrcache_stats *out)
{
	local_attrcache_stats(local_export_of(bex), out);
}
