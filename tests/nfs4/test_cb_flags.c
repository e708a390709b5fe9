/* The SEQUENCE status flags of the back channel: CB_PATH_DOWN_SESSION for
 * the session whose back channel does not work, CB_PATH_DOWN only when no
 * session of the client has a working one, RECALLABLE_STATE_REVOKED while
 * the owner of delegations says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"
#include "state/clients/session.h"

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(200, 30, 1);
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

/* Two sessions of one client, each with its own back connection: the
 * first's goes silent and is found down; the second still works. */
static void test_path_down_per_session(void **state)
{
	struct cbfix *f = *state;
	int fd1 = nfs4c_connect(f->hostport), fd2 = nfs4c_connect(f->hostport);
	const struct rpc_cred *cred = nfs4c_cred(940);
	struct nfs4c_cb svc1, svc2;
	nfs4c_cb_init(&svc1, NFS4C_CB_PROGRAM);
	nfs4c_cb_init(&svc2, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd1, &svc1);
	nfs4c_cb_attach(fd2, &svc2);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd1, cred, "flags-two", "v1", 0, 0, &e), NFS4_OK);
	struct nfs4c_cs cs1, cs2;
	assert_int_equal(nfs4c_create_session(fd1, cred, e.clientid, e.seq,
					      CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, &cs1),
			 NFS4_OK);
	assert_int_equal(nfs4c_create_session(fd2, cred, e.clientid, e.seq + 1,
					      CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, &cs2),
			 NFS4_OK);
	nfs4c_bg_start(fd1);
	nfs4c_bg_start(fd2);
	struct nfs4c_sess s1 = {.fd = fd1, .cred = cred, .clientid = e.clientid, .nslots = 1};
	struct nfs4c_sess s2 = {.fd = fd2, .cred = cred, .clientid = e.clientid, .nslots = 1};
	memcpy(s1.sid, cs1.sid, 16);
	memcpy(s2.sid, cs2.sid, 16);
	/* Both probed and up. */
	nfs4c_ping(&s1);
	nfs4c_ping(&s2);
	assert_true(nfs4c_cb_wait(&svc1, OP_CB_SEQUENCE, 1, WAIT_MS));
	assert_true(nfs4c_cb_wait(&svc2, OP_CB_SEQUENCE, 1, WAIT_MS));
	cbfix_quiesce(f);
	assert_int_equal(nfs4c_ping(&s1) & 0x201, 0);
	assert_int_equal(nfs4c_ping(&s2) & 0x201, 0);

	/* The first goes silent; BACKCHANNEL_CTL makes it be probed again,
	 * the probe times out and the first's path is down. */
	svc1.silent = true;
	nfs4c_bg_stop(fd1);
	static const uint32_t none[] = {RPC_AUTH_NONE};
	assert_int_equal(nfs4c_backchannel_ctl(&s1, NFS4C_CB_PROGRAM, none, 1), NFS4_OK);
	nfs4c_bg_start(fd1);
	nfs4c_ping(&s1);
	uint32_t f1 = cbfix_ping_until(&s1, SEQ4_STATUS_CB_PATH_DOWN_SESSION, WAIT_MS);
	assert_int_equal(f1 & SEQ4_STATUS_CB_PATH_DOWN_SESSION, SEQ4_STATUS_CB_PATH_DOWN_SESSION);
	/* The second works: the client's path is not down. */
	assert_int_equal(f1 & SEQ4_STATUS_CB_PATH_DOWN, 0);
	assert_int_equal(nfs4c_ping(&s2) & 0x201, 0);
	assert_true(cb_path_up(f->nfs.cb, e.clientid));
	/* Callbacks go where the path is up. */
	cbfix_quiesce(f);
	cbfix_done_reset();
	struct cbfix_req req;
	cbfix_recall(&req, 1);
	assert_int_equal(cbfix_queue(f->nfs.cb, e.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_int_equal(nfs4c_cb_count(&svc2, OP_CB_RECALL), 1);
	assert_int_equal(nfs4c_cb_count(&svc1, OP_CB_RECALL), 0);

	/* The second's connection goes: no session works any more. */
	nfs4c_close(fd2);
	usleep(100 * 1000);
	uint32_t f2 = nfs4c_ping(&s1);
	assert_int_equal(f2 & 0x201, 0x201);
	assert_false(cb_path_up(f->nfs.cb, e.clientid));
	nfs4c_close(fd1);
	nfs4c_cb_destroy(&svc1);
	nfs4c_cb_destroy(&svc2);
}

static void test_recallable_state_revoked(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "flags-revoked");
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED, 0);
	state_client_set_revoked(f->nfs.state, s.clientid, true);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED,
			 SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED,
			 SEQ4_STATUS_RECALLABLE_STATE_REVOKED);
	state_client_set_revoked(f->nfs.state, s.clientid, false);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_RECALLABLE_STATE_REVOKED, 0);
	cbfix_end_session(&s, &svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_down_per_session),
		cmocka_unit_test(test_recallable_state_revoked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
