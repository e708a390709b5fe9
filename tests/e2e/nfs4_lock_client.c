/* The process on the server host of the kernel-client NFSv3 locking run
 * (tests/e2e/v3_host.sh kind=lock4, tests/e2e/guest/v3.sh host-lock): an
 * NFSv4.1 client that holds a whole-file write lock on a file of the
 * export, so that the guest's NLM lock on it must be refused while it is
 * held and granted once it is released.
 *
 *   nfs4_lock_client --server HOST:PORT --name FILE [--dir export]
 *       [--hold SECS] [--until PATH] [--held PATH] [--timeout SECS]
 *   nfs4_lock_client --server HOST:PORT --name FILE [--dir export] --try
 *
 * FILE is looked up in the pseudo directory --dir and opened for read and
 * write; the LOCK (WRITE_LT, offset 0, length all) is retried while the
 * server answers NFS4ERR_DENIED, NFS4ERR_DELAY or NFS4ERR_GRACE, up to
 * --timeout seconds (default 30).  Once it holds the lock it creates PATH
 * (--held), keeps the lease (SEQUENCE every second) for --hold seconds
 * (default 5; with --until, until PATH exists, for at most --hold
 * seconds), then LOCKU, CLOSE and the session's end.  Prints "LOCK4 "
 * lines; exits 0 when each step succeeded.
 *
 * --try asks once, without waiting: OPEN, then LOCK if the OPEN succeeded,
 * and prints "LOCK4 try: OPEN|LOCK STATUS" for the first operation that
 * failed, or "LOCK4 try: LOCK NFS4_OK" (the lock is then given back).  It
 * exits 0 whatever the server answered: the caller reads the status (a
 * server in its grace period answers NFS4ERR_GRACE, a lock another client
 * holds NFS4ERR_DENIED).  The test client's helpers
 * assert with cmocka, so the work runs as one cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/nfs4_client.h"

static struct {
	const char *server, *dir, *name, *held, *until;
	unsigned hold_s, timeout_s;
	bool try_once;
} opt = {.dir = "export", .hold_s = 5, .timeout_s = 30};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct holder {
	int fd;
	struct nfs4c_sess s;
	struct nfs4_stateid open, lock;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* OPEN by name in opt.dir for read and write, no delegation wanted. */
static uint32_t open_file(struct holder *h)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = h->s.clientid;
	a.owner.owner = nfs4_opaque_str("ferry-e2e-lock4");
	a.opentype = OPEN4_NOCREATE;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(opt.name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&h->s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, opt.dir);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	nfs4c_send(h->fd, h->s.cred, &m, &p);
	uint32_t s = nfs4c_seq_result(&p, NULL);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTROOTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_LOOKUP);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_OPEN)) == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		h->open = r.stateid;
		s = nfs4c_next(&p, OP_GETFH);
		if (s == NFS4_OK) {
			struct nfs4_getfh_res fh;
			assert_true(nfs4_dec_getfh_res(&p.d, &fh));
			assert_true(fh.fh.len <= sizeof(h->fh));
			memcpy(h->fh, fh.fh.data, fh.fh.len);
			h->fhlen = fh.fh.len;
		}
	}
	nfs4c_done(&p);
	return s;
}

/* One operation on the file's handle; dec reads its result on success. */
static uint32_t on_file(struct holder *h, uint32_t opnum, bool (*enc)(struct xdr_enc *, const void *),
			const void *args, bool (*dec)(struct xdr_dec *, void *), void *res)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&h->s, &m, 0, false);
	nfs4c_putfh(&m, h->fh, h->fhlen);
	assert_true(enc(nfs4c_op(&m, opnum), args));
	nfs4c_send(h->fd, h->s.cred, &m, &p);
	uint32_t s = nfs4c_seq_result(&p, NULL);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, opnum)) == NFS4_OK && dec)
		assert_true(dec(&p.d, res));
	nfs4c_done(&p);
	return s;
}

#define ENC(f) ((bool (*)(struct xdr_enc *, const void *))(f))
#define DEC(f) ((bool (*)(struct xdr_dec *, void *))(f))

/* CLOSE of the file's open stateid. */
static uint32_t close_file(struct holder *h)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&h->s, &m, 0, false);
	nfs4c_putfh(&m, h->fh, h->fhlen);
	nfs4c_close_op(&m, 0, &h->open);
	nfs4c_send(h->fd, h->s.cred, &m, &p);
	uint32_t s = nfs4c_seq_result(&p, NULL);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_CLOSE);
	nfs4c_done(&p);
	return s;
}

/* A connection and an NFSv4.1 session of a client named after tag. */
static void holder_up(struct holder *h, const char *tag)
{
	memset(h, 0, sizeof(*h));
	h->fd = nfs4c_connect(opt.server);
	char id[64];
	snprintf(id, sizeof(id), "ferry-e2e-%s-%d", tag, (int)getpid());
	nfs4c_session_up(&h->s, h->fd, 0, id, NULL);
}

static void holder_down(struct holder *h)
{
	nfs4c_destroy_session(&h->s);
	nfs4c_destroy_clientid(&h->s);
	nfs4c_close(h->fd);
}

/* LOCK's arguments for a whole-file write lock of a new lock owner from
 * the open stateid. */
