/* Inside the NFSv4 codec (not for its users): the struct xdr_stream forms
 * of the NFSv4 pieces every operation shares, and the macro that turns one
 * description `static bool xdr_T(struct xdr_stream *, struct nfs4_T *)`
 * into the public pair nfs4_enc_T / nfs4_dec_T. */
#ifndef FERRY_XDR_NFS4_CODEC_STREAM_H
#define FERRY_XDR_NFS4_CODEC_STREAM_H

#include "xdr/nfs4_codec.h"
#include "xdr/xdr_stream.h"

/* The public encoder takes a const struct and the description a mutable
 * one: casting the const away is sound because on XDR_ENC a description
 * only reads through the pointer (every write is under xdr_is_dec), so
 * even a struct in read-only memory encodes. */
#define NFS4_CODEC_PAIR(name, type)                                                \
	bool nfs4_enc_##name(struct xdr_enc *e, const type *v)                     \
	{                                                                          \
		struct xdr_stream x = XDR_ENC_STREAM(e);                           \
		return xdr_##name(&x, (type *)v);                                  \
	}                                                                          \
	bool nfs4_dec_##name(struct xdr_dec *d, type *v)                           \
	{                                                                          \
		struct xdr_stream x = XDR_DEC_STREAM(d);                           \
		return xdr_##name(&x, v);                                          \
	}

/* A description that is one expression over x and v, with its public pair:
 * most wire types read best this way, next to each other like the RFC's
 * XDR. */
#define NFS4_CODEC_TYPE(name, type, v, expr)                                       \
	static bool xdr_##name(struct xdr_stream *x, type *v) { return expr; }     \
	NFS4_CODEC_PAIR(name, type)

static inline bool xdr_opaque(struct xdr_stream *x, uint32_t max, struct nfs4_opaque *o)
{
	return xdr_bytes(x, max, &o->data, &o->len);
}

/* component4, xattrkey4: bounded by the record only (see
 * xdr/nfs4_codec_file.h: a long name is the handler's NFS4ERR_NAMETOOLONG). */
static inline bool xdr_component(struct xdr_stream *x, struct nfs4_opaque *name)
{
	return xdr_opaque(x, UINT32_MAX, name);
}

/* Owners, an ACE's who, netloc4 strings: opaque<NFS4_OPAQUE_LIMIT>. */
static inline bool xdr_bounded_str(struct xdr_stream *x, struct nfs4_opaque *s)
{
	return xdr_opaque(x, NFS4_OPAQUE_LIMIT, s);
}

/* nfs_fh4 */
static inline bool xdr_fh(struct xdr_stream *x, struct nfs4_opaque *fh)
{
	return xdr_opaque(x, NFS4_FHSIZE, fh);
}

static inline bool xdr_verifier(struct xdr_stream *x, struct nfs4_verifier *v)
{
	return xdr_fixed(x, NFS4_VERIFIER_SIZE, v->data);
}

/* One bounds check for the 16 bytes: stateids are on most requests. */
static inline bool xdr_stateid(struct xdr_stream *x, struct nfs4_stateid *s)
{
	uint8_t *p = xdr_span(x, 4 + NFS4_OTHER_SIZE);
	if (!p)
		return false;
	xdr_span_u32(x, &p, &s->seqid);
	xdr_span_fixed(x, &p, NFS4_OTHER_SIZE, s->other);
	return true;
}

/* The two directions differ by design: encoding drops trailing zero words,
 * decoding accepts any count and reports bits past the known words through
 * *extra (which encoding ignores). */
static inline bool xdr_bitmap(struct xdr_stream *x, struct nfs4_bitmap *b, bool *extra)
{
	return xdr_is_enc(x) ? nfs4_encode_bitmap(x->e, b) : nfs4_decode_bitmap(x->d, b, extra);
}

/* Several bitmaps feeding one `extra` flag: ORs each one's into *extra. */
static inline bool xdr_bitmap_or(struct xdr_stream *x, struct nfs4_bitmap *b, bool *extra)
{
	bool more = false;
	if (!xdr_bitmap(x, b, &more))
		return false;
	if (xdr_is_dec(x))
		*extra = *extra || more;
	return true;
}

/* nfstime4 */
static inline bool xdr_time(struct xdr_stream *x, struct timespec *ts)
{
	uint64_t sec = xdr_is_enc(x) ? (uint64_t)(int64_t)ts->tv_sec : 0;
	uint32_t nsec = xdr_is_enc(x) ? (uint32_t)ts->tv_nsec : 0;
	if (!xdr_u64(x, &sec) || !xdr_u32(x, &nsec))
		return false;
	if (xdr_is_dec(x)) {
		ts->tv_sec = (time_t)(int64_t)sec;
		ts->tv_nsec = nsec;
	}
	return true;
}

