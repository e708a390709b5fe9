/* Listing the "user." names of an extended-attribute list in cookie order,
 * for the back ends whose file system hands back the whole list at once
 * (local: listxattr(2); ceph: ceph_ll_listxattr).
 *
 * Listing cookies are a keyed hash of the name: a listing is sorted by
 * it and resumes after the cookie given, so names that stay are neither
 * repeated nor skipped when others come or go between two calls (an index
 * into the file system's list would shift).  The key is fixed, so a cookie
 * means the same after a restart and on every server of one file system. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_internal.h"
#include "core/siphash.h"

static const struct siphash_key backend_xattr_cookie_key = { 0x7573657278617474ull,
							     0x7266657272796c73ull };

struct backend_xattr_name {
	const char *name; /* without the prefix, inside the list */
	size_t len;
	uint64_t cookie;
};

/* Never 0 (the start of a listing). */
static uint64_t backend_xattr_cookie(const char *name, size_t len)
{
	return (siphash24(&backend_xattr_cookie_key, name, len) >> 1) + 1;
}

static int backend_xattr_cmp(const void *a, const void *b)
{
	const struct backend_xattr_name *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

int backend_xattr_list_emit(const char *list, size_t len, uint64_t cookie, backend_xattr_fn fn,
			    void *ctx, bool *eof)
{
	/* Each name takes at least "user.x\0". */
	size_t cap = len / (BACKEND_XATTR_PREFIX_LEN + 2) + 1, n = 0;
	struct backend_xattr_name *names = calloc(cap, sizeof(*names));

	if (!names)
		return -ENOMEM;
	for (size_t off = 0; off < len && n < cap;) {
		const char *s = list + off;
		size_t l = strnlen(s, len - off);

		off += l + 1;
		if (l <= BACKEND_XATTR_PREFIX_LEN ||
		    memcmp(s, "user.", BACKEND_XATTR_PREFIX_LEN) != 0)
			continue;
		names[n].name = s + BACKEND_XATTR_PREFIX_LEN;
		names[n].len = l - BACKEND_XATTR_PREFIX_LEN;
		names[n].cookie = backend_xattr_cookie(names[n].name, names[n].len);
		n++;
	}
	qsort(names, n, sizeof(*names), backend_xattr_cmp);
	*eof = true;
	for (size_t i = 0; i < n; i++) {
		if (names[i].cookie <= cookie)
			continue;
		if (!fn(ctx, names[i].name, names[i].len, names[i].cookie)) {
			*eof = false;
			break;
		}
	}
	free(names);
	return 0;
}
