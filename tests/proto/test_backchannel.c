/* The test client's back-channel service against a real ferryd: the v4.1
 * CB_SEQUENCE probe on a fore connection bound for callbacks, answered
 * well, with an error, with garbage or never, and what SEQUENCE's status
 * flags then say; the same through the background reader; the v4.0
 * CB_NULL probe to the callback listener after SETCLIENTID_CONFIRM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;

static const uint32_t PATH_DOWN = SEQ4_STATUS_CB_PATH_DOWN | SEQ4_STATUS_CB_PATH_DOWN_SESSION;

/* ferryd gives a back-channel call callback_timeout_ms (5 s by default,
 * src/callback/queue.c) before it calls the path down.  The wait for the
 * flag is far longer so a loaded machine, or retries before giving up
 * (docs/ARCHITECTURE.md, "Callbacks"), do not fail the test; it ends as
 * soon as the flag shows. */
enum { PROBE_WAIT_MS = 5000, DOWN_WAIT_MS = 60000 };

static int setup(void **state)
{
	(void)state;
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	/* Whatever identity the export maps the test's root to may create. */
	char p[400];
	snprintf(p, sizeof(p), "%s/export", server.dir);
	return chmod(p, 0777);
}

static int teardown(void **state)
{
	(void)state;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SEQUENCEs until the path-down bits are set (or the wait is over). */
static uint32_t ping_until_down(struct nfs4c_sess *s, unsigned wait_ms)
{
	uint64_t deadline = now_ms() + wait_ms;
	uint32_t flags;
	while (!((flags = nfs4c_ping(s)) & PATH_DOWN) && now_ms() < deadline)
		usleep(100 * 1000);
	return flags;
}

/* A session whose fore connection is also its back channel, served by svc;
 * the first SEQUENCE makes ferryd probe it. */
static void session_with_back(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	nfs4c_session_up_flags(s, fd, 900, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
}

static void assert_probe(struct nfs4c_cb *svc, const struct nfs4c_sess *s, uint32_t status)
{
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(svc, OP_CB_SEQUENCE, 0, &r));
	assert_int_equal(r.prog, NFS4C_CB_PROGRAM);
	assert_int_equal(r.minor, 1);
	assert_memory_equal(r.sessionid.data, s->sid, NFS4_SESSIONID_SIZE);
	assert_int_equal(r.slotid, 0);
	assert_int_equal(r.seqid, 1);
	assert_int_equal(r.status, status);
}

static void end_session(struct nfs4c_sess *s, struct nfs4c_cb *svc)
{
	assert_int_equal(nfs4c_destroy_session(s), NFS4_OK);
	nfs4c_close(s->fd);
	nfs4c_cb_destroy(svc);
}

static void test_v41_probe_answered(void **state)
{
	(void)state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	session_with_back(&s, &svc, "bc-answered");
	/* The probe may come before or after this SEQUENCE's reply. */
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	assert_true(nfs4c_cb_serve(s.fd, 1, PROBE_WAIT_MS));
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_SEQUENCE), 1);
	assert_probe(&svc, &s, NFS4_OK);
	/* Answered: the path is up, and stays so over later requests. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	/* Nothing else was sent: one probe per path. */
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_SEQUENCE), 1);
	end_session(&s, &svc);
}

/* No back channel asked for: no probe, no path-down flag. */
static void test_v41_no_back_channel(void **state)
{
	(void)state;
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_cb svc;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &svc);
	struct nfs4c_sess s;
	nfs4c_session_up_reclaiming(&s, fd, 901, "bc-none", NULL);
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	assert_false(nfs4c_cb_serve(fd, 1, 500));
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	end_session(&s, &svc);
}

static uint32_t answer_serverfault(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				   struct xdr_enc *res)
{
	(void)svc;
	(void)op;
	(void)res;
	return NFS4ERR_SERVERFAULT;
}

static void test_v41_probe_error(void **state)
{
	(void)state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	session_with_back(&s, &svc, "bc-error");
	svc.handlers[OP_CB_SEQUENCE] = answer_serverfault;
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(s.fd, 1, PROBE_WAIT_MS));
	assert_probe(&svc, &s, NFS4ERR_SERVERFAULT);
	assert_int_equal(ping_until_down(&s, DOWN_WAIT_MS) & PATH_DOWN, PATH_DOWN);
	end_session(&s, &svc);
}

/* A CB_SEQUENCE the client refused spent no seqid of its back slot (RFC
 * 8881 2.10.6.1: a slot's sequence advances only with a request the replier
 * took): after BACKCHANNEL_CTL makes ferryd probe again, the probe carries
 * the same seqid, and the client's own bookkeeping takes it. */
