/* fattr4 attribute values (RFC 7530 5, RFC 8881 5): the attrlist4 bytes of
 * a struct nfs4_fattr_raw, one typed field per attribute Ferry knows.
 *
 * Values sit back to back in bit order with no per-value length, so an
 * attribute whose type is unknown here ends decoding: the decoder reports
 * its number and the caller answers as for an unsupported attribute
 * (NFS4ERR_ATTRNOTSUPP on SETATTR, say).  Opaque values (owner,
 * owner_group, filehandle) point into the decoded bytes. */
#ifndef FERRY_XDR_NFS4_FATTR_H
#define FERRY_XDR_NFS4_FATTR_H

#include "xdr/nfs4_codec.h"

/* settime4: time only for SET_TO_CLIENT_TIME4. */
struct nfs4_settime {
	uint32_t how;
	struct timespec time;
};

/* open_arguments4 (RFC 9754): what OPEN accepts, one bitmap per argument
 * (bit n set: value n of the argument's enum is supported). */
struct nfs4_open_arguments {
	struct nfs4_bitmap share_access, share_deny, share_access_want, open_claim,
		create_mode;
};

/* An ACL (nfsace4<>) as its XDR bytes: count ACEs in aces, each checked
 * when decoded (nfs4_acl_next then walks them), written as they are when
 * encoded (nfs4_ace_encode makes them). */
struct nfs4_acl {
	uint32_t count;
	struct nfs4_opaque aces;
};

/* A POSIX ACL (posixace4<>, draft-ietf-nfsv4-posix-acls) as its XDR
 * bytes, like struct nfs4_acl: each ACE checked when decoded (a known
 * tag, no permission bit beyond rwx, a who on USER and GROUP entries). */
struct nfs4_posix_acl {
	uint32_t count;
	struct nfs4_opaque aces;
};

/* nfsacl41 (dacl, sacl): ACL4_* flags and the ACL. */
struct nfs4_acl41 {
	uint32_t flag;
	struct nfs4_acl acl;
};

struct nfs4_fsid {
	uint64_t major, minor;
};

/* present says which fields hold a value: FATTR4_* bit numbers. */
struct nfs4_attrs {
	struct nfs4_bitmap present;
	struct nfs4_bitmap supported_attrs;
	uint32_t type; /* nfs_ftype4 */
	uint32_t fh_expire_type;
	uint64_t change;
	uint64_t size;
	bool link_support, symlink_support, named_attr;
	struct nfs4_fsid fsid;
	bool unique_handles;
	uint32_t lease_time;
	uint32_t rdattr_error; /* nfsstat4 */
	struct nfs4_acl acl;
	uint32_t aclsupport;
	bool cansettime, case_insensitive, case_preserving, chown_restricted;
	struct nfs4_opaque filehandle;
	uint64_t fileid;
	uint64_t files_avail, files_free, files_total;
	bool homogeneous;
	uint64_t maxfilesize;
	uint32_t maxlink, maxname;
	uint64_t maxread, maxwrite;
	uint32_t mode;
	bool no_trunc;
	uint32_t numlinks;
	struct nfs4_opaque owner, owner_group;
	uint32_t rawdev_major, rawdev_minor;
	uint64_t space_avail, space_free, space_total, space_used;
	struct timespec time_access;
	struct nfs4_settime time_access_set;
	struct timespec time_create, time_delta, time_metadata, time_modify;
	struct nfs4_settime time_modify_set;
	uint64_t mounted_on_fileid;
	struct nfs4_bitmap suppattr_exclcreat;
	struct timespec time_deleg_access, time_deleg_modify; /* RFC 9754 */
	struct {
		uint32_t value, mask; /* mode_masked4: the bits of mask take value's */
	} mode_set_masked;
	uint32_t clone_blksize;    /* RFC 7862 12.2 */
	uint64_t space_freed;
	uint32_t change_attr_type; /* change_attr_type4 */
	struct nfs4_open_arguments open_arguments;
	bool xattr_support; /* RFC 8276 */
	struct nfs4_acl41 dacl; /* RFC 8881 5.7 */
	/* draft-ietf-nfsv4-posix-acls */
	uint32_t acl_trueform;       /* ACL_MODEL_* */
	uint32_t acl_trueform_scope; /* ACL_SCOPE_* */
	struct nfs4_posix_acl posix_default_acl, posix_access_acl;
};

/* Decodes an ACL (nfsace4<>), checking every ACE. */
bool nfs4_acl_decode(struct xdr_dec *d, struct nfs4_acl *acl);

/* The next ACE of a decoded ACL's bytes (d over acl.aces); false past the
 * last. */
bool nfs4_acl_next(struct xdr_dec *d, struct nfs4_ace *out);

/* Appends one ACE's XDR bytes. */
bool nfs4_ace_encode(struct xdr_enc *e, const struct nfs4_ace *a);

/* The same for a POSIX ACL (posixace4<>). */
bool nfs4_posix_acl_decode(struct xdr_dec *d, struct nfs4_posix_acl *acl);
bool nfs4_posix_acl_next(struct xdr_dec *d, struct nfs4_posix_ace *out);
bool nfs4_posix_ace_encode(struct xdr_enc *e, const struct nfs4_posix_ace *a);

/* True for the attributes struct nfs4_attrs has a field for. */
bool nfs4_fattr_known(unsigned bit);

/* Decodes the values of the attributes in mask from vals into *attrs
 * (present becomes mask).  False when an attribute is not known here
 * (*bad_bit is its number) or the values are malformed, short or followed
 * by extra bytes (*bad_bit is UINT32_MAX). */
bool nfs4_fattr_decode_values(const struct nfs4_bitmap *mask, struct nfs4_opaque vals,
			      struct nfs4_attrs *attrs, uint32_t *bad_bit);

/* Encodes the values of the attributes in mask, in bit order.  Every one of
 * them must be known and present in attrs: false otherwise, or on overflow. */
bool nfs4_fattr_encode_values(const struct nfs4_attrs *attrs, const struct nfs4_bitmap *mask,
			      struct xdr_enc *e);

/* A whole fattr4: the bitmap of mask's attributes that attrs holds, then
 * their values as attrlist4. */
bool nfs4_fattr_encode_attrs(const struct nfs4_attrs *attrs, const struct nfs4_bitmap *mask,
		       struct xdr_enc *e);

static inline void nfs4_attrs_set(struct nfs4_attrs *a, unsigned bit)
{
	nfs4_bitmap_set(&a->present, bit);
}

#endif
