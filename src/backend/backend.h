/* The storage back-end interface.
 *
 * A back end serves one exported tree.  Objects are named by persistent
 * handles: opaque bytes the back end produces and later resolves, valid
 * across a server restart for as long as the object exists.  The NFS layer
 * wraps them into NFS file handles (adding the export and a MAC); a back end
 * never sees NFS file handles, stateids or clients.
 *
 * Every call takes the caller's identity (after squashing) and the back end
 * enforces Unix permissions for it, as the local file system would.  Calls
 * return 0 or a negative errno; the NFS layer maps errnos to NFS4ERR_*.
 * All calls may be made concurrently from several threads. */
#ifndef FERRY_BACKEND_BACKEND_H
#define FERRY_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum {
	BACKEND_HANDLE_MAX = 64,
	BACKEND_MAX_GIDS = 16,
	BACKEND_NAME_MAX = 255,
	BACKEND_PATH_MAX = 4096,
	/* Extended attributes (backend_ops.getxattr and the rest) are those
	 * of the host's "user." namespace, named without the prefix: Linux
	 * allows 255 bytes for the whole name and 64 KiB for a value. */
	BACKEND_XATTR_NAME_MAX = 255 - 5,
	BACKEND_XATTR_SIZE_MAX = 65536,
};

struct backend_handle {
	uint8_t len;
	uint8_t data[BACKEND_HANDLE_MAX];
};

enum backend_ftype {
	BACKEND_REG = 1,
	BACKEND_DIR = 2,
	BACKEND_BLK = 3,
	BACKEND_CHR = 4,
	BACKEND_LNK = 5,
	BACKEND_SOCK = 6,
	BACKEND_FIFO = 7,
};

/* Who is asking, after the export's squashing rules. */
struct backend_cred {
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids;
	uint32_t gids[BACKEND_MAX_GIDS];
};

struct backend_attr {
	enum backend_ftype type;
	uint32_t mode; /* permission bits, 07777 */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t space_used;
	uint64_t fileid;
	uint64_t change; /* changes with every data or metadata change */
	uint32_t rdev_major, rdev_minor;
	struct timespec atime, mtime, ctime;
	struct timespec btime; /* creation time; tv_sec == 0 && tv_nsec == 0 if unknown */
};

/* What SETATTR (or a create) changes; unset fields are left alone. */
enum {
	BACKEND_SET_MODE = 1u << 0,
	BACKEND_SET_UID = 1u << 1,
	BACKEND_SET_GID = 1u << 2,
	BACKEND_SET_SIZE = 1u << 3,
	BACKEND_SET_ATIME = 1u << 4,     /* to .atime */
	BACKEND_SET_ATIME_NOW = 1u << 5, /* to the server's time */
	BACKEND_SET_MTIME = 1u << 6,
	BACKEND_SET_MTIME_NOW = 1u << 7,
};

struct backend_setattr {
	uint32_t mask;
	uint32_t mode;
	uint32_t uid, gid;
	uint64_t size;
	struct timespec atime, mtime;
};

/* What a file's change attribute is made of (NFSv4.2 change_attr_type). */
enum backend_change_kind {
	BACKEND_CHANGE_COUNTER = 0, /* a counter that only grows */
	BACKEND_CHANGE_CTIME = 1,   /* the ctime, in nanoseconds */
};

struct backend_fsstat {
	uint64_t space_total, space_free, space_avail;
	uint64_t files_total, files_free, files_avail;
	uint32_t name_max;
	uint32_t link_max;
	bool xattrs; /* the file system keeps extended attributes */
	bool acls;   /* and POSIX ACLs (backend_ops.get_acl) */
	/* The alignment clone needs (offsets and lengths in multiples of it);
	 * reported whether or not the file system can clone. */
	uint32_t clone_blksize;
	enum backend_change_kind change_kind;
};

/* What seek looks for. */
enum backend_seek { BACKEND_SEEK_DATA = 0, BACKEND_SEEK_HOLE = 1 };

/* What space does to a range: NFSv4.2's ALLOCATE or DEALLOCATE. */
enum backend_space { BACKEND_SPACE_ALLOCATE, BACKEND_SPACE_DEALLOCATE };

/* Access-pattern advice (backend_ops.advise), as posix_fadvise's. */
enum backend_advice {
	BACKEND_ADVISE_NORMAL,
	BACKEND_ADVISE_SEQUENTIAL,
	BACKEND_ADVISE_RANDOM,
	BACKEND_ADVISE_WILLNEED,
	BACKEND_ADVISE_DONTNEED,
	BACKEND_ADVISE_NOREUSE,
};

/* Permission bits for backend_ops.access. */
enum {
	BACKEND_ACCESS_READ = 4,
	BACKEND_ACCESS_WRITE = 2,
	BACKEND_ACCESS_EXEC = 1,
};

enum backend_stable { BACKEND_UNSTABLE = 0, BACKEND_DATA_SYNC = 1, BACKEND_FILE_SYNC = 2 };

struct pooled_pipe; /* core/pipe_pool.h */

/* A write's data in three parts, in order (write_pipe). */
struct backend_write_parts {
	const void *head;
	size_t head_len;
	struct pooled_pipe *pipe;
	size_t pipe_len;
	const void *tail;
	size_t tail_len;
};

/* How a regular file is created. */
enum backend_create_mode {
	BACKEND_CREATE_UNCHECKED, /* create or open existing */
	BACKEND_CREATE_GUARDED,   /* -EEXIST if it exists */
	BACKEND_CREATE_EXCLUSIVE, /* -EEXIST unless it exists with the same verifier */
};

/* One directory entry handed to a readdir callback.  cookie resumes the
 * listing after this entry.  Returns false to stop (the entry is then not
 * consumed: the next listing starts at it again). */
