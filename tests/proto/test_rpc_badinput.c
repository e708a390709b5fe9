/* ferryd survives malformed RPC traffic: every bad input gets the protocol's
 * error or a closed connection, and the server keeps serving other
 * connections (and, where the stream is still in sync, the same one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "rpc/record.h"
#include "xdr/nfs4_prot.h"

enum {
	CLOSE_WAIT_MS = 3000,
	FD_WAIT_MS = 5000,
	DEFAULT_MAX_RECORD = 1024 * 1024 + 8192, /* ferryd's built-in default */
};

static struct ferryd_proc server;
static int baseline_fds;

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	baseline_fds = rpctest_count_fds(server.pid);
	return baseline_fds > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A second ferryd with [rpc] max_record_size = 8192, started and stopped
 * around its test so that a failing assertion does not leave it running. */
static struct ferryd_proc small;

static int setup_small(void **state)
{
	char conf[300];
	const char *tmp = getenv("TMPDIR");
	snprintf(conf, sizeof(conf), "%s/ferry-maxrec-XXXXXX.ini", tmp ? tmp : "/tmp");
	int cfd = mkstemps(conf, 4);
	if (cfd < 0)
		return -1;
	static const char text[] = "[rpc]\nmax_record_size = 8192\n";
	bool ok = write(cfd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1);
	close(cfd);
	const char *args[] = {"--config", conf, NULL};
	int rc = ok ? ferryd_start(&small, args) : -1;
	unlink(conf);
	return rc;
}

static int teardown_small(void **state)
{
	return ferryd_stop(&small) == 0 ? 0 : -1;
}

/* --- helpers ------------------------------------------------------------ */

static int connect_ok(const char *hostport)
{
	int fd = rpctest_connect(hostport);
	assert_true(fd >= 0);
	/* A server that stops reading fails the test instead of hanging it. */
	assert_int_equal(rpctest_set_send_timeout(fd, 10000), 0);
	return fd;
}

static void send_ok(int fd, const void *data, size_t len)
{
	assert_int_equal(rpctest_send_raw(fd, data, len), 0);
}

static void send_mark(int fd, uint32_t mark)
{
	uint8_t m[4];
	xdr_put_be32(m, mark);
	send_ok(fd, m, 4);
}

/* The server still answers a NULL call on a fresh connection. */
static void expect_alive_at(const char *hostport)
{
	assert_int_equal(rpctest_null_ok(hostport), 0);
}

static void expect_alive(void)
{
	expect_alive_at(server.hostport);
}

/* The server closes fd (sending nothing but what was pending); fd is closed. */
static void expect_closed(int fd)
{
	assert_true(rpctest_wait_closed(fd, CLOSE_WAIT_MS));
	close(fd);
}

/* The server's descriptor count at the start of a test, which the test's
 * leak check compares with: the baseline, more if an earlier failed test
 * left connections open (so its failure does not cascade into this test's
 * leak check), or fewer when a descriptor the server held when the
 * baseline was counted has been closed since: the baseline is counted as
 * soon as the port file appears, while start-up may still hold a file
 * open (seen once, under ASan and load). */
static int settled_fds(void)
{
	int n = rpctest_wait_fds_at_most(server.pid, baseline_fds, 1000);
	assert_true(n > 0);
	return n;
}

/* Every connection the test opened is gone on the server side too.  Fewer
 * than at the start is no leak: a connection an earlier test left (the
 * reason base may be above the baseline) can close meanwhile. */
static void expect_no_leaked_connections(int base)
{
	int n = rpctest_wait_fds_at_most(server.pid, base, FD_WAIT_MS);
	assert_true(n >= 0);
	assert_true(n <= base);
}

/* A NULL call on fd whose reply must be the very next record received: the
 * stream is still in sync and nothing else was answered meanwhile. */
static void expect_null_next(int fd, uint32_t xid)
{
	struct buf *call =
		rpctest_build_call(xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL, NULL, 0);
	assert_non_null(call);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 0), 0);
	buf_unref(call);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, xid);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
}

static void enc_init(struct xdr_enc *e)
{
	assert_true(xdr_enc_init(e, 512, 64u << 20));
}

