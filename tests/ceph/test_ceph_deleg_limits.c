/* What libcephfs (16.2) does to a client's own writes while another
 * client's open recalls a CephFS write delegation that client holds: the
 * reason the ceph back end grants no write delegation
 * (backend/ceph/ceph_lease.c).  Each case holds a write delegation on a
 * file of its own, a second CephFS client opens the file for reading, and
 * once the recall has come the first client tries to write what an NFS
 * client would write back; the delegation is given back 2 s later.
 *
 * And the client's own open for writing of a file it holds a read
 * delegation on waits until that delegation is given back.
 *
 * Should a later libcephfs let such a write through before the
 * delegation is given back, or grant a read delegation beside a file open
 * for writing, a case here fails: the design of ceph_lease.c can then be
 * revisited.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it;
 * without them the test reports itself skipped (exit 77).  No ferryd. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cephfs/libcephfs.h>

enum {
	SKIP = 77,
	LIMITS_RECALL_WAIT_MS = 20000, /* the recall comes within this */
	LIMITS_HOLD_MS = 2000,	       /* the delegation is kept this long after it */
	LIMITS_DONE_WAIT_MS = 20000,   /* everything is done this long after */
};

static const char *limits_conf, *limits_id;
static char limits_dir[128];

static uint64_t limits_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A client mounted at the root; client_oc set when oc is. */
static struct ceph_mount_info *limits_mount(const char *oc)
{
	struct ceph_mount_info *cm;
	assert_int_equal(ceph_create(&cm, limits_id), 0);
	assert_int_equal(ceph_conf_read_file(cm, limits_conf), 0);
	if (oc)
		assert_int_equal(ceph_conf_set(cm, "client_oc", oc), 0);
	assert_int_equal(ceph_mount(cm, "/"), 0);
	return cm;
}

static _Atomic uint64_t limits_recalled_ms;

static void limits_on_recall(struct Fh *fh, void *priv)
{
	(void)fh;
	(void)priv;
	limits_recalled_ms = limits_now_ms();
}

/* The second client: opens the file for reading and reads it. */
struct limits_other {
	char path[200];
	_Atomic uint64_t opened_ms, done_ms;
	int got;
	char data[32];
};

static void *limits_other_thread(void *arg)
{
	struct limits_other *o = arg;
	struct ceph_mount_info *cm = limits_mount(NULL);
	int fd = ceph_open(cm, o->path, O_RDONLY, 0);
	o->opened_ms = limits_now_ms();
	o->got = fd < 0 ? fd : ceph_read(cm, fd, o->data, sizeof(o->data) - 1, 0);
	if (fd >= 0)
		ceph_close(cm, fd);
	ceph_shutdown(cm);
	o->done_ms = limits_now_ms();
	return NULL;
}

enum limits_try {
	LIMITS_WRITE_SAME_FH,	/* ceph_ll_write on the delegation's own Fh */
	LIMITS_WRITE_DIRECT_FH, /* a second Fh, O_RDWR | O_DIRECT, and a write */
	LIMITS_DOWNGRADE,	/* the delegation made a read one */
	LIMITS_WRITE_LAZY,	/* lazy I/O on the delegation's Fh, a write and fsync */
	LIMITS_GROW,		/* the size grown (ceph_ll_setattr) */
	LIMITS_WRITE_SECOND,	/* another client of the same process writes */
};

/* The delegation holder's try after the recall. */
struct limits_act {
	struct ceph_mount_info *cm;
	struct Inode *in;
	struct Fh *fh;
	enum limits_try what;
	const char *path;
	int rc;
	_Atomic uint64_t done_ms;
};

static void *limits_act_thread(void *arg)
{
	struct limits_act *a = arg;
	struct Fh *other;

	switch (a->what) {
	case LIMITS_WRITE_SAME_FH:
		a->rc = ceph_ll_write(a->cm, a->fh, 4, 4, "NEW!");
		break;
	case LIMITS_WRITE_DIRECT_FH:
		a->rc = ceph_ll_open(a->cm, a->in, O_RDWR | O_DIRECT, &other,
				     ceph_mount_perms(a->cm));
		if (a->rc == 0) {
			a->rc = ceph_ll_write(a->cm, other, 4, 4, "NEW!");
			ceph_ll_close(a->cm, other);
		}
		break;
	case LIMITS_DOWNGRADE:
		a->rc = ceph_ll_delegation(a->cm, a->fh, CEPH_DELEGATION_RD, limits_on_recall,
					   NULL);
		break;
	case LIMITS_WRITE_LAZY:
		a->rc = ceph_ll_write(a->cm, a->fh, 4, 4, "NEW!");
		if (a->rc == 4)
			a->rc = ceph_ll_fsync(a->cm, a->fh, 0) ? -EIO : 4;
		break;
	case LIMITS_GROW: {
		struct ceph_statx stx = { .stx_size = 8 };
		a->rc = ceph_ll_setattr(a->cm, a->in, &stx, CEPH_SETATTR_SIZE,
					ceph_mount_perms(a->cm));
		break;
	}
	case LIMITS_WRITE_SECOND: {
		struct ceph_mount_info *second = limits_mount(NULL);
		int fd = ceph_open(second, a->path, O_RDWR, 0);
		a->rc = fd < 0 ? fd : ceph_write(second, fd, "NEW!", 4, 4);
		if (fd >= 0)
			ceph_close(second, fd);
		ceph_shutdown(second);
		break;
	}
	}
	a->done_ms = limits_now_ms();
	return NULL;
}

