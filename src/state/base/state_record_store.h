/* Where the stable client records live (RFC 7530 9.6.2): the storage
 * behind state_record.c, which decides what a record says and when it is
 * written; a store only keeps them.
 *
 * A record is one client's name (nfs_client_id4.id, or the co_ownerid of
 * EXCHANGE_ID), at most NFS4_OPAQUE_LIMIT bytes, under a key of 16
 * lower-case hex digits derived from the name (state_record.c).  Two
 * stores:
 *   - dir: one file per record in <state_dir>/v4clients/ (one head);
 *   - rados: one omap key per record on the object rec-<node> of a RADOS
 *     pool ([cluster] of ferryd.conf), so that another head can read the
 *     records of a head that failed.
 *
 * A put or remove returns only once the change is durable (fsync'd, or
 * acknowledged by RADOS, which acknowledges a write once every replica
 * has it).  Calls come one at a time, serialised by the caller's
 * records_lock (core/lock_order.h level 2), and may block on I/O. */
#ifndef FERRY_STATE_RECORD_STORE_H
#define FERRY_STATE_RECORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

struct state_prev;

enum { STATE_RECORD_KEY_LEN = 16 };

struct state_record_store;

struct state_record_store_ops {
	/* Every record kept: *out (malloc'd, each name malloc'd; the caller
	 * frees them with state_prev_free), *n of them.  Records it cannot
	 * read are logged and skipped.  0 or a negative errno. */
	int (*load)(struct state_record_store *rs, struct state_prev **out, size_t *n);
	/* 1 when a record of key is kept, 0 when not, or a negative errno. */
	int (*has)(struct state_record_store *rs, const char *key);
	/* Keeps name under key (replacing what was there); durable on 0. */
	int (*put)(struct state_record_store *rs, const char *key, const uint8_t *name,
		   uint32_t len);
	/* Drops key's record (0 when there was none); durable on 0. */
	int (*remove)(struct state_record_store *rs, const char *key);
	/* Frees the store; records stay where they are. */
	void (*close)(struct state_record_store *rs);
	/* What to call the store, or one record of it, in log lines. */
	const char *(*describe)(struct state_record_store *rs);
};

struct state_record_store {
	const struct state_record_store_ops *ops;
};

/* The records in <state_dir>/v4clients/, created if missing; files left
 * by an interrupted write are removed.  0 or a negative errno (logged). */
int state_record_store_dir_open(const char *state_dir, struct state_record_store **out);

/* The records of node c->node on the object rec-<node> of pool
 * c->rados_pool (namespace c->rados_namespace), connecting to the cluster
 * of c->rados_conf as client c->rados_id.  0 or a negative errno
 * (logged). */
int state_record_store_rados_open(const struct state_cluster_options *c,
				  struct state_record_store **out);

/* Removes a rados store's object, every record with it (a head taken
 * over or removed: its records were adopted or are of no more use).
 * Only for a store of state_record_store_rados_open.  0 or a negative
 * errno. */
int state_record_store_rados_drop(struct state_record_store *rs);

/* A rados store's RADOS client instance, as blocklisting names it.  Only
 * for a store of state_record_store_rados_open.  0 or a negative errno. */
int state_record_store_rados_addrs(struct state_record_store *rs, char *out, size_t cap);

#endif
