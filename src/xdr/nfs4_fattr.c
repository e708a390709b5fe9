#include "xdr/nfs4_fattr.h"

static bool dec_settime(struct xdr_dec *d, struct nfs4_settime *t)
{
	t->time = (struct timespec){0};
	if (!xdr_decode_u32(d, &t->how))
		return false;
	switch (t->how) {
	case SET_TO_SERVER_TIME4:
		return true;
	case SET_TO_CLIENT_TIME4:
		return nfs4_decode_time(d, &t->time);
	default:
		return false;
	}
}

static bool enc_settime(struct xdr_enc *e, const struct nfs4_settime *t)
{
	if (!xdr_encode_u32(e, t->how))
		return false;
	switch (t->how) {
	case SET_TO_SERVER_TIME4:
		return true;
	case SET_TO_CLIENT_TIME4:
		return nfs4_encode_time(e, &t->time);
	default:
		return false;
	}
}

/* One attribute's value.  *known is false for an attribute without a field,
 * which neither direction can step over. */
static bool dec_value(struct xdr_dec *d, unsigned bit, struct nfs4_attrs *a, bool *known)
{
	bool extra;
	*known = true;
	switch (bit) {
	case FATTR4_SUPPORTED_ATTRS:
		/* Attributes past what Ferry knows are of no use to it. */
		return nfs4_decode_bitmap(d, &a->supported_attrs, &extra);
	case FATTR4_TYPE: return xdr_decode_u32(d, &a->type);
	case FATTR4_FH_EXPIRE_TYPE: return xdr_decode_u32(d, &a->fh_expire_type);
	case FATTR4_CHANGE: return xdr_decode_u64(d, &a->change);
	case FATTR4_SIZE: return xdr_decode_u64(d, &a->size);
	case FATTR4_LINK_SUPPORT: return xdr_decode_bool(d, &a->link_support);
	case FATTR4_SYMLINK_SUPPORT: return xdr_decode_bool(d, &a->symlink_support);
	case FATTR4_NAMED_ATTR: return xdr_decode_bool(d, &a->named_attr);
	case FATTR4_FSID:
		return xdr_decode_u64(d, &a->fsid.major) && xdr_decode_u64(d, &a->fsid.minor);
	case FATTR4_UNIQUE_HANDLES: return xdr_decode_bool(d, &a->unique_handles);
	case FATTR4_LEASE_TIME: return xdr_decode_u32(d, &a->lease_time);
	case FATTR4_RDATTR_ERROR: return xdr_decode_u32(d, &a->rdattr_error);
	case FATTR4_ACLSUPPORT: return xdr_decode_u32(d, &a->aclsupport);
	case FATTR4_CANSETTIME: return xdr_decode_bool(d, &a->cansettime);
	case FATTR4_CASE_INSENSITIVE: return xdr_decode_bool(d, &a->case_insensitive);
	case FATTR4_CASE_PRESERVING: return xdr_decode_bool(d, &a->case_preserving);
	case FATTR4_CHOWN_RESTRICTED: return xdr_decode_bool(d, &a->chown_restricted);
	case FATTR4_FILEHANDLE: return nfs4_dec_fh(d, &a->filehandle);
	case FATTR4_FILEID: return xdr_decode_u64(d, &a->fileid);
	case FATTR4_FILES_AVAIL: return xdr_decode_u64(d, &a->files_avail);
	case FATTR4_FILES_FREE: return xdr_decode_u64(d, &a->files_free);
	case FATTR4_FILES_TOTAL: return xdr_decode_u64(d, &a->files_total);
	case FATTR4_HOMOGENEOUS: return xdr_decode_bool(d, &a->homogeneous);
	case FATTR4_MAXFILESIZE: return xdr_decode_u64(d, &a->maxfilesize);
	case FATTR4_MAXLINK: return xdr_decode_u32(d, &a->maxlink);
	case FATTR4_MAXNAME: return xdr_decode_u32(d, &a->maxname);
	case FATTR4_MAXREAD: return xdr_decode_u64(d, &a->maxread);
	case FATTR4_MAXWRITE: return xdr_decode_u64(d, &a->maxwrite);
	case FATTR4_MODE: return xdr_decode_u32(d, &a->mode);
	case FATTR4_NO_TRUNC: return xdr_decode_bool(d, &a->no_trunc);
	case FATTR4_NUMLINKS: return xdr_decode_u32(d, &a->numlinks);
	case FATTR4_OWNER: return nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &a->owner);
	case FATTR4_OWNER_GROUP: return nfs4_dec_opaque(d, NFS4_OPAQUE_LIMIT, &a->owner_group);
	case FATTR4_RAWDEV:
		return xdr_decode_u32(d, &a->rawdev_major) && xdr_decode_u32(d, &a->rawdev_minor);
	case FATTR4_SPACE_AVAIL: return xdr_decode_u64(d, &a->space_avail);
	case FATTR4_SPACE_FREE: return xdr_decode_u64(d, &a->space_free);
	case FATTR4_SPACE_TOTAL: return xdr_decode_u64(d, &a->space_total);
	case FATTR4_SPACE_USED: return xdr_decode_u64(d, &a->space_used);
	case FATTR4_TIME_ACCESS: return nfs4_decode_time(d, &a->time_access);
	case FATTR4_TIME_ACCESS_SET: return dec_settime(d, &a->time_access_set);
	case FATTR4_TIME_CREATE: return nfs4_decode_time(d, &a->time_create);
	case FATTR4_TIME_DELTA: return nfs4_decode_time(d, &a->time_delta);
	case FATTR4_TIME_METADATA: return nfs4_decode_time(d, &a->time_metadata);
	case FATTR4_TIME_MODIFY: return nfs4_decode_time(d, &a->time_modify);
	case FATTR4_TIME_MODIFY_SET: return dec_settime(d, &a->time_modify_set);
	case FATTR4_MOUNTED_ON_FILEID: return xdr_decode_u64(d, &a->mounted_on_fileid);
	case FATTR4_SUPPATTR_EXCLCREAT:
		return nfs4_decode_bitmap(d, &a->suppattr_exclcreat, &extra);
	default:
		*known = false;
		return false;
	}
}

