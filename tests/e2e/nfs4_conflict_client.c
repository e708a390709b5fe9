/* The second client of the kernel-client delegation test (tests/e2e/kclient.sh,
 * tests/e2e/guest/deleg.sh): while the guest holds a file open for writing,
 * with its data still cached (under a write delegation once Ferry grants
 * them), this client opens the same file for read and write.  A server that
 * delegated the file must recall the delegation first (answering
 * NFS4ERR_DELAY meanwhile), and the guest flushes its data before it
 * returns the delegation: so the READ here must see the guest's data.  Then
 * this client appends its own data for the guest to find.
 *
 *   nfs4_conflict_client --server HOST:PORT --minor 0|1 --name FILE
 *       --expect TEXT --append TEXT [--dir export] [--timeout 60]
 *       [--report-read]
 *
 * FILE is looked up in the pseudo directory --dir.  Prints what it saw on
 * lines starting "CONFLICT " and exits 0 when the OPEN succeeded in time,
 * the READ returned exactly --expect (with --report-read a mismatch is
 * only reported) and the WRITE and CLOSE succeeded.
 * The test client's helpers assert with cmocka, so the work runs as one
 * cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/nfs4_client.h"

static struct {
	const char *server, *dir, *name, *expect, *append;
	unsigned minor, timeout_s;
	bool report_read;
} opt = {.dir = "export", .minor = 1, .timeout_s = 60};

/* What the checks found; the test fails at the end, after CLOSE, so the
 * guest's own check of the appended data does not depend on the READ. */
static int failures;

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			printf("CONFLICT FAIL: " __VA_ARGS__);                           \
			printf("\n");                                                    \
			failures++;                                                      \
		}                                                                        \
	} while (0)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One client of either minor version: the v4.1 session or the v4.0
 * client id, and the open file. */
struct conflict {
	int fd;
	struct nfs4c_sess s;       /* minor 1 */
	struct nfs4c_client40 c40; /* minor 0 */
	uint32_t seqid40;          /* the v4.0 open owner's next seqid */
	char owner40[32];
	struct nfs4_stateid stateid;
	struct nfs4_open_delegation deleg;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* Starts a COMPOUND: SEQUENCE on slot 0 for v4.1, nothing for v4.0. */
static void begin(struct conflict *k, struct nfs4c_call *m)
{
	if (opt.minor == 1)
		nfs4c_begin_seq(&k->s, m, 0, false);
	else
		nfs4c_begin(m, 0);
}

/* The status of SEQUENCE (v4.1) or NFS4_OK (v4.0, no SEQUENCE sent). */
static uint32_t seq_status(struct nfs4c_reply *p)
{
	return opt.minor == 1 ? nfs4c_seq_result(p, NULL) : NFS4_OK;
}

static const struct rpc_cred *cred(struct conflict *k)
{
	return opt.minor == 1 ? k->s.cred : k->c40.cred;
}

/* v4.1 OPEN by name in opt.dir, without a delegation for this client: it
 * has no back channel, and a delegation here would only hide what the test
 * looks at. */
static uint32_t open41(struct conflict *k)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = k->s.clientid;
	a.owner.owner = nfs4_opaque_str("ferry-e2e-conflict");
	a.opentype = OPEN4_NOCREATE;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(opt.name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(k, &m);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, opt.dir);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(k->fd, k->s.cred, &m, &p);
	uint32_t s = seq_status(&p);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTROOTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_LOOKUP);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_OPEN)) == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		k->stateid = r.stateid;
		k->deleg = r.delegation;
		s = nfs4c_next(&p, OP_GETFH);
		if (s == NFS4_OK) {
			struct nfs4_getfh_res fh;
			assert_true(nfs4_dec_getfh_res(&p.d, &fh));
			assert_true(fh.fh.len <= sizeof(k->fh));
			memcpy(k->fh, fh.fh.data, fh.fh.len);
			k->fhlen = fh.fh.len;
		}
	}
	nfs4c_done(&p);
	return s;
}

