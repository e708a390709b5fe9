/* ferryctl: the command line of Ferry's control plane (src/ctl/ctl.h). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "ctl/client.h"
#include "ctl/ctl.h"

#define DEFAULT_CONFIG "/etc/ferry/ferryd.conf"

static const char usage[] =
	"usage: ferryctl [options] COMMAND\n"
	"commands:\n"
	"  server | listeners | exports | clients | sessions | connections\n"
	"                              show as a table (--json: as the API returns it)\n"
	"  listener set ADDR|INDEX --minor A-B\n"
	"                              accept NFSv4 minor versions A..B on a listener\n"
	"  client evict ID             revoke a client's state and destroy its sessions\n"
	"  exports reload              re-read the exports from ferryd's config file\n"
	"                              and exports file\n"
	"  exportfs [-r] [-v]          as knfsd's exportfs: -r re-reads the exports\n"
	"                              (exports reload), -v lists them with the options\n"
	"                              each client gets; alone, lists them\n"
	"  export add NAME KEY=VALUE...  with [cluster] config = rados: add [export NAME]\n"
	"                              to the cluster's configuration (path=DIR at least);\n"
	"                              every head serves it once it is written\n"
	"  export set NAME KEY=VALUE...  change keys of an export there (KEY= removes one)\n"
	"  export remove NAME          remove an export there (its handles become stale)\n"
	"  export show                 the cluster's configuration: text and version\n"
	"  cluster                     clustered heads: members, grace epochs and flags\n"
	"  cluster takeover NODE       take over failed head NODE: fence it, then its\n"
	"                              clients, storage sessions and addresses (idempotent;\n"
	"                              exit 75, to retry, while NODE may still be alive)\n"
	"  cluster remove NODE         NODE will not come back: grace stops waiting for it\n"
	"  gss                         RPCSEC_GSS (Kerberos) contexts: principal, uid, use\n"
	"  nlm                         NLM (NFSv3 locks): counters and hosts with what they hold\n"
	"  mounts                      MOUNT's mount list (client, path, when) and its calls\n"
	"  metrics                     print /metrics (Prometheus text)\n"
	"  upgrade [--binary PATH]     hand ferryd's sockets and clients to a new ferryd\n"
	"                              (PATH, else the binary it was started from) and\n"
	"                              stop it; exit 1 when that failed and it serves on\n"
	"  health                      exit 0 when healthy, 1 with the problems printed\n"
	"                              (fenced, RADOS out of reach, event loops stuck),\n"
	"                              2 when the server does not answer\n"
	"options:\n"
	"  --server HOST:PORT|unix:/PATH\n"
	"                              the control plane (default: STATE_DIR/control.addr,\n"
	"                              then [control] listen of the config)\n"
	"  --config FILE               ferryd's config (default " DEFAULT_CONFIG
	" if present)\n"
	"  --state-dir DIR             ferryd's state directory (default: from the config,\n"
	"                              else ./state)\n"
	"  --token-file FILE           the bearer token (default: [control] token_file,\n"
	"                              else STATE_DIR/control.token)\n"
	"  --json                      print JSON instead of tables\n"
	"  --timeout MS                give up after MS milliseconds (default 5000)\n";

struct opts {
	const char *server, *config, *state_dir, *token_file, *minor, *binary;
	bool json;
	unsigned timeout_ms;
	struct ferry_config cfg;
	char addr[256];
	char token[CTL_TOKEN_MAX];
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ferryctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

/* Where the server is: the flag, the address ferryd wrote in its state
 * directory, or the configured one. */
static int find_server(struct opts *o)
{
	if (o->server) {
		snprintf(o->addr, sizeof(o->addr), "%s", o->server);
		return 0;
	}
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/control.addr", o->cfg.state_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		bool ok = fgets(o->addr, sizeof(o->addr), f) != NULL;
		fclose(f);
		o->addr[strcspn(o->addr, "\r\n")] = '\0';
		if (ok && o->addr[0])
			return 0;
	}
	if (!o->cfg.control_listen[0])
		return fail("the control plane is disabled in the config ([control] listen = "
			    "none) and no --server was given");
	snprintf(o->addr, sizeof(o->addr), "%s", o->cfg.control_listen);
	return 0;
}

