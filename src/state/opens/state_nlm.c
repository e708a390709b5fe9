/* NLM hosts, their locks, blocked LOCKs and share reservations; the
 * contract is in state_nlm.h.  Everything runs under st->lock but the
 * grants' flush, which calls the NLM layer's hook with no lock held.
 *
 * A host is a struct state_client with nlm set, on st->nlm_hosts; its lock
 * owners and lock states are the ordinary ones (state_owner, state_lockst
 * with nlm set and no open), so the lock table's conflict checks, the
 * NFSv4 waiters and the counters need nothing of NLM.  A host goes when it
 * holds nothing (no owner, blocked LOCK or share), which is when the NLM
 * layer stops monitoring it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_internal.h"
#include "state/opens/state_nlm.h"

/* A blocked LOCK (NLM4_BLOCKED), on its file's list and the server's. */
struct state_nlm_block {
	struct list_node file_link;
	struct list_node all_link; /* st->nlm_block_list */
	struct state_file *file;
	struct state_client *host;
	uint32_t type; /* STATE_READ_LT or STATE_WRITE_LT */
	uint64_t start, last;
	uint32_t owner_len, blob_len;
	uint8_t *blob; /* malloc'd */
	uint8_t owner[];
};

/* A DOS share reservation of an NLM owner on a file. */
struct state_nlm_share {
	struct list_node file_link;
	struct list_node all_link; /* st->nlm_share_list */
	struct state_file *file;
	struct state_client *host;
	uint32_t access, deny; /* STATE_SHARE_* bits */
	uint32_t owner_len;
	uint8_t owner[];
};

/* A granted blocked LOCK waiting for the hook. */
struct state_nlm_grant_item {
	struct state_nlm_grant_item *next;
	uint32_t host_len, blob_len;
	uint8_t *blob; /* after host[] */
	uint8_t host[];
};

/* The server-wide lists of blocked LOCKs and shares (a host that goes
 * finds its own there). */
static struct list_node *blocks_all(struct state_server *st) { return &st->nlm_blocks_all; }
static struct list_node *shares_all(struct state_server *st) { return &st->nlm_shares_all; }

void state_nlm_init(struct state_server *st)
{
	list_init(&st->nlm_hosts);
	list_init(blocks_all(st));
	list_init(shares_all(st));
	st->nlm_grants = NULL;
	st->nlm_grants_tail = &st->nlm_grants;
}

/* An owner's bytes: the svid, big-endian, then oh.  False when they would
 * not fit the lock table's owners (NFSv4's 1024 bytes). */
static bool owner_bytes(const struct state_nlm_owner *o, uint8_t *out, uint32_t *len)
{
	if (o->oh_len > NFS4_OPAQUE_LIMIT - 4)
		return false;
	xdr_put_be32(out, (uint32_t)o->svid);
	if (o->oh_len)
		memcpy(out + 4, o->oh, o->oh_len);
	*len = 4 + o->oh_len;
	return true;
}

static uint32_t lock_type(bool exclusive) { return exclusive ? STATE_WRITE_LT : STATE_READ_LT; }

/* NLM's length 0 is "to the end"; a range past 2^64 is clipped there too,
 * as it covers every byte a file can have from its offset. */
static uint64_t nlm_last(uint64_t offset, uint64_t len)
{
	if (len == 0 || len - 1 > UINT64_MAX - offset)
		return UINT64_MAX;
	return offset + (len - 1);
}

static uint32_t grace_status(struct state_server *st, bool reclaim)
{
	if (!reclaim && state_grace_active(st, state_now_ms()))
		return NLM4_DENIED_GRACE_PERIOD;
	return NLM4_GRANTED;
}

/* --- hosts ------------------------------------------------------------------ */

static bool host_is(const struct state_client *h, const uint8_t *name, uint32_t len,
		    const char *addr)
{
	return (!name || (h->name_len == len && memcmp(h->name, name, len) == 0)) &&
	       (!addr || strcmp(h->nlm_addr, addr) == 0);
}

/* The host of this name (NULL: any) at this address (NULL: at any). */
static struct state_client *host_find(struct state_server *st, const uint8_t *name,
				      uint32_t len, const char *addr)
{
	list_for_each_entry(h, &st->nlm_hosts, struct state_client, link) {
		if (host_is(h, name, len, addr))
			return h;
	}
	return NULL;
}

/* Whether a host at h's address other than h exists: NSM watches a host
 * by its address (as the kernel's lock manager does unless told to use
 * names), since a caller_name is whatever the client calls itself and the
 * local statd must be able to resolve what it is asked to watch. */
static bool host_addr_shared(struct state_server *st, const struct state_client *h)
{
	list_for_each_entry(o, &st->nlm_hosts, const struct state_client, link) {
		if (o != h && strcmp(o->nlm_addr, h->nlm_addr) == 0)
			return true;
	}
	return false;
}

