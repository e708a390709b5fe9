/* Configuration: defaults, command-line flags, the INI file, the checks of
 * config_finish, and that flags override the file. */
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

enum { MAX_ARGS = 32 };

static struct ferry_config cfg;
static char err[1024];
static bool want_help;

/* Runs config_parse_args on "ferryd" followed by the NULL-terminated
 * arguments, after resetting cfg to the defaults. */
static bool parse_v(const char *first, va_list ap)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)"ferryd";
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc <= MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
	config_init_defaults(&cfg);
	err[0] = '\0';
	want_help = false;
	return config_parse_args(&cfg, argc, argv, &want_help, err, sizeof(err));
}

static bool parse(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	bool ok = parse_v(first, ap);
	va_end(ap);
	return ok;
}

/* parse, then config_finish. */
static bool parse_finish(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	bool ok = parse_v(first, ap);
	va_end(ap);
	return ok && config_finish(&cfg, err, sizeof(err));
}

#define assert_err_contains(s)                                                   \
	do {                                                                     \
		if (!strstr(err, (s)))                                          \
			fail_msg("error '%s' does not mention '%s'", err, (s)); \
	} while (0)

/* ---- temp INI files ---- */

static char tmpdir[512];
static char ini_path[600];
static int ini_seq;

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/ferry-config-test-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < ini_seq; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%d.ini", tmpdir, i);
		unlink(p);
	}
	return rmdir(tmpdir);
}

/* Writes text to a fresh file; returns its path (valid until the next
 * call). */
static const char *ini(const char *text)
{
	snprintf(ini_path, sizeof(ini_path), "%s/%d.ini", tmpdir, ini_seq++);
	FILE *f = fopen(ini_path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return ini_path;
}

static bool load(const char *text)
{
	config_init_defaults(&cfg);
	err[0] = '\0';
	return config_load_file(&cfg, ini(text), err, sizeof(err));
}

/* ---- command line ---- */

static void test_defaults(void **state)
{
	assert_true(parse_finish(NULL));
	assert_false(want_help);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], "127.0.0.1:2049");
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].path, "./export");
	assert_string_equal(cfg.exports[0].pseudo, "/export");
	assert_string_equal(cfg.state_dir, "./state");
	assert_string_equal(cfg.port_file, "");
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.event_loops, 0);
	assert_int_equal(cfg.workers, 8);
	assert_int_equal(cfg.remote_workers, 32);
	assert_int_equal(cfg.max_record_size, 1024 * 1024 + 8192);
	assert_int_equal(cfg.max_inflight_per_conn, 128);
	assert_int_equal(cfg.idle_timeout_s, 360);
	assert_int_equal(cfg.inflight_memory_mb, 256);
	assert_int_equal(cfg.inflight_memory_per_conn_mb, 16);
	assert_int_equal(cfg.max_connections, 4096);
	assert_int_equal(cfg.max_connections_per_client, 128);
	assert_int_equal(cfg.splice_pipes, 256);
	assert_int_equal(cfg.splice_reads, 0); /* remote */
	assert_string_equal(cfg.local_congestion, "cubic");
	assert_true(cfg.rpcbind);
}

/* The memory budgets and connection limits: read, and checked together
 * when the configuration is finished. */
