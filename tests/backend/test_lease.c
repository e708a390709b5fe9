/* Kernel leases of the back ends (backend_ops.lease): the local back end
 * against real processes on the host (forked children), both the opens
 * that break a lease and the changes reported after the fact (unlink,
 * rename, link, chmod...), the memory back end through its test hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"

static const struct backend_cred ROOT = { 0 };

/* What the back end's thread reported. */
struct breaks {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned count;
	struct backend_handle last;
	/* When set, the break function drops the lease itself, as a holder
	 * that gives it back at once would. */
	bool drop;
	struct fx *fx;
};

struct fx {
	const struct backend_ops *ops;
	struct backend_export *ex;
	struct backend_handle root;
	bool local;
	char base[256];
	unsigned seq;
	struct breaks br;
};

static void on_break(void *ctx, const struct backend_handle *h, enum backend_lease_event ev)
{
	struct breaks *b = ctx;
	/* The local back end only ever breaks a lease. */
	assert_int_equal(ev, BACKEND_LEASE_BROKEN);

	pthread_mutex_lock(&b->lock);
	b->count++;
	b->last = *h;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->drop)
		assert_int_equal(b->fx->ops->lease(b->fx->ex, h, BACKEND_LEASE_NONE), 0);
}

static unsigned breaks_count(struct fx *fx)
{
	unsigned n;

	pthread_mutex_lock(&fx->br.lock);
	n = fx->br.count;
	pthread_mutex_unlock(&fx->br.lock);
	return n;
}

/* Waits up to ms for the break count to pass seen; returns the count. */
static unsigned breaks_wait(struct fx *fx, unsigned seen, int ms)
{
	struct timespec until;
	unsigned n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fx->br.lock);
	while (fx->br.count <= seen &&
	       pthread_cond_timedwait(&fx->br.cond, &fx->br.lock, &until) == 0)
		;
	n = fx->br.count;
	pthread_mutex_unlock(&fx->br.lock);
	return n;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_common(struct fx *fx)
{
	pthread_mutex_init(&fx->br.lock, NULL);
	pthread_cond_init(&fx->br.cond, NULL);
	fx->br.fx = fx;
	fx->ops->root(fx->ex, &fx->root);
	fx->ops->lease_notify(fx->ex, on_break, &fx->br);
	return 0;
}

static int setup_local(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	fx->ops = &backend_local_ops;
	fx->local = true;
	snprintf(fx->base, sizeof(fx->base), "%s/ferry-lease-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->base) || chmod(fx->base, 0755) != 0)
		return -1;
	if (fx->ops->export_open(fx->base, fx->base, NULL, &fx->ex) != 0)
		return -1;
	*state = fx;
	return setup_common(fx);
}

static int setup_memory(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->ops = &backend_memory_ops;
	if (fx->ops->export_open("lease", NULL, NULL, &fx->ex) != 0)
		return -1;
	*state = fx;
	return setup_common(fx);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	backend_local_restore_identity();
	fx->ops->export_close(fx->ex);
	if (fx->local)
		nftw(fx->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	pthread_cond_destroy(&fx->br.cond);
	pthread_mutex_destroy(&fx->br.lock);
	free(fx);
	return 0;
}

/* A fresh file with some data; path (may be NULL) gets its host path. */
static void mk_file(struct fx *fx, struct backend_handle *out, char *path, size_t cap)
{
	struct backend_setattr sa = { .mask = BACKEND_SET_MODE, .mode = 0644 };
	struct backend_attr a;
	enum backend_stable st;
	char name[32];
	bool created;
	size_t n;

	snprintf(name, sizeof(name), "f%u", fx->seq++);
	assert_int_equal(fx->ops->create_file(fx->ex, &ROOT, &fx->root, name,
					      BACKEND_CREATE_GUARDED, NULL, &sa, out, &a, &created),
			 0);
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, out, 0, "leased", 6, BACKEND_UNSTABLE, &n,
					&st),
			 0);
	if (path)
		snprintf(path, cap, "%s/%s", fx->base, name);
}

