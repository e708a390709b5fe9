/* Byte-range locks every server of one CephFS agrees on: two ferryd heads
 * exporting the same CephFS directory, an NFSv4.1 client on each, and a
 * libcephfs program of the test's own beside them.  A lock taken through
 * one head is refused through the other (LOCK and LOCKT, NFS4ERR_DENIED
 * naming another server) and stops the CephFS client's record lock; the
 * CephFS client's lock is refused to NFS clients; LOCKU, CLOSE and a
 * client's expiry let go of the lock in CephFS too; /metrics counts the
 * calls.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include <errno.h>

#include "ceph/ceph_fixture.h"
#include "lib/ctl_test.h"

/* The second head: another ferryd on the same CephFS directory, with a
 * state directory (and so a CephFS session) of its own. */
static struct ferryd_proc head_b;

static int locks_setup(void **st)
{
	if (ceph_setup(st) != 0)
		return -1;
	char conf[300], state[300];
	snprintf(conf, sizeof(conf), "%s/ferry-b.conf", dl_dir);
	snprintf(state, sizeof(state), "%s/state-b", dl_dir);
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
	const char *args[] = { "--config", conf, "--state-dir", state, NULL };
	return ferryd_start(&head_b, args);
}

static int locks_teardown(void **st)
{
	int rc = ferryd_stop(&head_b);
	return dl_teardown(st) | rc;
}

/* What LOCK or LOCKT answered. */
struct lk {
	uint32_t status;
	struct nfs4_stateid stateid; /* LOCK's, on NFS4_OK */
	uint64_t offset, length;     /* LOCK4denied, on NFS4ERR_DENIED */
	uint32_t type;
	uint64_t clientid;
	char owner[200];
};

/* SEQUENCE, PUTFH o's file, then op (encoded by enc from args); LOCK4denied
 * or the stateid decoded. */
static struct lk lk_send(struct nfs4c_sess *s, const struct dl_open *o, uint32_t opnum,
			 bool (*enc)(struct xdr_enc *, const void *), const void *args)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct lk r = { 0 };
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	assert_true(enc(nfs4c_op(&m, opnum), args));
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	r.status = nfs4c_next(&p, opnum);
	if (r.status == NFS4_OK && opnum != OP_LOCKT) {
		struct nfs4_stateid_res sr;
		assert_true(nfs4_dec_stateid_res(&p.d, &sr));
		r.stateid = sr.stateid;
	} else if (r.status == NFS4ERR_DENIED) {
		struct nfs4_lock_denied d;
		assert_true(nfs4_dec_lock_denied(&p.d, &d));
		r.offset = d.offset;
		r.length = d.length;
		r.type = d.locktype;
		r.clientid = d.owner.clientid;
		size_t n = d.owner.owner.len < sizeof(r.owner) - 1 ? d.owner.owner.len
								     : sizeof(r.owner) - 1;
		memcpy(r.owner, d.owner.owner.data, n);
	}
	nfs4c_done(&p);
	return r;
}

static bool enc_lock(struct xdr_enc *e, const void *a)
{
	return nfs4_enc_lock_args(e, a);
}

static bool enc_lockt(struct xdr_enc *e, const void *a)
{
	return nfs4_enc_lockt_args(e, a);
}

static bool enc_locku(struct xdr_enc *e, const void *a)
{
	return nfs4_enc_locku_args(e, a);
}

/* A WRITE_LT lock of [off, off + len): a new lock owner named owner
 * through o's open, or the lock owner of lock_sid. */
static struct lk nfs_lock_type(struct nfs4c_sess *s, const struct dl_open *o, uint32_t type,
			       const char *owner, const struct nfs4_stateid *lock_sid,
			       uint64_t off, uint64_t len)
{
	struct nfs4_lock_args a = { .locktype = type, .offset = off, .length = len };
	if (lock_sid) {
		a.locker.lock_stateid = *lock_sid;
	} else {
		a.locker.new_lock_owner = true;
		a.locker.open_stateid = o->stateid;
		a.locker.owner.clientid = s->clientid;
		a.locker.owner.owner = nfs4_opaque_str(owner);
	}
	return lk_send(s, o, OP_LOCK, enc_lock, &a);
}

static struct lk nfs_lock(struct nfs4c_sess *s, const struct dl_open *o, const char *owner,
			  const struct nfs4_stateid *lock_sid, uint64_t off, uint64_t len)
{
	return nfs_lock_type(s, o, WRITE_LT, owner, lock_sid, off, len);
}

