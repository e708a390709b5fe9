/* Recovery after a crash: ferryd killed with SIGKILL and started again on
 * the same state directory keeps its grace period only while a client of
 * its stable records may still reclaim.  Once every one of them has said
 * RECLAIM_COMPLETE, new state is granted at once, long before the 60 s
 * grace_time. */
#include "proto/deleg_fixture.h"

#include <signal.h>
#include <sys/wait.h>

enum { GRACE_S = 60 };

static void write_conf(void)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/ferry.conf", dl_dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "[nfs]\nlease_time = 10\ngrace_time = %d\n", GRACE_S);
	fclose(f);
}

static void crash_and_restart(void)
{
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(dl_start(), 0);
}

/* The client comes back after the restart (same name, same verifier) and
 * ends its reclaim. */
static void come_back(struct nfs4c_sess *s, const char *name, uint32_t uid)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_session_up_reclaiming(s, fd, uid, name, NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

static void test_grace_ends_when_all_reclaimed(void **st)
{
	(void)st;
	write_conf();
	assert_int_equal(ferryd_stop(&server), 0);
	assert_int_equal(dl_start(), 0);

	struct nfs4c_sess a, b;
	nfs4c_session_up(&a, nfs4c_connect(server.hostport), 940, "grace-early-a", NULL);
	nfs4c_session_up(&b, nfs4c_connect(server.hostport), 941, "grace-early-b", NULL);
	assert_int_equal(dl_open(&a, "ga-before", OPEN4_SHARE_ACCESS_BOTH, true).status, NFS4_OK);
	nfs4c_close(a.fd);
	nfs4c_close(b.fd);

	crash_and_restart();
	uint64_t restarted = dl_now_ms();
	come_back(&a, "grace-early-a", 940);
	/* b, in the records, may still reclaim: no new state yet. */
	assert_int_equal(dl_open(&a, "ga-after", OPEN4_SHARE_ACCESS_BOTH, true).status,
			 NFS4ERR_GRACE);
	come_back(&b, "grace-early-b", 941);
	/* Every client of the records is done: grace is over. */
	assert_int_equal(dl_open(&a, "ga-after", OPEN4_SHARE_ACCESS_BOTH, true).status, NFS4_OK);
	uint64_t took = dl_now_ms() - restarted;
	assert_true(took < GRACE_S * 1000 / 4);
	nfs4c_close(a.fd);
	nfs4c_close(b.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_ends_when_all_reclaimed),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