static bool same_handle(const struct backend_handle *a, const struct backend_handle *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static int lease(struct fx *fx, const struct backend_handle *h, enum backend_lease t)
{
	return fx->ops->lease(fx->ex, h, t);
}

/* ---- both back ends ---- */

static void test_lease_take_drop(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f;

	mk_file(fx, &f, NULL, 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0); /* none held: fine */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0); /* again: same lease */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0); /* upgrade */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);  /* downgrade */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(lease(fx, &fx->root, BACKEND_LEASE_READ), -EINVAL);
	assert_int_equal(lease(fx, &f, (enum backend_lease)7), -EINVAL);
	/* Left held: closing the export drops it. */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(breaks_count(fx), 0); /* first test of its group */
}

/* The server's own I/O under its WRITE lease goes through the descriptor
 * that holds it: nothing breaks, nothing waits. */
static void test_lease_write_own_io(void **state)
{
	struct fx *fx = *state;
	struct backend_setattr sa = { .mask = BACKEND_SET_SIZE, .size = 3 };
	struct backend_handle f;
	struct backend_attr a;
	enum backend_stable st;
	char buf[16];
	size_t n;
	bool eof;

	mk_file(fx, &f, NULL, 0);
	/* A read first leaves the cache's read descriptor open: the lease
	 * must get rid of it. */
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, 6);
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, &f, 6, "!", 1, BACKEND_FILE_SYNC, &n, &st), 0);
	assert_int_equal(fx->ops->commit(fx->ex, &f, 0, 0), 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &sa, &a), 0);
	assert_int_equal(a.size, 3);
	assert_int_equal(breaks_count(fx), 0); /* runs before any break */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	/* No descriptor open for writing is left behind: a read lease works. */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
}

/* ---- memory ---- */

static void test_memory_break_hook(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f;

	mk_file(fx, &f, NULL, 0);
	assert_int_equal(backend_memory_break_lease(fx->ex, &f), -ENOENT);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	fx->br.drop = true;
	assert_int_equal(backend_memory_break_lease(fx->ex, &f), 0);
	fx->br.drop = false;
	assert_int_equal(breaks_count(fx), 1);
	assert_true(same_handle(&fx->br.last, &f));
	assert_int_equal(backend_memory_break_lease(fx->ex, &f), -ENOENT); /* dropped */
}

/* ---- local: real processes on the host ---- */

/* A child that opens path with flags and exits 0 when the open succeeded;
 * it only calls async-signal-safe functions. */
static pid_t spawn_opener(const char *path, int flags)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, flags);

		_exit(fd >= 0 ? 0 : 1);
	}
	return pid;
}

/* The child's exit status within ms, or -1 while it still runs. */
static int child_wait(pid_t pid, int ms)
{
	int status;

	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		if (waited >= ms)
			return -1;
		poll(NULL, 0, 10);
	}
}

/* A host process's conflicting open waits; the back end reports the break
 * with the file's handle; the open completes once the lease is dropped. */
static void check_break(struct fx *fx, enum backend_lease type, int child_flags)
{
	struct backend_handle f;
	char path[512];
	unsigned seen;
	pid_t pid;

	mk_file(fx, &f, path, sizeof(path));
	assert_int_equal(lease(fx, &f, type), 0);
	seen = breaks_count(fx);
	pid = spawn_opener(path, child_flags);
	assert_int_equal(breaks_wait(fx, seen, 10000), seen + 1);
	assert_true(same_handle(&fx->br.last, &f));
	assert_int_equal(child_wait(pid, 300), -1); /* still held up */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(child_wait(pid, 10000), 0);
}

static void test_local_break_read_lease(void **state)
{
	check_break(*state, BACKEND_LEASE_READ, O_WRONLY);
}

