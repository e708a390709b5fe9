/* ferryd answers well-formed RPC calls with the right RPC-level replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

static struct ferryd_proc server;

static int setup(void **state)
{
	return ferryd_start(&server, NULL);
}

static int teardown(void **state)
{
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static void test_null_call(void **state)
{
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
}

static void test_prog_unavail(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	/* A number from RFC 5531's range for user-defined programs: ferryd
	 * serves none. */
	assert_int_equal(rpctest_call(fd, 7, 0x20000099, 1, 0, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_PROG_UNAVAIL);
	rpctest_reply_release(&r);
	close(fd);
}

static void test_prog_mismatch(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	/* Program 100003 is served in versions 3 (NFSv3) and 4. */
	assert_int_equal(rpctest_call(fd, 8, NFS4_PROGRAM, 2, 0, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROG_MISMATCH);
	assert_int_equal(r.hdr.mismatch_low, 3);
	assert_int_equal(r.hdr.mismatch_high, 4);
	rpctest_reply_release(&r);
	close(fd);
}

static void test_proc_unavail(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, 9, NFS4_PROGRAM, 4, 2, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_call),
		cmocka_unit_test(test_prog_unavail),
		cmocka_unit_test(test_prog_mismatch),
		cmocka_unit_test(test_proc_unavail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
