/* ferryd under concurrent load: many calls in flight on one connection, many
 * connections at once, a client that does not read its replies, thousands of
 * short-lived connections, and a shutdown in the middle of traffic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "rpc/record.h"
#include "xdr/nfs4_prot.h"

enum { FD_WAIT_MS = 10000 };

static struct ferryd_proc server;
static int baseline_fds;

static int setup(void **state)
{
	/* Every connection comes from 127.0.0.1, and test_10000_connections
	 * has 250 open at once: more than one address may have by default. */
	if (ferryd_start_conf(&server, "[rpc]\nmax_connections_per_client = 0\n") != 0)
		return -1;
	baseline_fds = rpctest_count_fds(server.pid);
	return baseline_fds > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* Tests that need a ferryd of their own (a special configuration, or one to
 * stop) get it from setup_own/teardown_own, so that a failing assertion does
 * not leave a server running.  A test that stops `own` itself checks the exit
 * status; teardown_own checks it otherwise. */
static struct ferryd_proc own;

/* Starts `own`, with an INI configuration when conf_text is not NULL. */
static int own_start(const char *conf_text)
{
	char conf[300] = "";
	const char *args[] = {"--config", conf, NULL};
	if (conf_text) {
		const char *tmp = getenv("TMPDIR");
		snprintf(conf, sizeof(conf), "%s/ferry-conf-XXXXXX.ini", tmp ? tmp : "/tmp");
		int cfd = mkstemps(conf, 4);
		if (cfd < 0)
			return -1;
		ssize_t len = (ssize_t)strlen(conf_text);
		bool ok = write(cfd, conf_text, (size_t)len) == len;
		close(cfd);
		if (!ok) {
			unlink(conf);
			return -1;
		}
	}
	int rc = ferryd_start(&own, conf_text ? args : NULL);
	if (conf_text)
		unlink(conf);
	return rc;
}

static int setup_own(void **state) { return own_start(NULL); }

static int setup_own_inflight_2(void **state)
{
	return own_start("[rpc]\nmax_inflight_per_conn = 2\n");
}

static int teardown_own(void **state)
{
	if (own.pid <= 0)
		return 0; /* stopped by the test, which checked how */
	return ferryd_stop(&own) == 0 ? 0 : -1;
}

/* --- helpers (usable from any thread: they report, never assert) --------- */

/* Appends a NULL call with this xid, as one record, to e. */
static void append_null_call(struct xdr_enc *e, uint32_t xid)
{
	size_t mark = xdr_enc_len(e);
	xdr_encode_u32(e, 0);
	rpctest_encode_call(e, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL);
	xdr_enc_patch_u32(e, mark, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(e) - mark - 4));
}

/* Appends a COMPOUND (no ops) whose tag is taglen bytes derived from xid. */
static void append_compound_call(struct xdr_enc *e, uint32_t xid, uint8_t *tag, uint32_t taglen)
{
	memset(tag, (int)(xid & 0xff), taglen);
	size_t mark = xdr_enc_len(e);
	xdr_encode_u32(e, 0);
	rpctest_encode_call(e, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, NULL);
	nfs4c_encode_compound(e, tag, taglen, 0, NULL, 0);
	xdr_enc_patch_u32(e, mark, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(e) - mark - 4));
}

/* Appends a COMPOUND that ferryd finishes on its worker pool: PUTROOTFH, then
 * COMMIT, an operation marked as possibly blocking (on the pseudo-root it
 * fails, which is fine: it went through the hand-off to a worker all the
 * same). */
static void append_worker_call(struct xdr_enc *e, uint32_t xid)
{
	size_t mark = xdr_enc_len(e);
	xdr_encode_u32(e, 0);
	rpctest_encode_call(e, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, NULL);
	struct nfs4_compound_enc c;
	struct nfs4_commit_args commit = {0};
	nfs4_enc_compound_args_begin(&c, e, nfs4_opaque_str("w"), 0);
	nfs4_enc_op(&c, OP_PUTROOTFH);
	nfs4_enc_op(&c, OP_COMMIT);
	nfs4_enc_commit_args(e, &commit);
	nfs4_enc_compound_end(&c);
	xdr_enc_patch_u32(e, mark, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(e) - mark - 4));
}

