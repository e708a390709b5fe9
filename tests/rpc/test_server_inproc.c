/* The RPC server in this process, serving a test program over real sockets:
 * concurrency on one connection, outgoing calls with XID routing, graceful
 * stop (and one past its drain time), the gate that drops calls and replies,
 * a stuck loop seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "lib/rpctest.h"
#include "rpc/server.h"

enum {
	TEST_PROG = 0x20000099,
	PROC_NULL = 0,
	PROC_SLEEP = 1,   /* args: milliseconds; defers to the worker pool */
	PROC_ECHO = 2,    /* args: u32, echoed */
	PROC_CARRY = 3,   /* args: u32; the loop keeps it in prog_state and
			   * defers; the worker echoes it with on_worker */
	PROC_DEFER_2 = 4, /* defers on the worker too: a program bug */
	PROC_BLOCK_LOOP = 5, /* args: milliseconds slept on the event loop itself */
	PROC_PARK = 6,       /* args: u32; parks (parked[]), resumed echoes it */
};

/* The requests PROC_PARK parked, for the test to resume. */
enum { MAX_PARKED = 16 };
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rpc_park *parked[MAX_PARKED];
static unsigned nparked;

static struct rpc_dispatch_result park_dispatch(struct rpc_request *req)
{
	if (req->prog_state) {
		uint32_t v = *(uint32_t *)req->prog_state;
		free(req->prog_state);
		req->prog_state = NULL;
		/* Resumed on a worker, as every parked request is. */
		xdr_encode_u32(&req->reply, req->on_worker ? v : 0);
		return rpc_dispatch_done(RPC_SUCCESS);
	}
	uint32_t *kept = malloc(sizeof(*kept));
	if (!kept || !xdr_decode_u32(&req->args, kept)) {
		free(kept);
		return rpc_dispatch_done(RPC_GARBAGE_ARGS);
	}
	struct rpc_park *park = rpc_request_park(req);
	pthread_mutex_lock(&parked_lock);
	bool room = park && nparked < MAX_PARKED;
	if (room)
		parked[nparked++] = park;
	pthread_mutex_unlock(&parked_lock);
	if (!room) {
		free(kept);
		return rpc_dispatch_done(RPC_SYSTEM_ERR);
	}
	req->prog_state = kept;
	return rpc_dispatch_park();
}

static struct rpc_dispatch_result test_dispatch(struct rpc_request *req, void *ctx)
{
	uint32_t v;
	switch (req->hdr.proc) {
	case PROC_NULL:
		return rpc_dispatch_done(RPC_SUCCESS);
	case PROC_SLEEP:
		if (!req->on_worker)
			return rpc_dispatch_defer();
		if (!xdr_decode_u32(&req->args, &v))
			return rpc_dispatch_done(RPC_GARBAGE_ARGS);
		usleep(v * 1000);
		xdr_encode_u32(&req->reply, v);
		return rpc_dispatch_done(RPC_SUCCESS);
	case PROC_ECHO:
		if (!xdr_decode_u32(&req->args, &v))
			return rpc_dispatch_done(RPC_GARBAGE_ARGS);
		xdr_encode_u32(&req->reply, v);
		return rpc_dispatch_done(RPC_SUCCESS);
	case PROC_CARRY:
		if (!req->on_worker) {
			/* Decoded on the loop: the worker must not decode again. */
			uint32_t *kept = malloc(sizeof(*kept));
			if (!kept || !xdr_decode_u32(&req->args, kept)) {
				free(kept);
				return rpc_dispatch_done(RPC_GARBAGE_ARGS);
			}
			req->prog_state = kept;
			return rpc_dispatch_defer();
		}
		if (!req->prog_state)
			return rpc_dispatch_done(RPC_SYSTEM_ERR);
		v = *(uint32_t *)req->prog_state;
		free(req->prog_state);
		req->prog_state = NULL;
		xdr_encode_u32(&req->reply, v);
		return rpc_dispatch_done(RPC_SUCCESS);
	case PROC_DEFER_2:
		return rpc_dispatch_defer();
	case PROC_PARK:
		return park_dispatch(req);
	case PROC_BLOCK_LOOP:
		if (!xdr_decode_u32(&req->args, &v))
			return rpc_dispatch_done(RPC_GARBAGE_ARGS);
		usleep(v * 1000);
		xdr_encode_u32(&req->reply, v);
		return rpc_dispatch_done(RPC_SUCCESS);
	default:
		return rpc_dispatch_done(RPC_PROC_UNAVAIL);
	}
}

