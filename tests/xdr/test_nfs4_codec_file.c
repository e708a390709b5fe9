/* NFSv4 file-handle, attribute, directory, namespace and I/O operations:
 * each encoder against its decoder field by field, every truncation
 * refused, over-limit lengths refused, and the incremental READDIR and READ
 * encoders. */
#include "nfs4_codec_check.h"

#include "xdr/nfs4_codec_file.h"

CODEC_DEC_ADAPTER(nfs4_dec_putfh_args, struct nfs4_putfh_args)
CODEC_DEC_ADAPTER(nfs4_dec_getfh_res, struct nfs4_getfh_res)
CODEC_DEC_ADAPTER(nfs4_dec_lookup_args, struct nfs4_lookup_args)
CODEC_DEC_ADAPTER(nfs4_dec_secinfo_args, struct nfs4_secinfo_args)
CODEC_DEC_ADAPTER(nfs4_dec_openattr_args, struct nfs4_openattr_args)
CODEC_DEC_ADAPTER(nfs4_dec_getattr_args, struct nfs4_getattr_args)
CODEC_DEC_ADAPTER(nfs4_dec_getattr_res, struct nfs4_getattr_res)
CODEC_DEC_ADAPTER(nfs4_dec_setattr_args, struct nfs4_setattr_args)
CODEC_DEC_ADAPTER(nfs4_dec_setattr_res, struct nfs4_setattr_res)
CODEC_DEC_ADAPTER(nfs4_dec_verify_args, struct nfs4_verify_args)
CODEC_DEC_ADAPTER(nfs4_dec_access_args, struct nfs4_access_args)
CODEC_DEC_ADAPTER(nfs4_dec_access_res, struct nfs4_access_res)
CODEC_DEC_ADAPTER(nfs4_dec_readdir_args, struct nfs4_readdir_args)
CODEC_DEC_ADAPTER(nfs4_dec_readdir_res, struct nfs4_readdir_res)
CODEC_DEC_ADAPTER(nfs4_dec_create_args, struct nfs4_create_args)
CODEC_DEC_ADAPTER(nfs4_dec_create_res, struct nfs4_create_res)
CODEC_DEC_ADAPTER(nfs4_dec_remove_args, struct nfs4_remove_args)
CODEC_DEC_ADAPTER(nfs4_dec_cinfo_res, struct nfs4_cinfo_res)
CODEC_DEC_ADAPTER(nfs4_dec_rename_args, struct nfs4_rename_args)
CODEC_DEC_ADAPTER(nfs4_dec_rename_res, struct nfs4_rename_res)
CODEC_DEC_ADAPTER(nfs4_dec_link_args, struct nfs4_link_args)
CODEC_DEC_ADAPTER(nfs4_dec_readlink_res, struct nfs4_readlink_res)
CODEC_DEC_ADAPTER(nfs4_dec_read_args, struct nfs4_read_args)
CODEC_DEC_ADAPTER(nfs4_dec_read_res, struct nfs4_read_res)
CODEC_DEC_ADAPTER(nfs4_dec_write_args, struct nfs4_write_args)
CODEC_DEC_ADAPTER(nfs4_dec_write_res, struct nfs4_write_res)
CODEC_DEC_ADAPTER(nfs4_dec_commit_args, struct nfs4_commit_args)
CODEC_DEC_ADAPTER(nfs4_dec_commit_res, struct nfs4_commit_res)

