/* Delegations recalled for changes made on the server host that break no
 * kernel lease: a process on the host changes the mode of, renames or
 * unlinks a delegated file, and the holder gets CB_RECALL (after the fact:
 * the host operation is not held back).  The holder's own operations
 * through the server recall nothing. */

#include "proto/deleg_fixture.h"

enum { RD = OPEN4_SHARE_ACCESS_READ, BOTH = OPEN4_SHARE_ACCESS_BOTH };

/* The host path of name in the export. */
static void host_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/export/%s", dl_dir, name);
}

/* SETATTR mode 0600 (no stateid). */
static void add_chmod(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const uint8_t mode[4] = {0, 0, 0x01, 0x80};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* a holds a delegation of name; the test process (not ferryd) changes it
 * on the host with change; a gets CB_RECALL for that delegation. */
static void host_case(struct nfs4c_sess *a, struct nfs4c_cb *sa, const char *name,
		      uint32_t access, int (*change)(const char *path, const char *name))
{
	char path[400];
	host_path(path, sizeof(path), name);
	struct dl_open o = dl_open(a, name, access, true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, access == RD ? OPEN_DELEGATE_READ : OPEN_DELEGATE_WRITE);
	unsigned before = nfs4c_cb_count(sa, OP_CB_RECALL);
	assert_int_equal(change(path, name), 0);
	assert_true(nfs4c_cb_wait(sa, OP_CB_RECALL, before + 1, 5000));
	assert_true(nfs4c_cb_recalled(sa, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn(a, &o), NFS4_OK);
}

static int host_chmod(const char *path, const char *name)
{
	(void)name;
	return chmod(path, 0600);
}

static int host_rename(const char *path, const char *name)
{
	char to[400];
	host_path(to, sizeof(to), name);
	strcat(to, "-renamed");
	return rename(path, to);
}

static int host_unlink(const char *path, const char *name)
{
	(void)name;
	return unlink(path);
}

static int host_link(const char *path, const char *name)
{
	char to[400];
	host_path(to, sizeof(to), name);
	strcat(to, "-linked");
	return link(path, to);
}

static void test_host_changes_recall(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-host-a", 940);
	host_case(&a, &sa, "h-chmod", RD, host_chmod);
	host_case(&a, &sa, "h-chmod-w", BOTH, host_chmod);
	host_case(&a, &sa, "h-rename", RD, host_rename);
	host_case(&a, &sa, "h-unlink", BOTH, host_unlink);
	host_case(&a, &sa, "h-link", RD, host_link);
	dl_client_end(&a, &sa);
}

/* The holder's own SETATTR through the server, which the delegation layer
 * lets through, recalls nothing, however long one waits; a host change
 * right after it does. */
static void test_own_setattr_no_recall(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "dl-host-own", 941);
	struct dl_open o = dl_open(&a, "h-own", BOTH, true);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	unsigned n = nfs4c_cb_count(&sa, OP_CB_RECALL);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_SETATTR, add_chmod, NULL), NFS4_OK);
	assert_false(nfs4c_cb_wait(&sa, OP_CB_RECALL, n + 1, 1000));
	char path[400];
	host_path(path, sizeof(path), "h-own");
	assert_int_equal(chmod(path, 0644), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, n + 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &o.deleg.stateid));
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	/* Returned: the lease and its watch are gone, nothing more comes. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_false(nfs4c_cb_wait(&sa, OP_CB_RECALL, n + 2, 500));
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_changes_recall),
		cmocka_unit_test(test_own_setattr_no_recall),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