static int load_token(struct opts *o)
{
	const char *path = o->token_file ? o->token_file : o->cfg.control_token_file;
	int rc = ctl_token_read(path, o->token, sizeof(o->token));
	if (rc)
		return fail("cannot read the control token %s: %s (run as ferryd's user, or give "
			    "--token-file)",
			    path, strerror(-rc));
	return 0;
}

/* Sends one request; on success *out is the reply body as JSON (or NULL
 * for text), printed raw when raw is set.  Non-2xx: the server's message. */
static int call(struct opts *o, const char *method, const char *path, const char *body,
		bool write, json_t **out, bool raw)
{
	if (write && load_token(o))
		return 1;
	struct ctl_http_reply r;
	char err[512];
	int rc = ctl_http_request(o->addr, method, path, write ? o->token : NULL, body,
				  body ? strlen(body) : 0, o->timeout_ms, &r, err, sizeof(err));
	if (rc)
		return fail("%s", err);
	if (r.status < 200 || r.status >= 300) {
		json_t *j = json_loads(r.body, 0, NULL);
		const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
		json_t *retry = j ? json_object_get(j, "retry_after_ms") : NULL;
		if (retry)
			fail("%s %s refused (HTTP %u): %s; try again in %lld ms", method, path,
			     r.status, msg ? msg : r.body, (long long)json_integer_value(retry));
		else
			fail("%s %s refused (HTTP %u): %s", method, path, r.status,
			     msg ? msg : r.body);
		json_decref(j);
		unsigned status = r.status;
		ctl_http_reply_free(&r);
		/* 503: not now, try again (a take-over of a head that may still
		 * be alive): EX_TEMPFAIL, which a script's loop can tell from a
		 * refusal for good. */
		return status == 503 ? 75 : 1;
	}
	if (raw) {
		fwrite(r.body, 1, r.len, stdout);
		ctl_http_reply_free(&r);
		if (out)
			*out = NULL;
		return 0;
	}
	json_error_t jerr;
	json_t *j = json_loads(r.body, 0, &jerr);
	ctl_http_reply_free(&r);
	if (!j)
		return fail("the server's reply is not JSON: %s", jerr.text);
	*out = j;
	return 0;
}

/* --- tables ---------------------------------------------------------------------- */

enum { MAX_COLS = 12 };

struct column {
	const char *title;
	const char *path; /* "key" or "key.sub" in each row object */
};

/* The integer at key of obj, for printf's %lld (0 when there is none). */
static long long num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* A cell as text: strings as they are, numbers and booleans printed. */
static void cell_text(json_t *row, const char *path, char *out, size_t outlen)
{
	char key[64];
	json_t *v = row;
	for (const char *p = path; v && *p;) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	if (!v || json_is_null(v))
		snprintf(out, outlen, "-");
	else if (json_is_string(v))
		snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, outlen, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(out, outlen, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v) && json_array_size(v) > 0 &&
		 json_is_string(json_array_get(v, 0))) {
		/* A list of names (addresses): the names, comma-separated. */
		size_t len = 0, i;
		json_t *e;
		out[0] = '\0';
		json_array_foreach(v, i, e)
		{
			int w = snprintf(out + len, outlen - len, "%s%s", i ? "," : "",
					 json_is_string(e) ? json_string_value(e) : "?");
			if (w < 0 || (size_t)w >= outlen - len)
				break;
			len += (size_t)w;
		}
	} else if (json_is_array(v))
		snprintf(out, outlen, "%zu", json_array_size(v));
	else
		snprintf(out, outlen, "...");
}

