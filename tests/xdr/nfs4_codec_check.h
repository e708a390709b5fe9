/* Helpers for the NFSv4 codec tests: decode an encoding whole, check that
 * every shorter prefix of it is refused, compare decoded fields. */
#ifndef FERRY_TESTS_XDR_NFS4_CODEC_CHECK_H
#define FERRY_TESTS_XDR_NFS4_CODEC_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xdr/nfs4_codec.h"

typedef bool (*codec_dec_fn)(struct xdr_dec *d, void *out);

/* A decoder with a void * target, for the generic checks below. */
#define CODEC_DEC_ADAPTER(fn, type)                                       \
	static bool adapt_##fn(struct xdr_dec *d, void *out)             \
	{                                                                 \
		return fn(d, (type *)out);                                \
	}

static inline void codec_enc_start(struct xdr_enc *e)
{
	assert_true(xdr_enc_init(e, 64, 1u << 20));
}

/* Decodes the whole of e's bytes into out (size bytes) and checks that it
 * consumed exactly them; then checks that every prefix fails.  Each
 * attempt gets its own heap copy of exactly that many bytes so a read past
 * the end is caught by the sanitizers. */
static inline void codec_check_decode(struct xdr_enc *e, codec_dec_fn dec, void *out, size_t size)
{
	assert_false(e->overflow);
	size_t len = xdr_enc_len(e);
	void *scratch = malloc(size);
	assert_non_null(scratch);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, e->buf->data, n);
		struct xdr_dec d;
		xdr_dec_init(&d, copy, n);
		if (dec(&d, scratch))
			fail_msg("decoded from a %zu-byte prefix of %zu bytes", n, len);
		free(copy);
	}
	free(scratch);
	struct xdr_dec d;
	xdr_dec_init(&d, e->buf->data, len);
	assert_true(dec(&d, out));
	assert_int_equal(xdr_dec_remaining(&d), 0);
}

/* Decoded results point into the encoded bytes, so a test keeps every
 * encoding until its teardown (codec_teardown). */
enum { CODEC_KEEP_MAX = 256 };
static struct buf *codec_kept[CODEC_KEEP_MAX];
static unsigned codec_nkept;

static inline void codec_keep(struct xdr_enc *e)
{
	assert_true(codec_nkept < CODEC_KEEP_MAX);
	codec_kept[codec_nkept++] = xdr_enc_take(e);
}

static inline int codec_teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < codec_nkept; i++)
		buf_unref(codec_kept[i]);
	codec_nkept = 0;
	return 0;
}

#define CODEC_TEST(f) cmocka_unit_test_teardown(f, codec_teardown)

/* Decoding bytes that must be refused. */
static inline void codec_check_refused(struct xdr_enc *e, codec_dec_fn dec, void *out)
{
	struct xdr_dec d;
	xdr_dec_init(&d, e->buf->data, xdr_enc_len(e));
	assert_false(dec(&d, out));
}

static inline void assert_opaque_eq(struct nfs4_opaque a, struct nfs4_opaque b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.data, b.data, a.len);
}

static inline void assert_stateid_eq(const struct nfs4_stateid *a, const struct nfs4_stateid *b)
{
	assert_int_equal(a->seqid, b->seqid);
	assert_memory_equal(a->other, b->other, NFS4_OTHER_SIZE);
}

static inline void assert_bitmap_eq(const struct nfs4_bitmap *a, const struct nfs4_bitmap *b)
{
	for (unsigned i = 0; i < NFS4_BITMAP_WORDS; i++)
		assert_int_equal(a->w[i], b->w[i]);
}

static inline void assert_verifier_eq(const struct nfs4_verifier *a, const struct nfs4_verifier *b)
{
	assert_memory_equal(a->data, b->data, NFS4_VERIFIER_SIZE);
}

static inline void assert_cinfo_eq(const struct nfs4_change_info *a,
				   const struct nfs4_change_info *b)
{
	assert_int_equal(a->atomic, b->atomic);
	assert_int_equal(a->before, b->before);
	assert_int_equal(a->after, b->after);
}

static inline void assert_fattr_raw_eq(const struct nfs4_fattr_raw *a,
				       const struct nfs4_fattr_raw *b)
{
	assert_bitmap_eq(&a->mask, &b->mask);
	assert_opaque_eq(a->vals, b->vals);
}

static inline struct nfs4_stateid codec_stateid(uint32_t seed)
{
	struct nfs4_stateid s = {.seqid = seed};
	for (unsigned i = 0; i < NFS4_OTHER_SIZE; i++)
		s.other[i] = (uint8_t)(seed * 7 + i);
	return s;
}

static inline struct nfs4_verifier codec_verifier(uint8_t seed)
{
	struct nfs4_verifier v;
	for (unsigned i = 0; i < NFS4_VERIFIER_SIZE; i++)
		v.data[i] = (uint8_t)(seed + i);
	return v;
}

/* A raw fattr4 with a mode and a size (values left opaque). */
static const uint8_t codec_fattr_vals[] = {0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x01, 0xa4};

static inline struct nfs4_fattr_raw codec_fattr(void)
{
	struct nfs4_fattr_raw f = {.vals = {codec_fattr_vals, sizeof(codec_fattr_vals)}};
	nfs4_bitmap_set(&f.mask, FATTR4_SIZE);
	nfs4_bitmap_set(&f.mask, FATTR4_MODE);
	return f;
}

/* A buffer of n bytes of one value, for over-limit names and handles. */
static inline struct nfs4_opaque codec_bytes(uint32_t n, uint8_t c)
{
	static uint8_t big[8192];
	memset(big, c, sizeof(big));
	return (struct nfs4_opaque){big, n};
}

#endif
