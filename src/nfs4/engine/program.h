/* The NFSv4 RPC program (100003 version 4): NULL and COMPOUND. */
#ifndef FERRY_NFS4_PROGRAM_H
#define FERRY_NFS4_PROGRAM_H

#include "nfs4/server.h"
#include "rpc/server.h"

/* Fills in the RPC program description for NFSv4, serving srv. */
void nfs4_program_describe(struct rpc_program *prog, struct nfs4_server *srv);

#endif
