/* Exactly-once edge cases of NFSv4.1 through a real ferryd: a SEQUENCE that
 * fails leaves its slot as it was (RFC 8881 18.46.3), DESTROY_SESSION's
 * rules on the connection it comes on (18.37.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/nfs4_client.h"
#include "proto/v41_fixture.h"

/* SEQUENCE alone on slot with seqid; its status. */
static uint32_t sequence_only(struct nfs4c_sess *s, uint32_t slot, uint32_t seqid, bool cachethis)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, s->sid, seqid, slot, s->nslots - 1, cachethis);
	nfs4c_send(s->fd, s->cred, &m, &p);
	uint32_t status = nfs4c_seq_result(&p, NULL);
	nfs4c_done(&p);
	return status;
}

/* A SEQUENCE whose own reply cannot be kept (sa_cachethis with a
 * ca_maxresponsesize_cached smaller than RPC header 24 + COMPOUND header 20
 * + SEQUENCE 44 bytes) fails with REP_TOO_BIG_TO_CACHE, and the slot stays
 * where it was: the same seqid is still the next one (without cachethis it
 * runs), the one after it is misordered, and nothing was kept to replay. */
static void test_sequence_error_leaves_slot(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	struct nfs4c_attrs a = {0, 1024, 1024, 60, 8, 4};
	nfs4c_session_up(&s, fd, 730, "seq-error-slot", &a);
	assert_int_equal(sequence_only(&s, 0, 1, true), NFS4ERR_REP_TOO_BIG_TO_CACHE);
	/* Again: refused anew, not a replay of a kept error. */
	assert_int_equal(sequence_only(&s, 0, 1, true), NFS4ERR_REP_TOO_BIG_TO_CACHE);
	assert_int_equal(sequence_only(&s, 0, 2, false), NFS4ERR_SEQ_MISORDERED);
	assert_int_equal(sequence_only(&s, 0, 1, false), NFS4_OK);
	assert_int_equal(sequence_only(&s, 0, 2, false), NFS4_OK);
	close(fd);
}

/* DESTROY_SESSION alone in a COMPOUND on fd; its status. */
static uint32_t destroy_session_on(int fd, const struct rpc_cred *cred, const uint8_t sid[16])
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_destroy_session_op(&m, sid);
	nfs4c_send(fd, cred, &m, &p);
	uint32_t status = p.status;
	nfs4c_done(&p);
	return status;
}

/* RFC 8881 18.37.3: DESTROY_SESSION must come on a connection bound to the
 * session it destroys, unless the COMPOUND's SEQUENCE is on that session
 * (which binds it).  A connection that never spoke, or one bound only to
 * another session, gets CONN_NOT_BOUND_TO_SESSION and the session lives on;
 * once a SEQUENCE of the session came over it, the destroy succeeds. */
static void test_destroy_session_unbound_conn(void **state)
{
	int fd = conn(), fd_other = conn(), rogue = conn();
	struct nfs4c_sess s, other;
	nfs4c_session_up(&s, fd, 731, "destroy-unbound", NULL);
	nfs4c_session_up(&other, fd_other, 732, "destroy-unbound-other", NULL);
	assert_int_equal(destroy_session_on(rogue, s.cred, s.sid),
			 NFS4ERR_CONN_NOT_BOUND_TO_SESSION);

	/* In a COMPOUND whose SEQUENCE is on another session, from a
	 * connection bound to that other one only. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	other.fd = rogue;
	nfs4c_begin_seq(&other, &m, 0, false);
	nfs4c_destroy_session_op(&m, s.sid);
	nfs4c_send(rogue, other.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_SESSION), NFS4ERR_CONN_NOT_BOUND_TO_SESSION);
	nfs4c_done(&p);
	/* The session is still there. */
	nfs4c_ping(&s);

	/* A SEQUENCE of the session binds rogue; then the destroy works. */
	s.fd = rogue;
	nfs4c_ping(&s);
	assert_int_equal(destroy_session_on(rogue, s.cred, s.sid), NFS4_OK);
	assert_int_equal(sequence_only(&other, 0, other.seq[0] + 1, false), NFS4_OK);
	close(fd);
	close(fd_other);
	close(rogue);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_error_leaves_slot),
		cmocka_unit_test(test_destroy_session_unbound_conn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
