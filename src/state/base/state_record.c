/* Stable client records and the grace period (RFC 7530 9.6.2, 9.6.3).
 *
 * Each confirmed client has one record holding its name (nfs_client_id4.id)
 * in a record store (state_record_store.h: files in <state_dir>/v4clients/,
 * or omap keys of a RADOS object with [cluster]), made durable before its
 * SETCLIENTID_CONFIRM is answered and removed when the client goes away.
 * After a restart the records say who may reclaim: during the grace period
 * a client whose name has a record may reclaim, others wait; at the end the
 * records of clients that did not come back are removed.  With no records
 * at start-up there is nothing to reclaim and no grace period.
 *
 * The grace period ends early once every client of the records has said
 * RECLAIM_COMPLETE (v4.1, RFC 8881 18.51), as knfsd and NFS-Ganesha do:
 * nobody else can reclaim, so new state cannot conflict with a reclaim.
 * A v4.0 client has no such operation (RFC 7530 9.6.2): whether it is done
 * reclaiming cannot be known, so a v4.0 client in the records keeps the
 * whole grace_time, as in knfsd and Ganesha, whose early end also counts
 * RECLAIM_COMPLETEs only.
 *
 * Writes and removals are serialised by records_lock and decided from the
 * state at the time of the I/O (state_record_sync), so racing confirmations
 * and expiries of one name always leave the record matching the state. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"
#include "state/base/state_record_store.h"

/* The record key must be the same in every run, and on every head: a
 * fixed key. */
static void record_name(const uint8_t *name, uint32_t len, char out[STATE_RECORD_KEY_LEN + 1])
{
	static const struct siphash_key k = {0x6665727279737461ull, 0x7465726563726473ull};
	snprintf(out, STATE_RECORD_KEY_LEN + 1, "%016llx",
		 (unsigned long long)siphash24(&k, name, len));
}

/* The tag of an owner key (state.h, state_owner_key): a NUL first. */
static const char owner_key_tag[] = "\0ferry-origin:";
#define OWNER_KEY_TAG_LEN (sizeof(owner_key_tag) - 1)
_Static_assert(OWNER_KEY_TAG_LEN + CONFIG_NAME_MAX + 1 <= STATE_OWNER_KEY_EXTRA,
	       "an owner key's tag and origin fit its extra room");

uint32_t state_owner_key(const char *origin, const uint8_t *owner, uint32_t len, uint8_t *key)
{
	size_t olen = origin ? strnlen(origin, CONFIG_NAME_MAX - 1) : 0;
	bool tagged = olen || (len >= OWNER_KEY_TAG_LEN &&
			       memcmp(owner, owner_key_tag, OWNER_KEY_TAG_LEN) == 0);
	if (!tagged) {
		memcpy(key, owner, len);
		return len;
	}
	memcpy(key, owner_key_tag, OWNER_KEY_TAG_LEN);
	memcpy(key + OWNER_KEY_TAG_LEN, origin, olen);
	key[OWNER_KEY_TAG_LEN + olen] = '\0';
	memcpy(key + OWNER_KEY_TAG_LEN + olen + 1, owner, len);
	return (uint32_t)(OWNER_KEY_TAG_LEN + olen + 1 + len);
}

uint32_t state_owner_key_split(const uint8_t *key, uint32_t len, char origin[CONFIG_NAME_MAX])
{
	origin[0] = '\0';
	if (len < OWNER_KEY_TAG_LEN || memcmp(key, owner_key_tag, OWNER_KEY_TAG_LEN) != 0)
		return 0;
	const uint8_t *o = key + OWNER_KEY_TAG_LEN;
	const uint8_t *end = memchr(o, '\0', len - OWNER_KEY_TAG_LEN);
	size_t olen = end ? (size_t)(end - o) : 0;
	/* Not a key this server made (a record written by hand): the
	 * whole as the owner. */
	if (!end || olen >= CONFIG_NAME_MAX)
		return 0;
	memcpy(origin, o, olen);
	origin[olen] = '\0';
	return (uint32_t)(OWNER_KEY_TAG_LEN + olen + 1);
}

