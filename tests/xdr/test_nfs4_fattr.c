/* Attribute values: every attribute struct nfs4_attrs knows, encoded and
 * decoded back field by field; truncations, trailing bytes, unknown
 * attributes and over-limit lengths refused. */
#include "nfs4_codec_check.h"

#include "xdr/nfs4_fattr.h"

static const unsigned all_known[] = {
	FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE,
	FATTR4_SIZE, FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR,
	FATTR4_FSID, FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME, FATTR4_RDATTR_ERROR,
	FATTR4_ACLSUPPORT, FATTR4_CANSETTIME, FATTR4_CASE_INSENSITIVE,
	FATTR4_CASE_PRESERVING, FATTR4_CHOWN_RESTRICTED, FATTR4_FILEHANDLE, FATTR4_FILEID,
	FATTR4_FILES_AVAIL, FATTR4_FILES_FREE, FATTR4_FILES_TOTAL, FATTR4_HOMOGENEOUS,
	FATTR4_MAXFILESIZE, FATTR4_MAXLINK, FATTR4_MAXNAME, FATTR4_MAXREAD, FATTR4_MAXWRITE,
	FATTR4_MODE, FATTR4_NO_TRUNC, FATTR4_NUMLINKS, FATTR4_OWNER, FATTR4_OWNER_GROUP,
	FATTR4_RAWDEV, FATTR4_SPACE_AVAIL, FATTR4_SPACE_FREE, FATTR4_SPACE_TOTAL,
	FATTR4_SPACE_USED, FATTR4_TIME_ACCESS, FATTR4_TIME_ACCESS_SET, FATTR4_TIME_CREATE,
	FATTR4_TIME_DELTA, FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY, FATTR4_TIME_MODIFY_SET,
	FATTR4_MOUNTED_ON_FILEID, FATTR4_SUPPATTR_EXCLCREAT, FATTR4_TIME_DELEG_ACCESS,
	FATTR4_TIME_DELEG_MODIFY, FATTR4_OPEN_ARGUMENTS, FATTR4_MODE_SET_MASKED, FATTR4_CLONE_BLKSIZE,
	FATTR4_SPACE_FREED, FATTR4_CHANGE_ATTR_TYPE, FATTR4_XATTR_SUPPORT, FATTR4_ACL,
	FATTR4_DACL, FATTR4_ACL_TRUEFORM, FATTR4_ACL_TRUEFORM_SCOPE, FATTR4_POSIX_DEFAULT_ACL,
	FATTR4_POSIX_ACCESS_ACL,
};

/* Two ACEs' XDR bytes: ALLOW OWNER@ READ_DATA, DENY "7" (a group) WRITE_DATA. */
static const uint8_t acl_bytes[] = {
	0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 0, 1, 0, 0, 0, 6, 'O', 'W', 'N', 'E', 'R', '@', 0, 0,
	0, 0, 0, 1, 0, 0, 0, 0x40, 0, 0, 0, 2, 0, 0, 0, 1, '7', 0,   0,   0,
};
/* Three POSIX ACEs' XDR bytes: USER_OBJ rw-, USER "1234" r--, OTHER ---. */
static const uint8_t posix_acl_bytes[] = {
	0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0,	 0,   0,   2,	0,   0,	  0,   4,
	0, 0, 0, 4, '1', '2', '3', '4', 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
};
enum { NALL = sizeof(all_known) / sizeof(all_known[0]) };

