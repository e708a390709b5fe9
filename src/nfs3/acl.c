/* NFSACL version 3 (xdr/nfsacl_codec.h): GETACL and SETACL on the back
 * end's POSIX ACLs, as Linux's nfsd serves them beside NFSv3.
 *
 * GETACL answers an object without an access ACL with the one its mode
 * makes, and sends a three-entry ACL as four, with a MASK equal to
 * GROUP_OBJ: clients and Solaris expect at least four.  The owner's and
 * the owning group's entries carry their ids, the others 0.
 *
 * SETACL sets both ACLs the call carries as the caller (so only the
 * owner may; the file system decides): an access ACL the mask leaves out
 * or sends empty is removed (the mode stays), so is an empty default
 * ACL; a four-entry ACL whose MASK equals GROUP_OBJ is taken as the
 * three-entry one it stands for.  An entry with an unknown type,
 * permission bits beyond rwx on USER_OBJ, GROUP_OBJ or OTHER, an id of
 * -1 on a named one, or an ACL that is not valid (backend.h) is
 * NFS3ERR_INVAL, and nothing is changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs3/acl_wire.h"
#include "nfs3/nfs3_internal.h"

static bool acl_supported(const struct export *ex)
{
	return ex->acls && ex->ops->get_acl && ex->ops->set_acl;
}

static enum nfsstat3 acl_errno(int rc)
{
	if (rc == -ENOTSUP)
		return NFS3ERR_NOTSUPP;
	if (rc == -E2BIG)
		return NFS3ERR_FBIG; /* more entries than the file system keeps */
	return nfs3_errno(rc);
}

/* --- GETACL ---------------------------------------------------------------- */

/* One ACL the call asks for (want: its entries or its count) into list,
 * its entries in v. */
static enum nfsstat3 getacl_one(struct nfs3_call *c, const struct fh *fh,
				const struct backend_attr *attr, enum backend_acl_kind kind,
				bool entries, struct backend_acl *acl, struct nfsacl_ace *v,
				struct nfsacl_list *list)
{
	struct export *ex = fh->export;
	int rc = ex->ops->get_acl(ex->bex, &c->cred, &fh->bh, kind, acl);
	if (rc != 0)
		return acl_errno(rc);
	uint32_t n;
	if (!nfs3_acl_to_wire(acl, attr->uid, attr->gid, kind == BACKEND_ACL_DEFAULT, v, &n))
		return NFS3ERR_INVAL; /* more than NFSACL carries */
	list->count = n;
	list->n = entries ? n : 0;
	list->v = v;
	return NFS3_OK;
}

static uint32_t getacl(struct nfs3_call *c, const struct nfsacl_getacl_args *a)
{
	struct nfsacl_res r;
	memset(&r, 0, sizeof(r));
	struct fh fh;
	struct backend_attr attr;
	struct backend_acl *acl = NULL;
	struct nfsacl_ace *v = NULL;
	if ((r.status = nfs3_resolve_post(c, &a->fh, &fh, &attr, &r.attr)) != NFS3_OK)
		goto out;
	if (a->mask & ~(uint32_t)NFSACL_MASK_ALL) {
		r.status = NFS3ERR_INVAL;
		goto out;
	}
	if (!acl_supported(fh.export)) {
		r.status = NFS3ERR_NOTSUPP;
		goto out;
	}
	acl = malloc(sizeof(*acl));
	v = malloc(2 * NFSACL_MAX_ENTRIES * sizeof(*v));
	if (!acl || !v) {
		r.status = NFS3ERR_JUKEBOX;
		goto out;
	}
	r.mask = a->mask;
	if (a->mask & (NFSACL_ACL | NFSACL_ACLCNT))
		r.status = getacl_one(c, &fh, &attr, BACKEND_ACL_ACCESS, a->mask & NFSACL_ACL, acl,
				      v, &r.access);
	if (r.status == NFS3_OK && a->mask & (NFSACL_DFACL | NFSACL_DFACLCNT))
		r.status = getacl_one(c, &fh, &attr, BACKEND_ACL_DEFAULT, a->mask & NFSACL_DFACL,
				      acl, v + NFSACL_MAX_ENTRIES, &r.dflt);
out:;
	struct xdr_stream x = XDR_ENC_STREAM(&c->req->reply);
	nfsacl_xdr_res(&x, NFSACLPROC3_GETACL, &r);
	free(acl);
	free(v);
	return r.status;
}

