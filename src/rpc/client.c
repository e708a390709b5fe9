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
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "rpc/addr.h"
#include "rpc/record.h"
#include "rpc/udp.h"
#include "xdr/xdr.h"

int rpc_fd_wait(int fd, short events, uint64_t deadline_ms)
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

/* Reserved ports tried, as the kernel client's default range (665-1023):
 * the ones below are left to services that listen on them. */
enum { RESV_PORT_MIN = 665, RESV_PORT_MAX = 1023 };

/* A non-blocking connect of fd to ai, waited for until timeout_ms. */
static int connect_fd(int fd, const struct addrinfo *ai, unsigned timeout_ms)
{
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	int rc = -errno;
	if (rc != -EINPROGRESS)
		return rc;
	rc = rpc_fd_wait(fd, POLLOUT, clock_now_ms() + timeout_ms);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
		rc = -soerr;
	return rc;
}

static int new_socket(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* Binds fd to source port port of ai's family (any address). */
static int bind_port(int fd, const struct addrinfo *ai, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	if (ai->ai_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		len = sizeof(*in);
	}
	return bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
}

/* Connects from a reserved port: each port of the range once, from a
 * random start (a port still in TIME_WAIT towards this server, or in use,
 * is skipped).  Returns the connected fd, -EACCES when the process may not
 * bind one, -EADDRINUSE when every port is taken, or another errno. */
static int connect_reserved(const struct addrinfo *ai, unsigned timeout_ms)
{
	const unsigned span = RESV_PORT_MAX - RESV_PORT_MIN + 1;
	uint16_t start;
	if (getrandom(&start, sizeof(start), 0) != sizeof(start))
		start = (uint16_t)clock_now_ns();
	for (unsigned i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(RESV_PORT_MIN + (start + i) % span);
		int fd = new_socket(ai);
		if (fd < 0)
			return fd;
		int one = 1;
		/* A port whose earlier connection is in TIME_WAIT may serve
		 * another server (over UDP the option would share a port in
		 * use). */
		if (ai->ai_socktype == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		int rc = bind_port(fd, ai, port);
		if (rc == 0)
			rc = connect_fd(fd, ai, timeout_ms);
		if (rc == 0)
			return fd;
		close(fd);
		if (rc != -EADDRINUSE && rc != -EADDRNOTAVAIL)
			return rc;
	}
	return -EADDRINUSE;
}

/* A client not connected yet, with a random first xid. */
static void client_init(struct rpc_client *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->max_record = 64u << 20;
	if (getrandom(&cl->next_xid, sizeof(cl->next_xid), 0) != sizeof(cl->next_xid))
		cl->next_xid = (uint32_t)clock_now_ns();
}

static int connect_from(struct rpc_client *cl, const char *hostport, unsigned timeout_ms,
			enum rpc_client_port how, int socktype)
{
	char host[256], port[16];
	client_init(cl);
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0)
		return -EINVAL;
	struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	int fd = -EACCES;
	if (how != RPC_CLIENT_PORT_UNRESERVED)
		fd = connect_reserved(res, timeout_ms);
	/* An unprivileged process connects as any user-space client does;
	 * the server decides whether it trusts that port. */
	if (fd == -EACCES && how != RPC_CLIENT_PORT_RESERVED) {
		fd = new_socket(res);
		if (fd >= 0) {
			int rc = connect_fd(fd, res, timeout_ms);
			if (rc) {
				close(fd);
				fd = rc;
			}
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	int one = 1;
	if (socktype == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cl->fd = fd;
	cl->datagram = socktype == SOCK_DGRAM;
	return 0;
}

int rpc_client_connect_from(struct rpc_client *cl, const char *hostport, unsigned timeout_ms,
			    enum rpc_client_port how)
{
	return connect_from(cl, hostport, timeout_ms, how, SOCK_STREAM);
}

int rpc_client_connect_udp(struct rpc_client *cl, const char *hostport, enum rpc_client_port how)
{
	/* A UDP connect only sets the peer: it does not wait. */
	return connect_from(cl, hostport, 0, how, SOCK_DGRAM);
}

int rpc_client_connect_unix(struct rpc_client *cl, const char *path)
{
	client_init(cl);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	cl->fd = fd;
	return 0;
}

int rpc_client_connect(struct rpc_client *cl, const char *hostport, unsigned timeout_ms)
{
	return rpc_client_connect_from(cl, hostport, timeout_ms,
				       RPC_CLIENT_PORT_RESERVED_IF_ALLOWED);
}

void rpc_client_close(struct rpc_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
}

/* Moves n bytes over the socket before the deadline: sends out, or
 * receives into in (exactly one of them is given).  A send or recv that
 * failed goes round again when it was interrupted or the socket became
 * ready in time; the peer closing before all came is -ECONNRESET. */
static int transfer_all(int fd, const uint8_t *out, uint8_t *in, size_t n, uint64_t deadline)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = in ? recv(fd, in + done, n - done, 0)
			       : send(fd, out + done, n - done, MSG_NOSIGNAL);
		if (r == 0 && in)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			int rc = rpc_fd_wait(fd, in ? POLLIN : POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		done += (size_t)r;
	}
	return 0;
}

int rpc_fd_write_all(int fd, const uint8_t *p, size_t n, uint64_t deadline)
{
	return transfer_all(fd, p, NULL, n, deadline);
}

int rpc_fd_read_all(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	return transfer_all(fd, NULL, p, n, deadline);
}

int rpc_client_send_record(struct rpc_client *cl, const void *data, size_t len)
{
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)len);
	uint64_t deadline = clock_now_ms() + 10000;
	int rc = rpc_fd_write_all(cl->fd, mark, 4, deadline);
	return rc ? rc : rpc_fd_write_all(cl->fd, data, len, deadline);
}

int rpc_client_recv_record(struct rpc_client *cl, struct buf **out, unsigned timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	struct buf *b = buf_new(4096);
	if (!b)
		return -ENOMEM;
	for (;;) {
		uint8_t mark[4];
		int rc = rpc_fd_read_all(cl->fd, mark, 4, deadline);
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
		rc = rpc_fd_read_all(cl->fd, b->data + b->len, len, deadline);
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

/* Whether b is the reply to xid: its header in *hdr, where its results
 * start in *results_off.  -EAGAIN for another message, -EBADMSG for a
 * reply to xid whose header does not decode. */
static int reply_of(const struct buf *b, uint32_t xid, struct rpc_reply_hdr *hdr,
		    size_t *results_off)
{
	struct xdr_dec d;
	uint32_t rxid, mtype;
	xdr_dec_init(&d, b->data, b->len);
	if (!rpc_decode_msg_start(&d, &rxid, &mtype) || mtype != RPC_MSG_REPLY || rxid != xid)
		return -EAGAIN;
	if (!rpc_decode_reply(&d, hdr))
		return -EBADMSG;
	*results_off = (size_t)(d.p - b->data);
	return 0;
}

/* Over UDP the call may be lost either way: it is sent again after
 * 500 ms, then after twice as long each time, until the deadline
 * (RPC's retransmission; the server's reply cache, or the procedure's
 * idempotence, makes a second execution harmless). */
static int call_datagram(struct rpc_client *cl, uint32_t xid, const struct buf *call,
			 uint64_t deadline, struct buf **reply, struct rpc_reply_hdr *hdr,
			 size_t *results_off)
{
	size_t cap = cl->max_record < RPC_UDP_DATAGRAM_MAX ? cl->max_record : RPC_UDP_DATAGRAM_MAX;
	struct buf *b = buf_new(cap);
	if (!b)
		return -ENOMEM;
	uint64_t wait = 500, resend = 0;
	for (;;) {
		uint64_t now = clock_now_ms();
		if (now >= deadline)
			break;
		if (now >= resend) {
			ssize_t sent = send(cl->fd, call->data, call->len, MSG_NOSIGNAL);
			/* A datagram the socket could not take now is as
			 * good as lost: sent again later. */
			if (sent < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
				int rc = -errno;
				buf_unref(b);
				return rc;
			}
			resend = now + wait;
			wait *= 2;
		}
		int rc = rpc_fd_wait(cl->fd, POLLIN, resend < deadline ? resend : deadline);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc) {
			buf_unref(b);
			return rc;
		}
		ssize_t got = recv(cl->fd, b->data, cap, MSG_TRUNC);
		if (got < 0) {
			/* ECONNREFUSED: an ICMP port unreachable, nobody there. */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = -errno;
			buf_unref(b);
			return rc;
		}
		if ((size_t)got > cap)
			continue; /* longer than any reply taken: dropped */
		b->len = (size_t)got;
		rc = reply_of(b, xid, hdr, results_off);
		if (rc == -EAGAIN)
			continue;
		if (rc) {
			buf_unref(b);
			return rc;
		}
		*reply = b;
		return 0;
	}
	buf_unref(b);
	return -ETIMEDOUT;
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
	/* One deadline for the whole exchange: a peer that sends records of
	 * other XIDs (or none that decode) must not keep the caller past
	 * timeout_ms by restarting the wait with each. */
	uint64_t deadline = clock_now_ms() + timeout_ms;
	if (cl->datagram) {
		int rc = call_datagram(cl, xid, e.buf, deadline, reply, hdr, results_off);
		xdr_enc_release(&e);
		return rc;
	}
	int rc = rpc_client_send_record(cl, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	if (rc)
		return rc;
	for (;;) {
		uint64_t now = clock_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct buf *b;
		rc = rpc_client_recv_record(cl, &b, (unsigned)(deadline - now));
		if (rc)
			return rc;
		rc = reply_of(b, xid, hdr, results_off);
		if (rc == -EAGAIN) {
			buf_unref(b);
			continue;
		}
		if (rc) {
			buf_unref(b);
			return rc;
		}
		*reply = b;
		return 0;
	}
}
