/* POSIX ACLs between the back end's form (backend.h) and NFSACL's wire
 * lists (xdr/nfsacl_codec.h), both ways, as Linux's nfsd converts them;
 * the rules are in nfs3/acl.c's header. */
#ifndef FERRY_NFS3_ACL_WIRE_H
#define FERRY_NFS3_ACL_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "xdr/nfs3_prot.h"
#include "xdr/nfsacl_codec.h"

/* acl as NFSACL sends it, into out (room for NFSACL_MAX_ENTRIES), *n
 * entries: a three-entry ACL as four (a MASK equal to GROUP_OBJ), the
 * owner's and owning group's entries with uid and gid, dflt adding
 * NFSACL_DEFAULT to each type.  False when it has more entries than
 * NFSACL carries. */
bool nfs3_acl_to_wire(const struct backend_acl *acl, uint32_t uid, uint32_t gid, bool dflt,
		      struct nfsacl_ace *out, uint32_t *n);

/* A decoded list's entries as a back-end ACL in tag and id order, a
 * four-entry one whose MASK equals GROUP_OBJ as three: NFS3ERR_INVAL for
 * an entry no POSIX ACL has (an unknown type, bits beyond rwx, a named
 * entry of id -1).  Whether the whole is a valid ACL is the back end's
 * to judge. */
enum nfsstat3 nfs3_acl_from_wire(const struct nfsacl_list *list, struct backend_acl *out);

#endif
