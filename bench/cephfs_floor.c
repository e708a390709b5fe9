/* ferry-cephfs-floor: what libcephfs itself costs on this machine for the
 * work of ferry-bench's workloads on a ceph export, the floor under any
 * NFS server on CephFS.  No NFS, no RPC: one process mounts
 * CephFS with libcephfs, sets up the files ferry-bench sets up for the
 * workload, and then --inflight threads (libcephfs 16.2's calls block, and
 * Debian's has no non-blocking ll_ I/O) make, for --duration seconds after
 * --warmup, the libcephfs calls ferryd's ceph back end (src/backend/ceph/)
 * makes for one op of the workload, with the same masks, flags and open
 * flags.  Prints ops per second, the latency of an op and the process's
 * CPU (user + system, libcephfs's own threads included) per op, as
 * ferry-bench --json does where it can.
 *
 *   ferry-cephfs-floor [--conf PATH] [--id ID] [--dir PATH] --workload W
 *       [--inflight N] [--duration S] [--warmup S] [--file-size SIZE]
 *       [--dir-entries N] [--depth N] [--keep] [--json]
 *
 * --dir is mounted (ceph_mount: it must exist in CephFS); the run works in
 * a fresh directory of its own there, ferry-cephfs-floor.<pid>.<random>,
 * removed at the end unless --keep.  Configuration as ferryd's: the file,
 * then CEPH_ARGS; the debug levels of the subsystems a request goes
 * through at 0/0 unless the file or CEPH_ARGS set them; libcephfs checking
 * permissions itself (client_permissions), directory sizes as entry counts.
 *
 * A handle is resolved as ferryd's back end resolves one (cephfs_obj_get):
 * ceph_ll_lookup_vino of its (inode, snapshot), ceph_ll_getattr of
 * INO|MODE|NLINK with AT_STATX_DONT_SYNC (from the client's cache: still
 * linked?), ceph_ll_put at the end: "resolve" below.  The attributes are
 * CEPH_STATX_BASIC_STATS|BTIME|VERSION (ferryd's CEPH_WANT_ATTRS, "all").
 * One op of each workload is:
 *
 *   getattr   resolve the file; ll_getattr(all).  (NFS GETATTR:
 *             cephfs_getattr.)
 *   lookup    for each of the --depth + 2 names below the mount (the work
 *             directory, d1..dN, f): resolve the directory; ll_lookup(name,
 *             all, AT_SYMLINK_NOFOLLOW) as root with a UserPerm made for
 *             the call; ll_put of what it found.  (NFS LOOKUP:
 *             cephfs_lookup.)
 *   read4k, read1m  resolve the --file-size file; ll_getattr(all) (the
 *             permission check before I/O); ll_read of 4 KiB at a random
 *             aligned offset, or 1 MiB sequentially per thread, through
 *             the one Fh opened O_RDONLY at set-up (ferryd keeps a file's
 *             Fh open between requests); ll_getattr(SIZE) (READ's eof).
 *             (NFS READ: cephfs_read.)
 *   write4k, write1m  the same on a file of its own through one Fh opened
 *             O_RDWR, ll_write unstable (ferry-bench's default), no
 *             getattr after; a ceph_sync_fs whenever the data written
 *             since the last one passes the back end's bound on data in
 *             flight to the OSDs (backend/ceph/ceph_writeback.c, counted
 *             as sync_fs).  (NFS WRITE: cephfs_write.)
 *   create    resolve the work directory; ll_create(O_CREAT|O_EXCL|O_RDWR,
 *             0644, all) with a UserPerm; the change made stable (below);
 *             resolve the new file, ll_getattr(all), ll_write of 4 KiB
 *             through the create's Fh; resolve the directory,
 *             ll_lookup(name, MODE) (the type: unlink or rmdir),
 *             ll_unlink, made stable; ll_close of the create's Fh.  (NFS
 *             OPEN(create) WRITE CLOSE, then REMOVE: cephfs_create_file,
 *             cephfs_write, cephfs_remove; ferryd keeps the create's Fh
 *             past CLOSE and closes it on the REMOVE, after the unlink:
 *             closing it before the remove, with its data unwritten,
 *             makes a create several times as slow.)
 *   readdir   resolve the directory of --dir-entries files; ll_getattr(all)
 *             (the permission check); ll_opendir; ceph_readdirplus_r(all,
 *             AT_SYMLINK_NOFOLLOW|AT_STATX_DONT_SYNC) to the end, ll_put
 *             of each entry's inode; ll_releasedir.  (NFS READDIR until
 *             eof: cephfs_readdir; ferryd keeps a listing open between
 *             READDIRs of one listing, so it opens it once too.)
 *
 * "Made stable" is ferryd's group commit of names: an NFS server answers a
 * create or remove only once it is stable, and ferryd makes every change
 * waiting at the time stable with one ceph_ll_sync_inode of each
 * directory changed (backend/ceph/ceph_io.c, cephfs_sync).  Here a thread
 * whose change needs it waits for a sync of the work directory (resolved,
 * then synced) that began after its change; one thread at a time runs
 * one, for every thread waiting.
 *
 * Why this is the floor: each op is the one back-end call an NFS server
 * needs for the workload's op, made as ferryd's back end makes it, with
 * nothing above it.  What ferryd spends beyond it per op is RPC, XDR,
 * NFSv4 state and the other back-end calls its NFS layer makes: on
 * 2026-11-27 (ferryd's call counters, GET /api/v1/exports) ferryd made,
 * per op, getattr 1 lookup_vino + 2 getattr (as here), lookup 6 + 6 + 6
 * lookups (as here), read4k 3 lookup_vino + 7 getattr + 1 read (here 1 +
 * 3 + 1), write4k 2 + 3 + 1 write (here 1 + 2 + 1), create 7.2 lookup_vino
 * + 12.4 getattr and ~0.09 sync_fs (here 3 + 4, and what the threads'
 * timing gives); on 2026-11-29 create 1 lookup_vino + 7 getattr and ~0.1
 * ll_sync_inode.  The output counts the calls made per op (calls_per_op).
 *
 * Exit status: 0 when every op succeeded, 1 when the mount, the set-up or
 * an op failed (the reason on stderr, and in the JSON), 2 for bad usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cephfs/libcephfs.h>

#include "backend/ceph/ceph_client.h"
#include "cmd/bench/stats.h"

/* ferryd's CEPH_WANT_ATTRS (backend/ceph/ceph_internal.h). */
#define WANT_ATTRS (CEPH_STATX_BASIC_STATS | CEPH_STATX_BTIME | CEPH_STATX_VERSION)

