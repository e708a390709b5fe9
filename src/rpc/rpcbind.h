/* Registration with the local rpcbind (RPCBIND protocol version 4, RFC
 * 1833), so that NFSv3 clients, mount.nfs, showmount and rpcinfo find
 * ferryd's programs: NFS, MOUNT and any other it serves.
 *
 * Each registration names a program, a version, a transport (netid "tcp"
 * or "udp" for IPv4, "tcp6" or "udp6" for IPv6) and a universal address; rpcbind keeps one
 * address per program, version and netid.  Calls go to rpcbind's local
 * socket, where it knows the caller's uid (a registration made as root
 * may only be withdrawn by root), or, without it, to 127.0.0.1:111. */
#ifndef FERRY_RPC_RPCBIND_H
#define FERRY_RPC_RPCBIND_H

#include <stdbool.h>
#include <stdint.h>

#include "rpc/client.h"

/* rpcbind's local socket (Debian's rpcbind: /run/rpcbind.sock). */
#define RPCBIND_SOCKET_PATH "/run/rpcbind.sock"

struct rpcbind_reg {
	uint32_t prog, vers;
	char netid[8];  /* "tcp", "tcp6", "udp" or "udp6" */
	char uaddr[64]; /* "127.0.0.1.8.1": the address, then the port's two bytes */
};

enum { RPCBIND_MAX_REGS = 64, RPCBIND_REPLY_MAX = 4096 };

/* The registrations of one server. */
struct rpcbind_regs {
	struct rpcbind_reg v[RPCBIND_MAX_REGS];
	unsigned n;
};

/* Adds versions lo..hi of prog on the listener bound at hostport
 * ("127.0.0.1:2049", "[::]:2049"); a (program, version, netid) already
 * added keeps its first address, as rpcbind would.  -EINVAL for an
 * address that is not numeric, -ENOSPC when full. */
int rpcbind_regs_add(struct rpcbind_regs *r, uint32_t prog, uint32_t lo, uint32_t hi,
                     const char *hostport);

/* The same for a UDP socket bound at hostport (netid "udp" or "udp6"). */
int rpcbind_regs_add_udp(struct rpcbind_regs *r, uint32_t prog, uint32_t lo, uint32_t hi,
                         const char *hostport);

/* Registers each one, first withdrawing what an earlier run may have left
 * for the same program, version and netid.  Returns how many were
 * registered (the rest are dropped from r, *first_err saying why the first
 * failed), or -ECONNREFUSED when no rpcbind runs (nothing registered). */
int rpcbind_regs_register(struct rpcbind_regs *r, int *first_err);

/* Withdraws every registration in r. */
void rpcbind_regs_unregister(struct rpcbind_regs *r);

/* One call: sets (set) or withdraws (!set) prog/vers on netid at uaddr
 * (withdrawing: netid "" is every netid; uaddr is not sent).  0,
 * -ECONNREFUSED when no rpcbind runs, -EPERM when rpcbind said no, or
 * another negative errno. */
int rpcbind_call(uint32_t prog, uint32_t vers, const char *netid, const char *uaddr, bool set);

/* Asks the portmapper at hostport ("HOST:111", "[V6]:111"; RFC 1833
 * version 2, PMAPPROC_GETPORT) which port serves version vers of prog
 * over proto (IPPROTO_TCP, IPPROTO_UDP), connecting from a port chosen as
 * how says and waiting timeout_ms for each step.  0 with *port; -ENOENT
 * when nothing is registered (port 0); -EPROTO when the call was not
 * accepted or the answer is malformed; or the connection's or the call's
 * negative errno. */
int rpcbind_getport(const char *hostport, enum rpc_client_port how, unsigned timeout_ms,
		    uint32_t prog, uint32_t vers, uint32_t proto, uint16_t *port);

#endif
