/* The v4.1 back channel's bookkeeping (RFC 8881 2.10.6, 20.9): its slot
 * table with one seqid per slot, the choice of back-bound connection, the
 * path's status behind the SEQ4_STATUS_CB_* flags, and where a client's
 * callbacks go.  Sending is nfs4/callback*.c's; nothing here blocks or
 * calls out (s->lock is a leaf). */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "state/clients/session_internal.h"

bool state_session_has_back_locked(const struct state_session *s)
{
	for (unsigned i = 0; i < s->nconns; i++)
		if (s->conns[i].dir & STATE_CONN_BACK)
			return true;
	return false;
}

/* A back channel whose only security is an RPCSEC_GSS context that is
 * gone (destroyed, dropped for room, expired) has nothing the client
 * allowed to call back with. */
static bool gss_only_and_gone(const struct state_session *s, struct rpc_conn *conn)
{
	const struct state_cb_sec *sec = &s->cb_sec;
	if (!sec->gss || sec->sys || sec->none)
		return false;
	return !s->gss_context_alive ||
	       !s->gss_context_alive(conn, sec->gss_from_server, sec->gss_from_server_len);
}

bool state_session_back_working_locked(const struct state_session *s)
{
	if (s->dead || s->cb_status == STATE_CB_DOWN || s->cb_fault ||
	    !state_cb_sec_usable(&s->cb_sec))
		return false;
	for (unsigned i = 0; i < s->nconns; i++)
		if ((s->conns[i].dir & STATE_CONN_BACK) && !s->conns[i].back_failed)
			return !gss_only_and_gone(s, s->conns[i].conn);
	return false;
}

