/* An intrusive doubly linked list with a sentinel head.
 *
 * The caller embeds a struct list_node in its object (one per list it can
 * be on) and keeps one struct list_node as the head of each list.  The
 * list is circular through the head, so adding and unlinking need no
 * special case for the ends and an object can leave its list in O(1)
 * without knowing which list that is.  A node that is on no list points
 * to itself (list_init, and list_del leaves it so).
 *
 * Ownership: none; nodes belong to the caller.  Locking: none; the caller
 * serialises every change to one list. */
#ifndef FERRY_CORE_LIST_H
#define FERRY_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/container_of.h"

struct list_node {
	struct list_node *prev, *next;
};

static inline void list_init(struct list_node *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct list_node *l) { return l->next == l; }

/* Adds n at the end of the list whose head is head (the oldest stays first). */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	n->next = head;
	n->prev = head->prev;
	head->prev->next = n;
	head->prev = n;
}

/* Adds n at the front (the newest first). */
static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_add_tail(head->next, n); /* before the first node */
}

/* Takes n out of its list; n is then on none. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* How many nodes the list holds (a walk). */
static inline size_t list_count(const struct list_node *head)
{
	size_t n = 0;
	for (const struct list_node *p = head->next; p != head; p = p->next)
		n++;
	return n;
}

/* The object a node is embedded in. */
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* Walks the objects on the list: var, declared here as a type *, is each
 * in turn.  Nothing may be unlinked during the walk (list_for_each_safe). */
#define list_for_each_entry(var, head, type, member)                                   \
	for (type *var = list_entry((head)->next, type, member); &var->member != (head); \
	     var = list_entry(var->member.next, type, member))

/* Walks the list; pos may be unlinked (and freed) during the walk, nothing
 * else may. */
#define list_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