static void print_table(json_t *rows, const struct column *cols, unsigned ncols)
{
	size_t n = json_array_size(rows);
	size_t width[MAX_COLS];
	char cell[256];
	for (unsigned c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].title);
	for (size_t i = 0; i < n; i++)
		for (unsigned c = 0; c < ncols; c++) {
			cell_text(json_array_get(rows, i), cols[c].path, cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
	for (unsigned c = 0; c < ncols; c++)
		printf("%-*s%s", (int)width[c], cols[c].title, c + 1 < ncols ? "  " : "\n");
	for (size_t i = 0; i < n; i++)
		for (unsigned c = 0; c < ncols; c++) {
			cell_text(json_array_get(rows, i), cols[c].path, cell, sizeof(cell));
			printf("%-*s%s", (int)width[c], cell, c + 1 < ncols ? "  " : "\n");
		}
	if (n == 0)
		printf("(none)\n");
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static int show(struct opts *o, const char *what)
{
	static const struct column listeners[] = {
		{"INDEX", "index"},	    {"ADDRESS", "address"}, {"MIN", "min_minor"},
		{"MAX", "max_minor"}, {"MOUNT", "mount"}};
	static const struct column exports[] = {
		{"ID", "id"},	      {"PSEUDO", "pseudo"}, {"PATH", "path"},	  {"ACCESS", "access"},
		{"SQUASH", "squash"}, {"ASYNC", "async"},     {"CLIENTS", "clients"},
		{"BACKEND", "backend"}, {"CONNECTED", "storage.connected"},
		{"SESSION", "storage.state"}, {"CAPS", "storage.caps"}};
	static const struct column clients[] = {
		{"ID", "id"},		{"MINOR", "minor"},		 {"CONFIRMED", "confirmed"},
		{"ADDRESS", "address"}, {"LEASE_LEFT", "lease_left_seconds"}, {"SESSIONS", "sessions"},
		{"OWNERS", "state.owners"}, {"OPENS", "state.opens"},	 {"LOCKS", "state.locks"},
		{"MEMORY", "state.memory_bytes"}, {"ORIGIN", "origin"}, {"OWNER", "owner"}};
	static const struct column sessions[] = {
		{"ID", "id"},
		{"CLIENT", "client"},
		{"SLOTS", "slots"},
		{"IN_USE", "slots_in_use"},
		{"TARGET", "target_highest_slotid"},
		{"CACHE_BYTES", "cache_bytes"},
		{"CONNS", "connection_count"},
		{"BACKCHANNEL", "back_channel.state"}};
	static const struct column conns[] = {{"PEER", "peer"},
					      {"LISTENER", "listener"},
					      {"IN_FLIGHT", "requests_in_flight"},
					      {"AGE", "age_seconds"},
					      {"TRANSPORT", "transport"},
					      {"CIPHER", "tls.cipher"},
					      {"CLIENT_CERT", "tls.peer"},
					      {"SESSIONS", "sessions"}};
	static const struct {
		const char *name;
		const struct column *cols;
		unsigned ncols;
	} tables[] = {
#define TABLE(name, cols) {name, cols, sizeof(cols) / sizeof(cols[0])}
		TABLE("listeners", listeners), TABLE("exports", exports), TABLE("clients", clients),
		TABLE("sessions", sessions),   TABLE("connections", conns), {"server", NULL, 0},
#undef TABLE
	};
	size_t t = 0;
	while (t < sizeof(tables) / sizeof(tables[0]) && strcmp(tables[t].name, what) != 0)
		t++;
	if (t == sizeof(tables) / sizeof(tables[0])) {
		fprintf(stderr, "ferryctl: unknown command '%s'\n%s", what, usage);
		return 2;
	}
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/%s", what);
	json_t *j;
	if (call(o, "GET", path, NULL, false, &j, false))
		return 1;
	if (o->json) {
		print_json(j);
	} else if (strcmp(what, "server") == 0) {
		const char *key;
		json_t *v;
		char cell[256];
		json_object_foreach(j, key, v)
		{
			if (json_is_object(v)) {
				json_t *lo = json_object_get(v, "min"), *hi = json_object_get(v, "max");
				printf("%-20s %lld-%lld\n", key, (long long)json_integer_value(lo),
				       (long long)json_integer_value(hi));
				continue;
			}
			cell_text(j, key, cell, sizeof(cell));
			printf("%-20s %s\n", key, cell);
		}
	} else if (strcmp(what, "connections") == 0) {
		printf("open %lld, accepted %lld, requests in flight %lld\n",
		       num(j, "open"), num(j, "accepted"), num(j, "requests_in_flight"));
		print_table(json_object_get(j, "connections"), tables[t].cols,
			    tables[t].ncols);
	} else {
		print_table(j, tables[t].cols, tables[t].ncols);
	}
	json_decref(j);
	return 0;
}

/* Sends one request that changes the server's state, then prints the
 * reply: as JSON with --json, otherwise as the line summarise makes. */
static int change(struct opts *o, const char *method, const char *path, const char *body,
		  void (*summarise)(json_t *reply))
{
	json_t *j;
	int rc = call(o, method, path, body, true, &j, false);
	if (rc)
		return rc;
	if (o->json)
		print_json(j);
	else
		summarise(j);
	json_decref(j);
	return 0;
}

static void summarise_listener(json_t *j)
{
	printf("listener %lld (%s): minor versions %lld-%lld\n",
	       num(j, "index"),
	       json_string_value(json_object_get(j, "address")),
	       num(j, "min_minor"), num(j, "max_minor"));
}

static int listener_set(struct opts *o, const char *id)
{
	if (!o->minor)
		return fail("listener set needs --minor A-B (e.g. --minor 1-1)");
	char *end;
	long lo = strtol(o->minor, &end, 10), hi = lo;
	if (end != o->minor && *end == '-')
		hi = strtol(end + 1, &end, 10);
	if (end == o->minor || *end || lo < 0 || hi < 0)
		return fail("--minor %s: expected A-B, e.g. 0-1", o->minor);
	char body[96], path[300];
	snprintf(body, sizeof(body), "{\"min_minor\": %ld, \"max_minor\": %ld}", lo, hi);
	snprintf(path, sizeof(path), "/api/v1/listeners/%s", id);
	return change(o, "PUT", path, body, summarise_listener);
}

static void summarise_eviction(json_t *j)
{
	printf("client %s evicted\n", json_string_value(json_object_get(j, "evicted")));
}

static int client_evict(struct opts *o, const char *id)
{
	char path[300];
	snprintf(path, sizeof(path), "/api/v1/clients/%s", id);
	return change(o, "DELETE", path, NULL, summarise_eviction);
}

static void summarise_reload(json_t *j)
{
	printf("exports reloaded: %zu export(s)\n", json_array_size(j));
}

static void summarise_upgrade(json_t *j)
{
	printf("upgraded: pid %lld serves now; %lld listener(s) and %lld connection(s) handed "
	       "over, %lld TLS connection(s) closed; no request read for %lld ms\n",
	       num(j, "pid"), num(j, "listeners"), num(j, "connections"), num(j, "tls_closed"),
	       num(j, "stall_ms"));
}

static int upgrade(struct opts *o)
{
	json_t *body = o->binary ? json_pack("{s:s}", "binary", o->binary) : json_object();
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		fprintf(stderr, "ferryctl: out of memory\n");
		return 1;
	}
	int rc = change(o, "POST", "/api/v1/upgrade", text, summarise_upgrade);
	free(text);
	return rc;
}

static void summarise_takeover(json_t *j)
{
	if (json_is_true(json_object_get(j, "already"))) {
		printf("%s was taken over already, by %s; nothing to do\n",
		       json_string_value(json_object_get(j, "node")),
		       json_string_value(json_object_get(j, "taken_over_by")));
		return;
	}
	printf("took over %s: %lld client record(s); storage sessions ended for %zu export(s)\n",
	       json_string_value(json_object_get(j, "node")),
	       num(j, "records"),
	       json_array_size(json_object_get(j, "sessions_ended")));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "listening"), i, v)
		printf("listening on %s\n", json_string_value(v));
	json_array_foreach(json_object_get(j, "failed"), i, v)
	{
		json_t *what = json_object_get(v, "address");
		if (!what)
			what = json_object_get(v, "export");
		printf("FAILED: %s: %s\n", json_string_value(what),
		       json_string_value(json_object_get(v, "error")));
	}
}

