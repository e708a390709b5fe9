/* RPCSEC_GSS as the acceptor: the context table, the checks of a call and
 * the wrapping of its reply.  See gss_server.h. */
#include "rpc/gss/gss_server.h"

#include <errno.h>
#include <stdio.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "rpc/gss/gss_client.h"
#include "rpc/gss/gss_ident.h"
#include "rpc/gss/gss_seal.h"
#include "rpc/gss/gss_wire.h"
#include "rpc/record.h"

enum { HANDLE_LEN = 16 };

/* One context.  The window is under lock; so is every per-message call
 * while the context is being made, and afterwards too when its keys stayed
 * with MIT's GSS-API (rpc_gss_sec_serial: its state is not safe to use
 * from two threads at once). */
struct gss_ctx {
	atomic_uint refs; /* the table's, and one per call in flight */
	uint32_t slot, generation;
	/* lock order: core/lock_order.h, level 10b. */
	pthread_mutex_t lock;
	struct rpc_gss_sec sec;
	_Atomic bool complete; /* set once, after cred and expires_ms */
	struct rpc_cred cred; /* the initiator, mapped (once complete) */
	char principal[RPC_CRED_PRINCIPAL_MAX + 1]; /* cred.principal points here */
	uint64_t expires_ms;  /* the ticket's end, CLOCK_MONOTONIC */
	_Atomic uint64_t last_used_ms;
	_Atomic uint64_t calls;
	/* The sequence window: the highest number seen and which of the
	 * RPC_GSS_WINDOW numbers up to it were (bit i: seq_high - i). */
	uint32_t seq_high;
	bool seq_any;
	uint64_t seen[RPC_GSS_WINDOW / 64];
	/* The next sequence number of this server's own calls on the
	 * context (v4.1 callbacks, RFC 8881 2.10.8.2). */
	uint32_t cb_seq;
	/* What gss_wrap adds to what it encrypts (krb5p), once complete. */
	uint32_t wrap_overhead;
};

/* This server's calls under RPCSEC_GSS: on a client's context (ctx: the
 * handle the client gave for them, gcbp_handle_from_client, and the
 * service), or on a context the server made itself as the initiator
 * (client: v4.0 callbacks). */
struct rpc_gss_cb {
	atomic_uint refs;
	struct gss_ctx *ctx;
	struct rpc_gss_client *client; /* owned */
	uint32_t service;
	uint32_t handle_len;
	uint8_t handle[RPC_GSS_HANDLE_MAX];
};

struct rpc_gss_call {
	struct gss_ctx *ctx;
	uint32_t seq, service;
	struct buf *plain; /* krb5p: the decrypted arguments */
	uint32_t verf_len;
	uint8_t verf[RPC_AUTH_MAX_BODY];
};

struct rpc_gss_server {
	gss_cred_id_t acceptor;
	void (*act_as_server)(void);
	char keytab[512]; /* the keytab read ("" : the default one) */
	unsigned max_contexts, idle_s;
	uint64_t salt; /* in every handle, so one from an earlier process never matches */
	/* lock order: core/lock_order.h, level 10a.  The slots and the
	 * generation counter; never a GSS-API call under it. */
	pthread_mutex_t lock;
	struct gss_ctx **slots;
	unsigned used, free_hint;
	uint32_t next_generation;
	uint64_t last_sweep_ms;
	_Atomic uint64_t st_created, st_created_openssl, st_init_failures, st_destroyed,
		st_evicted, st_expired, st_replays, st_bad_verf, st_bad_body, st_calls[3];
};

static void count(_Atomic uint64_t *c) { atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }

/* --- the table ------------------------------------------------------------ */

