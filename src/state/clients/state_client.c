/* Clients: SETCLIENTID, SETCLIENTID_CONFIRM (RFC 7530 16.33.5, 16.34.5),
 * RENEW, leases and their expiry.
 *
 * A client is known by its name (nfs_client_id4.id) and its clientid.  Per
 * name there is at most one confirmed and one unconfirmed record; an
 * unconfirmed record that updates a confirmed one's callback shares its
 * clientid, so lookups by clientid say which of the two they want. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"

static uint64_t hash_id(const struct state_server *st, uint64_t clientid)
{
	return state_hash(st, &clientid, sizeof(clientid), NULL, 0);
}

static uint64_t hash_name(const struct state_server *st, const uint8_t *name, uint32_t len)
{
	return state_hash(st, "N", 1, name, len);
}

void state_principal_from_cred(struct state_principal *p, const struct rpc_cred *cred)
{
	memset(p, 0, sizeof(*p));
	p->flavor = cred->flavor;
	if (cred->flavor == RPC_AUTH_SYS) {
		p->uid = cred->uid;
		memcpy(p->machine, cred->machinename, sizeof(p->machine) - 1);
	} else if (cred->flavor == RPC_AUTH_GSS) {
		/* The principal is who it is, whatever local user it maps to
		 * and whichever service (krb5, krb5i, krb5p) carried it. */
		if (cred->principal)
			snprintf(p->gss_name, sizeof(p->gss_name), "%s", cred->principal);
		p->gss_service = cred->gss_service;
	}
}

bool state_principal_eq(const struct state_principal *a, const struct state_principal *b)
{
	return a->flavor == b->flavor && a->uid == b->uid && strcmp(a->machine, b->machine) == 0 &&
	       strcmp(a->gss_name, b->gss_name) == 0;
}

static bool client_named(struct state_server *st, const uint8_t *name, uint32_t len)
{
	return state_client_find_name(st, name, len, true) != NULL;
}

void state_clients_init(struct state_server *st)
{
	st->hooks.client_named = client_named;
	state_hooks_add_reclaim(st, state_owners_reclaim);
}

struct state_client *state_client_find(struct state_server *st, uint64_t clientid,
				       bool confirmed)
{
	uint64_t h = hash_id(st, clientid);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->clients_by_id, h)
	{
		struct state_client *cl = container_of(n, struct state_client, by_id);
		if (cl->clientid == clientid && cl->confirmed == confirmed)
			return cl;
	}
	return NULL;
}

struct state_client *state_client_find_name(struct state_server *st, const uint8_t *name,
					    uint32_t len, bool confirmed)
{
	uint64_t h = hash_name(st, name, len);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->clients_by_name, h)
	{
		struct state_client *cl = container_of(n, struct state_client, by_name);
		if (cl->confirmed == confirmed && cl->name_len == len &&
		    memcmp(cl->name, name, len) == 0)
			return cl;
	}
	return NULL;
}

void state_client_renew(struct state_server *st, struct state_client *cl)
{
	uint64_t now = state_now_ms();
	cl->expires_ms = now + st->opts.lease_ms;
	if (!cl->v41 && cl->cb_status != STATE_CB_UP)
		state_cb_reprobe_due(st, cl, now);
}

enum nfsstat4 state_client_use(struct state_server *st, uint64_t clientid,
			       struct state_client **out)
{
	*out = NULL;
	if ((uint32_t)(clientid >> 32) != st->boot)
		return NFS4ERR_STALE_CLIENTID;
	struct state_client *cl = state_client_find(st, clientid, true);
	if (!cl)
		return state_clientid_expired(st, clientid) ? NFS4ERR_EXPIRED
							    : NFS4ERR_STALE_CLIENTID;
	/* A lease that ran out but was not reaped yet is simply renewed: no
	 * other client can have been refused on its account. */
	state_client_renew(st, cl);
	*out = cl;
	return NFS4_OK;
}

