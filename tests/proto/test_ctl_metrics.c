/* /metrics moves as the traffic says: SEQUENCEs, a replay, a misordered
 * seqid, operations by minor version, RPC errors; and promtool accepts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;

static int setup(void **state) { return ferryd_start(&server, NULL); }
static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

static bool log_has(const char *text) { return ferryd_log_has(&server, text); }

#define SEQ_ERR(kind) "ferry_sequence_errors_total{kind=\"" kind "\"}"
#define OPS(op, minor) "ferry_nfs_ops_total{op=\"" op "\",minor=\"" minor "\"}"

static void test_sequence_counters(void **state)
{
	enum { N = 7 };
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "metrics-client", NULL);

	char *before = ctlt_scrape(&server);
	assert_true(ctlt_metric(before, "ferry_sequence_total") >= 1);
	assert_true(ctlt_metric(before, "ferry_sessions") == 1);

	for (int i = 0; i < N; i++)
		nfs4c_ping(&s);

	/* A retransmission of the last request on slot 1, kept by the server
	 * (cachethis), is answered from the slot. */
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin_seq(&s, &m, 1, true);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	nfs4c_done(&r);
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, s.sid, s.seq[1], 1, s.nslots - 1, true);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	nfs4c_done(&r);

	/* A seqid from the future. */
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, s.sid, s.seq[0] + 5, 0, s.nslots - 1, false);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4ERR_SEQ_MISORDERED);
	nfs4c_done(&r);

	/* A v4.0 COMPOUND, counted under minor 0. */
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, nfs4c_root_cred(), &m, &r);
	assert_int_equal(r.status, NFS4_OK);
	nfs4c_done(&r);

	char *after = ctlt_scrape(&server);
	/* N pings, the new request on slot 1, its replay, the misordered one. */
	assert_int_equal(ctlt_metric(after, "ferry_sequence_total") -
				 ctlt_metric(before, "ferry_sequence_total"),
			 N + 3);
	assert_int_equal(ctlt_metric(after, "ferry_sequence_replay_hits_total") -
				 ctlt_metric(before, "ferry_sequence_replay_hits_total"),
			 1);
	assert_int_equal(ctlt_metric(after, SEQ_ERR("seq_misordered")) -
				 ctlt_metric(before, SEQ_ERR("seq_misordered")),
			 1);
	assert_int_equal(ctlt_metric(after, SEQ_ERR("badslot")),
			 ctlt_metric(before, SEQ_ERR("badslot")));
	assert_int_equal(ctlt_metric(after, OPS("SEQUENCE", "1")) -
				 ctlt_metric(before, OPS("SEQUENCE", "1")),
			 N + 3);
	assert_true(ctlt_metric(after, OPS("PUTROOTFH", "0")) >= 1);
	assert_int_equal(ctlt_metric(after, "ferry_nfs_op_errors_total{op=\"SEQUENCE\",minor=\"1\"}") -
				 ctlt_metric(before,
					     "ferry_nfs_op_errors_total{op=\"SEQUENCE\",minor=\"1\"}"),
			 1);
	/* The histogram's +Inf bucket is the count. */
	assert_int_equal(
		ctlt_metric(after,
			    "ferry_nfs_op_duration_seconds_bucket{op=\"SEQUENCE\",minor=\"1\",le=\"+Inf\"}"),
		ctlt_metric(after, OPS("SEQUENCE", "1")));
	assert_int_equal(ctlt_metric(after, "ferry_clients{minor=\"1\"}"), 1);
	assert_true(ctlt_metric(after, "ferry_reply_cache_bytes") > 0);
	assert_int_equal(ctlt_metric(after, "ferry_sessions_by_slots_in_use{slots=\"0\"}"), 1);
	assert_int_equal(ctlt_metric(after, "ferry_rpc_connections"), 1);
	assert_true(ctlt_metric(after, "process_resident_memory_bytes") > 0);
	assert_true(ctlt_metric(after, "process_open_fds") > 0);
	assert_true(ctlt_promtool_ok(after));
	free(before);
	free(after);

	/* The log names slot and seqids of the error, and the replay. */
	char want[128];
	snprintf(want, sizeof(want), "slot 0, expected seqid %u, got %u", s.seq[0] + 1,
		 s.seq[0] + 5);
	assert_true(log_has("SEQUENCE NFS4ERR_SEQ_MISORDERED: session "));
	assert_true(log_has(want));
	snprintf(want, sizeof(want), "SEQUENCE replay from the reply cache: session");
	assert_true(log_has(want));
	nfs4c_close(fd);
}

