/* ferryd's own Kerberos 5 per-message tokens (rpc/gss/gss_krb5.c) against
 * MIT's: for each enctype done there, contexts made with the test realm's
 * KDC; MICs and sealed Wrap tokens made on one side by MIT's GSS-API and on
 * the other by OpenSSL must check out both ways, at message lengths around
 * the AES block; tampered, rotated and reflected tokens; RFC 3961's n-fold
 * test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>

#include "lib/gss_pair.h"
#include "lib/krb5_kdc.h"
#include "rpc/gss/gss_krb5.h"

static struct krb5_kdc kdc;

static int group_setup(void **state)
{
	(void)state;
	return krb5_kdc_start(&kdc);
}

static int group_teardown(void **state)
{
	(void)state;
	krb5_kdc_stop(&kdc);
	return 0;
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

/* RFC 3961 A.1. */
static void test_nfold_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t bits;
		const char *out;
	} v[] = {
		{"012345", 64, "be072631276b1955"},
		{"password", 56, "78a07b6caf85fa"},
		{"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
		{"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
		{"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192,
		 "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
		{"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
		{"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
		{"kerberos", 64, "6b65726265726f73"},
		{"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
		{"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
		{"kerberos", 256,
		 "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t want[32], got[32];
		size_t n = v[i].bits / 8;
		unhex(v[i].out, want, n);
		gss_krb5_nfold((const uint8_t *)v[i].in, strlen(v[i].in), got, n);
		assert_memory_equal(got, want, n);
	}
}

/* Lengths around the AES block and its ciphertext stealing, and a large
 * one (a 64 KiB READ's results). */
static const size_t lengths[] = {0, 1, 4, 15, 16, 17, 31, 32, 33, 100, 1000, 65536 + 3};

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
	return p;
}

/* The peer's (MIT) sealed token of msg, opened by k; 0 or its error. */
static int open_mit_token(struct gss_krb5 *k, const gss_buffer_desc *tok, const uint8_t *msg,
			  size_t n)
{
	uint8_t *work = malloc(tok->length);
	assert_non_null(work);
	size_t off = 0, len = 0;
	int rc = gss_krb5_unwrap(k, tok->value, tok->length, work, &off, &len);
	if (rc == 0) {
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(work + off, msg, n);
	}
	free(work);
	return rc;
}

/* Both directions of MIC and Wrap between k (ferryd's keys of one side)
 * and mit (MIT's context of the other side). */
static void check_against_mit(struct gss_krb5 *k, gss_ctx_id_t mit)
{
	OM_uint32 major, minor;
	for (size_t li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++) {
		size_t n = lengths[li];
		uint8_t *msg = pattern(n, (unsigned)li);
		gss_buffer_desc in = {n, msg}, tok = GSS_C_EMPTY_BUFFER;
		struct iovec iov = {msg, n};

		/* MIT's MIC, checked by ferryd; a bit flipped does not pass. */
		GSS_OK(gss_get_mic(&minor, mit, GSS_C_QOP_DEFAULT, &in, &tok), "gss_get_mic");
		assert_int_equal(gss_krb5_verify_mic(k, &iov, 1, tok.value, tok.length), 0);
		((uint8_t *)tok.value)[tok.length - 1] ^= 1;
		assert_int_equal(gss_krb5_verify_mic(k, &iov, 1, tok.value, tok.length), -EACCES);
		gss_release_buffer(&minor, &tok);

		/* ferryd's MIC, in two segments, checked by MIT. */
		uint8_t mic[64];
		assert_true(gss_krb5_mic_size(k) <= sizeof(mic));
		struct iovec halves[2] = {{msg, n / 2}, {msg + n / 2, n - n / 2}};
		assert_int_equal(gss_krb5_get_mic(k, halves, 2, mic), 0);
		gss_buffer_desc mic_buf = {gss_krb5_mic_size(k), mic};
		major = gss_verify_mic(&minor, mit, &in, &mic_buf, NULL);
		assert_int_equal(GSS_ERROR(major), 0);
		/* ... and its own MIC is not the peer's (reflection). */
		assert_int_equal(gss_krb5_verify_mic(k, &iov, 1, mic, gss_krb5_mic_size(k)),
				 -EACCES);

		/* MIT's sealed token, opened by ferryd; tampered: refused. */
		int conf = 0;
		GSS_OK(gss_wrap(&minor, mit, 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok), "gss_wrap");
		assert_true(conf);
		assert_int_equal(open_mit_token(k, &tok, msg, n), 0);
		((uint8_t *)tok.value)[16 + (tok.length - 16) / 2] ^= 0x80;
		assert_int_equal(open_mit_token(k, &tok, msg, n), -EACCES);
		gss_release_buffer(&minor, &tok);

		/* ferryd's sealed token, opened by MIT. */
		size_t wn = gss_krb5_wrap_size(k, n);
		uint8_t *wrapped = malloc(wn);
		assert_non_null(wrapped);
		assert_int_equal(gss_krb5_wrap(k, halves, 2, wrapped), 0);
		gss_buffer_desc wbuf = {wn, wrapped}, plain = GSS_C_EMPTY_BUFFER;
		conf = 0;
		major = gss_unwrap(&minor, mit, &wbuf, &plain, &conf, NULL);
		assert_int_equal(GSS_ERROR(major), 0);
		assert_true(conf);
		assert_int_equal(plain.length, n);
		if (n)
			assert_memory_equal(plain.value, msg, n);
		gss_release_buffer(&minor, &plain);
		/* ... and not by ferryd's own keys of the same side. */
		uint8_t *work = malloc(wn);
		size_t off, len;
		assert_int_equal(gss_krb5_unwrap(k, wrapped, wn, work, &off, &len), -EACCES);
		free(work);
		free(wrapped);
		free(msg);
	}
}

/* A token whose data MIT rotated right by rrc bytes (RFC 4121 4.2.5, as
 * Windows sends them) opens as the unrotated one. */
static void check_rotated(struct gss_krb5 *k, gss_ctx_id_t mit, uint16_t rrc)
{
	OM_uint32 minor;
	uint8_t *msg = pattern(300, 7);
	gss_buffer_desc in = {300, msg}, tok = GSS_C_EMPTY_BUFFER;
	int conf = 0;
	GSS_OK(gss_wrap(&minor, mit, 1, GSS_C_QOP_DEFAULT, &in, &conf, &tok), "gss_wrap");
	uint8_t *t = tok.value;
	size_t body = tok.length - 16;
	assert_int_equal(t[6] << 8 | t[7], 0);
	uint8_t *rotated = malloc(tok.length);
	memcpy(rotated, t, 16);
	for (size_t i = 0; i < body; i++)
		rotated[16 + (i + rrc) % body] = t[16 + i];
	rotated[6] = (uint8_t)(rrc >> 8);
	rotated[7] = (uint8_t)rrc;
	gss_buffer_desc r = {tok.length, rotated};
	assert_int_equal(open_mit_token(k, &r, msg, 300), 0);
	free(rotated);
	gss_release_buffer(&minor, &tok);
	free(msg);
}

static void check_enctype(int32_t enctype)
{
	struct gss_pair p;
	gss_pair_establish(&kdc, "alice", enctype, &p);
	/* The acceptor's keys to ferryd (as ferryd's server takes them), the
	 * initiator stays with MIT. */
	struct gss_krb5 *acceptor = gss_krb5_take(&p.acceptor);
	assert_non_null(acceptor);
	assert_true(p.acceptor == GSS_C_NO_CONTEXT);
	assert_int_equal(gss_krb5_enctype(acceptor), enctype);
	check_against_mit(acceptor, p.initiator);
	check_rotated(acceptor, p.initiator, 28);
	check_rotated(acceptor, p.initiator, 1);
	gss_krb5_free(acceptor);
	gss_pair_release(&p);

	/* The other way round: ferryd as the initiator (ferry-bench, v4.0
	 * callbacks), MIT accepting. */
	gss_pair_establish(&kdc, "bob", enctype, &p);
	struct gss_krb5 *initiator = gss_krb5_take(&p.initiator);
	assert_non_null(initiator);
	check_against_mit(initiator, p.acceptor);
	gss_krb5_free(initiator);
	gss_pair_release(&p);
}

static void test_aes256_sha1(void **state)
{
	(void)state;
	check_enctype(GSS_KRB5_AES256_SHA1);
}

static void test_aes128_sha1(void **state)
{
	(void)state;
	check_enctype(GSS_KRB5_AES128_SHA1);
}

static void test_aes128_sha256(void **state)
{
	(void)state;
	check_enctype(GSS_KRB5_AES128_SHA256);
}

static void test_aes256_sha384(void **state)
{
	(void)state;
	check_enctype(GSS_KRB5_AES256_SHA384);
}

/* Both sides on ferryd's keys, a token of one opened by the other. */
static void test_both_sides_openssl(void **state)
{
	(void)state;
	struct gss_pair p;
	gss_pair_establish(&kdc, "alice", 0, &p);
	struct gss_krb5 *a = gss_krb5_take(&p.acceptor), *i = gss_krb5_take(&p.initiator);
	assert_non_null(a);
	assert_non_null(i);
	uint8_t *msg = pattern(5000, 3);
	struct iovec iov = {msg, 5000};
	size_t wn = gss_krb5_wrap_size(i, 5000);
	uint8_t *tok = malloc(wn), *work = malloc(wn);
	size_t off, len;
	assert_int_equal(gss_krb5_wrap(i, &iov, 1, tok), 0);
	assert_int_equal(gss_krb5_unwrap(a, tok, wn, work, &off, &len), 0);
	assert_int_equal(len, 5000);
	assert_memory_equal(work + off, msg, 5000);
	/* Every byte of the token matters. */
	for (size_t at = 0; at < wn; at += 97) {
		tok[at] ^= 0x10;
		assert_int_not_equal(gss_krb5_unwrap(a, tok, wn, work, &off, &len), 0);
		tok[at] ^= 0x10;
	}
	/* Cut short: refused, not read past. */
	assert_int_equal(gss_krb5_unwrap(a, tok, 40, work, &off, &len), -EACCES);
	free(tok);
	free(work);
	free(msg);
	gss_krb5_free(a);
	gss_krb5_free(i);
	gss_pair_release(&p);
}

/* The acceptor's keys made again from gss_krb5_keys_of (an in-place
 * upgrade's new ferryd) open what the initiator seals and seal what it
 * opens, with the send sequence number going on. */
static void test_keys_made_again(void **state)
{
	(void)state;
	struct gss_pair p;
	gss_pair_establish(&kdc, "alice", 0, &p);
	struct gss_krb5 *a = gss_krb5_take(&p.acceptor), *i = gss_krb5_take(&p.initiator);
	assert_non_null(a);
	assert_non_null(i);
	uint8_t msg[300];
	memset(msg, 7, sizeof(msg));
	struct iovec iov = {msg, sizeof(msg)};
	uint8_t tok[512], work[512];
	size_t wn = gss_krb5_wrap_size(a, sizeof(msg)), off, len;
	assert_int_equal(gss_krb5_wrap(a, &iov, 1, tok), 0); /* send_seq moves on */
	struct gss_krb5_keys k;
	gss_krb5_keys_of(a, &k);
	assert_int_equal(k.enctype, gss_krb5_enctype(a));
	assert_true(k.acceptor);
	assert_true(k.send_seq >= 1);
	struct gss_krb5 *b = gss_krb5_new(k.enctype, k.key, k.key_len, k.acceptor,
					  k.acceptor_subkey, k.send_seq);
	assert_non_null(b);
	struct gss_krb5_keys kb;
	gss_krb5_keys_of(b, &kb);
	assert_memory_equal(&kb.key, &k.key, k.key_len);
	assert_true(kb.send_seq == k.send_seq);
	assert_int_equal(gss_krb5_wrap(b, &iov, 1, tok), 0);
	assert_int_equal(gss_krb5_unwrap(i, tok, wn, work, &off, &len), 0);
	assert_memory_equal(work + off, msg, sizeof(msg));
	assert_int_equal(gss_krb5_wrap(i, &iov, 1, tok), 0);
	assert_int_equal(gss_krb5_unwrap(b, tok, gss_krb5_wrap_size(i, sizeof(msg)), work, &off,
					 &len),
			 0);
	uint8_t mic[64];
	assert_true(gss_krb5_mic_size(i) <= sizeof(mic));
	assert_int_equal(gss_krb5_get_mic(i, &iov, 1, mic), 0);
	assert_int_equal(gss_krb5_verify_mic(b, &iov, 1, mic, gss_krb5_mic_size(i)), 0);
	explicit_bzero(&k, sizeof(k));
	gss_krb5_free(b);
	gss_krb5_free(a);
	gss_krb5_free(i);
	gss_pair_release(&p);
}

/* An enctype not done here and a key of the wrong length: no keys. */
static void test_refuses_unknown(void **state)
{
	(void)state;
	uint8_t key[32] = {0};
	assert_null(gss_krb5_new(16 /* des3-cbc-sha1 */, key, 24, true, true, 0));
	assert_null(gss_krb5_new(GSS_KRB5_AES256_SHA1, key, 16, true, true, 0));
	struct gss_krb5 *k = gss_krb5_new(GSS_KRB5_AES128_SHA1, key, 16, true, true, 0);
	assert_non_null(k);
	gss_krb5_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nfold_vectors),
		cmocka_unit_test(test_refuses_unknown),
		cmocka_unit_test(test_aes256_sha1),
		cmocka_unit_test(test_aes128_sha1),
		cmocka_unit_test(test_aes128_sha256),
		cmocka_unit_test(test_aes256_sha384),
		cmocka_unit_test(test_both_sides_openssl),
		cmocka_unit_test(test_keys_made_again),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
