/* The NFSv4 client used by the tests: COMPOUNDs for minor versions 0 and 1
 * built and read with the one codec (xdr/nfs4_codec*.h), v4.1 session and
 * v4.0 client-id helpers, and a back-channel service that answers the
 * server's callbacks and records what arrived.
 *
 * A connection is a plain fd (from nfs4c_connect or rpctest_connect) so the
 * raw functions of lib/rpctest.h can still write deliberately malformed
 * bytes on it.  Every reply wait on an fd serves the CALLs that arrive on
 * it meanwhile (v4.1 back channel on the fore connection): with the
 * service attached to that fd (nfs4c_cb_attach), or else with a default
 * service that answers but records nothing, so a test that did not ask for
 * callbacks never stalls on one.
 *
 * The calls on an fd go with the credential each is given, or, once an
 * RPCSEC_GSS context is attached to the fd (nfs4c_gss_attach), through
 * that context with the service chosen (krb5, krb5i, krb5p): every helper
 * below then works unchanged under Kerberos.
 *
 * Helpers named *_ok or without a status return assert with cmocka; the
 * others return a status or a negative errno. */
#ifndef FERRY_TESTS_NFS4_CLIENT_H
#define FERRY_TESTS_NFS4_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rpctest.h"
#include "rpc/gss/gss_client.h"
#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_codec_cb.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_session.h"
#include "xdr/nfs4_prot.h"

enum {
	NFS4C_CB_PROGRAM = 0x40000000, /* what nfs4c_create_session offers */
	NFS4C_MAX_SLOTS = 64,
};

/* Connects to "HOST:PORT"; asserts success. */
int nfs4c_connect(const char *hostport);

/* AUTH_SYS uid/gid = uid, machine "v41-<uid>"; thread-local storage. */
const struct rpc_cred *nfs4c_cred(uint32_t uid);
/* AUTH_SYS root, machine "ferry-test". */
const struct rpc_cred *nfs4c_root_cred(void);

/* --- building a COMPOUND ------------------------------------------------------- */

struct nfs4c_call {
	struct xdr_enc e;
	struct nfs4_compound_enc c;
};

void nfs4c_begin(struct nfs4c_call *m, uint32_t minor);                 /* tag "nfs4c" */
void nfs4c_begin_tag(struct nfs4c_call *m, uint32_t minor, const char *tag);
void nfs4c_begin_bin(struct nfs4c_call *m, uint32_t minor, const void *tag, uint32_t len);
/* Starts an operation; returns the encoder for its arguments (raw bytes are
 * allowed: malformed-argument tests append them here). */
struct xdr_enc *nfs4c_op(struct nfs4c_call *m, uint32_t opnum);
/* An op number with arguments encoded by the codec function enc. */
#define NFS4C_OP(m, opnum, enc, args) assert_true(enc(nfs4c_op((m), (opnum)), (args)))
void nfs4c_str(struct nfs4c_call *m, const char *s); /* raw utf8str argument */
void nfs4c_release_call(struct nfs4c_call *m);
/* The encoded COMPOUND4args of m (consumed), in a buffer of the caller's
 * (buf_unref): for calls sent again byte for byte (replays, DRC). */
struct buf *nfs4c_call_bytes(struct nfs4c_call *m);

void nfs4c_putrootfh(struct nfs4c_call *m);
void nfs4c_putfh(struct nfs4c_call *m, const uint8_t *fh, uint32_t len);
void nfs4c_lookup(struct nfs4c_call *m, const char *name);
void nfs4c_getfh(struct nfs4c_call *m);
void nfs4c_getattr(struct nfs4c_call *m, const unsigned *bits, unsigned n);
void nfs4c_sequence_op(struct nfs4c_call *m, const uint8_t sid[16], uint32_t seqid,
		       uint32_t slot, uint32_t highest, bool cachethis);
