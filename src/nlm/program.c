/* The NLM v4 program: decodes each call, checks the file handle and the
 * caller against its export, asks the state module, and answers: in the
 * reply for the synchronous procedures, by a _RES call to the client's
 * lock manager for the _MSG ones (their own reply is empty).  The same
 * procedures serve calls over TCP (the rpc server's dispatch) and over UDP
 * (udp.c's sockets), each described by a struct nlm_caller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "export/export.h"
#include "export/fh.h"
#include "nlm/nlm_internal.h"
#include "rpc/addr.h"
#include "state/state.h"

/* --- the file a call names ------------------------------------------------------ */

/* What a call does to its file: lets go of a lock or share the caller
 * holds (UNLOCK, CANCEL, UNSHARE), asks (TEST) or takes (LOCK, SHARE); a
 * take for writing needs an export that is not read-only. */
enum nlm_use { NLM_RELEASE, NLM_TEST, NLM_TAKE, NLM_TAKE_WRITE };

/* As knfsd does unless told otherwise: TEST, a lock or a share of a file
 * needs its caller, after squashing, to be able to read it or to own it;
 * else anyone on a host the export admits could hold a lock on a file it
 * may not open and stall those who may.  Letting go is never refused (a
 * mode changed since the lock was taken must not keep it). */
static uint32_t may_lock(const struct export *ex, const struct nlm_caller *c,
			 const struct backend_handle *bh)
{
	if (atomic_load(&ex->insecure_locks))
		return NLM4_GRANTED;
	struct backend_cred bc;
	export_cred(ex, c->addr, c->cred, &bc);
	struct backend_attr attr;
	int rc = ex->ops->getattr(ex->bex, bh, &attr);
	if (rc == -ENOENT || rc == -ESTALE)
		return NLM4_STALE_FH;
	if (rc != 0)
		return NLM4_FAILED;
	uint32_t bits = 0;
	if (attr.uid == bc.uid ||
	    (ex->ops->access(ex->bex, &bc, bh, BACKEND_ACCESS_READ, &bits) == 0 &&
	     (bits & BACKEND_ACCESS_READ)))
		return NLM4_GRANTED;
	log_ratelimited("nlm: %s (uid %u) may not read the file it asks to lock in export %s "
			"(secure_locks): refused",
			c->name, bc.uid, ex->pseudo);
	return NLM4_FAILED;
}

/* fh as a lock target of the caller: its export must admit the caller
 * (host, port, flavour) as NFS would (NLM4_FAILED), a take for writing
 * must find it writable (NLM4_ROFS), and a test or take must pass
 * may_lock. */
static uint32_t resolve(struct nlm_service *n, const struct nlm_caller *c,
			const struct nlm_bytes *wire, enum nlm_use use, struct state_file_key *key)
{
	struct fh fh;
	if (wire->len > FH_MAX_SIZE ||
	    fh_parse(n->exps, wire->data, wire->len, &fh) != FH_OK)
		return NLM4_STALE_FH;
	if (fh.kind != FH_EXPORT)
		return NLM4_FAILED; /* a directory of the pseudo file system */
	const struct export *ex = fh.export;
	if (!export_allows(ex, c->addr, c->tls) || !export_port_ok(ex, c->addr, c->cred->flavor) ||
	    !export_lock_sec_ok(ex, c->addr, c->cred)) {
		log_ratelimited("nlm: %s may not lock files of export %s", c->name, ex->pseudo);
		return NLM4_FAILED;
	}
	if (use == NLM_TAKE_WRITE && export_read_only(ex, c->addr))
		return NLM4_ROFS;
	if (use != NLM_RELEASE) {
		uint32_t stat = may_lock(ex, c, &fh.bh);
		if (stat != NLM4_GRANTED)
			return stat;
	}
	key->export_id = ex->id;
	key->bh = fh.bh;
	return NLM4_GRANTED;
}