/* --- SETACL ---------------------------------------------------------------- */

static uint32_t setacl(struct nfs3_call *c, const struct nfsacl_setacl_args *a)
{
	struct nfsacl_res r;
	memset(&r, 0, sizeof(r));
	struct fh fh;
	struct backend_attr attr;
	bool resolved = false;
	struct backend_acl *access = malloc(sizeof(*access));
	struct backend_acl *dflt = malloc(sizeof(*dflt));
	if (!access || !dflt) {
		r.status = NFS3ERR_JUKEBOX;
		goto out;
	}
	if ((r.status = nfs3_resolve(c, &a->fh, true, &fh, &attr)) != NFS3_OK) {
		if (r.status == NFS3ERR_ROFS)
			nfs3_post_from(fh.export, &attr, &r.attr);
		goto out;
	}
	resolved = true;
	struct export *ex = fh.export;
	if (!acl_supported(ex)) {
		r.status = NFS3ERR_NOTSUPP;
		goto out;
	}
	/* Both mapped before anything changes. */
	if (a->mask & NFSACL_ACL)
		r.status = nfs3_acl_from_wire(&a->access, access);
	else
		access->count = 0;
	if (r.status == NFS3_OK && a->mask & NFSACL_DFACL)
		r.status = nfs3_acl_from_wire(&a->dflt, dflt);
	else
		dflt->count = 0;
	if (r.status != NFS3_OK)
		goto out;
	/* No access ACL: the one the mode makes, which removes it. */
	if (access->count == 0)
		backend_acl_from_mode(attr.mode, access);
	if ((r.status = nfs3_deleg_break(c, &fh, true)) != NFS3_OK)
		goto out;
	int rc = ex->ops->set_acl(ex->bex, &c->cred, &fh.bh, BACKEND_ACL_ACCESS, access);
	/* Only directories have a default ACL; an empty one on anything
	 * else is nothing to remove. */
	if (rc == 0 && (attr.type == BACKEND_DIR || dflt->count))
		rc = ex->ops->set_acl(ex->bex, &c->cred, &fh.bh, BACKEND_ACL_DEFAULT, dflt);
	if (rc != 0) {
		r.status = acl_errno(rc);
		goto out;
	}
	nfs3_durable_note(c, ex, &fh.bh, BACKEND_SYNC_ATTRS);
out:
	if (resolved)
		nfs3_post_now(c, &fh, &r.attr);
	if (c->pending)
		c->pending->attr = r.attr;
	struct xdr_stream x = XDR_ENC_STREAM(&c->req->reply);
	nfsacl_xdr_res(&x, NFSACLPROC3_SETACL, &r);
	free(access);
	free(dflt);
	return r.status;
}

/* --- the program ----------------------------------------------------------- */

static bool acl_decode(struct xdr_stream *x, uint32_t proc, union nfs3_any_args *a)
{
	return nfsacl_xdr_args(x, proc, &a->acl);
}

static uint32_t acl_run(struct nfs3_call *c, uint32_t proc, union nfs3_any_args *a)
{
	return proc == NFSACLPROC3_GETACL ? getacl(c, &a->acl.getacl) : setacl(c, &a->acl.setacl);
}

/* SETACL's: a retransmission must not undo a later change. */
static bool acl_not_idempotent(uint32_t proc)
{
	return proc == NFSACLPROC3_SETACL;
}

/* Both read or write extended attributes, which may wait for a disk. */
static bool acl_may_run_inline(uint32_t proc)
{
	(void)proc;
	return false;
}

static void acl_encode_failed(struct xdr_stream *x, uint32_t proc, const struct nfs3_pending *p)
{
	struct nfsacl_res r;
	memset(&r, 0, sizeof(r));
	r.status = NFS3ERR_IO;
	r.attr = p->attr;
	nfsacl_xdr_res(x, proc, &r);
}

const struct nfs3_table nfs3_acl_table = {
	.program = "nfsacl",
	.nprocs = NFSACLPROC3_COUNT,
	.stats_base = NFS3_STATS_ACL,
	.name = nfsacl_proc_name,
	.not_idempotent = acl_not_idempotent,
	.may_run_inline = acl_may_run_inline,
	.changes_meta = acl_not_idempotent, /* SETACL, its one change */
	.decode = acl_decode,
	.run = acl_run,
	.encode_failed = acl_encode_failed,
};
