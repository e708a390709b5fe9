#include "core/config.h"

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

static bool fail(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return false;
}

void config_init_defaults(struct ferry_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->event_loops = 0;
	cfg->workers = 8;
	cfg->max_record_size = 1024 * 1024 + 8192;
	cfg->max_inflight_per_conn = 128;
	cfg->idle_timeout_s = 360;
	cfg->inflight_memory_mb = 256;
	cfg->inflight_memory_per_conn_mb = 16;
	cfg->max_connections = 4096;
	cfg->max_connections_per_client = 128;
	cfg->rpcbind = true;
	cfg->lease_time_s = 90;
	cfg->grace_time_s = 90;
	cfg->delegations = CONFIG_DELEG_READWRITE;
	cfg->dir_delegations = true;
	cfg->dir_notify_window_ms = 50;
	cfg->dir_notify_max_changes = 256;
	cfg->dir_attr_delay_max_ms = 1000;
	strcpy(cfg->owner_domain, "localdomain");
	cfg->min_minor = 0;
	cfg->max_minor = CONFIG_MINOR_HIGHEST;
	cfg->max_clients = 16384;
	cfg->max_sessions_per_client = 16;
	cfg->max_open_owners_per_client = 4096;
	cfg->max_opens_per_client = 16384;
	cfg->max_lock_owners_per_client = 4096;
	cfg->max_locks_per_client = 16384;
	cfg->session_slots = 64;
	cfg->reply_cache_mb = 64;
	cfg->callback_timeout_ms = 5000;
	cfg->callback_retry_ms = 5000;
	cfg->callback_retries = 3;
	cfg->copy_sync_max = 32u << 20;
	cfg->copy_max_per_client = 16;
	cfg->copy_rate_mb = 0;
	snprintf(cfg->control_listen, sizeof(cfg->control_listen), "127.0.0.1:%d",
		 CONFIG_CONTROL_PORT);
}


static bool copy_str(char *dst, size_t cap, const char *src, const char *what, char *errbuf,
		     size_t errlen)
{
	size_t n = strlen(src);
	if (n == 0)
		return fail(errbuf, errlen, "%s must not be empty", what);
	if (n >= cap)
		return fail(errbuf, errlen, "%s is too long (%zu bytes, at most %zu)", what, n,
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
			return fail(errbuf, errlen, "control listen '%s': unix: needs an absolute path",
				    value);
		if (strlen(value + 5) >= 108) /* sizeof(sun_path) */
			return fail(errbuf, errlen, "control listen '%s': the socket path is too long",
				    value);
		return copy_str(cfg->control_listen, sizeof(cfg->control_listen), value,
				"control listen address", errbuf, errlen);
	}
	const char *colon = strrchr(value, ':');
	unsigned long long port;
	if (!colon || colon == value || !config_parse_uint(colon + 1, 65535, &port))
		return fail(errbuf, errlen,
			    "control listen '%s': expected HOST:PORT, unix:/PATH or none", value);
	return copy_str(cfg->control_listen, sizeof(cfg->control_listen), value,
			"control listen address", errbuf, errlen);
}

