/* Operation handlers that keep client state (v4.0 clients, opens, locks),
 * each with the nfs4_op_handler signature of compound.h, and the helpers
 * they share.  The state itself lives in state/state.h. */
#ifndef FERRY_NFS4_OPS_STATE_H
#define FERRY_NFS4_OPS_STATE_H

#include "nfs4/compound.h"
#include "state/state.h"
#include "xdr/nfs4_codec_file.h"

#define NFS4_STATE_OP(name)                                                           \
	enum nfsstat4 nfs4_op_##name(struct nfs4_compound *c, struct xdr_dec *args, \
				     struct xdr_enc *res)

/* ops_client.c */
NFS4_STATE_OP(setclientid);
NFS4_STATE_OP(setclientid_confirm); /* may block: writes the stable record */
NFS4_STATE_OP(renew);
/* ops_open.c, on decoded arguments (NFS4_SERVE in compound.h) */
NFS4_SERVE_DECL(open); /* may block: creates files */
NFS4_SERVE_DECL(open_confirm);
NFS4_SERVE_DECL(open_downgrade);
NFS4_SERVE_DECL(close);
/* ops_lock.c */
NFS4_SERVE_DECL(lock);
NFS4_SERVE_DECL(lockt);
NFS4_SERVE_DECL(locku);
/* Decodes for itself until its codec (xdr/nfs4_codec_session.h) lands. */
NFS4_STATE_OP(release_lockowner);

/* The CB_NULL dialer for state_options.cb_null: one blocking call over a
 * new TCP connection (rpc/client.h), AUTH_NONE. */
int nfs4_cb_null_dial(const char *hostport, uint32_t prog, unsigned timeout_ms);

/* --- shared by the handlers above ------------------------------------ */

/* The state key of the current filehandle; false when it is not an object
 * of an export (the pseudo-fs has no state). */
bool nfs4_state_cfh_key(const struct nfs4_compound *c, struct state_file_key *out);

/* Sends a cached reply: appends its body, restores the current filehandle
 * of a replayed OPEN, and returns its status. */
enum nfsstat4 nfs4_state_replay(struct nfs4_compound *c, struct xdr_enc *res,
				const struct state_replay *r);

/* Sequencing around a handler body: begins (seqid of owner o), and on a
 * replay or a bad seqid ends at once, returning true with *status set.
 * Otherwise returns false: run the operation, then nfs4_state_seq_finish. */
bool nfs4_state_seq_start(struct nfs4_compound *c, struct state_owner *o, uint32_t seqid,
			  struct xdr_enc *res, enum nfsstat4 *status);

/* The same, for an operation sequenced on the owner of stateid sid; an
 * unknown stateid also ends it (*status BAD/STALE_STATEID, EXPIRED). */
bool nfs4_state_stateid_seq_start(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				  uint32_t seqid, struct xdr_enc *res, struct state_owner **o,
				  enum nfsstat4 *status);

/* Ends the operation: caches the encoded body from body_off (on success or
 * when c->error_body is set), drops the reference on o, returns status. */
enum nfsstat4 nfs4_state_seq_finish(struct nfs4_compound *c, struct state_owner *o,
				    struct xdr_enc *res, size_t body_off, enum nfsstat4 status,
				    const struct state_file_key *file);

#endif
