/* The local back end's shortcuts for names, against a real directory:
 *  - LOOKUP of a cached object is answered from one statx of the name (its
 *    inode number finds the cached entry): the handle is the one the
 *    object has, and a mount point inside the export, even a bind mount
 *    of a cached directory of the same file system (same device, same
 *    inode number), is still refused with EXDEV;
 *  - a directory listed again while unchanged is served from a snapshot:
 *    the same names, cookies and handles as the listing that built it,
 *    resuming at any of its cookies, and gone as soon as the directory
 *    changes.
 * Runs in a mount namespace of its own (root needed, as for ferryd). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/backend.h"

enum { NENTS = 300 };

static char base[256];
static struct backend_export *ex;
static struct backend_handle root;
static const struct backend_cred ROOT = {0};
static const struct backend_ops *ops = &backend_local_ops;

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", base, name);
}

static int setup(void **st)
{
	(void)st;
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/ferry-names-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base) || chmod(base, 0755) != 0)
		return -1;
	/* Mounts made here stay in this process's namespace. */
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	if (ops->export_open(base, base, NULL, &ex) != 0)
		return -1;
	return ops->root(ex, &root);
}

static int teardown(void **st)
{
	(void)st;
	backend_local_restore_identity();
	ops->export_close(ex);
	/* Mounts a failed test left behind (none otherwise). */
	char m[400];
	path_of(m, sizeof(m), "bind");
	umount2(m, MNT_DETACH);
	path_of(m, sizeof(m), "tmp");
	umount2(m, MNT_DETACH);
	path_of(m, sizeof(m), "w/bind");
	umount2(m, MNT_DETACH);
	path_of(m, sizeof(m), "w/x");
	umount2(m, MNT_DETACH);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lookup_cached_and_mounts(void **st)
{
	(void)st;
	char p[400], q[400];
	path_of(p, sizeof(p), "d");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), "d/f");
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);

	/* The first lookups open and cache; the second ones take the
	 * shortcut; both must give the same handles and fresh attributes. */
	struct backend_handle d1, d2, f1, f2;
	struct backend_attr a1, a2;
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "d", &d1, &a1), 0);
	assert_int_equal(ops->lookup(ex, &ROOT, &d1, "f", &f1, &a1), 0);
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "d", &d2, &a2), 0);
	assert_int_equal(d1.len, d2.len);
	assert_memory_equal(d1.data, d2.data, d1.len);
	path_of(p, sizeof(p), "d/f");
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "de", 2), 2);
	close(fd);
	assert_int_equal(ops->lookup(ex, &ROOT, &d1, "f", &f2, &a2), 0);
	assert_int_equal(f1.len, f2.len);
	assert_memory_equal(f1.data, f2.data, f1.len);
	assert_int_equal(a2.size, 5);
	assert_int_equal(a2.type, BACKEND_REG);
	assert_int_equal(a2.fileid, a1.fileid);

	/* A name replaced by another object: the other object's handle. */
	path_of(q, sizeof(q), "d/g");
	fd = open(q, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(ops->lookup(ex, &ROOT, &d1, "f", &f2, &a2), 0);
	assert_false(f1.len == f2.len && memcmp(f1.data, f2.data, f1.len) == 0);
	assert_int_equal(a2.size, 0);

	/* A bind mount of the cached directory d: same device and inode
	 * number as d, but another mount. */
	path_of(p, sizeof(p), "d");
	path_of(q, sizeof(q), "bind");
	assert_int_equal(mkdir(q, 0755), 0);
	backend_local_restore_identity(); /* the back end left the thread without CAP_SYS_ADMIN */
	assert_int_equal(mount(p, q, NULL, MS_BIND, NULL), 0);
	struct backend_handle h;
	struct backend_attr a;
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "bind", &h, &a), -EXDEV);
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "bind", &h, &a), -EXDEV);
	/* Another file system mounted on a directory of the export. */
	path_of(q, sizeof(q), "tmp");
	assert_int_equal(mkdir(q, 0755), 0);
	backend_local_restore_identity();
	assert_int_equal(mount("none", q, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "tmp", &h, &a), -EXDEV);
	path_of(q, sizeof(q), "bind");
	backend_local_restore_identity();
	assert_int_equal(umount(q), 0);
	path_of(q, sizeof(q), "tmp");
	assert_int_equal(umount(q), 0);
}

/* One listing's entries, in order. */
struct listing {
	char names[NENTS + 8][16];
	uint64_t cookies[NENTS + 8];
	struct backend_handle handles[NENTS + 8];
	unsigned n;
	unsigned stop_after; /* 0: never */
};

