/* The settings ferryd gives its CephFS client unless the Ceph
 * configuration or CEPH_ARGS set them (which then stand): libcephfs's
 * in-memory debug logs off on the request path (debug_client,
 * debug_objecter, ... at 0/0), and the object cacher's writeback starting
 * at half its dirty limit (client_oc_target_dirty).  They are read from
 * the client's own admin socket in ferryd's state directory.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID); skipped (exit
 * 77) without one. */
#include "ceph/ceph_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The admin socket of the export's client in ferryd's state directory. */
static void find_asok(char *out, size_t cap)
{
	DIR *d = opendir(ceph_ferryd_state);
	assert_non_null(d);
	struct dirent *e;
	out[0] = '\0';
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".asok") == 0)
			snprintf(out, cap, "%s/%s", ceph_ferryd_state, e->d_name);
	}
	closedir(d);
	assert_true(out[0] != '\0');
}

static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* The level libcephfs reports for option, as "L/M", into out. */
static void config_get(const char *option, char *out, size_t cap)
{
	char asok[400], cmd[200], reply[512];
	find_asok(asok, sizeof(asok));
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(asok) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, asok);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A request is a JSON command and its NUL; the reply its length
	 * (4 bytes, big-endian), then the JSON. */
	int n = snprintf(cmd, sizeof(cmd), "{\"prefix\": \"config get\", \"var\": \"%s\"}", option);
	assert_int_equal(write(fd, cmd, (size_t)n + 1), n + 1);
	uint32_t len;
	assert_true(read_full(fd, &len, sizeof(len)));
	len = ntohl(len);
	assert_true(len < sizeof(reply));
	assert_true(read_full(fd, reply, len));
	reply[len] = '\0';
	close(fd);
	/* {"debug_client": "0/0"} */
	const char *v = strstr(reply, "\": \"");
	assert_non_null(v);
	v += 4;
	const char *end = strchr(v, '"');
	assert_non_null(end);
	snprintf(out, cap, "%.*s", (int)(end - v), v);
}

static void assert_level(const char *option, const char *want)
{
	char got[32];
	config_get(option, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s is %s, expected %s", option, got, want);
}

/* CEPH_ARGS sets one level and the cacher's dirty limit; the configuration
 * file is the cluster's own, which sets none of them. */
static int setup(void **st)
{
	setenv("CEPH_ARGS", "--debug-client=0/3 --client-oc-max-dirty=67108864", 1);
	int rc = ceph_setup(st);
	unsetenv("CEPH_ARGS");
	return rc;
}

static void test_quiet_unless_set(void **st)
{
	(void)st;
	/* libcephfs 16.2's own defaults are 0/5, 0/1, 0/5 and 0/10 here. */
	assert_level("debug_objecter", "0/0");
	assert_level("debug_objectcacher", "0/0");
	assert_level("debug_monc", "0/0");
	assert_level("debug_ms", "0/0");
	/* Set by CEPH_ARGS: kept. */
	assert_level("debug_client", "0/3");
}

static void test_writeback_from_half_the_dirty_limit(void **st)
{
	(void)st;
	/* libcephfs's default target is 8 MiB; the limit CEPH_ARGS set is
	 * 64 MiB, so half of it is 32 MiB. */
	assert_level("client_oc_max_dirty", "67108864");
	assert_level("client_oc_target_dirty", "33554432");
}

int main(void)
{
	if (!ceph_env("test_ceph_client_settings"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_unless_set),
		cmocka_unit_test(test_writeback_from_half_the_dirty_limit),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
