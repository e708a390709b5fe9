/* The ceph back end's shared declarations (see ceph.c). */
#ifndef FERRY_BACKEND_CEPH_CEPH_INTERNAL_H
#define FERRY_BACKEND_CEPH_CEPH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cephfs/libcephfs.h>

#include "backend/backend_internal.h"
#include "backend/ceph/ceph_client.h"

/* What a getattr asks libcephfs for: everything backend_attr carries. */
#define CEPH_WANT_ATTRS (CEPH_STATX_BASIC_STATS | CEPH_STATX_BTIME | CEPH_STATX_VERSION)

/* The libcephfs calls counted for the control plane (ceph_status.c names
 * them). */
enum cephfs_call {
	CEPHFS_CALL_lookup_vino,
	CEPHFS_CALL_getattr,
	CEPHFS_CALL_setattr,
	CEPHFS_CALL_lookup,
	CEPHFS_CALL_open,
	CEPHFS_CALL_close,
	CEPHFS_CALL_read,
	CEPHFS_CALL_write,
	CEPHFS_CALL_fsync,
	CEPHFS_CALL_sync_inode,
	CEPHFS_CALL_sync_fs,
	CEPHFS_CALL_fallocate,
	CEPHFS_CALL_lseek,
	CEPHFS_CALL_create,
	CEPHFS_CALL_mkdir,
	CEPHFS_CALL_mknod,
	CEPHFS_CALL_symlink,
	CEPHFS_CALL_readlink,
	CEPHFS_CALL_unlink,
	CEPHFS_CALL_rmdir,
	CEPHFS_CALL_rename,
	CEPHFS_CALL_link,
	CEPHFS_CALL_opendir,
	CEPHFS_CALL_readdirplus,
	CEPHFS_CALL_getxattr,
	CEPHFS_CALL_setxattr,
	CEPHFS_CALL_listxattr,
	CEPHFS_CALL_removexattr,
	CEPHFS_CALL_statfs,
	CEPHFS_CALL_delegation,
	CEPHFS_CALL_setlk,
	CEPHFS_CALL_getlk,
	CEPHFS_CALL_COUNT
};

struct cephfs_call_counter {
	_Atomic uint64_t calls, errors, ns;
};

struct cephfs_files;	/* ceph_files.c */
struct cephfs_inodes;	/* ceph_inodes.c */
struct cephfs_inode;
struct cephfs_listings; /* ceph_names.c */
struct cephfs_leases;	/* ceph_lease.c */
struct cephfs_dirwatch;	/* ceph_dirwatch.c */
struct cephfs_locks;	/* ceph_locks.c */
struct cephfs_cache;	/* ceph_cache.c */
struct cephfs_revokes;	/* ceph_revokes.c */
struct cephfs_file;

struct cephfs_export {
	struct ceph_mount_info *cm;
	struct Inode *root;   /* the export's directory (the mount's root), held */
	uint64_t root_ino;    /* its inode number */
	uint64_t root_snapid; /* CEPH_NOSNAP */
	char path[BACKEND_PATH_MAX];
	/* The session's identity ("": none, for an export opened without a
	 * state directory) and whether an earlier ferryd's was ended. */
	char uuid[128];
	bool session_reset;
	/* How it connects: what a head taking another over connects with
	 * to end that head's session (ceph_session.c). */
	char conf[BACKEND_PATH_MAX];
	char id[128];
	struct cephfs_files *files;	  /* open files kept for I/O */
	struct cephfs_inodes *inodes;	  /* inodes of resolved handles, kept */
	struct cephfs_listings *listings; /* listings kept for the next READDIR */
	struct cephfs_leases *leases;	  /* read delegations held for NFS clients */
	struct cephfs_dirwatch *dirwatch; /* directories watched for directory delegations */
	struct cephfs_locks *locks;	  /* inodes with byte-range locks of NFS clients */
	struct cephfs_writeback *writeback; /* WRITE data not yet settled on the OSDs */
	struct cephfs_cache *cache;	  /* file data kept for READs; NULL: none */
	struct cephfs_revokes *revokes;	  /* delegations being revoked */
	char asok[108];			  /* the client's admin socket ("": none) */
	struct cephfs_call_counter counters[CEPHFS_CALL_COUNT];
	pthread_mutex_t notify_lock; /* the functions below */
	backend_lease_break_fn break_fn;
	void *break_ctx;
	backend_dir_change_fn dir_fn;
	void *dir_ctx;
};

