/* RPC-with-TLS (RFC 9289) against a real ferryd, with keys and
 * certificates the test makes (tests/lib/tls_test.h):
 *
 *   - without a [tls] section the AUTH_TLS probe is answered with a null
 *     verifier (no STARTTLS), and AUTH_TLS on any other procedure is
 *     AUTH_BADCRED;
 *   - with one: STARTTLS, a TLS 1.3 handshake, then a whole v4.1 session
 *     inside TLS (a file created, written and read back); the server's
 *     certificate verifies against the test CA;
 *   - an export of xprtsec = tls: a plain-text client and a mutual-TLS
 *     client get NFS4ERR_WRONGSEC entering it, a TLS client does not;
 *     xprtsec = mtls with clients = cert:NAME (or sha256:FINGERPRINT):
 *     only a client certificate naming it gets in;
 *   - refused certificates: one of a CA ferryd does not know, and an
 *     expired one, fail the handshake, counted by cause;
 *   - bad input: a ClientHello where a record was expected, a plain-text
 *     record after STARTTLS, records sent together with the probe, a
 *     handshake that never comes (closed after handshake_timeout), a probe
 *     inside TLS (AUTH_BADCRED): each closes or refuses cleanly, is
 *     counted, and other connections go on;
 *   - a v4.1 session's back channel on its TLS connection: ferryd's
 *     CB_SEQUENCE goes out inside TLS and is answered;
 *   - a v4.0 client that came over TLS is not dialled back (no CB_NULL,
 *     no delegation), one in plain text is;
 *   - /metrics and GET /api/v1/connections show it all;
 *   - a reload takes a new certificate for new connections (open ones
 *     go on), and one whose key does not match fails and changes nothing;
 *   - an in-place upgrade: a TLS connection whose keys live in ferryd (TLS
 *     in user space: this host's kernel without the tls module) is closed
 *     and the client goes on in its session on a new one; one in kernel
 *     TLS both ways goes over (tests/e2e/ktls.sh, in a guest whose kernel
 *     has it; here when this kernel does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "lib/tls_test.h"
#include "proto/state41_helpers.h"
#include "rpc/record.h"
#include "rpc/tls/tls.h"
#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_prot.h"

static char pki[256];

static int setup_pki(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(pki, sizeof(pki), "%s/ferry-tls-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(pki))
		return -1;
	return tlstest_make_pki(pki);
}

static int teardown_pki(void **state)
{
	(void)state;
	static const char *const files[] = {"ca.pem",	   "server.pem", "server.key",
					    "server2.pem", "server2.key", "client.pem",
					    "client.key",  "other.pem",	 "other.key",
					    "expired.pem", "expired.key"};
	char path[512];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pki, files[i]);
		unlink(path);
	}
	rmdir(pki);
	return 0;
}

static const char *pki_file(const char *name)
{
	static char paths[8][512];
	static unsigned next;
	char *p = paths[next++ % 8];
	snprintf(p, 512, "%s/%s", pki, name);
	return p;
}

/* A ferryd whose one export has the options given, with [tls] (client
 * certificates verified against the test CA, handshakes cut at 1 s). */
static void start_tls(struct ferryd_proc *p, const char *export_opts)
{
	char conf[2048];
	snprintf(conf, sizeof(conf),
		 "%s\n[tls]\ncert = %s/server.pem\nkey = %s/server.key\nclient_ca = %s/ca.pem\n"
		 "handshake_timeout = 1\n",
		 export_opts, pki, pki, pki);
	assert_int_equal(ferryd_start_export(p, conf), 0);
}

static const struct tlstest_opts plain_tls = {.ca = NULL};

static struct tlstest_opts verified(const char *cert)
{
	struct tlstest_opts o = {.ca = pki_file("ca.pem")};
	if (cert) {
		char key[64];
		snprintf(key, sizeof(key), "%s", cert);
		strcpy(strrchr(key, '.'), ".key");
		o.cert = pki_file(cert);
		o.key = pki_file(key);
	}
	return o;
}

static int tls_connect_ok(const struct ferryd_proc *p, struct tlstest_opts o)
{
	int err = 0;
	char msg[300];
	int fd = tlstest_connect(p->hostport, &o, &err, msg, sizeof(msg));
	if (fd < 0)
		fail_msg("TLS connection failed (%d): %s", err, msg);
	return fd;
}

