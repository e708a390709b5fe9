/* Idle NFSv4.1 sessions cost kilobytes: ferryd's resident memory with many
 * sessions of 64 slots, each having served one cached SEQUENCE.
 * FERRY_SCALE_SESSIONS sets the count (default 2000; the issue note reports
 * a run with 10000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/nfs4_client.h"

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
	struct nfs4c_attrs fore;
	nfs4c_default_attrs(&fore);
	fore.maxreqs = 64;

	/* One session first, so the baseline includes the server's warm-up. */
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "scale-0", &fore);
	long before = rss_kib(srv.pid);
	for (int i = 1; i <= n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "scale-%d", i);
		nfs4c_session_up(&s, fd, 0, name, &fore);
		assert_int_equal(s.nslots, 64);
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&s, &m, 0, true);
		nfs4c_putrootfh(&m);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		nfs4c_done(&p);
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
