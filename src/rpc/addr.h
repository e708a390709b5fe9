/* "host:port" and "[v6addr]:port" as the command line, the config file and
 * the tools write addresses. */
#ifndef FERRY_RPC_ADDR_H
#define FERRY_RPC_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Splits hostport into host (without the brackets) and port, each copied
 * NUL-terminated into the caller's buffer of hostlen / portlen bytes.
 * 0, or -EINVAL when there is no colon after the host, the host is empty
 * or a part does not fit.  The port is not checked: see rpc_addr_port_ok. */
int rpc_addr_split(const char *hostport, char *host, size_t hostlen, char *port, size_t portlen);

/* A port a listener can bind: digits only, at most 65535. */
bool rpc_addr_port_ok(const char *port);

struct sockaddr_storage;
/* The numeric host of a peer's address, without its port or brackets (an
 * IPv4-mapped IPv6 address as IPv4), into out of cap bytes; "" for a
 * family other than IPv4 and IPv6. */
void rpc_addr_host(const struct sockaddr_storage *ss, char *out, size_t cap);

struct sockaddr;
/* 127.0.0.0/8, ::1, or 127/8 mapped into IPv6. */
bool rpc_addr_is_loopback(const struct sockaddr *sa);

/* Whether a connection's peer is on this host: its address is a loopback
 * one, or the connection's own local address (a client here that reached
 * one of this host's addresses; its packets never leave the host either).
 * peer and local are the two ends of one socket, of one family. */
bool rpc_addr_same_host(const struct sockaddr *peer, const struct sockaddr *local);

#endif
