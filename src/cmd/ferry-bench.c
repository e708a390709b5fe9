/* ferry-bench: an NFSv4.1 load generator.
 *
 * Options, then one run (src/cmd/bench/run.c), then the report as a table
 * or JSON.  Exit status: 0 when every op succeeded, 1 when some ops failed
 * with an NFS status (counted by status, never as throughput), 2 for bad
 * usage, 3 when the run was aborted by a protocol error, a connection
 * failure or a setup failure. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bench/bench.h"
#include "core/config.h"

enum { EXIT_OK = 0, EXIT_OP_ERRORS = 1, EXIT_USAGE = 2, EXIT_FAILED = 3 };

static void usage(FILE *f)
{
	char names[256];
	workload_list(names, sizeof(names));
	fprintf(f,
		"usage: ferry-bench --server HOST:PORT [options]\n"
		"\n"
		"  --server HOST:PORT    NFS server (required)\n"
		"  --export PATH         export's path in the server's pseudo-fs (default /export)\n"
		"  --workload NAME       %s (default null)\n"
		"  --connections N       TCP connections (default 1)\n"
		"  --sessions N          NFSv4.1 sessions, spread over the connections (default 1)\n"
		"  --inflight K          requests in flight per session = slots asked for\n"
		"                        (null: per connection) (default 64; alias --slots)\n"
		"  --duration S          measured seconds (default 10)\n"
		"  --ops N               measure N ops instead of a duration\n"
		"  --warmup S            seconds run before measuring (default 1)\n"
		"  --file-size SIZE      data file size for read*/write*/copy* (default 64M)\n"
		"  --dir-entries N       files in the readdir directory (default 4096)\n"
		"  --depth N             directories below the work dir for lookup (default 4)\n"
		"  --stable MODE         WRITE stability: unstable (default), data, file\n"
		"  --uid N, --gid N      AUTH_SYS identity (default 0, 0)\n"
		"  --timeout S           fail when no reply comes for S seconds (default 30)\n"
		"  --server-pid PID      sample this process's CPU time and peak RSS\n"
		"  --seed N              random offsets seed (default 1)\n"
		"  --keep                leave the work directory in the export\n"
		"  --json                print the result as one JSON object\n"
		"  --verbose             log failing ops\n"
		"  --list-workloads      describe the workloads\n"
		"\n"
		"exit status: 0 all ops succeeded, 1 some ops failed (errors by status),\n"
		"2 usage, 3 aborted (protocol error, connection or setup failure)\n",
		names);
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return false;
	unsigned long long mul = 1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ull << 10;
		break;
	case 'm': case 'M':
		mul = 1ull << 20;
		break;
	case 'g': case 'G':
		mul = 1ull << 30;
		break;
	default:
		return false;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
		return false;
	*out = v * mul;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e6)
		return false;
	*out = v;
	return true;
}

