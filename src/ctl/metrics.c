/* /metrics: the Prometheus text format (version 0.0.4).  Every family has
 * HELP and TYPE lines; label values are bounded sets (op names, minor
 * versions, error kinds), never per-session or per-client ids. */
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ctl/ctl_internal.h"
#include "callback/callback.h"
#include "nfs4/engine/compound.h"
#include "nfs4/deleg/dirdeleg.h"
#include "nfs4/copy/copy.h"
#include "rpc/drc.h"
#include "nfs4/engine/op_stats.h"
#include "nfs4/engine/optable.h"
#include "export/stall.h"
#include "nfs3/nfs3.h"
#include "xdr/nfs3_codec.h"
#include "export/durable.h"
#include "nfs4/server.h"
#include "nlm/nlm.h"
#include "rpc/server.h"
#include "state/clients/session.h"
#include "state/state.h"
#include "state/deleg/state_dirdeleg.h"
#include "state/lifecycle/state_info.h"
#include "state/opens/state_nlm.h"

/* Everything one scrape reports, read before any of it is written. */
struct scrape {
	struct rpc_server_stats rpc;
	struct nfs4_op_stats ops[NFS4_STATS_MINORS][NFS4_OP_TABLE_SIZE];
	struct state_session_stats sessions;
	struct nfs4_reply_limit_stats reply_limits;
	uint64_t stall_deferrals, inline_deferrals;
	struct export_durable_stats durable;
	struct state_census census;
	struct state_stats state;
	struct rpc_drc_stats drc40;
	/* NFSv3: calls, errors and time by procedure, its reply cache, the
	 * calls that got JUKEBOX for a delegation being recalled. */
	struct nfs3_proc_stats nfs3[NFS3_STATS_PROCS];
	struct nfs3_drc_stats nfs3_drc;
	uint64_t nfs3_jukebox;
	struct cb_stats cb;
	struct state_deleg_stats deleg;
	struct state_dirdeleg_stats dirdeleg;
	size_t indexed_dirs, indexed_entries;
	struct nfs4_copy_stats copies;
	uint64_t rss_bytes, vsize_bytes, open_fds, max_fds;
	double cpu_s, start_s;
	/* NLM (nlm/nlm.h, state/opens/state_nlm.h) */
	struct nlm_stats nlm;
	struct state_nlm_stats nlm_state;
	bool has_drc40, has_copies, has_max_fds, has_nlm, has_nfs3;
	/* The back ends that tell of themselves (backend_ops.status). */
	unsigned nstorage;
	struct scrape_storage {
		const char *export; /* its pseudo path */
		const char *backend;
		struct backend_status st;
	} storage[CONFIG_MAX_EXPORTS];
};

/* A series of a family with a label whose values are a fixed set. */
struct metric_label {
	const char *value; /* NULL ends a list */
	size_t off, size;  /* the series' value in struct scrape */
};

/* Families that only some servers have. */
enum metric_needs {
	NEEDS_NOTHING,
	NEEDS_DRC40,
	NEEDS_COPIES,
	NEEDS_MAX_FDS,
	NEEDS_STORAGE,
	NEEDS_NLM,
	NEEDS_NFS3,
};

/* A family: one unlabelled value, a fixed set of labelled values, or
 * series written by a function. */
struct metric_family {
	const char *name, *type, *help;
	size_t off, size; /* the one value in struct scrape (size 0: none) */
	const char *label;
	const struct metric_label *labels;
	void (*series)(struct ctl_text *t, const char *name, const struct scrape *sc);
	enum metric_needs needs;
};

#define VALUE(f) .off = offsetof(struct scrape, f), .size = sizeof(((struct scrape *)0)->f)

static uint64_t scrape_value(const struct scrape *sc, size_t off, size_t size)
{
	const char *p = (const char *)sc + off;
	if (size == sizeof(uint64_t)) {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		return v;
	}
	if (size == sizeof(uint32_t)) {
		uint32_t v;
		memcpy(&v, p, sizeof(v));
		return v;
	}
	return *(const bool *)(const void *)p; /* ferry_grace */
}

/* --- series that a fixed label set cannot describe ------------------------------- */

static void build_info_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s{version=\"%s\"} 1\n", name, FERRY_VERSION);
}

static void rpc_errors_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (unsigned k = 0; k < RPC_ERR_KINDS; k++)
		ctl_text_printf(t, "%s{kind=\"%s\"} %llu\n", name, rpc_error_kind_name(k),
				(unsigned long long)sc->rpc.errors[k]);
}

static const char *op_label(uint32_t op)
{
	const struct nfs4_op_desc *d = nfs4_op_describe(op);
	if (!d || !d->name)
		return NULL;
	return strncmp(d->name, "OP_", 3) == 0 ? d->name + 3 : d->name;
}

/* ferry_nfs_ops_total and ferry_nfs_op_errors_total: a series per
 * operation and minor version that was called. */
static void op_counts_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	bool errors = strcmp(name, "ferry_nfs_op_errors_total") == 0;
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++) {
		for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++) {
			const struct nfs4_op_stats *o = &sc->ops[m][op];
			uint64_t v = errors ? o->errors : o->calls;
			if (o->calls && op_label(op))
				ctl_text_printf(t, "%s{op=\"%s\",minor=\"%u\"} %llu\n", name,
						op_label(op), m, (unsigned long long)v);
		}
	}
}

/* One latency histogram's lines (labels first in each): buckets 0..n-1
 * of lat, cumulative, bounded by bound_ns(k) and written in seconds, then
 * +Inf, _sum (total_ns in seconds) and _count. */
static void latency_histogram(struct ctl_text *t, const char *name, const char *labels,
			      const uint64_t *lat, unsigned n, uint64_t (*bound_ns)(unsigned),
			      uint64_t calls, uint64_t total_ns)
{
	uint64_t cum = 0;
	for (unsigned k = 0; k < n; k++) {
		cum += lat[k];
		ctl_text_printf(t, "%s_bucket{%s,le=\"%.9g\"} %llu\n", name, labels,
				(double)bound_ns(k) / 1e9, (unsigned long long)cum);
	}
	ctl_text_printf(t, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels,
			(unsigned long long)calls);
	ctl_text_printf(t, "%s_sum{%s} %.9f\n", name, labels, (double)total_ns / 1e9);
	ctl_text_printf(t, "%s_count{%s} %llu\n", name, labels, (unsigned long long)calls);
}

