#include "core/config.h"
#include "core/exports_file.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

bool config_fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* How an INI key's value is read.  A number's bad value is worded
 * differently between keys for historical reasons, and operators' scripts
 * and tests match the wording, so each key keeps its own. */
enum key_kind {
	KEY_NUMBER,	     /* "KEY: 'VALUE' is not a number in 0..MAX" */
	KEY_NUMBER_MUST_BE,  /* any bad value: "KEY: must be MIN..MAX" */
	KEY_NUMBER_AT_LEAST, /* below MIN: "KEY: at least MIN"; otherwise as KEY_NUMBER */
	KEY_TEXT,	     /* copied into a char array (min, max, dflt unused) */
};

/* An INI key whose value goes into one field. */
struct config_key {
	const char *section; /* "export NAME": every [export NAME] section */
	const char *key;
	size_t off, size; /* in struct ferry_config, or struct config_export */
	unsigned long long min, max, dflt;
	enum key_kind kind;
};

#define SERVER_FIELD(f) offsetof(struct ferry_config, f), sizeof(((struct ferry_config *)0)->f)
#define EXPORT_FIELD(f) offsetof(struct config_export, f), sizeof(((struct config_export *)0)->f)

/* Every key the file sets by value alone, numbers with their built-in
 * defaults (config.h documents them). */
static const struct config_key config_keys[] = {
	{"server", "event_loops", SERVER_FIELD(event_loops), 0, 256, 0, KEY_NUMBER},
	{"server", "workers", SERVER_FIELD(workers), 1, 1024, 8, KEY_NUMBER_MUST_BE},
	{"server", "remote_workers", SERVER_FIELD(remote_workers), 0, 1024, 32, KEY_NUMBER_MUST_BE},
	{"server", "gss_max_contexts", SERVER_FIELD(gss_max_contexts), 1, 1u << 20, 8192,
	 KEY_NUMBER_MUST_BE},
	{"server", "gss_context_idle", SERVER_FIELD(gss_context_idle_s), 1, 7 * 86400, 3600,
	 KEY_NUMBER_MUST_BE},
	{"server", "min_minor", SERVER_FIELD(min_minor), 0, CONFIG_MINOR_HIGHEST, 0, KEY_NUMBER},
	{"server", "max_minor", SERVER_FIELD(max_minor), 0, CONFIG_MINOR_HIGHEST,
	 CONFIG_MINOR_HIGHEST, KEY_NUMBER},
	{"rpc", "max_record_size", SERVER_FIELD(max_record_size), 4096, 64u << 20,
	 1024 * 1024 + 8192, KEY_NUMBER_AT_LEAST},
	{"rpc", "max_inflight_per_conn", SERVER_FIELD(max_inflight_per_conn), 1, 65536, 128,
	 KEY_NUMBER_AT_LEAST},
	{"rpc", "inflight_memory_mb", SERVER_FIELD(inflight_memory_mb), 1, 1u << 20, 256,
	 KEY_NUMBER_AT_LEAST},
	{"rpc", "inflight_memory_per_conn_mb", SERVER_FIELD(inflight_memory_per_conn_mb), 1,
	 1u << 20, 16, KEY_NUMBER_AT_LEAST},
	{"rpc", "max_connections", SERVER_FIELD(max_connections), 0, 1u << 24, 4096, KEY_NUMBER},
	{"rpc", "max_connections_per_client", SERVER_FIELD(max_connections_per_client), 0,
	 1u << 24, 128, KEY_NUMBER},
	{"rpc", "idle_timeout", SERVER_FIELD(idle_timeout_s), 0, 86400, 360, KEY_NUMBER},
	{"rpc", "splice_pipes", SERVER_FIELD(splice_pipes), 0, 65536, 256, KEY_NUMBER},
	{"nfs", "lease_time", SERVER_FIELD(lease_time_s), 10, 3600, 90, KEY_NUMBER_MUST_BE},
	{"nfs", "grace_time", SERVER_FIELD(grace_time_s), 0, 3600, 90, KEY_NUMBER},
	{"nfs", "session_slots", SERVER_FIELD(session_slots), 1, 1024, 64, KEY_NUMBER_MUST_BE},
	{"nfs", "max_delegations", SERVER_FIELD(max_delegations), 0, UINT32_MAX, 0, KEY_NUMBER},
	{"nfs", "max_delegations_per_client", SERVER_FIELD(max_delegations_per_client), 0,
	 UINT32_MAX, 0, KEY_NUMBER},
	{"nfs", "max_dir_delegations", SERVER_FIELD(max_dir_delegations), 0, UINT32_MAX, 0,
	 KEY_NUMBER},
	{"nfs", "dir_notify_window_ms", SERVER_FIELD(dir_notify_window_ms), 1, 60000, 50,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "dir_attr_delay_max_ms", SERVER_FIELD(dir_attr_delay_max_ms), 1, 60000, 1000,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "dir_notify_max_changes", SERVER_FIELD(dir_notify_max_changes), 1, 65536, 4096,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "dir_notify_slow_ms", SERVER_FIELD(dir_notify_slow_ms), 1, 60000, 1000,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "max_clients", SERVER_FIELD(max_clients), 0, UINT32_MAX, 16384, KEY_NUMBER},
	{"nfs", "max_sessions_per_client", SERVER_FIELD(max_sessions_per_client), 0, UINT32_MAX,
	 16, KEY_NUMBER},
	{"nfs", "max_open_owners_per_client", SERVER_FIELD(max_open_owners_per_client), 0,
	 UINT32_MAX, 0, KEY_NUMBER},
	{"nfs", "max_opens_per_client", SERVER_FIELD(max_opens_per_client), 0, UINT32_MAX, 0,
	 KEY_NUMBER},
	{"nfs", "max_lock_owners_per_client", SERVER_FIELD(max_lock_owners_per_client), 0,
	 UINT32_MAX, 0, KEY_NUMBER},
	{"nfs", "max_locks_per_client", SERVER_FIELD(max_locks_per_client), 0, UINT32_MAX, 0,
	 KEY_NUMBER},
	{"nfs", "state_memory_mb", SERVER_FIELD(state_memory_mb), 0, 1u << 24, 0, KEY_NUMBER},
	{"nfs", "client_state_share", SERVER_FIELD(client_state_share), 1, 100, 50,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "reply_cache_mb", SERVER_FIELD(reply_cache_mb), 0, 1u << 20, 64, KEY_NUMBER},
	{"nfs", "callback_timeout_ms", SERVER_FIELD(callback_timeout_ms), 1, 3600000, 5000,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "callback_retry_ms", SERVER_FIELD(callback_retry_ms), 1, 3600000, 5000,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "callback_retries", SERVER_FIELD(callback_retries), 0, 16, 3, KEY_NUMBER},
	{"nfs", "copy_sync_max", SERVER_FIELD(copy_sync_max), 0, 1ull << 30, 32u << 20, KEY_NUMBER},
	{"nfs", "copy_max_per_client", SERVER_FIELD(copy_max_per_client), 1, 4096, 16,
	 KEY_NUMBER_MUST_BE},
	{"nfs", "copy_rate_mb", SERVER_FIELD(copy_rate_mb), 0, 1u << 20, 0, KEY_NUMBER},
	{"export NAME", "anonuid", EXPORT_FIELD(anonuid), 0, UINT32_MAX, 65534, KEY_NUMBER},
	{"export NAME", "anongid", EXPORT_FIELD(anongid), 0, UINT32_MAX, 65534, KEY_NUMBER},
	{"export NAME", "memory_latency_us", EXPORT_FIELD(memory_latency_us), 0, 10000000, 0,
	 KEY_NUMBER},
	{"export NAME", "read_cache_mb", EXPORT_FIELD(read_cache_mb), 0, 1u << 20,
	 CONFIG_READ_CACHE_MB_DEFAULT, KEY_NUMBER},
	{"nlm", "unmon_delay_ms", SERVER_FIELD(nlm_unmon_delay_ms), 0, 3600000, 30000,
	 KEY_NUMBER},
	{"nlm", "statd_dir", SERVER_FIELD(nlm_statd_dir), 0, 0, 0, KEY_TEXT},
	{"nlm", "sm_notify", SERVER_FIELD(nlm_sm_notify), 0, 0, 0, KEY_TEXT},
	{"tls", "handshake_timeout", SERVER_FIELD(tls_handshake_timeout_s), 1, 3600, 10,
	 KEY_NUMBER_MUST_BE},
	{"tls", "cert", SERVER_FIELD(tls_cert), 0, 0, 0, KEY_TEXT},
	{"tls", "key", SERVER_FIELD(tls_key), 0, 0, 0, KEY_TEXT},
	{"tls", "client_ca", SERVER_FIELD(tls_client_ca), 0, 0, 0, KEY_TEXT},
	{"server", "state_dir", SERVER_FIELD(state_dir), 0, 0, 0, KEY_TEXT},
	{"server", "keytab", SERVER_FIELD(keytab), 0, 0, 0, KEY_TEXT},
	{"server", "exports", SERVER_FIELD(exports_file), 0, 0, 0, KEY_TEXT},
	{"nfs", "owner_domain", SERVER_FIELD(owner_domain), 0, 0, 0, KEY_TEXT},
	{"control", "token_file", SERVER_FIELD(control_token_file), 0, 0, 0, KEY_TEXT},
	{"export NAME", "path", EXPORT_FIELD(path), 0, 0, 0, KEY_TEXT},
	{"export NAME", "pseudo", EXPORT_FIELD(pseudo), 0, 0, 0, KEY_TEXT},
	{"export NAME", "backend", EXPORT_FIELD(backend), 0, 0, 0, KEY_TEXT},
	{"export NAME", "ceph_conf", EXPORT_FIELD(ceph_conf), 0, 0, 0, KEY_TEXT},
	{"export NAME", "ceph_id", EXPORT_FIELD(ceph_id), 0, 0, 0, KEY_TEXT},
	{"cluster", "node", SERVER_FIELD(cluster_node), 0, 0, 0, KEY_TEXT},
	{"cluster", "rados_conf", SERVER_FIELD(cluster_rados_conf), 0, 0, 0, KEY_TEXT},
	{"cluster", "rados_id", SERVER_FIELD(cluster_rados_id), 0, 0, 0, KEY_TEXT},
	{"cluster", "rados_pool", SERVER_FIELD(cluster_rados_pool), 0, 0, 0, KEY_TEXT},
	{"cluster", "rados_namespace", SERVER_FIELD(cluster_rados_namespace), 0, 0, 0, KEY_TEXT},
	{"cluster", "fence_after", SERVER_FIELD(cluster_fence_after_s), 2, 300, 5,
	 KEY_NUMBER_MUST_BE},
};

