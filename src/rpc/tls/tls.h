/* RPC-with-TLS (RFC 9289) on OpenSSL 3: the server's certificate and the
 * CA its clients' certificates must chain to (a context, reloadable), and
 * one TLS session per connection, server or client side.
 *
 * A connection starts in plain text.  A client that wants TLS sends a NULL
 * call with the AUTH_TLS credential; the server answers it with the
 * verifier "STARTTLS" (rpc/dispatch.c), and the next bytes on the
 * connection are the client's TLS 1.3 ClientHello.  Once the handshake is
 * done, RPC records travel inside TLS records.
 *
 * Where the kernel has kernel TLS (the `tls` module), OpenSSL hands the
 * session's keys to the socket once the handshake is done: writes (writev,
 * and splice of a READ's file pages) then go to the socket as they do in
 * plain text and the kernel encrypts them; rpc_tls_ktls_send says so.
 * Without it every byte goes through rpc_tls_read and rpc_tls_writev,
 * encrypted in user space.
 *
 * Threads: a session is used by one thread at a time (its connection's
 * lock serialises reads, writes and the handshake); a context is shared
 * and immutable once loaded. */
#ifndef FERRY_RPC_TLS_H
#define FERRY_RPC_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The verifier body of an accepted AUTH_TLS probe (RFC 9289 4.1). */
#define RPC_TLS_STARTTLS "STARTTLS"
enum {
	RPC_TLS_STARTTLS_LEN = 8,
	/* A verified client certificate's names kept for export host rules
	 * (subjectAltName DNS and IP entries, then the subject's CN). */
	RPC_TLS_MAX_NAMES = 8,
	RPC_TLS_NAME_MAX = 128,
	RPC_TLS_DEFAULT_HANDSHAKE_S = 10,
};

/* Why a handshake failed, for the counters (ferry_tls_handshake_failures_total). */
enum rpc_tls_failure {
	RPC_TLS_FAIL_NOT_TLS,     /* the bytes after STARTTLS were no TLS record */
	RPC_TLS_FAIL_PROTOCOL,    /* a TLS alert or an unacceptable version or cipher */
	RPC_TLS_FAIL_CERTIFICATE, /* the client's certificate did not verify */
	RPC_TLS_FAIL_TIMEOUT,     /* not done within the handshake timeout */
	RPC_TLS_FAIL_CLOSED,      /* the peer closed or reset the connection */
	RPC_TLS_FAIL_KINDS
};
const char *rpc_tls_failure_name(enum rpc_tls_failure f);

/* --- the server's context ----------------------------------------------- */

struct rpc_tls_files {
	const char *cert;      /* PEM: the server's certificate (chain) */
	const char *key;       /* PEM: its private key */
	const char *client_ca; /* PEM: CAs of client certificates; NULL: none asked */
};

struct rpc_tls_ctx;

/* Reads the files and makes a server context (TLS 1.3 only, ALPN
 * "sunrpc", kernel TLS where the kernel has it).  NULL with a message in
 * err when a file is missing, unreadable, or the key does not match the
 * certificate.  One reference for the caller. */
struct rpc_tls_ctx *rpc_tls_ctx_load(const struct rpc_tls_files *f, char *err, size_t errlen);
struct rpc_tls_ctx *rpc_tls_ctx_ref(struct rpc_tls_ctx *c);
void rpc_tls_ctx_unref(struct rpc_tls_ctx *c);

/* What the control plane shows of a context. */
struct rpc_tls_ctx_info {
	char subject[256];  /* of the server's certificate */
	char not_after[64]; /* its expiry, as OpenSSL prints it */
	bool client_ca;     /* client certificates are asked for */
};
void rpc_tls_ctx_info(const struct rpc_tls_ctx *c, struct rpc_tls_ctx_info *out);

/* --- a session -------------------------------------------------------- */

struct rpc_tls_session;

/* The server side of a connection on fd (not taken: the connection closes
 * it).  NULL when out of memory. */
struct rpc_tls_session *rpc_tls_session_server(struct rpc_tls_ctx *c, int fd);
void rpc_tls_session_free(struct rpc_tls_session *s);

enum rpc_tls_step {
	RPC_TLS_DONE,
	RPC_TLS_WANT_READ,
	RPC_TLS_WANT_WRITE,
	RPC_TLS_FAILED, /* *why says why; the connection is to be closed */
};

