/* Private to the local back end (local*.c): the export, its cache of open
 * objects, and the calling thread's file-system identity. */
#ifndef FERRY_BACKEND_LOCAL_INTERNAL_H
#define FERRY_BACKEND_LOCAL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "backend/backend_internal.h"
#include "core/hashtable.h"
#include "core/list.h"

enum {
	/* Open objects kept per export.  Each holds an O_PATH descriptor (and,
	 * for regular files that were read, an O_RDONLY one), so this bounds
	 * the descriptors the cache uses at twice this number. */
	LOCAL_FD_CACHE_MAX = 128,
	LOCAL_FD_BUCKETS = 256, /* initial size of the table: no growth below it */
	/* Added to getdents64 d_off values to make cookies: NFSv4 reserves
	 * cookies 0, 1 and 2, and a d_off may be any non-negative value. */
	LOCAL_COOKIE_BIAS = 3,
	/* Bytes of a struct backend_handle before the kernel's f_handle:
	 * the file handle type (an int). */
	LOCAL_HANDLE_HDR = 4,
	LOCAL_PROC_FD_PATH = 32,
	/* Directory listing snapshots (local_dirsnap.c): per export, and the
	 * most entries and bytes (names and handles) one may hold. */
	LOCAL_DIRSNAP_SLOTS = 4,
	LOCAL_DIRSNAP_MAX_ENTRIES = 1 << 17,
	LOCAL_DIRSNAP_MAX_BYTES = 16 << 20,
	/* What listings keep per entry (their encoded entries), per snapshot:
	 * about 9 MiB for 50,000 entries with the Linux client's attributes. */
	LOCAL_DIRSNAP_MAX_KEPT_BYTES = 24 << 20,
	LOCAL_DIRSNAP_KEPT_CHUNK = 256 << 10,
	/* Attributes kept per export (local_attrcache.c), about 270 bytes
	 * each: a 50,000-entry directory fits. */
	LOCAL_ATTRCACHE_MAX = 1 << 16,
	/* Data operations on one open file after which the attribute cache
	 * stops hearing of its reads and writes (local_attrcache.c). */
	LOCAL_ATTRCACHE_HOLD_AFTER = 16,
	/* Descriptors kept for writing per export (local_wkeep.c), and the
	 * initial size of their table. */
	LOCAL_WKEEP_MAX = 256,
	LOCAL_WKEEP_BUCKETS = 64,
};

/* A directory unchanged for this long is listed into a snapshot: a change
 * after it cannot share its ctime, whatever the file system's timestamp
 * granularity (local_dirsnap.c). */
#define LOCAL_DIRSNAP_SETTLE_NS 1000000000LL

/* One object the export has open.  pfd and the identity fields never
 * change while the entry lives; refs, the list links and the lease fields
 * are guarded by the export's lock.
 *
 * rfd is the data descriptor: O_RDONLY, opened on first read, or, while
 * the server holds a WRITE lease (local_lease.c), the O_RDWR descriptor
 * that holds it (rfd_rw), through which reads and writes then go so that
 * they do not break the server's own lease.  It changes from a descriptor
 * to another only while nobody else holds the entry (refs == 1 under the
 * export's lock), so a user of it (who holds a reference) never sees it
 * closed. */
