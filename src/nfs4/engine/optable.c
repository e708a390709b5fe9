/* The operation table: the one place per operation.  Each entry says which
 * minor versions define the operation, its handler, what the dispatcher
 * checks or does around it (NFS4_OPF_* in optable.h), how large its reply
 * can be, and where its stateid argument is when that may be the current
 * stateid. */
#include "backend/backend.h"
#include "nfs4/engine/compound.h"
#include "nfs4/engine/optable.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"

/* An operation, served by its handler nfs4_op_NAME (nfs4/ops/ops.h) on its
 * arguments as nfs4_op_NAME_decode (below, before the table: the codec's
 * decoder) puts them into a struct nfs4_NAME_args:
 *   OP(opnum, name, lowest minor, highest minor, flags, reply size, stateid)
 * with reply size SIZE(n) or SIZE_FN(f) (a function of the decoded
 * arguments) and stateid NO_SID or SID_FN(f) (where in the decoded
 * arguments the stateid that may be the current one is), and after them
 * REFUSED_BODY(f) for a result with a body whatever its status.  OP_ARGS is
 * OP for arguments of another struct (NVERIFY's are VERIFY's), OP0 for an
 * operation without arguments, NOTSUPP for one Ferry does not serve. */
#define OP(num, op, lo, hi, fl, size, sid, ...) \
	OP_ARGS(num, op, struct nfs4_##op##_args, lo, hi, fl, size, sid, __VA_ARGS__)
#define OP_ARGS(num, op, type, lo, hi, fl, size, sid, ...)                                \
	[num] = {.name = #num, .serve = nfs4_op_##op, .decode = nfs4_op_##op##_decode,    \
		 .args_size = ARGS_SIZE(type), .minor_min = lo, .minor_max = hi,          \
		 .flags = (fl), size, sid, __VA_ARGS__}
#define OP0(num, op, lo, hi, fl, size)                                                 \
	[num] = {.name = #num, .serve = nfs4_op_##op, .decode = no_args_decode,         \
		 .minor_min = lo, .minor_max = hi, .flags = (fl), size, NO_SID}
/* sizeof(type), which must fit the dispatcher's buffer. */
#define ARGS_SIZE(type)                                                                 \
	(sizeof(type) + 0 * sizeof(struct {                                            \
		 _Static_assert(sizeof(type) <= NFS4_OP_ARGS_MAX,                      \
				#type " outgrows NFS4_OP_ARGS_MAX");                   \
		 char c;                                                               \
	 }))
#define NOTSUPP(num, lo, hi, fl) \
	[num] = {.name = #num, .minor_min = lo, .minor_max = hi, .flags = (fl)}
#define SIZE(n) .reply_max = (n)
#define SIZE_FN(f) .reply_size = (f)
#define NO_SID .stateid_arg = NULL
#define SID_FN(f) .stateid_arg = (f)
#define REFUSED_BODY(f) .refused_body = (f)

static bool no_args_decode(struct xdr_dec *d, void *args)
{
	return true;
}

#define FH NFS4_OPF_NEED_FH
#define BLOCK NFS4_OPF_MAY_BLOCK
#define V40 NFS4_OPF_V40_ONLY
#define NOSESS NFS4_OPF_SESSIONLESS
#define CHG NFS4_OPF_CHANGES_STATE
#define ROFS (NFS4_OPF_ROFS | NFS4_OPF_NEED_FH)
#define SETSID NFS4_OPF_SETS_STATEID
#define STALL NFS4_OPF_MAY_STALL
#define INLINE NFS4_OPF_TRY_INLINE
#define NIDEM NFS4_OPF_NOT_IDEMPOTENT
#define NEEDDIR NFS4_OPF_NEED_DIR
#define NEEDREG NFS4_OPF_NEED_REG
#define META NFS4_OPF_META_CHANGE

/* Sizes of what the handlers encode. */
enum {
	STATEID = 16,
	CHANGE_INFO = 4 + 8 + 8,
	BITMAP = 4 + 4 * NFS4_BITMAP_WORDS,
	/* fattr4: the bitmap, the length of the values, and each value at
	 * most 16 bytes but the filehandle (fattr.c fill_one). */
	FATTR_MAX = BITMAP + 4 + 64 * 16 + 4 + NFS4_FHSIZE,
	/* open_delegation4 at its largest: a write delegation (type,
	 * stateid, recall, space limit by size, the ACE for EVERYONE@). */
	OPEN_DELEGATION = 4 + STATEID + 4 + (4 + 8) + (3 * 4 + 4 + 12),
	/* What open_serve encodes: stateid, change_info, rflags, attrset,
	 * the delegation. */
	OPEN_OK = STATEID + CHANGE_INFO + 4 + BITMAP + OPEN_DELEGATION,
	/* chan_attrs4 without RDMA ird */
	CHAN_ATTRS = 7 * 4,
	/* EXCHANGE_ID: clientid, sequenceid, flags, SP4_NONE, server_owner4
	 * (minor id, major id), server_scope, one server_impl_id (domain,
	 * name, date) as exchange_id encodes them. */
	/* COPY4resok: write_response4 with a callback id, copy_requirements4. */
	COPY_OK = 4 + STATEID + 8 + 4 + 8 + 4 + 4,
	EXCHANGE_ID_OK = 8 + 4 + 4 + 4 + 8 + 2 * (4 + NFS4_OPAQUE_LIMIT) + 4 + (4 + 16) + (4 + 8) +
			 8 + 4,
};

/* The table's decoders: the codec's decoder of each operation's arguments,
 * into the struct the table sizes for it.  File and state operations
 * (ops/, deleg/grant.c). */
static bool nfs4_op_lookup_decode(struct xdr_dec *d, void *a) { return nfs4_dec_lookup_args(d, a); }
static bool nfs4_op_secinfo_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_secinfo_args(d, a);
}
static bool nfs4_op_openattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_openattr_args(d, a);
}
static bool nfs4_op_getattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_getattr_args(d, a);
}
static bool nfs4_op_setattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_setattr_wire_args(d, a);
}
static bool nfs4_op_verify_decode(struct xdr_dec *d, void *a) { return nfs4_dec_verify_args(d, a); }
static bool nfs4_op_access_decode(struct xdr_dec *d, void *a) { return nfs4_dec_access_args(d, a); }
static bool nfs4_op_readdir_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_readdir_args(d, a);
}
static bool nfs4_op_create_decode(struct xdr_dec *d, void *a) { return nfs4_dec_create_args(d, a); }
static bool nfs4_op_remove_decode(struct xdr_dec *d, void *a) { return nfs4_dec_remove_args(d, a); }
static bool nfs4_op_rename_decode(struct xdr_dec *d, void *a) { return nfs4_dec_rename_args(d, a); }
static bool nfs4_op_link_decode(struct xdr_dec *d, void *a) { return nfs4_dec_link_args(d, a); }
static bool nfs4_op_read_decode(struct xdr_dec *d, void *a) { return nfs4_dec_read_args(d, a); }
static bool nfs4_op_write_decode(struct xdr_dec *d, void *a) { return nfs4_dec_write_args(d, a); }
static bool nfs4_op_commit_decode(struct xdr_dec *d, void *a) { return nfs4_dec_commit_args(d, a); }
static bool nfs4_op_delegreturn_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_delegreturn_args(d, a);
}
static bool nfs4_op_delegpurge_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_delegpurge_args(d, a);
}
static bool nfs4_op_open_decode(struct xdr_dec *d, void *a) { return nfs4_dec_open_args(d, a); }
static bool nfs4_op_open_confirm_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_open_confirm_args(d, a);
}
static bool nfs4_op_open_downgrade_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_open_downgrade_args(d, a);
}
static bool nfs4_op_close_decode(struct xdr_dec *d, void *a) { return nfs4_dec_close_args(d, a); }
static bool nfs4_op_lock_decode(struct xdr_dec *d, void *a) { return nfs4_dec_lock_args(d, a); }
static bool nfs4_op_lockt_decode(struct xdr_dec *d, void *a) { return nfs4_dec_lockt_args(d, a); }
static bool nfs4_op_locku_decode(struct xdr_dec *d, void *a) { return nfs4_dec_locku_args(d, a); }
static bool nfs4_op_copy_decode(struct xdr_dec *d, void *a) { return nfs4_dec_copy_args(d, a); }
static bool nfs4_op_offload_status_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_offload_status_args(d, a);
}
static bool nfs4_op_offload_cancel_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_offload_cancel_args(d, a);
}

