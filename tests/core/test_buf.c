/* The large buffers kept for reuse: a large buffer let go is the next one
 * of its size, growing into one keeps the bytes, the keep is bounded, and
 * buf_drop_kept empties it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"

enum { MIB = 1024 * 1024 };

static void test_large_buffer_is_reused(void **state)
{
	(void)state;
	buf_drop_kept();
	struct buf *a = buf_new(MIB + 100);
	assert_non_null(a);
	a->len = 10;
	buf_unref(a);
	/* A smaller large one takes it, empty, with the room it asked for. */
	struct buf *b = buf_new(MIB);
	assert_ptr_equal(b, a);
	assert_int_equal(b->cap, MIB);
	assert_int_equal(b->alloc, MIB + 100);
	assert_int_equal(b->len, 0);
	/* None kept now: a larger one is new. */
	struct buf *c = buf_new(2 * MIB);
	assert_ptr_not_equal(c, b);
	buf_unref(b);
	buf_unref(c);
	/* Kept with all it has: the next one may use it whole. */
	struct buf *again = buf_new(MIB + 100);
	assert_true(again == b || again == c);
	buf_unref(again);
	buf_drop_kept();
	/* Nothing kept: a fresh one of the exact size. */
	struct buf *d = buf_new(MIB);
	assert_int_equal(d->cap, MIB);
	buf_unref(d);
	buf_drop_kept();
}

static void test_grow_into_kept_buffer_keeps_bytes(void **state)
{
	(void)state;
	buf_drop_kept();
	struct buf *big = buf_new(2 * MIB);
	buf_unref(big); /* kept */
	struct buf *b = buf_new(64);
	memcpy(b->data, "reply header", 12);
	b->len = 12;
	struct buf *g = buf_grow(b, MIB + 8192);
	assert_ptr_equal(g, big);
	assert_int_equal(g->cap, MIB + 8192);
	assert_int_equal(g->len, 12);
	assert_memory_equal(g->data, "reply header", 12);
	assert_int_equal(atomic_load(&g->refs), 1);
	buf_unref(g);
	buf_drop_kept();
}

/* A kept buffer handed out smaller than it is grows in place, without
 * taking another one from the keep. */
static void test_grow_within_kept_room(void **state)
{
	(void)state;
	buf_drop_kept();
	struct buf *one = buf_new(2 * MIB), *two = buf_new(2 * MIB);
	buf_unref(two);
	buf_unref(one);
	struct buf *b = buf_new(MIB);
	assert_true(b == one || b == two);
	b->len = 5;
	struct buf *g = buf_grow(b, 2 * MIB);
	assert_ptr_equal(g, b);
	assert_int_equal(g->cap, 2 * MIB);
	assert_int_equal(g->len, 5);
	assert_int_equal(buf_kept_bytes(), 2 * MIB); /* the other one, still kept */
	buf_unref(g);
	buf_drop_kept();
}

/* The keep holds at most 32 MiB: of nine 4 MiB buffers let go, eight are
 * kept and the ninth is freed. */
static void test_keep_is_bounded(void **state)
{
	(void)state;
	buf_drop_kept();
	struct buf *b[9];
	for (int i = 0; i < 9; i++)
		assert_non_null(b[i] = buf_new(4 * MIB));
	for (int i = 0; i < 9; i++)
		buf_unref(b[i]);
	assert_int_equal(buf_kept_bytes(), 32 * MIB);
	buf_drop_kept();
	assert_int_equal(buf_kept_bytes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_buffer_is_reused),
		cmocka_unit_test(test_grow_into_kept_buffer_keeps_bytes),
		cmocka_unit_test(test_grow_within_kept_room),
		cmocka_unit_test(test_keep_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
