/* An NFSv4 server in this process, over the memory back end: the
 * nfs4_server ferryd builds (exports, state), one connection object that
 * never touches a socket, and COMPOUNDs served by calling nfs4_compound()
 * directly on the calling thread.  Used by the in-process tests
 * (tests/nfs4/nfs4_inproc.h adds cmocka helpers on top) and by the COMPOUND
 * fuzz target (fuzz/fuzz_compound.c), so it must not use cmocka. */
#ifndef FERRY_TESTS_LIB_INPROC_SERVER_H
#define FERRY_TESTS_LIB_INPROC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/config.h"
#include "nfs4/server.h"
#include "rpc/server.h"

/* Pseudo paths of the memory exports every server has. */
#define INPROC_EXPORT_A "/mem/a"
#define INPROC_EXPORT_B "/mem/b"

struct inproc {
	char dir[256]; /* the state directory; empty when there is none */
	struct ferry_config cfg;
	struct nfs4_server nfs;
	struct rpc_server *rpc;
	struct rpc_conn *conn;
	struct rpc_cred cred; /* what each call carries: AUTH_SYS root */
	uint32_t xid;
};

/* Adds a memory export name:pseudo where root keeps its identity (no
 * squash), so callers can chown and create freely. */
bool inproc_add_memory_export(struct ferry_config *cfg, const char *name, const char *pseudo);

/* Builds the server with the exports INPROC_EXPORT_A and INPROC_EXPORT_B
 * and a temporary state directory (client records, server identity).
 * Returns NULL on failure, said on stderr.  Free with inproc_free. */
struct inproc *inproc_new(void);

/* The same without a state directory: nothing is written to disk (no
 * fsync per confirmed client), so one can be built per fuzz input.  Log
 * messages below log_level are dropped. */
struct inproc *inproc_new_diskless(enum log_level log_level);

/* inproc_new_diskless in storage the caller provides (struct inproc holds
 * a whole configuration, some 700 KB: a fuzz target building a server per
 * input keeps one static).  Returns false on failure, said on stderr; on
 * success undo with inproc_fini. */
bool inproc_init_diskless(struct inproc *ip, enum log_level log_level);

/* Stops the server and removes its state directory; inproc_fini leaves
 * the storage. */
void inproc_free(struct inproc *ip);
void inproc_fini(struct inproc *ip);

/* What serving one call gave. */
struct inproc_served {
	struct rpc_dispatch_result result;
	/* The program left per-request state behind (it must not when done). */
	bool prog_state_left;
	/* The whole reply as the dispatcher lays it out (record mark, accepted
	 * reply header, results, a replay's kept results copied in); the caller
	 * owns a reference.  NULL when the
	 * reply buffer could not be had. */
	struct buf *reply;
	size_t results_off; /* where the COMPOUND4res starts in reply */
};

/* Serves the COMPOUND arguments args[0..len) (header included) with the
 * next xid, on this thread as a worker thread would (an operation that may
 * block runs at once).  Returns false when out of memory. */
bool inproc_serve(struct inproc *ip, const uint8_t *args, size_t len, struct inproc_served *out);

#endif
