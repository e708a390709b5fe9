/* NFSv4.1 sessions through a real ferryd: EXCHANGE_ID cases, CREATE_SESSION
 * replay and negotiation, SEQUENCE edge cases (table-driven), the reply
 * cache replayed byte for byte on another connection, size limits, the
 * front-door rules, DESTROY_*, RECLAIM_COMPLETE, SECINFO_NO_NAME,
 * TEST_/FREE_STATEID, the current stateid, BIND_CONN_TO_SESSION and the
 * back-channel probe. */
#include "v41_client.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "xdr/nfs4_codec_cb.h"

static struct ferryd_proc server;

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	char p[400];
	snprintf(p, sizeof(p), "%s/export", server.dir);
	chmod(p, 0777);
	/* A 4000-byte file for the reply-size tests. */
	snprintf(p, sizeof(p), "%s/export/big", server.dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	char buf[4000];
	memset(buf, 'x', sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

static int conn(void)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	return fd;
}

/* --- EXCHANGE_ID ---------------------------------------------------------------- */

static void test_exchange_id_cases(void **state)
{
	int fd = conn();
	const struct rpc_cred *a = v41_cred(500);
	struct rpc_cred acopy = *a;
	struct v41_eid e1, e2, e3;

	/* Case 1: new, unconfirmed. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e1), NFS4_OK);
	assert_false(e1.flags & V41_EID_CONFIRMED);
	assert_int_equal(e1.seq, 1);
	assert_true(strncmp(e1.major, "ferry-", 6) == 0);
	/* Update without a confirmed record: NOENT. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v1", V41_EID_UPDATE, 0, NULL),
			 NFS4ERR_NOENT);
	/* Case 5: the unconfirmed record is replaced. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e2), NFS4_OK);
	assert_false(e2.flags & V41_EID_CONFIRMED);
	/* The replaced one cannot make a session any more. */
	assert_int_equal(v41_create_session(fd, &acopy, e1.clientid, 1, 0, NULL, NULL),
			 NFS4ERR_STALE_CLIENTID);
	struct v41_cs cs;
	assert_int_equal(v41_create_session(fd, &acopy, e2.clientid, e2.seq, 0, NULL, &cs),
			 NFS4_OK);
	/* Case 2: the same incarnation again: same id, now confirmed. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v1", 0, 0, &e3), NFS4_OK);
	assert_true(e3.flags & V41_EID_CONFIRMED);
	assert_true(e3.clientid == e2.clientid);
	/* Updates: right verifier OK; wrong verifier NOT_SAME; other
	 * principal PERM. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v1", V41_EID_UPDATE, 0, &e3),
			 NFS4_OK);
	assert_true(e3.clientid == e2.clientid);
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v2", V41_EID_UPDATE, 0, NULL),
			 NFS4ERR_NOT_SAME);
	struct rpc_cred b = *v41_cred(501);
	assert_int_equal(v41_exchange_id(fd, &b, "eid-client", "v1", V41_EID_UPDATE, 0, NULL),
			 NFS4ERR_PERM);
	/* Case 3: another principal while the client has a session. */
	assert_int_equal(v41_exchange_id(fd, &b, "eid-client", "v9", 0, 0, NULL),
			 NFS4ERR_CLID_INUSE);
	/* Case 4: client restart (new verifier): a new unconfirmed id; the
	 * old session lives until the new id's first CREATE_SESSION. */
	struct v41_eid e4;
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-client", "v2", 0, 0, &e4), NFS4_OK);
	assert_true(e4.clientid != e2.clientid);
	assert_false(e4.flags & V41_EID_CONFIRMED);
	struct v41_call m;
	struct v41_reply p;
	v41_begin(&m, 1);
	v41_sequence_op(&m, cs.sid, 1, 0, 0, false);
	v41_send(fd, &acopy, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
	v41_done(&p);
	struct v41_cs cs2;
	assert_int_equal(v41_create_session(fd, &acopy, e4.clientid, e4.seq, 0, NULL, &cs2),
			 NFS4_OK);
	v41_begin(&m, 1);
	v41_sequence_op(&m, cs.sid, 2, 0, 0, false);
	v41_send(fd, &acopy, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4ERR_BADSESSION);
	v41_done(&p);
	/* Refused cleanly: SP4_MACH_CRED without RPCSEC_GSS; unknown flags. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-other", "v1", 0, V41_SP4_MACH_CRED, NULL),
			 NFS4ERR_INVAL);
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-other", "v1", 0x8, 0, NULL),
			 NFS4ERR_INVAL);
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-other", "v1", V41_EID_CONFIRMED, 0, NULL),
			 NFS4ERR_INVAL);
	/* state_protect4_a has no arm 3: the arguments do not decode. */
	assert_int_equal(v41_exchange_id(fd, &acopy, "eid-other", "v1", 0, 3, NULL),
			 NFS4ERR_BADXDR);
	close(fd);
}

/* --- CREATE_SESSION ------------------------------------------------------------ */

static void test_create_session(void **state)
{
	int fd = conn();
	struct rpc_cred a = *v41_cred(600);
	struct v41_eid e;
	assert_int_equal(v41_exchange_id(fd, &a, "cs-client", "v1", 0, 0, &e), NFS4_OK);
	/* Misordered sequence, other principal, unknown client. */
	assert_int_equal(v41_create_session(fd, &a, e.clientid, e.seq + 1, 0, NULL, NULL),
			 NFS4ERR_SEQ_MISORDERED);
	struct rpc_cred b = *v41_cred(601);
	assert_int_equal(v41_create_session(fd, &b, e.clientid, e.seq, 0, NULL, NULL),
			 NFS4ERR_CLID_INUSE);
	assert_int_equal(v41_create_session(fd, &a, e.clientid ^ 0x7777, e.seq, 0, NULL, NULL),
			 NFS4ERR_STALE_CLIENTID);
	/* Clamped: 1000 slots and 1000 ops asked; PERSIST declined, the back
	 * channel granted. */
	struct v41_attrs big = {0, 1 << 20, 1 << 20, 1 << 20, 1000, 1000};
	struct v41_cs cs, again;
	assert_int_equal(v41_create_session(fd, &a, e.clientid, e.seq,
					    V41_CS_PERSIST | V41_CS_BACK_CHAN, &big, &cs),
			 NFS4_OK);
	assert_int_equal(cs.fore.maxreqs, 64);
	assert_int_equal(cs.fore.maxops, 64);
	assert_true(cs.fore.maxcached <= 64 * 1024);
	assert_int_equal(cs.flags, V41_CS_BACK_CHAN);
	assert_int_equal(cs.back.maxreqs, 16);
	/* Replay: the same result byte for byte. */
	assert_int_equal(v41_create_session(fd, &a, e.clientid, e.seq,
					    V41_CS_PERSIST | V41_CS_BACK_CHAN, &big, &again),
			 NFS4_OK);
	assert_int_equal(again.body_len, cs.body_len);
	assert_memory_equal(again.body, cs.body, cs.body_len);
	/* The next sequence makes a second session. */
	struct v41_cs cs2;
	assert_int_equal(v41_create_session(fd, &a, e.clientid, e.seq + 1, 0, NULL, &cs2), NFS4_OK);
	assert_memory_not_equal(cs2.sid, cs.sid, 16);
	/* Too small to be usable. */
	struct v41_attrs tiny = {0, 100, 100, 0, 1, 1};
	assert_int_equal(v41_create_session(fd, &a, e.clientid, e.seq + 2, 0, &tiny, NULL),
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
	struct v41_sess s;
	v41_session_up(&s, fd, 700, "seq-table", NULL);
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
		struct v41_call m;
		struct v41_reply p;
		v41_begin(&m, 1);
		v41_sequence_op(&m, sid, seqid, slot, s.nslots - 1, false);
		v41_op(&m, OP_PUTROOTFH);
		v41_send(fd, s.cred, &m, &p);
		uint32_t got = v41_seq_result(&p, NULL);
		if (got != k->want)
			fail_msg("%s: got %u, want %u", k->what, got, k->want);
		assert_int_equal(p.nres, got == NFS4_OK ? 2 : 1);
		v41_done(&p);
		if (got == NFS4_OK)
			s.seq[1] = seqid;
	}
	/* A fresh slot: seqid 0 is misordered, 1 is new. */
	struct v41_call m;
	struct v41_reply p;
	v41_begin(&m, 1);
	v41_sequence_op(&m, s.sid, 0, 2, s.nslots - 1, false);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4ERR_SEQ_MISORDERED);
	v41_done(&p);
	close(fd);
}

/* Replays: cached (byte for byte, on another connection too), uncached,
 * false retry. */
static void test_sequence_replay(void **state)
{
	int fd = conn(), fd2 = conn();
	struct v41_sess s;
	v41_session_up(&s, fd, 701, "seq-replay", NULL);
	/* A non-idempotent request with cachethis: CREATE a directory. */
	struct v41_call m;
	struct v41_reply p1, p2, p3;
	for (int pass = 0; pass < 3; pass++) {
		v41_begin(&m, 1);
		v41_sequence_op(&m, s.sid, 1, 0, s.nslots - 1, true);
		v41_op(&m, OP_PUTROOTFH);
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "export");
		v41_op(&m, OP_CREATE);
		xdr_encode_u32(&m.e, 2); /* NF4DIR */
		v41_str(&m, "replayed-dir");
		xdr_encode_u32(&m.e, 0); /* empty bitmap */
		xdr_encode_u32(&m.e, 0); /* no attrs */
		v41_send(pass == 1 ? fd2 : fd, s.cred, &m, pass == 0 ? &p1 : pass == 1 ? &p2 : &p3);
	}
	assert_int_equal(p1.status, NFS4_OK);
	/* A second CREATE would say EXIST: these are the cached reply. */
	assert_int_equal(p2.res_len, p1.res_len);
	assert_memory_equal(p2.res_start, p1.res_start, p1.res_len);
	assert_int_equal(p3.res_len, p1.res_len);
	assert_memory_equal(p3.res_start, p1.res_start, p1.res_len);
	v41_done(&p1);
	v41_done(&p2);
	v41_done(&p3);

	/* The same slot and seqid with another request: SEQ_FALSE_RETRY. */
	v41_begin(&m, 1);
	v41_sequence_op(&m, s.sid, 1, 0, s.nslots - 1, true);
	v41_op(&m, OP_PUTROOTFH);
	v41_send(fd, s.cred, &m, &p1);
	assert_int_equal(v41_seq_result(&p1, NULL), NFS4ERR_SEQ_FALSE_RETRY);
	v41_done(&p1);

	/* Not cached (cachethis false): RETRY_UNCACHED_REP. */
	for (int pass = 0; pass < 2; pass++) {
		v41_begin(&m, 1);
		v41_sequence_op(&m, s.sid, 1, 3, s.nslots - 1, false);
		v41_op(&m, OP_PUTROOTFH);
		v41_send(fd2, s.cred, &m, &p1);
		assert_int_equal(v41_seq_result(&p1, NULL),
				 pass == 0 ? NFS4_OK : NFS4ERR_RETRY_UNCACHED_REP);
		v41_done(&p1);
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
	struct v41_sess s;
	v41_session_up(&s, fd, 708, "replay-large", NULL);
	struct v41_reply p[2];
	for (int pass = 0; pass < 2; pass++) {
		struct v41_call m;
		if (pass == 1) {
			close(fd);
			fd = conn();
			s.seq[0]--; /* the same request again */
		}
		v41_begin_seq(&s, &m, 0, true);
		v41_op(&m, OP_PUTROOTFH);
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "export");
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "large");
		v41_op(&m, OP_READ);
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		nfs4_encode_stateid(&m.e, &anon);
		xdr_encode_u64(&m.e, 0);
		xdr_encode_u32(&m.e, sizeof(data));
		v41_send(fd, s.cred, &m, &p[pass]);
		assert_int_equal(p[pass].status, NFS4_OK);
	}
	assert_true(p[0].res_len > sizeof(data));
	assert_int_equal(p[1].res_len, p[0].res_len);
	assert_memory_equal(p[1].res_start, p[0].res_start, p[0].res_len);
	assert_int_equal(p[1].r.xid, p[0].r.xid + 1);
	/* The data really is the file's. */
	assert_memory_equal(p[1].res_start + p[1].res_len - sizeof(data), data, sizeof(data));
	v41_done(&p[0]);
	v41_done(&p[1]);
	close(fd);
}

