/* Directory delegations on a ceph export (backend/ceph/ceph_dirwatch.c).
 * An NFS client's change through ferryd is told to the holder in a
 * CB_NOTIFY as on any export, and is never taken for another CephFS
 * client's; a change by another CephFS client (a libcephfs program of the
 * test's own, not going through ferryd) cannot be told by name (libcephfs
 * gives none), so the holder is recalled, within a bounded time, rather
 * than left serving a stale listing.  A directory delegation goes over an
 * in-place upgrade, and a change made during one is caught.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"
#include "lib/ctl_test.h"
#include "proto/dirdeleg_fixture.h"

static const uint32_t ENTRIES =
	(1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) | (1u << NOTIFY4_RENAME_ENTRY);

/* How long a change by another CephFS client may take to recall the
 * holder: the watch asks every 100 ms, and the MDS answers a getattr
 * whose capabilities it revoked in a few ms (measured: 10 to 110 ms
 * after the change).  A removed directory is slower: the MDS answers the
 * getattr of ferryd's client for it 1 to 5 s later. */
enum { RECALL_BOUND_MS = 2000, RECALL_BOUND_RMDIR_MS = 10000 };

static struct nfs4_stateid grant_entries(struct nfs4c_sess *s, const struct dd_fh *dir)
{
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get_full(s, dir, ENTRIES, NULL, NULL, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	assert_int_equal(r.notification.w[0], ENTRIES);
	return r.stateid;
}

static void expect(const struct dd_note *n, uint32_t kind, const char *name, const char *new_name)
{
	assert_int_equal(n->kind, kind);
	assert_string_equal(n->name, name);
	if (new_name)
		assert_string_equal(n->new_name, new_name);
}

/* Another NFS client's changes through ferryd: told (CB_NOTIFY), in
 * order, and none taken for another CephFS client's (no recall, even
 * after several rounds of the watch). */
static void test_notify_nfs_changes(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "ceph-dd-notify-a", 960);
	dl_client(&b, &sb, "ceph-dd-notify-b", 961);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "notified"), other = dd_mkdir(&b, "elsewhere");
	assert_int_equal(dd_on(&b, &other, OP_CREATE, dd_add_create_file, "visitor"), NFS4_OK);
	struct nfs4_stateid sid = grant_entries(&a, &dir);

	assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, "f1"), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 1, 5000, got), 1);
	expect(&got[0], NOTIFY4_ADD_ENTRY, "f1", NULL);
	static const char *const f12[] = { "f1", "f2" };
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, f12), NFS4_OK);
	assert_int_equal(dd_on(&b, &dir, OP_REMOVE, dd_add_remove, "f2"), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 3, 5000, got), 3);
	expect(&got[1], NOTIFY4_RENAME_ENTRY, "f1", "f2");
	expect(&got[2], NOTIFY4_REMOVE_ENTRY, "f2", NULL);
	/* Between two directories, each of which CephFS counts once. */
	struct dd_move in = { "visitor", "guest", &dir };
	assert_int_equal(dd_on(&b, &other, OP_RENAME, dd_add_move, &in), NFS4_OK);
	struct dd_move out = { "guest", "gone", &other };
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_move, &out), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 5, 5000, got), 5);
	expect(&got[3], NOTIFY4_ADD_ENTRY, "guest", NULL);
	expect(&got[4], NOTIFY4_REMOVE_ENTRY, "guest", NULL);
	/* Ten rounds of the watch later: nothing more, no recall. */
	usleep(1000 * 1000);
	assert_int_equal(dd_log_wait(&log, 6, 0, got), 5);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* Renames over entries (which CephFS counts once more in the target
 * directory) and a rename onto itself (counted nothing): told or not as
 * on any export, none taken for another CephFS client's. */
