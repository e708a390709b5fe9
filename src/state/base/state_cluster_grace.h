/* The cluster-wide grace period of clustered heads (RFC 8881 8.4.2,
 * RFC 7530 9.6.3): one RADOS object, "grace", beside the records
 * (rec-<node>) in the [cluster] pool and namespace.  state_cluster.c
 * drives it; this file only reads and changes the object.
 *
 * Its omap holds
 *   "current"       the current epoch, a decimal number (1 when created);
 *   "recovery"      the epoch being recovered from, 0 when the cluster is
 *                   not in grace;
 *   "since"         when the grace under way began (ms since the Unix
 *                   epoch; 0 when none);
 *   "boot"          the last boot epoch a head took (state_cluster_grace_boot);
 *   "node:<name>"   a member's flags: "N" needs grace (it restarted, or took
 *                   over a failed head, and has clients that may reclaim),
 *                   "E" enforces grace (grants no new state that a reclaim
 *                   could conflict with), both "NE", or "-";
 *   "addr:<name>"   the addresses a member serves NFS on, space-separated
 *                   (what a survivor listens on when it takes over);
 *   "inst:<name>"   a random number of the process that joined last under
 *                   that name: a head that finds another number there (a
 *                   second process under its name) or no entry (it was
 *                   taken over or removed) knows it must stop;
 *   "fence:<name>"  the addresses of a member's RADOS and CephFS client
 *                   instances, space-separated: what a head taking it over
 *                   blocklists, so that it changes nothing more;
 *   "taken:<name>"  the head that took member <name> over (its other keys
 *                   are gone): a take-over repeated, or run by a second
 *                   survivor, finds it done.  A join under that name
 *                   removes it.
 * Beside it, object "beat" holds one key per head, "<instance>.<count>",
 * rewritten every look (state_cluster_grace_beat): other heads see a head
 * alive while the value changes.
 * A head that restarts with records joins needing grace: if the cluster
 * is not in grace a new grace epoch starts (recovery = current, current
 * + 1).  Every member that learns the cluster is in grace enforces it.
 * A head whose clients have all reclaimed (RECLAIM_COMPLETE) or whose
 * grace time is over says so (done): it no longer needs grace, and when
 * no member does the grace period is lifted (recovery = 0) for the whole
 * cluster; members then stop enforcing.  A member that dies needing grace
 * would hold it for ever: so any member lifts a grace older than the
 * limit it was given (state_cluster_grace_set_limit), and a member can be
 * removed (taken over, or by hand).
 *
 * Every change reads the object and writes it back only if its version
 * is still the one read (rados_write_op_assert_version), retrying
 * otherwise, so that heads changing it at once do not lose each other's
 * changes.  A handle is used by one thread at a time (the version read
 * is the ioctx's last). */
#ifndef FERRY_STATE_CLUSTER_GRACE_H
#define FERRY_STATE_CLUSTER_GRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

struct state_cluster_grace;

enum { STATE_CLUSTER_MEMBERS_MAX = 256 };

