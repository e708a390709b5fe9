/* /metrics: the Prometheus text format (version 0.0.4).  Every family has
 * HELP and TYPE lines; label values are bounded sets (op names, minor
 * versions, error kinds), never per-session or per-client ids. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ctl/ctl_internal.h"
#include "nfs4/callback.h"
#include "nfs4/compound.h"
#include "nfs4/dirdeleg.h"
#include "nfs4/copy.h"
#include "nfs4/drc40.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "state/session.h"
#include "state/state.h"
#include "state/state_dirdeleg.h"
#include "state/state_info.h"

static void family(struct ctl_text *t, const char *name, const char *type, const char *help)
{
	ctl_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_u64(struct ctl_text *t, const char *name, const char *type, const char *help,
		       uint64_t v)
{
	family(t, name, type, help);
	ctl_text_printf(t, "%s %llu\n", name, (unsigned long long)v);
}

/* --- RPC ------------------------------------------------------------------------- */

static void write_rpc(struct ctl_server *cs, struct ctl_text *t)
{
	struct rpc_server_stats st;
	rpc_server_get_stats(cs->ctx.rpc, &st);
	metric_u64(t, "ferry_rpc_calls_total", "counter", "RPC calls received.", st.calls);
	family(t, "ferry_rpc_errors_total", "counter",
	       "RPC calls answered with an error instead of results, by kind.");
	for (unsigned k = 0; k < RPC_ERR_KINDS; k++)
		ctl_text_printf(t, "ferry_rpc_errors_total{kind=\"%s\"} %llu\n",
				rpc_error_kind_name(k), (unsigned long long)st.errors[k]);
	metric_u64(t, "ferry_rpc_requests_in_flight", "gauge", "RPC requests being served.",
		   st.inflight);
	metric_u64(t, "ferry_rpc_memory_bytes", "gauge",
		   "Bytes of requests being served and replies built or queued, counted "
		   "against inflight_memory_mb.",
		   st.memory);
	metric_u64(t, "ferry_rpc_memory_refusals_total", "counter",
		   "Large replies refused as busy (NFS4ERR_DELAY) for a memory budget.",
		   st.memory_refusals);
	metric_u64(t, "ferry_rpc_memory_waits_total", "counter",
		   "Large replies that waited for their client to read earlier ones "
		   "(inflight_memory_per_conn_mb).",
		   st.memory_waits);
	metric_u64(t, "ferry_rpc_memory_trims_total", "counter",
		   "Times free memory was given back to the system after a burst.",
		   st.memory_trims);
	metric_u64(t, "ferry_rpc_connections", "gauge", "Open client connections.",
		   st.connections_open);
	metric_u64(t, "ferry_rpc_connections_accepted_total", "counter",
		   "Client connections accepted.", st.connections_accepted);
	family(t, "ferry_rpc_connections_refused_total", "counter",
	       "Client connections closed at accept for a limit: max_connections (total) or "
	       "max_connections_per_client (per_client).");
	ctl_text_printf(t, "ferry_rpc_connections_refused_total{reason=\"total\"} %llu\n",
			(unsigned long long)st.connections_refused_total);
	ctl_text_printf(t, "ferry_rpc_connections_refused_total{reason=\"per_client\"} %llu\n",
			(unsigned long long)st.connections_refused_per_client);
	metric_u64(t, "ferry_rpc_bad_records_total", "counter",
		   "Connections closed for a malformed record stream.", st.bad_records);
	metric_u64(t, "ferry_rpc_replies_received_total", "counter",
		   "Replies received to calls the server made (callbacks).", st.replies_received);
}

/* --- NFS operations ---------------------------------------------------------------- */

static const char *op_label(uint32_t op)
{
	const struct nfs4_op_desc *d = nfs4_op_describe(op);
	if (!d || !d->name)
		return NULL;
	return strncmp(d->name, "OP_", 3) == 0 ? d->name + 3 : d->name;
}

