/* NFSv4.1 sessions through a real ferryd: EXCHANGE_ID cases, CREATE_SESSION
 * replay and negotiation, SEQUENCE edge cases (table-driven), the reply
 * cache replayed byte for byte on another connection, size limits, the
 * front-door rules and SECINFO_NO_NAME (state operations and DESTROY_* are
 * in test_v41_state.c, the back-channel probe in test_backchannel.c). */
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

/* --- EXCHANGE_ID ---------------------------------------------------------------- */

static void test_exchange_id_cases(void **state)
{
	int fd = conn();
	const struct rpc_cred *a = nfs4c_cred(500);
	struct rpc_cred acopy = *a;
	struct nfs4c_eid e1, e2, e3;

	/* Case 1: new, unconfirmed. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e1), NFS4_OK);
	assert_false(e1.flags & EXCHGID4_FLAG_CONFIRMED_R);
	assert_int_equal(e1.seq, 1);
	assert_true(strncmp(e1.major, "ferry-", 6) == 0);
	/* Update without a confirmed record: NOENT. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v1",
					   EXCHGID4_FLAG_UPD_CONFIRMED_REC_A, 0, NULL),
			 NFS4ERR_NOENT);
	/* Case 5: the unconfirmed record is replaced. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e2), NFS4_OK);
	assert_false(e2.flags & EXCHGID4_FLAG_CONFIRMED_R);
	/* The replaced one cannot make a session any more. */
	assert_int_equal(nfs4c_create_session(fd, &acopy, e1.clientid, 1, 0, NULL, NULL),
			 NFS4ERR_STALE_CLIENTID);
	struct nfs4c_cs cs;
	assert_int_equal(nfs4c_create_session(fd, &acopy, e2.clientid, e2.seq, 0, NULL, &cs),
			 NFS4_OK);
	/* Case 2: the same incarnation again: same id, now confirmed. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e3), NFS4_OK);
	assert_true(e3.flags & EXCHGID4_FLAG_CONFIRMED_R);
	assert_true(e3.clientid == e2.clientid);
	/* Updates: right verifier OK; wrong verifier NOT_SAME; other
	 * principal PERM. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v1",
					   EXCHGID4_FLAG_UPD_CONFIRMED_REC_A, 0, &e3),
			 NFS4_OK);
	assert_true(e3.clientid == e2.clientid);
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v2",
					   EXCHGID4_FLAG_UPD_CONFIRMED_REC_A, 0, NULL),
			 NFS4ERR_NOT_SAME);
	struct rpc_cred b = *nfs4c_cred(501);
	assert_int_equal(nfs4c_exchange_id(fd, &b, "eid-client", "v1",
					   EXCHGID4_FLAG_UPD_CONFIRMED_REC_A, 0, NULL),
			 NFS4ERR_PERM);
	/* Case 3: another principal while the client has a session. */
	assert_int_equal(nfs4c_exchange_id(fd, &b, "eid-client", "v9", 0, 0, NULL),
			 NFS4ERR_CLID_INUSE);
	/* Case 4: client restart (new verifier): a new unconfirmed id; the
	 * old session lives until the new id's first CREATE_SESSION. */
	struct nfs4c_eid e4;
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-client", "v2", 0, 0, &e4), NFS4_OK);
	assert_true(e4.clientid != e2.clientid);
	assert_false(e4.flags & EXCHGID4_FLAG_CONFIRMED_R);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, cs.sid, 1, 0, 0, false);
	nfs4c_send(fd, &acopy, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	nfs4c_done(&p);
	struct nfs4c_cs cs2;
	assert_int_equal(nfs4c_create_session(fd, &acopy, e4.clientid, e4.seq, 0, NULL, &cs2),
			 NFS4_OK);
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, cs.sid, 2, 0, 0, false);
	nfs4c_send(fd, &acopy, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_BADSESSION);
	nfs4c_done(&p);
	/* Refused cleanly: SP4_MACH_CRED without RPCSEC_GSS; unknown flags. */
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-other", "v1", 0, SP4_MACH_CRED, NULL),
			 NFS4ERR_INVAL);
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-other", "v1", 0x8, 0, NULL),
			 NFS4ERR_INVAL);
	assert_int_equal(nfs4c_exchange_id(fd, &acopy, "eid-other", "v1",
					   EXCHGID4_FLAG_CONFIRMED_R, 0, NULL),
			 NFS4ERR_INVAL);
	/* state_protect4_a has no arm 3: the arguments do not decode.  Written
	 * raw, since the codec refuses to encode what no decoder accepts. */
	struct nfs4c_call m3;
	struct nfs4c_reply p3;
	nfs4c_begin(&m3, 1);
	struct xdr_enc *a3 = nfs4c_op(&m3, OP_EXCHANGE_ID);
	xdr_encode_opaque_fixed(a3, "verifier", NFS4_VERIFIER_SIZE);
	xdr_encode_opaque(a3, "eid-other", 9);
	xdr_encode_u32(a3, 0); /* eia_flags */
	xdr_encode_u32(a3, 3); /* spa_how: no such arm */
	xdr_encode_u32(a3, 0); /* no implementation id */
	nfs4c_send(fd, &acopy, &m3, &p3);
	assert_int_equal(nfs4c_next(&p3, OP_EXCHANGE_ID), NFS4ERR_BADXDR);
	nfs4c_done(&p3);
	close(fd);
}

