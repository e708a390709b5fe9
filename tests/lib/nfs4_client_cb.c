/* The test client's transport and back channel: waiting for a reply while
 * answering the CALLs the server sends on the same connection, the
 * background reader, and the v4.0 callback listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "lib/nfs4_client.h"
#include "rpc/gss/gss_server.h"

/* --- the per-connection registry ---------------------------------------------------- */

enum { MAX_CONNS = 64, MAX_MAIL = 16 };

/* What the library knows about one fd: the service for its CALLs, the
 * RPCSEC_GSS context its calls go through, and in background mode the
 * reader thread and the replies it parked. */
struct conn {
	int fd;
	struct nfs4c_cb *svc;
	struct rpc_gss_client *gss;
	uint32_t gss_service;
	ino_t gss_ino; /* the socket gss was attached to (fd numbers are reused) */
	bool bg;
	volatile bool bg_stop;
	int bg_err; /* the reader's transport error, handed to waiters */
	pthread_t thread;
	pthread_mutex_t wlock; /* callbacks' replies never interleave with calls */
	struct buf *mail[MAX_MAIL];
	uint32_t mail_xid[MAX_MAIL];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static struct conn conns[MAX_CONNS];
static unsigned nconns;

/* Answers callbacks for connections nobody attached a service to. */
static struct nfs4c_cb default_svc;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static void default_init(void) { nfs4c_cb_init(&default_svc, 0); }

static struct conn *conn_find(int fd, bool create)
{
	for (unsigned i = 0; i < nconns; i++)
		if (conns[i].fd == fd)
			return &conns[i];
	if (!create)
		return NULL;
	assert_true(nconns < MAX_CONNS);
	struct conn *c = &conns[nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	pthread_mutex_init(&c->wlock, NULL);
	return c;
}

static void conn_forget(int fd)
{
	for (unsigned i = 0; i < nconns; i++)
		if (conns[i].fd == fd) {
			for (unsigned k = 0; k < MAX_MAIL; k++)
				buf_unref(conns[i].mail[k]);
			pthread_mutex_destroy(&conns[i].wlock);
			conns[i] = conns[--nconns];
			return;
		}
}

static struct nfs4c_cb *svc_of(int fd)
{
	pthread_once(&default_once, default_init);
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	struct nfs4c_cb *s = c && c->svc ? c->svc : &default_svc;
	pthread_mutex_unlock(&reg_lock);
	return s;
}

/* Writes a whole record; under the connection's write lock when it has one
 * (background mode writes from two threads). */
static int send_locked(int fd, const void *data, size_t len)
{
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	pthread_mutex_t *l = c && c->bg ? &c->wlock : NULL;
	pthread_mutex_unlock(&reg_lock);
	if (l)
		pthread_mutex_lock(l);
	int rc = rpctest_send_record(fd, data, len, 0);
	if (l)
		pthread_mutex_unlock(l);
	return rc;
}

/* --- the service ------------------------------------------------------------------------ */

void nfs4c_cb_init(struct nfs4c_cb *svc, uint32_t program)
{
	memset(svc, 0, sizeof(*svc));
	svc->program = program;
	pthread_mutex_init(&svc->lock, NULL);
	pthread_cond_init(&svc->cond, NULL);
}

void nfs4c_cb_destroy(struct nfs4c_cb *svc)
{
	for (unsigned i = 0; i < svc->nheld; i++)
		buf_unref(svc->held[i]);
	svc->nheld = 0;
	pthread_mutex_destroy(&svc->lock);
	pthread_cond_destroy(&svc->cond);
}

static void record(struct nfs4c_cb *svc, const struct nfs4c_cb_rec *r)
{
	pthread_mutex_lock(&svc->lock);
	if (svc->nrecs < NFS4C_CB_RECS)
		svc->recs[svc->nrecs++] = *r;
	pthread_cond_broadcast(&svc->cond);
	pthread_mutex_unlock(&svc->lock);
}

static void copy_fh(struct nfs4c_cb_rec *r, struct nfs4_opaque fh)
{
	r->fhlen = fh.len <= NFS4_FHSIZE ? fh.len : NFS4_FHSIZE;
	memcpy(r->fh, fh.data, r->fhlen);
}

uint32_t nfs4c_cb_default_sequence(struct nfs4c_cb *svc, const struct nfs4c_cb_op *op,
				   struct xdr_enc *res)
{
	const struct nfs4_cb_sequence_args *a = &op->u.sequence;
	if (a->slotid >= NFS4C_MAX_SLOTS)
		return NFS4ERR_BADSLOT;
	pthread_mutex_lock(&svc->lock);
	uint32_t last = svc->slot_seq[a->slotid];
	bool ok = a->sequenceid == last + 1 || (last != 0 && a->sequenceid == last);
	if (ok)
		svc->slot_seq[a->slotid] = a->sequenceid;
	struct nfs4_cb_sequence_res r = {.sessionid = a->sessionid,
					 .sequenceid = a->sequenceid,
					 .slotid = a->slotid,
					 .highest_slotid = svc->highest_slot,
					 .target_highest_slotid = svc->target_highest_slot};
	pthread_mutex_unlock(&svc->lock);
	if (!ok)
		return NFS4ERR_SEQ_MISORDERED;
	return nfs4_enc_cb_sequence_res(res, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

/* CB_GETATTR's NFS4_OK carries a fattr4: by default an empty one (the
 * client claims no attribute changed). */
static uint32_t default_getattr(struct xdr_enc *e)
{
	struct nfs4_cb_getattr_res r;
	memset(&r, 0, sizeof(r));
	return nfs4_enc_cb_getattr_res(e, &r) ? NFS4_OK : NFS4ERR_RESOURCE;
}

/* Decodes one op's arguments into op and the record; false: malformed. */
static bool decode_op(struct xdr_dec *d, struct nfs4c_cb_op *op, struct nfs4c_cb_rec *r)
{
	switch (op->opnum) {
	case OP_CB_SEQUENCE:
		if (!nfs4_dec_cb_sequence_args(d, &op->u.sequence))
			return false;
		r->sessionid = op->u.sequence.sessionid;
		r->seqid = op->u.sequence.sequenceid;
		r->slotid = op->u.sequence.slotid;
		r->highest_slotid = op->u.sequence.highest_slotid;
		return true;
	case OP_CB_RECALL:
		if (!nfs4_dec_cb_recall_args(d, &op->u.recall))
			return false;
		r->stateid = op->u.recall.stateid;
		r->truncate = op->u.recall.truncate;
		copy_fh(r, op->u.recall.fh);
		return true;
	case OP_CB_GETATTR:
		if (!nfs4_dec_cb_getattr_args(d, &op->u.getattr))
			return false;
		r->attr_request = op->u.getattr.attr_request;
		copy_fh(r, op->u.getattr.fh);
		return true;
	case OP_CB_NOTIFY_LOCK:
		if (!nfs4_dec_cb_notify_lock_args(d, &op->u.notify_lock))
			return false;
		r->owner_clientid = op->u.notify_lock.lock_owner.clientid;
		r->owner_len = op->u.notify_lock.lock_owner.owner.len;
		if (r->owner_len > sizeof(r->owner))
			return false;
		memcpy(r->owner, op->u.notify_lock.lock_owner.owner.data, r->owner_len);
		copy_fh(r, op->u.notify_lock.fh);
		return true;
	case OP_CB_NOTIFY:
		if (!nfs4_dec_cb_notify_args(d, &op->u.notify))
			return false;
		r->stateid = op->u.notify.stateid;
		r->nchanges = op->u.notify.changes.count;
		copy_fh(r, op->u.notify.fh);
		return true;
	case OP_CB_RECALLABLE_OBJ_AVAIL:
	case OP_CB_RECALL_ANY: /* the same arguments */
		if (!nfs4_dec_cb_recallable_obj_avail_args(d, &op->u.obj_avail))
			return false;
		r->objects_to_keep = op->u.obj_avail.objects_to_keep;
		r->type_mask = op->u.obj_avail.type_mask;
		return true;
	case OP_CB_OFFLOAD:
		if (!nfs4_dec_cb_offload_args(d, &op->u.offload))
			return false;
		r->stateid = op->u.offload.stateid;
		copy_fh(r, op->u.offload.fh);
		r->offload_status = op->u.offload.status;
		r->offload = op->u.offload.resok;
		r->offload_bytes = op->u.offload.bytes_copied;
		return true;
	default:
		return false;
	}
}

static bool known_op(uint32_t opnum)
{
	return opnum == OP_CB_SEQUENCE || opnum == OP_CB_RECALL || opnum == OP_CB_GETATTR ||
	       opnum == OP_CB_NOTIFY_LOCK || opnum == OP_CB_NOTIFY || opnum == OP_CB_OFFLOAD ||
	       opnum == OP_CB_RECALLABLE_OBJ_AVAIL || opnum == OP_CB_RECALL_ANY;
}

/* Encodes the CB_COMPOUND4res for the call's arguments in d into e. */
static void answer_compound(struct nfs4c_cb *svc, uint32_t prog, const struct rpc_cred *cred,
			    struct xdr_dec *d, struct xdr_enc *e)
{
	struct nfs4_cb_compound_args_hdr h;
	struct nfs4_compound_res_enc r;
	if (!nfs4_dec_cb_compound_args_hdr(d, &h)) {
		nfs4_enc_compound_res_begin(&r, e, (struct nfs4_opaque){NULL, 0});
		nfs4_enc_compound_res_finish(&r, NFS4ERR_BADXDR);
		return;
	}
	nfs4_enc_compound_res_begin(&r, e, h.tag);
	uint32_t status = NFS4_OK;
	for (uint32_t i = 0; i < h.numops && status == NFS4_OK; i++) {
		struct nfs4c_cb_op op;
		struct nfs4c_cb_rec rec;
		memset(&op, 0, sizeof(op));
		memset(&rec, 0, sizeof(rec));
		op.minor = rec.minor = h.minor;
		op.callback_ident = rec.callback_ident = h.callback_ident;
		rec.proc = CB_COMPOUND;
		rec.prog = prog;
		rec.cred_flavor = cred->flavor;
		rec.cred_uid = cred->uid;
		if (!nfs4_dec_op(d, &op.opnum)) {
			status = NFS4ERR_BADXDR;
			nfs4_enc_op_res(&r, OP_CB_ILLEGAL, status);
			break;
		}
		rec.opnum = op.opnum;
		if (!known_op(op.opnum)) {
			/* A callback this client does not implement is NOTSUPP; a
			 * number outside the callback program is ILLEGAL. */
			bool defined = op.opnum >= OP_CB_GETATTR && op.opnum <= OP_CB_OFFLOAD;
			status = defined ? NFS4ERR_NOTSUPP : NFS4ERR_OP_ILLEGAL;
			rec.status = status;
			record(svc, &rec);
			nfs4_enc_op_res(&r, defined ? op.opnum : OP_CB_ILLEGAL, status);
			break;
		}
		if (!decode_op(d, &op, &rec)) {
			status = NFS4ERR_BADXDR;
		} else {
			size_t off = nfs4_enc_op_res(&r, op.opnum, NFS4_OK);
			size_t body = xdr_enc_len(e);
			nfs4c_cb_handler fn = svc->handlers[op.opnum];
			if (fn)
				status = fn(svc, &op, e);
			else if (op.opnum == OP_CB_SEQUENCE)
				status = nfs4c_cb_default_sequence(svc, &op, e);
			else if (op.opnum == OP_CB_GETATTR)
				status = default_getattr(e);
			else
				status = NFS4_OK;
			if (status != NFS4_OK)
				e->buf->len = body; /* an error has no body */
			nfs4_enc_op_res_patch(&r, off, status);
			rec.status = status;
			record(svc, &rec);
			continue;
		}
		rec.status = status;
		record(svc, &rec);
		nfs4_enc_op_res(&r, op.opnum, status);
	}
	nfs4_enc_compound_res_finish(&r, status);
}

static struct rpc_gss_client *gss_of(int fd, uint32_t *service);

/* The reply encoded in e (header, head bytes; the RPCSEC_GSS body's
 * reserved start; results from res_off) with its results checksummed
 * (krb5i) or sealed (krb5p), as ferryd's dispatcher sends them: a new
 * buffer, no record mark. */
static struct buf *wrapped_reply(struct rpc_gss_call *call, struct xdr_enc *e, size_t head,
				 size_t res_off)
{
	if (rpc_gss_call_integrity(call)) {
		struct buf *sum = rpc_gss_call_checksum_reply(call, e->buf->data + head,
							      e->buf->len - res_off, NULL, 0);
		struct buf *w = sum ? buf_new(e->buf->len + sum->len) : NULL;
		if (w) {
			memcpy(w->data, e->buf->data, e->buf->len);
			memcpy(w->data + e->buf->len, sum->data, sum->len);
			w->len = e->buf->len + sum->len;
		}
		buf_unref(sum);
		return w;
	}
	/* The sealed reply comes with a record mark in front: give it four
	 * bytes to write it to, and drop them. */
	struct xdr_enc framed;
	assert_true(xdr_enc_init(&framed, e->buf->len + 4, e->buf->len + 4));
	xdr_encode_u32(&framed, 0);
	memcpy(xdr_enc_reserve(&framed, e->buf->len), e->buf->data, e->buf->len);
	struct buf *w = rpc_gss_call_seal_reply(call, framed.buf->data, head + 4,
						framed.buf->data + 4 + res_off,
						e->buf->len - res_off, NULL, 0);
	xdr_enc_release(&framed);
	if (w) {
		memmove(w->data, w->data + 4, w->len - 4);
		w->len -= 4;
	}
	return w;
}

/* A callback the server made under RPCSEC_GSS, on the context attached to
 * fd (RFC 8881 2.10.8.2): checked and unwrapped through it, answered
 * through it.  One that does not verify is recorded with status
 * NFS4ERR_ACCESS and not answered (the server times out, as a client that
 * cannot authenticate its server's call would make it). */
/* A v4.0 callback under RPCSEC_GSS, through svc's acceptor: context
 * creation answered by it, a call checked by it and its reply protected
 * by it, as ferryd's dispatcher does. */
static void serve_gss_accepted(int fd, struct nfs4c_cb *svc, struct buf *b, uint32_t xid,
			       struct rpc_call_hdr *hdr, struct xdr_dec *d)
{
	struct nfs4c_cb_rec rec = {.proc = hdr->proc, .prog = hdr->prog,
				   .cred_flavor = RPC_AUTH_GSS};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 1u << 20));
	struct rpc_cred cred;
	struct rpc_gss_call *call = NULL;
	enum rpc_auth_stat why = RPC_AUTH_OK;
	hdr->xid = xid;
	enum rpc_gss_verdict v = rpc_gss_accept(svc->acceptor, hdr, b->data, d, &cred, &call, &e,
						&why);
	if (v == RPC_GSS_SERVE) {
		rpc_gss_call_encode_accepted(call, &e, xid, RPC_SUCCESS);
		size_t head = xdr_enc_len(&e);
		bool wraps = rpc_gss_call_wraps(call);
		if (wraps)
			rpc_gss_call_reserve(call, &e);
		size_t res_off = xdr_enc_len(&e);
		if (hdr->proc == CB_COMPOUND)
			answer_compound(svc, hdr->prog, &cred, d, &e);
		else
			record(svc, &rec);
		if (wraps) {
			struct buf *w = wrapped_reply(call, &e, head, res_off);
			assert_non_null(w);
			if (!svc->silent)
				(void)send_locked(fd, w->data, w->len);
			buf_unref(w);
			xdr_enc_release(&e);
			rpc_gss_call_release(call);
			return;
		}
	} else if (v == RPC_GSS_REJECT) {
		rpc_encode_auth_error(&e, xid, why);
		rec.status = NFS4ERR_ACCESS;
		record(svc, &rec);
	} else if (v == RPC_GSS_GARBAGE) {
		rpc_gss_call_encode_accepted(call, &e, xid, RPC_GARBAGE_ARGS);
	} else if (v == RPC_GSS_DROP) {
		xdr_enc_release(&e);
		rpc_gss_call_release(call);
		return;
	}
	if (!svc->silent)
		(void)send_locked(fd, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	rpc_gss_call_release(call);
}

static void serve_gss_call(int fd, struct nfs4c_cb *svc, struct buf *b, uint32_t xid,
			   struct rpc_call_hdr *hdr, struct xdr_dec *d)
{
	if (svc->acceptor) {
		serve_gss_accepted(fd, svc, b, xid, hdr, d);
		return;
	}
	uint32_t attached;
	struct rpc_gss_client *g = gss_of(fd, &attached);
	struct nfs4c_cb_rec rec = {.proc = hdr->proc, .prog = hdr->prog,
				   .cred_flavor = RPC_AUTH_GSS};
	struct buf *plain = NULL;
	uint32_t seq = 0, service = 0;
	if (!g || rpc_gss_client_accept_call(g, hdr, b->data, d->p, xdr_dec_remaining(d), &plain,
					     &seq, &service) != 0) {
		rec.status = NFS4ERR_ACCESS;
		record(svc, &rec);
		return;
	}
	struct xdr_enc res;
	assert_true(xdr_enc_init(&res, 512, 1u << 20));
	if (hdr->proc == CB_COMPOUND) {
		struct rpc_cred cred = {.flavor = RPC_AUTH_GSS};
		struct xdr_dec args;
		xdr_dec_init(&args, plain->data, plain->len);
		answer_compound(svc, hdr->prog, &cred, &args, &res);
	} else {
		record(svc, &rec);
	}
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 1u << 20));
	int rc = rpc_gss_client_encode_reply(g, &e, xid, seq, service, res.buf->data,
					     res.buf->len);
	if (rc == 0 && !svc->silent)
		(void)send_locked(fd, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
	xdr_enc_release(&res);
	buf_unref(plain);
}

/* Answers one CALL record b on fd with svc. */
static void serve_call(int fd, struct nfs4c_cb *svc, struct buf *b)
{
	struct xdr_dec d;
	uint32_t xid, mtype;
	struct rpc_call_hdr hdr;
	struct rpc_cred cred;
	enum rpc_auth_stat auth;
	xdr_dec_init(&d, b->data, b->len);
	if (!rpc_decode_msg_start(&d, &xid, &mtype) ||
	    rpc_decode_call(&d, &hdr, &cred, &auth) != RPC_CALL_OK)
		return; /* not for the tests to answer: the server will time out */
	if (cred.flavor == RPC_AUTH_GSS) {
		serve_gss_call(fd, svc, b, xid, &hdr, &d);
		return;
	}
	struct nfs4c_cb_rec rec = {.proc = hdr.proc, .prog = hdr.prog,
				   .cred_flavor = cred.flavor, .cred_uid = cred.uid};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 1u << 20));
	if (svc->program != 0 && hdr.prog != svc->program) {
		rpc_encode_accepted(&e, xid, RPC_PROG_UNAVAIL);
		record(svc, &rec);
	} else if (hdr.proc == CB_NULL) {
		rpc_encode_accepted(&e, xid, RPC_SUCCESS);
		record(svc, &rec);
	} else if (hdr.proc != CB_COMPOUND) {
		rpc_encode_accepted(&e, xid, RPC_PROC_UNAVAIL);
		record(svc, &rec);
	} else if (svc->garbage) {
		rpc_encode_accepted(&e, xid, RPC_GARBAGE_ARGS);
		record(svc, &rec);
	} else {
		rpc_encode_accepted(&e, xid, RPC_SUCCESS);
		answer_compound(svc, hdr.prog, &cred, &d, &e);
	}
	if (svc->silent || e.overflow) {
		xdr_enc_release(&e);
		return;
	}
	if (hdr.proc == CB_COMPOUND && svc->batch > 1) {
		struct buf *out[NFS4C_CB_HELD];
		int out_fd[NFS4C_CB_HELD];
		unsigned nout = 0;
		pthread_mutex_lock(&svc->lock);
		if (svc->nheld < NFS4C_CB_HELD) {
			svc->held[svc->nheld] = xdr_enc_take(&e);
			svc->held_fd[svc->nheld++] = fd;
		}
		if (svc->nheld > svc->max_held)
			svc->max_held = svc->nheld;
		if (svc->nheld >= svc->batch) {
			/* Newest first: the server must match replies by XID. */
			while (svc->nheld) {
				svc->nheld--;
				out[nout] = svc->held[svc->nheld];
				out_fd[nout++] = svc->held_fd[svc->nheld];
			}
		}
		pthread_mutex_unlock(&svc->lock);
		for (unsigned i = 0; i < nout; i++) {
			(void)send_locked(out_fd[i], out[i]->data, out[i]->len);
			buf_unref(out[i]);
		}
		xdr_enc_release(&e);
		return;
	}
	(void)send_locked(fd, e.buf->data, e.buf->len);
	xdr_enc_release(&e);
}

