/* libFuzzer target: every decoder of xdr/nfs4_codec_file.h and
 * xdr/nfs4_fattr.h over untrusted bytes.
 *
 * Input layout: byte 0 picks the decoder (modulo their number), the rest is
 * what it decodes.
 *
 * Checked beyond "no sanitizer report": what decodes re-encodes, and that
 * encoding decodes and re-encodes to the same bytes (so encoder and decoder
 * agree on every arm the fuzzer reaches); the result iterators walk exactly
 * the count their decoder reported. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_fattr.h"

typedef bool (*dec_fn)(struct xdr_dec *d, void *out);
typedef bool (*enc_fn)(struct xdr_enc *e, const void *in);

struct pair {
	dec_fn dec;
	enc_fn enc; /* NULL: decode only */
};

#define PAIR(name, type)                                                      \
	static bool dec_##name(struct xdr_dec *d, void *out)                  \
	{                                                                     \
		return nfs4_dec_##name(d, (type *)out);                       \
	}                                                                     \
	static bool enc_##name(struct xdr_enc *e, const void *in)             \
	{                                                                     \
		return nfs4_enc_##name(e, (const type *)in);                  \
	}

PAIR(putfh_args, struct nfs4_putfh_args)
PAIR(getfh_res, struct nfs4_getfh_res)
PAIR(lookup_args, struct nfs4_lookup_args)
PAIR(secinfo_args, struct nfs4_secinfo_args)
PAIR(openattr_args, struct nfs4_openattr_args)
PAIR(getattr_args, struct nfs4_getattr_args)
PAIR(getattr_res, struct nfs4_getattr_res)
PAIR(setattr_args, struct nfs4_setattr_args)
PAIR(setattr_res, struct nfs4_setattr_res)
PAIR(verify_args, struct nfs4_verify_args)
PAIR(access_args, struct nfs4_access_args)
PAIR(access_res, struct nfs4_access_res)
PAIR(readdir_args, struct nfs4_readdir_args)
PAIR(create_args, struct nfs4_create_args)
PAIR(create_res, struct nfs4_create_res)
PAIR(remove_args, struct nfs4_remove_args)
PAIR(cinfo_res, struct nfs4_cinfo_res)
PAIR(rename_args, struct nfs4_rename_args)
PAIR(rename_res, struct nfs4_rename_res)
PAIR(link_args, struct nfs4_link_args)
PAIR(readlink_res, struct nfs4_readlink_res)
PAIR(read_args, struct nfs4_read_args)
PAIR(read_res, struct nfs4_read_res)
PAIR(write_args, struct nfs4_write_args)
PAIR(write_res, struct nfs4_write_res)
PAIR(commit_args, struct nfs4_commit_args)
PAIR(commit_res, struct nfs4_commit_res)
PAIR(open_args, struct nfs4_open_args)
PAIR(open_res, struct nfs4_open_res)
PAIR(open_confirm_args, struct nfs4_open_confirm_args)
PAIR(open_downgrade_args, struct nfs4_open_downgrade_args)
PAIR(close_args, struct nfs4_close_args)
PAIR(stateid_res, struct nfs4_stateid_res)
PAIR(lock_args, struct nfs4_lock_args)
PAIR(lock_denied, struct nfs4_lock_denied)
PAIR(lockt_args, struct nfs4_lockt_args)
PAIR(locku_args, struct nfs4_locku_args)
PAIR(delegreturn_args, struct nfs4_delegreturn_args)
PAIR(delegpurge_args, struct nfs4_delegpurge_args)
PAIR(allocate_args, struct nfs4_allocate_args)
PAIR(seek_args, struct nfs4_seek_args)
PAIR(seek_res, struct nfs4_seek_res)
PAIR(clone_args, struct nfs4_clone_args)
PAIR(copy_args, struct nfs4_copy_args)
PAIR(copy_res, struct nfs4_copy_res)
PAIR(copy_requirements, struct nfs4_copy_requirements)
PAIR(offload_args, struct nfs4_offload_args)
PAIR(offload_status_res, struct nfs4_offload_status_res)
PAIR(io_advise_args, struct nfs4_io_advise_args)
PAIR(io_advise_res, struct nfs4_io_advise_res)
PAIR(xattr_name_args, struct nfs4_xattr_name_args)
PAIR(getxattr_res, struct nfs4_getxattr_res)
PAIR(setxattr_args, struct nfs4_setxattr_args)
PAIR(listxattrs_args, struct nfs4_listxattrs_args)

