/* A direction-agnostic XDR cursor: one description of a wire type, written
 * as a sequence of xdr_u32 / xdr_u64 / xdr_bytes ... calls on a struct
 * xdr_stream, both encodes and decodes it, so the two directions cannot
 * drift apart.
 *
 * Every primitive tests x->op once.  Descriptions are static (and the hot
 * ones always inlined) and are called from wrappers that build the stream
 * with a constant op, so the compiler usually folds the test away; where it
 * does not, the branch is perfectly predictable.  No function pointer is
 * followed per field.
 *
 * Conventions the primitives keep from xdr.h: decoding is in place and
 * bounds-checked, a failed read returns false; encoding returns false once
 * the encoder has overflowed.  An encoder never checks a decoder's length
 * bound (max): the codec's tests build over-limit encodings with it to see
 * the decoders refuse them.  A description that must refuse a value on
 * encode says so with xdr_refuse. */
#ifndef FERRY_XDR_XDR_STREAM_H
#define FERRY_XDR_XDR_STREAM_H

#include "xdr/xdr.h"

enum xdr_op { XDR_ENC, XDR_DEC };

struct xdr_stream {
	enum xdr_op op;
	struct xdr_enc *e; /* XDR_ENC */
	struct xdr_dec *d; /* XDR_DEC */
};

#define XDR_ENC_STREAM(enc) ((struct xdr_stream){XDR_ENC, (enc), NULL})
#define XDR_DEC_STREAM(dec) ((struct xdr_stream){XDR_DEC, NULL, (dec)})

/* For descriptions on hot paths: inlining each into its two wrappers lets
 * the op tests fold. */
#define XDR_HOT static inline __attribute__((always_inline))

static inline bool xdr_is_enc(const struct xdr_stream *x) { return x->op == XDR_ENC; }
static inline bool xdr_is_dec(const struct xdr_stream *x) { return x->op == XDR_DEC; }

/* Fails the description.  Encoding, it also sets the overflow flag: a value
 * no decoder would accept must not reach the wire, and a caller's one check
 * of the flag at the end has to see it. */
static inline bool xdr_refuse(struct xdr_stream *x)
{
	if (xdr_is_enc(x))
		x->e->overflow = true;
	return false;
}

/* A bound only decoding applies, as with max (see the header comment):
 * true when encoding, ok when decoding. */
static inline bool xdr_dec_check(const struct xdr_stream *x, bool ok)
{
	return xdr_is_enc(x) || ok;
}

static inline bool xdr_u32(struct xdr_stream *x, uint32_t *v)
{
	return xdr_is_enc(x) ? xdr_encode_u32(x->e, *v) : xdr_decode_u32(x->d, v);
}

static inline bool xdr_u64(struct xdr_stream *x, uint64_t *v)
{
	return xdr_is_enc(x) ? xdr_encode_u64(x->e, *v) : xdr_decode_u64(x->d, v);
}

/* XDR bool: decoding refuses anything but 0 and 1. */
static inline bool xdr_bool(struct xdr_stream *x, bool *v)
{
	return xdr_is_enc(x) ? xdr_encode_bool(x->e, *v) : xdr_decode_bool(x->d, v);
}

/* A u32 that must be 0 or 1 (an optional <1>'s count): true on *present. */
static inline bool xdr_optional(struct xdr_stream *x, bool *present)
{
	return xdr_bool(x, present);
}

/* A u32 count that decodes only up to max.  Encoding writes *n as it is. */
static inline bool xdr_count(struct xdr_stream *x, uint32_t max, uint32_t *n)
{
	return xdr_u32(x, n) && xdr_dec_check(x, *n <= max);
}

/* opaque[n] copied to or from buf (verifiers, session ids, stateids). */
static inline bool xdr_fixed(struct xdr_stream *x, size_t n, uint8_t *buf)
{
	if (xdr_is_enc(x))
		return xdr_encode_opaque_fixed(x->e, buf, n);
	const uint8_t *p;
	if (!xdr_decode_opaque_fixed(x->d, n, &p))
		return false;
	memcpy(buf, p, n);
	return true;
}

/* opaque[n] left in place: decoding points *data into the input, encoding
 * copies n bytes from it. */
static inline bool xdr_fixed_ref(struct xdr_stream *x, size_t n, const uint8_t **data)
{
	return xdr_is_enc(x) ? xdr_encode_opaque_fixed(x->e, *data, n)
			     : xdr_decode_opaque_fixed(x->d, n, data);
}

/* opaque<max> left in place (see the header comment about max). */
static inline bool xdr_bytes(struct xdr_stream *x, uint32_t max, const uint8_t **data,
			     uint32_t *len)
{
	return xdr_is_enc(x) ? xdr_encode_opaque(x->e, *data, *len)
			     : xdr_decode_opaque(x->d, max, data, len);
}

/* Fixed-layout runs: one bounds check for a whole run of n bytes (a
 * multiple of 4), then unchecked xdr_span_* steps through it.  Encoding,
 * the span is reserved room; decoding, it is the input.  NULL when the room
 * or the input is short. */
static inline uint8_t *xdr_span(struct xdr_stream *x, size_t n)
{
	if (xdr_is_enc(x))
		return xdr_enc_reserve(x->e, n);
	if (xdr_dec_remaining(x->d) < n)
		return NULL;
	/* Decoding only ever reads through the span. */
	uint8_t *p = (uint8_t *)(uintptr_t)x->d->p;
	x->d->p += n;
	return p;
}

static inline void xdr_span_u32(const struct xdr_stream *x, uint8_t **p, uint32_t *v)
{
	if (xdr_is_enc(x))
		xdr_put_be32(*p, *v);
	else
		*v = xdr_get_be32(*p);
	*p += 4;
}

static inline void xdr_span_u64(const struct xdr_stream *x, uint8_t **p, uint64_t *v)
{
	if (xdr_is_enc(x)) {
		xdr_put_be32(*p, (uint32_t)(*v >> 32));
		xdr_put_be32(*p + 4, (uint32_t)*v);
	} else {
		*v = (uint64_t)xdr_get_be32(*p) << 32 | xdr_get_be32(*p + 4);
	}
	*p += 8;
}

/* n bytes (a multiple of 4) copied to or from buf. */
static inline void xdr_span_fixed(const struct xdr_stream *x, uint8_t **p, size_t n, uint8_t *buf)
{
	if (xdr_is_enc(x))
		memcpy(*p, buf, n);
	else
		memcpy(buf, *p, n);
	*p += n;
}

/* Decoding refuses anything but 0 and 1. */
static inline bool xdr_span_bool(const struct xdr_stream *x, uint8_t **p, bool *v)
{
	if (xdr_is_enc(x)) {
		xdr_put_be32(*p, *v ? 1 : 0);
		*p += 4;
		return true;
	}
	uint32_t u = xdr_get_be32(*p);
	*p += 4;
	if (u > 1)
		return false;
	*v = u == 1;
	return true;
}

#endif
