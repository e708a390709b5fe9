/* State that scales, with ferryd's default limits:
 * - a v4.1 client that names a new open owner for every OPEN (and a new
 *   lock owner for every lock) creates, locks, unlocks and closes 10,000
 *   files, every operation NFS4_OK, and holds no owners afterwards: a
 *   v4.1 owner goes with its last state (CLOSE, FREE_STATEID), since
 *   sessions leave it nothing to replay;
 * - one client holds 100,000 opens and 100,000 byte-range locks at once
 *   (20,000 under the sanitizers, which make each far dearer), all
 *   granted, and ferryd's RSS per 100,000 is printed; then it goes silent,
 *   and while its lease runs out and its state is freed another client's
 *   GETATTRs keep a p99 under 5 ms, none takes 100 ms and at most one in
 *   10,000 takes 20 ms (asserted without the sanitizers).
 * The export is async: the state layer is what is measured here (the
 * durability of creates has its own tests). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "proto/state41_helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#define SCALE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCALE_SANITIZED 1
#endif
#endif
#ifdef SCALE_SANITIZED
enum { HELD = 20000 };
#else
enum { HELD = 100000 };
#endif
enum { FILES = 10000, LEASE_S = 10 };

static struct ferryd_proc server;

static int setup(void **state)
{
	(void)state;
	/* The default limits; a short lease, for the silent client.  The
	 * export answers changes without waiting for the disk (async):
	 * 120,000 creates each made stable before its reply would take most
	 * of the test's time. */
	char extra[80];
	snprintf(extra, sizeof(extra), "async = yes\n[nfs]\nlease_time = %d\n", LEASE_S);
	return ferryd_start_export(&server, extra);
}

