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
#include <stddef.h>
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
		"  --vers 3|4            NFS version of the workload's calls (default 4); with 3:\n"
		"                        getattr, lookup, read4k, read1m, write1m, readdirplus,\n"
		"                        create, set up through NFSv4.1 as their namesakes, their\n"
		"                        handles from MOUNT v3 MNT of --export and NFSv3 LOOKUP\n"
		"  --mount-port PORT     --vers 3: MOUNT's port (default: the server's rpcbind's)\n"
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
		"  --sec FLAVOR          sys (default), or RPCSEC_GSS with Kerberos 5: krb5\n"
		"                        (authenticated headers), krb5i (integrity), krb5p\n"
		"                        (privacy) for every call\n"
		"  --krb5-target SVC@HOST  the server's service (default nfs@<--server's host>)\n"
		"  --krb5-keytab FILE    get the tickets with a key of this keytab (default: the\n"
		"                        tickets of KRB5CCNAME's cache, else KRB5_CLIENT_KTNAME)\n"
		"  --krb5-principal NAME the client principal (default: the cache's, or the\n"
		"                        keytab's first)\n"
		"  --tls                 RPC-with-TLS (RFC 9289): the AUTH_TLS probe and a TLS 1.3\n"
		"                        handshake on every connection, then all traffic in TLS\n"
		"  --tls-ca FILE         verify the server's certificate against this CA (PEM) and\n"
		"                        --server's host; without it the server is not checked\n"
		"  --tls-cert FILE       a client certificate (PEM) for mutual TLS\n"
		"  --tls-key FILE        its private key (default: in --tls-cert's file)\n"
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

/* How an option's value is read and where it goes. */
enum option_kind {
	OPTION_COUNT,	 /* a whole number in min..max, a 4- or 8-byte field */
	OPTION_SECONDS,	 /* seconds (a double); min 1: more than zero */
	OPTION_SIZE,	 /* bytes with an optional k/M/G suffix, at least min */
	OPTION_TEXT,	 /* copied into a char array */
	OPTION_PATH,	 /* the same, and absolute */
	OPTION_FLAG,	 /* no value: sets a bool */
	OPTION_WORKLOAD, /* a workload's name */
	OPTION_STABLE,	 /* unstable, data or file */
	OPTION_SEC,	 /* sys, krb5, krb5i or krb5p */
	OPTION_LIST,	 /* prints the workloads and stops */
	OPTION_HELP,	 /* prints the usage and stops */
};

#define FIELD(f) offsetof(struct bench_opts, f), sizeof(((struct bench_opts *)0)->f)

/* Every option with its default, applied as if given before the command
 * line (usage() documents them). */
static const struct bench_option {
	const char *name;
	enum option_kind kind;
	size_t off, size;
	unsigned long long min, max;
	const char *dflt;
} options[] = {
	{"server", OPTION_TEXT, FIELD(server), 0, 0, NULL},
	{"export", OPTION_PATH, FIELD(export_path), 0, 0, "/export"},
	{"workload", OPTION_WORKLOAD, FIELD(workload), 0, 0, "null"},
	{"vers", OPTION_COUNT, FIELD(vers), 3, 4, "4"},
	{"mount-port", OPTION_COUNT, FIELD(mount_port), 1, 65535, NULL},
	{"connections", OPTION_COUNT, FIELD(connections), 1, 1024, "1"},
	{"sessions", OPTION_COUNT, FIELD(sessions), 1, 1024, "1"},
	{"inflight", OPTION_COUNT, FIELD(inflight), 1, 4096, "64"},
	{"slots", OPTION_COUNT, FIELD(inflight), 1, 4096, NULL},
	{"duration", OPTION_SECONDS, FIELD(duration_s), 1, 0, "10"},
	{"ops", OPTION_COUNT, FIELD(op_count), 1, UINT64_MAX, NULL},
	{"warmup", OPTION_SECONDS, FIELD(warmup_s), 0, 0, "1"},
	{"file-size", OPTION_SIZE, FIELD(file_size), 4096, 0, "64M"},
	{"dir-entries", OPTION_COUNT, FIELD(dir_entries), 0, 10000000, "4096"},
	{"depth", OPTION_COUNT, FIELD(depth), 0, 16, "4"},
	{"stable", OPTION_STABLE, FIELD(write_stable), 0, 0, "unstable"},
	{"uid", OPTION_COUNT, FIELD(uid), 0, UINT32_MAX, NULL},
	{"gid", OPTION_COUNT, FIELD(gid), 0, UINT32_MAX, NULL},
	{"sec", OPTION_SEC, FIELD(sec), 0, 0, "sys"},
	{"krb5-target", OPTION_TEXT, FIELD(krb5_target), 0, 0, NULL},
	{"krb5-keytab", OPTION_TEXT, FIELD(krb5_keytab), 0, 0, NULL},
	{"krb5-principal", OPTION_TEXT, FIELD(krb5_principal), 0, 0, NULL},
	{"tls", OPTION_FLAG, FIELD(tls), 0, 0, NULL},
	{"tls-ca", OPTION_TEXT, FIELD(tls_ca), 0, 0, NULL},
	{"tls-cert", OPTION_TEXT, FIELD(tls_cert), 0, 0, NULL},
	{"tls-key", OPTION_TEXT, FIELD(tls_key), 0, 0, NULL},
	{"timeout", OPTION_SECONDS, FIELD(timeout_s), 1, 0, "30"},
	{"server-pid", OPTION_COUNT, FIELD(server_pid), 1, 1u << 30, NULL},
	{"seed", OPTION_COUNT, FIELD(seed), 0, UINT32_MAX, "1"},
	{"keep", OPTION_FLAG, FIELD(keep), 0, 0, NULL},
	{"json", OPTION_FLAG, FIELD(json), 0, 0, NULL},
	{"verbose", OPTION_FLAG, FIELD(verbose), 0, 0, NULL},
	{"list-workloads", OPTION_LIST, 0, 0, 0, 0, NULL},
	{"help", OPTION_HELP, 0, 0, 0, 0, NULL},
};