static const struct config_key *config_key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

void config_store_uint(void *field, size_t size, unsigned long long v)
{
	_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "numeric fields are 32 or 64 bits");
	if (size == sizeof(uint64_t)) {
		uint64_t v64 = v;
		memcpy(field, &v64, sizeof(v64));
	} else {
		uint32_t v32 = (uint32_t)v; /* the caller's range keeps it in range */
		memcpy(field, &v32, sizeof(v32));
	}
}

/* Sets the numeric keys of the server (base is a struct ferry_config) or
 * of an export (a struct config_export) to their defaults. */
static void config_keys_set_defaults(bool export_keys, void *base)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const struct config_key *k = &config_keys[i];
		if (k->kind != KEY_TEXT && (strcmp(k->section, "export NAME") == 0) == export_keys)
			config_store_uint((char *)base + k->off, k->size, k->dflt);
	}
}

void config_init_defaults(struct ferry_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_keys_set_defaults(false, cfg);
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->rpcbind = true;
	cfg->map_reads = true;
	strcpy(cfg->local_congestion, "cubic");
	cfg->mount = true;
	cfg->delegations = CONFIG_DELEG_READWRITE;
	cfg->dir_delegations = true;
	cfg->nlm_nsm = true;
	cfg->nlm_udp = true;
	strcpy(cfg->nlm_sm_notify, "/usr/sbin/sm-notify");
	strcpy(cfg->owner_domain, "localdomain");
	snprintf(cfg->control_listen, sizeof(cfg->control_listen), "127.0.0.1:%d",
		 CONFIG_CONTROL_PORT);
}

static bool copy_str(char *dst, size_t cap, const char *src, const char *what, char *errbuf,
		     size_t errlen)
{
	size_t n = strlen(src);
	if (n == 0)
		return config_fail(errbuf, errlen, "%s must not be empty", what);
	if (n >= cap)
		return config_fail(errbuf, errlen, "%s is too long (%zu bytes, at most %zu)", what, n,
			    cap - 1);
	memcpy(dst, src, n + 1);
	return true;
}

bool config_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* value as yes or no into *out; otherwise false with "WHERE: expected yes
 * or no". */