static int teardown(void **state)
{
	(void)state;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double metric(const char *series)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

static void test_owner_per_open(void **state)
{
	(void)state;
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "scale-owners", NULL);
	double owners_before = metric("ferry_state_owners");
	double hits_before = metric("ferry_state_cap_hits_total{cap=\"open_owners\"}") +
			     metric("ferry_state_cap_hits_total{cap=\"lock_owners\"}");
	uint64_t start = now_ms();
	for (int i = 0; i < FILES; i++) {
		char owner[32], lock_owner[32], name[32];
		snprintf(owner, sizeof(owner), "open-owner-%d", i);
		snprintf(lock_owner, sizeof(lock_owner), "lock-owner-%d", i);
		snprintf(name, sizeof(name), "f%05d", i);
		struct nfs4_stateid open, lock;
		uint8_t fh[NFS4_FHSIZE];
		uint32_t fhlen = 0;
		uint32_t st = open41(&s, owner, name, &open, fh, &fhlen);
		if (st != NFS4_OK)
			fail_msg("OPEN #%d with a new owner: %u", i + 1, st);
		assert_int_equal(lock41(&s, fh, fhlen, &open, lock_owner, NULL, 0, &lock), NFS4_OK);
		struct nfs4_locku_args u = {.locktype = WRITE_LT, .stateid = lock, .length = 10};
		assert_int_equal(op41(&s, fh, fhlen, OP_LOCKU, enc_locku, &u, &lock), NFS4_OK);
		struct nfs4_stateid_args fr = {lock};
		assert_int_equal(op41(&s, fh, fhlen, OP_FREE_STATEID, enc_free_stateid, &fr, NULL),
				 NFS4_OK);
		struct nfs4_close_args cl = {.stateid = open};
		assert_int_equal(op41(&s, fh, fhlen, OP_CLOSE, enc_close, &cl, NULL), NFS4_OK);
	}
	uint64_t took = now_ms() - start;
	printf("%d files opened, locked, unlocked, freed and closed with an owner each in %llu ms\n",
	       FILES, (unsigned long long)took);
	/* Every owner went with its last state. */
	assert_true(metric("ferry_state_owners") <= owners_before);
	assert_true(metric("ferry_state_opens") == 0);
	assert_true(metric("ferry_state_cap_hits_total{cap=\"open_owners\"}") +
			    metric("ferry_state_cap_hits_total{cap=\"lock_owners\"}") ==
		    hits_before);
	nfs4c_close(fd);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_hold_then_expire(void **state)
{
	(void)state;
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "scale-holder", NULL);
	struct held {
		struct nfs4_stateid open;
		uint8_t fh[NFS4_FHSIZE];
		uint32_t fhlen;
	} *h = calloc(HELD, sizeof(*h));
	assert_non_null(h);
	long rss_before = ferryd_status_kib(server.pid, "VmRSS");
	uint64_t start = now_ms();
	for (int i = 0; i < HELD; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%06d", i);
		/* One open owner and one lock owner, as a client's process. */
		uint32_t st = open41(&s, "holder", name, &h[i].open, h[i].fh, &h[i].fhlen);
		if (st != NFS4_OK)
			fail_msg("OPEN #%d: %u", i + 1, st);
	}
	long rss_opens = ferryd_status_kib(server.pid, "VmRSS");
	for (int i = 0; i < HELD; i++) {
		struct nfs4_stateid lock;
		uint32_t st = lock41(&s, h[i].fh, h[i].fhlen, &h[i].open, "holder-locks", NULL, 0,
				     &lock);
		if (st != NFS4_OK)
			fail_msg("LOCK #%d: %u", i + 1, st);
	}
	long rss_locks = ferryd_status_kib(server.pid, "VmRSS");
	free(h);
	printf("%d opens and %d locks held, taken in %llu ms; ferryd RSS %ld -> %ld -> %ld KiB: "
	       "%.1f MiB per 100,000 opens, %.1f MiB per 100,000 locks\n",
	       HELD, HELD, (unsigned long long)(now_ms() - start), rss_before, rss_opens, rss_locks,
	       (double)(rss_opens - rss_before) / 1024 * 100000 / HELD,
	       (double)(rss_locks - rss_opens) / 1024 * 100000 / HELD);
	assert_true(metric("ferry_state_opens") == HELD);
	assert_true(metric("ferry_state_locks") == HELD);

	/* Another client; the holder goes silent (its lease is renewed no
	 * more).  GETATTRs until every state of the holder is gone. */
	int fd2 = nfs4c_connect(server.hostport);
	struct nfs4c_sess b;
	nfs4c_session_up(&b, fd2, 0, "scale-other", NULL);
	enum { SAMPLES_MAX = 1 << 20 };
	uint64_t *lat = malloc(SAMPLES_MAX * sizeof(*lat));
	assert_non_null(lat);
	size_t n = 0;
	uint64_t silent_at = now_ms(), next_look = silent_at + 500;
	bool gone = false;
	static const unsigned bits[] = {FATTR4_TYPE, FATTR4_SIZE, FATTR4_CHANGE};
	while (!gone && n < SAMPLES_MAX) {
		struct timespec t0, t1;
		struct nfs4c_call m;
		struct nfs4c_reply p;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nfs4c_begin_seq(&b, &m, 0, false);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_getattr(&m, bits, 3);
		nfs4c_send(fd2, b.cred, &m, &p);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		nfs4c_done(&p);
		lat[n++] = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
			   (uint64_t)(t1.tv_nsec - t0.tv_nsec);
		if (now_ms() >= next_look) {
			gone = metric("ferry_state_opens") == 0 &&
			       metric("ferry_state_dying_states") == 0;
			next_look = now_ms() + 500;
			assert_true(now_ms() - silent_at < (LEASE_S + 60) * 1000ull);
		}
	}
	assert_true(gone);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	double p99_ms = (double)lat[n * 99 / 100] / 1e6, max_ms = (double)lat[n - 1] / 1e6;
	size_t slow = 0;
	for (size_t i = 0; i < n; i++)
		slow += lat[i] >= 20000000ull;
	printf("while the holder expired (%llu ms): %zu GETATTRs, p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms, %zu of 20 ms or more\n",
	       (unsigned long long)(now_ms() - silent_at), n, (double)lat[n / 2] / 1e6, p99_ms,
	       max_ms, slow);
	free(lat);
#ifndef SCALE_SANITIZED
	/* Expiry frees the holder's states in slices, so no call waits for
	 * it: p99 stays low and no call waits 100 ms (with the slice made
	 * unbounded, one GETATTR waited 264 ms behind the freeing: the client
	 * sends one call at a time, so a stall shows as one slow call, and
	 * the 100 ms bound is what catches it).  One call in 10,000 may take
	 * 20 ms or more: two shared cores also stall a process now and then
	 * (a clean run of the test command saw one GETATTR of 42 ms in
	 * 123,639). */
	assert_true(p99_ms < 5.0);
	assert_true(max_ms < 100.0);
	assert_true(slow <= n / 10000);
#endif
	nfs4c_close(fd2);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_per_open),
		cmocka_unit_test(test_hold_then_expire),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
