/* Byte-range locks (RFC 7530 9.2, 16.10-16.12, 16.37) and the stateid
 * check of READ/WRITE/SETATTR(size).
 *
 * POSIX semantics: one lock state per (lock owner, file) holds that owner's
 * ranges; a new lock replaces whatever the owner held on the range, then
 * merges with the owner's adjacent ranges of the same type.  Owners conflict
 * when their ranges overlap and either is a write lock, whatever client they
 * belong to.  Ranges are inclusive [start, last]; last UINT64_MAX is "to the
 * end of the file". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state/base/state_internal.h"

enum nfsstat4 state_check_range(uint64_t offset, uint64_t length)
{
	if (length == 0)
		return NFS4ERR_INVAL;
	/* RFC 7530 16.10.4: offset + length past 2^64 - 1 is invalid (a
	 * server limited to 32-bit offsets would say BAD_RANGE; Ferry is not). */
	if (length != STATE_LENGTH_EOF && length - 1 > UINT64_MAX - offset)
		return NFS4ERR_INVAL;
	return NFS4_OK;
}

uint64_t state_lock_owner_id(const struct state_server *st, uint64_t clientid,
			     const uint8_t *owner, uint32_t owner_len)
{
	/* A domain byte apart from the owner table's keys, so the id says
	 * nothing of a bucket. */
	uint8_t head[9];
	memcpy(head, &clientid, 8);
	head[8] = 'L';
	return state_hash(st, head, sizeof(head), owner, owner_len);
}

uint64_t state_range_last(uint64_t offset, uint64_t length)
{
	return length == STATE_LENGTH_EOF ? UINT64_MAX : offset + (length - 1);
}

static bool overlaps(const struct state_range *r, uint64_t start, uint64_t last)
{
	return r->start <= last && start <= r->last;
}

/* READW/WRITEW are served as READ/WRITE: a denied lock is reported at once
 * (the server never holds a request back); in v4.1 the owner is also
 * remembered and notified when the lock may be free (state_lock_wait.c),
 * in v4.0 the client polls. */
static uint32_t lock_type_norm(uint32_t type)
{
	switch (type) {
	case STATE_READ_LT:
	case STATE_READW_LT:
		return STATE_READ_LT;
	case STATE_WRITE_LT:
	case STATE_WRITEW_LT:
		return STATE_WRITE_LT;
	default:
		return 0;
	}
}

/* The client whose caps a lock state counts against (NULL once its owner
 * is dead: everything of it is going). */
static struct state_client *lockst_client(const struct state_lockst *ls)
{
	return ls->s.owner->client;
}

static void range_count(struct state_server *st, const struct state_range *r, int delta)
{
	st->n_locks += (unsigned)delta;
	struct state_client *cl = lockst_client(r->ls);
	if (cl)
		cl->n_locks += (unsigned)delta;
}

static void range_free(struct state_server *st, struct state_range *r)
{
	list_del(&r->file_link);
	range_count(st, r, -1);
	free(r);
}

static void lock_kind_free(struct state_server *st, struct state_stid *s)
{
	state_lockst_free(st, (struct state_lockst *)s);
}

/* A lock state holding no lock may go; its owner with it when it was the
 * owner's last. */
static enum nfsstat4 lock_kind_free_stateid(struct state_server *st, struct state_stid *s,
					    enum nfsstat4 tested)
{
	(void)tested;
	struct state_lockst *ls = (struct state_lockst *)s;
	if (state_lockst_has_ranges(ls))
		return NFS4ERR_LOCKS_HELD;
	struct state_owner *lo = ls->s.owner;
	state_lockst_free(st, ls);
	state_owner_release_if_empty(st, lo, 0);
	return NFS4_OK;
}

static const struct state_stid_kind lock_kind = {
	.free = lock_kind_free,
	.free_stateid = lock_kind_free_stateid,
};

void state_locks_init(struct state_server *st)
{
	state_stid_kind_set(st, STATE_STID_LOCK, &lock_kind);
}

bool state_lockst_has_ranges(const struct state_lockst *ls)
{
	list_for_each_entry(r, &ls->s.file->ranges, const struct state_range, file_link)
		if (r->ls == ls)
			return true;
	return false;
}

