/* RPCSEC_GSS version 1 as the server, the acceptor (RFC 2203, on MIT
 * Kerberos's GSS-API): context creation in one or several round trips
 * (INIT, CONTINUE_INIT), DESTROY, the per-context sequence window, and the
 * three services: krb5 (the call header authenticated), krb5i (arguments
 * and results checksummed) and krb5p (arguments and results encrypted).
 *
 * The dispatcher (rpc/dispatch.c) hands it every call with an RPCSEC_GSS
 * credential before any program sees it.  A call it accepts reaches the
 * program with a plain credential (core/cred.h: flavor RPC_AUTH_GSS, the
 * service, the principal and the local user it maps to) and plain
 * arguments; the reply's verifier and the wrapping of its results are
 * added here once the program is done.  Control calls (INIT,
 * CONTINUE_INIT, DESTROY) are answered here and reach no program.
 *
 * Contexts are bounded: at most max_contexts at once (making one more
 * drops the one used least recently), and a context idle for idle_s
 * seconds, or past the lifetime of the ticket it was made with, is gone
 * (the client makes a new one when told RPCSEC_GSS_CREDPROBLEM or
 * CTXPROBLEM). */
#ifndef FERRY_RPC_GSS_SERVER_H
#define FERRY_RPC_GSS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "rpc/gss/gss_client.h" /* rpc_gss_roundtrip_fn */
#include "rpc/rpc_msg.h"
#include "xdr/xdr.h"

struct rpc_gss_server;
struct rpc_gss_call;

struct rpc_gss_options {
	/* The server's keys (nfs/HOST@REALM); NULL: the default keytab
	 * (KRB5_KTNAME, else /etc/krb5.keytab). */
	const char *keytab;
	unsigned max_contexts; /* 0: RPC_GSS_DEFAULT_MAX_CONTEXTS */
	unsigned idle_s;       /* 0: RPC_GSS_DEFAULT_IDLE_S */
	/* Gives the calling thread the server's own file-system identity
	 * back (NULL: nothing to do).  GSS-API reads the keytab, krb5.conf
	 * and the replay cache, and NSS the user database, with the thread's
	 * identity, which a back end may have left on the last user the
	 * thread acted for (backend_local_restore_identity). */
	void (*act_as_server)(void);
};

enum {
	RPC_GSS_DEFAULT_MAX_CONTEXTS = 8192,
	RPC_GSS_DEFAULT_IDLE_S = 3600,
	/* The sequence window the server keeps per context and announces. */
	RPC_GSS_WINDOW = 128,
};

/* Reads the keytab and makes the acceptor.  NULL with a message in err
 * when the keytab has no usable key. */
struct rpc_gss_server *rpc_gss_server_create(const struct rpc_gss_options *o, char *err,
					     size_t errlen);
void rpc_gss_server_destroy(struct rpc_gss_server *s);

/* What to do with a call that carries an RPCSEC_GSS credential. */
enum rpc_gss_verdict {
	/* Serve it: *cred is the caller, *args the plain arguments, *call
	 * what the reply needs (rpc_gss_call_*; released with
	 * rpc_gss_call_release). */
	RPC_GSS_SERVE,
	/* A control call: the whole reply (header included) is in the
	 * encoder; nothing else to do. */
	RPC_GSS_ANSWERED,
	/* Accepted as authentic, but the arguments did not check out (a bad
	 * integrity checksum, an undecryptable body): answer GARBAGE_ARGS
	 * with *call's verifier. */
	RPC_GSS_GARBAGE,
	/* Refuse with AUTH_ERROR *why. */
	RPC_GSS_REJECT,
	/* Drop without a reply: a sequence number seen before or left behind
	 * by the window (RFC 2203 5.3.3.1); a real client retransmits with a
	 * new one. */
	RPC_GSS_DROP,
};

/* hdr: the decoded call header (its credential is RPCSEC_GSS); msg: the
 * call's first byte (its xid), from which the header's checksum is taken;
 * args: the arguments as received.  For RPC_GSS_ANSWERED the reply is
 * encoded into reply (after whatever it holds: the record mark). */