static struct nfs4_attrs sample(void)
{
	struct nfs4_attrs a = {
		.type = NF4REG, .fh_expire_type = FH4_VOLATILE_ANY, .change = 0x0102030405060708ull,
		.size = 1ull << 41, .link_support = true, .symlink_support = true,
		.named_attr = false, .fsid = {11, 12}, .unique_handles = true, .lease_time = 90,
		.rdattr_error = NFS4ERR_ACCESS, .aclsupport = ACL4_SUPPORT_ALLOW_ACL,
		.cansettime = true, .case_insensitive = false, .case_preserving = true,
		.chown_restricted = true, .filehandle = nfs4_opaque_str("a-file-handle"),
		.fileid = 4242, .files_avail = 1, .files_free = 2, .files_total = 3,
		.homogeneous = true, .maxfilesize = INT64_MAX, .maxlink = 65000, .maxname = 255,
		.maxread = 1 << 20, .maxwrite = 1 << 21, .mode = 0644, .no_trunc = true,
		.numlinks = 2, .owner = nfs4_opaque_str("alice@example"),
		.owner_group = nfs4_opaque_str("staff@example"), .rawdev_major = 8,
		.rawdev_minor = 1, .space_avail = 100, .space_free = 200, .space_total = 300,
		.space_used = 4096, .time_access = {1700000000, 1},
		.time_access_set = {SET_TO_CLIENT_TIME4, {1600000000, 999999999}},
		.time_create = {-5, 3}, .time_delta = {0, 1000}, .time_metadata = {7, 8},
		.time_modify = {9, 10}, .time_modify_set = {SET_TO_SERVER_TIME4, {0, 0}},
		.mounted_on_fileid = 77, .time_deleg_access = {1700000100, 5},
		.time_deleg_modify = {1700000200, 999999999}, .clone_blksize = 4096,
		.mode_set_masked = {0750, 0770},
		.space_freed = 1ull << 33, .change_attr_type = NFS4_CHANGE_TYPE_IS_TIME_METADATA,
	};
	nfs4_bitmap_set(&a.supported_attrs, FATTR4_TYPE);
	nfs4_bitmap_set(&a.supported_attrs, FATTR4_SUPPATTR_EXCLCREAT);
	nfs4_bitmap_set(&a.suppattr_exclcreat, FATTR4_MODE);
	nfs4_bitmap_set(&a.open_arguments.share_access, OPEN4_SHARE_ACCESS_BOTH);
	nfs4_bitmap_set(&a.open_arguments.share_deny, OPEN4_SHARE_DENY_NONE);
	nfs4_bitmap_set(&a.open_arguments.share_access_want, OPEN_ARGS_SHARE_ACCESS_WANT_CANCEL);
	nfs4_bitmap_set(&a.open_arguments.share_access_want,
			OPEN_ARGS_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION);
	nfs4_bitmap_set(&a.open_arguments.open_claim, CLAIM_DELEG_CUR_FH);
	nfs4_bitmap_set(&a.open_arguments.create_mode, EXCLUSIVE4_1);
	a.xattr_support = true;
	a.acl = (struct nfs4_acl){2, {acl_bytes, sizeof(acl_bytes)}};
	a.dacl = (struct nfs4_acl41){ACL4_PROTECTED, a.acl};
	a.acl_trueform = ACL_MODEL_POSIX_DRAFT;
	a.acl_trueform_scope = ACL_SCOPE_FILE_SYSTEM;
	a.posix_access_acl = (struct nfs4_posix_acl){3, {posix_acl_bytes, sizeof(posix_acl_bytes)}};
	a.posix_default_acl = (struct nfs4_posix_acl){0, {NULL, 0}};
	for (unsigned i = 0; i < NALL; i++)
		nfs4_attrs_set(&a, all_known[i]);
	return a;
}

static void assert_ts_eq(struct timespec a, struct timespec b)
{
	assert_int_equal(a.tv_sec, b.tv_sec);
	assert_int_equal(a.tv_nsec, b.tv_nsec);
}

