/* A small blocking HTTP/1.1 client for the control plane (ferryctl, tests):
 * one request per connection, the whole reply read into memory. */
#ifndef FERRY_CTL_CLIENT_H
#define FERRY_CTL_CLIENT_H

#include <stddef.h>

struct ctl_http_reply {
	unsigned status;
	char *body; /* malloc'd, NUL-terminated; free with ctl_http_reply_free */
	size_t len;
};

/* Sends method path to hostport ("127.0.0.1:9590", "[::1]:9590",
 * "unix:/run/ferry/control.sock") with an
 * optional bearer token and body (JSON), and waits up to timeout_ms.
 * 0 with *out filled (any HTTP status), or a negative errno with a
 * message in err (unreachable, timed out, not HTTP). */
int ctl_http_request(const char *hostport, const char *method, const char *path,
		     const char *token, const char *body, size_t body_len, unsigned timeout_ms,
		     struct ctl_http_reply *out, char *err, size_t errlen);

void ctl_http_reply_free(struct ctl_http_reply *r);

/* Parses a whole reply "HTTP/1.x NNN ...\r\n headers \r\n\r\n body" as
 * read to EOF: buf[0 .. len) followed by a NUL (buf[len] == '\0').  0 with
 * *out filled (a Content-Length shorter than what came cuts the body; a
 * longer one is an error), or -EPROTO / -ENOMEM with a message in err. */
int ctl_http_parse_reply(const char *buf, size_t len, struct ctl_http_reply *out, char *err,
			 size_t errlen);

#endif