enum { NOPTIONS = sizeof(options) / sizeof(options[0]) };

/* Reads arg into the option's field; false for a bad value. */
static bool option_set(const struct bench_option *opt, const char *arg, struct bench_opts *o)
{
	char *field = (char *)o + opt->off;
	unsigned long long v;
	size_t len = strlen(arg);
	switch (opt->kind) {
	case OPTION_COUNT:
		if (!config_parse_uint(arg, opt->max, &v) || v < opt->min)
			return false;
		config_store_uint(field, opt->size, v);
		return true;
	case OPTION_SECONDS:
		return parse_seconds(arg, (double *)(void *)field) &&
		       (opt->min == 0 || *(double *)(void *)field > 0);
	case OPTION_SIZE:
		return parse_size(arg, (uint64_t *)(void *)field) &&
		       *(uint64_t *)(void *)field >= opt->min;
	case OPTION_PATH:
	case OPTION_TEXT:
		if ((opt->kind == OPTION_PATH && arg[0] != '/') || len >= opt->size)
			return false;
		memcpy(field, arg, len + 1);
		return true;
	case OPTION_FLAG:
		*(bool *)(void *)field = true;
		return true;
	case OPTION_WORKLOAD:
		/* Resolved once --vers is known too. */
		if (len >= sizeof(o->workload_name))
			return false;
		memcpy(o->workload_name, arg, len + 1);
		return true;
	case OPTION_STABLE: {
		static const char *const words[] = {[UNSTABLE4] = "unstable",
						    [DATA_SYNC4] = "data",
						    [FILE_SYNC4] = "file"};
		for (uint32_t how = 0; how < sizeof(words) / sizeof(words[0]); how++)
			if (strcmp(arg, words[how]) == 0) {
				o->write_stable = how;
				return true;
			}
		return false;
	}
	case OPTION_SEC: {
		static const uint32_t secs[] = {0, RPC_GSS_SVC_NONE, RPC_GSS_SVC_INTEGRITY,
						RPC_GSS_SVC_PRIVACY};
		for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
			if (strcmp(arg, bench_sec_name(secs[i])) == 0) {
				o->sec = secs[i];
				return true;
			}
		return false;
	}
	case OPTION_LIST:
	case OPTION_HELP:
		break;
	}
	return false;
}

/* 0: run with *o; 1: done (--help, --list-workloads); -1: bad usage,
 * said on stderr. */
