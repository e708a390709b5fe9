/* NFSv4.0 operations not covered elsewhere: PUTPUBFH, SECINFO, READ with the
 * special stateids, OPENATTR, DELEGPURGE, DELEGRETURN; and an IPv6 listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;
static int fd = -1;

static int setup(void **state)
{
	const char *args[] = {"--export", NULL, NULL};
	static char exp[400];
	/* The export lives in a directory this test fills from the host. */
	snprintf(exp, sizeof(exp), "%s/ferry-misc-%d:/export", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 getpid());
	args[1] = exp;
	if (ferryd_start(&server, args) != 0)
		return -1;
	char path[400];
	snprintf(path, sizeof(path), "%.*s/hello", (int)(strlen(exp) - 8), exp);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("hello from the host\n", f);
	fclose(f);
	/* Big enough that two 1 MiB READs cannot share one reply record. */
	snprintf(path, sizeof(path), "%.*s/big", (int)(strlen(exp) - 8), exp);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < 2100; i++)
		fprintf(f, "%01023d\n", i);
	fclose(f);
	fd = rpctest_connect(server.hostport);
	return fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	close(fd);
	char cmd[500];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/ferry-misc-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 getpid());
	if (system(cmd) != 0)
		return -1;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static void expect(struct nfs4c_call *call, struct nfs4c_reply *r, uint32_t status)
{
	assert_int_equal(nfs4c_call(fd, nfs4c_root_cred(), call, r), 0);
	assert_int_equal(r->status, status);
}

static void skip_ok(struct nfs4c_reply *r, uint32_t op)
{
	uint32_t got, st;
	assert_true(nfs4c_result(r, &got, &st));
	assert_int_equal(got, op);
	assert_int_equal(st, NFS4_OK);
}

/* A v4.0 COMPOUND whose current fh is the host's file "hello". */
static void begin_at_hello(struct nfs4c_call *call)
{
	nfs4c_begin_tag(call, 0, "");
	nfs4c_putrootfh(call);
	nfs4c_lookup(call, "export");
	nfs4c_lookup(call, "hello");
}

static void test_putpubfh_is_root(void **state)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_op(&call, OP_PUTPUBFH);
	nfs4c_getfh(&call);
	nfs4c_putrootfh(&call);
	nfs4c_getfh(&call);
	expect(&call, &r, NFS4_OK);
	const uint8_t *a, *b;
	uint32_t alen, blen;
	skip_ok(&r, OP_PUTPUBFH);
	skip_ok(&r, OP_GETFH);
	assert_true(xdr_decode_opaque(&r.d, NFS4_FHSIZE, &a, &alen));
	skip_ok(&r, OP_PUTROOTFH);
	skip_ok(&r, OP_GETFH);
	assert_true(xdr_decode_opaque(&r.d, NFS4_FHSIZE, &b, &blen));
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	nfs4c_done(&r);
}

/* SECINFO lists AUTH_SYS then AUTH_NONE and consumes the filehandle. */
static void test_secinfo(void **state)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_op(&call, OP_SECINFO);
	xdr_encode_opaque(&call.e, "export", 6);
	nfs4c_getfh(&call);
	expect(&call, &r, NFS4ERR_NOFILEHANDLE);
	skip_ok(&r, OP_PUTROOTFH);
	skip_ok(&r, OP_SECINFO);
	uint32_t n, f1, f2;
	assert_true(xdr_decode_u32(&r.d, &n));
	assert_int_equal(n, 2);
	assert_true(xdr_decode_u32(&r.d, &f1));
	assert_true(xdr_decode_u32(&r.d, &f2));
	assert_int_equal(f1, RPC_AUTH_SYS);
	assert_int_equal(f2, RPC_AUTH_NONE);
	nfs4c_done(&r);

	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_op(&call, OP_SECINFO);
	xdr_encode_opaque(&call.e, "nothing", 7);
	expect(&call, &r, NFS4ERR_NOENT);
	nfs4c_done(&r);
}

/* SECINFO ranks its errors as LOOKUP does: a current fh that is not a
 * directory before a bad name. */
static void test_secinfo_error_order(void **state)
{
	static const unsigned ops[] = {OP_LOOKUP, OP_SECINFO};
	for (unsigned i = 0; i < 2; i++) {
		struct nfs4c_call call;
		struct nfs4c_reply r;
		begin_at_hello(&call);
		nfs4c_op(&call, ops[i]);
		xdr_encode_opaque(&call.e, "", 0); /* an empty name: NFS4ERR_INVAL */
		expect(&call, &r, NFS4ERR_NOTDIR);
		nfs4c_done(&r);
	}
}

static void read_op(struct nfs4c_call *call, uint8_t fill, uint32_t seqid, uint64_t off,
		    uint32_t count)
{
	nfs4c_op(call, OP_READ);
	struct nfs4_stateid sid;
	sid.seqid = seqid;
	memset(sid.other, fill, sizeof(sid.other));
	nfs4_encode_stateid(&call->e, &sid);
	xdr_encode_u64(&call->e, off);
	xdr_encode_u32(&call->e, count);
}

