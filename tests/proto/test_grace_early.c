/* Recovery after a crash: ferryd killed with SIGKILL and started again on
 * the same state directory keeps its grace period only while a client of
 * its stable records may still reclaim.  Once every one of them has said
 * RECLAIM_COMPLETE, new state is granted at once, long before the 60 s
 * grace_time.  After a planned stop (SIGTERM) the records are only those
 * of clients that held something. */
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
	nfs4c_session_up_reclaiming(s, nfs4c_connect(server.hostport), uid, name, NULL);
	dl_reclaim_complete(s);
}

static void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

/* s gives back what o holds (its delegation, its open): a client with
 * nothing, which the next planned stop forgets. */
static void let_go(struct nfs4c_sess *s, const struct dl_open *o)
{
	if (o->deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(s, o), NFS4_OK);
	assert_int_equal(dl_on(s, o->fh, o->fhlen, OP_CLOSE, add_close, &o->stateid), NFS4_OK);
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
	struct dl_open after = dl_open(&a, "ga-after", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(after.status, NFS4_OK);
	uint64_t took = dl_now_ms() - restarted;
	assert_true(took < GRACE_S * 1000 / 4);
	let_go(&a, &after);
	nfs4c_close(a.fd);
	nfs4c_close(b.fd);
}

/* A planned stop (SIGTERM) forgets the clients that hold nothing: after
 * the restart the grace period waits for a, which held an open, and not
 * for b, an idle mount that would notice the restart only at its next
 * renewal. */
static void test_planned_stop_waits_for_holders_only(void **st)
{
	(void)st;
	write_conf();
	assert_int_equal(ferryd_stop(&server), 0);
	assert_int_equal(dl_start(), 0);

	struct nfs4c_sess a, b, c;
	nfs4c_session_up(&a, nfs4c_connect(server.hostport), 940, "planned-a", NULL);
	nfs4c_session_up(&b, nfs4c_connect(server.hostport), 941, "planned-b", NULL);
	struct dl_open o = dl_open(&a, "pa-before", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	nfs4c_close(a.fd);
	nfs4c_close(b.fd);

	assert_int_equal(ferryd_stop(&server), 0);
	assert_int_equal(dl_start(), 0);
	uint64_t restarted = dl_now_ms();
	/* a, in the records, may reclaim: no new state for anyone yet. */
	nfs4c_session_up(&c, nfs4c_connect(server.hostport), 942, "planned-c", NULL);
	assert_int_equal(dl_open(&c, "pc-after", OPEN4_SHARE_ACCESS_BOTH, true).status,
			 NFS4ERR_GRACE);
	nfs4c_session_up_reclaiming(&a, nfs4c_connect(server.hostport), 940, "planned-a", NULL);
	struct nfs4_open_claim prev = {.type = CLAIM_PREVIOUS,
				       .delegate_type = OPEN_DELEGATE_NONE};
	struct dl_open r = dl_open_claim(&a, NULL, OPEN4_SHARE_ACCESS_BOTH, false, &prev, o.fh,
					 o.fhlen);
	assert_int_equal(r.status, NFS4_OK);
	dl_reclaim_complete(&a);
	/* b never came back, and nobody waits for it. */
	struct dl_open after = dl_open(&c, "pc-after", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(after.status, NFS4_OK);
	assert_true(dl_now_ms() - restarted < GRACE_S * 1000 / 4);
	let_go(&a, &r);
	let_go(&c, &after);
	nfs4c_close(a.fd);
	nfs4c_close(c.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_ends_when_all_reclaimed),
		cmocka_unit_test(test_planned_stop_waits_for_holders_only),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
