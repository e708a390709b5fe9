/* XDR cursors: every decode primitive on exact, truncated and over-limit
 * input (a failed read must leave the cursor where it was), and the encoder's
 * growth, limit, padding and buffer hand-off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "xdr/xdr.h"

/* Asserts the cursor of d still sits at p with the same end. */
#define assert_cursor_at(d, pos, endp)                                   \
	do {                                                             \
		assert_ptr_equal((d)->p, (pos));                         \
		assert_ptr_equal((d)->end, (endp));                      \
	} while (0)

static void test_pad4(void **state)
{
	assert_int_equal(xdr_pad4(0), 0);
	assert_int_equal(xdr_pad4(1), 4);
	assert_int_equal(xdr_pad4(3), 4);
	assert_int_equal(xdr_pad4(4), 4);
	assert_int_equal(xdr_pad4(5), 8);
}

static void test_decode_u32(void **state)
{
	const uint8_t in[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01};
	struct xdr_dec d;
	uint32_t v = 0;

	xdr_dec_init(&d, in, sizeof(in));
	assert_int_equal(xdr_dec_remaining(&d), 8);
	assert_true(xdr_decode_u32(&d, &v));
	assert_int_equal(v, 0xdeadbeefu);
	assert_int_equal(xdr_dec_remaining(&d), 4);
	assert_true(xdr_decode_u32(&d, &v));
	assert_int_equal(v, 1);
	assert_int_equal(xdr_dec_remaining(&d), 0);
	/* Exhausted: fails and stays put. */
	v = 77;
	assert_false(xdr_decode_u32(&d, &v));
	assert_int_equal(v, 77);
	assert_cursor_at(&d, in + 8, in + 8);

	/* Every truncation of a single u32. */
	for (size_t n = 0; n < 4; n++) {
		xdr_dec_init(&d, in, n);
		v = 77;
		assert_false(xdr_decode_u32(&d, &v));
		assert_int_equal(v, 77);
		assert_cursor_at(&d, in, in + n);
	}
}

static void test_decode_i32(void **state)
{
	const uint8_t in[] = {0xff, 0xff, 0xff, 0xfe, 0x7f, 0xff, 0xff};
	struct xdr_dec d;
	int32_t v = 0;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_i32(&d, &v));
	assert_int_equal(v, -2);
	v = 5;
	assert_false(xdr_decode_i32(&d, &v));
	assert_int_equal(v, 5);
	assert_cursor_at(&d, in + 4, in + 7);
}

static void test_decode_u64(void **state)
{
	const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	struct xdr_dec d;
	uint64_t v = 0;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_u64(&d, &v));
	assert_true(v == 0x0102030405060708ull);
	assert_int_equal(xdr_dec_remaining(&d), 0);

	/* Every truncation, including the ones that hold a whole u32: half a
	 * u64 must not be consumed. */
	for (size_t n = 0; n < 8; n++) {
		xdr_dec_init(&d, in, n);
		v = 99;
		assert_false(xdr_decode_u64(&d, &v));
		assert_true(v == 99);
		assert_cursor_at(&d, in, in + n);
	}
}

static void test_decode_bool(void **state)
{
	const uint8_t in[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};
	struct xdr_dec d;
	bool v = false;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_bool(&d, &v));
	assert_true(v);
	assert_true(xdr_decode_bool(&d, &v));
	assert_false(v);
	/* 2 is not a bool: fails without consuming it. */
	v = true;
	assert_false(xdr_decode_bool(&d, &v));
	assert_true(v);
	assert_cursor_at(&d, in + 8, in + 12);

	const uint8_t big[] = {0x80, 0, 0, 1};
	xdr_dec_init(&d, big, sizeof(big));
	assert_false(xdr_decode_bool(&d, &v));
	assert_cursor_at(&d, big, big + 4);

	for (size_t n = 0; n < 4; n++) {
		xdr_dec_init(&d, in, n);
		assert_false(xdr_decode_bool(&d, &v));
		assert_cursor_at(&d, in, in + n);
	}
}