/* xid, CALL, rpcvers, NFSv4, proc: the part before the credential. */
static void enc_call_start(struct xdr_enc *e, uint32_t xid, uint32_t rpcvers, uint32_t proc)
{
	xdr_encode_u32(e, xid);
	xdr_encode_u32(e, RPC_MSG_CALL);
	xdr_encode_u32(e, rpcvers);
	xdr_encode_u32(e, NFS4_PROGRAM);
	xdr_encode_u32(e, NFS4_VERSION);
	xdr_encode_u32(e, proc);
}

static void enc_raw(struct xdr_enc *e, const void *p, size_t n)
{
	uint8_t *dst = xdr_enc_reserve(e, n);
	assert_non_null(dst);
	memcpy(dst, p, n);
}

/* Sends e as one record and returns the reply, whose xid must be xid. */
static void send_and_reply(int fd, struct xdr_enc *e, uint32_t xid, struct rpctest_reply *r)
{
	assert_false(e->overflow);
	assert_int_equal(rpctest_send_record(fd, e->buf->data, e->buf->len, 0), 0);
	xdr_enc_release(e);
	assert_int_equal(rpctest_recv_reply(fd, r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r->xid, xid);
}

static void expect_auth_error(struct rpctest_reply *r, uint32_t auth_stat)
{
	assert_int_equal(r->hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(r->hdr.reject_stat, RPC_AUTH_ERROR);
	assert_int_equal(r->hdr.auth_stat, auth_stat);
	/* xid, REPLY, DENIED, AUTH_ERROR, auth_stat and nothing more. */
	assert_int_equal(r->buf->len, 20);
	rpctest_reply_release(r);
}

/* An AUTH_SYS body: stamp, machinename, uid, gid, gids. */
static size_t auth_sys_body(uint8_t *out, size_t cap, const char *machine, uint32_t ngids)
{
	struct xdr_enc e;
	enc_init(&e);
	xdr_encode_u32(&e, 0x12345678);
	xdr_encode_opaque(&e, machine, (uint32_t)strlen(machine));
	xdr_encode_u32(&e, 1000);
	xdr_encode_u32(&e, 0); /* gid 0: a body read past its end parses as null verifier */
	xdr_encode_u32(&e, ngids);
	for (uint32_t i = 0; i < ngids; i++)
		xdr_encode_u32(&e, 0);
	size_t n = e.buf->len;
	assert_true(n <= cap);
	memcpy(out, e.buf->data, n);
	xdr_enc_release(&e);
	return n;
}

/* A NULL call with the credential written as given: flavor, declared body
 * length, then body_len raw bytes; then a null verifier. */
static void call_with_cred(int fd, uint32_t xid, uint32_t flavor, uint32_t declared,
			   const uint8_t *body, size_t body_len, struct rpctest_reply *r)
{
	struct xdr_enc e;
	enc_init(&e);
	enc_call_start(&e, xid, RPC_VERSION, NFSPROC4_NULL);
	xdr_encode_u32(&e, flavor);
	xdr_encode_u32(&e, declared);
	if (body_len)
		enc_raw(&e, body, body_len);
	xdr_encode_u32(&e, RPC_AUTH_NONE);
	xdr_encode_u32(&e, 0);
	send_and_reply(fd, &e, xid, r);
}

/* A NULL call with an AUTH_NONE credential and the verifier given. */
static void call_with_verf(int fd, uint32_t xid, uint32_t flavor, uint32_t declared,
			   const uint8_t *body, size_t body_len, struct rpctest_reply *r)
{
	struct xdr_enc e;
	enc_init(&e);
	enc_call_start(&e, xid, RPC_VERSION, NFSPROC4_NULL);
	xdr_encode_u32(&e, RPC_AUTH_NONE);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, flavor);
	xdr_encode_u32(&e, declared);
	if (body_len)
		enc_raw(&e, body, body_len);
	send_and_reply(fd, &e, xid, r);
}

/* The whole record of a COMPOUND with an empty op list and the given tag. */
static struct buf *compound_call(uint32_t xid, const uint8_t *tag, uint32_t taglen)
{
	struct xdr_enc e;
	enc_init(&e);
	rpctest_encode_call(&e, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, NULL);
	nfs4c_encode_compound(&e, tag, taglen, 0, NULL, 0);
	assert_false(e.overflow);
	return xdr_enc_take(&e);
}

/* The reply to compound_call: NFS4_OK, the same tag, no results. */
static void expect_compound_echo(int fd, uint32_t xid, const uint8_t *tag, uint32_t taglen)
{
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, xid);
	struct nfs4_compound_res_hdr res;
	assert_int_equal(nfs4c_parse_compound(&r, &res), 0);
	assert_int_equal(res.status, NFS4_OK);
	assert_int_equal(res.tag.len, taglen);
	assert_memory_equal(res.tag.data, tag, taglen);
	assert_int_equal(res.numres, 0);
	rpctest_reply_release(&r);
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* --- record marking ------------------------------------------------------ */

static void test_truncated_record_then_close(void **state)
{
	int base = settled_fds();
	uint8_t junk[64];
	memset(junk, 0xab, sizeof(junk));

	/* The mark promises 1000 bytes; 10 come, then the client goes. */
	int fd = connect_ok(server.hostport);
	send_mark(fd, RPC_RECORD_LAST_FRAG | 1000);
	send_ok(fd, junk, 10);
	close(fd);
	expect_alive();

	/* Half a record mark, then close. */
	fd = connect_ok(server.hostport);
	send_ok(fd, junk, 2);
	close(fd);
	expect_alive();

	/* A complete first fragment, a truncated second one, then close. */
	fd = connect_ok(server.hostport);
	send_mark(fd, 16);
	send_ok(fd, junk, 16);
	send_mark(fd, RPC_RECORD_LAST_FRAG | 48);
	send_ok(fd, junk, 20);
	close(fd);
	expect_alive();

	/* The same with a reset instead of an orderly close. */
	fd = connect_ok(server.hostport);
	send_mark(fd, RPC_RECORD_LAST_FRAG | 1000);
	send_ok(fd, junk, 10);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
	expect_alive();
	expect_no_leaked_connections(base);
}

static void check_huge_fragment(uint32_t mark)
{
	int fd = connect_ok(server.hostport);
	uint8_t junk[256];
	memset(junk, 0, sizeof(junk));
	send_mark(fd, mark);
	/* A little of the promised body; the server must not wait for 2 GiB
	 * nor try to allocate for it. */
	send_ok(fd, junk, sizeof(junk));
	expect_closed(fd);
	expect_alive();
}

static void test_fragment_2gib_last(void **state)
{
	check_huge_fragment(RPC_RECORD_LAST_FRAG | 0x7fffffffu);
}

static void test_fragment_2gib_not_last(void **state)
{
	check_huge_fragment(0x7fffffffu);
}

static void test_fragment_just_over_default_max(void **state)
{
	check_huge_fragment(RPC_RECORD_LAST_FRAG | (DEFAULT_MAX_RECORD + 1));
	/* Fragments each within the limit that add up to more than it. */
	int fd = connect_ok(server.hostport);
	uint8_t *chunk = calloc(1, DEFAULT_MAX_RECORD / 2 + 8);
	assert_non_null(chunk);
	size_t half = DEFAULT_MAX_RECORD / 2 + 4;
	send_mark(fd, (uint32_t)half);
	send_ok(fd, chunk, half);
	send_mark(fd, RPC_RECORD_LAST_FRAG | (uint32_t)half);
	/* The server may close before taking all of it. */
	(void)rpctest_send_raw(fd, chunk, half);
	free(chunk);
	expect_closed(fd);
	expect_alive();
}

static void test_zero_length_record(void **state)
{
	int base = settled_fds();
	int fd = connect_ok(server.hostport);
	send_mark(fd, RPC_RECORD_LAST_FRAG | 0);
	expect_closed(fd);
	expect_alive();

	/* Only empty fragments up to the last one: an empty record as well. */
	fd = connect_ok(server.hostport);
	send_mark(fd, 0);
	send_mark(fd, 0);
	send_mark(fd, RPC_RECORD_LAST_FRAG | 0);
	expect_closed(fd);
	expect_alive();

	/* A good call and the empty record in one write: the call is answered
	 * before the connection is closed. */
	fd = connect_ok(server.hostport);
	struct buf *call = rpctest_build_call(0x2e0, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL,
					      NULL, NULL, 0);
	assert_non_null(call);
	struct xdr_enc e;
	enc_init(&e);
	rpctest_append_record(&e, call->data, call->len);
	xdr_encode_u32(&e, RPC_RECORD_LAST_FRAG | 0);
	buf_unref(call);
	send_ok(fd, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0x2e0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	expect_closed(fd);
	expect_alive();
	expect_no_leaked_connections(base);
}

static void test_fragmented_records(void **state)
{
	int fd = connect_ok(server.hostport);

	/* 2 KiB fragments of a 10,052-byte record. */
	enum { BIGTAG = 10000 };
	uint8_t *tag = malloc(BIGTAG);
	assert_non_null(tag);
	fill_pattern(tag, BIGTAG, 1);
	struct buf *call = compound_call(0xf2a, tag, BIGTAG);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 2048), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0xf2a, tag, BIGTAG);

	/* 1-byte fragments: a NULL call and a COMPOUND with a 203-byte tag. */
	call = rpctest_build_call(0xf01, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL, NULL, 0);
	assert_non_null(call);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 1), 0);
	buf_unref(call);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0xf01);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);

	call = compound_call(0xf02, tag, 203);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 1), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0xf02, tag, 203);

	/* Empty fragments in the middle of a record are legal and ignored. */
	call = compound_call(0xf03, tag, 64);
	size_t half = call->len / 2 & ~(size_t)3;
	send_mark(fd, (uint32_t)half);
	send_ok(fd, call->data, half);
	send_mark(fd, 0);
	send_mark(fd, 0);
	send_mark(fd, RPC_RECORD_LAST_FRAG | (uint32_t)(call->len - half));
	send_ok(fd, call->data + half, call->len - half);
	buf_unref(call);
	expect_compound_echo(fd, 0xf03, tag, 64);

	/* One byte per send with Nagle off, so marks arrive split too. */
	int one = 1;
	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	call = compound_call(0xf04, tag, 37);
	struct xdr_enc e;
	enc_init(&e);
	rpctest_append_record(&e, call->data, call->len);
	buf_unref(call);
	for (size_t i = 0; i < e.buf->len; i++)
		send_ok(fd, e.buf->data + i, 1);
	xdr_enc_release(&e);
	expect_compound_echo(fd, 0xf04, tag, 37);

	/* A 1 MiB tag: a single record far larger than one read. */
	enum { HUGETAG = 1024 * 1024 };
	uint8_t *huge = malloc(HUGETAG);
	assert_non_null(huge);
	fill_pattern(huge, HUGETAG, 7);
	call = compound_call(0xf05, huge, HUGETAG);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 0), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0xf05, huge, HUGETAG);
	free(huge);
	free(tag);
	close(fd);
	expect_alive();
}

