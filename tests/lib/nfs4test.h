/* Building NFSv4 COMPOUNDs and reading their results, for protocol tests. */
#ifndef FERRY_TESTS_NFS4TEST_H
#define FERRY_TESTS_NFS4TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"

struct nfs4t_call {
	struct xdr_enc e;
	size_t numops_off;
	uint32_t numops;
};

/* Starts a COMPOUND (after the RPC header, which nfs4t_send adds). */
void nfs4t_begin(struct nfs4t_call *call, const char *tag, uint32_t minor);

/* Appends an operation number; the caller appends its arguments to
 * call->e with the xdr_encode_* functions. */
void nfs4t_op(struct nfs4t_call *call, uint32_t opnum);

/* Common operations. */
void nfs4t_putrootfh(struct nfs4t_call *call);
void nfs4t_putfh(struct nfs4t_call *call, const uint8_t *fh, uint32_t len);
void nfs4t_lookup(struct nfs4t_call *call, const char *name);
void nfs4t_getfh(struct nfs4t_call *call);
/* GETATTR of the attributes numbered in bits[] (n of them). */
void nfs4t_getattr(struct nfs4t_call *call, const unsigned *bits, unsigned n);

struct nfs4t_reply {
	struct rpctest_reply rpc;
	uint32_t status;   /* the COMPOUND's status */
	uint32_t nres;     /* results in it */
	uint32_t taglen;
	const uint8_t *tag;
	struct xdr_dec d;  /* positioned at the first result */
};

/* Sends the COMPOUND on fd with an AUTH_SYS root credential (or cred) and
 * reads the reply.  Returns 0 or a negative errno; frees the call. */
int nfs4t_send(int fd, struct nfs4t_call *call, const struct rpc_cred *cred,
	       struct nfs4t_reply *reply);

/* Reads the next result's opnum and status; the body (if any) follows in
 * reply->d for the caller to decode.  False when none is left. */
bool nfs4t_result(struct nfs4t_reply *reply, uint32_t *opnum, uint32_t *status);

void nfs4t_reply_release(struct nfs4t_reply *reply);

/* A root AUTH_SYS credential with machine name "ferry-test". */
const struct rpc_cred *nfs4t_root_cred(void);

#endif
