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
/* Stateid argument that may be the current stateid: none, or (entries that
 * decode for themselves) at a fixed byte offset in the arguments. */
#define NO_SID .stateid_arg = NULL
#define SID_AT(off) .stateid_arg = stateid_at_##off

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
	 * most 16 bytes but the filehandle (fattr.c fill_one). */
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

ARGS(lookup);
ARGS(secinfo);
ARGS(openattr);
ARGS(getattr);
ARGS(setattr_wire);
ARGS(verify);
ARGS(access);
ARGS(readdir);
ARGS(create);
ARGS(remove);
ARGS(rename);
ARGS(link);
ARGS(read);
ARGS(write);
ARGS(commit);
ARGS(delegreturn);
ARGS(delegpurge);
ARGS(open);
ARGS(open_confirm);
ARGS(open_downgrade);
ARGS(close);
ARGS(lock);
ARGS(lockt);
ARGS(locku);

/* PUTFH takes a handle of any length the record holds: one past
 * NFS4_FHSIZE is not one Ferry issued, NFS4ERR_BADHANDLE like any other it
 * cannot parse, as clients and the tests expect. */
static bool dec_putfh(struct xdr_dec *d, void *args)
{
	return nfs4_dec_opaque(d, UINT32_MAX, &((struct nfs4_putfh_args *)args)->fh);
}

/* NVERIFY4args is VERIFY4args. */
#define nfs4_nverify_args nfs4_verify_args
#define dec_nverify dec_verify