struct backend_dirent {
	const char *name;
	size_t namelen;
	uint64_t cookie;
	const struct backend_handle *handle;
	const struct backend_attr *attr; /* NULL when the entry vanished meanwhile */
	/* Bytes an earlier listing kept for this entry (keep below) under the
	 * same struct backend_keep_key: handed back only while the entry's
	 * name, cookie, handle and attributes are exactly those they were
	 * made from, and then instead of handle and attr (both NULL).  NULL
	 * when there are none. */
	const void *kept;
	size_t kept_len;
	/* Non-NULL when the back end can keep something for this entry, made
	 * from exactly this handle and these attributes: the callback may
	 * call keep(ent, bytes, len) once, before it returns, to have len
	 * bytes (a copy) handed back as kept by later listings for as long as
	 * they stay exact.  keep_priv is the back end's. */
	void (*keep)(const struct backend_dirent *ent, const void *bytes, size_t len);
	void *keep_priv;
};
typedef bool (*backend_dirent_fn)(void *ctx, const struct backend_dirent *ent);

/* What a listing's caller keeps per entry is made for: two words that
 * together tell apart everything the bytes depend on besides the entry
 * itself (READDIR: the attributes asked for, the export).  Bytes kept under
 * one key are never handed back under another. */
struct backend_keep_key {
	uint64_t what, where;
};

/* How setxattr treats an attribute that exists, or does not. */
enum backend_xattr_set {
	BACKEND_XATTR_EITHER,  /* create or replace */
	BACKEND_XATTR_CREATE,  /* -EEXIST if it exists */
	BACKEND_XATTR_REPLACE, /* -ENODATA if it does not */
};

/* POSIX ACLs (acl(5)): an object's access ACL, which the file system's
 * permission checks use, and a directory's default ACL, which objects
 * made in it inherit.  Tags and permission bits have the values of the
 * Linux API (and of the kernel's "system.posix_acl_*" attribute format);
 * the id is a uid (USER), a gid (GROUP) or unused.  An ACL is valid when
 * its entries come in tag order (USER_OBJ, USER, GROUP_OBJ, GROUP, MASK,
 * OTHER), with USER_OBJ, GROUP_OBJ and OTHER once each, named users and
 * groups in ascending id order without repeats, and a MASK when (and only
 * when) there is a named entry. */
enum backend_acl_kind { BACKEND_ACL_ACCESS = 0, BACKEND_ACL_DEFAULT = 1 };

enum backend_acl_tag {
	BACKEND_ACL_USER_OBJ = 0x01,
	BACKEND_ACL_USER = 0x02,
	BACKEND_ACL_GROUP_OBJ = 0x04,
	BACKEND_ACL_GROUP = 0x08,
	BACKEND_ACL_MASK = 0x10,
	BACKEND_ACL_OTHER = 0x20,
};

enum {
	BACKEND_ACL_READ = 4,
	BACKEND_ACL_WRITE = 2,
	BACKEND_ACL_EXECUTE = 1,
	/* As many entries as the kernel's attribute format carries in its
	 * 64 KiB (XATTR_SIZE_MAX: a 4-byte header, 8 bytes an entry); a file
	 * system may keep fewer (ext4: what fits one block). */
	BACKEND_ACL_MAX_ENTRIES = (BACKEND_XATTR_SIZE_MAX - 4) / 8,
};

struct backend_acl_entry {
	uint16_t tag;  /* enum backend_acl_tag */
	uint16_t perm; /* BACKEND_ACL_READ | _WRITE | _EXECUTE */
	uint32_t id;
};

/* 64 KiB: allocate it, never on a stack. */
struct backend_acl {
	uint32_t count;
	struct backend_acl_entry e[BACKEND_ACL_MAX_ENTRIES];
};

/* The three entries the permission bits of mode make (backend/posix_acl.c):
 * the access ACL of an object that has none. */
void backend_acl_from_mode(uint32_t mode, struct backend_acl *out);

/* Puts entries in the order a valid ACL has them (tag, then id): what
 * clients send in any order (NFSACL, posix_access_acl). */
void backend_acl_sort(struct backend_acl *acl);

/* One extended attribute name handed to a listxattr callback (namelen
 * bytes, not NUL-terminated).  cookie resumes the listing after this name.
 * Returns false to stop (the name is then not consumed). */
typedef bool (*backend_xattr_fn)(void *ctx, const char *name, size_t namelen, uint64_t cookie);

struct backend_export;

/* What an export section says to its back end beyond the path (NULL
 * fields, or no struct at all: the back end's defaults). */
struct backend_options {
	/* ceph: the cluster's configuration file (default
	 * /etc/ceph/ceph.conf) and the client id Ferry connects as (default
	 * "admin"; its keyring is the one the configuration names). */
	const char *ceph_conf;
	const char *ceph_id;
	/* [cluster] node of this head (NULL: not clustered): ceph names its
	 * storage session after it, so that a head taking this one over can
	 * end that session (backend_ops.end_peer_session). */
	const char *cluster_node;
	/* Opened by a ferryd an upgrade started while the one before it still
	 * serves: ceph leaves that one's session (the same identity) alone,
	 * where a restart would end the session a dead ferryd left. */
	bool succeeds_running;
	/* ceph: the most file data kept in memory for READs, in MiB (0:
	 * none; the kernel's page cache does it for a local export). */
	unsigned ceph_read_cache_mb;
};

/* Kernel leases (see backend_ops.lease): what the server holds on a file so
 * that processes on the host cannot change or read it behind a delegation. */
enum backend_lease { BACKEND_LEASE_NONE = 0, BACKEND_LEASE_READ = 1, BACKEND_LEASE_WRITE = 2 };

/* What a lease notification says (backend_lease_break_fn). */
enum backend_lease_event {
	/* A process outside the server wants a leased file in a conflicting
	 * way, or has changed it in a way no lease holds back (local back
	 * end: unlink, rename, link, chmod, chown, utimes on the host): the
	 * delegations it covers are to be recalled. */
	BACKEND_LEASE_BROKEN,
	/* The back end has given the lease up without the server dropping it
	 * (ceph: a recalled CephFS delegation kept as long as the cluster
	 * allows): nothing holds the others back any more, so the delegations
	 * it covered are to be revoked now, before the others go ahead. */
	BACKEND_LEASE_LOST,
};

