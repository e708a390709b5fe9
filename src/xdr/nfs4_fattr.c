#include "xdr/nfs4_fattr.h"
#include "xdr/nfs4_codec_stream.h"

static bool xdr_settime(struct xdr_stream *x, struct nfs4_settime *t)
{
	if (xdr_is_dec(x))
		t->time = (struct timespec){0};
	if (!xdr_u32(x, &t->how))
		return false;
	switch (t->how) {
	case SET_TO_SERVER_TIME4:
		return true;
	case SET_TO_CLIENT_TIME4:
		return xdr_time(x, &t->time);
	default:
		return xdr_refuse(x);
	}
}

static bool xdr_open_arguments(struct xdr_stream *x, struct nfs4_open_arguments *oa)
{
	bool extra;
	return xdr_bitmap(x, &oa->share_access, &extra) &&
	       xdr_bitmap(x, &oa->share_deny, &extra) &&
	       xdr_bitmap(x, &oa->share_access_want, &extra) &&
	       xdr_bitmap(x, &oa->open_claim, &extra) && xdr_bitmap(x, &oa->create_mode, &extra);
}

XDR_ITEM(ace)

/* The smallest ACE on the wire: three words and an empty who. */
enum { ACE_WIRE_MIN = 16 };

static bool xdr_acl(struct xdr_stream *x, struct nfs4_acl *acl)
{
	if (!xdr_u32(x, &acl->count))
		return false;
	if (xdr_is_enc(x))
		return xdr_fixed_ref(x, acl->aces.len, &acl->aces.data);
	if (acl->count > xdr_dec_remaining(x->d) / ACE_WIRE_MIN)
		return false;
	struct nfs4_ace scratch;
	struct xdr_dec span;
	if (!xdr_dec_span(x, acl->count, xdr_ace_item, &scratch, &span))
		return false;
	acl->aces = (struct nfs4_opaque){span.p, (uint32_t)(span.end - span.p)};
	return true;
}

bool nfs4_acl_decode(struct xdr_dec *d, struct nfs4_acl *acl)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_acl(&x, acl);
}

bool nfs4_acl_next(struct xdr_dec *d, struct nfs4_ace *out)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_dec_remaining(d) > 0 && xdr_ace(&x, out);
}

bool nfs4_ace_encode(struct xdr_enc *e, const struct nfs4_ace *a)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_ace(&x, (struct nfs4_ace *)a); /* encoding only reads it */
}

/* posixace4: decoding refuses a tag the draft does not define, bits
 * beyond rwx, and a USER or GROUP entry that names nobody. */
static bool xdr_posix_ace(struct xdr_stream *x, struct nfs4_posix_ace *a)
{
	if (!xdr_u32(x, &a->tag) || !xdr_u32(x, &a->perm) ||
	    !xdr_opaque(x, NFS4_OPAQUE_LIMIT, &a->who))
		return false;
	bool named = a->tag == POSIXACE4_TAG_USER || a->tag == POSIXACE4_TAG_GROUP;
	return xdr_dec_check(x, a->tag >= POSIXACE4_TAG_USER_OBJ && a->tag <= POSIXACE4_TAG_OTHER &&
					!(a->perm & ~7u) && (!named || a->who.len > 0));
}

XDR_ITEM(posix_ace)

/* The smallest POSIX ACE on the wire: tag, perm and an empty who. */
enum { POSIX_ACE_WIRE_MIN = 12 };

static bool xdr_posix_acl(struct xdr_stream *x, struct nfs4_posix_acl *acl)
{
	if (!xdr_u32(x, &acl->count))
		return false;
	if (xdr_is_enc(x))
		return xdr_fixed_ref(x, acl->aces.len, &acl->aces.data);
	if (acl->count > xdr_dec_remaining(x->d) / POSIX_ACE_WIRE_MIN)
		return false;
	struct nfs4_posix_ace scratch;
	struct xdr_dec span;
	if (!xdr_dec_span(x, acl->count, xdr_posix_ace_item, &scratch, &span))
		return false;
	acl->aces = (struct nfs4_opaque){span.p, (uint32_t)(span.end - span.p)};
	return true;
}

