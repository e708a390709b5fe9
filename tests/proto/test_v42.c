/* NFSv4.2 on a real ferryd: minor version 2 runs on the v4.1 session
 * machinery (EXCHANGE_ID, CREATE_SESSION, SEQUENCE and its reply cache),
 * the operations only 4.2 defines are known there and OP_ILLEGAL in 4.1,
 * and a client registered with 4.2 is counted as one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;

static int setup(void **state) { return ferryd_start(&server, NULL); }
static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

static void test_session_minor2(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up_minor(&s, 2, fd, 0, "v42-session", NULL);
	nfs4c_ping(&s);

	/* A COMPOUND of file operations, its reply kept in the slot. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	static const unsigned bits[] = {FATTR4_TYPE, FATTR4_CHANGE};
	nfs4c_begin_seq(&s, &m, 1, true);
	nfs4c_putrootfh(&m);
	nfs4c_getfh(&m);
	nfs4c_getattr(&m, bits, 2);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(p.nres, 4);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	uint8_t first[4096];
	size_t first_len = p.res_len;
	assert_true(first_len <= sizeof(first));
	memcpy(first, p.res_start, first_len);
	nfs4c_done(&p);

	/* The same slot and seqid again: the kept reply, byte for byte
	 * (RFC 8881 2.10.6.1, unchanged in 4.2). */
	s.seq[1]--;
	nfs4c_begin_seq(&s, &m, 1, true);
	nfs4c_putrootfh(&m);
	nfs4c_getfh(&m);
	nfs4c_getattr(&m, bits, 2);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.res_len, first_len);
	assert_memory_equal(p.res_start, first, first_len);
	nfs4c_done(&p);

	/* A seqid that skips one: the 4.1 rules. */
	s.seq[1]++;
	nfs4c_begin_seq(&s, &m, 1, false);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_SEQ_MISORDERED);
	nfs4c_done(&p);

	/* Without SEQUENCE: OP_NOT_IN_SESSION as in 4.1. */
	nfs4c_begin(&m, 2);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_OP_NOT_IN_SESSION);
	nfs4c_done(&p);

	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&s), NFS4_OK);
	nfs4c_close(fd);
}

/* SEQUENCE, PUTROOTFH, then op (without arguments) in session s; returns
 * the op's status after checking the op number its result names. */
static uint32_t lone_op(struct nfs4c_sess *s, uint32_t opnum, uint32_t want_res_op)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_op(&m, opnum);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, want_res_op);
	assert_int_equal(st, p.status);
	nfs4c_done(&p);
	return st;
}

static void test_v42_ops_by_minor(void **state)
{
	int fd41 = nfs4c_connect(server.hostport), fd42 = nfs4c_connect(server.hostport);
	struct nfs4c_sess s41, s42;
	nfs4c_session_up_minor(&s41, 1, fd41, 0, "v42-ops-41", NULL);
	nfs4c_session_up_minor(&s42, 2, fd42, 0, "v42-ops-42", NULL);
	for (uint32_t op = OP_ALLOCATE; op <= OP_REMOVEXATTR; op++) {
		/* 4.1 does not define them: the result names OP_ILLEGAL. */
		assert_int_equal(lone_op(&s41, op, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
		/* 4.2 does: whatever the outcome (these carry no arguments),
		 * the result names the operation. */
		uint32_t st = lone_op(&s42, op, op);
		assert_int_not_equal(st, NFS4ERR_OP_ILLEGAL);
		assert_int_not_equal(st, NFS4_OK);
	}
	/* Refused for good: WRITE_SAME (RFC 7862 15.12: Ferry has no
	 * application data blocks), and the pNFS reports (no layouts). */
	assert_int_equal(lone_op(&s42, OP_WRITE_SAME, OP_WRITE_SAME), NFS4ERR_NOTSUPP);
	assert_int_equal(lone_op(&s42, OP_LAYOUTERROR, OP_LAYOUTERROR), NFS4ERR_NOTSUPP);
	assert_int_equal(lone_op(&s42, OP_LAYOUTSTATS, OP_LAYOUTSTATS), NFS4ERR_NOTSUPP);
	/* Beyond 4.2's last operation: illegal in 4.2 too. */
	assert_int_equal(lone_op(&s42, OP_REMOVEXATTR + 1, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	nfs4c_close(fd41);
	nfs4c_close(fd42);
}

/* The control plane counts a client by the minor version it registered
 * with. */
static void test_clients_by_minor(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up_minor(&s, 2, fd, 0, "v42-census", NULL);
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_clients{minor=\"2\"}") >= 1);
	assert_true(ctlt_promtool_ok(page));
	free(page);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_minor2),
		cmocka_unit_test(test_v42_ops_by_minor),
		cmocka_unit_test(test_clients_by_minor),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