static void write_ops(struct ctl_text *t)
{
	/* Static: the table is large, and only this thread renders. */
	static struct nfs4_op_stats s[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE];
	memset(s, 0, sizeof(s));
	nfs4_op_stats_read(s);
	family(t, "ferry_nfs_ops_total", "counter",
	       "NFSv4 operations served, by operation and minor version.");
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++)
		for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++)
			if (s[m][op].calls && op_label(op))
				ctl_text_printf(t, "ferry_nfs_ops_total{op=\"%s\",minor=\"%u\"} %llu\n",
						op_label(op), m, (unsigned long long)s[m][op].calls);
	family(t, "ferry_nfs_op_errors_total", "counter",
	       "NFSv4 operations that ended with an error status.");
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++)
		for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++)
			if (s[m][op].calls && op_label(op))
				ctl_text_printf(t,
						"ferry_nfs_op_errors_total{op=\"%s\",minor=\"%u\"} %llu\n",
						op_label(op), m, (unsigned long long)s[m][op].errors);
	family(t, "ferry_nfs_op_duration_seconds", "histogram",
	       "Time spent serving NFSv4 operations.");
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++) {
		for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++) {
			const struct nfs4_op_stats *o = &s[m][op];
			const char *name = op_label(op);
			if (!o->calls || !name)
				continue;
			uint64_t cum = 0;
			for (unsigned k = 0; k < NFS4_OP_LAT_BUCKETS; k++) {
				cum += o->lat[k];
				ctl_text_printf(t,
						"ferry_nfs_op_duration_seconds_bucket{op=\"%s\",minor="
						"\"%u\",le=\"%.9g\"} %llu\n",
						name, m, (double)nfs4_op_lat_bound_ns(k) / 1e9,
						(unsigned long long)cum);
			}
			ctl_text_printf(t,
					"ferry_nfs_op_duration_seconds_bucket{op=\"%s\",minor=\"%u\","
					"le=\"+Inf\"} %llu\n",
					name, m, (unsigned long long)o->calls);
			ctl_text_printf(t,
					"ferry_nfs_op_duration_seconds_sum{op=\"%s\",minor=\"%u\"} "
					"%.9f\n",
					name, m, (double)o->total_ns / 1e9);
			ctl_text_printf(t,
					"ferry_nfs_op_duration_seconds_count{op=\"%s\",minor=\"%u\"} "
					"%llu\n",
					name, m, (unsigned long long)o->calls);
		}
	}
}

/* --- sessions, clients, state --------------------------------------------------------- */

