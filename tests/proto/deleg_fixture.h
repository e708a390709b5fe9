/* What the delegation protocol tests share: a ferryd with fast callback
 * retries and a short lease, started on a directory of the test's own (so
 * a restart keeps its state directory), and v4.1 helpers: OPEN with the
 * delegation decoded, DELEGRETURN, and the conflicting operations. */
#ifndef FERRY_TESTS_PROTO_DELEG_FIXTURE_H
#define FERRY_TESTS_PROTO_DELEG_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;
static char dl_dir[256];
/* Ceph mode (FERRY_TEST_BACKEND=ceph): the export's directory in CephFS,
 * kept across restarts ("" on a local export). */
static char dl_ceph_path[128];

/* Callbacks that time out in 300 ms and give up after about a second;
 * the shortest lease ferryd takes; a short grace for the restart test.
 * In ceph mode the configuration file holds the export (on CephFS); on a
 * local export it is DL_DIR/export, given on the command line. */
static inline int dl_start(void)
{
	char conf[300], exp[300], state[300];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	snprintf(exp, sizeof(exp), "%s/export:/export", dl_dir);
	snprintf(state, sizeof(state), "%s/state", dl_dir);
	if (ferryd_ceph_mode()) {
		const char *args[] = {"--config", conf, "--state-dir", state, NULL};
		int rc = ferryd_start_own(&server, args);
		snprintf(server.ceph_path, sizeof(server.ceph_path), "%s", dl_ceph_path);
		return rc;
	}
	const char *args[] = {"--config", conf, "--export", exp, "--state-dir", state, NULL};
	return ferryd_start(&server, args);
}

/* The server with extra lines in [nfs] (after the fixture's own). */
static inline int dl_setup_with(const char *extra)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-deleg-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	char p[300];
	snprintf(p, sizeof(p), "%s/export", dl_dir);
	if (mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ferry.conf", dl_dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fprintf(f, "[nfs]\nlease_time = 10\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		   "callback_retry_ms = 200\ncallback_retries = 1\n%s",
		extra);
	bool ok = !ferryd_ceph_mode() ||
		  ferryd_ceph_export_section(f, dl_ceph_path, sizeof(dl_ceph_path));
	if (fclose(f) != 0 || !ok)
		return -1;
	return dl_start();
}

static inline int dl_setup(void **st)
{
	(void)st;
	return dl_setup_with("");
}

static inline int dl_teardown(void **st)
{
	(void)st;
	int rc = ferryd_stop(&server);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dl_dir);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

static inline uint64_t dl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct dl_open;
static inline void dl_wait_path_up(struct nfs4c_sess *s, const char *name);

/* A v4.1 client whose fore connection is its back channel, served by svc
 * in the background (so callbacks are answered while the test waits on
 * another client), with the probe answered: delegations can be granted. */
static inline void dl_client_minor(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name,
				   uint32_t uid, uint32_t minor)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	nfs4c_bg_start(fd);
	nfs4c_session_up_minor_flags(s, minor, fd, uid, name, NULL,
				     CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
	assert_true(nfs4c_cb_wait(svc, OP_CB_SEQUENCE, 1, 5000));
	dl_wait_path_up(s, name);
}

static inline void dl_client(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name, uint32_t uid)
{
	dl_client_minor(s, svc, name, uid, 1);
}

static inline void dl_client_end(struct nfs4c_sess *s, struct nfs4c_cb *svc)
{
	nfs4c_bg_stop(s->fd);
	nfs4c_close(s->fd);
	nfs4c_cb_destroy(svc);
}