/* The reply to append_worker_call: both ops ran, PUTROOTFH succeeded. */
static bool worker_reply_ok(struct rpctest_reply *r)
{
	struct nfs4_compound_res_hdr res;
	uint32_t op1, st1, op2, st2;
	return nfs4c_parse_compound(r, &res) == 0 && res.tag.len == 1 && res.tag.data[0] == 'w' &&
	       res.numres == 2 && nfs4_dec_op_res(&r->results, &op1, &st1) &&
	       nfs4_dec_op_res(&r->results, &op2, &st2) && op1 == OP_PUTROOTFH && st1 == NFS4_OK &&
	       op2 == OP_COMMIT && st2 == res.status;
}

/* Mixed traffic: xids divisible by 3 are worker calls, the others NULL. */
static bool is_worker_xid(uint32_t xid) { return xid % 3 == 0; }

static void append_mixed_call(struct xdr_enc *e, uint32_t xid)
{
	if (is_worker_xid(xid))
		append_worker_call(e, xid);
	else
		append_null_call(e, xid);
}

#define MIXED UINT32_MAX /* read_replies: replies to append_mixed_call */

/* Reads n replies whose xids are base..base+n-1, each exactly once, all
 * accepted with SUCCESS.  taglen 0: NULL replies; MIXED: replies to
 * append_mixed_call; otherwise COMPOUNDs echoing the tag append_compound_call
 * made.  Returns 0, or a negative errno / -EPROTO with *why set. */
static int read_replies(int fd, uint32_t base, unsigned n, uint32_t taglen, const char **why)
{
	uint8_t *seen = calloc(n, 1);
	if (!seen)
		return -ENOMEM;
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct rpctest_reply r;
		rc = rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS);
		if (rc) {
			*why = "no reply";
			break;
		}
		uint32_t k = r.xid - base;
		if (k >= n || seen[k]) {
			*why = k >= n ? "reply with an xid never sent" : "xid answered twice";
			rc = -EPROTO;
		} else if (r.hdr.reply_stat != RPC_MSG_ACCEPTED ||
			   r.hdr.accept_stat != RPC_SUCCESS) {
			*why = "call not accepted";
			rc = -EPROTO;
		} else if (taglen == 0 || (taglen == MIXED && !is_worker_xid(r.xid))) {
			if (xdr_dec_remaining(&r.results) != 0) {
				*why = "NULL reply with results";
				rc = -EPROTO;
			}
		} else if (taglen == MIXED) {
			if (!worker_reply_ok(&r)) {
				*why = "bad reply to PUTROOTFH+COMMIT";
				rc = -EPROTO;
			}
		} else {
			struct nfs4_compound_res_hdr res;
			if (nfs4c_parse_compound(&r, &res) != 0 || res.status != NFS4_OK ||
			    res.tag.len != taglen || res.numres != 0) {
				*why = "bad COMPOUND reply";
				rc = -EPROTO;
			} else {
				for (uint32_t j = 0; j < taglen; j++)
					if (res.tag.data[j] != (uint8_t)(r.xid & 0xff)) {
						*why = "tag not echoed";
						rc = -EPROTO;
						break;
					}
			}
		}
		if (rc == 0)
			seen[k] = 1;
		rpctest_reply_release(&r);
	}
	free(seen);
	return rc;
}

/* n calls on fd (mixed NULL and worker calls), each its own send(), then
 * all n replies. */
