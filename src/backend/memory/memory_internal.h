/* Private to the memory back end (memory*.c): the tree and the rules it
 * shares between files. */
#ifndef FERRY_BACKEND_MEMORY_INTERNAL_H
#define FERRY_BACKEND_MEMORY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "backend/backend_internal.h"
#include "core/hashtable.h"

enum {
	MEM_HANDLE_LEN = 16,      /* object id, then the export's generation */
	MEM_FIRST_COOKIE = 3,     /* 0, 1 and 2 are NFSv4's */
	MEM_LINK_MAX = 65000,
	MEM_MODE_SUID = 04000,
	MEM_MODE_SGID = 02000,
	MEM_MODE_STICKY = 01000,
	MEM_BLOCK = 4096, /* the unit of space, holes and clones */
};

#define MEM_FILE_MAX (1ull << 30) /* bytes a regular file may hold, at most */

struct mem_node;

/* A name in a directory.  cookie is the entry's place in the listing,
 * given when the name is added and never reused in that directory. */
struct mem_entry {
	char *name;
	uint64_t cookie;
	struct mem_node *node;
};

/* An extended attribute (memory_xattr.c).  cookie is its place in the
 * object's listing, given when it is created and never reused there. */
struct mem_xattr {
	char *name;
	uint8_t *value;
	size_t len;
	uint64_t cookie;
};

struct mem_node {
	uint64_t id; /* never reused within an export */
	enum backend_ftype type;
	uint32_t mode, uid, gid, nlink;
	uint64_t change;
	struct timespec atime, mtime, ctime, btime;
	uint32_t rdev_major, rdev_minor;
	/* BACKEND_REG */
	enum backend_lease lease; /* what the server holds (memory_lease.c) */
	uint8_t *data;
	uint64_t size;
	size_t cap;
	/* Which MEM_BLOCKs of the file hold space (bit i: block i), as a
	 * file system's extents: written or allocated ones; the others read
	 * as zeros and are holes.  nblocks bits have room. */
	uint8_t *blocks;
	size_t nblocks;
	/* BACKEND_LNK */
	char *target;
	/* BACKEND_DIR: entries in cookie order */
	struct mem_entry *ents;
	size_t nents, ents_cap;
	uint64_t next_cookie;
	struct mem_node *parent;
	/* Extended attributes of a regular file or directory, in cookie
	 * order. */
	struct mem_xattr *xattrs;
	size_t nxattrs, xattrs_cap;
	uint64_t next_xattr_cookie;

	struct hashtable_node node; /* in the export's table by id */
};

/* One mutex guards the whole tree: the back end serves tests, where
 * simple beats parallel. */
struct mem_export {
	pthread_mutex_t lock; /* lock order: see core/lock_order.h, level 6 */
	uint64_t gen; /* random per open: older handles are stale */
	uint64_t next_id;
	uint64_t clock; /* the change counter */
	uint64_t bytes; /* held by regular files */
	struct mem_node *root;
	struct hashtable table; /* struct mem_node, by id */
	/* Who hears of lease breaks (only ever simulated: nothing outside the
	 * server can open a memory file). */
	backend_lease_break_fn lease_break;
	void *lease_ctx;
	/* backend_memory_set_latency: each call that looks up or changes
	 * names or attributes first sleeps this long (no lock held). */
	_Atomic unsigned latency_us;
};

/* Sleeps for the latency set on the export, if any. */
void mem_metadata_delay(struct mem_export *ex);
/* How every call that looks up or changes names or attributes starts:
 * the latency first, with no lock held (a call its arguments refuse pays
 * it too), then the export's lock, which the caller releases. */
void mem_lock_metadata(struct mem_export *ex);
/* mem_lock_metadata, then the node of h (mem_node_find); the lock is held
 * on return whatever the outcome. */
int mem_lock_metadata_node(struct mem_export *ex, const struct backend_handle *h,
			   struct mem_node **out);

static inline struct mem_export *mem_export_of(struct backend_export *ex)
{
	return (struct mem_export *)ex;
}

/* ---- memory_lease.c (take ex->lock themselves) ---- */

backend_lease_op mem_lease;
backend_lease_notify_op mem_lease_notify;

/* All below run with ex->lock held. */

/* Resolves a handle: 0, -EBADF or -ESTALE. */
int mem_node_find(struct mem_export *ex, const struct backend_handle *h, struct mem_node **out);
/* The directory for a lookup or a change under it: must be one, and cred
 * needs want on it. */
int mem_dir_get(struct mem_export *ex, const struct backend_cred *cred,
		const struct backend_handle *h, uint32_t want, struct mem_node **out);
/* An existing name, for LOOKUP and REMOVE: the name's check
 * (backend_name_check), the directory as mem_dir_get finds it for a search,
 * then -ENOENT; *at is the name's index in *dir_out. */
