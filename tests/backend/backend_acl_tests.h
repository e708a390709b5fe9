/* POSIX ACLs of the conformance suite (backend_ops.get_acl, set_acl): the
 * ACL a mode makes, an ACL set and read back, the kernel's (or the file
 * system's) enforcement of it, default ACLs inherited, who may set one,
 * and the checks of an ACL's shape and attribute format.  Included by
 * test_backend.c after backend_fixture.h; a back end without ACLs has
 * neither op and says so in statfs. */
#ifndef FERRY_TESTS_BACKEND_ACL_TESTS_H
#define FERRY_TESTS_BACKEND_ACL_TESTS_H

#include "backend/backend_internal.h"

static struct backend_acl *acl_alloc(void)
{
	struct backend_acl *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	return a;
}

static void acl_add(struct backend_acl *a, uint16_t tag, uint16_t perm, uint32_t id)
{
	a->e[a->count++] = (struct backend_acl_entry){tag, perm, id};
}

/* True when the back end keeps ACLs; otherwise checks it says so. */
static bool acls_here(struct fx *fx)
{
	struct backend_fsstat st;
	assert_int_equal(fx->ops->statfs(fx->ex, &fx->root, &st), 0);
	if (!fx->ops->get_acl) {
		assert_null(fx->ops->set_acl);
		assert_false(st.acls);
		return false;
	}
	/* The suite's local directories are on file systems with ACLs. */
	assert_true(st.acls);
	return true;
}

enum { AR = BACKEND_ACL_READ, AW = BACKEND_ACL_WRITE, AX = BACKEND_ACL_EXECUTE };

static void test_acl_roundtrip(void **state)
{
	struct fx *fx = *state;
	if (!acls_here(fx))
		return;
	struct backend_handle d, f;
	struct backend_acl *a = acl_alloc(), *want = acl_alloc();
	test_dir(fx, &d);
	mk_file(fx, &ROOT, &d, "f", 0640, &f);

	/* No ACL yet: the mode's three entries; a file has no default. */
	assert_int_equal(fx->ops->get_acl(fx->ex, &USER, &f, BACKEND_ACL_ACCESS, a), 0);
	backend_acl_from_mode(0640, want);
	assert_int_equal(a->count, 3);
	assert_memory_equal(a->e, want->e, 3 * sizeof(a->e[0]));
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &f, BACKEND_ACL_DEFAULT, a), 0);
	assert_int_equal(a->count, 0);

	/* USER may read, OTHER nothing; the mask becomes the group bits. */
	want->count = 0;
	acl_add(want, BACKEND_ACL_USER_OBJ, AR | AW, 0);
	acl_add(want, BACKEND_ACL_USER, AR, USER.uid);
	acl_add(want, BACKEND_ACL_GROUP_OBJ, 0, 0);
	acl_add(want, BACKEND_ACL_MASK, AR | AX, 0);
	acl_add(want, BACKEND_ACL_OTHER, 0, 0);
	uint64_t c0 = attr_of(fx, &f).change;
	assert_int_equal(fx->ops->set_acl(fx->ex, &USER, &f, BACKEND_ACL_ACCESS, want), -EPERM);
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, want), 0);
	struct backend_attr at = attr_of(fx, &f);
	assert_true(at.change != c0);
	assert_int_equal(at.mode & 0777, 0650);
	assert_int_equal(fx->ops->get_acl(fx->ex, &OTHER, &f, BACKEND_ACL_ACCESS, a), 0);
	assert_int_equal(a->count, want->count);
	assert_memory_equal(a->e, want->e, want->count * sizeof(a->e[0]));

	uint32_t granted;
	assert_int_equal(fx->ops->access(fx->ex, &USER, &f, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_READ);
	assert_int_equal(fx->ops->access(fx->ex, &OTHER, &f, 7, &granted), 0);
	assert_int_equal(granted, 0);
	char buf[8];
	size_t n;
	bool eof;
	assert_int_equal(fx->ops->read(fx->ex, &USER, &f, 0, sizeof(buf), buf, &n, &eof), 0);
	assert_int_equal(fx->ops->read(fx->ex, &OTHER, &f, 0, sizeof(buf), buf, &n, &eof),
			 -EACCES);

	/* A chmod moves the mask, as the kernel does. */
	struct backend_setattr sa = mode_sa(0600);
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &f, &sa, &at), 0);
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, a), 0);
	assert_int_equal(a->count, 5);
	assert_int_equal(a->e[3].tag, BACKEND_ACL_MASK);
	assert_int_equal(a->e[3].perm, 0);
	assert_int_equal(fx->ops->access(fx->ex, &USER, &f, 7, &granted), 0);
	assert_int_equal(granted, 0);

	/* Back to what the mode says: no ACL kept beyond it. */
	backend_acl_from_mode(0644, want);
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, want), 0);
	assert_int_equal(attr_of(fx, &f).mode & 0777, 0644);
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, a), 0);
	assert_int_equal(a->count, 3);
	free(a);
	free(want);
}

