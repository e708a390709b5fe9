#include "core/exports_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

/* An exports file larger than this is surely not one. */
enum { EXPORTS_FILE_MAX = 16 << 20 };

/* One logical line: continuation lines joined, the comment cut off, and
 * for each byte the line and column it stood at in the file, so that a
 * message points at the byte in the file the admin edits. */
struct logical_line {
	char *text;
	unsigned *line, *col;
	size_t len;
};

struct parser {
	struct ferry_config *cfg;
	const char *origin;
	char *errbuf;
	size_t errlen;
	const char *text;
	size_t len, pos;
	unsigned line, col; /* of text[pos] */
	struct logical_line ll;
	unsigned first_export; /* cfg's exports before this file's */
};

/* "ORIGIN:LINE:COL: message" into the parser's error buffer; false. */
static bool fail_vpos(struct parser *p, unsigned line, unsigned col, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));

static bool fail_vpos(struct parser *p, unsigned line, unsigned col, const char *fmt,
		      va_list ap)
{
	int n = snprintf(p->errbuf, p->errlen, "%s:%u:%u: ", p->origin, line, col);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->errbuf + n, p->errlen - (size_t)n, fmt, ap);
	return false;
}

/* "ORIGIN:LINE:COL: message" for the byte at ll position at (one past
 * the end: just after the line's last byte). */
static bool fail_at(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
	unsigned line = p->line, col = 1;
	if (at < p->ll.len) {
		line = p->ll.line[at];
		col = p->ll.col[at];
	} else if (p->ll.len) {
		line = p->ll.line[p->ll.len - 1];
		col = p->ll.col[p->ll.len - 1] + 1;
	}
	va_list ap;
	va_start(ap, fmt);
	fail_vpos(p, line, col, fmt, ap);
	va_end(ap);
	return false;
}

static void advance(struct parser *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->text[p->pos] == '\n') {
			p->line++;
			p->col = 1;
		} else {
			p->col++;
		}
		p->pos++;
	}
}

/* The next logical line into p->ll: 1, or 0 at the end of the text, or
 * -1 with a message.  A backslash right before the end of a line joins
 * the next one; "#" outside quotes starts a comment to the end of the
 * line, as exports(5) has it. */