static void test_file_limits(void **state)
{
	assert_true(load("[rpc]\ninflight_memory_mb = 32\ninflight_memory_per_conn_mb = 4\n"
			 "max_connections = 10\nmax_connections_per_client = 0\n"));
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_int_equal(cfg.inflight_memory_mb, 32);
	assert_int_equal(cfg.inflight_memory_per_conn_mb, 4);
	assert_int_equal(cfg.max_connections, 10);
	assert_int_equal(cfg.max_connections_per_client, 0);

	assert_false(load("[rpc]\ninflight_memory_mb = 0\n"));
	assert_err_contains("at least 1");
	assert_false(load("[rpc]\ninflight_memory_per_conn_mb = 0\n"));
	assert_err_contains("at least 1");
	/* A budget per connection above the whole server's. */
	assert_true(load("[rpc]\ninflight_memory_mb = 8\ninflight_memory_per_conn_mb = 9\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("inflight_memory_per_conn_mb");
	/* No room for a largest request and its reply. */
	assert_true(load("[rpc]\ninflight_memory_mb = 2\ninflight_memory_per_conn_mb = 1\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("max_record_size");
}

/* Which READ replies are spliced: a word, in enum rpc_splice_reads' order. */
static void test_file_splice_reads(void **state)
{
	assert_true(load("[rpc]\nsplice_reads = always\n"));
	assert_int_equal(cfg.splice_reads, 1);
	assert_true(load("[rpc]\nsplice_reads = never\n"));
	assert_int_equal(cfg.splice_reads, 2);
	assert_true(load("[rpc]\nsplice_reads = remote\n"));
	assert_int_equal(cfg.splice_reads, 0);
	assert_false(load("[rpc]\nsplice_reads = yes\n"));
	assert_err_contains("expected remote, always or never");
}

/* The congestion control of clients on this host: a kernel name, or
 * "system" for the system's (stored as ""). */
static void test_file_local_congestion(void **state)
{
	assert_true(load("[rpc]\nlocal_congestion_control = reno\n"));
	assert_string_equal(cfg.local_congestion, "reno");
	assert_true(load("[rpc]\nlocal_congestion_control = system\n"));
	assert_string_equal(cfg.local_congestion, "");
	assert_true(load("[rpc]\nlocal_congestion_control = abcdefghijklmno\n")); /* 15 */
	assert_string_equal(cfg.local_congestion, "abcdefghijklmno");
	assert_false(load("[rpc]\nlocal_congestion_control = abcdefghijklmnop\n"));
	assert_err_contains("1 to 15 characters");
	assert_false(load("[rpc]\nlocal_congestion_control = cu/bic\n"));
	assert_err_contains("letters, digits and '_'");
	assert_false(load("[rpc]\nlocal_congestion_control =\n"));
	assert_err_contains("not a TCP congestion control's name");
}

static void test_flags(void **state)
{
	assert_true(parse_finish("--listen", "0.0.0.0:2050", "--listen=[::1]:0", "--export",
				 "/srv/a", "--export=/srv/b:/bee", "--state-dir", "/var/lib/f",
				 "--log-level", "debug", "--port-file", "/tmp/pf",
				 "--no-rpcbind", NULL));
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0], "0.0.0.0:2050");
	assert_string_equal(cfg.listen[1], "[::1]:0");
	assert_int_equal(cfg.nexports, 2);
	assert_string_equal(cfg.exports[0].path, "/srv/a");
	assert_string_equal(cfg.exports[0].pseudo, "/a");
	assert_string_equal(cfg.exports[1].path, "/srv/b");
	assert_string_equal(cfg.exports[1].pseudo, "/bee");
	assert_string_equal(cfg.state_dir, "/var/lib/f");
	assert_string_equal(cfg.port_file, "/tmp/pf");
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_false(cfg.rpcbind);

	assert_true(parse("--help", NULL));
	assert_true(want_help);
	assert_true(parse("--listen", "x:1", "--help", "--bogus", NULL));
	assert_true(want_help);
}

static void test_export_specs(void **state)
{
	/* A ':' not followed by '/' belongs to the directory name. */
	assert_true(parse_finish("--export", "/srv/a:b", NULL));
	assert_string_equal(cfg.exports[0].path, "/srv/a:b");
	assert_string_equal(cfg.exports[0].pseudo, "/a:b");
	/* The last ":/" splits. */
	assert_true(parse_finish("--export", "/srv/x:/y:/z/w", NULL));
	assert_string_equal(cfg.exports[0].path, "/srv/x:/y");
	assert_string_equal(cfg.exports[0].pseudo, "/z/w");
	/* Nested pseudo path; trailing slashes on the pseudo path dropped. */
	assert_true(parse_finish("--export", "data:/a/b/c//", NULL));
	assert_string_equal(cfg.exports[0].pseudo, "/a/b/c");
	/* The pseudo root itself. */
	assert_true(parse_finish("--export", "/srv/root:/", NULL));
	assert_string_equal(cfg.exports[0].pseudo, "/");

	/* Pseudo path from the basename, trailing slashes ignored. */
	assert_true(parse_finish("--export", "/srv/data///", NULL));
	assert_string_equal(cfg.exports[0].path, "/srv/data///");
	assert_string_equal(cfg.exports[0].pseudo, "/data");
	assert_true(parse_finish("--export", "rel/dir/", NULL));
	assert_string_equal(cfg.exports[0].pseudo, "/dir");
	assert_true(parse_finish("--export", "plain", NULL));
	assert_string_equal(cfg.exports[0].pseudo, "/plain");

	/* No basename to derive from. */
	static const char *const underivable[] = {"/", "///", ".", "./", "..", "../", "/srv/.."};
	for (size_t i = 0; i < sizeof(underivable) / sizeof(underivable[0]); i++) {
		assert_false(parse_finish("--export", underivable[i], NULL));
		assert_err_contains("cannot derive a pseudo path");
	}

	/* An empty directory. */
	assert_false(parse("--export", "", NULL));
	assert_err_contains("export path");
	assert_false(parse("--export", ":/p", NULL));
	assert_err_contains("export path");
}

static void test_bad_pseudo(void **state)
{
	static const char *const bad[] = {"/srv/a:/x/../y", "/srv/a:/..", "/srv/a:/.",
					  "/srv/a://x", "/srv/a:/x//y", "/srv/a:/x/./y"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(parse_finish("--export", bad[i], NULL));
		assert_err_contains("must be absolute");
	}
	/* Names that merely contain dots are fine. */
	assert_true(parse_finish("--export", "/srv/a:/x.y/..z/...", NULL));
	assert_string_equal(cfg.exports[0].pseudo, "/x.y/..z/...");
	/* A relative pseudo path can only come from the file. */
	assert_true(load("[export r]\npath = /srv/r\npseudo = rel/path\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("must be absolute");
	assert_err_contains("rel/path");
}

static void test_duplicate_pseudo(void **state)
{
	assert_false(parse_finish("--export", "/a/data", "--export", "/b/data", NULL));
	assert_err_contains("share pseudo path /data");
	assert_false(parse_finish("--export", "/x:/p", "--export", "/y:/p/", NULL));
	assert_err_contains("share pseudo path /p");
	assert_false(parse_finish("--export", "/x:/q", "--export", "/srv/z", "--export",
				  "/srv/q", NULL));
	assert_err_contains("share pseudo path /q");
	/* Same directory twice under different names is allowed. */
	assert_true(parse_finish("--export", "/x:/p1", "--export", "/x:/p2", NULL));
	assert_int_equal(cfg.nexports, 2);
}

static void test_bad_flags(void **state)
{
	assert_false(parse("--bogus", NULL));
	assert_err_contains("unknown option '--bogus'");
	assert_false(parse("--listen", "a:1", "--frob=3", NULL));
	assert_err_contains("--frob");
	assert_false(parse("-x", NULL));
	assert_err_contains("unknown option '-x'");
	/* Options that take no value refuse one. */
	assert_false(parse("--no-rpcbind=yes", NULL));
	assert_err_contains("--no-rpcbind");

	static const char *const need_value[] = {"--listen", "--export", "--state-dir",
						 "--log-level", "--port-file", "--config"};
	for (size_t i = 0; i < sizeof(need_value) / sizeof(need_value[0]); i++) {
		assert_false(parse(need_value[i], NULL));
		assert_err_contains(need_value[i]);
		assert_err_contains("needs a value");
	}

	assert_false(parse("--log-level", "loud", NULL));
	assert_err_contains("unknown level 'loud'");
	assert_false(parse("--log-level", "", NULL));
	assert_false(parse("--log-level", "INFO", NULL));
	assert_true(parse("--log-level", "trace", NULL));
	assert_int_equal(cfg.log_level, LOG_LEVEL_TRACE);
	assert_true(parse("--log-level=error", NULL));
	assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);

	assert_false(parse("stray", NULL));
	assert_err_contains("unexpected argument 'stray'");
	assert_false(parse("--listen", "", NULL));
	assert_err_contains("listen address must not be empty");
	assert_false(parse("--state-dir", "", NULL));

	/* Too many listeners. */
	const char *many[2 * CONFIG_MAX_LISTEN + 3];
	for (int i = 0; i <= CONFIG_MAX_LISTEN; i++) {
		many[2 * i] = "--listen";
		many[2 * i + 1] = "127.0.0.1:0";
	}
	many[2 * CONFIG_MAX_LISTEN + 2] = NULL;
	char *argv[2 * CONFIG_MAX_LISTEN + 4];
	argv[0] = (char *)"ferryd";
	for (int i = 0; i < 2 * CONFIG_MAX_LISTEN + 2; i++)
		argv[i + 1] = (char *)many[i];
	argv[2 * CONFIG_MAX_LISTEN + 3] = NULL;
	config_init_defaults(&cfg);
	assert_false(config_parse_args(&cfg, 2 * CONFIG_MAX_LISTEN + 3, argv, &want_help, err,
				       sizeof(err)));
	assert_err_contains("too many listen addresses");
}

/* A parse that stopped in the middle of a cluster of short options must not
 * leave getopt state behind for the next call. */
static void test_reparse_after_error(void **state)
{
	assert_false(parse("-qz", NULL));
	assert_err_contains("unknown option '-q'");
	assert_true(parse("--listen", "1.2.3.4:5", NULL));
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], "1.2.3.4:5");
	assert_false(parse("--listen", "a:1", "-ab", NULL));
	assert_true(parse_finish("--state-dir", "/s", NULL));
	assert_string_equal(cfg.state_dir, "/s");
}

/* ---- INI file ---- */

static void test_file_all_sections(void **state)
{
	assert_true(load("; comment\n"
			 "[server]\n"
			 "listen = 10.0.0.1:2049\n"
			 "listen = [::]:2049\n"
			 "state_dir = /var/lib/ferry\n"
			 "log_level = warn\n"
			 "event_loops = 2\n"
			 "workers = 4\n"
			 "remote_workers = 0\n"
			 "rpcbind = no\n"
			 "\n"
			 "[rpc]\n"
			 "max_record_size = 2000000\n"
			 "max_inflight_per_conn = 64\n"
			 "idle_timeout = 0\n"
			 "\n"
			 "[export alpha]\n"
			 "path = /srv/alpha\n"
			 "pseudo = /a\n"
			 "[export beta]\n"
			 "path = /srv/beta/\n"
			 "[export alpha]\n"
			 "pseudo = /a2\n"));
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0], "10.0.0.1:2049");
	assert_string_equal(cfg.listen[1], "[::]:2049");
	assert_string_equal(cfg.state_dir, "/var/lib/ferry");
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_int_equal(cfg.event_loops, 2);
	assert_int_equal(cfg.workers, 4);
	assert_int_equal(cfg.remote_workers, 0);
	assert_false(cfg.rpcbind);
	assert_int_equal(cfg.max_record_size, 2000000);
	assert_int_equal(cfg.max_inflight_per_conn, 64);
	assert_int_equal(cfg.idle_timeout_s, 0);
	/* A section named again continues the same export. */
	assert_int_equal(cfg.nexports, 2);
	assert_string_equal(cfg.exports[0].name, "alpha");
	assert_string_equal(cfg.exports[0].path, "/srv/alpha");
	assert_string_equal(cfg.exports[0].pseudo, "/a2");
	assert_string_equal(cfg.exports[1].name, "beta");
	assert_string_equal(cfg.exports[1].path, "/srv/beta/");
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_string_equal(cfg.exports[1].pseudo, "/beta");
	assert_int_equal(cfg.nlisten, 2); /* no default added */

	/* Booleans in their several spellings. */
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[server]\nrpcbind = %s\n", no[i]);
		assert_true(load(text));
		assert_false(cfg.rpcbind);
		snprintf(text, sizeof(text), "[server]\nrpcbind = %s\n", yes[i]);
		assert_true(load(text));
		assert_true(cfg.rpcbind);
	}
}

