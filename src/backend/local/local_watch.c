/* Changes made on the host to leased files that no lease break reports.
 *
 * A kernel lease (local_lease.c) is broken only by open(2) and truncate(2).
 * A process on the server host that unlinks, renames or links a delegated
 * file, or changes its mode, owner or times, goes ahead without breaking
 * it, and the holder of the delegation would go on trusting what it
 * cached.  So each leased file also carries a fanotify mark, and the
 * export's lease thread, which already reads the lease signals, reads the
 * marks' events too and calls the same break function.
 *
 * This is a notification after the fact: unlike an open under a lease,
 * the host operation is not held back until the holder lets go; it has
 * happened when the holder is recalled.  The holder then flushes what it
 * has and revalidates, as after any recall.
 *
 * What the marks report (each checked by tests/backend/test_lease.c):
 *   FAN_ATTRIB: chmod, chown, utimes of both times, and every change of
 *     the link count: link(2), unlink(2) of one name or the last, a rename
 *     over the file (the file itself, not its directory, gets the event);
 *   FAN_MOVE_SELF: a rename of the file;
 *   FAN_DELETE_SELF: the inode freed (cannot happen while the lease
 *     descriptor keeps it; asked for all the same);
 *   FAN_MODIFY, for READ leases only: utimes of the modification time
 *     alone, which the kernel reports as a modification.  Writes cannot
 *     happen behind a lease (the kernel refuses a lease while the file is
 *     open for writing, and breaks it on such an open).  A WRITE lease
 *     leaves it out because every write of the server itself, through the
 *     lease descriptor, would wake the lease thread for nothing.
 *
 * Why fanotify and not inotify: the server's own operations on a delegated
 * file (the holder's SETATTR, another client's REMOVE that the delegation
 * layer recalls for already) make the same events, and must not recall
 * the holder's delegation again or at all.  inotify events do not say who
 * made them, and they are read after the operation returned, so telling
 * ours apart would take bookkeeping around every operation of the back
 * end, and would still lose a host change made while one of ours was in
 * flight.  A fanotify event carries the process that made it (the real pid
 * when we hold CAP_SYS_ADMIN; for an unprivileged listener, since Linux
 * 5.13, the listener's own pid and 0 for everyone else): events of this
 * process are dropped, exactly, whatever thread made them, and every other
 * one is reported.  So the back end reports only changes made by others,
 * and the delegation layer stays the one judge of the server's own
 * operations.  It needs FAN_REPORT_FID (Linux 5.1), whose events name the
 * object by file handle: the same handle the back end hands out, so an
 * event maps straight back to the leased entry.
 *
 * Without fanotify (old kernel, no permission, a file system that cannot
 * report file handles) leases work as before and such host changes go
 * unnoticed; a warning says so once per export. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

enum {
	LOCAL_WATCH_COMMON = FAN_ATTRIB | FAN_MOVE_SELF | FAN_DELETE_SELF,
	LOCAL_WATCH_ALL = LOCAL_WATCH_COMMON | FAN_MODIFY,
	/* Events read per read(2): 4 KiB holds dozens. */
	LOCAL_WATCH_BUF = 4096,
};

int local_watch_group_open(struct local_export *ex, unsigned int report, const char *events,
			   const char *without)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | report | FAN_CLOEXEC | FAN_NONBLOCK,
			       O_RDONLY | O_CLOEXEC | O_LARGEFILE);

	if (fd < 0)
		log_warn("local back end: %s: no fanotify%s (%s): %s", ex->path, events,
			 strerror(errno), without);
	return fd;
}

void local_watch_thread_stop(pthread_t thread, int efd, const char *what)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		log_error("local back end: cannot stop the %s thread: %s", what, strerror(errno));
	pthread_join(thread, NULL);
	close(efd);
}

void local_watch_start(struct local_export *ex)
{
	struct local_lease_svc *ls = &ex->leases;

	if (ls->nfd >= 0 || ls->watch_unsupported)
		return;
	ls->nfd = local_watch_group_open(ex, FAN_REPORT_FID, "",
					 "unlink, rename, link and attribute changes made on "
					 "this host do not recall delegations");
	if (ls->nfd < 0)
		ls->watch_unsupported = true;
}

void local_watch_stop(struct local_export *ex)
{
	/* Closing the group removes every mark with it.  Only once the thread
	 * is gone: it reads the group by descriptor number. */
	if (ex->leases.nfd >= 0)
		close(ex->leases.nfd);
	ex->leases.nfd = -1;
}

