/* state-load: how much client state an NFSv4.1 server takes, on any
 * server (ferryd, NFS-Ganesha, knfsd), one request at a time on slot 0.
 *
 *   state-load --server HOST:PORT [--export /export] [--minor 1|2]
 *              [--owners N] [--held N] [--only owners|held]
 *              [--server-pid PID] [--max-failures N] [--delay-retries N]
 *
 * Two loads, each from a client of its own (EXCHANGE_ID, CREATE_SESSION,
 * RECLAIM_COMPLETE), in a directory of their own under the export:
 *
 *  owners  N files (default 10,000) each created by an OPEN with a new
 *          open owner, then CLOSEd: a client naming an owner per OPEN, as
 *          the Linux client does per process and credential;
 *  held    one client opens N files (default 100,000) with one open owner
 *          and takes a byte-range write lock on each with one lock owner,
 *          and holds them all: the opens and locks granted are counted.
 *
 * A refusal is counted after NFS4ERR_DELAY was retried --delay-retries
 * times (default 3, 100 ms apart) and NFS4ERR_GRACE for up to 120 s; a
 * load stops after --max-failures refusals in a row (default 10), or at
 * once on a transport error.  The first error of each load is printed
 * with its operation and the file's number.  With --server-pid (the
 * server on this host), the server's VmRSS before and after each load and
 * the difference per 100,000 files.  The held state is left to the
 * server: the tool closes its connections and the lease runs out.
 *
 * Lines starting "LOAD " are the results, one per load:
 *   LOAD owners attempted=N ok=N first_error=... rss_kib=A->B per100k_mib=X secs=S
 *   LOAD held attempted=N opens=N locks=N first_error=... rss_kib=... secs=S
 * Exit status 0 when every attempt succeeded, 1 when some were refused,
 * 2 on a usage, connection or session error.
 *
 * It is built on the test client (tests/lib/nfs4_client.h), whose helpers
 * assert with cmocka, so the work runs as one cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/nfs4_client.h"

static struct {
	const char *server, *export_path, *only;
	unsigned minor, owners, held, max_failures, delay_retries;
	long server_pid;
} opt = {.export_path = "/export", .minor = 1, .owners = 10000, .held = 100000,
	 .max_failures = 10, .delay_retries = 3};

static int exit_code;

enum { ST_TRANSPORT = 0xffffffffu, GRACE_WAIT_MS = 120000, DELAY_SLEEP_MS = 100 };

/* The outcome of one COMPOUND: the first operation that failed (or the
 * last one) and its status; err for a transport error. */
struct res {
	uint32_t op, status;
	int err;
};

struct fh {
	uint32_t len;
	uint8_t data[NFS4_FHSIZE];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static long rss_kib(void)
{
	if (opt.server_pid <= 0)
		return -1;
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", opt.server_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long v = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0) {
			v = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void describe(char *out, size_t len, const char *what, unsigned nr, struct res r)
{
	if (r.status == ST_TRANSPORT)
		snprintf(out, len, "%s#%u:transport:%s", what, nr, strerror(-r.err));
	else
		snprintf(out, len, "%s#%u:%s:%s(%u)", what, nr, nfs4_op_name(r.op),
			 nfs4_status_name(r.status), r.status);
}

/* Sends m in session s and reads SEQUENCE's result; on NFS4_OK the reply
 * is left in p, at the next result.  A SEQUENCE that failed did not use
 * its seqid: it is given back. */
static struct res send_seq(struct nfs4c_sess *s, struct nfs4c_call *m, struct nfs4c_reply *p)
{
	int rc = nfs4c_call(s->fd, s->cred, m, p);
	if (rc)
		return (struct res){0, ST_TRANSPORT, rc};
	uint32_t st = nfs4c_seq_result(p, NULL);
	if (st != NFS4_OK) {
		s->seq[0]--;
		nfs4c_done(p);
	}
	return (struct res){OP_SEQUENCE, st, 0};
}

/* The next results, which must be ops[0..n): the first that failed. */
static struct res expect_ops(struct nfs4c_reply *p, const uint32_t *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t st = nfs4c_next(p, ops[i]);
		if (st != NFS4_OK)
			return (struct res){ops[i], st, 0};
	}
	return (struct res){n ? ops[n - 1] : OP_SEQUENCE, NFS4_OK, 0};
}

static void begin(struct nfs4c_sess *s, struct nfs4c_call *m)
{
	nfs4c_begin_seq(s, m, 0, false);
}

/* The GETFH result next in p, into out: its status as r. */
static struct res take_fh(struct nfs4c_reply *p, struct fh *out)
{
	struct res r = {OP_GETFH, nfs4c_next(p, OP_GETFH), 0};
	if (r.status == NFS4_OK) {
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p->d, &g));
		assert_true(g.fh.len <= sizeof(out->data));
		memcpy(out->data, g.fh.data, g.fh.len);
		out->len = g.fh.len;
	}
	return r;
}

