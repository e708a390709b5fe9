/* Delegations on the NFSv4 side (ops_deleg.c, deleg_cb.c): the grant for
 * OPEN, conflict checks of the operations that the state module cannot see
 * (REMOVE, RENAME, LINK, SETATTR, GETATTR), the callbacks and the back
 * end's leases.  The records and the policy are the state module's
 * (state/state.h, "delegations").  Nothing here is called with a state
 * lock held, and nothing waits for a client. */
#ifndef FERRY_NFS4_DELEG_H
#define FERRY_NFS4_DELEG_H

#include "nfs4/compound.h"
#include "state/state.h"
#include "xdr/nfs4_codec_file.h"

struct nfs4_server;

/* The delegation for an OPEN that owner o just made on file key with
 * access (and v4.1 want bits; reclaim_type for CLAIM_PREVIOUS): the state
 * module's policy, then the back end's lease for a newly delegated file
 * (a file the back end will not lease gets none).  Fills *out. */
void nfs4_deleg_for_open(struct nfs4_compound *c, struct state_owner *o,
			 const struct state_file_key *key, uint32_t access, uint32_t want,
			 uint32_t reclaim_type, struct nfs4_open_delegation *out);

/* NFS4_OK, or NFS4ERR_DELAY while a delegation of another client than the
 * caller's on the file is recalled: the file fh names (LINK's source), the
 * regular file name names in directory dir (REMOVE, RENAME's source and
 * target), the current file before a SETATTR that changes it (sid: the
 * SETATTR's stateid, which may name the caller). */
enum nfsstat4 nfs4_deleg_break_fh(struct nfs4_compound *c, const struct nfs4_fh *fh);
enum nfsstat4 nfs4_deleg_break_name(struct nfs4_compound *c, const struct nfs4_fh *dir,
				    const char *name);
enum nfsstat4 nfs4_deleg_break_setattr(struct nfs4_compound *c, const struct nfs4_stateid *sid);

/* GETATTR of the current file (attr from the back end) asking want: while
 * another client holds a write delegation on it, NFS4ERR_DELAY until the
 * holder answered CB_GETATTR, then NFS4_OK with its change and size in
 * attr (RFC 8881 10.4.3). */
enum nfsstat4 nfs4_deleg_getattr(struct nfs4_compound *c, const struct nfs4_bitmap *want,
				 struct backend_attr *attr);

/* Takes (OPEN_DELEGATE_READ / _WRITE) or drops (OPEN_DELEGATE_NONE) the
 * back end's lease on file key.  0, -ENOTSUP (no leases: delegate
 * anyway) or another -errno (do not delegate). */
int nfs4_deleg_lease(struct nfs4_server *srv, const struct state_file_key *key, uint32_t type);

/* Sends the callbacks the state module queued (CB_RECALL, CB_GETATTR) and
 * drops the back-end leases of files no longer delegated.  Returns at
 * once; the dispatcher calls it after an operation that queued any. */
void nfs4_deleg_work(struct nfs4_server *srv);

/* Registers, per export, the back end's lease-break notification: a break
 * by someone on the host recalls every delegation of the file. */
void nfs4_deleg_watch_leases(struct nfs4_server *srv);
/* Turns that off (before the state goes). */
void nfs4_deleg_unwatch_leases(struct nfs4_server *srv);

#endif
