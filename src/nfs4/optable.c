/* The operation table: which minor versions define each operation, its
 * handler, and how it runs. */
#include "nfs4/compound.h"
#include "nfs4/ops.h"
#include "nfs4/ops_session.h"
#include "nfs4/ops_state.h"

#define OP(num, fn, lo, hi, fl) [num] = {#num, fn, lo, hi, fl}
#define FH NFS4_OPF_NEED_FH
#define BLOCK NFS4_OPF_MAY_BLOCK
#define V40 NFS4_OPF_V40_ONLY
#define NOSESS NFS4_OPF_SESSIONLESS

static const struct nfs4_op_desc op_table[OP_REMOVEXATTR + 1] = {
	OP(OP_ACCESS, nfs4_op_access, 0, 2, FH),
	OP(OP_CLOSE, nfs4_op_close, 0, 2, FH),
	OP(OP_COMMIT, nfs4_op_commit, 0, 2, FH | BLOCK),
	OP(OP_CREATE, nfs4_op_create, 0, 2, FH),
	OP(OP_DELEGPURGE, nfs4_op_delegpurge, 0, 2, 0),
	OP(OP_DELEGRETURN, nfs4_op_delegreturn, 0, 2, FH),
	OP(OP_GETATTR, nfs4_op_getattr, 0, 2, FH),
	OP(OP_GETFH, nfs4_op_getfh, 0, 2, FH),
	OP(OP_LINK, nfs4_op_link, 0, 2, FH),
	OP(OP_LOCK, nfs4_op_lock, 0, 2, FH),
	OP(OP_LOCKT, nfs4_op_lockt, 0, 2, FH),
	OP(OP_LOCKU, nfs4_op_locku, 0, 2, FH),
	OP(OP_LOOKUP, nfs4_op_lookup, 0, 2, FH),
	OP(OP_LOOKUPP, nfs4_op_lookupp, 0, 2, FH),
	OP(OP_NVERIFY, nfs4_op_nverify, 0, 2, FH),
	OP(OP_OPEN, nfs4_op_open, 0, 2, FH | BLOCK),
	OP(OP_OPENATTR, nfs4_op_openattr, 0, 2, FH),
	OP(OP_OPEN_CONFIRM, nfs4_op_open_confirm, 0, 2, FH | V40),
	OP(OP_OPEN_DOWNGRADE, nfs4_op_open_downgrade, 0, 2, FH),
	OP(OP_PUTFH, nfs4_op_putfh, 0, 2, 0),
	OP(OP_PUTPUBFH, nfs4_op_putpubfh, 0, 2, 0),
	OP(OP_PUTROOTFH, nfs4_op_putrootfh, 0, 2, 0),
	OP(OP_READ, nfs4_op_read, 0, 2, FH | BLOCK),
	OP(OP_READDIR, nfs4_op_readdir, 0, 2, FH),
	OP(OP_READLINK, nfs4_op_readlink, 0, 2, FH),
	OP(OP_REMOVE, nfs4_op_remove, 0, 2, FH),
	OP(OP_RENAME, nfs4_op_rename, 0, 2, FH),
	OP(OP_RENEW, nfs4_op_renew, 0, 2, V40),
	OP(OP_RESTOREFH, nfs4_op_restorefh, 0, 2, 0),
	OP(OP_SAVEFH, nfs4_op_savefh, 0, 2, FH),
	OP(OP_SECINFO, nfs4_op_secinfo, 0, 2, FH),
	/* SETATTR checks the filehandle itself: its result always carries
	 * attrsset, even for NFS4ERR_NOFILEHANDLE. */
	OP(OP_SETATTR, nfs4_op_setattr, 0, 2, 0),
	OP(OP_SETCLIENTID, nfs4_op_setclientid, 0, 2, V40),
	OP(OP_SETCLIENTID_CONFIRM, nfs4_op_setclientid_confirm, 0, 2, BLOCK | V40),
	OP(OP_VERIFY, nfs4_op_verify, 0, 2, FH),
	OP(OP_WRITE, nfs4_op_write, 0, 2, FH | BLOCK),
	OP(OP_RELEASE_LOCKOWNER, nfs4_op_release_lockowner, 0, 2, V40),
	OP(OP_BACKCHANNEL_CTL, nfs4_op_backchannel_ctl, 1, 2, 0),
	OP(OP_BIND_CONN_TO_SESSION, nfs4_op_bind_conn_to_session, 1, 2, NOSESS),
	OP(OP_EXCHANGE_ID, nfs4_op_exchange_id, 1, 2, NOSESS),
	OP(OP_CREATE_SESSION, nfs4_op_create_session, 1, 2, NOSESS | BLOCK),
	OP(OP_DESTROY_SESSION, nfs4_op_destroy_session, 1, 2, NOSESS),
	OP(OP_FREE_STATEID, nfs4_op_free_stateid, 1, 2, 0),
	OP(OP_GET_DIR_DELEGATION, NULL, 1, 2, FH),
	OP(OP_GETDEVICEINFO, NULL, 1, 2, 0),
	OP(OP_GETDEVICELIST, NULL, 1, 2, FH),
	OP(OP_LAYOUTCOMMIT, NULL, 1, 2, FH),
	OP(OP_LAYOUTGET, NULL, 1, 2, FH),
	OP(OP_LAYOUTRETURN, NULL, 1, 2, FH),
	OP(OP_SECINFO_NO_NAME, nfs4_op_secinfo_no_name, 1, 2, FH),
	OP(OP_SEQUENCE, nfs4_op_sequence, 1, 2, 0),
	OP(OP_SET_SSV, nfs4_op_set_ssv, 1, 2, 0),
	OP(OP_TEST_STATEID, nfs4_op_test_stateid, 1, 2, 0),
	OP(OP_WANT_DELEGATION, NULL, 1, 2, FH),
	OP(OP_DESTROY_CLIENTID, nfs4_op_destroy_clientid, 1, 2, NOSESS | BLOCK),
	OP(OP_RECLAIM_COMPLETE, nfs4_op_reclaim_complete, 1, 2, 0),
};

const struct nfs4_op_desc *nfs4_op_describe(uint32_t opnum)
{
	if (opnum >= sizeof(op_table) / sizeof(op_table[0]) || !op_table[opnum].name)
		return NULL;
	return &op_table[opnum];
}
