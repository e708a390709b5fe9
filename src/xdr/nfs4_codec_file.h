/* NFSv4 operations on files, directories and their state (RFC 7530 16,
 * RFC 8881 18, RFC 7862 15, RFC 8276 8): arguments and results, both
 * directions.  Naming and decoding rules are those of xdr/nfs4_codec.h.
 *
 * Operations without arguments (PUTROOTFH, PUTPUBFH, GETFH, SAVEFH,
 * RESTOREFH, LOOKUPP, READLINK) are only nfs4_enc_op; results that are the
 * status alone (PUTFH, PUTROOTFH, PUTPUBFH, SAVEFH, RESTOREFH, LOOKUP,
 * LOOKUPP, OPENATTR, VERIFY, NVERIFY, DELEGRETURN, DELEGPURGE, ALLOCATE,
 * DEALLOCATE, CLONE, OFFLOAD_CANCEL, LOCKT on NFS4_OK) have no _res functions.
 * SECINFO's result list is struct nfs4_secinfo_res in xdr/nfs4_codec_session.h.
 *
 * Names (component4, xattrkey4) are bounded only by the bytes present: the
 * RFC leaves them unbounded (utf8str_cs), and a name too long for the server
 * is the handler's NFS4ERR_NAMETOOLONG, which clients expect, not BADXDR.
 * Owners (opaque<NFS4_OPAQUE_LIMIT>), an ACE's who and COPY's netloc4
 * strings are bounded by NFS4_OPAQUE_LIMIT so a hostile length is refused
 * before anything looks at it; file handles by NFS4_FHSIZE; file data,
 * symlink text and xattr values only by the bytes present. */
#ifndef FERRY_XDR_NFS4_CODEC_FILE_H
#define FERRY_XDR_NFS4_CODEC_FILE_H

#include "xdr/nfs4_codec.h"

/* component4, xattrkey4: the record bounds them. */
static inline bool nfs4_dec_component(struct xdr_dec *d, struct nfs4_opaque *name)
{
	return nfs4_dec_opaque(d, UINT32_MAX, name);
}

/* Owners, an ACE's who, netloc4 strings: opaque<NFS4_OPAQUE_LIMIT>. */
static inline bool nfs4_dec_bounded_str(struct xdr_dec *d, struct nfs4_opaque *s)
{
	return nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, s);
}

/* --- file handles and lookups --------------------------------------------------- */

struct nfs4_putfh_args {
	struct nfs4_opaque fh;
};
bool nfs4_enc_putfh_args(struct xdr_enc *e, const struct nfs4_putfh_args *v);
bool nfs4_dec_putfh_args(struct xdr_dec *d, struct nfs4_putfh_args *v);

/* GETFH4resok is PUTFH4args: one nfs_fh4. */
#define nfs4_getfh_res nfs4_putfh_args
#define nfs4_enc_getfh_res nfs4_enc_putfh_args
#define nfs4_dec_getfh_res nfs4_dec_putfh_args

/* LOOKUP, SECINFO: the name looked up. */
#define nfs4_lookup_args nfs4_name_args
#define nfs4_enc_lookup_args nfs4_enc_name_args
#define nfs4_dec_lookup_args nfs4_dec_name_args
#define nfs4_secinfo_args nfs4_name_args
#define nfs4_enc_secinfo_args nfs4_enc_name_args
#define nfs4_dec_secinfo_args nfs4_dec_name_args

struct nfs4_openattr_args {
	bool createdir;
};
bool nfs4_enc_openattr_args(struct xdr_enc *e, const struct nfs4_openattr_args *v);
bool nfs4_dec_openattr_args(struct xdr_dec *d, struct nfs4_openattr_args *v);

/* --- attributes ---------------------------------------------------------------------- */

/* mask_extra: bits set past the words Ferry knows (see nfs4_decode_bitmap). */
struct nfs4_getattr_args {
	struct nfs4_bitmap mask;
	bool mask_extra;
};
bool nfs4_enc_getattr_args(struct xdr_enc *e, const struct nfs4_getattr_args *v);
bool nfs4_dec_getattr_args(struct xdr_dec *d, struct nfs4_getattr_args *v);

/* One fattr4: also VERIFY's and NVERIFY's arguments (below) and
 * CB_GETATTR's result (xdr/nfs4_codec_cb.h). */
