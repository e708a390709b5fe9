/* Callback operations of the NFSv4 codec (RFC 8881 20, RFC 7530 16 of the
 * callback program, RFC 7862 15.1 for CB_OFFLOAD).  The server encodes the
 * arguments and decodes the results; test clients do the reverse.
 * Naming, in-place decoding and lists: xdr/nfs4_codec.h and
 * xdr/nfs4_codec_session.h.
 *
 * Void results on NFS4_OK (CB_RECALL, CB_NOTIFY_LOCK, CB_NOTIFY, CB_OFFLOAD,
 * CB_RECALL_ANY, CB_RECALLABLE_OBJ_AVAIL, CB_RECALL_SLOT,
 * CB_WANTS_CANCELLED) have no _res functions; CB_NULL has no body at all. */
#ifndef FERRY_XDR_NFS4_CODEC_CB_H
#define FERRY_XDR_NFS4_CODEC_CB_H

#include "xdr/nfs4_codec_session.h"

/* --- CB_SEQUENCE ------------------------------------------------------- */

/* referring_call4 */
struct nfs4_referring_call {
	uint32_t sequenceid, slotid;
};

/* referring_call_list4: the calls of one session.  The inner list has
 * fixed-size items: the i-th comes from nfs4_referring_call_list_get. */
struct nfs4_referring_call_list {
	struct nfs4_sessionid sessionid;
	uint32_t count;
	const struct nfs4_referring_call *items; /* to encode */
	const uint8_t *wire;                     /* after decode: count * 8 bytes */
};

/* The decoder is also the item decoder of nfs4_cb_sequence_args.lists. */
bool nfs4_enc_referring_call_list(struct xdr_enc *e, const struct nfs4_referring_call_list *v);
bool nfs4_dec_referring_call_list(struct xdr_dec *d, struct nfs4_referring_call_list *v);
void nfs4_referring_call_list_get(const struct nfs4_referring_call_list *r, uint32_t i,
				  struct nfs4_referring_call *out);

struct nfs4_cb_sequence_args {
	struct nfs4_sessionid sessionid;
	uint32_t sequenceid, slotid, highest_slotid;
	bool cachethis;
	/* referring_call_list4<>; items: struct nfs4_referring_call_list */
	struct nfs4_list lists;
	const struct nfs4_referring_call_list *items; /* to encode */
};

struct nfs4_cb_sequence_res {
	struct nfs4_sessionid sessionid;
	uint32_t sequenceid, slotid, highest_slotid, target_highest_slotid;
};

bool nfs4_enc_cb_sequence_args(struct xdr_enc *e, const struct nfs4_cb_sequence_args *v);
bool nfs4_dec_cb_sequence_args(struct xdr_dec *d, struct nfs4_cb_sequence_args *v);
bool nfs4_enc_cb_sequence_res(struct xdr_enc *e, const struct nfs4_cb_sequence_res *v);
bool nfs4_dec_cb_sequence_res(struct xdr_dec *d, struct nfs4_cb_sequence_res *v);

/* --- CB_RECALL --------------------------------------------------------- */

struct nfs4_cb_recall_args {
	struct nfs4_stateid stateid;
	bool truncate;
	struct nfs4_opaque fh;
};

bool nfs4_enc_cb_recall_args(struct xdr_enc *e, const struct nfs4_cb_recall_args *v);
bool nfs4_dec_cb_recall_args(struct xdr_dec *d, struct nfs4_cb_recall_args *v);

/* --- CB_GETATTR -------------------------------------------------------- */

struct nfs4_cb_getattr_args {
	struct nfs4_opaque fh;
	struct nfs4_bitmap attr_request;
	bool extra; /* bits past the words Ferry knows */
};

bool nfs4_enc_cb_getattr_args(struct xdr_enc *e, const struct nfs4_cb_getattr_args *v);
bool nfs4_dec_cb_getattr_args(struct xdr_dec *d, struct nfs4_cb_getattr_args *v);

