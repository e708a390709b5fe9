/* The NLM side of the NLM protocol tests: calls built with the codec and
 * sent over a test connection (or, when fd is a UDP socket connected to
 * ferryd, as one datagram), each returning the nlm4_stats of its reply
 * (asserting the RPC envelope and the echoed cookie). */
#ifndef FERRY_TESTS_NLM_NLM_CLIENT_H
#define FERRY_TESTS_NLM_NLM_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/nlm_prot.h"

/* A file to lock: its handle (the same form for every version). */
struct file {
	uint8_t fh[128];
	uint32_t fhlen;
	struct nfs4_stateid open;
};

static uint32_t next_xid = 0x4e4c0000;

/* The credential of the calls below (NULL: root's, as a kernel's lock
 * manager sends for a root process). */
static const struct rpc_cred *nlm_cred;

static inline const struct rpc_cred *nlm_call_cred(void)
{
	return nlm_cred ? nlm_cred : nfs4c_root_cred();
}

/* A UDP socket connected to 127.0.0.1:port, from a reserved port (as a
 * kernel's lock manager sends from) or from any. */
static inline int nlm_udp_connect_from(uint16_t port, bool reserved)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	if (reserved) {
		struct sockaddr_in me = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int rc = -1;
		for (unsigned p = 1023; p >= 600 && rc != 0; p--) {
			me.sin_port = htons((uint16_t)p);
			rc = bind(s, (struct sockaddr *)&me, sizeof(me));
		}
		assert_int_equal(rc, 0);
	}
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port)};
	assert_int_equal(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	return s;
}

static inline int nlm_udp_connect(uint16_t port)
{
	return nlm_udp_connect_from(port, true);
}

static inline bool nlm_fd_is_udp(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM;
}

/* One call of proc over UDP (fd from nlm_udp_connect): a datagram each
 * way.  0 with the reply in *r, -ETIMEDOUT when none came within
 * timeout_ms, or a negative errno (-ECONNREFUSED: nothing at the port). */
static inline int nlm_udp_call(int fd, uint32_t xid, uint32_t proc, const void *args,
			       size_t len, struct rpctest_reply *r, unsigned timeout_ms)
{
	struct buf *b = rpctest_build_call(xid, NLM_PROGRAM, NLM4_VERSION, proc,
					   nlm_call_cred(), args, len);
	if (!b)
		return -ENOMEM;
	ssize_t n = send(fd, b->data, b->len, 0);
	buf_unref(b);
	if (n < 0)
		return -errno;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)timeout_ms) != 1)
			return -ETIMEDOUT;
		struct buf *in = buf_new(65536);
		assert_non_null(in);
		ssize_t got = recv(fd, in->data, in->cap, 0);
		if (got < 0) {
			int e = errno;
			buf_unref(in);
			return -e;
		}
		in->len = (size_t)got;
		int rc = rpctest_parse_reply(in, r);
		if (rc) {
			buf_unref(in);
			return rc;
		}
		if (r->xid == xid)
			return 0;
		rpctest_reply_release(r);
	}
}

/* A call of proc with args encoded; the reply's results in *d (r kept). */
static inline void nlm_call(int fd, uint32_t proc, const struct xdr_enc *args,
		     struct rpctest_reply *r)
{
	if (nlm_fd_is_udp(fd))
		assert_int_equal(nlm_udp_call(fd, next_xid++, proc, args->buf->data,
					      args->buf->len, r, 3000),
				 0);
	else
		assert_int_equal(rpctest_call(fd, next_xid++, NLM_PROGRAM, NLM4_VERSION, proc,
					      nlm_call_cred(), args->buf->data,
					      args->buf->len, r),
				 0);
	assert_int_equal(r->hdr.reply_stat, RPC_MSG_ACCEPTED);
}

static inline struct nlm4_lock mk_lock(const char *host, int32_t svid, const struct file *f,
				uint64_t off, uint64_t len)
{
	/* Each lock keeps its owner handle for the test's length. */
	static char ohs[64][64];
	static unsigned next;
	char *oh = ohs[next++ % 64];
	snprintf(oh, 64, "%d@%s", svid, host);
	return (struct nlm4_lock){
		.caller_name = {(const uint8_t *)host, (uint32_t)strlen(host)},
		.fh = {f->fh, f->fhlen},
		.oh = {(const uint8_t *)oh, (uint32_t)strlen(oh)},
		.svid = svid,
		.offset = off,
		.len = len,
	};
}

