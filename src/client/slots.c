/* The client's fore-channel slot table (slots.h): free and busy slots as
 * bit sets, so taking the lowest free slot and finding the highest busy one
 * cost a word scan, not a walk over the slots. */
#include "client/slots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int client_slots_init(struct client_slots *t, uint32_t nslots)
{
	unsigned words = (nslots + 63) / 64;

	memset(t, 0, sizeof(*t));
	if (nslots == 0)
		return -EINVAL;
	t->seqids = calloc(nslots, sizeof(*t->seqids));
	t->free_bits = calloc(words, sizeof(uint64_t));
	t->busy_bits = calloc(words, sizeof(uint64_t));
	if (!t->seqids || !t->free_bits || !t->busy_bits) {
		client_slots_fini(t);
		return -ENOMEM;
	}
	t->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		t->free_bits[i / 64] |= 1ull << (i % 64);
	t->target_highest = t->server_highest = t->min_target = nslots - 1;
	return 0;
}

void client_slots_fini(struct client_slots *t)
{
	free(t->seqids);
	free(t->free_bits);
	free(t->busy_bits);
	memset(t, 0, sizeof(*t));
}

static uint32_t slot_limit(const struct client_slots *t)
{
	uint32_t lim = t->nslots - 1;

	if (t->target_highest < lim)
		lim = t->target_highest;
	if (t->server_highest < lim)
		lim = t->server_highest;
	return lim;
}

int client_slot_acquire(struct client_slots *t)
{
	uint32_t lim = slot_limit(t);

	for (uint32_t w = 0; w <= lim / 64; w++) {
		uint64_t bits = t->free_bits[w];

		if (!bits)
			continue;
		uint32_t slot = w * 64 + (uint32_t)__builtin_ctzll(bits);
		if (slot > lim)
			return -1;
		t->free_bits[w] &= ~(1ull << (slot % 64));
		t->busy_bits[w] |= 1ull << (slot % 64);
		return (int)slot;
	}
	return -1;
}

void client_slot_release(struct client_slots *t, uint32_t slot)
{
	t->busy_bits[slot / 64] &= ~(1ull << (slot % 64));
	t->free_bits[slot / 64] |= 1ull << (slot % 64);
}

uint32_t client_slots_highest_busy(const struct client_slots *t)
{
	for (uint32_t w = (t->nslots + 63) / 64; w-- > 0;)
		if (t->busy_bits[w])
			return w * 64 + 63 - (uint32_t)__builtin_clzll(t->busy_bits[w]);
	return 0;
}

void client_slot_sequence(const struct client_slots *t, const struct nfs4_sessionid *sid,
			  uint32_t slot, bool cachethis, struct nfs4_sequence_args *sa,
			  struct client_slot_req *req)
{
	req->slot = slot;
	req->seqid = t->seqids[slot] + 1;
	req->gen = t->target_gen;
	*sa = (struct nfs4_sequence_args){
		.sessionid = *sid,
		.sequenceid = req->seqid,
		.slotid = slot,
		.highest_slotid = client_slots_highest_busy(t),
		.cachethis = cachethis,
	};
}

const char *client_sequence_check(const struct nfs4_sessionid *sid,
				  const struct client_slot_req *req,
				  const struct nfs4_sequence_res *r, char *why, size_t len)
{
	if (sid && memcmp(r->sessionid.data, sid->data, NFS4_SESSIONID_SIZE) != 0) {
		snprintf(why, len, "SEQUENCE reply names another session");
		return why;
	}
	if (req && (r->slotid != req->slot || r->sequenceid != req->seqid)) {
		snprintf(why, len, "SEQUENCE reply for slot %u seqid %u, sent slot %u seqid %u",
			 r->slotid, r->sequenceid, req->slot, req->seqid);
		return why;
	}
	if (r->target_highest_slotid > r->highest_slotid) {
		snprintf(why, len, "SEQUENCE: target_highest_slotid %u above highest_slotid %u",
			 r->target_highest_slotid, r->highest_slotid);
		return why;
	}
	return NULL;
}

void client_slot_done(struct client_slots *t, const struct client_slot_req *req,
		      const struct nfs4_sequence_res *r)
{
	t->seqids[req->slot] = req->seqid;
	if ((r->target_highest_slotid != t->target_highest ||
	     r->highest_slotid != t->server_highest) &&
	    req->gen == t->target_gen) {
		t->target_highest = r->target_highest_slotid;
		t->server_highest = r->highest_slotid;
		t->target_gen++;
		if (r->target_highest_slotid < t->min_target)
			t->min_target = r->target_highest_slotid;
	}
	t->status_flags |= r->status_flags;
}