/* v4.0 OPEN (and OPEN_CONFIRM) through the test client.  Each attempt uses
 * a new open owner: an OPEN answered NFS4ERR_DELAY may or may not have
 * registered the owner, and a fresh one needs no agreement on its seqid. */
static uint32_t open40(struct conflict *k, unsigned attempt)
{
	snprintf(k->owner40, sizeof(k->owner40), "ferry-e2e-conflict-%u", attempt);
	k->seqid40 = 1;
	struct nfs4c_open40 o;
	uint32_t s = nfs4c_open40(&k->c40, k->owner40, &k->seqid40, opt.dir, opt.name,
				  OPEN4_SHARE_ACCESS_BOTH, false, &o);
	if (s == NFS4_OK) {
		k->stateid = o.stateid;
		k->deleg = o.deleg;
		memcpy(k->fh, o.fh, o.fhlen);
		k->fhlen = o.fhlen;
	}
	return s;
}

/* Opens, retrying while the server recalls a delegation (NFS4ERR_DELAY) or
 * is in its grace period, up to opt.timeout_s in all. */
static uint32_t open_retrying(struct conflict *k)
{
	double t0 = now_s();
	unsigned delays = 0, graces = 0, attempt = 0;
	uint32_t s;
	for (;;) {
		s = opt.minor == 1 ? open41(k) : open40(k, attempt);
		attempt++;
		if (s == NFS4ERR_DELAY)
			delays++;
		else if (s == NFS4ERR_GRACE)
			graces++;
		else
			break;
		if (now_s() - t0 > opt.timeout_s)
			break;
		usleep(200 * 1000);
	}
	printf("CONFLICT open: %s after %.2f s, %u NFS4ERR_DELAY, %u NFS4ERR_GRACE, "
	       "delegation type %u\n",
	       nfs4_status_name(s), now_s() - t0, delays, graces, k->deleg.type);
	return s;
}

/* The text with newlines and other control bytes as C escapes, so a
 * report stays on one line for the guest to relay. */
static const char *escaped(const char *text)
{
	static char out[4 * 4096 + 1];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < sizeof(out); p++) {
		if (*p == '\n')
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
	return out;
}

static uint32_t read_all(struct conflict *k, char *buf, size_t cap, size_t *got)
{
	struct nfs4_read_args a = {.stateid = k->stateid, .offset = 0, .count = (uint32_t)cap};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(k, &m);
	nfs4c_putfh(&m, k->fh, k->fhlen);
	NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &a);
	nfs4c_send(k->fd, cred(k), &m, &p);
	uint32_t s = seq_status(&p);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_READ)) == NFS4_OK) {
		struct nfs4_read_res r;
		assert_true(nfs4_dec_read_res(&p.d, &r));
		*got = r.data.len < cap ? r.data.len : cap;
		memcpy(buf, r.data.data, *got);
	}
	nfs4c_done(&p);
	return s;
}

static uint32_t write_at(struct conflict *k, uint64_t off, const char *text, uint32_t *count)
{
	struct nfs4_write_args a = {.stateid = k->stateid, .offset = off, .stable = FILE_SYNC4,
				    .data = nfs4_opaque_str(text)};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(k, &m);
	nfs4c_putfh(&m, k->fh, k->fhlen);
	assert_true(nfs4_enc_write_args(nfs4c_op(&m, OP_WRITE), &a));
	nfs4c_send(k->fd, cred(k), &m, &p);
	uint32_t s = seq_status(&p);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_WRITE)) == NFS4_OK) {
		struct nfs4_write_res r;
		assert_true(nfs4_dec_write_res(&p.d, &r));
		*count = r.count;
	}
	nfs4c_done(&p);
	return s;
}

static uint32_t close_file(struct conflict *k)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(k, &m);
	nfs4c_putfh(&m, k->fh, k->fhlen);
	nfs4c_close_op(&m, k->seqid40++, &k->stateid);
	nfs4c_send(k->fd, cred(k), &m, &p);
	uint32_t s = seq_status(&p);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_CLOSE);
	nfs4c_done(&p);
	return s;
}