static void ctx_unref(struct gss_ctx *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	rpc_gss_sec_release(&c->sec);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void handle_of(const struct rpc_gss_server *s, const struct gss_ctx *c,
		      uint8_t out[HANDLE_LEN])
{
	xdr_put_be32(out, c->slot);
	xdr_put_be32(out + 4, c->generation);
	xdr_put_be32(out + 8, (uint32_t)(s->salt >> 32));
	xdr_put_be32(out + 12, (uint32_t)s->salt);
}

/* Takes slot i's context out of the table (its reference goes with it);
 * with s->lock held.  The context ends once its calls in flight end. */
static struct gss_ctx *slot_take(struct rpc_gss_server *s, unsigned i)
{
	struct gss_ctx *c = s->slots[i];
	s->slots[i] = NULL;
	s->used--;
	if (i < s->free_hint)
		s->free_hint = i;
	return c;
}

static bool ctx_stale(const struct rpc_gss_server *s, const struct gss_ctx *c, uint64_t now)
{
	uint64_t idle = now - atomic_load_explicit(&c->last_used_ms, memory_order_relaxed);
	return idle > (uint64_t)s->idle_s * 1000 || (c->complete && now >= c->expires_ms);
}

/* Drops idle and expired contexts, at most once a second; with s->lock
 * held.  Those taken out go to *gone[n] for release after the lock. */
static size_t sweep(struct rpc_gss_server *s, uint64_t now, struct gss_ctx **gone, size_t cap)
{
	size_t n = 0;
	if (now - s->last_sweep_ms < 1000)
		return 0;
	s->last_sweep_ms = now;
	for (unsigned i = 0; i < s->max_contexts && n < cap; i++)
		if (s->slots[i] && ctx_stale(s, s->slots[i], now))
			gone[n++] = slot_take(s, i);
	return n;
}

/* A new, incomplete context in the table (one reference for the caller
 * besides the table's), making room by dropping the least recently used
 * one when full.  NULL when out of memory. */
static struct gss_ctx *ctx_new(struct rpc_gss_server *s)
{
	struct gss_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->sec = (struct rpc_gss_sec){.ctx = GSS_C_NO_CONTEXT};
	uint64_t now = clock_now_ms();
	atomic_init(&c->last_used_ms, now);
	atomic_init(&c->refs, 2);

	struct gss_ctx *gone[64];
	pthread_mutex_lock(&s->lock);
	size_t nswept = sweep(s, now, gone, 63), ngone = nswept;
	if (s->used == s->max_contexts) {
		unsigned oldest = 0;
		uint64_t oldest_ms = UINT64_MAX;
		for (unsigned i = 0; i < s->max_contexts; i++) {
			uint64_t t = atomic_load_explicit(&s->slots[i]->last_used_ms,
							  memory_order_relaxed);
			if (t < oldest_ms) {
				oldest_ms = t;
				oldest = i;
			}
		}
		gone[ngone++] = slot_take(s, oldest);
		count(&s->st_evicted);
	}
	unsigned i = s->free_hint;
	while (s->slots[i])
		i++;
	s->free_hint = i + 1;
	c->slot = i;
	c->generation = ++s->next_generation;
	s->slots[i] = c;
	s->used++;
	pthread_mutex_unlock(&s->lock);

	atomic_fetch_add_explicit(&s->st_expired, nswept, memory_order_relaxed);
	for (size_t k = 0; k < ngone; k++)
		ctx_unref(gone[k]);
	return c;
}

/* The context a handle names, referenced; NULL when there is none. */
static struct gss_ctx *ctx_find(struct rpc_gss_server *s, const uint8_t *h, uint32_t len)
{
	if (len != HANDLE_LEN)
		return NULL;
	uint8_t want[HANDLE_LEN];
	uint32_t slot = xdr_get_be32(h);
	struct gss_ctx *c = NULL;
	pthread_mutex_lock(&s->lock);
	if (slot < s->max_contexts && s->slots[slot]) {
		handle_of(s, s->slots[slot], want);
		if (memcmp(want, h, HANDLE_LEN) == 0) {
			c = s->slots[slot];
			atomic_fetch_add(&c->refs, 1);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return c;
}

/* Takes c out of the table if it is still there. */
static void ctx_remove(struct rpc_gss_server *s, struct gss_ctx *c)
{
	struct gss_ctx *gone = NULL;
	pthread_mutex_lock(&s->lock);
	if (c->slot < s->max_contexts && s->slots[c->slot] == c)
		gone = slot_take(s, c->slot);
	pthread_mutex_unlock(&s->lock);
	if (gone)
		ctx_unref(gone);
}

/* --- creation ----------------------------------------------------------- */

struct rpc_gss_server *rpc_gss_server_create(const struct rpc_gss_options *o, char *err,
					     size_t errlen)
{
	struct rpc_gss_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->max_contexts = o->max_contexts ? o->max_contexts : RPC_GSS_DEFAULT_MAX_CONTEXTS;
	s->act_as_server = o->act_as_server;
	if (o->keytab && snprintf(s->keytab, sizeof(s->keytab), "%s", o->keytab) >=
				 (int)sizeof(s->keytab)) {
		snprintf(err, errlen, "the keytab's path is too long");
		free(s);
		return NULL;
	}
	s->idle_s = o->idle_s ? o->idle_s : RPC_GSS_DEFAULT_IDLE_S;
	s->slots = calloc(s->max_contexts, sizeof(*s->slots));
	if (!s->slots || getrandom(&s->salt, sizeof(s->salt), 0) != sizeof(s->salt)) {
		snprintf(err, errlen, "out of memory or no random bytes");
		free(s->slots);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);

	OM_uint32 major, minor;
	gss_key_value_element_desc kv = {"keytab", o->keytab};
	gss_key_value_set_desc store = {1, &kv};
	gss_OID_set_desc mechs = {1, (gss_OID)gss_mech_krb5};
	major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
				      o->keytab ? &store : GSS_C_NO_CRED_STORE, &s->acceptor, NULL,
				      NULL);
	if (major == GSS_S_COMPLETE) {
		/* An acceptor without keys is only found out at the first
		 * context: ask for the keytab's content now. */
		gss_name_t name = GSS_C_NO_NAME;
		OM_uint32 lifetime;
		major = gss_inquire_cred(&minor, s->acceptor, &name, &lifetime, NULL, NULL);
		gss_release_name(&minor, &name);
	}
	if (major != GSS_S_COMPLETE) {
		OM_uint32 ctx = 0, m2;
		gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
		gss_display_status(&m2, minor ? minor : major, minor ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
				   GSS_C_NO_OID, &ctx, &msg);
		snprintf(err, errlen, "no Kerberos keys to accept with from %s: %.*s",
			 o->keytab ? o->keytab : "the default keytab", (int)msg.length,
			 (const char *)msg.value);
		gss_release_buffer(&m2, &msg);
		rpc_gss_server_destroy(s);
		return NULL;
	}
	return s;
}

void rpc_gss_server_destroy(struct rpc_gss_server *s)
{
	if (!s)
		return;
	OM_uint32 minor;
	for (unsigned i = 0; i < s->max_contexts; i++)
		if (s->slots[i])
			ctx_unref(s->slots[i]);
	if (s->acceptor != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &s->acceptor);
	pthread_mutex_destroy(&s->lock);
	free(s->slots);
	free(s);
}

/* --- the checks of a call -------------------------------------------------- */

/* Marks seq in the window; false when it was seen or is behind the window
 * (RFC 2203 5.3.3.1: silently dropped).  With c->lock held. */
static bool window_take(struct gss_ctx *c, uint32_t seq)
{
	enum { W = RPC_GSS_WINDOW, WORDS = RPC_GSS_WINDOW / 64 };
	if (!c->seq_any || seq > c->seq_high) {
		uint32_t shift = c->seq_any ? seq - c->seq_high : W;
		if (shift >= W) {
			memset(c->seen, 0, sizeof(c->seen));
		} else {
			/* Shift the bit map up by `shift`: bit i becomes i + shift. */
			for (int w = WORDS - 1; w >= 0; w--) {
				uint64_t v = 0;
				int from = w - (int)(shift / 64);
				unsigned bits = shift % 64;
				if (from >= 0)
					v = c->seen[from] << bits;
				if (bits && from - 1 >= 0)
					v |= c->seen[from - 1] >> (64 - bits);
				c->seen[w] = v;
			}
		}
		c->seq_high = seq;
		c->seq_any = true;
		c->seen[0] |= 1;
		return true;
	}
	uint32_t back = c->seq_high - seq;
	if (back >= W)
		return false;
	uint64_t bit = (uint64_t)1 << (back % 64);
	if (c->seen[back / 64] & bit)
		return false;
	c->seen[back / 64] |= bit;
	return true;
}

/* The checksum of data under c, into out (at most RPC_AUTH_MAX_BODY
 * bytes); with c->lock held if the context is serial. */
static bool mic_of(struct gss_ctx *c, const void *data, size_t len, uint8_t *out,
		   uint32_t *out_len)
{
	struct iovec iov = {(void *)data, len};
	return rpc_gss_sec_mic(&c->sec, &iov, 1, out, RPC_AUTH_MAX_BODY, out_len) == 0;
}

/* 0, -EACCES, -EKEYEXPIRED; locking as mic_of. */
static int mic_check(struct gss_ctx *c, const void *data, size_t len, const void *mic,
		     size_t mic_len)
{
	struct iovec iov = {(void *)data, len};
	return rpc_gss_sec_verify(&c->sec, &iov, 1, mic, mic_len);
}

/* c->lock around a per-message call, when the context needs it. */
static bool serial_lock(struct gss_ctx *c)
{
	bool serial = rpc_gss_sec_serial(&c->sec);
	if (serial)
		pthread_mutex_lock(&c->lock);
	return serial;
}

static void serial_unlock(struct gss_ctx *c, bool locked)
{
	if (locked)
		pthread_mutex_unlock(&c->lock);
}

/* A context creation refused before any GSS-API call: RFC 2203 5.2.3.2
 * rules out RPCSEC_GSS_CREDPROBLEM and CTXPROBLEM as answers to INIT and
 * CONTINUE_INIT, so the refusal is an rpc_gss_init_res, as one the
 * GSS-API made (5.2.3.1): major, an empty handle and token, and a null
 * verifier. */
static enum rpc_gss_verdict init_refused(struct rpc_gss_server *s, const struct rpc_call_hdr *hdr,
					 struct xdr_enc *reply, OM_uint32 major, const char *why)
{
	struct rpc_gss_init_res res = {.major = major};
	count(&s->st_init_failures);
	log_ratelimited("rpc/gss: context creation refused (GSS major 0x%x): %s", major, why);
	rpc_encode_accepted(reply, hdr->xid, RPC_SUCCESS);
	rpc_gss_encode_init_res(reply, &res);
	return RPC_GSS_ANSWERED;
}

/* INIT and CONTINUE_INIT: one step of gss_accept_sec_context. */
static enum rpc_gss_verdict context_step(struct rpc_gss_server *s, const struct rpc_call_hdr *hdr,
					 const struct rpc_gss_cred *gc, struct xdr_dec *args,
					 struct xdr_enc *reply, enum rpc_auth_stat *why)
{
	const uint8_t *tok;
	uint32_t tok_len;
	if (hdr->proc != 0 || hdr->verf_flavor != RPC_AUTH_NONE) {
		*why = hdr->proc != 0 ? RPC_AUTH_BADCRED : RPC_AUTH_BADVERF;
		return RPC_GSS_REJECT;
	}
	if (!rpc_gss_decode_init_arg(args, &tok, &tok_len)) {
		rpc_encode_accepted(reply, hdr->xid, RPC_GARBAGE_ARGS);
		return RPC_GSS_ANSWERED;
	}
	struct gss_ctx *c;
	if (gc->proc == RPC_GSS_PROC_INIT) {
		if (gc->handle_len != 0) {
			*why = RPC_AUTH_BADCRED;
			return RPC_GSS_REJECT;
		}
		c = ctx_new(s);
		if (!c)
			return init_refused(s, hdr, reply, GSS_S_FAILURE, "out of memory");
	} else {
		/* A handle this server never gave, or one of a context no
		 * longer being made (complete, or dropped meanwhile): the
		 * status gss_accept_sec_context gives a context handle it does
		 * not know.  A complete context is left as it is. */
		c = ctx_find(s, gc->handle, gc->handle_len);
		if (!c || c->complete) {
			if (c)
				ctx_unref(c);
			return init_refused(s, hdr, reply, GSS_S_NO_CONTEXT,
					    "CONTINUE_INIT of no context being made");
		}
	}

	OM_uint32 major, minor, time_rec = 0;
	gss_buffer_desc in = {tok_len, (void *)tok}, out = GSS_C_EMPTY_BUFFER;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	struct rpc_gss_init_res res = {0};
	uint8_t handle[HANDLE_LEN], verf[RPC_AUTH_MAX_BODY];
	uint32_t verf_len = 0;
	uint8_t window[4];
	xdr_put_be32(window, RPC_GSS_WINDOW);

	/* The keytab, krb5.conf, the replay cache and the user database are
	 * read as the server, not as the user this thread last served. */
	if (s->act_as_server)
		s->act_as_server();
	pthread_mutex_lock(&c->lock);
	if (c->complete) {
		/* Another CONTINUE_INIT on this handle completed it meanwhile:
		 * left as it is, as above. */
		pthread_mutex_unlock(&c->lock);
		ctx_unref(c);
		return init_refused(s, hdr, reply, GSS_S_NO_CONTEXT,
				    "CONTINUE_INIT of no context being made");
	}
	major = gss_accept_sec_context(&minor, &c->sec.ctx, s->acceptor, &in,
				       GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &out, NULL, &time_rec,
				       NULL);
	bool keep = false;
	if (major == GSS_S_COMPLETE) {
		struct rpc_cred cred = {.flavor = RPC_AUTH_GSS};
		if (rpc_gss_ident_map(src, mech, &cred, c->principal, sizeof(c->principal)) &&
		    mic_of(c, window, sizeof(window), verf, &verf_len) &&
		    rpc_gss_sec_ready(&c->sec) == 0) {
			c->cred = cred;
			c->expires_ms = clock_now_ms() +
					(time_rec == GSS_C_INDEFINITE ? UINT32_MAX : (uint64_t)time_rec) *
						1000;
			/* What a krb5p reply grows by, for the replies' size
			 * limits (rpc_gss_call_trailer). */
			c->wrap_overhead = (uint32_t)rpc_gss_sec_wrap_overhead(&c->sec);
			c->complete = true;
			keep = true;
		} else {
			major = GSS_S_FAILURE;
		}
	} else if (major == GSS_S_CONTINUE_NEEDED) {
		keep = true;
	}
	pthread_mutex_unlock(&c->lock);
	OM_uint32 ignored;
	if (src != GSS_C_NO_NAME)
		gss_release_name(&ignored, &src);

	res.major = major;
	res.minor = minor;
	if (keep) {
		handle_of(s, c, handle);
		res.handle = handle;
		res.handle_len = HANDLE_LEN;
		res.window = RPC_GSS_WINDOW;
		if (c->complete) {
			count(&s->st_created);
			if (!rpc_gss_sec_serial(&c->sec))
				count(&s->st_created_openssl);
		}
		res.token = out.value;
		res.token_len = (uint32_t)out.length;
	} else {
		/* RFC 2203 5.2.3.1: a failed creation has an empty handle and
		 * an empty token; the error token the GSS-API may have made
		 * for the initiator (Kerberos's KRB-ERROR) is not sent.  The
		 * status says why, under a null verifier. */
		verf_len = 0;
		count(&s->st_init_failures);
		log_ratelimited("rpc/gss: context creation refused (GSS major 0x%x minor %u)",
				major, minor);
		ctx_remove(s, c);
	}
	rpc_encode_accepted_verf(reply, hdr->xid, RPC_SUCCESS, verf_len ? RPC_AUTH_GSS : RPC_AUTH_NONE,
				 verf, verf_len);
	rpc_gss_encode_init_res(reply, &res);
	gss_release_buffer(&ignored, &out);
	ctx_unref(c);
	return RPC_GSS_ANSWERED;
}

static enum rpc_gss_verdict reject(enum rpc_auth_stat stat, enum rpc_auth_stat *why)
{
	*why = stat;
	return RPC_GSS_REJECT;
}

/* The arguments of a krb5i or krb5p call, checked and made plain; false
 * when they do not check out. */
static bool unwrap_args(struct rpc_gss_call *call, struct xdr_dec *args)
{
	struct gss_ctx *c = call->ctx;
	const uint8_t *rest;
	uint32_t rest_len;
	if (call->service == RPC_GSS_SVC_INTEGRITY) {
		const uint8_t *body, *mic;
		uint32_t body_len, mic_len;
		if (!rpc_gss_decode_integ(args, &body, &body_len, &mic, &mic_len) ||
		    mic_check(c, body, body_len, mic, mic_len) != 0 ||
		    !rpc_gss_databody_seq(body, body_len, call->seq, &rest, &rest_len))
			return false;
		xdr_dec_init(args, rest, rest_len);
		return true;
	}
	const uint8_t *tok;
	uint32_t tok_len;
	if (!rpc_gss_decode_priv(args, &tok, &tok_len))
		return false;
	size_t off, n;
	if (rpc_gss_sec_unwrap(&c->sec, tok, tok_len, &call->plain, &off, &n) != 0 ||
	    n > UINT32_MAX ||
	    !rpc_gss_databody_seq(call->plain->data + off, (uint32_t)n, call->seq, &rest,
				  &rest_len))
		return false;
	xdr_dec_init(args, rest, rest_len);
	return true;
}

enum rpc_gss_verdict rpc_gss_accept(struct rpc_gss_server *s, const struct rpc_call_hdr *hdr,
				    const uint8_t *msg, struct xdr_dec *args,
				    struct rpc_cred *cred, struct rpc_gss_call **callp,
				    struct xdr_enc *reply, enum rpc_auth_stat *why)
{
	struct rpc_gss_cred gc;
	*callp = NULL;
	/* A version this server does not speak, whatever the rest (whose
	 * layout the version decides): AUTH_REJECTEDCRED (RFC 2203 5.1, with
	 * errata 4067, and 5.2.3.2), on which a client may try version 1. */
	if (hdr->cred_len >= 4 && xdr_get_be32(hdr->cred_body) != RPC_GSS_VERSION)
		return reject(RPC_AUTH_REJECTEDCRED, why);
	if (!rpc_gss_decode_cred(hdr->cred_body, hdr->cred_len, &gc))
		return reject(RPC_AUTH_BADCRED, why);
	if (gc.proc == RPC_GSS_PROC_INIT || gc.proc == RPC_GSS_PROC_CONTINUE_INIT)
		return context_step(s, hdr, &gc, args, reply, why);

	struct gss_ctx *c = ctx_find(s, gc.handle, gc.handle_len);
	if (!c)
		return reject(RPCSEC_GSS_CREDPROBLEM, why);
	if (!c->complete) {
		ctx_unref(c);
		return reject(RPCSEC_GSS_CREDPROBLEM, why);
	}
	uint64_t now = clock_now_ms();
	if (gc.seq >= RPC_GSS_MAXSEQ || now >= c->expires_ms) {
		if (now >= c->expires_ms) {
			count(&s->st_expired);
			ctx_remove(s, c);
		}
		ctx_unref(c);
		return reject(RPCSEC_GSS_CTXPROBLEM, why);
	}
	if (hdr->verf_flavor != RPC_AUTH_GSS) {
		ctx_unref(c);
		return reject(RPC_AUTH_BADVERF, why);
	}
	/* The header's checksum covers the call from its xid through the
	 * credential (RFC 2203 5.3.1). */
	const uint8_t *cred_end = hdr->cred_body + xdr_pad4(hdr->cred_len);
	struct rpc_gss_call *call = calloc(1, sizeof(*call));
	if (!call) {
		ctx_unref(c);
		return reject(RPC_AUTH_FAILED, why);
	}
	call->ctx = c;
	call->seq = gc.seq;
	call->service = gc.service;

	uint8_t seq_xdr[4];
	xdr_put_be32(seq_xdr, gc.seq);
	bool locked = serial_lock(c);
	int checked = mic_check(c, msg, (size_t)(cred_end - msg), hdr->verf_body, hdr->verf_len);
	/* Only an authentic call moves the window. */
	if (checked == 0 && !locked)
		pthread_mutex_lock(&c->lock);
	bool fresh = checked == 0 && window_take(c, gc.seq);
	if (checked == 0 && !locked)
		pthread_mutex_unlock(&c->lock);
	bool verf_ok = fresh && mic_of(c, seq_xdr, sizeof(seq_xdr), call->verf, &call->verf_len);
	serial_unlock(c, locked);
	if (checked != 0) {
		count(&s->st_bad_verf);
		rpc_gss_call_release(call);
		return reject(checked == -EKEYEXPIRED ? RPCSEC_GSS_CTXPROBLEM
						      : RPCSEC_GSS_CREDPROBLEM,
			      why);
	}
	if (!fresh) {
		count(&s->st_replays);
		rpc_gss_call_release(call);
		return RPC_GSS_DROP;
	}
	if (!verf_ok) {
		rpc_gss_call_release(call);
		return reject(RPC_AUTH_FAILED, why);
	}
	atomic_store_explicit(&c->last_used_ms, now, memory_order_relaxed);

	if (gc.proc == RPC_GSS_PROC_DESTROY) {
		/* Answered with the verifier of its own sequence number, then
		 * the context is gone (RFC 2203 5.3.4). */
		rpc_encode_accepted_verf(reply, hdr->xid, RPC_SUCCESS, RPC_AUTH_GSS, call->verf,
					 call->verf_len);
		count(&s->st_destroyed);
		ctx_remove(s, c);
		rpc_gss_call_release(call);
		return RPC_GSS_ANSWERED;
	}

	*cred = c->cred;
	cred->gss_service = gc.service;
	atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
	count(&s->st_calls[gc.service - RPC_GSS_SVC_NONE]);
	*callp = call;
	if (gc.service == RPC_GSS_SVC_NONE)
		return RPC_GSS_SERVE;
	locked = serial_lock(c);
	bool body_ok = unwrap_args(call, args);
	serial_unlock(c, locked);
	if (!body_ok) {
		count(&s->st_bad_body);
		log_ratelimited("rpc/gss: %s: a %s body that does not check out (xid 0x%08x)",
				c->principal,
				gc.service == RPC_GSS_SVC_INTEGRITY ? "krb5i" : "krb5p", hdr->xid);
		return RPC_GSS_GARBAGE;
	}
	return RPC_GSS_SERVE;
}

/* --- the reply ------------------------------------------------------------ */

bool rpc_gss_call_encode_accepted(const struct rpc_gss_call *call, struct xdr_enc *e, uint32_t xid,
				  enum rpc_accept_stat stat)
{
	return rpc_encode_accepted_verf(e, xid, stat, RPC_AUTH_GSS, call->verf, call->verf_len);
}

bool rpc_gss_call_wraps(const struct rpc_gss_call *call)
{
	return call->service != RPC_GSS_SVC_NONE;
}

size_t rpc_gss_call_trailer(const struct rpc_gss_call *call)
{
	if (call->service == RPC_GSS_SVC_INTEGRITY)
		return 4 + xdr_pad4(call->verf_len); /* the checksum: a MIC as the verifier's */
	if (call->service == RPC_GSS_SVC_PRIVACY)
		return call->ctx->wrap_overhead + 3; /* and the opaque's padding */
	return 0;
}

bool rpc_gss_call_reserve(const struct rpc_gss_call *call, struct xdr_enc *e)
{
	/* The length is known once the results are: rpc_gss_call_wrap_reply
	 * writes the whole body anew. */
	return xdr_encode_u32(e, 0) && xdr_encode_u32(e, call->seq);
}

struct buf *rpc_gss_call_seal_reply(struct rpc_gss_call *call, const uint8_t *head,
				    size_t head_len, const uint8_t *res, size_t res_len,
				    const uint8_t *tail, size_t tail_len)
{
	struct gss_ctx *c = call->ctx;
	/* The body: the sequence number, the results and the tail. */
	uint8_t seq_xdr[4];
	xdr_put_be32(seq_xdr, call->seq);
	struct iovec body[3] = {{seq_xdr, 4}, {(void *)res, res_len}, {(void *)tail, tail_len}};
	size_t body_len = 4 + res_len + tail_len;
	if (body_len > UINT32_MAX - 4 - c->wrap_overhead)
		return NULL;
	/* The header, then the sealed body as an opaque. */
	size_t room = head_len + 4 + xdr_pad4(body_len + c->wrap_overhead);
	struct xdr_enc e;
	/* (MIT's tokens may pad a little past the overhead it gave for
	 * 64 KiB.) */
	if (!xdr_enc_init(&e, room, room + 64))
		return NULL;
	uint8_t *p = xdr_enc_reserve(&e, head_len);
	if (p)
		memcpy(p, head, head_len);
	bool locked = serial_lock(c);
	int rc = rpc_gss_sec_wrap(&c->sec, body, 3, &e);
	serial_unlock(c, locked);
	if (rc || e.overflow) {
		log_ratelimited("rpc/gss: %s: the reply could not be encrypted (%d)", c->principal,
				rc);
		xdr_enc_release(&e);
		return NULL;
	}
	struct buf *b = xdr_enc_take(&e);
	xdr_put_be32(b->data, RPC_RECORD_LAST_FRAG | (uint32_t)(b->len - 4));
	return b;
}

bool rpc_gss_call_integrity(const struct rpc_gss_call *call)
{
	return call->service == RPC_GSS_SVC_INTEGRITY;
}

struct buf *rpc_gss_call_checksum_reply(struct rpc_gss_call *call, uint8_t *body, size_t res_len,
					const uint8_t *tail, size_t tail_len)
{
	struct gss_ctx *c = call->ctx;
	size_t body_len = 4 + res_len + tail_len;
	if (body_len > UINT32_MAX)
		return NULL;
	xdr_put_be32(body, (uint32_t)body_len);
	/* The checksum covers the sequence number, the results, the tail. */
	struct iovec iov[2] = {{body + 4, 4 + res_len}, {(void *)tail, tail_len}};
	uint8_t mic[RPC_AUTH_MAX_BODY];
	uint32_t mic_len = 0;
	bool locked = serial_lock(c);
	int rc = rpc_gss_sec_mic(&c->sec, iov, 2, mic, sizeof(mic), &mic_len);
	serial_unlock(c, locked);
	size_t pad = xdr_pad4(body_len) - body_len;
	struct buf *b = rc == 0 ? buf_new(pad + 4 + xdr_pad4(mic_len)) : NULL;
	if (!b) {
		log_ratelimited("rpc/gss: %s: the reply could not be checksummed (%d)",
				c->principal, rc);
		return NULL;
	}
	memset(b->data, 0, pad);
	xdr_put_be32(b->data + pad, mic_len);
	memcpy(b->data + pad + 4, mic, mic_len);
	memset(b->data + pad + 4 + mic_len, 0, xdr_pad4(mic_len) - mic_len);
	b->len = pad + 4 + xdr_pad4(mic_len);
	return b;
}

void rpc_gss_call_release(struct rpc_gss_call *call)
{
	if (!call)
		return;
	buf_unref(call->plain);
	ctx_unref(call->ctx);
	free(call);
}

bool rpc_gss_server_knows(struct rpc_gss_server *s, const uint8_t *handle, uint32_t len)
{
	struct gss_ctx *c = ctx_find(s, handle, len);
	bool ok = c && c->complete;
	if (c)
		ctx_unref(c);
	return ok;
}

/* --- this server's calls on a client's context --------------------------- */

/* A callback context with its one reference, for service; the caller
 * says whose context it uses. */
static struct rpc_gss_cb *cb_new(uint32_t service)
{
	struct rpc_gss_cb *cb = calloc(1, sizeof(*cb));
	if (cb) {
		atomic_init(&cb->refs, 1);
		cb->service = service;
	}
	return cb;
}

struct rpc_gss_cb *rpc_gss_server_cb_get(struct rpc_gss_server *s, const uint8_t *from_server,
					 uint32_t from_server_len, const uint8_t *from_client,
					 uint32_t from_client_len, uint32_t service)
{
	if (from_client_len > RPC_GSS_HANDLE_MAX || service < RPC_GSS_SVC_NONE ||
	    service > RPC_GSS_SVC_PRIVACY)
		return NULL;
	struct gss_ctx *c = ctx_find(s, from_server, from_server_len);
	if (!c)
		return NULL;
	struct rpc_gss_cb *cb = c->complete ? cb_new(service) : NULL;
	if (!cb) {
		ctx_unref(c);
		return NULL;
	}
	cb->ctx = c;
	cb->handle_len = from_client_len;
	memcpy(cb->handle, from_client, from_client_len);
	return cb;
}

static struct rpc_gss_cb *rpc_gss_cb_from_client(struct rpc_gss_client *client, uint32_t service)
{
	struct rpc_gss_cb *cb = cb_new(service);
	if (!cb) {
		rpc_gss_client_free(client);
		return NULL;
	}
	cb->client = client;
	return cb;
}

struct rpc_gss_cb *rpc_gss_cb_ref(struct rpc_gss_cb *cb)
{
	atomic_fetch_add(&cb->refs, 1);
	return cb;
}

void rpc_gss_cb_put(struct rpc_gss_cb *cb)
{
	if (!cb || atomic_fetch_sub(&cb->refs, 1) != 1)
		return;
	if (cb->ctx)
		ctx_unref(cb->ctx);
	rpc_gss_client_free(cb->client);
	free(cb);
}

int rpc_gss_cb_encode_call(struct rpc_gss_cb *cb, struct xdr_enc *e, uint32_t xid, uint32_t prog,
			   uint32_t vers, uint32_t proc, const void *args, size_t args_len,
			   uint32_t *seq)
{
	if (cb->client) {
		struct rpc_gss_client_call call;
		int rc = rpc_gss_client_encode_call(cb->client, e, xid, prog, vers, proc,
						    cb->service, args, args_len, &call);
		*seq = call.seq;
		return rc;
	}
	struct gss_ctx *c = cb->ctx;
	size_t start = xdr_enc_len(e);
	int rc;
	pthread_mutex_lock(&c->lock);
	if (c->cb_seq >= RPC_GSS_MAXSEQ) {
		pthread_mutex_unlock(&c->lock);
		return -EOVERFLOW;
	}
	*seq = c->cb_seq++;
	struct rpc_gss_cred cr = {.version = RPC_GSS_VERSION, .proc = RPC_GSS_PROC_DATA,
				  .seq = *seq, .service = cb->service, .handle = cb->handle,
				  .handle_len = cb->handle_len};
	if (!xdr_encode_u32(e, xid) || !xdr_encode_u32(e, RPC_MSG_CALL) ||
	    !xdr_encode_u32(e, RPC_VERSION) || !xdr_encode_u32(e, prog) ||
	    !xdr_encode_u32(e, vers) || !xdr_encode_u32(e, proc) || !rpc_gss_encode_cred(e, &cr))
		rc = -EMSGSIZE;
	else if ((rc = rpc_gss_seal_verifier(&c->sec, e, e->buf->data + start,
					     xdr_enc_len(e) - start)) == 0)
		rc = rpc_gss_seal_args(&c->sec, e, *seq, cb->service, args, args_len, NULL);
	pthread_mutex_unlock(&c->lock);
	return rc ? rc : e->overflow ? -EMSGSIZE : 0;
}

int rpc_gss_cb_open_reply(struct rpc_gss_cb *cb, uint32_t seq, const struct rpc_reply_hdr *hdr,
			  const uint8_t *results, size_t len, struct buf **plain)
{
	if (cb->client) {
		struct rpc_gss_client_call call = {.seq = seq, .service = cb->service,
						   .gss_proc = RPC_GSS_PROC_DATA};
		return rpc_gss_client_check_reply(cb->client, &call, hdr, results, len, plain);
	}
	struct gss_ctx *c = cb->ctx;
	*plain = NULL;
	if (hdr->reply_stat != RPC_MSG_ACCEPTED)
		return 0; /* denied: no verifier, no results */
	pthread_mutex_lock(&c->lock);
	int rc = rpc_gss_check_verifier(&c->sec, hdr->verf_flavor, hdr->verf, hdr->verf_len, seq);
	if (rc == 0 && hdr->accept_stat == RPC_SUCCESS)
		rc = rpc_gss_open_results(&c->sec, seq, cb->service, results, len, plain);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

struct rpc_gss_cb *rpc_gss_server_dial(struct rpc_gss_server *s, const char *target, uint32_t prog,
				       uint32_t vers, uint32_t service, rpc_gss_roundtrip_fn roundtrip,
				       void *arg, char *err, size_t errlen)
{
	char keytab[600] = "";
	if (s->act_as_server)
		s->act_as_server();
	if (s->keytab[0]) {
		snprintf(keytab, sizeof(keytab), "%s", s->keytab);
	} else {
		/* The default keytab, as the acceptor read it. */
		krb5_context k;
		if (krb5_init_context(&k) == 0) {
			krb5_kt_default_name(k, keytab, sizeof(keytab));
			krb5_free_context(k);
		}
	}
	struct rpc_gss_client *g =
		rpc_gss_client_new(target, keytab[0] ? keytab : NULL, NULL, NULL, err, errlen);
	if (!g)
		return NULL;
	int rc = rpc_gss_client_establish(g, prog, vers, service, roundtrip, arg);
	if (rc) {
		snprintf(err, errlen, "%s", rpc_gss_client_error(g));
		rpc_gss_client_free(g);
		return NULL;
	}
	return rpc_gss_cb_from_client(g, service);
}

/* --- what the control plane reads ----------------------------------------- */

void rpc_gss_server_stats(struct rpc_gss_server *s, struct rpc_gss_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	out->contexts = s->used;
	pthread_mutex_unlock(&s->lock);
	out->contexts_max = s->max_contexts;
	out->created = atomic_load(&s->st_created);
	out->created_openssl = atomic_load(&s->st_created_openssl);
	out->init_failures = atomic_load(&s->st_init_failures);
	out->destroyed = atomic_load(&s->st_destroyed);
	out->evicted = atomic_load(&s->st_evicted);
	out->expired = atomic_load(&s->st_expired);
	out->replays_dropped = atomic_load(&s->st_replays);
	out->bad_verifiers = atomic_load(&s->st_bad_verf);
	out->bad_bodies = atomic_load(&s->st_bad_body);
	for (int i = 0; i < 3; i++)
		out->calls[i] = atomic_load(&s->st_calls[i]);
}

static int by_idle(const void *a, const void *b)
{
	const struct rpc_gss_ctx_info *x = a, *y = b;
	return x->idle_ms < y->idle_ms ? -1 : x->idle_ms > y->idle_ms;
}

size_t rpc_gss_server_list(struct rpc_gss_server *s, struct rpc_gss_ctx_info *out, size_t max)
{
	uint64_t now = clock_now_ms();
	size_t n = 0;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->max_contexts && n < max; i++) {
		struct gss_ctx *c = s->slots[i];
		if (!c)
			continue;
		struct rpc_gss_ctx_info *o = &out[n++];
		/* cred and expires are written before complete is set, under
		 * c->lock; take it to read them whole. */
		pthread_mutex_lock(&c->lock);
		o->complete = c->complete;
		memcpy(o->principal, c->principal, sizeof(o->principal));
		o->uid = c->cred.uid;
		o->openssl_enctype = c->complete && c->sec.fast ? gss_krb5_enctype(c->sec.fast) : 0;
		o->expires_in_s = c->complete ? ((int64_t)c->expires_ms - (int64_t)now) / 1000 : 0;
		pthread_mutex_unlock(&c->lock);
		o->idle_ms = now - atomic_load_explicit(&c->last_used_ms, memory_order_relaxed);
		o->calls = atomic_load_explicit(&c->calls, memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->lock);
	qsort(out, n, sizeof(*out), by_idle);
	return n;
}

/* --- an in-place upgrade ------------------------------------------------- */

/* Format 1: every context's keys OpenSSL's.  Format 2: each context says
 * which it is, OpenSSL's keys (CARRIED_KEYS, as in format 1) or MIT's
 * interprocess token of the context (CARRIED_MIT: the enctypes whose
 * per-message work ferryd leaves to MIT's GSS-API).  A ferryd reads both. */
enum {
	GSS_CARRY_FORMAT_KEYS = 1,
	GSS_CARRY_FORMAT = 2,
	SEEN_WORDS = RPC_GSS_WINDOW / 64,
	/* Where the count of contexts is, written once known: after the
	 * format, the salt and the next generation. */
	GSS_CARRY_COUNT_AT = 4 + 8 + 4,
	/* An exported krb5 context is about a kilobyte. */
	GSS_CARRY_TOKEN_MAX = 64 * 1024,
};
enum gss_carried_kind { CARRIED_KEYS = 1, CARRIED_MIT = 2 };

/* Whether c can go to the next ferryd: complete, not stale. */
static bool ctx_carried(const struct rpc_gss_server *s, const struct gss_ctx *c, uint64_t now)
{
	return c->complete && (c->sec.fast || c->sec.ctx != GSS_C_NO_CONTEXT) &&
	       !ctx_stale(s, c, now);
}

/* Appends c; false, with nothing appended, when its context cannot be
 * exported (*skipped) or on running out of memory. */
static bool encode_ctx(struct xdr_enc *e, struct gss_ctx *c, uint64_t now, bool *skipped)
{
	struct gss_krb5_keys k = {0};
	gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
	OM_uint32 minor;
	*skipped = false;
	uint64_t used = atomic_load(&c->last_used_ms);
	pthread_mutex_lock(&c->lock);
	if (c->sec.fast) {
		gss_krb5_keys_of(c->sec.fast, &k);
	} else if (rpc_gss_sec_export(&c->sec, &token) != 0 || token.length > GSS_CARRY_TOKEN_MAX) {
		pthread_mutex_unlock(&c->lock);
		if (token.length) {
			explicit_bzero(token.value, token.length);
			gss_release_buffer(&minor, &token);
		}
		*skipped = true;
		return false;
	}
	bool ok = xdr_encode_u32(e, c->slot) && xdr_encode_u32(e, c->generation) &&
		  xdr_encode_u32(e, c->cred.uid) && xdr_encode_u32(e, c->cred.gid) &&
		  xdr_encode_u32(e, c->cred.ngids);
	for (uint32_t i = 0; ok && i < c->cred.ngids; i++)
		ok = xdr_encode_u32(e, c->cred.gids[i]);
	ok = ok && xdr_encode_opaque(e, c->principal, (uint32_t)strlen(c->principal)) &&
	     xdr_encode_u64(e, c->expires_ms > now ? c->expires_ms - now : 0) &&
	     xdr_encode_u64(e, now > used ? now - used : 0) &&
	     xdr_encode_u64(e, atomic_load(&c->calls)) && xdr_encode_u32(e, c->seq_high) &&
	     xdr_encode_bool(e, c->seq_any);
	for (unsigned w = 0; ok && w < SEEN_WORDS; w++)
		ok = xdr_encode_u64(e, c->seen[w]);
	ok = ok && xdr_encode_u32(e, c->cb_seq) && xdr_encode_u32(e, c->wrap_overhead);
	if (c->sec.fast)
		ok = ok && xdr_encode_u32(e, CARRIED_KEYS) && xdr_encode_u32(e, (uint32_t)k.enctype) &&
		     xdr_encode_opaque(e, k.key, k.key_len) && xdr_encode_bool(e, k.acceptor) &&
		     xdr_encode_bool(e, k.acceptor_subkey) && xdr_encode_u64(e, k.send_seq);
	else
		ok = ok && xdr_encode_u32(e, CARRIED_MIT) &&
		     xdr_encode_opaque(e, token.value, (uint32_t)token.length);
	pthread_mutex_unlock(&c->lock);
	explicit_bzero(&k, sizeof(k));
	if (token.length) {
		explicit_bzero(token.value, token.length);
		gss_release_buffer(&minor, &token);
	}
	return ok;
}

int rpc_gss_server_save(struct rpc_gss_server *s, struct buf **out, unsigned *left)
{
	*out = NULL;
	*left = 0;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 4096, 1u << 28))
		return -ENOMEM;
	uint64_t now = clock_now_ms();
	pthread_mutex_lock(&s->lock);
	uint32_t n = 0;
	bool ok = xdr_encode_u32(&e, GSS_CARRY_FORMAT) && xdr_encode_u64(&e, s->salt) &&
		  xdr_encode_u32(&e, s->next_generation) && xdr_encode_u32(&e, 0);
	for (unsigned i = 0; ok && i < s->max_contexts; i++) {
		if (!s->slots[i] || !ctx_carried(s, s->slots[i], now))
			continue;
		bool skipped;
		if (encode_ctx(&e, s->slots[i], now, &skipped))
			n++;
		else
			ok = skipped;
	}
	*left = s->used - n;
	pthread_mutex_unlock(&s->lock);
	if (ok && !e.overflow)
		xdr_put_be32(e.buf->data + GSS_CARRY_COUNT_AT, n);
	if (!ok || e.overflow) {
		explicit_bzero(e.buf->data, e.buf->len);
		xdr_enc_release(&e);
		return -ENOMEM;
	}
	*out = xdr_enc_take(&e);
	return 0;
}

/* One context of the bytes at d, made again into *out.  false: they do
 * not decode, or name keys no context can be made of (*why). */
static bool decode_ctx(struct rpc_gss_server *s, struct xdr_dec *d, uint32_t format,
		       uint64_t now, struct gss_ctx **out, const char **why)
{
	const char *fail = "a context does not decode";
	struct gss_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		*why = "out of memory";
		return false;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->sec = (struct rpc_gss_sec){.ctx = GSS_C_NO_CONTEXT};
	atomic_init(&c->refs, 1);
	const uint8_t *principal, *key = NULL, *token = NULL;
	uint32_t principal_len, key_len = 0, enctype = 0, kind = CARRIED_KEYS, token_len = 0;
	uint64_t expires_in, idle, calls;
	struct gss_krb5_keys k = {0};
	bool ok = xdr_decode_u32(d, &c->slot) && xdr_decode_u32(d, &c->generation) &&
		  xdr_decode_u32(d, &c->cred.uid) && xdr_decode_u32(d, &c->cred.gid) &&
		  xdr_decode_u32(d, &c->cred.ngids) && c->cred.ngids <= RPC_AUTH_SYS_MAX_GIDS;
	for (uint32_t i = 0; ok && i < c->cred.ngids; i++)
		ok = xdr_decode_u32(d, &c->cred.gids[i]);
	ok = ok && xdr_decode_opaque(d, RPC_CRED_PRINCIPAL_MAX, &principal, &principal_len) &&
	     !memchr(principal, '\0', principal_len) && xdr_decode_u64(d, &expires_in) &&
	     xdr_decode_u64(d, &idle) && xdr_decode_u64(d, &calls) &&
	     xdr_decode_u32(d, &c->seq_high) && xdr_decode_bool(d, &c->seq_any);
	for (unsigned w = 0; ok && w < SEEN_WORDS; w++)
		ok = xdr_decode_u64(d, &c->seen[w]);
	ok = ok && xdr_decode_u32(d, &c->cb_seq) && xdr_decode_u32(d, &c->wrap_overhead) &&
	     (format == GSS_CARRY_FORMAT_KEYS || xdr_decode_u32(d, &kind));
	if (ok && kind == CARRIED_KEYS)
		ok = xdr_decode_u32(d, &enctype) &&
		     xdr_decode_opaque(d, GSS_KRB5_KEY_MAX, &key, &key_len) &&
		     xdr_decode_bool(d, &k.acceptor) && xdr_decode_bool(d, &k.acceptor_subkey) &&
		     xdr_decode_u64(d, &k.send_seq);
	else if (ok && kind == CARRIED_MIT)
		ok = xdr_decode_opaque(d, GSS_CARRY_TOKEN_MAX, &token, &token_len);
	else
		ok = false;
	if (ok && c->slot >= s->max_contexts) {
		fail = "a context's slot is past this server's max_contexts";
		ok = false;
	}
	if (ok) {
		memcpy(c->principal, principal, principal_len);
		c->principal[principal_len] = '\0';
		c->cred.flavor = RPC_AUTH_GSS;
		c->cred.principal = c->principal;
		c->expires_ms = now + expires_in;
		atomic_init(&c->last_used_ms, now > idle ? now - idle : 0);
		atomic_init(&c->calls, calls);
		if (kind == CARRIED_KEYS)
			c->sec.fast = gss_krb5_new((int32_t)enctype, key, key_len, k.acceptor,
						   k.acceptor_subkey, k.send_seq);
		if (kind == CARRIED_KEYS ? !c->sec.fast
					 : rpc_gss_sec_import(&c->sec, token, token_len) != 0) {
			fail = "a context's keys make no context here";
			ok = false;
		}
	}
	explicit_bzero(&k, sizeof(k));
	if (!ok) {
		*why = fail;
		ctx_unref(c);
		return false;
	}
	atomic_store(&c->complete, true);
	*out = c;
	return true;
}

int rpc_gss_server_load(struct rpc_gss_server *s, const uint8_t *p, size_t len,
			unsigned *loaded, char *err, size_t errlen)
{
	*loaded = 0;
	struct xdr_dec d;
	xdr_dec_init(&d, p, len);
	uint32_t format, next_generation, n;
	uint64_t salt;
	if (!xdr_decode_u32(&d, &format) ||
	    (format != GSS_CARRY_FORMAT && format != GSS_CARRY_FORMAT_KEYS) ||
	    !xdr_decode_u64(&d, &salt) || !xdr_decode_u32(&d, &next_generation) ||
	    !xdr_decode_u32(&d, &n) || n > s->max_contexts) {
		snprintf(err, errlen, "the RPCSEC_GSS contexts' section does not decode, or has "
				      "more contexts than max_contexts");
		return -EINVAL;
	}
	uint64_t now = clock_now_ms();
	const char *why = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->used)
		why = "contexts exist already";
	for (uint32_t i = 0; !why && i < n; i++) {
		struct gss_ctx *c;
		if (!decode_ctx(s, &d, format, now, &c, &why))
			break;
		if (s->slots[c->slot]) {
			why = "two contexts in one slot";
			ctx_unref(c);
			break;
		}
		s->slots[c->slot] = c;
		s->used++;
	}
	if (!why && d.p != d.end)
		why = "bytes after the last context";
	if (why) {
		/* Nothing of it is kept. */
		for (unsigned i = 0; i < s->max_contexts; i++)
			if (s->slots[i])
				ctx_unref(slot_take(s, i));
	} else {
		s->salt = salt;
		if (next_generation > s->next_generation)
			s->next_generation = next_generation;
		s->free_hint = 0;
		*loaded = n;
	}
	pthread_mutex_unlock(&s->lock);
	if (why) {
		snprintf(err, errlen, "RPCSEC_GSS contexts handed over: %s", why);
		return -EINVAL;
	}
	return 0;
}