struct nfs4_getattr_res {
	struct nfs4_fattr_raw attrs;
};
bool nfs4_enc_getattr_res(struct xdr_enc *e, const struct nfs4_getattr_res *v);
bool nfs4_dec_getattr_res(struct xdr_dec *d, struct nfs4_getattr_res *v);

struct nfs4_setattr_args {
	struct nfs4_stateid stateid;
	struct nfs4_fattr_raw attrs;
};
bool nfs4_enc_setattr_args(struct xdr_enc *e, const struct nfs4_setattr_args *v);
bool nfs4_dec_setattr_args(struct xdr_dec *d, struct nfs4_setattr_args *v);

/* SETATTR4res carries attrsset whatever the status: encode and decode it
 * after every SETATTR status, NFS4_OK or not. */
struct nfs4_setattr_res {
	struct nfs4_bitmap attrsset;
	bool mask_extra;
};
bool nfs4_enc_setattr_res(struct xdr_enc *e, const struct nfs4_setattr_res *v);
bool nfs4_dec_setattr_res(struct xdr_dec *d, struct nfs4_setattr_res *v);

/* VERIFY and NVERIFY: one fattr4. */
#define nfs4_verify_args nfs4_getattr_res
#define nfs4_enc_verify_args nfs4_enc_getattr_res
#define nfs4_dec_verify_args nfs4_dec_getattr_res

struct nfs4_access_args {
	uint32_t access; /* ACCESS4_* */
};
bool nfs4_enc_access_args(struct xdr_enc *e, const struct nfs4_access_args *v);
bool nfs4_dec_access_args(struct xdr_dec *d, struct nfs4_access_args *v);

struct nfs4_access_res {
	uint32_t supported, access;
};
bool nfs4_enc_access_res(struct xdr_enc *e, const struct nfs4_access_res *v);
bool nfs4_dec_access_res(struct xdr_dec *d, struct nfs4_access_res *v);

/* --- READDIR -------------------------------------------------------------------------- */

struct nfs4_readdir_args {
	uint64_t cookie;
	struct nfs4_verifier cookieverf;
	uint32_t dircount, maxcount;
	struct nfs4_bitmap attr_request;
	bool mask_extra;
};
bool nfs4_enc_readdir_args(struct xdr_enc *e, const struct nfs4_readdir_args *v);
bool nfs4_dec_readdir_args(struct xdr_dec *d, struct nfs4_readdir_args *v);

/* The server builds READDIR4resok one entry at a time and stops at the
 * first entry that would take the reply past maxcount (counted from the
 * verifier to eof, as RFC 8881 18.23.3 does) or, once one entry is in, the
 * cookie + name bytes past dircount (0: no dircount limit). */
struct nfs4_readdir_enc {
	struct xdr_enc *e;
	size_t start;      /* offset of the verifier */
	size_t entry_mark; /* offset of the entry being built */
	uint32_t maxcount, dircount;
	uint32_t dirbytes;       /* cookie + name bytes of the entries kept */
	uint32_t entry_dirbytes; /* the same for the entry being built */
	uint32_t count; /* entries kept */
};

bool nfs4_enc_readdir_begin(struct nfs4_readdir_enc *r, struct xdr_enc *e,
			    const struct nfs4_verifier *cookieverf, uint32_t dircount,
			    uint32_t maxcount);
/* One entry in two steps so the caller can encode its fattr4 straight into
 * r->e between them: entry_begin encodes the cookie and name (false when
 * dircount is spent: nothing written); entry_end keeps the entry or, when it
 * does not fit maxcount or the buffer, removes it and returns false (an
 * overflow it caused is cleared, so the reply can still be finished). */
bool nfs4_enc_readdir_entry_begin(struct nfs4_readdir_enc *r, uint64_t cookie,
				  struct nfs4_opaque name);
bool nfs4_enc_readdir_entry_end(struct nfs4_readdir_enc *r);
/* Drops the entry being built (its attributes could not be had). */
void nfs4_enc_readdir_entry_cancel(struct nfs4_readdir_enc *r);
/* The bytes of the entry entry_end kept last (from its list marker to the
 * end of its attributes), valid until the encoder writes again. */