#define CHECK(encfn, decfn, in, out)                                          \
	do {                                                                  \
		struct xdr_enc e_;                                            \
		codec_enc_start(&e_);                                         \
		assert_true(encfn(&e_, &(in)));                               \
		codec_check_decode(&e_, adapt_##decfn, &(out), sizeof(out)); \
		codec_keep(&e_);                                              \
	} while (0)

/* Encodes in with encfn and expects decfn to refuse it. */
#define REFUSE(encfn, decfn, in, out)                                 \
	do {                                                          \
		struct xdr_enc e_;                                    \
		codec_enc_start(&e_);                                 \
		assert_true(encfn(&e_, &(in)));                       \
		codec_check_refused(&e_, adapt_##decfn, &(out));      \
		xdr_enc_release(&e_);                                 \
	} while (0)

static void test_fh_ops(void **state)
{
	(void)state;
	struct nfs4_putfh_args pa = {codec_bytes(NFS4_FHSIZE, 0xab)}, pb;
	CHECK(nfs4_enc_putfh_args, nfs4_dec_putfh_args, pa, pb);
	assert_opaque_eq(pa.fh, pb.fh);
	pa.fh.len = NFS4_FHSIZE + 1;
	REFUSE(nfs4_enc_putfh_args, nfs4_dec_putfh_args, pa, pb);

	struct nfs4_getfh_res ga = {nfs4_opaque_str("handle")}, gb;
	CHECK(nfs4_enc_getfh_res, nfs4_dec_getfh_res, ga, gb);
	assert_opaque_eq(ga.fh, gb.fh);
	ga.fh = codec_bytes(NFS4_FHSIZE + 1, 1);
	REFUSE(nfs4_enc_getfh_res, nfs4_dec_getfh_res, ga, gb);

	struct nfs4_openattr_args oa = {true}, ob = {false};
	CHECK(nfs4_enc_openattr_args, nfs4_dec_openattr_args, oa, ob);
	assert_true(ob.createdir);
}

static void test_name_ops(void **state)
{
	(void)state;
	struct nfs4_lookup_args la = {nfs4_opaque_str("a-name")}, lb;
	CHECK(nfs4_enc_lookup_args, nfs4_dec_lookup_args, la, lb);
	assert_opaque_eq(la.name, lb.name);
	la.name = codec_bytes(NFS4_OPAQUE_LIMIT, 'x');
	CHECK(nfs4_enc_lookup_args, nfs4_dec_lookup_args, la, lb);
	assert_opaque_eq(la.name, lb.name);
	/* A name past NFS4_OPAQUE_LIMIT decodes: NAMETOOLONG is the server's. */
	la.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'x');
	CHECK(nfs4_enc_lookup_args, nfs4_dec_lookup_args, la, lb);
	assert_opaque_eq(la.name, lb.name);
	/* A length past the bytes present does not. */
	{
		struct xdr_enc e;
		codec_enc_start(&e);
		assert_true(xdr_encode_u32(&e, 64) && xdr_encode_u32(&e, 0));
		codec_check_refused(&e, adapt_nfs4_dec_lookup_args, &lb);
		xdr_enc_release(&e);
	}

	struct nfs4_secinfo_args sa = {nfs4_opaque_str("dir")}, sb;
	CHECK(nfs4_enc_secinfo_args, nfs4_dec_secinfo_args, sa, sb);
	assert_opaque_eq(sa.name, sb.name);
	sa.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'x');
	CHECK(nfs4_enc_secinfo_args, nfs4_dec_secinfo_args, sa, sb);
	assert_opaque_eq(sa.name, sb.name);

	struct nfs4_remove_args ra = {nfs4_opaque_str("gone")}, rb;
	CHECK(nfs4_enc_remove_args, nfs4_dec_remove_args, ra, rb);
	assert_opaque_eq(ra.name, rb.name);
	ra.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'x');
	CHECK(nfs4_enc_remove_args, nfs4_dec_remove_args, ra, rb);
	assert_opaque_eq(ra.name, rb.name);

	struct nfs4_rename_args na = {nfs4_opaque_str("old"), nfs4_opaque_str("newer")}, nb;
	CHECK(nfs4_enc_rename_args, nfs4_dec_rename_args, na, nb);
	assert_opaque_eq(na.oldname, nb.oldname);
	assert_opaque_eq(na.newname, nb.newname);
	na.newname = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'x');
	CHECK(nfs4_enc_rename_args, nfs4_dec_rename_args, na, nb);
	assert_opaque_eq(na.newname, nb.newname);

	struct nfs4_link_args ka = {nfs4_opaque_str("hard")}, kb;
	CHECK(nfs4_enc_link_args, nfs4_dec_link_args, ka, kb);
	assert_opaque_eq(ka.name, kb.name);
	ka.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'x');
	CHECK(nfs4_enc_link_args, nfs4_dec_link_args, ka, kb);
	assert_opaque_eq(ka.name, kb.name);
}