static bool add_listen(struct ferry_config *cfg, const char *addr, char *errbuf, size_t errlen)
{
	if (cfg->nlisten >= CONFIG_MAX_LISTEN)
		return fail(errbuf, errlen, "too many listen addresses (at most %d)",
			    CONFIG_MAX_LISTEN);
	char tmp[sizeof(cfg->listen[0])];
	if (!copy_str(tmp, sizeof(tmp), addr, "listen address", errbuf, errlen))
		return false;
	int lo = -1, hi = -1;
	char *opt = strstr(tmp, ",minor=");
	if (opt) {
		*opt = '\0';
		const char *range = opt + 7;
		char *end;
		long a = strtol(range, &end, 10), b = a;
		if (end != range && *end == '-')
			b = strtol(end + 1, &end, 10);
		if (end == range || *end || a < 0 || b < a || b > CONFIG_MINOR_HIGHEST)
			return fail(errbuf, errlen,
				    "listen %s: minor=%s is not a range like 1-2 within 0..%d", tmp,
				    range, CONFIG_MINOR_HIGHEST);
		lo = (int)a;
		hi = (int)b;
	}
	strcpy(cfg->listen[cfg->nlisten], tmp);
	cfg->listen_minor_min[cfg->nlisten] = lo;
	cfg->listen_minor_max[cfg->nlisten] = hi;
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

static struct config_export *export_new(struct ferry_config *cfg, const char *name,
					char *errbuf, size_t errlen)
{
	if (cfg->nexports >= CONFIG_MAX_EXPORTS) {
		fail(errbuf, errlen, "too many exports (at most %d)", CONFIG_MAX_EXPORTS);
		return NULL;
	}
	struct config_export *e = &cfg->exports[cfg->nexports++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->squash = CONFIG_SQUASH_ROOT;
	e->anonuid = e->anongid = 65534;
	strcpy(e->backend, "local");
	return e;
}

bool config_add_export_spec(struct ferry_config *cfg, const char *spec, char *errbuf,
			    size_t errlen)
{
	char tmp[CONFIG_PATH_MAX * 2];
	if (strlen(spec) >= sizeof(tmp))
		return fail(errbuf, errlen, "export spec is too long");
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
	struct config_export *e = export_new(cfg, name, errbuf, errlen);
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
};

static struct config_export *export_for_section(struct ini_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->cfg->nexports; i++)
		if (strcmp(ctx->cfg->exports[i].name, name) == 0)
			return &ctx->cfg->exports[i];
	return export_new(ctx->cfg, name, ctx->errbuf, ctx->errlen);
}

static bool set_uint(const char *value, unsigned long long max, unsigned long long *out,
		     const char *key, struct ini_ctx *ctx)
{
	if (!config_parse_uint(value, max, out))
		return fail(ctx->errbuf, ctx->errlen, "%s: '%s' is not a number in 0..%llu", key,
			    value, max);
	return true;
}

/* The [nfs] cap on client state that key names, or NULL. */
static unsigned *nfs_cap_key(struct ferry_config *cfg, const char *key)
{
	static const struct {
		const char *key;
		size_t off;
	} caps[] = {
		{"max_clients", offsetof(struct ferry_config, max_clients)},
		{"max_sessions_per_client", offsetof(struct ferry_config, max_sessions_per_client)},
		{"max_open_owners_per_client",
		 offsetof(struct ferry_config, max_open_owners_per_client)},
		{"max_opens_per_client", offsetof(struct ferry_config, max_opens_per_client)},
		{"max_lock_owners_per_client",
		 offsetof(struct ferry_config, max_lock_owners_per_client)},
		{"max_locks_per_client", offsetof(struct ferry_config, max_locks_per_client)},
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (strcmp(key, caps[i].key) == 0)
			return (unsigned *)(void *)((char *)cfg + caps[i].off);
	return NULL;
}

/* "a, b c" -> entries; each checked later by the NFS layer's CIDR parser. */
static bool parse_client_list(struct config_export *e, const char *value, const char *where,
			      struct ini_ctx *ctx)
{
	char tmp[CONFIG_MAX_CLIENTS * 64];
	snprintf(tmp, sizeof(tmp), "%s", value);
	e->nclients = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (e->nclients >= CONFIG_MAX_CLIENTS)
			return fail(ctx->errbuf, ctx->errlen, "%s: at most %d entries", where,
				    CONFIG_MAX_CLIENTS);
		if (strlen(tok) >= sizeof(e->clients[0]))
			return fail(ctx->errbuf, ctx->errlen, "%s: '%s' is too long", where, tok);
		strcpy(e->clients[e->nclients++], tok);
	}
	return true;
}

static int config_ini_entry(void *user, const char *section, const char *key,
			    const char *value)
{
	struct ini_ctx *ctx = user;
	struct ferry_config *cfg = ctx->cfg;
	unsigned long long v;
	bool ok = true;
	char where[160];
	snprintf(where, sizeof(where), "[%.64s] %.64s", section, key);

	if (strcmp(section, "server") == 0) {
		if (strcmp(key, "listen") == 0)
			ok = add_listen(cfg, value, ctx->errbuf, ctx->errlen);
		else if (strcmp(key, "state_dir") == 0)
			ok = copy_str(cfg->state_dir, sizeof(cfg->state_dir), value, where,
				      ctx->errbuf, ctx->errlen);
		else if (strcmp(key, "log_level") == 0) {
			ok = log_level_parse(value, &cfg->log_level);
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: unknown level '%s'", where,
				     value);
		} else if (strcmp(key, "event_loops") == 0) {
			ok = set_uint(value, 256, &v, where, ctx);
			cfg->event_loops = (unsigned)v;
		} else if (strcmp(key, "workers") == 0) {
			ok = set_uint(value, 1024, &v, where, ctx) && v > 0;
			if (ok)
				cfg->workers = (unsigned)v;
			else
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..1024", where);
		} else if (strcmp(key, "rpcbind") == 0) {
			ok = parse_bool(value, &cfg->rpcbind);
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: expected yes or no", where);
		} else if (strcmp(key, "min_minor") == 0 || strcmp(key, "max_minor") == 0) {
			ok = set_uint(value, CONFIG_MINOR_HIGHEST, &v, where, ctx);
			if (key[1] == 'i')
				cfg->min_minor = (unsigned)v;
			else
				cfg->max_minor = (unsigned)v;
		} else {
			ok = fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [server]", where);
		}
	} else if (strcmp(section, "rpc") == 0) {
		if (strcmp(key, "max_record_size") == 0) {
			ok = set_uint(value, 64u << 20, &v, where, ctx);
			if (ok && v < 4096)
				ok = fail(ctx->errbuf, ctx->errlen, "%s: at least 4096", where);
			cfg->max_record_size = (uint32_t)v;
		} else if (strcmp(key, "max_inflight_per_conn") == 0) {
			ok = set_uint(value, 65536, &v, where, ctx);
			if (ok && v == 0)
				ok = fail(ctx->errbuf, ctx->errlen, "%s: at least 1", where);
			cfg->max_inflight_per_conn = (unsigned)v;
		} else if (strcmp(key, "inflight_memory_mb") == 0) {
			ok = set_uint(value, 1u << 20, &v, where, ctx);
			if (ok && v == 0)
				ok = fail(ctx->errbuf, ctx->errlen, "%s: at least 1", where);
			cfg->inflight_memory_mb = (unsigned)v;
		} else if (strcmp(key, "inflight_memory_per_conn_mb") == 0) {
			ok = set_uint(value, 1u << 20, &v, where, ctx);
			if (ok && v == 0)
				ok = fail(ctx->errbuf, ctx->errlen, "%s: at least 1", where);
			cfg->inflight_memory_per_conn_mb = (unsigned)v;
		} else if (strcmp(key, "max_connections") == 0) {
			ok = set_uint(value, 1u << 24, &v, where, ctx);
			cfg->max_connections = (unsigned)v;
		} else if (strcmp(key, "max_connections_per_client") == 0) {
			ok = set_uint(value, 1u << 24, &v, where, ctx);
			cfg->max_connections_per_client = (unsigned)v;
		} else if (strcmp(key, "idle_timeout") == 0) {
			ok = set_uint(value, 86400, &v, where, ctx);
			cfg->idle_timeout_s = (unsigned)v;
		} else {
			ok = fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [rpc]", where);
		}
	} else if (strcmp(section, "nfs") == 0) {
		if (strcmp(key, "lease_time") == 0) {
			ok = set_uint(value, 3600, &v, where, ctx) && v >= 10;
			if (ok)
				cfg->lease_time_s = (unsigned)v;
			else
				fail(ctx->errbuf, ctx->errlen, "%s: must be 10..3600", where);
		} else if (strcmp(key, "grace_time") == 0) {
			ok = set_uint(value, 3600, &v, where, ctx);
			cfg->grace_time_s = (unsigned)v;
		} else if (strcmp(key, "owner_domain") == 0) {
			ok = copy_str(cfg->owner_domain, sizeof(cfg->owner_domain), value, where,
				      ctx->errbuf, ctx->errlen);
		} else if (strcmp(key, "session_slots") == 0) {
			ok = set_uint(value, 1024, &v, where, ctx) && v >= 1;
			if (ok)
				cfg->session_slots = (unsigned)v;
			else
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..1024", where);
		} else if (strcmp(key, "delegations") == 0) {
			if (!strcmp(value, "off"))
				cfg->delegations = CONFIG_DELEG_OFF;
			else if (!strcmp(value, "read"))
				cfg->delegations = CONFIG_DELEG_READ;
			else if (!strcmp(value, "readwrite"))
				cfg->delegations = CONFIG_DELEG_READWRITE;
			else
				ok = fail(ctx->errbuf, ctx->errlen,
					  "%s: expected off, read or readwrite", where);
		} else if (strcmp(key, "max_delegations") == 0) {
			ok = set_uint(value, UINT32_MAX, &v, where, ctx);
			cfg->max_delegations = (unsigned)v;
		} else if (strcmp(key, "max_delegations_per_client") == 0) {
			ok = set_uint(value, UINT32_MAX, &v, where, ctx);
			cfg->max_delegations_per_client = (unsigned)v;
		} else if (strcmp(key, "dir_delegations") == 0) {
			ok = parse_bool(value, &cfg->dir_delegations) ||
			     fail(ctx->errbuf, ctx->errlen, "%s: expected yes or no", where);
		} else if (strcmp(key, "max_dir_delegations") == 0) {
			ok = set_uint(value, UINT32_MAX, &v, where, ctx);
			cfg->max_dir_delegations = (unsigned)v;
		} else if (strcmp(key, "dir_notify_window_ms") == 0 ||
			   strcmp(key, "dir_attr_delay_max_ms") == 0) {
			ok = set_uint(value, 60000, &v, where, ctx) && v >= 1;
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..60000", where);
			else if (strcmp(key, "dir_notify_window_ms") == 0)
				cfg->dir_notify_window_ms = (unsigned)v;
			else
				cfg->dir_attr_delay_max_ms = (unsigned)v;
		} else if (strcmp(key, "dir_notify_max_changes") == 0) {
			ok = set_uint(value, 65536, &v, where, ctx) && v >= 1;
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..65536", where);
			else
				cfg->dir_notify_max_changes = (unsigned)v;
		} else if (nfs_cap_key(cfg, key)) {
			ok = set_uint(value, UINT32_MAX, &v, where, ctx);
			*nfs_cap_key(cfg, key) = (unsigned)v;
		} else if (strcmp(key, "reply_cache_mb") == 0) {
			ok = set_uint(value, 1u << 20, &v, where, ctx);
			cfg->reply_cache_mb = (unsigned)v;
		} else if (strcmp(key, "callback_timeout_ms") == 0 ||
			   strcmp(key, "callback_retry_ms") == 0) {
			ok = set_uint(value, 3600000, &v, where, ctx) && v >= 1;
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..3600000", where);
			else if (strcmp(key, "callback_timeout_ms") == 0)
				cfg->callback_timeout_ms = (unsigned)v;
			else
				cfg->callback_retry_ms = (unsigned)v;
		} else if (strcmp(key, "copy_sync_max") == 0) {
			ok = set_uint(value, 1ull << 30, &v, where, ctx);
			cfg->copy_sync_max = v;
		} else if (strcmp(key, "copy_max_per_client") == 0) {
			ok = set_uint(value, 4096, &v, where, ctx) && v >= 1;
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: must be 1..4096", where);
			else
				cfg->copy_max_per_client = (unsigned)v;
		} else if (strcmp(key, "copy_rate_mb") == 0) {
			ok = set_uint(value, 1u << 20, &v, where, ctx);
			cfg->copy_rate_mb = (unsigned)v;
		} else if (strcmp(key, "callback_retries") == 0) {
			ok = set_uint(value, 16, &v, where, ctx);
			cfg->callback_retries = (unsigned)v;
		} else {
			ok = fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [nfs]", where);
		}
	} else if (strcmp(section, "control") == 0) {
		if (strcmp(key, "listen") == 0)
			ok = set_control_listen(cfg, value, ctx->errbuf, ctx->errlen);
		else if (strcmp(key, "token_file") == 0)
			ok = copy_str(cfg->control_token_file, sizeof(cfg->control_token_file),
				      value, where, ctx->errbuf, ctx->errlen);
		else
			ok = fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [control]", where);
	} else if (strncmp(section, "export ", 7) == 0 && section[7]) {
		struct config_export *e = export_for_section(ctx, section + 7);
		if (!e)
			ok = false;
		else if (strcmp(key, "path") == 0)
			ok = copy_str(e->path, sizeof(e->path), value, where, ctx->errbuf,
				      ctx->errlen);
		else if (strcmp(key, "pseudo") == 0)
			ok = copy_str(e->pseudo, sizeof(e->pseudo), value, where, ctx->errbuf,
				      ctx->errlen);
		else if (strcmp(key, "access") == 0) {
			ok = !strcmp(value, "rw") || !strcmp(value, "ro");
			e->read_only = !strcmp(value, "ro");
			if (!ok)
				fail(ctx->errbuf, ctx->errlen, "%s: expected rw or ro", where);
		} else if (strcmp(key, "squash") == 0) {
			if (!strcmp(value, "root"))
				e->squash = CONFIG_SQUASH_ROOT;
			else if (!strcmp(value, "all"))
				e->squash = CONFIG_SQUASH_ALL;
			else if (!strcmp(value, "none"))
				e->squash = CONFIG_SQUASH_NONE;
			else
				ok = fail(ctx->errbuf, ctx->errlen, "%s: expected root, all or none",
					  where);
		} else if (strcmp(key, "secure") == 0 || strcmp(key, "insecure") == 0) {
			bool b = false;
			ok = parse_bool(value, &b);
			if (ok)
				e->insecure = key[0] == 'i' ? b : !b;
			else
				fail(ctx->errbuf, ctx->errlen, "%s: expected yes or no", where);
		} else if (strcmp(key, "anonuid") == 0 || strcmp(key, "anongid") == 0) {
			ok = set_uint(value, UINT32_MAX, &v, where, ctx);
			if (key[4] == 'u')
				e->anonuid = (uint32_t)v;
			else
				e->anongid = (uint32_t)v;
		} else if (strcmp(key, "clients") == 0) {
			ok = parse_client_list(e, value, where, ctx);
		} else if (strcmp(key, "backend") == 0) {
			ok = copy_str(e->backend, sizeof(e->backend), value, where, ctx->errbuf,
				      ctx->errlen);
		} else if (strcmp(key, "attr_cache") == 0) {
			bool b = true;
			ok = parse_bool(value, &b);
			if (ok)
				e->no_attr_cache = !b;
			else
				fail(ctx->errbuf, ctx->errlen, "%s: expected yes or no", where);
		} else if (strcmp(key, "memory_latency_us") == 0) {
			ok = set_uint(value, 10000000, &v, where, ctx);
			e->memory_latency_us = (unsigned)v;
		} else
			ok = fail(ctx->errbuf, ctx->errlen, "%s: unknown key in [%s]", where,
				  section);
	} else {
		ok = fail(ctx->errbuf, ctx->errlen,
			  "unknown section [%s] (expected server, rpc, nfs, control, export NAME)", section);
	}
	if (!ok)
		ctx->failed = true;
	return ok ? 1 : 0;
}