enum {
	CREATE_WRITE_SIZE = 4096,
	MAX_DEPTH = 16,
	SETUP_CHUNK = 1u << 20,
	SETUP_THREADS = 16,
};

/* The calls counted per op. */
enum call {
	CALL_lookup_vino,
	CALL_getattr,
	CALL_lookup,
	CALL_read,
	CALL_write,
	CALL_create,
	CALL_close,
	CALL_unlink,
	CALL_opendir,
	CALL_readdirplus,
	CALL_releasedir,
	CALL_sync_fs,
	CALL_sync_inode,
	CALL_COUNT
};

static const char *const call_names[CALL_COUNT] = {
	[CALL_lookup_vino] = "ll_lookup_vino", [CALL_getattr] = "ll_getattr",
	[CALL_lookup] = "ll_lookup",	       [CALL_read] = "ll_read",
	[CALL_write] = "ll_write",	       [CALL_create] = "ll_create",
	[CALL_close] = "ll_close",	       [CALL_unlink] = "ll_unlink",
	[CALL_opendir] = "ll_opendir",	       [CALL_readdirplus] = "readdirplus_r",
	[CALL_releasedir] = "ll_releasedir",   [CALL_sync_fs] = "sync_fs",
	[CALL_sync_inode] = "ll_sync_inode",
};

struct opts {
	const char *conf, *id, *dir, *workload;
	unsigned inflight, dir_entries, depth;
	double duration, warmup;
	uint64_t file_size;
	bool keep, json;
};

enum phase { WARMUP, MEASURE, STOP };

struct worker;

struct workload {
	const char *name;
	uint32_t io_size; /* 0: no file data */
	int (*setup)(void);
	int (*op)(struct worker *w);
	void (*teardown)(void);
};

/* An object the ops resolve: its (inode, snapshot), and a reference held
 * for the run (so that it stays in the client's cache, as the objects of
 * a busy export do). */
struct target {
	vinodeno_t vino;
	struct Inode *held;
};

static struct {
	struct opts o;
	const struct workload *wl;
	struct ceph_mount_info *cm;
	char work[96];	 /* the work directory's name in the mount's root */
	char wpath[128]; /* and its path */
	bool work_made;
	struct target root, workdir, file, dir;
	struct target levels[MAX_DEPTH + 1]; /* lookup: the work directory, d1..dN */
	char names[MAX_DEPTH + 2][96];	     /* lookup: the names walked */
	unsigned nnames;
	struct Fh *fh; /* read and write: the file's Fh, shared */
	struct cephfs_writeback *writeback; /* write: the back end's bound */
	uint64_t data_size;
	unsigned entries_made; /* readdir: the files made */
	uint8_t payload[SETUP_CHUNK];
	_Atomic int phase;
	_Atomic bool failed;
	pthread_mutex_t lock; /* error; and the group commit below */
	char error[512];
	/* Group commit: syncs begun and ended, one at a time. */
	pthread_cond_t synced;
	uint64_t syncs_begun, syncs_done;
	bool syncing;
	int sync_rc;
} F = {.lock = PTHREAD_MUTEX_INITIALIZER, .synced = PTHREAD_COND_INITIALIZER};

struct worker {
	unsigned id;
	pthread_t thread;
	uint64_t rng, cursor, counter;
	uint8_t *buf;
	struct bench_stats st;
	uint64_t calls[CALL_COUNT]; /* in the measured window */
	uint64_t op_calls[CALL_COUNT]; /* of the op under way */
};

#define CALL(w, k, expr) ((w)->op_calls[CALL_##k]++, (expr))

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&F.lock);
	if (!F.failed) {
		va_start(ap, fmt);
		vsnprintf(F.error, sizeof(F.error), fmt, ap);
		va_end(ap);
		atomic_store(&F.failed, true);
	}
	pthread_mutex_unlock(&F.lock);
	atomic_store(&F.phase, STOP);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* --- resolving and the group commit ------------------------------------ */

/* What ferryd does with a handle (cephfs_obj_get): the inode from the
 * client's cache by number, still linked. */
