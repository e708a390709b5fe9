/* The host's POSIX ACLs (host_acl.h): the kernel's attribute format, a
 * version word, then per entry a 16-bit tag, 16-bit permissions and a
 * 32-bit id, little-endian. */
#include "lib/host_acl.h"

#include <errno.h>
#include <sys/xattr.h>

int host_acl_read(const char *path, const char *xattr, uint16_t tags[], uint16_t perms[],
		  uint32_t ids[])
{
	uint8_t v[4 + 8 * HOST_ACL_MAX];
	ssize_t n = getxattr(path, xattr, v, sizeof(v));
	if (n < 0)
		return errno == ENODATA ? 0 : -1;
	int count = (int)(n - 4) / 8;
	for (int i = 0; i < count; i++) {
		const uint8_t *e = v + 4 + 8 * i;
		tags[i] = (uint16_t)(e[0] | e[1] << 8);
		perms[i] = (uint16_t)(e[2] | e[3] << 8);
		ids[i] = (uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 |
			 (uint32_t)e[7] << 24;
	}
	return count;
}