/* A range that ends past 2^64 - 1 (len 0: to the end of the file, always
 * fits): NLM4_FBIG for a TEST or LOCK, as NFSv4 LOCK answers such a
 * range NFS4ERR_INVAL.  UNLOCK and CANCEL take it as reaching the end. */
static bool range_fits(uint64_t offset, uint64_t len)
{
	return len == 0 || len - 1 <= UINT64_MAX - offset;
}

/* The caller's address without its port, for calls back. */
static void peer_host(const struct nlm_caller *c, char *out, size_t len)
{
	rpc_addr_host(c->addr, out, len);
}

/* A lock as the state module's (l) with what it points to: its file (key)
 * and its owner's address (addr, without a port). */
struct lock_req {
	struct state_file_key key;
	char addr[NLM_ADDR_MAX];
	struct state_nlm_lock l;
};

/* r->l from w, for r->key and r->addr as they are. */
static void lock_of(const struct nlm4_lock *w, bool exclusive, struct lock_req *r)
{
	r->l = (struct state_nlm_lock){
		.owner = {.host = w->caller_name.data,
			  .host_len = w->caller_name.len,
			  .addr = r->addr,
			  .svid = w->svid,
			  .oh = w->oh.data,
			  .oh_len = w->oh.len},
		.file = &r->key,
		.exclusive = exclusive,
		.offset = w->offset,
		.len = w->len,
	};
}

/* The start of TEST, LOCK, UNLOCK and CANCEL: w's file resolved for use
 * (r->key), its range checked when it is to be locked or tested, and the
 * lock as the state module's (r->l, its owner at r->addr: the caller's
 * address without its port). */
static uint32_t lock_start(struct nlm_service *n, const struct nlm_caller *c,
			   const struct nlm4_lock *w, enum nlm_use use, bool exclusive,
			   struct lock_req *r)
{
	uint32_t stat = resolve(n, c, &w->fh, use, &r->key);
	if (stat != NLM4_GRANTED)
		return stat;
	if (use != NLM_RELEASE && !range_fits(w->offset, w->len))
		return NLM4_FBIG;
	peer_host(c, r->addr, sizeof(r->addr));
	lock_of(w, exclusive, r);
	return NLM4_GRANTED;
}

/* NSM hears of the first state at a host's address and of its last
 * (statd watches addresses: state_nlm.c, host_addr_shared). */
static void host_effect(struct nlm_service *n, const char *addr,
			const struct state_nlm_effect *eff)
{
	if (eff->host_new)
		nlm_nsm_host(n, (const uint8_t *)addr, (uint32_t)strlen(addr), true);
	if (eff->host_gone)
		nlm_nsm_host(n, (const uint8_t *)addr, (uint32_t)strlen(addr), false);
}

void nlm_release_granted(struct nlm_service *n, const struct nlm_grant_blob *b)
{
	struct fh fh;
	if (b->lock.fh.len > FH_MAX_SIZE ||
	    fh_parse(n->exps, b->lock.fh.data, b->lock.fh.len, &fh) != FH_OK ||
	    fh.kind != FH_EXPORT)
		return;
	struct lock_req r = {.key = {.export_id = fh.export->id, .bh = fh.bh}};
	snprintf(r.addr, sizeof(r.addr), "%.*s", (int)b->addr.len, (const char *)b->addr.data);
	lock_of(&b->lock, b->exclusive, &r);
	struct state_nlm_effect eff;
	state_nlm_unlock(n->st, &r.l, &eff, NULL);
	host_effect(n, r.addr, &eff);
}

/* --- locks the back end holds too (ceph) ----------------------------------------------
 *
 * As NFSv4 LOCK does there (nfs4/ops/lock.c): ferryd's table first, where
 * its own clients' conflicts are found and named; then the storage, so that
 * other heads and CephFS clients see the lock; a refusal by the storage
 * undoes the table's lock.  A blocking request the storage refuses is
 * answered NLM4_BLOCKED without waiting in the table (a waiter granted
 * there would not hold the storage's lock): the client asks again. */