static bool copy_arg(char *dst, size_t cap, const char *arg)
{
	size_t n = strlen(arg);
	if (n >= cap)
		return false;
	memcpy(dst, arg, n + 1);
	return true;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	enum {
		O_SERVER = 256, O_EXPORT, O_WORKLOAD, O_CONNECTIONS, O_SESSIONS, O_INFLIGHT,
		O_DURATION, O_OPS, O_WARMUP, O_FILE_SIZE, O_DIR_ENTRIES, O_DEPTH, O_STABLE,
		O_UID, O_GID, O_TIMEOUT, O_SERVER_PID, O_SEED, O_KEEP, O_JSON, O_VERBOSE,
		O_LIST, O_HELP,
	};
	static const struct option longopts[] = {
		{"server", required_argument, NULL, O_SERVER},
		{"export", required_argument, NULL, O_EXPORT},
		{"workload", required_argument, NULL, O_WORKLOAD},
		{"connections", required_argument, NULL, O_CONNECTIONS},
		{"sessions", required_argument, NULL, O_SESSIONS},
		{"inflight", required_argument, NULL, O_INFLIGHT},
		{"slots", required_argument, NULL, O_INFLIGHT},
		{"duration", required_argument, NULL, O_DURATION},
		{"ops", required_argument, NULL, O_OPS},
		{"warmup", required_argument, NULL, O_WARMUP},
		{"file-size", required_argument, NULL, O_FILE_SIZE},
		{"dir-entries", required_argument, NULL, O_DIR_ENTRIES},
		{"depth", required_argument, NULL, O_DEPTH},
		{"stable", required_argument, NULL, O_STABLE},
		{"uid", required_argument, NULL, O_UID},
		{"gid", required_argument, NULL, O_GID},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"server-pid", required_argument, NULL, O_SERVER_PID},
		{"seed", required_argument, NULL, O_SEED},
		{"keep", no_argument, NULL, O_KEEP},
		{"json", no_argument, NULL, O_JSON},
		{"verbose", no_argument, NULL, O_VERBOSE},
		{"list-workloads", no_argument, NULL, O_LIST},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	snprintf(o->export_path, sizeof(o->export_path), "/export");
	o->workload = workload_find("null");
	o->connections = 1;
	o->sessions = 1;
	o->inflight = 64;
	o->duration_s = 10;
	o->warmup_s = 1;
	o->file_size = 64ull << 20;
	o->dir_entries = 4096;
	o->depth = 4;
	o->write_stable = UNSTABLE4;
	o->timeout_s = 30;
	o->seed = 1;

	int ch, idx = -1;
	unsigned long long v;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		const char *arg = optarg;
		bool ok = true;
		switch (ch) {
		case O_SERVER:
			ok = copy_arg(o->server, sizeof(o->server), arg);
			break;
		case O_EXPORT:
			ok = arg[0] == '/' && copy_arg(o->export_path, sizeof(o->export_path), arg);
			break;
		case O_WORKLOAD:
			o->workload = workload_find(arg);
			ok = o->workload != NULL;
			break;
		case O_CONNECTIONS:
			ok = config_parse_uint(arg, 1024, &v) && v > 0;
			o->connections = (unsigned)v;
			break;
		case O_SESSIONS:
			ok = config_parse_uint(arg, 1024, &v) && v > 0;
			o->sessions = (unsigned)v;
			break;
		case O_INFLIGHT:
			ok = config_parse_uint(arg, 4096, &v) && v > 0;
			o->inflight = (unsigned)v;
			break;
		case O_DURATION:
			ok = parse_seconds(arg, &o->duration_s) && o->duration_s > 0;
			break;
		case O_OPS:
			ok = config_parse_uint(arg, UINT64_MAX, &v) && v > 0;
			o->op_count = v;
			break;
		case O_WARMUP:
			ok = parse_seconds(arg, &o->warmup_s);
			break;
		case O_FILE_SIZE:
			ok = parse_size(arg, &o->file_size) && o->file_size >= 4096;
			break;
		case O_DIR_ENTRIES:
			ok = config_parse_uint(arg, 10000000, &v);
			o->dir_entries = (unsigned)v;
			break;
		case O_DEPTH:
			ok = config_parse_uint(arg, 16, &v);
			o->depth = (unsigned)v;
			break;
		case O_STABLE:
			if (strcmp(arg, "unstable") == 0)
				o->write_stable = UNSTABLE4;
			else if (strcmp(arg, "data") == 0)
				o->write_stable = DATA_SYNC4;
			else if (strcmp(arg, "file") == 0)
				o->write_stable = FILE_SYNC4;
			else
				ok = false;
			break;
		case O_UID:
			ok = config_parse_uint(arg, UINT32_MAX, &v);
			o->uid = (uint32_t)v;
			break;
		case O_GID:
			ok = config_parse_uint(arg, UINT32_MAX, &v);
			o->gid = (uint32_t)v;
			break;
		case O_TIMEOUT:
			ok = parse_seconds(arg, &o->timeout_s) && o->timeout_s > 0;
			break;
		case O_SERVER_PID:
			ok = config_parse_uint(arg, 1u << 30, &v) && v > 0;
			o->server_pid = (pid_t)v;
			break;
		case O_SEED:
			ok = config_parse_uint(arg, UINT32_MAX, &v);
			o->seed = (uint32_t)v;
			break;
		case O_KEEP:
			o->keep = true;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_VERBOSE:
			o->verbose = true;
			break;
		case O_LIST:
			for (unsigned i = 0; bench_workloads[i]; i++)
				printf("%-9s %s\n", bench_workloads[i]->name, bench_workloads[i]->desc);
			return 1;
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "ferry-bench: unknown option or missing value: %s\n",
				argv[optind - 1]);
			return -1;
		}
		if (!ok) {
			fprintf(stderr, "ferry-bench: bad value for --%s: %s\n",
				idx >= 0 ? longopts[idx].name : "option", arg);
			return -1;
		}
		idx = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "ferry-bench: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (!o->server[0]) {
		fprintf(stderr, "ferry-bench: --server is required\n");
		return -1;
	}
	return 0;
}

/* --- report ---------------------------------------------------------------- */

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static double per_op_us(double seconds, uint64_t ops)
{
	return ops ? seconds * 1e6 / (double)ops : 0;
}

