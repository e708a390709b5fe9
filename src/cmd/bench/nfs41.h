/* NFSv4.1 COMPOUND arguments and results, as far as ferry-bench needs them
 * (RFC 8881 section 18).  Client side only: encoders for the arguments the
 * bench sends, decoders that walk the results the server sends back.
 *
 * These live with the bench until the server's own NFSv4 types land in
 * src/xdr; they may then be replaced.  Decoders never allocate: opaque
 * results come back as pointers into the reply record. */
#ifndef FERRY_BENCH_NFS41_H
#define FERRY_BENCH_NFS41_H

#include <stdbool.h>
#include <stdint.h>

#include "xdr/nfs4_prot.h"
#include "xdr/xdr.h"

enum {
	NFS41_BITMAP_MAX = 4, /* words of a bitmap4 we decode */
	NFS41_STATEID_SIZE = 16,

};

struct nfs41_fh {
	uint32_t len;
	uint8_t data[NFS4_FHSIZE];
};

struct nfs41_stateid {
	uint32_t seqid;
	uint8_t other[NFS4_OTHER_SIZE];
};

/* The v4.1 "current stateid": seqid 1, other all zero (RFC 8881 16.2.3.1.2). */
extern const struct nfs41_stateid nfs41_current_stateid;

struct nfs41_bitmap {
	uint32_t n;
	uint32_t w[NFS41_BITMAP_MAX];
};

void nfs41_bitmap_set(struct nfs41_bitmap *b, unsigned attr);

struct nfs41_channel_attrs {
	uint32_t headerpadsize;
	uint32_t maxrequestsize;
	uint32_t maxresponsesize;
	uint32_t maxresponsesize_cached;
	uint32_t maxoperations;
	uint32_t maxrequests;
};

/* --- encoding ---------------------------------------------------------- */

/* COMPOUND4args header with minorversion 1; *numops_off is where the op
 * count goes, patched by nfs41_enc_compound_end. */
bool nfs41_enc_compound_start(struct xdr_enc *e, const char *tag, size_t *numops_off);
void nfs41_enc_compound_end(struct xdr_enc *e, size_t numops_off, uint32_t numops);

bool nfs41_enc_sequence(struct xdr_enc *e, const uint8_t sessionid[NFS4_SESSIONID_SIZE],
			uint32_t seqid, uint32_t slotid, uint32_t highest_slotid, bool cachethis);
bool nfs41_enc_exchange_id(struct xdr_enc *e, const uint8_t verifier[NFS4_VERIFIER_SIZE],
			   const void *owner, uint32_t owner_len, uint32_t flags);
bool nfs41_enc_create_session(struct xdr_enc *e, uint64_t clientid, uint32_t sequence,
			      const struct nfs41_channel_attrs *fore,
			      const struct nfs41_channel_attrs *back, uint32_t cb_program,
			      uint32_t uid, uint32_t gid, const char *machinename);
bool nfs41_enc_destroy_session(struct xdr_enc *e, const uint8_t sessionid[NFS4_SESSIONID_SIZE]);
bool nfs41_enc_destroy_clientid(struct xdr_enc *e, uint64_t clientid);
bool nfs41_enc_reclaim_complete(struct xdr_enc *e, bool one_fs);
bool nfs41_enc_putrootfh(struct xdr_enc *e);
bool nfs41_enc_putfh(struct xdr_enc *e, const struct nfs41_fh *fh);
bool nfs41_enc_getfh(struct xdr_enc *e);
bool nfs41_enc_lookup(struct xdr_enc *e, const char *name);
bool nfs41_enc_getattr(struct xdr_enc *e, const struct nfs41_bitmap *attrs);
/* OPEN by name (CLAIM_NULL) in the current directory; create: UNCHECKED4
 * with mode 0644.  access is OPEN4_SHARE_ACCESS_*, deny NONE, no delegation
 * wanted. */
bool nfs41_enc_open(struct xdr_enc *e, uint64_t clientid, const void *owner, uint32_t owner_len,
		    uint32_t access, bool create, const char *name);
bool nfs41_enc_close(struct xdr_enc *e, const struct nfs41_stateid *sid);
/* WRITE up to the data: the caller appends len bytes of data and the XDR
 * padding (see nfs41_enc_write_tail). */