static void op_duration_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (unsigned m = 0; m < NFS4_STATS_MINORS; m++) {
		for (uint32_t op = 0; op < NFS4_OP_TABLE_SIZE; op++) {
			const struct nfs4_op_stats *o = &sc->ops[m][op];
			const char *label = op_label(op);
			if (!o->calls || !label)
				continue;
			char labels[96];
			snprintf(labels, sizeof(labels), "op=\"%s\",minor=\"%u\"", label, m);
			latency_histogram(t, name, labels, o->lat, NFS4_OP_LAT_BUCKETS,
					  nfs4_op_lat_bound_ns, o->calls, o->total_ns);
		}
	}
}

/* ferry_nfs3_calls_total and ferry_nfs3_errors_total: a series per
 * procedure called, NFSACL's beside NFSv3's (nfs3_stats_name). */
static void nfs3_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	bool errors = strcmp(name, "ferry_nfs3_errors_total") == 0;
	for (uint32_t p = 0; p < NFS3_STATS_PROCS; p++) {
		if (!sc->nfs3[p].calls)
			continue;
		ctl_text_printf(t, "%s{proc=\"%s\"} %llu\n", name, nfs3_stats_name(p),
				(unsigned long long)(errors ? sc->nfs3[p].errors
							    : sc->nfs3[p].calls));
	}
}

/* ferry_nfs3_call_duration_seconds: a histogram per procedure called. */
static void nfs3_duration_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (uint32_t p = 0; p < NFS3_STATS_PROCS; p++) {
		const struct nfs3_proc_stats *o = &sc->nfs3[p];
		if (!o->calls)
			continue;
		char labels[96];
		snprintf(labels, sizeof(labels), "proc=\"%s\"", nfs3_stats_name(p));
		latency_histogram(t, name, labels, o->lat, NFS3_LAT_BUCKETS, nfs3_lat_bound_ns,
				  o->calls, o->ns);
	}
}

/* A bounded set of series however many sessions there are. */
static void slots_in_use_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	unsigned lo = 0;
	for (unsigned b = 0; b <= STATE_SLOT_BUCKETS; b++) {
		char range[32];
		if (b == STATE_SLOT_BUCKETS)
			snprintf(range, sizeof(range), "%u+", lo);
		else if (lo == state_slot_bucket_bounds[b])
			snprintf(range, sizeof(range), "%u", lo);
		else
			snprintf(range, sizeof(range), "%u-%u", lo, state_slot_bucket_bounds[b]);
		ctl_text_printf(t, "%s{slots=\"%s\"} %u\n", name, range,
				sc->census.slots_in_use_hist[b]);
		if (b < STATE_SLOT_BUCKETS)
			lo = state_slot_bucket_bounds[b] + 1;
	}
}

static void cap_hits_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (unsigned k = 0; k < STATE_CAP_KINDS; k++)
		ctl_text_printf(t, "%s{cap=\"%s\"} %llu\n", name, state_cap_names[k],
				(unsigned long long)sc->state.cap_hits[k]);
}

static void nlm_calls_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (uint32_t p = 0; p <= NLMPROC4_MAX; p++)
		if (strcmp(nlm4_proc_name(p), "?") != 0)
			ctl_text_printf(t, "%s{proc=\"%s\"} %llu\n", name, nlm4_proc_name(p),
					(unsigned long long)sc->nlm.calls[p]);
}

static void nlm_results_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (uint32_t r = 0; r <= NLM4_FAILED; r++)
		ctl_text_printf(t, "%s{stat=\"%s\"} %llu\n", name, nlm4_stat_name(r),
				(unsigned long long)sc->nlm.results[r]);
}

static void callbacks_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (unsigned k = 0; k < CB_KINDS; k++) {
		const struct cb_counts *c = &sc->cb.by_kind[k];
		const char *op = cb_kind_name(k);
		ctl_text_printf(t, "%s{op=\"%s\",result=\"ok\"} %llu\n", name, op,
				(unsigned long long)(c->total - c->failures));
		ctl_text_printf(t, "%s{op=\"%s\",result=\"failed\"} %llu\n", name, op,
				(unsigned long long)c->failures);
	}
}

static void callback_retries_series(struct ctl_text *t, const char *name,
				    const struct scrape *sc)
{
	for (unsigned k = 0; k < CB_KINDS; k++)
		ctl_text_printf(t, "%s{op=\"%s\"} %llu\n", name, cb_kind_name(k),
				(unsigned long long)sc->cb.by_kind[k].retries);
}

static void callback_duration_series(struct ctl_text *t, const char *name,
				     const struct scrape *sc)
{
	static const uint64_t bounds_ms[CB_DURATION_BUCKETS - 1] =
		CB_DURATION_BOUNDS_MS;
	for (unsigned k = 0; k < CB_KINDS; k++) {
		const struct cb_counts *c = &sc->cb.by_kind[k];
		const char *op = cb_kind_name(k);
		uint64_t cum = 0;
		for (unsigned b = 0; b + 1 < CB_DURATION_BUCKETS; b++) {
			cum += c->duration_hist[b];
			ctl_text_printf(t, "%s_bucket{op=\"%s\",le=\"%.3g\"} %llu\n", name, op,
					(double)bounds_ms[b] / 1000, (unsigned long long)cum);
		}
		ctl_text_printf(t, "%s_bucket{op=\"%s\",le=\"+Inf\"} %llu\n", name, op,
				(unsigned long long)c->total);
		ctl_text_printf(t, "%s_sum{op=\"%s\"} %.3f\n", name, op,
				(double)c->duration_ms_sum / 1000);
		ctl_text_printf(t, "%s_count{op=\"%s\"} %llu\n", name, op,
				(unsigned long long)c->total);
	}
}

static void notify_changes_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s_sum %llu\n", name, (unsigned long long)sc->dirdeleg.changes);
	ctl_text_printf(t, "%s_count %llu\n", name, (unsigned long long)sc->dirdeleg.notifies);
}

