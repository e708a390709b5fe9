/* [rpc] local_congestion_control on a real ferryd: the TCP congestion
 * control of a connection from this host is the one named (cubic unless
 * the key names another), as the kernel reports the server's end of it
 * (ss, sock_diag); "system" leaves the system's; a name the kernel
 * refuses leaves the system's too, is said once in the log, and the
 * connection is served. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

static struct ferryd_proc server;
static bool started;

/* The first line of a /proc/sys file, without its newline. */
static void read_sysctl(const char *path, char *out, size_t cap)
{
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Whether name is a word of the kernel's available congestion controls. */
static bool available(const char *name)
{
	char list[512];
	read_sysctl("/proc/sys/net/ipv4/tcp_available_congestion_control", list, sizeof(list));
	for (char *save = NULL, *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (strcmp(w, name) == 0)
			return true;
	return false;
}

static void system_congestion(char *out, size_t cap)
{
	read_sysctl("/proc/sys/net/ipv4/tcp_congestion_control", out, cap);
	assert_true(out[0] != '\0');
}

/* One the system does not use: reno is always built in; cubic if the
 * system's is reno. */
static const char *other_congestion(void)
{
	char sys[32];
	system_congestion(sys, sizeof(sys));
	if (strcmp(sys, "reno") != 0)
		return "reno";
	return available("cubic") ? "cubic" : NULL;
}

static void start(const char *value)
{
	char conf[128];
	snprintf(conf, sizeof(conf), "[rpc]\nlocal_congestion_control = %s\n", value);
	assert_int_equal(ferryd_start_conf(&server, conf), 0);
	started = true;
}

static int teardown(void **state)
{
	if (!started)
		return 0;
	started = false;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A connection from 127.0.0.1 that has had a NULL call answered (so the
 * server has taken it in); its local port in *port. */
static int connect_served(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(server.port)};
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	struct rpctest_reply r;
	assert_int_equal(
		rpctest_call(fd, 7, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	*port = ntohs(me.sin_port);
	return fd;
}

/* The congestion control of the server's end of the connection from
 * client_port, as ss prints it (the first word of its second line). */
static void server_end_congestion(uint16_t client_port, char *out, size_t cap)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd),
		 "ss -Htin state established '( sport = :%u and dport = :%u )' 2>&1",
		 (unsigned)server.port, (unsigned)client_port);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, p);
	text[n] = '\0';
	pclose(p);
	out[0] = '\0';
	const char *info = strchr(text, '\n');
	if (info) {
		while (*info && isspace((unsigned char)*info))
			info++;
		size_t w = strcspn(info, " \t\n");
		if (w < cap) {
			memcpy(out, info, w);
			out[w] = '\0';
		}
	}
	if (!out[0])
		fprintf(stderr, "ss printed: %s\n", text);
}

static unsigned log_count(const char *text)
{
	FILE *f = fopen(server.log_path, "r");
	assert_non_null(f);
	char line[1024];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static void test_named_one_taken(void **state)
{
	const char *name = other_congestion();
	if (!name) {
		print_message("only reno is available here: nothing to tell apart\n");
		skip();
	}
	start(name);
	uint16_t port;
	int fd = connect_served(&port);
	char got[32];
	server_end_congestion(port, got, sizeof(got));
	assert_string_equal(got, name);
	close(fd);
}

/* Without the key: cubic, whatever the system's (which is what this can
 * tell apart only where the system's is another). */
static void test_default_cubic(void **state)
{
	char sys[32], got[32];
	system_congestion(sys, sizeof(sys));
	if (strcmp(sys, "cubic") == 0 || !available("cubic")) {
		print_message("the system's is cubic, or there is none: nothing to tell apart\n");
		skip();
	}
	assert_int_equal(ferryd_start_conf(&server, ""), 0);
	started = true;
	uint16_t port;
	int fd = connect_served(&port);
	server_end_congestion(port, got, sizeof(got));
	assert_string_equal(got, "cubic");
	close(fd);
}

static void test_system_kept(void **state)
{
	start("system");
	char sys[32], got[32];
	system_congestion(sys, sizeof(sys));
	uint16_t port;
	int fd = connect_served(&port);
	server_end_congestion(port, got, sizeof(got));
	assert_string_equal(got, sys);
	close(fd);
}

static void test_refused_name_said_once(void **state)
{
	start("nosuchcc");
	char sys[32], got[32];
	system_congestion(sys, sizeof(sys));
	uint16_t port1, port2;
	int fd1 = connect_served(&port1);
	int fd2 = connect_served(&port2);
	server_end_congestion(port2, got, sizeof(got));
	assert_string_equal(got, sys);
	assert_int_equal(log_count("TCP congestion control 'nosuchcc'"), 1);
	close(fd1);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_named_one_taken, teardown),
		cmocka_unit_test_teardown(test_default_cubic, teardown),
		cmocka_unit_test_teardown(test_system_kept, teardown),
		cmocka_unit_test_teardown(test_refused_name_said_once, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
