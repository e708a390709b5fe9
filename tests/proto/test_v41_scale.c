/* Idle NFSv4.1 sessions cost kilobytes: ferryd's resident memory with many
 * sessions of 64 slots, each having served one cached SEQUENCE.
 * FERRY_SCALE_SESSIONS sets the count (default 2000; the issue note reports
 * a run with 10000). */
#include "v41_client.h"

#include <stdlib.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"

enum { PER_SESSION_LIMIT_KIB = 48 };

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void test_idle_sessions_memory(void **state)
{
	const char *env = getenv("FERRY_SCALE_SESSIONS");
	int n = env ? atoi(env) : 2000;
	assert_true(n > 0);
	struct ferryd_proc srv;
	assert_int_equal(ferryd_start(&srv, NULL), 0);
	int fd = rpctest_connect(srv.hostport);
	assert_true(fd >= 0);
	struct v41_attrs fore;
	v41_default_attrs(&fore);
	fore.maxreqs = 64;

	/* One session first, so the baseline includes the server's warm-up. */
	struct v41_sess s;
	v41_session_up(&s, fd, 0, "scale-0", &fore);
	long before = rss_kib(srv.pid);
	for (int i = 1; i <= n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "scale-%d", i);
		v41_session_up(&s, fd, 0, name, &fore);
		assert_int_equal(s.nslots, 64);
		struct v41_call m;
		struct v41_reply p;
		v41_begin_seq(&s, &m, 0, true);
		v41_op(&m, OP_PUTROOTFH);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		v41_done(&p);
	}
	long after = rss_kib(srv.pid);
	double per = (double)(after - before) / n;
	printf("ferryd RSS: %ld KiB with 1 session, %ld KiB with %d more idle sessions "
	       "(64 slots, one cached reply each): %.1f KiB per session\n",
	       before, after, n, per);
	assert_true(per < PER_SESSION_LIMIT_KIB);
	close(fd);
	assert_int_equal(ferryd_stop(&srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_sessions_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
