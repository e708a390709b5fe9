/* The ceph back end's state for the control plane: the libcephfs calls it
 * made (counted by CEPHFS_CALL), and its CephFS session as the client's
 * admin socket reports it (the "status" and "mds_sessions" commands, which
 * Ceph's own `ceph daemon` uses): who the client is, whether the cluster
 * evicted it, the MDS session's state, the capabilities and inodes it
 * holds.  The socket sits in the state directory (ferryd's alone). */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backend/ceph/ceph_internal.h"

enum {
	CEPHFS_ASOK_TIMEOUT_MS = 2000,
	CEPHFS_ASOK_REPLY_MAX = 1 << 20,
};

uint64_t cephfs_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The calls by their names in libcephfs, without the ceph_ prefix. */
static const char *const cephfs_call_names[CEPHFS_CALL_COUNT] = {
	[CEPHFS_CALL_lookup_vino] = "ll_lookup_vino",
	[CEPHFS_CALL_getattr] = "ll_getattr",
	[CEPHFS_CALL_setattr] = "ll_setattr",
	[CEPHFS_CALL_lookup] = "ll_lookup",
	[CEPHFS_CALL_open] = "ll_open",
	[CEPHFS_CALL_close] = "ll_close",
	[CEPHFS_CALL_read] = "ll_read",
	[CEPHFS_CALL_write] = "ll_write",
	[CEPHFS_CALL_fsync] = "ll_fsync",
	[CEPHFS_CALL_sync_inode] = "ll_sync_inode",
	[CEPHFS_CALL_sync_fs] = "sync_fs",
	[CEPHFS_CALL_fallocate] = "ll_fallocate",
	[CEPHFS_CALL_lseek] = "ll_lseek",
	[CEPHFS_CALL_create] = "ll_create",
	[CEPHFS_CALL_mkdir] = "ll_mkdir",
	[CEPHFS_CALL_mknod] = "ll_mknod",
	[CEPHFS_CALL_symlink] = "ll_symlink",
	[CEPHFS_CALL_readlink] = "ll_readlink",
	[CEPHFS_CALL_unlink] = "ll_unlink",
	[CEPHFS_CALL_rmdir] = "ll_rmdir",
	[CEPHFS_CALL_rename] = "ll_rename",
	[CEPHFS_CALL_link] = "ll_link",
	[CEPHFS_CALL_opendir] = "ll_opendir",
	[CEPHFS_CALL_readdirplus] = "readdirplus_r",
	[CEPHFS_CALL_getxattr] = "ll_getxattr",
	[CEPHFS_CALL_setxattr] = "ll_setxattr",
	[CEPHFS_CALL_listxattr] = "ll_listxattr",
	[CEPHFS_CALL_removexattr] = "ll_removexattr",
	[CEPHFS_CALL_statfs] = "ll_statfs",
	[CEPHFS_CALL_delegation] = "ll_delegation",
	[CEPHFS_CALL_setlk] = "ll_setlk",
	[CEPHFS_CALL_getlk] = "ll_getlk",
};

static bool cephfs_io_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, CEPHFS_ASOK_TIMEOUT_MS) == 1;
}

/* Reads exactly len bytes, each within the socket's timeout. */
static bool cephfs_asok_read(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		if (!cephfs_io_wait(fd, POLLIN))
			return false;
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* One admin-socket command (request: its JSON; the reply is a 4-byte
 * big-endian length, then that much JSON).  NULL on any failure. */
static json_t *cephfs_asok(const char *path, const char *request)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	json_t *j = NULL;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto out;
	size_t n = strlen(request);
	/* The request ends with its NUL. */
	if (!cephfs_io_wait(fd, POLLOUT) || write(fd, request, n + 1) != (ssize_t)n + 1)
		goto out;
	uint8_t len[4];
	if (!cephfs_asok_read(fd, len, sizeof(len)))
		goto out;
	size_t want = (size_t)len[0] << 24 | (size_t)len[1] << 16 | (size_t)len[2] << 8 | len[3];
	if (want > CEPHFS_ASOK_REPLY_MAX || !(buf = malloc(want + 1)) ||
	    !cephfs_asok_read(fd, buf, want))
		goto out;
	j = json_loadb(buf, want, 0, NULL);
out:
	free(buf);
	close(fd);
	return j;
}

static int64_t cephfs_json_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

void cephfs_status(struct backend_export *bex, struct backend_status *out)
{
	struct cephfs_export *ex = cephfs_export_of(bex);

	memset(out, 0, sizeof(*out));
	out->caps = out->inodes = -1;
	for (unsigned k = 0; k < CEPHFS_CALL_COUNT && k < BACKEND_CALL_KINDS_MAX; k++) {
		struct backend_call_stats *c = &out->calls[out->ncalls++];
		c->name = cephfs_call_names[k];
		c->calls = atomic_load_explicit(&ex->counters[k].calls, memory_order_relaxed);
		c->errors = atomic_load_explicit(&ex->counters[k].errors, memory_order_relaxed);
		c->ns = atomic_load_explicit(&ex->counters[k].ns, memory_order_relaxed);
	}
	out->connected = ceph_is_mounted(ex->cm);
	cephfs_writeback_counts(ex->writeback, &out->write_settles, &out->write_settle_waits);
	out->write_inflight_bytes = -1;
	cephfs_cache_counts(ex, &out->read_cache_hits, &out->read_cache_fills,
			    &out->read_cache_recalls);
	if (!ex->asok[0])
		return;
	/* The objecter's byte budget counts every request's data from its
	 * sending to the OSD's answer, past its maximum too (libcephfs takes
	 * it without waiting): the memory WRITE data holds in flight. */
	json_t *pd = cephfs_asok(ex->asok, "{\"prefix\": \"perf dump\", "
					   "\"logger\": \"throttle-objecter_bytes\"}");
	if (pd) {
		out->write_inflight_bytes =
		    cephfs_json_int(json_object_get(pd, "throttle-objecter_bytes"), "val");
		json_decref(pd);
	}
	json_t *st = cephfs_asok(ex->asok, "{\"prefix\": \"status\"}");
	if (st) {
		json_t *inst = json_object_get(st, "inst_str");
		if (json_is_string(inst))
			snprintf(out->session, sizeof(out->session), "%s", json_string_value(inst));
		out->inodes = cephfs_json_int(st, "inode_count");
		if (json_is_true(json_object_get(st, "blocklisted")))
			out->connected = false;
		json_decref(st);
	}
	json_t *ms = cephfs_asok(ex->asok, "{\"prefix\": \"mds_sessions\"}");
	json_t *sessions = ms ? json_object_get(ms, "sessions") : NULL;
	if (json_is_array(sessions)) {
		size_t i;
		json_t *s;
		out->caps = 0;
		json_array_foreach(sessions, i, s)
		{
			int64_t caps = cephfs_json_int(s, "num_caps");
			if (caps > 0)
				out->caps += caps;
			json_t *state = json_object_get(s, "state");
			if (i == 0 && json_is_string(state))
				snprintf(out->state, sizeof(out->state), "%s",
					 json_string_value(state));
		}
		if (json_array_size(sessions) == 0) {
			snprintf(out->state, sizeof(out->state), "none");
			out->connected = false;
		}
	}
	json_decref(ms);
}
