/* The client side of RPC-with-TLS: the AUTH_TLS probe and the handshake,
 * for the tests and ferry-bench. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "core/cred.h"
#include "rpc/client.h"
#include "rpc/record.h"
#include "rpc/rpc_msg.h"
#include "rpc/tls/tls_internal.h"
#include "xdr/xdr.h"

/* Sends the AUTH_TLS NULL call and reads its reply: 0 when it says
 * STARTTLS, -EPROTONOSUPPORT when the server answered otherwise. */
static int probe(int fd, uint32_t prog, uint32_t vers, uint64_t deadline_ms, char *err,
		 size_t errlen)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 128, 128))
		return -ENOMEM;
	struct rpc_cred tls = {.flavor = RPC_AUTH_TLS};
	uint32_t xid = (uint32_t)clock_now_ns() | 1u;
	xdr_enc_reserve(&e, 4);
	rpc_encode_call(&e, xid, prog, vers, 0, &tls);
	xdr_enc_patch_u32(&e, 0, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(&e) - 4));
	struct buf *b = xdr_enc_take(&e);
	int rc = rpc_fd_write_all(fd, b->data, b->len, deadline_ms);
	buf_unref(b);
	if (rc)
		return rc;
	uint8_t mark[4], reply[512];
	/* Exactly the reply: what follows it is the server's TLS. */
	if ((rc = rpc_fd_read_all(fd, mark, 4, deadline_ms)) != 0)
		return rc;
	uint32_t m = xdr_get_be32(mark), len = m & RPC_RECORD_LEN_MASK;
	if (!(m & RPC_RECORD_LAST_FRAG) || len > sizeof(reply) || len < 8) {
		snprintf(err, errlen, "the reply to the AUTH_TLS probe is not one small record");
		return -EBADMSG;
	}
	if ((rc = rpc_fd_read_all(fd, reply, len, deadline_ms)) != 0)
		return rc;
	struct xdr_dec d;
	xdr_dec_init(&d, reply, len);
	uint32_t rxid, type;
	struct rpc_reply_hdr h;
	if (!rpc_decode_msg_start(&d, &rxid, &type) || rxid != xid || type != RPC_MSG_REPLY ||
	    !rpc_decode_reply(&d, &h)) {
		snprintf(err, errlen, "the reply to the AUTH_TLS probe does not decode");
		return -EBADMSG;
	}
	if (h.reply_stat != RPC_MSG_ACCEPTED || h.accept_stat != RPC_SUCCESS ||
	    h.verf_flavor != RPC_AUTH_NONE || h.verf_len != RPC_TLS_STARTTLS_LEN ||
	    memcmp(h.verf, RPC_TLS_STARTTLS, RPC_TLS_STARTTLS_LEN) != 0) {
		snprintf(err, errlen,
			 "the server does not offer TLS (reply %u, accept %u, auth %u, verifier "
			 "%u bytes)",
			 h.reply_stat, h.accept_stat, h.auth_stat, h.verf_len);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

struct rpc_tls_session *rpc_tls_client_handshake(int fd, const struct rpc_tls_client_opts *o,
						 int *rc, char *err, size_t errlen)
{
	uint64_t deadline = clock_now_ms() + (o->timeout_ms ? o->timeout_ms : 10000);
	SSL_CTX *ctx = rpc_tls_new_ssl_ctx(false);
	struct rpc_tls_session *s = NULL;
	SSL *ssl = NULL;
	*rc = -EINVAL;
	if (!ctx) {
		rpc_tls_openssl_error(err, errlen, "cannot make a TLS context", NULL);
		return NULL;
	}
	if (o->ca && SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
		rpc_tls_openssl_error(err, errlen, "cannot use the CA file", o->ca);
		goto out;
	}
	SSL_CTX_set_verify(ctx, o->ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (o->cert && (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(ctx, o->key ? o->key : o->cert,
						    SSL_FILETYPE_PEM) != 1)) {
		rpc_tls_openssl_error(err, errlen, "cannot use the client certificate", o->cert);
		goto out;
	}
	static const unsigned char alpn[] = {6, 's', 'u', 'n', 'r', 'p', 'c'};
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn));
	ssl = SSL_new(ctx);
	if (!ssl)
		goto out;
	if (o->server_name) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, o->server_name) != 1)
			X509_VERIFY_PARAM_set1_host(vp, o->server_name, 0);
	}
	SSL_set_connect_state(ssl);
	s = rpc_tls_session_wrap(ssl, fd);
	if (!s)
		goto out;
	ssl = NULL;
	for (;;) {
		ERR_clear_error();
		int r = SSL_do_handshake(s->ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(s->ssl, r);
		int w = e == SSL_ERROR_WANT_READ    ? rpc_fd_wait(fd, POLLIN, deadline)
			: e == SSL_ERROR_WANT_WRITE ? rpc_fd_wait(fd, POLLOUT, deadline)
						    : -EACCES;
		if (w == 0)
			continue;
		if (w == -EACCES)
			rpc_tls_openssl_error(err, errlen, "TLS handshake failed", NULL);
		else
			snprintf(err, errlen, "TLS handshake: %s", strerror(-w));
		*rc = w;
		rpc_tls_session_free(s);
		s = NULL;
		goto out;
	}
	s->established = true;
	rpc_tls_collect_peer(s);
	s->ktls_send = BIO_get_ktls_send(SSL_get_wbio(s->ssl));
	s->ktls_recv = BIO_get_ktls_recv(SSL_get_rbio(s->ssl));
	*rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx); /* the session keeps its own reference */
	return s;
}

struct rpc_tls_session *rpc_tls_client_start(int fd, uint32_t prog, uint32_t vers,
					     const struct rpc_tls_client_opts *o, int *rc,
					     char *err, size_t errlen)
{
	uint64_t deadline = clock_now_ms() + (o->timeout_ms ? o->timeout_ms : 10000);
	*rc = probe(fd, prog, vers, deadline, err, errlen);
	if (*rc) {
		if (!err[0])
			snprintf(err, errlen, "AUTH_TLS probe: %s", strerror(-*rc));
		return NULL;
	}
	return rpc_tls_client_handshake(fd, o, rc, err, errlen);
}