static bool enc_value(struct xdr_enc *e, unsigned bit, const struct nfs4_attrs *a)
{
	switch (bit) {
	case FATTR4_SUPPORTED_ATTRS: return nfs4_encode_bitmap(e, &a->supported_attrs);
	case FATTR4_TYPE: return xdr_encode_u32(e, a->type);
	case FATTR4_FH_EXPIRE_TYPE: return xdr_encode_u32(e, a->fh_expire_type);
	case FATTR4_CHANGE: return xdr_encode_u64(e, a->change);
	case FATTR4_SIZE: return xdr_encode_u64(e, a->size);
	case FATTR4_LINK_SUPPORT: return xdr_encode_bool(e, a->link_support);
	case FATTR4_SYMLINK_SUPPORT: return xdr_encode_bool(e, a->symlink_support);
	case FATTR4_NAMED_ATTR: return xdr_encode_bool(e, a->named_attr);
	case FATTR4_FSID:
		return xdr_encode_u64(e, a->fsid.major) && xdr_encode_u64(e, a->fsid.minor);
	case FATTR4_UNIQUE_HANDLES: return xdr_encode_bool(e, a->unique_handles);
	case FATTR4_LEASE_TIME: return xdr_encode_u32(e, a->lease_time);
	case FATTR4_RDATTR_ERROR: return xdr_encode_u32(e, a->rdattr_error);
	case FATTR4_ACLSUPPORT: return xdr_encode_u32(e, a->aclsupport);
	case FATTR4_CANSETTIME: return xdr_encode_bool(e, a->cansettime);
	case FATTR4_CASE_INSENSITIVE: return xdr_encode_bool(e, a->case_insensitive);
	case FATTR4_CASE_PRESERVING: return xdr_encode_bool(e, a->case_preserving);
	case FATTR4_CHOWN_RESTRICTED: return xdr_encode_bool(e, a->chown_restricted);
	case FATTR4_FILEHANDLE: return nfs4_enc_opaque(e, a->filehandle);
	case FATTR4_FILEID: return xdr_encode_u64(e, a->fileid);
	case FATTR4_FILES_AVAIL: return xdr_encode_u64(e, a->files_avail);
	case FATTR4_FILES_FREE: return xdr_encode_u64(e, a->files_free);
	case FATTR4_FILES_TOTAL: return xdr_encode_u64(e, a->files_total);
	case FATTR4_HOMOGENEOUS: return xdr_encode_bool(e, a->homogeneous);
	case FATTR4_MAXFILESIZE: return xdr_encode_u64(e, a->maxfilesize);
	case FATTR4_MAXLINK: return xdr_encode_u32(e, a->maxlink);
	case FATTR4_MAXNAME: return xdr_encode_u32(e, a->maxname);
	case FATTR4_MAXREAD: return xdr_encode_u64(e, a->maxread);
	case FATTR4_MAXWRITE: return xdr_encode_u64(e, a->maxwrite);
	case FATTR4_MODE: return xdr_encode_u32(e, a->mode);
	case FATTR4_NO_TRUNC: return xdr_encode_bool(e, a->no_trunc);
	case FATTR4_NUMLINKS: return xdr_encode_u32(e, a->numlinks);
	case FATTR4_OWNER: return nfs4_enc_opaque(e, a->owner);
	case FATTR4_OWNER_GROUP: return nfs4_enc_opaque(e, a->owner_group);
	case FATTR4_RAWDEV:
		return xdr_encode_u32(e, a->rawdev_major) && xdr_encode_u32(e, a->rawdev_minor);
	case FATTR4_SPACE_AVAIL: return xdr_encode_u64(e, a->space_avail);
	case FATTR4_SPACE_FREE: return xdr_encode_u64(e, a->space_free);
	case FATTR4_SPACE_TOTAL: return xdr_encode_u64(e, a->space_total);
	case FATTR4_SPACE_USED: return xdr_encode_u64(e, a->space_used);
	case FATTR4_TIME_ACCESS: return nfs4_encode_time(e, &a->time_access);
	case FATTR4_TIME_ACCESS_SET: return enc_settime(e, &a->time_access_set);
	case FATTR4_TIME_CREATE: return nfs4_encode_time(e, &a->time_create);
	case FATTR4_TIME_DELTA: return nfs4_encode_time(e, &a->time_delta);
	case FATTR4_TIME_METADATA: return nfs4_encode_time(e, &a->time_metadata);
	case FATTR4_TIME_MODIFY: return nfs4_encode_time(e, &a->time_modify);
	case FATTR4_TIME_MODIFY_SET: return enc_settime(e, &a->time_modify_set);
	case FATTR4_MOUNTED_ON_FILEID: return xdr_encode_u64(e, a->mounted_on_fileid);
	case FATTR4_SUPPATTR_EXCLCREAT: return nfs4_encode_bitmap(e, &a->suppattr_exclcreat);
	default: return false;
	}
}