static bool is_call(struct buf *b)
{
	return b->len >= 8 && xdr_get_be32(b->data + 4) == RPC_MSG_CALL;
}

/* --- waiting for replies ---------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Background mode: waits until deadline for the reader to park the reply
 * with xid.  Called with reg_lock held; the entry is looked up again after
 * every wait since closing another connection moves entries. */
static int wait_mail(int fd, uint32_t xid, uint64_t deadline, struct buf **out)
{
	for (;;) {
		struct conn *c = conn_find(fd, false);
		if (!c)
			return -EBADF;
		for (unsigned k = 0; k < MAX_MAIL; k++)
			if (c->mail[k] && c->mail_xid[k] == xid) {
				*out = c->mail[k];
				c->mail[k] = NULL;
				return 0;
			}
		if (c->bg_err)
			return c->bg_err;
		uint64_t now = now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t wait = deadline - now < 1000 ? deadline - now : 1000;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&reg_cond, &reg_lock, &ts);
	}
}

/* Sends a whole call (len bytes, no record mark) and waits up to
 * timeout_ms for the record of the reply with its XID, serving the CALLs
 * that arrive meanwhile and skipping other replies.  *out is the raw
 * record (the caller's). */
static int send_wait(int fd, const void *call, size_t len, unsigned timeout_ms,
		     struct buf **out)
{
	if (len < 4)
		return -EINVAL;
	uint32_t xid = xdr_get_be32(call);
	uint64_t deadline = now_ms() + timeout_ms;
	int rc = send_locked(fd, call, len);
	if (rc)
		return rc;
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	if (c && c->bg) {
		rc = wait_mail(fd, xid, deadline, out);
		pthread_mutex_unlock(&reg_lock);
		return rc;
	}
	pthread_mutex_unlock(&reg_lock);
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* A record once started is read whole (as before: its own
		 * timeout). */
		struct buf *b;
		rc = rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS);
		if (rc)
			return rc;
		if (is_call(b)) {
			serve_call(fd, svc_of(fd), b);
			buf_unref(b);
			continue;
		}
		if (b->len >= 4 && xdr_get_be32(b->data) == xid) {
			*out = b;
			return 0;
		}
		buf_unref(b);
	}
}