static struct nfs4_lock_args whole_file_lock(const struct holder *h, const char *owner)
{
	return (struct nfs4_lock_args){
		.locktype = WRITE_LT,
		.offset = 0,
		.length = UINT64_MAX,
		.locker = {.new_lock_owner = true,
			   .open_stateid = h->open,
			   .owner = {h->s.clientid, nfs4_opaque_str(owner)}},
	};
}

static void test_hold_lock(void **state)
{
	(void)state;
	struct holder h;
	holder_up(&h, "lock4");

	uint32_t s = open_file(&h);
	printf("LOCK4 open %s/%s: %s\n", opt.dir, opt.name, nfs4_status_name(s));
	assert_int_equal(s, NFS4_OK);

	/* While another holder (the guest's NLM lock) keeps the file,
	 * DENIED: try again. */
	struct nfs4_lock_args la = whole_file_lock(&h, "ferry-e2e-lock4-owner");
	double t0 = now_s();
	unsigned tries = 0;
	struct nfs4_lock_res lr;
	for (;;) {
		tries++;
		s = on_file(&h, OP_LOCK, ENC(nfs4_enc_lock_args), &la, DEC(nfs4_dec_lock_res), &lr);
		if ((s != NFS4ERR_DENIED && s != NFS4ERR_DELAY && s != NFS4ERR_GRACE) ||
		    now_s() - t0 > opt.timeout_s)
			break;
		usleep(250 * 1000);
	}
	printf("LOCK4 lock: %s after %.2f s, %u tries\n", nfs4_status_name(s), now_s() - t0, tries);
	assert_int_equal(s, NFS4_OK);
	h.lock = lr.stateid;

	if (opt.held) {
		int fd = open(opt.held, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	/* The lease is kept by the session's SEQUENCE, once a second. */
	double t_held = now_s(), end = t_held + opt.hold_s, next_ping = t_held;
	while (now_s() < end && !(opt.until && access(opt.until, F_OK) == 0)) {
		if (now_s() >= next_ping) {
			assert_int_equal(nfs4c_ping(&h.s), NFS4_OK);
			next_ping = now_s() + 1;
		}
		usleep(100 * 1000);
	}

	struct nfs4_locku_args ua = {.locktype = WRITE_LT, .seqid = 0, .stateid = h.lock,
				     .offset = 0, .length = UINT64_MAX};
	struct nfs4_locku_res ur;
	s = on_file(&h, OP_LOCKU, ENC(nfs4_enc_locku_args), &ua, DEC(nfs4_dec_locku_res), &ur);
	printf("LOCK4 unlock after %.1f s: %s\n", now_s() - t_held, nfs4_status_name(s));
	assert_int_equal(s, NFS4_OK);

	s = close_file(&h);
	printf("LOCK4 close: %s\n", nfs4_status_name(s));
	assert_int_equal(s, NFS4_OK);
	holder_down(&h);
}

static void test_try_lock(void **state)
{
	(void)state;
	struct holder h;
	holder_up(&h, "lock4-try");

	uint32_t s = open_file(&h);
	if (s != NFS4_OK) {
		printf("LOCK4 try: OPEN %s\n", nfs4_status_name(s));
	} else {
		struct nfs4_lock_args la = whole_file_lock(&h, "ferry-e2e-lock4-try");
		struct nfs4_lock_res lr;
		s = on_file(&h, OP_LOCK, ENC(nfs4_enc_lock_args), &la, DEC(nfs4_dec_lock_res), &lr);
		printf("LOCK4 try: LOCK %s\n", nfs4_status_name(s));
		if (s == NFS4_OK) {
			struct nfs4_locku_args ua = {.locktype = WRITE_LT, .seqid = 0,
						     .stateid = lr.stateid, .offset = 0,
						     .length = UINT64_MAX};
			struct nfs4_locku_res ur;
			assert_int_equal(on_file(&h, OP_LOCKU, ENC(nfs4_enc_locku_args), &ua,
						 DEC(nfs4_dec_locku_res), &ur),
					 NFS4_OK);
		}
		assert_int_equal(close_file(&h), NFS4_OK);
	}
	holder_down(&h);
}

static void usage(void)
{
	fprintf(stderr, "usage: nfs4_lock_client --server HOST:PORT --name FILE [--dir DIR] "
			"[--hold SECS] [--until PATH] [--held PATH] [--timeout SECS]\n"
			"       nfs4_lock_client --server HOST:PORT --name FILE [--dir DIR] --try\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'}, {"dir", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},   {"hold", required_argument, NULL, 'h'},
		{"held", required_argument, NULL, 'H'},   {"timeout", required_argument, NULL, 't'},
		{"try", no_argument, NULL, 'T'},         {"until", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'd': opt.dir = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'h': opt.hold_s = (unsigned)atoi(optarg); break;
		case 'H': opt.held = optarg; break;
		case 'u': opt.until = optarg; break;
		case 't': opt.timeout_s = (unsigned)atoi(optarg); break;
		case 'T': opt.try_once = true; break;
		default: usage();
		}
	}
	if (!opt.server || !opt.name || optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest hold[] = {cmocka_unit_test(test_hold_lock)};
	const struct CMUnitTest try_once[] = {cmocka_unit_test(test_try_lock)};
	if (opt.try_once)
		return cmocka_run_group_tests_name("nfs4_lock_client", try_once, NULL, NULL);
	return cmocka_run_group_tests_name("nfs4_lock_client", hold, NULL, NULL);
}
