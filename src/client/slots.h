/* The fore-channel slot table of an NFSv4.1 client session (RFC 8881
 * 2.10.6), and the check of SEQUENCE's result.  ferry-bench runs its
 * sessions on the table; the test client, whose tests pick each request's
 * slot and sequence ID themselves (to send wrong ones on purpose), uses the
 * check only.
 *
 * A request takes the lowest free slot not above min(target_highest_slotid,
 * highest_slotid) as last answered by the server, and gives it back when the
 * reply arrives.  A slot's sequence ID advances only when the server
 * processed SEQUENCE (2.10.6.1): an error on SEQUENCE leaves it, so a retry
 * carries the same one.  Replies come in any order, so a new target is
 * taken only from a reply to a request sent after the previous change was
 * seen (a generation count, as the Linux client does): a late reply must not
 * undo a lowered target.
 *
 * Ownership: the table owns its arrays (client_slots_init allocates them
 * once; nothing on the per-request path allocates).  Locking: none; one
 * thread (or the caller's lock) serialises every call on a table. */
#ifndef FERRY_CLIENT_SLOTS_H
#define FERRY_CLIENT_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdr/nfs4_codec_session.h"

struct client_slots {
	uint32_t nslots;     /* usable slots: the granted ca_maxrequests, capped */
	uint32_t *seqids;    /* per slot: the last sequence ID the server processed */
	uint64_t *free_bits; /* bit set: slot free and usable */
	uint64_t *busy_bits; /* bit set: request in flight on the slot */
	uint32_t target_highest; /* sr_target_highest_slotid as last taken */
	uint32_t server_highest; /* sr_highest_slotid as last taken */
	/* Bumped at each change of the two above; see client_slot_done. */
	uint32_t target_gen;
	uint32_t min_target;   /* lowest target_highest_slotid seen */
	uint32_t status_flags; /* union of sr_status_flags seen */
};

/* What one request's SEQUENCE carried, to match and apply its reply. */
struct client_slot_req {
	uint32_t slot, seqid, gen;
};

/* Sets up nslots (>= 1) free slots with sequence ID 0 (the first request on
 * each carries 1).  0 or -ENOMEM (the table is then as after fini). */
int client_slots_init(struct client_slots *t, uint32_t nslots);
void client_slots_fini(struct client_slots *t);

/* The lowest free slot within the server's limits, now held; -1: none. */
int client_slot_acquire(struct client_slots *t);
void client_slot_release(struct client_slots *t, uint32_t slot);
/* The highest slot with a request in flight: sa_highest_slotid. */
uint32_t client_slots_highest_busy(const struct client_slots *t);

/* SEQUENCE's arguments for a request on slot (held): the slot's next
 * sequence ID and the highest slot in use.  req records what was sent. */
void client_slot_sequence(const struct client_slots *t, const struct nfs4_sessionid *sid,
			  uint32_t slot, bool cachethis, struct nfs4_sequence_args *sa,
			  struct client_slot_req *req);

/* Checks a successful SEQUENCE result against what was sent: session, slot
 * and sequence ID echoed, target_highest_slotid not above highest_slotid.
 * sid and req may be NULL (a caller that does not know what it sent, as a
 * test sending SEQUENCE by hand): then only the last check is made.  NULL
 * when the result is sound, else what is wrong, in why (len bytes). */
const char *client_sequence_check(const struct nfs4_sessionid *sid,
				  const struct client_slot_req *req,
				  const struct nfs4_sequence_res *r, char *why, size_t len);

/* The server processed req's SEQUENCE (a checked result): the slot's
 * sequence ID advances, and the server's limits are taken from r unless
 * r answers a request sent before the latest change of them.  The slot
 * stays held. */
void client_slot_done(struct client_slots *t, const struct client_slot_req *req,
		      const struct nfs4_sequence_res *r);

#endif