void state_prev_free(struct state_prev *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

bool state_prev_has(const struct state_server *st, const uint8_t *name, uint32_t len)
{
	for (size_t i = 0; i < st->nprev; i++)
		if (st->prev[i].name_len == len && memcmp(st->prev[i].name, name, len) == 0)
			return true;
	return false;
}

void state_grace_reclaimed(struct state_server *st, const uint8_t *name, uint32_t len)
{
	uint64_t now = state_now_ms();
	if (!state_grace_active(st, now))
		return;
	size_t left = 0;
	for (size_t i = 0; i < st->nprev; i++) {
		struct state_prev *p = &st->prev[i];
		if (p->name_len == len && memcmp(p->name, name, len) == 0)
			p->reclaimed = true;
		left += !p->reclaimed;
	}
	if (left > 0)
		return;
	/* Nobody else can reclaim: new state need not wait any longer.  The
	 * state thread ends grace (and removes records no one came back for:
	 * none) at its next run, asked for now. */
	if (st->nlm_grace_end_ms > now)
		return; /* NLM hosts may still reclaim (state_nlm_grace_begin) */
	st->grace_end_ms = now;
	log_info("state: all %zu client(s) from before the restart have reclaimed; grace "
		 "period ends early",
		 st->nprev);
	st->reap_requests++;
	pthread_cond_signal(&st->cond);
	state_cluster_kick(st);
}

bool state_grace_own(const struct state_server *st, uint64_t now)
{
	return st->grace && now < st->grace_end_ms;
}

bool state_grace_active(struct state_server *st, uint64_t now)
{
	return state_grace_own(st, now) || state_cluster_enforcing(st, now);
}

size_t state_grace_tick(struct state_server *st, uint64_t now, struct state_prev **names)
{
	*names = NULL;
	if (!st->grace || now < st->grace_end_ms)
		return 0;
	state_cluster_kick(st);
	st->grace = false;
	size_t n = st->nprev;
	*names = st->prev;
	st->prev = NULL;
	st->nprev = 0;
	log_info("state: grace period over");
	return n;
}

int state_records_open(struct state_server *st)
{
	const struct state_options *o = &st->opts;
	int rc;
	if (o->cluster.node[0])
		rc = state_record_store_rados_open(&o->cluster, &st->rec_store);
	else if (o->state_dir[0])
		rc = state_record_store_dir_open(o->state_dir, &st->rec_store);
	else
		return 0;
	if (rc)
		return rc;
	rc = st->rec_store->ops->load(st->rec_store, &st->prev, &st->nprev);
	if (rc) {
		log_error("state: cannot read the client records in %s: %s",
			  st->rec_store->ops->describe(st->rec_store), strerror(-rc));
		state_records_close(st);
	}
	return rc;
}

void state_records_close(struct state_server *st)
{
	if (st->rec_store)
		st->rec_store->ops->close(st->rec_store);
	st->rec_store = NULL;
}

/* Whether name should have a record now (st->lock held). */
static bool record_wanted(struct state_server *st, const uint8_t *name, uint32_t len)
{
	if (st->hooks.client_named && st->hooks.client_named(st, name, len))
		return true;
	/* A record from before the restart stays until grace ends. */
	return state_grace_active(st, state_now_ms()) && state_prev_has(st, name, len);
}

/* The program's identity switch (state_set_act_as_server), or NULL. */
static void (*_Atomic act_as_server_fn)(void);

void state_set_act_as_server(void (*fn)(void))
{
	atomic_store(&act_as_server_fn, fn);
}

static void act_as_server(void)
{
	void (*fn)(void) = atomic_load(&act_as_server_fn);
	if (fn)
		fn();
}

void state_record_sync(struct state_server *st, const uint8_t *name, uint32_t len)
{
	struct state_record_store *rs = st->rec_store;
	if (!rs)
		return;
	char key[STATE_RECORD_KEY_LEN + 1];
	record_name(name, len, key);
	/* This thread may still carry the last NFS caller's identity from a
	 * back-end call: records are the server's own files. */
	act_as_server();
	pthread_mutex_lock(&st->records_lock);
	pthread_mutex_lock(&st->lock);
	bool want = record_wanted(st, name, len);
	pthread_mutex_unlock(&st->lock);
	int rc = rs->ops->has(rs, key);
	if (rc >= 0) {
		bool have = rc == 1;
		rc = 0;
		if (want && !have)
			rc = rs->ops->put(rs, key, name, len);
		else if (!want && have)
			rc = rs->ops->remove(rs, key);
	}
	if (rc != 0 && rc != -ENOENT)
		log_error("state: client record %s in %s: %s", key, rs->ops->describe(rs),
			  strerror(-rc));
	pthread_mutex_unlock(&st->records_lock);
}

int state_record_forget(struct state_server *st, const uint8_t *name, uint32_t len)
{
	struct state_record_store *rs = st->rec_store;
	if (!rs)
		return 0;
	char key[STATE_RECORD_KEY_LEN + 1];
	record_name(name, len, key);
	act_as_server();
	pthread_mutex_lock(&st->records_lock);
	int rc = rs->ops->remove(rs, key);
	pthread_mutex_unlock(&st->records_lock);
	if (rc == -ENOENT)
		rc = 0;
	if (rc)
		log_error("state: client record %s in %s: %s", key, rs->ops->describe(rs),
			  strerror(-rc));
	return rc;
}

int state_records_adopt(struct state_server *st, const struct state_prev *names, size_t n)
{
	struct state_record_store *rs = st->rec_store;
	if (!rs)
		return -ENOTSUP;
	act_as_server();
	pthread_mutex_lock(&st->records_lock);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char key[STATE_RECORD_KEY_LEN + 1];
		record_name(names[i].name, names[i].name_len, key);
		rc = rs->ops->put(rs, key, names[i].name, names[i].name_len);
		if (rc)
			log_error("state: client record %s in %s: %s", key, rs->ops->describe(rs),
				  strerror(-rc));
	}
	pthread_mutex_unlock(&st->records_lock);
	if (rc)
		return rc;
	pthread_mutex_lock(&st->lock);
	size_t have = st->nprev, add = 0;
	struct state_prev *grown = realloc(st->prev, (have + n + 1) * sizeof(*grown));
	if (!grown) {
		pthread_mutex_unlock(&st->lock);
		return -ENOMEM;
	}
	st->prev = grown;
	for (size_t i = 0; i < n; i++) {
		if (state_prev_has(st, names[i].name, names[i].name_len))
			continue;
		struct state_prev *p = &st->prev[have + add];
		p->name = state_bytes_dup(names[i].name, names[i].name_len);
		if (!p->name && names[i].name_len) {
			rc = -ENOMEM;
			break;
		}
		p->name_len = names[i].name_len;
		p->reclaimed = false;
		add++;
		st->nprev = have + add;
	}
	/* No client new here (a take-over repeated, or a head that had none):
	 * no grace period, which would refuse new state to every client of
	 * this head for nobody's reclaim. */
	if (add == 0) {
		pthread_mutex_unlock(&st->lock);
		log_info("state: no client record to adopt; no grace period");
		return rc;
	}
	uint64_t now = state_now_ms();
	uint64_t end = now + st->opts.grace_ms;
	if (!st->grace || st->grace_end_ms < end)
		st->grace_end_ms = end;
	st->grace = true;
	pthread_mutex_unlock(&st->lock);
	log_info("state: %zu client record(s) adopted; grace period of %u ms for them", add,
		 st->opts.grace_ms);
	return rc;
}
