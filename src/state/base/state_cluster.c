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
 * they had (the heads share the handle key and export ids).
 *
 * Fencing.  Two heads must never serve one client's state.  Every look
 * also writes this head's heartbeat (object "beat"), and reads every
 * head's: a head whose heartbeat has not changed for fence_after, as this
 * head saw it, may be taken over; one that changed more recently may not
 * (-EAGAIN: try again later).  The head on the other side keeps the time
 * it sent its last heartbeat that arrived; from fence_after less
 * CLUSTER_FENCE_MARGIN_MS after it, it acknowledges nothing
 * (state_cluster_acknowledges, the RPC layer's gate) until another one
 * arrives: by the time a survivor may take it over, it has stopped.  The
 * survivor also blocklists the RADOS and CephFS client instances the
 * failed head published ("fence:" in the grace object) before it takes
 * anything over, so a head that was only paused or cut off finds every
 * later RADOS operation refused (-EBLOCKLISTED), and its CephFS client
 * too.  A head that learns it was blocklisted, taken over or replaced
 * stops acknowledging for good and stops its process.
 *
 * A take-over is a claim in the grace object first (one version wins:
 * of two survivors at once exactly one takes the head over, and the
 * other, or a repeat, finds the marker "taken:" naming who did), then
 * the records, under io_lock so that this head's own look does not lift
 * the grace the claim started before the records are here. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	/* A head stops acknowledging this long before fence_after has
	 * passed since its last heartbeat: room for clocks that run apart
	 * and for the survivor's read of the beat. */
	CLUSTER_FENCE_MARGIN_MS = 1000,
	/* How often the other heads' published addresses are read for the
	 * peers sink (2 s): they change when a head starts or takes one
	 * over, and what the sink did may have been undone meanwhile. */
	CLUSTER_PEERS_EVERY_LOOKS = 4,
	/* How long a fenced head's client instances stay blocklisted: far
	 * longer than it takes a fenced process to notice and stop. */
	CLUSTER_BLOCKLIST_S = 3600,
};

/* Why a head acknowledges nothing more, for good. */
enum cluster_fence_why {
	FENCE_NONE = 0,
	FENCE_TAKEN_OVER, /* not a member any more: taken over or removed */
	FENCE_REPLACED,	  /* another process joined under its name */
	FENCE_BLOCKLISTED /* RADOS refuses it: another head fenced it */
};

/* Another head's heartbeat as this head last saw it. */
struct beat_seen {
	char node[CONFIG_NAME_MAX];
	char beat[48];
	uint64_t changed_ms; /* cluster_clock_ms() when it was seen to change */
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

	uint64_t fence_after_ms;
	_Atomic uint64_t beat_ok_ms; /* when the last heartbeat that arrived was sent */
	_Atomic uint64_t beats_read_ms; /* when the others' heartbeats were last read */
	_Atomic int fenced;	     /* enum cluster_fence_why */
	uint64_t beats;		     /* the cluster thread's: heartbeats sent */
	bool pause_said;	     /* the cluster thread's: said it stopped acknowledging */

	/* Where this head's connections come from (ferryd's RPC server),
	 * and the count they had when the heartbeat last wrote them. */
	_Atomic(const struct state_cluster_conns_source *) conns_src;
	uint64_t conns_written;	 /* the cluster thread's */
	bool conns_published;	 /* the cluster thread's: a list was written */

	/* Where the other heads' addresses go (every few looks, the first
	 * at once). */
	_Atomic(const struct state_cluster_peers_sink *) peers_sink;
	unsigned looks_since_peers; /* the cluster thread's */

	pthread_mutex_t seen_lock; /* the other heads' heartbeats */
	struct beat_seen seen[STATE_CLUSTER_MEMBERS_MAX];
	size_t nseen;
};

/* The clock of fencing: it runs on while the machine is suspended, as
 * the other heads' time does. */
static uint64_t cluster_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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

/* This head must acknowledge nothing more: it was taken over or removed
 * (no entry), another process joined under its name, or another head
 * blocklisted it.  Serving on would give the same clients two servers:
 * the RPC gate closes for good (state_cluster_acknowledges), it refuses
 * new state, and asks its process to stop (a clustered head is always
 * ferryd, which stops on SIGTERM; the replies of requests in flight are
 * dropped at the closed gate). */
