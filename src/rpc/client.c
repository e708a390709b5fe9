#include "rpc/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "rpc/addr.h"
#include "rpc/record.h"
#include "xdr/xdr.h"

static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = clock_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)(deadline_ms - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int rpc_client_connect(struct rpc_client *cl, const char *hostport, unsigned timeout_ms)
{
	char host[256], port[16];
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->max_record = 64u << 20;
	if (getrandom(&cl->next_xid, sizeof(cl->next_xid), 0) != sizeof(cl->next_xid))
		cl->next_xid = (uint32_t)clock_now_ns();
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0)
		return -EINVAL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = 0;
	if (fd < 0) {
		rc = -errno;
	} else if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		rc = -errno;
		if (rc == -EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, clock_now_ms() + timeout_ms);
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
				rc = -soerr;
		}
	}
	freeaddrinfo(res);
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cl->fd = fd;
	return 0;
}

void rpc_client_close(struct rpc_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
}

/* After a send or recv that failed: 0 to go round again (interrupted, or
 * the socket became ready before the deadline), else the error to give up
 * with. */
static int io_retry(int fd, short events, uint64_t deadline)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN)
		return -errno;
	return wait_fd(fd, events, deadline);
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			int rc = io_retry(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			int rc = io_retry(fd, POLLIN, deadline);
			if (rc)
				return rc;
			continue;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int rpc_client_send_record(struct rpc_client *cl, const void *data, size_t len)
{
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)len);
	uint64_t deadline = clock_now_ms() + 10000;
	int rc = write_all(cl->fd, mark, 4, deadline);
	return rc ? rc : write_all(cl->fd, data, len, deadline);
}

int rpc_client_recv_record(struct rpc_client *cl, struct buf **out, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	struct buf *b = buf_new(4096);
	if (!b)
		return -ENOMEM;
	for (;;) {
		uint8_t mark[4];
		int rc = read_all(cl->fd, mark, 4, deadline);
		if (rc) {
			buf_unref(b);
			return rc;
		}
		uint32_t m = xdr_get_be32(mark);
		size_t len = m & RPC_RECORD_LEN_MASK;
		if (b->len + len > cl->max_record) {
			buf_unref(b);
			return -EMSGSIZE;
		}
		if (b->len + len > b->cap) {
			struct buf *g = buf_grow(b, b->len + len);
			if (!g) {
				buf_unref(b);
				return -ENOMEM;
			}
			b = g;
		}
		rc = read_all(cl->fd, b->data + b->len, len, deadline);
		if (rc) {
			buf_unref(b);
			return rc;
		}
		b->len += len;
		if (m & RPC_RECORD_LAST_FRAG)
			break;
	}
	*out = b;
	return 0;
}

int rpc_client_call(struct rpc_client *cl, uint32_t prog, uint32_t vers, uint32_t proc,
		    const struct rpc_cred *cred, const void *args, size_t args_len,
		    struct buf **reply, struct rpc_reply_hdr *hdr, size_t *results_off,
		    unsigned timeout_ms)
{
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 128 + args_len, 128 + args_len + 512))
		return -ENOMEM;
	uint32_t xid = cl->next_xid++;
	if (!rpc_encode_call(&e, xid, prog, vers, proc, cred) ||
	    !xdr_encode_opaque_fixed(&e, args, args_len)) {
		xdr_enc_release(&e);
		return -EMSGSIZE;
	}
	int rc = rpc_client_send_record(cl, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	if (rc)
		return rc;
	for (;;) {
		struct buf *b;
		rc = rpc_client_recv_record(cl, &b, timeout_ms);
		if (rc)
			return rc;
		struct xdr_dec d;
		uint32_t rxid, mtype;
		xdr_dec_init(&d, b->data, b->len);
		if (!rpc_decode_msg_start(&d, &rxid, &mtype) || mtype != RPC_MSG_REPLY ||
		    rxid != xid) {
			buf_unref(b);
			continue;
		}
		if (!rpc_decode_reply(&d, hdr)) {
			buf_unref(b);
			return -EBADMSG;
		}
		*results_off = (size_t)(d.p - b->data);
		*reply = b;
		return 0;
	}
}
