/* Kerberos 5 per-message tokens with OpenSSL: see gss_krb5.h. */
#include "rpc/gss/gss_krb5.h"

#include <errno.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum {
	BLOCK = 16,	     /* AES */
	TOKEN_HEADER = 16,   /* RFC 4121 4.2.6 */
	CONFOUNDER = BLOCK,  /* RFC 3962 6, RFC 8009 5 */
	MAX_KEY = 32,
	MAX_HMAC = 48,	     /* SHA-384 */
	MAX_SEGMENTS = 16,   /* of a caller's message, plus our own two */
	/* RFC 4121 2: key usages */
	USAGE_ACCEPTOR_SEAL = 22,
	USAGE_ACCEPTOR_SIGN = 23,
	USAGE_INITIATOR_SEAL = 24,
	USAGE_INITIATOR_SIGN = 25,
	/* RFC 4121 4.2.2: token flags */
	FLAG_SENT_BY_ACCEPTOR = 0x01,
	FLAG_SEALED = 0x02,
	FLAG_ACCEPTOR_SUBKEY = 0x04,
	/* RFC 3961 5.3: what a derived key is for */
	KEY_CHECKSUM = 0x99,
	KEY_ENCRYPT = 0xAA,
	KEY_INTEGRITY = 0x55,
};

/* What each encryption type served is made of. */
static const struct enctype {
	int32_t enctype;
	const char *name;
	const char *digest; /* the HMAC's */
	bool sha2;	    /* RFC 8009: the HMAC covers the ciphertext */
	size_t ke_len;	    /* the AES key's */
	size_t hmac_len;    /* of a checksum or an encryption's HMAC, truncated */
} enctypes[] = {
	{GSS_KRB5_AES128_SHA1, "aes128-cts-hmac-sha1-96", "SHA1", false, 16, 12},
	{GSS_KRB5_AES256_SHA1, "aes256-cts-hmac-sha1-96", "SHA1", false, 32, 12},
	{GSS_KRB5_AES128_SHA256, "aes128-cts-hmac-sha256-128", "SHA256", true, 16, 16},
	{GSS_KRB5_AES256_SHA384, "aes256-cts-hmac-sha384-192", "SHA384", true, 32, 24},
};

static const struct enctype *enctype_of(int32_t enctype)
{
	for (size_t i = 0; i < sizeof(enctypes) / sizeof(enctypes[0]); i++)
		if (enctypes[i].enctype == enctype)
			return &enctypes[i];
	return NULL;
}

struct gss_krb5 {
	int32_t enctype;
	bool acceptor, acceptor_subkey;
	bool sha2;	 /* RFC 8009: the HMAC covers the ciphertext */
	size_t hmac_len; /* of a checksum or an encryption's HMAC, truncated */
	const char *digest; /* the HMAC's */
	const EVP_CIPHER *cbc, *ecb;
	size_t ke_len;
	uint8_t seal_ke[MAX_KEY], open_ke[MAX_KEY]; /* ours, the peer's */
	/* Keyed HMACs, copied for each message (never used themselves). */
	EVP_MAC_CTX *sign, *check;	    /* Kc: our SIGN usage, the peer's */
	EVP_MAC_CTX *seal_ki, *open_ki; /* Ki: our SEAL usage, the peer's */
	_Atomic uint64_t send_seq;
	uint8_t base_key[MAX_KEY]; /* what the rest is derived from (gss_krb5_keys_of) */
};

static const uint8_t zero_block[BLOCK];

/* --- the algorithms, fetched once ----------------------------------------- */

static struct {
	pthread_once_t once;
	EVP_CIPHER *cbc128, *cbc256, *ecb128, *ecb256;
	EVP_MAC *hmac;
} algs = {.once = PTHREAD_ONCE_INIT};

