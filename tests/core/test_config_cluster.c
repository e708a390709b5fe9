/* The cluster's configuration ([cluster] config = rados): what its text
 * may hold (config_load_text), what a head's own file may then hold, and
 * the edits ferryctl export add, set and remove make of the text
 * (config_text_edit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static struct ferry_config cfg;
static char err[1024];

/* text edited; the result (malloc'd), or NULL with the reason in err. */
static char *edit(const char *text, enum config_edit_op op, const char *name, unsigned n, ...)
{
	const char *keys[8], *values[8];
	va_list ap;
	va_start(ap, n);
	for (unsigned k = 0; k < n; k++) {
		keys[k] = va_arg(ap, const char *);
		values[k] = va_arg(ap, const char *);
	}
	va_end(ap);
	char *out = NULL;
	if (!config_text_edit(text, op, name, keys, values, n, &out, err, sizeof(err)))
		return NULL;
	return out;
}

static void test_add_set_remove(void **state)
{
	const char *text = "; the cluster's exports\n[nfs]\nlease_time = 30\n\n"
			   "[export a]\npath = /a\n# kept\naccess = ro\n\n[export b]\npath = /b\n";
	char *added = edit(text, CONFIG_EDIT_ADD, "c", 2, "path", "/c", "pseudo", "/cc");
	assert_non_null(added);
	assert_non_null(strstr(added, "; the cluster's exports\n"));
	assert_non_null(strstr(added, "[export c]\npath = /c\npseudo = /cc\n"));

	char *set = edit(added, CONFIG_EDIT_SET, "a", 3, "access", "rw", "clients", "127.0.0.1",
			 "path", "/a2");
	assert_non_null(set);
	assert_non_null(strstr(set, "[export a]\npath = /a2\n# kept\naccess = rw\nclients = "
				    "127.0.0.1\n\n[export b]"));
	/* An empty value removes the key. */
	char *unset = edit(set, CONFIG_EDIT_SET, "a", 1, "clients", "");
	assert_non_null(unset);
	assert_null(strstr(unset, "clients"));

	char *removed = edit(unset, CONFIG_EDIT_REMOVE, "b", 0);
	assert_non_null(removed);
	assert_null(strstr(removed, "[export b]"));
	assert_null(strstr(removed, "/b\n"));
	assert_non_null(strstr(removed, "[export c]"));

	/* What comes out reads back. */
	memset(&cfg, 0, sizeof(cfg));
	config_init_defaults(&cfg);
	assert_true(config_load_text(&cfg, removed, "rados", err, sizeof(err)));
	assert_int_equal(cfg.nexports, 2);
	assert_string_equal(cfg.exports[0].path, "/a2");
	assert_false(cfg.exports[0].read_only);
	assert_int_equal(cfg.lease_time_s, 30);
	free(added);
	free(set);
	free(unset);
	free(removed);
}

static void test_edits_refused(void **state)
{
	const char *text = "[export a]\npath = /a\n";
	assert_null(edit(text, CONFIG_EDIT_ADD, "a", 1, "path", "/x"));
	assert_non_null(strstr(err, "exists already"));
	assert_null(edit(text, CONFIG_EDIT_SET, "zz", 1, "access", "ro"));
	assert_non_null(strstr(err, "no export zz"));
	assert_null(edit(text, CONFIG_EDIT_REMOVE, "zz", 0));
	assert_null(edit(text, CONFIG_EDIT_ADD, "bad name", 1, "path", "/x"));
	assert_non_null(strstr(err, "export name"));
	assert_null(edit(text, CONFIG_EDIT_ADD, "b", 1, "Path", "/x"));
	assert_null(edit(text, CONFIG_EDIT_ADD, "b", 1, "path", "/x\n[server]"));
	assert_non_null(strstr(err, "line break"));
	assert_null(edit(text, CONFIG_EDIT_ADD, "b", 1, "path", "/x ; y"));
	assert_null(edit(text, CONFIG_EDIT_ADD, "b", 2, "path", "/x", "path", "/y"));
	assert_non_null(strstr(err, "twice"));
	assert_null(edit(text, CONFIG_EDIT_ADD, "b", 0));
}

/* The object holds what heads must agree on; the rest is each head's. */
static void test_text_sections(void **state)
{
	config_init_defaults(&cfg);
	assert_false(config_load_text(&cfg, "[server]\nlisten = 127.0.0.1:2049\n", "rados", err,
				      sizeof(err)));
	assert_non_null(strstr(err, "[server]"));
	config_init_defaults(&cfg);
	assert_false(config_load_text(&cfg, "[export a]\npath = /a\nbogus = 1\n", "rados", err,
				      sizeof(err)));
	assert_non_null(strstr(err, "bogus"));
	config_init_defaults(&cfg);
	assert_false(config_load_text(&cfg, "[export a\npath = /a\n", "rados", err, sizeof(err)));
	assert_non_null(strstr(err, "rados: line 1: syntax error"));
	/* A broken header does not give its keys to the section before it. */
	config_init_defaults(&cfg);
	assert_false(config_load_text(&cfg, "[export a]\npath = /a\n[export b\npath = /b\n",
				      "rados", err, sizeof(err)));
	assert_non_null(strstr(err, "line 3: syntax error"));
	config_init_defaults(&cfg);
	assert_false(config_load_text(&cfg, "[export a]\npath\n", "rados", err, sizeof(err)));
	assert_non_null(strstr(err, "line 2"));
}

static const char *write_file(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/ferry-cfgcluster-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* A head's file with config = rados: its exports come from RADOS, none
 * is made up, and the file may not hold any. */
static void test_head_file(void **state)
{
	const char *path = write_file("[server]\nlisten = 127.0.0.1:0\n[cluster]\nnode = a\n"
				      "config = rados\n");
	config_init_defaults(&cfg);
	assert_true(config_load_file(&cfg, path, err, sizeof(err)));
	assert_true(cfg.cluster_config_rados);
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 0);
	unlink(path);

	path = write_file("[export a]\npath = /a\n[cluster]\nnode = a\nconfig = rados\n");
	config_init_defaults(&cfg);
	assert_false(config_load_file(&cfg, path, err, sizeof(err)));
	assert_non_null(strstr(err, "config = rados"));
	unlink(path);

	path = write_file("[cluster]\nconfig = rados\n");
	config_init_defaults(&cfg);
	assert_true(config_load_file(&cfg, path, err, sizeof(err)));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "node"));
	unlink(path);

	path = write_file("[cluster]\nnode = a\nconfig = etcd\n");
	config_init_defaults(&cfg);
	assert_false(config_load_file(&cfg, path, err, sizeof(err)));
	assert_non_null(strstr(err, "file or rados"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_set_remove),
		cmocka_unit_test(test_edits_refused),
		cmocka_unit_test(test_text_sections),
		cmocka_unit_test(test_head_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
