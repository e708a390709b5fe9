#include "rpc/record.h"

#include <string.h>

#include "xdr/xdr.h"

void rpc_record_reader_init(struct rpc_record_reader *r, uint32_t max_record)
{
	memset(r, 0, sizeof(*r));
	r->max_record = max_record;
}

void rpc_record_reader_destroy(struct rpc_record_reader *r)
{
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
					return NULL;
				r->in = g;
			}
		} else {
			/* Records handed out still point into a shared buffer:
			 * start a fresh one, carrying over the unconsumed
			 * tail. */
			struct buf *n = buf_new(want);
			if (!n)
				return NULL;
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
	*avail = r->in->cap - r->in->len;
	return r->in->data + r->in->len;
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