static struct state_client *host_get(struct state_server *st, const uint8_t *name, uint32_t len,
				     const char *addr, struct state_nlm_effect *eff)
{
	if (!addr)
		addr = "";
	struct state_client *h = host_find(st, name, len, addr);
	if (h)
		return h;
	if (strlen(addr) >= sizeof(h->nlm_addr))
		return NULL;
	h = state_client_alloc(name, len);
	if (!h)
		return NULL;
	h->nlm = true;
	h->confirmed = true;
	h->clientid = state_clientid_new(st);
	strcpy(h->nlm_addr, addr);
	list_add_tail(&st->nlm_hosts, &h->link);
	st->n_nlm_hosts++;
	eff->host_new = !host_addr_shared(st, h);
	return h;
}

static bool host_empty(const struct state_client *h)
{
	return list_empty(&h->owners) && h->nlm_blocks == 0 && h->nlm_shares == 0;
}

static void host_free(struct state_server *st, struct state_client *h)
{
	list_del(&h->link);
	st->n_nlm_hosts--;
	free(h->name);
	free(h);
}

/* Ends a call: a host left with nothing goes (and NSM stops watching it,
 * unless this very call made it). */
static void host_maybe_free(struct state_server *st, struct state_client *h,
			    struct state_nlm_effect *eff)
{
	if (!h || !host_empty(h))
		return;
	bool shared = host_addr_shared(st, h);
	host_free(st, h);
	if (eff->host_new)
		eff->host_new = false;
	else
		eff->host_gone = !shared;
}

/* Under the state lock, the start of a call that takes state for o on
 * file (LOCK, SHARE): the grace period's answer, then o's host and the file,
 * each made when missing (*h, *f; NULL when not had). */
static uint32_t host_file_get(struct state_server *st, const struct state_nlm_owner *o,
			      const struct state_file_key *file, bool reclaim,
			      struct state_nlm_effect *eff, struct state_client **h,
			      struct state_file **f)
{
	*h = NULL;
	*f = NULL;
	uint32_t stat = grace_status(st, reclaim);
	if (stat != NLM4_GRANTED)
		return stat;
	if (!(*h = host_get(st, o->host, o->host_len, o->addr, eff)) ||
	    !(*f = state_file_get(st, file, true)))
		return NLM4_DENIED_NOLOCKS;
	return NLM4_GRANTED;
}

/* Under the state lock, the start of a call that lets go of o's state
 * (UNLOCK, CANCEL): the grace period's answer, then o's host (*h, NULL
 * when it holds nothing). */
static uint32_t host_known(struct state_server *st, const struct state_nlm_owner *o,
			   struct state_client **h)
{
	*h = NULL;
	uint32_t stat = grace_status(st, false);
	if (stat == NLM4_GRANTED)
		*h = host_find(st, o->host, o->host_len, o->addr);
	return stat;
}

/* --- lock states ------------------------------------------------------------ */

/* The owner's lock state on f, made (with the owner) when missing; NULL
 * at a cap or out of memory. */
static struct state_lockst *lockst_get(struct state_server *st, struct state_client *h,
				       struct state_file *f, const uint8_t *ob, uint32_t olen)
{
	struct state_owner *lo = state_owner_find(st, h->clientid, STATE_OWNER_LOCK, ob, olen);
	bool new_owner = false;
	if (!lo) {
		if (!(lo = state_owner_create(st, h, STATE_OWNER_LOCK, ob, olen)))
			return NULL;
		lo->confirmed = true;
		new_owner = true;
	}
	struct state_lockst *ls = state_lockst_of(f, lo);
	if (ls)
		return ls;
	if (state_room_for(st, h, STATE_CAP_LOCKS, h->n_lock_states) &&
	    (ls = calloc(1, sizeof(*ls)))) {
		ls->nlm = true;
		state_stid_init(st, &ls->s, STATE_STID_LOCK, lo, f);
		list_add_tail(&f->lock_states, &ls->s.file_link);
		st->n_lock_states++;
		h->n_lock_states++;
		return ls;
	}
	if (new_owner)
		state_owner_kill(st, lo);
	return NULL;
}

/* A lock state that holds no range any more goes, and its owner with
 * its last state.  f may be freed. */
static void lockst_maybe_free(struct state_server *st, struct state_lockst *ls)
{
	if (state_lockst_has_ranges(ls))
		return;
	struct state_owner *lo = ls->s.owner;
	state_lockst_free(st, ls);
	if (list_empty(&lo->states))
		state_owner_kill(st, lo);
}

static void fill_holder(const struct state_range *r, struct state_nlm_holder *h)
{
	const struct state_owner *o = r->ls->s.owner;
	h->exclusive = r->type == STATE_WRITE_LT;
	h->offset = r->start;
	h->len = r->last == UINT64_MAX ? 0 : r->last - r->start + 1;
	if (r->ls->nlm && o->len >= 4) {
		h->svid = (int32_t)xdr_get_be32(o->bytes);
		h->oh_len = o->len - 4;
		memcpy(h->oh, o->bytes + 4, h->oh_len);
	} else {
		/* An NFSv4 lock owner: no svid; its bytes identify it. */
		h->svid = 0;
		h->oh_len = o->len <= NLM4_MAXNETOBJ ? o->len : NLM4_MAXNETOBJ;
		memcpy(h->oh, o->bytes, h->oh_len);
	}
}

