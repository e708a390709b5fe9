/* The NFSv4.1 session layer of the bench (RFC 8881 2.10): client ID and
 * sessions, SEQUENCE on every COMPOUND, and the retry of NFS4ERR_DELAY.
 *
 * Slots: each session has the slots CREATE_SESSION granted, in a slot table
 * of client/slots.h (the lowest usable free slot, sequence IDs advanced
 * only when the server processed SEQUENCE, so a DELAY on SEQUENCE is
 * retried with the same one, and the server's targets).  A stream takes a
 * slot for each RPC and gives it back when the reply arrives; streams that
 * find none wait in FIFO order.  Every reply's SEQUENCE result is checked
 * against what was sent: any mismatch is a protocol error and ends the
 * run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "client/session.h"
#include "client/slots.h"
#include "cmd/bench/bench.h"
#include "core/clock.h"

enum {
	DELAY_FIRST_NS = 1000000,     /* 1 ms, doubling */
	DELAY_MAX_NS = 100000000,     /* 100 ms */
	DELAY_GIVE_UP_NS = 10000000000ull, /* an op still delayed after 10 s fails */
	MAX_SLOTS = 4096, /* as --inflight allows */
};

const struct nfs4_stateid bench_current_stateid = {.seqid = 1};

/* --- slots (client/slots.h) ------------------------------------------------ */

static void slot_release(struct bench_stream *s)
{
	client_slot_release(&s->sess->slots, (uint32_t)s->slot);
	s->slot = -1;
}

/* Hands free slots to waiting streams, oldest first. */
static void slot_wake_waiters(struct bench_session *ss)
{
	while (ss->wait_head && !ss->ctx->failed) {
		int slot = client_slot_acquire(&ss->slots);
		if (slot < 0)
			return;
		struct bench_stream *w = ss->wait_head;
		ss->wait_head = w->slot_wait_next;
		if (!ss->wait_head)
			ss->wait_tail = NULL;
		w->slot_wait_next = NULL;
		w->waiting_slot = false;
		w->slot = slot;
		session_issue(w);
	}
}

/* --- issuing and completing compounds ---------------------------------- */

static void session_on_reply(struct bench_stream *s, struct xdr_dec *d);

static void delay_retry(struct bench_stream *s, uint32_t opnum)
{
	struct bench_ctx *c = s->ctx;
	uint64_t now = loop_now(c);
	if (s->delays == 0)
		s->delay_start_ns = now;
	s->delays++;
	c->stats.delay_retries++;
	c->run_delay_retries++;
	if (now - s->delay_start_ns > DELAY_GIVE_UP_NS) {
		s->delays = 0;
		s->err_op = opnum;
		s->err_status = NFS4ERR_DELAY;
		s->done(s, STEP_ERROR);
		return;
	}
	unsigned shift = s->delays - 1 < 7 ? s->delays - 1 : 7;
	uint64_t wait = (uint64_t)DELAY_FIRST_NS << shift;
	if (wait > DELAY_MAX_NS)
		wait = DELAY_MAX_NS;
	s->on_wake = session_issue;
	loop_sleep(s, wait);
}

void session_issue(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	struct bench_session *ss = s->sess;
	if (c->failed)
		return;
	if (!s->sessionless && s->slot < 0) {
		int slot = ss->wait_head ? -1 : client_slot_acquire(&ss->slots);
		if (slot < 0) {
			/* Every usable slot is busy: wait for one, in order. */
			s->waiting_slot = true;
			s->slot_wait_next = NULL;
			if (ss->wait_tail)
				ss->wait_tail->slot_wait_next = s;
			else
				ss->wait_head = s;
			ss->wait_tail = s;
			if (c->measuring)
				c->stats.slot_waits++;
			return;
		}
		s->slot = slot;
	}
	struct nfs4_compound_enc ce;
	call_begin(s, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, &c->cred);
	uint32_t minor = c->opts.workload->minor ? c->opts.workload->minor : 1;
	bool ok = nfs4_enc_compound_args_begin(&ce, &s->call.enc, (struct nfs4_opaque){0}, minor);
	if (!s->sessionless) {
		struct nfs4_sequence_args sa;
		client_slot_sequence(&ss->slots, &ss->sessionid, (uint32_t)s->slot, false, &sa,
				     &s->seq_sent);
		ok = ok && nfs4_enc_op(&ce, OP_SEQUENCE) && nfs4_enc_sequence_args(ce.e, &sa);
	}
	if (!ok || !s->enc(s, &ce) || ce.e->overflow) {
		bench_fail(c, "internal: cannot encode the request");
		return;
	}
	nfs4_enc_compound_end(&ce);
	s->on_reply = session_on_reply;
	call_send(s);
}

