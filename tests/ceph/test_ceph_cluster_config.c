/* Three clustered heads whose exports are the cluster's configuration in
 * RADOS ([cluster] config = rados; each head's file holds only [cluster]
 * and what the fixture passes on the command line):
 *   - they start with the exports and [nfs] of object "config";
 *   - `ferryctl export add` through one head: every head serves the new
 *     export within 2 s;
 *   - malformed edits (an unknown key, a bad value, a pseudo path taken,
 *     a directory CephFS does not have) are refused with their reason
 *     and nothing is written;
 *   - an object no head can parse, written to RADOS directly: each keeps
 *     serving its last good configuration and says so in
 *     ferry_cluster_config_ok and ferry_cluster_config_errors_total;
 *   - `ferryctl export remove`: no head serves it any more, and a handle
 *     of it is stale.
 *
 * Needs a cluster (FERRY_TEST_CEPH_CONF, FERRY_TEST_CEPH_ID) with a pool
 * named ferry; skipped (exit 77) without one. */
#include "ceph/ceph_fixture.h"

#include <errno.h>
#include <jansson.h>
#include <rados/librados.h>

#include "lib/ctl_test.h"

enum { HEADS = 3, SERVED_WITHIN_MS = 2000 };

static struct ferryd_proc heads[HEADS];
static char ns[96], base_dir[128];
static rados_t cluster;
static rados_ioctx_t io;

/* The text of an export of CephFS directory sub of the test's own. */
static void export_text(char *out, size_t len, const char *name, const char *sub,
			const char *pseudo)
{
	snprintf(out, len,
		 "[export %s]\nbackend = ceph\npath = %s/%s\npseudo = %s\nceph_conf = %s\n"
		 "ceph_id = %s\nsquash = none\n",
		 name, base_dir, sub, pseudo, ceph_conf, ceph_id);
}

/* The object written as an administrator with the rados tool would, and
 * the heads told (rados notify). */
static void object_put(const char *text)
{
	assert_int_equal(rados_write_full(io, "config", text, strlen(text)), 0);
	char *reply = NULL;
	size_t rlen = 0;
	assert_int_equal(rados_notify2(io, "config", "", 0, 5000, &reply, &rlen), 0);
	rados_buffer_free(reply);
}

static uint64_t object_version(void)
{
	rados_read_op_t op = rados_create_read_op();
	uint64_t size = 0;
	int prval = 0;
	rados_read_op_stat(op, &size, NULL, &prval);
	assert_int_equal(rados_read_op_operate(op, io, "config", 0), 0);
	uint64_t v = rados_get_last_version(io);
	rados_release_read_op(op);
	return v;
}

