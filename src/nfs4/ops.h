/* Operation handlers that do not keep client state (see ops_state.h for
 * those that do).  Each has the nfs4_op_handler signature of compound.h. */
#ifndef FERRY_NFS4_OPS_H
#define FERRY_NFS4_OPS_H

#include "nfs4/compound.h"

#define NFS4_OP(name) \
	enum nfsstat4 nfs4_op_##name(struct nfs4_compound *c, struct xdr_dec *args, \
				     struct xdr_enc *res)

/* ops_fh.c */
NFS4_OP(putfh);
NFS4_SERVE_DECL(putrootfh);
NFS4_SERVE_DECL(putpubfh);
NFS4_OP(getfh);
NFS4_OP(savefh);
NFS4_OP(restorefh);
NFS4_OP(lookup);
NFS4_OP(lookupp);
NFS4_OP(secinfo);
NFS4_OP(openattr);
/* ops_attr.c */
NFS4_OP(getattr);
NFS4_OP(setattr);
NFS4_OP(verify);
NFS4_OP(nverify);
NFS4_OP(access);
/* ops_dir.c */
NFS4_OP(readdir);
NFS4_OP(create);
NFS4_OP(remove);
NFS4_OP(rename);
NFS4_OP(link);
NFS4_OP(readlink);
/* ops_deleg.c */
NFS4_OP(delegreturn);
NFS4_OP(delegpurge);
/* ops_io.c */
NFS4_OP(read);
NFS4_OP(write);
NFS4_OP(commit);

/* Shared checks (ops_common.c). */

/* The current fh must be an object of an export, not of the pseudo-fs
 * (NFS4ERR_INVAL, or NFS4ERR_ROFS when for_write); for_write also needs a
 * read-write export. */
enum nfsstat4 nfs4_need_export_object(struct nfs4_compound *c, bool for_write);

/* Decodes a component4 and checks it; name is NUL-terminated on success. */
enum nfsstat4 nfs4_decode_name(struct xdr_dec *d, char name[BACKEND_NAME_MAX + 1]);

/* The current fh's attributes, which must be of a directory
 * (NFS4ERR_NOTDIR, or NFS4ERR_SYMLINK for a symbolic link). */
enum nfsstat4 nfs4_need_dir(struct nfs4_compound *c, struct backend_attr *attr);

/* change_info4 for a directory: before/after change values. */
bool nfs4_encode_change_info(struct xdr_enc *e, uint64_t before, uint64_t after);

/* Validates the stateid of a READ, WRITE or SETATTR(size) against the
 * state of the current file.  sid is the one to use: a current stateid
 * given for it is already resolved (by the dispatcher for READ and WRITE,
 * by SETATTR itself). */
enum nfsstat4 nfs4_check_io_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				    bool write, uint64_t offset, uint64_t length);

#endif
