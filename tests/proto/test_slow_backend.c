/* A slow back end must not hold up the other clients of an event loop.
 * ferryd runs one event loop over a memory export whose name and
 * attribute calls take 300 ms (memory_latency_us, a slow disk): once it
 * has seen them slow, a LOOKUP there goes to the worker pool, and a GETATTR
 * sent on another connection after it is answered while the LOOKUP still
 * runs.  The test looks at the order of the replies, never at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "nfs4/engine/compound.h"
#include "export/stall.h"
#include "rpc/record.h"
#include "xdr/nfs4_prot.h"

enum { LATENCY_US = 300000 };

static struct ferryd_proc server;
static char conf[300];

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(conf, sizeof(conf), "%s/ferry-conf-XXXXXX.ini", tmp ? tmp : "/tmp");
	int cfd = mkstemps(conf, 4);
	if (cfd < 0)
		return -1;
	char text[300];
	int len = snprintf(text, sizeof(text),
			   "[server]\nevent_loops = 1\n"
			   "[export slow]\npath = slow\npseudo = /export\nbackend = memory\n"
			   "memory_latency_us = %d\n",
			   LATENCY_US);
	bool ok = write(cfd, text, (size_t)len) == len;
	close(cfd);
	const char *args[] = {"--config", conf, NULL};
	int rc = ok ? ferryd_start(&server, args) : -1;
	unlink(conf);
	return rc;
}

static int teardown(void **state)
{
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* Sends, without waiting, a v4.0 COMPOUND: PUTROOTFH, LOOKUP "export",
 * LOOKUP "absent" (the slow back-end call; NFS4ERR_NOENT). */
static void send_slow_lookup(int fd, uint32_t xid)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 4096));
	xdr_encode_u32(&e, 0);
	rpctest_encode_call(&e, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, NULL);
	struct nfs4_compound_enc c;
	nfs4_enc_compound_args_begin(&c, &e, nfs4_opaque_str("slow"), 0);
	nfs4_enc_op(&c, OP_PUTROOTFH);
	struct nfs4_lookup_args l1 = {.name = nfs4_opaque_str("export")};
	nfs4_enc_op(&c, OP_LOOKUP);
	nfs4_enc_lookup_args(&e, &l1);
	struct nfs4_lookup_args l2 = {.name = nfs4_opaque_str("absent")};
	nfs4_enc_op(&c, OP_LOOKUP);
	nfs4_enc_lookup_args(&e, &l2);
	nfs4_enc_compound_end(&c);
	xdr_enc_patch_u32(&e, 0, RPC_RECORD_LAST_FRAG | (uint32_t)(xdr_enc_len(&e) - 4));
	assert_int_equal(rpctest_send_raw(fd, e.buf->data, xdr_enc_len(&e)), 0);
	xdr_enc_release(&e);
}

/* The reply to send_slow_lookup: NFS4ERR_NOENT from the second LOOKUP. */
static void expect_noent(int fd, uint32_t xid)
{
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(fd, &r, 10000), 0);
	assert_int_equal(r.xid, xid);
	struct nfs4_compound_res_hdr h;
	assert_int_equal(nfs4c_parse_compound(&r, &h), 0);
	assert_int_equal(h.status, NFS4ERR_NOENT);
	rpctest_reply_release(&r);
}

static void test_getattr_not_behind_slow_lookup(void **state)
{
	int a = rpctest_connect(server.hostport);
	int b = rpctest_connect(server.hostport);
	assert_true(a >= 0 && b >= 0);
	/* The server learns that the export is slow: these run on the loop. */
	for (uint32_t i = 0; i < EXPORT_STALL_STRIKES; i++) {
		send_slow_lookup(a, 0x100 + i);
		expect_noent(a, 0x100 + i);
	}
	/* A LOOKUP, read first (the pause lets the loop take it) ... */
	send_slow_lookup(a, 0x200);
	sleep_ms(50);
	/* ... then a GETATTR of the pseudo-root on the other connection. */
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	const unsigned bits[] = {FATTR4_TYPE};
	nfs4c_getattr(&m, bits, 1);
	struct nfs4c_reply rep;
	nfs4c_send(b, NULL, &m, &rep);
	assert_int_equal(rep.status, NFS4_OK);
	nfs4c_done(&rep);
	/* Answered while the LOOKUP is still in the back end. */
	assert_true(rpctest_nothing_pending(a));
	expect_noent(a, 0x200);
	char *page = ctlt_scrape(&server);
	double deferred = ctlt_metric(page, "ferry_nfs_slow_export_deferrals_total");
	free(page);
	assert_true(deferred >= 1);
	close(a);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getattr_not_behind_slow_lookup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