/* --- CREATE_SESSION ------------------------------------------------------------ */

static void test_create_session(void **state)
{
	int fd = conn();
	struct rpc_cred a = *nfs4c_cred(600);
	struct nfs4c_eid e;
	assert_int_equal(nfs4c_exchange_id(fd, &a, "cs-client", "v1", 0, 0, &e), NFS4_OK);
	/* Misordered sequence, other principal, unknown client. */
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid, e.seq + 1, 0, NULL, NULL),
			 NFS4ERR_SEQ_MISORDERED);
	struct rpc_cred b = *nfs4c_cred(601);
	assert_int_equal(nfs4c_create_session(fd, &b, e.clientid, e.seq, 0, NULL, NULL),
			 NFS4ERR_CLID_INUSE);
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid ^ 0x7777, e.seq, 0, NULL, NULL),
			 NFS4ERR_STALE_CLIENTID);
	/* Clamped: 1000 slots and 1000 ops asked; PERSIST declined, the back
	 * channel granted. */
	struct nfs4c_attrs big = {0, 1 << 20, 1 << 20, 1 << 20, 1000, 1000};
	struct nfs4c_cs cs, again;
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid, e.seq,
					    CREATE_SESSION4_FLAG_PERSIST |
						    CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
					    &big, &cs),
			 NFS4_OK);
	assert_int_equal(cs.fore.maxreqs, 64);
	assert_int_equal(cs.fore.maxops, 64);
	assert_true(cs.fore.maxcached <= 64 * 1024);
	assert_int_equal(cs.flags, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	assert_int_equal(cs.back.maxreqs, 16);
	/* Replay: the same result byte for byte. */
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid, e.seq,
					    CREATE_SESSION4_FLAG_PERSIST |
						    CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
					    &big, &again),
			 NFS4_OK);
	assert_int_equal(again.body_len, cs.body_len);
	assert_memory_equal(again.body, cs.body, cs.body_len);
	/* The next sequence makes a second session. */
	struct nfs4c_cs cs2;
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid, e.seq + 1, 0, NULL, &cs2),
			 NFS4_OK);
	assert_memory_not_equal(cs2.sid, cs.sid, 16);
	/* Too small to be usable. */
	struct nfs4c_attrs tiny = {0, 100, 100, 0, 1, 1};
	assert_int_equal(nfs4c_create_session(fd, &a, e.clientid, e.seq + 2, 0, &tiny, NULL),
			 NFS4ERR_TOOSMALL);
	close(fd);
}

/* --- SEQUENCE, table-driven ------------------------------------------------------ */

struct seq_case {
	const char *what;
	int slot_delta;     /* added to the slot used */
	int seqid_delta;    /* added to the slot's next seqid */
	bool bad_session;
	uint32_t want;
};