/* The result of an OPEN. */
struct dl_open {
	uint32_t status;
	struct nfs4_stateid stateid;
	struct nfs4_open_delegation deleg;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* SEQUENCE, PUTROOTFH, LOOKUP dir (the export's pseudo name), OPEN name
 * (share_access with the WANT bits), GETFH. */
static inline struct dl_open dl_open_full(struct nfs4c_sess *s, const char *dir, const char *name,
					  uint32_t access, bool create,
					  const struct nfs4_open_claim *claim, const uint8_t *fh,
					  uint32_t fhlen)
{
	struct dl_open out;
	memset(&out, 0, sizeof(out));
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = access;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str("dl-owner");
	a.opentype = create ? OPEN4_CREATE : OPEN4_NOCREATE;
	a.how.mode = UNCHECKED4;
	static const uint8_t mode[4] = {0, 0, 0x01, 0xb6}; /* 0666 */
	nfs4_bitmap_set(&a.how.attrs.mask, FATTR4_MODE);
	a.how.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	if (claim) {
		a.claim = *claim;
	} else {
		a.claim.type = CLAIM_NULL;
		a.claim.file = nfs4_opaque_str(name);
	}
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	if (fh) {
		nfs4c_putfh(&m, fh, fhlen);
	} else {
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, dir);
	}
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	if (fh) {
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	} else {
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	}
	out.status = nfs4c_next(&p, OP_OPEN);
	if (out.status == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		out.stateid = r.stateid;
		out.deleg = r.delegation;
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(out.fh, g.fh.data, g.fh.len);
		out.fhlen = g.fh.len;
	}
	nfs4c_done(&p);
	return out;
}

static inline struct dl_open dl_open_claim(struct nfs4c_sess *s, const char *name, uint32_t access,
				    bool create, const struct nfs4_open_claim *claim,
				    const uint8_t *fh, uint32_t fhlen)
{
	return dl_open_full(s, "export", name, access, create, claim, fh, fhlen);
}

static inline struct dl_open dl_open(struct nfs4c_sess *s, const char *name, uint32_t access,
			      bool create)
{
	return dl_open_claim(s, name, access, create, NULL, NULL, 0);
}

static inline uint32_t dl_delegreturn(struct nfs4c_sess *s, const struct dl_open *o);

/* The probe's answer is recorded by the client before the server has read
 * it: until then a delegation is refused.  Waits until a file of its own
 * gets one (and returns it). */
static inline void dl_wait_path_up(struct nfs4c_sess *s, const char *name)
{
	char probe[80];
	snprintf(probe, sizeof(probe), "probe-%s", name);
	uint64_t end = dl_now_ms() + 5000;
	struct dl_open o;
	while ((o = dl_open(s, probe, OPEN4_SHARE_ACCESS_READ, true)).deleg.type ==
		       OPEN_DELEGATE_NONE &&
	       dl_now_ms() < end)
		usleep(20 * 1000);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(dl_delegreturn(s, &o), NFS4_OK);
}

/* One operation on the current file fh (NULL: the export's directory)
 * after SEQUENCE and PUTFH; returns its status. */
typedef void (*dl_op_fn)(struct nfs4c_call *m, const void *arg);

static inline uint32_t dl_on(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint32_t opnum,
		      dl_op_fn add, const void *arg)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	if (fh) {
		nfs4c_putfh(&m, fh, fhlen);
	} else {
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
	}
	add(&m, arg);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	uint32_t st = nfs4c_next(&p, fh ? OP_PUTFH : OP_PUTROOTFH);
	if (st == NFS4_OK && !fh)
		st = nfs4c_next(&p, OP_LOOKUP);
	/* Ops added before the one of interest (SAVEFH, LOOKUP) succeed. */
	uint32_t op;
	while (st == NFS4_OK && nfs4c_result(&p, &op, &st) && op != opnum) {
		if (op == OP_LOOKUP || op == OP_SAVEFH || op == OP_PUTROOTFH || op == OP_PUTFH)
			continue;
		break;
	}
	nfs4c_done(&p);
	return st;
}

/* RECLAIM_COMPLETE on s, which must succeed. */
static inline void dl_reclaim_complete(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

static inline void add_delegreturn(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_DELEGRETURN, nfs4_enc_delegreturn_args,
		 &(struct nfs4_stateid_args){*(const struct nfs4_stateid *)arg});
}

