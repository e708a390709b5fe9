/* Reloading the exports' options in place (exports_reload): what a
 * reload that changes nothing, and one that changes the client list, do to
 * the list requests read. */
#include "nfs4/nfs4_inproc.h"

#include "export/export.h"

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
	struct export *ex = &exps->list[0];
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_keeps_an_unchanged_client_list,
						inproc_setup, inproc_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