static void assert_attrs_eq(const struct nfs4_attrs *a, const struct nfs4_attrs *b)
{
	assert_bitmap_eq(&a->present, &b->present);
	assert_bitmap_eq(&a->supported_attrs, &b->supported_attrs);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->fh_expire_type, b->fh_expire_type);
	assert_int_equal(a->change, b->change);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->link_support, b->link_support);
	assert_int_equal(a->symlink_support, b->symlink_support);
	assert_int_equal(a->named_attr, b->named_attr);
	assert_int_equal(a->fsid.major, b->fsid.major);
	assert_int_equal(a->fsid.minor, b->fsid.minor);
	assert_int_equal(a->unique_handles, b->unique_handles);
	assert_int_equal(a->lease_time, b->lease_time);
	assert_int_equal(a->rdattr_error, b->rdattr_error);
	assert_int_equal(a->aclsupport, b->aclsupport);
	assert_int_equal(a->cansettime, b->cansettime);
	assert_int_equal(a->case_insensitive, b->case_insensitive);
	assert_int_equal(a->case_preserving, b->case_preserving);
	assert_int_equal(a->chown_restricted, b->chown_restricted);
	assert_opaque_eq(a->filehandle, b->filehandle);
	assert_int_equal(a->fileid, b->fileid);
	assert_int_equal(a->files_avail, b->files_avail);
	assert_int_equal(a->files_free, b->files_free);
	assert_int_equal(a->files_total, b->files_total);
	assert_int_equal(a->homogeneous, b->homogeneous);
	assert_int_equal(a->maxfilesize, b->maxfilesize);
	assert_int_equal(a->maxlink, b->maxlink);
	assert_int_equal(a->maxname, b->maxname);
	assert_int_equal(a->maxread, b->maxread);
	assert_int_equal(a->maxwrite, b->maxwrite);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->no_trunc, b->no_trunc);
	assert_int_equal(a->numlinks, b->numlinks);
	assert_opaque_eq(a->owner, b->owner);
	assert_opaque_eq(a->owner_group, b->owner_group);
	assert_int_equal(a->rawdev_major, b->rawdev_major);
	assert_int_equal(a->rawdev_minor, b->rawdev_minor);
	assert_int_equal(a->space_avail, b->space_avail);
	assert_int_equal(a->space_free, b->space_free);
	assert_int_equal(a->space_total, b->space_total);
	assert_int_equal(a->space_used, b->space_used);
	assert_ts_eq(a->time_access, b->time_access);
	assert_int_equal(a->time_access_set.how, b->time_access_set.how);
	assert_ts_eq(a->time_access_set.time, b->time_access_set.time);
	assert_ts_eq(a->time_create, b->time_create);
	assert_ts_eq(a->time_delta, b->time_delta);
	assert_ts_eq(a->time_metadata, b->time_metadata);
	assert_ts_eq(a->time_modify, b->time_modify);
	assert_int_equal(a->time_modify_set.how, b->time_modify_set.how);
	assert_ts_eq(a->time_modify_set.time, b->time_modify_set.time);
	assert_int_equal(a->mounted_on_fileid, b->mounted_on_fileid);
	assert_ts_eq(a->time_deleg_access, b->time_deleg_access);
	assert_ts_eq(a->time_deleg_modify, b->time_deleg_modify);
	assert_bitmap_eq(&a->suppattr_exclcreat, &b->suppattr_exclcreat);
	assert_bitmap_eq(&a->open_arguments.share_access, &b->open_arguments.share_access);
	assert_bitmap_eq(&a->open_arguments.share_deny, &b->open_arguments.share_deny);
	assert_bitmap_eq(&a->open_arguments.share_access_want,
			 &b->open_arguments.share_access_want);
	assert_bitmap_eq(&a->open_arguments.open_claim, &b->open_arguments.open_claim);
	assert_bitmap_eq(&a->open_arguments.create_mode, &b->open_arguments.create_mode);
	assert_int_equal(a->xattr_support, b->xattr_support);
	assert_int_equal(a->mode_set_masked.value, b->mode_set_masked.value);
	assert_int_equal(a->mode_set_masked.mask, b->mode_set_masked.mask);
	assert_int_equal(a->clone_blksize, b->clone_blksize);
	assert_int_equal(a->space_freed, b->space_freed);
	assert_int_equal(a->change_attr_type, b->change_attr_type);
	assert_int_equal(a->acl.count, b->acl.count);
	assert_opaque_eq(a->acl.aces, b->acl.aces);
	assert_int_equal(a->dacl.flag, b->dacl.flag);
	assert_int_equal(a->dacl.acl.count, b->dacl.acl.count);
	assert_opaque_eq(a->dacl.acl.aces, b->dacl.acl.aces);
	assert_int_equal(a->acl_trueform, b->acl_trueform);
	assert_int_equal(a->acl_trueform_scope, b->acl_trueform_scope);
	assert_int_equal(a->posix_access_acl.count, b->posix_access_acl.count);
	assert_opaque_eq(a->posix_access_acl.aces, b->posix_access_acl.aces);
	assert_int_equal(a->posix_default_acl.count, b->posix_default_acl.count);
}

