/* Registration with the local rpcbind (portmapper protocol version 2).
 *
 * NFSv4 clients do not need rpcbind, but tools such as rpcinfo find a
 * server through it, so ferryd registers when an rpcbind is running and
 * carries on quietly when none is. */
#ifndef FERRY_RPC_RPCBIND_H
#define FERRY_RPC_RPCBIND_H

#include <stdbool.h>
#include <stdint.h>

/* Registers (set) or withdraws (!set) prog/vers on TCP port.  Returns 0,
 * -ECONNREFUSED when no rpcbind runs, or another negative errno. */
int rpcbind_register(uint32_t prog, uint32_t vers, uint16_t port, bool set);

/* The same for a protocol (IPPROTO_TCP, IPPROTO_UDP). */
int rpcbind_register_proto(uint32_t prog, uint32_t vers, uint32_t proto, uint16_t port, bool set);

#endif