static void cluster_fenced(struct state_cluster *c, enum cluster_fence_why why)
{
	atomic_store(&c->in_grace, true);
	int none = FENCE_NONE;
	if (!atomic_compare_exchange_strong(&c->fenced, &none, (int)why))
		return;
	static const char *const said[] = {
		[FENCE_TAKEN_OVER] = "was taken over or removed from the cluster",
		[FENCE_REPLACED] = "was joined by another process under the same name",
		[FENCE_BLOCKLISTED] = "was fenced: the cluster blocklisted its RADOS client",
	};
	log_error("state: node %s %s; acknowledging nothing more and stopping",
		  c->st->opts.cluster.node, said[why]);
	kill(getpid(), SIGTERM);
}

/* RADOS refuses a blocklisted client's operations with EBLOCKLISTED,
 * which Ceph spells ESHUTDOWN. */
static bool blocklisted(int rc)
{
	return rc == -ESHUTDOWN;
}

static struct beat_seen *beat_find(struct state_cluster *c, const char *node)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].node, node) == 0)
			return &c->seen[i];
	return NULL;
}

static void beat_note(void *arg, const char *node, const char *beat)
{
	struct state_cluster *c = arg;
	uint64_t now = cluster_clock_ms();
	pthread_mutex_lock(&c->seen_lock);
	struct beat_seen *b = beat_find(c, node);
	if (!b && c->nseen < STATE_CLUSTER_MEMBERS_MAX) {
		/* First seen now: as if it had just beaten, whatever its age. */
		b = &c->seen[c->nseen++];
		snprintf(b->node, sizeof(b->node), "%s", node);
		b->beat[0] = '\0';
	}
	if (b && strcmp(b->beat, beat) != 0) {
		snprintf(b->beat, sizeof(b->beat), "%s", beat);
		b->changed_ms = now;
	}
	pthread_mutex_unlock(&c->seen_lock);
}

/* How long node's heartbeat has not changed as this head saw it;
 * UINT64_MAX when this head never saw one. */
static uint64_t beat_silent_ms(struct state_cluster *c, const char *node)
{
	uint64_t now = cluster_clock_ms(), silent = UINT64_MAX;
	pthread_mutex_lock(&c->seen_lock);
	const struct beat_seen *b = beat_find(c, node);
	if (b)
		silent = now - b->changed_ms;
	pthread_mutex_unlock(&c->seen_lock);
	return silent;
}

/* Writes this head's connections beside its heartbeat when they changed
 * since the last write: the head that takes this one over resets its
 * clients' connections from that list.  0 or a negative errno. */
static int cluster_put_conns(struct state_cluster *c)
{
	const struct state_cluster_conns_source *src = atomic_load(&c->conns_src);
	if (!src)
		return 0;
	uint64_t now = src->changed(src->arg);
	if (c->conns_published && now == c->conns_written)
		return 0;
	char *list = src->list(src->arg);
	if (!list)
		return -ENOMEM;
	int rc = state_cluster_grace_put_conns(c->grace, list);
	free(list);
	if (rc == 0) {
		c->conns_written = now;
		c->conns_published = true;
	} else if (!blocklisted(rc)) {
		log_warn("state: cannot publish node %s's connections: %s", c->st->opts.cluster.node,
			 strerror(-rc));
	}
	return rc;
}

/* Sends this head's heartbeat and reads the others'.  The gate stays
 * open while heartbeats arrive; the first that is refused as blocklisted
 * fences this head. */
