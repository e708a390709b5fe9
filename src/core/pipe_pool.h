/* Pipes for moving file data without copying it through user space.
 *
 * splice(2) moves page references between a file or a socket and a pipe:
 * a READ's data goes file -> pipe -> socket and a WRITE's socket -> pipe ->
 * file, and neither passes through a buffer of ours.  A pipe that can hold
 * one maximal I/O is expensive to make (two descriptors and a resize), so
 * pipes are kept in a pool and reused.
 *
 * A pipe is taken empty and must be put back empty to be reused: one put
 * back with bytes in it (a reply whose connection closed mid-send) is
 * closed, never drained, so no byte of one request reaches another. */
#ifndef FERRY_CORE_PIPE_POOL_H
#define FERRY_CORE_PIPE_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct pipe_pool;

struct pooled_pipe {
	int rd, wr;      /* its two ends, both non-blocking */
	size_t capacity; /* bytes it holds without blocking (its size) */
	size_t held;     /* bytes in it, kept up to date by whoever splices */
	struct pooled_pipe *next_idle;
};

/* A pool of pipes of `bytes` each (rounded up by the kernel; a smaller size
 * when the kernel refuses that one), at most `max_pipes` open at once (each
 * costs two descriptors) and at most `max_idle` of them kept when unused.
 * Returns NULL when out of memory. */
struct pipe_pool *pipe_pool_create(size_t bytes, unsigned max_pipes, unsigned max_idle);

/* Closes the idle pipes and frees the pool; every pipe must be back. */
void pipe_pool_destroy(struct pipe_pool *pool);

/* An empty pipe, or NULL when the pool is at its limit or the process is
 * out of descriptors: the caller then copies as it would without one. */
struct pooled_pipe *pipe_pool_get(struct pipe_pool *pool);

/* Gives a pipe back: kept for reuse when empty (held == 0), else closed. */
void pipe_pool_put(struct pipe_pool *pool, struct pooled_pipe *p);

/* Pipes open now (in use and idle), and pipes refused at the limit since
 * the start: for the metrics. */
unsigned pipe_pool_open(struct pipe_pool *pool);
unsigned long pipe_pool_refused(struct pipe_pool *pool);

#endif
