/* Protecting one RPCSEC_GSS call and checking its reply, on a context
 * someone else keeps: the GSS-API half of what an initiator does per call
 * (RFC 2203 5.3.1, 5.3.2), shared by the initiator (gss_client.c) and the
 * server's callbacks on a context a client made (gss_server.c, RFC 8881
 * 2.10.8.2).  The caller holds whatever lock serialises GSS-API calls on
 * ctx.  Negative errnos: -EIO when a GSS-API call failed, -EACCES when a
 * verifier, checksum or token does not verify, -EBADMSG for a malformed
 * body, -EMSGSIZE when the encoder is full, -ENOMEM. */
#ifndef FERRY_RPC_GSS_SEAL_H
#define FERRY_RPC_GSS_SEAL_H

#include <gssapi/gssapi.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rpc/gss/gss_wire.h"
#include "xdr/xdr.h"

/* Appends the opaque_auth verifier of a call: RPCSEC_GSS, the MIC of the
 * len bytes at hdr (the call from its xid through its credential). */
int rpc_gss_seal_verifier(gss_ctx_id_t ctx, struct xdr_enc *e, const uint8_t *hdr, size_t len);

/* Appends args (args_len bytes, XDR) as service wants them after the
 * verifier: as they are (none), rpc_gss_integ_data (integrity) or
 * rpc_gss_priv_data (privacy), with sequence number seq in the body.
 * *checksum_at, when not NULL, gets where integrity's checksum bytes
 * start in e (0 for other services). */
int rpc_gss_seal_args(gss_ctx_id_t ctx, struct xdr_enc *e, uint32_t seq, uint32_t service,
		      const void *args, size_t args_len, size_t *checksum_at);

/* Checks a reply verifier (flavor, body) against sequence number seq. */
int rpc_gss_check_verifier(gss_ctx_id_t ctx, uint32_t flavor, const uint8_t *verf,
			   uint32_t verf_len, uint32_t seq);

/* The plain results of an accepted SUCCESS reply to a call with seq and
 * service, from the len bytes at res: a new buffer (*plain, buf_unref)
 * holding them.  For service none they are copied as they are. */
int rpc_gss_open_results(gss_ctx_id_t ctx, uint32_t seq, uint32_t service, const uint8_t *res,
			 size_t len, struct buf **plain);

#endif