static const char *status_word(const struct bench_result *r)
{
	if (r->failed)
		return "failed";
	return r->run_errors.total ? "errors" : "ok";
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void report_json(FILE *f, const struct bench_opts *o, const struct bench_result *r)
{
	const struct bench_stats *st = &r->stats;
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
	fprintf(f, "{\"tool\":\"ferry-bench\",\"format\":1,\"workload\":");
	json_string(f, o->workload->name);
	fprintf(f, ",\"server\":");
	json_string(f, o->server);
	fprintf(f, ",\"export\":");
	json_string(f, o->export_path);
	fprintf(f,
		",\"connections\":%u,\"sessions\":%u,\"inflight\":%u,\"duration_s\":%g,"
		"\"warmup_s\":%g,\"op_count\":%llu,\"file_size\":%llu,\"io_size\":%u",
		o->connections, o->workload->nfs ? o->sessions : 0, o->inflight, o->duration_s,
		o->warmup_s, (unsigned long long)o->op_count, (unsigned long long)o->file_size,
		r->io_size);
	fprintf(f, ",\"status\":\"%s\",\"error\":", status_word(r));
	json_string(f, r->error);
	fprintf(f,
		",\"elapsed_s\":%.6f,\"ops\":%llu,\"rpcs\":%llu,\"ops_per_s\":%.1f,"
		"\"rpcs_per_s\":%.1f,\"bytes\":%llu,\"mb_per_s\":%.3f",
		r->elapsed_s, (unsigned long long)st->ops, (unsigned long long)st->rpcs,
		(double)st->ops / el, (double)st->rpcs / el, (unsigned long long)st->bytes,
		(double)st->bytes / el / 1e6);
	fprintf(f,
		",\"latency_us\":{\"mean\":%.2f,\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,"
		"\"p999\":%.2f,\"max\":%.2f}",
		st->ops ? us(st->lat_sum_ns) / (double)st->ops : 0, us(stats_quantile(st, 0.5)),
		us(stats_quantile(st, 0.9)), us(stats_quantile(st, 0.99)),
		us(stats_quantile(st, 0.999)), us(st->lat_max_ns));
	fprintf(f, ",\"errors\":{\"total\":%llu,\"in_window\":%llu,\"by_status\":[",
		(unsigned long long)r->run_errors.total, (unsigned long long)st->errors.total);
	for (unsigned i = 0; i < r->run_errors.nkinds; i++) {
		const struct bench_error_count *k = &r->run_errors.kinds[i];
		fprintf(f, "%s{\"op\":\"%s\",", i ? "," : "", bench_op_name(k->opnum));
		fprintf(f, "\"status\":\"%s\",\"count\":%llu}", bench_status_name(k->status),
			(unsigned long long)k->count);
	}
	fprintf(f, "]},\"delay_retries\":%llu,\"delay_retries_in_window\":%llu,\"slot_waits\":%llu",
		(unsigned long long)r->run_delay_retries, (unsigned long long)st->delay_retries,
		(unsigned long long)st->slot_waits);
	if (o->workload->nfs)
		fprintf(f,
			",\"session\":{\"slots_requested\":%u,\"slots_granted\":%u,"
			"\"min_target_highest_slotid\":%u,\"status_flags\":%u,"
			"\"maxrequestsize\":%u,\"maxresponsesize\":%u}",
			r->slots_requested, r->slots_granted, r->min_target_highest,
			r->status_flags, r->maxrequestsize, r->maxresponsesize);
	fprintf(f, ",\"client\":{\"cpu_s\":%.3f,\"cpu_us_per_op\":%.3f}", r->client_cpu_s,
		per_op_us(r->client_cpu_s, st->ops));
	if (o->server_pid && r->server_before.ok && r->server_after.ok) {
		double cpu = r->server_after.cpu_s - r->server_before.cpu_s;
		fprintf(f,
			",\"server\":{\"pid\":%d,\"cpu_s\":%.3f,\"cpu_us_per_op\":%.3f,"
			"\"cpu_s_per_million_ops\":%.3f,\"peak_rss_kb\":%llu,\"rss_kb\":%llu}",
			(int)o->server_pid, cpu, per_op_us(cpu, st->ops),
			st->ops ? cpu * 1e6 / (double)st->ops : 0,
			(unsigned long long)r->server_after.hwm_kb,
			(unsigned long long)r->server_after.rss_kb);
	} else {
		fprintf(f, ",\"server\":null");
	}
	/* A readdir op is a whole listing: its cost per entry shows whether
	 * a listing grows linearly with the directory. */
	if (strcmp(o->workload->name, "readdir") == 0) {
		fprintf(f, ",\"listing\":{\"entries\":%u", o->dir_entries);
		if (o->server_pid && r->server_before.ok && r->server_after.ok && st->ops &&
		    o->dir_entries)
			fprintf(f, ",\"server_cpu_us_per_entry\":%.4f",
				(r->server_after.cpu_s - r->server_before.cpu_s) * 1e6 /
					((double)st->ops * o->dir_entries));
		fprintf(f, "}");
	}
	fprintf(f, "}\n");
}

static void report_table(FILE *f, const struct bench_opts *o, const struct bench_result *r)
{
	const struct bench_stats *st = &r->stats;
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
	if (o->workload->nfs)
		fprintf(f,
			"ferry-bench %s against %s%s: %u connection%s, %u session%s x %u slots "
			"in flight, %.1f s measured after %.1f s warm-up\n",
			o->workload->name, o->server, o->export_path, o->connections,
			o->connections == 1 ? "" : "s", o->sessions, o->sessions == 1 ? "" : "s",
			o->inflight, r->elapsed_s, o->warmup_s);
	else
		fprintf(f,
			"ferry-bench %s against %s: %u connection%s x %u in flight, %.1f s "
			"measured after %.1f s warm-up\n",
			o->workload->name, o->server, o->connections, o->connections == 1 ? "" : "s",
			o->inflight, r->elapsed_s, o->warmup_s);
	fprintf(f, "%-9s %12s %12s %9s %9s %9s %9s %9s %8s\n", "workload", "ops", "ops/s", "MB/s",
		"p50 us", "p99 us", "p99.9 us", "max us", "errors");
	fprintf(f, "%-9s %12llu %12.1f %9.2f %9.1f %9.1f %9.1f %9.1f %8llu\n", o->workload->name,
		(unsigned long long)st->ops, (double)st->ops / el, (double)st->bytes / el / 1e6,
		us(stats_quantile(st, 0.5)), us(stats_quantile(st, 0.99)),
		us(stats_quantile(st, 0.999)), us(st->lat_max_ns),
		(unsigned long long)r->run_errors.total);
	fprintf(f, "client CPU %.2f s = %.2f us/op", r->client_cpu_s,
		per_op_us(r->client_cpu_s, st->ops));
	if (o->server_pid && r->server_before.ok && r->server_after.ok) {
		double cpu = r->server_after.cpu_s - r->server_before.cpu_s;
		fprintf(f, "; server (pid %d) CPU %.2f s = %.2f us/op, peak RSS %.1f MiB",
			(int)o->server_pid, cpu, per_op_us(cpu, st->ops),
			(double)r->server_after.hwm_kb / 1024.0);
		if (strcmp(o->workload->name, "readdir") == 0 && st->ops && o->dir_entries)
			fprintf(f, ", %.3f us per entry listed",
				cpu * 1e6 / ((double)st->ops * o->dir_entries));
	}
	fputc('\n', f);
	if (o->workload->nfs && r->slots_granted)
		fprintf(f,
			"slots: %u asked, %u granted, lowest target_highest_slotid %u; waits for a "
			"slot %llu; DELAY retries %llu; sr_status_flags seen 0x%x\n",
			r->slots_requested, r->slots_granted, r->min_target_highest,
			(unsigned long long)st->slot_waits, (unsigned long long)r->run_delay_retries,
			r->status_flags);
	for (unsigned i = 0; i < r->run_errors.nkinds; i++)
		fprintf(f, "error: %s %s x %llu\n", bench_op_name(r->run_errors.kinds[i].opnum),
			bench_status_name(r->run_errors.kinds[i].status),
			(unsigned long long)r->run_errors.kinds[i].count);
}

int main(int argc, char **argv)
{
	struct bench_opts opts;
	int rc = parse_args(argc, argv, &opts);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "ferry-bench: see --help\n");
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	signal(SIGPIPE, SIG_IGN);
	struct bench_result *res = calloc(1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "ferry-bench: out of memory\n");
		return EXIT_FAILED;
	}
	bench_run(&opts, res);
	if (res->failed)
		fprintf(stderr, "ferry-bench: FAILED: %s\n", res->error);
	else if (res->run_errors.total)
		fprintf(stderr, "ferry-bench: %llu ops failed (see errors by status)\n",
			(unsigned long long)res->run_errors.total);
	if (opts.json)
		report_json(stdout, &opts, res);
	else if (!res->failed)
		report_table(stdout, &opts, res);
	fflush(stdout);
	int code = res->failed ? EXIT_FAILED : res->run_errors.total ? EXIT_OP_ERRORS : EXIT_OK;
	free(res);
	return code;
}
