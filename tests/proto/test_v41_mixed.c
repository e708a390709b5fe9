/* v4.0 and v4.1 together on one ferryd: COMPOUNDs of both minor versions
 * interleaved on one connection, and many threads of mixed traffic (v4.0
 * clients, v4.1 sessions shared over several connections, opens and closes
 * through the current stateid, reconnects that unbind connections). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/nfs4_client.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"

static struct ferryd_proc server;

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	char p[400];
	snprintf(p, sizeof(p), "%s/export", server.dir);
	chmod(p, 0777);
	return 0;
}

static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

static void put_getattr(struct nfs4c_call *m)
{
	static const unsigned bits[] = {FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE};
	nfs4c_getattr(m, bits, 3);
}

static void put_renew(struct nfs4c_call *m, uint64_t clientid)
{
	struct nfs4_renew_args a = {.clientid = clientid};
	NFS4C_OP(m, OP_RENEW, nfs4_enc_renew_args, &a);
}

/* v4.0 SETCLIENTID + SETCLIENTID_CONFIRM on fd; returns the clientid. */
static uint64_t v40_client(int fd, const struct rpc_cred *cred, const char *name)
{
	struct nfs4c_client40 c;
	assert_int_equal(nfs4c_setclientid(&c, fd, cred, name, 0x40000000, "tcp", "127.0.0.1.0.1",
					   1),
			 NFS4_OK);
	return c.clientid;
}

static void test_interleaved_one_connection(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpc_cred c40 = *nfs4c_cred(800);
	uint64_t id40 = v40_client(fd, &c40, "mixed-v40");
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 801, "mixed-v41", NULL);
	for (int i = 0; i < 50; i++) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		if (i % 2 == 0) {
			nfs4c_begin(&m, 0);
			put_renew(&m, id40);
			nfs4c_putrootfh(&m);
			put_getattr(&m);
			nfs4c_send(fd, &c40, &m, &p);
			assert_int_equal(p.status, NFS4_OK);
			assert_int_equal(p.nres, 3);
		} else {
			nfs4c_begin_seq(&s, &m, (uint32_t)i % s.nslots, i % 3 == 0);
			nfs4c_putrootfh(&m);
			put_getattr(&m);
			nfs4c_send(fd, s.cred, &m, &p);
			assert_int_equal(p.status, NFS4_OK);
			assert_int_equal(p.nres, 3);
		}
		nfs4c_done(&p);
	}
	/* A v4.0 op in a v4.1 COMPOUND and the reverse, on the same
	 * connection, change nothing for the next ones. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	put_renew(&m, id40);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_NOTSUPP);
	nfs4c_done(&p);
	nfs4c_begin(&m, 0);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, &c40, &m, &p);
	assert_int_equal(p.status, NFS4ERR_OP_ILLEGAL);
	nfs4c_done(&p);
	nfs4c_begin(&m, 0);
	put_renew(&m, id40);
	nfs4c_send(fd, &c40, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_done(&p);
	/* Minor version 2 is served, on the session rules of 4.1;
	 * 3 is not. */
	nfs4c_begin(&m, 2);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, &c40, &m, &p);
	assert_int_equal(p.status, NFS4ERR_OP_NOT_IN_SESSION);
	nfs4c_done(&p);
	nfs4c_begin(&m, 3);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, &c40, &m, &p);
	assert_int_equal(p.status, NFS4ERR_MINOR_VERS_MISMATCH);
	nfs4c_done(&p);
	close(fd);
}

/* --- threads ------------------------------------------------------------------------ */

enum { THREADS = 8, ROUNDS = 150 };

struct shared_session {
	pthread_mutex_t lock;
	bool ready;
	uint8_t sid[16];
	struct rpc_cred cred;
	uint32_t nslots;
	uint32_t seq0[64]; /* slot seqids when the session was handed out */
};

static struct shared_session shared = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct tctx {
	int index;
	int failures;
	char why[160];
};

#define TFAIL(t, ...)                                                           \
	do {                                                                    \
		snprintf((t)->why, sizeof((t)->why), __VA_ARGS__);              \
		(t)->failures++;                                                \
		return;                                                         \
	} while (0)