static int next_line(struct parser *p)
{
	p->ll.len = 0;
	if (p->pos >= p->len)
		return 0;
	bool quoted = false;
	while (p->pos < p->len) {
		char ch = p->text[p->pos];
		size_t rest = p->len - p->pos;
		if (ch == '\0') {
			snprintf(p->errbuf, p->errlen, "%s:%u:%u: a NUL byte; an exports file is text",
				 p->origin, p->line, p->col);
			return -1;
		}
		if (ch == '\\' && rest >= 2 && p->text[p->pos + 1] == '\n') {
			advance(p, 2);
			continue;
		}
		if (ch == '\\' && rest >= 3 && p->text[p->pos + 1] == '\r' &&
		    p->text[p->pos + 2] == '\n') {
			advance(p, 3);
			continue;
		}
		if (ch == '\n') {
			advance(p, 1);
			break;
		}
		if (ch == '#' && !quoted) {
			while (p->pos < p->len && p->text[p->pos] != '\n')
				advance(p, 1);
			continue;
		}
		if (ch == '"')
			quoted = !quoted;
		p->ll.text[p->ll.len] = ch;
		p->ll.line[p->ll.len] = p->line;
		p->ll.col[p->ll.len] = p->col;
		p->ll.len++;
		advance(p, 1);
	}
	p->ll.text[p->ll.len] = '\0';
	return 1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The token starting at or after *at: [*start, *end).  False at the end
 * of the line; an unterminated quote is an error (*end = SIZE_MAX). */
static bool next_token(struct parser *p, size_t *at, size_t *start, size_t *end)
{
	size_t i = *at;
	while (i < p->ll.len && is_blank(p->ll.text[i]))
		i++;
	if (i >= p->ll.len)
		return false;
	*start = i;
	size_t quote = SIZE_MAX;
	for (; i < p->ll.len; i++) {
		char c = p->ll.text[i];
		if (c == '"')
			quote = quote == SIZE_MAX ? i : SIZE_MAX;
		else if (is_blank(c) && quote == SIZE_MAX)
			break;
	}
	if (quote != SIZE_MAX) {
		fail_at(p, quote, "a quote that is not closed on its line");
		*end = SIZE_MAX;
		return true;
	}
	*end = *at = i;
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* The path token [s, e): quotes dropped, "\ooo" octal escapes decoded
 * (exports(5)'s way to write a space: \040), trailing slashes dropped. */
static bool decode_path(struct parser *p, size_t s, size_t e, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = s; i < e; i++) {
		char c = p->ll.text[i];
		if (c == '"')
			continue;
		if (c == '\\') {
			if (i + 3 >= e || !is_octal(p->ll.text[i + 1]) ||
			    !is_octal(p->ll.text[i + 2]) || !is_octal(p->ll.text[i + 3]))
				return fail_at(p, i,
					       "a backslash in a path starts a three-digit octal "
					       "escape such as \\040 (a space)");
			unsigned v = (unsigned)(p->ll.text[i + 1] - '0') * 64 +
				     (unsigned)(p->ll.text[i + 2] - '0') * 8 +
				     (unsigned)(p->ll.text[i + 3] - '0');
			if (v == 0 || v > 255)
				return fail_at(p, i, "\\%.3s is not a byte a path may hold",
					       p->ll.text + i + 1);
			c = (char)v;
			i += 3;
		}
		if (n + 1 >= cap)
			return fail_at(p, s, "the path is too long (at most %zu bytes)", cap - 1);
		out[n++] = c;
	}
	out[n] = '\0';
	if (out[0] != '/')
		return fail_at(p, s, "the path must be absolute (start with /)");
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return true;
}

/* What one host pattern's options come to (and a line's "-" defaults,
 * which each host's options start from). */
struct host_opts {
	struct config_client_opts c;
	bool async, insecure_locks, fsid_root, need_mountpoint;
	size_t crossmnt_at; /* SIZE_MAX: crossmnt not given */
};

static void host_opts_default(struct host_opts *o)
{
	/* knfsd's defaults: ro, sync, root_squash, secure, sec=sys. */
	memset(o, 0, sizeof(*o));
	o->c.read_only = true;
	o->c.squash = CONFIG_SQUASH_ROOT;
	o->c.anonuid = o->c.anongid = 65534;
	o->c.sec = CONFIG_SEC_SYS;
	o->c.xprtsec = CONFIG_XPRTSEC_DEFAULT;
	o->crossmnt_at = SIZE_MAX;
}

/* A list of words joined with ':' (sec=, xprtsec=): name(i) names word
 * i for i in 1..kinds-1; each once, packed 4 bits each in order. */
static bool parse_word_list(struct parser *p, size_t s, size_t e, const char *opt,
			    const char *(*name)(unsigned), unsigned kinds, uint32_t *out)
{
	uint32_t packed = 0, seen = 0;
	unsigned n = 0;
	size_t i = s;
	for (;;) {
		size_t j = i;
		while (j < e && p->ll.text[j] != ':')
			j++;
		unsigned w = 0;
		for (unsigned k = 1; k < kinds; k++)
			if (strlen(name(k)) == j - i && memcmp(p->ll.text + i, name(k), j - i) == 0)
				w = k;
		if (w == 0) {
			char all[96] = "";
			for (unsigned k = 1; k < kinds; k++)
				snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
					 k > 1 ? ", " : "", name(k));
			return fail_at(p, i, "%s: '%.*s' is not one of %s", opt, (int)(j - i),
				       p->ll.text + i, all);
		}
		if (seen & 1u << w)
			return fail_at(p, i, "%s: %s is listed twice", opt, name(w));
		seen |= 1u << w;
		packed |= (uint32_t)w << (4 * n++);
		if (j >= e)
			break;
		i = j + 1;
	}
	*out = packed;
	return true;
}

static const char *sec_name(unsigned k)
{
	return config_sec_name((enum config_sec)k);
}

static const char *xprtsec_name(unsigned k)
{
	return config_xprtsec_name((enum config_xprtsec)k);
}

static bool parse_id(struct parser *p, size_t s, size_t e, const char *opt, uint32_t *out)
{
	char num[16];
	unsigned long long v;
	if (e - s >= sizeof(num))
		return fail_at(p, s, "%s: '%.*s' is not a number in 0..4294967295", opt,
			       (int)(e - s), p->ll.text + s);
	memcpy(num, p->ll.text + s, e - s);
	num[e - s] = '\0';
	if (!config_parse_uint(num, UINT32_MAX, &v))
		return fail_at(p, s, "%s: '%s' is not a number in 0..4294967295", opt, num);
	*out = (uint32_t)v;
	return true;
}

/* fsid=0 or fsid=root: the NFSv4 root; a number or a UUID is accepted
 * and unused, as Ferry's handles name an export by its pseudo path. */
static bool parse_fsid(struct parser *p, size_t s, size_t e, struct host_opts *o)
{
	const char *v = p->ll.text + s;
	size_t n = e - s;
	if ((n == 1 && v[0] == '0') || (n == 4 && memcmp(v, "root", 4) == 0)) {
		o->fsid_root = true;
		return true;
	}
	size_t digits = 0, hex = 0;
	bool other = false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c >= '0' && c <= '9')
			digits++, hex++;
		else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hex++;
		else if (c != '-')
			other = true;
	}
	if (n && !other && (digits == n || hex == 32))
		return true;
	return fail_at(p, s, "fsid: '%.*s' is not 0, root, a number or a UUID", (int)n, v);
}

