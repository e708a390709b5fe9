/* Callbacks over the v4.1 back channel (RFC 8881 2.10.6, 20.9): a
 * CB_COMPOUND with CB_SEQUENCE first on a back slot of the session, sent
 * on a back-bound connection of it, and the check of its reply.
 *
 * Exactly-once: the slot's seqid is spent only when the client answered
 * for it.  NFS4ERR_DELAY on CB_SEQUENCE resends the same seqid after a
 * pause; NFS4ERR_SEQ_MISORDERED is taken as a client whose slot restarted
 * (a new back channel on its side) and is resent once with seqid 1, after
 * which the back channel is marked faulty (SEQ4_STATUS_BACKCHANNEL_FAULT);
 * NFS4ERR_BADSESSION marks it faulty at once: the client does not know the
 * session on this connection, and only it can mend that (BIND_CONN_TO_SESSION,
 * BACKCHANNEL_CTL, a new session).  A faulty or silent back channel is an
 * attempt that failed; queue.c decides what comes next. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "callback/callback_internal.h"
#include "rpc/server.h"

/* A CB_COMPOUND in flight: what its reply is checked against. */
struct cb_call41 {
	struct cb_engine *eng;
	struct cb_item *item;
	struct state_session *session; /* referenced */
	const struct rpc_conn *conn;   /* compared only */
	struct nfs4_cb_sequence_args seq;
};

/* The client answered, or the call failed: decides what the item does
 * next and gives the slot back or keeps it. */
static void cb_reply41(void *arg, int err, const struct rpc_reply_hdr *hdr,
		       struct xdr_dec *results)
{
	struct cb_call41 *call = arg;
	struct cb_engine *eng = call->eng;
	struct cb_item *it = call->item;
	struct state_server *st = eng->state;
	struct state_session *s = call->session;

	struct cb_reply r;
	cb_reply_read(&r, it, err, hdr, results, &call->seq);

	enum cb_outcome oc = CB_OUT_FAILED;
	uint32_t status = NFS4ERR_CB_PATH_DOWN;
	bool spent = false, keep_slot = false;
	enum state_cb_status path = STATE_CB_DOWN;
	bool fault = false;
	if (!r.answered) {
		/* No reply in time, a connection that broke, or a refused RPC
		 * (PROG_UNAVAIL, an auth error): the seqid may not have been
		 * seen, so it is given back. */
		if (err == -ECONNRESET || err == -EBADMSG || err == -ENOTCONN)
			state_cb_conn_failed(st, s, call->conn);
		log_info("nfs4: callback on a session's back channel failed (rpc %d)", err);
	} else if (r.out.sequence_done) {
		spent = true;
		path = STATE_CB_UP;
		state_cb_slot_limit(st, s, r.out.seq.highest_slotid, r.out.seq.target_highest_slotid);
		/* A pause is the operation's, not the slot's: next seqid. */
		oc = cb_reply_settle(it, &r, &status);
	} else {
		switch (r.out.status) {
		case NFS4ERR_DELAY:
			/* Not processed: the same seqid goes again after a pause. */
			keep_slot = true;
			oc = CB_OUT_PAUSE;
			path = STATE_CB_UP;
			break;
		case NFS4ERR_RETRY_UNCACHED_REP:
		case NFS4ERR_SEQ_FALSE_RETRY:
			/* The client's slot holds this seqid already (a reply
			 * that was lost): spent; the call goes again with the
			 * next. */
			spent = true;
			oc = CB_OUT_RESEND;
			path = STATE_CB_UP;
			break;
		case NFS4ERR_SEQ_MISORDERED:
			if (!it->reset_tried && call->seq.sequenceid != 1) {
				/* A client whose slot table restarted expects 1. */
				it->reset_tried = true;
				state_cb_slot_reset(st, s, call->seq.slotid, 0);
				it->seqid = 1;
				keep_slot = true;
				oc = CB_OUT_RESEND;
				path = STATE_CB_UP;
			} else {
				fault = true;
			}
			break;
		case NFS4ERR_BADSLOT:
		case NFS4ERR_BAD_HIGH_SLOT:
			if (call->seq.slotid > 0) {
				/* Fewer slots than it said: stay below this one. */
				state_cb_slot_limit(st, s, call->seq.slotid - 1,
						    call->seq.slotid - 1);
				oc = CB_OUT_RESEND;
				path = STATE_CB_UP;
			} else {
				fault = true;
			}
			break;
		default:
			/* NFS4ERR_BADSESSION, CONN_NOT_BOUND_TO_SESSION, a reply
			 * for another session, slot or seqid, garbage. */
			fault = true;
			break;
		}
		if (oc == CB_OUT_FAILED)
			log_info("nfs4: a client refused the back channel's CB_SEQUENCE (status %u)",
				 r.out.status);
	}
	if (!keep_slot) {
		state_cb_slot_end(st, s, call->seq.slotid, spent);
		it->has_slot = false;
	}
	state_cb_set_status(st, s, path, fault);
	cb_item_outcome(eng, it, oc, call->conn, status);
	state_session_unref(st, s);
	free(call);
	cb_call_ended(eng);
}

/* The session of the item's channel is gone: its callbacks go to another
 * session of the client with a back channel, if there is one.  True when
 * the item moved. */
static bool cb_reroute41(struct cb_engine *eng, struct cb_item *it)
{
	struct state_server *st = eng->state;
	struct state_cb_route r;
	if (it->probe || !state_cb_route(st, it->chan->clientid, &r))
		return false;
	bool moved = r.session && r.session != it->chan->session &&
		     cb_item_move41(eng, it, r.session) == 0;
	state_session_unref(st, r.session);
	return moved;
}

