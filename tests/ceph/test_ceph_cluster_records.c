/* Stable client records in RADOS ([cluster] in ferryd.conf): a confirmed
 * v4.0 and a v4.1 client each get an omap key on the node's object
 * rec-<node>, with their name as value, and no file under the state
 * directory; ferryd killed (SIGKILL) and started again with the same node
 * name reads them back, so both clients reclaim (CLAIM_PREVIOUS) in the
 * grace period while a client it never knew gets NFS4ERR_RECLAIM_BAD, then
 * NFS4ERR_NO_GRACE once grace is over; a client that goes away
 * (DESTROY_CLIENTID) loses its key; and the grace period ends as soon as
 * every client of the records said RECLAIM_COMPLETE; and a pool that
 * cannot be opened keeps ferryd from starting.  The same as the
 * local records' tests (state/test_grace.c, proto/test_grace_early.c),
 * with the records in RADOS.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID) with a pool
 * named ferry; skipped (exit 77) without one. */
#include "ceph/ceph_fixture.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <rados/librados.h>

#define POOL "ferry"
#define NAMESPACE "ferry-tests"

static char node[64], oid[80];
static const char *pool = POOL; /* what ferryd.conf names */
static rados_t cluster;
static rados_ioctx_t io;

/* The configuration: ceph_setup's export, the grace period asked for, and
 * [cluster] with this run's node name (so records of earlier runs do not
 * count). */
static void write_conf(unsigned grace_s)
{
	FILE *f = fopen(ceph_ferryd_conf, "w");
	assert_non_null(f);
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = %u\n"
		"[cluster]\nnode = %s\nrados_conf = %s\nrados_id = %s\nrados_pool = %s\n"
		"rados_namespace = %s\n"
		"[export e]\nbackend = ceph\npath = %s\npseudo = /export\nceph_conf = %s\n"
		"ceph_id = %s\nsquash = none\n",
		grace_s, node, ceph_conf, ceph_id, pool, NAMESPACE, ceph_dir, ceph_conf, ceph_id);
	assert_int_equal(fclose(f), 0);
}

static void crash_and_restart(void)
{
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(ceph_start(), 0);
}

/* A new node name, a fresh object, and ferryd restarted on them. */
static void new_node(const char *tag, unsigned grace_s)
{
	snprintf(node, sizeof(node), "t%ld-%ld-%s", (long)getpid(), (long)time(NULL), tag);
	snprintf(oid, sizeof(oid), "rec-%s", node);
	assert_int_equal(ferryd_stop(&server), 0);
	/* ceph_setup's ferryd, with no [cluster], kept its records in the
	 * state directory: none may appear there from now on. */
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/v4clients", ceph_ferryd_state);
	assert_int_equal(system(cmd), 0);
	write_conf(grace_s);
	assert_int_equal(ceph_start(), 0);
}

/* The names the node's object holds; each key is 16 hex digits. */
static unsigned record_names(char names[][64], unsigned max)
{
	rados_read_op_t op = rados_create_read_op();
	rados_omap_iter_t it = NULL;
	unsigned char more = 0;
	int prval = 0;
	rados_read_op_omap_get_vals2(op, "", "", 100, &it, &more, &prval);
	int rc = rados_read_op_operate(op, io, oid, 0);
	unsigned n = 0;
	if (rc == 0 && prval == 0) {
		char *k, *v;
		size_t kl, vl;
		while (rados_omap_get_next2(it, &k, &v, &kl, &vl) == 0 && k) {
			assert_int_equal(kl, 16);
			assert_int_equal(strspn(k, "0123456789abcdef"), 16);
			assert_true(n < max && vl < 64);
			memcpy(names[n], v, vl);
			names[n][vl] = '\0';
			n++;
		}
		assert_false(more);
	} else {
		assert_int_equal(rc, -ENOENT); /* no record yet */
	}
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
	return n;
}

static bool has_record(const char *name)
{
	char names[16][64];
	unsigned n = record_names(names, 16);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void assert_no_local_records(void)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/v4clients", ceph_ferryd_state);
	struct stat sb;
	assert_int_equal(stat(p, &sb), -1);
}

/* v4.0: OPEN with CLAIM_PREVIOUS of the file fh (its owner is new after
 * the restart, so the open needs no OPEN_CONFIRM). */