/* READ with the anonymous and the bypass stateids, at offsets inside, at
 * and far past the end; a made-up stateid is refused. */
static void test_read_special_stateids(void **state)
{
	static const char want[] = "hello from the host\n";
	struct {
		uint8_t fill;
		uint32_t seqid;
		uint64_t off;
		uint32_t count;
		uint32_t status;
		const char *data;
		bool eof;
	} cases[] = {
		{0, 0, 0, 100, NFS4_OK, want, true},
		{0xff, UINT32_MAX, 6, 4, NFS4_OK, "from", false},
		{0, 0, sizeof(want) - 1, 10, NFS4_OK, "", true},
		{0, 0, 0x7ffffffffffffffcull, 10, NFS4_OK, "", true},
		{0x42, 1, 0, 10, NFS4ERR_STALE_STATEID, NULL, false}, /* not of this boot */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nfs4c_call call;
		struct nfs4c_reply r;
		begin_at_hello(&call);
		read_op(&call, cases[i].fill, cases[i].seqid, cases[i].off, cases[i].count);
		expect(&call, &r, cases[i].status);
		if (cases[i].data) {
			skip_ok(&r, OP_PUTROOTFH);
			skip_ok(&r, OP_LOOKUP);
			skip_ok(&r, OP_LOOKUP);
			skip_ok(&r, OP_READ);
			bool eof;
			const uint8_t *data;
			uint32_t len;
			assert_true(xdr_decode_bool(&r.d, &eof));
			assert_true(xdr_decode_opaque(&r.d, 1 << 20, &data, &len));
			assert_int_equal(eof, cases[i].eof);
			assert_int_equal(len, strlen(cases[i].data));
			assert_memory_equal(data, cases[i].data, len);
		}
		nfs4c_done(&r);
	}
}

/* A v4.0 reply that would outgrow the largest record ends with
 * NFS4ERR_RESOURCE on the operation that did not fit. */
static void test_reply_too_big_is_resource(void **state)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	nfs4c_lookup(&call, "big");
	read_op(&call, 0, 0, 0, 1 << 20);
	read_op(&call, 0, 0, 1 << 20, 1 << 20);
	expect(&call, &r, NFS4ERR_RESOURCE);
	assert_int_equal(r.nres, 5);
	skip_ok(&r, OP_PUTROOTFH);
	skip_ok(&r, OP_LOOKUP);
	skip_ok(&r, OP_LOOKUP);
	skip_ok(&r, OP_READ);
	bool eof;
	const uint8_t *data;
	uint32_t len;
	assert_true(xdr_decode_bool(&r.d, &eof));
	assert_true(xdr_decode_opaque(&r.d, 1 << 20, &data, &len));
	assert_int_equal(len, 1 << 20);
	uint32_t op, st;
	assert_true(nfs4c_result(&r, &op, &st));
	assert_int_equal(op, OP_READ);
	assert_int_equal(st, NFS4ERR_RESOURCE);
	nfs4c_done(&r);
}

static void test_unsupported_and_unknown_delegation(void **state)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	nfs4c_op(&call, OP_OPENATTR);
	xdr_encode_bool(&call.e, false);
	expect(&call, &r, NFS4ERR_NOTSUPP);
	nfs4c_done(&r);

	nfs4c_begin_tag(&call, 0, "");
	nfs4c_op(&call, OP_DELEGPURGE);
	xdr_encode_u64(&call.e, 1);
	expect(&call, &r, NFS4ERR_NOTSUPP);
	nfs4c_done(&r);

	begin_at_hello(&call);
	nfs4c_op(&call, OP_DELEGRETURN);
	/* Not of this server instance (its boot epoch is not 0x01020300). */
	struct nfs4_stateid sid = {.seqid = 1, .other = {1, 2, 3}};
	nfs4_encode_stateid(&call.e, &sid);
	expect(&call, &r, NFS4ERR_STALE_STATEID);
	nfs4c_done(&r);
}

/* ferryd serves IPv6 listeners too. */
static void test_ipv6_listener(void **state)
{
	struct ferryd_proc v6;
	const char *args[] = {"--listen", "[::1]:0", NULL};
	if (ferryd_start(&v6, args) != 0) {
		/* A host without IPv6 loopback cannot run this. */
		skip();
	}
	char hostport[64];
	snprintf(hostport, sizeof(hostport), "[::1]:%u", v6.port);
	assert_int_equal(rpctest_null_ok(hostport), 0);
	assert_int_equal(ferryd_stop(&v6), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_putpubfh_is_root),
		cmocka_unit_test(test_secinfo),
		cmocka_unit_test(test_secinfo_error_order),
		cmocka_unit_test(test_read_special_stateids),
		cmocka_unit_test(test_reply_too_big_is_resource),
		cmocka_unit_test(test_unsupported_and_unknown_delegation),
		cmocka_unit_test(test_ipv6_listener),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
