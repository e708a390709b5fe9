/* Test keys, certificates and TLS connections (tls_test.h). */
#include "lib/tls_test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/rpctest.h"
#include "rpc/tls/tls.h"
#include "xdr/nfs4_prot.h"

/* --- keys and certificates ------------------------------------------- */

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	bool ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key named cn, signed by issuer (NULL: itself), valid
 * from not_before to not_after seconds from now, with san (or NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       long not_before, long not_after, const char *san, bool ca, long serial)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), not_before);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509 *signer = issuer ? issuer : x;
	bool ok = add_ext(x, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") &&
		  add_ext(x, signer, NID_subject_key_identifier, "hash") &&
		  (!issuer || add_ext(x, signer, NID_authority_key_identifier, "keyid")) &&
		  add_ext(x, signer, NID_key_usage,
			  ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
		  (!san || add_ext(x, signer, NID_subject_alt_name, san));
	if (!ok || !X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_pair(const char *dir, const char *stem, X509 *x, EVP_PKEY *key)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.pem", dir, stem);
	FILE *f = fopen(path, "w");
	if (!f || PEM_write_X509(f, x) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	if (!key)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.key", dir, stem);
	f = fopen(path, "w");
	if (!f || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int tlstest_make_pki(const char *dir)
{
	enum { DAY = 86400 };
	EVP_PKEY *ca_key = new_key(), *other_ca_key = new_key();
	X509 *ca = ca_key ? make_cert(ca_key, "Ferry test CA", NULL, NULL, -DAY, 30 * DAY, NULL,
				      true, 1)
			  : NULL;
	X509 *other_ca = other_ca_key ? make_cert(other_ca_key, "Another CA", NULL, NULL, -DAY,
						  30 * DAY, NULL, true, 2)
				      : NULL;
	struct {
		const char *stem, *cn, *san;
		bool other;
		long nb, na;
	} certs[] = {
		{"server", "ferry-test-server", "IP:127.0.0.1,DNS:localhost", false, -DAY, 30 * DAY},
		{"server2", "ferry-reloaded", "IP:127.0.0.1,DNS:localhost", false, -DAY, 30 * DAY},
		{"client", "client1", "DNS:client1.test", false, -DAY, 30 * DAY},
		{"other", "client-of-another-ca", "DNS:client1.test", true, -DAY, 30 * DAY},
		{"expired", "expired-client", "DNS:client1.test", false, -3 * DAY, -DAY},
	};
	int rc = ca && other_ca ? write_pair(dir, "ca", ca, NULL) : -1;
	for (size_t i = 0; rc == 0 && i < sizeof(certs) / sizeof(certs[0]); i++) {
		EVP_PKEY *k = new_key();
		X509 *x = k ? make_cert(k, certs[i].cn, certs[i].other ? other_ca : ca,
					certs[i].other ? other_ca_key : ca_key, certs[i].nb,
					certs[i].na, certs[i].san, false, (long)(10 + i))
			    : NULL;
		rc = x ? write_pair(dir, certs[i].stem, x, k) : -1;
		X509_free(x);
		EVP_PKEY_free(k);
	}
	X509_free(ca);
	X509_free(other_ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_ca_key);
	if (rc)
		fprintf(stderr, "tls_test: cannot make keys and certificates in %s\n", dir);
	return rc;
}

int tlstest_fingerprint(const char *pem, char out[65])
{
	FILE *f = fopen(pem, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	unsigned char md[32];
	unsigned len = 0;
	int rc = x && X509_digest(x, EVP_sha256(), md, &len) == 1 && len == 32 ? 0 : -1;
	for (unsigned i = 0; rc == 0 && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	X509_free(x);
	return rc;
}

/* --- connections --------------------------------------------------------- */

struct pump {
	struct rpc_tls_session *s;
	int net;   /* the TCP connection to ferryd */
	int plain; /* our end of the socket pair */
};

/* Moves plain text between the test's socket and the TLS session until
 * either side ends. */
static void *pump_run(void *arg)
{
	struct pump *p = arg;
	uint8_t buf[65536];
	for (;;) {
		/* Bytes the session already decrypted come first: poll would
		 * not see them. */
		ssize_t n = rpc_tls_read(p->s, buf, sizeof(buf));
		if (n > 0) {
			if (rpctest_send_raw(p->plain, buf, (size_t)n) != 0)
				break;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			break;
		struct pollfd pf[2] = {{.fd = p->net, .events = POLLIN},
				       {.fd = p->plain, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t m = recv(p->plain, buf, sizeof(buf), MSG_DONTWAIT);
			if (m == 0 || (m < 0 && errno != EAGAIN && errno != EINTR))
				break;
			size_t done = 0;
			while (m > 0 && done < (size_t)m) {
				struct iovec iov = {buf + done, (size_t)m - done};
				ssize_t w = rpc_tls_writev(p->s, &iov, 1);
				if (w > 0) {
					done += (size_t)w;
				} else if (w < 0 && errno == EAGAIN) {
					struct pollfd o = {.fd = p->net, .events = POLLOUT};
					poll(&o, 1, 1000);
				} else {
					goto out;
				}
			}
		}
	}
out:
	rpc_tls_shutdown(p->s);
	shutdown(p->plain, SHUT_RDWR);
	rpc_tls_session_free(p->s);
	close(p->net);
	close(p->plain);
	free(p);
	return NULL;
}

int tlstest_connect(const char *hostport, const struct tlstest_opts *o, int *err, char *msg,
		    size_t msglen)
{
	msg[0] = '\0';
	int net = rpctest_connect(hostport);
	if (net < 0) {
		*err = -ECONNREFUSED;
		snprintf(msg, msglen, "cannot connect to %s", hostport);
		return -1;
	}
	struct rpc_tls_client_opts co = {
		.ca = o ? o->ca : NULL,
		.cert = o ? o->cert : NULL,
		.key = o ? o->key : NULL,
		.server_name = o && o->ca ? "127.0.0.1" : NULL,
		.timeout_ms = RPCTEST_TIMEOUT_MS,
	};
	struct rpc_tls_session *s =
		rpc_tls_client_start(net, NFS4_PROGRAM, NFS4_VERSION, &co, err, msg, msglen);
	if (!s) {
		close(net);
		return -1;
	}
	if (o && o->server_name_out) {
		struct rpc_tls_info info;
		rpc_tls_session_info(s, &info);
		const struct rpc_tls_peer *pe = &info.peer;
		/* The CN is the last name collected. */
		snprintf(o->server_name_out, o->server_name_len, "%s",
			 pe->verified && pe->nnames ? pe->names[pe->nnames - 1] : "");
	}
	int pair[2];
	struct pump *p = malloc(sizeof(*p));
	if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		free(p);
		rpc_tls_session_free(s);
		close(net);
		*err = -ENOMEM;
		return -1;
	}
	/* The pump polls the socket itself; the session must not block. */
	int fl = fcntl(net, F_GETFL);
	fcntl(net, F_SETFL, fl | O_NONBLOCK);
	*p = (struct pump){s, net, pair[1]};
	pthread_t t;
	if (pthread_create(&t, NULL, pump_run, p) != 0) {
		rpc_tls_session_free(s);
		close(net);
		close(pair[0]);
		close(pair[1]);
		free(p);
		*err = -EAGAIN;
		return -1;
	}
	pthread_detach(t);
	*err = 0;
	return pair[0];
}
