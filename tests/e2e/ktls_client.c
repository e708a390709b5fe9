/* The NFSv4.1 client of the kernel-TLS test (tests/e2e/ktls.sh): one
 * RPC-with-TLS connection to ferryd, data written through it and read
 * back in 1 MiB READs, and the connection held open for the test to look
 * at it from ferryd's control plane.
 *
 *   ktls_client --server HOST:PORT [--ca FILE] [--mib N] [--name NAME]
 *
 * It connects with the AUTH_TLS probe and a TLS 1.3 handshake
 * (tests/lib/tls_test.h; with --ca the server's certificate must verify
 * against FILE and name 127.0.0.1) and makes a session whose fore channel
 * takes 1 MiB WRITEs and READs:
 *   KTLS_CLIENT CONNECTED maxreq=<n> maxresp=<n>
 *   KTLS_CLIENT HOLD 1
 * and waits for a line on its standard input (the test looks at the
 * connection from ferryd's side meanwhile).  Then it creates NAME
 * (default ktls-data) in the export "/export" (OPEN with create,
 * UNCHECKED4), writes N MiB (default 8) of a pseudo-random pattern in
 * 1 MiB UNSTABLE4 WRITEs, COMMITs, reads the file back with READs of
 * 1 MiB (count 1048576, the size ferryd splices from the file to the
 * socket) and compares every byte:
 *   KTLS_CLIENT WROTE bytes=<n> writes=<n>
 *   KTLS_CLIENT READ bytes=<n> reads=<n> full_reads=<n> mismatched=<n> first_bad=<off|-1>
 *   KTLS_CLIENT HOLD 2
 * and waits again, the connection open, until its standard input ends;
 * then one more call (SEQUENCE alone) on the same connection, and
 *   KTLS_CLIENT DONE
 *
 * Exit status: 0 when all the data read back identical, 1 when it did
 * not (bytes differ, or the file's length); 3 when it got no TLS
 * connection or no session; 4 when a call failed once the session was up
 * (no reply within the test client's 5 s, the connection broke, a status
 * other than NFS4_OK).  Failures are said on a line "KTLS_CLIENT ERROR ...". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/nfs4_client.h"
#include "lib/tls_test.h"

enum { MIB = 1u << 20 };

static struct {
	const char *server, *ca, *name;
	unsigned mib;
} opt = {.name = "ktls-data", .mib = 8};

static int exit_code = 3;
static int call_failure = 3; /* the exit status of a failed call: 4 once the session is up */
static struct nfs4c_sess sess;

struct fh {
	uint8_t data[NFS4_FHSIZE];
	uint32_t len;
};

static uint8_t pattern(uint64_t pos)
{
	uint64_t x = (pos + 1) * 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)x;
}

/* Says why the client gives up, and does. */
static void give_up(const char *what, uint32_t status)
{
	printf("KTLS_CLIENT ERROR %s (status %u)\n", what, status);
	exit_code = call_failure;
	fail();
}

/* Sends m; a transport failure or a SEQUENCE that failed gives up. */
static void send_seq(struct nfs4c_call *m, struct nfs4c_reply *p, const char *what)
{
	int rc = nfs4c_call(sess.fd, sess.cred, m, p);
	if (rc != 0) {
		printf("KTLS_CLIENT ERROR %s: the call failed on the connection (%s)\n", what,
		       strerror(-rc));
		exit_code = call_failure;
		fail();
	}
	uint32_t s = nfs4c_seq_result(p, NULL);
	if (s != NFS4_OK) {
		nfs4c_done(p);
		give_up(what, s);
	}
}

static void expect(struct nfs4c_reply *p, uint32_t op, const char *what)
{
	uint32_t s = nfs4c_next(p, op);
	if (s != NFS4_OK) {
		nfs4c_done(p);
		give_up(what, s);
	}
}

static void take_fh(struct nfs4c_reply *p, struct fh *out)
{
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p->d, &g));
	assert_true(g.fh.len <= sizeof(out->data));
	memcpy(out->data, g.fh.data, g.fh.len);
	out->len = g.fh.len;
}

static void open_create(struct nfs4_stateid *sid, struct fh *out)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = sess.clientid;
	a.owner.owner = nfs4_opaque_str("ferry-ktls");
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(opt.name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	send_seq(&m, &p, "OPEN");
	expect(&p, OP_PUTROOTFH, "PUTROOTFH");
	expect(&p, OP_LOOKUP, "LOOKUP export");
	expect(&p, OP_OPEN, "OPEN with create");
	struct nfs4_open_res r;
	assert_true(nfs4_dec_open_res(&p.d, &r));
	*sid = r.stateid;
	expect(&p, OP_GETFH, "GETFH");
	take_fh(&p, out);
	nfs4c_done(&p);
}

static void write_all(const struct fh *f, const struct nfs4_stateid *sid, const uint8_t *data,
		      uint64_t size)
{
	unsigned writes = 0;
	for (uint64_t off = 0; off < size;) {
		uint32_t len = size - off < MIB ? (uint32_t)(size - off) : MIB;
		struct nfs4_write_args a = {.stateid = *sid, .offset = off, .stable = UNSTABLE4,
					    .data = {data + off, len}};
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&sess, &m, 0, false);
		nfs4c_putfh(&m, f->data, f->len);
		assert_true(nfs4_enc_write_args(nfs4c_op(&m, OP_WRITE), &a));
		char what[64];
		snprintf(what, sizeof(what), "WRITE at %llu", (unsigned long long)off);
		send_seq(&m, &p, what);
		expect(&p, OP_PUTFH, "PUTFH");
		expect(&p, OP_WRITE, "WRITE");
		struct nfs4_write_res res;
		assert_true(nfs4_dec_write_res(&p.d, &res));
		nfs4c_done(&p);
		if (res.count == 0)
			give_up("WRITE wrote nothing", 0);
		off += res.count;
		writes++;
	}
	struct nfs4_commit_args ca = {.offset = 0, .count = 0};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, f->data, f->len);
	NFS4C_OP(&m, OP_COMMIT, nfs4_enc_commit_args, &ca);
	send_seq(&m, &p, "COMMIT");
	expect(&p, OP_PUTFH, "PUTFH");
	expect(&p, OP_COMMIT, "COMMIT");
	nfs4c_done(&p);
	printf("KTLS_CLIENT WROTE bytes=%llu writes=%u\n", (unsigned long long)size, writes);
}

