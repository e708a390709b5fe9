/* COMPOUND framing served in-process: where v4.1 operations may stand, the
 * results a failing COMPOUND carries, the header checks and the v4.0
 * operation limit. */
#include "nfs4_inproc.h"

enum { V40_MAX_OPS = 1024 };

static void begin(struct inproc_args *a, uint32_t minor) { inproc_begin(a, "t", 1, minor); }

/* --- a v4.1 session, made through the operations themselves ------------- */

static uint64_t exchange_id(struct inproc *ip, const char *owner)
{
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	inproc_op(&a, OP_EXCHANGE_ID);
	xdr_encode_opaque_fixed(&a.e, "inproc01", 8);
	xdr_encode_opaque(&a.e, owner, (uint32_t)strlen(owner));
	xdr_encode_u32(&a.e, 0); /* flags */
	xdr_encode_u32(&a.e, 0); /* SP4_NONE */
	xdr_encode_u32(&a.e, 0); /* no implementation id */
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, 1);
	assert_int_equal(inproc_next(&r, OP_EXCHANGE_ID), NFS4_OK);
	uint64_t clientid = 0;
	uint32_t seq = 0;
	assert_true(xdr_decode_u64(&r.d, &clientid));
	assert_true(xdr_decode_u32(&r.d, &seq));
	inproc_done(&r);
	assert_int_equal(seq, 1);
	return clientid;
}

static void put_chan_attrs(struct inproc_args *a, uint32_t maxops, uint32_t maxreqs)
{
	xdr_encode_u32(&a->e, 0);       /* header pad */
	xdr_encode_u32(&a->e, 1 << 20); /* max request */
	xdr_encode_u32(&a->e, 1 << 20); /* max response */
	xdr_encode_u32(&a->e, 64 << 10); /* max response cached */
	xdr_encode_u32(&a->e, maxops);
	xdr_encode_u32(&a->e, maxreqs);
	xdr_encode_u32(&a->e, 0); /* no RDMA ird */
}

/* Returns the fore channel's ca_maxoperations the server granted. */
static uint32_t create_session(struct inproc *ip, uint64_t clientid, uint8_t sid[16])
{
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	inproc_op(&a, OP_CREATE_SESSION);
	xdr_encode_u64(&a.e, clientid);
	xdr_encode_u32(&a.e, 1); /* csa_sequence */
	xdr_encode_u32(&a.e, 0); /* flags */
	put_chan_attrs(&a, 16, 8);
	put_chan_attrs(&a, 2, 1);
	xdr_encode_u32(&a.e, 0x40000000); /* callback program */
	xdr_encode_u32(&a.e, 1);
	xdr_encode_u32(&a.e, 0); /* AUTH_NONE */
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_CREATE_SESSION), NFS4_OK);
	const uint8_t *p;
	assert_true(xdr_decode_opaque_fixed(&r.d, 16, &p));
	memcpy(sid, p, 16);
	uint32_t maxops = 0;
	assert_true(xdr_decode_skip(&r.d, 4 + 4 + 4 * 4));
	assert_true(xdr_decode_u32(&r.d, &maxops));
	inproc_done(&r);
	return maxops;
}

static void sequence_op(struct inproc_args *a, const uint8_t sid[16], uint32_t seqid)
{
	inproc_op(a, OP_SEQUENCE);
	xdr_encode_opaque_fixed(&a->e, sid, 16);
	xdr_encode_u32(&a->e, seqid);
	xdr_encode_u32(&a->e, 0); /* slot */
	xdr_encode_u32(&a->e, 0); /* highest slot */
	xdr_encode_bool(&a->e, false);
}

/* Skips SEQUENCE's result body after checking it succeeded. */
static void sequence_ok(struct inproc_reply *r)
{
	assert_int_equal(inproc_next(r, OP_SEQUENCE), NFS4_OK);
	assert_true(xdr_decode_skip(&r->d, 16 + 5 * 4));
}

/* --- v4.1 position rules ------------------------------------------------ */

static void test_v41_sequence_not_first(void **state)
{
	struct inproc *ip = *state;
	uint8_t sid[16];
	create_session(ip, exchange_id(ip, "seqpos"), sid);

	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	sequence_op(&a, sid, 1);
	inproc_op(&a, OP_PUTROOTFH);
	sequence_op(&a, sid, 2);
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.accept, RPC_SUCCESS);
	assert_int_equal(r.status, NFS4ERR_SEQUENCE_POS);
	assert_int_equal(r.nres, 3);
	sequence_ok(&r);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_SEQUENCE), NFS4ERR_SEQUENCE_POS);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);
}

