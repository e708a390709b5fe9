/* The v4.0 callback probe: after SETCLIENTID_CONFIRM the state thread dials
 * the client's callback address with CB_NULL and records the outcome.  A
 * tiny callback server on loopback answers (or not). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "rpc/client.h"
#include "state/base/state_internal.h"
#include "state_test.h"

static struct state_server *st;
static int lfd = -1;
static uint16_t lport;
static pthread_t server;
static atomic_bool stop;
static atomic_int calls;
static atomic_uint last_prog;
static atomic_bool reply_garbage;

static bool read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Answers each CALL record with an accepted SUCCESS reply (or, when told,
 * PROG_UNAVAIL). */
static void serve_conn(int fd)
{
	uint8_t mark[4], buf[1024];
	while (read_full(fd, mark, 4)) {
		uint32_t len = xdr_get_be32(mark) & 0x7fffffffu;
		if (len > sizeof(buf) || !read_full(fd, buf, len) || len < 24)
			break;
		atomic_fetch_add(&calls, 1);
		atomic_store(&last_prog, xdr_get_be32(buf + 12));
		uint8_t out[4 + 24];
		xdr_put_be32(out, 0x80000000u | 24);
		memcpy(out + 4, buf, 4);      /* xid */
		xdr_put_be32(out + 8, 1);     /* REPLY */
		xdr_put_be32(out + 12, 0);    /* MSG_ACCEPTED */
		xdr_put_be32(out + 16, 0);    /* AUTH_NONE verifier */
		xdr_put_be32(out + 20, 0);
		xdr_put_be32(out + 24, atomic_load(&reply_garbage) ? 1 : 0);
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
			break;
	}
	close(fd);
}

static void *server_main(void *arg)
{
	while (!atomic_load(&stop)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			serve_conn(fd);
	}
	return NULL;
}

/* The dialer ferryd uses lives in the nfs4 layer; this one is the same
 * thing over rpc/client.h. */
static int dial(const char *hostport, uint32_t prog, unsigned timeout_ms)
{
	struct rpc_client cl;
	int rc = rpc_client_connect(&cl, hostport, timeout_ms);
	if (rc) {
		rpc_client_close(&cl);
		return rc;
	}
	static const uint8_t none[1];
	struct buf *reply = NULL;
	struct rpc_reply_hdr hdr;
	size_t off;
	rc = rpc_client_call(&cl, prog, 1, 0, NULL, none, 0, &reply, &hdr, &off, timeout_ms);
	if (rc == 0 && (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS))
		rc = -EPROTO;
	buf_unref(reply);
	rpc_client_close(&cl);
	return rc;
}

static int setup(void **state)
{
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	socklen_t sl = sizeof(a);
	getsockname(lfd, (struct sockaddr *)&a, &sl);
	lport = ntohs(a.sin_port);
	atomic_store(&stop, false);
	atomic_store(&calls, 0);
	atomic_store(&reply_garbage, false);
	pthread_create(&server, NULL, server_main, NULL);
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.cb_null = dial;
	o.cb_timeout_ms = 1000;
	assert_int_equal(state_server_create(&o, &st), 0);
	return 0;
}

static int teardown(void **state)
{
	state_server_destroy(st);
	atomic_store(&stop, true);
	pthread_join(server, NULL);
	close(lfd);
	return 0;
}

static uint64_t client_at(const char *name, const char *verf, const char *uaddr)
{
	struct state_principal who = st_who(1);
	struct state_callback cb = st_cb(), inuse;
	cb.program = 0x40000123;
	snprintf(cb.addr, sizeof(cb.addr), "%s", uaddr);
	uint8_t v[8] = {0}, confirm[8];
	memcpy(v, verf, strlen(verf));
	uint64_t id;
	assert_int_equal(state_setclientid(st, &who, v, (const uint8_t *)name,
					   (uint32_t)strlen(name), &cb, &id, confirm, &inuse),
			 NFS4_OK);
	assert_int_equal(state_setclientid_confirm(st, &who, id, confirm), NFS4_OK);
	return id;
}

static enum state_cb_status wait_status(uint64_t id, enum state_cb_status want)
{
	enum state_cb_status s = STATE_CB_UNKNOWN;
	for (int i = 0; i < 300; i++) {
		s = state_client_cb_status(st, id);
		if (s == want)
			break;
		st_sleep_ms(10);
	}
	return s;
}

static void uaddr_of_port(char *out, size_t cap, uint16_t port)
{
	snprintf(out, cap, "127.0.0.1.%u.%u", port >> 8, port & 0xff);
}