static void cluster_beat(struct state_cluster *c)
{
	uint64_t sent = cluster_clock_ms();
	int rc = state_cluster_grace_beat(c->grace, ++c->beats);
	if (rc == 0) {
		atomic_store(&c->beat_ok_ms, sent);
		rc = state_cluster_grace_beats(c->grace, beat_note, c);
		if (rc == 0)
			atomic_store(&c->beats_read_ms, cluster_clock_ms());
	}
	if (rc == 0)
		rc = cluster_put_conns(c);
	if (blocklisted(rc))
		cluster_fenced(c, FENCE_BLOCKLISTED);
	bool acks = state_cluster_acknowledges(c->st);
	if (!acks && !c->pause_said && !atomic_load(&c->fenced))
		log_error("state: no heartbeat of node %s reached RADOS for %" PRIu64
			  " ms; acknowledging nothing until one does (fence_after %" PRIu64 " ms)",
			  c->st->opts.cluster.node, cluster_clock_ms() - atomic_load(&c->beat_ok_ms),
			  c->fence_after_ms);
	else if (acks && c->pause_said)
		log_info("state: node %s's heartbeat reaches RADOS again; acknowledging",
			 c->st->opts.cluster.node);
	c->pause_said = !acks;
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
		cluster_fenced(c, v.me_member ? FENCE_REPLACED : FENCE_TAKEN_OVER);
		return;
	}
	if (blocklisted(rc) || rc == -ESTALE) {
		cluster_fenced(c, blocklisted(rc) ? FENCE_BLOCKLISTED : FENCE_TAKEN_OVER);
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

/* Every member of the grace object, into a list malloc'd into *out (free
 * it), *n of them.  0 or a negative errno. */
static int members_read(struct state_cluster *c, struct state_cluster_member **out, size_t *n)
{
	*n = 0;
	*out = calloc(STATE_CLUSTER_MEMBERS_MAX, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	int rc = state_cluster_grace_list(c->grace, *out, STATE_CLUSTER_MEMBERS_MAX, n, &v);
	pthread_mutex_unlock(&c->io_lock);
	return rc;
}

/* Tells the peers sink the other heads' addresses, every few looks. */
static void cluster_tell_peers(struct state_cluster *c)
{
	const struct state_cluster_peers_sink *sink = atomic_load(&c->peers_sink);
	if (!sink || c->looks_since_peers++ % CLUSTER_PEERS_EVERY_LOOKS != 0)
		return;
	struct state_cluster_member *m;
	size_t n;
	if (members_read(c, &m, &n) == 0) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(m[i].name, c->st->opts.cluster.node) != 0)
				m[k++] = m[i];
		sink->told(sink->arg, m, k);
	}
	free(m);
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
		/* Its own I/O context: a take-over holding io_lock for long
		 * does not hold this head's heartbeat back. */
		cluster_beat(c);
		cluster_look(c);
		cluster_tell_peers(c);
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
	pthread_mutex_init(&c->seen_lock, NULL);
	c->fence_after_ms = st->opts.cluster.fence_after_ms ? st->opts.cluster.fence_after_ms
							    : 5000;
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
	/* Heartbeats "<instance>.<count>": a process that joins under the
	 * instance of the one before it (an upgrade) counts from its own boot
	 * epoch, unique in the cluster, so that the two never write the same
	 * value and another head always sees the heartbeat change. */
	c->beats = (uint64_t)*boot << 32;
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
	/* The gate opens with the first heartbeat that arrives. */
	cluster_beat(c);
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

void state_cluster_stop(struct state_server *st)
{
	struct state_cluster *c = st->cluster;
	if (!c || !c->thread_started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->thread_started = false;
}

void state_cluster_close(struct state_server *st)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return;
	state_cluster_stop(st);
	state_cluster_grace_close(c->grace);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->io_lock);
	pthread_mutex_destroy(&c->seen_lock);
	free(c);
	st->cluster = NULL;
}

bool state_cluster_enforcing(const struct state_server *st, uint64_t now)
{
	const struct state_cluster *c = st->cluster;
	return c && (atomic_load(&c->in_grace) || now > atomic_load(&c->known_until_ms));
}

bool state_cluster_acknowledges(const struct state_server *st)
{
	const struct state_cluster *c = st->cluster;
	if (!c)
		return true;
	if (atomic_load_explicit(&c->fenced, memory_order_relaxed))
		return false;
	return cluster_clock_ms() + CLUSTER_FENCE_MARGIN_MS <
	       atomic_load_explicit(&c->beat_ok_ms, memory_order_relaxed) + c->fence_after_ms;
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

/* node, a member other than this head, as the grace object lists it:
 * 0, -ENOENT, -EINVAL or an error reading the object. */
static int find_peer(struct state_cluster *c, const char *node, struct state_cluster_member *out)
{
	if (!node_name_ok(node) || strcmp(node, c->st->opts.cluster.node) == 0)
		return -EINVAL;
	struct state_cluster_member *list;
	size_t n;
	int rc = members_read(c, &list, &n);
	if (rc == 0) {
		rc = -ENOENT;
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i].name, node) == 0) {
				if (out)
					*out = list[i];
				rc = 0;
			}
	}
	free(list);
	return rc;
}

/* Blocklists every client instance node published: from then on RADOS
 * refuses what it sends, and its CephFS clients with it.  0, or the
 * first error (nothing is taken over then). */