static void test_cinfo_results(void **state)
{
	(void)state;
	struct nfs4_cinfo_res ca = {{true, 5, 6}}, cb;
	CHECK(nfs4_enc_cinfo_res, nfs4_dec_cinfo_res, ca, cb);
	assert_cinfo_eq(&ca.cinfo, &cb.cinfo);

	struct nfs4_rename_res ra = {{false, 1, 2}, {true, 3, UINT64_MAX}}, rb;
	CHECK(nfs4_enc_rename_res, nfs4_dec_rename_res, ra, rb);
	assert_cinfo_eq(&ra.source_cinfo, &rb.source_cinfo);
	assert_cinfo_eq(&ra.target_cinfo, &rb.target_cinfo);

	struct nfs4_readlink_res la = {nfs4_opaque_str("../target/of/link")}, lb;
	CHECK(nfs4_enc_readlink_res, nfs4_dec_readlink_res, la, lb);
	assert_opaque_eq(la.link, lb.link);
}

static void test_attr_ops(void **state)
{
	(void)state;
	struct nfs4_getattr_args ga = {0}, gb;
	nfs4_bitmap_set(&ga.mask, FATTR4_TYPE);
	nfs4_bitmap_set(&ga.mask, FATTR4_MOUNTED_ON_FILEID);
	nfs4_bitmap_set(&ga.mask, FATTR4_SUPPATTR_EXCLCREAT);
	CHECK(nfs4_enc_getattr_args, nfs4_dec_getattr_args, ga, gb);
	assert_bitmap_eq(&ga.mask, &gb.mask);
	assert_false(gb.mask_extra);

	struct nfs4_getattr_res ra = {codec_fattr()}, rb;
	CHECK(nfs4_enc_getattr_res, nfs4_dec_getattr_res, ra, rb);
	assert_fattr_raw_eq(&ra.attrs, &rb.attrs);
	assert_false(rb.attrs.extra);

	struct nfs4_setattr_args sa = {codec_stateid(3), codec_fattr()}, sb;
	CHECK(nfs4_enc_setattr_args, nfs4_dec_setattr_args, sa, sb);
	assert_stateid_eq(&sa.stateid, &sb.stateid);
	assert_fattr_raw_eq(&sa.attrs, &sb.attrs);

	struct nfs4_setattr_res ta = {0}, tb;
	nfs4_bitmap_set(&ta.attrsset, FATTR4_MODE);
	CHECK(nfs4_enc_setattr_res, nfs4_dec_setattr_res, ta, tb);
	assert_bitmap_eq(&ta.attrsset, &tb.attrsset);

	struct nfs4_verify_args va = {codec_fattr()}, vb;
	CHECK(nfs4_enc_verify_args, nfs4_dec_verify_args, va, vb);
	assert_fattr_raw_eq(&va.attrs, &vb.attrs);

	struct nfs4_access_args aa = {ACCESS4_READ | ACCESS4_XALIST}, ab;
	CHECK(nfs4_enc_access_args, nfs4_dec_access_args, aa, ab);
	assert_int_equal(aa.access, ab.access);
	struct nfs4_access_res xa = {0x3f, 0x21}, xb;
	CHECK(nfs4_enc_access_res, nfs4_dec_access_res, xa, xb);
	assert_int_equal(xa.supported, xb.supported);
	assert_int_equal(xa.access, xb.access);
}

