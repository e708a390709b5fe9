/* Delegations on the NFSv4 side: what OPEN grants, DELEGRETURN,
 * WANT_DELEGATION, DELEGPURGE, and the conflict checks the operations that
 * name a file by its directory entry make (REMOVE, RENAME, LINK).  The
 * state module decides and records; this file does what needs the back
 * end (leases) or the callback queue (deleg/callbacks.c), never with a state
 * lock held. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs4/deleg/deleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "callback/callback.h"
#include "xdr/nfs4_codec_session.h"

/* The client an operation acts for when matching it against delegations:
 * a v4.1 session's; in v4.0 only a stateid tells (state_deleg_break). */
static uint64_t deleg_caller(const struct nfs4_compound *c)
{
	return c->minor >= 1 ? c->clientid : 0;
}

/* open_delegation4 from the state module's answer.  The ACE grants
 * nothing: the client asks ACCESS as it would without a delegation
 * (RFC 8881 10.4.1 lets the server say less than it could). */
static void deleg_fill(const struct state_deleg_grant *g, struct nfs4_open_delegation *out)
{
	static const uint8_t everyone[] = "EVERYONE@";
	memset(out, 0, sizeof(*out));
	out->type = g->type;
	if (g->timestamps && g->type == OPEN_DELEGATE_READ)
		out->type = OPEN_DELEGATE_READ_ATTRS_DELEG;
	else if (g->timestamps && g->type == OPEN_DELEGATE_WRITE)
		out->type = OPEN_DELEGATE_WRITE_ATTRS_DELEG;
	out->stateid = g->stateid;
	out->recall = g->recall;
	out->why = g->why;
	out->server_will = g->server_will;
	out->space_limit.limitby = NFS_LIMIT_SIZE;
	out->space_limit.filesize = UINT64_MAX;
	out->permissions.type = 0; /* ACE4_ACCESS_ALLOWED_ACE_TYPE, mask 0 */
	out->permissions.who = (struct nfs4_opaque){everyone, sizeof(everyone) - 1};
}

/* Grants through the state module, then makes sure of the back end's
 * lease on the file before the grant is answered: every new delegation
 * asks, not only the file's first, since a first granted just before by
 * another thread may not have taken it yet (nfs4_deleg_lease_grant); a
 * file the back end will not lease (someone on the host has it open in a
 * conflicting way, or leases hold their share of the descriptors already)
 * gets none.  An OPEN that gets no new delegation takes no lock here. */
static void deleg_grant(struct nfs4_compound *c, uint64_t clientid,
			const struct state_file_key *key, const struct state_deleg_ask *ask,
			struct state_deleg_grant *g)
{
	struct state_server *st = c->srv->state;
	state_deleg_grant(st, clientid, key, ask, g);
	if (!g->is_new)
		return;
	int rc = nfs4_deleg_lease_grant(c->srv, key, g->type);
	if (rc == 0 || rc == -ENOTSUP)
		return;
	state_deleg_undo(st, &g->stateid);
	memset(g, 0, sizeof(*g));
	g->type = ask->v41 && (ask->want & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK)
			  ? OPEN_DELEGATE_NONE_EXT
			  : OPEN_DELEGATE_NONE;
	g->why = rc == -EMFILE ? WND4_RESOURCE : WND4_CONTENTION;
}

void nfs4_deleg_for_open(struct nfs4_compound *c, struct state_owner *o,
			 const struct state_file_key *key, uint32_t access, uint32_t want,
			 uint32_t reclaim_type, struct nfs4_open_delegation *out)
{
	uint64_t clientid = state_owner_clientid(o);
	struct state_deleg_ask ask = {
		.access = access,
		.want = want,
		.v41 = c->minor >= 1,
		/* v4.1: the state module sees the back channel itself. */
		.cb_up = c->minor == 0 && cb_path_up(c->srv->cb, clientid),
		.reclaim_type = reclaim_type,
	};
	struct state_deleg_grant g;
	deleg_grant(c, clientid, key, &ask, &g);
	deleg_fill(&g, out);
}

