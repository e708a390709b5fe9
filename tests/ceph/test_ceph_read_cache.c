/* The ceph back end's read cache (backend/ceph/ceph_cache.c): a large READ
 * of data read before is served from ferryd's memory, and what it serves
 * is always the file's data as it is now:
 *  - after another CephFS client changes the file (its write goes through
 *    at once: the cache gives its delegation back when recalled), and
 *  - after Ferry's own WRITE and SETATTR of the size.
 * The metrics say which READs the cache served, so a cache that served
 * nothing fails the first test.
 *
 * Needs a cluster: FERRY_TEST_CEPH_CONF and FERRY_TEST_CEPH_ID name it (the
 * test command's CephFS stage starts one and sets them); without them the
 * test reports itself skipped (exit 77). */
#include "ceph/ceph_fixture.h"
#include "lib/ctl_test.h"

#include <errno.h>
#include <stdatomic.h>

/* READ_MAX: a READ that fits the test client's session (replies of at
 * most 1 MiB with their headers); the cache still reads whole chunks. */
enum { MiB = 1 << 20, FILE_SIZE = 2 * MiB + 4096, READ_MAX = MiB - 65536 };

static double cache_metric(const char *what)
{
	char series[160];
	snprintf(series, sizeof(series),
		 "ferry_backend_read_cache_%s_total{export=\"/export\",backend=\"ceph\"}", what);
	return ctlt_metric_now(&server, series);
}

/* byte i of a file written with fill f */
static uint8_t pattern(char f, size_t i)
{
	return (uint8_t)(f + (i / 4096) % 7);
}

/* Makes path hold FILE_SIZE bytes of pattern f, through a CephFS client
 * of the test's own; anyone may write it (the NFS clients are not its
 * owner). */
static void cephfs_put_pattern(const char *path, char f)
{
	uint8_t *data = malloc(FILE_SIZE);
	assert_non_null(data);
	for (size_t i = 0; i < FILE_SIZE; i++)
		data[i] = pattern(f, i);
	struct ceph_mount_info *cm = other_client();
	int fd = ceph_open(cm, path, O_CREAT | O_WRONLY | O_TRUNC, 0666);
	assert_true(fd >= 0);
	assert_int_equal(ceph_fchmod(cm, fd, 0666), 0);
	assert_int_equal(ceph_write(cm, fd, (const char *)data, FILE_SIZE, 0), FILE_SIZE);
	assert_int_equal(ceph_close(cm, fd), 0);
	ceph_shutdown(cm);
	free(data);
}

/* A READ of count bytes at off must return the file's bytes there: those
 * of fill f, with over (when not NULL) at offset 0, and the end of the
 * file at size. */
static void expect_read(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
			uint32_t count, char f, const char *over, uint64_t size)
{
	uint8_t *buf = malloc(count);
	assert_non_null(buf);
	uint32_t got;
	bool eof = false;
	assert_int_equal(nfs_read(s, o, off, count, buf, &got, &eof), NFS4_OK);
	uint64_t want = off >= size ? 0 : size - off < count ? size - off : count;
	assert_int_equal(got, want);
	assert_int_equal(eof, off + got >= size);
	size_t over_len = over ? strlen(over) : 0;
	for (uint32_t i = 0; i < got; i++) {
		uint64_t at = off + i;
		uint8_t expect = at < over_len ? (uint8_t)over[at] : pattern(f, (size_t)at);
		if (buf[i] != expect)
			fail_msg("byte %llu: %#x, not %#x", (unsigned long long)at, buf[i], expect);
	}
	free(buf);
}

/* Served from memory the second time, and never past what the file
 * holds: the chunk the file ends in, a READ past the end. */
static void test_served_from_cache(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/cached", ceph_dir);
	cephfs_put_pattern(path, 'a');
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-cache-a", 960);
	struct dl_open r = dl_open(&a, "cached", RD, false);
	assert_int_equal(r.status, NFS4_OK);

	double hits = cache_metric("hits"), fills = cache_metric("fills");
	expect_read(&a, &r, 0, READ_MAX, 'a', NULL, FILE_SIZE);
	assert_true(cache_metric("fills") == fills + 1);
	expect_read(&a, &r, 0, READ_MAX, 'a', NULL, FILE_SIZE);
	expect_read(&a, &r, 65536, 128 * 1024, 'a', NULL, FILE_SIZE);
	assert_true(cache_metric("hits") == hits + 2);
	/* The last chunk holds 4096 bytes of the file. */
	expect_read(&a, &r, 2 * MiB, READ_MAX, 'a', NULL, FILE_SIZE);
	expect_read(&a, &r, 2 * MiB, READ_MAX, 'a', NULL, FILE_SIZE);
	expect_read(&a, &r, 3 * MiB, READ_MAX, 'a', NULL, FILE_SIZE);
	/* Spanning two chunks: read as before, the same bytes. */
	expect_read(&a, &r, MiB - 4096, 256 * 1024, 'a', NULL, FILE_SIZE);
	assert_true(cache_metric("hits") >= hits + 3);
	if (r.deleg.type != OPEN_DELEGATE_NONE)
		assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* Another CephFS client writes a file whose data the cache holds: the
 * cache's delegation is recalled and given back at once (the write is not
 * held back for long), and the next READ returns the new data. */
