/* Reloading the exports (control plane and SIGHUP) changes their options
 * for clients already connected, whose sessions go on; a reload the
 * server cannot apply whole changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static char conf_path[300], data_path[300];

static void write_conf(const char *export_body, const char *extra)
{
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fprintf(f, "[export data]\npath = %s\npseudo = /data\n%s\n%s", data_path, export_body,
		extra ? extra : "");
	assert_int_equal(fclose(f), 0);
}

/* REMOVE of a name that does not exist in /data: NFS4ERR_ROFS on a
 * read-only export (checked first), NFS4ERR_NOENT on a writable one. */
static uint32_t remove_status(struct nfs4c_sess *s)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "data");
	nfs4c_op(&m, OP_REMOVE);
	nfs4c_str(&m, "no-such-file");
	nfs4c_send(s->fd, s->cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&r, OP_REMOVE);
	nfs4c_done(&r);
	return st;
}

static const char *export_access(struct ferryd_proc *p)
{
	static char access[8];
	struct ctl_http_reply r;
	ctlt_request(p, "GET", "/api/v1/exports", false, NULL, &r);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, NULL);
	snprintf(access, sizeof(access), "%s",
		 json_string_value(json_object_get(json_array_get(j, 0), "access")));
	json_decref(j);
	ctl_http_reply_free(&r);
	return access;
}

static unsigned reload(struct ferryd_proc *p, char *msg, size_t msglen)
{
	struct ctl_http_reply r;
	ctlt_request(p, "POST", "/api/v1/exports/reload", true, "{}", &r);
	unsigned status = r.status;
	snprintf(msg, msglen, "%s", r.body);
	ctl_http_reply_free(&r);
	return status;
}

static void test_reload(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/ferry-reload-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(conf_path, sizeof(conf_path), "%s/ferryd.conf", dir);
	snprintf(data_path, sizeof(data_path), "%s/data", dir);
	write_conf("access = rw", NULL);
	struct ferryd_proc p;
	const char *args[] = {"--config", conf_path, NULL};
	assert_int_equal(ferryd_start(&p, args), 0);

	int fd = nfs4c_connect(p.hostport);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, fd, 0, "reload-client", NULL);
	assert_int_equal(remove_status(&s), NFS4ERR_NOENT);

	char msg[1024];
	write_conf("access = ro", NULL);
	assert_int_equal(reload(&p, msg, sizeof(msg)), 200);
	assert_string_equal(export_access(&p), "ro");
	assert_int_equal(remove_status(&s), NFS4ERR_ROFS);

	/* All or nothing: a bad client entry next to a good change. */
	write_conf("access = rw\nclients = 127.0.0.1, 10.0.0.0/33", NULL);
	assert_int_equal(reload(&p, msg, sizeof(msg)), 409);
	assert_non_null(strstr(msg, "10.0.0.0/33"));
	assert_string_equal(export_access(&p), "ro");
	/* An export added whose directory cannot be opened: nothing changes. */
	char more[700];
	snprintf(more, sizeof(more), "[export more]\npath = %s/missing\npseudo = /more\n", dir);
	write_conf("access = rw", more);
	assert_int_equal(reload(&p, msg, sizeof(msg)), 409);
	assert_non_null(strstr(msg, "cannot open"));
	assert_string_equal(export_access(&p), "ro");
	/* One that can is served at once, beside the first. */
	snprintf(more, sizeof(more), "[export more]\npath = %s\npseudo = /more\n", dir);
	write_conf("access = ro", more);
	assert_int_equal(reload(&p, msg, sizeof(msg)), 200);
	assert_non_null(strstr(msg, "/more"));
	assert_string_equal(export_access(&p), "ro");

	/* SIGHUP does the same. */
	write_conf("access = rw", NULL);
	kill(p.pid, SIGHUP);
	for (int i = 0; i < 200 && strcmp(export_access(&p), "rw") != 0; i++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	assert_string_equal(export_access(&p), "rw");
	assert_int_equal(remove_status(&s), NFS4ERR_NOENT);
	/* The client never noticed. */
	nfs4c_ping(&s);
	nfs4c_close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
	unlink(conf_path);
	rmdir(data_path);
	rmdir(dir);
}

/* Exports from the command line cannot be reloaded from a file. */
static void test_reload_without_file(void **state)
{
	struct ferryd_proc p;
	assert_int_equal(ferryd_start(&p, NULL), 0);
	char msg[1024];
	assert_int_equal(reload(&p, msg, sizeof(msg)), 409);
	assert_non_null(strstr(msg, "--config"));
	assert_int_equal(ferryd_stop(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_reload_without_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