/* The CB_COMPOUND in e on t's connection, under the security the client
 * gave: its RPCSEC_GSS context when it gave one, else AUTH_SYS when it
 * allowed it, else AUTH_NONE (which state_cb_take checked it allowed).
 * A GSS context that is gone fails the call: the client did not allow a
 * weaker flavor in its place unless it listed one. */
static int cb_call41(const struct state_cb_target *t, struct xdr_enc *e, unsigned timeout_ms,
		     void *call)
{
	const struct state_cb_sec *sec = &t->sec;
	if (sec->gss) {
		struct rpc_gss_cb *gss =
			rpc_conn_gss_cb(t->conn, sec->gss_from_server, sec->gss_from_server_len,
					sec->gss_from_client, sec->gss_from_client_len,
					sec->gss_service);
		if (gss)
			return rpc_conn_call_gss(t->conn, gss, t->program, NFS4_CALLBACK_VERSION,
						 CB_COMPOUND, e->buf->data, e->buf->len, timeout_ms,
						 cb_reply41, call);
		if (!sec->sys && !sec->none) {
			log_ratelimited("callback: the RPCSEC_GSS context a client gave for its "
					"back channel is gone; no callback without it");
			return -EACCES;
		}
	}
	const struct rpc_cred *cred = sec->sys ? &sec->cred : NULL;
	return rpc_conn_call(t->conn, t->program, NFS4_CALLBACK_VERSION, CB_COMPOUND, cred,
			     e->buf->data, e->buf->len, timeout_ms, cb_reply41, call);
}

void cb_send41(struct cb_engine *eng, struct cb_item *it)
{
	struct state_server *st = eng->state;
	struct state_session *s = it->chan->session;
	struct state_cb_target t;
	enum state_cb_take r;
	if (it->has_slot) {
		t.slotid = it->slotid;
		t.seqid = it->seqid;
		r = state_cb_retarget(st, s, it->exclude, &t);
	} else {
		r = state_cb_take(st, s, it->exclude, &t);
	}
	switch (r) {
	case STATE_CB_TAKEN:
		break;
	case STATE_CB_NOSLOT:
		cb_item_outcome(eng, it, CB_OUT_NOSLOT, NULL, 0);
		return;
	case STATE_CB_GONE:
		it->has_slot = false;
		if (cb_reroute41(eng, it))
			return;
		cb_item_outcome(eng, it, CB_OUT_FAILED, NULL, 0);
		return;
	case STATE_CB_NOCONN:
		if (it->has_slot)
			state_cb_slot_end(st, s, it->slotid, false);
		it->has_slot = false;
		state_cb_set_status(st, s, STATE_CB_DOWN, false);
		cb_item_outcome(eng, it, CB_OUT_FAILED, NULL, 0);
		return;
	case STATE_CB_NOT_YET:
		/* A ferryd started by an upgrade recalls (a lease broken during
		 * the hand-over) before it has taken the connections: a pause,
		 * not a failure, whose backoff would hold the recall for
		 * seconds and whose path-down flag would tell the client (and
		 * a CB_NOTIFY that failed would revoke its delegation), however
		 * long the new ferryd takes to be ready.  A slot held for a
		 * resend stays held (take gives none). */
		cb_item_outcome(eng, it, CB_OUT_NOT_YET, NULL, 0);
		return;
	}
	it->has_slot = true;
	it->slotid = t.slotid;
	it->seqid = t.seqid;

	struct cb_call41 *call = calloc(1, sizeof(*call));
	struct xdr_enc e;
	bool encoded = false;
	/* As large as the client's back channel takes (CB_NOTIFY batches are
	 * cut to fit it), and no larger. */
	if (call && xdr_enc_init(&e, 256, t.maxrequestsize)) {
		memcpy(call->seq.sessionid.data, t.sessionid, NFS4_SESSIONID_SIZE);
		call->seq.sequenceid = t.seqid;
		call->seq.slotid = t.slotid;
		call->seq.highest_slotid = t.highest_slotid;
		call->seq.cachethis = false;
		struct cb_compound_op op = {0};
		if (!it->probe) {
			op.opnum = it->call->op->opnum;
			op.args = it->call->args;
		}
		encoded = cb_compound_encode(&e, 0, t.minor, &call->seq, it->probe ? NULL : &op,
					     it->probe ? 0 : 1);
		if (!encoded)
			xdr_enc_release(&e);
	}
	int rc = -ENOMEM;
	if (encoded) {
		call->eng = eng;
		call->item = it;
		call->session = state_session_ref(s);
		call->conn = t.conn;
		cb_call_started(eng, it);
		rc = cb_call41(&t, &e, eng->t.timeout_ms, call);
		xdr_enc_release(&e);
		if (rc != 0) {
			cb_call_ended(eng);
			state_session_unref(st, call->session);
		}
	}
	if (rc != 0) {
		free(call);
		/* Found dead on sending: not picked again while another exists. */
		if (rc == -ENOTCONN)
			state_cb_conn_failed(st, s, t.conn);
		state_cb_slot_end(st, s, t.slotid, false);
		it->has_slot = false;
		cb_item_outcome(eng, it, CB_OUT_FAILED, rc == -ENOTCONN ? t.conn : NULL, 0);
	}
	state_cb_put_conn(st, t.conn);
}
