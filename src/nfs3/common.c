/* What every NFSv3 procedure does: handles, access rules, names,
 * attributes, errors, stability and delegations. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "nfs3/nfs3_internal.h"
#include "state/state.h"
#include "state/deleg/state_dirdeleg.h"

enum nfsstat3 nfs3_errno(int rc)
{
	switch (-rc) {
	case 0:
		return NFS3_OK;
	case EPERM:
		return NFS3ERR_PERM;
	case ENOENT:
		return NFS3ERR_NOENT;
	case ENXIO:
		return NFS3ERR_NXIO;
	case EACCES:
		return NFS3ERR_ACCES;
	case EEXIST:
		return NFS3ERR_EXIST;
	case EXDEV:
		return NFS3ERR_XDEV;
	case ENODEV:
		return NFS3ERR_NODEV;
	case ENOTDIR:
		return NFS3ERR_NOTDIR;
	case EISDIR:
		return NFS3ERR_ISDIR;
	case EINVAL:
	case ELOOP:
		return NFS3ERR_INVAL;
	case EFBIG:
		return NFS3ERR_FBIG;
	case ENOSPC:
		return NFS3ERR_NOSPC;
	case EROFS:
		return NFS3ERR_ROFS;
	case EMLINK:
		return NFS3ERR_MLINK;
	case ENAMETOOLONG:
		return NFS3ERR_NAMETOOLONG;
	case ENOTEMPTY:
		return NFS3ERR_NOTEMPTY;
	case EDQUOT:
		return NFS3ERR_DQUOT;
	case ESTALE:
		return NFS3ERR_STALE;
	case EBADF:
		return NFS3ERR_BADHANDLE;
	case EOPNOTSUPP:
		return NFS3ERR_NOTSUPP;
	case EAGAIN:
	case ENOMEM:
		/* A lease broken for this call, or memory short for now:
		 * the client retries later. */
		return NFS3ERR_JUKEBOX;
	default:
		return NFS3ERR_IO;
	}
}

enum nfsstat3 nfs3_resolve(struct nfs3_call *c, const struct nfs3_fh *wire, bool for_write,
			   struct fh *fh, struct backend_attr *attr)
{
	switch (fh_parse(c->srv->exports, wire->data, wire->len, fh)) {
	case FH_OK:
		break;
	case FH_STALE:
		return NFS3ERR_STALE;
	default:
		return NFS3ERR_BADHANDLE;
	}
	/* The pseudo file system joins the exports for NFSv4; a v3 client
	 * gets its handles from MOUNT, which hands out export roots. */
	if (fh->kind != FH_EXPORT)
		return NFS3ERR_BADHANDLE;
	struct export *ex = fh->export;
	struct rpc_request *req = c->req;
	if (atomic_load(&ex->no_nfs3))
		return NFS3ERR_ACCES;
	if (!export_allows(ex, rpc_conn_peer_addr(req->conn), rpc_conn_tls_peer(req->conn)))
		return NFS3ERR_ACCES;
	/* From an unreserved port an AUTH_SYS identity proves nothing. */
	if (!export_port_ok(ex, rpc_conn_peer_addr(req->conn), req->cred.flavor))
		return NFS3ERR_PERM;
	if (!export_sec_ok(ex, rpc_conn_peer_addr(req->conn), &req->cred))
		return NFS3ERR_ACCES;
	export_cred(ex, rpc_conn_peer_addr(req->conn), &req->cred, &c->cred);
	int rc = ex->ops->getattr(ex->bex, &fh->bh, attr);
	if (rc != 0)
		return rc == -ENOENT ? NFS3ERR_STALE : nfs3_errno(rc);
	if (for_write && export_read_only(ex, rpc_conn_peer_addr(req->conn)))
		return NFS3ERR_ROFS;
	return NFS3_OK;
}

enum nfsstat3 nfs3_resolve_post(struct nfs3_call *c, const struct nfs3_fh *wire, struct fh *fh,
				struct backend_attr *attr, struct nfs3_post_attr *post)
{
	enum nfsstat3 st = nfs3_resolve(c, wire, false, fh, attr);
	if (st == NFS3_OK)
		nfs3_post_from(fh->export, attr, post);
	return st;
}

enum nfsstat3 nfs3_resolve_post_typed(struct nfs3_call *c, const struct nfs3_fh *wire,
				      enum backend_ftype type, enum nfsstat3 wrong, struct fh *fh,
				      struct backend_attr *attr, struct nfs3_post_attr *post)
{
	enum nfsstat3 st = nfs3_resolve_post(c, wire, fh, attr, post);
	if (st == NFS3_OK && attr->type != type)
		st = wrong;
	return st;
}

enum nfsstat3 nfs3_resolve_change(struct nfs3_call *c, const struct nfs3_fh *wire, struct fh *fh,
				  struct backend_attr *before, struct nfs3_wcc *wcc)
{
	enum nfsstat3 st = nfs3_resolve(c, wire, true, fh, before);
	if (st == NFS3ERR_ROFS)
		nfs3_post_from(fh->export, before, &wcc->after);
	else if (st == NFS3_OK)
		nfs3_pre_from(before, &wcc->before);
	return st;
}

enum nfsstat3 nfs3_name(const struct nfs3_str *wire, char name[BACKEND_NAME_MAX + 1])
{
	if (wire->len == 0)
		return NFS3ERR_ACCES;
	if (wire->len > BACKEND_NAME_MAX)
		return NFS3ERR_NAMETOOLONG;
	if (memchr(wire->data, '/', wire->len) || memchr(wire->data, '\0', wire->len))
		return NFS3ERR_ACCES;
	memcpy(name, wire->data, wire->len);
	name[wire->len] = '\0';
	return NFS3_OK;
}