static void test_state_caps(void **state)
{
	config_init_defaults(&cfg);
	assert_int_equal(cfg.max_clients, 16384);
	assert_int_equal(cfg.max_sessions_per_client, 16);
	/* Memory is the limit by default: no count caps per client. */
	assert_int_equal(cfg.max_open_owners_per_client, 0);
	assert_int_equal(cfg.max_opens_per_client, 0);
	assert_int_equal(cfg.max_lock_owners_per_client, 0);
	assert_int_equal(cfg.max_locks_per_client, 0);
	assert_int_equal(cfg.state_memory_mb, 0);
	assert_int_equal(cfg.client_state_share, 50);
	assert_true(load("[nfs]\nmax_clients = 3\nmax_sessions_per_client = 1\n"
			 "max_open_owners_per_client = 0\nmax_opens_per_client = 7\n"
			 "max_lock_owners_per_client = 8\nmax_locks_per_client = 9\n"
			 "state_memory_mb = 512\nclient_state_share = 25\n"));
	assert_int_equal(cfg.state_memory_mb, 512);
	assert_int_equal(cfg.client_state_share, 25);
	assert_int_equal(cfg.max_clients, 3);
	assert_int_equal(cfg.max_sessions_per_client, 1);
	assert_int_equal(cfg.max_open_owners_per_client, 0);
	assert_int_equal(cfg.max_opens_per_client, 7);
	assert_int_equal(cfg.max_lock_owners_per_client, 8);
	assert_int_equal(cfg.max_locks_per_client, 9);
	assert_false(load("[nfs]\nmax_opens_per_client = many\n"));
	assert_err_contains("max_opens_per_client");
	assert_false(load("[nfs]\nclient_state_share = 0\n"));
	assert_err_contains("1..100");
}