/* --- DELEGRETURN, DELEGPURGE, WANT_DELEGATION --------------------------------------- */

enum nfsstat4 nfs4_op_delegreturn(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_delegreturn_args *a = args;
	(void)res;
	struct state_file_key key;
	if (!nfs4_state_cfh_key(c, &key))
		return NFS4ERR_BAD_STATEID; /* the pseudo-fs has no delegations */
	bool last = false;
	enum nfsstat4 s = state_delegreturn(c->srv->state, c->minor >= 1 ? c->clientid : 0,
					    &a->stateid, &key, c->minor, &last);
	if (s == NFS4_OK && last)
		nfs4_deleg_lease_drop(c->srv, &key);
	return s;
}

/* Ferry keeps no stable record of delegations, so there is nothing a
 * CLAIM_DELEGATE_PREV could reclaim nor DELEGPURGE purge: a server without
 * that support answers NFS4ERR_NOTSUPP (RFC 7530 16.8.5, RFC 8881 18.5.3). */
enum nfsstat4 nfs4_op_delegpurge(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	return NFS4ERR_NOTSUPP;
}

/* RFC 8881 18.49: a delegation on the current file without an OPEN.  The
 * access it stands for is the one the wanted type needs. */
enum nfsstat4 nfs4_op_want_delegation(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_want_delegation_args *a = args;
	struct state_file_key key;
	if (!nfs4_state_cfh_key(c, &key))
		return NFS4ERR_INVAL; /* pseudo-fs directories: no delegations */
	struct backend_attr attr;
	enum nfsstat4 s = nfs4_fh_getattr(c, &c->cfh, &attr);
	if (s != NFS4_OK)
		return s;
	uint32_t want = a->want & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK;
	if (a->want & ~NFS4_OPEN_WANT_BITS)
		return NFS4ERR_INVAL;
	struct state_deleg_ask ask = {.v41 = true, .want = a->want};
	switch (a->claim) {
	case CLAIM_FH:
		if ((s = state_check_grace(c->srv->state, c->clientid, false)) != NFS4_OK)
			return s;
		break;
	case CLAIM_PREVIOUS:
		if ((s = state_check_grace(c->srv->state, c->clientid, true)) != NFS4_OK)
			return s;
		if (a->delegate_type != OPEN_DELEGATE_READ && a->delegate_type != OPEN_DELEGATE_WRITE)
			return NFS4ERR_INVAL;
		ask.reclaim_type = a->delegate_type;
		break;
	default:
		return NFS4ERR_NOTSUPP; /* CLAIM_DELEG_PREV_FH: see DELEGPURGE */
	}
	struct nfs4_want_delegation_res r;
	memset(&r, 0, sizeof(r));
	if (attr.type != BACKEND_REG) {
		r.deleg.type = OPEN_DELEGATE_NONE_EXT;
		r.deleg.why = attr.type == BACKEND_DIR ? WND4_IS_DIR : WND4_NOT_SUPP_FTYPE;
	} else {
		bool wr = want == OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG ||
			  ask.reclaim_type == OPEN_DELEGATE_WRITE;
		ask.access = wr ? STATE_SHARE_ACCESS_BOTH : STATE_SHARE_ACCESS_READ;
		struct state_deleg_grant g;
		deleg_grant(c, c->clientid, &key, &ask, &g);
		if (g.type == OPEN_DELEGATE_NONE) {
			/* WANT_DELEGATION always says why (RFC 8881 18.49.3). */
			g.type = OPEN_DELEGATE_NONE_EXT;
			g.why = want == OPEN4_SHARE_ACCESS_WANT_NO_DELEG ? WND4_NOT_WANTED
									  : WND4_CONTENTION;
		}
		deleg_fill(&g, &r.deleg);
	}
	nfs4_enc_want_delegation_res(res, &r);
	return NFS4_OK;
}

/* --- conflicts of operations on directory entries ------------------------------------ */

