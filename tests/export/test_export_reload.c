/* Reloading the exports (exports_reload): what a reload that changes
 * nothing, and one that changes the client list, do to the list requests
 * read; exports added and removed while the server runs. */
#include "nfs4/nfs4_inproc.h"

#include <errno.h>

#include "export/export.h"
#include "export/fh.h"

static unsigned retired_count(const struct export_client_list *cl)
{
	unsigned n = 0;
	for (; cl && cl->retired; cl = cl->retired)
		n++;
	return n;
}

/* A request may still read a replaced list, so each one is kept until the
 * exports close: a reload that leaves the list as it was must not add one,
 * or every SIGHUP or POST /exports/reload would grow the server for good. */
static void test_reload_keeps_an_unchanged_client_list(void **state)
{
	struct inproc *ip = *state;
	struct exports *exps = &ip->nfs.exports;
	struct export *ex = exps->list[0];
	char err[256] = "";
	struct export_client_list *before = atomic_load(&ex->clients);
	for (int i = 0; i < 3; i++)
		assert_int_equal(exports_reload(exps, &ip->cfg, err, sizeof(err)), 0);
	assert_ptr_equal(atomic_load(&ex->clients), before);
	assert_int_equal(retired_count(before), 0);

	/* A changed list is published; the old one is kept for readers. */
	struct ferry_config *cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	memcpy(cfg, &ip->cfg, sizeof(*cfg));
	struct config_export *ce = NULL;
	for (unsigned j = 0; j < cfg->nexports; j++)
		if (strcmp(cfg->exports[j].pseudo, ex->pseudo) == 0)
			ce = &cfg->exports[j];
	assert_non_null(ce);
	snprintf(ce->clients[ce->nclients++], sizeof(ce->clients[0]), "127.0.0.0/8");
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), 0);
	struct export_client_list *after = atomic_load(&ex->clients);
	assert_ptr_not_equal(after, before);
	assert_int_equal(after->n, ce->nclients);
	assert_int_equal(retired_count(after), 1);
	/* And reloading that again keeps it. */
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), 0);
	assert_ptr_equal(atomic_load(&ex->clients), after);
	free(cfg);
}

static struct export *by_pseudo(struct exports *exps, const char *pseudo)
{
	for (unsigned i = 0; i < exports_slots_used(exps); i++) {
		struct export *ex = exports_at(exps, i);
		if (ex && strcmp(ex->pseudo, pseudo) == 0)
			return ex;
	}
	return NULL;
}

/* The node of /mem in the pseudo tree. */
static struct pseudo_node *mem_node(struct exports *exps)
{
	return pseudo_lookup(exps->root, "mem");
}

/* cfg without the export at pseudo. */
static void drop_export(struct ferry_config *cfg, const char *pseudo)
{
	for (unsigned j = 0; j < cfg->nexports; j++) {
		if (strcmp(cfg->exports[j].pseudo, pseudo) != 0)
			continue;
		memmove(&cfg->exports[j], &cfg->exports[j + 1],
			(cfg->nexports - j - 1) * sizeof(cfg->exports[0]));
		cfg->nexports--;
		return;
	}
	fail_msg("no export %s", pseudo);
}

/* A removed export's handles are stale and its name is gone from the
 * pseudo tree; the one added is found; the removed one added back is
 * the same export again, its handles good; a directory of the tree that
 * holds no export any more is hidden. */
static void test_reload_adds_and_removes_exports(void **state)
{
	struct inproc *ip = *state;
	struct exports *exps = &ip->nfs.exports;
	struct export *b = by_pseudo(exps, INPROC_EXPORT_B);
	assert_non_null(b);
	struct fh fh, parsed;
	fh_from_object(exps, b, &b->root, &fh);
	char err[256] = "";

	struct ferry_config *cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	memcpy(cfg, &ip->cfg, sizeof(*cfg));
	drop_export(cfg, INPROC_EXPORT_B);
	assert_true(inproc_add_memory_export(cfg, "c", "/other/c"));
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), 0);
	assert_int_equal(fh_parse(exps, fh.wire, fh.wire_len, &parsed), FH_STALE);
	assert_null(by_pseudo(exps, INPROC_EXPORT_B));
	assert_null(pseudo_lookup(mem_node(exps), "b"));
	assert_non_null(pseudo_lookup(mem_node(exps), "a"));
	struct export *c = by_pseudo(exps, "/other/c");
	assert_non_null(c);
	struct pseudo_node *other = pseudo_lookup(exps->root, "other");
	assert_non_null(other);
	assert_ptr_equal(pseudo_lookup(other, "c")->export, c);
	assert_ptr_equal(exports_find(exps, c->id), c);

	/* Back as it was: b is the same entry, its handle good again, and
	 * /other is hidden (and its handle stale). */
	struct fh other_fh;
	fh_from_pseudo(exps, other, &other_fh);
	assert_int_equal(exports_reload(exps, &ip->cfg, err, sizeof(err)), 0);
	assert_int_equal(fh_parse(exps, fh.wire, fh.wire_len, &parsed), FH_OK);
	assert_ptr_equal(parsed.export, b);
	assert_null(pseudo_lookup(exps->root, "other"));
	assert_int_equal(fh_parse(exps, other_fh.wire, other_fh.wire_len, &parsed), FH_STALE);
	assert_null(by_pseudo(exps, "/other/c"));
	free(cfg);
}

/* A reload that cannot be applied whole changes nothing: an export
 * inside another, an unknown back end, a bad client entry. */
static void test_reload_refuses_and_changes_nothing(void **state)
{
	struct inproc *ip = *state;
	struct exports *exps = &ip->nfs.exports;
	unsigned used = exports_slots_used(exps);
	struct ferry_config *cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	char err[256] = "";

	memcpy(cfg, &ip->cfg, sizeof(*cfg));
	assert_true(inproc_add_memory_export(cfg, "n", "/mem/a/inner"));
	assert_int_equal(exports_check(exps, cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested"));
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), -EINVAL);

	memcpy(cfg, &ip->cfg, sizeof(*cfg));
	assert_true(inproc_add_memory_export(cfg, "n", "/new"));
	strcpy(cfg->exports[cfg->nexports - 1].backend, "tape");
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown backend"));

	memcpy(cfg, &ip->cfg, sizeof(*cfg));
	struct config_export *ce = &cfg->exports[0];
	snprintf(ce->clients[ce->nclients++], sizeof(ce->clients[0]), "10.0.0.0/33");
	assert_int_equal(exports_reload(exps, cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.0.0.0/33"));

	assert_int_equal(exports_slots_used(exps), used);
	assert_null(pseudo_lookup(exps->root, "new"));
	assert_non_null(by_pseudo(exps, INPROC_EXPORT_A));
	assert_non_null(by_pseudo(exps, INPROC_EXPORT_B));
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_keeps_an_unchanged_client_list,
						inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_reload_adds_and_removes_exports,
						inproc_setup, inproc_teardown),
		cmocka_unit_test_setup_teardown(test_reload_refuses_and_changes_nothing,
						inproc_setup, inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