const uint8_t *nfs4_enc_readdir_entry_bytes(const struct nfs4_readdir_enc *r, size_t *len);
/* An entry whole, as entry_bytes gave it from an earlier reply (namelen:
 * its name's length, for dircount); false, with nothing written, when it
 * does not fit, as entry_begin and entry_end. */
bool nfs4_enc_readdir_entry_copy(struct nfs4_readdir_enc *r, const void *bytes, size_t len,
				 size_t namelen);
/* Both steps with attributes already encoded. */
bool nfs4_enc_readdir_entry(struct nfs4_readdir_enc *r, uint64_t cookie, struct nfs4_opaque name,
			    const struct nfs4_fattr_raw *attrs);
/* Ends the list and writes eof.  False on overflow or past maxcount (the
 * caller answers NFS4ERR_TOOSMALL, as it does for count 0 without eof). */
bool nfs4_enc_readdir_finish(struct nfs4_readdir_enc *r, bool eof);

struct nfs4_dirent {
	uint64_t cookie;
	struct nfs4_opaque name;
	struct nfs4_fattr_raw attrs;
};

/* The decoder checks the whole entry list once and leaves `entries` on its
 * first entry; nfs4_readdir_res_next then walks it without further checks.
 * A client that only continues the listing needs no second walk: the check
 * keeps the last cookie. */
struct nfs4_readdir_res {
	struct nfs4_verifier cookieverf;
	uint32_t count;
	uint64_t last_cookie; /* the last entry's, where the next READDIR resumes; 0 if none */
	bool eof;
	struct xdr_dec entries;
};
bool nfs4_dec_readdir_res(struct xdr_dec *d, struct nfs4_readdir_res *r);
/* False once every entry has been returned. */
bool nfs4_readdir_res_next(struct nfs4_readdir_res *r, struct nfs4_dirent *ent);

/* --- namespace changes ---------------------------------------------------------------- */

struct nfs4_specdata {
	uint32_t major, minor;
};

/* createtype4: linkdata for NF4LNK, specdata for NF4BLK/NF4CHR. */
struct nfs4_create_args {
	uint32_t type; /* nfs_ftype4 */
	struct nfs4_opaque linkdata;
	struct nfs4_specdata devdata;
	struct nfs4_opaque name;
	struct nfs4_fattr_raw attrs;
};
bool nfs4_enc_create_args(struct xdr_enc *e, const struct nfs4_create_args *v);
bool nfs4_dec_create_args(struct xdr_dec *d, struct nfs4_create_args *v);

struct nfs4_create_res {
	struct nfs4_change_info cinfo;
	struct nfs4_bitmap attrset;
	bool mask_extra;
};
bool nfs4_enc_create_res(struct xdr_enc *e, const struct nfs4_create_res *v);
bool nfs4_dec_create_res(struct xdr_dec *d, struct nfs4_create_res *v);

#define nfs4_remove_args nfs4_name_args
#define nfs4_enc_remove_args nfs4_enc_name_args
#define nfs4_dec_remove_args nfs4_dec_name_args

/* REMOVE, LINK, SETXATTR and REMOVEXATTR answer one change_info4. */
struct nfs4_cinfo_res {
	struct nfs4_change_info cinfo;
};
bool nfs4_enc_cinfo_res(struct xdr_enc *e, const struct nfs4_cinfo_res *v);
bool nfs4_dec_cinfo_res(struct xdr_dec *d, struct nfs4_cinfo_res *v);
#define nfs4_remove_res nfs4_cinfo_res
#define nfs4_link_res nfs4_cinfo_res
#define nfs4_setxattr_res nfs4_cinfo_res
#define nfs4_removexattr_res nfs4_cinfo_res
#define nfs4_enc_remove_res nfs4_enc_cinfo_res
#define nfs4_dec_remove_res nfs4_dec_cinfo_res
#define nfs4_enc_link_res nfs4_enc_cinfo_res
#define nfs4_dec_link_res nfs4_dec_cinfo_res
#define nfs4_enc_setxattr_res nfs4_enc_cinfo_res
#define nfs4_dec_setxattr_res nfs4_dec_cinfo_res
#define nfs4_enc_removexattr_res nfs4_enc_cinfo_res
#define nfs4_dec_removexattr_res nfs4_dec_cinfo_res

struct nfs4_rename_args {
	struct nfs4_opaque oldname, newname;
};
bool nfs4_enc_rename_args(struct xdr_enc *e, const struct nfs4_rename_args *v);
bool nfs4_dec_rename_args(struct xdr_dec *d, struct nfs4_rename_args *v);

