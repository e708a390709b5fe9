/* OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE (RFC 7530 16.16-16.19, 16.2),
 * and the sequencing helpers the state-keeping handlers share.
 *
 * OPEN does the file-system part (lookup or create, type and permission
 * checks, truncation) through the back end and the share reservation
 * through the state module; no state lock is held across the back end. */
#include <string.h>

#include "nfs4/deleg/deleg.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/fs/acl.h"
#include "nfs4/fs/fattr.h"
#include "nfs4/ops/ops.h"
#include "nfs4/server.h"
#include "state/deleg/state_dirdeleg.h"


/* --- shared sequencing helpers ------------------------------------------------ */

enum nfsstat4 nfs4_state_v41_status(const struct nfs4_compound *c, enum nfsstat4 s)
{
	/* v4.1 operations do not return NFS4ERR_RESOURCE (RFC 8881's error
	 * lists per operation do not carry it): running out of room for
	 * state (the memory budget, a client's share of it, a cap) is
	 * NFS4ERR_DELAY, as Linux's nfsd answers.  The state module has freed what it could, and other
	 * clients' state comes and goes, so a retry may well succeed; a
	 * client at its own share waits (its open() blocks) rather than
	 * failing with the I/O error NFS4ERR_SERVERFAULT becomes, which is
	 * the wrong answer to a well-formed request. */
	return c->minor >= 1 && s == NFS4ERR_RESOURCE ? NFS4ERR_DELAY : s;
}

enum nfsstat4 nfs4_state_v40_clientid(const struct nfs4_compound *c, uint64_t clientid)
{
	return c->minor == 0 && state_client_is_v41(c->srv->state, clientid)
		       ? NFS4ERR_STALE_CLIENTID
		       : NFS4_OK;
}

bool nfs4_state_cfh_key(const struct nfs4_compound *c, struct state_file_key *out)
{
	if (c->cfh.kind != FH_EXPORT)
		return false;
	out->export_id = c->cfh.export->id;
	out->bh = c->cfh.bh;
	return true;
}

enum nfsstat4 nfs4_state_replay(struct nfs4_compound *c, struct xdr_enc *res,
				const struct state_replay *r)
{
	/* A replayed OPEN makes its file current: only for a host the
	 * export admits, as PUTFH would (anyone may send the owner's seqid
	 * again, from anywhere). */
	struct export *ex = NULL;
	if (r->status == NFS4_OK && r->has_file) {
		ex = exports_find(&c->srv->exports, r->file.export_id);
		if (!ex)
			return NFS4ERR_STALE;
		if (!export_allows(ex, rpc_conn_peer_addr(c->req->conn),
					 rpc_conn_tls_peer(c->req->conn)))
			return NFS4ERR_ACCESS;
	}
	if (r->len > 0) {
		uint8_t *p = xdr_enc_reserve(res, r->len);
		if (!p)
			return NFS4ERR_RESOURCE;
		memcpy(p, r->body, r->len);
	}
	if (r->status != NFS4_OK && r->len > 0)
		c->error_body = true;
	if (ex) {
		struct fh fh;
		fh_from_object(&c->srv->exports, ex, &r->file.bh, &fh);
		nfs4_compound_set_cfh(c, &fh);
	}
	return r->status;
}

bool nfs4_state_seq_start(struct nfs4_compound *c, struct state_owner *o, uint32_t seqid,
			  struct xdr_enc *res, enum nfsstat4 *status)
{
	struct state_server *st = c->srv->state;
	struct state_replay r;
	/* v4.1 sessions give exactly-once semantics: no owner seqids. */
	enum state_seq seq = state_seq_begin(st, o, seqid, c->opnum, c->minor >= 1, &r);
	if (seq == STATE_SEQ_NEW)
		return false;
	if (seq == STATE_SEQ_REPLAY)
		*status = nfs4_state_replay(c, res, &r);
	else
		*status = NFS4ERR_BAD_SEQID;
	state_seq_end(st, o, c->minor >= 1, *status, NULL, 0, NULL);
	state_owner_put(st, o);
	return true;
}

