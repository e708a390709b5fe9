/* RPC-with-TLS for protocol tests: throwaway keys and certificates made
 * in the test's own directory, and connections to a ferryd that probe,
 * handshake and then look like plain sockets to the test client. */
#ifndef FERRY_TESTS_TLS_TEST_H
#define FERRY_TESTS_TLS_TEST_H

#include <stdbool.h>
#include <stddef.h>

/* Files tlstest_make_pki writes into dir (PEM, each key beside its
 * certificate):
 *   ca.pem                    the CA ferryd's client_ca and the clients trust
 *   server.pem, server.key    the server (subjectAltName IP 127.0.0.1, DNS localhost)
 *   server2.pem, server2.key  another server certificate (CN ferry-reloaded)
 *   client.pem, client.key    a client of ca.pem (subjectAltName DNS client1.test)
 *   other.pem, other.key      a client of a CA ferryd does not know
 *   expired.pem, expired.key  a client of ca.pem whose certificate expired
 * Returns 0, or -1 with a message on stderr. */
int tlstest_make_pki(const char *dir);

/* The SHA-256 fingerprint of a PEM certificate, lower-case hex (65 bytes). */
int tlstest_fingerprint(const char *pem, char out[65]);

struct tlstest_opts {
	const char *ca;   /* verify the server against it (NULL: do not) */
	const char *cert; /* client certificate (NULL: none) */
	const char *key;
	/* Filled when set: the first name of the server's certificate (its
	 * subjectAltName or CN), when it verified. */
	char *server_name_out;
	size_t server_name_len;
};

/* Connects to hostport from a reserved port, probes with AUTH_TLS, does
 * the handshake, and returns a descriptor the test uses as a plain
 * connection (its bytes go through the TLS session by a thread of its
 * own, until either side closes).  -1 with *err (a negative errno:
 * -EPROTONOSUPPORT when the server offered no TLS, -EACCES when the
 * handshake failed) and a message in msg. */
int tlstest_connect(const char *hostport, const struct tlstest_opts *o, int *err, char *msg,
		    size_t msglen);

#endif