enum rpc_gss_verdict rpc_gss_accept(struct rpc_gss_server *s, const struct rpc_call_hdr *hdr,
				    const uint8_t *msg, struct xdr_dec *args,
				    struct rpc_cred *cred, struct rpc_gss_call **call,
				    struct xdr_enc *reply, enum rpc_auth_stat *why);

/* An accepted reply's header for the call: xid, its verifier (the
 * checksum of its sequence number), stat. */
bool rpc_gss_call_encode_accepted(const struct rpc_gss_call *call, struct xdr_enc *e, uint32_t xid,
				  enum rpc_accept_stat stat);

/* True when the results must be wrapped (krb5i, krb5p). */
bool rpc_gss_call_wraps(const struct rpc_gss_call *call);

/* How many bytes wrapping adds after the results (krb5i: the checksum;
 * krb5p: what encryption adds), for limits on a reply's size. */
size_t rpc_gss_call_trailer(const struct rpc_gss_call *call);

/* Bytes reserved before the results of a wrapping call: the body's length
 * and the sequence number (rpc_gss_call_reserve writes them). */
enum { RPC_GSS_WRAP_HEAD = 8 };
bool rpc_gss_call_reserve(const struct rpc_gss_call *call, struct xdr_enc *e);

/* krb5p: a new buffer holding head (the record mark and reply header,
 * head_len bytes; the record mark is rewritten), then the sealed body of
 * results (res_len bytes) followed by tail (tail_len bytes, may be 0).
 * NULL when the encryption failed or out of memory (logged). */
struct buf *rpc_gss_call_seal_reply(struct rpc_gss_call *call, const uint8_t *head,
				    size_t head_len, const uint8_t *res, size_t res_len,
				    const uint8_t *tail, size_t tail_len);

/* krb5i without a copy of the results: body points at the
 * RPC_GSS_WRAP_HEAD bytes rpc_gss_call_reserve wrote, the results
 * (res_len bytes) after them; tail follows them on the wire.  Writes the
 * body's length into body and returns what goes after the tail: the
 * body's XDR padding and the checksum, as a new buffer.  NULL when the
 * checksum failed or out of memory (logged). */
struct buf *rpc_gss_call_checksum_reply(struct rpc_gss_call *call, uint8_t *body, size_t res_len,
					const uint8_t *tail, size_t tail_len);

/* Whether the call is krb5i (its reply goes through
 * rpc_gss_call_checksum_reply; krb5p's through rpc_gss_call_seal_reply). */
bool rpc_gss_call_integrity(const struct rpc_gss_call *call);

void rpc_gss_call_release(struct rpc_gss_call *call);

/* Whether handle names a context made with this server, complete: one a
 * v4.1 client may give for its back channel (gcbp_handle_from_server). */
bool rpc_gss_server_knows(struct rpc_gss_server *s, const uint8_t *handle, uint32_t len);

/* --- this server's calls on a client's context ---------------------------
 * A v4.1 client may have its callbacks made under RPCSEC_GSS on a context
 * it made with this server (RFC 8881 2.10.8.2, gss_cb_handles4): the
 * server finds the context by its own handle for it (from_server), puts
 * the client's handle (from_client) in the calls' credentials, numbers
 * them in a sequence of its own per context, and protects them with the
 * service the client asked for. */
struct rpc_gss_cb;

/* NULL when from_server names no complete context (or out of memory). */
struct rpc_gss_cb *rpc_gss_server_cb_get(struct rpc_gss_server *s, const uint8_t *from_server,
					 uint32_t from_server_len, const uint8_t *from_client,
					 uint32_t from_client_len, uint32_t service);

/* A context the server makes itself, as its own principal (the first key
 * of its keytab), with the service target ("nfs@client.example") of
 * program prog, version vers, over roundtrip (rpc/gss/gss_client.h): for
 * v4.0 callbacks, which RFC 7530 3.3.3 has the server make as a client of
 * the client's callback service.  NULL with a message in err when no
 * context could be made. */
struct rpc_gss_cb *rpc_gss_server_dial(struct rpc_gss_server *s, const char *target, uint32_t prog,
				       uint32_t vers, uint32_t service, rpc_gss_roundtrip_fn roundtrip,
				       void *arg, char *err, size_t errlen);

