/* The state server: creation, the boot epoch, the state thread
 * (lease expiry, owner reaping, end of grace, callback probes). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "state/base/state_internal.h"

/* --- options and the boot epoch ---------------------------------------------- */

void state_options_from_config(struct state_options *o, const struct ferry_config *cfg)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->state_dir, sizeof(o->state_dir), "%s", cfg->state_dir);
	struct state_cluster_options *c = &o->cluster;
	snprintf(c->node, sizeof(c->node), "%s", cfg->cluster_node);
	snprintf(c->rados_conf, sizeof(c->rados_conf), "%s", cfg->cluster_rados_conf);
	snprintf(c->rados_id, sizeof(c->rados_id), "%s", cfg->cluster_rados_id);
	snprintf(c->rados_pool, sizeof(c->rados_pool), "%s", cfg->cluster_rados_pool);
	snprintf(c->rados_namespace, sizeof(c->rados_namespace), "%s",
		 cfg->cluster_rados_namespace);
	c->fence_after_ms = cfg->cluster_fence_after_s * 1000u;
	o->lease_ms = cfg->lease_time_s * 1000u;
	o->grace_ms = cfg->grace_time_s * 1000u;
	o->cb_timeout_ms = cfg->callback_timeout_ms ? cfg->callback_timeout_ms : 5000;
	/* The first probe after a failed one comes soon: the failure is most
	 * often passing (a client busy mounting) and a client's first opens
	 * are where a delegation counts. */
	o->cb_reprobe_ms = cfg->callback_retry_ms < STATE_CB_REPROBE_FIRST_MS
				   ? cfg->callback_retry_ms
				   : STATE_CB_REPROBE_FIRST_MS;
	o->deleg.mode = (enum state_deleg_mode)cfg->delegations;
	o->deleg.max_total = cfg->max_delegations;
	o->deleg.max_per_client = cfg->max_delegations_per_client;
	o->deleg.no_regrant_ms = STATE_DELEG_NO_REGRANT_MS;
	o->deleg.dir = cfg->dir_delegations;
	o->deleg.max_dir = cfg->max_dir_delegations;
	o->deleg.dir_window_ms = cfg->dir_notify_window_ms;
	o->deleg.dir_max_changes = cfg->dir_notify_max_changes;
	o->deleg.dir_slow_ms = cfg->dir_notify_slow_ms;
	o->deleg.dir_attr_delay_max_ms = cfg->dir_attr_delay_max_ms;
	o->caps = (struct state_caps){
		.clients = cfg->max_clients,
		.sessions_per_client = cfg->max_sessions_per_client,
		.open_owners_per_client = cfg->max_open_owners_per_client,
		.opens_per_client = cfg->max_opens_per_client,
		.lock_owners_per_client = cfg->max_lock_owners_per_client,
		.locks_per_client = cfg->max_locks_per_client,
		.memory = cfg->state_memory_mb ? (uint64_t)cfg->state_memory_mb << 20
					       : state_memory_default(),
		.client_share_pct = cfg->client_state_share,
	};
}

uint32_t state_lease_ms(const struct state_server *st) { return st->opts.lease_ms; }

/* Epochs must differ between any two runs, even two within one second and
 * two in one process (tests restart in place), or an old clientid would
 * look current. */
static uint32_t boot_epoch_pick(const char *state_dir)
{
	static _Atomic uint32_t last_in_process;
	uint32_t epoch = (uint32_t)time(NULL);
	uint32_t seen = atomic_load(&last_in_process);
	char path[CONFIG_PATH_MAX + 16];
	int fd = -1;
	if (state_dir[0]) {
		snprintf(path, sizeof(path), "%s/boot", state_dir);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		char buf[32] = {0};
		if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0) {
			uint32_t prev = (uint32_t)strtoul(buf, NULL, 10);
			if (prev > seen)
				seen = prev;
		}
	}
	if (epoch <= seen)
		epoch = seen + 1;
	atomic_store(&last_in_process, epoch);
	if (fd >= 0) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%u\n", epoch);
		if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n || fsync(fd) != 0)
			log_warn("state: cannot record the boot epoch in %s: %s", path,
				 strerror(errno));
		close(fd);
	}
	return epoch;
}

/* --- the state thread ---------------------------------------------------------- */

static void run_periodic(struct state_server *st)
{
	struct state_prev *names = NULL, *gnames = NULL;
	uint64_t now = state_now_ms();
	state_delegs_expire(st, now);
	size_t n = state_clients_expire(st, now, &names);
	state_owners_reap(st, now);
	state_waiters_expire(st, now);
	size_t gn = state_grace_tick(st, now, &gnames);
	pthread_mutex_unlock(&st->lock);
	/* Notices of locks freed by expiry, and any a caller left queued. */
	state_lock_notify_flush(st);
	/* Record I/O happens without the state lock (lock order). */
	for (size_t i = 0; i < n; i++)
		state_record_sync(st, names[i].name, names[i].name_len);
	for (size_t i = 0; i < gn; i++)
		state_record_sync(st, gnames[i].name, gnames[i].name_len);
	state_prev_free(names, n);
	state_prev_free(gnames, gn);
	/* What expiry queued (leases to drop, write holds to release) is
	 * acted on now, not at whichever COMPOUND comes next. */
	state_deleg_work_run(st);
	pthread_mutex_lock(&st->lock);
}

