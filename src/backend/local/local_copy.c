/* The local back end's server-side copy: copy_file_range between the two
 * files, so the data stays in the kernel (and a file system that can share
 * extents, or copy on its device, does), with a read and write through a
 * bounce buffer where the kernel cannot copy between them. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum {
	/* The bounce buffer of the fallback: one piece per call. */
	LOCAL_COPY_BOUNCE = 1024 * 1024,
};

/* The kernel cannot copy between these descriptors (an older kernel, a
 * file system without the support, two kinds of file system): read and
 * write instead.  One piece, at most LOCAL_COPY_BOUNCE bytes. */
static int copy_bounce(int in, uint64_t src_off, int out, uint64_t dst_off, uint64_t len,
		       uint64_t *copied)
{
	size_t n = len < LOCAL_COPY_BOUNCE ? (size_t)len : LOCAL_COPY_BOUNCE;
	char *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	ssize_t got = pread(in, buf, n, (off_t)src_off);
	int r = 0;
	if (got < 0) {
		r = -errno;
	} else if (got > 0) {
		ssize_t put = pwrite(out, buf, (size_t)got, (off_t)dst_off);
		if (put < 0)
			r = -errno;
		else
			*copied = (uint64_t)put;
	}
	free(buf);
	return r;
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
		r = copy_bounce(rfd, src_off, wfd, dst_off, len, copied);
	} else {
		r = -errno;
	}
out:
	local_copy_end(ex, fs, fd, wfd);
	return r;
}
