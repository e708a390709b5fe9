/* The acl and dacl attributes (RFC 8881 6.2, 5.7) of objects on exports
 * that keep POSIX ACLs: read and set as the caller through the back end,
 * mapped by acl_map.h.  ACEs name principals by the same strings as owner
 * and owner_group (numeric ids, user@domain), or OWNER@, GROUP@ and
 * EVERYONE@. */
#ifndef FERRY_NFS4_FS_ACL_H
#define FERRY_NFS4_FS_ACL_H

#include <stdbool.h>

#include "backend/backend.h"
#include "export/fh.h"
#include "xdr/nfs4_fattr.h"
#include "xdr/nfs4_prot.h"

struct nfs4_server;

/* The most ACEs an ACL set by a client may have: a larger one is
 * NFS4ERR_FBIG (knfsd's answer for an ACL over its limit). */
enum { NFS4_ACL_MAX_ACES = 4096 };

/* True when the object fh names can carry an ACL: its export's back end
 * and file system keep POSIX ACLs. */
bool nfs4_acl_supported(const struct fh *fh);

/* Reads the ACL of fh's object (of type type) as cred: its ACEs in XDR
 * into buf, which this sets up and the caller releases once *out has been
 * encoded.  *none when the file system keeps no ACL for such an object (a
 * symbolic link): then nothing is in buf. */
enum nfsstat4 nfs4_acl_read(const struct backend_cred *cred, const struct fh *fh,
			    enum backend_ftype type, struct xdr_enc *buf, struct nfs4_acl *out,
			    bool *none);

/* The POSIX ACLs an NFSv4 ACL sets (dflt only for a directory: count 0
 * removes it). */
struct nfs4_acl_posix {
	struct backend_acl *access, *dflt;
};

/* Maps a client's ACL for an object of type type: NFS4ERR_BADOWNER for a
 * who that names nobody, NFS4ERR_ATTRNOTSUPP for ACEs no POSIX ACL can
 * express (acl_map.h), NFS4ERR_FBIG for more than NFS4_ACL_MAX_ACES or
 * more principals than a POSIX ACL holds.  Release *out with
 * nfs4_acl_posix_free, whatever the result. */
enum nfsstat4 nfs4_acl_map(const struct nfs4_server *srv, const struct nfs4_acl *acl,
			   enum backend_ftype type, struct nfs4_acl_posix *out);

/* Sets a mapped ACL on the object bh of ex as cred (who must own it):
 * the access ACL, then a directory's default ACL. */
enum nfsstat4 nfs4_acl_apply(const struct backend_cred *cred, struct export *ex,
			     const struct backend_handle *bh, enum backend_ftype type,
			     const struct nfs4_acl_posix *p);

void nfs4_acl_posix_free(struct nfs4_acl_posix *p);

#endif