static int resolve(struct worker *w, const struct target *t, struct Inode **in)
{
	int rc = CALL(w, lookup_vino, ceph_ll_lookup_vino(F.cm, t->vino, in));
	if (rc)
		return rc;
	struct ceph_statx stx;
	rc = CALL(w, getattr,
		  ceph_ll_getattr(F.cm, *in, &stx, CEPH_STATX_INO | CEPH_STATX_MODE | CEPH_STATX_NLINK,
				  AT_STATX_DONT_SYNC, ceph_mount_perms(F.cm)));
	if (!rc && (stx.stx_ino != t->vino.ino.val || stx.stx_nlink == 0))
		rc = -ESTALE;
	if (rc) {
		ceph_ll_put(F.cm, *in);
		*in = NULL;
	}
	return rc;
}

/* Waits until a sync of the work directory (ceph_ll_sync_inode: every
 * change made in it journaled) that began after the call has ended: run
 * by this thread when none is under way, else by the one that runs next. */
static int group_sync(struct worker *w)
{
	pthread_mutex_lock(&F.lock);
	uint64_t want = F.syncs_begun + 1;
	int rc = 0;
	while (F.syncs_done < want) {
		if (F.syncing) {
			pthread_cond_wait(&F.synced, &F.lock);
			continue;
		}
		F.syncing = true;
		F.syncs_begun++;
		pthread_mutex_unlock(&F.lock);
		struct Inode *dir;
		int r = resolve(w, &F.workdir, &dir);
		if (!r) {
			r = CALL(w, sync_inode, ceph_ll_sync_inode(F.cm, dir, 0));
			ceph_ll_put(F.cm, dir);
		}
		pthread_mutex_lock(&F.lock);
		F.sync_rc = r;
		F.syncs_done = F.syncs_begun;
		F.syncing = false;
		pthread_cond_broadcast(&F.synced);
	}
	rc = F.sync_rc;
	pthread_mutex_unlock(&F.lock);
	return rc;
}

/* --- set-up helpers (the path API: not measured) ----------------------- */

static int target_of(const char *path, struct target *t)
{
	struct ceph_statx stx;
	int rc = ceph_statx(F.cm, path, &stx, CEPH_STATX_INO, AT_SYMLINK_NOFOLLOW);
	if (rc) {
		fail("set-up: %s: %s", path, strerror(-rc));
		return rc;
	}
	t->vino.ino.val = stx.stx_ino;
	t->vino.snapid.val = (uint64_t)stx.stx_dev;
	rc = ceph_ll_lookup_vino(F.cm, t->vino, &t->held);
	if (rc)
		fail("set-up: %s: the inode: %s", path, strerror(-rc));
	return rc;
}

static void target_drop(struct target *t)
{
	if (t->held)
		ceph_ll_put(F.cm, t->held);
	t->held = NULL;
}

static int mkdir_at(const char *path)
{
	int rc = ceph_mkdir(F.cm, path, 0755);
	if (rc)
		fail("set-up: mkdir %s: %s", path, strerror(-rc));
	return rc;
}

/* A file of size bytes of the payload (0: empty). */
static int put_file(const char *path, uint64_t size)
{
	int fd = ceph_open(F.cm, path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	if (fd < 0) {
		fail("set-up: create %s: %s", path, strerror(-fd));
		return fd;
	}
	int rc = 0;
	for (uint64_t off = 0; off < size && !rc; off += SETUP_CHUNK) {
		uint64_t len = size - off < SETUP_CHUNK ? size - off : SETUP_CHUNK;
		int n = ceph_write(F.cm, fd, (const char *)F.payload, (int64_t)len, (int64_t)off);
		if (n != (int)len)
			rc = n < 0 ? n : -EIO;
	}
	if (!rc && size)
		rc = ceph_fsync(F.cm, fd, 0);
	int c = ceph_close(F.cm, fd);
	if (!rc)
		rc = c;
	if (rc)
		fail("set-up: write %s: %s", path, strerror(-rc));
	return rc;
}

static void remove_path(const char *path, bool dir)
{
	if (F.failed || F.o.keep)
		return;
	int rc = dir ? ceph_rmdir(F.cm, path) : ceph_unlink(F.cm, path);
	if (rc && rc != -ENOENT)
		fprintf(stderr, "ferry-cephfs-floor: removing %s: %s\n", path, strerror(-rc));
}

static void sub_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", F.wpath, name);
}

static uint64_t data_size(uint32_t io)
{
	uint64_t size = F.o.file_size / io * io;
	return size ? size : io;
}

/* --- getattr ------------------------------------------------------------ */

static int getattr_setup(void)
{
	char p[256];
	sub_path(p, sizeof(p), "f");
	return put_file(p, 4096) || target_of(p, &F.file);
}

static void getattr_teardown(void)
{
	char p[256];
	target_drop(&F.file);
	sub_path(p, sizeof(p), "f");
	remove_path(p, false);
}

static int getattr_op(struct worker *w)
{
	struct Inode *in;
	int rc = resolve(w, &F.file, &in);
	if (rc)
		return rc;
	struct ceph_statx stx;
	rc = CALL(w, getattr,
		  ceph_ll_getattr(F.cm, in, &stx, WANT_ATTRS, 0, ceph_mount_perms(F.cm)));
	if (!rc && !S_ISREG(stx.stx_mode))
		rc = -EINVAL;
	ceph_ll_put(F.cm, in);
	return rc;
}

/* --- lookup ------------------------------------------------------------- */

