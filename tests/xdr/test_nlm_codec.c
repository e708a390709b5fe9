/* The NLM v4 / NSM codec: the wire layout of each type against bytes
 * written out by hand from nlm_prot.x and sm_inter.x, round trips, and
 * refusals (short input, over-long items, a bool that is not 0 or 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "xdr/nlm_prot.h"

static struct xdr_enc enc;

static int setup(void **st)
{
	(void)st;
	return xdr_enc_init(&enc, 256, 65536) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	xdr_enc_release(&enc);
	return 0;
}

static void reset(void) { enc.buf->len = 0; }

static const uint8_t fh[] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4};

static struct nlm4_lock sample_lock(void)
{
	return (struct nlm4_lock){
		.caller_name = {(const uint8_t *)"cl", 2},
		.fh = {fh, sizeof(fh)},
		.oh = {(const uint8_t *)"own", 3},
		.svid = -2,
		.offset = 0x0000000100000002ull,
		.len = 7,
	};
}

static void test_lockargs_layout(void **st)
{
	(void)st;
	reset();
	struct nlm4_lockargs a = {.cookie = {(const uint8_t *)"\x01\x02", 2},
				  .block = true,
				  .exclusive = false,
				  .lock = sample_lock(),
				  .reclaim = true,
				  .state = 5};
	assert_true(nlm4_encode_lockargs(&enc, &a));
	static const uint8_t want[] = {
		0, 0, 0, 2, 1, 2, 0, 0,                   /* cookie */
		0, 0, 0, 1,                               /* block */
		0, 0, 0, 0,                               /* exclusive */
		0, 0, 0, 2, 'c', 'l', 0, 0,               /* caller_name */
		0, 0, 0, 5, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0, 0, 0, /* fh */
		0, 0, 0, 3, 'o', 'w', 'n', 0,             /* oh */
		0xff, 0xff, 0xff, 0xfe,                   /* svid -2 */
		0, 0, 0, 1, 0, 0, 0, 2,                   /* l_offset */
		0, 0, 0, 0, 0, 0, 0, 7,                   /* l_len */
		0, 0, 0, 1,                               /* reclaim */
		0, 0, 0, 5,                               /* state */
	};
	assert_int_equal(enc.buf->len, sizeof(want));
	assert_memory_equal(enc.buf->data, want, sizeof(want));

	struct xdr_dec d;
	xdr_dec_init(&d, want, sizeof(want));
	struct nlm4_lockargs b;
	assert_true(nlm4_decode_lockargs(&d, &b));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	assert_true(b.block && !b.exclusive && b.reclaim);
	assert_int_equal(b.state, 5);
	assert_int_equal(b.lock.svid, -2);
	assert_int_equal(b.lock.offset, 0x0000000100000002ull);
	assert_int_equal(b.lock.len, 7);
	assert_int_equal(b.lock.fh.len, sizeof(fh));
	assert_memory_equal(b.lock.fh.data, fh, sizeof(fh));
	assert_memory_equal(b.lock.caller_name.data, "cl", 2);

	/* Every truncation is refused. */
	for (size_t n = 0; n < sizeof(want); n++) {
		xdr_dec_init(&d, want, n);
		assert_false(nlm4_decode_lockargs(&d, &b));
	}
	/* A bool of 2 is not XDR. */
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(want));
	bad[11] = 2;
	xdr_dec_init(&d, bad, sizeof(bad));
	assert_false(nlm4_decode_lockargs(&d, &b));
}