static void test_sequence_table(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 700, "seq-table", NULL);
	static const struct seq_case cases[] = {
		{"new request", 0, 0, false, NFS4_OK},
		{"seqid two ahead", 0, 1, false, NFS4ERR_SEQ_MISORDERED},
		{"seqid far behind", 0, -5, false, NFS4ERR_SEQ_MISORDERED},
		{"slot beyond the table", 1000, 0, false, NFS4ERR_BADSLOT},
		{"slot just past the table", -1, 0, false, NFS4ERR_BADSLOT},
		{"unknown session", 0, 0, true, NFS4ERR_BADSESSION},
		{"after all those errors, still the next seqid", 0, 0, false, NFS4_OK},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct seq_case *k = &cases[i];
		uint32_t slot = k->slot_delta == -1 ? s.nslots : 1 + (uint32_t)k->slot_delta;
		uint32_t seqid = s.seq[1] + 1 + (uint32_t)k->seqid_delta;
		uint8_t sid[16];
		memcpy(sid, s.sid, 16);
		if (k->bad_session)
			sid[15] ^= 0xff;
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin(&m, 1);
		nfs4c_sequence_op(&m, sid, seqid, slot, s.nslots - 1, false);
		nfs4c_putrootfh(&m);
		nfs4c_send(fd, s.cred, &m, &p);
		uint32_t got = nfs4c_seq_result(&p, NULL);
		if (got != k->want)
			fail_msg("%s: got %u, want %u", k->what, got, k->want);
		assert_int_equal(p.nres, got == NFS4_OK ? 2 : 1);
		nfs4c_done(&p);
		if (got == NFS4_OK)
			s.seq[1] = seqid;
	}
	/* A fresh slot: seqid 0 is misordered, 1 is new. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, s.sid, 0, 2, s.nslots - 1, false);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_SEQ_MISORDERED);
	nfs4c_done(&p);
	close(fd);
}

/* Replays: cached (byte for byte, on another connection too), uncached,
 * false retry. */
static void test_sequence_replay(void **state)
{
	int fd = conn(), fd2 = conn();
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 701, "seq-replay", NULL);
	/* A non-idempotent request with cachethis: CREATE a directory. */
	struct nfs4c_call m;
	struct nfs4c_reply p1, p2, p3;
	for (int pass = 0; pass < 3; pass++) {
		nfs4c_begin(&m, 1);
		nfs4c_sequence_op(&m, s.sid, 1, 0, s.nslots - 1, true);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_op(&m, OP_CREATE);
		xdr_encode_u32(&m.e, 2); /* NF4DIR */
		nfs4c_str(&m, "replayed-dir");
		xdr_encode_u32(&m.e, 0); /* empty bitmap */
		xdr_encode_u32(&m.e, 0); /* no attrs */
		nfs4c_send(pass == 1 ? fd2 : fd, s.cred, &m,
			   pass == 0 ? &p1 : pass == 1 ? &p2 : &p3);
	}
	assert_int_equal(p1.status, NFS4_OK);
	/* A second CREATE would say EXIST: these are the cached reply. */
	assert_int_equal(p2.res_len, p1.res_len);
	assert_memory_equal(p2.res_start, p1.res_start, p1.res_len);
	assert_int_equal(p3.res_len, p1.res_len);
	assert_memory_equal(p3.res_start, p1.res_start, p1.res_len);
	nfs4c_done(&p1);
	nfs4c_done(&p2);
	nfs4c_done(&p3);

	/* The same slot and seqid with another request: SEQ_FALSE_RETRY. */
	nfs4c_begin(&m, 1);
	nfs4c_sequence_op(&m, s.sid, 1, 0, s.nslots - 1, true);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p1);
	assert_int_equal(nfs4c_seq_result(&p1, NULL), NFS4ERR_SEQ_FALSE_RETRY);
	nfs4c_done(&p1);

	/* Not cached (cachethis false): RETRY_UNCACHED_REP. */
	for (int pass = 0; pass < 2; pass++) {
		nfs4c_begin(&m, 1);
		nfs4c_sequence_op(&m, s.sid, 1, 3, s.nslots - 1, false);
		nfs4c_putrootfh(&m);
		nfs4c_send(fd2, s.cred, &m, &p1);
		assert_int_equal(nfs4c_seq_result(&p1, NULL),
				 pass == 0 ? NFS4_OK : NFS4ERR_RETRY_UNCACHED_REP);
		nfs4c_done(&p1);
	}
	close(fd);
	close(fd2);
}

