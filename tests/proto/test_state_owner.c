/* State belongs to its client: with two v4.1 clients of one ferryd, the
 * second one naming the first one's stateids (CLOSE, OPEN_DOWNGRADE, LOCK,
 * LOCKU, READ, WRITE, DELEGRETURN, FREE_STATEID, TEST_STATEID) gets
 * NFS4ERR_BAD_STATEID (RFC 8881 8.2.4) and changes nothing.  A v4.0 OPEN
 * replayed from a host the export does not admit gets no file.
 *
 * The export admits 127.0.0.1 only; 127.0.0.2 plays a host it does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "proto/state41_helpers.h"

static struct ferryd_proc server;
static char exp_dir[300], conf[310];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(exp_dir, sizeof(exp_dir), "%s/ferry-owner-XXXXXX", tmp);
	if (!mkdtemp(exp_dir) || chmod(exp_dir, 0777) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s.conf", exp_dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "[export e]\npath = %s\npseudo = /export\nsquash = none\n"
		   "clients = 127.0.0.1/32\n",
		exp_dir);
	fclose(f);
	const char *args[] = {"--config", conf, NULL};
	return ferryd_start(&server, args);
}

static int teardown(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", exp_dir, conf);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

static int conn(void) { return nfs4c_connect(server.hostport); }

/* A connection to the server from source address src (127.0.0.0/8 is all
 * on the loopback interface). */
static int conn_from(const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_port = htons(server.port);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* The result of an OPEN of a new file for reading and writing. */
struct owned {
	struct nfs4_stateid open;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* No delegation (open41 asks for none): the test is about open and lock
 * stateids. */
static void open_rw(struct nfs4c_sess *s, const char *name, struct owned *out)
{
	assert_int_equal(open41(s, "owner", name, &out->open, out->fh, &out->fhlen), NFS4_OK);
}

/* SEQUENCE, PUTFH fh, then the operation opnum whose arguments enc
 * encodes; its status, and its result body decoded by dec when it
 * succeeded (dec may be NULL). */
typedef bool (*enc_fn)(struct xdr_enc *e, const void *args);
typedef bool (*dec_fn)(struct xdr_dec *d, void *res);

static uint32_t op_on(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint32_t opnum,
		      enc_fn enc, const void *args, dec_fn dec, void *res)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	assert_true(enc(nfs4c_op(&m, opnum), args));
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, opnum);
	if (st == NFS4_OK && dec)
		assert_true(dec(&p.d, res));
	nfs4c_done(&p);
	return st;
}

#define ENC(f) ((enc_fn)(f))
#define DEC(f) ((dec_fn)(f))

static uint32_t lock_new(struct nfs4c_sess *s, const struct owned *o, const char *lock_owner,
			 uint64_t off, struct nfs4_stateid *out)
{
	struct nfs4_lock_args a = {
		.locktype = WRITE_LT,
		.offset = off,
		.length = 10,
		.locker = {.new_lock_owner = true,
			   .open_stateid = o->open,
			   .owner = {s->clientid, nfs4_opaque_str(lock_owner)}},
	};
	struct nfs4_stateid_res r;
	uint32_t st = op_on(s, o->fh, o->fhlen, OP_LOCK, ENC(nfs4_enc_lock_args), &a,
			    DEC(nfs4_dec_lock_res), &r);
	if (st == NFS4_OK)
		*out = r.stateid;
	return st;
}

static uint32_t test_one(struct nfs4c_sess *s, const struct nfs4_stateid *sid)
{
	struct nfs4_test_stateid_args a = {.count = 1, .items = sid};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	assert_true(nfs4_enc_test_stateid_args(nfs4c_op(&m, OP_TEST_STATEID), &a));
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_TEST_STATEID), NFS4_OK);
	struct nfs4_test_stateid_res r;
	assert_true(nfs4_dec_test_stateid_res(&p.d, &r));
	assert_int_equal(r.count, 1);
	uint32_t st = nfs4_test_stateid_res_get(&r, 0);
	nfs4c_done(&p);
	return st;
}