/* The probe by hand: its reply's verifier. */
static void raw_probe(int fd, uint32_t proc, struct rpctest_reply *rep)
{
	struct rpc_cred tls = {.flavor = RPC_AUTH_TLS};
	assert_int_equal(rpctest_call(fd, 0x71500000 + proc, NFS4_PROGRAM, NFS4_VERSION, proc,
				      &tls, NULL, 0, rep),
			 0);
}

static double metric(const struct ferryd_proc *p, const char *series)
{
	char *page = ctlt_scrape(p);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

/* A session on fd and whether it may enter the export. */
static uint32_t enter_export(int fd, const char *name)
{
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, name, NULL);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	return export_fh41(&s, fh, &fhlen);
}

/* --- without [tls] -------------------------------------------------------- */

static void test_no_tls_section(void **state)
{
	(void)state;
	struct ferryd_proc p;
	assert_int_equal(ferryd_start(&p, NULL), 0);
	int fd = nfs4c_connect(p.hostport);
	struct rpctest_reply rep;
	raw_probe(fd, 0, &rep);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(rep.hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(rep.hdr.verf_flavor, RPC_AUTH_NONE);
	assert_int_equal(rep.hdr.verf_len, 0);
	rpctest_reply_release(&rep);
	/* AUTH_TLS is for the NULL probe alone. */
	raw_probe(fd, 1, &rep);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(rep.hdr.auth_stat, RPC_AUTH_BADCRED);
	rpctest_reply_release(&rep);
	/* The connection stays in plain text and serves. */
	assert_int_equal(enter_export(fd, "tls-none"), NFS4_OK);
	close(fd);
	int err = 0;
	char msg[300];
	assert_int_equal(tlstest_connect(p.hostport, &plain_tls, &err, msg, sizeof(msg)), -1);
	assert_int_equal(err, -EPROTONOSUPPORT);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- a session inside TLS ---------------------------------------------------- */

static void test_session_over_tls(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	int fd = nfs4c_connect(p.hostport);
	struct rpctest_reply rep;
	raw_probe(fd, 0, &rep);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(rep.hdr.verf_len, RPC_TLS_STARTTLS_LEN);
	assert_memory_equal(rep.hdr.verf, RPC_TLS_STARTTLS, RPC_TLS_STARTTLS_LEN);
	rpctest_reply_release(&rep);
	close(fd);

	/* The server's certificate verifies against the CA, for 127.0.0.1. */
	fd = tls_connect_ok(&p, verified(NULL));
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "tls-session", NULL);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	assert_int_equal(export_fh41(&s, fh, &fhlen), NFS4_OK);
	/* Data both ways through TLS: 200 KiB written in one WRITE and read
	 * back in one READ (a READ that large is spliced in plain text; under
	 * TLS in user space its bytes must be copied through the session). */
	enum { LEN = 200 * 1024 };
	uint8_t *data = malloc(LEN);
	for (size_t i = 0; i < LEN; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	struct nfs4_stateid sid;
	uint8_t ffh[NFS4_FHSIZE];
	uint32_t ffhlen = 0;
	assert_int_equal(open41(&s, "tls-owner", "over-tls", &sid, ffh, &ffhlen), NFS4_OK);
	struct nfs4c_call m;
	struct nfs4c_reply r;
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stateid = sid;
	w.stable = FILE_SYNC4;
	w.data = (struct nfs4_opaque){data, LEN};
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putfh(&m, ffh, ffhlen);
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_send(s.fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_WRITE), NFS4_OK);
	struct nfs4_write_res wr;
	assert_true(nfs4_dec_write_res(&r.d, &wr));
	assert_int_equal(wr.count, LEN);
	nfs4c_done(&r);
	struct nfs4_read_args ra = {.stateid = sid, .offset = 0, .count = LEN};
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putfh(&m, ffh, ffhlen);
	NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &ra);
	nfs4c_send(s.fd, s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_READ), NFS4_OK);
	struct nfs4_read_res rr;
	assert_true(nfs4_dec_read_res(&r.d, &rr));
	assert_int_equal(rr.data.len, LEN);
	assert_memory_equal(rr.data.data, data, LEN);
	nfs4c_done(&r);
	struct nfs4_close_args c = {.seqid = 0, .stateid = sid};
	assert_int_equal(op41(&s, ffh, ffhlen, OP_CLOSE, enc_close, &c, NULL), NFS4_OK);
	free(data);
	char path[600];
	ferryd_export_path(&p, "over-tls", path, sizeof(path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, LEN);

	/* The control plane sees a TLS connection. */
	assert_true(metric(&p, "ferry_tls_handshakes_total") >= 1);
	assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"tls\"}"), 1);
	assert_int_equal(metric(&p, "ferry_tls_enabled"), 1);
	struct ctl_http_reply hr;
	ctlt_request(&p, "GET", "/api/v1/connections", false, NULL, &hr);
	assert_int_equal(hr.status, 200);
	assert_non_null(strstr(hr.body, "\"transport\": \"tls\""));
	assert_non_null(strstr(hr.body, "TLSv1.3"));
	ctl_http_reply_free(&hr);
	char *page = ctlt_scrape(&p);
	assert_true(ctlt_promtool_ok(page));
	free(page);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- which transports an export admits ---------------------------------------- */

