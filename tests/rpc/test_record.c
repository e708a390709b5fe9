/* RPC record marking: rpc_record_reader driven exactly like a transport
 * (read_space, copy some bytes in, commit, then next until NEED_MORE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rpc/record.h"
#include "xdr/xdr.h"

/* ---- building byte streams ---- */

struct stream {
	uint8_t *data;
	size_t len, cap;
};

static void stream_put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		while (cap < s->len + n)
			cap *= 2;
		s->data = realloc(s->data, cap);
		assert_non_null(s->data);
		s->cap = cap;
	}
	if (n)
		memcpy(s->data + s->len, p, n);
	s->len += n;
}

static void stream_mark(struct stream *s, uint32_t mark)
{
	uint8_t m[4];
	xdr_put_be32(m, mark);
	stream_put(s, m, 4);
}

/* Appends one fragment. */
static void stream_frag(struct stream *s, const void *p, uint32_t n, bool last)
{
	stream_mark(s, n | (last ? RPC_RECORD_LAST_FRAG : 0));
	stream_put(s, p, n);
}

/* Appends a record cut into fragments of at most frag bytes (0: one). */
static void stream_record(struct stream *s, const uint8_t *p, size_t n, size_t frag)
{
	if (frag == 0 || n == 0) {
		stream_frag(s, p, (uint32_t)n, true);
		return;
	}
	for (size_t off = 0; off < n; off += frag) {
		size_t k = n - off < frag ? n - off : frag;
		stream_frag(s, p + off, (uint32_t)k, off + k == n);
	}
}

static void stream_free(struct stream *s)
{
	free(s->data);
	memset(s, 0, sizeof(*s));
}

/* Payload bytes that differ per record and per offset. */
static uint8_t *payload(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	uint32_t x = 2166136261u ^ seed;
	for (size_t i = 0; i < n; i++) {
		x = x * 16777619u + (uint32_t)i;
		p[i] = (uint8_t)(x >> 24);
	}
	return p;
}

/* ---- driving the reader like a transport ---- */

enum { MAX_OUT = 64 };

struct sink {
	struct rpc_record recs[MAX_OUT];
	size_t n;
};

static void sink_release(struct sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		rpc_record_release(&k->recs[i]);
	k->n = 0;
}

/* Extracts records until NEED_MORE or an error, which is returned. */
static enum rpc_record_status drain(struct rpc_record_reader *r, struct sink *k)
{
	for (;;) {
		struct rpc_record rec;
		enum rpc_record_status st = rpc_record_next(r, &rec);
		if (st != RPC_RECORD_READY)
			return st;
		assert_true(k->n < MAX_OUT);
		assert_non_null(rec.buf);
		/* A record is always contiguous inside its buffer. */
		assert_true(rec.data >= rec.buf->data);
		assert_true(rec.data + rec.len <= rec.buf->data + rec.buf->cap);
		k->recs[k->n++] = rec;
	}
}

/* Pushes n bytes into the reader as one or more reads of at most chunk bytes
 * (each also limited by the space offered), draining after every read.
 * Stops at the first status other than READY/NEED_MORE and returns it. */
static enum rpc_record_status push(struct rpc_record_reader *r, const uint8_t *p, size_t n,
				   size_t chunk, struct sink *k)
{
	size_t off = 0;
	while (off < n) {
		size_t avail = 0;
		uint8_t *space = rpc_record_read_space(r, &avail);
		assert_non_null(space);
		assert_true(avail > 0);
		size_t m = n - off;
		if (m > chunk)
			m = chunk;
		if (m > avail)
			m = avail;
		memcpy(space, p + off, m);
		rpc_record_commit(r, m);
		off += m;
		enum rpc_record_status st = drain(r, k);
		if (st != RPC_RECORD_NEED_MORE)
			return st;
	}
	return RPC_RECORD_NEED_MORE;
}

static void assert_record(const struct rpc_record *rec, const uint8_t *p, size_t n)
{
	assert_int_equal(rec->len, n);
	assert_memory_equal(rec->data, p, n);
}

/* ---- tests ---- */