/* See backend_ops.lease_notify.  h is only valid during the call (copy
 * it). */
typedef void (*backend_lease_break_fn)(void *ctx, const struct backend_handle *h,
				       enum backend_lease_event ev);

/* A change made on the host, outside the server, to a watched directory
 * (backend_ops.dir_watch).  Told after the fact, in the order made. */
enum backend_dir_event {
	BACKEND_DIR_ADDED,   /* name came in (created, linked, moved in) */
	BACKEND_DIR_REMOVED, /* name went (removed, moved out) */
	BACKEND_DIR_ATTRS,   /* the directory's own attributes (name "") */
	BACKEND_DIR_CHILD,   /* the attributes of entry name */
	BACKEND_DIR_GONE,    /* the directory itself removed or moved */
	BACKEND_DIR_LOST,    /* changes were lost: anything may have changed */
};
typedef void (*backend_dir_change_fn)(void *ctx, const struct backend_handle *dir,
				      enum backend_dir_event ev, const char *name);

/* Byte-range record locks held in the storage itself (backend_ops.lock),
 * so that other servers of the same file system and its other clients
 * see them.  Ranges are [offset, offset + length); length 0 is "to the
 * end of the file, whatever its size". */
enum backend_lock_type { BACKEND_LOCK_UNLOCK = 0, BACKEND_LOCK_READ = 1, BACKEND_LOCK_WRITE = 2 };

/* A lock that stands in the way, as the storage tells it: its range and
 * type (which client or process holds it is not told). */
struct backend_lock_conflict {
	enum backend_lock_type type;
	uint64_t offset, length; /* length 0: to the end */
};

/* What a change left to make stable (backend_ops.sync); flags, since one
 * object may be a directory whose entries changed and whose attributes
 * did too. */
enum backend_sync_what {
	BACKEND_SYNC_ENTRIES = 1, /* a directory: names added, removed or renamed */
	BACKEND_SYNC_NEW = 2,     /* an object given a new name in such a directory */
	BACKEND_SYNC_ATTRS = 4,   /* an object whose attributes or size changed */
};

struct backend_sync_item {
	struct backend_handle h;
	unsigned what; /* enum backend_sync_what flags */
};

/* What a back end tells of itself for the control plane
 * (backend_ops.status): the calls it made to its storage and, for one
 * that reaches its storage through a session (ceph), that session. */
enum { BACKEND_CALL_KINDS_MAX = 40 };

struct backend_call_stats {
	const char *name; /* the storage's call ("ll_read"); static */
	uint64_t calls, errors;
	uint64_t ns; /* time spent in the calls */
};

struct backend_status {
	bool connected;	   /* the session works (not evicted, not unmounted) */
	char session[128]; /* what names it ("client.4223 127.0.0.1:0/31…"); "" unknown */
	char state[32];	   /* its state as the storage reports it ("open"); "" unknown */
	int64_t caps;	   /* capabilities held; -1 unknown */
	int64_t inodes;	   /* inodes cached; -1 unknown */
	/* Data on its way to the storage and not yet answered (a CephFS
	 * client's requests to its OSDs); -1 unknown. */
	int64_t write_inflight_bytes;
	/* Waits the back end made for that data to bound it (ceph: syncs
	 * once unstable WRITEs passed twice client_oc_max_dirty), and WRITEs
	 * that waited for one to end. */
	uint64_t write_settles, write_settle_waits;
	/* The back end's own read cache (ceph): READs served from it, chunks
	 * of data filled into it, and recalls that took a file's data out
	 * because another client of the storage was about to change it. */
	uint64_t read_cache_hits, read_cache_fills, read_cache_recalls;
	unsigned ncalls;
	struct backend_call_stats calls[BACKEND_CALL_KINDS_MAX];
};

/* The calls of struct backend_ops as function types (each is described
 * where the struct names it), so that a back end declares what it
 * implements by the type and the compiler holds every declaration to the
 * one signature. */
typedef int backend_export_open_op(const char *path, const char *state_dir,
				   const struct backend_options *opts, struct backend_export **out);
typedef void backend_export_close_op(struct backend_export *ex);
typedef int backend_root_op(struct backend_export *ex, struct backend_handle *out);
typedef int backend_getattr_op(struct backend_export *ex, const struct backend_handle *h,
			       struct backend_attr *attr);
typedef int backend_object_type_op(struct backend_export *ex, const struct backend_handle *h,
				   enum backend_ftype *type);
typedef int backend_lookup_op(struct backend_export *ex, const struct backend_cred *cred,
			      const struct backend_handle *dir, const char *name,
			      struct backend_handle *out, struct backend_attr *attr);
typedef int backend_lookup_path_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *dir, const char *const *names,
				   unsigned n, struct backend_handle *out,
				   struct backend_attr *attr);
typedef int backend_lookup_parent_op(struct backend_export *ex, const struct backend_cred *cred,
				     const struct backend_handle *dir, struct backend_handle *out,
				     struct backend_attr *attr);
typedef int backend_access_op(struct backend_export *ex, const struct backend_cred *cred,
			      const struct backend_handle *h, uint32_t want, uint32_t *granted);
typedef int backend_setattr_op(struct backend_export *ex, const struct backend_cred *cred,
			       const struct backend_handle *h, const struct backend_setattr *sa,
			       struct backend_attr *attr);
typedef int backend_read_op(struct backend_export *ex, const struct backend_cred *cred,
			    const struct backend_handle *h, uint64_t off, size_t len, void *buf,
			    size_t *got, bool *eof);
typedef int backend_read_nowait_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *h, const struct backend_attr *seen,
				   uint64_t off, size_t len, void *buf, size_t *got, bool *eof,
				   bool *would_block);
/* A read-only shared mapping of a file's range: base and size as mmap made
 * it, the data from base + skip.  base NULL: none.  release non-NULL: not
 * a mapping but a back end's cache memory, lent until the caller calls
 * release(release_arg) (in place of munmap), from any thread. */
