/* NFSv4.1 clients and sessions (RFC 8881): EXCHANGE_ID, CREATE_SESSION
 * with its own sequence and replay, SEQUENCE over a slot table whose slots
 * keep the whole encoded COMPOUND reply, DESTROY_SESSION, DESTROY_CLIENTID,
 * BIND_CONN_TO_SESSION, RECLAIM_COMPLETE, TEST_STATEID / FREE_STATEID, and
 * the bookkeeping of the back channel (which connections are back-bound,
 * the callback program, whether the last probe answered).
 *
 * v4.1 clients live in the same client table as v4.0 ones (state.h); what
 * is said there about leases, expiry and stable records holds for them.
 * Connections are struct rpc_conn pointers the state module never
 * dereferences: it keeps references through state_options.conn_ref /
 * conn_unref and hands them back when asked which one to call on.
 *
 * Locks: the session table lock and each session's lock (levels 4 and 5
 * of core/lock_order.h).  The table lock is held only for a hash lookup or
 * an insert/remove; a session's lock takes no other lock.  SEQUENCE takes
 * the table lock for the lookup (with a reference), then the session's;
 * never the state lock. */
#ifndef FERRY_STATE_SESSION_H
#define FERRY_STATE_SESSION_H

#include "core/buf.h"
#include "state/state.h"
#include "xdr/nfs4_codec_session.h"

struct rpc_conn;
struct state_session;

/* Channel directions of a connection (bit flags). */
enum { STATE_CONN_FORE = 1, STATE_CONN_BACK = 2 };

enum { STATE_GSS_HANDLE_MAX = 64 };

/* The security the client allows for callbacks (csa_sec_parms,
 * bca_sec_parms): an RPCSEC_GSS context it made with this server (RFC
 * 8881 2.10.8.2: the server's handle for it, the handle the client wants
 * in the callbacks' credentials, the service), AUTH_SYS with its
 * credential, AUTH_NONE.  Callbacks use RPCSEC_GSS when the client gave a
 * context the server has, else AUTH_SYS when allowed, else AUTH_NONE, and
 * never a flavor the client did not list: with none usable, the back
 * channel is down (SEQ4_STATUS_CB_PATH_DOWN_SESSION, no delegations)
 * until BACKCHANNEL_CTL names one. */
struct state_cb_sec {
	bool none;            /* AUTH_NONE allowed */
	bool sys;             /* AUTH_SYS allowed, as cred */
	struct rpc_cred cred; /* for AUTH_SYS */
	bool gss;             /* RPCSEC_GSS, on the context below */
	uint32_t gss_service; /* enum rpc_cred_gss_service */
	uint32_t gss_from_server_len, gss_from_client_len;
	uint8_t gss_from_server[STATE_GSS_HANDLE_MAX], gss_from_client[STATE_GSS_HANDLE_MAX];
};

static inline bool state_cb_sec_usable(const struct state_cb_sec *sec)
{
	return sec->none || sec->sys || sec->gss;
}


/* Fills in the defaults (64 slots, 16 back slots, 1 MiB + 8 KiB requests,
 * 64 KiB cached replies, 64 operations, 64 MiB budget). */
void state_session_limits_default(struct state_session_limits *l);

/* Sets the limits (before any session exists, or at run time: new sessions
 * see the new values). */
void state_session_set_limits(struct state_server *st, const struct state_session_limits *l);

/* --- EXCHANGE_ID ------------------------------------------------------- */

struct state_exchange_res {
	uint64_t clientid;
	uint32_t sequenceid;
	uint32_t flags;
};

/* EXCHANGE_ID with SP4_NONE (RFC 8881 18.35.5, every case): a new client,
 * a retry, a client restart (new verifier: a new unconfirmed record; the
 * old confirmed one goes when the new one's first CREATE_SESSION
 * succeeds), an update (NFS4ERR_NOENT without a confirmed record,
 * NFS4ERR_NOT_SAME on another verifier, NFS4ERR_PERM on another principal)
 * and a collision with another principal's live client (NFS4ERR_CLID_INUSE).
 * Unknown flags or CONFIRMED_R in the arguments: NFS4ERR_INVAL.  minor (1
 * or 2) is the COMPOUND's minor version, kept for reports: both run on
 * the same session rules. */