enum nfsstat4 nfs4_state_seq_finish(struct nfs4_compound *c, struct state_owner *o,
				    struct xdr_enc *res, size_t body_off, enum nfsstat4 status,
				    const struct state_file_key *file)
{
	struct state_server *st = c->srv->state;
	const uint8_t *body = NULL;
	size_t len = 0;
	status = nfs4_state_v41_status(c, status);
	enum nfsstat4 cached = status;
	if (res->overflow) {
		cached = NFS4ERR_RESOURCE; /* nothing sane to replay; seqid stays */
	} else if (status == NFS4_OK || c->error_body) {
		body = res->buf->data + body_off;
		len = xdr_enc_len(res) - body_off;
	}
	state_seq_end(st, o, c->minor >= 1, cached, body, len, status == NFS4_OK ? file : NULL);
	state_owner_put(st, o);
	return status;
}

/* --- OPEN ----------------------------------------------------------------------- */

struct open_args {
	uint32_t seqid, access, deny;
	uint64_t clientid;
	const uint8_t *owner;
	uint32_t owner_len;
	uint32_t opentype, createmode;
	enum nfsstat4 sattr_status; /* from decoding createattrs */
	struct nfs4_sattr sattr;
	uint8_t verifier[NFS4_VERIFIER_SIZE];
	uint32_t claim;
	const uint8_t *name;
	uint32_t name_len;
	uint32_t delegate_type;
	struct nfs4_stateid deleg_stateid;
	bool excl41; /* EXCLUSIVE4_1: createmode says EXCLUSIVE4, sattr is set */
};

/* The decoded arguments as OPEN uses them.  v4.0 has no EXCLUSIVE4_1 and no
 * claims by filehandle: the codec decodes every minor version's arms, and
 * for v4.0 these are not XDR of OPEN4args, so NFS4ERR_BADXDR here. */
static enum nfsstat4 open_from_wire(struct nfs4_compound *c, const struct nfs4_open_args *w,
				    struct open_args *a)
{
	memset(a, 0, sizeof(*a));
	a->seqid = w->seqid;
	a->access = w->share_access;
	a->deny = w->share_deny;
	a->clientid = w->owner.clientid;
	a->owner = w->owner.owner.data;
	a->owner_len = w->owner.owner.len;
	a->opentype = w->opentype;
	if (a->opentype == OPEN4_CREATE) {
		a->createmode = w->how.mode;
		switch (w->how.mode) {
		case UNCHECKED4:
		case GUARDED4:
			a->sattr_status =
				nfs4_fattr_decode_set(c, &w->how.attrs, w->how.attrs.extra, &a->sattr);
			if (a->sattr_status == NFS4ERR_BADXDR)
				return NFS4ERR_BADXDR;
			break;
		case EXCLUSIVE4:
			memcpy(a->verifier, w->how.verifier.data, NFS4_VERIFIER_SIZE);
			break;
		case EXCLUSIVE4_1:
			/* v4.1: the verifier and attributes to set (RFC 8881
			 * 18.16.3); created like EXCLUSIVE4, then the
			 * attributes are applied. */
			if (c->minor < 1)
				return NFS4ERR_BADXDR;
			memcpy(a->verifier, w->how.verifier.data, NFS4_VERIFIER_SIZE);
			a->sattr_status =
				nfs4_fattr_decode_set(c, &w->how.attrs, w->how.attrs.extra, &a->sattr);
			if (a->sattr_status == NFS4ERR_BADXDR)
				return NFS4ERR_BADXDR;
			a->excl41 = true;
			a->createmode = EXCLUSIVE4;
			break;
		}
	}
	a->claim = w->claim.type;
	a->name = w->claim.file.data;
	a->name_len = w->claim.file.len;
	a->delegate_type = w->claim.delegate_type;
	a->deleg_stateid = w->claim.delegate_stateid;
	switch (a->claim) {
	case CLAIM_FH:
	case CLAIM_DELEG_PREV_FH:
	case CLAIM_DELEG_CUR_FH:
		return c->minor >= 1 ? NFS4_OK : NFS4ERR_BADXDR;
	default:
		return NFS4_OK;
	}
}