static void write_sessions(struct ctl_server *cs, struct ctl_text *t)
{
	struct state_server *st = cs->ctx.nfs->state;
	struct state_session_stats ss;
	state_get_session_stats(st, &ss);
	metric_u64(t, "ferry_sequence_total", "counter", "SEQUENCE operations received.",
		   ss.sequence_total);
	family(t, "ferry_sequence_errors_total", "counter",
	       "NFSv4.1 requests refused by the session layer, by error.");
	struct nfs4_reply_limit_stats rl;
	nfs4_reply_limit_stats_read(&rl);
	/* The last four refuse the request after the slot was checked. */
	const struct {
		const char *kind;
		uint64_t v;
	} errs[] = {
		{"bad_session", ss.err_bad_session},
		{"badslot", ss.err_badslot},
		{"seq_misordered", ss.err_seq_misordered},
		{"slot_busy", ss.err_slot_busy},
		{"false_retry", ss.err_false_retry},
		{"retry_uncached", ss.err_uncached},
		{"too_many_ops", ss.err_too_many_ops},
		{"req_too_big", ss.err_req_too_big},
		{"rep_too_big", rl.rep_too_big},
		{"rep_too_big_to_cache", rl.rep_too_big_to_cache},
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		ctl_text_printf(t, "ferry_sequence_errors_total{kind=\"%s\"} %llu\n", errs[i].kind,
				(unsigned long long)errs[i].v);
	metric_u64(t, "ferry_nfs_slow_export_deferrals_total", "counter",
		   "Name and attribute operations sent to the worker pool because their "
		   "export's back end was answering slowly.",
		   nfs4_stall_deferrals());
	metric_u64(t, "ferry_nfs_inline_deferrals_total", "counter",
		   "READs tried on an event loop whose data was not in memory, sent to the "
		   "worker pool.",
		   nfs4_inline_deferrals());
	metric_u64(t, "ferry_sequence_replay_hits_total", "counter",
		   "Retransmitted requests answered from a slot's reply cache.", ss.replay_hits);
	metric_u64(t, "ferry_reply_cache_bytes", "gauge",
		   "Bytes of replies kept in session slots for replays.", ss.cache_bytes);
	metric_u64(t, "ferry_sessions", "gauge", "NFSv4.1 sessions.", ss.sessions);
	metric_u64(t, "ferry_slots_in_use", "gauge",
		   "Session slots with a request being served, all sessions.", ss.slots_in_use);

	struct state_census c;
	state_census(st, &c);
	/* A bounded set of series however many sessions there are. */
	family(t, "ferry_sessions_by_slots_in_use", "gauge",
	       "Sessions by how many of their slots are in use (range of slots).");
	unsigned lo = 0;
	for (unsigned b = 0; b <= STATE_SLOT_BUCKETS; b++) {
		char range[32];
		if (b == STATE_SLOT_BUCKETS)
			snprintf(range, sizeof(range), "%u+", lo);
		else if (lo == state_slot_bucket_bounds[b])
			snprintf(range, sizeof(range), "%u", lo);
		else
			snprintf(range, sizeof(range), "%u-%u", lo, state_slot_bucket_bounds[b]);
		ctl_text_printf(t, "ferry_sessions_by_slots_in_use{slots=\"%s\"} %u\n", range,
				c.slots_in_use_hist[b]);
		if (b < STATE_SLOT_BUCKETS)
			lo = state_slot_bucket_bounds[b] + 1;
	}
	metric_u64(t, "ferry_session_target_highest_slotid_min", "gauge",
		   "The lowest target_highest_slotid SEQUENCE last returned on any session "
		   "(low: reply-cache pressure).",
		   c.target_highest_slotid_min);
	metric_u64(t, "ferry_session_target_highest_slotid_max", "gauge",
		   "The highest target_highest_slotid SEQUENCE last returned on any session.",
		   c.target_highest_slotid_max);
	family(t, "ferry_clients", "gauge", "Confirmed clients by NFSv4 minor version.");
	for (unsigned m = 0; m < 3; m++)
		ctl_text_printf(t, "ferry_clients{minor=\"%u\"} %u\n", m, c.clients_by_minor[m]);
	metric_u64(t, "ferry_clients_unconfirmed", "gauge", "Clients not yet confirmed.",
		   c.clients_unconfirmed);
	family(t, "ferry_sessions_back_channel", "gauge",
	       "Sessions by back-channel state (none: the client asked for none).");
	static const char *const bc[4] = {"none", "up", "down", "unknown"};
	for (unsigned i = 0; i < 4; i++)
		ctl_text_printf(t, "ferry_sessions_back_channel{state=\"%s\"} %u\n", bc[i],
				c.sessions_back[i]);

	struct state_stats s;
	state_get_stats(st, &s);
	metric_u64(t, "ferry_grace", "gauge", "1 while the grace period after a restart lasts.",
		   s.in_grace);
	family(t, "ferry_state_cap_hits_total", "counter",
	       "Requests refused because a cap on client state was reached ([nfs] max_*), by cap.");
	for (unsigned k = 0; k < STATE_CAP_KINDS; k++)
		ctl_text_printf(t, "ferry_state_cap_hits_total{cap=\"%s\"} %llu\n",
				state_cap_names[k], (unsigned long long)s.cap_hits[k]);
	metric_u64(t, "ferry_state_owners", "gauge", "Open and lock owners.", s.owners);
	metric_u64(t, "ferry_state_opens", "gauge", "Open files (open stateids).", s.opens);
	metric_u64(t, "ferry_state_locks", "gauge", "Byte-range locks held.", s.locks);
}

/* Callbacks (the engine's counters, by what they carried) and
 * delegations. */
static void write_callbacks(struct ctl_server *cs, struct ctl_text *t)
{
	struct nfs4_cb_stats cb;
	nfs4_cb_get_stats(cs->ctx.nfs, &cb);
	family(t, "ferry_callbacks_total", "counter",
	       "Callbacks ended, by operation and outcome (failed: undeliverable after every "
	       "retry).");
	for (unsigned k = 0; k < NFS4_CB_KINDS; k++) {
		const struct nfs4_cb_counts *c = &cb.by_kind[k];
		const char *op = nfs4_cb_kind_name(k);
		ctl_text_printf(t, "ferry_callbacks_total{op=\"%s\",result=\"ok\"} %llu\n", op,
				(unsigned long long)(c->total - c->failures));
		ctl_text_printf(t, "ferry_callbacks_total{op=\"%s\",result=\"failed\"} %llu\n",
				op, (unsigned long long)c->failures);
	}
	family(t, "ferry_callback_retries_total", "counter",
	       "Callback sends after a callback's first, by operation.");
	for (unsigned k = 0; k < NFS4_CB_KINDS; k++)
		ctl_text_printf(t, "ferry_callback_retries_total{op=\"%s\"} %llu\n",
				nfs4_cb_kind_name(k),
				(unsigned long long)cb.by_kind[k].retries);
	family(t, "ferry_callback_duration_seconds", "histogram",
	       "Time from queueing a callback to its end, by operation.");
	static const uint64_t bounds_ms[NFS4_CB_DURATION_BUCKETS - 1] =
		NFS4_CB_DURATION_BOUNDS_MS;
	for (unsigned k = 0; k < NFS4_CB_KINDS; k++) {
		const struct nfs4_cb_counts *c = &cb.by_kind[k];
		const char *op = nfs4_cb_kind_name(k);
		uint64_t cum = 0;
		for (unsigned b = 0; b + 1 < NFS4_CB_DURATION_BUCKETS; b++) {
			cum += c->duration_hist[b];
			ctl_text_printf(t,
					"ferry_callback_duration_seconds_bucket{op=\"%s\",le=\"%.3g\"} "
					"%llu\n",
					op, (double)bounds_ms[b] / 1000, (unsigned long long)cum);
		}
		ctl_text_printf(t,
				"ferry_callback_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n",
				op, (unsigned long long)c->total);
		ctl_text_printf(t, "ferry_callback_duration_seconds_sum{op=\"%s\"} %.3f\n", op,
				(double)c->duration_ms_sum / 1000);
		ctl_text_printf(t, "ferry_callback_duration_seconds_count{op=\"%s\"} %llu\n", op,
				(unsigned long long)c->total);
	}
	metric_u64(t, "ferry_callbacks_pending", "gauge", "Callbacks queued and not ended yet.",
		   cb.pending);

	struct state_deleg_stats d;
	state_deleg_get_stats(cs->ctx.nfs->state, &d);
	metric_u64(t, "ferry_delegations_granted_total", "counter", "File delegations granted.",
		   d.granted);
	metric_u64(t, "ferry_delegations_recalled_total", "counter",
		   "File delegations recalled.", d.recalled);
	metric_u64(t, "ferry_delegations_revoked_total", "counter",
		   "File delegations revoked (not returned after a recall, or undeliverable).",
		   d.revoked);
	metric_u64(t, "ferry_delegations_active", "gauge", "File delegations held now.",
		   d.active);

	struct state_dirdeleg_stats dd;
	state_dirdeleg_get_stats(cs->ctx.nfs->state, &dd);
	metric_u64(t, "ferry_dir_delegations_granted_total", "counter",
		   "Directory delegations granted.", dd.granted);
	metric_u64(t, "ferry_dir_delegations_recalled_total", "counter",
		   "Directory delegations recalled (overflows included).", dd.recalled);
	metric_u64(t, "ferry_dir_delegations_revoked_total", "counter",
		   "Directory delegations revoked (not returned after a recall, or undeliverable).",
		   dd.revoked);
	metric_u64(t, "ferry_dir_delegations_active", "gauge", "Directory delegations held now.",
		   dd.active);
	metric_u64(t, "ferry_dir_delegation_overflows_total", "counter",
		   "Directory delegations recalled because their holder fell too far behind.",
		   dd.overflows);
	size_t idirs, ientries;
	nfs4_dirdeleg_children_count(cs->ctx.nfs, &idirs, &ientries);
	metric_u64(t, "ferry_dir_delegation_indexed_dirs", "gauge",
		   "Delegated directories whose entries are indexed for child-attribute notifications.",
		   idirs);
	metric_u64(t, "ferry_dir_delegation_indexed_entries", "gauge",
		   "Entries of those directories held in the index.", ientries);
	family(t, "ferry_dir_notify_changes", "summary",
	       "Changes carried per CB_NOTIFY (count: CB_NOTIFYs queued).");
	ctl_text_printf(t, "ferry_dir_notify_changes_sum %llu\n",
			(unsigned long long)dd.changes);
	ctl_text_printf(t, "ferry_dir_notify_changes_count %llu\n",
			(unsigned long long)dd.notifies);
}

/* --- the process ------------------------------------------------------------------------ */

static void write_process(struct ctl_server *cs, struct ctl_text *t)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vsize = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &vsize, &rss) != 2)
			vsize = rss = 0;
		fclose(f);
	}
	metric_u64(t, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
		   rss * (unsigned long long)page);
	metric_u64(t, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
		   vsize * (unsigned long long)page);
	unsigned fds = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--; /* the directory's own descriptor */
	}
	metric_u64(t, "process_open_fds", "gauge", "Open file descriptors.", fds);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metric_u64(t, "process_max_fds", "gauge", "Limit on open file descriptors.",
			   rl.rlim_cur);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	family(t, "process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
	ctl_text_printf(t, "process_cpu_seconds_total %.6f\n", cpu);
	family(t, "process_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch in seconds.");
	ctl_text_printf(t, "process_start_time_seconds %.3f\n",
			(double)cs->start_realtime_ms / 1000.0);
}