/* The RPCSEC_GSS context attached to fd and its service; NULL when none
 * (or when fd is no longer the socket it was attached to). */
static struct rpc_gss_client *gss_of(int fd, uint32_t *service)
{
	struct stat st;
	bool sock = fstat(fd, &st) == 0;
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	struct rpc_gss_client *g = NULL;
	if (c && c->gss && sock && st.st_ino == c->gss_ino) {
		g = c->gss;
		*service = c->gss_service;
	} else if (c && c->gss) {
		c->gss = NULL; /* a new socket under an old number */
	}
	pthread_mutex_unlock(&reg_lock);
	return g;
}

/* The reply record raw to a call info made through g, as rpctest_parse_reply
 * reads it, its results unwrapped.  Consumes raw. */
static int gss_take(struct rpc_gss_client *g, const struct rpc_gss_client_call *info,
		    struct buf *raw, struct rpctest_reply *reply)
{
	struct rpc_reply_hdr hdr;
	struct buf *plain;
	size_t off;
	memset(reply, 0, sizeof(*reply));
	int rc = rpc_gss_client_decode_reply(g, info, raw->data, raw->len, &hdr, &plain, &off);
	buf_unref(raw);
	if (rc) {
		fprintf(stderr, "nfs4c: RPCSEC_GSS reply to xid 0x%08x: %s\n", info->xid,
			rpc_gss_client_error(g));
		return rc;
	}
	rc = rpctest_parse_reply(plain, reply);
	if (rc) {
		buf_unref(plain);
		reply->buf = NULL;
	}
	return rc;
}

