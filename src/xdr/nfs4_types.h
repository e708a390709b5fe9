/* NFSv4 XDR types shared by the server and its tools: stateids, bitmaps,
 * times, names. */
#ifndef FERRY_XDR_NFS4_TYPES_H
#define FERRY_XDR_NFS4_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "xdr/nfs4_prot.h"
#include "xdr/xdr.h"

struct nfs4_stateid {
	uint32_t seqid;
	uint8_t other[NFS4_OTHER_SIZE];
};

static inline bool nfs4_decode_stateid(struct xdr_dec *d, struct nfs4_stateid *s)
{
	const uint8_t *other;
	if (!xdr_decode_u32(d, &s->seqid) || !xdr_decode_opaque_fixed(d, NFS4_OTHER_SIZE, &other))
		return false;
	memcpy(s->other, other, NFS4_OTHER_SIZE);
	return true;
}

static inline bool nfs4_encode_stateid(struct xdr_enc *e, const struct nfs4_stateid *s)
{
	return xdr_encode_u32(e, s->seqid) && xdr_encode_opaque_fixed(e, s->other, NFS4_OTHER_SIZE);
}

/* Attribute bitmaps: Ferry knows attributes up to number 95. */
enum { NFS4_BITMAP_WORDS = 3 };

struct nfs4_bitmap {
	uint32_t w[NFS4_BITMAP_WORDS];
};

static inline bool nfs4_bitmap_isset(const struct nfs4_bitmap *b, unsigned bit)
{
	return bit < 32 * NFS4_BITMAP_WORDS && (b->w[bit / 32] >> (bit % 32)) & 1;
}

static inline void nfs4_bitmap_set(struct nfs4_bitmap *b, unsigned bit)
{
	if (bit < 32 * NFS4_BITMAP_WORDS)
		b->w[bit / 32] |= 1u << (bit % 32);
}

static inline void nfs4_bitmap_clear(struct nfs4_bitmap *b, unsigned bit)
{
	if (bit < 32 * NFS4_BITMAP_WORDS)
		b->w[bit / 32] &= ~(1u << (bit % 32));
}

/* Decodes bitmap4.  Set bits in words past the ones Ferry knows are
 * reported through *extra (callers answer as for any unsupported attribute). */
bool nfs4_decode_bitmap(struct xdr_dec *d, struct nfs4_bitmap *b, bool *extra);

/* Encodes with trailing zero words dropped. */
bool nfs4_encode_bitmap(struct xdr_enc *e, const struct nfs4_bitmap *b);

static inline bool nfs4_decode_time(struct xdr_dec *d, struct timespec *ts)
{
	uint64_t sec;
	uint32_t nsec;
	if (!xdr_decode_u64(d, &sec) || !xdr_decode_u32(d, &nsec))
		return false;
	ts->tv_sec = (time_t)(int64_t)sec;
	ts->tv_nsec = nsec;
	return true;
}

static inline bool nfs4_encode_time(struct xdr_enc *e, const struct timespec *ts)
{
	return xdr_encode_u64(e, (uint64_t)(int64_t)ts->tv_sec) &&
	       xdr_encode_u32(e, (uint32_t)ts->tv_nsec);
}

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool nfs4_utf8_valid(const uint8_t *s, size_t len);

/* Checks a component4 name from the wire: NFS4ERR_INVAL when empty,
 * NFS4ERR_BADCHAR for bad UTF-8 or a '/' or NUL, NFS4ERR_BADNAME for "." and
 * "..", NFS4ERR_NAMETOOLONG past max.  Returns NFS4_OK when usable. */
enum nfsstat4 nfs4_check_component(const uint8_t *s, uint32_t len, uint32_t max);

#endif
