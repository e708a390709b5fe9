/* NFSv4.1 state through a real ferryd: RECLAIM_COMPLETE, opens, the
 * current stateid, TEST_/FREE_STATEID, DESTROY_SESSION, DESTROY_CLIENTID and
 * BIND_CONN_TO_SESSION. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/nfs4_client.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "proto/v41_fixture.h"

/* --- state: RECLAIM_COMPLETE, opens, current stateid, TEST/FREE_STATEID -------------- */

static void test_state_ops(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	nfs4c_session_up_reclaiming(&s, fd, 0, "state-ops", NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	for (int i = 0; i < 2; i++) {
		nfs4c_begin_seq(&s, &m, 0, false);
		nfs4c_reclaim_complete_op(&m, false);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE),
				 i == 0 ? NFS4_OK : NFS4ERR_COMPLETE_ALREADY);
		nfs4c_done(&p);
	}
	/* OPEN (EXCLUSIVE4_1), then CLOSE with the current stateid, in one
	 * COMPOUND; TEST_STATEID in between says the open stateid is good. */
	nfs4c_begin_seq(&s, &m, 0, true);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_op(&m, OP_OPEN);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 3 | 0x0400 /* WANT_NO_DELEG */);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u64(&m.e, 0xdeadbeef); /* ignored in v4.1 */
	nfs4c_str(&m, "owner");
	xdr_encode_u32(&m.e, 1);
	xdr_encode_u32(&m.e, 3); /* EXCLUSIVE4_1 */
	xdr_encode_opaque_fixed(&m.e, "verifier", 8);
	xdr_encode_u32(&m.e, 2); /* bitmap: mode (33) */
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 1u << 1);
	xdr_encode_u32(&m.e, 4);
	xdr_encode_u32(&m.e, 0640);
	xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
	nfs4c_str(&m, "excl41");
	nfs4c_getfh(&m);
	struct nfs4_stateid cur = {.seqid = 1};
	nfs4c_close_op(&m, 0, &cur);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(p.nres, 6);
	nfs4c_done(&p);
	char path[400];
	snprintf(path, sizeof(path), "%s/export/excl41", server.dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);

	/* OPEN by CLAIM_FH; TEST_STATEID; FREE_STATEID of an open is
	 * LOCKS_HELD; after CLOSE the stateid tests BAD. */
	struct nfs4_stateid sid;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "excl41");
	nfs4c_op(&m, OP_OPEN);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 1);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u64(&m.e, 0);
	nfs4c_str(&m, "owner2");
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 4); /* CLAIM_FH */
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_seq_result(&p, NULL);
	nfs4c_next(&p, OP_PUTROOTFH);
	nfs4c_next(&p, OP_LOOKUP);
	nfs4c_next(&p, OP_LOOKUP);
	assert_int_equal(nfs4c_next(&p, OP_OPEN), NFS4_OK);
	assert_true(nfs4_decode_stateid(&p.d, &sid));
	nfs4c_done(&p);

	struct nfs4_stateid bogus = sid;
	bogus.other[11] ^= 0x5a;
	struct nfs4_stateid old = sid;
	old.seqid = 0; /* "the current one" */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_op(&m, OP_TEST_STATEID);
	xdr_encode_u32(&m.e, 3);
	nfs4_encode_stateid(&m.e, &sid);
	nfs4_encode_stateid(&m.e, &bogus);
	nfs4_encode_stateid(&m.e, &old);
	nfs4c_op(&m, OP_FREE_STATEID);
	nfs4_encode_stateid(&m.e, &sid);
	nfs4c_send(fd, s.cred, &m, &p);
	nfs4c_seq_result(&p, NULL);
	assert_int_equal(nfs4c_next(&p, OP_TEST_STATEID), NFS4_OK);
	uint32_t n = 0, st0 = 0, st1 = 0, st2 = 0;
	assert_true(xdr_decode_u32(&p.d, &n) && n == 3);
	assert_true(xdr_decode_u32(&p.d, &st0) && xdr_decode_u32(&p.d, &st1) &&
		    xdr_decode_u32(&p.d, &st2));
	assert_int_equal(st0, NFS4_OK);
	assert_int_equal(st1, NFS4ERR_BAD_STATEID);
	assert_int_equal(st2, NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_FREE_STATEID), NFS4ERR_LOCKS_HELD);
	nfs4c_done(&p);

	/* The current stateid with none set: BAD_STATEID. */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "excl41");
	nfs4c_close_op(&m, 0, &cur);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_BAD_STATEID);
	nfs4c_done(&p);

	/* CLOSE it; then it tests BAD (never STALE in v4.1). */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "excl41");
	nfs4c_close_op(&m, 0, &sid);
	nfs4c_op(&m, OP_TEST_STATEID);
	xdr_encode_u32(&m.e, 1);
	nfs4_encode_stateid(&m.e, &sid);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_seq_result(&p, NULL);
	nfs4c_next(&p, OP_PUTROOTFH);
	nfs4c_next(&p, OP_LOOKUP);
	nfs4c_next(&p, OP_LOOKUP);
	assert_int_equal(nfs4c_next(&p, OP_CLOSE), NFS4_OK);
	assert_true(xdr_decode_skip(&p.d, 16));
	assert_int_equal(nfs4c_next(&p, OP_TEST_STATEID), NFS4_OK);
	assert_true(xdr_decode_u32(&p.d, &n) && n == 1);
	assert_true(xdr_decode_u32(&p.d, &st0));
	assert_int_equal(st0, NFS4ERR_BAD_STATEID);
	nfs4c_done(&p);

	/* SECINFO_NO_NAME: parent of the root is NOENT; current works and
	 * consumes the filehandle. */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_op(&m, OP_SECINFO_NO_NAME);
	xdr_encode_u32(&m.e, 1);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_NOENT);
	nfs4c_done(&p);
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_op(&m, OP_SECINFO_NO_NAME);
	xdr_encode_u32(&m.e, 0);
	nfs4c_getfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	nfs4c_seq_result(&p, NULL);
	nfs4c_next(&p, OP_PUTROOTFH);
	assert_int_equal(nfs4c_next(&p, OP_SECINFO_NO_NAME), NFS4_OK);
	uint32_t nflav = 0, f0 = 0;
	assert_true(xdr_decode_u32(&p.d, &nflav) && nflav >= 1);
	assert_true(xdr_decode_u32(&p.d, &f0));
	assert_int_equal(f0, RPC_AUTH_SYS);
	assert_true(xdr_decode_skip(&p.d, 4 * (nflav - 1)));
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4ERR_NOFILEHANDLE);
	nfs4c_done(&p);
	close(fd);
}