static int fence_peer(struct state_cluster *c, const struct state_cluster_member *m)
{
	if (!m->fence[0]) {
		log_warn("state: node %s published no client instances to blocklist (it stopped "
			 "before it served); taking it over unfenced",
			 m->name);
		return 0;
	}
	char buf[STATE_CLUSTER_ADDRS_MAX];
	snprintf(buf, sizeof(buf), "%s", m->fence);
	for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
		int rc = state_cluster_grace_blocklist(c->grace, a, CLUSTER_BLOCKLIST_S);
		if (rc) {
			log_error("state: cannot fence node %s: blocklisting %s: %s%s", m->name, a,
				  strerror(-rc),
				  rc == -EACCES ? " (the RADOS user needs mon 'allow command \"osd "
						  "blocklist\"')"
						: "");
			return rc;
		}
	}
	log_info("state: fenced node %s: blocklisted %s", m->name, m->fence);
	return 0;
}

/* The owners of node's own clients become keys of origin node here
 * (state_owner_key): a client that also has state on this head keeps
 * both apart.  Owners node had itself adopted keep their origin, the
 * head whose addresses they come in through.  0 or -ENOMEM. */
static int owners_from(struct state_prev *names, size_t n, const char *node)
{
	for (size_t i = 0; i < n; i++) {
		char origin[CONFIG_NAME_MAX];
		uint32_t off = state_owner_key_split(names[i].name, names[i].name_len, origin);
		if (origin[0])
			continue;
		uint32_t len = names[i].name_len - off;
		uint8_t *key = malloc((size_t)len + STATE_OWNER_KEY_EXTRA);
		if (!key)
			return -ENOMEM;
		names[i].name_len = state_owner_key(node, names[i].name + off, len, key);
		free(names[i].name);
		names[i].name = key;
	}
	return 0;
}

/* node's client records become this head's, and node's records object
 * goes.  Under io_lock (see the top of the file).  0 or a negative errno. */
static int adopt_records(struct state_server *st, const char *node, unsigned *records)
{
	struct state_record_store *rs;
	struct state_prev *names = NULL;
	size_t n = 0;
	int rc = peer_records(st, node, &rs, &names, &n);
	if (rc)
		return rc;
	rc = owners_from(names, n, node);
	if (rc == 0)
		rc = state_records_adopt(st, names, n);
	state_prev_free(names, n);
	if (rc == 0) {
		int drc = state_record_store_rados_drop(rs);
		if (drc)
			log_warn("state: records of node %s (%s) not removed: %s", node,
				 rs->ops->describe(rs), strerror(-drc));
		*records = (unsigned)n;
	}
	rs->ops->close(rs);
	return rc;
}

int state_cluster_takeover(struct state_server *st, const char *node,
			   struct state_cluster_takeover_result *r)
{
	struct state_cluster *c = st->cluster;
	memset(r, 0, sizeof(*r));
	if (!c)
		return -ENOTSUP;
	struct state_cluster_member peer;
	int rc = find_peer(c, node, &peer);
	if (rc && rc != -ENOENT)
		return rc;
	if (rc == 0) {
		/* Silence is only known from a recent read of the heartbeats. */
		if (cluster_clock_ms() > atomic_load(&c->beats_read_ms) + CLUSTER_STALE_MS) {
			r->retry_ms = CLUSTER_LOOK_MS;
			log_warn("state: not taking over node %s yet: this head cannot read the "
				 "heartbeats",
				 node);
			return -EAGAIN;
		}
		uint64_t silent = beat_silent_ms(c, node);
		if (silent < c->fence_after_ms) {
			r->retry_ms = c->fence_after_ms - silent;
			snprintf(r->addrs, sizeof(r->addrs), "%s", peer.addrs);
			log_info("state: not taking over node %s yet: its heartbeat changed %" PRIu64
				 " ms ago (fence_after %" PRIu64 " ms)",
				 node, silent, c->fence_after_ms);
			return -EAGAIN;
		}
		rc = fence_peer(c, &peer);
		if (rc)
			return rc;
	}
	/* Not a member (rc -ENOENT): perhaps taken over already; the claim
	 * tells. */
	struct state_cluster_grace_view v;
	struct state_cluster_member was;
	pthread_mutex_lock(&c->io_lock);
	rc = state_cluster_grace_takeover(c->grace, node, &was, r->taken_by, &v);
	if (rc == -EALREADY && strcmp(r->taken_by, st->opts.cluster.node) == 0) {
		/* A repeat: what an earlier try left undone (its records, if it
		 * stopped between the claim and them) is done now. */
		int arc = adopt_records(st, node, &r->records);
		if (arc)
			log_error("state: node %s's records, taken over by this head, are still "
				  "not adopted: %s",
				  node, strerror(-arc));
	} else if (rc == 0) {
		snprintf(r->addrs, sizeof(r->addrs), "%s", was.addrs);
		snprintf(r->taken_by, sizeof(r->taken_by), "%s", st->opts.cluster.node);
		cluster_learn(c, &v);
		cluster_needs_grace(c, &v);
		rc = adopt_records(st, node, &r->records);
		if (rc)
			log_error("state: took over node %s but cannot adopt its client records: %s; "
				  "run the take-over again",
				  node, strerror(-rc));
	}
	pthread_mutex_unlock(&c->io_lock);
	if (rc == 0)
		log_info("state: took over node %s: %u client record(s), addresses %s", node,
			 r->records, r->addrs[0] ? r->addrs : "(none published)");
	else if (rc == -EALREADY)
		log_info("state: node %s was taken over already, by %s", node, r->taken_by);
	else if (rc != -ENOENT)
		log_error("state: taking over node %s failed: %s", node, strerror(-rc));
	return rc;
}

