/* The per-message work of a context (MICs, sealed tokens), on OpenSSL or
 * on MIT's GSS-API, and on top of it protecting one RPCSEC_GSS call and
 * checking its reply (RFC 2203 5.3.1, 5.3.2), shared by the acceptor
 * (gss_server.c), the initiator (gss_client.c) and the server's callbacks
 * on a context a client made (RFC 8881 2.10.8.2).  The caller holds
 * whatever lock serialises calls on a context when rpc_gss_sec_serial says
 * so.  Negative errnos: -EIO when a GSS-API call failed, -EACCES when a
 * verifier, checksum or token does not verify, -EBADMSG for a malformed
 * body, -EMSGSIZE when the encoder is full, -ENOMEM. */
#ifndef FERRY_RPC_GSS_SEAL_H
#define FERRY_RPC_GSS_SEAL_H

#include <gssapi/gssapi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/buf.h"
#include "rpc/gss/gss_krb5.h"
#include "rpc/gss/gss_wire.h"
#include "xdr/xdr.h"

/* One established context's per-message work: OpenSSL's tokens (fast,
 * gss_krb5.h) when its enctype is one done there, else MIT's GSS-API
 * calls on ctx.  Exactly one of the two is set once rpc_gss_sec_ready has
 * run; before, ctx (context establishment). */
struct rpc_gss_sec {
	gss_ctx_id_t ctx;
	struct gss_krb5 *fast;
};

/* Once the context is established: moves its keys to OpenSSL when they
 * can be.  0, or -EIO when the context was lost on the way. */
int rpc_gss_sec_ready(struct rpc_gss_sec *s);

void rpc_gss_sec_release(struct rpc_gss_sec *s);

/* A context whose keys stayed with MIT's GSS-API (no fast keys) as MIT's
 * interprocess token (gss_export_sec_context), for an in-place upgrade;
 * s goes on as it was (made again from the same token).  The caller
 * serialises, as for any call on s (rpc_gss_sec_serial), frees the token
 * with gss_release_buffer and, the keys being in it, clears it first.
 * 0, or -EIO (s as it was when the export failed; with no context when
 * it could not be made again). */
int rpc_gss_sec_export(struct rpc_gss_sec *s, gss_buffer_desc *token);

/* s (empty) made from such a token.  0, or -EINVAL. */
int rpc_gss_sec_import(struct rpc_gss_sec *s, const uint8_t *token, size_t len);

/* Whether calls on s must be serialised by the caller: MIT's context keeps
 * sequence counters and is not safe from two threads at once; the fast
 * keys are. */
static inline bool rpc_gss_sec_serial(const struct rpc_gss_sec *s) { return s->fast == NULL; }

/* The MIC of the segments into out (room for cap bytes), its length in
 * *len.  0, -EIO, or -EMSGSIZE. */
int rpc_gss_sec_mic(struct rpc_gss_sec *s, const struct iovec *iov, int niov, uint8_t *out,
		    size_t cap, uint32_t *len);

/* 0 when tok is the peer's MIC of the segments; -EACCES when not,
 * -EKEYEXPIRED when the context has expired (MIT's calls only). */
int rpc_gss_sec_verify(struct rpc_gss_sec *s, const struct iovec *iov, int niov,
		       const uint8_t *tok, size_t len);

/* Appends the sealed token of the segments as an XDR opaque. */
int rpc_gss_sec_wrap(struct rpc_gss_sec *s, const struct iovec *iov, int niov, struct xdr_enc *e);

/* Opens the peer's sealed token: a new buffer *out (buf_unref) whose bytes
 * [*off, *off + *plain_len) are the plain text.  0, -EACCES, -ENOMEM. */
int rpc_gss_sec_unwrap(struct rpc_gss_sec *s, const uint8_t *tok, size_t len, struct buf **out,
		       size_t *off, size_t *plain_len);

/* What a sealed token adds to what it seals (an upper bound). */
size_t rpc_gss_sec_wrap_overhead(struct rpc_gss_sec *s);

/* Appends the opaque_auth verifier of a call: RPCSEC_GSS, the MIC of the
 * len bytes at hdr (the call from its xid through its credential). */
int rpc_gss_seal_verifier(struct rpc_gss_sec *s, struct xdr_enc *e, const uint8_t *hdr,
			  size_t len);

/* Appends args (args_len bytes, XDR) as service wants them after the
 * verifier: as they are (none), rpc_gss_integ_data (integrity) or
 * rpc_gss_priv_data (privacy), with sequence number seq in the body.
 * *checksum_at, when not NULL, gets where integrity's checksum bytes
 * start in e (0 for other services). */
int rpc_gss_seal_args(struct rpc_gss_sec *s, struct xdr_enc *e, uint32_t seq, uint32_t service,
		      const void *args, size_t args_len, size_t *checksum_at);

/* Checks a reply verifier (flavor, body) against sequence number seq. */
int rpc_gss_check_verifier(struct rpc_gss_sec *s, uint32_t flavor, const uint8_t *verf,
			   uint32_t verf_len, uint32_t seq);

/* The plain results of an accepted SUCCESS reply to a call with seq and
 * service, from the len bytes at res: a new buffer (*plain, buf_unref)
 * holding them.  For service none they are copied as they are. */
int rpc_gss_open_results(struct rpc_gss_sec *s, uint32_t seq, uint32_t service,
			 const uint8_t *res, size_t len, struct buf **plain);

/* As rpc_gss_open_results, copying nothing: *plain points at the results,
 * inside res (krb5, krb5i) or inside *owned (krb5p: the decrypted buffer,
 * for the caller to buf_unref; NULL otherwise). */
int rpc_gss_open_results_view(struct rpc_gss_sec *s, uint32_t seq, uint32_t service,
			      const uint8_t *res, size_t len, const uint8_t **plain,
			      size_t *plain_len, struct buf **owned);

#endif