static bool parse_yes_no(const char *value, bool *out, const char *where, char *errbuf,
			 size_t errlen)
{
	return parse_bool(value, out) ||
	       config_fail(errbuf, errlen, "%s: expected yes or no", where);
}

/* The same for a key that says the opposite of its field: "nfs3 = no" sets
 * no_nfs3. */
static bool parse_yes_no_negated(const char *value, bool *out, const char *where, char *errbuf,
				 size_t errlen)
{
	bool b;
	if (!parse_yes_no(value, &b, where, errbuf, errlen))
		return false;
	*out = !b;
	return true;
}

/* value as one of words, *out its index; otherwise false with "WHERE:
 * expected a, b or c". */
static bool parse_word(const char *value, const char *const *words, unsigned nwords,
		       unsigned *out, const char *where, char *errbuf, size_t errlen)
{
	for (unsigned i = 0; i < nwords; i++) {
		if (strcmp(value, words[i]) == 0) {
			*out = i;
			return true;
		}
	}
	char list[128] = "";
	size_t used = 0;
	for (unsigned i = 0; i < nwords && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i == 0 ? "" : i + 1 == nwords ? " or " : ", ", words[i]);
	return config_fail(errbuf, errlen, "%s: expected %s", where, list);
}

/* "none" disables the control plane; anything else must look like HOST:PORT
 * (resolved when ferryd binds it). */
static bool set_control_listen(struct ferry_config *cfg, const char *value, char *errbuf,
			       size_t errlen)
{
	cfg->control_explicit = true;
	if (strcmp(value, "none") == 0) {
		cfg->control_listen[0] = '\0';
		return true;
	}
	if (strncmp(value, "unix:", 5) == 0) {
		if (value[5] != '/')
			return config_fail(errbuf, errlen, "control listen '%s': unix: needs an absolute path",
				    value);
		if (strlen(value + 5) >= 108) /* sizeof(sun_path) */
			return config_fail(errbuf, errlen, "control listen '%s': the socket path is too long",
				    value);
		return copy_str(cfg->control_listen, sizeof(cfg->control_listen), value,
				"control listen address", errbuf, errlen);
	}
	const char *colon = strrchr(value, ':');
	unsigned long long port;
	if (!colon || colon == value || !config_parse_uint(colon + 1, 65535, &port))
		return config_fail(errbuf, errlen,
			    "control listen '%s': expected HOST:PORT, unix:/PATH or none", value);
	return copy_str(cfg->control_listen, sizeof(cfg->control_listen), value,
			"control listen address", errbuf, errlen);
}

/* A listener's ",minor=A-B": its NFSv4 minor versions. */
static bool listen_minor(const char *addr, const char *range, int *lo, int *hi, char *errbuf,
			 size_t errlen)
{
	char *end;
	long a = strtol(range, &end, 10), b = a;
	if (end != range && *end == '-')
		b = strtol(end + 1, &end, 10);
	if (end == range || *end || a < 0 || b < a || b > CONFIG_MINOR_HIGHEST)
		return config_fail(errbuf, errlen, "listen %s: minor=%s is not a range like 1-2 within 0..%d",
			    addr, range, CONFIG_MINOR_HIGHEST);
	*lo = (int)a;
	*hi = (int)b;
	return true;
}

/* "HOST:PORT" and options after commas: minor=A-B, mount=yes|no. */
static bool add_listen(struct ferry_config *cfg, const char *addr, char *errbuf, size_t errlen)
{
	if (cfg->nlisten >= CONFIG_MAX_LISTEN)
		return config_fail(errbuf, errlen, "too many listen addresses (at most %d)",
			    CONFIG_MAX_LISTEN);
	char tmp[sizeof(cfg->listen[0])];
	if (!copy_str(tmp, sizeof(tmp), addr, "listen address", errbuf, errlen))
		return false;
	int lo = -1, hi = -1;
	bool mount = true, v3 = true;
	char *opt = strchr(tmp, ',');
	if (opt)
		*opt++ = '\0';
	while (opt) {
		char *next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (strncmp(opt, "minor=", 6) == 0) {
			if (!listen_minor(tmp, opt + 6, &lo, &hi, errbuf, errlen))
				return false;
		} else if (strncmp(opt, "mount=", 6) == 0) {
			if (!parse_bool(opt + 6, &mount))
				return config_fail(errbuf, errlen, "listen %s: mount=%s: expected yes or no",
					    tmp, opt + 6);
		} else if (strncmp(opt, "v3=", 3) == 0) {
			if (!parse_bool(opt + 3, &v3))
				return config_fail(errbuf, errlen, "listen %s: v3=%s: expected yes or no",
					    tmp, opt + 3);
		} else {
			return config_fail(errbuf, errlen,
				    "listen %s: unknown option '%s' (minor=A-B, v3=yes|no or "
				    "mount=yes|no)",
				    tmp, opt);
		}
		opt = next;
	}
	strcpy(cfg->listen[cfg->nlisten], tmp);
	cfg->listen_minor_min[cfg->nlisten] = lo;
	cfg->listen_minor_max[cfg->nlisten] = hi;
	cfg->listen_no_v3[cfg->nlisten] = !v3;
	cfg->listen_no_mount[cfg->nlisten] = !mount;
	cfg->nlisten++;
	return true;
}

static bool pseudo_path_valid(const char *p)
{
	if (p[0] != '/')
		return false;
	/* No empty, "." or ".." components: the pseudo-root is a clean tree. */
	for (const char *c = p + 1; *c;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 && slash)
			return false;
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!slash)
			break;
		c = slash + 1;
	}
	return true;
}

