#include "lib/ctl_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

void ctlt_upgrade(struct ferryd_proc *p)
{
	ctlt_upgrade_to(p, NULL);
}

void ctlt_upgrade_to(struct ferryd_proc *p, const char *binary)
{
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	struct ctl_http_reply r;
	json_t *body = binary ? json_pack("{s:s}", "binary", binary) : json_object();
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	assert_non_null(text);
	ctlt_request(p, "POST", "/api/v1/upgrade", true, text, &r);
	free(text);
	if (r.status != 200)
		fail_msg("upgrade: HTTP %u: %s", r.status, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	pid_t fresh = (pid_t)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	ctl_http_reply_free(&r);
	int status;
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(fresh > 0 && fresh != p->pid);
	p->pid = fresh;
}
