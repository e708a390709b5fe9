/* The NFSACL codec: GETACL's and SETACL's arguments and results have the
 * wire layout Linux's client and server use, round-trip, no proper prefix
 * decodes, and what the decoder must refuse it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xdr/nfsacl_codec.h"

static const uint8_t fhbytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const struct nfs3_fh FH = {fhbytes, 6};

static const struct nfsacl_ace ACCESS[] = {
	{0x01, 1000, 6}, {0x02, 1234, 4}, {0x04, 100, 4}, {0x10, 0, 4}, {0x20, 0, 0}};
static const struct nfsacl_ace DFLT[] = {{0x1001, 0, 7}, {0x1004, 0, 5}, {0x1020, 0, 5}};

static struct buf *encode_args(uint32_t proc, union nfsacl_args *a)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 1 << 20));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	bool ok = nfsacl_xdr_args(&x, proc, a);
	assert_true(ok);
	assert_false(e.overflow);
	return xdr_enc_take(&e);
}

static bool decode_args(const struct buf *b, size_t len, uint32_t proc, union nfsacl_args *a)
{
	struct xdr_dec d;
	xdr_dec_init(&d, b->data, len);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	memset(a, 0, sizeof(*a));
	return nfsacl_xdr_args(&x, proc, a) && xdr_dec_remaining(&d) == 0;
}

static uint32_t be32_at(const struct buf *b, size_t off)
{
	const uint8_t *p = b->data + off;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_setacl_layout_and_round_trip(void **state)
{
	(void)state;
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.setacl.fh = FH;
	a.setacl.mask = NFSACL_ACL | NFSACL_DFACL;
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, ACCESS};
	a.setacl.dflt = (struct nfsacl_list){3, 3, NULL, DFLT};
	struct buf *b = encode_args(NFSACLPROC3_SETACL, &a);
	/* fh (4 + 8 padded), mask, count, array length, 5 x 12, count,
	 * array length, 3 x 12. */
	assert_int_equal(b->len, 12 + 4 + 8 + 60 + 8 + 36);
	assert_int_equal(be32_at(b, 0), 6);
	assert_int_equal(be32_at(b, 12), NFSACL_ACL | NFSACL_DFACL);
	assert_int_equal(be32_at(b, 16), 5);
	assert_int_equal(be32_at(b, 20), 5);
	assert_int_equal(be32_at(b, 24 + 12), 0x02);
	assert_int_equal(be32_at(b, 24 + 16), 1234);
	assert_int_equal(be32_at(b, 24 + 20), 4);
	assert_int_equal(be32_at(b, 84), 3);
	assert_int_equal(be32_at(b, 92), 0x1001);

	union nfsacl_args d;
	assert_true(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	assert_int_equal(d.setacl.fh.len, 6);
	assert_memory_equal(d.setacl.fh.data, fhbytes, 6);
	assert_int_equal(d.setacl.access.count, 5);
	assert_int_equal(d.setacl.access.n, 5);
	for (uint32_t i = 0; i < 5; i++) {
		struct nfsacl_ace e = nfsacl_list_at(&d.setacl.access, i);
		assert_memory_equal(&e, &ACCESS[i], sizeof(e));
	}
	struct nfsacl_ace e = nfsacl_list_at(&d.setacl.dflt, 2);
	assert_memory_equal(&e, &DFLT[2], sizeof(e));
	/* No proper prefix decodes. */
	for (size_t len = 0; len < b->len; len += 4)
		assert_false(decode_args(b, len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);
}

static void test_setacl_refusals(void **state)
{
	(void)state;
	union nfsacl_args a, d;
	memset(&a, 0, sizeof(a));
	a.setacl.fh = FH;
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, ACCESS};

	/* A mask bit NFSACL does not have. */
	a.setacl.mask = NFSACL_ACL | 0x20;
	struct buf *b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_false(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);

	/* A list the mask sets that carries other than its count. */
	a.setacl.mask = NFSACL_ACL;
	a.setacl.access = (struct nfsacl_list){7, 5, NULL, ACCESS};
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_false(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);
	/* ... one it does not set may (a count alone). */
	a.setacl.mask = NFSACL_DFACL;
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_true(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);

	/* Over NFSACL_MAX_ENTRIES, in the count or in the array. */
	struct nfsacl_ace *many = calloc(NFSACL_MAX_ENTRIES + 1, sizeof(*many));
	assert_non_null(many);
	a.setacl.mask = NFSACL_ACL;
	a.setacl.access = (struct nfsacl_list){NFSACL_MAX_ENTRIES, NFSACL_MAX_ENTRIES, NULL, many};
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_true(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);
	a.setacl.access.count = a.setacl.access.n = NFSACL_MAX_ENTRIES + 1;
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_false(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);
	a.setacl.mask = 0;
	a.setacl.access = (struct nfsacl_list){NFSACL_MAX_ENTRIES + 1, 0, NULL, many};
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_false(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);
	free(many);

	/* A handle over NFS3_FHSIZE. */
	uint8_t big[NFS3_FHSIZE + 4] = {0};
	a.setacl.fh = (struct nfs3_fh){big, sizeof(big)};
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, ACCESS};
	b = encode_args(NFSACLPROC3_SETACL, &a);
	assert_false(decode_args(b, b->len, NFSACLPROC3_SETACL, &d));
	buf_unref(b);

	/* NULL has no arguments; a procedure NFSACL does not have decodes
	 * none. */
	b = encode_args(NFSACLPROC3_NULL, &a);
	assert_int_equal(b->len, 0);
	assert_false(decode_args(b, 0, 3, &d));
	buf_unref(b);
}

