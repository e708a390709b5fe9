#include "core/hashtable.h"

#include <errno.h>
#include <stdlib.h>

enum { HASHTABLE_MIN_BUCKETS = 8 };

int hashtable_init(struct hashtable *t, size_t nbuckets)
{
	size_t n = HASHTABLE_MIN_BUCKETS;

	while (n < nbuckets && n < ((size_t)1 << (sizeof(size_t) * 8 - 2)))
		n *= 2;
	t->count = 0;
	t->nbuckets = n;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		t->nbuckets = 0;
		return -ENOMEM;
	}
	return 0;
}

void hashtable_fini(struct hashtable *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = 0;
	t->count = 0;
}

static void hashtable_grow(struct hashtable *t)
{
	size_t nb = t->nbuckets * 2;
	struct hashtable_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* lookups stay correct, only slower */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct hashtable_node *n = t->buckets[i];

		while (n) {
			struct hashtable_node *next = n->next;

			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

void hashtable_insert(struct hashtable *t, struct hashtable_node *n, uint64_t hash)
{
	struct hashtable_node **head;

	if (t->count >= t->nbuckets)
		hashtable_grow(t);
	n->hash = hash;
	head = &t->buckets[hash & (t->nbuckets - 1)];
	n->next = *head;
	*head = n;
	t->count++;
}

void hashtable_remove(struct hashtable *t, struct hashtable_node *n)
{
	for (struct hashtable_node **pp = &t->buckets[n->hash & (t->nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->count--;
			return;
		}
	}
}

/* The first node at or after bucket it->bucket, advancing it->bucket. */
static struct hashtable_node *hashtable_iter_scan(struct hashtable_iter *it)
{
	for (; it->bucket < it->t->nbuckets; it->bucket++) {
		struct hashtable_node *n = it->t->buckets[it->bucket];

		if (n) {
			it->bucket++;
			return n;
		}
	}
	return NULL;
}

struct hashtable_node *hashtable_iter_first(struct hashtable_iter *it, const struct hashtable *t)
{
	it->t = t;
	it->bucket = 0;
	it->next = NULL;
	return hashtable_iter_next(it);
}

struct hashtable_node *hashtable_iter_next(struct hashtable_iter *it)
{
	struct hashtable_node *n = it->next;

	if (!n)
		n = hashtable_iter_scan(it);
	/* Read ahead so the caller may unlink or free n before asking again. */
	it->next = n ? n->next : NULL;
	return n;
}