/* knfsd options that Ferry cannot honour and does not pretend to: each
 * is refused with the reason rather than taken as unknown. */
static const struct {
	const char *name;
	const char *why;
} refused_options[] = {
	{"mp", "Ferry checks the export's own path only (mp, without =PATH)"},
	{"mountpoint", "Ferry checks the export's own path only (mp, without =PATH)"},
	{"refer", "Ferry sends no NFSv4 referrals"},
	{"replicas", "Ferry lists no NFSv4 replicas"},
	{"pnfs", "Ferry does not serve pNFS layouts"},
	{"security_label", "Ferry does not serve security labels"},
	{"nordirplus", "Ferry does not turn READDIRPLUS off"},
	{"no_acl", "Ferry does not hide ACLs"},
	{"acl", "Ferry has no ACL switch"},
	{"root_dir", "Ferry does not prefix export paths"},
};

/* One option [s, e) of a list into o; sec_at: where the list's sec= was
 * (SIZE_MAX: none yet). */
static bool parse_option(struct parser *p, size_t s, size_t e, struct host_opts *o,
			 size_t *sec_at)
{
	const char *t = p->ll.text + s;
	size_t n = e - s, eq = 0;
	while (eq < n && t[eq] != '=')
		eq++;
	size_t vs = s + eq + 1; /* the value, when eq < n */
#define IS(word) (eq == n && n == strlen(word) && memcmp(t, word, n) == 0)
#define KEY(word) (eq < n && eq == strlen(word) && memcmp(t, word, eq) == 0)
	if (n == 0)
		return fail_at(p, s, "an empty option");
	if (IS("rw") || IS("ro"))
		o->c.read_only = t[1] == 'o';
	else if (IS("sync") || IS("async"))
		o->async = t[0] == 'a';
	else if (IS("root_squash"))
		o->c.squash = o->c.squash == CONFIG_SQUASH_ALL ? CONFIG_SQUASH_ALL
							       : CONFIG_SQUASH_ROOT;
	else if (IS("no_root_squash"))
		o->c.squash = o->c.squash == CONFIG_SQUASH_ALL ? CONFIG_SQUASH_ALL
							       : CONFIG_SQUASH_NONE;
	else if (IS("all_squash"))
		o->c.squash = CONFIG_SQUASH_ALL;
	else if (IS("no_all_squash"))
		/* As knfsd: root is squashed again unless no_root_squash
		 * came after; Ferry keeps the two in one setting. */
		o->c.squash = o->c.squash == CONFIG_SQUASH_ALL ? CONFIG_SQUASH_ROOT : o->c.squash;
	else if (IS("secure") || IS("insecure"))
		o->c.insecure = t[0] == 'i';
	else if (IS("secure_locks") || IS("auth_nlm"))
		o->insecure_locks = false;
	else if (IS("insecure_locks") || IS("no_auth_nlm"))
		o->insecure_locks = true;
	else if (IS("mp") || IS("mountpoint"))
		o->need_mountpoint = true;
	else if (IS("crossmnt"))
		o->crossmnt_at = s;
	else if (IS("nohide") || IS("hide") || IS("subtree_check") || IS("no_subtree_check") ||
		 IS("wdelay") || IS("no_wdelay"))
		; /* accepted, with nothing to do: man 5 ferry-exports says why */
	else if (KEY("anonuid"))
		return parse_id(p, vs, e, "anonuid", &o->c.anonuid);
	else if (KEY("anongid"))
		return parse_id(p, vs, e, "anongid", &o->c.anongid);
	else if (KEY("sec")) {
		/* knfsd lets options after a second sec= apply to its
		 * flavours alone; Ferry has one option set per host. */
		if (*sec_at != SIZE_MAX)
			return fail_at(p, s,
				       "a second sec= for one host: Ferry applies one set of "
				       "options to all of a host's flavours (list them in one "
				       "sec=, joined with ':')");
		*sec_at = s;
		return parse_word_list(p, vs, e, "sec", sec_name, CONFIG_SEC_KINDS, &o->c.sec);
	} else if (KEY("xprtsec"))
		return parse_word_list(p, vs, e, "xprtsec", xprtsec_name, CONFIG_XPRTSEC_KINDS,
				       &o->c.xprtsec);
	else if (KEY("fsid"))
		return parse_fsid(p, vs, e, o);
	else {
		size_t name_len = eq;
		for (size_t i = 0; i < sizeof(refused_options) / sizeof(refused_options[0]); i++)
			if (strlen(refused_options[i].name) == name_len &&
			    memcmp(t, refused_options[i].name, name_len) == 0)
				return fail_at(p, s, "%.*s: not supported: %s", (int)name_len, t,
					       refused_options[i].why);
		return fail_at(p, s, "unknown option '%.*s'", (int)n, t);
	}
#undef IS
#undef KEY
	return true;
}