static void test_single_fragment_in_place(void **state)
{
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 1 << 20);
	assert_true(rpc_record_reader_idle(&r));

	uint8_t *p = payload(100, 1);
	struct stream s = {0};
	stream_record(&s, p, 100, 0);

	size_t avail = 0;
	uint8_t *space = rpc_record_read_space(&r, &avail);
	assert_non_null(space);
	assert_true(avail >= s.len);
	memcpy(space, s.data, s.len);
	rpc_record_commit(&r, s.len);

	struct rpc_record rec;
	assert_int_equal(rpc_record_next(&r, &rec), RPC_RECORD_READY);
	assert_record(&rec, p, 100);
	/* In place: a slice of the input buffer, holding a reference on it. */
	assert_ptr_equal(rec.buf, r.in);
	assert_ptr_equal(rec.data, space + 4);
	assert_int_equal(atomic_load(&r.in->refs), 2);
	assert_int_equal(rpc_record_next(&r, &rec), RPC_RECORD_NEED_MORE);
	assert_true(rpc_record_reader_idle(&r));

	struct rpc_record copy = rec;
	rpc_record_release(&rec);
	assert_null(rec.buf);
	assert_int_equal(atomic_load(&copy.buf->refs), 1);

	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
}

static void test_several_records_one_read(void **state)
{
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 1 << 20);
	uint8_t *p[3];
	size_t n[3] = {1, 40, 1000};
	struct stream s = {0};
	for (int i = 0; i < 3; i++) {
		p[i] = payload(n[i], (unsigned)i);
		stream_record(&s, p[i], n[i], i == 2 ? 300 : 0);
	}

	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 3);
	for (int i = 0; i < 3; i++)
		assert_record(&k.recs[i], p[i], n[i]);
	/* The first two came in place, the fragmented one was assembled. */
	assert_ptr_equal(k.recs[0].buf, k.recs[1].buf);
	assert_ptr_not_equal(k.recs[2].buf, k.recs[0].buf);
	assert_true(rpc_record_reader_idle(&r));

	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	for (int i = 0; i < 3; i++)
		free(p[i]);
}

/* A stream of two records (one fragmented) split into two reads at every
 * byte position; also fed one byte at a time. */
static void test_split_every_position(void **state)
{
	uint8_t *a = payload(37, 10), *b = payload(61, 11);
	struct stream s = {0};
	stream_record(&s, a, 37, 0);
	stream_record(&s, b, 61, 16); /* 4 fragments */

	for (size_t cut = 0; cut <= s.len; cut++) {
		struct rpc_record_reader r;
		rpc_record_reader_init(&r, 4096);
		struct sink k = {0};
		assert_int_equal(push(&r, s.data, cut, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
		assert_int_equal(k.n, cut == s.len ? 2 : cut >= 4 + 37 ? 1 : 0);
		assert_int_equal(rpc_record_reader_idle(&r),
				 cut == 0 || cut == 4 + 37 || cut == s.len);
		assert_int_equal(push(&r, s.data + cut, s.len - cut, SIZE_MAX, &k),
				 RPC_RECORD_NEED_MORE);
		assert_int_equal(k.n, 2);
		assert_record(&k.recs[0], a, 37);
		assert_record(&k.recs[1], b, 61);
		assert_true(rpc_record_reader_idle(&r));
		sink_release(&k);
		rpc_record_reader_destroy(&r);
	}

	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, 1, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 2);
	assert_record(&k.recs[0], a, 37);
	assert_record(&k.recs[1], b, 61);
	sink_release(&k);
	rpc_record_reader_destroy(&r);

	stream_free(&s);
	free(a);
	free(b);
}

static void test_multi_fragment_2k(void **state)
{
	/* pynfs sends 2 KiB fragments; a 10000-byte WRITE-sized record. */
	const size_t n = 10000;
	uint8_t *p = payload(n, 3);
	struct stream s = {0};
	stream_record(&s, p, n, 2048);
	assert_int_equal(s.len, n + 5 * 4);

	static const size_t chunks[] = {SIZE_MAX, 2052, 1000, 7, 1};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct rpc_record_reader r;
		rpc_record_reader_init(&r, 1 << 20);
		struct sink k = {0};
		assert_int_equal(push(&r, s.data, s.len, chunks[c], &k), RPC_RECORD_NEED_MORE);
		assert_int_equal(k.n, 1);
		assert_record(&k.recs[0], p, n);
		/* Assembled into a buffer of its own. */
		assert_ptr_equal(k.recs[0].data, k.recs[0].buf->data);
		assert_ptr_not_equal(k.recs[0].buf, r.in);
		assert_null(r.assembly);
		assert_true(rpc_record_reader_idle(&r));
		sink_release(&k);
		rpc_record_reader_destroy(&r);
	}
	stream_free(&s);
	free(p);
}