void nfs4c_reclaim_complete_op(struct nfs4c_call *m, bool one_fs);
void nfs4c_destroy_session_op(struct nfs4c_call *m, const uint8_t sid[16]);
void nfs4c_destroy_clientid_op(struct nfs4c_call *m, uint64_t clientid);
void nfs4c_setclientid_op(struct nfs4c_call *m, const struct nfs4_setclientid_args *a);
void nfs4c_setclientid_confirm_op(struct nfs4c_call *m, uint64_t clientid,
				  const struct nfs4_verifier *confirm);
void nfs4c_open_op(struct nfs4c_call *m, const struct nfs4_open_args *a);
void nfs4c_open_confirm_op(struct nfs4c_call *m, const struct nfs4_stateid *sid, uint32_t seqid);
void nfs4c_close_op(struct nfs4c_call *m, uint32_t seqid, const struct nfs4_stateid *sid);

/* For tests that frame RPC calls themselves (pipelining, fragments):
 * COMPOUND4args with argument-less ops appended to e through the codec. */
void nfs4c_encode_compound(struct xdr_enc *e, const void *tag, uint32_t taglen, uint32_t minor,
			   const uint32_t *ops, uint32_t nops);
/* The COMPOUND4res header of a reply accepted with SUCCESS, through the
 * codec; r->results is left at the first result.  0 or -EBADMSG. */
int nfs4c_parse_compound(struct rpctest_reply *r, struct nfs4_compound_res_hdr *h);

/* --- sending and reading results ----------------------------------------------- */

/* A reply: the COMPOUND4res header, the cursor d at the first result, and
 * where COMPOUND4res starts (for byte comparisons of replays). */
struct nfs4c_reply {
	struct rpctest_reply r;
	uint32_t status, nres;
	const uint8_t *tag;
	uint32_t taglen;
	struct xdr_dec d;
	const uint8_t *res_start;
	size_t res_len;
};

/* Sends m (consumed) on fd with cred (NULL: AUTH_NONE) and waits for its
 * reply, serving callbacks meanwhile.  0; -EPROTO when not accepted with
 * SUCCESS (reply released); -EBADMSG on a malformed COMPOUND4res; or an
 * errno from the transport. */
int nfs4c_call(int fd, const struct rpc_cred *cred, struct nfs4c_call *m,
	       struct nfs4c_reply *out);
/* Takes over a reply received by other means (rpctest_recv_reply of a
 * call framed by the test) as nfs4c_call fills *out: 0; -EPROTO when not
 * accepted with SUCCESS or -EBADMSG on a malformed COMPOUND4res (r is then
 * released). */
int nfs4c_reply_take(struct rpctest_reply *r, struct nfs4c_reply *out);
/* nfs4c_call that asserts 0. */
void nfs4c_send(int fd, const struct rpc_cred *cred, struct nfs4c_call *m,
		struct nfs4c_reply *out);
/* Sends an RPC call with raw arguments and waits for the reply with its xid,
 * serving callbacks meanwhile (rpctest_call, back-channel aware). */
int nfs4c_rpc(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
	      const struct rpc_cred *cred, const void *args, size_t len,
	      struct rpctest_reply *reply);
/* Sends call, a whole encoded call (len bytes, no record mark: it is
 * sent as one record), and waits up to timeout_ms for the reply with its
 * XID, serving callbacks meanwhile.  *reply is the reply record as
 * received (the caller's, buf_unref).  0, -ETIMEDOUT when none came (a
 * call the server dropped), or another negative errno. */
int nfs4c_rpc_raw(int fd, const void *call, size_t len, unsigned timeout_ms,
		  struct buf **reply);
/* The same as an rpc_gss_roundtrip_fn on the fd (void *)(intptr_t)fd,
 * waiting RPCTEST_TIMEOUT_MS: rpc_gss_client_establish and
 * rpc_gss_client_destroy over a connection of this client. */
int nfs4c_roundtrip(void *fd_arg, const void *record, size_t len, struct buf **reply);

/* --- RPCSEC_GSS ---------------------------------------------------------------------- */

