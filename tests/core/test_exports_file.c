/* knfsd's exports(5) format (core/exports_file.c): every option, every
 * host pattern, the pseudo paths with and without fsid=0, and an error
 * naming file, line and column for each kind of bad input. */
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
#include "core/exports_file.h"

static struct ferry_config cfg;
static char err[1024];

/* Parses text alone (as file "exports") into a fresh cfg. */
static bool parse(const char *text)
{
	config_init_defaults(&cfg);
	err[0] = '\0';
	return exports_text_parse(&cfg, text, strlen(text), "exports", err, sizeof(err));
}

/* The export of cfg with this path, failing the test when there is none. */
static const struct config_export *export_at(const char *path)
{
	for (unsigned i = 0; i < cfg.nexports; i++)
		if (strcmp(cfg.exports[i].path, path) == 0)
			return &cfg.exports[i];
	fail_msg("no export of %s", path);
	return NULL;
}

/* The options of e's client entry host, failing the test when there is none. */
static const struct config_client_opts *host_opts(const struct config_export *e, const char *host)
{
	for (unsigned k = 0; k < e->nclients; k++) {
		if (strcmp(e->clients[k], host) == 0) {
			assert_true(e->client_own_opts & UINT32_C(1) << k);
			return &e->client_opts[k];
		}
	}
	fail_msg("%s has no client entry %s", e->path, host);
	return NULL;
}

/* One line exporting /srv to host with opts: the entry's options. */
static const struct config_client_opts *one(const char *opts)
{
	char line[512];
	snprintf(line, sizeof(line), "/srv h(%s)\n", opts);
	if (!parse(line))
		fail_msg("'%s' was refused: %s", line, err);
	return host_opts(export_at("/srv"), "h");
}

/* text is refused with exactly this message (file:line:col included). */
#define assert_refused(text, msg)                                                     \
	do {                                                                          \
		assert_false(parse(text));                                            \
		if (strncmp(err, (msg), strlen(msg)) != 0)                            \
			fail_msg("error '%s' does not start with '%s'", err, (msg));  \
	} while (0)

static void test_defaults_are_knfsds(void **state)
{
	const struct config_client_opts *o = one("");
	const struct config_export *e = export_at("/srv");
	assert_true(o->read_only);
	assert_int_equal(o->squash, CONFIG_SQUASH_ROOT);
	assert_false(o->insecure);
	assert_int_equal(o->anonuid, 65534);
	assert_int_equal(o->anongid, 65534);
	assert_int_equal(o->sec, CONFIG_SEC_SYS);
	assert_int_equal(o->xprtsec, CONFIG_XPRTSEC_DEFAULT);
	assert_false(e->async);
	assert_false(e->insecure_locks);
	assert_false(e->fsid_root);
	assert_int_equal(e->exports_line, 1);
	assert_string_equal(e->pseudo, "/srv");
	assert_string_equal(e->name, "/srv");
}