void state_lockst_free(struct state_server *st, struct state_lockst *ls)
{
	struct state_file *f = ls->s.file;
	struct list_node *pos, *tmp;
	bool had_ranges = false;
	list_for_each_safe(pos, tmp, &f->ranges)
	{
		struct state_range *r = container_of(pos, struct state_range, file_link);
		if (r->ls == ls) {
			range_free(st, r);
			had_ranges = true;
		}
	}
	if (had_ranges)
		state_waiters_wake(st, f, true);
	/* The back end holds them too (backend_ops.lock); it is told after
	 * st->lock is released. */
	if (had_ranges && ls->backend)
		state_lock_release_queue(st, ls->s.owner, f);
	list_del(&ls->s.file_link);
	hashtable_remove(&st->stids, &ls->s.node);
	list_del(&ls->s.owner_link);
	st->n_lock_states--;
	if (lockst_client(ls))
		lockst_client(ls)->n_lock_states--;
	free(ls);
	state_file_maybe_free(st, f);
}

const struct state_range *state_lock_conflict(const struct state_file *f, uint32_t type,
					      uint64_t start, uint64_t last,
					      state_range_skip_fn skip, const void *arg)
{
	list_for_each_entry(r, &f->ranges, const struct state_range, file_link) {
		if (!overlaps(r, start, last) || !state_stid_live(&r->ls->s))
			continue;
		if (type != STATE_WRITE_LT && r->type != STATE_WRITE_LT)
			continue;
		if (skip && skip(r, arg))
			continue;
		return r;
	}
	return NULL;
}

bool state_range_of_owner(const struct state_range *r, const void *owner)
{
	return r->ls->s.owner == owner;
}

static bool skip_open(const struct state_range *r, const void *open)
{
	return r->ls->open == open;
}

/* I/O under a delegation: the holder's own locks do not block it. */
static bool skip_client(const struct state_range *r, const void *clientid)
{
	return r->ls->s.owner->clientid == *(const uint64_t *)clientid;
}

static void fill_denied(const struct state_range *r, struct state_lock_denied *d)
{
	const struct state_owner *o = r->ls->s.owner;
	d->offset = r->start;
	d->length = r->last == UINT64_MAX ? STATE_LENGTH_EOF : r->last - r->start + 1;
	d->type = r->type;
	d->clientid = o->clientid;
	d->owner_len = o->len;
	memcpy(d->owner, o->bytes, o->len);
}

/* Removes [start, last] from ls's ranges.  spare, when the cut splits a
 * range in two, becomes the right half (and is then set to NULL). */
void state_ranges_cut(struct state_server *st, struct state_lockst *ls, uint64_t start,
		       uint64_t last, struct state_range **spare)
{
	struct state_file *f = ls->s.file;
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->ranges)
	{
		struct state_range *r = container_of(pos, struct state_range, file_link);
		if (r->ls != ls || !overlaps(r, start, last))
			continue;
		if (r->start >= start && r->last <= last) {
			range_free(st, r);
		} else if (r->start < start && r->last > last) {
			struct state_range *right = *spare;
			*spare = NULL;
			*right = *r;
			right->start = last + 1;
			r->last = start - 1;
			list_add_tail(&f->ranges, &right->file_link);
			range_count(st, right, 1);
		} else if (r->start < start) {
			r->last = start - 1;
		} else {
			r->start = last + 1;
		}
	}
}

bool state_ranges_alloc(struct state_range **nr, struct state_range **spare)
{
	*nr = malloc(sizeof(**nr));
	*spare = malloc(sizeof(**spare));
	if (*nr && *spare)
		return true;
	free(*nr);
	free(*spare);
	*nr = *spare = NULL;
	return false;
}

/* Gives ls a lock of type over [start, last]: needs two preallocated
 * ranges (the new one and a possible split). */
void state_ranges_set(struct state_server *st, struct state_lockst *ls, uint32_t type,
		       uint64_t start, uint64_t last, struct state_range *nr,
		       struct state_range **spare)
{
	struct state_file *f = ls->s.file;
	state_ranges_cut(st, ls, start, last, spare);
	/* Merge with adjacent ranges of the owner of the same type. */
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &f->ranges)
	{
		struct state_range *r = container_of(pos, struct state_range, file_link);
		if (r->ls != ls || r->type != type)
			continue;
		if (r->last != UINT64_MAX && r->last + 1 == start) {
			start = r->start;
			range_free(st, r);
		} else if (last != UINT64_MAX && last + 1 == r->start) {
			last = r->last;
			range_free(st, r);
		}
	}
	nr->ls = ls;
	nr->type = type;
	nr->start = start;
	nr->last = last;
	list_add_tail(&f->ranges, &nr->file_link);
	range_count(st, nr, 1);
}

