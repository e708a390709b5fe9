/* RPC over UDP (rpc/udp.h): a call in one datagram answered by one to
 * its sender, the program's results, and the refusals (unknown program,
 * version out of range, an RPCSEC_GSS credential), with nothing sent back
 * for a datagram that is no call.  And the client's side (rpc/client.h
 * over UDP): a call answered, a lost datagram sent again, replies of
 * other XIDs skipped, nobody at the port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "rpc/client.h"
#include "rpc/udp.h"

enum { PROG = 400123 };

static struct rpc_udp *udp;
static uint16_t port;
static int sock;

/* Procedure 1 returns its u32 argument plus one; 2 refuses its
 * arguments; others are unavailable. */
static enum rpc_accept_stat serve(void *ctx, struct rpc_udp_call *call, struct xdr_enc *out)
{
	(void)ctx;
	uint32_t v;
	switch (call->hdr->proc) {
	case 1:
		if (!xdr_decode_u32(&call->args, &v))
			return RPC_GARBAGE_ARGS;
		xdr_encode_u32(out, v + 1);
		return RPC_SUCCESS;
	case 2:
		return RPC_GARBAGE_ARGS;
	default:
		return RPC_PROC_UNAVAIL;
	}
}

static int setup(void **st)
{
	(void)st;
	struct rpc_udp_program p = {.prog = PROG, .vers_low = 2, .vers_high = 3, .serve = serve};
	if (rpc_udp_listen("127.0.0.1:0", &p, 1, &udp, &port) != 0)
		return -1;
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return sock >= 0 && connect(sock, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	close(sock);
	rpc_udp_close(udp);
	return 0;
}

/* Sends a call; returns the reply's length in buf (0: none within 500 ms). */
static size_t call(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc, uint32_t flavor,
		   const uint8_t *args, size_t alen, uint8_t *buf, size_t cap)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	if (flavor == RPC_AUTH_NONE) {
		assert_true(rpc_encode_call(&e, xid, prog, vers, proc, NULL));
	} else {
		/* A header with another flavour and an empty body. */
		uint32_t w[] = {xid, 0, 2, prog, vers, proc, flavor, 0, 0, 0};
		for (size_t i = 0; i < sizeof(w) / 4; i++)
			xdr_encode_u32(&e, w[i]);
	}
	if (alen)
		xdr_encode_opaque_fixed(&e, args, alen);
	assert_int_equal(send(sock, e.buf->data, e.buf->len, 0), (ssize_t)e.buf->len);
	xdr_enc_release(&e);
	struct pollfd p = {.fd = sock, .events = POLLIN};
	if (poll(&p, 1, 500) <= 0)
		return 0;
	ssize_t n = recv(sock, buf, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

static void test_call_and_results(void **st)
{
	(void)st;
	uint8_t args[4] = {0, 0, 0, 41}, buf[512];
	size_t n = call(7, PROG, 2, 1, RPC_AUTH_NONE, args, 4, buf, sizeof(buf));
	assert_true(n > 0);
	struct xdr_dec d;
	xdr_dec_init(&d, buf, n);
	uint32_t xid, type, v;
	assert_true(rpc_decode_msg_start(&d, &xid, &type));
	assert_int_equal(xid, 7);
	struct rpc_reply_hdr h;
	assert_true(rpc_decode_reply(&d, &h));
	assert_int_equal(h.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(h.accept_stat, RPC_SUCCESS);
	assert_true(xdr_decode_u32(&d, &v));
	assert_int_equal(v, 42);
	assert_int_equal(xdr_dec_remaining(&d), 0);
}

static uint32_t accept_stat_of(uint32_t prog, uint32_t vers, uint32_t proc, uint32_t flavor,
			       struct rpc_reply_hdr *h)
{
	uint8_t buf[512];
	size_t n = call(9, prog, vers, proc, flavor, NULL, 0, buf, sizeof(buf));
	assert_true(n > 0);
	struct xdr_dec d;
	xdr_dec_init(&d, buf, n);
	uint32_t xid, type;
	assert_true(rpc_decode_msg_start(&d, &xid, &type));
	assert_true(rpc_decode_reply(&d, h));
	return h->accept_stat;
}

static void test_refusals(void **st)
{
	(void)st;
	struct rpc_reply_hdr h;
	assert_int_equal(accept_stat_of(PROG + 1, 2, 1, RPC_AUTH_NONE, &h), RPC_PROG_UNAVAIL);
	assert_int_equal(accept_stat_of(PROG, 4, 1, RPC_AUTH_NONE, &h), RPC_PROG_MISMATCH);
	assert_int_equal(h.mismatch_low, 2);
	assert_int_equal(h.mismatch_high, 3);
	assert_int_equal(accept_stat_of(PROG, 3, 9, RPC_AUTH_NONE, &h), RPC_PROC_UNAVAIL);
	assert_int_equal(accept_stat_of(PROG, 3, 2, RPC_AUTH_NONE, &h), RPC_GARBAGE_ARGS);
	/* Procedure 1 without its argument. */
	assert_int_equal(accept_stat_of(PROG, 3, 1, RPC_AUTH_NONE, &h), RPC_GARBAGE_ARGS);
	/* RPCSEC_GSS is not served over UDP. */
	accept_stat_of(PROG, 3, 1, 6, &h);
	assert_int_equal(h.reply_stat, RPC_MSG_DENIED);
	/* Noise gets nothing back, and the listener goes on. */
	uint8_t junk[3] = {1, 2, 3}, buf[64];
	assert_int_equal(send(sock, junk, sizeof(junk), 0), 3);
	struct pollfd p = {.fd = sock, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 300), 0);
	uint8_t args[4] = {0, 0, 0, 1};
	assert_true(call(11, PROG, 2, 1, RPC_AUTH_NONE, args, 4, buf, sizeof(buf)) > 0);
	struct rpc_udp_stats s;
	rpc_udp_get_stats(udp, &s);
	assert_true(s.calls >= 5);
	assert_true(s.bad >= 1);
}

/* A datagram longer than the largest the server reads (possible over
 * IPv6: 65,527 bytes of payload on loopback) is dropped, not served from
 * its first RPC_UDP_DATAGRAM_MAX bytes. */
static void test_oversized_datagram(void **st)
{
	(void)st;
	struct rpc_udp *u6;
	uint16_t p6;
	struct rpc_udp_program p = {.prog = PROG, .vers_low = 2, .vers_high = 3, .serve = serve};
	if (rpc_udp_listen("[::1]:0", &p, 1, &u6, &p6) != 0)
		skip(); /* no IPv6 loopback here */
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_true(s6 >= 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(p6),
				 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	assert_int_equal(connect(s6, (struct sockaddr *)&a, sizeof(a)), 0);
	enum { BIG = RPC_UDP_DATAGRAM_MAX + 16 };
	static uint8_t big[BIG];
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	assert_true(rpc_encode_call(&e, 21, PROG, 2, 1, NULL));
	xdr_encode_u32(&e, 5);
	memcpy(big, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	assert_int_equal(send(s6, big, BIG, 0), BIG);
	struct pollfd pf = {.fd = s6, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 500), 0);
	struct rpc_udp_stats stats;
	rpc_udp_get_stats(u6, &stats);
	assert_int_equal(stats.calls, 0);
	assert_int_equal(stats.bad, 1);
	close(s6);
	rpc_udp_close(u6);
}

/* The u32 a reply's results hold; the reply is let go. */
static uint32_t result_u32(struct buf *reply, size_t off)
{
	struct xdr_dec d;
	xdr_dec_init(&d, reply->data + off, reply->len - off);
	uint32_t v = 0;
	assert_true(xdr_decode_u32(&d, &v));
	buf_unref(reply);
	return v;
}

static void test_client_call(void **st)
{
	(void)st;
	char hp[32];
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	struct rpc_client cl;
	assert_int_equal(rpc_client_connect_udp(&cl, hp, RPC_CLIENT_PORT_UNRESERVED), 0);
	uint8_t args[4] = {0, 0, 0, 99};
	struct buf *reply;
	struct rpc_reply_hdr h;
	size_t off;
	assert_int_equal(rpc_client_call(&cl, PROG, 3, 1, NULL, args, 4, &reply, &h, &off, 2000),
			 0);
	assert_int_equal(h.accept_stat, RPC_SUCCESS);
	assert_int_equal(result_u32(reply, off), 100);
	assert_int_equal(rpc_client_call(&cl, PROG, 3, 9, NULL, NULL, 0, &reply, &h, &off, 2000),
			 0);
	assert_int_equal(h.accept_stat, RPC_PROC_UNAVAIL);
	buf_unref(reply);
	rpc_client_close(&cl);
}

/* A server that loses the first datagram, then answers the second with a
 * reply of another XID before the right one. */
struct lossy {
	int fd;
	unsigned seen;
};

static void *lossy_main(void *arg)
{
	struct lossy *l = arg;
	uint8_t buf[512];
	struct sockaddr_storage from;
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(l->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 4)
			return NULL;
		if (++l->seen == 1)
			continue;
		uint32_t xid = xdr_get_be32(buf);
		for (int i = 0; i < 2; i++) {
			struct xdr_enc e;
			assert_true(xdr_enc_init(&e, 64, 512));
			uint32_t w[] = {i == 0 ? xid + 1 : xid, 1, 0, 0, 0, 0, 7};
			for (size_t k = 0; k < sizeof(w) / 4; k++)
				xdr_encode_u32(&e, w[k]);
			(void)sendto(l->fd, e.buf->data, e.buf->len, 0, (struct sockaddr *)&from,
				     fl);
			xdr_enc_release(&e);
		}
		return NULL;
	}
}

static void test_client_resends(void **st)
{
	(void)st;
	struct lossy l = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(l.fd, (struct sockaddr *)&a, &al), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, lossy_main, &l), 0);
	char hp[32];
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", ntohs(a.sin_port));
	struct rpc_client cl;
	assert_int_equal(rpc_client_connect_udp(&cl, hp, RPC_CLIENT_PORT_UNRESERVED), 0);
	struct buf *reply;
	struct rpc_reply_hdr h;
	size_t off;
	uint64_t t0 = clock_now_ms();
	assert_int_equal(rpc_client_call(&cl, PROG, 3, 1, NULL, NULL, 0, &reply, &h, &off, 5000),
			 0);
	/* The second datagram left after 500 ms. */
	assert_true(clock_now_ms() - t0 >= 450);
	assert_int_equal(h.accept_stat, RPC_SUCCESS);
	assert_int_equal(result_u32(reply, off), 7);
	pthread_join(t, NULL);
	assert_int_equal(l.seen, 2);
	rpc_client_close(&cl);

	/* Nobody there now: refused at once (ICMP), not after the timeout. */
	close(l.fd);
	assert_int_equal(rpc_client_connect_udp(&cl, hp, RPC_CLIENT_PORT_UNRESERVED), 0);
	int rc = rpc_client_call(&cl, PROG, 3, 1, NULL, NULL, 0, &reply, &h, &off, 5000);
	assert_int_equal(rc, -ECONNREFUSED);
	rpc_client_close(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_and_results),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_oversized_datagram),
		cmocka_unit_test(test_client_call),
		cmocka_unit_test(test_client_resends),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