static struct lk nfs_lockt(struct nfs4c_sess *s, const struct dl_open *o, const char *owner,
			   uint64_t off, uint64_t len)
{
	struct nfs4_lockt_args a = {
		.locktype = WRITE_LT,
		.offset = off,
		.length = len,
		.owner = { s->clientid, nfs4_opaque_str(owner) },
	};
	return lk_send(s, o, OP_LOCKT, enc_lockt, &a);
}

static uint32_t nfs_locku(struct nfs4c_sess *s, const struct dl_open *o,
			  struct nfs4_stateid *lock_sid, uint64_t off, uint64_t len)
{
	struct nfs4_locku_args a = {
		.locktype = WRITE_LT, .stateid = *lock_sid, .offset = off, .length = len
	};
	struct lk r = lk_send(s, o, OP_LOCKU, enc_locku, &a);
	if (r.status == NFS4_OK)
		*lock_sid = r.stateid;
	return r.status;
}

/* Refused by CephFS: the holder is not one of this head's clients. */
static void assert_denied_elsewhere(const struct lk *r, uint64_t off, uint64_t len)
{
	assert_int_equal(r->status, NFS4ERR_DENIED);
	assert_int_equal(r->clientid, 0);
	assert_non_null(strstr(r->owner, "another server"));
	assert_int_equal(r->offset, off);
	assert_int_equal(r->length, len);
	assert_int_equal(r->type, WRITE_LT);
}

/* Two heads: a write lock through head A makes the same range through head
 * B DENIED (LOCKT and LOCK, also for a range that only overlaps), names no
 * client of B's own; a range apart is granted through B; once A's client
 * unlocks, B's client gets the range; and A's LOCKT then sees B's lock. */
static void test_two_heads(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	share_client_at(&a, &sa, server.hostport, "locks-head-a", 960);
	share_client_at(&b, &sb, head_b.hostport, "locks-head-b", 961);
	struct dl_open oa = dl_open(&a, "two-heads", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct dl_open ob = dl_open(&b, "two-heads", BOTH, false);
	assert_int_equal(ob.status, NFS4_OK);

	struct lk la = nfs_lock(&a, &oa, "owner-a", NULL, 0, 10);
	assert_int_equal(la.status, NFS4_OK);
	struct lk r = nfs_lockt(&b, &ob, "owner-b", 0, 10);
	assert_denied_elsewhere(&r, 0, 10);
	r = nfs_lock(&b, &ob, "owner-b", NULL, 5, 10);
	assert_denied_elsewhere(&r, 0, 10);
	struct lk lb = nfs_lock(&b, &ob, "owner-b", NULL, 100, 10);
	assert_int_equal(lb.status, NFS4_OK);
	r = nfs_lock(&b, &ob, NULL, &lb.stateid, 0, 10);
	assert_denied_elsewhere(&r, 0, 10);

	/* Head A's own table does not know B's lock: CephFS does. */
	r = nfs_lockt(&a, &oa, "owner-a", 100, 1);
	assert_denied_elsewhere(&r, 100, 10);

	assert_int_equal(nfs_locku(&a, &oa, &la.stateid, 0, 10), NFS4_OK);
	r = nfs_lock(&b, &ob, NULL, &lb.stateid, 0, 10);
	assert_int_equal(r.status, NFS4_OK);
	r = nfs_lock(&a, &oa, NULL, &la.stateid, 0, 1);
	assert_denied_elsewhere(&r, 0, 10);

	/* CLOSE through B lets go of B's locks in CephFS: A gets them. */
	assert_int_equal(dl_on(&b, ob.fh, ob.fhlen, OP_CLOSE, add_close, &ob.stateid), NFS4_OK);
	r = nfs_lock(&a, &oa, NULL, &la.stateid, 0, 200);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);

	/* The calls are counted: locks, and the getlk behind each refusal. */
	char *page = ctlt_scrape(&head_b);
	assert_true(ctlt_metric(page, "ferry_backend_calls_total{export=\"/export\","
				      "backend=\"ceph\",call=\"ll_setlk\"}") >= 4);
	assert_true(ctlt_metric(page, "ferry_backend_calls_total{export=\"/export\","
				      "backend=\"ceph\",call=\"ll_getlk\"}") >= 3);
	free(page);
}