static void notify_bytes_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s_sum %llu\n", name, (unsigned long long)sc->dirdeleg.notify_bytes);
	ctl_text_printf(t, "%s_count %llu\n", name, (unsigned long long)sc->dirdeleg.notifies);
}

/* Directory recalls by cause; "conflict" is the rest (a change the holder
 * is not told of, or one no notification describes). */
static void dir_recalls_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	const struct state_dirdeleg_stats *d = &sc->dirdeleg;
	uint64_t named = d->overflows + d->notify_failures + d->slow;
	uint64_t conflict = d->recalled > named ? d->recalled - named : 0;
	ctl_text_printf(t, "%s{cause=\"overflow\"} %llu\n", name, (unsigned long long)d->overflows);
	ctl_text_printf(t, "%s{cause=\"notify_failed\"} %llu\n", name,
			(unsigned long long)d->notify_failures);
	ctl_text_printf(t, "%s{cause=\"slow_holder\"} %llu\n", name, (unsigned long long)d->slow);
	ctl_text_printf(t, "%s{cause=\"conflict\"} %llu\n", name, (unsigned long long)conflict);
}

static void dir_delay_seconds_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s %.3f\n", name, (double)sc->dirdeleg.delay_ms / 1000);
}

static void durable_wait_seconds_series(struct ctl_text *t, const char *name,
				       const struct scrape *sc)
{
	ctl_text_printf(t, "%s %.6f\n", name, (double)sc->durable.wait_ns / 1e9);
}

static void cpu_seconds_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s %.6f\n", name, sc->cpu_s);
}

static void start_time_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	ctl_text_printf(t, "%s %.3f\n", name, sc->start_s);
}

/* Series per export of the back ends' own state.  A pseudo path is a
 * label value as it is: the configuration refuses quotes and backslashes
 * nowhere, so they are escaped as the text format asks. */
static void storage_label(struct ctl_text *t, const char *name, const struct scrape_storage *x)
{
	ctl_text_printf(t, "%s{export=\"", name);
	for (const char *c = x->export; *c; c++) {
		if (*c == '"' || *c == '\\')
			ctl_text_printf(t, "\\%c", *c);
		else if (*c == '\n')
			ctl_text_printf(t, "\\n");
		else
			ctl_text_printf(t, "%c", *c);
	}
	ctl_text_printf(t, "\",backend=\"%s\"", x->backend);
}

static void storage_connected_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	for (unsigned i = 0; i < sc->nstorage; i++) {
		storage_label(t, name, &sc->storage[i]);
		ctl_text_printf(t, "} %d\n", sc->storage[i].st.connected ? 1 : 0);
	}
}

/* A figure of every export's storage status, left out where it is
 * unknown (negative). */
static void storage_figure_series(struct ctl_text *t, const char *name, const struct scrape *sc,
				  int64_t (*figure)(const struct backend_status *))
{
	for (unsigned i = 0; i < sc->nstorage; i++) {
		int64_t v = figure(&sc->storage[i].st);
		if (v >= 0) {
			storage_label(t, name, &sc->storage[i]);
			ctl_text_printf(t, "} %lld\n", (long long)v);
		}
	}
}

static int64_t storage_caps(const struct backend_status *st)
{
	return st->caps;
}

static int64_t storage_inodes(const struct backend_status *st)
{
	return st->inodes;
}

static int64_t storage_write_inflight(const struct backend_status *st)
{
	return st->write_inflight_bytes;
}

static int64_t storage_write_settles(const struct backend_status *st)
{
	return (int64_t)st->write_settles;
}

static int64_t storage_write_settle_waits(const struct backend_status *st)
{
	return (int64_t)st->write_settle_waits;
}

static int64_t storage_read_cache_hits(const struct backend_status *st)
{
	return (int64_t)st->read_cache_hits;
}

static int64_t storage_read_cache_fills(const struct backend_status *st)
{
	return (int64_t)st->read_cache_fills;
}

static int64_t storage_read_cache_recalls(const struct backend_status *st)
{
	return (int64_t)st->read_cache_recalls;
}

static void storage_read_cache_hits_series(struct ctl_text *t, const char *name,
					   const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_read_cache_hits);
}

static void storage_read_cache_fills_series(struct ctl_text *t, const char *name,
					    const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_read_cache_fills);
}

static void storage_read_cache_recalls_series(struct ctl_text *t, const char *name,
					      const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_read_cache_recalls);
}

static void storage_caps_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_caps);
}

static void storage_inodes_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_inodes);
}

static void storage_write_inflight_series(struct ctl_text *t, const char *name,
					  const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_write_inflight);
}

static void storage_write_settles_series(struct ctl_text *t, const char *name,
					 const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_write_settles);
}

static void storage_write_settle_waits_series(struct ctl_text *t, const char *name,
					      const struct scrape *sc)
{
	storage_figure_series(t, name, sc, storage_write_settle_waits);
}

enum storage_call_value { STORAGE_CALLS, STORAGE_ERRORS, STORAGE_SECONDS };

static void storage_calls(struct ctl_text *t, const char *name, const struct scrape *sc,
			  enum storage_call_value what)
{
	for (unsigned i = 0; i < sc->nstorage; i++) {
		const struct backend_status *st = &sc->storage[i].st;
		for (unsigned k = 0; k < st->ncalls; k++) {
			const struct backend_call_stats *c = &st->calls[k];
			storage_label(t, name, &sc->storage[i]);
			if (what == STORAGE_SECONDS)
				ctl_text_printf(t, ",call=\"%s\"} %.6f\n", c->name,
						(double)c->ns / 1e9);
			else
				ctl_text_printf(t, ",call=\"%s\"} %llu\n", c->name,
						(unsigned long long)(what == STORAGE_CALLS ? c->calls
											  : c->errors));
		}
	}
}

static void storage_calls_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	storage_calls(t, name, sc, STORAGE_CALLS);
}

static void storage_errors_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	storage_calls(t, name, sc, STORAGE_ERRORS);
}

static void storage_seconds_series(struct ctl_text *t, const char *name, const struct scrape *sc)
{
	storage_calls(t, name, sc, STORAGE_SECONDS);
}

/* --- the families, in the order /metrics lists them --------------------------------- */