static void summarise_removal(json_t *j)
{
	printf("removed %s from the cluster\n", json_string_value(json_object_get(j, "removed")));
}

/* The cluster as this head sees it: a summary, then one row per member. */
static void cluster_text(json_t *j)
{
	printf("node %s: %s, reclaims %s, %lld outstanding\n",
	       json_string_value(json_object_get(j, "node")),
	       json_is_true(json_object_get(j, "in_grace")) ? "in grace" : "not in grace",
	       json_is_true(json_object_get(j, "reclaims_open")) ? "answered" : "waiting",
	       num(j, "reclaims_outstanding"));
	printf("epoch %lld, recovering %lld%s\n",
	       num(j, "epoch"), num(j, "recovery_epoch"),
	       json_is_true(json_object_get(j, "reachable")) ? ""
							     : " (grace object unreachable)");
	static const struct column members[] = {{"NODE", "node"},
						{"NEED_GRACE", "need_grace"},
						{"ENFORCING", "enforcing"},
						{"ADDRESSES", "addresses"}};
	print_table(json_object_get(j, "members"), members,
		    sizeof(members) / sizeof(members[0]));
}

static void gss_text(json_t *j)
{
	printf("%lld contexts (at most %lld); %lld made, %lld refused, %lld destroyed, "
	       "%lld evicted, %lld expired\n",
	       num(j, "contexts"), num(j, "max_contexts"), num(j, "created"),
	       num(j, "init_failures"), num(j, "destroyed"), num(j, "evicted"), num(j, "expired"));
	static const struct column cols[] = {{"PRINCIPAL", "principal"},
					     {"UID", "uid"},
					     {"CALLS", "calls"},
					     {"IDLE_MS", "idle_ms"},
					     {"EXPIRES_IN_S", "expires_in_s"},
					     {"CRYPTO", "crypto"},
					     {"ENCTYPE", "enctype"}};
	print_table(json_object_get(j, "list"), cols, sizeof(cols) / sizeof(cols[0]));
}