/* What OPEN found or made. */
struct open_target {
	struct backend_handle bh;
	struct backend_attr attr;
	bool created;
	bool ours; /* created by this client: no permission check to open it */
	uint64_t before, after; /* the directory's change attribute */
	struct nfs4_bitmap attrset;
	bool set_size; /* apply sattr's size once the open is granted */
};

/* Only regular files open; nfsd's choice of SYMLINK for other types in
 * v4.0 makes the Linux client do the right thing. */
static enum nfsstat4 open_check_type(const struct nfs4_compound *c, enum backend_ftype t)
{
	if (t == BACKEND_REG)
		return NFS4_OK;
	if (t == BACKEND_DIR)
		return NFS4ERR_ISDIR;
	if (t == BACKEND_LNK || c->minor == 0)
		return NFS4ERR_SYMLINK;
	return NFS4ERR_WRONG_TYPE;
}

/* Permission for the access asked.  Reading is allowed with execute
 * permission too, as the client opens a program it runs for reading. */
static enum nfsstat4 open_check_access(struct nfs4_compound *c, const struct backend_handle *bh,
				       uint32_t access)
{
	struct export *ex = c->cfh.export;
	if ((access & STATE_SHARE_ACCESS_WRITE) &&
	    export_read_only(ex, rpc_conn_peer_addr(c->req->conn)))
		return NFS4ERR_ROFS;
	uint32_t want = BACKEND_ACCESS_EXEC;
	if (access & STATE_SHARE_ACCESS_READ)
		want |= BACKEND_ACCESS_READ;
	if (access & STATE_SHARE_ACCESS_WRITE)
		want |= BACKEND_ACCESS_WRITE;
	uint32_t granted = 0;
	int rc = ex->ops->access(ex->bex, &c->cred, bh, want, &granted);
	if (rc)
		return nfs4_errno_to_status(rc);
	if ((access & STATE_SHARE_ACCESS_READ) &&
	    !(granted & (BACKEND_ACCESS_READ | BACKEND_ACCESS_EXEC)))
		return NFS4ERR_ACCESS;
	if ((access & STATE_SHARE_ACCESS_WRITE) && !(granted & BACKEND_ACCESS_WRITE))
		return NFS4ERR_ACCESS;
	return NFS4_OK;
}

/* CLAIM_NULL in a pseudo-fs directory: only directories live there. */
static enum nfsstat4 open_in_pseudo(struct nfs4_compound *c, const struct open_args *a)
{
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 s = nfs4_check_component(a->name, a->name_len, BACKEND_NAME_MAX);
	if (s != NFS4_OK)
		return s;
	memcpy(name, a->name, a->name_len);
	name[a->name_len] = '\0';
	if (pseudo_lookup(c->cfh.node, name))
		return NFS4ERR_ISDIR;
	return a->opentype == OPEN4_CREATE ? NFS4ERR_ROFS : NFS4ERR_NOENT;
}

/* The current filehandle is a directory (its attributes in *dattr) and
 * the claim's name a valid component, copied NUL-terminated into name. */
static enum nfsstat4 open_dir_and_name(struct nfs4_compound *c, const struct open_args *a,
				       struct backend_attr *dattr, char name[BACKEND_NAME_MAX + 1])
{
	enum nfsstat4 s = nfs4_need_dir(c, dattr);
	if (s != NFS4_OK)
		return s;
	if ((s = nfs4_check_component(a->name, a->name_len, BACKEND_NAME_MAX)) != NFS4_OK)
		return s;
	memcpy(name, a->name, a->name_len);
	name[a->name_len] = '\0';
	return NFS4_OK;
}

/* After OPEN's create (or its lookup of an existing file): the attributes
 * the create set or is still to set (the size, once the share reservation
 * is granted), in t->attrset and t->set_size, and whether the file counts
 * as this OPEN's own (t->ours: no access check). */