enum nfsstat4 state_exchange_id(struct state_server *st, const struct state_principal *who,
				const uint8_t verifier[NFS4_VERIFIER_SIZE], const uint8_t *name,
				uint32_t name_len, uint32_t flags, uint32_t minor,
				struct state_exchange_res *out);

/* SP4_MACH_CRED: the client's protection as EXCHANGE_ID asked for it and
 * the server grants it (the caller intersected the maps with what it
 * enforces): set on a record no session uses yet; a record with sessions
 * keeps what it has.  *now: what the record has afterwards. */
void state_client_set_sp4(struct state_server *st, uint64_t clientid, const struct state_sp4 *want,
			  struct state_sp4 *now);

/* NFS4ERR_WRONG_CRED when clientid is protected by SP4_MACH_CRED, enforces
 * opnum and who is not the principal that made it; NFS4_OK otherwise (an
 * unknown client too: the operation's own checks find that). */
enum nfsstat4 state_client_mach_check(struct state_server *st, uint64_t clientid,
				      const struct state_principal *who, uint32_t opnum);

/* The same for the client of a session (BIND_CONN_TO_SESSION,
 * DESTROY_SESSION outside a SEQUENCE). */
enum nfsstat4 state_session_mach_check(struct state_server *st, const uint8_t *sessionid,
				       const struct state_principal *who, uint32_t opnum);

/* Whether who is the principal that made the SP4_MACH_CRED client
 * clientid (which then may send the operations its protection allows,
 * on any export). */
bool state_client_mach_allows_any(struct state_server *st, uint64_t clientid,
				  const struct state_principal *who);

/* --- CREATE_SESSION ---------------------------------------------------- */

struct state_create_session_args {
	uint64_t clientid;
	uint32_t sequence;
	uint32_t flags;
	struct nfs4_chan_attrs fore, back;
	uint32_t cb_program;
	struct state_cb_sec cb_sec;
	struct rpc_conn *conn; /* the connection it came on (bound to the session) */
};

struct state_create_session_res {
	uint8_t sessionid[NFS4_SESSIONID_SIZE];
	uint32_t sequence;
	uint32_t flags;
	struct nfs4_chan_attrs fore, back;
};

/* CREATE_SESSION, up to the point of encoding.  Returns:
 *   NFS4_OK with *replay NULL: a new session (*out filled; the caller
 *     encodes the result and calls state_create_session_cache with it);
 *   NFS4_OK or an error with *replay set: csa_sequence is the last one,
 *     send *replay (a reference to the cached result body; buf_unref it)
 *     with that status;
 *   NFS4ERR_STALE_CLIENTID, NFS4ERR_CLID_INUSE (other principal),
 *   NFS4ERR_SEQ_MISORDERED, NFS4ERR_TOOSMALL, NFS4ERR_INVAL;
 *   NFS4ERR_DELAY for a retry of the csa_sequence still under way.
 * Confirms an unconfirmed client (writing its stable record: may block on
 * the disk) and removes the incarnation it replaces. */
enum nfsstat4 state_create_session(struct state_server *st, const struct state_principal *who,
				   const struct state_create_session_args *a,
				   struct state_create_session_res *out, struct buf **replay,
				   enum nfsstat4 *replay_status);

/* Keeps the encoded result of CREATE_SESSION (status and body) for a
 * replay of csa_sequence.  Errors that did not take the sequence are not
 * cached (call it only for NFS4_OK and NFS4ERR_ that consumed it).  Every
 * new CREATE_SESSION must end with it (body NULL when its result could not
 * be encoded): until then a retry of the same csa_sequence gets
 * NFS4ERR_DELAY. */
void state_create_session_cache(struct state_server *st, uint64_t clientid, uint32_t sequence,
				enum nfsstat4 status, const uint8_t *body, size_t len);

/* --- SEQUENCE ---------------------------------------------------------- */

struct state_sequence_args {
	const uint8_t *sessionid;
	uint32_t seqid, slotid, highest_slotid;
	bool cachethis;
	uint64_t digest; /* of the whole COMPOUND's arguments */
	uint32_t numops;  /* NFS4ERR_TOO_MANY_OPS beyond ca_maxoperations */
	uint32_t reqsize; /* NFS4ERR_REQ_TOO_BIG beyond ca_maxrequestsize */
	/* The reply's size once SEQUENCE's result is in it (RPC header on,
	 * record mark off): NFS4ERR_REP_TOO_BIG beyond ca_maxresponsesize,
	 * NFS4ERR_REP_TOO_BIG_TO_CACHE beyond ca_maxresponsesize_cached when
	 * cachethis. */
	uint32_t replysize;
	struct rpc_conn *conn;
};

