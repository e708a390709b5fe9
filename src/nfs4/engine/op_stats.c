/* Per-operation counters.  Each thread that serves operations counts in a
 * block of its own, so the request path takes no lock and shares no cache
 * line; a reader (metrics) sums the blocks under a lock the request path
 * never takes but once per thread.  A thread's block goes when the thread
 * exits, its counts folded into the retired totals first. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/log.h"
#include "nfs4/engine/op_stats.h"

struct op_counter {
	/* Written by the owning thread only (load + store, no read-modify-
	 * write), read by others: atomic only so the reads are not races.
	 * Every call lands in exactly one latency bucket, so the number of
	 * calls is their sum: not kept apart, it costs the request path no
	 * store, and a scrape's +Inf bucket and _count can never disagree with
	 * the finite buckets it read a moment later. */
	_Atomic uint64_t errors, total_ns;
	_Atomic uint64_t lat[NFS4_OP_LAT_BUCKETS + 1];
};

struct op_counter_block {
	struct op_counter_block *next, *prev;
	struct op_counter ops[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE];
};

/* lock order: see core/lock_order.h, level 11. */
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct op_counter_block *blocks;
static struct nfs4_op_stats retired[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE];
static pthread_key_t block_key;
static pthread_once_t block_key_once = PTHREAD_ONCE_INIT;
static bool block_key_ok;
static _Thread_local struct op_counter_block *my_block;

static inline uint64_t load(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Adds one counter block to the totals in out. */
static void block_add_to(struct op_counter_block *b,
			 struct nfs4_op_stats out[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE])
{
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++) {
		for (unsigned i = 0; i < NFS4_OP_TABLE_SIZE; i++) {
			struct op_counter *c = &b->ops[m][i];
			struct nfs4_op_stats *o = &out[m][i];
			uint64_t lat[NFS4_OP_LAT_BUCKETS + 1], calls = 0;
			for (unsigned k = 0; k <= NFS4_OP_LAT_BUCKETS; k++)
				calls += lat[k] = load(&c->lat[k]);
			if (!calls)
				continue;
			o->calls += calls;
			o->errors += load(&c->errors);
			o->total_ns += load(&c->total_ns);
			for (unsigned k = 0; k <= NFS4_OP_LAT_BUCKETS; k++)
				o->lat[k] += lat[k];
		}
	}
}

static void block_retire(void *arg)
{
	struct op_counter_block *b = arg;
	pthread_mutex_lock(&blocks_lock);
	block_add_to(b, retired);
	if (b->prev)
		b->prev->next = b->next;
	else
		blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
	pthread_mutex_unlock(&blocks_lock);
	free(b);
}

static void block_key_create(void)
{
	block_key_ok = pthread_key_create(&block_key, block_retire) == 0;
	if (!block_key_ok)
		log_error("nfs4: no thread key for operation counters; exiting threads keep theirs");
}

static struct op_counter_block *block_get(void)
{
	if (my_block)
		return my_block;
	pthread_once(&block_key_once, block_key_create);
	struct op_counter_block *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	if (blocks)
		blocks->prev = b;
	blocks = b;
	pthread_mutex_unlock(&blocks_lock);
	if (block_key_ok)
		pthread_setspecific(block_key, b);
	my_block = b;
	return b;
}

static inline void counter_add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, load(v) + n, memory_order_relaxed);
}

/* The histogram bucket of a duration: the first i with ns <= 1024 << 2i. */
static inline unsigned lat_bucket(uint64_t ns)
{
	if (ns <= 1024)
		return 0;
	unsigned bits = 64u - (unsigned)__builtin_clzll(ns - 1); /* ns <= 2^bits */
	unsigned i = (bits - 10 + 1) / 2;
	return i < NFS4_OP_LAT_BUCKETS ? i : NFS4_OP_LAT_BUCKETS;
}

void nfs4_op_stats_count(uint32_t opnum, uint32_t minor, bool error, uint64_t ns)
{
	struct op_counter_block *b = block_get();
	if (!b || opnum >= NFS4_OP_TABLE_SIZE)
		return; /* out of memory: this thread's calls go uncounted */
	if (minor >= NFS4_STATS_MINORS)
		minor = NFS4_STATS_MINORS - 1;
	struct op_counter *o = &b->ops[minor][opnum];
	if (error)
		counter_add(&o->errors, 1);
	counter_add(&o->total_ns, ns);
	counter_add(&o->lat[lat_bucket(ns)], 1);
}

void nfs4_op_stats_read(struct nfs4_op_stats out[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE])
{
	pthread_mutex_lock(&blocks_lock);
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++)
		for (unsigned i = 0; i < NFS4_OP_TABLE_SIZE; i++)
			out[m][i] = retired[m][i];
	for (struct op_counter_block *b = blocks; b; b = b->next)
		block_add_to(b, out);
	pthread_mutex_unlock(&blocks_lock);
}
