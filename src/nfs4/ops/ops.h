/* Operation handlers that do not keep client state (see ops_state.h for
 * those that do).  Each serves decoded arguments (NFS4_SERVE in compound.h). */
#ifndef FERRY_NFS4_OPS_H
#define FERRY_NFS4_OPS_H

#include "nfs4/engine/compound.h"
#include "xdr/nfs4_codec_file.h"

/* ops_fh.c */
NFS4_SERVE_DECL(putfh);
NFS4_SERVE_DECL(putrootfh);
NFS4_SERVE_DECL(putpubfh);
NFS4_SERVE_DECL(getfh);
NFS4_SERVE_DECL(savefh);
NFS4_SERVE_DECL(restorefh);
NFS4_SERVE_DECL(lookup);
NFS4_SERVE_DECL(lookupp);
NFS4_SERVE_DECL(secinfo);
NFS4_SERVE_DECL(openattr);
/* ops_attr.c */
NFS4_SERVE_DECL(getattr);
NFS4_SERVE_DECL(setattr_wire);
NFS4_SERVE_DECL(verify);
NFS4_SERVE_DECL(nverify);
NFS4_SERVE_DECL(access);
/* ops_dir.c */
NFS4_SERVE_DECL(readdir);
NFS4_SERVE_DECL(create);
NFS4_SERVE_DECL(remove);
NFS4_SERVE_DECL(rename);
NFS4_SERVE_DECL(link);
NFS4_SERVE_DECL(readlink);
/* ops_deleg.c */
NFS4_SERVE_DECL(delegreturn);
NFS4_SERVE_DECL(delegpurge);
/* ops_io.c */
NFS4_SERVE_DECL(read);
NFS4_SERVE_DECL(write);
NFS4_SERVE_DECL(commit);
/* ops_xattr.c (RFC 8276) */
NFS4_SERVE_DECL(getxattr);
NFS4_SERVE_DECL(setxattr);
NFS4_SERVE_DECL(listxattrs);
NFS4_SERVE_DECL(removexattr);
/* ops_copy.c (NFSv4.2) */
NFS4_SERVE_DECL(copy);
NFS4_SERVE_DECL(offload_status);
NFS4_SERVE_DECL(offload_cancel);
/* ops_io42.c: NFSv4.2 (RFC 7862).  A READ_PLUS reply holds at most
 * NFS4_READ_PLUS_SEGMENTS_MAX segments, so that its estimate (optable.c)
 * bounds it; a range more fragmented than that is answered in part
 * (rpr_eof false) and the client asks for the rest. */
enum { NFS4_READ_PLUS_SEGMENTS_MAX = 64 };
NFS4_SERVE_DECL(allocate);
NFS4_SERVE_DECL(deallocate);
NFS4_SERVE_DECL(seek);
NFS4_SERVE_DECL(read_plus);
NFS4_SERVE_DECL(clone);
NFS4_SERVE_DECL(io_advise);

/* SETATTR's arguments as the op table hands them over: SETATTR4res carries
 * attrsset whatever the status, NFS4ERR_BADXDR included, so arguments that
 * do not decode still reach the handler, marked undecoded, and the handler
 * answers BADXDR with an empty attrsset. */
struct nfs4_setattr_wire_args {
	struct nfs4_setattr_args args;
	bool decoded;
};
bool nfs4_dec_setattr_wire_args(struct xdr_dec *d, struct nfs4_setattr_wire_args *w);

/* SECINFO4resok and SECINFO_NO_NAME4resok: the flavors every export
 * takes (ops_session.c). */
void nfs4_enc_export_flavors(struct xdr_enc *res);

/* Shared checks (ops_common.c). */

/* The current fh must be an object of an export, not of the pseudo-fs
 * (NFS4ERR_INVAL, or NFS4ERR_ROFS when for_write); for_write also needs a
 * read-write export. */
enum nfsstat4 nfs4_need_export_object(struct nfs4_compound *c, bool for_write);

/* Checks a decoded component4 and copies it NUL-terminated into name. */
enum nfsstat4 nfs4_name_from_wire(struct nfs4_opaque wire, char name[BACKEND_NAME_MAX + 1]);

/* Checks an xattrkey4 (RFC 8276) and copies it NUL-terminated into name:
 * NFS4ERR_INVAL when empty or holding a NUL, NFS4ERR_NAMETOOLONG past
 * what the host's "user." namespace takes (ops_xattr.c). */
enum nfsstat4 nfs4_xattr_name_from_wire(struct nfs4_opaque wire,
					char name[BACKEND_XATTR_NAME_MAX + 1]);

/* The error for an object of type have where an operation needs one of
 * type want (a directory or a regular file): NFS4ERR_SYMLINK for a
 * symbolic link, else NFS4ERR_NOTDIR where a directory is needed,
 * NFS4ERR_ISDIR for a directory where a file is, NFS4ERR_INVAL for other
 * types.  Inline: the request path's operations ask it every time. */
static inline enum nfsstat4 nfs4_type_error(enum backend_ftype have, enum backend_ftype want)
{
	if (have == want)
		return NFS4_OK;
	if (have == BACKEND_LNK)
		return NFS4ERR_SYMLINK;
	if (want == BACKEND_DIR)
		return NFS4ERR_NOTDIR;
	return have == BACKEND_DIR ? NFS4ERR_ISDIR : NFS4ERR_INVAL;
}

/* The current fh's attributes, which must be of a directory
 * (NFS4ERR_NOTDIR, or NFS4ERR_SYMLINK for a symbolic link). */
enum nfsstat4 nfs4_need_dir(struct nfs4_compound *c, struct backend_attr *attr);

/* A name in the current fh's directory: nfs4_need_dir, then the name as
 * nfs4_name_from_wire checks and copies it (a bad name only counts once
 * the directory is known to be one). */
enum nfsstat4 nfs4_need_dir_name(struct nfs4_compound *c, struct nfs4_opaque wire,
				 char name[BACKEND_NAME_MAX + 1], struct backend_attr *dattr);

/* change_info4 for a directory: before/after change values. */
struct nfs4_change_info nfs4_dir_change_info(uint64_t before, uint64_t after);

/* Validates the stateid of a READ, WRITE or SETATTR(size) against the
 * state of the current file.  sid is the one to use: a current stateid
 * given for it is already resolved (by the dispatcher for READ and WRITE,
 * by SETATTR itself). */
enum nfsstat4 nfs4_check_io_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				    bool write, uint64_t offset, uint64_t length);
/* The same for the file fh names (COPY's and CLONE's source is the saved fh). */
enum nfsstat4 nfs4_check_io_stateid_fh(struct nfs4_compound *c, const struct nfs4_fh *fh,
				       const struct nfs4_stateid *sid, bool write,
				       uint64_t offset, uint64_t length);

/* Data operations (ops_io.c). */

/* fh must name a regular file of an export (NFS4ERR_ISDIR for a
 * directory or the pseudo-fs, NFS4ERR_SYMLINK, NFS4ERR_INVAL for other
 * types); *attr gets its attributes. */
enum nfsstat4 nfs4_need_regular_attr(struct nfs4_compound *c, const struct nfs4_fh *fh,
				     struct backend_attr *attr);

/* After a change to the current file's data: directory-delegation holders
 * told of their entries' attributes learn the new ones. */
void nfs4_data_changed(struct nfs4_compound *c);

#endif