/* The test's own CephFS client, with the file at path open. */
struct other_lk {
	struct ceph_mount_info *cm;
	struct Inode *in;
	struct Fh *fh;
};

/* Its lock owner (the top bit: the owner alone names the holder). */
#define OTHER_OWNER (0x8000000000000000ull | 0x5eed)

static void other_lk_open(struct other_lk *o, const char *path)
{
	o->cm = other_client();
	struct ceph_statx stx;
	assert_int_equal(ceph_ll_walk(o->cm, path, &o->in, &stx, CEPH_STATX_INO, 0,
				      ceph_mount_perms(o->cm)),
			 0);
	assert_int_equal(ceph_ll_open(o->cm, o->in, O_RDWR, &o->fh, ceph_mount_perms(o->cm)), 0);
}

static void other_lk_close(struct other_lk *o)
{
	ceph_ll_close(o->cm, o->fh);
	ceph_ll_put(o->cm, o->in);
	ceph_shutdown(o->cm);
}

static struct flock other_flock(short type, uint64_t off, uint64_t len)
{
	struct flock fl = { 0 };
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)off;
	fl.l_len = (off_t)len;
	return fl;
}

/* ceph_ll_setlk without waiting: 0, or -EAGAIN when another holds it. */
static int other_setlk(struct other_lk *o, short type, uint64_t off, uint64_t len)
{
	struct flock fl = other_flock(type, off, len);
	return ceph_ll_setlk(o->cm, o->fh, &fl, OTHER_OWNER, 0);
}

/* Polls other_setlk until it is granted, for at most ms; its last answer. */
static int other_setlk_within(struct other_lk *o, short type, uint64_t off, uint64_t len,
			      uint64_t ms)
{
	uint64_t end = dl_now_ms() + ms;
	int rc;
	while ((rc = other_setlk(o, type, off, len)) == -EAGAIN && dl_now_ms() < end)
		usleep(200 * 1000);
	return rc;
}

/* A libcephfs client beside ferryd: a lock held through ferryd stops its
 * ceph_ll_setlk and shows in its ceph_ll_getlk; its own lock makes the NFS
 * LOCK and LOCKT DENIED; a split, a downgrade and an upgrade of the NFS
 * lock show in CephFS as they do in ferryd's table; LOCKU, CLOSE and the
 * NFS client's expiry give the range back to it. */
