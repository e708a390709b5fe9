/* The Kerberos fixture of the RPCSEC_GSS tests (tests/lib/krb5_kdc.h): a
 * real KDC on 127.0.0.1 hands out tickets, GSS-API contexts between its
 * users and nfs/localhost work in both directions with integrity and
 * privacy, its principals map to the local users the tests expect, it
 * survives a taken port, and it leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "lib/gss_pair.h"
#include "lib/krb5_kdc.h"

static struct krb5_kdc kdc;

static int group_setup(void **state)
{
	(void)state;
	return krb5_kdc_start(&kdc);
}

static int group_teardown(void **state)
{
	(void)state;
	krb5_kdc_stop(&kdc);
	return 0;
}

static void display_name(gss_name_t name, char *out, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
	GSS_OK(gss_display_name(&minor, name, &buf, NULL), "gss_display_name");
	snprintf(out, len, "%.*s", (int)buf.length, (const char *)buf.value);
	gss_release_buffer(&minor, &buf);
}

/* The local user a GSS-API name maps to, through the realm's
 * auth_to_local rules. */
static void gss_local_user(gss_name_t name, char *out, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
	GSS_OK(gss_localname(&minor, name, (gss_OID)gss_mech_krb5, &buf), "gss_localname");
	snprintf(out, len, "%.*s", (int)buf.length, (const char *)buf.value);
	gss_release_buffer(&minor, &buf);
}

static void test_kinit_alice(void **state)
{
	(void)state;
	char ccache[320];
	assert_non_null(krb5_kdc_kinit(&kdc, "alice", ccache, sizeof(ccache)));
	struct stat st;
	assert_int_equal(stat(ccache, &st), 0);
	assert_true(st.st_size > 0);

	/* The cache holds alice's ticket-granting ticket. */
	krb5_context ctx;
	assert_int_equal(krb5_init_context(&ctx), 0);
	char name[340];
	snprintf(name, sizeof(name), "FILE:%s", ccache);
	krb5_ccache cc;
	assert_int_equal(krb5_cc_resolve(ctx, name, &cc), 0);
	krb5_principal client;
	assert_int_equal(krb5_cc_get_principal(ctx, cc, &client), 0);
	char *client_name;
	assert_int_equal(krb5_unparse_name(ctx, client, &client_name), 0);
	assert_string_equal(client_name, "alice@FERRY.TEST");
	krb5_free_unparsed_name(ctx, client_name);
	krb5_free_principal(ctx, client);
	krb5_cc_close(ctx, cc);
	krb5_free_context(ctx);
}

/* A context each way for alice: names, MIC and wrap with privacy, and a
 * tampered token that must not pass. */
static void test_gss_round_trip(void **state)
{
	(void)state;
	OM_uint32 major, minor;
	struct gss_pair p;
	gss_pair_establish(&kdc, "alice", 0, &p);

	char text[128];
	display_name(p.source, text, sizeof(text));
	assert_string_equal(text, "alice@FERRY.TEST");
	/* The service name stays nfs/localhost: no DNS canonicalisation, and
	 * no search domain appended to a short host name. */
	gss_name_t target;
	GSS_OK(gss_inquire_context(&minor, p.acceptor, NULL, &target, NULL, NULL, NULL, NULL, NULL),
	       "gss_inquire_context");
	display_name(target, text, sizeof(text));
	assert_string_equal(text, "nfs/localhost@FERRY.TEST");
	gss_release_name(&minor, &target);
	gss_local_user(p.source, text, sizeof(text));
	assert_string_equal(text, "daemon");

	/* MIC, client to server and back. */
	char message[] = "an RPC call body, checksummed";
	gss_buffer_desc msg = {sizeof(message), message};
	gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
	GSS_OK(gss_get_mic(&minor, p.initiator, GSS_C_QOP_DEFAULT, &msg, &mic),
	       "gss_get_mic (initiator)");
	GSS_OK(gss_verify_mic(&minor, p.acceptor, &msg, &mic, NULL), "gss_verify_mic (acceptor)");
	gss_buffer_desc reply_mic = GSS_C_EMPTY_BUFFER;
	GSS_OK(gss_get_mic(&minor, p.acceptor, GSS_C_QOP_DEFAULT, &msg, &reply_mic),
	       "gss_get_mic (acceptor)");
	GSS_OK(gss_verify_mic(&minor, p.initiator, &msg, &reply_mic, NULL),
	       "gss_verify_mic (initiator)");
	gss_release_buffer(&minor, &reply_mic);

	/* A changed checksum, or a changed message, fails. */
	((unsigned char *)mic.value)[mic.length - 1] ^= 0x01;
	major = gss_verify_mic(&minor, p.acceptor, &msg, &mic, NULL);
	assert_int_equal(GSS_ROUTINE_ERROR(major), GSS_S_BAD_SIG);
	((unsigned char *)mic.value)[mic.length - 1] ^= 0x01;
	message[0] ^= 0x01;
	major = gss_verify_mic(&minor, p.acceptor, &msg, &mic, NULL);
	assert_int_equal(GSS_ROUTINE_ERROR(major), GSS_S_BAD_SIG);
	message[0] ^= 0x01;
	gss_release_buffer(&minor, &mic);

	/* Wrap with privacy: the plain text is not in the token, and comes
	 * back whole. */
	char secret[] = "file contents nobody on the wire may read";
	gss_buffer_desc plain = {sizeof(secret), secret};
	gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, unwrapped = GSS_C_EMPTY_BUFFER;
	int conf = 0;
	GSS_OK(gss_wrap(&minor, p.initiator, 1, GSS_C_QOP_DEFAULT, &plain, &conf, &wrapped),
	       "gss_wrap");
	assert_int_equal(conf, 1);
	assert_null(memmem(wrapped.value, wrapped.length, "nobody", strlen("nobody")));
	conf = 0;
	GSS_OK(gss_unwrap(&minor, p.acceptor, &wrapped, &unwrapped, &conf, NULL), "gss_unwrap");
	assert_int_equal(conf, 1);
	assert_int_equal(unwrapped.length, plain.length);
	assert_memory_equal(unwrapped.value, secret, plain.length);
	gss_release_buffer(&minor, &unwrapped);
	/* A flipped bit in the cipher text fails its integrity check. */
	((unsigned char *)wrapped.value)[wrapped.length / 2] ^= 0x01;
	major = gss_unwrap(&minor, p.acceptor, &wrapped, &unwrapped, &conf, NULL);
	assert_true(GSS_ERROR(major));
	gss_release_buffer(&minor, &unwrapped);
	gss_release_buffer(&minor, &wrapped);

	gss_pair_release(&p);
}

