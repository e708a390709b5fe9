/* The local back end's server-side copy: copy_file_range between the two
 * files, so the data stays in the kernel (and a file system that can share
 * extents, or copy on its device, does); where the kernel cannot copy
 * between them, splice through a pipe: the source's pages are referenced,
 * and copied once, into the destination. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum {
	/* The fallback's piece per call, and the pipe it asks for. */
	LOCAL_COPY_PIECE = 1024 * 1024,
};

/* The kernel cannot copy between these descriptors (an older kernel, a
 * file system without the support, two kinds of file system): one piece
 * of at most LOCAL_COPY_PIECE bytes, file -> pipe -> file.  A pipe made
 * for the call: a copy is long, its making is not. */
int local_copy_spliced(int in, uint64_t src_off, int out, uint64_t dst_off, uint64_t len,
		       uint64_t *copied)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	(void)fcntl(p[1], F_SETPIPE_SZ, LOCAL_COPY_PIECE); /* else the default size */
	loff_t in_off = (loff_t)src_off, out_off = (loff_t)dst_off;
	size_t want = len < LOCAL_COPY_PIECE ? (size_t)len : LOCAL_COPY_PIECE;
	int r = 0;
	while (*copied < want) {
		ssize_t got = splice(in, &in_off, p[1], NULL, want - *copied, SPLICE_F_NONBLOCK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : 0; /* 0: the source ended */
			break;
		}
		size_t put = 0;
		r = local_pipe_to_file(p[0], out, &out_off, (size_t)got, &put);
		*copied += put;
		if (r != 0)
			break;
	}
	close(p[0]);
	close(p[1]);
	/* What was copied counts: the caller asks again for the rest, and
	 * meets the error then. */
	return *copied > 0 ? 0 : r;
}

int local_copy(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *src, uint64_t src_off,
	       const struct backend_handle *dst, uint64_t dst_off, uint64_t len,
	       uint64_t *copied)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *fs, *fd;
	int rfd, wfd = -1, r;

	*copied = 0;
	if (src_off > INT64_MAX || dst_off > INT64_MAX)
		return -EFBIG;
	if (len > (uint64_t)INT64_MAX - dst_off)
		len = (uint64_t)INT64_MAX - dst_off;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	r = local_files_get(ex, src, &fs, dst, &fd);
	if (r != 0)
		return r;
	r = local_open_copy(ex, cred, fs, fd, &rfd, &wfd);
	if (r != 0)
		goto out;
	loff_t in = (loff_t)src_off, outo = (loff_t)dst_off;
	ssize_t n = copy_file_range(rfd, &in, wfd, &outo, (size_t)len, 0);
	if (n >= 0) {
		*copied = (uint64_t)n;
	} else if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS ||
		   errno == EINVAL) {
		/* EINVAL: a file system that offers no copy between these
		 * files (the ranges never overlap: the NFS layer refuses a
		 * copy within one file). */
		r = local_copy_spliced(rfd, src_off, wfd, dst_off, len, copied);
	} else {
		r = -errno;
	}
out:
	local_copy_end(ex, fs, fd, wfd);
	return r;
}