int nfs4c_rpc(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
	      const struct rpc_cred *cred, const void *args, size_t len,
	      struct rpctest_reply *reply)
{
	uint32_t service = 0;
	struct rpc_gss_client *g = gss_of(fd, &service);
	struct buf *call = NULL, *b = NULL;
	struct rpc_gss_client_call info;
	int rc;
	if (g) {
		rc = nfs4c_gss_build(fd, xid, prog, vers, proc, args, len, &call, &info);
		if (rc)
			return rc;
	} else {
		call = rpctest_build_call(xid, prog, vers, proc, cred, args, len);
		if (!call)
			return -ENOMEM;
	}
	rc = send_wait(fd, call->data, call->len, RPCTEST_TIMEOUT_MS, &b);
	buf_unref(call);
	if (rc)
		return rc;
	if (g)
		return gss_take(g, &info, b, reply);
	rc = rpctest_parse_reply(b, reply);
	if (rc)
		buf_unref(b);
	return rc;
}

int nfs4c_rpc_raw(int fd, const void *call, size_t len, unsigned timeout_ms, struct buf **reply)
{
	*reply = NULL;
	return send_wait(fd, call, len, timeout_ms, reply);
}

int nfs4c_roundtrip(void *fd_arg, const void *record, size_t len, struct buf **reply)
{
	return send_wait((int)(intptr_t)fd_arg, record, len, RPCTEST_TIMEOUT_MS, reply);
}

