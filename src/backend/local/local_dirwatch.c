/* Host changes to watched directories (backend_ops.dir_watch): a process
 * on the server host that creates, removes, renames or changes the
 * attributes of entries of a delegated directory, or of the directory
 * itself, is reported to the server after the fact, so that the holders
 * of its delegations are told (or recalled) and a cached listing is never
 * silently stale.
 *
 * One fanotify group per export reports directory entries
 * (FAN_REPORT_DFID_NAME, Linux 5.9): each event names the directory by
 * file handle (the back end's own handle layout, local_fd.c) and the
 * entry by name, "." for the directory itself.  A thread of the export,
 * started with the first watch, reads it.  What the marks report:
 *   FAN_CREATE, FAN_MOVED_TO: an entry came in (a rename within the
 *     directory is its old name going and its new one coming: fanotify
 *     pairs neither, and told that way the holder's listing is right);
 *   FAN_DELETE, FAN_MOVED_FROM: an entry went;
 *   FAN_ATTRIB (FAN_EVENT_ON_CHILD): chmod, chown, utimes, link count of
 *     an entry, or of the directory itself (name ".");
 *   FAN_DELETE_SELF, FAN_MOVE_SELF: the directory itself went or moved;
 *   FAN_Q_OVERFLOW: events lost.
 * Events of this process are dropped, as in local_watch.c (the server
 * judges its own operations); the kernel merges identical events that
 * follow each other: an attribute change merged into a creation is in
 * the attributes the new entry reports, and one event that stands for
 * both a creation and a removal of one name is told in the order the
 * name's presence now shows.
 *
 * Without fanotify's directory events (older kernel, a file system that
 * cannot report handles) every watch is -ENOTSUP: the server then grants
 * no directory delegation on this export. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

enum {
	DIRWATCH_MASK = FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_ATTRIB |
			FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_EVENT_ON_CHILD | FAN_ONDIR,
	DIRWATCH_BUF = 8192,
};

void local_dirwatch_init(struct local_export *ex)
{
	ex->dirwatch.gfd = ex->dirwatch.efd = -1;
}

void local_dir_notify(struct backend_export *bex, backend_dir_change_fn fn, void *ctx)
{
	struct local_export *ex = local_export_of(bex);

	backend_dir_notify_set(&ex->lock, &ex->dirwatch.fn, &ex->dirwatch.ctx, fn, ctx);
}

static ssize_t dirwatch_find(const struct local_dirwatch_svc *dw, const struct backend_handle *h)
{
	for (size_t i = 0; i < dw->ndirs; i++)
		if (local_handle_eq(&dw->dirs[i].handle, h))
			return (ssize_t)i;
	return -1;
}

/* Whether name is in watched directory dir now (no lock held). */
static bool dirwatch_exists(struct local_export *ex, const struct backend_handle *dir,
			    const char *name)
{
	struct stat sb;
	bool there = false;

	pthread_mutex_lock(&ex->lock);
	ssize_t i = dirwatch_find(&ex->dirwatch, dir);
	if (i >= 0)
		there = fstatat(ex->dirwatch.dirs[i].fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	pthread_mutex_unlock(&ex->lock);
	return there;
}

/* Reports one event (no lock held). */
static void dirwatch_report(struct local_export *ex, backend_dir_change_fn fn, void *ctx,
			    const struct backend_handle *dir, uint64_t mask, const char *name)
{
	bool self = strcmp(name, ".") == 0;
	bool went = mask & (FAN_DELETE | FAN_MOVED_FROM), came = mask & (FAN_CREATE | FAN_MOVED_TO);

	if (mask & (FAN_DELETE_SELF | FAN_MOVE_SELF)) {
		fn(ctx, dir, BACKEND_DIR_GONE, "");
		return;
	}
	/* Both in one merged event: which came last shows in whether the
	 * name is there now. */
	if (went && came && !dirwatch_exists(ex, dir, name)) {
		fn(ctx, dir, BACKEND_DIR_ADDED, name);
		fn(ctx, dir, BACKEND_DIR_REMOVED, name);
		return;
	}
	if (went)
		fn(ctx, dir, BACKEND_DIR_REMOVED, name);
	if (came)
		fn(ctx, dir, BACKEND_DIR_ADDED, name);
	else if (mask & FAN_ATTRIB)
		/* An attribute change merged with a creation is in what
		 * the new entry reports. */
		fn(ctx, dir, self ? BACKEND_DIR_ATTRS : BACKEND_DIR_CHILD, self ? "" : name);
}

/* Every watched directory: changes were lost. */
static void dirwatch_lost(struct local_export *ex, backend_dir_change_fn fn, void *ctx)
{
	struct backend_handle *hs = NULL;
	size_t n = 0;

	pthread_mutex_lock(&ex->lock);
	if (ex->dirwatch.ndirs) {
		hs = malloc(ex->dirwatch.ndirs * sizeof(*hs));
		for (size_t i = 0; hs && i < ex->dirwatch.ndirs; i++)
			hs[n++] = ex->dirwatch.dirs[i].handle;
	}
	pthread_mutex_unlock(&ex->lock);
	for (size_t i = 0; i < n; i++)
		fn(ctx, &hs[i], BACKEND_DIR_LOST, "");
	free(hs);
}

static void dirwatch_read(struct local_export *ex)
{
	char buf[DIRWATCH_BUF];
	pid_t self = getpid();
	ssize_t got;

	while ((got = read(ex->dirwatch.gfd, buf, sizeof(buf))) > 0) {
		size_t len = (size_t)got, off = 0;
		struct fanotify_event_metadata m;
		const char *ev;
		backend_dir_change_fn fn;
		void *ctx;

		pthread_mutex_lock(&ex->lock);
		fn = ex->dirwatch.fn;
		ctx = ex->dirwatch.ctx;
		pthread_mutex_unlock(&ex->lock);
		while (local_watch_next_event(buf, len, &off, &m, &ev)) {
			struct backend_handle dir;
			const char *name;

			if (m.vers != FANOTIFY_METADATA_VERSION || !fn)
				continue;
			if (m.mask & FAN_Q_OVERFLOW) {
				dirwatch_lost(ex, fn, ctx);
				continue;
			}
			/* Our own operation: the server has judged it. */
			if (m.pid == self)
				continue;
			if (local_watch_event_fid(ev, FAN_EVENT_INFO_TYPE_DFID_NAME, &dir, &name))
				dirwatch_report(ex, fn, ctx, &dir, m.mask, name);
		}
	}
	if (got < 0 && errno != EAGAIN && errno != EINTR)
		log_error("local back end: %s: reading directory events: %s", ex->path,
			  strerror(errno));
}

static void *dirwatch_main(void *arg)
{
	struct local_export *ex = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = ex->dirwatch.gfd, .events = POLLIN },
			{ .fd = ex->dirwatch.efd, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("local back end: directory watch thread: poll: %s",
				  strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents)
			dirwatch_read(ex);
	}
	return NULL;
}

