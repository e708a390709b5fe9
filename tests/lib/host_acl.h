/* The POSIX ACLs the host's kernel keeps for a file (acl(5)), read back
 * from its system.posix_acl_* attributes: what the ACL tests check that
 * ferryd set. */
#ifndef FERRY_TESTS_HOST_ACL_H
#define FERRY_TESTS_HOST_ACL_H

#include <stdint.h>

enum { HOST_ACL_MAX = 64 };

#define HOST_ACL_ACCESS "system.posix_acl_access"
#define HOST_ACL_DEFAULT "system.posix_acl_default"

/* The ACL of path in attribute xattr (HOST_ACL_ACCESS or
 * HOST_ACL_DEFAULT): each entry's tag, permissions and id, in the kernel's
 * order, into the arrays (room for HOST_ACL_MAX); the count, 0 when the
 * file has none, -1 when it cannot be read. */
int host_acl_read(const char *path, const char *xattr, uint16_t tags[], uint16_t perms[],
		  uint32_t ids[]);

#endif