/* PUTFH dir; OPEN (created UNCHECKED, mode 0644, read and write, no
 * delegation wanted) of name by owner; GETFH. */
static struct res open_create(struct nfs4c_sess *s, const struct fh *dir, const char *owner,
			      const char *name, struct nfs4_stateid *sid, struct fh *fh)
{
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa4}; /* 0644 */
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str(owner);
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	nfs4_bitmap_set(&a.how.attrs.mask, FATTR4_MODE);
	a.how.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(s, &m);
	nfs4c_putfh(&m, dir->data, dir->len);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	struct res r = send_seq(s, &m, &p);
	if (r.status != NFS4_OK)
		return r;
	static const uint32_t ops[] = {OP_PUTFH, OP_OPEN};
	r = expect_ops(&p, ops, 2);
	if (r.status == NFS4_OK) {
		struct nfs4_open_res o;
		assert_true(nfs4_dec_open_res(&p.d, &o));
		*sid = o.stateid;
		r = take_fh(&p, fh);
	}
	nfs4c_done(&p);
	return r;
}

/* PUTFH fh; one operation with args encoded by enc; on success the
 * stateid its result starts with, when out is not NULL. */
static struct res fh_op(struct nfs4c_sess *s, const struct fh *fh, uint32_t opnum,
			bool (*enc)(struct xdr_enc *, const void *), const void *args,
			struct nfs4_stateid *out)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(s, &m);
	nfs4c_putfh(&m, fh->data, fh->len);
	assert_true(enc(nfs4c_op(&m, opnum), args));
	struct res r = send_seq(s, &m, &p);
	if (r.status != NFS4_OK)
		return r;
	const uint32_t ops[] = {OP_PUTFH, opnum};
	r = expect_ops(&p, ops, 2);
	if (r.status == NFS4_OK && out) {
		struct nfs4_stateid_res sr;
		assert_true(nfs4_dec_stateid_res(&p.d, &sr));
		*out = sr.stateid;
	}
	nfs4c_done(&p);
	return r;
}

static bool enc_close(struct xdr_enc *e, const void *a) { return nfs4_enc_close_args(e, a); }
static bool enc_lock(struct xdr_enc *e, const void *a) { return nfs4_enc_lock_args(e, a); }

static struct res close_file(struct nfs4c_sess *s, const struct fh *fh,
			     const struct nfs4_stateid *sid)
{
	struct nfs4_close_args a = {.stateid = *sid};
	return fh_op(s, fh, OP_CLOSE, enc_close, &a, NULL);
}

/* A write lock on bytes 0..9 for lock owner owner (new, from the open
 * stateid). */
static struct res lock_file(struct nfs4c_sess *s, const struct fh *fh,
			    const struct nfs4_stateid *open, const char *owner,
			    struct nfs4_stateid *out)
{
	struct nfs4_lock_args a = {.locktype = WRITE_LT, .offset = 0, .length = 10};
	a.locker.new_lock_owner = true;
	a.locker.open_stateid = *open;
	a.locker.owner.clientid = s->clientid;
	a.locker.owner.owner = nfs4_opaque_str(owner);
	return fh_op(s, fh, OP_LOCK, enc_lock, &a, out);
}

/* Whether to try r's request again: NFS4ERR_DELAY up to --delay-retries
 * times, NFS4ERR_GRACE for up to two minutes. */
static bool again(struct res r, unsigned *delays, double *grace_start)
{
	if (r.status == NFS4ERR_DELAY && *delays < opt.delay_retries) {
		(*delays)++;
		sleep_ms(DELAY_SLEEP_MS);
		return true;
	}
	if (r.status == NFS4ERR_GRACE) {
		if (*grace_start == 0)
			*grace_start = now_s();
		if (now_s() - *grace_start < GRACE_WAIT_MS / 1000.0) {
			sleep_ms(1000);
			return true;
		}
	}
	return false;
}