struct fixture {
	struct rpc_server *srv;
	char hostport[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rpc_server_options o;
	rpc_server_options_default(&o);
	o.event_loops = 2;
	o.workers = 4;
	f->srv = rpc_server_create(&o);
	if (!f->srv)
		return -1;
	struct rpc_program p = {
		.prog = TEST_PROG,
		.vers_low = 1,
		.vers_high = 1,
		.dispatch = test_dispatch,
	};
	rpc_server_add_program(f->srv, &p);
	uint16_t port;
	if (rpc_server_listen(f->srv, "127.0.0.1:0", &port) != 0 || rpc_server_start(f->srv) != 0)
		return -1;
	snprintf(f->hostport, sizeof(f->hostport), "127.0.0.1:%u", port);
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

static void send_call(int fd, uint32_t xid, uint32_t proc, uint32_t arg)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 128, 4096));
	rpctest_encode_call(&e, xid, TEST_PROG, 1, proc, NULL);
	xdr_encode_u32(&e, arg);
	assert_int_equal(rpctest_send_record(fd, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
}

static uint32_t recv_reply_xid(int fd, uint32_t *result)
{
	struct buf *b;
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(rpctest_parse_reply(b, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_true(xdr_decode_u32(&r.results, result));
	uint32_t xid = r.xid;
	rpctest_reply_release(&r);
	return xid;
}

/* A request that blocks does not hold back the ones behind it on the same
 * connection: their replies come first. */
static void test_slow_call_does_not_stall_connection(void **state)
{
	struct fixture *f = *state;
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	send_call(fd, 1000, PROC_SLEEP, 700);
	for (uint32_t i = 0; i < 20; i++)
		send_call(fd, 2000 + i, PROC_ECHO, i);
	uint64_t t0 = clock_now_ms();
	for (uint32_t i = 0; i < 20; i++) {
		uint32_t v;
		uint32_t xid = recv_reply_xid(fd, &v);
		assert_int_equal(xid, 2000 + v);
	}
	assert_true(clock_now_ms() - t0 < 600);
	uint32_t v;
	assert_int_equal(recv_reply_xid(fd, &v), 1000);
	assert_int_equal(v, 700);
	close(fd);
}

/* A deferred call goes on on a worker with what the loop left in
 * prog_state; deferring again there is answered SYSTEM_ERR, not lost. */
static void test_deferral_keeps_program_state(void **state)
{
	struct fixture *f = *state;
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	send_call(fd, 3000, PROC_CARRY, 0xfeed);
	uint32_t v = 0;
	assert_int_equal(recv_reply_xid(fd, &v), 3000);
	assert_int_equal(v, 0xfeed);

	send_call(fd, 3001, PROC_DEFER_2, 0);
	struct buf *b;
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(rpctest_parse_reply(b, &r), 0);
	assert_int_equal(r.xid, 3001);
	assert_int_equal(r.hdr.accept_stat, RPC_SYSTEM_ERR);
	rpctest_reply_release(&r);

	/* The connection goes on serving. */
	send_call(fd, 3002, PROC_ECHO, 5);
	assert_int_equal(recv_reply_xid(fd, &v), 3002);
	assert_int_equal(v, 5);
	close(fd);
}

/* Parked requests resumed all at once (as the committer resumes a flushed
 * batch): each is answered, from a worker, with its own result. */
static void test_park_resume_all(void **state)
{
	struct fixture *f = *state;
	enum { N = 6 };
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	nparked = 0;
	for (uint32_t i = 0; i < N; i++)
		send_call(fd, 4000 + i, PROC_PARK, 100 + i);
	for (int waited = 0;; waited += 10) {
		pthread_mutex_lock(&parked_lock);
		unsigned n = nparked;
		pthread_mutex_unlock(&parked_lock);
		if (n == N)
			break;
		assert_true(waited < RPCTEST_TIMEOUT_MS);
		usleep(10 * 1000);
	}
	/* Nothing is answered while they are parked. */
	struct buf *b;
	assert_int_not_equal(rpctest_recv_record(fd, &b, 100), 0);
	rpc_park_resume_all(parked, N);
	bool seen[N] = {false};
	for (int i = 0; i < N; i++) {
		uint32_t v = 0, xid = recv_reply_xid(fd, &v);
		assert_true(xid >= 4000 && xid < 4000 + N);
		assert_false(seen[xid - 4000]);
		seen[xid - 4000] = true;
		assert_int_equal(v, 100 + (xid - 4000));
	}
	close(fd);
}

/* --- outgoing calls on an accepted connection -------------------------- */

struct call_result {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int err;
	uint32_t accept_stat;
	uint32_t value;
};

static void call_done(void *arg, int err, const struct rpc_reply_hdr *hdr, struct xdr_dec *res)
{
	struct call_result *r = arg;
	pthread_mutex_lock(&r->lock);
	r->err = err;
	if (!err) {
		r->accept_stat = hdr->accept_stat;
		if (!xdr_decode_u32(res, &r->value))
			r->value = 0xdeadbeef;
	}
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void result_init(struct call_result *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

static bool result_wait(struct call_result *r, unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->done)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) == ETIMEDOUT)
			break;
	bool done = r->done;
	pthread_mutex_unlock(&r->lock);
	return done;
}

/* Reads the CALL the server sent and answers it with value. */
static uint32_t answer_call(int peer, uint32_t value, bool wrong_xid)
{
	struct buf *b;
	assert_int_equal(rpctest_recv_record(peer, &b, RPCTEST_TIMEOUT_MS), 0);
	struct xdr_dec d;
	xdr_dec_init(&d, b->data, b->len);
	uint32_t xid, mtype;
	assert_true(rpc_decode_msg_start(&d, &xid, &mtype));
	assert_int_equal(mtype, RPC_MSG_CALL);
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	enum rpc_auth_stat as;
	assert_int_equal(rpc_decode_call(&d, &hdr, &cred, &as), RPC_CALL_OK);
	assert_int_equal(hdr.prog, 0x40000000);
	assert_int_equal(hdr.proc, 1);
	uint32_t arg;
	assert_true(xdr_decode_u32(&d, &arg));
	assert_int_equal(arg, 77);
	buf_unref(b);

	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 1024));
	rpc_encode_accepted(&e, wrong_xid ? xid ^ 0x5a5a5a5a : xid, RPC_SUCCESS);
	xdr_encode_u32(&e, value);
	assert_int_equal(rpctest_send_record(peer, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
	return xid;
}

static void test_outgoing_call_routed_by_xid(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct rpc_conn *conn = rpc_server_adopt_fd(f->srv, sv[0]);
	assert_non_null(conn);
	int peer = sv[1];

	uint8_t args[4];
	xdr_put_be32(args, 77);

	/* A reply with the right XID completes the call. */
	struct call_result r1;
	result_init(&r1);
	assert_int_equal(rpc_conn_call(conn, 0x40000000, 1, 1, NULL, args, 4, 5000, call_done, &r1),
			 0);
	answer_call(peer, 4242, false);
	assert_true(result_wait(&r1, 5000));
	assert_int_equal(r1.err, 0);
	assert_int_equal(r1.accept_stat, RPC_SUCCESS);
	assert_int_equal(r1.value, 4242);

	/* A reply with an unknown XID is dropped; the call then times out. */
	struct call_result r2;
	result_init(&r2);
	uint64_t t0 = clock_now_ms();
	assert_int_equal(rpc_conn_call(conn, 0x40000000, 1, 1, NULL, args, 4, 600, call_done, &r2),
			 0);
	answer_call(peer, 1, true);
	assert_true(result_wait(&r2, 5000));
	assert_int_equal(r2.err, -ETIMEDOUT);
	assert_true(clock_now_ms() - t0 >= 600);

	/* The connection still serves calls in the other direction. */
	send_call(peer, 31, PROC_ECHO, 31);
	uint32_t v;
	assert_int_equal(recv_reply_xid(peer, &v), 31);

	/* The peer going away fails what is pending. */
	struct call_result r3;
	result_init(&r3);
	assert_int_equal(rpc_conn_call(conn, 0x40000000, 1, 1, NULL, args, 4, 60000, call_done, &r3),
			 0);
	close(peer);
	assert_true(result_wait(&r3, 5000));
	assert_int_equal(r3.err, -ECONNRESET);

	/* And a closed connection takes no new call. */
	for (int i = 0; i < 100 && !rpc_conn_is_closed(conn); i++)
		usleep(10000);
	struct call_result r4;
	result_init(&r4);
	assert_int_equal(rpc_conn_call(conn, 0x40000000, 1, 1, NULL, args, 4, 1000, call_done, &r4),
			 -ENOTCONN);
	rpc_conn_unref(conn);
}

/* rpc_server_stop lets a request in flight finish and its reply go out. */
static void test_graceful_stop_finishes_inflight(void **state)
{
	struct fixture *f = *state;
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	send_call(fd, 555, PROC_SLEEP, 300);
	usleep(100000); /* let the server read it */
	rpc_server_stop(f->srv, 5000);
	uint32_t v;
	assert_int_equal(recv_reply_xid(fd, &v), 555);
	assert_int_equal(v, 300);
	assert_true(rpctest_wait_closed(fd, 2000));
	close(fd);
}

/* Sockets this process has open (the server's and the test's). */
static unsigned open_sockets(void)
{
	unsigned n = 0;
	for (int fd = 0; fd < 4096; fd++) {
		char path[64], target[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			n += strncmp(target, "socket:", 7) == 0;
		}
	}
	return n;
}

/* A request still running when the drain time is up ends after the event
 * loops have stopped; its connection is freed all the same (its socket
 * closed), not left with the reference of a message no loop will take. */
static void test_stop_past_drain_frees_connection(void **state)
{
	struct fixture *f = *state;
	unsigned before = open_sockets(); /* the listener among them */
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	send_call(fd, 556, PROC_SLEEP, 300);
	/* The client's end of input: the request's end wakes the loop. */
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	usleep(100000); /* let the server read it */
	rpc_server_stop(f->srv, 20);
	close(fd);
	/* The listener, the server's end and ours are all closed. */
	assert_int_equal(open_sockets(), before - 1);
}

static atomic_bool gate_open = true;

static bool test_gate(void *arg)
{
	(void)arg;
	return atomic_load(&gate_open);
}

/* Nothing is answered while the gate is shut: neither a call that comes
 * then, nor one that was being served when it shut; once open again,
 * calls are answered. */
static void test_gate_drops_calls_and_replies(void **state)
{
	struct fixture *f = *state;
	rpc_server_set_gate(f->srv, test_gate, NULL);
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	uint32_t v;
	send_call(fd, 1, PROC_ECHO, 7);
	assert_int_equal(recv_reply_xid(fd, &v), 1);
	send_call(fd, 2, PROC_SLEEP, 400); /* on a worker when the gate shuts */
	usleep(100 * 1000);
	atomic_store(&gate_open, false);
	send_call(fd, 3, PROC_ECHO, 8);
	struct buf *b;
	assert_int_equal(rpctest_recv_record(fd, &b, 800), -ETIMEDOUT);
	assert_int_equal(rpc_server_gate_drops(f->srv), 2);
	atomic_store(&gate_open, true);
	send_call(fd, 4, PROC_ECHO, 9);
	assert_int_equal(recv_reply_xid(fd, &v), 4);
	assert_int_equal(v, 9);
	close(fd);
}

/* A loop held in one call past the bound is counted stuck while it is,
 * and not once it comes round again. */
static void test_stuck_loop_seen(void **state)
{
	struct fixture *f = *state;
	usleep(600 * 1000); /* every loop has ticked */
	assert_int_equal(rpc_server_loops_stuck(f->srv, 500), 0);
	int fd = rpctest_connect(f->hostport);
	assert_true(fd >= 0);
	send_call(fd, 1, PROC_BLOCK_LOOP, 1500);
	usleep(1100 * 1000);
	assert_int_equal(rpc_server_loops_stuck(f->srv, 500), 1);
	uint32_t v;
	assert_int_equal(recv_reply_xid(fd, &v), 1);
	usleep(600 * 1000);
	assert_int_equal(rpc_server_loops_stuck(f->srv, 500), 0);
	close(fd);
}

/* A client connecting to held (a held address) waits: its call goes
 * unanswered until the address is listened on for real, then it is
 * answered. */
static void held_then_served(struct fixture *f, const char *held, uint32_t xid, uint32_t val)
{
	int fd = rpctest_connect(held);
	assert_true(fd >= 0);
	send_call(fd, xid, PROC_ECHO, val);
	struct buf *b;
	assert_int_equal(rpctest_recv_record(fd, &b, 300), -ETIMEDOUT);
	uint16_t port = 0;
	assert_true(rpc_server_listen_more(f->srv, held, &port) > 0);
	assert_int_equal(port, atoi(strrchr(held, ':') + 1));
	uint32_t v;
	assert_int_equal(recv_reply_xid(fd, &v), xid);
	assert_int_equal(v, val);
	close(fd);
}

/* A held address accepts connections without serving them: a call waits,
 * unanswered, until the address is listened on for real, and is answered
 * then; releasing a held address resets the connections that waited. */
static void test_held_address_waits_then_serves(void **state)
{
	struct fixture *f = *state;
	/* A second loopback address and a port of its own: 127.0.0.2 is on lo. */
	char held[64];
	const char *colon = strrchr(f->hostport, ':');
	snprintf(held, sizeof(held), "127.0.0.2:%s", colon + 1);
	assert_int_equal(rpc_server_hold(f->srv, held, "a"), 0);
	assert_int_equal(rpc_server_hold(f->srv, held, "a"), 0); /* held already */
	held_then_served(f, held, 1, 5);

	/* Released: what waited is reset, and nothing listens there any more. */
	char other[64];
	snprintf(other, sizeof(other), "127.0.0.3:%s", colon + 1);
	assert_int_equal(rpc_server_hold(f->srv, other, "b"), 0);
	int fd = rpctest_connect(other);
	assert_true(fd >= 0);
	send_call(fd, 2, PROC_ECHO, 6);
	struct buf *b;
	rpc_server_unhold(f->srv, "a"); /* not b's */
	assert_int_equal(rpctest_recv_record(fd, &b, 300), -ETIMEDOUT);
	rpc_server_unhold(f->srv, "b");
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char byte;
	ssize_t got = recv(fd, &byte, 1, 0);
	assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
	close(fd);
	assert_true(rpctest_connect(other) < 0);
}

/* Another head's address, held ahead: held only while it is on no
 * interface here; once it arrives (keepalived moving it here), a client
 * connecting meets the held socket and waits, instead of a refusal, until
 * the take-over listens there for real.  In a network namespace of the
 * test's own, where it may add the address. */
static void test_hold_ahead_until_address_arrives(void **state)
{
	struct fixture *f = *state;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home >= 0);
	if (unshare(CLONE_NEWNET) != 0) {
		close(home);
		skip(); /* not permitted here (no CAP_SYS_ADMIN) */
	}
	assert_int_equal(system("ip link set lo up"), 0);
	/* As keepalived setups have it: a bind succeeds on any address. */
	FILE *nonlocal = fopen("/proc/sys/net/ipv4/ip_nonlocal_bind", "w");
	assert_non_null(nonlocal);
	assert_true(fputs("1\n", nonlocal) >= 0);
	assert_int_equal(fclose(nonlocal), 0);
	const char *colon = strrchr(f->hostport, ':');
	char away[64], here[64];
	snprintf(away, sizeof(away), "192.0.2.77:%s", colon + 1);
	snprintf(here, sizeof(here), "127.0.0.1:%s", colon + 1);
	assert_int_equal(rpc_server_hold_ahead(f->srv, here, "b"), 1); /* on lo: not held */
	assert_true(rpctest_connect(here) < 0);
	assert_int_equal(rpc_server_hold_ahead(f->srv, away, "a"), 0);
	assert_int_equal(rpc_server_hold_ahead(f->srv, away, "a"), 0); /* held already */
	assert_int_equal(system("ip addr add 192.0.2.77/32 dev lo"), 0);
	/* The take-over: the held socket becomes a listener, the call is served. */
	held_then_served(f, away, 3, 7);
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	close(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slow_call_does_not_stall_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deferral_keeps_program_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_park_resume_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outgoing_call_routed_by_xid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_drops_calls_and_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_loop_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_address_waits_then_serves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_graceful_stop_finishes_inflight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_past_drain_frees_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hold_ahead_until_address_arrives, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