/* Every call this client makes on fd from now on (nfs4c_rpc, so
 * nfs4c_call, nfs4c_send and every helper built on them) goes through the
 * RPCSEC_GSS context g with service (RPC_GSS_SVC_NONE, _INTEGRITY,
 * _PRIVACY): the credential argument of those calls is then ignored (the
 * caller is g's principal), and each reply's verifier and wrapping are
 * checked before its results are read (a failure is the call's negative
 * errno, -EACCES or -EBADMSG, with the reason on stderr).  g is
 * established over fd first unless it already is: one context may serve
 * several connections, each with its own service; attaching again
 * changes the service.  CALLs the server sends on fd (the back channel)
 * are served as before.  Returns 0 or rpc_gss_client_establish's error.
 * g stays the caller's: free it after the last fd using it is detached
 * (nfs4c_gss_detach, nfs4c_gss_destroy or nfs4c_close). */
int nfs4c_gss_attach(int fd, struct rpc_gss_client *g, uint32_t service);
/* A context for nfs@localhost with the credentials rpc_gss_client_new
 * takes (keytab, ccache, principal; NULL: the defaults), attached to fd
 * with service; asserts both.  Free it after detaching fd. */
struct rpc_gss_client *nfs4c_gss_login(int fd, const char *keytab, const char *ccache,
				       const char *principal, uint32_t service);
/* Back to the credential argument of each call. */
void nfs4c_gss_detach(int fd);
/* The context attached to fd, or NULL. */
struct rpc_gss_client *nfs4c_gss_of(int fd);
/* Sends the context's DESTROY on fd, deletes the context locally and
 * detaches fd (other fds using the context must be detached by the
 * caller).  rpc_gss_client_destroy's result; -ENOTCONN when fd has no
 * context. */
int nfs4c_gss_destroy(int fd);
/* For tests that tamper with calls or replay them: the whole call
 * (header, credential, verifier, arguments wrapped per fd's service; no
 * record mark) in a new buffer *call, and in *info its sequence number
 * and the offsets of its parts.  Send it with nfs4c_rpc_raw and read the
 * reply with nfs4c_gss_reply.  0, -ENOTCONN without a context, or the
 * encoder's error. */
int nfs4c_gss_build(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
		    const void *args, size_t len, struct buf **call,
		    struct rpc_gss_client_call *info);
/* The reply record raw (consumed) to the call info described, checked and
 * unwrapped through fd's context, as nfs4c_rpc gives it: reply->results
 * at the plain results.  0 or a negative errno (reply then holds
 * nothing). */
int nfs4c_gss_reply(int fd, const struct rpc_gss_client_call *info, struct buf *raw,
		    struct rpctest_reply *reply);

/* The next result's header; false when none is left. */
bool nfs4c_result(struct nfs4c_reply *p, uint32_t *opnum, uint32_t *status);
/* The next result: asserts its op number, returns its status. */
uint32_t nfs4c_next(struct nfs4c_reply *p, uint32_t want_op);
void nfs4c_done(struct nfs4c_reply *p);

/* --- v4.1: EXCHANGE_ID, CREATE_SESSION, SEQUENCE ----------------------------------- */

struct nfs4c_eid {
	uint64_t clientid;
	uint32_t seq, flags;
	char major[64];
};

/* verf: up to 8 bytes of text, zero-padded. */
uint32_t nfs4c_exchange_id(int fd, const struct rpc_cred *cred, const char *name,
			   const char *verf, uint32_t flags, uint32_t sp4, struct nfs4c_eid *out);

struct nfs4c_attrs {
	uint32_t pad, maxreq, maxresp, maxcached, maxops, maxreqs;
};

void nfs4c_default_attrs(struct nfs4c_attrs *a);
/* The back channel's ca_maxrequestsize that CREATE_SESSION asks for
 * (default 4096, about what the Linux client asks): tests of larger
 * CB_COMPOUNDs raise it before making their sessions. */
extern uint32_t nfs4c_back_maxrequest;