struct local_fd {
	struct backend_handle handle;
	int pfd;         /* O_PATH|O_NOFOLLOW: names the object for *at calls */
	_Atomic int rfd; /* data descriptor (above); -1 until first needed */
	_Atomic bool rfd_rw;      /* rfd is O_RDWR: writes use it too */
	enum backend_lease lease; /* held on rfd; a held lease owns one ref */
	struct list_node lease_link; /* in the export's leased list while leased */
	uint64_t ino;
	uint32_t fmt; /* S_IFMT bits: an inode never changes type */
	/* The last read permission check that passed: a digest of the
	 * caller and of the file's attributes then (local_may_read_seen);
	 * 0: none. */
	_Atomic uint64_t read_ok;
	/* Data operations counted until the attribute cache holds the file
	 * (local_attrcache_note_io), and whether it does: then its pfd goes
	 * to the cache when the entry is freed. */
	_Atomic uint32_t data_ops;
	_Atomic bool attr_held;
	/* While the file is held: the attribute cache's quiet ticket when a
	 * statx last found it linked (local_object_type), and a digest of
	 * that ticket and of the last caller whose WRITE permission the
	 * kernel granted (local_may_write_held); 0: none. */
	_Atomic uint64_t linked_at, write_ok;
	uint32_t refs;
	bool cached; /* false: out of the table, closed by the last put */
	bool pinned; /* the export root: never evicted */
	struct hashtable_node node; /* in the export's table, keyed by handle */
	struct hashtable_node ino_node; /* in its table by inode number */
	/* In the export's LRU list while cached; once unhashed, on the list
	 * of victims its evictor closes after dropping the lock. */
	struct list_node lru;
};

/* The export's leases (local_lease.c).  Fields under the export's lock
 * but for the thread's own (thread, tid, sfd, efd), set before it runs. */
struct local_lease_svc {
	backend_lease_break_fn fn;
	void *ctx;
	struct list_node head; /* leased entries, each holding a reference */
	bool started;          /* the thread runs */
	bool unsupported;      /* no CAP_LEASE: every lease is -ENOTSUP */
	pthread_t thread;
	pid_t tid;   /* the thread's id: breaks are signalled to it alone */
	int sfd;     /* signalfd of the lease signal and SIGIO */
	int efd;     /* eventfd: 1 stops the thread */
	/* fanotify group marking the leased files (local_watch.c), read by
	 * the thread; -1 when not (yet) watching.  Set under the lock before
	 * the thread starts, closed after it stopped. */
	int nfd;
	bool watch_unsupported; /* fanotify refused: do not try again */
};

/* Directories watched for host changes (local_dirwatch.c).  Fields under
 * the export's lock but for the thread's own, set before it runs. */
struct local_dirwatch_ent {
	struct backend_handle handle;
	int fd; /* the directory opened: names the marked inode to unmark it */
};

struct local_dirwatch_svc {
	backend_dir_change_fn fn;
	void *ctx;
	struct local_dirwatch_ent *dirs;
	size_t ndirs, cap;
	int gfd; /* fanotify group reporting directory entries; -1: none yet */
	int efd; /* eventfd: 1 stops the thread */
	bool started, unsupported;
	/* Handed to the process an upgrade started (dir_watch_hand): its
	 * marks are that process's to remove. */
	bool handed;
	pthread_t thread;
};

/* One directory's listing as it was when the directory had this inode,
 * ctime and mtime (local_dirsnap.c).  Immutable once built; refs and used
 * are guarded by struct local_snaps.lock. */
struct local_dirsnap_ent {
	uint64_t cookie; /* d_off + LOCAL_COOKIE_BIAS: resumes after this entry */
	uint64_t ino;    /* d_ino */
	uint32_t name_off, handle_off; /* into bytes; the name NUL-terminated */
	uint8_t namelen;
	uint8_t hlen; /* 0: no handle was made (made by name when served) */
};

/* Bytes a listing kept for one entry of a snapshot (backend_dirent.keep):
 * immutable once published in struct local_dirsnap.kept, served while key
 * matches and the attribute cache's ticket for the entry's file
 * (local_attrcache_ticket of hh and the entry's inode) is still ticket. */
struct local_dirsnap_kept {
	struct backend_keep_key key;
	uint64_t ticket;
	uint64_t hh; /* local_handle_hash of the entry's handle */
	uint32_t len;
	uint8_t bytes[];
};

/* Storage for kept records: chunks that never move, so a record stays
 * where a reader found it until the snapshot is freed. */
struct local_dirsnap_chunk {
	struct local_dirsnap_chunk *next;
	size_t used;
	uint8_t data[];
};

