/* Delegations within ferryd's descriptor limit.  On the local back end a
 * delegated file carries a kernel lease, held on descriptors of its own
 * for as long as the delegation is out: a client that holds thousands of
 * files open (the kernel client is granted a delegation on each) must not
 * take every descriptor ferryd has, or its next OPEN, and everyone's,
 * fails (the kernel client's 20,000 files at once: OPEN #9,990 failed at
 * a limit of 20,000).  Past their share of the limit, files are opened
 * without a delegation (WND4_RESOURCE when the client asked for one);
 * every OPEN succeeds and new connections are still served. */
#include <sys/resource.h>

#include "proto/deleg_fixture.h"

#include "lib/ctl_test.h"

/* Room for ROOM descriptors: without a bound, ROOM / 2 delegations take
 * it all; with leases held to half the limit, about (held + ROOM) / 4. */
enum { FILES = 600, ROOM = 400 };

static void test_delegations_leave_descriptors(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-fds", 950);
	/* Room for ROOM more descriptors than ferryd holds now (only the
	 * soft limit: raising a hard limit again needs a capability
	 * containers often lack). */
	int held = rpctest_count_fds(server.pid);
	assert_true(held > 0);
	struct rlimit old;
	assert_int_equal(prlimit(server.pid, RLIMIT_NOFILE, NULL, &old), 0);
	struct rlimit low = {(rlim_t)held + ROOM, old.rlim_max};
	assert_int_equal(prlimit(server.pid, RLIMIT_NOFILE, &low, NULL), 0);

	unsigned delegated = 0, resource = 0;
	for (int i = 0; i < FILES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "fds-%04d", i);
		struct dl_open o = dl_open(&a, name,
					   OPEN4_SHARE_ACCESS_BOTH |
						   OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG,
					   true);
		if (o.status != NFS4_OK)
			fail_msg("OPEN #%d (%u delegated before): %s", i + 1, delegated,
				 nfs4_status_name(o.status));
		if (o.deleg.type == OPEN_DELEGATE_WRITE) {
			delegated++;
		} else {
			assert_int_equal(o.deleg.type, OPEN_DELEGATE_NONE_EXT);
			if (o.deleg.why != WND4_RESOURCE)
				fail_msg("OPEN #%d (%u delegated before): no delegation, why %u",
					 i + 1, delegated, o.deleg.why);
			resource++;
		}
	}
	printf("%d files opened with %d descriptors of room: %u delegated, %u not "
	       "(WND4_RESOURCE); ferryd holds %d descriptors\n",
	       FILES, ROOM, delegated, resource, rpctest_count_fds(server.pid));
	/* Delegations while there was room, then none. */
	assert_true(delegated > 0);
	assert_true(resource > 0);
	/* A new connection is still accepted and served. */
	assert_int_equal(rpctest_null_ok(server.hostport), 0);
	char *page = ctlt_scrape(&server);
	assert_int_equal(ctlt_metric(page, "ferry_delegations_active"), delegated);
	free(page);
	assert_int_equal(prlimit(server.pid, RLIMIT_NOFILE, &old, NULL), 0);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delegations_leave_descriptors),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
