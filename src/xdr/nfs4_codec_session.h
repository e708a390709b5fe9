/* Client, session and v4.0 client-id operations of the NFSv4 codec
 * (RFC 8881 18.35-18.51, RFC 7530 16.33-16.37), plus the secinfo4 result
 * list that SECINFO shares with SECINFO_NO_NAME.  lock_owner4 and
 * open_delegation4 are the file-operation codec's (OPEN, LOCK).
 * Naming, in-place decoding and error conventions: xdr/nfs4_codec.h.
 *
 * Operations whose result is void on NFS4_OK (DESTROY_SESSION,
 * BACKCHANNEL_CTL, DESTROY_CLIENTID, RECLAIM_COMPLETE, FREE_STATEID,
 * SETCLIENTID_CONFIRM, RENEW, RELEASE_LOCKOWNER) have no _res functions.
 *
 * Lists whose items vary in size are decoded in place as struct
 * nfs4_list: the decoder checks every item, then the caller walks them
 * with nfs4_list_iter_init and the item's own decoder, which cannot fail on
 * a list that decoded.  To encode a list, set the `items` next to it (count
 * entries of the item struct); a decoded list (items NULL) re-encodes from
 * its wire bytes, so a decoded request can be forwarded or logged as sent.
 * Lists of fixed-size items (stateids, statuses, referring calls) keep the
 * wire pointer and a _get accessor instead.
 *
 * Encoders refuse values no decoder would accept (an AUTH_SYS name past 255
 * bytes, more than 16 gids, a union arm the protocol lacks): they return
 * false with overflow set, so a caller's single check at the end sees it. */
#ifndef FERRY_XDR_NFS4_CODEC_SESSION_H
#define FERRY_XDR_NFS4_CODEC_SESSION_H

#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_codec_file.h"

/* Wire limits Ferry's decoders apply where the protocol has them. */
enum {
	NFS4_AUTHSYS_MACHINENAME_MAX = 255,
	NFS4_AUTHSYS_GIDS_MAX = 16,
	NFS4_AUTH_NONE = 0, /* flavors as RFC 5531 numbers them */
	NFS4_AUTH_SYS = 1,
};

/* Items of a variable-length list kept as sent (see the header comment). */
struct nfs4_list {
	uint32_t count;
	struct nfs4_opaque wire; /* after decode: the items' bytes */
};

/* Decodes count (<= max) then each item with `item`, which writes into
 * scratch (the caller's item struct, ignored afterwards). */
typedef bool nfs4_list_item_dec(struct xdr_dec *d, void *scratch);
bool nfs4_dec_list(struct xdr_dec *d, uint32_t max, nfs4_list_item_dec *item, void *scratch,
		   struct nfs4_list *l);
/* Re-encodes a decoded list as it came. */
bool nfs4_enc_list_wire(struct xdr_enc *e, const struct nfs4_list *l);

static inline void nfs4_list_iter_init(struct xdr_dec *it, const struct nfs4_list *l)
{
	xdr_dec_init(it, l->wire.data, l->wire.len);
}

struct nfs4_sessionid {
	uint8_t data[NFS4_SESSIONID_SIZE];
};

bool nfs4_enc_sessionid(struct xdr_enc *e, const struct nfs4_sessionid *v);
bool nfs4_dec_sessionid(struct xdr_dec *d, struct nfs4_sessionid *v);

/* state_protect_ops4: operation bitmaps.  Bits past the words Ferry knows
 * are dropped (extra is set); such operations do not exist yet. */
struct nfs4_sp_ops {
	struct nfs4_bitmap must_enforce, must_allow;
	bool extra;
};

/* state_protect4_a.  SP4_SSV is decoded in full (so it can be refused with
 * the right error, not BADXDR) but Ferry implements none of it: its
 * algorithm and handle lists stay as wire bytes (opaque items, walked
 * with nfs4_dec_opaque_item) and are encoded only from wire bytes. */
struct nfs4_state_protect_a {
	uint32_t how; /* SP4_NONE, SP4_MACH_CRED, SP4_SSV */
	struct nfs4_sp_ops ops;         /* MACH_CRED and SSV */
	struct nfs4_list hash_algs;     /* SSV: sec_oid4<>; items: struct nfs4_opaque */
	struct nfs4_list encr_algs;     /* SSV: sec_oid4<> */
	uint32_t window, num_gss_handles; /* SSV */
};

