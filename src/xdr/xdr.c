#include "xdr/xdr.h"

bool xdr_decode_bool(struct xdr_dec *d, bool *v)
{
	const uint8_t *save = d->p;
	uint32_t u;
	if (!xdr_decode_u32(d, &u))
		return false;
	if (u > 1) {
		d->p = save;
		return false;
	}
	*v = u == 1;
	return true;
}

bool xdr_decode_opaque_fixed(struct xdr_dec *d, size_t n, const uint8_t **data)
{
	size_t padded = xdr_pad4(n);
	if (padded < n || xdr_dec_remaining(d) < padded)
		return false;
	*data = d->p;
	d->p += padded;
	return true;
}

bool xdr_decode_opaque(struct xdr_dec *d, uint32_t max, const uint8_t **data, uint32_t *len)
{
	const uint8_t *save = d->p;
	uint32_t n;
	if (!xdr_decode_u32(d, &n))
		return false;
	if (n > max || !xdr_decode_opaque_fixed(d, n, data)) {
		d->p = save;
		return false;
	}
	*len = n;
	return true;
}

bool xdr_decode_cstring(struct xdr_dec *d, char *out, size_t size)
{
	const uint8_t *p;
	uint32_t len;
	if (size == 0 || !xdr_decode_opaque(d, (uint32_t)(size - 1), &p, &len) ||
	    memchr(p, 0, len))
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

bool xdr_decode_skip(struct xdr_dec *d, size_t n)
{
	const uint8_t *unused;
	return xdr_decode_opaque_fixed(d, n, &unused);
}

bool xdr_enc_init(struct xdr_enc *e, size_t initial, size_t limit)
{
	if (initial > limit)
		initial = limit;
	e->buf = buf_new(initial);
	e->limit = limit;
	e->overflow = false;
	return e->buf != NULL;
}

struct buf *xdr_enc_take(struct xdr_enc *e)
{
	struct buf *b = e->buf;
	e->buf = NULL;
	return b;
}

void xdr_enc_release(struct xdr_enc *e)
{
	buf_unref(e->buf);
	e->buf = NULL;
}

uint8_t *xdr_enc_reserve(struct xdr_enc *e, size_t n)
{
	struct buf *b = e->buf;
	if (e->overflow)
		return NULL;
	if (n > e->limit - b->len) {
		e->overflow = true;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n)
			cap *= 2;
		if (cap > e->limit)
			cap = e->limit;
		struct buf *nb = buf_grow(b, cap);
		if (!nb) {
			e->overflow = true;
			return NULL;
		}
		e->buf = b = nb;
	}
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

bool xdr_encode_opaque_fixed(struct xdr_enc *e, const void *data, size_t n)
{
	size_t padded = xdr_pad4(n);
	/* n within 3 of SIZE_MAX pads to a wrapped, small size: refuse it
	 * rather than copy n bytes into the few reserved. */
	uint8_t *p = padded < n ? NULL : xdr_enc_reserve(e, padded);
	if (!p) {
		e->overflow = true;
		return false;
	}
	if (n)
		memcpy(p, data, n);
	memset(p + n, 0, padded - n);
	return true;
}

bool xdr_encode_opaque(struct xdr_enc *e, const void *data, uint32_t n)
{
	return xdr_encode_u32(e, n) && xdr_encode_opaque_fixed(e, data, n);
}