/* The positive case, and BIND_CONN_TO_SESSION, which must be alone even
 * after SEQUENCE. */
static void test_v41_in_session(void **state)
{
	struct inproc *ip = *state;
	uint8_t sid[16];
	create_session(ip, exchange_id(ip, "insession"), sid);

	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	sequence_op(&a, sid, 1);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, 3);
	sequence_ok(&r);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETFH), NFS4_OK);
	inproc_done(&r);

	begin(&a, 1);
	sequence_op(&a, sid, 2);
	inproc_op(&a, OP_BIND_CONN_TO_SESSION);
	xdr_encode_opaque_fixed(&a.e, sid, 16);
	xdr_encode_u32(&a.e, 3); /* CDFC4_FORE_OR_BOTH */
	xdr_encode_bool(&a.e, false);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_NOT_ONLY_OP);
	assert_int_equal(r.nres, 2);
	sequence_ok(&r);
	assert_int_equal(inproc_next(&r, OP_BIND_CONN_TO_SESSION), NFS4ERR_NOT_ONLY_OP);
	inproc_done(&r);
}

/* In a session too the results end at the first failure, and a list cut
 * short ends in BADXDR; the slot is released either way. */
static void test_v41_first_failure_and_short_list(void **state)
{
	struct inproc *ip = *state;
	uint8_t sid[16];
	create_session(ip, exchange_id(ip, "firstfail"), sid);

	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	sequence_op(&a, sid, 1);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_lookup(&a, "nothing-here");
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_NOENT);
	assert_int_equal(r.nres, 3);
	sequence_ok(&r);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_LOOKUP), NFS4ERR_NOENT);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);

	begin(&a, 1);
	sequence_op(&a, sid, 2);
	inproc_announce(&a, 4);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_BADXDR);
	assert_int_equal(r.nres, 2);
	sequence_ok(&r);
	assert_int_equal(inproc_next(&r, OP_ILLEGAL), NFS4ERR_BADXDR);
	inproc_done(&r);

	/* The slot took both: the next seqid is a new request. */
	begin(&a, 1);
	sequence_op(&a, sid, 3);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	sequence_ok(&r);
	inproc_done(&r);
}

/* More operations than the session's ca_maxoperations: SEQUENCE refuses. */
static void test_v41_too_many_ops(void **state)
{
	struct inproc *ip = *state;
	uint8_t sid[16];
	uint32_t maxops = create_session(ip, exchange_id(ip, "toomany"), sid);
	assert_true(maxops >= 2 && maxops <= 16);

	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	sequence_op(&a, sid, 1);
	for (uint32_t i = 1; i < maxops; i++)
		inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, maxops);
	inproc_done(&r);

	begin(&a, 1);
	sequence_op(&a, sid, 2);
	for (uint32_t i = 0; i < maxops; i++)
		inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_TOO_MANY_OPS);
	assert_int_equal(r.nres, 1);
	assert_int_equal(inproc_next(&r, OP_SEQUENCE), NFS4ERR_TOO_MANY_OPS);
	inproc_done(&r);
}

static void test_v41_non_session_op_first(void **state)
{
	struct inproc *ip = *state;
	static const uint32_t ops[] = {OP_PUTROOTFH, OP_GETATTR, OP_RECLAIM_COMPLETE,
				       OP_TEST_STATEID};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct inproc_args a;
		struct inproc_reply r;
		begin(&a, 1);
		inproc_op(&a, ops[i]);
		inproc_op(&a, OP_GETFH);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_OP_NOT_IN_SESSION);
		assert_int_equal(r.nres, 1);
		assert_int_equal(inproc_next(&r, ops[i]), NFS4ERR_OP_NOT_IN_SESSION);
		assert_int_equal(xdr_dec_remaining(&r.d), 0);
		inproc_done(&r);
	}
}

