/* A ceph export beside another CephFS client (a libcephfs program of the
 * test's own, not going through ferryd): an NFS client's read delegation
 * holds the second client's writes back until the NFS client has returned
 * it; NFS clients' opens without a delegation never hold it back, and it
 * sees what they wrote through ferryd.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include <glob.h>
#include <jansson.h>

#include "ceph/ceph_fixture.h"
#include "lib/ctl_test.h"
#include "lib/nfs3_client.h"
#include "proto/dirdeleg_fixture.h"

/* NFS clients and a second CephFS client on one file: no write delegation
 * is granted on a ceph export (backend/ceph/ceph_lease.c says why), nor a
 * read one while an NFS client has the file open for writing, so the
 * second client's opens, for reading and for writing, go through at once
 * while NFS clients have the file open; and it finds the data an NFS
 * client wrote through ferryd (UNSTABLE: in ferryd's CephFS cache, not
 * committed), which CephFS has ferryd write back before that open. */
static void test_other_cephfs_client(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	share_client(&a, &sa, "ceph-share-a", 950);
	share_client(&b, &sb, "ceph-share-b", 951);
	struct dl_open w = dl_open(&a, "shared", BOTH, true);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.deleg.type, OPEN_DELEGATE_NONE);
	struct write_arg data = { &w.stateid, "written through ferryd" };
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write, &data), NFS4_OK);

	struct dl_open r = dl_open(&b, "shared", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_NONE);

	char path[200];
	snprintf(path, sizeof(path), "%s/shared", ceph_dir);
	static const int flags[] = { O_RDONLY, O_RDWR };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct other_open other = { .path = path, .flags = flags[i] };
		uint64_t start = dl_now_ms();
		other_open_run(&other);
		assert_int_equal(other.rc, 0);
		/* At once: what is slow here is mounting CephFS. */
		assert_true(other.done_ms - start < 10000);
		assert_int_equal(other.got, (int)strlen(data.data));
		assert_string_equal(other.data, data.data);
	}
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(nfs4c_cb_count(&sb, OP_CB_RECALL), 0);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	assert_int_equal(dl_on(&b, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);
}

/* A file made by the second CephFS client, opened for reading by an NFS
 * client, which gets a read delegation (a CephFS delegation of ferryd's
 * client holds it).  The second client then opens it for writing and
 * writes: ferryd recalls the NFS client's delegation (CB_RECALL), and
 * CephFS holds the write back until the NFS client has returned it (the
 * open itself goes through: CephFS holds back the change, not the open).
 * Then the file holds the second client's data. */
static void test_recall_by_other_client(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/delegated", ceph_dir);
	cephfs_put_file(path, "made by CephFS", 0644);

	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-deleg-a", 953);
	struct dl_open r = dl_open(&a, "delegated", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);

	struct other_write other = { .path = path, .data = "changed" };
	pthread_t t;
	uint64_t start = dl_now_ms();
	assert_int_equal(pthread_create(&t, NULL, other_write_thread, &other), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 30000));
	/* Held back while the NFS client keeps its delegation. */
	usleep(1500 * 1000);
	assert_int_equal(other.written_ms, 0);
	uint64_t returned = dl_now_ms();
	assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(other.rc, 7);
	assert_true(other.written_ms >= returned);
	printf("the second CephFS client's write: recall, then done %llu ms after the delegation "
	       "went back (%llu ms in all)\n",
	       (unsigned long long)(other.written_ms - returned),
	       (unsigned long long)(other.written_ms - start));
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);

	struct other_open check = { .path = path, .flags = O_RDONLY };
	other_open_run(&check);
	assert_int_equal(check.rc, 0);
	assert_string_equal(check.data, "changed CephFS");
	dl_client_end(&a, &sa);
}

/* The back end's own state in /metrics and the API: connected, its MDS
 * session open with capabilities held, and the libcephfs calls counted
 * (those the operations just made among them); promtool accepts the
 * page. */
