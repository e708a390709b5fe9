/* Stall learning (stall.c): which exports are slow just now, so that their
 * name and attribute operations leave the event loops (NFSv4's and
 * NFSv3's alike). */
#ifndef FERRY_EXPORT_STALL_H
#define FERRY_EXPORT_STALL_H

#include <stdbool.h>
#include <stdint.h>

struct export;

/* Operations flagged NFS4_OPF_MAY_STALL (and NFSv3's GETATTR, LOOKUP,
 * ACCESS, READLINK, FSSTAT, FSINFO, PATHCONF) run on the event loop while their
 * export answers them fast.  Once EXPORT_STALL_STRIKES in a row took
 * EXPORT_STALL_NS or more on a loop (a disk that has to seek, a directory
 * service that has to be asked; one alone may be a loop thread that lost
 * its CPU), those of that export go to the worker pool for
 * EXPORT_STALL_HOLD_NS, so the loop's other connections do not wait behind
 * them; then they are tried on the loop again (stall.c). */
enum {
	EXPORT_STALL_NS = 1000000,
	EXPORT_STALL_STRIKES = 3,
};
#define EXPORT_STALL_HOLD_NS 1000000000ull

/* Whether such an operation on ex should go to the worker pool now. */
bool export_stall_expected(const struct export *ex, uint64_t now_ns);

/* Tells how long one such operation, run on an event loop, took on ex
 * (ended at end_ns). */
void export_stall_note(struct export *ex, uint64_t end_ns, uint64_t took_ns);

/* Whether ex's changes of names and attributes go to the rpc server's
 * remote pool (rpc_dispatch_defer_remote) at once: its back end waits on a
 * metadata server for each (backend_ops.changes_wait_remote).  Not tried on
 * an event loop, which would wait a round trip every time, nor on the
 * workers, which keep few such waits in flight. */
bool export_changes_wait_remote(const struct export *ex);

/* Counts one operation sent to the worker pool because its export was
 * slow; the total, for /metrics.  Rare: one shared counter. */
void export_stall_count_deferral(void);
uint64_t export_stall_deferrals(void);

#endif
