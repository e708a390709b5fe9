/* Snapshots and eviction for the control plane (state_info.h). */
#include "state/lifecycle/state_info.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/clients/session_internal.h"

const unsigned state_slot_bucket_bounds[STATE_SLOT_BUCKETS] = {0, 1, 2, 4, 8, 16};

static void client_counts(const struct state_client *cl, struct state_client_info *ci)
{
	list_for_each_entry(o, &cl->owners, const struct state_owner, client_link) {
		ci->owners++;
		list_for_each_entry(sid, &o->states, const struct state_stid, owner_link) {
			if (sid->type == STATE_STID_OPEN)
				ci->opens++;
			else if (sid->type == STATE_STID_LOCK)
				ci->lock_states++;
		}
	}
	ci->sessions = (unsigned)list_count(&cl->sessions);
	ci->locks = cl->n_locks;
	ci->delegations = cl->n_delegs;
	ci->memory_bytes = state_client_memory(cl);
}

int state_clients_snapshot(struct state_server *st, struct state_client_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	uint64_t now = state_now_ms();
	pthread_mutex_lock(&st->lock);
	size_t count = list_count(&st->clients);
	struct state_client_info *v = count ? calloc(count, sizeof(*v)) : NULL;
	if (count && !v) {
		pthread_mutex_unlock(&st->lock);
		return -ENOMEM;
	}
	size_t i = 0;
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		struct state_client_info *ci = &v[i++];
		ci->clientid = cl->clientid;
		/* The owner as the client sent it, and where it came in. */
		uint32_t off = state_owner_key_split(cl->name, cl->name_len, ci->origin);
		ci->owner_len = cl->name_len - off;
		memcpy(ci->owner, cl->name + off,
		       ci->owner_len < STATE_INFO_OWNER_MAX ? ci->owner_len : STATE_INFO_OWNER_MAX);
		ci->minor = cl->minor;
		ci->confirmed = cl->confirmed;
		memcpy(ci->machine, cl->principal.machine, sizeof(ci->machine));
		ci->uid = cl->principal.uid;
		ci->cb = cl->cb;
		memcpy(ci->peer, cl->peer, sizeof(ci->peer));
		ci->cb_status = cl->cb_status;
		if (cl->v41)
			state_sessions_lease(st, cl); /* the lease as the sessions keep it */
		ci->lease_left_ms = (int64_t)cl->expires_ms - (int64_t)now;
		client_counts(cl, ci);
	}
	pthread_mutex_unlock(&st->lock);
	*out = v;
	*n = count;
	return 0;
}

/* The sessions' reply-cache bytes and slots in use; s->lock held. */
static void session_slot_usage(const struct state_session *s, uint64_t *bytes, uint32_t *busy)
{
	*bytes = 0;
	*busy = 0;
	for (uint32_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].inflight)
			(*busy)++;
		if (s->slots[i].reply)
			*bytes += s->slots[i].reply->cap;
	}
}

/* Every live session, referenced, in a malloc'd array (sess_lock taken). */
static struct state_session **sessions_grab(struct state_server *st, size_t *n)
{
	*n = 0;
	pthread_mutex_lock(&st->sess_lock);
	size_t count = hashtable_count(&st->sessions);
	struct state_session **v = count ? calloc(count, sizeof(*v)) : NULL;
	if (v) {
		struct hashtable_iter it;
		struct hashtable_node *node;
		for (node = hashtable_iter_first(&it, &st->sessions); node && *n < count;
		     node = hashtable_iter_next(&it)) {
			struct state_session *s = container_of(node, struct state_session, node);
			v[(*n)++] = state_session_ref(s);
		}
	}
	pthread_mutex_unlock(&st->sess_lock);
	return v;
}

