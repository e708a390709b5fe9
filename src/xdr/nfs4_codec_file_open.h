/* OPEN and the state operations on files: OPEN_CONFIRM, OPEN_DOWNGRADE,
 * CLOSE, LOCK, LOCKT, LOCKU, DELEGRETURN, DELEGPURGE.  Part of
 * xdr/nfs4_codec_file.h; include that one. */
#ifndef FERRY_XDR_NFS4_CODEC_FILE_OPEN_H
#define FERRY_XDR_NFS4_CODEC_FILE_OPEN_H

#include "xdr/nfs4_codec.h"

/* open_owner4 and lock_owner4 (also RELEASE_LOCKOWNER's and
 * CB_NOTIFY_LOCK's, in xdr/nfs4_codec_session.h and xdr/nfs4_codec_cb.h). */
struct nfs4_state_owner {
	uint64_t clientid;
	struct nfs4_opaque owner;
};

bool nfs4_enc_state_owner(struct xdr_enc *e, const struct nfs4_state_owner *v);
bool nfs4_dec_state_owner(struct xdr_dec *d, struct nfs4_state_owner *v);

/* createhow4 (OPEN4_CREATE only): attrs for UNCHECKED4, GUARDED4 and
 * EXCLUSIVE4_1, verifier for EXCLUSIVE4 and EXCLUSIVE4_1. */
struct nfs4_createhow {
	uint32_t mode; /* createmode4 */
	struct nfs4_fattr_raw attrs;
	struct nfs4_verifier verifier;
};

/* open_claim4: file for CLAIM_NULL, CLAIM_DELEGATE_CUR and
 * CLAIM_DELEGATE_PREV; delegate_stateid for CLAIM_DELEGATE_CUR and
 * CLAIM_DELEG_CUR_FH; delegate_type for CLAIM_PREVIOUS. */
struct nfs4_open_claim {
	uint32_t type; /* open_claim_type4 */
	struct nfs4_opaque file;
	struct nfs4_stateid delegate_stateid;
	uint32_t delegate_type;
};

struct nfs4_open_args {
	uint32_t seqid;
	uint32_t share_access; /* OPEN4_SHARE_ACCESS_*, with the v4.1 WANT bits */
	uint32_t share_deny;
	struct nfs4_state_owner owner;
	uint32_t opentype; /* opentype4 */
	struct nfs4_createhow how; /* when opentype is OPEN4_CREATE */
	struct nfs4_open_claim claim;
};
bool nfs4_enc_open_args(struct xdr_enc *e, const struct nfs4_open_args *v);
bool nfs4_dec_open_args(struct xdr_dec *d, struct nfs4_open_args *v);

/* nfs_space_limit4 */
struct nfs4_space_limit {
	uint32_t limitby; /* limit_by4 */
	uint64_t filesize;                       /* NFS_LIMIT_SIZE */
	uint32_t num_blocks, bytes_per_block;    /* NFS_LIMIT_BLOCKS */
};

/* open_delegation4: stateid, recall and permissions for READ and WRITE,
 * space_limit for WRITE; why (and, for WND4_CONTENTION / WND4_RESOURCE,
 * server_will) for NONE_EXT. */
struct nfs4_open_delegation {
	uint32_t type; /* open_delegation_type4 */
	struct nfs4_stateid stateid;
	bool recall;
	struct nfs4_space_limit space_limit;
	struct nfs4_ace permissions;
	uint32_t why;     /* why_no_delegation4 */
	bool server_will; /* ond_server_will_push_deleg / _signal_avail */
};

/* Also WANT_DELEGATION's result (xdr/nfs4_codec_session.h). */
bool nfs4_enc_open_delegation(struct xdr_enc *e, const struct nfs4_open_delegation *v);
bool nfs4_dec_open_delegation(struct xdr_dec *d, struct nfs4_open_delegation *v);

struct nfs4_open_res {
	struct nfs4_stateid stateid;
	struct nfs4_change_info cinfo;
	uint32_t rflags;
	struct nfs4_bitmap attrset;
	bool mask_extra;
	struct nfs4_open_delegation delegation;
};
bool nfs4_enc_open_res(struct xdr_enc *e, const struct nfs4_open_res *v);
bool nfs4_dec_open_res(struct xdr_dec *d, struct nfs4_open_res *v);

struct nfs4_open_confirm_args {
	struct nfs4_stateid stateid;
	uint32_t seqid;
};
bool nfs4_enc_open_confirm_args(struct xdr_enc *e, const struct nfs4_open_confirm_args *v);
bool nfs4_dec_open_confirm_args(struct xdr_dec *d, struct nfs4_open_confirm_args *v);

