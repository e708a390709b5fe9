/* The COMPOUND header: the tag echoed byte for byte, minor version checks,
 * illegal operations, empty and undecodable requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

static struct ferryd_proc server;
static int conn = -1;
static uint32_t next_xid = 0xc0000000u;

static int setup(void **state)
{
	if (ferryd_start(&server, NULL) != 0)
		return -1;
	conn = rpctest_connect(server.hostport);
	return conn >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	if (conn >= 0)
		close(conn);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* Sends a COMPOUND whose arguments are exactly args (args_len bytes) and
 * returns the reply. */
static void compound_raw(const void *args, size_t args_len, struct rpctest_reply *r)
{
	uint32_t xid = next_xid++;
	assert_int_equal(rpctest_call(conn, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
				      NULL, args, args_len, r),
			 0);
	assert_int_equal(r->xid, xid);
}

/* A COMPOUND with this tag, minor version and op numbers (ops carry no
 * arguments, which is enough for ops that fail first). */
static void compound(const void *tag, uint32_t taglen, uint32_t minor, const uint32_t *ops,
		     uint32_t nops, struct rpctest_reply *r, struct nfs4_compound_res_hdr *res)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256 + taglen, 8u << 20));
	nfs4c_encode_compound(&e, tag, taglen, minor, ops, nops);
	assert_false(e.overflow);
	compound_raw(e.buf->data, e.buf->len, r);
	xdr_enc_release(&e);
	assert_int_equal(nfs4c_parse_compound(r, res), 0);
}

/* The reply ends right after what was parsed. */
static void expect_reply_consumed(struct rpctest_reply *r)
{
	assert_int_equal(xdr_dec_remaining(&r->results), 0);
}

/* Which of minor versions 0..2 this server serves (the range is a listener
 * setting): a COMPOUND without ops is NFS4_OK or NFS4ERR_MINOR_VERS_MISMATCH.
 * Minor version 0 must be among them. */
static void served_minors(bool served[3])
{
	for (uint32_t minor = 0; minor <= 2; minor++) {
		struct rpctest_reply r;
		struct nfs4_compound_res_hdr res;
		compound("probe", 5, minor, NULL, 0, &r, &res);
		if (res.status != NFS4_OK)
			assert_int_equal(res.status, NFS4ERR_MINOR_VERS_MISMATCH);
		served[minor] = res.status == NFS4_OK;
		rpctest_reply_release(&r);
	}
	assert_true(served[0]);
}

/* The tag comes back with the same length and bytes, zero-padded. */
static void check_tag_echo(const uint8_t *tag, uint32_t taglen)
{
	struct rpctest_reply r;
	struct nfs4_compound_res_hdr res;
	compound(tag, taglen, 0, NULL, 0, &r, &res);
	assert_int_equal(res.status, NFS4_OK);
	assert_int_equal(res.tag.len, taglen);
	if (taglen)
		assert_memory_equal(res.tag.data, tag, taglen);
	for (uint32_t i = taglen; i < (uint32_t)xdr_pad4(taglen); i++)
		assert_int_equal(res.tag.data[i], 0);
	assert_int_equal(res.numres, 0);
	expect_reply_consumed(&r);
	rpctest_reply_release(&r);
}