/* PUTFH takes a handle of any length the record holds: one past
 * NFS4_FHSIZE is not one Ferry issued, NFS4ERR_BADHANDLE like any other it
 * cannot parse, as clients and the tests expect. */
static bool nfs4_op_putfh_decode(struct xdr_dec *d, void *args)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &((struct nfs4_putfh_args *)args)->fh);
}

/* NVERIFY4args is VERIFY4args. */
static bool nfs4_op_nverify_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_verify_args(d, a);
}

/* Stateid arguments that may be the current stateid. */
static struct nfs4_stateid *sid_read(void *a) { return &((struct nfs4_read_args *)a)->stateid; }
static struct nfs4_stateid *sid_write(void *a) { return &((struct nfs4_write_args *)a)->stateid; }
static struct nfs4_stateid *sid_delegreturn(void *a)
{
	return &((struct nfs4_delegreturn_args *)a)->stateid;
}
static struct nfs4_stateid *sid_open_downgrade(void *a)
{
	return &((struct nfs4_open_downgrade_args *)a)->stateid;
}
static struct nfs4_stateid *sid_close(void *a) { return &((struct nfs4_close_args *)a)->stateid; }
static struct nfs4_stateid *sid_locku(void *a) { return &((struct nfs4_locku_args *)a)->stateid; }

