/* The record reader's splicing (record.c): over a socket pair, a large
 * record's payload range goes into a pipe and the rest into the buffer,
 * the record comes out whole with its hole where the payload was, and the
 * records after it are read as usual. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pipe_pool.h"
#include "rpc/record.h"
#include "xdr/xdr.h"

enum { BIG = 600 * 1024, PAYLOAD_OFF = 5000, PAYLOAD_LEN = 500 * 1024, SMALL = 100 };

static uint8_t byte_at(size_t rec, size_t i) { return (uint8_t)(i * 7 + rec * 13 + (i >> 9)); }

struct sender {
	int fd;
	uint8_t *stream;
	size_t len;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;
	for (size_t done = 0; done < s->len;) {
		ssize_t n = write(s->fd, s->stream + done, s->len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return NULL;
}

/* Appends record number rec of len bytes to the stream. */
static size_t add_record(uint8_t *p, size_t rec, size_t len)
{
	xdr_put_be32(p, RPC_RECORD_LAST_FRAG | (uint32_t)len);
	for (size_t i = 0; i < len; i++)
		p[4 + i] = byte_at(rec, i);
	return 4 + len;
}

/* A connected TCP pair on loopback: splicing from a TCP socket moves its
 * pages, as the server's connections do (a UNIX socket's small pieces
 * fill a pipe's slots long before its size). */
static void tcp_pair(int sv[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(sv[1], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[0] = accept(l, NULL, NULL);
	assert_true(sv[0] >= 0);
	close(l);
}

static unsigned asked;

/* Every large record has its payload at PAYLOAD_OFF. */
static bool find_payload(void *arg, const uint8_t *rec, size_t have, size_t len, size_t *off,
			 size_t *blen)
{
	(void)arg;
	asked++;
	assert_true(have >= RPC_RECORD_BULK_PREFIX);
	(void)rec;
	*off = PAYLOAD_OFF;
	*blen = len < PAYLOAD_OFF + PAYLOAD_LEN ? 0 : PAYLOAD_LEN;
	return *blen != 0;
}

/* Reads from fd until a record is ready, as the event loop does. */
static void next_record(struct rpc_record_reader *r, int fd, struct rpc_record *out)
{
	for (;;) {
		enum rpc_record_status st = rpc_record_next(r, out);
		if (st == RPC_RECORD_READY)
			return;
		assert_int_equal(st, RPC_RECORD_NEED_MORE);
		rpc_record_plan_bulk(r, find_payload, NULL);
		struct pooled_pipe *pipe;
		size_t want = rpc_record_splice_want(r, &pipe);
		if (want) {
			ssize_t n = splice(fd, NULL, pipe->wr, NULL, want, SPLICE_F_MOVE);
			if (n <= 0)
				fail_msg("splice: %zd %s held %zu want %zu", n, strerror(errno), pipe->held, want);
			assert_true(rpc_record_spliced(r, (size_t)n));
			continue;
		}
		size_t avail;
		uint8_t *space = rpc_record_read_space(r, &avail);
		assert_non_null(space);
		assert_true(avail > 0);
		ssize_t n = read(fd, space, avail);
		assert_true(n > 0);
		rpc_record_commit(r, (size_t)n);
	}
}

static void check_plain(const struct rpc_record *rec, size_t num, size_t len)
{
	assert_int_equal(rec->len, len);
	assert_null(rec->pipe);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(rec->data[i], byte_at(num, i));
}

static void check_spliced(const struct rpc_record *rec, size_t num)
{
	assert_int_equal(rec->len, BIG);
	assert_non_null(rec->pipe);
	assert_true(rec->hole_off >= PAYLOAD_OFF);
	assert_true(rec->hole_off + rec->hole_len <= PAYLOAD_OFF + PAYLOAD_LEN);
	assert_true(rec->hole_len >= RPC_RECORD_BULK_MIN_HOLE);
	assert_int_equal(rec->pipe->held, rec->hole_len);
	for (size_t i = 0; i < rec->len; i++)
		if (i < rec->hole_off || i >= rec->hole_off + rec->hole_len)
			assert_int_equal(rec->data[i], byte_at(num, i));
	uint8_t *got = malloc(rec->hole_len);
	assert_non_null(got);
	for (size_t done = 0; done < rec->hole_len;) {
		ssize_t n = read(rec->pipe->rd, got + done, rec->hole_len - done);
		assert_true(n > 0);
		done += (size_t)n;
	}
	for (size_t i = 0; i < rec->hole_len; i++)
		assert_int_equal(got[i], byte_at(num, rec->hole_off + i));
	rec->pipe->held = 0;
	free(got);
}

/* Large, small, large, large, small: the large ones are spliced, every
 * byte outside the holes is where it was sent. */
static void test_payloads_spliced_rest_read(void **st)
{
	(void)st;
	static const size_t lens[] = {BIG, SMALL, BIG, BIG, SMALL};
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	int sv[2];
	tcp_pair(sv);
	struct sender s = {.fd = sv[1], .stream = malloc(N * (BIG + 4))};
	assert_non_null(s.stream);
	for (size_t k = 0; k < N; k++)
		s.len += add_record(s.stream + s.len, k, lens[k]);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, send_all, &s), 0);

	struct pipe_pool *pool = pipe_pool_create(1 << 20, 4, 4);
	assert_non_null(pool);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 2 << 20);
	r.pipes = pool;
	for (size_t k = 0; k < N; k++) {
		struct rpc_record rec;
		next_record(&r, sv[0], &rec);
		if (lens[k] == BIG)
			check_spliced(&rec, k);
		else
			check_plain(&rec, k, lens[k]);
		rpc_record_release(&rec);
	}
	assert_true(asked >= 3);
	pthread_join(t, NULL);
	rpc_record_reader_destroy(&r);
	assert_int_equal(pipe_pool_open(pool), 1); /* one pipe, reused */
	pipe_pool_destroy(pool);
	free(s.stream);
	close(sv[0]);
	close(sv[1]);
}