static void test_other_cephfs_client(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client_at(&a, &sa, server.hostport, "locks-cephfs-a", 962);
	struct dl_open oa = dl_open(&a, "with-cephfs", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct lk la = nfs_lock(&a, &oa, "owner-a", NULL, 0, 10);
	assert_int_equal(la.status, NFS4_OK);

	char path[200];
	snprintf(path, sizeof(path), "%s/with-cephfs", ceph_dir);
	struct other_lk other;
	other_lk_open(&other, path);
	assert_int_equal(other_setlk(&other, F_WRLCK, 5, 10), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_RDLCK, 0, 1), -EAGAIN);
	struct flock fl = other_flock(F_WRLCK, 0, 10);
	assert_int_equal(ceph_ll_getlk(other.cm, other.fh, &fl, OTHER_OWNER), 0);
	assert_int_equal(fl.l_type, F_WRLCK);
	assert_int_equal(fl.l_start, 0);
	assert_int_equal(fl.l_len, 10);

	/* Its own lock, apart from the NFS client's, is refused to NFS. */
	assert_int_equal(other_setlk(&other, F_WRLCK, 50, 10), 0);
	struct lk r = nfs_lock(&a, &oa, NULL, &la.stateid, 55, 1);
	assert_denied_elsewhere(&r, 50, 10);
	r = nfs_lockt(&a, &oa, "owner-x", 50, 100);
	assert_denied_elsewhere(&r, 50, 10);
	r = nfs_lock(&a, &oa, "owner-x", NULL, 0, UINT64_MAX);
	assert_int_equal(r.status, NFS4ERR_DENIED); /* owner-a's, in ferryd's table */
	assert_int_equal(r.clientid, a.clientid);
	assert_string_equal(r.owner, "owner-a");

	/* A split: unlocking the middle of the NFS client's lock frees only
	 * the middle in CephFS. */
	assert_int_equal(nfs_locku(&a, &oa, &la.stateid, 3, 4), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 3, 4), 0);
	assert_int_equal(other_setlk(&other, F_WRLCK, 2, 1), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_WRLCK, 7, 1), -EAGAIN);
	assert_int_equal(nfs_locku(&a, &oa, &la.stateid, 0, 10), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);

	/* A downgrade shows in CephFS (the other client may read-lock, not
	 * write-lock); an upgrade CephFS refuses (its read lock) is DENIED
	 * and leaves the read lock as it was; once it is gone the upgrade is
	 * granted, and shows in CephFS too. */
	la = nfs_lock(&a, &oa, NULL, &la.stateid, 0, 10);
	assert_int_equal(la.status, NFS4_OK);
	la = nfs_lock_type(&a, &oa, READ_LT, NULL, &la.stateid, 0, 10);
	assert_int_equal(la.status, NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_RDLCK, 0, 10), 0);
	struct nfs4_stateid read_sid = la.stateid;
	r = nfs_lock(&a, &oa, NULL, &la.stateid, 0, 10);
	assert_int_equal(r.status, NFS4ERR_DENIED);
	assert_int_equal(r.type, READ_LT);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), -EAGAIN);
	la = nfs_lock(&a, &oa, NULL, &read_sid, 0, 10);
	assert_int_equal(la.status, NFS4_OK);
	assert_int_equal(other_setlk(&other, F_RDLCK, 0, 10), -EAGAIN);
	assert_int_equal(nfs_locku(&a, &oa, &la.stateid, 0, 10), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);

	/* CLOSE with a lock held: CephFS lets go of it. */
	la = nfs_lock(&a, &oa, NULL, &la.stateid, 200, 10);
	assert_int_equal(la.status, NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 200, 10), -EAGAIN);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	assert_int_equal(other_setlk_within(&other, F_WRLCK, 200, 10, 5000), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);

	/* A client that goes silent: its lease (10 s) runs out and ferryd's
	 * state thread lets go of its lock in CephFS. */
	oa = dl_open(&a, "with-cephfs", BOTH, false);
	assert_int_equal(oa.status, NFS4_OK);
	la = nfs_lock(&a, &oa, "owner-a2", NULL, 300, 10);
	assert_int_equal(la.status, NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 300, 10), -EAGAIN);
	uint64_t silent = dl_now_ms();
	dl_client_end(&a, &sa);
	assert_int_equal(other_setlk_within(&other, F_WRLCK, 300, 10, 40000), 0);
	printf("the silent client's lock went back to CephFS after %llu ms\n",
	       (unsigned long long)(dl_now_ms() - silent));
	other_lk_close(&other);
}

/* A ceph export's locks go over an in-place upgrade with the rest of the
 * NFSv4 state (before, a lock held in CephFS kept the whole state from
 * going over: the client's session was gone and everyone reclaimed in a
 * grace period).  The old ferryd lets go of them in its CephFS session,
 * the new one takes them in its own before it serves: the test's CephFS
 * client is refused the ranges before, across a failed upgrade (the old
 * one took them back) and after the upgrade; the client's lock stateids
 * stay valid, another client opens without NFS4ERR_GRACE, and a LOCKU
 * after the upgrade lets go of the range in CephFS. */