/* The list results have incremental encoders: walk and rebuild them. */
static bool dec_readdir_res(struct xdr_dec *d, void *out)
{
	struct nfs4_readdir_res *r = out;
	if (!nfs4_dec_readdir_res(d, r))
		return false;
	struct nfs4_readdir_res walk = *r;
	struct nfs4_dirent ent;
	uint32_t n = 0;
	while (nfs4_readdir_res_next(&walk, &ent))
		n++;
	if (n != r->count || xdr_dec_remaining(&walk.entries) != 0)
		abort();
	return true;
}

static bool enc_readdir_res(struct xdr_enc *e, const void *in)
{
	struct nfs4_readdir_res walk = *(const struct nfs4_readdir_res *)in;
	struct nfs4_readdir_enc r;
	struct nfs4_dirent ent;
	if (!nfs4_enc_readdir_begin(&r, e, &walk.cookieverf, 0, UINT32_MAX))
		return false;
	while (nfs4_readdir_res_next(&walk, &ent))
		if (!nfs4_enc_readdir_entry(&r, ent.cookie, ent.name, &ent.attrs))
			return false;
	return nfs4_enc_readdir_finish(&r, walk.eof);
}

static bool dec_listxattrs_res(struct xdr_dec *d, void *out)
{
	struct nfs4_listxattrs_res *r = out;
	if (!nfs4_dec_listxattrs_res(d, r))
		return false;
	struct nfs4_listxattrs_res walk = *r;
	struct nfs4_opaque name;
	uint32_t n = 0;
	while (nfs4_listxattrs_res_next(&walk, &name))
		n++;
	if (n != r->count || xdr_dec_remaining(&walk.names) != 0)
		abort();
	return true;
}

static bool enc_listxattrs_res(struct xdr_enc *e, const void *in)
{
	struct nfs4_listxattrs_res walk = *(const struct nfs4_listxattrs_res *)in;
	struct nfs4_listxattrs_enc r;
	struct nfs4_opaque name;
	if (!nfs4_enc_listxattrs_begin(&r, e, UINT32_MAX))
		return false;
	while (nfs4_listxattrs_res_next(&walk, &name))
		if (!nfs4_enc_listxattrs_name(&r, name))
			return false;
	return nfs4_enc_listxattrs_finish(&r, walk.cookie, walk.eof);
}

static bool dec_read_plus_res(struct xdr_dec *d, void *out)
{
	struct nfs4_read_plus_res *r = out;
	if (!nfs4_dec_read_plus_res(d, r))
		return false;
	struct nfs4_read_plus_res walk = *r;
	struct nfs4_read_plus_content c;
	uint32_t n = 0;
	while (nfs4_read_plus_res_next(&walk, &c))
		n++;
	if (n != r->count || xdr_dec_remaining(&walk.contents) != 0)
		abort();
	return true;
}

static bool enc_read_plus_res(struct xdr_enc *e, const void *in)
{
	struct nfs4_read_plus_res walk = *(const struct nfs4_read_plus_res *)in;
	struct nfs4_read_plus_enc r;
	struct nfs4_read_plus_content c;
	if (!nfs4_enc_read_plus_begin(&r, e))
		return false;
	while (nfs4_read_plus_res_next(&walk, &c)) {
		if (c.type == NFS4_CONTENT_HOLE) {
			if (!nfs4_enc_read_plus_hole(&r, c.offset, c.length))
				return false;
			continue;
		}
		uint8_t *p = nfs4_enc_read_plus_data_reserve(&r, c.offset, c.data.len);
		if (!p)
			return false;
		if (c.data.len)
			memcpy(p, c.data.data, c.data.len);
		nfs4_enc_read_plus_data_done(&r, c.data.len);
	}
	return nfs4_enc_read_plus_finish(&r, walk.eof);
}