struct nfs4c_cs {
	uint8_t sid[16];
	uint32_t seq, flags;
	struct nfs4c_attrs fore, back;
	uint8_t body[256]; /* the result body, for replay comparisons */
	size_t body_len;
};

/* fore NULL: nfs4c_default_attrs.  Offers NFS4C_CB_PROGRAM, AUTH_NONE. */
uint32_t nfs4c_create_session(int fd, const struct rpc_cred *cred, uint64_t clientid,
			      uint32_t seq, uint32_t flags, const struct nfs4c_attrs *fore,
			      struct nfs4c_cs *out);

/* The same offering the callback flavors flavors[0..n) (AUTH_NONE,
 * AUTH_SYS as cred, RPCSEC_GSS with empty handles). */
uint32_t nfs4c_create_session_sec(int fd, const struct rpc_cred *cred, uint64_t clientid,
				  uint32_t seq, uint32_t flags, const struct nfs4c_attrs *fore,
				  const uint32_t *flavors, unsigned nflavors, struct nfs4c_cs *out);

/* A client with one session; seq[] is the last seqid used per slot. */
struct nfs4c_sess {
	int fd;
	const struct rpc_cred *cred;
	struct rpc_cred cred_store;
	uint64_t clientid;
	uint8_t sid[16];
	uint32_t nslots;
	uint32_t seq[NFS4C_MAX_SLOTS];
	uint32_t minor; /* of its COMPOUNDs: 1 or 2 (0 means 1) */
	struct nfs4c_attrs fore; /* the fore channel CREATE_SESSION granted */
};

/* EXCHANGE_ID + CREATE_SESSION (cs_flags, e.g. CREATE_SESSION4_FLAG_CONN_BACK_CHAN),
 * not yet RECLAIM_COMPLETE. */
void nfs4c_session_up_flags(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
			    const struct nfs4c_attrs *fore, uint32_t cs_flags);
void nfs4c_session_up_reclaiming(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
				 const struct nfs4c_attrs *fore);
/* ... and RECLAIM_COMPLETE (on the highest slot), as a mounting client does. */
void nfs4c_session_up(struct nfs4c_sess *s, int fd, uint32_t uid, const char *name,
		      const struct nfs4c_attrs *fore);
/* The same with every COMPOUND of the client (EXCHANGE_ID on) in minor
 * version minor (1 or 2). */
void nfs4c_session_up_minor(struct nfs4c_sess *s, uint32_t minor, int fd, uint32_t uid,
			    const char *name, const struct nfs4c_attrs *fore);
/* nfs4c_session_up_flags in minor version minor. */
void nfs4c_session_up_minor_flags(struct nfs4c_sess *s, uint32_t minor, int fd, uint32_t uid,
				  const char *name, const struct nfs4c_attrs *fore,
				  uint32_t cs_flags);
/* Starts a COMPOUND with SEQUENCE on slot with its next seqid. */
void nfs4c_begin_seq(struct nfs4c_sess *s, struct nfs4c_call *m, uint32_t slot, bool cachethis);
/* SEQUENCE's result: its status; on NFS4_OK the body is decoded, checked
 * (target <= highest) and *res filled when res is not NULL. */
uint32_t nfs4c_seq_result_full(struct nfs4c_reply *p, struct nfs4_sequence_res *res);
uint32_t nfs4c_seq_result(struct nfs4c_reply *p, uint32_t *flags);
/* Lists directory fh from cookie 0 until eof, one SEQUENCE (slot 0) +
 * PUTFH + READDIR per page within dircount/maxcount, asking type, size,
 * fileid and mode.  Asserts every status NFS4_OK (every cookie and
 * verifier given back is taken: no BAD_COOKIE, NOT_SAME) and that a page
 * without eof holds an entry.  Calls entry(arg, e) for each entry and,
 * when not NULL, page(arg, n) after the n-th READDIR (from 1).  Returns
 * the number of READDIRs. */
unsigned nfs4c_list_dir(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			uint32_t dircount, uint32_t maxcount,
			void (*entry)(void *arg, const struct nfs4_dirent *e),
			void (*page)(void *arg, unsigned n), void *arg);
