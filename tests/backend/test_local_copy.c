/* The local back end's COPY fallback (file -> pipe -> file, where
 * copy_file_range cannot copy between two files): pieces at unaligned
 * offsets land byte for byte, a piece stops at 1 MiB and at the source's
 * end, and the destination around the piece is untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/local/local_internal.h"

enum { SRC_SIZE = 3 * 1024 * 1024 + 777, DST_SIZE = 2 * 1024 * 1024 };

static uint8_t src_byte(uint64_t off) { return (uint8_t)(off * 7 + (off >> 12)); }

static int tmpfile_fd(const uint8_t *data, size_t len)
{
	char path[] = "/tmp/ferry-copy-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
	return fd;
}

struct files {
	int in, out;
	uint8_t *dst_before;
};

static int setup(void **state)
{
	struct files *f = calloc(1, sizeof(*f));
	uint8_t *src = malloc(SRC_SIZE);
	f->dst_before = malloc(DST_SIZE);
	for (size_t i = 0; i < SRC_SIZE; i++)
		src[i] = src_byte(i);
	for (size_t i = 0; i < DST_SIZE; i++)
		f->dst_before[i] = 0xa5;
	f->in = tmpfile_fd(src, SRC_SIZE);
	f->out = tmpfile_fd(f->dst_before, DST_SIZE);
	free(src);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct files *f = *state;
	close(f->in);
	close(f->out);
	free(f->dst_before);
	free(f);
	return 0;
}

/* dst[dst_off, +n) must be src[src_off, +n); the rest as it was. */
static void check_dst(struct files *f, uint64_t src_off, uint64_t dst_off, uint64_t n)
{
	off_t size = lseek(f->out, 0, SEEK_END);
	uint8_t *got = malloc((size_t)size);
	assert_int_equal(pread(f->out, got, (size_t)size, 0), size);
	for (off_t i = 0; i < size; i++) {
		uint64_t u = (uint64_t)i;
		uint8_t want = u >= dst_off && u < dst_off + n ? src_byte(src_off + u - dst_off)
				: u < DST_SIZE			  ? f->dst_before[u]
								  : 0;
		if (got[i] != want)
			fail_msg("byte %lld is 0x%02x, not 0x%02x", (long long)i, got[i], want);
	}
	free(got);
}

static void test_unaligned_piece(void **state)
{
	struct files *f = *state;
	uint64_t copied = 0;
	assert_int_equal(local_copy_spliced(f->in, 4096 * 3 + 123, f->out, 517, 300000, &copied), 0);
	assert_int_equal(copied, 300000);
	check_dst(f, 4096 * 3 + 123, 517, 300000);
}

static void test_piece_stops_at_one_mib(void **state)
{
	struct files *f = *state;
	uint64_t copied = 0;
	assert_int_equal(local_copy_spliced(f->in, 1, f->out, 4095, 3 * 1024 * 1024, &copied), 0);
	assert_int_equal(copied, 1024 * 1024);
	check_dst(f, 1, 4095, 1024 * 1024);
}

static void test_source_end(void **state)
{
	struct files *f = *state;
	uint64_t copied = 0;
	uint64_t from = SRC_SIZE - 1000;
	assert_int_equal(local_copy_spliced(f->in, from, f->out, DST_SIZE - 10, 1 << 20, &copied),
			 0);
	assert_int_equal(copied, 1000); /* the destination grew past its end */
	check_dst(f, from, DST_SIZE - 10, 1000);
	copied = 0;
	assert_int_equal(local_copy_spliced(f->in, SRC_SIZE + 5, f->out, 0, 4096, &copied), 0);
	assert_int_equal(copied, 0);
}

static void test_unwritable_destination(void **state)
{
	struct files *f = *state;
	int ro = open("/proc/self/exe", O_RDONLY);
	assert_true(ro >= 0);
	uint64_t copied = 0;
	assert_int_equal(local_copy_spliced(f->in, 0, ro, 0, 4096, &copied), -EBADF);
	assert_int_equal(copied, 0);
	close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unaligned_piece, setup, teardown),
		cmocka_unit_test_setup_teardown(test_piece_stops_at_one_mib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_destination, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