struct backend_mapping {
	void *base;
	size_t size, skip;
	void (*release)(void *release_arg);
	void *release_arg;
};
typedef int backend_read_mapped_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *h, uint64_t off, size_t len,
				   struct backend_mapping *out, size_t *got, bool *eof,
				   bool *would_block);
typedef int backend_read_splice_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *h, uint64_t off, size_t len,
				   int pipe_fd, size_t *got, bool *eof, bool *would_block);
typedef int backend_write_op(struct backend_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *h, uint64_t off, const void *buf,
			     size_t len, enum backend_stable stable, size_t *written,
			     enum backend_stable *committed);
typedef int backend_write_nowait_op(struct backend_export *ex, const struct backend_cred *cred,
				    const struct backend_handle *h, const struct backend_attr *seen,
				    uint64_t off, const void *buf, size_t len, size_t *written,
				    bool *would_block);
typedef int backend_write_pipe_op(struct backend_export *ex, const struct backend_cred *cred,
				  const struct backend_handle *h, uint64_t off,
				  const struct backend_write_parts *parts,
				  enum backend_stable stable, size_t *written,
				  enum backend_stable *committed);
typedef int backend_write_hold_op(struct backend_export *ex, const struct backend_handle *h,
				  bool on);
typedef int backend_space_op(struct backend_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *h, uint64_t off, uint64_t len,
			     enum backend_space what);
typedef int backend_seek_op(struct backend_export *ex, const struct backend_cred *cred,
			    const struct backend_handle *h, uint64_t off, enum backend_seek what,
			    uint64_t *out);
typedef int backend_clone_op(struct backend_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *src, uint64_t src_off,
			     const struct backend_handle *dst, uint64_t dst_off, uint64_t len);
typedef int backend_advise_op(struct backend_export *ex, const struct backend_handle *h,
			      uint64_t off, uint64_t len, enum backend_advice advice);
typedef int backend_commit_op(struct backend_export *ex, const struct backend_handle *h,
			      uint64_t off, uint64_t len);
typedef int backend_sync_op(struct backend_export *ex, const struct backend_sync_item *items,
			    unsigned n);
typedef int backend_copy_op(struct backend_export *ex, const struct backend_cred *cred,
			    const struct backend_handle *src, uint64_t src_off,
			    const struct backend_handle *dst, uint64_t dst_off, uint64_t len,
			    uint64_t *copied);
typedef int backend_create_file_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *dir, const char *name,
				   enum backend_create_mode how, const uint8_t verifier[8],
				   const struct backend_setattr *sa, struct backend_handle *out,
				   struct backend_attr *attr, bool *created);
typedef int backend_mknod_op(struct backend_export *ex, const struct backend_cred *cred,
			     const struct backend_handle *dir, const char *name,
			     enum backend_ftype type, uint32_t rdev_major, uint32_t rdev_minor,
			     const struct backend_setattr *sa, struct backend_handle *out,
			     struct backend_attr *attr);
typedef int backend_symlink_op(struct backend_export *ex, const struct backend_cred *cred,
			       const struct backend_handle *dir, const char *name,
			       const char *target, const struct backend_setattr *sa,
			       struct backend_handle *out, struct backend_attr *attr);
typedef int backend_readlink_op(struct backend_export *ex, const struct backend_handle *h,
				char *buf, size_t cap, size_t *len);
typedef int backend_remove_op(struct backend_export *ex, const struct backend_cred *cred,
			      const struct backend_handle *dir, const char *name);
typedef int backend_rename_op(struct backend_export *ex, const struct backend_cred *cred,
			      const struct backend_handle *from_dir, const char *from_name,
			      const struct backend_handle *to_dir, const char *to_name);
typedef int backend_link_op(struct backend_export *ex, const struct backend_cred *cred,
			    const struct backend_handle *h, const struct backend_handle *dir,
			    const char *name);
typedef int backend_readdir_op(struct backend_export *ex, const struct backend_cred *cred,
			       const struct backend_handle *dir, uint64_t cookie,
			       const struct backend_keep_key *keep, backend_dirent_fn fn, void *ctx,
			       bool *eof);
typedef int backend_statfs_op(struct backend_export *ex, const struct backend_handle *h,
			      struct backend_fsstat *out);
typedef int backend_getxattr_op(struct backend_export *ex, const struct backend_cred *cred,
				const struct backend_handle *h, const char *name, void *buf,
				size_t cap, size_t *len);
typedef int backend_setxattr_op(struct backend_export *ex, const struct backend_cred *cred,
				const struct backend_handle *h, const char *name, const void *value,
				size_t len, enum backend_xattr_set how);
typedef int backend_listxattr_op(struct backend_export *ex, const struct backend_cred *cred,
				 const struct backend_handle *h, uint64_t cookie,
				 backend_xattr_fn fn, void *ctx, bool *eof);
typedef int backend_removexattr_op(struct backend_export *ex, const struct backend_cred *cred,
				   const struct backend_handle *h, const char *name);
typedef int backend_get_acl_op(struct backend_export *ex, const struct backend_cred *cred,
				const struct backend_handle *h, enum backend_acl_kind kind,
				struct backend_acl *out);
typedef int backend_set_acl_op(struct backend_export *ex, const struct backend_cred *cred,
				const struct backend_handle *h, enum backend_acl_kind kind,
				const struct backend_acl *acl);
typedef int backend_lease_op(struct backend_export *ex, const struct backend_handle *h,
			     enum backend_lease type);
typedef void backend_lease_notify_op(struct backend_export *ex, backend_lease_break_fn fn,
				     void *ctx);
/* A lease held, as an upgrade hands it over (backend_ops.lease_list). */
struct backend_lease_held {
	struct backend_handle handle;
	enum backend_lease type;
	int fd; /* a duplicate of the descriptor it is on: the caller's to close */
	/* The file's change time (ctime, ns) when listed: a change by
	 * someone on the host after that, before the new process watches the
	 * file, is caught by comparing (lease_adopt). */
	uint64_t changed_ns;
};
typedef int backend_lease_list_op(struct backend_export *ex, struct backend_lease_held **out,
				  size_t *n);