/* state_protect4_r. */
struct nfs4_state_protect_r {
	uint32_t how;
	struct nfs4_sp_ops ops; /* MACH_CRED and SSV */
	uint32_t hash_alg, encr_alg, ssv_len, window; /* SSV */
	struct nfs4_list handles;                    /* SSV: gsshandle4_t<> */
};

/* Walks an opaque<> list (hash_algs, encr_algs, handles). */
bool nfs4_dec_opaque_item(struct xdr_dec *it, struct nfs4_opaque *o);

/* nfs_impl_id4 */
struct nfs4_impl_id {
	struct nfs4_opaque domain, name; /* <= NFS4_OPAQUE_LIMIT */
	struct timespec date;
};

/* --- EXCHANGE_ID ------------------------------------------------------- */

struct nfs4_exchange_id_args {
	struct nfs4_verifier verifier;    /* client_owner4.co_verifier */
	struct nfs4_opaque ownerid;       /* client_owner4.co_ownerid <= 1024 */
	uint32_t flags;
	struct nfs4_state_protect_a state_protect;
	bool has_impl_id; /* nfs_impl_id4<1> */
	struct nfs4_impl_id impl_id;
};

struct nfs4_exchange_id_res {
	uint64_t clientid;
	uint32_t sequenceid;
	uint32_t flags;
	struct nfs4_state_protect_r state_protect;
	uint64_t server_minor_id;         /* server_owner4 */
	struct nfs4_opaque server_major_id; /* <= 1024 */
	struct nfs4_opaque server_scope;    /* <= 1024 */
	bool has_impl_id;
	struct nfs4_impl_id impl_id;
};

bool nfs4_enc_exchange_id_args(struct xdr_enc *e, const struct nfs4_exchange_id_args *v);
bool nfs4_dec_exchange_id_args(struct xdr_dec *d, struct nfs4_exchange_id_args *v);
bool nfs4_enc_exchange_id_res(struct xdr_enc *e, const struct nfs4_exchange_id_res *v);
bool nfs4_dec_exchange_id_res(struct xdr_dec *d, struct nfs4_exchange_id_res *v);

/* --- CREATE_SESSION ---------------------------------------------------- */

/* channel_attrs4 */
struct nfs4_chan_attrs {
	uint32_t headerpadsize;
	uint32_t maxrequestsize;
	uint32_t maxresponsesize;
	uint32_t maxresponsesize_cached;
	uint32_t maxoperations;
	uint32_t maxrequests;
	bool has_rdma_ird; /* ca_rdma_ird<1> */
	uint32_t rdma_ird;
};

bool nfs4_enc_chan_attrs(struct xdr_enc *e, const struct nfs4_chan_attrs *v);
bool nfs4_dec_chan_attrs(struct xdr_dec *d, struct nfs4_chan_attrs *v);

/* authsys_parms (RFC 5531), a wire copy: xdr does not know rpc's credential. */
struct nfs4_authsys_parms {
	uint32_t stamp;
	struct nfs4_opaque machinename; /* <= NFS4_AUTHSYS_MACHINENAME_MAX */
	uint32_t uid, gid;
	uint32_t ngids;
	uint32_t gids[NFS4_AUTHSYS_GIDS_MAX];
};

/* callback_sec_parms4: AUTH_NONE, AUTH_SYS or RPCSEC_GSS; any other flavor
 * does not decode (the union has no default arm). */
struct nfs4_cb_sec_parms {
	uint32_t flavor;
	struct nfs4_authsys_parms sys;            /* AUTH_SYS */
	uint32_t gss_service;                     /* RPCSEC_GSS: gss_cb_handles4 */
	struct nfs4_opaque gss_handle_from_server, gss_handle_from_client;
};

/* The decoder is also the item decoder of a callback_sec_parms4<> list. */
bool nfs4_enc_cb_sec_parms(struct xdr_enc *e, const struct nfs4_cb_sec_parms *v);
bool nfs4_dec_cb_sec_parms(struct xdr_dec *d, struct nfs4_cb_sec_parms *v);

/* callback_sec_parms4<>; items: struct nfs4_cb_sec_parms. */
struct nfs4_cb_sec_list {
	struct nfs4_list l;
	const struct nfs4_cb_sec_parms *items; /* to encode */
};

struct nfs4_create_session_args {
	uint64_t clientid;
	uint32_t sequence;
	uint32_t flags;
	struct nfs4_chan_attrs fore, back;
	uint32_t cb_program;
	struct nfs4_cb_sec_list sec_parms;
};