/* Requests past the session's negotiated limits count by kind. */
static void test_limit_errors(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	struct nfs4c_attrs a = {0, 1024, 1024, 700, 6, 4};
	nfs4c_session_up(&s, fd, 0, "metrics-limits", &a);
	char *before = ctlt_scrape(&server);
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin_seq(&s, &m, 0, false);
	for (int i = 0; i < 6; i++)
		nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4ERR_TOO_MANY_OPS);
	nfs4c_done(&r);
	s.seq[0]--;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_op(&m, OP_LOOKUP);
	char name[1100];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nfs4c_str(&m, name);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4ERR_REQ_TOO_BIG);
	nfs4c_done(&r);
	char *after = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(after, SEQ_ERR("too_many_ops")) -
				 ctlt_metric(before, SEQ_ERR("too_many_ops")),
			 1);
	assert_int_equal(ctlt_metric(after, SEQ_ERR("req_too_big")) -
				 ctlt_metric(before, SEQ_ERR("req_too_big")),
			 1);
	assert_true(ctlt_metric(after, SEQ_ERR("rep_too_big")) >= 0);
	assert_true(ctlt_promtool_ok(after));
	free(before);
	free(after);
	nfs4c_close(fd);
}

/* A back channel's probe is a callback: it counts, and the session shows
 * its back channel up. */
static void test_callback_counted(void **state)
{
	char *before = ctlt_scrape(&server);
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_cb svc;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &svc);
	struct nfs4c_sess s;
	nfs4c_session_up_flags(&s, fd, 0, "metrics-cb", NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(fd, 1, 5000));
	assert_true(nfs4c_cb_wait(&svc, OP_CB_SEQUENCE, 1, 5000));
	/* The probe's outcome is recorded once its reply is in. */
	char *after = NULL;
	for (int i = 0; i < 500; i++) {
		free(after);
		after = ctlt_scrape(&server);
		if (ctlt_metric(after, "ferry_callbacks_total{op=\"probe\",result=\"ok\"}") >
		    ctlt_metric(before, "ferry_callbacks_total{op=\"probe\",result=\"ok\"}"))
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(ctlt_metric(after, "ferry_callbacks_total{op=\"probe\",result=\"ok\"}") -
				 ctlt_metric(before, "ferry_callbacks_total{op=\"probe\",result=\"ok\"}"),
			 1);
	assert_int_equal(ctlt_metric(after, "ferry_callbacks_total{op=\"probe\",result=\"failed\"}"),
			 ctlt_metric(before, "ferry_callbacks_total{op=\"probe\",result=\"failed\"}"));
	assert_true(ctlt_metric(after, "ferry_sessions_back_channel{state=\"up\"}") >= 1);
	free(before);
	free(after);
	nfs4c_close(fd);
	nfs4c_cb_destroy(&svc);
}

/* A call to a program ferryd does not serve is an RPC error of its kind. */
static void test_rpc_errors(void **state)
{
	char *before = ctlt_scrape(&server);
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, 77, 100999, 1, 0, NULL, NULL, 0, &r), 0);
	rpctest_reply_release(&r);
	close(fd);
	char *after = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(after, "ferry_rpc_errors_total{kind=\"prog_unavail\"}") -
				 ctlt_metric(before, "ferry_rpc_errors_total{kind=\"prog_unavail\"}"),
			 1);
	assert_true(ctlt_metric(after, "ferry_rpc_calls_total") >
		    ctlt_metric(before, "ferry_rpc_calls_total"));
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_counters),
		cmocka_unit_test(test_rpc_errors),
		cmocka_unit_test(test_limit_errors),
		cmocka_unit_test(test_callback_counted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
