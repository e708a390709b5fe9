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
};

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