typedef int backend_lease_adopt_op(struct backend_export *ex, const struct backend_handle *h,
				   enum backend_lease type, int fd, uint64_t changed_ns);
typedef void backend_lease_leave_op(struct backend_export *ex);
typedef int backend_dir_watch_op(struct backend_export *ex, const struct backend_handle *h,
				 bool on);
typedef void backend_dir_notify_op(struct backend_export *ex, backend_dir_change_fn fn, void *ctx);
typedef int backend_dir_watch_hand_op(struct backend_export *ex, int *fd,
				      struct backend_handle **dirs, uint64_t **marks, size_t *n);
typedef int backend_dir_watch_adopt_op(struct backend_export *ex, int fd,
				       const struct backend_handle *dirs, const uint64_t *marks,
				       size_t n);
typedef void backend_dir_watch_resume_op(struct backend_export *ex);
typedef int backend_end_peer_session_op(struct backend_export *ex, const char *node);
typedef int backend_client_instance_op(struct backend_export *ex, char *out, size_t cap);
typedef int backend_lock_op(struct backend_export *ex, const struct backend_handle *h,
			    uint64_t owner, enum backend_lock_type type, uint64_t offset,
			    uint64_t length, bool test, struct backend_lock_conflict *conflict);
typedef void backend_status_op(struct backend_export *ex, struct backend_status *out);

struct backend_ops {
	const char *name;
	/* Every change of names or attributes waits for a round trip to a
	 * metadata server and holds nothing of the back end's while it waits
	 * (CephFS's MDS): the NFS layers send such changes to the rpc server's
	 * remote pool at once (export_changes_wait_remote), never to an event
	 * loop, where many wait together and the MDS answers them in batches. */
	bool changes_wait_remote;

	/* Opens an export of the tree at path (for "memory", path only names
	 * it; for "ceph", it is a directory inside the file system).
	 * state_dir is where the back end may keep persistent data; opts
	 * (NULL: none) what the export's configuration says besides. */
	backend_export_open_op *export_open;
	backend_export_close_op *export_close;

	backend_root_op *root;

	/* Resolves a handle: 0, -ESTALE (object gone or not of this export),
	 * or -EBADF (not a handle this back end could have made). */
	backend_getattr_op *getattr;
	/* The type of h's object, with getattr's errors, reading as little
	 * as the back end can (an object's type never changes; WRITE asks
	 * it, and needs no other attribute).  A back end answering from
	 * what it keeps may leave a handle gone meanwhile to the call that
	 * follows (WRITE's own) to find stale.  NULL: callers use getattr. */
	backend_object_type_op *object_type;

	/* name is one component: never "", ".", ".." nor containing '/'; the
	 * NFS layer checks that.  Symbolic links are returned, never followed. */
	backend_lookup_op *lookup;

	/* Optional (NULL: not offered).  A path walk in one call: what n
	 * lookups of names[0], names[1], ... from dir would give for the last
	 * one, when every one of them would succeed (each name one component
	 * as for lookup, every object before the last a directory the caller
	 * may search, none a symbolic link or on another mount).  Nonzero
	 * (a negative errno) says only that the walk did not go through in
	 * one piece: the caller then takes the names one lookup at a time to
	 * learn which one fails and how.  n >= 1. */
	backend_lookup_path_op *lookup_path;

	/* The parent of a directory; -ENOENT for the export root. */
	backend_lookup_parent_op *lookup_parent;

	/* Which of the requested BACKEND_ACCESS_* bits cred holds. */
	backend_access_op *access;

	backend_setattr_op *setattr;

	/* Reads up to len bytes at off into buf. */
	backend_read_op *read;

	/* read, but never waiting for a disk: when the range is not all in
	 * memory (and it is not past the end) nothing is read and
	 * *would_block is set, for the caller to call read where it may
	 * wait.  seen: the file's attributes as getattr returned them to the
	 * caller moments before, in the same operation (NULL: none), which
	 * may spare the back end asking for them again.  NULL: every read
	 * may wait. */
	backend_read_nowait_op *read_nowait;

	/* read, with the bytes going into a pipe (pipe_fd, its writing end)
	 * instead of memory: the page cache's pages are referenced by the
	 * pipe, not copied, and stay what they were read as when the file is
	 * truncated or its lease broken afterwards.  Reads up to len bytes,
	 * fewer when the pipe fills (*eof then false).  would_block as in
	 * read_nowait (non-NULL: do not wait for a disk).  NULL: the back end
	 * has no pages to hand over; callers use read. */
	backend_read_splice_op *read_splice;

	/* read, with the bytes left in the page cache and mapped (mmap) for
	 * the caller to send from and unmap: *got bytes of the file from off
	 * at out->base + out->skip (out->base NULL when *got is 0).  The
	 * mapping is the file's: a file truncated meanwhile loses its pages
	 * (touching them faults), so only the kernel may read it.  A back
	 * end with a data cache of its own lends the cache's memory instead
	 * (out->release).
	 * would_block as in read_splice.  -EOPNOTSUPP when the file cannot be
	 * mapped: callers use read.  NULL: no such pages. */
	backend_read_mapped_op *read_mapped;

	/* Writes len bytes at off; *committed says how stable they are now. */
	backend_write_op *write;

	/* write (unstable), but not when it would first have to read from a
	 * disk: when off or off + len falls inside a page of the file that
	 * is not in memory, nothing is written and *would_block is set, for
	 * the caller to call write where it may wait.  Other waits of a
	 * buffered write (dirty-page throttling, the journal) cannot be told
	 * beforehand; the caller notices them as slowness.  seen: as
	 * read_nowait's.  NULL: every write may wait. */
	backend_write_nowait_op *write_nowait;

	/* write, with the data in three parts, in order: head_len bytes at
	 * head, pipe_len bytes read from parts->pipe (taken out of it,
	 * pipe->held kept up to date, so a pipe left with bytes is never
	 * reused), tail_len bytes at tail.  *written counts the bytes written
	 * contiguously from off (a failure after some is a short write, as
	 * write's); the stability asked for holds for all of them.  NULL:
	 * the caller reads the pipe into memory and calls write. */
	backend_write_pipe_op *write_pipe;

