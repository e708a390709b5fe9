/* Delegations: the callbacks the state module asks for (CB_RECALL,
 * CB_GETATTR) handed to the callback queue (callback.h), their outcomes
 * handed back, and the back end's leases on delegated files. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/container_of.h"
#include "core/log.h"
#include "core/siphash.h"
#include "callback/callback.h"
#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/server.h"
#include "xdr/nfs4_fattr.h"

/* --- callbacks ------------------------------------------------------------------------- */

/* A CB_RECALL or CB_GETATTR of a delegation: the call, its arguments
 * (kept until done) and what done() needs: the delegation it is about and,
 * for CB_GETATTR, what the holder was asked. */
struct deleg_cb_arg {
	struct cb_call call;
	struct nfs4_server *srv;
	uint32_t opnum;
	struct nfs4_stateid stateid;
	struct nfs4_bitmap asked;
	uint8_t fh[NFS4_FHSIZE];
	union {
		struct nfs4_cb_recall_args recall;
		struct nfs4_cb_getattr_args getattr;
	} args;
	struct nfs4_cb_getattr_res res;
};

/* The holder's values from a CB_GETATTR answer: change and size (without
 * them the answer is of no use), and the times an ATTRS_DELEG holder
 * keeps.  Only what it was asked counts: a holder without delegated
 * timestamps does not own the file's times, whatever it sends. */
static bool getattr_values(const struct nfs4_cb_getattr_res *r, const struct nfs4_bitmap *asked,
			   struct state_deleg_ga *v)
{
	struct nfs4_attrs attrs;
	uint32_t bad;
	memset(&attrs, 0, sizeof(attrs));
	if (!r || !nfs4_fattr_decode_values(&r->attrs.mask, r->attrs.vals, &attrs, &bad))
		return false;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
		attrs.present.w[w] &= asked->w[w];
	if (!nfs4_bitmap_isset(&attrs.present, FATTR4_CHANGE) ||
	    !nfs4_bitmap_isset(&attrs.present, FATTR4_SIZE))
		return false;
	v->change = attrs.change;
	v->size = attrs.size;
	v->has_atime = nfs4_bitmap_isset(&attrs.present, FATTR4_TIME_DELEG_ACCESS);
	v->atime = attrs.time_deleg_access;
	v->has_mtime = nfs4_bitmap_isset(&attrs.present, FATTR4_TIME_DELEG_MODIFY);
	v->mtime = attrs.time_deleg_modify;
	return true;
}

static void deleg_cb_done(struct cb_call *call, uint32_t status)
{
	struct deleg_cb_arg *a = container_of(call, struct deleg_cb_arg, call);
	struct nfs4_server *srv = a->srv;
	if (a->opnum == OP_CB_RECALL) {
		state_deleg_recall_done(srv->state, &a->stateid, status);
	} else {
		struct nfs4_ga_values v;
		memset(&v, 0, sizeof(v));
		v.have = status == NFS4_OK && getattr_values(&a->res, &a->asked, &v.v);
		bool have = v.have;
		state_deleg_getattr_done(srv->state, &a->stateid, have ? &v.v : NULL);
		unsigned n;
		struct nfs4_ga_wait *list = nfs4_ga_wait_take(srv, &a->stateid, &v, &n);
		/* The waiting GETATTRs use this answer: a later one asks
		 * again, even if it comes before this thread goes on. */
		if (n > 0 && have)
			state_deleg_getattr_served(srv->state, &a->stateid);
		nfs4_ga_wait_resume(list);
	}
	free(a);
	/* A failed CB_GETATTR becomes a recall; a revocation frees a lease. */
	state_outbox_kick(srv->state);
}

/* State memory is short: the client is asked to keep at most cb->keep of
 * its delegations (RFC 8881 20.6); it answers by returning the others,
 * so nothing waits for this callback's end. */
struct recall_any_call {
	struct cb_call call;
	struct nfs4_cb_recall_any_args args;
};

static void recall_any_done(struct cb_call *call, uint32_t status)
{
	(void)status;
	free(container_of(call, struct recall_any_call, call));
}