static void test_testres_holder(void **st)
{
	(void)st;
	reset();
	struct nlm4_testres r = {.cookie = {(const uint8_t *)"c", 1},
				 .stat = NLM4_DENIED,
				 .holder = {.exclusive = true, .svid = 3,
					    .oh = {(const uint8_t *)"h", 1}, .offset = 9, .len = 0}};
	assert_true(nlm4_encode_testres(&enc, &r));
	static const uint8_t want[] = {
		0, 0, 0, 1, 'c', 0, 0, 0, /* cookie */
		0, 0, 0, 1,               /* NLM4_DENIED */
		0, 0, 0, 1,               /* exclusive */
		0, 0, 0, 3,               /* svid */
		0, 0, 0, 1, 'h', 0, 0, 0, /* oh */
		0, 0, 0, 0, 0, 0, 0, 9,   /* l_offset */
		0, 0, 0, 0, 0, 0, 0, 0,   /* l_len */
	};
	assert_int_equal(enc.buf->len, sizeof(want));
	assert_memory_equal(enc.buf->data, want, sizeof(want));
	/* Any other status carries no holder. */
	reset();
	r.stat = NLM4_GRANTED;
	assert_true(nlm4_encode_testres(&enc, &r));
	assert_int_equal(enc.buf->len, 12);
	struct xdr_dec d;
	xdr_dec_init(&d, enc.buf->data, enc.buf->len);
	struct nlm4_testres b;
	assert_true(nlm4_decode_testres(&d, &b));
	assert_int_equal(b.stat, NLM4_GRANTED);
	assert_int_equal(xdr_dec_remaining(&d), 0);
}

static void test_oversized_items_refused(void **st)
{
	(void)st;
	/* A cookie of 1025 bytes (MAXNETOBJ_SZ is 1024). */
	static uint8_t big[4 + 1028 + 64];
	memset(big, 0, sizeof(big));
	big[2] = 0x04;
	big[3] = 0x01;
	struct xdr_dec d;
	xdr_dec_init(&d, big, sizeof(big));
	struct nlm4_res r;
	assert_false(nlm4_decode_res(&d, &r));
	/* 1024 is fine. */
	big[3] = 0x00;
	xdr_dec_init(&d, big, sizeof(big));
	assert_true(nlm4_decode_res(&d, &r));
	assert_int_equal(r.cookie.len, 1024);
}

static void test_nsm_mon_layout(void **st)
{
	(void)st;
	reset();
	struct nsm_mon m = {.mon_name = {(const uint8_t *)"host", 4},
			    .my_id = {.my_name = {(const uint8_t *)"lo", 2},
				      .my_prog = NLM_PROGRAM,
				      .my_vers = NLM4_VERSION,
				      .my_proc = NLMPROC4_SM_NOTIFY}};
	memset(m.priv, 0xab, sizeof(m.priv));
	assert_true(nsm_encode_mon(&enc, &m));
	assert_int_equal(enc.buf->len, 8 + 8 + 12 + 16);
	const uint8_t *p = enc.buf->data;
	assert_memory_equal(p, "\0\0\0\4host", 8);
	assert_memory_equal(p + 8, "\0\0\0\2lo\0\0", 8);
	assert_int_equal(xdr_get_be32(p + 16), NLM_PROGRAM);
	assert_int_equal(xdr_get_be32(p + 20), NLM4_VERSION);
	assert_int_equal(xdr_get_be32(p + 24), NLMPROC4_SM_NOTIFY);
	assert_int_equal(p[28], 0xab);
	struct xdr_dec d;
	xdr_dec_init(&d, p, enc.buf->len);
	struct nsm_mon b;
	assert_true(nsm_decode_mon(&d, &b));
	assert_int_equal(b.my_id.my_proc, NLMPROC4_SM_NOTIFY);
	assert_memory_equal(b.priv, m.priv, sizeof(m.priv));

	reset();
	struct nsm_status s = {.mon_name = {(const uint8_t *)"h", 1}, .state = 7};
	assert_true(nsm_encode_status(&enc, &s));
	xdr_dec_init(&d, enc.buf->data, enc.buf->len);
	struct nsm_status t;
	assert_true(nsm_decode_status(&d, &t));
	assert_int_equal(t.state, 7);
	assert_int_equal(xdr_dec_remaining(&d), 0);
}

static void test_names(void **st)
{
	(void)st;
	assert_string_equal(nlm4_proc_name(NLMPROC4_LOCK_MSG), "LOCK_MSG");
	assert_string_equal(nlm4_proc_name(NLMPROC4_FREE_ALL), "FREE_ALL");
	assert_string_equal(nlm4_proc_name(17), "?");
	assert_string_equal(nlm4_stat_name(NLM4_DENIED_GRACE_PERIOD), "DENIED_GRACE_PERIOD");
	assert_string_equal(nlm4_stat_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockargs_layout),
		cmocka_unit_test(test_testres_holder),
		cmocka_unit_test(test_oversized_items_refused),
		cmocka_unit_test(test_nsm_mon_layout),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