static void test_other_client_write(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/changed", ceph_dir);
	cephfs_put_pattern(path, 'b');
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-cache-b", 961);
	struct dl_open r = open_undelegated(&a, "changed");
	double hits = cache_metric("hits"), recalls = cache_metric("recalls");
	expect_read(&a, &r, 0, READ_MAX, 'b', NULL, FILE_SIZE);
	expect_read(&a, &r, 0, READ_MAX, 'b', NULL, FILE_SIZE);
	assert_true(cache_metric("hits") == hits + 1);

	struct other_write other = {.cm = other_client(),
				    .path = path,
				    .data = "written by another CephFS client"};
	uint64_t start = dl_now_ms();
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_write_thread, &other), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	ceph_shutdown(other.cm);
	assert_int_equal(other.rc, (int)strlen(other.data));
	/* Held back only while the cache gives its delegation back (a
	 * cache that let the file's data go idle would hold it 10 s).  */
	printf("the other client's write went through in %llu ms\n",
	       (unsigned long long)(other.written_ms - start));
	assert_true(other.written_ms - start < 3000);
	assert_true(cache_metric("recalls") >= recalls + 1);
	expect_read(&a, &r, 0, READ_MAX, 'b', other.data, FILE_SIZE);
	expect_read(&a, &r, 0, READ_MAX, 'b', other.data, FILE_SIZE);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

struct write_at {
	const struct nfs4_stateid *stateid;
	uint64_t off;
	const char *data;
};

static void add_write_at(struct nfs4c_call *m, const void *arg)
{
	const struct write_at *w = arg;
	struct nfs4_write_args a = {
	    .stateid = *w->stateid,
	    .offset = w->off,
	    .stable = UNSTABLE4,
	    .data = nfs4_opaque_str(w->data),
	};
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &a);
}

/* SETATTR size (with the open's stateid). */
struct size_to {
	const struct nfs4_stateid *stateid;
	uint64_t size;
};

