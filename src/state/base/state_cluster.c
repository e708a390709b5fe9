/* Clustered heads ([cluster] of ferryd.conf): this head's part in the
 * cluster-wide grace period (the grace object, state_cluster_grace.h),
 * and taking over a failed head.
 *
 * Grace, seen from one head.  At start-up a head joins the grace object,
 * needing grace when it has client records (it restarted); a grace epoch
 * then starts for the whole cluster.  A thread looks at the object every
 * CLUSTER_LOOK_MS: while the cluster is in grace this head refuses new
 * state (NFS4ERR_GRACE, as in its own grace period) and says it enforces;
 * once its own clients have reclaimed (or its grace time is over) it says
 * it is done, and the last head done lifts grace for all.  A head that
 * cannot read the object for CLUSTER_STALE_MS cannot know whether another
 * head restarted: it refuses new state until it can read it again.
 *
 * Reclaims wait (NFS4ERR_DELAY) until every member says it enforces, or
 * at most CLUSTER_READY_MS after the grace began here: by then every head
 * that can reach RADOS has looked at the object at least twice and
 * enforces (a member that has not said so is dead or cut off), so no
 * head grants new state that a reclaim could meet.  (A head that cannot
 * reach RADOS refuses new state by itself after CLUSTER_STALE_MS, which
 * is shorter.)
 *
 * Taking over.  When a head fails, another takes its address and its
 * clients: it copies the failed head's records into its own (so that it
 * can be restarted itself during the grace that follows), gives those
 * clients a grace period here, removes the failed head from the cluster
 * and its records object from RADOS.  The caller ends the failed head's
 * sessions with the storage (its CephFS locks and capabilities) and
 * listens on its addresses.  The clients see a server that restarted:
 * their session and clientid are stale (each head's boot epoch is unique
 * in the cluster), they make new ones and reclaim with the file handles
 * they had (the heads share the handle key and export ids). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "state/base/state_cluster_grace.h"
#include "state/base/state_internal.h"
#include "state/base/state_record_store.h"

enum {
	CLUSTER_LOOK_MS = 500,
	CLUSTER_STALE_MS = 2000,
	CLUSTER_READY_MS = 2500,
	/* How much longer than a head's grace time another head waits for
	 * it before lifting a grace it still claims (it died needing it). */
	CLUSTER_LIMIT_SLACK_MS = 10000,
};

struct state_cluster {
	struct state_server *st;
	/* The grace object's handle: one thread at a time. */
	pthread_mutex_t io_lock;
	struct state_cluster_grace *grace;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, kick;
	pthread_t thread;
	bool thread_started;

	_Atomic bool in_grace;
	_Atomic uint64_t known_until_ms;   /* state_now_ms() clock */
	_Atomic uint64_t reclaims_from_ms; /* 0: no wait */
	_Atomic uint64_t looks, look_errors;
	bool failing, stale_said; /* the cluster thread's: the last look failed */
	bool fenced;		  /* the cluster thread's: told to stop */
};