struct state_lockst *state_lockst_of(struct state_file *f, const struct state_owner *lo)
{
	struct state_stid *s = state_stid_of_owner(&f->lock_states, lo);
	return s ? container_of(s, struct state_lockst, s) : NULL;
}

static struct state_lockst *lockst_new(struct state_server *st, struct state_owner *lo,
				       struct state_open *op)
{
	if (!state_room_for(st, lo->client, STATE_CAP_LOCKS, lo->client->n_lock_states))
		return NULL;
	struct state_lockst *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return NULL;
	ls->open = op;
	state_stid_init(st, &ls->s, STATE_STID_LOCK, lo, op->s.file);
	list_add_tail(&op->s.file->lock_states, &ls->s.file_link);
	st->n_lock_states++;
	lo->client->n_lock_states++;
	return ls;
}

struct state_lockst *state_lockst_carried(struct state_server *st, struct state_owner *lo,
					  struct state_open *op, const uint8_t other[NFS4_OTHER_SIZE],
					  uint32_t seqid)
{
	struct state_lockst *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return NULL;
	ls->open = op;
	state_stid_init_as(st, &ls->s, STATE_STID_LOCK, lo, op->s.file, other, seqid);
	list_add_tail(&op->s.file->lock_states, &ls->s.file_link);
	st->n_lock_states++;
	lo->client->n_lock_states++;
	return ls;
}

static enum nfsstat4 grace_rules(struct state_server *st, const struct state_client *cl,
				 bool reclaim)
{
	uint64_t now = state_now_ms();
	bool grace = state_grace_active(st, now);
	if (reclaim)
		return !grace || cl->reclaim_complete		? NFS4ERR_NO_GRACE
		       : !cl->reclaimable			? NFS4ERR_RECLAIM_BAD
		       : state_cluster_reclaims_wait(st, now) ? NFS4ERR_DELAY
							: NFS4_OK;
	return grace ? NFS4ERR_GRACE : NFS4_OK;
}

/* LOCK through an open (new lock owner): finds or makes the lock owner
 * and its lock state.  *created says what to undo if the lock fails. */
static enum nfsstat4 lock_from_open(struct state_server *st, struct state_owner *oo,
				    const struct state_file_key *file,
				    const struct state_lock_args *a, uint32_t minor,
				    struct state_lockst **out, bool *created_owner,
				    bool *created_ls)
{
	struct state_stid *s;
	enum nfsstat4 status = state_stid_lookup(st, &a->open_stateid, file, minor, &s);
	if (status != NFS4_OK)
		return status;
	if (s->type != STATE_STID_OPEN || s->owner != oo)
		return NFS4ERR_BAD_STATEID;
	struct state_client *cl;
	if ((status = state_client_use(st, a->lock_clientid, &cl)) != NFS4_OK)
		return status;
	if (cl != oo->client)
		return NFS4ERR_BAD_STATEID;
	struct state_owner *lo = state_owner_find(st, a->lock_clientid, STATE_OWNER_LOCK,
						  a->lock_owner, a->lock_owner_len);
	if (lo) {
		/* A known lock owner named as new (a client that forgot its
		 * lock stateid): only with the seqid that comes next. */
		if (minor == 0 && lo->has_seqid && a->lock_seqid != lo->seqid + 1)
			return NFS4ERR_BAD_SEQID;
		if (!a->dry_run)
			lo->seqid = a->lock_seqid;
	} else {
		lo = state_owner_create(st, cl, STATE_OWNER_LOCK, a->lock_owner,
					a->lock_owner_len);
		if (!lo)
			return NFS4ERR_RESOURCE;
		lo->confirmed = true;
		lo->has_seqid = minor == 0;
		lo->seqid = a->lock_seqid;
		*created_owner = true;
	}
	struct state_lockst *ls = state_lockst_of(s->file, lo);
	if (!ls) {
		if (!(ls = lockst_new(st, lo, (struct state_open *)s))) {
			if (*created_owner)
				state_owner_kill(st, lo);
			*created_owner = false;
			return NFS4ERR_RESOURCE;
		}
		*created_ls = true;
	}
	*out = ls;
	return NFS4_OK;
}

/* Undoes what lock_from_open made for a lock that was not granted. */
static void lock_undo_new(struct state_server *st, struct state_lockst *ls, bool created_owner,
			  bool created_ls)
{
	struct state_owner *lo = ls->s.owner;
	if (created_ls)
		state_lockst_free(st, ls);
	if (created_owner && list_empty(&lo->states))
		state_owner_kill(st, lo);
}