static void test_probe_up(void **state)
{
	char ua[64];
	uaddr_of_port(ua, sizeof(ua), lport);
	uint64_t id = client_at("c", "v1", ua);
	assert_int_equal(wait_status(id, STATE_CB_UP), STATE_CB_UP);
	assert_int_equal(atomic_load(&calls), 1);
	assert_int_equal(atomic_load(&last_prog), 0x40000123);
}

static void test_probe_down_then_update(void **state)
{
	/* A port nobody listens on: bind one, close it. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t sl = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	close(fd);
	char ua[64];
	uaddr_of_port(ua, sizeof(ua), ntohs(a.sin_port));
	uint64_t id = client_at("c", "v1", ua);
	assert_int_equal(wait_status(id, STATE_CB_DOWN), STATE_CB_DOWN);
	/* A callback update (same verifier) to a working address. */
	uaddr_of_port(ua, sizeof(ua), lport);
	assert_int_equal(client_at("c", "v1", ua), id);
	assert_int_equal(wait_status(id, STATE_CB_UP), STATE_CB_UP);
	/* A refusal counts as down; garbage addresses are not dialled. */
	atomic_store(&reply_garbage, true);
	uint64_t id2 = client_at("d", "v1", ua);
	assert_int_equal(wait_status(id2, STATE_CB_DOWN), STATE_CB_DOWN);
	int before = atomic_load(&calls);
	uint64_t id3 = client_at("e", "v1", "example.com.0.1");
	assert_int_equal(wait_status(id3, STATE_CB_DOWN), STATE_CB_DOWN);
	assert_int_equal(atomic_load(&calls), before);
}

static void test_uaddr(void **state)
{
	char out[96];
	assert_true(state_uaddr_to_hostport("tcp", "127.0.0.1.8.1", out, sizeof(out)));
	assert_string_equal(out, "127.0.0.1:2049");
	assert_true(state_uaddr_to_hostport("tcp6", "::1.3.255", out, sizeof(out)));
	assert_string_equal(out, "[::1]:1023");
	assert_true(state_uaddr_to_hostport("tcp6", "fe80::1:2.0.111", out, sizeof(out)));
	assert_string_equal(out, "[fe80::1:2]:111");
	assert_false(state_uaddr_to_hostport("udp", "127.0.0.1.8.1", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "127.0.0.1.8", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "127.0.0.1.256.1", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "127.0.0.1.0.0", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "localhost.8.1", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "::1.8.1", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", "1.2.3.4.x.1", out, sizeof(out)));
	assert_false(state_uaddr_to_hostport("tcp", ".8.1", out, sizeof(out)));
}

/* --- handing probes to a callback engine (state_options.cb_probe) ------------ */

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hook_cond = PTHREAD_COND_INITIALIZER;
static bool hook_hold;
static unsigned hook_calls;
static uint64_t hook_last_id;
static uint32_t hook_last_gen;

/* Stands for the engine: records the probe; while hook_hold, keeps the
 * state thread here so that probes pile up behind it. */
static void hook_probe(void *ctx, uint64_t clientid, uint32_t gen)
{
	assert_ptr_equal(ctx, &hook_lock);
	pthread_mutex_lock(&hook_lock);
	hook_calls++;
	hook_last_id = clientid;
	hook_last_gen = gen;
	pthread_cond_broadcast(&hook_cond);
	while (hook_hold)
		pthread_cond_wait(&hook_cond, &hook_lock);
	pthread_mutex_unlock(&hook_lock);
}

static unsigned hook_wait_calls(unsigned n)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&hook_lock);
		unsigned c = hook_calls;
		pthread_mutex_unlock(&hook_lock);
		if (c >= n)
			return c;
		st_sleep_ms(10);
	}
	pthread_mutex_lock(&hook_lock);
	unsigned c = hook_calls;
	pthread_mutex_unlock(&hook_lock);
	return c;
}

static int setup_hook(void **state)
{
	hook_hold = false;
	hook_calls = 0;
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 60000;
	o.cb_probe = hook_probe;
	o.cb_ctx = &hook_lock;
	assert_int_equal(state_server_create(&o, &st), 0);
	return 0;
}

static int teardown_hook(void **state)
{
	pthread_mutex_lock(&hook_lock);
	hook_hold = false;
	pthread_cond_broadcast(&hook_cond);
	pthread_mutex_unlock(&hook_lock);
	state_server_destroy(st);
	return 0;
}

/* The probe goes to the engine, whose answer (for the callback it was
 * for) sets the path's status; an answer for an older callback does not. */