/* nfs4c_list_dir asking the attributes in want. */
unsigned nfs4c_list_dir_attrs(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
			      uint32_t dircount, uint32_t maxcount, const struct nfs4_bitmap *want,
			      void (*entry)(void *arg, const struct nfs4_dirent *e),
			      void (*page)(void *arg, unsigned n), void *arg);
/* A lone SEQUENCE on slot 0; returns sr_status_flags (asserts NFS4_OK). */
uint32_t nfs4c_ping(struct nfs4c_sess *s);
/* PUTROOTFH and a LOOKUP per component of path ("/rw/f"), slot 0: the
 * first failing status, or NFS4_OK with the filehandle in fh (room for
 * NFS4_FHSIZE) and *fhlen. */
uint32_t nfs4c_find(struct nfs4c_sess *s, const char *path, uint8_t *fh, uint32_t *fhlen);
/* OPEN (create, UNCHECKED4, with the attributes of attrs) of name in
 * directory fh, and CLOSE, slot 0: OPEN's status (or PUTFH's); on NFS4_OK
 * the new file's filehandle replaces fh and, when attrset is not NULL,
 * what OPEN set is in it. */
uint32_t nfs4c_create(struct nfs4c_sess *s, uint8_t *fh, uint32_t *fhlen, const char *name,
		      const struct nfs4_fattr_raw *attrs, struct nfs4_bitmap *attrset);
/* BIND_CONN_TO_SESSION of fd to session sid in direction dir (CDFC4_*);
 * returns its status and the direction granted in *got. */
uint32_t nfs4c_bind_conn(int fd, const struct rpc_cred *cred, const uint8_t sid[16], uint32_t dir,
			 uint32_t *got);
/* BACKCHANNEL_CTL in session s (slot 0) with program prog and the
 * security entries flavors[0..n) (AUTH_NONE, AUTH_SYS as nfs4c_cred(uid of s),
 * RPCSEC_GSS with an empty handle); returns its status (or SEQUENCE's). */
uint32_t nfs4c_backchannel_ctl(struct nfs4c_sess *s, uint32_t prog, const uint32_t *flavors,
			       unsigned n);
/* The same with the entries as given (RPCSEC_GSS handles of the test's). */
uint32_t nfs4c_backchannel_ctl_parms(struct nfs4c_sess *s, uint32_t prog,
				     const struct nfs4_cb_sec_parms *parms, unsigned n);
/* DESTROY_SESSION (session-less COMPOUND) and DESTROY_CLIENTID; statuses. */
uint32_t nfs4c_destroy_session(struct nfs4c_sess *s);
uint32_t nfs4c_destroy_clientid(struct nfs4c_sess *s);

/* --- v4.0: SETCLIENTID, OPEN, OPEN_CONFIRM, CLOSE ----------------------------------- */

struct nfs4c_client40 {
	int fd;
	const struct rpc_cred *cred;
	uint64_t clientid;
	struct nfs4_verifier confirm;
};

/* SETCLIENTID (callback program prog at netid/uaddr; NULL uaddr: an
 * unreachable "tcp 127.0.0.1.0.0") then SETCLIENTID_CONFIRM; returns the
 * first failing status. */
uint32_t nfs4c_setclientid(struct nfs4c_client40 *c, int fd, const struct rpc_cred *cred,
			   const char *id, uint32_t prog, const char *netid, const char *uaddr,
			   uint32_t ident);