bool xdr_change_info(struct xdr_stream *x, struct nfs4_change_info *ci);
bool xdr_ace(struct xdr_stream *x, struct nfs4_ace *a);
bool xdr_fattr_raw(struct xdr_stream *x, struct nfs4_fattr_raw *f);

/* Pieces one file family describes and another uses. */
struct nfs4_sessionid;
struct nfs4_state_owner;
struct nfs4_open_delegation;
struct nfs4_write_response;
bool xdr_sessionid(struct xdr_stream *x, struct nfs4_sessionid *s);
bool xdr_write_response(struct xdr_stream *x, struct nfs4_write_response *w);
bool xdr_state_owner(struct xdr_stream *x, struct nfs4_state_owner *o);
bool xdr_open_delegation(struct xdr_stream *x, struct nfs4_open_delegation *g);

/* A variable-length list (struct nfs4_list in xdr/nfs4_codec_session.h):
 * the one place where the directions differ in shape.  Encoding writes
 * `items` (count of them, `size` bytes apart) through `item`, or, when
 * items is NULL, the wire bytes of a decoded list.  Decoding checks every
 * item with `item` into scratch and keeps the list in place. */
struct nfs4_list;
typedef bool xdr_item_fn(struct xdr_stream *x, void *item);

/* xdr_NAME_item: xdr_NAME as an xdr_item_fn. */
#define XDR_ITEM(name)                                                             \
	static bool xdr_##name##_item(struct xdr_stream *x, void *v) { return xdr_##name(x, v); }
bool xdr_list(struct xdr_stream *x, uint32_t max, struct nfs4_list *l, const void *items,
	      size_t size, xdr_item_fn *item, void *scratch);

/* xdr_NAME_item and xdr_NAME_list(x, l, &items): a list of struct nfs4_NAME
 * (bounded by the record) kept as struct nfs4_list with the `items` to
 * encode next to it, which a decode sets to NULL.  One per item type, so
 * every list of it is described the same way. */
#define XDR_LIST_OF(name)                                                          \
	XDR_ITEM(name)                                                             \
	static bool xdr_##name##_list(struct xdr_stream *x, struct nfs4_list *l,   \
				      const struct nfs4_##name **items)            \
	{                                                                          \
		struct nfs4_##name scratch;                                        \
		if (xdr_is_dec(x))                                                 \
			*items = NULL;                                             \
		return xdr_list(x, UINT32_MAX, l, *items, sizeof(scratch),         \
				xdr_##name##_item, &scratch);                      \
	}

/* A list of items of wire_size bytes each (stateids, statuses, referring
 * calls): decoded as a pointer to its bytes, which the _get accessors read
 * through xdr_fixed_item; encoded from those bytes or, when items (size
 * bytes apart) are given, through item. */
static inline bool xdr_fixed_list(struct xdr_stream *x, uint32_t *count, size_t wire_size,
				  const uint8_t **wire, const void *items, size_t size,
				  xdr_item_fn *item)
{
	if (!xdr_u32(x, count))
		return false;
	if (xdr_is_dec(x) && *count > xdr_dec_remaining(x->d) / wire_size)
		return false;
	if (xdr_is_dec(x) || !items)
		return xdr_fixed_ref(x, (size_t)*count * wire_size, wire);
	for (uint32_t i = 0; i < *count; i++)
		/* Encoding only reads the item. */
		if (!item(x, (void *)((uintptr_t)items + i * size)))
			return false;
	return true;
}

/* The i-th item of such a list, from items or decoded from the wire (which
 * the list's decoding has bounds-checked). */
static inline void xdr_fixed_item(const void *items, size_t size, const uint8_t *wire,
				  size_t wire_size, uint32_t i, xdr_item_fn *item, void *out)
{
	if (items) {
		memcpy(out, (const uint8_t *)items + (size_t)i * size, size);
		return;
	}
	struct xdr_dec d;
	xdr_dec_init(&d, wire + (size_t)i * wire_size, wire_size);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	item(&x, out);
}

/* Decodes count items with item into scratch and leaves *span over them,
 * for a walk that cannot fail afterwards (READ_PLUS, LISTXATTRS). */
static inline bool xdr_dec_span(struct xdr_stream *x, uint32_t count, xdr_item_fn *item,
				void *scratch, struct xdr_dec *span)
{
	*span = *x->d;
	for (uint32_t i = 0; i < count; i++)
		if (!item(x, scratch))
			return false;
	span->end = x->d->p;
	return true;
}

#endif
