#include "xdr/nfs4_types.h"

bool nfs4_decode_bitmap(struct xdr_dec *d, struct nfs4_bitmap *b, bool *extra)
{
	const uint8_t *save = d->p;
	uint32_t n;
	memset(b, 0, sizeof(*b));
	*extra = false;
	if (!xdr_decode_u32(d, &n) || n > xdr_dec_remaining(d) / 4) {
		d->p = save;
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = 0;
		xdr_decode_u32(d, &w);
		if (i < NFS4_BITMAP_WORDS)
			b->w[i] = w;
		else if (w)
			*extra = true;
	}
	return true;
}

bool nfs4_encode_bitmap(struct xdr_enc *e, const struct nfs4_bitmap *b)
{
	uint32_t n = NFS4_BITMAP_WORDS;
	while (n > 0 && b->w[n - 1] == 0)
		n--;
	if (!xdr_encode_u32(e, n))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!xdr_encode_u32(e, b->w[i]))
			return false;
	return true;
}

bool nfs4_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp;
		if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

enum nfsstat4 nfs4_check_component(const uint8_t *s, uint32_t len, uint32_t max)
{
	if (len == 0)
		return NFS4ERR_INVAL;
	if (len > max)
		return NFS4ERR_NAMETOOLONG;
	if (!nfs4_utf8_valid(s, len))
		return NFS4ERR_INVAL;
	for (uint32_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == '\0')
			return NFS4ERR_BADCHAR;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return NFS4ERR_BADNAME;
	return NFS4_OK;
}
