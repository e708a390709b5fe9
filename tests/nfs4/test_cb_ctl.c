/* BACKCHANNEL_CTL (RFC 8881 18.33) and the callback security of
 * CREATE_SESSION: program and flavor stored per session and used on the
 * next callback; AUTH_NONE and AUTH_SYS; RPCSEC_GSS handles, which Ferry
 * does not have, are NFS4ERR_NOENT; a session whose client allows only GSS
 * has no usable back channel (never a fallback to a flavor it did not
 * list). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>

#include "nfs4/cb_fixture.h"

enum { PROG2 = 0x40000777 };

static int setup(void **state)
{
	struct cbfix *f = cbfix_start(300, 50, 1);
	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	cbfix_stop(*state);
	return 0;
}

static void recall_ok(struct cbfix *f, uint64_t clientid, unsigned k, unsigned ndone)
{
	struct cbfix_req req;
	cbfix_recall(&req, k);
	assert_int_equal(cbfix_queue(f->nfs.cb, clientid, &req), 0);
	assert_true(cbfix_wait_done(ndone, WAIT_MS));
	assert_int_equal(cbfix_dones.status[ndone - 1], NFS4_OK);
}

/* A new program and AUTH_SYS: the next callback carries both. */
static void test_ctl_program_and_sys(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "ctl-sys");
	cbfix_done_reset();
	recall_ok(f, s.clientid, 1, 1);
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, 0, &r));
	assert_int_equal(r.prog, NFS4C_CB_PROGRAM);
	assert_int_equal(r.cred_flavor, RPC_AUTH_NONE);

	/* The service answers the new program only. */
	nfs4c_bg_stop(s.fd);
	svc.program = PROG2;
	static const uint32_t sys[] = {RPC_AUTH_SYS};
	assert_int_equal(nfs4c_backchannel_ctl(&s, PROG2, sys, 1), NFS4_OK);
	nfs4c_bg_start(s.fd);
	/* The path is probed again on the next SEQUENCE. */
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_SEQUENCE, 3, WAIT_MS));
	cbfix_quiesce(f);
	recall_ok(f, s.clientid, 2, 2);
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, 1, &r));
	assert_int_equal(r.prog, PROG2);
	assert_int_equal(r.cred_flavor, RPC_AUTH_SYS);
	assert_int_equal(r.cred_uid, s.cred->uid);
	cbfix_end_session(&s, &svc);
}

/* The errors: a GSS handle Ferry does not have; no flavor at all; a
 * session without a back channel; outside a SEQUENCE. */
static void test_ctl_errors(void **state)
{
	struct cbfix *f = *state;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	cbfix_back_session(f, &s, &svc, "ctl-errors");
	nfs4c_bg_stop(s.fd);
	static const uint32_t gss[] = {RPC_AUTH_NONE, RPCSEC_GSS};
	assert_int_equal(nfs4c_backchannel_ctl(&s, NFS4C_CB_PROGRAM, gss, 2), NFS4ERR_NOENT);
	assert_int_equal(nfs4c_backchannel_ctl(&s, NFS4C_CB_PROGRAM, NULL, 0), NFS4ERR_INVAL);
	nfs4c_bg_start(s.fd);
	/* Nothing changed: callbacks still go with AUTH_NONE to the program. */
	cbfix_done_reset();
	recall_ok(f, s.clientid, 1, 1);
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_RECALL, 0, &r));
	assert_int_equal(r.prog, NFS4C_CB_PROGRAM);
	assert_int_equal(r.cred_flavor, RPC_AUTH_NONE);

	/* BACKCHANNEL_CTL must follow SEQUENCE. */
	nfs4c_bg_stop(s.fd);
	struct nfs4_cb_sec_parms none = {.flavor = RPC_AUTH_NONE};
	struct nfs4_backchannel_ctl_args bc = {.cb_program = NFS4C_CB_PROGRAM};
	bc.sec_parms.l.count = 1;
	bc.sec_parms.items = &none;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	NFS4C_OP(&m, OP_BACKCHANNEL_CTL, nfs4_enc_backchannel_ctl_args, &bc);
	nfs4c_send(s.fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_OP_NOT_IN_SESSION);
	nfs4c_done(&p);
	nfs4c_bg_start(s.fd);
	cbfix_end_session(&s, &svc);

	/* No back channel asked for, none bound. */
	int fd = nfs4c_connect(f->hostport);
	struct nfs4c_sess s2;
	nfs4c_session_up(&s2, fd, 910, "ctl-noback", NULL);
	static const uint32_t none1[] = {RPC_AUTH_NONE};
	assert_int_equal(nfs4c_backchannel_ctl(&s2, NFS4C_CB_PROGRAM, none1, 1), NFS4ERR_INVAL);
	nfs4c_close(fd);
}