static void test_foreign_stateids_are_bad(void **state)
{
	(void)state;
	struct nfs4c_sess a, b;
	nfs4c_session_up(&a, conn(), 0, "owner-a", NULL);
	nfs4c_session_up(&b, conn(), 0, "owner-b", NULL);
	struct owned oa, ob;
	open_rw(&a, "owned-a", &oa);
	open_rw(&b, "owned-b", &ob);
	struct nfs4_stateid la;
	assert_int_equal(lock_new(&a, &oa, "lock-a", 0, &la), NFS4_OK);

	/* B on A's file with A's stateids. */
	struct nfs4_close_args close = {.stateid = oa.open};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_CLOSE, ENC(nfs4_enc_close_args), &close,
			       NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_open_downgrade_args dg = {.stateid = oa.open,
					      .share_access = OPEN4_SHARE_ACCESS_READ};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_OPEN_DOWNGRADE,
			       ENC(nfs4_enc_open_downgrade_args), &dg, NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_locku_args lu = {.locktype = WRITE_LT, .stateid = la, .offset = 0,
				     .length = 10};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_LOCKU, ENC(nfs4_enc_locku_args), &lu,
			       NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_stateid lb;
	assert_int_equal(lock_new(&b, &oa, "lock-b", 100, &lb), NFS4ERR_BAD_STATEID);
	struct nfs4_lock_args more = {
		.locktype = WRITE_LT, .offset = 200, .length = 10,
		.locker = {.new_lock_owner = false, .lock_stateid = la}};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_LOCK, ENC(nfs4_enc_lock_args), &more,
			       NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_read_args rd = {.stateid = oa.open, .offset = 0, .count = 10};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_READ, ENC(nfs4_enc_read_args), &rd, NULL,
			       NULL),
			 NFS4ERR_BAD_STATEID);
	static const uint8_t data[4] = "evil";
	struct nfs4_write_args wr = {.stateid = la, .offset = 0, .stable = FILE_SYNC4,
				     .data = {data, sizeof(data)}};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_WRITE, ENC(nfs4_enc_write_args), &wr,
			       NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_stateid_args dr = {.stateid = oa.open};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_DELEGRETURN,
			       ENC(nfs4_enc_delegreturn_args), &dr, NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	struct nfs4_stateid_args fr = {.stateid = la};
	assert_int_equal(op_on(&b, oa.fh, oa.fhlen, OP_FREE_STATEID,
			       ENC(nfs4_enc_free_stateid_args), &fr, NULL, NULL),
			 NFS4ERR_BAD_STATEID);
	assert_int_equal(test_one(&b, &oa.open), NFS4ERR_BAD_STATEID);
	assert_int_equal(test_one(&b, &la), NFS4ERR_BAD_STATEID);

	/* Nothing of A's moved: its lock stateid and open are as they were,
	 * and the lock still keeps B's own open from writing there. */
	assert_int_equal(test_one(&a, &oa.open), NFS4_OK);
	assert_int_equal(test_one(&a, &la), NFS4_OK);
	struct nfs4_write_args wb = {.stateid = ob.open, .offset = 0, .stable = FILE_SYNC4,
				     .data = {data, sizeof(data)}};
	/* (B's own file: fine.) */
	assert_int_equal(op_on(&b, ob.fh, ob.fhlen, OP_WRITE, ENC(nfs4_enc_write_args), &wb,
			       NULL, NULL),
			 NFS4_OK);
	lu.seqid = 0;
	assert_int_equal(op_on(&a, oa.fh, oa.fhlen, OP_LOCKU, ENC(nfs4_enc_locku_args), &lu,
			       NULL, NULL),
			 NFS4_OK);
	assert_int_equal(op_on(&a, oa.fh, oa.fhlen, OP_CLOSE, ENC(nfs4_enc_close_args), &close,
			       NULL, NULL),
			 NFS4_OK);
	nfs4c_close(a.fd);
	nfs4c_close(b.fd);
}

