/* NFS file handles.
 *
 * Layout (at most 80 of NFS4_FHSIZE bytes):
 *   u8  version (1)
 *   u8  kind: 0 pseudo-fs directory, 1 export object
 *   u32 export id (kind 1) or pseudo node id (kind 0), big-endian
 *   u8  back-end handle length n (0 for kind 0)
 *   n   back-end handle bytes
 *   u64 SipHash-2-4 of all the above, keyed by the server's secret
 * A handle that fails to parse or to verify is NFS4ERR_BADHANDLE; one that
 * verifies but names an export or object that is gone is NFS4ERR_STALE. */
#ifndef FERRY_NFS4_FH_H
#define FERRY_NFS4_FH_H

#include <stdint.h>

#include "backend/backend.h"
#include "nfs4/fs/export.h"
#include "xdr/nfs4_prot.h"

enum nfs4_fh_kind { NFS4_FH_NONE = -1, NFS4_FH_PSEUDO = 0, NFS4_FH_EXPORT = 1 };

/* A resolved file handle: what the current and saved filehandles hold. */
struct nfs4_fh {
	enum nfs4_fh_kind kind;
	struct nfs4_pseudo_node *node; /* NFS4_FH_PSEUDO */
	struct nfs4_export *export;    /* NFS4_FH_EXPORT */
	struct backend_handle bh;      /* NFS4_FH_EXPORT */
	uint8_t wire[NFS4_FHSIZE];
	uint32_t wire_len;
};

void nfs4_fh_from_pseudo(struct nfs4_exports *exps, struct nfs4_pseudo_node *node,
			 struct nfs4_fh *out);
void nfs4_fh_from_object(struct nfs4_exports *exps, struct nfs4_export *ex,
			 const struct backend_handle *bh, struct nfs4_fh *out);

/* Parses and verifies wire bytes.  Does not ask the back end whether the
 * object still exists (callers getattr it when they need to). */
enum nfsstat4 nfs4_fh_parse(struct nfs4_exports *exps, const uint8_t *wire, uint32_t len,
			    struct nfs4_fh *out);

/* True when both name the same object. */
bool nfs4_fh_equal(const struct nfs4_fh *a, const struct nfs4_fh *b);

#endif