bool nfs4_posix_acl_decode(struct xdr_dec *d, struct nfs4_posix_acl *acl)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_posix_acl(&x, acl);
}

bool nfs4_posix_acl_next(struct xdr_dec *d, struct nfs4_posix_ace *out)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_dec_remaining(d) > 0 && xdr_posix_ace(&x, out);
}

bool nfs4_posix_ace_encode(struct xdr_enc *e, const struct nfs4_posix_ace *a)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_posix_ace(&x, (struct nfs4_posix_ace *)a); /* encoding only reads it */
}

/* One attribute's value.  *known is false for an attribute without a field,
 * which neither direction can step over.  Inlined into the two loops below
 * so each gets a switch of its own direction (GETATTR and READDIR replies
 * run the encoding one for every attribute). */
XDR_HOT bool xdr_value(struct xdr_stream *x, unsigned bit, struct nfs4_attrs *a, bool *known)
{
	/* Decoding: attributes past what Ferry knows are of no use to it. */
	bool extra;
	*known = true;
	switch (bit) {
	case FATTR4_SUPPORTED_ATTRS: return xdr_bitmap(x, &a->supported_attrs, &extra);
	case FATTR4_TYPE: return xdr_u32(x, &a->type);
	case FATTR4_FH_EXPIRE_TYPE: return xdr_u32(x, &a->fh_expire_type);
	case FATTR4_CHANGE: return xdr_u64(x, &a->change);
	case FATTR4_SIZE: return xdr_u64(x, &a->size);
	case FATTR4_LINK_SUPPORT: return xdr_bool(x, &a->link_support);
	case FATTR4_SYMLINK_SUPPORT: return xdr_bool(x, &a->symlink_support);
	case FATTR4_NAMED_ATTR: return xdr_bool(x, &a->named_attr);
	case FATTR4_FSID: return xdr_u64(x, &a->fsid.major) && xdr_u64(x, &a->fsid.minor);
	case FATTR4_UNIQUE_HANDLES: return xdr_bool(x, &a->unique_handles);
	case FATTR4_LEASE_TIME: return xdr_u32(x, &a->lease_time);
	case FATTR4_RDATTR_ERROR: return xdr_u32(x, &a->rdattr_error);
	case FATTR4_ACL: return xdr_acl(x, &a->acl);
	case FATTR4_ACLSUPPORT: return xdr_u32(x, &a->aclsupport);
	case FATTR4_CANSETTIME: return xdr_bool(x, &a->cansettime);
	case FATTR4_CASE_INSENSITIVE: return xdr_bool(x, &a->case_insensitive);
	case FATTR4_CASE_PRESERVING: return xdr_bool(x, &a->case_preserving);
	case FATTR4_CHOWN_RESTRICTED: return xdr_bool(x, &a->chown_restricted);
	case FATTR4_FILEHANDLE: return xdr_fh(x, &a->filehandle);
	case FATTR4_FILEID: return xdr_u64(x, &a->fileid);
	case FATTR4_FILES_AVAIL: return xdr_u64(x, &a->files_avail);
	case FATTR4_FILES_FREE: return xdr_u64(x, &a->files_free);
	case FATTR4_FILES_TOTAL: return xdr_u64(x, &a->files_total);
	case FATTR4_HOMOGENEOUS: return xdr_bool(x, &a->homogeneous);
	case FATTR4_MAXFILESIZE: return xdr_u64(x, &a->maxfilesize);
	case FATTR4_MAXLINK: return xdr_u32(x, &a->maxlink);
	case FATTR4_MAXNAME: return xdr_u32(x, &a->maxname);
	case FATTR4_MAXREAD: return xdr_u64(x, &a->maxread);
	case FATTR4_MAXWRITE: return xdr_u64(x, &a->maxwrite);
	case FATTR4_MODE: return xdr_u32(x, &a->mode);
	case FATTR4_NO_TRUNC: return xdr_bool(x, &a->no_trunc);
	case FATTR4_NUMLINKS: return xdr_u32(x, &a->numlinks);
	case FATTR4_OWNER: return xdr_opaque(x, NFS4_OPAQUE_LIMIT, &a->owner);
	case FATTR4_OWNER_GROUP: return xdr_opaque(x, NFS4_OPAQUE_LIMIT, &a->owner_group);
	case FATTR4_RAWDEV: return xdr_u32(x, &a->rawdev_major) && xdr_u32(x, &a->rawdev_minor);
	case FATTR4_SPACE_AVAIL: return xdr_u64(x, &a->space_avail);
	case FATTR4_SPACE_FREE: return xdr_u64(x, &a->space_free);
	case FATTR4_SPACE_TOTAL: return xdr_u64(x, &a->space_total);
	case FATTR4_SPACE_USED: return xdr_u64(x, &a->space_used);
	case FATTR4_TIME_ACCESS: return xdr_time(x, &a->time_access);
	case FATTR4_TIME_ACCESS_SET: return xdr_settime(x, &a->time_access_set);
	case FATTR4_TIME_CREATE: return xdr_time(x, &a->time_create);
	case FATTR4_TIME_DELTA: return xdr_time(x, &a->time_delta);
	case FATTR4_TIME_METADATA: return xdr_time(x, &a->time_metadata);
	case FATTR4_TIME_MODIFY: return xdr_time(x, &a->time_modify);
	case FATTR4_TIME_MODIFY_SET: return xdr_settime(x, &a->time_modify_set);
	case FATTR4_MOUNTED_ON_FILEID: return xdr_u64(x, &a->mounted_on_fileid);
	case FATTR4_SUPPATTR_EXCLCREAT: return xdr_bitmap(x, &a->suppattr_exclcreat, &extra);
	case FATTR4_TIME_DELEG_ACCESS: return xdr_time(x, &a->time_deleg_access);
	case FATTR4_TIME_DELEG_MODIFY: return xdr_time(x, &a->time_deleg_modify);
	case FATTR4_OPEN_ARGUMENTS: return xdr_open_arguments(x, &a->open_arguments);
	case FATTR4_XATTR_SUPPORT: return xdr_bool(x, &a->xattr_support);
	case FATTR4_MODE_SET_MASKED:
		return xdr_u32(x, &a->mode_set_masked.value) && xdr_u32(x, &a->mode_set_masked.mask);
	case FATTR4_CLONE_BLKSIZE: return xdr_u32(x, &a->clone_blksize);
	case FATTR4_SPACE_FREED: return xdr_u64(x, &a->space_freed);
	case FATTR4_CHANGE_ATTR_TYPE: return xdr_u32(x, &a->change_attr_type);
	case FATTR4_DACL: return xdr_u32(x, &a->dacl.flag) && xdr_acl(x, &a->dacl.acl);
	case FATTR4_ACL_TRUEFORM: return xdr_u32(x, &a->acl_trueform);
	case FATTR4_ACL_TRUEFORM_SCOPE: return xdr_u32(x, &a->acl_trueform_scope);
	case FATTR4_POSIX_DEFAULT_ACL: return xdr_posix_acl(x, &a->posix_default_acl);
	case FATTR4_POSIX_ACCESS_ACL: return xdr_posix_acl(x, &a->posix_access_acl);
	default:
		*known = false;
		return false;
	}
}