static void test_notify_renames_over(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	struct dd_log log;
	dl_client(&a, &sa, "ceph-dd-over-a", 963);
	dl_client(&b, &sb, "ceph-dd-over-b", 964);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&b, "over"), other = dd_mkdir(&b, "over-other");
	static const char *const names[] = { "src", "victim", "second" };
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(dd_on(&b, &dir, OP_CREATE, dd_add_create_file, names[i]), NFS4_OK);
	assert_int_equal(dd_on(&b, &other, OP_CREATE, dd_add_create_file, "incoming"), NFS4_OK);
	struct nfs4_stateid sid = grant_entries(&a, &dir);

	static const char *const over[] = { "src", "victim" };
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, over), NFS4_OK);
	struct dd_move in = { "incoming", "second", &dir };
	assert_int_equal(dd_on(&b, &other, OP_RENAME, dd_add_move, &in), NFS4_OK);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 2, 5000, got), 2);
	expect(&got[0], NOTIFY4_RENAME_ENTRY, "src", "victim");
	assert_string_equal(got[0].replaced, "victim");
	expect(&got[1], NOTIFY4_ADD_ENTRY, "second", NULL);
	assert_string_equal(got[1].replaced, "second");
	static const char *const same[] = { "victim", "victim" };
	assert_int_equal(dd_on(&b, &dir, OP_RENAME, dd_add_rename, same), NFS4_OK);
	usleep(1000 * 1000);
	assert_int_equal(dd_log_wait(&log, 3, 0, got), 2);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

enum other_change {
	OTHER_CREATE,
	OTHER_REMOVE,
	OTHER_RENAME,
	OTHER_CHMOD,
	OTHER_RMDIR,
	/* A create after the holder moved an entry out through ferryd (which
	 * leaves ferryd's cache of the directory behind for a while). */
	OTHER_CREATE_AFTER_MOVE,
};

/* One change by another CephFS client in a delegated directory: the
 * holder is recalled (CB_RECALL naming it) within RECALL_BOUND_MS of the
 * change being done (RECALL_BOUND_RMDIR_MS for the directory's own
 * removal); it returns the delegation. */
/* The handle of the export's directory name, through a's LOOKUP. */
static struct dd_fh lookup_dir(struct nfs4c_sess *a, const struct dd_fh *root, const char *name)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(a, &m, 0, false);
	nfs4c_putfh(&m, root->fh, root->len);
	nfs4c_lookup(&m, name);
	nfs4c_getfh(&m);
	nfs4c_send(a->fd, a->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	struct dd_fh dir = dd_getfh_result(&p);
	nfs4c_done(&p);
	return dir;
}

