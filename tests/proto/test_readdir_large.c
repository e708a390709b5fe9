/* Listing a directory of 50,000 entries (5,000 under the sanitizers) while
 * another thread adds and removes entries in it: every stable entry is
 * listed exactly once, no entry twice, and every cookie the server gave is
 * taken back (READDIR never fails in the middle of a listing).
 *
 * The local back end lists an unchanged directory from a snapshot of its
 * names and handles, and a changing one directly (getdents64); the
 * listings here go through both and across: one while the directory
 * changes all the time, two of the settled directory (the first builds
 * the snapshot, the second is served from it), and one that starts on the
 * snapshot and goes on directly after the changes begin in its middle, so
 * that the snapshot's cookies are taken back by the direct path. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "proto/dirdeleg_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define LARGE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LARGE_SANITIZED 1
#endif
#endif
#ifdef LARGE_SANITIZED
enum { STABLE = 5000 };
#else
enum { STABLE = 50000 };
#endif
enum { CHURN_KEEP = 64, CHURN_MAX = 1 << 20 };

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("");
}

static char big_path[400];
static int big_fd = -1;

/* The stable entries, made on the host: hard links of one file, which
 * makes 50,000 names in about a second where as many new inodes take
 * several (the test is about names and cookies, not inodes). */
static void make_stable(void)
{
	snprintf(big_path, sizeof(big_path), "%s/export/big", dl_dir);
	big_fd = open(big_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(big_fd >= 0);
	assert_int_equal(mknodat(big_fd, "s-base", S_IFREG | 0644, 0), 0);
	for (unsigned i = 0; i < STABLE; i++) {
		char name[32];
		snprintf(name, sizeof(name), "s%07u", i);
		assert_int_equal(linkat(big_fd, "s-base", big_fd, name, 0), 0);
	}
}

/* The thread that changes the directory: creates c<n> and removes the
 * entry made CHURN_KEEP creations before, until told to stop. */
struct churn {
	pthread_t thread;
	atomic_bool stop;
	atomic_uint made, removed;
	bool running;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	unsigned n = atomic_load(&c->made), gone = atomic_load(&c->removed);
	while (!atomic_load(&c->stop) && n < CHURN_MAX) {
		char name[32];
		snprintf(name, sizeof(name), "c%07u", n);
		if (mknodat(big_fd, name, S_IFREG | 0644, 0) != 0)
			break;
		atomic_store(&c->made, ++n);
		if (n - gone > CHURN_KEEP) {
			snprintf(name, sizeof(name), "c%07u", gone);
			if (unlinkat(big_fd, name, 0) != 0)
				break;
			atomic_store(&c->removed, ++gone);
		}
	}
	return NULL;
}

static void churn_start(struct churn *c)
{
	atomic_store(&c->stop, false);
	assert_int_equal(pthread_create(&c->thread, NULL, churn_main, c), 0);
	c->running = true;
}

static void churn_stop(struct churn *c)
{
	if (!c->running)
		return;
	atomic_store(&c->stop, true);
	pthread_join(c->thread, NULL);
	c->running = false;
}

/* What one listing saw. */
struct seen {
	uint8_t stable[STABLE]; /* times each s<n> was listed */
	uint8_t *churn;         /* the same for c<n> */
	unsigned calls, entries;
};

static void seen_entry(struct seen *s, const struct nfs4_dirent *e)
{
	char name[64];
	assert_true(e->name.len > 0 && e->name.len < sizeof(name));
	memcpy(name, e->name.data, e->name.len);
	name[e->name.len] = '\0';
	/* 0 starts a listing, 1 and 2 are reserved (RFC 8881 18.23.3). */
	assert_true(e->cookie > 2);
	/* Attributes came with it: the ones asked for, type first. */
	assert_true(nfs4_bitmap_isset(&e->attrs.mask, FATTR4_TYPE));
	assert_true(nfs4_bitmap_isset(&e->attrs.mask, FATTR4_FILEID));
	s->entries++;
	unsigned n;
	char tail;
	if (sscanf(name, "s%7u%c", &n, &tail) == 1 && n < STABLE) {
		assert_int_equal(s->stable[n], 0); /* never twice */
		s->stable[n]++;
	} else if (sscanf(name, "c%7u%c", &n, &tail) == 1 && n < CHURN_MAX) {
		assert_int_equal(s->churn[n], 0);
		s->churn[n]++;
	} else {
		assert_string_equal(name, "s-base");
	}
}

struct list_big_ctx {
	struct seen *out;
	void (*after_first)(void *);
	void *arg;
};

static void list_big_entry(void *c, const struct nfs4_dirent *e)
{
	seen_entry(((struct list_big_ctx *)c)->out, e);
}

static void list_big_page(void *c, unsigned n)
{
	struct list_big_ctx *ctx = c;
	if (n == 1 && ctx->after_first)
		ctx->after_first(ctx->arg);
}

/* READDIR from cookie 0 until eof, as the Linux client asks (8 KiB of
 * names, 32 KiB replies, a few attributes); after the first call,
 * after_first (may be NULL) runs once. */
static void list_big(struct nfs4c_sess *s, const struct dd_fh *dir, struct seen *out,
		     void (*after_first)(void *), void *arg)
{
	memset(out->stable, 0, sizeof(out->stable));
	memset(out->churn, 0, CHURN_MAX);
	out->calls = out->entries = 0;
	struct list_big_ctx ctx = {out, after_first, arg};
	/* Every cookie given is taken back (nfs4c_list_dir asserts NFS4_OK):
	 * no BAD_COOKIE, NOT_SAME. */
	out->calls = nfs4c_list_dir(s, dir->fh, dir->len, 8192, 32768, list_big_entry,
				    list_big_page, &ctx);
}

static void assert_all_stable(const struct seen *s)
{
	for (unsigned i = 0; i < STABLE; i++)
		if (s->stable[i] != 1)
			fail_msg("stable entry s%07u listed %u times", i, s->stable[i]);
}

/* Churn entries removed before the listing began must not be listed;
 * those that existed for the whole listing (made before it began and
 * removed after it ended) must. */
static void assert_churn(const struct seen *s, unsigned removed_before, unsigned made_before,
			 unsigned removed_after)
{
	for (unsigned i = 0; i < removed_before; i++)
		if (s->churn[i] != 0)
			fail_msg("entry c%07u, removed before the listing, listed", i);
	for (unsigned i = removed_after; i < made_before; i++)
		if (s->churn[i] != 1)
			fail_msg("entry c%07u, there all along, listed %u times", i, s->churn[i]);
}

static void start_churn_cb(void *arg) { churn_start(arg); }

/* Listings of the directory while nothing changes it: exactly what it
 * holds. */
static void list_settled(struct nfs4c_sess *a, const struct dd_fh *dir, struct seen *seen,
			 struct churn *churn, int times)
{
	for (int i = 0; i < times; i++) {
		list_big(a, dir, seen, NULL, NULL);
		assert_all_stable(seen);
		unsigned m = atomic_load(&churn->made), r = atomic_load(&churn->removed);
		assert_int_equal(seen->entries, STABLE + 1 + (m - r));
		assert_churn(seen, r, m, r);
	}
}

static void test_large_listing_while_changing(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "rdl-a", 4001);
	struct dd_fh dir = dd_mkdir(&a, "big");
	make_stable();
	static struct seen seen;
	seen.churn = calloc(CHURN_MAX, 1);
	assert_non_null(seen.churn);
	static struct churn churn;

	/* 1: the directory changes during the whole listing. */
	churn_start(&churn);
	while (atomic_load(&churn.made) < CHURN_KEEP)
		usleep(1000);
	unsigned made0 = atomic_load(&churn.made), removed0 = atomic_load(&churn.removed);
	list_big(&a, &dir, &seen, NULL, NULL);
	unsigned removed1 = atomic_load(&churn.removed);
	churn_stop(&churn);
	assert_all_stable(&seen);
	assert_churn(&seen, removed0, made0, removed1);
	fprintf(stderr, "listing while changing: %u READDIRs, %u entries, %u changes\n",
		seen.calls, seen.entries, atomic_load(&churn.made) - made0);
	assert_true(atomic_load(&churn.made) > made0); /* it did change meanwhile */

	/* 2 and 3: settled (a snapshot is built, then served). */
	usleep(1200 * 1000);
	list_settled(&a, &dir, &seen, &churn, 2);

	/* 4: begins on the settled directory, changes start after the first
	 * READDIR. */
	usleep(1200 * 1000);
	unsigned made4 = atomic_load(&churn.made);
	unsigned removed4_min = atomic_load(&churn.removed);
	list_big(&a, &dir, &seen, start_churn_cb, &churn);
	unsigned removed4 = atomic_load(&churn.removed);
	churn_stop(&churn);
	assert_all_stable(&seen);
	assert_churn(&seen, removed4_min, made4, removed4);
	assert_true(removed4 > removed4_min);
	fprintf(stderr, "listing changed from its second READDIR on: %u READDIRs, %u changes\n",
		seen.calls, atomic_load(&churn.made) - made4);

	/* 5: settled again: what 4 changed shows (no snapshot of before). */
	usleep(1200 * 1000);
	list_settled(&a, &dir, &seen, &churn, 1);
	free(seen.churn);
	close(big_fd);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_listing_while_changing),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