/* TOO_MANY_OPS, REQ_TOO_BIG, REP_TOO_BIG, REP_TOO_BIG_TO_CACHE. */
static void test_sequence_limits(void **state)
{
	int fd = conn();
	struct v41_sess s;
	struct v41_attrs a = {0, 1024, 1024, 700, 6, 4};
	v41_session_up(&s, fd, 702, "seq-limits", &a);
	struct v41_call m;
	struct v41_reply p;

	v41_begin_seq(&s, &m, 0, false);
	for (int i = 0; i < 6; i++)
		v41_op(&m, OP_PUTROOTFH);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4ERR_TOO_MANY_OPS);
	assert_int_equal(p.nres, 1);
	v41_done(&p);
	s.seq[0]--; /* a refused SEQUENCE leaves the slot as it was */

	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	char name[1100];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	v41_str(&m, name);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4ERR_REQ_TOO_BIG);
	v41_done(&p);
	s.seq[0]--;

	/* READ of 4000 bytes does not fit in 1024. */
	for (int cache = 0; cache < 2; cache++) {
		v41_begin_seq(&s, &m, 0, cache);
		v41_op(&m, OP_PUTROOTFH);
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "export");
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "big");
		v41_op(&m, OP_READ);
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		nfs4_encode_stateid(&m.e, &anon);
		xdr_encode_u64(&m.e, 0);
		xdr_encode_u32(&m.e, cache ? 800 : 4000);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_LOOKUP), NFS4_OK);
		assert_true(xdr_decode_skip(&p.r.results, 0));
		assert_int_equal(v41_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_READ),
				 cache ? NFS4ERR_REP_TOO_BIG_TO_CACHE : NFS4ERR_REP_TOO_BIG);
		assert_int_equal(p.status,
				 cache ? NFS4ERR_REP_TOO_BIG_TO_CACHE : NFS4ERR_REP_TOO_BIG);
		v41_done(&p);
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
	struct v41_sess s;
	struct v41_attrs a = {0, 1024, 1024, 120, 8, 4};
	v41_session_up(&s, fd, 707, "too-big-to-cache", &a);
	char path[400];
	snprintf(path, sizeof(path), "%s/export/kept-file", server.dir);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(f >= 0);
	close(f);
	struct v41_call m;
	struct v41_reply p;
	for (int op = 0; op < 3; op++) {
		v41_begin_seq(&s, &m, 0, true);
		v41_op(&m, OP_PUTROOTFH);
		v41_op(&m, OP_LOOKUP);
		v41_str(&m, "export");
		uint32_t opnum = op == 0 ? OP_CREATE : op == 1 ? OP_OPEN : OP_REMOVE;
		v41_op(&m, opnum);
		if (op == 0) {
			xdr_encode_u32(&m.e, 2); /* NF4DIR */
			v41_str(&m, "uncached-dir");
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
		} else if (op == 1) {
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 3 | 0x0400 /* WANT_NO_DELEG */);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u64(&m.e, 0);
			v41_str(&m, "owner");
			xdr_encode_u32(&m.e, 1); /* OPEN4_CREATE */
			xdr_encode_u32(&m.e, 1); /* GUARDED4 */
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
			v41_str(&m, "uncached-file");
		} else {
			v41_str(&m, "kept-file");
		}
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(v41_next(&p, opnum), NFS4ERR_REP_TOO_BIG_TO_CACHE);
		assert_int_equal(p.status, NFS4ERR_REP_TOO_BIG_TO_CACHE);
		assert_int_equal(p.nres, 4);
		v41_done(&p);
	}
	struct stat sb;
	snprintf(path, sizeof(path), "%s/export/uncached-dir", server.dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/export/uncached-file", server.dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/export/kept-file", server.dir);
	assert_int_equal(stat(path, &sb), 0);

	/* Without cachethis the same CREATE runs. */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "export");
	v41_op(&m, OP_CREATE);
	xdr_encode_u32(&m.e, 2);
	v41_str(&m, "uncached-dir");
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 0);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	v41_done(&p);
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
	struct v41_sess s;
	v41_session_up(&s, fd, 0, "read-only", NULL);
	struct v41_call m;
	struct v41_reply p;
	enum { CREATE_IN_ROOT, CREATE_IN_RO, REMOVE_IN_RO, WRITE_IN_RO, OPEN_WRITE_IN_RO, READ_IN_RO };
	for (int t = CREATE_IN_ROOT; t <= READ_IN_RO; t++) {
		v41_begin_seq(&s, &m, 0, false);
		v41_op(&m, OP_PUTROOTFH);
		if (t != CREATE_IN_ROOT) {
			v41_op(&m, OP_LOOKUP);
			v41_str(&m, "ro");
		}
		if (t == WRITE_IN_RO || t == READ_IN_RO) {
			v41_op(&m, OP_LOOKUP);
			v41_str(&m, "file");
		}
		struct nfs4_stateid anon;
		memset(&anon, 0, sizeof(anon));
		switch (t) {
		case CREATE_IN_ROOT:
		case CREATE_IN_RO:
			v41_op(&m, OP_CREATE);
			xdr_encode_u32(&m.e, 2);
			v41_str(&m, "newdir");
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 0);
			break;
		case REMOVE_IN_RO:
			v41_op(&m, OP_REMOVE);
			v41_str(&m, "file");
			break;
		case WRITE_IN_RO:
			v41_op(&m, OP_WRITE);
			nfs4_encode_stateid(&m.e, &anon);
			xdr_encode_u64(&m.e, 0);
			xdr_encode_u32(&m.e, 2); /* FILE_SYNC4 */
			xdr_encode_opaque(&m.e, "rw", 2);
			break;
		case OPEN_WRITE_IN_RO:
			v41_op(&m, OP_OPEN);
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u32(&m.e, 2 | 0x0400); /* WRITE, WANT_NO_DELEG */
			xdr_encode_u32(&m.e, 0);
			xdr_encode_u64(&m.e, 0);
			v41_str(&m, "owner");
			xdr_encode_u32(&m.e, 0); /* NOCREATE */
			xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
			v41_str(&m, "file");
			break;
		case READ_IN_RO:
			v41_op(&m, OP_READ);
			nfs4_encode_stateid(&m.e, &anon);
			xdr_encode_u64(&m.e, 0);
			xdr_encode_u32(&m.e, 100);
			break;
		}
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(p.status, t == READ_IN_RO ? NFS4_OK : NFS4ERR_ROFS);
		uint32_t nres = t == CREATE_IN_ROOT ? 3 : t == WRITE_IN_RO || t == READ_IN_RO ? 5 : 4;
		assert_int_equal(p.nres, nres);
		v41_done(&p);
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
	struct v41_sess s;
	v41_session_up(&s, fd, 703, "front-door", NULL);
	struct v41_call m;
	struct v41_reply p;
	/* No SEQUENCE. */
	v41_begin(&m, 1);
	v41_op(&m, OP_PUTROOTFH);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_PUTROOTFH), NFS4ERR_OP_NOT_IN_SESSION);
	v41_done(&p);
	/* SEQUENCE second. */
	v41_begin_seq(&s, &m, 0, false);
	v41_sequence_op(&m, s.sid, 5, 1, 0, false);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(v41_next(&p, OP_SEQUENCE), NFS4ERR_SEQUENCE_POS);
	v41_done(&p);
	/* v4.0-only operations: NOTSUPP, first or later. */
	static const uint32_t v40_only[] = {OP_SETCLIENTID, OP_SETCLIENTID_CONFIRM, OP_RENEW,
					    OP_OPEN_CONFIRM, OP_RELEASE_LOCKOWNER};
	for (size_t i = 0; i < 5; i++) {
		v41_begin_seq(&s, &m, 0, false);
		v41_op(&m, v40_only[i]);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(v41_next(&p, v40_only[i]), NFS4ERR_NOTSUPP);
		v41_done(&p);
		v41_begin(&m, 1);
		v41_op(&m, v40_only[i]);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_next(&p, v40_only[i]), NFS4ERR_NOTSUPP);
		v41_done(&p);
	}
	/* A session-less op not alone. */
	v41_begin(&m, 1);
	v41_op(&m, OP_DESTROY_CLIENTID);
	xdr_encode_u64(&m.e, s.clientid);
	v41_op(&m, OP_PUTROOTFH);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_DESTROY_CLIENTID), NFS4ERR_NOT_ONLY_OP);
	v41_done(&p);
	/* v4.1 operations in v4.0: OP_ILLEGAL. */
	v41_begin(&m, 0);
	v41_sequence_op(&m, s.sid, 1, 0, 0, false);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	v41_done(&p);
	/* Not-supported optional operations. */
	static const uint32_t nots[] = {OP_LAYOUTGET, OP_GETDEVICEINFO, OP_WANT_DELEGATION,
					OP_GET_DIR_DELEGATION};
	for (size_t i = 0; i < 4; i++) {
		v41_begin_seq(&s, &m, 0, false);
		v41_op(&m, OP_PUTROOTFH);
		v41_op(&m, nots[i]);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(v41_next(&p, nots[i]), NFS4ERR_NOTSUPP);
		v41_done(&p);
	}
	close(fd);
}

