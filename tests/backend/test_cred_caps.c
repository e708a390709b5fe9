/* A request thread acting for a user holds no capability (local back end):
 * what only a capability would allow is refused to a non-root caller
 * (chown to another uid, the setgid bit on a file of a group it is not in,
 * writing root's 0600 file, making a device node), and the thread's
 * effective capability set while it acts for the user is empty but for
 * CAP_SETUID and CAP_SETGID, which the switch to the next caller needs and
 * no file operation checks.  Acting for root (squash = none) it holds the
 * file-system capabilities too, never CAP_SYS_ADMIN, CAP_SYS_RESOURCE and
 * the like.  Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
/* The conformance suite's fixture; this program uses part of it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "backend_fixture.h"
#pragma GCC diagnostic pop

/* The calling thread's effective capabilities, one bit per capability. */
static uint64_t effective_now(void)
{
	cap_t c = cap_get_proc(); /* capget of the calling thread */
	assert_non_null(c);
	uint64_t bits = 0;
	for (cap_value_t v = 0; v <= CAP_LAST_CAP && v < 64; v++) {
		cap_flag_value_t f = CAP_CLEAR;
		assert_int_equal(cap_get_flag(c, v, CAP_EFFECTIVE, &f), 0);
		if (f == CAP_SET)
			bits |= 1ull << v;
	}
	cap_free(c);
	return bits;
}

#define BIT(cap) (1ull << (cap))
/* What a thread acting for a user may hold: the identity switch's two. */
#define SWITCH_CAPS (BIT(CAP_SETUID) | BIT(CAP_SETGID))

static void test_user_thread_holds_no_capability(void **state)
{
	struct fx *fx = *state;
	struct backend_handle dir, file, h;
	struct backend_attr a;

	test_dir(fx, &dir);
	mk_file(fx, &ROOT, &dir, "f", 0644, &file);
	/* A call for the user (a look-up: the handle's descriptor may be
	 * opened privileged on the way) leaves the thread acting for it. */
	assert_int_equal(fx->ops->lookup(fx->ex, &USER, &dir, "f", &h, &a), 0);
	assert_int_equal(effective_now(), SWITCH_CAPS);
	uint32_t granted = 0;
	assert_int_equal(fx->ops->access(fx->ex, &USER, &file, BACKEND_ACCESS_READ, &granted), 0);
	assert_int_equal(effective_now(), SWITCH_CAPS);
	/* From one user to another. */
	assert_int_equal(fx->ops->access(fx->ex, &OTHER, &file, BACKEND_ACCESS_READ, &granted), 0);
	assert_int_equal(effective_now(), SWITCH_CAPS);
	char buf[8];
	size_t got;
	bool eof;
	assert_int_equal(fx->ops->read(fx->ex, &OTHER, &file, 0, sizeof(buf), buf, &got, &eof), 0);
	assert_int_equal(effective_now(), SWITCH_CAPS);
}

static void test_user_cannot_do_what_a_capability_allows(void **state)
{
	struct fx *fx = *state;
	struct backend_handle dir, mine, roots, dev;
	struct backend_attr a;

	test_dir(fx, &dir);
	mk_file(fx, &USER, &dir, "mine", 0644, &mine);
	mk_file(fx, &ROOT, &dir, "roots", 0600, &roots);

	/* CAP_CHOWN: giving one's file to another uid. */
	struct backend_setattr sa = {.mask = BACKEND_SET_UID, .uid = OTHER.uid};
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &mine, &sa, &a), -EPERM);

	/* CAP_FSETID: the setgid bit on one's file of a group one is not in
	 * is dropped (as chmod(2) does for such a caller). */
	sa = (struct backend_setattr){.mask = BACKEND_SET_GID, .gid = 4242};
	assert_int_equal(fx->ops->setattr(fx->ex, &ROOT, &mine, &sa, &a), 0);
	sa = (struct backend_setattr){.mask = BACKEND_SET_MODE, .mode = 02755};
	assert_int_equal(fx->ops->setattr(fx->ex, &USER, &mine, &sa, &a), 0);
	assert_int_equal(attr_of(fx, &mine).mode & 07777, 0755);

	/* CAP_DAC_OVERRIDE: root's 0600 file. */
	size_t n;
	enum backend_stable st;
	assert_int_equal(fx->ops->write(fx->ex, &USER, &roots, 0, "x", 1, BACKEND_UNSTABLE, &n, &st),
			 -EACCES);

	/* CAP_MKNOD: a character device (here /dev/null's numbers). */
	struct backend_setattr dsa = mode_sa(0666);
	assert_int_equal(fx->ops->mknod(fx->ex, &USER, &dir, "null", BACKEND_CHR, 1, 3, &dsa, &dev,
					&a),
			 -EPERM);
	assert_int_equal(effective_now(), SWITCH_CAPS);
}

static void test_root_caller_holds_file_system_capabilities_only(void **state)
{
	struct fx *fx = *state;
	struct backend_handle dir, file;

	test_dir(fx, &dir);
	mk_file(fx, &ROOT, &dir, "f", 0600, &file);
	uint32_t granted = 0;
	assert_int_equal(fx->ops->access(fx->ex, &USER, &file, BACKEND_ACCESS_READ, &granted), 0);
	assert_int_equal(fx->ops->access(fx->ex, &ROOT, &file, BACKEND_ACCESS_READ, &granted), 0);
	uint64_t eff = effective_now();
	assert_true(eff & BIT(CAP_CHOWN));
	assert_true(eff & BIT(CAP_DAC_OVERRIDE));
	assert_true(eff & BIT(CAP_FOWNER));
	assert_false(eff & BIT(CAP_SYS_ADMIN));
	assert_false(eff & BIT(CAP_SYS_RESOURCE));
	assert_false(eff & BIT(CAP_NET_ADMIN));
	assert_false(eff & BIT(CAP_LEASE));
	/* And back to a user: the file-system ones go. */
	assert_int_equal(fx->ops->access(fx->ex, &USER, &file, BACKEND_ACCESS_READ, &granted), 0);
	assert_int_equal(effective_now(), SWITCH_CAPS);
	/* The server's own work afterwards gets everything back. */
	backend_local_restore_identity();
	assert_true(effective_now() & BIT(CAP_SYS_ADMIN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_thread_holds_no_capability, setup_local,
						teardown),
		cmocka_unit_test_setup_teardown(test_user_cannot_do_what_a_capability_allows,
						setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_root_caller_holds_file_system_capabilities_only,
						setup_local, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