static void test_getacl(void **state)
{
	(void)state;
	union nfsacl_args a, d;
	memset(&a, 0, sizeof(a));
	a.getacl.fh = FH;
	a.getacl.mask = NFSACL_MASK_ALL;
	struct buf *b = encode_args(NFSACLPROC3_GETACL, &a);
	assert_int_equal(b->len, 16);
	assert_true(decode_args(b, b->len, NFSACLPROC3_GETACL, &d));
	assert_int_equal(d.getacl.mask, NFSACL_MASK_ALL);
	buf_unref(b);

	/* Results: OK with attributes, mask and both lists (the default one
	 * a count alone); an error with attributes only. */
	struct nfsacl_res r;
	memset(&r, 0, sizeof(r));
	r.status = NFS3_OK;
	r.attr.present = true;
	r.attr.attr.mode = 0640;
	r.mask = NFSACL_ACL | NFSACL_DFACLCNT;
	r.access = (struct nfsacl_list){5, 5, NULL, ACCESS};
	r.dflt = (struct nfsacl_list){3, 0, NULL, NULL};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 1 << 20));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	assert_true(nfsacl_xdr_res(&x, NFSACLPROC3_GETACL, &r));
	size_t len = e.buf->len;
	assert_int_equal(len, 4 + 4 + 84 + 4 + 8 + 60 + 8);
	struct xdr_dec dd;
	xdr_dec_init(&dd, e.buf->data, len);
	struct xdr_stream dx = XDR_DEC_STREAM(&dd);
	struct nfsacl_res back;
	memset(&back, 0, sizeof(back));
	assert_true(nfsacl_xdr_res(&dx, NFSACLPROC3_GETACL, &back));
	assert_int_equal(xdr_dec_remaining(&dd), 0);
	assert_int_equal(back.attr.attr.mode, 0640);
	assert_int_equal(back.access.n, 5);
	assert_int_equal(back.dflt.count, 3);
	assert_int_equal(back.dflt.n, 0);
	struct nfsacl_ace e4 = nfsacl_list_at(&back.access, 4);
	assert_memory_equal(&e4, &ACCESS[4], sizeof(e4));
	xdr_enc_release(&e);

	memset(&r, 0, sizeof(r));
	r.status = NFS3ERR_STALE;
	assert_true(xdr_enc_init(&e, 16, 1 << 20));
	x = XDR_ENC_STREAM(&e);
	assert_true(nfsacl_xdr_res(&x, NFSACLPROC3_GETACL, &r));
	assert_int_equal(e.buf->len, 8);
	xdr_enc_release(&e);
	assert_string_equal(nfsacl_proc_name(NFSACLPROC3_SETACL), "SETACL");
	assert_string_equal(nfsacl_proc_name(3), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setacl_layout_and_round_trip),
		cmocka_unit_test(test_setacl_refusals),
		cmocka_unit_test(test_getacl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