static void test_tag_echo(void **state)
{
	check_tag_echo((const uint8_t *)"hello", 5);
	check_tag_echo((const uint8_t *)"", 0);
	/* Not UTF-8: a lone continuation byte, an overlong form, 0xff, NULs. */
	static const uint8_t bad_utf8[] = {0x80, 0xc0, 0xaf, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x00};
	check_tag_echo(bad_utf8, sizeof(bad_utf8));
	static const uint8_t nul[] = {0};
	check_tag_echo(nul, 1);
	/* Every length modulo 4, so the padding is right each time. */
	uint8_t buf[256];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(255 - i);
	for (uint32_t len = 1; len <= 9; len++)
		check_tag_echo(buf, len);
	/* Every byte value. */
	check_tag_echo(buf, sizeof(buf));
	/* Large: tags are bounded only by the record. */
	uint8_t *big = malloc(100000);
	assert_non_null(big);
	for (unsigned i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	check_tag_echo(big, 100000);
	check_tag_echo(big, 99999);
	free(big);
	/* The largest tag a default-sized record holds (record 1056768 bytes:
	 * 40 of call header, 4 + tag + 8 of COMPOUND header). */
	enum { MAX_TAG = 1024 * 1024 + 8192 - 52 };
	big = malloc(MAX_TAG);
	assert_non_null(big);
	memset(big, 0xa5, MAX_TAG);
	check_tag_echo(big, MAX_TAG);
	free(big);
}

static void test_tag_echoed_on_errors(void **state)
{
	static const uint8_t tag[] = {0xde, 0xad, 0x00, 0xbe, 0xef, 0xff, 0x01};
	struct rpctest_reply r;
	struct nfs4_compound_res_hdr res;
	compound(tag, sizeof(tag), 3, NULL, 0, &r, &res);
	assert_int_equal(res.status, NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(res.tag.len, sizeof(tag));
	assert_memory_equal(res.tag.data, tag, sizeof(tag));
	rpctest_reply_release(&r);

	const uint32_t ops[] = {99};
	compound(tag, sizeof(tag), 0, ops, 1, &r, &res);
	assert_int_equal(res.status, NFS4ERR_OP_ILLEGAL);
	assert_int_equal(res.tag.len, sizeof(tag));
	assert_memory_equal(res.tag.data, tag, sizeof(tag));
	rpctest_reply_release(&r);
}

static void test_minor_version_mismatch(void **state)
{
	bool served[3];
	served_minors(served);
	uint32_t minors[8] = {3, 4, 0x7fffffffu, 0xffffffffu};
	unsigned nminors = 4;
	for (uint32_t m = 1; m <= 2; m++)
		if (!served[m])
			minors[nminors++] = m;
	const uint32_t ops[] = {OP_PUTROOTFH, OP_GETATTR};
	for (unsigned i = 0; i < nminors; i++) {
		for (uint32_t nops = 0; nops <= 2; nops++) {
			struct rpctest_reply r;
			struct nfs4_compound_res_hdr res;
			compound("mv", 2, minors[i], ops, nops, &r, &res);
			assert_int_equal(res.status, NFS4ERR_MINOR_VERS_MISMATCH);
			assert_int_equal(res.tag.len, 2);
			assert_memory_equal(res.tag.data, "mv", 2);
			assert_int_equal(res.numres, 0);
			expect_reply_consumed(&r);
			rpctest_reply_release(&r);
		}
	}
}

static void check_illegal(uint32_t minor, const uint32_t *ops, uint32_t nops)
{
	struct rpctest_reply r;
	struct nfs4_compound_res_hdr res;
	compound("illegal", 7, minor, ops, nops, &r, &res);
	assert_int_equal(res.status, NFS4ERR_OP_ILLEGAL);
	/* Results stop at the failing op: one result, resop OP_ILLEGAL. */
	assert_int_equal(res.numres, 1);
	uint32_t resop, status;
	assert_true(nfs4_dec_op_res(&r.results, &resop, &status));
	assert_int_equal(resop, OP_ILLEGAL);
	assert_int_equal(resop, 10044);
	assert_int_equal(status, NFS4ERR_OP_ILLEGAL);
	assert_int_equal(status, 10044);
	expect_reply_consumed(&r);
	rpctest_reply_release(&r);
}

static void test_illegal_ops(void **state)
{
	bool served[3];
	served_minors(served);
	const uint32_t illegal[] = {0, 1, 2, 99, 10043, OP_ILLEGAL, 10045, 0xffffffffu};
	const uint32_t two[] = {2, OP_PUTROOTFH};
	for (uint32_t minor = 0; minor <= 2; minor++) {
		if (!served[minor])
			continue;
		for (unsigned i = 0; i < sizeof(illegal) / sizeof(illegal[0]); i++)
			check_illegal(minor, &illegal[i], 1);
		/* An illegal op first: what follows is not looked at. */
		check_illegal(minor, two, 2);
	}
	/* v4.1 operations do not exist in v4.0. */
	const uint32_t v41[] = {OP_SEQUENCE};
	check_illegal(0, v41, 1);
}

static void test_zero_ops(void **state)
{
	bool served[3];
	served_minors(served);
	for (uint32_t minor = 0; minor <= 2; minor++) {
		if (!served[minor])
			continue;
		struct rpctest_reply r;
		struct nfs4_compound_res_hdr res;
		compound("zero", 4, minor, NULL, 0, &r, &res);
		assert_int_equal(res.status, NFS4_OK);
		assert_int_equal(res.numres, 0);
		expect_reply_consumed(&r);
		rpctest_reply_release(&r);
	}
}

/* An accepted GARBAGE_ARGS with nothing after it, and the connection goes on. */
static void check_garbage(const void *args, size_t args_len)
{
	struct rpctest_reply r;
	compound_raw(args, args_len, &r);
	assert_int_equal(r.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	assert_int_equal(r.buf->len, 24);
	rpctest_reply_release(&r);
	assert_int_equal(rpctest_call(conn, next_xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL,
				      NULL, NULL, 0, &r),
			 0);
	next_xid++;
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
}

static void test_undecodable_args(void **state)
{
	uint8_t a[64];
	memset(a, 0, sizeof(a));
	/* Deliberately malformed COMPOUND4args headers, written raw. */
	/* No arguments at all. */
	check_garbage(NULL, 0);
	/* Tag lengths beyond the record, up to the largest. */
	xdr_put_be32(a, 0xffffffffu);
	check_garbage(a, 16);
	xdr_put_be32(a, 0xfffffffdu);
	check_garbage(a, 16);
	xdr_put_be32(a, 0x80000000u);
	check_garbage(a, 16);
	xdr_put_be32(a, 13);
	check_garbage(a, 12);
	/* Tag, then no minor version; then no op count. */
	xdr_put_be32(a, 4);
	check_garbage(a, 8);
	check_garbage(a, 12);
	/* Control: the same header with numops 0 is fine. */
	xdr_put_be32(a + 8, 0);
	xdr_put_be32(a + 12, 0);
	struct rpctest_reply r;
	compound_raw(a, 16, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
}

/* Past the header, what does not decode is the COMPOUND's own error: the
 * call is accepted and the failing op's result says NFS4ERR_BADXDR. */
static void check_badxdr(const void *args, size_t args_len, uint32_t numres)
{
	struct rpctest_reply r;
	compound_raw(args, args_len, &r);
	struct nfs4_compound_res_hdr res;
	assert_int_equal(nfs4c_parse_compound(&r, &res), 0);
	assert_int_equal(res.status, NFS4ERR_BADXDR);
	assert_int_equal(res.numres, numres);
	uint32_t resop, status = NFS4_OK;
	for (uint32_t i = 0; i < numres; i++) {
		assert_true(nfs4_dec_op_res(&r.results, &resop, &status));
		if (i + 1 < numres)
			assert_int_equal(status, NFS4_OK);
	}
	assert_int_equal(status, NFS4ERR_BADXDR);
	expect_reply_consumed(&r);
	rpctest_reply_release(&r);
}

static void test_undecodable_ops(void **state)
{
	uint8_t a[64];
	memset(a, 0, sizeof(a));
	/* Deliberately malformed arguments, written raw: tag "t", minor 0,
	 * then one op promised and none there. */
	xdr_put_be32(a, 1);
	a[4] = 't';
	xdr_put_be32(a + 8, 0);
	xdr_put_be32(a + 12, 1);
	check_badxdr(a, 16, 1);
	/* Three promised, one there (it succeeds), then nothing. */
	xdr_put_be32(a + 12, 3);
	xdr_put_be32(a + 16, OP_PUTROOTFH);
	check_badxdr(a, 20, 2);
	/* PUTFH whose file handle length runs past the end. */
	xdr_put_be32(a + 12, 1);
	xdr_put_be32(a + 16, OP_PUTFH);
	xdr_put_be32(a + 20, 128);
	check_badxdr(a, 28, 1);
	/* The connection is still in sync. */
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(conn, next_xid++, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL,
				      NULL, NULL, 0, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_echo),
		cmocka_unit_test(test_tag_echoed_on_errors),
		cmocka_unit_test(test_minor_version_mismatch),
		cmocka_unit_test(test_illegal_ops),
		cmocka_unit_test(test_zero_ops),
		cmocka_unit_test(test_undecodable_args),
		cmocka_unit_test(test_undecodable_ops),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