/* A v4.0 COMPOUND has no session to name its client, but a v4.1 client's
 * stateids belong to its sessions: used from v4.0 they are not valid
 * either (else v4.0 were the way around the check above). */
static void test_v41_stateids_not_for_v40(void **state)
{
	(void)state;
	struct nfs4c_sess a;
	nfs4c_session_up(&a, conn(), 0, "owner-a41", NULL);
	struct owned oa;
	open_rw(&a, "owned-a41", &oa);
	struct nfs4_stateid la;
	assert_int_equal(lock_new(&a, &oa, "lock-a41", 0, &la), NFS4_OK);
	int fd = conn();
	static const uint8_t data[4] = "evil";
	for (int op = 0; op < 4; op++) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin(&m, 0);
		nfs4c_putfh(&m, oa.fh, oa.fhlen);
		uint32_t opnum;
		if (op == 0) {
			struct nfs4_close_args a0 = {.seqid = 1, .stateid = oa.open};
			assert_true(nfs4_enc_close_args(nfs4c_op(&m, opnum = OP_CLOSE), &a0));
		} else if (op == 1) {
			struct nfs4_write_args a1 = {.stateid = oa.open, .stable = FILE_SYNC4,
						     .data = {data, sizeof(data)}};
			assert_true(nfs4_enc_write_args(nfs4c_op(&m, opnum = OP_WRITE), &a1));
		} else if (op == 2) {
			struct nfs4_locku_args a2 = {.locktype = WRITE_LT, .seqid = 1,
						     .stateid = la, .length = 10};
			assert_true(nfs4_enc_locku_args(nfs4c_op(&m, opnum = OP_LOCKU), &a2));
		} else {
			struct nfs4_stateid_args a3 = {.stateid = oa.open};
			assert_true(nfs4_enc_delegreturn_args(nfs4c_op(&m, opnum = OP_DELEGRETURN),
							      &a3));
		}
		nfs4c_send(fd, nfs4c_root_cred(), &m, &p);
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, opnum), NFS4ERR_BAD_STATEID);
		nfs4c_done(&p);
	}
	nfs4c_close(fd);
	assert_int_equal(test_one(&a, &oa.open), NFS4_OK);
	assert_int_equal(test_one(&a, &la), NFS4_OK);
	nfs4c_close(a.fd);
}

/* Nor its clientid: to a v4.0 request (OPEN, LOCKT, RENEW) a v4.1 client
 * is not one it may name (NFS4ERR_STALE_CLIENTID, as an unknown one), so
 * no open owner or open is made in its name. */
static void test_v41_clientid_not_for_v40(void **state)
{
	(void)state;
	struct nfs4c_sess a;
	nfs4c_session_up(&a, conn(), 0, "owner-b41", NULL);
	int fd = conn();
	for (int op = 0; op < 3; op++) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin(&m, 0);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		uint32_t opnum;
		if (op == 0) {
			struct nfs4_open_args o;
			memset(&o, 0, sizeof(o));
			o.seqid = 1;
			o.share_access = OPEN4_SHARE_ACCESS_BOTH;
			o.share_deny = OPEN4_SHARE_DENY_BOTH;
			o.owner.clientid = a.clientid;
			o.owner.owner = nfs4_opaque_str("in-its-name");
			o.opentype = OPEN4_CREATE;
			o.how.mode = UNCHECKED4;
			o.claim.type = CLAIM_NULL;
			o.claim.file = nfs4_opaque_str("in-its-name");
			nfs4c_open_op(&m, &o);
			opnum = OP_OPEN;
		} else if (op == 1) {
			struct nfs4_lockt_args t = {.locktype = WRITE_LT, .length = 1,
						    .owner = {a.clientid, nfs4_opaque_str("x")}};
			assert_true(nfs4_enc_lockt_args(nfs4c_op(&m, opnum = OP_LOCKT), &t));
		} else {
			struct nfs4_clientid_args r = {.clientid = a.clientid};
			assert_true(nfs4_enc_renew_args(nfs4c_op(&m, opnum = OP_RENEW), &r));
		}
		nfs4c_send(fd, nfs4c_root_cred(), &m, &p);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, opnum), NFS4ERR_STALE_CLIENTID);
		nfs4c_done(&p);
	}
	nfs4c_close(fd);
	nfs4c_close(a.fd);
}