struct config_export *config_export_new(struct ferry_config *cfg, const char *name,
				       char *errbuf, size_t errlen)
{
	if (cfg->nexports >= CONFIG_MAX_EXPORTS) {
		config_fail(errbuf, errlen, "too many exports (at most %d)", CONFIG_MAX_EXPORTS);
		return NULL;
	}
	struct config_export *e = &cfg->exports[cfg->nexports++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->squash = CONFIG_SQUASH_ROOT;
	config_keys_set_defaults(true, e);
	e->sec = CONFIG_SEC_DEFAULT;
	e->xprtsec = CONFIG_XPRTSEC_DEFAULT;
	strcpy(e->backend, "local");
	return e;
}

bool config_add_export_spec(struct ferry_config *cfg, const char *spec, char *errbuf,
			    size_t errlen)
{
	char tmp[CONFIG_PATH_MAX * 2];
	if (strlen(spec) >= sizeof(tmp))
		return config_fail(errbuf, errlen, "export spec is too long");
	strcpy(tmp, spec);
	/* The pseudo path is everything after the last ':' that starts with '/'. */
	char *colon = strrchr(tmp, ':');
	const char *pseudo = NULL;
	if (colon && colon[1] == '/') {
		*colon = '\0';
		pseudo = colon + 1;
	}
	char name[16];
	snprintf(name, sizeof(name), "cli%u", cfg->nexports);
	struct config_export *e = config_export_new(cfg, name, errbuf, errlen);
	if (!e)
		return false;
	if (!copy_str(e->path, sizeof(e->path), tmp, "export path", errbuf, errlen))
		return false;
	if (pseudo && !copy_str(e->pseudo, sizeof(e->pseudo), pseudo, "pseudo path", errbuf,
				errlen))
		return false;
	return true;
}

struct ini_ctx {
	struct ferry_config *cfg;
	char *errbuf;
	size_t errlen;
	bool failed;
	/* Reading the cluster's configuration: only its sections are taken. */
	bool shared;
	/* A section of the cluster's configuration was met ([export NAME],
	 * [nfs]): the first one's name. */
	char shared_seen[80];
};

/* The sections every head of a cluster must agree on: with [cluster]
 * config = rados they come from the cluster's configuration object and
 * from nowhere else. */
static bool section_is_shared(const char *section)
{
	return (strncmp(section, "export ", 7) == 0 && section[7]) || strcmp(section, "nfs") == 0;
}

static struct config_export *export_for_section(struct ini_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->cfg->nexports; i++)
		if (strcmp(ctx->cfg->exports[i].name, name) == 0)
			return &ctx->cfg->exports[i];
	return config_export_new(ctx->cfg, name, ctx->errbuf, ctx->errlen);
}

/* Reads value into the field k names in base (the server's config or an
 * export), in k's range and with k's wording of a bad value. */
static bool set_key(const struct config_key *k, void *base, const char *value, const char *where,
		    struct ini_ctx *ctx)
{
	unsigned long long v;
	if (k->kind == KEY_TEXT)
		return copy_str((char *)base + k->off, k->size, value, where, ctx->errbuf,
				ctx->errlen);
	bool parsed = config_parse_uint(value, k->max, &v);
	if (k->kind == KEY_NUMBER_MUST_BE && (!parsed || v < k->min))
		return config_fail(ctx->errbuf, ctx->errlen, "%s: must be %llu..%llu", where, k->min,
			    k->max);
	if (!parsed)
		return config_fail(ctx->errbuf, ctx->errlen, "%s: '%s' is not a number in 0..%llu", where,
			    value, k->max);
	if (v < k->min)
		return config_fail(ctx->errbuf, ctx->errlen, "%s: at least %llu", where, k->min);
	config_store_uint((char *)base + k->off, k->size, v);
	return true;
}

/* "a, b c" -> entries; each checked later by the NFS layer's CIDR parser. */
static bool parse_client_list(struct config_export *e, const char *value, const char *where,
			      struct ini_ctx *ctx)
{
	char tmp[CONFIG_MAX_CLIENTS * CONFIG_CLIENT_ENTRY_MAX];
	snprintf(tmp, sizeof(tmp), "%s", value);
	e->nclients = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (e->nclients >= CONFIG_MAX_CLIENTS)
			return config_fail(ctx->errbuf, ctx->errlen, "%s: at most %d entries", where,
				    CONFIG_MAX_CLIENTS);
		if (strlen(tok) >= sizeof(e->clients[0]))
			return config_fail(ctx->errbuf, ctx->errlen, "%s: '%s' is too long", where, tok);
		strcpy(e->clients[e->nclients++], tok);
	}
	return true;
}

static bool unknown_key(struct ini_ctx *ctx, const char *section, const char *where)
{
	return config_fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [%s]", where, section);
}

/* [rpc] local_congestion_control: a kernel name for a TCP congestion
 * control (letters, digits, '_'), or "system" for none of ferryd's. */
static bool set_local_congestion(struct ferry_config *cfg, const char *value, const char *where,
				 char *errbuf, size_t errlen)
{
	size_t n = strlen(value);
	if (n == 0 || n >= sizeof(cfg->local_congestion))
		return config_fail(errbuf, errlen,
				   "%s: '%s' is not a TCP congestion control's name (1 to %zu "
				   "characters, or \"system\")",
				   where, value, sizeof(cfg->local_congestion) - 1);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)value[i]) && value[i] != '_')
			return config_fail(errbuf, errlen,
					   "%s: '%s' is not a TCP congestion control's name "
					   "(letters, digits and '_', or \"system\")",
					   where, value);
	if (strcmp(value, "system") == 0)
		cfg->local_congestion[0] = '\0';
	else
		memcpy(cfg->local_congestion, value, n + 1);
	return true;
}

/* The keys of [server], [nfs] and [control] that are neither numbers nor
 * plain text. */
static bool server_entry(struct ini_ctx *ctx, const char *section, const char *key,
			 const char *value, const char *where)
{
	static const char *const delegation_words[] = {"off", "read", "readwrite"};
	static const char *const splice_read_words[] = {"remote", "always", "never"};
	struct ferry_config *cfg = ctx->cfg;
	bool in_server = strcmp(section, "server") == 0, in_nfs = strcmp(section, "nfs") == 0;
	unsigned word;
	if (in_server && strcmp(key, "listen") == 0)
		return add_listen(cfg, value, ctx->errbuf, ctx->errlen);
	if (in_server && strcmp(key, "log_level") == 0)
		return log_level_parse(value, &cfg->log_level) ||
		       config_fail(ctx->errbuf, ctx->errlen, "%s: unknown level '%s'", where, value);
	if (in_server && strcmp(key, "mount") == 0)
		return parse_yes_no(value, &cfg->mount, where, ctx->errbuf, ctx->errlen);
	if ((in_server && strcmp(key, "rpcbind") == 0) ||
	    (in_nfs && strcmp(key, "dir_delegations") == 0))
		return parse_yes_no(value, in_nfs ? &cfg->dir_delegations : &cfg->rpcbind, where,
				    ctx->errbuf, ctx->errlen);
	if (in_nfs && strcmp(key, "delegations") == 0) {
		if (!parse_word(value, delegation_words, 3, &word, where, ctx->errbuf, ctx->errlen))
			return false;
		cfg->delegations = (enum config_delegations)word;
		return true;
	}
	if (strcmp(section, "control") == 0 && strcmp(key, "listen") == 0)
		return set_control_listen(cfg, value, ctx->errbuf, ctx->errlen);
	if (strcmp(section, "nlm") == 0 && strcmp(key, "nsm") == 0)
		return parse_yes_no(value, &cfg->nlm_nsm, where, ctx->errbuf, ctx->errlen);
	if (strcmp(section, "rpc") == 0 && strcmp(key, "map_reads") == 0)
		return parse_yes_no(value, &cfg->map_reads, where, ctx->errbuf, ctx->errlen);
	if (strcmp(section, "rpc") == 0 && strcmp(key, "local_congestion_control") == 0)
		return set_local_congestion(cfg, value, where, ctx->errbuf, ctx->errlen);
	if (strcmp(section, "rpc") == 0 && strcmp(key, "splice_reads") == 0)
		return parse_word(value, splice_read_words, 3, &cfg->splice_reads, where,
				  ctx->errbuf, ctx->errlen);
	if (strcmp(section, "nlm") == 0 && strcmp(key, "udp") == 0)
		return parse_yes_no(value, &cfg->nlm_udp, where, ctx->errbuf, ctx->errlen);
	return unknown_key(ctx, section, where);
}

