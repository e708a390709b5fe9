/* NFSv4.2 data calls of both back ends: allocate, deallocate, seek, clone
 * and advise; included once, by test_backend.c. */
#ifndef FERRY_TESTS_BACKEND_SPACE_TESTS_H
#define FERRY_TESTS_BACKEND_SPACE_TESTS_H

enum { BLK64 = 64 * 1024 };

/* Writes len bytes of value byte at off. */
static void put_bytes(struct fx *fx, const struct backend_handle *h, uint64_t off, size_t len,
		      uint8_t byte)
{
	char *buf = malloc(len);
	size_t n;
	enum backend_stable st;

	memset(buf, byte, len);
	assert_int_equal(fx->ops->write(fx->ex, &ROOT, h, off, buf, len, BACKEND_FILE_SYNC, &n, &st),
			 0);
	assert_int_equal(n, len);
	free(buf);
}

static uint64_t seek_to(struct fx *fx, const struct backend_handle *h, uint64_t off,
			enum backend_seek what)
{
	uint64_t pos = 0;
	assert_int_equal(fx->ops->seek(fx->ex, &ROOT, h, off, what, &pos), 0);
	return pos;
}

static void test_space(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;
	uint64_t pos;
	const enum backend_space alloc = BACKEND_SPACE_ALLOCATE, punch = BACKEND_SPACE_DEALLOCATE;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0644, &f);
	/* allocate grows the size and holds space. */
	struct backend_attr a0 = attr_of(fx, &f);
	assert_int_equal(fx->ops->space(fx->ex, &ROOT, &f, 0, 2 * BLK64, alloc), 0);
	struct backend_attr a = attr_of(fx, &f);
	assert_int_equal(a.size, 2 * BLK64);
	assert_true(a.space_used >= 2 * BLK64);
	assert_int_not_equal(a.change, a0.change);
	assert_int_equal(fx->ops->space(fx->ex, &ROOT, &f, 0, 0, alloc), -EINVAL);

	/* Data, a hole, data: [0, 64K) [64K, 128K) [128K, 192K). */
	put_bytes(fx, &f, 0, 3 * BLK64, 0x42);
	uint64_t used = attr_of(fx, &f).space_used;
	assert_int_equal(fx->ops->space(fx->ex, &ROOT, &f, BLK64, BLK64, punch), 0);
	a = attr_of(fx, &f);
	assert_int_equal(a.size, 3 * BLK64);
	/* CephFS counts a file's space from its size. */
	if (!fx->ceph)
		assert_true(a.space_used + BLK64 <= used);
	char buf[16];
	size_t n;
	bool eof;
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &f, BLK64 + 5, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(n, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	assert_int_equal(seek_to(fx, &f, 0, BACKEND_SEEK_DATA), 0);
	if (fx->ceph) {
		/* libcephfs tells no hole from data (RFC 7862 lets a server
		 * call all of a file data): the end is the only hole. */
		assert_int_equal(seek_to(fx, &f, 0, BACKEND_SEEK_HOLE), 3 * BLK64);
		assert_int_equal(seek_to(fx, &f, BLK64 + 1, BACKEND_SEEK_DATA), BLK64 + 1);
	} else {
		assert_int_equal(seek_to(fx, &f, 0, BACKEND_SEEK_HOLE), BLK64);
		assert_int_equal(seek_to(fx, &f, BLK64 + 1, BACKEND_SEEK_DATA), 2 * BLK64);
	}
	assert_int_equal(seek_to(fx, &f, 2 * BLK64, BACKEND_SEEK_HOLE), 3 * BLK64);
	assert_int_equal(fx->ops->seek(fx->ex, &ROOT, &f, 3 * BLK64, BACKEND_SEEK_DATA, &pos),
			 -ENXIO);
	assert_int_equal(fx->ops->seek(fx->ex, &ROOT, &f, 3 * BLK64, BACKEND_SEEK_HOLE, &pos),
			 -ENXIO);
	/* A hole to the end: no data after it. */
	assert_int_equal(fx->ops->space(fx->ex, &ROOT, &f, 2 * BLK64, 5 * BLK64, punch), 0);
	assert_int_equal(attr_of(fx, &f).size, 3 * BLK64);
	if (!fx->ceph)
		assert_int_equal(fx->ops->seek(fx->ex, &ROOT, &f, BLK64, BACKEND_SEEK_DATA, &pos),
				 -ENXIO);

	/* What WRITE and READ would refuse. */
	assert_int_equal(fx->ops->space(fx->ex, &OTHER, &f, 0, 1, alloc), -EACCES);
	assert_int_equal(fx->ops->space(fx->ex, &OTHER, &f, 0, 1, punch), -EACCES);
	assert_int_equal(fx->ops->space(fx->ex, &ROOT, &d, 0, 1, alloc), -EISDIR);
	assert_int_equal(fx->ops->seek(fx->ex, &ROOT, &d, 0, BACKEND_SEEK_DATA, &pos), -EISDIR);
	struct backend_handle secret;
	mk_file(fx, &ROOT, &d, "secret", 0600, &secret);
	put_bytes(fx, &secret, 0, 10, 1);
	assert_int_equal(fx->ops->seek(fx->ex, &OTHER, &secret, 0, BACKEND_SEEK_DATA, &pos),
			 -EACCES);
}