/* The other way round: DESTROY_CLIENTID (v4.1, session-less) named a v4.0
 * client without state and destroyed it. */
static void test_v40_clientid_not_for_v41(void **state)
{
	(void)state;
	int fd = conn();
	struct nfs4c_client40 c;
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_root_cred(), "victim-40", 0x40000000,
					   NULL, NULL, 1),
			 NFS4_OK);
	struct nfs4c_sess fake = {.fd = fd, .cred = nfs4c_root_cred(), .clientid = c.clientid};
	assert_int_equal(nfs4c_destroy_clientid(&fake), NFS4ERR_STALE_CLIENTID);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	struct nfs4_clientid_args r = {.clientid = c.clientid};
	assert_true(nfs4_enc_renew_args(nfs4c_op(&m, OP_RENEW), &r));
	nfs4c_send(fd, nfs4c_root_cred(), &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_RENEW), NFS4_OK);
	nfs4c_done(&p);
	nfs4c_close(fd);
}

/* The reply cached for an open owner's last OPEN made its file current on a
 * replay without the check PUTFH does: from a host the export does not
 * admit, a replay led to the file (GETFH, then READ or WRITE on it). */
static void test_open_replay_checks_export(void **state)
{
	(void)state;
	int fd = conn();
	struct nfs4c_client40 c;
	assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_root_cred(), "replay-40", 0x40000000,
					   NULL, NULL, 1),
			 NFS4_OK);
	uint32_t seqid = 1;
	struct nfs4c_open40 o;
	assert_int_equal(nfs4c_open40(&c, "ro", &seqid, "export", "first", OPEN4_SHARE_ACCESS_BOTH,
				      true, &o),
			 NFS4_OK);
	uint32_t last = seqid;
	assert_int_equal(nfs4c_open40(&c, "ro", &seqid, "export", "second",
				      OPEN4_SHARE_ACCESS_BOTH, true, &o),
			 NFS4_OK);

	/* The same OPEN (owner and seqid) again, from each host. */
	for (int from_other = 0; from_other < 2; from_other++) {
		int rfd = from_other ? conn_from("127.0.0.2") : conn();
		struct nfs4_open_args a;
		memset(&a, 0, sizeof(a));
		a.seqid = last;
		a.share_access = OPEN4_SHARE_ACCESS_BOTH;
		a.owner.clientid = c.clientid;
		a.owner.owner = nfs4_opaque_str("ro");
		a.opentype = OPEN4_NOCREATE;
		a.claim.type = CLAIM_NULL;
		a.claim.file = nfs4_opaque_str("second");
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin(&m, 0);
		nfs4c_putrootfh(&m);
		nfs4c_open_op(&m, &a);
		nfs4c_getfh(&m);
		nfs4c_send(rfd, nfs4c_root_cred(), &m, &p);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		uint32_t st = nfs4c_next(&p, OP_OPEN);
		if (from_other) {
			assert_int_equal(st, NFS4ERR_ACCESS);
			assert_int_equal(p.nres, 2);
		} else {
			/* The owner's own host gets its reply again. */
			assert_int_equal(st, NFS4_OK);
			struct nfs4_open_res r;
			assert_true(nfs4_dec_open_res(&p.d, &r));
			assert_memory_equal(r.stateid.other, o.stateid.other, NFS4_OTHER_SIZE);
			assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		}
		nfs4c_done(&p);
		close(rfd);
	}
	assert_int_equal(nfs4c_close40(&c, &seqid, &o), NFS4_OK);
	nfs4c_close(fd);
}

