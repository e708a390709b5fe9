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

/* The file handle of export/big (made by the fixture). */
static uint32_t big_fh(int fd, uint8_t *fh)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "big");
	nfs4c_getfh(&m);
	nfs4c_send(fd, nfs4c_root_cred(), &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p.d, &g));
	memcpy(fh, g.fh.data, g.fh.len);
	uint32_t len = g.fh.len;
	nfs4c_done(&p);
	return len;
}

/* A COMPOUND whose WRITE's data is large enough to be spliced, with a
 * CREATE after it: its retransmission is still recognised (the cache
 * hashes the arguments' first bytes, which stay in memory) and answered
 * from the cache. */
static void test_retransmitted_large_write(void **state)
{
	int fd = conn();
	char path[400];
	snprintf(path, sizeof(path), "%s/export/big", server.dir);
	assert_int_equal(chmod(path, 0666), 0); /* the caller is squashed */
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = big_fh(fd, fh);
	enum { LEN = 512 * 1024 };
	uint8_t *data = malloc(LEN);
	assert_non_null(data);
	memset(data, 'w', LEN);
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putfh(&m, fh, fhlen);
	struct nfs4_write_args w = {.offset = 7, .stable = UNSTABLE4, .data = {data, LEN}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_op(&m, OP_CREATE);
	xdr_encode_u32(&m.e, 2); /* NF4DIR */
	nfs4c_str(&m, "drc-write-dir");
	xdr_encode_u32(&m.e, 0);
	xdr_encode_u32(&m.e, 0);
	struct buf *call = nfs4c_call_bytes(&m);
	free(data);
	char *page = ctlt_scrape(&server);
	double hits = ctlt_metric(page, "ferry_v40_reply_cache_hits_total");
	double spliced = ctlt_metric(page, "ferry_rpc_splice_in_bytes_total");
	free(page);
	uint32_t xid = 0x5e2f0000u + (uint32_t)getpid();
	struct sent first, again;
	send_xid(fd, xid, call, &first);
	assert_int_equal(first.status, NFS4_OK);
	assert_true(dir_exists("drc-write-dir"));
	send_xid(fd, xid, call, &again);
	assert_int_equal(again.status, NFS4_OK);
	assert_int_equal(again.len, first.len);
	assert_memory_equal(again.res, first.res, first.len);
	page = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(page, "ferry_v40_reply_cache_hits_total"), hits + 1);
	assert_true(ctlt_metric(page, "ferry_rpc_splice_in_bytes_total") - spliced > LEN);
	free(page);
	buf_unref(call);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmission_gets_kept_reply),
		cmocka_unit_test(test_retransmitted_large_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
