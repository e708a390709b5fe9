/* Changes made on the server host, outside NFS, to a delegated directory
 * (local back end, fanotify): a holder told of entries and child
 * attributes receives exactly those changes, after the fact; a
 * recall-only holder is recalled; the server's own operations are not
 * told twice. */
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/ctl_test.h"
#include "proto/dirdeleg_fixture.h"

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("dir_notify_window_ms = 400\n");
}

static void host_path(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/export/%s%s%s", dl_dir, dir, name ? "/" : "", name ? name : "");
}

static void expect_note(const struct dd_note *n, unsigned call, uint32_t kind, const char *name,
			const struct nfs4_stateid *sid)
{
	assert_int_equal(n->call, call);
	assert_int_equal(n->kind, kind);
	assert_string_equal(n->name, name);
	assert_memory_equal(n->stateid.other, sid->other, NFS4_OTHER_SIZE);
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_host_changes_notified(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	struct dd_log log;
	dl_client(&a, &sa, "dh-notify-a", 3001);
	dd_log_attach(&sa, &log);
	struct dd_fh dir = dd_mkdir(&a, "h-notify");
	struct nfs4_bitmap child;
	memset(&child, 0, sizeof(child));
	nfs4_bitmap_set(&child, FATTR4_TYPE);
	nfs4_bitmap_set(&child, FATTR4_MODE);
	uint32_t ask = (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY) |
		       (1u << NOTIFY4_RENAME_ENTRY) | (1u << NOTIFY4_CHANGE_CHILD_ATTRS);
	struct nfs4_get_dir_delegation_res r;
	assert_int_equal(dd_get_full(&a, &dir, ask, &child, NULL, 0, &r), NFS4_OK);
	assert_int_equal(r.status, GDD4_OK);
	struct nfs4_stateid sid = r.stateid;

	char p1[400], p2[400];
	host_path(p1, sizeof(p1), "h-notify", "h1");
	host_path(p2, sizeof(p2), "h-notify", "h2");
	/* The attributes are read when the change is seen (an attribute
	 * change right after the creation is merged into it by the kernel:
	 * the new entry's attributes already say it). */
	int fd = open(p1, O_CREAT | O_WRONLY | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	struct dd_note got[DD_NOTES_MAX];
	assert_int_equal(dd_log_wait(&log, 1, 5000, got), 1);
	expect_note(&got[0], 0, NOTIFY4_ADD_ENTRY, "h1", &sid);
	assert_true(nfs4_bitmap_isset(&got[0].attr_mask, FATTR4_TYPE));
	assert_int_equal(be32_at(got[0].attr_vals), NF4REG);
	assert_int_equal(be32_at(got[0].attr_vals + 4), 0644);
	assert_int_equal(chmod(p1, 0600), 0);
	assert_int_equal(dd_log_wait(&log, 2, 5000, got), 2);
	expect_note(&got[1], 1, NOTIFY4_CHANGE_CHILD_ATTRS, "h1", &sid);
	assert_int_equal(got[1].attr_len, 4 + 4);
	assert_int_equal(be32_at(got[1].attr_vals + 4), 0600);

	/* A rename on the host: the old name goes, the new one comes. */
	assert_int_equal(rename(p1, p2), 0);
	assert_int_equal(unlink(p2), 0);
	assert_int_equal(dd_log_wait(&log, 5, 5000, got), 5);
	expect_note(&got[2], 2, NOTIFY4_REMOVE_ENTRY, "h1", &sid);
	expect_note(&got[3], 2, NOTIFY4_ADD_ENTRY, "h2", &sid);
	expect_note(&got[4], 2, NOTIFY4_REMOVE_ENTRY, "h2", &sid);

	/* The holder's own change through NFS is told once, not once more
	 * by the host watch. */
	assert_int_equal(dd_on(&a, &dir, OP_CREATE, dd_add_create_file, "nfs"), NFS4_OK);
	assert_int_equal(dd_log_wait(&log, 6, 5000, got), 6);
	expect_note(&got[5], 3, NOTIFY4_ADD_ENTRY, "nfs", &sid);
	usleep(700 * 1000);
	assert_int_equal(dd_log_wait(&log, 7, 0, got), 6);
	assert_false(log.bad);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* A recall-only holder is recalled by a host change (after the fact);
 * one told of entries is recalled when the directory itself goes. */
static void test_host_changes_recall(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dh-recall-a", 3011);
	struct dd_fh d1 = dd_mkdir(&a, "h-recall"), d2 = dd_mkdir(&a, "h-moved");
	struct nfs4_stateid s1 = dd_grant(&a, &d1, 0);
	struct nfs4_stateid s2 =
		dd_grant(&a, &d2, (1u << NOTIFY4_ADD_ENTRY) | (1u << NOTIFY4_REMOVE_ENTRY));
	char p[400], q[400];
	host_path(p, sizeof(p), "h-recall", "made-on-host");
	int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &s1));
	assert_int_equal(dd_return(&a, &d1, &s1), NFS4_OK);

	host_path(p, sizeof(p), "h-moved", NULL);
	host_path(q, sizeof(q), "h-moved-away", NULL);
	assert_int_equal(rename(p, q), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 2, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &s2));
	assert_int_equal(dd_return(&a, &d2, &s2), NFS4_OK);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_changes_notified),
		cmocka_unit_test(test_host_changes_recall),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
