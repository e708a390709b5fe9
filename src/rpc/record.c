#include "rpc/record.h"

#include <string.h>

#include "xdr/xdr.h"

void rpc_record_reader_init(struct rpc_record_reader *r, uint32_t max_record)
{
	memset(r, 0, sizeof(*r));
	r->max_record = max_record;
}

void rpc_record_reader_release_pipe(struct rpc_record_reader *r)
{
	if (r->pipe)
		pipe_pool_put(r->pipes, r->pipe); /* closed: it holds bytes */
	r->pipe = NULL;
	r->bulk = RPC_RECORD_BULK_NONE;
}

void rpc_record_reader_destroy(struct rpc_record_reader *r)
{
	rpc_record_reader_release_pipe(r);
	buf_unref(r->in);
	buf_unref(r->assembly);
	r->in = r->assembly = NULL;
}

static size_t buffered(const struct rpc_record_reader *r)
{
	return r->in ? r->in->len - r->start : 0;
}

/* Bytes the current fragment needs contiguously (header included), or 0 if
 * its header has not arrived. */
static size_t fragment_need(const struct rpc_record_reader *r)
{
	if (buffered(r) < 4)
		return 0;
	uint32_t mark = xdr_get_be32(r->in->data + r->start);
	return 4 + (size_t)(mark & RPC_RECORD_LEN_MASK);
}

/* Makes the input buffer ours alone with room for want bytes from the
 * unconsumed ones, which move to its front when it must change. */
static bool make_room(struct rpc_record_reader *r, size_t want)
{
	size_t have = buffered(r);
	bool shared = r->in && atomic_load(&r->in->refs) > 1;
	if (!r->in || shared || r->in->cap - r->start < want) {
		if (r->in && !shared) {
			/* Ours alone: move the unconsumed tail to the front and
			 * grow in place if that is not room enough. */
			memmove(r->in->data, r->in->data + r->start, have);
			r->in->len = have;
			r->start = 0;
			if (r->in->cap < want) {
				struct buf *g = buf_grow(r->in, want);
				if (!g)
					return false;
				r->in = g;
			}
		} else {
			/* Records handed out still point into a shared buffer:
			 * start a fresh one, carrying over the unconsumed
			 * tail. */
			struct buf *n = buf_new(want);
			if (!n)
				return false;
			if (have)
				memcpy(n->data, r->in->data + r->start, have);
			buf_unref(r->in);
			r->in = n;
			r->in->len = have;
			r->start = 0;
		}
	} else if (r->start > 0 && r->in->len == r->in->cap) {
		memmove(r->in->data, r->in->data + r->start, have);
		r->in->len = have;
		r->start = 0;
	}
	return true;
}

/* Where reading must stop for now (an index into in->data), or 0: at the
 * hole while it is being spliced; past a spliced record, and while
 * the next one is undecided after it, at the next record's first
 * RPC_RECORD_BULK_PREFIX bytes.  A large WRITE usually follows another:
 * reading ahead as usual would pull most of the next one's payload into
 * memory, the copy splicing is there to avoid. */
static size_t read_limit(const struct rpc_record_reader *r)
{
	if (r->bulk == RPC_RECORD_BULK_SPLICE) {
		if (r->hole_done < r->hole_len)
			return r->start + r->hole_start;
		return r->start + fragment_need(r) + 4 + RPC_RECORD_BULK_PREFIX;
	}
	if (r->bulk == RPC_RECORD_BULK_UNDECIDED && r->bulk_after)
		return r->start + 4 + RPC_RECORD_BULK_PREFIX;
	return 0;
}

uint8_t *rpc_record_read_space(struct rpc_record_reader *r, size_t *avail)
{
	size_t have = buffered(r);
	size_t need = fragment_need(r);
	/* An oversized fragment is refused by rpc_record_next before we get
	 * here again; never allocate for it. */
	if (need > (size_t)r->max_record + 4)
		need = 0;
	/* Room for the fragment grows with the bytes that arrived, doubling:
	 * a peer that announces a large fragment and sends little of it gets
	 * little memory, and one that sends it all costs a few reallocations
	 * (mremap for large buffers, no copy). */
	size_t want = RPC_RECORD_MIN_READ;
	if (need > want) {
		want = 2 * have > want ? 2 * have : want;
		if (want > need)
			want = need;
	}
	if (!make_room(r, want))
		return NULL;
	*avail = r->in->cap - r->in->len;
	size_t limit = read_limit(r);
	if (limit > r->in->len && limit - r->in->len < *avail)
		*avail = limit - r->in->len;
	return r->in->data + r->in->len;
}