static void test_file_delegations(void **state)
{
	config_init_defaults(&cfg);
	assert_int_equal(cfg.delegations, CONFIG_DELEG_READWRITE);
	assert_int_equal(cfg.max_delegations, 0);
	assert_true(load("[nfs]\ndelegations = read\nmax_delegations = 1000\n"
			 "max_delegations_per_client = 50\n"));
	assert_int_equal(cfg.delegations, CONFIG_DELEG_READ);
	assert_int_equal(cfg.max_delegations, 1000);
	assert_int_equal(cfg.max_delegations_per_client, 50);
	assert_true(load("[nfs]\ndelegations = off\n"));
	assert_int_equal(cfg.delegations, CONFIG_DELEG_OFF);
	assert_true(load("[nfs]\ndelegations = readwrite\n"));
	assert_int_equal(cfg.delegations, CONFIG_DELEG_READWRITE);
	assert_false(load("[nfs]\ndelegations = write\n"));
	assert_err_contains("expected off, read or readwrite");
	assert_false(load("[nfs]\nmax_delegations = -3\n"));
	assert_err_contains("max_delegations");
}

static void test_dir_delegations(void **state)
{
	config_init_defaults(&cfg);
	assert_true(cfg.dir_delegations);
	assert_int_equal(cfg.max_dir_delegations, 0);
	assert_int_equal(cfg.dir_notify_window_ms, 50);
	assert_int_equal(cfg.dir_notify_max_changes, 4096);
	assert_int_equal(cfg.dir_notify_slow_ms, 1000);
	assert_int_equal(cfg.dir_attr_delay_max_ms, 1000);
	assert_true(load("[nfs]\ndir_delegations = no\nmax_dir_delegations = 10\n"
			 "dir_notify_window_ms = 20\ndir_notify_max_changes = 4\n"
			 "dir_notify_slow_ms = 250\ndir_attr_delay_max_ms = 300\n"));
	assert_false(cfg.dir_delegations);
	assert_int_equal(cfg.max_dir_delegations, 10);
	assert_int_equal(cfg.dir_notify_window_ms, 20);
	assert_int_equal(cfg.dir_notify_max_changes, 4);
	assert_int_equal(cfg.dir_notify_slow_ms, 250);
	assert_int_equal(cfg.dir_attr_delay_max_ms, 300);
	assert_false(load("[nfs]\ndir_delegations = maybe\n"));
	assert_err_contains("expected yes or no");
	assert_false(load("[nfs]\ndir_notify_window_ms = 0\n"));
	assert_err_contains("1..60000");
	assert_false(load("[nfs]\ndir_notify_max_changes = 0\n"));
	assert_err_contains("1..65536");
}

static void test_nlm_keys(void **state)
{
	config_init_defaults(&cfg);
	assert_true(cfg.nlm_nsm);
	assert_true(cfg.nlm_udp);
	assert_int_equal(cfg.nlm_unmon_delay_ms, 30000);
	assert_string_equal(cfg.nlm_sm_notify, "/usr/sbin/sm-notify");
	assert_string_equal(cfg.nlm_statd_dir, "");
	assert_true(load("[nlm]\nnsm = no\nunmon_delay_ms = 100\nstatd_dir = /srv/statd\n"
			 "sm_notify = /opt/bin/sm-notify\n"));
	assert_false(cfg.nlm_nsm);
	assert_int_equal(cfg.nlm_unmon_delay_ms, 100);
	assert_string_equal(cfg.nlm_statd_dir, "/srv/statd");
	assert_string_equal(cfg.nlm_sm_notify, "/opt/bin/sm-notify");
	assert_false(load("[nlm]\nnsm = perhaps\n"));
	assert_err_contains("expected yes or no");
	assert_true(load("[nlm]\nudp = no\n"));
	assert_false(cfg.nlm_udp);
	assert_true(cfg.nlm_nsm);
	assert_false(load("[nlm]\nudp = sometimes\n"));
	assert_err_contains("udp");
	assert_err_contains("expected yes or no");
	assert_false(load("[nlm]\nlockd = yes\n"));
	assert_err_contains("unknown key in [nlm]");
}

