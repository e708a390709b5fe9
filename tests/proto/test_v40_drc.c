/* The NFSv4.0 duplicate request cache through a real ferryd: a COMPOUND
 * with a non-idempotent operation and no seqid (CREATE, REMOVE, RENAME),
 * retransmitted with the same XID from the same address and port, gets the
 * first reply again instead of running twice (pynfs RPLY14); a new XID,
 * another port or other arguments run anew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "proto/v41_fixture.h"

/* PUTROOTFH, LOOKUP export, then CREATE of directory name or REMOVE of
 * name. */
static struct buf *dir_call(bool create, const char *name)
{
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	if (create) {
		nfs4c_op(&m, OP_CREATE);
		xdr_encode_u32(&m.e, 2); /* NF4DIR */
		nfs4c_str(&m, name);
		xdr_encode_u32(&m.e, 0); /* empty bitmap */
		xdr_encode_u32(&m.e, 0); /* no attrs */
	} else {
		nfs4c_op(&m, OP_REMOVE);
		nfs4c_str(&m, name);
	}
	return nfs4c_call_bytes(&m);
}

struct sent {
	uint32_t status;
	size_t len;
	uint8_t res[512]; /* the COMPOUND4res */
};

/* Sends call on fd with xid; the reply's status and bytes. */
static void send_xid(int fd, uint32_t xid, const struct buf *call, struct sent *out)
{
	struct rpctest_reply r;
	assert_int_equal(nfs4c_rpc(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
				   nfs4c_root_cred(), call->data, call->len, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	out->len = xdr_dec_remaining(&r.results);
	assert_true(out->len <= sizeof(out->res));
	memcpy(out->res, r.results.p, out->len);
	struct nfs4_compound_res_hdr h;
	assert_int_equal(nfs4c_parse_compound(&r, &h), 0);
	out->status = h.status;
	rpctest_reply_release(&r);
}

static bool dir_exists(const char *name)
{
	char path[400];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/export/%s", server.dir, name);
	return stat(path, &sb) == 0;
}

static void test_retransmission_gets_kept_reply(void **state)
{
	int fd = conn(), other = conn();
	uint32_t xid = 0x5e1f0000u + (uint32_t)getpid();
	struct buf *mk = dir_call(true, "drc-dir"), *rm = dir_call(false, "drc-dir");
	struct sent first, again, twice;
	send_xid(fd, xid, mk, &first);
	assert_int_equal(first.status, NFS4_OK);
	assert_true(dir_exists("drc-dir"));
	/* The retransmissions: the first reply, byte for byte. */
	send_xid(fd, xid, mk, &again);
	send_xid(fd, xid, mk, &twice);
	assert_int_equal(again.len, first.len);
	assert_memory_equal(again.res, first.res, first.len);
	assert_int_equal(twice.len, first.len);
	assert_memory_equal(twice.res, first.res, first.len);

	/* Another XID, or another client port, is another request. */
	struct sent fresh;
	send_xid(fd, xid + 1, mk, &fresh);
	assert_int_equal(fresh.status, NFS4ERR_EXIST);
	send_xid(other, xid, mk, &fresh);
	assert_int_equal(fresh.status, NFS4ERR_EXIST);

	/* The same XID with other arguments is not mistaken for the call. */
	send_xid(fd, xid, rm, &fresh);
	assert_int_equal(fresh.status, NFS4_OK);
	assert_false(dir_exists("drc-dir"));
	/* REMOVE retransmitted: its OK again, not NOENT. */
	send_xid(fd, xid, rm, &again);
	assert_int_equal(again.status, NFS4_OK);
	assert_int_equal(again.len, fresh.len);
	assert_memory_equal(again.res, fresh.res, fresh.len);
	/* Three retransmissions answered from the cache; four calls ran a
	 * CREATE or REMOVE (the first CREATE, the two on another XID or
	 * port, the REMOVE): four replies kept. */
	char *page = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(page, "ferry_v40_reply_cache_hits_total"), 3);
	assert_int_equal(ctlt_metric(page, "ferry_v40_reply_cache_dropped_total"), 0);
	assert_int_equal(ctlt_metric(page, "ferry_v40_reply_cache_entries"), 4);
	assert_true(ctlt_metric(page, "ferry_v40_reply_cache_bytes") > 0);
	assert_true(ctlt_promtool_ok(page));
	free(page);
	buf_unref(mk);
	buf_unref(rm);
	close(fd);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmission_gets_kept_reply),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
