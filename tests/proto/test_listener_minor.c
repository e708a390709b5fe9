/* Each listener may narrow the NFSv4 minor versions it accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

/* PUTROOTFH in a COMPOUND of the given minor version; returns its status. */
static uint32_t compound_status(const char *hostport, uint32_t minor)
{
	int fd = rpctest_connect(hostport);
	assert_true(fd >= 0);
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, minor, "");
	nfs4c_putrootfh(&call);
	assert_int_equal(nfs4c_call(fd, nfs4c_root_cred(), &call, &r), 0);
	uint32_t st = r.status;
	nfs4c_done(&r);
	close(fd);
	return st;
}

static void test_per_listener_range(void **state)
{
	struct ferryd_proc srv;
	const char *args[] = {"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0,minor=1-1",
			      "--listen", "127.0.0.1:0,minor=2-2", "--listen", "127.0.0.1:0,minor=0-1",
			      NULL};
	assert_int_equal(ferryd_start(&srv, args), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/port", srv.dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned p1 = 0, p2 = 0, p3 = 0, p4 = 0;
	assert_int_equal(fscanf(f, "%u %u %u %u", &p1, &p2, &p3, &p4), 4);
	fclose(f);
	char all[64], only41[64], only42[64], upto41[64];
	snprintf(all, sizeof(all), "127.0.0.1:%u", p1);
	snprintf(only41, sizeof(only41), "127.0.0.1:%u", p2);
	snprintf(only42, sizeof(only42), "127.0.0.1:%u", p3);
	snprintf(upto41, sizeof(upto41), "127.0.0.1:%u", p4);

	/* Without SEQUENCE a v4.1 or v4.2 COMPOUND is refused by the session
	 * rules, which shows it got past the version check.  The default
	 * range is 0-2. */
	assert_int_equal(compound_status(all, 0), NFS4_OK);
	assert_int_equal(compound_status(all, 1), NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(compound_status(all, 2), NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(compound_status(all, 3), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(compound_status(only41, 0), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(compound_status(only41, 1), NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(compound_status(only41, 2), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(compound_status(only42, 0), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(compound_status(only42, 1), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(compound_status(only42, 2), NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(compound_status(upto41, 0), NFS4_OK);
	assert_int_equal(compound_status(upto41, 1), NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(compound_status(upto41, 2), NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(ferryd_stop(&srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_listener_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