static enum nfsstat4 open_settle_attrs(struct nfs4_compound *c, const struct open_args *a,
				       struct open_target *t)
{
	struct export *ex = c->cfh.export;
	bool has_size = a->createmode != EXCLUSIVE4 && (a->sattr.sa.mask & BACKEND_SET_SIZE);
	if (a->excl41 && t->created && a->sattr_status == NFS4_OK) {
		/* The verifier lives in the times: set the rest now. */
		struct backend_setattr sa41 = a->sattr.sa;
		sa41.mask &= ~(BACKEND_SET_SIZE | BACKEND_SET_ATIME | BACKEND_SET_MTIME |
			       BACKEND_SET_ATIME_NOW | BACKEND_SET_MTIME_NOW);
		if (sa41.mask) {
			int rc41 = ex->ops->setattr(ex->bex, &c->cred, &t->bh, &sa41, &t->attr);
			if (rc41)
				return nfs4_errno_to_status(rc41);
			nfs4_durable_note(c, ex, &t->bh, BACKEND_SYNC_ATTRS);
		}
		t->attrset = a->sattr.mask;
	}
	if (a->createmode == EXCLUSIVE4) {
		/* Created now or by an earlier try of this create (the
		 * verifier matched); the back ends keep the verifier in atime
		 * and mtime, which the client then sets (RFC 7530 16.16.5).
		 * Times anyone can set are no proof of that: an existing file
		 * counts as this create's only when the caller owns it (the
		 * creator does, and an owner could chmod it anyway), so a
		 * file of another user whose times match gets the access
		 * check. */
		t->ours = t->created || t->attr.uid == c->cred.uid;
		nfs4_bitmap_set(&t->attrset, FATTR4_TIME_ACCESS);
		nfs4_bitmap_set(&t->attrset, FATTR4_TIME_MODIFY);
	} else if (t->created) {
		t->ours = true;
		t->attrset = a->sattr.mask;
		t->set_size = has_size;
	} else if (!t->created && has_size && a->sattr.sa.size == 0) {
		/* UNCHECKED on an existing file: only a truncation counts. */
		nfs4_bitmap_set(&t->attrset, FATTR4_SIZE);
		t->set_size = true;
	}
	return NFS4_OK;
}

/* The ACL of the createattrs, on the file OPEN made.  The OPEN stands
 * whatever happens: one the file system would not take is left out of
 * attrset, as knfsd does. */
static void open_set_acl(struct nfs4_compound *c, struct open_target *t,
			 const struct nfs4_acl_posix *acl)
{
	struct export *ex = c->cfh.export;
	if (nfs4_acl_apply(&c->cred, ex, &t->bh, BACKEND_REG, acl) != NFS4_OK ||
	    ex->ops->getattr(ex->bex, &t->bh, &t->attr) != 0) {
		nfs4_acl_attrs_clear(&t->attrset);
		return;
	}
	nfs4_durable_note(c, ex, &t->bh, BACKEND_SYNC_ATTRS);
}

/* CLAIM_NULL: lookup or create name in the current directory.
 * CLAIM_DELEGATE_CUR: name in it, opened under a delegation of this client
 * (being recalled, typically): never created, and not held back by the
 * grace period (the delegation is the client's already). */