void state_cluster_set_io(struct state_server *st, const struct state_cluster_conns_source *conns,
			  const struct state_cluster_peers_sink *peers)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return;
	atomic_store(&c->conns_src, conns);
	atomic_store(&c->peers_sink, peers);
}

int state_cluster_peer_conns(struct state_server *st, const char *node, char **out)
{
	struct state_cluster *c = st->cluster;
	*out = NULL;
	if (!c)
		return -ENOTSUP;
	pthread_mutex_lock(&c->io_lock);
	int rc = state_cluster_grace_get_conns(c->grace, node, out);
	pthread_mutex_unlock(&c->io_lock);
	return rc;
}

uint64_t state_cluster_instance(const struct state_server *st)
{
	return st->cluster && st->cluster->grace ? state_cluster_grace_instance(st->cluster->grace)
						 : 0;
}

int state_cluster_publish(struct state_server *st, const char *addrs, const char *clients)
{
	struct state_cluster *c = st->cluster;
	if (!c)
		return -ENOTSUP;
	/* What a take-over blocklists: this head's own RADOS clients (the
	 * grace object's and the records') and the storage's. */
	char fence[STATE_CLUSTER_ADDRS_MAX], own[2][256] = {"", ""};
	int rc = state_cluster_grace_addrs(c->grace, own[0], sizeof(own[0]));
	if (rc == 0 && st->rec_store)
		rc = state_record_store_rados_addrs(st->rec_store, own[1], sizeof(own[1]));
	if (rc) {
		log_error("state: cannot tell this head's RADOS client instances: %s", strerror(-rc));
		return rc;
	}
	int n = snprintf(fence, sizeof(fence), "%s%s%s%s%s", own[0], own[1][0] ? " " : "", own[1],
			 clients && clients[0] ? " " : "", clients ? clients : "");
	if (n < 0 || (size_t)n >= sizeof(fence)) {
		log_error("state: this head's client instances do not fit in %zu bytes", sizeof(fence));
		return -E2BIG;
	}
	struct state_cluster_grace_view v;
	pthread_mutex_lock(&c->io_lock);
	rc = state_cluster_grace_publish(c->grace, addrs, fence, &v);
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
	int rc = find_peer(c, node, NULL);
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

void state_cluster_health(const struct state_server *st, struct state_cluster_health *out)
{
	memset(out, 0, sizeof(*out));
	const struct state_cluster *c = st->cluster;
	if (!c)
		return;
	out->enabled = true;
	out->fenced = atomic_load(&c->fenced) != FENCE_NONE;
	out->acknowledging = state_cluster_acknowledges(st);
	out->reachable = state_now_ms() <= atomic_load(&c->known_until_ms);
	out->beat_age_ms = cluster_clock_ms() - atomic_load(&c->beat_ok_ms);
	out->fence_after_ms = c->fence_after_ms;
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
	out->fenced = atomic_load(&c->fenced) != FENCE_NONE;
	out->acknowledging = state_cluster_acknowledges(st);
	out->fence_after_ms = c->fence_after_ms;
	out->beat_age_ms = cluster_clock_ms() - atomic_load(&c->beat_ok_ms);
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
	for (size_t i = 0; i < out->nmembers; i++)
		out->members[i].silent_ms = strcmp(out->members[i].name, out->node) == 0
						    ? out->beat_age_ms
						    : beat_silent_ms(c, out->members[i].name);
}
