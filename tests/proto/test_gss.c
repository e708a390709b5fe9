/* RPCSEC_GSS against a real ferryd, with a throwaway Kerberos realm
 * (tests/lib/krb5_kdc.sh): alice, whom the realm's auth_to_local maps to
 * the local user daemon (uid 1), works through the test client's GSS
 * initiator (nfs4c_gss_attach) under krb5, krb5i and krb5p.
 *
 *   - a whole v4.1 session under each service: EXCHANGE_ID, CREATE_SESSION,
 *     OPEN create, WRITE, READ back, CLOSE, DESTROY_SESSION and
 *     DESTROY_CLIENTID, then the context's DESTROY; the file belongs to
 *     uid 1;
 *   - a sequence number sent again gets no reply (the server drops it) and
 *     the connection goes on; a call of a destroyed context is refused;
 *   - a krb5i call whose checksum or body was tampered with, or a krb5p
 *     call whose token was, is GARBAGE_ARGS; a header checksum that does
 *     not verify is AUTH_ERROR;
 *   - AUTH_SYS on an export of sec = krb5 gets NFS4ERR_WRONGSEC entering
 *     it, and SECINFO_NO_NAME and SECINFO answer its flavours, in order,
 *     with the Kerberos 5 OID and the services. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"
#include "lib/tls_test.h"
#include "proto/state41_helpers.h"

enum {
	ALICE_UID = 1,       /* daemon, by the realm's auth_to_local */
	/* The AUTH_SYS identity the session helpers are given, which the
	 * calls must not carry under RPCSEC_GSS. */
	IGNORED_UID = 4242,
	DROP_WAIT_MS = 1500, /* how long a dropped call is waited for */
};

/* The Kerberos 5 mechanism, 1.2.840.113554.1.2.2, as sec_oid4 holds it. */
static const uint8_t KRB5_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

/* --- the realm and the servers ------------------------------------------------------- */

static struct krb5_kdc kdc;

/* The realm's KRB5_CONFIG and replay cache directory are in the
 * environment, which the ferryds started here inherit. */
static int realm_up(void **state)
{
	(void)state;
	return krb5_kdc_start(&kdc);
}

static int realm_down(void **state)
{
	(void)state;
	krb5_kdc_stop(&kdc);
	return 0;
}

/* ferryd with its export's flavours sec and the realm's server keys. */
static void start(struct ferryd_proc *p, const char *sec)
{
	char conf[800];
	snprintf(conf, sizeof(conf), "sec = %s\n[server]\nkeytab = %s\n", sec, kdc.keytab);
	assert_int_equal(ferryd_start_export(p, conf), 0);
}

static struct rpc_gss_client *alice(void)
{
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "alice");
	assert_non_null(g);
	return g;
}

/* A connection of alice's with service. */
static int gss_connect(const struct ferryd_proc *p, struct rpc_gss_client *g, uint32_t service)
{
	int fd = nfs4c_connect(p->hostport);
	int rc = nfs4c_gss_attach(fd, g, service);
	if (rc)
		fail_msg("context over %s: %d %s", p->hostport, rc, rpc_gss_client_error(g));
	return fd;
}

static double metric(const struct ferryd_proc *p, const char *series)
{
	char *page = ctlt_scrape(p);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

/* --- a whole session ------------------------------------------------------------------- */

static const char DATA[] = "written under RPCSEC_GSS, read back the same way\n";

static void write_read_close(struct nfs4c_sess *s, const struct nfs4_stateid *sid,
			     const uint8_t *fh, uint32_t fhlen)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stateid = *sid;
	w.stable = FILE_SYNC4;
	w.data = (struct nfs4_opaque){(const uint8_t *)DATA, sizeof(DATA) - 1};
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_send(s->fd, s->cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_WRITE), NFS4_OK);
	struct nfs4_write_res wr;
	assert_true(nfs4_dec_write_res(&r.d, &wr));
	assert_int_equal(wr.count, sizeof(DATA) - 1);
	nfs4c_done(&r);

	struct nfs4_read_args ra = {.stateid = *sid, .offset = 0, .count = 4096};
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &ra);
	nfs4c_send(s->fd, s->cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_READ), NFS4_OK);
	struct nfs4_read_res rr;
	assert_true(nfs4_dec_read_res(&r.d, &rr));
	assert_true(rr.eof);
	assert_int_equal(rr.data.len, sizeof(DATA) - 1);
	assert_memory_equal(rr.data.data, DATA, sizeof(DATA) - 1);
	nfs4c_done(&r);

	struct nfs4_close_args c = {.seqid = 0, .stateid = *sid};
	assert_int_equal(op41(s, fh, fhlen, OP_CLOSE, enc_close, &c, NULL), NFS4_OK);
}