static void nlm_text(json_t *j)
{
	json_t *g = json_object_get(j, "granted"), *m = json_object_get(j, "nsm_calls");
	printf("%lld hosts, %lld locks, %lld blocked, %lld shares; GRANTED %lld ok, %lld "
	       "refused, %lld failed; statd (%s): %lld SM_MON, %lld SM_UNMON, %lld failed, "
	       "%lld reboots heard\n",
	       num(j, "hosts"), num(j, "locks"), num(j, "blocked"), num(j, "shares"), num(g, "ok"),
	       num(g, "refused"), num(g, "failed"),
	       json_is_true(json_object_get(j, "nsm")) ? "on" : "off",
	       num(m, "sm_mon"), num(m, "sm_unmon"), num(m, "failed"), num(j, "reboots"));
	static const struct column cols[] = {{"HOST", "name"},	     {"ADDRESS", "address"},
					     {"NSM_STATE", "nsm_state"}, {"OWNERS", "owners"},
					     {"LOCKS", "locks"},	     {"BLOCKED", "blocked"},
					     {"SHARES", "shares"}};
	print_table(json_object_get(j, "list"), cols, sizeof(cols) / sizeof(cols[0]));
}

/* A JSON object of counters as "name N, name N" in its own order. */
static void print_counters(json_t *obj)
{
	const char *key;
	json_t *v;
	bool first = true;
	json_object_foreach(obj, key, v)
	{
		printf("%s%s %lld", first ? "" : ", ", key, (long long)json_integer_value(v));
		first = false;
	}
}

static void mounts_text(json_t *j)
{
	printf("calls: ");
	print_counters(json_object_get(j, "calls"));
	printf("\nMNT results: ");
	print_counters(json_object_get(j, "mnt_results"));
	printf("\ngarbage arguments %lld, mounts not listed %lld\n",
	       num(j, "garbage_args"), num(j, "not_listed"));
	static const struct column cols[] = {{"CLIENT", "client"},
					     {"PATH", "path"},
					     {"MOUNTED_AT", "mounted_at"},
					     {"AGE_S", "age_s"}};
	print_table(json_object_get(j, "mounts"), cols, sizeof(cols) / sizeof(cols[0]));
}

/* The pages of the parts a server may not serve (or have set up): the
 * command, its path, the flag that says whether the part is there, what
 * is said when it is not, and how the page reads as text. */
static const struct page {
	const char *cmd, *path, *flag, *off;
	void (*text)(json_t *j);
} pages[] = {
	{"cluster", "/api/v1/cluster", "clustered", "not clustered ([cluster] node is not set)",
	 cluster_text},
	{"gss", "/api/v1/gss", "enabled", "RPCSEC_GSS not served (no export lists a krb5 flavour)",
	 gss_text},
	{"mounts", "/api/v1/mounts", "enabled", "MOUNT not served ([server] mount = no)",
	 mounts_text},
	{"nlm", "/api/v1/nlm", "enabled", "NLM not served", nlm_text},
};

