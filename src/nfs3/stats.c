/* NFSv3 per-procedure counters.  Each thread that serves calls counts in a
 * block of its own, so the request path takes no lock and shares no cache
 * line; a reader (metrics) sums the blocks.  Blocks stay for the life of
 * the server (threads are the event loops and workers, a fixed few). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nfs3/nfs3.h"
#include "xdr/nfs3_codec.h"
#include "xdr/nfsacl_codec.h"

struct nfs3_stats_block {
	struct nfs3_stats_block *next;
	/* Written by the owning thread only (load + store), read by others:
	 * atomic only so the reads are not races. */
	struct {
		_Atomic uint64_t errors, ns;
		_Atomic uint64_t lat[NFS3_LAT_BUCKETS + 1];
	} procs[NFS3_STATS_PROCS];
};

/* This thread's block, and the generation of the server it belongs to: a
 * server made again at the same address (a fuzz target, a test harness)
 * has another, so the thread never touches a block freed with the
 * previous one. */
static _Thread_local struct nfs3_stats_block *my_block;
static _Thread_local uint64_t my_gen;
static _Atomic uint64_t next_gen = 1;

void nfs3_stats_init(struct nfs3_server *srv)
{
	pthread_mutex_init(&srv->stats_lock, NULL);
	srv->stats_blocks = NULL;
	srv->stats_gen = atomic_fetch_add(&next_gen, 1);
}

static inline void bump(_Atomic uint64_t *v, uint64_t by)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

static unsigned lat_bucket(uint64_t ns)
{
	unsigned i = 0;
	while (i < NFS3_LAT_BUCKETS && ns > nfs3_lat_bound_ns(i))
		i++;
	return i;
}

void nfs3_stats_count(struct nfs3_server *srv, uint32_t i, bool error, uint64_t ns)
{
	if (i >= NFS3_STATS_PROCS)
		return;
	struct nfs3_stats_block *b = my_block;
	if (!b || my_gen != srv->stats_gen) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return; /* uncounted rather than failed */
		/* lock order: see core/lock_order.h, level 11 (a leaf). */
		pthread_mutex_lock(&srv->stats_lock);
		b->next = srv->stats_blocks;
		srv->stats_blocks = b;
		pthread_mutex_unlock(&srv->stats_lock);
		my_block = b;
		my_gen = srv->stats_gen;
	}
	if (error)
		bump(&b->procs[i].errors, 1);
	bump(&b->procs[i].ns, ns);
	bump(&b->procs[i].lat[lat_bucket(ns)], 1);
}

void nfs3_stats_read(struct nfs3_server *srv, struct nfs3_proc_stats out[NFS3_STATS_PROCS])
{
	memset(out, 0, NFS3_STATS_PROCS * sizeof(*out));
	pthread_mutex_lock(&srv->stats_lock);
	for (struct nfs3_stats_block *b = srv->stats_blocks; b; b = b->next) {
		for (unsigned p = 0; p < NFS3_STATS_PROCS; p++) {
			struct nfs3_proc_stats *o = &out[p];
			o->errors +=
				atomic_load_explicit(&b->procs[p].errors, memory_order_relaxed);
			o->ns += atomic_load_explicit(&b->procs[p].ns, memory_order_relaxed);
			for (unsigned k = 0; k <= NFS3_LAT_BUCKETS; k++) {
				uint64_t n = atomic_load_explicit(&b->procs[p].lat[k],
								  memory_order_relaxed);
				o->lat[k] += n;
				o->calls += n;
			}
		}
	}
	pthread_mutex_unlock(&srv->stats_lock);
}

void nfs3_stats_free(struct nfs3_server *srv)
{
	pthread_mutex_lock(&srv->stats_lock);
	struct nfs3_stats_block *b = srv->stats_blocks;
	srv->stats_blocks = NULL;
	pthread_mutex_unlock(&srv->stats_lock);
	while (b) {
		struct nfs3_stats_block *next = b->next;
		free(b);
		b = next;
	}
}

_Static_assert(NFS3_STATS_PROCS == NFSPROC3_COUNT + NFSACLPROC3_COUNT,
	       "a counter for each NFSv3 and NFSACL procedure");

const char *nfs3_stats_name(uint32_t i)
{
	if (i < NFS3_STATS_ACL)
		return nfs3_proc_name(i);
	/* NFSACL's NULL apart from NFSv3's. */
	if (i == NFS3_STATS_ACL + NFSACLPROC3_NULL)
		return "ACL_NULL";
	return i < NFS3_STATS_PROCS ? nfsacl_proc_name(i - NFS3_STATS_ACL) : "?";
}