/* The thread reading the group, dw->gfd; under ex->lock. */
static int dirwatch_run(struct local_export *ex)
{
	struct local_dirwatch_svc *dw = &ex->dirwatch;

	dw->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int r = dw->efd < 0 ? -errno : -pthread_create(&dw->thread, NULL, dirwatch_main, ex);
	if (r != 0) {
		if (dw->efd >= 0)
			close(dw->efd);
		dw->efd = -1;
		return r;
	}
	dw->started = true;
	return 0;
}

/* The group and the thread, on first use; under ex->lock. */
static int dirwatch_start(struct local_export *ex)
{
	struct local_dirwatch_svc *dw = &ex->dirwatch;

	if (dw->started)
		return 0;
	if (dw->handed)
		return -EAGAIN; /* an upgrade under way grants nothing */
	if (dw->unsupported)
		return -ENOTSUP;
	dw->gfd = local_watch_group_open(ex, FAN_REPORT_DFID_NAME, " directory events",
					 "no directory delegations");
	if (dw->gfd < 0) {
		dw->unsupported = true;
		return -ENOTSUP;
	}
	int r = dirwatch_run(ex);
	if (r != 0) {
		close(dw->gfd);
		dw->gfd = -1;
	}
	return r;
}

static int dirwatch_add(struct local_export *ex, struct local_fd *f)
{
	struct local_dirwatch_svc *dw = &ex->dirwatch;
	int r = dirwatch_start(ex);

	if (r != 0)
		return r;
	if (dirwatch_find(dw, &f->handle) >= 0)
		return 0;
	if (dw->ndirs == dw->cap) {
		size_t cap = dw->cap ? dw->cap * 2 : 8;
		struct local_dirwatch_ent *d = realloc(dw->dirs, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		dw->dirs = d;
		dw->cap = cap;
	}
	/* fanotify_mark does not take an O_PATH descriptor: one that opens
	 * the directory itself, reopened through /proc. */
	char path[LOCAL_PROC_FD_PATH];
	local_proc_path(path, f->pfd);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fanotify_mark(dw->gfd, FAN_MARK_ADD, DIRWATCH_MASK, fd, NULL) != 0) {
		r = -errno;
		close(fd);
		if (r == -ENOSPC || r == -ENOMEM)
			return -EAGAIN; /* fs.fanotify.max_user_marks */
		log_warn("local back end: %s: cannot watch a directory (%s): no directory "
			 "delegations",
			 ex->path, strerror(-r));
		return -ENOTSUP;
	}
	dw->dirs[dw->ndirs].handle = f->handle;
	dw->dirs[dw->ndirs].fd = fd;
	dw->ndirs++;
	return 0;
}

