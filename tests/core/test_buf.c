/* Refcounted buffers, and the large ones kept for reuse: a large buffer let
 * go is the next one of its size, growing into one keeps the bytes, and
 * buf_drop_kept empties the keep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"

enum { MIB = 1024 * 1024 };

static void test_small_buffers_are_not_kept(void **state)
{
	(void)state;
	struct buf *a = buf_new(100);
	assert_non_null(a);
	assert_int_equal(a->cap, 100);
	assert_int_equal(a->len, 0);
	buf_ref(a);
	buf_unref(a);
	a->len = 3; /* still held once */
	buf_unref(a);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_buffers_are_not_kept),
		cmocka_unit_test(test_large_buffer_is_reused),
		cmocka_unit_test(test_grow_into_kept_buffer_keeps_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
