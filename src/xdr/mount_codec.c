#include "xdr/mount_codec.h"

#include "xdr/xdr_stream.h"

/* The public encoder and decoder of one description xdr_NAME, as
 * NFS4_CODEC_PAIR makes NFSv4's (the encoder only reads through the cast
 * pointer). */
#define MOUNT_CODEC_PAIR(enc, dec, desc, type)                                     \
	bool enc(struct xdr_enc *e, const type *v)                                 \
	{                                                                          \
		struct xdr_stream x = XDR_ENC_STREAM(e);                           \
		return desc(&x, (type *)v) && !e->overflow;                        \
	}                                                                          \
	bool dec(struct xdr_dec *d, type *v)                                       \
	{                                                                          \
		struct xdr_stream x = XDR_DEC_STREAM(d);                           \
		return desc(&x, v);                                                \
	}

static bool xdr_mount_name(struct xdr_stream *x, struct mount_name *n, uint32_t max)
{
	return xdr_bytes(x, max, &n->data, &n->len);
}

enum mount_dec_path mount_dec_dirpath(struct xdr_dec *d, struct mount_name *path)
{
	uint32_t len;
	if (!xdr_decode_u32(d, &len))
		return MOUNT_PATH_GARBAGE;
	/* The bytes must all be there (and nothing after them) for the call to
	 * be a dirpath at all, too long or not. */
	if (xdr_dec_remaining(d) < len || xdr_dec_remaining(d) - len != xdr_pad4(len) - len)
		return MOUNT_PATH_GARBAGE;
	path->data = d->p;
	path->len = len;
	d->p += xdr_pad4(len);
	return len > MNTPATHLEN ? MOUNT_PATH_TOO_LONG : MOUNT_PATH_OK;
}

bool mount_enc_dirpath(struct xdr_enc *e, const struct mount_name *path)
{
	return xdr_encode_opaque(e, path->data, path->len);
}

static bool xdr_mnt_res(struct xdr_stream *x, struct mount_mnt_res *r)
{
	if (!xdr_u32(x, &r->status))
		return false;
	if (r->status != MNT3_OK)
		return true;
	if (!xdr_mount_name(x, &r->fh, FHSIZE3) || !xdr_count(x, MOUNT_MAX_FLAVORS, &r->nflavors))
		return false;
	if (xdr_is_enc(x) && r->nflavors > MOUNT_MAX_FLAVORS)
		return xdr_refuse(x);
	for (uint32_t i = 0; i < r->nflavors; i++)
		if (!xdr_u32(x, &r->flavors[i]))
			return false;
	return true;
}

MOUNT_CODEC_PAIR(mount_enc_mnt_res, mount_dec_mnt_res, xdr_mnt_res, struct mount_mnt_res)

bool mount_enc_more(struct xdr_enc *e, bool more) { return xdr_encode_bool(e, more); }

bool mount_dec_more(struct xdr_dec *d, bool *more) { return xdr_decode_bool(d, more); }

static bool xdr_mount_body(struct xdr_stream *x, struct mount_body *b)
{
	return xdr_mount_name(x, &b->host, MNTNAMLEN) && xdr_mount_name(x, &b->dir, MNTPATHLEN);
}

MOUNT_CODEC_PAIR(mount_enc_body, mount_dec_body, xdr_mount_body, struct mount_body)

bool mount_enc_name(struct xdr_enc *e, const struct mount_name *n, uint32_t max)
{
	struct xdr_stream x = XDR_ENC_STREAM(e);
	return xdr_mount_name(&x, (struct mount_name *)n, max) && !e->overflow;
}

bool mount_dec_name(struct xdr_dec *d, struct mount_name *n, uint32_t max)
{
	struct xdr_stream x = XDR_DEC_STREAM(d);
	return xdr_mount_name(&x, n, max);
}

const char *mount_stat_name(uint32_t status)
{
	switch (status) {
	case MNT3_OK:
		return "MNT3_OK";
	case MNT3ERR_PERM:
		return "MNT3ERR_PERM";
	case MNT3ERR_NOENT:
		return "MNT3ERR_NOENT";
	case MNT3ERR_IO:
		return "MNT3ERR_IO";
	case MNT3ERR_ACCES:
		return "MNT3ERR_ACCES";
	case MNT3ERR_NOTDIR:
		return "MNT3ERR_NOTDIR";
	case MNT3ERR_INVAL:
		return "MNT3ERR_INVAL";
	case MNT3ERR_NAMETOOLONG:
		return "MNT3ERR_NAMETOOLONG";
	case MNT3ERR_NOTSUPP:
		return "MNT3ERR_NOTSUPP";
	case MNT3ERR_SERVERFAULT:
		return "MNT3ERR_SERVERFAULT";
	default:
		return "MNT3ERR_UNKNOWN";
	}
}
