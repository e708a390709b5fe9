/* Extended attributes and delegations (RFC 8276 with RFC 8881 10.4, 10.9):
 * a SETXATTR or REMOVEXATTR by another client recalls a delegation of the
 * file (NFS4ERR_DELAY until it is returned), and one of a directory whose
 * holder is not told of its attribute changes; the holder's own changes and
 * everyone's reads recall nothing. */
#include "proto/dirdeleg_fixture.h"

struct xd_setx {
	uint32_t option;
	const char *name, *value;
};

static void add_setxattr(struct nfs4c_call *m, const void *arg)
{
	const struct xd_setx *x = arg;
	struct nfs4_setxattr_args a = {x->option, nfs4_opaque_str(x->name),
				       nfs4_opaque_str(x->value)};
	NFS4C_OP(m, OP_SETXATTR, nfs4_enc_setxattr_args, &a);
}

static void add_removexattr(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_REMOVEXATTR, nfs4_enc_removexattr_args,
		 &(struct nfs4_removexattr_args){nfs4_opaque_str(arg)});
}

static void add_getxattr(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_GETXATTR, nfs4_enc_getxattr_args,
		 &(struct nfs4_getxattr_args){nfs4_opaque_str(arg)});
}

static void add_listxattrs(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	struct nfs4_listxattrs_args a = {0, 4096};
	NFS4C_OP(m, OP_LISTXATTRS, nfs4_enc_listxattrs_args, &a);
}

static uint32_t xd_set(struct nfs4c_sess *s, const struct dl_open *o, const char *name,
		       const char *value)
{
	struct xd_setx x = {SETXATTR4_EITHER, name, value};
	return dl_on(s, o->fh, o->fhlen, OP_SETXATTR, add_setxattr, &x);
}

/* Retries op on o's file while it answers NFS4ERR_DELAY, for up to 5 s. */
static uint32_t xd_until_done(struct nfs4c_sess *s, const struct dl_open *o, uint32_t opnum,
			      dl_op_fn add, const void *arg)
{
	uint64_t end = dl_now_ms() + 5000;
	uint32_t st;
	while ((st = dl_on(s, o->fh, o->fhlen, opnum, add, arg)) == NFS4ERR_DELAY &&
	       dl_now_ms() < end)
		usleep(20 * 1000);
	return st;
}

static void test_other_client_recalls(void **state)
{
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client_minor(&a, &sa, "xd-holder", 0, 2);
	dl_client_minor(&b, &sb, "xd-other", 0, 2);
	struct dl_open oa = dl_open(&a, "xd-file", OPEN4_SHARE_ACCESS_READ, true);
	assert_int_equal(oa.status, NFS4_OK);
	assert_int_equal(oa.deleg.type, OPEN_DELEGATE_READ);

	/* Reading and listing conflict with nothing. */
	assert_int_equal(dl_on(&b, oa.fh, oa.fhlen, OP_GETXATTR, add_getxattr, "none"),
			 NFS4ERR_NOXATTR);
	assert_int_equal(dl_on(&b, oa.fh, oa.fhlen, OP_LISTXATTRS, add_listxattrs, NULL),
			 NFS4_OK);
	usleep(200 * 1000);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);

	/* Another client's change waits for the delegation. */
	assert_int_equal(xd_set(&b, &oa, "k", "v"), NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &oa.deleg.stateid));
	assert_int_equal(dl_delegreturn(&a, &oa), NFS4_OK);
	struct xd_setx x = {SETXATTR4_EITHER, "k", "v"};
	assert_int_equal(xd_until_done(&b, &oa, OP_SETXATTR, add_setxattr, &x), NFS4_OK);

	/* REMOVEXATTR too. */
	struct dl_open o2 = dl_open(&a, "xd-file", OPEN4_SHARE_ACCESS_READ, false);
	assert_int_equal(o2.status, NFS4_OK);
	if (o2.deleg.type == OPEN_DELEGATE_READ) {
		assert_int_equal(dl_on(&b, o2.fh, o2.fhlen, OP_REMOVEXATTR, add_removexattr, "k"),
				 NFS4ERR_DELAY);
		assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 2, 5000));
		assert_int_equal(dl_delegreturn(&a, &o2), NFS4_OK);
	}
	assert_int_equal(xd_until_done(&b, &o2, OP_REMOVEXATTR, add_removexattr, "k"), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

static void test_holder_changes_keep_delegation(void **state)
{
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client_minor(&a, &sa, "xd-own", 0, 2);
	struct dl_open o = dl_open(&a, "xd-own-file", OPEN4_SHARE_ACCESS_BOTH |
					      OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG,
				   true);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_WRITE);
	assert_int_equal(xd_set(&a, &o, "mine", "1"), NFS4_OK);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_REMOVEXATTR, add_removexattr, "mine"),
			 NFS4_OK);
	usleep(200 * 1000);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	dl_client_end(&a, &sa);
}

/* A directory's own xattrs are its attributes: a holder that asked no
 * CHANGE_DIR_ATTRS notification is recalled. */
static void test_directory_delegation(void **state)
{
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client_minor(&a, &sa, "xd-dir-holder", 0, 2);
	dl_client_minor(&b, &sb, "xd-dir-other", 0, 2);
	struct dd_fh dir = dd_mkdir(&b, "xd-dir");
	struct nfs4_stateid sid = dd_grant(&a, &dir, 0);
	/* The holder's own change recalls nothing. */
	struct xd_setx mine = {SETXATTR4_EITHER, "own", "1"};
	assert_int_equal(dd_on(&a, &dir, OP_SETXATTR, add_setxattr, &mine), NFS4_OK);
	usleep(200 * 1000);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_RECALL), 0);
	struct xd_setx x = {SETXATTR4_EITHER, "tag", "v"};
	assert_int_equal(dd_on(&b, &dir, OP_SETXATTR, add_setxattr, &x), NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, 1, 5000));
	assert_int_equal(dd_return(&a, &dir, &sid), NFS4_OK);
	struct dl_open o = {.fhlen = dir.len};
	memcpy(o.fh, dir.fh, dir.len);
	assert_int_equal(xd_until_done(&b, &o, OP_SETXATTR, add_setxattr, &x), NFS4_OK);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_client_recalls),
		cmocka_unit_test(test_holder_changes_keep_delegation),
		cmocka_unit_test(test_directory_delegation),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