/* Advances the handshake without blocking. */
enum rpc_tls_step rpc_tls_handshake(struct rpc_tls_session *s, enum rpc_tls_failure *why);

/* As read(2) on the plain text: > 0 bytes, 0 at the peer's close_notify or
 * end of stream, -1 with errno EAGAIN (nothing yet) or EPROTO (a bad
 * record: the stream is lost).  Reads until len bytes or nothing more is
 * buffered, so a short count means the socket is drained. */
ssize_t rpc_tls_read(struct rpc_tls_session *s, void *buf, size_t len);

/* Whether bytes already received are waiting in the session (decrypted,
 * or a record read in part): a reader must come back for them without
 * waiting for the socket to become readable. */
bool rpc_tls_pending(struct rpc_tls_session *s);

/* As writev(2) through TLS: bytes taken (a prefix of the iovecs), or -1
 * with errno EAGAIN or EPIPE.  After EAGAIN the next call must start
 * with the same bytes (they may be encrypted already). */
ssize_t rpc_tls_writev(struct rpc_tls_session *s, const struct iovec *iov, int iovcnt);

/* Sends close_notify, without waiting for the peer's. */
void rpc_tls_shutdown(struct rpc_tls_session *s);

/* The kernel encrypts what is written to the socket (kernel TLS): writev
 * and splice may go to the descriptor directly. */
bool rpc_tls_ktls_send(const struct rpc_tls_session *s);

/* After the handshake: what it agreed and who the peer proved to be (a
 * client's certificate on the server, the server's on a client that
 * verified it). */
struct rpc_tls_peer {
	bool verified; /* a client certificate that chains to client_ca */
	char names[RPC_TLS_MAX_NAMES][RPC_TLS_NAME_MAX];
	unsigned nnames;
	char sha256[65]; /* the certificate's SHA-256 fingerprint, lower-case hex */
};
struct rpc_tls_info {
	char version[16]; /* "TLSv1.3" */
	char cipher[64];
	bool ktls_send, ktls_recv;
	struct rpc_tls_peer peer;
};
void rpc_tls_session_info(const struct rpc_tls_session *s, struct rpc_tls_info *out);

/* In-place upgrades: once the kernel does both directions (ktls_send and
 * ktls_recv), a session lives in its socket, which a process an upgrade
 * starts is handed; this makes it that process's session on fd (not
 * taken), from what the one before said of it (info).  Records that are
 * not application data are handled as before (close_notify ends the
 * stream, anything else closes the connection); rpc_tls_shutdown sends
 * close_notify through the kernel.  NULL when out of memory or info does
 * not say both directions are the kernel's. */
struct rpc_tls_session *rpc_tls_session_kernel(int fd, const struct rpc_tls_info *info);

/* Whether the peer's certificate names name: a subjectAltName or CN
 * (DNS names without regard to case), or "sha256:HEX" its fingerprint
 * (colons in HEX allowed). */
bool rpc_tls_peer_matches(const struct rpc_tls_peer *p, const char *name);

/* --- the client side (tests, ferry-bench) ----------------------------- */

struct rpc_tls_client_opts {
	const char *ca;   /* PEM: CAs the server's certificate must chain to */
	const char *cert; /* PEM: a client certificate (mutual TLS), or NULL */
	const char *key;
	/* The name or address the server's certificate must carry; NULL:
	 * not checked (the chain still is). */
	const char *server_name;
	unsigned timeout_ms;
};

/* On a connected socket fd (blocking or not): sends the AUTH_TLS probe
 * to prog/vers, expects STARTTLS, and does the handshake.  Returns the
 * session, or NULL with a message in err (-EPROTONOSUPPORT in *rc when the
 * server answered without STARTTLS, -EACCES when the handshake failed,
 * -ETIMEDOUT, or another negative errno). */
struct rpc_tls_session *rpc_tls_client_start(int fd, uint32_t prog, uint32_t vers,
					     const struct rpc_tls_client_opts *o, int *rc,
					     char *err, size_t errlen);

/* The handshake alone (the probe done by the caller). */
struct rpc_tls_session *rpc_tls_client_handshake(int fd, const struct rpc_tls_client_opts *o,
						 int *rc, char *err, size_t errlen);

#endif
