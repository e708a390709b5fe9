/* XDR (RFC 4506) cursors.
 *
 * Decoding works in place: a struct xdr_dec walks a byte range it does not
 * own, every read is bounds-checked, and variable-length items come back as
 * pointers into the range (no allocation).  A failed read leaves the cursor
 * where it was and returns false; callers map that to GARBAGE_ARGS or
 * NFS4ERR_BADXDR.
 *
 * Encoding appends to a refcounted struct buf that grows on demand up to a
 * limit; past the limit every further write fails and xdr_enc.overflow is
 * set, so a reply encoder can check once at the end. */
#ifndef FERRY_XDR_XDR_H
#define FERRY_XDR_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"

static inline size_t xdr_pad4(size_t n) { return (n + 3) & ~(size_t)3; }

struct xdr_dec {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void xdr_dec_init(struct xdr_dec *d, const void *data, size_t len)
{
	d->p = data;
	d->end = (const uint8_t *)data + len;
}

static inline size_t xdr_dec_remaining(const struct xdr_dec *d) { return (size_t)(d->end - d->p); }

static inline bool xdr_decode_u32(struct xdr_dec *d, uint32_t *v)
{
	if (xdr_dec_remaining(d) < 4)
		return false;
	*v = (uint32_t)d->p[0] << 24 | (uint32_t)d->p[1] << 16 | (uint32_t)d->p[2] << 8 | d->p[3];
	d->p += 4;
	return true;
}

static inline bool xdr_decode_i32(struct xdr_dec *d, int32_t *v)
{
	uint32_t u;
	if (!xdr_decode_u32(d, &u))
		return false;
	*v = (int32_t)u;
	return true;
}

static inline bool xdr_decode_u64(struct xdr_dec *d, uint64_t *v)
{
	if (xdr_dec_remaining(d) < 8)
		return false;
	uint32_t hi = 0, lo = 0;
	xdr_decode_u32(d, &hi);
	xdr_decode_u32(d, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* XDR bool: only 0 and 1 are valid. */
bool xdr_decode_bool(struct xdr_dec *d, bool *v);

/* Fixed-length opaque of n bytes plus padding; *data points into the input. */
bool xdr_decode_opaque_fixed(struct xdr_dec *d, size_t n, const uint8_t **data);

/* Variable-length opaque<max>: length, bytes, padding.  Fails when the
 * length exceeds max or the remaining input. */
bool xdr_decode_opaque(struct xdr_dec *d, uint32_t max, const uint8_t **data, uint32_t *len);

/* An XDR string into out (size bytes, NUL-terminated): fails when it is
 * longer than size - 1, holds a NUL, or runs past the input. */
bool xdr_decode_cstring(struct xdr_dec *d, char *out, size_t size);

/* Skips n bytes plus padding. */
bool xdr_decode_skip(struct xdr_dec *d, size_t n);

struct xdr_enc {
	struct buf *buf; /* owned by the encoder until taken */
	size_t limit;    /* the buffer never grows past this many bytes */
	bool overflow;   /* a write did not fit */
};

/* Starts an encoder with an initial capacity and a hard limit.  Returns false
 * when out of memory. */
bool xdr_enc_init(struct xdr_enc *e, size_t initial, size_t limit);

/* Hands the buffer to the caller (who then owns the reference). */
struct buf *xdr_enc_take(struct xdr_enc *e);

/* Drops the buffer if it was not taken. */
void xdr_enc_release(struct xdr_enc *e);

static inline size_t xdr_enc_len(const struct xdr_enc *e) { return e->buf->len; }

/* Reserves n bytes at the end and returns a pointer to them, or NULL on
 * overflow (which also sets e->overflow). */
uint8_t *xdr_enc_reserve(struct xdr_enc *e, size_t n);

static inline void xdr_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t xdr_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t xdr_get_be64(const uint8_t *p)
{
	return (uint64_t)xdr_get_be32(p) << 32 | xdr_get_be32(p + 4);
}

static inline bool xdr_encode_u32(struct xdr_enc *e, uint32_t v)
{
	uint8_t *p = xdr_enc_reserve(e, 4);
	if (!p)
		return false;
	xdr_put_be32(p, v);
	return true;
}

static inline bool xdr_encode_u64(struct xdr_enc *e, uint64_t v)
{
	uint8_t *p = xdr_enc_reserve(e, 8);
	if (!p)
		return false;
	xdr_put_be32(p, (uint32_t)(v >> 32));
	xdr_put_be32(p + 4, (uint32_t)v);
	return true;
}

static inline bool xdr_encode_bool(struct xdr_enc *e, bool v) { return xdr_encode_u32(e, v ? 1 : 0); }

/* Fixed-length opaque: n bytes then zero padding. */
bool xdr_encode_opaque_fixed(struct xdr_enc *e, const void *data, size_t n);

/* Variable-length opaque: length, bytes, zero padding. */
bool xdr_encode_opaque(struct xdr_enc *e, const void *data, uint32_t n);

/* A NUL-terminated string as an XDR string (its bytes, no NUL). */
static inline bool xdr_encode_cstring(struct xdr_enc *e, const char *s)
{
	return xdr_encode_opaque(e, s, (uint32_t)strlen(s));
}

/* Overwrites a u32 already encoded at byte offset off (for counts and
 * lengths known only after their items). */
static inline void xdr_enc_patch_u32(struct xdr_enc *e, size_t off, uint32_t v)
{
	xdr_put_be32(e->buf->data + off, v);
}

#endif
