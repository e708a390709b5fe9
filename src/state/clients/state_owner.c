/* Open and lock owners, and the one place where v4.0 owner seqids are
 * checked and replies replayed (RFC 7530 9.1.7, 9.1.8). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"

static uint64_t hash_owner(const struct state_server *st, uint64_t clientid,
			   enum state_owner_kind kind, const uint8_t *bytes, uint32_t len)
{
	uint8_t head[9];
	memcpy(head, &clientid, 8);
	head[8] = (uint8_t)kind;
	return state_hash(st, head, sizeof(head), bytes, len);
}

struct state_owner *state_owner_find(struct state_server *st, uint64_t clientid,
				     enum state_owner_kind kind, const uint8_t *bytes,
				     uint32_t len)
{
	uint64_t h = hash_owner(st, clientid, kind, bytes, len);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->owners, h)
	{
		struct state_owner *o = container_of(n, struct state_owner, node);
		if (o->clientid == clientid && o->kind == kind && o->len == len &&
		    memcmp(o->bytes, bytes, len) == 0)
			return o;
	}
	return NULL;
}

struct state_owner *state_owner_create(struct state_server *st, struct state_client *cl,
				       enum state_owner_kind kind, const uint8_t *bytes,
				       uint32_t len)
{
	unsigned *count = kind == STATE_OWNER_OPEN   ? &cl->n_open_owners
			  : kind == STATE_OWNER_LOCK ? &cl->n_lock_owners
						     : NULL;
	if (count && !state_room_for(st, cl,
				     kind == STATE_OWNER_OPEN ? STATE_CAP_OPEN_OWNERS
							      : STATE_CAP_LOCK_OWNERS,
				     *count))
		return NULL;
	struct state_owner *o = calloc(1, sizeof(*o) + len);
	if (!o)
		return NULL;
	if (len)
		memcpy(o->bytes, bytes, len);
	o->len = len;
	o->kind = kind;
	o->client = cl;
	o->clientid = cl->clientid;
	o->refs = 1; /* the table's */
	o->last_used_ms = state_now_ms();
	list_init(&o->states);
	pthread_mutex_init(&o->seq_lock, NULL);
	hashtable_insert(&st->owners, &o->node, hash_owner(st, o->clientid, kind, bytes, len));
	list_add_tail(&cl->owners, &o->client_link);
	st->n_owners++;
	if (count)
		(*count)++;
	return o;
}

static void owner_drop_closed(struct state_server *st, struct state_owner *o)
{
	if (o->closed) {
		state_stid_free(st, &o->closed->s);
		o->closed = NULL;
	}
}

/* Frees every open or lock state of the owner. */
static void owner_drop_states(struct state_server *st, struct state_owner *o)
{
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &o->states)
	{
		state_stid_free(st, container_of(pos, struct state_stid, owner_link));
	}
}

/* Makes o dead: out of its client's counts and list and out of the
 * table, so nothing finds it; what it holds is the caller's to free. */
static void owner_unlink(struct state_server *st, struct state_owner *o)
{
	owner_drop_closed(st, o);
	if (o->kind == STATE_OWNER_OPEN)
		o->client->n_open_owners--;
	else if (o->kind == STATE_OWNER_LOCK)
		o->client->n_lock_owners--;
	o->dead = true;
	o->client = NULL;
	hashtable_remove(&st->owners, &o->node);
	list_del(&o->client_link);
	st->n_owners--;
}

void state_owner_kill(struct state_server *st, struct state_owner *o)
{
	if (o->dead)
		return;
	owner_drop_states(st, o);
	owner_unlink(st, o);
	state_owner_unref(st, o);
}

void state_owner_bury(struct state_server *st, struct state_owner *o)
{
	if (o->dead)
		return;
	if (o->kind == STATE_OWNER_DELEG || list_empty(&o->states)) {
		state_owner_kill(st, o); /* nothing to spread over slices */
		return;
	}
	owner_unlink(st, o);
	list_add_tail(&st->dying_owners, &o->client_link);
	list_for_each_entry(s, &o->states, struct state_stid, owner_link) {
		if (s->type == STATE_STID_LOCK)
			st->n_dying_lock_states++;
		else
			st->n_dying_opens++;
	}
}