int mem_dir_get_entry(struct mem_export *ex, const struct backend_cred *cred,
		      const struct backend_handle *dir, const char *name,
		      struct mem_node **dir_out, long *at);
void mem_handle_make(const struct mem_export *ex, const struct mem_node *n,
		     struct backend_handle *out);
/* What a call that finds or makes n hands back: its handle and, when attr
 * is not NULL, its attributes (the local back end's local_describe). */
void mem_node_describe(const struct mem_export *ex, const struct mem_node *n,
		       struct backend_handle *out, struct backend_attr *attr);
void mem_attr_fill(const struct mem_node *n, struct backend_attr *attr);

/* Records a change: MEM_TOUCH_* bits say which times move. */
enum { MEM_TOUCH_CTIME = 1, MEM_TOUCH_MTIME = 2 };
void mem_touch(struct mem_export *ex, struct mem_node *n, unsigned what);

/* Whether cred holds every BACKEND_ACCESS_* bit in want on n. */
bool mem_may(const struct backend_cred *cred, const struct mem_node *n, uint32_t want);

/* A new object owned by cred, as the kernel's inode_init_owner makes it in
 * dir (set-group-ID directories hand down their group).  Not yet linked. */
struct mem_node *mem_node_new(struct mem_export *ex, enum backend_ftype type, uint32_t mode,
			      const struct backend_cred *cred, const struct mem_node *dir);
/* Frees n if no name is left; for a failed create, also unlinked ones. */
void mem_node_release(struct mem_export *ex, struct mem_node *n);

/* Index of name in dir, or -1. */
long mem_dir_find(const struct mem_node *dir, const char *name);
/* Adds a name for n at the end of dir's listing.  Link counts and the
 * parent pointer are the caller's. */
int mem_dir_add(struct mem_export *ex, struct mem_node *dir, const char *name,
		struct mem_node *n);
/* Takes entry i out of dir; the node's link count is the caller's. */
void mem_dir_del(struct mem_node *dir, size_t i);

int mem_setattr_apply(struct mem_export *ex, const struct backend_cred *cred, struct mem_node *n,
		      const struct backend_setattr *sa);

/* memory_xattr.c (take ex->lock themselves, but mem_xattrs_free) */
backend_getxattr_op mem_getxattr;
backend_setxattr_op mem_setxattr;
backend_listxattr_op mem_listxattr;
backend_removexattr_op mem_removexattr;
/* Frees n's attributes (n going away). */
void mem_xattrs_free(struct mem_node *n);

/* ---- file data (memory.c), under ex->lock ---- */

/* 0 for a regular file; -EISDIR or -EINVAL for anything else. */
int mem_data_type(const struct mem_node *n);
/* A regular file by handle: mem_node_find, then mem_data_type. */
int mem_file_find(struct mem_export *ex, const struct backend_handle *h, struct mem_node **out);
/* Reading a file's data (READ, SEEK, the source of COPY and CLONE): read or
 * execute permission, or ownership. */
bool mem_may_read_data(const struct backend_cred *cred, const struct mem_node *n);
/* Changing a file's data: write permission, or ownership. */
bool mem_may_write_data(const struct backend_cred *cred, const struct mem_node *n);
/* A regular file by handle (mem_file_find) that cred may read, or with
 * write true change: -EACCES otherwise. */
int mem_file_access(struct mem_export *ex, const struct backend_cred *cred,
		    const struct backend_handle *h, bool write, struct mem_node **out);
/* Clears set-user-ID (and group-executable set-group-ID) as a write by
 * someone without CAP_FSETID does. */
void mem_kill_suid(const struct backend_cred *cred, struct mem_node *n);
/* The most bytes a file may hold (backend_memory_set_file_max). */
uint64_t mem_file_max(void);
/* Sets the size: new bytes are zeros (a hole), blocks past a smaller size
 * are freed.  -EFBIG, -ENOSPC. */
int mem_resize(struct mem_export *ex, struct mem_node *n, uint64_t size);

/* ---- memory_space.c: which blocks hold space; NFSv4.2 data calls ---- */

/* Marks the blocks [off, off + len) touches as holding space (len > 0).
 * -ENOSPC when the map cannot grow. */
int mem_space_fill(struct mem_node *n, uint64_t off, uint64_t len);
/* Frees the blocks wholly at or past size. */
void mem_space_truncate(struct mem_node *n, uint64_t size);
/* Bytes of space the file holds. */
uint64_t mem_space_used(const struct mem_node *n);

/* The backend_ops calls (take ex->lock themselves). */
backend_space_op mem_space;
backend_seek_op mem_seek;
backend_clone_op mem_clone;
backend_advise_op mem_advise;

/* memory_dir.c */
backend_create_file_op mem_create_file;
backend_mknod_op mem_mknod;
backend_symlink_op mem_symlink;
backend_remove_op mem_remove;
backend_rename_op mem_rename;
backend_link_op mem_link;
backend_readdir_op mem_readdir;

#endif
