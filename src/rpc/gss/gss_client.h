/* The RPCSEC_GSS version 1 initiator (RFC 2203): a client's security
 * context with a server, on MIT GSS-API and the Kerberos 5 mechanism.
 *
 * Users: the test client (tests/lib/nfs4_client.h), ferry-bench, and
 * ferryd's NFSv4.0 callbacks, which dial out as the server's own principal.
 * The wire form is gss_wire.h's; this file adds the GSS-API side: making
 * the context over any transport, protecting calls, checking replies.
 *
 * A context is made once (rpc_gss_client_establish) and then serves any
 * number of calls, on any connection, each with the service of the
 * caller's choice: RPC_GSS_SVC_NONE (krb5: the header is authenticated),
 * RPC_GSS_SVC_INTEGRITY (krb5i) or RPC_GSS_SVC_PRIVACY (krb5p).  A call is
 * encoded with rpc_gss_client_encode_call, which takes the next sequence
 * number, and its reply is read with rpc_gss_client_decode_reply, given
 * what the encoding recorded (struct rpc_gss_client_call).  The caller
 * keeps at most rpc_gss_client_window() calls outstanding: the server
 * silently drops a sequence number that has fallen behind its window.
 *
 * Encoded calls carry no record mark: the caller frames them.
 *
 * Errors are negative errnos: -EACCES when a verifier, checksum or token
 * does not verify (or the server refused the context), -EBADMSG for
 * malformed replies, -ENOTCONN when no context is established,
 * -EOVERFLOW when the sequence numbers are used up (RPC_GSS_MAXSEQ: the
 * context must be made again), -EPROTO when the server's GSS-API status
 * says it failed or it answered out of protocol, -EIO when a local
 * GSS-API call failed (no credentials, no KDC), -ENOMEM.  The text of the
 * last failure is rpc_gss_client_error().
 *
 * Threads: rpc_gss_client_encode_call and rpc_gss_client_decode_reply may
 * run on several threads at once (a mutex covers the sequence counter and
 * every GSS-API call on the context).  establish, destroy, set_seq and
 * free must not run alongside anything else on the same client. */
#ifndef FERRY_RPC_GSS_GSS_CLIENT_H
#define FERRY_RPC_GSS_GSS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rpc/gss/gss_wire.h"
#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

struct rpc_gss_client;

/* A client for the service target, a GSS-API host-based service name
 * ("nfs@localhost"), with initiator credentials of the Kerberos 5
 * mechanism:
 *   - client_keytab (a keytab path or "FILE:..."): tickets are got from
 *     its keys as they are needed, into ccache, or, when ccache is NULL,
 *     into a memory cache of this client's own;
 *   - without one, the tickets already in ccache (NULL: the default
 *     cache, KRB5CCNAME or the configuration's).
 * principal (NULL: the cache's, or the keytab's first) names the
 * initiator, "alice" or "alice@REALM".  Nothing is sent yet.  NULL on
 * failure, with the reason in err (errlen bytes). */
struct rpc_gss_client *rpc_gss_client_new(const char *target, const char *client_keytab,
					  const char *ccache, const char *principal, char *err,
					  size_t errlen);

/* Deletes the GSS-API context locally (no DESTROY is sent: see
 * rpc_gss_client_destroy) and frees c.  NULL is a no-op. */
void rpc_gss_client_free(struct rpc_gss_client *c);

/* The transport of establish and destroy: sends one encoded call (len
 * bytes, no record mark) and waits for the reply with its XID, the first
 * four bytes of record.  Returns 0 with *reply, a buffer the client then
 * owns, holding the whole reply record (no record mark); or a negative
 * errno, which establish and destroy return as it is. */
typedef int (*rpc_gss_roundtrip_fn)(void *arg, const void *record, size_t len,
				    struct buf **reply);

/* Makes the context with the server of program prog, version vers: NULL
 * procedure calls with the credential's procedure INIT, then
 * CONTINUE_INIT while GSS-API needs more, each carrying a token (the
 * arguments rpc_gss_init_arg, an AUTH_NONE verifier).  The server's
 * rpc_gss_init_res gives the handle, the window and its token; once
 * complete, the reply's verifier must be the MIC of the window and
 * GSS-API must report mutual authentication.  service is the context's
 * own (its DESTROY is sent with it; calls choose theirs).  Returns 0, or
 * -EEXIST when already established. */
int rpc_gss_client_establish(struct rpc_gss_client *c, uint32_t prog, uint32_t vers,
			     uint32_t service, rpc_gss_roundtrip_fn roundtrip, void *arg);

bool rpc_gss_client_established(const struct rpc_gss_client *c);
/* The server's sequence window (0 until established). */
uint32_t rpc_gss_client_window(const struct rpc_gss_client *c);
/* The server's handle for the context (0 bytes until established): what
 * a v4.1 client gives as gcbp_handle_from_server for its back channel. */
const uint8_t *rpc_gss_client_handle(const struct rpc_gss_client *c, uint32_t *len);
/* The service given to establish. */
uint32_t rpc_gss_client_service(const struct rpc_gss_client *c);
/* The text of the last failure ("" when none). */
const char *rpc_gss_client_error(const struct rpc_gss_client *c);

/* What encoding a call recorded: what its reply is checked against, and
 * where its parts lie in the encoded bytes (offsets from the start of the
 * call, its XID), for tests that tamper with them. */