/* --- blocked LOCKs ------------------------------------------------------------ */

static bool block_is(const struct state_nlm_block *b, const struct state_client *h,
		     const uint8_t *ob, uint32_t olen, uint32_t type, uint64_t start, uint64_t last)
{
	return b->host == h && b->owner_len == olen && memcmp(b->owner, ob, olen) == 0 &&
	       b->type == type && b->start == start && b->last == last;
}

static struct state_nlm_block *block_find(struct state_file *f, const struct state_client *h,
					  const uint8_t *ob, uint32_t olen, uint32_t type,
					  uint64_t start, uint64_t last)
{
	list_for_each_entry(b, &f->nlm_blocks, struct state_nlm_block, file_link) {
		if (block_is(b, h, ob, olen, type, start, last))
			return b;
	}
	return NULL;
}

static void block_free(struct state_server *st, struct state_nlm_block *b)
{
	list_del(&b->file_link);
	list_del(&b->all_link);
	b->host->nlm_blocks--;
	st->n_nlm_blocks--;
	free(b->blob);
	free(b);
}

static uint32_t block_add(struct state_server *st, struct state_file *f, struct state_client *h,
			  const uint8_t *ob, uint32_t olen, uint32_t type, uint64_t start,
			  uint64_t last, const void *blob, uint32_t blob_len)
{
	struct state_nlm_block *b = block_find(f, h, ob, olen, type, start, last);
	if (b) {
		/* A retransmission, or the client asking again: same place in
		 * the line, the newest call's bytes for the grant (the old
		 * ones still make a valid grant when there is no memory). */
		uint8_t *nb = malloc(blob_len ? blob_len : 1);
		if (nb) {
			memcpy(nb, blob, blob_len);
			free(b->blob);
			b->blob = nb;
			b->blob_len = blob_len;
		}
		return NLM4_BLOCKED;
	}
	if (st->n_nlm_blocks >= STATE_NLM_BLOCKS_MAX || !(b = malloc(sizeof(*b) + olen)))
		return NLM4_DENIED_NOLOCKS;
	if (!(b->blob = malloc(blob_len ? blob_len : 1))) {
		free(b);
		return NLM4_DENIED_NOLOCKS;
	}
	b->file = f;
	b->host = h;
	b->type = type;
	b->start = start;
	b->last = last;
	b->owner_len = olen;
	memcpy(b->owner, ob, olen);
	b->blob_len = blob_len;
	memcpy(b->blob, blob, blob_len);
	list_add_tail(&f->nlm_blocks, &b->file_link);
	list_add_tail(blocks_all(st), &b->all_link);
	h->nlm_blocks++;
	st->n_nlm_blocks++;
	return NLM4_BLOCKED;
}

/* Deadlock detection for a blocking LOCK of owner lo on [start, last] of
 * f: it would wait for the holders of the conflicting locks; a holder that
 * is an NLM owner itself blocked (on any file) behind locks of lo, or of
 * an owner that in turn waits for lo, closes a cycle that no one could
 * ever break.  NFSv4 owners never wait on the server (their clients poll),
 * so a chain ends at them.  The walk is bounded: past DEADLOCK_WALK_MAX
 * owners it gives up and lets the request wait. */
enum { DEADLOCK_WALK_MAX = 64 };

static bool blocks_of_owner_reach(struct state_server *st, const struct state_owner *o,
				  const struct state_owner *target, const struct state_owner **todo,
				  unsigned *ntodo);

static bool holders_reach(const struct state_file *f, uint32_t type, uint64_t start,
			  uint64_t last, const struct state_owner *self,
			  const struct state_owner *target, const struct state_owner **todo,
			  unsigned *ntodo)
{
	list_for_each_entry(r, &f->ranges, const struct state_range, file_link) {
		if (r->start > last || start > r->last || !state_stid_live(&r->ls->s))
			continue;
		if (type != STATE_WRITE_LT && r->type != STATE_WRITE_LT)
			continue;
		const struct state_owner *o = r->ls->s.owner;
		if (o == self)
			continue;
		if (o == target)
			return true;
		if (!r->ls->nlm)
			continue;
		bool seen = false;
		for (unsigned i = 0; i < *ntodo && !seen; i++)
			seen = todo[i] == o;
		if (!seen && *ntodo < DEADLOCK_WALK_MAX)
			todo[(*ntodo)++] = o;
	}
	return false;
}

static bool blocks_of_owner_reach(struct state_server *st, const struct state_owner *o,
				  const struct state_owner *target, const struct state_owner **todo,
				  unsigned *ntodo)
{
	list_for_each_entry(b, blocks_all(st), const struct state_nlm_block, all_link) {
		if (b->host != o->client || b->owner_len != o->len ||
		    memcmp(b->owner, o->bytes, o->len) != 0)
			continue;
		if (holders_reach(b->file, b->type, b->start, b->last, o, target, todo, ntodo))
			return true;
	}
	return false;
}

