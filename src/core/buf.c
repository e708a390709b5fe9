#include "core/buf.h"

#include <assert.h>
#include <stdlib.h>

struct buf *buf_new(size_t cap)
{
	struct buf *b = malloc(sizeof(*b) + cap);
	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->cap = cap;
	b->len = 0;
	return b;
}

struct buf *buf_ref(struct buf *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void buf_unref(struct buf *b)
{
	if (!b)
		return;
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

struct buf *buf_trim(struct buf *b)
{
	assert(atomic_load(&b->refs) == 1);
	if (b->len == b->cap)
		return b;
	/* Shrinking is done in place by the allocator in practice. */
	struct buf *n = realloc(b, sizeof(*b) + b->len);
	if (!n)
		return b;
	n->cap = n->len;
	return n;
}

struct buf *buf_grow(struct buf *b, size_t cap)
{
	assert(atomic_load(&b->refs) == 1);
	if (cap <= b->cap)
		return b;
	struct buf *n = realloc(b, sizeof(*b) + cap);
	if (!n)
		return NULL;
	n->cap = cap;
	return n;
}
