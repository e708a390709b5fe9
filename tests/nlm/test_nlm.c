/* NLM v4 against a real ferryd: TEST, LOCK, UNLOCK, CANCEL, blocking LOCKs
 * granted by a GRANTED call to the test's own lock manager, NLM and NFSv4
 * locks conflicting both ways, SHARE against NFSv4 OPEN, FREE_ALL, the
 * _MSG forms answered by _RES calls, bad arguments, and the grace period
 * after a restart (reclaims only).
 *
 * The test's lock manager listens on loopback and also answers the
 * portmapper's GETPORT with its own port; ferryd is told to ask it there
 * (FERRY_TEST_NLM_PORTMAPPER_PORT) instead of port 111. */
#include "proto/deleg_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jansson.h>

#include "lib/ctl_test.h"
#include "lib/rpctest.h"
#include "proto/state41_helpers.h"
#include "nlm/nlm_client.h"

/* --- the test's lock manager (and portmapper) ------------------------------- */

struct fake_lockd {
	int listen_fd;
	int udp_fd; /* at the same port: NLM over UDP */
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	unsigned getports, granted, res_calls;
	unsigned udp_getports; /* GETPORT asking for NLM over UDP */
	unsigned udp_calls;    /* NLM calls that came over UDP */
	uint32_t last_res_proc, last_res_stat;
	int32_t granted_svid;
	uint64_t granted_offset, granted_len;
	bool granted_exclusive;
	uint32_t answer; /* what GRANTED answers */
	/* GETPORT is answered with records of another XID, one every 50 ms,
	 * for as long as this is set: a portmapper that keeps ferryd busy. */
	bool babble;
	unsigned babbled; /* GETPORT calls answered that way */
};

static struct fake_lockd lockd;

/* Where a reply goes: a record on a TCP connection, or a datagram to
 * the caller (to set). */
struct lockd_peer {
	int fd;
	const struct sockaddr_storage *to;
	socklen_t to_len;
};

static void reply_to(const struct lockd_peer *p, uint32_t xid, const struct xdr_enc *res)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 65536));
	xdr_encode_u32(&e, xid);
	xdr_encode_u32(&e, 1); /* REPLY */
	xdr_encode_u32(&e, 0); /* MSG_ACCEPTED */
	xdr_encode_u32(&e, 0); /* AUTH_NONE verifier */
	xdr_encode_u32(&e, 0);
	xdr_encode_u32(&e, 0); /* SUCCESS */
	if (res)
		xdr_encode_opaque_fixed(&e, res->buf->data, res->buf->len);
	if (p->to)
		(void)sendto(p->fd, e.buf->data, e.buf->len, 0, (const struct sockaddr *)p->to,
			     p->to_len);
	else
		rpctest_send_record(p->fd, e.buf->data, e.buf->len, 0);
	xdr_enc_release(&e);
}

static void lockd_serve_call(const struct lockd_peer *peer, struct buf *rec)
{
	struct xdr_dec d;
	xdr_dec_init(&d, rec->data, rec->len);
	uint32_t xid, type;
	struct rpc_call_hdr h;
	struct rpc_cred cred;
	enum rpc_auth_stat as;
	if (!rpc_decode_msg_start(&d, &xid, &type) || type != 0 ||
	    rpc_decode_call(&d, &h, &cred, &as) != RPC_CALL_OK)
		return;
	struct xdr_enc res;
	assert_true(xdr_enc_init(&res, 128, 4096));
	pthread_mutex_lock(&lockd.lock);
	if (h.prog == PMAP_PROGRAM && h.proc == PMAPPROC_GETPORT && lockd.babble) {
		lockd.babbled++;
		pthread_cond_broadcast(&lockd.cond);
		xdr_encode_u32(&res, lockd.port);
		while (lockd.babble && !lockd.stop) {
			pthread_mutex_unlock(&lockd.lock);
			reply_to(peer, ~xid, &res);
			usleep(50 * 1000);
			pthread_mutex_lock(&lockd.lock);
		}
		pthread_mutex_unlock(&lockd.lock);
		xdr_enc_release(&res);
		return;
	} else if (h.prog == PMAP_PROGRAM && h.proc == PMAPPROC_GETPORT) {
		/* mapping: prog, vers, prot, port; the same port for both. */
		uint32_t m[4];
		if (xdr_decode_u32(&d, &m[0]) && xdr_decode_u32(&d, &m[1]) &&
		    xdr_decode_u32(&d, &m[2]) && xdr_decode_u32(&d, &m[3]) && m[2] == IPPROTO_UDP)
			lockd.udp_getports++;
		lockd.getports++;
		xdr_encode_u32(&res, lockd.port);
	}
	if (h.prog == NLM_PROGRAM && peer->to)
		lockd.udp_calls++;
	if (h.prog == NLM_PROGRAM && h.proc == NLMPROC4_GRANTED) {
		struct nlm4_testargs a;
		if (nlm4_decode_testargs(&d, &a)) {
			lockd.granted++;
			lockd.granted_svid = a.lock.svid;
			lockd.granted_offset = a.lock.offset;
			lockd.granted_len = a.lock.len;
			lockd.granted_exclusive = a.exclusive;
			struct nlm4_res r = {.cookie = a.cookie, .stat = lockd.answer};
			nlm4_encode_res(&res, &r);
		}
	} else if (h.prog == NLM_PROGRAM && h.proc >= NLMPROC4_TEST_RES &&
		   h.proc <= NLMPROC4_GRANTED_RES) {
		lockd.res_calls++;
		lockd.last_res_proc = h.proc;
		if (h.proc == NLMPROC4_TEST_RES) {
			struct nlm4_testres r;
			if (nlm4_decode_testres(&d, &r))
				lockd.last_res_stat = r.stat;
		} else {
			struct nlm4_res r;
			if (nlm4_decode_res(&d, &r))
				lockd.last_res_stat = r.stat;
		}
	}
	pthread_cond_broadcast(&lockd.cond);
	pthread_mutex_unlock(&lockd.lock);
	reply_to(peer, xid, &res);
	xdr_enc_release(&res);
}

/* One datagram from the UDP socket, served. */
static void lockd_serve_datagram(void)
{
	struct buf *b = buf_new(65536);
	assert_non_null(b);
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t got = recvfrom(lockd.udp_fd, b->data, b->cap, 0, (struct sockaddr *)&from,
			       &from_len);
	if (got > 0) {
		b->len = (size_t)got;
		struct lockd_peer peer = {.fd = lockd.udp_fd, .to = &from, .to_len = from_len};
		lockd_serve_call(&peer, b);
	}
	buf_unref(b);
}

static void *lockd_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lockd.lock);
		bool stop = lockd.stop;
		pthread_mutex_unlock(&lockd.lock);
		if (stop)
			return NULL;
		struct pollfd p[2] = {{.fd = lockd.listen_fd, .events = POLLIN},
				      {.fd = lockd.udp_fd, .events = POLLIN}};
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[1].revents & POLLIN)
			lockd_serve_datagram();
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept(lockd.listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		struct buf *rec;
		struct lockd_peer peer = {.fd = fd};
		while (rpctest_recv_record(fd, &rec, 2000) == 0) {
			lockd_serve_call(&peer, rec);
			buf_unref(rec);
		}
		close(fd);
	}
}