static bool limits_wait(_Atomic uint64_t *when, uint64_t ms)
{
	uint64_t start = limits_now_ms();
	while (!*when && limits_now_ms() - start < ms)
		usleep(5000);
	return *when != 0;
}

/* What a case saw: when the try ended and the second client opened and
 * read, against when the delegation was given back. */
struct limits_seen {
	int rc;
	bool before_release; /* the try ended while the delegation was held */
	uint64_t released_ms, done_ms, other_opened_ms;
	int other_got;
	char other_data[32];
};

static void limits_run(const char *name, enum limits_try what, const char *oc,
		       struct limits_seen *seen)
{
	struct ceph_mount_info *cm = limits_mount(oc);
	assert_int_equal(ceph_set_deleg_timeout(cm, 30), 0);
	struct Inode *dir, *in;
	struct Fh *fh;
	struct ceph_statx stx;
	struct limits_other o = { 0 };
	snprintf(o.path, sizeof(o.path), "%s/%s", limits_dir, name);
	assert_int_equal(ceph_ll_lookup_root(cm, &dir), 0);
	struct Inode *root = dir;
	assert_int_equal(ceph_ll_lookup(cm, root, limits_dir + 1, &dir, &stx, 0, 0,
					ceph_mount_perms(cm)),
			 0);
	assert_int_equal(ceph_ll_create(cm, dir, name, 0644, O_RDWR | O_CREAT, &in, &fh, &stx, 0,
					0, ceph_mount_perms(cm)),
			 0);
	/* What the NFS client wrote before: in this client's cache. */
	assert_int_equal(ceph_ll_write(cm, fh, 0, 4, "old."), 4);
	if (what == LIMITS_WRITE_LAZY)
		assert_int_equal(ceph_ll_lazyio(cm, fh, 1), 0);
	limits_recalled_ms = 0;
	assert_int_equal(
	    ceph_ll_delegation(cm, fh, CEPH_DELEGATION_WR, limits_on_recall, NULL), 0);

	pthread_t ot, at;
	assert_int_equal(pthread_create(&ot, NULL, limits_other_thread, &o), 0);
	assert_true(limits_wait(&limits_recalled_ms, LIMITS_RECALL_WAIT_MS));
	struct limits_act a = { .cm = cm, .in = in, .fh = fh, .what = what, .path = o.path };
	assert_int_equal(pthread_create(&at, NULL, limits_act_thread, &a), 0);
	limits_wait(&a.done_ms, LIMITS_HOLD_MS);
	seen->before_release = a.done_ms != 0;
	seen->released_ms = limits_now_ms();
	assert_int_equal(ceph_ll_delegation(cm, fh, CEPH_DELEGATION_NONE, NULL, NULL), 0);
	assert_true(limits_wait(&a.done_ms, LIMITS_DONE_WAIT_MS));
	assert_true(limits_wait(&o.done_ms, LIMITS_DONE_WAIT_MS));
	assert_int_equal(pthread_join(at, NULL), 0);
	assert_int_equal(pthread_join(ot, NULL), 0);
	seen->rc = a.rc;
	seen->done_ms = a.done_ms;
	seen->other_opened_ms = o.opened_ms;
	seen->other_got = o.got;
	memcpy(seen->other_data, o.data, sizeof(o.data));
	printf("%s: %s, rc %d, done %+lld ms after the delegation went back; the other "
	       "client's open %+lld ms after it, read %d bytes \"%s\"\n",
	       name, seen->before_release ? "went through" : "waited for the delegation", a.rc,
	       (long long)(a.done_ms - seen->released_ms),
	       (long long)(o.opened_ms - seen->released_ms), o.got, o.got > 0 ? o.data : "");
	ceph_ll_close(cm, fh);
	ceph_ll_put(cm, in);
	ceph_ll_put(cm, dir);
	ceph_ll_put(cm, root);
	ceph_shutdown(cm);
}

