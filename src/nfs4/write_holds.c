/* The back end's write holds (backend_ops.write_hold): the state module
 * queues each file's first open with write access and the end of its
 * last one (OPEN, OPEN_DOWNGRADE, CLOSE, and an expired or destroyed
 * client's opens), and this hands them to the file's back end, which
 * keeps a descriptor for writing meanwhile. */
#include "export/export.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/server.h"
#include "state/state.h"

void nfs4_write_holds_apply(struct nfs4_server *srv)
{
	struct state_write_hold holds[32];
	size_t n;

	/* One drain at a time, so holds reach the back end in the order the
	 * state module made them: a release never overtakes its hold (a
	 * stale hold would keep a descriptor with no open behind it). */
	pthread_mutex_lock(&srv->write_holds_lock);
	while ((n = state_take_write_holds(srv->state, holds, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct export *ex =
				exports_find(&srv->exports, holds[i].file.export_id);
			if (ex && ex->ops->write_hold)
				ex->ops->write_hold(ex->bex, &holds[i].file.bh, holds[i].on);
		}
	}
	pthread_mutex_unlock(&srv->write_holds_lock);
}

void nfs4_write_holds_work(void *ctx)
{
	struct nfs4_server *srv = ctx;
	/* Write holds, and what else the state module queued outside a
	 * COMPOUND: the leases of an expired client's delegations, and
	 * recalls another program's request caused (an NLM lock on a
	 * delegated file), which then go out within a pass of the state
	 * thread rather than with whichever COMPOUND comes next. */
	if (atomic_load_explicit(&srv->write_holds_ready, memory_order_acquire))
		nfs4_outbox_drain(srv, true);
}