static void test_v41_sessionless_op_not_alone(void **state)
{
	struct inproc *ip = *state;
	static const uint32_t ops[] = {OP_EXCHANGE_ID, OP_CREATE_SESSION, OP_DESTROY_SESSION,
				       OP_BIND_CONN_TO_SESSION, OP_DESTROY_CLIENTID};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct inproc_args a;
		struct inproc_reply r;
		begin(&a, 1);
		/* The arguments never get decoded: the position is refused
		 * first, so garbage after the op number must not matter. */
		inproc_op(&a, ops[i]);
		xdr_encode_u32(&a.e, 0xdeadbeef);
		inproc_op(&a, OP_PUTROOTFH);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_NOT_ONLY_OP);
		assert_int_equal(r.nres, 1);
		assert_int_equal(inproc_next(&r, ops[i]), NFS4ERR_NOT_ONLY_OP);
		inproc_done(&r);
	}
}

/* Alone, a session-less operation runs (and fails on its own terms). */
static void test_v41_sessionless_op_alone_runs(void **state)
{
	struct inproc *ip = *state;
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1);
	inproc_op(&a, OP_DESTROY_CLIENTID);
	xdr_encode_u64(&a.e, 0x1234567890abcdefull);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.nres, 1);
	assert_int_equal(inproc_next(&r, OP_DESTROY_CLIENTID), NFS4ERR_STALE_CLIENTID);
	assert_int_equal(r.status, NFS4ERR_STALE_CLIENTID);
	inproc_done(&r);
}

static void test_v41_v40_only_ops_notsupp(void **state)
{
	struct inproc *ip = *state;
	static const uint32_t ops[] = {OP_SETCLIENTID, OP_SETCLIENTID_CONFIRM, OP_RENEW,
				       OP_OPEN_CONFIRM, OP_RELEASE_LOCKOWNER};
	uint8_t sid[16];
	create_session(ip, exchange_id(ip, "v40only"), sid);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct inproc_args a;
		struct inproc_reply r;
		/* First in the COMPOUND. */
		begin(&a, 1);
		inproc_op(&a, ops[i]);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_NOTSUPP);
		assert_int_equal(r.nres, 1);
		assert_int_equal(inproc_next(&r, ops[i]), NFS4ERR_NOTSUPP);
		inproc_done(&r);

		/* And inside a session. */
		begin(&a, 1);
		sequence_op(&a, sid, (uint32_t)i + 1);
		inproc_op(&a, ops[i]);
		inproc_op(&a, OP_PUTROOTFH);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.status, NFS4ERR_NOTSUPP);
		assert_int_equal(r.nres, 2);
		sequence_ok(&r);
		assert_int_equal(inproc_next(&r, ops[i]), NFS4ERR_NOTSUPP);
		inproc_done(&r);
	}
}

/* --- operation numbers nobody defines ----------------------------------- */

static void check_illegal(struct inproc *ip, uint32_t minor, uint32_t opnum)
{
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, minor);
	inproc_op(&a, opnum);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_OP_ILLEGAL);
	assert_int_equal(r.nres, 1);
	/* The result names OP_ILLEGAL, not the number sent. */
	assert_int_equal(inproc_next(&r, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);
}

static void test_unknown_op_is_illegal(void **state)
{
	struct inproc *ip = *state;
	static const uint32_t bad[] = {0, 1, 2, 77, 9999, OP_ILLEGAL, 0xffffffffu};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_illegal(ip, 0, bad[i]);
	/* v4.1 operations do not exist in v4.0. */
	check_illegal(ip, 0, OP_EXCHANGE_ID);
	check_illegal(ip, 0, OP_SEQUENCE);
	check_illegal(ip, 1, 9999);
	check_illegal(ip, 1, OP_ILLEGAL);
	check_illegal(ip, 2, 9999);
	check_illegal(ip, 2, OP_REMOVEXATTR + 1);
	/* v4.2 operations do not exist in v4.0 or v4.1. */
	for (uint32_t op = OP_ALLOCATE; op <= OP_REMOVEXATTR; op++) {
		check_illegal(ip, 0, op);
		check_illegal(ip, 1, op);
	}
}