static bool check_sequence(struct bench_stream *s, const struct nfs4_sequence_res *r)
{
	char why[160];
	if (client_sequence_check(&s->sess->sessionid, &s->seq_sent, r, why, sizeof(why))) {
		bench_fail(s->ctx, "%s", why);
		return false;
	}
	return true;
}

static void session_on_reply(struct bench_stream *s, struct xdr_dec *d)
{
	struct bench_ctx *c = s->ctx;
	struct bench_session *ss = s->sess;
	struct nfs4_compound_res_hdr h;
	if (!nfs4_dec_compound_res_hdr(d, &h)) {
		bench_fail(c, "malformed COMPOUND reply");
		return;
	}
	s->cstatus = h.status;
	uint32_t numres = h.numres;
	enum step_result r;
	if (s->sessionless) {
		r = s->dec(s, d, numres);
	} else {
		uint32_t opnum = 0, status = 0;
		if (numres == 0) {
			bench_fail(c, "COMPOUND reply without results (status %s)",
				   bench_status_name(s->cstatus));
			return;
		}
		if (!nfs4_dec_op_res(d, &opnum, &status) || opnum != OP_SEQUENCE) {
			bench_fail(c, "first result is not SEQUENCE (op %s, status %s)",
				   bench_op_name(opnum), bench_status_name(status));
			return;
		}
		if (status != NFS4_OK) {
			/* The server did not process SEQUENCE: the slot's seqid
			 * stays as it was. */
			slot_release(s);
			slot_wake_waiters(ss);
			if (status == NFS4ERR_DELAY) {
				delay_retry(s, OP_SEQUENCE);
				return;
			}
			bench_fail(c, "SEQUENCE on slot seqid %u: %s", s->seq_sent.seqid,
				   bench_status_name(status));
			return;
		}
		struct nfs4_sequence_res sr;
		if (!nfs4_dec_sequence_res(d, &sr)) {
			bench_fail(c, "malformed SEQUENCE result");
			return;
		}
		if (!check_sequence(s, &sr))
			return;
		client_slot_done(&ss->slots, &s->seq_sent, &sr);
		slot_release(s);
		slot_wake_waiters(ss);
		if (c->failed)
			return;
		r = s->dec(s, d, numres - 1);
	}
	if (r == STEP_FATAL || c->failed)
		return;
	if (r == STEP_DELAY) {
		delay_retry(s, s->err_op);
		return;
	}
	if (r == STEP_WAIT) {
		s->on_wake = session_issue;
		loop_sleep(s, s->wait_ns);
		return;
	}
	s->delays = 0;
	s->done(s, r);
}

int session_res(struct bench_stream *s, struct xdr_dec *d, uint32_t *left, uint32_t want_op)
{
	uint32_t opnum, status;
	if (*left == 0) {
		if (s->cstatus != NFS4_OK) {
			/* Results stop at the first failing op; a server may stop
			 * before the op it refused (e.g. NOTSUPP for a whole
			 * COMPOUND). */
			s->err_op = want_op;
			s->err_status = s->cstatus;
			return 0;
		}
		bench_fail(s->ctx, "%s: result missing from a successful COMPOUND",
			   bench_op_name(want_op));
		return -1;
	}
	(*left)--;
	if (!nfs4_dec_op_res(d, &opnum, &status)) {
		bench_fail(s->ctx, "%s: malformed result", bench_op_name(want_op));
		return -1;
	}
	if (opnum != want_op) {
		bench_fail(s->ctx, "expected the result of %s, got %s", bench_op_name(want_op),
			   bench_op_name(opnum));
		return -1;
	}
	if (status != NFS4_OK) {
		s->err_op = opnum;
		s->err_status = status;
		return 0;
	}
	return 1;
}

enum step_result session_failed(struct bench_stream *s)
{
	return s->err_status == NFS4ERR_DELAY ? STEP_DELAY : STEP_ERROR;
}

enum step_result session_malformed(struct bench_stream *s, uint32_t op)
{
	bench_fail(s->ctx, "malformed %s result", bench_op_name(op));
	return STEP_FATAL;
}

const char *bench_op_name(uint32_t opnum)
{
	static char other[32];
	const char *name = nfs4_op_name(opnum);
	if (name)
		return name + strlen("OP_"); /* the bench has always printed "GETATTR" */
	snprintf(other, sizeof(other), "OP_%u", opnum);
	return other;
}

const char *bench_status_name(uint32_t status)
{
	static char other[32];
	const char *name = nfs4_status_name(status);
	if (name)
		return name;
	snprintf(other, sizeof(other), "NFS4ERR_%u", status);
	return other;
}

static void sync_done(struct bench_stream *s, enum step_result r)
{
	s->sync_done = true;
	s->sync_result = r;
}

