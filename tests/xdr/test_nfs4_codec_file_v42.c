/* NFSv4.2 file operations and extended attributes: round trips field by
 * field, truncations, limits, and the READ_PLUS and LISTXATTRS incremental
 * encoders. */
#include "nfs4_codec_check.h"

#include "xdr/nfs4_codec_file.h"

CODEC_DEC_ADAPTER(nfs4_dec_allocate_args, struct nfs4_allocate_args)
CODEC_DEC_ADAPTER(nfs4_dec_seek_args, struct nfs4_seek_args)
CODEC_DEC_ADAPTER(nfs4_dec_seek_res, struct nfs4_seek_res)
CODEC_DEC_ADAPTER(nfs4_dec_read_plus_res, struct nfs4_read_plus_res)
CODEC_DEC_ADAPTER(nfs4_dec_clone_args, struct nfs4_clone_args)
CODEC_DEC_ADAPTER(nfs4_dec_copy_args, struct nfs4_copy_args)
CODEC_DEC_ADAPTER(nfs4_dec_copy_res, struct nfs4_copy_res)
CODEC_DEC_ADAPTER(nfs4_dec_copy_requirements, struct nfs4_copy_requirements)
CODEC_DEC_ADAPTER(nfs4_dec_offload_args, struct nfs4_offload_args)
CODEC_DEC_ADAPTER(nfs4_dec_offload_status_res, struct nfs4_offload_status_res)
CODEC_DEC_ADAPTER(nfs4_dec_io_advise_args, struct nfs4_io_advise_args)
CODEC_DEC_ADAPTER(nfs4_dec_io_advise_res, struct nfs4_io_advise_res)
CODEC_DEC_ADAPTER(nfs4_dec_xattr_name_args, struct nfs4_xattr_name_args)
CODEC_DEC_ADAPTER(nfs4_dec_getxattr_res, struct nfs4_getxattr_res)
CODEC_DEC_ADAPTER(nfs4_dec_setxattr_args, struct nfs4_setxattr_args)
CODEC_DEC_ADAPTER(nfs4_dec_listxattrs_args, struct nfs4_listxattrs_args)
CODEC_DEC_ADAPTER(nfs4_dec_listxattrs_res, struct nfs4_listxattrs_res)