int local_watch_add(struct local_export *ex, int fd, enum backend_lease type)
{
	struct local_lease_svc *ls = &ex->leases;
	uint64_t mask = type == BACKEND_LEASE_READ ? LOCAL_WATCH_ALL : LOCAL_WATCH_COMMON;

	if (ls->nfd < 0 || ls->watch_unsupported)
		return 0;
	/* pathname NULL: the mark goes on the inode of fd. */
	if (fanotify_mark(ls->nfd, FAN_MARK_ADD, mask, fd, NULL) == 0)
		return 0;
	switch (errno) {
	case ENOSPC: /* fs.fanotify.max_user_marks reached */
	case ENOMEM:
		/* A delegation nobody would recall for host changes: none. */
		return -EAGAIN;
	default:
		/* EOPNOTSUPP, EXDEV, ENODEV...: the file system cannot name
		 * objects in events; the same for every file of the export.
		 * The group stays open (the thread polls it) but gets no marks. */
		log_warn("local back end: %s: cannot watch files (%s): unlink, rename, link and "
			 "attribute changes made on this host do not recall delegations",
			 ex->path, strerror(errno));
		ls->watch_unsupported = true;
		return 0;
	}
}

void local_watch_remove(struct local_export *ex, int fd)
{
	/* Clears whichever of the bits the mark has; ENOENT when there was
	 * none (watching was off when the lease was taken). */
	if (ex->leases.nfd >= 0)
		fanotify_mark(ex->leases.nfd, FAN_MARK_REMOVE, LOCAL_WATCH_ALL, fd, NULL);
}

bool local_watch_next_event(const char *buf, size_t len, size_t *off,
			    struct fanotify_event_metadata *m, const char **ev)
{
	if (len - *off < FAN_EVENT_METADATA_LEN)
		return false;
	memcpy(m, buf + *off, sizeof(*m));
	if (m->event_len < FAN_EVENT_METADATA_LEN || m->event_len > len - *off)
		return false;
	*ev = buf + *off;
	*off += m->event_len;
	return true;
}

bool local_watch_event_fid(const char *ev, uint8_t info_type, struct backend_handle *out,
			   const char **name)
{
	const size_t fid_len = offsetof(struct fanotify_event_info_fid, handle);
	const size_t fh_len = offsetof(struct file_handle, f_handle);
	struct fanotify_event_metadata m;
	size_t off;

	memcpy(&m, ev, sizeof(m));
	off = m.metadata_len;
	while (off <= m.event_len &&
	       m.event_len - off >= sizeof(struct fanotify_event_info_header)) {
		struct fanotify_event_info_header hdr;
		const char *rec = ev + off, *fhp = rec + fid_len;
		struct file_handle fh;
		size_t at;
		int32_t type;

		memcpy(&hdr, rec, sizeof(hdr));
		if (hdr.len < sizeof(hdr) || hdr.len > m.event_len - off)
			return false;
		off += hdr.len;
		if (hdr.info_type != info_type || hdr.len < fid_len + fh_len)
			continue;
		memcpy(&fh, fhp, fh_len);
		at = fid_len + fh_len + fh.handle_bytes;
		if (fh.handle_bytes > BACKEND_HANDLE_MAX - LOCAL_HANDLE_HDR || at > hdr.len)
			return false;
		/* DFID_NAME: the name follows the handle, ended within the record. */
		if (name) {
			if (at >= hdr.len || memchr(rec + at, '\0', hdr.len - at) == NULL)
				return false;
			*name = rec + at;
		}
		type = fh.handle_type;
		memcpy(out->data, &type, LOCAL_HANDLE_HDR);
		memcpy(out->data + LOCAL_HANDLE_HDR, fhp + fh_len, fh.handle_bytes);
		out->len = (uint8_t)(LOCAL_HANDLE_HDR + fh.handle_bytes);
		return true;
	}
	return false;
}

int local_watch_read(struct local_export *ex, struct backend_handle **out, size_t *n_out)
{
	char buf[LOCAL_WATCH_BUF];
	struct backend_handle *hs = NULL, h;
	size_t n = 0, cap = 0;
	pid_t self = getpid();
	bool overflow = false;
	ssize_t got;

	while ((got = read(ex->leases.nfd, buf, sizeof(buf))) > 0) {
		size_t len = (size_t)got, off = 0;
		struct fanotify_event_metadata m;
		const char *ev;

		while (local_watch_next_event(buf, len, &off, &m, &ev)) {
			bool seen = false;

			if (m.vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (m.mask & FAN_Q_OVERFLOW) {
				overflow = true; /* events lost: report every lease */
				continue;
			}
			/* Our own operation: the delegation layer has judged it. */
			if (m.pid == self)
				continue;
			if (!local_watch_event_fid(ev, FAN_EVENT_INFO_TYPE_FID, &h, NULL))
				continue;
			for (size_t i = 0; i < n && !seen; i++)
				seen = local_handle_eq(&hs[i], &h);
			if (seen)
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct backend_handle *g = realloc(hs, ncap * sizeof(*hs));

				if (!g) {
					overflow = true;
					continue;
				}
				hs = g;
				cap = ncap;
			}
			hs[n++] = h;
		}
	}
	if (got < 0 && errno != EAGAIN && errno != EINTR)
		log_error("local back end: %s: reading fanotify events: %s", ex->path,
			  strerror(errno));
	*out = hs;
	*n_out = n;
	return overflow ? 1 : 0;
}