static int mixed_burst(int fd, uint32_t base, unsigned n, const char **why)
{
	for (unsigned i = 0; i < n; i++) {
		struct xdr_enc e;
		if (!xdr_enc_init(&e, 128, 1024))
			return -ENOMEM;
		append_mixed_call(&e, base + i);
		int rc = rpctest_send_raw(fd, e.buf->data, e.buf->len);
		xdr_enc_release(&e);
		if (rc) {
			*why = "send failed";
			return rc;
		}
	}
	return read_replies(fd, base, n, MIXED, why);
}

/* Call with rc already computed: why is set by the call that made rc. */
static void assert_ok(int rc, const char *why)
{
	if (rc != 0)
		fail_msg("rc %d: %s", rc, why ? why : "?");
}

/* --- many calls in flight on one connection ------------------------------ */

static void check_inflight(unsigned n)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	const char *why = NULL;
	for (int round = 0; round < 10; round++) {
		int rc = mixed_burst(fd, 0x10000u * (uint32_t)(round + 1), n, &why);
		assert_ok(rc, why);
	}
	/* Every call was answered once: nothing is left over. */
	assert_true(rpctest_nothing_pending(fd));
	close(fd);
}

static void test_64_in_flight(void **state) { check_inflight(64); }

static void test_128_in_flight(void **state) { check_inflight(128); }

static void test_pipelined_in_one_send(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64 * 1024, 16u << 20));
	uint8_t tag[100];
	for (uint32_t i = 0; i < 300; i++)
		append_mixed_call(&e, 0x7000 + i);
	assert_false(e.overflow);
	/* One send(); the kernel may split it anywhere. */
	ssize_t w = send(fd, e.buf->data, e.buf->len, MSG_NOSIGNAL);
	assert_true(w > 0);
	assert_int_equal(rpctest_send_raw(fd, e.buf->data + w, e.buf->len - (size_t)w), 0);
	xdr_enc_release(&e);
	const char *why = NULL;
	int rc = read_replies(fd, 0x7000, 300, MIXED, &why);
	assert_ok(rc, why);

	/* The same with tags, so records straddle the server's reads. */
	assert_true(xdr_enc_init(&e, 64 * 1024, 16u << 20));
	for (uint32_t i = 0; i < 200; i++)
		append_compound_call(&e, 0x7400 + i, tag, 1 + i % 97);
	w = send(fd, e.buf->data, e.buf->len, MSG_NOSIGNAL);
	assert_true(w > 0);
	assert_int_equal(rpctest_send_raw(fd, e.buf->data + w, e.buf->len - (size_t)w), 0);
	xdr_enc_release(&e);
	for (uint32_t i = 0; i < 200; i++) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
		struct nfs4_compound_res_hdr res;
		assert_int_equal(nfs4c_parse_compound(&r, &res), 0);
		uint32_t k = r.xid - 0x7400;
		assert_true(k < 200);
		assert_int_equal(res.tag.len, 1 + k % 97);
		for (uint32_t j = 0; j < res.tag.len; j++)
			assert_int_equal(res.tag.data[j], r.xid & 0xff);
		rpctest_reply_release(&r);
	}
	assert_true(rpctest_nothing_pending(fd));
	close(fd);
}

struct burst_thread {
	pthread_t thread;
	unsigned index;
	int rc;
	const char *why;
};

static void *burst_main(void *arg)
{
	struct burst_thread *t = arg;
	int fd = rpctest_connect(server.hostport);
	if (fd < 0) {
		t->rc = -ECONNREFUSED;
		t->why = "connect failed";
		return NULL;
	}
	for (uint32_t round = 0; round < 20 && t->rc == 0; round++)
		t->rc = mixed_burst(fd, (t->index << 24) | (round << 12), 64, &t->why);
	close(fd);
	return NULL;
}