static bool collect(void *ctx, const struct backend_dirent *e)
{
	struct listing *l = ctx;
	if (l->stop_after && l->n == l->stop_after)
		return false;
	assert_true(l->n < NENTS + 8);
	assert_non_null(e->attr);
	assert_true(e->namelen < sizeof(l->names[0]));
	memcpy(l->names[l->n], e->name, e->namelen);
	l->names[l->n][e->namelen] = '\0';
	l->cookies[l->n] = e->cookie;
	l->handles[l->n] = *e->handle;
	l->n++;
	return true;
}

static void list_all(const struct backend_handle *dir, uint64_t cookie, struct listing *l)
{
	bool eof = false;
	memset(l, 0, sizeof(*l));
	assert_int_equal(ops->readdir(ex, &ROOT, dir, cookie, NULL, collect, l, &eof), 0);
	assert_true(eof);
}

static void assert_same(const struct listing *a, unsigned from, const struct listing *b)
{
	assert_int_equal(a->n - from, b->n);
	for (unsigned i = 0; i < b->n; i++) {
		assert_string_equal(a->names[from + i], b->names[i]);
		assert_true(a->cookies[from + i] == b->cookies[i]);
		assert_int_equal(a->handles[from + i].len, b->handles[i].len);
		assert_memory_equal(a->handles[from + i].data, b->handles[i].data,
				    b->handles[i].len);
	}
}

static void test_listing_snapshot(void **st)
{
	(void)st;
	char p[400];
	path_of(p, sizeof(p), "big");
	assert_int_equal(mkdir(p, 0755), 0);
	for (unsigned i = 0; i < NENTS; i++) {
		path_of(p, sizeof(p), "big");
		char name[420];
		snprintf(name, sizeof(name), "%s/n%04u", p, i);
		assert_int_equal(mknod(name, S_IFREG | 0644, 0), 0);
	}
	struct backend_handle dir;
	struct backend_attr a;
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "big", &dir, &a), 0);
	static struct listing direct, built, served, tail;
	list_all(&dir, 0, &direct); /* just changed: listed directly */
	assert_int_equal(direct.n, NENTS);
	sleep(1);
	usleep(200 * 1000);
	list_all(&dir, 0, &built); /* settled: builds the snapshot */
	list_all(&dir, 0, &served);
	assert_same(&direct, 0, &built);
	assert_same(&direct, 0, &served);
	/* Any cookie resumes after its entry; a listing that stops early
	 * does not consume the entry it refused. */
	list_all(&dir, direct.cookies[122], &tail);
	assert_same(&direct, 123, &tail);
	bool eof = true;
	memset(&tail, 0, sizeof(tail));
	tail.stop_after = 5;
	assert_int_equal(ops->readdir(ex, &ROOT, &dir, direct.cookies[9], NULL, collect, &tail, &eof),
			 0);
	assert_false(eof);
	assert_int_equal(tail.n, 5);
	assert_string_equal(tail.names[0], direct.names[10]);
	/* A change, even within the settle time: never the old snapshot. */
	path_of(p, sizeof(p), "big/n0007");
	assert_int_equal(unlink(p), 0);
	list_all(&dir, 0, &served);
	assert_int_equal(served.n, NENTS - 1);
	for (unsigned i = 0; i < served.n; i++)
		assert_string_not_equal(served.names[i], "n0007");
	sleep(1);
	usleep(200 * 1000);
	list_all(&dir, 0, &served); /* a new snapshot, without it */
	list_all(&dir, 0, &built);
	assert_int_equal(built.n, NENTS - 1);
	assert_same(&served, 0, &built);
	for (unsigned i = 0; i < built.n; i++)
		assert_string_not_equal(built.names[i], "n0007");
}

/* lookup_path's walk of several names in one call: the handle and
 * attributes that component lookups give for the last name, or a refusal
 * (after which the NFS layer takes the names one by one) wherever one of
 * them would not give an object of the export: a symbolic link, a
 * non-directory before the end, a mount point, a bad name, a directory
 * the caller may not search. */