/* --- state: RECLAIM_COMPLETE, opens, current stateid, TEST/FREE_STATEID -------------- */

static void test_state_ops(void **state)
{
	int fd = conn();
	struct v41_sess s;
	v41_session_up_reclaiming(&s, fd, 0, "state-ops", NULL);
	struct v41_call m;
	struct v41_reply p;
	for (int i = 0; i < 2; i++) {
		v41_begin_seq(&s, &m, 0, false);
		v41_op(&m, OP_RECLAIM_COMPLETE);
		xdr_encode_bool(&m.e, false);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(v41_next(&p, OP_RECLAIM_COMPLETE),
				 i == 0 ? NFS4_OK : NFS4ERR_COMPLETE_ALREADY);
		v41_done(&p);
	}
	/* OPEN (EXCLUSIVE4_1), then CLOSE with the current stateid, in one
	 * COMPOUND; TEST_STATEID in between says the open stateid is good. */
	v41_begin_seq(&s, &m, 0, true);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "export");
	v41_op(&m, OP_OPEN);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 3 | 0x0400 /* WANT_NO_DELEG */);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u64(&m.e, 0xdeadbeef); /* ignored in v4.1 */
	v41_str(&m, "owner");
	xdr_encode_u32(&m.e, 1);
	xdr_encode_u32(&m.e, 3); /* EXCLUSIVE4_1 */
	xdr_encode_opaque_fixed(&m.e, "verifier", 8);
	xdr_encode_u32(&m.e, 2); /* bitmap: mode (33) */
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 1u << 1);
	xdr_encode_u32(&m.e, 4);
	xdr_encode_u32(&m.e, 0640);
	xdr_encode_u32(&m.e, 0); /* CLAIM_NULL */
	v41_str(&m, "excl41");
	v41_op(&m, OP_GETFH);
	v41_op(&m, OP_CLOSE);
	xdr_encode_u32(&m.e, 0);
	struct nfs4_stateid cur = {.seqid = 1};
	nfs4_encode_stateid(&m.e, &cur);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(p.nres, 6);
	v41_done(&p);
	char path[400];
	snprintf(path, sizeof(path), "%s/export/excl41", server.dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);

	/* OPEN by CLAIM_FH; TEST_STATEID; FREE_STATEID of an open is
	 * LOCKS_HELD; after CLOSE the stateid tests BAD. */
	struct nfs4_stateid sid;
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "export");
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "excl41");
	v41_op(&m, OP_OPEN);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 1);
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u64(&m.e, 0);
	v41_str(&m, "owner2");
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 4); /* CLAIM_FH */
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	v41_seq_result(&p, NULL);
	v41_next(&p, OP_PUTROOTFH);
	v41_next(&p, OP_LOOKUP);
	v41_next(&p, OP_LOOKUP);
	assert_int_equal(v41_next(&p, OP_OPEN), NFS4_OK);
	assert_true(nfs4_decode_stateid(&p.r.results, &sid));
	v41_done(&p);

	struct nfs4_stateid bogus = sid;
	bogus.other[11] ^= 0x5a;
	struct nfs4_stateid old = sid;
	old.seqid = 0; /* "the current one" */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_TEST_STATEID);
	xdr_encode_u32(&m.e, 3);
	nfs4_encode_stateid(&m.e, &sid);
	nfs4_encode_stateid(&m.e, &bogus);
	nfs4_encode_stateid(&m.e, &old);
	v41_op(&m, OP_FREE_STATEID);
	nfs4_encode_stateid(&m.e, &sid);
	v41_send(fd, s.cred, &m, &p);
	v41_seq_result(&p, NULL);
	assert_int_equal(v41_next(&p, OP_TEST_STATEID), NFS4_OK);
	uint32_t n = 0, st0 = 0, st1 = 0, st2 = 0;
	assert_true(xdr_decode_u32(&p.r.results, &n) && n == 3);
	assert_true(xdr_decode_u32(&p.r.results, &st0) && xdr_decode_u32(&p.r.results, &st1) &&
		    xdr_decode_u32(&p.r.results, &st2));
	assert_int_equal(st0, NFS4_OK);
	assert_int_equal(st1, NFS4ERR_BAD_STATEID);
	assert_int_equal(st2, NFS4_OK);
	assert_int_equal(v41_next(&p, OP_FREE_STATEID), NFS4ERR_LOCKS_HELD);
	v41_done(&p);

	/* The current stateid with none set: BAD_STATEID. */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "export");
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "excl41");
	v41_op(&m, OP_CLOSE);
	xdr_encode_u32(&m.e, 0);
	nfs4_encode_stateid(&m.e, &cur);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_BAD_STATEID);
	v41_done(&p);

	/* CLOSE it; then it tests BAD (never STALE in v4.1). */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "export");
	v41_op(&m, OP_LOOKUP);
	v41_str(&m, "excl41");
	v41_op(&m, OP_CLOSE);
	xdr_encode_u32(&m.e, 0);
	nfs4_encode_stateid(&m.e, &sid);
	v41_op(&m, OP_TEST_STATEID);
	xdr_encode_u32(&m.e, 1);
	nfs4_encode_stateid(&m.e, &sid);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	v41_seq_result(&p, NULL);
	v41_next(&p, OP_PUTROOTFH);
	v41_next(&p, OP_LOOKUP);
	v41_next(&p, OP_LOOKUP);
	assert_int_equal(v41_next(&p, OP_CLOSE), NFS4_OK);
	assert_true(xdr_decode_skip(&p.r.results, 16));
	assert_int_equal(v41_next(&p, OP_TEST_STATEID), NFS4_OK);
	assert_true(xdr_decode_u32(&p.r.results, &n) && n == 1);
	assert_true(xdr_decode_u32(&p.r.results, &st0));
	assert_int_equal(st0, NFS4ERR_BAD_STATEID);
	v41_done(&p);

	/* SECINFO_NO_NAME: parent of the root is NOENT; current works and
	 * consumes the filehandle. */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_SECINFO_NO_NAME);
	xdr_encode_u32(&m.e, 1);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_NOENT);
	v41_done(&p);
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_PUTROOTFH);
	v41_op(&m, OP_SECINFO_NO_NAME);
	xdr_encode_u32(&m.e, 0);
	v41_op(&m, OP_GETFH);
	v41_send(fd, s.cred, &m, &p);
	v41_seq_result(&p, NULL);
	v41_next(&p, OP_PUTROOTFH);
	assert_int_equal(v41_next(&p, OP_SECINFO_NO_NAME), NFS4_OK);
	uint32_t nflav = 0, f0 = 0;
	assert_true(xdr_decode_u32(&p.r.results, &nflav) && nflav >= 1);
	assert_true(xdr_decode_u32(&p.r.results, &f0));
	assert_int_equal(f0, RPC_AUTH_SYS);
	assert_true(xdr_decode_skip(&p.r.results, 4 * (nflav - 1)));
	assert_int_equal(v41_next(&p, OP_GETFH), NFS4ERR_NOFILEHANDLE);
	v41_done(&p);
	close(fd);
}

