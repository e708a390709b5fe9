/* TLS contexts and sessions on OpenSSL 3 (see tls.h). */
#include "rpc/tls/tls.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rpc/tls/tls_internal.h"

static const char *const failure_names[RPC_TLS_FAIL_KINDS] = {
	"not_tls", "protocol", "certificate", "timeout", "closed",
};

const char *rpc_tls_failure_name(enum rpc_tls_failure f)
{
	return f < RPC_TLS_FAIL_KINDS ? failure_names[f] : "?";
}

struct rpc_tls_ctx {
	atomic_uint refs;
	SSL_CTX *ssl;
	struct rpc_tls_ctx_info info;
};

void rpc_tls_openssl_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char detail[256] = "";
	if (e)
		ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	snprintf(err, errlen, "%s %s%s%s", what, path ? path : "", detail[0] ? ": " : "",
		 detail);
}

/* RFC 9289 7.2: the ALPN identifier of RPC-with-TLS.  A client that offers
 * ALPN must offer it; one that offers none is served all the same. */
static const unsigned char alpn_sunrpc[] = {6, 's', 'u', 'n', 'r', 'p', 'c'};

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	unsigned char *sel = NULL;
	if (SSL_select_next_proto(&sel, outlen, alpn_sunrpc, sizeof(alpn_sunrpc), in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *rpc_tls_new_ssl_ctx(bool server)
{
	SSL_CTX *ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ssl)
		return NULL;
	/* RFC 9289 5.1: TLS 1.3 or later. */
	SSL_CTX_set_min_proto_version(ssl, TLS1_3_VERSION);
	/* Kernel TLS where the kernel offers it (OpenSSL checks and falls
	 * back to encrypting itself); no session tickets: clients reconnect
	 * seldom and NFS clients do not resume. */
	SSL_CTX_set_options(ssl, SSL_OP_ENABLE_KTLS | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ssl, 0);
	/* Writes of queued replies may come back with another pointer to the
	 * same bytes, and take what fits. */
	SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_clear_mode(ssl, SSL_MODE_AUTO_RETRY);
	return ssl;
}

static void describe_cert(SSL_CTX *ssl, struct rpc_tls_ctx_info *info)
{
	X509 *x = SSL_CTX_get0_certificate(ssl);
	if (!x)
		return;
	X509_NAME_oneline(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	BIO *b = BIO_new(BIO_s_mem());
	if (b && ASN1_TIME_print(b, X509_get0_notAfter(x))) {
		int n = BIO_read(b, info->not_after, (int)sizeof(info->not_after) - 1);
		info->not_after[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

struct rpc_tls_ctx *rpc_tls_ctx_load(const struct rpc_tls_files *f, char *err, size_t errlen)
{
	if (!f->cert || !f->cert[0] || !f->key || !f->key[0]) {
		snprintf(err, errlen, "[tls] needs both cert and key");
		return NULL;
	}
	SSL_CTX *ssl = rpc_tls_new_ssl_ctx(true);
	if (!ssl) {
		rpc_tls_openssl_error(err, errlen, "cannot make a TLS context", NULL);
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ssl, f->cert) != 1) {
		rpc_tls_openssl_error(err, errlen, "[tls] cert: cannot use", f->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ssl, f->key, SSL_FILETYPE_PEM) != 1) {
		rpc_tls_openssl_error(err, errlen, "[tls] key: cannot use", f->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ssl) != 1) {
		snprintf(err, errlen, "[tls] key %s does not match the certificate %s", f->key,
			 f->cert);
		ERR_clear_error();
		goto fail;
	}
	bool client_ca = f->client_ca && f->client_ca[0];
	if (client_ca) {
		if (SSL_CTX_load_verify_locations(ssl, f->client_ca, NULL) != 1) {
			rpc_tls_openssl_error(err, errlen, "[tls] client_ca: cannot use",
					      f->client_ca);
			goto fail;
		}
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(f->client_ca);
		if (names)
			SSL_CTX_set_client_CA_list(ssl, names);
		/* A certificate is asked for, not required: the export decides
		 * (xprtsec = mtls).  One that is given must verify. */
		SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	}
	SSL_CTX_set_alpn_select_cb(ssl, select_alpn, NULL);
	SSL_CTX_set_keylog_callback(ssl, rpc_tls_keylog);
	struct rpc_tls_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	atomic_init(&c->refs, 1);
	c->ssl = ssl;
	c->info.client_ca = client_ca;
	describe_cert(ssl, &c->info);
	return c;
fail:
	SSL_CTX_free(ssl);
	return NULL;
}

struct rpc_tls_ctx *rpc_tls_ctx_ref(struct rpc_tls_ctx *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void rpc_tls_ctx_unref(struct rpc_tls_ctx *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	SSL_CTX_free(c->ssl);
	free(c);
}

void rpc_tls_ctx_info(const struct rpc_tls_ctx *c, struct rpc_tls_ctx_info *out)
{
	*out = c->info;
}

/* --- sessions ------------------------------------------------------------ */

struct rpc_tls_session *rpc_tls_session_wrap(SSL *ssl, int fd)
{
	struct rpc_tls_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ssl = ssl;
	s->fd = fd;
	if (SSL_set_fd(ssl, fd) != 1) {
		free(s);
		return NULL;
	}
	return s;
}

struct rpc_tls_session *rpc_tls_session_server(struct rpc_tls_ctx *c, int fd)
{
	SSL *ssl = SSL_new(c->ssl);
	if (!ssl)
		return NULL;
	struct rpc_tls_session *s = rpc_tls_session_wrap(ssl, fd);
	if (!s) {
		SSL_free(ssl);
		return NULL;
	}
	s->server = true;
	SSL_set_app_data(ssl, s);
	SSL_set_accept_state(ssl);
	return s;
}

struct rpc_tls_session *rpc_tls_session_kernel(int fd, const struct rpc_tls_info *info)
{
	if (!info->ktls_send || !info->ktls_recv)
		return NULL;
	struct rpc_tls_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = fd;
	s->server = true;
	s->established = true;
	s->ktls_send = s->ktls_recv = s->rx_kernel = true;
	s->peer = info->peer;
	snprintf(s->version, sizeof(s->version), "%s", info->version);
	snprintf(s->cipher, sizeof(s->cipher), "%s", info->cipher);
	return s;
}

void rpc_tls_session_free(struct rpc_tls_session *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	OPENSSL_cleanse(s->rx_secret, sizeof(s->rx_secret));
	free(s);
}

/* The verified peer certificate's names and fingerprint. */
void rpc_tls_collect_peer(struct rpc_tls_session *s)
{
	struct rpc_tls_peer *p = &s->peer;
	memset(p, 0, sizeof(*p));
	X509 *x = SSL_get0_peer_certificate(s->ssl);
	if (!x || SSL_get_verify_result(s->ssl) != X509_V_OK)
		return;
	p->verified = true;
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && p->nnames < RPC_TLS_MAX_NAMES;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		char *out = p->names[p->nnames];
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *d = g->d.dNSName;
			if (d->length <= 0 || d->length >= RPC_TLS_NAME_MAX ||
			    memchr(d->data, 0, (size_t)d->length))
				continue;
			memcpy(out, d->data, (size_t)d->length);
			out[d->length] = '\0';
			p->nnames++;
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *ip = g->d.iPAddress;
			int family = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
			if (family && inet_ntop(family, ip->data, out, RPC_TLS_NAME_MAX))
				p->nnames++;
		}
	}
	GENERAL_NAMES_free(sans);
	if (p->nnames < RPC_TLS_MAX_NAMES) {
		int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
						  p->names[p->nnames], RPC_TLS_NAME_MAX);
		if (n > 0)
			p->nnames++;
	}
	unsigned char md[32];
	unsigned mdlen = 0;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(p->sha256 + 2 * i, 3, "%02x", md[i]);
}

/* What an SSL error on the handshake means. */
static enum rpc_tls_failure classify_failure(struct rpc_tls_session *s, int ssl_err)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	enum rpc_tls_failure f = RPC_TLS_FAIL_PROTOCOL;
	if ((ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) && !e)
		f = RPC_TLS_FAIL_CLOSED;
	if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
	    reason == SSL_R_RECORD_LENGTH_MISMATCH || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
	    reason == SSL_R_UNKNOWN_PROTOCOL)
		f = RPC_TLS_FAIL_NOT_TLS;
	if (SSL_get_verify_result(s->ssl) != X509_V_OK ||
	    reason == SSL_R_CERTIFICATE_VERIFY_FAILED || reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		f = RPC_TLS_FAIL_CERTIFICATE;
	ERR_clear_error();
	return f;
}

enum rpc_tls_step rpc_tls_handshake(struct rpc_tls_session *s, enum rpc_tls_failure *why)
{
	ERR_clear_error();
	int r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->established = true;
		rpc_tls_collect_peer(s);
		s->ktls_send = BIO_get_ktls_send(SSL_get_wbio(s->ssl));
		s->ktls_recv = BIO_get_ktls_recv(SSL_get_rbio(s->ssl));
		if (!s->ktls_recv)
			rpc_tls_ktls_rx_enable(s);
		else
			OPENSSL_cleanse(s->rx_secret, sizeof(s->rx_secret));
		return RPC_TLS_DONE;
	}
	int e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return RPC_TLS_WANT_READ;
	if (e == SSL_ERROR_WANT_WRITE)
		return RPC_TLS_WANT_WRITE;
	*why = classify_failure(s, e);
	return RPC_TLS_FAILED;
}