struct nfs4_create_session_res {
	struct nfs4_sessionid sessionid;
	uint32_t sequence;
	uint32_t flags;
	struct nfs4_chan_attrs fore, back;
};

bool nfs4_enc_create_session_args(struct xdr_enc *e, const struct nfs4_create_session_args *v);
bool nfs4_dec_create_session_args(struct xdr_dec *d, struct nfs4_create_session_args *v);
bool nfs4_enc_create_session_res(struct xdr_enc *e, const struct nfs4_create_session_res *v);
bool nfs4_dec_create_session_res(struct xdr_dec *d, struct nfs4_create_session_res *v);

/* --- DESTROY_SESSION --------------------------------------------------- */

struct nfs4_destroy_session_args {
	struct nfs4_sessionid sessionid;
};

bool nfs4_enc_destroy_session_args(struct xdr_enc *e, const struct nfs4_destroy_session_args *v);
bool nfs4_dec_destroy_session_args(struct xdr_dec *d, struct nfs4_destroy_session_args *v);

/* --- SEQUENCE ---------------------------------------------------------- */

struct nfs4_sequence_args {
	struct nfs4_sessionid sessionid;
	uint32_t sequenceid, slotid, highest_slotid;
	bool cachethis;
};

struct nfs4_sequence_res {
	struct nfs4_sessionid sessionid;
	uint32_t sequenceid, slotid, highest_slotid, target_highest_slotid;
	uint32_t status_flags;
};

bool nfs4_enc_sequence_args(struct xdr_enc *e, const struct nfs4_sequence_args *v);
bool nfs4_dec_sequence_args(struct xdr_dec *d, struct nfs4_sequence_args *v);
bool nfs4_enc_sequence_res(struct xdr_enc *e, const struct nfs4_sequence_res *v);
bool nfs4_dec_sequence_res(struct xdr_dec *d, struct nfs4_sequence_res *v);

/* --- BIND_CONN_TO_SESSION ---------------------------------------------- */

/* The arguments and the result have one layout; only dir's meaning
 * differs. */
struct nfs4_bind_conn {
	struct nfs4_sessionid sessionid;
	/* arguments: channel_dir_from_client4, not checked here;
	 * result: channel_dir_from_server4 */
	uint32_t dir;
	bool use_conn_in_rdma_mode;
};

bool nfs4_enc_bind_conn(struct xdr_enc *e, const struct nfs4_bind_conn *v);
bool nfs4_dec_bind_conn(struct xdr_dec *d, struct nfs4_bind_conn *v);
#define nfs4_bind_conn_to_session_args nfs4_bind_conn
#define nfs4_enc_bind_conn_to_session_args nfs4_enc_bind_conn
#define nfs4_dec_bind_conn_to_session_args nfs4_dec_bind_conn
#define nfs4_bind_conn_to_session_res nfs4_bind_conn
#define nfs4_enc_bind_conn_to_session_res nfs4_enc_bind_conn
#define nfs4_dec_bind_conn_to_session_res nfs4_dec_bind_conn

/* --- BACKCHANNEL_CTL --------------------------------------------------- */

struct nfs4_backchannel_ctl_args {
	uint32_t cb_program;
	struct nfs4_cb_sec_list sec_parms;
};

bool nfs4_enc_backchannel_ctl_args(struct xdr_enc *e, const struct nfs4_backchannel_ctl_args *v);
bool nfs4_dec_backchannel_ctl_args(struct xdr_dec *d, struct nfs4_backchannel_ctl_args *v);

/* --- DESTROY_CLIENTID, RECLAIM_COMPLETE, RENEW ------------------------- */

#define nfs4_destroy_clientid_args nfs4_clientid_args
#define nfs4_enc_destroy_clientid_args nfs4_enc_clientid_args
#define nfs4_dec_destroy_clientid_args nfs4_dec_clientid_args

struct nfs4_reclaim_complete_args {
	bool one_fs;
};

bool nfs4_enc_reclaim_complete_args(struct xdr_enc *e, const struct nfs4_reclaim_complete_args *v);
bool nfs4_dec_reclaim_complete_args(struct xdr_dec *d, struct nfs4_reclaim_complete_args *v);

#define nfs4_renew_args nfs4_clientid_args
#define nfs4_enc_renew_args nfs4_enc_clientid_args
#define nfs4_dec_renew_args nfs4_dec_clientid_args