static void test_every_option(void **state)
{
	assert_false(one("rw")->read_only);
	assert_true(one("rw,ro")->read_only);
	assert_int_equal(one("no_root_squash")->squash, CONFIG_SQUASH_NONE);
	assert_int_equal(one("root_squash")->squash, CONFIG_SQUASH_ROOT);
	assert_int_equal(one("all_squash")->squash, CONFIG_SQUASH_ALL);
	assert_int_equal(one("no_root_squash,all_squash")->squash, CONFIG_SQUASH_ALL);
	assert_int_equal(one("all_squash,no_root_squash")->squash, CONFIG_SQUASH_ALL);
	assert_int_equal(one("all_squash,no_all_squash")->squash, CONFIG_SQUASH_ROOT);
	assert_int_equal(one("no_root_squash,no_all_squash")->squash, CONFIG_SQUASH_NONE);
	const struct config_client_opts *o = one("anonuid=1000,anongid=4294967295");
	assert_int_equal(o->anonuid, 1000);
	assert_int_equal(o->anongid, 4294967295u);
	assert_true(one("insecure")->insecure);
	assert_false(one("insecure,secure")->insecure);
	assert_int_equal(one("sec=krb5p:krb5i:krb5:sys:none")->sec,
			 CONFIG_SEC_KRB5P | CONFIG_SEC_KRB5I << 4 | CONFIG_SEC_KRB5 << 8 |
				 CONFIG_SEC_SYS << 12 | CONFIG_SEC_NONE << 16);
	assert_int_equal(one("sec=krb5")->sec, CONFIG_SEC_KRB5);
	assert_int_equal(one("xprtsec=mtls:tls")->xprtsec,
			 CONFIG_XPRTSEC_MTLS | CONFIG_XPRTSEC_TLS << 4);
	assert_int_equal(one("xprtsec=none")->xprtsec, CONFIG_XPRTSEC_NONE);

	one("async");
	assert_true(export_at("/srv")->async);
	one("async,sync");
	assert_false(export_at("/srv")->async);
	one("insecure_locks");
	assert_true(export_at("/srv")->insecure_locks);
	one("no_auth_nlm");
	assert_true(export_at("/srv")->insecure_locks);
	one("insecure_locks,secure_locks");
	assert_false(export_at("/srv")->insecure_locks);
	one("no_auth_nlm,auth_nlm");
	assert_false(export_at("/srv")->insecure_locks);

	/* Accepted, with nothing for Ferry to do. */
	one("nohide,hide,subtree_check,no_subtree_check,wdelay,no_wdelay");
	one("fsid=42");
	assert_false(export_at("/srv")->fsid_root);
	one("fsid=6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	one("fsid=6ba7b8109dad11d180b400c04fd430c8");
	one("fsid=0");
	assert_true(export_at("/srv")->fsid_root);
	assert_string_equal(export_at("/srv")->pseudo, "/");
	one("fsid=root,crossmnt");
	assert_true(export_at("/srv")->fsid_root);
	one("mp");
	assert_true(export_at("/srv")->need_mountpoint);
	one("mountpoint");
	assert_true(export_at("/srv")->need_mountpoint);
	one("rw");
	assert_false(export_at("/srv")->need_mountpoint);
}

static void test_host_patterns(void **state)
{
	assert_true(parse("/srv * 10.1.2.3 10.0.0.0/8(rw) 192.168.0.0/255.255.0.0 ::1 "
			  "fd00::/8 2001:db8::1/128 Host.Example.COM *.example.com "
			  "node?.lan 10.9.9.9/32\n"));
	const struct config_export *e = export_at("/srv");
	/* Single hosts, then wildcards, then networks, then everyone, each
	 * kind in the file's order. */
	static const char *const want[] = {
		"10.1.2.3",	"::1",		"2001:db8::1/128", "host.example.com",
		"10.9.9.9/32",	"*.example.com", "node?.lan",	     "10.0.0.0/8",
		"192.168.0.0/16", "fd00::/8",	"*",
	};
	assert_int_equal(e->nclients, sizeof(want) / sizeof(want[0]));
	for (unsigned k = 0; k < e->nclients; k++)
		assert_string_equal(e->clients[k], want[k]);
	assert_false(host_opts(e, "10.0.0.0/8")->read_only);
	assert_true(host_opts(e, "*")->read_only);
	/* The export's own options are the most specific host's. */
	assert_true(e->read_only);
}

static void test_several_hosts_each_with_its_options(void **state)
{
	assert_true(parse("/srv 127.0.0.1(rw,no_root_squash) 127.0.0.2(ro,all_squash,"
			  "anonuid=7) (rw,insecure)\n"));
	const struct config_export *e = export_at("/srv");
	assert_int_equal(e->nclients, 3);
	const struct config_client_opts *a = host_opts(e, "127.0.0.1");
	const struct config_client_opts *b = host_opts(e, "127.0.0.2");
	const struct config_client_opts *c = host_opts(e, "*");
	assert_false(a->read_only);
	assert_int_equal(a->squash, CONFIG_SQUASH_NONE);
	assert_true(b->read_only);
	assert_int_equal(b->squash, CONFIG_SQUASH_ALL);
	assert_int_equal(b->anonuid, 7);
	assert_false(c->read_only);
	assert_true(c->insecure);
	assert_false(a->insecure);

	/* A path alone is for everyone, with knfsd's defaults. */
	assert_true(parse("/srv\n"));
	e = export_at("/srv");
	assert_int_equal(e->nclients, 1);
	assert_true(host_opts(e, "*")->read_only);
	/* "host (rw)" with a space: host with the defaults, everyone rw. */
	assert_true(parse("/srv h (rw)\n"));
	e = export_at("/srv");
	assert_true(host_opts(e, "h")->read_only);
	assert_false(host_opts(e, "*")->read_only);
}

static void test_default_options(void **state)
{
	assert_true(parse("/srv -rw,no_root_squash a b(ro) -all_squash c\n"));
	const struct config_export *e = export_at("/srv");
	assert_false(host_opts(e, "a")->read_only);
	assert_int_equal(host_opts(e, "a")->squash, CONFIG_SQUASH_NONE);
	assert_true(host_opts(e, "b")->read_only);
	assert_int_equal(host_opts(e, "b")->squash, CONFIG_SQUASH_NONE);
	assert_false(host_opts(e, "c")->read_only);
	assert_int_equal(host_opts(e, "c")->squash, CONFIG_SQUASH_ALL);
	/* Defaults alone: everyone, with them. */
	assert_true(parse("/srv -rw\n"));
	assert_false(host_opts(export_at("/srv"), "*")->read_only);
}

static void test_quoting_continuation_comments(void **state)
{
	assert_true(parse("# a comment\n"
			  "\n"
			  "   \t\n"
			  "\"/srv/my dir\" a(rw) # inline comment\n"
			  "/srv/tab\\011and\\040space b\n"
			  "\"/srv/hash#in quotes\" \\\n"
			  "    c(rw) \\\r\n"
			  "    d\n"
			  "/srv/trailing/// e\n"));
	assert_int_equal(cfg.nexports, 4);
	assert_int_equal(export_at("/srv/my dir")->exports_line, 4);
	assert_false(host_opts(export_at("/srv/my dir"), "a")->read_only);
	assert_string_equal(export_at("/srv/my dir")->pseudo, "/srv/my dir");
	assert_int_equal(export_at("/srv/tab\tand space")->nclients, 1);
	const struct config_export *h = export_at("/srv/hash#in quotes");
	assert_int_equal(h->nclients, 2);
	assert_false(host_opts(h, "c")->read_only);
	assert_true(host_opts(h, "d")->read_only);
	assert_non_null(export_at("/srv/trailing"));

	/* A path on two lines is one export with both lines' hosts. */
	assert_true(parse("/srv a(rw)\n/other b\n/srv b(ro)\n"));
	assert_int_equal(cfg.nexports, 2);
	assert_int_equal(export_at("/srv")->nclients, 2);
	assert_int_equal(export_at("/srv")->exports_line, 1);
}

static void test_pseudo_paths(void **state)
{
	/* Without fsid=0: each export at its own path, as knfsd's pseudo
	 * root built from the paths. */
	assert_true(parse("/srv/a *\n/data/b *\n"));
	assert_string_equal(export_at("/srv/a")->pseudo, "/srv/a");
	assert_string_equal(export_at("/data/b")->pseudo, "/data/b");

	/* fsid=0: the root's path is "/", the others below it. */
	assert_true(parse("/export *(ro,fsid=0,crossmnt)\n"
			  "/export/home *(rw)\n"
			  "/export/data/x 10.0.0.0/8(rw)\n"));
	assert_int_equal(cfg.nexports, 2);
	assert_string_equal(export_at("/export/home")->pseudo, "/home");
	assert_string_equal(export_at("/export/data/x")->pseudo, "/data/x");
	for (unsigned i = 0; i < cfg.nexports; i++)
		assert_string_not_equal(cfg.exports[i].path, "/export");

	/* The root alone is served as "/". */
	assert_true(parse("/export *(rw,fsid=root)\n"));
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(export_at("/export")->pseudo, "/");

	/* fsid=0 at "/" itself. */
	assert_true(parse("/ *(fsid=0)\n/srv *\n"));
	assert_string_equal(export_at("/srv")->pseudo, "/srv");
}

static void test_errors_name_file_line_column(void **state)
{
	assert_refused("/srv h(rw,bogus)\n", "exports:1:11: unknown option 'bogus'");
	assert_refused("/srv h(rw,,ro)\n", "exports:1:11: an empty option");
	assert_refused("/srv h(anonuid=x)\n", "exports:1:16: anonuid: 'x' is not a number");
	assert_refused("/srv h(anongid=-1)\n", "exports:1:16: anongid: '-1' is not a number");
	assert_refused("/srv h(anonuid=4294967296)\n", "exports:1:16: anonuid:");
	assert_refused("/srv h(sec=sys:krb6)\n", "exports:1:16: sec: 'krb6' is not one of");
	assert_refused("/srv h(sec=sys:sys)\n", "exports:1:16: sec: sys is listed twice");
	assert_refused("/srv h(sec=)\n", "exports:1:12: sec: '' is not one of");
	assert_refused("/srv h(sec=sys,rw,sec=krb5)\n", "exports:1:19: a second sec= for one host");
	assert_refused("/srv h(xprtsec=ssl)\n", "exports:1:16: xprtsec: 'ssl' is not one of");
	assert_refused("/srv h(fsid=x1)\n", "exports:1:13: fsid: 'x1' is not 0, root");
	assert_refused("/srv h(mp=/srv)\n", "exports:1:8: mp: not supported");
	assert_refused("/srv h(mountpoint=/srv)\n", "exports:1:8: mountpoint: not supported");
	assert_refused("/srv h(crossmnt)\n", "exports:1:8: crossmnt: Ferry does not cross");
	assert_refused("/srv @group(rw)\n", "exports:1:6: @group: netgroups are not supported");
	assert_refused("/srv gss/krb5(rw)\n", "exports:1:6: gss/krb5: the old gss/ client");
	assert_refused("/srv ho$t(rw)\n", "exports:1:8: '$' cannot be in a host name");
	assert_refused("/srv 10.0.0.0/33\n", "exports:1:15: '33' is not a prefix length in 0..32");
	assert_refused("/srv fd00::/129\n", "exports:1:13: '129' is not a prefix length in 0..128");
	assert_refused("/srv 10.0.0.0/255.0.255.0\n", "exports:1:15: netmask 255.0.255.0 is not");
	assert_refused("/srv 10.0.0/8\n", "exports:1:6: '10.0.0' before the / is not");
	assert_refused("/srv h(rw\n", "exports:1:9: expected ')' at the end of the options");
	assert_refused("/srv h(r(w)\n", "exports:1:9: '(' inside a host's options");
	assert_refused("/srv h\"x\"(rw)\n", "exports:1:6: quotes are for the path");
	assert_refused("\"/srv h(rw)\n", "exports:1:1: a quote that is not closed");
	assert_refused("srv h(rw)\n", "exports:1:1: the path must be absolute");
	assert_refused("/srv\\04 h\n", "exports:1:5: a backslash in a path starts a three-digit");
	assert_refused("/srv\\000 h\n", "exports:1:5: \\000 is not a byte");
	assert_refused("/srv h(rw) h(ro)\n", "exports:1:12: h is listed twice for /srv");
	assert_refused("/srv a(sync) b(async)\n",
		       "exports:1:14: b: async, while a is sync: Ferry sets sync/async per export");
	assert_refused("/srv a b(insecure_locks)\n", "exports:1:8: b: insecure_locks, while a");
	assert_refused("/srv\n\n/srv/x\\\n a(ro,zz)\n", "exports:4:7: unknown option 'zz'");
	assert_refused("/a *(fsid=0)\n/b *(fsid=root)\n",
		       "exports:2:1: fsid=0 for /b as well as for /a (line 1)");
	assert_refused("/a *(fsid=0)\n/b *\n", "exports:2:1: /b is not below the fsid=0 export /a");
	assert_refused("/a *\n/a/b *\n", "exports:2:1: /a/b lies inside /a (line 1)");
	assert_false(exports_text_parse(&cfg, "/a\0b *\n", 7, "exports", err, sizeof(err)));
	assert_string_equal(err, "exports:1:3: a NUL byte; an exports file is text");

	char many[4096] = "/srv";
	for (int i = 0; i <= CONFIG_MAX_CLIENTS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), " 10.0.0.%d", i);
	assert_refused(many, "exports:1:");
	if (!strstr(err, "more than 32 host patterns"))
		fail_msg("%s", err);
}