static void test_probe_handed_over(void **state)
{
	uint64_t id = client_at("h", "v1", "127.0.0.1.8.1");
	assert_int_equal(hook_wait_calls(1), 1);
	assert_int_equal(hook_last_id, id);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_UNKNOWN);
	state_cb_probe_done(st, id, hook_last_gen + 1, true);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_UNKNOWN);
	state_cb_probe_done(st, id, hook_last_gen, true);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_UP);
	state_cb_probe_done(st, id, hook_last_gen, false);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_DOWN);
}

/* While the state thread is busy, probes wait in a bounded queue: beyond
 * STATE_PROBES_MAX they are dropped (the path stays unknown until one of
 * the client's later requests asks again: test_reprobe_on_renewal). */
static void test_probe_queue_bounded(void **state)
{
	pthread_mutex_lock(&hook_lock);
	hook_hold = true;
	pthread_mutex_unlock(&hook_lock);
	client_at("first", "v1", "127.0.0.1.8.1");
	assert_int_equal(hook_wait_calls(1), 1); /* the state thread is held */
	unsigned extra = STATE_PROBES_MAX + 20;
	for (unsigned i = 0; i < extra; i++) {
		char name[32];
		snprintf(name, sizeof(name), "c%u", i);
		client_at(name, "v1", "127.0.0.1.8.1");
	}
	pthread_mutex_lock(&hook_lock);
	hook_hold = false;
	pthread_cond_broadcast(&hook_cond);
	pthread_mutex_unlock(&hook_lock);
	assert_int_equal(hook_wait_calls(1 + STATE_PROBES_MAX), 1 + STATE_PROBES_MAX);
	st_sleep_ms(100);
	pthread_mutex_lock(&hook_lock);
	assert_int_equal(hook_calls, 1 + STATE_PROBES_MAX);
	pthread_mutex_unlock(&hook_lock);
}

static int setup_reprobe(void **state)
{
	hook_hold = false;
	hook_calls = 0;
	struct state_options o;
	memset(&o, 0, sizeof(o));
	o.lease_ms = 10000;
	o.cb_probe = hook_probe;
	o.cb_ctx = &hook_lock;
	o.cb_timeout_ms = 300;
	o.cb_reprobe_ms = 300;
	assert_int_equal(state_server_create(&o, &st), 0);
	return 0;
}

static unsigned hook_count(void)
{
	pthread_mutex_lock(&hook_lock);
	unsigned c = hook_calls;
	pthread_mutex_unlock(&hook_lock);
	return c;
}

/* A path whose probe failed is probed again when the client renews its
 * lease after a wait that doubles with each failure (300 ms, then 600);
 * an answered probe ends it; a renewal while a probe is out asks for none. */
static void test_reprobe_on_renewal(void **state)
{
	uint64_t id = client_at("r", "v1", "127.0.0.1.8.1");
	assert_int_equal(hook_wait_calls(1), 1);
	uint32_t gen = hook_last_gen;
	/* Out, unanswered: renewals ask for nothing more. */
	assert_int_equal(state_renew(st, id), NFS4_OK);
	st_sleep_ms(100);
	assert_int_equal(hook_count(), 1);
	state_cb_probe_done(st, id, gen, false);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_DOWN);
	assert_int_equal(state_renew(st, id), NFS4_OK);
	st_sleep_ms(100);
	assert_int_equal(hook_count(), 1); /* within the first wait */
	st_sleep_ms(300);
	assert_int_equal(state_renew(st, id), NFS4_OK);
	assert_int_equal(hook_wait_calls(2), 2);
	assert_int_equal(hook_last_id, id);
	assert_int_equal(hook_last_gen, gen);
	state_cb_probe_done(st, id, gen, false);
	st_sleep_ms(350);
	assert_int_equal(state_renew(st, id), NFS4_OK);
	st_sleep_ms(50);
	assert_int_equal(hook_count(), 2); /* the second wait is twice as long */
	st_sleep_ms(400);
	assert_int_equal(state_renew(st, id), NFS4_OK);
	assert_int_equal(hook_wait_calls(3), 3);
	state_cb_probe_done(st, id, gen, true);
	assert_int_equal(state_client_cb_status(st, id), STATE_CB_UP);
	st_sleep_ms(700);
	assert_int_equal(state_renew(st, id), NFS4_OK);
	st_sleep_ms(100);
	assert_int_equal(hook_count(), 3); /* up: no more probes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_down_then_update, setup, teardown),
		cmocka_unit_test(test_uaddr),
		cmocka_unit_test_setup_teardown(test_probe_handed_over, setup_hook, teardown_hook),
		cmocka_unit_test_setup_teardown(test_probe_queue_bounded, setup_hook,
						teardown_hook),
		cmocka_unit_test_setup_teardown(test_reprobe_on_renewal, setup_reprobe,
						teardown_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
