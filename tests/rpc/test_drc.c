/* The duplicate request cache (rpc/drc.h): a call begun and finished is
 * answered from the cache, and not once it is older than
 * RPC_DRC_MAX_AGE_MS, whichever way the next copy asks (rpc_drc_begin,
 * as NFSv3 does, or rpc_drc_lookup, as NFSv4.0 does first).
 *
 * The clock is the test's: clock_gettime here adds skew_s to the
 * kernel's, for the cache's clock_now_ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rpc/drc.h"

static time_t skew_s;

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = (int)syscall(SYS_clock_gettime, id, ts);
	if (rc == 0)
		ts->tv_sec += skew_s;
	return rc;
}

static const uint8_t args[] = "CREATE dir/name";

static void key(struct rpc_drc_key *k, uint32_t xid)
{
	rpc_drc_key(k, "192.0.2.1:801", xid, args, sizeof(args));
}

/* Begins and finishes the call xid with a reply of its own. */
static void keep(struct rpc_drc *d, uint32_t xid)
{
	struct rpc_drc_key k;
	key(&k, xid);
	enum rpc_drc_found found;
	struct buf *r = NULL;
	size_t off = 0;
	struct rpc_drc_entry *e = rpc_drc_begin(d, &k, &found, &r, &off);
	assert_non_null(e);
	assert_int_equal(found, RPC_DRC_MISS);
	struct buf *reply = buf_new(64);
	assert_non_null(reply);
	reply->len = 8;
	memset(reply->data, 0xab, reply->len);
	rpc_drc_finish(d, e, reply, 4);
}

static void test_kept_then_aged_begin(void **st)
{
	(void)st;
	skew_s = 0;
	struct rpc_drc *d;
	assert_int_equal(rpc_drc_create(&d), 0);
	keep(d, 7);
	struct rpc_drc_key k;
	key(&k, 7);
	enum rpc_drc_found found;
	struct buf *r = NULL;
	size_t off = 0;
	/* A retransmission at once: the kept reply. */
	assert_null(rpc_drc_begin(d, &k, &found, &r, &off));
	assert_int_equal(found, RPC_DRC_DONE);
	assert_int_equal(off, 4);
	buf_unref(r);
	/* The same call once the kept reply is past its age: a new call. */
	skew_s = RPC_DRC_MAX_AGE_MS / 1000 + 1;
	r = NULL;
	struct rpc_drc_entry *e = rpc_drc_begin(d, &k, &found, &r, &off);
	assert_int_equal(found, RPC_DRC_MISS);
	assert_null(r);
	assert_non_null(e);
	rpc_drc_finish(d, e, NULL, 0);
	rpc_drc_destroy(d);
}

static void test_kept_then_aged_lookup(void **st)
{
	(void)st;
	skew_s = 0;
	struct rpc_drc *d;
	assert_int_equal(rpc_drc_create(&d), 0);
	keep(d, 9);
	struct rpc_drc_key k;
	key(&k, 9);
	struct buf *r = NULL;
	size_t off = 0;
	assert_int_equal(rpc_drc_lookup(d, &k, &r, &off), RPC_DRC_DONE);
	buf_unref(r);
	skew_s = RPC_DRC_MAX_AGE_MS / 1000 + 1;
	r = NULL;
	assert_int_equal(rpc_drc_lookup(d, &k, &r, &off), RPC_DRC_MISS);
	assert_null(r);
	assert_true(rpc_drc_empty(d));
	rpc_drc_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_then_aged_begin),
		cmocka_unit_test(test_kept_then_aged_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