static void test_decode_opaque_fixed(void **state)
{
	/* 5 bytes of data, 3 of padding, then a sentinel word. */
	const uint8_t in[] = {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 9};
	struct xdr_dec d;
	const uint8_t *data = NULL;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_opaque_fixed(&d, 5, &data));
	assert_ptr_equal(data, in); /* in place, no copy */
	assert_memory_equal(data, "hello", 5);
	assert_ptr_equal(d.p, in + 8); /* padding consumed */
	uint32_t v;
	assert_true(xdr_decode_u32(&d, &v));
	assert_int_equal(v, 9);

	/* Exactly sized, multiple of four: no padding. */
	xdr_dec_init(&d, in, 4);
	assert_true(xdr_decode_opaque_fixed(&d, 4, &data));
	assert_int_equal(xdr_dec_remaining(&d), 0);

	/* Zero bytes: succeeds and consumes nothing. */
	xdr_dec_init(&d, in, 0);
	data = NULL;
	assert_true(xdr_decode_opaque_fixed(&d, 0, &data));
	assert_ptr_equal(data, in);
	assert_int_equal(xdr_dec_remaining(&d), 0);

	/* Every truncation of the 8 padded bytes fails, even when the data
	 * itself is complete and only padding is missing. */
	for (size_t n = 0; n < 8; n++) {
		xdr_dec_init(&d, in, n);
		data = NULL;
		assert_false(xdr_decode_opaque_fixed(&d, 5, &data));
		assert_null(data);
		assert_cursor_at(&d, in, in + n);
	}

	/* Sizes whose padding would wrap size_t. */
	xdr_dec_init(&d, in, sizeof(in));
	assert_false(xdr_decode_opaque_fixed(&d, SIZE_MAX, &data));
	assert_false(xdr_decode_opaque_fixed(&d, SIZE_MAX - 2, &data));
	assert_false(xdr_decode_opaque_fixed(&d, sizeof(in) + 1, &data));
	assert_cursor_at(&d, in, in + sizeof(in));
}

static void test_decode_opaque(void **state)
{
	/* len 3, "abc", 1 pad, sentinel */
	const uint8_t in[] = {0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 7};
	struct xdr_dec d;
	const uint8_t *data = NULL;
	uint32_t len = 0;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_opaque(&d, 3, &data, &len));
	assert_int_equal(len, 3);
	assert_ptr_equal(data, in + 4);
	assert_memory_equal(data, "abc", 3);
	assert_ptr_equal(d.p, in + 8);

	/* Exact-size input. */
	xdr_dec_init(&d, in, 8);
	assert_true(xdr_decode_opaque(&d, 100, &data, &len));
	assert_int_equal(xdr_dec_remaining(&d), 0);

	/* Length over max. */
	xdr_dec_init(&d, in, sizeof(in));
	len = 1234;
	assert_false(xdr_decode_opaque(&d, 2, &data, &len));
	assert_int_equal(len, 1234);
	assert_cursor_at(&d, in, in + sizeof(in));

	/* Every truncation: length word cut, body cut, padding cut. */
	for (size_t n = 0; n < 8; n++) {
		xdr_dec_init(&d, in, n);
		len = 1234;
		assert_false(xdr_decode_opaque(&d, 100, &data, &len));
		assert_int_equal(len, 1234);
		assert_cursor_at(&d, in, in + n);
	}

	/* Length over what remains (but under max). */
	const uint8_t over[] = {0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
	xdr_dec_init(&d, over, sizeof(over));
	assert_false(xdr_decode_opaque(&d, 1000, &data, &len));
	assert_cursor_at(&d, over, over + sizeof(over));

	/* A huge length with a max that allows it must fail on the input
	 * size, not wrap around. */
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
	xdr_dec_init(&d, huge, sizeof(huge));
	assert_false(xdr_decode_opaque(&d, UINT32_MAX, &data, &len));
	assert_cursor_at(&d, huge, huge + sizeof(huge));
	const uint8_t huge2[] = {0xff, 0xff, 0xff, 0xfd, 1, 2, 3, 4};
	xdr_dec_init(&d, huge2, sizeof(huge2));
	assert_false(xdr_decode_opaque(&d, UINT32_MAX, &data, &len));
	assert_cursor_at(&d, huge2, huge2 + sizeof(huge2));

	/* Zero-length opaque. */
	const uint8_t empty[] = {0, 0, 0, 0};
	xdr_dec_init(&d, empty, sizeof(empty));
	len = 55;
	assert_true(xdr_decode_opaque(&d, 0, &data, &len));
	assert_int_equal(len, 0);
	assert_int_equal(xdr_dec_remaining(&d), 0);
}