static int setup(void **st)
{
	(void)st;
	struct ceph_mount_info *cm = other_client();
	snprintf(base_dir, sizeof(base_dir), "/ferry-config-%ld-%ld", (long)getpid(),
		 (long)time(NULL));
	int rc = ceph_mkdir(cm, base_dir, 0777);
	char sub[200];
	for (const char *const *s = (const char *const[]){"one", "two", NULL}; rc == 0 && *s; s++) {
		snprintf(sub, sizeof(sub), "%s/%s", base_dir, *s);
		rc = ceph_mkdir(cm, sub, 0777);
		if (rc == 0)
			rc = ceph_chmod(cm, sub, 0777);
	}
	ceph_shutdown(cm);
	if (rc)
		return -1;
	/* A namespace of this run's: a cluster of these heads alone. */
	snprintf(ns, sizeof(ns), "config-%ld-%ld", (long)getpid(), (long)time(NULL));
	if (rados_create(&cluster, ceph_id) != 0 || rados_conf_read_file(cluster, ceph_conf) != 0 ||
	    rados_connect(cluster) != 0 || rados_ioctx_create(cluster, "ferry", &io) != 0)
		return -1;
	rados_ioctx_set_namespace(io, ns);
	char text[2048], one[1024];
	export_text(one, sizeof(one), "one", "one", "/one");
	snprintf(text, sizeof(text), "; written by the test\n[nfs]\nlease_time = 10\ngrace_time = 4\n\n%s",
		 one);
	if (rados_write_full(io, "config", text, strlen(text)) != 0)
		return -1;

	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-config-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	for (int h = 0; h < HEADS; h++) {
		char conf[400], state[400];
		snprintf(conf, sizeof(conf), "%s/head-%c.conf", dl_dir, 'a' + h);
		snprintf(state, sizeof(state), "%s/state-%c", dl_dir, 'a' + h);
		FILE *f = fopen(conf, "w");
		if (!f)
			return -1;
		fprintf(f,
			"[cluster]\nnode = %c\nrados_conf = %s\nrados_id = %s\nrados_namespace = %s\n"
			"config = rados\n",
			'a' + h, ceph_conf, ceph_id, ns);
		fclose(f);
		const char *args[] = {"--config", conf, "--state-dir", state, NULL};
		if (ferryd_start(&heads[h], args) != 0)
			return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	int rc = 0;
	for (int h = 0; h < HEADS; h++)
		if (heads[h].pid > 0)
			rc |= ferryd_stop(&heads[h]);
	rados_remove(io, "config");
	rados_remove(io, "grace");
	for (int h = 0; h < HEADS; h++) {
		char oid[32];
		snprintf(oid, sizeof(oid), "rec-%c", 'a' + h);
		rados_remove(io, oid);
	}
	rados_ioctx_destroy(io);
	rados_shutdown(cluster);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dl_dir);
	if (system(cmd) != 0)
		rc = -1;
	return rc ? -1 : 0;
}

/* PUTROOTFH, LOOKUP name (and GETFH into fh when asked): LOOKUP's status. */
static uint32_t lookup_root(struct nfs4c_sess *s, const char *name, uint8_t *fh, uint32_t *fhlen)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, name);
	if (fh)
		nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_LOOKUP);
	if (st == NFS4_OK && fh) {
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(fh, g.fh.data, g.fh.len);
		*fhlen = g.fh.len;
	}
	nfs4c_done(&p);
	return st;
}

/* PUTFH fh: its status. */
static uint32_t putfh_status(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_PUTFH);
	nfs4c_done(&p);
	return st;
}

/* ferryctl, asking head h, with args: its exit status, and what it
 * printed on stderr in err. */
