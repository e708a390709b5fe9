/* ferry_e2e_sparse: what the kernel-client NFSv4.2 guest script
 * (guest/v42.sh) needs and the guest's busybox lacks, built static so it
 * runs in the guest as shipped:
 *
 *   ferry_e2e_sparse punch FILE OFFSET LENGTH   punch a hole (size kept)
 *   ferry_e2e_sparse seek FILE OFFSET data|hole print lseek's answer, or
 *                                               "ENXIO"
 *   ferry_e2e_sparse reflink SRC DST            clone SRC into a new DST with
 *                                               FICLONE, as cp --reflink=always
 *                                               does; exit 0 "cloned", or 3
 *                                               "refused: ..." when the file
 *                                               system says it cannot (DST is
 *                                               removed then)
 *
 * Exit status 1 on any other failure, with the error on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: ferry_e2e_sparse punch FILE OFFSET LENGTH | seek FILE OFFSET "
			"data|hole | reflink SRC DST\n");
	return 2;
}

static int punch(const char *path, long long off, long long len)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) != 0) {
		perror(path);
		return 1;
	}
	close(fd);
	return 0;
}

static int seek(const char *path, long long off, const char *what)
{
	int whence = strcmp(what, "data") == 0 ? SEEK_DATA : strcmp(what, "hole") == 0 ? SEEK_HOLE : -1;
	if (whence < 0)
		return usage();
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	off_t pos = lseek(fd, off, whence);
	if (pos < 0 && errno == ENXIO) {
		printf("ENXIO\n");
	} else if (pos < 0) {
		perror("lseek");
		return 1;
	} else {
		printf("%lld\n", (long long)pos);
	}
	close(fd);
	return 0;
}

static int reflink(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0) {
		perror(in < 0 ? src : dst);
		return 1;
	}
	if (ioctl(out, FICLONE, in) == 0) {
		printf("cloned\n");
		return 0;
	}
	int err = errno;
	close(out);
	unlink(dst);
	/* What cp --reflink=always reports as "failed to clone". */
	if (err == EOPNOTSUPP || err == ENOTTY || err == EXDEV || err == EINVAL) {
		printf("refused: %s\n", strerror(err));
		return 3;
	}
	fprintf(stderr, "FICLONE: %s\n", strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "punch") == 0)
		return punch(argv[2], atoll(argv[3]), atoll(argv[4]));
	if (argc == 5 && strcmp(argv[1], "seek") == 0)
		return seek(argv[2], atoll(argv[3]), argv[4]);
	if (argc == 4 && strcmp(argv[1], "reflink") == 0)
		return reflink(argv[2], argv[3]);
	return usage();
}
