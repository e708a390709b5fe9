/* A blocking RPC client over TCP, UDP or a local socket, for short exchanges off the data
 * path: rpcbind registration, calls to clients' lock managers, tools and tests.  Not
 * thread-safe per client. */
#ifndef FERRY_RPC_CLIENT_H
#define FERRY_RPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rpc/rpc_msg.h"

struct rpc_client {
	int fd;
	uint32_t next_xid;
	uint32_t max_record;
	bool datagram; /* UDP: a call and its reply are one datagram each */
};

/* The source port of a connection.  Servers trust AUTH_SYS identities only
 * from reserved ports (below 1024, which only a privileged process can
 * bind), as the kernel NFS client uses them. */
enum rpc_client_port {
	RPC_CLIENT_PORT_RESERVED_IF_ALLOWED = 0, /* reserved when the process may bind one */
	RPC_CLIENT_PORT_RESERVED,                /* reserved or fail (-EACCES, -EADDRINUSE) */
	RPC_CLIENT_PORT_UNRESERVED,              /* an ordinary ephemeral port */
};

/* Connects to "HOST:PORT" (or "[V6]:PORT") from a reserved port when the
 * process may bind one (root, CAP_NET_BIND_SERVICE), else from an ephemeral
 * port.  Returns 0 or a negative errno. */
int rpc_client_connect(struct rpc_client *cl, const char *hostport, unsigned timeout_ms);
/* The same with the source port chosen by how. */
int rpc_client_connect_from(struct rpc_client *cl, const char *hostport, unsigned timeout_ms,
			    enum rpc_client_port how);
/* rpc_client_connect_from over UDP: a socket connected to "HOST:PORT"
 * (nothing is sent yet).  rpc_client_call then sends its call as one
 * datagram, again while no reply comes, and takes a reply of at most
 * max_record bytes (and 65,507). */
int rpc_client_connect_udp(struct rpc_client *cl, const char *hostport, enum rpc_client_port how);
/* Connects to a local stream socket at path (rpcbind's, which knows the
 * caller's uid from it).  0 or a negative errno (-ENOENT, -ECONNREFUSED
 * when nobody listens there). */
int rpc_client_connect_unix(struct rpc_client *cl, const char *path);
void rpc_client_close(struct rpc_client *cl);

/* On a socket, blocking or not, before deadline_ms (clock_now_ms): wait
 * until poll says events; move exactly n bytes (a peer that closes first
 * is -ECONNRESET).  0 or a negative errno (-ETIMEDOUT). */
int rpc_fd_wait(int fd, short events, uint64_t deadline_ms);
int rpc_fd_write_all(int fd, const uint8_t *p, size_t n, uint64_t deadline_ms);
int rpc_fd_read_all(int fd, uint8_t *p, size_t n, uint64_t deadline_ms);

/* Sends bytes as one record in a single fragment. */
int rpc_client_send_record(struct rpc_client *cl, const void *data, size_t len);

/* Receives one whole record (any fragmentation).  *out is a new buffer the
 * caller owns.  Returns 0, -ETIMEDOUT, -ECONNRESET (peer closed) or -EMSGSIZE. */
int rpc_client_recv_record(struct rpc_client *cl, struct buf **out, unsigned timeout_ms);

/* Makes one call and waits for the reply with the same XID (other records
 * are skipped), timeout_ms at most in all however many records come.  On
 * 0, *reply holds the whole reply record, *hdr its decoded header and
 * *results_off where the results start. */
int rpc_client_call(struct rpc_client *cl, uint32_t prog, uint32_t vers, uint32_t proc,
		    const struct rpc_cred *cred, const void *args, size_t args_len,
		    struct buf **reply, struct rpc_reply_hdr *hdr, size_t *results_off,
		    unsigned timeout_ms);

#endif
