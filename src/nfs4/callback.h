/* The one home of callbacks sent to clients: the callback-op table (one
 * entry per CB operation: how its arguments are encoded and its result
 * decoded, through the codec of xdr/nfs4_codec_cb.h), the building and
 * checking of a v4.1 CB_COMPOUND, which always starts with CB_SEQUENCE,
 * its sending over a back-bound connection of the session, and the v4.0
 * CB_NULL dialer.  The state of the back channel (its slot and seqid, the
 * path's status, the v4.0 probe queue) is the state module's
 * (state/session.h, state/state.h); sending needs rpc, so it lives here. */
#ifndef FERRY_NFS4_CALLBACK_H
#define FERRY_NFS4_CALLBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs4_codec_cb.h"

struct nfs4_server;
struct state_session;

/* One callback operation.  Arguments are the codec's struct
 * nfs4_cb_OP_args, results its struct nfs4_cb_OP_res. */
struct nfs4_cb_op_desc {
	uint32_t opnum;
	const char *name;
	bool (*enc_args)(struct xdr_enc *e, const void *args);
	/* NULL for an operation whose result on NFS4_OK is void. */
	bool (*dec_res)(struct xdr_dec *d, void *res);
	/* The largest result body on NFS4_OK Ferry accepts: what a reply to
	 * a CB_COMPOUND of these operations may take (ca_maxresponsesize of
	 * the back channel bounds it too). */
	uint32_t res_max;
};

/* The descriptor of a callback operation Ferry sends, or NULL. */
const struct nfs4_cb_op_desc *nfs4_cb_op_describe(uint32_t opnum);

/* One operation of a CB_COMPOUND after its CB_SEQUENCE: args is encoded
 * by nfs4_cb_compound_encode; res and status are filled by
 * nfs4_cb_compound_decode_reply (res is needed for an operation whose
 * result has a body: without it the reply counts as undecodable).  A decoded res
 * points into the reply, valid only as long as the reply is. */
struct nfs4_cb_op {
	uint32_t opnum;
	const void *args;
	void *res;
	uint32_t status;
};

/* Encodes CB_COMPOUND4args with an empty tag: with seq, minor version 1
 * and CB_SEQUENCE first (the v4.1 back channel); without, minor version 0
 * and the client's callback_ident (v4.0).  Then ops[0 .. nops).  False
 * when an operation is not in the table (or is CB_SEQUENCE) or the
 * encoder overflowed. */
bool nfs4_cb_compound_encode(struct xdr_enc *e, uint32_t callback_ident,
			     const struct nfs4_cb_sequence_args *seq, const struct nfs4_cb_op *ops,
			     uint32_t nops);

/* The outcome of a CB_COMPOUND reply. */
struct nfs4_cb_outcome {
	/* NFS4_OK when every operation succeeded; else the first error, or
	 * NFS4ERR_BADXDR for a reply that does not decode, lacks CB_SEQUENCE
	 * first or a result, or whose CB_SEQUENCE names another session,
	 * slot or seqid than the call. */
	uint32_t status;
	/* v4.1: CB_SEQUENCE was answered with NFS4_OK for this very slot
	 * and seqid: the client's back slot moved on. */
	bool sequence_done;
	struct nfs4_cb_sequence_res seq;
};

/* Decodes CB_COMPOUND4res against the call: seq is the CB_SEQUENCE that
 * was sent (NULL for v4.0), ops the operations after it (their res and
 * status filled). */
void nfs4_cb_compound_decode_reply(struct xdr_dec *d, const struct nfs4_cb_sequence_args *seq,
				   struct nfs4_cb_op *ops, uint32_t nops,
				   struct nfs4_cb_outcome *out);

/* Sends CB_COMPOUND(CB_SEQUENCE) on a back-bound connection of session s
 * and records whether the back channel answered (state_cb_end); returns
 * at once.  Nothing is sent while another callback of s is under way. */
void nfs4_cb_probe41(struct nfs4_server *srv, struct state_session *s);

/* The CB_NULL dialer for state_options.cb_null (v4.0): one blocking call
 * over a new TCP connection (rpc/client.h), AUTH_NONE.  0 or -errno. */
int nfs4_cb_null_dial(const char *hostport, uint32_t prog, unsigned timeout_ms);

#endif
