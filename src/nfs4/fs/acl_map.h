/* NFSv4 ACLs (RFC 8881 6) over POSIX ACLs (acl(5)), mapped both ways as
 * Linux's nfsd maps them, so a client sees the same ACL from Ferry as
 * from knfsd over the same file system, and an ACL it sets means the same.
 *
 * POSIX to NFSv4 (reading the acl attribute): each entry becomes an ALLOW
 * ACE, and a principal that later ACEs would grant more than its entry
 * gets a DENY ACE for the difference first.  The order: OWNER@ (deny,
 * allow), each named user (deny, allow), GROUP@ allow, each named group
 * allow, GROUP@ deny, each named group deny, EVERYONE@ allow; named
 * entries and GROUP@ count only what the mask lets through.  READ_ATTRIBUTES,
 * READ_ACL and SYNCHRONIZE are everyone's; the owner may also
 * WRITE_ATTRIBUTES and WRITE_ACL; write is WRITE_DATA and APPEND_DATA
 * (and DELETE_CHILD on a directory).  A directory's default ACL follows,
 * each ACE flagged FILE_INHERIT | DIRECTORY_INHERIT | INHERIT_ONLY.
 *
 * NFSv4 to POSIX (setting it): the ACEs are read in order, each bit of a
 * principal allowed or denied by the first ACE that names it for that
 * principal; EVERYONE@ reaches everyone, a denial to a named user reaches
 * the owner too and one to a group every user (so the POSIX ACL never
 * grants what an earlier DENY took).  ACEs with an inheritance flag go to
 * the default ACL (a directory's only), and to the access ACL as well
 * without INHERIT_ONLY.  A POSIX permission is granted only when every
 * ACE bit it stands for is allowed; bits with no POSIX meaning are
 * accepted and dropped.  Refused (-EINVAL; the attribute is then not
 * supported, NFS4ERR_ATTRNOTSUPP, as knfsd answers): AUDIT and ALARM
 * ACEs, flags other than the inheritance ones and IDENTIFIER_GROUP,
 * inheritance on a file, and explicit denials nobody could enforce
 * (READ_ATTRIBUTES or READ_ACL to anyone; WRITE_ATTRIBUTES or WRITE_ACL to
 * the owner).  A default ACL with no ACE is removed. */
#ifndef FERRY_NFS4_FS_ACL_MAP_H
#define FERRY_NFS4_FS_ACL_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"

/* Whom an ACE names: a uid (or, with ACE4_IDENTIFIER_GROUP, a gid), or
 * one of the special who strings. */
enum nfs4_ace_who {
	NFS4_ACE_WHO_NAMED = 0,
	NFS4_ACE_WHO_OWNER,    /* "OWNER@" */
	NFS4_ACE_WHO_GROUP,    /* "GROUP@" */
	NFS4_ACE_WHO_EVERYONE, /* "EVERYONE@" */
};

/* An ACE with its who already mapped to an id. */
struct nfs4_ace_val {
	uint32_t type, flag, mask; /* ACE4_* */
	enum nfs4_ace_who who;
	uint32_t id;
};

/* The most ACEs one POSIX ACL of n entries maps to. */
static inline uint32_t nfs4_acl_map_max(uint32_t n)
{
	return 2 * n + 1;
}

/* Appends the ACEs of a valid POSIX ACL (access, or a directory's default
 * when dflt) to out, which has room for nfs4_acl_map_max(acl->count)
 * more; returns how many it wrote.  An empty default ACL writes none. */
uint32_t nfs4_acl_from_posix(const struct backend_acl *acl, bool dir, bool dflt,
			     struct nfs4_ace_val *out);

/* Maps n ACEs for an object (dir: a directory) to its access ACL and
 * default ACL (count 0: none; always so for a file).  0, -EINVAL (above),
 * -EFBIG when the ACL names more users and groups than a POSIX ACL holds,
 * or -ENOMEM. */
int nfs4_acl_to_posix(const struct nfs4_ace_val *aces, uint32_t n, bool dir,
		      struct backend_acl *access, struct backend_acl *dflt);

#endif