/* --- RPCSEC_GSS ---------------------------------------------------------------------------- */

int nfs4c_gss_attach(int fd, struct rpc_gss_client *g, uint32_t service)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if (!rpc_gss_client_established(g)) {
		int rc = rpc_gss_client_establish(g, NFS4_PROGRAM, NFS4_VERSION, service,
						  nfs4c_roundtrip, (void *)(intptr_t)fd);
		if (rc) {
			fprintf(stderr, "nfs4c: RPCSEC_GSS context: %s\n", rpc_gss_client_error(g));
			return rc;
		}
	}
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, true);
	c->gss = g;
	c->gss_service = service;
	c->gss_ino = st.st_ino;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

struct rpc_gss_client *nfs4c_gss_login(int fd, const char *keytab, const char *ccache,
				       const char *principal, uint32_t service)
{
	char err[256] = "";
	struct rpc_gss_client *g =
		rpc_gss_client_new("nfs@localhost", keytab, ccache, principal, err, sizeof(err));
	if (!g)
		fail_msg("credentials: %s", err);
	int rc = nfs4c_gss_attach(fd, g, service);
	if (rc != 0)
		fail_msg("context refused: %d %s", rc, rpc_gss_client_error(g));
	return g;
}

void nfs4c_gss_detach(int fd)
{
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	if (c)
		c->gss = NULL;
	pthread_mutex_unlock(&reg_lock);
}

