/* NFSv4.2 operations on files (RFC 7862) and extended attributes (RFC 8276).
 * Part of xdr/nfs4_codec_file.h; include that one. */
#ifndef FERRY_XDR_NFS4_CODEC_FILE_V42_H
#define FERRY_XDR_NFS4_CODEC_FILE_V42_H

#include "xdr/nfs4_codec.h"

/* ALLOCATE and DEALLOCATE. */
struct nfs4_allocate_args {
	struct nfs4_stateid stateid;
	uint64_t offset, length;
};
bool nfs4_enc_allocate_args(struct xdr_enc *e, const struct nfs4_allocate_args *v);
bool nfs4_dec_allocate_args(struct xdr_dec *d, struct nfs4_allocate_args *v);
#define nfs4_deallocate_args nfs4_allocate_args
#define nfs4_enc_deallocate_args nfs4_enc_allocate_args
#define nfs4_dec_deallocate_args nfs4_dec_allocate_args

struct nfs4_seek_args {
	struct nfs4_stateid stateid;
	uint64_t offset;
	uint32_t what; /* data_content4 */
};
bool nfs4_enc_seek_args(struct xdr_enc *e, const struct nfs4_seek_args *v);
bool nfs4_dec_seek_args(struct xdr_dec *d, struct nfs4_seek_args *v);

struct nfs4_seek_res {
	bool eof;
	uint64_t offset;
};
bool nfs4_enc_seek_res(struct xdr_enc *e, const struct nfs4_seek_res *v);
bool nfs4_dec_seek_res(struct xdr_dec *d, struct nfs4_seek_res *v);

/* READ_PLUS takes nfs4_read_args.  Its result is a list of read_plus_content
 * built one piece at a time by the server: data straight into the reply as
 * for READ (reserve, then done with what was read), holes by offset and
 * length. */
#define nfs4_read_plus_args nfs4_read_args
#define nfs4_enc_read_plus_args nfs4_enc_read_args
#define nfs4_dec_read_plus_args nfs4_dec_read_args

struct nfs4_read_plus_enc {
	struct xdr_enc *e;
	size_t start;    /* offset of rpr_eof */
	size_t data_off; /* offset of the data piece being read */
	uint32_t count;
};
bool nfs4_enc_read_plus_begin(struct nfs4_read_plus_enc *r, struct xdr_enc *e);
uint8_t *nfs4_enc_read_plus_data_reserve(struct nfs4_read_plus_enc *r, uint64_t offset,
					 uint32_t count);
void nfs4_enc_read_plus_data_done(struct nfs4_read_plus_enc *r, uint32_t got);
bool nfs4_enc_read_plus_hole(struct nfs4_read_plus_enc *r, uint64_t offset, uint64_t length);
bool nfs4_enc_read_plus_finish(struct nfs4_read_plus_enc *r, bool eof);

/* read_plus_content: data for NFS4_CONTENT_DATA, length for
 * NFS4_CONTENT_HOLE. */
struct nfs4_read_plus_content {
	uint32_t type; /* data_content4 */
	uint64_t offset;
	uint64_t length;
	struct nfs4_opaque data;
};

/* Checked whole by the decoder, walked by nfs4_read_plus_res_next. */
struct nfs4_read_plus_res {
	bool eof;
	uint32_t count;
	struct xdr_dec contents;
};
bool nfs4_dec_read_plus_res(struct xdr_dec *d, struct nfs4_read_plus_res *r);
bool nfs4_read_plus_res_next(struct nfs4_read_plus_res *r, struct nfs4_read_plus_content *c);

struct nfs4_clone_args {
	struct nfs4_stateid src_stateid, dst_stateid;
	uint64_t src_offset, dst_offset, count;
};
bool nfs4_enc_clone_args(struct xdr_enc *e, const struct nfs4_clone_args *v);
bool nfs4_dec_clone_args(struct xdr_dec *d, struct nfs4_clone_args *v);

/* netloc4: name for NL4_NAME and NL4_URL, netid and addr for NL4_NETADDR. */
struct nfs4_netloc {
	uint32_t type; /* netloc_type4 */
	struct nfs4_opaque name;
	struct nfs4_opaque netid, addr;
};

/* More source servers than this is refused as malformed: an inter-server
 * copy names a handful at most, and a fixed array keeps decoding in place. */
enum { NFS4_COPY_SOURCES_MAX = 8 };

struct nfs4_copy_args {
	struct nfs4_stateid src_stateid, dst_stateid;
	uint64_t src_offset, dst_offset, count;
	bool consecutive, synchronous;
	uint32_t nsources;
	struct nfs4_netloc sources[NFS4_COPY_SOURCES_MAX];
};
bool nfs4_enc_copy_args(struct xdr_enc *e, const struct nfs4_copy_args *v);
bool nfs4_dec_copy_args(struct xdr_dec *d, struct nfs4_copy_args *v);

/* write_response4; callback_id is there only for an asynchronous copy. */
struct nfs4_write_response {
	bool has_callback_id;
	struct nfs4_stateid callback_id;
	uint64_t count;
	uint32_t committed;
	struct nfs4_verifier writeverf;
};

/* copy_requirements4: also the body of NFS4ERR_OFFLOAD_NO_REQS. */
struct nfs4_copy_requirements {
	bool consecutive, synchronous;
};
bool nfs4_enc_copy_requirements(struct xdr_enc *e, const struct nfs4_copy_requirements *v);
bool nfs4_dec_copy_requirements(struct xdr_dec *d, struct nfs4_copy_requirements *v);