/* GETs page p and shows it: as it is with --json, else as text. */
static int show_page(struct opts *o, const struct page *p)
{
	json_t *j;
	if (call(o, "GET", p->path, NULL, false, &j, false))
		return 1;
	if (o->json)
		print_json(j);
	else if (!json_is_true(json_object_get(j, p->flag)))
		printf("%s\n", p->off);
	else
		p->text(j);
	json_decref(j);
	return 0;
}

/* takeover or remove of node. */
static int cluster_change(struct opts *o, const char *what, const char *node)
{
	json_t *body = json_pack("{s:s}", "node", node);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/cluster/%s", what);
	int rc = change(o, "POST", path, text,
			strcmp(what, "takeover") == 0 ? summarise_takeover : summarise_removal);
	free(text);
	return rc;
}

/* GET /healthz: 0 healthy, 1 not (the problems printed), 2 no answer. */
static int health(struct opts *o)
{
	struct ctl_http_reply r;
	char err[512];
	if (ctl_http_request(o->addr, "GET", "/healthz", NULL, NULL, 0, o->timeout_ms, &r, err,
			     sizeof(err))) {
		fail("%s", err);
		return 2;
	}
	json_t *j = json_loads(r.body, 0, NULL);
	json_t *problems = j ? json_object_get(j, "problems") : NULL;
	int rc = r.status == 200 ? 0 : 1;
	if (o->json && j) {
		print_json(j);
	} else if (!problems) {
		printf("unhealthy: HTTP %u: %s\n", r.status, r.body);
		rc = rc ? rc : 1;
	} else if (json_array_size(problems) == 0) {
		printf("healthy\n");
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(problems, i, v)
			printf("unhealthy: %s\n", json_string_value(v));
	}
	json_decref(j);
	ctl_http_reply_free(&r);
	return rc;
}

/* Reads ferryd's config for the state directory and control settings. */
static int load_config(struct opts *o)
{
	config_init_defaults(&o->cfg);
	const char *path = o->config;
	if (!path && access(DEFAULT_CONFIG, R_OK) == 0)
		path = DEFAULT_CONFIG;
	char err[1024];
	if (path && !config_load_file(&o->cfg, path, err, sizeof(err)))
		return fail("%s", err);
	if (o->state_dir)
		snprintf(o->cfg.state_dir, sizeof(o->cfg.state_dir), "%s", o->state_dir);
	if (!o->cfg.state_dir[0])
		snprintf(o->cfg.state_dir, sizeof(o->cfg.state_dir), "./state");
	if (!o->cfg.control_token_file[0] &&
	    snprintf(o->cfg.control_token_file, sizeof(o->cfg.control_token_file),
		     "%s/control.token", o->cfg.state_dir) >= (int)sizeof(o->cfg.control_token_file))
		return fail("the state directory's path is too long");
	return 0;
}

static void summarise_export_edit(json_t *j)
{
	printf("export %s: the cluster's configuration is now version %lld\n",
	       json_string_value(json_object_get(j, "export")), num(j, "version"));
}

/* ferryctl export add|set|remove NAME [KEY=VALUE...]: an edit of the
 * cluster's configuration, checked and applied by the head asked. */