/* The comma-separated options [s, e) into o. */
static bool parse_options(struct parser *p, size_t s, size_t e, struct host_opts *o)
{
	size_t sec_at = SIZE_MAX;
	if (s == e)
		return true;
	for (size_t i = s;;) {
		size_t j = i;
		while (j < e && p->ll.text[j] != ',')
			j++;
		if (!parse_option(p, i, j, o, &sec_at))
			return false;
		if (j >= e)
			return true;
		i = j + 1;
	}
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* The host pattern [s, e) as a client entry's text in out: "*", an
 * address, a network as ADDRESS/PREFIX (a dotted netmask becomes its
 * prefix), a host name or a wildcard (lowercase). */
static bool parse_host(struct parser *p, size_t s, size_t e, char *out, size_t cap)
{
	const char *t = p->ll.text + s;
	size_t n = e - s;
	if (n == 1 && t[0] == '*') {
		snprintf(out, cap, "*");
		return true;
	}
	if (n >= cap)
		return fail_at(p, s, "the host pattern is too long (at most %zu bytes)", cap - 1);
	if (t[0] == '@')
		return fail_at(p, s, "%.*s: netgroups are not supported (list the hosts or their "
				     "network)",
			       (int)n, t);
	if (t[0] == '"' || memchr(t, '"', n))
		return fail_at(p, s, "quotes are for the path, not host patterns");
	char host[CONFIG_CLIENT_ENTRY_MAX];
	memcpy(host, t, n);
	host[n] = '\0';
	char *slash = strchr(host, '/');
	if (strncmp(host, "gss/", 4) == 0)
		return fail_at(p, s, "%s: the old gss/ client syntax is not supported; use "
				     "sec=krb5 (or krb5i, krb5p) in the options",
			       host);
	if (slash) {
		*slash = '\0';
		uint8_t addr[16];
		int family = inet_pton(AF_INET, host, addr) == 1    ? AF_INET
			     : inet_pton(AF_INET6, host, addr) == 1 ? AF_INET6
								    : 0;
		if (!family)
			return fail_at(p, s, "'%s' before the / is not an IPv4 or IPv6 address",
				       host);
		const char *mask = slash + 1;
		unsigned max = family == AF_INET ? 32 : 128, prefix = 0;
		uint8_t m[4];
		unsigned long long v;
		if (config_parse_uint(mask, max, &v)) {
			prefix = (unsigned)v;
		} else if (family == AF_INET && inet_pton(AF_INET, mask, m) == 1) {
			uint32_t bits = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
					(uint32_t)m[2] << 8 | m[3];
			while (prefix < 32 && (bits & (UINT32_C(1) << (31 - prefix))))
				prefix++;
			if (prefix < 32 && (bits << prefix) != 0)
				return fail_at(p, s + (size_t)(mask - host),
					       "netmask %s is not contiguous ones then zeros", mask);
		} else {
			return fail_at(p, s + (size_t)(mask - host),
				       "'%s' is not a prefix length in 0..%u%s", mask, max,
				       family == AF_INET ? " or a dotted netmask" : "");
		}
		if (snprintf(out, cap, "%s/%u", host, prefix) >= (int)cap)
			return fail_at(p, s, "the host pattern is too long");
		return true;
	}
	uint8_t addr[16];
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
		snprintf(out, cap, "%s", host);
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (c != '*' && c != '?' && !host_char(c))
			return fail_at(p, s + i, "'%c' cannot be in a host name, address or network",
				       c);
		if (c >= 'A' && c <= 'Z')
			host[i] = (char)(c - 'A' + 'a');
	}
	snprintf(out, cap, "%s", host);
	return true;
}