/* LOCK: the open stateid of a new lock owner, or the lock stateid. */
static struct nfs4_stateid *sid_lock(void *args)
{
	struct nfs4_locker *l = &((struct nfs4_lock_args *)args)->locker;
	return l->new_lock_owner ? &l->open_stateid : &l->lock_stateid;
}

/* READ: eof, the data (count clipped to what Ferry reads at once). */
static uint32_t reply_read(const struct nfs4_compound *c, const void *args)
{
	uint32_t count = ((const struct nfs4_read_args *)args)->count;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	return 4 + 4 + xdr_pad4(count);
}

/* READDIR stops before its result outgrows maxcount. */
static uint32_t reply_readdir(const struct nfs4_compound *c, const void *args)
{
	return ((const struct nfs4_readdir_args *)args)->maxcount;
}

/* Client and session operations (ops/client.c, ops/session.c). */
static bool nfs4_op_exchange_id_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_exchange_id_args(d, a);
}
static bool nfs4_op_create_session_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_create_session_args(d, a);
}
static bool nfs4_op_destroy_session_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_destroy_session_args(d, a);
}
static bool nfs4_op_sequence_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_sequence_args(d, a);
}
static bool nfs4_op_bind_conn_to_session_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_bind_conn_to_session_args(d, a);
}
static bool nfs4_op_destroy_clientid_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_destroy_clientid_args(d, a);
}
static bool nfs4_op_reclaim_complete_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_reclaim_complete_args(d, a);
}
static bool nfs4_op_secinfo_no_name_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_secinfo_no_name_args(d, a);
}
static bool nfs4_op_test_stateid_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_test_stateid_args(d, a);
}
static bool nfs4_op_free_stateid_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_free_stateid_args(d, a);
}
static bool nfs4_op_backchannel_ctl_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_backchannel_ctl_args(d, a);
}
static bool nfs4_op_want_delegation_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_want_delegation_args(d, a);
}
static bool nfs4_op_get_dir_delegation_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_get_dir_delegation_args(d, a);
}
static bool nfs4_op_set_ssv_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_set_ssv_args(d, a);
}
static bool nfs4_op_setclientid_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_setclientid_args(d, a);
}
static bool nfs4_op_setclientid_confirm_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_setclientid_confirm_args(d, a);
}
static bool nfs4_op_renew_decode(struct xdr_dec *d, void *a) { return nfs4_dec_renew_args(d, a); }
static bool nfs4_op_release_lockowner_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_release_lockowner_args(d, a);
}