/* OPEN EXCLUSIVE4_1 of name with verifier v by session s (v4.1). */
static uint32_t open_excl(struct nfs4c_sess *s, const char *name, const uint8_t v[8])
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str("excl");
	a.opentype = OPEN4_CREATE;
	a.how.mode = EXCLUSIVE4_1;
	memcpy(a.how.verifier.data, v, 8);
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_open_op(&m, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_OPEN);
	nfs4c_done(&p);
	return st;
}

/* The back end keeps an EXCLUSIVE verifier in the file's times, so a file
 * whose times spell the verifier was taken for this create's own and
 * opened without the access check: a user got share reservations (deny
 * included) on a root file with mode 0600.  A retry of one's own create
 * still opens the file it made (mode 0 until the client sets one). */
static void test_exclusive_verifier_is_not_a_key(void **state)
{
	(void)state;
	char path[400];
	snprintf(path, sizeof(path), "%s/secret", exp_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, 0, 0), 0);
	/* Verifier bytes 0-3: mtime seconds, 4-7: atime seconds. */
	static const uint8_t v[8] = {0x12, 0x34, 0x56, 0x78, 0x0a, 0xbc, 0xde, 0xf0};
	struct timespec t[2] = {{.tv_sec = 0x0abcdef0}, {.tv_sec = 0x12345678}};
	assert_int_equal(futimens(fd, t), 0);
	close(fd);

	struct nfs4c_sess u;
	nfs4c_session_up(&u, conn(), 1000, "excl-user", NULL);
	assert_int_equal(open_excl(&u, "secret", v), NFS4ERR_ACCESS);

	static const uint8_t mine[8] = "mine-v01";
	assert_int_equal(open_excl(&u, "mine", mine), NFS4_OK);
	/* The reply was lost, say: the same create again. */
	assert_int_equal(open_excl(&u, "mine", mine), NFS4_OK);
	nfs4c_close(u.fd);
}

/* A host that no export admits may not set up a client: SETCLIENTID gets
 * NFS4ERR_ACCESS and EXCHANGE_ID NFS4ERR_PERM, and no record is made (it
 * could only fill the server's client table). */
static void test_client_state_only_for_admitted_hosts(void **state)
{
	(void)state;
	char *page = ctlt_scrape(&server);
	double unconf = ctlt_metric(page, "ferry_clients_unconfirmed");
	free(page);
	int fd = conn_from("127.0.0.2");
	struct nfs4_setclientid_args a;
	memset(&a, 0, sizeof(a));
	memcpy(a.verifier.data, "outsider", 8);
	a.id = nfs4_opaque_str("outsider-40");
	a.cb_program = 0x40000000;
	a.cb_location.netid = nfs4_opaque_str("tcp");
	a.cb_location.addr = nfs4_opaque_str("127.0.0.2.0.0");
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_setclientid_op(&m, &a);
	nfs4c_send(fd, nfs4c_root_cred(), &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_SETCLIENTID), NFS4ERR_ACCESS);
	nfs4c_done(&p);
	struct nfs4c_eid eid;
	assert_int_equal(nfs4c_exchange_id(fd, nfs4c_root_cred(), "outsider-41", "v1", 0,
					   SP4_NONE, &eid),
			 NFS4ERR_PERM);
	close(fd);
	page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_clients_unconfirmed") == unconf);
	free(page);
	/* The admitted host still may. */
	fd = conn();
	assert_int_equal(nfs4c_exchange_id(fd, nfs4c_root_cred(), "insider-41", "v1", 0, SP4_NONE,
					   &eid),
			 NFS4_OK);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_stateids_are_bad),
		cmocka_unit_test(test_v41_stateids_not_for_v40),
		cmocka_unit_test(test_v41_clientid_not_for_v40),
		cmocka_unit_test(test_v40_clientid_not_for_v41),
		cmocka_unit_test(test_open_replay_checks_export),
		cmocka_unit_test(test_exclusive_verifier_is_not_a_key),
		cmocka_unit_test(test_client_state_only_for_admitted_hosts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