/* The export of this file for path, made when there is none yet. */
static struct config_export *export_for_path(struct parser *p, const char *path, size_t at)
{
	struct ferry_config *cfg = p->cfg;
	for (unsigned i = p->first_export; i < cfg->nexports; i++)
		if (cfg->exports[i].exports_line && strcmp(cfg->exports[i].path, path) == 0)
			return &cfg->exports[i];
	char name[64];
	bool taken = strlen(path) >= sizeof(name);
	for (unsigned i = 0; i < cfg->nexports && !taken; i++)
		taken = strcmp(cfg->exports[i].name, path) == 0;
	if (taken)
		snprintf(name, sizeof(name), "exports-line-%u", p->ll.line[at]);
	else
		snprintf(name, sizeof(name), "%s", path);
	char inner[256];
	struct config_export *e = config_export_new(cfg, name, inner, sizeof(inner));
	if (!e) {
		fail_at(p, at, "%s", inner);
		return NULL;
	}
	if (strlen(path) >= sizeof(e->path)) {
		fail_at(p, at, "the path is too long");
		return NULL;
	}
	strcpy(e->path, path);
	e->exports_line = p->ll.line[at];
	return e;
}

/* Adds host's entry with options o to e (at, in messages).  The options
 * Ferry keeps per export come from e's first host; the others must give
 * the same. */
