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
	int rc = 0;
	if (p->access && p->access->count == 0) {
		/* Removed: the ACL the mode makes, which keeps nothing else. */
		struct backend_attr a;
		rc = ex->ops->getattr(ex->bex, bh, &a);
		if (rc == 0)
			backend_acl_from_mode(a.mode, p->access);
	}
	if (rc == 0 && p->access)
		rc = ex->ops->set_acl(ex->bex, cred, bh, BACKEND_ACL_ACCESS, p->access);
	if (rc == 0 && p->dflt && (is_dir(type) || p->dflt->count))
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

void nfs4_acl_attrs_clear(struct nfs4_bitmap *attrset)
{
	nfs4_bitmap_clear(attrset, FATTR4_ACL);
	nfs4_bitmap_clear(attrset, FATTR4_DACL);
	nfs4_bitmap_clear(attrset, FATTR4_POSIX_ACCESS_ACL);
	nfs4_bitmap_clear(attrset, FATTR4_POSIX_DEFAULT_ACL);
}

/* --- POSIX ACLs as they are (draft-ietf-nfsv4-posix-acls) ----------------- */

static const struct {
	uint16_t backend; /* enum backend_acl_tag */
	uint32_t wire;    /* POSIXACE4_TAG_* */
} posix_tags[] = {
	{BACKEND_ACL_USER_OBJ, POSIXACE4_TAG_USER_OBJ}, {BACKEND_ACL_USER, POSIXACE4_TAG_USER},
	{BACKEND_ACL_GROUP_OBJ, POSIXACE4_TAG_GROUP_OBJ}, {BACKEND_ACL_GROUP, POSIXACE4_TAG_GROUP},
	{BACKEND_ACL_MASK, POSIXACE4_TAG_MASK},		  {BACKEND_ACL_OTHER, POSIXACE4_TAG_OTHER},
};

enum nfsstat4 nfs4_posix_acl_read(const struct backend_cred *cred, const struct fh *fh,
				  enum backend_ftype type, enum backend_acl_kind kind,
				  struct xdr_enc *buf, struct nfs4_posix_acl *out, bool *none)
{
	struct export *ex = fh->export;
	*none = false;
	struct backend_acl *acl = malloc(sizeof(*acl));
	if (!acl)
		return NFS4ERR_RESOURCE;
	int rc = 0;
	if (kind == BACKEND_ACL_DEFAULT && !is_dir(type))
		acl->count = 0;
	else
		rc = ex->ops->get_acl(ex->bex, cred, &fh->bh, kind, acl);
	enum nfsstat4 st = NFS4_OK;
	if (rc == -ENOTSUP) {
		*none = true;
		goto out;
	}
	if (rc) {
		st = nfs4_errno_to_status(rc);
		goto out;
	}
	if (!xdr_enc_init(buf, 64 + 32 * (size_t)acl->count, 64 * 1024 * 1024)) {
		st = NFS4ERR_RESOURCE;
		goto out;
	}
	bool ok = true;
	for (uint32_t i = 0; ok && i < acl->count; i++) {
		const struct backend_acl_entry *e = &acl->e[i];
		char digits[16];
		struct nfs4_posix_ace ace = {0, e->perm, {NULL, 0}};
		for (size_t k = 0; k < sizeof(posix_tags) / sizeof(posix_tags[0]); k++)
			if (posix_tags[k].backend == e->tag)
				ace.tag = posix_tags[k].wire;
		if (e->tag == BACKEND_ACL_USER || e->tag == BACKEND_ACL_GROUP)
			ace.who = nfs4_owner_string(digits, e->id);
		ok = nfs4_posix_ace_encode(buf, &ace);
	}
	if (!ok || buf->overflow) {
		xdr_enc_release(buf);
		st = NFS4ERR_RESOURCE;
		goto out;
	}
	*out = (struct nfs4_posix_acl){acl->count, {buf->buf->data, (uint32_t)xdr_enc_len(buf)}};
out:
	free(acl);
	return st;
}

/* A posixace4<> from a request into out, in tag and id order. */
static enum nfsstat4 posix_acl_from_wire(const struct nfs4_server *srv,
					 const struct nfs4_posix_acl *wire, struct backend_acl *out)
{
	out->count = 0;
	if (wire->count > NFS4_ACL_MAX_ACES)
		return NFS4ERR_FBIG;
	struct xdr_dec d;
	xdr_dec_init(&d, wire->aces.data, wire->aces.len);
	for (uint32_t i = 0; i < wire->count; i++) {
		struct nfs4_posix_ace ace;
		if (!nfs4_posix_acl_next(&d, &ace))
			return NFS4ERR_BADXDR; /* checked when decoded: cannot happen */
		struct backend_acl_entry *e = &out->e[out->count++];
		*e = (struct backend_acl_entry){0, (uint16_t)ace.perm, 0};
		for (size_t k = 0; k < sizeof(posix_tags) / sizeof(posix_tags[0]); k++)
			if (posix_tags[k].wire == ace.tag)
				e->tag = posix_tags[k].backend;
		if (ace.tag == POSIXACE4_TAG_USER || ace.tag == POSIXACE4_TAG_GROUP) {
			enum nfsstat4 st = nfs4_owner_decode(srv, ace.who.data, ace.who.len,
							     ace.tag == POSIXACE4_TAG_GROUP, &e->id);
			if (st != NFS4_OK)
				return st == NFS4ERR_INVAL ? NFS4ERR_BADOWNER : st;
		}
	}
	backend_acl_sort(out);
	return NFS4_OK;
}

enum nfsstat4 nfs4_acl_map_sattr(const struct nfs4_server *srv, const struct nfs4_sattr *s,
				 enum backend_ftype type, struct nfs4_acl_posix *out)
{
	out->access = out->dflt = NULL;
	if (!s->has_posix_access && !s->has_posix_default)
		return nfs4_acl_map(srv, &s->acl, type, out);
	enum nfsstat4 st = NFS4_OK;
	if (s->has_posix_access) {
		out->access = malloc(sizeof(*out->access));
		st = out->access ? posix_acl_from_wire(srv, &s->posix_access, out->access)
				 : NFS4ERR_RESOURCE;
	}
	if (st == NFS4_OK && s->has_posix_default) {
		out->dflt = malloc(sizeof(*out->dflt));
		st = out->dflt ? posix_acl_from_wire(srv, &s->posix_default, out->dflt)
			       : NFS4ERR_RESOURCE;
	}
	return st;
}