enum nfsstat4 nfs4_deleg_break_fh(struct nfs4_compound *c, const struct fh *fh)
{
	if (fh->kind != FH_EXPORT || !state_deleg_any(c->srv->state))
		return NFS4_OK;
	struct state_file_key key = {.export_id = fh->export->id, .bh = fh->bh};
	return state_deleg_break(c->srv->state, &key, deleg_caller(c), NULL, true);
}

enum nfsstat4 nfs4_deleg_break_name(struct nfs4_compound *c, const struct fh *dir,
				    const char *name)
{
	if (dir->kind != FH_EXPORT)
		return NFS4_OK;
	return export_deleg_break_name(c->srv->state, dir->export, &c->cred, &dir->bh, name,
				       deleg_caller(c));
}

enum nfsstat4 nfs4_deleg_break_setattr(struct nfs4_compound *c, const struct nfs4_stateid *sid)
{
	if (c->cfh.kind != FH_EXPORT || !state_deleg_any(c->srv->state))
		return NFS4_OK;
	struct state_file_key key = {.export_id = c->cfh.export->id, .bh = c->cfh.bh};
	return state_deleg_break(c->srv->state, &key, deleg_caller(c), sid, true);
}

/* The holder's answer in attr: its size; the server's change + 1 when the
 * holder's change differs from the server's (it wrote data it still
 * caches), so that the other client sees the file changed (RFC 8881
 * 10.4.3); an ATTRS_DELEG holder's times are the file's (RFC 9754). */
static void deleg_getattr_apply(struct backend_attr *attr, const struct state_deleg_ga *v)
{
	if (v->change != attr->change)
		attr->change = attr->change + 1;
	attr->size = v->size;
	if (v->has_atime)
		attr->atime = v->atime;
	if (v->has_mtime)
		attr->mtime = v->mtime;
}

enum nfsstat4 nfs4_deleg_getattr(struct nfs4_compound *c, const struct nfs4_bitmap *want,
				 struct backend_attr *attr)
{
	struct nfs4_ga_wait *w = c->ga_wait;
	c->ga_wait = NULL;
	if (c->minor < 1 || c->cfh.kind != FH_EXPORT || attr->type != BACKEND_REG ||
	    !(nfs4_bitmap_isset(want, FATTR4_CHANGE) || nfs4_bitmap_isset(want, FATTR4_SIZE) ||
	      nfs4_bitmap_isset(want, FATTR4_TIME_ACCESS) ||
	      nfs4_bitmap_isset(want, FATTR4_TIME_MODIFY)) ||
	    !state_deleg_any_write(c->srv->state)) {
		free(w);
		return NFS4_OK;
	}
	if (w && w->values.have) {
		/* Resumed by the holder's answer. */
		deleg_getattr_apply(attr, &w->values.v);
		free(w);
		return NFS4_OK;
	}
	struct state_file_key key = {.export_id = c->cfh.export->id, .bh = c->cfh.bh};
	bool have, pending;
	struct state_deleg_ga v;
	struct nfs4_stateid sid;
	enum nfsstat4 s = state_deleg_getattr(c->srv->state, &key, c->clientid, &have, &v,
					      &pending, &sid);
	if (s == NFS4_OK && have)
		deleg_getattr_apply(attr, &v);
	if (w) {
		/* Resumed without an answer: the deadline passed (or the
		 * answer came before the wait was registered, which the
		 * state module then had).  A holder silent that long cannot
		 * be relied on: the file is recalled. */
		if (s == NFS4ERR_DELAY && pending)
			state_deleg_getattr_done(c->srv->state, &sid, NULL);
		free(w);
		return s;
	}
	if (s == NFS4ERR_DELAY && pending) {
		/* Wait for the answer without a thread: the COMPOUND parks. */
		w = calloc(1, sizeof(*w));
		if (w) {
			w->stateid = sid;
			c->ga_wait = w;
			c->parked = true;
		}
	}
	return s;
}