struct rpc_gss_client *nfs4c_gss_of(int fd)
{
	uint32_t service;
	return gss_of(fd, &service);
}

int nfs4c_gss_destroy(int fd)
{
	uint32_t service;
	struct rpc_gss_client *g = gss_of(fd, &service);
	if (!g)
		return -ENOTCONN;
	nfs4c_gss_detach(fd);
	return rpc_gss_client_destroy(g, NFS4_PROGRAM, NFS4_VERSION, nfs4c_roundtrip,
				      (void *)(intptr_t)fd);
}

int nfs4c_gss_build(int fd, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
		    const void *args, size_t len, struct buf **call,
		    struct rpc_gss_client_call *info)
{
	uint32_t service = 0;
	struct rpc_gss_client *g = gss_of(fd, &service);
	*call = NULL;
	if (!g)
		return -ENOTCONN;
	struct xdr_enc e;
	if (!xdr_enc_init(&e, 512 + len, 64u << 20))
		return -ENOMEM;
	int rc = rpc_gss_client_encode_call(g, &e, xid, prog, vers, proc, service, args, len, info);
	if (rc) {
		fprintf(stderr, "nfs4c: RPCSEC_GSS call: %s\n", rpc_gss_client_error(g));
		xdr_enc_release(&e);
		return rc;
	}
	*call = xdr_enc_take(&e);
	return 0;
}