bool state_client_has_state(const struct state_client *cl)
{
	list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
		if (!list_empty(&o->states))
			return true;
	}
	return false;
}

bool state_client_name_taken(struct state_server *st, struct state_client **conf,
			     const struct state_principal *who,
			     bool (*busy)(const struct state_client *), bool *dropped)
{
	struct state_client *other = *conf;
	if (!other || state_principal_eq(&other->principal, who))
		return false;
	if (busy(other) && other->expires_ms > state_now_ms())
		return true;
	state_client_destroy(st, other, true);
	*conf = NULL;
	*dropped = true;
	return false;
}

void state_client_destroy(struct state_server *st, struct state_client *cl, bool tomb)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &cl->owners)
	{
		struct state_owner *o = container_of(pos, struct state_owner, client_link);
		state_owner_bury(st, o);
	}
	/* The state thread frees what was buried. */
	if (!list_empty(&st->dying_owners))
		pthread_cond_signal(&st->cond);
	state_hooks_client_gone(st, cl);
	state_sessions_client_gone(st, cl);
	buf_unref(cl->cs_reply);
	if (tomb && cl->confirmed)
		state_clientid_tombstone(st, cl->clientid);
	hashtable_remove(&st->clients_by_id, &cl->by_id);
	hashtable_remove(&st->clients_by_name, &cl->by_name);
	list_del(&cl->link);
	st->n_clients--;
	free(cl->name);
	free(cl);
}

size_t state_records_forget_stateless(struct state_server *st)
{
	if (!st->rec_store)
		return 0;
	/* A head fenced or cut off from RADOS writes nothing: its records
	 * are a survivor's to take. */
	if (!state_cluster_acknowledges(st)) {
		log_info("state: stopping unacknowledged; every client record kept");
		return 0;
	}
	uint64_t now = state_now_ms();
	pthread_mutex_lock(&st->lock);
	/* A client of the records may still be reclaiming: it holds nothing
	 * yet, and its record is what lets it reclaim in the next run. */
	if (state_grace_active(st, now)) {
		pthread_mutex_unlock(&st->lock);
		log_info("state: stopping in a grace period; every client record kept");
		return 0;
	}
	size_t n = 0, cap = 0, kept = 0;
	struct state_prev *names = NULL;
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		if (!cl->confirmed || cl->nlm)
			continue;
		if (cl->n_opens || cl->n_locks || cl->n_delegs) {
			kept++;
			continue;
		}
		if (n == cap) {
			size_t more = cap ? 2 * cap : 64;
			struct state_prev *grown = realloc(names, more * sizeof(*grown));
			if (!grown)
				break;
			names = grown;
			cap = more;
		}
		names[n].name = state_bytes_dup(cl->name, cl->name_len);
		if (!names[n].name)
			break;
		names[n++].name_len = cl->name_len;
	}
	pthread_mutex_unlock(&st->lock);
	size_t gone = 0;
	for (size_t i = 0; i < n; i++)
		if (state_record_forget(st, names[i].name, names[i].name_len) == 0)
			gone++;
	state_prev_free(names, n);
	log_info("state: stopping: %zu client record(s) without opens, locks or delegations "
		 "removed, %zu kept for their reclaims",
		 gone, kept);
	return gone;
}

struct state_client *state_client_alloc(const uint8_t *name, uint32_t len)
{
	struct state_client *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->name = state_bytes_dup(name, len);
	if (!cl->name) {
		free(cl);
		return NULL;
	}
	cl->name_len = len;
	list_init(&cl->owners);
	list_init(&cl->sessions);
	return cl;
}