static void lockd_start(void)
{
	memset(&lockd, 0, sizeof(lockd));
	pthread_mutex_init(&lockd.lock, NULL);
	pthread_cond_init(&lockd.cond, NULL);
	lockd.answer = NLM4_GRANTED;
	/* A TCP port whose UDP twin is free too. */
	for (int tries = 0; tries < 50; tries++) {
		lockd.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		lockd.udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(lockd.listen_fd >= 0 && lockd.udp_fd >= 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		assert_int_equal(bind(lockd.listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
		socklen_t len = sizeof(a);
		assert_int_equal(getsockname(lockd.listen_fd, (struct sockaddr *)&a, &len), 0);
		if (bind(lockd.udp_fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			lockd.port = ntohs(a.sin_port);
			break;
		}
		close(lockd.listen_fd);
		close(lockd.udp_fd);
	}
	assert_true(lockd.port != 0);
	assert_int_equal(listen(lockd.listen_fd, 8), 0);
	assert_int_equal(pthread_create(&lockd.thread, NULL, lockd_main, NULL), 0);
}

static void lockd_stop(void)
{
	pthread_mutex_lock(&lockd.lock);
	lockd.stop = true;
	pthread_mutex_unlock(&lockd.lock);
	pthread_join(lockd.thread, NULL);
	close(lockd.listen_fd);
	close(lockd.udp_fd);
}

/* Waits until *counter reaches want (false after timeout_ms). */
static bool lockd_wait(const unsigned *counter, unsigned want, unsigned timeout_ms)
{
	uint64_t end = dl_now_ms() + timeout_ms;
	pthread_mutex_lock(&lockd.lock);
	while (*counter < want && dl_now_ms() < end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&lockd.cond, &lockd.lock, &ts);
	}
	bool ok = *counter >= want;
	pthread_mutex_unlock(&lockd.lock);
	return ok;
}

static unsigned lockd_count(const unsigned *counter)
{
	pthread_mutex_lock(&lockd.lock);
	unsigned v = *counter;
	pthread_mutex_unlock(&lockd.lock);
	return v;
}

/* --- the NLM client side ------------------------------------------------------ */

static struct nfs4c_sess v4;

static int setup(void **st)
{
	(void)st;
	lockd_start();
	char port[16];
	snprintf(port, sizeof(port), "%u", lockd.port);
	setenv("FERRY_TEST_NLM_PORTMAPPER_PORT", port, 1);
	if (dl_setup_with("") != 0)
		return -1;
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client", NULL);
	return 0;
}

static int teardown(void **st)
{
	nfs4c_close(v4.fd);
	int rc = dl_teardown(st);
	lockd_stop();
	return rc;
}

static void make_file(const char *name, struct file *f)
{
	assert_int_equal(open41(&v4, "nlm-opener", name, &f->open, f->fh, &f->fhlen), NFS4_OK);
}

/* An exclusive LOCK of l asked until the grace period of a (re)started
 * server is over (10 s at most): its status then. */
static uint32_t lock_after_grace(int fd, const struct nlm4_lock *l)
{
	uint32_t s = NLM4_DENIED_GRACE_PERIOD;
	for (int i = 0; i < 100 && s == NLM4_DENIED_GRACE_PERIOD; i++) {
		s = nlm_lock(fd, l, true, false);
		if (s == NLM4_DENIED_GRACE_PERIOD)
			usleep(100000);
	}
	return s;
}

static void add_close_nlm(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

/* A v4.1 LOCK of [off, off + 10) through the test's open of f. */
static uint32_t v4_lock(const struct file *f, const char *owner, uint64_t off,
			struct nfs4_stateid *out)
{
	return lock41(&v4, f->fh, f->fhlen, &f->open, owner, NULL, off, out);
}

static uint32_t v4_unlock(const struct file *f, const struct nfs4_stateid *lsid, uint64_t off)
{
	struct nfs4_locku_args a = {.locktype = WRITE_LT, .seqid = 0, .stateid = *lsid,
				    .offset = off, .length = 10};
	return op41(&v4, f->fh, f->fhlen, OP_LOCKU, enc_locku, &a, NULL);
}

/* --- the tests ------------------------------------------------------------------- */

static void test_null(void **st)
{
	(void)st;
	int fd = rpctest_connect(server.hostport);
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, next_xid++, NLM_PROGRAM, NLM4_VERSION, NLMPROC4_NULL,
				      NULL, NULL, 0, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	close(fd);
}

static void test_lock_test_unlock(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-basic", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 11, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	/* The same owner again: its own lock never blocks it. */
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);

	struct nlm4_lock b = mk_lock("hostb", 22, &f, 5, 1);
	struct nlm4_holder h;
	uint8_t oh[1024];
	assert_int_equal(nlm_test(fd, &b, false, &h, oh), NLM4_DENIED);
	assert_true(h.exclusive);
	assert_int_equal(h.svid, 11);
	assert_int_equal(h.offset, 0);
	assert_int_equal(h.len, 10);
	assert_int_equal(h.oh.len, strlen("11@hosta"));
	assert_memory_equal(h.oh.data, "11@hosta", h.oh.len);
	assert_int_equal(nlm_lock(fd, &b, false, false), NLM4_DENIED);
	/* Past the lock: free. */
	struct nlm4_lock b2 = mk_lock("hostb", 22, &f, 10, 0);
	assert_int_equal(nlm_test(fd, &b2, true, NULL, NULL), NLM4_GRANTED);

	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, false, false), NLM4_GRANTED);
	/* A shared lock lets another shared one in, not an exclusive one. */
	assert_int_equal(nlm_lock(fd, &a, false, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_DENIED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	/* Unlocking what is not locked is not an error. */
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	close(fd);
}

static void test_v3_v4_conflicts(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-v4", &f);
	int fd = rpctest_connect(server.hostport);
	/* A v4 lock denies NLM: TEST names it (svid 0, its owner's bytes). */
	struct nfs4_stateid lsid;
	assert_int_equal(v4_lock(&f, "v4-locker", 100, &lsid), NFS4_OK);
	struct nlm4_lock l = mk_lock("hostc", 33, &f, 105, 1);
	struct nlm4_holder h;
	uint8_t oh[1024];
	assert_int_equal(nlm_test(fd, &l, true, &h, oh), NLM4_DENIED);
	assert_int_equal(h.svid, 0);
	assert_int_equal(h.offset, 100);
	assert_int_equal(h.len, 10);
	assert_memory_equal(h.oh.data, "v4-locker", h.oh.len);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_DENIED);
	assert_int_equal(v4_unlock(&f, &lsid, 100), NFS4_OK);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);

	/* An NLM lock denies v4 LOCK. */
	struct nfs4_stateid other;
	assert_int_equal(v4_lock(&f, "v4-locker-2", 100, &other), NFS4ERR_DENIED);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	assert_int_equal(v4_lock(&f, "v4-locker-2", 100, &other), NFS4_OK);
	assert_int_equal(v4_unlock(&f, &other, 100), NFS4_OK);
	close(fd);
}

static void test_blocking_granted_by_nlm_unlock(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-block", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 41, &f, 0, 0);
	struct nlm4_lock b = mk_lock("127.0.0.1", 42, &f, 0, 100);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	/* Asked again while it waits: still waiting, one place in line. */
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.granted_svid, 42);
	assert_int_equal(lockd.granted_offset, 0);
	assert_int_equal(lockd.granted_len, 100);
	assert_true(lockd.granted_exclusive);
	pthread_mutex_unlock(&lockd.lock);
	/* The lock is b's now: a is refused, b's own request is granted. */
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_DENIED);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	close(fd);
}

