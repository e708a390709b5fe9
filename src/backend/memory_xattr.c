/* The memory back end's extended attributes: kept per object, with the
 * rules of the local back end's "user." namespace (backend.h).  Each
 * attribute gets a cookie when it is created, never reused on its object,
 * and a listing goes in cookie order, as directory entries do. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/memory_internal.h"

/* Names and values an object may hold in all, as a file system block
 * bounds them on the host (ext4: one block without ea_inode). */
enum { MEM_XATTR_BYTES_MAX = 1 << 20 };

static long mem_xattr_find(const struct mem_node *n, const char *name)
{
	for (size_t i = 0; i < n->nxattrs; i++)
		if (strcmp(n->xattrs[i].name, name) == 0)
			return (long)i;
	return -1;
}

static bool mem_xattr_type_ok(const struct mem_node *n)
{
	return n->type == BACKEND_REG || n->type == BACKEND_DIR;
}

/* The checks of a change, in the kernel's order (fs/xattr.c
 * xattr_permission): the object's type, a sticky directory, then write
 * permission. */
static int mem_xattr_may_change(const struct backend_cred *cred, const struct mem_node *n)
{
	if (!mem_xattr_type_ok(n))
		return -EPERM;
	if (n->type == BACKEND_DIR && (n->mode & MEM_MODE_STICKY) && cred->uid != 0 &&
	    cred->uid != n->uid)
		return -EPERM;
	return mem_may(cred, n, BACKEND_ACCESS_WRITE) ? 0 : -EACCES;
}

void mem_xattrs_free(struct mem_node *n)
{
	for (size_t i = 0; i < n->nxattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	n->xattrs = NULL;
	n->nxattrs = 0;
}

int mem_getxattr(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *h, const char *name, void *buf, size_t cap,
		 size_t *len)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r = backend_xattr_name_check(name);

	mem_metadata_delay(ex);
	if (r != 0)
		return r;
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0 && !mem_xattr_type_ok(n))
		r = -ENODATA;
	if (r == 0 && !mem_may(cred, n, BACKEND_ACCESS_READ))
		r = -EACCES;
	long i = r == 0 ? mem_xattr_find(n, name) : -1;
	if (r == 0 && i < 0)
		r = -ENODATA;
	if (r == 0) {
		const struct mem_xattr *x = &n->xattrs[i];

		if (x->len > cap) {
			r = -ERANGE;
		} else {
			if (x->len)
				memcpy(buf, x->value, x->len);
			*len = x->len;
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

/* Puts the value into entry x (new or replaced). */
static int mem_xattr_store(struct mem_export *ex, struct mem_node *n, long i, const char *name,
			   const void *value, size_t len)
{
	size_t held = 0;

	for (size_t k = 0; k < n->nxattrs; k++)
		if ((long)k != i)
			held += strlen(n->xattrs[k].name) + n->xattrs[k].len;
	if (held + strlen(name) + len > MEM_XATTR_BYTES_MAX)
		return -ENOSPC;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, value, len);
	if (i < 0) {
		if (n->nxattrs == n->xattrs_cap) {
			size_t cap = n->xattrs_cap ? n->xattrs_cap * 2 : 4;
			struct mem_xattr *a = realloc(n->xattrs, cap * sizeof(*a));

			if (!a) {
				free(copy);
				return -ENOMEM;
			}
			n->xattrs = a;
			n->xattrs_cap = cap;
		}
		char *nm = strdup(name);
		if (!nm) {
			free(copy);
			return -ENOMEM;
		}
		/* Cookie 0 starts a listing. */
		n->xattrs[n->nxattrs++] = (struct mem_xattr){
			.name = nm, .value = copy, .len = len, .cookie = ++n->next_xattr_cookie};
	} else {
		free(n->xattrs[i].value);
		n->xattrs[i].value = copy;
		n->xattrs[i].len = len;
	}
	mem_touch(ex, n, MEM_TOUCH_CTIME);
	return 0;
}

int mem_setxattr(struct backend_export *bex, const struct backend_cred *cred,
		 const struct backend_handle *h, const char *name, const void *value, size_t len,
		 enum backend_xattr_set how)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r = backend_xattr_name_check(name);

	mem_metadata_delay(ex);
	if (r != 0)
		return r;
	if (len > BACKEND_XATTR_SIZE_MAX)
		return -E2BIG;
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0)
		r = mem_xattr_may_change(cred, n);
	if (r == 0) {
		long i = mem_xattr_find(n, name);

		if (i >= 0 && how == BACKEND_XATTR_CREATE)
			r = -EEXIST;
		else if (i < 0 && how == BACKEND_XATTR_REPLACE)
			r = -ENODATA;
		else
			r = mem_xattr_store(ex, n, i, name, value, len);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_removexattr(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, const char *name)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r = backend_xattr_name_check(name);

	mem_metadata_delay(ex);
	if (r != 0)
		return r;
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0)
		r = mem_xattr_may_change(cred, n);
	long i = r == 0 ? mem_xattr_find(n, name) : -1;
	if (r == 0 && i < 0)
		r = -ENODATA;
	if (r == 0) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
		memmove(&n->xattrs[i], &n->xattrs[i + 1],
			(n->nxattrs - (size_t)i - 1) * sizeof(n->xattrs[0]));
		n->nxattrs--;
		mem_touch(ex, n, MEM_TOUCH_CTIME);
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_listxattr(struct backend_export *bex, const struct backend_cred *cred,
		  const struct backend_handle *h, uint64_t cookie, backend_xattr_fn fn, void *ctx,
		  bool *eof)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	(void)cred; /* listing needs no permission, as on the host */
	mem_metadata_delay(ex);
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0) {
		*eof = true;
		/* The callback runs under the export's lock: it only encodes. */
		for (size_t i = 0; i < n->nxattrs; i++) {
			const struct mem_xattr *x = &n->xattrs[i];

			if (x->cookie <= cookie)
				continue;
			if (!fn(ctx, x->name, strlen(x->name), x->cookie)) {
				*eof = false;
				break;
			}
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return r;
}