static void test_status(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-status", 952);
	struct dl_open w = ceph_made_written(&a, "counted", "counted", add_write);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	dl_client_end(&a, &sa);

	char *page = ctlt_scrape(&server);
	assert_true(ctlt_promtool_ok(page));
	assert_true(
	    ctlt_metric(page, "ferry_backend_connected{export=\"/export\",backend=\"ceph\"}") == 1);
	assert_true(ctlt_metric(page, "ferry_backend_caps{export=\"/export\",backend=\"ceph\"}") >
		    0);
	assert_true(ctlt_metric(page,
				"ferry_backend_calls_total{export=\"/export\",backend=\"ceph\","
				"call=\"ll_create\"}") >= 1);
	assert_true(ctlt_metric(page,
				"ferry_backend_calls_total{export=\"/export\",backend=\"ceph\","
				"call=\"ll_write\"}") >= 1);
	assert_true(ctlt_metric(page, "ferry_backend_call_seconds_total{export=\"/export\","
				      "backend=\"ceph\",call=\"ll_write\"}") > 0);
	free(page);

	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/exports", true, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"storage\""));
	assert_non_null(strstr(r.body, "\"connected\": true"));
	assert_non_null(strstr(r.body, "\"state\": \"open\""));
	ctl_http_reply_free(&r);
}

/* A client's usual GETATTR (the kernel's after an open, ferry-bench's). */
static void add_getattr_usual(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const unsigned bits[] = { FATTR4_TYPE,	    FATTR4_CHANGE, FATTR4_SIZE,
					 FATTR4_FILEID,	    FATTR4_MODE,   FATTR4_NUMLINKS,
					 FATTR4_SPACE_USED, FATTR4_TIME_MODIFY };
	nfs4c_getattr(m, bits, sizeof(bits) / sizeof(bits[0]));
}

static double lookups_by_number(void)
{
	return ctlt_metric_now(&server, "ferry_backend_calls_total{export=\"/export\","
					"backend=\"ceph\",call=\"ll_lookup_vino\"}");
}

/* A handle's inode is kept between requests (backend/ceph/ceph_inodes.c):
 * GETATTRs of a handle resolved once make no lookup by inode number; and a
 * file another CephFS client removes is stale through ferryd at once,
 * although ferryd keeps its inode (its link count, which the MDS updates
 * in ferryd's cache, is checked on every use). */
static void test_kept_handle(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-kept", 953);
	struct dl_open w = dl_open(&a, "kept", BOTH, true);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_GETATTR, add_getattr_usual, NULL), NFS4_OK);
	double before = lookups_by_number();
	for (int i = 0; i < 20; i++)
		assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_GETATTR, add_getattr_usual, NULL),
				 NFS4_OK);
	assert_true(lookups_by_number() == before);

	char path[200];
	snprintf(path, sizeof(path), "%s/kept", ceph_dir);
	struct ceph_mount_info *cm = other_client();
	assert_int_equal(ceph_unlink(cm, path), 0);
	ceph_shutdown(cm);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_GETATTR, add_getattr_usual, NULL),
			 NFS4ERR_STALE);
	dl_client_end(&a, &sa);
}

/* Writes ferryd's CephFS client has sent to the OSDs (its objecter's
 * op_w, on the admin socket in ferryd's state directory); -1 when no
 * socket answers. */
static long long osd_writes(void)
{
	char pattern[400];
	snprintf(pattern, sizeof(pattern), "%s/*.asok", ceph_ferryd_state);
	glob_t g;
	long long writes = -1;
	if (glob(pattern, 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc && writes < 0; i++) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "ceph --admin-daemon '%s' perf dump objecter 2>/dev/null",
			 g.gl_pathv[i]);
		FILE *f = popen(cmd, "r");
		if (!f)
			continue;
		json_t *j = json_loadf(f, 0, NULL);
		pclose(f);
		json_t *w = json_object_get(json_object_get(j, "objecter"), "op_w");
		if (json_is_integer(w))
			writes = json_integer_value(w);
		json_decref(j);
	}
	globfree(&g);
	return writes;
}

static void add_commit(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	struct nfs4_commit_args all = {.offset = 0, .count = 0};
	NFS4C_OP(m, OP_COMMIT, nfs4_enc_commit_args, &all);
}

/* A file's open file, kept between requests (backend/ceph/ceph_files.c),
 * is closed when the file is removed, not seconds later: by the time the
 * REMOVE is answered (after the sync that made it stable), and the
 * capabilities it held go back with it (and the MDS can purge the file).  Files
 * created, closed and removed one after another (a build directory's
 * temporary files): within a tick of libcephfs (a second) the CephFS
 * client holds about as many capabilities as before them, not after the
 * idle files' 3 s and the sweeper's round.  (Data written to such a file
 * and not committed holds its capabilities until libcephfs has written
 * it back, seconds later, whether or not the file was removed.) */
