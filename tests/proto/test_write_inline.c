/* WRITE on the event loop: a small unstable WRITE goes into the page cache
 * there; a stable one, a large one and one that would first have to read a
 * page from the disk (a partial page evicted with POSIX_FADV_DONTNEED on the
 * host) move to a worker.  Every one lands whole, with the bytes around it
 * kept.  A move is counted by ferry_nfs_inline_deferrals_total (a WRITE
 * that found it had to) and ferry_rpc_worker_handoffs_total (every request
 * an event loop hands to the worker pool). */
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
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_prot.h"

enum {
	PAGE = 4096,
	FILE_SIZE = 64 * 1024 + 100, /* ends inside a page */
	BIG = 100 * 1024,            /* above the inline limit, below rpc's bulk path */
};

static struct ferryd_proc server;
static uint8_t *expect; /* what the file must hold */
static size_t expect_len;
static char file_path[400];

static int setup(void **state)
{
	if (ferryd_start_export(&server, "squash = none\n") != 0)
		return -1;
	expect_len = FILE_SIZE;
	expect = malloc(FILE_SIZE + 4 * BIG);
	if (!expect)
		return -1;
	for (size_t i = 0; i < FILE_SIZE; i++)
		expect[i] = (uint8_t)(i * 13 + i / PAGE);
	ferryd_export_path(&server, "wdata", file_path, sizeof(file_path));
	int fd = open(file_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, expect, FILE_SIZE) != FILE_SIZE || fsync(fd) != 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	free(expect);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static double metric(const char *name) { return ctlt_metric_now(&server, name); }

static double inline_deferrals(void)
{
	return metric("ferry_nfs_inline_deferrals_total");
}

static double handoffs(void)
{
	return metric("ferry_rpc_worker_handoffs_total");
}

/* Drops the file's pages from the page cache: written back first, so
 * that the kernel can let them go. */
static void evict(void)
{
	int fd = open(file_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fdatasync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
}

/* Reads the whole file into the page cache from the host. */
static void warm(void)
{
	int fd = open(file_path, O_RDONLY);
	assert_true(fd >= 0);
	uint8_t *b = malloc(expect_len);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, expect_len, 0), (ssize_t)expect_len);
	free(b);
	close(fd);
}

/* The file on the host holds exactly what the WRITEs so far put there. */
static void file_check(void)
{
	struct stat st;
	assert_int_equal(stat(file_path, &st), 0);
	assert_int_equal((size_t)st.st_size, expect_len);
	uint8_t *b = malloc(expect_len);
	assert_non_null(b);
	int fd = open(file_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, expect_len, 0), (ssize_t)expect_len);
	close(fd);
	assert_memory_equal(b, expect, expect_len);
	free(b);
}

/* WRITE len bytes at off (anonymous stateid, stability how) over s, and
 * the same into expect. */
static void write_at(struct nfs4c_sess *s, int fd, uint64_t off, uint32_t len, uint32_t how)
{
	static uint8_t seed = 1;
	uint8_t *data = malloc(len);
	assert_non_null(data);
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(seed + i * 31);
	seed++;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "wdata");
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.offset = off;
	w.stable = how;
	w.data.data = data;
	w.data.len = len;
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_WRITE), NFS4_OK);
	uint32_t count, committed;
	assert_true(xdr_decode_u32(&p.d, &count));
	assert_true(xdr_decode_u32(&p.d, &committed));
	assert_int_equal(count, len);
	assert_true(committed >= how);
	nfs4c_done(&p);
	if (off + len > expect_len) {
		memset(expect + expect_len, 0, off + len - expect_len);
		expect_len = off + len;
	}
	memcpy(expect + off, data, len);
	free(data);
}

static void session(struct nfs4c_sess *s, int *fd, const char *name)
{
	*fd = nfs4c_connect(server.hostport);
	assert_true(*fd >= 0);
	nfs4c_session_up(s, *fd, 0, name, NULL);
}

/* Small and unstable, its pages in memory (or none needed): on the loop. */
static void test_small_unstable_write_stays_on_loop(void **state)
{
	struct nfs4c_sess s;
	int fd;
	session(&s, &fd, "write-inline-small");
	warm();
	write_at(&s, fd, 0, PAGE, UNSTABLE4); /* the handle and descriptor opened */
	double before = inline_deferrals(), handed = handoffs();
	write_at(&s, fd, PAGE, PAGE, UNSTABLE4);   /* whole pages: nothing to read */
	write_at(&s, fd, 3 * PAGE + 10, 100, UNSTABLE4); /* inside a page in memory */
	write_at(&s, fd, 16 * PAGE - 7, 20, UNSTABLE4);  /* across two pages in memory */
	write_at(&s, fd, 8 * PAGE, 64 * 1024, UNSTABLE4); /* the largest kept on the loop */
	assert_true(inline_deferrals() == before);
	assert_true(handoffs() == handed);
	file_check();
	nfs4c_destroy_session(&s);
	close(fd);
}

/* FILE_SYNC and DATA_SYNC wait for the disk, and a WRITE above the
 * inline limit would hold the loop: each moves to a worker. */
static void test_stable_and_large_writes_move_to_worker(void **state)
{
	struct nfs4c_sess s;
	int fd;
	session(&s, &fd, "write-inline-stable");
	warm();
	write_at(&s, fd, 0, PAGE, UNSTABLE4);
	double before = inline_deferrals(), handed = handoffs();
	write_at(&s, fd, 2 * PAGE, PAGE, FILE_SYNC4);
	assert_true(inline_deferrals() == before + 1);
	assert_true(handoffs() == handed + 1);
	write_at(&s, fd, 5 * PAGE, PAGE, DATA_SYNC4);
	assert_true(inline_deferrals() == before + 2);
	write_at(&s, fd, PAGE, BIG, UNSTABLE4);
	assert_true(inline_deferrals() == before + 3);
	file_check();
	nfs4c_destroy_session(&s);
	close(fd);
}

/* A partial page of file data that is not in memory must be read before
 * the write can merge into it: that WRITE moves to a worker, and the bytes
 * around it survive.  Pages past the end hold no data: nothing to read. */
static void test_partial_page_not_in_memory_moves_to_worker(void **state)
{
	struct nfs4c_sess s;
	int fd;
	session(&s, &fd, "write-inline-evicted");
	write_at(&s, fd, 0, PAGE, UNSTABLE4);
	evict();
	double before = inline_deferrals();
	write_at(&s, fd, 5 * PAGE + 123, 10, UNSTABLE4);
	assert_true(inline_deferrals() == before + 1);
	evict();
	write_at(&s, fd, 7 * PAGE - 5, 10, UNSTABLE4); /* across two evicted pages */
	assert_true(inline_deferrals() == before + 2);
	size_t end = expect_len;
	size_t past = (end + 2 * PAGE) / PAGE * PAGE + 77; /* inside a page wholly past the end */
	evict();
	write_at(&s, fd, past, 50, UNSTABLE4);
	assert_true(inline_deferrals() == before + 2);
	file_check();
	nfs4c_destroy_session(&s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_unstable_write_stays_on_loop),
		cmocka_unit_test(test_stable_and_large_writes_move_to_worker),
		cmocka_unit_test(test_partial_page_not_in_memory_moves_to_worker),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
