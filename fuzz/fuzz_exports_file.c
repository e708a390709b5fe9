/* libFuzzer target: knfsd's exports(5) format (core/exports_file.c), the
 * text of an exports file to export entries, as ferryd reads --exports.
 *
 * Input: the file's bytes.
 *
 * Checked beyond "no sanitizer report": a refusal comes with a message
 * that starts "exports:LINE:COLUMN: " with a line the input has; an
 * accepted file gives exports whose strings are NUL-terminated inside
 * their fields, at most CONFIG_MAX_CLIENTS entries each, every entry with
 * options of its own, pseudo paths that are absolute and distinct, and
 * config_finish accepts nothing it would not accept from the INI path
 * (it may refuse: an export at "/" beside others, say). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/exports_file.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define CHECK_STR(field) CHECK(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* The number of lines of the input: a message's line is within them. */
static unsigned lines_of(const uint8_t *data, size_t size)
{
	unsigned n = 1;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_message(const char *err, const uint8_t *data, size_t size)
{
	CHECK(memchr(err, '\0', 512) != NULL);
	unsigned line = 0, col = 0;
	int used = 0;
	CHECK(sscanf(err, "exports:%u:%u: %n", &line, &col, &used) == 2 && used > 0);
	CHECK(line >= 1 && line <= lines_of(data, size) && col >= 1);
	CHECK(err[used] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Some 1.4 MB: kept, not on the stack. */
	static struct ferry_config cfg;
	config_init_defaults(&cfg);
	char err[512];
	err[0] = '\0';
	if (!exports_text_parse(&cfg, (const char *)data, size, "exports", err, sizeof(err))) {
		check_message(err, data, size);
		return 0;
	}
	CHECK(cfg.nexports <= CONFIG_MAX_EXPORTS);
	for (unsigned i = 0; i < cfg.nexports; i++) {
		const struct config_export *e = &cfg.exports[i];
		CHECK_STR(e->name);
		CHECK_STR(e->path);
		CHECK_STR(e->pseudo);
		CHECK(e->path[0] == '/' && e->pseudo[0] == '/');
		CHECK(e->exports_line >= 1 && e->exports_line <= lines_of(data, size));
		CHECK(e->nclients >= 1 && e->nclients <= CONFIG_MAX_CLIENTS);
		CHECK(e->client_own_opts ==
		      (e->nclients >= 32 ? UINT32_MAX : (UINT32_C(1) << e->nclients) - 1));
		for (unsigned k = 0; k < e->nclients; k++) {
			CHECK_STR(e->clients[k]);
			CHECK(e->clients[k][0] != '\0');
			CHECK(e->client_opts[k].sec != 0 && e->client_opts[k].xprtsec != 0);
		}
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(cfg.exports[j].path, e->path) != 0);
	}
	err[0] = '\0';
	if (!config_finish(&cfg, err, sizeof(err)))
		CHECK(err[0] != '\0');
	return 0;
}
