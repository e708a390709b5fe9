#include "ctl/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc/addr.h"

enum { REPLY_MAX = 64 << 20 };

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline; 0 or -ETIMEDOUT. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int dial_unix(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(spec + 5) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: the path is too long", spec);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, spec + 5);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot reach the control plane at %s: %s", spec, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	/* Non-blocking from here, as for TCP, so the deadline holds. */
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}

static int dial(const char *hostport, long long deadline, char *err, size_t errlen)
{
	if (strncmp(hostport, "unix:", 5) == 0)
		return dial_unix(hostport, err, errlen);
	char host[256], port[16];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", hostport);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	freeaddrinfo(ai);
	if (rc == -EINPROGRESS) {
		rc = wait_fd(fd, POLLOUT, deadline);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
			rc = -soerr;
	}
	if (rc) {
		snprintf(err, errlen, "cannot reach the control plane at %s: %s", hostport,
			 strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN) {
				int rc = wait_fd(fd, POLLOUT, deadline);
				if (rc)
					return rc;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_http_parse_reply(const char *buf, size_t len, struct ctl_http_reply *out, char *err,
			 size_t errlen)
{
	unsigned status;
	if (len < 12 || sscanf(buf, "HTTP/1.%*u %u", &status) != 1) {
		snprintf(err, errlen, "the reply is not HTTP");
		return -EPROTO;
	}
	const char *hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end) {
		snprintf(err, errlen, "the reply ended inside its headers");
		return -EPROTO;
	}
	const char *body = hdr_end + 4;
	size_t blen = len - (size_t)(body - buf);
	/* Content-Length, when given, must match what came. */
	for (const char *h = strstr(buf, "\r\n"); h && h < hdr_end; h = strstr(h + 2, "\r\n")) {
		if (strncasecmp(h + 2, "Content-Length:", 15) == 0) {
			unsigned long cl = strtoul(h + 17, NULL, 10);
			if (cl > blen) {
				snprintf(err, errlen, "the reply was cut short");
				return -EPROTO;
			}
			blen = cl;
		}
	}
	out->status = status;
	out->body = malloc(blen + 1);
	if (!out->body)
		return -ENOMEM;
	memcpy(out->body, body, blen);
	out->body[blen] = '\0';
	out->len = blen;
	return 0;
}

int ctl_http_request(const char *hostport, const char *method, const char *path,
		     const char *token, const char *body, size_t body_len, unsigned timeout_ms,
		     struct ctl_http_reply *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	long long deadline = now_ms() + timeout_ms;
	int fd = dial(hostport, deadline, err, errlen);
	if (fd < 0)
		return fd;
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: ferryctl\r\n"
			 "%s%s%s"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 method, path, strncmp(hostport, "unix:", 5) == 0 ? "localhost" : hostport,
			 token ? "Authorization: Bearer " : "",
			 token ? token : "", token ? "\r\n" : "", body ? body_len : 0);
	int rc = n > 0 && (size_t)n < sizeof(head) ? send_all(fd, head, (size_t)n, deadline)
						    : -ENAMETOOLONG;
	if (!rc && body && body_len)
		rc = send_all(fd, body, body_len, deadline);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	while (!rc) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			char *b = cap <= REPLY_MAX ? realloc(buf, cap + 1) : NULL;
			if (!b) {
				rc = -EFBIG;
				break;
			}
			buf = b;
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r > 0) {
			len += (size_t)r;
		} else if (r == 0) {
			break;
		} else if (errno == EAGAIN) {
			rc = wait_fd(fd, POLLIN, deadline);
		} else if (errno != EINTR) {
			rc = -errno;
		}
	}
	close(fd);
	if (rc) {
		snprintf(err, errlen, "talking to the control plane at %s: %s", hostport,
			 strerror(-rc));
		free(buf);
		return rc;
	}
	if (!buf) {
		snprintf(err, errlen, "the control plane at %s closed without a reply", hostport);
		return -EPROTO;
	}
	buf[len] = '\0';
	rc = ctl_http_parse_reply(buf, len, out, err, errlen);
	free(buf);
	return rc;
}

void ctl_http_reply_free(struct ctl_http_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