static inline struct cephfs_export *cephfs_export_of(struct backend_export *ex)
{
	return (struct cephfs_export *)ex;
}

uint64_t cephfs_clock_ns(void);

static inline void cephfs_count(struct cephfs_export *ex, enum cephfs_call k, uint64_t t0,
				bool failed)
{
	struct cephfs_call_counter *c = &ex->counters[k];

	atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->ns, cephfs_clock_ns() - t0, memory_order_relaxed);
	if (failed)
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
}

/* Makes libcephfs call expr, counting it as kind k (its time, and an
 * error when it returns a negative number); its value is expr's. */
#define CEPHFS_CALL(ex, k, expr)                                                                   \
	__extension__({                                                                            \
		uint64_t t0_ = cephfs_clock_ns();                                                  \
		long long r_ = (long long)(expr);                                                  \
		cephfs_count((ex), CEPHFS_CALL_##k, t0_, r_ < 0);                                  \
		r_;                                                                                \
	})

/* A libcephfs inode reached from a handle: held until cephfs_obj_put. */
struct cephfs_obj {
	struct Inode *in;
	struct cephfs_inode *kept; /* in is the table's (ceph_inodes.c); NULL: o's own */
	uint64_t ino, snapid;
	enum backend_ftype type;
};

/* The handle of (ino, snapid). */
void cephfs_handle_make(uint64_t ino, uint64_t snapid, struct backend_handle *out);
/* The inode number and snapshot id h names: 0, or -EBADF. */
int cephfs_handle_parse(const struct backend_handle *h, uint64_t *ino, uint64_t *snapid);
/* Resolves h: 0, -ESTALE (gone), -EBADF (not a ceph handle). */
int cephfs_obj_get(struct cephfs_export *ex, const struct backend_handle *h, struct cephfs_obj *o);
void cephfs_obj_put(struct cephfs_export *ex, struct cephfs_obj *o);
/* A reference of the caller's own on o's inode (for a table that keeps
 * it), o released; NULL when the inode could not be had again. */
struct Inode *cephfs_obj_take(struct cephfs_export *ex, struct cephfs_obj *o);
/* cephfs_obj_get of h, which must be a type: wrong when it is another
 * (nothing held then). */
int cephfs_obj_get_typed(struct cephfs_export *ex, const struct backend_handle *h,
			 enum backend_ftype type, int wrong, struct cephfs_obj *o);

/* The caller's identity as libcephfs takes it (up).  libcephfs keeps a
 * pointer to the group list rather than a copy, so the list lives here,
 * beside it, for as long as up is used.  init: 0 or -ENOMEM. */
struct cephfs_perm {
	struct UserPerm *up;
	gid_t gids[BACKEND_MAX_GIDS];
};
int cephfs_perm_init(struct cephfs_perm *p, const struct backend_cred *cred);
void cephfs_perm_fini(struct cephfs_perm *p);

/* stx (asked with CEPH_WANT_ATTRS) as backend_attr; the handle of it too
 * when h is not NULL. */
void cephfs_attr_from_statx(const struct ceph_statx *stx, struct backend_attr *attr);
void cephfs_handle_from_statx(const struct ceph_statx *stx, struct backend_handle *h);
int cephfs_obj_stat(struct cephfs_export *ex, struct cephfs_obj *o, struct ceph_statx *stx);
/* cephfs_obj_get of h, then cephfs_obj_stat; on failure o holds nothing. */
int cephfs_obj_get_stat(struct cephfs_export *ex, const struct backend_handle *h,
			struct cephfs_obj *o, struct ceph_statx *stx);
/* The attributes of h's object, nothing held after; *snapid (when not
 * NULL) the id of its snapshot (CEPH_NOSNAP: the live file system). */
int cephfs_attr_of(struct cephfs_export *ex, const struct backend_handle *h,
		   struct backend_attr *attr, uint64_t *snapid);

/* libcephfs's answer as the back-end interface's: a vanished object is
 * -ESTALE for the handle given, and -ENOENT for a name. */
int cephfs_err(struct cephfs_export *ex, int rc);

/* Unix permission of cred on the object in of these attributes, as the
 * kernel's generic_permission decides: its mode bits, or its POSIX access
 * ACL when it has one (ceph_acl.c). */
bool cephfs_may(struct cephfs_export *ex, struct Inode *in, const struct backend_cred *cred,
		const struct backend_attr *a, uint32_t want);

/* An open file for one read or write (ceph_files.c). */
struct cephfs_io {
	struct Fh *fh;
	struct cephfs_file *file;
};

/* Whether cred may read (or write) o's data, as cephfs_data_open checks
 * it, from its attributes stx; attr gets them. */
int cephfs_data_check(struct cephfs_export *ex, const struct backend_cred *cred,
		      struct cephfs_obj *o, const struct ceph_statx *stx, bool write,
		      struct backend_attr *attr);

/* Opens o for I/O after checking that cred may read or write its data
 * (read: read or execute permission, or ownership; write: write
 * permission, or ownership — nfsd's owner override: a file its owner
 * created read-only stays writable through the open that created it).
 * attr gets the file's attributes. */
int cephfs_data_open(struct cephfs_export *ex, const struct backend_cred *cred,
		     struct cephfs_obj *o, bool write, struct cephfs_io *io,
		     struct backend_attr *attr);
void cephfs_data_close(struct cephfs_export *ex, struct cephfs_io *io);

/* The object of a handle, held and open for one read or write, with its
 * attributes. */
struct cephfs_data {
	struct cephfs_obj o;
	struct cephfs_io io;
	struct backend_attr a;
};

/* cephfs_obj_get of h, then cephfs_data_open.  refuse is 0, or the error
 * for an object that exists but cannot serve the call (a range it cannot
 * have), returned before the open.  On failure d holds nothing; else
 * cephfs_data_end lets go of it. */
int cephfs_data_begin(struct cephfs_export *ex, const struct backend_cred *cred,
		      const struct backend_handle *h, bool write, int refuse,
		      struct cephfs_data *d);
void cephfs_data_end(struct cephfs_export *ex, struct cephfs_data *d);

/* ceph_names.c */
backend_lookup_op cephfs_lookup;
backend_lookup_parent_op cephfs_lookup_parent;
backend_create_file_op cephfs_create_file;
backend_mknod_op cephfs_mknod;
backend_symlink_op cephfs_symlink;
backend_readlink_op cephfs_readlink;
backend_remove_op cephfs_remove;
backend_rename_op cephfs_rename;
backend_link_op cephfs_link;
int cephfs_listings_open(struct cephfs_export *ex);
void cephfs_listings_close(struct cephfs_export *ex);
backend_readdir_op cephfs_readdir;

/* ceph_io.c */
backend_access_op cephfs_access;
backend_setattr_op cephfs_setattr;
int cephfs_setattr_obj(struct cephfs_export *ex, const struct backend_cred *cred,
		       struct cephfs_obj *o, const struct backend_setattr *sa,
		       struct backend_attr *attr);
backend_read_op cephfs_read;
backend_read_mapped_op cephfs_read_mapped;
backend_write_op cephfs_write;
backend_commit_op cephfs_commit;
backend_sync_op cephfs_sync;
backend_space_op cephfs_space;
backend_seek_op cephfs_seek;
backend_copy_op cephfs_copy;

/* ceph_xattr.c */
backend_getxattr_op cephfs_getxattr;
backend_setxattr_op cephfs_setxattr;
backend_listxattr_op cephfs_listxattr;
backend_removexattr_op cephfs_removexattr;

/* ceph_acl.c */
backend_get_acl_op cephfs_get_acl;
backend_set_acl_op cephfs_set_acl;

/* ceph_inodes.c: a handle's inode kept, with a reference of the table's.
 * get: the kept inode of (ino, snapid) into *in, used until
 * cephfs_inode_put; NULL when none is kept.  keep: *in (a reference the
 * caller took) kept and used as by get; *in becomes the kept one when
 * another request kept it meanwhile (the caller's reference is given
 * back); NULL when the table is full (the caller keeps its own).
 * forget: out of the table at once (a stale inode), released by its
 * last user; drop: the same by number (a name removed here: an unlinked
 * inode kept would hold back its purge until it went idle). */
int cephfs_inodes_open(struct cephfs_export *ex);
void cephfs_inodes_close(struct cephfs_export *ex);
struct cephfs_inode *cephfs_inode_get(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				      struct Inode **in);
struct cephfs_inode *cephfs_inode_keep(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				       struct Inode **in);
void cephfs_inode_put(struct cephfs_export *ex, struct cephfs_inode *i);
void cephfs_inode_forget(struct cephfs_export *ex, struct cephfs_inode *i);
void cephfs_inode_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
/* The type a check of the kept inode read (an inode's type never
 * changes): note_type records it, type gives it (false: not kept, or not
 * yet checked). */
void cephfs_inode_note_type(struct cephfs_inode *i, enum backend_ftype type);
bool cephfs_inode_type(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
		       enum backend_ftype *type);

/* ceph_files.c */
int cephfs_files_open(struct cephfs_export *ex);
void cephfs_files_close(struct cephfs_export *ex);
/* The open file of o, for reading (or writing too), used until
 * cephfs_file_put. */
int cephfs_file_get(struct cephfs_export *ex, const struct cephfs_obj *o, bool write,
		    struct cephfs_file **out);
struct Fh *cephfs_file_fh(const struct cephfs_file *f);
void cephfs_file_put(struct cephfs_export *ex, struct cephfs_file *f);
/* Takes fh, a file of (ino, snapid) open for reading and writing (the one
 * its create returned), as that inode's open file, unused; closes it when
 * the inode has one already or the table is full. */
void cephfs_file_adopt(struct cephfs_export *ex, uint64_t ino, uint64_t snapid, struct Fh *fh);
/* Closes the file kept open for writing on (ino, snapid) when no request
 * is using it (a read delegation is refused while this client has the file
 * open for writing).  True when none is left open for writing. */
bool cephfs_file_drop_writer(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
/* The file kept open on (ino, snapid), removed: when no request is using
 * it, out of the table and closed by the next cephfs_files_close_removed
 * (one of the requests closes it later otherwise, when idle). */
void cephfs_file_drop_removed(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
/* Closes the open files cephfs_file_drop_removed set aside: after the sync
 * that made their removes stable (cephfs_sync), and on the sweeper's round
 * for those no sync comes for. */
void cephfs_files_close_removed(struct cephfs_export *ex);

/* ceph_session.c */
/* Which export of which cluster: names its files in the state directory. */
uint64_t cephfs_identity_key(const char *conf, const char *id, const char *path);
/* The identity of this export's CephFS session, kept in state_dir (made
 * there the first time); or, for head node of a cluster (node not NULL),
 * one made of node and path, which every head can work out. */
int cephfs_session_identity(const char *state_dir, const char *conf, const char *id,
			    const char *path, const char *node, char *uuid, size_t cap);
/* backend_ops.end_peer_session: ends head node's session for this export. */
backend_end_peer_session_op cephfs_end_peer_session;
/* backend_ops.client_instance: this export's CephFS client, to blocklist. */
backend_client_instance_op cephfs_client_instance;
/* Before the mount: ends the session an earlier ferryd left under uuid
 * (unless reset is false: that ferryd runs on, an upgrade's), and takes
 * uuid for this one. */
int cephfs_session_reclaim(struct cephfs_export *ex, const char *uuid, bool reset);
/* The export's second identity beside uuid (ceph_session.c): the one a
 * ferryd an upgrade started takes while the running one holds uuid. */
void cephfs_session_alternate(const char *uuid, char *out, size_t cap);

/* ceph_status.c */
backend_status_op cephfs_status;

/* ceph_chore.c: a housekeeping thread of an export that runs work with
 * lock held every period_ms, or at once when woken (cephfs_chore_wake,
 * lock held).  work may read stop to end a long pass early. */
struct cephfs_chore {
	pthread_mutex_t *lock; /* the owner's */
	pthread_cond_t wake;
	unsigned period_ms;
	void (*work)(struct cephfs_export *ex);
	struct cephfs_export *ex;
	bool stop;
	bool started;
	pthread_t thread;
};
void cephfs_chore_init(struct cephfs_chore *c, pthread_mutex_t *lock, unsigned period_ms,
		       void (*work)(struct cephfs_export *ex), struct cephfs_export *ex);
int cephfs_chore_start(struct cephfs_chore *c);
void cephfs_chore_wake(struct cephfs_chore *c);
/* Stops and joins the thread (lock not held) and frees what init made. */
void cephfs_chore_stop(struct cephfs_chore *c);

/* ceph_kept.c: entries kept per inode between requests (the open files,
 * the inodes of resolved handles), each the first member of its owner's
 * struct; their tables' lock guards users, used_ms and the buckets. */
struct cephfs_kept {
	struct cephfs_kept *next;
	uint64_t ino, snapid;
	unsigned users;	  /* requests using it now */
	uint64_t used_ms; /* when the last one ended */
};
enum { CEPHFS_KEPT_BUCKETS = 1024 };
struct cephfs_kept_table {
	pthread_mutex_t lock;
	struct cephfs_chore sweeper; /* lets go of the idle entries */
	struct cephfs_kept *bucket[CEPHFS_KEPT_BUCKETS];
	size_t count;
	/* Lets go of an entry taken out of the table (lock not held). */
	void (*release)(struct cephfs_export *ex, struct cephfs_kept *k);
};
/* Where (ino, snapid)'s entry is, or would go.  Lock held. */
struct cephfs_kept **cephfs_kept_slot(struct cephfs_kept_table *t, uint64_t ino, uint64_t snapid);
/* Takes the unused entries idle for older_than_ms (0: every unused one)
 * out and releases them.  Lock held; released meanwhile. */
void cephfs_kept_release_idle(struct cephfs_export *ex, struct cephfs_kept_table *t,
			      uint64_t older_than_ms);
/* Starts t's sweeper, which calls sweep every second under the lock. */
int cephfs_kept_open(struct cephfs_export *ex, struct cephfs_kept_table *t,
		     void (*sweep)(struct cephfs_export *ex),
		     void (*release)(struct cephfs_export *ex, struct cephfs_kept *k));
/* Stops the sweeper and releases every unused entry. */
void cephfs_kept_close(struct cephfs_export *ex, struct cephfs_kept_table *t);

/* ceph_lease.c */
int cephfs_leases_open(struct cephfs_export *ex);
void cephfs_leases_close(struct cephfs_export *ex);
backend_lease_op cephfs_lease;
backend_lease_notify_op cephfs_lease_notify;
backend_lease_list_op cephfs_lease_list;
backend_lease_adopt_op cephfs_lease_adopt;
backend_lease_leave_op cephfs_lease_leave;
/* True when a lease is held on the file, which is then recalled (break_fn
 * runs from the leases' thread): ferryd must neither open it for writing
 * nor change its attributes, which would wait in libcephfs until the
 * lease is dropped. */
bool cephfs_lease_break_held(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
/* Whether this client may take delegations (it has a timeout for them). */
bool cephfs_leases_on(struct cephfs_export *ex);

/* ceph_cache.c: file data kept in memory, lent to READ replies.
 * open: a cache of at most max_mb (0: none; none either when delegations
 * are off).  read: the READ of [off, off + len) of o (a regular file, its
 * read permission checked) from the cache, filling its chunk on a miss;
 * -EOPNOTSUPP when the cache does not serve it (the caller reads as
 * before).  drop: before Ferry changes (ino, snapid)'s data, size or
 * names, its data leaves the cache and its delegation is given back.
 * counts: READs served from the cache, chunks filled, recalls. */
int cephfs_cache_open(struct cephfs_export *ex, unsigned max_mb);
void cephfs_cache_close(struct cephfs_export *ex);
bool cephfs_cache_may_serve(struct cephfs_export *ex, uint64_t off, size_t len);
int cephfs_cache_read(struct cephfs_export *ex, struct cephfs_obj *o, uint64_t off, size_t len,
		      struct backend_mapping *out, size_t *got, bool *eof);
void cephfs_cache_drop(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
void cephfs_cache_counts(struct cephfs_export *ex, uint64_t *hits, uint64_t *fills,
			 uint64_t *recalls);

/* ceph_revokes.c: the delegations libcephfs recalled and that are not
 * given back yet (a lease's or the read cache's), each a cephfs_revoke its
 * holder embeds.  begin: from the recall function (again: nothing more);
 * end: once ceph_ll_delegation(NONE) has returned (nothing if never
 * begun); wait: a read of (ino, snapid) waits while one of it is listed,
 * instead of in libcephfs, which would not wake it. */
struct cephfs_revoke {
	struct cephfs_revoke *next;
	uint64_t ino, snapid;
	bool listed;
};
int cephfs_revokes_open(struct cephfs_export *ex);
void cephfs_revokes_close(struct cephfs_export *ex);
void cephfs_revoke_begin(struct cephfs_export *ex, struct cephfs_revoke *r, uint64_t ino,
			 uint64_t snapid);
void cephfs_revoke_end(struct cephfs_export *ex, struct cephfs_revoke *r, struct Inode *in);
void cephfs_revoke_wait(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);

/* ceph_locks.c */
int cephfs_locks_open(struct cephfs_export *ex);
/* Closes the locked files: the MDS drops their locks. */
void cephfs_locks_close(struct cephfs_export *ex);
backend_lock_op cephfs_lock;

/* ceph_dirwatch.c */
int cephfs_dirwatch_open(struct cephfs_export *ex);
void cephfs_dirwatch_close(struct cephfs_export *ex);
/* Around each operation of Ferry's that changes directory (ino, snapid)'s
 * entries or attributes (a no-op unless it is watched): end says by how
 * much the operation raised its change attribute (0 when it failed; 2
 * for a rename within it, 1 otherwise), so that the watch tells only
 * other clients' changes. */
void cephfs_dirwatch_begin(struct cephfs_export *ex, uint64_t ino, uint64_t snapid);
void cephfs_dirwatch_end(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
			 unsigned changes);
/* The end of a rename out of directory (ino, snapid): the client's cache
 * may go on showing its change attribute from before. */
void cephfs_dirwatch_end_moved_out(struct cephfs_export *ex, uint64_t ino, uint64_t snapid,
				   unsigned changes);
backend_dir_watch_op cephfs_dir_watch;
backend_dir_watch_hand_op cephfs_dir_watch_hand;
backend_dir_watch_adopt_op cephfs_dir_watch_adopt;
backend_dir_watch_resume_op cephfs_dir_watch_resume;
backend_dir_notify_op cephfs_dir_notify;

#endif