/* Bits 0..55, 58, 74, 75, 77..79, 82, 84..86 and 89..92: what the value
 * switches above handle. */
static const struct nfs4_bitmap known_attrs = {{
	0xffffffffu & ~(1u << FATTR4_ARCHIVE | 1u << FATTR4_FS_LOCATIONS | 1u << FATTR4_HIDDEN),
	(~(1u << (FATTR4_MIMETYPE - 32) | 1u << (FATTR4_QUOTA_AVAIL_HARD - 32) |
	  1u << (FATTR4_QUOTA_AVAIL_SOFT - 32) | 1u << (FATTR4_QUOTA_USED - 32) |
	  1u << (FATTR4_SYSTEM - 32) | 1u << (FATTR4_TIME_BACKUP - 32)) &
			((1u << (FATTR4_MOUNTED_ON_FILEID + 1 - 32)) - 1)) |
		1u << (FATTR4_DACL - 32),
	1u << (FATTR4_SUPPATTR_EXCLCREAT - 64) | 1u << (FATTR4_TIME_DELEG_ACCESS - 64) |
		1u << (FATTR4_TIME_DELEG_MODIFY - 64) | 1u << (FATTR4_OPEN_ARGUMENTS - 64) |
		1u << (FATTR4_MODE_SET_MASKED - 64) | 1u << (FATTR4_CLONE_BLKSIZE - 64) |
		1u << (FATTR4_SPACE_FREED - 64) | 1u << (FATTR4_CHANGE_ATTR_TYPE - 64) |
		1u << (FATTR4_XATTR_SUPPORT - 64) | 1u << (FATTR4_ACL_TRUEFORM - 64) |
		1u << (FATTR4_ACL_TRUEFORM_SCOPE - 64) | 1u << (FATTR4_POSIX_DEFAULT_ACL - 64) |
		1u << (FATTR4_POSIX_ACCESS_ACL - 64),
}};

