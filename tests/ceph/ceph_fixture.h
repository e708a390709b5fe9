/* What the tests of ceph exports share: a directory of their own in the
 * CephFS file system the environment names (FERRY_TEST_CEPH_CONF,
 * FERRY_TEST_CEPH_ID: the test command's CephFS stage starts a cluster and
 * sets them), a ferryd exporting it (the delegation fixture's server, with
 * its short lease and fast callbacks), a second CephFS client of the
 * test's own, and NFS helpers. */
#ifndef FERRY_TESTS_CEPH_CEPH_FIXTURE_H
#define FERRY_TESTS_CEPH_CEPH_FIXTURE_H

#include "proto/deleg_fixture.h"

#include <fcntl.h>

#include <cephfs/libcephfs.h>

enum { SKIP = 77, RD = OPEN4_SHARE_ACCESS_READ, BOTH = OPEN4_SHARE_ACCESS_BOTH };

static const char *ceph_conf, *ceph_id;
static char ceph_dir[128]; /* the export's directory inside CephFS */
static char ceph_ferryd_conf[300], ceph_ferryd_state[300];

/* Reads the environment; false (the test is then skipped) when it names
 * no cluster. */
static inline bool ceph_env(const char *test)
{
	ceph_conf = getenv("FERRY_TEST_CEPH_CONF");
	ceph_id = getenv("FERRY_TEST_CEPH_ID");
	if (!ceph_conf || !*ceph_conf) {
		printf("%s: skipped: FERRY_TEST_CEPH_CONF names no cluster (the test command's "
		       "CephFS stage sets it)\n",
		       test);
		return false;
	}
	if (!ceph_id || !*ceph_id)
		ceph_id = "admin";
	return true;
}

/* ferryd on the export, with the configuration and state directory
 * ceph_setup made (again, after a restart). */
static inline int ceph_start(void)
{
	const char *args[] = { "--config", ceph_ferryd_conf, "--state-dir", ceph_ferryd_state,
			       NULL };
	return ferryd_start(&server, args);
}

/* A CephFS client of the test's own, mounted at the file system's root. */
static inline struct ceph_mount_info *other_client(void)
{
	struct ceph_mount_info *cm;
	assert_int_equal(ceph_create(&cm, ceph_id), 0);
	assert_int_equal(ceph_conf_read_file(cm, ceph_conf), 0);
	assert_int_equal(ceph_mount(cm, "/"), 0);
	return cm;
}

/* Makes path (in CephFS) hold data, through a CephFS client of the test's
 * own: a file no NFS client has had open. */