static void test_xprtsec_tls(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "xprtsec = tls");
	/* Plain text: WRONGSEC entering the export (EXCHANGE_ID and
	 * CREATE_SESSION are not the export's). */
	int fd = nfs4c_connect(p.hostport);
	assert_int_equal(enter_export(fd, "tls-plain"), NFS4ERR_WRONGSEC);
	close(fd);
	fd = tls_connect_ok(&p, plain_tls);
	assert_int_equal(enter_export(fd, "tls-tls"), NFS4_OK);
	close(fd);
	/* knfsd's words: tls is TLS without a client certificate. */
	fd = tls_connect_ok(&p, verified("client.pem"));
	assert_int_equal(enter_export(fd, "tls-mtls"), NFS4ERR_WRONGSEC);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* Whether a client on fd may set up state at all (EXCHANGE_ID). */
static uint32_t exchange_id_status(int fd, const char *name)
{
	struct nfs4c_eid eid;
	return nfs4c_exchange_id(fd, nfs4c_root_cred(), name, "v", 0, SP4_NONE, &eid);
}

static void test_xprtsec_mtls_identity(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "xprtsec = mtls");
	int fd = tls_connect_ok(&p, plain_tls);
	assert_int_equal(enter_export(fd, "mtls-none"), NFS4ERR_WRONGSEC);
	close(fd);
	fd = tls_connect_ok(&p, verified("client.pem"));
	assert_int_equal(enter_export(fd, "mtls-cert"), NFS4_OK);
	assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"mtls\"}"), 1);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);

	/* Host rules by certificate name: a client without that certificate
	 * is no client of the export (no state, as for an address not
	 * listed). */
	start_tls(&p, "xprtsec = mtls\nclients = cert:client1.test");
	fd = tls_connect_ok(&p, plain_tls);
	assert_int_equal(exchange_id_status(fd, "mtls-name-none"), NFS4ERR_PERM);
	close(fd);
	fd = tls_connect_ok(&p, verified("client.pem"));
	assert_int_equal(enter_export(fd, "mtls-name"), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);

	/* By fingerprint: the client certificate's, then another one's. */
	char fp[65], other_fp[65], opts[300];
	assert_int_equal(tlstest_fingerprint(pki_file("client.pem"), fp), 0);
	assert_int_equal(tlstest_fingerprint(pki_file("server.pem"), other_fp), 0);
	snprintf(opts, sizeof(opts), "xprtsec = mtls\nclients = sha256:%s", fp);
	start_tls(&p, opts);
	fd = tls_connect_ok(&p, verified("client.pem"));
	assert_int_equal(enter_export(fd, "mtls-fp"), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
	snprintf(opts, sizeof(opts), "xprtsec = mtls\nclients = sha256:%s", other_fp);
	start_tls(&p, opts);
	fd = tls_connect_ok(&p, verified("client.pem"));
	/* Not admitted: no client state for it. */
	assert_int_equal(exchange_id_status(fd, "mtls-other-fp"), NFS4ERR_PERM);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- refused certificates ------------------------------------------------------- */

static void test_refused_certificates(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	double before = metric(&p, "ferry_tls_handshake_failures_total{cause=\"certificate\"}");
	for (int i = 0; i < 2; i++) {
		const char *cert = i == 0 ? "other.pem" : "expired.pem";
		int err = 0;
		char msg[300];
		struct tlstest_opts o = verified(cert);
		int fd = tlstest_connect(p.hostport, &o, &err, msg, sizeof(msg));
		/* In TLS 1.3 the client sends its certificate after it has the
		 * server's Finished: its handshake may end before the server's
		 * alert (refused), or the alert ends the connection before any
		 * reply. */
		if (fd >= 0) {
			assert_true(rpctest_wait_closed(fd, 3000));
			close(fd);
		} else {
			assert_int_equal(err, -EACCES);
		}
	}
	uint64_t deadline = clock_now_ms() + 3000;
	while (metric(&p, "ferry_tls_handshake_failures_total{cause=\"certificate\"}") < before + 2 &&
	       clock_now_ms() < deadline)
		usleep(50 * 1000);
	assert_int_equal(metric(&p, "ferry_tls_handshake_failures_total{cause=\"certificate\"}"),
			 before + 2);
	/* A good client still gets in. */
	int fd = tls_connect_ok(&p, verified("client.pem"));
	assert_int_equal(enter_export(fd, "after-refusals"), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- bad input ---------------------------------------------------------------------- */

static void send_probe_raw(int fd)
{
	struct rpc_cred tls = {.flavor = RPC_AUTH_TLS};
	struct buf *call = rpctest_build_call(0x71510000, NFS4_PROGRAM, NFS4_VERSION, 0, &tls,
					      NULL, 0);
	assert_int_equal(rpctest_send_record(fd, call->data, call->len, 0), 0);
	buf_unref(call);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	char msg[300];
	int rc = 0;

	/* A ClientHello with no probe: its bytes are no RPC record. */
	int fd = nfs4c_connect(p.hostport);
	struct rpc_tls_client_opts co = {.timeout_ms = 2000};
	struct rpc_tls_session *s = rpc_tls_client_handshake(fd, &co, &rc, msg, sizeof(msg));
	assert_null(s);
	close(fd);

	/* A plain-text record after STARTTLS. */
	fd = nfs4c_connect(p.hostport);
	struct rpctest_reply rep;
	raw_probe(fd, 0, &rep);
	assert_int_equal(rep.hdr.verf_len, RPC_TLS_STARTTLS_LEN);
	rpctest_reply_release(&rep);
	struct buf *null = rpctest_build_call(0x71520000, NFS4_PROGRAM, NFS4_VERSION, 0, NULL,
					      NULL, 0);
	assert_int_equal(rpctest_send_record(fd, null->data, null->len, 0), 0);
	assert_true(rpctest_wait_closed(fd, 3000));
	close(fd);

	/* Records sent along with the probe. */
	fd = nfs4c_connect(p.hostport);
	struct rpc_cred tls = {.flavor = RPC_AUTH_TLS};
	struct buf *probe = rpctest_build_call(0x71530000, NFS4_PROGRAM, NFS4_VERSION, 0, &tls,
					       NULL, 0);
	struct xdr_enc both;
	assert_true(xdr_enc_init(&both, 256, 4096));
	rpctest_append_record(&both, probe->data, probe->len);
	rpctest_append_record(&both, null->data, null->len);
	struct buf *two = xdr_enc_take(&both);
	assert_int_equal(rpctest_send_raw(fd, two->data, two->len), 0);
	buf_unref(two);
	buf_unref(probe);
	assert_true(rpctest_wait_closed(fd, 3000));
	close(fd);
	buf_unref(null);

	/* A handshake that never comes: closed after handshake_timeout (1 s). */
	fd = nfs4c_connect(p.hostport);
	send_probe_raw(fd);
	struct buf *reply = NULL;
	assert_int_equal(rpctest_recv_record(fd, &reply, 3000), 0);
	buf_unref(reply);
	uint64_t t0 = clock_now_ms();
	assert_true(rpctest_wait_closed(fd, 4000));
	uint64_t waited = clock_now_ms() - t0;
	assert_true(waited >= 700 && waited < 3500);
	close(fd);

	/* A probe inside TLS. */
	fd = tls_connect_ok(&p, plain_tls);
	raw_probe(fd, 0, &rep);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_DENIED);
	assert_int_equal(rep.hdr.auth_stat, RPC_AUTH_BADCRED);
	rpctest_reply_release(&rep);
	/* ... and the connection goes on. */
	assert_int_equal(enter_export(fd, "probe-inside"), NFS4_OK);
	close(fd);

	/* Counted; plain text and TLS are served as before. */
	assert_true(metric(&p, "ferry_tls_handshake_failures_total{cause=\"timeout\"}") >= 1);
	assert_true(metric(&p, "ferry_tls_handshake_failures_total{cause=\"not_tls\"}") >= 2);
	assert_int_equal(rpctest_null_ok(p.hostport), 0);
	fd = tls_connect_ok(&p, verified(NULL));
	assert_int_equal(enter_export(fd, "after-bad-input"), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- the v4.1 back channel ------------------------------------------------------------ */

/* A session whose TLS connection is also its back channel: ferryd's
 * CB_SEQUENCE probe comes inside TLS and its answer goes back the same
 * way; the path is up. */
static void test_back_channel_over_tls(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "xprtsec = tls");
	int fd = tls_connect_ok(&p, plain_tls);
	struct nfs4c_cb svc;
	nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, &svc);
	struct nfs4c_sess s;
	nfs4c_session_up_flags(&s, fd, 0, "tls-back", NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	nfs4c_ping(&s);
	assert_true(nfs4c_cb_serve(fd, 1, 5000));
	struct nfs4c_cb_rec r;
	assert_true(nfs4c_cb_get(&svc, OP_CB_SEQUENCE, 0, &r));
	assert_memory_equal(r.sessionid.data, s.sid, NFS4_SESSIONID_SIZE);
	assert_int_equal(r.status, NFS4_OK);
	uint32_t flags = nfs4c_ping(&s);
	assert_int_equal(flags & SEQ4_STATUS_CB_PATH_DOWN, 0);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	nfs4c_close(fd);
	nfs4c_cb_destroy(&svc);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- NFSv4.0 callbacks ------------------------------------------------------------------- */

/* A v4.0 client's delegation: OPEN for reading (created) until one comes,
 * for up to 3 s. */
static bool open40_delegated(struct nfs4c_client40 *c, const char *name)
{
	uint32_t seqid = 1;
	struct nfs4c_open40 o;
	uint64_t end = clock_now_ms() + 3000;
	do {
		assert_int_equal(nfs4c_open40(c, "o40", &seqid, "export", name,
					      OPEN4_SHARE_ACCESS_READ, true, &o),
				 NFS4_OK);
		if (o.deleg.type != OPEN_DELEGATE_NONE)
			return true;
		usleep(100 * 1000);
	} while (clock_now_ms() < end);
	return false;
}

/* ferryd does not dial back a v4.0 client that came over TLS (it would in
 * clear): no CB_NULL reaches its callback listener and it gets no
 * delegation; the same client in plain text gets both. */
static void test_v40_no_callbacks_over_tls(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	for (int tls = 0; tls < 2; tls++) {
		struct nfs4c_cb svc;
		struct nfs4c_cb_listener l;
		nfs4c_cb_init(&svc, NFS4C_CB_PROGRAM);
		assert_int_equal(nfs4c_cb_listen(&l, &svc), 0);
		int fd = tls ? tls_connect_ok(&p, plain_tls) : nfs4c_connect(p.hostport);
		struct nfs4c_client40 c;
		assert_int_equal(nfs4c_setclientid(&c, fd, nfs4c_cred(0), tls ? "v40-tls" : "v40-plain",
						   NFS4C_CB_PROGRAM, "tcp", l.uaddr, 0x40),
				 NFS4_OK);
		bool probed = nfs4c_cb_wait(&svc, 0, 1, tls ? 1500 : 5000);
		bool delegated = open40_delegated(&c, tls ? "f40-tls" : "f40-plain");
		assert_true(probed == !tls);
		assert_true(delegated == !tls);
		nfs4c_close(fd);
		nfs4c_cb_listen_stop(&l);
		nfs4c_cb_destroy(&svc);
	}
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- reload ------------------------------------------------------------------------ */

static void test_reload_certificate(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	char name[128];
	struct tlstest_opts o = verified(NULL);
	o.server_name_out = name;
	o.server_name_len = sizeof(name);
	int before = tls_connect_ok(&p, o);
	assert_string_equal(name, "ferry-test-server");

	/* The same configuration naming the other certificate, reloaded. */
	char conf[600], text[2048];
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", p.conf_dir);
	FILE *f = fopen(conf, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *at = strstr(text, "/server.pem\nkey = ");
	assert_non_null(at);
	char fixed[2200];
	snprintf(fixed, sizeof(fixed), "%.*s/server2.pem\nkey = %s/server2.key%s",
		 (int)(at - text), text, pki, strstr(at, "\nclient_ca"));
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(fixed, f);
	fclose(f);
	struct ctl_http_reply hr;
	ctlt_request(&p, "POST", "/api/v1/exports/reload", true, "{}", &hr);
	assert_int_equal(hr.status, 200);
	ctl_http_reply_free(&hr);

	int after = tls_connect_ok(&p, o);
	assert_string_equal(name, "ferry-reloaded");
	/* The connection made before goes on with what it began with. */
	assert_int_equal(enter_export(before, "before-reload"), NFS4_OK);
	assert_int_equal(enter_export(after, "after-reload"), NFS4_OK);
	close(before);
	close(after);

	/* A key that does not match: the reload fails and changes nothing. */
	f = fopen(conf, "w");
	assert_non_null(f);
	snprintf(fixed, sizeof(fixed), "%.*s/server.pem\nkey = %s/server2.key%s",
		 (int)(at - text), text, pki, strstr(at, "\nclient_ca"));
	fputs(fixed, f);
	fclose(f);
	ctlt_request(&p, "POST", "/api/v1/exports/reload", true, "{}", &hr);
	assert_true(hr.status >= 400);
	assert_non_null(strstr(hr.body, "[tls] key"));
	ctl_http_reply_free(&hr);
	after = tls_connect_ok(&p, o);
	assert_string_equal(name, "ferry-reloaded");
	close(after);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* --- in-place upgrades --------------------------------------------------------- */

static void test_upgrade(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start_tls(&p, "");
	int fd = tls_connect_ok(&p, verified(NULL));
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "tls-upgrade", NULL);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = 0;
	assert_int_equal(export_fh41(&s, fh, &fhlen), NFS4_OK);
	bool kernel = metric(&p, "ferry_tls_connections{transport=\"ktls\"}") == 1;
	ctlt_upgrade(&p);
	if (kernel) {
		/* Both ways in the kernel: the same connection goes on. */
		assert_int_equal(nfs4c_ping(&s), 0);
		assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"ktls\"}"), 1);
	} else {
		/* Closed by the old ferryd: the client sees the end. */
		char b;
		struct timeval tv = {.tv_sec = 5};
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		assert_int_equal(recv(fd, &b, 1, 0), 0);
		close(fd);
		assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"tls\"}"), 0);
		/* A new TLS connection to the new ferryd: the session goes on
		 * (carried), no new one made. */
		s.fd = tls_connect_ok(&p, verified(NULL));
		assert_int_equal(nfs4c_ping(&s), 0);
		assert_int_equal(export_fh41(&s, fh, &fhlen), NFS4_OK);
		assert_int_equal(metric(&p, "ferry_tls_connections{transport=\"tls\"}"), 1);
	}
	close(s.fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_tls_section),
		cmocka_unit_test(test_session_over_tls),
		cmocka_unit_test(test_xprtsec_tls),
		cmocka_unit_test(test_xprtsec_mtls_identity),
		cmocka_unit_test(test_refused_certificates),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_back_channel_over_tls),
		cmocka_unit_test(test_v40_no_callbacks_over_tls),
		cmocka_unit_test(test_reload_certificate),
		cmocka_unit_test(test_upgrade),
	};
	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