/* The file through ferryd's configuration: --exports, [server] exports,
 * and --export leaving it unread. */
static void test_through_the_configuration(void **state)
{
	char dir[] = "/tmp/ferry-exports-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], ini[128], bad[128];
	snprintf(path, sizeof(path), "%s/exports", dir);
	snprintf(ini, sizeof(ini), "%s/ferry.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("/srv/a 127.0.0.1(rw)\n", f);
	fclose(f);
	f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f, "[server]\nexports = %s\n[export other]\npath = /srv/other\n", path);
	fclose(f);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("# fine\n/srv/a 127.0.0.1(rw,nope)\n", f);
	fclose(f);

	bool help;
	char *argv1[] = {"ferryd", "--exports", path, NULL};
	config_init_defaults(&cfg);
	assert_true(config_parse_args(&cfg, 3, argv1, &help, err, sizeof(err)));
	assert_true(cfg.exports_file_from_cli);
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].pseudo, "/srv/a");

	char *argv2[] = {"ferryd", "--config", ini, NULL};
	config_init_defaults(&cfg);
	assert_true(config_parse_args(&cfg, 3, argv2, &help, err, sizeof(err)));
	assert_false(cfg.exports_file_from_cli);
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 2);
	assert_string_equal(export_at("/srv/a")->pseudo, "/srv/a");
	assert_string_equal(export_at("/srv/other")->pseudo, "/other");

	char *argv3[] = {"ferryd", "--exports", path, "--export", "/tmp/x", NULL};
	config_init_defaults(&cfg);
	assert_true(config_parse_args(&cfg, 5, argv3, &help, err, sizeof(err)));
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].path, "/tmp/x");

	char *argv4[] = {"ferryd", "--exports", bad, NULL};
	config_init_defaults(&cfg);
	assert_true(config_parse_args(&cfg, 3, argv4, &help, err, sizeof(err)));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	char want[256];
	snprintf(want, sizeof(want), "%s:2:21: unknown option 'nope'", bad);
	assert_string_equal(err, want);

	/* mp: an export whose path is no mount point is left out (until a
	 * reload finds it mounted); /proc is one. */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "/proc *(mp)\n%s a(mp) b\n/nonexistent/ferry *(mountpoint)\n", dir);
	fclose(f);
	config_init_defaults(&cfg);
	assert_true(exports_file_load(&cfg, path, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].path, "/proc");

	/* An exports file with no export: an empty pseudo root, not the
	 * built-in ./export. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# nothing yet\n", f);
	fclose(f);
	config_init_defaults(&cfg);
	assert_true(config_parse_args(&cfg, 3, argv1, &help, err, sizeof(err)));
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.nexports, 0);

	unlink(path);
	unlink(ini);
	unlink(bad);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_knfsds),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_host_patterns),
		cmocka_unit_test(test_several_hosts_each_with_its_options),
		cmocka_unit_test(test_default_options),
		cmocka_unit_test(test_quoting_continuation_comments),
		cmocka_unit_test(test_pseudo_paths),
		cmocka_unit_test(test_errors_name_file_line_column),
		cmocka_unit_test(test_through_the_configuration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