struct nfs4_rename_res {
	struct nfs4_change_info source_cinfo, target_cinfo;
};
bool nfs4_enc_rename_res(struct xdr_enc *e, const struct nfs4_rename_res *v);
bool nfs4_dec_rename_res(struct xdr_dec *d, struct nfs4_rename_res *v);

/* LINK: the new name. */
#define nfs4_link_args nfs4_name_args
#define nfs4_enc_link_args nfs4_enc_name_args
#define nfs4_dec_link_args nfs4_dec_name_args

struct nfs4_readlink_res {
	struct nfs4_opaque link;
};
bool nfs4_enc_readlink_res(struct xdr_enc *e, const struct nfs4_readlink_res *v);
bool nfs4_dec_readlink_res(struct xdr_dec *d, struct nfs4_readlink_res *v);

/* --- I/O ------------------------------------------------------------------------------ */

/* READ and READ_PLUS. */
struct nfs4_read_args {
	struct nfs4_stateid stateid;
	uint64_t offset;
	uint32_t count;
};
bool nfs4_enc_read_args(struct xdr_enc *e, const struct nfs4_read_args *v);
bool nfs4_dec_read_args(struct xdr_dec *d, struct nfs4_read_args *v);

struct nfs4_read_res {
	bool eof;
	struct nfs4_opaque data;
};
bool nfs4_enc_read_res(struct xdr_enc *e, const struct nfs4_read_res *v);
bool nfs4_dec_read_res(struct xdr_dec *d, struct nfs4_read_res *v);

/* The server reads straight into the reply: reserve returns where up to
 * count data bytes go (NULL on overflow) and remembers the spot in *off;
 * finish writes eof and the length actually read (got <= count) and trims
 * the reply to it.  Nothing else may be encoded in between (the buffer may
 * move on growth). */
uint8_t *nfs4_enc_read_res_reserve(struct xdr_enc *e, uint32_t count, size_t *off);
void nfs4_enc_read_res_finish(struct xdr_enc *e, size_t off, bool eof, uint32_t got);

struct nfs4_write_args {
	struct nfs4_stateid stateid;
	uint64_t offset;
	uint32_t stable; /* stable_how4; the decoder refuses others */
	struct nfs4_opaque data;
};
bool nfs4_enc_write_args(struct xdr_enc *e, const struct nfs4_write_args *a);
/* Everything up to and including the data length (a->data.len); the caller
 * sends a->data.len bytes and nfs4_write_pad(a->data.len) zero bytes after
 * it, e.g. as further iovecs, so the data is never copied. */
bool nfs4_enc_write_args_hdr(struct xdr_enc *e, const struct nfs4_write_args *a);
static inline uint32_t nfs4_write_pad(uint32_t len) { return (uint32_t)(xdr_pad4(len) - len); }
bool nfs4_dec_write_args(struct xdr_dec *d, struct nfs4_write_args *a);
/* The same head and the data length, not the data: a->data.data is NULL and
 * d is left at the data's first byte, which need not be in d's bytes yet
 * (finding where a WRITE's data starts before it has arrived). */
bool nfs4_dec_write_args_hdr(struct xdr_dec *d, struct nfs4_write_args *a);

struct nfs4_write_res {
	uint32_t count;
	uint32_t committed;
	struct nfs4_verifier writeverf;
};
bool nfs4_enc_write_res(struct xdr_enc *e, const struct nfs4_write_res *v);
bool nfs4_dec_write_res(struct xdr_dec *d, struct nfs4_write_res *v);

struct nfs4_commit_args {
	uint64_t offset;
	uint32_t count;
};
bool nfs4_enc_commit_args(struct xdr_enc *e, const struct nfs4_commit_args *v);
bool nfs4_dec_commit_args(struct xdr_dec *d, struct nfs4_commit_args *v);

struct nfs4_commit_res {
	struct nfs4_verifier writeverf;
};
bool nfs4_enc_commit_res(struct xdr_enc *e, const struct nfs4_commit_res *v);
bool nfs4_dec_commit_res(struct xdr_dec *d, struct nfs4_commit_res *v);

#include "xdr/nfs4_codec_file_open.h"
#include "xdr/nfs4_codec_file_v42.h"

#endif
