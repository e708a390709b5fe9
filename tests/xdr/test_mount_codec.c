/* The MOUNT codec (xdr/mount_codec.h): exact bytes against RFC 1813's
 * layout, both directions, and the decoders' refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "xdr/mount_codec.h"

static const uint8_t dirpath_a[] = {0, 0, 0, 6, '/', 'e', 'x', 'p', 'o', 'r', 0, 0};

static struct xdr_dec dec_of(const uint8_t *p, size_t n)
{
	struct xdr_dec d;
	xdr_dec_init(&d, p, n);
	return d;
}

static void test_dirpath(void **state)
{
	struct xdr_dec d = dec_of(dirpath_a, sizeof(dirpath_a));
	struct mount_name p;
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_OK);
	assert_int_equal(p.len, 6);
	assert_memory_equal(p.data, "/expor", 6);

	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 4096));
	assert_true(mount_enc_dirpath(&e, &p));
	assert_int_equal(xdr_enc_len(&e), sizeof(dirpath_a));
	assert_memory_equal(e.buf->data, dirpath_a, sizeof(dirpath_a));
	xdr_enc_release(&e);

	/* Short, missing padding, bytes after it: not a dirpath. */
	d = dec_of(dirpath_a, 3);
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_GARBAGE);
	d = dec_of(dirpath_a, sizeof(dirpath_a) - 1);
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_GARBAGE);
	uint8_t longer[sizeof(dirpath_a) + 4] = {0};
	memcpy(longer, dirpath_a, sizeof(dirpath_a));
	d = dec_of(longer, sizeof(longer));
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_GARBAGE);
	/* A length beyond the input. */
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xfc, '/', 0, 0, 0};
	d = dec_of(huge, sizeof(huge));
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_GARBAGE);

	/* Well-formed but past MNTPATHLEN: too long, not garbage. */
	static uint8_t big[4 + MNTPATHLEN + 4];
	memset(big, '/', sizeof(big));
	xdr_put_be32(big, MNTPATHLEN + 1);
	memset(big + 4 + MNTPATHLEN + 1, 0, 3);
	d = dec_of(big, sizeof(big));
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_TOO_LONG);
	xdr_put_be32(big, MNTPATHLEN);
	d = dec_of(big, 4 + MNTPATHLEN);
	assert_int_equal(mount_dec_dirpath(&d, &p), MOUNT_PATH_OK);
}

static void test_mnt_res(void **state)
{
	const uint8_t fh[5] = {1, 2, 3, 4, 5};
	struct mount_mnt_res r = {.status = MNT3_OK,
	                          .fh = {fh, 5},
	                          .nflavors = 2,
	                          .flavors = {MOUNT_FLAVOR_KRB5P, MOUNT_FLAVOR_SYS}};
	const uint8_t want[] = {0, 0, 0, 0, 0, 0, 0, 5, 1,    2,    3, 4, 5, 0,
	                        0, 0, 0, 0, 0, 2, 0, 5, 0xf3, 0x75, 0, 0, 0, 1};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 4096));
	assert_true(mount_enc_mnt_res(&e, &r));
	assert_int_equal(xdr_enc_len(&e), sizeof(want));
	assert_memory_equal(e.buf->data, want, sizeof(want));
	xdr_enc_release(&e);

	struct mount_mnt_res back;
	struct xdr_dec d = dec_of(want, sizeof(want));
	assert_true(mount_dec_mnt_res(&d, &back));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	assert_int_equal(back.fh.len, 5);
	assert_memory_equal(back.fh.data, fh, 5);
	assert_int_equal(back.nflavors, 2);
	assert_int_equal(back.flavors[0], 390005);
	assert_int_equal(back.flavors[1], 1);

	/* An error is the status alone. */
	r.status = MNT3ERR_ACCES;
	assert_true(xdr_enc_init(&e, 16, 4096));
	assert_true(mount_enc_mnt_res(&e, &r));
	assert_int_equal(xdr_enc_len(&e), 4);
	assert_int_equal(xdr_get_be32(e.buf->data), 13);
	xdr_enc_release(&e);

	/* A handle past FHSIZE3, more flavours than fit, a short list. */
	static uint8_t bad[4 + 4 + 68 + 4];
	memset(bad, 0, sizeof(bad));
	xdr_put_be32(bad + 4, 65);
	d = dec_of(bad, sizeof(bad));
	assert_false(mount_dec_mnt_res(&d, &back));
	uint8_t many[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, MOUNT_MAX_FLAVORS + 1};
	d = dec_of(many, sizeof(many));
	assert_false(mount_dec_mnt_res(&d, &back));
	d = dec_of(want, sizeof(want) - 4);
	assert_false(mount_dec_mnt_res(&d, &back));
	/* And the encoder will not write more flavours than a decoder takes. */
	r.status = MNT3_OK;
	r.nflavors = MOUNT_MAX_FLAVORS + 1;
	assert_true(xdr_enc_init(&e, 16, 4096));
	assert_false(mount_enc_mnt_res(&e, &r));
	xdr_enc_release(&e);
}

static void test_lists(void **state)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 4096));
	struct mount_body b = {{(const uint8_t *)"10.1.2.3", 8}, {(const uint8_t *)"/a", 2}};
	assert_true(mount_enc_more(&e, true));
	assert_true(mount_enc_body(&e, &b));
	assert_true(mount_enc_more(&e, false));
	const uint8_t want[] = {0,   0,   0, 1, 0, 0, 0,   8,   '1', '0', '.', '1', '.', '2',
	                        '.', '3', 0, 0, 0, 2, '/', 'a', 0,   0,   0,   0,   0,   0};
	assert_int_equal(xdr_enc_len(&e), sizeof(want));
	assert_memory_equal(e.buf->data, want, sizeof(want));
	xdr_enc_release(&e);

	struct xdr_dec d = dec_of(want, sizeof(want));
	bool more;
	assert_true(mount_dec_more(&d, &more) && more);
	struct mount_body got;
	assert_true(mount_dec_body(&d, &got));
	assert_int_equal(got.host.len, 8);
	assert_int_equal(got.dir.len, 2);
	assert_true(mount_dec_more(&d, &more) && !more);
	assert_int_equal(xdr_dec_remaining(&d), 0);

	/* "value follows" is a bool: 2 is not one. */
	const uint8_t two[] = {0, 0, 0, 2};
	d = dec_of(two, sizeof(two));
	assert_false(mount_dec_more(&d, &more));
	/* A group name past MNTNAMLEN. */
	static uint8_t name[4 + 256];
	memset(name, 'g', sizeof(name));
	xdr_put_be32(name, 256);
	struct mount_name n;
	d = dec_of(name, sizeof(name));
	assert_false(mount_dec_group(&d, &n));
	xdr_put_be32(name, 255);
	d = dec_of(name, sizeof(name));
	assert_true(mount_dec_group(&d, &n));
	assert_int_equal(n.len, 255);
}

static void test_stat_names(void **state)
{
	assert_string_equal(mount_stat_name(MNT3ERR_ACCES), "MNT3ERR_ACCES");
	assert_string_equal(mount_stat_name(MNT3ERR_NAMETOOLONG), "MNT3ERR_NAMETOOLONG");
	assert_string_equal(mount_stat_name(12345), "MNT3ERR_UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dirpath),
	    cmocka_unit_test(test_mnt_res),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_stat_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