static bool sync_pred(struct bench_ctx *c, void *arg)
{
	return ((struct bench_stream *)arg)->sync_done;
}

enum step_result session_run_sync(struct bench_stream *s,
				  bool (*enc)(struct bench_stream *, struct nfs4_compound_enc *),
				  enum step_result (*dec)(struct bench_stream *, struct xdr_dec *,
							  uint32_t),
				  void *arg)
{
	s->enc = enc;
	s->dec = dec;
	s->arg = arg;
	s->done = sync_done;
	s->sync_done = false;
	s->delays = 0;
	session_issue(s);
	if (loop_run(s->ctx, sync_pred, s) != 0)
		return STEP_FATAL;
	return s->sync_result;
}

/* --- client ID and sessions -------------------------------------------- */

static bool enc_exchange_id(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	struct bench_ctx *c = s->ctx;
	struct client_owner o = {
		.ownerid = {c->owner, c->owner_len},
		.flags = EXCHGID4_FLAG_USE_NON_PNFS,
		.sp4 = SP4_NONE,
		.impl_name = "ferry-bench",
	};
	struct nfs4_exchange_id_args a;
	uint64_t boot = clock_now_ns();
	memcpy(o.verifier.data, &boot, sizeof(o.verifier.data));
	client_exchange_id_args(&a, &o);
	return nfs4_enc_op(ce, OP_EXCHANGE_ID) && nfs4_enc_exchange_id_args(ce->e, &a);
}

static enum step_result dec_exchange_id(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct bench_ctx *c = s->ctx;
	struct nfs4_exchange_id_res r;
	char why[160];
	EXPECT_RES(s, d, n, OP_EXCHANGE_ID, nfs4_dec_exchange_id_res, &r);
	if (client_exchange_id_done(&c->id, &r, why, sizeof(why)) != 0) {
		bench_fail(c, "%s", why);
		return STEP_FATAL;
	}
	return STEP_DONE;
}

/* The arguments of each session's CREATE_SESSION: encoded, then checked against the reply. */
static void create_session_args(struct bench_ctx *c, struct nfs4_create_session_args *a,
				struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX])
{
	/* No back channel is asked for (flags 0), but csa_sec_parms still
	 * carries one AUTH_SYS entry, as the Linux client sends. */
	static const uint32_t sys = RPC_AUTH_SYS;
	const struct client_session_req req = {
		/* Room for a 1 MiB READ or WRITE plus the compound around it. */
		.fore = {.maxrequestsize = (1u << 20) + 64 * 1024,
			 .maxresponsesize = (1u << 20) + 64 * 1024,
			 .maxresponsesize_cached = 8 * 1024,
			 .maxoperations = 64,
			 .maxrequests = c->opts.inflight},
		.back = {.maxrequestsize = 4096,
			 .maxresponsesize = 4096,
			 .maxoperations = 2,
			 .maxrequests = 1},
		.cb_program = 0x40000000,
		.flavors = &sys,
		.nflavors = 1,
		.cred = &c->cred,
	};
	client_create_session_args(a, &c->id, &req, parms);
}

static bool enc_create_session(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	struct nfs4_create_session_args a;
	struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX];
	create_session_args(s->ctx, &a, parms);
	return nfs4_enc_op(ce, OP_CREATE_SESSION) && nfs4_enc_create_session_args(ce->e, &a);
}

static enum step_result dec_create_session(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct bench_ctx *c = s->ctx;
	struct bench_session *ss = s->arg;
	struct nfs4_create_session_res r;
	struct nfs4_create_session_args a;
	struct nfs4_cb_sec_parms parms[CLIENT_SEC_PARMS_MAX];
	char why[160];
	EXPECT_RES(s, d, n, OP_CREATE_SESSION, nfs4_dec_create_session_res, &r);
	/* The arguments again, as sent: the client ID's sequence advances
	 * only here. */
	create_session_args(c, &a, parms);
	uint32_t nslots = client_create_session_done(&c->id, &a, &r, MAX_SLOTS, why, sizeof(why));
	if (nslots == 0) {
		bench_fail(c, "%s", why);
		return STEP_FATAL;
	}
	ss->sessionid = r.sessionid;
	ss->fore = r.fore;
	if (client_slots_init(&ss->slots, nslots) != 0) {
		bench_fail(c, "out of memory");
		return STEP_FATAL;
	}
	ss->created = true;
	return STEP_DONE;
}

static bool enc_reclaim_complete(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	const struct nfs4_reclaim_complete_args a = {.one_fs = false};
	return nfs4_enc_op(ce, OP_RECLAIM_COMPLETE) && nfs4_enc_reclaim_complete_args(ce->e, &a);
}