/* --- DESTROY_SESSION / DESTROY_CLIENTID / BIND_CONN_TO_SESSION -------------------- */

static void test_destroy_and_bind(void **state)
{
	int fd = conn(), fd2 = conn();
	struct v41_sess s;
	v41_session_up(&s, fd, 704, "destroy", NULL);
	struct v41_call m;
	struct v41_reply p;
	/* Bind a second connection (fore) and use it. */
	v41_begin(&m, 1);
	v41_op(&m, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&m.e, s.sid, 16);
	xdr_encode_u32(&m.e, 1); /* FORE: this test answers no callbacks */
	xdr_encode_bool(&m.e, false);
	v41_send(fd2, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_BIND_CONN_TO_SESSION), NFS4_OK);
	const uint8_t *rsid;
	uint32_t dir = 0;
	assert_true(xdr_decode_opaque_fixed(&p.r.results, 16, &rsid));
	assert_memory_equal(rsid, s.sid, 16);
	assert_true(xdr_decode_u32(&p.r.results, &dir));
	assert_int_equal(dir, 1);
	v41_done(&p);
	v41_begin_seq(&s, &m, 0, false);
	v41_send(fd2, s.cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, NULL), NFS4_OK);
	v41_done(&p);
	/* Bad session; BIND not alone. */
	uint8_t bad[16];
	memcpy(bad, s.sid, 16);
	bad[0] ^= 1;
	v41_begin(&m, 1);
	v41_op(&m, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&m.e, bad, 16);
	xdr_encode_u32(&m.e, 1);
	xdr_encode_bool(&m.e, false);
	v41_send(fd2, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_BIND_CONN_TO_SESSION), NFS4ERR_BADSESSION);
	v41_done(&p);

	/* DESTROY_CLIENTID while a session exists: busy. */
	v41_begin(&m, 1);
	v41_op(&m, OP_DESTROY_CLIENTID);
	xdr_encode_u64(&m.e, s.clientid);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_DESTROY_CLIENTID), NFS4ERR_CLIENTID_BUSY);
	v41_done(&p);
	/* DESTROY_SESSION inside its own session must be last. */
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_DESTROY_SESSION);
	xdr_encode_opaque_fixed(&m.e, s.sid, 16);
	v41_op(&m, OP_PUTROOTFH);
	v41_send(fd, s.cred, &m, &p);
	v41_seq_result(&p, NULL);
	assert_int_equal(v41_next(&p, OP_DESTROY_SESSION), NFS4ERR_NOT_ONLY_OP);
	v41_done(&p);
	v41_begin_seq(&s, &m, 0, false);
	v41_op(&m, OP_DESTROY_SESSION);
	xdr_encode_opaque_fixed(&m.e, s.sid, 16);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	v41_done(&p);
	v41_begin(&m, 1);
	v41_op(&m, OP_DESTROY_SESSION);
	xdr_encode_opaque_fixed(&m.e, s.sid, 16);
	v41_send(fd, s.cred, &m, &p);
	assert_int_equal(v41_next(&p, OP_DESTROY_SESSION), NFS4ERR_BADSESSION);
	v41_done(&p);
	for (int i = 0; i < 2; i++) {
		v41_begin(&m, 1);
		v41_op(&m, OP_DESTROY_CLIENTID);
		xdr_encode_u64(&m.e, s.clientid);
		v41_send(fd, s.cred, &m, &p);
		assert_int_equal(v41_next(&p, OP_DESTROY_CLIENTID),
				 i == 0 ? NFS4_OK : NFS4ERR_STALE_CLIENTID);
		v41_done(&p);
	}
	close(fd);
	close(fd2);
}