bool config_load_file(struct ferry_config *cfg, const char *path, char *errbuf, size_t errlen)
{
	struct ini_ctx ctx = {cfg, errbuf, errlen, false};
	char inner[512] = "";
	ctx.errbuf = inner;
	ctx.errlen = sizeof(inner);
	int rc = ini_parse(path, config_ini_entry, &ctx);
	if (rc == -1)
		return fail(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
	if (rc == -2)
		return fail(errbuf, errlen, "%s: out of memory", path);
	if (ctx.failed)
		return fail(errbuf, errlen, "%s: %s", path, inner);
	if (rc > 0)
		return fail(errbuf, errlen, "%s: line %d: syntax error", path, rc);
	return true;
}

const char *config_usage(void)
{
	return "usage: ferryd [options]\n"
	       "  --listen HOST:PORT[,minor=A-B]\n"
	       "                          address to serve on (repeatable; default "
	       "127.0.0.1:2049;\n"
	       "                          minor=A-B limits its NFSv4 minor versions;\n"
	       "                          IPv6 as [::1]:2049; port 0 picks a free one)\n"
	       "  --export DIR[:PSEUDO]   export DIR at pseudo path PSEUDO (repeatable;\n"
	       "                          default PSEUDO is /basename(DIR); default export\n"
	       "                          ./export, created if missing)\n"
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

bool config_parse_args(struct ferry_config *cfg, int argc, char **argv, bool *want_help,
		       char *errbuf, size_t errlen)
{
	enum {
		OPT_LISTEN = 1,
		OPT_EXPORT,
		OPT_STATE,
		OPT_CONFIG,
		OPT_LOG,
		OPT_PORTFILE,
		OPT_NO_RPCBIND,
		OPT_CONTROL,
		OPT_HELP,
	};
	static const struct option opts[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"export", required_argument, NULL, OPT_EXPORT},
		{"state-dir", required_argument, NULL, OPT_STATE},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"log-level", required_argument, NULL, OPT_LOG},
		{"port-file", required_argument, NULL, OPT_PORTFILE},
		{"no-rpcbind", no_argument, NULL, OPT_NO_RPCBIND},
		{"control", required_argument, NULL, OPT_CONTROL},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
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
	int c;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			config_list_from_cli(&cli_listen, &cfg->nlisten);
			if (!add_listen(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case OPT_EXPORT:
			config_list_from_cli(&cli_export, &cfg->nexports);
			cfg->exports_from_cli = true;
			if (!config_add_export_spec(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case OPT_STATE:
			if (!copy_str(cfg->state_dir, sizeof(cfg->state_dir), optarg, "--state-dir",
				      errbuf, errlen))
				return false;
			break;
		case OPT_CONFIG:
			break;
		case OPT_LOG:
			if (!log_level_parse(optarg, &cfg->log_level))
				return fail(errbuf, errlen,
					    "--log-level: unknown level '%s' (error, warn, info, "
					    "debug, trace)",
					    optarg);
			break;
		case OPT_PORTFILE:
			if (!copy_str(cfg->port_file, sizeof(cfg->port_file), optarg, "--port-file",
				      errbuf, errlen))
				return false;
			break;
		case OPT_NO_RPCBIND:
			cfg->rpcbind = false;
			break;
		case OPT_CONTROL:
			if (!set_control_listen(cfg, optarg, errbuf, errlen))
				return false;
			break;
		case OPT_HELP:
			*want_help = true;
			return true;
		case ':':
			return fail(errbuf, errlen, "%s needs a value", argv[optind - 1]);
		default:
			/* optopt is the character of an unknown short option,
			 * whose cluster (-qz) optind may still point into; for
			 * long options it is 0 or one of the OPT_ values. */
			if (optopt > OPT_HELP)
				return fail(errbuf, errlen, "unknown option '-%c'", optopt);
			return fail(errbuf, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(errbuf, errlen, "unexpected argument '%s'", argv[optind]);
	return true;
}

bool config_finish(struct ferry_config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->nlisten == 0)
		add_listen(cfg, "127.0.0.1:2049", errbuf, errlen);
	if (cfg->nexports == 0 && !config_add_export_spec(cfg, "./export", errbuf, errlen))
		return false;
	if (!cfg->state_dir[0])
		strcpy(cfg->state_dir, "./state");
	if (!cfg->control_token_file[0] &&
	    snprintf(cfg->control_token_file, sizeof(cfg->control_token_file), "%s/control.token",
		     cfg->state_dir) >= (int)sizeof(cfg->control_token_file))
		return fail(errbuf, errlen, "state directory path is too long");
	if (cfg->min_minor > cfg->max_minor)
		return fail(errbuf, errlen, "min_minor %u is above max_minor %u", cfg->min_minor,
			    cfg->max_minor);
	if (cfg->inflight_memory_per_conn_mb > cfg->inflight_memory_mb)
		return fail(errbuf, errlen,
			    "inflight_memory_per_conn_mb %u is above inflight_memory_mb %u",
			    cfg->inflight_memory_per_conn_mb, cfg->inflight_memory_mb);
	/* Room for a largest request and its reply, or nothing large would
	 * ever be served. */
	if ((uint64_t)cfg->inflight_memory_mb << 20 < 2 * (uint64_t)cfg->max_record_size)
		return fail(errbuf, errlen,
			    "inflight_memory_mb %u holds less than two records of "
			    "max_record_size %u",
			    cfg->inflight_memory_mb, cfg->max_record_size);
	for (unsigned i = 0; i < cfg->nexports; i++) {
		struct config_export *e = &cfg->exports[i];
		if (!e->path[0])
			return fail(errbuf, errlen, "export %s has no path", e->name);
		if (e->memory_latency_us && strcmp(e->backend, "memory") != 0)
			return fail(errbuf, errlen,
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
				return fail(errbuf, errlen,
					    "export %s: cannot derive a pseudo path from '%s'; give "
					    "one as DIR:/PSEUDO",
					    e->name, e->path);
			snprintf(e->pseudo, sizeof(e->pseudo), "/%s", base);
		}
		size_t n = strlen(e->pseudo);
		while (n > 1 && e->pseudo[n - 1] == '/')
			e->pseudo[--n] = '\0';
		if (!pseudo_path_valid(e->pseudo))
			return fail(errbuf, errlen,
				    "export %s: pseudo path '%s' must be absolute with no empty, "
				    "'.' or '..' components",
				    e->name, e->pseudo);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->exports[j].pseudo, e->pseudo) == 0)
				return fail(errbuf, errlen, "exports %s and %s share pseudo path %s",
					    cfg->exports[j].name, e->name, e->pseudo);
	}
	return true;
}