static const struct metric_family families[] = {
	{"ferry_build_info", "gauge", "Ferry's version (the value is always 1).",
	 .series = build_info_series},

	/* RPC */
	{"ferry_rpc_calls_total", "counter", "RPC calls received.", VALUE(rpc.calls)},
	{"ferry_rpc_errors_total", "counter",
	 "RPC calls answered with an error instead of results, by kind.",
	 .series = rpc_errors_series},
	{"ferry_rpc_requests_in_flight", "gauge", "RPC requests being served.",
	 VALUE(rpc.inflight)},
	{"ferry_rpc_memory_bytes", "gauge",
	 "Bytes of requests being served and replies built or queued, counted against "
	 "inflight_memory_mb.",
	 VALUE(rpc.memory)},
	{"ferry_rpc_memory_refusals_total", "counter",
	 "Large replies refused as busy (NFS4ERR_DELAY) for a memory budget.",
	 VALUE(rpc.memory_refusals)},
	{"ferry_rpc_memory_waits_total", "counter",
	 "Large replies that waited for their client to read earlier ones "
	 "(inflight_memory_per_conn_mb).",
	 VALUE(rpc.memory_waits)},
	{"ferry_rpc_memory_trims_total", "counter",
	 "Times free memory was given back to the system after a burst.",
	 VALUE(rpc.memory_trims)},
	{"ferry_rpc_spliced_reply_bytes_total", "counter",
	 "READ data sent from the file's pages through a pipe, never copied through "
	 "ferryd's memory.",
	 VALUE(rpc.spliced_reply_bytes)},
	{"ferry_rpc_mapped_reply_bytes_total", "counter",
	 "READ data the kernel copied into the socket from a mapping of the file "
	 "(map_reads), never read into ferryd's memory first.",
	 VALUE(rpc.mapped_reply_bytes)},
	{"ferry_rpc_pipes", "gauge", "Pipes open for spliced I/O (in use and idle).",
	 VALUE(rpc.pipes_open)},
	{"ferry_rpc_pipes_refused_total", "counter",
	 "Large I/O copied instead of spliced: every pipe (splice_pipes) was in use.",
	 VALUE(rpc.pipes_refused)},
	{"ferry_rpc_connections", "gauge", "Open client connections.",
	 VALUE(rpc.connections_open)},
	{"ferry_rpc_connections_accepted_total", "counter", "Client connections accepted.",
	 VALUE(rpc.connections_accepted)},
	{"ferry_rpc_connections_refused_total", "counter",
	 "Client connections closed at accept for a limit: max_connections (total) or "
	 "max_connections_per_client (per_client).",
	 .label = "reason",
	 .labels = (const struct metric_label[]){{"total", VALUE(rpc.connections_refused_total)},
						 {"per_client",
						  VALUE(rpc.connections_refused_per_client)},
						 {NULL, 0, 0}}},
	{"ferry_rpc_bad_records_total", "counter",
	 "Connections closed for a malformed record stream.", VALUE(rpc.bad_records)},
	{"ferry_rpc_splice_in_bytes_total", "counter",
	 "Call payload bytes (WRITE data) moved from sockets into pipes without a copy.",
	 VALUE(rpc.splice_in_bytes)},
	{"ferry_rpc_splice_in_fallbacks_total", "counter",
	 "Large calls read into memory for want of a free pipe, or after a failed splice.",
	 VALUE(rpc.splice_in_fallbacks)},
	{"ferry_rpc_worker_handoffs_total", "counter",
	 "Requests an event loop handed to the worker pool (operations that may block).",
	 VALUE(rpc.worker_handoffs)},
	{"ferry_rpc_remote_handoffs_total", "counter",
	 "Requests an event loop handed to the remote pool (changes of names and attributes "
	 "a back end makes by asking a metadata server: CephFS).",
	 VALUE(rpc.remote_handoffs)},
	{"ferry_rpc_replies_received_total", "counter",
	 "Replies received to calls the server made (callbacks).", VALUE(rpc.replies_received)},

	/* NFS operations */
	{"ferry_nfs_ops_total", "counter",
	 "NFSv4 operations served, by operation and minor version.", .series = op_counts_series},
	{"ferry_nfs_op_errors_total", "counter",
	 "NFSv4 operations that ended with an error status.", .series = op_counts_series},
	{"ferry_nfs_op_duration_seconds", "histogram", "Time spent serving NFSv4 operations.",
	 .series = op_duration_series},

	/* sessions, clients, state */
	{"ferry_sequence_total", "counter", "SEQUENCE operations received.",
	 VALUE(sessions.sequence_total)},
	/* The last four refuse the request after the slot was checked. */
	{"ferry_sequence_errors_total", "counter",
	 "NFSv4.1 requests refused by the session layer, by error.", .label = "kind",
	 .labels = (const struct metric_label[]){
		 {"bad_session", VALUE(sessions.err_bad_session)},
		 {"badslot", VALUE(sessions.err_badslot)},
		 {"seq_misordered", VALUE(sessions.err_seq_misordered)},
		 {"slot_busy", VALUE(sessions.err_slot_busy)},
		 {"false_retry", VALUE(sessions.err_false_retry)},
		 {"retry_uncached", VALUE(sessions.err_uncached)},
		 {"too_many_ops", VALUE(sessions.err_too_many_ops)},
		 {"req_too_big", VALUE(sessions.err_req_too_big)},
		 {"rep_too_big", VALUE(reply_limits.rep_too_big)},
		 {"rep_too_big_to_cache", VALUE(reply_limits.rep_too_big_to_cache)},
		 {NULL, 0, 0}}},
	{"ferry_nfs_slow_export_deferrals_total", "counter",
	 "Name and attribute operations sent to the worker pool because their export's back "
	 "end was answering slowly.",
	 VALUE(stall_deferrals)},
	{"ferry_nfs_inline_deferrals_total", "counter",
	 "READs tried on an event loop whose data was not in memory, sent to the worker pool.",
	 VALUE(inline_deferrals)},
	{"ferry_nfs_durable_flushes_total", "counter",
	 "Flushes that made changes to names and metadata stable before their replies; "
	 "each serves every request waiting when it starts.",
	 VALUE(durable.flushes)},
	{"ferry_nfs_durable_waits_total", "counter",
	 "Requests whose reply waited for its changes to be made stable.",
	 VALUE(durable.waits)},
	{"ferry_nfs_durable_objects_total", "counter",
	 "Objects handed to the back end's flushes (each once per flush, however many changes it "
	 "had; on a journaling file system a new object rides on its directory's flush).",
	 VALUE(durable.objects)},
	{"ferry_nfs_durable_errors_total", "counter",
	 "Flushes that failed (their requests answered NFS4ERR_IO).", VALUE(durable.errors)},
	{"ferry_nfs_durable_wait_seconds_total", "counter",
	 "Time replies waited for their changes to be made stable, in all.",
	 .series = durable_wait_seconds_series},
	{"ferry_sequence_replay_hits_total", "counter",
	 "Retransmitted requests answered from a slot's reply cache.",
	 VALUE(sessions.replay_hits)},
	{"ferry_reply_cache_bytes", "gauge", "Bytes of replies kept in session slots for replays.",
	 VALUE(sessions.cache_bytes)},
	{"ferry_sessions", "gauge", "NFSv4.1 sessions.", VALUE(sessions.sessions)},
	{"ferry_slots_in_use", "gauge", "Session slots with a request being served, all sessions.",
	 VALUE(sessions.slots_in_use)},
	{"ferry_sessions_by_slots_in_use", "gauge",
	 "Sessions by how many of their slots are in use (range of slots).",
	 .series = slots_in_use_series},
	{"ferry_session_target_highest_slotid_min", "gauge",
	 "The lowest target_highest_slotid SEQUENCE last returned on any session (low: "
	 "reply-cache pressure).",
	 VALUE(census.target_highest_slotid_min)},
	{"ferry_session_target_highest_slotid_max", "gauge",
	 "The highest target_highest_slotid SEQUENCE last returned on any session.",
	 VALUE(census.target_highest_slotid_max)},
	{"ferry_clients", "gauge", "Confirmed clients by NFSv4 minor version.", .label = "minor",
	 .labels = (const struct metric_label[]){{"0", VALUE(census.clients_by_minor[0])},
						 {"1", VALUE(census.clients_by_minor[1])},
						 {"2", VALUE(census.clients_by_minor[2])},
						 {NULL, 0, 0}}},
	{"ferry_clients_unconfirmed", "gauge", "Clients not yet confirmed.",
	 VALUE(census.clients_unconfirmed)},
	{"ferry_sessions_back_channel", "gauge",
	 "Sessions by back-channel state (none: the client asked for none).", .label = "state",
	 .labels = (const struct metric_label[]){{"none", VALUE(census.sessions_back[0])},
						 {"up", VALUE(census.sessions_back[1])},
						 {"down", VALUE(census.sessions_back[2])},
						 {"unknown", VALUE(census.sessions_back[3])},
						 {NULL, 0, 0}}},
	{"ferry_grace", "gauge", "1 while the grace period after a restart lasts.",
	 VALUE(state.in_grace)},
	{"ferry_state_cap_hits_total", "counter",
	 "Requests refused because a cap on client state was reached ([nfs] max_*), by cap.",
	 .series = cap_hits_series},
	{"ferry_state_owners", "gauge", "Open and lock owners.", VALUE(state.owners)},
	{"ferry_state_opens", "gauge", "Open files (open stateids).", VALUE(state.opens)},
	{"ferry_state_locks", "gauge", "Byte-range locks held.", VALUE(state.locks)},
	{"ferry_state_memory_bytes", "gauge",
	 "Client state (clients, owners, opens, locks, delegations) as the memory budget counts it.",
	 VALUE(state.memory_bytes)},
	{"ferry_state_memory_budget_bytes", "gauge",
	 "The budget for it ([nfs] state_memory_mb; 0: none).", VALUE(state.memory_budget)},
	{"ferry_state_dying_states", "gauge",
	 "Opens and lock states of clients that went, still being freed (a slice at a time).",
	 VALUE(state.dying_states)},

	/* NLM v4 (nlm/nlm.h) and its locks in the state module */
	{"ferry_nlm_calls_total", "counter", "NLM v4 calls received, by procedure.",
	 .series = nlm_calls_series, .needs = NEEDS_NLM},
	{"ferry_nlm_results_total", "counter", "NLM v4 results answered, by nlm4_stats.",
	 .series = nlm_results_series, .needs = NEEDS_NLM},
	{"ferry_nlm_garbage_args_total", "counter", "NLM calls whose arguments did not decode.",
	 VALUE(nlm.garbage), .needs = NEEDS_NLM},
	{"ferry_nlm_granted_callbacks_total", "counter",
	 "GRANTED calls to clients' lock managers for blocked locks, by outcome (refused and "
	 "failed ones released the lock).",
	 .label = "result", .needs = NEEDS_NLM,
	 .labels = (const struct metric_label[]){{"ok", VALUE(nlm.granted_sent)},
						 {"refused", VALUE(nlm.granted_refused)},
						 {"failed", VALUE(nlm.granted_failed)},
						 {NULL, 0, 0}}},
	{"ferry_nlm_res_callbacks_total", "counter",
	 "_RES calls answering clients' _MSG calls, by outcome.", .label = "result",
	 .needs = NEEDS_NLM,
	 .labels = (const struct metric_label[]){{"ok", VALUE(nlm.res_sent)},
						 {"failed", VALUE(nlm.res_failed)},
						 {NULL, 0, 0}}},
	{"ferry_nlm_nsm_calls_total", "counter",
	 "Calls to the local rpc.statd, by procedure (failed: not answered or refused).",
	 .label = "proc", .needs = NEEDS_NLM,
	 .labels = (const struct metric_label[]){{"SM_MON", VALUE(nlm.sm_mon)},
						 {"SM_UNMON", VALUE(nlm.sm_unmon)},
						 {"failed", VALUE(nlm.nsm_failed)},
						 {NULL, 0, 0}}},
	{"ferry_nlm_host_reboots_total", "counter",
	 "Reboots of NLM hosts statd told of (their locks were released).", VALUE(nlm.reboots),
	 .needs = NEEDS_NLM},
	{"ferry_nlm_free_all_total", "counter", "FREE_ALL calls received.", VALUE(nlm.free_all),
	 .needs = NEEDS_NLM},
	{"ferry_nlm_udp_calls_total", "counter", "NLM calls served over UDP.",
	 VALUE(nlm.udp_calls), .needs = NEEDS_NLM},
	{"ferry_nlm_udp_dropped_total", "counter",
	 "Datagrams to NLM's UDP sockets dropped (not calls, or not decoded).",
	 VALUE(nlm.udp_bad), .needs = NEEDS_NLM},
	{"ferry_nlm_hosts", "gauge", "NLM hosts holding locks, shares or blocked requests.",
	 VALUE(nlm_state.hosts), .needs = NEEDS_NLM},
	{"ferry_nlm_locks", "gauge", "Byte-range locks held by NLM hosts (also in ferry_state_locks).",
	 VALUE(nlm_state.locks), .needs = NEEDS_NLM},
	{"ferry_nlm_blocked", "gauge", "Blocked NLM LOCK requests waiting for their range.",
	 VALUE(nlm_state.blocked), .needs = NEEDS_NLM},
	{"ferry_nlm_shares", "gauge", "NLM share reservations (SHARE).", VALUE(nlm_state.shares),
	 .needs = NEEDS_NLM},
	{"ferry_nlm_granted_later_total", "counter",
	 "Blocked NLM LOCKs granted once the locks in their way went.",
	 VALUE(nlm_state.granted_later), .needs = NEEDS_NLM},

	/* the v4.0 duplicate request cache (rpc/drc.h) */
	{"ferry_v40_reply_cache_hits_total", "counter",
	 "NFSv4.0 retransmissions answered from the duplicate request cache.", VALUE(drc40.hits),
	 .needs = NEEDS_DRC40},
	{"ferry_v40_reply_cache_dropped_total", "counter",
	 "NFSv4.0 retransmissions dropped while their original still ran.",
	 VALUE(drc40.dropped), .needs = NEEDS_DRC40},
	{"ferry_v40_reply_cache_entries", "gauge", "NFSv4.0 replies kept for retransmissions.",
	 VALUE(drc40.entries), .needs = NEEDS_DRC40},
	{"ferry_v40_reply_cache_bytes", "gauge",
	 "Bytes of the NFSv4.0 replies kept for retransmissions.", VALUE(drc40.bytes),
	 .needs = NEEDS_DRC40},

	/* NFSv3 (nfs3/nfs3.h) */
	{"ferry_nfs3_calls_total", "counter", "NFSv3 calls served, by procedure (NFSACL's ACL_NULL, GETACL and SETACL too).",
	 .series = nfs3_series, .needs = NEEDS_NFS3},
	{"ferry_nfs3_errors_total", "counter",
	 "NFSv3 and NFSACL calls whose result was not NFS3_OK, by procedure.", .series = nfs3_series,
	 .needs = NEEDS_NFS3},
	{"ferry_nfs3_call_duration_seconds", "histogram",
	 "Time NFSv3 and NFSACL calls took, arguments decoded and results encoded (waits for the committer "
	 "included), by procedure.",
	 .series = nfs3_duration_series, .needs = NEEDS_NFS3},
	{"ferry_nfs3_drc_hits_total", "counter",
	 "NFSv3 retransmissions answered from the duplicate request cache.",
	 VALUE(nfs3_drc.hits), .needs = NEEDS_NFS3},
	{"ferry_nfs3_drc_dropped_total", "counter",
	 "NFSv3 retransmissions dropped while their original still ran.", VALUE(nfs3_drc.drops),
	 .needs = NEEDS_NFS3},
	{"ferry_nfs3_drc_entries", "gauge", "NFSv3 replies kept for retransmissions.",
	 VALUE(nfs3_drc.entries), .needs = NEEDS_NFS3},
	{"ferry_nfs3_jukebox_total", "counter",
	 "NFSv3 calls answered NFS3ERR_JUKEBOX while an NFSv4 delegation was recalled.",
	 VALUE(nfs3_jukebox), .needs = NEEDS_NFS3},

	/* callbacks (the engine's counters, by what they carried) and delegations */
	{"ferry_callbacks_total", "counter",
	 "Callbacks ended, by operation and outcome (failed: undeliverable after every retry).",
	 .series = callbacks_series},
	{"ferry_callback_retries_total", "counter",
	 "Callback sends after a callback's first, by operation.",
	 .series = callback_retries_series},
	{"ferry_callback_duration_seconds", "histogram",
	 "Time from queueing a callback to its end, by operation.",
	 .series = callback_duration_series},
	{"ferry_callbacks_pending", "gauge", "Callbacks queued and not ended yet.",
	 VALUE(cb.pending)},
	{"ferry_delegations_granted_total", "counter", "File delegations granted.",
	 VALUE(deleg.granted)},
	{"ferry_delegations_recalled_total", "counter", "File delegations recalled.",
	 VALUE(deleg.recalled)},
	{"ferry_delegations_revoked_total", "counter",
	 "File delegations revoked (not returned after a recall, or undeliverable).",
	 VALUE(deleg.revoked)},
	{"ferry_delegations_active", "gauge", "File delegations held now.", VALUE(deleg.active)},
	{"ferry_dir_delegations_granted_total", "counter", "Directory delegations granted.",
	 VALUE(dirdeleg.granted)},
	{"ferry_dir_delegations_recalled_total", "counter",
	 "Directory delegations recalled (overflows included).", VALUE(dirdeleg.recalled)},
	{"ferry_dir_delegations_revoked_total", "counter",
	 "Directory delegations revoked (not returned after a recall, or undeliverable).",
	 VALUE(dirdeleg.revoked)},
	{"ferry_dir_delegations_active", "gauge", "Directory delegations held now.",
	 VALUE(dirdeleg.active)},
	{"ferry_dir_delegation_overflows_total", "counter",
	 "Directory delegations recalled because their holder fell too far behind.",
	 VALUE(dirdeleg.overflows)},
	{"ferry_dir_delegation_indexed_dirs", "gauge",
	 "Delegated directories whose entries are indexed for child-attribute notifications.",
	 VALUE(indexed_dirs)},
	{"ferry_dir_delegation_indexed_entries", "gauge",
	 "Entries of those directories held in the index.", VALUE(indexed_entries)},
	{"ferry_dir_notify_changes", "summary",
	 "Changes carried per CB_NOTIFY (count: CB_NOTIFYs queued).",
	 .series = notify_changes_series},
	{"ferry_dir_notify_bytes", "summary",
	 "Bytes of the changes carried per CB_NOTIFY (count: CB_NOTIFYs queued).",
	 .series = notify_bytes_series},
	{"ferry_dir_delegation_recalls_total", "counter",
	 "Directory delegations recalled, by cause (overflow: too many changes waiting; "
	 "notify_failed: a CB_NOTIFY answered with an error; slow_holder: a change kept waiting "
	 "dir_notify_slow_ms; conflict: a change the holder is not told of).",
	 .series = dir_recalls_series},
	{"ferry_dir_delegation_delays_total", "counter",
	 "NFS4ERR_DELAY answers to changes in a directory whose delegation was being recalled.",
	 VALUE(dirdeleg.delays)},
	{"ferry_dir_delegation_delay_seconds_total", "counter",
	 "Time from the first such NFS4ERR_DELAY to the end of the recalled delegation, summed.",
	 .series = dir_delay_seconds_series},

	/* server-side COPY (nfs4/copy/copy.h) */
	{"ferry_copies_started_total", "counter",
	 "Server-side COPYs started, by how (sync: answered when done; async: answered at "
	 "once, the result by CB_OFFLOAD).",
	 .label = "mode",
	 .labels = (const struct metric_label[]){{"sync", VALUE(copies.sync_total)},
						 {"async", VALUE(copies.async_total)},
						 {NULL, 0, 0}},
	 .needs = NEEDS_COPIES},
	{"ferry_copies_ended_total", "counter",
	 "Server-side COPYs ended, by outcome (cancelled: OFFLOAD_CANCEL, the client gone or "
	 "the server stopping).",
	 .label = "result",
	 .labels = (const struct metric_label[]){{"completed", VALUE(copies.completed)},
						 {"failed", VALUE(copies.failed)},
						 {"cancelled", VALUE(copies.cancelled)},
						 {NULL, 0, 0}},
	 .needs = NEEDS_COPIES},
	{"ferry_copy_bytes_total", "counter", "Bytes copied by server-side COPYs.",
	 VALUE(copies.bytes), .needs = NEEDS_COPIES},
	{"ferry_copies_no_reqs_total", "counter",
	 "COPYs refused with NFS4ERR_OFFLOAD_NO_REQS (too long to copy synchronously).",
	 VALUE(copies.no_reqs), .needs = NEEDS_COPIES},
	{"ferry_copy_offload_undelivered_total", "counter",
	 "Asynchronous copies whose CB_OFFLOAD could not be delivered (the result waits for "
	 "OFFLOAD_STATUS).",
	 VALUE(copies.cb_failed), .needs = NEEDS_COPIES},
	{"ferry_copies_running", "gauge", "Asynchronous copies queued or copying.",
	 VALUE(copies.running), .needs = NEEDS_COPIES},
	{"ferry_copies_kept", "gauge",
	 "Asynchronous copies whose state is kept (running, or the result not yet learned by "
	 "the client).",
	 VALUE(copies.kept), .needs = NEEDS_COPIES},

	/* the process */
	{"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	 VALUE(rss_bytes)},
	{"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
	 VALUE(vsize_bytes)},
	{"process_open_fds", "gauge", "Open file descriptors.", VALUE(open_fds)},
	{"process_max_fds", "gauge", "Limit on open file descriptors.", VALUE(max_fds),
	 .needs = NEEDS_MAX_FDS},
	{"process_cpu_seconds_total", "counter", "User and system CPU time in seconds.",
	 .series = cpu_seconds_series},
	/* Back ends with a storage of their own (ceph) */
	{"ferry_backend_connected", "gauge",
	 "Whether an export's back end reaches its storage (1) or lost its session (0).",
	 .series = storage_connected_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_caps", "gauge",
	 "Capabilities an export's CephFS client holds, as its MDS sessions report them.",
	 .series = storage_caps_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_inodes", "gauge", "Inodes an export's CephFS client keeps in its cache.",
	 .series = storage_inodes_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_write_inflight_bytes", "gauge",
	 "WRITE data an export's CephFS client has sent towards its OSDs and not yet seen answered.",
	 .series = storage_write_inflight_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_write_settles_total", "counter",
	 "Syncs an export's back end made to bound the WRITE data not yet on its storage.",
	 .series = storage_write_settles_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_write_settle_waits_total", "counter",
	 "WRITEs that waited for such a sync to end.",
	 .series = storage_write_settle_waits_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_read_cache_hits_total", "counter",
	 "READs an export's back end served from its own read cache (ceph).",
	 .series = storage_read_cache_hits_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_read_cache_fills_total", "counter",
	 "Chunks of file data an export's back end read into its read cache (ceph).",
	 .series = storage_read_cache_fills_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_read_cache_recalls_total", "counter",
	 "Files whose cached data another client of the storage made the read cache drop (ceph).",
	 .series = storage_read_cache_recalls_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_calls_total", "counter",
	 "Calls an export's back end made to its storage, by call.",
	 .series = storage_calls_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_call_errors_total", "counter",
	 "Calls an export's back end made to its storage that returned an error, by call.",
	 .series = storage_errors_series, .needs = NEEDS_STORAGE},
	{"ferry_backend_call_seconds_total", "counter",
	 "Time an export's back end spent in calls to its storage, by call.",
	 .series = storage_seconds_series, .needs = NEEDS_STORAGE},

	{"process_start_time_seconds", "gauge",
	 "Start time of the process since the Unix epoch in seconds.",
	 .series = start_time_series},
};

/* --- reading ------------------------------------------------------------------------- */

static void scrape_process(struct ctl_server *cs, struct scrape *sc)
{
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	unsigned long long vsize = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &vsize, &rss) != 2)
			vsize = rss = 0;
		fclose(f);
	}
	sc->rss_bytes = rss * page;
	sc->vsize_bytes = vsize * page;
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
	sc->open_fds = fds;
	struct rlimit rl;
	sc->has_max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0;
	sc->max_fds = sc->has_max_fds ? rl.rlim_cur : 0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	sc->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	sc->start_s = (double)cs->start_realtime_ms / 1000.0;
}