static void test_decode_skip(void **state)
{
	const uint8_t in[12] = {0};
	struct xdr_dec d;

	xdr_dec_init(&d, in, sizeof(in));
	assert_true(xdr_decode_skip(&d, 1)); /* 1 + 3 padding */
	assert_ptr_equal(d.p, in + 4);
	assert_true(xdr_decode_skip(&d, 0));
	assert_ptr_equal(d.p, in + 4);
	assert_true(xdr_decode_skip(&d, 8));
	assert_int_equal(xdr_dec_remaining(&d), 0);

	for (size_t n = 0; n < 8; n++) {
		xdr_dec_init(&d, in, n);
		assert_false(xdr_decode_skip(&d, 5));
		assert_cursor_at(&d, in, in + n);
	}
	xdr_dec_init(&d, in, sizeof(in));
	assert_false(xdr_decode_skip(&d, 13));
	assert_false(xdr_decode_skip(&d, SIZE_MAX));
	assert_false(xdr_decode_skip(&d, SIZE_MAX - 3));
	assert_cursor_at(&d, in, in + sizeof(in));
}

/* A sequence of decodes over one buffer reads what an encoder wrote. */
static void test_round_trip(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 1024));
	assert_true(xdr_encode_u32(&e, 42));
	assert_true(xdr_encode_u64(&e, 0x1122334455667788ull));
	assert_true(xdr_encode_bool(&e, true));
	assert_true(xdr_encode_opaque(&e, "xyzzy", 5));
	assert_true(xdr_encode_opaque_fixed(&e, "ab", 2));
	assert_int_equal(xdr_enc_len(&e), 4 + 8 + 4 + 4 + 8 + 4);

	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, e.buf->len);
	uint32_t u;
	uint64_t q;
	bool b;
	const uint8_t *p;
	uint32_t n;
	assert_true(xdr_decode_u32(&d, &u));
	assert_int_equal(u, 42);
	assert_true(xdr_decode_u64(&d, &q));
	assert_true(q == 0x1122334455667788ull);
	assert_true(xdr_decode_bool(&d, &b));
	assert_true(b);
	assert_true(xdr_decode_opaque(&d, 5, &p, &n));
	assert_int_equal(n, 5);
	assert_memory_equal(p, "xyzzy", 5);
	assert_true(xdr_decode_opaque_fixed(&d, 2, &p));
	assert_memory_equal(p, "ab", 2);
	assert_int_equal(xdr_dec_remaining(&d), 0);
	xdr_enc_release(&e);
}

static void test_encode_growth(void **state)
{
	struct xdr_enc e;
	/* Starting at zero capacity must still work. */
	assert_true(xdr_enc_init(&e, 0, 1 << 20));
	for (uint32_t i = 0; i < 10000; i++)
		assert_true(xdr_encode_u32(&e, i));
	assert_false(e.overflow);
	assert_int_equal(xdr_enc_len(&e), 40000);
	assert_true(e.buf->cap >= 40000);
	assert_true(e.buf->cap <= e.limit);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(xdr_get_be32(e.buf->data + 4 * i), i);
	xdr_enc_release(&e);
	assert_null(e.buf);

	/* One big item larger than twice the capacity. */
	static uint8_t blob[5000];
	memset(blob, 0xab, sizeof(blob));
	assert_true(xdr_enc_init(&e, 8, 1 << 20));
	assert_true(xdr_encode_opaque(&e, blob, sizeof(blob)));
	assert_int_equal(xdr_enc_len(&e), 4 + 5000);
	assert_memory_equal(e.buf->data + 4, blob, sizeof(blob));
	xdr_enc_release(&e);
}

static void test_encode_limit_sticky(void **state)
{
	struct xdr_enc e;
	/* initial above the limit is clamped. */
	assert_true(xdr_enc_init(&e, 1000, 10));
	assert_true(e.buf->cap <= 10);
	assert_true(xdr_encode_u32(&e, 1));
	assert_true(xdr_encode_u32(&e, 2));
	assert_false(e.overflow);
	/* 8 bytes used, 2 left: a u32 does not fit. */
	assert_false(xdr_encode_u32(&e, 3));
	assert_true(e.overflow);
	assert_int_equal(xdr_enc_len(&e), 8);
	/* Sticky: even something that would fit now fails. */
	assert_null(xdr_enc_reserve(&e, 1));
	assert_false(xdr_encode_opaque_fixed(&e, "", 0));
	assert_true(e.overflow);
	assert_int_equal(xdr_enc_len(&e), 8);
	xdr_enc_release(&e);

	/* Filling exactly to the limit is fine; one more byte is not. */
	assert_true(xdr_enc_init(&e, 4, 12));
	assert_true(xdr_encode_u64(&e, 7));
	assert_true(xdr_encode_u32(&e, 8));
	assert_false(e.overflow);
	assert_int_equal(xdr_enc_len(&e), 12);
	assert_false(xdr_encode_bool(&e, false));
	assert_true(e.overflow);
	xdr_enc_release(&e);

	/* A u64 that only half fits writes nothing. */
	assert_true(xdr_enc_init(&e, 4, 12));
	assert_true(xdr_encode_u64(&e, 7));
	assert_false(xdr_encode_u64(&e, 8));
	assert_int_equal(xdr_enc_len(&e), 8);
	xdr_enc_release(&e);

	/* An opaque whose padding does not fit. */
	assert_true(xdr_enc_init(&e, 4, 10));
	assert_false(xdr_encode_opaque(&e, "abcde", 5)); /* 4 + 8 > 10 */
	assert_true(e.overflow);
	xdr_enc_release(&e);

	/* Sizes that would wrap when padded. */
	assert_true(xdr_enc_init(&e, 4, 1 << 20));
	assert_false(xdr_encode_opaque_fixed(&e, "", SIZE_MAX));
	assert_true(e.overflow);
	assert_int_equal(xdr_enc_len(&e), 0);
	xdr_enc_release(&e);
	assert_true(xdr_enc_init(&e, 4, 1 << 20));
	assert_null(xdr_enc_reserve(&e, SIZE_MAX));
	assert_true(e.overflow);
	xdr_enc_release(&e);
}

