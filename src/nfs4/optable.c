/* The operation table: the one place per operation.  Each entry says which
 * minor versions define the operation, its handler, what the dispatcher
 * checks or does around it (NFS4_OPF_* in compound.h), how large its reply
 * can be, and where its stateid argument is when that may be the current
 * stateid. */
#include "backend/backend.h"
#include "nfs4/compound.h"
#include "nfs4/fattr.h"
#include "nfs4/ops.h"
#include "nfs4/ops_session.h"
#include "nfs4/ops_state.h"

/* OP(opnum, handler, lowest minor, highest minor, flags, reply size,
 *    stateid argument) */
#define OP(num, fn, lo, hi, fl, size, sid)                                                 \
	[num] = {.name = #num, .handler = fn, .minor_min = lo, .minor_max = hi, .flags = (fl), \
		 size, sid}
/* An operation whose arguments the codec decodes, served by
 * nfs4_serve_NAME (NFS4_SERVE in compound.h):
 *   ARGS(name);   once, before the table: the decoder the table calls
 *   DEC(opnum, name, lo, hi, flags, reply size, stateid)
 * with reply size SIZE(n) or ASIZE_FN(f), stateid NO_SID or ASID_FN(f).
 * DEC0 is for an operation without arguments. */
#define ARGS(op)                                                    \
	static bool dec_##op(struct xdr_dec *d, void *args)         \
	{                                                             \
		return nfs4_dec_##op##_args(d, args);               \
	}                                                             \
	_Static_assert(sizeof(struct nfs4_##op##_args) <= NFS4_OP_ARGS_MAX, \
		       "the arguments of " #op " outgrow NFS4_OP_ARGS_MAX")
#define DEC(num, op, lo, hi, fl, size, sid)                                              \
	[num] = {.name = #num, .serve = nfs4_serve_##op, .decode = dec_##op,             \
		 .args_size = sizeof(struct nfs4_##op##_args), .minor_min = lo,              \
		 .minor_max = hi, .flags = (fl), size, sid}
#define DEC0(num, op, lo, hi, fl, size)                                                  \
	[num] = {.name = #num, .serve = nfs4_serve_##op, .decode = dec_none, .args_size = 0, \
		 .minor_min = lo, .minor_max = hi, .flags = (fl), size, NO_SID}
#define ASIZE_FN(f) .args_reply_size = (f)
#define ASID_FN(f) .args_stateid = (f)

static bool dec_none(struct xdr_dec *d, void *args)
{
	return true;
}
/* Reply size: a constant bound, or a function of the arguments. */
#define SIZE(n) .reply_max = (n)
#define SIZE_FN(f) .reply_size = (f)
/* Stateid argument that may be the current stateid: none, at a fixed byte
 * offset in the arguments, or found by a function. */
#define NO_SID .stateid_arg = NULL
#define SID_AT(off) .stateid_arg = stateid_at_##off
#define SID_FN(f) .stateid_arg = (f)

#define FH NFS4_OPF_NEED_FH
#define BLOCK NFS4_OPF_MAY_BLOCK
#define V40 NFS4_OPF_V40_ONLY
#define NOSESS NFS4_OPF_SESSIONLESS
#define CHG NFS4_OPF_CHANGES_STATE
#define ROFS (NFS4_OPF_ROFS | NFS4_OPF_NEED_FH)
#define SETSID NFS4_OPF_SETS_STATEID

/* Sizes of what the handlers encode. */
enum {
	STATEID = 16,
	CHANGE_INFO = 4 + 8 + 8,
	BITMAP = 4 + 4 * NFS4_BITMAP_WORDS,
	/* fattr4: the bitmap, the length of the values, and each value at
	 * most 16 bytes but the filehandle (fattr.c encode_one). */
	FATTR_MAX = BITMAP + 4 + 64 * 16 + 4 + NFS4_FHSIZE,
	/* What open_serve encodes: stateid, change_info, rflags, attrset,
	 * OPEN_DELEGATE_NONE.  Granting delegations makes this larger. */
	OPEN_OK = STATEID + CHANGE_INFO + 4 + BITMAP + 4,
	/* chan_attrs4 without RDMA ird */
	CHAN_ATTRS = 7 * 4,
	/* EXCHANGE_ID: clientid, sequenceid, flags, SP4_NONE, server_owner4
	 * (minor id, major id), server_scope, one server_impl_id (domain,
	 * name, date) as exchange_id encodes them. */
	EXCHANGE_ID_OK = 8 + 4 + 4 + 4 + 8 + 2 * (4 + NFS4_OPAQUE_LIMIT) + 4 + (4 + 16) + (4 + 8) +
			 8 + 4,
};

static const uint8_t *stateid_at(struct xdr_dec a, size_t off)
{
	const uint8_t *p;
	if (!xdr_decode_skip(&a, off) || !xdr_decode_opaque_fixed(&a, STATEID, &p))
		return NULL;
	return p;
}

static const uint8_t *stateid_at_0(struct xdr_dec a) { return stateid_at(a, 0); }

/* CLOSE: seqid, stateid. */
static const uint8_t *stateid_at_4(struct xdr_dec a) { return stateid_at(a, 4); }

/* LOCKU: locktype, seqid, stateid. */
static const uint8_t *stateid_at_8(struct xdr_dec a) { return stateid_at(a, 8); }

/* LOCK: the open stateid of a new lock owner, or the lock stateid. */
static const uint8_t *stateid_lock(struct xdr_dec a)
{
	bool new_owner;
	if (!xdr_decode_skip(&a, 4 + 4 + 8 + 8) || !xdr_decode_bool(&a, &new_owner))
		return NULL;
	/* open_to_lock_owner4 starts with the open seqid. */
	return stateid_at(a, new_owner ? 4 : 0);
}

/* READ: eof, the data (count clipped to what Ferry reads at once). */
static uint32_t reply_read(const struct nfs4_compound *c, struct xdr_dec a)
{
	uint32_t count;
	if (!xdr_decode_skip(&a, STATEID + 8) || !xdr_decode_u32(&a, &count))
		return 0;
	if (count > NFS4_MAX_IO)
		count = NFS4_MAX_IO;
	return 4 + 4 + xdr_pad4(count);
}

/* READDIR stops before its result outgrows maxcount. */
static uint32_t reply_readdir(const struct nfs4_compound *c, struct xdr_dec a)
{
	uint32_t maxcount;
	if (!xdr_decode_skip(&a, 8 + 8 + 4) || !xdr_decode_u32(&a, &maxcount))
		return 0;
	return maxcount;
}

/* Client and session operations (ops_session.h). */
ARGS(exchange_id);
ARGS(create_session);
ARGS(destroy_session);
ARGS(sequence);
ARGS(bind_conn_to_session);
ARGS(destroy_clientid);
ARGS(reclaim_complete);
ARGS(secinfo_no_name);
ARGS(test_stateid);
ARGS(free_stateid);
ARGS(backchannel_ctl);
ARGS(set_ssv);
ARGS(setclientid);
ARGS(setclientid_confirm);
ARGS(renew);

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

static const struct nfs4_op_desc op_table[NFS4_OP_TABLE_SIZE] = {
	OP(OP_ACCESS, nfs4_op_access, 0, 2, FH, SIZE(8), NO_SID),
	OP(OP_CLOSE, nfs4_op_close, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_AT(4)),
	OP(OP_COMMIT, nfs4_op_commit, 0, 2, FH | BLOCK, SIZE(8), NO_SID),
	OP(OP_CREATE, nfs4_op_create, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO + BITMAP), NO_SID),
	OP(OP_DELEGPURGE, nfs4_op_delegpurge, 0, 2, CHG, SIZE(0), NO_SID),
	OP(OP_DELEGRETURN, nfs4_op_delegreturn, 0, 2, FH | CHG, SIZE(0), SID_AT(0)),
	OP(OP_GETATTR, nfs4_op_getattr, 0, 2, FH, SIZE(FATTR_MAX), NO_SID),
	OP(OP_GETFH, nfs4_op_getfh, 0, 2, FH, SIZE(4 + NFS4_FHSIZE), NO_SID),
	OP(OP_LINK, nfs4_op_link, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO), NO_SID),
	OP(OP_LOCK, nfs4_op_lock, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_FN(stateid_lock)),
	OP(OP_LOCKT, nfs4_op_lockt, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_LOCKU, nfs4_op_locku, 0, 2, FH | CHG | SETSID, SIZE(STATEID), SID_AT(8)),
	OP(OP_LOOKUP, nfs4_op_lookup, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_LOOKUPP, nfs4_op_lookupp, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_NVERIFY, nfs4_op_nverify, 0, 2, FH, SIZE(0), NO_SID),
	/* OPEN refuses ROFS itself: only creating or opening for write. */
	OP(OP_OPEN, nfs4_op_open, 0, 2, FH | BLOCK | CHG | SETSID, SIZE(OPEN_OK), NO_SID),
	OP(OP_OPENATTR, nfs4_op_openattr, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_OPEN_CONFIRM, nfs4_op_open_confirm, 0, 2, FH | V40 | CHG, SIZE(STATEID), NO_SID),
	OP(OP_OPEN_DOWNGRADE, nfs4_op_open_downgrade, 0, 2, FH | CHG | SETSID, SIZE(STATEID),
	   SID_AT(0)),
	OP(OP_PUTFH, nfs4_op_putfh, 0, 2, 0, SIZE(0), NO_SID),
	DEC0(OP_PUTPUBFH, putpubfh, 0, 2, 0, SIZE(0)),
	DEC0(OP_PUTROOTFH, putrootfh, 0, 2, 0, SIZE(0)),
	OP(OP_READ, nfs4_op_read, 0, 2, FH | BLOCK, SIZE_FN(reply_read), SID_AT(0)),
	OP(OP_READDIR, nfs4_op_readdir, 0, 2, FH, SIZE_FN(reply_readdir), NO_SID),
	OP(OP_READLINK, nfs4_op_readlink, 0, 2, FH, SIZE(4 + BACKEND_PATH_MAX), NO_SID),
	OP(OP_REMOVE, nfs4_op_remove, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO), NO_SID),
	OP(OP_RENAME, nfs4_op_rename, 0, 2, ROFS | CHG, SIZE(2 * CHANGE_INFO), NO_SID),
	DEC(OP_RENEW, renew, 0, 2, V40, SIZE(0), NO_SID),
	OP(OP_RESTOREFH, nfs4_op_restorefh, 0, 2, 0, SIZE(0), NO_SID),
	OP(OP_SAVEFH, nfs4_op_savefh, 0, 2, FH, SIZE(0), NO_SID),
	/* Two flavors, AUTH_SYS and AUTH_NONE. */
	OP(OP_SECINFO, nfs4_op_secinfo, 0, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	/* SETATTR checks the filehandle, a read-only file system and its
	 * stateid itself: its result always carries attrsset, even for
	 * NFS4ERR_NOFILEHANDLE, and its stateid counts only with a size. */
	OP(OP_SETATTR, nfs4_op_setattr, 0, 2, CHG, SIZE(BITMAP), NO_SID),
	DEC(OP_SETCLIENTID, setclientid, 0, 2, V40 | CHG, SIZE(8 + 8), NO_SID),
	DEC(OP_SETCLIENTID_CONFIRM, setclientid_confirm, 0, 2, BLOCK | V40 | CHG, SIZE(0), NO_SID),
	OP(OP_VERIFY, nfs4_op_verify, 0, 2, FH, SIZE(0), NO_SID),
	OP(OP_WRITE, nfs4_op_write, 0, 2, ROFS | BLOCK | CHG, SIZE(4 + 4 + 8), SID_AT(0)),
	OP(OP_RELEASE_LOCKOWNER, nfs4_op_release_lockowner, 0, 2, V40 | CHG, SIZE(0), NO_SID),
	DEC(OP_BACKCHANNEL_CTL, backchannel_ctl, 1, 2, CHG, SIZE(0), NO_SID),
	DEC(OP_BIND_CONN_TO_SESSION, bind_conn_to_session, 1, 2, NOSESS | CHG,
	    SIZE(NFS4_SESSIONID_SIZE + 4 + 4), NO_SID),
	DEC(OP_EXCHANGE_ID, exchange_id, 1, 2, NOSESS | CHG, SIZE(EXCHANGE_ID_OK), NO_SID),
	DEC(OP_CREATE_SESSION, create_session, 1, 2, NOSESS | BLOCK | CHG,
	    SIZE(NFS4_SESSIONID_SIZE + 4 + 4 + 2 * CHAN_ATTRS), NO_SID),
	DEC(OP_DESTROY_SESSION, destroy_session, 1, 2, NOSESS | CHG, SIZE(0), NO_SID),
	DEC(OP_FREE_STATEID, free_stateid, 1, 2, CHG, SIZE(0), ASID_FN(free_stateid_sid)),
	OP(OP_GET_DIR_DELEGATION, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_GETDEVICEINFO, NULL, 1, 2, 0, SIZE(0), NO_SID),
	OP(OP_GETDEVICELIST, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTCOMMIT, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTGET, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTRETURN, NULL, 1, 2, FH, SIZE(0), NO_SID),
	DEC(OP_SECINFO_NO_NAME, secinfo_no_name, 1, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	DEC(OP_SEQUENCE, sequence, 1, 2, 0, SIZE(NFS4_SESSIONID_SIZE + 5 * 4), NO_SID),
	DEC(OP_SET_SSV, set_ssv, 1, 2, CHG, SIZE(0), NO_SID),
	DEC(OP_TEST_STATEID, test_stateid, 1, 2, 0, ASIZE_FN(reply_test_stateid), NO_SID),
	OP(OP_WANT_DELEGATION, NULL, 1, 2, FH, SIZE(0), NO_SID),
	DEC(OP_DESTROY_CLIENTID, destroy_clientid, 1, 2, NOSESS | BLOCK | CHG, SIZE(0), NO_SID),
	DEC(OP_RECLAIM_COMPLETE, reclaim_complete, 1, 2, CHG, SIZE(0), NO_SID),
};

const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum)
{
	if (opnum >= NFS4_OP_TABLE_SIZE || !op_table[opnum].name)
		return NULL;
	return &op_table[opnum];
}

uint32_t nfs4_op_reply_estimate(const struct nfs4_op_desc *desc, const struct nfs4_compound *c,
				const struct xdr_dec *args)
{
	return desc->reply_size ? desc->reply_size(c, *args) : desc->reply_max;
}

uint32_t nfs4_op_reply_estimate_args(const struct nfs4_op_desc *desc,
				     const struct nfs4_compound *c, const void *args)
{
	return desc->args_reply_size ? desc->args_reply_size(c, args) : desc->reply_max;
}
