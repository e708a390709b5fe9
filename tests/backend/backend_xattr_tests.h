/* Extended attributes of the conformance suite (backend_ops.getxattr and
 * the rest): the same rules on both back ends, those of the host's "user."
 * namespace.  Included by test_backend.c after backend_fixture.h. */
#ifndef FERRY_TESTS_BACKEND_XATTR_TESTS_H
#define FERRY_TESTS_BACKEND_XATTR_TESTS_H

#include <sys/xattr.h>

static int xget(struct fx *fx, const struct backend_cred *c, const struct backend_handle *h,
		const char *name, char *buf, size_t cap, size_t *len)
{
	return fx->ops->getxattr(fx->ex, c, h, name, buf, cap, len);
}

static int xset(struct fx *fx, const struct backend_cred *c, const struct backend_handle *h,
		const char *name, const char *value, enum backend_xattr_set how)
{
	return fx->ops->setxattr(fx->ex, c, h, name, value, strlen(value), how);
}

/* ---- listings ---- */

struct xlist {
	char names[64][16];
	uint64_t cookies[64];
	size_t n;
	size_t batch_left;
};

static bool xcollect(void *ctx, const char *name, size_t namelen, uint64_t cookie)
{
	struct xlist *l = ctx;

	if (l->batch_left == 0)
		return false;
	l->batch_left--;
	assert_true(namelen < sizeof(l->names[0]) && l->n < 64);
	memcpy(l->names[l->n], name, namelen);
	l->names[l->n][namelen] = '\0';
	l->cookies[l->n] = cookie;
	l->n++;
	return true;
}

/* Set, read back, create and replace semantics, remove; the change
 * attribute moves with each change. */
static void test_xattr_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;
	char buf[64];
	size_t len = 0;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0644, &f);
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, sizeof(buf), &len), -ENODATA);
	assert_int_equal(xset(fx, &ROOT, &f, "color", "blue", BACKEND_XATTR_REPLACE), -ENODATA);

	uint64_t c0 = attr_of(fx, &f).change;
	assert_int_equal(xset(fx, &ROOT, &f, "color", "blue", BACKEND_XATTR_CREATE), 0);
	uint64_t c1 = attr_of(fx, &f).change;
	assert_true(c1 != c0);
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "blue", 4);

	assert_int_equal(xset(fx, &ROOT, &f, "color", "red", BACKEND_XATTR_CREATE), -EEXIST);
	assert_int_equal(xset(fx, &ROOT, &f, "color", "green", BACKEND_XATTR_REPLACE), 0);
	uint64_t c2 = attr_of(fx, &f).change;
	assert_true(c2 != c1);
	assert_int_equal(xset(fx, &ROOT, &f, "color", "red", BACKEND_XATTR_EITHER), 0);
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "red", 3);

	/* A value longer than the buffer; an empty one fits none. */
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, 2, &len), -ERANGE);
	assert_int_equal(xset(fx, &ROOT, &f, "empty", "", BACKEND_XATTR_EITHER), 0);
	len = 99;
	assert_int_equal(xget(fx, &ROOT, &f, "empty", buf, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, 0, &len), -ERANGE);

	assert_int_equal(fx->ops->removexattr(fx->ex, &ROOT, &f, "color"), 0);
	assert_true(attr_of(fx, &f).change != c2);
	assert_int_equal(fx->ops->removexattr(fx->ex, &ROOT, &f, "color"), -ENODATA);
	assert_int_equal(xget(fx, &ROOT, &f, "color", buf, sizeof(buf), &len), -ENODATA);

	/* Directories carry them too. */
	assert_int_equal(xset(fx, &ROOT, &d, "tag", "dir", BACKEND_XATTR_EITHER), 0);
	assert_int_equal(xget(fx, &ROOT, &d, "tag", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 3);

	/* On the host they are "user." attributes. */
	if (fx->local) {
		char p[400];
		snprintf(p, sizeof(p), "%s/t%u/f", fx->export, fx->seq - 1);
		backend_local_restore_identity();
		assert_int_equal(getxattr(p, "user.empty", buf, sizeof(buf)), 0);
		assert_int_equal(getxattr(p, "user.color", buf, sizeof(buf)), -1);
		assert_int_equal(setxattr(p, "user.host", "made", 4, 0), 0);
		assert_int_equal(xget(fx, &ROOT, &f, "host", buf, sizeof(buf), &len), 0);
		assert_int_equal(len, 4);
	}
}