/* v4.0: OPEN (created when missing) until the probe's answer counts (it
 * is recorded by the client before the server read it); false when no
 * delegation comes at all within 3 s. */
static inline bool dl_open40_deleg(struct nfs4c_client40 *c, const char *owner, uint32_t *seqid,
				   const char *name, uint32_t access, struct nfs4c_open40 *o)
{
	uint64_t end = dl_now_ms() + 3000;
	do {
		assert_int_equal(nfs4c_open40(c, owner, seqid, "export", name, access, true, o),
				 NFS4_OK);
		if (o->deleg.type != OPEN_DELEGATE_NONE)
			return true;
		usleep(100 * 1000);
	} while (dl_now_ms() < end);
	return false;
}

static inline uint32_t dl_delegreturn(struct nfs4c_sess *s, const struct dl_open *o)
{
	return dl_on(s, o->fh, o->fhlen, OP_DELEGRETURN, add_delegreturn, &o->deleg.stateid);
}

/* TEST_STATEID of one stateid: its status in the result (the operation's
 * own must be NFS4_OK). */
static inline void add_test_stateid(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_test_stateid_args t = {.count = 1, .items = arg};
	NFS4C_OP(m, OP_TEST_STATEID, nfs4_enc_test_stateid_args, &t);
}

static inline uint32_t dl_test_stateid(struct nfs4c_sess *s, const struct nfs4_stateid *sid)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	add_test_stateid(&m, sid);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_TEST_STATEID), NFS4_OK);
	uint32_t n = 0, s0 = 0;
	assert_true(xdr_decode_u32(&p.d, &n) && n == 1 && xdr_decode_u32(&p.d, &s0));
	nfs4c_done(&p);
	return s0;
}

static inline void add_free_stateid(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_FREE_STATEID, nfs4_enc_free_stateid_args,
		 &(struct nfs4_stateid_args){*(const struct nfs4_stateid *)arg});
}

/* v4.0: the callback_ident the fixture's clients give. */
enum { DL_CB_IDENT = 0x1234 };

/* A v4.0 client with a callback listener; waits for the probe. */
static inline void dl_client40(struct nfs4c_client40 *c, struct nfs4c_cb *svc,
			       struct nfs4c_cb_listener *l, const char *id, uint32_t uid)
{
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	assert_int_equal(nfs4c_cb_listen(l, svc), 0);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_setclientid(c, fd, nfs4c_cred(uid), id, NFS4C_CB_PROGRAM, "tcp",
					   l->uaddr, DL_CB_IDENT),
			 NFS4_OK);
	assert_true(nfs4c_cb_wait(svc, 0, 1, 5000)); /* CB_NULL */
}

static inline void dl_client40_end(struct nfs4c_client40 *c, struct nfs4c_cb *svc,
				   struct nfs4c_cb_listener *l)
{
	nfs4c_close(c->fd);
	nfs4c_cb_listen_stop(l);
	nfs4c_cb_destroy(svc);
}

static inline uint32_t dl_delegreturn40(struct nfs4c_client40 *c, const struct nfs4c_open40 *o)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	NFS4C_OP(&m, OP_DELEGRETURN, nfs4_enc_delegreturn_args,
		 &(struct nfs4_stateid_args){o->deleg.stateid});
	nfs4c_send(c->fd, c->cred, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t s = nfs4c_next(&p, OP_DELEGRETURN);
	nfs4c_done(&p);
	return s;
}

static inline uint32_t dl_renew40(struct nfs4c_client40 *c)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	NFS4C_OP(&m, OP_RENEW, nfs4_enc_renew_args, &(struct nfs4_renew_args){c->clientid});
	nfs4c_send(c->fd, c->cred, &m, &p);
	uint32_t s = nfs4c_next(&p, OP_RENEW);
	nfs4c_done(&p);
	return s;
}

#endif