static bool add_host(struct parser *p, struct config_export *e, size_t at, const char *host,
		     const struct host_opts *o)
{
	if (o->crossmnt_at != SIZE_MAX && !o->fsid_root)
		return fail_at(p, o->crossmnt_at,
			       "crossmnt: Ferry does not cross into file systems mounted below "
			       "an export; export each one on its own line (on the fsid=0 "
			       "line crossmnt is accepted: its exports are below the root)");
	for (unsigned k = 0; k < e->nclients; k++)
		if (strcmp(e->clients[k], host) == 0)
			return fail_at(p, at, "%s is listed twice for %s", host, e->path);
	if (e->nclients >= CONFIG_MAX_CLIENTS)
		return fail_at(p, at, "more than %d host patterns for %s", CONFIG_MAX_CLIENTS,
			       e->path);
	if (e->nclients == 0) {
		e->async = o->async;
		e->insecure_locks = o->insecure_locks;
	} else if (e->async != o->async) {
		return fail_at(p, at,
			       "%s: %s, while %s is %s: Ferry sets sync/async per export, not "
			       "per host",
			       host, o->async ? "async" : "sync", e->clients[0],
			       e->async ? "async" : "sync");
	} else if (e->insecure_locks != o->insecure_locks) {
		return fail_at(p, at,
			       "%s: %s, while %s is %s: Ferry sets secure_locks per export, "
			       "not per host",
			       host, o->insecure_locks ? "insecure_locks" : "secure_locks",
			       e->clients[0], e->insecure_locks ? "insecure_locks" : "secure_locks");
	}
	e->fsid_root |= o->fsid_root;
	/* Whether the export is served at all is the export's, whichever
	 * host asked for the check. */
	e->need_mountpoint |= o->need_mountpoint;
	strcpy(e->clients[e->nclients], host);
	e->client_opts[e->nclients] = o->c;
	e->client_own_opts |= UINT32_C(1) << e->nclients;
	e->nclients++;
	return true;
}

/* One logical line: PATH then host patterns and "-" default options. */
static bool parse_line(struct parser *p)
{
	size_t at = 0, s, e;
	if (!next_token(p, &at, &s, &e))
		return true; /* blank or only a comment */
	if (e == SIZE_MAX)
		return false;
	char path[CONFIG_PATH_MAX];
	if (!decode_path(p, s, e, path, sizeof(path)))
		return false;
	size_t path_at = s;
	struct host_opts dflt;
	host_opts_default(&dflt);
	struct config_export *ex = NULL;
	bool any_host = false;
	while (next_token(p, &at, &s, &e)) {
		if (e == SIZE_MAX)
			return false;
		if (p->ll.text[s] == '-') {
			if (!parse_options(p, s + 1, e, &dflt))
				return false;
			continue;
		}
		size_t open = s;
		while (open < e && p->ll.text[open] != '(')
			open++;
		struct host_opts o = dflt;
		if (open < e) {
			if (p->ll.text[e - 1] != ')')
				return fail_at(p, e - 1, "expected ')' at the end of the options");
			for (size_t i = open + 1; i < e - 1; i++)
				if (p->ll.text[i] == '(' || p->ll.text[i] == ')')
					return fail_at(p, i, "'%c' inside a host's options",
						       p->ll.text[i]);
			if (!parse_options(p, open + 1, e - 1, &o))
				return false;
		}
		char host[CONFIG_CLIENT_ENTRY_MAX];
		if (open == s) {
			/* "(opts)" alone is for everyone, as knfsd reads it. */
			snprintf(host, sizeof(host), "*");
		} else if (!parse_host(p, s, open, host, sizeof(host))) {
			return false;
		}
		if (!ex && !(ex = export_for_path(p, path, path_at)))
			return false;
		if (!add_host(p, ex, s, host, &o))
			return false;
		any_host = true;
	}
	if (!any_host) {
		/* A path alone is exported to everyone with the line's
		 * defaults, as knfsd does (and warns). */
		if (!(ex = export_for_path(p, path, path_at)) ||
		    !add_host(p, ex, path_at, "*", &dflt))
			return false;
	}
	return true;
}

/* How specific a client entry is, as knfsd picks among a path's hosts:
 * a single host first, then wildcards, then networks, then everyone. */