static void test_known(void **state)
{
	(void)state;
	unsigned n = 0;
	for (unsigned bit = 0; bit < 96; bit++)
		n += nfs4_fattr_known(bit);
	assert_int_equal(n, NALL);
	for (unsigned i = 0; i < NALL; i++)
		assert_true(nfs4_fattr_known(all_known[i]));
	assert_false(nfs4_fattr_known(FATTR4_ARCHIVE));
	assert_false(nfs4_fattr_known(FATTR4_FS_LOCATIONS));
}

static void test_all_values(void **state)
{
	(void)state;
	struct nfs4_attrs a = sample(), b;
	struct xdr_enc e;
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_values(&a, &a.present, &e));
	struct nfs4_opaque vals = {e.buf->data, (uint32_t)xdr_enc_len(&e)};
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(&a.present, vals, &b, &bad));
	assert_attrs_eq(&a, &b);

	/* Every truncation, from a heap copy of exactly that length. */
	for (uint32_t n = 0; n < vals.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, vals.data, n);
		assert_false(nfs4_fattr_decode_values(&a.present, (struct nfs4_opaque){copy, n}, &b,
						      &bad));
		assert_int_equal(bad, UINT32_MAX);
		free(copy);
	}
	/* Trailing bytes. */
	assert_true(xdr_encode_u32(&e, 0));
	vals = (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)};
	assert_false(nfs4_fattr_decode_values(&a.present, vals, &b, &bad));
	xdr_enc_release(&e);
}

/* Each attribute alone, so each value's own encoding is checked. */
static void test_each_value(void **state)
{
	(void)state;
	struct nfs4_attrs a = sample(), b;
	for (unsigned i = 0; i < NALL; i++) {
		struct nfs4_bitmap m = {{0}};
		nfs4_bitmap_set(&m, all_known[i]);
		struct xdr_enc e;
		codec_enc_start(&e);
		assert_true(nfs4_fattr_encode_values(&a, &m, &e));
		uint32_t bad;
		assert_true(nfs4_fattr_decode_values(
			&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
		assert_bitmap_eq(&m, &b.present);
		xdr_enc_release(&e);
	}
}

static void test_unknown_and_absent(void **state)
{
	(void)state;
	struct nfs4_attrs a = sample(), b;
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_SIZE);
	nfs4_bitmap_set(&m, FATTR4_ARCHIVE);
	const uint8_t vals[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	uint32_t bad = 0;
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){vals, sizeof(vals)}, &b,
					      &bad));
	assert_int_equal(bad, FATTR4_ARCHIVE);

	struct xdr_enc e;
	codec_enc_start(&e);
	assert_false(nfs4_fattr_encode_values(&a, &m, &e)); /* archive is unknown */
	xdr_enc_release(&e);
	struct nfs4_attrs none = {0};
	struct nfs4_bitmap size_only = {{1u << FATTR4_SIZE}};
	codec_enc_start(&e);
	assert_false(nfs4_fattr_encode_values(&none, &size_only, &e)); /* not present */
	xdr_enc_release(&e);
}