/* --- DESTROY_SESSION / DESTROY_CLIENTID / BIND_CONN_TO_SESSION -------------------- */

static void test_destroy_and_bind(void **state)
{
	int fd = conn(), fd2 = conn();
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 704, "destroy", NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	/* Bind a second connection (fore) and use it. */
	nfs4c_begin(&m, 1);
	nfs4c_op(&m, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&m.e, s.sid, 16);
	xdr_encode_u32(&m.e, 1); /* FORE: this test answers no callbacks */
	xdr_encode_bool(&m.e, false);
	nfs4c_send(fd2, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_BIND_CONN_TO_SESSION), NFS4_OK);
	const uint8_t *rsid;
	uint32_t dir = 0;
	assert_true(xdr_decode_opaque_fixed(&p.d, 16, &rsid));
	assert_memory_equal(rsid, s.sid, 16);
	assert_true(xdr_decode_u32(&p.d, &dir));
	assert_int_equal(dir, 1);
	nfs4c_done(&p);
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_send(fd2, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_done(&p);
	/* Bad session; BIND not alone. */
	uint8_t bad[16];
	memcpy(bad, s.sid, 16);
	bad[0] ^= 1;
	nfs4c_begin(&m, 1);
	nfs4c_op(&m, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&m.e, bad, 16);
	xdr_encode_u32(&m.e, 1);
	xdr_encode_bool(&m.e, false);
	nfs4c_send(fd2, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_BIND_CONN_TO_SESSION), NFS4ERR_BADSESSION);
	nfs4c_done(&p);

	/* DESTROY_CLIENTID while a session exists: busy. */
	nfs4c_begin(&m, 1);
	nfs4c_destroy_clientid_op(&m, s.clientid);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_CLIENTID), NFS4ERR_CLIENTID_BUSY);
	nfs4c_done(&p);
	/* DESTROY_SESSION inside its own session must be last. */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_destroy_session_op(&m, s.sid);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	nfs4c_seq_result(&p, NULL);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_SESSION), NFS4ERR_NOT_ONLY_OP);
	nfs4c_done(&p);
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_destroy_session_op(&m, s.sid);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_done(&p);
	nfs4c_begin(&m, 1);
	nfs4c_destroy_session_op(&m, s.sid);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_SESSION), NFS4ERR_BADSESSION);
	nfs4c_done(&p);
	for (int i = 0; i < 2; i++) {
		nfs4c_begin(&m, 1);
		nfs4c_destroy_clientid_op(&m, s.clientid);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_next(&p, OP_DESTROY_CLIENTID),
				 i == 0 ? NFS4_OK : NFS4ERR_STALE_CLIENTID);
		nfs4c_done(&p);
	}
	close(fd);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_ops),
		cmocka_unit_test(test_destroy_and_bind),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
