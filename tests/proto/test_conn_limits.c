/* Connection limits of a real ferryd: in total and per client address.
 * A connection past either is accepted and closed at once, logged once and
 * counted in /metrics; the others are served as before.  Clients at other
 * loopback addresses (127.0.0.2, ...) stand for other hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

enum { PER_CLIENT = 4, TOTAL = 6, CLOSE_WAIT_MS = 3000 };

static struct ferryd_proc server;

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	char conf[200];
	snprintf(conf, sizeof(conf), "[rpc]\nmax_connections = %d\nmax_connections_per_client = %d\n",
		 TOTAL, PER_CLIENT);
	return ferryd_start_conf(&server, conf);
}

static int teardown(void **state)
{
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A connection to the server from the loopback address `from`. */
static int connect_from(const char *from)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in src = {.sin_family = AF_INET};
	inet_pton(AF_INET, from, &src.sin_addr);
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(server.port)};
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The connection answers a NULL call. */
static bool serves(int fd, uint32_t xid)
{
	struct rpctest_reply r;
	if (rpctest_call(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL, NULL, 0, &r) != 0)
		return false;
	bool ok = r.hdr.reply_stat == RPC_MSG_ACCEPTED && r.hdr.accept_stat == RPC_SUCCESS;
	rpctest_reply_release(&r);
	return ok;
}

static double refused(const char *reason)
{
	char series[128];
	snprintf(series, sizeof(series), "ferry_rpc_connections_refused_total{reason=\"%s\"}",
		 reason);
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

/* Lines of the server's log that contain s. */
static int log_lines_with(const char *s)
{
	FILE *f = fopen(server.log_path, "r");
	if (!f)
		return -1;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, s))
			n++;
	fclose(f);
	return n;
}

/* Opens a connection from `from` until one is served (the server may not
 * have seen a close yet); -1 if none is within CLOSE_WAIT_MS. */
static int connect_served(const char *from, uint32_t xid)
{
	for (unsigned waited = 0; waited < CLOSE_WAIT_MS; waited += 50) {
		int fd = connect_from(from);
		if (fd >= 0 && serves(fd, xid))
			return fd;
		if (fd >= 0)
			close(fd);
		sleep_ms(50);
	}
	return -1;
}

static void test_per_client_limit(void **state)
{
	int fds[PER_CLIENT];
	for (int i = 0; i < PER_CLIENT; i++) {
		fds[i] = connect_from("127.0.0.1");
		assert_true(fds[i] >= 0);
		assert_true(serves(fds[i], 100 + i));
	}
	/* One more from the same address: closed at once, twice. */
	for (int k = 0; k < 2; k++) {
		int extra = connect_from("127.0.0.1");
		assert_true(extra >= 0);
		assert_true(rpctest_wait_closed(extra, CLOSE_WAIT_MS));
		close(extra);
	}
	assert_true(refused("per_client") >= 2);
	assert_int_equal(log_lines_with("max_connections_per_client"), 1);
	/* Another host is served. */
	int other = connect_from("127.0.0.2");
	assert_true(other >= 0);
	assert_true(serves(other, 200));
	close(other);
	/* The ones open still are. */
	for (int i = 0; i < PER_CLIENT; i++)
		assert_true(serves(fds[i], 300 + i));
	/* One closes: the address may open another. */
	close(fds[0]);
	fds[0] = connect_served("127.0.0.1", 400);
	assert_true(fds[0] >= 0);
	for (int i = 0; i < PER_CLIENT; i++)
		close(fds[i]);
}

static void test_total_limit(void **state)
{
	const char *from[TOTAL] = {"127.0.0.1", "127.0.0.1", "127.0.0.2",
				   "127.0.0.2", "127.0.0.3", "127.0.0.3"};
	int fds[TOTAL];
	for (int i = 0; i < TOTAL; i++) {
		/* connect_served: the previous test's connections may not be
		 * closed on the server's side yet. */
		fds[i] = connect_served(from[i], 500 + i);
		assert_true(fds[i] >= 0);
	}
	double before = refused("total");
	int extra = connect_from("127.0.0.4");
	assert_true(extra >= 0);
	assert_true(rpctest_wait_closed(extra, CLOSE_WAIT_MS));
	close(extra);
	assert_true(refused("total") >= before + 1);
	assert_int_equal(log_lines_with("max_connections ("), 1);
	for (int i = 0; i < TOTAL; i++)
		assert_true(serves(fds[i], 600 + i));
	close(fds[TOTAL - 1]);
	fds[TOTAL - 1] = connect_served("127.0.0.4", 700);
	assert_true(fds[TOTAL - 1] >= 0);
	for (int i = 0; i < TOTAL; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_client_limit),
		cmocka_unit_test(test_total_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
