/* Leases of the memory back end.  Nothing outside the server can open a
 * memory file, so a lease is always granted and never broken, except by a
 * test through backend_memory_break_lease, which lets in-process tests of
 * the delegation layer drive a break as the local back end's thread would. */
#include <errno.h>

#include "backend/memory/memory_internal.h"

int mem_lease(struct backend_export *bex, const struct backend_handle *h, enum backend_lease type)
{
	struct mem_export *ex = mem_export_of(bex);
	struct mem_node *n;
	int r;

	if (type != BACKEND_LEASE_NONE && type != BACKEND_LEASE_READ && type != BACKEND_LEASE_WRITE)
		return -EINVAL;
	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0 && n->type != BACKEND_REG)
		r = type == BACKEND_LEASE_NONE ? 0 : -EINVAL; /* as the local back end */
	if (r == 0 && n->type == BACKEND_REG)
		n->lease = type;
	pthread_mutex_unlock(&ex->lock);
	return r;
}

void mem_lease_notify(struct backend_export *bex, backend_lease_break_fn fn, void *ctx)
{
	struct mem_export *ex = mem_export_of(bex);

	backend_lease_notify_set(&ex->lock, &ex->lease_break, &ex->lease_ctx, fn, ctx);
}

int backend_memory_break_lease(struct backend_export *bex, const struct backend_handle *h)
{
	struct mem_export *ex = mem_export_of(bex);
	backend_lease_break_fn fn = NULL;
	struct backend_handle copy = *h;
	struct mem_node *n;
	void *ctx = NULL;
	int r;

	pthread_mutex_lock(&ex->lock);
	r = mem_node_find(ex, h, &n);
	if (r == 0 && n->lease == BACKEND_LEASE_NONE)
		r = -ENOENT;
	if (r == 0) {
		fn = ex->lease_break;
		ctx = ex->lease_ctx;
	}
	pthread_mutex_unlock(&ex->lock);
	/* As from the local back end's thread: no lock held, so fn may call
	 * back in. */
	if (fn)
		fn(ctx, &copy, BACKEND_LEASE_BROKEN);
	return r == -ESTALE || r == -EBADF ? -ENOENT : r;
}
