/* loopback-floor: what the kernel alone charges for moving a file's cached
 * pages through a loopback TCP connection, the floor under any server's
 * large READ on this machine.  No NFS, no RPC: one process sendfile()s
 * the file (the page cache's pages handed to the socket, as ferryd's
 * spliced READ data is) in pieces of --chunk bytes, round and round, for
 * --seconds; a child process reads the stream into one buffer and drops
 * it, as a client does.  Prints each side's CPU (user + system) per MiB
 * moved and the rate.
 *
 *   loopback-floor [--seconds S] [--chunk BYTES] FILE
 *
 * FILE should be in the page cache (cat it to /dev/null first) and at
 * least one chunk long.  Defaults: 4 s, 1 MiB. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: loopback-floor [--seconds S] [--chunk BYTES] FILE\n");
	exit(2);
}

/* The reading side: everything until the sender closes. */
static int run_reader(int s, size_t chunk)
{
	char *buf = malloc(chunk);
	if (!buf) {
		fprintf(stderr, "loopback-floor: out of memory\n");
		return 1;
	}
	double start = cpu_seconds();
	long long total = 0;
	ssize_t n;
	while ((n = read(s, buf, chunk)) > 0)
		total += n;
	if (n < 0) {
		perror("loopback-floor: read");
		return 1;
	}
	double mib = (double)total / 1048576.0;
	printf("reader: %.0f MiB, CPU %.1f us per MiB\n", mib,
	       mib > 0 ? (cpu_seconds() - start) * 1e6 / mib : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = 4;
	size_t chunk = 1u << 20;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc)
			chunk = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' || path)
			usage();
		else
			path = argv[i];
	}
	if (!path || seconds <= 0 || chunk == 0)
		usage();

	int file = open(path, O_RDONLY);
	struct stat st;
	if (file < 0 || fstat(file, &st) != 0) {
		fprintf(stderr, "loopback-floor: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((size_t)st.st_size < chunk) {
		fprintf(stderr, "loopback-floor: %s is shorter than one chunk (%zu bytes)\n", path,
			chunk);
		return 1;
	}
	/* Whole chunks only, so each sendfile moves one chunk. */
	off_t span = st.st_size - st.st_size % (off_t)chunk;

	/* Both ends connected before the fork, so neither side can wait for
	 * a peer that failed to come; a reader gone early is a send error,
	 * not a signal. */
	signal(SIGPIPE, SIG_IGN);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int reader = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	if (listener < 0 || reader < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) != 0 || listen(listener, 1) != 0 ||
	    connect(reader, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("loopback-floor: loopback connection");
		return 1;
	}
	int s = accept(listener, NULL, NULL);
	if (s < 0) {
		perror("loopback-floor: accept");
		return 1;
	}
	close(listener);
	pid_t child = fork();
	if (child < 0) {
		perror("loopback-floor: fork");
		return 1;
	}
	if (child == 0) {
		close(s);
		int rc = run_reader(reader, chunk);
		fflush(stdout);
		_exit(rc);
	}
	close(reader);

	long long total = 0;
	off_t off = 0;
	double t0 = now_seconds(), c0 = cpu_seconds();
	while (now_seconds() - t0 < seconds) {
		if (off >= span)
			off = 0;
		ssize_t n = sendfile(s, file, &off, chunk);
		if (n <= 0) {
			fprintf(stderr, "loopback-floor: sendfile: %s\n",
				n < 0 ? strerror(errno) : "nothing sent");
			return 1;
		}
		total += n;
	}
	double t1 = now_seconds(), c1 = cpu_seconds();
	close(s);
	int status = 0;
	waitpid(child, &status, 0);
	double mib = (double)total / 1048576.0;
	printf("sender: %.0f MiB in %.2f s (%.0f MiB/s), CPU %.1f us per MiB\n", mib, t1 - t0,
	       mib / (t1 - t0), (c1 - c0) * 1e6 / mib);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