static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	struct option longopts[NOPTIONS + 1];
	memset(longopts, 0, sizeof(longopts));
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < NOPTIONS; i++) {
		enum option_kind k = options[i].kind;
		bool bare = k == OPTION_FLAG || k == OPTION_LIST || k == OPTION_HELP;
		longopts[i] = (struct option){options[i].name,
					      bare ? no_argument : required_argument, NULL,
					      256 + (int)i};
		if (options[i].dflt && !option_set(&options[i], options[i].dflt, o))
			abort(); /* a default that does not parse is a bug here */
	}

	int ch, idx = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (ch < 256 || ch >= 256 + NOPTIONS) {
			fprintf(stderr, "ferry-bench: unknown option or missing value: %s\n",
				argv[optind - 1]);
			return -1;
		}
		const struct bench_option *opt = &options[ch - 256];
		if (opt->kind == OPTION_LIST) {
			for (unsigned i = 0; bench_workloads[i]; i++)
				printf("%-9s %s\n", bench_workloads[i]->name, bench_workloads[i]->desc);
			workload_list_v3(stdout);
			return 1;
		}
		if (opt->kind == OPTION_HELP) {
			usage(stdout);
			return 1;
		}
		if (!option_set(opt, optarg ? optarg : "", o)) {
			fprintf(stderr, "ferry-bench: bad value for --%s: %s\n",
				idx >= 0 ? longopts[idx].name : "option", optarg);
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
	o->workload = o->vers == 3 ? workload_find_v3(o->workload_name)
				   : workload_find(o->workload_name);
	if (!o->workload) {
		fprintf(stderr, "ferry-bench: no %s workload %s (--list-workloads)\n",
			o->vers == 3 ? "NFSv3" : "NFSv4", o->workload_name);
		return -1;
	}
	if (o->vers == 3 && (o->sec || o->tls)) {
		fprintf(stderr, "ferry-bench: the NFSv3 workloads run under AUTH_SYS in plain "
				"text only\n");
		return -1;
	}
	if (!o->sec && (o->krb5_target[0] || o->krb5_keytab[0] || o->krb5_principal[0])) {
		fprintf(stderr, "ferry-bench: --krb5-* options need --sec krb5, krb5i or krb5p\n");
		return -1;
	}
	if (!o->tls && (o->tls_ca[0] || o->tls_cert[0] || o->tls_key[0])) {
		fprintf(stderr, "ferry-bench: --tls-* options need --tls\n");
		return -1;
	}
	if (o->tls_key[0] && !o->tls_cert[0]) {
		fprintf(stderr, "ferry-bench: --tls-key needs --tls-cert\n");
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

static void report_json(FILE *f, const struct bench_opts *o, const struct bench_result *r)
{
	const struct bench_stats *st = &r->stats;
	double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
	fprintf(f, "{\"tool\":\"ferry-bench\",\"format\":1,\"workload\":");
	bench_json_string(f, o->workload->name);
	fprintf(f, ",\"server\":");
	bench_json_string(f, o->server);
	fprintf(f, ",\"export\":");
	bench_json_string(f, o->export_path);
	fprintf(f,
		",\"connections\":%u,\"sessions\":%u,\"inflight\":%u,\"duration_s\":%g,"
		"\"warmup_s\":%g,\"op_count\":%llu,\"file_size\":%llu,\"io_size\":%u",
		o->connections, o->workload->nfs ? o->sessions : 0, o->inflight, o->duration_s,
		o->warmup_s, (unsigned long long)o->op_count, (unsigned long long)o->file_size,
		r->io_size);
	fprintf(f, ",\"sec\":\"%s\",\"tls\":%s", bench_sec_name(o->sec),
		o->tls ? (o->tls_cert[0] ? "\"mutual\"" : "\"server\"") : "false");
	if (o->sec)
		fprintf(f, ",\"gss\":{\"contexts\":%u,\"window\":%u}", r->gss_contexts,
			r->gss_window);
	fprintf(f, ",\"status\":\"%s\",\"error\":", status_word(r));
	bench_json_string(f, r->error);
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
		fprintf(f, "%s{\"op\":\"%s\",", i ? "," : "",
			bench_call_name(o->vers, k->opnum));
		fprintf(f, "\"status\":\"%s\",\"count\":%llu}",
			bench_call_status_name(o->vers, k->status),
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
	char sec[96] = "";
	if (o->sec)
		snprintf(sec, sizeof(sec), " (%s, %u context%s%s)", bench_sec_name(o->sec),
			 r->gss_contexts, r->gss_contexts == 1 ? "" : "s",
			 o->tls ? (o->tls_cert[0] ? ", mutual TLS" : ", TLS") : "");
	else if (o->tls)
		snprintf(sec, sizeof(sec), " (%s)", o->tls_cert[0] ? "mutual TLS" : "TLS");
	if (o->workload->nfs)
		fprintf(f,
			"ferry-bench %s against %s%s%s: %u connection%s, %u session%s x %u slots "
			"in flight, %.1f s measured after %.1f s warm-up\n",
			o->workload->name, o->server, o->export_path, sec, o->connections,
			o->connections == 1 ? "" : "s", o->sessions, o->sessions == 1 ? "" : "s",
			o->inflight, r->elapsed_s, o->warmup_s);
	else
		fprintf(f,
			"ferry-bench %s against %s%s: %u connection%s x %u in flight, %.1f s "
			"measured after %.1f s warm-up\n",
			o->workload->name, o->server, sec, o->connections,
			o->connections == 1 ? "" : "s", o->inflight, r->elapsed_s, o->warmup_s);
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
		fprintf(f, "error: %s %s x %llu\n",
			bench_call_name(o->vers, r->run_errors.kinds[i].opnum),
			bench_call_status_name(o->vers, r->run_errors.kinds[i].status),
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
