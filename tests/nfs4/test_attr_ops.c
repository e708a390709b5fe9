/* Operations that carry fattr4 through a COMPOUND: SETATTR and CREATE
 * setting attributes (and setting nothing when one is refused), GETATTR of
 * write-only attributes, VERIFY and NVERIFY. */
#include "nfs4_inproc.h"

#include "nfs4/fs/fattr.h"

static const uint8_t zero_stateid[16];

static uint32_t export_a_root(struct inproc *ip, uint8_t fh[NFS4_FHSIZE])
{
	static const char *const path[] = {"mem", "a"};
	return inproc_fh_of(ip, path, 2, fh);
}

static struct nfs4_bitmap bits2(unsigned a, unsigned b)
{
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, a);
	nfs4_bitmap_set(&m, b);
	return m;
}

/* A fattr4 with a mode (0644) and one other attribute whose value is
 * value_words zero words, to provoke errors about the attribute set. */
static void put_mode_and(struct inproc_args *a, unsigned other, uint32_t value_words)
{
	struct nfs4_bitmap m = bits2(FATTR4_MODE, other);
	nfs4_encode_bitmap(&a->e, &m);
	xdr_encode_u32(&a->e, 4 + 4 * value_words);
	/* Values go in attribute order; these errors come before values. */
	xdr_encode_u32(&a->e, 0644);
	for (uint32_t i = 0; i < value_words; i++)
		xdr_encode_u32(&a->e, 0);
}
/* --- through SETATTR and GETATTR ---------------------------------------- */

/* SETATTR4res is a struct: arguments that do not decode still get an
 * (empty) attrsset after NFS4ERR_BADXDR. */
static void test_setattr_badxdr_has_attrsset(void **state)
{
	struct inproc *ip = *state;
	static const char *const path[] = {"mem", "a"};
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = inproc_fh_of(ip, path, 2, fh);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "", 0, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, OP_SETATTR);
	xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
	xdr_encode_u32(&a.e, 1); /* one bitmap word, then nothing */
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_BADXDR);
	assert_int_equal(r.nres, 2);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4ERR_BADXDR);
	uint32_t words;
	assert_true(xdr_decode_u32(&r.d, &words));
	assert_int_equal(words, 0);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);
}

static void test_setattr_then_getattr(void **state)
{
	struct inproc *ip = *state;
	static const char *const path[] = {"mem", "a"};
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = inproc_fh_of(ip, path, 2, fh);

	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "sa", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, OP_SETATTR);
	xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
	struct nfs4_bitmap set = {{0}};
	nfs4_bitmap_set(&set, FATTR4_MODE);
	nfs4_bitmap_set(&set, FATTR4_OWNER);
	nfs4_bitmap_set(&set, FATTR4_TIME_MODIFY_SET);
	nfs4_encode_bitmap(&a.e, &set);
	xdr_encode_u32(&a.e, 4 + (4 + 16) + (4 + 8 + 4));
	xdr_encode_u32(&a.e, 0711);
	xdr_encode_opaque(&a.e, "4321@example.org", 16);
	xdr_encode_u32(&a.e, 1);
	xdr_encode_u64(&a.e, 1234567890);
	xdr_encode_u32(&a.e, 17);
	inproc_op(&a, OP_GETATTR);
	struct nfs4_bitmap get = {{0}};
	nfs4_bitmap_set(&get, FATTR4_MODE);
	nfs4_bitmap_set(&get, FATTR4_OWNER);
	nfs4_bitmap_set(&get, FATTR4_TIME_MODIFY);
	nfs4_encode_bitmap(&a.e, &get);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4_OK);
	struct nfs4_bitmap attrsset;
	bool extra;
	assert_true(nfs4_decode_bitmap(&r.d, &attrsset, &extra));
	assert_memory_equal(&attrsset, &set, sizeof(set));
	assert_int_equal(inproc_next(&r, OP_GETATTR), NFS4_OK);
	struct nfs4_bitmap got;
	assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
	assert_memory_equal(&got, &get, sizeof(get));
	assert_int_equal(u32_of(&r.d), 4 + (4 + 4) + 12);
	assert_int_equal(u32_of(&r.d), 0711);
	expect_utf8(&r.d, "4321");
	expect_nfstime(&r.d, (struct timespec){1234567890, 17});
	inproc_done(&r);

	/* A bad owner: nothing set, attrsset empty, status BADOWNER. */
	inproc_begin(&a, "sa", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, OP_SETATTR);
	xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
	struct nfs4_bitmap own = {{0}};
	nfs4_bitmap_set(&own, FATTR4_OWNER);
	nfs4_encode_bitmap(&a.e, &own);
	xdr_encode_u32(&a.e, 4 + 12);
	xdr_encode_opaque(&a.e, "1@nowhere.x", 11);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_BADOWNER);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4ERR_BADOWNER);
	assert_true(nfs4_decode_bitmap(&r.d, &attrsset, &extra));
	struct nfs4_bitmap none = {{0}};
	assert_memory_equal(&attrsset, &none, sizeof(none));
	inproc_done(&r);

	/* Owners go out as decimal strings, the shortest and the longest. */
	static const char *const owners[] = {"0", "4000000000", "10"};
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		uint32_t len = (uint32_t)strlen(owners[i]);
		inproc_begin(&a, "sa", 2, 0);
		inproc_putfh(&a, fh, fhlen);
		inproc_op(&a, OP_SETATTR);
		xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
		nfs4_encode_bitmap(&a.e, &own);
		xdr_encode_u32(&a.e, 4 + ((len + 3) & ~3u));
		xdr_encode_opaque(&a.e, owners[i], len);
		inproc_op(&a, OP_GETATTR);
		nfs4_encode_bitmap(&a.e, &own);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4_OK);
		assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
		assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4_OK);
		assert_true(nfs4_decode_bitmap(&r.d, &attrsset, &extra));
		assert_int_equal(inproc_next(&r, OP_GETATTR), NFS4_OK);
		assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
		assert_int_equal(u32_of(&r.d), 4 + ((len + 3) & ~3u));
		expect_utf8(&r.d, owners[i]);
		inproc_done(&r);
	}
}