enum host_rank { HOST_SINGLE, HOST_WILDCARD, HOST_NETWORK, HOST_ANYONE };

static enum host_rank rank_of(const char *host)
{
	if (strcmp(host, "*") == 0)
		return HOST_ANYONE;
	const char *slash = strchr(host, '/');
	if (slash)
		return strcmp(slash + 1, strchr(host, ':') ? "128" : "32") == 0 ? HOST_SINGLE
										: HOST_NETWORK;
	return strpbrk(host, "*?") ? HOST_WILDCARD : HOST_SINGLE;
}

/* e's entries in the order they are tried, most specific first (stable:
 * entries of one kind keep the file's order). */
static void sort_hosts(struct config_export *e)
{
	for (unsigned i = 1; i < e->nclients; i++) {
		for (unsigned j = i; j > 0 && rank_of(e->clients[j]) < rank_of(e->clients[j - 1]);
		     j--) {
			char text[CONFIG_CLIENT_ENTRY_MAX];
			struct config_client_opts o = e->client_opts[j];
			memcpy(text, e->clients[j], sizeof(text));
			memcpy(e->clients[j], e->clients[j - 1], sizeof(text));
			memcpy(e->clients[j - 1], text, sizeof(text));
			e->client_opts[j] = e->client_opts[j - 1];
			e->client_opts[j - 1] = o;
		}
	}
	/* Every entry of a file's export has options of its own. */
	e->client_own_opts = e->nclients >= 32 ? UINT32_MAX : (UINT32_C(1) << e->nclients) - 1;
	const struct config_client_opts *first = &e->client_opts[0];
	e->read_only = first->read_only;
	e->insecure = first->insecure;
	e->squash = first->squash;
	e->anonuid = first->anonuid;
	e->anongid = first->anongid;
	e->sec = first->sec;
	e->xprtsec = first->xprtsec;
}