/* With [rpc] max_record_size = 8192 a record of 8192 bytes is served and one
 * of 8196 closes the connection, whole or in fragments. */
static void test_max_record_size_config(void **state)
{
	/* COMPOUND record = 40 (call header) + 4 + tag + 8. */
	uint8_t tag[8200];
	fill_pattern(tag, sizeof(tag), 3);
	int fd = connect_ok(small.hostport);
	struct buf *call = compound_call(0x8188, tag, 8188 - 52);
	assert_int_equal(call->len, 8188);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 0), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0x8188, tag, 8188 - 52);

	call = compound_call(0x8192, tag, 8192 - 52);
	assert_int_equal(call->len, 8192);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 0), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0x8192, tag, 8192 - 52);

	/* The same record in 1000-byte fragments is still within the limit. */
	call = compound_call(0x8193, tag, 8192 - 52);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 1000), 0);
	buf_unref(call);
	expect_compound_echo(fd, 0x8193, tag, 8192 - 52);

	call = compound_call(0x8196, tag, 8196 - 52);
	assert_int_equal(call->len, 8196);
	(void)rpctest_send_record(fd, call->data, call->len, 0);
	expect_closed(fd);
	expect_alive_at(small.hostport);

	/* 1000-byte fragments adding up to 8196. */
	fd = connect_ok(small.hostport);
	(void)rpctest_send_record(fd, call->data, call->len, 1000);
	buf_unref(call);
	expect_closed(fd);
	expect_alive_at(small.hostport);
}

