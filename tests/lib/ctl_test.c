#include "lib/ctl_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <jansson.h>

#include "ctl/ctl.h"

void ctlt_request(const struct ferryd_proc *p, const char *method, const char *path,
		  bool with_token, const char *body, struct ctl_http_reply *out)
{
	char token[CTL_TOKEN_MAX] = "";
	if (with_token)
		assert_int_equal(ctl_token_read(p->token_path, token, sizeof(token)), 0);
	char err[512];
	assert_true(p->control[0]);
	int rc = ctl_http_request(p->control, method, path, with_token ? token : NULL, body,
				  body ? strlen(body) : 0, 60000, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
}

char *ctlt_scrape(const struct ferryd_proc *p)
{
	struct ctl_http_reply r;
	ctlt_request(p, "GET", "/metrics", false, NULL, &r);
	assert_int_equal(r.status, 200);
	return r.body;
}

double ctlt_metric(const char *page, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = page; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, series, n) == 0 && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

bool ctlt_promtool_ok(const char *page)
{
#ifdef PROMTOOL_PATH
	char path[] = "/tmp/ferry-metrics-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(page);
	assert_int_equal(write(fd, page, len), (ssize_t)len);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' 2>&1", PROMTOOL_PATH, path);
	int rc = system(cmd);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "promtool check metrics failed (status %d)\n", rc);
	return rc == 0;
#else
	fprintf(stderr, "promtool not found at configure time: check skipped\n");
	return true;
#endif
}

double ctlt_metric_now(const struct ferryd_proc *p, const char *series)
{
	char *page = ctlt_scrape(p);
	double v = ctlt_metric(page, series);
	free(page);
	assert_true(v >= 0);
	return v;
}

/* POST /api/v1/upgrade to binary (NULL: ferryd's own) and the old
 * ferryd's exit; no cmocka call, so that a thread may run it.  0 with the
 * new ferryd's pid, else -1 with err. */
static int upgrade_post(const struct ferryd_proc *p, const char *binary, pid_t *fresh, char *err,
			size_t errlen)
{
	char token[CTL_TOKEN_MAX] = "";
	if (ctl_token_read(p->token_path, token, sizeof(token)) != 0) {
		snprintf(err, errlen, "upgrade: no control token at %s", p->token_path);
		return -1;
	}
	json_t *body = binary ? json_pack("{s:s}", "binary", binary) : json_object();
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		snprintf(err, errlen, "upgrade: out of memory");
		return -1;
	}
	struct ctl_http_reply r;
	char why[512];
	int rc = ctl_http_request(p->control, "POST", "/api/v1/upgrade", token, text, strlen(text),
				  60000, &r, why, sizeof(why));
	free(text);
	if (rc) {
		snprintf(err, errlen, "upgrade: %s", why);
		return -1;
	}
	json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
	*fresh = j ? (pid_t)json_integer_value(json_object_get(j, "pid")) : 0;
	json_decref(j);
	if (r.status != 200)
		snprintf(err, errlen, "upgrade: HTTP %u: %s", r.status, r.body ? r.body : "");
	ctl_http_reply_free(&r);
	if (r.status != 200)
		return -1;
	int status;
	if (waitpid(p->pid, &status, 0) != p->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || *fresh <= 0 || *fresh == p->pid) {
		snprintf(err, errlen, "upgrade: the old ferryd (%d) did not exit cleanly, or no new "
			 "pid (%d)", (int)p->pid, (int)*fresh);
		return -1;
	}
	return 0;
}

void ctlt_upgrade(struct ferryd_proc *p)
{
	ctlt_upgrade_to(p, NULL);
}

void ctlt_upgrade_to(struct ferryd_proc *p, const char *binary)
{
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid_t fresh = 0;
	char err[1024];
	if (upgrade_post(p, binary, &fresh, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	p->pid = fresh;
}

void ctlt_upgrade_refused(struct ferryd_proc *p, const char *binary)
{
	struct ctl_http_reply rep;
	char body[600];
	snprintf(body, sizeof(body), "{\"binary\": \"%s\"}", binary);
	pid_t old = p->pid;
	ctlt_request(p, "POST", "/api/v1/upgrade", true, body, &rep);
	assert_int_not_equal(rep.status, 200);
	assert_non_null(strstr(rep.body, "serves on"));
	ctl_http_reply_free(&rep);
	assert_int_equal(p->pid, old);
	assert_true(ferryd_running(p));
}

static void *upgrade_thread(void *arg)
{
	struct ctlt_upgrade *u = arg;
	u->rc = upgrade_post(u->p, u->binary, &u->fresh, u->err, sizeof(u->err));
	return NULL;
}

void ctlt_upgrade_begin(struct ctlt_upgrade *u, struct ferryd_proc *p, const char *binary)
{
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	memset(u, 0, sizeof(*u));
	u->p = p;
	u->binary = binary;
	assert_int_equal(pthread_create(&u->thread, NULL, upgrade_thread, u), 0);
}

void ctlt_upgrade_end(struct ctlt_upgrade *u)
{
	assert_int_equal(pthread_join(u->thread, NULL), 0);
	if (u->rc != 0)
		fail_msg("%s", u->err);
	u->p->pid = u->fresh;
}
