/* An intrusive hash table with chaining, keyed by the caller's hash.
 *
 * The caller embeds a struct hashtable_node in its object, computes a
 * 64-bit hash of its key (keyed with siphash where a peer chooses the key,
 * so that nobody can aim at one bucket) and compares keys itself while
 * walking the nodes with that hash.  The table never allocates on lookup or
 * removal; an insert may grow the bucket array (doubling when there are as
 * many entries as buckets), and a failed growth only leaves chains longer.
 *
 * Ownership: the table owns its bucket array only.  Nodes belong to the
 * caller, who must remove (or stop using) them before freeing the objects;
 * hashtable_fini does not touch them.
 *
 * Locking: none.  The caller serialises every call on one table; lookups
 * may run concurrently with each other only when nothing inserts or
 * removes meanwhile. */
#ifndef FERRY_CORE_HASHTABLE_H
#define FERRY_CORE_HASHTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/container_of.h"

struct hashtable_node {
	struct hashtable_node *next;
	uint64_t hash;
};

struct hashtable {
	struct hashtable_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

/* Sets up an empty table with at least nbuckets buckets (rounded up to a
 * power of two, at least 8).  Returns 0 or -ENOMEM. */
int hashtable_init(struct hashtable *t, size_t nbuckets);

/* Frees the bucket array; the nodes still in the table are left alone. */
void hashtable_fini(struct hashtable *t);

/* Adds n under hash.  Equal hashes and equal keys are allowed: lookups
 * see the most recently inserted first.  n must not be in a table. */
void hashtable_insert(struct hashtable *t, struct hashtable_node *n, uint64_t hash);

/* Takes n out of the table; a node that is not in it is ignored.  Walks
 * n's chain: as cheap as a lookup. */
void hashtable_remove(struct hashtable *t, struct hashtable_node *n);

static inline size_t hashtable_count(const struct hashtable *t) { return t->count; }

/* The first node with this hash, then the next one after n; NULL at the end. */
static inline struct hashtable_node *hashtable_next_hash(struct hashtable_node *n, uint64_t hash)
{
	while (n && n->hash != hash)
		n = n->next;
	return n;
}

static inline struct hashtable_node *hashtable_first_hash(const struct hashtable *t,
							  uint64_t hash)
{
	return hashtable_next_hash(t->buckets[hash & (t->nbuckets - 1)], hash);
}

/* Walks the nodes inserted with hash h (the caller compares keys).  Nothing
 * may be inserted or removed during the walk; break out after a change. */
#define hashtable_for_each_hash(pos, t, h) \
	for (pos = hashtable_first_hash(t, h); pos; pos = hashtable_next_hash(pos->next, h))

/* The object a node is embedded in. */
#define hashtable_entry(ptr, type, member) container_of(ptr, type, member)

/* A walk over every node, in no particular order.  The node last returned
 * may be removed (or freed after removal, or freed when the table is about
 * to be finalised); nothing else may be inserted or removed during the
 * walk. */
struct hashtable_iter {
	const struct hashtable *t;
	size_t bucket;
	struct hashtable_node *next;
};

struct hashtable_node *hashtable_iter_first(struct hashtable_iter *it, const struct hashtable *t);
struct hashtable_node *hashtable_iter_next(struct hashtable_iter *it);

#endif