static void test_copy_keys(void **state)
{
	config_init_defaults(&cfg);
	assert_int_equal(cfg.copy_sync_max, 32u << 20);
	assert_int_equal(cfg.copy_max_per_client, 16);
	assert_int_equal(cfg.copy_rate_mb, 0);
	assert_true(load("[nfs]\ncopy_sync_max = 0\ncopy_max_per_client = 2\ncopy_rate_mb = 64\n"));
	assert_int_equal(cfg.copy_sync_max, 0);
	assert_int_equal(cfg.copy_max_per_client, 2);
	assert_int_equal(cfg.copy_rate_mb, 64);
	assert_false(load("[nfs]\ncopy_sync_max = 2147483648\n"));
	assert_err_contains("copy_sync_max");
	assert_false(load("[nfs]\ncopy_max_per_client = 0\n"));
	assert_err_contains("1..4096");
}

static void test_attr_cache_key(void **state)
{
	(void)state;
	config_init_defaults(&cfg);
	assert_true(load("[export a]\npath = /srv/a\n[export b]\npath = /srv/b\nattr_cache = no\n"));
	assert_false(cfg.exports[0].no_attr_cache); /* on by default */
	assert_true(cfg.exports[1].no_attr_cache);
	assert_true(load("[export a]\npath = /srv/a\nattr_cache = yes\n"));
	assert_false(cfg.exports[0].no_attr_cache);
	assert_false(load("[export a]\npath = /srv/a\nattr_cache = sometimes\n"));
	assert_err_contains("yes or no");
}

static void test_file_errors(void **state)
{
	assert_false(load("[server]\nlisten = a:1\nbogus = 1\n"));
	assert_err_contains(ini_path);
	assert_err_contains("[server] bogus");
	assert_err_contains("unknown key");

	assert_false(load("[rpc]\nmax_records = 5\n"));
	assert_err_contains("[rpc] max_records");
	assert_err_contains("unknown key");

	assert_false(load("[export e]\npath = /x\ncolour = red\n"));
	assert_err_contains("colour");
	assert_err_contains("unknown key in [export e]");

	assert_false(load("[nfsd]\nport = 1\n"));
	assert_err_contains("unknown section [nfsd]");
	/* "export" needs a name. */
	assert_false(load("[export]\npath = /x\n"));
	assert_err_contains("unknown section [export]");
	assert_false(load("[export ]\npath = /x\n"));
	assert_err_contains("unknown section");

	/* A key before any section. */
	assert_false(load("listen = a:1\n"));
	assert_err_contains("unknown section []");

	assert_false(load("[server]\nlog_level = chatty\n"));
	assert_err_contains("unknown level 'chatty'");
	assert_false(load("[server]\nrpcbind = maybe\n"));
	assert_err_contains("expected yes or no");
	assert_false(load("[server]\nlisten =\n"));
	assert_err_contains("must not be empty");

	assert_false(load("[server]\nthis line has no equals sign\n"));
	assert_err_contains("line 2");

	config_init_defaults(&cfg);
	char missing[700];
	snprintf(missing, sizeof(missing), "%s/does-not-exist.ini", tmpdir);
	assert_false(config_load_file(&cfg, missing, err, sizeof(err)));
	assert_err_contains("cannot open");
	assert_err_contains("does-not-exist.ini");

	/* An export section with no path passes loading, not finishing. */
	assert_true(load("[export nopath]\npseudo = /np\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("export nopath has no path");

	/* Two file exports on the same pseudo path. */
	assert_true(load("[export a]\npath = /one/data\n[export b]\npath = /two/data\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("exports a and b share pseudo path /data");
}

static void test_file_numbers(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{"[server]\nworkers = 0\n", "workers"},
		{"[server]\nworkers = 1025\n", "workers"},
		{"[server]\nworkers = -1\n", "workers"},
		{"[server]\nworkers = 4x\n", "workers"},
		{"[server]\nremote_workers = 1025\n", "remote_workers"},
		{"[server]\nremote_workers = -1\n", "remote_workers"},
		{"[server]\nevent_loops = 257\n", "0..256"},
		{"[server]\nevent_loops = 18446744073709551616\n", "event_loops"},
		{"[rpc]\nmax_record_size = 4095\n", "at least 4096"},
		{"[rpc]\nmax_record_size = 67108865\n", "0..67108864"},
		{"[rpc]\nmax_record_size = 4294967296\n", "max_record_size"},
		{"[rpc]\nmax_inflight_per_conn = 0\n", "at least 1"},
		{"[rpc]\nmax_inflight_per_conn = 65537\n", "max_inflight_per_conn"},
		{"[rpc]\nidle_timeout = 86401\n", "idle_timeout"},
		{"[rpc]\nidle_timeout = ten\n", "'ten' is not a number"},
		{"[rpc]\nidle_timeout = \n", "idle_timeout"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(bad[i].text))
			fail_msg("accepted: %s", bad[i].text);
		assert_err_contains(bad[i].msg);
	}

	/* The edges that are allowed. */
	assert_true(load("[server]\nworkers = 1024\nevent_loops = 256\n"
			 "[rpc]\nmax_record_size = 67108864\nmax_inflight_per_conn = 65536\n"
			 "idle_timeout = 86400\n"));
	assert_int_equal(cfg.workers, 1024);
	assert_int_equal(cfg.event_loops, 256);
	assert_int_equal(cfg.max_record_size, 64u << 20);
	assert_int_equal(cfg.max_inflight_per_conn, 65536);
	assert_int_equal(cfg.idle_timeout_s, 86400);
	assert_true(load("[rpc]\nmax_record_size = 4096\n"));
	assert_int_equal(cfg.max_record_size, 4096);
}

/* A long export section name must not turn one section into two exports
 * (inih cuts section names to 49 bytes; whatever the cut, it must be the
 * same for every key of the section). */
static void test_file_long_export_name(void **state)
{
	char text[512];
	char name[100];
	memset(name, 'n', 80);
	name[80] = '\0';
	snprintf(text, sizeof(text), "[export %s]\npath = /srv/x\npseudo = /x\n", name);
	if (load(text)) {
		assert_int_equal(cfg.nexports, 1);
		assert_string_equal(cfg.exports[0].path, "/srv/x");
		assert_string_equal(cfg.exports[0].pseudo, "/x");
	} else {
		assert_err_contains("too long");
	}
}

static void test_flags_override_file(void **state)
{
	const char *path = ini("[server]\n"
			       "listen = 10.0.0.1:1\n"
			       "listen = 10.0.0.2:2\n"
			       "state_dir = /file/state\n"
			       "log_level = error\n"
			       "rpcbind = yes\n"
			       "[export f]\n"
			       "path = /file/export\n");
	char p[700];
	snprintf(p, sizeof(p), "%s", path);

	/* The file alone. */
	assert_true(parse_finish("--config", p, NULL));
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.state_dir, "/file/state");
	assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
	assert_true(cfg.rpcbind);
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].pseudo, "/export");

	/* Flags win, whether they come before or after --config. */
	assert_true(parse_finish("--listen", "127.0.0.1:0", "--log-level", "debug", "--config",
				 p, "--state-dir", "/cli/state", "--no-rpcbind", "--export",
				 "/cli/exp:/c", NULL));
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], "127.0.0.1:0");
	assert_string_equal(cfg.state_dir, "/cli/state");
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_false(cfg.rpcbind);
	assert_int_equal(cfg.nexports, 1);
	assert_string_equal(cfg.exports[0].path, "/cli/exp");
	assert_string_equal(cfg.exports[0].pseudo, "/c");

	/* --config=FILE form; settings the flags do not touch stay. */
	char opt[720];
	snprintf(opt, sizeof(opt), "--config=%s", p);
	assert_true(parse_finish(opt, "--listen", "[::1]:7", NULL));
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], "[::1]:7");
	assert_string_equal(cfg.state_dir, "/file/state");
	assert_string_equal(cfg.exports[0].path, "/file/export");

	/* A broken file fails the whole parse, with the file named. */
	const char *broken = ini("[server]\nworkers = lots\n");
	snprintf(p, sizeof(p), "%s", broken);
	assert_false(parse("--listen", "127.0.0.1:0", "--config", p, NULL));
	assert_err_contains(p);
	assert_err_contains("workers");
	assert_false(parse("--config", "/nonexistent/ferry.ini", NULL));
	assert_err_contains("cannot open");
}