static void dirwatch_remove(struct local_export *ex, const struct backend_handle *h)
{
	struct local_dirwatch_svc *dw = &ex->dirwatch;
	ssize_t i = dirwatch_find(dw, h);

	if (i < 0)
		return;
	/* ENOENT when the inode went with its mark: nothing to undo.  A
	 * group handed over is the new process's, marks and all. */
	if (!dw->handed)
		fanotify_mark(dw->gfd, FAN_MARK_REMOVE, DIRWATCH_MASK, dw->dirs[i].fd, NULL);
	close(dw->dirs[i].fd);
	dw->dirs[i] = dw->dirs[--dw->ndirs];
}

int local_dir_watch(struct backend_export *bex, const struct backend_handle *h, bool on)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f = NULL;
	int r = 0;

	if (on) {
		r = local_fd_get(ex, h, &f);
		if (r != 0)
			return r;
		/* The server opens it for itself, whoever asked. */
		r = (f->fmt & S_IFMT) != S_IFDIR ? -ENOTDIR : local_cred_privileged();
		if (r != 0) {
			local_fd_put(ex, f);
			return r;
		}
	}
	pthread_mutex_lock(&ex->lock);
	if (on)
		r = dirwatch_add(ex, f);
	else
		dirwatch_remove(ex, h);
	pthread_mutex_unlock(&ex->lock);
	if (f)
		local_fd_put(ex, f);
	return r;
}