static void test_local_break_write_lease(void **state)
{
	check_break(*state, BACKEND_LEASE_WRITE, O_RDONLY);
}

/* A break function that drops the lease at once lets the host go on. */
static void test_local_break_drop_in_callback(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f;
	char path[512];
	pid_t pid;

	mk_file(fx, &f, path, sizeof(path));
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	fx->br.drop = true;
	pid = spawn_opener(path, O_RDWR);
	assert_int_equal(child_wait(pid, 10000), 0);
	fx->br.drop = false;
	assert_true(breaks_count(fx) >= 1);
}

/* No lease where the host has the file open in a conflicting way. */
static void test_local_lease_conflicts(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f;
	char path[512];
	unsigned seen = breaks_count(fx);
	int wfd, rfd;

	mk_file(fx, &f, path, sizeof(path));
	wfd = open(path, O_WRONLY);
	assert_true(wfd >= 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), -EAGAIN);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), -EAGAIN);
	close(wfd);
	rfd = open(path, O_RDONLY);
	assert_true(rfd >= 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), -EAGAIN); /* any open at all */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);        /* readers share */
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	close(rfd);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(breaks_count(fx), seen);
}

/* A write through the server on a file it holds a READ lease on breaks
 * that lease and fails at once (NFS4ERR_DELAY above) rather than waiting
 * for itself; reads do not break it. */
static void test_local_own_write_no_deadlock(void **state)
{
	struct fx *fx = *state;
	struct backend_setattr sa = { .mask = BACKEND_SET_SIZE, .size = 0 };
	struct backend_handle f;
	struct backend_attr a;
	enum backend_stable st;
	struct timespec t0, t1;
	char buf[16];
	unsigned seen;
	size_t n;
	bool eof;

	mk_file(fx, &f, NULL, 0);
	seen = breaks_count(fx);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(breaks_count(fx), seen);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, &f, 0, "x", 1, BACKEND_UNSTABLE, &n, &st),
			 -EAGAIN);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &sa, &a), -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	/* The server's own open broke the lease like any other. */
	assert_int_equal(breaks_wait(fx, seen, 10000), seen + 1);
	assert_true(same_handle(&fx->br.last, &f));
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, &f, 0, "x", 1, BACKEND_UNSTABLE, &n, &st), 0);
}

/* Closing the export with leases held lets host processes through. */
static void test_local_close_drops(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f;
	char path[512];
	pid_t pid;

	mk_file(fx, &f, path, sizeof(path));
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_WRITE), 0);
	fx->ops->export_close(fx->ex);
	fx->ex = NULL;
	pid = spawn_opener(path, O_RDWR);
	assert_int_equal(child_wait(pid, 2000), 0);
	assert_int_equal(fx->ops->export_open(fx->base, fx->base, NULL, &fx->ex), 0);
	fx->ops->lease_notify(fx->ex, on_break, &fx->br);
}

/* ---- local: host changes that break no lease (local_watch.c) ---- */

enum host_op {
	HOST_CHMOD,
	HOST_CHOWN,
	HOST_UTIMES,       /* both times: an attribute change */
	HOST_UTIMES_MTIME, /* the modification time alone */
	HOST_LINK,
	HOST_UNLINK_ONE, /* one of two names */
	HOST_UNLINK_LAST,
	HOST_RENAME,      /* the leased file to another name */
	HOST_RENAME_OVER, /* another file over the leased one's name */
	HOST_OPS,
};

static const char *const host_op_names[HOST_OPS] = {
	"chmod", "chown", "utimes", "utimes-mtime", "link",
	"unlink-one", "unlink-last", "rename", "rename-over",
};

/* A child process (not the server's) that does op on path (other: the
 * second name the op needs) and exits 0 when it worked; system calls only. */