enum state_seq41 { STATE_SEQ41_NEW, STATE_SEQ41_REPLAY };

struct state_sequence_res {
	enum state_seq41 kind;
	struct state_session *session; /* NEW: referenced; finish with state_sequence_done */
	uint64_t clientid;
	uint32_t highest_slotid, target_highest_slotid, status_flags;
	struct nfs4_chan_attrs fore; /* the session's negotiated fore channel */
	/* REPLAY: the kept reply (a reference); the COMPOUND4res is its
	 * bytes [replay_off, replay->len).  Nobody writes to it. */
	struct buf *replay;
	size_t replay_off;
	bool probe; /* the back channel was never tried: probe it (state_cb_begin) */
	struct state_sp4 sp4; /* NEW: the client's state protection */
};

/* SEQUENCE: finds the session (NFS4ERR_BADSESSION), binds the connection
 * to its fore channel when unbound, checks slot (NFS4ERR_BADSLOT) and seqid:
 * in flight NFS4ERR_DELAY; the slot's seqid: a replay, or
 * NFS4ERR_SEQ_FALSE_RETRY when the digest differs, or
 * NFS4ERR_RETRY_UNCACHED_REP when the reply was not kept; the next seqid:
 * new (the slot is now in flight) unless NFS4ERR_TOO_MANY_OPS,
 * NFS4ERR_REQ_TOO_BIG, NFS4ERR_REP_TOO_BIG or NFS4ERR_REP_TOO_BIG_TO_CACHE;
 * anything else NFS4ERR_SEQ_MISORDERED.  On an error the slot is left as
 * it was (seqid, kept reply) and the lease is not renewed (RFC 8881
 * 18.46.3): SEQUENCE's own failures are all decided here, before the slot
 * moves.  New requests and replays renew
 * the lease. */
enum nfsstat4 state_sequence(struct state_server *st, const struct state_sequence_args *a,
			     struct state_sequence_res *out);

/* Ends the request on slot slotid: clears in-flight, drops the session
 * reference, and when reply is not NULL keeps it for replays, taking the
 * caller's reference: the reply as it went to the wire, whose bytes from
 * off on are the COMPOUND4res and which nobody may change any more.  The
 * reply-cache budget counts the buffer's capacity (the whole reply, RPC
 * header included, when its spare room was given back). */
void state_sequence_done(struct state_server *st, struct state_session *s, uint32_t slotid,
			 struct buf *reply, size_t off);

/* The session's id and client. */
const uint8_t *state_session_id(const struct state_session *s);
uint64_t state_session_clientid(const struct state_session *s);

/* --- other session operations ------------------------------------------ */

/* DESTROY_SESSION (RFC 8881 18.37): NFS4ERR_BADSESSION when unknown;
 * NFS4ERR_CONN_NOT_BOUND_TO_SESSION when conn is not bound to it and the
 * COMPOUND is not in it (own: the session of the COMPOUND's SEQUENCE, or
 * NULL; conn NULL: not checked); NFS4ERR_DELAY while another request is in
 * flight on it (the caller's own slot excepted).  The check and the
 * destruction are one step under the session's lock: a SEQUENCE arriving
 * meanwhile either counts as in flight or finds the session gone. */
enum nfsstat4 state_destroy_session(struct state_server *st, const uint8_t *sessionid,
				    const struct state_session *own, const struct rpc_conn *conn);

/* DESTROY_CLIENTID: NFS4ERR_STALE_CLIENTID when unknown; NFS4ERR_CLIENTID_BUSY
 * while it has sessions or state. */
enum nfsstat4 state_destroy_clientid(struct state_server *st, uint64_t clientid);

/* BIND_CONN_TO_SESSION: dir is 1 (fore), 2 (back), 3 (fore or both),
 * 7 (back or both); *bound is the STATE_CONN_* bits granted. */
enum nfsstat4 state_bind_conn(struct state_server *st, const uint8_t *sessionid,
			      struct rpc_conn *conn, uint32_t dir, unsigned *bound);