static void test_conflict(void **state)
{
	(void)state;
	struct conflict k;
	memset(&k, 0, sizeof(k));
	k.fd = nfs4c_connect(opt.server);
	char id[64];
	snprintf(id, sizeof(id), "ferry-e2e-conflict-%d", (int)getpid());
	if (opt.minor == 1) {
		/* No back channel: this client must not be given delegations. */
		nfs4c_session_up(&k.s, k.fd, 0, id, NULL);
	} else {
		assert_int_equal(nfs4c_setclientid(&k.c40, k.fd, nfs4c_root_cred(), id,
						   NFS4C_CB_PROGRAM, "tcp", NULL, 1),
				 NFS4_OK);
	}

	uint32_t s = open_retrying(&k);
	if (s != NFS4_OK) {
		printf("CONFLICT FAIL: OPEN of %s/%s: %s\n", opt.dir, opt.name,
		       nfs4_status_name(s));
		fail();
	}
	CHECK(k.deleg.type == OPEN_DELEGATE_NONE || k.deleg.type == OPEN_DELEGATE_NONE_EXT,
	      "OPEN gave this client (no callback path) delegation type %u", k.deleg.type);

	char buf[4096];
	size_t got = 0;
	s = read_all(&k, buf, sizeof(buf) - 1, &got);
	buf[got] = '\0';
	CHECK(s == NFS4_OK, "READ: %s", nfs4_status_name(s));
	if (s == NFS4_OK) {
		bool same = strcmp(buf, opt.expect) == 0;
		printf("CONFLICT read %zu bytes (%s the guest's data): '%s'\n", got,
		       same ? "all of" : "not", escaped(buf));
		if (!same && !opt.report_read) {
			/* Two escaped texts: escaped() has one buffer. */
			printf("CONFLICT FAIL: READ did not see the guest's data '%s' "
			       "(not written back before the delegation was returned)\n",
			       escaped(opt.expect));
			failures++;
		}
	}

	/* Appended after what the guest wrote (its length, whatever the READ
	 * saw), so the guest's check of the whole file is independent of it. */
	uint32_t count = 0;
	s = write_at(&k, strlen(opt.expect), opt.append, &count);
	CHECK(s == NFS4_OK, "WRITE: %s", nfs4_status_name(s));
	CHECK(s != NFS4_OK || count == strlen(opt.append), "WRITE wrote %u of %zu bytes", count,
	      strlen(opt.append));
	s = close_file(&k);
	CHECK(s == NFS4_OK, "CLOSE: %s", nfs4_status_name(s));
	if (opt.minor == 1) {
		nfs4c_destroy_session(&k.s);
		nfs4c_destroy_clientid(&k.s);
	}
	nfs4c_close(k.fd);
	printf("CONFLICT %s (%d failed checks)\n", failures ? "FAIL" : "PASS", failures);
	assert_int_equal(failures, 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: nfs4_conflict_client --server HOST:PORT --minor 0|1 --name FILE "
			"--expect TEXT --append TEXT [--dir DIR] [--timeout SECS] [--report-read]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'}, {"minor", required_argument, NULL, 'm'},
		{"dir", required_argument, NULL, 'd'},    {"name", required_argument, NULL, 'n'},
		{"expect", required_argument, NULL, 'e'}, {"append", required_argument, NULL, 'a'},
		{"timeout", required_argument, NULL, 't'}, {"report-read", no_argument, NULL, 'r'},
		{NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'm': opt.minor = (unsigned)atoi(optarg); break;
		case 'd': opt.dir = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'e': opt.expect = optarg; break;
		case 'a': opt.append = optarg; break;
		case 't': opt.timeout_s = (unsigned)atoi(optarg); break;
		case 'r': opt.report_read = true; break;
		default: usage();
		}
	}
	if (!opt.server || !opt.name || !opt.expect || !opt.append || opt.minor > 1 ||
	    optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_conflict)};
	return cmocka_run_group_tests_name("nfs4_conflict_client", tests, NULL, NULL);
}