/* Whichever kind: a reference more, and one less (the last frees it). */
struct rpc_gss_cb *rpc_gss_cb_ref(struct rpc_gss_cb *cb);
void rpc_gss_cb_put(struct rpc_gss_cb *cb);

/* Appends a whole call (no record mark): header, credential, verifier,
 * the arguments as the service wants them; *seq is the number it took.
 * 0 or a negative errno. */
int rpc_gss_cb_encode_call(struct rpc_gss_cb *cb, struct xdr_enc *e, uint32_t xid, uint32_t prog,
			   uint32_t vers, uint32_t proc, const void *args, size_t args_len,
			   uint32_t *seq);

/* Checks the reply to the call numbered seq (its header hdr, decoded,
 * with the verifier) and for an accepted SUCCESS gives its plain results
 * from the len bytes at results in *plain (buf_unref).  A denied reply
 * is 0 with *plain NULL.  -EACCES when the verifier or the results do
 * not verify. */
int rpc_gss_cb_open_reply(struct rpc_gss_cb *cb, uint32_t seq, const struct rpc_reply_hdr *hdr,
			  const uint8_t *results, size_t len, struct buf **plain);

struct rpc_gss_stats {
	uint64_t contexts;        /* live now (complete or being made) */
	uint64_t contexts_max;
	uint64_t created;         /* completed context creations */
	uint64_t created_openssl; /* of them, those whose tokens OpenSSL makes */
	uint64_t init_failures;   /* creations refused: by the GSS-API, or of no context */
	uint64_t destroyed;       /* by the client (DESTROY) */
	uint64_t evicted;         /* dropped for room (the least recently used) */
	uint64_t expired;         /* idle too long, or past their ticket */
	uint64_t replays_dropped; /* sequence numbers refused by the window */
	uint64_t bad_verifiers;   /* header checksums that did not verify */
	uint64_t bad_bodies;      /* integrity or privacy bodies refused */
	uint64_t calls[3];        /* DATA calls served by service: krb5, krb5i, krb5p */
};

void rpc_gss_server_stats(struct rpc_gss_server *s, struct rpc_gss_stats *out);

/* One context as the control plane lists it. */
struct rpc_gss_ctx_info {
	char principal[RPC_CRED_PRINCIPAL_MAX + 1];
	uint32_t uid;
	bool complete;
	uint64_t idle_ms;
	uint64_t calls;
	int64_t expires_in_s; /* the ticket's remaining lifetime */
	/* The Kerberos enctype when ferryd's own (OpenSSL) tokens are used,
	 * 0 when MIT's GSS-API does the per-message work. */
	int32_t openssl_enctype;
};

/* Up to max contexts, the most recently used first; returns how many. */
size_t rpc_gss_server_list(struct rpc_gss_server *s, struct rpc_gss_ctx_info *out, size_t max);

/* In-place upgrades: the complete contexts go to the ferryd that
 * replaces this one, with their handles (slot, generation and this
 * table's salt), credentials and sequence windows, and those whose
 * per-message work OpenSSL does (gss_krb5.h) with their keys and send
 * sequence numbers, the others (an enctype not done by OpenSSL) as MIT's
 * interprocess token of the context, so that their clients go on with
 * them; contexts still being made, or one MIT cannot export, stay behind
 * and their clients make new ones (RPCSEC_GSS_CREDPROBLEM).  Save while no call runs (the upgrade's
 * freeze).  *out a new buffer holding keys (cleanse it before release),
 * *left how many contexts stayed behind; 0 or -ENOMEM. */
int rpc_gss_server_save(struct rpc_gss_server *s, struct buf **out, unsigned *left);
/* Makes the contexts of rpc_gss_server_save's bytes again, in a table
 * that has none yet, taking its salt: 0, or -EINVAL with err (nothing of
 * it is kept). *loaded how many. */
int rpc_gss_server_load(struct rpc_gss_server *s, const uint8_t *p, size_t len,
			unsigned *loaded, char *err, size_t errlen);

#endif