static int ferryctl(int h, const char *args, char *err, size_t errlen)
{
	char errfile[400], cmd[2048];
	snprintf(errfile, sizeof(errfile), "%s/ferryctl.err", dl_dir);
	snprintf(cmd, sizeof(cmd), "%s --state-dir %s/state-%c %s >/dev/null 2>%s", FERRYCTL_PATH,
		 dl_dir, 'a' + h, args, errfile);
	int status = system(cmd);
	FILE *f = fopen(errfile, "r");
	size_t got = f ? fread(err, 1, errlen - 1, f) : 0;
	err[got] = '\0';
	if (f)
		fclose(f);
	if (got)
		printf("ferryctl %s: %s", args, err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static double metric(int h, const char *series)
{
	char *page = ctlt_scrape(&heads[h]);
	double v = ctlt_metric(page, series);
	free(page);
	return v;
}

static struct nfs4c_sess sess[HEADS];

static void clients_up(void)
{
	for (int h = 0; h < HEADS; h++) {
		if (sess[h].fd > 0)
			continue;
		char name[32];
		snprintf(name, sizeof(name), "config-client-%c", 'a' + h);
		nfs4c_session_up(&sess[h], nfs4c_connect(heads[h].hostport), 0, name, NULL);
	}
}

/* The heads start with the object's export (and its [nfs]). */
static void test_started_from_rados(void **state)
{
	clients_up();
	for (int h = 0; h < HEADS; h++) {
		assert_int_equal(lookup_root(&sess[h], "one", NULL, NULL), NFS4_OK);
		assert_int_equal(lookup_root(&sess[h], "two", NULL, NULL), NFS4ERR_NOENT);
		assert_true(metric(h, "ferry_cluster_config_ok") == 1);
		assert_true(metric(h, "ferry_cluster_config_version") == (double)object_version());
	}
	char *page = ctlt_scrape(&heads[0]);
	assert_true(ctlt_promtool_ok(page));
	assert_true(ctlt_metric(page, "ferry_cluster_config_applied_total") == 1);
	assert_true(ctlt_metric(page, "ferry_cluster_config_errors_total") == 0);
	free(page);
}

/* An export added through head a is served by every head within 2 s. */
static void test_add_served_by_all(void **state)
{
	clients_up();
	char args[1024], err[2048];
	snprintf(args, sizeof(args),
		 "export add two backend=ceph path=%s/two pseudo=/two ceph_conf=%s ceph_id=%s "
		 "squash=none",
		 base_dir, ceph_conf, ceph_id);
	uint64_t t0 = dl_now_ms();
	assert_int_equal(ferryctl(0, args, err, sizeof(err)), 0);
	uint64_t added = dl_now_ms() - t0;
	uint64_t served[HEADS];
	for (int h = 0; h < HEADS; h++) {
		while (lookup_root(&sess[h], "two", NULL, NULL) != NFS4_OK &&
		       dl_now_ms() - t0 < 10 * SERVED_WITHIN_MS)
			usleep(20 * 1000);
		served[h] = dl_now_ms() - t0;
	}
	printf("export add: ferryctl returned after %llu ms; served by head a at %llu ms, b at "
	       "%llu ms, c at %llu ms\n",
	       (unsigned long long)added, (unsigned long long)served[0],
	       (unsigned long long)served[1], (unsigned long long)served[2]);
	for (int h = 0; h < HEADS; h++) {
		assert_int_equal(lookup_root(&sess[h], "two", NULL, NULL), NFS4_OK);
		assert_true(served[h] < SERVED_WITHIN_MS);
		assert_int_equal(lookup_root(&sess[h], "one", NULL, NULL), NFS4_OK);
	}
	/* ferryctl export show prints the text. */
	snprintf(args, sizeof(args), "%s --state-dir %s/state-b export show", FERRYCTL_PATH,
		 dl_dir);
	FILE *p = popen(args, "r");
	assert_non_null(p);
	char out[8192];
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "; written by the test"));
	assert_non_null(strstr(out, "[export two]\nbackend = ceph\n"));
}

/* Each malformed edit: refused with its reason, the object unchanged. */
static void test_malformed_edits_refused(void **state)
{
	uint64_t before = object_version();
	char args[1024], err[2048];
	static const struct {
		const char *args, *reason;
	} bad[] = {
		{"export add three path=/x bogus=1", "bogus"},
		{"export set two access=sideways", "access"},
		{"export add three backend=ceph path=%s/two pseudo=/one ceph_conf=%s ceph_id=%s",
		 "share pseudo path /one"},
		{"export add three backend=ceph path=%s/missing pseudo=/three ceph_conf=%s ceph_id=%s",
		 "cannot open"},
		{"export add three backend=ceph path=%s/two pseudo=/one/inner ceph_conf=%s "
		 "ceph_id=%s",
		 "nested"},
		{"export set nosuch access=ro", "no export nosuch"},
		{"export remove nosuch", "no export nosuch"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), bad[i].args, base_dir, ceph_conf, ceph_id);
		assert_int_equal(ferryctl(1, args, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "HTTP 400"));
		assert_non_null(strstr(err, bad[i].reason));
	}
	assert_true(object_version() == before);
	/* The API says the same to a client of its own. */
	struct ctl_http_reply r;
	ctlt_request(&heads[2], "POST", "/api/v1/cluster/config/exports", true,
		     "{\"name\": \"x\", \"options\": {\"path\": \"/x\", \"squash\": \"most\"}}", &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "squash"));
	ctl_http_reply_free(&r);
	assert_true(object_version() == before);
}

