/* Finding a COMPOUND's WRITE data before it has arrived (engine/bulk.c):
 * where the data of SEQUENCE, PUTFH, WRITE and of v4.0's PUTFH, WRITE
 * starts, and a refusal for everything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nfs4/engine/bulk.h"
#include "xdr/nfs4_codec.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_codec_session.h"
#include "xdr/nfs4_prot.h"

enum { MIB = 1 << 20 };

/* The arguments up to a WRITE's data of len bytes; *hdr_len their size.
 * seq: SEQUENCE first (v4.1); first_op: an operation before PUTFH (0:
 * none), with no arguments. */
static struct xdr_enc build(uint32_t minor, bool seq, uint32_t first_op, uint32_t len)
{
	struct xdr_enc e;
	struct nfs4_compound_enc c;
	assert_true(xdr_enc_init(&e, 512, 4096));
	static const uint8_t tag[] = "bulk";
	assert_true(nfs4_enc_compound_args_begin(&c, &e, (struct nfs4_opaque){tag, 4}, minor));
	if (seq) {
		struct nfs4_sequence_args s = {.sequenceid = 7, .slotid = 1};
		assert_true(nfs4_enc_op(&c, OP_SEQUENCE) && nfs4_enc_sequence_args(&e, &s));
	}
	if (first_op)
		assert_true(nfs4_enc_op(&c, first_op));
	static const uint8_t fh[40] = {1, 2, 3};
	struct nfs4_putfh_args p = {{fh, sizeof(fh)}};
	assert_true(nfs4_enc_op(&c, OP_PUTFH) && nfs4_enc_putfh_args(&e, &p));
	struct nfs4_write_args w = {.offset = 12345, .stable = UNSTABLE4, .data = {NULL, len}};
	assert_true(nfs4_enc_op(&c, OP_WRITE) && nfs4_enc_write_args_hdr(&e, &w));
	/* One more operation after the data (GETATTR), counted only. */
	c.count++;
	nfs4_enc_compound_end(&c);
	assert_false(e.overflow);
	return e;
}

static size_t args_len(size_t hdr, uint32_t len) { return hdr + xdr_pad4(len) + 12; }

static void test_finds_v41_write(void **st)
{
	(void)st;
	struct xdr_enc e = build(1, true, 0, MIB);
	size_t hdr = e.buf->len, off = 0, len = 0;
	assert_true(nfs4_bulk_find_write(e.buf->data, hdr, args_len(hdr, MIB), &off, &len));
	assert_int_equal(off, hdr);
	assert_int_equal(len, MIB);
	/* More bytes than the header (some data arrived): the same answer. */
	uint8_t more[4096];
	assert_true(hdr + 1000 <= sizeof(more));
	memset(more, 0xab, sizeof(more));
	memcpy(more, e.buf->data, hdr);
	off = len = 0;
	assert_true(nfs4_bulk_find_write(more, hdr + 1000, args_len(hdr, MIB), &off, &len));
	assert_int_equal(off, hdr);
	assert_int_equal(len, MIB);
	assert_true(nfs4_bulk_find(NULL, NFS4_VERSION, NFSPROC4_COMPOUND, e.buf->data, hdr,
				   args_len(hdr, MIB), &off, &len));
	assert_false(nfs4_bulk_find(NULL, NFS4_VERSION, NFSPROC4_NULL, e.buf->data, hdr,
				    args_len(hdr, MIB), &off, &len));
	xdr_enc_release(&e);
}

static void test_finds_v40_write(void **st)
{
	(void)st;
	struct xdr_enc e = build(0, false, 0, 3 * MIB / 4 + 1);
	size_t hdr = e.buf->len, off = 0, len = 0;
	assert_true(nfs4_bulk_find_write(e.buf->data, hdr, args_len(hdr, 3 * MIB / 4 + 1), &off,
					 &len));
	assert_int_equal(off, hdr);
	assert_int_equal(len, 3 * MIB / 4 + 1);
	xdr_enc_release(&e);
	/* Through PUTROOTFH first too. */
	e = build(0, false, OP_PUTROOTFH, MIB);
	hdr = e.buf->len;
	assert_true(nfs4_bulk_find_write(e.buf->data, hdr, args_len(hdr, MIB), &off, &len));
	assert_int_equal(off, hdr);
	xdr_enc_release(&e);
}

/* Every prefix shorter than the header is too short to tell. */
static void test_refuses_truncated(void **st)
{
	(void)st;
	struct xdr_enc e = build(1, true, 0, MIB);
	size_t hdr = e.buf->len, off, len;
	for (size_t have = 0; have < hdr; have++)
		assert_false(nfs4_bulk_find_write(e.buf->data, have, args_len(hdr, MIB), &off,
						  &len));
	/* Data announced beyond the arguments' end. */
	assert_false(nfs4_bulk_find_write(e.buf->data, hdr, hdr + MIB - 1, &off, &len));
	xdr_enc_release(&e);
}

static void test_refuses_small_write(void **st)
{
	(void)st;
	struct xdr_enc e = build(1, true, 0, NFS4_BULK_WRITE_MIN - 1);
	size_t hdr = e.buf->len, off, len;
	assert_false(nfs4_bulk_find_write(e.buf->data, hdr,
					  args_len(hdr, NFS4_BULK_WRITE_MIN - 1), &off, &len));
	xdr_enc_release(&e);
}

/* An operation it cannot skip before the WRITE, and bytes that are no
 * COMPOUND at all. */
static void test_refuses_others(void **st)
{
	(void)st;
	struct xdr_enc e = build(1, true, OP_GETFH, MIB);
	size_t hdr = e.buf->len, off, len;
	assert_false(nfs4_bulk_find_write(e.buf->data, hdr, args_len(hdr, MIB), &off, &len));
	xdr_enc_release(&e);
	uint8_t junk[256];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	assert_false(nfs4_bulk_find_write(junk, sizeof(junk), MIB, &off, &len));
	memset(junk, 0xff, sizeof(junk));
	assert_false(nfs4_bulk_find_write(junk, sizeof(junk), MIB, &off, &len));
	memset(junk, 0, sizeof(junk)); /* empty tag, minor 0, no operations */
	assert_false(nfs4_bulk_find_write(junk, sizeof(junk), MIB, &off, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_v41_write),
		cmocka_unit_test(test_finds_v40_write),
		cmocka_unit_test(test_refuses_truncated),
		cmocka_unit_test(test_refuses_small_write),
		cmocka_unit_test(test_refuses_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