bool state_owners_free_dying(struct state_server *st, unsigned max)
{
	unsigned freed = 0;
	while (!list_empty(&st->dying_owners) && freed < max) {
		struct state_owner *o =
			container_of(st->dying_owners.next, struct state_owner, client_link);
		while (!list_empty(&o->states) && freed < max) {
			struct state_stid *s =
				container_of(o->states.next, struct state_stid, owner_link);
			/* Freeing an open frees the lock states taken through
			 * it, which are dying too (the same client's). */
			unsigned locks_before = st->n_lock_states;
			bool open = s->type != STATE_STID_LOCK;
			state_stid_free(st, s);
			if (open)
				st->n_dying_opens--;
			st->n_dying_lock_states -= locks_before - st->n_lock_states;
			freed++;
		}
		if (!list_empty(&o->states))
			break;
		list_del(&o->client_link);
		state_owner_unref(st, o); /* the table's reference */
	}
	return !list_empty(&st->dying_owners);
}

void state_owner_release_if_empty(struct state_server *st, struct state_owner *o, unsigned held)
{
	if (o->dead || !o->client || !o->client->v41 || o->kind == STATE_OWNER_DELEG)
		return;
	if (list_empty(&o->states) && o->refs <= 1 + held)
		state_owner_kill(st, o);
}

void state_owner_unref(struct state_server *st, struct state_owner *o)
{
	if (--o->refs > 0)
		return;
	pthread_mutex_destroy(&o->seq_lock);
	free((void *)o->reply.body);
	free(o);
}

void state_owner_put(struct state_server *st, struct state_owner *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&st->lock);
	state_owner_unref(st, o);
	pthread_mutex_unlock(&st->lock);
}

uint64_t state_owner_clientid(const struct state_owner *o) { return o->clientid; }