static void test_encode_padding_zero(void **state)
{
	for (uint32_t n = 0; n <= 8; n++) {
		struct xdr_enc e;
		assert_true(xdr_enc_init(&e, 64, 64));
		/* Dirty the buffer first so zeros cannot come from malloc. */
		memset(e.buf->data, 0xee, e.buf->cap);

		const char src[] = "12345678";
		assert_true(xdr_encode_opaque(&e, src, n));
		assert_int_equal(xdr_enc_len(&e), 4 + xdr_pad4(n));
		assert_int_equal(xdr_get_be32(e.buf->data), n);
		assert_memory_equal(e.buf->data + 4, src, n);
		for (size_t i = 4 + n; i < 4 + xdr_pad4(n); i++)
			assert_int_equal(e.buf->data[i], 0);

		e.buf->len = 0;
		memset(e.buf->data, 0xee, 64);
		assert_true(xdr_encode_opaque_fixed(&e, src, n));
		assert_int_equal(xdr_enc_len(&e), xdr_pad4(n));
		for (size_t i = n; i < xdr_pad4(n); i++)
			assert_int_equal(e.buf->data[i], 0);
		xdr_enc_release(&e);
	}
}

static void test_encode_patch(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 4, 4096));
	assert_true(xdr_encode_u32(&e, 0xaaaaaaaa));
	size_t count_at = xdr_enc_len(&e);
	assert_true(xdr_encode_u32(&e, 0)); /* placeholder */
	/* Grow the buffer past its first allocation before patching, so the
	 * offset, not a stale pointer, is what counts. */
	for (uint32_t i = 0; i < 300; i++)
		assert_true(xdr_encode_u32(&e, i));
	xdr_enc_patch_u32(&e, count_at, 300);
	assert_int_equal(xdr_get_be32(e.buf->data), 0xaaaaaaaa);
	assert_int_equal(xdr_get_be32(e.buf->data + count_at), 300);
	assert_int_equal(xdr_get_be32(e.buf->data + count_at + 4), 0);
	assert_int_equal(xdr_enc_len(&e), 8 + 1200);
	xdr_enc_release(&e);
}

static void test_encode_take_release(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 64));
	assert_true(xdr_encode_u32(&e, 5));
	struct buf *b = xdr_enc_take(&e);
	assert_non_null(b);
	assert_null(e.buf);
	assert_int_equal(atomic_load(&b->refs), 1);
	assert_int_equal(b->len, 4);
	assert_int_equal(xdr_get_be32(b->data), 5);
	/* Releasing after take must not free the taken buffer (ASan would
	 * report the use after free below). */
	xdr_enc_release(&e);
	assert_int_equal(xdr_get_be32(b->data), 5);
	buf_unref(b);

	/* Release without take frees it; release twice is harmless. */
	assert_true(xdr_enc_init(&e, 16, 64));
	xdr_enc_release(&e);
	assert_null(e.buf);
	xdr_enc_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pad4),
		cmocka_unit_test(test_decode_u32),
		cmocka_unit_test(test_decode_i32),
		cmocka_unit_test(test_decode_u64),
		cmocka_unit_test(test_decode_bool),
		cmocka_unit_test(test_decode_opaque_fixed),
		cmocka_unit_test(test_decode_opaque),
		cmocka_unit_test(test_decode_skip),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_growth),
		cmocka_unit_test(test_encode_limit_sticky),
		cmocka_unit_test(test_encode_padding_zero),
		cmocka_unit_test(test_encode_patch),
		cmocka_unit_test(test_encode_take_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
