/* The pipe pool: pipes come back for reuse only when empty, the limit on
 * open pipes holds, and a pipe carries bytes end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/pipe_pool.h"

static void test_reuses_an_empty_pipe(void **unused)
{
	struct pipe_pool *pool = pipe_pool_create(1 << 20, 4, 4);
	struct pooled_pipe *p = pipe_pool_get(pool);
	assert_non_null(p);
	assert_true(p->capacity >= 64 * 1024);
	int rd = p->rd;
	pipe_pool_put(pool, p);
	struct pooled_pipe *again = pipe_pool_get(pool);
	assert_ptr_equal(again, p);
	assert_int_equal(again->rd, rd);
	pipe_pool_put(pool, again);
	assert_int_equal(pipe_pool_open(pool), 1);
	pipe_pool_destroy(pool);
}

static void test_closes_a_pipe_with_bytes_in_it(void **unused)
{
	struct pipe_pool *pool = pipe_pool_create(64 * 1024, 4, 4);
	struct pooled_pipe *p = pipe_pool_get(pool);
	assert_non_null(p);
	assert_int_equal(write(p->wr, "left over", 9), 9);
	p->held = 9;
	pipe_pool_put(pool, p);
	assert_int_equal(pipe_pool_open(pool), 0);
	struct pooled_pipe *fresh = pipe_pool_get(pool);
	assert_non_null(fresh);
	char c;
	/* Nothing of the earlier user is readable from the new one. */
	assert_int_equal(read(fresh->rd, &c, 1), -1);
	pipe_pool_put(pool, fresh);
	pipe_pool_destroy(pool);
}

static void test_limit_on_open_pipes(void **unused)
{
	struct pipe_pool *pool = pipe_pool_create(64 * 1024, 2, 1);
	struct pooled_pipe *a = pipe_pool_get(pool), *b = pipe_pool_get(pool);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(pipe_pool_get(pool));
	assert_int_equal(pipe_pool_refused(pool), 1);
	pipe_pool_put(pool, a);
	pipe_pool_put(pool, b); /* one idle kept at most: closed */
	assert_int_equal(pipe_pool_open(pool), 1);
	struct pooled_pipe *c = pipe_pool_get(pool), *d = pipe_pool_get(pool);
	assert_non_null(c);
	assert_non_null(d);
	pipe_pool_put(pool, c);
	pipe_pool_put(pool, d);
	pipe_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuses_an_empty_pipe),
		cmocka_unit_test(test_closes_a_pipe_with_bytes_in_it),
		cmocka_unit_test(test_limit_on_open_pipes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
