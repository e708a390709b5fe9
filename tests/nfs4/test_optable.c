/* The op table's rules hold for every entry, the argument-dependent reply
 * estimates and stateid locators read the right bytes, and the per-op
 * counters add up across threads, including threads that have exited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "nfs4/engine/compound.h"
#include "nfs4/engine/op_stats.h"
#include "nfs4/engine/optable.h"
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_prot.h"

static void test_table_rules(void **state)
{
	unsigned defined = 0;
	for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++) {
		const struct nfs4_op_desc *d = nfs4_op_describe(op);
		if (!d)
			continue;
		defined++;
		assert_true(d->minor_min <= d->minor_max);
		/* Refusing ROFS looks at the current filehandle. */
		if (d->flags & NFS4_OPF_ROFS)
			assert_true(d->flags & NFS4_OPF_NEED_FH);
		/* What changes the file system changes state: checked first. */
		if (d->flags & (NFS4_OPF_ROFS | NFS4_OPF_SETS_STATEID))
			assert_true(d->flags & NFS4_OPF_CHANGES_STATE);
		if (d->flags & NFS4_OPF_SETS_STATEID)
			assert_true(d->reply_size || d->reply_max >= 16);
		/* An operation served is decoded by the codec first. */
		if (d->serve)
			assert_non_null(d->decode);
		assert_true(d->args_size <= NFS4_OP_ARGS_MAX);
	}
	assert_true(defined > 50);
	assert_null(nfs4_op_describe(NFS4_OP_TABLE_SIZE));
	assert_null(nfs4_op_describe(1)); /* not an operation */
}

/* Decodes e's bytes as opnum's arguments into args, as the dispatcher does. */
static const struct nfs4_op_desc *decode_as(uint32_t opnum, struct xdr_enc *e, void *args)
{
	const struct nfs4_op_desc *desc = nfs4_op_describe(opnum);
	assert_non_null(desc);
	assert_non_null(desc->decode);
	struct xdr_dec d;
	xdr_dec_init(&d, e->buf->data, e->buf->len);
	memset(args, 0, NFS4_OP_ARGS_MAX);
	assert_true(desc->decode(&d, args));
	return desc;
}