static const char *const sec_words[CONFIG_SEC_KINDS] = {"", "none", "sys", "krb5", "krb5i",
							 "krb5p"};

const char *config_sec_name(enum config_sec s)
{
	return s > CONFIG_SEC_END && s < CONFIG_SEC_KINDS ? sec_words[s] : "?";
}

bool config_sec_has_krb5(uint32_t sec)
{
	for (; sec; sec >>= 4)
		if ((sec & 0xf) >= CONFIG_SEC_KRB5)
			return true;
	return false;
}

static const char *const xprtsec_words[CONFIG_XPRTSEC_KINDS] = {"", "none", "tls", "mtls"};

const char *config_xprtsec_name(enum config_xprtsec x)
{
	return x > CONFIG_XPRTSEC_END && x < CONFIG_XPRTSEC_KINDS ? xprtsec_words[x] : "?";
}

/* "krb5p:krb5i:sys" (or "mtls:tls"): each of words once, at least one,
 * packed 4 bits each in order; what names the kind in messages. */
static bool parse_word_list(const char *value, const char *const *words, unsigned nwords,
			    const char *what, uint32_t *out, const char *where, char *errbuf,
			    size_t errlen)
{
	uint32_t packed = 0, seen = 0;
	unsigned n = 0;
	const char *p = value;
	for (;;) {
		size_t len = strcspn(p, ":");
		unsigned w = 0;
		for (unsigned i = 1; i < nwords; i++)
			if (strlen(words[i]) == len && strncmp(p, words[i], len) == 0)
				w = i;
		if (w == 0) {
			char all[128] = "";
			for (unsigned i = 1; i < nwords; i++)
				snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
					 i > 1 ? ", " : "", words[i]);
			return config_fail(errbuf, errlen, "%s: '%.*s' is not a %s (%s; joined with ':')",
				    where, (int)len, p, what, all);
		}
		if (seen & 1u << w)
			return config_fail(errbuf, errlen, "%s: %s is listed twice", where, words[w]);
		seen |= 1u << w;
		packed |= (uint32_t)w << (4 * n++);
		if (!p[len])
			break;
		p += len + 1;
	}
	*out = packed;
	return true;
}

static bool parse_sec(const char *value, uint32_t *out, const char *where, char *errbuf,
		      size_t errlen)
{
	return parse_word_list(value, sec_words, CONFIG_SEC_KINDS, "flavour", out, where, errbuf,
			       errlen);
}

/* The yes-or-no keys of an [export NAME] section; a negated one says the
 * opposite of its field ("secure = yes" sets insecure to no). */
struct export_flag {
	const char *key;
	size_t off; /* of the bool in struct config_export */
	bool negated;
};

static const struct export_flag export_flags[] = {
	{"insecure", offsetof(struct config_export, insecure), false},
	{"secure", offsetof(struct config_export, insecure), true},
	{"insecure_locks", offsetof(struct config_export, insecure_locks), false},
	{"secure_locks", offsetof(struct config_export, insecure_locks), true},
	{"async", offsetof(struct config_export, async), false},
	{"nfs3", offsetof(struct config_export, no_nfs3), true},
	{"attr_cache", offsetof(struct config_export, no_attr_cache), true},
};

/* The keys of an [export NAME] section that are neither numbers nor plain
 * text. */
static bool export_entry(struct ini_ctx *ctx, struct config_export *e, const char *section,
			 const char *key, const char *value, const char *where)
{
	static const char *const access_words[] = {"rw", "ro"};
	static const char *const squash_words[] = {"root", "all", "none"};
	unsigned word;
	if (strcmp(key, "access") == 0) {
		if (!parse_word(value, access_words, 2, &word, where, ctx->errbuf, ctx->errlen))
			return false;
		e->read_only = word == 1;
		return true;
	}
	if (strcmp(key, "squash") == 0) {
		if (!parse_word(value, squash_words, 3, &word, where, ctx->errbuf, ctx->errlen))
			return false;
		e->squash = (enum config_squash)word;
		return true;
	}
	for (size_t i = 0; i < sizeof(export_flags) / sizeof(export_flags[0]); i++) {
		const struct export_flag *f = &export_flags[i];
		if (strcmp(key, f->key) != 0)
			continue;
		bool *field = (bool *)((char *)e + f->off);
		if (f->negated)
			return parse_yes_no_negated(value, field, where, ctx->errbuf, ctx->errlen);
		return parse_yes_no(value, field, where, ctx->errbuf, ctx->errlen);
	}
	if (strcmp(key, "sec") == 0)
		return parse_sec(value, &e->sec, where, ctx->errbuf, ctx->errlen);
	if (strcmp(key, "xprtsec") == 0)
		return parse_word_list(value, xprtsec_words, CONFIG_XPRTSEC_KINDS, "transport",
				       &e->xprtsec, where, ctx->errbuf, ctx->errlen);
	if (strcmp(key, "clients") == 0)
		return parse_client_list(e, value, where, ctx);
	return unknown_key(ctx, section, where);
}