struct local_dirsnap {
	struct backend_handle dir;
	uint64_t dir_ino;
	struct statx_timestamp ctime, mtime;
	struct local_dirsnap_ent *ents; /* cookies increasing */
	size_t n, cap;
	char *bytes;
	size_t nbytes, bytes_cap;
	unsigned refs;
	uint64_t used; /* for eviction: the table's clock at the last use */
	/* Per entry, what a listing kept (NULL: nothing); read with acquire
	 * loads and no lock, published under struct local_snaps.lock with a
	 * release store.  Records replaced stay in the chunks until the
	 * snapshot is freed: kept_bytes counts them all. */
	struct local_dirsnap_kept **kept;
	struct local_dirsnap_chunk *chunks;
	size_t kept_bytes;
};

/* The export's snapshots.  lock order: see core/lock_order.h, level 6a (a
 * leaf: nothing is called under it but memory management). */
struct local_snaps {
	pthread_mutex_t lock;
	struct local_dirsnap *slot[LOCAL_DIRSNAP_SLOTS];
	struct backend_handle building[LOCAL_DIRSNAP_SLOTS]; /* len 0: free */
	uint64_t clock;
};

struct local_export {
	int root_fd; /* O_RDONLY|O_DIRECTORY: also the mount fd for handles */
	dev_t dev;   /* of the root: every object must be on it */
	int mount_id; /* of root_fd's mount: names must not cross another */
	uint64_t root_ino;
	uint32_t link_max;
	bool xattrs; /* the file system keeps "user." attributes */
	bool acls;   /* and POSIX ACLs */
	bool journaled; /* its metadata goes through a journal (local_sync.c) */
	struct backend_handle root;
	struct local_fd *root_ent;
	/* The cache below.  lock order: see core/lock_order.h, level 6. */
	pthread_mutex_t lock;
	struct hashtable fds; /* struct local_fd, by handle */
	/* The same entries by inode number: an open descriptor keeps its
	 * inode, so no other object of the file system can have that number
	 * while the entry lives (local_lookup). */
	struct hashtable fds_by_ino;
	struct list_node lru; /* the entries of fds, the most recent first */
	struct local_lease_svc leases;
	struct local_dirwatch_svc dirwatch;
	struct local_snaps snaps;
	/* Attributes of unchanged files (local_attrcache.c); NULL: none. */
	struct local_attrcache *attrcache;
	/* Descriptors kept for writing (local_wkeep.c), by handle.  lock
	 * order: see core/lock_order.h, level 6d. */
	pthread_mutex_t wkeep_lock;
	struct hashtable wkeeps;
	size_t wkeep_fds; /* descriptors kept now */
	bool wkeep_ready;
	char path[BACKEND_PATH_MAX];
};

