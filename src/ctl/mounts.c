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
	ctl_text_printf(t, "# HELP ferry_mount_calls_total MOUNT calls, by procedure.\n"
	                   "# TYPE ferry_mount_calls_total counter\n");
	for (unsigned i = 0; i < CTL_MOUNT_PROCS; i++)
		ctl_text_printf(t, "ferry_mount_calls_total{proc=\"%s\"} %llu\n", h->proc_names[i],
		                (unsigned long long)st.calls[i]);
	ctl_text_printf(t, "# HELP ferry_mount_mnt_total MNT calls, by result.\n"
	                   "# TYPE ferry_mount_mnt_total counter\n");
	for (unsigned i = 0; i < CTL_MOUNT_OUTCOMES; i++)
		ctl_text_printf(t, "ferry_mount_mnt_total{result=\"%s\"} %llu\n",
		                h->outcome_names[i], (unsigned long long)st.mnt[i]);
	ctl_text_printf(t,
	                "# HELP ferry_mount_garbage_args_total MOUNT calls whose arguments did "
	                "not decode.\n"
	                "# TYPE ferry_mount_garbage_args_total counter\n"
	                "ferry_mount_garbage_args_total %llu\n"
	                "# HELP ferry_mount_list_entries Entries in MOUNT's mount list (who "
	                "mounted what).\n"
	                "# TYPE ferry_mount_list_entries gauge\n"
	                "ferry_mount_list_entries %llu\n"
	                "# HELP ferry_mount_not_listed_total MNTs answered but not listed: the "
	                "mount list was full.\n"
	                "# TYPE ferry_mount_not_listed_total counter\n"
	                "ferry_mount_not_listed_total %llu\n",
	                (unsigned long long)st.garbage_args, (unsigned long long)st.entries,
	                (unsigned long long)st.list_full);
}
