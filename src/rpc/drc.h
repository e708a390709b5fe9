/* A duplicate request cache, for programs whose calls carry no sequence of
 * their own: NFSv4.0 (nfs4/engine/compound.c) and NFSv3 (nfs3/program.c),
 * each with a cache of its own.
 *
 * A call retransmitted after a lost reply (same XID, from the same client
 * address and port) would run again, and one that is not idempotent
 * (v4.0: a COMPOUND with CREATE, REMOVE, RENAME, LINK, SETATTR, ...; v3:
 * SETATTR, CREATE, MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR, RENAME, LINK,
 * WRITE) would then fail (EXIST, NOENT) or act twice.  Like knfsd's DRC,
 * this cache keeps the replies of such calls, keyed by (client address
 * and port, XID, a checksum of the call's arguments), and a
 * retransmission gets the kept reply, byte for byte.  A retransmission
 * that arrives while the original still runs is dropped (no reply): the
 * client retransmits again and then finds the reply kept.
 *
 * Bounded: at most RPC_DRC_MAX_ENTRIES replies and RPC_DRC_MAX_BYTES
 * of reply buffers; the oldest go first, and none outlives
 * RPC_DRC_MAX_AGE_MS (a client retransmits within its timeout, 60 s
 * for the Linux client).  NFSv4.0 requests with seqids (OPEN, CLOSE,
 * LOCK, ...) are covered by their owners' replay (state_seq_begin) as well.
 *
 * Cost when no such call ran lately: one atomic load per call.
 * Otherwise a keyed hash of the first 256 bytes of the arguments and one
 * lookup under the cache's lock (core/lock_order.h, level 9c: a leaf). */
#ifndef FERRY_RPC_DRC_H
#define FERRY_RPC_DRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
	RPC_DRC_MAX_ENTRIES = 4096,
	RPC_DRC_MAX_BYTES = 16 << 20,
	RPC_DRC_MAX_AGE_MS = 120 * 1000,
	RPC_DRC_PEER_MAX = 64, /* "address:port" as rpc_conn_peer gives it */
};

struct rpc_drc;
struct rpc_drc_entry;

/* The key of one call. */
struct rpc_drc_key {
	char peer[RPC_DRC_PEER_MAX];
	uint32_t xid;
	uint32_t args_len;
	uint64_t csum;
};

/* 0 or -ENOMEM. */
int rpc_drc_create(struct rpc_drc **out);
/* Frees every entry; no request may still hold one. */
void rpc_drc_destroy(struct rpc_drc *drc);

/* Fills *k for a call from peer with xid whose arguments are
 * args[0..len). */
void rpc_drc_key(struct rpc_drc_key *k, const char *peer, uint32_t xid,
		    const uint8_t *args, size_t len);

/* Whether the cache holds anything at all (no lock). */
bool rpc_drc_empty(const struct rpc_drc *drc);

enum rpc_drc_found {
	RPC_DRC_MISS,
	RPC_DRC_DONE,        /* *reply, *off: the kept reply (a reference) */
	RPC_DRC_IN_PROGRESS, /* the original still runs: drop this one */
};

/* Looks k up. */
enum rpc_drc_found rpc_drc_lookup(struct rpc_drc *drc, const struct rpc_drc_key *k,
					struct buf **reply, size_t *off);

/* Before the first non-idempotent operation of a COMPOUND runs: records
 * the call as in progress.  Returns the entry (the caller ends it with
 * rpc_drc_finish), or NULL with *found set when the call is there
 * already (a retransmission that won the race: treat as the lookup's
 * answer) or MISS when out of memory (the call runs uncached). */
struct rpc_drc_entry *rpc_drc_begin(struct rpc_drc *drc, const struct rpc_drc_key *k,
					  enum rpc_drc_found *found, struct buf **reply,
					  size_t *off);

/* The COMPOUND's reply went out: reply (the caller's reference, taken
 * over; its bytes from off on are the COMPOUND4res, never changed again)
 * is kept for retransmissions.  reply NULL: nothing could be kept, the
 * entry goes. */
void rpc_drc_finish(struct rpc_drc *drc, struct rpc_drc_entry *e, struct buf *reply,
		       size_t off);

/* In-place upgrades: the completed calls' replies, with their keys and
 * ages, written by the old process (0 and *out, or -ENOMEM) and made
 * again in the new one's cache before it serves (0, or a negative errno
 * with err: entries before the faulty one stay).  Calls still running
 * are not written (an upgrade freezes only once none runs). */
int rpc_drc_save(struct rpc_drc *drc, struct buf **out);
int rpc_drc_load(struct rpc_drc *drc, const uint8_t *p, size_t len, char *err, size_t errlen);

struct rpc_drc_stats {
	uint64_t entries, bytes, hits, dropped;
};
void rpc_drc_stats(struct rpc_drc *drc, struct rpc_drc_stats *out);

#endif