/* A bitmap word past the ones Ferry knows is reported, not refused. */
static void test_attr_mask_extra(void **state)
{
	(void)state;
	const uint8_t in[] = {0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	struct xdr_dec d;
	struct nfs4_getattr_args a;
	xdr_dec_init(&d, in, sizeof(in));
	assert_true(nfs4_dec_getattr_args(&d, &a));
	assert_true(a.mask_extra);
	assert_true(nfs4_bitmap_isset(&a.mask, 0));

	/* In a fattr4 the flag travels with the attributes (VERIFY here). */
	const uint8_t fattr[] = {0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0, 2, 0, 0, 0, 0};
	struct nfs4_verify_args v;
	xdr_dec_init(&d, fattr, sizeof(fattr));
	assert_true(nfs4_dec_verify_args(&d, &v));
	assert_true(v.attrs.extra);
	assert_true(nfs4_bitmap_isset(&v.attrs.mask, 0));
	assert_int_equal(v.attrs.vals.len, 0);
}

static void test_create(void **state)
{
	(void)state;
	struct nfs4_create_args a = {.type = NF4LNK,
				     .linkdata = nfs4_opaque_str("/some/where"),
				     .name = nfs4_opaque_str("sym"),
				     .attrs = codec_fattr()},
				b;
	CHECK(nfs4_enc_create_args, nfs4_dec_create_args, a, b);
	assert_int_equal(b.type, NF4LNK);
	assert_opaque_eq(a.linkdata, b.linkdata);
	assert_opaque_eq(a.name, b.name);
	assert_fattr_raw_eq(&a.attrs, &b.attrs);

	a = (struct nfs4_create_args){.type = NF4CHR, .devdata = {10, 200},
				      .name = nfs4_opaque_str("tty"), .attrs = codec_fattr()};
	CHECK(nfs4_enc_create_args, nfs4_dec_create_args, a, b);
	assert_int_equal(b.type, NF4CHR);
	assert_int_equal(b.devdata.major, 10);
	assert_int_equal(b.devdata.minor, 200);
	assert_int_equal(b.linkdata.len, 0);
	a.type = NF4BLK;
	CHECK(nfs4_enc_create_args, nfs4_dec_create_args, a, b);
	assert_int_equal(b.type, NF4BLK);
	assert_int_equal(b.devdata.minor, 200);

	a = (struct nfs4_create_args){.type = NF4DIR, .name = nfs4_opaque_str("d"),
				      .attrs = codec_fattr()};
	CHECK(nfs4_enc_create_args, nfs4_dec_create_args, a, b);
	assert_int_equal(b.type, NF4DIR);
	assert_opaque_eq(a.name, b.name);

	a.name = codec_bytes(NFS4_OPAQUE_LIMIT + 1, 'n');
	CHECK(nfs4_enc_create_args, nfs4_dec_create_args, a, b);
	assert_opaque_eq(a.name, b.name);

	struct nfs4_create_res ra = {{true, 9, 10}, {{0}}, false}, rb;
	nfs4_bitmap_set(&ra.attrset, FATTR4_MODE);
	CHECK(nfs4_enc_create_res, nfs4_dec_create_res, ra, rb);
	assert_cinfo_eq(&ra.cinfo, &rb.cinfo);
	assert_bitmap_eq(&ra.attrset, &rb.attrset);
}

static void test_readdir_args(void **state)
{
	(void)state;
	struct nfs4_readdir_args a = {.cookie = 77, .cookieverf = codec_verifier(4),
				      .dircount = 4096, .maxcount = 32768},
				 b;
	nfs4_bitmap_set(&a.attr_request, FATTR4_FILEID);
	CHECK(nfs4_enc_readdir_args, nfs4_dec_readdir_args, a, b);
	assert_int_equal(b.cookie, 77);
	assert_verifier_eq(&a.cookieverf, &b.cookieverf);
	assert_int_equal(b.dircount, 4096);
	assert_int_equal(b.maxcount, 32768);
	assert_bitmap_eq(&a.attr_request, &b.attr_request);
}

/* Fills a READDIR reply with entries "e0", "e1", ... until the encoder
 * refuses one; returns how many went in. */
static uint32_t readdir_fill(struct xdr_enc *e, uint32_t dircount, uint32_t maxcount,
			     uint32_t max_entries, bool *finished)
{
	struct nfs4_readdir_enc r;
	struct nfs4_verifier v = codec_verifier(1);
	struct nfs4_fattr_raw f = codec_fattr();
	assert_true(nfs4_enc_readdir_begin(&r, e, &v, dircount, maxcount));
	uint32_t i;
	for (i = 0; i < max_entries; i++) {
		char name[16];
		snprintf(name, sizeof(name), "e%u", i);
		if (!nfs4_enc_readdir_entry(&r, 100 + i, nfs4_opaque_str(name), &f))
			break;
	}
	assert_int_equal(r.count, i);
	*finished = nfs4_enc_readdir_finish(&r, i == max_entries);
	return i;
}

static void test_readdir_res(void **state)
{
	(void)state;
	/* Each entry: 4 (more) + 8 (cookie) + 8 (name) + 12 (bitmap) + 16 (vals) = 48. */
	const uint32_t entry = 48, head = 8, tail = 8;
	for (uint32_t n = 0; n <= 5; n++) {
		struct xdr_enc e;
		codec_enc_start(&e);
		bool finished;
		uint32_t maxcount = head + n * entry + tail;
		assert_int_equal(readdir_fill(&e, 0, maxcount, 100, &finished), n);
		assert_true(finished);
		assert_int_equal(xdr_enc_len(&e), maxcount);
		xdr_enc_release(&e);

		/* One byte short of n entries only fits n - 1. */
		if (n == 0)
			continue;
		codec_enc_start(&e);
		assert_int_equal(readdir_fill(&e, 0, maxcount - 1, 100, &finished), n - 1);
		assert_true(finished);
		xdr_enc_release(&e);
	}

	/* dircount counts cookie + name (8 + 8 = 16 a entry); the first
	 * entry always goes in. */
	struct xdr_enc e;
	bool finished;
	codec_enc_start(&e);
	assert_int_equal(readdir_fill(&e, 1, 100000, 100, &finished), 1);
	xdr_enc_release(&e);
	codec_enc_start(&e);
	assert_int_equal(readdir_fill(&e, 48, 100000, 100, &finished), 3);
	xdr_enc_release(&e);

	/* maxcount below the empty reply: finish refuses (NFS4ERR_TOOSMALL). */
	codec_enc_start(&e);
	assert_int_equal(readdir_fill(&e, 0, 15, 100, &finished), 0);
	assert_false(finished);
	xdr_enc_release(&e);

	/* The hard buffer limit stops an entry like maxcount does and leaves
	 * the encoder usable. */
	assert_true(xdr_enc_init(&e, 16, head + 2 * entry + tail + 20));
	assert_int_equal(readdir_fill(&e, 0, 100000, 100, &finished), 2);
	assert_true(finished);
	assert_false(e.overflow);
	xdr_enc_release(&e);

	/* Round trip of three entries, walked by the iterator. */
	codec_enc_start(&e);
	assert_int_equal(readdir_fill(&e, 0, 100000, 3, &finished), 3);
	assert_true(finished);
	struct nfs4_readdir_res res;
	codec_check_decode(&e, adapt_nfs4_dec_readdir_res, &res, sizeof(res));
	struct nfs4_verifier v = codec_verifier(1);
	assert_verifier_eq(&res.cookieverf, &v);
	assert_int_equal(res.count, 3);
	assert_int_equal(res.last_cookie, 102);
	assert_true(res.eof);
	struct nfs4_dirent ent;
	struct nfs4_fattr_raw f = codec_fattr();
	for (uint32_t i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "e%u", i);
		assert_true(nfs4_readdir_res_next(&res, &ent));
		assert_int_equal(ent.cookie, 100 + i);
		assert_opaque_eq(ent.name, nfs4_opaque_str(name));
		assert_fattr_raw_eq(&ent.attrs, &f);
	}
	assert_false(nfs4_readdir_res_next(&res, &ent));
	xdr_enc_release(&e);

	/* An empty directory. */
	codec_enc_start(&e);
	assert_int_equal(readdir_fill(&e, 0, 100000, 0, &finished), 0);
	codec_check_decode(&e, adapt_nfs4_dec_readdir_res, &res, sizeof(res));
	assert_int_equal(res.count, 0);
	assert_int_equal(res.last_cookie, 0);
	assert_true(res.eof);
	assert_false(nfs4_readdir_res_next(&res, &ent));
	xdr_enc_release(&e);
}