	/* The server holds h open for writing (on) or lets one such hold go
	 * (off): one call each way per NFS open that has write access, made
	 * in the order the opens came and went.  While h is held, the back
	 * end may keep what its first write opened for the next ones (local:
	 * the descriptor, so that a WRITE does not open and close the file;
	 * each write is still checked as an open for writing would be); the
	 * last release lets it go.  Advisory: a write never depends on a
	 * hold.  0, -ENOMEM (the hold is not counted, and its release does
	 * nothing).  NULL: nothing is kept. */
	backend_write_hold_op *write_hold;

	/* NFSv4.2 space and layout of a regular file's data (RFC 7862).
	 * Each checks what WRITE (space, clone's destination) or READ (seek,
	 * clone's source) would: -EISDIR, -EINVAL for other types, -EACCES,
	 * and, for the changes, -EAGAIN where a lease of the file had to be
	 * broken first (as write).
	 *
	 * space with BACKEND_SPACE_ALLOCATE reserves [off, off + len) (len >
	 * 0), extending the size when the range ends past it; -ENOSPC,
	 * -EFBIG, -EOPNOTSUPP when the file system cannot.  With
	 * BACKEND_SPACE_DEALLOCATE it punches a hole in [off, off + len): the
	 * bytes read as zeros and free their space; the size stays. */
	backend_space_op *space;

	/* The first offset at or after off where data (or a hole) begins, as
	 * lseek's SEEK_DATA / SEEK_HOLE: the end of the file counts as a hole;
	 * -ENXIO when off is at or past the end, or no data follows it. */
	backend_seek_op *seek;

	/* Makes [dst_off, dst_off + len) of dst share src's [src_off, src_off
	 * + len) (a reflink); the destination grows when the range ends past
	 * its size.  The caller checks the ranges and their alignment to
	 * backend_fsstat.clone_blksize.  -EOPNOTSUPP when the file system
	 * cannot clone, -EXDEV across file systems, -EINVAL for ranges it
	 * refuses. */
	backend_clone_op *clone;

	/* Advice on the coming use of [off, off + len) (len 0: to the end).
	 * 0 when taken; -EOPNOTSUPP when the back end has no use for it. */
	backend_advise_op *advise;

	/* Makes written data of the range (len 0: to the end) stable. */
	backend_commit_op *commit;

	/* Makes stable (on disk: a power cut keeps it) what the changes behind
	 * items left in memory: the entries of each directory flagged
	 * BACKEND_SYNC_ENTRIES, each object flagged BACKEND_SYNC_NEW (created
	 * or linked in one of those directories: its inode), the attributes
	 * (mode, owner, times, size, extended attributes) of each flagged
	 * BACKEND_SYNC_ATTRS.  Each handle appears once.  Called by one
	 * thread with the items of every operation waiting at the time, so
	 * that they share the flushes (a group commit).  0, or the first
	 * error (then some may not be stable).  An object gone since
	 * (-ESTALE) needs nothing.  NULL for a back end whose changes are as
	 * stable as they will ever be when the call that made them returns
	 * (memory). */
	backend_sync_op *sync;

	/* Server-side copy (COPY): copies up to len bytes of regular file src
	 * from src_off to regular file dst (another file of the same export)
	 * at dst_off, as a read of src and a write of dst by cred would (the
	 * same permission checks; set-user-ID cleared on dst).  The data need
	 * not pass through the caller: the local back end uses
	 * copy_file_range, which a file system may serve by sharing extents.
	 * *copied gets the bytes copied: fewer than len is no error (copy
	 * again from there), 0 means src ends at src_off.  Callers copy in
	 * pieces of a few MiB, so that a copy can stop between them. */
	backend_copy_op *copy;

	/* Creates a regular file, owned by cred, with sa applied (mode, and for
	 * UNCHECKED on an existing file only size).  verifier is used for
	 * EXCLUSIVE (stored with the file).  *created tells whether it is new. */
	backend_create_file_op *create_file;

	/* Creates a directory, device, socket or fifo (not a regular file). */
	backend_mknod_op *mknod;

	backend_symlink_op *symlink;

	backend_readlink_op *readlink;

	/* Removes a file or an empty directory. */
	backend_remove_op *remove;

	backend_rename_op *rename;

	backend_link_op *link;

	/* Lists dir from cookie (0: the start), skipping "." and "..", calling
	 * fn for each entry until it returns false or the end is reached
	 * (*eof).  Cookies stay valid across calls and restarts while the
	 * entry exists; -EINVAL for a cookie this directory never produced
	 * (when the back end can tell).  keep (NULL: nothing kept) lets the
	 * callback keep bytes per entry (struct backend_dirent.keep); a back
	 * end may ignore it. */
	backend_readdir_op *readdir;

	backend_statfs_op *statfs;

	/* Extended attributes (RFC 8276 maps them to the host's "user."
	 * namespace).  name is without the "user." prefix: 1 to
	 * BACKEND_XATTR_NAME_MAX bytes, NUL-terminated, no NUL inside (the NFS
	 * layer checks; a back end checks again, -EINVAL / -ENAMETOOLONG).
	 * The rules are Linux's for that namespace, so both back ends agree:
	 * only regular files and directories carry such attributes (on
	 * anything else getxattr is -ENODATA, listxattr lists nothing,
	 * setxattr and removexattr are -EPERM); reading a value needs read
	 * permission, setting or removing one write permission (no owner
	 * override: the kernel's rule), listing none; in a sticky directory
	 * only its owner (or root) may change them.  A change moves the
	 * object's change attribute and ctime.  -ENOTSUP when the file system
	 * keeps none (backend_fsstat.xattrs).
	 *
	 * getxattr copies the value into buf: -ENODATA when there is no such
	 * attribute, -ERANGE when it is longer than cap. */
	backend_getxattr_op *getxattr;