/* One v4.1 OPEN + GETATTR + CLOSE(current stateid) round. */
static void open_close(int fd, const struct rpc_cred *cred, const uint8_t *sid, uint32_t slot,
		       uint32_t seqid, uint32_t highest, const char *name, struct tctx *t)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, sid, seqid, slot, highest, true);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	static const uint8_t mode[4] = {0, 0, 0x01, 0xb6}; /* 0666 */
	struct nfs4_open_args oa = {.share_access = OPEN4_SHARE_ACCESS_BOTH,
				    .share_deny = OPEN4_SHARE_DENY_NONE,
				    .owner = {0, nfs4_opaque_str(name)},
				    .opentype = OPEN4_CREATE};
	oa.how.mode = UNCHECKED4;
	nfs4_bitmap_set(&oa.how.attrs.mask, FATTR4_MODE);
	oa.how.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	oa.claim.type = CLAIM_NULL;
	oa.claim.file = nfs4_opaque_str(name);
	nfs4c_open_op(&m, &oa);
	put_getattr(&m);
	/* The current stateid (RFC 8881 16.2.3.1.2). */
	struct nfs4_stateid cur = {.seqid = 1};
	nfs4c_close_op(&m, 0, &cur);
	nfs4c_send(fd, cred, &m, &p);
	if (p.status != NFS4_OK || p.nres != 6) {
		uint32_t st = p.status, n = p.nres;
		nfs4c_done(&p);
		TFAIL(t, "open/close round: status %u after %u results", st, n);
	}
	nfs4c_done(&p);
}

static void run_v40(struct tctx *t)
{
	int fd = rpctest_connect(server.hostport);
	if (fd < 0)
		TFAIL(t, "connect");
	char name[32];
	snprintf(name, sizeof(name), "thread40-%d", t->index);
	struct rpc_cred cred = *nfs4c_cred(900 + (uint32_t)t->index);
	uint64_t id = v40_client(fd, &cred, name);
	for (int i = 0; i < ROUNDS; i++) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin(&m, 0);
		put_renew(&m, id);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		put_getattr(&m);
		nfs4c_send(fd, &cred, &m, &p);
		uint32_t st = p.status;
		nfs4c_done(&p);
		if (st != NFS4_OK)
			TFAIL(t, "v4.0 round %d: %u", i, st);
	}
	close(fd);
}

/* Its own session; every 50 rounds the connection is replaced (the old
 * one unbinds on close, the new one binds with its first SEQUENCE). */
static void run_v41_own(struct tctx *t)
{
	int fd = rpctest_connect(server.hostport);
	if (fd < 0)
		TFAIL(t, "connect");
	char name[32];
	snprintf(name, sizeof(name), "thread41-%d", t->index);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, name, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 50 == 49) {
			close(fd);
			fd = rpctest_connect(server.hostport);
			if (fd < 0)
				TFAIL(t, "reconnect");
			s.fd = fd;
		}
		uint32_t slot = (uint32_t)i % s.nslots;
		snprintf(name, sizeof(name), "f-%d-%d", t->index, i % 5);
		open_close(fd, s.cred, s.sid, slot, ++s.seq[slot], s.nslots - 1, name, t);
		if (t->failures)
			return;
	}
	close(fd);
}

/* Two threads share one session over their own connections, on disjoint
 * slots (even / odd). */
static void run_v41_shared(struct tctx *t)
{
	int fd = rpctest_connect(server.hostport);
	if (fd < 0)
		TFAIL(t, "connect");
	pthread_mutex_lock(&shared.lock);
	if (!shared.ready) {
		struct nfs4c_sess s;
		nfs4c_session_up(&s, fd, 0, "shared-session", NULL);
		memcpy(shared.sid, s.sid, 16);
		shared.cred = *s.cred;
		shared.nslots = s.nslots;
		memcpy(shared.seq0, s.seq, sizeof(shared.seq0));
		shared.ready = true;
	}
	pthread_mutex_unlock(&shared.lock);
	uint32_t seqs[64];
	memcpy(seqs, shared.seq0, sizeof(seqs));
	uint32_t parity = (uint32_t)(t->index / 4) & 1; /* threads 2 and 6 */
	char name[32];
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t slot = ((uint32_t)i * 2 + parity) % shared.nslots;
		if (slot % 2 != parity)
			slot = parity;
		snprintf(name, sizeof(name), "s-%d-%d", t->index, i % 3);
		open_close(fd, &shared.cred, shared.sid, slot, ++seqs[slot], shared.nslots - 1, name,
			   t);
		if (t->failures)
			return;
	}
	close(fd);
}

static void *thread_main(void *arg)
{
	struct tctx *t = arg;
	switch (t->index % 4) {
	case 0:
		run_v40(t);
		break;
	case 1:
	case 3:
		run_v41_own(t);
		break;
	default:
		run_v41_shared(t);
		break;
	}
	return NULL;
}

static void test_threads_mixed(void **state)
{
	pthread_t th[THREADS];
	struct tctx t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].index = i;
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &t[i]), 0);
	}
	int failures = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (t[i].failures) {
			fprintf(stderr, "thread %d: %s\n", i, t[i].why);
			failures++;
		}
	}
	if (failures)
		ferryd_dump_log(&server);
	assert_int_equal(failures, 0);
	assert_true(ferryd_running(&server));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_one_connection),
		cmocka_unit_test(test_threads_mixed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