ssize_t rpc_tls_read(struct rpc_tls_session *s, void *buf, size_t len)
{
	if (s->rx_kernel)
		return rpc_tls_kernel_read(s, buf, len);
	size_t got = 0;
	while (got < len) {
		size_t n = 0;
		ERR_clear_error();
		if (SSL_read_ex(s->ssl, (uint8_t *)buf + got, len - got, &n) == 1) {
			got += n;
			continue;
		}
		int e = SSL_get_error(s->ssl, 0);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		if (got)
			break; /* the error comes back on the next call */
		ERR_clear_error();
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_SYSCALL && errno == 0)
			return 0; /* end of stream without close_notify */
		if (e != SSL_ERROR_SYSCALL)
			errno = EPROTO;
		return -1;
	}
	if (got == 0 && len > 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)got;
}

bool rpc_tls_pending(struct rpc_tls_session *s)
{
	return !s->rx_kernel && SSL_has_pending(s->ssl) == 1;
}

ssize_t rpc_tls_writev(struct rpc_tls_session *s, const struct iovec *iov, int iovcnt)
{
	if (!s->ssl) /* the kernel's session: it encrypts */
		return writev(s->fd, iov, iovcnt);
	/* Small pieces are joined into records of up to 16 KiB (one record,
	 * one send each); a large piece goes as it is. */
	enum { RECORD = 16384 };
	uint8_t stage[RECORD];
	size_t total = 0;
	int i = 0;
	while (i < iovcnt) {
		const uint8_t *p;
		size_t len;
		if (iov[i].iov_len >= RECORD) {
			p = iov[i].iov_base;
			len = iov[i].iov_len;
			i++;
		} else {
			len = 0;
			while (i < iovcnt && len + iov[i].iov_len <= RECORD) {
				memcpy(stage + len, iov[i].iov_base, iov[i].iov_len);
				len += iov[i].iov_len;
				i++;
			}
			if (i < iovcnt && iov[i].iov_len < RECORD) {
				/* A part of the next piece fills the record. */
				size_t part = RECORD - len;
				memcpy(stage + len, iov[i].iov_base, part);
				len += part;
				i = iovcnt; /* stop after this record */
			}
			p = stage;
		}
		size_t n = 0;
		ERR_clear_error();
		if (SSL_write_ex(s->ssl, p, len, &n) != 1) {
			int e = SSL_get_error(s->ssl, 0);
			ERR_clear_error();
			if (total)
				return (ssize_t)total;
			errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? EAGAIN
											  : EPIPE;
			return -1;
		}
		total += n;
		if (n < len)
			return (ssize_t)total;
	}
	return (ssize_t)total;
}