static void test_v41_refused_probe_keeps_seqid(void **state)
{
	(void)state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	session_with_back(&s, &svc, "bc-seqid");
	svc.handlers[OP_CB_SEQUENCE] = answer_serverfault;
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(s.fd, 1, PROBE_WAIT_MS));
	assert_probe(&svc, &s, NFS4ERR_SERVERFAULT);
	assert_int_equal(ping_until_down(&s, DOWN_WAIT_MS) & PATH_DOWN, PATH_DOWN);

	/* The client now answers as a client does; BACKCHANNEL_CTL sets the
	 * path to be probed again. */
	svc.handlers[OP_CB_SEQUENCE] = NULL;
	struct nfs4_cb_sec_parms none = {.flavor = RPC_AUTH_NONE};
	struct nfs4_backchannel_ctl_args bc = {.cb_program = NFS4C_CB_PROGRAM};
	bc.sec_parms.l.count = 1;
	bc.sec_parms.items = &none;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	NFS4C_OP(&m, OP_BACKCHANNEL_CTL, nfs4_enc_backchannel_ctl_args, &bc);
	nfs4c_send(s.fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_BACKCHANNEL_CTL), NFS4_OK);
	nfs4c_done(&p);

	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(s.fd, 2, PROBE_WAIT_MS));
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 1, &r));
	assert_int_equal(r.slotid, 0);
	assert_int_equal(r.seqid, 1);
	assert_int_equal(r.status, NFS4_OK);
	end_session(&s, &svc);
}

static void test_v41_probe_garbage(void **state)
{
	(void)state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	session_with_back(&s, &svc, "bc-garbage");
	svc.garbage = true;
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(s.fd, 1, PROBE_WAIT_MS));
	/* Refused before its ops were read: recorded as a bare CB_COMPOUND. */
	assert_int_equal(svc.nrecs, 1);
	assert_int_equal(svc.recs[0].proc, CB_COMPOUND);
	assert_int_equal(svc.recs[0].prog, NFS4C_CB_PROGRAM);
	assert_int_equal(ping_until_down(&s, DOWN_WAIT_MS) & PATH_DOWN, PATH_DOWN);
	end_session(&s, &svc);
}

/* Never answered: down once ferryd's callback timeout has passed, not
 * before the probe was even sent. */
static void test_v41_probe_unanswered(void **state)
{
	(void)state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	session_with_back(&s, &svc, "bc-silent");
	svc.silent = true;
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	assert_true(nfs4c_cb_serve(s.fd, 1, PROBE_WAIT_MS));
	uint64_t probed = now_ms();
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 0, &r));
	assert_memory_equal(r.sessionid.data, s.sid, NFS4_SESSIONID_SIZE);
	/* While ferryd still waits, the path is not called down. */
	assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	assert_int_equal(ping_until_down(&s, DOWN_WAIT_MS) & PATH_DOWN, PATH_DOWN);
	assert_true(now_ms() - probed >= 4000);
	end_session(&s, &svc);
}

/* The background reader answers the probe while the test does nothing but
 * wait on the records. */
static void test_v41_probe_background(void **state)
{
	(void)state;
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_cb svc;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &svc);
	nfs4c_bg_start(fd);
	struct nfs4c_sess s;
	nfs4c_session_up_flags(&s, fd, 902, "bc-bg", NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_SEQUENCE, 1, PROBE_WAIT_MS));
	assert_probe(&svc, &s, NFS4_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nfs4c_ping(&s) & PATH_DOWN, 0);
	end_session(&s, &svc);
}

static void test_v40_cb_null(void **state)
{
	(void)state;
	struct nfs4c_cb svc;
	struct nfs4c_cb_listener l;
	enum { PROG = 0x40000123 };
	nfs4c_cb_init(&svc, PROG);
	assert_int_equal(nfs4c_cb_listen(&l, &svc), 0);
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_client40 c;
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_root_cred(), "bc-v40", PROG, "tcp",
					   l.uaddr, 7),
			 NFS4_OK);
	assert_true(nfs4c_cb_wait(&svc, 0, 1, PROBE_WAIT_MS));
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, 0, 0, &r));
	assert_int_equal(r.proc, CB_NULL);
	assert_int_equal(r.prog, PROG);
	/* A CB_NULL is all the probe is. */
	assert_int_equal(nfs4c_cb_count(&svc, OP_CB_RECALL), 0);
	/* The client's OPEN (confirmed) and CLOSE work with the path up. */
	uint32_t seqid = 1;
	struct nfs4c_open40 o;
	assert_int_equal(nfs4c_open40(&c, "bc-owner", &seqid, "export", "bc-v40-file",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o),
			 NFS4_OK);
	assert_true(o.fhlen > 0);
	assert_int_equal(seqid, (o.rflags & OPEN4_RESULT_CONFIRM) ? 3 : 2);
	assert_int_equal(nfs4c_close40(&c, &seqid, &o), NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&svc, 0), 1);
	nfs4c_close(fd);
	nfs4c_cb_listen_stop(&l);
	nfs4c_cb_destroy(&svc);
}

/* --- answered by a test handler; a back connection that went ---------------------- */

/* Every CB_COMPOUND that arrives meanwhile is answered by svc: CB_SEQUENCE
 * with cb_status (NFS4_OK: the client's default slot bookkeeping), or, with
 * cb_wrong_session, NFS4_OK naming another session. */
