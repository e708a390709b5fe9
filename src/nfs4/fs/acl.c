/* The acl and dacl attributes (acl.h). */
#include "nfs4/fs/acl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs4/engine/compound.h"
#include "nfs4/fs/acl_map.h"
#include "nfs4/fs/fattr.h"

static const struct {
	const char *name;
	enum nfs4_ace_who who;
} special_whos[] = {
	{"OWNER@", NFS4_ACE_WHO_OWNER},
	{"GROUP@", NFS4_ACE_WHO_GROUP},
	{"EVERYONE@", NFS4_ACE_WHO_EVERYONE},
};

bool nfs4_acl_supported(const struct fh *fh)
{
	return fh->kind == FH_EXPORT && fh->export->acls;
}

static bool is_dir(enum backend_ftype type)
{
	return type == BACKEND_DIR;
}

/* --- reading --------------------------------------------------------------- */

static bool encode_ace(struct xdr_enc *e, const struct nfs4_ace_val *v)
{
	char digits[16];
	struct nfs4_ace ace = {v->type, v->flag, v->mask, {0}};
	if (v->who == NFS4_ACE_WHO_NAMED) {
		ace.who = nfs4_owner_string(digits, v->id);
	} else {
		for (size_t i = 0; i < sizeof(special_whos) / sizeof(special_whos[0]); i++)
			if (special_whos[i].who == v->who)
				ace.who = (struct nfs4_opaque){
					(const uint8_t *)special_whos[i].name,
					(uint32_t)strlen(special_whos[i].name)};
	}
	return nfs4_ace_encode(e, &ace);
}

enum nfsstat4 nfs4_acl_read(const struct backend_cred *cred, const struct fh *fh,
			    enum backend_ftype type, struct xdr_enc *buf, struct nfs4_acl *out,
			    bool *none)
{
	struct export *ex = fh->export;
	bool dir = is_dir(type);
	struct backend_acl *access = malloc(sizeof(*access));
	struct backend_acl *dflt = dir ? malloc(sizeof(*dflt)) : NULL;
	struct nfs4_ace_val *aces = NULL;
	enum nfsstat4 st = NFS4_OK;
	*none = false;
	if (!access || (dir && !dflt)) {
		st = NFS4ERR_RESOURCE;
		goto out;
	}
	int rc = ex->ops->get_acl(ex->bex, cred, &fh->bh, BACKEND_ACL_ACCESS, access);
	if (rc == 0 && dir)
		rc = ex->ops->get_acl(ex->bex, cred, &fh->bh, BACKEND_ACL_DEFAULT, dflt);
	if (rc == -ENOTSUP || rc == -EOPNOTSUPP) {
		*none = true;
		goto out;
	}
	if (rc) {
		st = nfs4_errno_to_status(rc);
		goto out;
	}
	uint32_t cap = nfs4_acl_map_max(access->count) + (dir ? nfs4_acl_map_max(dflt->count) : 0);
	aces = malloc(cap * sizeof(*aces));
	if (!aces || !xdr_enc_init(buf, 64 + 32 * (size_t)cap, 64 * 1024 * 1024)) {
		st = NFS4ERR_RESOURCE;
		goto out;
	}
	uint32_t n = nfs4_acl_from_posix(access, dir, false, aces);
	if (dir)
		n += nfs4_acl_from_posix(dflt, dir, true, aces + n);
	bool ok = true;
	for (uint32_t i = 0; ok && i < n; i++)
		ok = encode_ace(buf, &aces[i]);
	if (!ok || buf->overflow) {
		xdr_enc_release(buf);
		st = NFS4ERR_RESOURCE;
		goto out;
	}
	*out = (struct nfs4_acl){n, {buf->buf->data, (uint32_t)xdr_enc_len(buf)}};
out:
	free(access);
	free(dflt);
	free(aces);
	return st;
}

/* --- setting ---------------------------------------------------------------- */

static enum nfsstat4 decode_who(const struct nfs4_server *srv, const struct nfs4_ace *ace,
				struct nfs4_ace_val *v)
{
	for (size_t i = 0; i < sizeof(special_whos) / sizeof(special_whos[0]); i++) {
		size_t len = strlen(special_whos[i].name);
		if (ace->who.len == len && memcmp(ace->who.data, special_whos[i].name, len) == 0) {
			v->who = special_whos[i].who;
			return NFS4_OK;
		}
	}
	v->who = NFS4_ACE_WHO_NAMED;
	enum nfsstat4 st = nfs4_owner_decode(srv, ace->who.data, ace->who.len,
					     (ace->flag & ACE4_IDENTIFIER_GROUP) != 0, &v->id);
	return st == NFS4ERR_INVAL ? NFS4ERR_BADOWNER : st; /* an empty who */
}

enum nfsstat4 nfs4_acl_map(const struct nfs4_server *srv, const struct nfs4_acl *acl,
			   enum backend_ftype type, struct nfs4_acl_posix *out)
{
	out->access = out->dflt = NULL;
	if (acl->count > NFS4_ACL_MAX_ACES)
		return NFS4ERR_FBIG;
	struct nfs4_ace_val *v = malloc((acl->count ? acl->count : 1) * sizeof(*v));
	out->access = malloc(sizeof(*out->access));
	out->dflt = malloc(sizeof(*out->dflt));
	if (!v || !out->access || !out->dflt) {
		free(v);
		return NFS4ERR_RESOURCE;
	}
	enum nfsstat4 st = NFS4_OK;
	struct xdr_dec d;
	xdr_dec_init(&d, acl->aces.data, acl->aces.len);
	for (uint32_t i = 0; st == NFS4_OK && i < acl->count; i++) {
		struct nfs4_ace ace;
		if (!nfs4_acl_next(&d, &ace)) {
			st = NFS4ERR_BADXDR; /* checked when decoded: cannot happen */
			break;
		}
		v[i] = (struct nfs4_ace_val){ace.type, ace.flag, ace.access_mask, 0, 0};
		st = decode_who(srv, &ace, &v[i]);
	}
	if (st == NFS4_OK) {
		int rc = nfs4_acl_to_posix(v, acl->count, is_dir(type), out->access, out->dflt);
		st = rc == -EINVAL  ? NFS4ERR_ATTRNOTSUPP
		     : rc == -EFBIG ? NFS4ERR_FBIG
				    : nfs4_errno_to_status(rc);
	}
	free(v);
	return st;
}

enum nfsstat4 nfs4_acl_apply(const struct backend_cred *cred, struct export *ex,
			     const struct backend_handle *bh, enum backend_ftype type,
			     const struct nfs4_acl_posix *p)
{
	int rc = ex->ops->set_acl(ex->bex, cred, bh, BACKEND_ACL_ACCESS, p->access);
	if (rc == 0 && is_dir(type))
		rc = ex->ops->set_acl(ex->bex, cred, bh, BACKEND_ACL_DEFAULT, p->dflt);
	/* A file system that turned out to keep none for it (a symbolic
	 * link): the attribute is not supported there. */
	if (rc == -ENOTSUP || rc == -EOPNOTSUPP)
		return NFS4ERR_ATTRNOTSUPP;
	return nfs4_errno_to_status(rc);
}

void nfs4_acl_posix_free(struct nfs4_acl_posix *p)
{
	free(p->access);
	free(p->dflt);
	p->access = p->dflt = NULL;
}
