/* READ on the event loop: data in the page cache is read there; data that
 * is not (evicted with POSIX_FADV_DONTNEED on the host) is read on a
 * worker, and a range only partly in memory is never answered short.
 * The deferrals are counted by ferry_nfs_inline_deferrals_total. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/nfs4_prot.h"

enum {
	MIB = 1024 * 1024,
	FILE_SIZE = 2 * MIB + 1000, /* the last READ is short: eof */
};

static struct ferryd_proc server;
static uint8_t *file_data;
static char file_path[400];

static int setup(void **state)
{
	if (ferryd_start_conf(&server, "") != 0)
		return -1;
	file_data = malloc(FILE_SIZE);
	if (!file_data)
		return -1;
	for (size_t i = 0; i < FILE_SIZE; i++)
		file_data[i] = (uint8_t)(i * 7 + i / 4096);
	ferryd_export_path(&server, "data", file_path, sizeof(file_path));
	int fd = open(file_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, file_data, FILE_SIZE) != FILE_SIZE || fsync(fd) != 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	free(file_data);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A session whose replies may carry a 1 MiB READ. */
static void session_up(struct nfs4c_sess *s, int fd, const char *name)
{
	struct nfs4c_attrs a;
	nfs4c_default_attrs(&a);
	a.maxresp = 2 * MIB;
	nfs4c_session_up(s, fd, 0, name, &a);
}

static double inline_deferrals(void)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, "ferry_nfs_inline_deferrals_total");
	free(page);
	assert_true(v >= 0);
	return v;
}

/* Drops the file's pages from the page cache (clean after the fsync). */
static void evict(void)
{
	int fd = open(file_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
}

/* Brings [off, off + len) into the page cache from the host, and no more
 * (no read-ahead). */
static void warm(off_t off, size_t len)
{
	int fd = open(file_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
	uint8_t *b = malloc(len);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, len, off), (ssize_t)len);
	free(b);
	close(fd);
}

/* READ count bytes at off of /export/data over s (anonymous stateid) and
 * checks them against the file, with the eof the file's size gives. */
static void read_check(struct nfs4c_sess *s, int fd, uint64_t off, uint32_t count)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "data");
	nfs4c_op(&m, OP_READ);
	struct nfs4_stateid anon;
	memset(&anon, 0, sizeof(anon));
	nfs4_encode_stateid(&m.e, &anon);
	xdr_encode_u64(&m.e, off);
	xdr_encode_u32(&m.e, count);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
	uint32_t eof, len;
	assert_true(xdr_decode_u32(&p.d, &eof));
	assert_true(xdr_decode_u32(&p.d, &len));
	uint64_t want = off >= FILE_SIZE ? 0 : FILE_SIZE - off < count ? FILE_SIZE - off : count;
	assert_int_equal(len, want);
	assert_int_equal(eof, off + want >= FILE_SIZE);
	const uint8_t *bytes;
	assert_true(xdr_decode_opaque_fixed(&p.d, len, &bytes));
	assert_memory_equal(bytes, file_data + off, len);
	nfs4c_done(&p);
}

/* From the page cache: served on the loop, nothing deferred. */
static void test_cached_read_stays_on_loop(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	struct nfs4c_sess s;
	session_up(&s, fd, "read-inline-cached");
	warm(0, FILE_SIZE);
	read_check(&s, fd, 0, 4096); /* the handle and data descriptor opened */
	double before = inline_deferrals();
	read_check(&s, fd, 0, 4096);
	read_check(&s, fd, MIB, MIB);
	read_check(&s, fd, 2 * MIB, MIB); /* short: eof */
	read_check(&s, fd, FILE_SIZE, 100); /* past the end: empty, eof */
	assert_true(inline_deferrals() == before);
	nfs4c_destroy_session(&s);
	close(fd);
}

/* Not in memory: read on a worker, whole and right. */
static void test_evicted_read_moves_to_worker(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	struct nfs4c_sess s;
	session_up(&s, fd, "read-inline-evicted");
	read_check(&s, fd, 0, 4096);
	evict();
	double before = inline_deferrals();
	read_check(&s, fd, MIB, MIB);
	double after = inline_deferrals();
	assert_true(after >= before + 1);
	/* The end of the file, evicted: a short read that is the end. */
	evict();
	read_check(&s, fd, 2 * MIB, MIB);
	nfs4c_destroy_session(&s);
	close(fd);
}

/* The first half of the range in memory, the rest not: RWF_NOWAIT stops
 * short, which is not the end of the file; the READ is done whole on a
 * worker, never answered with the part that was there. */
static void test_partly_cached_read_is_whole(void **state)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	struct nfs4c_sess s;
	session_up(&s, fd, "read-inline-partial");
	read_check(&s, fd, 0, 4096);
	evict();
	warm(0, MIB / 2);
	double before = inline_deferrals();
	read_check(&s, fd, 0, MIB);
	assert_true(inline_deferrals() >= before + 1);
	nfs4c_destroy_session(&s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached_read_stays_on_loop),
		cmocka_unit_test(test_evicted_read_moves_to_worker),
		cmocka_unit_test(test_partly_cached_read_is_whole),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