/* Names and values at and past the limits. */
static void test_xattr_limits(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;
	char name[BACKEND_XATTR_NAME_MAX + 2];
	char buf[2100];
	size_t len;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0644, &f);
	memset(name, 'n', sizeof(name));
	name[BACKEND_XATTR_NAME_MAX] = '\0';
	assert_int_equal(xset(fx, &ROOT, &f, name, "v", BACKEND_XATTR_EITHER), 0);
	assert_int_equal(xget(fx, &ROOT, &f, name, buf, sizeof(buf), &len), 0);
	name[BACKEND_XATTR_NAME_MAX] = 'n';
	name[BACKEND_XATTR_NAME_MAX + 1] = '\0';
	assert_int_equal(xset(fx, &ROOT, &f, name, "v", BACKEND_XATTR_EITHER), -ENAMETOOLONG);
	assert_int_equal(xget(fx, &ROOT, &f, name, buf, sizeof(buf), &len), -ENAMETOOLONG);
	assert_int_equal(fx->ops->removexattr(fx->ex, &ROOT, &f, name), -ENAMETOOLONG);
	assert_int_equal(xset(fx, &ROOT, &f, "", "v", BACKEND_XATTR_EITHER), -EINVAL);

	/* A value the size of a small block and back. */
	char *v = malloc(BACKEND_XATTR_SIZE_MAX + 1);
	for (size_t i = 0; i < 2000; i++)
		v[i] = (char)('a' + i % 26);
	assert_int_equal(fx->ops->setxattr(fx->ex, &ROOT, &f, "big", v, 2000, BACKEND_XATTR_EITHER),
			 0);
	assert_int_equal(xget(fx, &ROOT, &f, "big", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2000);
	assert_memory_equal(buf, v, 2000);
	assert_int_equal(fx->ops->setxattr(fx->ex, &ROOT, &f, "huge", v,
					   BACKEND_XATTR_SIZE_MAX + 1, BACKEND_XATTR_EITHER),
			 -E2BIG);
	/* Both back ends judge the size before the name: a call wrong in
	 * both ways gets the same answer from either. */
	assert_int_equal(fx->ops->setxattr(fx->ex, &ROOT, &f, "", v, BACKEND_XATTR_SIZE_MAX + 1,
					   BACKEND_XATTR_EITHER),
			 -E2BIG);
	free(v);
}

/* Symbolic links and special files carry none (Linux's rule for the user
 * namespace). */
static void test_xattr_types(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, l, p;
	struct backend_setattr sa = mode_sa(0666);
	struct backend_attr a;
	char buf[16];
	size_t len;
	bool eof = false;
	struct xlist seen = { .batch_left = 8 };

	test_dir(fx, &d);
	assert_int_equal(fx->ops->symlink(fx->ex, &ROOT, &d, "l", "target", &sa, &l, &a), 0);
	assert_int_equal(fx->ops->mknod(fx->ex, &ROOT, &d, "p", BACKEND_FIFO, 0, 0, &sa, &p, &a),
			 0);
	const struct backend_handle *objs[] = { &l, &p };
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(xset(fx, &ROOT, objs[i], "x", "v", BACKEND_XATTR_EITHER), -EPERM);
		assert_int_equal(xget(fx, &ROOT, objs[i], "x", buf, sizeof(buf), &len), -ENODATA);
		assert_int_equal(fx->ops->removexattr(fx->ex, &ROOT, objs[i], "x"), -EPERM);
		assert_int_equal(
			fx->ops->listxattr(fx->ex, &ROOT, objs[i], 0, xcollect, &seen, &eof), 0);
		assert_true(eof);
		assert_int_equal(seen.n, 0);
	}
}

static void test_xattr_perm(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f, own, sticky;
	char buf[16];
	size_t len;

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "rootfile", 0644, &f);
	assert_int_equal(xset(fx, &ROOT, &f, "a", "1", BACKEND_XATTR_EITHER), 0);
	/* Read permission reads; writing needs write permission. */
	assert_int_equal(xget(fx, &USER, &f, "a", buf, sizeof(buf), &len), 0);
	assert_int_equal(xset(fx, &USER, &f, "a", "2", BACKEND_XATTR_EITHER), -EACCES);
	assert_int_equal(fx->ops->removexattr(fx->ex, &USER, &f, "a"), -EACCES);
	/* No owner override: the owner of a 0400 file cannot set one. */
	mk_file(fx, &USER, &d, "own", 0600, &own);
	assert_int_equal(xset(fx, &USER, &own, "b", "1", BACKEND_XATTR_EITHER), 0);
	assert_int_equal(xget(fx, &OTHER, &own, "b", buf, sizeof(buf), &len), -EACCES);
	struct backend_setattr sa = mode_sa(0400);
	struct backend_attr a;
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &own, &sa, &a), 0);
	assert_int_equal(xset(fx, &USER, &own, "c", "1", BACKEND_XATTR_EITHER), -EACCES);
	assert_int_equal(xget(fx, &USER, &own, "b", buf, sizeof(buf), &len), 0);
	/* A sticky directory's own attributes: its owner only. */
	mk_dir(fx, &ROOT, &d, "sticky", 01777, &sticky);
	assert_int_equal(xset(fx, &USER, &sticky, "s", "1", BACKEND_XATTR_EITHER), -EPERM);
	assert_int_equal(xset(fx, &ROOT, &sticky, "s", "1", BACKEND_XATTR_EITHER), 0);
	assert_int_equal(xget(fx, &USER, &sticky, "s", buf, sizeof(buf), &len), 0);
}

