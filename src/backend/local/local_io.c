/* The local back end's file contents: READ, WRITE, COMMIT and READLINK. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

/* The cached read descriptor serves every reader: the permission check is
 * the one open would make, done for the caller (local_may_read). */
int local_open_read_seen(struct local_export *ex, const struct backend_cred *cred,
			 struct local_fd *f, const struct backend_attr *seen)
{
	int rfd = local_fd_data(ex, f);
	if (rfd < 0)
		return rfd;
	int r = local_cred_enter(cred);
	if (r == 0)
		r = local_may_read_seen(f, cred, seen);
	return r != 0 ? r : rfd;
}

int local_open_read(struct local_export *ex, const struct backend_cred *cred, struct local_fd *f)
{
	return local_open_read_seen(ex, cred, f, NULL);
}

/* A descriptor for writing, opened under the caller's identity so the
 * kernel applies open's permission checks (and ETXTBSY, EROFS, immutable
 * files).  Not cached: a file held open for writing cannot be executed on
 * the host and blocks leases.  Leaves the thread in cred's identity.
 *
 * While the server holds a WRITE lease on the file, the write goes through
 * the descriptor holding it (opening another would break the lease), after
 * the permission check open would have made.  Any other open is
 * O_NONBLOCK: when a lease is held on the file (a READ lease of the
 * server's own, or a lease of a host process), the open breaks it and
 * fails at once with EWOULDBLOCK, answered -EAGAIN (NFS4ERR_DELAY) while
 * the holder lets go, instead of holding this thread for the lease-break
 * time. */
int local_open_write(const struct backend_cred *cred, struct local_fd *f)
{
	char path[LOCAL_PROC_FD_PATH];
	int fd, r, err;

	/* Finding f may have left the thread privileged (a cache miss). */
	r = local_cred_enter(cred);
	if (r != 0)
		return r;
	if (atomic_load(&f->rfd_rw)) {
		r = local_may_write(f, cred);
		return r != 0 ? r : local_fd_dup_rw(f);
	}
	local_proc_path(path, f->pfd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	if (err == EWOULDBLOCK)
		return -EAGAIN;
	if (err != EACCES || !local_is_owner(f->pfd, cred))
		return -err;
	r = local_cred_privileged();
	if (r != 0)
		return r;
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	err = errno == EWOULDBLOCK ? EAGAIN : errno;
	/* Back to the caller so the write itself (suid clearing, quota) is
	 * theirs. */
	r = local_cred_enter(cred);
	if (fd < 0)
		return -err;
	if (r != 0) {
		close(fd);
		return r;
	}
	return fd;
}

int local_data_type(const struct local_fd *f)
{
	if (f->fmt == S_IFREG)
		return 0;
	return f->fmt == S_IFDIR ? -EISDIR : -EINVAL; /* never open a device or fifo */
}

/* Every call on a file's data opens this way, so that each refuses what is
 * not a regular file with the same errors, before anything else. */
int local_file_get(struct local_export *ex, const struct backend_handle *h, struct local_fd **out)
{
	int r = local_fd_get(ex, h, out);

	if (r != 0)
		return r;
	r = local_data_type(*out);
	if (r != 0)
		local_fd_put(ex, *out);
	else
		local_attrcache_note_io(ex, *out);
	return r;
}

void local_files_put(struct local_export *ex, struct local_fd *sf, struct local_fd *df)
{
	local_fd_put(ex, df);
	local_fd_put(ex, sf);
}

/* The handles are looked up before either type is judged, so a stale
 * destination is reported as such whatever the source is. */
int local_files_get(struct local_export *ex, const struct backend_handle *src,
		    struct local_fd **sf, const struct backend_handle *dst, struct local_fd **df)
{
	int r = local_fd_get(ex, src, sf);

	if (r != 0)
		return r;
	r = local_fd_get(ex, dst, df);
	if (r != 0) {
		local_fd_put(ex, *sf);
		return r;
	}
	r = local_data_type(*sf);
	if (r == 0)
		r = local_data_type(*df);
	if (r != 0)
		local_files_put(ex, *sf, *df);
	return r;
}

int local_open_copy(struct local_export *ex, const struct backend_cred *cred, struct local_fd *sf,
		    struct local_fd *df, int *rfd, int *wfd)
{
	*rfd = local_open_read(ex, cred, sf);
	if (*rfd < 0)
		return *rfd;
	*wfd = local_open_write(cred, df);
	return *wfd < 0 ? *wfd : 0;
}

void local_copy_end(struct local_export *ex, struct local_fd *sf, struct local_fd *df, int wfd)
{
	if (wfd >= 0) {
		close(wfd);
		local_attrcache_forget(ex, &df->handle); /* its data and times */
	}
	local_files_put(ex, sf, df);
}

/* What every read starts with: the file (held: local_fd_put), its read
 * descriptor checked for cred, and *eof when off is past what the host
 * addresses (nothing to read).  0, or a negative errno with nothing held. */
static int local_read_open(struct local_export *ex, const struct backend_cred *cred,
			   const struct backend_handle *h, const struct backend_attr *seen,
			   uint64_t off, struct local_fd **f, int *rfd, bool *eof)
{
	int r = local_file_get(ex, h, f);
	if (r != 0)
		return r;
	*rfd = local_open_read_seen(ex, cred, *f, seen);
	if (*rfd < 0) {
		r = *rfd;
		local_fd_put(ex, *f);
		return r;
	}
	*eof = off > INT64_MAX;
	return 0;
}

/* local_read and local_read_nowait: with would_block non-NULL, reads with
 * RWF_NOWAIT and reports a range not all in the page cache instead of
 * waiting for it.  seen: as read_nowait's. */
static int local_read_flags(struct backend_export *bex, const struct backend_cred *cred,
			    const struct backend_handle *h, const struct backend_attr *seen,
			    uint64_t off, size_t len, void *buf, size_t *got, bool *eof,
			    bool *would_block)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	struct stat st;
	ssize_t n;
	int r, rfd;

	*got = 0;
	r = local_read_open(ex, cred, h, seen, off, &f, &rfd, eof);
	if (r != 0)
		return r;
	if (*eof)
		goto out;
	if (would_block) {
		struct iovec iov = {.iov_base = buf, .iov_len = len};
		n = preadv2(rfd, &iov, 1, (off_t)off, RWF_NOWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EOPNOTSUPP)) {
			*would_block = true; /* EOPNOTSUPP: no RWF_NOWAIT here */
			goto out;
		}
	} else {
		n = pread(rfd, buf, len, (off_t)off);
	}
	if (n < 0) {
		r = -errno;
		goto out;
	}
	/* A full read needs the size to tell the end, so a client reading a
	 * 4 KiB file in one call does not come back for an empty one.  A
	 * short read is the end, but for RWF_NOWAIT, which stops at the first
	 * page not in memory.  A full read that ends short of the size seen
	 * just before is not the end either: a file that shrank since would
	 * have read short. */
	if ((size_t)n < len && !would_block) {
		*eof = true;
	} else if ((size_t)n == len && seen && off + len < seen->size) {
		*eof = false;
	} else if (fstat(rfd, &st) == 0) {
		*eof = off + (uint64_t)n >= (uint64_t)st.st_size;
		if ((size_t)n < len && !*eof) {
			*would_block = true;
			*eof = false;
			goto out;
		}
	} else {
		r = -errno;
		goto out;
	}
	*got = (size_t)n;