struct state_client *state_client_new(struct state_server *st, const struct state_principal *who,
				       const uint8_t verifier[NFS4_VERIFIER_SIZE],
				       const uint8_t *name, uint32_t len,
				       const struct state_callback *cb, uint64_t clientid)
{
	struct state_client *cl = state_client_alloc(name, len);
	if (!cl)
		return NULL;
	cl->clientid = clientid;
	cl->principal = *who;
	cl->cb = *cb;
	memcpy(cl->verifier, verifier, NFS4_VERIFIER_SIZE);
	/* The confirm verifier only has to differ from every earlier one. */
	uint32_t seq = st->next_client++;
	state_random(cl->confirm, 4);
	memcpy(cl->confirm + 4, &seq, 4);
	state_client_renew(st, cl);
	hashtable_insert(&st->clients_by_id, &cl->by_id, hash_id(st, clientid));
	hashtable_insert(&st->clients_by_name, &cl->by_name, hash_name(st, name, len));
	list_add_tail(&st->clients, &cl->link);
	st->n_clients++;
	return cl;
}

uint8_t *state_client_confirm(struct state_server *st, struct state_client *unconf)
{
	struct state_client *old = state_client_find_name(st, unconf->name, unconf->name_len, true);
	if (old)
		state_client_destroy(st, old, true);
	unconf->confirmed = true;
	unconf->reclaimable = state_grace_active(st, state_now_ms()) &&
			      state_prev_has(st, unconf->name, unconf->name_len);
	return state_bytes_dup(unconf->name, unconf->name_len);
}

void state_client_record_write(struct state_server *st, uint8_t *name, uint32_t len)
{
	if (!name) {
		log_error("state: out of memory writing a client record");
		return;
	}
	state_record_sync(st, name, len);
	free(name);
}

uint64_t state_clientid_new(struct state_server *st)
{
	/* The boot epoch stays readable (STALE_CLIENTID after a restart);
	 * the low half is not a counter another client could step along. */
	return (uint64_t)st->boot << 32 | state_id_permute(st, 'C', st->next_client++);
}

enum nfsstat4 state_setclientid(struct state_server *st, const struct state_principal *who,
				const uint8_t verifier[NFS4_VERIFIER_SIZE], const uint8_t *name,
				uint32_t name_len, const struct state_callback *cb,
				uint64_t *clientid, uint8_t confirm[NFS4_VERIFIER_SIZE],
				struct state_callback *inuse)
{
	pthread_mutex_lock(&st->lock);
	bool dropped = false;
	struct state_client *conf = state_client_find_name(st, name, name_len, true);
	struct state_client *unconf = state_client_find_name(st, name, name_len, false);
	/* Someone else's id: refused while it holds live state; an idle or
	 * lapsed one is given up (RFC 7530 16.33.5). */
	if (state_client_name_taken(st, &conf, who, state_client_has_state, &dropped)) {
		*inuse = conf->cb;
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_CLID_INUSE;
	}
	if (unconf)
		state_client_destroy(st, unconf, false);
	/* Same verifier as the confirmed record: a callback update, which keeps
	 * the clientid.  Otherwise a new incarnation of the client (or a new
	 * client) gets a new clientid. */
	uint64_t id = (conf && memcmp(conf->verifier, verifier, NFS4_VERIFIER_SIZE) == 0)
			      ? conf->clientid
			      : state_clientid_new(st);
	struct state_client *cl =
		state_clients_full(st) ? NULL
				       : state_client_new(st, who, verifier, name, name_len, cb, id);
	if (!cl) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_RESOURCE;
	}
	*clientid = cl->clientid;
	memcpy(confirm, cl->confirm, NFS4_VERIFIER_SIZE);
	pthread_mutex_unlock(&st->lock);
	/* The dropped client's record goes (rare: another principal took
	 * over an idle id). */
	if (dropped)
		state_record_sync(st, name, name_len);
	return NFS4_OK;
}