/* --- the back channel ---------------------------------------------------------------- */

/* Sends a COMPOUND, answers CB_COMPOUND calls that arrive meanwhile with
 * cb_status for CB_SEQUENCE, and returns the reply. */
static int backchannel_calls;
/* Answer CB_SEQUENCE with NFS4_OK but another session's id. */
static bool backchannel_wrong_session;

static void send_answering(int fd, const struct rpc_cred *cred, struct v41_call *m,
			   uint32_t cb_status, struct v41_reply *out)
{
	xdr_enc_patch_u32(&m->e, m->count_off, m->nops);
	uint32_t xid = atomic_fetch_add(&v41_xid, 1);
	struct xdr_enc call;
	assert_true(xdr_enc_init(&call, 512, 1 << 20));
	rpctest_encode_call(&call, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, cred);
	xdr_encode_opaque_fixed(&call, m->e.buf->data, m->e.buf->len);
	xdr_enc_release(&m->e);
	assert_int_equal(rpctest_send_record(fd, call.buf->data, call.buf->len, 0), 0);
	xdr_enc_release(&call);
	for (;;) {
		struct buf *b;
		assert_int_equal(rpctest_recv_record(fd, &b, 8000), 0);
		struct xdr_dec d;
		xdr_dec_init(&d, b->data, b->len);
		uint32_t rxid = 0, mtype = 0;
		assert_true(xdr_decode_u32(&d, &rxid) && xdr_decode_u32(&d, &mtype));
		if (mtype == 0) {
			/* A CALL: CB_COMPOUND from the server. */
			uint32_t rpcvers = 0, prog = 0, vers = 0, proc = 0;
			assert_true(xdr_decode_u32(&d, &rpcvers) && xdr_decode_u32(&d, &prog) &&
				    xdr_decode_u32(&d, &vers) && xdr_decode_u32(&d, &proc));
			assert_int_equal(prog, V41_CB_PROGRAM);
			assert_int_equal(proc, 1);
			backchannel_calls++;
			/* The credential and verifier, then CB_COMPOUND(CB_SEQUENCE):
			 * a good answer echoes its session, seqid and slot. */
			uint32_t flavor;
			const uint8_t *body;
			uint32_t blen;
			for (int i = 0; i < 2; i++)
				assert_true(xdr_decode_u32(&d, &flavor) &&
					    xdr_decode_opaque(&d, 400, &body, &blen));
			struct nfs4_cb_compound_args_hdr ch;
			uint32_t opnum;
			struct nfs4_cb_sequence_args sa;
			assert_true(nfs4_dec_cb_compound_args_hdr(&d, &ch) && ch.numops >= 1 &&
				    nfs4_dec_op(&d, &opnum) && opnum == OP_CB_SEQUENCE &&
				    nfs4_dec_cb_sequence_args(&d, &sa));
			struct xdr_enc r;
			assert_true(xdr_enc_init(&r, 256, 4096));
			xdr_encode_u32(&r, rxid);
			xdr_encode_u32(&r, 1);  /* REPLY */
			xdr_encode_u32(&r, 0);  /* MSG_ACCEPTED */
			xdr_encode_u32(&r, 0);  /* verifier AUTH_NONE */
			xdr_encode_u32(&r, 0);
			xdr_encode_u32(&r, 0);  /* SUCCESS */
			struct nfs4_compound_res_enc re;
			nfs4_enc_compound_res_begin(&re, &r, ch.tag);
			nfs4_enc_op_res(&re, OP_CB_SEQUENCE, cb_status);
			if (cb_status == NFS4_OK) {
				struct nfs4_cb_sequence_res sr = {
					.sessionid = sa.sessionid,
					.sequenceid = sa.sequenceid,
					.slotid = sa.slotid,
					.highest_slotid = sa.highest_slotid,
					.target_highest_slotid = sa.highest_slotid,
				};
				if (backchannel_wrong_session)
					sr.sessionid.data[0] ^= 0xff;
				assert_true(nfs4_enc_cb_sequence_res(&r, &sr));
			}
			nfs4_enc_compound_res_finish(&re, cb_status);
			assert_int_equal(rpctest_send_record(fd, r.buf->data, r.buf->len, 0), 0);
			xdr_enc_release(&r);
			buf_unref(b);
			continue;
		}
		assert_int_equal(rpctest_parse_reply(b, &out->r), 0);
		assert_int_equal(out->r.xid, xid);
		const uint8_t *tag;
		uint32_t taglen;
		assert_true(xdr_decode_u32(&out->r.results, &out->status));
		assert_true(xdr_decode_opaque(&out->r.results, UINT32_MAX, &tag, &taglen));
		assert_true(xdr_decode_u32(&out->r.results, &out->nres));
		return;
	}
}