static void test_8_connections_64_in_flight(void **state)
{
	static struct burst_thread threads[8]; /* threads never outlive it */
	for (unsigned i = 0; i < 8; i++) {
		threads[i] = (struct burst_thread){.index = i + 1};
		assert_int_equal(pthread_create(&threads[i].thread, NULL, burst_main, &threads[i]), 0);
	}
	for (unsigned i = 0; i < 8; i++)
		pthread_join(threads[i].thread, NULL);
	for (unsigned i = 0; i < 8; i++)
		assert_ok(threads[i].rc, threads[i].why);
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
}

/* With [rpc] max_inflight_per_conn = 2, 3000 worker calls sent at once
 * without reading: ferryd stops reading at two requests in flight, goes on
 * as they finish, and answers every one. */
static void test_inflight_limit_pauses_reading(void **state)
{
	int fd = rpctest_connect(own.hostport);
	assert_true(fd >= 0);
	assert_int_equal(rpctest_set_send_timeout(fd, 10000), 0);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256 * 1024, 16u << 20));
	for (uint32_t i = 0; i < 3000; i++)
		append_worker_call(&e, 3 * (0x10000 + i));
	assert_false(e.overflow);
	assert_int_equal(rpctest_send_raw(fd, e.buf->data, e.buf->len), 0);
	xdr_enc_release(&e);
	/* xids are multiples of 3 here, so read them back by their index. */
	uint8_t *seen = calloc(3000, 1);
	assert_non_null(seen);
	for (unsigned i = 0; i < 3000; i++) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
		assert_int_equal(r.xid % 3, 0);
		uint32_t k = r.xid / 3 - 0x10000;
		assert_true(k < 3000);
		assert_false(seen[k]);
		seen[k] = 1;
		assert_true(worker_reply_ok(&r));
		rpctest_reply_release(&r);
	}
	free(seen);
	assert_true(rpctest_nothing_pending(fd));
	/* A mixed burst of 64 on the same connection, above the limit too. */
	const char *why = NULL;
	int rc = mixed_burst(fd, 0x50000, 64, &why);
	assert_ok(rc, why);
	close(fd);
	assert_int_equal(rpctest_null_ok(own.hostport), 0);
}

/* --- a client that does not read ----------------------------------------- */

static void test_5000_calls_unread(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	assert_int_equal(rpctest_set_send_timeout(fd, 10000), 0);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256 * 1024, 16u << 20));
	for (uint32_t i = 0; i < 5000; i++)
		append_null_call(&e, 0x100000 + i);
	assert_false(e.overflow);
	/* 220 KB of calls, 140 KB of replies: the server must take all of it
	 * while nobody reads, so this cannot block for good. */
	for (size_t off = 0; off < e.buf->len; off += 1000) {
		size_t n = e.buf->len - off < 1000 ? e.buf->len - off : 1000;
		assert_int_equal(rpctest_send_raw(fd, e.buf->data + off, n), 0);
	}
	xdr_enc_release(&e);
	const char *why = NULL;
	int rc = read_replies(fd, 0x100000, 5000, 0, &why);
	assert_ok(rc, why);
	assert_true(rpctest_nothing_pending(fd));
	close(fd);
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
}

enum {
	BIG_CALLS = 5000,
	SERVER_OUTPUT_LIMIT = 16 << 20, /* rpc_server_options_default */
	MAX_BIG_TAG = 64 * 1024,
};

struct unread_sender {
	int fd;
	uint32_t taglen;
	atomic_size_t sent;
	atomic_bool done;
	int rc;
};

static void *unread_sender_main(void *arg)
{
	struct unread_sender *s = arg;
	uint8_t *tag = malloc(s->taglen);
	struct xdr_enc e;
	if (!tag || !xdr_enc_init(&e, s->taglen + 256, s->taglen + 256)) {
		s->rc = -ENOMEM;
		free(tag);
		atomic_store(&s->done, true);
		return NULL;
	}
	for (uint32_t i = 0; i < BIG_CALLS && s->rc == 0; i++) {
		e.buf->len = 0;
		append_compound_call(&e, 0x200000 + i, tag, s->taglen);
		s->rc = rpctest_send_raw(s->fd, e.buf->data, e.buf->len);
		atomic_fetch_add(&s->sent, e.buf->len);
	}
	xdr_enc_release(&e);
	free(tag);
	atomic_store(&s->done, true);
	return NULL;
}

