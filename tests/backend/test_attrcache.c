/* The local back end's attribute cache (backend/local/local_attrcache.c) against
 * a real directory: once a listing serves attributes from the cache, every
 * change made to an entry by another process on the host (write, chmod,
 * truncate, utimes, a read that sets the atime, rename over, unlink and
 * create again under the same name, a link that makes two) and every
 * change made through the back end itself is in the very next listing and
 * GETATTR: each listing is compared, entry by entry, with lstat(2) of the
 * names.  Hard-linked files are not kept.  What a listing keeps per entry
 * (backend_dirent.keep, READDIR's encoded entries) comes back only under
 * its own key and only while the entry is unchanged.  And with the cache
 * turned off listings still work, from the file system. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/backend.h"

enum { NMAX = 64, NFILLER = 24 };

static char base[256];
static struct backend_export *ex;
static struct backend_handle root, dir;
static const struct backend_cred ROOT = {0};
static const struct backend_ops *ops = &backend_local_ops;

struct listing {
	char names[NMAX][32];
	struct backend_attr attrs[NMAX];
	struct backend_handle handles[NMAX];
	unsigned n;
	const struct backend_keep_key *key; /* keeps a kept_rec per entry under it */
	unsigned kept;                      /* entries handed back kept */
	bool was_kept[NMAX];
};

/* What the keeping listings keep: the attributes and handle as they were,
 * so that one handed back stale is caught by the comparison with lstat. */
struct kept_rec {
	uint64_t what;
	struct backend_attr attr;
	struct backend_handle handle;
};

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/d/%s", base, name);
}

static bool collect(void *ctx, const struct backend_dirent *e)
{
	struct listing *l = ctx;

	assert_true(l->n < NMAX);
	assert_true(e->namelen < sizeof(l->names[0]));
	memcpy(l->names[l->n], e->name, e->namelen);
	l->names[l->n][e->namelen] = '\0';
	if (e->kept) {
		struct kept_rec r;

		assert_non_null(l->key);
		assert_null(e->attr);
		assert_int_equal(e->kept_len, sizeof(r));
		memcpy(&r, e->kept, sizeof(r));
		assert_int_equal(r.what, l->key->what); /* never another key's */
		l->attrs[l->n] = r.attr;
		l->handles[l->n] = r.handle;
		l->was_kept[l->n] = true;
		l->kept++;
	} else {
		assert_non_null(e->attr);
		assert_non_null(e->handle);
		l->attrs[l->n] = *e->attr;
		l->handles[l->n] = *e->handle;
		if (l->key && e->keep) {
			struct kept_rec r = {l->key->what, *e->attr, *e->handle};

			e->keep(e, &r, sizeof(r));
		}
	}
	l->n++;
	return true;
}

static void list_all(struct listing *l)
{
	const struct backend_keep_key *key = l->key;
	bool eof = false;

	memset(l, 0, sizeof(*l));
	l->key = key;
	assert_int_equal(ops->readdir(ex, &ROOT, &dir, 0, key, collect, l, &eof), 0);
	assert_true(eof);
}