static void test_many_tiny_fragments(void **state)
{
	const size_t n = 3000;
	uint8_t *p = payload(n, 4);
	struct stream s = {0};
	stream_record(&s, p, n, 1); /* 3000 one-byte fragments */
	uint8_t *q = payload(5, 5);
	stream_record(&s, q, 5, 2);

	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, 333, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 2);
	assert_record(&k.recs[0], p, n);
	assert_record(&k.recs[1], q, 5);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
	free(q);
}

static void test_zero_length_middle_fragment(void **state)
{
	uint8_t *p = payload(20, 6);
	struct stream s = {0};
	stream_frag(&s, p, 8, false);
	stream_frag(&s, NULL, 0, false);
	stream_frag(&s, p + 8, 12, true);
	/* And a record whose last fragment is the empty one. */
	stream_frag(&s, p, 20, false);
	stream_frag(&s, NULL, 0, true);
	/* And one whose only data comes after empty fragments. */
	stream_frag(&s, NULL, 0, false);
	stream_frag(&s, NULL, 0, false);
	stream_frag(&s, p, 3, true);

	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 3);
	assert_record(&k.recs[0], p, 20);
	assert_record(&k.recs[1], p, 20);
	assert_record(&k.recs[2], p, 3);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
}

static void test_empty_records(void **state)
{
	/* A zero-length record. */
	struct stream s = {0};
	stream_frag(&s, NULL, 0, true);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_EMPTY);
	assert_int_equal(k.n, 0);
	rpc_record_reader_destroy(&r);
	stream_free(&s);

	/* A record made only of empty fragments, arriving byte by byte. */
	for (int i = 0; i < 5; i++)
		stream_frag(&s, NULL, 0, false);
	stream_frag(&s, NULL, 0, true);
	rpc_record_reader_init(&r, 4096);
	assert_int_equal(push(&r, s.data, s.len, 1, &k), RPC_RECORD_EMPTY);
	assert_int_equal(k.n, 0);
	assert_null(r.assembly);
	rpc_record_reader_destroy(&r);
	stream_free(&s);

	/* A good record before the empty one is still delivered. */
	uint8_t one[4] = {1, 2, 3, 4};
	stream_record(&s, one, 4, 0);
	stream_frag(&s, NULL, 0, true);
	rpc_record_reader_init(&r, 4096);
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_EMPTY);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], one, 4);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
}

/* A header announcing a huge fragment is refused from the header alone, and
 * the space offered for reading stays small. */
static void check_huge_header(uint32_t mark, uint32_t max)
{
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, max);
	uint8_t hdr[8];
	xdr_put_be32(hdr, mark);
	memset(hdr + 4, 0x5a, 4);
	for (size_t cut = 4; cut <= sizeof(hdr); cut++) {
		rpc_record_reader_destroy(&r);
		rpc_record_reader_init(&r, max);
		struct sink k = {0};
		assert_int_equal(push(&r, hdr, cut, SIZE_MAX, &k), RPC_RECORD_TOO_BIG);
		assert_int_equal(k.n, 0);
		/* Asking for space again must not try to make room for it. */
		size_t avail = 0;
		assert_non_null(rpc_record_read_space(&r, &avail));
		assert_true(r.in->cap <= (size_t)RPC_RECORD_MIN_READ + max + 4);
		assert_true(r.in->cap < 0x7fffffffu);
		assert_int_equal(rpc_record_next(&r, &(struct rpc_record){0}), RPC_RECORD_TOO_BIG);
	}
	rpc_record_reader_destroy(&r);
}

