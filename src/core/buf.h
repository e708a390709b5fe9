/* Refcounted byte buffers.
 *
 * A buf is one allocation holding a header and its bytes.  Buffers that cross
 * threads (a received record handed to a worker, a reply queued on a
 * connection) are shared by reference count, never copied. */
#ifndef FERRY_CORE_BUF_H
#define FERRY_CORE_BUF_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	atomic_uint refs;
	size_t cap;   /* bytes available in data[], as asked */
	size_t len;   /* bytes in use, owner-managed */
	size_t alloc; /* bytes data[] has (a kept buffer may have more than cap) */
	uint8_t data[];
};

/* Returns a new buffer with one reference and len 0, or NULL when out of
 * memory.  The caller owns the reference. */
struct buf *buf_new(size_t cap);

/* Takes another reference; returns b for convenience. */
struct buf *buf_ref(struct buf *b);

/* Drops one reference; frees the buffer with the last one.  NULL is a no-op. */
void buf_unref(struct buf *b);

/* Resizes a buffer that has exactly one reference, keeping data[0..len).
 * Returns the (possibly moved) buffer, or NULL on failure, in which case
 * the original is still valid. */
struct buf *buf_grow(struct buf *b, size_t cap);

/* Gives the large buffers kept for reuse back to the allocator (after a
 * burst: they are kept while buffers of their size come and go). */
void buf_drop_kept(void);
/* The bytes the kept buffers hold. */
size_t buf_kept_bytes(void);

/* Gives back the unused capacity of a buffer that has exactly one
 * reference (cap becomes len).  Returns the (possibly moved) buffer; on
 * failure the original, unchanged. */
struct buf *buf_trim(struct buf *b);

#endif
