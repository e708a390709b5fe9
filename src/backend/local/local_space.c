/* The local back end's NFSv4.2 data operations: space (fallocate), holes
 * (lseek SEEK_DATA / SEEK_HOLE), clones (FICLONERANGE) and advice
 * (posix_fadvise). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

/* fallocate of [off, off + len) through a descriptor opened for writing
 * as WRITE opens one (permissions, leases: local_open_write). */
int local_space(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *h, uint64_t off, uint64_t len, enum backend_space what)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_file_get(ex, h, &f), wfd;

	if (r != 0)
		return r;
	if (len == 0 || off > INT64_MAX || len > INT64_MAX - off) {
		r = len == 0 ? -EINVAL : -EFBIG;
		goto out;
	}
	wfd = local_open_write(cred, f);
	if (wfd < 0) {
		r = wfd;
		goto out;
	}
	if (fallocate(wfd, backend_space_fallocate_mode(what), (off_t)off, (off_t)len) != 0)
		r = -errno;
	close(wfd);
	local_attrcache_forget(ex, &f->handle);
out:
	local_fd_put(ex, f);
	return r;
}

int local_seek(struct backend_export *bex, const struct backend_cred *cred,
	       const struct backend_handle *h, uint64_t off, enum backend_seek what,
	       uint64_t *out)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_file_get(ex, h, &f), rfd;

	if (r != 0)
		return r;
	if (off > INT64_MAX) {
		r = -ENXIO;
		goto out;
	}
	rfd = local_open_read(ex, cred, f);
	if (rfd < 0) {
		r = rfd;
		goto out;
	}
	/* The descriptor is shared, but nothing reads through its position
	 * (pread only): moving it is harmless. */
	off_t pos = lseek(rfd, (off_t)off, what == BACKEND_SEEK_DATA ? SEEK_DATA : SEEK_HOLE);
	if (pos < 0)
		r = -errno;
	else
		*out = (uint64_t)pos;
out:
	local_fd_put(ex, f);
	return r;
}

int local_clone(struct backend_export *bex, const struct backend_cred *cred,
		const struct backend_handle *src, uint64_t src_off,
		const struct backend_handle *dst, uint64_t dst_off, uint64_t len)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *sf, *df;
	int r = local_files_get(ex, src, &sf, dst, &df), rfd, wfd = -1;

	if (r != 0)
		return r;
	if (src_off > INT64_MAX || dst_off > INT64_MAX || len > INT64_MAX - src_off ||
	    len > INT64_MAX - dst_off)
		r = -EFBIG;
	if (r == 0)
		r = local_open_copy(ex, cred, sf, df, &rfd, &wfd);
	if (r != 0)
		goto out;
	struct file_clone_range fcr = {.src_fd = rfd, .src_offset = src_off,
				       .src_length = len, .dest_offset = dst_off};
	if (ioctl(wfd, FICLONERANGE, &fcr) != 0) {
		r = -errno;
		/* A file system without the ioctl says so in its own ways. */
		if (r == -ENOTTY || r == -ENOSYS)
			r = -EOPNOTSUPP;
	}
out:
	local_copy_end(ex, sf, df, wfd);
	return r;
}

int local_advise(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
		 uint64_t len, enum backend_advice advice)
{
	static const int posix[] = {
		[BACKEND_ADVISE_NORMAL] = POSIX_FADV_NORMAL,
		[BACKEND_ADVISE_SEQUENTIAL] = POSIX_FADV_SEQUENTIAL,
		[BACKEND_ADVISE_RANDOM] = POSIX_FADV_RANDOM,
		[BACKEND_ADVISE_WILLNEED] = POSIX_FADV_WILLNEED,
		[BACKEND_ADVISE_DONTNEED] = POSIX_FADV_DONTNEED,
		[BACKEND_ADVISE_NOREUSE] = POSIX_FADV_NOREUSE,
	};
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	int r = local_fd_get(ex, h, &f), rfd;

	if (r != 0)
		return r;
	if ((unsigned)advice >= sizeof(posix) / sizeof(posix[0]))
		r = -EINVAL;
	if (r == 0)
		r = local_data_type(f);
	if (r != 0)
		goto out;
	if (off > INT64_MAX || len > INT64_MAX)
		goto out; /* nothing is there to advise on */
	rfd = local_fd_data(ex, f);
	if (rfd < 0) {
		r = rfd;
		goto out;
	}
	/* The page cache is the host's: the advice applies to the file
	 * whichever descriptor gives it (the access pattern ones to that
	 * descriptor, which every READ of the file shares). */
	r = -posix_fadvise(rfd, (off_t)off, (off_t)len, posix[advice]);
out:
	local_fd_put(ex, f);
	return r;
}