out:
	local_fd_put(ex, f);
	return r;
}

int local_read(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *h, uint64_t off, size_t len, void *buf,
	       size_t *got, bool *eof)
{
	return local_read_flags(bex, cred, h, NULL, off, len, buf, got, eof, NULL);
}

int local_read_nowait(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, const struct backend_attr *seen,
		      uint64_t off, size_t len, void *buf, size_t *got, bool *eof,
		      bool *would_block)
{
	*would_block = false;
	return local_read_flags(bex, cred, h, seen, off, len, buf, got, eof, would_block);
}

#ifndef SYS_cachestat
#define SYS_cachestat 451 /* Linux 6.5; the same number on every architecture */
#endif
struct local_cachestat_range {
	uint64_t off, len;
};
struct local_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/* Whether every page of [off, off + len) is in the page cache, asked
 * without reading it: splice has no RWF_NOWAIT, so the event loop asks
 * first.  False when the kernel cannot tell (before 6.5): the read then
 * runs where it may wait.  The kernel answers only a caller that could
 * write the file (its page cache is a side channel otherwise); the
 * caller's read access was checked already and this only decides where
 * the read runs, so the server asks as itself when the caller may not,
 * and goes back to the caller's identity. */
static bool local_range_cached(int fd, const struct backend_cred *cred, uint64_t off,
			       uint64_t len)
{
	static atomic_bool unsupported;
	if (atomic_load_explicit(&unsupported, memory_order_relaxed))
		return false;
	struct local_cachestat_range range = {off, len};
	struct local_cachestat cs;
	long r = syscall(SYS_cachestat, fd, &range, &cs, 0);
	if (r != 0 && errno == EPERM && local_cred_privileged() == 0) {
		r = syscall(SYS_cachestat, fd, &range, &cs, 0);
		if (local_cred_enter(cred) != 0)
			return false;
	}
	if (r != 0) {
		if (errno == ENOSYS)
			atomic_store(&unsupported, true);
		return false;
	}
	uint64_t page = (uint64_t)getpagesize();
	uint64_t first = off / page, last = (off + len - 1) / page;
	return cs.nr_cache >= last - first + 1;
}

