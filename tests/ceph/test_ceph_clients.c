/* A ceph export beside another CephFS client: the second client (a
 * libcephfs program of the test's own, not going through ferryd) is never
 * held back by NFS clients' opens, and sees what they wrote through
 * ferryd.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "proto/deleg_fixture.h"

#include <fcntl.h>

#include <cephfs/libcephfs.h>

enum { SKIP = 77, RD = OPEN4_SHARE_ACCESS_READ, BOTH = OPEN4_SHARE_ACCESS_BOTH };

static const char *ceph_conf, *ceph_id;
static char ceph_dir[128]; /* the export's directory inside CephFS */

/* A CephFS client of the test's own, mounted at the file system's root. */
static struct ceph_mount_info *other_client(void)
{
	struct ceph_mount_info *cm;
	assert_int_equal(ceph_create(&cm, ceph_id), 0);
	assert_int_equal(ceph_conf_read_file(cm, ceph_conf), 0);
	assert_int_equal(ceph_mount(cm, "/"), 0);
	return cm;
}

static int ceph_setup(void **st)
{
	(void)st;
	struct ceph_mount_info *cm = other_client();
	snprintf(ceph_dir, sizeof(ceph_dir), "/ferry-clients-%ld-%ld", (long)getpid(),
		 (long)time(NULL));
	int rc = ceph_mkdir(cm, ceph_dir, 0777);
	if (rc == 0)
		rc = ceph_chmod(cm, ceph_dir, 0777);
	ceph_shutdown(cm);
	if (rc)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-ceph-clients-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	char conf[300], state[300];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	snprintf(state, sizeof(state), "%s/state", dl_dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		"callback_retry_ms = 200\ncallback_retries = 1\n"
		"[export e]\nbackend = ceph\npath = %s\npseudo = /export\nceph_conf = %s\n"
		"ceph_id = %s\nsquash = none\n",
		ceph_dir, ceph_conf, ceph_id);
	fclose(f);
	const char *args[] = {"--config", conf, "--state-dir", state, NULL};
	return ferryd_start(&server, args);
}

/* The second client's open of path, and what it read there. */
struct other_open {
	const char *path;
	int flags;
	uint64_t done_ms;
	int rc;
	char data[64];
	int got;
};

static void other_open_run(struct other_open *o)
{
	struct ceph_mount_info *cm = other_client();
	int fd = ceph_open(cm, o->path, o->flags, 0);
	o->done_ms = dl_now_ms();
	o->rc = fd < 0 ? fd : 0;
	if (fd >= 0) {
		o->got = ceph_read(cm, fd, o->data, sizeof(o->data) - 1, 0);
		ceph_close(cm, fd);
	}
	ceph_shutdown(cm);
}

struct write_arg {
	const struct nfs4_stateid *stateid;
	const char *data;
};

static void add_write(struct nfs4c_call *m, const void *arg)
{
	const struct write_arg *w = arg;
	struct nfs4_write_args a = {
		.stateid = *w->stateid,
		.offset = 0,
		.stable = UNSTABLE4,
		.data = nfs4_opaque_str(w->data),
	};
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &a);
}

/* A v4.1 client with its back channel on its fore connection (no
 * delegation comes on a ceph export, so unlike the delegation tests'
 * clients it waits for none). */
static void share_client(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name,
			 uint32_t uid)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	nfs4c_bg_start(fd);
	nfs4c_session_up_minor_flags(s, 1, fd, uid, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

static void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

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
	ceph_conf = getenv("FERRY_TEST_CEPH_CONF");
	ceph_id = getenv("FERRY_TEST_CEPH_ID");
	if (!ceph_conf || !*ceph_conf) {
		printf("ceph_test_ceph_clients: skipped: FERRY_TEST_CEPH_CONF names no cluster (the "
		       "test command's CephFS stage sets it)\n");
		return SKIP;
	}
	if (!ceph_id || !*ceph_id)
		ceph_id = "admin";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_cephfs_client),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