/* The server's way: cookie and name, then its own fattr4 straight into the
 * reply. */
static void test_readdir_entry_steps(void **state)
{
	(void)state;
	struct xdr_enc e;
	codec_enc_start(&e);
	struct nfs4_readdir_enc r;
	struct nfs4_verifier v = codec_verifier(2);
	assert_true(nfs4_enc_readdir_begin(&r, &e, &v, 0, 200));
	assert_true(nfs4_enc_readdir_entry_begin(&r, 5, nfs4_opaque_str("x")));
	struct nfs4_fattr_raw f = codec_fattr();
	assert_true(nfs4_enc_fattr_raw(&e, &f));
	assert_true(nfs4_enc_readdir_entry_end(&r));
	size_t kept = xdr_enc_len(&e);
	assert_true(nfs4_enc_readdir_entry_begin(&r, 6, nfs4_opaque_str("y")));
	assert_true(nfs4_enc_opaque(&e, codec_bytes(300, 0))); /* too big an attribute list */
	assert_false(nfs4_enc_readdir_entry_end(&r));
	assert_int_equal(xdr_enc_len(&e), kept);
	/* An entry whose attributes could not be had. */
	assert_true(nfs4_enc_readdir_entry_begin(&r, 7, nfs4_opaque_str("z")));
	nfs4_enc_readdir_entry_cancel(&r);
	assert_int_equal(xdr_enc_len(&e), kept);
	assert_int_equal(r.count, 1);
	assert_true(nfs4_enc_readdir_finish(&r, false));
	struct nfs4_readdir_res res;
	codec_check_decode(&e, adapt_nfs4_dec_readdir_res, &res, sizeof(res));
	assert_int_equal(res.count, 1);
	assert_int_equal(res.last_cookie, 5);
	assert_false(res.eof);
	xdr_enc_release(&e);
}