/* Waits until the sender is done (false) or can make no progress (true: the
 * server has paused reading).  No event tells "blocked in send", so this
 * watches the byte count; 500 ms without progress counts as stuck. */
static bool wait_sender_stuck(struct unread_sender *s)
{
	size_t last = 0;
	uint64_t still_since = clock_now_ms();
	while (!atomic_load(&s->done)) {
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
		size_t now = atomic_load(&s->sent);
		if (now != last) {
			last = now;
			still_since = clock_now_ms();
		} else if (clock_now_ms() - still_since > 500) {
			return true;
		}
	}
	return false;
}

/* The largest value of a "min default max" sysctl, or 0. */
static size_t sysctl_max(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long lo = 0, def = 0, hi = 0;
	if (!f)
		return 0;
	int n = fscanf(f, "%lu %lu %lu", &lo, &def, &hi);
	fclose(f);
	return n == 3 ? hi : 0;
}

/* 5000 calls whose replies add up to more than the server's output limit
 * plus everything the kernel could buffer on the way (both sockets' largest
 * send and receive buffers; the client reads nothing, so its receive window
 * does not even grow).  A server that pauses reading at its limit makes the
 * sender block; one that buffers without bound lets it finish.  Then every
 * reply must arrive, once. */
static void test_5000_large_calls_unread(void **state)
{
	size_t kernel = 2 * sysctl_max("/proc/sys/net/ipv4/tcp_rmem") +
			2 * sysctl_max("/proc/sys/net/ipv4/tcp_wmem");
	size_t need = SERVER_OUTPUT_LIMIT + kernel + (8u << 20);
	size_t taglen = (need / BIG_CALLS + 3) & ~(size_t)3;
	if (taglen < 16384)
		taglen = 16384;
	bool must_stall = kernel > 0 && taglen <= MAX_BIG_TAG;
	if (taglen > MAX_BIG_TAG)
		taglen = MAX_BIG_TAG;

	struct unread_sender s = {.fd = rpctest_connect(server.hostport),
				  .taglen = (uint32_t)taglen};
	assert_true(s.fd >= 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, unread_sender_main, &s), 0);
	/* Read nothing until the sender is done or stuck. */
	bool stalled = wait_sender_stuck(&s);
	print_message("%zu-byte tags: sender %s after %zu of %zu bytes before any reply was "
		      "read\n",
		      taglen, stalled ? "stalled" : "finished", atomic_load(&s.sent),
		      (size_t)BIG_CALLS * (taglen + 56));
	const char *why = NULL;
	int rc = read_replies(s.fd, 0x200000, BIG_CALLS, (uint32_t)taglen, &why);
	if (rc)
		shutdown(s.fd, SHUT_RDWR); /* the sender may be blocked for good */
	pthread_join(th, NULL);
	assert_int_equal(s.rc, 0);
	assert_ok(rc, why);
	assert_true(rpctest_nothing_pending(s.fd));
	close(s.fd);
	if (must_stall)
		assert_true(stalled);
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
}

/* --- 10,000 short connections --------------------------------------------- */

