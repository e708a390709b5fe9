/* A read delegation on a ceph export exists only while ferryd's CephFS
 * delegation holds the file back for it: when CephFS takes that away, the
 * NFS client is recalled, or its delegation is revoked and it is told
 * (SEQ4_STATUS_RECALLABLE_STATE_REVOKED, NFS4ERR_DELEG_REVOKED); never
 * silence while another CephFS client changes the file under its cache.
 *
 * The NFS lease here is 60 s, longer than ferryd keeps a recalled CephFS
 * delegation (40 s on a cluster with the default session_autoclose), as
 * with the default lease of 90 s.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"

enum { LEASE_S = 60 };

static int window_setup(void **st)
{
	(void)st;
	return ceph_setup_lease(LEASE_S);
}

static void add_test_stateid(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_test_stateid_args t = { .count = 1, .items = arg };
	NFS4C_OP(m, OP_TEST_STATEID, nfs4_enc_test_stateid_args, &t);
}

/* TEST_STATEID of one stateid: its status. */
static uint32_t test_one_stateid(struct nfs4c_sess *s, const struct nfs4_stateid *sid)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	add_test_stateid(&m, sid);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_TEST_STATEID), NFS4_OK);
	uint32_t n = 0, s0 = 0;
	assert_true(xdr_decode_u32(&p.d, &n) && n == 1 && xdr_decode_u32(&p.d, &s0));
	nfs4c_done(&p);
	return s0;
}

static void add_free_stateid(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_FREE_STATEID, nfs4_enc_free_stateid_args,
		 &(struct nfs4_stateid_args){ *(const struct nfs4_stateid *)arg });
}

/* --- the NFS client's side of CB_RECALL ---------------------------------------------- */

/* What the client knows: the delegation its last OPEN reply granted, once
 * it has read that reply.  A CB_RECALL of any other stateid gets
 * NFS4ERR_BAD_STATEID, as a client answers a recall that overtook the
 * reply granting the delegation. */
struct holder {
	pthread_mutex_t lock;
	bool known;
	struct nfs4_stateid deleg;
	unsigned accepted; /* recalls of the known delegation */
	unsigned unmatched; /* recalls answered NFS4ERR_BAD_STATEID */
	uint64_t accepted_ms;
};

static struct holder holder = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint32_t holder_recall(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
			      struct xdr_enc *res)
{
	(void)svc;
	(void)res;
	pthread_mutex_lock(&holder.lock);
	bool match = holder.known && memcmp(op->u.recall.stateid.other, holder.deleg.other,
					    sizeof(holder.deleg.other)) == 0;
	if (match) {
		holder.accepted++;
		holder.accepted_ms = dl_now_ms();
	} else {
		holder.unmatched++;
	}
	pthread_mutex_unlock(&holder.lock);
	return match ? NFS4_OK : NFS4ERR_BAD_STATEID;
}

static void holder_knows(const struct nfs4_stateid *deleg)
{
	pthread_mutex_lock(&holder.lock);
	holder.known = deleg != NULL;
	if (deleg)
		holder.deleg = *deleg;
	pthread_mutex_unlock(&holder.lock);
}

static struct holder holder_now(void)
{
	pthread_mutex_lock(&holder.lock);
	struct holder h = holder;
	pthread_mutex_unlock(&holder.lock);
	return h;
}

/* The mounted CephFS client's second write of a file: opened for writing,
 * written, flushed and closed, on a thread (CephFS holds it back while
 * ferryd's delegation does). */
struct again_write {
	struct ceph_mount_info *cm;
	const char *path;
	int rc;
	_Atomic uint64_t written_ms;
};

static void *again_write_thread(void *arg)
{
	struct again_write *w = arg;
	int fd = ceph_open(w->cm, w->path, O_WRONLY, 0);
	w->rc = fd < 0 ? fd : ceph_write(w->cm, fd, "after", 5, 0);
	if (fd >= 0) {
		ceph_fsync(w->cm, fd, 0);
		ceph_close(w->cm, fd);
	}
	w->written_ms = dl_now_ms();
	return NULL;
}

/* Waits up to ms for the holder to accept a recall beyond `before` or for
 * the revocation flag, renewing the lease meanwhile as a client does;
 * returns the SEQUENCE flags seen. */
static uint32_t wait_told(struct nfs4c_sess *s, unsigned before, unsigned ms)
{
	uint32_t flags = 0;
	for (uint64_t end = dl_now_ms() + ms; dl_now_ms() < end;) {
		flags |= nfs4c_ping(s);
		if (holder_now().accepted > before || (flags & SEQ4_STATUS_RECALLABLE_STATE_REVOKED))
			break;
		usleep(200 * 1000);
	}
	return flags;
}

/* A CephFS client that stays mounted writes a file, flushes and closes it;
 * an NFS client opens it for reading through ferryd and gets a read
 * delegation; the CephFS client opens it for writing again and writes.
 * The MDS is still moving the first write's capabilities when ferryd's
 * client takes its CephFS delegation, and often takes it back at once:
 * ferryd's CB_RECALL then overtakes the OPEN reply, and the client, not
 * knowing the stateid yet, answers NFS4ERR_BAD_STATEID.  The recall must
 * reach it once it knows the delegation (or the delegation be revoked and
 * the client told), and the CephFS write must wait until the delegation
 * is back.  Rounds repeat until that window was hit. */