enum nfsstat4 state_open_owner_get(struct state_server *st, uint64_t clientid,
				   const uint8_t *owner, uint32_t len, struct state_owner **out)
{
	*out = NULL;
	pthread_mutex_lock(&st->lock);
	struct state_client *cl;
	enum nfsstat4 s = state_client_use(st, clientid, &cl);
	if (s == NFS4_OK) {
		struct state_owner *o =
			state_owner_find(st, clientid, STATE_OWNER_OPEN, owner, len);
		if (!o)
			o = state_owner_create(st, cl, STATE_OWNER_OPEN, owner, len);
		if (o) {
			o->refs++;
			o->last_used_ms = state_now_ms();
			*out = o;
		} else {
			s = NFS4ERR_RESOURCE;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return s;
}

enum nfsstat4 state_stateid_owner(struct state_server *st, uint64_t clientid,
				  const struct nfs4_stateid *sid, struct state_owner **out)
{
	*out = NULL;
	pthread_mutex_lock(&st->lock);
	struct state_stid *s = state_stid_find(st, sid->other);
	enum nfsstat4 status = NFS4_OK;
	if (!s || s->owner->dead) {
		status = state_stid_missing(st, sid);
	} else if (state_stid_foreign(s, clientid)) {
		status = NFS4ERR_BAD_STATEID;
	} else {
		state_client_renew(st, s->owner->client);
		s->owner->refs++;
		*out = s->owner;
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* The errors after which the seqid does not advance (RFC 7530 9.1.7). */
static bool status_advances_seqid(enum nfsstat4 s)
{
	switch (s) {
	case NFS4ERR_STALE_CLIENTID:
	case NFS4ERR_STALE_STATEID:
	case NFS4ERR_BAD_STATEID:
	case NFS4ERR_BAD_SEQID:
	case NFS4ERR_BADXDR:
	case NFS4ERR_RESOURCE:
	case NFS4ERR_NOFILEHANDLE:
	case NFS4ERR_MOVED:
		return false;
	default:
		return true;
	}
}

enum state_seq state_seq_begin(struct state_server *st, struct state_owner *o, uint32_t seqid,
			       uint32_t opnum, bool bypass, struct state_replay *r)
{
	/* v4.1: nothing to order, so an owner's operations run side by side
	 * (a client's processes of one user share their open owner). */
	if (!bypass)
		pthread_mutex_lock(&o->seq_lock);
	pthread_mutex_lock(&st->lock);
	enum state_seq res = STATE_SEQ_BAD;
	if (!bypass)
		o->seq_new = false;
	o->last_used_ms = state_now_ms();
	if (o->dead) {
		/* Let the operation find out (its state is gone); nothing to
		 * sequence any more. */
		res = STATE_SEQ_NEW;
	} else if (bypass) {
		/* v4.1: sessions give exactly-once; there is no OPEN_CONFIRM. */
		o->confirmed = true;
		res = STATE_SEQ_NEW;
	} else if (!o->has_seqid || seqid == o->seqid + 1) {
		res = STATE_SEQ_NEW;
	} else if (seqid == o->seqid && o->r_valid && o->reply.opnum == opnum) {
		*r = o->reply;
		res = STATE_SEQ_REPLAY;
	} else if (o->kind == STATE_OWNER_OPEN && !o->confirmed && opnum == OP_OPEN) {
		/* The client gave up on an unconfirmed owner (RFC 7530 16.16.5
		 * lets the server forget it): start again. */
		owner_drop_states(st, o);
		o->has_seqid = false;
		o->r_valid = false;
		res = STATE_SEQ_NEW;
	}
	if (res == STATE_SEQ_NEW && !o->dead && !bypass) {
		o->seq_new = true;
		o->seq_pending = seqid;
		o->seq_opnum = opnum;
		/* A CLOSE before this one can no longer be replayed. */
		owner_drop_closed(st, o);
	}
	pthread_mutex_unlock(&st->lock);
	return res;
}

enum nfsstat4 state_seq_end(struct state_server *st, struct state_owner *o, bool bypass,
			    enum nfsstat4 status, const uint8_t *body, size_t len,
			    const struct state_file_key *file)
{
	if (bypass)
		return status; /* nothing was ordered, nothing is kept */
	pthread_mutex_lock(&st->lock);
	if (o->seq_new && status_advances_seqid(status)) {
		o->seqid = o->seq_pending;
		o->has_seqid = true;
		uint8_t *copy = NULL;
		if (len > 0 && !(copy = malloc(len))) {
			/* Without the reply a retransmission gets BAD_SEQID:
			 * wrong, but not harmful to other clients. */
			log_error("state: out of memory caching a reply");
			o->r_valid = false;
		} else {
			if (len > 0)
				memcpy(copy, body, len);
			free((void *)o->reply.body);
			o->reply = (struct state_replay){
				.opnum = o->seq_opnum,
				.status = status,
				.body = copy,
				.len = len,
				.has_file = file != NULL,
				.file = file ? *file : (struct state_file_key){0},
			};
			o->r_valid = true;
		}
	}
	o->seq_new = false;
	pthread_mutex_unlock(&st->lock);
	pthread_mutex_unlock(&o->seq_lock);
	return status;
}

void state_owners_reclaim(struct state_server *st, uint64_t now)
{
	(void)now;
	list_for_each_entry(cl, &st->clients, struct state_client, link) {
		struct list_node *pos, *tmp;
		list_for_each_safe(pos, tmp, &cl->owners)
		{
			struct state_owner *o = container_of(pos, struct state_owner, client_link);
			if (o->kind != STATE_OWNER_DELEG && o->refs == 1 && list_empty(&o->states))
				state_owner_kill(st, o);
		}
	}
}

void state_owners_reap(struct state_server *st, uint64_t now)
{
	uint64_t idle = st->opts.lease_ms;
	struct list_node *cpos, *ctmp;
	list_for_each_safe(cpos, ctmp, &st->clients)
	{
		struct state_client *cl = container_of(cpos, struct state_client, link);
		struct list_node *pos, *tmp;
		list_for_each_safe(pos, tmp, &cl->owners)
		{
			struct state_owner *o =
				container_of(pos, struct state_owner, client_link);
			if (o->refs > 1 || o->last_used_ms + idle > now)
				continue; /* in use, or recently */
			/* An owner with nothing open can go once no replay of
			 * its last reply is plausible; an open owner never
			 * confirmed within a lease was abandoned. */
			bool unconfirmed_open = o->kind == STATE_OWNER_OPEN && !o->confirmed;
			if (list_empty(&o->states) || unconfirmed_open)
				state_owner_kill(st, o);
		}
	}
}
