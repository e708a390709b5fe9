/* A libcephfs client configured as the ceph back end configures its own,
 * for the back end (ceph.c) and for ferry-cephfs-floor, which measures what
 * the same client costs with no NFS above it (bench/cephfs_floor.c). */
#ifndef FERRY_BACKEND_CEPH_CLIENT_H
#define FERRY_BACKEND_CEPH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct ceph_mount_info;
struct cephfs_writeback;

/* Creates a client as id and configures it: the configuration file conf,
 * CEPH_ARGS, the request path's debug levels quieted unless the file or
 * CEPH_ARGS set them, and the settings the back end relies on (libcephfs
 * checking each caller's permissions, a 30 s mount timeout, directory
 * sizes as entry counts).  0 with *out created, not mounted; otherwise a
 * negative errno, *out NULL and what failed in err. */
int cephfs_client_create(const char *conf, const char *id, struct ceph_mount_info **out,
			 char *err, size_t errlen);

/* The bound on WRITE data unstable WRITEs gave the client and its OSDs
 * have not answered (ceph_writeback.c): a limit from the client's settings
 * (twice client_oc_max_dirty; none without the cacher), up to twice that
 * while a settle runs.  A WRITE is admitted before its ceph_ll_write (it
 * may wait for a settle to end) and counted after it: the one that passes
 * the limit settles (ceph_sync_fs), and then written returns 1.  NULL from
 * new: out of memory. */
struct cephfs_writeback *cephfs_writeback_new(struct ceph_mount_info *cm);
void cephfs_writeback_free(struct cephfs_writeback *w);
void cephfs_writeback_admit(struct cephfs_writeback *w);
int cephfs_writeback_written(struct cephfs_writeback *w, uint64_t bytes);
/* Settles made, and WRITEs that waited for one to end. */
void cephfs_writeback_counts(struct cephfs_writeback *w, uint64_t *settles, uint64_t *waits);

#endif