static int lookup_setup(void)
{
	char p[512];
	size_t len;
	F.levels[0] = F.workdir;
	F.levels[0].held = NULL; /* F.workdir holds it */
	snprintf(F.names[0], sizeof(F.names[0]), "%s", F.work);
	F.nnames = 1;
	snprintf(p, sizeof(p), "%s", F.wpath);
	for (unsigned i = 1; i <= F.o.depth; i++) {
		len = strlen(p);
		snprintf(p + len, sizeof(p) - len, "/d%u", i);
		snprintf(F.names[F.nnames++], sizeof(F.names[0]), "d%u", i);
		if (mkdir_at(p) || target_of(p, &F.levels[i]))
			return -1;
	}
	len = strlen(p);
	snprintf(p + len, sizeof(p) - len, "/f");
	snprintf(F.names[F.nnames++], sizeof(F.names[0]), "f");
	return put_file(p, 0);
}

static void lookup_teardown(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s", F.wpath);
	for (unsigned i = 1; i <= F.o.depth; i++) {
		size_t len = strlen(p);
		snprintf(p + len, sizeof(p) - len, "/d%u", i);
		target_drop(&F.levels[i]);
	}
	size_t len = strlen(p);
	snprintf(p + len, sizeof(p) - len, "/f");
	remove_path(p, false);
	for (unsigned i = F.o.depth; i >= 1; i--) {
		*strrchr(p, '/') = '\0';
		remove_path(p, true);
	}
}

/* name in the directory t, found as ferryd's LOOKUP finds it. */
static int lookup_one(struct worker *w, const struct target *t, const char *name)
{
	struct Inode *dir, *in;
	int rc = resolve(w, t, &dir);
	if (rc)
		return rc;
	struct UserPerm *perm = ceph_userperm_new(0, 0, 0, NULL);
	if (!perm) {
		ceph_ll_put(F.cm, dir);
		return -ENOMEM;
	}
	struct ceph_statx stx;
	rc = CALL(w, lookup,
		  ceph_ll_lookup(F.cm, dir, name, &in, &stx, WANT_ATTRS, AT_SYMLINK_NOFOLLOW, perm));
	if (!rc)
		ceph_ll_put(F.cm, in);
	ceph_userperm_destroy(perm);
	ceph_ll_put(F.cm, dir);
	return rc;
}

static int lookup_op(struct worker *w)
{
	/* The work directory in the mount's root, then each name in the
	 * directory before it. */
	int rc = lookup_one(w, &F.root, F.names[0]);
	for (unsigned i = 1; !rc && i < F.nnames; i++)
		rc = lookup_one(w, &F.levels[i - 1], F.names[i]);
	return rc;
}

/* --- read and write ------------------------------------------------------ */

static int open_shared(const char *path, int flags)
{
	struct target t = {0};
	int rc = target_of(path, &t);
	if (rc)
		return rc;
	F.file = t;
	rc = ceph_ll_open(F.cm, t.held, flags, &F.fh, ceph_mount_perms(F.cm));
	if (rc)
		fail("set-up: open %s: %s", path, strerror(-rc));
	return rc;
}

static int read_setup(void)
{
	char p[256];
	sub_path(p, sizeof(p), "data");
	F.data_size = data_size(F.wl->io_size);
	return put_file(p, F.data_size) || open_shared(p, O_RDONLY);
}

static int write_setup(void)
{
	char p[256];
	sub_path(p, sizeof(p), "w0");
	F.data_size = data_size(F.wl->io_size);
	return put_file(p, 0) || open_shared(p, O_RDWR);
}

static void io_teardown(const char *name)
{
	char p[256];
	if (F.fh)
		ceph_ll_close(F.cm, F.fh);
	F.fh = NULL;
	target_drop(&F.file);
	sub_path(p, sizeof(p), name);
	remove_path(p, false);
}

static void read_teardown(void) { io_teardown("data"); }

static void write_teardown(void) { io_teardown("w0"); }

/* ferry-bench's offsets: random and aligned for 4 KiB, sequential per
 * stream (from 0, round and round) for 1 MiB. */
static uint64_t next_offset(struct worker *w)
{
	uint32_t io = F.wl->io_size;
	if (io < (1u << 20))
		return next_rand(&w->rng) % (F.data_size / io) * io;
	if (w->cursor >= F.data_size)
		w->cursor = 0;
	uint64_t off = w->cursor;
	w->cursor += io;
	return off;
}

/* One READ or WRITE of io_size bytes at the next offset, as ferryd's
 * cephfs_read and cephfs_write make it: resolve the file, the permission
 * check's getattr, the I/O through the kept Fh (short is an error, as for
 * ferry-bench), and for a READ the size for its eof. */
static int io_op(struct worker *w, bool write)
{
	uint32_t io = F.wl->io_size;
	uint64_t off = next_offset(w);
	struct Inode *in;
	int rc = resolve(w, &F.file, &in);
	if (rc)
		return rc;
	struct ceph_statx stx;
	rc = CALL(w, getattr,
		  ceph_ll_getattr(F.cm, in, &stx, WANT_ATTRS, 0, ceph_mount_perms(F.cm)));
	if (!rc) {
		if (write)
			cephfs_writeback_admit(F.writeback);
		int n = write ? CALL(w, write,
				     ceph_ll_write(F.cm, F.fh, (int64_t)off, io,
						   (const char *)F.payload))
			      : CALL(w, read,
				     ceph_ll_read(F.cm, F.fh, (int64_t)off, io, (char *)w->buf));
		if (write && cephfs_writeback_written(F.writeback, n > 0 ? (uint64_t)n : 0))
			w->op_calls[CALL_sync_fs]++;
		if (n < 0)
			rc = n;
		else if ((uint32_t)n != io)
			rc = -EIO;
	}
	if (!rc && !write)
		rc = CALL(w, getattr,
			  ceph_ll_getattr(F.cm, in, &stx, CEPH_STATX_SIZE, 0,
					  ceph_mount_perms(F.cm)));
	ceph_ll_put(F.cm, in);
	return rc;
}