static int connect_raw(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_with_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

enum { TOTAL_CONNS = 10000, BATCH = 250 };

static void test_10000_connections(void **state)
{
	/* The baseline, more if an earlier failed test left connections, or
	 * fewer when a descriptor the server held when the baseline was
	 * counted has closed since: the baseline is counted as soon as the
	 * port file appears, while start-up may still hold a file open (seen
	 * under ASan in CI). */
	int start_fds = rpctest_wait_fds_at_most(server.pid, baseline_fds, 1000);
	assert_true(start_fds > 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(server.port)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	struct xdr_enc call;
	assert_true(xdr_enc_init(&call, 64, 1024));
	append_null_call(&call, 0x10c);
	const uint8_t *rec = call.buf->data;
	size_t reclen = call.buf->len;

	int fds[BATCH];
	unsigned answered = 0, calls = 0;
	uint64_t t0 = clock_now_ms();
	for (unsigned base = 0; base < TOTAL_CONNS; base += BATCH) {
		/* Open a batch; all are connected at once. */
		for (unsigned i = 0; i < BATCH; i++) {
			fds[i] = connect_raw(&sin);
			if (fds[i] < 0)
				fail_msg("connect %u failed: %s", base + i, strerror(errno));
		}
		/* Each does one thing: a NULL call, close at once, half a mark,
		 * half a record then a reset, or a reset at once. */
		for (unsigned i = 0; i < BATCH; i++) {
			switch ((base + i) % 5) {
			case 0:
				assert_int_equal(rpctest_send_raw(fds[i], rec, reclen), 0);
				calls++;
				break;
			case 1:
				close(fds[i]);
				fds[i] = -1;
				break;
			case 2:
				assert_int_equal(rpctest_send_raw(fds[i], rec, 2), 0);
				close(fds[i]);
				fds[i] = -1;
				break;
			case 3:
				assert_int_equal(rpctest_send_raw(fds[i], rec, reclen / 2), 0);
				close_with_reset(fds[i]);
				fds[i] = -1;
				break;
			case 4:
				close_with_reset(fds[i]);
				fds[i] = -1;
				break;
			}
		}
		for (unsigned i = 0; i < BATCH; i++) {
			if (fds[i] < 0)
				continue;
			struct rpctest_reply r;
			assert_int_equal(rpctest_recv_reply(fds[i], &r, RPCTEST_TIMEOUT_MS), 0);
			assert_int_equal(r.xid, 0x10c);
			assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
			rpctest_reply_release(&r);
			answered++;
			/* Alternate who closes first so TIME_WAIT is not all ours. */
			if (i % 2)
				close_with_reset(fds[i]);
			else
				close(fds[i]);
		}
	}
	xdr_enc_release(&call);
	assert_int_equal(answered, calls);
	assert_int_equal(calls, TOTAL_CONNS / 5);
	print_message("%u connections in %llu ms\n", TOTAL_CONNS,
		      (unsigned long long)(clock_now_ms() - t0));
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
	/* The server let go of every one of them: no more descriptors than
	 * at the start (fewer when an earlier test's connections, still
	 * counted then, have closed since). */
	int n = rpctest_wait_fds_at_most(server.pid, start_fds, FD_WAIT_MS);
	assert_true(n > 0 && n <= start_fds);
}

/* Out of descriptors: with its limit lowered to a few above what it holds,
 * ferryd cannot accept everyone.  Connections it already has keep being
 * served, and once clients go away it accepts again. */
static void test_descriptor_exhaustion(void **state)
{
	int keep = rpctest_connect(own.hostport);
	assert_true(keep >= 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(keep, 1, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL,
				      NULL, 0, &r),
			 0);
	rpctest_reply_release(&r);
	int held = rpctest_count_fds(own.pid);
	assert_true(held > 0);
	/* Only the soft limit: raising a hard limit again needs a capability
	 * containers often lack. */
	struct rlimit old;
	assert_int_equal(prlimit(own.pid, RLIMIT_NOFILE, NULL, &old), 0);
	struct rlimit low = {(rlim_t)held + 8, old.rlim_max};
	assert_int_equal(prlimit(own.pid, RLIMIT_NOFILE, &low, NULL), 0);

	enum { N = 40 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		/* The kernel completes the handshake whether ferryd accepts or
		 * not; each sends the start of a record and waits. */
		fds[i] = rpctest_connect(own.hostport);
		assert_true(fds[i] >= 0);
		assert_int_equal(rpctest_send_raw(fds[i], "\x80\0\0\x28", 4), 0);
	}
	/* ferryd takes what it can up to its limit... */
	int n;
	uint64_t deadline = clock_now_ms() + 5000;
	while ((n = rpctest_count_fds(own.pid)) < held + 7 && clock_now_ms() < deadline) {
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
	assert_true(n >= held + 7);
	/* ...and still serves the connection it had. */
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(rpctest_call(keep, 100 + i, NFS4_PROGRAM, NFS4_VERSION,
					      NFSPROC4_NULL, NULL, NULL, 0, &r),
				 0);
		assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
		rpctest_reply_release(&r);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* Room again: a new connection is accepted and served. */
	assert_int_equal(rpctest_null_ok(own.hostport), 0);
	assert_int_equal(prlimit(own.pid, RLIMIT_NOFILE, &old, NULL), 0);
	close(keep);
}

/* --- shutdown under load ------------------------------------------------- */

struct keeper {
	const char *hostport;
	atomic_uint replies;
	int end_rc;    /* how the connection ended */
	int bad;       /* replies that were wrong */
	uint32_t sent; /* calls sent, xids 1..sent */
};

/* Keeps 64 calls (NULL and worker calls) in flight until the connection
 * ends. */
static void *keeper_main(void *arg)
{
	struct keeper *k = arg;
	int fd = rpctest_connect(k->hostport);
	if (fd < 0) {
		k->end_rc = -ECONNREFUSED;
		return NULL;
	}
	uint8_t *seen = calloc(1u << 20, 1);
	struct xdr_enc e;
	if (!seen || !xdr_enc_init(&e, 64 * 64, 64 * 64)) {
		k->end_rc = -ENOMEM;
		free(seen);
		close(fd);
		return NULL;
	}
	for (unsigned i = 0; i < 64; i++)
		append_mixed_call(&e, ++k->sent);
	int rc = rpctest_send_raw(fd, e.buf->data, e.buf->len);
	while (rc == 0) {
		struct rpctest_reply r;
		rc = rpctest_recv_reply(fd, &r, 10000);
		if (rc)
			break;
		if (r.xid == 0 || r.xid > k->sent || r.xid >= (1u << 20) || seen[r.xid] ||
		    r.hdr.accept_stat != RPC_SUCCESS ||
		    (is_worker_xid(r.xid) ? !worker_reply_ok(&r) : xdr_dec_remaining(&r.results)))
			k->bad++;
		else
			seen[r.xid] = 1;
		rpctest_reply_release(&r);
		atomic_fetch_add(&k->replies, 1);
		if (k->sent + 1 >= (1u << 20))
			break;
		e.buf->len = 0;
		append_mixed_call(&e, ++k->sent);
		rc = rpctest_send_raw(fd, e.buf->data, e.buf->len);
	}
	k->end_rc = rc;
	xdr_enc_release(&e);
	free(seen);
	close(fd);
	return NULL;
}

static void test_sigterm_with_64_in_flight(void **state)
{
	/* Static: the thread must never outlive what it points to. */
	static struct keeper k;
	k = (struct keeper){.hostport = own.hostport};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, keeper_main, &k), 0);
	/* Wait for traffic to be flowing; replies are the only signal. */
	uint64_t deadline = clock_now_ms() + 10000;
	while (atomic_load(&k.replies) < 2000 && clock_now_ms() < deadline) {
		struct timespec ts = {0, 1000000L};
		nanosleep(&ts, NULL);
	}
	unsigned before_stop = atomic_load(&k.replies);

	uint64_t t0 = clock_now_ms();
	int status = ferryd_stop(&own);
	uint64_t took = clock_now_ms() - t0;
	pthread_join(th, NULL);
	print_message("ferryd stopped in %llu ms after %u replies; the client saw rc %d\n",
		      (unsigned long long)took, atomic_load(&k.replies), k.end_rc);
	assert_true(before_stop >= 2000);
	assert_int_equal(status, 0);
	assert_true(took < 5000);
	assert_int_equal(k.bad, 0);
	/* The server closed the connection: EOF or a reset, not a timeout. */
	assert_true(k.end_rc == -ECONNRESET || k.end_rc == -EPIPE);
}

/* SIGTERM while one client has a full reply backlog it does not read, one
 * stalls in the middle of a record and one sits idle: ferryd still exits 0
 * within a few seconds (it gives up on output nobody reads). */
static void test_sigterm_with_unread_backlog(void **state)
{
	static struct unread_sender s; /* the thread must never outlive it */
	s = (struct unread_sender){.fd = rpctest_connect(own.hostport), .taglen = 16384};
	assert_true(s.fd >= 0);
	int stalled = rpctest_connect(own.hostport);
	assert_true(stalled >= 0);
	uint8_t part[8] = {0x80, 0, 0, 40, 0, 0, 0, 1};
	assert_int_equal(rpctest_send_raw(stalled, part, sizeof(part)), 0);
	int idle = rpctest_connect(own.hostport);
	assert_true(idle >= 0);
	assert_int_equal(rpctest_null_ok(own.hostport), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, unread_sender_main, &s), 0);
	bool stuck = wait_sender_stuck(&s);

	uint64_t t0 = clock_now_ms();
	int status = ferryd_stop(&own);
	uint64_t took = clock_now_ms() - t0;
	/* The server is gone: the sender's next send fails, or it is done. */
	pthread_join(th, NULL);
	print_message("ferryd stopped in %llu ms; the sender was %s\n", (unsigned long long)took,
		      stuck ? "stuck" : "done");
	assert_int_equal(status, 0);
	assert_true(took < 5000);
	assert_true(rpctest_wait_closed(stalled, 1000));
	assert_true(rpctest_wait_closed(idle, 1000));
	close(s.fd);
	close(stalled);
	close(idle);
}