/* CB_GETATTR4resok is GETATTR4resok: one fattr4. */
#define nfs4_cb_getattr_res nfs4_getattr_res
#define nfs4_enc_cb_getattr_res nfs4_enc_getattr_res
#define nfs4_dec_cb_getattr_res nfs4_dec_getattr_res

/* --- CB_NOTIFY_LOCK ---------------------------------------------------- */

struct nfs4_cb_notify_lock_args {
	struct nfs4_opaque fh;
	struct nfs4_state_owner lock_owner;
};

bool nfs4_enc_cb_notify_lock_args(struct xdr_enc *e, const struct nfs4_cb_notify_lock_args *v);
bool nfs4_dec_cb_notify_lock_args(struct xdr_dec *d, struct nfs4_cb_notify_lock_args *v);

/* --- CB_NOTIFY --------------------------------------------------------- */

/* notify4: a mask of notify_type4 bits and, for each set bit in order, one
 * body (below) inside the opaque notifylist4: fattr4's wire form, so the
 * same struct and coder (mask, vals, extra).  The decoder is also the item
 * decoder of nfs4_cb_notify_args.changes. */
#define nfs4_notify nfs4_fattr_raw
#define nfs4_enc_notify nfs4_enc_fattr_raw
#define nfs4_dec_notify nfs4_dec_fattr_raw

struct nfs4_cb_notify_args {
	struct nfs4_stateid stateid;
	struct nfs4_opaque fh;
	struct nfs4_list changes;             /* notify4<> */
	const struct nfs4_notify *items;      /* to encode */
};

bool nfs4_enc_cb_notify_args(struct xdr_enc *e, const struct nfs4_cb_notify_args *v);
bool nfs4_dec_cb_notify_args(struct xdr_dec *d, struct nfs4_cb_notify_args *v);

/* The bodies that go into nfs4_notify.vals: encode them into a scratch
 * encoder and point vals at the bytes; decode them from vals with an
 * xdr_dec over it. */

/* notify_entry4: a name and its attributes. */
struct nfs4_notify_entry {
	struct nfs4_opaque name; /* component4 */
	struct nfs4_fattr_raw attrs;
};

/* notify_remove4 (NOTIFY4_REMOVE_ENTRY) */
struct nfs4_notify_remove {
	struct nfs4_notify_entry old_entry;
	uint64_t old_entry_cookie;
};

/* notify_add4 (NOTIFY4_ADD_ENTRY) */
struct nfs4_notify_add {
	bool has_old_entry; /* notify_remove4<1> */
	struct nfs4_notify_remove old_entry;
	struct nfs4_notify_entry new_entry;
	bool has_new_entry_cookie; /* nfs_cookie4<1> */
	uint64_t new_entry_cookie;
	bool has_prev_entry; /* prev_entry4<1> */
	struct nfs4_notify_entry prev_entry;
	uint64_t prev_entry_cookie;
	bool last_entry;
};

/* notify_attr4 (NOTIFY4_CHANGE_CHILD_ATTRS, NOTIFY4_CHANGE_DIR_ATTRS) */
struct nfs4_notify_attr {
	struct nfs4_notify_entry changed_entry;
};

/* notify_rename4 (NOTIFY4_RENAME_ENTRY) */
struct nfs4_notify_rename {
	struct nfs4_notify_remove old_entry;
	struct nfs4_notify_add new_entry;
};

/* notify_verifier4 (NOTIFY4_CHANGE_COOKIE_VERIFIER) */
struct nfs4_notify_verifier {
	struct nfs4_verifier old_cookieverf, new_cookieverf;
};

/* Bits of an attribute mask past Ferry's words only set attrs.extra in
 * these bodies: a notification is advisory and its receiver re-fetches. */
