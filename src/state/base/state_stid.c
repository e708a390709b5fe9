/* Stateids and client ids, part of the base every other part of the state
 * module uses: the table of every stateid by its "other" field, how a
 * stateid is made and what a missing one answers, and the client ids of
 * clients that expired lately (NFS4ERR_EXPIRED rather than BAD_STATEID).
 *
 * A stateid's "other" is boot epoch (4 bytes), the low half of the clientid
 * (4) and a counter (4) through a per-boot secret permutation: a stateid
 * from an earlier run is recognisably stale, and one of an expired client
 * recognisably expired, while neither the low clientid (also permuted,
 * state_clientid_new) nor the last 4 bytes can be derived from a client's
 * own stateids: a guess hits one of 2^64 values. */
#include <string.h>

#include "core/container_of.h"
#include "state/base/state_internal.h"
#include "xdr/xdr.h"

static uint64_t hash_other(const struct state_server *st, const uint8_t *other)
{
	return state_hash(st, other, NFS4_OTHER_SIZE, NULL, 0);
}

bool state_stid_is_special(const struct nfs4_stateid *sid, uint8_t fill, uint32_t seqid)
{
	if (sid->seqid != seqid)
		return false;
	for (int i = 0; i < NFS4_OTHER_SIZE; i++)
		if (sid->other[i] != fill)
			return false;
	return true;
}

static bool other_is_special(const uint8_t *other)
{
	bool zeros = true, ones = true;
	for (int i = 0; i < NFS4_OTHER_SIZE; i++) {
		zeros = zeros && other[i] == 0;
		ones = ones && other[i] == 0xff;
	}
	return zeros || ones;
}

void state_stid_init(struct state_server *st, struct state_stid *s, enum state_stid_type type,
		     struct state_owner *o, struct state_file *f)
{
	uint32_t low = (uint32_t)o->clientid;
	uint8_t other[NFS4_OTHER_SIZE];
	uint32_t n;
	do {
		n = state_id_permute(st, 'S', ++st->next_stid);
		xdr_put_be32(other, st->boot);
		xdr_put_be32(other + 4, low);
		xdr_put_be32(other + 8, n);
	} while (state_stid_find(st, other)); /* after 2^32 stateids */
	state_stid_init_as(st, s, type, o, f, other, 1);
}

void state_stid_init_as(struct state_server *st, struct state_stid *s, enum state_stid_type type,
			struct state_owner *o, struct state_file *f,
			const uint8_t other[NFS4_OTHER_SIZE], uint32_t seqid)
{
	memcpy(s->other, other, NFS4_OTHER_SIZE);
	s->seqid = seqid;
	s->type = type;
	s->owner = o;
	s->file = f;
	hashtable_insert(&st->stids, &s->node, hash_other(st, s->other));
	list_add_tail(&o->states, &s->owner_link);
}

struct state_stid *state_stid_find(struct state_server *st, const uint8_t *other)
{
	uint64_t h = hash_other(st, other);
	struct hashtable_node *n;
	hashtable_for_each_hash(n, &st->stids, h)
	{
		struct state_stid *s = container_of(n, struct state_stid, node);
		if (memcmp(s->other, other, NFS4_OTHER_SIZE) == 0)
			return s;
	}
	return NULL;
}

enum nfsstat4 state_stid_missing(const struct state_server *st, const struct nfs4_stateid *sid)
{
	if (other_is_special(sid->other))
		return NFS4ERR_BAD_STATEID;
	if (xdr_get_be32(sid->other) != st->boot)
		return NFS4ERR_STALE_STATEID;
	uint64_t clientid = (uint64_t)st->boot << 32 | xdr_get_be32(sid->other + 4);
	if (state_clientid_expired(st, clientid))
		return NFS4ERR_EXPIRED;
	return NFS4ERR_BAD_STATEID;
}

void state_stid_bump(struct state_stid *s)
{
	/* 0 is "the current one" in v4.1: skip it on wrap. */
	if (++s->seqid == 0)
		s->seqid = 1;
}

void state_stid_export(const struct state_stid *s, struct nfs4_stateid *out)
{
	out->seqid = s->seqid;
	memcpy(out->other, s->other, NFS4_OTHER_SIZE);
}

void state_stid_kind_set(struct state_server *st, enum state_stid_type type,
			 const struct state_stid_kind *kind)
{
	st->stid_kinds[type] = kind;
}

void state_stid_free(struct state_server *st, struct state_stid *s)
{
	st->stid_kinds[s->type]->free(st, s);
}

/* --- client ids of expired clients ------------------------------------------------ */

bool state_clientid_expired(const struct state_server *st, uint64_t clientid)
{
	for (size_t i = 0; i < st->expired_count; i++)
		if (st->expired[i] == clientid)
			return true;
	return false;
}

void state_clientid_tombstone(struct state_server *st, uint64_t clientid)
{
	st->expired[st->expired_next] = clientid;
	st->expired_next = (st->expired_next + 1) % STATE_EXPIRED_MAX;
	if (st->expired_count < STATE_EXPIRED_MAX)
		st->expired_count++;
}

