/* Takes, tests or waits for a lock on a file, for the kernel-client NFSv3
 * locking run (tests/e2e/guest/v3.sh): the guest's busybox has flock(1)
 * but nothing that takes a POSIX (fcntl) lock, which is what NLM carries.
 * Static, so it runs in the guest (kclient --file).
 *
 *   lock_tool [--flock] [--shared] [--nonblock] [--timeout S] [--hold S]
 *             [--until PATH] [--marker PATH] [--range START:LEN] FILE
 *   lock_tool --getlk [--shared] [--range START:LEN] FILE
 *
 * Without --flock the lock is fcntl's F_SETLK (--nonblock) or F_SETLKW,
 * on the whole file unless --range; with --flock, flock(2).  Once granted,
 * MARKER is created (for a second process to know the lock is held), the
 * lock is held for --hold seconds (default 0) and released; with --until,
 * until PATH exists, for at most --hold seconds (default then 120), so
 * that a second process's checks need not race a clock.  --timeout
 * bounds a blocking wait (default 60 s).  --getlk asks F_GETLK whether a
 * lock of that type could be set and prints the holder it conflicts with.
 *
 * Prints one line, "LOCK granted after N ms", "LOCK refused: ERROR",
 * "LOCK timed out after N ms", "GETLK free" or "GETLK held type=T pid=P
 * start=S len=L"; exits 0 when granted (or, with --getlk, free), 3 when
 * refused (or held), 4 on time-out, 1 on any other error, 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr, "usage: lock_tool [--flock] [--shared] [--nonblock] [--timeout S] "
			"[--hold S] [--until PATH] [--marker PATH] [--range START:LEN] FILE\n"
			"       lock_tool --getlk [--shared] [--range START:LEN] FILE\n");
	exit(2);
}

static unsigned parse_seconds(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 86400) {
		fprintf(stderr, "lock_tool: %s must be a number of seconds (0-86400), not '%s'\n",
			what, s);
		exit(2);
	}
	return (unsigned)v;
}

static bool refused(int err)
{
	return err == EAGAIN || err == EACCES || err == EWOULDBLOCK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"flock", no_argument, NULL, 'f'},     {"shared", no_argument, NULL, 's'},
		{"nonblock", no_argument, NULL, 'n'},  {"timeout", required_argument, NULL, 't'},
		{"hold", required_argument, NULL, 'h'}, {"marker", required_argument, NULL, 'm'},
		{"range", required_argument, NULL, 'r'}, {"getlk", no_argument, NULL, 'g'},
		{"until", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0},
	};
	bool use_flock = false, shared = false, nonblock = false, getlk = false;
	unsigned timeout_s = 60, hold_s = 0;
	const char *marker = NULL, *until = NULL;
	off_t start = 0, len = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': use_flock = true; break;
		case 's': shared = true; break;
		case 'n': nonblock = true; break;
		case 't': timeout_s = parse_seconds(optarg, "--timeout"); break;
		case 'h': hold_s = parse_seconds(optarg, "--hold"); break;
		case 'm': marker = optarg; break;
		case 'u': until = optarg; break;
		case 'g': getlk = true; break;
		case 'r': {
			long long s, l;
			if (sscanf(optarg, "%lld:%lld", &s, &l) != 2 || s < 0 || l < 0) {
				fprintf(stderr, "lock_tool: --range is START:LEN, not '%s'\n", optarg);
				return 2;
			}
			start = (off_t)s;
			len = (off_t)l;
			break;
		}
		default: usage();
		}
	}
	if (optind != argc - 1 || (getlk && use_flock))
		usage();
	const char *path = argv[optind];
	int fd = open(path, (shared ? O_RDONLY : O_RDWR) | O_CREAT, 0644);
	if (fd < 0) {
		fprintf(stderr, "lock_tool: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct flock fl = {.l_type = shared ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = len};
	if (getlk) {
		if (fcntl(fd, F_GETLK, &fl) < 0) {
			printf("GETLK failed: %s\n", strerror(errno));
			return 1;
		}
		if (fl.l_type == F_UNLCK) {
			printf("GETLK free\n");
			return 0;
		}
		printf("GETLK held type=%s pid=%d start=%" PRId64 " len=%" PRId64 "\n",
		       fl.l_type == F_WRLCK ? "write" : "read", (int)fl.l_pid, (int64_t)fl.l_start,
		       (int64_t)fl.l_len);
		return 3;
	}

	/* A blocking wait ends with EINTR when the alarm fires (no SA_RESTART). */
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	if (!nonblock)
		alarm(timeout_s);
	long long t0 = now_ms();
	int rc = use_flock ? flock(fd, (shared ? LOCK_SH : LOCK_EX) | (nonblock ? LOCK_NB : 0))
			   : fcntl(fd, nonblock ? F_SETLK : F_SETLKW, &fl);
	int err = errno;
	alarm(0);
	long long waited = now_ms() - t0;
	if (rc < 0) {
		if (err == EINTR && timed_out) {
			printf("LOCK timed out after %lld ms\n", waited);
			return 4;
		}
		printf("LOCK refused: %s\n", strerror(err));
		return refused(err) ? 3 : 1;
	}
	printf("LOCK granted after %lld ms\n", waited);
	fflush(stdout);
	if (marker) {
		int m = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (m < 0) {
			fprintf(stderr, "lock_tool: cannot create %s: %s\n", marker, strerror(errno));
			return 1;
		}
		close(m);
	}
	if (until) {
		long long end = now_ms() + (hold_s ? hold_s : 120) * 1000LL;
		while (access(until, F_OK) != 0 && now_ms() < end)
			usleep(50 * 1000);
	} else if (hold_s > 0) {
		sleep(hold_s);
	}
	close(fd); /* releases the lock */
	return 0;
}