/* CREATE_SESSION allowing only RPCSEC_GSS: the session works, its back
 * channel is reported down and nothing is called back (no AUTH_NONE
 * fallback); BACKCHANNEL_CTL with AUTH_NONE makes it usable. */
static void test_gss_only_session(void **state)
{
	struct cbfix *f = *state;
	int fd = nfs4c_connect(f->hostport);
	struct nfs4c_cb svc;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &svc);
	struct nfs4c_sess s;
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.cred_store = *nfs4c_cred(920);
	s.cred = &s.cred_store;
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, s.cred, "ctl-gss", "v1", 0, 0, &e), NFS4_OK);
	s.clientid = e.clientid;
	static const uint32_t gss[] = {RPCSEC_GSS};
	struct nfs4c_cs cs;
	assert_int_equal(nfs4c_create_session_sec(fd, s.cred, e.clientid, e.seq,
						  CREATE_SESSION4_FLAG_CONN_BACK_CHAN, NULL, gss, 1,
						  &cs),
			 NFS4_OK);
	memcpy(s.sid, cs.sid, 16);
	s.nslots = cs.fore.maxreqs;
	uint32_t flags = nfs4c_ping(&s);
	assert_int_equal(flags & SEQ4_STATUS_CB_PATH_DOWN_SESSION, SEQ4_STATUS_CB_PATH_DOWN_SESSION);
	assert_int_equal(flags & SEQ4_STATUS_CB_PATH_DOWN, SEQ4_STATUS_CB_PATH_DOWN);
	struct cbfix_req req;
	cbfix_recall(&req, 1);
	assert_int_equal(cbfix_queue(f->nfs.cb, s.clientid, &req), -ENOTCONN);
	assert_false(cb_path_up(f->nfs.cb, s.clientid));
	nfs4c_ping(&s);
	usleep(100 * 1000);
	assert_false(nfs4c_cb_serve(fd, 1, 200));
	assert_int_equal(svc.nrecs, 0);

	static const uint32_t none1[] = {RPC_AUTH_NONE};
	assert_int_equal(nfs4c_backchannel_ctl(&s, NFS4C_CB_PROGRAM, none1, 1), NFS4_OK);
	nfs4c_bg_start(fd);
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_wait(&svc, OP_CB_SEQUENCE, 1, WAIT_MS));
	for (unsigned waited = 0; !cb_path_up(f->nfs.cb, s.clientid); waited += 5) {
		assert_true(waited < WAIT_MS);
		usleep(5 * 1000);
	}
	cbfix_quiesce(f);
	cbfix_done_reset();
	recall_ok(f, s.clientid, 2, 1);
	assert_int_equal(nfs4c_ping(&s) & SEQ4_STATUS_CB_PATH_DOWN_SESSION, 0);
	nfs4c_close(fd);
	nfs4c_cb_destroy(&svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_program_and_sys),
		cmocka_unit_test(test_ctl_errors),
		cmocka_unit_test(test_gss_only_session),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
