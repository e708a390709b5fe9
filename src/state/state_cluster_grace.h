/* The cluster-wide grace period of clustered heads (RFC 8881 8.4.2,
 * RFC 7530 9.6.3): one RADOS object, "grace", beside the records
 * (rec-<node>) in the [cluster] pool and namespace.  A first cut: the
 * object and its transitions, not yet used by the state module's grace
 * (docs/STATUS.md, "Known gaps").
 *
 * Its omap holds
 *   "current"       the current epoch, a decimal number (1 when created);
 *   "recovery"      the epoch being recovered from, 0 when the cluster is
 *                   not in grace;
 *   "node:<name>"   a member's flags: "N" needs grace (it restarted and
 *                   its clients of the recovery epoch may reclaim), "E"
 *                   enforces grace (grants no new state that a reclaim
 *                   could conflict with), both "NE", or "-".
 * A head that restarts with records joins needing grace: if the cluster
 * is not in grace a new grace epoch starts (recovery = current, current
 * + 1).  Every member that learns the cluster is in grace enforces it.
 * Reclaims are safe once every member enforces.  A head whose clients
 * have all reclaimed (RECLAIM_COMPLETE) or whose grace time is over says
 * so (done): it no longer needs grace, and when no member does the grace
 * period is lifted (recovery = 0) for the whole cluster; members then
 * stop enforcing.
 *
 * Every change reads the object and writes it back only if its version
 * is still the one read (rados_write_op_assert_version), retrying
 * otherwise, so that heads changing it at once do not lose each other's
 * changes.  A handle is used by one thread at a time (the version read
 * is the ioctx's last). */
#ifndef FERRY_STATE_CLUSTER_GRACE_H
#define FERRY_STATE_CLUSTER_GRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "state/state.h"

struct state_cluster_grace;

/* What the object said after an operation. */
struct state_cluster_grace_view {
	uint64_t current, recovery; /* recovery 0: not in grace */
	unsigned members, need, enforcing;
	bool me_need, me_enforcing;
};

static inline bool state_cluster_grace_in_grace(const struct state_cluster_grace_view *v)
{
	return v->recovery != 0;
}

/* Every member enforces: reclaims cannot meet conflicting new state. */
static inline bool state_cluster_grace_all_enforcing(const struct state_cluster_grace_view *v)
{
	return v->enforcing == v->members;
}

/* Connects for node c->node (state_rados.c); the object is created on
 * first use.  0 or a negative errno (logged).  Free with
 * state_cluster_grace_close. */
int state_cluster_grace_open(const struct state_cluster_options *c,
			     struct state_cluster_grace **out);
void state_cluster_grace_close(struct state_cluster_grace *g);

/* This node becomes a member.  need: it has clients that may reclaim; a
 * grace epoch starts unless one is under way, and the node enforces it.
 * Without need it enforces a grace under way, if any.  0 or a negative
 * errno; *v what the object says now. */
int state_cluster_grace_join(struct state_cluster_grace *g, bool need,
			     struct state_cluster_grace_view *v);

/* This node needs grace no longer; the last to say so lifts it for the
 * cluster.  0 or a negative errno. */
int state_cluster_grace_done(struct state_cluster_grace *g, struct state_cluster_grace_view *v);

/* Reads the object and brings this node's enforcing flag in line with it
 * (on while the cluster is in grace, off after), for a periodic check.
 * 0 or a negative errno. */
int state_cluster_grace_poll(struct state_cluster_grace *g, struct state_cluster_grace_view *v);

#endif
