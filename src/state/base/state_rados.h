/* A RADOS client for what clustered heads keep in RADOS ([cluster] of
 * ferryd.conf): the client records (state_record_rados.c) and the
 * cluster's grace object (state_cluster_grace.c). */
#ifndef FERRY_STATE_RADOS_H
#define FERRY_STATE_RADOS_H

#include <rados/librados.h>

#include "state/state.h"

/* Connects as c->rados_id (default admin) to the cluster of c->rados_conf
 * (default: librados' search) and opens c->rados_pool (default "ferry")
 * in namespace c->rados_namespace.  Every operation on the handle times
 * out after 30 s rather than block for ever.  what names the caller in
 * the log line of a failure.  0, or a negative errno with nothing left
 * to free.  Free with state_rados_close. */
int state_rados_connect(const struct state_cluster_options *c, const char *what,
			rados_t *cluster, rados_ioctx_t *io);
void state_rados_close(rados_t cluster, rados_ioctx_t io);

/* The client instance of cluster as blocklisting names it
 * (ADDR:PORT/NONCE), into out.  0 or a negative errno. */
int state_rados_addrs(rados_t cluster, char *out, size_t cap);

#endif
