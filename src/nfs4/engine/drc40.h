/* The NFSv4.0 duplicate request cache.
 *
 * v4.0 has no session: a COMPOUND retransmitted after a lost reply (same
 * XID, from the same client address and port) would run again, and an
 * operation that is not idempotent and carries no owner seqid (CREATE,
 * REMOVE, RENAME, LINK, SETATTR, ...; op table flag NFS4_OPF_NOT_IDEMPOTENT)
 * would then fail (EXIST, NOENT) or act twice.  Like knfsd's DRC for
 * NFSv2/3, this cache keeps the replies of COMPOUNDs that ran such an
 * operation, keyed by (client address and port, XID, a checksum of the
 * call's arguments), and a retransmission gets the kept reply, byte for
 * byte.  A retransmission that arrives while the original still runs is
 * dropped (no reply): the client retransmits again and then finds the
 * reply kept.
 *
 * Bounded: at most NFS4_DRC40_MAX_ENTRIES replies and NFS4_DRC40_MAX_BYTES
 * of reply buffers; the oldest go first, and none outlives
 * NFS4_DRC40_MAX_AGE_MS (a client retransmits within its timeout, 60 s
 * for the Linux client).  Requests with seqids (OPEN, CLOSE, LOCK, ...)
 * are covered by their owners' replay (state_seq_begin) as well.
 *
 * Cost when no such operation ran lately: one atomic load per v4.0
 * COMPOUND.  Otherwise a keyed hash of the first 256 bytes of the
 * arguments and one lookup under the cache's lock (core/lock_order.h,
 * level 9c: a leaf). */
#ifndef FERRY_NFS4_DRC40_H
#define FERRY_NFS4_DRC40_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
	NFS4_DRC40_MAX_ENTRIES = 4096,
	NFS4_DRC40_MAX_BYTES = 16 << 20,
	NFS4_DRC40_MAX_AGE_MS = 120 * 1000,
	NFS4_DRC40_PEER_MAX = 64, /* "address:port" as rpc_conn_peer gives it */
};

struct nfs4_drc40;
struct nfs4_drc40_entry;

/* The key of one call. */
struct nfs4_drc40_key {
	char peer[NFS4_DRC40_PEER_MAX];
	uint32_t xid;
	uint32_t args_len;
	uint64_t csum;
};

/* 0 or -ENOMEM. */
int nfs4_drc40_create(struct nfs4_drc40 **out);
/* Frees every entry; no request may still hold one. */
void nfs4_drc40_destroy(struct nfs4_drc40 *drc);

/* Fills *k for a call from peer with xid whose arguments are
 * args[0..len). */
void nfs4_drc40_key(struct nfs4_drc40_key *k, const char *peer, uint32_t xid,
		    const uint8_t *args, size_t len);

/* Whether the cache holds anything at all (no lock). */
bool nfs4_drc40_empty(const struct nfs4_drc40 *drc);

enum nfs4_drc40_found {
	NFS4_DRC40_MISS,
	NFS4_DRC40_DONE,        /* *reply, *off: the kept reply (a reference) */
	NFS4_DRC40_IN_PROGRESS, /* the original still runs: drop this one */
};

/* Looks k up. */
enum nfs4_drc40_found nfs4_drc40_lookup(struct nfs4_drc40 *drc, const struct nfs4_drc40_key *k,
					struct buf **reply, size_t *off);

/* Before the first non-idempotent operation of a COMPOUND runs: records
 * the call as in progress.  Returns the entry (the caller ends it with
 * nfs4_drc40_finish), or NULL with *found set when the call is there
 * already (a retransmission that won the race: treat as the lookup's
 * answer) or MISS when out of memory (the call runs uncached). */
struct nfs4_drc40_entry *nfs4_drc40_begin(struct nfs4_drc40 *drc, const struct nfs4_drc40_key *k,
					  enum nfs4_drc40_found *found, struct buf **reply,
					  size_t *off);

/* The COMPOUND's reply went out: reply (the caller's reference, taken
 * over; its bytes from off on are the COMPOUND4res, never changed again)
 * is kept for retransmissions.  reply NULL: nothing could be kept, the
 * entry goes. */
void nfs4_drc40_finish(struct nfs4_drc40 *drc, struct nfs4_drc40_entry *e, struct buf *reply,
		       size_t off);

struct nfs4_drc40_stats {
	uint64_t entries, bytes, hits, dropped;
};
void nfs4_drc40_stats(struct nfs4_drc40 *drc, struct nfs4_drc40_stats *out);

#endif
