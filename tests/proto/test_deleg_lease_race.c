/* A file's kernel lease (and the watch that goes with it) must stand as
 * long as the file has a delegation, whatever the order in which the last
 * delegation goes and a new one comes.  Client A returns the file's only
 * delegation while client B opens the file: B's OPEN is granted as the
 * file's first delegation while A's lease drop is still on its way (the
 * server is started with FERRY_TEST_LEASE_DROP_DELAY_MS, which holds every
 * drop back before it looks at the state, so that the window is wide and
 * the order is the same every run).  Afterwards a change on the host must
 * still recall B's delegation. */

#include <pthread.h>

#include "proto/deleg_fixture.h"

enum { RD = OPEN4_SHARE_ACCESS_READ, DROP_DELAY_MS = 800 };

static int race_setup(void **st)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", DROP_DELAY_MS);
	/* The child ferryd inherits it; nothing else in this process reads it. */
	setenv("FERRY_TEST_LEASE_DROP_DELAY_MS", v, 1);
	return dl_setup(st);
}

struct returner {
	struct nfs4c_sess *s;
	struct dl_open *o;
	uint32_t status;
};

static void *return_main(void *arg)
{
	struct returner *r = arg;
	r->status = dl_delegreturn(r->s, r->o);
	return NULL;
}

static void test_grant_during_return_keeps_lease(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "dl-race-a", 950);
	dl_client(&b, &sb, "dl-race-b", 951);
	struct dl_open oa = dl_open(&a, "race-r", RD, true);
	assert_int_equal(oa.status, NFS4_OK);
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);

	/* A's DELEGRETURN: the state forgets A's delegation at once, the
	 * lease drop waits DROP_DELAY_MS. */
	struct returner r = {.s = &a, .o = &oa};
	pthread_t t;
	uint64_t t0 = dl_now_ms();
	assert_int_equal(pthread_create(&t, NULL, return_main, &r), 0);
	usleep(DROP_DELAY_MS / 4 * 1000);
	/* B's OPEN inside the window: the file's first delegation again. */
	struct dl_open ob = dl_open(&b, "race-r", RD, false);
	uint64_t t_open = dl_now_ms();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(ob.status, NFS4_OK);
	assert_int_equal(ob.deleg.type, OPEN_DELEGATE_READ);
	/* The OPEN did fall inside the window (else the test shows nothing). */
	assert_true(t_open - t0 < DROP_DELAY_MS);

	/* A's drop is done (its reply came after it): B's delegation must
	 * still be guarded on the host. */
	char path[400];
	snprintf(path, sizeof(path), "%s/export/race-r", dl_dir);
	unsigned before = nfs4c_cb_count(&sb, OP_CB_RECALL);
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(nfs4c_cb_wait(&sb, OP_CB_RECALL, before + 1, 2000));
	assert_true(nfs4c_cb_recalled(&sb, &ob.deleg.stateid));
	assert_int_equal(dl_delegreturn(&b, &ob), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_during_return_keeps_lease),
	};
	return cmocka_run_group_tests(tests, race_setup, dl_teardown);
}