/* One slice of a gone client's states (st->lock held, dropped and taken
 * again): short enough that a request waiting for the lock waits about
 * as long as it would behind another request. */
static void free_dying_slice(struct state_server *st)
{
	enum { DYING_SLICE = 256 };
	state_owners_free_dying(st, DYING_SLICE);
	pthread_mutex_unlock(&st->lock);
	/* What the freeing queued: lock notices, leases and write holds. */
	state_lock_notify_flush(st);
	state_deleg_work_run(st);
	sched_yield();
	pthread_mutex_lock(&st->lock);
}

static void *state_thread_main(void *arg)
{
	struct state_server *st = arg;
	pthread_mutex_lock(&st->lock);
	uint64_t next = state_now_ms();
	while (!st->stop) {
		if (st->paused) {
			st->pause_held = true;
			pthread_cond_broadcast(&st->reap_cond);
			pthread_cond_wait(&st->cond, &st->lock);
			continue;
		}
		st->pause_held = false;
		uint64_t now = state_now_ms();
		uint64_t req = st->reap_requests;
		if (now >= next || req != st->reap_done) {
			run_periodic(st);
			next = state_now_ms() + st->interval_ms;
			st->reap_done = req;
			pthread_cond_broadcast(&st->reap_cond);
			continue;
		}
		if (st->outbox_kicked) {
			st->outbox_kicked = false;
			pthread_mutex_unlock(&st->lock);
			state_deleg_work_run(st);
			pthread_mutex_lock(&st->lock);
			continue;
		}
		uint64_t resend = st->deleg.resend_due_ms;
		if (resend && now >= resend) {
			state_deleg_recalls_resend(st, now);
			pthread_mutex_unlock(&st->lock);
			state_deleg_work_run(st);
			pthread_mutex_lock(&st->lock);
			continue;
		}
		if (st->probes) {
			pthread_mutex_unlock(&st->lock);
			state_cb_run_one(st);
			pthread_mutex_lock(&st->lock);
			continue;
		}
		if (!list_empty(&st->dying_owners)) {
			free_dying_slice(st);
			continue;
		}
		uint64_t until = resend && resend < next ? resend : next;
		struct timespec ts = clock_deadline_ms(until - now);
		pthread_cond_timedwait(&st->cond, &st->lock, &ts);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

void state_server_pause(struct state_server *st, bool paused)
{
	pthread_mutex_lock(&st->lock);
	st->paused = paused;
	pthread_cond_broadcast(&st->cond);
	/* The thread lets go of the lock for its records' I/O: paused once
	 * it says so, not once the lock is had. */
	while (paused && st->thread_started && !st->pause_held && !st->stop)
		pthread_cond_wait(&st->reap_cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

void state_run_reaper(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->paused) {
		pthread_mutex_unlock(&st->lock);
		return; /* nothing runs until it is resumed */
	}
	uint64_t want = ++st->reap_requests;
	pthread_cond_signal(&st->cond);
	while (st->reap_done < want && !st->stop)
		pthread_cond_wait(&st->reap_cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

/* --- create / destroy ---------------------------------------------------------- */

static int init_sync(struct state_server *st)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -ENOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&st->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -rc;
	pthread_cond_init(&st->reap_cond, NULL);
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->records_lock, NULL);
	return 0;
}

int state_server_create(const struct state_options *o, struct state_server **out)
{
	*out = NULL;
	if (o->lease_ms == 0) {
		log_error("state: the lease time must not be 0");
		return -EINVAL;
	}
	struct state_server *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->opts = *o;
	if (st->opts.cb_timeout_ms == 0)
		st->opts.cb_timeout_ms = 5000;
	st->interval_ms = o->reaper_interval_ms;
	if (st->interval_ms == 0) {
		st->interval_ms = o->lease_ms / 4;
		if (st->interval_ms < 20)
			st->interval_ms = 20;
		if (st->interval_ms > 1000)
			st->interval_ms = 1000;
	}
	state_random(&st->hkey, sizeof(st->hkey));
	state_random(&st->id_key, sizeof(st->id_key));
	state_random(&st->next_stid, sizeof(st->next_stid));
	st->next_client = 1;
	list_init(&st->clients);
	list_init(&st->dying_owners);
	st->probes_tail = &st->probes;
	state_clients_init(st);
	state_opens_init(st);
	state_locks_init(st);
	state_deleg_init(st);
	state_waiters_init(st);
	state_nlm_init(st);
	int rc = init_sync(st);
	if (rc) {
		free(st);
		return rc;
	}
	if (state_sessions_init(st) != 0 || hashtable_init(&st->clients_by_id, 64) != 0 ||
	    hashtable_init(&st->clients_by_name, 64) != 0 ||
	    hashtable_init(&st->owners, 64) != 0 || hashtable_init(&st->stids, 64) != 0 ||
	    hashtable_init(&st->files, 64) != 0) {
		state_server_destroy(st);
		return -ENOMEM;
	}
	if (o->state_dir[0] && mkdir(o->state_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		log_error("state: cannot create %s: %s", o->state_dir, strerror(errno));
		state_server_destroy(st);
		return rc;
	}
	st->boot = boot_epoch_pick(o->state_dir);
	if (o->cluster.node[0]) {
		rc = state_cluster_open(st, &st->boot);
		if (rc) {
			state_server_destroy(st);
			return rc;
		}
	}
	rc = state_records_open(st);
	if (rc) {
		state_server_destroy(st);
		return rc;
	}
	if (st->cluster) {
		/* Carried clients reclaim nothing: the cluster goes on. */
		rc = state_cluster_start(st, st->nprev > 0 && o->grace_ms > 0 && !o->carried);
		if (rc) {
			state_server_destroy(st);
			return rc;
		}
	}
	if (st->nprev > 0 && o->carried) {
		/* Their clients come with the state (state_carry_load). */
		state_prev_free(st->prev, st->nprev);
		st->prev = NULL;
		st->nprev = 0;
	} else if (st->nprev > 0 && o->grace_ms > 0) {
		st->grace = true;
		st->grace_end_ms = state_now_ms() + o->grace_ms;
		log_info("state: %zu client record(s) from before the restart; grace period of "
			 "%u ms",
			 st->nprev, o->grace_ms);
	} else if (st->nprev > 0) {
		/* No grace at all: the old records can go at once. */
		st->grace = true;
		st->grace_end_ms = 0;
	}
	rc = pthread_create(&st->thread, NULL, state_thread_main, st);
	if (rc != 0) {
		log_error("state: cannot start the state thread: %s", strerror(rc));
		state_server_destroy(st);
		return -rc;
	}
	st->thread_started = true;
	*out = st;
	return 0;
}

void state_server_destroy(struct state_server *st)
{
	if (!st)
		return;
	state_carry_adopt_done(st);
	/* First: its thread reads the state lock. */
	state_cluster_close(st);
	if (st->thread_started) {
		pthread_mutex_lock(&st->lock);
		st->stop = true;
		pthread_cond_broadcast(&st->cond);
		pthread_cond_broadcast(&st->reap_cond);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->thread, NULL);
	}
	pthread_mutex_lock(&st->lock);
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->clients)
	{
		struct state_client *cl = container_of(pos, struct state_client, link);
		state_client_destroy(st, cl, false);
	}
	state_owners_free_dying(st, UINT_MAX);
	state_cb_free_queue(st);
	state_outbox_fini(st);
	state_nlm_fini(st);
	state_waiters_fini(st);
	pthread_mutex_unlock(&st->lock);
	state_sessions_fini(st);
	state_prev_free(st->prev, st->nprev);
	state_records_close(st);
	hashtable_fini(&st->clients_by_id);
	hashtable_fini(&st->clients_by_name);
	hashtable_fini(&st->owners);
	hashtable_fini(&st->stids);
	hashtable_fini(&st->files);
	pthread_cond_destroy(&st->cond);
	pthread_cond_destroy(&st->reap_cond);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->records_lock);
	free(st);
}

void state_get_stats(struct state_server *st, struct state_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->lock);
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->clients)
	{
		struct state_client *cl = container_of(pos, struct state_client, link);
		if (cl->confirmed)
			out->clients_confirmed++;
		else
			out->clients_unconfirmed++;
	}
	out->owners = st->n_owners;
	out->opens = st->n_opens - st->n_dying_opens;
	out->lock_states = st->n_lock_states - st->n_dying_lock_states;
	out->dying_states = st->n_dying_opens + st->n_dying_lock_states;
	out->memory_bytes = state_memory_used(st);
	out->memory_budget = st->opts.caps.memory;
	out->locks = st->n_locks;
	out->files = st->n_files;
	out->lock_waiters = st->n_waiters;
	out->records_prev = (unsigned)st->nprev;
	out->delegations = st->deleg.files.active;
	out->in_grace = state_grace_active(st, state_now_ms());
	pthread_mutex_unlock(&st->lock);
	for (int k = 0; k < STATE_CAP_KINDS; k++)
		out->cap_hits[k] = atomic_load(&st->cap_hits[k]);
}