static bool node_name_ok(const char *node)
{
	size_t n = strlen(node);
	return n > 0 && n <= 64 &&
	       strspn(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		       n;
}

/* What a look or change told: the cluster's grace as this head acts on it. */
static void cluster_learn(struct state_cluster *c, const struct state_cluster_grace_view *v)
{
	uint64_t now = state_now_ms();
	atomic_store(&c->in_grace, state_cluster_grace_in_grace(v));
	atomic_store(&c->known_until_ms, now + CLUSTER_STALE_MS);
}

/* This head came to need grace now: reclaims wait for the others (none
 * when v says every member enforces already: this head alone). */
static void cluster_needs_grace(struct state_cluster *c, const struct state_cluster_grace_view *v)
{
	atomic_store(&c->reclaims_from_ms, state_cluster_grace_all_enforcing(v)
						   ? 0
						   : state_now_ms() + CLUSTER_READY_MS);
}

static bool local_grace(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	bool g = state_grace_own(st, state_now_ms());
	pthread_mutex_unlock(&st->lock);
	return g;
}

/* This head is no longer the member its node name names: taken over or
 * removed (no entry), or another process joined under the same name.
 * Serving on would give the same clients two servers: it refuses new
 * state from now on and asks its process to stop (a clustered head is
 * always ferryd, which stops on SIGTERM). */
static void cluster_fenced(struct state_cluster *c, const struct state_cluster_grace_view *v)
{
	atomic_store(&c->in_grace, true);
	if (c->fenced)
		return;
	c->fenced = true;
	log_error("state: node %s %s; stopping", c->st->opts.cluster.node,
		  !v->me_member ? "was taken over or removed from the cluster"
				: "was joined by another process under the same name");
	kill(getpid(), SIGTERM);
}

static void cluster_look(struct state_cluster *c)
{
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	/* Read under io_lock: a take-over adopts records (local grace) before
	 * it says, under io_lock, that this head needs grace. */
	bool local = local_grace(c->st);
	int rc = state_cluster_grace_poll(c->grace, &v);
	if (rc == 0 && v.me_need && !local)
		rc = state_cluster_grace_done(c->grace, &v);
	pthread_mutex_unlock(&c->io_lock);
	if (rc == 0 && (!v.me_member || v.me_instance != state_cluster_grace_instance(c->grace))) {
		cluster_fenced(c, &v);
		return;
	}
	if (rc == 0) {
		bool was = atomic_load(&c->in_grace);
		cluster_learn(c, &v);
		/* Every member says it enforces: reclaims need not wait for
		 * the time a member that never looks (a dead one, not yet
		 * removed) would otherwise be given. */
		if (state_cluster_grace_all_enforcing(&v))
			atomic_store(&c->reclaims_from_ms, 0);
		if (was != state_cluster_grace_in_grace(&v))
			log_info("state: cluster grace %s (epoch %llu)",
				 state_cluster_grace_in_grace(&v) ? "in force" : "over",
				 (unsigned long long)v.current);
		atomic_fetch_add(&c->looks, 1);
		if (c->failing)
			log_info("state: the cluster's grace object is readable again");
		c->failing = c->stale_said = false;
		return;
	}
	atomic_fetch_add(&c->look_errors, 1);
	bool stale = state_now_ms() > atomic_load(&c->known_until_ms);
	if (!c->failing || (stale && !c->stale_said)) {
		log_warn("state: cannot read the cluster's grace object: %s%s", strerror(-rc),
			 stale ? "; refusing new state until it can be read" : "");
		c->stale_said = stale;
	}
	c->failing = true;
}

static void *cluster_main(void *arg)
{
	struct state_cluster *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		if (!c->kick) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += CLUSTER_LOOK_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		}
		if (c->stop)
			break;
		c->kick = false;
		pthread_mutex_unlock(&c->lock);
		cluster_look(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int state_cluster_open(struct state_server *st, uint32_t *boot)
{
	struct state_cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->st = st;
	pthread_mutex_init(&c->io_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	st->cluster = c;
	int rc = state_cluster_grace_open(&st->opts.cluster, &c->grace);
	if (rc)
		return rc;
	state_cluster_grace_set_limit(c->grace, (uint64_t)st->opts.grace_ms +
							CLUSTER_LIMIT_SLACK_MS);
	uint32_t want = *boot;
	rc = state_cluster_grace_boot(c->grace, want, boot);
	if (rc)
		log_error("state: cannot take a boot epoch from the cluster's grace object: %s",
			  strerror(-rc));
	return rc;
}

int state_cluster_start(struct state_server *st, bool need)
{
	struct state_cluster *c = st->cluster;
	struct state_cluster_grace_view v;
	int rc = state_cluster_grace_join(c->grace, need, NULL, &v);
	if (rc) {
		log_error("state: cannot join the cluster's grace object: %s", strerror(-rc));
		return rc;
	}
	cluster_learn(c, &v);
	if (need)
		cluster_needs_grace(c, &v);
	log_info("state: node %s joined the cluster (%u member(s), epoch %llu%s%s)",
		 st->opts.cluster.node, v.members, (unsigned long long)v.current,
		 state_cluster_grace_in_grace(&v) ? ", in grace" : "",
		 need ? ", its clients may reclaim" : "");
	rc = pthread_create(&c->thread, NULL, cluster_main, c);
	if (rc) {
		log_error("state: cannot start the cluster thread: %s", strerror(rc));
		return -rc;
	}
	c->thread_started = true;
	return 0;
}

void state_cluster_close(struct state_server *st)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return;
	if (c->thread_started) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	state_cluster_grace_close(c->grace);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->io_lock);
	free(c);
	st->cluster = NULL;
}

bool state_cluster_enforcing(const struct state_server *st, uint64_t now)
{
	const struct state_cluster *c = st->cluster;
	return c && (atomic_load(&c->in_grace) || now > atomic_load(&c->known_until_ms));
}

bool state_cluster_reclaims_wait(const struct state_server *st, uint64_t now)
{
	const struct state_cluster *c = st->cluster;
	return c && now < atomic_load(&c->reclaims_from_ms);
}

void state_cluster_kick(struct state_server *st)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->kick = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* The record store of node (another head) and what it holds. */
static int peer_records(struct state_server *st, const char *node,
			struct state_record_store **rs, struct state_prev **names, size_t *n)
{
	struct state_cluster_options o = st->opts.cluster;
	snprintf(o.node, sizeof(o.node), "%s", node);
	int rc = state_record_store_rados_open(&o, rs);
	if (rc)
		return rc;
	rc = (*rs)->ops->load(*rs, names, n);
	if (rc) {
		log_error("state: cannot read the client records of node %s: %s", node,
			  strerror(-rc));
		(*rs)->ops->close(*rs);
		*rs = NULL;
	}
	return rc;
}

/* node is a member other than this head: 0, -ENOENT, -EINVAL or an
 * error reading the object. */
static int check_peer(struct state_cluster *c, const char *node)
{
	if (!node_name_ok(node) || strcmp(node, c->st->opts.cluster.node) == 0)
		return -EINVAL;
	struct state_cluster_member *list = calloc(STATE_CLUSTER_MEMBERS_MAX, sizeof(*list));
	if (!list)
		return -ENOMEM;
	size_t n = 0;
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	int rc = state_cluster_grace_list(c->grace, list, STATE_CLUSTER_MEMBERS_MAX, &n, &v);
	pthread_mutex_unlock(&c->io_lock);
	if (rc == 0) {
		rc = -ENOENT;
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i].name, node) == 0)
				rc = 0;
	}
	free(list);
	return rc;
}