struct nfs4_open_downgrade_args {
	struct nfs4_stateid stateid;
	uint32_t seqid;
	uint32_t share_access, share_deny;
};
bool nfs4_enc_open_downgrade_args(struct xdr_enc *e, const struct nfs4_open_downgrade_args *v);
bool nfs4_dec_open_downgrade_args(struct xdr_dec *d, struct nfs4_open_downgrade_args *v);

struct nfs4_close_args {
	uint32_t seqid;
	struct nfs4_stateid stateid;
};
bool nfs4_enc_close_args(struct xdr_enc *e, const struct nfs4_close_args *v);
bool nfs4_dec_close_args(struct xdr_dec *d, struct nfs4_close_args *v);

/* OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE, LOCK and LOCKU answer a stateid. */
#define nfs4_stateid_res nfs4_stateid_args
#define nfs4_enc_stateid_res nfs4_enc_stateid_args
#define nfs4_dec_stateid_res nfs4_dec_stateid_args
#define nfs4_open_confirm_res nfs4_stateid_res
#define nfs4_open_downgrade_res nfs4_stateid_res
#define nfs4_close_res nfs4_stateid_res
#define nfs4_lock_res nfs4_stateid_res
#define nfs4_locku_res nfs4_stateid_res
#define nfs4_enc_open_confirm_res nfs4_enc_stateid_res
#define nfs4_dec_open_confirm_res nfs4_dec_stateid_res
#define nfs4_enc_open_downgrade_res nfs4_enc_stateid_res
#define nfs4_dec_open_downgrade_res nfs4_dec_stateid_res
#define nfs4_enc_close_res nfs4_enc_stateid_res
#define nfs4_dec_close_res nfs4_dec_stateid_res
#define nfs4_enc_lock_res nfs4_enc_stateid_res
#define nfs4_dec_lock_res nfs4_dec_stateid_res
#define nfs4_enc_locku_res nfs4_enc_stateid_res
#define nfs4_dec_locku_res nfs4_dec_stateid_res

/* locker4: open_seqid, open_stateid, lock_seqid and owner for a new lock
 * owner; lock_stateid and lock_seqid for an existing one. */
struct nfs4_locker {
	bool new_lock_owner;
	uint32_t open_seqid;
	struct nfs4_stateid open_stateid;
	struct nfs4_stateid lock_stateid;
	uint32_t lock_seqid;
	struct nfs4_state_owner owner;
};

struct nfs4_lock_args {
	uint32_t locktype; /* nfs_lock_type4 */
	bool reclaim;
	uint64_t offset, length;
	struct nfs4_locker locker;
};
bool nfs4_enc_lock_args(struct xdr_enc *e, const struct nfs4_lock_args *v);
bool nfs4_dec_lock_args(struct xdr_dec *d, struct nfs4_lock_args *v);

/* LOCK4denied: the body of NFS4ERR_DENIED from LOCK and LOCKT. */
struct nfs4_lock_denied {
	uint64_t offset, length;
	uint32_t locktype;
	struct nfs4_state_owner owner;
};
bool nfs4_enc_lock_denied(struct xdr_enc *e, const struct nfs4_lock_denied *v);
bool nfs4_dec_lock_denied(struct xdr_dec *d, struct nfs4_lock_denied *v);

struct nfs4_lockt_args {
	uint32_t locktype;
	uint64_t offset, length;
	struct nfs4_state_owner owner;
};
bool nfs4_enc_lockt_args(struct xdr_enc *e, const struct nfs4_lockt_args *v);
bool nfs4_dec_lockt_args(struct xdr_dec *d, struct nfs4_lockt_args *v);

struct nfs4_locku_args {
	uint32_t locktype;
	uint32_t seqid;
	struct nfs4_stateid stateid;
	uint64_t offset, length;
};
bool nfs4_enc_locku_args(struct xdr_enc *e, const struct nfs4_locku_args *v);
bool nfs4_dec_locku_args(struct xdr_dec *d, struct nfs4_locku_args *v);

#define nfs4_delegreturn_args nfs4_stateid_args
#define nfs4_enc_delegreturn_args nfs4_enc_stateid_args
#define nfs4_dec_delegreturn_args nfs4_dec_stateid_args
#define nfs4_delegpurge_args nfs4_clientid_args
#define nfs4_enc_delegpurge_args nfs4_enc_clientid_args
#define nfs4_dec_delegpurge_args nfs4_dec_clientid_args

#endif