/* The export of key when its back end holds locks; NULL otherwise. */
static struct export *lock_backend(struct nlm_service *n, const struct state_file_key *key)
{
	struct export *ex = exports_find(n->exps, key->export_id);
	return ex && ex->ops->lock ? ex : NULL;
}

/* NLM's length, clipped where it would pass 2^64, as the back end counts
 * it (0: to the end, as in NLM). */
static uint64_t backend_length(uint64_t offset, uint64_t len)
{
	return len != 0 && len - 1 > UINT64_MAX - offset ? 0 : len;
}

static void holder_elsewhere(const struct backend_lock_conflict *k, struct state_nlm_holder *h)
{
	static const char who[] = "another server or client of the file system";
	h->exclusive = k->type == BACKEND_LOCK_WRITE;
	h->svid = 0;
	h->oh_len = sizeof(who) - 1;
	memcpy(h->oh, who, h->oh_len);
	h->offset = k->offset;
	h->len = k->length;
}

static uint32_t lock_in_backend(struct nlm_service *n, struct export *ex,
				const struct state_file_key *key, const struct nlm4_lockargs *a,
				const struct state_nlm_lock *l, bool block,
				struct state_nlm_effect *eff)
{
	struct state_nlm_backend be;
	uint32_t stat = state_nlm_lock_backend(n->st, l, a->reclaim, a->state, eff, &be);
	if (stat == NLM4_DENIED && block)
		return NLM4_BLOCKED;
	if (stat != NLM4_GRANTED)
		return stat;
	struct backend_lock_conflict k;
	int rc = ex->ops->lock(ex->bex, &key->bh, be.owner_id,
			       a->exclusive ? BACKEND_LOCK_WRITE : BACKEND_LOCK_READ, l->offset,
			       backend_length(l->offset, l->len), false, &k);
	if (rc == 0)
		return NLM4_GRANTED;
	/* Undone in the table: the range goes (where the owner held a lock
	 * over it before, an upgrade, the table holds less than before until
	 * the owner locks again). */
	struct state_nlm_effect undo;
	state_nlm_unlock(n->st, l, &undo, NULL);
	/* A host this LOCK made and its undo took away: NSM hears nothing. */
	bool made = eff->host_new;
	eff->host_new = made && !undo.host_gone;
	eff->host_gone = !made && undo.host_gone;
	if (rc == -EAGAIN)
		return block ? NLM4_BLOCKED : NLM4_DENIED;
	log_ratelimited("nlm: the back end refused a lock: %s", strerror(-rc));
	return rc == -EROFS ? NLM4_ROFS : NLM4_FAILED;
}

/* --- the procedures -------------------------------------------------------------- */

static uint32_t do_test(struct nlm_service *n, const struct nlm_caller *c,
			const struct nlm4_testargs *a, struct nlm4_testres *res,
			struct state_nlm_holder *h)
{
	struct lock_req r;
	uint32_t stat = lock_start(n, c, &a->lock, NLM_TEST, a->exclusive, &r);
	if (stat != NLM4_GRANTED)
		return stat;
	struct state_nlm_backend be;
	stat = state_nlm_test(n->st, &r.l, h, &be);
	struct export *ex = stat == NLM4_GRANTED ? lock_backend(n, &r.key) : NULL;
	if (ex) {
		struct backend_lock_conflict k;
		int rc = ex->ops->lock(ex->bex, &r.key.bh, be.owner_known ? be.owner_id : 0,
				       a->exclusive ? BACKEND_LOCK_WRITE : BACKEND_LOCK_READ,
				       r.l.offset, backend_length(r.l.offset, r.l.len), true, &k);
		if (rc == -EAGAIN) {
			holder_elsewhere(&k, h);
			stat = NLM4_DENIED;
		} else if (rc) {
			stat = NLM4_FAILED;
		}
	}
	if (stat == NLM4_DENIED)
		res->holder = (struct nlm4_holder){
			.exclusive = h->exclusive,
			.svid = h->svid,
			.oh = {h->oh, h->oh_len},
			.offset = h->offset,
			.len = h->len,
		};
	return stat;
}