/* Lists h from cookie in batches of batch names; returns the cookie of the
 * last name listed. */
static uint64_t xlist_from(struct fx *fx, const struct backend_handle *h, uint64_t cookie,
			   size_t batch, size_t batches, struct xlist *l)
{
	for (size_t b = 0; b < batches; b++) {
		size_t before = l->n;
		bool eof = false;

		l->batch_left = batch;
		assert_int_equal(fx->ops->listxattr(fx->ex, &USER, h, cookie, xcollect, l, &eof), 0);
		if (l->n > before)
			cookie = l->cookies[l->n - 1];
		if (eof)
			break;
		assert_true(l->n > before);
	}
	return cookie;
}

static bool xlist_has(const struct xlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static void test_xattr_list(void **state)
{
	struct fx *fx = *state;
	struct backend_handle d, f;
	struct xlist l = { 0 };
	char name[16];

	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0644, &f);
	xlist_from(fx, &f, 0, 10, 1, &l);
	assert_int_equal(l.n, 0);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%02d", i);
		assert_int_equal(xset(fx, &ROOT, &f, name, "v", BACKEND_XATTR_CREATE), 0);
	}
	/* Whole, three at a time: each name once, no cookie 0. */
	xlist_from(fx, &f, 0, 3, 100, &l);
	assert_int_equal(l.n, 20);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%02d", i);
		assert_true(xlist_has(&l, name));
		assert_true(l.cookies[i] != 0);
	}

	/* Half way, names come and go; those that stay are listed once,
	 * from where the listing stopped. */
	memset(&l, 0, sizeof(l));
	uint64_t cookie = xlist_from(fx, &f, 0, 10, 1, &l);
	assert_int_equal(l.n, 10);
	struct xlist first = l;
	for (size_t i = 0; i < first.n; i += 2)
		assert_int_equal(fx->ops->removexattr(fx->ex, &ROOT, &f, first.names[i]), 0);
	assert_int_equal(xset(fx, &ROOT, &f, "late", "v", BACKEND_XATTR_CREATE), 0);
	struct xlist rest = { 0 };
	xlist_from(fx, &f, cookie, 4, 100, &rest);
	size_t stayed = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%02d", i);
		bool in_first = xlist_has(&first, name), in_rest = xlist_has(&rest, name);
		assert_false(in_first && in_rest);
		assert_true(in_first || in_rest);
		stayed += in_rest;
	}
	assert_int_equal(stayed, 10);
	/* The new name came after the cookie or before it; never twice. */
	assert_true(rest.n == 10 || rest.n == 11);

	/* The user namespace only. */
	if (fx->local) {
		char p[400];
		snprintf(p, sizeof(p), "%s/t%u/f", fx->export, fx->seq - 1);
		backend_local_restore_identity(); /* trusted.* needs CAP_SYS_ADMIN */
		assert_int_equal(setxattr(p, "trusted.hidden", "x", 1, 0), 0);
		memset(&l, 0, sizeof(l));
		xlist_from(fx, &f, 0, 64, 1, &l);
		assert_false(xlist_has(&l, "hidden"));
		assert_false(xlist_has(&l, "trusted.hidden"));
		assert_int_equal(l.n, 16);
	}
}

static void test_xattr_statfs(void **state)
{
	struct fx *fx = *state;
	struct backend_fsstat st;

	assert_int_equal(fx->ops->statfs(fx->ex, &fx->root, &st), 0);
	assert_true(st.xattrs);
}

#define XATTR_TESTS                                                                 \
	cmocka_unit_test(test_xattr_roundtrip), cmocka_unit_test(test_xattr_limits),  \
		cmocka_unit_test(test_xattr_types), cmocka_unit_test(test_xattr_perm), \
		cmocka_unit_test(test_xattr_list), cmocka_unit_test(test_xattr_statfs)

#endif