static enum rpc_record_bulk decide(struct rpc_record_reader *r, enum rpc_record_bulk d)
{
	r->bulk = d;
	r->bulk_after = false;
	return d;
}

enum rpc_record_bulk rpc_record_plan_bulk(struct rpc_record_reader *r, rpc_record_bulk_fn fn,
					  void *arg)
{
	if (r->bulk != RPC_RECORD_BULK_UNDECIDED)
		return r->bulk;
	size_t have = buffered(r);
	if (!r->pipes)
		return decide(r, RPC_RECORD_BULK_NONE);
	if (have < 4)
		return RPC_RECORD_BULK_UNDECIDED;
	uint32_t mark = xdr_get_be32(r->in->data + r->start);
	size_t len = mark & RPC_RECORD_LEN_MASK;
	if (r->assembly || !(mark & RPC_RECORD_LAST_FRAG) || len < RPC_RECORD_BULK_MIN ||
	    len > r->max_record)
		return decide(r, RPC_RECORD_BULK_NONE);
	size_t arrived = have - 4 < len ? have - 4 : len;
	if (arrived < RPC_RECORD_BULK_PREFIX)
		return RPC_RECORD_BULK_UNDECIDED;
	size_t off, blen;
	if (!fn(arg, r->in->data + r->start + 4, arrived, len, &off, &blen) || off > len ||
	    blen > len - off)
		return decide(r, RPC_RECORD_BULK_NONE);
	/* What arrived already stays where it is. */
	size_t from = off > arrived ? off : arrived;
	size_t end = off + blen;
	if (end <= from || end - from < RPC_RECORD_BULK_MIN_HOLE)
		return decide(r, RPC_RECORD_BULK_NONE);
	struct pooled_pipe *p = pipe_pool_get(r->pipes);
	if (!p) {
		decide(r, RPC_RECORD_BULK_NONE); /* told once, read as usual */
		return RPC_RECORD_BULK_NO_PIPE;
	}
	/* Room up to the hole for now: the rest comes once the hole is
	 * spliced (hole_filled), so a peer that announces a large WRITE and
	 * sends little of it still pins little memory. */
	if (!make_room(r, 4 + from)) {
		pipe_pool_put(r->pipes, p);
		return decide(r, RPC_RECORD_BULK_NONE);
	}
	r->pipe = p;
	r->hole_start = 4 + from;
	r->hole_len = end - from < p->capacity ? end - from : p->capacity;
	r->hole_done = 0;
	r->bulk = RPC_RECORD_BULK_SPLICE;
	r->bulk_after = true;
	return r->bulk;
}

size_t rpc_record_splice_want(const struct rpc_record_reader *r, struct pooled_pipe **pipe)
{
	if (r->bulk != RPC_RECORD_BULK_SPLICE || r->hole_done == r->hole_len ||
	    buffered(r) != r->hole_start)
		return 0;
	*pipe = r->pipe;
	return r->hole_len - r->hole_done;
}

/* The hole is complete: the buffer grows to the whole record (and the next
 * one's start), copying only the bytes before the hole, and the hole's
 * bytes count as arrived, though they are never written. */
static bool hole_filled(struct rpc_record_reader *r)
{
	size_t len = fragment_need(r) - 4;
	if (!make_room(r, 4 + len + 4 + RPC_RECORD_BULK_PREFIX))
		return false;
	r->in->len += r->hole_len;
	return true;
}

bool rpc_record_spliced(struct rpc_record_reader *r, size_t n)
{
	r->pipe->held += n;
	r->hole_done += n;
	return r->hole_done < r->hole_len || hole_filled(r);
}

