/* Kerberos contexts across an in-place upgrade: a client with an
 * RPCSEC_GSS context (krb5i on one connection, krb5p on another, one
 * context) goes on with it after `POST /api/v1/upgrade`, on the same
 * connections, with the next sequence numbers: no RPCSEC_GSS_CREDPROBLEM,
 * no new context made by the new ferryd, through two upgrades; the
 * context destroyed afterwards is gone.  The same for a context whose
 * per-message work stays with MIT's GSS-API (a camellia enctype). */
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
static struct ferryd_proc server;
static char dir[256], conf_path[300], data_path[300];

static int realm_up(void **state)
{
	(void)state;
	if (krb5_kdc_start(&kdc) != 0)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-gss-upgrade-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/ferryd.conf", dir);
	snprintf(data_path, sizeof(data_path), "%s/data", dir);
	FILE *f = fopen(conf_path, "w");
	if (!f)
		return -1;
	fprintf(f, "[server]\nkeytab = %s\n[export data]\npath = %s\npseudo = /data\nsec = krb5:sys\n",
		kdc.keytab, data_path);
	if (fclose(f) != 0)
		return -1;
	const char *args[] = {"--config", conf_path, NULL};
	return ferryd_start(&server, args);
}

static int realm_down(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	unlink(conf_path);
	rmdir(data_path);
	rmdir(dir);
	krb5_kdc_stop(&kdc);
	return rc;
}

/* GET /api/v1/gss's count of contexts made by this ferryd, and of those
 * alive now. */
static void gss_counts(json_int_t *created, json_int_t *alive)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/gss", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	*created = json_integer_value(json_object_get(j, "created"));
	*alive = json_integer_value(json_object_get(j, "contexts"));
	json_decref(j);
	ctl_http_reply_free(&r);
}

/* A lone SEQUENCE on slot 0: the call's result (0, or the negative errno
 * of a call refused or not verified) and SEQUENCE's status. */
static int sequence(struct nfs4c_sess *s, uint32_t *status)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	int rc = nfs4c_call(s->fd, NULL, &m, &p);
	if (rc == 0) {
		*status = nfs4c_seq_result(&p, NULL);
		nfs4c_done(&p);
	}
	return rc;
}

static void test_contexts_carried(void **state)
{
	(void)state;
	json_int_t created, alive;
	int fd = nfs4c_connect(server.hostport);
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "alice");
	assert_non_null(g);
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_INTEGRITY), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 4242, "gss-upgrade-alice", NULL);
	nfs4c_ping(&s);
	/* The same context sealing everything on a second connection. */
	int pfd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_gss_attach(pfd, g, RPC_GSS_SVC_PRIVACY), 0);
	uint32_t got;
	assert_int_equal(nfs4c_bind_conn(pfd, NULL, s.sid, CDFC4_FORE, &got), NFS4_OK);
	gss_counts(&created, &alive);
	assert_int_equal(created, 1);

	ctlt_upgrade(&server);
	uint32_t st = 0;
	assert_int_equal(sequence(&s, &st), 0);
	assert_int_equal(st, NFS4_OK);
	struct nfs4c_sess sp = s;
	sp.fd = pfd;
	assert_int_equal(sequence(&sp, &st), 0);
	assert_int_equal(st, NFS4_OK);
	s.seq[0] = sp.seq[0];
	gss_counts(&created, &alive);
	assert_int_equal(created, 0); /* the new ferryd made none */
	assert_int_equal(alive, 1);

	/* And again, through a second upgrade. */
	ctlt_upgrade(&server);
	assert_int_equal(sequence(&s, &st), 0);
	assert_int_equal(st, NFS4_OK);

	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&s), NFS4_OK);
	nfs4c_gss_detach(pfd);
	nfs4c_close(pfd);
	assert_int_equal(nfs4c_gss_destroy(fd), 0);
	rpc_gss_client_free(g);
	nfs4c_close(fd);
	gss_counts(&created, &alive);
	assert_int_equal(alive, 0);
}

/* The first context GET /api/v1/gss lists: whose per-message work it is
 * ("openssl" or "gssapi") and its enctype. */
static void gss_first_crypto(char *crypto, size_t cap)
{
	struct ctl_http_reply r;
	ctlt_request(&server, "GET", "/api/v1/gss", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	json_t *first = json_array_get(json_object_get(j, "list"), 0);
	assert_non_null(first);
	snprintf(crypto, cap, "%s", json_string_value(json_object_get(first, "crypto")));
	json_decref(j);
	ctl_http_reply_free(&r);
}

/* A context on an enctype ferryd leaves to MIT's GSS-API
 * (camellia256-cts-cmac: the client's krb5.conf permits no other) goes
 * over as MIT's interprocess token: the client goes on with it, krb5p,
 * through two upgrades, and the new ferryd made none. */
static void test_mit_context_carried(void **state)
{
	(void)state;
	char camellia_conf[400];
	snprintf(camellia_conf, sizeof(camellia_conf), "%s/krb5-camellia.conf", dir);
	FILE *in = fopen(kdc.krb5_conf, "r"), *out = fopen(camellia_conf, "w");
	assert_non_null(in);
	assert_non_null(out);
	char line[512];
	while (fgets(line, sizeof(line), in)) {
		fputs(line, out);
		if (strncmp(line, "[libdefaults]", 13) == 0)
			fputs("\tpermitted_enctypes = camellia256-cts-cmac\n", out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
	/* The client's tickets and context are made under that file; ferryd,
	 * started before, keeps the realm's. */
	char *saved = strdup(getenv("KRB5_CONFIG"));
	assert_non_null(saved);
	setenv("KRB5_CONFIG", camellia_conf, 1);
	struct rpc_gss_client *g = krb5_kdc_initiator(&kdc, "bob");
	assert_non_null(g);
	int fd = nfs4c_connect(server.hostport);
	assert_int_equal(nfs4c_gss_attach(fd, g, RPC_GSS_SVC_PRIVACY), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 4243, "gss-upgrade-bob", NULL);
	nfs4c_ping(&s);
	setenv("KRB5_CONFIG", saved, 1);
	free(saved);

	json_int_t created, alive;
	char crypto[32];
	gss_first_crypto(crypto, sizeof(crypto));
	assert_string_equal(crypto, "gssapi");
	gss_counts(&created, &alive);
	assert_int_equal(alive, 1);

	for (int i = 0; i < 2; i++) {
		ctlt_upgrade(&server);
		uint32_t st = 0;
		assert_int_equal(sequence(&s, &st), 0);
		assert_int_equal(st, NFS4_OK);
		gss_counts(&created, &alive);
		assert_int_equal(created, 0);
		assert_int_equal(alive, 1);
		gss_first_crypto(crypto, sizeof(crypto));
		assert_string_equal(crypto, "gssapi");
	}
	assert_int_equal(nfs4c_destroy_session(&s), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&s), NFS4_OK);
	assert_int_equal(nfs4c_gss_destroy(fd), 0);
	rpc_gss_client_free(g);
	nfs4c_close(fd);
	unlink(camellia_conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contexts_carried),
		cmocka_unit_test(test_mit_context_carried),
	};
	return cmocka_run_group_tests(tests, realm_up, realm_down);
}