void rpc_tls_shutdown(struct rpc_tls_session *s)
{
	if (s && s->established && !s->ssl) {
		rpc_tls_kernel_close_notify(s);
		return;
	}
	if (s && s->established) {
		ERR_clear_error();
		SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
}

bool rpc_tls_ktls_send(const struct rpc_tls_session *s)
{
	return s->established && s->ktls_send;
}

void rpc_tls_session_info(const struct rpc_tls_session *s, struct rpc_tls_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->established)
		return;
	snprintf(out->version, sizeof(out->version), "%s",
		 s->ssl ? SSL_get_version(s->ssl) : s->version);
	snprintf(out->cipher, sizeof(out->cipher), "%s",
		 s->ssl ? SSL_get_cipher_name(s->ssl) : s->cipher);
	out->ktls_send = s->ktls_send;
	out->ktls_recv = s->ktls_recv;
	out->peer = s->peer;
}

/* Hex digits of a fingerprint as configured, colons and case aside. */
static bool fingerprint_equal(const char *want, const char *have)
{
	size_t j = 0;
	for (const char *p = want; *p; p++) {
		if (*p == ':')
			continue;
		char c = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
		if (!have[j] || have[j] != c)
			return false;
		j++;
	}
	return j == 64 && have[j] == '\0';
}

bool rpc_tls_peer_matches(const struct rpc_tls_peer *p, const char *name)
{
	if (!p || !p->verified)
		return false;
	if (strncmp(name, "sha256:", 7) == 0)
		return fingerprint_equal(name + 7, p->sha256);
	for (unsigned i = 0; i < p->nnames; i++)
		if (strcasecmp(p->names[i], name) == 0)
			return true;
	return false;
}
