/* copy_range SRC DST [CHUNK_MB]: copies SRC to DST (created or truncated)
 * with copy_file_range(2) alone, in calls of CHUNK_MB MiB (default: the
 * whole file at once), never falling back to read and write, and prints
 * the bytes copied.  The kernel-client e2e ships it statically linked into
 * the guest (tests/e2e/guest/copy.sh), whose busybox has no such tool: on
 * an NFSv4.2 mount the client turns each call into a server-side COPY. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: copy_range SRC DST [CHUNK_MB]\n");
		return 2;
	}
	int in = open(argv[1], O_RDONLY);
	if (in < 0) {
		fprintf(stderr, "copy_range: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct stat sb;
	if (fstat(in, &sb) != 0) {
		fprintf(stderr, "copy_range: fstat: %s\n", strerror(errno));
		return 1;
	}
	int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		fprintf(stderr, "copy_range: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	size_t chunk = (size_t)sb.st_size;
	if (argc == 4)
		chunk = (size_t)strtoul(argv[3], NULL, 10) << 20;
	if (chunk == 0)
		chunk = 1;
	off_t done = 0;
	while (done < sb.st_size) {
		size_t want = (size_t)(sb.st_size - done) < chunk ? (size_t)(sb.st_size - done) : chunk;
		ssize_t n = copy_file_range(in, NULL, out, NULL, want, 0);
		if (n < 0) {
			fprintf(stderr, "copy_range: copy_file_range at %lld: %s\n", (long long)done,
				strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		done += n;
	}
	if (close(out) != 0) {
		fprintf(stderr, "copy_range: close: %s\n", strerror(errno));
		return 1;
	}
	printf("%lld\n", (long long)done);
	return done == sb.st_size ? 0 : 1;
}
