/* The ferryd that the NFSv4.1 protocol tests share: a writable export
 * holding a 4000-byte file "big" for the reply-size tests. */
#ifndef FERRY_TESTS_PROTO_V41_FIXTURE_H
#define FERRY_TESTS_PROTO_V41_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/rpctest.h"

static struct ferryd_proc server;

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	if (!ferryd_ceph_mode()) {
		char p[400];
		snprintf(p, sizeof(p), "%s/export", server.dir);
		chmod(p, 0777);
	}
	char buf[4000];
	memset(buf, 'x', sizeof(buf));
	return ferryd_export_put(&server, "big", buf, sizeof(buf));
}

static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

static int conn(void)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	return fd;
}

#endif
