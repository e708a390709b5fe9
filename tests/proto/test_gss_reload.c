/* Kerberos added by a reload: a ferryd started with no export listing a
 * krb5 flavour serves no RPCSEC_GSS; once its configuration gives an
 * export `sec = krb5:sys` and the exports are reloaded (control plane or
 * SIGHUP), it reads its keytab and serves Kerberos at once, to new
 * connections and the old ones, with no restart.  A reload whose keytab
 * cannot be read changes nothing and says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"

static struct krb5_kdc kdc;
static char dir[256], conf_path[300], data_path[300];

static int realm_up(void **state)
{
	(void)state;
	return krb5_kdc_start(&kdc);
}

static int realm_down(void **state)
{
	(void)state;
	krb5_kdc_stop(&kdc);
	return 0;
}

/* The configuration: the keytab, and one export with its sec line. */
static void write_conf(const char *keytab, const char *sec_line)
{
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fprintf(f, "[server]\nkeytab = %s\n[export data]\npath = %s\npseudo = /data\n%s\n", keytab,
		data_path, sec_line);
	assert_int_equal(fclose(f), 0);
}

static void start(struct ferryd_proc *p, const char *keytab)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-gss-reload-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(conf_path, sizeof(conf_path), "%s/ferryd.conf", dir);
	snprintf(data_path, sizeof(data_path), "%s/data", dir);
	write_conf(keytab, "");
	const char *args[] = {"--config", conf_path, NULL};
	assert_int_equal(ferryd_start(p, args), 0);
}

static void stop(struct ferryd_proc *p)
{
	assert_int_equal(ferryd_stop(p), 0);
	unlink(conf_path);
	rmdir(data_path);
	rmdir(dir);
}

static unsigned reload(struct ferryd_proc *p, char *msg, size_t msglen)
{
	struct ctl_http_reply r;
	ctlt_request(p, "POST", "/api/v1/exports/reload", true, "{}", &r);
	unsigned status = r.status;
	snprintf(msg, msglen, "%s", r.body ? r.body : "");
	ctl_http_reply_free(&r);
	return status;
}

/* Whether GET /api/v1/gss says Kerberos is served. */
static bool gss_enabled(struct ferryd_proc *p)
{
	struct ctl_http_reply r;
	ctlt_request(p, "GET", "/api/v1/gss", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	bool on = json_is_true(json_object_get(j, "enabled"));
	json_decref(j);
	ctl_http_reply_free(&r);
	return on;
}

static struct rpc_gss_client *alice(void)
{
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "alice");
	assert_non_null(g);
	return g;
}

static void test_reload_adds_kerberos(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, kdc.keytab);
	assert_false(gss_enabled(&p));

	/* Before: no RPCSEC_GSS at all (the context is refused). */
	int fd = nfs4c_connect(p.hostport);
	struct rpc_gss_client *g = alice();
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_INTEGRITY), -EACCES);
	nfs4c_gss_detach(fd);
	rpc_gss_client_free(g);
	/* ... while AUTH_SYS works on the same connection, before and after. */
	struct nfs4c_sess sys;
	nfs4c_session_up(&sys, fd, 0, "gss-reload-sys", NULL);

	char msg[1024];
	write_conf(kdc.keytab, "sec = krb5:sys");
	assert_int_equal(reload(&p, msg, sizeof(msg)), 200);
	assert_true(gss_enabled(&p));

	/* A new connection under krb5i: a whole session as alice. */
	int gfd = nfs4c_connect(p.hostport);
	g = alice();
	assert_int_equal(nfs4c_gss_attach(gfd, g, RPC_GSS_SVC_INTEGRITY), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, gfd, 4242, "gss-reload-alice", NULL);
	nfs4c_ping(&s);
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&s), NFS4_OK);
	assert_int_equal(nfs4c_gss_destroy(gfd), 0);
	rpc_gss_client_free(g);
	nfs4c_close(gfd);

	/* The old connection can make a context now too. */
	g = alice();
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_PRIVACY), 0);
	assert_int_equal(nfs4c_gss_destroy(fd), 0);
	rpc_gss_client_free(g);
	nfs4c_ping(&sys);
	nfs4c_close(fd);
	stop(&p);
}

/* A keytab that cannot be read: the reload is refused whole, with the
 * reason, and the export keeps AUTH_SYS only. */
static void test_reload_bad_keytab(void **state)
{
	(void)state;
	struct ferryd_proc p;
	start(&p, "/nonexistent/ferry-test.keytab");
	char msg[1024];
	write_conf("/nonexistent/ferry-test.keytab", "sec = krb5:sys");
	assert_int_equal(reload(&p, msg, sizeof(msg)), 409);
	assert_non_null(strstr(msg, "keytab"));
	assert_false(gss_enabled(&p));

	int fd = nfs4c_connect(p.hostport);
	struct rpc_gss_client *g = alice();
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_NONE), -EACCES);
	nfs4c_gss_detach(fd);
	rpc_gss_client_free(g);
	nfs4c_close(fd);
	stop(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_adds_kerberos),
		cmocka_unit_test(test_reload_bad_keytab),
	};
	return cmocka_run_group_tests(tests, realm_up, realm_down);
}