static void test_readdir_res_refused(void **state)
{
	(void)state;
	/* An entry whose name runs past the bytes present. */
	struct xdr_enc e;
	codec_enc_start(&e);
	struct nfs4_verifier v = codec_verifier(0);
	assert_true(nfs4_enc_verifier(&e, &v));
	assert_true(xdr_encode_bool(&e, true) && xdr_encode_u64(&e, 1));
	assert_true(xdr_encode_u32(&e, 4096) && xdr_encode_u32(&e, 0));
	struct nfs4_readdir_res res;
	codec_check_refused(&e, adapt_nfs4_dec_readdir_res, &res);
	xdr_enc_release(&e);
	/* A list marker that is not a bool. */
	codec_enc_start(&e);
	assert_true(nfs4_enc_verifier(&e, &v) && xdr_encode_u32(&e, 2) && xdr_encode_u32(&e, 1));
	codec_check_refused(&e, adapt_nfs4_dec_readdir_res, &res);
	xdr_enc_release(&e);
}

static void test_read(void **state)
{
	(void)state;
	struct nfs4_read_args a = {codec_stateid(8), 1ull << 40, 65536}, b;
	CHECK(nfs4_enc_read_args, nfs4_dec_read_args, a, b);
	assert_stateid_eq(&a.stateid, &b.stateid);
	assert_int_equal(b.offset, 1ull << 40);
	assert_int_equal(b.count, 65536);

	struct nfs4_read_res ra = {true, nfs4_opaque_str("hello")}, rb;
	CHECK(nfs4_enc_read_res, nfs4_dec_read_res, ra, rb);
	assert_true(rb.eof);
	assert_opaque_eq(ra.data, rb.data);

	/* Reserve room for 100, read 5: the reply is trimmed and padded. */
	for (uint32_t got = 0; got <= 5; got++) {
		struct xdr_enc e;
		codec_enc_start(&e);
		assert_true(xdr_encode_u32(&e, 0xcafe)); /* something before */
		size_t off;
		uint8_t *p = nfs4_enc_read_res_reserve(&e, 100, &off);
		assert_non_null(p);
		memset(p, 0xee, 100);
		memcpy(p, "hello", got);
		nfs4_enc_read_res_finish(&e, off, got == 5, got);
		assert_int_equal(xdr_enc_len(&e), 4 + 8 + xdr_pad4(got));
		for (size_t i = 4 + 8 + got; i < xdr_enc_len(&e); i++)
			assert_int_equal(e.buf->data[i], 0);
		struct xdr_dec d;
		xdr_dec_init(&d, e.buf->data + 4, xdr_enc_len(&e) - 4);
		assert_true(nfs4_dec_read_res(&d, &rb));
		assert_int_equal(rb.eof, got == 5);
		assert_opaque_eq(rb.data, (struct nfs4_opaque){(const uint8_t *)"hello", got});
		xdr_enc_release(&e);
	}
	/* No room: NULL and the overflow flag. */
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 64));
	size_t off;
	assert_null(nfs4_enc_read_res_reserve(&e, 100, &off));
	assert_true(e.overflow);
	xdr_enc_release(&e);
}