/* --- message level ------------------------------------------------------- */

static void test_reply_with_unknown_xid(void **state)
{
	int fd = connect_ok(server.hostport);
	struct xdr_enc e;
	enc_init(&e);
	xdr_encode_u32(&e, 0xdeadbeef);
	xdr_encode_u32(&e, RPC_MSG_REPLY);
	xdr_encode_u32(&e, RPC_MSG_ACCEPTED);
	xdr_encode_u32(&e, RPC_AUTH_NONE);
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, RPC_SUCCESS);
	assert_int_equal(rpctest_send_record(fd, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
	/* Nothing comes back for it and the connection stays usable. */
	expect_null_next(fd, 0x5e1);

	/* A REPLY too short to decode, and a denied one. */
	uint8_t shortreply[8];
	xdr_put_be32(shortreply, 0xdeadbeef);
	xdr_put_be32(shortreply + 4, RPC_MSG_REPLY);
	assert_int_equal(rpctest_send_record(fd, shortreply, sizeof(shortreply), 0), 0);
	enc_init(&e);
	xdr_encode_u32(&e, 0xfeedf00d);
	xdr_encode_u32(&e, RPC_MSG_REPLY);
	xdr_encode_u32(&e, RPC_MSG_DENIED);
	xdr_encode_u32(&e, RPC_AUTH_ERROR);
	xdr_encode_u32(&e, RPC_AUTH_BADCRED);
	assert_int_equal(rpctest_send_record(fd, e.buf->data, e.buf->len, 0), 0);
	xdr_enc_release(&e);
	expect_null_next(fd, 0x5e2);
	close(fd);
	expect_alive();
}

static void test_rpcvers_mismatch(void **state)
{
	int fd = connect_ok(server.hostport);
	const uint32_t versions[] = {3, 0, 1, 0xffffffffu};
	for (unsigned i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct xdr_enc e;
		enc_init(&e);
		enc_call_start(&e, 0x300 + i, versions[i], NFSPROC4_NULL);
		xdr_encode_u32(&e, RPC_AUTH_NONE);
		xdr_encode_u32(&e, 0);
		xdr_encode_u32(&e, RPC_AUTH_NONE);
		xdr_encode_u32(&e, 0);
		struct rpctest_reply r;
		send_and_reply(fd, &e, 0x300 + i, &r);
		assert_int_equal(r.hdr.reply_stat, RPC_MSG_DENIED);
		assert_int_equal(r.hdr.reject_stat, RPC_MISMATCH);
		assert_int_equal(r.hdr.mismatch_low, 2);
		assert_int_equal(r.hdr.mismatch_high, 2);
		assert_int_equal(r.buf->len, 24);
		rpctest_reply_release(&r);
	}
	/* Only xid, CALL and the bad version: still an RPC_MISMATCH. */
	uint8_t hdr[12];
	xdr_put_be32(hdr, 0x399);
	xdr_put_be32(hdr + 4, RPC_MSG_CALL);
	xdr_put_be32(hdr + 8, 3);
	assert_int_equal(rpctest_send_record(fd, hdr, sizeof(hdr), 0), 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0x399);
	assert_int_equal(r.hdr.reject_stat, RPC_MISMATCH);
	rpctest_reply_release(&r);
	expect_null_next(fd, 0x3ff);
	close(fd);
	expect_alive();
}

static void test_auth_sys_length_mismatch(void **state)
{
	int fd = connect_ok(server.hostport);
	uint8_t body[600];
	size_t n = auth_sys_body(body, sizeof(body), "host", 1);
	assert_int_equal(n, 28);
	struct rpctest_reply r;

	/* Control: the exact body is accepted. */
	call_with_cred(fd, 0x500, RPC_AUTH_SYS, (uint32_t)n, body, n, &r);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);

	/* The body is longer than its declared length: the declared part
	 * lacks the last gid (what follows it happens to read as a null
	 * verifier). */
	call_with_cred(fd, 0x501, RPC_AUTH_SYS, (uint32_t)n - 4, body, n, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* The body is shorter than its declared length: trailing bytes. */
	memset(body + n, 0, 4);
	call_with_cred(fd, 0x502, RPC_AUTH_SYS, (uint32_t)n + 4, body, n + 4, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* Declared longer than the whole record. */
	call_with_cred(fd, 0x503, RPC_AUTH_SYS, 200, body, n, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* Declared beyond opaque_auth's 400-byte bound, with the bytes there. */
	memset(body, 0, 404);
	call_with_cred(fd, 0x504, RPC_AUTH_SYS, 404, body, 404, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* 17 gids, one over AUTH_SYS's bound, with a matching length. */
	n = auth_sys_body(body, sizeof(body), "host", 17);
	call_with_cred(fd, 0x505, RPC_AUTH_SYS, (uint32_t)n, body, n, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* A 256-byte machine name, one over the bound. */
	char name[257];
	memset(name, 'm', 256);
	name[256] = '\0';
	n = auth_sys_body(body, sizeof(body), name, 0);
	assert_true(n <= 400);
	call_with_cred(fd, 0x506, RPC_AUTH_SYS, (uint32_t)n, body, n, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);

	/* A 255-byte name and 16 gids are the largest legal body. */
	name[255] = '\0';
	n = auth_sys_body(body, sizeof(body), name, 16);
	call_with_cred(fd, 0x507, RPC_AUTH_SYS, (uint32_t)n, body, n, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);

	expect_null_next(fd, 0x5ff);
	close(fd);
	expect_alive();
}

static void test_unknown_auth_flavor(void **state)
{
	int fd = connect_ok(server.hostport);
	uint8_t body[8] = {0, 0, 0, 1, 0, 0, 0, 2};
	struct rpctest_reply r;
	/* No export takes krb5, so RPCSEC_GSS is not served: RFC 2203 5.1
	 * (errata 4067) says AUTH_REJECTEDCRED, whatever the credential. */
	call_with_cred(fd, 0x600, RPC_AUTH_GSS, sizeof(body), body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_REJECTEDCRED);
	call_with_cred(fd, 0x601, RPC_AUTH_GSS, 0, NULL, 0, &r);
	expect_auth_error(&r, RPC_AUTH_REJECTEDCRED);
	call_with_cred(fd, 0x602, RPC_AUTH_SHORT, sizeof(body), body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);
	call_with_cred(fd, 0x603, 0x7fffffffu, 0, NULL, 0, &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);
	/* AUTH_NONE carries no body. */
	call_with_cred(fd, 0x604, RPC_AUTH_NONE, sizeof(body), body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_BADCRED);
	expect_null_next(fd, 0x6ff);
	close(fd);
	expect_alive();
}

static void test_non_null_verifier(void **state)
{
	int fd = connect_ok(server.hostport);
	uint8_t body[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct rpctest_reply r;
	call_with_verf(fd, 0x700, RPC_AUTH_SYS, 0, NULL, 0, &r);
	expect_auth_error(&r, RPC_AUTH_BADVERF);
	call_with_verf(fd, 0x701, RPC_AUTH_NONE, sizeof(body), body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_BADVERF);
	call_with_verf(fd, 0x702, RPC_AUTH_GSS, sizeof(body), body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_BADVERF);
	/* A verifier running past the end of the record. */
	call_with_verf(fd, 0x703, RPC_AUTH_NONE, 64, body, sizeof(body), &r);
	expect_auth_error(&r, RPC_AUTH_BADVERF);
	/* Control: the null verifier is fine. */
	call_with_verf(fd, 0x704, RPC_AUTH_NONE, 0, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	close(fd);
	expect_alive();
}

/* What ferryd does with calls cut short: a header that stops after rpcvers,
 * prog, vers or proc gets an accepted GARBAGE_ARGS; one that stops before its
 * credential gets AUTH_BADCRED; a record too short to hold xid and msg_type
 * (or of an unknown msg_type) is dropped without an answer.  In every case
 * the connection stays in sync. */
static void test_truncated_call_header(void **state)
{
	int fd = connect_ok(server.hostport);
	uint8_t hdr[24];
	xdr_put_be32(hdr + 4, RPC_MSG_CALL);
	xdr_put_be32(hdr + 8, RPC_VERSION);
	xdr_put_be32(hdr + 12, NFS4_PROGRAM);
	xdr_put_be32(hdr + 16, NFS4_VERSION);
	xdr_put_be32(hdr + 20, NFSPROC4_NULL);
	/* Cut after msg_type, rpcvers, prog, vers. */
	for (size_t len = 8; len <= 20; len += 4) {
		uint32_t xid = 0x800 + (uint32_t)len;
		xdr_put_be32(hdr, xid);
		assert_int_equal(rpctest_send_record(fd, hdr, len, 0), 0);
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
		assert_int_equal(r.xid, xid);
		assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
		assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
		assert_int_equal(r.buf->len, 24);
		rpctest_reply_release(&r);
	}
	/* Whole up to proc, no credential. */
	xdr_put_be32(hdr, 0x824);
	assert_int_equal(rpctest_send_record(fd, hdr, 24, 0), 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0x824);
	expect_auth_error(&r, RPC_AUTH_BADCRED);
	/* A credential but no verifier. */
	struct xdr_enc e;
	enc_init(&e);
	enc_call_start(&e, 0x825, RPC_VERSION, NFSPROC4_NULL);
	xdr_encode_u32(&e, RPC_AUTH_NONE);
	xdr_encode_u32(&e, 0);
	send_and_reply(fd, &e, 0x825, &r);
	expect_auth_error(&r, RPC_AUTH_BADVERF);

	/* 4 bytes, 1 byte, and an unknown msg_type: no reply at all, and the
	 * next call's reply is the next record on the wire. */
	assert_int_equal(rpctest_send_record(fd, hdr, 4, 0), 0);
	assert_int_equal(rpctest_send_record(fd, hdr, 1, 0), 0);
	uint8_t odd[28];
	memcpy(odd, hdr, 24);
	xdr_put_be32(odd, 0x826);
	xdr_put_be32(odd + 4, 2);
	assert_int_equal(rpctest_send_record(fd, odd, sizeof(odd), 0), 0);
	expect_null_next(fd, 0x8ff);
	close(fd);
	expect_alive();
}

/* --- a stalled client ---------------------------------------------------- */

static void test_stalled_half_record(void **state)
{
	int base = settled_fds();
	struct buf *call =
		rpctest_build_call(0x9a1, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL, NULL, 0);
	assert_non_null(call);
	size_t half = call->len / 2;

	/* One client stalls after half a record, another after half a mark. */
	int stalled = connect_ok(server.hostport);
	send_mark(stalled, RPC_RECORD_LAST_FRAG | (uint32_t)call->len);
	send_ok(stalled, call->data, half);
	int stalled_mark = connect_ok(server.hostport);
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)call->len);
	send_ok(stalled_mark, mark, 2);

	/* Others are served meanwhile, on new and on long-lived connections
	 * (spread over every event loop). */
	int others[4];
	for (int i = 0; i < 4; i++)
		others[i] = connect_ok(server.hostport);
	for (int round = 0; round < 25; round++) {
		expect_alive();
		for (int i = 0; i < 4; i++)
			expect_null_next(others[i], 0x9000 + (uint32_t)(round * 4 + i));
	}
	for (int i = 0; i < 4; i++)
		close(others[i]);

	/* The stalled connections got nothing and were not closed... */
	assert_true(rpctest_nothing_pending(stalled));
	assert_true(rpctest_nothing_pending(stalled_mark));

	/* ...and finishing their records gets exactly their replies. */
	send_ok(stalled, call->data + half, call->len - half);
	send_ok(stalled_mark, mark + 2, 2);
	send_ok(stalled_mark, call->data, call->len);
	buf_unref(call);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(stalled, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0x9a1);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	assert_int_equal(rpctest_recv_reply(stalled_mark, &r, RPCTEST_TIMEOUT_MS), 0);
	assert_int_equal(r.xid, 0x9a1);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	close(stalled);
	close(stalled_mark);
	expect_alive();
	expect_no_leaked_connections(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_record_then_close),
		cmocka_unit_test(test_fragment_2gib_last),
		cmocka_unit_test(test_fragment_2gib_not_last),
		cmocka_unit_test(test_fragment_just_over_default_max),
		cmocka_unit_test(test_zero_length_record),
		cmocka_unit_test(test_fragmented_records),
		cmocka_unit_test_setup_teardown(test_max_record_size_config, setup_small,
						teardown_small),
		cmocka_unit_test(test_reply_with_unknown_xid),
		cmocka_unit_test(test_rpcvers_mismatch),
		cmocka_unit_test(test_auth_sys_length_mismatch),
		cmocka_unit_test(test_unknown_auth_flavor),
		cmocka_unit_test(test_non_null_verifier),
		cmocka_unit_test(test_truncated_call_header),
		cmocka_unit_test(test_stalled_half_record),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