static void fetch_algs(void)
{
	algs.cbc128 = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	algs.cbc256 = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	algs.ecb128 = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	algs.ecb256 = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static bool have_algs(void)
{
	pthread_once(&algs.once, fetch_algs);
	return algs.cbc128 && algs.cbc256 && algs.ecb128 && algs.ecb256 && algs.hmac;
}

/* --- HMAC ------------------------------------------------------------------ */

static EVP_MAC_CTX *hmac_keyed(const char *digest, const uint8_t *key, size_t len)
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(algs.hmac);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (m && EVP_MAC_init(m, key, len, params))
		return m;
	EVP_MAC_CTX_free(m);
	return NULL;
}

/* The HMAC of the segments under a copy of keyed, its first out_len bytes
 * into out. */
static bool hmac_of(const EVP_MAC_CTX *keyed, const struct iovec *iov, int niov, uint8_t *out,
		    size_t out_len)
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_dup(keyed);
	uint8_t full[MAX_HMAC];
	size_t full_len = 0;
	bool ok = m != NULL;
	for (int i = 0; ok && i < niov; i++)
		ok = iov[i].iov_len == 0 || EVP_MAC_update(m, iov[i].iov_base, iov[i].iov_len);
	ok = ok && EVP_MAC_final(m, full, &full_len, sizeof(full)) && full_len >= out_len;
	if (ok)
		memcpy(out, full, out_len);
	EVP_MAC_CTX_free(m);
	return ok;
}

/* --- n-fold and key derivation (RFC 3961 5.1, 5.3; RFC 8009 3) ------------ */

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Bit i (0: the first byte's high bit) of the in_len bytes at in. */
static unsigned bit_at(const uint8_t *in, size_t i)
{
	return (in[i / 8] >> (7 - i % 8)) & 1;
}

void gss_krb5_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	/* The input repeated to the least common multiple of both lengths,
	 * each copy rotated 13 bits further right than the one before, cut
	 * into out_len-byte pieces added with end-around carry. */
	size_t total = in_len / gcd(in_len, out_len) * out_len;
	size_t bits = in_len * 8;
	unsigned sum[64] = {0};
	if (out_len > 64 || in_len == 0)
		return;
	for (size_t b = 0; b < total; b++) {
		size_t copy = b / in_len, rot = (13 * copy) % bits;
		unsigned byte = 0;
		for (size_t j = 0; j < 8; j++) {
			size_t p = (b % in_len) * 8 + j; /* the bit's place in its copy */
			byte = byte << 1 | bit_at(in, (p + bits - rot) % bits);
		}
		sum[b % out_len] += byte;
	}
	unsigned carry = 0;
	for (;;) {
		for (size_t j = out_len; j-- > 0;) {
			unsigned v = sum[j] + carry;
			sum[j] = v & 0xff;
			carry = v >> 8;
		}
		if (!carry)
			break;
	}
	for (size_t j = 0; j < out_len; j++)
		out[j] = (uint8_t)sum[j];
}

/* One AES block under key, encrypted (RFC 3961 5.3's E with a zero
 * initial state, on one block). */
static bool aes_block(const EVP_CIPHER *ecb, const uint8_t *key, const uint8_t in[BLOCK],
		      uint8_t out[BLOCK])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok = c && EVP_EncryptInit_ex2(c, ecb, key, NULL, NULL) &&
		  EVP_CIPHER_CTX_set_padding(c, 0) && EVP_EncryptUpdate(c, out, &n, in, BLOCK) &&
		  n == BLOCK;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* RFC 3962's DK(base, usage | kind): DR's blocks, E(n-fold(constant)),
 * then E of the one before, until key_len bytes. */