static int find(const struct listing *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return (int)i;
	fail_msg("%s not listed", name);
	return -1;
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* a is what the back end said of path; the file system must agree. */
static void assert_attr_fresh(const char *what, const char *path, const struct backend_attr *a)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	if (a->fileid != st.st_ino || a->size != (uint64_t)st.st_size ||
	    a->mode != (st.st_mode & 07777) || a->nlink != st.st_nlink || a->uid != st.st_uid ||
	    !ts_eq(&a->mtime, &st.st_mtim) || !ts_eq(&a->ctime, &st.st_ctim) ||
	    !ts_eq(&a->atime, &st.st_atim))
		fail_msg("%s: %s: stale: ino %llu/%llu size %llu/%lld mode %o/%o nlink %u/%u "
			 "mtime %lld.%09ld/%lld.%09ld ctime %lld.%09ld/%lld.%09ld "
			 "atime %lld.%09ld/%lld.%09ld",
			 what, path, (unsigned long long)a->fileid,
			 (unsigned long long)st.st_ino, (unsigned long long)a->size,
			 (long long)st.st_size, a->mode, st.st_mode & 07777, a->nlink,
			 (unsigned)st.st_nlink, (long long)a->mtime.tv_sec, a->mtime.tv_nsec,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			 (long long)a->ctime.tv_sec, a->ctime.tv_nsec,
			 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
			 (long long)a->atime.tv_sec, a->atime.tv_nsec,
			 (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
}

/* Lists the directory and checks every entry, and GETATTR of each, against
 * the file system.  Returns the cache's hits during the listing. */
static uint64_t assert_listing_fresh(const char *what, struct listing *l)
{
	struct backend_attrcache_stats before, after;
	char p[400];

	backend_local_attr_cache_stats(ex, &before);
	list_all(l);
	backend_local_attr_cache_stats(ex, &after);
	for (unsigned i = 0; i < l->n; i++) {
		struct backend_attr a;

		path_of(p, sizeof(p), l->names[i]);
		assert_attr_fresh(what, p, &l->attrs[i]);
		assert_int_equal(ops->getattr(ex, &l->handles[i], &a), 0);
		assert_attr_fresh(what, p, &a);
	}
	return after.hits - before.hits;
}

/* Runs fn in a child process, as another program on the host would. */
static void on_host(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void must(bool ok, const char *what)
{
	if (!ok) {
		perror(what);
		_exit(1);
	}
}

static void make_file(const char *name, size_t size)
{
	char p[400], buf[64] = {0};
	int fd;

	path_of(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0, p);
	for (size_t done = 0; done < size; done += sizeof(buf) < size - done ? sizeof(buf) : size - done)
		must(write(fd, buf, sizeof(buf) < size - done ? sizeof(buf) : size - done) > 0,
		     "write");
	close(fd);
}

/* Waits until a change made now would leave the directory's ctime behind
 * by more than the snapshot's settle time (local_dirsnap.c). */
static void settle(void)
{
	usleep(1200 * 1000);
}

static int setup(void **st)
{
	(void)st;
	const char *tmp = getenv("TMPDIR");
	char p[400];
	struct backend_attr a;
	struct backend_attrcache_stats s;

	snprintf(base, sizeof(base), "%s/ferry-attrcache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base) || chmod(base, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/d", base);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/other", base);
	if (mkdir(p, 0755) != 0)
		return -1;
	if (ops->export_open(base, base, NULL, &ex) != 0 || ops->root(ex, &root) != 0)
		return -1;
	backend_local_attr_cache_stats(ex, &s);
	if (!s.on) {
		fprintf(stderr, "the attribute cache did not start (no filesystem mark?)\n");
		return -1;
	}
	return ops->lookup(ex, &ROOT, &root, "d", &dir, &a);
}

static int teardown(void **st)
{
	(void)st;
	char cmd[400];

	backend_local_restore_identity();
	ops->export_close(ex);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void host_changes_in_place(void)
{
	char p[400], q[400];
	int fd;

	path_of(p, sizeof(p), "w"); /* write */
	fd = open(p, O_WRONLY | O_APPEND);
	must(fd >= 0 && write(fd, "0123456789", 10) == 10, "append");
	close(fd);
	path_of(p, sizeof(p), "m"); /* chmod */
	must(chmod(p, 0600) == 0, "chmod");
	path_of(p, sizeof(p), "t"); /* truncate */
	must(truncate(p, 5000) == 0, "truncate");
	path_of(p, sizeof(p), "u"); /* utimes */
	struct timespec ts[2] = {{.tv_sec = 1000000, .tv_nsec = 5}, {.tv_sec = 2000000, .tv_nsec = 7}};
	must(utimensat(AT_FDCWD, p, ts, 0) == 0, "utimes");
	path_of(p, sizeof(p), "ln"); /* a second name, in another directory */
	snprintf(q, sizeof(q), "%s/other/ln2", base);
	must(link(p, q) == 0, "link");
}

static void host_read(void)
{
	char p[400], b[16];
	int fd;

	/* w was written after it was last read: relatime sets its atime. */
	path_of(p, sizeof(p), "w");
	fd = open(p, O_RDONLY);
	must(fd >= 0 && read(fd, b, sizeof(b)) > 0, "read");
	close(fd);
}

static void host_chmod_other_name(void)
{
	char q[400];

	snprintf(q, sizeof(q), "%s/other/ln2", base);
	must(chmod(q, 0640) == 0, "chmod ln2");
}

static void host_changes_to_names(void)
{
	char p[400], q[400];

	path_of(p, sizeof(p), "src"); /* rename over */
	path_of(q, sizeof(q), "over");
	must(rename(p, q) == 0, "rename");
	path_of(p, sizeof(p), "re"); /* unlink, create again */
	must(unlink(p) == 0, "unlink");
	make_file("re", 7);
}

static void test_host_changes(void **st)
{
	(void)st;
	static struct listing l;
	static const char *files[] = {"w", "m", "t", "u", "ln", "over", "src", "re"};
	char name[32];

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		make_file(files[i], 100 + i);
	for (unsigned i = 0; i < NFILLER; i++) {
		snprintf(name, sizeof(name), "filler%02u", i);
		make_file(name, i);
	}
	settle();
	assert_listing_fresh("first", &l);  /* builds the snapshot, fills */
	assert_true(assert_listing_fresh("filled", &l) >= NFILLER); /* served from the cache */

	on_host(host_changes_in_place);
	assert_true(assert_listing_fresh("after write, chmod, truncate, utimes, link", &l) >=
		    NFILLER);
	assert_int_equal(l.attrs[find(&l, "ln")].nlink, 2);
	assert_int_equal(l.attrs[find(&l, "m")].mode, 0600);
	assert_int_equal(l.attrs[find(&l, "t")].size, 5000);
	assert_int_equal(l.attrs[find(&l, "u")].mtime.tv_sec, 2000000);
	assert_int_equal(l.attrs[find(&l, "w")].size, 110);
	on_host(host_read);
	assert_listing_fresh("after a read", &l);
	on_host(host_chmod_other_name); /* nlink 2: never kept */
	assert_listing_fresh("after chmod of the other name", &l);
	assert_int_equal(l.attrs[find(&l, "ln")].mode, 0640);

	uint64_t old_re = l.attrs[find(&l, "re")].fileid, src = l.attrs[find(&l, "src")].fileid;
	on_host(host_changes_to_names);
	assert_listing_fresh("after rename over and unlink+create", &l);
	assert_true(l.attrs[find(&l, "over")].fileid == src);
	assert_true(l.attrs[find(&l, "re")].fileid != old_re);
	assert_int_equal(l.attrs[find(&l, "re")].size, 7);
	settle();
	assert_listing_fresh("snapshot rebuilt", &l);
	assert_true(assert_listing_fresh("served again", &l) >= NFILLER);
}

static void test_own_changes(void **st)
{
	(void)st;
	static struct listing l;
	struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0611};
	enum backend_stable committed;
	size_t written;
	int w, m;

	settle();
	assert_listing_fresh("before", &l);
	assert_true(assert_listing_fresh("filled", &l) >= NFILLER);
	w = find(&l, "w");
	m = find(&l, "m");
	assert_int_equal(ops->setattr(ex, &ROOT, &l.handles[w], &sa, NULL), 0);
	assert_int_equal(ops->write(ex, &ROOT, &l.handles[m], 3, "abc", 3, BACKEND_UNSTABLE,
				    &written, &committed),
			 0);
	assert_true(assert_listing_fresh("after setattr and write", &l) >= NFILLER);
	assert_int_equal(l.attrs[w].mode, 0611);
	assert_int_equal(l.attrs[find(&l, "m")].size, 101);
	assert_int_equal(ops->setxattr(ex, &ROOT, &l.handles[w], "k", "v", 1, BACKEND_XATTR_EITHER),
			 0);
	assert_int_equal(ops->space(ex, &ROOT, &l.handles[m], 0, 9000, BACKEND_SPACE_ALLOCATE), 0);
	assert_listing_fresh("after setxattr and allocate", &l);
	assert_int_equal(l.attrs[find(&l, "m")].size, 9000);
}

static struct backend_attrcache_stats wait_stats(bool (*done)(const struct backend_attrcache_stats *))
{
	struct backend_attrcache_stats s;

	for (int i = 0; i < 500; i++) {
		backend_local_attr_cache_stats(ex, &s);
		if (done(&s))
			return s;
		usleep(10 * 1000);
	}
	fail_msg("the attribute cache's thread did not get to its marks in 5 s");
	return s;
}

static bool one_mark_placed(const struct backend_attrcache_stats *s) { return s->marks_placed >= 1; }
static bool one_mark_removed(const struct backend_attrcache_stats *s) { return s->marks_removed >= 1; }

/* A file the back end reads and writes often is held: the kernel stops
 * reporting its reads and writes, so its attributes must not be served
 * from the cache while that lasts, whoever changes it; and once its entry
 * is let go, its changes are reported (and seen) again. */
static void test_held(void **st)
{
	(void)st;
	static struct listing l;
	struct backend_attrcache_stats s;
	struct backend_handle oh, h;
	struct backend_attr a;
	enum backend_stable committed;
	size_t written, got;
	char buf[8], name[32], p[400];
	bool eof;
	int hot;

	make_file("hot", 10);
	settle();
	assert_listing_fresh("before", &l);
	assert_listing_fresh("filled", &l);
	hot = find(&l, "hot");
	assert_true(l.was_kept[hot] || assert_listing_fresh("served", &l) >= NFILLER);
	h = l.handles[hot];
	for (unsigned i = 0; i < 40; i++) {
		if (i % 2)
			assert_int_equal(ops->read(ex, &ROOT, &h, 0, sizeof(buf), buf, &got, &eof), 0);
		else
			assert_int_equal(ops->write(ex, &ROOT, &h, i, "x", 1, BACKEND_UNSTABLE,
						    &written, &committed),
					 0);
	}
	s = wait_stats(one_mark_placed);
	assert_int_equal(s.held, 1);
	assert_listing_fresh("held", &l);
	uint64_t size = l.attrs[find(&l, "hot")].size;

	assert_int_equal(size, 39); /* the last write: 1 byte at 38 */

	/* Another writer's changes now queue no event.  It keeps its file
	 * open, so that no FAN_CLOSE_WRITE tells either: the listing must
	 * read the file itself. */
	path_of(p, sizeof(p), "hot");
	int hfd = open(p, O_WRONLY);

	assert_true(hfd >= 0);
	assert_int_equal(pwrite(hfd, "grown by another", 16, size), 16);
	assert_listing_fresh("held, grown by another writer", &l);
	assert_int_equal(l.attrs[find(&l, "hot")].size, size + 16);
	assert_int_equal(ftruncate(hfd, 3), 0);
	assert_listing_fresh("held, truncated by another writer", &l);
	assert_int_equal(l.attrs[find(&l, "hot")].size, 3);

	/* Other files pushed out of the open-file cache: hot's entry goes, its
	 * mark with it. */
	snprintf(p, sizeof(p), "%s/other", base);
	assert_int_equal(ops->lookup(ex, &ROOT, &root, "other", &oh, &a), 0);
	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "evict%03u", i);
		snprintf(p, sizeof(p), "%s/other/%s", base, name);
		close(open(p, O_WRONLY | O_CREAT, 0644));
		assert_int_equal(ops->lookup(ex, &ROOT, &oh, name, &h, &a), 0);
		assert_int_equal(ops->getattr(ex, &h, &a), 0);
	}
	s = wait_stats(one_mark_removed);
	assert_int_equal(s.held, 0);
	assert_listing_fresh("let go", &l);
	assert_true(assert_listing_fresh("kept again", &l) >= NFILLER);
	assert_int_equal(pwrite(hfd, "grown again", 11, 3), 11); /* reported again */
	assert_listing_fresh("let go, grown by another writer", &l);
	assert_int_equal(l.attrs[find(&l, "hot")].size, 3 + 11);
	close(hfd);
}

static bool collect_plain(void *ctx, const struct backend_dirent *e)
{
	unsigned *n = ctx;

	/* Search permission is missing: names, but no attributes. */
	assert_null(e->attr);
	(*n)++;
	return true;
}

/* Attributes kept for a listing by root are not handed to a user who may
 * read the directory but not search it (statx by name would refuse). */
static void test_no_search_permission(void **st)
{
	(void)st;
	static struct listing l;
	static const struct backend_cred user = {.uid = 1234, .gid = 1234};
	char p[400];
	unsigned n = 0;
	bool eof = false;

	settle();
	assert_listing_fresh("as root", &l);
	assert_true(assert_listing_fresh("as root, kept", &l) >= NFILLER);
	snprintf(p, sizeof(p), "%s/d", base);
	assert_int_equal(chmod(p, 0744), 0);
	settle();
	assert_listing_fresh("as root, 0744", &l); /* a new snapshot, filled */
	assert_int_equal(ops->readdir(ex, &user, &dir, 0, NULL, collect_plain, &n, &eof), 0);
	assert_true(eof);
	assert_int_equal(n, l.n);
	backend_local_restore_identity();
	assert_int_equal(chmod(p, 0755), 0);
}

static void host_changes_again(void)
{
	char p[400];
	int fd;

	path_of(p, sizeof(p), "w");
	fd = open(p, O_WRONLY | O_APPEND);
	must(fd >= 0 && write(fd, "abc", 3) == 3, "append");
	close(fd);
	path_of(p, sizeof(p), "m");
	must(chmod(p, 0604) == 0, "chmod");
	path_of(p, sizeof(p), "t");
	must(truncate(p, 6000) == 0, "truncate");
	path_of(p, sizeof(p), "u");
	struct timespec ts[2] = {{.tv_sec = 3000000, .tv_nsec = 9}, {.tv_sec = 4000000, .tv_nsec = 11}};
	must(utimensat(AT_FDCWD, p, ts, 0) == 0, "utimes");
}

/* Lists with key as assert_listing_fresh does; returns the entries handed
 * back kept. */
static unsigned assert_kept_fresh(const char *what, struct listing *l,
				  const struct backend_keep_key *key)
{
	l->key = key;
	assert_listing_fresh(what, l);
	l->key = NULL;
	return l->kept;
}

/* Whether the last listing handed name back kept. */
static bool kept_name(const struct listing *l, const char *name)
{
	return l->was_kept[find(l, name)];
}

/* What a listing keeps per entry is handed back by the next listings with
 * the same key while the entry is unchanged; a change on the host (append,
 * chmod, truncate, utimes) or through the back end (setattr, write) gives
 * that entry fresh attributes at once, and the others stay kept; another
 * key never gets bytes kept under the first.  The counts of kept entries
 * are lower bounds: the export's file system is shared with the rest of
 * the machine, whose changes to other files move a generation stripe now
 * and then (4,096 of them) and so drop an unchanged entry's bytes too. */
static void test_kept(void **st)
{
	(void)st;
	static struct listing l;
	static const struct backend_keep_key a = {0xa, 1}, b = {0xb, 1};
	struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0621};
	struct backend_setattr trunc = {.mask = BACKEND_SET_SIZE, .size = 77};
	enum backend_stable committed;
	size_t written;
	unsigned n;

	settle();
	assert_kept_fresh("keeping", &l, &a);
	/* Every file but the hard-linked one ("ln", never cached). */
	n = 0;
	for (unsigned i = 0; i < l.n; i++)
		n += l.attrs[i].nlink == 1;
	assert_int_equal(n, l.n - 1);
	assert_true(assert_kept_fresh("all kept", &l, &a) >= n / 2);
	assert_false(kept_name(&l, "ln"));

	on_host(host_changes_again);
	/* The four changed entries come fresh (and are checked); the rest kept. */
	assert_true(assert_kept_fresh("after host changes", &l, &a) >= (n - 4) / 2);
	assert_true(l.kept <= n - 4);
	assert_false(kept_name(&l, "w") || kept_name(&l, "m") || kept_name(&l, "t") ||
		     kept_name(&l, "u"));
	assert_int_equal(l.attrs[find(&l, "m")].mode, 0604);
	assert_int_equal(l.attrs[find(&l, "t")].size, 6000);
	assert_int_equal(l.attrs[find(&l, "u")].mtime.tv_sec, 4000000);
	assert_true(assert_kept_fresh("kept again", &l, &a) >= n / 2);

	assert_int_equal(ops->setattr(ex, &ROOT, &l.handles[find(&l, "w")], &sa, NULL), 0);
	assert_int_equal(ops->setattr(ex, &ROOT, &l.handles[find(&l, "t")], &trunc, NULL), 0);
	assert_int_equal(ops->write(ex, &ROOT, &l.handles[find(&l, "m")], 0, "xyz", 3,
				    BACKEND_UNSTABLE, &written, &committed),
			 0);
	assert_true(assert_kept_fresh("after setattr, truncate, write", &l, &a) <= n - 3);
	assert_false(kept_name(&l, "w") || kept_name(&l, "t") || kept_name(&l, "m"));
	assert_int_equal(l.attrs[find(&l, "w")].mode, 0621);
	assert_int_equal(l.attrs[find(&l, "t")].size, 77);

	/* Another key: nothing of a's, then its own. */
	assert_int_equal(assert_kept_fresh("key b", &l, &b), 0);
	assert_true(assert_kept_fresh("key b, kept", &l, &b) >= n / 2);
	/* And a listing that keeps nothing gets nothing kept. */
	assert_listing_fresh("no key", &l);
	assert_int_equal(l.kept, 0);
}

