/* A ceph export beside another CephFS client: the second client (a
 * libcephfs program of the test's own, not going through ferryd) is never
 * held back by NFS clients' opens, and sees what they wrote through
 * ferryd.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"

/* NFS clients and a second CephFS client on one file: no delegation is
 * granted on a ceph export (backend/ceph/ceph_lease.c says why), so the
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
	struct write_arg data = {&w.stateid, "written through ferryd"};
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write, &data), NFS4_OK);

	struct dl_open r = dl_open(&b, "shared", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_NONE);

	char path[200];
	snprintf(path, sizeof(path), "%s/shared", ceph_dir);
	static const int flags[] = {O_RDONLY, O_RDWR};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct other_open other = {.path = path, .flags = flags[i]};
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

int main(void)
{
	if (!ceph_env("ceph_test_ceph_clients"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_cephfs_client),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
