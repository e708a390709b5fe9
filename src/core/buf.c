#include "core/buf.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Large buffers (a 1 MiB READ's reply, a WRITE's record) are kept for the
 * next one instead of going back to the allocator.  glibc gives the top of
 * an arena back to the kernel once it passes the trim threshold, and the
 * next buffer then faults in and zeroes every page again: under ferry-bench
 * read1m, runs where that happened took 100,000 page faults in 4 s and
 * 510-550 us of server CPU per READ, against 9,000 and 380 us when it did
 * not.  At most BUF_KEEP_COUNT of them and BUF_KEEP_BYTES in all are kept
 * (their memory is the price, counted in no budget); after a burst
 * buf_drop_kept gives them back with the rest. */
enum {
	BUF_KEEP_MIN = 256 * 1024,
	BUF_KEEP_MAX = 4 << 20,
	BUF_KEEP_COUNT = 32,
	BUF_KEEP_BYTES = 32 << 20,
};
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf *kept[BUF_KEEP_COUNT];
static unsigned nkept;
static size_t kept_bytes;

static bool keepable(size_t cap) { return cap >= BUF_KEEP_MIN && cap <= BUF_KEEP_MAX; }

/* A kept buffer of at least cap bytes, or NULL.  Its cap is set to what
 * was asked (the record reader, say, grows its buffer step by step and
 * counts on getting no more room than it asked for). */
static struct buf *take_kept(size_t cap)
{
	struct buf *b = NULL;
	pthread_mutex_lock(&keep_lock);
	for (unsigned i = nkept; i-- > 0;) {
		if (kept[i]->alloc >= cap) {
			b = kept[i];
			kept[i] = kept[--nkept];
			kept_bytes -= b->alloc;
			break;
		}
	}
	pthread_mutex_unlock(&keep_lock);
	return b;
}

/* Keeps b for a later buffer; false when there is no room. */
static bool keep(struct buf *b)
{
	if (!keepable(b->alloc))
		return false;
	pthread_mutex_lock(&keep_lock);
	bool room = nkept < BUF_KEEP_COUNT && kept_bytes + b->alloc <= BUF_KEEP_BYTES;
	if (room) {
		kept[nkept++] = b;
		kept_bytes += b->alloc;
	}
	pthread_mutex_unlock(&keep_lock);
	return room;
}

void buf_drop_kept(void)
{
	pthread_mutex_lock(&keep_lock);
	unsigned n = nkept;
	struct buf *drop[BUF_KEEP_COUNT];
	memcpy(drop, kept, n * sizeof(drop[0]));
	nkept = 0;
	kept_bytes = 0;
	pthread_mutex_unlock(&keep_lock);
	for (unsigned i = 0; i < n; i++)
		free(drop[i]);
}

size_t buf_kept_bytes(void)
{
	pthread_mutex_lock(&keep_lock);
	size_t n = kept_bytes;
	pthread_mutex_unlock(&keep_lock);
	return n;
}

struct buf *buf_new(size_t cap)
{
	struct buf *b = keepable(cap) ? take_kept(cap) : NULL;
	if (!b) {
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->alloc = cap;
	}
	b->cap = cap;
	atomic_init(&b->refs, 1);
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
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1 && !keep(b))
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
	n->cap = n->alloc = n->len;
	return n;
}

struct buf *buf_grow(struct buf *b, size_t cap)
{
	assert(atomic_load(&b->refs) == 1);
	if (cap <= b->cap)
		return b;
	if (cap <= b->alloc) { /* a kept buffer handed out smaller than it is */
		b->cap = cap;
		return b;
	}
	struct buf *n = keepable(cap) ? take_kept(cap) : NULL;
	if (n) {
		memcpy(n->data, b->data, b->len);
		n->cap = cap;
		n->len = b->len;
		atomic_init(&n->refs, 1);
		if (!keep(b))
			free(b);
		return n;
	}
	n = realloc(b, sizeof(*b) + cap);
	if (!n)
		return NULL;
	n->cap = n->alloc = cap;
	return n;
}
