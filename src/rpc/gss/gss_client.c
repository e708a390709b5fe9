/* The RPCSEC_GSS initiator: see gss_client.h. */
#include "rpc/gss/gss_client.h"

#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rpc/gss/gss_seal.h"

enum {
	ERR_LEN = 320,
	/* Rounds of context establishment before giving up: Kerberos needs
	 * one (two with mutual authentication's answer). */
	MAX_ROUNDS = 8,
	/* Calls of context establishment and destruction: arguments up to
	 * the largest token, and the header. */
	CALL_HDR_MAX = 512,
};

struct rpc_gss_client {
	pthread_mutex_t lock; /* next_seq and every per-message call on ctx */
	gss_name_t target;
	gss_name_t principal;
	gss_cred_id_t cred;
	struct rpc_gss_sec sec; /* sec.ctx while the context is being made */
	bool established;
	uint8_t handle[RPC_GSS_HANDLE_MAX];
	uint32_t handle_len;
	uint32_t window;
	uint32_t service;
	uint32_t next_seq;
	_Atomic uint32_t next_xid;
	char ccache[64]; /* the memory cache a client keytab fills by default */
	char err[ERR_LEN];
};

/* --- errors ------------------------------------------------------------------------ */

static void set_err(struct rpc_gss_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct rpc_gss_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Appends GSS-API's text for one status code to out. */
static void append_status(char *out, size_t cap, OM_uint32 code, int type)
{
	OM_uint32 ctx = 0, min;
	do {
		gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
		if (GSS_ERROR(gss_display_status(&min, code, type, gss_mech_krb5, &ctx, &msg)))
			return;
		size_t used = strlen(out);
		if (used + 3 < cap)
			snprintf(out + used, cap - used, "%s%.*s", used ? "; " : "",
				 (int)msg.length, (const char *)msg.value);
		gss_release_buffer(&min, &msg);
	} while (ctx != 0);
}

/* "what: <major's text>; <minor's text>". */
static void status_text(char *out, size_t cap, const char *what, OM_uint32 maj, OM_uint32 min)
{
	char text[ERR_LEN] = "";
	append_status(text, sizeof(text), maj, GSS_C_GSS_CODE);
	if (min)
		append_status(text, sizeof(text), min, GSS_C_MECH_CODE);
	snprintf(out, cap, "%s: %s", what, text);
}

static void gss_err(struct rpc_gss_client *c, const char *what, OM_uint32 maj, OM_uint32 min)
{
	status_text(c->err, sizeof(c->err), what, maj, min);
}

const char *rpc_gss_client_error(const struct rpc_gss_client *c) { return c->err; }

/* --- creation ---------------------------------------------------------------------- */

struct rpc_gss_client *rpc_gss_client_new(const char *target, const char *client_keytab,
					  const char *ccache, const char *principal, char *err,
					  size_t errlen)
{
	OM_uint32 maj, min;
	struct rpc_gss_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->target = GSS_C_NO_NAME;
	c->principal = GSS_C_NO_NAME;
	c->cred = GSS_C_NO_CREDENTIAL;
	c->sec = (struct rpc_gss_sec){.ctx = GSS_C_NO_CONTEXT};
	uint32_t xid;
	if (getrandom(&xid, sizeof(xid), 0) != sizeof(xid))
		xid = (uint32_t)(uintptr_t)c;
	atomic_init(&c->next_xid, xid);

	gss_buffer_desc name = {strlen(target), (void *)target};
	maj = gss_import_name(&min, &name, GSS_C_NT_HOSTBASED_SERVICE, &c->target);
	if (GSS_ERROR(maj)) {
		status_text(err, errlen, "the target name", maj, min);
		goto fail;
	}
	if (principal) {
		name = (gss_buffer_desc){strlen(principal), (void *)principal};
		maj = gss_import_name(&min, &name, GSS_KRB5_NT_PRINCIPAL_NAME, &c->principal);
		if (GSS_ERROR(maj)) {
			status_text(err, errlen, "the principal name", maj, min);
			goto fail;
		}
	}

	gss_key_value_element_desc elems[2];
	gss_key_value_set_desc store = {0, elems};
	if (client_keytab)
		elems[store.count++] = (gss_key_value_element_desc){"client_keytab", client_keytab};
	if (!ccache && client_keytab) {
		/* Tickets got from the keytab stay with this client rather than
		 * land in the user's cache. */
		snprintf(c->ccache, sizeof(c->ccache), "MEMORY:ferry-gss-%p-%08x", (void *)c, xid);
		ccache = c->ccache;
	}
	if (ccache)
		elems[store.count++] = (gss_key_value_element_desc){"ccache", ccache};
	gss_OID_set_desc mechs = {1, gss_mech_krb5};
	maj = gss_acquire_cred_from(&min, c->principal, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
				    store.count ? &store : GSS_C_NO_CRED_STORE, &c->cred, NULL,
				    NULL);
	if (GSS_ERROR(maj)) {
		status_text(err, errlen, "initiator credentials", maj, min);
		goto fail;
	}
	return c;
fail:
	rpc_gss_client_free(c);
	return NULL;
}

static void drop_context(struct rpc_gss_client *c)
{
	rpc_gss_sec_release(&c->sec);
	c->established = false;
	c->handle_len = 0;
	c->window = 0;
}

void rpc_gss_client_free(struct rpc_gss_client *c)
{
	OM_uint32 min;
	if (!c)
		return;
	drop_context(c);
	if (c->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &c->cred);
	if (c->principal != GSS_C_NO_NAME)
		gss_release_name(&min, &c->principal);
	if (c->target != GSS_C_NO_NAME)
		gss_release_name(&min, &c->target);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool rpc_gss_client_established(const struct rpc_gss_client *c) { return c->established; }
uint32_t rpc_gss_client_window(const struct rpc_gss_client *c) { return c->window; }
uint32_t rpc_gss_client_service(const struct rpc_gss_client *c) { return c->service; }

const uint8_t *rpc_gss_client_handle(const struct rpc_gss_client *c, uint32_t *len)
{
	*len = c->established ? c->handle_len : 0;
	return c->handle;
}

uint32_t rpc_gss_client_set_seq(struct rpc_gss_client *c, uint32_t next)
{
	pthread_mutex_lock(&c->lock);
	uint32_t old = c->next_seq;
	c->next_seq = next;
	pthread_mutex_unlock(&c->lock);
	return old;
}

static bool valid_service(uint32_t s)
{
	return s >= RPC_GSS_SVC_NONE && s <= RPC_GSS_SVC_PRIVACY;
}

/* --- replies ----------------------------------------------------------------------- */

/* A reply's header: *hdr, the verifier (pointing into the reply) and the
 * offset after the header.  d is left there. */
struct reply_view {
	struct rpc_reply_hdr hdr;
	uint32_t verf_flavor;
	const uint8_t *verf;
	uint32_t verf_len;
	size_t results_off;
};

static int parse_reply(struct rpc_gss_client *c, uint32_t want_xid, const uint8_t *reply,
		       size_t len, struct xdr_dec *d, struct reply_view *v)
{
	uint32_t xid, mtype;
	memset(v, 0, sizeof(*v));
	xdr_dec_init(d, reply, len);
	if (!rpc_decode_msg_start(d, &xid, &mtype) || mtype != RPC_MSG_REPLY) {
		set_err(c, "not an RPC reply");
		return -EBADMSG;
	}
	if (xid != want_xid) {
		set_err(c, "a reply with XID %08x to the call %08x", xid, want_xid);
		return -EBADMSG;
	}
	struct xdr_dec verf = *d;
	if (!rpc_decode_reply(d, &v->hdr)) {
		set_err(c, "a malformed reply header");
		return -EBADMSG;
	}
	v->results_off = (size_t)(d->p - reply);
	if (v->hdr.reply_stat == RPC_MSG_ACCEPTED) {
		uint32_t stat;
		if (!xdr_decode_u32(&verf, &stat) || !xdr_decode_u32(&verf, &v->verf_flavor) ||
		    !xdr_decode_opaque(&verf, RPC_AUTH_MAX_BODY, &v->verf, &v->verf_len))
			return -EBADMSG; /* rpc_decode_reply read the same */
	}
	return 0;
}

/* Whether mic is the MIC of msg under the context; the caller holds the
 * lock. */
static int verify_mic(struct rpc_gss_client *c, const void *msg, size_t msg_len,
		      const void *mic, size_t mic_len, const char *what)
{
	struct iovec iov = {(void *)msg, msg_len};
	int rc = rpc_gss_sec_verify(&c->sec, &iov, 1, mic, mic_len);
	if (rc)
		set_err(c, "%s: %s", what,
			rc == -EKEYEXPIRED ? "the context has expired" : "does not verify");
	return rc ? -EACCES : 0;
}

/* The verifier of a reply to sequence number seq: the MIC of it; the
 * caller holds the lock. */
static int verify_seq(struct rpc_gss_client *c, const struct reply_view *v, uint32_t seq)
{
	if (v->verf_flavor != RPC_AUTH_GSS) {
		set_err(c, "the reply's verifier is of flavor %u, not RPCSEC_GSS", v->verf_flavor);
		return -EACCES;
	}
	int rc = rpc_gss_check_verifier(&c->sec, v->verf_flavor, v->verf, v->verf_len, seq);
	if (rc)
		set_err(c, "the reply's verifier does not verify");
	return rc;
}

/* A new buffer: reply[0, head) then body[0, n). */
static struct buf *splice_reply(const uint8_t *reply, size_t head, const uint8_t *body, size_t n)
{
	struct buf *b = buf_new(head + n ? head + n : 1);
	if (!b)
		return NULL;
	memcpy(b->data, reply, head);
	if (n)
		memcpy(b->data + head, body, n);
	b->len = head + n;
	return b;
}

int rpc_gss_client_decode_reply(struct rpc_gss_client *c,
				const struct rpc_gss_client_call *call, const uint8_t *reply,
				size_t len, struct rpc_reply_hdr *hdr, struct buf **out,
				size_t *results_off)
{
	struct xdr_dec d;
	struct reply_view v;
	*out = NULL;
	*results_off = 0;
	int rc = parse_reply(c, call->xid, reply, len, &d, &v);
	if (rc)
		return rc;
	*hdr = v.hdr;
	*results_off = v.results_off;
	if (v.hdr.reply_stat != RPC_MSG_ACCEPTED || v.hdr.accept_stat != RPC_SUCCESS) {
		if (v.hdr.reply_stat == RPC_MSG_ACCEPTED && v.verf_flavor == RPC_AUTH_GSS) {
			pthread_mutex_lock(&c->lock);
			rc = c->established ? verify_seq(c, &v, call->seq) : -ENOTCONN;
			pthread_mutex_unlock(&c->lock);
			if (rc)
				return rc;
		}
		*out = splice_reply(reply, len, NULL, 0);
		return *out ? 0 : -ENOMEM;
	}

	pthread_mutex_lock(&c->lock);
	if (!c->established) {
		pthread_mutex_unlock(&c->lock);
		set_err(c, "no context");
		return -ENOTCONN;
	}
	rc = verify_seq(c, &v, call->seq);
	struct buf *owned = NULL;
	/* The results, plain: where they are in the reply (krb5, krb5i) or
	 * where they were decrypted (krb5p); copied once, below. */
	const uint8_t *plain = d.p;
	size_t plain_len = xdr_dec_remaining(&d);
	if (rc == 0 && call->gss_proc == RPC_GSS_PROC_DATA && call->service != RPC_GSS_SVC_NONE) {
		rc = rpc_gss_open_results_view(&c->sec, call->seq, call->service, d.p,
					       xdr_dec_remaining(&d), &plain, &plain_len, &owned);
		if (rc == -EBADMSG)
			set_err(c, "malformed results for service %u", call->service);
		else if (rc)
			set_err(c, "the results do not verify under service %u (%d)", call->service,
				rc);
	}
	pthread_mutex_unlock(&c->lock);
	if (rc == 0) {
		*out = splice_reply(reply, v.results_off, plain, plain_len);
		if (!*out)
			rc = -ENOMEM;
	}
	buf_unref(owned);
	return rc;
}

/* --- calls ------------------------------------------------------------------------- */

/* Appends the header of a call with an RPCSEC_GSS credential cr and its
 * verifier; the caller holds the lock when the verifier is a MIC (mic),
 * else an AUTH_NONE verifier goes (context establishment). */
static int encode_header(struct rpc_gss_client *c, struct xdr_enc *e, size_t start, uint32_t xid,
			 uint32_t prog, uint32_t vers, uint32_t proc, const struct rpc_gss_cred *cr,
			 bool mic, struct rpc_gss_client_call *call)
{
	call->cred_off = 24; /* after xid, CALL, rpcvers, prog, vers, proc */
	if (!(xdr_encode_u32(e, xid) && xdr_encode_u32(e, RPC_MSG_CALL) &&
	      xdr_encode_u32(e, RPC_VERSION) && xdr_encode_u32(e, prog) &&
	      xdr_encode_u32(e, vers) && xdr_encode_u32(e, proc) && rpc_gss_encode_cred(e, cr)))
		return -EMSGSIZE;
	call->verf_off = xdr_enc_len(e) - start;
	if (!mic)
		return xdr_encode_u32(e, RPC_AUTH_NONE) && xdr_encode_u32(e, 0) ? 0 : -EMSGSIZE;
	int rc = rpc_gss_seal_verifier(&c->sec, e, e->buf->data + start, call->verf_off);
	if (rc == -EIO)
		set_err(c, "the call's verifier could not be made");
	return rc;
}

/* The arguments as the service wants them; the caller holds the lock. */
static int encode_body(struct rpc_gss_client *c, struct xdr_enc *e, size_t start, uint32_t seq,
		       uint32_t service, const void *args, size_t args_len,
		       struct rpc_gss_client_call *call)
{
	call->body_off = xdr_enc_len(e) - start;
	size_t sum_at = 0;
	int rc = rpc_gss_seal_args(&c->sec, e, seq, service, args, args_len, &sum_at);
	if (rc == -EIO)
		set_err(c, "the arguments could not be protected (service %u)", service);
	if (rc == 0 && sum_at) {
		call->checksum_off = sum_at - start;
		call->checksum_len = xdr_get_be32(e->buf->data + sum_at - 4);
	}
	return rc;
}

/* A DATA or DESTROY call, with the next sequence number. */
static int encode_call(struct rpc_gss_client *c, struct xdr_enc *e, uint32_t xid, uint32_t prog,
		       uint32_t vers, uint32_t proc, uint32_t gss_proc, uint32_t service,
		       const void *args, size_t args_len, struct rpc_gss_client_call *call)
{
	memset(call, 0, sizeof(*call));
	if (!valid_service(service)) {
		set_err(c, "unknown service %u", service);
		return -EINVAL;
	}
	if (e->overflow)
		return -EMSGSIZE;
	size_t start = xdr_enc_len(e);
	pthread_mutex_lock(&c->lock);
	if (!c->established) {
		pthread_mutex_unlock(&c->lock);
		set_err(c, "no context");
		return -ENOTCONN;
	}
	uint32_t seq = c->next_seq;
	if (seq >= RPC_GSS_MAXSEQ) {
		pthread_mutex_unlock(&c->lock);
		set_err(c, "the context's sequence numbers are used up");
		return -EOVERFLOW;
	}
	c->next_seq = seq + 1;
	*call = (struct rpc_gss_client_call){.xid = xid, .seq = seq, .service = service,
				      .gss_proc = gss_proc};
	const struct rpc_gss_cred cr = {.version = RPC_GSS_VERSION, .proc = gss_proc, .seq = seq,
					.service = service, .handle = c->handle,
					.handle_len = c->handle_len};
	int rc = encode_header(c, e, start, xid, prog, vers, proc, &cr, true, call);
	if (rc == 0 && gss_proc == RPC_GSS_PROC_DATA)
		rc = encode_body(c, e, start, seq, service, args, args_len, call);
	else if (rc == 0)
		call->body_off = xdr_enc_len(e) - start;
	pthread_mutex_unlock(&c->lock);
	if (rc == 0 && e->overflow)
		rc = -EMSGSIZE;
	if (rc) {
		e->buf->len = start;
		e->overflow = false;
		return rc;
	}
	call->len = xdr_enc_len(e) - start;
	return 0;
}

int rpc_gss_client_encode_call(struct rpc_gss_client *c, struct xdr_enc *e, uint32_t xid,
			       uint32_t prog, uint32_t vers, uint32_t proc, uint32_t service,
			       const void *args, size_t args_len,
			       struct rpc_gss_client_call *call)
{
	return encode_call(c, e, xid, prog, vers, proc, RPC_GSS_PROC_DATA, service, args, args_len,
			   call);
}

/* --- establishment and destruction ------------------------------------------------- */

/* Sends one INIT or CONTINUE_INIT call with token and reads its answer:
 * *reply (the caller's) and *res pointing into it, *v its header. */
static int init_round(struct rpc_gss_client *c, uint32_t prog, uint32_t vers, uint32_t gss_proc,
		      const gss_buffer_desc *token, rpc_gss_roundtrip_fn roundtrip, void *arg,
		      struct buf **reply, struct reply_view *v, struct rpc_gss_init_res *res)
{
	struct xdr_enc e;
	if (token->length > RPC_GSS_TOKEN_MAX) {
		set_err(c, "a context token of %zu bytes", token->length);
		return -EMSGSIZE;
	}
	if (!xdr_enc_init(&e, CALL_HDR_MAX + token->length, CALL_HDR_MAX + RPC_GSS_TOKEN_MAX + 8))
		return -ENOMEM;
	uint32_t xid = atomic_fetch_add(&c->next_xid, 1);
	const struct rpc_gss_cred cr = {.version = RPC_GSS_VERSION, .proc = gss_proc, .seq = 0,
					.service = c->service, .handle = c->handle,
					.handle_len = c->handle_len};
	struct rpc_gss_client_call call;
	int rc = encode_header(c, &e, 0, xid, prog, vers, 0, &cr, false, &call);
	if (rc == 0 && !xdr_encode_opaque(&e, token->value, (uint32_t)token->length))
		rc = -EMSGSIZE;
	if (rc == 0 && e.overflow)
		rc = -EMSGSIZE;
	if (rc == 0) {
		rc = roundtrip(arg, e.buf->data, e.buf->len, reply);
		if (rc)
			set_err(c, "the transport: %s", strerror(-rc));
	}
	xdr_enc_release(&e);
	if (rc)
		return rc;
	struct xdr_dec d;
	rc = parse_reply(c, xid, (*reply)->data, (*reply)->len, &d, v);
	if (rc)
		return rc;
	if (v->hdr.reply_stat != RPC_MSG_ACCEPTED) {
		if (v->hdr.reject_stat == RPC_AUTH_ERROR) {
			set_err(c, "the server refused the context: auth_stat %u",
				v->hdr.auth_stat);
			return -EACCES;
		}
		set_err(c, "the server denied the call (reject_stat %u)", v->hdr.reject_stat);
		return -EPROTO;
	}
	if (v->hdr.accept_stat != RPC_SUCCESS) {
		set_err(c, "the server answered accept_stat %u", v->hdr.accept_stat);
		return -EPROTO;
	}
	if (!rpc_gss_decode_init_res(&d, res) || xdr_dec_remaining(&d) != 0) {
		set_err(c, "malformed rpc_gss_init_res");
		return -EBADMSG;
	}
	if (res->major != GSS_S_COMPLETE && res->major != GSS_S_CONTINUE_NEEDED) {
		status_text(c->err, sizeof(c->err), "the server's acceptor", res->major,
			    res->minor);
		return -EPROTO;
	}
	if (res->handle_len == 0) {
		set_err(c, "the server gave no context handle");
		return -EBADMSG;
	}
	memcpy(c->handle, res->handle, res->handle_len);
	c->handle_len = res->handle_len;
	return 0;
}

int rpc_gss_client_establish(struct rpc_gss_client *c, uint32_t prog, uint32_t vers,
			     uint32_t service, rpc_gss_roundtrip_fn roundtrip, void *arg)
{
	if (c->established)
		return -EEXIST;
	if (!valid_service(service)) {
		set_err(c, "unknown service %u", service);
		return -EINVAL;
	}
	drop_context(c);
	c->service = service;
	c->err[0] = '\0';

	struct buf *reply = NULL;
	gss_buffer_desc in = GSS_C_EMPTY_BUFFER;
	uint32_t gss_proc = RPC_GSS_PROC_INIT;
	bool server_done = false;
	uint32_t window = 0;
	uint8_t verf[RPC_AUTH_MAX_BODY];
	uint32_t verf_flavor = RPC_AUTH_NONE, verf_len = 0;
	OM_uint32 ret_flags = 0;
	int rc = -EPROTO;
	for (int round = 0;; round++) {
		if (round == MAX_ROUNDS) {
			set_err(c, "no context after %d rounds", MAX_ROUNDS);
			rc = -EPROTO;
			break;
		}
		OM_uint32 maj, min;
		gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
		maj = gss_init_sec_context(&min, c->cred, &c->sec.ctx, c->target, gss_mech_krb5,
					   GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG,
					   0, GSS_C_NO_CHANNEL_BINDINGS,
					   round ? &in : GSS_C_NO_BUFFER, NULL, &out, &ret_flags,
					   NULL);
		buf_unref(reply); /* in pointed into it */
		reply = NULL;
		in = (gss_buffer_desc)GSS_C_EMPTY_BUFFER;
		if (GSS_ERROR(maj)) {
			gss_err(c, round ? "the server's context token" : "the first context token",
				maj, min);
			gss_release_buffer(&min, &out);
			rc = round ? -EACCES : -EIO;
			break;
		}
		if (out.length) {
			if (server_done) {
				set_err(c, "the server completed the context before the client");
				gss_release_buffer(&min, &out);
				rc = -EPROTO;
				break;
			}
			struct reply_view v;
			struct rpc_gss_init_res res;
			rc = init_round(c, prog, vers, gss_proc, &out, roundtrip, arg, &reply, &v,
					&res);
			gss_release_buffer(&min, &out);
			if (rc)
				break;
			gss_proc = RPC_GSS_PROC_CONTINUE_INIT;
			in = (gss_buffer_desc){res.token_len, (void *)res.token};
			if (res.major == GSS_S_COMPLETE) {
				server_done = true;
				window = res.window;
				verf_flavor = v.verf_flavor;
				verf_len = v.verf_len;
				memcpy(verf, v.verf, v.verf_len);
			}
		} else if (maj & GSS_S_CONTINUE_NEEDED) {
			set_err(c, "GSS-API wants more but gave nothing to send");
			rc = -EPROTO;
			break;
		}
		if (maj & GSS_S_CONTINUE_NEEDED) {
			if (server_done && in.length == 0) {
				set_err(c, "the server completed the context before the client");
				rc = -EPROTO;
				break;
			}
			continue;
		}
		/* GSS-API is done: so must the server be. */
		if (!server_done) {
			set_err(c, "the server wants more after the client completed");
			rc = -EPROTO;
			break;
		}
		rc = 0;
		break;
	}
	buf_unref(reply);
	if (rc == 0 && !(ret_flags & GSS_C_MUTUAL_FLAG)) {
		set_err(c, "no mutual authentication");
		rc = -EACCES;
	}
	if (rc == 0 && window == 0) {
		set_err(c, "the server gave a sequence window of 0");
		rc = -EPROTO;
	}
	if (rc == 0) {
		/* The verifier of the last reply: the MIC of the window. */
		uint8_t be[4];
		xdr_put_be32(be, window);
		if (verf_flavor != RPC_AUTH_GSS) {
			set_err(c, "the final reply's verifier is of flavor %u", verf_flavor);
			rc = -EACCES;
		} else {
			rc = verify_mic(c, be, 4, verf, verf_len, "the window's verifier");
		}
	}
	if (rc == 0 && rpc_gss_sec_ready(&c->sec) != 0) {
		set_err(c, "the context was lost moving its keys");
		rc = -EIO;
	}
	if (rc) {
		drop_context(c);
		return rc;
	}
	c->window = window;
	c->next_seq = 1;
	c->established = true;
	return 0;
}

int rpc_gss_client_destroy(struct rpc_gss_client *c, uint32_t prog, uint32_t vers,
			   rpc_gss_roundtrip_fn roundtrip, void *arg)
{
	struct xdr_enc e;
	struct rpc_gss_client_call call;
	if (!c->established)
		return -ENOTCONN;
	if (!xdr_enc_init(&e, CALL_HDR_MAX, CALL_HDR_MAX * 2))
		return -ENOMEM;
	uint32_t xid = atomic_fetch_add(&c->next_xid, 1);
	int rc = encode_call(c, &e, xid, prog, vers, 0, RPC_GSS_PROC_DESTROY, c->service, NULL, 0,
			     &call);
	struct buf *reply = NULL;
	if (rc == 0) {
		rc = roundtrip(arg, e.buf->data, e.buf->len, &reply);
		if (rc)
			set_err(c, "the transport: %s", strerror(-rc));
	}
	xdr_enc_release(&e);
	if (rc == 0) {
		struct rpc_reply_hdr hdr;
		struct buf *out;
		size_t off;
		rc = rpc_gss_client_decode_reply(c, &call, reply->data, reply->len, &hdr, &out,
						 &off);
		if (rc == 0) {
			if (hdr.reply_stat != RPC_MSG_ACCEPTED || hdr.accept_stat != RPC_SUCCESS) {
				set_err(c, "DESTROY answered: reply %u accept %u auth %u",
					hdr.reply_stat, hdr.accept_stat, hdr.auth_stat);
				rc = -EPROTO;
			}
			buf_unref(out);
		}
	}
	buf_unref(reply);
	drop_context(c);
	return rc;
}

int rpc_gss_client_check_reply(struct rpc_gss_client *c, const struct rpc_gss_client_call *call,
			       const struct rpc_reply_hdr *hdr, const uint8_t *results, size_t len,
			       struct buf **plain)
{
	*plain = NULL;
	if (hdr->reply_stat != RPC_MSG_ACCEPTED)
		return 0;
	/* As rpc_gss_client_decode_reply: a server may answer a call it
	 * could not read with an AUTH_NONE verifier. */
	if (hdr->accept_stat != RPC_SUCCESS && hdr->verf_flavor != RPC_AUTH_GSS)
		return 0;
	pthread_mutex_lock(&c->lock);
	int rc = c->established ? rpc_gss_check_verifier(&c->sec, hdr->verf_flavor, hdr->verf,
							   hdr->verf_len, call->seq)
				: -ENOTCONN;
	if (rc == 0 && hdr->accept_stat == RPC_SUCCESS && call->gss_proc == RPC_GSS_PROC_DATA)
		rc = rpc_gss_open_results(&c->sec, call->seq, call->service, results, len, plain);
	pthread_mutex_unlock(&c->lock);
	if (rc)
		set_err(c, "a reply that does not verify (%d)", rc);
	return rc;
}

/* --- calls the server makes on the context ------------------------------------------ */

int rpc_gss_client_accept_call(struct rpc_gss_client *c, const struct rpc_call_hdr *hdr,
			       const uint8_t *msg, const uint8_t *args, size_t args_len,
			       struct buf **plain, uint32_t *seq, uint32_t *service)
{
	*plain = NULL;
	struct rpc_gss_cred cr;
	if (hdr->cred_flavor != RPC_AUTH_GSS ||
	    !rpc_gss_decode_cred(hdr->cred_body, hdr->cred_len, &cr) ||
	    cr.proc != RPC_GSS_PROC_DATA) {
		set_err(c, "not an RPCSEC_GSS DATA call");
		return -EBADMSG;
	}
	if (hdr->verf_flavor != RPC_AUTH_GSS) {
		set_err(c, "a call whose verifier is of flavor %u", hdr->verf_flavor);
		return -EACCES;
	}
	const uint8_t *cred_end = hdr->cred_body + xdr_pad4(hdr->cred_len);
	pthread_mutex_lock(&c->lock);
	int rc = c->established ? 0 : -ENOTCONN;
	if (rc == 0)
		rc = verify_mic(c, msg, (size_t)(cred_end - msg), hdr->verf_body, hdr->verf_len,
				"the server's call header");
	if (rc == 0)
		rc = rpc_gss_open_results(&c->sec, cr.seq, cr.service, args, args_len, plain);
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		set_err(c, "a call of the server's that does not verify (%d)", rc);
		return rc;
	}
	*seq = cr.seq;
	*service = cr.service;
	return 0;
}

int rpc_gss_client_encode_reply(struct rpc_gss_client *c, struct xdr_enc *e, uint32_t xid,
				uint32_t seq, uint32_t service, const void *res, size_t res_len)
{
	uint8_t be[4];
	xdr_put_be32(be, seq);
	if (!xdr_encode_u32(e, xid) || !xdr_encode_u32(e, RPC_MSG_REPLY) ||
	    !xdr_encode_u32(e, RPC_MSG_ACCEPTED))
		return -EMSGSIZE;
	pthread_mutex_lock(&c->lock);
	int rc = c->established ? rpc_gss_seal_verifier(&c->sec, e, be, sizeof(be)) : -ENOTCONN;
	if (rc == 0)
		rc = xdr_encode_u32(e, RPC_SUCCESS) ? 0 : -EMSGSIZE;
	if (rc == 0)
		rc = rpc_gss_seal_args(&c->sec, e, seq, service, res, res_len, NULL);
	pthread_mutex_unlock(&c->lock);
	return rc ? rc : e->overflow ? -EMSGSIZE : 0;
}
