/* ONC RPC v2 messages (RFC 5531): call and reply headers, AUTH_NONE and
 * AUTH_SYS credentials.  The credential type itself is in core/cred.h. */
#ifndef FERRY_RPC_RPC_MSG_H
#define FERRY_RPC_RPC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cred.h" /* struct rpc_cred, the flavors */
#include "xdr/xdr.h"

enum {
	RPC_VERSION = 2,
	RPC_MSG_CALL = 0,
	RPC_MSG_REPLY = 1,
	RPC_MSG_ACCEPTED = 0,
	RPC_MSG_DENIED = 1,
	RPC_AUTH_MAX_BODY = 400, /* opaque_auth body<400> */
};

enum rpc_accept_stat {
	RPC_SUCCESS = 0,
	RPC_PROG_UNAVAIL = 1,
	RPC_PROG_MISMATCH = 2,
	RPC_PROC_UNAVAIL = 3,
	RPC_GARBAGE_ARGS = 4,
	RPC_SYSTEM_ERR = 5,
};

enum rpc_reject_stat {
	RPC_MISMATCH = 0,
	RPC_AUTH_ERROR = 1,
};

enum rpc_auth_stat {
	RPC_AUTH_OK = 0,
	RPC_AUTH_BADCRED = 1,
	RPC_AUTH_REJECTEDCRED = 2,
	RPC_AUTH_BADVERF = 3,
	RPC_AUTH_REJECTEDVERF = 4,
	RPC_AUTH_TOOWEAK = 5,
	RPC_AUTH_INVALIDRESP = 6,
	RPC_AUTH_FAILED = 7,
	/* RPCSEC_GSS (RFC 2203 4): no such context, or a bad credential;
	 * and a context that must be made again. */
	RPCSEC_GSS_CREDPROBLEM = 13,
	RPCSEC_GSS_CTXPROBLEM = 14,
};

/* A decoded CALL header.  The credential and verifier bodies point into the
 * record being decoded. */
struct rpc_call_hdr {
	uint32_t xid;
	uint32_t rpcvers;
	uint32_t prog;
	uint32_t vers;
	uint32_t proc;
	uint32_t cred_flavor;
	const uint8_t *cred_body;
	uint32_t cred_len;
	uint32_t verf_flavor;
	const uint8_t *verf_body;
	uint32_t verf_len;
};

/* Outcome of decoding a CALL. */
enum rpc_call_decode {
	RPC_CALL_OK,           /* header and credential usable */
	RPC_CALL_GARBAGE,      /* too short or malformed to answer at all */
	RPC_CALL_BAD_RPCVERS,  /* answer MSG_DENIED / RPC_MISMATCH */
	RPC_CALL_AUTH_ERROR,   /* answer MSG_DENIED / AUTH_ERROR with *auth_stat */
};

/* Reads xid and msg_type, the part common to CALL and REPLY. */
bool rpc_decode_msg_start(struct xdr_dec *d, uint32_t *xid, uint32_t *msg_type);

/* Decodes the rest of a CALL after rpc_decode_msg_start: rpcvers, program,
 * version, procedure, credential and verifier; on RPC_CALL_OK also checks and
 * decodes the credential into *cred.  d is left at the procedure's arguments. */
enum rpc_call_decode rpc_decode_call(struct xdr_dec *d, struct rpc_call_hdr *hdr,
				     struct rpc_cred *cred, enum rpc_auth_stat *auth_stat);

/* Decodes an AUTH_SYS body exactly: trailing bytes or overlong fields fail. */
bool rpc_decode_auth_sys(const uint8_t *body, uint32_t len, struct rpc_cred *cred);

/* Encodes an AUTH_SYS body for outgoing calls (clients, callbacks). */
bool rpc_encode_auth_sys(struct xdr_enc *e, const struct rpc_cred *cred);

/* Encodes xid, REPLY, MSG_ACCEPTED, a null verifier and the accept status.
 * PROG_MISMATCH must be followed by the version range (see below). */
bool rpc_encode_accepted(struct xdr_enc *e, uint32_t xid, enum rpc_accept_stat stat);
/* The same with the verifier flavor and body given (RPCSEC_GSS). */
bool rpc_encode_accepted_verf(struct xdr_enc *e, uint32_t xid, enum rpc_accept_stat stat,
			      uint32_t verf_flavor, const void *verf, uint32_t verf_len);
bool rpc_encode_prog_mismatch(struct xdr_enc *e, uint32_t xid, uint32_t low, uint32_t high);
bool rpc_encode_rpc_mismatch(struct xdr_enc *e, uint32_t xid);
bool rpc_encode_auth_error(struct xdr_enc *e, uint32_t xid, enum rpc_auth_stat stat);

/* Encodes a CALL header with the given credential (NULL: AUTH_NONE) and a
 * null verifier; the caller appends the arguments. */
bool rpc_encode_call(struct xdr_enc *e, uint32_t xid, uint32_t prog, uint32_t vers,
		     uint32_t proc, const struct rpc_cred *cred);

/* A decoded REPLY, after rpc_decode_msg_start. */
struct rpc_reply_hdr {
	uint32_t reply_stat;  /* RPC_MSG_ACCEPTED or RPC_MSG_DENIED */
	uint32_t accept_stat; /* when accepted */
	uint32_t reject_stat; /* when denied */
	uint32_t auth_stat;   /* when denied with AUTH_ERROR */
	uint32_t mismatch_low, mismatch_high; /* PROG_MISMATCH / RPC_MISMATCH */
	/* When accepted: the verifier (its body points into the reply). */
	uint32_t verf_flavor;
	const uint8_t *verf;
	uint32_t verf_len;
};

/* Decodes the reply header; d is left at the results when accepted with
 * SUCCESS. */
bool rpc_decode_reply(struct xdr_dec *d, struct rpc_reply_hdr *hdr);

#endif