enum nfsstat4 state_lock(struct state_server *st, struct state_owner *o,
			 const struct state_file_key *file, const struct state_lock_args *a,
			 uint32_t minor, struct nfs4_stateid *out, struct state_lock_denied *denied)
{
	uint32_t type = lock_type_norm(a->type);
	enum nfsstat4 status = state_check_range(a->offset, a->length);
	if (status != NFS4_OK)
		return status;
	if (!type)
		return NFS4ERR_INVAL;
	uint64_t start = a->offset, last = state_range_last(a->offset, a->length);
	struct state_range *nr, *spare;
	if (!state_ranges_alloc(&nr, &spare))
		return NFS4ERR_RESOURCE;
	pthread_mutex_lock(&st->lock);
	struct state_lockst *ls = NULL;
	bool created_owner = false, created_ls = false, is_new = a->new_owner;
	if (o->dead) {
		status = NFS4ERR_EXPIRED;
		goto out;
	}
	if (is_new) {
		status = lock_from_open(st, o, file, a, minor, &ls, &created_owner, &created_ls);
	} else {
		struct state_stid *s;
		status = state_stid_lookup(st, &a->lock_stateid, file, minor, &s);
		if (status == NFS4_OK && (s->type != STATE_STID_LOCK || s->owner != o))
			status = NFS4ERR_BAD_STATEID;
		if (status == NFS4_OK)
			ls = (struct state_lockst *)s;
	}
	if (status != NFS4_OK)
		goto out;
	if (a->owner_id)
		*a->owner_id = state_lock_owner_id(st, ls->s.owner->clientid, ls->s.owner->bytes,
						   ls->s.owner->len);
	uint32_t need = type == STATE_WRITE_LT ? STATE_SHARE_ACCESS_WRITE : STATE_SHARE_ACCESS_READ;
	if ((status = grace_rules(st, ls->s.owner->client, a->reclaim)) == NFS4_OK &&
	    !(ls->open->access & need))
		status = NFS4ERR_OPENMODE;
	const struct state_range *c = NULL;
	struct state_owner *lo = ls->s.owner;
	/* A lock may add two ranges (itself, and the split of one it cuts
	 * into); one past the cap at most, and no check on LOCKU, which
	 * only ever gives back. */
	if (status == NFS4_OK &&
	    !state_room_for(st, lockst_client(ls), STATE_CAP_LOCKS, lockst_client(ls)->n_locks))
		status = NFS4ERR_RESOURCE;
	if (status == NFS4_OK &&
	    (c = state_lock_conflict(ls->s.file, type, start, last, state_range_of_owner, lo))) {
		fill_denied(c, denied);
		status = NFS4ERR_DENIED;
		/* Before the undo below, which may take the owner with it;
		 * the waiter keeps the file (and the open keeps it anyway). */
		if (minor >= 1 && (a->type == STATE_READW_LT || a->type == STATE_WRITEW_LT))
			state_waiter_add(st, ls->s.file, lo->clientid, lo->bytes, lo->len, type,
					 start, last);
	}
	if (status != NFS4_OK || a->dry_run) {
		if (ls && is_new)
			lock_undo_new(st, ls, created_owner, created_ls);
		goto out;
	}
	if (a->backend)
		ls->backend = true;
	state_ranges_set(st, ls, type, start, last, nr, &spare);
	nr = NULL;
	state_waiter_drop(st, ls->s.file, lo->clientid, lo->bytes, lo->len);
	/* A write lock turned into a read lock (or narrowed) may free what
	 * others wait for. */
	state_waiters_wake(st, ls->s.file, true);
	/* A new lock state starts at seqid 1; an existing one moves on. */
	if (!created_ls)
		state_stid_bump(&ls->s);
	state_stid_export(&ls->s, out);
out:
	pthread_mutex_unlock(&st->lock);
	free(nr);
	free(spare);
	return status;
}

enum nfsstat4 state_locku(struct state_server *st, struct state_owner *o,
			  const struct nfs4_stateid *sid, const struct state_file_key *file,
			  uint64_t offset, uint64_t length, uint32_t minor,
			  struct nfs4_stateid *out)
{
	struct state_locku_left left;
	return state_locku_left(st, o, sid, file, offset, length, minor, out, &left);
}

