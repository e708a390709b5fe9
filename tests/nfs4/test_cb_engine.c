/* The callback engine against the test client over loopback: the server
 * (rpc + nfs4) runs in this process, so the test queues callbacks with
 * nfs4_cb_queue and sees their done(), while the client's back-channel
 * service answers them as scripted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"

enum { WAIT_MS = 5000 };

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(300, 50, 3);
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

/* A session whose fore connection is its back channel, answered by svc in
 * the background; the probe the first SEQUENCE starts is answered. */
static void back_session(struct cbfix *f, struct nfs4c_sess *s, struct nfs4c_cb *svc,
			 const char *name)
{
	int fd = nfs4c_connect(f->hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	svc->highest_slot = svc->target_highest_slot = 15;
	nfs4c_cb_attach(fd, svc);
	nfs4c_session_up_flags(s, fd, 900, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_bg_start(fd);
	nfs4c_ping(s);
	assert_true(nfs4c_cb_wait(svc, OP_CB_SEQUENCE, 1, WAIT_MS));
}

static void end_session(struct nfs4c_sess *s, struct nfs4c_cb *svc)
{
	nfs4c_close(s->fd);
	nfs4c_cb_destroy(svc);
}

static void test_recall_delivered(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	back_session(f, &s, &svc, "cb-recall");
	cbfix_done_reset();
	struct nfs4_cb_request req;
	cbfix_recall(&req, 3);
	assert_int_equal(nfs4_cb_queue(&f->nfs, s.clientid, &req), 0);
	assert_true(cbfix_wait_done(1, WAIT_MS));
	assert_int_equal(cbfix_dones.status[0], NFS4_OK);
	assert_int_equal(cbfix_dones.tag[0], 3);
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, 0, &r));
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.stateid.seqid, 1);
	assert_memory_equal(r.stateid.other, req.stateid.other, NFS4_OTHER_SIZE);
	assert_true(r.truncate);
	assert_int_equal(r.fhlen, 8);
	assert_memory_equal(r.fh, req.fh, 8);
	assert_true(nfs4_cb_path_up(&f->nfs, s.clientid));
	end_session(&s, &svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_delivered),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