static int config_ini_entry(void *user, const char *section, const char *key,
			    const char *value)
{
	struct ini_ctx *ctx = user;
	char where[160];
	snprintf(where, sizeof(where), "[%.64s] %.64s", section, key);
	if (section_is_shared(section) && !ctx->shared_seen[0])
		snprintf(ctx->shared_seen, sizeof(ctx->shared_seen), "%.70s", section);
	if (ctx->shared && !section_is_shared(section)) {
		ctx->failed = true;
		config_fail(ctx->errbuf, ctx->errlen,
		     "[%s]: the cluster's configuration holds [export NAME] and [nfs] sections "
		     "only; the rest is each head's own file",
		     section);
		return 0;
	}
	bool is_export = strncmp(section, "export ", 7) == 0 && section[7];
	const char *keys_of = is_export ? "export NAME" : section;
	struct config_export *e = is_export ? export_for_section(ctx, section + 7) : NULL;
	void *base = is_export ? (void *)e : (void *)ctx->cfg;
	const struct config_key *k = config_key_find(keys_of, key);
	bool ok;
	if (is_export && !e)
		ok = false;
	else if (k)
		ok = set_key(k, base, value, where, ctx);
	else if (is_export)
		ok = export_entry(ctx, e, section, key, value, where);
	else if (strcmp(section, "server") == 0 || strcmp(section, "rpc") == 0 ||
		 strcmp(section, "nfs") == 0 || strcmp(section, "control") == 0 ||
		 strcmp(section, "nlm") == 0)
		ok = server_entry(ctx, section, key, value, where);
	else if (strcmp(section, "cluster") == 0 && strcmp(key, "config") == 0) {
		static const char *const config_words[] = {"file", "rados"};
		unsigned w;
		ok = parse_word(value, config_words, 2, &w, where, ctx->errbuf, ctx->errlen);
		if (ok)
			ctx->cfg->cluster_config_rados = w == 1;
	} else if (strcmp(section, "cluster") == 0 || strcmp(section, "tls") == 0)
		ok = unknown_key(ctx, section, where);
	else
		ok = config_fail(ctx->errbuf, ctx->errlen,
			  "unknown section [%s] (expected server, rpc, nfs, nlm, control, "
			  "cluster, tls, export NAME)",
			  section);
	if (!ok)
		ctx->failed = true;
	return ok ? 1 : 0;
}

/* [cluster]: the node name becomes part of RADOS object names and omap
 * keys, and other heads will name this one by it, so it is kept to a
 * plain word; the other keys mean nothing without it. */
