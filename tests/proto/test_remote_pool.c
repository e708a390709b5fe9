/* The remote pool ([server] remote_workers, rpc_dispatch_defer_remote):
 * on an export whose back end asks a metadata server for every change of
 * names and attributes (CephFS), NFSv4's OPEN and REMOVE go to it from the
 * event loop, counted by ferry_rpc_remote_handoffs_total; on any other
 * export they do not (OPEN goes to the workers, REMOVE runs on the loop
 * while the export is fast).  The pool's threads start with its first
 * call: a server that never has one runs none.  With remote_workers = 0
 * there is no such pool, and the changes go to the workers.  Run on a
 * local export and again on CephFS (ceph_proto_test_remote_pool);
 * NFSv3's changes are tests/nfs3's (test_nfs3, test_drc_replay) and
 * tests/ceph's (test_ceph_clients, test_v3_changes_remote). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

enum { PAIRS = 4 };

static struct ferryd_proc server;

static int setup(void **state)
{
	(void)state;
	return ferryd_start_export(&server, "squash = none\n") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static double remote_handoffs(const struct ferryd_proc *p)
{
	return ctlt_metric_now(p, "ferry_rpc_remote_handoffs_total");
}

static double worker_handoffs(const struct ferryd_proc *p)
{
	return ctlt_metric_now(p, "ferry_rpc_worker_handoffs_total");
}

/* Threads of p named "remote<N>": the remote pool's. */
static unsigned remote_threads(const struct ferryd_proc *p)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char comm_path[400], comm[32] = "";
		snprintf(comm_path, sizeof(comm_path), "%s/%s/comm", path, e->d_name);
		FILE *f = fopen(comm_path, "r");
		if (!f)
			continue; /* gone meanwhile */
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "remote", 6) == 0)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* REMOVE of name in /export over the session. */
static uint32_t remove_v4(struct nfs4c_sess *s, const char *name)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_op(&m, OP_REMOVE);
	nfs4c_str(&m, name);
	nfs4c_send(s->fd, s->cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&r, OP_REMOVE);
	nfs4c_done(&r);
	return st;
}

/* PAIRS files made (OPEN with create, CLOSE) and removed over NFSv4: the
 * remote handoffs they caused, and the worker handoffs in *workers. */
static double made_and_removed_v4(const struct ferryd_proc *p, const char *prefix,
				  double *workers)
{
	int fd = nfs4c_connect(p->hostport);
	assert_true(fd >= 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, prefix, NULL);
	uint8_t dir[NFS4_FHSIZE];
	uint32_t dirlen;
	assert_int_equal(nfs4c_find(&s, "/export", dir, &dirlen), NFS4_OK);
	double remote0 = remote_handoffs(p), workers0 = worker_handoffs(p);
	for (int i = 0; i < PAIRS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		uint8_t fh[NFS4_FHSIZE];
		uint32_t fhlen = dirlen;
		memcpy(fh, dir, dirlen);
		assert_int_equal(nfs4c_create(&s, fh, &fhlen, name, NULL, NULL), NFS4_OK);
		assert_int_equal(remove_v4(&s, name), NFS4_OK);
		assert_int_equal(remove_v4(&s, name), NFS4ERR_NOENT);
	}
	double remote = remote_handoffs(p) - remote0;
	*workers = worker_handoffs(p) - workers0;
	nfs4c_destroy_session(&s);
	close(fd);
	return remote;
}

/* The default pool: the changes of a CephFS export on it, started by the
 * first with its 32 threads; a local export's changes never are, and it
 * never starts. */
static void test_changes_where(void **state)
{
	(void)state;
	assert_int_equal(remote_threads(&server), 0);
	double workers;
	double remote = made_and_removed_v4(&server, "v4", &workers);
	printf("NFSv4, %d files made and removed (%s): %.0f remote handoffs, %.0f worker "
	       "handoffs\n",
	       PAIRS, ferryd_ceph_mode() ? "CephFS" : "local", remote, workers);
	if (ferryd_ceph_mode()) {
		/* Each OPEN and REMOVE, and each REMOVE of a name gone. */
		assert_int_equal((int)remote, 3 * PAIRS);
		assert_int_equal(remote_threads(&server), 32);
	} else {
		assert_int_equal((int)remote, 0);
		assert_true(workers >= PAIRS); /* the OPENs */
		assert_int_equal(remote_threads(&server), 0);
	}
}

/* remote_workers = 0: no such pool; the same changes go to the workers. */
static void test_no_remote_pool(void **state)
{
	(void)state;
	struct ferryd_proc plain;
	assert_int_equal(
	    ferryd_start_export(&plain, "squash = none\n[server]\nremote_workers = 0\n"), 0);
	assert_int_equal(remote_threads(&plain), 0);
	double workers;
	double remote = made_and_removed_v4(&plain, "none", &workers);
	printf("remote_workers = 0: %.0f remote handoffs, %.0f worker handoffs\n", remote,
	       workers);
	assert_int_equal((int)remote, 0);
	assert_true(workers >= PAIRS);
	assert_int_equal(ferryd_stop(&plain), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_where),
		cmocka_unit_test(test_no_remote_pool),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
