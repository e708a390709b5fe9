/* Addresses as written on the command line and in the config file: the
 * client and the listener split them the same way; only the listener insists
 * on a numeric port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "rpc/addr.h"

static void test_split_v4_and_names(void **state)
{
	char host[64], port[8];
	(void)state;
	assert_int_equal(rpc_addr_split("127.0.0.1:2049", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "2049");
	/* The last colon ends the host. */
	assert_int_equal(rpc_addr_split("a:b:7", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "a:b");
	assert_string_equal(port, "7");
	/* An empty port splits; whether it is usable is the caller's rule. */
	assert_int_equal(rpc_addr_split("host:", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(port, "");
}

static void test_split_v6(void **state)
{
	char host[64], port[8];
	(void)state;
	assert_int_equal(rpc_addr_split("[::1]:0", host, sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "0");
	assert_int_equal(rpc_addr_split("[::1]", host, sizeof(host), port, sizeof(port)), -EINVAL);
	assert_int_equal(rpc_addr_split("[::1:5", host, sizeof(host), port, sizeof(port)), -EINVAL);
	assert_int_equal(rpc_addr_split("[]:5", host, sizeof(host), port, sizeof(port)), -EINVAL);
}

static void test_split_refuses(void **state)
{
	char host[8], port[4];
	(void)state;
	assert_int_equal(rpc_addr_split("nocolon", host, sizeof(host), port, sizeof(port)), -EINVAL);
	assert_int_equal(rpc_addr_split(":80", host, sizeof(host), port, sizeof(port)), -EINVAL);
	/* Parts that do not fit the caller's buffers, NUL included. */
	assert_int_equal(rpc_addr_split("12345678:1", host, sizeof(host), port, sizeof(port)),
			 -EINVAL);
	assert_int_equal(rpc_addr_split("1234567:1", host, sizeof(host), port, sizeof(port)), 0);
	assert_int_equal(rpc_addr_split("h:1234", host, sizeof(host), port, sizeof(port)), -EINVAL);
	assert_int_equal(rpc_addr_split("h:123", host, sizeof(host), port, sizeof(port)), 0);
}

static void test_port_ok(void **state)
{
	(void)state;
	assert_true(rpc_addr_port_ok("0"));
	assert_true(rpc_addr_port_ok("2049"));
	assert_true(rpc_addr_port_ok("65535"));
	assert_true(rpc_addr_port_ok("0065535"));
	assert_false(rpc_addr_port_ok("65536"));
	assert_false(rpc_addr_port_ok(""));
	assert_false(rpc_addr_port_ok("nfs"));
	assert_false(rpc_addr_port_ok("20 49"));
	assert_false(rpc_addr_port_ok("-1"));
	assert_false(rpc_addr_port_ok("99999999999999999999999"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_v4_and_names),
		cmocka_unit_test(test_split_v6),
		cmocka_unit_test(test_split_refuses),
		cmocka_unit_test(test_port_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
