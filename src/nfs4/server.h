/* The NFSv4 service: exports, state, and the settings the operations read. */
#ifndef FERRY_NFS4_SERVER_H
#define FERRY_NFS4_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "export/export.h"
#include "rpc/server.h"

struct state_server;
struct cb_engine;
struct nfs4_copy_engine;
struct nfs4_ga_waits;
struct nfs4_dirdeleg_notifier;
struct nfs4_dirdeleg_children;
struct export_durable;

/* Stripes of the per-file lease lock (struct nfs4_server.deleg_lease_locks). */
enum { NFS4_DELEG_LEASE_STRIPES = 64 };

struct nfs4_server {
	struct exports exports;
	struct state_server *state;
	struct rpc_server *rpc; /* for callbacks */
	struct cb_engine *cb; /* the callback queues and workers (callback/callback.h) */
	struct nfs4_copy_engine *copies; /* server-side COPY (nfs4/copy/copy.h) */
	struct nfs4_ga_waits *ga_waits; /* GETATTRs parked on CB_GETATTR (nfs4/deleg/deleg.h) */
	struct rpc_drc *drc40; /* v4.0 duplicate request cache (rpc/drc.h) */
	/* Flushes changes before their replies (export/durable.h); the
	 * NFSv3 program shares it. */
	struct export_durable *durable;
	/* Sends directory delegations' CB_NOTIFYs (nfs4/deleg/dirdeleg.h). */
	struct nfs4_dirdeleg_notifier *dd_notifier;
	struct nfs4_dirdeleg_children *dd_children; /* entries of delegated directories */
	uint32_t minor_min, minor_max; /* minor versions accepted */
	/* Per listener (rpc_conn_listener): min << 16 | max, one word so that
	 * a COMPOUND reads both ends of a range changed at run time together
	 * (nfs4_server_set_listener_minor) and never a half-changed one. */
	_Atomic uint32_t listener_minor[CONFIG_MAX_LISTEN];
	/* Per listener: the cluster head whose address it listens on, when
	 * this head took that head over ("": its own).  Written before the
	 * listener accepts, never changed after. */
	char listener_origin[CONFIG_MAX_LISTEN][CONFIG_NAME_MAX];
	unsigned nlisteners;
	uint32_t lease_time_s;
	char owner_domain[128];
	/* Changes at every start so clients resend unstable writes. */
	uint8_t write_verifier[8];
	/* Set before nfs4_server_start by a ferryd started by an upgrade that
	 * hands it the NFSv4 state (state_options.carried). */
	bool state_carried;
	/* A cluster head started by an upgrade: the instance the ferryd
	 * before it joined under (state_cluster_options.instance); 0: new. */
	uint64_t cluster_instance;
	/* v4.1 server_owner major id: kept in the state directory
	 * (server_id), the same across restarts; with [cluster], made of the
	 * head's node name (nfs4_server_owner_of).  server_scope: the same,
	 * or with [cluster] one scope for every head of the cluster, so that
	 * a client moved to another head reclaims there (RFC 8881 2.10.4). */
	uint8_t server_owner[16 + CONFIG_NAME_MAX];
	uint32_t server_owner_len;
	uint8_t server_scope[3 * 128 + 32];
	uint32_t server_scope_len;
	/* Applies the state module's write holds to the back ends, one
	 * drain at a time (nfs4/write_holds.c).  lock order: see
	 * core/lock_order.h, level 2b. */
	pthread_mutex_t write_holds_lock;
	_Atomic bool write_holds_ready; /* set once the exports and state are up */
	/* A file's lease is taken for a new delegation and dropped after its
	 * last one under the lock of the file's stripe (by a hash of its
	 * key), so that a drop decided before a newer grant cannot remove
	 * the lease that grant relies on (nfs4/deleg/callbacks.c).  lock order: see
	 * core/lock_order.h, level 2c. */
	pthread_mutex_t deleg_lease_locks[NFS4_DELEG_LEASE_STRIPES];
	/* Test only: every lease drop waits this long before it looks at the
	 * state (FERRY_TEST_LEASE_DROP_DELAY_MS, read once at start), which
	 * widens the window a grant can fall into (tests/proto/
	 * test_deleg_lease_race.c).  0 in production. */
	unsigned test_lease_drop_delay_ms;
};

/* Hands the write holds the state module queued to the back ends, in
 * order (backend_ops.write_hold).  Called with nothing held but level 1. */
void nfs4_write_holds_apply(struct nfs4_server *srv);
/* The state thread's hook (struct state_options.work): the write holds,
 * and the callbacks and lease drops the state module queued (nfs4_outbox_drain). */
void nfs4_write_holds_work(void *ctx);

/* Opens the exports and the state (reading stable client records from the
 * state directory).  Returns 0 or a negative errno (logged). */
int nfs4_server_init(struct nfs4_server *srv, const struct ferry_config *cfg);
/* The same in two steps: the exports (their back ends mounted, which may
 * take seconds), then the rest (the state, with its records, and the
 * server's threads).  An upgrade in place takes over between the two, so
 * that the old ferryd stops serving only for the second. */
int nfs4_server_open_exports(struct nfs4_server *srv, const struct ferry_config *cfg);
int nfs4_server_start(struct nfs4_server *srv, const struct ferry_config *cfg);
void nfs4_server_fini(struct nfs4_server *srv);

/* The minor versions accepted on a listener (the server's range for a
 * connection no listener accepted, listener < 0). */
void nfs4_server_listener_minor(const struct nfs4_server *srv, int listener, uint32_t *lo,
				uint32_t *hi);

/* A listener about to be added at run time (rpc_server_listen_more, index
 * listener, the next one; before it accepts anything): it accepts the
 * server's minor versions, and listens on an address of cluster head
 * origin this head took over (NULL or "": its own).  0 or -EINVAL. */
int nfs4_server_add_listener(struct nfs4_server *srv, unsigned listener, const char *origin);

/* The head whose address listener listens on ("" for this head's own, or
 * a connection no listener accepted). */
const char *nfs4_server_listener_origin(const struct nfs4_server *srv, int listener);

/* The server_owner major id a client sees through listener: this head's,
 * or for an address taken over, the head's that had it, so that its
 * clients still see the server they mounted (into buf, 16 +
 * CONFIG_NAME_MAX bytes; its length). */
uint32_t nfs4_server_owner_of(const struct nfs4_server *srv, int listener, uint8_t *buf);

/* Changes a listener's range at run time: COMPOUNDs that start afterwards
 * see it, those under way are left alone.  Sessions established go on: a
 * v4.1 or v4.2 COMPOUND whose SEQUENCE names a live session bound to its
 * connection passes a range that excludes its minor version (as long as
 * the server's own range has it); new clients of that version, other
 * connections and every v4.0 COMPOUND outside the range get
 * NFS4ERR_MINOR_VERS_MISMATCH.  -ENOENT for an unknown listener, -EINVAL
 * when lo > hi or hi is past the highest minor version Ferry serves. */
int nfs4_server_set_listener_minor(struct nfs4_server *srv, unsigned listener, uint32_t lo,
				   uint32_t hi);

/* The highest minor version Ferry serves. */
enum { NFS4_MINOR_HIGHEST = 2 };
_Static_assert((int)NFS4_MINOR_HIGHEST == (int)CONFIG_MINOR_HIGHEST,
	       "the configuration and the NFSv4 layer disagree on the highest minor version");

#endif
