/* Caps on client state ([nfs] max_clients, max_sessions_per_client,
 * max_open_owners_per_client, max_opens_per_client,
 * max_lock_owners_per_client, max_locks_per_client), set small here: a
 * request past one gets the RFC's error (v4.0 NFS4ERR_RESOURCE, v4.1
 * NFS4ERR_DELAY for opens and locks, CREATE_SESSION NFS4ERR_NOSPC,
 * EXCHANGE_ID NFS4ERR_DELAY), makes nothing, and is counted in
 * ferry_state_cap_hits_total; what is given back can be taken again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "proto/state41_helpers.h"

static struct ferryd_proc server;

static int setup(void **state)
{
	(void)state;
	return ferryd_start_export(&server,
				   "[nfs]\nmax_clients = 3\nmax_sessions_per_client = 1\n"
				   "max_open_owners_per_client = 2\nmax_opens_per_client = 2\n"
				   "max_lock_owners_per_client = 1\nmax_locks_per_client = 2\n");
}

static int teardown(void **state)
{
	(void)state;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static double cap_hits(const char *cap)
{
	char series[96];
	snprintf(series, sizeof(series), "ferry_state_cap_hits_total{cap=\"%s\"}", cap);
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

static void test_caps(void **state)
{
	(void)state;
	/* --- v4.0: opens and open owners -------------------------------- */
	int fd40 = nfs4c_connect(server.hostport);
	struct nfs4c_client40 c40;
	assert_int_equal(nfs4c_setclientid(&c40, fd40, nfs4c_root_cred(), "caps-40", 0x40000000,
					   NULL, NULL, 1),
			 NFS4_OK);
	uint32_t seq1 = 1, seq2 = 1, seq3 = 1;
	struct nfs4c_open40 o1, o2, o3;
	assert_int_equal(nfs4c_open40(&c40, "owner-1", &seq1, "export", "f1",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o1),
			 NFS4_OK);
	assert_int_equal(nfs4c_open40(&c40, "owner-2", &seq2, "export", "f2",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o2),
			 NFS4_OK);
	/* A third open owner; then a third open by a known owner. */
	assert_int_equal(nfs4c_open40(&c40, "owner-3", &seq3, "export", "f3",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o3),
			 NFS4ERR_RESOURCE);
	assert_true(cap_hits("open_owners") == 1);
	assert_int_equal(nfs4c_open40(&c40, "owner-1", &seq1, "export", "f3",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o3),
			 NFS4ERR_RESOURCE);
	seq1--; /* NFS4ERR_RESOURCE does not take the seqid */
	assert_true(cap_hits("opens") == 1);
	/* What is given back can be taken again. */
	assert_int_equal(nfs4c_close40(&c40, &seq2, &o2), NFS4_OK);
	assert_int_equal(nfs4c_open40(&c40, "owner-1", &seq1, "export", "f3",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o3),
			 NFS4_OK);

	/* --- v4.1: sessions, opens, lock owners, locks ----------------------- */
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "caps-41", NULL);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, s.cred, "caps-41", "verf0001", 0, SP4_NONE, &e),
			 NFS4_OK);
	struct nfs4c_cs cs;
	assert_int_equal(nfs4c_create_session(fd, s.cred, e.clientid, e.seq, 0, NULL, &cs),
			 NFS4ERR_NOSPC);
	assert_true(cap_hits("sessions") == 1);

	struct nfs4_stateid a, b, c;
	uint8_t fha[NFS4_FHSIZE], fhb[NFS4_FHSIZE], fhc[NFS4_FHSIZE];
	uint32_t la, lb, lc;
	assert_int_equal(open41(&s, "o41", "g1", &a, fha, &la), NFS4_OK);
	assert_int_equal(open41(&s, "o41", "g2", &b, fhb, &lb), NFS4_OK);
	assert_int_equal(open41(&s, "o41", "g3", &c, fhc, &lc), NFS4ERR_DELAY);
	assert_true(cap_hits("opens") == 2);

	struct nfs4_stateid l1, l2;
	assert_int_equal(lock41(&s, fha, la, &a, "lo-1", NULL, 0, &l1), NFS4_OK);
	assert_int_equal(lock41(&s, fhb, lb, &b, "lo-2", NULL, 0, &l2), NFS4ERR_DELAY);
	assert_true(cap_hits("lock_owners") == 1);
	assert_int_equal(lock41(&s, fha, la, NULL, NULL, &l1, 20, &l1), NFS4_OK);
	/* Two ranges held: a third is one too many, LOCKU still works. */
	assert_int_equal(lock41(&s, fha, la, NULL, NULL, &l1, 40, &l2), NFS4ERR_DELAY);
	assert_true(cap_hits("locks") == 1);
	struct nfs4_locku_args u = {.locktype = WRITE_LT, .stateid = l1, .offset = 20,
				    .length = 10};
	assert_int_equal(op41(&s, fha, la, OP_LOCKU, enc_locku, &u, &l1), NFS4_OK);
	assert_int_equal(lock41(&s, fha, la, NULL, NULL, &l1, 40, &l1), NFS4_OK);

	/* --- clients: two so far, a third fits, a fourth does not ----------- */
	int fd3 = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_exchange_id(fd3, nfs4c_root_cred(), "caps-third", "v", 0,
					   SP4_NONE, &e),
			 NFS4_OK);
	assert_int_equal(nfs4c_exchange_id(fd3, nfs4c_root_cred(), "caps-fourth", "v", 0,
					   SP4_NONE, &e),
			 NFS4ERR_DELAY);
	struct nfs4c_client40 c4;
	assert_int_equal(nfs4c_setclientid(&c4, fd3, nfs4c_root_cred(), "caps-fourth-40",
					   0x40000000, NULL, NULL, 1),
			 NFS4ERR_RESOURCE);
	assert_true(cap_hits("clients") == 2);

	struct nfs4_close_args cl = {.stateid = a};
	assert_int_equal(op41(&s, fha, la, OP_CLOSE, enc_close, &cl, NULL), NFS4_OK);
	nfs4c_close(fd3);
	nfs4c_close(fd);
	nfs4c_close(fd40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