static void test_blocking_granted_by_v4_locku(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-block-v4", &f);
	int fd = rpctest_connect(server.hostport);
	struct nfs4_stateid lsid;
	assert_int_equal(v4_lock(&f, "v4-blocker", 300, &lsid), NFS4_OK);
	struct nlm4_lock b = mk_lock("127.0.0.1", 51, &f, 300, 10);
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	assert_int_equal(v4_unlock(&f, &lsid, 300), NFS4_OK);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	/* Granted for real: v4 is refused now. */
	struct nfs4_stateid other;
	assert_int_equal(v4_lock(&f, "v4-blocker-2", 300, &other), NFS4ERR_DENIED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_int_equal(v4_lock(&f, "v4-blocker-2", 300, &other), NFS4_OK);
	assert_int_equal(v4_unlock(&f, &other, 300), NFS4_OK);
	close(fd);
}

static void test_granted_refused_releases(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-refused", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 61, &f, 0, 10);
	struct nlm4_lock b = mk_lock("127.0.0.1", 62, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	pthread_mutex_lock(&lockd.lock);
	lockd.answer = NLM4_DENIED; /* the client no longer waits */
	unsigned before = lockd.granted;
	pthread_mutex_unlock(&lockd.lock);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	/* The refused lock goes: a gets it back soon. */
	uint32_t s = NLM4_DENIED;
	for (int i = 0; i < 50 && s != NLM4_GRANTED; i++) {
		s = nlm_lock(fd, &a, true, false);
		if (s != NLM4_GRANTED)
			usleep(20000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	pthread_mutex_lock(&lockd.lock);
	lockd.answer = NLM4_GRANTED;
	pthread_mutex_unlock(&lockd.lock);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	close(fd);
}

static void test_cancel(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-cancel", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 71, &f, 0, 10);
	struct nlm4_lock b = mk_lock("127.0.0.1", 72, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	assert_int_equal(nlm_cancel(fd, &b, true), NLM4_GRANTED);
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	/* Nobody waits any more: no GRANTED, and the range is free. */
	assert_false(lockd_wait(&lockd.granted, before + 1, 700));
	struct nlm4_lock c = mk_lock("hostc", 73, &f, 0, 10);
	assert_int_equal(nlm_test(fd, &c, true, NULL, NULL), NLM4_GRANTED);
	close(fd);
}

static void test_share(void **st)
{
	(void)st;
	/* Readable and writable by anyone, so the squashed test client may
	 * open it again. */
	char path[400];
	snprintf(path, sizeof(path), "%s/export/nlm-share", dl_dir);
	int pfd = open(path, O_CREAT | O_WRONLY, 0666);
	assert_true(pfd >= 0);
	assert_int_equal(fchmod(pfd, 0666), 0);
	close(pfd);
	struct file f;
	make_file("nlm-share", &f);
	int fd = rpctest_connect(server.hostport);
	/* The test's own v4 open (access both, deny none) conflicts with an
	 * NLM share that denies writes. */
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hostc", &f, NLM4_FSA_R, NLM4_FSM_DW),
			 NLM4_DENIED);
	struct nfs4_close_args ca = {.seqid = 0, .stateid = f.open};
	assert_int_equal(op41(&v4, f.fh, f.fhlen, OP_CLOSE, enc_close, &ca, NULL), NFS4_OK);
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hosta", &f, NLM4_FSA_R, NLM4_FSM_DW),
			 NLM4_GRANTED);
	/* Another host's write access is denied, reading is not. */
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hostb", &f, NLM4_FSA_RW, NLM4_FSM_DN),
			 NLM4_DENIED);
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hostb", &f, NLM4_FSA_R, NLM4_FSM_DN),
			 NLM4_GRANTED);
	/* A v4 OPEN for writing meets the NLM deny. */
	struct nfs4_stateid sid;
	uint8_t fh[128];
	uint32_t fhlen;
	assert_int_equal(open41(&v4, "nlm-share-opener", "nlm-share", &sid, fh, &fhlen),
			 NFS4ERR_SHARE_DENIED);
	assert_int_equal(nlm_share(fd, NLMPROC4_UNSHARE, "hosta", &f, 0, 0), NLM4_GRANTED);
	assert_int_equal(open41(&v4, "nlm-share-opener", "nlm-share", &sid, fh, &fhlen), NFS4_OK);
	assert_int_equal(nlm_share(fd, NLMPROC4_UNSHARE, "hostb", &f, 0, 0), NLM4_GRANTED);
	struct nfs4_close_args cb = {.seqid = 0, .stateid = sid};
	assert_int_equal(op41(&v4, fh, fhlen, OP_CLOSE, enc_close, &cb, NULL), NFS4_OK);
	close(fd);
}

/* What GET /api/v1/exports says of p's first export's secure_locks. */
static bool export_secure_locks(const struct ferryd_proc *p)
{
	struct ctl_http_reply r;
	ctlt_request(p, "GET", "/api/v1/exports", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	json_t *v = json_object_get(json_array_get(j, 0), "secure_locks");
	assert_true(json_is_boolean(v));
	bool secure = json_is_true(v);
	json_decref(j);
	ctl_http_reply_free(&r);
	return secure;
}

/* The host's view of a file of the export: owner, group and mode. */
static void host_owns(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	assert_int_equal(chown(path, uid, gid), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* secure_locks (the default, knfsd's too): TEST, LOCK and SHARE need the
 * caller, after squashing, to be able to read the file or to own it;
 * letting go is never refused. */
static void test_lock_needs_read_access(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-private", &f);
	char path[400];
	snprintf(path, sizeof(path), "%s/export/nlm-private", dl_dir);
	host_owns(path, 2000, 2000, 0600);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock l = mk_lock("hostp", 61, &f, 0, 10);
	nlm_cred = nfs4c_cred(1000);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_FAILED);
	assert_int_equal(nlm_lock(fd, &l, false, true), NLM4_FAILED);
	assert_int_equal(nlm_test(fd, &l, true, NULL, NULL), NLM4_FAILED);
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hostp", &f, NLM4_FSA_R, NLM4_FSM_DN),
			 NLM4_FAILED);
	/* Root is squashed: no better. */
	nlm_cred = NULL;
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_FAILED);

	/* Read access is enough, for an exclusive lock too; through the group. */
	host_owns(path, 2000, 1000, 0640);
	nlm_cred = nfs4c_cred(1000);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);
	host_owns(path, 2000, 2000, 0604);
	struct nlm4_lock other = mk_lock("hostq", 62, &f, 5, 1);
	assert_int_equal(nlm_test(fd, &other, false, NULL, NULL), NLM4_DENIED);
	assert_int_equal(nlm_share(fd, NLMPROC4_SHARE, "hostp", &f, NLM4_FSA_R, NLM4_FSM_DN),
			 NLM4_GRANTED);
	/* Access taken away: the lock and the share are still let go. */
	host_owns(path, 2000, 2000, 0600);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	assert_int_equal(nlm_share(fd, NLMPROC4_UNSHARE, "hostp", &f, 0, 0), NLM4_GRANTED);
	/* The owner, whatever the mode (as NFS's own owner override). */
	host_owns(path, 1000, 2000, 0000);
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	nlm_cred = NULL;
	host_owns(path, 65534, 65534, 0644);
	close(fd);
	assert_true(export_secure_locks(&server));
}

/* secure_locks = no: the same caller's lock of the same file is granted;
 * a reload back to the default refuses it again. */
static void test_insecure_locks(void **st)
{
	(void)st;
	struct ferryd_proc p;
	assert_int_equal(ferryd_start_export(&p, "secure_locks = no\n"), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, nfs4c_connect(p.hostport), 0, "nlm-insecure", NULL);
	struct file f;
	assert_int_equal(open41(&s, "nlm-opener", "nlm-private", &f.open, f.fh, &f.fhlen),
			 NFS4_OK);
	char path[400];
	ferryd_export_path(&p, "nlm-private", path, sizeof(path));
	host_owns(path, 2000, 2000, 0600);
	int fd = rpctest_connect(p.hostport);
	struct nlm4_lock l = mk_lock("hostp", 63, &f, 0, 10);
	nlm_cred = nfs4c_cred(1000);
	/* Past the grace period of the new server. */
	assert_int_equal(lock_after_grace(fd, &l), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	assert_false(export_secure_locks(&p));

	char conf[400];
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", p.conf_dir);
	FILE *c = fopen(conf, "w");
	assert_non_null(c);
	fprintf(c, "[export e]\npath = %s/export\npseudo = /export\n", p.conf_dir);
	assert_int_equal(fclose(c), 0);
	struct ctl_http_reply h;
	ctlt_request(&p, "POST", "/api/v1/exports/reload", true, "{}", &h);
	assert_int_equal(h.status, 200);
	ctl_http_reply_free(&h);
	assert_true(export_secure_locks(&p));
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_FAILED);
	nlm_cred = NULL;
	close(fd);
	nfs4c_close(s.fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_free_all(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-freeall", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a1 = mk_lock("hostgone", 81, &f, 0, 10);
	struct nlm4_lock a2 = mk_lock("hostgone", 82, &f, 20, 10);
	struct nlm4_lock b = mk_lock("hostb", 83, &f, 0, 30);
	assert_int_equal(nlm_lock(fd, &a1, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &a2, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_DENIED);
	nlm_free_all(fd, "hostgone");
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	close(fd);
}

/* A connection from another loopback address (127.0.0.2), reserved port. */
static int connect_from_other_address(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002)};
	int bound = -1;
	for (uint16_t port = 1023; port > 600 && bound != 0; port--) {
		src.sin_port = htons(port);
		bound = bind(fd, (struct sockaddr *)&src, sizeof(src));
	}
	assert_int_equal(bound, 0);
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(server.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

static void test_free_all_other_address(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-freeall-addr", &f);
	int fd = rpctest_connect(server.hostport);
	int other = connect_from_other_address();
	struct nlm4_lock a = mk_lock("victim", 1, &f, 0, 10);
	struct nlm4_lock b = mk_lock("hostb", 2, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	/* Another machine saying it is "victim" frees nothing of it, nor
	 * unlocks its lock. */
	nlm_free_all(other, "victim");
	assert_int_equal(nlm_unlock(other, &a), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_DENIED);
	/* The host itself may. */
	nlm_free_all(fd, "victim");
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	close(other);
	close(fd);
}

/* An NFSv4 client's write delegation of the file: an NLM lock recalls it
 * (CB_RECALL goes out within a pass of the state thread), a blocking one
 * waits and is granted once the delegation is returned. */
static void test_delegation_recalled(void **st)
{
	(void)st;
	struct nfs4c_sess h;
	struct nfs4c_cb sh;
	dl_client(&h, &sh, "nlm-deleg-holder", 990);
	struct dl_open o = dl_open(&h, "nlm-deleg", OPEN4_SHARE_ACCESS_BOTH, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	struct file f = {.fhlen = o.fhlen};
	memcpy(f.fh, o.fh, o.fhlen);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 1, &f, 0, 10);
	struct nlm4_lock b = mk_lock("127.0.0.1", 2, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_DENIED);
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	/* The state thread's next pass sends it: no NFSv4 request needed. */
	assert_true(nfs4c_cb_wait(&sh, OP_CB_RECALL, 1, 5000));
	assert_int_equal(dl_delegreturn(&h, &o), NFS4_OK);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_DENIED); /* b holds it now */
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_int_equal(dl_on(&h, o.fh, o.fhlen, OP_CLOSE, add_close_nlm, &o.stateid), NFS4_OK);
	dl_client_end(&h, &sh);
	close(fd);
}

static void test_msg_forms(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-msg", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 91, &f, 0, 10);
	unsigned before = lockd_count(&lockd.res_calls);
	nlm_lock_full(fd, NLMPROC4_LOCK_MSG, &a, true, false, false);
	assert_true(lockd_wait(&lockd.res_calls, before + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.last_res_proc, NLMPROC4_LOCK_RES);
	assert_int_equal(lockd.last_res_stat, NLM4_GRANTED);
	pthread_mutex_unlock(&lockd.lock);
	struct nlm4_lock b = mk_lock("hostb", 92, &f, 0, 10);
	nlm_lock_full(fd, NLMPROC4_LOCK_MSG, &b, true, false, false);
	assert_true(lockd_wait(&lockd.res_calls, before + 2, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.last_res_stat, NLM4_DENIED);
	pthread_mutex_unlock(&lockd.lock);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	close(fd);
}

/* A client's portmapper that answers GETPORT with records of other XIDs,
 * on and on: the sender gives up on that client after its callback
 * timeout (5 s) however long the stream goes, rather than staying with it
 * (two such clients would have kept every GRANTED and _RES from going). */
static void test_babbling_portmapper(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-babble", &f);
	char *page = ctlt_scrape(&server);
	double failed = ctlt_metric(page, "ferry_nlm_res_callbacks_total{result=\"failed\"}");
	free(page);
	pthread_mutex_lock(&lockd.lock);
	lockd.babble = true;
	pthread_mutex_unlock(&lockd.lock);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("babbler", 93, &f, 0, 10);
	struct nlm4_testargs ta = {.cookie = cookie, .exclusive = true, .lock = a};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_testargs(&e, &ta));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_TEST_MSG, &e, &r);
	rpctest_reply_release(&r);
	xdr_enc_release(&e);
	assert_true(lockd_wait(&lockd.babbled, 1, 5000));
	/* The answer is given up within the callback timeout, with margin. */
	uint64_t end = dl_now_ms() + 9000;
	bool given_up = false;
	while (!given_up && dl_now_ms() < end) {
		usleep(100 * 1000);
		page = ctlt_scrape(&server);
		given_up = ctlt_metric(page, "ferry_nlm_res_callbacks_total{result=\"failed\"}") >
			   failed;
		free(page);
	}
	pthread_mutex_lock(&lockd.lock);
	lockd.babble = false;
	pthread_mutex_unlock(&lockd.lock);
	assert_true(given_up);
	/* Answers reach a portmapper that answers again. */
	unsigned before = lockd_count(&lockd.res_calls);
	nlm_lock_full(fd, NLMPROC4_LOCK_MSG, &a, true, false, false);
	assert_true(lockd_wait(&lockd.res_calls, before + 1, 8000));
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	close(fd);
}

/* A connection to ferryd from 127.0.0.2, a second client host on
 * loopback, from a reserved port. */
static int connect_from_second_host(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = inet_addr("127.0.0.2")};
	int rc = -1;
	for (uint16_t p = 1023; p >= 600 && rc != 0; p--) {
		me.sin_port = htons(p);
		rc = bind(s, (struct sockaddr *)&me, sizeof(me));
	}
	assert_int_equal(rc, 0);
	const char *colon = strrchr(server.hostport, ':');
	assert_non_null(colon);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)atoi(colon + 1))};
	assert_int_equal(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	return s;
}

static void send_test_msg(int fd, const struct nlm4_lock *l)
{
	struct nlm4_testargs ta = {.cookie = cookie, .exclusive = true, .lock = *l};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_testargs(&e, &ta));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_TEST_MSG, &e, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	xdr_enc_release(&e);
}