static void test_control(void **state)
{
	/* Default: loopback, the fixed port, not fatal if taken; the token in
	 * the state directory. */
	assert_true(parse_finish("--state-dir", "/var/lib/x", NULL));
	assert_string_equal(cfg.control_listen, "127.0.0.1:9590");
	assert_false(cfg.control_explicit);
	assert_string_equal(cfg.control_token_file, "/var/lib/x/control.token");
	assert_true(parse("--control", "none", NULL));
	assert_string_equal(cfg.control_listen, "");
	assert_true(cfg.control_explicit);
	assert_true(parse("--control", "[::1]:0", NULL));
	assert_string_equal(cfg.control_listen, "[::1]:0");
	assert_false(parse("--control", "localhost", NULL));
	assert_err_contains("HOST:PORT, unix:/PATH or none");
	assert_true(parse("--control", "unix:/run/ferry/control.sock", NULL));
	assert_string_equal(cfg.control_listen, "unix:/run/ferry/control.sock");
	assert_false(parse("--control", "unix:relative.sock", NULL));
	assert_false(parse("--control", "127.0.0.1:99999", NULL));

	assert_true(load("[control]\nlisten = 0.0.0.0:9000\ntoken_file = /etc/ferry/token\n"));
	assert_string_equal(cfg.control_listen, "0.0.0.0:9000");
	assert_true(cfg.control_explicit);
	assert_string_equal(cfg.control_token_file, "/etc/ferry/token");
	assert_false(load("[control]\nport = 1\n"));
	assert_err_contains("unknown key in [control]");
	assert_false(load("[control]\nlisten = :80\n"));
	/* Flags override the file; the file is remembered for reloads, and
	 * --export marks the exports as the command line's. */
	const char *path = ini("[control]\nlisten = none\n");
	assert_true(parse("--config", path, "--control", "127.0.0.1:1", "--export", "/tmp", NULL));
	assert_string_equal(cfg.control_listen, "127.0.0.1:1");
	assert_string_equal(cfg.config_path, path);
	assert_true(cfg.exports_from_cli);
}

/* The sample configuration installed to /etc/ferry parses and passes the
 * checks. */
static bool load_finish(const char *text)
{
	return load(text) && config_finish(&cfg, err, sizeof(err));
}

static void test_cluster_section(void **state)
{
	(void)state;
	/* Checked and completed when the configuration is finished.  Without
	 * the section: no cluster, records stay in the state dir. */
	assert_true(load_finish("[server]\nlisten = a:1\n"));
	assert_string_equal(cfg.cluster_node, "");
	assert_string_equal(cfg.cluster_rados_pool, "");
	assert_true(load_finish("[cluster]\nnode = head-1\nrados_conf = /etc/ceph/ceph.conf\n"
				"rados_id = ferry\n"));
	assert_string_equal(cfg.cluster_node, "head-1");
	assert_string_equal(cfg.cluster_rados_conf, "/etc/ceph/ceph.conf");
	assert_string_equal(cfg.cluster_rados_id, "ferry");
	assert_string_equal(cfg.cluster_rados_pool, "ferry"); /* the default */
	assert_string_equal(cfg.cluster_rados_namespace, "");
	assert_true(load_finish("[cluster]\nnode = b\nrados_pool = nfs\nrados_namespace = heads\n"));
	assert_string_equal(cfg.cluster_rados_pool, "nfs");
	assert_string_equal(cfg.cluster_rados_namespace, "heads");
	/* The other keys mean nothing without a node. */
	assert_false(load_finish("[cluster]\nrados_pool = nfs\n"));
	assert_err_contains("needs node");
	/* The node name becomes part of object names. */
	assert_false(load_finish("[cluster]\nnode = a/b\n"));
	assert_err_contains("[cluster] node: 'a/b'");
	assert_false(load_finish("[cluster]\nnode = x\nrados_user = y\n"));
	assert_err_contains("unknown key in [cluster]");
}