static void scrape_read(struct ctl_server *cs, struct scrape *sc)
{
	struct nfs4_server *nfs = cs->ctx.nfs;
	memset(sc, 0, sizeof(*sc));
	rpc_server_get_stats(cs->ctx.rpc, &sc->rpc);
	nfs4_op_stats_read(sc->ops);
	state_get_session_stats(nfs->state, &sc->sessions);
	nfs4_reply_limit_stats_read(&sc->reply_limits);
	sc->stall_deferrals = export_stall_deferrals();
	sc->inline_deferrals = nfs4_inline_deferrals();
	export_durable_stats_read(nfs->durable, &sc->durable);
	state_census(nfs->state, &sc->census);
	state_get_stats(nfs->state, &sc->state);
	sc->has_drc40 = nfs->drc40 != NULL;
	if (sc->has_drc40)
		rpc_drc_stats(nfs->drc40, &sc->drc40);
	struct nfs3_server *v3 = cs->ctx.nfs3;
	sc->has_nfs3 = v3 != NULL;
	if (v3) {
		nfs3_stats_read(v3, sc->nfs3);
		nfs3_drc_stats_read(v3, &sc->nfs3_drc);
		sc->nfs3_jukebox = atomic_load(&v3->jukebox);
	}
	cb_get_stats(nfs->cb, &sc->cb);
	state_deleg_get_stats(nfs->state, &sc->deleg);
	state_dirdeleg_get_stats(nfs->state, &sc->dirdeleg);
	nfs4_dirdeleg_children_count(nfs, &sc->indexed_dirs, &sc->indexed_entries);
	sc->has_copies = nfs->copies != NULL;
	if (sc->has_copies)
		nfs4_copy_get_stats(nfs, &sc->copies);
	sc->has_nlm = cs->ctx.nlm != NULL;
	if (sc->has_nlm) {
		nlm_get_stats(cs->ctx.nlm, &sc->nlm);
		state_nlm_get_stats(nfs->state, &sc->nlm_state);
	}
	scrape_process(cs, sc);
	const struct exports *exps = &nfs->exports;
	for (unsigned i = 0; i < exports_slots_used(exps) && sc->nstorage < CONFIG_MAX_EXPORTS; i++) {
		const struct export *e = exports_at(exps, i);
		if (!e)
			continue;
		if (!e->ops || !e->ops->status)
			continue;
		struct scrape_storage *x = &sc->storage[sc->nstorage++];
		x->export = e->pseudo;
		x->backend = e->ops->name;
		e->ops->status(e->bex, &x->st);
	}
}