/* A client whose portmapper takes connections and never answers, and
 * which sends _MSG calls by the hundred: its answers wait in a queue of
 * bounded length (the rest are dropped at once), and another client's
 * answer goes out meanwhile rather than after all of them (each takes the
 * callback timeout, 5 s). */
static void test_msg_flood_from_unreachable_host(void **st)
{
	(void)st;
	enum { FLOOD = 200 };
	struct file f;
	make_file("nlm-flood", &f);
	/* 127.0.0.2's "portmapper": a listener on the test lock manager's
	 * port that nobody accepts from. */
	int deaf = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(deaf >= 0);
	struct sockaddr_in da = {.sin_family = AF_INET,
				 .sin_addr.s_addr = inet_addr("127.0.0.2"),
				 .sin_port = htons(lockd.port)};
	assert_int_equal(bind(deaf, (struct sockaddr *)&da, sizeof(da)), 0);
	assert_int_equal(listen(deaf, 1), 0);
	char *page = ctlt_scrape(&server);
	double failed = ctlt_metric(page, "ferry_nlm_res_callbacks_total{result=\"failed\"}");
	free(page);

	int fa = connect_from_second_host();
	struct nlm4_lock a = mk_lock("flooder", 94, &f, 0, 10);
	for (int i = 0; i < FLOOD; i++)
		send_test_msg(fa, &a);
	int fb = rpctest_connect(server.hostport);
	struct nlm4_lock b = mk_lock("patient", 95, &f, 100, 10);
	unsigned before = lockd_count(&lockd.res_calls);
	send_test_msg(fb, &b);
	assert_true(lockd_wait(&lockd.res_calls, before + 1, 3000));
	page = ctlt_scrape(&server);
	double dropped =
		ctlt_metric(page, "ferry_nlm_res_callbacks_total{result=\"failed\"}") - failed;
	free(page);
	assert_true(dropped >= FLOOD - 64 - 2);
	/* The rest of the flooder's answers fail at once now. */
	close(deaf);
	close(fa);
	close(fb);
}