static void test_sample_config(void **state)
{
	config_init_defaults(&cfg);
	assert_true(config_load_file(&cfg, FERRY_SOURCE_DIR "/dist/ferryd.conf", err, sizeof(err)));
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_string_equal(cfg.state_dir, "/var/lib/ferry");
	assert_string_equal(cfg.control_listen, "127.0.0.1:9590");
	assert_int_equal(cfg.nexports, 1);
}

static void test_parse_uint(void **state)
{
	unsigned long long v = 7;

	(void)state;
	assert_true(config_parse_uint("0", 10, &v));
	assert_int_equal(v, 0);
	assert_true(config_parse_uint("10", 10, &v));
	assert_int_equal(v, 10);
	assert_true(config_parse_uint("18446744073709551615", UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_false(config_parse_uint("11", 10, &v));
	assert_false(config_parse_uint("", 10, &v));
	assert_false(config_parse_uint("-1", UINT64_MAX, &v));
	assert_false(config_parse_uint("5x", 10, &v));
	assert_false(config_parse_uint("x", 10, &v));
	assert_false(config_parse_uint("18446744073709551616", UINT64_MAX, &v));
	assert_int_equal(v, 7); /* untouched on failure */
}

static void test_store_uint(void **state)
{
	struct {
		uint32_t narrow, guard;
		uint64_t wide;
	} f = {1, 0xdeadbeef, 1};

	(void)state;
	config_store_uint(&f.narrow, sizeof(f.narrow), UINT32_MAX);
	assert_true(f.narrow == UINT32_MAX);
	config_store_uint(&f.wide, sizeof(f.wide), 1ull << 40);
	assert_true(f.wide == 1ull << 40);
	assert_true(f.guard == 0xdeadbeef); /* a 4-byte store stays in its field */
}

/* The numeric keys of [export NAME]: defaults for every export, the
 * range's wording, and no numeric key outside a named export section. */
static void test_export_numeric_keys(void **state)
{
	(void)state;
	assert_true(load("[export a]\npath = /a\n[export b]\npath = /b\nanonuid = 1000\n"
			 "anongid = 100\nbackend = memory\nmemory_latency_us = 250\n"));
	assert_int_equal(cfg.nexports, 2);
	assert_int_equal(cfg.exports[0].anonuid, 65534);
	assert_int_equal(cfg.exports[0].anongid, 65534);
	assert_int_equal(cfg.exports[0].memory_latency_us, 0);
	assert_int_equal(cfg.exports[1].anonuid, 1000);
	assert_int_equal(cfg.exports[1].anongid, 100);
	assert_int_equal(cfg.exports[1].memory_latency_us, 250);
	assert_int_equal(cfg.exports[0].read_cache_mb, 128);
	assert_true(config_finish(&cfg, err, sizeof(err)));
	/* read_cache_mb is the ceph back end's: refused elsewhere. */
	assert_true(load("[export a]\npath = /a\nbackend = ceph\nread_cache_mb = 0\n"));
	assert_int_equal(cfg.exports[0].read_cache_mb, 0);
	assert_true(config_finish(&cfg, err, sizeof(err)));
	assert_true(load("[export a]\npath = /a\nread_cache_mb = 64\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("export a: read_cache_mb is for the ceph backend");
	assert_false(load("[export a]\nanonuid = 4294967296\n"));
	assert_err_contains("[export a] anonuid: '4294967296' is not a number in 0..4294967295");
	assert_false(load("[export]\nanonuid = 1\n"));
	assert_err_contains("unknown section [export]");
	assert_false(load("[server]\nanonuid = 1\n"));
	assert_err_contains("unknown key in [server]");
}

/* NFSv3: on every listener and export unless one says v3=no / nfs3 = no;
 * options after the address in any order; bad values and unknown options
 * are refused. */
static void test_nfs3_switches(void **state)
{
	assert_true(parse_finish("--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2,v3=no",
				 "--listen", "127.0.0.1:3,v3=no,minor=1-2", "--listen",
				 "127.0.0.1:4,minor=0-0,v3=yes", NULL));
	assert_int_equal(cfg.nlisten, 4);
	assert_false(cfg.listen_no_v3[0]);
	assert_true(cfg.listen_no_v3[1]);
	assert_true(cfg.listen_no_v3[2]);
	assert_string_equal(cfg.listen[2], "127.0.0.1:3");
	assert_int_equal(cfg.listen_minor_min[2], 1);
	assert_int_equal(cfg.listen_minor_max[2], 2);
	assert_false(cfg.listen_no_v3[3]);
	assert_int_equal(cfg.listen_minor_max[3], 0);
	assert_false(parse("--listen", "127.0.0.1:1,v3=maybe", NULL));
	assert_err_contains("v3=maybe");
	assert_false(parse("--listen", "127.0.0.1:1,v2=no", NULL));
	assert_err_contains("unknown option");

	assert_true(load("[export a]\npath = /tmp/a\n[export b]\npath = /tmp/b\nnfs3 = no\n"));
	assert_false(cfg.exports[0].no_nfs3);
	assert_true(cfg.exports[1].no_nfs3);
	assert_false(load("[export a]\npath = /tmp/a\nnfs3 = sometimes\n"));
	assert_err_contains("expected yes or no");
	/* NLM's access check: on unless secure_locks = no (or insecure_locks). */
	assert_true(load("[export a]\npath = /tmp/a\n[export b]\npath = /tmp/b\n"
			 "secure_locks = no\n[export c]\npath = /tmp/c\ninsecure_locks = yes\n"));
	assert_false(cfg.exports[0].insecure_locks);
	assert_true(cfg.exports[1].insecure_locks);
	assert_true(cfg.exports[2].insecure_locks);
	assert_false(load("[export a]\npath = /tmp/a\nsecure_locks = perhaps\n"));
	assert_err_contains("expected yes or no");
}

/* MOUNT: served by default on every listener; [server] mount = no turns
 * it off, ",mount=no" after a listener's address turns it off there; a
 * listener's options combine, and an unknown one is refused. */
static void test_mount_switch(void **state)
{
	assert_true(parse_finish("--listen", "127.0.0.1:1", NULL));
	assert_true(cfg.mount);
	assert_false(cfg.listen_no_mount[0]);

	assert_true(parse_finish("--listen", "127.0.0.1:1,mount=no", "--listen",
				 "127.0.0.1:2,minor=1-2,mount=yes", "--listen",
				 "[::1]:3,mount=no,minor=0", NULL));
	assert_true(cfg.listen_no_mount[0]);
	assert_string_equal(cfg.listen[0], "127.0.0.1:1");
	assert_false(cfg.listen_no_mount[1]);
	assert_int_equal(cfg.listen_minor_min[1], 1);
	assert_int_equal(cfg.listen_minor_max[1], 2);
	assert_true(cfg.listen_no_mount[2]);
	assert_string_equal(cfg.listen[2], "[::1]:3");
	assert_int_equal(cfg.listen_minor_max[2], 0);

	assert_false(parse("--listen", "127.0.0.1:1,mount=maybe", NULL));
	assert_err_contains("mount=maybe: expected yes or no");
	assert_false(parse("--listen", "127.0.0.1:1,nfs=3", NULL));
	assert_err_contains("unknown option 'nfs=3'");

	assert_true(load("[server]\nmount = no\n"));
	assert_false(cfg.mount);
	assert_false(load("[server]\nmount = sometimes\n"));
	assert_err_contains("expected yes or no");
}

/* NFSv4 minor versions: 0..2 by default; a listener's own range and the
 * server's may name 2, never 3. */
static void test_minor_versions(void **state)
{
	assert_true(parse_finish(NULL));
	assert_int_equal(cfg.min_minor, 0);
	assert_int_equal(cfg.max_minor, 2);
	assert_int_equal(cfg.listen_minor_min[0], -1);

	assert_true(parse_finish("--listen", "127.0.0.1:1,minor=2-2", "--listen",
				 "127.0.0.1:2,minor=0-1", "--listen", "127.0.0.1:3,minor=1", NULL));
	assert_int_equal(cfg.nlisten, 3);
	assert_string_equal(cfg.listen[0], "127.0.0.1:1");
	assert_int_equal(cfg.listen_minor_min[0], 2);
	assert_int_equal(cfg.listen_minor_max[0], 2);
	assert_int_equal(cfg.listen_minor_min[1], 0);
	assert_int_equal(cfg.listen_minor_max[1], 1);
	assert_int_equal(cfg.listen_minor_min[2], 1);
	assert_int_equal(cfg.listen_minor_max[2], 1);

	assert_false(parse("--listen", "127.0.0.1:1,minor=1-3", NULL));
	assert_err_contains("within 0..2");
	assert_false(parse("--listen", "127.0.0.1:1,minor=2-1", NULL));
	assert_err_contains("within 0..2");

	assert_true(load("[server]\nmin_minor = 2\nmax_minor = 2\n"));
	assert_int_equal(cfg.min_minor, 2);
	assert_int_equal(cfg.max_minor, 2);
	assert_false(load("[server]\nmax_minor = 3\n"));
	assert_err_contains("0..2");
	assert_true(load("[server]\nmin_minor = 2\nmax_minor = 1\n"));
	assert_false(config_finish(&cfg, err, sizeof(err)));
	assert_err_contains("min_minor 2 is above max_minor 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_export_specs),
		cmocka_unit_test(test_bad_pseudo),
		cmocka_unit_test(test_duplicate_pseudo),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_reparse_after_error),
		cmocka_unit_test(test_file_all_sections),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_delegations),
		cmocka_unit_test(test_dir_delegations),
		cmocka_unit_test(test_nlm_keys),
		cmocka_unit_test(test_copy_keys),
		cmocka_unit_test(test_attr_cache_key),
		cmocka_unit_test(test_file_numbers),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_file_splice_reads),
		cmocka_unit_test(test_file_local_congestion),
		cmocka_unit_test(test_file_long_export_name),
		cmocka_unit_test(test_flags_override_file),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_store_uint),
		cmocka_unit_test(test_export_numeric_keys),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_state_caps),
		cmocka_unit_test(test_minor_versions),
		cmocka_unit_test(test_nfs3_switches),
		cmocka_unit_test(test_mount_switch),
		cmocka_unit_test(test_cluster_section),
		cmocka_unit_test(test_sample_config),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