	/* -E2BIG for a value over BACKEND_XATTR_SIZE_MAX; -EEXIST / -ENODATA
	 * as how says; -ENOSPC when the file system has no room for it (ext4
	 * keeps a value in one block unless it has the ea_inode feature). */
	backend_setxattr_op *setxattr;

	/* Lists the names from cookie (0: the start), calling fn for each
	 * until it returns false or the end is reached (*eof).  A cookie
	 * stays valid while its name exists and resumes after it: names that
	 * stay are neither repeated nor skipped when others come or go
	 * between two calls. */
	backend_listxattr_op *listxattr;

	/* -ENODATA when there is no such attribute. */
	backend_removexattr_op *removexattr;

	/* POSIX ACLs (NULL on a back end without them; -ENOTSUP from a file
	 * system that keeps none: backend_fsstat.acls).  get_acl reads one
	 * as cred (no permission is needed: READ_ACL is everyone's): an
	 * object without an access ACL has the one its mode bits make (three
	 * entries), one without a default ACL an empty one (count 0; only
	 * directories have default ACLs).  set_acl replaces one as cred, who
	 * must own the object (or have CAP_FOWNER): -EPERM otherwise, as the
	 * kernel rules.  An access ACL sets the mode's permission bits too
	 * (an ACL the mode bits express keeps nothing else); an empty
	 * default ACL removes it (-EACCES on anything but a directory when
	 * it is not empty).  -EINVAL for an ACL that is not valid (above),
	 * -ENOSPC or -E2BIG when the file system has no room for it.  A
	 * change moves the object's change attribute and ctime. */
	backend_get_acl_op *get_acl;
	backend_set_acl_op *set_acl;

	/* Holds (READ/WRITE) or drops (NONE) a lease on a regular file, so
	 * that a process on the host that opens it in a conflicting way waits
	 * and break_fn is called first.  0; -EAGAIN when the file is open
	 * elsewhere in a conflicting way (grant no delegation then);
	 * -ENOTSUP when the back end has no leases (grant anyway).
	 *
	 * One lease per file and export: a second call replaces the first
	 * (READ to WRITE, WRITE to READ, or NONE); the caller keeps count of
	 * the delegations it covers.  While a lease is held the server's own
	 * I/O on the file does not break it where the back end can avoid that
	 * (local: READ and WRITE leases serve reads, a WRITE lease also
	 * writes, through the descriptor that holds it); where it cannot
	 * (a WRITE through the server on a READ-leased file), the call fails
	 * at once with -EAGAIN and the lease is broken (break_fn runs), so
	 * the caller answers NFS4ERR_DELAY and recalls.
	 *
	 * When break_fn has run, the holder must drop (NONE) or downgrade the
	 * lease within the host's lease-break time (local back end:
	 * /proc/sys/fs/lease-break-time, 45 s by default), after recalling the
	 * delegation; otherwise the kernel takes the lease away itself and
	 * the host process goes ahead.  Dropping a lease that is not held is
	 * 0.  -EINVAL for anything but a regular file.  -EAGAIN also when the
	 * back end cannot watch the file for the changes no lease covers
	 * (local: out of fanotify marks).  -EMFILE when the back end has no
	 * room for another leased file (local: leases would hold more than
	 * half the descriptor limit): grant no delegation (a resource
	 * shortage, not a conflict). */
	backend_lease_op *lease;

	/* The function the back end calls (from its own thread, no lock held)
	 * when someone outside the server breaks a lease of this export, or
	 * changed a leased file's names or attributes.  The latter is told
	 * after the fact (the change has been made; no lease is being broken,
	 * so the kernel sets no deadline); the server's own operations are
	 * never reported that way: the caller judges those itself.  A file
	 * may be reported more than once for one change.  Set it before the
	 * first lease; fn NULL turns notification off.  fn may call back into
	 * the back end (lease NONE included). */
	backend_lease_notify_op *lease_notify;

	/* An in-place upgrade hands the leases over: a lease is held on an
	 * open file description, which the descriptor passed to the new
	 * process keeps, so the lease lives on there.  A back end whose
	 * leases are not descriptors (ceph: CephFS delegations of the old
	 * process's session) lists them with fd -1, and its lease_adopt takes
	 * one of its own while the old process's still holds the others back.
	 * NULL where leases cannot go over at all; the upgrade recalls those
	 * delegations first.
	 *
	 * lease_list: every lease held now (out malloc'd and its descriptors
	 * duplicates, the caller's; -1 for none).  0, or a negative errno
	 * (nothing is left to the caller).
	 *
	 * lease_adopt (the new process, before it serves): fd, received from
	 * the process before, holds a lease of type on h (fd -1: the back end
	 * takes the lease itself); the export now holds
	 * it as if it had taken it itself (fd is the export's from here on,
	 * closed on failure too), break notification included; changed_ns is
	 * lease_list's, and a file changed since is reported as a change on
	 * the host (the old process no longer watched it).  A break under
	 * way (or one that came while nobody listened, or a lease the kernel
	 * took away meanwhile when a break timed out) is reported through the
	 * break function, as any other.  0; -EINVAL for a descriptor that is
	 * not of h or a type that is not READ or WRITE; -EBUSY when this
	 * process leases h already; -ENOTSUP without leases here (no
	 * CAP_LEASE); else a negative errno.
	 *
	 * lease_leave (the process before, once the new one serves): forgets
	 * its leases without dropping them, so that closing the export does
	 * not take them from the new process (ceph: its own delegations are
	 * given back as soon as they are recalled, untold, and at exit). */
	backend_lease_list_op *lease_list;
	backend_lease_adopt_op *lease_adopt;
	backend_lease_leave_op *lease_leave;