static bool derive_sha1(const struct gss_krb5 *k, const uint8_t *base, uint32_t usage,
			uint8_t kind, uint8_t *out)
{
	uint8_t constant[5] = {(uint8_t)(usage >> 24), (uint8_t)(usage >> 16),
			       (uint8_t)(usage >> 8), (uint8_t)usage, kind};
	uint8_t block[BLOCK];
	gss_krb5_nfold(constant, sizeof(constant), block, BLOCK);
	for (size_t done = 0; done < k->ke_len; done += BLOCK) {
		if (!aes_block(k->ecb, base, block, block))
			return false;
		memcpy(out + done, block, BLOCK);
	}
	OPENSSL_cleanse(block, sizeof(block));
	return true;
}

/* RFC 8009 3's KDF-HMAC-SHA2(base, usage | kind, bits). */
static bool derive_sha2(const struct gss_krb5 *k, const uint8_t *base, size_t base_len,
			uint32_t usage, uint8_t kind, size_t bits, uint8_t *out)
{
	uint8_t input[4 + 5 + 1 + 4] = {0, 0, 0, 1,
					(uint8_t)(usage >> 24), (uint8_t)(usage >> 16),
					(uint8_t)(usage >> 8), (uint8_t)usage, kind,
					0,
					(uint8_t)(bits >> 24), (uint8_t)(bits >> 16),
					(uint8_t)(bits >> 8), (uint8_t)bits};
	EVP_MAC_CTX *m = hmac_keyed(k->digest, base, base_len);
	struct iovec iov = {input, sizeof(input)};
	bool ok = m && hmac_of(m, &iov, 1, out, bits / 8);
	EVP_MAC_CTX_free(m);
	return ok;
}

