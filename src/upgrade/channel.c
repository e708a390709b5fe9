#include "upgrade/channel.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "xdr/xdr.h"

enum { HEADER_LEN = 12 };

/* Waits until sock is ready for events or the deadline passes. */
static int wait_for(int sock, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = clock_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = sock, .events = events};
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(int sock, const uint8_t *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_for(sock, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

int channel_send(int sock, uint32_t type, const void *payload, size_t len, const int *fds,
		 unsigned nfds, unsigned timeout_ms)
{
	if (nfds > CHANNEL_FDS_MAX || len > CHANNEL_PAYLOAD_MAX)
		return -EINVAL;
	uint64_t deadline = clock_now_ms() + timeout_ms;
	uint8_t hdr[HEADER_LEN];
	xdr_put_be32(hdr, type);
	xdr_put_be32(hdr + 4, (uint32_t)len);
	xdr_put_be32(hdr + 8, nfds);
	union {
		char buf[CMSG_SPACE(sizeof(int) * CHANNEL_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = hdr, .iov_len = sizeof(hdr)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* The header goes whole with its descriptors (the socket takes 12
	 * bytes at once or none); only then the payload. */
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)sizeof(hdr))
			break;
		if (n >= 0) {
			int rc = send_all(sock, hdr + n, sizeof(hdr) - (size_t)n, deadline);
			if (rc)
				return rc;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_for(sock, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return send_all(sock, payload, len, deadline);
}

static int recv_all(int sock, uint8_t *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = recv(sock, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_for(sock, POLLIN, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

/* Descriptors that arrived with a message, into m (closed beyond max). */
static int take_fds(struct msghdr *mh, struct channel_msg *m, unsigned max)
{
	int rc = 0;
	if (mh->msg_flags & MSG_CTRUNC)
		rc = -EPROTO;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (m->nfds < max)
				m->fds[m->nfds++] = fd;
			else {
				close(fd);
				rc = -EPROTO;
			}
		}
	}
	return rc;
}

int channel_recv(int sock, struct channel_msg *m, unsigned timeout_ms)
{
	memset(m, 0, sizeof(*m));
	uint64_t deadline = clock_now_ms() + timeout_ms;
	uint8_t hdr[HEADER_LEN];
	union {
		char buf[CMSG_SPACE(sizeof(int) * CHANNEL_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;
	int rc = 0;
	/* Descriptors come with the header's first byte. */
	while (got == 0) {
		struct iovec iov = {.iov_base = hdr, .iov_len = sizeof(hdr)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n > 0) {
			got = (size_t)n;
			rc = take_fds(&mh, m, CHANNEL_FDS_MAX);
			break;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((rc = wait_for(sock, POLLIN, deadline)))
			return rc;
	}
	if (rc == 0 && got < sizeof(hdr))
		rc = recv_all(sock, hdr + got, sizeof(hdr) - got, deadline);
	if (rc == 0) {
		m->type = xdr_get_be32(hdr);
		m->len = xdr_get_be32(hdr + 4);
		uint32_t nfds = xdr_get_be32(hdr + 8);
		if (nfds != m->nfds || m->len > CHANNEL_PAYLOAD_MAX)
			rc = -EPROTO;
	}
	if (rc == 0 && m->len) {
		m->payload = malloc(m->len);
		rc = m->payload ? recv_all(sock, m->payload, m->len, deadline) : -ENOMEM;
	}
	if (rc)
		channel_msg_release(m);
	return rc;
}

void channel_msg_release(struct channel_msg *m)
{
	free(m->payload);
	m->payload = NULL;
	m->len = 0;
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}