static int read_op(struct worker *w) { return io_op(w, false); }

static int write_op(struct worker *w) { return io_op(w, true); }

/* --- create ------------------------------------------------------------- */

static int create_setup(void) { return 0; }

static void no_teardown(void) {}

static int create_op(struct worker *w)
{
	char name[48];
	snprintf(name, sizeof(name), "c%u.%llu", w->id, (unsigned long long)w->counter++);
	struct Inode *dir, *in = NULL, *file;
	struct Fh *fh = NULL;
	struct ceph_statx stx;
	struct UserPerm *perm = ceph_userperm_new(0, 0, 0, NULL);
	if (!perm)
		return -ENOMEM;
	/* OPEN(create) */
	int rc = resolve(w, &F.workdir, &dir);
	if (!rc) {
		rc = CALL(w, create,
			  ceph_ll_create(F.cm, dir, name, S_IFREG | 0644, O_CREAT | O_EXCL | O_RDWR,
					 &in, &fh, &stx, WANT_ATTRS, AT_SYMLINK_NOFOLLOW, perm));
		ceph_ll_put(F.cm, dir);
	}
	if (!rc)
		rc = group_sync(w);
	/* WRITE through the create's own Fh */
	if (!rc) {
		struct target t = {.vino = {.ino = {stx.stx_ino}, .snapid = {(uint64_t)stx.stx_dev}}};
		rc = resolve(w, &t, &file);
		if (!rc) {
			struct ceph_statx now;
			rc = CALL(w, getattr,
				  ceph_ll_getattr(F.cm, file, &now, WANT_ATTRS, 0,
						  ceph_mount_perms(F.cm)));
			if (!rc) {
				int n = CALL(w, write,
					     ceph_ll_write(F.cm, fh, 0, CREATE_WRITE_SIZE,
							   (const char *)F.payload));
				rc = n < 0 ? n : n != CREATE_WRITE_SIZE ? -EIO : 0;
			}
			ceph_ll_put(F.cm, file);
		}
	}
	/* CLOSE: ferryd keeps the create's Fh, closed later (below). */
	if (in)
		ceph_ll_put(F.cm, in);
	/* REMOVE */
	if (!rc)
		rc = resolve(w, &F.workdir, &dir);
	if (!rc) {
		struct Inode *found;
		rc = CALL(w, lookup,
			  ceph_ll_lookup(F.cm, dir, name, &found, &stx, CEPH_STATX_MODE,
					 AT_SYMLINK_NOFOLLOW, perm));
		if (!rc) {
			ceph_ll_put(F.cm, found);
			rc = S_ISREG(stx.stx_mode) ? CALL(w, unlink, ceph_ll_unlink(F.cm, dir, name, perm))
						   : -EINVAL;
		}
		ceph_ll_put(F.cm, dir);
	}
	if (!rc)
		rc = group_sync(w);
	/* The Fh's close, which ferryd makes when the file has been idle a
	 * few seconds: after the remove. */
	if (fh)
		CALL(w, close, ceph_ll_close(F.cm, fh));
	ceph_userperm_destroy(perm);
	return rc;
}

/* --- readdir ------------------------------------------------------------ */

/* Files e<first>.. of the listed directory, made or removed by a set-up
 * thread. */
struct entry_range {
	unsigned first, end;
	bool remove, started;
	int rc;
	pthread_t thread;
};

static void entry_path(char *out, size_t cap, unsigned i)
{
	snprintf(out, cap, "%s/dir/e%07u", F.wpath, i);
}

static void *entry_thread(void *arg)
{
	struct entry_range *r = arg;
	char p[256];
	for (unsigned i = r->first; i < r->end && !r->rc; i++) {
		entry_path(p, sizeof(p), i);
		if (r->remove) {
			ceph_unlink(F.cm, p);
			continue;
		}
		int fd = ceph_open(F.cm, p, O_CREAT | O_EXCL | O_WRONLY, 0644);
		r->rc = fd < 0 ? fd : ceph_close(F.cm, fd);
	}
	return NULL;
}

/* Makes or removes the entries, SETUP_THREADS at a time. */
static int entries_run(unsigned n, bool remove)
{
	struct entry_range r[SETUP_THREADS];
	unsigned per = (n + SETUP_THREADS - 1) / SETUP_THREADS;
	int rc = 0;
	for (unsigned t = 0; t < SETUP_THREADS; t++) {
		r[t] = (struct entry_range){.first = t * per, .end = (t + 1) * per, .remove = remove};
		if (r[t].end > n)
			r[t].end = n;
		if (r[t].first > r[t].end)
			r[t].first = r[t].end;
		r[t].started = pthread_create(&r[t].thread, NULL, entry_thread, &r[t]) == 0;
		if (!r[t].started)
			entry_thread(&r[t]);
	}
	for (unsigned t = 0; t < SETUP_THREADS; t++) {
		if (r[t].started)
			pthread_join(r[t].thread, NULL);
		if (r[t].rc && !rc)
			rc = r[t].rc;
	}
	return rc;
}

