/* The memory back end's extended attributes: kept per object, with the
 * rules of the local back end's "user." namespace (backend.h).  Each
 * attribute gets a cookie when it is created, never reused on its object,
 * and a listing goes in cookie order, as directory entries do. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/memory/memory_internal.h"

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

/* What each call does with the attributes, for the checks it needs
 * (backend.h): listing needs no permission; reading a value needs an
 * object that carries attributes (-ENODATA otherwise: the host has none to
 * find) and read permission; a change mem_xattr_may_change; reading and
 * removing need the attribute to exist. */
enum mem_xattr_use { MEM_XATTR_LIST, MEM_XATTR_GET, MEM_XATTR_SET, MEM_XATTR_REMOVE };

static int mem_xattr_permission(const struct backend_cred *cred, const struct mem_node *n,
				enum mem_xattr_use use)
{
	switch (use) {
	case MEM_XATTR_LIST:
		return 0;
	case MEM_XATTR_GET:
		if (!mem_xattr_type_ok(n))
			return -ENODATA;
		return mem_may(cred, n, BACKEND_ACCESS_READ) ? 0 : -EACCES;
	default:
		return mem_xattr_may_change(cred, n);
	}
}

/* Opens a call on h's attributes (on attribute name, unless listing),
 * under ex->lock: taken here after the test latency, and held on return
 * whatever the outcome, for the caller to release.  The name's check, the
 * object, the permission the call needs, then *i: the attribute's index in
 * *n, -1 when it has none such (then -ENODATA for GET and REMOVE). */
static int mem_xattr_begin(struct mem_export *ex, const struct backend_cred *cred,
			   const struct backend_handle *h, const char *name,
			   enum mem_xattr_use use, struct mem_node **n, long *i)
{
	int r = 0;

	mem_lock_metadata(ex);
	*i = -1;
	if (use != MEM_XATTR_LIST)
		r = backend_xattr_name_check(name);
	if (r == 0)
		r = mem_node_find(ex, h, n);
	if (r == 0)
		r = mem_xattr_permission(cred, *n, use);
	if (r == 0 && use != MEM_XATTR_LIST)
		*i = mem_xattr_find(*n, name);
	if (r == 0 && *i < 0 && (use == MEM_XATTR_GET || use == MEM_XATTR_REMOVE))
		r = -ENODATA;
	return r;
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
	long i;
	int r = mem_xattr_begin(ex, cred, h, name, MEM_XATTR_GET, &n, &i);

	if (r == 0 && n->xattrs[i].len > cap)
		r = -ERANGE;
	if (r == 0) {
		const struct mem_xattr *x = &n->xattrs[i];

		if (x->len)
			memcpy(buf, x->value, x->len);
		*len = x->len;
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
	long i;
	int r;

	/* The size first, as the local back end checks it. */
	if (len > BACKEND_XATTR_SIZE_MAX) {
		mem_metadata_delay(ex);
		return -E2BIG;
	}
	r = mem_xattr_begin(ex, cred, h, name, MEM_XATTR_SET, &n, &i);
	if (r == 0 && i >= 0 && how == BACKEND_XATTR_CREATE)
		r = -EEXIST;
	else if (r == 0 && i < 0 && how == BACKEND_XATTR_REPLACE)
		r = -ENODATA;
	else if (r == 0)
		r = mem_xattr_store(ex, n, i, name, value, len);
	pthread_mutex_unlock(&ex->lock);
	return r;
}

int mem_removexattr(struct backend_export *bex, const struct backend_cred *cred,
		    const struct backend_handle *h, const char *name)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	long i;
	int r = mem_xattr_begin(ex, cred, h, name, MEM_XATTR_REMOVE, &n, &i);

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
	long none;
	int r = mem_xattr_begin(ex, cred, h, NULL, MEM_XATTR_LIST, &n, &none);

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