/* The v4.0 duplicate request cache (nfs4/drc40.h). */
static void write_drc40(struct ctl_server *cs, struct ctl_text *t)
{
	if (!cs->ctx.nfs->drc40)
		return;
	struct nfs4_drc40_stats d;
	nfs4_drc40_stats(cs->ctx.nfs->drc40, &d);
	metric_u64(t, "ferry_v40_reply_cache_hits_total", "counter",
		   "NFSv4.0 retransmissions answered from the duplicate request cache.", d.hits);
	metric_u64(t, "ferry_v40_reply_cache_dropped_total", "counter",
		   "NFSv4.0 retransmissions dropped while their original still ran.", d.dropped);
	metric_u64(t, "ferry_v40_reply_cache_entries", "gauge",
		   "NFSv4.0 replies kept for retransmissions.", d.entries);
	metric_u64(t, "ferry_v40_reply_cache_bytes", "gauge",
		   "Bytes of the NFSv4.0 replies kept for retransmissions.", d.bytes);
}

/* Server-side COPY (nfs4/copy.h). */
static void write_copies(struct ctl_server *cs, struct ctl_text *t)
{
	if (!cs->ctx.nfs->copies)
		return;
	struct nfs4_copy_stats c;
	nfs4_copy_get_stats(cs->ctx.nfs, &c);
	family(t, "ferry_copies_started_total", "counter",
	       "Server-side COPYs started, by how (sync: answered when done; async: "
	       "answered at once, the result by CB_OFFLOAD).");
	ctl_text_printf(t, "ferry_copies_started_total{mode=\"sync\"} %llu\n",
			(unsigned long long)c.sync_total);
	ctl_text_printf(t, "ferry_copies_started_total{mode=\"async\"} %llu\n",
			(unsigned long long)c.async_total);
	family(t, "ferry_copies_ended_total", "counter",
	       "Server-side COPYs ended, by outcome (cancelled: OFFLOAD_CANCEL, the client "
	       "gone or the server stopping).");
	ctl_text_printf(t, "ferry_copies_ended_total{result=\"completed\"} %llu\n",
			(unsigned long long)c.completed);
	ctl_text_printf(t, "ferry_copies_ended_total{result=\"failed\"} %llu\n",
			(unsigned long long)c.failed);
	ctl_text_printf(t, "ferry_copies_ended_total{result=\"cancelled\"} %llu\n",
			(unsigned long long)c.cancelled);
	metric_u64(t, "ferry_copy_bytes_total", "counter", "Bytes copied by server-side COPYs.",
		   c.bytes);
	metric_u64(t, "ferry_copies_no_reqs_total", "counter",
		   "COPYs refused with NFS4ERR_OFFLOAD_NO_REQS (too long to copy synchronously).",
		   c.no_reqs);
	metric_u64(t, "ferry_copy_offload_undelivered_total", "counter",
		   "Asynchronous copies whose CB_OFFLOAD could not be delivered (the result "
		   "waits for OFFLOAD_STATUS).",
		   c.cb_failed);
	metric_u64(t, "ferry_copies_running", "gauge", "Asynchronous copies queued or copying.",
		   c.running);
	metric_u64(t, "ferry_copies_kept", "gauge",
		   "Asynchronous copies whose state is kept (running, or the result not yet "
		   "learned by the client).",
		   c.kept);
}

void ctl_metrics_render(struct ctl_server *cs, struct ctl_text *out)
{
	family(out, "ferry_build_info", "gauge", "Ferry's version (the value is always 1).");
	ctl_text_printf(out, "ferry_build_info{version=\"%s\"} 1\n", FERRY_VERSION);
	write_rpc(cs, out);
	write_ops(out);
	write_sessions(cs, out);
	write_drc40(cs, out);
	write_callbacks(cs, out);
	write_copies(cs, out);
	write_process(cs, out);
}