static void test_illegal_after_successes(void **state)
{
	struct inproc *ip = *state;
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 0);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_op(&a, OP_GETFH);
	inproc_op(&a, 4242);
	inproc_op(&a, OP_GETFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_OP_ILLEGAL);
	assert_int_equal(r.nres, 3);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_GETFH), NFS4_OK);
	const uint8_t *fh;
	uint32_t len;
	assert_true(xdr_decode_opaque(&r.d, NFS4_FHSIZE, &fh, &len));
	assert_int_equal(inproc_next(&r, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	inproc_done(&r);
}

/* --- header checks ------------------------------------------------------ */

static void test_fewer_ops_than_announced(void **state)
{
	struct inproc *ip = *state;
	for (uint32_t minor = 0; minor <= 1; minor++) {
		struct inproc_args a;
		struct inproc_reply r;
		begin(&a, minor);
		if (minor == 0) {
			inproc_op(&a, OP_PUTROOTFH);
			inproc_announce(&a, 3);
		} else {
			inproc_announce(&a, 2);
		}
		inproc_call(ip, &a, &r);
		assert_int_equal(r.accept, RPC_SUCCESS);
		assert_int_equal(r.status, NFS4ERR_BADXDR);
		if (minor == 0) {
			assert_int_equal(r.nres, 2);
			assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
		} else {
			assert_int_equal(r.nres, 1);
		}
		assert_int_equal(inproc_next(&r, OP_ILLEGAL), NFS4ERR_BADXDR);
		assert_int_equal(xdr_dec_remaining(&r.d), 0);
		inproc_done(&r);
	}
}

static void test_minor_version_mismatch(void **state)
{
	struct inproc *ip = *state;
	/* Binary, odd-length: echoed as sent, not as a string. */
	static const char tag[] = {'m', 'v', 0, (char)0xff, 'x'};
	static const uint32_t minors[] = {3, 4, 0x80000000u, 0xffffffffu};
	for (size_t i = 0; i < sizeof(minors) / sizeof(minors[0]); i++) {
		struct inproc_args a;
		struct inproc_reply r;
		inproc_begin(&a, tag, sizeof(tag), minors[i]);
		inproc_op(&a, OP_PUTROOTFH);
		inproc_op(&a, OP_GETFH);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.accept, RPC_SUCCESS);
		assert_int_equal(r.status, NFS4ERR_MINOR_VERS_MISMATCH);
		assert_int_equal(r.nres, 0);
		assert_int_equal(r.taglen, sizeof(tag));
		assert_memory_equal(r.tag, tag, sizeof(tag));
		assert_int_equal(xdr_dec_remaining(&r.d), 0);
		inproc_done(&r);
	}
}

/* The server's range, narrowed at run time, decides: v4.1 refused. */
static void test_minor_outside_server_range(void **state)
{
	struct inproc *ip = *state;
	uint32_t saved = ip->nfs.minor_max;
	ip->nfs.minor_max = 0;
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, "narrow", 6, 1);
	inproc_op(&a, OP_EXCHANGE_ID);
	inproc_call(ip, &a, &r);
	ip->nfs.minor_max = saved;
	assert_int_equal(r.status, NFS4ERR_MINOR_VERS_MISMATCH);
	assert_int_equal(r.nres, 0);
	assert_int_equal(r.taglen, 6);
	assert_memory_equal(r.tag, "narrow", 6);
	inproc_done(&r);
}

static void test_tag_echoed_on_success(void **state)
{
	struct inproc *ip = *state;
	char tag[301];
	for (size_t i = 0; i < sizeof(tag); i++)
		tag[i] = (char)('a' + i % 26);
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin(&a, tag, sizeof(tag), 0);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, 1);
	assert_int_equal(r.taglen, sizeof(tag));
	assert_memory_equal(r.tag, tag, sizeof(tag));
	inproc_done(&r);
}

static void test_truncated_header_is_garbage(void **state)
{
	struct inproc *ip = *state;
	/* Deliberately malformed: a tag longer than the arguments, then no
	 * minor version. */
	struct inproc_args a;
	struct inproc_reply r;
	inproc_begin_raw(&a);
	xdr_encode_u32(&a.e, 100);
	xdr_encode_u32(&a.e, 0);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.accept, RPC_GARBAGE_ARGS);
	inproc_done(&r);

	/* Deliberately malformed: the operation count missing. */
	inproc_begin_raw(&a);
	xdr_encode_opaque(&a.e, "x", 1);
	xdr_encode_u32(&a.e, 0);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.accept, RPC_GARBAGE_ARGS);
	inproc_done(&r);
}

/* --- v4.0 operation limit and the first failure ------------------------- */

static void run_putrootfh_chain(struct inproc *ip, uint32_t n, struct inproc_reply *r)
{
	struct inproc_args a;
	begin(&a, 0);
	for (uint32_t i = 0; i < n; i++)
		inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, r);
}

/* SETATTR4res carries attrsset whatever the status (RFC 8881 18.34.2),
 * also when the dispatcher refuses the operation before it runs: a
 * client decodes the bitmap after any status. */