/* Whether a WRITE of DATA shows it on the wire under fd's service: it
 * must under krb5 and krb5i, never under krb5p. */
static bool data_on_wire(int fd)
{
	struct nfs4c_call m;
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stable = FILE_SYNC4;
	w.data = (struct nfs4_opaque){(const uint8_t *)DATA, sizeof(DATA) - 1};
	nfs4c_begin(&m, 1);
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	struct buf *args = nfs4c_call_bytes(&m), *call;
	struct rpc_gss_client_call info;
	assert_int_equal(nfs4c_gss_build(fd, 0x57520001, NFS4_PROGRAM, NFS4_VERSION,
					 NFSPROC4_COMPOUND, args->data, args->len, &call, &info),
			 0);
	bool seen = memmem(call->data, call->len, DATA, sizeof(DATA) - 1) != NULL;
	buf_unref(call);
	buf_unref(args);
	return seen;
}

static void session_under(uint32_t service, const char *svc_name)
{
	struct ferryd_proc p;
	start(&p, "krb5p:krb5i:krb5:sys");
	struct rpc_gss_client *g = alice();
	int fd = gss_connect(&p, g, service);
	assert_int_equal(rpc_gss_client_window(g), 128);
	assert_true(data_on_wire(fd) == (service != RPC_GSS_SVC_PRIVACY));

	char owner[64], name[64];
	snprintf(owner, sizeof(owner), "gss-%s", svc_name);
	snprintf(name, sizeof(name), "by-alice-%s", svc_name);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, IGNORED_UID, owner, NULL);
	struct nfs4_stateid sid;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	assert_int_equal(open41(&s, "alice-open", name, &sid, fh, &fhlen), NFS4_OK);
	write_read_close(&s, &sid, fh, fhlen);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&s), NFS4_OK);

	char series[96];
	snprintf(series, sizeof(series), "ferry_gss_calls_total{service=\"%s\"}", svc_name);
	/* EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE, OPEN, WRITE, READ,
	 * CLOSE, DESTROY_SESSION, DESTROY_CLIENTID. */
	assert_true(metric(&p, series) >= 9);
	assert_int_equal(nfs4c_gss_destroy(fd), 0);
	assert_true(metric(&p, "ferry_gss_context_events_total{event=\"destroyed\"}") >= 1);
	/* The realm's aes256-cts-hmac-sha1-96 contexts: ferryd's own tokens. */
	assert_true(metric(&p, "ferry_gss_openssl_contexts_total") >= 1);
	assert_true(metric(&p, "ferry_gss_openssl_contexts_total") ==
		    metric(&p, "ferry_gss_context_events_total{event=\"created\"}"));

	char path[512];
	struct stat st;
	ferryd_export_path(&p, name, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, ALICE_UID);
	assert_int_equal(st.st_size, sizeof(DATA) - 1);

	nfs4c_close(fd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_session_krb5(void **state)
{
	(void)state;
	session_under(RPC_GSS_SVC_NONE, "krb5");
}

static void test_session_krb5i(void **state)
{
	(void)state;
	session_under(RPC_GSS_SVC_INTEGRITY, "krb5i");
}

static void test_session_krb5p(void **state)
{
	(void)state;
	session_under(RPC_GSS_SVC_PRIVACY, "krb5p");
}

/* --- replays, tampering, a destroyed context ------------------------------------------- */

/* A COMPOUND of PUTROOTFH alone, outside any session: answered (with
 * NFS4ERR_OP_NOT_IN_SESSION) whenever it is served at all. */
static struct buf *bare_compound(void)
{
	struct nfs4c_call m;
	nfs4c_begin(&m, 1);
	nfs4c_putrootfh(&m);
	return nfs4c_call_bytes(&m);
}

/* Builds bare_compound through fd's context, sends it and waits. */
typedef void (*tamper_fn)(struct buf *call, const struct rpc_gss_client_call *info);

static int send_bare(int fd, uint32_t xid, struct rpc_gss_client_call *info, struct buf **raw,
		     unsigned timeout_ms, tamper_fn tamper)
{
	struct buf *args = bare_compound(), *call;
	assert_int_equal(nfs4c_gss_build(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
					 args->data, args->len, &call, info),
			 0);
	buf_unref(args);
	if (tamper)
		tamper(call, info);
	int rc = nfs4c_rpc_raw(fd, call->data, call->len, timeout_ms, raw);
	buf_unref(call);
	return rc;
}

/* The reply to bare_compound: accepted SUCCESS, OP_NOT_IN_SESSION. */
static void bare_answered(int fd, const struct rpc_gss_client_call *info, struct buf *raw)
{
	struct rpctest_reply rep;
	assert_int_equal(nfs4c_gss_reply(fd, info, raw, &rep), 0);
	struct nfs4c_reply r;
	assert_int_equal(nfs4c_reply_take(&rep, &r), 0);
	assert_int_equal(r.status, NFS4ERR_OP_NOT_IN_SESSION);
	nfs4c_done(&r);
}

static void test_replay_dropped(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "krb5p:krb5i:krb5:sys");
	struct rpc_gss_client *g = alice();
	int fd = gss_connect(&p, g, RPC_GSS_SVC_INTEGRITY);
	struct rpc_gss_client_call first, again;
	struct buf *raw = NULL;

	assert_int_equal(send_bare(fd, 0x52500001, &first, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd, &first, raw);
	double before = metric(&p, "ferry_gss_refused_total{reason=\"replay\"}");

	/* The same sequence number in a new call (new XID): dropped. */
	uint32_t next = rpc_gss_client_set_seq(g, first.seq);
	raw = NULL;
	assert_int_equal(send_bare(fd, 0x52500002, &again, &raw, DROP_WAIT_MS, NULL), -ETIMEDOUT);
	assert_null(raw);
	assert_int_equal(again.seq, first.seq);
	assert_true(metric(&p, "ferry_gss_refused_total{reason=\"replay\"}") >= before + 1);

	/* The connection and the context go on with fresh numbers. */
	rpc_gss_client_set_seq(g, next);
	assert_int_equal(send_bare(fd, 0x52500003, &again, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd, &again, raw);

	/* Far behind the window (128) is dropped too, though never seen. */
	next = rpc_gss_client_set_seq(g, first.seq + 1000);
	assert_int_equal(send_bare(fd, 0x52500004, &again, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd, &again, raw);
	rpc_gss_client_set_seq(g, next); /* never used, 1000 behind now */
	raw = NULL;
	assert_int_equal(send_bare(fd, 0x52500005, &again, &raw, DROP_WAIT_MS, NULL), -ETIMEDOUT);
	rpc_gss_client_set_seq(g, first.seq + 1001);
	assert_int_equal(send_bare(fd, 0x52500006, &again, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd, &again, raw);

	nfs4c_close(fd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void flip_checksum(struct buf *b, const struct rpc_gss_client_call *info)
{
	assert_true(info->checksum_len > 0);
	b->data[info->checksum_off + info->checksum_len - 1] ^= 0x01;
}

static void flip_body(struct buf *b, const struct rpc_gss_client_call *info)
{
	if (info->checksum_len) {
		/* krb5i: an argument byte, after databody_integ's length and
		 * sequence number. */
		b->data[info->body_off + 12] ^= 0x01;
	} else {
		/* krb5p: the middle of the wrapped token. */
		uint32_t len = xdr_get_be32(b->data + info->body_off);
		b->data[info->body_off + 4 + len / 2] ^= 0x01;
	}
}

static void flip_verifier(struct buf *b, const struct rpc_gss_client_call *info)
{
	uint32_t len = xdr_get_be32(b->data + info->verf_off + 4);
	b->data[info->verf_off + 8 + len - 1] ^= 0x01;
}

/* A tampered call under service: the reply's accept status (or, when
 * denied, 1000 + auth_stat). */
static uint32_t tampered(int fd, tamper_fn tamper, uint32_t xid)
{
	struct rpc_gss_client_call info;
	struct buf *raw = NULL;
	assert_int_equal(send_bare(fd, xid, &info, &raw, RPCTEST_TIMEOUT_MS, tamper), 0);
	struct rpctest_reply rep;
	assert_int_equal(nfs4c_gss_reply(fd, &info, raw, &rep), 0);
	uint32_t out = rep.hdr.reply_stat == RPC_MSG_ACCEPTED ? rep.hdr.accept_stat
							      : 1000 + rep.hdr.auth_stat;
	if (rep.hdr.reply_stat != RPC_MSG_ACCEPTED)
		assert_int_equal(rep.hdr.reject_stat, RPC_AUTH_ERROR);
	rpctest_reply_release(&rep);
	return out;
}

static void test_tampered_calls(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "krb5p:krb5i:krb5:sys");
	struct rpc_gss_client *g = alice();
	int fd = gss_connect(&p, g, RPC_GSS_SVC_INTEGRITY);
	double bodies = metric(&p, "ferry_gss_refused_total{reason=\"bad_body\"}");
	assert_int_equal(tampered(fd, flip_checksum, 0x54410001), RPC_GARBAGE_ARGS);
	assert_int_equal(tampered(fd, flip_body, 0x54410002), RPC_GARBAGE_ARGS);
	assert_true(metric(&p, "ferry_gss_refused_total{reason=\"bad_body\"}") >= bodies + 2);
	/* krb5p: a token that does not unwrap. */
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_PRIVACY), 0);
	assert_int_equal(tampered(fd, flip_body, 0x54410003), RPC_GARBAGE_ARGS);
	/* The header's checksum: the call is not authentic at all. */
	double verfs = metric(&p, "ferry_gss_refused_total{reason=\"bad_verifier\"}");
	assert_int_equal(tampered(fd, flip_verifier, 0x54410004), 1000 + RPCSEC_GSS_CREDPROBLEM);
	assert_true(metric(&p, "ferry_gss_refused_total{reason=\"bad_verifier\"}") >= verfs + 1);
	/* And untouched calls still go through, under each service. */
	static const uint32_t services[] = {RPC_GSS_SVC_NONE, RPC_GSS_SVC_INTEGRITY,
					    RPC_GSS_SVC_PRIVACY};
	for (unsigned i = 0; i < 3; i++) {
		struct rpc_gss_client_call info;
		struct buf *raw;
		assert_int_equal(nfs4c_gss_attach(fd, g, services[i]), 0);
		uint32_t xid = 0x54410010 + i;
		assert_int_equal(send_bare(fd, xid, &info, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
		bare_answered(fd, &info, raw);
	}
	nfs4c_close(fd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_destroyed_context(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "krb5p:krb5i:krb5:sys");
	struct rpc_gss_client *g = alice();
	int fd = gss_connect(&p, g, RPC_GSS_SVC_NONE);
	/* A second connection shares the context. */
	int fd2 = nfs4c_connect(p.hostport);
	assert_int_equal(nfs4c_gss_attach(fd2, g, RPC_GSS_SVC_PRIVACY), 0);
	struct rpc_gss_client_call info;
	struct buf *raw, *call, *args = bare_compound();
	assert_int_equal(send_bare(fd2, 0x44450001, &info, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd2, &info, raw);
	/* A call made before DESTROY, sent after it. */
	assert_int_equal(nfs4c_gss_build(fd2, 0x44450002, NFS4_PROGRAM, NFS4_VERSION,
					 NFSPROC4_COMPOUND, args->data, args->len, &call, &info),
			 0);
	buf_unref(args);
	nfs4c_gss_detach(fd2);
	assert_int_equal(nfs4c_gss_destroy(fd), 0);
	assert_false(rpc_gss_client_established(g));
	assert_int_equal(nfs4c_rpc_raw(fd2, call->data, call->len, RPCTEST_TIMEOUT_MS, &raw), 0);
	buf_unref(call);
	struct rpctest_reply rep;
	assert_int_equal(rpctest_parse_reply(raw, &rep), 0);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(rep.hdr.reject_stat, RPC_AUTH_ERROR);
	assert_int_equal(rep.hdr.auth_stat, RPCSEC_GSS_CREDPROBLEM);
	rpctest_reply_release(&rep);
	/* A new context on the same client works again. */
	assert_int_equal(nfs4c_gss_attach(fd2, g, RPC_GSS_SVC_INTEGRITY), 0);
	assert_int_equal(send_bare(fd2, 0x44450003, &info, &raw, RPCTEST_TIMEOUT_MS, NULL), 0);
	bare_answered(fd2, &info, raw);
	nfs4c_close(fd2);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- flavours: WRONGSEC and SECINFO ------------------------------------------------------ */

struct flavour {
	uint32_t flavor, service; /* service only for RPCSEC_GSS */
};

/* The secinfo4 list at r's cursor is want[0..n). */
static void expect_flavours(struct nfs4c_reply *r, const struct flavour *want, unsigned n)
{
	struct nfs4_secinfo_res res;
	assert_true(nfs4_dec_secinfo_res(&r->d, &res));
	assert_int_equal(res.l.count, n);
	struct xdr_dec it;
	nfs4_list_iter_init(&it, &res.l);
	for (unsigned i = 0; i < n; i++) {
		struct nfs4_secinfo s;
		assert_true(nfs4_dec_secinfo(&it, &s));
		assert_int_equal(s.flavor, want[i].flavor);
		if (s.flavor == RPC_AUTH_GSS) {
			assert_int_equal(s.gss_oid.len, sizeof(KRB5_OID));
			assert_memory_equal(s.gss_oid.data, KRB5_OID, sizeof(KRB5_OID));
			assert_int_equal(s.gss_qop, 0);
			assert_int_equal(s.gss_service, want[i].service);
		}
	}
}


static void secinfo_no_name_of(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			       const struct flavour *want, unsigned n)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	struct nfs4_secinfo_no_name_args a = {.style = SECINFO_STYLE4_CURRENT_FH};
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	NFS4C_OP(&m, OP_SECINFO_NO_NAME, nfs4_enc_secinfo_no_name_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_SECINFO_NO_NAME), NFS4_OK);
	expect_flavours(&r, want, n);
	nfs4c_done(&r);
}

static void test_wrongsec_and_secinfo(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "krb5");
	static const struct flavour krb5_only[] = {{RPC_AUTH_GSS, RPC_GSS_SVC_NONE}};

	/* Under krb5: the export's handle. */
	struct rpc_gss_client *g = alice();
	int gfd = gss_connect(&p, g, RPC_GSS_SVC_NONE);
	struct nfs4c_sess gs;
	nfs4c_session_up(&gs, gfd, IGNORED_UID, "gss-wrongsec-krb5", NULL);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	assert_int_equal(export_fh41(&gs, fh, &fhlen), NFS4_OK);
	secinfo_no_name_of(&gs, fh, fhlen, krb5_only, 1);

	/* Under AUTH_SYS (root, from a reserved port). */
	int fd = nfs4c_connect(p.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "gss-wrongsec-sys", NULL);
	uint8_t fh2[NFS4_FHSIZE];
	uint32_t fhlen2 = 0;
	/* LOOKUP into the export. */
	assert_int_equal(export_fh41(&s, fh2, &fhlen2), NFS4ERR_WRONGSEC);

	/* PUTFH of it followed by another operation. */
	struct nfs4c_call m;
	struct nfs4c_reply r;
	static const unsigned type[] = {FATTR4_TYPE};
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	nfs4c_getattr(&m, type, 1);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4ERR_WRONGSEC);
	assert_int_equal(r.status, NFS4ERR_WRONGSEC);
	nfs4c_done(&r);

	/* PUTFH then SECINFO_NO_NAME is allowed and tells the flavours. */
	secinfo_no_name_of(&s, fh, fhlen, krb5_only, 1);

	/* SECINFO of the export's name in the pseudo file system. */
	struct nfs4_secinfo_args name = {.name = nfs4_opaque_str("export")};
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	NFS4C_OP(&m, OP_SECINFO, nfs4_enc_secinfo_args, &name);
	nfs4c_send(fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_SECINFO), NFS4_OK);
	expect_flavours(&r, krb5_only, 1);
	nfs4c_done(&r);

	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&gs), NFS4_OK);
	nfs4c_close(fd);
	nfs4c_close(gfd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* Every flavour, strongest first, as the export lists them. */
static void test_secinfo_order(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "krb5p:krb5i:krb5:sys");
	static const struct flavour all[] = {{RPC_AUTH_GSS, RPC_GSS_SVC_PRIVACY},
					     {RPC_AUTH_GSS, RPC_GSS_SVC_INTEGRITY},
					     {RPC_AUTH_GSS, RPC_GSS_SVC_NONE},
					     {RPC_AUTH_SYS, 0}};
	int fd = nfs4c_connect(p.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "gss-secinfo-order", NULL);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	/* AUTH_SYS is one of them: it goes in. */
	assert_int_equal(export_fh41(&s, fh, &fhlen), NFS4_OK);
	secinfo_no_name_of(&s, fh, fhlen, all, 4);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	nfs4c_close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- Kerberos over TLS -------------------------------------------------------------- */

/* RPC-with-TLS for privacy, krb5 for the user: alice's context made and
 * used inside a TLS connection, on an export that takes only that; the
 * same context over plain TCP gets NFS4ERR_WRONGSEC. */
static void test_krb5_over_tls(void **state)
{
	(void)state;
	char pki[300];
	snprintf(pki, sizeof(pki), "%s/tls", kdc.dir);
	assert_int_equal(mkdir(pki, 0700), 0);
	assert_int_equal(tlstest_make_pki(pki), 0);
	char conf[1400];
	snprintf(conf, sizeof(conf),
		 "sec = krb5\nxprtsec = tls\n[server]\nkeytab = %s\n[tls]\ncert = %s/server.pem\n"
		 "key = %s/server.key\n",
		 kdc.keytab, pki, pki);
	struct ferryd_proc p;
	assert_int_equal(ferryd_start_export(&p, conf), 0);
	struct rpc_gss_client *g = alice();

	int err = 0;
	char msg[300];
	struct tlstest_opts o = {.ca = NULL};
	int fd = tlstest_connect(p.hostport, &o, &err, msg, sizeof(msg));
	if (fd < 0)
		fail_msg("TLS: %d %s", err, msg);
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_NONE), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, IGNORED_UID, "gss-over-tls", NULL);
	struct nfs4_stateid sid;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	assert_int_equal(open41(&s, "alice-open", "by-alice-over-tls", &sid, fh, &fhlen), NFS4_OK);
	write_read_close(&s, &sid, fh, fhlen);
	char path[512];
	struct stat st;
	ferryd_export_path(&p, "by-alice-over-tls", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, ALICE_UID);
	assert_true(metric(&p, "ferry_gss_calls_total{service=\"krb5\"}") >= 6);
	assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"tls\"}"), 1);

	/* krb5 alone, without TLS, is not enough for this export. */
	int plain = gss_connect(&p, g, RPC_GSS_SVC_NONE);
	struct nfs4c_sess ps;
	nfs4c_session_up(&ps, plain, IGNORED_UID, "gss-plain", NULL);
	assert_int_equal(export_fh41(&ps, fh, &fhlen), NFS4ERR_WRONGSEC);
	nfs4c_close(plain);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
	assert_int_equal(ferryd_stop(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_krb5),
		cmocka_unit_test(test_session_krb5i),
		cmocka_unit_test(test_session_krb5p),
		cmocka_unit_test(test_replay_dropped),
		cmocka_unit_test(test_tampered_calls),
		cmocka_unit_test(test_destroyed_context),
		cmocka_unit_test(test_wrongsec_and_secinfo),
		cmocka_unit_test(test_secinfo_order),
		cmocka_unit_test(test_krb5_over_tls),
	};
	return cmocka_run_group_tests(tests, realm_up, realm_down);
}
