/* The memory back end's NFSv4.2 data calls, and the block map that makes
 * its files sparse the way a file system's are: space, holes, clones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/memory/memory_internal.h"

static bool block_held(const struct mem_node *n, uint64_t b)
{
	return b < n->nblocks && (n->blocks[b / 8] >> (b % 8) & 1);
}

static void block_set(struct mem_node *n, uint64_t b, bool held)
{
	if (held)
		n->blocks[b / 8] |= (uint8_t)(1u << (b % 8));
	else if (b < n->nblocks)
		n->blocks[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/* Room in the map for block b. */
static int map_reserve(struct mem_node *n, uint64_t b)
{
	if (b < n->nblocks)
		return 0;
	size_t bytes = n->nblocks / 8, want = bytes ? bytes : 8;
	while (want * 8 <= b)
		want *= 2;
	uint8_t *p = realloc(n->blocks, want);
	if (!p)
		return -ENOSPC;
	memset(p + bytes, 0, want - bytes);
	n->blocks = p;
	n->nblocks = want * 8;
	return 0;
}

int mem_space_fill(struct mem_node *n, uint64_t off, uint64_t len)
{
	uint64_t first = off / MEM_BLOCK, last = (off + len - 1) / MEM_BLOCK;
	int r = map_reserve(n, last);
	if (r != 0)
		return r;
	for (uint64_t b = first; b <= last; b++)
		block_set(n, b, true);
	return 0;
}

void mem_space_truncate(struct mem_node *n, uint64_t size)
{
	for (uint64_t b = (size + MEM_BLOCK - 1) / MEM_BLOCK; b < n->nblocks; b++)
		block_set(n, b, false);
}

uint64_t mem_space_used(const struct mem_node *n)
{
	uint64_t held = 0;
	for (size_t i = 0; i < n->nblocks / 8; i++)
		held += (uint64_t)__builtin_popcount(n->blocks[i]);
	return held * MEM_BLOCK;
}

/* As fallocate mode 0: the size grows to the end of the range. */
static int space_reserve(struct mem_export *ex, struct mem_node *n, uint64_t off, uint64_t len)
{
	int r = 0;

	if (off > mem_file_max() || len > mem_file_max() - off)
		return -EFBIG;
	if (off + len > n->size)
		r = mem_resize(ex, n, off + len);
	return r != 0 ? r : mem_space_fill(n, off, len);
}

/* As FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: the bytes read as zeros;
 * blocks wholly inside the range give their space back, partial ones keep
 * it (the kernel zeroes partial blocks); the size stays. */
static int space_punch_hole(struct mem_export *ex, struct mem_node *n, uint64_t off, uint64_t len)
{
	(void)ex;
	if (off >= n->size)
		return 0;
	uint64_t end = len > n->size - off ? n->size : off + len;
	memset(n->data + off, 0, end - off);
	uint64_t first = (off + MEM_BLOCK - 1) / MEM_BLOCK;
	/* The block holding the end of the file counts as wholly inside when
	 * the range reaches that end. */
	uint64_t stop = end == n->size ? (end + MEM_BLOCK - 1) / MEM_BLOCK : end / MEM_BLOCK;
	for (uint64_t b = first; b < stop; b++)
		block_set(n, b, false);
	return 0;
}

/* ALLOCATE and DEALLOCATE: the checks of a write, the change on the range
 * (len > 0), then what a write does to the file (local_space's order). */
int mem_space(struct backend_export *bex, const struct backend_cred *cred,
	      const struct backend_handle *h, uint64_t off, uint64_t len, enum backend_space what)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	if (len == 0)
		return -EINVAL;
	pthread_mutex_lock(&ex->lock);
	int r = mem_file_access(ex, cred, h, true, &n);
	if (r == 0)
		r = what == BACKEND_SPACE_DEALLOCATE ? space_punch_hole(ex, n, off, len)
						     : space_reserve(ex, n, off, len);
	if (r == 0) {
		mem_kill_suid(cred, n);
		mem_touch(ex, n, MEM_TOUCH_MTIME);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_seek(struct backend_export *bex, const struct backend_cred *cred,
	     const struct backend_handle *h, uint64_t off, enum backend_seek what, uint64_t *out)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	pthread_mutex_lock(&ex->lock);
	int r = mem_file_access(ex, cred, h, false, &n);
	if (r == 0 && off >= n->size)
		r = -ENXIO;
	if (r == 0) {
		bool want = what == BACKEND_SEEK_DATA;
		uint64_t b = off / MEM_BLOCK, pos = off;
		while (pos < n->size && block_held(n, b) != want) {
			b++;
			pos = b * MEM_BLOCK;
		}
		/* The end of the file is a hole; past it there is no data. */
		if (pos >= n->size) {
			pos = n->size;
			if (want)
				r = -ENXIO;
		}
		*out = pos;
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_clone(struct backend_export *bex, const struct backend_cred *cred,
	      const struct backend_handle *src, uint64_t src_off, const struct backend_handle *dst,
	      uint64_t dst_off, uint64_t len)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *s, *d;
	pthread_mutex_lock(&ex->lock);
	int r = mem_file_access(ex, cred, src, false, &s);
	if (r == 0)
		r = mem_file_access(ex, cred, dst, true, &d);
	if (r == 0 && (src_off > s->size || len > s->size - src_off))
		r = -EINVAL;
	if (r == 0 && (dst_off > mem_file_max() || len > mem_file_max() - dst_off))
		r = -EFBIG;
	if (r != 0 || len == 0)
		goto out;
	if (dst_off + len > d->size && (r = mem_resize(ex, d, dst_off + len)) != 0)
		goto out;
	/* Copies, where a file system would share: the same bytes and the
	 * same holes.  The caller aligned the ranges to MEM_BLOCK (but for
	 * a range that ends at the source's end). */
	memmove(d->data + dst_off, s->data + src_off, len);
	uint64_t nb = (len + MEM_BLOCK - 1) / MEM_BLOCK;
	if ((r = map_reserve(d, dst_off / MEM_BLOCK + nb)) != 0)
		goto out;
	/* Block by block in the direction that leaves an overlapping source
	 * unread when it is the destination too. */
	uint64_t sb = src_off / MEM_BLOCK, db = dst_off / MEM_BLOCK;
	for (uint64_t i = 0; i < nb; i++) {
		uint64_t k = db > sb ? nb - 1 - i : i;
		block_set(d, db + k, block_held(s, sb + k));
	}
	mem_kill_suid(cred, d);
	mem_touch(ex, d, MEM_TOUCH_MTIME);
out:
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_advise(struct backend_export *bex, const struct backend_handle *h, uint64_t off,
	       uint64_t len, enum backend_advice advice)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	pthread_mutex_lock(&ex->lock);
	int r = mem_file_find(ex, h, &n);
	pthread_mutex_unlock(&ex->lock);
	/* Memory has no cache to steer: no advice is taken. */
	return r != 0 ? r : -EOPNOTSUPP;
}