static uint32_t setattr_status(struct inproc *ip, unsigned other, uint32_t words)
{
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = export_a_root(ip, fh);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "sa", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, OP_SETATTR);
	xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
	put_mode_and(&a, other, words);
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	uint32_t st = inproc_next(&r, OP_SETATTR);
	/* attrsset is there whatever the status, and empty on error. */
	struct nfs4_bitmap set;
	bool extra;
	assert_true(nfs4_decode_bitmap(&r.d, &set, &extra));
	if (st != NFS4_OK) {
		struct nfs4_bitmap none = {{0}};
		assert_memory_equal(&set, &none, sizeof(none));
	}
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	assert_int_equal(r.status, st);
	inproc_done(&r);
	return st;
}

static void test_setattr_refusals(void **state)
{
	struct inproc *ip = *state;
	assert_int_equal(setattr_status(ip, FATTR4_TYPE, 1), NFS4ERR_INVAL);
	assert_int_equal(setattr_status(ip, FATTR4_FILEID, 2), NFS4ERR_INVAL);
	assert_int_equal(setattr_status(ip, FATTR4_ACL, 1), NFS4ERR_ATTRNOTSUPP);
	assert_int_equal(setattr_status(ip, FATTR4_HIDDEN, 1), NFS4ERR_ATTRNOTSUPP);
	assert_int_equal(setattr_status(ip, 90, 1), NFS4ERR_ATTRNOTSUPP);
	/* The mode was not applied by any of them. */
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = export_a_root(ip, fh);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "ga", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	static const unsigned mode[] = {FATTR4_MODE};
	inproc_op(&a, OP_GETATTR);
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, mode[0]);
	nfs4_encode_bitmap(&a.e, &m);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETATTR), NFS4_OK);
	struct nfs4_bitmap got;
	bool extra;
	assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
	assert_int_equal(u32_of(&r.d), 4);
	assert_int_equal(u32_of(&r.d), 0755);
	inproc_done(&r);

	/* Without a filehandle, attrsset still comes back. */
	inproc_begin(&a, "nofh", 4, 0);
	inproc_op(&a, OP_SETATTR);
	xdr_encode_opaque_fixed(&a.e, zero_stateid, 16);
	nfs4_encode_bitmap(&a.e, &m);
	xdr_encode_u32(&a.e, 4);
	xdr_encode_u32(&a.e, 0600);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_NOFILEHANDLE);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4ERR_NOFILEHANDLE);
	assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
	assert_int_equal(got.w[0] | got.w[1] | got.w[2], 0);
	inproc_done(&r);
}