static enum step_result dec_reclaim_complete(struct bench_stream *s, struct xdr_dec *d,
					     uint32_t n)
{
	int rc = session_res(s, d, &n, OP_RECLAIM_COMPLETE);
	if (rc < 0)
		return STEP_FATAL;
	if (rc == 0 && s->err_status != NFS4ERR_COMPLETE_ALREADY)
		return session_failed(s);
	return STEP_DONE;
}

static bool enc_destroy_session(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	const struct bench_session *ss = s->arg;
	const struct nfs4_destroy_session_args a = {.sessionid = ss->sessionid};
	return nfs4_enc_op(ce, OP_DESTROY_SESSION) && nfs4_enc_destroy_session_args(ce->e, &a);
}

static enum step_result dec_single(struct bench_stream *s, struct xdr_dec *d, uint32_t n,
				   uint32_t op)
{
	EXPECT_OK(s, d, n, op);
	return STEP_DONE;
}

static enum step_result dec_destroy_session(struct bench_stream *s, struct xdr_dec *d,
					    uint32_t n)
{
	return dec_single(s, d, n, OP_DESTROY_SESSION);
}

static bool enc_destroy_clientid(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	const struct nfs4_destroy_clientid_args a = {.clientid = s->ctx->id.clientid};
	return nfs4_enc_op(ce, OP_DESTROY_CLIENTID) && nfs4_enc_destroy_clientid_args(ce->e, &a);
}

static enum step_result dec_destroy_clientid(struct bench_stream *s, struct xdr_dec *d,
					     uint32_t n)
{
	return dec_single(s, d, n, OP_DESTROY_CLIENTID);
}

static int setup_failed(struct bench_ctx *c, struct bench_stream *s, const char *what)
{
	if (!c->failed)
		bench_fail(c, "%s failed: %s%s", what, bench_status_name(s->err_status),
			   s->err_status == NFS4ERR_NOTSUPP || s->err_status == NFS4ERR_OP_ILLEGAL ||
				   s->err_status == NFS4ERR_MINOR_VERS_MISMATCH
			   ? " (the server does not support NFSv4.1 sessions)"
			   : "");
	return -1;
}

int session_setup(struct bench_ctx *c)
{
	char host[64] = "localhost";
	uint32_t rnd = 0;
	gethostname(host, sizeof(host) - 1);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)clock_now_ns();
	int n = snprintf((char *)c->owner, sizeof(c->owner), "ferry-bench/%s/%d/%08x", host,
			 (int)getpid(), rnd);
	c->owner_len = (uint32_t)(n < (int)sizeof(c->owner) ? n : (int)sizeof(c->owner) - 1);

	struct bench_stream *ctl = &c->sessions[0].ctl;
	ctl->sessionless = true;
	if (session_run_sync(ctl, enc_exchange_id, dec_exchange_id, NULL) != STEP_DONE)
		return setup_failed(c, ctl, "EXCHANGE_ID");
	c->have_client = true;
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *ss = &c->sessions[i];
		ss->ctl.sessionless = true;
		if (session_run_sync(&ss->ctl, enc_create_session, dec_create_session, ss) !=
		    STEP_DONE)
			return setup_failed(c, &ss->ctl, "CREATE_SESSION");
		ss->ctl.sessionless = false;
		if (c->slots_granted_min == 0 || ss->slots.nslots < c->slots_granted_min)
			c->slots_granted_min = ss->slots.nslots;
	}
	/* No state to reclaim: say so, or OPEN may get NFS4ERR_GRACE. */
	if (session_run_sync(&c->sessions[0].ctl, enc_reclaim_complete, dec_reclaim_complete,
			     NULL) != STEP_DONE)
		return setup_failed(c, &c->sessions[0].ctl, "RECLAIM_COMPLETE");
	return 0;
}

void session_teardown(struct bench_ctx *c)
{
	if (c->failed)
		return; /* the connection state is unknown: leave it to the lease */
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *ss = &c->sessions[i];
		if (!ss->created)
			continue;
		ss->ctl.sessionless = true;
		if (session_run_sync(&ss->ctl, enc_destroy_session, dec_destroy_session, ss) !=
		    STEP_DONE) {
			setup_failed(c, &ss->ctl, "DESTROY_SESSION");
			return;
		}
		ss->created = false;
	}
	if (c->have_client) {
		struct bench_stream *ctl = &c->sessions[0].ctl;
		ctl->sessionless = true;
		if (session_run_sync(ctl, enc_destroy_clientid, dec_destroy_clientid, NULL) !=
		    STEP_DONE) {
			setup_failed(c, ctl, "DESTROY_CLIENTID");
			return;
		}
		c->have_client = false;
	}
}
