/* Which root each export had at the last start, kept in
 * <state_dir>/export_roots, so that an export's id (in every file handle
 * and in fsid) follows its root and not only its pseudo path.
 *
 * An export keeps the id it always had (from its pseudo path, generation
 * 0) while its root stays the same directory: handles survive restarts and
 * upgrades.  When the root is another directory (the export was re-pointed
 * at it), the generation goes up and so does the id: handles of the former
 * tree are NFS4ERR_STALE instead of still opening files that the local
 * back end would find anywhere on their file system.  The root is the back
 * end's handle of the root directory (for the local back end the kernel's
 * handle: inode and generation) and its fileid.
 *
 * One line per pseudo path: "GENERATION ROOT PSEUDO".  Lines of pseudo
 * paths not configured now are kept, so that an export removed and added
 * again elsewhere still changes its id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/state_dir.h"
#include "export/export.h"

/* A root as text: the handle in hex, '-', the fileid in hex.  The scanf
 * width below is ROOT_TEXT_MAX - 1. */
enum { ROOT_TEXT_MAX = 160, ROOTS_FILE_MAX = 1 << 20 };
_Static_assert(2 * BACKEND_HANDLE_MAX + 1 + 16 < ROOT_TEXT_MAX, "root text fits");
#define ROOT_SCAN "%u %159s %n"

static uint32_t fnv_add(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Generation 0 is the id every export had before roots were recorded. */
static uint32_t id_for(const char *pseudo, uint32_t gen)
{
	uint32_t h = fnv_add(2166136261u, "export:", 7);
	h = fnv_add(h, pseudo, strlen(pseudo));
	if (gen) {
		uint8_t g[5] = {0, (uint8_t)gen, (uint8_t)(gen >> 8), (uint8_t)(gen >> 16),
				(uint8_t)(gen >> 24)};
		h = fnv_add(h, g, sizeof(g));
	}
	return h ? h : 1;
}

static void root_text(const struct export *ex, char *out)
{
	size_t n = 0;
	for (unsigned i = 0; i < ex->root.len; i++)
		n += (size_t)snprintf(out + n, 3, "%02x", ex->root.data[i]);
	snprintf(out + n, ROOT_TEXT_MAX - n, "-%llx", (unsigned long long)ex->root_attr.fileid);
}

/* The whole file, NUL-terminated (an empty string when there is none). */
static char *read_roots(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, ROOTS_FILE_MAX + 1);
	if (!buf) {
		if (f)
			fclose(f);
		return NULL;
	}
	if (f) {
		size_t n = fread(buf, 1, ROOTS_FILE_MAX, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* One line of the file, as read by roots_next_line. */
struct roots_line {
	const char *text; /* the line, without its '\n' */
	size_t len;
	bool parsed;      /* "GENERATION ROOT PSEUDO" with a pseudo path: */
	uint32_t gen;
	char root[ROOT_TEXT_MAX];
	const char *pseudo; /* within text, pseudo_len bytes */
	size_t pseudo_len;
};

/* Reads the line at *pos into *l and moves *pos to the next one; false at
 * the end of the text. */
static bool roots_next_line(const char **pos, struct roots_line *l)
{
	const char *line = *pos;
	if (!*line)
		return false;
	const char *end = strchr(line, '\n');
	l->text = line;
	l->len = end ? (size_t)(end - line) : strlen(line);
	unsigned g = 0;
	int off = 0;
	/* " %n" may skip past the end of a line that has no pseudo path:
	 * off must stay within the line. */
	l->parsed = sscanf(line, ROOT_SCAN, &g, l->root, &off) == 2 && off > 0 &&
		    (size_t)off < l->len;
	l->gen = g;
	l->pseudo = line + off;
	l->pseudo_len = l->parsed ? l->len - (size_t)off : 0;
	*pos = line + l->len + (end ? 1 : 0);
	return true;
}

/* Finds pseudo's line in text: its generation and root; false if none. */
static bool find_line(const char *text, const char *pseudo, uint32_t *gen, char *root)
{
	struct roots_line l;
	while (roots_next_line(&text, &l)) {
		if (l.parsed && l.pseudo_len == strlen(pseudo) &&
		    memcmp(l.pseudo, pseudo, l.pseudo_len) == 0) {
			*gen = l.gen;
			snprintf(root, ROOT_TEXT_MAX, "%s", l.root);
			return true;
		}
	}
	return false;
}

static bool configured(struct export *const *list, unsigned n, const char *pseudo, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(list[i]->pseudo) == len && memcmp(list[i]->pseudo, pseudo, len) == 0)
			return true;
	return false;
}

int export_roots_assign(struct export *const *list, unsigned n, const char *state_dir)
{
	/* Without a state directory (a server built in process, never by
	 * ferryd) nothing outlives the run: there is no earlier root to be
	 * stale against, and "/export_roots" is nobody's to write. */
	if (!state_dir[0]) {
		for (unsigned i = 0; i < n; i++)
			list[i]->id = id_for(list[i]->pseudo, 0);
		return 0;
	}
	char path[CONFIG_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/export_roots", state_dir);
	char *old = read_roots(path);
	size_t cap = (size_t)n * (CONFIG_PATH_MAX + ROOT_TEXT_MAX + 16) + strlen(old ? old : "") + 1;
	char *out = old ? malloc(cap) : NULL;
	if (!out) {
		free(old);
		return -ENOMEM;
	}
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		struct export *ex = list[i];
		char now[ROOT_TEXT_MAX], was[ROOT_TEXT_MAX];
		uint32_t gen = 0;
		root_text(ex, now);
		if (find_line(old, ex->pseudo, &gen, was) && strcmp(was, now) != 0) {
			gen++;
			log_warn("export %s: its root %s is not the directory it was at the last start; "
				 "file handles of the former one are stale from now on",
				 ex->pseudo, ex->path);
		}
		ex->id = id_for(ex->pseudo, gen);
		len += (size_t)snprintf(out + len, cap - len, "%u %s %s\n", gen, now, ex->pseudo);
	}
	/* Keep what is known of the exports not configured now. */
	struct roots_line l;
	for (const char *pos = old; roots_next_line(&pos, &l);) {
		if (l.parsed && !configured(list, n, l.pseudo, l.pseudo_len) &&
		    len + l.len + 2 < cap) {
			memcpy(out + len, l.text, l.len);
			len += l.len;
			out[len++] = '\n';
		}
	}
	free(old);
	int rc = state_file_replace(path, out, len, 0600);
	free(out);
	if (rc)
		log_error("cannot write %s: %s", path, strerror(-rc));
	return rc;
}
