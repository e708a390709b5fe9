/* Operation handlers that keep client state (v4.0 clients, opens, locks),
 * each an NFS4_SERVE handler (compound.h) on decoded arguments, and the helpers
 * they share.  The state itself lives in state/state.h. */
#ifndef FERRY_NFS4_OPS_STATE_H
#define FERRY_NFS4_OPS_STATE_H

#include "nfs4/engine/compound.h"
#include "state/state.h"
#include "xdr/nfs4_codec_file.h"

/* ops_open.c, on decoded arguments (NFS4_SERVE in compound.h) */
NFS4_SERVE_DECL(open); /* may block: creates files */
NFS4_SERVE_DECL(open_confirm);
NFS4_SERVE_DECL(open_downgrade);
NFS4_SERVE_DECL(close);
/* ops_lock.c */
NFS4_SERVE_DECL(lock);
NFS4_SERVE_DECL(lockt);
NFS4_SERVE_DECL(locku);
NFS4_SERVE_DECL(release_lockowner);
/* The state module's lock-notice hook (state_lock_notify_set; ctx is the
 * struct nfs4_server): queues CB_NOTIFY_LOCK for the waiting lock owner. */
void nfs4_lock_notify(void *ctx, const struct state_lock_notice *n);

/* ops_deleg.c */
NFS4_SERVE_DECL(want_delegation);
NFS4_SERVE_DECL(get_dir_delegation);

/* The v4.1 bits of share_access that say which delegation is wanted. */
#define NFS4_OPEN_WANT_BITS                                                  \
	((uint32_t)OPEN4_SHARE_ACCESS_WANT_DELEG_MASK |                      \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL |  \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED |    \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS)

/* --- shared by the handlers above ------------------------------------ */

/* The state key of the current filehandle; false when it is not an object
 * of an export (the pseudo-fs has no state). */
bool nfs4_state_cfh_key(const struct nfs4_compound *c, struct state_file_key *out);

/* Sends a cached reply: appends its body, restores the current filehandle
 * of a replayed OPEN, and returns its status. */
enum nfsstat4 nfs4_state_replay(struct nfs4_compound *c, struct xdr_enc *res,
				const struct state_replay *r);

/* The status for the client's minor version: the state module's
 * NFS4ERR_RESOURCE (a cap on state reached, or no memory) is
 * NFS4ERR_SERVERFAULT in v4.1. */
enum nfsstat4 nfs4_state_v41_status(const struct nfs4_compound *c, enum nfsstat4 s);

/* A clientid that a v4.0 request names (open or lock owner, RENEW):
 * NFS4ERR_STALE_CLIENTID for a v4.1 client, whose state belongs to its
 * sessions (knfsd does not find it either); NFS4_OK otherwise, or in
 * v4.1, where the session names the client. */
enum nfsstat4 nfs4_state_v40_clientid(const struct nfs4_compound *c, uint64_t clientid);

/* Sequencing around a handler body: begins (seqid of owner o), and on a
 * replay or a bad seqid ends at once, returning true with *status set.
 * Otherwise returns false: run the operation, then nfs4_state_seq_finish. */
bool nfs4_state_seq_start(struct nfs4_compound *c, struct state_owner *o, uint32_t seqid,
			  struct xdr_enc *res, enum nfsstat4 *status);

/* The part of an operation sequenced on the owner of a stateid that acts on
 * the current file, whose state key is key: it encodes its result body
 * (an error's body too, setting c->error_body) and returns the status.
 * arg is what the handler passed to nfs4_state_stateid_seq_run. */
typedef enum nfsstat4 nfs4_state_file_op(struct nfs4_compound *c, struct state_owner *o,
					  const struct nfs4_stateid *sid,
					  const struct state_file_key *key, const void *arg,
					  struct xdr_enc *res);

/* An operation sequenced (seqid) on the owner of stateid sid, from start to
 * finish: an unknown stateid (BAD/STALE_STATEID, EXPIRED), a replay or a
 * bad seqid ends it at once; a current filehandle with no state key gets
 * no_key; otherwise op runs, and its reply body is cached for the owner. */
enum nfsstat4 nfs4_state_stateid_seq_run(struct nfs4_compound *c, const struct nfs4_stateid *sid,
					 uint32_t seqid, enum nfsstat4 no_key,
					 nfs4_state_file_op *op, const void *arg, struct xdr_enc *res);

/* Ends the operation: caches the encoded body from body_off (on success or
 * when c->error_body is set), drops the reference on o, returns status. */
enum nfsstat4 nfs4_state_seq_finish(struct nfs4_compound *c, struct state_owner *o,
				    struct xdr_enc *res, size_t body_off, enum nfsstat4 status,
				    const struct state_file_key *file);

#endif