static pid_t spawn_host_op(enum host_op op, const char *path, const char *other)
{
	/* The child is a host process: it must not inherit the identity and
	 * capabilities this thread last served a call with. */
	backend_local_restore_identity();
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec ts[2] = { { .tv_sec = 1000000 }, { .tv_sec = 2000000 } };
		int r = -1;

		switch (op) {
		case HOST_CHMOD:
			r = chmod(path, 0600);
			break;
		case HOST_CHOWN:
			r = chown(path, 4242, 4242);
			break;
		case HOST_UTIMES:
			r = utimensat(AT_FDCWD, path, ts, 0);
			break;
		case HOST_UTIMES_MTIME:
			ts[0].tv_nsec = UTIME_OMIT;
			r = utimensat(AT_FDCWD, path, ts, 0);
			break;
		case HOST_LINK:
			r = link(path, other);
			break;
		case HOST_UNLINK_ONE:
			r = unlink(other); /* path stays */
			break;
		case HOST_UNLINK_LAST:
			r = unlink(path);
			break;
		case HOST_RENAME:
			r = rename(path, other);
			break;
		case HOST_RENAME_OVER:
			r = rename(other, path);
			break;
		case HOST_OPS:
			break;
		}
		_exit(r == 0 ? 0 : 1);
	}
	return pid;
}

/* Whether a host op on a file leased as type is reported with its handle;
 * the host op goes ahead at once (nothing holds it back). */