static uint32_t do_lock(struct nlm_service *n, const struct nlm_caller *c,
			const struct nlm4_lockargs *a, bool may_block)
{
	struct lock_req r;
	enum nlm_use use = a->exclusive ? NLM_TAKE_WRITE : NLM_TAKE;
	uint32_t stat = lock_start(n, c, &a->lock, use, a->exclusive, &r);
	if (stat != NLM4_GRANTED)
		return stat;
	struct nlm_grant_blob b = {
		.addr = {(const uint8_t *)r.addr, (uint32_t)strlen(r.addr)},
		.udp = c->udp,
		.exclusive = a->exclusive,
		.lock = a->lock,
	};
	struct xdr_enc e;
	bool block = may_block && a->block;
	if (!xdr_enc_init(&e, 256, STATE_NLM_BLOB_MAX))
		return NLM4_DENIED_NOLOCKS;
	if (block && (!nlm_blob_encode(&e, &b) || e.overflow)) {
		xdr_enc_release(&e);
		return NLM4_DENIED_NOLOCKS;
	}
	struct state_nlm_effect eff;
	struct export *ex = lock_backend(n, &r.key);
	if (ex)
		stat = lock_in_backend(n, ex, &r.key, a, &r.l, block, &eff);
	else
		stat = state_nlm_lock(n->st, &r.l, block, a->reclaim, a->state, e.buf->data,
				      block ? (uint32_t)e.buf->len : 0, &eff);
	xdr_enc_release(&e);
	/* NM_LOCK comes from a host without NSM: statd is not asked to watch
	 * it (its SM_UNMON later is harmless). */
	if (may_block)
		host_effect(n, r.l.owner.addr, &eff);
	return stat;
}

static uint32_t do_unlock(struct nlm_service *n, const struct nlm_caller *c,
			  const struct nlm4_lock *w)
{
	struct lock_req r;
	uint32_t stat = lock_start(n, c, w, NLM_RELEASE, false, &r);
	if (stat != NLM4_GRANTED)
		return stat;
	struct state_nlm_effect eff;
	struct state_nlm_backend be;
	stat = state_nlm_unlock(n->st, &r.l, &eff, &be);
	struct export *ex = stat == NLM4_GRANTED && be.owner_known ? lock_backend(n, &r.key) : NULL;
	/* After the table; an owner left with nothing lets go of the whole
	 * file, so that the back end can forget it. */
	if (ex)
		(void)ex->ops->lock(ex->bex, &r.key.bh, be.owner_id, BACKEND_LOCK_UNLOCK,
				    be.none_left ? 0 : r.l.offset,
				    be.none_left ? 0 : backend_length(r.l.offset, r.l.len), false,
				    NULL);
	host_effect(n, r.addr, &eff);
	return stat;
}

static uint32_t do_cancel(struct nlm_service *n, const struct nlm_caller *c,
			  const struct nlm4_cancargs *a)
{
	struct lock_req r;
	uint32_t stat = lock_start(n, c, &a->lock, NLM_RELEASE, a->exclusive, &r);
	if (stat != NLM4_GRANTED)
		return stat;
	struct state_nlm_effect eff;
	stat = state_nlm_cancel(n->st, &r.l, &eff);
	host_effect(n, r.addr, &eff);
	return stat;
}