static void test_removed_file_let_go(void **st)
{
	(void)st;
	static const char caps[] = "ferry_backend_caps{export=\"/export\",backend=\"ceph\"}";
	static const char closes[] =
	    "ferry_backend_calls_total{export=\"/export\",backend=\"ceph\",call=\"ll_close\"}";
	enum { FILES = 32 };
	int closed_by_reply = 0;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-removed", 954);
	double before = ctlt_metric_now(&server, caps);
	uint64_t start = dl_now_ms();
	for (int i = 0; i < FILES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "removed-%d", i);
		struct dl_open w = dl_open(&a, name, BOTH, true);
		assert_int_equal(w.status, NFS4_OK);
		assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
		double closes_before = ctlt_metric_now(&server, closes);
		assert_int_equal(dl_on(&a, NULL, 0, OP_REMOVE, dd_add_remove, name), NFS4_OK);
		closed_by_reply += ctlt_metric_now(&server, closes) > closes_before;
	}
	uint64_t removed = dl_now_ms();
	double after;
	while ((after = ctlt_metric_now(&server, caps)) - before >= FILES / 4 &&
	       dl_now_ms() < removed + 2500)
		usleep(100 * 1000);
	printf("capabilities: %.0f before, %.0f %llu ms after %d files made and removed in %llu ms\n",
	       before, after, (unsigned long long)(dl_now_ms() - removed), FILES,
	       (unsigned long long)(removed - start));
	printf("open files closed by the REMOVE's reply: %d of %d\n", closed_by_reply, FILES);
	assert_int_equal(closed_by_reply, FILES);
	assert_true(before >= 0);
	assert_true(after - before < FILES / 4);
	dl_client_end(&a, &sa);
}

/* A create or a remove is made stable by a sync of its directory
 * (backend/ceph/ceph_io.c, cephfs_sync), not of the whole mount: data
 * written UNSTABLE to another file stays in ferryd's CephFS client while
 * files are created and removed beside it (no write goes to the OSDs for
 * them), until a COMMIT of that file sends it. */
static void test_create_leaves_other_data(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-other-data", 955);
	struct dl_open w = ceph_made_written(&a, "written-unstable", "not yet committed", add_write);
	long long before = osd_writes();
	assert_true(before >= 0);
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof(name), "made-beside-%d", i);
		struct dl_open c = dl_open(&a, name, BOTH, true);
		assert_int_equal(c.status, NFS4_OK);
		assert_int_equal(dl_on(&a, c.fh, c.fhlen, OP_CLOSE, add_close, &c.stateid), NFS4_OK);
		assert_int_equal(dl_on(&a, NULL, 0, OP_REMOVE, dd_add_remove, name), NFS4_OK);
	}
	long long after = osd_writes();
	printf("OSD writes: %lld before the creates and removes, %lld after\n", before, after);
	assert_int_equal(after, before);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_COMMIT, add_commit, NULL), NFS4_OK);
	assert_true(osd_writes() > after);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* NFSv3's changes of a CephFS export go to the remote pool (rpc's
 * RPC_DISPATCH_DEFER_REMOTE), as NFSv4's do (proto_test_remote_pool):
 * CREATE and REMOVE, one handoff each. */
static void test_v3_changes_remote(void **st)
{
	(void)st;
	enum { FILES = 4 };
	static const char handoffs[] = "ferry_rpc_remote_handoffs_total";
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	static const char *const names[] = {"export", NULL};
	struct nfs3c_fh root;
	assert_int_equal(nfs3c_export_root(fd, names, &root), 0);
	double before = ctlt_metric_now(&server, handoffs);
	for (int i = 0; i < FILES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "v3-made-%d", i);
		assert_int_equal(nfs3c_create(fd, &root, name, 0644, NULL), NFS3_OK);
		union nfs3_args a;
		memset(&a, 0, sizeof(a));
		a.dirop = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str(name)};
		struct nfs3c_res r;
		assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_REMOVE, &a, &r), 0);
		assert_int_equal(r.res.status, NFS3_OK);
		nfs3c_release(&r);
	}
	double after = ctlt_metric_now(&server, handoffs);
	printf("NFSv3, %d files made and removed: %.0f remote handoffs\n", FILES, after - before);
	assert_int_equal((int)(after - before), 2 * FILES);
	close(fd);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_clients"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_cephfs_client),
		cmocka_unit_test(test_recall_by_other_client),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_kept_handle),
		cmocka_unit_test(test_removed_file_let_go),
		cmocka_unit_test(test_create_leaves_other_data),
		cmocka_unit_test(test_v3_changes_remote),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
