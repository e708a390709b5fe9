/* Shared by the NFSv4 codec fuzz targets.
 *
 * FUZZ_PAIR(type, enc, dec, walk) decodes the input with dec; when that
 * succeeds it calls walk(&v) (which walks the lists the decoder left in
 * place: a list that decoded must walk without failing), re-encodes with
 * enc, which must succeed, and decodes the re-encoding, which must succeed
 * and consume it exactly.  Byte equality is not asked for: bitmaps drop
 * words past Ferry's and trailing zero words. */
#ifndef FERRY_FUZZ_CODEC_H
#define FERRY_FUZZ_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xdr/xdr.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define FUZZ_NO_WALK(v) ((void)(v))

#define FUZZ_PAIR(type, enc, dec, walk, in, len)                                \
	do {                                                                       \
		type v_, w_;                                                       \
		struct xdr_dec d_;                                                 \
		xdr_dec_init(&d_, (in), (len));                                 \
		if (!dec(&d_, &v_))                                                \
			break;                                                     \
		walk(&v_);                                                         \
		struct xdr_enc e_;                                                 \
		CHECK(xdr_enc_init(&e_, 256, 1u << 20));                           \
		CHECK(enc(&e_, &v_));                                              \
		xdr_dec_init(&d_, e_.buf->data, xdr_enc_len(&e_));                 \
		CHECK(dec(&d_, &w_));                                              \
		CHECK(xdr_dec_remaining(&d_) == 0);                                \
		walk(&w_);                                                         \
		xdr_enc_release(&e_);                                              \
	} while (0)

#endif