static uint32_t do_share(struct nlm_service *n, const struct nlm_caller *c,
			 const struct nlm4_shareargs *a, bool share)
{
	const struct nlm4_share *s = &a->share;
	struct state_file_key key;
	enum nlm_use use = NLM_RELEASE;
	if (share)
		use = s->access & NLM4_FSA_W ? NLM_TAKE_WRITE : NLM_TAKE;
	uint32_t stat = resolve(n, c, &s->fh, use, &key);
	if (stat != NLM4_GRANTED)
		return stat;
	/* A share has no svid: its owner is the owner handle alone. */
	char addr[NLM_ADDR_MAX];
	peer_host(c, addr, sizeof(addr));
	struct state_nlm_owner o = {.host = s->caller_name.data,
				    .host_len = s->caller_name.len,
				    .addr = addr,
				    .oh = s->oh.data,
				    .oh_len = s->oh.len};
	struct state_nlm_effect eff;
	stat = share ? state_nlm_share(n->st, &o, &key, s->access, s->mode, a->reclaim, &eff)
		     : state_nlm_unshare(n->st, &o, &key, &eff);
	host_effect(n, addr, &eff);
	return stat;
}

void nlm_free_host(struct nlm_service *n, const uint8_t *name, uint32_t len, const char *addr,
		   const char *why)
{
	bool known;
	unsigned locks = state_nlm_free_host(n->st, name, len, addr, &known);
	if (!known)
		return;
	char shown[80];
	if (name)
		log_printable(shown, sizeof(shown), name, len);
	else
		snprintf(shown, sizeof(shown), "at %s", addr);
	log_info("nlm: host %s %s: %u locks released", shown, why, locks);
	if (addr && !state_nlm_addr_held(n->st, addr))
		nlm_nsm_host(n, (const uint8_t *)addr, (uint32_t)strlen(addr), false);
}

/* Sends a _MSG call's result to the client's _RES procedure. */
static void answer_msg(struct nlm_service *n, const struct nlm_caller *c, uint32_t proc,
		       const struct xdr_enc *e)
{
	char addr[NLM_ADDR_MAX];
	peer_host(c, addr, sizeof(addr));
	if (e->overflow ||
	    !nlm_send_queue(n, NLM_JOB_RES, addr, c->udp, proc, e->buf->data,
			    (uint32_t)e->buf->len, NULL, 0))
		log_ratelimited("nlm: %s: an asynchronous call's answer dropped (no memory, or "
				"too many answers waiting for that client)",
				addr);
}

static enum rpc_accept_stat garbage(struct nlm_service *n, const struct nlm_caller *c)
{
	atomic_fetch_add(&n->garbage, 1);
	log_ratelimited("nlm: %s: %s arguments do not decode", c->name,
			nlm4_proc_name(c->proc));
	return RPC_GARBAGE_ARGS;
}

static void count_result(struct nlm_service *n, uint32_t stat)
{
	if (stat <= NLM4_FAILED)
		atomic_fetch_add(&n->results[stat], 1);
}

/* Counts and encodes a result, res or (TEST's) test: into the reply
 * (sync) or a _RES call (msg). */
static enum rpc_accept_stat answer(struct nlm_service *n, const struct nlm_caller *c,
				   bool msg, uint32_t res_proc, const struct nlm4_res *res,
				   const struct nlm4_testres *test)
{
	count_result(n, test ? test->stat : res->stat);
	struct xdr_enc e, *out = c->reply;
	if (msg) {
		if (!xdr_enc_init(&e, 256, 4096))
			return RPC_SUCCESS;
		out = &e;
	}
	if (test)
		nlm4_encode_testres(out, test);
	else
		nlm4_encode_res(out, res);
	if (msg) {
		answer_msg(n, c, res_proc, &e);
		xdr_enc_release(&e);
	}
	return RPC_SUCCESS;
}

static enum rpc_accept_stat finish_res(struct nlm_service *n, const struct nlm_caller *c,
				       bool msg, uint32_t res_proc,
				       const struct nlm_bytes *cookie, uint32_t stat)
{
	struct nlm4_res res = {.cookie = *cookie, .stat = stat};
	return answer(n, c, msg, res_proc, &res, NULL);
}

