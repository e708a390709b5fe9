/* The ACL attributes of objects on exports that keep POSIX ACLs, read and
 * set as the caller through the back end: acl and dacl (RFC 8881 6.2,
 * 5.7), mapped by acl_map.h, and from minor version 2 posix_access_acl
 * and posix_default_acl (draft-ietf-nfsv4-posix-acls), the POSIX ACLs as
 * they are.  ACEs name principals by the same strings as owner and
 * owner_group (numeric ids, user@domain), or OWNER@, GROUP@ and
 * EVERYONE@. */
#ifndef FERRY_NFS4_FS_ACL_H
#define FERRY_NFS4_FS_ACL_H

#include <stdbool.h>

#include "backend/backend.h"
#include "export/fh.h"
#include "xdr/nfs4_fattr.h"
#include "xdr/nfs4_prot.h"

struct nfs4_server;
struct nfs4_sattr;

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

/* Reads a POSIX ACL of fh's object (of type type) as cred, as
 * posix_access_acl or posix_default_acl: its ACEs in XDR into buf, set up
 * and released as with nfs4_acl_read.  An object without an access ACL
 * has the one its mode makes, anything but a directory an empty default
 * one. */
enum nfsstat4 nfs4_posix_acl_read(const struct backend_cred *cred, const struct fh *fh,
				  enum backend_ftype type, enum backend_acl_kind kind,
				  struct xdr_enc *buf, struct nfs4_posix_acl *out, bool *none);

/* The POSIX ACLs an attribute set sets: NULL for one it leaves alone.
 * From an NFSv4 ACL, both (dflt with count 0 but for a directory); from
 * posix_*_acl, those given, where an empty access ACL removes it (the
 * mode stays) and an empty default one removes that. */
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

/* The ACLs of a SETATTR's, OPEN's or CREATE's attributes (s->has_acl)
 * for an object of type type: acl or dacl through nfs4_acl_map;
 * posix_access_acl and posix_default_acl sorted into tag order, with
 * NFS4ERR_BADOWNER for a who that names nobody and NFS4ERR_FBIG past
 * NFS4_ACL_MAX_ACES (whether the result is a valid ACL is the back end's
 * to judge).  Release *out with nfs4_acl_posix_free, whatever the
 * result. */
enum nfsstat4 nfs4_acl_map_sattr(const struct nfs4_server *srv, const struct nfs4_sattr *s,
				 enum backend_ftype type, struct nfs4_acl_posix *out);

/* The attributes that set ACLs, cleared from an attrset (ACLs that could
 * not be set on an object made anyway). */
void nfs4_acl_attrs_clear(struct nfs4_bitmap *attrset);

/* Sets mapped ACLs on the object bh of ex as cred (who must own it): the
 * access ACL, then a default ACL (a directory's, or a non-empty one, which
 * anything else refuses). */
enum nfsstat4 nfs4_acl_apply(const struct backend_cred *cred, struct export *ex,
			     const struct backend_handle *bh, enum backend_ftype type,
			     const struct nfs4_acl_posix *p);

void nfs4_acl_posix_free(struct nfs4_acl_posix *p);

#endif
