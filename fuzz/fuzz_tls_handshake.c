/* libFuzzer target: what a client sends after STARTTLS, into ferryd's side
 * of a TLS handshake (rpc/tls/tls.h) and, if the handshake completes, into
 * its record reads.
 *
 * The input is the byte stream of the client, cut into the writes the
 * fuzzer chooses: byte 0 is the size of each write (1 to 256; 0 means the
 * whole input at once), the rest the stream.  The server's answers are
 * read and thrown away, as an unresponsive client would.
 *
 * Checked beyond "no sanitizer report": the handshake ends in one of the
 * steps the header names, a failure with one of the causes it names, and
 * a session that failed never claims to be established; reads after a
 * completed handshake return a count within the buffer, 0 or -1. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "rpc/tls/tls.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/* A self-signed server certificate in a directory of the run's own, made
 * once. */
static struct rpc_tls_ctx *server_ctx(void)
{
	static struct rpc_tls_ctx *ctx;
	if (ctx)
		return ctx;
	char dir[] = "/tmp/ferry-fuzz-tls-XXXXXX";
	CHECK(mkdtemp(dir));
	char cert[64], key[64];
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	CHECK(k && x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	CHECK(X509_sign(x, k, EVP_sha256()));
	FILE *f = fopen(cert, "w");
	CHECK(f && PEM_write_X509(f, x) == 1);
	fclose(f);
	f = fopen(key, "w");
	CHECK(f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
	char err[256];
	/* The CA of client certificates: the server's own, so that the
	 * certificate request and verification paths run too. */
	struct rpc_tls_files files = {cert, key, cert};
	ctx = rpc_tls_ctx_load(&files, err, sizeof(err));
	CHECK(ctx);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	return ctx;
}

static void drain(int fd)
{
	uint8_t sink[4096];
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1)
		return 0;
	size_t chunk = in[0] ? in[0] : n;
	in++;
	n--;
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	struct rpc_tls_session *s = rpc_tls_session_server(server_ctx(), sv[0]);
	CHECK(s);
	enum rpc_tls_step st = RPC_TLS_WANT_READ;
	size_t off = 0;
	for (int rounds = 0; rounds < 4096 && st != RPC_TLS_FAILED; rounds++) {
		if (st == RPC_TLS_WANT_READ || st == RPC_TLS_DONE) {
			if (off >= n)
				break;
			size_t len = chunk < n - off ? chunk : n - off;
			ssize_t w = send(sv[1], in + off, len, MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
		}
		drain(sv[1]);
		if (st == RPC_TLS_DONE) {
			uint8_t buf[1024];
			ssize_t r = rpc_tls_read(s, buf, sizeof(buf));
			CHECK(r >= -1 && r <= (ssize_t)sizeof(buf));
			if (r == 0 || (r < 0 && errno != EAGAIN))
				break;
			continue;
		}
		enum rpc_tls_failure why = RPC_TLS_FAIL_KINDS;
		st = rpc_tls_handshake(s, &why);
		CHECK(st == RPC_TLS_DONE || st == RPC_TLS_WANT_READ || st == RPC_TLS_WANT_WRITE ||
		      st == RPC_TLS_FAILED);
		if (st == RPC_TLS_FAILED)
			CHECK(why < RPC_TLS_FAIL_KINDS);
	}
	struct rpc_tls_info info;
	rpc_tls_session_info(s, &info);
	CHECK(st == RPC_TLS_DONE || info.version[0] == '\0');
	rpc_tls_session_free(s);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