static bool cluster_check(struct ferry_config *cfg, char *errbuf, size_t errlen)
{
	if (!cfg->cluster_node[0]) {
		if (cfg->cluster_rados_conf[0] || cfg->cluster_rados_id[0] ||
		    cfg->cluster_rados_pool[0] || cfg->cluster_rados_namespace[0] ||
		    cfg->cluster_config_rados)
			return config_fail(errbuf, errlen, "[cluster] needs node = NAME");
		return true;
	}
	if (strlen(cfg->cluster_node) > 64 ||
	    strspn(cfg->cluster_node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-") != strlen(cfg->cluster_node))
		return config_fail(errbuf, errlen,
			    "[cluster] node: '%s' must be at most 64 letters, digits, '.', '_' "
			    "or '-'",
			    cfg->cluster_node);
	if (!cfg->cluster_rados_pool[0])
		strcpy(cfg->cluster_rados_pool, "ferry");
	return true;
}

/* What inih's rc and ctx say of a parse, as "ORIGIN: what went wrong" for a
 * failed one; ctx's own message is in inner. */
static bool ini_outcome(int rc, const struct ini_ctx *ctx, const char *inner, const char *origin,
			char *errbuf, size_t errlen)
{
	if (rc == -2)
		return config_fail(errbuf, errlen, "%s: out of memory", origin);
	if (ctx->failed)
		return config_fail(errbuf, errlen, "%s: %s", origin, inner);
	if (rc > 0)
		return config_fail(errbuf, errlen, "%s: line %d: syntax error", origin, rc);
	return true;
}

bool config_load_file(struct ferry_config *cfg, const char *path, char *errbuf, size_t errlen)
{
	char inner[512] = "";
	struct ini_ctx ctx = {.cfg = cfg, .errbuf = inner, .errlen = sizeof(inner)};
	int rc = ini_parse(path, config_ini_entry, &ctx);
	if (rc == -1)
		return config_fail(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
	if (!ini_outcome(rc, &ctx, inner, path, errbuf, errlen))
		return false;
	if (cfg->cluster_config_rados && ctx.shared_seen[0])
		return config_fail(errbuf, errlen,
			    "%s: [%s]: with [cluster] config = rados the exports and [nfs] come "
			    "from the cluster's configuration in RADOS, not from this file "
			    "(ferryctl export add, or write them to RADOS object 'config')",
			    path, ctx.shared_seen);
	return true;
}

const char *config_nfs_differs(const struct ferry_config *a, const struct ferry_config *b)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		const struct config_key *k = &config_keys[i];
		if (strcmp(k->section, "nfs") == 0 &&
		    memcmp((const char *)a + k->off, (const char *)b + k->off, k->size) != 0)
			return k->key;
	}
	if (a->delegations != b->delegations)
		return "delegations";
	if (a->dir_delegations != b->dir_delegations)
		return "dir_delegations";
	return NULL;
}

/* The first line of text that is no section header, key, comment,
 * continuation or blank line (0: none).  inih reports such a line only
 * after handing on the keys below it, which a broken header would put
 * into the section before it: so the text is checked first. */
static int text_syntax_error(const char *text)
{
	int line = 1;
	for (const char *p = text; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool ok = len == 0 || p[0] == ' ' || p[0] == '\t' || p[0] == ';' || p[0] == '#' ||
			  p[0] == '\r';
		if (!ok && p[0] == '[')
			ok = memchr(p, ']', len) != NULL;
		else if (!ok)
			ok = memchr(p, '=', len) || memchr(p, ':', len);
		if (!ok)
			return line;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

bool config_load_text(struct ferry_config *cfg, const char *text, const char *origin,
		      char *errbuf, size_t errlen)
{
	int bad = text_syntax_error(text);
	if (bad)
		return config_fail(errbuf, errlen, "%s: line %d: syntax error", origin, bad);
	char inner[512] = "";
	struct ini_ctx ctx = {.cfg = cfg, .errbuf = inner, .errlen = sizeof(inner), .shared = true};
	int rc = ini_parse_string(text, config_ini_entry, &ctx);
	return ini_outcome(rc, &ctx, inner, origin, errbuf, errlen);
}

const char *config_usage(void)
{
	return "usage: ferryd [options]\n"
	       "  --listen HOST:PORT[,minor=A-B][,v3=no][,mount=no]\n"
	       "                          address to serve on (repeatable; default "
	       "127.0.0.1:2049;\n"
	       "                          minor=A-B limits its NFSv4 minor versions;\n"
	       "                          v3=no serves no NFSv3 (nor MOUNT) there;\n"
	       "                          mount=no serves no MOUNT program there;\n"
	       "                          IPv6 as [::1]:2049; port 0 picks a free one)\n"
	       "  --export DIR[:PSEUDO]   export DIR at pseudo path PSEUDO (repeatable;\n"
	       "                          default PSEUDO is /basename(DIR); default export\n"
	       "                          ./export, created if missing)\n"
	       "  --exports FILE          read knfsd's exports(5) format from FILE (man 5\n"
	       "                          ferry-exports); --export leaves it unread\n"
	       "  --state-dir DIR         where persistent server state lives (default "
	       "./state)\n"
	       "  --config FILE           INI file with the same settings and more\n"
	       "  --log-level LEVEL       error, warn, info, debug or trace (default info)\n"
	       "  --port-file FILE        write the bound port of each listener to FILE\n"
	       "  --no-rpcbind            do not register with a local rpcbind\n"
	       "  --control HOST:PORT|unix:/PATH|none\n"
	       "                          control plane address (default 127.0.0.1:9590)\n"
	       "  --help                  this text\n";
}

/* The first --listen or --export replaces the list the config file gave;
 * later ones add to it. */
static void config_list_from_cli(bool *seen, unsigned *count)
{
	if (!*seen) {
		*count = 0;
		*seen = true;
	}
}

/* ferryd's flags.  A FLAG_TEXT flag copies its value into the field it
 * names; the others are handled one by one in config_parse_args. */
enum flag_action {
	FLAG_TEXT,
	FLAG_LISTEN,
	FLAG_EXPORT,
	FLAG_EXPORTS_FILE,
	FLAG_CONFIG, /* read before every other flag */
	FLAG_LOG_LEVEL,
	FLAG_NO_RPCBIND,
	FLAG_CONTROL,
	FLAG_HELP,
};

static const struct {
	const char *name;
	enum flag_action action;
	size_t off, size; /* FLAG_TEXT: the field in struct ferry_config */
} cli_flags[] = {
	{"listen", FLAG_LISTEN, 0, 0},
	{"export", FLAG_EXPORT, 0, 0},
	{"exports", FLAG_EXPORTS_FILE, SERVER_FIELD(exports_file)},
	{"state-dir", FLAG_TEXT, SERVER_FIELD(state_dir)},
	{"config", FLAG_CONFIG, 0, 0},
	{"log-level", FLAG_LOG_LEVEL, 0, 0},
	{"port-file", FLAG_TEXT, SERVER_FIELD(port_file)},
	{"no-rpcbind", FLAG_NO_RPCBIND, 0, 0},
	{"control", FLAG_CONTROL, 0, 0},
	{"help", FLAG_HELP, 0, 0},
};

enum { CLI_FLAGS = sizeof(cli_flags) / sizeof(cli_flags[0]) };

bool config_parse_args(struct ferry_config *cfg, int argc, char **argv, bool *want_help,
		       char *errbuf, size_t errlen)
{
	*want_help = false;

	/* The file goes first so that flags override it, wherever they stand. */
	for (int i = 1; i < argc; i++) {
		const char *file = NULL;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		if (file && !config_load_file(cfg, file, errbuf, errlen))
			return false;
		if (file && !copy_str(cfg->config_path, sizeof(cfg->config_path), file,
				      "--config", errbuf, errlen))
			return false;
	}
	/* Flags given on the command line replace the file's lists. */
	bool cli_listen = false, cli_export = false;

	/* 0, not 1: glibc then also drops the position inside a cluster of
	 * short options left over from an earlier scan that stopped early,
	 * which would otherwise be resumed in a vector that may be gone. */
	optind = 0;
	opterr = 0;
	/* getopt's table, val = the flag's index + 1 (0 would mean "set a
	 * variable"). */
	struct option opts[CLI_FLAGS + 1];
	memset(opts, 0, sizeof(opts));
	for (unsigned i = 0; i < CLI_FLAGS; i++) {
		enum flag_action action = cli_flags[i].action;
		bool bare = action == FLAG_NO_RPCBIND || action == FLAG_HELP;
		opts[i] = (struct option){cli_flags[i].name, bare ? no_argument : required_argument,
					  NULL, (int)i + 1};
	}
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == ':')
			return config_fail(errbuf, errlen, "%s needs a value", argv[optind - 1]);
		if (c < 1 || c > CLI_FLAGS) {
			/* optopt is the character of an unknown short option,
			 * whose cluster (-qz) optind may still point into; for
			 * long options it is 0 or a flag's val. */
			if (optopt > CLI_FLAGS)
				return config_fail(errbuf, errlen, "unknown option '-%c'", optopt);
			return config_fail(errbuf, errlen, "unknown option '%s'", argv[optind - 1]);
		}
		size_t off = cli_flags[c - 1].off, size = cli_flags[c - 1].size;
		char flag[32];
		snprintf(flag, sizeof(flag), "--%s", cli_flags[c - 1].name);
		switch (cli_flags[c - 1].action) {
		case FLAG_TEXT:
			if (!copy_str((char *)cfg + off, size, optarg, flag, errbuf, errlen))
				return false;
			break;
		case FLAG_LISTEN:
			config_list_from_cli(&cli_listen, &cfg->nlisten);
			if (!add_listen(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case FLAG_EXPORT:
			config_list_from_cli(&cli_export, &cfg->nexports);
			cfg->exports_from_cli = true;
			if (!config_add_export_spec(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case FLAG_EXPORTS_FILE:
			if (!copy_str((char *)cfg + off, size, optarg, flag, errbuf, errlen))
				return false;
			cfg->exports_file_from_cli = true;
			break;
		case FLAG_CONFIG:
			break;
		case FLAG_LOG_LEVEL:
			if (!log_level_parse(optarg, &cfg->log_level))
				return config_fail(errbuf, errlen,
					    "--log-level: unknown level '%s' (error, warn, info, "
					    "debug, trace)",
					    optarg);
			break;
		case FLAG_NO_RPCBIND:
			cfg->rpcbind = false;
			break;
		case FLAG_CONTROL:
			if (!set_control_listen(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case FLAG_HELP:
			*want_help = true;
			return true;
		}
	}
	if (optind < argc)
		return config_fail(errbuf, errlen, "unexpected argument '%s'", argv[optind]);
	return true;
}

bool config_finish(struct ferry_config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->nlisten == 0)
		add_listen(cfg, "127.0.0.1:2049", errbuf, errlen);
	if (cfg->cluster_config_rados && cfg->exports_from_cli)
		return config_fail(errbuf, errlen, "--export cannot be used with [cluster] config = rados: "
					    "the exports come from the cluster's configuration");
	if (cfg->exports_file[0] && cfg->cluster_config_rados)
		return config_fail(errbuf, errlen, "an exports file cannot be used with [cluster] "
						   "config = rados: the exports come from the "
						   "cluster's configuration");
	/* --export replaces every export the files name, the exports file's
	 * too. */
	if (cfg->exports_file[0] && !cfg->exports_from_cli &&
	    !exports_file_load(cfg, cfg->exports_file, errbuf, errlen))
		return false;
	/* A cluster's configuration may hold no export yet: the head serves
	 * the empty pseudo root until one is added; an exports file with no
	 * export leaves the pseudo root empty as knfsd's does. */
	if (cfg->nexports == 0 && !cfg->cluster_config_rados && !cfg->exports_file[0] &&
	    !config_add_export_spec(cfg, "./export", errbuf, errlen))
		return false;
	if (!cfg->state_dir[0])
		strcpy(cfg->state_dir, "./state");
	if (!cfg->control_token_file[0] &&
	    snprintf(cfg->control_token_file, sizeof(cfg->control_token_file), "%s/control.token",
		     cfg->state_dir) >= (int)sizeof(cfg->control_token_file))
		return config_fail(errbuf, errlen, "state directory path is too long");
	if (cfg->min_minor > cfg->max_minor)
		return config_fail(errbuf, errlen, "min_minor %u is above max_minor %u", cfg->min_minor,
			    cfg->max_minor);
	if (cfg->inflight_memory_per_conn_mb > cfg->inflight_memory_mb)
		return config_fail(errbuf, errlen,
			    "inflight_memory_per_conn_mb %u is above inflight_memory_mb %u",
			    cfg->inflight_memory_per_conn_mb, cfg->inflight_memory_mb);
	/* Room for a largest request and its reply, or nothing large would
	 * ever be served. */
	if ((uint64_t)cfg->inflight_memory_mb << 20 < 2 * (uint64_t)cfg->max_record_size)
		return config_fail(errbuf, errlen,
			    "inflight_memory_mb %u holds less than two records of "
			    "max_record_size %u",
			    cfg->inflight_memory_mb, cfg->max_record_size);
	if (!cluster_check(cfg, errbuf, errlen))
		return false;
	if (!cfg->tls_cert[0] != !cfg->tls_key[0] || (cfg->tls_client_ca[0] && !cfg->tls_cert[0]))
		return config_fail(errbuf, errlen, "[tls] needs both cert and key (and client_ca only "
					    "with them)");
	for (unsigned i = 0; i < cfg->nexports; i++) {
		struct config_export *e = &cfg->exports[i];
		bool wants_tls = false, wants_mtls = false, named = e->xprtsec != CONFIG_XPRTSEC_DEFAULT;
		for (uint32_t x = e->xprtsec; x; x >>= 4) {
			wants_tls |= (x & 0xf) != CONFIG_XPRTSEC_NONE;
			wants_mtls |= (x & 0xf) == CONFIG_XPRTSEC_MTLS;
		}
		/* exports(5): each host's own transports */
		for (unsigned k = 0; k < e->nclients; k++) {
			uint32_t own = e->client_opts[k].xprtsec;
			if (!(e->client_own_opts & UINT32_C(1) << k) || own == CONFIG_XPRTSEC_DEFAULT)
				continue;
			named = true;
			for (uint32_t x = own; x; x >>= 4) {
				wants_tls |= (x & 0xf) != CONFIG_XPRTSEC_NONE;
				wants_mtls |= (x & 0xf) == CONFIG_XPRTSEC_MTLS;
			}
		}
		if (named && wants_tls && !cfg->tls_cert[0])
			return config_fail(errbuf, errlen,
				    "export %s: xprtsec names TLS but there is no [tls] section "
				    "with cert and key",
				    e->name);
		if (named && wants_mtls && !cfg->tls_client_ca[0])
			return config_fail(errbuf, errlen,
				    "export %s: xprtsec names mtls but [tls] has no client_ca to "
				    "verify client certificates with",
				    e->name);
		if (!e->path[0])
			return config_fail(errbuf, errlen, "export %s has no path", e->name);
		if ((e->ceph_conf[0] || e->ceph_id[0]) && strcmp(e->backend, "ceph") != 0)
			return config_fail(errbuf, errlen,
				    "export %s: ceph_conf and ceph_id are for the ceph backend",
				    e->name);
		if (e->read_cache_mb != CONFIG_READ_CACHE_MB_DEFAULT &&
		    strcmp(e->backend, "ceph") != 0)
			return config_fail(errbuf, errlen,
				    "export %s: read_cache_mb is for the ceph backend (a local "
				    "export's reads use the kernel's page cache)",
				    e->name);
		if (e->memory_latency_us && strcmp(e->backend, "memory") != 0)
			return config_fail(errbuf, errlen,
				    "export %s: memory_latency_us is for the memory backend",
				    e->name);
		if (!e->pseudo[0]) {
			char tmp[CONFIG_PATH_MAX];
			snprintf(tmp, sizeof(tmp), "%s", e->path);
			/* Trailing slashes would make basename() empty-ish. */
			size_t n = strlen(tmp);
			while (n > 1 && tmp[n - 1] == '/')
				tmp[--n] = '\0';
			const char *base = basename(tmp);
			if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 ||
			    strcmp(base, "..") == 0)
				return config_fail(errbuf, errlen,
					    "export %s: cannot derive a pseudo path from '%s'; give "
					    "one as DIR:/PSEUDO",
					    e->name, e->path);
			snprintf(e->pseudo, sizeof(e->pseudo), "/%s", base);
		}
		size_t n = strlen(e->pseudo);
		while (n > 1 && e->pseudo[n - 1] == '/')
			e->pseudo[--n] = '\0';
		if (!pseudo_path_valid(e->pseudo))
			return config_fail(errbuf, errlen,
				    "export %s: pseudo path '%s' must be absolute with no empty, "
				    "'.' or '..' components",
				    e->name, e->pseudo);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->exports[j].pseudo, e->pseudo) == 0)
				return config_fail(errbuf, errlen, "exports %s and %s share pseudo path %s",
					    cfg->exports[j].name, e->name, e->pseudo);
	}
	return true;
}