/* FREE_STATEID's stateid, until it decodes through the codec. */
static const uint8_t *stateid_at_0(struct xdr_dec a)
{
	const uint8_t *p;
	return xdr_decode_opaque_fixed(&a, STATEID, &p) ? p : NULL;
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

/* TEST_STATEID: one status per stateid. */
static uint32_t reply_test_stateid(const struct nfs4_compound *c, struct xdr_dec a)
{
	uint32_t n;
	if (!xdr_decode_u32(&a, &n) || n > xdr_dec_remaining(&a) / STATEID)
		return 4;
	return 4 + 4 * n;
}

static const struct nfs4_op_desc op_table[NFS4_OP_TABLE_SIZE] = {
	DEC(OP_ACCESS, access, 0, 2, FH, SIZE(8), NO_SID),
	DEC(OP_CLOSE, close, 0, 2, FH | CHG | SETSID, SIZE(STATEID), ASID_FN(sid_close)),
	DEC(OP_COMMIT, commit, 0, 2, FH | BLOCK, SIZE(8), NO_SID),
	DEC(OP_CREATE, create, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO + BITMAP), NO_SID),
	DEC(OP_DELEGPURGE, delegpurge, 0, 2, CHG, SIZE(0), NO_SID),
	DEC(OP_DELEGRETURN, delegreturn, 0, 2, FH | CHG, SIZE(0), ASID_FN(sid_delegreturn)),
	DEC(OP_GETATTR, getattr, 0, 2, FH, SIZE(FATTR_MAX), NO_SID),
	DEC0(OP_GETFH, getfh, 0, 2, FH, SIZE(4 + NFS4_FHSIZE)),
	DEC(OP_LINK, link, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO), NO_SID),
	DEC(OP_LOCK, lock, 0, 2, FH | CHG | SETSID, SIZE(STATEID), ASID_FN(sid_lock)),
	DEC(OP_LOCKT, lockt, 0, 2, FH, SIZE(0), NO_SID),
	DEC(OP_LOCKU, locku, 0, 2, FH | CHG | SETSID, SIZE(STATEID), ASID_FN(sid_locku)),
	DEC(OP_LOOKUP, lookup, 0, 2, FH, SIZE(0), NO_SID),
	DEC0(OP_LOOKUPP, lookupp, 0, 2, FH, SIZE(0)),
	DEC(OP_NVERIFY, nverify, 0, 2, FH, SIZE(0), NO_SID),
	/* OPEN refuses ROFS itself: only creating or opening for write. */
	DEC(OP_OPEN, open, 0, 2, FH | BLOCK | CHG | SETSID, SIZE(OPEN_OK), NO_SID),
	DEC(OP_OPENATTR, openattr, 0, 2, FH, SIZE(0), NO_SID),
	DEC(OP_OPEN_CONFIRM, open_confirm, 0, 2, FH | V40 | CHG, SIZE(STATEID), NO_SID),
	DEC(OP_OPEN_DOWNGRADE, open_downgrade, 0, 2, FH | CHG | SETSID, SIZE(STATEID),
	    ASID_FN(sid_open_downgrade)),
	DEC(OP_PUTFH, putfh, 0, 2, 0, SIZE(0), NO_SID),
	DEC0(OP_PUTPUBFH, putpubfh, 0, 2, 0, SIZE(0)),
	DEC0(OP_PUTROOTFH, putrootfh, 0, 2, 0, SIZE(0)),
	DEC(OP_READ, read, 0, 2, FH | BLOCK, ASIZE_FN(reply_read), ASID_FN(sid_read)),
	DEC(OP_READDIR, readdir, 0, 2, FH, ASIZE_FN(reply_readdir), NO_SID),
	DEC0(OP_READLINK, readlink, 0, 2, FH, SIZE(4 + BACKEND_PATH_MAX)),
	DEC(OP_REMOVE, remove, 0, 2, ROFS | CHG, SIZE(CHANGE_INFO), NO_SID),
	DEC(OP_RENAME, rename, 0, 2, ROFS | CHG, SIZE(2 * CHANGE_INFO), NO_SID),
	OP(OP_RENEW, nfs4_op_renew, 0, 2, V40, SIZE(0), NO_SID),
	DEC0(OP_RESTOREFH, restorefh, 0, 2, 0, SIZE(0)),
	DEC0(OP_SAVEFH, savefh, 0, 2, FH, SIZE(0)),
	/* Two flavors, AUTH_SYS and AUTH_NONE. */
	DEC(OP_SECINFO, secinfo, 0, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	/* SETATTR checks the filehandle, a read-only file system and its
	 * stateid itself: its result always carries attrsset, even for
	 * NFS4ERR_NOFILEHANDLE, and its stateid counts only with a size. */
	DEC(OP_SETATTR, setattr_wire, 0, 2, CHG, SIZE(BITMAP), NO_SID),
	OP(OP_SETCLIENTID, nfs4_op_setclientid, 0, 2, V40 | CHG, SIZE(8 + 8), NO_SID),
	OP(OP_SETCLIENTID_CONFIRM, nfs4_op_setclientid_confirm, 0, 2, BLOCK | V40 | CHG, SIZE(0),
	   NO_SID),
	DEC(OP_VERIFY, verify, 0, 2, FH, SIZE(0), NO_SID),
	DEC(OP_WRITE, write, 0, 2, ROFS | BLOCK | CHG, SIZE(4 + 4 + 8), ASID_FN(sid_write)),
	OP(OP_RELEASE_LOCKOWNER, nfs4_op_release_lockowner, 0, 2, V40 | CHG, SIZE(0), NO_SID),
	OP(OP_BACKCHANNEL_CTL, nfs4_op_backchannel_ctl, 1, 2, CHG, SIZE(0), NO_SID),
	OP(OP_BIND_CONN_TO_SESSION, nfs4_op_bind_conn_to_session, 1, 2, NOSESS | CHG,
	   SIZE(NFS4_SESSIONID_SIZE + 4 + 4), NO_SID),
	OP(OP_EXCHANGE_ID, nfs4_op_exchange_id, 1, 2, NOSESS | CHG, SIZE(EXCHANGE_ID_OK), NO_SID),
	OP(OP_CREATE_SESSION, nfs4_op_create_session, 1, 2, NOSESS | BLOCK | CHG,
	   SIZE(NFS4_SESSIONID_SIZE + 4 + 4 + 2 * CHAN_ATTRS), NO_SID),
	OP(OP_DESTROY_SESSION, nfs4_op_destroy_session, 1, 2, NOSESS | CHG, SIZE(0), NO_SID),
	OP(OP_FREE_STATEID, nfs4_op_free_stateid, 1, 2, CHG, SIZE(0), SID_AT(0)),
	OP(OP_GET_DIR_DELEGATION, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_GETDEVICEINFO, NULL, 1, 2, 0, SIZE(0), NO_SID),
	OP(OP_GETDEVICELIST, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTCOMMIT, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTGET, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_LAYOUTRETURN, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_SECINFO_NO_NAME, nfs4_op_secinfo_no_name, 1, 2, FH, SIZE(4 + 2 * 4), NO_SID),
	OP(OP_SEQUENCE, nfs4_op_sequence, 1, 2, 0, SIZE(NFS4_SESSIONID_SIZE + 5 * 4), NO_SID),
	OP(OP_SET_SSV, nfs4_op_set_ssv, 1, 2, CHG, SIZE(0), NO_SID),
	OP(OP_TEST_STATEID, nfs4_op_test_stateid, 1, 2, 0, SIZE_FN(reply_test_stateid), NO_SID),
	OP(OP_WANT_DELEGATION, NULL, 1, 2, FH, SIZE(0), NO_SID),
	OP(OP_DESTROY_CLIENTID, nfs4_op_destroy_clientid, 1, 2, NOSESS | BLOCK | CHG, SIZE(0),
	   NO_SID),
	OP(OP_RECLAIM_COMPLETE, nfs4_op_reclaim_complete, 1, 2, CHG, SIZE(0), NO_SID),
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