static enum nfsstat4 open_by_name(struct nfs4_compound *c, const struct open_args *a,
				  struct open_target *t)
{
	struct backend_attr dattr;
	char name[BACKEND_NAME_MAX + 1];
	enum nfsstat4 s = open_dir_and_name(c, a, &dattr, name);
	if (s != NFS4_OK)
		return s;
	bool deleg_cur = a->claim == CLAIM_DELEGATE_CUR;
	/* Before touching the file system: no creating during grace. */
	if (!deleg_cur && (s = state_check_grace(c->srv->state, a->clientid, false)) != NFS4_OK)
		return s;
	struct export *ex = c->cfh.export;
	t->before = t->after = dattr.change;
	if (deleg_cur || a->opentype == OPEN4_NOCREATE) {
		int rc = ex->ops->lookup(ex->bex, &c->cred, &c->cfh.bh, name, &t->bh, &t->attr);
		return rc ? nfs4_errno_to_status(rc) : NFS4_OK;
	}
	if (export_read_only(ex, rpc_conn_peer_addr(c->req->conn)))
		return NFS4ERR_ROFS;
	if ((a->createmode != EXCLUSIVE4 || a->excl41) && a->sattr_status != NFS4_OK)
		return a->sattr_status;
	/* A name that is not there yet is an entry coming into a directory
	 * whose delegations' holders may have to be recalled first. */
	if (state_dirdeleg_any(c->srv->state)) {
		struct backend_handle bh;
		struct backend_attr attr;
		if (ex->ops->lookup(ex->bex, &c->cred, &c->cfh.bh, name, &bh, &attr) != 0 &&
		    (s = nfs4_dirdeleg_break(c, &c->cfh, 1u << NOTIFY4_ADD_ENTRY)) != NFS4_OK)
			return s;
	}
	/* An ACL to set is mapped first: one that cannot be set refuses the
	 * OPEN before anything is made. */
	struct nfs4_acl_posix acl = {0};
	bool has_acl = a->sattr.has_acl && (a->createmode != EXCLUSIVE4 || a->excl41);
	if (has_acl && (s = nfs4_acl_map_sattr(c->srv, &a->sattr, BACKEND_REG, &acl)) != NFS4_OK) {
		nfs4_acl_posix_free(&acl);
		return s;
	}
	/* The size waits until the share reservation is granted: truncating
	 * a file another client holds with deny-write would be wrong. */
	struct backend_setattr sa = a->sattr.sa;
	sa.mask &= ~BACKEND_SET_SIZE;
	enum backend_create_mode how = a->createmode == GUARDED4     ? BACKEND_CREATE_GUARDED
				       : a->createmode == EXCLUSIVE4 ? BACKEND_CREATE_EXCLUSIVE
								     : BACKEND_CREATE_UNCHECKED;
	int rc = ex->ops->create_file(ex->bex, &c->cred, &c->cfh.bh, name, how, a->verifier, &sa,
				      &t->bh, &t->attr, &t->created);
	if (rc) {
		nfs4_acl_posix_free(&acl);
		return nfs4_errno_to_status(rc);
	}
	if (t->created) {
		/* An exclusive create keeps its verifier in the times, set
		 * after the file was made: they must last too, or a retry
		 * after a crash would not be recognised. */
		nfs4_durable_note(c, ex, &c->cfh.bh, BACKEND_SYNC_ENTRIES);
		nfs4_durable_note(c, ex, &t->bh,
				  BACKEND_SYNC_NEW |
					  (how == BACKEND_CREATE_EXCLUSIVE ? BACKEND_SYNC_ATTRS : 0));
	}
	struct backend_attr after;
	if (t->created && nfs4_fh_getattr(c, &c->cfh, &after) == NFS4_OK)
		t->after = after.change;
	if (t->created)
		nfs4_dirdeleg_added(NFS4_DIR_BY(c), &c->cfh, name, &t->bh, &t->attr);
	s = open_settle_attrs(c, a, t);
	if (s == NFS4_OK && t->created && has_acl)
		open_set_acl(c, t, &acl);
	nfs4_acl_posix_free(&acl);
	return s;
}

/* CLAIM_PREVIOUS / CLAIM_FH: the current filehandle is the file. */
static enum nfsstat4 open_current(struct nfs4_compound *c, struct open_target *t)
{
	if (c->cfh.kind != FH_EXPORT)
		return NFS4ERR_ISDIR;
	enum nfsstat4 s = nfs4_fh_getattr(c, &c->cfh, &t->attr);
	if (s != NFS4_OK)
		return s;
	t->bh = c->cfh.bh;
	return NFS4_OK;
}