struct rpc_gss_client_call {
	uint32_t xid;
	uint32_t seq;
	uint32_t service;
	uint32_t gss_proc;    /* RPC_GSS_PROC_DATA or RPC_GSS_PROC_DESTROY */
	size_t len;           /* the whole call */
	size_t cred_off;      /* the credential's flavor word */
	size_t verf_off;      /* the verifier's flavor word */
	size_t body_off;      /* the arguments as sent (plain, integ or priv data) */
	size_t checksum_off;  /* integrity: the checksum's bytes (after its length), */
	size_t checksum_len;  /* 0 for other services */
};

/* Appends to e a whole call (no record mark) of procedure proc of program
 * prog, version vers, with xid and the arguments args (args_len bytes,
 * already XDR-encoded): the header, the RPCSEC_GSS credential (DATA, the
 * next sequence number, service, the handle), the verifier (the MIC of
 * the bytes from the XID to the end of the credential), then the
 * arguments as service wants them: as they are (none); as
 * rpc_gss_integ_data, the sequence number and arguments followed by their
 * MIC (integrity); or as rpc_gss_priv_data, the sequence number and
 * arguments wrapped with confidentiality (privacy).  *call records the
 * sequence number used and the offsets.  0 or a negative errno (-EMSGSIZE
 * when e overflowed, -EINVAL for an unknown service); a failed call leaves
 * e's length where it was and may have used up a sequence number (which
 * is harmless: the server's window moves past it). */
int rpc_gss_client_encode_call(struct rpc_gss_client *c, struct xdr_enc *e, uint32_t xid,
			       uint32_t prog, uint32_t vers, uint32_t proc, uint32_t service,
			       const void *args, size_t args_len,
			       struct rpc_gss_client_call *call);

/* Reads the reply (len bytes, no record mark) to the call *call recorded.
 * Its XID must be the call's.  *hdr is the reply's header.  An accepted
 * SUCCESS must carry an RPCSEC_GSS verifier that is the MIC of the call's
 * sequence number, and for DATA calls its results are unwrapped as the
 * call's service put them: integrity's MIC verified over databody_integ,
 * privacy's token unwrapped (with confidentiality), both starting with the
 * call's sequence number.  Other accepted replies have their verifier
 * checked when it is an RPCSEC_GSS one (an AUTH_NONE one is taken: a
 * server may answer a call it could not read without one); denied
 * replies carry none.
 *
 * On 0, *out is a new buffer (the caller's, buf_unref) holding the
 * reply's header bytes as received followed by the plain results, which
 * start at *results_off; for replies other than an accepted SUCCESS, the
 * reply as received (*results_off then where the header ended, when it
 * could be read).  On error *out is NULL. */
int rpc_gss_client_decode_reply(struct rpc_gss_client *c,
				const struct rpc_gss_client_call *call, const uint8_t *reply,
				size_t len, struct rpc_reply_hdr *hdr, struct buf **out,
				size_t *results_off);

/* rpc_gss_client_decode_reply for a reply whose header was decoded
 * already (rpc_decode_reply: hdr, with its verifier) and whose results are
 * the len bytes at results: an accepted reply's verifier is checked
 * against the call's sequence number, and an accepted SUCCESS's results
 * made plain into *plain (buf_unref; NULL for other replies). */
int rpc_gss_client_check_reply(struct rpc_gss_client *c, const struct rpc_gss_client_call *call,
			       const struct rpc_reply_hdr *hdr, const uint8_t *results, size_t len,
			       struct buf **plain);

/* Ends the context: a NULL procedure call with the credential's procedure
 * DESTROY, the next sequence number and the context's service, its
 * arguments and results not wrapped (as Linux's client and server do).
 * Whatever the answer, the context is then deleted locally; c may be
 * established again.  Returns the call's outcome: 0 when the server
 * answered accepted SUCCESS with a verifier that checks, -EPROTO for
 * another answer, or a negative errno. */
int rpc_gss_client_destroy(struct rpc_gss_client *c, uint32_t prog, uint32_t vers,
			   rpc_gss_roundtrip_fn roundtrip, void *arg);

/* --- calls the server makes on the context ------------------------------------------
 * A v4.1 client may have its callbacks sent under a context it made (RFC
 * 8881 2.10.8.2): the server sends them with this context, and the
 * client's callback service checks and answers them here. */

/* Checks a call the server made: hdr its decoded header, msg its first
 * byte (its xid), args the args_len bytes after the verifier.  The
 * verifier must be the MIC of the header, the arguments verify under the
 * call's service; on 0 *plain holds the plain arguments (buf_unref) and
 * *seq and *service what the reply needs.  No window is kept. */
int rpc_gss_client_accept_call(struct rpc_gss_client *c, const struct rpc_call_hdr *hdr,
			       const uint8_t *msg, const uint8_t *args, size_t args_len,
			       struct buf **plain, uint32_t *seq, uint32_t *service);

/* Appends the accepted SUCCESS reply to such a call (no record mark):
 * xid, the verifier (the MIC of seq), the results (res_len bytes of XDR)
 * protected as service says. */
int rpc_gss_client_encode_reply(struct rpc_gss_client *c, struct xdr_enc *e, uint32_t xid,
				uint32_t seq, uint32_t service, const void *res, size_t res_len);

/* --- test hooks ------------------------------------------------------------------ */

/* Sets the sequence number the next call will use (a test resends an old
 * one: the server must drop it as a replay); returns the one it would
 * have used. */
uint32_t rpc_gss_client_set_seq(struct rpc_gss_client *c, uint32_t next);

#endif