static bool would_deadlock(struct state_server *st, const struct state_file *f, uint32_t type,
			   uint64_t start, uint64_t last, const struct state_owner *lo)
{
	if (!lo)
		return false; /* holding nothing, nobody can wait for it */
	const struct state_owner *todo[DEADLOCK_WALK_MAX];
	unsigned ntodo = 0;
	/* Whoever holds what lo wants ... */
	if (holders_reach(f, type, start, last, lo, NULL, todo, &ntodo))
		return false;
	/* ... and, breadth first, whoever they wait for: lo among them is a
	 * cycle. */
	for (unsigned i = 0; i < ntodo; i++)
		if (blocks_of_owner_reach(st, todo[i], lo, todo, &ntodo))
			return true;
	return false;
}

static void grant_queue(struct state_server *st, struct state_nlm_grant_item *g)
{
	g->next = NULL;
	*st->nlm_grants_tail = g;
	st->nlm_grants_tail = &g->next;
	atomic_store(&st->notices_queued, true);
}

/* One pass over the file's blocked LOCKs, in the order they came: each
 * that nothing is in the way of any more takes its lock.  True when one
 * did. */
static bool blocks_wake_pass(struct state_server *st, struct state_file *f)
{
	bool granted = false;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->nlm_blocks)
	{
		struct state_nlm_block *b = container_of(pos, struct state_nlm_block, file_link);
		struct state_client *h = b->host;
		const struct state_owner *lo = state_owner_find(st, h->clientid, STATE_OWNER_LOCK,
								 b->owner, b->owner_len);
		if (state_lock_conflict(f, b->type, b->start, b->last,
					lo ? state_range_of_owner : NULL, lo))
			continue;
		/* Its locks gone, a delegation may still stand in the way (one
		 * granted while it waited): recalled now if it was not, and
		 * the request goes on waiting. */
		if (state_delegs_in_way(st, f, 0, b->type == STATE_WRITE_LT))
			continue;
		struct state_range *nr, *spare;
		bool ranges = state_ranges_alloc(&nr, &spare);
		struct state_nlm_grant_item *g = malloc(sizeof(*g) + h->name_len + b->blob_len);
		struct state_lockst *ls =
			ranges && g ? lockst_get(st, h, f, b->owner, b->owner_len) : NULL;
		if (!ls) {
			/* Stays blocked: the next change of the file's locks
			 * tries again. */
			free(nr);
			free(spare);
			free(g);
			continue;
		}
		state_ranges_set(st, ls, b->type, b->start, b->last, nr, &spare);
		free(spare);
		g->host_len = h->name_len;
		memcpy(g->host, h->name, h->name_len);
		g->blob = g->host + h->name_len;
		g->blob_len = b->blob_len;
		memcpy(g->blob, b->blob, b->blob_len);
		grant_queue(st, g);
		st->nlm_granted_later++;
		block_free(st, b);
		granted = true;
	}
	return granted;
}

void state_nlm_blocks_wake(struct state_server *st, struct state_file *f)
{
	/* A granted lock replaces its owner's own locks on its range: a
	 * second blocked LOCK of an owner, a read lock inside a write lock
	 * its first one was just granted, turns part of that write lock into
	 * a read lock, and a reader that waits ahead of it, passed over as in
	 * the write lock's way, can go now.  So passes go on until one grants
	 * nothing (each grant takes a blocked LOCK off the list). */
	while (blocks_wake_pass(st, f))
		;
}

/* --- the calls ---------------------------------------------------------------- */

uint32_t state_nlm_test(struct state_server *st, const struct state_nlm_lock *l,
			struct state_nlm_holder *holder, struct state_nlm_backend *be)
{
	if (be)
		*be = (struct state_nlm_backend){0};
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(&l->owner, ob, &olen))
		return NLM4_FAILED;
	uint32_t type = lock_type(l->exclusive);
	uint64_t last = nlm_last(l->offset, l->len);
	pthread_mutex_lock(&st->lock);
	uint32_t stat = grace_status(st, false);
	if (stat != NLM4_GRANTED)
		goto out;
	struct state_file *f = state_file_get(st, l->file, false);
	if (!f)
		goto out;
	struct state_client *h = host_find(st, l->owner.host, l->owner.host_len, l->owner.addr);
	const struct state_owner *lo =
		h ? state_owner_find(st, h->clientid, STATE_OWNER_LOCK, ob, olen) : NULL;
	if (lo && be) {
		be->owner_known = true;
		be->owner_id = state_lock_owner_id(st, lo->clientid, lo->bytes, lo->len);
	}
	const struct state_range *c = state_lock_conflict(f, type, l->offset, last,
							  lo ? state_range_of_owner : NULL, lo);
	if (c) {
		fill_holder(c, holder);
		stat = NLM4_DENIED;
	}