/* Reads the file back in READs of 1 MiB; the number of bytes that differ
 * from data (a length that differs counts its missing or extra bytes). */
static uint64_t read_back(const struct fh *f, const struct nfs4_stateid *sid, const uint8_t *data,
			  uint64_t size)
{
	uint8_t *got = malloc(size + MIB);
	assert_non_null(got);
	uint64_t have = 0;
	unsigned reads = 0, full = 0;
	bool eof = false;
	while (!eof && have <= size) {
		struct nfs4_read_args a = {.stateid = *sid, .offset = have, .count = MIB};
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&sess, &m, 0, false);
		nfs4c_putfh(&m, f->data, f->len);
		NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &a);
		char what[64];
		snprintf(what, sizeof(what), "READ at %llu", (unsigned long long)have);
		send_seq(&m, &p, what);
		expect(&p, OP_PUTFH, "PUTFH");
		expect(&p, OP_READ, "READ");
		struct nfs4_read_res r;
		assert_true(nfs4_dec_read_res(&p.d, &r));
		uint32_t n = r.data.len <= MIB ? r.data.len : MIB;
		memcpy(got + have, r.data.data, n);
		eof = r.eof || n == 0;
		nfs4c_done(&p);
		have += n;
		reads++;
		if (n == MIB)
			full++;
	}
	uint64_t bad = have > size ? have - size : size - have;
	int64_t first_bad = have != size ? (int64_t)(have < size ? have : size) : -1;
	for (uint64_t i = 0; i < have && i < size; i++)
		if (got[i] != data[i]) {
			if (first_bad < 0 || (int64_t)i < first_bad)
				first_bad = (int64_t)i;
			bad++;
		}
	printf("KTLS_CLIENT READ bytes=%llu reads=%u full_reads=%u mismatched=%llu first_bad=%lld\n",
	       (unsigned long long)have, reads, full, (unsigned long long)bad, (long long)first_bad);
	free(got);
	return bad;
}

static void test_main(void **state)
{
	(void)state;
	struct tlstest_opts to = {.ca = opt.ca};
	int err = 0;
	char msg[300];
	int fd = tlstest_connect(opt.server, &to, &err, msg, sizeof(msg));
	if (fd < 0) {
		printf("KTLS_CLIENT ERROR no TLS connection to %s (%s): %s\n", opt.server,
		       strerror(-err), msg);
		exit_code = 3;
		return;
	}
	/* Room for a 1 MiB WRITE's call and a 1 MiB READ's reply. */
	struct nfs4c_attrs fore;
	nfs4c_default_attrs(&fore);
	fore.maxreq = MIB + 8192;
	fore.maxresp = MIB + 8192;
	char owner[64];
	snprintf(owner, sizeof(owner), "ferry-ktls-client-%d", (int)getpid());
	nfs4c_session_up(&sess, fd, 0, owner, &fore);
	printf("KTLS_CLIENT CONNECTED maxreq=%u maxresp=%u\n", sess.fore.maxreq, sess.fore.maxresp);
	call_failure = 4;
	char line[256];
	printf("KTLS_CLIENT HOLD 1\n");
	if (!fgets(line, sizeof(line), stdin)) {
		printf("KTLS_CLIENT ERROR standard input ended at the first hold\n");
		return;
	}

	uint64_t size = (uint64_t)opt.mib * MIB;
	uint8_t *data = malloc(size);
	assert_non_null(data);
	for (uint64_t i = 0; i < size; i++)
		data[i] = pattern(i);
	struct nfs4_stateid sid;
	struct fh f;
	open_create(&sid, &f);
	write_all(&f, &sid, data, size);
	uint64_t bad = read_back(&f, &sid, data, size);
	free(data);

	printf("KTLS_CLIENT HOLD 2\n");
	while (fgets(line, sizeof(line), stdin))
		;
	/* The connection still serves after the look. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	send_seq(&m, &p, "SEQUENCE after the hold");
	nfs4c_done(&p);
	printf("KTLS_CLIENT DONE\n");
	nfs4c_close(fd);
	exit_code = bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ktls_client --server HOST:PORT [--ca FILE] [--mib N] [--name NAME]\n");
	exit(3);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"server", required_argument, NULL, 's'},
						 {"ca", required_argument, NULL, 'c'},
						 {"mib", required_argument, NULL, 'm'},
						 {"name", required_argument, NULL, 'n'},
						 {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'c': opt.ca = optarg; break;
		case 'm': opt.mib = (unsigned)atoi(optarg); break;
		case 'n': opt.name = optarg; break;
		default: usage();
		}
	}
	if (!opt.server || opt.mib < 1 || opt.mib > 1024 || !opt.name[0] || strchr(opt.name, '/') ||
	    optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_main)};
	/* A failed assertion leaves exit_code at 3; give_up sets it. */
	cmocka_run_group_tests_name("ktls_client", tests, NULL, NULL);
	return exit_code;
}