/* CREATE of a directory with createattrs; returns CREATE's status. */
static uint32_t create_dir(struct inproc *ip, const char *name, void (*attrs)(struct xdr_enc *),
			   struct nfs4_bitmap *attrset)
{
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = export_a_root(ip, fh);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "mk", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, OP_CREATE);
	xdr_encode_u32(&a.e, NF4DIR);
	xdr_encode_opaque(&a.e, name, (uint32_t)strlen(name));
	attrs(&a.e);
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	uint32_t st = inproc_next(&r, OP_CREATE);
	if (st == NFS4_OK) {
		bool atomic = true, extra;
		uint64_t before = 0, after = 0;
		assert_true(xdr_decode_bool(&r.d, &atomic));
		assert_true(xdr_decode_u64(&r.d, &before) && xdr_decode_u64(&r.d, &after));
		assert_true(after != before);
		assert_true(nfs4_decode_bitmap(&r.d, attrset, &extra));
	}
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);
	return st;
}

static void attrs_mode_owner_mtime(struct xdr_enc *e)
{
	struct nfs4_bitmap m = bits2(FATTR4_MODE, FATTR4_OWNER_GROUP);
	nfs4_bitmap_set(&m, FATTR4_TIME_MODIFY_SET);
	nfs4_encode_bitmap(e, &m);
	xdr_encode_u32(e, 4 + 8 + 16);
	xdr_encode_u32(e, 0710);
	xdr_encode_opaque(e, "77", 2);
	xdr_encode_u32(e, 1); /* SET_TO_CLIENT_TIME4 */
	xdr_encode_u64(e, 1000000000);
	xdr_encode_u32(e, 3);
}

static void attrs_type(struct xdr_enc *e)
{
	struct nfs4_bitmap m = bits2(FATTR4_TYPE, FATTR4_MODE);
	nfs4_encode_bitmap(e, &m);
	xdr_encode_u32(e, 8);
	xdr_encode_u32(e, NF4DIR);
	xdr_encode_u32(e, 0700);
}

static void attrs_bad_owner(struct xdr_enc *e)
{
	struct nfs4_bitmap m = bits2(FATTR4_MODE, FATTR4_OWNER);
	nfs4_encode_bitmap(e, &m);
	xdr_encode_u32(e, 4 + 4 + 20);
	xdr_encode_u32(e, 0700);
	xdr_encode_opaque(e, "root@evil.example", 17);
}

static void attrs_unsupported(struct xdr_enc *e)
{
	struct nfs4_bitmap m = bits2(FATTR4_MODE, FATTR4_ARCHIVE);
	nfs4_encode_bitmap(e, &m);
	xdr_encode_u32(e, 8);
	xdr_encode_u32(e, 1);
	xdr_encode_u32(e, 0700);
}

static void attrs_truncated(struct xdr_enc *e)
{
	struct nfs4_bitmap m = bits2(FATTR4_MODE, FATTR4_SIZE);
	nfs4_encode_bitmap(e, &m);
	xdr_encode_u32(e, 8); /* size needs 8, mode 4 more */
	xdr_encode_u64(e, 0);
}

static uint32_t lookup_status(struct inproc *ip, const char *name)
{
	static const char *const path[] = {"mem", "a"};
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "lk", 2, 0);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_lookup(&a, path[0]);
	inproc_lookup(&a, path[1]);
	inproc_lookup(&a, name);
	inproc_call(ip, &a, &r);
	uint32_t st = r.status;
	inproc_done(&r);
	return st;
}

static void test_create_with_attrs(void **state)
{
	struct inproc *ip = *state;
	struct nfs4_bitmap set;
	assert_int_equal(create_dir(ip, "d", attrs_mode_owner_mtime, &set), NFS4_OK);
	struct nfs4_bitmap expect = bits2(FATTR4_MODE, FATTR4_OWNER_GROUP);
	nfs4_bitmap_set(&expect, FATTR4_TIME_MODIFY_SET);
	assert_memory_equal(&set, &expect, sizeof(set));

	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "ga", 2, 0);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_lookup(&a, "mem");
	inproc_lookup(&a, "a");
	inproc_lookup(&a, "d");
	inproc_op(&a, OP_GETATTR);
	struct nfs4_bitmap want = bits2(FATTR4_TYPE, FATTR4_MODE);
	nfs4_bitmap_set(&want, FATTR4_OWNER_GROUP);
	nfs4_bitmap_set(&want, FATTR4_TIME_MODIFY);
	nfs4_encode_bitmap(&a.e, &want);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, 5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(inproc_next(&r, i ? OP_LOOKUP : OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETATTR), NFS4_OK);
	struct nfs4_bitmap got;
	bool extra;
	assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
	assert_memory_equal(&got, &want, sizeof(want));
	assert_int_equal(u32_of(&r.d), 4 + 4 + 8 + 12);
	assert_int_equal(u32_of(&r.d), NF4DIR);
	assert_int_equal(u32_of(&r.d), 0710);
	expect_utf8(&r.d, "77");
	expect_nfstime(&r.d, (struct timespec){1000000000, 3});
	inproc_done(&r);
}