out:
	pthread_mutex_unlock(&st->lock);
	return stat;
}

static uint32_t nlm_lock(struct state_server *st, const struct state_nlm_lock *l, bool block,
			 bool reclaim, int32_t nsm_state, const void *blob, uint32_t blob_len,
			 struct state_nlm_effect *eff, struct state_nlm_backend *be)
{
	memset(eff, 0, sizeof(*eff));
	if (be)
		*be = (struct state_nlm_backend){0};
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(&l->owner, ob, &olen) || blob_len > STATE_NLM_BLOB_MAX)
		return NLM4_FAILED;
	uint32_t type = lock_type(l->exclusive);
	uint64_t start = l->offset, last = nlm_last(l->offset, l->len);
	struct state_range *nr, *spare;
	if (!state_ranges_alloc(&nr, &spare))
		return NLM4_DENIED_NOLOCKS;
	pthread_mutex_lock(&st->lock);
	struct state_client *h = NULL;
	struct state_file *f = NULL;
	uint32_t stat = host_file_get(st, &l->owner, l->file, reclaim, eff, &h, &f);
	if (stat != NLM4_GRANTED)
		goto out;
	h->nlm_nsm_state = nsm_state;
	const struct state_owner *lo = state_owner_find(st, h->clientid, STATE_OWNER_LOCK, ob, olen);
	if (state_lock_conflict(f, type, start, last, lo ? state_range_of_owner : NULL, lo)) {
		if (!block)
			stat = NLM4_DENIED;
		else if (would_deadlock(st, f, type, start, last, lo))
			stat = NLM4_DEADLCK;
		else
			stat = block_add(st, f, h, ob, olen, type, start, last, blob, blob_len);
		goto out;
	}
	/* An NFSv4 client's delegation of the file: recalled (CB_RECALL goes
	 * out once the NLM layer kicks the outbox after the call); meanwhile a blocking
	 * request waits, and is granted once the delegation is gone. */
	if (!reclaim && state_delegs_in_way(st, f, 0, l->exclusive)) {
		stat = block && !be ? block_add(st, f, h, ob, olen, type, start, last, blob, blob_len)
				    : NLM4_DENIED;
		goto out;
	}
	struct state_lockst *ls;
	if (!state_room_for(st, h, STATE_CAP_LOCKS, h->n_locks) ||
	    !(ls = lockst_get(st, h, f, ob, olen))) {
		stat = NLM4_DENIED_NOLOCKS;
		goto out;
	}
	state_ranges_set(st, ls, type, start, last, nr, &spare);
	nr = NULL;
	if (be) {
		ls->backend = true;
		be->owner_known = true;
		be->owner_id = state_lock_owner_id(st, h->clientid, ob, olen);
	}
	/* Granted at once after all (a repeated request once the way
	 * cleared): it no longer waits. */
	struct state_nlm_block *b = block_find(f, h, ob, olen, type, start, last);
	if (b)
		block_free(st, b);
	/* A write lock turned into a read lock may let others in. */
	state_waiters_wake(st, f, true);
out:
	state_file_maybe_free(st, f);
	host_maybe_free(st, h, eff);
	pthread_mutex_unlock(&st->lock);
	free(nr);
	free(spare);
	return stat;
}

uint32_t state_nlm_lock(struct state_server *st, const struct state_nlm_lock *l, bool block,
			bool reclaim, int32_t nsm_state, const void *blob, uint32_t blob_len,
			struct state_nlm_effect *eff)
{
	return nlm_lock(st, l, block, reclaim, nsm_state, blob, blob_len, eff, NULL);
}

uint32_t state_nlm_lock_backend(struct state_server *st, const struct state_nlm_lock *l,
				bool reclaim, int32_t nsm_state, struct state_nlm_effect *eff,
				struct state_nlm_backend *be)
{
	return nlm_lock(st, l, false, reclaim, nsm_state, NULL, 0, eff, be);
}

uint32_t state_nlm_unlock(struct state_server *st, const struct state_nlm_lock *l,
			  struct state_nlm_effect *eff, struct state_nlm_backend *be)
{
	memset(eff, 0, sizeof(*eff));
	if (be)
		*be = (struct state_nlm_backend){.none_left = true};
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(&l->owner, ob, &olen))
		return NLM4_GRANTED; /* no such owner can hold anything */
	struct state_range *spare = malloc(sizeof(*spare));
	if (!spare)
		return NLM4_DENIED_NOLOCKS;
	pthread_mutex_lock(&st->lock);
	struct state_client *h = NULL;
	uint32_t stat = host_known(st, &l->owner, &h);
	if (stat != NLM4_GRANTED)
		goto out;
	struct state_owner *lo =
		h ? state_owner_find(st, h->clientid, STATE_OWNER_LOCK, ob, olen) : NULL;
	struct state_file *f = lo ? state_file_get(st, l->file, false) : NULL;
	struct state_lockst *ls = f ? state_lockst_of(f, lo) : NULL;
	if (lo && be) {
		be->owner_known = true;
		be->owner_id = state_lock_owner_id(st, lo->clientid, lo->bytes, lo->len);
	}
	if (ls) {
		state_ranges_cut(st, ls, l->offset, nlm_last(l->offset, l->len), &spare);
		state_waiters_wake(st, f, true);
		if (be)
			be->none_left = !state_lockst_has_ranges(ls);
		/* Emptied, it goes without a released notice: the caller lets
		 * the back end go. */
		lockst_maybe_free(st, ls);
	}