static const struct nlm_bytes cookie = {(const uint8_t *)"ck01", 4};

static inline uint32_t res_stat(struct rpctest_reply *r)
{
	assert_int_equal(r->hdr.accept_stat, RPC_SUCCESS);
	struct nlm4_res res;
	assert_true(nlm4_decode_res(&r->results, &res));
	assert_int_equal(res.cookie.len, 4);
	assert_memory_equal(res.cookie.data, "ck01", 4);
	return res.stat;
}

static inline uint32_t nlm_lock_full(int fd, uint32_t proc, const struct nlm4_lock *l, bool excl,
			      bool block, bool reclaim)
{
	struct nlm4_lockargs a = {.cookie = cookie, .block = block, .exclusive = excl,
				  .lock = *l, .reclaim = reclaim, .state = 3};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_lockargs(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, proc, &e, &r);
	xdr_enc_release(&e);
	uint32_t s = proc == NLMPROC4_LOCK_MSG ? NLM4_GRANTED : res_stat(&r);
	rpctest_reply_release(&r);
	return s;
}

static inline uint32_t nlm_lock(int fd, const struct nlm4_lock *l, bool excl, bool block)
{
	return nlm_lock_full(fd, NLMPROC4_LOCK, l, excl, block, false);
}

static inline uint32_t nlm_unlock(int fd, const struct nlm4_lock *l)
{
	struct nlm4_unlockargs a = {.cookie = cookie, .lock = *l};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_unlockargs(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_UNLOCK, &e, &r);
	xdr_enc_release(&e);
	uint32_t s = res_stat(&r);
	rpctest_reply_release(&r);
	return s;
}

static inline uint32_t nlm_cancel(int fd, const struct nlm4_lock *l, bool excl)
{
	struct nlm4_cancargs a = {.cookie = cookie, .block = true, .exclusive = excl, .lock = *l};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_cancargs(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_CANCEL, &e, &r);
	xdr_enc_release(&e);
	uint32_t s = res_stat(&r);
	rpctest_reply_release(&r);
	return s;
}

static inline uint32_t nlm_test(int fd, const struct nlm4_lock *l, bool excl, struct nlm4_holder *h,
			 uint8_t *oh_copy)
{
	struct nlm4_testargs a = {.cookie = cookie, .exclusive = excl, .lock = *l};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_testargs(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_TEST, &e, &r);
	xdr_enc_release(&e);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	struct nlm4_testres res;
	assert_true(nlm4_decode_testres(&r.results, &res));
	if (res.stat == NLM4_DENIED && h) {
		*h = res.holder;
		memcpy(oh_copy, res.holder.oh.data, res.holder.oh.len);
		h->oh.data = oh_copy;
	}
	rpctest_reply_release(&r);
	return res.stat;
}

static inline uint32_t nlm_share(int fd, uint32_t proc, const char *host, const struct file *f,
			  uint32_t access, uint32_t mode)
{
	struct nlm4_shareargs a = {
		.cookie = cookie,
		.share = {.caller_name = {(const uint8_t *)host, (uint32_t)strlen(host)},
			  .fh = {f->fh, f->fhlen},
			  .oh = {(const uint8_t *)"share-owner", 11},
			  .mode = mode,
			  .access = access},
	};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_shareargs(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, proc, &e, &r);
	xdr_enc_release(&e);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	struct nlm4_shareres res;
	assert_true(nlm4_decode_shareres(&r.results, &res));
	rpctest_reply_release(&r);
	return res.stat;
}

static inline void nlm_free_all(int fd, const char *host)
{
	struct nlm4_notify a = {.name = {(const uint8_t *)host, (uint32_t)strlen(host)}, .state = 5};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 8192));
	assert_true(nlm4_encode_notify(&e, &a));
	struct rpctest_reply r;
	nlm_call(fd, NLMPROC4_FREE_ALL, &e, &r);
	xdr_enc_release(&e);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
}

#endif