/* Bits 0..55 and 75: what the value switches above handle. */
static const struct nfs4_bitmap known_attrs = {{
	0xffffffffu & ~(1u << FATTR4_ACL | 1u << FATTR4_ARCHIVE | 1u << FATTR4_FS_LOCATIONS |
			1u << FATTR4_HIDDEN),
	~(1u << (FATTR4_MIMETYPE - 32) | 1u << (FATTR4_QUOTA_AVAIL_HARD - 32) |
	  1u << (FATTR4_QUOTA_AVAIL_SOFT - 32) | 1u << (FATTR4_QUOTA_USED - 32) |
	  1u << (FATTR4_SYSTEM - 32) | 1u << (FATTR4_TIME_BACKUP - 32)) &
		((1u << (FATTR4_MOUNTED_ON_FILEID + 1 - 32)) - 1),
	1u << (FATTR4_SUPPATTR_EXCLCREAT - 64),
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
	memset(attrs, 0, sizeof(*attrs));
	*bad_bit = UINT32_MAX;
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++) {
		for (uint32_t bits = mask->w[w]; bits; bits &= bits - 1) {
			unsigned bit = w * 32 + (unsigned)__builtin_ctz(bits);
			bool known;
			if (!dec_value(&d, bit, attrs, &known)) {
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
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++) {
		if (mask->w[w] & ~(attrs->present.w[w] & known_attrs.w[w]))
			return false;
		for (uint32_t bits = mask->w[w]; bits; bits &= bits - 1)
			if (!enc_value(e, w * 32 + (unsigned)__builtin_ctz(bits), attrs))
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