static void test_write(void **state)
{
	(void)state;
	struct nfs4_write_args a = {codec_stateid(9), 4096, FILE_SYNC4, nfs4_opaque_str("data!")},
			       b;
	CHECK(nfs4_enc_write_args, nfs4_dec_write_args, a, b);
	assert_stateid_eq(&a.stateid, &b.stateid);
	assert_int_equal(b.offset, 4096);
	assert_int_equal(b.stable, FILE_SYNC4);
	assert_opaque_eq(a.data, b.data);

	/* Header, then the caller's data and padding: the same bytes. */
	struct xdr_enc whole, split;
	codec_enc_start(&whole);
	codec_enc_start(&split);
	assert_true(nfs4_enc_write_args(&whole, &a));
	assert_true(nfs4_enc_write_args_hdr(&split, &a));
	assert_int_equal(nfs4_write_pad(a.data.len), 3);
	assert_true(xdr_encode_opaque_fixed(&split, a.data.data, a.data.len));
	assert_int_equal(xdr_enc_len(&whole), xdr_enc_len(&split));
	assert_memory_equal(whole.buf->data, split.buf->data, xdr_enc_len(&whole));
	xdr_enc_release(&whole);
	xdr_enc_release(&split);

	a.stable = FILE_SYNC4 + 1;
	REFUSE(nfs4_enc_write_args, nfs4_dec_write_args, a, b);

	struct nfs4_write_res ra = {5, DATA_SYNC4, codec_verifier(7)}, rb;
	CHECK(nfs4_enc_write_res, nfs4_dec_write_res, ra, rb);
	assert_int_equal(rb.count, 5);
	assert_int_equal(rb.committed, DATA_SYNC4);
	assert_verifier_eq(&ra.writeverf, &rb.writeverf);

	struct nfs4_commit_args ca = {123, 456}, cb;
	CHECK(nfs4_enc_commit_args, nfs4_dec_commit_args, ca, cb);
	assert_int_equal(cb.offset, 123);
	assert_int_equal(cb.count, 456);
	struct nfs4_commit_res ka = {codec_verifier(3)}, kb;
	CHECK(nfs4_enc_commit_res, nfs4_dec_commit_res, ka, kb);
	assert_verifier_eq(&ka.writeverf, &kb.writeverf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CODEC_TEST(test_fh_ops),
		CODEC_TEST(test_name_ops),
		CODEC_TEST(test_cinfo_results),
		CODEC_TEST(test_attr_ops),
		CODEC_TEST(test_attr_mask_extra),
		CODEC_TEST(test_create),
		CODEC_TEST(test_readdir_args),
		CODEC_TEST(test_readdir_res),
		CODEC_TEST(test_readdir_entry_steps),
		CODEC_TEST(test_readdir_res_refused),
		CODEC_TEST(test_read),
		CODEC_TEST(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