static void test_bad_input(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-bad", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 1, &f, 0, 10);
	struct nlm4_lockargs la = {.cookie = cookie, .exclusive = true, .lock = a};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_lockargs(&e, &la));
	e.buf->len -= 6; /* cut in the middle of state */
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_LOCK, &e, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	xdr_enc_release(&e);
	/* A handle that is not one: STALE_FH. */
	uint8_t junk[20] = {1, 2, 3};
	struct file bad = {.fhlen = sizeof(junk)};
	memcpy(bad.fh, junk, sizeof(junk));
	struct nlm4_lock b = mk_lock("hosta", 1, &bad, 0, 10);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_STALE_FH);
	/* A range past 2^64 - 1: FBIG for LOCK and TEST.  One that ends at
	 * 2^64 - 1 fits; UNLOCK takes a range past it as reaching the end. */
	struct nlm4_lock big = mk_lock("hosta", 1, &f, UINT64_MAX - 5, 10);
	assert_int_equal(nlm_lock(fd, &big, true, false), NLM4_FBIG);
	assert_int_equal(nlm_test(fd, &big, true, NULL, NULL), NLM4_FBIG);
	struct nlm4_lock last = mk_lock("hosta", 1, &f, UINT64_MAX - 5, 6);
	assert_int_equal(nlm_lock(fd, &last, true, false), NLM4_GRANTED);
	struct nlm4_lock other = mk_lock("hostb", 2, &f, UINT64_MAX, 1);
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_DENIED);
	assert_int_equal(nlm_unlock(fd, &big), NLM4_GRANTED);
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_GRANTED);
	/* A procedure NLM v4 does not have. */
	assert_int_equal(rpctest_call(fd, next_xid++, NLM_PROGRAM, NLM4_VERSION, 17, NULL, NULL,
				      0, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
	close(fd);
}

static void test_visibility(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-ctl", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("ctlhost", 7, &f, 0, 10);
	struct nlm4_lock b = mk_lock("127.0.0.1", 8, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	pthread_mutex_lock(&lockd.lock);
	lockd.answer = NLM4_DENIED; /* b's lock goes again once granted */
	pthread_mutex_unlock(&lockd.lock);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/nlm", true, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"name\": \"ctlhost\""));
	assert_non_null(strstr(r.body, "\"blocked\": 1"));
	ctl_http_reply_free(&r);
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_nlm_locks") >= 1);
	assert_true(ctlt_metric(page, "ferry_nlm_blocked") == 1);
	assert_true(ctlt_metric(page, "ferry_nlm_calls_total{proc=\"LOCK\"}") >= 2);
	assert_true(ctlt_metric(page, "ferry_nlm_results_total{stat=\"BLOCKED\"}") >= 1);
	assert_true(ctlt_promtool_ok(page));
	free(page);
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	lockd.answer = NLM4_GRANTED;
	pthread_mutex_unlock(&lockd.lock);
	close(fd);
}

/* Many LOCK/UNLOCK pairs on one connection: each must be granted; the
 * time is printed (a timing never fails a test). */
static void test_many_locks(void **st)
{
	(void)st;
	enum { PAIRS = 2000 };
	struct file f;
	make_file("nlm-many", &f);
	int fd = rpctest_connect(server.hostport);
	uint64_t t0 = dl_now_ms();
	for (unsigned i = 0; i < PAIRS; i++) {
		struct nlm4_lock l = mk_lock("busyhost", (int32_t)(i % 7), &f, (uint64_t)i * 10, 10);
		assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);
		assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	}
	uint64_t ms = dl_now_ms() - t0;
	printf("nlm: %u LOCK+UNLOCK pairs on one connection in %llu ms (%.1f us per call)\n",
	       PAIRS, (unsigned long long)ms, ms * 1000.0 / (2.0 * PAIRS));
	close(fd);
}

