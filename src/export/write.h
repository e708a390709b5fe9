/* A WRITE's data into its file, for every program that takes one (NFSv4,
 * NFSv3).  A large WRITE's data may have arrived into a pipe instead of the
 * record (rpc's find_bulk: the program's bulk finder), leaving a hole in
 * the arguments: the bytes go from the pipe into the file (the back end's
 * write_pipe), or are read into the record first for a back end without
 * it. */
#ifndef FERRY_EXPORT_WRITE_H
#define FERRY_EXPORT_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

struct export;
struct rpc_request;

/* Writes the len bytes of req's arguments at data to the object bh of ex
 * at off, as cred, as the back end's write or write_pipe (stable,
 * *written, *committed as theirs).  The caller is the one consumer of
 * those bytes (rpc_request_args_pipe); 0 or a negative errno. */
int export_write_args(struct rpc_request *req, struct export *ex,
		      const struct backend_cred *cred, const struct backend_handle *bh,
		      uint64_t off, const uint8_t *data, uint32_t len, enum backend_stable stable,
		      size_t *written, enum backend_stable *committed);

#endif