/* A refused createattrs creates nothing. */
static void test_create_refused_attrs(void **state)
{
	struct inproc *ip = *state;
	struct nfs4_bitmap set;
	assert_int_equal(create_dir(ip, "t", attrs_type, &set), NFS4ERR_INVAL);
	assert_int_equal(create_dir(ip, "o", attrs_bad_owner, &set), NFS4ERR_BADOWNER);
	assert_int_equal(create_dir(ip, "u", attrs_unsupported, &set), NFS4ERR_ATTRNOTSUPP);
	assert_int_equal(create_dir(ip, "x", attrs_truncated, &set), NFS4ERR_BADXDR);
	static const char *const names[] = {"t", "o", "u", "x"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(lookup_status(ip, names[i]), NFS4ERR_NOENT);
}

static void test_getattr_write_only_is_inval(void **state)
{
	struct inproc *ip = *state;
	static const unsigned wo[] = {FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET};
	for (size_t i = 0; i < 2; i++) {
		struct inproc_args a;
		struct inproc_reply r;
		inproc_begin(&a, "wo", 2, 0);
		inproc_op(&a, OP_PUTROOTFH);
		inproc_op(&a, OP_GETATTR);
		struct nfs4_bitmap m = bits2(FATTR4_SIZE, wo[i]);
		nfs4_encode_bitmap(&a.e, &m);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_INVAL);
		assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(inproc_next(&r, OP_GETATTR), NFS4ERR_INVAL);
		inproc_done(&r);
	}
}

/* VERIFY (verify true) or NVERIFY of mode == value at export A's root, with
 * an extra attribute bit when extra_bit is not 0. */
static uint32_t verify_mode(struct inproc *ip, bool verify, uint32_t value, unsigned extra_bit)
{
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = export_a_root(ip, fh);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "vf", 2, 0);
	inproc_putfh(&a, fh, fhlen);
	inproc_op(&a, verify ? OP_VERIFY : OP_NVERIFY);
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_MODE);
	if (extra_bit)
		nfs4_bitmap_set(&m, extra_bit);
	nfs4_encode_bitmap(&a.e, &m);
	xdr_encode_u32(&a.e, extra_bit ? 8 : 4);
	if (extra_bit && extra_bit < FATTR4_MODE)
		xdr_encode_u32(&a.e, 0);
	xdr_encode_u32(&a.e, value);
	if (extra_bit > FATTR4_MODE)
		xdr_encode_u32(&a.e, 0);
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_PUTFH), NFS4_OK);
	uint32_t st = inproc_next(&r, verify ? OP_VERIFY : OP_NVERIFY);
	assert_int_equal(r.status, st);
	inproc_done(&r);
	return st;
}

static void test_verify_nverify(void **state)
{
	struct inproc *ip = *state;
	assert_int_equal(verify_mode(ip, true, 0755, 0), NFS4_OK);
	assert_int_equal(verify_mode(ip, true, 0700, 0), NFS4ERR_NOT_SAME);
	assert_int_equal(verify_mode(ip, false, 0755, 0), NFS4ERR_SAME);
	assert_int_equal(verify_mode(ip, false, 0700, 0), NFS4_OK);
	assert_int_equal(verify_mode(ip, true, 0755, FATTR4_ACL), NFS4ERR_ATTRNOTSUPP);
	assert_int_equal(verify_mode(ip, true, 0755, 90), NFS4ERR_ATTRNOTSUPP);
	assert_int_equal(verify_mode(ip, true, 0755, FATTR4_RDATTR_ERROR), NFS4ERR_INVAL);
	assert_int_equal(verify_mode(ip, false, 0755, FATTR4_TIME_MODIFY_SET), NFS4ERR_INVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, inproc_setup, inproc_teardown)
	const struct CMUnitTest tests[] = {
		T(test_setattr_badxdr_has_attrsset),
		T(test_setattr_then_getattr),
		T(test_setattr_refusals),
		T(test_create_with_attrs),
		T(test_create_refused_attrs),
		T(test_getattr_write_only_is_inval),
		T(test_verify_nverify),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