#define RETRYING(call)                                                                   \
	({                                                                               \
		unsigned delays_ = 0;                                                    \
		double grace_ = 0;                                                       \
		struct res r_;                                                           \
		do                                                                       \
			r_ = (call);                                                     \
		while (again(r_, &delays_, &grace_));                                    \
		r_;                                                                      \
	})

/* A client with its session, and the file handle of its work directory
 * (created under the export, named after the load and this process). */
struct client {
	int fd;
	struct nfs4c_sess s;
	struct fh dir;
};

static struct res lookup_export(struct nfs4c_sess *s, struct fh *out)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(s, &m);
	nfs4c_putrootfh(&m);
	char path[512];
	snprintf(path, sizeof(path), "%s", opt.export_path);
	unsigned n = 1;
	for (char *save = NULL, *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		nfs4c_lookup(&m, c);
		n++;
	}
	nfs4c_getfh(&m);
	struct res r = send_seq(s, &m, &p);
	if (r.status != NFS4_OK)
		return r;
	r = (struct res){OP_PUTROOTFH, nfs4c_next(&p, OP_PUTROOTFH), 0};
	for (unsigned i = 1; i < n && r.status == NFS4_OK; i++)
		r = (struct res){OP_LOOKUP, nfs4c_next(&p, OP_LOOKUP), 0};
	if (r.status == NFS4_OK)
		r = take_fh(&p, out);
	nfs4c_done(&p);
	return r;
}

/* PUTFH parent; CREATE (directory, 0777) name; GETFH. */
static struct res make_dir(struct nfs4c_sess *s, const struct fh *parent, const char *name,
			   struct fh *out)
{
	static const uint8_t mode[4] = {0, 0, 0x01, 0xff}; /* 0777 */
	struct nfs4_create_args a;
	memset(&a, 0, sizeof(a));
	a.type = NF4DIR;
	a.name = nfs4_opaque_str(name);
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(s, &m);
	nfs4c_putfh(&m, parent->data, parent->len);
	assert_true(nfs4_enc_create_args(nfs4c_op(&m, OP_CREATE), &a));
	nfs4c_getfh(&m);
	struct res r = send_seq(s, &m, &p);
	if (r.status != NFS4_OK)
		return r;
	static const uint32_t ops[] = {OP_PUTFH, OP_CREATE};
	r = expect_ops(&p, ops, 2);
	if (r.status == NFS4_OK) {
		struct nfs4_create_res c;
		assert_true(nfs4_dec_create_res(&p.d, &c));
		r = take_fh(&p, out);
	}
	nfs4c_done(&p);
	return r;
}

static bool client_up(struct client *c, const char *load)
{
	char name[96];
	snprintf(name, sizeof(name), "state-load-%s-%ld-%ld", load, (long)getpid(),
		 (long)time(NULL));
	c->fd = rpctest_connect(opt.server);
	if (c->fd < 0) {
		printf("LOAD %s error=connect:%s\n", load, strerror(-c->fd));
		exit_code = 2;
		return false;
	}
	nfs4c_session_up_minor(&c->s, opt.minor, c->fd, 0, name, NULL);
	struct fh exp;
	struct res r = RETRYING(lookup_export(&c->s, &exp));
	if (r.status == NFS4_OK) {
		char dir[64];
		snprintf(dir, sizeof(dir), "state-load-%s-%ld", load, (long)getpid());
		r = RETRYING(make_dir(&c->s, &exp, dir, &c->dir));
	}
	if (r.status != NFS4_OK) {
		char e[160];
		describe(e, sizeof(e), "setup", 0, r);
		printf("LOAD %s error=%s\n", load, e);
		exit_code = 2;
		nfs4c_close(c->fd);
		return false;
	}
	return true;
}

static void print_rss(long before, long after, unsigned n)
{
	if (before < 0 || after < 0 || n == 0) {
		printf("\n");
		return;
	}
	printf(" rss_kib=%ld->%ld per100k_mib=%.1f\n", before, after,
	       (double)(after - before) / 1024.0 * 100000.0 / n);
}