	/* Starts (on) or stops watching directory h for changes made by
	 * processes other than the server (its own operations are never
	 * reported: the caller judges those itself), reported to the
	 * function dir_notify set, from the back end's own thread with no
	 * lock held.  Watching a directory twice is watching it once;
	 * stopping one not watched does nothing.  0; -ENOTSUP when the back
	 * end cannot watch (then changes on the host would go unseen);
	 * -EAGAIN or another -errno.  NULL for a back end nothing outside
	 * the server can change (memory). */
	backend_dir_watch_op *dir_watch;
	backend_dir_notify_op *dir_notify;
	/* In-place upgrades (optional, all three or none: NULL, directory
	 * delegations are recalled before an upgrade).  The watch goes to the
	 * new process as it is, so that no change made in between is missed:
	 *  - dir_watch_hand (the old process, frozen): stops reading, reports
	 *    every change already seen (through the dir_notify function, on
	 *    the caller's thread), and gives a duplicate of the descriptor
	 *    that reports the rest (*fd, the caller's; -1: nothing watched)
	 *    and the directories watched (*dirs malloc'd).  A back end whose
	 *    watch is no descriptor (ceph: polling each directory's change
	 *    attribute) gives *fd -1 and, per directory, what it had
	 *    accounted for (*marks malloc'd; NULL from the others).  From
	 *    then on stopping a watch leaves it to the new process.  0 or
	 *    -errno.
	 *  - dir_watch_adopt (the new process, before it serves): reports
	 *    from fd (taken, also on failure) what dirs were watched for; a
	 *    directory gone meanwhile is reported as such by the descriptor.
	 *    fd -1 with marks: watches dirs from the marks on, so that a
	 *    change made since the old process's last look is reported.
	 *    0 or -errno (-EBUSY: this process watches already).
	 *  - dir_watch_resume (the old process, the upgrade failed): reads
	 *    again, and stopping a watch stops it again. */
	backend_dir_watch_hand_op *dir_watch_hand;
	backend_dir_watch_adopt_op *dir_watch_adopt;
	backend_dir_watch_resume_op *dir_watch_resume;

	/* Optional (NULL: nothing to end).  Ends at once the storage session
	 * that head node of the cluster (backend_options.cluster_node) had
	 * for this export, and with it every lock and capability it held, so
	 * that its clients can reclaim through this head: called when this
	 * head takes node over.  0 (also when node had no session), or a
	 * negative errno. */
	backend_end_peer_session_op *end_peer_session;

	/* Optional (NULL: none).  The storage's client instance of this
	 * export as the storage's fencing names it (a CephFS client's
	 * ADDR:PORT/NONCE), into out: what a head taking this one over
	 * blocklists.  0 or a negative errno. */
	backend_client_instance_op *client_instance;

	/* POSIX record locks of owner (an id the caller picks, one per lock
	 * owner; locks of one owner never conflict, and merge and split as
	 * fcntl's do) on regular file h, held in the storage for as long as
	 * the owner keeps them, whatever else the server does with h.
	 * test false: sets type (READ, WRITE) or removes (UNLOCK) the locks
	 * of owner over the range, never waiting.  test true: whether a lock
	 * of type could be set, changing nothing.  0; -EAGAIN when another
	 * owner (of this server or any other client of the storage) holds a
	 * conflicting lock, then *conflict (when not NULL) tells one of them,
	 * as well as the storage can; another -errno.  UNLOCK of the whole
	 * file (offset 0, length 0) also tells the back end that owner holds
	 * nothing on h any more, so it may let go of what it kept for it.
	 * The caller has checked the NFS client's access to h (its OPEN);
	 * the back end takes the locks as the server's own.  NULL for a back
	 * end whose files no one but this server locks (local, memory): the
	 * server's own table is the only authority there. */
	backend_lock_op *lock;

	/* Fills out; may ask the storage (a control-plane call, not one for
	 * the request path).  NULL: nothing to tell beyond the name. */
	backend_status_op *status;
};

extern const struct backend_ops backend_local_ops;
extern const struct backend_ops backend_memory_ops;
extern const struct backend_ops backend_ceph_ops;

/* Finds a back end by name ("local", "ceph", "memory"); NULL if unknown. */
const struct backend_ops *backend_find(const char *name);

/* The local back end checks permissions by giving the calling thread the
 * caller's fsuid, fsgid, groups (and umask 0), and leaves them in place
 * after the call so the next call by the same user costs no system call.
 * Code that opens host files for itself (state records, ...) on a thread
 * that also makes back-end calls restores the process's own identity first
 * with this.  Cheap when there is nothing to restore. */
void backend_local_restore_identity(void);

/* Tests only: makes the memory back end behave as if a process outside had
 * broken h's lease: calls the export's break function (on the calling
 * thread, no lock held) when h holds a lease.  Returns 0, or -ENOENT when
 * h holds none. */
int backend_memory_break_lease(struct backend_export *ex, const struct backend_handle *h);

/* Tests only: the most bytes a regular file of the memory back end holds
 * (default and most 1 GiB); a WRITE or a size beyond it fails with -EFBIG.
 * Process-wide.  A fuzz target that builds a server per input keeps it
 * small, so that a size from the wire does not cost a gigabyte each time. */
void backend_memory_set_file_max(uint64_t bytes);

/* Tests and benchmarks: makes every call of a memory export that looks up
 * or changes names or attributes (lookup, lookup_parent, setattr, the
 * creates, remove, rename, link, readdir, the xattr calls) first sleep us
 * microseconds, as a slow disk or directory service would; 0 turns it
 * off. */
void backend_memory_set_latency(struct backend_export *ex, unsigned us);

/* The local back end's attribute cache (backend/local/local_attrcache.c), on by
 * default where the file system can be watched.  Turning it off (before
 * the export serves anything) frees it; the stats are for tests and logs. */
struct backend_attrcache_stats {
	bool on;
	size_t entries;
	uint64_t hits, misses, flushes;
	/* Files held now (read and written often: their reads and writes
	 * are not reported, their attributes not kept), and ignore marks
	 * placed and removed since the start. */
	size_t held;
	uint64_t marks_placed, marks_removed;
};
void backend_local_set_attr_cache(struct backend_export *ex, bool on);
void backend_local_attr_cache_stats(struct backend_export *ex,
				    struct backend_attrcache_stats *out);

#endif