out:
	host_maybe_free(st, h, eff);
	pthread_mutex_unlock(&st->lock);
	free(spare);
	return stat;
}

uint32_t state_nlm_cancel(struct state_server *st, const struct state_nlm_lock *l,
			  struct state_nlm_effect *eff)
{
	memset(eff, 0, sizeof(*eff));
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(&l->owner, ob, &olen))
		return NLM4_GRANTED;
	pthread_mutex_lock(&st->lock);
	struct state_client *h = NULL;
	uint32_t stat = host_known(st, &l->owner, &h);
	if (stat != NLM4_GRANTED)
		goto out;
	struct state_file *f = h ? state_file_get(st, l->file, false) : NULL;
	struct state_nlm_block *b =
		f ? block_find(f, h, ob, olen, lock_type(l->exclusive), l->offset,
			       nlm_last(l->offset, l->len))
		  : NULL;
	if (b) {
		block_free(st, b);
		state_file_maybe_free(st, f);
	}
out:
	host_maybe_free(st, h, eff);
	pthread_mutex_unlock(&st->lock);
	return stat;
}

/* --- shares ----------------------------------------------------------------- */

bool state_nlm_share_conflicts(const struct state_file *f, uint32_t access, uint32_t deny,
			       const void *skip)
{
	list_for_each_entry(s, &f->nlm_shares, const struct state_nlm_share, file_link) {
		if ((const void *)s != skip && ((access & s->deny) || (deny & s->access)))
			return true;
	}
	return false;
}

static struct state_nlm_share *share_find(struct state_file *f, const struct state_client *h,
					  const uint8_t *ob, uint32_t olen)
{
	list_for_each_entry(s, &f->nlm_shares, struct state_nlm_share, file_link) {
		if (s->host == h && s->owner_len == olen && memcmp(s->owner, ob, olen) == 0)
			return s;
	}
	return NULL;
}

static void share_free(struct state_server *st, struct state_nlm_share *s)
{
	list_del(&s->file_link);
	list_del(&s->all_link);
	s->host->nlm_shares--;
	st->n_nlm_shares--;
	free(s);
}

uint32_t state_nlm_share(struct state_server *st, const struct state_nlm_owner *o,
			 const struct state_file_key *file, uint32_t access, uint32_t mode,
			 bool reclaim, struct state_nlm_effect *eff)
{
	memset(eff, 0, sizeof(*eff));
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(o, ob, &olen))
		return NLM4_FAILED;
	/* fsa_* and fsm_* have the bits of share_access and share_deny. */
	access &= STATE_SHARE_ACCESS_BOTH;
	mode &= STATE_SHARE_DENY_BOTH;
	pthread_mutex_lock(&st->lock);
	struct state_client *h = NULL;
	struct state_file *f = NULL;
	uint32_t stat = host_file_get(st, o, file, reclaim, eff, &h, &f);
	if (stat != NLM4_GRANTED)
		goto out;
	struct state_nlm_share *s = share_find(f, h, ob, olen);
	bool denied = state_nlm_share_conflicts(f, access, mode, s);
	list_for_each_entry(op, &f->opens, const struct state_open, s.file_link) {
		if (state_stid_live(&op->s) && ((access & op->deny) || (mode & op->access)))
			denied = true;
	}
	if (denied) {
		stat = NLM4_DENIED;
		goto out;
	}
	if (!s) {
		if (!state_room_for(st, h, STATE_CAP_OPENS, h->nlm_shares) ||
		    !(s = malloc(sizeof(*s) + olen))) {
			stat = NLM4_DENIED_NOLOCKS;
			goto out;
		}
		s->file = f;
		s->host = h;
		s->owner_len = olen;
		memcpy(s->owner, ob, olen);
		list_add_tail(&f->nlm_shares, &s->file_link);
		list_add_tail(shares_all(st), &s->all_link);
		h->nlm_shares++;
		st->n_nlm_shares++;
	}
	s->access = access;
	s->deny = mode;
out:
	state_file_maybe_free(st, f);
	host_maybe_free(st, h, eff);
	pthread_mutex_unlock(&st->lock);
	return stat;
}

