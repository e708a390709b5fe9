/* A libcephfs client configured as the ceph back end configures its own,
 * for the back end (ceph.c) and for ferry-cephfs-floor, which measures what
 * the same client costs with no NFS above it (bench/cephfs_floor.c). */
#ifndef FERRY_BACKEND_CEPH_CLIENT_H
#define FERRY_BACKEND_CEPH_CLIENT_H

#include <stddef.h>

struct ceph_mount_info;

/* Creates a client as id and configures it: the configuration file conf,
 * CEPH_ARGS, the request path's debug levels quieted unless the file or
 * CEPH_ARGS set them, and the settings the back end relies on (libcephfs
 * checking each caller's permissions, a 30 s mount timeout, directory
 * sizes as entry counts).  0 with *out created, not mounted; otherwise a
 * negative errno, *out NULL and what failed in err. */
int cephfs_client_create(const char *conf, const char *id, struct ceph_mount_info **out,
			 char *err, size_t errlen);

#endif
