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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_error_leaves_slot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