/* BACKCHANNEL_CTL (RFC 8881 18.33) after the caller's checks: replaces the
 * program and the security (sec must be usable); NFS4ERR_INVAL when the
 * session has no back channel (none asked for at CREATE_SESSION, no
 * connection bound for it).  The path is probed again. */
enum nfsstat4 state_backchannel_ctl(struct state_server *st, struct state_session *s,
				    uint32_t cb_program, const struct state_cb_sec *sec);

/* The connection closed: unbinds it from every session. */
void state_conn_closed(struct state_server *st, struct rpc_conn *conn);

/* RECLAIM_COMPLETE (global): NFS4ERR_COMPLETE_ALREADY the second time. */
enum nfsstat4 state_reclaim_complete(struct state_server *st, uint64_t clientid);

/* TEST_STATEID for one stateid of client clientid: NFS4_OK,
 * NFS4ERR_BAD_STATEID, NFS4ERR_OLD_STATEID, NFS4ERR_EXPIRED (never
 * NFS4ERR_STALE_STATEID: an older server's stateid is just bad). */
enum nfsstat4 state_test_stateid(struct state_server *st, uint64_t clientid,
				 const struct nfs4_stateid *sid);

/* FREE_STATEID: frees a lock stateid without locks; NFS4ERR_LOCKS_HELD for
 * one with locks or for an open stateid; NFS4ERR_BAD_STATEID otherwise. */
enum nfsstat4 state_free_stateid(struct state_server *st, uint64_t clientid,
				 const struct nfs4_stateid *sid);

/* --- the back channel ---------------------------------------------------- */

/* The back channel has the slot table the client offered at CREATE_SESSION
 * (ca_maxrequests of the back channel, capped by max_back_slots).  A
 * callback takes a free slot and its next seqid; the seqid is spent only
 * when the client answered for it (RFC 8881 2.10.6.1), otherwise it is
 * given back so the next call carries it again.  Slots above the highest
 * the client last asked for (CB_SEQUENCE's target_highest_slotid) are not
 * used. */

/* What a callback needs: the connection (referenced; state_cb_put_conn
 * it), the program, security, session id, the back slot and its seqid. */
struct state_cb_target {
	struct rpc_conn *conn;
	uint32_t program;
	struct state_cb_sec sec;
	uint8_t sessionid[NFS4_SESSIONID_SIZE];
	uint32_t seqid;
	uint32_t slotid;
	uint32_t highest_slotid; /* the highest slot in use by callbacks now */
	/* The minor version of the session's client, which its CB_COMPOUNDs
	 * carry: a client looks the session up among its clients of that
	 * minor version (the Linux client answers a 4.1 CB_SEQUENCE for a
	 * 4.2 session NFS4ERR_BADSESSION). */
	uint32_t minor;
	/* The back channel's ca_maxrequestsize: no CB_COMPOUND may be larger. */
	uint32_t maxrequestsize;
};

enum state_cb_take {
	STATE_CB_TAKEN,  /* *t filled, the slot is the caller's */
	STATE_CB_NOSLOT, /* every usable slot is busy: try again when one ends */
	STATE_CB_NOCONN, /* no back-bound connection (but exclude), or no
			  * security the client allows: path down */
	STATE_CB_NOT_YET, /* carried by an upgrade, its connections not taken
			   * yet (moments): try again shortly */
	STATE_CB_GONE,   /* the session was destroyed */
};

/* Takes a free back slot and picks the back-bound connection with the
 * latest fore-channel activity, other than exclude (may be NULL) and
 * preferring one that has not failed (state_cb_conn_failed). */
enum state_cb_take state_cb_take(struct state_server *st, struct state_session *s,
				 const struct rpc_conn *exclude, struct state_cb_target *t);

/* For a slot the caller holds (a resend with the same seqid): picks the
 * connection, program and security again into *t (its slot and seqid
 * stay).  STATE_CB_TAKEN, STATE_CB_NOCONN, STATE_CB_NOT_YET or
 * STATE_CB_GONE. */
enum state_cb_take state_cb_retarget(struct state_server *st, struct state_session *s,
				     const struct rpc_conn *exclude, struct state_cb_target *t);

/* Ends the use of back slot slotid.  spent: the client took the seqid (its
 * CB_SEQUENCE succeeded, or it says it has seen that seqid); otherwise the
 * seqid is given back.  Never blocks. */
