/* RPCSEC_GSS contexts stay bounded: a client that makes contexts and
 * abandons them (never DESTROY) cannot grow ferryd.  With gss_max_contexts
 * = CAP, 10,000 contexts made one after the other leave CAP held (the
 * least recently used dropped for each new one, counted as evicted), the
 * newest still usable, the first one refused (RPCSEC_GSS_CREDPROBLEM), and
 * ferryd's resident memory after 10,000 no more than MEM_SLACK_KB above
 * what it was after the first 2,000 (the table full since CAP).  The
 * figures are printed for the record.
 *
 * FERRY_TEST_GSS_CONTEXTS overrides the 10,000 (at least 2 * WARM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"

enum {
	CAP = 500,
	WARM = 2000,       /* contexts made before the first reading */
	CONTEXTS = 10000,
	/* Allocator noise: malloc keeps freed memory in its arenas, and
	 * the replay cache file grows with every context accepted. */
	MEM_SLACK_KB = 4096,
};

/* Under AddressSanitizer (the test and ferryd are built alike) freed
 * memory sits in ASan's quarantine, hundreds of MB: resident memory says
 * nothing about ferryd there, so only the table is checked. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL 1
#endif

static struct krb5_kdc kdc;
static struct ferryd_proc server;
static char ccache[320];

static int setup(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0)
		return -1;
	if (!krb5_kdc_kinit(&kdc, "alice", ccache, sizeof(ccache)))
		return -1;
	char conf[1024];
	snprintf(conf, sizeof(conf),
		 "sec = krb5\n[server]\nkeytab = %s\ngss_max_contexts = %d\n", kdc.keytab, CAP);
	return ferryd_start_export(&server, conf);
}

static int teardown(void **state)
{
	(void)state;
	ferryd_stop(&server);
	krb5_kdc_stop(&kdc);
	return 0;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static struct rpc_gss_client *new_context(int fd)
{
	char err[256];
	struct rpc_gss_client *g = rpc_gss_client_new("nfs@localhost", NULL, ccache, NULL, err,
						      sizeof(err));
	if (!g)
		fail_msg("rpc_gss_client_new: %s", err);
	int rc = rpc_gss_client_establish(g, NFS4_PROGRAM, NFS4_VERSION, RPC_GSS_SVC_NONE,
					  nfs4c_roundtrip, (void *)(intptr_t)fd);
	if (rc != 0)
		fail_msg("establish: %d %s", rc, rpc_gss_client_error(g));
	return g;
}

/* A NULL call through g on fd: 0, or the reply's auth_stat when denied. */
static int null_call(int fd, struct rpc_gss_client *g)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 512, 4096));
	struct rpc_gss_client_call info;
	static uint32_t xid = 0x6c000000;
	assert_int_equal(rpc_gss_client_encode_call(g, &e, ++xid, NFS4_PROGRAM, NFS4_VERSION, 0,
						    RPC_GSS_SVC_NONE, NULL, 0, &info),
			 0);
	struct buf *raw = NULL;
	assert_int_equal(nfs4c_rpc_raw(fd, e.buf->data, e.buf->len, 5000, &raw), 0);
	xdr_enc_release(&e);
	struct rpc_reply_hdr hdr;
	struct buf *plain = NULL;
	size_t off;
	int rc = rpc_gss_client_decode_reply(g, &info, raw->data, raw->len, &hdr, &plain, &off);
	buf_unref(raw);
	buf_unref(plain);
	assert_int_equal(rc, 0);
	if (hdr.reply_stat == RPC_MSG_DENIED)
		return (int)hdr.auth_stat;
	assert_int_equal(hdr.accept_stat, RPC_SUCCESS);
	return 0;
}

static double gss_metric(const char *series)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

static void test_abandoned_contexts_stay_bounded(void **state)
{
	(void)state;
	unsigned total = CONTEXTS;
	const char *env = getenv("FERRY_TEST_GSS_CONTEXTS");
	if (env && atoi(env) >= 2 * WARM)
		total = (unsigned)atoi(env);
	int fd = nfs4c_connect(server.hostport);
	long rss_base = rss_kb(server.pid);
	struct rpc_gss_client *first = new_context(fd);
	assert_int_equal(null_call(fd, first), 0);

	uint64_t t0 = clock_now_ms();
	long rss_warm = 0;
	struct rpc_gss_client *last = NULL;
	for (unsigned i = 1; i < total; i++) {
		struct rpc_gss_client *g = new_context(fd);
		if (i + 1 == total) {
			last = g; /* kept to be used below */
		} else {
			rpc_gss_client_free(g); /* abandoned: no DESTROY */
		}
		if (i + 1 == WARM)
			rss_warm = rss_kb(server.pid);
	}
	uint64_t ms = clock_now_ms() - t0;
	long rss_end = rss_kb(server.pid);

	double held = gss_metric("ferry_gss_contexts");
	double evicted = gss_metric("ferry_gss_context_events_total{event=\"evicted\"}");
	double created = gss_metric("ferry_gss_context_events_total{event=\"created\"}");
	printf("gss contexts: %u made in %llu ms (%.0f per s); held %.0f (cap %d), evicted %.0f; "
	       "ferryd RSS %ld kB before, %ld kB after %d, %ld kB after %u (%+ld kB)\n",
	       total, (unsigned long long)ms, total * 1000.0 / (double)(ms ? ms : 1), held, CAP,
	       evicted, rss_base, rss_warm, WARM, rss_end, total, rss_end - rss_warm);
	assert_true(created == (double)total);
	assert_true(held == (double)CAP);
	assert_true(evicted >= (double)(total - CAP));
	assert_true(rss_warm > 0 && rss_end > 0);
	if (RSS_MEANINGFUL)
		assert_true(rss_end - rss_warm <= MEM_SLACK_KB);

	/* The newest context works; the first was dropped long ago. */
	assert_int_equal(null_call(fd, last), 0);
	assert_int_equal(null_call(fd, first), RPCSEC_GSS_CREDPROBLEM);
	rpc_gss_client_free(last);
	rpc_gss_client_free(first);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abandoned_contexts_stay_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