struct nfs4c_open40 {
	struct nfs4_stateid stateid;
	uint32_t rflags;
	struct nfs4_open_delegation deleg;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

/* PUTROOTFH, LOOKUP dir (unless NULL), OPEN (CLAIM_NULL of name, created
 * UNCHECKED when create), GETFH; then OPEN_CONFIRM when the server asks.  *seqid is the
 * owner's next seqid, advanced as used.  Returns the first failing status. */
uint32_t nfs4c_open40(struct nfs4c_client40 *c, const char *owner, uint32_t *seqid,
		      const char *dir, const char *name, uint32_t access, bool create,
		      struct nfs4c_open40 *out);
uint32_t nfs4c_close40(struct nfs4c_client40 *c, uint32_t *seqid, const struct nfs4c_open40 *o);

/* --- the back-channel service ------------------------------------------------------- */

/* One callback operation as it arrived (decoded in place: the pointers live
 * during the handler call only). */
struct nfs4c_cb_op {
	uint32_t opnum;
	uint32_t minor, callback_ident; /* from the CB_COMPOUND header */
	union {
		struct nfs4_cb_sequence_args sequence;
		struct nfs4_cb_recall_args recall;
		struct nfs4_cb_getattr_args getattr;
		struct nfs4_cb_notify_lock_args notify_lock;
		struct nfs4_cb_notify_args notify;
		struct nfs4_cb_offload_args offload;
		struct nfs4_cb_recallable_obj_avail_args obj_avail; /* and CB_RECALL_ANY */
	} u;
};

struct nfs4c_cb;
/* A test's answer to one op: returns its status; on NFS4_OK it encodes the
 * result body, if the op has one, into res (CB_GETATTR's fattr4,
 * CB_SEQUENCE's resok).  Without a handler: CB_SEQUENCE by
 * nfs4c_cb_default_sequence, CB_GETATTR an empty fattr4, the others NFS4_OK;
 * callbacks this client does not decode get NFS4ERR_NOTSUPP. */
typedef uint32_t (*nfs4c_cb_handler)(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				     struct xdr_enc *res);

/* What was recorded: copies, valid after the call. */
struct nfs4c_cb_rec {
	uint32_t proc;  /* CB_NULL or CB_COMPOUND */
	uint32_t prog;
	uint32_t opnum; /* 0 for CB_NULL */
	uint32_t minor, callback_ident;
	uint32_t status; /* what was answered */
	uint32_t cred_flavor, cred_uid; /* the call's credential */
	struct nfs4_sessionid sessionid; /* CB_SEQUENCE */
	uint32_t seqid, slotid, highest_slotid;
	struct nfs4_stateid stateid; /* CB_RECALL, CB_NOTIFY, CB_OFFLOAD */
	bool truncate;               /* CB_RECALL */
	uint8_t fh[NFS4_FHSIZE];     /* every op that carries one */
	uint32_t fhlen;
	struct nfs4_bitmap attr_request; /* CB_GETATTR */
	uint64_t owner_clientid;         /* CB_NOTIFY_LOCK: the lock owner */
	uint8_t owner[NFS4_OPAQUE_LIMIT];
	uint32_t owner_len;
	uint32_t nchanges;               /* CB_NOTIFY */
	uint32_t objects_to_keep;        /* CB_RECALLABLE_OBJ_AVAIL, CB_RECALL_ANY */
	struct nfs4_bitmap type_mask;
	uint32_t offload_status;         /* CB_OFFLOAD: coa_status, and with */
	struct nfs4_write_response offload; /* NFS4_OK its write_response4, */
	uint64_t offload_bytes;             /* else coa_bytes_copied */
};

enum { NFS4C_CB_RECS = 128, NFS4C_CB_MAX_OP = OP_CB_OFFLOAD, NFS4C_CB_HELD = 16 };

struct nfs4c_cb {
	uint32_t program;      /* CALLs to other programs get PROG_UNAVAIL */
	nfs4c_cb_handler handlers[NFS4C_CB_MAX_OP + 1]; /* NULL: the default */
	void *arg;             /* for the handlers */
	bool silent;           /* record, never answer (a dead back channel) */
	bool garbage;          /* answer GARBAGE_ARGS to every CB_COMPOUND */
	/* A v4.0 callback service under RPCSEC_GSS: the acceptor (ferryd's
	 * own, rpc/gss/gss_server.h, on a keytab of the test's) that the
	 * server makes its contexts with and whose contexts check and
	 * protect the callbacks.  NULL: RPCSEC_GSS callbacks are checked
	 * with the initiator attached to their fd (v4.1, nfs4c_gss_attach). */
	struct rpc_gss_server *acceptor;
	/* Hold the replies to CB_COMPOUNDs until this many wait, then send
	 * them newest first (0 or 1: answer each at once): a test sees how
	 * many calls the server keeps in flight together. */
	unsigned batch;
	unsigned nheld, max_held;
	struct buf *held[NFS4C_CB_HELD];
	int held_fd[NFS4C_CB_HELD];
	/* CB_SEQUENCE bookkeeping of the default handler: the last seqid per
	 * slot; a new request must be last+1, a replay gets the same answer. */
	uint32_t slot_seq[NFS4C_MAX_SLOTS];
	uint32_t highest_slot, target_highest_slot;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct nfs4c_cb_rec recs[NFS4C_CB_RECS];
	unsigned nrecs;
};

void nfs4c_cb_init(struct nfs4c_cb *svc, uint32_t program);
void nfs4c_cb_destroy(struct nfs4c_cb *svc);
/* The CB_SEQUENCE answer a handler can fall back to. */
uint32_t nfs4c_cb_default_sequence(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				   struct xdr_enc *res);
/* Routes CALLs arriving on fd to svc (until detached or fd is closed by
 * nfs4c_close). */
void nfs4c_cb_attach(int fd, struct nfs4c_cb *svc);
void nfs4c_cb_detach(int fd);
/* Waits up to timeout_ms for CALLs on fd without a call of ours pending;
 * returns once n records exist in the attached service (or timeout). */
bool nfs4c_cb_serve(int fd, unsigned n, unsigned timeout_ms);
/* Background mode: a thread reads fd, answers CALLs and hands REPLYs to
 * the nfs4c_call/nfs4c_rpc waiting for them, so a test can block in a call
 * while callbacks are served.  Stop before closing fd. */
void nfs4c_bg_start(int fd);
void nfs4c_bg_stop(int fd);
/* Detaches (the callback service and the RPCSEC_GSS context), stops
 * background mode and closes fd. */
void nfs4c_close(int fd);

/* Records: how many with this opnum arrived (0: CB_NULL, whatever program it
 * was for; rec.prog says); a copy of the idx-th. */
unsigned nfs4c_cb_count(struct nfs4c_cb *svc, uint32_t opnum);
bool nfs4c_cb_get(struct nfs4c_cb *svc, uint32_t opnum, unsigned idx, struct nfs4c_cb_rec *out);
/* Waits until at least n records of opnum exist. */
bool nfs4c_cb_wait(struct nfs4c_cb *svc, uint32_t opnum, unsigned n, unsigned timeout_ms);
/* True when a CB_RECALL for this stateid (other and seqid) arrived. */
bool nfs4c_cb_recalled(struct nfs4c_cb *svc, const struct nfs4_stateid *sid);

/* v4.0: a TCP listener on 127.0.0.1:0 in a thread serving svc on every
 * connection the server opens to it. */
struct nfs4c_cb_listener {
	struct nfs4c_cb *svc;
	int lfd;
	uint16_t port;
	char uaddr[32]; /* "127.0.0.1.p1.p2", netid "tcp" */
	pthread_t thread;
	_Atomic int stop;
	_Atomic int drop;          /* set: close every accepted connection once */
	_Atomic unsigned accepted; /* connections the server opened */
};

int nfs4c_cb_listen(struct nfs4c_cb_listener *l, struct nfs4c_cb *svc);
/* The same in two steps, for a client whose callback service is not up
 * yet when the server first dials it: nfs4c_cb_bind takes the port (uaddr
 * is valid; connections are refused), nfs4c_cb_listen_start listens and
 * starts serving.  On failure of either the socket is closed. */
int nfs4c_cb_bind(struct nfs4c_cb_listener *l, struct nfs4c_cb *svc);
int nfs4c_cb_listen_start(struct nfs4c_cb_listener *l);
void nfs4c_cb_listen_stop(struct nfs4c_cb_listener *l);

#endif