int nfs4c_gss_reply(int fd, const struct rpc_gss_client_call *info, struct buf *raw,
		    struct rpctest_reply *reply)
{
	uint32_t service;
	struct rpc_gss_client *g = gss_of(fd, &service);
	if (!g) {
		buf_unref(raw);
		return -ENOTCONN;
	}
	return gss_take(g, info, raw, reply);
}

/* --- attaching, serving, background ---------------------------------------------------- */

void nfs4c_cb_attach(int fd, struct nfs4c_cb *svc)
{
	pthread_mutex_lock(&reg_lock);
	conn_find(fd, true)->svc = svc;
	pthread_mutex_unlock(&reg_lock);
}

void nfs4c_cb_detach(int fd)
{
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	if (c)
		c->svc = NULL;
	pthread_mutex_unlock(&reg_lock);
}

static unsigned total_recs(struct nfs4c_cb *svc)
{
	pthread_mutex_lock(&svc->lock);
	unsigned n = svc->nrecs;
	pthread_mutex_unlock(&svc->lock);
	return n;
}

bool nfs4c_cb_serve(int fd, unsigned n, unsigned timeout_ms)
{
	struct nfs4c_cb *svc = svc_of(fd);
	uint64_t deadline = now_ms() + timeout_ms;
	while (total_recs(svc) < n) {
		uint64_t now = now_ms();
		if (now >= deadline)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		struct buf *b;
		if (rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS) != 0)
			return false;
		if (is_call(b))
			serve_call(fd, svc, b);
		buf_unref(b);
	}
	return true;
}

static void *bg_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	for (;;) {
		pthread_mutex_lock(&reg_lock);
		struct conn *c = conn_find(fd, false);
		bool stop = !c || c->bg_stop;
		pthread_mutex_unlock(&reg_lock);
		if (stop)
			return NULL;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		struct buf *b;
		int rc = rpctest_recv_record(fd, &b, RPCTEST_TIMEOUT_MS);
		if (rc) {
			pthread_mutex_lock(&reg_lock);
			c = conn_find(fd, false);
			if (c)
				c->bg_err = rc;
			pthread_cond_broadcast(&reg_cond);
			pthread_mutex_unlock(&reg_lock);
			return NULL;
		}
		if (is_call(b)) {
			serve_call(fd, svc_of(fd), b);
			buf_unref(b);
			continue;
		}
		uint32_t xid = b->len >= 4 ? xdr_get_be32(b->data) : 0;
		pthread_mutex_lock(&reg_lock);
		c = conn_find(fd, false);
		bool parked = false;
		for (unsigned k = 0; c && k < MAX_MAIL && !parked; k++)
			if (!c->mail[k]) {
				c->mail[k] = b;
				c->mail_xid[k] = xid;
				parked = true;
			}
		pthread_cond_broadcast(&reg_cond);
		pthread_mutex_unlock(&reg_lock);
		if (!parked)
			buf_unref(b); /* nobody is waiting for that many replies */
	}
}

void nfs4c_bg_start(int fd)
{
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, true);
	assert_false(c->bg);
	c->bg = true;
	c->bg_stop = false;
	c->bg_err = 0;
	int rc = pthread_create(&c->thread, NULL, bg_main, (void *)(intptr_t)fd);
	pthread_mutex_unlock(&reg_lock);
	assert_int_equal(rc, 0);
}

void nfs4c_bg_stop(int fd)
{
	pthread_mutex_lock(&reg_lock);
	struct conn *c = conn_find(fd, false);
	if (!c || !c->bg) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	c->bg_stop = true;
	pthread_t t = c->thread;
	pthread_mutex_unlock(&reg_lock);
	pthread_join(t, NULL);
	pthread_mutex_lock(&reg_lock);
	c = conn_find(fd, false);
	if (c)
		c->bg = false;
	pthread_mutex_unlock(&reg_lock);
}

void nfs4c_close(int fd)
{
	nfs4c_bg_stop(fd);
	pthread_mutex_lock(&reg_lock);
	conn_forget(fd);
	pthread_mutex_unlock(&reg_lock);
	close(fd);
}

/* --- records ------------------------------------------------------------------------------ */

static bool rec_is(const struct nfs4c_cb_rec *r, uint32_t opnum)
{
	return opnum == 0 ? r->proc == CB_NULL : (r->proc == CB_COMPOUND && r->opnum == opnum);
}