/* A listing served from a snapshot reads no directory descriptor of its
 * own: a caller who may search the directory but not read it is still
 * refused, as opening it would refuse him. */
static void test_no_read_permission(void **st)
{
	(void)st;
	static struct listing l;
	static const struct backend_cred user = {.uid = 1234, .gid = 1234};
	char p[400];
	unsigned n = 0;
	bool eof = false;

	snprintf(p, sizeof(p), "%s/d", base);
	assert_int_equal(chmod(p, 0711), 0);
	settle();
	assert_listing_fresh("as root, 0711", &l); /* a new snapshot */
	assert_listing_fresh("as root, 0711, served", &l);
	assert_int_equal(ops->readdir(ex, &user, &dir, 0, NULL, collect_plain, &n, &eof), -EACCES);
	assert_int_equal(n, 0);
	backend_local_restore_identity();
	assert_int_equal(chmod(p, 0755), 0);
}

static void test_off(void **st)
{
	(void)st;
	static struct listing l;
	struct backend_attrcache_stats s;

	backend_local_set_attr_cache(ex, false);
	backend_local_attr_cache_stats(ex, &s);
	assert_false(s.on);
	settle();
	assert_int_equal(assert_listing_fresh("off", &l), 0);
	assert_int_equal(assert_listing_fresh("off, again", &l), 0);
	on_host(host_chmod_other_name);
	assert_listing_fresh("off, after changes", &l);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the local back end needs root\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_changes),
		cmocka_unit_test(test_own_changes),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_no_search_permission),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_no_read_permission),
		cmocka_unit_test(test_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
