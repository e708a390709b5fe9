/* MOUNT in the control plane:
 *   GET /api/v1/mounts   whether MOUNT is served, its mount list (client
 *                        address, path, when it mounted) and counters
 * and the ferry_mount_* metrics. */
#include <stdlib.h>
#include <time.h>

#include "ctl/ctl_internal.h"

unsigned ctl_mounts_get(struct ctl_server *cs, json_t **out)
{
	const struct ctl_mount_hooks *h = cs->ctx.mount;
	if (!h) {
		*out = json_pack("{s:b}", "enabled", 0);
		return 200;
	}
	struct ctl_mount_entry *v;
	size_t n;
	if (h->list(h->arg, &v, &n) != 0) {
		*out = ctl_api_error("out of memory");
		return 500;
	}
	struct ctl_mount_stats st;
	h->stats(h->arg, &st);
	int64_t now = (int64_t)time(NULL);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		char when[32] = "";
		time_t t = (time_t)v[i].when;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:I}", "client",
		                                      v[i].host, "path", v[i].path, "mounted_at",
		                                      when, "mounted_unix", (json_int_t)v[i].when,
		                                      "age_s", (json_int_t)(now - v[i].when)));
	}
	free(v);
	json_t *calls = json_object(), *mnt = json_object();
	for (unsigned i = 0; i < CTL_MOUNT_PROCS; i++)
		json_object_set_new(calls, h->proc_names[i], json_integer((json_int_t)st.calls[i]));
	for (unsigned i = 0; i < CTL_MOUNT_OUTCOMES; i++)
		json_object_set_new(mnt, h->outcome_names[i], json_integer((json_int_t)st.mnt[i]));
	*out = json_pack("{s:b, s:o, s:o, s:o, s:I, s:I}", "enabled", 1, "mounts", list, "calls",
	                 calls, "mnt_results", mnt, "garbage_args", (json_int_t)st.garbage_args,
	                 "not_listed", (json_int_t)st.list_full);
	return 200;
}

void ctl_mount_metrics(struct ctl_server *cs, struct ctl_text *t)
{
	const struct ctl_mount_hooks *h = cs->ctx.mount;
	if (!h)
		return;
	struct ctl_mount_stats st;
	h->stats(h->arg, &st);
	ctl_metric_head(t, "ferry_mount_calls_total", "counter", "MOUNT calls, by procedure.");
	for (unsigned i = 0; i < CTL_MOUNT_PROCS; i++)
		ctl_metric_series(t, "ferry_mount_calls_total", "proc", h->proc_names[i],
		                  st.calls[i]);
	ctl_metric_head(t, "ferry_mount_mnt_total", "counter", "MNT calls, by result.");
	for (unsigned i = 0; i < CTL_MOUNT_OUTCOMES; i++)
		ctl_metric_series(t, "ferry_mount_mnt_total", "result", h->outcome_names[i],
		                  st.mnt[i]);
	ctl_metric_value(t, "ferry_mount_garbage_args_total", "counter",
	                 "MOUNT calls whose arguments did not decode.", st.garbage_args);
	ctl_metric_value(t, "ferry_mount_list_entries", "gauge",
	                 "Entries in MOUNT's mount list (who mounted what).", st.entries);
	ctl_metric_value(t, "ferry_mount_not_listed_total", "counter",
	                 "MNTs answered but not listed: the mount list was full.", st.list_full);
}