int state_cluster_takeover(struct state_server *st, const char *node, char *addrs,
			   unsigned *records)
{
	struct state_cluster *c = st->cluster;
	addrs[0] = '\0';
	*records = 0;
	if (!c)
		return -ENOTSUP;
	int rc = check_peer(c, node);
	if (rc)
		return rc;
	struct state_record_store *rs;
	struct state_prev *names = NULL;
	size_t n = 0;
	rc = peer_records(st, node, &rs, &names, &n);
	if (rc)
		return rc;
	/* Copied before anything else: if this head fails now, its own
	 * restart lets those clients reclaim. */
	rc = state_records_adopt(st, names, n);
	state_prev_free(names, n);
	if (rc == 0) {
		struct state_cluster_grace_view v;
		pthread_mutex_lock(&c->io_lock);
		rc = state_cluster_grace_takeover(c->grace, node, addrs, &v);
		pthread_mutex_unlock(&c->io_lock);
		if (rc == 0) {
			cluster_learn(c, &v);
			cluster_needs_grace(c, &v);
		}
	}
	if (rc == 0) {
		int drc = state_record_store_rados_drop(rs);
		if (drc)
			log_warn("state: records of node %s (%s) not removed: %s", node,
				 rs->ops->describe(rs), strerror(-drc));
		*records = (unsigned)n;
		log_info("state: took over node %s: %zu client record(s), addresses %s", node, n,
			 addrs[0] ? addrs : "(none published)");
	} else {
		log_error("state: taking over node %s failed: %s", node, strerror(-rc));
	}
	rs->ops->close(rs);
	return rc;
}

int state_cluster_publish(struct state_server *st, const char *addrs)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return -ENOTSUP;
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	int rc = state_cluster_grace_publish(c->grace, addrs, &v);
	pthread_mutex_unlock(&c->io_lock);
	if (rc)
		log_error("state: cannot publish this head's addresses (%s): %s", addrs,
			  strerror(-rc));
	return rc;
}

int state_cluster_remove(struct state_server *st, const char *node)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return -ENOTSUP;
	int rc = check_peer(c, node);
	if (rc)
		return rc;
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	rc = state_cluster_grace_remove(c->grace, node, &v);
	pthread_mutex_unlock(&c->io_lock);
	if (rc)
		return rc;
	cluster_learn(c, &v);
	struct state_cluster_options o = st->opts.cluster;
	snprintf(o.node, sizeof(o.node), "%s", node);
	struct state_record_store *rs;
	if (state_record_store_rados_open(&o, &rs) == 0) {
		int drc = state_record_store_rados_drop(rs);
		if (drc)
			log_warn("state: records of node %s (%s) not removed: %s", node,
				 rs->ops->describe(rs), strerror(-drc));
		rs->ops->close(rs);
	}
	log_info("state: removed node %s from the cluster", node);
	return 0;
}

void state_cluster_status(struct state_server *st, struct state_cluster_status *out)
{
	memset(out, 0, sizeof(*out));
	struct state_cluster *c = st->cluster;
	if (!c)
		return;
	out->enabled = true;
	snprintf(out->node, sizeof(out->node), "%s", st->opts.cluster.node);
	uint64_t now = state_now_ms();
	out->in_grace = state_cluster_enforcing(st, now);
	out->reachable = now <= atomic_load(&c->known_until_ms);
	out->reclaims_open = !state_cluster_reclaims_wait(st, now);
	out->looks = atomic_load(&c->looks);
	out->look_errors = atomic_load(&c->look_errors);
	pthread_mutex_lock(&st->lock);
	if (state_grace_own(st, now))
		for (size_t i = 0; i < st->nprev; i++)
			out->reclaims_outstanding += !st->prev[i].reclaimed;
	pthread_mutex_unlock(&st->lock);
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	out->read_error = state_cluster_grace_list(c->grace, out->members, STATE_CLUSTER_LIST_MAX,
						   &out->nmembers, &v);
	pthread_mutex_unlock(&c->io_lock);
	if (out->read_error == 0) {
		out->current = v.current;
		out->recovery = v.recovery;
		out->since_ms = v.since_ms;
	}
}