static void test_locks_carried_by_upgrade(void **st)
{
	(void)st;
	char failing[400];
	ferryd_wrapper(failing, sizeof(failing), dl_dir, "failing-ferryd",
		       "FERRY_TEST_UPGRADE_FAIL_READY=1");
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client_at(&a, &sa, server.hostport, "locks-upgrade-a", 963);
	struct dl_open oa = dl_open(&a, "upgrade-locked", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct lk w = nfs_lock(&a, &oa, "owner-w", NULL, 0, 10);
	assert_int_equal(w.status, NFS4_OK);
	struct lk r = nfs_lock_type(&a, &oa, READ_LT, "owner-r", NULL, 100, 10);
	assert_int_equal(r.status, NFS4_OK);

	char path[200];
	snprintf(path, sizeof(path), "%s/upgrade-locked", ceph_dir);
	struct other_lk other;
	other_lk_open(&other, path);
	assert_int_equal(other_setlk(&other, F_WRLCK, 5, 1), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_WRLCK, 105, 1), -EAGAIN);

	ctlt_upgrade_refused(&server, failing);
	assert_true(ferryd_log_has(&server, "lock range(s) taken again in back ends, 0 lost"));
	assert_int_equal(other_setlk(&other, F_WRLCK, 5, 1), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_WRLCK, 105, 1), -EAGAIN);
	assert_int_equal(dl_test_stateid(&a, &w.stateid), NFS4_OK);

	ctlt_upgrade(&server);
	assert_int_equal(other_setlk(&other, F_WRLCK, 5, 1), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_WRLCK, 105, 1), -EAGAIN);
	assert_int_equal(other_setlk(&other, F_RDLCK, 105, 1), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);
	assert_true(ferryd_log_has(&server, "2 lock range(s) taken in back ends"));
	assert_int_equal(dl_test_stateid(&a, &w.stateid), NFS4_OK);
	assert_int_equal(dl_test_stateid(&a, &r.stateid), NFS4_OK);
	/* No grace period: another client opens at once. */
	struct nfs4c_sess b;
	struct nfs4c_cb sb;
	share_client_at(&b, &sb, server.hostport, "locks-upgrade-b", 964);
	struct dl_open ob = dl_open(&b, "upgrade-locked", BOTH, false);
	assert_int_equal(ob.status, NFS4_OK);
	/* ferryd's own table went over too: another owner is refused there. */
	struct lk denied = nfs_lock(&b, &ob, "owner-b", NULL, 0, 1);
	assert_int_equal(denied.status, NFS4ERR_DENIED);
	assert_int_equal(denied.clientid, a.clientid);

	/* The carried lock lets go of its range in the new ferryd's session. */
	assert_int_equal(nfs_locku(&a, &oa, &w.stateid, 0, 10), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);
	assert_int_equal(dl_on(&b, ob.fh, ob.fhlen, OP_CLOSE, add_close, &ob.stateid), NFS4_OK);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_WRLCK, 100, 10), 0);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);
	other_lk_close(&other);
	dl_client_end(&b, &sb);
	dl_client_end(&a, &sa);
}

/* The lock goes nowhere else: when another CephFS client takes the range
 * while no session holds it (the new ferryd made late to take the locks),
 * the new ferryd refuses the upgrade and the old one serves on.  It could
 * not take the range back either, and says so: the NFS client holds it in
 * ferryd's table only until it unlocks. */
static void test_lock_taken_during_upgrade(void **st)
{
	(void)st;
	char late[400];
	ferryd_wrapper(late, sizeof(late), dl_dir, "late-locks-ferryd",
		       "FERRY_TEST_UPGRADE_LOCKS_DELAY_MS=2000");
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client_at(&a, &sa, server.hostport, "locks-upgrade-race", 965);
	struct dl_open oa = dl_open(&a, "upgrade-raced", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	struct lk w = nfs_lock(&a, &oa, "owner-w", NULL, 0, 10);
	assert_int_equal(w.status, NFS4_OK);
	char path[200];
	snprintf(path, sizeof(path), "%s/upgrade-raced", ceph_dir);
	struct other_lk other;
	other_lk_open(&other, path);
	assert_int_equal(other_setlk(&other, F_WRLCK, 0, 10), -EAGAIN);

	struct ctlt_upgrade up;
	pid_t old = server.pid;
	ctlt_upgrade_begin(&up, &server, late);
	/* The old ferryd lets go of the range once its image is written. */
	assert_int_equal(other_setlk_within(&other, F_WRLCK, 0, 10, 10000), 0);
	assert_int_equal(pthread_join(up.thread, NULL), 0);
	assert_int_not_equal(up.rc, 0);
	assert_int_equal(server.pid, old);
	assert_true(ferryd_running(&server));
	assert_true(ferryd_log_has(&server, "another holder has a conflicting lock"));
	assert_true(ferryd_log_has(&server, "upgrade: lost a write lock of bytes 0-9"));
	/* The old ferryd serves the client on. */
	assert_int_equal(dl_test_stateid(&a, &w.stateid), NFS4_OK);
	assert_int_equal(other_setlk(&other, F_UNLCK, 0, 0), 0);
	assert_int_equal(nfs_locku(&a, &oa, &w.stateid, 0, 10), NFS4_OK);
	assert_int_equal(dl_on(&a, oa.fh, oa.fhlen, OP_CLOSE, add_close, &oa.stateid), NFS4_OK);
	other_lk_close(&other);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_locks"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_heads),
		cmocka_unit_test(test_other_cephfs_client),
		cmocka_unit_test(test_locks_carried_by_upgrade),
		cmocka_unit_test(test_lock_taken_during_upgrade),
	};
	return cmocka_run_group_tests(tests, locks_setup, locks_teardown);
}