static inline bool local_handle_eq(const struct backend_handle *a, const struct backend_handle *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static inline struct local_export *local_export_of(struct backend_export *ex)
{
	return (struct local_export *)ex;
}

/* ---- local_cred.c: the thread's file-system identity ---- */

/* Makes the thread act for cred: fsuid, fsgid, groups (and umask 0).
 * Does nothing when the thread already holds that identity. */
int local_cred_enter(const struct backend_cred *cred);

/* Gives the thread fsuid 0 (and with it CAP_DAC_READ_SEARCH back), for
 * open_by_handle_at.  Groups and fsgid are left alone. */
int local_cred_privileged(void);

/* ---- local_fd.c: handles and the cache of open objects ---- */

/* The handle of the object at dirfd/name (name "" with AT_EMPTY_PATH: dirfd
 * itself).  Never follows a symbolic link.  mount_id (may be NULL) gets the
 * id of the mount the object was found on. */
int local_handle_make(int dirfd, const char *name, int flags, struct backend_handle *out,
		      int *mount_id);

/* The handle of dirfd/name, one component, without opening it: -EXDEV when
 * the name is a mount point (the object is on another mount than the
 * export's).  The path walk checks search permission on dirfd under the
 * thread's identity. */
int local_handle_child(struct local_export *ex, int dirfd, const char *name,
		       struct backend_handle *out);

/* Resolves h to a referenced entry; release it with local_fd_put.  May
 * leave the thread privileged (see local_cred_privileged). */
int local_fd_get(struct local_export *ex, const struct backend_handle *h, struct local_fd **out);

/* The cached entry for h, referenced, or NULL when h is not cached; never
 * opens anything. */
struct local_fd *local_fd_cached(struct local_export *ex, const struct backend_handle *h);
void local_fd_put(struct local_export *ex, struct local_fd *f);

/* The cached entry of inode ino, referenced, or NULL; never opens
 * anything.  The entry's descriptor keeps the inode, so a name found with
 * this inode number on the export's file system names this very object. */
struct local_fd *local_fd_cached_ino(struct local_export *ex, uint64_t ino);

/* Puts an object the caller just opened (pfd, O_PATH) into the cache under
 * h.  Takes pfd in every case. */
void local_fd_adopt(struct local_export *ex, const struct backend_handle *h, int pfd,
		    const struct statx *stx);

/* The entry's O_RDONLY descriptor, opened on first use.  Owned by the
 * entry: do not close.  May leave the thread privileged. */
int local_fd_data(struct local_export *ex, struct local_fd *f);

/* The entry's descriptor to write through: a dup of the lease descriptor
 * when rfd_rw, else -1 (the caller opens one).  Owned by the caller. */
int local_fd_dup_rw(struct local_fd *f);

/* Drops every cached entry for inode ino (after the export removed a name
 * of it), so a cached descriptor does not keep a deleted file's blocks. */
void local_fd_forget(struct local_export *ex, uint64_t ino);

int local_fd_cache_init(struct local_export *ex);
void local_fd_cache_destroy(struct local_export *ex);

/* The "/proc/self/fd/N" path of fd, to reopen an O_PATH descriptor. */
void local_proc_path(char buf[LOCAL_PROC_FD_PATH], int fd);

/* ---- local_attr.c: attributes ---- */

int local_statx(int fd, struct statx *stx);
void local_attr_fill(const struct statx *stx, struct backend_attr *attr);

/* Applies sa to f under cred (the identity the thread holds). */
int local_setattr_apply(struct local_export *ex, const struct backend_cred *cred,
			struct local_fd *f, const struct backend_setattr *sa);
/* SETATTR, and what a create leaves over: applies sa to h as cred and, when
 * attr is not NULL, reads the attributes back. */
int local_setattr_handle(struct local_export *ex, const struct backend_cred *cred,
			 const struct backend_handle *h, const struct backend_setattr *sa,
			 struct backend_attr *attr);

backend_getattr_op local_getattr;
backend_object_type_op local_object_type;
backend_setattr_op local_setattr;
backend_statfs_op local_statfs;

/* ---- local_lookup.c: names to handles ---- */

/* Opens dirfd/name without following anything and without leaving the
 * directory or its file system; returns the O_PATH fd or -errno. */
int local_open_child(int dirfd, const char *name);

/* Handle and statx of an O_PATH fd, checked to be on the export's file
 * system (-EXDEV otherwise). */
int local_identify(struct local_export *ex, int pfd, struct backend_handle *out,
		   struct statx *stx);

/* Handle and attributes of an O_PATH fd, checked to be on the export's
 * file system.  On success the fd goes into the cache (taken); on error the
 * caller still owns it. */
int local_describe(struct local_export *ex, int pfd, struct backend_handle *out,
		   struct backend_attr *attr);

backend_lookup_op local_lookup;
backend_lookup_path_op local_lookup_path;
backend_lookup_parent_op local_lookup_parent;

/* ---- local_access.c: permission checks ---- */

/* Whether cred owns the object (the owner may read and write whatever the
 * mode bits say, as with Linux nfsd). */
bool local_is_owner(int pfd, const struct backend_cred *cred);

/* 0 when the thread's identity may READ f (read or execute permission, or
 * ownership), else -errno. */
int local_may_read(struct local_fd *f, const struct backend_cred *cred);
/* local_may_read, answered without asking the kernel when this caller
 * passed it on f while f's attributes were what seen says (NULL: ask). */
int local_may_read_seen(struct local_fd *f, const struct backend_cred *cred,
			const struct backend_attr *seen);

backend_access_op local_access;

/* 0 when the thread's identity may WRITE f (write permission or ownership),
 * else -errno: the check open(O_WRONLY) would make, for writes that go
 * through a descriptor opened earlier. */
int local_may_write(struct local_fd *f, const struct backend_cred *cred);
/* local_may_write, answered without asking the kernel when this caller
 * passed it on f and nothing but f's data changed since (f held). */
int local_may_write_held(struct local_export *ex, struct local_fd *f,
			 const struct backend_cred *cred);

/* ---- local_lease.c: kernel leases ---- */

/* Checks CAP_LEASE (export_open); leases are then -ENOTSUP without it. */
void local_lease_init(struct local_export *ex);
/* Stops the thread and drops every lease (export_close, before the cache
 * goes). */
void local_lease_fini(struct local_export *ex);
backend_lease_op local_lease;
backend_lease_notify_op local_lease_notify;
backend_lease_list_op local_lease_list;
backend_lease_adopt_op local_lease_adopt;
backend_lease_leave_op local_lease_leave;

/* fanotify events lie event_len apart in what read() returned, which the
 * kernel does not round up to its structures' alignment (a file handle is
 * as long as it is): they are read through copies, never through struct
 * pointers into the buffer.
 * local_watch_next_event: the event at *off of buf[0..len) (its metadata
 * copied to m, its bytes at ev), *off moved past it; false at the end or
 * on a malformed length.
 * local_watch_event_fid: the handle the first information record of type
 * info_type (FAN_EVENT_INFO_TYPE_FID, _DFID_NAME) of event ev names, in
 * the back end's layout (local_fd.c: the type, then f_handle), and with
 * name not NULL the entry name that follows it (DFID_NAME, pointing into
 * ev); false when the event has none we could have made. */
struct fanotify_event_metadata;
bool local_watch_next_event(const char *buf, size_t len, size_t *off,
			    struct fanotify_event_metadata *m, const char **ev);
bool local_watch_event_fid(const char *ev, uint8_t info_type, struct backend_handle *out,
			   const char **name);

/* ---- local_dirwatch.c: host changes to delegated directories ---- */
void local_dirwatch_init(struct local_export *ex);
void local_dirwatch_fini(struct local_export *ex);
backend_dir_watch_op local_dir_watch;
backend_dir_notify_op local_dir_notify;
backend_dir_watch_hand_op local_dir_watch_hand;
backend_dir_watch_adopt_op local_dir_watch_adopt;
backend_dir_watch_resume_op local_dir_watch_resume;

/* ---- local_watch.c: host changes that break no lease ---- */

/* A non-blocking fanotify group whose events name objects as report says
 * (FAN_REPORT_FID, FAN_REPORT_DFID_NAME), or -1 after a warning: "no
 * fanotify" and events (what was asked for, "" or " directory events"),
 * then without (what the export goes without).  The caller remembers the
 * refusal, so that the warning comes once. */
int local_watch_group_open(struct local_export *ex, unsigned int report, const char *events,
			   const char *without);
/* The lease thread and the directory watch thread each poll an eventfd
 * beside their events: 1 written to it stops the thread.  Stops thread
 * that way, waits for it and closes efd; what names the thread in the
 * error logged when the write fails. */
void local_watch_thread_stop(pthread_t thread, int efd, const char *what);
/* Opens the export's fanotify group (once; a warning when refused); under
 * ex->lock, before the lease thread starts. */
void local_watch_start(struct local_export *ex);
/* Closes the group and with it every mark (after the thread stopped). */
void local_watch_stop(struct local_export *ex);
/* Marks the inode of fd, about to be leased as type; under ex->lock.  0
 * (also when watching is off), or -EAGAIN when no mark can be had now. */
int local_watch_add(struct local_export *ex, int fd, enum backend_lease type);
/* Removes the mark of fd's inode, if any; under ex->lock. */
void local_watch_remove(struct local_export *ex, int fd);
/* Reads the events queued (the lease thread, no lock) and returns the
 * handles of files changed by other processes (malloc'd, *out freed by the
 * caller, each once).  1 when events were lost (report every lease). */
int local_watch_read(struct local_export *ex, struct backend_handle **out, size_t *n);

/* ---- local_io.c: file contents ---- */

/* 0 for a regular file; -EISDIR or -EINVAL for anything else. */
int local_data_type(const struct local_fd *f);

/* The hashes the fd cache and the attribute cache file their entries by:
 * FNV-1a of a handle (handles are signed by the NFS layer, so no peer
 * chooses them), and a multiplicative hash of an inode number. */
uint64_t local_handle_hash(const struct backend_handle *h);
uint64_t local_ino_hash(uint64_t ino);

/* local_fd_get of a regular file: -EISDIR or -EINVAL (local_data_type),
 * with nothing held, for anything else.  Release with local_fd_put. */
int local_file_get(struct local_export *ex, const struct backend_handle *h, struct local_fd **out);
/* The two regular files of a COPY or CLONE, src and dst, both held or
 * neither: the errors of src's handle, dst's, src's type, dst's, in that
 * order. */
int local_files_get(struct local_export *ex, const struct backend_handle *src,
		    struct local_fd **sf, const struct backend_handle *dst, struct local_fd **df);
void local_files_put(struct local_export *ex, struct local_fd *sf, struct local_fd *df);

/* A descriptor for writing f, opened as cred (see local_io.c); the caller
 * closes it.  Leaves the thread in cred's identity. */
int local_open_write(const struct backend_cred *cred, struct local_fd *f);
/* f's shared descriptor for reading (owned by f: not to be closed), once
 * cred may read f; -errno otherwise.  Leaves the thread in cred's
 * identity. */
int local_open_read(struct local_export *ex, const struct backend_cred *cred, struct local_fd *f);
/* local_open_read with the attributes the caller saw (local_may_read_seen). */
int local_open_read_seen(struct local_export *ex, const struct backend_cred *cred,
			 struct local_fd *f, const struct backend_attr *seen);
/* The descriptors of a copy from sf into df, checked as READ and WRITE
 * check them: *rfd as local_open_read gives it (not to be closed), *wfd
 * as local_open_write (the caller closes it); valid when 0 is returned,
 * else nothing is left open. */
int local_open_copy(struct local_export *ex, const struct backend_cred *cred, struct local_fd *sf,
		    struct local_fd *df, int *rfd, int *wfd);
/* Ends a copy or clone: closes wfd (< 0: none was opened), drops df's kept
 * attributes when it was, and releases both files. */
void local_copy_end(struct local_export *ex, struct local_fd *sf, struct local_fd *df, int wfd);

backend_read_op local_read;
/* Splices len bytes the pipe holds into fd at *pos (advanced); *put says
 * how many went.  0 when all did, else a negative errno (-EIO for a pipe
 * that ran dry). */
int local_pipe_to_file(int pipe_rd, int fd, loff_t *pos, size_t len, size_t *put);

/* COPY's fallback where copy_file_range cannot copy between in and out:
 * one piece (at most 1 MiB) of [src_off, src_off + len) of in to dst_off
 * of out through a pipe; *copied less than asked at the source's end.  0,
 * or a negative errno when nothing was copied. */
int local_copy_spliced(int in, uint64_t src_off, int out, uint64_t dst_off, uint64_t len,
		       uint64_t *copied);
backend_read_splice_op local_read_splice;
backend_read_mapped_op local_read_mapped;
backend_read_nowait_op local_read_nowait;
backend_write_op local_write;
backend_write_nowait_op local_write_nowait;
backend_write_pipe_op local_write_pipe;
/* A descriptor to write f through as cred: the one kept for writing
 * (*kept) or one opened now; the thread is left in cred's identity.  Give
 * it back with local_wkeep_put(ex, f, fd, *kept).  Or a negative errno. */
int local_write_fd_get(struct local_export *ex, const struct backend_cred *cred,
		       struct local_fd *f, bool *kept);
backend_commit_op local_commit;

/* ---- local_sync.c: changes stable before the reply ---- */

bool local_fs_journaled(int root_fd, dev_t dev);
backend_sync_op local_sync;
backend_readlink_op local_readlink;

/* ---- local_wkeep.c: descriptors kept for writing ---- */

int local_wkeep_init(struct local_export *ex);
/* Closes every kept descriptor (export_close). */
void local_wkeep_fini(struct local_export *ex);
backend_write_hold_op local_write_hold;
/* The descriptor kept for writing f, in use by the caller until
 * local_wkeep_put(..., true); -1 when none is kept (or f is WRITE-leased:
 * its lease's descriptor serves). */
int local_wkeep_take(struct local_export *ex, struct local_fd *f);
/* Ends a WRITE's use of fd: taken, the kept descriptor local_wkeep_take
 * gave; else one the WRITE opened (owned by the caller until now), kept
 * when f is held for writing and there is room, else closed. */
void local_wkeep_put(struct local_export *ex, struct local_fd *f, int fd, bool taken);
/* Closes h's kept descriptor (once no WRITE uses it), before the server
 * takes a lease of its own on h: an open for writing would refuse it. */
void local_wkeep_drop(struct local_export *ex, const struct backend_handle *h);
/* Descriptors kept now (tests). */
size_t local_wkeep_count(struct local_export *ex);

/* ---- local_xattr.c: extended attributes ---- */

backend_getxattr_op local_getxattr;
backend_setxattr_op local_setxattr;
backend_listxattr_op local_listxattr;
backend_removexattr_op local_removexattr;

/* ---- local_acl.c: POSIX ACLs ---- */

backend_get_acl_op local_get_acl;
backend_set_acl_op local_set_acl;
/* ---- local_copy.c ---- */

backend_copy_op local_copy;

/* ---- local_space.c: NFSv4.2 space, holes, clones, advice ---- */

backend_space_op local_space;
backend_seek_op local_seek;
backend_clone_op local_clone;
backend_advise_op local_advise;

/* getdents64's record (struct linux_dirent64, which no libc header
 * declares): local_readdir lists with it, local_dirsnap.c builds
 * snapshots with it. */
struct local_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ---- local_dirsnap.c: directory listing snapshots ---- */
void local_dirsnap_init(struct local_export *ex);
void local_dirsnap_fini(struct local_export *ex);

/* A referenced snapshot of directory d (dfd: d opened for reading, in the
 * caller's identity; dstx: d's statx, read before anything else of the
 * listing), valid while d keeps dstx's inode, ctime and mtime; may build
 * one (listing dfd from its start, moving its offset; dfd -1: only one
 * already built is wanted).  NULL when there is none to be had now: list
 * directly.  Release with local_dirsnap_put. */
struct local_dirsnap *local_dirsnap_get(struct local_export *ex, const struct local_fd *d,
					int dfd, const struct statx *dstx);
void local_dirsnap_put(struct local_export *ex, struct local_dirsnap *s);

/* The index of the entry after cookie (0: the first); false when cookie
 * is not one of the snapshot's. */
bool local_dirsnap_find(const struct local_dirsnap *s, uint64_t cookie, size_t *idx);

/* What a listing kept for entry idx under key, when its ticket is still
 * ticket_now(hh) (the caller checks); NULL when nothing is kept under
 * key. */
const struct local_dirsnap_kept *local_dirsnap_kept_get(const struct local_dirsnap *s, size_t idx,
							const struct backend_keep_key *key);
/* Keeps a copy of len bytes for entry idx under key, made from attributes
 * exact at the attribute cache's ticket (of handle hash hh); silently
 * nothing when the snapshot's budget for kept bytes is spent. */
void local_dirsnap_keep(struct local_export *ex, struct local_dirsnap *s, size_t idx,
			const struct backend_keep_key *key, uint64_t ticket, uint64_t hh,
			const void *bytes, size_t len);

/* ---- local_attrcache.c: attributes of unchanged files ---- */

/* Sets the cache and its filesystem mark up for ex (export_open), keeping
 * at most max_entries; without a mark (a warning says why) there is none
 * and every call below does nothing or misses. */
void local_attrcache_start(struct local_export *ex, size_t max_entries);
/* Stops the thread and frees everything (export_close, or turned off). */
void local_attrcache_stop(struct local_export *ex);
bool local_attrcache_on(const struct local_export *ex);
/* Applies every event queued so far: a listing calls it before it serves
 * attributes from the cache. */
void local_attrcache_sync(struct local_export *ex);
/* The attributes of h, inode ino, when kept; else false.  Either way
 * *ticket is the generation of h and ino now: on a miss, pass it to
 * local_attrcache_put with what a statx made after this call read; on a
 * hit, the attributes are exact for as long as local_attrcache_ticket
 * still gives it. */
bool local_attrcache_get(struct local_export *ex, const struct backend_handle *h, uint64_t ino,
			 struct backend_attr *out, uint64_t *ticket);
/* Files stx under h unless something of h or its inode changed since the
 * ticket was handed out, or it is not a file kept (see the .c); true when
 * filed (stx is then exact for as long as the ticket holds). */
bool local_attrcache_put(struct local_export *ex, const struct backend_handle *h,
			 const struct statx *stx, uint64_t ticket);
/* The generation of the file of handle hash hh and inode ino, without a
 * lock: it moves with every change of that file applied (and every flush;
 * a cache stopped and started again starts a new series), so attributes
 * read at one ticket are exact while the ticket stays the same.  Read
 * after local_attrcache_sync, which orders every change applied before
 * it. */
uint64_t local_attrcache_ticket(struct local_export *ex, uint64_t hh, uint64_t ino);
/* Asks the processor for what local_attrcache_ticket of hh and ino will
 * read (a listing asks a few entries ahead). */
void local_attrcache_ticket_prefetch(struct local_export *ex, uint64_t hh, uint64_t ino);
/* The server's own changes, after the change and before the reply: drop
 * what is kept of h, or of inode ino (0: nothing). */
void local_attrcache_forget(struct local_export *ex, const struct backend_handle *h);
void local_attrcache_forget_ino(struct local_export *ex, uint64_t ino);
/* The inode number dirfd/name has now (0 when none, or no cache), for a
 * local_attrcache_forget_ino after a change of that name. */
uint64_t local_attrcache_ino_of(struct local_export *ex, int dirfd, const char *name);
/* A data operation on f (every one comes through local_file_get): after
 * LOCAL_ATTRCACHE_HOLD_AFTER of them the file is held, its reads and writes
 * no longer reported (see the .c). */
void local_attrcache_note_io(struct local_export *ex, struct local_fd *f);
/* When the file of f is held and no event waits on the group: true, with
 * *ticket (never 0) a value that stays the same for as long as nothing
 * about the file but its data changes (see the .c). */
bool local_attrcache_quiet_ticket(struct local_export *ex, const struct local_fd *f,
				  uint64_t *ticket);
/* The end of a held file's entry: the cache takes pfd (its O_PATH
 * descriptor), stops ignoring the file's events and closes it. */
void local_attrcache_release(struct local_export *ex, uint64_t ino, int pfd);
void local_attrcache_stats(struct local_export *ex, struct backend_attrcache_stats *out);

/* ---- local_dir.c ---- */

backend_create_file_op local_create_file;
backend_mknod_op local_mknod;
backend_symlink_op local_symlink;
backend_remove_op local_remove;
backend_rename_op local_rename;
backend_link_op local_link;
backend_readdir_op local_readdir;

#endif
