/* Raw RPC over TCP for protocol tests: build calls byte by byte, send them
 * with any framing (or none), read replies. */
#ifndef FERRY_TESTS_RPCTEST_H
#define FERRY_TESTS_RPCTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

enum { RPCTEST_TIMEOUT_MS = 5000 };

/* Connects to "HOST:PORT" from a reserved source port, as the kernel client
 * does (exports are `secure` by default; the tests run as root); returns a
 * blocking fd or -1. */
int rpctest_connect(const char *hostport);
/* The same from an ordinary (unreserved) port: an unprivileged user's client. */
int rpctest_connect_unreserved(const char *hostport);
/* Connects to "HOST:PORT" ("[::1]:PORT" for IPv6) from source address src
 * of the same family (another loopback address, 127.0.0.2, to be another
 * client), from a reserved port unless unreserved; a blocking fd or -1. */
int rpctest_connect_addr(const char *hostport, const char *src, bool unreserved);

/* Writes all bytes; returns 0 or -errno (EPIPE/ECONNRESET when the server
 * closed the connection). */
int rpctest_send_raw(int fd, const void *data, size_t len);

/* Sends data as one record split into fragments of at most frag bytes
 * (0: one fragment). */
int rpctest_send_record(int fd, const void *data, size_t len, size_t frag);

/* Reads one whole record.  *out must be released with buf_unref.  Returns 0,
 * -ETIMEDOUT, -ECONNRESET (closed by the server). */
int rpctest_recv_record(int fd, struct buf **out, unsigned timeout_ms);

/* True when the server closes the connection within timeout_ms (reads
 * anything pending and waits for EOF or reset). */
bool rpctest_wait_closed(int fd, unsigned timeout_ms);

/* Encodes a CALL header into e (AUTH_NONE when cred is NULL). */
void rpctest_encode_call(struct xdr_enc *e, uint32_t xid, uint32_t prog, uint32_t vers,
			 uint32_t proc, const struct rpc_cred *cred);

/* A parsed reply. */
struct rpctest_reply {
	struct buf *buf;
	uint32_t xid;
	struct rpc_reply_hdr hdr;
	struct xdr_dec results; /* positioned after the header */
};

/* Sends a call (header + args) on fd and waits for the reply with that xid.
 * Returns 0 or a negative errno; release with rpctest_reply_release. */
int rpctest_call(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
		 const struct rpc_cred *cred, const void *args, size_t args_len,
		 struct rpctest_reply *reply);

/* Parses a received record as a REPLY. */
int rpctest_parse_reply(struct buf *b, struct rpctest_reply *reply);

void rpctest_reply_release(struct rpctest_reply *reply);

/* Opens a new connection, makes an NFSv4 NULL call, checks for an accepted
 * SUCCESS reply and closes.  Returns 0 when the server answered properly. */
int rpctest_null_ok(const char *hostport);

/* --- added for the protocol robustness tests ---------------------------- */

/* Encodes a whole CALL (header, then args_len bytes of arguments) into a new
 * buffer without a record mark; the caller owns it.  NULL when out of memory. */
struct buf *rpctest_build_call(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
			       const struct rpc_cred *cred, const void *args, size_t args_len);

/* Appends data to e as one record in a single fragment (mark included). */
void rpctest_append_record(struct xdr_enc *e, const void *data, size_t len);

/* Reads one record and parses it as a REPLY.  Returns 0, a negative errno from
 * rpctest_recv_record, or -EBADMSG; release with rpctest_reply_release. */
int rpctest_recv_reply(int fd, struct rpctest_reply *reply, unsigned timeout_ms);

/* True when nothing is readable on fd at this instant: no bytes and no EOF. */
bool rpctest_nothing_pending(int fd);


/* Makes a blocking send on fd fail with EAGAIN after ms instead of hanging
 * when the server stops reading.  Returns 0 or -errno. */
int rpctest_set_send_timeout(int fd, unsigned ms);

/* Number of open file descriptors of process pid, or -1. */
int rpctest_count_fds(int pid);

/* Waits until process pid has at most want open descriptors; returns the
 * last count seen (<= want on success) after at most timeout_ms. */
int rpctest_wait_fds_at_most(int pid, int want, unsigned timeout_ms);

#endif