static void put_setattr_nothing(struct inproc_args *a)
{
	inproc_op(a, OP_SETATTR);
	xdr_encode_u32(&a->e, 0); /* stateid seqid */
	xdr_encode_opaque_fixed(&a->e, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	xdr_encode_u32(&a->e, 0); /* empty bitmap */
	xdr_encode_u32(&a->e, 0); /* no values */
}

static void expect_empty_attrsset(struct inproc_reply *r)
{
	struct nfs4_setattr_res res;
	assert_true(nfs4_dec_setattr_res(&r->d, &res));
	for (unsigned w = 0; w < NFS4_BITMAP_WORDS; w++)
		assert_int_equal(res.attrsset.w[w], 0);
	assert_int_equal(xdr_dec_remaining(&r->d), 0);
}

static void test_refused_setattr_has_attrsset(void **state)
{
	struct inproc *ip = *state;
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 1); /* no SEQUENCE first */
	put_setattr_nothing(&a);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_OP_NOT_IN_SESSION);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4ERR_OP_NOT_IN_SESSION);
	expect_empty_attrsset(&r);
	inproc_done(&r);

	begin(&a, 0); /* one past the v4.0 operation limit */
	for (uint32_t i = 0; i < V40_MAX_OPS; i++)
		inproc_op(&a, OP_PUTROOTFH);
	put_setattr_nothing(&a);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_RESOURCE);
	for (uint32_t i = 0; i < V40_MAX_OPS; i++)
		assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_SETATTR), NFS4ERR_RESOURCE);
	expect_empty_attrsset(&r);
	inproc_done(&r);
}

static void test_v40_op_limit(void **state)
{
	struct inproc *ip = *state;
	struct inproc_reply r;
	run_putrootfh_chain(ip, V40_MAX_OPS, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.nres, V40_MAX_OPS);
	inproc_done(&r);

	run_putrootfh_chain(ip, V40_MAX_OPS + 5, &r);
	assert_int_equal(r.status, NFS4ERR_RESOURCE);
	assert_int_equal(r.nres, V40_MAX_OPS + 1);
	for (uint32_t i = 0; i < V40_MAX_OPS; i++)
		assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4ERR_RESOURCE);
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);
}

static void test_results_stop_at_first_failure(void **state)
{
	struct inproc *ip = *state;
	struct inproc_args a;
	struct inproc_reply r;
	begin(&a, 0);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_lookup(&a, "mem");
	inproc_lookup(&a, "no-such-entry");
	inproc_op(&a, OP_GETFH);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_NOENT);
	assert_int_equal(r.nres, 3);
	assert_int_equal(inproc_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(inproc_next(&r, OP_LOOKUP), NFS4ERR_NOENT);
	/* An error result has no body. */
	assert_int_equal(xdr_dec_remaining(&r.d), 0);
	inproc_done(&r);

	/* No current filehandle: the first operation fails alone. */
	begin(&a, 0);
	inproc_op(&a, OP_GETFH);
	inproc_op(&a, OP_PUTROOTFH);
	inproc_call(ip, &a, &r);
	assert_int_equal(r.status, NFS4ERR_NOFILEHANDLE);
	assert_int_equal(r.nres, 1);
	assert_int_equal(inproc_next(&r, OP_GETFH), NFS4ERR_NOFILEHANDLE);
	inproc_done(&r);
}

static void test_empty_compound(void **state)
{
	struct inproc *ip = *state;
	for (uint32_t minor = 0; minor <= 1; minor++) {
		struct inproc_args a;
		struct inproc_reply r;
		begin(&a, minor);
		inproc_call(ip, &a, &r);
		assert_int_equal(r.accept, RPC_SUCCESS);
		assert_int_equal(r.status, NFS4_OK);
		assert_int_equal(r.nres, 0);
		inproc_done(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v41_sequence_not_first, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_in_session, inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_first_failure_and_short_list, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_too_many_ops, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_non_session_op_first, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_sessionless_op_not_alone, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_sessionless_op_alone_runs, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v41_v40_only_ops_notsupp, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_op_is_illegal, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_illegal_after_successes, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_fewer_ops_than_announced, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_minor_version_mismatch, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_minor_outside_server_range, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_tag_echoed_on_success, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_header_is_garbage, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_refused_setattr_has_attrsset, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_v40_op_limit, inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_results_stop_at_first_failure, inproc_setup,
						inproc_teardown),
		cmocka_unit_test_setup_teardown(test_empty_compound, inproc_setup, inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