static void test_limits(void **state)
{
	(void)state;
	struct nfs4_attrs a = sample(), b;
	uint32_t bad;
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_OWNER);
	a.owner = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'o');
	struct xdr_enc e;
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_values(&a, &m, &e));
	assert_false(nfs4_fattr_decode_values(
		&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
	xdr_enc_release(&e);

	m = (struct nfs4_bitmap){{0}};
	nfs4_bitmap_set(&m, FATTR4_FILEHANDLE);
	a.filehandle = codec_bytes(NFS4_FHSIZE + 1, 'h');
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_values(&a, &m, &e));
	assert_false(nfs4_fattr_decode_values(
		&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
	xdr_enc_release(&e);

	/* settime4 with a bad discriminant. */
	m = (struct nfs4_bitmap){{0}};
	nfs4_bitmap_set(&m, FATTR4_TIME_MODIFY_SET);
	const uint8_t st[] = {0, 0, 0, 2};
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){st, sizeof(st)}, &b, &bad));
	assert_int_equal(bad, UINT32_MAX);
}

/* An ACL's ACEs are walked as decoded; a count its bytes cannot hold, a
 * who past the limit and a short ACE are refused. */
static void test_acl(void **state)
{
	(void)state;
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_ACL);
	struct nfs4_attrs a = sample(), b;
	struct xdr_enc e;
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_values(&a, &m, &e));
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(
		&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
	struct xdr_dec d;
	xdr_dec_init(&d, b.acl.aces.data, b.acl.aces.len);
	struct nfs4_ace ace;
	assert_true(nfs4_acl_next(&d, &ace));
	assert_int_equal(ace.type, ACE4_ACCESS_ALLOWED_ACE_TYPE);
	assert_int_equal(ace.access_mask, ACE4_READ_DATA);
	assert_opaque_eq(ace.who, nfs4_opaque_str("OWNER@"));
	assert_true(nfs4_acl_next(&d, &ace));
	assert_int_equal(ace.type, ACE4_ACCESS_DENIED_ACE_TYPE);
	assert_int_equal(ace.flag, ACE4_IDENTIFIER_GROUP);
	assert_opaque_eq(ace.who, nfs4_opaque_str("7"));
	assert_false(nfs4_acl_next(&d, &ace));
	xdr_enc_release(&e);

	/* A count of three with two ACEs' bytes; a huge count. */
	uint8_t buf[4 + sizeof(acl_bytes)];
	memcpy(buf + 4, acl_bytes, sizeof(acl_bytes));
	memcpy(buf, (const uint8_t[]){0, 0, 0, 3}, 4);
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, sizeof(buf)}, &b, &bad));
	assert_int_equal(bad, UINT32_MAX);
	memcpy(buf, (const uint8_t[]){0xff, 0xff, 0xff, 0xff}, 4);
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, sizeof(buf)}, &b, &bad));
	/* One ACE, cut inside its who. */
	memcpy(buf, (const uint8_t[]){0, 0, 0, 1}, 4);
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, 4 + 20}, &b, &bad));
	assert_true(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, 4 + 24}, &b, &bad));
	assert_int_equal(b.acl.count, 1);
	/* A who over the limit. */
	struct nfs4_ace big = {0, 0, 0, codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'w')};
	codec_enc_start(&e);
	assert_true(xdr_encode_u32(&e, 1) && nfs4_ace_encode(&e, &big));
	assert_false(nfs4_fattr_decode_values(
		&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
	xdr_enc_release(&e);
}

/* posix_access_acl: entries walk back; what the draft does not define is
 * refused. */
static void test_posix_acl(void **state)
{
	(void)state;
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_POSIX_ACCESS_ACL);
	struct nfs4_attrs a = sample(), b;
	struct xdr_enc e;
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_values(&a, &m, &e));
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(
		&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
	/* The decoded ACEs point into e's bytes: released after the walk. */
	struct xdr_dec d;
	xdr_dec_init(&d, b.posix_access_acl.aces.data, b.posix_access_acl.aces.len);
	struct nfs4_posix_ace ace;
	assert_true(nfs4_posix_acl_next(&d, &ace));
	assert_int_equal(ace.tag, POSIXACE4_TAG_USER_OBJ);
	assert_int_equal(ace.perm, 6);
	assert_int_equal(ace.who.len, 0);
	assert_true(nfs4_posix_acl_next(&d, &ace));
	assert_int_equal(ace.tag, POSIXACE4_TAG_USER);
	assert_opaque_eq(ace.who, nfs4_opaque_str("1234"));
	assert_true(nfs4_posix_acl_next(&d, &ace));
	assert_int_equal(ace.tag, POSIXACE4_TAG_OTHER);
	assert_false(nfs4_posix_acl_next(&d, &ace));
	xdr_enc_release(&e);

	/* Refused: tags 0 and 7, a bit beyond rwx, a USER entry with no
	 * who; a count past the bytes. */
	static const struct nfs4_posix_ace refused[] = {
		{0, 4, {NULL, 0}},
		{7, 4, {NULL, 0}},
		{POSIXACE4_TAG_OTHER, 8, {NULL, 0}},
		{POSIXACE4_TAG_USER, 4, {NULL, 0}},
		{POSIXACE4_TAG_GROUP, 4, {NULL, 0}},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		codec_enc_start(&e);
		assert_true(xdr_encode_u32(&e, 1) && nfs4_posix_ace_encode(&e, &refused[i]));
		assert_false(nfs4_fattr_decode_values(
			&m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)}, &b, &bad));
		xdr_enc_release(&e);
	}
	uint8_t buf[4 + sizeof(posix_acl_bytes)];
	memcpy(buf + 4, posix_acl_bytes, sizeof(posix_acl_bytes));
	memcpy(buf, (const uint8_t[]){0, 0, 0, 4}, 4);
	assert_false(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, sizeof(buf)}, &b, &bad));
	memcpy(buf, (const uint8_t[]){0, 0, 0, 3}, 4);
	assert_true(nfs4_fattr_decode_values(&m, (struct nfs4_opaque){buf, sizeof(buf)}, &b, &bad));
}