static void test_lookup_path(void **st)
{
	(void)st;
	static const struct backend_cred USER = {.uid = 4001, .gid = 4001};
	char p[400], q[400];
	const char *names[] = {"w", "x", "y", "f"};
	path_of(p, sizeof(p), "w");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), "w/x");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), "w/x/y");
	assert_int_equal(mkdir(p, 0755), 0);
	path_of(p, sizeof(p), "w/x/y/f");
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abcd", 4), 4);
	close(fd);

	/* Not cached yet (the walk opens the last one), then cached. */
	struct backend_handle h, h2, step, next;
	struct backend_attr a, a2;
	for (int round = 0; round < 2; round++) {
		assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 4, &h, &a), 0);
		assert_int_equal(a.type, BACKEND_REG);
		assert_int_equal(a.size, 4);
		step = root;
		for (unsigned i = 0; i < 4; i++) {
			assert_int_equal(ops->lookup(ex, &USER, &step, names[i], &next, &a2), 0);
			step = next;
		}
		assert_int_equal(step.len, h.len);
		assert_memory_equal(step.data, h.data, h.len);
		assert_int_equal(a2.fileid, a.fileid);
	}
	/* A directory at the end. */
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 3, &h2, &a2), 0);
	assert_int_equal(a2.type, BACKEND_DIR);

	/* No search permission on x for the user (root may still). */
	backend_local_restore_identity(); /* the host's changes, as root */
	path_of(p, sizeof(p), "w/x");
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 4, &h2, &a2), -EACCES);
	assert_int_equal(ops->lookup_path(ex, &ROOT, &root, names, 4, &h2, &a2), 0);
	backend_local_restore_identity(); /* the host's changes, as root */
	assert_int_equal(chmod(p, 0755), 0);

	/* Renamed on the host: the old path is gone at once, the new one is
	 * the same object. */
	backend_local_restore_identity(); /* the host's changes, as root */
	path_of(q, sizeof(q), "w/x2");
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 4, &h2, &a2), -ENOENT);
	const char *renamed[] = {"w", "x2", "y", "f"};
	assert_int_equal(ops->lookup_path(ex, &USER, &root, renamed, 4, &h2, &a2), 0);
	assert_memory_equal(h2.data, h.data, h.len);
	backend_local_restore_identity(); /* the host's changes, as root */
	assert_int_equal(rename(q, p), 0);

	/* A symbolic link on the way, or as the last name (returned, not
	 * followed, as LOOKUP does). */
	backend_local_restore_identity(); /* the host's changes, as root */
	path_of(p, sizeof(p), "w/lnk");
	assert_int_equal(symlink("x", p), 0);
	const char *via_link[] = {"w", "lnk", "y", "f"};
	assert_int_not_equal(ops->lookup_path(ex, &USER, &root, via_link, 4, &h2, &a2), 0);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, via_link, 2, &h2, &a2), 0);
	assert_int_equal(a2.type, BACKEND_LNK);

	/* A file before the end. */
	const char *through_file[] = {"w", "x", "y", "f", "z"};
	assert_int_equal(ops->lookup_path(ex, &USER, &root, through_file, 5, &h2, &a2), -ENOTDIR);

	/* Names no component lookup takes. */
	const char *dotdot[] = {"w", "..", "w"};
	const char *slash[] = {"w", "x/y"};
	const char *empty[] = {"w", ""};
	assert_int_equal(ops->lookup_path(ex, &USER, &root, dotdot, 3, &h2, &a2), -EINVAL);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, slash, 2, &h2, &a2), -EINVAL);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, empty, 2, &h2, &a2), -EINVAL);

	/* A mount on the way or at the end: another file system, and a bind
	 * mount of x itself (same device and inode numbers). */
	path_of(p, sizeof(p), "w/x");
	backend_local_restore_identity();
	assert_int_equal(mount("none", p, "tmpfs", 0, "size=1m"), 0);
	path_of(q, sizeof(q), "w/x/y");
	assert_int_equal(mkdir(q, 0755), 0);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 3, &h2, &a2), -EXDEV);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 2, &h2, &a2), -EXDEV);
	backend_local_restore_identity();
	assert_int_equal(umount(p), 0);
	path_of(q, sizeof(q), "w/bind");
	assert_int_equal(mkdir(q, 0755), 0);
	assert_int_equal(mount(p, q, NULL, MS_BIND, NULL), 0);
	const char *via_bind[] = {"w", "bind", "y", "f"};
	assert_int_equal(ops->lookup_path(ex, &USER, &root, via_bind, 4, &h2, &a2), -EXDEV);
	backend_local_restore_identity();
	assert_int_equal(umount(q), 0);
	assert_int_equal(ops->lookup_path(ex, &USER, &root, names, 4, &h2, &a2), 0);
	assert_memory_equal(h2.data, h.data, h.len);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the local back end needs root\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_cached_and_mounts),
		cmocka_unit_test(test_listing_snapshot),
		cmocka_unit_test(test_lookup_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
