#include "lib/rpctest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/clock.h"
#include "rpc/addr.h"
#include "rpc/client.h"
#include "rpc/record.h"
#include "xdr/nfs4_prot.h"

static int connect_from(const char *hostport, enum rpc_client_port how)
{
	struct rpc_client cl;
	if (rpc_client_connect_from(&cl, hostport, RPCTEST_TIMEOUT_MS, how) != 0)
		return -1;
	/* Blocking writes; reads wait with poll and a deadline. */
	int fl = fcntl(cl.fd, F_GETFL);
	fcntl(cl.fd, F_SETFL, fl & ~O_NONBLOCK);
	return cl.fd;
}

int rpctest_connect(const char *hostport)
{
	return connect_from(hostport, RPC_CLIENT_PORT_RESERVED);
}

int rpctest_connect_unreserved(const char *hostport)
{
	return connect_from(hostport, RPC_CLIENT_PORT_UNRESERVED);
}

int rpctest_connect_addr(const char *hostport, const char *src, bool unreserved)
{
	char host[64], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0)
		return -1;
	struct sockaddr_storage from = {0}, to = {0};
	struct sockaddr_in *f4 = (struct sockaddr_in *)&from, *t4 = (struct sockaddr_in *)&to;
	struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)&from, *t6 = (struct sockaddr_in6 *)&to;
	socklen_t len;
	uint16_t dport = (uint16_t)atoi(port);
	if (inet_pton(AF_INET, host, &t4->sin_addr) == 1 &&
	    inet_pton(AF_INET, src, &f4->sin_addr) == 1) {
		f4->sin_family = t4->sin_family = AF_INET;
		t4->sin_port = htons(dport);
		len = sizeof(*f4);
	} else if (inet_pton(AF_INET6, host, &t6->sin6_addr) == 1 &&
		   inet_pton(AF_INET6, src, &f6->sin6_addr) == 1) {
		f6->sin6_family = t6->sin6_family = AF_INET6;
		t6->sin6_port = htons(dport);
		len = sizeof(*f6);
	} else {
		return -1;
	}
	/* A reserved port that is free, and whose last connection to this
	 * server is not in TIME_WAIT: tried from the top down. */
	for (unsigned p = unreserved ? 0 : 1023; unreserved || p >= 600; p--) {
		int fd = socket(from.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (from.ss_family == AF_INET)
			f4->sin_port = htons((uint16_t)p);
		else
			f6->sin6_port = htons((uint16_t)p);
		if (bind(fd, (struct sockaddr *)&from, len) == 0 &&
		    connect(fd, (struct sockaddr *)&to, len) == 0)
			return fd;
		close(fd);
		if (unreserved)
			return -1;
	}
	return -1;
}

