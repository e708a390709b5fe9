/* State that scales, with ferryd's default limits: a v4.1 client that
 * names a new open owner for every OPEN (and a new lock owner for every
 * lock) creates, locks, unlocks and closes 10,000 files within one lease,
 * every operation NFS4_OK, and holds no owners afterwards: a v4.1 owner
 * goes with its last state (CLOSE, FREE_STATEID), since sessions leave it
 * nothing to replay. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "proto/state41_helpers.h"

enum { FILES = 10000 };

static struct ferryd_proc server;
static char exp_dir[200], conf[220];

static int setup(void **state)
{
	(void)state;
	snprintf(exp_dir, sizeof(exp_dir), "%s/ferry-scale-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(exp_dir) || chmod(exp_dir, 0777) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s.conf", exp_dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	/* The default limits; a lease long enough that nothing is reaped
	 * behind the test's back (the default, 90 s). */
	fprintf(f, "[export e]\npath = %s\npseudo = /export\n", exp_dir);
	fclose(f);
	const char *args[] = {"--config", conf, NULL};
	return ferryd_start(&server, args);
}

static int teardown(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	char cmd[500];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", exp_dir, conf);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
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
	assert_true(took < 90000); /* within the lease: nothing was reaped meanwhile */
	/* Every owner went with its last state. */
	assert_true(metric("ferry_state_owners") <= owners_before);
	assert_true(metric("ferry_state_opens") == 0);
	assert_true(metric("ferry_state_cap_hits_total{cap=\"open_owners\"}") +
			    metric("ferry_state_cap_hits_total{cap=\"lock_owners\"}") ==
		    hits_before);
	nfs4c_close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_per_open),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
