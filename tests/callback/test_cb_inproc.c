/* The callback engine under the in-process harness (nfs4_inproc.h), whose
 * connection no event loop serves: a session asking for a back channel is
 * probed, the probe cannot be sent and the path is reported down, a queued
 * callback ends with NFS4ERR_CB_PATH_DOWN at shutdown at the latest, and
 * nothing hangs. */
#include "nfs4/nfs4_inproc.h"

#include <errno.h>

#include "callback/callback.h"

static unsigned dones;
static uint32_t done_status;

static void on_done(struct cb_call *call, uint32_t status)
{
	(void)call;
	dones++;
	done_status = status;
}

static void begin(struct inproc_args *a) { inproc_begin(a, "cb", 2, 1); }

static void chan_attrs(struct inproc_args *a, uint32_t maxops, uint32_t maxreqs)
{
	static const uint32_t sizes[] = {0, 1 << 20, 1 << 20, 64 << 10};
	for (unsigned i = 0; i < 4; i++)
		xdr_encode_u32(&a->e, sizes[i]);
	xdr_encode_u32(&a->e, maxops);
	xdr_encode_u32(&a->e, maxreqs);
	xdr_encode_u32(&a->e, 0); /* no RDMA ird */
}

/* EXCHANGE_ID + CREATE_SESSION with CONN_BACK_CHAN on the harness's
 * connection; the client id. */
static uint64_t session_with_back(struct inproc *ip, uint8_t sid[16])
{
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a);
	inproc_op(&a, OP_EXCHANGE_ID);
	xdr_encode_opaque_fixed(&a.e, "cbinproc", 8);
	xdr_encode_opaque(&a.e, "cb-inproc", 9);
	xdr_encode_u32(&a.e, 0); /* flags */
	xdr_encode_u32(&a.e, 0); /* SP4_NONE */
	xdr_encode_u32(&a.e, 0); /* no implementation id */
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_EXCHANGE_ID), NFS4_OK);
	uint64_t clientid = 0;
	uint32_t seq = 0;
	assert_true(xdr_decode_u64(&r.d, &clientid));
	assert_true(xdr_decode_u32(&r.d, &seq));
	inproc_done(&r);

	begin(&a);
	inproc_op(&a, OP_CREATE_SESSION);
	xdr_encode_u64(&a.e, clientid);
	xdr_encode_u32(&a.e, seq);
	xdr_encode_u32(&a.e, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	chan_attrs(&a, 16, 8);
	chan_attrs(&a, 2, 1);
	xdr_encode_u32(&a.e, 0x40000000); /* callback program */
	xdr_encode_u32(&a.e, 1);
	xdr_encode_u32(&a.e, 0); /* AUTH_NONE */
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_CREATE_SESSION), NFS4_OK);
	const uint8_t *p;
	assert_true(xdr_decode_opaque_fixed(&r.d, 16, &p));
	memcpy(sid, p, 16);
	inproc_done(&r);
	return clientid;
}

static uint32_t sequence_flags(struct inproc *ip, const uint8_t sid[16], uint32_t seqid)
{
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a);
	inproc_op(&a, OP_SEQUENCE);
	xdr_encode_opaque_fixed(&a.e, sid, 16);
	xdr_encode_u32(&a.e, seqid);
	xdr_encode_u32(&a.e, 0); /* slot */
	xdr_encode_u32(&a.e, 0); /* highest slot */
	xdr_encode_bool(&a.e, false);
	inproc_call(ip, &a, &r);
	assert_int_equal(inproc_next(&r, OP_SEQUENCE), NFS4_OK);
	assert_true(xdr_decode_skip(&r.d, 16 + 4 * 4));
	uint32_t flags = 0;
	assert_true(xdr_decode_u32(&r.d, &flags));
	inproc_done(&r);
	return flags;
}

static void test_back_channel_without_loop(void **state)
{
	struct inproc *ip = *state;
	uint8_t sid[16];
	uint64_t clientid = session_with_back(ip, sid);
	uint32_t seqid = 1, flags = 0;
	/* The probe the first SEQUENCE asks for fails at once: path down. */
	for (int i = 0; i < 200; i++) {
		flags = sequence_flags(ip, sid, seqid++);
		if (flags & SEQ4_STATUS_CB_PATH_DOWN_SESSION)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(flags & SEQ4_STATUS_CB_PATH_DOWN_SESSION,
			 SEQ4_STATUS_CB_PATH_DOWN_SESSION);
	assert_false(cb_path_up(ip->nfs.cb, clientid));
	/* Queued anyway (there is a back connection): it ends, at the latest
	 * when the server stops (inproc_teardown). */
	static const uint8_t fh[1];
	struct nfs4_cb_recall_args args = {.fh = {fh, 1}};
	struct cb_call call = {.op = &cb_op_recall, .args = &args, .done = on_done};
	assert_int_equal(cb_queue(ip->nfs.cb, clientid, &call), 0);
	cb_engine_stop(ip->nfs.cb);
	assert_int_equal(dones, 1);
	assert_int_equal(done_status, NFS4ERR_CB_PATH_DOWN);
	assert_int_equal(cb_queue(ip->nfs.cb, clientid, &call), -ENOTCONN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_back_channel_without_loop, inproc_setup,
						inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
