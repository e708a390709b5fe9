/* libFuzzer target: the MOUNT codec (xdr/mount_codec.h) and the path
 * comparison MNT and UMNT make (mount_path_tidy).
 *
 * Byte 0 picks what the rest is (modulo 4):
 *   0  a dirpath, as MNT and UMNT decode their argument: one that decodes
 *      re-encodes to the very bytes; a tidied path is absolute, has no
 *      empty component and no trailing slash, and tidies to itself
 *   1  MNT's result: one that decodes re-encodes and decodes again,
 *      consuming exactly the re-encoding
 *   2  DUMP's mount list, walked item by item, each item re-encoded
 *   3  EXPORT's export list with each export's groups, walked the same way
 * Beyond "no sanitizer report" the properties above are checked. */
#include "fuzz_codec.h"

#include "mount/mount.h"
#include "xdr/mount_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tidy(const uint8_t *p, size_t len)
{
	char once[MNTPATHLEN + 1], twice[MNTPATHLEN + 1];
	if (!mount_path_tidy(p, len, once))
		return;
	size_t n = strlen(once);
	CHECK(n >= 1 && n <= len && once[0] == '/');
	CHECK(!strstr(once, "//"));
	CHECK(n == 1 || once[n - 1] != '/');
	CHECK(mount_path_tidy((const uint8_t *)once, n, twice));
	CHECK(strcmp(once, twice) == 0);
}

static void fuzz_dirpath(const uint8_t *in, size_t len)
{
	struct xdr_dec d;
	struct mount_name path;
	xdr_dec_init(&d, in, len);
	enum mount_dec_path st = mount_dec_dirpath(&d, &path);
	if (st == MOUNT_PATH_GARBAGE)
		return;
	CHECK(xdr_dec_remaining(&d) == 0);
	CHECK(st == MOUNT_PATH_OK ? path.len <= MNTPATHLEN : path.len > MNTPATHLEN);
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 64, 1u << 20));
	CHECK(mount_enc_dirpath(&e, &path));
	CHECK(xdr_enc_len(&e) == 4 + xdr_pad4(path.len));
	/* Padding is not checked on decode: compare length and bytes. */
	CHECK(memcmp(e.buf->data, in, 4 + path.len) == 0);
	xdr_enc_release(&e);
	if (st == MOUNT_PATH_OK)
		check_tidy(path.data, path.len);
}

static void fuzz_list(const uint8_t *in, size_t len, bool exports)
{
	struct xdr_dec d;
	struct xdr_enc e;
	xdr_dec_init(&d, in, len);
	CHECK(xdr_enc_init(&e, 256, 1u << 22));
	bool more;
	while (mount_dec_more(&d, &more) && more) {
		CHECK(mount_enc_more(&e, true));
		if (!exports) {
			struct mount_body b;
			if (!mount_dec_body(&d, &b))
				break;
			CHECK(b.host.len <= MNTNAMLEN && b.dir.len <= MNTPATHLEN);
			CHECK(mount_enc_body(&e, &b));
			continue;
		}
		struct mount_name dir, g;
		if (!mount_dec_export_dir(&d, &dir))
			break;
		CHECK(mount_enc_export_dir(&e, &dir));
		bool gmore;
		while (mount_dec_more(&d, &gmore) && gmore) {
			if (!mount_dec_group(&d, &g))
				break;
			CHECK(g.len <= MNTNAMLEN);
			CHECK(mount_enc_more(&e, true) && mount_enc_group(&e, &g));
		}
	}
	CHECK(!e.overflow);
	xdr_enc_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0:
		fuzz_dirpath(in, len);
		break;
	case 1:
		FUZZ_PAIR(struct mount_mnt_res, mount_enc_mnt_res, mount_dec_mnt_res, FUZZ_NO_WALK,
		          in, len);
		break;
	case 2:
		fuzz_list(in, len, false);
		break;
	case 3:
		fuzz_list(in, len, true);
		break;
	}
	return 0;
}