/* bob authenticates as himself and is bin locally. */
static void test_gss_bob(void **state)
{
	(void)state;
	OM_uint32 minor;
	struct gss_pair p;
	gss_pair_establish(&kdc, "bob", 0, &p);
	char text[128];
	display_name(p.source, text, sizeof(text));
	assert_string_equal(text, "bob@FERRY.TEST");
	gss_local_user(p.source, text, sizeof(text));
	assert_string_equal(text, "bin");

	char reply[] = "a reply body";
	gss_buffer_desc plain = {sizeof(reply), reply};
	gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER, unwrapped = GSS_C_EMPTY_BUFFER;
	int conf = 0;
	GSS_OK(gss_wrap(&minor, p.acceptor, 1, GSS_C_QOP_DEFAULT, &plain, &conf, &wrapped),
	       "gss_wrap (acceptor)");
	GSS_OK(gss_unwrap(&minor, p.initiator, &wrapped, &unwrapped, &conf, NULL),
	       "gss_unwrap (initiator)");
	assert_int_equal(conf, 1);
	assert_memory_equal(unwrapped.value, reply, sizeof(reply));
	gss_release_buffer(&minor, &wrapped);
	gss_release_buffer(&minor, &unwrapped);
	gss_pair_release(&p);
}

/* krb5_aname_to_localname for a principal name: the local name, or
 * "(error N)". */
static void local_name(krb5_context ctx, const char *principal, char *out, size_t len)
{
	krb5_principal p;
	assert_int_equal(krb5_parse_name(ctx, principal, &p), 0);
	krb5_error_code rc = krb5_aname_to_localname(ctx, p, (int)len, out);
	if (rc != 0)
		snprintf(out, len, "(error %ld)", (long)rc);
	krb5_free_principal(ctx, p);
}

static void test_auth_to_local(void **state)
{
	(void)state;
	krb5_context ctx;
	assert_int_equal(krb5_init_context(&ctx), 0);
	char name[64], expect[64];

	local_name(ctx, "alice@FERRY.TEST", name, sizeof(name));
	assert_string_equal(name, "daemon");
	local_name(ctx, "bob@FERRY.TEST", name, sizeof(name));
	assert_string_equal(name, "bin");
	/* Users the host has already: what a server's uid comes from. */
	struct passwd *pw = getpwnam("daemon");
	assert_non_null(pw);
	assert_int_equal(pw->pw_uid, 1);
	pw = getpwnam("bin");
	assert_non_null(pw);
	assert_int_equal(pw->pw_uid, 2);

	/* A rule's regexp must match the whole name: malice is not alice,
	 * and falls to DEFAULT (its own name in the default realm). */
	local_name(ctx, "malice@FERRY.TEST", name, sizeof(name));
	assert_string_equal(name, "malice");
	/* DEFAULT maps neither other realms nor names of two components. */
	snprintf(expect, sizeof(expect), "(error %ld)", (long)KRB5_LNAME_NOTRANS);
	local_name(ctx, "alice@OTHER.TEST", name, sizeof(name));
	assert_string_equal(name, expect);
	local_name(ctx, "nfs/localhost@FERRY.TEST", name, sizeof(name));
	assert_string_equal(name, expect);
	krb5_free_context(ctx);
}