/* Attribute values: the input after the decoder byte is a fattr4. */
struct fattr_case {
	struct nfs4_attrs attrs;
};

static bool dec_fattr(struct xdr_dec *d, void *out)
{
	struct fattr_case *f = out;
	struct nfs4_fattr_raw raw;
	uint32_t bad;
	if (!nfs4_dec_fattr_raw(d, &raw))
		return false;
	if (!nfs4_fattr_decode_values(&raw.mask, raw.vals, &f->attrs, &bad)) {
		if (bad != UINT32_MAX && nfs4_fattr_known(bad))
			abort(); /* a known attribute is never reported as unknown */
		return false;
	}
	return true;
}

static bool enc_fattr(struct xdr_enc *e, const void *in)
{
	const struct fattr_case *f = in;
	return nfs4_fattr_encode_attrs(&f->attrs, &f->attrs.present, e);
}

#define ENTRY(name) {dec_##name, enc_##name}

static const struct pair pairs[] = {
	ENTRY(putfh_args), ENTRY(getfh_res), ENTRY(lookup_args), ENTRY(secinfo_args),
	ENTRY(openattr_args), ENTRY(getattr_args), ENTRY(getattr_res), ENTRY(setattr_args),
	ENTRY(setattr_res), ENTRY(verify_args), ENTRY(access_args), ENTRY(access_res),
	ENTRY(readdir_args), ENTRY(readdir_res), ENTRY(create_args), ENTRY(create_res),
	ENTRY(remove_args), ENTRY(cinfo_res), ENTRY(rename_args), ENTRY(rename_res),
	ENTRY(link_args), ENTRY(readlink_res), ENTRY(read_args), ENTRY(read_res),
	ENTRY(write_args), ENTRY(write_res), ENTRY(commit_args), ENTRY(commit_res),
	ENTRY(open_args), ENTRY(open_res), ENTRY(open_confirm_args), ENTRY(open_downgrade_args),
	ENTRY(close_args), ENTRY(stateid_res), ENTRY(lock_args), ENTRY(lock_denied),
	ENTRY(lockt_args), ENTRY(locku_args), ENTRY(delegreturn_args), ENTRY(delegpurge_args),
	ENTRY(allocate_args), ENTRY(seek_args), ENTRY(seek_res), ENTRY(read_plus_res),
	ENTRY(clone_args), ENTRY(copy_args), ENTRY(copy_res), ENTRY(copy_requirements),
	ENTRY(offload_args), ENTRY(offload_status_res), ENTRY(io_advise_args),
	ENTRY(io_advise_res), ENTRY(xattr_name_args), ENTRY(getxattr_res),
	ENTRY(setxattr_args), ENTRY(listxattrs_args), ENTRY(listxattrs_res), ENTRY(fattr),
};

enum { NPAIRS = sizeof(pairs) / sizeof(pairs[0]) };

/* Big enough for any of the structs above. */
union any {
	struct nfs4_copy_args copy;
	struct nfs4_open_args open;
	struct nfs4_open_res open_res;
	struct fattr_case fattr;
	uint8_t pad[4096];
};

static bool encode(const struct pair *p, const void *v, struct xdr_enc *e)
{
	if (!xdr_enc_init(e, 256, 1u << 20))
		abort();
	return p->enc(e, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct pair *p = &pairs[data[0] % NPAIRS];
	static union any v1, v2;
	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	if (!p->dec(&d, &v1))
		return 0;

	struct xdr_enc e1, e2;
	if (!encode(p, &v1, &e1))
		abort(); /* everything decoded must encode */
	xdr_dec_init(&d, e1.buf->data, xdr_enc_len(&e1));
	if (!p->dec(&d, &v2) || xdr_dec_remaining(&d) != 0)
		abort();
	if (!encode(p, &v2, &e2) || xdr_enc_len(&e1) != xdr_enc_len(&e2) ||
	    memcmp(e1.buf->data, e2.buf->data, xdr_enc_len(&e1)) != 0)
		abort();
	xdr_enc_release(&e1);
	xdr_enc_release(&e2);
	return 0;
}
