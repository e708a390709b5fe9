/* libFuzzer target: ferryd's Kerberos 5 per-message tokens
 * (rpc/gss/gss_krb5.h), whose parsers read a peer's MIC and Wrap tokens
 * before anything else has checked them.
 *
 * Keys: both sides of one context from a fixed base key, of the enctype
 * byte 0 picks (modulo four).  Byte 1 picks what is done with the rest of
 * the input:
 *   0: opened as the initiator's Wrap token by the acceptor, and checked
 *      as its MIC of nothing: neither may read outside the token, and a
 *      token that opens gives plain text inside the work buffer;
 *   1: sealed by the initiator, opened by the acceptor: the same bytes
 *      come back; with one bit flipped (where the input's first bytes
 *      say), the token no longer opens;
 *   2: the initiator's MIC of it, checked by the acceptor; flipped, it
 *      no longer checks. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "rpc/gss/gss_krb5.h"

static struct gss_krb5 *initiator[4], *acceptor[4];

static void keys(void)
{
	static const int32_t types[4] = {GSS_KRB5_AES128_SHA1, GSS_KRB5_AES256_SHA1,
					 GSS_KRB5_AES128_SHA256, GSS_KRB5_AES256_SHA384};
	static const uint8_t base[32] = {0x3c, 0x1f, 0x92, 0x07, 0xaa, 0x55, 0x10, 0xe4,
					 0x71, 0x2b, 0x9d, 0x60, 0x08, 0xf3, 0xc2, 0x4e,
					 0x5a, 0x81, 0x3e, 0xd9, 0x27, 0x64, 0xb0, 0x1c,
					 0x98, 0x4f, 0x06, 0xe7, 0x33, 0xa2, 0x5d, 0xc8};
	if (initiator[0])
		return;
	for (int i = 0; i < 4; i++) {
		size_t len = types[i] == GSS_KRB5_AES256_SHA1 || types[i] == GSS_KRB5_AES256_SHA384
				     ? 32
				     : 16;
		initiator[i] = gss_krb5_new(types[i], base, len, false, true, 0);
		acceptor[i] = gss_krb5_new(types[i], base, len, true, true, 0);
		CHECK(initiator[i] && acceptor[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	keys();
	if (size < 2)
		return 0;
	struct gss_krb5 *i = initiator[data[0] % 4], *a = acceptor[data[0] % 4];
	unsigned op = data[1] % 3;
	const uint8_t *in = data + 2;
	size_t n = size - 2;

	if (op == 0) {
		/* A copy of exactly the token, so that reading past it is
		 * seen. */
		uint8_t *tok = malloc(n ? n : 1), *work = malloc(n ? n : 1);
		CHECK(tok && work);
		memcpy(tok, in, n);
		size_t off = 0, len = 0;
		if (gss_krb5_unwrap(a, tok, n, work, &off, &len) == 0)
			CHECK(off + len <= n);
		struct iovec none = {NULL, 0};
		(void)gss_krb5_verify_mic(a, &none, 1, tok, n);
		free(tok);
		free(work);
		return 0;
	}

	struct iovec msg = {(void *)in, n};
	size_t flip = n >= 2 ? ((size_t)in[0] << 8 | in[1]) : 0;
	if (op == 1) {
		size_t wn = gss_krb5_wrap_size(i, n);
		uint8_t *tok = malloc(wn), *work = malloc(wn);
		CHECK(tok && work);
		CHECK(gss_krb5_wrap(i, &msg, 1, tok) == 0);
		size_t off = 0, len = 0;
		CHECK(gss_krb5_unwrap(a, tok, wn, work, &off, &len) == 0);
		CHECK(len == n && (n == 0 || memcmp(work + off, in, n) == 0));
		/* Any bit but those of the rotation count (RRC, bytes 6-7: a
		 * receiver turns the data back by it first, and a count that
		 * is a multiple of the data's length turns nothing). */
		size_t at = flip % wn;
		if (at != 6 && at != 7) {
			tok[at] ^= (uint8_t)(1u << (flip % 8));
			CHECK(gss_krb5_unwrap(a, tok, wn, work, &off, &len) != 0);
		}
		free(tok);
		free(work);
		return 0;
	}

	uint8_t mic[64];
	size_t mn = gss_krb5_mic_size(i);
	CHECK(mn <= sizeof(mic));
	CHECK(gss_krb5_get_mic(i, &msg, 1, mic) == 0);
	CHECK(gss_krb5_verify_mic(a, &msg, 1, mic, mn) == 0);
	mic[flip % mn] ^= (uint8_t)(1u << (flip % 8));
	CHECK(gss_krb5_verify_mic(a, &msg, 1, mic, mn) != 0);
	return 0;
}