static uint32_t open40_previous(struct nfs4c_client40 *c, const char *owner, uint32_t *seqid,
				const uint8_t *fh, uint32_t fhlen)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.seqid = (*seqid)++;
	a.share_access = OPEN4_SHARE_ACCESS_BOTH;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = c->clientid;
	a.owner.owner = nfs4_opaque_str(owner);
	a.opentype = OPEN4_NOCREATE;
	a.claim.type = CLAIM_PREVIOUS;
	a.claim.delegate_type = OPEN_DELEGATE_NONE;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, fh, fhlen);
	nfs4c_open_op(&m, &a);
	nfs4c_send(c->fd, c->cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t s = nfs4c_next(&p, OP_OPEN);
	nfs4c_done(&p);
	return s;
}

/* OPEN CLAIM_PREVIOUS of o's file; again while NFS4ERR_DELAY (a clustered
 * head answers reclaims once every head enforces grace). */
static struct dl_open open_previous(struct nfs4c_sess *s, const struct dl_open *o)
{
	struct nfs4_open_claim prev = {.type = CLAIM_PREVIOUS,
				       .delegate_type = OPEN_DELEGATE_NONE};
	uint64_t end = dl_now_ms() + 10000;
	struct dl_open r;
	while ((r = dl_open_claim(s, NULL, BOTH, false, &prev, o->fh, o->fhlen)).status ==
		       NFS4ERR_DELAY &&
	       dl_now_ms() < end)
		usleep(50 * 1000);
	return r;
}

/* A new open; again while NFS4ERR_GRACE, for at most ms (the cluster's
 * grace lifts one RADOS round trip after the last RECLAIM_COMPLETE). */
static uint32_t open_after_grace(struct nfs4c_sess *s, const char *name, unsigned ms)
{
	uint64_t end = dl_now_ms() + ms;
	uint32_t st;
	while ((st = dl_open(s, name, BOTH, true).status) == NFS4ERR_GRACE && dl_now_ms() < end)
		usleep(50 * 1000);
	return st;
}

static void test_records_in_rados_and_reclaim(void **st)
{
	(void)st;
	enum { GRACE_S = 6 };
	new_node("reclaim", GRACE_S);
	assert_int_equal(record_names(NULL, 0), 0);

	/* A v4.0 client: its record is written before SETCLIENTID_CONFIRM
	 * is answered. */
	struct nfs4c_client40 c;
	int fd40 = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&c, fd40, nfs4c_cred(970), "cluster-v40", 0x40000000,
					   NULL, NULL, 1),
			 NFS4_OK);
	assert_true(has_record("cluster-v40"));
	uint32_t seq40 = 0;
	struct nfs4c_open40 o40;
	assert_int_equal(nfs4c_open40(&c, "own40", &seq40, "export", "r40", BOTH, true, &o40),
			 NFS4_OK);

	/* A v4.1 client. */
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "cluster-v41", 971);
	struct dl_open o41 = dl_open(&a, "r41", BOTH, true);
	assert_int_equal(o41.status, NFS4_OK);
	char names[16][64];
	assert_int_equal(record_names(names, 16), 2);
	assert_true(has_record("cluster-v40"));
	assert_true(has_record("cluster-v41"));
	assert_no_local_records();
	nfs4c_close(fd40);
	dl_client_end(&a, &sa);

	crash_and_restart();
	/* The records are still there, read back by the new ferryd. */
	assert_int_equal(record_names(names, 16), 2);

	/* Both come back (same names and verifiers) and reclaim. */
	int fd = nfs4c_connect(server.hostport);
	nfs4c_session_up_reclaiming(&a, fd, 971, "cluster-v41", NULL);
	assert_int_equal(open_previous(&a, &o41).status, NFS4_OK);
	dl_reclaim_complete(&a);
	fd40 = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(&c, fd40, nfs4c_cred(970), "cluster-v40", 0x40000000,
					   NULL, NULL, 1),
			 NFS4_OK);
	seq40 = 0;
	assert_int_equal(open40_previous(&c, "own40", &seq40, o40.fh, o40.fhlen), NFS4_OK);

	/* A client it never knew: no reclaim, and new state waits. */
	struct nfs4c_sess n;
	nfs4c_session_up_reclaiming(&n, nfs4c_connect(server.hostport), 972, "cluster-new",
				    NULL);
	assert_int_equal(open_previous(&n, &o41).status, NFS4ERR_RECLAIM_BAD);
	dl_reclaim_complete(&n);
	assert_int_equal(dl_open(&n, "new", BOTH, true).status, NFS4ERR_GRACE);

	/* A v4.0 client in the records keeps the whole grace period (it has
	 * no RECLAIM_COMPLETE; it renews meanwhile); then new state goes
	 * ahead and reclaims are late. */
	uint64_t end = dl_now_ms() + (GRACE_S + 10) * 1000;
	struct dl_open on;
	while ((on = dl_open(&n, "new", BOTH, true)).status == NFS4ERR_GRACE &&
	       dl_now_ms() < end) {
		assert_int_equal(dl_renew40(&c), NFS4_OK);
		usleep(200 * 1000);
	}
	assert_int_equal(on.status, NFS4_OK);
	assert_int_equal(open40_previous(&c, "own40", &seq40, o40.fh, o40.fhlen),
			 NFS4ERR_NO_GRACE);

	/* The new client got a record too; once it goes away its key goes. */
	assert_int_equal(record_names(names, 16), 3);
	assert_true(has_record("cluster-new"));
	assert_int_equal(dl_on(&n, on.fh, on.fhlen, OP_CLOSE, add_close, &on.stateid), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&n), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&n), NFS4_OK);
	assert_false(has_record("cluster-new"));
	assert_true(has_record("cluster-v40"));
	assert_true(has_record("cluster-v41"));
	assert_no_local_records();
	nfs4c_close(n.fd);
	nfs4c_close(fd40);
	nfs4c_close(fd);
}

