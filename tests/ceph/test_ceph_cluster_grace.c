/* The cluster grace object (state/base/state_cluster_grace.h) on a real
 * cluster, with two or three heads as handles of one process: a head that
 * restarts with records starts a grace epoch, the others enforce it once
 * they look, a second head needing grace joins the epoch under way rather
 * than starting one, grace lifts only when the last head needing it is
 * done, and heads changing the object at once lose none of each other's
 * changes; a head taking another over, removing it, the limit on a
 * grace a dead head would hold for ever, and boot epochs unique in the
 * cluster.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID) with a pool
 * named ferry; skipped (exit 77) without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rados/librados.h>

#include "state/base/state_cluster_grace.h"

static const char *ceph_conf, *ceph_id;
static char ns[64];

static struct state_cluster_grace *head(const char *node)
{
	struct state_cluster_options c;
	memset(&c, 0, sizeof(c));
	snprintf(c.node, sizeof(c.node), "%s", node);
	snprintf(c.rados_conf, sizeof(c.rados_conf), "%s", ceph_conf);
	snprintf(c.rados_id, sizeof(c.rados_id), "%s", ceph_id);
	snprintf(c.rados_pool, sizeof(c.rados_pool), "ferry");
	snprintf(c.rados_namespace, sizeof(c.rados_namespace), "%s", ns);
	struct state_cluster_grace *g = NULL;
	assert_int_equal(state_cluster_grace_open(&c, &g), 0);
	return g;
}

/* Each test in a namespace of its own: a fresh object. */
static void new_namespace(const char *tag)
{
	snprintf(ns, sizeof(ns), "grace-test-%ld-%ld-%s", (long)getpid(), (long)time(NULL), tag);
}

/* Removes this test's object. */
static void drop_object(void)
{
	rados_t cl;
	rados_ioctx_t io;
	assert_int_equal(rados_create(&cl, ceph_id), 0);
	assert_int_equal(rados_conf_read_file(cl, ceph_conf), 0);
	assert_int_equal(rados_connect(cl), 0);
	assert_int_equal(rados_ioctx_create(cl, "ferry", &io), 0);
	rados_ioctx_set_namespace(io, ns);
	assert_int_equal(rados_remove(io, "grace"), 0);
	rados_ioctx_destroy(io);
	rados_shutdown(cl);
}

