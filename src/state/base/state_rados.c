/* The RADOS connection of clustered heads: one configuration, and
 * timeouts on everything, since the callers hold locks (the records lock)
 * or are the state thread while they wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "state/base/state_rados.h"

/* Seconds before a RADOS operation or the connection gives up. */
#define STATE_RADOS_TIMEOUT "30"

int state_rados_connect(const struct state_cluster_options *c, const char *what,
			rados_t *cluster, rados_ioctx_t *io)
{
	const char *pool = c->rados_pool[0] ? c->rados_pool : "ferry";
	const char *id = c->rados_id[0] ? c->rados_id : NULL; /* NULL: admin */
	int rc = rados_create(cluster, id);
	if (rc < 0) {
		log_error("state: %s: cannot create a RADOS client: %s", what, strerror(-rc));
		return rc;
	}
	const char *step = "read the configuration";
	rc = rados_conf_read_file(*cluster, c->rados_conf[0] ? c->rados_conf : NULL);
	static const char *const timeouts[] = {"rados_osd_op_timeout", "rados_mon_op_timeout",
					       "client_mount_timeout"};
	for (size_t i = 0; rc == 0 && i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		step = "set the timeouts";
		rc = rados_conf_set(*cluster, timeouts[i], STATE_RADOS_TIMEOUT);
	}
	if (rc == 0) {
		step = "connect";
		rc = rados_connect(*cluster);
	}
	if (rc == 0) {
		step = "open the pool";
		rc = rados_ioctx_create(*cluster, pool, io);
	}
	if (rc < 0) {
		log_error("state: %s: cannot %s (pool %s, rados_conf %s, rados_id %s): %s", what,
			  step, pool, c->rados_conf[0] ? c->rados_conf : "(default)",
			  id ? id : "admin", strerror(-rc));
		/* rados_shutdown also frees a handle that never connected. */
		rados_shutdown(*cluster);
		return rc;
	}
	rados_ioctx_set_namespace(*io, c->rados_namespace[0] ? c->rados_namespace : NULL);
	return 0;
}

int state_rados_addrs(rados_t cluster, char *out, size_t cap)
{
	char *addrs = NULL;
	int rc = rados_getaddrs(cluster, &addrs);
	if (rc == 0)
		snprintf(out, cap, "%s", addrs ? addrs : "");
	free(addrs);
	return rc;
}

void state_rados_close(rados_t cluster, rados_ioctx_t io)
{
	rados_ioctx_destroy(io);
	rados_shutdown(cluster);
}

int state_rados_shared_secret(const struct state_cluster_options *c, const char *oid,
			      uint8_t *out, size_t len)
{
	rados_t cluster;
	rados_ioctx_t io;
	int rc = state_rados_connect(c, "shared secret", &cluster, &io);
	if (rc)
		return rc;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = rados_read(io, oid, (char *)out, len, 0);
		if (rc == (int)len) {
			rc = 0;
			break;
		}
		if (rc >= 0) {
			log_error("state: RADOS object %s holds %d bytes, not %zu; remove it to make "
				  "a new one (clients will see stale file handles)",
				  oid, rc, len);
			rc = -EINVAL;
			break;
		}
		if (rc != -ENOENT)
			break;
		/* The first head makes it; a head racing it reads the winner's. */
		if (getrandom(out, len, 0) != (ssize_t)len) {
			rc = -EIO;
			break;
		}
		rados_write_op_t op = rados_create_write_op();
		if (!op) {
			rc = -ENOMEM;
			break;
		}
		rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
		rados_write_op_write_full(op, (const char *)out, len);
		rc = rados_write_op_operate(op, io, oid, NULL, 0);
		rados_release_write_op(op);
		if (rc == 0) {
			log_info("state: made the cluster's %s", oid);
			break;
		}
		if (rc != -EEXIST)
			break;
	}
	if (rc)
		log_error("state: cannot read or make the cluster's %s: %s", oid, strerror(-rc));
	state_rados_close(cluster, io);
	return rc;
}