static int readdir_setup(void)
{
	char p[256];
	sub_path(p, sizeof(p), "dir");
	if (mkdir_at(p))
		return -1;
	int rc = entries_run(F.o.dir_entries, false);
	if (rc) {
		fail("set-up: the entries of %s: %s", p, strerror(-rc));
		return rc;
	}
	F.entries_made = F.o.dir_entries;
	return target_of(p, &F.dir);
}

static void readdir_teardown(void)
{
	char p[256];
	target_drop(&F.dir);
	if (F.failed || F.o.keep)
		return;
	entries_run(F.entries_made, true);
	sub_path(p, sizeof(p), "dir");
	remove_path(p, true);
}

static int readdir_op(struct worker *w)
{
	struct Inode *dir;
	int rc = resolve(w, &F.dir, &dir);
	if (rc)
		return rc;
	struct UserPerm *perm = ceph_userperm_new(0, 0, 0, NULL);
	struct ceph_dir_result *dirp = NULL;
	struct ceph_statx stx;
	rc = perm ? CALL(w, getattr,
			 ceph_ll_getattr(F.cm, dir, &stx, WANT_ATTRS, 0, ceph_mount_perms(F.cm)))
		  : -ENOMEM;
	if (!rc)
		rc = CALL(w, opendir, ceph_ll_opendir(F.cm, dir, &dirp, perm));
	unsigned listed = 0;
	while (!rc) {
		struct dirent de;
		struct Inode *in = NULL;
		int n = CALL(w, readdirplus,
			     ceph_readdirplus_r(F.cm, dirp, &de, &stx, WANT_ATTRS,
						AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, &in));
		if (in)
			ceph_ll_put(F.cm, in);
		if (n <= 0) {
			rc = n;
			break;
		}
		if (strcmp(de.d_name, ".") != 0 && strcmp(de.d_name, "..") != 0)
			listed++;
	}
	if (dirp)
		CALL(w, releasedir, ceph_ll_releasedir(F.cm, dirp));
	if (!rc && listed != F.o.dir_entries) {
		fail("a listing had %u entries, the directory has %u", listed, F.o.dir_entries);
		rc = -EIO;
	}
	if (perm)
		ceph_userperm_destroy(perm);
	ceph_ll_put(F.cm, dir);
	return rc;
}

/* --- the run -------------------------------------------------------------- */

static const struct workload workloads[] = {
	{"getattr", 0, getattr_setup, getattr_op, getattr_teardown},
	{"lookup", 0, lookup_setup, lookup_op, lookup_teardown},
	{"create", 0, create_setup, create_op, no_teardown},
	{"read4k", 4096, read_setup, read_op, read_teardown},
	{"read1m", 1u << 20, read_setup, read_op, read_teardown},
	{"write4k", 4096, write_setup, write_op, write_teardown},
	{"write1m", 1u << 20, write_setup, write_op, write_teardown},
	{"readdir", 0, readdir_setup, readdir_op, readdir_teardown},
};
enum { NWORKLOADS = sizeof(workloads) / sizeof(workloads[0]) };

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (atomic_load_explicit(&F.phase, memory_order_relaxed) != STOP) {
		memset(w->op_calls, 0, sizeof(w->op_calls));
		uint64_t t0 = now_ns();
		int rc = F.wl->op(w);
		uint64_t t1 = now_ns();
		if (rc) {
			fail("%s: %s", F.wl->name, strerror(-rc));
			break;
		}
		if (atomic_load_explicit(&F.phase, memory_order_relaxed) != MEASURE)
			continue;
		stats_record_latency(&w->st, t1 - t0);
		w->st.ops++;
		w->st.bytes += F.wl->io_size ? F.wl->io_size : 0;
		for (unsigned k = 0; k < CALL_COUNT; k++)
			w->calls[k] += w->op_calls[k];
	}
	return NULL;
}