int rpctest_send_raw(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int rpctest_send_record(int fd, const void *data, size_t len, size_t frag)
{
	const uint8_t *p = data;
	if (frag == 0)
		frag = len ? len : 1;
	do {
		size_t n = len < frag ? len : frag;
		uint8_t mark[4];
		xdr_put_be32(mark, (n == len ? RPC_RECORD_LAST_FRAG : 0) | (uint32_t)n);
		int rc = rpctest_send_raw(fd, mark, 4);
		if (rc == 0 && n)
			rc = rpctest_send_raw(fd, p, n);
		if (rc)
			return rc;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

static int read_full(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		uint64_t now = clock_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : -errno;
		ssize_t got = recv(fd, p, n, 0);
		if (got == 0)
			return -ECONNRESET;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int rpctest_recv_record(int fd, struct buf **out, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	struct buf *b = buf_new(1024);
	if (!b)
		return -ENOMEM;
	for (;;) {
		uint8_t mark[4];
		int rc = read_full(fd, mark, 4, deadline);
		if (rc) {
			buf_unref(b);
			return rc;
		}
		uint32_t m = xdr_get_be32(mark);
		size_t n = m & RPC_RECORD_LEN_MASK;
		if (b->len + n > (64u << 20)) {
			buf_unref(b);
			return -EMSGSIZE;
		}
		if (b->len + n > b->cap) {
			struct buf *g = buf_grow(b, b->len + n);
			if (!g) {
				buf_unref(b);
				return -ENOMEM;
			}
			b = g;
		}
		rc = read_full(fd, b->data + b->len, n, deadline);
		if (rc) {
			buf_unref(b);
			return rc;
		}
		b->len += n;
		if (m & RPC_RECORD_LAST_FRAG)
			break;
	}
	*out = b;
	return 0;
}

bool rpctest_wait_closed(int fd, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	uint8_t sink[4096];
	for (;;) {
		uint64_t now = clock_now_ms();
		if (now >= deadline)
			return false;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t got = recv(fd, sink, sizeof(sink), 0);
		if (got == 0 || (got < 0 && errno == ECONNRESET))
			return true;
	}
}

void rpctest_encode_call(struct xdr_enc *e, uint32_t xid, uint32_t prog, uint32_t vers,
			 uint32_t proc, const struct rpc_cred *cred)
{
	rpc_encode_call(e, xid, prog, vers, proc, cred);
}

int rpctest_parse_reply(struct buf *b, struct rpctest_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->buf = b;
	struct xdr_dec d;
	uint32_t mtype;
	xdr_dec_init(&d, b->data, b->len);
	if (!rpc_decode_msg_start(&d, &reply->xid, &mtype) || mtype != RPC_MSG_REPLY ||
	    !rpc_decode_reply(&d, &reply->hdr))
		return -EBADMSG;
	reply->results = d;
	return 0;
}

int rpctest_call(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
		 const struct rpc_cred *cred, const void *args, size_t args_len,
		 struct rpctest_reply *reply)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256 + args_len, 64u << 20))
		return -ENOMEM;
	rpc_encode_call(&e, xid, prog, vers, proc, cred);
	xdr_encode_opaque_fixed(&e, args, args_len);
	int rc = rpctest_send_record(fd, e.buf->data, e.buf->len, 0);
	xdr_enc_release(&e);
	if (rc)
		return rc;
	for (;;) {
		struct buf *b;
		rc = rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS);
		if (rc)
			return rc;
		rc = rpctest_parse_reply(b, reply);
		if (rc) {
			buf_unref(b);
			return rc;
		}
		if (reply->xid == xid)
			return 0;
		rpctest_reply_release(reply);
	}
}

void rpctest_reply_release(struct rpctest_reply *reply)
{
	buf_unref(reply->buf);
	reply->buf = NULL;
}

int rpctest_null_ok(const char *hostport)
{
	int fd = rpctest_connect(hostport);
	if (fd < 0)
		return -ECONNREFUSED;
	struct rpctest_reply r;
	int rc = rpctest_call(fd, 0x4e554c4c, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL,
			      NULL, 0, &r);
	close(fd);
	if (rc)
		return rc;
	if (r.hdr.reply_stat != RPC_MSG_ACCEPTED || r.hdr.accept_stat != RPC_SUCCESS)
		rc = -EPROTO;
	rpctest_reply_release(&r);
	return rc;
}

/* --- added for the protocol robustness tests ---------------------------- */

struct buf *rpctest_build_call(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
			       const struct rpc_cred *cred, const void *args, size_t args_len)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 256 + args_len, 64u << 20))
		return NULL;
	rpc_encode_call(&e, xid, prog, vers, proc, cred);
	if (args_len)
		xdr_encode_opaque_fixed(&e, args, args_len);
	if (e.overflow) {
		xdr_enc_release(&e);
		return NULL;
	}
	return xdr_enc_take(&e);
}

void rpctest_append_record(struct xdr_enc *e, const void *data, size_t len)
{
	xdr_encode_u32(e, RPC_RECORD_LAST_FRAG | (uint32_t)len);
	uint8_t *p = xdr_enc_reserve(e, len);
	if (p && len)
		memcpy(p, data, len);
}

int rpctest_recv_reply(int fd, struct rpctest_reply *reply, unsigned timeout_ms)
{
	struct buf *b;
	memset(reply, 0, sizeof(*reply));
	int rc = rpctest_recv_record(fd, &b, timeout_ms);
	if (rc)
		return rc;
	rc = rpctest_parse_reply(b, reply);
	if (rc) {
		buf_unref(b);
		reply->buf = NULL;
	}
	return rc;
}

bool rpctest_nothing_pending(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return poll(&pfd, 1, 0) == 0;
}

int rpctest_set_send_timeout(int fd, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000};
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 ? 0 : -errno;
}

int rpctest_count_fds(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int rpctest_wait_fds_at_most(int pid, int want, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	for (;;) {
		int n = rpctest_count_fds(pid);
		if (n <= want || clock_now_ms() >= deadline)
			return n;
		/* The server closes asynchronously; there is nothing to wait on
		 * from outside the process but the count itself. */
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
}