bool nfs41_enc_write_head(struct xdr_enc *e, const struct nfs41_stateid *sid, uint64_t offset,
			  uint32_t stable, uint32_t len);
bool nfs41_enc_read(struct xdr_enc *e, const struct nfs41_stateid *sid, uint64_t offset,
		    uint32_t count);
bool nfs41_enc_commit(struct xdr_enc *e, uint64_t offset, uint32_t count);
bool nfs41_enc_remove(struct xdr_enc *e, const char *name);
bool nfs41_enc_create_dir(struct xdr_enc *e, const char *name);
bool nfs41_enc_readdir(struct xdr_enc *e, uint64_t cookie, const uint8_t verf[NFS4_VERIFIER_SIZE],
		       uint32_t dircount, uint32_t maxcount, const struct nfs41_bitmap *attrs);

/* --- decoding ---------------------------------------------------------- */

/* COMPOUND4res header: status, tag, number of results. */
bool nfs41_dec_compound(struct xdr_dec *d, uint32_t *status, uint32_t *numres);

/* One result's opnum and status.  When status is NFS4_OK the op's body
 * follows and must be consumed with the matching decoder below (or
 * nfs41_dec_skip_resok for ops whose body the caller does not need). */
bool nfs41_dec_op(struct xdr_dec *d, uint32_t *opnum, uint32_t *status);

struct nfs41_sequence_res {
	uint8_t sessionid[NFS4_SESSIONID_SIZE];
	uint32_t seqid;
	uint32_t slotid;
	uint32_t highest_slotid;
	uint32_t target_highest_slotid;
	uint32_t status_flags;
};
bool nfs41_dec_sequence(struct xdr_dec *d, struct nfs41_sequence_res *r);

struct nfs41_exchange_id_res {
	uint64_t clientid;
	uint32_t sequenceid;
	uint32_t flags;
	uint32_t spr_how;
};
bool nfs41_dec_exchange_id(struct xdr_dec *d, struct nfs41_exchange_id_res *r);

struct nfs41_create_session_res {
	uint8_t sessionid[NFS4_SESSIONID_SIZE];
	uint32_t sequence;
	uint32_t flags;
	struct nfs41_channel_attrs fore, back;
};
bool nfs41_dec_create_session(struct xdr_dec *d, struct nfs41_create_session_res *r);

bool nfs41_dec_getfh(struct xdr_dec *d, struct nfs41_fh *fh);
/* fattr4: the bitmap and the opaque attribute values (not interpreted). */
bool nfs41_dec_fattr(struct xdr_dec *d, struct nfs41_bitmap *mask, const uint8_t **vals,
		     uint32_t *vals_len);
bool nfs41_dec_open(struct xdr_dec *d, struct nfs41_stateid *sid, uint32_t *deleg_type);
bool nfs41_dec_close(struct xdr_dec *d, struct nfs41_stateid *sid);
bool nfs41_dec_write(struct xdr_dec *d, uint32_t *count, uint32_t *committed);
bool nfs41_dec_read(struct xdr_dec *d, bool *eof, uint32_t *count);
bool nfs41_dec_commit(struct xdr_dec *d);
bool nfs41_dec_remove(struct xdr_dec *d);
bool nfs41_dec_create(struct xdr_dec *d);
/* READDIR4resok: counts the entries, keeps the last cookie and the verifier. */
bool nfs41_dec_readdir(struct xdr_dec *d, uint8_t verf[NFS4_VERIFIER_SIZE], uint32_t *entries,
		       uint64_t *last_cookie, bool *eof);

/* Skips the body of a successful result of an op with no body (PUTFH,
 * PUTROOTFH, LOOKUP, DESTROY_*, RECLAIM_COMPLETE) or decodes and drops the
 * body of the ops above.  False for an op it does not know. */
bool nfs41_dec_skip_resok(struct xdr_dec *d, uint32_t opnum);

/* "NFS4ERR_DELAY" for a status, "NFS4_OK" for 0, "NFS4ERR_<n>" otherwise
 * (static storage for unknown ones: not thread-safe). */
const char *nfs41_status_name(uint32_t status);
const char *nfs41_op_name(uint32_t opnum);

#endif