/* A large kept reply (a 60000-byte READ) is replayed byte for byte on a new
 * connection after the one it was first sent on closed, under the new
 * call's XID. */
static void test_replay_large_after_close(void **state)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/export/large", server.dir);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(f >= 0);
	static char data[60000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 23);
	assert_int_equal(write(f, data, sizeof(data)), (ssize_t)sizeof(data));
	close(f);

	int fd = conn();
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 708, "replay-large", NULL);
	struct nfs4c_reply p[2];
	for (int pass = 0; pass < 2; pass++) {
		struct nfs4c_call m;
		if (pass == 1) {
			close(fd);
			fd = conn();
			s.seq[0]--; /* the same request again */
		}
		nfs4c_begin_seq(&s, &m, 0, true);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_lookup(&m, "large");
		nfs4c_op(&m, OP_READ);
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		nfs4_encode_stateid(&m.e, &anon);
		xdr_encode_u64(&m.e, 0);
		xdr_encode_u32(&m.e, sizeof(data));
		nfs4c_send(fd, s.cred, &m, &p[pass]);
		assert_int_equal(p[pass].status, NFS4_OK);
	}
	assert_true(p[0].res_len > sizeof(data));
	assert_int_equal(p[1].res_len, p[0].res_len);
	assert_memory_equal(p[1].res_start, p[0].res_start, p[0].res_len);
	assert_int_equal(p[1].r.xid, p[0].r.xid + 1);
	/* The data really is the file's. */
	assert_memory_equal(p[1].res_start + p[1].res_len - sizeof(data), data, sizeof(data));
	nfs4c_done(&p[0]);
	nfs4c_done(&p[1]);
	close(fd);
}

/* TOO_MANY_OPS, REQ_TOO_BIG, REP_TOO_BIG, REP_TOO_BIG_TO_CACHE. */
static void test_sequence_limits(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	struct nfs4c_attrs a = {0, 1024, 1024, 700, 6, 4};
	nfs4c_session_up(&s, fd, 702, "seq-limits", &a);
	struct nfs4c_call m;
	struct nfs4c_reply p;

	nfs4c_begin_seq(&s, &m, 0, false);
	for (int i = 0; i < 6; i++)
		nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_TOO_MANY_OPS);
	assert_int_equal(p.nres, 1);
	nfs4c_done(&p);
	s.seq[0]--; /* a refused SEQUENCE leaves the slot as it was */

	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_op(&m, OP_LOOKUP);
	char name[1100];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	nfs4c_str(&m, name);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4ERR_REQ_TOO_BIG);
	nfs4c_done(&p);
	s.seq[0]--;

	/* READ of 4000 bytes does not fit in 1024. */
	for (int cache = 0; cache < 2; cache++) {
		nfs4c_begin_seq(&s, &m, 0, cache);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_lookup(&m, "big");
		nfs4c_op(&m, OP_READ);
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		nfs4_encode_stateid(&m.e, &anon);
		xdr_encode_u64(&m.e, 0);
		xdr_encode_u32(&m.e, cache ? 800 : 4000);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_true(xdr_decode_skip(&p.d, 0));
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_READ),
				 cache ? NFS4ERR_REP_TOO_BIG_TO_CACHE : NFS4ERR_REP_TOO_BIG);
		assert_int_equal(p.status,
				 cache ? NFS4ERR_REP_TOO_BIG_TO_CACHE : NFS4ERR_REP_TOO_BIG);
		nfs4c_done(&p);
	}
	close(fd);
}

/* A state-changing operation whose reply could not be kept is refused
 * before it runs: otherwise the change happens and the client, told
 * REP_TOO_BIG_TO_CACHE, never learns of it (RFC 8881 2.10.6.4).  The
 * reply up to the operation fits in 120 bytes (RPC header 24, COMPOUND
 * header 16, SEQUENCE 44, PUTROOTFH 8, LOOKUP 8); its result does not. */
