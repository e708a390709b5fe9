/* core/workers.h: threads started and named, timed waits on the monotonic
 * clock, a stop that no waiting thread misses; and the thread pool built on
 * it runs every queued task before its destroy returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/clock.h"
#include "core/threadpool.h"
#include "core/workers.h"

struct counting {
	struct workers workers;
	unsigned started; /* under workers.lock */
	unsigned woken;   /* wake-ups seen, under workers.lock */
};

/* Counts itself in, then waits without a deadline until the stop (the
 * lock is held on entry and on return: workers_body_fn). */
static void count_and_wait(void *arg)
{
	struct counting *c = arg;
	c->started++;
	while (!workers_stopping(&c->workers)) {
		workers_wait_until(&c->workers, 0);
		c->woken++;
	}
}

static void test_start_and_stop(void **unused)
{
	(void)unused;
	struct counting c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(workers_launch(&c.workers, 3, "wtest", count_and_wait, &c), 0);
	assert_int_equal(c.workers.nthreads, 3);
	char name[16] = "";
	assert_int_equal(pthread_getname_np(c.workers.threads[2], name, sizeof(name)), 0);
	assert_string_equal(name, "wtest2");
	/* Every thread is in before the stop (or the stop finds it later:
	 * either way none may be left waiting). */
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&c.workers.lock);
		unsigned n = c.started;
		pthread_mutex_unlock(&c.workers.lock);
		if (n == 3)
			break;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	assert_false(workers_stopping(&c.workers));
	workers_stop(&c.workers); /* returns only once all three joined */
	assert_true(workers_stopping(&c.workers));
	assert_int_equal(c.started, 3);
	assert_int_equal(c.workers.nthreads, 0);
	assert_true(c.woken >= 3); /* the stop woke each one */
	workers_stop(&c.workers);  /* again: nothing more to do */
	workers_destroy(&c.workers);
}

static void test_zero_threads_starts_one(void **unused)
{
	(void)unused;
	struct counting c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(workers_launch(&c.workers, 0, NULL, count_and_wait, &c), 0);
	assert_int_equal(c.workers.nthreads, 1);
	workers_stop(&c.workers);
	assert_int_equal(c.started, 1);
	workers_destroy(&c.workers);
}

static void test_wait_until(void **unused)
{
	(void)unused;
	struct workers w;
	assert_int_equal(workers_init(&w), 0);
	pthread_mutex_lock(&w.lock);
	/* A deadline passed already: no wait at all. */
	uint64_t t0 = clock_now_ms();
	assert_false(workers_wait_until(&w, t0 > 5 ? t0 - 5 : 1));
	/* A deadline ahead: waits about that long, then says it passed
	 * (spurious wake-ups aside, which return true: retried here). */
	uint64_t due = clock_now_ms() + 30;
	int rounds = 0;
	while (workers_wait_until(&w, due))
		assert_true(++rounds < 1000);
	assert_true(clock_now_ms() >= due);
	pthread_mutex_unlock(&w.lock);
	workers_destroy(&w);
}

struct pool_task {
	struct threadpool_task task;
	atomic_uint *ran;
};

static void pool_task_run(struct threadpool_task *t)
{
	struct pool_task *p = (struct pool_task *)t;
	atomic_fetch_add(p->ran, 1);
}

static void test_threadpool_drains_at_destroy(void **unused)
{
	(void)unused;
	atomic_uint ran = 0;
	struct pool_task tasks[200];
	struct threadpool *pool = threadpool_create("ptest", 2);
	assert_non_null(pool);
	for (int i = 0; i < 200; i++) {
		tasks[i].task.run = pool_task_run;
		tasks[i].ran = &ran;
		threadpool_submit(pool, &tasks[i].task);
	}
	threadpool_destroy(pool);
	assert_int_equal(atomic_load(&ran), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_and_stop),
		cmocka_unit_test(test_zero_threads_starts_one),
		cmocka_unit_test(test_wait_until),
		cmocka_unit_test(test_threadpool_drains_at_destroy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