static void recall_any_send(struct nfs4_server *srv, const struct state_deleg_cb *cb)
{
	struct recall_any_call *ra = calloc(1, sizeof(*ra));
	int rc = -ENOMEM;
	if (ra) {
		ra->args.objects_to_keep = cb->keep;
		nfs4_bitmap_set(&ra->args.type_mask, RCA4_TYPE_MASK_RDATA_DLG);
		nfs4_bitmap_set(&ra->args.type_mask, RCA4_TYPE_MASK_WDATA_DLG);
		nfs4_bitmap_set(&ra->args.type_mask, RCA4_TYPE_MASK_DIR_DLG);
		ra->call = (struct cb_call){.op = &cb_op_recall_any, .args = &ra->args,
					    .done = recall_any_done};
		rc = cb_queue(srv->cb, cb->clientid, &ra->call);
		if (rc)
			free(ra);
	}
	if (rc)
		log_info("nfs4: cannot queue CB_RECALL_ANY to client %016llx: %d",
			 (unsigned long long)cb->clientid, rc);
}

static void deleg_cb_send(struct nfs4_server *srv, const struct state_deleg_cb *cb)
{
	if (cb->opnum == OP_CB_RECALL_ANY) {
		recall_any_send(srv, cb);
		return;
	}
	struct export *ex = exports_find(&srv->exports, cb->file.export_id);
	struct deleg_cb_arg *arg = ex ? calloc(1, sizeof(*arg)) : NULL;
	int rc = -ENOMEM;
	if (arg) {
		arg->srv = srv;
		arg->opnum = cb->opnum;
		arg->stateid = cb->stateid;
		struct fh fh;
		fh_from_object(&srv->exports, ex, &cb->file.bh, &fh);
		memcpy(arg->fh, fh.wire, fh.wire_len);
		struct nfs4_opaque wire_fh = {arg->fh, fh.wire_len};
		nfs4_bitmap_set(&arg->asked, FATTR4_CHANGE);
		nfs4_bitmap_set(&arg->asked, FATTR4_SIZE);
		if (cb->timestamps) {
			nfs4_bitmap_set(&arg->asked, FATTR4_TIME_DELEG_ACCESS);
			nfs4_bitmap_set(&arg->asked, FATTR4_TIME_DELEG_MODIFY);
		}
		if (cb->opnum == OP_CB_RECALL) {
			arg->args.recall.stateid = cb->stateid;
			arg->args.recall.fh = wire_fh;
			arg->call.op = &cb_op_recall;
		} else {
			arg->args.getattr.fh = wire_fh;
			arg->args.getattr.attr_request = arg->asked;
			arg->call.op = &cb_op_getattr;
			arg->call.res = &arg->res;
		}
		arg->call.args = &arg->args;
		arg->call.done = deleg_cb_done;
		/* Writers in a directory wait (NFS4ERR_DELAY) for as long as
		 * its delegation's recall is out: no retry schedule. */
		arg->call.fail_fast = cb->dir;
		rc = cb_queue(srv->cb, cb->clientid, &arg->call);
		if (rc == 0)
			return;
		free(arg);
	}
	/* Not queued: no path (revoke at once, as when it fails later), or no
	 * memory (the lease after the recall decides). */
	log_info("nfs4: cannot queue a callback to client %016llx: %d",
		 (unsigned long long)cb->clientid, rc);
	uint32_t status = rc == -ENOTCONN ? NFS4ERR_CB_PATH_DOWN : NFS4ERR_SERVERFAULT;
	if (cb->opnum == OP_CB_RECALL)
		state_deleg_recall_done(srv->state, &cb->stateid, status);
	else {
		state_deleg_getattr_done(srv->state, &cb->stateid, NULL);
		unsigned n;
		nfs4_ga_wait_resume(nfs4_ga_wait_take(srv, &cb->stateid, NULL, &n));
	}
}

void nfs4_outbox_drain(struct nfs4_server *srv, bool write_holds)
{
	struct state_deleg_cb cbs[16];
	struct state_file_key keys[16];
	size_t n;
	/* A callback that cannot be queued may queue another (a failed
	 * CB_GETATTR becomes a recall): loop until both queues are empty. */
	while (state_deleg_work_pending(srv->state)) {
		bool any = false;
		/* Write holds alone (the common case) take no look at the
		 * other queues. */
		bool urgent = state_deleg_callbacks_urgent(srv->state);
		while (urgent && (n = state_deleg_take_callbacks(srv->state, cbs, 16)) > 0) {
			any = true;
			for (size_t i = 0; i < n; i++)
				deleg_cb_send(srv, &cbs[i]);
		}
		/* Before the leases: a lease is refused while a descriptor
		 * kept for writing is open. */
		if (write_holds)
			nfs4_write_holds_apply(srv);
		while (urgent && (n = state_deleg_take_unleased(srv->state, keys, 16)) > 0) {
			any = true;
			for (size_t i = 0; i < n; i++) {
				/* A file's lease or what a directory's
				 * delegations kept: each call is a no-op for
				 * the other kind. */
				nfs4_deleg_lease_drop(srv, &keys[i]);
				nfs4_dirdeleg_release(srv, &keys[i]);
			}
		}
		if (!any)
			break;
	}
}