void state_cb_slot_end(struct state_server *st, struct state_session *s, uint32_t slotid,
		       bool spent);

/* Sets the seqid the next call on slot slotid (held by the caller) will
 * carry, minus one: after the client's slot was found restarted. */
void state_cb_slot_reset(struct state_server *st, struct state_session *s, uint32_t slotid,
			 uint32_t last_seqid);

/* The client's CB_SEQUENCE reply: its highest and target highest slot ids;
 * slots above the lower of the two are not used until it raises them. */
void state_cb_slot_limit(struct state_server *st, struct state_session *s, uint32_t highest,
			 uint32_t target);

/* The path's state after a callback: up (answered), down (no answer after
 * the retries, or no back connection).  fault: the client rejected the
 * back channel itself (NFS4ERR_BADSESSION, a CB_SEQUENCE that could not be
 * resynchronised): SEQ4_STATUS_BACKCHANNEL_FAULT until a call succeeds or
 * the back channel is bound or set again. */
void state_cb_set_status(struct state_server *st, struct state_session *s,
			 enum state_cb_status status, bool fault);

/* A send on conn failed (the connection is dead or dying): it is not picked
 * again for callbacks of s while another back-bound one exists. */
void state_cb_conn_failed(struct state_server *st, struct state_session *s,
			  const struct rpc_conn *conn);

/* Releases the connection reference of a state_cb_target. */
void state_cb_put_conn(struct state_server *st, struct rpc_conn *conn);

/* Where callbacks for a client go. */
struct state_cb_route {
	bool v41;
	/* v4.1: a session of the client with a back-bound connection
	 * (referenced; state_session_unref it), the one whose path is up
	 * when several are; NULL when none has one. */
	struct state_session *session;
	/* v4.0: the callback the client gave (confirmed client), its
	 * generation (advances when it changes) and the path's status. */
	struct state_callback cb;
	uint32_t cb_gen;
	enum state_cb_status status;
	/* The flavor the client set its clientid up with (SETCLIENTID):
	 * v4.0 callbacks use it (AUTH_SYS, AUTH_NONE, or RPCSEC_GSS with the
	 * client's principal and service). */
	uint32_t flavor;
	char gss_principal[RPC_CRED_PRINCIPAL_MAX + 1];
	uint32_t gss_service;
};

/* Fills *r for a confirmed client.  False when the client is unknown. */
bool state_cb_route(struct state_server *st, uint64_t clientid, struct state_cb_route *r);

/* v4.1: whether some session of the client has a back channel whose last
 * callback was answered (a delegation may be granted). */
bool state_cb_client_up41(struct state_server *st, uint64_t clientid);

/* Whether the session has a back-bound connection now. */
bool state_session_has_back(struct state_server *st, struct state_session *s);
/* Whether the session has a back channel at all: asked for at
 * CREATE_SESSION or a connection bound for it since. */
bool state_session_back_wanted(struct state_server *st, struct state_session *s);

/* SEQ4_STATUS_RECALLABLE_STATE_REVOKED: set by the owner of delegations
 * when it revoked one of the client's (a callback that never got through),
 * cleared when the client freed the revoked state.  Every SEQUENCE of the
 * client reports it while set. */
void state_client_set_revoked(struct state_server *st, uint64_t clientid, bool revoked);

/* Takes a reference on a session (for an asynchronous callback). */
struct state_session *state_session_ref(struct state_session *s);
void state_session_unref(struct state_server *st, struct state_session *s);

/* Finds a session by id (referenced) or NULL. */
struct state_session *state_session_find(struct state_server *st, const uint8_t *sessionid);

/* --- counters -------------------------------------------------------------- */

struct state_session_stats {
	uint64_t sequence_total;
	uint64_t replay_hits;
	uint64_t err_bad_session, err_badslot, err_seq_misordered, err_slot_busy,
		err_false_retry, err_uncached, err_too_many_ops, err_req_too_big;
	uint64_t slots_in_use;
	uint64_t cache_bytes;
	uint64_t sessions;
	uint64_t callbacks_ok, callbacks_failed; /* back-channel calls answered / not */
	/* Sessions looked at to unbind connections that closed: what closing
	 * connections cost. */
	uint64_t conn_close_visits;
};

void state_get_session_stats(struct state_server *st, struct state_session_stats *out);

#endif
