/* The NFSv3 program (RFC 1813): program 100003 version 3, beside NFSv4 on
 * the same listeners, exports, back ends and state.
 *
 * Every procedure but NULL runs on the worker pool: each one calls the
 * back end at least once, and v3 has no COMPOUND to amortise a hand-off
 * over.  Changes are made stable before their replies by the committer
 * NFSv4 uses too (export/durable.h), unless the export is `async`; changes and
 * READs of files an NFSv4 client holds a conflicting delegation on recall
 * it through the state module and answer NFS3ERR_JUKEBOX meanwhile. */
#ifndef FERRY_NFS3_NFS3_H
#define FERRY_NFS3_NFS3_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "export/export.h"
#include "rpc/server.h"
#include "xdr/nfs3_prot.h"

struct state_server;
struct rpc_drc;
struct export_durable;

/* The counters: NFSv3's procedures, then NFSACL's from
 * NFS3_STATS_ACL on (NFS3_STATS_ACL + enum nfsacl_proc). */
enum { NFS3_STATS_ACL = NFSPROC3_COUNT, NFS3_STATS_PROCS = NFSPROC3_COUNT + 3 };

/* Per procedure, for /metrics: calls, those whose result was not NFS3_OK,
 * the time spent serving them (arguments decoded and results encoded,
 * waits for the committer included) and a histogram of it: bucket i
 * holds calls of at most nfs3_lat_bound_ns(i), powers of four from 1.024
 * us to 4.3 s (NFSv4's), the last one the rest. */
enum { NFS3_LAT_BUCKETS = 12 };

static inline uint64_t nfs3_lat_bound_ns(unsigned i)
{
	return 1024ull << (2 * i);
}

struct nfs3_proc_stats {
	uint64_t calls, errors, ns;
	uint64_t lat[NFS3_LAT_BUCKETS + 1];
};

struct nfs3_stats_block;

struct nfs3_server {
	struct exports *exports;   /* the NFSv4 server's: shared */
	struct state_server *state; /* delegations to recall (NULL: none) */
	uint8_t write_verifier[8];  /* changes at every start */
	uint32_t max_io;            /* rtmax and wtmax */
	/* The committer changes wait for (NFSv4's: one for both); NULL:
	 * each call flushes its own changes. */
	struct export_durable *durable;
	struct rpc_drc *drc;
	/* The counters: a block per thread (nfs3/stats.c); lock order: see
	 * core/lock_order.h, level 11. */
	pthread_mutex_t stats_lock;
	struct nfs3_stats_block *stats_blocks;
	uint64_t stats_gen; /* this server's, among every one made */
	_Atomic uint64_t jukebox; /* calls answered JUKEBOX for a recall */
};

/* exports and state stay the caller's; verifier is the write verifier
 * (8 bytes: the same for NFSv4's WRITE is fine, it changes at each start);
 * max_record the largest call the rpc server takes.  0 or -ENOMEM. */
int nfs3_server_init(struct nfs3_server *srv, struct exports *exports,
		     struct state_server *state, const uint8_t verifier[8], uint32_t max_record);
void nfs3_server_fini(struct nfs3_server *srv);

/* The program for rpc_server_add_program; a listener that is not to
 * serve v3 is set in its listeners_off. */
void nfs3_program_describe(struct rpc_program *prog, struct nfs3_server *srv);
/* NFSACL version 3 (program 100227: POSIX ACLs for NFSv3 clients), served
 * beside NFSv3 on the same listeners and under the same export rules. */
void nfs3_acl_program_describe(struct rpc_program *prog, struct nfs3_server *srv);

/* Sets up the counters (nfs3_server_init does). */
void nfs3_stats_init(struct nfs3_server *srv);
/* Counts one call of counter i (above) on this thread. */
void nfs3_stats_count(struct nfs3_server *srv, uint32_t i, bool error, uint64_t ns);
/* The totals of every thread, by counter. */
void nfs3_stats_read(struct nfs3_server *srv, struct nfs3_proc_stats out[NFS3_STATS_PROCS]);
/* Counter i's procedure as /metrics names it: NFSv3's ("GETATTR"), then
 * NFSACL's ("ACL_NULL", "GETACL", "SETACL"). */
const char *nfs3_stats_name(uint32_t i);
void nfs3_stats_free(struct nfs3_server *srv);

/* The duplicate request cache's counters. */
struct nfs3_drc_stats {
	uint64_t entries, bytes, hits, drops;
};
void nfs3_drc_stats_read(struct nfs3_server *srv, struct nfs3_drc_stats *out);

#endif