/* The other client's open waits for the delegation: that is what holds
 * it back, for reading as for writing. */
static void limits_assert_held_back(const struct limits_seen *seen)
{
	assert_true(seen->other_opened_ms >= seen->released_ms);
}

/* The write-back on the delegation's own open file: buffered, it wants
 * the buffering capability (Fb) the MDS is revoking, which the delegation
 * holds a reference on, so it waits until the delegation is given back. */
static void test_write_on_delegated_fh_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("same-fh", LIMITS_WRITE_SAME_FH, NULL, &seen);
	assert_int_equal(seen.rc, 4);
	assert_false(seen.before_release);
	limits_assert_held_back(&seen);
}

/* The same with the client's cache off (client_oc false: every write is
 * a synchronous one to the OSDs): the write still asks for Fb, and waits
 * the same. */
static void test_write_without_cache_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("no-oc", LIMITS_WRITE_SAME_FH, "false", &seen);
	assert_int_equal(seen.rc, 4);
	assert_false(seen.before_release);
	limits_assert_held_back(&seen);
}

/* A second open file, O_RDWR | O_DIRECT: O_DIRECT only drops the buffering
 * after the capabilities are got, so the open and write wait too. */
static void test_write_direct_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("direct", LIMITS_WRITE_DIRECT_FH, NULL, &seen);
	assert_int_equal(seen.rc, 4);
	assert_false(seen.before_release);
	limits_assert_held_back(&seen);
}

/* A recalled delegation cannot be changed into a read one (which holds no
 * reference on Fb): libcephfs refuses any delegation on a file with one
 * recalled. */
static void test_downgrade_refused(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("downgrade", LIMITS_DOWNGRADE, NULL, &seen);
	assert_int_equal(seen.rc, -EAGAIN);
	assert_true(seen.before_release);
	/* Given back without the write: the other client sees the old data. */
	assert_int_equal(seen.other_got, 4);
	assert_string_equal(seen.other_data, "old.");
}

/* Lazy I/O (which lets a client keep buffering beside others) does not
 * help: the write still wants Fb, and waits the same. */
static void test_write_lazy_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("lazy", LIMITS_WRITE_LAZY, NULL, &seen);
	assert_int_equal(seen.rc, 4);
	assert_false(seen.before_release);
	limits_assert_held_back(&seen);
}

/* Data written to the objects without capabilities (ceph_ll_write_block)
 * would still need the size grown, and that waits too. */
static void test_grow_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("grow", LIMITS_GROW, NULL, &seen);
	assert_int_equal(seen.rc, 0);
	assert_false(seen.before_release);
	limits_assert_held_back(&seen);
}

/* A second client of ferryd's own cannot write for it either: the MDS
 * gives it Fw only once the delegation holder has let go. */
static void test_write_second_client_waits(void **st)
{
	(void)st;
	struct limits_seen seen;
	limits_run("second", LIMITS_WRITE_SECOND, NULL, &seen);
	assert_int_equal(seen.rc, 4);
	assert_false(seen.before_release);
}

/* Nor can a read delegation be held from the start beside a file open
 * for writing (the writes would need one), and a write delegation is
 * refused while the client has the file open twice: the writes must go
 * through the delegation's own open file. */
static void test_read_delegation_beside_writer_refused(void **st)
{
	(void)st;
	struct ceph_mount_info *cm = limits_mount(NULL);
	assert_int_equal(ceph_set_deleg_timeout(cm, 30), 0);
	struct Inode *root, *dir, *in;
	struct Fh *w, *r;
	struct ceph_statx stx;
	assert_int_equal(ceph_ll_lookup_root(cm, &root), 0);
	assert_int_equal(ceph_ll_lookup(cm, root, limits_dir + 1, &dir, &stx, 0, 0,
					ceph_mount_perms(cm)),
			 0);
	assert_int_equal(ceph_ll_create(cm, dir, "beside", 0644, O_RDWR | O_CREAT, &in, &w, &stx,
					0, 0, ceph_mount_perms(cm)),
			 0);
	assert_int_equal(ceph_ll_write(cm, w, 0, 4, "old."), 4);
	assert_int_equal(ceph_ll_open(cm, in, O_RDONLY, &r, ceph_mount_perms(cm)), 0);
	assert_int_equal(ceph_ll_delegation(cm, r, CEPH_DELEGATION_RD, limits_on_recall, NULL),
			 -EAGAIN);
	assert_int_equal(ceph_ll_delegation(cm, w, CEPH_DELEGATION_WR, limits_on_recall, NULL),
			 -EAGAIN);
	ceph_ll_close(cm, r);
	ceph_ll_close(cm, w);
	ceph_ll_put(cm, in);
	ceph_ll_put(cm, dir);
	ceph_ll_put(cm, root);
	ceph_shutdown(cm);
}