bool state_session_has_back(struct state_server *st, struct state_session *s)
{
	(void)st;
	pthread_mutex_lock(&s->lock);
	bool r = !s->dead && state_session_has_back_locked(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool state_session_back_wanted(struct state_server *st, struct state_session *s)
{
	(void)st;
	pthread_mutex_lock(&s->lock);
	bool r = !s->dead && (s->back_wanted || state_session_has_back_locked(s));
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* The back-bound connection with the latest fore-channel activity (the
 * client is most likely to be reading it), other than exclude; one that
 * failed a send only when nothing else is left. */
static struct state_sess_conn *pick_conn_locked(struct state_session *s,
						const struct rpc_conn *exclude)
{
	struct state_sess_conn *best = NULL;
	for (unsigned i = 0; i < s->nconns; i++) {
		struct state_sess_conn *c = &s->conns[i];
		if (!(c->dir & STATE_CONN_BACK) || c->conn == exclude)
			continue;
		if (!best || (best->back_failed && !c->back_failed) ||
		    (best->back_failed == c->back_failed && c->last_fore_ms > best->last_fore_ms))
			best = c;
	}
	return best;
}

static enum state_cb_take target_locked(struct state_server *st, struct state_session *s,
					const struct rpc_conn *exclude, struct state_cb_target *t)
{
	struct state_sess_conn *c = pick_conn_locked(s, exclude);
	if (!c && s->carry_unbound)
		return STATE_CB_NOT_YET;
	if (!c || !st->opts.conn_ref || !state_cb_sec_usable(&s->cb_sec))
		return STATE_CB_NOCONN;
	t->conn = st->opts.conn_ref(c->conn);
	t->program = s->cb_program;
	t->sec = s->cb_sec;
	memcpy(t->sessionid, s->id, NFS4_SESSIONID_SIZE);
	t->minor = s->minor;
	t->maxrequestsize = s->back.maxrequestsize;
	uint32_t highest = 0;
	for (uint32_t i = 0; i < s->back.maxrequests; i++)
		if (s->back_slots[i].busy)
			highest = i;
	t->highest_slotid = highest;
	return STATE_CB_TAKEN;
}

enum state_cb_take state_cb_take(struct state_server *st, struct state_session *s,
				 const struct rpc_conn *exclude, struct state_cb_target *t)
{
	memset(t, 0, sizeof(*t));
	enum state_cb_take r = STATE_CB_NOSLOT;
	pthread_mutex_lock(&s->lock);
	if (s->dead) {
		r = STATE_CB_GONE;
	} else if (!pick_conn_locked(s, exclude)) {
		r = s->carry_unbound ? STATE_CB_NOT_YET : STATE_CB_NOCONN;
	} else if (!state_cb_sec_usable(&s->cb_sec)) {
		r = STATE_CB_NOCONN;
	} else {
		uint32_t n = s->back.maxrequests;
		uint32_t limit = s->back_limit < n ? s->back_limit + 1 : n;
		for (uint32_t i = 0; i < limit; i++) {
			struct state_back_slot *b = &s->back_slots[i];
			if (b->busy)
				continue;
			b->busy = true;
			t->slotid = i;
			t->seqid = b->seqid + 1;
			r = target_locked(st, s, exclude, t);
			if (r != STATE_CB_TAKEN)
				b->busy = false;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

enum state_cb_take state_cb_retarget(struct state_server *st, struct state_session *s,
				     const struct rpc_conn *exclude, struct state_cb_target *t)
{
	uint32_t slotid = t->slotid, seqid = t->seqid;
	memset(t, 0, sizeof(*t));
	t->slotid = slotid;
	t->seqid = seqid;
	pthread_mutex_lock(&s->lock);
	enum state_cb_take r = s->dead ? STATE_CB_GONE : target_locked(st, s, exclude, t);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void state_cb_slot_end(struct state_server *st, struct state_session *s, uint32_t slotid,
		       bool spent)
{
	(void)st;
	pthread_mutex_lock(&s->lock);
	if (slotid < s->back.maxrequests) {
		struct state_back_slot *b = &s->back_slots[slotid];
		/* The seqid handed out is the slot's seqid + 1; an unspent one is
		 * simply not recorded, so the next call carries it again. */
		if (spent)
			b->seqid++;
		b->busy = false;
	}
	pthread_mutex_unlock(&s->lock);
}

void state_cb_slot_reset(struct state_server *st, struct state_session *s, uint32_t slotid,
			 uint32_t last_seqid)
{
	(void)st;
	pthread_mutex_lock(&s->lock);
	if (slotid < s->back.maxrequests)
		s->back_slots[slotid].seqid = last_seqid;
	pthread_mutex_unlock(&s->lock);
}

void state_cb_slot_limit(struct state_server *st, struct state_session *s, uint32_t highest,
			 uint32_t target)
{
	(void)st;
	uint32_t lim = highest < target ? highest : target;
	pthread_mutex_lock(&s->lock);
	/* Never below slot 0: the channel must stay usable. */
	s->back_limit = lim < s->back.maxrequests ? lim : s->back.maxrequests - 1;
	pthread_mutex_unlock(&s->lock);
}

void state_cb_set_status(struct state_server *st, struct state_session *s,
			 enum state_cb_status status, bool fault)
{
	pthread_mutex_lock(&s->lock);
	s->cb_status = status;
	s->cb_fault = fault;
	s->cb_probing = false;
	if (status == STATE_CB_UP)
		for (unsigned i = 0; i < s->nconns; i++)
			s->conns[i].back_failed = false;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add_explicit(status == STATE_CB_UP ? &st->n_cb_ok : &st->n_cb_failed, 1,
				  memory_order_relaxed);
}

void state_cb_conn_failed(struct state_server *st, struct state_session *s,
			  const struct rpc_conn *conn)
{
	(void)st;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->nconns; i++)
		if (s->conns[i].conn == conn)
			s->conns[i].back_failed = true;
	pthread_mutex_unlock(&s->lock);
}

/* --- per client ---------------------------------------------------------------------- */

bool state_cb_route(struct state_server *st, uint64_t clientid, struct state_cb_route *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (cl) {
		r->v41 = cl->v41;
		r->cb = cl->cb;
		r->cb_gen = cl->cb_gen;
		r->status = cl->cb_status;
		r->flavor = cl->principal.flavor;
		memcpy(r->gss_principal, cl->principal.gss_name, sizeof(r->gss_principal));
		r->gss_service = cl->principal.gss_service;
		/* Among the sessions with a back channel, one whose path works;
		 * else any. */
		struct state_session *any = NULL, *up = NULL;
		for (struct list_node *p = cl->sessions.next; p != &cl->sessions && !up;
		     p = p->next) {
			struct state_session *s =
				container_of(p, struct state_session, client_link);
			pthread_mutex_lock(&s->lock);
			/* No flavor the client allows: no path at all.  A
			 * session an upgrade carried has its back channel
			 * once this process takes its connections: a callback
			 * queued before waits for it (STATE_CB_NOT_YET). */
			if (!s->dead && (state_session_has_back_locked(s) || s->carry_unbound) &&
			    state_cb_sec_usable(&s->cb_sec)) {
				if (state_session_back_working_locked(s))
					up = s;
				else if (!any)
					any = s;
			}
			pthread_mutex_unlock(&s->lock);
		}
		struct state_session *pick = up ? up : any;
		if (pick) {
			r->session = state_session_ref(pick);
			r->status = up ? STATE_CB_UP : STATE_CB_DOWN;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return cl != NULL;
}

/* A working back channel whose last callback was answered. */
static bool client_back(struct state_server *st, uint64_t clientid, bool need_up)
{
	bool found = false;
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (cl) {
		for (struct list_node *p = cl->sessions.next; p != &cl->sessions && !found;
		     p = p->next) {
			struct state_session *s =
				container_of(p, struct state_session, client_link);
			pthread_mutex_lock(&s->lock);
			found = state_session_back_working_locked(s) &&
				(!need_up || s->cb_status == STATE_CB_UP);
			pthread_mutex_unlock(&s->lock);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}

bool state_client_back_working(struct state_server *st, uint64_t clientid)
{
	return client_back(st, clientid, false);
}

bool state_cb_client_up41(struct state_server *st, uint64_t clientid)
{
	return client_back(st, clientid, true);
}

void state_client_set_revoked(struct state_server *st, uint64_t clientid, bool revoked)
{
	pthread_mutex_lock(&st->lock);
	struct state_client *cl = state_client_find(st, clientid, true);
	if (cl)
		state_sessions_recallable_revoked(st, cl, revoked);
	pthread_mutex_unlock(&st->lock);
}
