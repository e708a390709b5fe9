/* Round-trip checks shared by the NFSv4 codec tests.
 *
 * CHECK_PAIR(enc, dec, in, out) encodes *in, decodes the bytes into *out
 * (which must consume them exactly), checks that every proper prefix of the
 * encoding, copied alone to the heap, fails to decode, and that re-encoding *out gives the same bytes.
 * The bytes stay in codec_wire until the next CHECK_PAIR, so the test can
 * compare *out field by field afterwards (decoded opaques point there). */
#ifndef FERRY_TESTS_XDR_CODEC_CHECK_H
#define FERRY_TESTS_XDR_CODEC_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xdr/nfs4_codec_session.h"
#include "xdr/xdr.h"

static uint8_t codec_wire[1 << 16];
static size_t codec_wire_len;
static size_t codec_pairs_checked;

/* Encodes with fn(e, in) and keeps the bytes in codec_wire. */
#define CODEC_ENCODE(fn, ...)                                                      \
	do {                                                                       \
		struct xdr_enc e_;                                                 \
		assert_true(xdr_enc_init(&e_, 16, sizeof(codec_wire)));            \
		assert_true(fn(&e_, __VA_ARGS__));                                 \
		assert_false(e_.overflow);                                         \
		codec_wire_len = xdr_enc_len(&e_);                                 \
		memcpy(codec_wire, e_.buf->data, codec_wire_len);                  \
		xdr_enc_release(&e_);                                              \
	} while (0)

#define CHECK_PAIR(enc, dec, in, out)                                              \
	do {                                                                       \
		CODEC_ENCODE(enc, in);                                             \
		struct xdr_dec d_;                                                 \
		for (size_t k_ = 0; k_ < codec_wire_len; k_++) {                   \
			__typeof__(*(out)) t_;                                     \
			memset(&t_, 0, sizeof(t_));                                \
			/* exactly k_ bytes, so a sanitizer sees any overread */   \
			uint8_t *copy_ = malloc(k_ ? k_ : 1);                      \
			assert_non_null(copy_);                                    \
			memcpy(copy_, codec_wire, k_);                             \
			xdr_dec_init(&d_, copy_, k_);                              \
			if (dec(&d_, &t_))                                         \
				fail_msg("prefix of %zu of %zu bytes decoded", k_, \
					 codec_wire_len);                          \
			free(copy_);                                               \
		}                                                                  \
		memset((out), 0, sizeof(*(out)));                                  \
		xdr_dec_init(&d_, codec_wire, codec_wire_len);                     \
		assert_true(dec(&d_, (out)));                                      \
		assert_int_equal(xdr_dec_remaining(&d_), 0);                       \
		struct xdr_enc e2_;                                                \
		assert_true(xdr_enc_init(&e2_, 16, sizeof(codec_wire)));           \
		assert_true(enc(&e2_, (out)));                                     \
		assert_int_equal(xdr_enc_len(&e2_), codec_wire_len);               \
		assert_memory_equal(e2_.buf->data, codec_wire, codec_wire_len);    \
		xdr_enc_release(&e2_);                                             \
		codec_pairs_checked++;                                             \
	} while (0)

/* Decoding the bytes (p, n) with dec must fail. */
#define CHECK_DEC_FAILS(dec, p, n, type)                                           \
	do {                                                                       \
		type t_;                                                           \
		struct xdr_dec d_;                                                 \
		xdr_dec_init(&d_, (p), (n));                                       \
		assert_false(dec(&d_, &t_));                                       \
	} while (0)

#define assert_opaque_equal(a, b)                                                  \
	do {                                                                       \
		assert_int_equal((a).len, (b).len);                                \
		if ((a).len)                                                       \
			assert_memory_equal((a).data, (b).data, (a).len);          \
	} while (0)

/* A raw encoder for hand-built invalid inputs; free with xdr_enc_release. */
static inline void codec_raw_init(struct xdr_enc *e)
{
	assert_true(xdr_enc_init(e, 64, 1 << 20));
}

/* Distinct, recognisable values for round trips. */
static inline struct nfs4_opaque op(const char *s) { return nfs4_opaque_str(s); }

static inline struct nfs4_sessionid sid(uint8_t seed)
{
	struct nfs4_sessionid s;
	for (int i = 0; i < NFS4_SESSIONID_SIZE; i++)
		s.data[i] = (uint8_t)(seed + i);
	return s;
}

static inline struct nfs4_verifier verf(uint8_t seed)
{
	struct nfs4_verifier v;
	for (int i = 0; i < NFS4_VERIFIER_SIZE; i++)
		v.data[i] = (uint8_t)(seed * 3 + i);
	return v;
}

static inline struct nfs4_stateid stid(uint32_t seq)
{
	struct nfs4_stateid s = {.seqid = seq};
	for (int i = 0; i < NFS4_OTHER_SIZE; i++)
		s.other[i] = (uint8_t)(seq + 7 * i);
	return s;
}

static inline void assert_stateid_equal(const struct nfs4_stateid *a,
					const struct nfs4_stateid *b)
{
	assert_int_equal(a->seqid, b->seqid);
	assert_memory_equal(a->other, b->other, NFS4_OTHER_SIZE);
}

static inline void assert_bitmap_equal(const struct nfs4_bitmap *a, const struct nfs4_bitmap *b)
{
	assert_memory_equal(a->w, b->w, sizeof(a->w));
}

#endif
