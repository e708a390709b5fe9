/* What the rpc layer does for callbacks: a REPLY is read even while the
 * connection's request backlog is full, a back-bound connection is never
 * closed for idleness, and an outgoing connection is dialled without
 * blocking and carries calls once connected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "lib/rpctest.h"
#include "rpc/server_internal.h"

enum { TEST_PROG = 0x20000098, PROC_SLEEP = 1, PROC_ECHO = 2, CB_PROG = 0x40000000 };

static struct rpc_dispatch_result test_dispatch(struct rpc_request *req, void *ctx)
{
	(void)ctx;
	uint32_t v;
	/* Decoded where it runs: a deferred call is dispatched again. */
	if (req->hdr.proc == PROC_SLEEP && !req->on_worker)
		return rpc_dispatch_defer();
	if (!xdr_decode_u32(&req->args, &v))
		return rpc_dispatch_done(RPC_GARBAGE_ARGS);
	if (req->hdr.proc == PROC_SLEEP)
		usleep(v * 1000);
	xdr_encode_u32(&req->reply, v);
	return rpc_dispatch_done(RPC_SUCCESS);
}

struct fixture {
	struct rpc_server *srv;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (getenv("TEST_DEBUG"))
		log_set_level(LOG_LEVEL_DEBUG);
	struct rpc_server_options o;
	rpc_server_options_default(&o);
	o.event_loops = 1;
	o.workers = 2;
	o.max_inflight_per_conn = 1;
	o.idle_timeout_s = 1;
	f->srv = rpc_server_create(&o);
	if (!f->srv)
		return -1;
	struct rpc_program p = {
		.prog = TEST_PROG, .vers_low = 1, .vers_high = 1, .dispatch = test_dispatch};
	rpc_server_add_program(f->srv, &p);
	if (rpc_server_start(f->srv) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rpc_server_stop(f->srv, 5000);
	rpc_server_destroy(f->srv);
	free(f);
	return 0;
}

struct call_result {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int err;
	uint32_t value;
	uint64_t at_ms;
};

static void result_init(struct call_result *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

static void call_done(void *arg, int err, const struct rpc_reply_hdr *hdr, struct xdr_dec *res)
{
	struct call_result *r = arg;
	pthread_mutex_lock(&r->lock);
	r->err = err;
	if (err == 0 && hdr->accept_stat == RPC_SUCCESS)
		xdr_decode_u32(res, &r->value);
	r->at_ms = clock_now_ms();
	r->done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static bool result_wait(struct call_result *r, unsigned ms)
{
	uint64_t deadline = clock_now_ms() + ms;
	pthread_mutex_lock(&r->lock);
	while (!r->done && clock_now_ms() < deadline) {
		pthread_mutex_unlock(&r->lock);
		usleep(2000);
		pthread_mutex_lock(&r->lock);
	}
	bool done = r->done;
	pthread_mutex_unlock(&r->lock);
	return done;
}

static void send_call(int fd, uint32_t xid, uint32_t proc, uint32_t arg)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	rpctest_encode_call(&e, xid, TEST_PROG, 1, proc, NULL);
	xdr_encode_u32(&e, arg);
	assert_int_equal(rpctest_send_record(fd, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
}

/* Reads the server's CALL on fd and answers it with value. */
static void answer_call(int fd, uint32_t value)
{
	struct buf *b;
	assert_int_equal(rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS), 0);
	struct xdr_dec d;
	xdr_dec_init(&d, b->data, b->len);
	uint32_t xid, mtype;
	assert_true(rpc_decode_msg_start(&d, &xid, &mtype));
	assert_int_equal(mtype, RPC_MSG_CALL);
	buf_unref(b);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 1024));
	rpc_encode_accepted(&e, xid, RPC_SUCCESS);
	xdr_encode_u32(&e, value);
	assert_int_equal(rpctest_send_record(fd, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
}

static uint32_t recv_reply_xid(int fd, uint32_t *value)
{
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_true(xdr_decode_u32(&r.results, value));
	uint32_t xid = r.xid;
	rpctest_reply_release(&r);
	return xid;
}

/* One request in flight is the connection's whole backlog; the client
 * then sends another CALL and the REPLY to the server's callback.  The
 * REPLY is taken at once, not after the slow request ends; the CALL set
 * aside is served after it, in order. */
static void test_reply_read_while_backlog_full(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct rpc_conn *conn = rpc_server_adopt_fd(f->srv, sv[0]);
	assert_non_null(conn);
	int peer = sv[1];
	uint64_t t0 = clock_now_ms();
	send_call(peer, 1, PROC_SLEEP, 800);
	usleep(100 * 1000); /* it is in flight: the backlog is full */
	send_call(peer, 2, PROC_ECHO, 22);
	struct call_result r;
	result_init(&r);
	uint8_t args[4] = {0, 0, 0, 7};
	assert_int_equal(rpc_conn_call(conn, CB_PROG, 1, 1, NULL, args, 4, 5000, call_done, &r), 0);
	answer_call(peer, 99);
	assert_true(result_wait(&r, 5000));
	assert_int_equal(r.err, 0);
	assert_int_equal(r.value, 99);
	assert_true(r.at_ms - t0 < 600);
	uint32_t v;
	assert_int_equal(recv_reply_xid(peer, &v), 1);
	assert_int_equal(v, 800);
	assert_int_equal(recv_reply_xid(peer, &v), 2);
	assert_int_equal(v, 22);
	assert_true(clock_now_ms() - t0 >= 800);
	rpc_conn_unref(conn);
	close(peer);
}

/* The idle timeout (1 s here) spares a connection held as a back channel. */
static void test_back_channel_not_idle_closed(void **state)
{
	struct fixture *f = *state;
	int sv[2], sv2[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
	struct rpc_conn *held = rpc_server_adopt_fd(f->srv, sv[0]);
	struct rpc_conn *plain = rpc_server_adopt_fd(f->srv, sv2[0]);
	rpc_conn_hold_back(held, true);
	usleep(2000 * 1000);
	assert_true(rpc_conn_is_closed(plain));
	assert_false(rpc_conn_is_closed(held));
	rpc_conn_hold_back(held, false);
	for (int i = 0; i < 300 && !rpc_conn_is_closed(held); i++)
		usleep(10 * 1000);
	assert_true(rpc_conn_is_closed(held));
	rpc_conn_unref(held);
	rpc_conn_unref(plain);
	close(sv[1]);
	close(sv2[1]);
}

/* A dialled connection: the call made before the connect completed goes
 * out once it has; a refused dial fails its call. */
static void test_connect_out(void **state)
{
	struct fixture *f = *state;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	char hp[64];
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", ntohs(a.sin_port));
	int err = 1;
	struct rpc_conn *conn = rpc_server_connect(f->srv, hp, &err);
	assert_non_null(conn);
	assert_int_equal(err, 0);
	struct call_result r;
	result_init(&r);
	uint8_t args[4] = {0, 0, 0, 5};
	assert_int_equal(rpc_conn_call(conn, CB_PROG, 1, 0, NULL, args, 4, 5000, call_done, &r), 0);
	int c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	answer_call(c, 1234);
	assert_true(result_wait(&r, 5000));
	assert_int_equal(r.err, 0);
	assert_int_equal(r.value, 1234);
	/* It stays open while idle only as long as the idle timeout allows. */
	rpc_conn_close(conn);
	rpc_conn_unref(conn);
	close(c);

	/* Nobody listens any more. */
	close(lfd);
	conn = rpc_server_connect(f->srv, hp, &err);
	if (conn) {
		struct call_result r2;
		result_init(&r2);
		int rc = rpc_conn_call(conn, CB_PROG, 1, 0, NULL, args, 4, 5000, call_done, &r2);
		if (rc == 0) {
			assert_true(result_wait(&r2, 5000));
			assert_int_not_equal(r2.err, 0);
		} else {
			assert_int_equal(rc, -ENOTCONN);
		}
		for (int i = 0; i < 300 && !rpc_conn_is_closed(conn); i++)
			usleep(10 * 1000);
		assert_true(rpc_conn_is_closed(conn));
		rpc_conn_unref(conn);
	}
	assert_null(rpc_server_connect(f->srv, "not-an-address:12", &err));
	assert_int_equal(err, -EINVAL);
}

/* A connection object no loop serves (the in-process tests make them)
 * takes no call: nothing would ever end it. */
static void test_call_needs_a_loop(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(800)};
	struct rpc_conn *conn = rpc_conn_new(f->srv, -1, (const struct sockaddr *)&peer,
					     sizeof(peer));
	assert_non_null(conn);
	struct call_result r;
	result_init(&r);
	uint8_t args[4] = {0};
	assert_int_equal(rpc_conn_call(conn, CB_PROG, 1, 0, NULL, args, 4, 1000, call_done, &r),
			 -ENOTCONN);
	rpc_conn_unref(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_read_while_backlog_full),
		cmocka_unit_test(test_back_channel_not_idle_closed),
		cmocka_unit_test(test_connect_out),
		cmocka_unit_test(test_call_needs_a_loop),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