bool nfs4_fattr_known(unsigned bit)
{
	return nfs4_bitmap_isset(&known_attrs, bit);
}

bool nfs4_fattr_decode_values(const struct nfs4_bitmap *mask, struct nfs4_opaque vals,
			      struct nfs4_attrs *attrs, uint32_t *bad_bit)
{
	struct xdr_dec d;
	xdr_dec_init(&d, vals.data, vals.len);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	memset(attrs, 0, sizeof(*attrs));
	*bad_bit = UINT32_MAX;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++) {
		for (uint32_t bits = mask->w[w]; bits; bits &= bits - 1) {
			unsigned bit = w * 32 + (unsigned)__builtin_ctz(bits);
			bool known;
			if (!xdr_value(&x, bit, attrs, &known)) {
				if (!known)
					*bad_bit = bit;
				return false;
			}
		}
	}
	if (xdr_dec_remaining(&d) != 0)
		return false;
	attrs->present = *mask;
	return true;
}

bool nfs4_fattr_encode_values(const struct nfs4_attrs *attrs, const struct nfs4_bitmap *mask,
			      struct xdr_enc *e)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	/* Encoding only reads the attributes (see NFS4_CODEC_PAIR). */
	struct nfs4_attrs *a = (struct nfs4_attrs *)attrs;
	bool known;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++) {
		if (mask->w[w] & ~(attrs->present.w[w] & known_attrs.w[w]))
			return false;
		for (uint32_t bits = mask->w[w]; bits; bits &= bits - 1)
			if (!xdr_value(&x, w * 32 + (unsigned)__builtin_ctz(bits), a, &known))
				return false;
	}
	return true;
}

bool nfs4_fattr_encode_attrs(const struct nfs4_attrs *attrs, const struct nfs4_bitmap *mask,
		       struct xdr_enc *e)
{
	struct nfs4_bitmap m;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
		m.w[w] = mask->w[w] & attrs->present.w[w] & known_attrs.w[w];
	if (!nfs4_encode_bitmap(e, &m) || !xdr_encode_u32(e, 0))
		return false;
	size_t len_off = xdr_enc_len(e) - 4;
	if (!nfs4_fattr_encode_values(attrs, &m, e))
		return false;
	xdr_enc_patch_u32(e, len_off, (uint32_t)(xdr_enc_len(e) - len_off - 4));
	return true;
}