static void test_restart_starts_and_lifts_grace(void **st)
{
	(void)st;
	new_namespace("one");
	struct state_cluster_grace *a = head("a"), *b = head("b");
	struct state_cluster_grace_view v;
	assert_int_equal(state_cluster_grace_join(a, false, NULL, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	assert_int_equal(v.current, 1);
	assert_int_equal(state_cluster_grace_join(b, false, NULL, &v), 0);
	assert_int_equal(v.members, 2);

	/* b restarts with records: epoch 2 recovers epoch 1; b enforces, a
	 * not yet (it has not looked). */
	assert_int_equal(state_cluster_grace_join(b, true, NULL, &v), 0);
	assert_true(state_cluster_grace_in_grace(&v));
	assert_int_equal(v.current, 2);
	assert_int_equal(v.recovery, 1);
	assert_true(v.me_need && v.me_enforcing);
	assert_false(state_cluster_grace_all_enforcing(&v));
	assert_int_equal(state_cluster_grace_poll(a, &v), 0);
	assert_true(v.me_enforcing);
	assert_false(v.me_need);
	assert_true(state_cluster_grace_all_enforcing(&v));

	/* b's clients reclaimed: nobody needs grace, it is lifted for all. */
	assert_int_equal(state_cluster_grace_done(b, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	assert_int_equal(v.current, 2);
	assert_false(v.me_enforcing);
	assert_int_equal(state_cluster_grace_poll(a, &v), 0);
	assert_false(v.me_enforcing);
	assert_int_equal(v.enforcing, 0);
	state_cluster_grace_close(a);
	state_cluster_grace_close(b);
	drop_object();
}

static void test_grace_lifts_when_last_is_done(void **st)
{
	(void)st;
	new_namespace("two");
	struct state_cluster_grace *a = head("a"), *b = head("b"), *c = head("c");
	struct state_cluster_grace_view v;
	assert_int_equal(state_cluster_grace_join(c, false, NULL, &v), 0);
	assert_int_equal(state_cluster_grace_join(a, true, NULL, &v), 0);
	assert_int_equal(v.current, 2);
	assert_int_equal(v.recovery, 1);
	/* b comes up needing grace during a's: the same epoch. */
	assert_int_equal(state_cluster_grace_join(b, true, NULL, &v), 0);
	assert_int_equal(v.current, 2);
	assert_int_equal(v.recovery, 1);
	assert_int_equal(v.need, 2);
	assert_int_equal(state_cluster_grace_done(a, &v), 0);
	assert_true(state_cluster_grace_in_grace(&v)); /* b still needs it */
	assert_int_equal(state_cluster_grace_poll(c, &v), 0);
	assert_true(v.me_enforcing);
	assert_int_equal(state_cluster_grace_done(b, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	/* The next restart needing grace starts a new epoch. */
	assert_int_equal(state_cluster_grace_join(c, true, NULL, &v), 0);
	assert_int_equal(v.current, 3);
	assert_int_equal(v.recovery, 2);
	assert_int_equal(state_cluster_grace_done(c, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	state_cluster_grace_close(a);
	state_cluster_grace_close(b);
	state_cluster_grace_close(c);
	drop_object();
}

enum { ROUNDS = 15 };

static void *churn(void *arg)
{
	struct state_cluster_grace *g = head(arg);
	struct state_cluster_grace_view v;
	for (int i = 0; i < ROUNDS; i++) {
		if (state_cluster_grace_join(g, true, NULL, &v) != 0 || !state_cluster_grace_in_grace(&v))
			return (void *)1;
		if (state_cluster_grace_done(g, &v) != 0)
			return (void *)1;
	}
	state_cluster_grace_close(g);
	return NULL;
}

static void test_racing_heads_lose_nothing(void **st)
{
	(void)st;
	new_namespace("race");
	static char names[3][8] = {"r0", "r1", "r2"};
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, names[i]), 0);
	for (int i = 0; i < 3; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	/* Every head said done last: nobody needs grace, it is lifted, and
	 * all three are members. */
	struct state_cluster_grace *x = head("r0");
	struct state_cluster_grace_view v;
	assert_int_equal(state_cluster_grace_poll(x, &v), 0);
	assert_int_equal(v.members, 3);
	assert_int_equal(v.need, 0);
	assert_false(state_cluster_grace_in_grace(&v));
	assert_true(v.current >= 2 && v.current <= 1 + 3 * ROUNDS);
	state_cluster_grace_close(x);
	drop_object();
}

/* A head takes over another: the other's entry becomes a marker naming
 * the taker, its addresses and client instances are handed to the taker,
 * and the taker needs grace in a new epoch.  A repeat, by the taker or by
 * anyone else, finds it done (-EALREADY, naming the taker); taking over
 * a head that never was a member, or oneself, is refused; the head taken
 * over changes nothing more, until it joins again. */
static void test_takeover_and_remove(void **st)
{
	(void)st;
	new_namespace("takeover");
	struct state_cluster_grace *a = head("a"), *b = head("b"), *c = head("c");
	struct state_cluster_grace_view v;
	assert_int_equal(state_cluster_grace_join(a, false, "10.0.0.1:2049 [fd00::1]:2049", &v),
			 0);
	assert_int_equal(state_cluster_grace_publish(a, "10.0.0.1:2049 [fd00::1]:2049",
						     "10.0.0.1:0/11 10.0.0.1:0/12", &v),
			 0);
	assert_int_equal(state_cluster_grace_join(b, false, "10.0.0.2:2049", &v), 0);
	assert_int_equal(state_cluster_grace_join(c, false, NULL, &v), 0);
	assert_int_equal(v.members, 3);
	struct state_cluster_member was;
	char by[CONFIG_NAME_MAX];
	assert_int_equal(state_cluster_grace_takeover(b, "a", &was, by, &v), 0);
	assert_string_equal(was.addrs, "10.0.0.1:2049 [fd00::1]:2049");
	assert_string_equal(was.fence, "10.0.0.1:0/11 10.0.0.1:0/12");
	assert_int_equal(v.members, 2);
	assert_true(state_cluster_grace_in_grace(&v));
	assert_true(v.me_need && v.me_enforcing);
	assert_int_equal(state_cluster_grace_takeover(b, "a", &was, by, &v), -EALREADY);
	assert_string_equal(by, "b");
	assert_int_equal(state_cluster_grace_takeover(c, "a", &was, by, &v), -EALREADY);
	assert_string_equal(by, "b");
	assert_int_equal(state_cluster_grace_takeover(b, "nobody", &was, by, &v), -ENOENT);
	assert_int_equal(state_cluster_grace_takeover(b, "b", &was, by, &v), -EINVAL);
	/* a, taken over, can no longer say anything as a member. */
	assert_int_equal(state_cluster_grace_publish(a, "10.0.0.1:2049", NULL, &v), -ESTALE);
	assert_int_equal(state_cluster_grace_poll(a, &v), 0);
	assert_false(v.me_member);
	struct state_cluster_member list[4];
	size_t n;
	assert_int_equal(state_cluster_grace_list(c, list, 4, &n, &v), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "b");
	assert_string_equal(list[0].addrs, "10.0.0.2:2049");
	assert_true(list[0].need);
	/* a comes back under its name: a member again, which c may take
	 * over anew. */
	assert_int_equal(state_cluster_grace_join(a, false, "10.0.0.1:2049", &v), 0);
	assert_int_equal(v.members, 3);
	assert_int_equal(state_cluster_grace_takeover(c, "a", &was, by, &v), 0);
	assert_string_equal(was.addrs, "10.0.0.1:2049");
	assert_int_equal(state_cluster_grace_takeover(b, "a", &was, by, &v), -EALREADY);
	assert_string_equal(by, "c");
	/* b will not come back: removing it lifts grace once c is done. */
	assert_int_equal(state_cluster_grace_remove(c, "b", &v), 0);
	assert_int_equal(state_cluster_grace_done(c, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	assert_int_equal(v.members, 1);
	/* A marker can be removed too: "a" is then unknown. */
	assert_int_equal(state_cluster_grace_remove(c, "a", &v), 0);
	assert_int_equal(state_cluster_grace_takeover(c, "a", &was, by, &v), -ENOENT);
	state_cluster_grace_close(a);
	state_cluster_grace_close(b);
	state_cluster_grace_close(c);
	drop_object();
}

struct racer {
	struct state_cluster_grace *g;
	pthread_barrier_t *start;
	int rc;
	char by[CONFIG_NAME_MAX];
};

static void *race_takeover(void *arg)
{
	struct racer *r = arg;
	struct state_cluster_member was;
	struct state_cluster_grace_view v;
	pthread_barrier_wait(r->start);
	r->rc = state_cluster_grace_takeover(r->g, "x", &was, r->by, &v);
	return NULL;
}

/* Survivors taking the same head over at once: exactly one does, every
 * other finds it done by that one.  Rounds, since a race is not lost the
 * same way each time. */
static void test_takeover_race(void **st)
{
	(void)st;
	enum { RACERS = 3, RACE_ROUNDS = 5 };
	new_namespace("race");
	struct state_cluster_grace *x = head("x");
	struct racer r[RACERS];
	const char *names[RACERS] = {"s0", "s1", "s2"};
	struct state_cluster_grace_view v;
	for (int i = 0; i < RACERS; i++) {
		r[i].g = head(names[i]);
		assert_int_equal(state_cluster_grace_join(r[i].g, false, NULL, &v), 0);
	}
	for (int round = 0; round < RACE_ROUNDS; round++) {
		assert_int_equal(state_cluster_grace_join(x, false, "10.0.0.9:2049", &v), 0);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, RACERS);
		pthread_t t[RACERS];
		for (int i = 0; i < RACERS; i++) {
			r[i].start = &start;
			assert_int_equal(pthread_create(&t[i], NULL, race_takeover, &r[i]), 0);
		}
		int won = -1, wins = 0;
		for (int i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			if (r[i].rc == 0) {
				won = i;
				wins++;
			}
		}
		pthread_barrier_destroy(&start);
		assert_int_equal(wins, 1);
		for (int i = 0; i < RACERS; i++)
			if (i != won) {
				assert_int_equal(r[i].rc, -EALREADY);
				assert_string_equal(r[i].by, names[won]);
			}
		/* The winner is done needing grace; x rejoins next round. */
		assert_int_equal(state_cluster_grace_done(r[won].g, &v), 0);
	}
	for (int i = 0; i < RACERS; i++)
		state_cluster_grace_close(r[i].g);
	state_cluster_grace_close(x);
	drop_object();
}

/* A head that dies needing grace does not hold it for ever: the next look
 * of another head past the limit lifts it. */
static void test_grace_limit(void **st)
{
	(void)st;
	new_namespace("limit");
	struct state_cluster_grace *a = head("a"), *b = head("b");
	struct state_cluster_grace_view v;
	state_cluster_grace_set_limit(b, 1500);
	assert_int_equal(state_cluster_grace_join(b, false, NULL, &v), 0);
	assert_int_equal(state_cluster_grace_join(a, true, NULL, &v), 0); /* then a dies */
	assert_int_equal(state_cluster_grace_poll(b, &v), 0);
	assert_true(state_cluster_grace_in_grace(&v));
	assert_true(v.me_enforcing);
	usleep(1700 * 1000);
	assert_int_equal(state_cluster_grace_poll(b, &v), 0);
	assert_false(state_cluster_grace_in_grace(&v));
	assert_false(v.me_enforcing);
	assert_int_equal(v.need, 0);
	state_cluster_grace_close(a);
	state_cluster_grace_close(b);
	drop_object();
}

/* Boot epochs never repeat in a cluster, even for heads that start in the
 * same second. */
static void test_boot_epochs_unique(void **st)
{
	(void)st;
	new_namespace("boot");
	struct state_cluster_grace *a = head("a"), *b = head("b");
	uint32_t now = (uint32_t)time(NULL), x, y, z;
	assert_int_equal(state_cluster_grace_boot(a, now, &x), 0);
	assert_int_equal(state_cluster_grace_boot(b, now, &y), 0);
	assert_int_equal(state_cluster_grace_boot(a, now - 100, &z), 0);
	assert_int_equal(x, now);
	assert_int_equal(y, now + 1);
	assert_int_equal(z, now + 2);
	state_cluster_grace_close(a);
	state_cluster_grace_close(b);
	drop_object();
}

int main(void)
{
	ceph_conf = getenv("FERRY_TEST_CEPH_CONF");
	ceph_id = getenv("FERRY_TEST_CEPH_ID");
	if (!ceph_conf || !*ceph_conf) {
		printf("ceph_test_ceph_cluster_grace: skipped: FERRY_TEST_CEPH_CONF names no "
		       "cluster (the test command's CephFS stage sets it)\n");
		return 77;
	}
	if (!ceph_id || !*ceph_id)
		ceph_id = "admin";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_starts_and_lifts_grace),
		cmocka_unit_test(test_grace_lifts_when_last_is_done),
		cmocka_unit_test(test_racing_heads_lose_nothing),
		cmocka_unit_test(test_takeover_and_remove),
		cmocka_unit_test(test_takeover_race),
		cmocka_unit_test(test_grace_limit),
		cmocka_unit_test(test_boot_epochs_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