static void test_acl_default_inherited(void **state)
{
	struct fx *fx = *state;
	if (!acls_here(fx))
		return;
	struct backend_handle d, sub, f;
	struct backend_acl *a = acl_alloc(), *dflt = acl_alloc();
	test_dir(fx, &d);
	mk_dir(fx, &ROOT, &d, "sub", 0755, &sub);
	acl_add(dflt, BACKEND_ACL_USER_OBJ, AR | AW | AX, 0);
	acl_add(dflt, BACKEND_ACL_USER, AR | AW, USER.uid);
	acl_add(dflt, BACKEND_ACL_GROUP_OBJ, AR, 0);
	acl_add(dflt, BACKEND_ACL_MASK, AR | AW, 0);
	acl_add(dflt, BACKEND_ACL_OTHER, 0, 0);
	/* Only a directory has one. */
	mk_file(fx, &ROOT, &d, "plain", 0644, &f);
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &f, BACKEND_ACL_DEFAULT, dflt), -EACCES);
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &sub, BACKEND_ACL_DEFAULT, dflt), 0);
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &sub, BACKEND_ACL_DEFAULT, a), 0);
	assert_int_equal(a->count, dflt->count);
	assert_memory_equal(a->e, dflt->e, dflt->count * sizeof(a->e[0]));

	/* A file made in it starts with it, masked by the mode it asked. */
	mk_file(fx, &ROOT, &sub, "child", 0640, &f);
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, a), 0);
	assert_int_equal(a->count, 5);
	assert_int_equal(a->e[1].tag, BACKEND_ACL_USER);
	assert_int_equal(a->e[1].id, USER.uid);
	assert_int_equal(a->e[3].tag, BACKEND_ACL_MASK);
	assert_int_equal(a->e[3].perm, AR);
	uint32_t granted;
	assert_int_equal(fx->ops->access(fx->ex, &USER, &f, 7, &granted), 0);
	assert_int_equal(granted, BACKEND_ACCESS_READ);

	/* An empty default ACL removes it. */
	dflt->count = 0;
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &sub, BACKEND_ACL_DEFAULT, dflt), 0);
	assert_int_equal(fx->ops->get_acl(fx->ex, &ROOT, &sub, BACKEND_ACL_DEFAULT, a), 0);
	assert_int_equal(a->count, 0);
	assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &sub, BACKEND_ACL_DEFAULT, dflt), 0);
	free(a);
	free(dflt);
}

/* What is not an ACL is refused before it reaches the file system, and
 * the attribute format is the kernel's. */
static void test_acl_shape(void **state)
{
	struct fx *fx = *state;
	struct backend_acl *a = acl_alloc(), *b = acl_alloc();
	acl_add(a, BACKEND_ACL_USER_OBJ, AR, 0);
	acl_add(a, BACKEND_ACL_USER, AR, 9);
	acl_add(a, BACKEND_ACL_USER, AW, 7); /* ids out of order */
	acl_add(a, BACKEND_ACL_GROUP_OBJ, 0, 0);
	acl_add(a, BACKEND_ACL_MASK, AR | AW, 0);
	acl_add(a, BACKEND_ACL_OTHER, 0, 0);
	assert_int_equal(backend_acl_check(a), -EINVAL);
	a->e[2].id = 9; /* twice */
	assert_int_equal(backend_acl_check(a), -EINVAL);
	a->e[2].id = 10;
	assert_int_equal(backend_acl_check(a), 0);
	a->e[4].tag = BACKEND_ACL_GROUP_OBJ; /* no mask, GROUP_OBJ twice */
	assert_int_equal(backend_acl_check(a), -EINVAL);
	a->e[4].tag = BACKEND_ACL_MASK;
	a->e[5].perm = 8; /* not a permission bit */
	assert_int_equal(backend_acl_check(a), -EINVAL);
	a->e[5].perm = 0;
	backend_acl_from_mode(0751, b);
	assert_int_equal(backend_acl_check(b), 0);
	b->count = 2; /* no OTHER */
	assert_int_equal(backend_acl_check(b), -EINVAL);

	/* The kernel's format: version 2, little-endian, -1 for the id of
	 * an unnamed entry. */
	uint8_t *x = malloc(BACKEND_ACL_XATTR_MAX);
	size_t len = backend_acl_to_xattr(a, x);
	assert_int_equal(len, 4 + 8 * 6);
	static const uint8_t head[] = {2, 0, 0, 0, 1, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
				       2, 0, 4, 0, 9, 0,    0,    0};
	assert_memory_equal(x, head, sizeof(head));
	assert_int_equal(backend_acl_from_xattr(x, len, b), 0);
	assert_int_equal(b->count, a->count);
	assert_memory_equal(b->e, a->e, a->count * sizeof(a->e[0]));
	assert_int_equal(backend_acl_from_xattr(x, len - 1, b), -EINVAL);
	x[0] = 1;
	assert_int_equal(backend_acl_from_xattr(x, len, b), -EINVAL);
	free(x);
	if (fx->ops->set_acl) {
		struct backend_handle d, f;
		test_dir(fx, &d);
		mk_file(fx, &ROOT, &d, "f", 0644, &f);
		a->e[2].id = 7;
		assert_int_equal(fx->ops->set_acl(fx->ex, &ROOT, &f, BACKEND_ACL_ACCESS, a),
				 -EINVAL);
	}
	free(a);
	free(b);
}

#define ACL_TESTS                                                                   \
	cmocka_unit_test(test_acl_roundtrip), cmocka_unit_test(test_acl_default_inherited), \
		cmocka_unit_test(test_acl_shape)

#endif
