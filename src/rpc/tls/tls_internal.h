/* What tls.c and tls_client.c share. */
#ifndef FERRY_RPC_TLS_INTERNAL_H
#define FERRY_RPC_TLS_INTERNAL_H

#include <openssl/ssl.h>

#include "rpc/tls/tls.h"

struct rpc_tls_session {
	SSL *ssl;
	int fd;
	bool server;
	bool established;
	bool ktls_send, ktls_recv;
	struct rpc_tls_peer peer; /* filled when the handshake is done */
	/* Kernel TLS receiving (tls_ktls_rx.c): the client's application
	 * traffic secret until it is handed over (then wiped), and whether
	 * the kernel decrypts what is read. */
	uint8_t rx_secret[64];
	size_t rx_secret_len;
	bool rx_kernel;
	/* A session taken over from the process before an upgrade
	 * (rpc_tls_session_kernel): no OpenSSL state, the kernel does both
	 * directions; what the handshake agreed, as that process said. */
	char version[16], cipher[64];
};

/* The server context's key log callback: keeps the client's application
 * traffic secret in the session (SSL_get_app_data) for kernel TLS. */
void rpc_tls_keylog(const SSL *ssl, const char *line);

/* After the handshake, with kernel TLS sending: hands the receiving side
 * to the kernel too (TLS 1.3, AES-GCM); false leaves it with OpenSSL.
 * The secret is wiped either way. */
bool rpc_tls_ktls_rx_enable(struct rpc_tls_session *s);

/* Sends close_notify through the kernel (a session of
 * rpc_tls_session_kernel's, which has no OpenSSL state to do it). */
void rpc_tls_kernel_close_notify(struct rpc_tls_session *s);

/* As rpc_tls_read, when the kernel decrypts. */
ssize_t rpc_tls_kernel_read(struct rpc_tls_session *s, void *buf, size_t len);

/* A context with the settings both sides use (TLS 1.3, kernel TLS, no
 * tickets, partial and moving writes). */
SSL_CTX *rpc_tls_new_ssl_ctx(bool server);

/* After the handshake: s->peer from the peer's certificate, when it
 * verified. */
void rpc_tls_collect_peer(struct rpc_tls_session *s);

/* Wraps ssl on fd; NULL when out of memory (ssl is then the caller's). */
struct rpc_tls_session *rpc_tls_session_wrap(SSL *ssl, int fd);

/* "what path: <OpenSSL's reason>" into err; clears OpenSSL's error queue. */
void rpc_tls_openssl_error(char *err, size_t errlen, const char *what, const char *path);

#endif