/* What the object said after an operation. */
struct state_cluster_grace_view {
	uint64_t current, recovery; /* recovery 0: not in grace */
	uint64_t since_ms;	    /* when the grace under way began */
	unsigned members, need, enforcing;
	bool me_member, me_need, me_enforcing;
	uint64_t me_instance; /* the process that joined last under this node's name */
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

/* This handle's instance number, written by its joins. */
uint64_t state_cluster_grace_instance(const struct state_cluster_grace *g);

/* A grace older than ms (0: no limit, the default) is lifted by the next
 * change or poll of this handle, whoever still needs it. */
void state_cluster_grace_set_limit(struct state_cluster_grace *g, uint64_t ms);

/* This node becomes a member.  need: it has clients that may reclaim; a
 * grace epoch starts unless one is under way, and the node enforces it.
 * Without need it enforces a grace under way, if any.  addrs (NULL:
 * leave as is) the addresses it serves.  0 or a negative errno; *v what
 * the object says now. */
int state_cluster_grace_join(struct state_cluster_grace *g, bool need, const char *addrs,
			     struct state_cluster_grace_view *v);

/* The addresses this node serves and, when fence is not NULL, those of
 * its storage clients (what a take-over blocklists).  0, -ESTALE when
 * this node is no longer a member, or a negative errno. */
int state_cluster_grace_publish(struct state_cluster_grace *g, const char *addrs,
				const char *fence, struct state_cluster_grace_view *v);

/* This node needs grace no longer; the last to say so lifts it for the
 * cluster.  0 or a negative errno. */
int state_cluster_grace_done(struct state_cluster_grace *g, struct state_cluster_grace_view *v);

/* Reads the object and brings this node's enforcing flag in line with it
 * (on while the cluster is in grace, off after), for a periodic check.
 * 0 or a negative errno. */
int state_cluster_grace_poll(struct state_cluster_grace *g, struct state_cluster_grace_view *v);

/* This node takes over member node (not itself): node's entry becomes a
 * marker naming this node, this node needs grace (for node's clients,
 * whose records it now holds), and *was gets what node published (its
 * addresses, its storage clients).  -EALREADY when node was taken over
 * already (taken_by, CONFIG_NAME_MAX, names by whom: perhaps this node),
 * -ENOENT when node is neither a member nor taken over, -EINVAL when it
 * is this node, -ESTALE when this node is no longer a member. */
int state_cluster_grace_takeover(struct state_cluster_grace *g, const char *node,
				 struct state_cluster_member *was, char *taken_by,
				 struct state_cluster_grace_view *v);

/* Removes member node (a head that will not come back); when it was the
 * last to need grace, grace is lifted.  -ENOENT when not a member. */
int state_cluster_grace_remove(struct state_cluster_grace *g, const char *node,
			       struct state_cluster_grace_view *v);

/* A boot epoch no head of the cluster has had: want, or one past the
 * last one taken when that is not below it.  0 or a negative errno. */
int state_cluster_grace_boot(struct state_cluster_grace *g, uint32_t want, uint32_t *out);

/* The members, at most max of them, into list; *n how many.  0 or a
 * negative errno; *v the epochs. */
int state_cluster_grace_list(struct state_cluster_grace *g, struct state_cluster_member *list,
			     size_t max, size_t *n, struct state_cluster_grace_view *v);

/* This handle's RADOS client instance, as blocklisting names it, into
 * out.  0 or a negative errno. */
int state_cluster_grace_addrs(struct state_cluster_grace *g, char *out, size_t cap);

/* Blocklists one RADOS client instance (ADDR:PORT/NONCE) for seconds:
 * the OSDs refuse its operations from then on (-EBLOCKLISTED).  Needs the
 * monitor capability `allow command "osd blocklist"`.  0 or a negative
 * errno. */
int state_cluster_grace_blocklist(struct state_cluster_grace *g, const char *addr,
				  uint32_t seconds);

/* This head's heartbeat number count, written to object "beat".  Safe
 * beside a change on another thread.  0 or a negative errno
 * (-EBLOCKLISTED: this head was fenced). */
int state_cluster_grace_beat(struct state_cluster_grace *g, uint64_t count);

/* Calls each with every head's last heartbeat ("<instance>.<count>").
 * 0 or a negative errno.  Safe beside a change on another thread, not
 * beside another beats call. */
int state_cluster_grace_beats(struct state_cluster_grace *g,
			      void (*each)(void *arg, const char *node, const char *beat),
			      void *arg);

/* This head's client connections ("LOCAL>PEER" words), written to
 * object "conns" under its name, for the head that takes it over
 * (rpc_tickle).  Safe beside a change on another thread.  0 or a negative
 * errno. */
int state_cluster_grace_put_conns(struct state_cluster_grace *g, const char *conns);

/* Head node's connections as it last wrote them, malloc'd into *out
 * (NULL: none written).  0 or a negative errno. */
int state_cluster_grace_get_conns(struct state_cluster_grace *g, const char *node, char **out);

#endif