enum nfsstat4 state_locku_left(struct state_server *st, struct state_owner *o,
			       const struct nfs4_stateid *sid, const struct state_file_key *file,
			       uint64_t offset, uint64_t length, uint32_t minor,
			       struct nfs4_stateid *out, struct state_locku_left *left)
{
	enum nfsstat4 status = state_check_range(offset, length);
	if (status != NFS4_OK)
		return status;
	struct state_range *spare = malloc(sizeof(*spare));
	if (!spare)
		return NFS4ERR_RESOURCE;
	pthread_mutex_lock(&st->lock);
	struct state_stid *s;
	status = state_stid_lookup(st, sid, file, minor, &s);
	if (status == NFS4_OK && (s->type != STATE_STID_LOCK || s->owner != o))
		status = NFS4ERR_BAD_STATEID;
	if (status == NFS4_OK) {
		state_ranges_cut(st, (struct state_lockst *)s, offset, state_range_last(offset, length),
			   &spare);
		state_waiters_wake(st, s->file, true);
		state_stid_bump(s);
		state_stid_export(s, out);
		left->owner_id = state_lock_owner_id(st, o->clientid, o->bytes, o->len);
		left->none = !state_lockst_has_ranges((struct state_lockst *)s);
	}
	pthread_mutex_unlock(&st->lock);
	free(spare);
	return status;
}