/* Works out which file to open and checks the claim; grace rules and the
 * delegation claims first. */
static enum nfsstat4 open_find(struct nfs4_compound *c, const struct open_args *a,
			       struct open_target *t)
{
	struct state_server *st = c->srv->state;
	enum nfsstat4 s;
	switch (a->claim) {
	case CLAIM_NULL:
		if (c->cfh.kind == FH_PSEUDO)
			return open_in_pseudo(c, a);
		return open_by_name(c, a, t);
	case CLAIM_PREVIOUS:
		if ((s = state_check_grace(st, a->clientid, true)) != NFS4_OK)
			return s;
		/* The delegation held before the restart comes back with the
		 * open (state_deleg_grant). */
		switch (a->delegate_type) {
		case OPEN_DELEGATE_NONE:
		case OPEN_DELEGATE_READ:
		case OPEN_DELEGATE_WRITE:
			break;
		case OPEN_DELEGATE_READ_ATTRS_DELEG:
		case OPEN_DELEGATE_WRITE_ATTRS_DELEG:
			if (c->minor >= 1)
				break; /* RFC 9754: with its timestamps */
			return NFS4ERR_INVAL;
		default:
			return NFS4ERR_INVAL;
		}
		return open_current(c, t);
	case CLAIM_FH:
		if ((s = state_check_grace(st, a->clientid, false)) != NFS4_OK)
			return s;
		return open_current(c, t);
	case CLAIM_DELEGATE_CUR:
	case CLAIM_DELEG_CUR_FH:
		if (c->cfh.kind == FH_PSEUDO)
			return a->claim == CLAIM_DELEG_CUR_FH ? NFS4ERR_ISDIR : NFS4ERR_NOENT;
		s = a->claim == CLAIM_DELEGATE_CUR ? open_by_name(c, a, t) : open_current(c, t);
		if (s != NFS4_OK)
			return s;
		struct state_file_key key = {.export_id = c->cfh.export->id, .bh = t->bh};
		return state_deleg_check_cur(st, a->clientid, &a->deleg_stateid, &key, c->minor);
	default:
		/* CLAIM_DELEGATE_PREV needs DELEGPURGE support (RFC 7530
		 * 16.16.5), which Ferry does not have. */
		return NFS4ERR_NOTSUPP;
	}
}

/* The delegation an OPEN gets along, if the policy gives one: a reclaim
 * (CLAIM_PREVIOUS) asks for the type it held. */
static void open_delegation(struct nfs4_compound *c, struct state_owner *o,
			    const struct open_args *a, const struct state_file_key *key,
			    uint32_t access, uint32_t want, struct nfs4_open_delegation *out)
{
	uint32_t reclaim_type = a->claim == CLAIM_PREVIOUS ? a->delegate_type : 0;
	/* A delegation with delegated timestamps comes back as the same type
	 * with the wish for them. */
	if (reclaim_type == OPEN_DELEGATE_READ_ATTRS_DELEG ||
	    reclaim_type == OPEN_DELEGATE_WRITE_ATTRS_DELEG) {
		reclaim_type = reclaim_type == OPEN_DELEGATE_READ_ATTRS_DELEG
				       ? OPEN_DELEGATE_READ
				       : OPEN_DELEGATE_WRITE;
		want |= OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS;
	}
	nfs4_deleg_for_open(c, o, key, access, want, reclaim_type, out);
}

