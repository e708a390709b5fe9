/* The cluster's configuration in RADOS ([cluster] config = rados):
 * GET /cluster/config, the edits of its exports, and the
 * ferry_cluster_config_* families of /metrics.  The reading, checking
 * and writing are ferryd's hooks (struct ctl_cluster_config); this file
 * turns requests into them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_internal.h"

static unsigned not_rados(json_t **out)
{
	*out = ctl_api_error("this head's exports are not the cluster's configuration "
			     "([cluster] config = rados is not set)");
	return 404;
}

static unsigned config_get(struct ctl_server *cs, json_t **out)
{
	struct ctl_cluster_config *cc = cs->ctx.cluster_config;
	char *text = NULL, err[512] = "";
	uint64_t version = 0;
	int rc = cc->show(cc->arg, &text, &version, err, sizeof(err));
	if (rc) {
		*out = ctl_api_error("cannot read the cluster's configuration: %s",
				     err[0] ? err : strerror(-rc));
		return 502;
	}
	*out = json_pack("{s:I, s:s, s:I, s:b, s:I}", "version", (json_int_t)version, "text", text,
			 "applied_version", (json_int_t)atomic_load(&cc->version), "applied_ok",
			 atomic_load(&cc->ok), "errors", (json_int_t)atomic_load(&cc->errors));
	free(text);
	return *out ? 200 : 500;
}

/* A value of "options" as the configuration's text writes it. */
static bool option_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return (size_t)snprintf(buf, len, "%s", json_string_value(v)) < len;
	if (json_is_boolean(v))
		return snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no") > 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return snprintf(buf, len, "%lld", (long long)json_integer_value(v)) > 0;
	return false;
}

enum { MAX_OPTIONS = 32, OPTION_MAX = 4096 };

/* The edit the request asks for: the body's "options" (and, for an add,
 * "name"), then the hook. */
static unsigned config_edit(struct ctl_server *cs, enum config_edit_op op, const char *name,
			    const char *body, size_t len, json_t **out)
{
	struct ctl_cluster_config *cc = cs->ctx.cluster_config;
	json_t *j = NULL, *options = NULL;
	if (len) {
		json_error_t jerr;
		j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!j || !json_is_object(j)) {
			json_decref(j);
			*out = ctl_api_error("the body must be a JSON object: %s",
					     j ? "it is not one" : jerr.text);
			return 400;
		}
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
		{
			if (strcmp(k, "options") != 0 && !(op == CONFIG_EDIT_ADD && strcmp(k, "name") == 0)) {
				*out = ctl_api_error("unknown field '%s' (expected %s)", k,
						     op == CONFIG_EDIT_ADD ? "name and options" : "options");
				json_decref(j);
				return 400;
			}
		}
		options = json_object_get(j, "options");
		if (op == CONFIG_EDIT_ADD)
			name = json_string_value(json_object_get(j, "name"));
	}
	if (!name) {
		*out = ctl_api_error("the body must name the export: {\"name\": \"NAME\", \"options\": "
				     "{\"path\": \"/DIR\"}}");
		json_decref(j);
		return 400;
	}
	if (options && !json_is_object(options)) {
		*out = ctl_api_error("options must be an object of KEY: VALUE");
		json_decref(j);
		return 400;
	}
	if (op != CONFIG_EDIT_REMOVE && json_object_size(options) == 0) {
		*out = ctl_api_error("no options given");
		json_decref(j);
		return 400;
	}
	if (json_object_size(options) > MAX_OPTIONS) {
		*out = ctl_api_error("at most %d options at once", MAX_OPTIONS);
		json_decref(j);
		return 400;
	}
	static char values[MAX_OPTIONS][OPTION_MAX];
	const char *keys[MAX_OPTIONS], *vals[MAX_OPTIONS];
	unsigned n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(options, k, v)
	{
		if (!option_text(v, values[n], sizeof(values[n]))) {
			*out = ctl_api_error("option %s: a string, a boolean or a number, at most %d "
					     "bytes",
					     k, OPTION_MAX - 1);
			json_decref(j);
			return 400;
		}
		keys[n] = k;
		vals[n] = values[n];
		n++;
	}
	char err[1024] = "";
	uint64_t version = 0;
	int rc = cc->edit(cc->arg, op, name, keys, vals, n, &version, err, sizeof(err));
	unsigned status = rc == 0 ? 200 : rc == -EINVAL ? 400 : rc == -ECANCELED ? 409 : 502;
	if (rc == -EINVAL)
		*out = ctl_api_error("%s", err);
	else if (rc)
		*out = ctl_api_error("the cluster's configuration is unchanged: %s",
				     err[0] ? err : strerror(-rc));
	else
		*out = json_pack("{s:I, s:s}", "version", (json_int_t)version, "export", name);
	/* name may be the body's. */
	json_decref(j);
	return *out ? status : 500;
}

unsigned ctl_cluster_config_handle(struct ctl_server *cs, const char *method, const char *rest,
				   const char *body, size_t len, json_t **out)
{
	if (!cs->ctx.cluster_config)
		return not_rados(out);
	if (!rest[0]) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			*out = ctl_api_error("/cluster/config is read with GET; its exports are "
					     "changed under /cluster/config/exports");
			return 405;
		}
		return config_get(cs, out);
	}
	if (strcmp(rest, "/exports") == 0) {
		if (strcmp(method, "POST") != 0) {
			*out = ctl_api_error("an export is added with POST");
			return 405;
		}
		return config_edit(cs, CONFIG_EDIT_ADD, NULL, body, len, out);
	}
	if (strncmp(rest, "/exports/", 9) == 0 && rest[9] && !strchr(rest + 9, '/')) {
		if (strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0)
			return config_edit(cs, CONFIG_EDIT_SET, rest + 9, body, len, out);
		if (strcmp(method, "DELETE") == 0)
			return config_edit(cs, CONFIG_EDIT_REMOVE, rest + 9, body, len, out);
		*out = ctl_api_error("an export is changed with PATCH and removed with DELETE");
		return 405;
	}
	*out = ctl_api_error("no such resource: /api/v1/cluster/config%s", rest);
	return 404;
}

void ctl_cluster_config_metrics(struct ctl_server *cs, struct ctl_text *out)
{
	struct ctl_cluster_config *cc = cs->ctx.cluster_config;
	if (!cc)
		return;
	ctl_text_printf(out,
			"# HELP ferry_cluster_config_version Version of the cluster's configuration "
			"object this head applied.\n"
			"# TYPE ferry_cluster_config_version gauge\n"
			"ferry_cluster_config_version %llu\n",
			(unsigned long long)atomic_load(&cc->version));
	ctl_text_printf(out,
			"# HELP ferry_cluster_config_ok 1 when the cluster's configuration last "
			"read was applied, 0 when this head keeps an older one.\n"
			"# TYPE ferry_cluster_config_ok gauge\nferry_cluster_config_ok %d\n",
			atomic_load(&cc->ok) ? 1 : 0);
	ctl_text_printf(out,
			"# HELP ferry_cluster_config_errors_total Reads of the cluster's "
			"configuration that could not be read, parsed or applied.\n"
			"# TYPE ferry_cluster_config_errors_total counter\n"
			"ferry_cluster_config_errors_total %llu\n",
			(unsigned long long)atomic_load(&cc->errors));
	ctl_text_printf(out,
			"# HELP ferry_cluster_config_applied_total Configurations of the cluster "
			"this head applied, the one it started with included.\n"
			"# TYPE ferry_cluster_config_applied_total counter\n"
			"ferry_cluster_config_applied_total %llu\n",
			(unsigned long long)atomic_load(&cc->applied));
}
