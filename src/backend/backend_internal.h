/* Private to the back ends: rules both implementations must apply the same
 * way, so the conformance tests hold for either. */
#ifndef FERRY_BACKEND_BACKEND_INTERNAL_H
#define FERRY_BACKEND_BACKEND_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"

/* The NFS layer already rejects these; a back end checks again because a
 * '/' or ".." reaching a system call would walk out of the directory. */
static inline int backend_name_check(const char *name)
{
	size_t len = strnlen(name, BACKEND_NAME_MAX + 1);

	if (len == 0 || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	if (len > BACKEND_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* An extended attribute's name without its "user." prefix (backend.h).  The
 * NFS layer checks it first; here it is checked again because the name
 * ends up in a system call. */
static inline int backend_xattr_name_check(const char *name)
{
	size_t len = strnlen(name, BACKEND_XATTR_NAME_MAX + 1);

	if (len == 0)
		return -EINVAL;
	if (len > BACKEND_XATTR_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

enum { BACKEND_XATTR_PREFIX_LEN = 5 /* "user." */ };

/* lease_notify and dir_notify: the back end's threads read the function
 * and its argument together under lock, so they are set together under it
 * (no thread calls the new function with the old argument). */
static inline void backend_lease_notify_set(pthread_mutex_t *lock, backend_lease_break_fn *fn_at,
					    void **ctx_at, backend_lease_break_fn fn, void *ctx)
{
	pthread_mutex_lock(lock);
	*fn_at = fn;
	*ctx_at = ctx;
	pthread_mutex_unlock(lock);
}

static inline void backend_dir_notify_set(pthread_mutex_t *lock, backend_dir_change_fn *fn_at,
					  void **ctx_at, backend_dir_change_fn fn, void *ctx)
{
	pthread_mutex_lock(lock);
	*fn_at = fn;
	*ctx_at = ctx;
	pthread_mutex_unlock(lock);
}

/* Calls fn, as backend_ops.listxattr does, for the "user." names of list
 * (len bytes of NUL-terminated names of every namespace, as listxattr(2)
 * gives them) in cookie order, from after cookie (xattr_list.c). */
int backend_xattr_list_emit(const char *list, size_t len, uint64_t cookie, backend_xattr_fn fn,
			    void *ctx, bool *eof);

/* POSIX ACLs in the kernel's "system.posix_acl_access" and
 * "system.posix_acl_default" attribute format (posix_acl.c), which both
 * file-backed back ends keep them in. */
#define BACKEND_ACL_XATTR_ACCESS "system.posix_acl_access"
#define BACKEND_ACL_XATTR_DEFAULT "system.posix_acl_default"

static inline const char *backend_acl_xattr_name(enum backend_acl_kind kind)
{
	return kind == BACKEND_ACL_DEFAULT ? BACKEND_ACL_XATTR_DEFAULT : BACKEND_ACL_XATTR_ACCESS;
}

enum { BACKEND_ACL_XATTR_MAX = 4 + 8 * BACKEND_ACL_MAX_ENTRIES };

/* Whether cred may do want (BACKEND_ACCESS_* bits) to an object owned by
 * uid:gid whose valid access ACL is acl, as the kernel's permission check
 * decides (acl(5)): the owner by its entry, a named user by its entry
 * through the mask, a member of the owning or a named group if one of
 * those entries grants all of want through the mask, anyone else by the
 * other entry.  Not for root (backend_mode_may). */
bool backend_acl_may(const struct backend_acl *acl, const struct backend_cred *cred,
		     uint32_t uid, uint32_t gid, uint32_t want);

/* 0 when acl is valid (backend.h), else -EINVAL. */
int backend_acl_check(const struct backend_acl *acl);

/* Reads an attribute value (len bytes) into *out: 0, or -EINVAL for a
 * value that is not a valid ACL in that format. */
int backend_acl_from_xattr(const uint8_t *val, size_t len, struct backend_acl *out);

/* Writes a valid acl as an attribute value into buf (room for
 * BACKEND_ACL_XATTR_MAX bytes); its length. */
size_t backend_acl_to_xattr(const struct backend_acl *acl, uint8_t *buf);

/* An EXCLUSIVE create keeps its verifier in the new file's mtime and atime
 * seconds, as Linux nfsd does, so a retried create can recognise the file
 * after a restart without extra storage.  The top bit of each half is
 * dropped: some file systems cannot store timestamps past 2038. */
static inline void backend_verifier_to_times(const uint8_t v[8], struct timespec *atime,
					     struct timespec *mtime)
{
	uint32_t hi = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	uint32_t lo = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 | v[7];

	mtime->tv_sec = (time_t)(hi & 0x7fffffffu);
	mtime->tv_nsec = 0;
	atime->tv_sec = (time_t)(lo & 0x7fffffffu);
	atime->tv_nsec = 0;
}

static inline int backend_verifier_matches(const uint8_t v[8], const struct timespec *atime,
					   const struct timespec *mtime)
{
	struct timespec a, m;

	backend_verifier_to_times(v, &a, &m);
	return a.tv_sec == atime->tv_sec && a.tv_nsec == atime->tv_nsec &&
	       m.tv_sec == mtime->tv_sec && m.tv_nsec == mtime->tv_nsec;
}

/* --- what every back end over a POSIX-like file system computes alike
 * (posix.c) ------------------------------------------------------------ */

struct statvfs;

/* The type of a file of mode (its S_IFMT bits); anything unknown is a
 * regular file. */
enum backend_ftype backend_ftype_of_mode(uint32_t mode);

/* The S_IFMT bits of type t; 0 for no such type. */
uint32_t backend_ftype_mode(enum backend_ftype t);

/* Whether cred's primary or supplementary groups include gid. */
bool backend_cred_in_group(const struct backend_cred *cred, uint32_t gid);

/* Whether cred may have all of want (BACKEND_ACCESS_READ, _WRITE, _EXEC)
 * on an object of this type, permission bits, owner and group, by its
 * owner, group or other bits; root may do anything but execute a file with
 * no x bit. */
bool backend_mode_may(const struct backend_cred *cred, enum backend_ftype type, uint32_t mode,
		      uint32_t uid, uint32_t gid, uint32_t want);

/* The attributes a stat says alike on every back end: *attr zeroed, then
 * its type and permission bits (of mode), links, owner, group, size, space
 * (blocks of 512 bytes) and file id; the rest is the caller's. */
void backend_attr_from_stat(struct backend_attr *attr, uint32_t mode, uint32_t nlink,
			    uint32_t uid, uint32_t gid, uint64_t size, uint64_t blocks,
			    uint64_t fileid);

/* backend_attr_from_stat of a struct statx or a libcephfs struct
 * ceph_statx, whose fields are named alike. */
#define BACKEND_ATTR_FROM_STATX(attr, stx)                                                     \
	backend_attr_from_stat((attr), (stx)->stx_mode, (stx)->stx_nlink, (stx)->stx_uid,     \
			       (stx)->stx_gid, (stx)->stx_size, (stx)->stx_blocks,             \
			       (stx)->stx_ino)

/* The space and file counts of a statvfs into out (the rest of out is
 * left alone). */
void backend_fsstat_from_statvfs(const struct statvfs *sv, struct backend_fsstat *out);

/* The fallocate mode that does what: 0 for ALLOCATE, whose size grows when
 * the range ends past it (RFC 7862 15.1.3 lets ALLOCATE extend a file);
 * a hole that keeps the size for DEALLOCATE. */
int backend_space_fallocate_mode(enum backend_space what);

#endif