static void test_backchannel(void **state)
{
	/* Answered well; refused; answered for another session (which is
	 * no answer at all). */
	for (int variant = 0; variant < 3; variant++) {
		int fd = conn();
		struct rpc_cred cred = *v41_cred(705);
		struct v41_eid e;
		char name[32];
		snprintf(name, sizeof(name), "backchannel-%d", variant);
		assert_int_equal(v41_exchange_id(fd, &cred, name, "v1", 0, 0, &e), NFS4_OK);
		struct v41_cs cs;
		assert_int_equal(v41_create_session(fd, &cred, e.clientid, e.seq, V41_CS_BACK_CHAN,
						    NULL, &cs),
				 NFS4_OK);
		backchannel_calls = 0;
		uint32_t cb_status = variant == 1 ? NFS4ERR_BADSESSION : NFS4_OK;
		backchannel_wrong_session = variant == 2;
		uint32_t flags = 0;
		/* The first SEQUENCE starts the probe; answer it. */
		for (uint32_t seq = 1; seq <= 3; seq++) {
			struct v41_call m;
			struct v41_reply p;
			v41_begin(&m, 1);
			v41_sequence_op(&m, cs.sid, seq, 0, 0, false);
			send_answering(fd, &cred, &m, cb_status, &p);
			assert_int_equal(v41_seq_result(&p, &flags), NFS4_OK);
			v41_done(&p);
			if (backchannel_calls)
				usleep(100 * 1000); /* let the server take the answer */
		}
		assert_true(backchannel_calls >= 1);
		backchannel_wrong_session = false;
		if (variant == 0)
			assert_int_equal(flags & 0x201, 0);
		else
			assert_int_equal(flags & 0x201, 0x201); /* CB_PATH_DOWN(_SESSION) */
		close(fd);
	}
	/* A session that asked for a back channel but whose connection went:
	 * CB_PATH_DOWN_SESSION until another one is bound. */
	int fd = conn(), fd2 = conn();
	struct rpc_cred cred = *v41_cred(706);
	struct v41_eid e;
	assert_int_equal(v41_exchange_id(fd, &cred, "backchannel-gone", "v1", 0, 0, &e), NFS4_OK);
	struct v41_cs cs;
	assert_int_equal(
		v41_create_session(fd, &cred, e.clientid, e.seq, V41_CS_BACK_CHAN, NULL, &cs),
		NFS4_OK);
	close(fd);
	usleep(200 * 1000);
	struct v41_call m;
	struct v41_reply p;
	uint32_t flags = 0;
	v41_begin(&m, 1);
	v41_sequence_op(&m, cs.sid, 1, 0, 0, false);
	v41_send(fd2, &cred, &m, &p);
	assert_int_equal(v41_seq_result(&p, &flags), NFS4_OK);
	assert_int_equal(flags & 0x200, 0x200);
	v41_done(&p);
	close(fd2);
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
		cmocka_unit_test(test_state_ops),
		cmocka_unit_test(test_destroy_and_bind),
		cmocka_unit_test(test_backchannel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
