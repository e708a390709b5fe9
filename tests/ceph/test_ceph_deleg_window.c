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
	bool refuse_next;   /* answer the next recall of it so too */
	unsigned refused;   /* recalls of it answered so */
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
	if (match && holder.refuse_next) {
		/* As if it had come before the OPEN reply was read. */
		holder.refuse_next = false;
		holder.refused++;
		match = false;
	}
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
 * client takes its CephFS delegation, and often takes it back at once: a
 * CB_RECALL then may overtake the OPEN reply, and a client that does not
 * know the stateid yet answers NFS4ERR_BAD_STATEID.  Each round the client
 * answers the first recall of its delegation so, as if that had happened
 * (those that really came before the reply are counted too): the recall
 * must come again once it can be matched, and the CephFS write wait until
 * the delegation is back. */
static void test_recall_overtaking_the_open_reply(void **st)
{
	(void)st;
	enum { ROUNDS = 6 };
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "ceph-window", 954);
	sa.handlers[OP_CB_RECALL] = holder_recall;
	struct ceph_mount_info *cm = other_client();
	unsigned granted = 0, early = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		char name[32], path[200];
		snprintf(name, sizeof(name), "window-%u", i);
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
		pthread_mutex_lock(&holder.lock);
		holder.refuse_next = true;
		pthread_mutex_unlock(&holder.lock);
		holder_knows(&r.deleg.stateid);
		granted++;
		early += holder_now().unmatched > h0.unmatched;

		struct other_write w = { .cm = cm, .path = path, .data = "after" };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, other_write_thread, &w), 0);
		/* Longer than ferryd keeps a recalled CephFS delegation (40 s):
		 * without a recall it could match, the delegation must be
		 * revoked and the client told by then. */
		uint32_t flags = wait_told(&a, h0.accepted, 50000);
		struct holder h1 = holder_now();
		uint32_t s = dl_test_stateid(&a, &r.deleg.stateid);
		if (h1.accepted == h0.accepted)
			printf("round %u: no recall the client could match within 50 s; the "
			       "CephFS write %s; SEQUENCE flags %#x, TEST_STATEID %u\n",
			       i, w.written_ms ? "went through" : "still waits", flags, s);
		/* Sent again after the refusal, and taken. */
		assert_true(h1.refused > h0.refused);
		assert_true(h1.accepted > h0.accepted);
		assert_int_equal(s, NFS4_OK);
		/* Recalled: the CephFS write waits for the return. */
		assert_int_equal(w.written_ms, 0);
		assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(w.rc, 5);
		assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	}
	printf("%u rounds: %u read delegations granted, a recall came before the OPEN reply "
	       "in %u\n",
	       ROUNDS, granted, early);
	assert_true(granted > 0);
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
	struct other_write w = { .cm = cm, .path = path, .data = "after" };
	pthread_t t;
	uint64_t start = dl_now_ms();
	assert_int_equal(pthread_create(&t, NULL, other_write_thread, &w), 0);
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
	uint32_t s = dl_test_stateid(&a, &r.deleg.stateid);
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