uint32_t state_nlm_unshare(struct state_server *st, const struct state_nlm_owner *o,
			   const struct state_file_key *file, struct state_nlm_effect *eff)
{
	memset(eff, 0, sizeof(*eff));
	uint8_t ob[NFS4_OPAQUE_LIMIT];
	uint32_t olen;
	if (!owner_bytes(o, ob, &olen))
		return NLM4_GRANTED;
	pthread_mutex_lock(&st->lock);
	struct state_client *h = NULL;
	uint32_t stat = grace_status(st, false);
	if (stat != NLM4_GRANTED)
		goto out;
	h = host_find(st, o->host, o->host_len, o->addr);
	struct state_file *f = h ? state_file_get(st, file, false) : NULL;
	struct state_nlm_share *s = f ? share_find(f, h, ob, olen) : NULL;
	if (s) {
		share_free(st, s);
		state_file_maybe_free(st, f);
	}
out:
	host_maybe_free(st, h, eff);
	pthread_mutex_unlock(&st->lock);
	return stat;
}

/* --- a host goes -------------------------------------------------------------- */

/* Everything of h goes, then h.  Its blocked LOCKs first, so that the
 * wake-ups its locks' release makes grant nothing to it. */
static unsigned host_drop(struct state_server *st, struct state_client *h)
{
	unsigned locks = h->n_locks;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, blocks_all(st))
	{
		struct state_nlm_block *b = container_of(pos, struct state_nlm_block, all_link);
		if (b->host == h) {
			struct state_file *f = b->file;
			block_free(st, b);
			state_file_maybe_free(st, f);
		}
	}
	list_for_each_safe(pos, tmp, shares_all(st))
	{
		struct state_nlm_share *s = container_of(pos, struct state_nlm_share, all_link);
		if (s->host == h) {
			struct state_file *f = s->file;
			share_free(st, s);
			state_file_maybe_free(st, f);
		}
	}
	while (!list_empty(&h->owners)) {
		struct state_owner *o = container_of(h->owners.next, struct state_owner, client_link);
		state_owner_kill(st, o);
	}
	host_free(st, h);
	return locks;
}

unsigned state_nlm_free_host(struct state_server *st, const uint8_t *host, uint32_t host_len,
			     const char *addr, bool *known)
{
	pthread_mutex_lock(&st->lock);
	unsigned locks = 0;
	struct state_client *h;
	*known = false;
	while ((h = host_find(st, host, host_len, addr))) {
		*known = true;
		locks += host_drop(st, h);
	}
	pthread_mutex_unlock(&st->lock);
	return locks;
}

bool state_nlm_addr_held(struct state_server *st, const char *addr)
{
	pthread_mutex_lock(&st->lock);
	bool held = host_find(st, NULL, 0, addr) != NULL;
	pthread_mutex_unlock(&st->lock);
	return held;
}

void state_nlm_fini(struct state_server *st)
{
	while (!list_empty(&st->nlm_hosts))
		host_drop(st, container_of(st->nlm_hosts.next, struct state_client, link));
	while (st->nlm_grants) {
		struct state_nlm_grant_item *g = st->nlm_grants;
		st->nlm_grants = g->next;
		free(g);
	}
	st->nlm_grants_tail = &st->nlm_grants;
}

/* --- grace ------------------------------------------------------------------- */

void state_nlm_grace_begin(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	uint64_t end = state_now_ms() + st->opts.grace_ms;
	if (!st->grace || st->grace_end_ms < end)
		st->grace_end_ms = end;
	st->grace = true;
	st->nlm_grace_end_ms = end;
	pthread_mutex_unlock(&st->lock);
	log_info("state: NLM hosts held locks before the restart: grace period of %u ms",
		 st->opts.grace_ms);
}

bool state_nlm_grace_over(struct state_server *st)
{
	pthread_mutex_lock(&st->lock);
	bool over = !state_grace_active(st, state_now_ms());
	pthread_mutex_unlock(&st->lock);
	return over;
}

/* --- grants ------------------------------------------------------------------- */