/* Extended attributes (RFC 8276, ops/xattr.c). */
static bool nfs4_op_getxattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_getxattr_args(d, a);
}
static bool nfs4_op_setxattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_setxattr_args(d, a);
}
static bool nfs4_op_listxattrs_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_listxattrs_args(d, a);
}
static bool nfs4_op_removexattr_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_removexattr_args(d, a);
}

/* What room the reply has left: GETXATTR and LISTXATTRS stop there (a
 * client's lxa_maxcount of 4 GiB reserves no more than that). */
static uint32_t reply_room(const struct nfs4_compound *c, uint32_t want)
{
	const struct xdr_enc *e = &c->req->reply;
	size_t room = e->limit > xdr_enc_len(e) ? e->limit - xdr_enc_len(e) : 0;
	return want < room ? want : (uint32_t)room;
}

/* GETXATTR: the largest value there is, if the reply has room for it. */
static uint32_t reply_getxattr(const struct nfs4_compound *c, const void *args)
{
	return reply_room(c, 4 + BACKEND_XATTR_SIZE_MAX);
}

/* LISTXATTRS stops before its result outgrows maxcount. */
static uint32_t reply_listxattrs(const struct nfs4_compound *c, const void *args)
{
	return reply_room(c, ((const struct nfs4_listxattrs_args *)args)->maxcount);
}

/* TEST_STATEID: one status per stateid. */
static uint32_t reply_test_stateid(const struct nfs4_compound *c, const void *args)
{
	const struct nfs4_test_stateid_args *a = args;
	return 4 + 4 * a->count;
}

static struct nfs4_stateid *free_stateid_sid(void *args)
{
	return &((struct nfs4_free_stateid_args *)args)->stateid;
}

/* NFSv4.2 data operations (ops/io42.c). */
static bool nfs4_op_allocate_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_allocate_args(d, a);
}
static bool nfs4_op_deallocate_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_deallocate_args(d, a);
}
static bool nfs4_op_seek_decode(struct xdr_dec *d, void *a) { return nfs4_dec_seek_args(d, a); }
static bool nfs4_op_read_plus_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_read_plus_args(d, a);
}
static bool nfs4_op_clone_decode(struct xdr_dec *d, void *a) { return nfs4_dec_clone_args(d, a); }
static bool nfs4_op_io_advise_decode(struct xdr_dec *d, void *a)
{
	return nfs4_dec_io_advise_args(d, a);
}

static struct nfs4_stateid *sid_allocate(void *a)
{
	return &((struct nfs4_allocate_args *)a)->stateid;
}
static struct nfs4_stateid *sid_seek(void *a) { return &((struct nfs4_seek_args *)a)->stateid; }
static struct nfs4_stateid *sid_clone_dst(void *a)
{
	return &((struct nfs4_clone_args *)a)->dst_stateid;
}
static struct nfs4_stateid *sid_io_advise(void *a)
{
	return &((struct nfs4_io_advise_args *)a)->stateid;
}

/* READ_PLUS: eof, the segment count, the data (count clipped as READ's)
 * and every segment's header at its largest (a hole: type, offset,
 * length; a data segment: type, offset, length and up to 3 bytes of
 * padding), for at most NFS4_READ_PLUS_SEGMENTS_MAX segments. */
static uint32_t reply_read_plus(const struct nfs4_compound *c, const void *args)
{
	uint32_t count = ((const struct nfs4_read_args *)args)->count;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	return 4 + 4 + count + NFS4_READ_PLUS_SEGMENTS_MAX * (4 + 8 + 8);
}