static enum nfsstat4 open_serve(struct nfs4_compound *c, struct state_owner *o,
				const struct open_args *a, struct xdr_enc *res,
				struct state_file_key *key)
{
	struct state_server *st = c->srv->state;
	uint32_t access = a->access, want = 0;
	if (c->minor >= 1) {
		want = access & NFS4_OPEN_WANT_BITS;
		access &= ~(uint32_t)NFS4_OPEN_WANT_BITS;
	}
	struct open_target t;
	memset(&t, 0, sizeof(t));
	enum nfsstat4 s = open_find(c, a, &t);
	if (s != NFS4_OK)
		return s;
	if ((s = open_check_type(c, t.attr.type)) != NFS4_OK)
		return s;
	/* A client opens a file it just created whatever mode it gave the
	 * file (an EXCLUSIVE create even has none until the next SETATTR). */
	if (!t.ours && (s = open_check_access(c, &t.bh, access)) != NFS4_OK)
		return s;
	/* Truncating an existing file takes write access; a size given
	 * for a file this OPEN created is part of making it. */
	if (t.set_size && !t.ours && !(access & STATE_SHARE_ACCESS_WRITE))
		return NFS4ERR_INVAL;
	key->export_id = c->cfh.export->id;
	key->bh = t.bh;
	struct nfs4_stateid sid;
	bool need_confirm;
	unsigned flags = a->claim == CLAIM_PREVIOUS ? STATE_OPEN_RECLAIM : 0;
	s = state_open(st, o, key, access, a->deny, flags, c->minor, &sid, &need_confirm);
	if (s != NFS4_OK)
		return s;
	struct export *ex = c->cfh.export;
	if (t.set_size) {
		struct backend_setattr sa = {.mask = BACKEND_SET_SIZE, .size = a->sattr.sa.size};
		int rc = ex->ops->setattr(ex->bex, &c->cred, &t.bh, &sa, &t.attr);
		if (rc) /* the open stands; the client sees the error */
			return nfs4_errno_to_status(rc);
		nfs4_durable_note(c, ex, &t.bh, BACKEND_SYNC_ATTRS);
	}
	uint32_t rflags = OPEN4_RESULT_LOCKTYPE_POSIX | (need_confirm ? OPEN4_RESULT_CONFIRM : 0);
	/* v4.1: a denied READW/WRITEW lock gets CB_NOTIFY_LOCK (ops/lock.c). */
	if (c->minor >= 1)
		rflags |= OPEN4_RESULT_MAY_NOTIFY_LOCK;
	struct nfs4_open_res r = {
		.stateid = sid,
		.cinfo = nfs4_dir_change_info(t.before, t.after),
		.rflags = rflags,
		.attrset = t.attrset,
		.delegation = {.type = OPEN_DELEGATE_NONE},
	};
	/* An open under a delegation has one already; any other gets what
	 * the policy gives. */
	if (a->claim != CLAIM_DELEGATE_CUR && a->claim != CLAIM_DELEG_CUR_FH)
		open_delegation(c, o, a, key, access, want, &r.delegation);
	nfs4_enc_open_res(res, &r);
	struct fh fh;
	fh_from_object(&c->srv->exports, ex, &t.bh, &fh);
	nfs4_compound_set_cfh(c, &fh);
	if (t.attr.type == BACKEND_REG)
		c->handoff.regular_for = c->op_index + 1;
	return NFS4_OK;
}

enum nfsstat4 nfs4_op_open(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_open_args *a = args;
	struct state_server *st = c->srv->state;
	struct open_args oa;
	enum nfsstat4 s = open_from_wire(c, a, &oa);
	if (s != NFS4_OK)
		return s;
	/* v4.1: the owner's clientid is the session's (RFC 8881 18.16.3). */
	if (c->minor >= 1)
		oa.clientid = c->clientid;
	if ((s = nfs4_state_v40_clientid(c, oa.clientid)) != NFS4_OK)
		return s;
	struct state_owner *o;
	if ((s = state_open_owner_get(st, oa.clientid, oa.owner, oa.owner_len, &o)) != NFS4_OK)
		return nfs4_state_v41_status(c, s);
	if (nfs4_state_seq_start(c, o, oa.seqid, res, &s))
		return s;
	size_t body_off = xdr_enc_len(res);
	struct state_file_key key;
	s = open_serve(c, o, &oa, res, &key);
	return nfs4_state_seq_finish(c, o, res, body_off, s, &key);
}

/* --- OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE ------------------------------------------- */

