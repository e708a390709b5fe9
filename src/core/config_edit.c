/* Edits of the cluster's configuration text (ferryctl export add, set,
 * remove): made on the lines of the text, so that what an administrator
 * wrote (comments, order, other sections) stays as it was. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* One line of the text: where it starts and how long it is (without its
 * newline). */
struct line {
	const char *p;
	size_t len;
};

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The section a header line opens, trimmed, into out; false for any other
 * line. */
static bool header_of(const struct line *l, char *out, size_t outlen)
{
	const char *end = l->p + l->len, *p = skip_blank(l->p, end);
	if (p == end || *p != '[')
		return false;
	const char *close = memchr(p, ']', (size_t)(end - p));
	if (!close)
		return false;
	p = skip_blank(p + 1, close);
	const char *q = close;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	snprintf(out, outlen, "%.*s", (int)(q - p), p);
	return true;
}

/* Whether the line sets key (a line "key = value" or "key: value" with
 * no leading blank: one with it continues the key before it). */
static bool sets_key(const struct line *l, const char *key)
{
	size_t n = strlen(key);
	if (l->len <= n || memcmp(l->p, key, n) != 0)
		return false;
	const char *end = l->p + l->len, *p = skip_blank(l->p + n, end);
	return p < end && (*p == '=' || *p == ':');
}

/* A continuation of the line before (inih's multi-line values). */
static bool continues(const struct line *l)
{
	const char *end = l->p + l->len, *p = skip_blank(l->p, end);
	return p > l->p && p < end && *p != ';' && *p != '#';
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static bool key_ok(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* What ferryd's parser would not read back as written: line breaks, and
 * ';' or '#', which may start a comment. */
static bool value_ok(const char *s)
{
	return !strpbrk(s, "\n\r;#") && strlen(s) < CONFIG_PATH_MAX;
}

/* A growing output text. */
struct out {
	char *p;
	size_t len, cap;
	bool nomem;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->nomem)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->nomem = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void put_line(struct out *o, const struct line *l)
{
	put(o, l->p, l->len);
	put(o, "\n", 1);
}

static void put_key(struct out *o, const char *key, const char *value)
{
	put(o, key, strlen(key));
	put(o, " = ", 3);
	put(o, value, strlen(value));
	put(o, "\n", 1);
}

bool config_text_edit(const char *text, enum config_edit_op op, const char *name,
		      const char *const *keys, const char *const *values, unsigned n, char **out,
		      char *errbuf, size_t errlen)
{
	*out = NULL;
	if (!name_ok(name))
		return config_fail(errbuf, errlen,
				 "export name '%s': at most 63 letters, digits, '.', '_' or '-'",
				 name);
	for (unsigned k = 0; k < n; k++) {
		if (!key_ok(keys[k]))
			return config_fail(errbuf, errlen,
					 "'%s' is not a key (lower-case letters, digits and '_')",
					 keys[k]);
		if (!value_ok(values[k]))
			return config_fail(errbuf, errlen,
					 "%s: a value may not hold a line break, ';' or '#'",
					 keys[k]);
		for (unsigned j = 0; j < k; j++)
			if (strcmp(keys[j], keys[k]) == 0)
				return config_fail(errbuf, errlen, "%s is given twice", keys[k]);
	}
	if (op == CONFIG_EDIT_ADD && n == 0)
		return config_fail(errbuf, errlen, "export %s: nothing to add (give path=DIR)", name);
	if (op == CONFIG_EDIT_SET && n == 0)
		return config_fail(errbuf, errlen, "export %s: nothing to set", name);

	/* The lines, and where [export NAME] starts and ends. */
	size_t nlines = 1;
	for (const char *p = text; *p; p++)
		nlines += *p == '\n';
	struct line *lines = calloc(nlines, sizeof(*lines));
	if (!lines)
		return config_fail(errbuf, errlen, "out of memory");
	size_t count = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lines[count].p = p;
		lines[count].len = len && p[len - 1] == '\r' ? len - 1 : len;
		count++;
		p += len + (nl ? 1 : 0);
	}
	char want[80], sec[256];
	snprintf(want, sizeof(want), "export %s", name);
	size_t start = count, end = count;
	for (size_t i = 0; i < count; i++) {
		if (!header_of(&lines[i], sec, sizeof(sec)))
			continue;
		if (start < count) {
			end = i;
			break;
		}
		if (strcmp(sec, want) == 0)
			start = i;
	}
	if (op == CONFIG_EDIT_ADD && start < count) {
		free(lines);
		return config_fail(errbuf, errlen,
				 "export %s exists already (change it with set, or remove it)", name);
	}
	if (op != CONFIG_EDIT_ADD && start == count) {
		free(lines);
		return config_fail(errbuf, errlen, "there is no export %s", name);
	}
	/* The section's last line that is not blank: new keys go after it. */
	size_t last = start;
	for (size_t i = start + 1; i < end && start < count; i++)
		if (skip_blank(lines[i].p, lines[i].p + lines[i].len) < lines[i].p + lines[i].len)
			last = i;

	struct out o = {0};
	bool *done = calloc(n ? n : 1, sizeof(*done));
	if (!done) {
		free(lines);
		return config_fail(errbuf, errlen, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		bool inside = i > start && i < end && start < count;
		if (op == CONFIG_EDIT_REMOVE && i >= start && i < end)
			continue;
		if (op == CONFIG_EDIT_SET && inside) {
			unsigned k;
			for (k = 0; k < n && !sets_key(&lines[i], keys[k]); k++)
				;
			if (k < n) {
				/* Replaced (or dropped, for an empty value) with the
				 * lines that continue it. */
				while (i + 1 < end && continues(&lines[i + 1]))
					i++;
				if (values[k][0] && !done[k])
					put_key(&o, keys[k], values[k]);
				done[k] = true;
				if (i >= last) {
					for (unsigned j = 0; j < n; j++)
						if (!done[j] && values[j][0])
							put_key(&o, keys[j], values[j]);
					memset(done, 1, n * sizeof(*done));
				}
				continue;
			}
		}
		put_line(&o, &lines[i]);
		if (op == CONFIG_EDIT_SET && i == last) {
			for (unsigned j = 0; j < n; j++)
				if (!done[j] && values[j][0])
					put_key(&o, keys[j], values[j]);
			memset(done, 1, n * sizeof(*done));
		}
	}
	if (op == CONFIG_EDIT_ADD) {
		if (o.len && o.p[o.len - 1] != '\n')
			put(&o, "\n", 1);
		if (o.len)
			put(&o, "\n", 1);
		put(&o, "[", 1);
		put(&o, want, strlen(want));
		put(&o, "]\n", 2);
		for (unsigned k = 0; k < n; k++)
			if (values[k][0])
				put_key(&o, keys[k], values[k]);
	}
	put(&o, "", 0);
	free(done);
	free(lines);
	if (o.nomem || !o.p) {
		free(o.p);
		if (o.nomem)
			return config_fail(errbuf, errlen, "out of memory");
		o.p = strdup("");
		if (!o.p)
			return config_fail(errbuf, errlen, "out of memory");
	}
	*out = o.p;
	return true;
}
