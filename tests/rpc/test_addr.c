/* Addresses as written on the command line and in the config file: the
 * client and the listener split them the same way; only the listener insists
 * on a numeric port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

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

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

/* A peer on this host: loopback in any form, or the socket's own address. */
static void test_loopback_and_same_host(void **state)
{
	(void)state;
	struct sockaddr_storage lo = v4("127.0.0.1"), lo8 = v4("127.9.8.7"), lo6 = v6("::1"),
				mapped = v6("::ffff:127.0.0.1"), a = v4("192.0.2.1"),
				b = v4("192.0.2.2"), a6 = v6("2001:db8::1"), b6 = v6("2001:db8::2"),
				mapped_a = v6("::ffff:192.0.2.1");
	assert_true(rpc_addr_is_loopback(SA(lo)));
	assert_true(rpc_addr_is_loopback(SA(lo8)));
	assert_true(rpc_addr_is_loopback(SA(lo6)));
	assert_true(rpc_addr_is_loopback(SA(mapped)));
	assert_false(rpc_addr_is_loopback(SA(a)));
	assert_false(rpc_addr_is_loopback(SA(a6)));
	assert_false(rpc_addr_is_loopback(SA(mapped_a)));

	assert_true(rpc_addr_same_host(SA(lo), SA(lo)));
	assert_true(rpc_addr_same_host(SA(lo6), SA(a6)));
	assert_true(rpc_addr_same_host(SA(a), SA(a)));
	assert_true(rpc_addr_same_host(SA(a6), SA(a6)));
	assert_false(rpc_addr_same_host(SA(b), SA(a)));
	assert_false(rpc_addr_same_host(SA(b6), SA(a6)));
	assert_false(rpc_addr_same_host(SA(mapped_a), SA(b6)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_v4_and_names),
		cmocka_unit_test(test_split_v6),
		cmocka_unit_test(test_loopback_and_same_host),
		cmocka_unit_test(test_split_refuses),
		cmocka_unit_test(test_port_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