unsigned nfs4c_cb_count(struct nfs4c_cb *svc, uint32_t opnum)
{
	pthread_mutex_lock(&svc->lock);
	unsigned n = 0;
	for (unsigned i = 0; i < svc->nrecs; i++)
		n += rec_is(&svc->recs[i], opnum);
	pthread_mutex_unlock(&svc->lock);
	return n;
}

bool nfs4c_cb_get(struct nfs4c_cb *svc, uint32_t opnum, unsigned idx, struct nfs4c_cb_rec *out)
{
	pthread_mutex_lock(&svc->lock);
	bool found = false;
	for (unsigned i = 0; i < svc->nrecs && !found; i++)
		if (rec_is(&svc->recs[i], opnum) && idx-- == 0) {
			*out = svc->recs[i];
			found = true;
		}
	pthread_mutex_unlock(&svc->lock);
	return found;
}

bool nfs4c_cb_wait(struct nfs4c_cb *svc, uint32_t opnum, unsigned n, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	while (nfs4c_cb_count(svc, opnum) < n) {
		if (now_ms() >= deadline)
			return false;
		pthread_mutex_lock(&svc->lock);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&svc->cond, &svc->lock, &ts);
		pthread_mutex_unlock(&svc->lock);
	}
	return true;
}

bool nfs4c_cb_recalled(struct nfs4c_cb *svc, const struct nfs4_stateid *sid)
{
	struct nfs4c_cb_rec r;
	for (unsigned i = 0; nfs4c_cb_get(svc, OP_CB_RECALL, i, &r); i++)
		if (r.stateid.seqid == sid->seqid &&
		    memcmp(r.stateid.other, sid->other, NFS4_OTHER_SIZE) == 0)
			return true;
	return false;
}

/* --- the v4.0 listener ---------------------------------------------------------------------- */

enum { LISTENER_CONNS = 8 };

static void *listener_main(void *arg)
{
	struct nfs4c_cb_listener *l = arg;
	struct pollfd p[1 + LISTENER_CONNS];
	unsigned n = 0;
	while (!l->stop) {
		if (atomic_exchange(&l->drop, 0)) {
			for (unsigned i = 0; i < n; i++)
				close(p[1 + i].fd);
			n = 0;
		}
		p[0] = (struct pollfd){.fd = l->lfd, .events = POLLIN};
		for (unsigned i = 0; i < n; i++)
			p[1 + i].events = POLLIN;
		if (poll(p, 1 + n, 50) <= 0)
			continue;
		for (unsigned i = 0; i < n;) {
			struct buf *b = NULL;
			if (p[1 + i].revents &&
			    rpctest_recv_record(p[1 + i].fd, &b, RPCTEST_TIMEOUT_MS) != 0) {
				close(p[1 + i].fd);
				p[1 + i] = p[n--];
				continue;
			}
			if (b) {
				if (is_call(b))
					serve_call(p[1 + i].fd, l->svc, b);
				buf_unref(b);
			}
			i++;
		}
		if (p[0].revents & POLLIN) {
			int c = accept(l->lfd, NULL, NULL);
			if (c >= 0)
				atomic_fetch_add(&l->accepted, 1);
			if (c >= 0 && n < LISTENER_CONNS)
				p[1 + n++].fd = c;
			else if (c >= 0)
				close(c);
		}
	}
	for (unsigned i = 0; i < n; i++)
		close(p[1 + i].fd);
	return NULL;
}

int nfs4c_cb_bind(struct nfs4c_cb_listener *l, struct nfs4c_cb *svc)
{
	memset(l, 0, sizeof(*l));
	l->svc = svc;
	l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->lfd < 0)
		return -errno;
	/* Bound to port 0, the port is chosen now: a connection to it is
	 * refused until listen(). */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(l->lfd, (struct sockaddr *)&a, &alen) != 0) {
		int err = -errno;
		close(l->lfd);
		return err;
	}
	l->port = ntohs(a.sin_port);
	snprintf(l->uaddr, sizeof(l->uaddr), "127.0.0.1.%u.%u", l->port >> 8, l->port & 0xff);
	return 0;
}

int nfs4c_cb_listen_start(struct nfs4c_cb_listener *l)
{
	if (listen(l->lfd, 8) != 0) {
		int err = -errno;
		close(l->lfd);
		return err;
	}
	if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
		close(l->lfd);
		return -EAGAIN;
	}
	return 0;
}

int nfs4c_cb_listen(struct nfs4c_cb_listener *l, struct nfs4c_cb *svc)
{
	int rc = nfs4c_cb_bind(l, svc);
	return rc ? rc : nfs4c_cb_listen_start(l);
}

void nfs4c_cb_listen_stop(struct nfs4c_cb_listener *l)
{
	l->stop = 1;
	pthread_join(l->thread, NULL);
	close(l->lfd);
}
