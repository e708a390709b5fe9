/* The idle-timeout rule for connections whose replies wait unread
 * (rpc_conn_output_stuck): a queue that made progress after the loop's
 * tick read the clock is progress, not a reply unread for ages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpc/server_internal.h"

static void test_unread_for_the_timeout(void **state)
{
	(void)state;
	assert_true(rpc_conn_output_stuck(1, 400000, 40000, 360000));
	assert_true(rpc_conn_output_stuck(3, 400000, 0, 360000));
	assert_false(rpc_conn_output_stuck(1, 400000, 40001, 360000));
	/* Nothing queued: nothing is waiting to be read. */
	assert_false(rpc_conn_output_stuck(0, 400000, 0, 360000));
}

/* Another thread wrote (or started a queue) between the tick reading the
 * clock and looking at the connection: progress_ms is after now_ms.  Found
 * with 64 READ_PLUS replies of 1 MiB in flight: the connection was closed
 * as "unread for 360 s" within a second. */
static void test_progress_after_the_tick(void **state)
{
	(void)state;
	assert_false(rpc_conn_output_stuck(1, 400000, 400001, 360000));
	assert_false(rpc_conn_output_stuck(64, 1000, 1005, 360000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unread_for_the_timeout),
		cmocka_unit_test(test_progress_after_the_tick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
