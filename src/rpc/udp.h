/* A small RPC-over-UDP server: one datagram is one call, answered by one
 * datagram to its sender, served inline on the transport's own thread.
 *
 * For programs whose calls are small and idempotent: NLM v4 beside its
 * TCP listeners (clients whose lock manager speaks UDP) and the local
 * rpc.statd's callback, never NFS itself: no record marking, no
 * RPCSEC_GSS, no TLS, no duplicate request cache (a retransmission is
 * served again, so what is served over it must be idempotent), no memory
 * budgets beyond one datagram (results that do not fit in one are
 * answered RPC_SYSTEM_ERR instead).  AUTH_NONE and AUTH_SYS credentials are decoded;
 * others are refused (AUTH_BADCRED).  An IPv6 socket takes IPv6 alone.
 *
 * Threads: one per listener, serving one call at a time.  No lock of its
 * own is held while a program serves a call. */
#ifndef FERRY_RPC_UDP_H
#define FERRY_RPC_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

struct rpc_udp;

/* One call, valid while serve() runs. */
struct rpc_udp_call {
	const struct rpc_call_hdr *hdr;
	const struct rpc_cred *cred;
	const struct sockaddr_storage *peer;
	struct xdr_dec args;
};

struct rpc_udp_program {
	uint32_t prog, vers_low, vers_high;
	/* Serves a call of a version in range: results go to out; the status
	 * the reply carries (RPC_SUCCESS, RPC_PROC_UNAVAIL, RPC_GARBAGE_ARGS,
	 * ...; results are dropped unless RPC_SUCCESS). */
	enum rpc_accept_stat (*serve)(void *ctx, struct rpc_udp_call *call, struct xdr_enc *out);
	void *ctx;
};

enum { RPC_UDP_PROGRAMS_MAX = 4, RPC_UDP_DATAGRAM_MAX = 65507 };

/* Binds "HOST:PORT" ("[v6]:PORT"; port 0 picks one) and starts serving
 * progs (n at most RPC_UDP_PROGRAMS_MAX; copied).  *bound_port gets the
 * port.  0 or a negative errno. */
int rpc_udp_listen(const char *hostport, const struct rpc_udp_program *progs, unsigned n,
		   struct rpc_udp **out, uint16_t *bound_port);

/* Stops the thread and closes the socket (NULL: nothing). */
void rpc_udp_close(struct rpc_udp *u);

struct rpc_udp_stats {
	uint64_t calls, bad; /* served; dropped or refused as malformed */
};
void rpc_udp_get_stats(struct rpc_udp *u, struct rpc_udp_stats *out);

#endif
