/* The run: connections, sessions and workload setup, then the streams run
 * through warm-up and the measured window, drain, and everything is undone.
 *
 * The window: stats are reset when it opens; an op counts when its reply
 * arrives inside it (ops in flight at the edges count where they finish,
 * which evens out).  Client CPU and the server's CPU (--server-pid) are
 * sampled at the same two instants, so CPU per op compares like with
 * like. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/bench/bench.h"
#include "core/clock.h"
#include "xdr/nfs4_prot.h"

static void stream_start_op(struct bench_stream *s);

static void null_on_reply(struct bench_stream *s, struct xdr_dec *d)
{
	if (xdr_dec_remaining(d) != 0) {
		bench_fail(s->ctx, "NULL reply carries %zu unexpected bytes", xdr_dec_remaining(d));
		return;
	}
	s->done(s, STEP_DONE);
}

static void issue(struct bench_stream *s)
{
	if (s->ctx->opts.workload->issue3) {
		s->ctx->opts.workload->issue3(s);
		return;
	}
	if (s->sess) {
		session_issue(s);
		return;
	}
	call_begin(s, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_NULL, NULL);
	s->on_reply = null_on_reply;
	call_send(s);
}

/* In the window, and with --ops not yet reached: --ops N counts exactly N. */
static bool counts_in_window(const struct bench_ctx *c)
{
	return c->measuring &&
	       (!c->opts.op_count || c->stats.ops + c->stats.errors.total < c->opts.op_count);
}

static void worker_done(struct bench_stream *s, enum step_result r)
{
	struct bench_ctx *c = s->ctx;
	switch (r) {
	case STEP_NEXT:
		s->step++;
		issue(s);
		return;
	case STEP_DONE:
		if (counts_in_window(c)) {
			c->stats.ops++;
			c->stats.bytes += s->op_bytes;
			stats_record_latency(&c->stats, loop_now(c) - s->op_start_ns);
		}
		break;
	case STEP_ERROR:
		if (counts_in_window(c))
			stats_record_error(&c->stats.errors, s->err_op, s->err_status);
		stats_record_error(&c->run_errors, s->err_op, s->err_status);
		if (c->opts.verbose)
			fprintf(stderr, "ferry-bench: op failed: %s %s\n",
				bench_call_name(c->opts.vers, s->err_op),
				bench_call_status_name(c->opts.vers, s->err_status));
		break;
	default:
		return;
	}
	stream_start_op(s);
}

static void stream_start_op(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	if (c->failed)
		return;
	if (c->stopping ||
	    (c->measuring && c->opts.op_count && c->measure_started_ops >= c->opts.op_count)) {
		if (s->active) {
			s->active = false;
			c->active_ops--;
		}
		return;
	}
	if (!s->active) {
		s->active = true;
		c->active_ops++;
	}
	if (c->measuring)
		c->measure_started_ops++;
	s->op_start_ns = loop_now(c);
	s->step = 0;
	s->op_bytes = 0;
	c->opts.workload->op_begin(s);
	issue(s);
}

static bool until_time(struct bench_ctx *c, void *arg)
{
	return loop_now(c) >= *(uint64_t *)arg;
}

static bool until_window_end(struct bench_ctx *c, void *arg)
{
	if (c->opts.op_count)
		return c->stats.ops + c->stats.errors.total >= c->opts.op_count;
	return loop_now(c) >= c->measure_start_ns + (uint64_t)(c->opts.duration_s * 1e9);
}

static bool until_drained(struct bench_ctx *c, void *arg)
{
	return c->active_ops == 0 && c->rpcs_inflight == 0;
}

static double cpu_seconds_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

bool bench_proc_sample(pid_t pid, struct bench_proc_sample *out)
{
	char path[64], buf[4096];
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3, utime 14, stime 15. */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	unsigned long long utime = 0, stime = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2)
		return false;
	out->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof(line), f)) {
			unsigned long long kb;
			if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
				out->hwm_kb = kb;
			else if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
				out->rss_kb = kb;
		}
		fclose(f);
	}
	out->ok = true;
	return true;
}

static void assign_connections(struct bench_ctx *c, struct bench_session *ss)
{
	/* Sessions >= connections: each session on one connection, round
	 * robin.  Fewer sessions: each spreads over its share of them. */
	unsigned C = c->nconns, S = c->nsessions;
	ss->nconns = 0;
	ss->conns = calloc(C, sizeof(*ss->conns));
	if (!ss->conns)
		return;
	if (S >= C) {
		ss->conns[ss->nconns++] = &c->conns[ss->index % C];
	} else {
		for (unsigned i = ss->index; i < C; i += S)
			ss->conns[ss->nconns++] = &c->conns[i];
	}
}

static int run_phases(struct bench_ctx *c, struct bench_result *res)
{
	const struct bench_opts *o = &c->opts;
	c->now_ns = clock_now_ns();
	for (unsigned i = 0; i < c->nworkers && !c->failed; i++)
		stream_start_op(&c->workers[i]);
	if (o->warmup_s > 0) {
		uint64_t until = c->now_ns + (uint64_t)(o->warmup_s * 1e9);
		if (loop_run(c, until_time, &until) != 0)
			return -1;
	}
	if (o->server_pid)
		bench_proc_sample(o->server_pid, &res->server_before);
	double cpu0 = cpu_seconds_self();
	stats_reset(&c->stats);
	c->measuring = true;
	c->measure_start_ns = c->now_ns = clock_now_ns();
	int rc = loop_run(c, until_window_end, NULL);
	c->measure_end_ns = loop_now(c);
	res->client_cpu_s = cpu_seconds_self() - cpu0;
	if (o->server_pid)
		bench_proc_sample(o->server_pid, &res->server_after);
	c->measuring = false;
	res->elapsed_s = (double)(c->measure_end_ns - c->measure_start_ns) / 1e9;
	res->stats = c->stats;
	if (rc != 0)
		return -1;

	c->stopping = true;
	return loop_run(c, until_drained, NULL);
}