struct nfs4_copy_res {
	struct nfs4_write_response response;
	struct nfs4_copy_requirements requirements;
};
bool nfs4_enc_copy_res(struct xdr_enc *e, const struct nfs4_copy_res *v);
bool nfs4_dec_copy_res(struct xdr_dec *d, struct nfs4_copy_res *v);

/* OFFLOAD_CANCEL and OFFLOAD_STATUS. */
#define nfs4_offload_args nfs4_stateid_args
#define nfs4_enc_offload_args nfs4_enc_stateid_args
#define nfs4_dec_offload_args nfs4_dec_stateid_args
#define nfs4_offload_cancel_args nfs4_stateid_args
#define nfs4_enc_offload_cancel_args nfs4_enc_stateid_args
#define nfs4_dec_offload_cancel_args nfs4_dec_stateid_args
#define nfs4_offload_status_args nfs4_stateid_args
#define nfs4_enc_offload_status_args nfs4_enc_stateid_args
#define nfs4_dec_offload_status_args nfs4_dec_stateid_args

/* complete is nfsstat4<1>: has_complete says whether the copy has ended. */
struct nfs4_offload_status_res {
	uint64_t count;
	bool has_complete;
	uint32_t complete;
};
bool nfs4_enc_offload_status_res(struct xdr_enc *e, const struct nfs4_offload_status_res *v);
bool nfs4_dec_offload_status_res(struct xdr_dec *d, struct nfs4_offload_status_res *v);

struct nfs4_io_advise_args {
	struct nfs4_stateid stateid;
	uint64_t offset, count;
	struct nfs4_bitmap hints;
	bool mask_extra;
};
bool nfs4_enc_io_advise_args(struct xdr_enc *e, const struct nfs4_io_advise_args *v);
bool nfs4_dec_io_advise_args(struct xdr_dec *d, struct nfs4_io_advise_args *v);

struct nfs4_io_advise_res {
	struct nfs4_bitmap hints;
	bool mask_extra;
};
bool nfs4_enc_io_advise_res(struct xdr_enc *e, const struct nfs4_io_advise_res *v);
bool nfs4_dec_io_advise_res(struct xdr_dec *d, struct nfs4_io_advise_res *v);

/* --- extended attributes ---------------------------------------------------------------- */

/* GETXATTR and REMOVEXATTR. */
#define nfs4_xattr_name_args nfs4_name_args
#define nfs4_enc_xattr_name_args nfs4_enc_name_args
#define nfs4_dec_xattr_name_args nfs4_dec_name_args
#define nfs4_getxattr_args nfs4_name_args
#define nfs4_enc_getxattr_args nfs4_enc_name_args
#define nfs4_dec_getxattr_args nfs4_dec_name_args
#define nfs4_removexattr_args nfs4_name_args
#define nfs4_enc_removexattr_args nfs4_enc_name_args
#define nfs4_dec_removexattr_args nfs4_dec_name_args

struct nfs4_getxattr_res {
	struct nfs4_opaque value;
};
bool nfs4_enc_getxattr_res(struct xdr_enc *e, const struct nfs4_getxattr_res *v);
bool nfs4_dec_getxattr_res(struct xdr_dec *d, struct nfs4_getxattr_res *v);

struct nfs4_setxattr_args {
	uint32_t option; /* setxattr_option4 */
	struct nfs4_opaque name, value;
};
bool nfs4_enc_setxattr_args(struct xdr_enc *e, const struct nfs4_setxattr_args *v);
bool nfs4_dec_setxattr_args(struct xdr_dec *d, struct nfs4_setxattr_args *v);

struct nfs4_listxattrs_args {
	uint64_t cookie;
	uint32_t maxcount;
};
bool nfs4_enc_listxattrs_args(struct xdr_enc *e, const struct nfs4_listxattrs_args *v);
bool nfs4_dec_listxattrs_args(struct xdr_dec *d, struct nfs4_listxattrs_args *v);

/* LISTXATTRS4resok one name at a time: a name that would take the result
 * (cookie to eof) past maxcount is refused and leaves nothing behind; the
 * cookie, which comes first on the wire, is written by finish. */
struct nfs4_listxattrs_enc {
	struct xdr_enc *e;
	size_t start; /* offset of the cookie */
	uint32_t maxcount;
	uint32_t count;
};
bool nfs4_enc_listxattrs_begin(struct nfs4_listxattrs_enc *r, struct xdr_enc *e,
			       uint32_t maxcount);
bool nfs4_enc_listxattrs_name(struct nfs4_listxattrs_enc *r, struct nfs4_opaque name);
/* False on overflow or when even the empty result passes maxcount. */
bool nfs4_enc_listxattrs_finish(struct nfs4_listxattrs_enc *r, uint64_t cookie, bool eof);

/* Checked whole by the decoder, walked by nfs4_listxattrs_res_next. */
struct nfs4_listxattrs_res {
	uint64_t cookie;
	uint32_t count;
	bool eof;
	struct xdr_dec names;
};
bool nfs4_dec_listxattrs_res(struct xdr_dec *d, struct nfs4_listxattrs_res *r);
bool nfs4_listxattrs_res_next(struct nfs4_listxattrs_res *r, struct nfs4_opaque *name);

#endif
