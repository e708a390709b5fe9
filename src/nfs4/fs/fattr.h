/* fattr4: encoding the attributes GETATTR and READDIR return, decoding the
 * ones SETATTR, CREATE and OPEN set, and comparing for VERIFY/NVERIFY. */
#ifndef FERRY_NFS4_FATTR_H
#define FERRY_NFS4_FATTR_H

#include "backend/backend.h"
#include "nfs4/engine/compound.h"
#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_fattr.h"

enum { NFS4_MAX_IO = 1024 * 1024 }; /* maxread / maxwrite */

/* Attributes of the object fh names: from the back end, or made up for a
 * pseudo-fs directory. */
enum nfsstat4 nfs4_fh_getattr(struct nfs4_compound *c, const struct fh *fh,
			      struct backend_attr *attr);

/* Encodes fattr4 (bitmap of what is returned + the values) for the object
 * fh with attributes attr.  Requested attributes Ferry does not support are
 * left out, as the RFC says.  rdattr_error (READDIR) is encoded as OK. */
enum nfsstat4 nfs4_fattr_encode(struct nfs4_compound *c, const struct fh *fh,
				const struct backend_attr *attr, const struct nfs4_bitmap *want,
				struct xdr_enc *e);
/* The same for minor version minor of server srv, outside any COMPOUND (a
 * change made on the host, told to directory delegation holders). */
enum nfsstat4 nfs4_fattr_encode_as(const struct nfs4_server *srv, uint32_t minor,
				   const struct fh *fh, const struct backend_attr *attr,
				   const struct nfs4_bitmap *want, struct xdr_enc *e);

/* Attributes a client asks to set. */
struct nfs4_sattr {
	struct nfs4_bitmap mask; /* the attributes present, to report as attrsset */
	struct backend_setattr sa;
	/* time_deleg_access or time_deleg_modify given (RFC 9754): allowed
	 * only with the caller's ATTRS_DELEG delegation stateid. */
	bool deleg_times;
	/* An attribute that sets ACLs given: acl or dacl (its ACEs in acl),
	 * or posix_access_acl and posix_default_acl (in posix_access and
	 * posix_default), in the request's bytes; nfs4_acl_map_sattr
	 * (nfs4/fs/acl.h) maps them once the object's type is known. */
	bool has_acl;
	struct nfs4_acl acl;
	bool has_posix_access, has_posix_default;
	struct nfs4_posix_acl posix_access, posix_default;
};

/* An owner or group string (FATTR4_OWNER, an ACE's who) to its id:
 * "1234", "1234@domain" or "name@domain" of srv's domain, looked up in the
 * host's user or group database.  NFS4ERR_INVAL for an empty one,
 * NFS4ERR_BADOWNER for one that maps to nobody. */
enum nfsstat4 nfs4_owner_decode(const struct nfs4_server *srv, const uint8_t *s, uint32_t len,
				bool group, uint32_t *id);

/* An id as the owner string Ferry sends (its decimal digits, in s). */
struct nfs4_opaque nfs4_owner_string(char s[16], uint32_t id);

/* Interprets a decoded fattr4 to set (mask_extra: bits past the words Ferry
 * knows).  NFS4ERR_ATTRNOTSUPP for an attribute Ferry does not support,
 * NFS4ERR_INVAL for a read-only one, NFS4ERR_BADOWNER for an owner it
 * cannot map, NFS4ERR_BADXDR for values that do not match the mask. */
enum nfsstat4 nfs4_fattr_decode_set(struct nfs4_compound *c, const struct nfs4_fattr_raw *f,
				    bool mask_extra, struct nfs4_sattr *out);

/* VERIFY (want_same) / NVERIFY: NFS4_OK when the client's attributes match
 * (VERIFY) or differ (NVERIFY); NFS4ERR_NOT_SAME / NFS4ERR_SAME otherwise. */
enum nfsstat4 nfs4_fattr_verify(struct nfs4_compound *c, const struct nfs4_fattr_raw *f,
				bool mask_extra, bool want_same);

/* The set of attributes Ferry supports for minor version c->minor. */
void nfs4_fattr_supported(const struct nfs4_compound *c, struct nfs4_bitmap *out);

#endif