static uint32_t cb_status;
static bool cb_wrong_session;

static uint32_t answer_cb_sequence(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				   struct xdr_enc *res)
{
	if (cb_wrong_session) {
		struct nfs4_cb_sequence_res sr = {
			.sessionid = op->u.sequence.sessionid,
			.sequenceid = op->u.sequence.sequenceid,
			.slotid = op->u.sequence.slotid,
			.highest_slotid = op->u.sequence.highest_slotid,
			.target_highest_slotid = op->u.sequence.highest_slotid,
		};
		sr.sessionid.data[0] ^= 0xff;
		return nfs4_enc_cb_sequence_res(res, &sr) ? NFS4_OK : NFS4ERR_RESOURCE;
	}
	if (cb_status == NFS4_OK)
		return nfs4c_cb_default_sequence(svc, op, res);
	return cb_status;
}

static void test_v41_probe_status_and_gone(void **state)
{
	/* Answered well; refused; answered for another session, which is no
	 * answer to this session's probe. */
	for (int variant = 0; variant < 3; variant++) {
		int fd = nfs4c_connect(server.hostport);
		struct rpc_cred cred = *nfs4c_cred(705);
		struct nfs4c_eid e;
		char name[32];
		snprintf(name, sizeof(name), "backchannel-%d", variant);
		assert_int_equal(nfs4c_exchange_id(fd, &cred, name, "v1", 0, 0, &e), NFS4_OK);
		struct nfs4c_cs cs;
		assert_int_equal(nfs4c_create_session(fd, &cred, e.clientid, e.seq,
						      CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
						    NULL, &cs),
				 NFS4_OK);
		struct nfs4c_cb svc;
		nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
		svc.handlers[OP_CB_SEQUENCE] = answer_cb_sequence;
		nfs4c_cb_attach(fd, &svc);
		cb_status = variant == 1 ? NFS4ERR_BADSESSION : NFS4_OK;
		cb_wrong_session = variant == 2;
		uint32_t flags = 0;
		/* The first SEQUENCE starts the probe; answer it. */
		for (uint32_t seq = 1; seq <= 3; seq++) {
			struct nfs4c_call m;
			struct nfs4c_reply p;
			nfs4c_begin(&m, 1);
			nfs4c_sequence_op(&m, cs.sid, seq, 0, 0, false);
			nfs4c_send(fd, &cred, &m, &p);
			assert_int_equal(nfs4c_seq_result(&p, &flags), NFS4_OK);
			nfs4c_done(&p);
			/* The probe is queued, not sent inline: serve it. */
			if (seq == 1)
				nfs4c_cb_serve(fd, 1, 2000);
			if (nfs4c_cb_count(&svc, OP_CB_SEQUENCE))
				usleep(100 * 1000); /* let the server take the answer */
		}
		assert_true(nfs4c_cb_count(&svc, OP_CB_SEQUENCE) >= 1);
		/* Only CB_COMPOUNDs to the program CREATE_SESSION named arrived. */
		for (unsigned i = 0; i < svc.nrecs; i++) {
			assert_int_equal(svc.recs[i].prog, NFS4C_CB_PROGRAM);
			assert_int_equal(svc.recs[i].proc, CB_COMPOUND);
		}
		cb_wrong_session = false;
		if (variant == 0)
			assert_int_equal(flags & 0x201, 0);
		else
			assert_int_equal(flags & 0x201, 0x201); /* CB_PATH_DOWN(_SESSION) */
		nfs4c_close(fd);
		nfs4c_cb_destroy(&svc);
	}
	/* A session that asked for a back channel but whose connection went:
	 * CB_PATH_DOWN_SESSION until another one is bound. */
	int fd = nfs4c_connect(server.hostport), fd2 = nfs4c_connect(server.hostport);
	struct rpc_cred cred = *nfs4c_cred(706);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, &cred, "backchannel-gone", "v1", 0, 0, &e), NFS4_OK);
	struct nfs4c_cs cs;
	assert_int_equal(
		nfs4c_create_session(fd, &cred, e.clientid, e.seq,
				     CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, &cs),
		NFS4_OK);
	close(fd);
	usleep(200 * 1000);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	uint32_t flags = 0;
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, cs.sid, 1, 0, 0, false);
	nfs4c_send(fd2, &cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, &flags), NFS4_OK);
	assert_int_equal(flags & 0x200, 0x200);
	nfs4c_done(&p);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v41_probe_answered),
		cmocka_unit_test(test_v41_no_back_channel),
		cmocka_unit_test(test_v41_probe_error),
		cmocka_unit_test(test_v41_refused_probe_keeps_seqid),
		cmocka_unit_test(test_v41_probe_garbage),
		cmocka_unit_test(test_v41_probe_unanswered),
		cmocka_unit_test(test_v41_probe_background),
		cmocka_unit_test(test_v41_probe_status_and_gone),
		cmocka_unit_test(test_v40_cb_null),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
