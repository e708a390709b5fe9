/* NLM on an export that wants Kerberos (`sec = krb5`), with a real KDC:
 * clients' lock managers call NLM with AUTH_SYS whatever the mount's
 * flavour (Linux's lockd always does), so NLM admits AUTH_SYS there, as
 * knfsd's lockd does, while NFSv3 itself refuses it.  The export's other
 * rules still hold: an unreserved source port is refused, and so is a
 * caller who may not read the file (secure_locks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs3_client.h"
#include "nlm/nlm_client.h"
#include "xdr/mount_codec.h"

static struct krb5_kdc kdc;
static struct ferryd_proc server;

static int setup(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0)
		return -1;
	char conf[1024];
	snprintf(conf, sizeof(conf), "sec = krb5\n[server]\nkeytab = %s\n", kdc.keytab);
	return ferryd_start_export(&server, conf);
}

static int teardown(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	krb5_kdc_stop(&kdc);
	return rc == 0 ? 0 : -1;
}

/* The export root's handle from MOUNT's MNT (MOUNT does not ask for the
 * export's flavour: it tells it). */
static void export_root(int fd, struct file *f)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 1024));
	struct mount_name p = {(const uint8_t *)"/export", 7};
	assert_true(mount_enc_dirpath(&e, &p));
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, next_xid++, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_MNT,
				      nfs4c_root_cred(), e.buf->data, e.buf->len, &r),
			 0);
	xdr_enc_release(&e);
	struct mount_mnt_res res;
	assert_true(mount_dec_mnt_res(&r.results, &res));
	assert_int_equal(res.status, MNT3_OK);
	assert_true(res.nflavors >= 1);
	assert_int_equal(res.flavors[0], 390003); /* RPC_AUTH_GSS_KRB5 */
	memset(f, 0, sizeof(*f));
	memcpy(f->fh, res.fh.data, res.fh.len);
	f->fhlen = res.fh.len;
	rpctest_reply_release(&r);
}

static void test_auth_sys_locks_on_krb5_export(void **state)
{
	(void)state;
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct file f;
	export_root(fd, &f);

	/* NFSv3 under AUTH_SYS: refused on this export. */
	union nfs3_args a = {.fh = {f.fh, f.fhlen}};
	struct nfs3c_res res;
	assert_int_equal(nfs3c_call(fd, nfs4c_root_cred(), NFSPROC3_GETATTR, &a, &res), 0);
	assert_int_equal(res.res.status, NFS3ERR_ACCES);
	nfs3c_release(&res);

	/* NLM under AUTH_SYS, from a reserved port: served. */
	struct nlm4_lock l = mk_lock("krb5host", 31, &f, 0, 10);
	struct nlm4_lock other = mk_lock("otherhost", 32, &f, 5, 1);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_GRANTED);
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_DENIED);
	assert_int_equal(nlm_unlock(fd, &l), NLM4_GRANTED);
	assert_int_equal(nlm_test(fd, &other, true, NULL, NULL), NLM4_GRANTED);

	/* The AUTH_SYS identity (root, squashed) must still be able to read
	 * what it locks. */
	char dir[400];
	ferryd_export_path(&server, "", dir, sizeof(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(nlm_lock(fd, &l, true, false), NLM4_FAILED);
	assert_int_equal(chmod(dir, 0777), 0);

	/* From an unreserved port the identity proves nothing: refused. */
	int un = rpctest_connect_unreserved(server.hostport);
	assert_true(un >= 0);
	assert_int_equal(nlm_lock(un, &l, true, false), NLM4_FAILED);
	close(un);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_sys_locks_on_krb5_export),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