static void test_grace_ends_when_all_reclaimed(void **st)
{
	(void)st;
	enum { GRACE_S = 60 };
	new_node("early", GRACE_S);
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	share_client(&a, &sa, "cluster-early-a", 973);
	share_client(&b, &sb, "cluster-early-b", 974);
	struct dl_open oa = dl_open(&a, "early-a", BOTH, true);
	assert_int_equal(oa.status, NFS4_OK);
	char names[16][64];
	assert_int_equal(record_names(names, 16), 2);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);

	crash_and_restart();
	uint64_t restarted = dl_now_ms();
	int fda = nfs4c_connect(server.hostport);
	nfs4c_session_up_reclaiming(&a, fda, 973, "cluster-early-a", NULL);
	assert_int_equal(open_previous(&a, &oa).status, NFS4_OK);
	dl_reclaim_complete(&a);
	/* b, in the records, may still reclaim: no new state yet. */
	assert_int_equal(dl_open(&a, "early-after", BOTH, true).status, NFS4ERR_GRACE);
	int fdb = nfs4c_connect(server.hostport);
	nfs4c_session_up_reclaiming(&b, fdb, 974, "cluster-early-b", NULL);
	dl_reclaim_complete(&b);
	/* Every client of the records is done: grace is over. */
	assert_int_equal(open_after_grace(&a, "early-after", 2000), NFS4_OK);
	assert_true(dl_now_ms() - restarted < GRACE_S * 1000 / 4);
	nfs4c_close(fda);
	nfs4c_close(fdb);
}

/* Without its records ferryd could not know who may reclaim: a pool it
 * cannot open stops it at start-up, saying why. */
static void test_no_pool_no_start(void **st)
{
	(void)st;
	pool = "ferry-no-such-pool";
	snprintf(node, sizeof(node), "t%ld-nopool", (long)getpid());
	assert_int_equal(ferryd_stop(&server), 0);
	write_conf(4);
	printf("(ferryd is expected to fail to start here)\n");
	assert_int_equal(ceph_start(), -1);
	FILE *f = fopen(server.log_path, "r");
	assert_non_null(f);
	char line[1024];
	bool said = false;
	while (fgets(line, sizeof(line), f))
		said |= strstr(line, "cannot open the pool") && strstr(line, "ferry-no-such-pool");
	fclose(f);
	assert_true(said);
	pool = POOL;
	write_conf(4);
	assert_int_equal(ceph_start(), 0);
}

static int setup(void **st)
{
	if (ceph_setup(st) != 0)
		return -1;
	if (rados_create(&cluster, ceph_id) != 0 || rados_conf_read_file(cluster, ceph_conf) != 0 ||
	    rados_connect(cluster) != 0 || rados_ioctx_create(cluster, POOL, &io) != 0)
		return -1;
	rados_ioctx_set_namespace(io, NAMESPACE);
	return 0;
}

static int teardown(void **st)
{
	int rc = dl_teardown(st);
	/* This run's objects (each test's node). */
	rados_list_ctx_t lc;
	if (rados_nobjects_list_open(io, &lc) == 0) {
		const char *entry;
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "rec-t%ld-", (long)getpid());
		while (rados_nobjects_list_next(lc, &entry, NULL, NULL) == 0)
			if (strncmp(entry, prefix, strlen(prefix)) == 0)
				rados_remove(io, entry);
		rados_nobjects_list_close(lc);
	}
	rados_ioctx_destroy(io);
	rados_shutdown(cluster);
	return rc;
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_cluster_records"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_in_rados_and_reclaim),
		cmocka_unit_test(test_grace_ends_when_all_reclaimed),
		cmocka_unit_test(test_no_pool_no_start),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