static int export_edit(struct opts *o, const char *what, const char *name, char **kv, int nkv)
{
	if (strcmp(what, "remove") == 0 && nkv)
		return fail("export remove takes only the export's name");
	if (strcmp(what, "remove") != 0 && nkv == 0)
		return fail("export %s %s: give KEY=VALUE (path=DIR to add one)", what, name);
	json_t *options = json_object();
	for (int i = 0; i < nkv; i++) {
		char *eq = strchr(kv[i], '=');
		if (!eq || eq == kv[i]) {
			json_decref(options);
			return fail("'%s' is not KEY=VALUE", kv[i]);
		}
		*eq = '\0';
		if (json_object_get(options, kv[i])) {
			json_decref(options);
			return fail("%s is given twice", kv[i]);
		}
		json_object_set_new(options, kv[i], json_string(eq + 1));
	}
	char path[256];
	json_t *body = NULL;
	const char *method;
	if (strcmp(what, "add") == 0) {
		method = "POST";
		snprintf(path, sizeof(path), "/api/v1/cluster/config/exports");
		body = json_pack("{s:s, s:O}", "name", name, "options", options);
	} else {
		method = strcmp(what, "set") == 0 ? "PATCH" : "DELETE";
		/* The name is checked by the server; one that needs quoting in
		 * a path is no export name it accepts. */
		if (strpbrk(name, "/?#% "))
			return fail("export name '%s': at most 63 letters, digits, '.', '_' or '-'",
				    name);
		snprintf(path, sizeof(path), "/api/v1/cluster/config/exports/%s", name);
		if (nkv)
			body = json_pack("{s:O}", "options", options);
	}
	json_decref(options);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	int rc = change(o, method, path, text, summarise_export_edit);
	free(text);
	return rc;
}

/* The exports as knfsd's exportfs lists them: the directory, then each
 * client pattern ("<world>" for everyone), with its options when verbose. */
static int exportfs_list(struct opts *o, bool verbose)
{
	json_t *j;
	if (call(o, "GET", "/api/v1/exports", NULL, false, &j, false))
		return 1;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return 0;
	}
	size_t i, k;
	json_t *e, *c;
	json_array_foreach(j, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		json_array_foreach(json_object_get(e, "exportfs"), k, c) {
			const char *client = json_string_value(json_object_get(c, "client"));
			if (!path || !client)
				continue;
			/* exportfs's layout: a long path on a line of its own. */
			if (strlen(path) > 14)
				printf("%s\n\t\t", path);
			else
				printf("%-15s\t", path);
			printf("%s", strcmp(client, "*") == 0 ? "<world>" : client);
			if (verbose)
				printf("(%s)",
				       json_string_value(json_object_get(c, "options")) ?: "");
			putchar('\n');
		}
	}
	json_decref(j);
	return 0;
}

/* "exportfs -r", "-v", "-rv", "-r -v": the flags after exportfs, taken
 * out of argv before getopt sees them (which would take -v for one of
 * ferryctl's own).  False with a message for a flag it does not know. */
static bool exportfs_flags(int *argc, char **argv, bool *reexport, bool *verbose)
{
	int cmd = 1;
	while (cmd < *argc && strcmp(argv[cmd], "exportfs") != 0)
		cmd++;
	if (cmd >= *argc)
		return true;
	int out = cmd + 1;
	for (int i = cmd + 1; i < *argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '-' || a[1] == '\0') {
			argv[out++] = argv[i];
			continue;
		}
		for (const char *f = a + 1; *f; f++) {
			if (*f == 'r') {
				*reexport = true;
			} else if (*f == 'v') {
				*verbose = true;
			} else {
				fprintf(stderr, "ferryctl: exportfs: -%c is not supported (-r, -v)\n",
					*f);
				return false;
			}
		}
	}
	*argc = out;
	argv[out] = NULL;
	return true;
}

