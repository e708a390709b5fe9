/* The core intrusive list: order of adds at either end, unlinking from
 * any place, counting, and the two walks (the safe one removing as it
 * goes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/list.h"

struct item {
	int key;
	struct list_node link;
};

/* The keys in list order, into out (at most max); returns how many. */
static size_t keys_of(const struct list_node *head, int *out, size_t max)
{
	size_t n = 0;
	list_for_each_entry(it, head, const struct item, link)
	{
		if (n < max)
			out[n] = it->key;
		n++;
	}
	return n;
}

static void test_empty(void **unused)
{
	struct list_node head;
	list_init(&head);
	assert_true(list_empty(&head));
	assert_int_equal(list_count(&head), 0);
	int keys[1];
	assert_int_equal(keys_of(&head, keys, 1), 0);
}

static void test_order_of_adds(void **unused)
{
	struct list_node head;
	list_init(&head);
	struct item a = {.key = 1}, b = {.key = 2}, c = {.key = 3};
	list_add_tail(&head, &a.link);
	list_add_tail(&head, &b.link);
	list_add_head(&head, &c.link);
	assert_false(list_empty(&head));
	assert_int_equal(list_count(&head), 3);
	int keys[3];
	assert_int_equal(keys_of(&head, keys, 3), 3);
	assert_int_equal(keys[0], 3);
	assert_int_equal(keys[1], 1);
	assert_int_equal(keys[2], 2);
	assert_ptr_equal(list_entry(head.prev, struct item, link), &b);
}

static void test_del_anywhere(void **unused)
{
	struct list_node head;
	list_init(&head);
	struct item it[4];
	for (int i = 0; i < 4; i++) {
		it[i].key = i;
		list_add_tail(&head, &it[i].link);
	}
	list_del(&it[1].link); /* middle */
	list_del(&it[3].link); /* last */
	list_del(&it[0].link); /* first */
	/* An unlinked node is on no list: unlinking it again changes nothing. */
	assert_ptr_equal(it[0].link.next, &it[0].link);
	list_del(&it[0].link);
	int keys[4];
	assert_int_equal(keys_of(&head, keys, 4), 1);
	assert_int_equal(keys[0], 2);
	list_del(&it[2].link);
	assert_true(list_empty(&head));
}

static void test_safe_walk_removes(void **unused)
{
	struct list_node head, other;
	list_init(&head);
	list_init(&other);
	struct item it[5];
	for (int i = 0; i < 5; i++) {
		it[i].key = i;
		list_add_tail(&head, &it[i].link);
	}
	/* The odd ones move to another list during the walk, as a closed
	 * connection moves from a loop's list to its graveyard. */
	struct list_node *pos, *tmp;
	unsigned visited = 0;
	list_for_each_safe(pos, tmp, &head)
	{
		struct item *x = list_entry(pos, struct item, link);
		visited++;
		if (x->key % 2) {
			list_del(&x->link);
			list_add_tail(&other, &x->link);
		}
	}
	assert_int_equal(visited, 5);
	int keys[5];
	assert_int_equal(keys_of(&head, keys, 5), 3);
	assert_int_equal(keys[0], 0);
	assert_int_equal(keys[1], 2);
	assert_int_equal(keys[2], 4);
	assert_int_equal(keys_of(&other, keys, 5), 2);
	assert_int_equal(keys[0], 1);
	assert_int_equal(keys[1], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_order_of_adds),
		cmocka_unit_test(test_del_anywhere),
		cmocka_unit_test(test_safe_walk_removes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
