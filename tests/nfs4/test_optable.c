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

#include "nfs4/compound.h"
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
	}
	assert_true(defined > 50);
	assert_null(nfs4_op_describe(NFS4_OP_TABLE_SIZE));
	assert_null(nfs4_op_describe(1)); /* not an operation */
}

static struct xdr_dec args_of(struct xdr_enc *e)
{
	struct xdr_dec d;
	xdr_dec_init(&d, e->buf->data, e->buf->len);
	return d;
}

static void test_estimates(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 4096));
	struct nfs4_stateid sid = {.seqid = 1};
	nfs4_encode_stateid(&e, &sid);
	xdr_encode_u64(&e, 0);
	xdr_encode_u32(&e, 101);
	struct xdr_dec d = args_of(&e);
	const struct nfs4_op_desc *read = nfs4_op_describe(OP_READ);
	assert_int_equal(nfs4_op_reply_estimate(read, NULL, &d), 4 + 4 + 104);
	/* The cursor given is not moved. */
	assert_ptr_equal(d.p, e.buf->data);
	xdr_enc_patch_u32(&e, 24, 64u << 20);
	d = args_of(&e);
	assert_int_equal(nfs4_op_reply_estimate(read, NULL, &d), 4 + 4 + (1u << 20));
	/* Arguments too short: nothing to go by, the handler says BADXDR. */
	xdr_dec_init(&d, e.buf->data, 10);
	assert_int_equal(nfs4_op_reply_estimate(read, NULL, &d), 0);
	/* READ's stateid is its first argument. */
	d = args_of(&e);
	assert_ptr_equal(read->stateid_arg(d), e.buf->data);
	xdr_enc_release(&e);

	/* READDIR: cookie, verifier, dircount, maxcount. */
	assert_true(xdr_enc_init(&e, 256, 4096));
	xdr_encode_u64(&e, 0);
	xdr_encode_u64(&e, 0);
	xdr_encode_u32(&e, 512);
	xdr_encode_u32(&e, 8192);
	d = args_of(&e);
	assert_int_equal(nfs4_op_reply_estimate(nfs4_op_describe(OP_READDIR), NULL, &d), 8192);
	xdr_enc_release(&e);

	/* LOCK: the open stateid for a new lock owner, else the lock stateid. */
	for (int new_owner = 0; new_owner < 2; new_owner++) {
		assert_true(xdr_enc_init(&e, 256, 4096));
		xdr_encode_u32(&e, 1);
		xdr_encode_bool(&e, false);
		xdr_encode_u64(&e, 0);
		xdr_encode_u64(&e, 10);
		xdr_encode_bool(&e, new_owner);
		size_t at = xdr_enc_len(&e) + (new_owner ? 4 : 0);
		if (new_owner)
			xdr_encode_u32(&e, 0); /* open seqid */
		nfs4_encode_stateid(&e, &sid);
		d = args_of(&e);
		assert_ptr_equal(nfs4_op_describe(OP_LOCK)->stateid_arg(d), e.buf->data + at);
		xdr_enc_release(&e);
	}
	/* CLOSE: seqid, stateid; LOCKU: type, seqid, stateid. */
	uint8_t raw[64] = {0};
	xdr_dec_init(&d, raw, sizeof(raw));
	assert_ptr_equal(nfs4_op_describe(OP_CLOSE)->stateid_arg(d), raw + 4);
	assert_ptr_equal(nfs4_op_describe(OP_LOCKU)->stateid_arg(d), raw + 8);
	xdr_dec_init(&d, raw, 20);
	assert_null(nfs4_op_describe(OP_LOCKU)->stateid_arg(d));
}

static void *count_and_exit(void *arg)
{
	for (int i = 0; i < 10; i++)
		nfs4_op_stats_count(OP_WRITE, i < 3, 100);
	return NULL;
}

static void test_stats_across_threads(void **state)
{
	struct nfs4_op_stats before[NFS4_OP_TABLE_SIZE], after[NFS4_OP_TABLE_SIZE];
	nfs4_op_stats_read(before);
	nfs4_op_stats_count(OP_WRITE, false, 50);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_and_exit, NULL), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	nfs4_op_stats_read(after);
	assert_int_equal(after[OP_WRITE].calls - before[OP_WRITE].calls, 31);
	assert_int_equal(after[OP_WRITE].errors - before[OP_WRITE].errors, 9);
	assert_int_equal(after[OP_WRITE].total_ns - before[OP_WRITE].total_ns, 3050);
	assert_int_equal(after[OP_READ].calls, before[OP_READ].calls);
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