static int mount_cephfs(void)
{
	/* The client ferryd's ceph back end makes (backend/ceph/ceph_client.c):
	 * its configuration, settings and quieted debug levels. */
	char why[256];
	int rc = cephfs_client_create(F.o.conf, F.o.id, &F.cm, why, sizeof(why));
	if (rc) {
		fail("%s", why);
		return rc;
	}
	rc = ceph_mount(F.cm, F.o.dir);
	if (rc) {
		fail("cannot mount %s as client.%s (configuration %s): %s", F.o.dir, F.o.id,
		     F.o.conf, strerror(-rc));
		return rc;
	}
	ceph_umask(F.cm, 0);
	if (!(F.writeback = cephfs_writeback_new(F.cm))) {
		fail("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int setup_workdir(void)
{
	uint32_t rnd;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)now_ns();
	snprintf(F.work, sizeof(F.work), "ferry-cephfs-floor.%d.%08x", (int)getpid(), rnd);
	snprintf(F.wpath, sizeof(F.wpath), "/%s", F.work);
	if (mkdir_at(F.wpath))
		return -1;
	F.work_made = true;
	return target_of("/", &F.root) || target_of(F.wpath, &F.workdir);
}

static void teardown_workdir(void)
{
	target_drop(&F.workdir);
	target_drop(&F.root);
	if (!F.work_made)
		return;
	if (F.o.keep || F.failed)
		fprintf(stderr, "ferry-cephfs-floor: kept %s in %s\n", F.work, F.o.dir);
	else
		remove_path(F.wpath, true);
}

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void report(const struct bench_stats *st, const uint64_t *calls, double elapsed,
		   double cpu)
{
	double el = elapsed > 0 ? elapsed : 1;
	double per_op = st->ops ? cpu * 1e6 / (double)st->ops : 0;
	if (!F.o.json) {
		if (F.failed) {
			printf("%s: failed: %s\n", F.o.workload, F.error);
			return;
		}
		printf("%s: %llu ops in %.2f s: %.0f ops/s, %.1f MB/s, latency p50 %.1f us p99 "
		       "%.1f us, CPU %.2f us/op\n",
		       F.o.workload, (unsigned long long)st->ops, elapsed, (double)st->ops / el,
		       (double)st->bytes / el / 1e6, us(stats_quantile(st, 0.5)),
		       us(stats_quantile(st, 0.99)), per_op);
		printf("calls per op:");
		for (unsigned k = 0; k < CALL_COUNT; k++)
			if (calls[k])
				printf(" %s %.3f", call_names[k],
				       st->ops ? (double)calls[k] / (double)st->ops : 0);
		printf("\n");
		return;
	}
	FILE *f = stdout;
	fprintf(f, "{\"tool\":\"ferry-cephfs-floor\",\"format\":1,\"workload\":");
	bench_json_string(f, F.o.workload);
	fprintf(f, ",\"conf\":");
	bench_json_string(f, F.o.conf);
	fprintf(f, ",\"id\":");
	bench_json_string(f, F.o.id);
	fprintf(f, ",\"dir\":");
	bench_json_string(f, F.o.dir);
	fprintf(f,
		",\"inflight\":%u,\"duration_s\":%g,\"warmup_s\":%g,\"file_size\":%llu,"
		"\"io_size\":%u,\"dir_entries\":%u,\"depth\":%u",
		F.o.inflight, F.o.duration, F.o.warmup, (unsigned long long)F.o.file_size,
		F.wl ? F.wl->io_size : 0, F.o.dir_entries, F.o.depth);
	fprintf(f, ",\"status\":\"%s\",\"error\":", F.failed ? "failed" : "ok");
	bench_json_string(f, F.error);
	fprintf(f,
		",\"elapsed_s\":%.6f,\"ops\":%llu,\"ops_per_s\":%.1f,\"bytes\":%llu,"
		"\"mb_per_s\":%.3f",
		elapsed, (unsigned long long)st->ops, (double)st->ops / el,
		(unsigned long long)st->bytes, (double)st->bytes / el / 1e6);
	fprintf(f,
		",\"latency_us\":{\"mean\":%.2f,\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,"
		"\"p999\":%.2f,\"max\":%.2f}",
		st->ops ? us(st->lat_sum_ns) / (double)st->ops : 0, us(stats_quantile(st, 0.5)),
		us(stats_quantile(st, 0.9)), us(stats_quantile(st, 0.99)),
		us(stats_quantile(st, 0.999)), us(st->lat_max_ns));
	/* The process is the CephFS client: its CPU is the floor's. */
	fprintf(f, ",\"client\":{\"cpu_s\":%.3f,\"cpu_us_per_op\":%.3f},\"server\":null", cpu,
		per_op);
	fprintf(f, ",\"calls_per_op\":{");
	bool first = true;
	for (unsigned k = 0; k < CALL_COUNT; k++) {
		if (!calls[k])
			continue;
		fprintf(f, "%s\"%s\":%.3f", first ? "" : ",", call_names[k],
			st->ops ? (double)calls[k] / (double)st->ops : 0);
		first = false;
	}
	fprintf(f, "}}\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ferry-cephfs-floor [--conf PATH] [--id ID] [--dir PATH] --workload W\n"
		"           [--inflight N] [--duration S] [--warmup S] [--file-size SIZE]\n"
		"           [--dir-entries N] [--depth N] [--keep] [--json]\n"
		"  --conf PATH        Ceph configuration (default /etc/ceph/ceph.conf)\n"
		"  --id ID            client id (default admin)\n"
		"  --dir PATH         the directory of CephFS to mount and work in (default /)\n"
		"  --workload W       getattr, lookup, create, read4k, read1m, write4k, write1m,\n"
		"                     readdir: the libcephfs calls ferryd makes for one of\n"
		"                     ferry-bench's ops\n"
		"  --inflight N       threads, each one op at a time (default 64)\n"
		"  --duration S       measured seconds (default 5)\n"
		"  --warmup S         seconds before (default 1)\n"
		"  --file-size SIZE   the read and write files' size, K/M/G (default 64M)\n"
		"  --dir-entries N    files in readdir's directory (default 4096)\n"
		"  --depth N          directories below the work dir for lookup (default 4)\n"
		"  --keep             leave the work directory\n"
		"  --json             print the result as one JSON object\n");
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return false;
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv)
{
	struct opts *o = &F.o;
	*o = (struct opts){.conf = "/etc/ceph/ceph.conf", .id = "admin", .dir = "/",
			   .inflight = 64, .dir_entries = 4096, .depth = 4, .duration = 5,
			   .warmup = 1, .file_size = 64u << 20};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
			continue;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		} else if (!v) {
			ok = false;
		} else if (strcmp(a, "--conf") == 0) {
			o->conf = v;
		} else if (strcmp(a, "--id") == 0) {
			o->id = v;
		} else if (strcmp(a, "--dir") == 0) {
			o->dir = v;
		} else if (strcmp(a, "--workload") == 0) {
			o->workload = v;
		} else if (strcmp(a, "--inflight") == 0) {
			ok = parse_uint(v, 1, 1024, &o->inflight);
		} else if (strcmp(a, "--dir-entries") == 0) {
			ok = parse_uint(v, 1, 10000000, &o->dir_entries);
		} else if (strcmp(a, "--depth") == 0) {
			ok = parse_uint(v, 0, MAX_DEPTH, &o->depth);
		} else if (strcmp(a, "--duration") == 0) {
			ok = parse_seconds(v, &o->duration) && o->duration > 0;
		} else if (strcmp(a, "--warmup") == 0) {
			ok = parse_seconds(v, &o->warmup);
		} else if (strcmp(a, "--file-size") == 0) {
			ok = parse_size(v, &o->file_size);
		} else {
			fprintf(stderr, "ferry-cephfs-floor: unknown option %s\n", a);
			usage(stderr);
			return -1;
		}
		if (!ok) {
			fprintf(stderr, "ferry-cephfs-floor: bad or missing value for %s\n", a);
			return -1;
		}
		i++;
	}
	if (!o->workload) {
		fprintf(stderr, "ferry-cephfs-floor: --workload is required\n");
		usage(stderr);
		return -1;
	}
	for (unsigned i = 0; i < NWORKLOADS; i++)
		if (strcmp(workloads[i].name, o->workload) == 0)
			F.wl = &workloads[i];
	if (!F.wl) {
		fprintf(stderr, "ferry-cephfs-floor: no workload %s (workloads:", o->workload);
		for (unsigned i = 0; i < NWORKLOADS; i++)
			fprintf(stderr, " %s", workloads[i].name);
		fprintf(stderr, ")\n");
		return -1;
	}
	return 0;
}