bool rpc_record_splice_stop(struct rpc_record_reader *r)
{
	r->hole_len = r->hole_done;
	r->bulk_after = false;
	if (r->hole_done)
		return hole_filled(r);
	pipe_pool_put(r->pipes, r->pipe);
	r->pipe = NULL;
	r->bulk = RPC_RECORD_BULK_NONE;
	return true;
}

void rpc_record_commit(struct rpc_record_reader *r, size_t n) { r->in->len += n; }

static bool assembly_append(struct rpc_record_reader *r, const uint8_t *p, size_t n)
{
	if (!r->assembly) {
		r->assembly = buf_new(n > 4096 ? n : 4096);
		if (!r->assembly)
			return false;
	}
	if (r->assembly->len + n > r->assembly->cap) {
		size_t cap = r->assembly->cap * 2;
		if (cap < r->assembly->len + n)
			cap = r->assembly->len + n;
		struct buf *g = buf_grow(r->assembly, cap);
		if (!g)
			return false;
		r->assembly = g;
	}
	memcpy(r->assembly->data + r->assembly->len, p, n);
	r->assembly->len += n;
	return true;
}

static void record_clear_hole(struct rpc_record *rec)
{
	rec->pipe = NULL;
	rec->pipe_pool = NULL;
	rec->hole_off = rec->hole_len = 0;
	rec->hole_lost = false;
}

enum rpc_record_status rpc_record_next(struct rpc_record_reader *r, struct rpc_record *out)
{
	for (;;) {
		if (buffered(r) < 4)
			return RPC_RECORD_NEED_MORE;
		const uint8_t *p = r->in->data + r->start;
		uint32_t mark = xdr_get_be32(p);
		uint32_t len = mark & RPC_RECORD_LEN_MASK;
		bool last = (mark & RPC_RECORD_LAST_FRAG) != 0;
		size_t so_far = r->assembly ? r->assembly->len : 0;
		if (len > r->max_record || so_far + len > r->max_record)
			return RPC_RECORD_TOO_BIG;
		if (buffered(r) < 4 + (size_t)len)
			return RPC_RECORD_NEED_MORE;
		r->start += 4 + (size_t)len;
		record_clear_hole(out);
		if (r->bulk == RPC_RECORD_BULK_SPLICE) {
			/* Complete: the hole goes with the record. */
			out->pipe = r->pipe;
			out->pipe_pool = r->pipes;
			out->hole_off = r->hole_start - 4;
			out->hole_len = r->hole_len;
			r->pipe = NULL;
		}
		r->bulk = RPC_RECORD_BULK_UNDECIDED;

		if (last && !r->assembly) {
			if (len == 0)
				return RPC_RECORD_EMPTY;
			out->buf = buf_ref(r->in);
			out->data = p + 4;
			out->len = len;
			return RPC_RECORD_READY;
		}
		if (len && !assembly_append(r, p + 4, len))
			return RPC_RECORD_NOMEM;
		if (!last)
			continue;
		if (!r->assembly) /* every fragment was empty */
			return RPC_RECORD_EMPTY;
		out->buf = r->assembly;
		out->data = r->assembly->data;
		out->len = r->assembly->len;
		r->assembly = NULL;
		return RPC_RECORD_READY;
	}
}

bool rpc_record_reader_idle(const struct rpc_record_reader *r)
{
	return buffered(r) == 0 && !r->assembly;
}

void rpc_record_reader_trim(struct rpc_record_reader *r)
{
	if (r->in && buffered(r) == 0) {
		buf_unref(r->in);
		r->in = NULL;
		r->start = 0;
	}
}

bool rpc_record_reader_handable(const struct rpc_record_reader *r)
{
	return !r->assembly && !r->pipe && r->bulk != RPC_RECORD_BULK_SPLICE;
}

size_t rpc_record_reader_unread(const struct rpc_record_reader *r, const uint8_t **p)
{
	*p = r->in ? r->in->data + r->start : NULL;
	return buffered(r);
}

bool rpc_record_reader_preload(struct rpc_record_reader *r, const uint8_t *p, size_t len)
{
	if (len == 0)
		return true;
	if (!make_room(r, buffered(r) + len))
		return false;
	memcpy(r->in->data + r->in->len, p, len);
	rpc_record_commit(r, len);
	return true;
}
