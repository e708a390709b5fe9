/* WRITE with its data partly in a pipe (backend.h, write_pipe): the pipe's
 * pages are spliced into the file, the one copy of those bytes. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/pipe_pool.h"

int local_pipe_to_file(int pipe_rd, int fd, loff_t *pos, size_t len, size_t *put)
{
	*put = 0;
	while (*put < len) {
		ssize_t n = splice(pipe_rd, NULL, fd, pos, len - *put, SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		*put += (size_t)n;
	}
	return 0;
}

/* Writes the parts in order from off, adding to *written what went
 * contiguously.  An error is returned only when nothing was written: after
 * some bytes it is a short write. */
static int write_parts(int fd, uint64_t off, const struct backend_write_parts *pp,
		       size_t *written)
{
	ssize_t n;
	if (pp->head_len) {
		n = pwrite(fd, pp->head, pp->head_len, (off_t)off);
		if (n < 0)
			return -errno;
		*written += (size_t)n;
		if ((size_t)n < pp->head_len)
			return 0;
	}
	loff_t pos = (loff_t)(off + *written);
	size_t put = 0;
	int r = local_pipe_to_file(pp->pipe->rd, fd, &pos, pp->pipe_len, &put);
	pp->pipe->held -= put;
	*written += put;
	if (r != 0)
		return *written ? 0 : r;
	if (pp->tail_len) {
		n = pwrite(fd, pp->tail, pp->tail_len, (off_t)(off + *written));
		if (n < 0)
			return *written ? 0 : -errno;
		*written += (size_t)n;
	}
	return 0;
}

/* splice has no RWF_DSYNC: what was written is made stable afterwards.
 * fdatasync syncs the whole file's dirty data, more than the range but
 * never less. */
static int make_stable(int fd, enum backend_stable stable)
{
	if (stable == BACKEND_UNSTABLE)
		return 0;
	int rc = stable == BACKEND_DATA_SYNC ? fdatasync(fd) : fsync(fd);
	return rc == 0 ? 0 : -errno;
}

int local_write_pipe(struct backend_export *bex, const struct backend_cred *cred,
		     const struct backend_handle *h, uint64_t off,
		     const struct backend_write_parts *parts, enum backend_stable stable,
		     size_t *written, enum backend_stable *committed)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	bool kept;

	*written = 0;
	int r = local_file_get(ex, h, &f);
	if (r != 0)
		return r;
	if (off > INT64_MAX) {
		r = -EFBIG;
		goto out;
	}
	int wfd = local_write_fd_get(ex, cred, f, &kept);
	if (wfd < 0) {
		r = wfd;
		goto out;
	}
	r = write_parts(wfd, off, parts, written);
	if (r == 0 && *written)
		r = make_stable(wfd, stable);
	local_wkeep_put(ex, f, wfd, kept);
	local_attrcache_forget(ex, &f->handle);
	if (r == 0)
		*committed = stable;
	else
		*written = 0;
out:
	local_fd_put(ex, f);
	return r;
}