static void check_host_change(struct fx *fx, enum backend_lease type, enum host_op op)
{
	struct backend_handle f;
	char path[512], other[560];
	unsigned seen;
	int fd;

	print_message("%s lease, host %s\n", type == BACKEND_LEASE_READ ? "read" : "write",
		      host_op_names[op]);
	mk_file(fx, &f, path, sizeof(path));
	snprintf(other, sizeof(other), "%s-other", path);
	if (op == HOST_UNLINK_ONE)
		assert_int_equal(link(path, other), 0);
	if (op == HOST_RENAME_OVER) {
		fd = open(other, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(lease(fx, &f, type), 0);
	seen = breaks_count(fx);
	assert_int_equal(child_wait(spawn_host_op(op, path, other), 10000), 0);
	assert_true(breaks_wait(fx, seen, 10000) > seen);
	pthread_mutex_lock(&fx->br.lock);
	assert_true(same_handle(&fx->br.last, &f));
	pthread_mutex_unlock(&fx->br.lock);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
}

static void test_local_host_changes_read(void **state)
{
	for (enum host_op op = 0; op < HOST_OPS; op++)
		check_host_change(*state, BACKEND_LEASE_READ, op);
}

/* The same under a WRITE lease, but for the modification time alone (a
 * WRITE lease does not watch modifications: the server's own writes would
 * wake the lease thread for nothing). */
static void test_local_host_changes_write(void **state)
{
	for (enum host_op op = 0; op < HOST_OPS; op++)
		if (op != HOST_UTIMES_MTIME)
			check_host_change(*state, BACKEND_LEASE_WRITE, op);
}

/* Nothing is reported once the lease is dropped, nor for a file never
 * leased. */
static void test_local_host_change_unleased(void **state)
{
	struct fx *fx = *state;
	struct backend_handle f, g;
	char path[512], gpath[512];
	unsigned seen;

	mk_file(fx, &f, path, sizeof(path));
	mk_file(fx, &g, gpath, sizeof(gpath));
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	seen = breaks_count(fx);
	assert_int_equal(child_wait(spawn_host_op(HOST_CHMOD, path, NULL), 10000), 0);
	assert_int_equal(child_wait(spawn_host_op(HOST_CHMOD, gpath, NULL), 10000), 0);
	assert_int_equal(breaks_wait(fx, seen, 500), seen);
}

/* The server's own operations on leased files (through the back end, as
 * the NFS layer makes them) are not reported: the delegation layer has
 * judged them already.  A host change made after them is, and only it: the
 * events come in order, so an own operation reported would show as an
 * extra break. */
static void test_local_own_changes_not_reported(void **state)
{
	struct fx *fx = *state;
	struct backend_setattr mode = { .mask = BACKEND_SET_MODE, .mode = 0640 };
	struct backend_setattr owner = { .mask = BACKEND_SET_UID | BACKEND_SET_GID,
					 .uid = 77,
					 .gid = 77 };
	struct backend_setattr times = { .mask = BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME_NOW };
	struct backend_setattr size = { .mask = BACKEND_SET_SIZE, .size = 2 };
	struct backend_handle f, w;
	struct backend_attr a;
	enum backend_stable st;
	char path[512], wpath[512], fname[64];
	unsigned seen;
	size_t n;

	mk_file(fx, &f, path, sizeof(path));
	mk_file(fx, &w, wpath, sizeof(wpath));
	snprintf(fname, sizeof(fname), "%s", strrchr(path, '/') + 1);
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_READ), 0);
	assert_int_equal(lease(fx, &w, BACKEND_LEASE_WRITE), 0);
	seen = breaks_count(fx);
	/* Read-leased f: attributes, a second name, renames, the name gone. */
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &mode, &a), 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &owner, &a), 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &times, &a), 0);
	assert_int_equal(fx->ops->link(fx->ex, &ROOT, &f, &fx->root, "own-link"), 0);
	assert_int_equal(fx->ops->rename(fx->ex, &ROOT, &fx->root, "own-link", &fx->root,
					 "own-moved"),
			 0);
	assert_int_equal(fx->ops->remove(fx->ex, &ROOT, &fx->root, "own-moved"), 0);
	assert_int_equal(fx->ops->rename(fx->ex, &ROOT, &fx->root, fname, &fx->root,
					 "own-renamed"),
			 0);
	assert_int_equal(fx->ops->rename(fx->ex, &ROOT, &fx->root, "own-renamed", &fx->root,
					 fname),
			 0);
	/* Write-leased w: writes, truncation, attributes. */
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, &w, 0, "xyz", 3, BACKEND_FILE_SYNC, &n, &st),
			 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &w, &size, &a), 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &w, &mode, &a), 0);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &w, &times, &a), 0);
	/* Then a host process. */
	assert_int_equal(child_wait(spawn_host_op(HOST_CHMOD, path, NULL), 10000), 0);
	assert_true(breaks_wait(fx, seen, 10000) > seen);
	assert_int_equal(breaks_wait(fx, seen + 1, 500), seen + 1);
	assert_true(same_handle(&fx->br.last, &f));
	assert_int_equal(lease(fx, &f, BACKEND_LEASE_NONE), 0);
	assert_int_equal(lease(fx, &w, BACKEND_LEASE_NONE), 0);
}

int main(void)
{
	const struct CMUnitTest local_tests[] = {
		cmocka_unit_test(test_lease_take_drop),
		cmocka_unit_test(test_lease_write_own_io),
		cmocka_unit_test(test_local_break_read_lease),
		cmocka_unit_test(test_local_break_write_lease),
		cmocka_unit_test(test_local_break_drop_in_callback),
		cmocka_unit_test(test_local_lease_conflicts),
		cmocka_unit_test(test_local_own_write_no_deadlock),
		cmocka_unit_test(test_local_close_drops),
		cmocka_unit_test(test_local_host_changes_read),
		cmocka_unit_test(test_local_host_changes_write),
		cmocka_unit_test(test_local_host_change_unleased),
		cmocka_unit_test(test_local_own_changes_not_reported),
	};
	const struct CMUnitTest memory_tests[] = {
		cmocka_unit_test(test_lease_take_drop),
		cmocka_unit_test(test_lease_write_own_io),
		cmocka_unit_test(test_memory_break_hook),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("local", local_tests, setup_local, teardown);
	failed += cmocka_run_group_tests_name("memory", memory_tests, setup_memory, teardown);
	return failed != 0;
}