static int export_show(struct opts *o)
{
	json_t *j;
	if (call(o, "GET", "/api/v1/cluster/config", NULL, false, &j, false))
		return 1;
	if (o->json) {
		print_json(j);
	} else {
		printf("# the cluster's configuration, version %lld (this head applied %lld%s)\n",
		       num(j, "version"), num(j, "applied_version"),
		       json_is_true(json_object_get(j, "applied_ok")) ? ""
								: "; the latest could not be");
		fputs(json_string_value(json_object_get(j, "text")), stdout);
	}
	json_decref(j);
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_SERVER = 1, O_CONFIG, O_STATE, O_TOKEN, O_JSON, O_MINOR, O_TIMEOUT, O_BINARY, O_HELP };
	static const struct option lopts[] = {
		{"server", required_argument, NULL, O_SERVER},
		{"config", required_argument, NULL, O_CONFIG},
		{"state-dir", required_argument, NULL, O_STATE},
		{"token-file", required_argument, NULL, O_TOKEN},
		{"json", no_argument, NULL, O_JSON},
		{"minor", required_argument, NULL, O_MINOR},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"binary", required_argument, NULL, O_BINARY},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.timeout_ms = 5000};
	bool timeout_given = false, reexport = false, verbose = false;
	if (!exportfs_flags(&argc, argv, &reexport, &verbose))
		return 2;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case O_SERVER:
			o.server = optarg;
			break;
		case O_CONFIG:
			o.config = optarg;
			break;
		case O_STATE:
			o.state_dir = optarg;
			break;
		case O_TOKEN:
			o.token_file = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_MINOR:
			o.minor = optarg;
			break;
		case O_BINARY:
			o.binary = optarg;
			break;
		case O_TIMEOUT: {
			unsigned long long v;
			if (!config_parse_uint(optarg, 600000, &v) || v == 0) {
				fprintf(stderr, "ferryctl: --timeout: expected 1..600000 ms\n");
				return 2;
			}
			o.timeout_ms = (unsigned)v;
			timeout_given = true;
			break;
		}
		case O_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "ferryctl: unknown option or missing value: %s\n%s",
				argv[optind - 1], usage);
			return 2;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs < 1) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = args[0];
	if (load_config(&o) || find_server(&o))
		return strcmp(cmd, "health") == 0 ? 2 : 1; /* health: no answer */
	if (strcmp(cmd, "metrics") == 0 && nargs == 1)
		return call(&o, "GET", "/metrics", NULL, false, NULL, true);
	if (strcmp(cmd, "health") == 0 && nargs == 1)
		return health(&o);
	if (strcmp(cmd, "listener") == 0 && nargs == 3 && strcmp(args[1], "set") == 0)
		return listener_set(&o, args[2]);
	if (strcmp(cmd, "client") == 0 && nargs == 3 && strcmp(args[1], "evict") == 0)
		return client_evict(&o, args[2]);
	if (strcmp(cmd, "export") == 0 && nargs == 2 && strcmp(args[1], "show") == 0)
		return export_show(&o);
	if (strcmp(cmd, "export") == 0 && nargs >= 3 &&
	    (strcmp(args[1], "add") == 0 || strcmp(args[1], "set") == 0 ||
	     strcmp(args[1], "remove") == 0)) {
		/* An added export is opened to be checked, and every head is
		 * told: more than a read takes. */
		if (!timeout_given)
			o.timeout_ms = 30000;
		return export_edit(&o, args[1], args[2], args + 3, nargs - 3);
	}
	if (strcmp(cmd, "upgrade") == 0 && nargs == 1) {
		/* Delegations come back first (within a lease: 90 s by
		 * default), and the new ferryd sets up its exports before it
		 * is ready (30 s each at most). */
		if (!timeout_given)
			o.timeout_ms = 200000;
		return upgrade(&o);
	}
	if (o.binary) {
		fprintf(stderr, "ferryctl: --binary goes with upgrade\n");
		return 2;
	}
	if (strcmp(cmd, "exports") == 0 && nargs == 2 && strcmp(args[1], "reload") == 0)
		return change(&o, "POST", "/api/v1/exports/reload", "{}", summarise_reload);
	if (strcmp(cmd, "exportfs") == 0 && nargs == 1) {
		/* exportfs -r says nothing when all went well; -rv lists. */
		json_t *j;
		int rc = reexport ? call(&o, "POST", "/api/v1/exports/reload", "{}", true, &j, false)
				  : 0;
		if (rc)
			return rc;
		if (reexport)
			json_decref(j);
		return reexport && !verbose ? 0 : exportfs_list(&o, verbose);
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(cmd, pages[i].cmd) == 0 && nargs == 1)
			return show_page(&o, &pages[i]);
	if (strcmp(cmd, "cluster") == 0 && nargs == 3 &&
	    (strcmp(args[1], "takeover") == 0 || strcmp(args[1], "remove") == 0)) {
		/* Ending the failed head's storage sessions can take seconds. */
		if (!timeout_given)
			o.timeout_ms = 60000;
		return cluster_change(&o, args[1], args[2]);
	}
	if (nargs == 1)
		return show(&o, cmd);
	fprintf(stderr, "ferryctl: cannot make sense of the arguments after '%s'\n%s", cmd, usage);
	return 2;
}