/* --- TEST_STATEID, FREE_STATEID ---------------------------------------- */

/* stateid4<>: fixed-size items, so the i-th is read straight from the wire
 * (nfs4_test_stateid_args_get); to encode, set `items`. */
struct nfs4_test_stateid_args {
	uint32_t count;
	const struct nfs4_stateid *items; /* to encode */
	const uint8_t *wire;              /* after decode: count * 16 bytes */
};

/* nfsstat4<>, one per stateid asked about. */
struct nfs4_test_stateid_res {
	uint32_t count;
	const uint32_t *items; /* to encode */
	const uint8_t *wire;   /* after decode: count * 4 bytes */
};

bool nfs4_enc_test_stateid_args(struct xdr_enc *e, const struct nfs4_test_stateid_args *v);
bool nfs4_dec_test_stateid_args(struct xdr_dec *d, struct nfs4_test_stateid_args *v);
bool nfs4_enc_test_stateid_res(struct xdr_enc *e, const struct nfs4_test_stateid_res *v);
bool nfs4_dec_test_stateid_res(struct xdr_dec *d, struct nfs4_test_stateid_res *v);

/* The i-th item (i < count) of a list built either way. */
void nfs4_test_stateid_args_get(const struct nfs4_test_stateid_args *a, uint32_t i,
				struct nfs4_stateid *out);
uint32_t nfs4_test_stateid_res_get(const struct nfs4_test_stateid_res *r, uint32_t i);

#define nfs4_free_stateid_args nfs4_stateid_args
#define nfs4_enc_free_stateid_args nfs4_enc_stateid_args
#define nfs4_dec_free_stateid_args nfs4_dec_stateid_args

/* --- SECINFO result (shared with SECINFO), SECINFO_NO_NAME ------------- */

/* secinfo4: flavor, and for RPCSEC_GSS its rpcsec_gss_info. */
struct nfs4_secinfo {
	uint32_t flavor;
	struct nfs4_opaque gss_oid; /* sec_oid4, <= NFS4_OPAQUE_LIMIT */
	uint32_t gss_qop, gss_service;
};

/* The decoder is also the item decoder of nfs4_secinfo_res.list. */
bool nfs4_enc_secinfo(struct xdr_enc *e, const struct nfs4_secinfo *v);
bool nfs4_dec_secinfo(struct xdr_dec *d, struct nfs4_secinfo *v);

/* SECINFO4resok and SECINFO_NO_NAME4resok: secinfo4<>. */
struct nfs4_secinfo_res {
	struct nfs4_list l;
	const struct nfs4_secinfo *items; /* to encode */
};

bool nfs4_enc_secinfo_res(struct xdr_enc *e, const struct nfs4_secinfo_res *v);
bool nfs4_dec_secinfo_res(struct xdr_dec *d, struct nfs4_secinfo_res *v);

struct nfs4_secinfo_no_name_args {
	uint32_t style; /* secinfo_style4 */
};

bool nfs4_enc_secinfo_no_name_args(struct xdr_enc *e, const struct nfs4_secinfo_no_name_args *v);
bool nfs4_dec_secinfo_no_name_args(struct xdr_dec *d, struct nfs4_secinfo_no_name_args *v);
/* The result is nfs4_secinfo_res. */

/* --- SET_SSV (decoded so it can be refused) ---------------------------- */

struct nfs4_set_ssv_args {
	struct nfs4_opaque ssv, digest;
};

struct nfs4_set_ssv_res {
	struct nfs4_opaque digest;
};

bool nfs4_enc_set_ssv_args(struct xdr_enc *e, const struct nfs4_set_ssv_args *v);
bool nfs4_dec_set_ssv_args(struct xdr_dec *d, struct nfs4_set_ssv_args *v);
bool nfs4_enc_set_ssv_res(struct xdr_enc *e, const struct nfs4_set_ssv_res *v);
bool nfs4_dec_set_ssv_res(struct xdr_dec *d, struct nfs4_set_ssv_res *v);

/* --- v4.0 client id: SETCLIENTID, SETCLIENTID_CONFIRM, RELEASE_LOCKOWNER */

/* netaddr4 / clientaddr4: strings bounded only by the record. */
struct nfs4_netaddr {
	struct nfs4_opaque netid, addr;
};

