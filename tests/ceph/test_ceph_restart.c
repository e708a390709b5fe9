/* ferryd on a ceph export killed (SIGKILL) and started again: its
 * CephFS session does not outlive it.  The killed ferryd's client held
 * capabilities on a file it wrote; the restarted ferryd ends that session
 * at once (backend/ceph/ceph_session.c), so another CephFS client opening
 * the file goes ahead without waiting for the MDS to time the old session
 * out; what was written stable is there; and the old file handle still
 * names the file on the restarted server.
 *
 * The same ferryd upgraded in place right after an UNSTABLE WRITE: the
 * new ferryd leaves the running one's session alone (it mounts under the
 * export's other identity), so the data the old one had in its cache
 * reaches CephFS, and the client's session goes on; the new ferryd's
 * CephFS client has an admin socket of its own, through two upgrades.
 * A read delegation on the export goes over an upgrade, the new ferryd
 * holding a CephFS delegation of its own session on the file.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID); skipped (exit
 * 77) without one. */
#include "ceph/ceph_fixture.h"

#include <signal.h>
#include <sys/wait.h>

#include "lib/ctl_test.h"

static void add_getattr(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const unsigned bits[] = { FATTR4_SIZE };
	nfs4c_getattr(m, bits, 1);
}

static void add_write_sync(struct nfs4c_call *m, const void *arg)
{
	const struct write_arg *w = arg;
	struct nfs4_write_args a = {
		.stateid = *w->stateid,
		.offset = 0,
		.stable = FILE_SYNC4,
		.data = nfs4_opaque_str(w->data),
	};
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &a);
}

static void test_restart_ends_old_session(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-restart-a", 960);
	const char *text = "stable before the crash";
	struct dl_open w = ceph_made_written(&a, "kept", text, add_write_sync);
	dl_client_end(&a, &sa);

	/* The crash: nothing of ferryd's CephFS client is told. */
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(ceph_start(), 0);

	/* Without the reset this open waits until the MDS gives up on the
	 * killed client (its session timeout, 60 s by default). */
	char path[200];
	snprintf(path, sizeof(path), "%s/kept", ceph_dir);
	struct other_open other = { .path = path, .flags = O_RDWR };
	uint64_t start = dl_now_ms();
	other_open_run(&other);
	assert_int_equal(other.rc, 0);
	assert_true(other.done_ms - start < 20000);
	assert_string_equal(other.data, text);

	/* The old handle, on the new server. */
	struct nfs4c_sess b;
	struct nfs4c_cb sb;
	share_client(&b, &sb, "ceph-restart-b", 961);
	assert_int_equal(dl_on(&b, w.fh, w.fhlen, OP_GETATTR, add_getattr, NULL), NFS4_OK);
	dl_client_end(&b, &sb);
}

/* Had the new ferryd ended the running one's session as a restart does,
 * the write still in that one's cache would be gone, with the write
 * verifier carried over telling the client it need not send it again. */
static void test_upgrade_keeps_unstable_data(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-upgrade-a", 962);
	const char *text = "unstable before the upgrade";
	struct dl_open w = ceph_made_written(&a, "upgraded", text, add_write);
	ctlt_upgrade(&server);
	char path[200];
	snprintf(path, sizeof(path), "%s/upgraded", ceph_dir);
	struct other_open other = { .path = path, .flags = O_RDONLY };
	other_open_run(&other);
	assert_int_equal(other.rc, 0);
	assert_string_equal(other.data, text);
	/* The client's session and open went over with the connection. */
	struct write_arg again = { &w.stateid, "written after the upgrade" };
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write_sync, &again), NFS4_OK);
	/* The new ferryd's CephFS client answers on its admin socket (one of
	 * its own: the old one's went with it), through a second upgrade too,
	 * which takes the first identity again. */
	static const char inodes[] = "ferry_backend_inodes{export=\"/export\",backend=\"ceph\"}";
	assert_true(ctlt_metric_now(&server, inodes) >= 0);
	ctlt_upgrade(&server);
	assert_true(ctlt_metric_now(&server, inodes) >= 0);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write_sync, &again), NFS4_OK);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* A ceph export's read delegation goes over an upgrade as it is (before,
 * it was recalled first and the upgrade waited for it): no CB_RECALL, its
 * stateid still valid.  The new ferryd holds a CephFS delegation of its
 * own session on the file: another CephFS client that writes the file
 * afterwards makes it recall the NFS delegation, and is held back until
 * the NFS client has returned it. */
static void test_upgrade_keeps_ceph_delegation(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/upgrade-delegated", ceph_dir);
	cephfs_put_file(path, "made by CephFS", 0644);
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-upgrade-deleg", 963);
	struct dl_open r = dl_open(&a, "upgrade-delegated", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
	unsigned recalls = nfs4c_cb_count(&sa, OP_CB_RECALL);
	ctlt_upgrade(&server);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), recalls);
	assert_int_equal(dl_test_stateid(&a, &r.deleg.stateid), NFS4_OK);
	assert_true(ctlt_metric_now(&server, "ferry_delegations_active") >= 1);

	struct other_write other = { .path = path, .data = "changed" };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_write_thread, &other), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, recalls + 1, 30000));
	assert_true(nfs4c_cb_recalled(&sa, &r.deleg.stateid));
	/* Held back by the new ferryd's CephFS delegation. */
	usleep(1000 * 1000);
	assert_int_equal(other.written_ms, 0);
	uint64_t returned = dl_now_ms();
	assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(other.rc, 7);
	assert_true(other.written_ms >= returned);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_restart"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_keeps_unstable_data),
		cmocka_unit_test(test_upgrade_keeps_ceph_delegation),
		cmocka_unit_test(test_restart_ends_old_session),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