/* SETATTR4res carries attrsset whatever the status (RFC 8881 18.34.2):
 * a refused SETATTR set nothing. */
static void setattr_refused_body(struct xdr_enc *res)
{
	struct nfs4_setattr_res r = {{{0}}, false};
	nfs4_enc_setattr_res(res, &r);
}

static const struct nfs4_op_desc op_table[NFS4_OP_TABLE_SIZE] = {
	OP(OP_ACCESS, access, 0, 2, FH, SIZE(8), NO_SID),
	OP(OP_CLOSE, close, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_FN(sid_close)),
	OP(OP_COMMIT, commit, 0, 2, FH | BLOCK, SIZE(8), NO_SID),
	OP(OP_CREATE, create, 0, 2, ROFS | STALL | CHG | NIDEM | META, SIZE(CHANGE_INFO + BITMAP),
	   NO_SID),
	OP(OP_DELEGPURGE, delegpurge, 0, 2, CHG | NIDEM, SIZE(0), NO_SID),
	OP(OP_DELEGRETURN, delegreturn, 0, 2, FH | CHG | NIDEM, SIZE(0), SID_FN(sid_delegreturn)),
	OP(OP_GETATTR, getattr, 0, 2, FH, SIZE(FATTR_MAX), NO_SID),
	OP0(OP_GETFH, getfh, 0, 2, FH, SIZE(4 + NFS4_FHSIZE)),
	OP(OP_LINK, link, 0, 2, ROFS | STALL | CHG | NIDEM | META, SIZE(CHANGE_INFO), NO_SID),
	OP(OP_LOCK, lock, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_FN(sid_lock)),
	OP(OP_LOCKT, lockt, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_LOCKU, locku, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_FN(sid_locku)),
	OP(OP_LOOKUP, lookup, 0, 2, FH | STALL, SIZE(0), NO_SID),
	OP0(OP_LOOKUPP, lookupp, 0, 2, FH | NEEDDIR | STALL, SIZE(0)),
	OP_ARGS(OP_NVERIFY, nverify, struct nfs4_verify_args, 0, 2, FH, SIZE(0), NO_SID),
	/* OPEN refuses ROFS itself: only creating or opening for write. */
	OP(OP_OPEN, open, 0, 2, FH | BLOCK | CHG | SETSID | META, SIZE(OPEN_OK), NO_SID),
	OP(OP_OPENATTR, openattr, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_OPEN_CONFIRM, open_confirm, 0, 2, FH | V40 | CHG, SIZE(STATEID), NO_SID),
	OP(OP_OPEN_DOWNGRADE, open_downgrade, 0, 2, FH | CHG | SETSID, SIZE(STATEID),
	    SID_FN(sid_open_downgrade)),
	OP(OP_PUTFH, putfh, 0, 2, 0, SIZE(0), NO_SID),
	OP0(OP_PUTPUBFH, putpubfh, 0, 2, 0, SIZE(0)),
	OP0(OP_PUTROOTFH, putrootfh, 0, 2, 0, SIZE(0)),
	OP(OP_READ, read, 0, 2, FH | INLINE, SIZE_FN(reply_read), SID_FN(sid_read)),
	OP(OP_READDIR, readdir, 0, 2, FH | NEEDDIR | STALL, SIZE_FN(reply_readdir), NO_SID),
	OP0(OP_READLINK, readlink, 0, 2, FH, SIZE(4 + BACKEND_PATH_MAX)),
	OP(OP_REMOVE, remove, 0, 2, ROFS | STALL | CHG | NIDEM | META, SIZE(CHANGE_INFO), NO_SID),
	OP(OP_RENAME, rename, 0, 2, ROFS | STALL | CHG | NIDEM | META, SIZE(2 * CHANGE_INFO), NO_SID),
	OP(OP_RENEW, renew, 0, 2, V40, SIZE(0), NO_SID),
	OP0(OP_RESTOREFH, restorefh, 0, 2, 0, SIZE(0)),
	OP0(OP_SAVEFH, savefh, 0, 2, FH, SIZE(0)),
	/* Two flavors, AUTH_SYS and AUTH_NONE. */
	OP(OP_SECINFO, secinfo, 0, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	/* SETATTR checks the filehandle, a read-only file system and its
	 * stateid itself: its result always carries attrsset, even for
	 * NFS4ERR_NOFILEHANDLE, and its stateid counts only with a size. */
	OP_ARGS(OP_SETATTR, setattr, struct nfs4_setattr_wire_args, 0, 2,
		STALL | CHG | NIDEM | META, SIZE(BITMAP), NO_SID, REFUSED_BODY(setattr_refused_body)),
	OP(OP_SETCLIENTID, setclientid, 0, 2, V40 | CHG, SIZE(8 + 8), NO_SID),
	OP(OP_SETCLIENTID_CONFIRM, setclientid_confirm, 0, 2, BLOCK | V40 | CHG, SIZE(0), NO_SID),
	OP(OP_VERIFY, verify, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_WRITE, write, 0, 2, ROFS | STALL | INLINE | CHG, SIZE(4 + 4 + 8), SID_FN(sid_write)),
	OP(OP_RELEASE_LOCKOWNER, release_lockowner, 0, 2, V40 | CHG | NIDEM, SIZE(0), NO_SID),
	OP(OP_BACKCHANNEL_CTL, backchannel_ctl, 1, 2, CHG, SIZE(0), NO_SID),
	OP(OP_BIND_CONN_TO_SESSION, bind_conn_to_session, 1, 2, NOSESS | CHG,
	    SIZE(NFS4_SESSIONID_SIZE + 4 + 4), NO_SID),
	OP(OP_EXCHANGE_ID, exchange_id, 1, 2, NOSESS | CHG, SIZE(EXCHANGE_ID_OK), NO_SID),
	OP(OP_CREATE_SESSION, create_session, 1, 2, NOSESS | BLOCK | CHG,
	    SIZE(NFS4_SESSIONID_SIZE + 4 + 4 + 2 * CHAN_ATTRS), NO_SID),
	OP(OP_DESTROY_SESSION, destroy_session, 1, 2, NOSESS | CHG, SIZE(0), NO_SID),
	OP(OP_FREE_STATEID, free_stateid, 1, 2, CHG, SIZE(0), SID_FN(free_stateid_sid)),
	/* A worker's: asked child attributes, it reads the whole directory. */
	OP(OP_GET_DIR_DELEGATION, get_dir_delegation, 1, 2, FH | NEEDDIR | BLOCK | CHG,
	   SIZE(4 + 4 + 8 + STATEID + 3 * BITMAP), NO_SID),
	NOTSUPP(OP_GETDEVICEINFO, 1, 2, 0),
	NOTSUPP(OP_GETDEVICELIST, 1, 2, FH),
	NOTSUPP(OP_LAYOUTCOMMIT, 1, 2, FH),
	NOTSUPP(OP_LAYOUTGET, 1, 2, FH),
	NOTSUPP(OP_LAYOUTRETURN, 1, 2, FH),
	OP(OP_SECINFO_NO_NAME, secinfo_no_name, 1, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	OP(OP_SEQUENCE, sequence, 1, 2, 0, SIZE(NFS4_SESSIONID_SIZE + 5 * 4), NO_SID),
	OP(OP_SET_SSV, set_ssv, 1, 2, CHG, SIZE(0), NO_SID),
	OP(OP_TEST_STATEID, test_stateid, 1, 2, 0, SIZE_FN(reply_test_stateid), NO_SID),
	OP(OP_WANT_DELEGATION, want_delegation, 1, 2, FH | CHG, SIZE(OPEN_DELEGATION), NO_SID),
	OP(OP_DESTROY_CLIENTID, destroy_clientid, 1, 2, NOSESS | BLOCK | CHG, SIZE(0), NO_SID),
	OP(OP_RECLAIM_COMPLETE, reclaim_complete, 1, 2, CHG, SIZE(0), NO_SID),
	/* NFSv4.2 (RFC 7862, RFC 8276 for the xattr operations): defined in
	 * minor version 2 only, so OP_ILLEGAL in 4.0 and 4.1; an operation
	 * Ferry does not serve answers NFS4ERR_NOTSUPP: they are OPTIONAL
	 * (RFC 7862 section 13).  WRITE_SAME stays refused (Ferry has no
	 * application data blocks, RFC 7862 15.12), as do LAYOUTERROR and
	 * LAYOUTSTATS (no pNFS layouts are ever handed out).  The data
	 * operations block like READ and WRITE; those that change a file
	 * are refused on a read-only export before they run. */
	OP(OP_ALLOCATE, allocate, 2, 2, ROFS | BLOCK | CHG, SIZE(0), SID_FN(sid_allocate)),
	/* Server-side copy (ops/copy.c).  COPY resolves its two stateids
	 * itself (the saved and the current file's); no inter-server copy,
	 * so no COPY_NOTIFY (RFC 7862 4.1.2). */
	OP(OP_COPY, copy, 2, 2, ROFS | BLOCK | CHG, SIZE(COPY_OK), NO_SID),
	NOTSUPP(OP_COPY_NOTIFY, 2, 2, 0),
	OP(OP_DEALLOCATE, deallocate, 2, 2, ROFS | BLOCK | CHG, SIZE(0), SID_FN(sid_allocate)),
	OP(OP_IO_ADVISE, io_advise, 2, 2, FH | NEEDREG | BLOCK, SIZE(BITMAP), SID_FN(sid_io_advise)),
	NOTSUPP(OP_LAYOUTERROR, 2, 2, 0),
	NOTSUPP(OP_LAYOUTSTATS, 2, 2, 0),
	OP(OP_OFFLOAD_CANCEL, offload_cancel, 2, 2, FH | CHG, SIZE(0), NO_SID),
	OP(OP_OFFLOAD_STATUS, offload_status, 2, 2, FH, SIZE(8 + 4 + 4), NO_SID),
	OP(OP_READ_PLUS, read_plus, 2, 2, FH | NEEDREG | BLOCK, SIZE_FN(reply_read_plus),
	   SID_FN(sid_read)),
	OP(OP_SEEK, seek, 2, 2, FH | NEEDREG | BLOCK, SIZE(4 + 8), SID_FN(sid_seek)),
	NOTSUPP(OP_WRITE_SAME, 2, 2, 0),
	OP(OP_CLONE, clone, 2, 2, ROFS | BLOCK | CHG, SIZE(0), SID_FN(sid_clone_dst)),
	/* RFC 8276: attribute operations, on the loop until the export is
	 * slow, as SETATTR and READDIR are. */
	OP(OP_GETXATTR, getxattr, 2, 2, FH | STALL, SIZE_FN(reply_getxattr), NO_SID),
	OP(OP_SETXATTR, setxattr, 2, 2, ROFS | STALL | CHG | META, SIZE(CHANGE_INFO), NO_SID),
	OP(OP_LISTXATTRS, listxattrs, 2, 2, FH | STALL, SIZE_FN(reply_listxattrs), NO_SID),
	OP(OP_REMOVEXATTR, removexattr, 2, 2, ROFS | STALL | CHG | META, SIZE(CHANGE_INFO), NO_SID),
};

const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum)
{
	if (opnum >= NFS4_OP_TABLE_SIZE || !op_table[opnum].name)
		return NULL;
	return &op_table[opnum];
}

uint32_t nfs4_op_reply_estimate(const struct nfs4_op_desc *desc, const struct nfs4_compound *c,
				const void *args)
{
	return desc->reply_size ? desc->reply_size(c, args) : desc->reply_max;
}