static enum rpc_accept_stat serve(struct nlm_service *n, const struct nlm_caller *c)
{
	uint32_t proc = c->proc;
	struct xdr_dec *d = c->args;
	bool msg = proc >= NLMPROC4_TEST_MSG && proc <= NLMPROC4_GRANTED_MSG;
	switch (proc) {
	case NLMPROC4_NULL:
		return RPC_SUCCESS;
	case NLMPROC4_TEST:
	case NLMPROC4_TEST_MSG: {
		struct nlm4_testargs a;
		if (!nlm4_decode_testargs(d, &a))
			return garbage(n, c);
		struct nlm4_testres res = {.cookie = a.cookie};
		struct state_nlm_holder h;
		res.stat = do_test(n, c, &a, &res, &h);
		return answer(n, c, msg, NLMPROC4_TEST_RES, NULL, &res);
	}
	case NLMPROC4_LOCK:
	case NLMPROC4_LOCK_MSG:
	case NLMPROC4_NM_LOCK: {
		struct nlm4_lockargs a;
		if (!nlm4_decode_lockargs(d, &a))
			return garbage(n, c);
		/* NM_LOCK: a client without NSM; it never blocks. */
		uint32_t stat = do_lock(n, c, &a, proc != NLMPROC4_NM_LOCK);
		return finish_res(n, c, msg, NLMPROC4_LOCK_RES, &a.cookie, stat);
	}
	case NLMPROC4_CANCEL:
	case NLMPROC4_CANCEL_MSG: {
		struct nlm4_cancargs a;
		if (!nlm4_decode_cancargs(d, &a))
			return garbage(n, c);
		return finish_res(n, c, msg, NLMPROC4_CANCEL_RES, &a.cookie,
				  do_cancel(n, c, &a));
	}
	case NLMPROC4_UNLOCK:
	case NLMPROC4_UNLOCK_MSG: {
		struct nlm4_unlockargs a;
		if (!nlm4_decode_unlockargs(d, &a))
			return garbage(n, c);
		return finish_res(n, c, msg, NLMPROC4_UNLOCK_RES, &a.cookie,
				  do_unlock(n, c, &a.lock));
	}
	case NLMPROC4_GRANTED:
	case NLMPROC4_GRANTED_MSG: {
		/* A server has no blocked requests of its own to be granted:
		 * refused, as a client refuses a grant it does not wait for. */
		struct nlm4_testargs a;
		if (!nlm4_decode_testargs(d, &a))
			return garbage(n, c);
		return finish_res(n, c, msg, NLMPROC4_GRANTED_RES, &a.cookie, NLM4_DENIED);
	}
	case NLMPROC4_TEST_RES: {
		struct nlm4_testres a;
		if (!nlm4_decode_testres(d, &a))
			return garbage(n, c);
		return RPC_SUCCESS;
	}
	case NLMPROC4_LOCK_RES:
	case NLMPROC4_CANCEL_RES:
	case NLMPROC4_UNLOCK_RES:
	case NLMPROC4_GRANTED_RES: {
		/* Answers to _MSG calls: Ferry sends GRANTED synchronously and
		 * no other _MSG call, so none is awaited; checked and dropped. */
		struct nlm4_res a;
		if (!nlm4_decode_res(d, &a))
			return garbage(n, c);
		return RPC_SUCCESS;
	}
	case NLMPROC4_SHARE:
	case NLMPROC4_UNSHARE: {
		struct nlm4_shareargs a;
		if (!nlm4_decode_shareargs(d, &a))
			return garbage(n, c);
		struct nlm4_shareres res = {.cookie = a.cookie};
		res.stat = do_share(n, c, &a, proc == NLMPROC4_SHARE);
		count_result(n, res.stat);
		nlm4_encode_shareres(c->reply, &res);
		return RPC_SUCCESS;
	}
	case NLMPROC4_FREE_ALL: {
		struct nlm4_notify a;
		if (!nlm4_decode_notify(d, &a))
			return garbage(n, c);
		atomic_fetch_add(&n->free_all, 1);
		/* Only the host's own address may free its locks. */
		char addr[NLM_ADDR_MAX];
		peer_host(c, addr, sizeof(addr));
		nlm_free_host(n, a.name.data, a.name.len, addr, "freed all its locks (FREE_ALL)");
		return RPC_SUCCESS;
	}
	default:
		return RPC_PROC_UNAVAIL;
	}
}

