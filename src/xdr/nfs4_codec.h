/* The NFSv4 wire codec: the one place where COMPOUND and CB_COMPOUND, their
 * operations' arguments and their results are turned into bytes and back.
 * The server, its callback path, ferry-bench and the tests all use it.
 *
 * Conventions, for every operation OP (lower case, e.g. `lookup`):
 *   struct nfs4_OP_args            what the client sends
 *   struct nfs4_OP_res             the body that follows NFS4_OK (and, for
 *                                  the few unions with an error body, the
 *                                  body of that error: see each header)
 *   nfs4_enc_OP_args / nfs4_dec_OP_args
 *   nfs4_enc_OP_res  / nfs4_dec_OP_res
 * Callback operations follow the same scheme with `cb_` (nfs4_cb_recall_args).
 * Each is declared in full, a prototype per direction:
 *   bool nfs4_enc_OP_args(struct xdr_enc *e, const struct nfs4_OP_args *v);
 *   bool nfs4_dec_OP_args(struct xdr_dec *d, struct nfs4_OP_args *v);
 * and most pairs are defined together from one description
 * (NFS4_CODEC_PAIR, NFS4_CODEC_TYPE in xdr/nfs4_codec_stream.h), so the two
 * directions cannot drift apart.
 * The operation number and the status are not part of these: they are the
 * op header below (nfs4_enc_op / nfs4_enc_op_res ...).
 *
 * Decoding is in place: variable-length items come back as struct
 * nfs4_opaque pointing into the decoded buffer, which must outlive the
 * struct.  Decoders bound every length by the protocol's limit or the bytes
 * left, never allocate, and return false on anything malformed (the caller
 * answers NFS4ERR_BADXDR or GARBAGE_ARGS).  Encoders return false once the
 * encoder has overflowed (xdr_enc.overflow is then set too).
 *
 * This header has the pieces every operation shares and the COMPOUND and
 * CB_COMPOUND headers; the operations are in xdr/nfs4_codec_session.h
 * (client, session and v4.0 client-id operations), xdr/nfs4_codec_file.h
 * (everything on files and state) and xdr/nfs4_codec_cb.h (the callback
 * operations), each of which includes this one. */
#ifndef FERRY_XDR_NFS4_CODEC_H
#define FERRY_XDR_NFS4_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdr/nfs4_prot.h"
#include "xdr/nfs4_types.h"
#include "xdr/xdr.h"

/* Variable-length bytes (opaque<>, utf8str, component4, a file handle):
 * into the decoded buffer after a decode, the caller's memory to encode. */
struct nfs4_opaque {
	const uint8_t *data;
	uint32_t len;
};

/* nfsace4 (RFC 8881 6.2.1): in ACLs (xdr/nfs4_fattr.h) and in a
 * delegation's permissions; who points into the bytes it was read from. */
struct nfs4_ace {
	uint32_t type, flag, access_mask;
	struct nfs4_opaque who;
};

/* posixace4 (draft-ietf-nfsv4-posix-acls): who names the user or group
 * of a USER or GROUP entry and is empty for the others. */
struct nfs4_posix_ace {
	uint32_t tag, perm; /* POSIXACE4_TAG_*, POSIXACE4_PERM_* */
	struct nfs4_opaque who;
};

