/* COMPOUND: the header (tag, minor version, operation count) and the
 * operation loop. */
#ifndef FERRY_NFS4_COMPOUND_H
#define FERRY_NFS4_COMPOUND_H

#include "rpc/server.h"

/* Serves one COMPOUND call; GARBAGE_ARGS when its header cannot be decoded. */
enum rpc_accept_stat nfs4_compound(struct rpc_request *req);

#endif