static void test_estimates(void **state)
{
	_Alignas(max_align_t) uint8_t args[NFS4_OP_ARGS_MAX];
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 4096));
	struct nfs4_stateid sid = {.seqid = 1};
	nfs4_encode_stateid(&e, &sid);
	xdr_encode_u64(&e, 0);
	xdr_encode_u32(&e, 101);
	const struct nfs4_op_desc *read = decode_as(OP_READ, &e, args);
	assert_int_equal(nfs4_op_reply_estimate(read, NULL, args), 4 + 4 + 104);
	/* READ's stateid is its first argument. */
	struct nfs4_read_args *ra = (struct nfs4_read_args *)args;
	assert_ptr_equal(read->stateid_arg(args), &ra->stateid);
	/* A count past what Ferry reads at once is clipped. */
	xdr_enc_patch_u32(&e, 24, 64u << 20);
	read = decode_as(OP_READ, &e, args);
	assert_int_equal(nfs4_op_reply_estimate(read, NULL, args), 4 + 4 + (1u << 20));
	/* Arguments too short do not decode: the dispatcher says BADXDR. */
	struct xdr_dec d;
	xdr_dec_init(&d, e.buf->data, 10);
	assert_false(read->decode(&d, args));
	xdr_enc_release(&e);

	/* READDIR: cookie, verifier, dircount, maxcount, attributes. */
	assert_true(xdr_enc_init(&e, 256, 4096));
	xdr_encode_u64(&e, 0);
	xdr_encode_u64(&e, 0);
	xdr_encode_u32(&e, 512);
	xdr_encode_u32(&e, 8192);
	xdr_encode_u32(&e, 0);
	const struct nfs4_op_desc *readdir = decode_as(OP_READDIR, &e, args);
	assert_int_equal(nfs4_op_reply_estimate(readdir, NULL, args), 8192);
	xdr_enc_release(&e);

	/* LOCK: the open stateid for a new lock owner, else the lock stateid. */
	for (int new_owner = 0; new_owner < 2; new_owner++) {
		assert_true(xdr_enc_init(&e, 256, 4096));
		xdr_encode_u32(&e, 1);
		xdr_encode_bool(&e, false);
		xdr_encode_u64(&e, 0);
		xdr_encode_u64(&e, 10);
		xdr_encode_bool(&e, new_owner);
		if (new_owner)
			xdr_encode_u32(&e, 0); /* open seqid */
		nfs4_encode_stateid(&e, &sid);
		xdr_encode_u32(&e, 0); /* lock seqid */
		if (new_owner) {
			xdr_encode_u64(&e, 7);
			xdr_encode_opaque(&e, "o", 1);
		}
		const struct nfs4_op_desc *lock = decode_as(OP_LOCK, &e, args);
		struct nfs4_locker *l = &((struct nfs4_lock_args *)args)->locker;
		assert_ptr_equal(lock->stateid_arg(args),
				 new_owner ? &l->open_stateid : &l->lock_stateid);
		xdr_enc_release(&e);
	}
	/* CLOSE: seqid, stateid; LOCKU: type, seqid, stateid, offset, length. */
	assert_true(xdr_enc_init(&e, 256, 4096));
	xdr_encode_u32(&e, 0);
	nfs4_encode_stateid(&e, &sid);
	const struct nfs4_op_desc *close = decode_as(OP_CLOSE, &e, args);
	assert_ptr_equal(close->stateid_arg(args), &((struct nfs4_close_args *)args)->stateid);
	xdr_enc_release(&e);
	assert_true(xdr_enc_init(&e, 256, 4096));
	xdr_encode_u32(&e, 1);
	xdr_encode_u32(&e, 0);
	nfs4_encode_stateid(&e, &sid);
	xdr_encode_u64(&e, 0);
	xdr_encode_u64(&e, 1);
	const struct nfs4_op_desc *locku = decode_as(OP_LOCKU, &e, args);
	assert_ptr_equal(locku->stateid_arg(args), &((struct nfs4_locku_args *)args)->stateid);
	xdr_enc_release(&e);
}

static void *count_and_exit(void *arg)
{
	for (int i = 0; i < 10; i++)
		nfs4_op_stats_count(OP_WRITE, 1, i < 3, 100);
	return NULL;
}

static void test_stats_across_threads(void **state)
{
	static struct nfs4_op_stats before[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE],
		after[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE];
	nfs4_op_stats_read(before);
	nfs4_op_stats_count(OP_WRITE, 1, false, 50);
	nfs4_op_stats_count(OP_WRITE, 0, false, 5000000); /* 5 ms */
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_and_exit, NULL), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	nfs4_op_stats_read(after);
	assert_int_equal(after[1][OP_WRITE].calls - before[1][OP_WRITE].calls, 31);
	assert_int_equal(after[1][OP_WRITE].errors - before[1][OP_WRITE].errors, 9);
	assert_int_equal(after[1][OP_WRITE].total_ns - before[1][OP_WRITE].total_ns, 3050);
	/* 100 ns and 50 ns are in the first bucket (<= 1.024 us). */
	assert_int_equal(after[1][OP_WRITE].lat[0] - before[1][OP_WRITE].lat[0], 31);
	assert_int_equal(after[1][OP_READ].calls, before[1][OP_READ].calls);
	/* 5 ms: above 4.19 ms, at most 16.8 ms: bucket 7, minor 0. */
	assert_int_equal(after[0][OP_WRITE].calls - before[0][OP_WRITE].calls, 1);
	assert_int_equal(after[0][OP_WRITE].lat[7] - before[0][OP_WRITE].lat[7], 1);
	assert_int_equal(after[0][OP_WRITE].lat[6], before[0][OP_WRITE].lat[6]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rules),
		cmocka_unit_test(test_estimates),
		cmocka_unit_test(test_stats_across_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