enum nfsstat4 state_lockt(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			  uint32_t owner_len, const struct state_file_key *file, uint32_t type,
			  uint64_t offset, uint64_t length, struct state_lock_denied *denied)
{
	enum nfsstat4 status = state_check_range(offset, length);
	if (status != NFS4_OK)
		return status;
	if (!(type = lock_type_norm(type)))
		return NFS4ERR_INVAL;
	pthread_mutex_lock(&st->lock);
	struct state_client *cl;
	if ((status = state_client_use(st, clientid, &cl)) == NFS4_OK &&
	    (status = grace_rules(st, cl, false)) == NFS4_OK) {
		struct state_file *f = state_file_get(st, file, false);
		struct state_owner *lo =
			state_owner_find(st, clientid, STATE_OWNER_LOCK, owner, owner_len);
		const struct state_range *c =
			f ? state_lock_conflict(f, type, offset, state_range_last(offset, length), state_range_of_owner,
					  lo)
			  : NULL;
		if (c) {
			fill_denied(c, denied);
			status = NFS4ERR_DENIED;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return status;
}

bool state_lock_owner_holds(struct state_server *st, uint64_t clientid, const uint8_t *owner,
			    uint32_t owner_len, const struct state_file_key *file)
{
	pthread_mutex_lock(&st->lock);
	const struct state_owner *lo =
		state_owner_find(st, clientid, STATE_OWNER_LOCK, owner, owner_len);
	struct state_file *f = lo ? state_file_get(st, file, false) : NULL;
	const struct state_lockst *ls = f ? state_lockst_of(f, lo) : NULL;
	bool holds = ls && state_lockst_has_ranges(ls);
	pthread_mutex_unlock(&st->lock);
	return holds;
}

enum nfsstat4 state_release_lockowner(struct state_server *st, uint64_t clientid,
				      const uint8_t *owner, uint32_t owner_len)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl;
	enum nfsstat4 status = state_client_use(st, clientid, &cl);
	struct state_owner *lo =
		status == NFS4_OK
			? state_owner_find(st, clientid, STATE_OWNER_LOCK, owner, owner_len)
			: NULL;
	if (lo) {
		list_for_each_entry(ls, &lo->states, struct state_lockst, s.owner_link) {
			if (state_lockst_has_ranges(ls)) {
				status = NFS4ERR_LOCKS_HELD;
				break;
			}
		}
		if (status == NFS4_OK)
			state_owner_kill(st, lo);
	}
	if (status == NFS4_OK)
		state_waiters_forget(st, clientid, owner, owner_len);
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* --- the I/O check ----------------------------------------------------------- */

static enum nfsstat4 check_io_special(struct state_server *st, const struct state_file_key *file,
				      bool write, bool bypass, uint64_t start, uint64_t length)
{
	/* A reclaim could still bring back a deny or a lock this I/O would
	 * violate. */
	if (state_grace_active(st, state_now_ms()))
		return NFS4ERR_GRACE;
	struct state_file *f = state_file_get(st, file, false);
	if (!f)
		return NFS4_OK;
	uint32_t deny = write ? STATE_SHARE_DENY_WRITE : STATE_SHARE_DENY_READ;
	list_for_each_entry(op, &f->opens, const struct state_open, s.file_link)
		if ((op->deny & deny) && state_stid_live(&op->s))
			return NFS4ERR_LOCKED;
	uint32_t as = write ? STATE_WRITE_LT : STATE_READ_LT;
	if (length != 0 && !(bypass && !write) &&
	    state_lock_conflict(f, as, start, state_range_last(start, length), NULL, NULL))
		return NFS4ERR_LOCKED;
	/* A special stateid is another client to every delegation. */
	return state_delegs_in_way(st, f, 0, write) ? NFS4ERR_DELAY : NFS4_OK;
}

enum nfsstat4 state_check_io(struct state_server *st, uint64_t clientid,
			     const struct nfs4_stateid *sid, const struct state_file_key *file,
			     bool write, uint64_t offset, uint64_t length, uint32_t minor)
{
	bool anon = state_stid_is_special(sid, 0, 0);
	bool bypass = state_stid_is_special(sid, 0xff, UINT32_MAX);
	/* A range that runs past 2^64 is clipped: it covers to the end. */
	if (length != 0 && length != STATE_LENGTH_EOF && length - 1 > UINT64_MAX - offset)
		length = STATE_LENGTH_EOF;
	pthread_mutex_lock(&st->lock);
	enum nfsstat4 status;
	if (anon || bypass) {
		status = check_io_special(st, file, write, bypass, offset, length);
		goto out;
	}
	struct state_stid *s;
	if ((status = state_stid_lookup(st, sid, file, minor, &s)) != NFS4_OK)
		goto out;
	if (state_stid_foreign(s, clientid)) {
		status = NFS4ERR_BAD_STATEID;
		goto out;
	}
	if (s->type == STATE_STID_DELEG) {
		const struct state_deleg *d = container_of(s, struct state_deleg, s);
		uint64_t holder = s->owner->clientid;
		if (write && d->type != OPEN_DELEGATE_WRITE)
			status = NFS4ERR_OPENMODE;
		else if (length != 0 &&
			 state_lock_conflict(s->file, write ? STATE_WRITE_LT : STATE_READ_LT, offset,
				       state_range_last(offset, length), skip_client, &holder))
			status = NFS4ERR_LOCKED;
		goto out;
	}
	if (state_delegs_in_way(st, s->file, s->owner->clientid, write)) {
		/* Another client's delegation on a file this client has open
		 * (granted before its OPEN, now being recalled). */
		status = NFS4ERR_DELAY;
		goto out;
	}
	struct state_open *op = s->type == STATE_STID_OPEN ? (struct state_open *)s
							   : ((struct state_lockst *)s)->open;
	/* Reads are allowed with write-only access: clients read to fill the
	 * pages they partly write (RFC 7530 9.1.4.4 leaves it open). */
	if (write && !(op->access & STATE_SHARE_ACCESS_WRITE)) {
		status = NFS4ERR_OPENMODE;
		goto out;
	}
	if (length != 0 && state_lock_conflict(s->file, write ? STATE_WRITE_LT : STATE_READ_LT, offset,
					 state_range_last(offset, length), skip_open, op))
		status = NFS4ERR_LOCKED;
out:
	pthread_mutex_unlock(&st->lock);
	return status;
}

int state_backend_locks(struct state_server *st, struct state_backend_lock **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&st->lock);
	size_t count = 0, cap = 0;
	struct state_backend_lock *v = NULL;
	struct hashtable_iter it;
	int rc = 0;
	for (struct hashtable_node *node = hashtable_iter_first(&it, &st->files); node && !rc;
	     node = hashtable_iter_next(&it)) {
		const struct state_file *f = container_of(node, struct state_file, node);
		list_for_each_entry(r, &f->ranges, const struct state_range, file_link) {
			if (!r->ls->backend)
				continue;
			if (count == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				struct state_backend_lock *nv = realloc(v, ncap * sizeof(*v));
				if (!nv) {
					rc = -ENOMEM;
					break;
				}
				v = nv;
				cap = ncap;
			}
			const struct state_owner *o = r->ls->s.owner;
			v[count++] = (struct state_backend_lock){
			    .file = f->key,
			    .owner_id = state_lock_owner_id(st, o->clientid, o->bytes, o->len),
			    .start = r->start,
			    .last = r->last,
			    .write = r->type == STATE_WRITE_LT,
			    .nlm = r->ls->nlm,
			};
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}