static void test_rep_too_big_to_cache_before_change(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	struct nfs4c_attrs a = {0, 1024, 1024, 120, 8, 4};
	nfs4c_session_up(&s, fd, 707, "too-big-to-cache", &a);
	char path[400];
	snprintf(path, sizeof(path), "%s/export/kept-file", server.dir);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(f >= 0);
	close(f);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	for (int op = 0; op < 3; op++) {
		nfs4c_begin_seq(&s, &m, 0, true);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		uint32_t opnum = op == 0 ? OP_CREATE : op == 1 ? OP_OPEN : OP_REMOVE;
		nfs4c_op(&m, opnum);
		if (op == 0) {
			xdr_encode_u32(&m.e, 2); /* NF4DIR */
			nfs4c_str(&m, "uncached-dir");
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
		} else if (op == 1) {
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 3 | 0x0400 /* WANT_NO_DELEG */);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u64(&m.e, 0);
			nfs4c_str(&m, "owner");
			xdr_encode_u32(&m.e, 1); /* OPEN4_CREATE */
			xdr_encode_u32(&m.e, 1); /* GUARDED4 */
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
			nfs4c_str(&m, "uncached-file");
		} else {
			nfs4c_str(&m, "kept-file");
		}
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, opnum), NFS4ERR_REP_TOO_BIG_TO_CACHE);
		assert_int_equal(p.status, NFS4ERR_REP_TOO_BIG_TO_CACHE);
		assert_int_equal(p.nres, 4);
		nfs4c_done(&p);
	}
	struct stat sb;
	snprintf(path, sizeof(path), "%s/export/uncached-dir", server.dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/export/uncached-file", server.dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/export/kept-file", server.dir);
	assert_int_equal(stat(path, &sb), 0);

	/* Without cachethis the same CREATE runs. */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_op(&m, OP_CREATE);
	xdr_encode_u32(&m.e, 2);
	nfs4c_str(&m, "uncached-dir");
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 0);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_done(&p);
	snprintf(path, sizeof(path), "%s/export/uncached-dir", server.dir);
	assert_int_equal(stat(path, &sb), 0);
	close(fd);
}

/* A read-only export (and the pseudo-fs) refuses what would write to it
 * with ROFS, before anything else about the operation; reading works. */
static void test_read_only_export(void **state)
{
	char dir[300], path[400], cfg[400];
	snprintf(dir, sizeof(dir), "%s/ro-export", server.dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(f >= 0);
	assert_int_equal(write(f, "ro", 2), 2);
	close(f);
	snprintf(cfg, sizeof(cfg), "%s/ro.ini", server.dir);
	FILE *fp = fopen(cfg, "w");
	assert_non_null(fp);
	fprintf(fp, "[export ro]\npath = %s\npseudo = /ro\naccess = ro\n", dir);
	fclose(fp);
	const char *args[] = {"--config", cfg, NULL};
	struct ferryd_proc ro;
	assert_int_equal(ferryd_start(&ro, args), 0);
	int fd = rpctest_connect(ro.hostport);
	assert_true(fd >= 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "read-only", NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	enum { CREATE_IN_ROOT, CREATE_IN_RO, REMOVE_IN_RO, WRITE_IN_RO, OPEN_WRITE_IN_RO, READ_IN_RO };
	for (int t = CREATE_IN_ROOT; t <= READ_IN_RO; t++) {
		nfs4c_begin_seq(&s, &m, 0, false);
		nfs4c_putrootfh(&m);
		if (t != CREATE_IN_ROOT) {
			nfs4c_lookup(&m, "ro");
		}
		if (t == WRITE_IN_RO || t == READ_IN_RO) {
			nfs4c_lookup(&m, "file");
		}
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		switch (t) {
		case CREATE_IN_ROOT:
		case CREATE_IN_RO:
			nfs4c_op(&m, OP_CREATE);
			xdr_encode_u32(&m.e, 2);
			nfs4c_str(&m, "newdir");
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
			break;
		case REMOVE_IN_RO:
			nfs4c_op(&m, OP_REMOVE);
			nfs4c_str(&m, "file");
			break;
		case WRITE_IN_RO:
			nfs4c_op(&m, OP_WRITE);
			nfs4_encode_stateid(&m.e, &anon);
			xdr_encode_u64(&m.e, 0);
			xdr_encode_u32(&m.e, 2); /* FILE_SYNC4 */
			xdr_encode_opaque(&m.e, "rw", 2);
			break;
		case OPEN_WRITE_IN_RO:
			nfs4c_op(&m, OP_OPEN);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 2 | 0x0400); /* WRITE, WANT_NO_DELEG */
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u64(&m.e, 0);
			nfs4c_str(&m, "owner");
			xdr_encode_u32(&m.e, 0); /* NOCREATE */
			xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
			nfs4c_str(&m, "file");
			break;
		case READ_IN_RO:
			nfs4c_op(&m, OP_READ);
			nfs4_encode_stateid(&m.e, &anon);
			xdr_encode_u64(&m.e, 0);
			xdr_encode_u32(&m.e, 100);
			break;
		}
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(p.status, t == READ_IN_RO ? NFS4_OK : NFS4ERR_ROFS);
		uint32_t nres = t == CREATE_IN_ROOT ? 3 : t == WRITE_IN_RO || t == READ_IN_RO ? 5 : 4;
		assert_int_equal(p.nres, nres);
		nfs4c_done(&p);
	}
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 2);
	close(fd);
	assert_int_equal(ferryd_stop(&ro), 0);
}