/* A client that sends its calls, half-closes (shutdown SHUT_WR) and then
 * reads gets every reply before ferryd closes the connection. */
static void test_half_close_gets_all_replies(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	assert_int_equal(rpctest_set_send_timeout(fd, 10000), 0);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 1u << 20, 64u << 20));
	uint8_t *tag = malloc(8192);
	assert_non_null(tag);
	for (uint32_t i = 0; i < 1000; i++)
		append_compound_call(&e, 0x300000 + i, tag, 8192);
	free(tag);
	assert_false(e.overflow);
	assert_int_equal(rpctest_send_raw(fd, e.buf->data, e.buf->len), 0);
	xdr_enc_release(&e);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	const char *why = NULL;
	int rc = read_replies(fd, 0x300000, 1000, 8192, &why);
	assert_ok(rc, why);
	assert_true(rpctest_wait_closed(fd, 5000));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64_in_flight),
		cmocka_unit_test(test_128_in_flight),
		cmocka_unit_test(test_pipelined_in_one_send),
		cmocka_unit_test(test_8_connections_64_in_flight),
		cmocka_unit_test_setup_teardown(test_inflight_limit_pauses_reading,
						setup_own_inflight_2, teardown_own),
		cmocka_unit_test(test_5000_calls_unread),
		cmocka_unit_test(test_5000_large_calls_unread),
		cmocka_unit_test(test_10000_connections),
		cmocka_unit_test_setup_teardown(test_descriptor_exhaustion, setup_own,
						teardown_own),
		cmocka_unit_test(test_half_close_gets_all_replies),
		cmocka_unit_test_setup_teardown(test_sigterm_with_64_in_flight, setup_own,
						teardown_own),
		cmocka_unit_test_setup_teardown(test_sigterm_with_unread_backlog, setup_own,
						teardown_own),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