/* After a call, on either transport: locks that went may have granted
 * blocked LOCKs (GRANTED calls to queue) and freed NFSv4 waiters
 * (CB_NOTIFY_LOCK); a LOCK may have recalled a delegation. */
static void after_call(struct nlm_service *n)
{
	state_lock_notify_flush(n->st);
	if (state_deleg_callbacks_urgent(n->st))
		state_outbox_kick(n->st);
}

static enum rpc_accept_stat serve_counted(struct nlm_service *n, const struct nlm_caller *c)
{
	if (c->proc <= NLMPROC4_MAX)
		atomic_fetch_add(&n->calls[c->proc], 1);
	enum rpc_accept_stat stat = serve(n, c);
	after_call(n);
	return stat;
}

static struct rpc_dispatch_result nlm_dispatch(struct rpc_request *req, void *ctx)
{
	struct nlm_caller c = {
		.addr = rpc_conn_peer_addr(req->conn),
		.name = rpc_conn_peer(req->conn),
		.tls = rpc_conn_tls_peer(req->conn),
		.cred = &req->cred,
		.proc = req->hdr.proc,
		.args = &req->args,
		.reply = &req->reply,
	};
	return rpc_dispatch_done(serve_counted(ctx, &c));
}

/* --- over UDP ---------------------------------------------------------------------
 *
 * One datagram is one call (rpc/udp.h), served on the socket's thread.
 * There is no duplicate request cache: as with knfsd's lockd, NLM's
 * procedures are idempotent for an owner (a LOCK it holds is granted
 * again, an UNLOCK of nothing is granted), so a retransmission served
 * twice answers the same.  The caller has no TLS: an export that wants
 * TLS refuses it (NLM4_FAILED).  A _MSG call's answer, and the GRANTED
 * call of a LOCK that waited, go back by the sender over UDP too, to the
 * client lock manager's UDP port (its portmapper tells it), as knfsd's
 * lockd answers on the transport of the call.  Replies are a few hundred
 * bytes at most: a datagram holds them. */
enum rpc_accept_stat nlm_udp_serve(void *ctx, struct rpc_udp_call *call, struct xdr_enc *out)
{
	struct nlm_udp_listener *l = ctx;
	struct nlm_service *n = l->n;
	uint32_t proc = call->hdr->proc;
	/* statd's callback (nsm.c) comes to NLM's UDP port, with NSM. */
	if (proc == NLMPROC4_SM_NOTIFY)
		return n->opts.nsm ? nlm_nsm_notify(n, call) : RPC_PROC_UNAVAIL;
	if (!l->nlm)
		/* statd's callback listener alone: NULL, and no NLM. */
		return proc == NLMPROC4_NULL ? RPC_SUCCESS : RPC_PROC_UNAVAIL;
	char name[NLM_ADDR_MAX];
	rpc_addr_host(call->peer, name, sizeof(name));
	struct nlm_caller c = {
		.addr = call->peer,
		.name = name,
		.tls = NULL,
		.cred = call->cred,
		.udp = true,
		.proc = proc,
		.args = &call->args,
		.reply = out,
	};
	return serve_counted(n, &c);
}

void nlm_program_describe(struct rpc_program *prog, struct nlm_service *n)
{
	*prog = rpc_program_single(NLM_PROGRAM, NLM4_VERSION, nlm_dispatch, n);
}
