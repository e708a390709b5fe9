/* Many files open at once in one process, for the kernel-client e2e guest
 * (tests/e2e/guest/many_open.sh): built static and shipped into the guest
 * with kclient --file.
 *
 *   many_open DIR N [--size BYTES] [--drop-caches]
 *
 * Creates DIR (if missing) and N files in it, DIR/f000000 on, keeping all
 * N open (O_RDWR); writes to each a pattern of BYTES bytes (default 1024)
 * that no other file has; with --drop-caches, flushes them all (syncfs)
 * and drops the guest's page cache, so the reads that follow go to the
 * server; reads each back through its still-open descriptor and compares;
 * then closes them all, checking each close.  The soft descriptor limit is
 * raised to the hard one first (the caller raises the hard one).
 *
 * Prints one line per phase with its time ("many_open: PHASE ...") and a
 * last line "many_open: OK ..." or "many_open: FAIL ..." naming the first
 * file and call that failed.  Exits 0 when all was well, 1 otherwise, 2 on
 * a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* File i's contents: a header naming it, then bytes that depend on i and
 * on the position, so a block of one file read in place of another's, or
 * shifted within it, differs. */
static void pattern(unsigned i, unsigned char *buf, size_t size)
{
	uint32_t x = 2166136261u ^ i;
	for (size_t j = 0; j < size; j++) {
		x = x * 16777619u + (uint32_t)j;
		buf[j] = (unsigned char)(x >> 24);
	}
	char head[48];
	int n = snprintf(head, sizeof(head), "many_open file %06u\n", i);
	memcpy(buf, head, (size_t)n < size ? (size_t)n : size);
}

static int fail(const char *what, unsigned i, int err)
{
	printf("many_open: FAIL %s of file #%u (f%06u): %s\n", what, i, i, strerror(err));
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: many_open DIR N [--size BYTES] [--drop-caches]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *dir = argv[1];
	char *end;
	unsigned long n = strtoul(argv[2], &end, 10);
	size_t size = 1024;
	bool drop = false;
	if (*end || n == 0 || n > 10000000)
		usage();
	for (int a = 3; a < argc; a++) {
		if (strcmp(argv[a], "--size") == 0 && a + 1 < argc) {
			size = strtoul(argv[++a], &end, 10);
			if (*end || size < 32 || size > (64u << 20))
				usage();
		} else if (strcmp(argv[a], "--drop-caches") == 0) {
			drop = true;
		} else {
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n + 16) {
		printf("many_open: FAIL descriptor limit %llu is below %lu files\n",
		       (unsigned long long)rl.rlim_cur, n);
		return 1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		printf("many_open: FAIL mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		printf("many_open: FAIL open %s: %s\n", dir, strerror(errno));
		return 1;
	}
	int *fds = calloc(n, sizeof(*fds));
	unsigned char *buf = malloc(size), *got = malloc(size);
	if (!fds || !buf || !got) {
		printf("many_open: FAIL out of memory\n");
		return 1;
	}
	int rc = 0;
	unsigned opened = 0;
	double t = now_s(), t0 = t;

	for (unsigned i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%06u", i);
		fds[i] = openat(dfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fds[i] < 0) {
			rc = fail("open", i, errno);
			goto out;
		}
		opened++;
	}
	printf("many_open: open %lu files created and held open in %.1f s\n", n, now_s() - t);

	t = now_s();
	for (unsigned i = 0; i < n; i++) {
		pattern(i, buf, size);
		ssize_t w = pwrite(fds[i], buf, size, 0);
		if (w != (ssize_t)size) {
			rc = fail("write", i, w < 0 ? errno : EIO);
			goto out;
		}
	}
	printf("many_open: write %zu bytes to each in %.1f s\n", size, now_s() - t);

	if (drop) {
		t = now_s();
		if (syncfs(dfd) != 0) {
			rc = fail("syncfs", 0, errno);
			goto out;
		}
		int pc = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (pc < 0 || write(pc, "3\n", 2) != 2) {
			printf("many_open: FAIL dropping the page cache: %s\n", strerror(errno));
			rc = 1;
			goto out;
		}
		close(pc);
		printf("many_open: sync flushed and the page cache dropped in %.1f s\n",
		       now_s() - t);
	}

	t = now_s();
	for (unsigned i = 0; i < n; i++) {
		pattern(i, buf, size);
		ssize_t r = pread(fds[i], got, size, 0);
		if (r < 0) {
			rc = fail("read", i, errno);
			goto out;
		}
		if (r != (ssize_t)size || memcmp(buf, got, size) != 0) {
			size_t at = 0;
			while (at < (size_t)r && buf[at] == got[at])
				at++;
			printf("many_open: FAIL read back file #%u (f%06u): %zd bytes, first "
			       "difference at byte %zu\n",
			       i, i, r, at);
			rc = 1;
			goto out;
		}
	}
	printf("many_open: read %lu files read back through their open descriptors and "
	       "verified in %.1f s\n",
	       n, now_s() - t);

out:
	t = now_s();
	for (unsigned i = 0; i < opened; i++)
		if (close(fds[i]) != 0 && rc == 0)
			rc = fail("close", i, errno);
	close(dfd);
	printf("many_open: close %u files closed in %.1f s\n", opened, now_s() - t);
	if (rc == 0)
		printf("many_open: OK %lu files held open at once, written, read back and "
		       "closed in %.1f s\n",
		       n, now_s() - t0);
	free(fds);
	free(buf);
	free(got);
	return rc;
}