/* --- front-door rules -------------------------------------------------------------- */

static void test_front_door(void **state)
{
	int fd = conn();
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 703, "front-door", NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	/* No SEQUENCE. */
	nfs4c_begin(&m, 1);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4ERR_OP_NOT_IN_SESSION);
	nfs4c_done(&p);
	/* SEQUENCE second. */
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_sequence_op(&m, s.sid, 5, 1, 0, false);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_SEQUENCE), NFS4ERR_SEQUENCE_POS);
	nfs4c_done(&p);
	/* v4.0-only operations: NOTSUPP, first or later. */
	static const uint32_t v40_only[] = {OP_SETCLIENTID, OP_SETCLIENTID_CONFIRM, OP_RENEW,
					    OP_OPEN_CONFIRM, OP_RELEASE_LOCKOWNER};
	for (size_t i = 0; i < 5; i++) {
		nfs4c_begin_seq(&s, &m, 0, false);
		nfs4c_op(&m, v40_only[i]);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, v40_only[i]), NFS4ERR_NOTSUPP);
		nfs4c_done(&p);
		nfs4c_begin(&m, 1);
		nfs4c_op(&m, v40_only[i]);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_next(&p, v40_only[i]), NFS4ERR_NOTSUPP);
		nfs4c_done(&p);
	}
	/* A session-less op not alone. */
	nfs4c_begin(&m, 1);
	nfs4c_destroy_clientid_op(&m, s.clientid);
	nfs4c_putrootfh(&m);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_DESTROY_CLIENTID), NFS4ERR_NOT_ONLY_OP);
	nfs4c_done(&p);
	/* v4.1 operations in v4.0: OP_ILLEGAL. */
	nfs4c_begin(&m, 0);
	nfs4c_sequence_op(&m, s.sid, 1, 0, 0, false);
	nfs4c_send(fd, s.cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	nfs4c_done(&p);
	/* Not-supported optional operations. */
	static const uint32_t nots[] = {OP_LAYOUTGET, OP_GETDEVICEINFO, OP_LAYOUTCOMMIT};
	for (size_t i = 0; i < 3; i++) {
		nfs4c_begin_seq(&s, &m, 0, false);
		nfs4c_putrootfh(&m);
		nfs4c_op(&m, nots[i]);
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, nots[i]), NFS4ERR_NOTSUPP);
		nfs4c_done(&p);
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_id_cases),
		cmocka_unit_test(test_create_session),
		cmocka_unit_test(test_sequence_table),
		cmocka_unit_test(test_sequence_replay),
		cmocka_unit_test(test_replay_large_after_close),
		cmocka_unit_test(test_sequence_limits),
		cmocka_unit_test(test_rep_too_big_to_cache_before_change),
		cmocka_unit_test(test_read_only_export),
		cmocka_unit_test(test_front_door),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
