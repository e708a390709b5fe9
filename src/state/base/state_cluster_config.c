/* The cluster's configuration: the text of one RADOS object, "config" in
 * the [cluster] pool and namespace, which every head reads at start and
 * watches.  Ferry's INI syntax; what it may hold and how it is checked is
 * the configuration's business (core/config.h), this file only keeps the
 * bytes, their version and the watch. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/base/state_rados.h"

#define CONFIG_OID "config"
/* Larger than any configuration of CONFIG_MAX_EXPORTS exports needs. */
enum { CONFIG_TEXT_MAX = 4 << 20 };

struct state_cluster_config {
	rados_t cluster;
	rados_ioctx_t io;
	/* One operation at a time on io, whose last version is per handle.
	 * lock order: see core/lock_order.h, level 2e. */
	pthread_mutex_t lock;
	uint64_t cookie;
	bool watching;
	void (*changed)(void *arg);
	void *arg;
};

int state_cluster_config_open(const struct state_cluster_options *c,
			      struct state_cluster_config **out)
{
	struct state_cluster_config *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	int rc = state_rados_connect(c, "cluster configuration", &cc->cluster, &cc->io);
	if (rc) {
		free(cc);
		return rc;
	}
	pthread_mutex_init(&cc->lock, NULL);
	*out = cc;
	return 0;
}

void state_cluster_config_close(struct state_cluster_config *cc)
{
	if (!cc)
		return;
	if (cc->watching)
		rados_unwatch2(cc->io, cc->cookie);
	state_rados_close(cc->cluster, cc->io);
	pthread_mutex_destroy(&cc->lock);
	free(cc);
}

static int config_read(struct state_cluster_config *cc, char **text, uint64_t *version)
{
	*text = NULL;
	*version = 0;
	uint64_t size = 0;
	time_t mtime;
	int rc = rados_stat(cc->io, CONFIG_OID, &size, &mtime);
	if (rc == -ENOENT) {
		*text = strdup("");
		return *text ? 0 : -ENOMEM;
	}
	if (rc < 0)
		return rc;
	if (size > CONFIG_TEXT_MAX)
		return -EFBIG;
	/* Room for a write that lands between the stat and the read: a
	 * read that fills the buffer is tried again. */
	for (size_t cap = (size_t)size + 4096;; cap *= 2) {
		if (cap > CONFIG_TEXT_MAX + 1)
			return -EFBIG;
		char *buf = malloc(cap + 1);
		if (!buf)
			return -ENOMEM;
		rados_read_op_t op = rados_create_read_op();
		if (!op) {
			free(buf);
			return -ENOMEM;
		}
		size_t got = 0;
		int prval = 0;
		rados_read_op_read(op, 0, cap, buf, &got, &prval);
		rc = rados_read_op_operate(op, cc->io, CONFIG_OID, 0);
		if (rc == 0)
			rc = prval;
		uint64_t ver = rados_get_last_version(cc->io);
		rados_release_read_op(op);
		if (rc == -ENOENT) {
			free(buf);
			*text = strdup("");
			return *text ? 0 : -ENOMEM;
		}
		if (rc < 0) {
			free(buf);
			return rc;
		}
		if (got < cap) {
			buf[got] = '\0';
			if (memchr(buf, '\0', got)) {
				free(buf);
				return -EILSEQ;
			}
			*text = buf;
			*version = ver;
			return 0;
		}
		free(buf);
	}
}

int state_cluster_config_read(struct state_cluster_config *cc, char **text, uint64_t *version)
{
	pthread_mutex_lock(&cc->lock);
	int rc = config_read(cc, text, version);
	pthread_mutex_unlock(&cc->lock);
	return rc;
}

int state_cluster_config_write(struct state_cluster_config *cc, const char *text,
			       uint64_t version, uint64_t *written)
{
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	/* Version 0: there was no object; another head may make it first. */
	if (version)
		rados_write_op_assert_version(op, version);
	else
		rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_write_full(op, text, strlen(text));
	pthread_mutex_lock(&cc->lock);
	int rc = rados_write_op_operate(op, cc->io, CONFIG_OID, NULL, 0);
	*written = rc == 0 ? rados_get_last_version(cc->io) : 0;
	pthread_mutex_unlock(&cc->lock);
	rados_release_write_op(op);
	if (rc == -ERANGE || rc == -EOVERFLOW || rc == -EEXIST)
		rc = -ECANCELED;
	return rc;
}

int state_cluster_config_notify(struct state_cluster_config *cc, unsigned timeout_ms)
{
	char *reply = NULL;
	size_t len = 0;
	int rc = rados_notify2(cc->io, CONFIG_OID, "", 0, timeout_ms, &reply, &len);
	if (reply)
		rados_buffer_free(reply);
	return rc;
}

static void config_notified(void *arg, uint64_t notify_id, uint64_t handle,
			    uint64_t notifier_id, void *data, size_t len)
{
	struct state_cluster_config *cc = arg;
	(void)notifier_id;
	(void)data;
	(void)len;
	/* Acked at once: the notifier waits for every watcher's ack, and
	 * this head applies the change on its own thread, not here. */
	rados_notify_ack(cc->io, CONFIG_OID, notify_id, handle, NULL, 0);
	cc->changed(cc->arg);
}

static void config_watch_error(void *arg, uint64_t cookie, int err)
{
	struct state_cluster_config *cc = arg;
	(void)cookie;
	log_warn("state: the watch on the cluster's configuration broke (%s); it is set up "
		 "again and the configuration read again",
		 strerror(-err));
	/* A change may have been missed: the consumer re-watches and reads. */
	cc->changed(cc->arg);
}

int state_cluster_config_watch(struct state_cluster_config *cc, void (*changed)(void *arg),
			       void *arg)
{
	cc->changed = changed;
	cc->arg = arg;
	/* A watch needs the object: the first head makes it, empty. */
	rados_write_op_t op = rados_create_write_op();
	if (!op)
		return -ENOMEM;
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	int rc = rados_write_op_operate(op, cc->io, CONFIG_OID, NULL, 0);
	rados_release_write_op(op);
	if (rc && rc != -EEXIST)
		return rc;
	rc = rados_watch2(cc->io, CONFIG_OID, &cc->cookie, config_notified, config_watch_error,
			  cc);
	cc->watching = rc == 0;
	return rc;
}

int state_cluster_config_watch_check(struct state_cluster_config *cc)
{
	if (cc->watching && rados_watch_check(cc->io, cc->cookie) >= 0)
		return 0;
	if (cc->watching)
		rados_unwatch2(cc->io, cc->cookie);
	cc->watching = false;
	return state_cluster_config_watch(cc, cc->changed, cc->arg);
}
