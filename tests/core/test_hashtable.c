/* The core hash table: insert, find, remove, keys that share a hash or a
 * bucket, growth, and walks that remove as they go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/hashtable.h"

struct item {
	struct hashtable_node node;
	uint32_t key;
	bool seen;
};

/* A poor hash on purpose in some tests: the table must not rely on it. */
static uint64_t hash_spread(uint32_t key) { return (uint64_t)key * 0x9e3779b97f4a7c15ull; }

static struct item *item_find(struct hashtable *t, uint32_t key, uint64_t h)
{
	struct hashtable_node *n;

	hashtable_for_each_hash(n, t, h)
	{
		struct item *it = hashtable_entry(n, struct item, node);

		if (it->key == key)
			return it;
	}
	return NULL;
}

static void test_insert_find_remove(void **unused)
{
	struct hashtable t;
	struct item a = {.key = 1}, b = {.key = 2};

	assert_int_equal(hashtable_init(&t, 0), 0);
	assert_null(item_find(&t, 1, hash_spread(1)));
	hashtable_insert(&t, &a.node, hash_spread(1));
	hashtable_insert(&t, &b.node, hash_spread(2));
	assert_int_equal(hashtable_count(&t), 2);
	assert_ptr_equal(item_find(&t, 1, hash_spread(1)), &a);
	assert_ptr_equal(item_find(&t, 2, hash_spread(2)), &b);
	assert_null(item_find(&t, 3, hash_spread(3)));

	hashtable_remove(&t, &a.node);
	assert_int_equal(hashtable_count(&t), 1);
	assert_null(item_find(&t, 1, hash_spread(1)));
	assert_ptr_equal(item_find(&t, 2, hash_spread(2)), &b);
	/* Removing what is not there changes nothing. */
	hashtable_remove(&t, &a.node);
	assert_int_equal(hashtable_count(&t), 1);
	hashtable_remove(&t, &b.node);
	assert_int_equal(hashtable_count(&t), 0);
	hashtable_fini(&t);
}

/* Equal hashes (one chain, keys told apart by the caller) and different
 * hashes in one bucket (the walk must skip the other hash). */
static void test_collisions(void **unused)
{
	struct hashtable t;
	struct item same[5], bucket[3];

	assert_int_equal(hashtable_init(&t, 8), 0);
	for (uint32_t i = 0; i < 5; i++) {
		same[i] = (struct item){.key = 100 + i};
		hashtable_insert(&t, &same[i].node, 42);
	}
	for (uint32_t i = 0; i < 3; i++) {
		bucket[i] = (struct item){.key = 200 + i};
		hashtable_insert(&t, &bucket[i].node, 42 + 8 * (i + 1)); /* same bucket of 8 */
	}
	for (uint32_t i = 0; i < 5; i++)
		assert_ptr_equal(item_find(&t, 100 + i, 42), &same[i]);
	for (uint32_t i = 0; i < 3; i++) {
		assert_ptr_equal(item_find(&t, 200 + i, 42 + 8 * (i + 1)), &bucket[i]);
		assert_null(item_find(&t, 200 + i, 42));
	}

	unsigned n = 0;
	struct hashtable_node *pos;
	hashtable_for_each_hash(pos, &t, 42)
		n++;
	assert_int_equal(n, 5);

	hashtable_remove(&t, &same[2].node);
	assert_null(item_find(&t, 102, 42));
	assert_ptr_equal(item_find(&t, 101, 42), &same[1]);
	assert_ptr_equal(item_find(&t, 103, 42), &same[3]);
	hashtable_fini(&t);
}

static void test_resize(void **unused)
{
	enum { N = 10000 };
	struct hashtable t;
	struct item *items = calloc(N, sizeof(*items));

	assert_non_null(items);
	assert_int_equal(hashtable_init(&t, 1), 0);
	assert_int_equal(t.nbuckets, 8);
	for (uint32_t i = 0; i < N; i++) {
		items[i].key = i;
		hashtable_insert(&t, &items[i].node, hash_spread(i));
	}
	assert_int_equal(hashtable_count(&t), N);
	assert_true(t.nbuckets >= N);
	assert_int_equal(t.nbuckets & (t.nbuckets - 1), 0);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(item_find(&t, i, hash_spread(i)), &items[i]);
	for (uint32_t i = 0; i < N; i += 2)
		hashtable_remove(&t, &items[i].node);
	assert_int_equal(hashtable_count(&t), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		if (i % 2)
			assert_ptr_equal(item_find(&t, i, hash_spread(i)), &items[i]);
		else
			assert_null(item_find(&t, i, hash_spread(i)));
	}
	hashtable_fini(&t);
	free(items);
}

/* Every node is visited once; removing (and freeing) the current node
 * during the walk is allowed. */
static void test_iterate_remove(void **unused)
{
	enum { N = 300 };
	struct hashtable t;
	struct hashtable_iter it;
	struct hashtable_node *n;
	unsigned visited = 0, kept = 0;

	assert_int_equal(hashtable_init(&t, 16), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct item *x = calloc(1, sizeof(*x));

		assert_non_null(x);
		x->key = i;
		/* Only a few hashes: long chains with removals inside them. */
		hashtable_insert(&t, &x->node, hash_spread(i % 7));
	}
	for (n = hashtable_iter_first(&it, &t); n; n = hashtable_iter_next(&it)) {
		struct item *x = hashtable_entry(n, struct item, node);

		assert_false(x->seen);
		x->seen = true;
		visited++;
		if (x->key % 3 == 0) {
			hashtable_remove(&t, n);
			free(x);
		}
	}
	assert_int_equal(visited, N);
	assert_int_equal(hashtable_count(&t), N - (N + 2) / 3);

	for (n = hashtable_iter_first(&it, &t); n; n = hashtable_iter_next(&it)) {
		struct item *x = hashtable_entry(n, struct item, node);

		assert_int_not_equal(x->key % 3, 0);
		kept++;
		hashtable_remove(&t, n);
		free(x);
	}
	assert_int_equal(kept, N - (N + 2) / 3);
	assert_int_equal(hashtable_count(&t), 0);
	assert_null(hashtable_iter_first(&it, &t));
	hashtable_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_iterate_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
