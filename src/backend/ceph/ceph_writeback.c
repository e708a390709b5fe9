/* The ceph back end's bound on WRITE data not yet on the OSDs (for
 * ferry-cephfs-floor too, which makes the same calls without NFS).
 *
 * An unstable WRITE is answered once libcephfs's object cacher holds its
 * data; the cacher's flusher sends it to the OSDs later, and a writer
 * waits when the cacher holds more than client_oc_max_dirty in dirty and
 * in-flight data.  But a range rewritten while its earlier data is still
 * on the way to the OSDs stops counting that earlier data (its buffer is
 * dirty again), although the request carrying it keeps its buffer until
 * the OSD answers: under rewrites faster than the OSDs take them (a hot
 * file, ferry-bench write1m's 64 MiB file), the memory of requests in
 * flight grows without a limit — measured at 2.3 GB after 6 s, growing by
 * about 200 MB/s, the objecter's own byte throttle (100 MiB) only counting
 * past its maximum (libcephfs takes it without waiting).
 *
 * So the mount counts the bytes unstable WRITEs gave libcephfs since the
 * last settle; the WRITE that takes the count past the limit syncs the
 * mount (ceph_sync_fs: every dirty range is sent and answered, and a
 * range's newer data goes after its older data to the same object, so the
 * older requests are answered too) and takes what it covered off the
 * count.  WRITEs go on meanwhile, and wait once the count reaches twice
 * the limit, until the settle ends.  Stable WRITEs wait for their own
 * file's data and are not counted. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cephfs/libcephfs.h>

#include "backend/ceph/ceph_client.h"
#include "core/log.h"

struct cephfs_writeback {
	struct ceph_mount_info *cm;
	pthread_mutex_t lock;
	pthread_cond_t settled;
	uint64_t unsettled; /* bytes given to libcephfs since the last settle */
	uint64_t limit;	    /* 0: none (the client has no cacher) */
	bool settling;
	_Atomic uint64_t settles, waits;
};

/* A setting of the client's, as a number (dflt when unreadable). */
static uint64_t cephfs_conf_u64(struct ceph_mount_info *cm, const char *name, uint64_t dflt)
{
	char v[64];
	char *end;

	if (ceph_conf_get(cm, name, v, sizeof(v)) != 0)
		return dflt;
	unsigned long long n = strtoull(v, &end, 10);
	return end != v ? (uint64_t)n : dflt;
}

struct cephfs_writeback *cephfs_writeback_new(struct ceph_mount_info *cm)
{
	struct cephfs_writeback *w = calloc(1, sizeof(*w));
	char oc[16] = "";

	if (!w)
		return NULL;
	w->cm = cm;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->settled, NULL);
	/* Twice what the cacher may hold dirty (client_oc_max_dirty, 100 MiB
	 * by default): a sequential writer, whom the cacher's own limit
	 * holds, passes it once per two of its rounds.  Without the cacher
	 * (client_oc = false) a WRITE waits for its OSDs itself. */
	ceph_conf_get(cm, "client_oc", oc, sizeof(oc));
	if (strcmp(oc, "false") != 0)
		w->limit = 2 * cephfs_conf_u64(cm, "client_oc_max_dirty", 100u << 20);
	return w;
}

void cephfs_writeback_free(struct cephfs_writeback *w)
{
	if (!w)
		return;
	pthread_cond_destroy(&w->settled);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void cephfs_writeback_admit(struct cephfs_writeback *w)
{
	if (!w->limit)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->unsettled >= 2 * w->limit && w->settling) {
		atomic_fetch_add_explicit(&w->waits, 1, memory_order_relaxed);
		while (w->unsettled >= 2 * w->limit && w->settling)
			pthread_cond_wait(&w->settled, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
}

int cephfs_writeback_written(struct cephfs_writeback *w, uint64_t bytes)
{
	uint64_t covered = 0;

	if (!w->limit)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->unsettled += bytes;
	if (w->unsettled >= w->limit && !w->settling) {
		w->settling = true;
		covered = w->unsettled;
	}
	pthread_mutex_unlock(&w->lock);
	if (!covered)
		return 0;
	int rc = ceph_sync_fs(w->cm);
	if (rc < 0)
		log_warn("ceph: syncing to bound the WRITE data in flight to the OSDs: %s",
			 strerror(-rc));
	atomic_fetch_add_explicit(&w->settles, 1, memory_order_relaxed);
	pthread_mutex_lock(&w->lock);
	/* A failed sync settles nothing it can tell; the count starts again
	 * anyway, so that writers are not held for good by a cluster that
	 * refuses a sync (their own WRITEs report what it does). */
	w->unsettled -= covered;
	w->settling = false;
	pthread_cond_broadcast(&w->settled);
	pthread_mutex_unlock(&w->lock);
	return 1;
}

void cephfs_writeback_counts(struct cephfs_writeback *w, uint64_t *settles, uint64_t *waits)
{
	*settles = atomic_load_explicit(&w->settles, memory_order_relaxed);
	*waits = atomic_load_explicit(&w->waits, memory_order_relaxed);
}