/* A directory path made by cm, with a file "old" in it. */
static void other_dir(struct ceph_mount_info *cm, const char *path)
{
	char p1[400];
	snprintf(p1, sizeof(p1), "%s/old", path);
	assert_int_equal(ceph_mkdir(cm, path, 0777), 0);
	assert_int_equal(ceph_chmod(cm, path, 0777), 0);
	int fd = ceph_open(cm, p1, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	ceph_close(cm, fd);
}

static void recall_case(struct nfs4c_sess *a, struct nfs4c_cb *sa, struct ceph_mount_info *cm,
			const char *name, enum other_change what)
{
	char path[300], p1[400], p2[400];
	snprintf(path, sizeof(path), "%s/%s", ceph_dir, name);
	snprintf(p1, sizeof(p1), "%s/old", path);
	snprintf(p2, sizeof(p2), "%s/new", path);
	other_dir(cm, path);
	int fd;

	struct dd_fh root = dd_export_fh(a);
	struct dd_fh dir = lookup_dir(a, &root, name);
	struct nfs4_stateid sid = grant_entries(a, &dir);
	unsigned before = nfs4c_cb_count(sa, OP_CB_RECALL);
	if (what == OTHER_CREATE_AFTER_MOVE) {
		char moved[80];
		snprintf(moved, sizeof(moved), "%s-moved", name);
		struct dd_move out = { "old", moved, &root };
		assert_int_equal(dd_on(a, &dir, OP_RENAME, dd_add_move, &out), NFS4_OK);
	}
	/* A moment for the watch to settle, so that the change below is
	 * the only one. */
	usleep(300 * 1000);
	assert_int_equal(nfs4c_cb_count(sa, OP_CB_RECALL), before);

	switch (what) {
	case OTHER_CREATE:
	case OTHER_CREATE_AFTER_MOVE:
		fd = ceph_open(cm, p2, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		ceph_close(cm, fd);
		break;
	case OTHER_REMOVE:
		assert_int_equal(ceph_unlink(cm, p1), 0);
		break;
	case OTHER_RENAME:
		assert_int_equal(ceph_rename(cm, p1, p2), 0);
		break;
	case OTHER_CHMOD:
		assert_int_equal(ceph_chmod(cm, path, 0700), 0);
		break;
	case OTHER_RMDIR:
		assert_int_equal(ceph_unlink(cm, p1), 0);
		assert_int_equal(ceph_rmdir(cm, path), 0);
		break;
	}
	uint64_t done = dl_now_ms();
	assert_true(nfs4c_cb_wait(sa, OP_CB_RECALL, before + 1,
				  what == OTHER_RMDIR ? RECALL_BOUND_RMDIR_MS : RECALL_BOUND_MS));
	uint64_t recalled = dl_now_ms();
	assert_true(nfs4c_cb_recalled(sa, &sid));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(sa, OP_CB_RECALL, before, &rec));
	assert_int_equal(rec.fhlen, dir.len);
	assert_memory_equal(rec.fh, dir.fh, dir.len);
	static const char *const whats[] = { "create", "remove",	"rename",
					     "chmod",  "rmdir",	"create after a move out" };
	printf("another CephFS client's %s: CB_RECALL %llu ms after it was done\n", whats[what],
	       (unsigned long long)(recalled - done));
	uint32_t rc = dd_return(a, &dir, &sid);
	assert_true(rc == NFS4_OK || (what == OTHER_RMDIR && rc == NFS4ERR_STALE));
}

/* Changes by another CephFS client: entries created, removed, renamed,
 * the directory's mode, the directory itself removed, an entry created
 * after the holder's own move of one out of the directory. */
static void test_recall_by_other_cephfs_client(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-dd-other", 962);
	struct ceph_mount_info *cm = other_client();
	recall_case(&a, &sa, cm, "other-create", OTHER_CREATE);
	recall_case(&a, &sa, cm, "other-remove", OTHER_REMOVE);
	recall_case(&a, &sa, cm, "other-rename", OTHER_RENAME);
	recall_case(&a, &sa, cm, "other-chmod", OTHER_CHMOD);
	recall_case(&a, &sa, cm, "other-rmdir", OTHER_RMDIR);
	recall_case(&a, &sa, cm, "other-after-move", OTHER_CREATE_AFTER_MOVE);
	ceph_shutdown(cm);
	dl_client_end(&a, &sa);
}

/* A directory delegation on a ceph export goes over an in-place upgrade
 * (before, the upgrade recalled it): the new ferryd watches the directory
 * from what the old one had accounted for.  Through a plain upgrade
 * nothing is recalled and the stateid stays valid; a file another CephFS
 * client makes while an upgrade is under way (1.5 s into one whose new
 * ferryd says ready 3 s late: after the old ferryd's last look, before
 * the new one's first) is caught by the new ferryd, which recalls the
 * delegation. */
static void test_dir_delegation_carried(void **st)
{
	(void)st;
	char late[400];
	ferryd_wrapper(late, sizeof(late), dl_dir, "late-ferryd-dirs",
		       "FERRY_TEST_UPGRADE_READY_DELAY_MS=3000");
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-dd-upgrade", 963);
	struct ceph_mount_info *cm = other_client();
	char path[300], p2[400];
	snprintf(path, sizeof(path), "%s/upgraded-dir", ceph_dir);
	snprintf(p2, sizeof(p2), "%s/new", path);
	other_dir(cm, path);
	struct dd_fh root = dd_export_fh(&a);
	struct dd_fh dir = lookup_dir(&a, &root, "upgraded-dir");
	struct nfs4_stateid sid = grant_entries(&a, &dir);
	unsigned before = nfs4c_cb_count(&sa, OP_CB_RECALL);

	ctlt_upgrade(&server);
	usleep(500 * 1000); /* the new ferryd's watch has looked */
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), before);
	assert_int_equal(dl_test_stateid(&a, &sid), NFS4_OK);

	struct ctlt_upgrade up;
	ctlt_upgrade_begin(&up, &server, late);
	usleep(1500 * 1000);
	int fd = ceph_open(cm, p2, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	ceph_close(cm, fd);
	ctlt_upgrade_end(&up);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, before + 1, RECALL_BOUND_MS));
	assert_true(nfs4c_cb_recalled(&sa, &sid));
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	ceph_shutdown(cm);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_dirdeleg"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_nfs_changes),
		cmocka_unit_test(test_notify_renames_over),
		cmocka_unit_test(test_recall_by_other_cephfs_client),
		cmocka_unit_test(test_dir_delegation_carried),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
