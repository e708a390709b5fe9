/* Directory delegations on the NFSv4 side (ops_dirdeleg.c,
 * dirdeleg_notify.c): GET_DIR_DELEGATION, the checks the operations that
 * change a directory make before they change it (recalls), what they
 * report after (notifications), and the sending of CB_NOTIFY.  Records,
 * policy and batches are the state module's (state/state_dirdeleg.h,
 * which also says who is told what).  Nothing here is called with a state
 * lock held, and nothing waits for a client. */
#ifndef FERRY_NFS4_DIRDELEG_H
#define FERRY_NFS4_DIRDELEG_H

#include "nfs4/compound.h"
#include "nfs4/fh.h"
#include "xdr/nfs4_codec.h"

struct nfs4_server;
struct backend_attr;
struct backend_handle;

/* The notification types Ferry sends (bits of NOTIFY4_*): none yet, so
 * every directory delegation is recall-only. */
#define NFS4_DIRDELEG_NOTIFY_SERVED 0u

/* Before an operation changes directory dir in the ways need (NOTIFY4_*
 * bits): NFS4_OK, or NFS4ERR_DELAY while another client's delegation on
 * it that would not be told is recalled. */
enum nfsstat4 nfs4_dirdeleg_break(struct nfs4_compound *c, const struct nfs4_fh *dir,
				  uint32_t need);

/* Before name in dir is removed or renamed (REMOVE, RENAME's source and
 * the target it replaces): when it is a delegated directory, no
 * notification can describe its going; another client's delegation on it
 * is recalled (NFS4ERR_DELAY). */
enum nfsstat4 nfs4_dirdeleg_break_name(struct nfs4_compound *c, const struct nfs4_fh *dir,
				       const char *name);

/* The cookie verifier READDIR and GET_DIR_DELEGATION give (ops_dir.c). */
void nfs4_dir_cookie_verifier(const struct nfs4_server *srv, struct nfs4_verifier *out);

#endif
