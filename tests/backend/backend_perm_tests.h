/* Permission tests of the conformance suite: a non-root caller, groups,
 * sticky directories, owner override, and identities per thread.
 * Included by test_backend.c after backend_fixture.h. */
#ifndef FERRY_TESTS_BACKEND_PERM_TESTS_H
#define FERRY_TESTS_BACKEND_PERM_TESTS_H

static void test_perm_user(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f, own, g, x, closed;
	struct backend_setattr sa;
	struct backend_attr a;
	uint32_t granted;
	char buf[16];
	size_t n;
	bool eof;
	enum backend_stable st;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "rootfile", 0644, &f);
	put(fx, &ROOT, &f, 0, "root data");
	assert_int_equal(fx->ops->write(fx->ex, &USER, &f, 0, "x", 1, BACKEND_UNSTABLE, &n, &st),
			 -EACCES);
	sa = (struct backend_setattr){ .mask = BACKEND_SET_SIZE, .size = 0 };
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &f, &sa, &a), -EACCES);
	sa = mode_sa(0666);
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &f, &sa, &a), -EPERM);
	sa = (struct backend_setattr){ .mask = BACKEND_SET_MTIME, .mtime = { 5, 0 } };
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &f, &sa, &a), -EPERM);
	assert_int_equal(fx->ops->read(fx->ex, &USER, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, 9);
	assert_int_equal(fx->ops->access(fx->ex, &USER, &f, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_READ);
	assert_int_equal(fx->ops->access(fx->ex, &ROOT, &f, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_READ | BACKEND_ACCESS_WRITE);
	assert_int_equal(attr_of(fx, &f).size, 9); /* untouched */

	/* In a directory of its own, the user creates and writes. */
	mk_dir(fx, &USER, &d, "own", 0755, &own);
	assert_int_equal(attr_of(fx, &own).uid, 1234);
	mk_file(fx, &USER, &own, "mine", 0600, &g);
	a = attr_of(fx, &g);
	assert_int_equal(a.uid, 1234);
	assert_int_equal(a.gid, 1234);
	put(fx, &USER, &g, 0, "mine");
	assert_int_equal(fx->ops->read(fx->ex, &OTHER, &g, 0, sizeof(buf), buf, &n, &eof), -EACCES);
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &g, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, 4);
	/* ...but not in root's. */
	mk_dir(fx, &ROOT, &d, "closed", 0755, &closed);
	assert_int_equal(fx->ops->create_file(fx->ex, &USER, &closed, "x", BACKEND_CREATE_GUARDED,
					      NULL, NULL, &x, &a, &eof),
			 -EACCES);
	assert_int_equal(fx->ops->mknod(fx->ex, &USER, &closed, "x", BACKEND_DIR, 0, 0, NULL, &x, &a),
			 -EACCES);
	assert_int_equal(fx->ops->symlink(fx->ex, &USER, &closed, "x", "y", NULL, &x, &a), -EACCES);
	assert_int_equal(fx->ops->remove(fx->ex, &USER, &d, "rootfile"), 0); /* d is 0777 */
	mk_file(fx, &ROOT, &closed, "f", 0666, &x);
	assert_int_equal(fx->ops->remove(fx->ex, &USER, &closed, "f"), -EACCES);
	assert_int_equal(fx->ops->rename(fx->ex, &USER, &closed, "f", &own, "f"), -EACCES);
	/* Giving a file away is root's. */
	sa = (struct backend_setattr){ .mask = BACKEND_SET_UID, .uid = 4321 };
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &g, &sa, &a), -EPERM);
	/* Root still acts as root after a user's calls on this thread. */
	put(fx, &ROOT, &g, 0, "root");
}

static void test_perm_sticky(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, tmp, x;

	test_dir(fx, &d);
	mk_dir(fx, &ROOT, &d, "tmp", 01777, &tmp);
	mk_file(fx, &OTHER, &tmp, "theirs", 0666, &x);
	mk_file(fx, &USER, &tmp, "mine", 0644, &x);
	assert_int_equal(fx->ops->remove(fx->ex, &USER, &tmp, "theirs"), -EPERM);
	assert_int_equal(fx->ops->rename(fx->ex, &USER, &tmp, "theirs", &tmp, "stolen"), -EPERM);
	assert_int_equal(fx->ops->rename(fx->ex, &USER, &tmp, "mine", &tmp, "theirs"), -EPERM);
	assert_int_equal(fx->ops->remove(fx->ex, &USER, &tmp, "mine"), 0);
	assert_int_equal(fx->ops->remove(fx->ex, &OTHER, &tmp, "theirs"), 0);
	mk_file(fx, &OTHER, &tmp, "again", 0666, &x);
	assert_int_equal(fx->ops->remove(fx->ex, &ROOT, &tmp, "again"), 0);
}