int state_sessions_snapshot(struct state_server *st, struct state_session_info **out,
			    size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t count;
	struct state_session **ss = sessions_grab(st, &count);
	if (!ss)
		return count ? -ENOMEM : 0;
	struct state_session_info *v = calloc(count, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < count; i++) {
		struct state_session *s = ss[i];
		if (v) {
			struct state_session_info *si = &v[k];
			pthread_mutex_lock(&s->lock);
			if (!s->dead) {
				memcpy(si->id, s->id, sizeof(si->id));
				si->clientid = s->clientid;
				si->slots = s->nslots;
				session_slot_usage(s, &si->cache_bytes, &si->slots_in_use);
				si->target_highest_slotid = s->target_last;
				si->back_slots = s->back.maxrequests;
				si->back_wanted = s->back_wanted;
				si->cb_fault = s->cb_fault;
				si->cb_status = s->cb_status;
				si->cb_program = s->cb_program;
				si->nconns = s->nconns;
				for (unsigned c = 0; c < s->nconns && c < STATE_INFO_CONNS_MAX; c++) {
					si->conns[c].conn = s->conns[c].conn;
					si->conns[c].dir = s->conns[c].dir;
					if (st->opts.conn_ref)
						st->opts.conn_ref(si->conns[c].conn);
				}
				k++;
			}
			pthread_mutex_unlock(&s->lock);
		}
		state_session_unref(st, s);
	}
	free(ss);
	if (!v)
		return -ENOMEM;
	*out = v;
	*n = k;
	return 0;
}

void state_session_info_free(struct state_server *st, struct state_session_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		for (unsigned c = 0; c < v[i].nconns && c < STATE_INFO_CONNS_MAX; c++)
			if (v[i].conns[c].conn && st->opts.conn_unref)
				st->opts.conn_unref(v[i].conns[c].conn);
	free(v);
}

static unsigned slot_bucket(uint32_t busy)
{
	for (unsigned b = 0; b < STATE_SLOT_BUCKETS; b++)
		if (busy <= state_slot_bucket_bounds[b])
			return b;
	return STATE_SLOT_BUCKETS;
}

void state_census(struct state_server *st, struct state_census *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->lock);
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		if (!cl->confirmed)
			out->clients_unconfirmed++;
		else
			out->clients_by_minor[cl->minor < 3 ? cl->minor : 2]++;
	}
	pthread_mutex_unlock(&st->lock);

	size_t count;
	struct state_session **ss = sessions_grab(st, &count);
	for (size_t i = 0; ss && i < count; i++) {
		struct state_session *s = ss[i];
		pthread_mutex_lock(&s->lock);
		if (!s->dead) {
			uint64_t bytes;
			uint32_t busy;
			session_slot_usage(s, &bytes, &busy);
			out->slots_in_use_hist[slot_bucket(busy)]++;
			out->slots_in_use_sum += busy;
			if (out->sessions == 0 || s->target_last > out->target_highest_slotid_max)
				out->target_highest_slotid_max = s->target_last;
			if (out->sessions == 0 || s->target_last < out->target_highest_slotid_min)
				out->target_highest_slotid_min = s->target_last;
			out->sessions++;
			unsigned h = 0;
			if (s->back_wanted)
				h = s->cb_status == STATE_CB_UP	  ? 1
				    : s->cb_status == STATE_CB_DOWN ? 2
								    : 3;
			out->sessions_back[h]++;
		}
		pthread_mutex_unlock(&s->lock);
		state_session_unref(st, s);
	}
	free(ss);
}

bool state_session_has_conn(struct state_server *st, const uint8_t *sessionid,
			    const struct rpc_conn *conn)
{
	struct state_session *s = state_session_find(st, sessionid);
	if (!s)
		return false;
	bool bound = false;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; !s->dead && i < s->nconns && !bound; i++)
		bound = s->conns[i].conn == conn;
	pthread_mutex_unlock(&s->lock);
	state_session_unref(st, s);
	return bound;
}

int state_client_evict(struct state_server *st, uint64_t clientid)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = NULL;
	list_for_each_entry(c, &st->clients, struct state_client, link) {
		if (c->clientid == clientid) {
			cl = c;
			break;
		}
	}
	if (!cl) {
		pthread_mutex_unlock(&st->lock);
		return -ENOENT;
	}
	/* The name leaves with the client so its record can be removed. */
	uint8_t *name = cl->confirmed ? cl->name : NULL;
	uint32_t name_len = cl->name_len;
	if (name)
		cl->name = NULL;
	log_info("state: client %016llx evicted by the control plane",
		 (unsigned long long)clientid);
	state_client_destroy(st, cl, true);
	pthread_mutex_unlock(&st->lock);
	if (name) {
		state_record_sync(st, name, name_len);
		free(name);
	}
	return 0;
}