static struct nfs3_time time_from(struct timespec ts)
{
	return (struct nfs3_time){(uint32_t)ts.tv_sec, (uint32_t)ts.tv_nsec};
}

void nfs3_fattr_from(const struct export *ex, const struct backend_attr *a, struct nfs3_fattr *out)
{
	/* enum backend_ftype has ftype3's numbers. */
	out->type = (uint32_t)a->type;
	out->mode = a->mode & 07777;
	out->nlink = a->nlink;
	out->uid = a->uid;
	out->gid = a->gid;
	out->size = a->size;
	out->used = a->space_used;
	out->rdev_major = a->rdev_major;
	out->rdev_minor = a->rdev_minor;
	/* One file system per export, as NFSv4's fsid says. */
	out->fsid = ex->id;
	out->fileid = a->fileid;
	out->atime = time_from(a->atime);
	out->mtime = time_from(a->mtime);
	out->ctime = time_from(a->ctime);
}

void nfs3_post_from(const struct export *ex, const struct backend_attr *a,
		    struct nfs3_post_attr *out)
{
	out->present = true;
	nfs3_fattr_from(ex, a, &out->attr);
}

void nfs3_pre_from(const struct backend_attr *a, struct nfs3_pre_attr *out)
{
	out->present = true;
	out->attr.size = a->size;
	out->attr.mtime = time_from(a->mtime);
	out->attr.ctime = time_from(a->ctime);
}

void nfs3_post_now(struct nfs3_call *c, const struct fh *fh, struct nfs3_post_attr *post)
{
	(void)c;
	struct backend_attr a;
	struct export *ex = fh->export;
	post->present = ex->ops->getattr(ex->bex, &fh->bh, &a) == 0;
	if (post->present)
		nfs3_fattr_from(ex, &a, &post->attr);
}

bool nfs3_fh_make(struct nfs3_call *c, struct export *ex, const struct backend_handle *bh,
		  struct fh *out)
{
	fh_from_object(c->srv->exports, ex, bh, out);
	if (out->wire_len <= FH_V3_MAX)
		return true;
	log_ratelimited("nfs3: export %s: a back-end handle of %u bytes has no NFSv3 form "
			"(at most %u)",
			ex->name, bh->len, (unsigned)(FH_V3_MAX - (out->wire_len - bh->len)));
	return false;
}

void nfs3_durable_note(struct nfs3_call *c, struct export *ex, const struct backend_handle *h,
		       unsigned what)
{
	if (!export_durable_needed(ex))
		return;
	if (!c->pending)
		c->pending = calloc(1, sizeof(*c->pending));
	if (c->pending)
		export_durable_add(&c->pending->w, ex, h, what);
	else
		export_durable_sync_now(ex, h, what); /* no memory to wait with the others */
}

bool nfs3_reserve_reply(struct nfs3_call *c, size_t bytes, struct nfs3_res *r)
{
	switch (rpc_request_reserve(c->req, bytes)) {
	case RPC_RESERVED:
		return true;
	case RPC_RESERVE_WAIT:
		/* A connection whose client reads slowly waits for room. */
		if (rpc_request_wait_memory(c->req)) {
			c->parked = true;
			return false;
		}
		/* fall through */
	case RPC_RESERVE_REFUSED:
	default:
		r->status = NFS3ERR_JUKEBOX;
		return false;
	}
}

static enum nfsstat3 deleg_status(struct nfs3_call *c, enum nfsstat4 st)
{
	if (st == NFS4_OK)
		return NFS3_OK;
	struct nfs3_server *srv = c->srv;
	/* The recall goes out now, not with the next NFSv4 call. */
	state_outbox_kick(srv->state);
	atomic_fetch_add_explicit(&srv->jukebox, 1, memory_order_relaxed);
	return NFS3ERR_JUKEBOX;
}

enum nfsstat3 nfs3_deleg_break(struct nfs3_call *c, const struct fh *fh, bool write)
{
	struct state_server *st = c->srv->state;
	if (!st || !(write ? state_deleg_any(st) : state_deleg_any_write(st)))
		return NFS3_OK;
	struct state_file_key key = {.export_id = fh->export->id, .bh = fh->bh};
	/* Client 0: a v3 caller holds no NFSv4 state, so every holder's
	 * delegation is another's. */
	return deleg_status(c, state_deleg_break(st, &key, 0, NULL, write));
}

enum nfsstat3 nfs3_deleg_break_name(struct nfs3_call *c, const struct fh *dir, const char *name)
{
	struct state_server *st = c->srv->state;
	if (!st)
		return NFS3_OK;
	/* Client 0, as nfs3_deleg_break's. */
	return deleg_status(c, export_deleg_break_name(st, dir->export, &c->cred, &dir->bh, name, 0));
}

enum nfsstat3 nfs3_dirdeleg_break(struct nfs3_call *c, const struct fh *dir)
{
	struct state_server *st = c->srv->state;
	if (!st || !state_dirdeleg_any(st))
		return NFS3_OK;
	struct state_file_key key = {.export_id = dir->export->id, .bh = dir->bh};
	/* NFSv4 sends CB_NOTIFY for its own changes; a v3 change is told by
	 * a recall of every delegation on the directory, whatever its holder
	 * asked to be told (need 0: a change no notification describes). */
	return deleg_status(c, state_dirdeleg_break(st, &key, 0, 0));
}
