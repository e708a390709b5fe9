/* Directory delegations on the NFSv4 side: GET_DIR_DELEGATION (RFC 8881
 * 18.39) and the recalls the operations that change a directory cause
 * (10.9).  The state module decides (state/deleg/state_dirdeleg.h). */
#include <string.h>

#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"
#include "xdr/nfs4_codec_session.h"

/* A CB_NOTIFY besides its changes, at its largest: record mark, RPC call
 * header with an AUTH_SYS credential of the longest machine name and
 * every group, CB_COMPOUND header, CB_SEQUENCE with no referring calls,
 * CB_NOTIFY's stateid, filehandle and list length. */
enum {
	CB_NOTIFY_OVERHEAD = 4 + 6 * 4 + (8 + 4 + 4 + 256 + 4 + 4 + 4 + 16 * 4) + 8 +
			     4 * 4 + (4 + 16 + 4 * 4 + 4 + 4) + (4 + 16 + 4 + NFS4_FHSIZE + 4),
};

/* The client an operation acts for: a v4.1 session's; a v4.0 request
 * (0) is never a holder's, as directory delegations are v4.1 only. */
static uint64_t dir_caller(const struct nfs4_compound *c)
{
	return c->minor >= 1 ? c->clientid : 0;
}

/* An attribute delay from the wire in milliseconds: negative ones are
 * none, long ones as long as a uint32_t says (the state module clamps to
 * its own limits); no multiplication of the client's seconds overflows. */
static uint32_t delay_ms(const struct timespec *t)
{
	if (t->tv_sec < 0 || t->tv_nsec < 0)
		return 0;
	if (t->tv_sec >= UINT32_MAX / 1000)
		return UINT32_MAX;
	uint64_t ms = (uint64_t)t->tv_sec * 1000 + (uint64_t)t->tv_nsec / 1000000;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* GET_DIR_DELEGATION's request to the state, dir claimed: a grant of the
 * kinds in notify, with the attributes asked that Ferry has, into r. */
static void dir_delegation_ask(struct nfs4_compound *c,
			       const struct nfs4_get_dir_delegation_args *a,
			       const struct state_file_key *key, uint32_t notify,
			       struct nfs4_get_dir_delegation_res *r)
{
	/* The attributes reported: those asked that Ferry has, for the
	 * kinds granted. */
	struct nfs4_bitmap sup, child, dir;
	nfs4_fattr_supported(c, &sup);
	/* Notifications are encoded outside any request, and an ACL is read
	 * as a request's caller: not one of them. */
	nfs4_bitmap_clear(&sup, FATTR4_ACL);
	nfs4_bitmap_clear(&sup, FATTR4_DACL);
	nfs4_bitmap_clear(&sup, FATTR4_POSIX_DEFAULT_ACL);
	nfs4_bitmap_clear(&sup, FATTR4_POSIX_ACCESS_ACL);
	memset(&child, 0, sizeof(child));
	memset(&dir, 0, sizeof(dir));
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++) {
		if (notify & ((1u << NOTIFY4_CHANGE_CHILD_ATTRS) | (1u << NOTIFY4_ADD_ENTRY) |
			      (1u << NOTIFY4_RENAME_ENTRY)))
			child.w[w] = a->child_attributes.w[w] & sup.w[w];
		if (notify & (1u << NOTIFY4_CHANGE_DIR_ATTRS))
			dir.w[w] = a->dir_attributes.w[w] & sup.w[w];
	}
	struct state_dirdeleg_ask ask = {
		.notify = notify,
		.child_attrs = child,
		.dir_attrs = dir,
		.child_delay_ms = delay_ms(&a->child_attr_delay),
		.dir_delay_ms = delay_ms(&a->dir_attr_delay),
		.cb_overhead = CB_NOTIFY_OVERHEAD,
		.signal = a->signal_deleg_avail,
	};
	struct state_dirdeleg_grant g;
	state_dirdeleg_grant(c->srv->state, c->clientid, key, &ask, &g);
	if (g.granted && g.is_new && g.first && nfs4_dirdeleg_watch(c->srv, key) != 0) {
		/* Host changes would go unseen: no delegation. */
		state_deleg_undo(c->srv->state, &g.stateid);
		g.granted = false;
	}
	if (g.will_signal) {
		r->will_signal_deleg_avail = true;
		nfs4_dirdeleg_kick(c->srv);
	}
	if (g.granted) {
		r->status = GDD4_OK;
		nfs4_dir_cookie_verifier(c->srv, &r->cookieverf);
		r->stateid = g.stateid;
		r->notification.w[0] = g.notify;
		if (g.notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS))
			r->child_attributes = g.child_attrs;
		if (g.notify & (1u << NOTIFY4_CHANGE_DIR_ATTRS))
			r->dir_attributes = g.dir_attrs;
	}
}

enum nfsstat4 nfs4_op_get_dir_delegation(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_get_dir_delegation_args *a = args;
	/* NFS4_OPF_NEED_DIR: the current fh is a directory. */
	struct nfs4_get_dir_delegation_res r;
	memset(&r, 0, sizeof(r));
	/* will_signal only for a passing refusal the client asked to hear
	 * the end of (state_dirdeleg_grant). */
	r.status = GDD4_UNAVAIL;
	r.will_signal_deleg_avail = false;
	if (c->cfh.kind == FH_EXPORT) {
		struct state_file_key key = {.export_id = c->cfh.export->id, .bh = c->cfh.bh};
		uint32_t notify = a->notification_types.w[0] & NFS4_DIRDELEG_NOTIFY_SERVED;
		/* Child attributes need the directory's entries indexed; one
		 * too large for that gets the other kinds only. */
		bool indexed;
		if (nfs4_dirdeleg_claim(c->srv, &key, notify & (1u << NOTIFY4_CHANGE_CHILD_ATTRS),
					&indexed) == 0) {
			if (!indexed)
				notify &= ~(1u << NOTIFY4_CHANGE_CHILD_ATTRS);
			dir_delegation_ask(c, a, &key, notify, &r);
			nfs4_dirdeleg_settle(c->srv, &key);
		}
	}
	nfs4_enc_get_dir_delegation_res(res, &r);
	return NFS4_OK;
}

enum nfsstat4 nfs4_dirdeleg_break(struct nfs4_compound *c, const struct fh *dir,
				  uint32_t need)
{
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any(c->srv->state))
		return NFS4_OK;
	struct state_file_key key = {.export_id = dir->export->id, .bh = dir->bh};
	return state_dirdeleg_break(c->srv->state, &key, dir_caller(c), need);
}

enum nfsstat4 nfs4_dirdeleg_break_name(struct nfs4_compound *c, const struct fh *dir,
				       const char *name, bool *exists)
{
	if (exists)
		*exists = false;
	if (dir->kind != FH_EXPORT || !state_dirdeleg_any(c->srv->state))
		return NFS4_OK;
	struct export *ex = dir->export;
	struct state_file_key key = {.export_id = ex->id};
	struct backend_attr attr;
	if (ex->ops->lookup(ex->bex, &c->cred, &dir->bh, name, &key.bh, &attr) != 0)
		return NFS4_OK;
	if (exists)
		*exists = true;
	if (attr.type != BACKEND_DIR)
		return NFS4_OK;
	return state_dirdeleg_break(c->srv->state, &key, dir_caller(c), 0);
}
