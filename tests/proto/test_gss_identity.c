/* RPCSEC_GSS context creation reads the keytab, krb5.conf and the replay
 * cache as ferryd itself, whatever user the thread last acted for.
 *
 * The local back end leaves a thread's file-system identity on the last
 * caller it served (switching back costs a system call), so an event loop
 * that just served alice (uid 1) would accept the next context as uid 1
 * and fail to read a keytab only root may read.  The realm's directory
 * (keytab, krb5.conf, replay cache) is 0700 root's, and ferryd runs one
 * event loop, so every call lands on the thread that served alice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"

static struct krb5_kdc kdc;
static struct ferryd_proc server;
static char ccache[320];

static int setup(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0 || !krb5_kdc_kinit(&kdc, "alice", ccache, sizeof(ccache)))
		return -1;
	struct stat st;
	if (stat(kdc.dir, &st) != 0 || (st.st_mode & 077) != 0 || st.st_uid != 0) {
		fprintf(stderr, "the realm's directory must be root's, 0700, for this test\n");
		return -1;
	}
	char conf[1024];
	snprintf(conf, sizeof(conf), "sec = krb5\n[server]\nkeytab = %s\nevent_loops = 1\n",
		 kdc.keytab);
	return ferryd_start_export(&server, conf);
}

static int teardown(void **state)
{
	(void)state;
	ferryd_stop(&server);
	krb5_kdc_stop(&kdc);
	return 0;
}

static void test_new_context_after_serving_a_user(void **state)
{
	(void)state;
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g = nfs4c_gss_login(fd, NULL, ccache, NULL, RPC_GSS_SVC_NONE);
	/* alice looks for names in the export: back-end lookups, inline on
	 * the one loop, as uid 1 (a miss is as good as a hit). */
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 4242, "gss-identity", NULL);
	for (int i = 0; i < 3; i++) {
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&s, &m, 0, false);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_lookup(&m, "not-there");
		nfs4c_send(fd, s.cred, &m, &p);
		assert_int_equal(p.status, NFS4ERR_NOENT);
		nfs4c_done(&p);
	}
	/* A new context, on the same loop. */
	int fd2 = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g2 = nfs4c_gss_login(fd2, NULL, ccache, NULL, RPC_GSS_SVC_NONE);
	nfs4c_gss_detach(fd2);
	nfs4c_close(fd2);
	rpc_gss_client_free(g2);
	nfs4c_gss_detach(fd);
	nfs4c_close(fd);
	rpc_gss_client_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_context_after_serving_a_user),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