static void test_clone(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, s, t;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "src", 0644, &s);
	mk_file(fx, &ROOT, &d, "dst", 0644, &t);
	put_bytes(fx, &s, 0, BLK64, 0x11);
	put_bytes(fx, &s, 2 * BLK64, BLK64, 0x33);
	int rc = fx->ops->clone(fx->ex, &ROOT, &s, 0, &t, BLK64, 3 * BLK64);
	if ((fx->local || fx->ceph) && rc == -EOPNOTSUPP)
		return; /* a file system that cannot reflink (ext4, tmpfs, CephFS) */
	assert_int_equal(rc, 0);
	assert_int_equal(attr_of(fx, &t).size, 4 * BLK64);
	assert_int_equal(seek_to(fx, &t, 0, BACKEND_SEEK_DATA), BLK64);
	assert_int_equal(seek_to(fx, &t, BLK64, BACKEND_SEEK_HOLE), 2 * BLK64);
	assert_int_equal(seek_to(fx, &t, 2 * BLK64, BACKEND_SEEK_DATA), 3 * BLK64);
	char buf[4];
	size_t n;
	bool eof;
	assert_int_equal(fx->ops->read(fx->ex, &ROOT, &t, 3 * BLK64, 4, buf, &n, &eof), 0);
	assert_memory_equal(buf, "\x33\x33\x33\x33", 4);
	assert_int_equal(fx->ops->clone(fx->ex, &OTHER, &s, 0, &t, 0, BLK64), -EACCES);
}

static void test_advise(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0644, &f);
	put_bytes(fx, &f, 0, 4096, 7);
	/* The local back end steers the page cache; memory has none. */
	int want = fx->local ? 0 : -EOPNOTSUPP;
	assert_int_equal(fx->ops->advise(fx->ex, &f, 0, 0, BACKEND_ADVISE_SEQUENTIAL), want);
	assert_int_equal(fx->ops->advise(fx->ex, &f, 0, 4096, BACKEND_ADVISE_WILLNEED), want);
	assert_int_equal(fx->ops->advise(fx->ex, &f, 0, 4096, BACKEND_ADVISE_DONTNEED), want);
	struct backend_fsstat st;
	assert_int_equal(fx->ops->statfs(fx->ex, &f, &st), 0);
	assert_true(st.clone_blksize >= 512);
	assert_int_equal(st.change_kind, fx->local ? BACKEND_CHANGE_CTIME : BACKEND_CHANGE_COUNTER);
}

#endif