static void sleep_s(double s)
{
	struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Sleeps s seconds, or less when the run fails meanwhile. */
static void wait_phase(double s)
{
	uint64_t end = now_ns() + (uint64_t)(s * 1e9);
	while (!F.failed && now_ns() < end) {
		double left = (double)(end - now_ns()) / 1e9;
		sleep_s(left < 0.05 ? left : 0.05);
	}
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv))
		return 2;
	for (size_t i = 0; i < sizeof(F.payload); i += 4) {
		uint32_t v = (uint32_t)i * 2654435761u;
		memcpy(F.payload + i, &v, 4);
	}
	struct bench_stats *total = calloc(1, sizeof(*total));
	struct worker *ws = calloc(F.o.inflight, sizeof(*ws));
	uint64_t calls[CALL_COUNT] = {0};
	double elapsed = 0, cpu = 0;
	if (!total || !ws) {
		fprintf(stderr, "ferry-cephfs-floor: out of memory\n");
		return 1;
	}
	if (mount_cephfs() == 0 && setup_workdir() == 0 && F.wl->setup() == 0 && !F.failed) {
		unsigned started = 0;
		atomic_store(&F.phase, F.o.warmup > 0 ? WARMUP : MEASURE);
		for (; started < F.o.inflight; started++) {
			struct worker *w = &ws[started];
			w->id = started;
			w->rng = 0x9e3779b97f4a7c15ull * (started + 1);
			if (F.wl->io_size && !(w->buf = malloc(F.wl->io_size))) {
				fail("out of memory");
				break;
			}
			if (pthread_create(&w->thread, NULL, worker_main, w)) {
				fail("cannot start thread %u", started);
				break;
			}
		}
		if (F.o.warmup > 0)
			wait_phase(F.o.warmup);
		double c0 = cpu_seconds();
		uint64_t t0 = now_ns();
		int expect = WARMUP;
		atomic_compare_exchange_strong(&F.phase, &expect, MEASURE);
		wait_phase(F.o.duration);
		expect = MEASURE;
		atomic_compare_exchange_strong(&F.phase, &expect, STOP);
		elapsed = (double)(now_ns() - t0) / 1e9;
		cpu = cpu_seconds() - c0;
		atomic_store(&F.phase, STOP);
		for (unsigned i = 0; i < started; i++)
			pthread_join(ws[i].thread, NULL);
		for (unsigned i = 0; i < started; i++) {
			const struct bench_stats *s = &ws[i].st;
			total->ops += s->ops;
			total->bytes += s->bytes;
			total->lat_sum_ns += s->lat_sum_ns;
			if (s->lat_max_ns > total->lat_max_ns)
				total->lat_max_ns = s->lat_max_ns;
			for (unsigned b = 0; b < STATS_BUCKETS; b++)
				total->hist[b] += s->hist[b];
			for (unsigned k = 0; k < CALL_COUNT; k++)
				calls[k] += ws[i].calls[k];
			free(ws[i].buf);
		}
	}
	if (F.cm && F.work_made)
		F.wl->teardown();
	if (F.cm)
		teardown_workdir();
	if (F.failed)
		fprintf(stderr, "ferry-cephfs-floor: %s\n", F.error);
	report(total, calls, elapsed, cpu);
	if (F.cm)
		ceph_shutdown(F.cm);
	cephfs_writeback_free(F.writeback);
	free(ws);
	free(total);
	return F.failed ? 1 : 0;
}
