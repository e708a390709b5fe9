/* Per-operation counters (op_stats.c), for /metrics. */
#ifndef FERRY_NFS4_OP_STATS_H
#define FERRY_NFS4_OP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "nfs4/engine/optable.h"

/* Per-operation counters, by minor version: calls served (including those
 * refused by the dispatcher's checks), calls that ended with an error, the
 * time spent in them and a latency histogram.  Each thread counts in its
 * own block without a lock; reading sums the blocks (a thread that exits
 * leaves its counts behind).  Minor versions past the last are counted
 * with it. */
enum {
	NFS4_STATS_MINORS = 3,
	/* Bucket i holds calls of at most nfs4_op_lat_bound_ns(i): powers of
	 * four from 1.024 us to 4.3 s, so the index is a shift of the
	 * leading-zero count, not a search. */
	NFS4_OP_LAT_BUCKETS = 12,
};

static inline uint64_t nfs4_op_lat_bound_ns(unsigned i)
{
	return 1024ull << (2 * i);
}

struct nfs4_op_stats {
	uint64_t calls;
	uint64_t errors;
	uint64_t total_ns;
	/* Not cumulative; the last one counts calls above every bound. */
	uint64_t lat[NFS4_OP_LAT_BUCKETS + 1];
};

/* Adds one call of opnum (< NFS4_OP_TABLE_SIZE) on this thread. */
void nfs4_op_stats_count(uint32_t opnum, uint32_t minor, bool error, uint64_t ns);

/* Fills out with the totals of every thread, by minor version and op. */
void nfs4_op_stats_read(struct nfs4_op_stats out[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE]);

#endif