bool nfs4_enc_notify_entry(struct xdr_enc *e, const struct nfs4_notify_entry *v);
bool nfs4_dec_notify_entry(struct xdr_dec *d, struct nfs4_notify_entry *v);
bool nfs4_enc_notify_remove(struct xdr_enc *e, const struct nfs4_notify_remove *v);
bool nfs4_dec_notify_remove(struct xdr_dec *d, struct nfs4_notify_remove *v);
bool nfs4_enc_notify_add(struct xdr_enc *e, const struct nfs4_notify_add *v);
bool nfs4_dec_notify_add(struct xdr_dec *d, struct nfs4_notify_add *v);
bool nfs4_enc_notify_attr(struct xdr_enc *e, const struct nfs4_notify_attr *v);
bool nfs4_dec_notify_attr(struct xdr_dec *d, struct nfs4_notify_attr *v);
bool nfs4_enc_notify_rename(struct xdr_enc *e, const struct nfs4_notify_rename *v);
bool nfs4_dec_notify_rename(struct xdr_dec *d, struct nfs4_notify_rename *v);
bool nfs4_enc_notify_verifier(struct xdr_enc *e, const struct nfs4_notify_verifier *v);
bool nfs4_dec_notify_verifier(struct xdr_dec *d, struct nfs4_notify_verifier *v);

/* --- CB_OFFLOAD (RFC 7862 15.1) ---------------------------------------- */

/* write_response4 is struct nfs4_write_response of COPY's result
 * (xdr/nfs4_codec_file_v42.h); its coder is here, where it stands alone. */
bool nfs4_enc_write_response(struct xdr_enc *e, const struct nfs4_write_response *v);
bool nfs4_dec_write_response(struct xdr_dec *d, struct nfs4_write_response *v);

struct nfs4_cb_offload_args {
	struct nfs4_opaque fh;
	struct nfs4_stateid stateid;
	uint32_t status;                  /* offload_info4's discriminant */
	struct nfs4_write_response resok; /* NFS4_OK */
	uint64_t bytes_copied;            /* any error */
};

bool nfs4_enc_cb_offload_args(struct xdr_enc *e, const struct nfs4_cb_offload_args *v);
bool nfs4_dec_cb_offload_args(struct xdr_dec *d, struct nfs4_cb_offload_args *v);

/* --- CB_RECALL_ANY, CB_RECALLABLE_OBJ_AVAIL ---------------------------- */

struct nfs4_cb_recall_any_args {
	uint32_t objects_to_keep;
	struct nfs4_bitmap type_mask; /* RCA4_TYPE_MASK_* bits */
	bool extra;
};

bool nfs4_enc_cb_recall_any_args(struct xdr_enc *e, const struct nfs4_cb_recall_any_args *v);
bool nfs4_dec_cb_recall_any_args(struct xdr_dec *d, struct nfs4_cb_recall_any_args *v);

/* CB_RECALLABLE_OBJ_AVAIL4args is CB_RECALL_ANY4args (a typedef in the
 * RFC's XDR). */
#define nfs4_cb_recallable_obj_avail_args nfs4_cb_recall_any_args
#define nfs4_enc_cb_recallable_obj_avail_args nfs4_enc_cb_recall_any_args
#define nfs4_dec_cb_recallable_obj_avail_args nfs4_dec_cb_recall_any_args

/* --- CB_RECALL_SLOT, CB_WANTS_CANCELLED -------------------------------- */

struct nfs4_cb_recall_slot_args {
	uint32_t target_highest_slotid;
};

bool nfs4_enc_cb_recall_slot_args(struct xdr_enc *e, const struct nfs4_cb_recall_slot_args *v);
bool nfs4_dec_cb_recall_slot_args(struct xdr_dec *d, struct nfs4_cb_recall_slot_args *v);

struct nfs4_cb_wants_cancelled_args {
	bool contended_wants_cancelled, resourced_wants_cancelled;
};

bool nfs4_enc_cb_wants_cancelled_args(struct xdr_enc *e,
				      const struct nfs4_cb_wants_cancelled_args *v);
bool nfs4_dec_cb_wants_cancelled_args(struct xdr_dec *d, struct nfs4_cb_wants_cancelled_args *v);

#endif