enum nfsstat4 state_setclientid_confirm(struct state_server *st, const struct state_principal *who,
					uint64_t clientid,
					const uint8_t confirm[NFS4_VERIFIER_SIZE])
{
	pthread_mutex_lock(&st->lock);
	if ((uint32_t)(clientid >> 32) != st->boot) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_STALE_CLIENTID;
	}
	struct state_client *conf = state_client_find(st, clientid, true);
	struct state_client *unconf = state_client_find(st, clientid, false);
	if ((unconf && !state_principal_eq(&unconf->principal, who)) ||
	    (conf && !state_principal_eq(&conf->principal, who))) {
		pthread_mutex_unlock(&st->lock);
		return NFS4ERR_CLID_INUSE;
	}
	if (unconf && memcmp(unconf->confirm, confirm, NFS4_VERIFIER_SIZE) == 0) {
		if (conf) {
			/* Callback update: the confirmed record takes the new
			 * callback, its state stays. */
			conf->cb = unconf->cb;
			conf->cb_gen++;
			conf->cb_status = STATE_CB_UNKNOWN;
			conf->cb_downs = 0;
			state_client_destroy(st, unconf, false);
			state_client_renew(st, conf);
			state_cb_schedule(st, conf);
			pthread_mutex_unlock(&st->lock);
			return NFS4_OK;
		}
		/* A client that restarted: its earlier incarnation's state goes,
		 * and its stateids are now expired. */
		uint32_t len = unconf->name_len;
		uint8_t *name = state_client_confirm(st, unconf);
		state_client_renew(st, unconf);
		state_cb_schedule(st, unconf);
		pthread_mutex_unlock(&st->lock);
		state_client_record_write(st, name, len);
		return NFS4_OK;
	}
	if (conf && memcmp(conf->confirm, confirm, NFS4_VERIFIER_SIZE) == 0) {
		/* A retransmission of a confirm that already took effect. */
		state_client_renew(st, conf);
		pthread_mutex_unlock(&st->lock);
		return NFS4_OK;
	}
	pthread_mutex_unlock(&st->lock);
	return NFS4ERR_STALE_CLIENTID;
}

enum nfsstat4 state_renew(struct state_server *st, uint64_t clientid)
{
	struct state_client *cl;
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 s = state_client_use(st, clientid, &cl);
	pthread_mutex_unlock(&st->lock);
	return s;
}

void state_client_seen_from(struct state_server *st, uint64_t clientid, const char *peer)
{
	pthread_mutex_lock(&st->lock);
	for (int confirmed = 0; confirmed < 2; confirmed++) {
		struct state_client *cl = state_client_find(st, clientid, confirmed);
		if (cl)
			snprintf(cl->peer, sizeof(cl->peer), "%s", peer);
	}
	pthread_mutex_unlock(&st->lock);
}

bool state_client_is_v41(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (!cl)
		cl = state_client_find(st, clientid, false);
	bool v41 = cl && cl->v41;
	pthread_mutex_unlock(&st->lock);
	return v41;
}

enum state_cb_status state_client_cb_status(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	enum state_cb_status s = cl ? cl->cb_status : STATE_CB_UNKNOWN;
	pthread_mutex_unlock(&st->lock);
	return s;
}

size_t state_clients_expire(struct state_server *st, uint64_t now, struct state_prev **names)
{
	size_t n = 0, cap = 0;
	struct state_prev *out = NULL;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &st->clients)
	{
		struct state_client *cl = container_of(pos, struct state_client, link);
		if (cl->v41)
			state_sessions_lease(st, cl);
		if (cl->expires_ms > now)
			continue;
		if (cl->confirmed) {
			log_info("state: lease of client %016llx expired",
				 (unsigned long long)cl->clientid);
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct state_prev *p = realloc(out, nc * sizeof(*p));
				if (!p)
					continue; /* try again on the next pass */
				out = p;
				cap = nc;
			}
			/* The name moves to the list: its record goes. */
			out[n].name = cl->name;
			out[n].name_len = cl->name_len;
			cl->name = NULL;
			n++;
		}
		state_client_destroy(st, cl, true);
	}
	*names = out;
	return n;
}