static void test_too_big_fragment(void **state)
{
	check_huge_header(0x7fffffffu, 1 << 20);
	check_huge_header(0xffffffffu, 1 << 20);
	check_huge_header(RPC_RECORD_LAST_FRAG | 0x40000000u, 1 << 20); /* 1 GiB */
	check_huge_header(RPC_RECORD_LAST_FRAG | 4097, 4096);
	check_huge_header(4097, 4096);

	/* Exactly max is fine. */
	uint8_t *p = payload(4096, 7);
	struct stream s = {0};
	stream_record(&s, p, 4096, 0);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, 1000, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], p, 4096);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
}

static void test_too_big_sum(void **state)
{
	uint8_t *p = payload(1000, 8);
	/* 600 + 600 > 1000: refused at the second header, before its body. */
	struct stream s = {0};
	stream_frag(&s, p, 600, false);
	stream_mark(&s, 600 | RPC_RECORD_LAST_FRAG);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 1000);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_TOO_BIG);
	assert_int_equal(k.n, 0);
	rpc_record_reader_destroy(&r);
	stream_free(&s);

	/* Many small fragments adding up past the max. */
	rpc_record_reader_init(&r, 1000);
	for (int i = 0; i < 11; i++)
		stream_frag(&s, p, 100, false);
	assert_int_equal(push(&r, s.data, s.len, 64, &k), RPC_RECORD_TOO_BIG);
	assert_int_equal(k.n, 0);
	rpc_record_reader_destroy(&r);
	stream_free(&s);

	/* Exactly max in fragments is accepted. */
	rpc_record_reader_init(&r, 1000);
	stream_record(&s, p, 1000, 250);
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], p, 1000);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
}

/* A 1 MiB single-fragment record arriving in small reads ends up contiguous
 * and is handed out in place; the reader makes room for the whole fragment
 * as soon as it knows its size. */
/* A peer announces a 1 MiB fragment and sends 100 bytes of it: the reader
 * keeps no more than its first buffer for it, read after read. */
static void test_announced_fragment_gets_little_room(void **state)
{
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, (1 << 20) + 8192);
	uint8_t head[104] = {0};
	xdr_put_be32(head, 1u << 20);
	for (int round = 0; round < 3; round++) {
		size_t avail = 0;
		uint8_t *space = rpc_record_read_space(&r, &avail);
		assert_non_null(space);
		size_t m = round == 0 ? sizeof(head) : 100;
		memcpy(space, round == 0 ? head : head + 4, m);
		rpc_record_commit(&r, m);
		struct rpc_record rec;
		assert_int_equal(rpc_record_next(&r, &rec), RPC_RECORD_NEED_MORE);
		assert_true(r.in->cap <= RPC_RECORD_MIN_READ);
	}
	rpc_record_reader_destroy(&r);
}

static void test_large_record_small_reads(void **state)
{
	const size_t n = 1 << 20;
	uint8_t *p = payload(n, 9);
	struct stream s = {0};
	stream_record(&s, p, n, 0);
	uint8_t *q = payload(10, 12);
	stream_record(&s, q, 10, 0);

	static const size_t chunks[] = {1460, 4093, 65536, 100000};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct rpc_record_reader r;
		rpc_record_reader_init(&r, (1 << 20) + 8192);
		struct sink k = {0};
		size_t off = 0;
		while (off < s.len) {
			size_t avail = 0;
			uint8_t *space = rpc_record_read_space(&r, &avail);
			assert_non_null(space);
			/* The room grows with what arrived: at most twice the
			 * bytes in (or the first buffer), never past the
			 * fragment. */
			assert_true(avail > 0);
			if (off >= 4 && off < 4 + n) {
				size_t grown = 2 * off > RPC_RECORD_MIN_READ ? 2 * off
									 : RPC_RECORD_MIN_READ;
				assert_true(off + avail <= grown);
				assert_true(off + avail <= 4 + n || off + avail <= RPC_RECORD_MIN_READ);
			}
			size_t m = s.len - off;
			if (m > chunks[c])
				m = chunks[c];
			if (m > avail)
				m = avail;
			memcpy(space, s.data + off, m);
			rpc_record_commit(&r, m);
			off += m;
			assert_int_equal(drain(&r, &k), RPC_RECORD_NEED_MORE);
		}
		assert_int_equal(k.n, 2);
		assert_record(&k.recs[0], p, n);
		assert_record(&k.recs[1], q, 10);
		/* In place, not assembled. */
		assert_ptr_equal(k.recs[0].data, k.recs[0].buf->data + 4);
		sink_release(&k);
		rpc_record_reader_destroy(&r);
	}
	stream_free(&s);

	/* The same record in 2 KiB fragments, read 1460 bytes at a time. */
	stream_record(&s, p, n, 2048);
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, (1 << 20) + 8192);
	struct sink k = {0};
	assert_int_equal(push(&r, s.data, s.len, 1460, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], p, n);
	sink_release(&k);
	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
	free(q);
}