/* Splices [off, off + len) of rfd into the pipe until len, the end of the
 * file or a full pipe; *ended when the file ended first. */
static int local_splice_range(int rfd, uint64_t off, size_t len, int pipe_fd, size_t *done,
			      bool *ended)
{
	loff_t pos = (loff_t)off;
	*done = 0;
	*ended = false;
	while (*done < len) {
		ssize_t n = splice(rfd, &pos, pipe_fd, NULL, len - *done, SPLICE_F_NONBLOCK);
		if (n > 0) {
			*done += (size_t)n;
		} else if (n == 0) {
			*ended = true;
			break;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN && *done > 0) {
			break; /* the pipe is full */
		} else {
			return -errno;
		}
	}
	return 0;
}

/* What a read that leaves its data in the page cache (spliced, mapped)
 * starts with: the file and its read descriptor as local_read_open's, its
 * size, len clipped to it and, on an event loop (would_block non-NULL),
 * whether all of it is in memory.  *go: there is a range to read, and the
 * file is held (local_fd_put); otherwise nothing is held and *eof,
 * *would_block or the error says why. */
static int local_read_pages_open(struct local_export *ex, const struct backend_cred *cred,
				 const struct backend_handle *h, uint64_t off, size_t *len,
				 struct local_fd **f, int *rfd, uint64_t *size, bool *eof,
				 bool *would_block, bool *go)
{
	struct stat st;
	*go = false;
	if (would_block)
		*would_block = false;
	int r = local_read_open(ex, cred, h, NULL, off, f, rfd, eof);
	if (r != 0)
		return r;
	if (*eof)
		goto out;
	if (fstat(*rfd, &st) != 0) {
		r = -errno;
		goto out;
	}
	*size = (uint64_t)st.st_size;
	if (off >= *size) {
		*eof = true;
		goto out;
	}
	if (*len > *size - off)
		*len = (size_t)(*size - off);
	if (would_block && !local_range_cached(*rfd, cred, off, *len)) {
		*would_block = true;
		goto out;
	}
	*go = true;
	return 0;
out:
	local_fd_put(ex, *f);
	return r;
}

int local_read_splice(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, uint64_t off, size_t len, int pipe_fd,
		      size_t *got, bool *eof, bool *would_block)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	uint64_t size;
	bool ended, go;
	int rfd;

	*got = 0;
	int r = local_read_pages_open(ex, cred, h, off, &len, &f, &rfd, &size, eof, would_block,
				      &go);
	if (!go)
		return r;
	r = local_splice_range(rfd, off, len, pipe_fd, got, &ended);
	/* The size was taken first: a file that grew since reads as it was
	 * (a READ racing an extension sees either); one that shrank ends
	 * where splice found its end. */
	if (r == 0)
		*eof = ended || off + *got >= size;
	local_fd_put(ex, f);
	return r;
}

int local_read_mapped(struct backend_export *bex, const struct backend_cred *cred,
		      const struct backend_handle *h, uint64_t off, size_t len,
		      struct backend_mapping *out, size_t *got, bool *eof, bool *would_block)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	uint64_t size;
	bool go;
	int rfd;

	*got = 0;
	*out = (struct backend_mapping){0};
	int r = local_read_pages_open(ex, cred, h, off, &len, &f, &rfd, &size, eof, would_block,
				      &go);
	if (!go)
		return r;
	/* Populated now, from a page cache the event loop's check found full
	 * (a worker may wait for a disk here): the sender's copy then takes
	 * no page fault. */
	uint64_t page = (uint64_t)getpagesize();
	size_t skip = (size_t)(off % page);
	void *base = mmap(NULL, skip + len, PROT_READ, MAP_SHARED | MAP_POPULATE, rfd,
			  (off_t)(off - skip));
	if (base == MAP_FAILED) {
		r = -EOPNOTSUPP; /* a file system without mmap, or no room: copied */
	} else {
		*out = (struct backend_mapping){.base = base, .size = skip + len, .skip = skip};
		*got = len;
		/* The size was taken first, as read_splice's: a file that
		 * shrinks from here on sends zeros for the pages it lost. */
		*eof = off + len >= size;
	}
	local_fd_put(ex, f);
	return r;
}

int local_write_fd_get(struct local_export *ex, const struct backend_cred *cred,
		       struct local_fd *f, bool *kept)
{
	/* The descriptor kept while an NFS open holds the file for writing
	 * (local_wkeep.c), checked as opening one would check it; else one
	 * opened for this call, which may then be kept. */
	int r, wfd = local_wkeep_take(ex, f);
	*kept = wfd >= 0;
	if (!*kept)
		return local_open_write(cred, f);
	r = local_cred_enter(cred);
	if (r == 0)
		r = local_may_write_held(ex, f, cred);
	if (r != 0) {
		local_wkeep_put(ex, f, wfd, true);
		return r;
	}
	return wfd;
}

