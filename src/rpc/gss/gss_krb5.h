/* The Kerberos 5 mechanism's per-message tokens (RFC 4121 4.2: MIC and
 * sealed Wrap tokens) made and checked with OpenSSL's AES and HMAC, from
 * the keys of a context MIT's GSS-API established.
 *
 * Why: Debian's MIT Kerberos does its per-message work with its built-in
 * crypto, which uses neither AES-NI nor the SHA extensions; krb5p's large
 * READs and WRITEs spent four fifths of ferryd's time there.  OpenSSL uses
 * both.  The enctypes done here are RFC 3962's aes128/aes256-cts-hmac-sha1-96
 * (17, 18) and RFC 8009's aes128-cts-hmac-sha256-128 and
 * aes256-cts-hmac-sha384-192 (19, 20); a context of any other enctype stays
 * with MIT's calls (gss_krb5_take answers NULL).
 *
 * Sequence numbers inside tokens (SND_SEQ) are written but not checked on
 * receipt: RPCSEC_GSS has its own window (RFC 2203 5.3.3.1), and calls
 * are served out of order.
 *
 * A struct gss_krb5 is read-only once made, but for its send sequence
 * number (atomic): any number of threads may use one at once. */
#ifndef FERRY_RPC_GSS_KRB5_H
#define FERRY_RPC_GSS_KRB5_H

#include <gssapi/gssapi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct gss_krb5;

/* The enctypes this file does (RFC 3961 8, RFC 8009 8). */
enum {
	GSS_KRB5_AES128_SHA1 = 17,
	GSS_KRB5_AES256_SHA1 = 18,
	GSS_KRB5_AES128_SHA256 = 19,
	GSS_KRB5_AES256_SHA384 = 20,
};

/* Takes the keys of *ctx, an established Kerberos 5 context, through
 * MIT's lucid export.  On success *ctx is GSS_C_NO_CONTEXT: the returned
 * keys do all its per-message work.  NULL when its enctype or token format
 * is not one this file does: *ctx is then a context as good as before (it
 * was exported and imported back), or GSS_C_NO_CONTEXT if even that
 * failed. */
struct gss_krb5 *gss_krb5_take(gss_ctx_id_t *ctx);

/* Keys from a base key (the acceptor subkey when acceptor_subkey, else the
 * context key) of enctype; acceptor: this side accepted the context.
 * NULL for an enctype not done here, a key of the wrong length, or no
 * memory. */
struct gss_krb5 *gss_krb5_new(int32_t enctype, const uint8_t *key, size_t key_len, bool acceptor,
			      bool acceptor_subkey, uint64_t send_seq);

void gss_krb5_free(struct gss_krb5 *k);

/* What gss_krb5_new needs to make k again, in the ferryd an in-place
 * upgrade starts: the enctype, the base key, the sides and the next send
 * sequence number.  Secret: cleanse it once used. */
enum { GSS_KRB5_KEY_MAX = 32 };
struct gss_krb5_keys {
	int32_t enctype;
	uint8_t key[GSS_KRB5_KEY_MAX];
	uint32_t key_len;
	bool acceptor, acceptor_subkey;
	uint64_t send_seq;
};
void gss_krb5_keys_of(const struct gss_krb5 *k, struct gss_krb5_keys *out);

int32_t gss_krb5_enctype(const struct gss_krb5 *k);

/* An enctype's name (RFC 3962, RFC 8009), or NULL for one not done here. */
const char *gss_krb5_enctype_name(int32_t enctype);

/* The length of a MIC token, and of a Wrap token around plain_len bytes. */
size_t gss_krb5_mic_size(const struct gss_krb5 *k);
size_t gss_krb5_wrap_size(const struct gss_krb5 *k, size_t plain_len);

/* The MIC token of the niov segments at iov, into out
 * (gss_krb5_mic_size bytes).  0, or -EIO. */
int gss_krb5_get_mic(struct gss_krb5 *k, const struct iovec *iov, int niov, uint8_t *out);

/* 0 when tok (len bytes) is the peer's MIC token of the segments, else
 * -EACCES (-EIO when the crypto library failed). */
int gss_krb5_verify_mic(const struct gss_krb5 *k, const struct iovec *iov, int niov,
			const uint8_t *tok, size_t len);

/* The sealed (encrypted) Wrap token of the segments, into out
 * (gss_krb5_wrap_size of their total bytes).  0, or -EIO. */
int gss_krb5_wrap(struct gss_krb5 *k, const struct iovec *iov, int niov, uint8_t *out);

/* Opens the peer's sealed Wrap token tok (len bytes) into work, which has
 * room for len bytes and does not overlap tok: the plain text is then
 * work[*plain_off, *plain_off + *plain_len).  0, -EACCES for a token that
 * is not one, does not verify or is not sealed, -EIO when the crypto
 * library failed. */
int gss_krb5_unwrap(const struct gss_krb5 *k, const uint8_t *tok, size_t len, uint8_t *work,
		    size_t *plain_off, size_t *plain_len);

/* RFC 3961 5.1's n-fold of in (in_len bytes) into out_len bytes. */
void gss_krb5_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

#endif
