/* The receiving side of a TLS 1.3 session handed to the kernel (kernel
 * TLS, TLS_RX), which OpenSSL 3.0 does for sending only.
 *
 * Once the handshake is done, the client's application traffic secret
 * (from OpenSSL's key log callback, kept only until then) gives the key and
 * IV by RFC 8446 7.3, and the kernel decrypts every record after it: reads
 * and splices of the socket then see plain text, as without TLS.  Records
 * other than application data (an alert, a KeyUpdate) come to user space
 * marked with their type (TLS_GET_RECORD_TYPE): close_notify ends the
 * stream, anything else closes the connection. */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include "rpc/tls/tls_internal.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

enum { TLS_RECORD_ALERT = 21, TLS_RECORD_DATA = 23, TLS_ALERT_CLOSE_NOTIFY = 0 };

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void rpc_tls_keylog(const SSL *ssl, const char *line)
{
	static const char label[] = "CLIENT_TRAFFIC_SECRET_0 ";
	struct rpc_tls_session *s = SSL_get_app_data(ssl);
	if (!s || strncmp(line, label, sizeof(label) - 1) != 0)
		return;
	const char *p = strchr(line + sizeof(label) - 1, ' '); /* past the client random */
	if (!p)
		return;
	p++;
	size_t n = 0;
	for (; p[0] && p[1] && n < sizeof(s->rx_secret); p += 2) {
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0)
			break;
		s->rx_secret[n++] = (uint8_t)(hi << 4 | lo);
	}
	s->rx_secret_len = n;
}

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 7.1. */
static bool expand_label(const char *digest, const uint8_t *secret, size_t secret_len,
			 const char *label, uint8_t *out, size_t len)
{
	uint8_t info[64];
	size_t ll = strlen("tls13 ") + strlen(label), n = 0;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, strlen(label));
	n += ll;
	info[n++] = 0; /* empty context */
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kctx)
		return false;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
		OSSL_PARAM_construct_end(),
	};
	bool ok = EVP_KDF_derive(kctx, out, len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

/* The TLS 1.3 suites the kernel decrypts, with the hash of their key
 * schedule. */
static const struct {
	const char *name, *digest;
	uint16_t cipher_type;
	size_t key_len;
} kernel_suites[] = {
	{"TLS_AES_128_GCM_SHA256", "SHA256", TLS_CIPHER_AES_GCM_128, 16},
	{"TLS_AES_256_GCM_SHA384", "SHA384", TLS_CIPHER_AES_GCM_256, 32},
};

/* The kernel's form of the key: RFC 8446's 12-byte IV is its 4-byte salt
 * and 8-byte explicit part; the record sequence starts at 0. */
#define FILL_CRYPTO_INFO(ci, type, key, iv)                     \
	do {                                                     \
		(ci).info.version = TLS_1_3_VERSION;             \
		(ci).info.cipher_type = (type);                  \
		memcpy((ci).key, (key), sizeof((ci).key));       \
		memcpy((ci).salt, (iv), sizeof((ci).salt));      \
		memcpy((ci).iv, (iv) + 4, sizeof((ci).iv));      \
	} while (0)

bool rpc_tls_ktls_rx_enable(struct rpc_tls_session *s)
{
	bool ok = false;
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	size_t i = 0;
	while (c && i < sizeof(kernel_suites) / sizeof(kernel_suites[0]) &&
	       strcmp(SSL_CIPHER_get_name(c), kernel_suites[i].name) != 0)
		i++;
	uint8_t key[32], iv[12];
	/* Sending in kernel TLS means the socket already has the tls ULP. */
	if (!s->ktls_send || !c || i == sizeof(kernel_suites) / sizeof(kernel_suites[0]) ||
	    SSL_version(s->ssl) != TLS1_3_VERSION || !s->rx_secret_len ||
	    SSL_has_pending(s->ssl) ||
	    !expand_label(kernel_suites[i].digest, s->rx_secret, s->rx_secret_len, "key", key,
			  kernel_suites[i].key_len) ||
	    !expand_label(kernel_suites[i].digest, s->rx_secret, s->rx_secret_len, "iv", iv, 12))
		goto out;
	union {
		struct tls12_crypto_info_aes_gcm_128 g128;
		struct tls12_crypto_info_aes_gcm_256 g256;
	} ci;
	memset(&ci, 0, sizeof(ci));
	size_t len;
	if (kernel_suites[i].key_len == 16) {
		FILL_CRYPTO_INFO(ci.g128, kernel_suites[i].cipher_type, key, iv);
		len = sizeof(ci.g128);
	} else {
		FILL_CRYPTO_INFO(ci.g256, kernel_suites[i].cipher_type, key, iv);
		len = sizeof(ci.g256);
	}
	ok = setsockopt(s->fd, SOL_TLS, TLS_RX, &ci, (socklen_t)len) == 0;
	OPENSSL_cleanse(&ci, sizeof(ci));
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(s->rx_secret, sizeof(s->rx_secret));
	s->rx_secret_len = 0;
	s->rx_kernel = ok;
	if (ok)
		s->ktls_recv = true;
	return ok;
}

void rpc_tls_kernel_close_notify(struct rpc_tls_session *s)
{
	/* An alert record (RFC 8446 6): warning level, close_notify. */
	static const uint8_t alert[2] = {1, TLS_ALERT_CLOSE_NOTIFY};
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {(void *)alert, sizeof(alert)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*(unsigned char *)CMSG_DATA(cm) = TLS_RECORD_ALERT;
	/* Best effort, as SSL_shutdown's: the connection closes anyway. */
	(void)sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

ssize_t rpc_tls_kernel_read(struct rpc_tls_session *s, void *buf, size_t len)
{
	/* One receive: the kernel never mixes record types in one, and what
	 * it keeps is seen by epoll (unlike what OpenSSL keeps). */
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = {buf, len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	do
		n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n; /* EAGAIN, the socket's error, or end of stream */
	unsigned char type = TLS_RECORD_DATA;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE)
			type = *(unsigned char *)CMSG_DATA(cm);
	if (type == TLS_RECORD_DATA)
		return n;
	/* An alert is two bytes: level, description. */
	const uint8_t *rec = buf;
	if (type == TLS_RECORD_ALERT && n >= 2 && rec[1] == TLS_ALERT_CLOSE_NOTIFY)
		return 0;
	errno = EPROTO;
	return -1;
}