/* Last: restarts the server.  A v4 client of the records lets the restart
 * begin a grace period (4 s here): only reclaims take locks meanwhile. */
/* Whether ferryd's log has a line containing what. */
static bool log_says(const char *what)
{
	FILE *f = fopen(server.log_path, "r");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* An in-place upgrade carries the locks and the blocked LOCKs over: the
 * new ferryd refuses the lock to another host with the same holder, and
 * grants the blocked LOCK when the holder unlocks; the client's connection
 * stays. */
static void test_upgrade_keeps_locks(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-upgrade", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("hosta", 51, &f, 0, 10);
	struct nlm4_lock b = mk_lock("127.0.0.1", 52, &f, 0, 100);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, true), NLM4_BLOCKED);

	ctlt_upgrade(&server);
	assert_true(log_says("nlm: carried over 1 lock(s), 0 share(s) and 1 blocked LOCK(s)"));

	/* The fixture's NFSv4 client was carried too: no grace period, the
	 * lock is there at once. */
	struct nlm4_lock c = mk_lock("hostc", 53, &f, 5, 1);
	struct nlm4_holder h;
	uint8_t oh[1024];
	assert_int_equal(nlm_test(fd, &c, true, &h, oh), NLM4_DENIED);
	assert_int_equal(h.svid, 51);
	assert_int_equal(h.offset, 0);
	assert_int_equal(h.len, 10);
	/* The blocked LOCK waits on in the new ferryd, granted at the unlock. */
	unsigned before = lockd_count(&lockd.granted);
	assert_int_equal(nlm_unlock(fd, &a), NLM4_GRANTED);
	assert_true(lockd_wait(&lockd.granted, before + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.granted_svid, 52);
	pthread_mutex_unlock(&lockd.lock);
	assert_int_equal(nlm_lock(fd, &a, true, false), NLM4_DENIED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	close(fd);
	nfs4c_close(v4.fd);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client-upgraded", NULL);
}

static void test_grace(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-grace", &f);
	nfs4c_close(v4.fd);
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(dl_start(), 0);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock r = mk_lock("hostr", 5, &f, 0, 10);
	struct nlm4_lock n = mk_lock("hostn", 6, &f, 100, 10);
	assert_int_equal(nlm_lock(fd, &n, true, false), NLM4_DENIED_GRACE_PERIOD);
	assert_int_equal(nlm_test(fd, &n, true, NULL, NULL), NLM4_DENIED_GRACE_PERIOD);
	assert_int_equal(nlm_lock_full(fd, NLMPROC4_LOCK, &r, true, false, true), NLM4_GRANTED);
	/* Once grace ends, new locks come; the reclaimed one stayed. */
	assert_int_equal(lock_after_grace(fd, &n), NLM4_GRANTED);
	struct nlm4_lock n2 = mk_lock("hostn", 6, &f, 0, 1);
	assert_int_equal(nlm_lock(fd, &n2, true, false), NLM4_DENIED);
	close(fd);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client-2", NULL);
}

/* ferryd's port for statd's callback and the address of NLM host name,
 * as statd would name it (GET /api/v1/nlm). */
static uint16_t callback_port(const char *name, char *addr, size_t len)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/nlm", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	json_int_t port = json_integer_value(json_object_get(j, "callback_port"));
	addr[0] = '\0';
	json_t *list = json_object_get(j, "list");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *h = json_array_get(list, i);
		if (strcmp(json_string_value(json_object_get(h, "name")), name) == 0)
			snprintf(addr, len, "%s", json_string_value(json_object_get(h, "address")));
	}
	json_decref(j);
	ctl_http_reply_free(&r);
	assert_true(port > 0 && port < 65536);
	assert_true(addr[0] != '\0');
	return (uint16_t)port;
}

/* The reboots ferryd heard of, as GET /api/v1/nlm (and ferryctl nlm) say. */
static json_int_t reboots_heard(void)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/nlm", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	json_t *v = json_object_get(j, "reboots");
	assert_true(json_is_integer(v));
	json_int_t n = json_integer_value(v);
	json_decref(j);
	ctl_http_reply_free(&r);
	return n;
}

/* statd's SM_NOTIFY (mon_name addr: every host at that address rebooted)
 * to ferryd's callback, from loopback, from a reserved port or from any;
 * true when it was answered. */
static bool sm_notify(uint16_t to, const char *addr, bool reserved)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (reserved) {
		int rc = -1;
		for (uint16_t p = 1023; p >= 600 && rc != 0; p--) {
			me.sin_port = htons(p);
			rc = bind(s, (struct sockaddr *)&me, sizeof(me));
		}
		assert_int_equal(rc, 0);
	} else {
		assert_int_equal(bind(s, (struct sockaddr *)&me, sizeof(me)), 0);
		socklen_t len = sizeof(me);
		assert_int_equal(getsockname(s, (struct sockaddr *)&me, &len), 0);
		assert_true(ntohs(me.sin_port) >= 1024);
	}
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 4096));
	rpctest_encode_call(&e, next_xid++, NLM_PROGRAM, NLM4_VERSION, NLMPROC4_SM_NOTIFY, NULL);
	struct nsm_status st = {.mon_name = {(const uint8_t *)addr, (uint32_t)strlen(addr)},
				.state = 3};
	assert_true(nsm_encode_status(&e, &st));
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(to)};
	assert_true(sendto(s, e.buf->data, e.buf->len, 0, (struct sockaddr *)&dst, sizeof(dst)) ==
		    (ssize_t)e.buf->len);
	xdr_enc_release(&e);
	struct pollfd p = {.fd = s, .events = POLLIN};
	bool answered = poll(&p, 1, 3000) == 1;
	close(s);
	return answered;
}

/* A reboot notice counts from the local statd alone: a local process
 * without privileges (an unreserved port on loopback) cannot make ferryd
 * drop a host's locks; statd (a reserved port) can. */
static void test_reboot_notice_needs_reserved_port(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-reboot", &f);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock held = mk_lock("rebooter", 97, &f, 0, 10);
	struct nlm4_lock other = mk_lock("onlooker", 98, &f, 0, 10);
	assert_int_equal(nlm_lock(fd, &held, true, false), NLM4_GRANTED);
	char addr[64];
	uint16_t port = callback_port("rebooter", addr, sizeof(addr));
	json_int_t heard = reboots_heard();
	assert_true(sm_notify(port, addr, false));
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_DENIED);
	assert_int_equal(reboots_heard(), heard);
	assert_true(sm_notify(port, addr, true));
	assert_int_equal(reboots_heard(), heard + 1);
	uint32_t s = NLM4_DENIED;
	for (int i = 0; i < 50 && s == NLM4_DENIED; i++) {
		s = nlm_test(fd, &other, true, NULL, NULL);
		if (s == NLM4_DENIED)
			usleep(100 * 1000);
	}
	assert_int_equal(s, NLM4_GRANTED);
	close(fd);
}