/* --- the back end's leases ---------------------------------------------------------- */

int nfs4_deleg_lease(struct nfs4_server *srv, const struct state_file_key *key, uint32_t type)
{
	struct export *ex = exports_find(&srv->exports, key->export_id);
	if (!ex || !ex->ops->lease)
		return -ENOTSUP;
	enum backend_lease l = type == OPEN_DELEGATE_WRITE  ? BACKEND_LEASE_WRITE
			       : type == OPEN_DELEGATE_READ ? BACKEND_LEASE_READ
							    : BACKEND_LEASE_NONE;
	int rc = ex->ops->lease(ex->bex, &key->bh, l);
	if (rc == -EMFILE) {
		/* Once: a client holding many files open meets it on every
		 * OPEN past the limit. */
		static atomic_bool told;
		if (!atomic_exchange(&told, true))
			log_warn("nfs4: files are opened without delegations while their "
				 "kernel leases would hold more than half of the descriptor "
				 "limit (ulimit -n, LimitNOFILE)");
	} else if (rc && rc != -ENOTSUP && rc != -EAGAIN) {
		log_info("nfs4: lease %d on a delegated file: %d", (int)l, rc);
	}
	return rc;
}

/* The lock of key's stripe: the handle hashed with the server's keyed
 * hash (as file handles are signed), the export mixed in. */
static pthread_mutex_t *deleg_lease_lock(struct nfs4_server *srv, const struct state_file_key *key)
{
	size_t len = key->bh.len < sizeof(key->bh.data) ? key->bh.len : sizeof(key->bh.data);
	uint64_t h = siphash24(&srv->exports.fh_key, key->bh.data, len) ^ key->export_id;
	return &srv->deleg_lease_locks[h % NFS4_DELEG_LEASE_STRIPES];
}

int nfs4_deleg_lease_grant(struct nfs4_server *srv, const struct state_file_key *key,
			   uint32_t type)
{
	pthread_mutex_t *m = deleg_lease_lock(srv, key);
	pthread_mutex_lock(m);
	int rc = nfs4_deleg_lease(srv, key, type);
	pthread_mutex_unlock(m);
	return rc;
}

void nfs4_deleg_lease_drop(struct nfs4_server *srv, const struct state_file_key *key)
{
	if (srv->test_lease_drop_delay_ms)
		usleep(srv->test_lease_drop_delay_ms * 1000u);
	pthread_mutex_t *m = deleg_lease_lock(srv, key);
	pthread_mutex_lock(m);
	/* A grant after the state's decision took (or found) the lease under
	 * this lock, or will take it after us: either way the state now
	 * tells whether the lease is still wanted. */
	if (!state_deleg_file_delegated(srv->state, key))
		nfs4_deleg_lease(srv, key, OPEN_DELEGATE_NONE);
	pthread_mutex_unlock(m);
}

/* Someone on the host wants the file: every delegation of it goes back
 * (the lease is dropped once the last one is returned or revoked).  A lease
 * the back end gave up holds nobody back any more: the delegations it
 * covered are revoked before the others change the file: from then on
 * a v4.1 holder's SEQUENCE carries SEQ4_STATUS_RECALLABLE_STATE_REVOKED and
 * the stateid answers NFS4ERR_DELEG_REVOKED (v4.0: NFS4ERR_EXPIRED). */
static void deleg_lease_broken(void *ctx, const struct backend_handle *h,
			       enum backend_lease_event ev)
{
	struct export_watch *w = ctx;
	struct state_file_key key = {.export_id = w->export_id, .bh = *h};
	struct nfs4_server *srv = w->owner;
	if (ev == BACKEND_LEASE_LOST)
		state_deleg_revoke_file(srv->state, &key,
					"the back end gave up the file's lease before it was returned");
	else
		state_deleg_break(srv->state, &key, 0, NULL, true);
	state_outbox_kick(srv->state);
}

void nfs4_deleg_lease_hook(struct export *ex, struct export_watch *w)
{
	ex->ops->lease_notify(ex->bex, w ? deleg_lease_broken : NULL, w);
}