void state_nlm_grant_hook_set(struct state_server *st, state_nlm_grant_fn fn, void *ctx)
{
	pthread_mutex_lock(&st->lock);
	st->nlm_grant_fn = fn;
	st->nlm_grant_ctx = ctx;
	while (st->notify_busy)
		pthread_cond_wait(&st->notify_cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

struct state_nlm_grant_item *state_nlm_grants_take(struct state_server *st)
{
	struct state_nlm_grant_item *list = st->nlm_grants;
	st->nlm_grants = NULL;
	st->nlm_grants_tail = &st->nlm_grants;
	return list;
}

void state_nlm_grants_send(struct state_nlm_grant_item *list, state_nlm_grant_fn fn, void *ctx)
{
	if (list && !fn)
		log_warn("state: NLM locks granted with nobody to tell their clients");
	while (list) {
		struct state_nlm_grant_item *g = list;
		list = g->next;
		if (fn) {
			struct state_nlm_grant ng = {
				.host = g->host,
				.host_len = g->host_len,
				.blob = g->blob,
				.blob_len = g->blob_len,
			};
			fn(ctx, &ng);
		}
		free(g);
	}
}

/* --- the control plane ---------------------------------------------------------- */

void state_nlm_get_stats(struct state_server *st, struct state_nlm_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&st->lock);
	out->hosts = st->n_nlm_hosts;
	out->blocked = st->n_nlm_blocks;
	out->shares = st->n_nlm_shares;
	list_for_each_entry(h, &st->nlm_hosts, struct state_client, link)
		out->locks += h->n_locks;
	out->granted_later = st->nlm_granted_later;
	pthread_mutex_unlock(&st->lock);
}

int state_nlm_list_hosts(struct state_server *st, struct state_nlm_host_info **out)
{
	pthread_mutex_lock(&st->lock);
	size_t n = st->n_nlm_hosts;
	struct state_nlm_host_info *v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&st->lock);
		return -ENOMEM;
	}
	size_t i = 0;
	list_for_each_entry(h, &st->nlm_hosts, struct state_client, link) {
		if (i == n)
			break;
		struct state_nlm_host_info *hi = &v[i++];
		uint32_t len = h->name_len <= NLM4_MAXSTRLEN ? h->name_len : NLM4_MAXSTRLEN;
		memcpy(hi->name, h->name, len);
		hi->name[len] = '\0';
		hi->nsm_state = h->nlm_nsm_state;
		snprintf(hi->addr, sizeof(hi->addr), "%s", h->nlm_addr);
		hi->locks = h->n_locks;
		hi->blocked = h->nlm_blocks;
		hi->shares = h->nlm_shares;
		list_for_each_entry(o, &h->owners, const struct state_owner, client_link)
			hi->owners++;
	}
	pthread_mutex_unlock(&st->lock);
	*out = v;
	return (int)i;
}

/* --- handing over --------------------------------------------------------------- */

/* it's owner from an owner's bytes (the svid, then oh). */
static void item_owner(struct state_nlm_item *it, const struct state_client *h,
		       const uint8_t *ob, uint32_t olen)
{
	it->lock.owner = (struct state_nlm_owner){
		.host = h->name,
		.host_len = h->name_len,
		.addr = h->nlm_addr,
		.svid = (int32_t)xdr_get_be32(ob),
		.oh = ob + 4,
		.oh_len = olen - 4,
	};
	it->nsm_state = h->nlm_nsm_state;
}

/* NLM's offset and length of an inclusive range. */
static void item_range(struct state_nlm_item *it, uint64_t start, uint64_t last)
{
	it->lock.offset = start;
	it->lock.len = last == UINT64_MAX ? 0 : last - start + 1;
}

static bool visit_host_locks(struct state_server *st, struct state_client *h,
			     bool (*fn)(void *arg, const struct state_nlm_item *it), void *arg)
{
	list_for_each_entry(o, &h->owners, struct state_owner, client_link) {
		if (o->kind != STATE_OWNER_LOCK || o->dead || o->len < 4)
			continue;
		list_for_each_entry(ls, &o->states, struct state_lockst, s.owner_link) {
			if (!ls->s.file)
				continue;
			list_for_each_entry(r, &ls->s.file->ranges, struct state_range, file_link) {
				if (r->ls != ls)
					continue;
				struct state_nlm_item it = {.kind = STATE_NLM_ITEM_LOCK,
							    .backend = ls->backend};
				item_owner(&it, h, o->bytes, o->len);
				it.lock.file = &ls->s.file->key;
				it.lock.exclusive = r->type == STATE_WRITE_LT;
				item_range(&it, r->start, r->last);
				if (!fn(arg, &it))
					return false;
			}
		}
	}
	return true;
}

bool state_nlm_visit(struct state_server *st,
		     bool (*fn)(void *arg, const struct state_nlm_item *it), void *arg)
{
	bool go = true;
	pthread_mutex_lock(&st->lock);
	list_for_each_entry(h, &st->nlm_hosts, struct state_client, link) {
		if (!(go = visit_host_locks(st, h, fn, arg)))
			break;
	}
	list_for_each_entry(sh, shares_all(st), struct state_nlm_share, all_link) {
		if (!go || sh->owner_len < 4)
			break;
		struct state_nlm_item it = {.kind = STATE_NLM_ITEM_SHARE, .access = sh->access,
					    .deny = sh->deny};
		item_owner(&it, sh->host, sh->owner, sh->owner_len);
		it.lock.file = &sh->file->key;
		go = fn(arg, &it);
	}
	list_for_each_entry(b, blocks_all(st), struct state_nlm_block, all_link) {
		if (!go || b->owner_len < 4)
			break;
		struct state_nlm_item it = {.kind = STATE_NLM_ITEM_BLOCK, .blob = b->blob,
					    .blob_len = b->blob_len};
		item_owner(&it, b->host, b->owner, b->owner_len);
		it.lock.file = &b->file->key;
		it.lock.exclusive = b->type == STATE_WRITE_LT;
		item_range(&it, b->start, b->last);
		go = fn(arg, &it);
	}
	pthread_mutex_unlock(&st->lock);
	return go;
}