static inline void cephfs_put_file(const char *path, const char *data, int mode)
{
	struct ceph_mount_info *cm = other_client();
	int fd = ceph_open(cm, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
	assert_true(fd >= 0);
	int len = (int)strlen(data);
	assert_int_equal(ceph_write(cm, fd, data, len, 0), len);
	assert_int_equal(ceph_close(cm, fd), 0);
	ceph_shutdown(cm);
}

/* A directory of the test's own in CephFS and a ferryd exporting it, whose
 * NFS lease is lease_s seconds. */
static inline int ceph_setup_lease(unsigned lease_s)
{
	struct ceph_mount_info *cm = other_client();
	snprintf(ceph_dir, sizeof(ceph_dir), "/ferry-test-%ld-%ld", (long)getpid(),
		 (long)time(NULL));
	int rc = ceph_mkdir(cm, ceph_dir, 0777);
	if (rc == 0)
		rc = ceph_chmod(cm, ceph_dir, 0777);
	ceph_shutdown(cm);
	if (rc)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-ceph-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	snprintf(ceph_ferryd_conf, sizeof(ceph_ferryd_conf), "%s/ferry.conf", dl_dir);
	snprintf(ceph_ferryd_state, sizeof(ceph_ferryd_state), "%s/state", dl_dir);
	FILE *f = fopen(ceph_ferryd_conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[nfs]\nlease_time = %u\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		"callback_retry_ms = 200\ncallback_retries = 1\n"
		"[export e]\nbackend = ceph\npath = %s\npseudo = /export\nceph_conf = %s\n"
		"ceph_id = %s\nsquash = none\n",
		lease_s, ceph_dir, ceph_conf, ceph_id);
	fclose(f);
	return ceph_start();
}

/* The fixture's ferryd: a short lease (10 s), fast callbacks. */
static inline int ceph_setup(void **st)
{
	(void)st;
	return ceph_setup_lease(10);
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

static inline void other_open_run(struct other_open *o)
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

/* A write of data at offset 0 of path by a CephFS client of the test's
 * own, run on a thread (CephFS may hold it back): opened for writing,
 * written (written_ms: when the write returned), flushed and closed.  cm
 * NULL: a client of its own, mounted for it and shut down after. */
struct other_write {
	struct ceph_mount_info *cm;
	const char *path, *data;
	int rc;
	_Atomic uint64_t written_ms;
};

static inline void *other_write_thread(void *arg)
{
	struct other_write *w = arg;
	struct ceph_mount_info *cm = w->cm ? w->cm : other_client();
	int fd = ceph_open(cm, w->path, O_RDWR, 0);
	int len = (int)strlen(w->data);
	w->rc = fd < 0 ? fd : ceph_write(cm, fd, w->data, len, 0);
	w->written_ms = dl_now_ms();
	if (fd >= 0) {
		ceph_fsync(cm, fd, 0);
		ceph_close(cm, fd);
	}
	if (!w->cm)
		ceph_shutdown(cm);
	return NULL;
}

struct write_arg {
	const struct nfs4_stateid *stateid;
	const char *data;
};

static inline void add_write(struct nfs4c_call *m, const void *arg)
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

/* A file made by s (OPEN create, read and write) and written with text
 * from offset 0 through that open, by write (add_write, or a variant
 * with another stable_how); the open, both asserted NFS4_OK. */
static inline struct dl_open ceph_made_written(struct nfs4c_sess *s, const char *name,
					       const char *text, dl_op_fn write)
{
	struct dl_open o = dl_open(s, name, OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	struct write_arg data = { &o.stateid, text };
	assert_int_equal(dl_on(s, o.fh, o.fhlen, OP_WRITE, write, &data), NFS4_OK);
	return o;
}

/* A v4.1 client with its back channel on its fore connection (no
 * delegation comes on a ceph export, so unlike the delegation tests'
 * clients it waits for none). */
static inline void share_client_at(struct nfs4c_sess *s, struct nfs4c_cb *svc,
				   const char *hostport, const char *name, uint32_t uid)
{
	int fd = nfs4c_connect(hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	nfs4c_bg_start(fd);
	nfs4c_session_up_minor_flags(s, 1, fd, uid, name, NULL,
				     CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	dl_reclaim_complete(s);
}

/* share_client_at on the fixture's ferryd. */
static inline void share_client(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name,
				uint32_t uid)
{
	share_client_at(s, svc, server.hostport, name, uid);
}

static inline void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

/* name opened for reading with no delegation left to the NFS client (one
 * granted is returned at once), so that whatever holds the file back from
 * other CephFS clients is not the client. */
static inline struct dl_open open_undelegated(struct nfs4c_sess *s, const char *name)
{
	struct dl_open o = dl_open(s, name, RD, false);
	assert_int_equal(o.status, NFS4_OK);
	if (o.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(s, &o), NFS4_OK);
	return o;
}

/* READ count bytes at off of o: its status (NFS4ERR_IO when no reply came
 * in the client's time), the bytes in buf (none kept when NULL), how many
 * and eof.  Asserts nothing, so that a thread can read with it. */
static inline uint32_t nfs_read(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
				uint32_t count, uint8_t *buf, uint32_t *got, bool *eof)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct nfs4_read_args ra = {.stateid = o->stateid, .offset = off, .count = count};
	*got = 0;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &ra);
	if (nfs4c_call(s->fd, s->cred, &m, &p) != 0)
		return NFS4ERR_IO;
	uint32_t st = nfs4c_seq_result(&p, NULL);
	if (st == NFS4_OK && (st = nfs4c_next(&p, OP_PUTFH)) == NFS4_OK &&
	    (st = nfs4c_next(&p, OP_READ)) == NFS4_OK) {
		struct nfs4_read_res rr;
		if (!nfs4_dec_read_res(&p.d, &rr) || rr.data.len > count) {
			st = NFS4ERR_BADXDR;
		} else {
			if (buf)
				memcpy(buf, rr.data.data, rr.data.len);
			*got = rr.data.len;
			*eof = rr.eof;
		}
	}
	nfs4c_done(&p);
	return st;
}

#endif