/* With no pipe to be had the record is read whole, as without a pool. */
static void test_no_pipe_reads_whole(void **st)
{
	(void)st;
	int sv[2];
	tcp_pair(sv);
	struct sender s = {.fd = sv[1], .stream = malloc(BIG + 4)};
	assert_non_null(s.stream);
	s.len = add_record(s.stream, 0, BIG);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, send_all, &s), 0);
	struct pipe_pool *pool = pipe_pool_create(1 << 20, 1, 1);
	struct pooled_pipe *taken = pipe_pool_get(pool);
	assert_non_null(taken);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 2 << 20);
	r.pipes = pool;
	struct rpc_record rec;
	next_record(&r, sv[0], &rec);
	check_plain(&rec, 0, BIG);
	rpc_record_release(&rec);
	pthread_join(t, NULL);
	rpc_record_reader_destroy(&r);
	pipe_pool_put(pool, taken);
	pipe_pool_destroy(pool);
	free(s.stream);
	close(sv[0]);
	close(sv[1]);
}

/* While a payload is being spliced the buffer holds only what precedes
 * it; a partial record's pipe goes back (closed, since it holds bytes)
 * when the reader is destroyed. */
static void test_partial_record_pipe_released(void **st)
{
	(void)st;
	int sv[2];
	tcp_pair(sv);
	uint8_t *stream = malloc(BIG + 4);
	assert_non_null(stream);
	add_record(stream, 0, BIG);
	size_t sent = PAYLOAD_OFF + 100 * 1024;
	struct sender s = {.fd = sv[1], .stream = stream, .len = sent};
	send_all(&s);
	struct pipe_pool *pool = pipe_pool_create(1 << 20, 2, 2);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 2 << 20);
	r.pipes = pool;
	size_t got = 0;
	while (got < sent) {
		struct rpc_record rec;
		assert_int_equal(rpc_record_next(&r, &rec), RPC_RECORD_NEED_MORE);
		rpc_record_plan_bulk(&r, find_payload, NULL);
		struct pooled_pipe *pipe;
		size_t want = rpc_record_splice_want(&r, &pipe);
		ssize_t n;
		if (want) {
			n = splice(sv[0], NULL, pipe->wr, NULL, want, SPLICE_F_MOVE);
			assert_true(n > 0);
			assert_true(rpc_record_spliced(&r, (size_t)n));
		} else {
			size_t avail;
			uint8_t *space = rpc_record_read_space(&r, &avail);
			n = read(sv[0], space, avail);
			assert_true(n > 0);
			rpc_record_commit(&r, (size_t)n);
		}
		got += (size_t)n;
	}
	assert_non_null(r.pipe);
	assert_true(r.pipe->held > 0);
	/* Announced, not received: the buffer did not grow to the record. */
	assert_true(r.in->cap < BIG / 2);
	assert_int_equal(pipe_pool_open(pool), 1);
	rpc_record_reader_destroy(&r);
	assert_int_equal(pipe_pool_open(pool), 0); /* closed, not kept */
	pipe_pool_destroy(pool);
	free(stream);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payloads_spliced_rest_read),
		cmocka_unit_test(test_no_pipe_reads_whole),
		cmocka_unit_test(test_partial_record_pipe_released),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
