/* ferry-bench counters: operations, bytes, a latency histogram and errors
 * by (operation, status).  Single-threaded: one struct per event loop. */
#ifndef FERRY_BENCH_STATS_H
#define FERRY_BENCH_STATS_H

#include <stdint.h>
#include <stdio.h>

enum {
	STATS_SUB_BITS = 7, /* 128 sub-buckets per power of two: < 0.8% error */
	STATS_SUB = 1 << STATS_SUB_BITS,
	STATS_MAX_SHIFT = 40, /* values up to ~2^47 ns (39 hours) */
	STATS_BUCKETS = STATS_SUB + (STATS_MAX_SHIFT + 1) * STATS_SUB,
	STATS_MAX_ERROR_KINDS = 32,
};

struct bench_error_count {
	uint32_t opnum;  /* the operation that failed (0: RPC level) */
	uint32_t status; /* its nfsstat4 */
	uint64_t count;
};

/* Ops that ended with an error status, by kind. */
struct bench_errors {
	uint64_t total;
	unsigned nkinds;
	struct bench_error_count kinds[STATS_MAX_ERROR_KINDS];
};

struct bench_stats {
	uint64_t ops;           /* completed without error */
	uint64_t rpcs;          /* RPCs whose reply arrived (any outcome) */
	uint64_t bytes;         /* payload read or written by completed ops */
	uint64_t delay_retries; /* NFS4ERR_DELAY answers retried */
	uint64_t slot_waits;    /* times a stream waited for a free slot */
	uint64_t lat_sum_ns, lat_max_ns;
	uint64_t hist[STATS_BUCKETS];
	struct bench_errors errors;
};

void stats_reset(struct bench_stats *s);
void stats_record_latency(struct bench_stats *s, uint64_t ns);
void stats_record_error(struct bench_errors *e, uint32_t opnum, uint32_t status);

/* The latency at quantile q (0..1), in ns; 0 when nothing was recorded. */
uint64_t stats_quantile(const struct bench_stats *s, double q);

/* s as a JSON string, quoted and escaped, to f (the --json reports of
 * ferry-bench and ferry-cephfs-floor). */
void bench_json_string(FILE *f, const char *s);

#endif