#define CHECK(encfn, decfn, in, out)                                          \
	do {                                                                  \
		struct xdr_enc e_;                                            \
		codec_enc_start(&e_);                                         \
		assert_true(encfn(&e_, &(in)));                               \
		codec_check_decode(&e_, adapt_##decfn, &(out), sizeof(out)); \
		codec_keep(&e_);                                              \
	} while (0)

#define REFUSE_PATCHED(encfn, decfn, in, out, off, v)                 \
	do {                                                          \
		struct xdr_enc e_;                                    \
		codec_enc_start(&e_);                                 \
		assert_true(encfn(&e_, &(in)));                       \
		xdr_enc_patch_u32(&e_, (off), (v));                   \
		codec_check_refused(&e_, adapt_##decfn, &(out));      \
		xdr_enc_release(&e_);                                 \
	} while (0)

static void test_space_ops(void **state)
{
	(void)state;
	struct nfs4_allocate_args a = {codec_stateid(1), 4096, 1ull << 33}, b;
	CHECK(nfs4_enc_allocate_args, nfs4_dec_allocate_args, a, b);
	assert_stateid_eq(&a.stateid, &b.stateid);
	assert_int_equal(b.offset, 4096);
	assert_int_equal(b.length, 1ull << 33);

	struct nfs4_seek_args sa = {codec_stateid(2), 99, NFS4_CONTENT_HOLE}, sb;
	CHECK(nfs4_enc_seek_args, nfs4_dec_seek_args, sa, sb);
	assert_stateid_eq(&sa.stateid, &sb.stateid);
	assert_int_equal(sb.offset, 99);
	assert_int_equal(sb.what, NFS4_CONTENT_HOLE);
	struct nfs4_seek_res ra = {true, 12345}, rb;
	CHECK(nfs4_enc_seek_res, nfs4_dec_seek_res, ra, rb);
	assert_true(rb.eof);
	assert_int_equal(rb.offset, 12345);

	struct nfs4_clone_args ca = {codec_stateid(3), codec_stateid(4), 1, 2, 3}, cb;
	CHECK(nfs4_enc_clone_args, nfs4_dec_clone_args, ca, cb);
	assert_stateid_eq(&ca.src_stateid, &cb.src_stateid);
	assert_stateid_eq(&ca.dst_stateid, &cb.dst_stateid);
	assert_int_equal(cb.src_offset, 1);
	assert_int_equal(cb.dst_offset, 2);
	assert_int_equal(cb.count, 3);

	struct nfs4_io_advise_args ia = {.stateid = codec_stateid(5), .offset = 6, .count = 7}, ib;
	nfs4_bitmap_set(&ia.hints, 3);
	CHECK(nfs4_enc_io_advise_args, nfs4_dec_io_advise_args, ia, ib);
	assert_stateid_eq(&ia.stateid, &ib.stateid);
	assert_int_equal(ib.offset, 6);
	assert_int_equal(ib.count, 7);
	assert_bitmap_eq(&ia.hints, &ib.hints);
	struct nfs4_io_advise_res xa = {0}, xb;
	nfs4_bitmap_set(&xa.hints, 5);
	CHECK(nfs4_enc_io_advise_res, nfs4_dec_io_advise_res, xa, xb);
	assert_bitmap_eq(&xa.hints, &xb.hints);
}

static void test_read_plus(void **state)
{
	(void)state;
	struct xdr_enc e;
	codec_enc_start(&e);
	struct nfs4_read_plus_enc r;
	assert_true(nfs4_enc_read_plus_begin(&r, &e));
	uint8_t *p = nfs4_enc_read_plus_data_reserve(&r, 0, 64);
	assert_non_null(p);
	memcpy(p, "abcdefg", 7);
	nfs4_enc_read_plus_data_done(&r, 7);
	assert_true(nfs4_enc_read_plus_hole(&r, 7, 1ull << 32));
	p = nfs4_enc_read_plus_data_reserve(&r, (1ull << 32) + 7, 8);
	assert_non_null(p);
	memcpy(p, "12345678", 8);
	nfs4_enc_read_plus_data_done(&r, 8);
	assert_true(nfs4_enc_read_plus_finish(&r, true));
	/* 8 + (16 + 8) + 20 + (16 + 8) */
	assert_int_equal(xdr_enc_len(&e), 76);

	struct nfs4_read_plus_res res;
	codec_check_decode(&e, adapt_nfs4_dec_read_plus_res, &res, sizeof(res));
	assert_true(res.eof);
	assert_int_equal(res.count, 3);
	struct nfs4_read_plus_content c;
	assert_true(nfs4_read_plus_res_next(&res, &c));
	assert_int_equal(c.type, NFS4_CONTENT_DATA);
	assert_int_equal(c.offset, 0);
	assert_opaque_eq(c.data, nfs4_opaque_str("abcdefg"));
	assert_int_equal(e.buf->data[8 + 16 + 7], 0); /* padding zeroed */
	assert_true(nfs4_read_plus_res_next(&res, &c));
	assert_int_equal(c.type, NFS4_CONTENT_HOLE);
	assert_int_equal(c.offset, 7);
	assert_int_equal(c.length, 1ull << 32);
	assert_true(nfs4_read_plus_res_next(&res, &c));
	assert_int_equal(c.type, NFS4_CONTENT_DATA);
	assert_int_equal(c.offset, (1ull << 32) + 7);
	assert_opaque_eq(c.data, nfs4_opaque_str("12345678"));
	assert_false(nfs4_read_plus_res_next(&res, &c));

	/* A content type that is neither data nor hole. */
	xdr_enc_patch_u32(&e, 8 + 24, 2);
	codec_check_refused(&e, adapt_nfs4_dec_read_plus_res, &res);
	xdr_enc_release(&e);

	/* Nothing read: eof and no contents. */
	codec_enc_start(&e);
	assert_true(nfs4_enc_read_plus_begin(&r, &e));
	assert_true(nfs4_enc_read_plus_finish(&r, true));
	codec_check_decode(&e, adapt_nfs4_dec_read_plus_res, &res, sizeof(res));
	assert_int_equal(res.count, 0);
	assert_false(nfs4_read_plus_res_next(&res, &c));
	xdr_enc_release(&e);

	/* No room for the data: NULL, and finish reports the overflow. */
	assert_true(xdr_enc_init(&e, 16, 32));
	assert_true(nfs4_enc_read_plus_begin(&r, &e));
	assert_null(nfs4_enc_read_plus_data_reserve(&r, 0, 100));
	assert_false(nfs4_enc_read_plus_finish(&r, false));
	xdr_enc_release(&e);
}

static void test_copy(void **state)
{
	(void)state;
	struct nfs4_copy_args a = {
		.src_stateid = codec_stateid(1), .dst_stateid = codec_stateid(2),
		.src_offset = 3, .dst_offset = 4, .count = 5,
		.consecutive = true, .synchronous = false, .nsources = 3,
		.sources = {
			{.type = NL4_NAME, .name = nfs4_opaque_str("server.example")},
			{.type = NL4_URL, .name = nfs4_opaque_str("nfs://server/x")},
			{.type = NL4_NETADDR, .netid = nfs4_opaque_str("tcp"),
			 .addr = nfs4_opaque_str("10.0.0.1.8.1")},
		},
	}, b;
	CHECK(nfs4_enc_copy_args, nfs4_dec_copy_args, a, b);
	assert_stateid_eq(&a.src_stateid, &b.src_stateid);
	assert_stateid_eq(&a.dst_stateid, &b.dst_stateid);
	assert_int_equal(b.src_offset, 3);
	assert_int_equal(b.dst_offset, 4);
	assert_int_equal(b.count, 5);
	assert_true(b.consecutive);
	assert_false(b.synchronous);
	assert_int_equal(b.nsources, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(b.sources[i].type, a.sources[i].type);
		assert_opaque_eq(a.sources[i].name, b.sources[i].name);
		assert_opaque_eq(a.sources[i].netid, b.sources[i].netid);
		assert_opaque_eq(a.sources[i].addr, b.sources[i].addr);
	}
	const size_t nsources_off = 16 + 16 + 24 + 8;
	REFUSE_PATCHED(nfs4_enc_copy_args, nfs4_dec_copy_args, a, b, nsources_off,
		       NFS4_COPY_SOURCES_MAX + 1);
	REFUSE_PATCHED(nfs4_enc_copy_args, nfs4_dec_copy_args, a, b, nsources_off + 4, 0);
	a.nsources = NFS4_COPY_SOURCES_MAX;
	for (unsigned i = 0; i < NFS4_COPY_SOURCES_MAX; i++)
		a.sources[i] = (struct nfs4_netloc){.type = NL4_NAME, .name = nfs4_opaque_str("s")};
	CHECK(nfs4_enc_copy_args, nfs4_dec_copy_args, a, b);
	assert_int_equal(b.nsources, NFS4_COPY_SOURCES_MAX);
	a.nsources = 0;
	CHECK(nfs4_enc_copy_args, nfs4_dec_copy_args, a, b);
	assert_int_equal(b.nsources, 0);

	struct nfs4_copy_res ra = {
		.response = {.has_callback_id = true, .callback_id = codec_stateid(9),
			     .count = 1ull << 40, .committed = FILE_SYNC4,
			     .writeverf = codec_verifier(3)},
		.requirements = {true, true},
	}, rb;
	for (int async = 1; async >= 0; async--) {
		ra.response.has_callback_id = async;
		memset(&rb, 0x5a, sizeof(rb));
		CHECK(nfs4_enc_copy_res, nfs4_dec_copy_res, ra, rb);
		assert_int_equal(rb.response.has_callback_id, async);
		if (async)
			assert_stateid_eq(&ra.response.callback_id, &rb.response.callback_id);
		assert_int_equal(rb.response.count, 1ull << 40);
		assert_int_equal(rb.response.committed, FILE_SYNC4);
		assert_verifier_eq(&ra.response.writeverf, &rb.response.writeverf);
		assert_true(rb.requirements.consecutive);
		assert_true(rb.requirements.synchronous);
	}
	/* stateid4<1> with two elements. */
	REFUSE_PATCHED(nfs4_enc_copy_res, nfs4_dec_copy_res, ra, rb, 0, 2);

	/* The body of NFS4ERR_OFFLOAD_NO_REQS. */
	struct nfs4_copy_requirements qa = {false, true}, qb;
	CHECK(nfs4_enc_copy_requirements, nfs4_dec_copy_requirements, qa, qb);
	assert_false(qb.consecutive);
	assert_true(qb.synchronous);
}

static void test_offload(void **state)
{
	(void)state;
	struct nfs4_offload_args a = {codec_stateid(4)}, b;
	CHECK(nfs4_enc_offload_args, nfs4_dec_offload_args, a, b);
	assert_stateid_eq(&a.stateid, &b.stateid);

	struct nfs4_offload_status_res ra = {1000, true, NFS4ERR_NOSPC}, rb;
	CHECK(nfs4_enc_offload_status_res, nfs4_dec_offload_status_res, ra, rb);
	assert_int_equal(rb.count, 1000);
	assert_true(rb.has_complete);
	assert_int_equal(rb.complete, NFS4ERR_NOSPC);
	ra = (struct nfs4_offload_status_res){5, false, 0};
	CHECK(nfs4_enc_offload_status_res, nfs4_dec_offload_status_res, ra, rb);
	assert_int_equal(rb.count, 5);
	assert_false(rb.has_complete);
	REFUSE_PATCHED(nfs4_enc_offload_status_res, nfs4_dec_offload_status_res, ra, rb, 8, 2);
}

static void test_xattr_ops(void **state)
{
	(void)state;
	struct nfs4_xattr_name_args na = {nfs4_opaque_str("user.note")}, nb;
	CHECK(nfs4_enc_xattr_name_args, nfs4_dec_xattr_name_args, na, nb);
	assert_opaque_eq(na.name, nb.name);
	/* xattrkey4 is a component4: bounded by the record only. */
	na.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'k');
	CHECK(nfs4_enc_xattr_name_args, nfs4_dec_xattr_name_args, na, nb);
	assert_opaque_eq(na.name, nb.name);

	struct nfs4_getxattr_res ga = {nfs4_opaque_str("value bytes")}, gb;
	CHECK(nfs4_enc_getxattr_res, nfs4_dec_getxattr_res, ga, gb);
	assert_opaque_eq(ga.value, gb.value);

	struct nfs4_setxattr_args sa = {SETXATTR4_CREATE, nfs4_opaque_str("user.a"),
					nfs4_opaque_str("v")},
				  sb;
	CHECK(nfs4_enc_setxattr_args, nfs4_dec_setxattr_args, sa, sb);
	assert_int_equal(sb.option, SETXATTR4_CREATE);
	assert_opaque_eq(sa.name, sb.name);
	assert_opaque_eq(sa.value, sb.value);

	struct nfs4_listxattrs_args la = {1ull << 50, 8192}, lb;
	CHECK(nfs4_enc_listxattrs_args, nfs4_dec_listxattrs_args, la, lb);
	assert_int_equal(lb.cookie, 1ull << 50);
	assert_int_equal(lb.maxcount, 8192);
}

/* Names "user.0", "user.1", ... (12 bytes each on the wire) until refused. */
static uint32_t listxattrs_fill(struct xdr_enc *e, uint32_t maxcount, uint32_t max_names,
				bool *finished)
{
	struct nfs4_listxattrs_enc r;
	assert_true(nfs4_enc_listxattrs_begin(&r, e, maxcount));
	uint32_t i;
	for (i = 0; i < max_names; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user.%u", i % 10);
		if (!nfs4_enc_listxattrs_name(&r, nfs4_opaque_str(name)))
			break;
	}
	assert_int_equal(r.count, i);
	*finished = nfs4_enc_listxattrs_finish(&r, 1000 + i, i == max_names);
	return i;
}

static void test_listxattrs_res(void **state)
{
	(void)state;
	const uint32_t head = 12, name = 12, tail = 4;
	struct xdr_enc e;
	bool finished;
	for (uint32_t n = 0; n <= 4; n++) {
		codec_enc_start(&e);
		uint32_t maxcount = head + n * name + tail;
		assert_int_equal(listxattrs_fill(&e, maxcount, 100, &finished), n);
		assert_true(finished);
		assert_int_equal(xdr_enc_len(&e), maxcount);
		xdr_enc_release(&e);
		if (n == 0)
			continue;
		codec_enc_start(&e);
		assert_int_equal(listxattrs_fill(&e, maxcount - 1, 100, &finished), n - 1);
		assert_true(finished);
		xdr_enc_release(&e);
	}
	codec_enc_start(&e);
	assert_int_equal(listxattrs_fill(&e, head + tail - 1, 100, &finished), 0);
	assert_false(finished);
	xdr_enc_release(&e);

	/* The buffer limit stops a name like maxcount and leaves it usable. */
	assert_true(xdr_enc_init(&e, 16, head + 2 * name + tail + 5));
	assert_int_equal(listxattrs_fill(&e, 100000, 100, &finished), 2);
	assert_true(finished);
	xdr_enc_release(&e);

	codec_enc_start(&e);
	assert_int_equal(listxattrs_fill(&e, 100000, 3, &finished), 3);
	assert_true(finished);
	struct nfs4_listxattrs_res res;
	codec_check_decode(&e, adapt_nfs4_dec_listxattrs_res, &res, sizeof(res));
	assert_int_equal(res.cookie, 1003);
	assert_int_equal(res.count, 3);
	assert_true(res.eof);
	struct nfs4_opaque n;
	for (uint32_t i = 0; i < 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "user.%u", i);
		assert_true(nfs4_listxattrs_res_next(&res, &n));
		assert_opaque_eq(n, nfs4_opaque_str(want));
	}
	assert_false(nfs4_listxattrs_res_next(&res, &n));
	/* A name length past the bytes present. */
	xdr_enc_patch_u32(&e, head, 100000);
	codec_check_refused(&e, adapt_nfs4_dec_listxattrs_res, &res);
	xdr_enc_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CODEC_TEST(test_space_ops),
		CODEC_TEST(test_read_plus),
		CODEC_TEST(test_copy),
		CODEC_TEST(test_offload),
		CODEC_TEST(test_xattr_ops),
		CODEC_TEST(test_listxattrs_res),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
