/* Keeping the event loops responsive when a back end is slow: operations
 * that look up or change names and attributes run inline while their export
 * answers them fast, and on the worker pool while it does not
 * (NFSv4: NFS4_OPF_MAY_STALL, optable.h; NFSv3: nfs3/program.c).
 *
 * Measured (docs/DECISIONS.md): deferring them always costs a path walk
 * about half again its server CPU, and inline they make every other client
 * of the loop wait for the slow disk; the time each one took is already
 * taken for the operation statistics, so watching it costs one atomic load
 * per operation. */
#include "export/stall.h"

#include "core/log.h"
#include "export/export.h"

static _Atomic uint64_t n_deferrals;

void export_stall_count_deferral(void)
{
	atomic_fetch_add_explicit(&n_deferrals, 1, memory_order_relaxed);
}

uint64_t export_stall_deferrals(void) { return atomic_load(&n_deferrals); }

bool export_changes_wait_remote(const struct export *ex)
{
	return ex->ops && ex->ops->changes_wait_remote;
}

bool export_stall_expected(const struct export *ex, uint64_t now_ns)
{
	return atomic_load_explicit(&ex->slow_until_ns, memory_order_relaxed) > now_ns;
}

void export_stall_note(struct export *ex, uint64_t end_ns, uint64_t took_ns)
{
	if (took_ns < EXPORT_STALL_NS) {
		/* Read first: a store on every quick operation would bounce
		 * the export's cache line between the loops. */
		if (atomic_load_explicit(&ex->slow_strikes, memory_order_relaxed))
			atomic_store_explicit(&ex->slow_strikes, 0, memory_order_relaxed);
		return;
	}
	if (atomic_fetch_add(&ex->slow_strikes, 1) + 1 < EXPORT_STALL_STRIKES)
		return;
	atomic_store(&ex->slow_strikes, 0);
	atomic_store_explicit(&ex->slow_until_ns, end_ns + EXPORT_STALL_HOLD_NS,
			      memory_order_relaxed);
	if (!atomic_exchange(&ex->slow_logged, true))
		log_info("export %s: name or attribute operations take %.1f ms; while they "
			 "stay that slow they run on the worker pool, not the event loops",
			 ex->pseudo, (double)took_ns / 1e6);
}
