/* fattr4: encoding the attributes GETATTR and READDIR return, decoding the
 * ones SETATTR, CREATE and OPEN set, and comparing for VERIFY/NVERIFY. */
#ifndef FERRY_NFS4_FATTR_H
#define FERRY_NFS4_FATTR_H

#include "backend/backend.h"
#include "nfs4/compound.h"
#include "xdr/nfs4_types.h"

enum nfs4_fattr {
	FATTR4_SUPPORTED_ATTRS = 0,
	FATTR4_TYPE = 1,
	FATTR4_FH_EXPIRE_TYPE = 2,
	FATTR4_CHANGE = 3,
	FATTR4_SIZE = 4,
	FATTR4_LINK_SUPPORT = 5,
	FATTR4_SYMLINK_SUPPORT = 6,
	FATTR4_NAMED_ATTR = 7,
	FATTR4_FSID = 8,
	FATTR4_UNIQUE_HANDLES = 9,
	FATTR4_LEASE_TIME = 10,
	FATTR4_RDATTR_ERROR = 11,
	FATTR4_ACL = 12,
	FATTR4_ACLSUPPORT = 13,
	FATTR4_ARCHIVE = 14,
	FATTR4_CANSETTIME = 15,
	FATTR4_CASE_INSENSITIVE = 16,
	FATTR4_CASE_PRESERVING = 17,
	FATTR4_CHOWN_RESTRICTED = 18,
	FATTR4_FILEHANDLE = 19,
	FATTR4_FILEID = 20,
	FATTR4_FILES_AVAIL = 21,
	FATTR4_FILES_FREE = 22,
	FATTR4_FILES_TOTAL = 23,
	FATTR4_FS_LOCATIONS = 24,
	FATTR4_HIDDEN = 25,
	FATTR4_HOMOGENEOUS = 26,
	FATTR4_MAXFILESIZE = 27,
	FATTR4_MAXLINK = 28,
	FATTR4_MAXNAME = 29,
	FATTR4_MAXREAD = 30,
	FATTR4_MAXWRITE = 31,
	FATTR4_MIMETYPE = 32,
	FATTR4_MODE = 33,
	FATTR4_NO_TRUNC = 34,
	FATTR4_NUMLINKS = 35,
	FATTR4_OWNER = 36,
	FATTR4_OWNER_GROUP = 37,
	FATTR4_QUOTA_AVAIL_HARD = 38,
	FATTR4_QUOTA_AVAIL_SOFT = 39,
	FATTR4_QUOTA_USED = 40,
	FATTR4_RAWDEV = 41,
	FATTR4_SPACE_AVAIL = 42,
	FATTR4_SPACE_FREE = 43,
	FATTR4_SPACE_TOTAL = 44,
	FATTR4_SPACE_USED = 45,
	FATTR4_SYSTEM = 46,
	FATTR4_TIME_ACCESS = 47,
	FATTR4_TIME_ACCESS_SET = 48,
	FATTR4_TIME_BACKUP = 49,
	FATTR4_TIME_CREATE = 50,
	FATTR4_TIME_DELTA = 51,
	FATTR4_TIME_METADATA = 52,
	FATTR4_TIME_MODIFY = 53,
	FATTR4_TIME_MODIFY_SET = 54,
	FATTR4_MOUNTED_ON_FILEID = 55,
	FATTR4_SUPPATTR_EXCLCREAT = 75,
};

/* nfs_ftype4 */
enum { NF4REG = 1, NF4DIR, NF4BLK, NF4CHR, NF4LNK, NF4SOCK, NF4FIFO, NF4ATTRDIR, NF4NAMEDATTR };

enum { NFS4_MAX_IO = 1024 * 1024 }; /* maxread / maxwrite */

/* Attributes of the object fh names: from the back end, or made up for a
 * pseudo-fs directory. */
enum nfsstat4 nfs4_fh_getattr(struct nfs4_compound *c, const struct nfs4_fh *fh,
			      struct backend_attr *attr);

/* Encodes fattr4 (bitmap of what is returned + the values) for the object
 * fh with attributes attr.  Requested attributes Ferry does not support are
 * left out, as the RFC says.  rdattr_error (READDIR) is encoded as OK. */
enum nfsstat4 nfs4_fattr_encode(struct nfs4_compound *c, const struct nfs4_fh *fh,
				const struct backend_attr *attr, const struct nfs4_bitmap *want,
				struct xdr_enc *e);

/* Attributes a client asks to set. */
struct nfs4_sattr {
	struct nfs4_bitmap mask; /* the attributes present, to report as attrsset */
	struct backend_setattr sa;
};

/* Decodes a fattr4 to set.  NFS4ERR_ATTRNOTSUPP for an attribute Ferry does
 * not support, NFS4ERR_INVAL for a read-only one, NFS4ERR_BADOWNER for an
 * owner it cannot map, NFS4ERR_BADXDR for garbage. */
enum nfsstat4 nfs4_fattr_decode_set(struct nfs4_compound *c, struct xdr_dec *d,
				    struct nfs4_sattr *out);

/* VERIFY (want_same) / NVERIFY: NFS4_OK when the client's attributes match
 * (VERIFY) or differ (NVERIFY); NFS4ERR_NOT_SAME / NFS4ERR_SAME otherwise. */
enum nfsstat4 nfs4_fattr_verify(struct nfs4_compound *c, struct xdr_dec *d, bool want_same);

/* The set of attributes Ferry supports for minor version c->minor. */
void nfs4_fattr_supported(const struct nfs4_compound *c, struct nfs4_bitmap *out);

#endif
