/* ferryd's own READs of a file on a ceph export while an NFS client's
 * read delegation on it is recalled because another CephFS client writes
 * it: the READs wait at most for the recall (libcephfs makes a read wait
 * while capabilities the delegation holds are being taken away), and go
 * on once the delegation is returned.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"

#include <stdatomic.h>

enum { MiB = 1 << 20, FILE_SIZE = 2 * MiB, READ_COUNT = MiB - 65536, ROUNDS = 4 };

/* READs of the file by its own NFS client, on a thread, until stop. */
struct reader {
	struct nfs4c_sess *s;
	const struct dl_open *o;
	atomic_bool stop;
	_Atomic uint64_t slowest_ms, reads;
	uint32_t failed; /* the first status other than NFS4_OK */
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	while (!r->stop) {
		uint32_t got;
		bool eof;
		uint64_t t0 = dl_now_ms();
		uint32_t st = nfs_read(r->s, r->o, (r->reads % 2) * MiB, READ_COUNT, NULL, &got, &eof);
		uint64_t took = dl_now_ms() - t0;
		if (took > r->slowest_ms)
			r->slowest_ms = took;
		if (st != NFS4_OK) {
			r->failed = st; /* NFS4ERR_IO: no reply, the READ hung */
			break;
		}
		r->reads++;
	}
	return NULL;
}

/* Each round: the delegation holder opens the file again (a read
 * delegation), another CephFS client writes it, the holder answers the
 * recall with DELEGRETURN a little later; a second NFS client reads the
 * file all along. */
static void test_reads_across_recalls(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/recalled", ceph_dir);
	char *data = malloc(FILE_SIZE + 1);
	assert_non_null(data);
	memset(data, 'r', FILE_SIZE);
	data[FILE_SIZE] = '\0';
	cephfs_put_file(path, data, 0666);
	free(data);

	struct nfs4c_sess b;
	struct nfs4c_cb sb;
	share_client(&b, &sb, "ceph-reads-b", 971);
	struct dl_open rb = open_undelegated(&b, "recalled");
	struct reader rd = {.s = &b, .o = &rb};
	pthread_t rt;
	assert_int_equal(pthread_create(&rt, NULL, reader_thread, &rd), 0);

	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-reads-a", 970);
	struct ceph_mount_info *cm = other_client();
	unsigned delegated = 0;
	for (unsigned round = 0; round < ROUNDS && !rd.failed; round++) {
		struct dl_open ra = dl_open(&a, "recalled", RD, false);
		assert_int_equal(ra.status, NFS4_OK);
		if (ra.deleg.type == OPEN_DELEGATE_READ) {
			delegated++;
			struct other_write w = {.cm = cm, .path = path, .data = "written"};
			pthread_t wt;
			unsigned recalls = nfs4c_cb_count(&sa, OP_CB_RECALL);
			assert_int_equal(pthread_create(&wt, NULL, other_write_thread, &w), 0);
			assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, recalls + 1, 30000));
			usleep(300 * 1000); /* READs meanwhile meet the revoke */
			assert_int_equal(dl_delegreturn(&a, &ra), NFS4_OK);
			assert_int_equal(pthread_join(wt, NULL), 0);
			assert_int_equal(w.rc, 7);
		}
		assert_int_equal(dl_on(&a, ra.fh, ra.fhlen, OP_CLOSE, add_close, &ra.stateid),
				 NFS4_OK);
		/* ferryd grants no delegation on a file recalled in the
		 * last 5 s (STATE_DELEG_NO_REGRANT_MS). */
		usleep(5200 * 1000);
	}
	/* A READ still waiting after the rounds shows here: a second passes
	 * with no READ done. */
	uint64_t before = rd.reads;
	usleep(1000 * 1000);
	bool moving = rd.reads > before;
	rd.stop = true;
	if (moving || rd.failed)
		assert_int_equal(pthread_join(rt, NULL), 0);
	printf("%u rounds with a delegation, %llu READs, the slowest %llu ms, reads %s\n",
	       delegated, (unsigned long long)rd.reads, (unsigned long long)rd.slowest_ms,
	       moving ? "going on" : "stuck");
	ceph_shutdown(cm);
	assert_true(delegated >= 3);
	assert_int_equal(rd.failed, 0);
	assert_true(moving);
	assert_true(rd.slowest_ms < 5000);
	dl_client_end(&a, &sa);
	assert_int_equal(dl_on(&b, rb.fh, rb.fhlen, OP_CLOSE, add_close, &rb.stateid), NFS4_OK);
	dl_client_end(&b, &sb);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_deleg_reads"))
		return SKIP;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_across_recalls),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