static void add_set_size(struct nfs4c_call *m, const void *arg)
{
	const struct size_to *z = arg;
	uint8_t v[8];
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(z->size >> (56 - 8 * i));
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	a.stateid = *z->stateid;
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_SIZE);
	a.attrs.vals = (struct nfs4_opaque){v, sizeof(v)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* Ferry's own changes through NFS: a WRITE over cached data, a truncation
 * and an extension, each seen by the READ after it; and a file changed
 * lately is cached again once it has been left alone a while. */
static void test_own_changes(void **st)
{
	(void)st;
	char path[200];
	snprintf(path, sizeof(path), "%s/own", ceph_dir);
	cephfs_put_pattern(path, 'c');
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-cache-c", 962);
	struct dl_open w = dl_open(&a, "own", BOTH, false);
	assert_int_equal(w.status, NFS4_OK);
	expect_read(&a, &w, 0, READ_MAX, 'c', NULL, FILE_SIZE);
	expect_read(&a, &w, 0, READ_MAX, 'c', NULL, FILE_SIZE);

	struct write_at wr = {&w.stateid, 0, "written through ferryd"};
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write_at, &wr), NFS4_OK);
	expect_read(&a, &w, 0, READ_MAX, 'c', wr.data, FILE_SIZE);

	/* Left alone, cached again, and still the new data. */
	usleep(2500 * 1000);
	double fills = cache_metric("fills"), hits = cache_metric("hits");
	expect_read(&a, &w, 0, READ_MAX, 'c', wr.data, FILE_SIZE);
	expect_read(&a, &w, 0, READ_MAX, 'c', wr.data, FILE_SIZE);
	assert_true(cache_metric("fills") == fills + 1);
	assert_true(cache_metric("hits") == hits + 1);

	struct size_to cut = {&w.stateid, 300000};
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_SETATTR, add_set_size, &cut), NFS4_OK);
	uint8_t *buf = malloc(MiB);
	assert_non_null(buf);
	uint32_t got;
	bool eof;
	assert_int_equal(nfs_read(&a, &w, 0, READ_MAX, buf, &got, &eof), NFS4_OK);
	assert_int_equal(got, 300000);
	assert_true(eof);
	assert_memory_equal(buf, wr.data, strlen(wr.data));

	usleep(2500 * 1000);
	assert_int_equal(nfs_read(&a, &w, 0, READ_MAX, buf, &got, &eof), NFS4_OK);
	assert_int_equal(got, 300000);
	/* Grown by a WRITE past the end of the cached chunk's data. */
	struct write_at far = {&w.stateid, 500000, "far"};
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_WRITE, add_write_at, &far), NFS4_OK);
	assert_int_equal(nfs_read(&a, &w, 0, READ_MAX, buf, &got, &eof), NFS4_OK);
	assert_int_equal(got, 500003);
	assert_true(eof);
	assert_memory_equal(buf + 500000, "far", 3);
	assert_true(buf[400000] == 0);
	free(buf);
	assert_int_equal(dl_on(&a, w.fh, w.fhlen, OP_CLOSE, add_close, &w.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* Writes 4 KiB at the start of the file's first and second chunk in
 * turn, every 20 ms until stop, as another CephFS client (an open, a
 * write and a close each time). */
struct poker {
	struct ceph_mount_info *cm;
	const char *path;
	atomic_bool stop;
	unsigned writes;
	uint64_t slowest_ms; /* the longest open, write and close */
	int rc;
};

static void *poker_thread(void *arg)
{
	struct poker *k = arg;
	char z[4096];
	memset(z, 'z', sizeof(z));
	while (!k->stop) {
		uint64_t t0 = dl_now_ms();
		int fd = ceph_open(k->cm, k->path, O_WRONLY, 0);
		if (fd < 0) {
			k->rc = fd;
			break;
		}
		int w = ceph_write(k->cm, fd, z, sizeof(z), (int64_t)(k->writes % 2) * MiB);
		ceph_close(k->cm, fd);
		if (w != (int)sizeof(z)) {
			k->rc = w < 0 ? w : -EIO;
			break;
		}
		k->writes++;
		uint64_t took = dl_now_ms() - t0;
		k->slowest_ms = took > k->slowest_ms ? took : k->slowest_ms;
		usleep(20 * 1000);
	}
	return NULL;
}

/* READs go on while another CephFS client writes the file over and over:
 * each of its writes recalls the cache's delegation, and no READ waits
 * for long (a delegation given back only after a fill reading through it,
 * which itself waited for the capabilities the recall was taking away,
 * held READs 6-11 s), nor returns anything but the file's bytes.  ferryd
 * runs here with recalled delegations given back 300 ms late
 * (FERRY_TEST_CACHE_RETURN_DELAY_MS), so that READs arrive while the MDS
 * is revoking: one entering libcephfs then waited there about 5 s after
 * the return (libcephfs 16.2 does not wake it), and ferryd holds them
 * until the delegation is back. */
static void test_reads_beside_writer(void **st)
{
	(void)st;
	assert_int_equal(ferryd_stop(&server), 0);
	setenv("FERRY_TEST_CACHE_RETURN_DELAY_MS", "300", 1);
	int started = ceph_start();
	unsetenv("FERRY_TEST_CACHE_RETURN_DELAY_MS");
	assert_int_equal(started, 0);
	char path[200];
	snprintf(path, sizeof(path), "%s/poked", ceph_dir);
	cephfs_put_pattern(path, 'd');
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	share_client(&a, &sa, "ceph-cache-d", 963);
	struct dl_open r = open_undelegated(&a, "poked");
	double recalls = cache_metric("recalls");
	struct poker k = {.cm = other_client(), .path = path};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, poker_thread, &k), 0);
	uint8_t *buf = malloc(READ_MAX);
	assert_non_null(buf);
	uint64_t end = dl_now_ms() + 4000, slowest = 0;
	unsigned reads = 0;
	while (dl_now_ms() < end) {
		/* Past the 4 KiB the writer changes: always the fill's. */
		uint64_t off = (uint64_t)(reads % 2) * MiB + 65536;
		uint32_t count = MiB - 65536, got;
		bool eof;
		uint64_t t0 = dl_now_ms();
		assert_int_equal(nfs_read(&a, &r, off, count, buf, &got, &eof), NFS4_OK);
		uint64_t took = dl_now_ms() - t0;
		slowest = took > slowest ? took : slowest;
		assert_int_equal(got, count);
		for (uint32_t i = 0; i < got; i += 4096)
			assert_int_equal(buf[i], pattern('d', (size_t)(off + i)));
		reads++;
	}
	k.stop = true;
	assert_int_equal(pthread_join(t, NULL), 0);
	ceph_shutdown(k.cm);
	free(buf);
	printf("%u READs beside %u writes of another CephFS client, the slowest %llu ms "
	       "(write %llu ms), %.0f recalls\n",
	       reads, k.writes, (unsigned long long)slowest, (unsigned long long)k.slowest_ms,
	       cache_metric("recalls") - recalls);
	assert_int_equal(k.rc, 0);
	/* The writer is held only while a recalled delegation goes back (300
	 * ms late here), not for seconds; how many writes fit in the 4 s is
	 * the machine's load. */
	assert_true(k.writes >= 3);
	assert_true(k.slowest_ms < 2000);
	assert_true(cache_metric("recalls") > recalls);
	assert_true(slowest < 2000);
	/* And the writer's bytes, once it is done. */
	expect_read(&a, &r, 0, 4096, 'z', NULL, FILE_SIZE);
	assert_int_equal(dl_on(&a, r.fh, r.fhlen, OP_CLOSE, add_close, &r.stateid), NFS4_OK);
	dl_client_end(&a, &sa);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_read_cache"))
		return SKIP;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_served_from_cache),
	    cmocka_unit_test(test_other_client_write),
	    cmocka_unit_test(test_own_changes),
	    cmocka_unit_test(test_reads_beside_writer),
	};
	return cmocka_run_group_tests(tests, ceph_setup, dl_teardown);
}