void bench_run(const struct bench_opts *opts, struct bench_result *res)
{
	memset(res, 0, sizeof(*res));
	struct bench_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		res->failed = true;
		snprintf(res->error, sizeof(res->error), "out of memory");
		return;
	}
	c->opts = *opts;
	c->epfd = -1;
	c->gss = opts->sec != 0;
	if (c->gss) {
		/* rpc_gss_client_decode_reply gives each reply's results in
		 * buffers of their own (a 1 MiB READ's: two, each freed after
		 * the reply).  glibc would map and unmap every one and fault
		 * its pages in afresh: 0.65 ms of a 1.16 ms read1m op under
		 * krb5.  Kept in the heap they are reused. */
		mallopt(M_MMAP_THRESHOLD, 16 << 20);
		mallopt(M_TRIM_THRESHOLD, 128 << 20);
	}
	c->cred.flavor = RPC_AUTH_SYS;
	c->cred.uid = opts->uid;
	c->cred.gid = opts->gid;
	snprintf(c->cred.machinename, sizeof(c->cred.machinename), "ferry-bench");
	const struct bench_workload *wl = opts->workload;
	unsigned per = opts->inflight;
	c->nworkers = wl->nfs ? opts->sessions * per : opts->connections * per;
	unsigned nsess = wl->nfs ? opts->sessions : 0;
	res->slots_requested = wl->nfs ? per : 0;

	if (loop_init(c, c->nworkers + nsess + 1) || loop_connect(c))
		goto out;
	if (wl->nfs) {
		c->sessions = calloc(nsess, sizeof(*c->sessions));
		if (!c->sessions) {
			bench_fail(c, "out of memory");
			goto out;
		}
		c->nsessions = nsess;
		for (unsigned i = 0; i < nsess; i++) {
			struct bench_session *ss = &c->sessions[i];
			ss->index = i;
			ss->ctx = c;
			assign_connections(c, ss);
			if (!ss->conns || loop_add_stream(c, &ss->ctl)) {
				bench_fail(c, "out of memory");
				goto out;
			}
			ss->ctl.sess = ss;
			ss->ctl.conn = ss->conns[0];
			if (bench_gss_bind(&ss->ctl))
				goto out;
		}
		if (session_setup(c) || wl->setup(c))
			goto teardown;
		if (wl->issue3 && bench_v3_handles(c))
			goto teardown;
	}
	c->workers = calloc(c->nworkers, sizeof(*c->workers));
	if (!c->workers) {
		bench_fail(c, "out of memory");
		goto teardown;
	}
	for (unsigned j = 0; j < c->nworkers; j++) {
		struct bench_stream *s = &c->workers[j];
		if (loop_add_stream(c, s))
			goto teardown;
		if (wl->nfs) {
			struct bench_session *ss = &c->sessions[j / per];
			s->sess = ss;
			s->conn = ss->conns[(j % per) % ss->nconns];
			s->enc = wl->enc;
			s->dec = wl->dec;
		} else {
			s->conn = &c->conns[j % c->nconns];
		}
		if (bench_gss_bind(s))
			goto teardown;
		s->done = worker_done;
		s->rng = (opts->seed + 1) * 2654435761u + j * 40503u + 1;
		if (s->rng == 0)
			s->rng = 1;
		if (c->io_size) {
			uint64_t blocks = opts->file_size / c->io_size;
			s->cursor = blocks ? (uint64_t)j * blocks / c->nworkers * c->io_size : 0;
		}
	}
	run_phases(c, res);
teardown:
	if (wl->nfs) {
		if (wl->teardown && c->sessions)
			wl->teardown(c);
		session_teardown(c);
		if (c->failed && c->workdir_made)
			fprintf(stderr, "ferry-bench: the work directory %s/%s is left in the export\n",
				opts->export_path, c->workdir);
	}
out:
	res->gss_contexts = c->ngss;
	res->gss_window = bench_gss_window(c);
	bench_gss_teardown(c);
	res->failed = c->failed;
	res->run_errors = c->run_errors;
	res->run_delay_retries = c->run_delay_retries;
	snprintf(res->error, sizeof(res->error), "%s", c->error);
	res->io_size = c->io_size;
	res->slots_granted = c->slots_granted_min;
	res->min_target_highest = UINT32_MAX;
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *ss = &c->sessions[i];
		if (ss->slots.nslots && ss->slots.min_target < res->min_target_highest)
			res->min_target_highest = ss->slots.min_target;
		res->status_flags |= ss->slots.status_flags;
		if (i == 0) {
			res->maxrequestsize = ss->fore.maxrequestsize;
			res->maxresponsesize = ss->fore.maxresponsesize;
		}
	}
	if (res->min_target_highest == UINT32_MAX)
		res->min_target_highest = 0;
	for (unsigned j = 0; c->workers && j < c->nworkers; j++)
		loop_free_stream(&c->workers[j]);
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *ss = &c->sessions[i];
		loop_free_stream(&ss->ctl);
		free(ss->conns);
		client_slots_fini(&ss->slots);
	}
	free(c->sessions);
	free(c->workers);
	loop_destroy(c);
	free(c);
}