int local_dir_watch_hand(struct backend_export *bex, int *fd, struct backend_handle **dirs,
			 uint64_t **marks, size_t *n)
{
	struct local_export *ex = local_export_of(bex);
	struct local_dirwatch_svc *dw = &ex->dirwatch;

	*fd = -1;
	*dirs = NULL;
	*marks = NULL; /* the fanotify group carries what was seen */
	*n = 0;
	pthread_mutex_lock(&ex->lock);
	bool running = dw->started;
	pthread_mutex_unlock(&ex->lock);
	if (!running)
		return 0;
	/* The thread takes the lock to report: stopped without it.  What
	 * it had not read yet is reported here; what comes after stays in
	 * the group for the new process to read. */
	local_watch_thread_stop(dw->thread, dw->efd, "directory watch");
	dirwatch_read(ex);
	pthread_mutex_lock(&ex->lock);
	dw->started = false;
	dw->efd = -1;
	int r = 0;
	int copy = fcntl(dw->gfd, F_DUPFD_CLOEXEC, 0);
	struct backend_handle *hs = dw->ndirs ? malloc(dw->ndirs * sizeof(*hs)) : NULL;
	if (copy < 0 || (dw->ndirs && !hs)) {
		r = copy < 0 ? -errno : -ENOMEM;
		if (copy >= 0)
			close(copy);
		free(hs);
		if (dirwatch_run(ex) != 0)
			log_error("local back end: %s: cannot watch directories again: host "
				  "changes to delegated directories go unseen",
				  ex->path);
	} else {
		for (size_t i = 0; i < dw->ndirs; i++)
			hs[i] = dw->dirs[i].handle;
		*fd = copy;
		*dirs = hs;
		*n = dw->ndirs;
		dw->handed = true;
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

void local_dir_watch_resume(struct backend_export *bex)
{
	struct local_export *ex = local_export_of(bex);
	struct local_dirwatch_svc *dw = &ex->dirwatch;

	pthread_mutex_lock(&ex->lock);
	if (dw->handed) {
		dw->handed = false;
		if (dirwatch_run(ex) != 0)
			log_error("local back end: %s: cannot watch directories again: host "
				  "changes to delegated directories go unseen",
				  ex->path);
	}
	pthread_mutex_unlock(&ex->lock);
}

int local_dir_watch_adopt(struct backend_export *bex, int fd, const struct backend_handle *dirs,
			  const uint64_t *marks, size_t n)
{
	(void)marks; /* none: the descriptor carries what was seen */
	if (fd < 0)
		return -EINVAL;
	struct local_export *ex = local_export_of(bex);
	struct local_dirwatch_svc *dw = &ex->dirwatch;
	struct local_dirwatch_ent *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t k = 0;

	if (n && !v) {
		close(fd);
		return -ENOMEM;
	}
	/* A directory removed meanwhile cannot be opened: the group reports
	 * its removal, which recalls its delegations. */
	for (size_t i = 0; i < n; i++) {
		struct local_fd *f = NULL;

		if (local_fd_get(ex, &dirs[i], &f) != 0)
			continue;
		char path[LOCAL_PROC_FD_PATH];
		local_proc_path(path, f->pfd);
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		local_fd_put(ex, f);
		if (dfd < 0)
			continue;
		v[k].handle = dirs[i];
		v[k].fd = dfd;
		k++;
	}
	int r = -EBUSY;
	pthread_mutex_lock(&ex->lock);
	if (!dw->started && !dw->handed && dw->gfd < 0) {
		dw->gfd = fd;
		dw->dirs = v;
		dw->ndirs = k;
		dw->cap = n;
		r = dirwatch_run(ex);
		if (r != 0) {
			dw->gfd = -1;
			dw->dirs = NULL;
			dw->ndirs = dw->cap = 0;
		}
	}
	pthread_mutex_unlock(&ex->lock);
	if (r != 0) {
		close(fd);
		for (size_t i = 0; i < k; i++)
			close(v[i].fd);
		free(v);
	}
	return r;
}

void local_dirwatch_fini(struct local_export *ex)
{
	struct local_dirwatch_svc *dw = &ex->dirwatch;

	if (dw->started) {
		local_watch_thread_stop(dw->thread, dw->efd, "directory watch");
		dw->started = false;
	}
	/* Closing the group removes its marks (unless handed over: the
	 * new process holds it open). */
	if (dw->gfd >= 0)
		close(dw->gfd);
	for (size_t i = 0; i < dw->ndirs; i++)
		close(dw->dirs[i].fd);
	free(dw->dirs);
	dw->dirs = NULL;
	dw->ndirs = dw->cap = 0;
	dw->gfd = dw->efd = -1;
	dw->handed = false;
}