struct nfs4_setclientid_args {
	struct nfs4_verifier verifier; /* nfs_client_id4 */
	struct nfs4_opaque id;         /* <= NFS4_OPAQUE_LIMIT */
	uint32_t cb_program;           /* cb_client4 */
	struct nfs4_netaddr cb_location;
	uint32_t callback_ident;
};

/* The union's two bodies: NFS4_OK has clientid and verifier,
 * NFS4ERR_CLID_INUSE the address of the client using the id.  The
 * functions take the status (already in the op header) to pick one; other
 * statuses have no body. */
struct nfs4_setclientid_res {
	uint64_t clientid;
	struct nfs4_verifier confirm;
	struct nfs4_netaddr inuse_addr;
};

bool nfs4_enc_setclientid_args(struct xdr_enc *e, const struct nfs4_setclientid_args *v);
bool nfs4_dec_setclientid_args(struct xdr_dec *d, struct nfs4_setclientid_args *v);
bool nfs4_enc_setclientid_res(struct xdr_enc *e, uint32_t status,
			      const struct nfs4_setclientid_res *r);
bool nfs4_dec_setclientid_res(struct xdr_dec *d, uint32_t status, struct nfs4_setclientid_res *r);

struct nfs4_setclientid_confirm_args {
	uint64_t clientid;
	struct nfs4_verifier confirm;
};

bool nfs4_enc_setclientid_confirm_args(struct xdr_enc *e,
				       const struct nfs4_setclientid_confirm_args *v);
bool nfs4_dec_setclientid_confirm_args(struct xdr_dec *d, struct nfs4_setclientid_confirm_args *v);

struct nfs4_release_lockowner_args {
	struct nfs4_state_owner owner;
};

bool nfs4_enc_release_lockowner_args(struct xdr_enc *e,
				     const struct nfs4_release_lockowner_args *v);
bool nfs4_dec_release_lockowner_args(struct xdr_dec *d, struct nfs4_release_lockowner_args *v);

/* --- GET_DIR_DELEGATION ------------------------------------------------ */

struct nfs4_get_dir_delegation_args {
	bool signal_deleg_avail;
	struct nfs4_bitmap notification_types; /* notify_type4 bits */
	struct timespec child_attr_delay, dir_attr_delay;
	struct nfs4_bitmap child_attributes, dir_attributes;
	bool extra; /* a bitmap had bits past the words Ferry knows */
};

/* GET_DIR_DELEGATION4res_non_fatal: GDD4_OK or GDD4_UNAVAIL. */
struct nfs4_get_dir_delegation_res {
	uint32_t status; /* gddrnf4_status */
	struct nfs4_verifier cookieverf;   /* GDD4_OK */
	struct nfs4_stateid stateid;
	struct nfs4_bitmap notification, child_attributes, dir_attributes;
	bool will_signal_deleg_avail;      /* GDD4_UNAVAIL */
	bool extra;
};

bool nfs4_enc_get_dir_delegation_args(struct xdr_enc *e,
				      const struct nfs4_get_dir_delegation_args *v);
bool nfs4_dec_get_dir_delegation_args(struct xdr_dec *d, struct nfs4_get_dir_delegation_args *v);
bool nfs4_enc_get_dir_delegation_res(struct xdr_enc *e,
				     const struct nfs4_get_dir_delegation_res *v);
bool nfs4_dec_get_dir_delegation_res(struct xdr_dec *d, struct nfs4_get_dir_delegation_res *v);

/* --- WANT_DELEGATION --------------------------------------------------- */

struct nfs4_want_delegation_args {
	uint32_t want;
	uint32_t claim;         /* CLAIM_FH, CLAIM_DELEG_PREV_FH or CLAIM_PREVIOUS */
	uint32_t delegate_type; /* CLAIM_PREVIOUS */
};

/* open_delegation4, as OPEN returns it (xdr/nfs4_codec_file_open.h). */
struct nfs4_want_delegation_res {
	struct nfs4_open_delegation deleg;
};

bool nfs4_enc_want_delegation_args(struct xdr_enc *e, const struct nfs4_want_delegation_args *v);
bool nfs4_dec_want_delegation_args(struct xdr_dec *d, struct nfs4_want_delegation_args *v);
bool nfs4_enc_want_delegation_res(struct xdr_enc *e, const struct nfs4_want_delegation_res *v);
bool nfs4_dec_want_delegation_res(struct xdr_dec *d, struct nfs4_want_delegation_res *v);

#endif