struct limits_release {
	struct ceph_mount_info *cm;
	struct Fh *fh;
	_Atomic uint64_t released_ms;
};

/* Gives the delegation back 1 s after its recall, as ferryd's thread
 * does once the NFS client has returned its own. */
static void *limits_release_thread(void *arg)
{
	struct limits_release *r = arg;
	if (limits_wait(&limits_recalled_ms, LIMITS_RECALL_WAIT_MS))
		usleep(1000 * 1000);
	r->released_ms = limits_now_ms();
	ceph_ll_delegation(r->cm, r->fh, CEPH_DELEGATION_NONE, NULL, NULL);
	return NULL;
}

/* The client's own open for writing of a file it holds a read delegation
 * on (ferryd's WRITE of a read-leased file) recalls the delegation and
 * waits in ceph_ll_open until it is given back: no -EAGAIN at once. */
static void test_own_open_for_writing_waits(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/own-open", limits_dir);
	struct ceph_mount_info *maker = limits_mount(NULL);
	int fd = ceph_open(maker, path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ceph_write(maker, fd, "old.", 4, 0), 4);
	assert_int_equal(ceph_close(maker, fd), 0);
	ceph_shutdown(maker);

	struct ceph_mount_info *cm = limits_mount(NULL);
	assert_int_equal(ceph_set_deleg_timeout(cm, 30), 0);
	struct Inode *root, *dir, *in;
	struct Fh *r, *w;
	struct ceph_statx stx;
	assert_int_equal(ceph_ll_lookup_root(cm, &root), 0);
	assert_int_equal(ceph_ll_lookup(cm, root, limits_dir + 1, &dir, &stx, 0, 0,
					ceph_mount_perms(cm)),
			 0);
	assert_int_equal(ceph_ll_lookup(cm, dir, "own-open", &in, &stx, 0, 0,
					ceph_mount_perms(cm)),
			 0);
	assert_int_equal(ceph_ll_open(cm, in, O_RDONLY, &r, ceph_mount_perms(cm)), 0);
	limits_recalled_ms = 0;
	assert_int_equal(ceph_ll_delegation(cm, r, CEPH_DELEGATION_RD, limits_on_recall, NULL),
			 0);
	struct limits_release rel = { .cm = cm, .fh = r };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, limits_release_thread, &rel), 0);
	int rc = ceph_ll_open(cm, in, O_RDWR, &w, ceph_mount_perms(cm));
	uint64_t opened = limits_now_ms();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rc, 0);
	assert_true(limits_recalled_ms != 0);
	assert_true(opened >= rel.released_ms);
	printf("own open for writing: recalled, then open %llu ms after the delegation went "
	       "back (%llu ms after the recall)\n",
	       (unsigned long long)(opened - rel.released_ms),
	       (unsigned long long)(opened - limits_recalled_ms));
	ceph_ll_close(cm, w);
	ceph_ll_close(cm, r);
	ceph_ll_put(cm, in);
	ceph_ll_put(cm, dir);
	ceph_ll_put(cm, root);
	ceph_shutdown(cm);
}

static int limits_setup(void **st)
{
	(void)st;
	struct ceph_mount_info *cm = limits_mount(NULL);
	snprintf(limits_dir, sizeof(limits_dir), "/ferry-limits-%ld-%ld", (long)getpid(),
		 (long)time(NULL));
	int rc = ceph_mkdir(cm, limits_dir, 0755);
	ceph_shutdown(cm);
	return rc ? -1 : 0;
}

int main(void)
{
	limits_conf = getenv("FERRY_TEST_CEPH_CONF");
	limits_id = getenv("FERRY_TEST_CEPH_ID");
	if (!limits_conf || !*limits_conf) {
		printf("ceph_test_ceph_deleg_limits: skipped: FERRY_TEST_CEPH_CONF names no "
		       "cluster (the test command's CephFS stage sets it)\n");
		return SKIP;
	}
	if (!limits_id || !*limits_id)
		limits_id = "admin";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_on_delegated_fh_waits),
		cmocka_unit_test(test_write_without_cache_waits),
		cmocka_unit_test(test_write_direct_waits),
		cmocka_unit_test(test_downgrade_refused),
		cmocka_unit_test(test_write_lazy_waits),
		cmocka_unit_test(test_grow_waits),
		cmocka_unit_test(test_write_second_client_waits),
		cmocka_unit_test(test_read_delegation_beside_writer_refused),
		cmocka_unit_test(test_own_open_for_writing_waits),
	};
	return cmocka_run_group_tests(tests, limits_setup, NULL);
}
