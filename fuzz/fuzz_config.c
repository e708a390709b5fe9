/* libFuzzer target: the configuration file, INI text to struct
 * ferry_config, read the way ferryd reads --config (config_load_file on a
 * file: here an in-memory file rewritten for every input) and then checked
 * as a whole (config_finish).
 *
 * Input: the file's bytes.
 *
 * Checked beyond "no sanitizer report": a refusal comes with a message;
 * whatever was read keeps the counts within their arrays and every string
 * NUL-terminated inside its field; a configuration config_finish accepts
 * has a listener, an export, a state directory and min_minor <= max_minor.
 * The sample configuration dist/ferryd.conf is one of the seeds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define CHECK_STR(field) CHECK(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void check_fields(const struct ferry_config *cfg)
{
	CHECK(cfg->nlisten <= CONFIG_MAX_LISTEN);
	CHECK(cfg->nexports <= CONFIG_MAX_EXPORTS);
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		CHECK_STR(cfg->listen[i]);
		CHECK(cfg->listen_minor_min[i] <= cfg->listen_minor_max[i]);
	}
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct config_export *e = &cfg->exports[i];
		CHECK_STR(e->name);
		CHECK_STR(e->path);
		CHECK_STR(e->pseudo);
		CHECK_STR(e->backend);
		CHECK(e->nclients <= CONFIG_MAX_CLIENTS);
		for (unsigned k = 0; k < e->nclients; k++)
			CHECK_STR(e->clients[k]);
	}
	CHECK_STR(cfg->state_dir);
	CHECK_STR(cfg->port_file);
	CHECK_STR(cfg->owner_domain);
	CHECK_STR(cfg->control_listen);
	CHECK_STR(cfg->control_token_file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Some 700 KB: kept, not on the stack. */
	static struct ferry_config cfg;
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	config_init_defaults(&cfg);
	char err[256];
	err[0] = '\0';
	if (!config_load_file(&cfg, path, err, sizeof(err))) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		check_fields(&cfg);
		return 0;
	}
	check_fields(&cfg);
	err[0] = '\0';
	if (!config_finish(&cfg, err, sizeof(err))) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	check_fields(&cfg);
	CHECK(cfg.nlisten >= 1 && cfg.nexports >= 1 && cfg.state_dir[0]);
	CHECK(cfg.min_minor <= cfg.max_minor);
	return 0;
}
