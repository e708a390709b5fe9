/* READDIR and READDIRPLUS: entries encoded straight into the reply, up to
 * the client's limits.
 *
 * The back end's cookies stay valid across calls and restarts while their
 * entries exist, so the cookie verifier never needs to change: it is the
 * directory's fileid.  As for NFSv4 (docs/DECISIONS.md, "READDIR cookie
 * verifiers are not checked") the verifier a client sends back is not
 * looked at: clients that send one of their own (libnfs) list as others
 * do.  A cookie the back end never made is NFS3ERR_BAD_COOKIE.
 *
 * The back end lists no "." and "..", which NFSv3 clients expect (knfsd
 * lists them): they come first here, with cookies 1 and 2, which no back
 * end hands out (NFSv4 reserves them), so that a listing may stop after
 * either and go on. */
#include <errno.h>
#include <string.h>

#include "nfs3/nfs3_internal.h"

struct listing {
	struct nfs3_call *c;
	struct export *ex;
	struct xdr_enc *e;
	bool plus;
	size_t start;	  /* where the results begin in the reply */
	uint32_t maxcount; /* bytes of the whole result */
	uint32_t dircount; /* READDIRPLUS: bytes of the entries' entry3 parts */
	uint32_t dir_used;
	unsigned n;
	bool full;
};

/* Room kept after the entries: the list's end and eof. */
enum { LIST_END = 8 };

static bool list_one(void *ctx, const struct backend_dirent *ent)
{
	struct listing *l = ctx;
	struct nfs3_entry e = {
		.fileid = ent->attr ? ent->attr->fileid : 0,
		.name = {(const uint8_t *)ent->name, (uint32_t)ent->namelen},
		.cookie = ent->cookie,
	};
	/* Without attributes (gone meanwhile) an entry is left out: its
	 * fileid is not known. */
	if (!ent->attr || !ent->handle)
		return true;
	struct fh fh; /* encoded below, before this returns */
	if (l->plus) {
		nfs3_post_from(l->ex, ent->attr, &e.attr);
		e.fh.present = nfs3_fh_make(l->c, l->ex, ent->handle, &fh);
		e.fh.fh = (struct nfs3_fh){fh.wire, fh.wire_len};
	}
	uint32_t size = nfs3_entry_size(&e, l->plus);
	uint32_t dsize = nfs3_entry_size(&e, false);
	size_t used = xdr_enc_len(l->e) - l->start;
	if (used + size + LIST_END > l->maxcount ||
	    (l->plus && l->dir_used + dsize > l->dircount)) {
		l->full = true;
		return false;
	}
	struct xdr_stream x = XDR_ENC_STREAM(l->e);
	if (!nfs3_xdr_entry(&x, &e, l->plus)) {
		l->full = true;
		return false;
	}
	l->dir_used += dsize;
	l->n++;
	return true;
}

static void readdir_common(struct nfs3_call *c, struct nfs3_readdir_args *ra, struct nfs3_res *r,
			   bool *encoded, bool plus)
{
	struct fh dir;
	struct backend_attr attr;
	if ((r->status = nfs3_resolve_post_typed(c, &ra->dir, BACKEND_DIR, NFS3ERR_NOTDIR, &dir, &attr,
						 &r->attr)) != NFS3_OK)
		return;
	struct export *ex = dir.export;
	uint8_t verf[NFS3_COOKIEVERFSIZE];
	for (int i = 0; i < 8; i++)
		verf[i] = (uint8_t)(attr.fileid >> (56 - 8 * i));
	uint32_t maxcount = plus ? ra->maxcount : ra->count;
	uint32_t cap = c->srv->max_io;
	if (maxcount > cap)
		maxcount = cap;
	/* As READ: a large listing counts against the memory budgets first. */
	if (maxcount >= 65536 && !nfs3_reserve_reply(c, maxcount, r))
		return;
	struct xdr_enc *e = &c->req->reply;
	size_t start = xdr_enc_len(e);
	memcpy(r->u.readdir.verf, verf, sizeof(verf));
	struct xdr_stream x = XDR_ENC_STREAM(e);
	if (!nfs3_xdr_readdir_head(&x, r)) {
		e->overflow = false;
		e->buf->len = start;
		r->status = NFS3ERR_IO;
		return;
	}
	struct listing l = {
		.c = c,
		.ex = ex,
		.e = e,
		.plus = plus,
		.start = start,
		.maxcount = maxcount,
		.dircount = ra->count,
	};
	bool eof = false;
	int rc = 0;
	uint64_t from = ra->cookie;
	if (from == 0 || from == 1) {
		if (from == 0) {
			struct backend_dirent dot = {.name = ".", .namelen = 1, .cookie = 1,
						     .handle = &dir.bh, .attr = &attr};
			list_one(&l, &dot);
		}
		struct backend_handle pbh;
		struct backend_attr pattr;
		/* The export's root is its own parent, as LOOKUP says. */
		if (ex->ops->lookup_parent(ex->bex, &c->cred, &dir.bh, &pbh, &pattr) != 0) {
			pbh = dir.bh;
			pattr = attr;
		}
		struct backend_dirent dotdot = {.name = "..", .namelen = 2, .cookie = 2,
						.handle = &pbh, .attr = &pattr};
		if (!l.full)
			list_one(&l, &dotdot);
		from = 0;
	} else if (from == 2) {
		from = 0;
	}
	if (!l.full)
		rc = ex->ops->readdir(ex->bex, &c->cred, &dir.bh, from, NULL, list_one, &l, &eof);
	if (rc == 0 && l.n == 0 && l.full)
		rc = -ERANGE; /* not even one entry fits */
	if (rc != 0) {
		e->overflow = false;
		e->buf->len = start;
		r->status = rc == -ERANGE ? NFS3ERR_TOOSMALL
			    : rc == -EINVAL ? NFS3ERR_BAD_COOKIE
					    : nfs3_errno(rc);
		return;
	}
	if (l.full)
		eof = false;
	if (!nfs3_xdr_dirlist_end(&x, &eof)) {
		e->overflow = false;
		e->buf->len = start;
		r->status = NFS3ERR_IO;
		return;
	}
	*encoded = true;
}

void nfs3_readdir(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	readdir_common(c, &a->readdir, r, encoded, false);
}

void nfs3_readdirplus(struct nfs3_call *c, union nfs3_args *a, struct nfs3_res *r, bool *encoded)
{
	readdir_common(c, &a->readdir, r, encoded, true);
}