/* ferryd killed; its state directory's nlm_hosts replaced with what a
 * damaged file system could leave: 1 TiB of NULs (a sparse file).  The
 * list only says whether the last run monitored a host: the start reads no
 * more of it than that needs, and listens within ferryd_start's 10 s.
 * Then a FIFO instead of the file. */
static void test_hosts_list_huge(void **st)
{
	(void)st;
	nfs4c_close(v4.fd);
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	int fd = open(list, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
	close(fd);
	assert_int_equal(dl_start(), 0);
	test_null(st);
	/* A FIFO in its place (nobody writes to it): the start does not wait
	 * for a writer. */
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	assert_int_equal(unlink(list), 0);
	assert_int_equal(mkfifo(list, 0600), 0);
	assert_int_equal(dl_start(), 0);
	test_null(st);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client-3", NULL);
}

/* Whether the state directory's nlm_hosts names a host. */
static bool hosts_listed(void)
{
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	FILE *f = fopen(list, "r");
	if (!f)
		return false;
	char line[300];
	bool any = false;
	while (!any && fgets(line, sizeof(line), f))
		any = line[0] && line[0] != '\n';
	fclose(f);
	return any;
}

/* A start that finds a host in nlm_hosts begins a grace period for it (and
 * has it told).  The host never comes back: while the grace period lasts
 * the list still names it (a crash then must find it again), and once the
 * grace period is over the list names the hosts of this run alone (none),
 * so that the next start does not begin a grace period for a host long
 * gone. */
static void test_hosts_list_ends_with_grace(void **st)
{
	(void)st;
	nfs4c_close(v4.fd);
	assert_int_equal(kill(server.pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(server.pid, &status, 0), server.pid);
	server.pid = 0;
	char list[400];
	snprintf(list, sizeof(list), "%s/state/nlm_hosts", dl_dir);
	unlink(list); /* whatever the test before left there */
	FILE *f = fopen(list, "w");
	assert_non_null(f);
	fputs("192.0.2.7\n", f);
	assert_int_equal(fclose(f), 0);
	uint64_t t0 = dl_now_ms();
	assert_int_equal(dl_start(), 0);
	assert_true(hosts_listed());
	/* The grace period (4 s here), and time for the sender to notice. */
	while (hosts_listed() && dl_now_ms() - t0 < 15000)
		usleep(100 * 1000);
	assert_false(hosts_listed());
	printf("nlm: the last run's host left nlm_hosts %llu ms after the start\n",
	       (unsigned long long)(dl_now_ms() - t0));
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client-4", NULL);
}

/* --- NLM over UDP ---------------------------------------------------------------- */

/* GET /api/v1/nlm's udp.<key>. */
static json_int_t nlm_udp_field(const char *key)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/nlm", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	json_t *v = json_object_get(json_object_get(j, "udp"), key);
	assert_true(json_is_integer(v));
	json_int_t n = json_integer_value(v);
	json_decref(j);
	ctl_http_reply_free(&r);
	return n;
}

/* NLM over UDP at ferryd's own port: a lock taken over UDP holds against
 * a TCP caller, TEST over UDP names its holder, UNLOCK over UDP lets the
 * TCP caller in. */
static void test_udp_lock_test_unlock(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-udp", &f);
	assert_int_equal(nlm_udp_field("port"), server.port);
	json_int_t calls = nlm_udp_field("calls");
	int u = nlm_udp_connect(server.port);
	int fd = rpctest_connect(server.hostport);
	struct nlm4_lock a = mk_lock("udphost", 41, &f, 0, 10);
	assert_int_equal(nlm_lock(u, &a, true, false), NLM4_GRANTED);
	/* A retransmission is served again (no reply cache): the owner's
	 * own lock is granted again. */
	assert_int_equal(nlm_lock(u, &a, true, false), NLM4_GRANTED);
	struct nlm4_lock b = mk_lock("tcphost", 42, &f, 5, 1);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_DENIED);
	struct nlm4_holder h;
	uint8_t oh[1024];
	assert_int_equal(nlm_test(u, &b, true, &h, oh), NLM4_DENIED);
	assert_true(h.exclusive);
	assert_int_equal(h.svid, 41);
	assert_int_equal(h.offset, 0);
	assert_int_equal(h.len, 10);
	assert_int_equal(h.oh.len, strlen("41@udphost"));
	assert_memory_equal(h.oh.data, "41@udphost", h.oh.len);
	assert_int_equal(nlm_unlock(u, &a), NLM4_GRANTED);
	assert_int_equal(nlm_lock(fd, &b, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_test(u, &a, true, NULL, NULL), NLM4_DENIED);
	assert_int_equal(nlm_unlock(fd, &b), NLM4_GRANTED);
	assert_int_equal(nlm_test(u, &a, true, NULL, NULL), NLM4_GRANTED);
	assert_true(nlm_udp_field("calls") >= calls + 6);
	struct ctl_http_reply m;
	ctlt_request(&server, "GET", "/metrics", false, NULL, &m);
	assert_int_equal(m.status, 200);
	const char *line = strstr(m.body, "\nferry_nlm_udp_calls_total ");
	assert_non_null(line);
	assert_true(strtoull(line + strlen("\nferry_nlm_udp_calls_total "), NULL, 10) >=
		    (unsigned long long)calls + 6);
	ctl_http_reply_free(&m);
	/* The export's rules hold over UDP: an unreserved source port is
	 * refused (the export is not insecure). */
	int unres = nlm_udp_connect_from(server.port, false);
	assert_int_equal(nlm_lock(unres, &a, true, false), NLM4_FAILED);
	close(unres);
	close(fd);
	close(u);
}

/* A client whose calls come over UDP is answered over UDP, as knfsd's
 * lockd answers on the transport of the call: the _RES of a LOCK_MSG and
 * the GRANTED of a blocked LOCK go to its lock manager's UDP port, which
 * its portmapper is asked for. */
static void test_udp_answers_over_udp(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-udp-answers", &f);
	int u = nlm_udp_connect(server.port);
	unsigned calls = lockd_count(&lockd.udp_calls), res = lockd_count(&lockd.res_calls);
	unsigned getports = lockd_count(&lockd.udp_getports);
	unsigned granted = lockd_count(&lockd.granted);
	struct nlm4_lock a = mk_lock("127.0.0.1", 71, &f, 0, 10);
	nlm_lock_full(u, NLMPROC4_LOCK_MSG, &a, true, false, false);
	assert_true(lockd_wait(&lockd.res_calls, res + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.last_res_proc, NLMPROC4_LOCK_RES);
	assert_int_equal(lockd.last_res_stat, NLM4_GRANTED);
	assert_int_equal(lockd.udp_calls, calls + 1);
	assert_true(lockd.udp_getports > getports);
	pthread_mutex_unlock(&lockd.lock);

	struct nlm4_lock b = mk_lock("127.0.0.1", 72, &f, 0, 10);
	assert_int_equal(nlm_lock(u, &b, true, true), NLM4_BLOCKED);
	assert_int_equal(nlm_unlock(u, &a), NLM4_GRANTED);
	assert_true(lockd_wait(&lockd.granted, granted + 1, 5000));
	pthread_mutex_lock(&lockd.lock);
	assert_int_equal(lockd.granted_svid, 72);
	assert_int_equal(lockd.udp_calls, calls + 2);
	pthread_mutex_unlock(&lockd.lock);
	/* The lock is b's: a is refused. */
	assert_int_equal(nlm_lock(u, &a, true, false), NLM4_DENIED);
	assert_int_equal(nlm_unlock(u, &b), NLM4_GRANTED);
	close(u);
}

/* An NFSv4 lock denies an NLM LOCK that comes over UDP, and the other way
 * round. */
static void test_udp_v4_conflicts(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-udp-v4", &f);
	int u = nlm_udp_connect(server.port);
	struct nfs4_stateid lsid;
	assert_int_equal(v4_lock(&f, "v4-udp-locker", 100, &lsid), NFS4_OK);
	struct nlm4_lock l = mk_lock("udphost2", 43, &f, 105, 1);
	struct nlm4_holder h;
	uint8_t oh[1024];
	assert_int_equal(nlm_test(u, &l, true, &h, oh), NLM4_DENIED);
	assert_int_equal(h.svid, 0);
	assert_int_equal(h.offset, 100);
	assert_memory_equal(h.oh.data, "v4-udp-locker", h.oh.len);
	assert_int_equal(nlm_lock(u, &l, true, false), NLM4_DENIED);
	assert_int_equal(v4_unlock(&f, &lsid, 100), NFS4_OK);
	assert_int_equal(nlm_lock(u, &l, true, false), NLM4_GRANTED);
	struct nfs4_stateid other;
	assert_int_equal(v4_lock(&f, "v4-udp-locker-2", 100, &other), NFS4ERR_DENIED);
	assert_int_equal(nlm_unlock(u, &l), NLM4_GRANTED);
	assert_int_equal(v4_lock(&f, "v4-udp-locker-2", 100, &other), NFS4_OK);
	assert_int_equal(v4_unlock(&f, &other, 100), NFS4_OK);
	close(u);
}

/* Arguments that do not decode over UDP: GARBAGE_ARGS; a procedure NLM v4
 * does not have: PROC_UNAVAIL; another version: PROG_MISMATCH. */
static void test_udp_bad_input(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-udp-bad", &f);
	int u = nlm_udp_connect(server.port);
	struct nlm4_lock a = mk_lock("udphost3", 44, &f, 0, 10);
	struct nlm4_lockargs la = {.cookie = cookie, .exclusive = true, .lock = a};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_lockargs(&e, &la));
	e.buf->len -= 6;
	struct rpctest_reply r;
	assert_int_equal(nlm_udp_call(u, next_xid++, NLMPROC4_LOCK, e.buf->data, e.buf->len, &r,
				      3000),
			 0);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	xdr_enc_release(&e);
	assert_int_equal(nlm_udp_call(u, next_xid++, 17, NULL, 0, &r, 3000), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
	/* The lock the garbage would have asked for was not taken. */
	assert_int_equal(nlm_lock(u, &a, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_unlock(u, &a), NLM4_GRANTED);
	struct buf *b = rpctest_build_call(next_xid++, NLM_PROGRAM, 1, NLMPROC4_NULL, NULL, NULL,
					   0);
	assert_non_null(b);
	assert_true(send(u, b->data, b->len, 0) == (ssize_t)b->len);
	buf_unref(b);
	struct pollfd p = {.fd = u, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 3000), 1);
	uint8_t in[512];
	ssize_t got = recv(u, in, sizeof(in), 0);
	assert_true(got >= 24);
	/* xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier (2 words), PROG_MISMATCH */
	assert_int_equal(xdr_get_be32(in + 20), RPC_PROG_MISMATCH);
	close(u);
}

/* [nlm] udp = no: nothing answers NLM over UDP at ferryd's port; TCP
 * serves it as before, and statd's callback has a socket of its own on
 * 127.0.0.1 that answers NULL and SM_NOTIFY alone. */
static void test_udp_off(void **st)
{
	(void)st;
	struct file f;
	make_file("nlm-udp-off", &f);
	nfs4c_close(v4.fd);
	assert_int_equal(ferryd_stop(&server), 0);
	char conf[300];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	FILE *fc = fopen(conf, "a");
	assert_non_null(fc);
	fprintf(fc, "\n[nlm]\nudp = no\n");
	assert_int_equal(fclose(fc), 0);
	assert_int_equal(dl_start(), 0);
	int u = nlm_udp_connect(server.port);
	struct rpctest_reply r;
	int rc = nlm_udp_call(u, next_xid++, NLMPROC4_NULL, NULL, 0, &r, 1500);
	assert_true(rc == -ETIMEDOUT || rc == -ECONNREFUSED);
	close(u);
	test_null(st);
	assert_int_equal(nlm_udp_field("listeners"), 0);
	assert_int_equal(nlm_udp_field("port"), 0);
	char addr[64];
	int fd = rpctest_connect(server.hostport);
	/* Past the grace period the restart began. */
	struct nlm4_lock l = mk_lock("udpoff", 45, &f, 0, 1);
	assert_int_equal(lock_after_grace(fd, &l), NLM4_GRANTED);
	uint16_t cb = callback_port("udpoff", addr, sizeof(addr));
	assert_true(cb != server.port);
	u = nlm_udp_connect(cb);
	assert_int_equal(nlm_udp_call(u, next_xid++, NLMPROC4_NULL, NULL, 0, &r, 3000), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	struct nlm4_testargs ta = {.cookie = cookie, .exclusive = true, .lock = l};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_testargs(&e, &ta));
	assert_int_equal(nlm_udp_call(u, next_xid++, NLMPROC4_TEST, e.buf->data, e.buf->len, &r,
				      3000),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
	xdr_enc_release(&e);
	close(u);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	close(fd);
	nfs4c_session_up(&v4, nfs4c_connect(server.hostport), 0, "nlm-v4-client-5", NULL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_lock_test_unlock),
		cmocka_unit_test(test_v3_v4_conflicts),
		cmocka_unit_test(test_blocking_granted_by_nlm_unlock),
		cmocka_unit_test(test_blocking_granted_by_v4_locku),
		cmocka_unit_test(test_granted_refused_releases),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_lock_needs_read_access),
		cmocka_unit_test(test_insecure_locks),
		cmocka_unit_test(test_free_all),
		cmocka_unit_test(test_free_all_other_address),
		cmocka_unit_test(test_delegation_recalled),
		cmocka_unit_test(test_msg_forms),
		cmocka_unit_test(test_babbling_portmapper),
		cmocka_unit_test(test_msg_flood_from_unreachable_host),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_many_locks),
		cmocka_unit_test(test_upgrade_keeps_locks),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_reboot_notice_needs_reserved_port),
		cmocka_unit_test(test_hosts_list_huge),
		cmocka_unit_test(test_hosts_list_ends_with_grace),
		cmocka_unit_test(test_udp_lock_test_unlock),
		cmocka_unit_test(test_udp_answers_over_udp),
		cmocka_unit_test(test_udp_v4_conflicts),
		cmocka_unit_test(test_udp_bad_input),
		cmocka_unit_test(test_udp_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
