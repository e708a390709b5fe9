/* The channel between a running ferryd and the one it hands over to: a
 * unix stream socket carrying framed messages, each with up to
 * CHANNEL_FDS_MAX file descriptors (SCM_RIGHTS).
 *
 * A message is a 12-byte header (type, payload length, descriptor count,
 * big-endian) sent together with its descriptors, then the payload.  The
 * calls block, each for at most the milliseconds it is given. */
#ifndef FERRY_UPGRADE_CHANNEL_H
#define FERRY_UPGRADE_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

enum {
	CHANNEL_FDS_MAX = 200,          /* under the kernel's SCM_MAX_FD (253) */
	CHANNEL_PAYLOAD_MAX = 1u << 30, /* a larger announced payload is refused */
};

struct channel_msg {
	uint32_t type;
	uint8_t *payload; /* owned (malloc); NULL when empty */
	size_t len;
	int fds[CHANNEL_FDS_MAX]; /* owned: the receiver closes what it does not keep */
	unsigned nfds;
};

/* 0, or a negative errno (-ETIMEDOUT, -EPIPE, ...). */
int channel_send(int sock, uint32_t type, const void *payload, size_t len, const int *fds,
		 unsigned nfds, unsigned timeout_ms);

/* 0 with *m filled, -ECONNRESET when the peer closed before a whole
 * message, -EPROTO for a malformed frame (descriptors beyond the count, a
 * payload over the maximum), or another negative errno. */
int channel_recv(int sock, struct channel_msg *m, unsigned timeout_ms);

/* Frees the payload and closes the descriptors still in m. */
void channel_msg_release(struct channel_msg *m);

#endif