enum nfsstat4 nfs4_state_stateid_seq_run(struct nfs4_compound *c, const struct nfs4_stateid *sid,
					 uint32_t seqid, enum nfsstat4 no_key,
					 nfs4_state_file_op *op, const void *arg, struct xdr_enc *res)
{
	struct state_owner *o;
	enum nfsstat4 s =
		state_stateid_owner(c->srv->state, c->minor >= 1 ? c->clientid : 0, sid, &o);
	if (s != NFS4_OK)
		return s;
	if (nfs4_state_seq_start(c, o, seqid, res, &s))
		return s;
	size_t body_off = xdr_enc_len(res);
	struct state_file_key key;
	if (!nfs4_state_cfh_key(c, &key))
		s = no_key;
	else
		s = op(c, o, sid, &key, arg, res);
	return nfs4_state_seq_finish(c, o, res, body_off, s, NULL);
}

/* OPEN_CONFIRM, OPEN_DOWNGRADE and CLOSE change an open of the current
 * file, sequenced on its owner, and answer with its stateid
 * (OPEN_CONFIRM4resok, OPEN_DOWNGRADE4resok, CLOSE4res); a current file
 * without state is a stateid of no open of it. */
enum open_change_kind { OPEN_CHANGE_CONFIRM, OPEN_CHANGE_DOWNGRADE, OPEN_CHANGE_CLOSE };

struct open_change {
	enum open_change_kind kind;
	const struct nfs4_open_downgrade_args *downgrade;
};

static enum nfsstat4 open_change_file(struct nfs4_compound *c, struct state_owner *o,
				      const struct nfs4_stateid *sid,
				      const struct state_file_key *key, const void *arg,
				      struct xdr_enc *res)
{
	const struct open_change *ch = arg;
	struct state_server *st = c->srv->state;
	struct nfs4_stateid_res out;
	enum nfsstat4 s = NFS4ERR_SERVERFAULT;
	switch (ch->kind) {
	case OPEN_CHANGE_CONFIRM:
		s = state_open_confirm(st, o, sid, key, &out.stateid);
		break;
	case OPEN_CHANGE_DOWNGRADE: {
		uint32_t access = ch->downgrade->share_access;
		if (c->minor >= 1)
			access &= ~(uint32_t)NFS4_OPEN_WANT_BITS;
		s = state_open_downgrade(st, o, sid, key, access, ch->downgrade->share_deny,
					 c->minor, &out.stateid);
		break;
	}
	case OPEN_CHANGE_CLOSE:
		s = state_close(st, o, sid, key, c->minor, &out.stateid);
		if (s == NFS4_OK && c->minor >= 1) {
			/* RFC 8881 18.2.4: the stateid is gone; say so. */
			memset(&out, 0, sizeof(out));
			out.stateid.seqid = UINT32_MAX;
		}
		break;
	}
	if (s == NFS4_OK)
		nfs4_enc_stateid_res(res, &out);
	return s;
}

static enum nfsstat4 open_change_run(struct nfs4_compound *c, const struct nfs4_stateid *sid,
				     uint32_t seqid, struct open_change ch, struct xdr_enc *res)
{
	return nfs4_state_stateid_seq_run(c, sid, seqid, NFS4ERR_BAD_STATEID, open_change_file,
					  &ch, res);
}

enum nfsstat4 nfs4_op_open_confirm(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_open_confirm_args *a = args;
	return open_change_run(c, &a->stateid, a->seqid,
			       (struct open_change){.kind = OPEN_CHANGE_CONFIRM}, res);
}

enum nfsstat4 nfs4_op_open_downgrade(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_open_downgrade_args *a = args;
	return open_change_run(c, &a->stateid, a->seqid,
			       (struct open_change){.kind = OPEN_CHANGE_DOWNGRADE, .downgrade = a},
			       res);
}

enum nfsstat4 nfs4_op_close(struct nfs4_compound *c, void *args, struct xdr_enc *res)
{
	const struct nfs4_close_args *a = args;
	return open_change_run(c, &a->stateid, a->seqid,
			       (struct open_change){.kind = OPEN_CHANGE_CLOSE}, res);
}
