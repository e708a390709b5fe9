/* Several threads, each a client, opening, locking, doing I/O checks and
 * closing on shared files while the state thread reaps: the state stays
 * consistent (nothing left once all close) and nothing crashes.  Most
 * useful under the sanitizers. */
#include <pthread.h>

#include "state_test.h"

enum { THREADS = 4, ROUNDS = 300, FILES = 3 };

static struct state_server *st;

struct worker {
	int n;
	uint64_t clientid;
	unsigned denied, share_denied;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char owner[32], lowner[32], fname[16];
	snprintf(owner, sizeof(owner), "owner-%d", w->n);
	uint32_t seqid = 1;
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(fname, sizeof(fname), "file-%d", i % FILES);
		struct state_file_key k = st_key(1, fname);
		struct nfs4_stateid sid, lsid;
		/* Every few rounds someone asks for deny-write. */
		uint32_t deny = (i + w->n) % 7 == 0 ? STATE_SHARE_DENY_WRITE : 0;
		enum nfsstat4 s = st_open(st, w->clientid, owner, &seqid, &k, 3, deny, &sid);
		if (s == NFS4ERR_SHARE_DENIED) {
			w->share_denied++;
			continue;
		}
		assert_int_equal(s, NFS4_OK);
		snprintf(lowner, sizeof(lowner), "lock-%d-%d", w->n, i);
		struct state_lock_denied d;
		uint64_t off = (uint64_t)((i * 7 + w->n * 13) % 50);
		s = st_lock_new(st, &sid, &seqid, w->clientid, lowner, 0, &k,
				i % 2 ? STATE_WRITE_LT : STATE_READ_LT, off, 10, &lsid, &d);
		if (s == NFS4_OK) {
			assert_int_equal(state_check_io(st, 0, &lsid, &k, i % 2 == 1, off, 10, 0),
					 NFS4_OK);
			uint32_t lseq = 1;
			assert_int_equal(st_unlock(st, &lsid, &lseq, &k, 0, STATE_LENGTH_EOF),
					 NFS4_OK);
		} else {
			assert_int_equal(s, NFS4ERR_DENIED);
			w->denied++;
		}
		state_check_io(st, 0, &sid, &k, false, 0, 100, 0);
		assert_int_equal(st_close(st, &sid, &seqid, &k), NFS4_OK);
		assert_int_equal(state_release_lockowner(st, w->clientid, (const uint8_t *)lowner,
							 (uint32_t)strlen(lowner)),
				 NFS4_OK);
	}
	return NULL;
}

static void test_threads(void **state)
{
	st = st_new(2000);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "client-%d", i);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].n = i;
		w[i].clientid = st_client(st, name, (uint32_t)i);
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		state_run_reaper(st);
		pthread_join(t[i], NULL);
	}
	struct state_stats ss;
	state_get_stats(st, &ss);
	assert_int_equal(ss.opens, 0);
	assert_int_equal(ss.lock_states, 0);
	assert_int_equal(ss.locks, 0);
	assert_int_equal(ss.files, 0);
	assert_int_equal(ss.clients_confirmed, THREADS);
	state_server_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