static void test_perm_groups(void **state)
{
	struct fx *fx = *state;
	struct backend_cred member = { .uid = 1234, .gid = 1234, .ngids = 2, .gids = { 99, 500 } };
	struct backend_handle d, f;
	struct backend_setattr sa = { .mask = BACKEND_SET_GID, .gid = 500 };
	struct backend_attr a;
	char buf[8];
	size_t n;
	bool eof;
	uint32_t granted;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0640, &f);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &sa, &a), 0);
	assert_int_equal(fx->ops->read(fx->ex, &member, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(fx->ops->read(fx->ex, &USER, &f, 0, sizeof(buf), buf, &n, &eof), -EACCES);
	assert_int_equal(fx->ops->access(fx->ex, &member, &f, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_READ);
	/* Group through the primary gid as well. */
	member = (struct backend_cred){ .uid = 1234, .gid = 500 };
	assert_int_equal(fx->ops->read(fx->ex, &member, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	/* The owner may hand the file to a group of theirs only. */
	sa = (struct backend_setattr){ .mask = BACKEND_SET_UID, .uid = 1234 };
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &sa, &a), 0);
	member = (struct backend_cred){ .uid = 1234, .gid = 1234, .ngids = 1, .gids = { 600 } };
	sa = (struct backend_setattr){ .mask = BACKEND_SET_GID, .gid = 600 };
	assert_int_equal(fx->ops->setattr(fx->ex, &member, &f, &sa, &a), 0);
	assert_int_equal(a.gid, 600);
	sa.gid = 700;
	assert_int_equal(fx->ops->setattr(fx->ex, &member, &f, &sa, &a), -EPERM);
}

/* nfsd's owner override: a file created read-only stays writable by its
 * owner (cp -p, tar, git objects). */
static void test_owner_override(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;
	struct backend_setattr sa = { .mask = BACKEND_SET_SIZE, .size = 2 };
	struct backend_attr a;
	char buf[8];
	size_t n;
	bool eof;
	uint32_t granted;

	test_dir(fx, &d);
	mk_file(fx, &USER, &d, "ro", 0444, &f);
	put(fx, &USER, &f, 0, "abcd");
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &f, &sa, &a), 0);
	assert_int_equal(a.size, 2);
	sa = mode_sa(0);
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &f, &sa, &a), 0);
	assert_int_equal(fx->ops->read(fx->ex, &USER, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, 2);
	/* ACCESS still tells the truth. */
	assert_int_equal(fx->ops->access(fx->ex, &USER, &f, 7, &granted), 0);
	assert_int_equal(granted, 0);
	assert_int_equal(fx->ops->read(fx->ex, &OTHER, &f, 0, sizeof(buf), buf, &n, &eof), -EACCES);
}

static void test_access_exec(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f, g;
	uint32_t granted;
	char buf[8];
	size_t n;
	bool eof;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "plain", 0644, &f);
	mk_file(fx, &ROOT, &d, "prog", 0711, &g);
	assert_int_equal(fx->ops->access(fx->ex, &ROOT, &f, BACKEND_ACCESS_EXEC, &granted), 0);
	assert_int_equal(granted, 0); /* root needs an x bit to execute */
	assert_int_equal(fx->ops->access(fx->ex, &ROOT, &g, 7, &granted), 0);
	assert_int_equal(granted, 7);
	assert_int_equal(fx->ops->access(fx->ex, &USER, &g, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_EXEC);
	/* Executable is readable through the server (the client runs it). */
	assert_int_equal(fx->ops->read(fx->ex, &USER, &g, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(fx->ops->access(fx->ex, &USER, &d, 7, &granted), 0);
	assert_int_equal(granted, 7);
}

/* Identities are per thread: several users at once each get their own. */
struct worker {
	struct fx *fx;
	struct backend_handle dir;
	struct backend_cred cred;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct fx *fx = w->fx;

	for (int i = 0; i < 100; i++) {
		struct backend_setattr sa = mode_sa(0600);
		struct backend_handle f;
		struct backend_attr a;
		char name[32], buf[32];
		size_t n;
		bool created, eof;
		enum backend_stable st;

		snprintf(name, sizeof(name), "f%d", i);
		if (fx->ops->create_file(fx->ex, &w->cred, &w->dir, name, BACKEND_CREATE_GUARDED,
					 NULL, &sa, &f, &a, &created) != 0 ||
		    a.uid != w->cred.uid || a.gid != w->cred.gid)
			w->failures++;
		if (fx->ops->write(fx->ex, &w->cred, &f, 0, name, strlen(name), BACKEND_UNSTABLE,
				   &n, &st) != 0 ||
		    fx->ops->read(fx->ex, &w->cred, &f, 0, sizeof(buf), buf, &n, &eof) != 0 ||
		    n != strlen(name) || memcmp(buf, name, n) != 0)
			w->failures++;
		if (fx->ops->getattr(fx->ex, &w->dir, &a) != 0 || a.uid != w->cred.uid)
			w->failures++;
		if (i % 2 && fx->ops->remove(fx->ex, &w->cred, &w->dir, name) != 0)
			w->failures++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *fx = *state;
	struct worker w[4];
	pthread_t t[4];
	struct backend_handle d;

	test_dir(fx, &d);
	for (int i = 0; i < 4; i++) {
		char name[16];
		struct backend_setattr sa;
		struct backend_attr a;

		w[i] = (struct worker){ .fx = fx };
		w[i].cred = (struct backend_cred){ .uid = 2000 + i, .gid = 3000 + i };
		snprintf(name, sizeof(name), "u%d", i);
		mk_dir(fx, &ROOT, &d, name, 0700, &w[i].dir);
		sa = (struct backend_setattr){ .mask = BACKEND_SET_UID | BACKEND_SET_GID,
					       .uid = w[i].cred.uid,
					       .gid = w[i].cred.gid };
		assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &w[i].dir, &sa, &a), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
}

#endif