/* The key of usage and kind: Ke into out, or a keyed HMAC for Kc/Ki. */
static bool derive(const struct gss_krb5 *k, const uint8_t *base, size_t base_len, uint32_t usage,
		   uint8_t kind, uint8_t *ke, EVP_MAC_CTX **mac)
{
	uint8_t key[MAX_HMAC];
	size_t len;
	bool ok;
	if (k->sha2) {
		/* Ke as long as the AES key; Kc and Ki as long as the HMAC. */
		len = kind == KEY_ENCRYPT ? k->ke_len : k->hmac_len;
		ok = derive_sha2(k, base, base_len, usage, kind, len * 8, key);
	} else {
		len = k->ke_len;
		ok = derive_sha1(k, base, usage, kind, key);
	}
	if (ok && ke)
		memcpy(ke, key, len);
	if (ok && mac)
		ok = (*mac = hmac_keyed(k->digest, key, len)) != NULL;
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

/* --- AES with ciphertext stealing (RFC 3962 5, the "CS3" form) ------------ */

/* Encrypts the segments (n bytes in all, n > BLOCK) into out: CBC with a
 * zero initial state over the input padded with zeros to whole blocks,
 * then the last two blocks swapped and the (new) last one cut to the
 * length of the input's last, partial or whole, block. */
static bool cts_encrypt(const struct gss_krb5 *k, const uint8_t *key, const struct iovec *iov,
			int niov, size_t n, uint8_t *out)
{
	if (n <= BLOCK)
		return false;
	size_t r = n % BLOCK ? n % BLOCK : BLOCK; /* the last block's bytes */
	size_t bulk = n - r;			  /* every block before it */
	uint8_t last[BLOCK] = {0}, cipher_last[BLOCK], before[BLOCK];
	size_t fed = 0, last_len = 0;
	uint8_t *o = out;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	bool ok = c && EVP_EncryptInit_ex2(c, k->cbc, key, zero_block, NULL) &&
		  EVP_CIPHER_CTX_set_padding(c, 0);
	for (int i = 0; ok && i < niov; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len, take = len < bulk - fed ? len : bulk - fed;
		int outl = 0;
		if (take) {
			ok = EVP_EncryptUpdate(c, o, &outl, p, (int)take);
			o += outl;
			fed += take;
		}
		if (ok && len > take) {
			memcpy(last + last_len, p + take, len - take);
			last_len += len - take;
		}
	}
	int outl = 0;
	ok = ok && (size_t)(o - out) == bulk && last_len == r &&
	     EVP_EncryptUpdate(c, cipher_last, &outl, last, BLOCK) && outl == BLOCK;
	if (ok) {
		memcpy(before, out + bulk - BLOCK, BLOCK);
		memcpy(out + bulk - BLOCK, cipher_last, BLOCK);
		memcpy(out + bulk, before, r);
	}
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* Decrypts n > BLOCK bytes at in into out (which may be in), with one
 * CBC context: after the whole blocks before the swapped two, its state is
 * the last of them (chain), and each block it decrypts more is the raw
 * AES decryption XOR the block before. */
static bool cts_decrypt(const struct gss_krb5 *k, const uint8_t *key, const uint8_t *in, size_t n,
			uint8_t *out)
{
	if (n <= BLOCK)
		return false;
	size_t r = n % BLOCK ? n % BLOCK : BLOCK;
	size_t head = n - BLOCK - r; /* the whole blocks before the swapped two */
	uint8_t chain[BLOCK] = {0}, x[BLOCK], y[BLOCK] = {0}, d[BLOCK], second_last[BLOCK];
	if (head)
		memcpy(chain, in + head - BLOCK, BLOCK);
	memcpy(x, in + head, BLOCK);
	memcpy(y, in + head + BLOCK, r);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	bool ok = c && EVP_DecryptInit_ex2(c, k->cbc, key, zero_block, NULL) &&
		  EVP_CIPHER_CTX_set_padding(c, 0) &&
		  (!head ||
		   (EVP_DecryptUpdate(c, out, &outl, in, (int)head) && (size_t)outl == head));
	/* x is the last plain block, zero-padded, encrypted over the true
	 * second-to-last cipher block, whose first r bytes are y: d = its raw
	 * decryption. */
	ok = ok && EVP_DecryptUpdate(c, d, &outl, x, BLOCK) && outl == BLOCK;
	if (ok) {
		for (size_t i = 0; i < BLOCK; i++)
			d[i] ^= chain[i];
		memcpy(second_last, y, r);
		memcpy(second_last + r, d + r, BLOCK - r);
		for (size_t i = 0; i < r; i++)
			out[head + BLOCK + i] = d[i] ^ y[i];
		/* The state is x now: the block before second_last is chain. */
		ok = EVP_DecryptUpdate(c, d, &outl, second_last, BLOCK) && outl == BLOCK;
	}
	if (ok)
		for (size_t i = 0; i < BLOCK; i++)
			out[head + i] = d[i] ^ x[i] ^ chain[i];
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* --- keys -------------------------------------------------------------------- */

struct gss_krb5 *gss_krb5_new(int32_t enctype, const uint8_t *key, size_t key_len, bool acceptor,
			      bool acceptor_subkey, uint64_t send_seq)
{
	if (!have_algs())
		return NULL;
	const struct enctype *e = enctype_of(enctype);
	if (!e)
		return NULL;
	struct gss_krb5 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->enctype = enctype;
	k->acceptor = acceptor;
	k->acceptor_subkey = acceptor_subkey;
	k->sha2 = e->sha2;
	k->hmac_len = e->hmac_len;
	k->digest = e->digest;
	k->ke_len = e->ke_len;
	bool aes256 = e->ke_len == 32;
	k->cbc = aes256 ? algs.cbc256 : algs.cbc128;
	k->ecb = aes256 ? algs.ecb256 : algs.ecb128;
	atomic_init(&k->send_seq, send_seq);
	if (key_len != k->ke_len || key_len > sizeof(k->base_key)) {
		free(k);
		return NULL;
	}
	memcpy(k->base_key, key, key_len);
	uint32_t seal = acceptor ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL;
	uint32_t open = acceptor ? USAGE_INITIATOR_SEAL : USAGE_ACCEPTOR_SEAL;
	uint32_t sign = acceptor ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN;
	uint32_t check = acceptor ? USAGE_INITIATOR_SIGN : USAGE_ACCEPTOR_SIGN;
	if (!derive(k, key, key_len, seal, KEY_ENCRYPT, k->seal_ke, NULL) ||
	    !derive(k, key, key_len, open, KEY_ENCRYPT, k->open_ke, NULL) ||
	    !derive(k, key, key_len, seal, KEY_INTEGRITY, NULL, &k->seal_ki) ||
	    !derive(k, key, key_len, open, KEY_INTEGRITY, NULL, &k->open_ki) ||
	    !derive(k, key, key_len, sign, KEY_CHECKSUM, NULL, &k->sign) ||
	    !derive(k, key, key_len, check, KEY_CHECKSUM, NULL, &k->check)) {
		gss_krb5_free(k);
		return NULL;
	}
	return k;
}

void gss_krb5_free(struct gss_krb5 *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->sign);
	EVP_MAC_CTX_free(k->check);
	EVP_MAC_CTX_free(k->seal_ki);
	EVP_MAC_CTX_free(k->open_ki);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

struct gss_krb5 *gss_krb5_take(gss_ctx_id_t *ctx)
{
	/* The lucid export ends the context it is given, so it is given a
	 * copy: the context goes out as an interprocess token and comes back
	 * twice if its keys are not ones done here. */
	OM_uint32 minor;
	gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
	if (gss_export_sec_context(&minor, ctx, &token) != GSS_S_COMPLETE)
		return NULL;
	gss_ctx_id_t copy = GSS_C_NO_CONTEXT;
	void *lucid = NULL;
	struct gss_krb5 *k = NULL;
	if (gss_import_sec_context(&minor, &token, &copy) == GSS_S_COMPLETE &&
	    gss_krb5_export_lucid_sec_context(&minor, &copy, 1, &lucid) == GSS_S_COMPLETE) {
		const gss_krb5_lucid_context_v1_t *l = lucid;
		/* protocol 1: RFC 4121's tokens (0 is RFC 1964's, of older
		 * enctypes). */
		if (l->version == 1 && l->protocol == 1) {
			bool subkey = l->cfx_kd.have_acceptor_subkey != 0;
			const gss_krb5_lucid_key_t *key =
				subkey ? &l->cfx_kd.acceptor_subkey : &l->cfx_kd.ctx_key;
			k = gss_krb5_new((int32_t)key->type, key->data, key->length, !l->initiate,
					 subkey, l->send_seq);
		}
		gss_krb5_free_lucid_sec_context(&minor, lucid);
	}
	if (copy != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &copy, GSS_C_NO_BUFFER);
	if (!k && gss_import_sec_context(&minor, &token, ctx) != GSS_S_COMPLETE)
		*ctx = GSS_C_NO_CONTEXT;
	OPENSSL_cleanse(token.value, token.length);
	gss_release_buffer(&minor, &token);
	return k;
}

int32_t gss_krb5_enctype(const struct gss_krb5 *k) { return k->enctype; }

void gss_krb5_keys_of(const struct gss_krb5 *k, struct gss_krb5_keys *out)
{
	_Static_assert((int)GSS_KRB5_KEY_MAX >= (int)MAX_KEY, "a base key fits");
	out->enctype = k->enctype;
	out->key_len = (uint32_t)k->ke_len;
	memcpy(out->key, k->base_key, k->ke_len);
	out->acceptor = k->acceptor;
	out->acceptor_subkey = k->acceptor_subkey;
	out->send_seq = atomic_load(&k->send_seq);
}

const char *gss_krb5_enctype_name(int32_t enctype)
{
	const struct enctype *e = enctype_of(enctype);
	return e ? e->name : NULL;
}

size_t gss_krb5_mic_size(const struct gss_krb5 *k) { return TOKEN_HEADER + k->hmac_len; }

size_t gss_krb5_wrap_size(const struct gss_krb5 *k, size_t plain_len)
{
	/* header | E(confounder | plain | header) | HMAC */
	return TOKEN_HEADER + CONFOUNDER + plain_len + TOKEN_HEADER + k->hmac_len;
}

/* --- tokens (RFC 4121 4.2.6) ------------------------------------------------- */

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The flags a token from this side carries, and those the peer's must. */
static uint8_t flags_ours(const struct gss_krb5 *k)
{
	return (k->acceptor ? FLAG_SENT_BY_ACCEPTOR : 0) |
	       (k->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0);
}

static uint8_t flags_peer(const struct gss_krb5 *k)
{
	return (k->acceptor ? 0 : FLAG_SENT_BY_ACCEPTOR) |
	       (k->acceptor_subkey ? FLAG_ACCEPTOR_SUBKEY : 0);
}

/* The segments, and after them (or before them) one more. */
static int with_one_more(const struct iovec *iov, int niov, const void *extra, size_t extra_len,
			 bool before, struct iovec *out)
{
	if (niov < 0 || niov > MAX_SEGMENTS)
		return -1;
	int n = 0;
	if (before)
		out[n++] = (struct iovec){(void *)extra, extra_len};
	for (int i = 0; i < niov; i++)
		out[n++] = iov[i];
	if (!before)
		out[n++] = (struct iovec){(void *)extra, extra_len};
	return n;
}

int gss_krb5_get_mic(struct gss_krb5 *k, const struct iovec *iov, int niov, uint8_t *out)
{
	out[0] = 0x04;
	out[1] = 0x04;
	out[2] = flags_ours(k);
	memset(out + 3, 0xff, 5);
	put_be64(out + 8, atomic_fetch_add_explicit(&k->send_seq, 1, memory_order_relaxed));
	/* The checksum covers the message, then the token's header. */
	struct iovec all[MAX_SEGMENTS + 1];
	int n = with_one_more(iov, niov, out, TOKEN_HEADER, false, all);
	return n >= 0 && hmac_of(k->sign, all, n, out + TOKEN_HEADER, k->hmac_len) ? 0 : -EIO;
}

int gss_krb5_verify_mic(const struct gss_krb5 *k, const struct iovec *iov, int niov,
			const uint8_t *tok, size_t len)
{
	static const uint8_t filler[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
	if (len != gss_krb5_mic_size(k) || tok[0] != 0x04 || tok[1] != 0x04 ||
	    (tok[2] & ~FLAG_SEALED) != flags_peer(k) || memcmp(tok + 3, filler, 5) != 0)
		return -EACCES;
	struct iovec all[MAX_SEGMENTS + 1];
	uint8_t want[MAX_HMAC];
	int n = with_one_more(iov, niov, tok, TOKEN_HEADER, false, all);
	if (n < 0 || !hmac_of(k->check, all, n, want, k->hmac_len))
		return -EIO;
	return CRYPTO_memcmp(want, tok + TOKEN_HEADER, k->hmac_len) == 0 ? 0 : -EACCES;
}

int gss_krb5_wrap(struct gss_krb5 *k, const struct iovec *iov, int niov, uint8_t *out)
{
	if (niov < 0 || niov > MAX_SEGMENTS)
		return -EIO;
	size_t plain_len = 0;
	for (int i = 0; i < niov; i++)
		plain_len += iov[i].iov_len;
	/* The header, with no filler before it (EC 0: ciphertext stealing
	 * needs no padding) and not rotated (RRC 0). */
	uint8_t *h = out;
	h[0] = 0x05;
	h[1] = 0x04;
	h[2] = flags_ours(k) | FLAG_SEALED;
	h[3] = 0xff;
	memset(h + 4, 0, 4);
	put_be64(h + 8, atomic_fetch_add_explicit(&k->send_seq, 1, memory_order_relaxed));

	/* Encrypted: a random confounder, the message, a copy of the header. */
	uint8_t confounder[CONFOUNDER];
	if (RAND_bytes(confounder, sizeof(confounder)) != 1)
		return -EIO;
	struct iovec all[MAX_SEGMENTS + 2];
	all[0] = (struct iovec){confounder, CONFOUNDER};
	memcpy(all + 1, iov, sizeof(*iov) * (size_t)niov);
	all[niov + 1] = (struct iovec){h, TOKEN_HEADER};
	size_t n = CONFOUNDER + plain_len + TOKEN_HEADER;
	uint8_t *cipher = out + TOKEN_HEADER, *mac = cipher + n;
	if (!cts_encrypt(k, k->seal_ke, all, niov + 2, n, cipher))
		return -EIO;
	bool ok;
	if (k->sha2) {
		/* RFC 8009 5: the HMAC of the initial state, then the
		 * ciphertext. */
		struct iovec c[2] = {{(void *)zero_block, BLOCK}, {cipher, n}};
		ok = hmac_of(k->seal_ki, c, 2, mac, k->hmac_len);
	} else {
		/* RFC 3962 6: the HMAC of the plain text. */
		ok = hmac_of(k->seal_ki, all, niov + 2, mac, k->hmac_len);
	}
	return ok ? 0 : -EIO;
}

int gss_krb5_unwrap(const struct gss_krb5 *k, const uint8_t *tok, size_t len, uint8_t *work,
		    size_t *plain_off, size_t *plain_len)
{
	if (len < TOKEN_HEADER + CONFOUNDER + TOKEN_HEADER + k->hmac_len || tok[0] != 0x05 ||
	    tok[1] != 0x04 || tok[2] != (flags_peer(k) | FLAG_SEALED) || tok[3] != 0xff)
		return -EACCES;
	uint8_t header[TOKEN_HEADER];
	memcpy(header, tok, TOKEN_HEADER);
	size_t ec = (size_t)header[4] << 8 | header[5];
	size_t rrc = (size_t)header[6] << 8 | header[7];
	const uint8_t *body = tok + TOKEN_HEADER;
	size_t body_len = len - TOKEN_HEADER;
	/* A rotated token (RRC, RFC 4121 4.2.5) is turned back first. */
	rrc %= body_len;
	if (rrc) {
		memcpy(work, body + rrc, body_len - rrc);
		memcpy(work + body_len - rrc, body, rrc);
		body = work;
	}
	size_t n = body_len - k->hmac_len;
	const uint8_t *mac = body + n;
	uint8_t want[MAX_HMAC], got[MAX_HMAC];
	memcpy(got, mac, k->hmac_len); /* decrypting into work may overwrite it */
	if (k->sha2) {
		struct iovec c[2] = {{(void *)zero_block, BLOCK}, {(void *)body, n}};
		if (!hmac_of(k->open_ki, c, 2, want, k->hmac_len))
			return -EIO;
		if (CRYPTO_memcmp(want, got, k->hmac_len) != 0)
			return -EACCES;
	}
	if (!cts_decrypt(k, k->open_ke, body, n, work))
		return -EIO;
	if (!k->sha2) {
		struct iovec p = {work, n};
		if (!hmac_of(k->open_ki, &p, 1, want, k->hmac_len))
			return -EIO;
		if (CRYPTO_memcmp(want, got, k->hmac_len) != 0)
			return -EACCES;
	}
	/* confounder | plain | EC filler | header (its RRC 0) */
	if (n < CONFOUNDER + ec + TOKEN_HEADER)
		return -EACCES;
	header[6] = header[7] = 0;
	if (CRYPTO_memcmp(work + n - TOKEN_HEADER, header, TOKEN_HEADER) != 0)
		return -EACCES;
	*plain_off = CONFOUNDER;
	*plain_len = n - CONFOUNDER - ec - TOKEN_HEADER;
	return 0;
}
