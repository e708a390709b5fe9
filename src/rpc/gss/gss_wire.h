/* The wire form of RPCSEC_GSS version 1 (RFC 2203 5): the credential, the
 * context-creation arguments and results, and the integrity and privacy
 * wrappings of a call's arguments and a reply's results.
 *
 * Pure XDR on untrusted bytes: no GSS-API calls, no state.  Both sides use
 * it: the server's acceptor (gss_server.c) and the initiator that the
 * tests, ferry-bench and v4.0 callbacks use (gss_client.c). */
#ifndef FERRY_RPC_GSS_WIRE_H
#define FERRY_RPC_GSS_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/xdr.h"

enum {
	RPC_GSS_VERSION = 1,
	/* Sequence numbers at or past this end the context (RFC 2203 5.3.3.1). */
	RPC_GSS_MAXSEQ = 0x80000000u,
	/* Context handles are the server's choice; Ferry's are 16 bytes, and
	 * a credential carries at most RPC_AUTH_MAX_BODY bytes in all. */
	RPC_GSS_HANDLE_MAX = 64,
	/* Context-establishment tokens: Kerberos AP-REQs with authorisation
	 * data (a PAC) reach tens of KiB. */
	RPC_GSS_TOKEN_MAX = 128 * 1024,
};

enum rpc_gss_proc {
	RPC_GSS_PROC_DATA = 0,
	RPC_GSS_PROC_INIT = 1,
	RPC_GSS_PROC_CONTINUE_INIT = 2,
	RPC_GSS_PROC_DESTROY = 3,
};

enum rpc_gss_service {
	RPC_GSS_SVC_NONE = 1,      /* krb5: the header is authenticated */
	RPC_GSS_SVC_INTEGRITY = 2, /* krb5i: arguments and results checksummed */
	RPC_GSS_SVC_PRIVACY = 3,   /* krb5p: arguments and results encrypted */
};

/* rpc_gss_cred_vers_1_t, behind its version number. */
struct rpc_gss_cred {
	uint32_t version;
	uint32_t proc;    /* enum rpc_gss_proc */
	uint32_t seq;
	uint32_t service; /* enum rpc_gss_service */
	const uint8_t *handle;
	uint32_t handle_len;
};

/* Decodes a credential body exactly (trailing bytes fail).  Version 1 with
 * a known procedure and service, a handle of at most RPC_GSS_HANDLE_MAX
 * bytes; anything else is false (the server answers AUTH_BADCRED, or
 * AUTH_REJECTEDCRED for another version, which it checks first). */
bool rpc_gss_decode_cred(const uint8_t *body, uint32_t len, struct rpc_gss_cred *c);

/* Encodes the credential as an opaque_auth: flavor RPCSEC_GSS, body. */
bool rpc_gss_encode_cred(struct xdr_enc *e, const struct rpc_gss_cred *c);

/* rpc_gss_init_res. */
struct rpc_gss_init_res {
	const uint8_t *handle;
	uint32_t handle_len;
	uint32_t major, minor; /* GSS-API status of the acceptor */
	uint32_t window;       /* the sequence window, once complete */
	const uint8_t *token;
	uint32_t token_len;
};

bool rpc_gss_encode_init_res(struct xdr_enc *e, const struct rpc_gss_init_res *r);
bool rpc_gss_decode_init_res(struct xdr_dec *d, struct rpc_gss_init_res *r);

/* rpc_gss_init_arg: the token of INIT and CONTINUE_INIT, the whole
 * arguments of the call. */
bool rpc_gss_decode_init_arg(struct xdr_dec *d, const uint8_t **token, uint32_t *len);

/* rpc_gss_integ_data: databody_integ (the sequence number, then the
 * procedure's arguments or results) and the checksum over it.  Decoding
 * leaves both in place; nothing may follow them. */
bool rpc_gss_decode_integ(struct xdr_dec *d, const uint8_t **body, uint32_t *body_len,
			  const uint8_t **checksum, uint32_t *checksum_len);

/* rpc_gss_priv_data: databody_priv, the wrapped sequence number and
 * arguments or results; nothing may follow it. */
bool rpc_gss_decode_priv(struct xdr_dec *d, const uint8_t **token, uint32_t *len);

/* A databody (integrity's body, or privacy's unwrapped bytes) starts with
 * the sequence number of the call it belongs to: true when it does, with
 * *rest and *rest_len left at what follows. */
bool rpc_gss_databody_seq(const uint8_t *body, uint32_t len, uint32_t want_seq,
			  const uint8_t **rest, uint32_t *rest_len);

#endif