static inline struct nfs4_opaque nfs4_opaque_str(const char *s)
{
	return (struct nfs4_opaque){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static inline bool nfs4_enc_opaque(struct xdr_enc *e, struct nfs4_opaque o)
{
	return xdr_encode_opaque(e, o.data, o.len);
}

/* opaque<max>; max is the protocol's bound for the field. */
static inline bool nfs4_dec_opaque(struct xdr_dec *d, uint32_t max, struct nfs4_opaque *o)
{
	return xdr_decode_opaque(d, max, &o->data, &o->len);
}

/* A file handle on the wire (nfs_fh4, at most NFS4_FHSIZE bytes). */
static inline bool nfs4_dec_fh(struct xdr_dec *d, struct nfs4_opaque *fh)
{
	return nfs4_dec_opaque(d, NFS4_FHSIZE, fh);
}

/* verifier4: NFS4_VERIFIER_SIZE bytes, copied. */
struct nfs4_verifier {
	uint8_t data[NFS4_VERIFIER_SIZE];
};

bool nfs4_enc_verifier(struct xdr_enc *e, const struct nfs4_verifier *v);
bool nfs4_dec_verifier(struct xdr_dec *d, struct nfs4_verifier *v);

/* fattr4 with its values left encoded: the bitmap and the attrlist4 bytes.
 * xdr/nfs4_fattr.h interprets the values.  extra: the decoded mask had bits
 * past the words Ferry knows (see nfs4_decode_bitmap); encoding ignores it.
 * It travels with the attributes so every operation that carries a fattr4
 * answers for those bits the same way. */
struct nfs4_fattr_raw {
	struct nfs4_bitmap mask;
	struct nfs4_opaque vals;
	bool extra;
};

bool nfs4_enc_fattr_raw(struct xdr_enc *e, const struct nfs4_fattr_raw *v);
bool nfs4_dec_fattr_raw(struct xdr_dec *d, struct nfs4_fattr_raw *v);

/* change_info4 */
struct nfs4_change_info {
	bool atomic;
	uint64_t before, after;
};

bool nfs4_enc_change_info(struct xdr_enc *e, const struct nfs4_change_info *v);
bool nfs4_dec_change_info(struct xdr_dec *d, struct nfs4_change_info *v);

/* Arguments (and results) that are one value of one XDR type, the same
 * bytes for every operation that carries them; the operations' own names
 * (nfs4_OP_args and its nfs4_enc_/nfs4_dec_ pair) are aliases next to each
 * operation. */

/* component4 or xattrkey4: LOOKUP, SECINFO, REMOVE, LINK, GETXATTR, REMOVEXATTR. */
struct nfs4_name_args {
	struct nfs4_opaque name;
};
bool nfs4_enc_name_args(struct xdr_enc *e, const struct nfs4_name_args *v);
bool nfs4_dec_name_args(struct xdr_dec *d, struct nfs4_name_args *v);

/* stateid4: DELEGRETURN, FREE_STATEID, OFFLOAD_CANCEL, OFFLOAD_STATUS; also
 * the result of OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE, LOCK and LOCKU
 * (nfs4_stateid_res). */
struct nfs4_stateid_args {
	struct nfs4_stateid stateid;
};
bool nfs4_enc_stateid_args(struct xdr_enc *e, const struct nfs4_stateid_args *v);
bool nfs4_dec_stateid_args(struct xdr_dec *d, struct nfs4_stateid_args *v);

/* clientid4: DELEGPURGE, DESTROY_CLIENTID, RENEW. */
struct nfs4_clientid_args {
	uint64_t clientid;
};
bool nfs4_enc_clientid_args(struct xdr_enc *e, const struct nfs4_clientid_args *v);
bool nfs4_dec_clientid_args(struct xdr_dec *d, struct nfs4_clientid_args *v);
/* --- COMPOUND (RFC 7530 16.2, RFC 8881 16.2) ---------------------------------- */

/* COMPOUND4args up to its operations. */
struct nfs4_compound_args_hdr {
	struct nfs4_opaque tag;
	uint32_t minor;
	uint32_t numops;
};

/* The tag is bounded only by the record (it is echoed as sent). */
bool nfs4_dec_compound_args_hdr(struct xdr_dec *d, struct nfs4_compound_args_hdr *h);

/* COMPOUND4res up to its results. */
struct nfs4_compound_res_hdr {
	uint32_t status;
	struct nfs4_opaque tag;
	uint32_t numres;
};

bool nfs4_dec_compound_res_hdr(struct xdr_dec *d, struct nfs4_compound_res_hdr *h);

/* Building a COMPOUND (or CB_COMPOUND) whose operation count is known only at
 * the end: begin encodes the header with a zero count and remembers where it
 * is, nfs4_enc_op counts each operation, end writes the count. */
struct nfs4_compound_enc {
	struct xdr_enc *e;
	size_t count_off;
	uint32_t count;
};

bool nfs4_enc_compound_args_begin(struct nfs4_compound_enc *c, struct xdr_enc *e,
				  struct nfs4_opaque tag, uint32_t minor);
/* Starts one operation: its number (the caller encodes the arguments). */
bool nfs4_enc_op(struct nfs4_compound_enc *c, uint32_t opnum);
void nfs4_enc_compound_end(struct nfs4_compound_enc *c);

/* The server's side of COMPOUND4res: status and count are patched at the end
 * (nfs4_enc_compound_res_finish) since they depend on what ran. */
struct nfs4_compound_res_enc {
	struct xdr_enc *e;
	size_t status_off, count_off;
	uint32_t count;
};

bool nfs4_enc_compound_res_begin(struct nfs4_compound_res_enc *r, struct xdr_enc *e,
				 struct nfs4_opaque tag);
/* Starts one result: opnum and status.  Returns the offset of the status so
 * it can be patched (nfs4_enc_op_res_patch) once the operation has run. */
size_t nfs4_enc_op_res(struct nfs4_compound_res_enc *r, uint32_t opnum, uint32_t status);
void nfs4_enc_op_res_patch(struct nfs4_compound_res_enc *r, size_t status_off, uint32_t status);
void nfs4_enc_compound_res_finish(struct nfs4_compound_res_enc *r, uint32_t status);

/* An operation's number (arguments side). */
static inline bool nfs4_dec_op(struct xdr_dec *d, uint32_t *opnum)
{
	return xdr_decode_u32(d, opnum);
}

/* One result's opnum and status; when the status calls for a body, its
 * nfs4_dec_OP_res follows. */
static inline bool nfs4_dec_op_res(struct xdr_dec *d, uint32_t *opnum, uint32_t *status)
{
	return xdr_decode_u32(d, opnum) && xdr_decode_u32(d, status);
}

/* --- CB_COMPOUND (RFC 7530 16.2 of the callback program, RFC 8881 20.2) ------- */

struct nfs4_cb_compound_args_hdr {
	struct nfs4_opaque tag;
	uint32_t minor;
	uint32_t callback_ident; /* v4.0: SETCLIENTID's; v4.1: ignored, 0 */
	uint32_t numops;
};

bool nfs4_enc_cb_compound_args_begin(struct nfs4_compound_enc *c, struct xdr_enc *e,
				     struct nfs4_opaque tag, uint32_t minor,
				     uint32_t callback_ident);
bool nfs4_dec_cb_compound_args_hdr(struct xdr_dec *d, struct nfs4_cb_compound_args_hdr *h);

/* CB_COMPOUND4res has COMPOUND4res's shape: nfs4_compound_res_enc and
 * nfs4_dec_compound_res_hdr serve both. */

/* Names for logs and tools: "NFS4ERR_DELAY", "OP_LOOKUP", "CB_RECALL"; a
 * number Ferry does not know comes back as NULL. */
const char *nfs4_status_name(uint32_t status);
const char *nfs4_op_name(uint32_t opnum);
const char *nfs4_cb_op_name(uint32_t opnum);

#endif