/* Whether a process (not a zombie: its command line is empty) names path
 * on its command line. */
static bool process_names(const char *path)
{
	DIR *proc = opendir("/proc");
	assert_non_null(proc);
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(proc))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char file[300], cmdline[4096];
		snprintf(file, sizeof(file), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(file, "r");
		if (!f)
			continue;
		size_t n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		cmdline[n] = '\0';
		found = strstr(cmdline, path) != NULL;
	}
	closedir(proc);
	return found;
}

static int kdc_port(const struct krb5_kdc *k)
{
	FILE *f = fopen(k->krb5_conf, "r");
	assert_non_null(f);
	char line[256];
	int port = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " kdc = 127.0.0.1:%d", &port) == 1)
			break;
	fclose(f);
	return port;
}

/* A second realm whose first port is taken moves to another. */
static void test_taken_port(void **state)
{
	(void)state;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(listener >= 0);
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	socklen_t addr_len = sizeof(addr);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &addr_len), 0);
	char taken[8];
	snprintf(taken, sizeof(taken), "%u", ntohs(addr.sin_port));

	setenv("FERRY_TEST_KRB5_PORT", taken, 1);
	struct krb5_kdc second;
	int rc = krb5_kdc_start(&second);
	unsetenv("FERRY_TEST_KRB5_PORT");
	assert_int_equal(rc, 0);
	assert_int_not_equal(kdc_port(&second), atoi(taken));
	char ccache[320];
	assert_non_null(krb5_kdc_kinit(&second, "bob", ccache, sizeof(ccache)));
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", second.dir);
	krb5_kdc_stop(&second);
	assert_false(process_names(dir));
	close(listener);

	/* krb5_kdc_start pointed the environment at the second realm, and
	 * krb5_kdc_stop took it away: back to the first. */
	setenv("KRB5_CONFIG", kdc.krb5_conf, 1);
	char kdc_conf[300];
	snprintf(kdc_conf, sizeof(kdc_conf), "%s/kdc.conf", kdc.dir);
	setenv("KRB5_KDC_PROFILE", kdc_conf, 1);
	setenv("KRB5RCACHEDIR", kdc.dir, 1);
}

/* A test process that dies without krb5_kdc_stop leaves nothing either:
 * the script's watchdog stops its KDC and removes its directory. */
static void test_owner_gone(void **state)
{
	(void)state;
	int pipe_fds[2];
	assert_int_equal(pipe(pipe_fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct krb5_kdc orphan;
		if (krb5_kdc_start(&orphan) != 0)
			_exit(1);
		ssize_t n = write(pipe_fds[1], orphan.dir, strlen(orphan.dir));
		_exit(n > 0 ? 0 : 1);
	}
	close(pipe_fds[1]);
	char dir[256] = "";
	ssize_t n = read(pipe_fds[0], dir, sizeof(dir) - 1);
	close(pipe_fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(n > 0);
	dir[n] = '\0';

	/* The watchdog looks once a second. */
	struct stat st;
	bool gone = false;
	for (int i = 0; i < 100 && !gone; i++) {
		gone = stat(dir, &st) != 0 && errno == ENOENT && !process_names(dir);
		if (!gone)
			usleep(50 * 1000);
	}
	assert_true(gone);
}

/* Last: stopping leaves no process of the realm and no directory, and
 * stopping again does nothing. */
static void test_stop_leaves_nothing(void **state)
{
	(void)state;
	char dir[256], pid_file[300];
	snprintf(dir, sizeof(dir), "%s", kdc.dir);
	snprintf(pid_file, sizeof(pid_file), "%s/kdc.pid", dir);
	/* The KDC and the watchdog name the directory. */
	assert_true(process_names(pid_file));
	krb5_kdc_stop(&kdc);
	assert_false(process_names(dir));
	struct stat st;
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(getenv("KRB5_CONFIG"));

	krb5_kdc_stop(&kdc);
	char command[512];
	snprintf(command, sizeof(command), "bash %s/tests/lib/krb5_kdc.sh stop %s",
		 FERRY_SOURCE_DIR, dir);
	assert_int_equal(system(command), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinit_alice), cmocka_unit_test(test_gss_round_trip),
		cmocka_unit_test(test_gss_bob),	    cmocka_unit_test(test_auth_to_local),
		cmocka_unit_test(test_taken_port),
		cmocka_unit_test(test_owner_gone),  cmocka_unit_test(test_stop_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