/* The whole fattr4: only what was asked for and is present goes out. */
static void test_encode_fattr(void **state)
{
	(void)state;
	struct nfs4_attrs a = {.size = 9, .mode = 0600, .fileid = 3};
	nfs4_attrs_set(&a, FATTR4_SIZE);
	nfs4_attrs_set(&a, FATTR4_MODE);
	nfs4_attrs_set(&a, FATTR4_FILEID);
	struct nfs4_bitmap want = {{0}};
	nfs4_bitmap_set(&want, FATTR4_SIZE);
	nfs4_bitmap_set(&want, FATTR4_MODE);
	nfs4_bitmap_set(&want, FATTR4_ACL);
	nfs4_bitmap_set(&want, FATTR4_OWNER);
	struct xdr_enc e;
	codec_enc_start(&e);
	assert_true(nfs4_fattr_encode_attrs(&a, &want, &e));
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, xdr_enc_len(&e));
	struct nfs4_fattr_raw raw;
	assert_true(nfs4_dec_fattr_raw(&d, &raw));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	struct nfs4_bitmap got = {{0}};
	nfs4_bitmap_set(&got, FATTR4_SIZE);
	nfs4_bitmap_set(&got, FATTR4_MODE);
	assert_bitmap_eq(&raw.mask, &got);
	struct nfs4_attrs b;
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(&raw.mask, raw.vals, &b, &bad));
	assert_int_equal(b.size, 9);
	assert_int_equal(b.mode, 0600);
	xdr_enc_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CODEC_TEST(test_known),
		CODEC_TEST(test_all_values),
		CODEC_TEST(test_each_value),
		CODEC_TEST(test_unknown_and_absent),
		CODEC_TEST(test_limits),
		CODEC_TEST(test_acl),
		CODEC_TEST(test_posix_acl),
		CODEC_TEST(test_encode_fattr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