/* Records handed out keep their bytes while the reader goes on reading: the
 * reader must not reuse a buffer that records still reference. */
static void test_records_survive_later_reads(void **state)
{
	enum { NREC = 40, LEN = 3000 };
	uint8_t *p[NREC];
	struct stream s = {0};
	for (int i = 0; i < NREC; i++) {
		p[i] = payload(LEN, 100 + (unsigned)i);
		stream_record(&s, p[i], LEN, i % 3 == 2 ? 1024 : 0);
	}

	static const size_t chunks[] = {SIZE_MAX, 4096, 3004, 1000, 97};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct rpc_record_reader r;
		rpc_record_reader_init(&r, 1 << 20);
		struct sink k = {0};
		assert_int_equal(push(&r, s.data, s.len, chunks[c], &k), RPC_RECORD_NEED_MORE);
		assert_int_equal(k.n, NREC);
		/* Checked only now, after all later reads. */
		for (int i = 0; i < NREC; i++)
			assert_record(&k.recs[i], p[i], LEN);
		/* And after the reader is gone. */
		rpc_record_reader_destroy(&r);
		for (int i = 0; i < NREC; i++)
			assert_record(&k.recs[i], p[i], LEN);
		sink_release(&k);
	}

	/* Directly: a held in-place record forces a fresh input buffer. */
	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 1 << 20);
	struct sink k = {0};
	struct stream one = {0};
	stream_record(&one, p[0], LEN, 0);
	stream_put(&one, s.data, 2); /* start of the next header */
	assert_int_equal(push(&r, one.data, one.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	struct buf *held = k.recs[0].buf;
	assert_ptr_equal(held, r.in);
	size_t avail;
	assert_non_null(rpc_record_read_space(&r, &avail));
	assert_ptr_not_equal(r.in, held);
	/* The carried-over partial header still completes a record. */
	assert_int_equal(push(&r, s.data + 2, 4 + LEN - 2, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 2);
	assert_record(&k.recs[0], p[0], LEN);
	assert_record(&k.recs[1], p[0], LEN);
	sink_release(&k);

	/* Once released, the buffer can be reused instead of replaced. */
	stream_free(&one);
	stream_record(&one, p[1], 8, 0);
	assert_int_equal(push(&r, one.data, one.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	struct buf *in = r.in;
	sink_release(&k);
	assert_non_null(rpc_record_read_space(&r, &avail));
	assert_ptr_equal(r.in, in);
	rpc_record_reader_destroy(&r);
	stream_free(&one);

	stream_free(&s);
	for (int i = 0; i < NREC; i++)
		free(p[i]);
}

static void test_trim_idle(void **state)
{
	uint8_t *p = payload(500, 13);
	struct stream s = {0};
	stream_record(&s, p, 500, 200); /* 200 + 200 + 100 */

	struct rpc_record_reader r;
	rpc_record_reader_init(&r, 4096);
	struct sink k = {0};

	/* Nothing allocated yet: trim is a no-op. */
	rpc_record_reader_trim(&r);
	assert_null(r.in);
	assert_true(rpc_record_reader_idle(&r));

	/* Part of a header buffered: not idle, trim keeps the bytes. */
	assert_int_equal(push(&r, s.data, 2, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_false(rpc_record_reader_idle(&r));
	rpc_record_reader_trim(&r);
	assert_non_null(r.in);

	/* First fragment complete and consumed: nothing buffered, but a
	 * record is half assembled, so not idle; trimming the input buffer
	 * must not lose the assembly. */
	assert_int_equal(push(&r, s.data + 2, 202, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 0);
	assert_non_null(r.assembly);
	assert_false(rpc_record_reader_idle(&r));
	rpc_record_reader_trim(&r);
	assert_null(r.in);
	assert_non_null(r.assembly);

	assert_int_equal(push(&r, s.data + 204, s.len - 204, 50, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], p, 500);
	assert_true(rpc_record_reader_idle(&r));
	rpc_record_reader_trim(&r);
	assert_null(r.in);
	assert_int_equal(r.start, 0);
	/* The record outlives the trimmed buffer. */
	assert_record(&k.recs[0], p, 500);
	sink_release(&k);

	/* Reading after a trim works. */
	stream_free(&s);
	stream_record(&s, p, 30, 0);
	assert_int_equal(push(&r, s.data, s.len, SIZE_MAX, &k), RPC_RECORD_NEED_MORE);
	assert_int_equal(k.n, 1);
	assert_record(&k.recs[0], p, 30);
	/* Held in-place record: trim drops the reader's reference only. */
	rpc_record_reader_trim(&r);
	assert_null(r.in);
	assert_record(&k.recs[0], p, 30);
	assert_int_equal(atomic_load(&k.recs[0].buf->refs), 1);
	sink_release(&k);

	rpc_record_reader_destroy(&r);
	stream_free(&s);
	free(p);
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Random records, fragment sizes and read sizes against the model. */
static void test_random_streams(void **state)
{
	uint32_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		size_t nrec = 1 + rnd(&seed) % 8;
		uint8_t *p[8];
		size_t len[8];
		struct stream s = {0};
		for (size_t i = 0; i < nrec; i++) {
			uint32_t big = rnd(&seed) % 4 == 0;
			len[i] = 1 + rnd(&seed) % (big ? 70000 : 300);
			p[i] = payload(len[i], rnd(&seed));
			size_t frag = 0;
			if (rnd(&seed) % 3 == 0)
				frag = 1 + rnd(&seed) % 5000;
			stream_record(&s, p[i], len[i], frag);
		}
		struct rpc_record_reader r;
		rpc_record_reader_init(&r, 80000);
		struct sink k = {0};
		size_t off = 0;
		while (off < s.len) {
			uint32_t small = rnd(&seed) % 2;
			size_t chunk = 1 + rnd(&seed) % (small ? 100 : 20000);
			if (chunk > s.len - off)
				chunk = s.len - off;
			assert_int_equal(push(&r, s.data + off, chunk, chunk, &k),
					 RPC_RECORD_NEED_MORE);
			off += chunk;
			/* Sometimes a transport releases records at once. */
			if (rnd(&seed) % 2) {
				for (size_t i = 0; i < k.n; i++)
					rpc_record_release(&k.recs[i]);
			}
		}
		assert_int_equal(k.n, nrec);
		assert_true(rpc_record_reader_idle(&r));
		for (size_t i = 0; i < nrec; i++)
			if (k.recs[i].buf)
				assert_record(&k.recs[i], p[i], len[i]);
		for (size_t i = 0; i < k.n; i++)
			if (k.recs[i].buf)
				rpc_record_release(&k.recs[i]);
		rpc_record_reader_destroy(&r);
		stream_free(&s);
		for (size_t i = 0; i < nrec; i++)
			free(p[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_fragment_in_place),
		cmocka_unit_test(test_several_records_one_read),
		cmocka_unit_test(test_split_every_position),
		cmocka_unit_test(test_multi_fragment_2k),
		cmocka_unit_test(test_many_tiny_fragments),
		cmocka_unit_test(test_zero_length_middle_fragment),
		cmocka_unit_test(test_empty_records),
		cmocka_unit_test(test_too_big_fragment),
		cmocka_unit_test(test_too_big_sum),
		cmocka_unit_test(test_large_record_small_reads),
		cmocka_unit_test(test_announced_fragment_gets_little_room),
		cmocka_unit_test(test_records_survive_later_reads),
		cmocka_unit_test(test_trim_idle),
		cmocka_unit_test(test_random_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