static bool path_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return path[0] == '/' && path[1];
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* "ORIGIN:LINE:1: message" for an export as a whole. */
static bool fail_line(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail_line(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_vpos(p, line, 1, fmt, ap);
	va_end(ap);
	return false;
}

/* The pseudo paths of the file's exports, as knfsd builds its NFSv4
 * root: below the fsid=0 export's path when there is one, else each
 * export's own path.  The fsid=0 export itself is the pseudo root: served
 * as "/" when it is the only export, else Ferry's pseudo file system
 * stands in for it (the exports below it are what clients reach). */
static bool assign_pseudo(struct parser *p)
{
	struct ferry_config *cfg = p->cfg;
	struct config_export *root = NULL;
	for (unsigned i = p->first_export; i < cfg->nexports; i++) {
		struct config_export *e = &cfg->exports[i];
		if (!e->fsid_root)
			continue;
		if (root)
			return fail_line(p, e->exports_line,
					 "fsid=0 for %s as well as for %s (line %u): there is one "
					 "NFSv4 root",
					 e->path, root->path, root->exports_line);
		root = e;
	}
	for (unsigned i = p->first_export; i < cfg->nexports; i++) {
		struct config_export *e = &cfg->exports[i];
		for (unsigned j = p->first_export; j < cfg->nexports; j++) {
			const struct config_export *o = &cfg->exports[j];
			if (o != e && o != root && e != root && path_below(e->path, o->path))
				return fail_line(p, e->exports_line,
						 "%s lies inside %s (line %u); Ferry does not serve "
						 "exports inside each other",
						 e->path, o->path, o->exports_line);
		}
		if (e == root)
			continue;
		if (!root) {
			memcpy(e->pseudo, e->path, sizeof(e->pseudo));
			continue;
		}
		if (!path_below(e->path, root->path))
			return fail_line(p, e->exports_line,
					 "%s is not below the fsid=0 export %s (line %u): NFSv4 "
					 "clients could not reach it",
					 e->path, root->path, root->exports_line);
		size_t n = strcmp(root->path, "/") == 0 ? 0 : strlen(root->path);
		memcpy(e->pseudo, e->path + n, strlen(e->path + n) + 1);
	}
	if (!root)
		return true;
	if (cfg->nexports - p->first_export == 1) {
		strcpy(root->pseudo, "/");
		return true;
	}
	unsigned at = (unsigned)(root - cfg->exports);
	memmove(&cfg->exports[at], &cfg->exports[at + 1],
		(cfg->nexports - at - 1) * sizeof(cfg->exports[0]));
	cfg->nexports--;
	return true;
}

bool exports_text_parse(struct ferry_config *cfg, const char *text, size_t len,
			const char *origin, char *errbuf, size_t errlen)
{
	struct parser p = {
		.cfg = cfg,
		.origin = origin,
		.errbuf = errbuf,
		.errlen = errlen,
		.text = text,
		.len = len,
		.line = 1,
		.col = 1,
		.first_export = cfg->nexports,
	};
	p.ll.text = malloc(len + 1);
	p.ll.line = malloc((len + 1) * sizeof(unsigned));
	p.ll.col = malloc((len + 1) * sizeof(unsigned));
	bool ok = p.ll.text && p.ll.line && p.ll.col;
	if (!ok)
		snprintf(errbuf, errlen, "%s: out of memory", origin);
	int more;
	while (ok && (more = next_line(&p)) != 0)
		ok = more > 0 && parse_line(&p);
	for (unsigned i = p.first_export; ok && i < cfg->nexports; i++)
		sort_hosts(&cfg->exports[i]);
	if (ok)
		ok = assign_pseudo(&p);
	free(p.ll.text);
	free(p.ll.line);
	free(p.ll.col);
	return ok;
}

/* Whether path is the root of a mounted file system. */
static bool is_mount_root(const char *path)
{
	struct statx stx;
	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) != 0)
		return false;
	if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Older kernels: another device than its parent's. */
	char parent[CONFIG_PATH_MAX + 4];
	struct stat self, up;
	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &self) == 0 && stat(parent, &up) == 0 &&
	       (self.st_dev != up.st_dev || self.st_ino == up.st_ino);
}

/* The exports from index first on that say mp and whose path is no mount
 * point are not served, as knfsd's mountd leaves them out: the file
 * system is not mounted, and what lies beneath it is not what the admin
 * meant to export.  A reload after the mount serves them. */
static void drop_unmounted(struct ferry_config *cfg, unsigned first, const char *origin)
{
	for (unsigned i = first; i < cfg->nexports;) {
		struct config_export *e = &cfg->exports[i];
		if (!e->need_mountpoint || is_mount_root(e->path)) {
			i++;
			continue;
		}
		log_warn("%s:%u: %s is not a mount point (mp): not exported until a reload "
			 "finds it mounted",
			 origin, e->exports_line, e->path);
		memmove(e, e + 1, (cfg->nexports - i - 1) * sizeof(*e));
		cfg->nexports--;
	}
}

bool exports_file_load(struct ferry_config *cfg, const char *path, char *errbuf,
		       size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return config_fail(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
	char *text = malloc(EXPORTS_FILE_MAX);
	size_t n = text ? fread(text, 1, EXPORTS_FILE_MAX, f) : 0;
	bool too_big = text && n == EXPORTS_FILE_MAX && fgetc(f) != EOF;
	bool bad = !text || ferror(f);
	int saved = errno;
	fclose(f);
	if (bad || too_big) {
		free(text);
		if (too_big)
			return config_fail(errbuf, errlen, "%s: larger than %d MiB", path,
					   EXPORTS_FILE_MAX >> 20);
		return config_fail(errbuf, errlen, "%s: cannot read: %s", path,
				   text ? strerror(saved) : "out of memory");
	}
	unsigned first = cfg->nexports;
	bool ok = exports_text_parse(cfg, text, n, path, errbuf, errlen);
	free(text);
	if (ok)
		drop_unmounted(cfg, first, path);
	return ok;
}