void ctl_metric_head(struct ctl_text *t, const char *name, const char *type, const char *help)
{
	ctl_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ctl_metric_series(struct ctl_text *t, const char *name, const char *label, const char *value,
		       uint64_t v)
{
	if (label)
		ctl_text_printf(t, "%s{%s=\"%s\"} %llu\n", name, label, value,
				(unsigned long long)v);
	else
		ctl_text_printf(t, "%s %llu\n", name, (unsigned long long)v);
}

void ctl_metric_value(struct ctl_text *t, const char *name, const char *type, const char *help,
		      uint64_t v)
{
	ctl_metric_head(t, name, type, help);
	ctl_metric_series(t, name, NULL, NULL, v);
}

void ctl_metric_labelled(struct ctl_text *t, const char *name, const char *type, const char *help,
			 const char *label, const struct ctl_series *series, size_t n)
{
	ctl_metric_head(t, name, type, help);
	for (size_t i = 0; i < n; i++)
		ctl_metric_series(t, name, label, series[i].value, series[i].v);
}

static bool family_present(const struct metric_family *f, const struct scrape *sc)
{
	switch (f->needs) {
	case NEEDS_DRC40:
		return sc->has_drc40;
	case NEEDS_COPIES:
		return sc->has_copies;
	case NEEDS_MAX_FDS:
		return sc->has_max_fds;
	case NEEDS_STORAGE:
		return sc->nstorage > 0;
	case NEEDS_NLM:
		return sc->has_nlm;
	case NEEDS_NFS3:
		return sc->has_nfs3;
	case NEEDS_NOTHING:
		break;
	}
	return true;
}

/* In-place upgrades: done ones counted from ferryd to ferryd, failed ones
 * (this ferryd served on) in this process. */
static void upgrade_metrics(struct ctl_server *cs, struct ctl_text *out)
{
	const struct ctl_upgrade_stats *u = cs->ctx.upgrade_stats;
	if (!u)
		return;
	struct ctl_series s[] = {{"done", atomic_load(&u->done)},
				 {"failed", atomic_load(&u->failed)}};
	ctl_metric_labelled(out, "ferry_upgrades_total", "counter",
			    "In-place upgrades (ferryctl upgrade, SIGUSR2): handed over to the "
			    "new ferryd, or failed with this one serving on",
			    "result", s, 2);
}

void ctl_metrics_render(struct ctl_server *cs, struct ctl_text *out)
{
	/* Static: the op table makes it large, and only the control
	 * thread renders. */
	static struct scrape scrape;
	struct scrape *sc = &scrape;
	scrape_read(cs, sc);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct metric_family *f = &families[i];
		if (!family_present(f, sc))
			continue;
		ctl_metric_head(out, f->name, f->type, f->help);
		if (f->series)
			f->series(out, f->name, sc);
		for (const struct metric_label *l = f->labels; l && l->value; l++)
			ctl_metric_series(out, f->name, f->label, l->value,
					  scrape_value(sc, l->off, l->size));
		if (f->size)
			ctl_metric_series(out, f->name, NULL, NULL,
					  scrape_value(sc, f->off, f->size));
	}
	ctl_cluster_metrics(cs, out);
	ctl_health_metrics(cs, out);
	ctl_cluster_config_metrics(cs, out);
	ctl_gss_metrics(cs, out);
	ctl_tls_metrics(cs, out);
	ctl_mount_metrics(cs, out);
	upgrade_metrics(cs, out);
}
