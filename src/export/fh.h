/* File handles, the same for every NFS version Ferry serves.
 *
 * Layout (15 + n bytes; at most 80):
 *   u8  version (1)
 *   u8  kind: 0 pseudo-fs directory, 1 export object
 *   u32 export id (kind 1) or pseudo node id (kind 0), big-endian
 *   u8  back-end handle length n (0 for kind 0)
 *   n   back-end handle bytes
 *   u64 SipHash-2-4 of all the above, keyed by the server's secret
 * A handle that fails to parse or to verify is a bad handle (NFS4ERR_ or
 * NFS3ERR_BADHANDLE); one that verifies but names an export or object that
 * is gone is stale (NFS4ERR_ or NFS3ERR_STALE).  NFSv3 allows at most 64
 * bytes (FH_V3_MAX): a back-end handle longer than 49 bytes has no v3 form. */
#ifndef FERRY_EXPORT_FH_H
#define FERRY_EXPORT_FH_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "export/export.h"

enum {
  FH_MAX_SIZE = 128, /* NFSv4's NFS4_FHSIZE: room for any handle on the wire */
  FH_V3_MAX = 64,    /* NFSv3's NFS3_FHSIZE */
};

enum fh_kind { FH_NONE = -1, FH_PSEUDO = 0, FH_EXPORT = 1 };

enum fh_status { FH_OK = 0, FH_BADHANDLE, FH_STALE };

/* A resolved file handle: what the current and saved filehandles hold. */
struct fh {
  enum fh_kind kind;
  struct pseudo_node *node; /* FH_PSEUDO */
  struct export *export;    /* FH_EXPORT */
  struct backend_handle bh; /* FH_EXPORT */
  uint8_t wire[FH_MAX_SIZE];
  uint32_t wire_len;
};

void fh_from_pseudo(struct exports *exps, struct pseudo_node *node,
                    struct fh *out);
void fh_from_object(struct exports *exps, struct export *ex,
                    const struct backend_handle *bh, struct fh *out);

/* Parses and verifies wire bytes.  Does not ask the back end whether the
 * object still exists (callers getattr it when they need to). */
enum fh_status fh_parse(struct exports *exps, const uint8_t *wire, uint32_t len,
                        struct fh *out);

/* The export an object's handle names, read from its header alone: the
 * MAC is not checked.  A hint for where a call runs (the stall check
 * before the call, which then parses and verifies the handle itself),
 * never for what the caller may do.  NULL for a pseudo-fs handle, a
 * malformed one or an export that is gone. */
struct export *fh_export_hint(struct exports *exps, const uint8_t *wire, uint32_t len);

/* True when both name the same object. */
bool fh_equal(const struct fh *a, const struct fh *b);

#endif