/* An object no head can parse: every head keeps what it serves and says
 * so; put right, it is applied again. */
static void test_unparsable_object_kept_last_good(void **state)
{
	clients_up();
	char *good = NULL;
	struct ctl_http_reply r;
	ctlt_request(&heads[0], "GET", "/api/v1/cluster/config", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	good = strdup(json_string_value(json_object_get(j, "text")));
	json_decref(j);
	ctl_http_reply_free(&r);
	double errors[HEADS];
	for (int h = 0; h < HEADS; h++)
		errors[h] = metric(h, "ferry_cluster_config_errors_total");

	object_put("[export two\npath = nowhere\n");
	uint64_t bad = object_version();
	for (int h = 0; h < HEADS; h++) {
		uint64_t t0 = dl_now_ms();
		while (metric(h, "ferry_cluster_config_ok") != 0 && dl_now_ms() - t0 < 5000)
			usleep(20 * 1000);
		assert_true(metric(h, "ferry_cluster_config_ok") == 0);
		assert_true(metric(h, "ferry_cluster_config_errors_total") > errors[h]);
		assert_true(metric(h, "ferry_cluster_config_version") != (double)bad);
		assert_int_equal(lookup_root(&sess[h], "one", NULL, NULL), NFS4_OK);
		assert_int_equal(lookup_root(&sess[h], "two", NULL, NULL), NFS4_OK);
	}
	/* An edit through the control plane is checked on the whole text:
	 * refused while the object is broken. */
	char err[2048];
	assert_int_equal(ferryctl(0, "export add three path=/x", err, sizeof(err)), 1);
	assert_non_null(strstr(err, "line 1: syntax error"));
	assert_true(object_version() == bad);

	object_put(good);
	free(good);
	uint64_t fixed = object_version();
	for (int h = 0; h < HEADS; h++) {
		uint64_t t0 = dl_now_ms();
		while (metric(h, "ferry_cluster_config_version") != (double)fixed &&
		       dl_now_ms() - t0 < 5000)
			usleep(20 * 1000);
		assert_true(metric(h, "ferry_cluster_config_ok") == 1);
		assert_true(metric(h, "ferry_cluster_config_version") == (double)fixed);
	}
}

/* Removed through head c: no head serves it, and its handles are stale. */
static void test_remove(void **state)
{
	clients_up();
	uint8_t fh[HEADS][NFS4_FHSIZE];
	uint32_t fhlen[HEADS];
	for (int h = 0; h < HEADS; h++)
		assert_int_equal(lookup_root(&sess[h], "two", fh[h], &fhlen[h]), NFS4_OK);
	char err[2048];
	uint64_t t0 = dl_now_ms();
	assert_int_equal(ferryctl(2, "export remove two", err, sizeof(err)), 0);
	for (int h = 0; h < HEADS; h++) {
		while (putfh_status(&sess[h], fh[h], fhlen[h]) == NFS4_OK &&
		       dl_now_ms() - t0 < 10 * SERVED_WITHIN_MS)
			usleep(20 * 1000);
		printf("export remove: head %c stale at %llu ms\n", 'a' + h,
		       (unsigned long long)(dl_now_ms() - t0));
		assert_int_equal(putfh_status(&sess[h], fh[h], fhlen[h]), NFS4ERR_STALE);
		assert_int_equal(lookup_root(&sess[h], "two", NULL, NULL), NFS4ERR_NOENT);
		assert_int_equal(lookup_root(&sess[h], "one", NULL, NULL), NFS4_OK);
	}
	for (int h = 0; h < HEADS; h++)
		nfs4c_close(sess[h].fd);
}

int main(void)
{
	if (!ceph_env("ceph_test_ceph_cluster_config"))
		return SKIP;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_started_from_rados),
		cmocka_unit_test(test_add_served_by_all),
		cmocka_unit_test(test_malformed_edits_refused),
		cmocka_unit_test(test_unparsable_object_kept_last_good),
		cmocka_unit_test(test_remove),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