static void load_owners(void)
{
	struct client c;
	if (!client_up(&c, "owners"))
		return;
	long rss0 = rss_kib();
	double t0 = now_s();
	unsigned ok = 0, attempted = 0, in_a_row = 0;
	char first[160] = "none";
	for (unsigned i = 0; i < opt.owners; i++) {
		char owner[48], name[32];
		snprintf(owner, sizeof(owner), "state-load-owner-%u", i);
		snprintf(name, sizeof(name), "o%06u", i);
		struct nfs4_stateid sid;
		struct fh fh;
		attempted++;
		struct res r = RETRYING(open_create(&c.s, &c.dir, owner, name, &sid, &fh));
		if (r.status == NFS4_OK)
			r = RETRYING(close_file(&c.s, &fh, &sid));
		if (r.status == NFS4_OK) {
			ok++;
			in_a_row = 0;
			continue;
		}
		if (strcmp(first, "none") == 0)
			describe(first, sizeof(first), "file", i + 1, r);
		if (r.status == ST_TRANSPORT || ++in_a_row >= opt.max_failures)
			break;
	}
	double secs = now_s() - t0;
	long rss1 = rss_kib();
	printf("LOAD owners attempted=%u ok=%u first_error=%s secs=%.2f", attempted, ok, first,
	       secs);
	print_rss(rss0, rss1, attempted);
	if (ok != opt.owners)
		exit_code = exit_code ? exit_code : 1;
	nfs4c_close(c.fd);
}

static void load_held(void)
{
	struct client c;
	if (!client_up(&c, "held"))
		return;
	long rss0 = rss_kib();
	double t0 = now_s();
	unsigned opens = 0, locks = 0, attempted = 0, in_a_row = 0;
	char first[160] = "none";
	for (unsigned i = 0; i < opt.held; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%06u", i);
		struct nfs4_stateid sid, lsid;
		struct fh fh;
		attempted++;
		struct res r =
			RETRYING(open_create(&c.s, &c.dir, "state-load-holder", name, &sid, &fh));
		if (r.status == NFS4_OK) {
			opens++;
			r = RETRYING(lock_file(&c.s, &fh, &sid, "state-load-holder-locks", &lsid));
			if (r.status == NFS4_OK)
				locks++;
		}
		if (r.status == NFS4_OK) {
			in_a_row = 0;
			continue;
		}
		if (strcmp(first, "none") == 0)
			describe(first, sizeof(first), "file", i + 1, r);
		if (r.status == ST_TRANSPORT || ++in_a_row >= opt.max_failures)
			break;
		if (opt.held - i > 1 && in_a_row == 1)
			fprintf(stderr, "state-load: held: %s; going on\n", first);
	}
	double secs = now_s() - t0;
	long rss1 = rss_kib();
	printf("LOAD held attempted=%u opens=%u locks=%u first_error=%s secs=%.2f", attempted,
	       opens, locks, first, secs);
	print_rss(rss0, rss1, locks ? locks : opens);
	if (locks != opt.held)
		exit_code = exit_code ? exit_code : 1;
	nfs4c_close(c.fd);
}

static void run(void **state)
{
	(void)state;
	if (!opt.only || strcmp(opt.only, "owners") == 0)
		load_owners();
	if (!opt.only || strcmp(opt.only, "held") == 0)
		load_held();
}

static void usage(void)
{
	fprintf(stderr,
		"usage: state-load --server HOST:PORT [--export PATH] [--minor 1|2] [--owners N]\n"
		"                  [--held N] [--only owners|held] [--server-pid PID]\n"
		"                  [--max-failures N] [--delay-retries N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"export", required_argument, NULL, 'e'},
		{"minor", required_argument, NULL, 'm'},
		{"owners", required_argument, NULL, 'o'},
		{"held", required_argument, NULL, 'H'},
		{"only", required_argument, NULL, 'O'},
		{"server-pid", required_argument, NULL, 'p'},
		{"max-failures", required_argument, NULL, 'f'},
		{"delay-retries", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'e': opt.export_path = optarg; break;
		case 'm': opt.minor = (unsigned)atoi(optarg); break;
		case 'o': opt.owners = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': opt.held = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'O': opt.only = optarg; break;
		case 'p': opt.server_pid = atol(optarg); break;
		case 'f': opt.max_failures = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': opt.delay_retries = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!opt.server || opt.minor < 1 || opt.minor > 2 || optind != argc ||
	    (opt.only && strcmp(opt.only, "owners") != 0 && strcmp(opt.only, "held") != 0) ||
	    opt.max_failures == 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("state-load: server %s export %s minor %u owners %u held %u\n", opt.server,
	       opt.export_path, opt.minor, opt.owners, opt.held);
	const struct CMUnitTest tests[] = {cmocka_unit_test(run)};
	int rc = cmocka_run_group_tests_name("state-load", tests, NULL, NULL);
	return rc ? 2 : exit_code;
}