static void test_recall_overtaking_the_open_reply(void **st)
{
	(void)st;
	enum { ROUNDS = 40, HITS = 1 };
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-window", 954);
	sa.handlers[OP_CB_RECALL] = holder_recall;
	struct ceph_mount_info *cm = other_client();
	unsigned rounds = 0, granted = 0, hits = 0;
	for (; rounds < ROUNDS && hits < HITS; rounds++) {
		char name[32], path[200];
		snprintf(name, sizeof(name), "window-%u", rounds);
		snprintf(path, sizeof(path), "%s/%s", ceph_dir, name);
		int fd = ceph_open(cm, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ceph_write(cm, fd, "before", 6, 0), 6);
		assert_int_equal(ceph_fsync(cm, fd, 0), 0);
		assert_int_equal(ceph_close(cm, fd), 0);

		holder_knows(NULL);
		struct holder h0 = holder_now();
		struct dl_open r = dl_open(&a, name, RD, false);
		assert_int_equal(r.status, NFS4_OK);
		if (r.deleg.type != OPEN_DELEGATE_READ) {
			assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid),
					 NFS4_OK);
			continue;
		}
		holder_knows(&r.deleg.stateid);
		granted++;

		struct again_write w = { .cm = cm, .path = path };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, again_write_thread, &w), 0);
		uint32_t flags = wait_told(&a, h0.accepted, 30000);
		struct holder h1 = holder_now();
		bool hit = h1.unmatched > h0.unmatched;
		hits += hit;
		if (h1.accepted > h0.accepted) {
			/* Recalled: the CephFS write waits for the return. */
			assert_int_equal(w.written_ms, 0);
			uint32_t s = dl_delegreturn(&a, &r);
			assert_true(s == NFS4_OK || s == NFS4ERR_DELEG_REVOKED);
		} else {
			uint32_t s = test_one_stateid(&a, &r.deleg.stateid);
			printf("round %u%s: no recall the client could match within 30 s; the "
			       "CephFS write %s; SEQUENCE flags %#x, TEST_STATEID %u\n",
			       rounds, hit ? " (a recall came before the OPEN reply)" : "",
			       w.written_ms ? "went through" : "still waits", flags, s);
			assert_true(flags & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
			assert_int_equal(s, NFS4ERR_DELEG_REVOKED);
			assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_FREE_STATEID, add_free_stateid,
					       &r.deleg.stateid),
					 NFS4_OK);
		}
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(w.rc, 5);
		assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	}
	printf("%u rounds: %u read delegations granted, the recall overtook the OPEN reply %u "
	       "times\n",
	       rounds, granted, hits);
	/* Each such round showed the recall arriving again, in time. */
	assert_true(hits > 0);
	ceph_shutdown(cm);
	dl_client_end(&a, &sa);
}

/* An NFS client that takes the recall and never gives the delegation back
 * (the lease is 60 s): ferryd keeps its recalled CephFS delegation only as
 * long as the cluster lets it (the CephFS client waits meanwhile), then gives
 * it back, and the NFS delegation is revoked first: when the CephFS write
 * lands, the client has been told. */
static void test_delegation_kept_past_the_hold(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/kept", ceph_dir);
	cephfs_put_file(path, "made by CephFS", 0644);
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-kept", 955);
	sa.handlers[OP_CB_RECALL] = holder_recall;
	struct dl_open r = dl_open(&a, "kept", RD, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
	holder_knows(&r.deleg.stateid);
	unsigned before = holder_now().accepted;

	struct ceph_mount_info *cm = other_client();
	struct again_write w = { .cm = cm, .path = path };
	pthread_t t;
	uint64_t start = dl_now_ms();
	assert_int_equal(pthread_create(&t, NULL, again_write_thread, &w), 0);
	wait_told(&a, before, 10000);
	assert_true(holder_now().accepted > before);
	/* Not returned: renew the lease and watch until the write lands. */
	uint32_t flags = 0;
	uint64_t end = dl_now_ms() + 90000;
	while (!w.written_ms && dl_now_ms() < end) {
		flags |= nfs4c_ping(&a);
		usleep(200 * 1000);
	}
	assert_int_not_equal(w.written_ms, 0);
	flags |= nfs4c_ping(&a);
	uint32_t s = test_one_stateid(&a, &r.deleg.stateid);
	printf("the CephFS write landed %llu ms after it began; SEQUENCE flags %#x, "
	       "TEST_STATEID %u\n",
	       (unsigned long long)(w.written_ms - start), flags, s);
	assert_true(flags & SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(s, NFS4ERR_DELEG_REVOKED);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 5);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_FREE_STATEID, add_free_stateid,
			       &r.deleg.stateid),
			 NFS4_OK);
	assert_int_equal(nfs4c_ping(&a) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED, 0);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	ceph_shutdown(cm);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_deleg_window"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_overtaking_the_open_reply),
		cmocka_unit_test(test_delegation_kept_past_the_hold),
	};
	return cmocka_run_group_tests(tests, window_setup, dl_teardown);
}
