/* rpc_tickle: the peer of a connection this host no longer has drops it
 * at once.  The "failed head" here is a socket closed in TCP repair mode,
 * which the kernel forgets without a word to the peer (as a head that
 * died or was cut off says nothing); its address keeps a listener, as the
 * head that took the address over has.  Needs CAP_NET_RAW and
 * CAP_NET_ADMIN: skipped (77) without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rpc/server.h"

static bool skipped;

/* A connection from a client socket to a listener on loopback whose
 * server side is then forgotten silently.  Fills the addresses as
 * "HOST:PORT" text; returns the client's socket, or -1 (skipped set when
 * repair mode is not allowed). */
static int orphaned_connection(int family, int *listener, char *local, char *peer, size_t cap)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	int l = socket(family, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(listen(l, 4), 0);
	struct sockaddr_storage la, ca;
	socklen_t len = sizeof(la);
	assert_int_equal(getsockname(l, (struct sockaddr *)&la, &len), 0);
	int c = socket(family, SOCK_STREAM, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&la, len), 0);
	int s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	len = sizeof(ca);
	assert_int_equal(getsockname(c, (struct sockaddr *)&ca, &len), 0);
	int on = 1;
	if (setsockopt(s, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) != 0) {
		skipped = true;
		close(s);
		close(c);
		close(l);
		return -1;
	}
	close(s); /* in repair mode: no FIN, no reset */
	char h[INET6_ADDRSTRLEN];
	if (family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&la)->sin_addr, h, sizeof(h));
		snprintf(local, cap, "%s:%u", h, ntohs(((struct sockaddr_in *)&la)->sin_port));
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ca)->sin_addr, h, sizeof(h));
		snprintf(peer, cap, "%s:%u", h, ntohs(((struct sockaddr_in *)&ca)->sin_port));
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&la)->sin6_addr, h, sizeof(h));
		snprintf(local, cap, "[%s]:%u", h, ntohs(((struct sockaddr_in6 *)&la)->sin6_port));
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ca)->sin6_addr, h, sizeof(h));
		snprintf(peer, cap, "[%s]:%u", h, ntohs(((struct sockaddr_in6 *)&ca)->sin6_port));
	}
	struct timeval tv = {.tv_usec = 700 * 1000};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*listener = l;
	return c;
}

static void tickled(int family)
{
	int l;
	char local[80], peer[80];
	int c = orphaned_connection(family, &l, local, peer, sizeof(local));
	if (c < 0)
		return;
	/* Untickled, the client hears nothing: its connection looks fine. */
	char byte;
	errno = 0;
	assert_int_equal(recv(c, &byte, 1, 0), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	int rc = rpc_tickle(local, peer);
	if (rc == -EPERM) {
		skipped = true;
		close(c);
		close(l);
		return;
	}
	assert_int_equal(rc, 0);
	errno = 0;
	assert_int_equal(recv(c, &byte, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	close(l);
}

static void test_tickle_v4(void **state)
{
	(void)state;
	tickled(AF_INET);
}

static void test_tickle_v6(void **state)
{
	(void)state;
	tickled(AF_INET6);
}

static void test_tickle_bad_addresses(void **state)
{
	(void)state;
	assert_int_equal(rpc_tickle("127.0.0.1", "127.0.0.1:5"), -EINVAL);
	assert_int_equal(rpc_tickle("127.0.0.1:2049", "[::1]:5"), -EINVAL);
	assert_int_equal(rpc_tickle("host.example:2049", "127.0.0.1:5"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tickle_v4),
		cmocka_unit_test(test_tickle_v6),
		cmocka_unit_test(test_tickle_bad_addresses),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc == 0 && skipped) {
		printf("skipped: no CAP_NET_RAW or CAP_NET_ADMIN\n");
		return 77;
	}
	return rc;
}