/* Whether writing [off, off + len) would first read a page from a disk:
 * the kernel reads a page the write covers only in part, when the rest of
 * it holds file data and the page is not in memory.  Aligned writes (the
 * common case) ask nothing.  seen: the size read moments before, or NULL. */
static bool local_write_reads_first(int fd, const struct backend_cred *cred,
				    const struct backend_attr *seen, uint64_t off, size_t len)
{
	uint64_t page = (uint64_t)getpagesize(), end = off + len, size;
	if (off % page == 0 && end % page == 0)
		return false;
	struct stat st;
	if (seen)
		size = seen->size;
	else if (fstat(fd, &st) == 0)
		size = (uint64_t)st.st_size;
	else
		return true; /* it decides only where the write runs */
	uint64_t head = off - off % page, tail = end - end % page;
	if (off % page && head < size && !local_range_cached(fd, cred, head, 1))
		return true;
	return end % page && tail != head && end < size && !local_range_cached(fd, cred, tail, 1);
}

/* local_write and local_write_nowait: with would_block non-NULL (always
 * unstable), writes only when no page must be read first. */
static int local_write_flags(struct backend_export *bex, const struct backend_cred *cred,
			     const struct backend_handle *h, const struct backend_attr *seen,
			     uint64_t off, const void *buf, size_t len, enum backend_stable stable,
			     size_t *written, enum backend_stable *committed, bool *would_block)
{
	struct local_export *ex = local_export_of(bex);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct local_fd *f;
	ssize_t n;
	int r, wfd, flags = 0;
	bool kept;

	*written = 0;
	r = local_file_get(ex, h, &f);
	if (r != 0)
		return r;
	if (off > INT64_MAX) {
		r = -EFBIG;
		goto out;
	}
	wfd = local_write_fd_get(ex, cred, f, &kept);
	if (wfd < 0) {
		r = wfd;
		goto out;
	}
	if (would_block && local_write_reads_first(wfd, cred, seen, off, len)) {
		*would_block = true;
		local_wkeep_put(ex, f, wfd, kept);
		goto out;
	}
	/* RWF_DSYNC / RWF_SYNC flush just the written range as part of the
	 * write, instead of a separate f(data)sync of the whole file. */
	if (stable == BACKEND_DATA_SYNC)
		flags = RWF_DSYNC;
	else if (stable == BACKEND_FILE_SYNC)
		flags = RWF_SYNC;
	n = pwritev2(wfd, &iov, 1, (off_t)off, flags);
	if (n < 0)
		r = -errno;
	local_wkeep_put(ex, f, wfd, kept);
	if (!atomic_load(&f->attr_held))
		local_attrcache_forget(ex, &f->handle); /* held: nothing kept */
	if (r == 0) {
		*written = (size_t)n;
		*committed = stable;
	}
out:
	local_fd_put(ex, f);
	return r;
}

int local_write(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *h, uint64_t off, const void *buf, size_t len,
		enum backend_stable stable, size_t *written,
		enum backend_stable *committed)
{
	return local_write_flags(bex, cred, h, NULL, off, buf, len, stable, written, committed,
				 NULL);
}

int local_write_nowait(struct backend_export *bex, const struct backend_cred *cred,
		       const struct backend_handle *h, const struct backend_attr *seen,
		       uint64_t off, const void *buf, size_t len, size_t *written,
		       bool *would_block)
{
	enum backend_stable committed;
	*would_block = false;
	return local_write_flags(bex, cred, h, seen, off, buf, len, BACKEND_UNSTABLE, written,
				 &committed, would_block);
}

int local_commit(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
		 uint64_t len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_file_get(ex, h, &f), rfd;

	if (r != 0)
		return r;
	(void)off;
	(void)len;
	/* fsync reports writeback errors to every descriptor open at the
	 * time, so the long-lived read descriptor sees those of writes made
	 * through the short-lived write ones.  The whole file, data and
	 * metadata: COMMIT promises the size too. */
	rfd = local_fd_data(ex, f);
	r = rfd < 0 ? rfd : fsync(rfd) == 0 ? 0 : -errno;
	local_fd_put(ex, f);
	return r;
}

int local_readlink(struct backend_export *bex, const struct backend_handle *h, char *buf,
		   size_t cap, size_t *len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	ssize_t n;
	int r = local_fd_get(ex, h, &f);

	if (r != 0)
		return r;
	if (f->fmt != S_IFLNK) {
		r = -EINVAL;
	} else {
		n = readlinkat(f->pfd, "", buf, cap);
		if (n < 0)
			r = -errno;
		else if ((size_t)n >= cap)
			r = -ENAMETOOLONG; /* no room for the whole target and its NUL */
		else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	local_fd_put(ex, f);
	return r;
}
