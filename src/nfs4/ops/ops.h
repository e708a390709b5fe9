/* The operation handlers, and the helpers they share.
 *
 * Every handler serves one operation, and is named after it: nfs4_op_write
 * serves WRITE.  It takes the COMPOUND, the operation's arguments as the
 * dispatcher decoded them (args points to the operation's struct
 * nfs4_OP_args, xdr/nfs4_codec_*.h, which the handler's first line names;
 * nothing for an operation without arguments) and the reply to append its
 * result body to, and returns the operation's status.  The op table
 * (nfs4/engine/optable.c) names each handler and says what the dispatcher
 * checks before it runs.  They are declared here, grouped by the file that
 * defines them: most in src/nfs4/ops/, the delegation ones in
 * src/nfs4/deleg/ (COPY's handler is ops/copy.c; the copy engine it starts
 * is src/nfs4/copy/). */
#ifndef FERRY_NFS4_OPS_H
#define FERRY_NFS4_OPS_H

#include "nfs4/engine/compound.h"
#include "nfs4/engine/durable.h"
#include "nfs4/engine/optable.h"
#include "state/state.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_session.h"

/* --- Handlers, by the file that defines them ----------------------- */

/* ops/lookup.c: filehandles and names */
enum nfsstat4 nfs4_op_putfh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_putrootfh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_putpubfh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_getfh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_savefh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_restorefh(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_lookup(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_lookupp(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_secinfo(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_openattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/attr.c */
enum nfsstat4 nfs4_op_getattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_setattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_verify(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_nverify(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_access(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/dir.c */
enum nfsstat4 nfs4_op_readdir(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_create(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_remove(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_rename(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_link(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_readlink(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/io.c */
enum nfsstat4 nfs4_op_read(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_write(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_commit(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/io42.c: NFSv4.2 (RFC 7862) */
enum nfsstat4 nfs4_op_allocate(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_deallocate(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_seek(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_read_plus(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_clone(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_io_advise(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/xattr.c (RFC 8276) */
enum nfsstat4 nfs4_op_getxattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_setxattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_listxattrs(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_removexattr(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/copy.c (NFSv4.2): starts and asks after the copy engine's jobs */
enum nfsstat4 nfs4_op_copy(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_offload_status(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_offload_cancel(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/open.c */
/* OPEN may block: creates files */
enum nfsstat4 nfs4_op_open(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_open_confirm(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_open_downgrade(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_close(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/lock.c */
enum nfsstat4 nfs4_op_lock(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_lockt(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_locku(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_release_lockowner(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/client.c: the v4.0 client id (RFC 7530 16.32-16.34) */
enum nfsstat4 nfs4_op_setclientid(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* SETCLIENTID_CONFIRM may block: writes the stable record */
enum nfsstat4 nfs4_op_setclientid_confirm(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_renew(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* ops/session.c: v4.1 clients and sessions (RFC 8881 18.33-18.51) */
enum nfsstat4 nfs4_op_exchange_id(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* CREATE_SESSION may block: writes the stable record */
enum nfsstat4 nfs4_op_create_session(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_destroy_session(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_sequence(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_bind_conn_to_session(struct nfs4_compound *c, void *args,
					   struct xdr_enc *res);
/* DESTROY_CLIENTID may block: removes the stable record */
enum nfsstat4 nfs4_op_destroy_clientid(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_reclaim_complete(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_secinfo_no_name(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_test_stateid(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_free_stateid(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_backchannel_ctl(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_set_ssv(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* deleg/grant.c: file delegations */
enum nfsstat4 nfs4_op_delegreturn(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_delegpurge(struct nfs4_compound *c, void *args, struct xdr_enc *res);
enum nfsstat4 nfs4_op_want_delegation(struct nfs4_compound *c, void *args, struct xdr_enc *res);
/* deleg/dir_grant.c: directory delegations */
enum nfsstat4 nfs4_op_get_dir_delegation(struct nfs4_compound *c, void *args, struct xdr_enc *res);

/* --- What handlers and the op table share -------------------------- */

/* SETATTR's arguments as the op table hands them over: SETATTR4res carries
 * attrsset whatever the status, NFS4ERR_BADXDR included, so arguments that
 * do not decode still reach the handler, marked undecoded, and the handler
 * answers BADXDR with an empty attrsset. */
struct nfs4_setattr_wire_args {
	struct nfs4_setattr_args args;
	bool decoded;
};
bool nfs4_dec_setattr_wire_args(struct xdr_dec *d, struct nfs4_setattr_wire_args *w);

/* SECINFO4resok and SECINFO_NO_NAME4resok: the flavours of a packed list
 * (core/config.h), with the Kerberos 5 OID and service for krb5*; and the
 * list for what fh names (ops/session.c). */
void nfs4_enc_export_flavors(struct xdr_enc *res, uint32_t sec);
uint32_t nfs4_fh_sec(const struct nfs4_compound *c, const struct fh *fh);

/* A READ_PLUS reply (ops/io42.c) holds at most NFS4_READ_PLUS_SEGMENTS_MAX
 * segments, so that its estimate (optable.c) bounds it; a range more
 * fragmented than that is answered in part (rpr_eof false) and the client
 * asks for the rest. */
enum { NFS4_READ_PLUS_SEGMENTS_MAX = 64 };

/* The v4.1 bits of share_access that say which delegation is wanted (OPEN,
 * WANT_DELEGATION). */
#define NFS4_OPEN_WANT_BITS                                                  \
	((uint32_t)OPEN4_SHARE_ACCESS_WANT_DELEG_MASK |                      \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL |  \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED |    \
	 (uint32_t)OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS)

/* --- Shared checks (ops/common.c, unless said otherwise) ----------- */

/* The current fh must be an object of an export, not of the pseudo-fs
 * (NFS4ERR_INVAL, or NFS4ERR_ROFS when for_write); for_write also needs a
 * read-write export. */
enum nfsstat4 nfs4_need_export_object(struct nfs4_compound *c, bool for_write);

/* Checks a decoded component4 and copies it NUL-terminated into name. */
enum nfsstat4 nfs4_name_from_wire(struct nfs4_opaque wire, char name[BACKEND_NAME_MAX + 1]);

/* Checks an xattrkey4 (RFC 8276) and copies it NUL-terminated into name:
 * NFS4ERR_INVAL when empty or holding a NUL, NFS4ERR_NAMETOOLONG past
 * what the host's "user." namespace takes (ops/xattr.c). */
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
 * the directory is known to be one).  dattr may be NULL when the
 * directory's attributes are not wanted. */
enum nfsstat4 nfs4_need_dir_name(struct nfs4_compound *c, struct nfs4_opaque wire,
				 char name[BACKEND_NAME_MAX + 1], struct backend_attr *dattr);

/* change_info4 for a directory: before/after change values. */
struct nfs4_change_info nfs4_dir_change_info(uint64_t before, uint64_t after);

/* Validates the stateid of a READ, WRITE or SETATTR(size) against the
 * state of the current file.  sid is the one to use: a current stateid
 * given for it is already resolved (by the dispatcher for READ and WRITE,
 * by SETATTR itself).  ops/io_stateid.c. */
enum nfsstat4 nfs4_check_io_stateid(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				    bool write, uint64_t offset, uint64_t length);
/* The same for the file fh names (COPY's and CLONE's source is the saved fh). */
enum nfsstat4 nfs4_check_io_stateid_fh(struct nfs4_compound *c, const struct fh *fh,
				       const struct nfs4_stateid *sid, bool write,
				       uint64_t offset, uint64_t length);

/* --- Data operations (ops/io.c) ----------------------------------- */

/* fh must name a regular file of an export (NFS4ERR_ISDIR for a
 * directory or the pseudo-fs, NFS4ERR_SYMLINK, NFS4ERR_INVAL for other
 * types); *attr gets its attributes. */
enum nfsstat4 nfs4_need_regular_attr(struct nfs4_compound *c, const struct fh *fh,
				     struct backend_attr *attr);

/* Reads count bytes of the current file at offset into p, the place
 * reserved for them in the reply (READ's data, a READ_PLUS data segment):
 * from 64 KiB on, spliced (the reply's pipe holds the file's pages and rpc
 * sends them in place of p's bytes), else copied.  would_block non-NULL:
 * on an event loop, read only what is in memory and set it otherwise.
 * seen: the file's attributes read earlier in this operation, or NULL.
 * Returns 0 or a negative errno. */
int nfs4_read_into(struct nfs4_compound *c, const struct backend_attr *seen, uint64_t offset,
		   uint32_t count, uint8_t *p, size_t *got, bool *eof, bool *would_block);

/* After a change to the current file's data: directory-delegation holders
 * told of their entries' attributes learn the new ones. */
void nfs4_data_changed(struct nfs4_compound *c);

/* --- Client state (ops/open.c, ops/lock.c) ------------------------- */
/* What the handlers that keep opens, locks and delegations share; the
 * state itself lives in state/state.h. */

/* The state module's lock-notice hook (state_lock_notify_set; ctx is the
 * struct nfs4_server): queues CB_NOTIFY_LOCK for the waiting lock owner. */
void nfs4_lock_notify(void *ctx, const struct state_lock_notice *n);

/* The state key of the current filehandle; false when it is not an object
 * of an export (the pseudo-fs has no state). */
bool nfs4_state_cfh_key(const struct nfs4_compound *c, struct state_file_key *out);

/* Sends a cached reply: appends its body, restores the current filehandle
 * of a replayed OPEN, and returns its status. */
enum nfsstat4 nfs4_state_replay(struct nfs4_compound *c, struct xdr_enc *res,
				const struct state_replay *r);

/* The status for the client's minor version: the state module's
 * NFS4ERR_RESOURCE (a cap on state reached, or no memory) is
 * NFS4ERR_SERVERFAULT in v4.1. */
enum nfsstat4 nfs4_state_v41_status(const struct nfs4_compound *c, enum nfsstat4 s);

/* A clientid that a v4.0 request names (open or lock owner, RENEW):
 * NFS4ERR_STALE_CLIENTID for a v4.1 client, whose state belongs to its
 * sessions (knfsd does not find it either); NFS4_OK otherwise, or in
 * v4.1, where the session names the client. */
enum nfsstat4 nfs4_state_v40_clientid(const struct nfs4_compound *c, uint64_t clientid);

/* Sequencing around a handler body: begins (seqid of owner o), and on a
 * replay or a bad seqid ends at once, returning true with *status set.
 * Otherwise returns false: run the operation, then nfs4_state_seq_finish. */
bool nfs4_state_seq_start(struct nfs4_compound *c, struct state_owner *o, uint32_t seqid,
			  struct xdr_enc *res, enum nfsstat4 *status);

/* The part of an operation sequenced on the owner of a stateid that acts on
 * the current file, whose state key is key: it encodes its result body
 * (an error's body too, setting c->error_body) and returns the status.
 * arg is what the handler passed to nfs4_state_stateid_seq_run. */
typedef enum nfsstat4 nfs4_state_file_op(struct nfs4_compound *c, struct state_owner *o,
					  const struct nfs4_stateid *sid,
					  const struct state_file_key *key, const void *arg,
					  struct xdr_enc *res);

/* An operation sequenced (seqid) on the owner of stateid sid, from start to
 * finish: an unknown stateid (BAD/STALE_STATEID, EXPIRED), a replay or a
 * bad seqid ends it at once; a current filehandle with no state key gets
 * no_key; otherwise op runs, and its reply body is cached for the owner. */
enum nfsstat4 nfs4_state_stateid_seq_run(struct nfs4_compound *c, const struct nfs4_stateid *sid,
					 uint32_t seqid, enum nfsstat4 no_key,
					 nfs4_state_file_op *op, const void *arg, struct xdr_enc *res);

/* Ends the operation: caches the encoded body from body_off (on success or
 * when c->error_body is set), drops the reference on o, returns status. */
enum nfsstat4 nfs4_state_seq_finish(struct nfs4_compound *c, struct state_owner *o,
				    struct xdr_enc *res, size_t body_off, enum nfsstat4 status,
				    const struct state_file_key *file);

#endif
