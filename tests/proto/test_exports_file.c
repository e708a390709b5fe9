/* A ferryd that reads its exports from a knfsd exports(5) file ([server]
 * exports): each host pattern's options as NFSv4 clients from different
 * loopback addresses see them (127.0.0.1, .2, .3 and ::1, the client
 * socket bound to each); fsid=0's pseudo root; sec=krb5 and
 * secure/insecure; a bad file refused at start and at a reload (the old
 * exports kept); ferryctl exportfs -v and -r.  NFSv3 and MOUNT on such a
 * file: tests/mount/test_mount_exports_file.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/krb5_kdc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"

static struct ferryd_proc server;
static struct krb5_kdc kdc;
static bool have_krb5;
static char dir[256], exports_path[320], conf_path[320];
static uint16_t port_v6;

/* The file the tests start with, with an export that takes krb5 alone
 * when the Kerberos programs are there. */
static void write_start_exports(void)
{
	char krb[400] = "";
	if (have_krb5)
		snprintf(krb, sizeof(krb), "%s/root/krb    *(rw,sec=krb5)\n", dir);
	FILE *f = fopen(exports_path, "w");
	assert_non_null(f);
	/* %1$s: the test's directory; %2$s: the krb line. */
	fprintf(f,
		"# the NFSv4 root: the exports below appear under it\n"
		"%1$s/root  *(ro,fsid=0,crossmnt)\n"
		"%1$s/root/data   127.0.0.1(rw,no_root_squash) 127.0.0.2(ro,no_root_squash)\n"
		"%1$s/root/squash 127.0.0.1(rw) 127.0.0.2(rw,all_squash,anonuid=4321,"
		"anongid=4322) \\\n"
		"                 127.0.0.3(rw,no_root_squash)\n"
		"%1$s/root/open   -rw,no_root_squash 127.0.0.1(insecure) 127.0.0.2\n"
		"%1$s/root/six    ::1(rw,no_root_squash) 127.0.0.1(ro)\n"
		"%2$s",
		dir, krb);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-exportsfile-%d",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	static const char *const subdirs[] = {"", "/root", "/root/data", "/root/squash",
					      "/root/open", "/root/six", "/root/krb"};
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char path[400];
		snprintf(path, sizeof(path), "%s%s", dir, subdirs[i]);
		if (mkdir(path, 0777) != 0 || chmod(path, 0777) != 0)
			return -1;
	}
	have_krb5 = krb5_kdc_start(&kdc) == 0;
	snprintf(exports_path, sizeof(exports_path), "%s/exports", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/ferryd.conf", dir);
	write_start_exports();
	FILE *f = fopen(conf_path, "w");
	if (!f)
		return -1;
	fprintf(f, "[server]\nexports = %s\n", exports_path);
	if (have_krb5)
		fprintf(f, "keytab = %s\n", kdc.keytab);
	fclose(f);
	const char *args[] = {"--config", conf_path, "--listen", "127.0.0.1:0",
			      "--listen", "[::1]:0", NULL};
	if (ferryd_start(&server, args) != 0)
		return -1;
	/* The second listener's port: the second line of the port file. */
	char portfile[320];
	snprintf(portfile, sizeof(portfile), "%s/port", server.dir);
	f = fopen(portfile, "r");
	unsigned a = 0, b = 0;
	if (!f || fscanf(f, "%u %u", &a, &b) != 2) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	port_v6 = (uint16_t)b;
	return 0;
}

static int teardown(void **state)
{
	int rc = ferryd_stop(&server);
	if (have_krb5)
		krb5_kdc_stop(&kdc);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

/* A connection to the server from source address src (IPv4 or IPv6),
 * from a reserved port unless unreserved. */
static int connect_from(const char *src, bool unreserved)
{
	char v6[64];
	snprintf(v6, sizeof(v6), "[::1]:%u", port_v6);
	int fd = rpctest_connect_addr(strchr(src, ':') ? v6 : server.hostport, src, unreserved);
	if (fd < 0)
		fail_msg("cannot connect from %s", src);
	return fd;
}

/* The status of the first failing of the compound's nops operations, or
 * NFS4_OK.  Only the last may have results after its status (which are
 * not read). */
static uint32_t compound_status(struct nfs4c_reply *r, unsigned nops)
{
	uint32_t op, st;
	for (unsigned i = 0; i < nops && nfs4c_result(r, &op, &st); i++)
		if (st != NFS4_OK)
			return st;
	return NFS4_OK;
}

/* PUTROOTFH, LOOKUP of each of names (NULL-terminated), and with mkdir
 * CREATE of directory mkdir there: the first failing status. */
static uint32_t v4_walk(int fd, const struct rpc_cred *cred, const char *const *names,
			const char *mkdir_name)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	unsigned nops = 1;
	for (unsigned i = 0; names[i]; i++, nops++)
		nfs4c_lookup(&call, names[i]);
	if (mkdir_name) {
		nops++;
		struct nfs4_create_args c;
		memset(&c, 0, sizeof(c));
		c.type = NF4DIR;
		c.name = nfs4_opaque_str(mkdir_name);
		NFS4C_OP(&call, OP_CREATE, nfs4_enc_create_args, &c);
	}
	assert_int_equal(nfs4c_call(fd, cred, &call, &r), 0);
	uint32_t st = compound_status(&r, nops);
	nfs4c_done(&r);
	return st;
}

/* From src, as cred: mkdir name in export (a pseudo path's one name). */
static uint32_t mkdir_from(const char *src, const struct rpc_cred *cred, const char *export,
			   const char *name)
{
	int fd = connect_from(src, false);
	const char *names[] = {export, NULL};
	uint32_t st = v4_walk(fd, cred, names, name);
	close(fd);
	return st;
}

static struct stat stat_of(const char *export, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/root/%s/%s", dir, export, name);
	if (stat(path, &st) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	return st;
}

static bool exists(const char *export, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/root/%s/%s", dir, export, name);
	return stat(path, &st) == 0;
}

static void test_rw_and_ro_per_host_nfsv4(void **state)
{
	assert_int_equal(mkdir_from("127.0.0.1", nfs4c_root_cred(), "data", "by-one"), NFS4_OK);
	assert_true(exists("data", "by-one"));
	assert_int_equal(mkdir_from("127.0.0.2", nfs4c_root_cred(), "data", "by-two"),
			 NFS4ERR_ROFS);
	assert_false(exists("data", "by-two"));
}

static void test_a_host_that_matches_no_pattern_is_refused(void **state)
{
	/* The pseudo file system shows a client only the exports it may
	 * use, as knfsd's does. */
	int fd = connect_from("127.0.0.4", false);
	static const char *const data[] = {"data", NULL}, *const squash[] = {"squash", NULL};
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), data, NULL), NFS4ERR_NOENT);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), squash, NULL), NFS4ERR_NOENT);
	close(fd);
	fd = connect_from("127.0.0.3", false);
	/* .3 is listed for squash, not for data. */
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), data, NULL), NFS4ERR_NOENT);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), squash, NULL), NFS4_OK);
	close(fd);
}

static void test_squash_per_host(void **state)
{
	/* 127.0.0.1: root_squash (the default): root's file is nobody's. */
	assert_int_equal(mkdir_from("127.0.0.1", nfs4c_root_cred(), "squash", "root-squashed"),
			 NFS4_OK);
	assert_int_equal(stat_of("squash", "root-squashed").st_uid, 65534);
	assert_int_equal(mkdir_from("127.0.0.1", nfs4c_cred(1000), "squash", "user-kept"), NFS4_OK);
	assert_int_equal(stat_of("squash", "user-kept").st_uid, 1000);
	/* 127.0.0.2: all_squash with anonuid/anongid: everyone is 4321:4322. */
	assert_int_equal(mkdir_from("127.0.0.2", nfs4c_cred(1000), "squash", "all-squashed"),
			 NFS4_OK);
	struct stat st = stat_of("squash", "all-squashed");
	assert_int_equal(st.st_uid, 4321);
	assert_int_equal(st.st_gid, 4322);
	/* 127.0.0.3: no_root_squash: root stays root. */
	assert_int_equal(mkdir_from("127.0.0.3", nfs4c_root_cred(), "squash", "root-kept"),
			 NFS4_OK);
	assert_int_equal(stat_of("squash", "root-kept").st_uid, 0);
}

static void test_secure_and_insecure(void **state)
{
	static const char *const data[] = {"data", NULL}, *const open[] = {"open", NULL};
	int fd = connect_from("127.0.0.1", true);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), data, NULL), NFS4ERR_PERM);
	/* open: insecure for 127.0.0.1 alone, the "-" defaults for both. */
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), open, "from-high-port"), NFS4_OK);
	close(fd);
	assert_true(exists("open", "from-high-port"));
	fd = connect_from("127.0.0.2", true);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), open, NULL), NFS4ERR_PERM);
	close(fd);
	assert_int_equal(mkdir_from("127.0.0.2", nfs4c_root_cred(), "open", "two-rw"), NFS4_OK);
}

static void test_ipv6_host(void **state)
{
	assert_int_equal(mkdir_from("::1", nfs4c_root_cred(), "six", "by-v6"), NFS4_OK);
	assert_true(exists("six", "by-v6"));
	assert_int_equal(mkdir_from("127.0.0.1", nfs4c_root_cred(), "six", "by-v4"), NFS4ERR_ROFS);
	static const char *const six[] = {"six", NULL};
	int fd = connect_from("127.0.0.2", false);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), six, NULL), NFS4ERR_NOENT);
	close(fd);
}

static void test_sec_krb5_refuses_auth_sys(void **state)
{
	if (!have_krb5)
		skip(); /* no Kerberos programs: the export is not in the file */
	static const char *const krb[] = {"krb", NULL};
	int fd = connect_from("127.0.0.1", false);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), krb, NULL), NFS4ERR_WRONGSEC);
	close(fd);
}

static void test_fsid0_is_the_pseudo_root(void **state)
{
	int fd = connect_from("127.0.0.1", false);
	/* The exports appear under "/" by their paths relative to fsid=0's. */
	static const char *const data[] = {"data", NULL};
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), data, NULL), NFS4_OK);
	static const char *const root[] = {"root", NULL};
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), root, NULL), NFS4ERR_NOENT);
	/* Not at their full path. */
	char first[256];
	snprintf(first, sizeof(first), "%s", dir + 1);
	*strchr(first, '/') = '\0';
	const char *full[] = {first, NULL};
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), full, NULL), NFS4ERR_NOENT);
	/* The pseudo root itself is read-only. */
	const char *none[] = {NULL};
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), none, "at-root"), NFS4ERR_ROFS);
	close(fd);
}

/* Runs a command line, its output (stdout and stderr) into out; the exit
 * status, or -1. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int ferryctl(const char *args, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s --server %s --token-file %s %s 2>&1", FERRYCTL_PATH,
		 server.control, server.token_path, args);
	return run(cmd, out, cap);
}

static void test_exportfs_v(void **state)
{
	char out[8192], want[1024];
	assert_int_equal(ferryctl("exportfs -v", out, sizeof(out)), 0);
	/* Long paths on a line of their own, as exportfs prints them. */
	snprintf(want, sizeof(want),
		 "%s/root/data\n\t\t127.0.0.1(sync,no_wdelay,no_subtree_check,sec=sys,rw,secure,"
		 "no_root_squash,no_all_squash)\n",
		 dir);
	if (!strstr(out, want))
		fail_msg("exportfs -v:\n%s\nlacks\n%s", out, want);
	snprintf(want, sizeof(want),
		 "%s/root/squash\n\t\t127.0.0.2(sync,no_wdelay,no_subtree_check,sec=sys,rw,secure,"
		 "root_squash,all_squash,anonuid=4321,anongid=4322)\n",
		 dir);
	if (!strstr(out, want))
		fail_msg("exportfs -v:\n%s\nlacks\n%s", out, want);
	snprintf(want, sizeof(want),
		 "%s/root/open\n\t\t127.0.0.1(sync,no_wdelay,no_subtree_check,sec=sys,rw,insecure,"
		 "no_root_squash,no_all_squash)\n",
		 dir);
	if (!strstr(out, want))
		fail_msg("exportfs -v:\n%s\nlacks\n%s", out, want);
	if (have_krb5) {
		snprintf(want, sizeof(want), "%s/root/krb\n\t\t<world>(sync,no_wdelay,"
					     "no_subtree_check,sec=krb5,rw,",
			 dir);
		if (!strstr(out, want))
			fail_msg("exportfs -v:\n%s\nlacks\n%s", out, want);
	}
	/* Without -v: the clients alone. */
	assert_int_equal(ferryctl("exportfs", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/root/data\n\t\t127.0.0.2\n", dir);
	if (!strstr(out, want))
		fail_msg("exportfs:\n%s\nlacks\n%s", out, want);
	assert_null(strstr(out, "(sync"));
	assert_int_equal(ferryctl("exportfs -x", out, sizeof(out)), 2);
}

static void test_a_bad_file_refuses_to_start(void **state)
{
	char bad[400], state_dir[400], cmd[1400], out[4096];
	snprintf(bad, sizeof(bad), "%s/bad-exports", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/bad-state", dir);
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "# fine\n%s/root/data 127.0.0.1(rw)\n%s/root/squash 127.0.0.1(rw,wrong)\n", dir,
		dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s --exports %s --listen 127.0.0.1:0 --no-rpcbind --control none "
		 "--state-dir %s 2>&1",
		 FERRYD_PATH, bad, state_dir);
	assert_int_equal(run(cmd, out, sizeof(out)), 2);
	char want[1000]; /* bad (400) and dir (256) in one message */
	snprintf(want, sizeof(want), "%s:3:%zu: unknown option 'wrong'", bad,
		 strlen(dir) + strlen("/root/squash 127.0.0.1(rw,") + 1);
	if (!strstr(out, want))
		fail_msg("ferryd said:\n%s\nnot\n%s", out, want);

	/* A directory that is not there is an error, never made (as
	 * ferryd makes those of [export] sections). */
	f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "%s/root/data 127.0.0.1(rw)\n%s/root/missing 127.0.0.1(rw)\n", dir, dir);
	fclose(f);
	assert_int_not_equal(run(cmd, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s:2:1: %s/root/missing: No such file or directory", bad,
		 dir);
	if (!strstr(out, want))
		fail_msg("ferryd said:\n%s\nnot\n%s", out, want);
	struct stat st;
	snprintf(want, sizeof(want), "%s/root/missing", dir);
	assert_int_not_equal(stat(want, &st), 0);
}

/* Waits until the server's log holds text (a reload logs its outcome). */
static bool log_has(const char *text)
{
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(server.log_path, "r");
		char buf[65536];
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, text))
			return true;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Last: it changes the file. */
static void test_reload_keeps_old_exports_on_error_and_applies_a_good_file(void **state)
{
	char out[4096], want[600];
	FILE *f = fopen(exports_path, "a");
	assert_non_null(f);
	fprintf(f, "%s/root/data 127.0.0.9(rw,sideways)\n", dir);
	fclose(f);
	unsigned line = have_krb5 ? 9 : 8;
	snprintf(want, sizeof(want), "%s:%u:%zu: unknown option 'sideways'", exports_path, line,
		 strlen(dir) + strlen("/root/data 127.0.0.9(rw,") + 1);

	assert_int_equal(ferryctl("exportfs -r", out, sizeof(out)), 1);
	if (!strstr(out, want))
		fail_msg("exportfs -r said:\n%s\nnot\n%s", out, want);
	assert_int_equal(kill(server.pid, SIGHUP), 0);
	char logged[700];
	snprintf(logged, sizeof(logged), "exports not reloaded: %s", want);
	assert_true(log_has(logged));
	/* The old exports still serve. */
	assert_int_equal(mkdir_from("127.0.0.1", nfs4c_root_cred(), "data", "after-bad"),
			 NFS4_OK);
	assert_int_equal(mkdir_from("127.0.0.2", nfs4c_root_cred(), "data", "still-ro"),
			 NFS4ERR_ROFS);

	/* A good change: 127.0.0.2 may now write to data. */
	char text[2048];
	snprintf(text, sizeof(text), "%s/root  *(ro,fsid=0)\n"
				     "%s/root/data 127.0.0.1(rw) 127.0.0.2(rw,no_root_squash)\n",
		 dir, dir);
	f = fopen(exports_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(ferryctl("exportfs -rv", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/root/data\n\t\t127.0.0.2(sync,no_wdelay,"
				     "no_subtree_check,sec=sys,rw,",
		 dir);
	if (!strstr(out, want))
		fail_msg("exportfs -rv:\n%s\nlacks\n%s", out, want);
	assert_int_equal(mkdir_from("127.0.0.2", nfs4c_root_cred(), "data", "now-rw"), NFS4_OK);
	assert_true(exists("data", "now-rw"));
	/* Gone from the file, gone from the server. */
	static const char *const squash[] = {"squash", NULL};
	int fd = connect_from("127.0.0.1", false);
	assert_int_equal(v4_walk(fd, nfs4c_root_cred(), squash, NULL), NFS4ERR_NOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rw_and_ro_per_host_nfsv4),
		cmocka_unit_test(test_a_host_that_matches_no_pattern_is_refused),
		cmocka_unit_test(test_squash_per_host),
		cmocka_unit_test(test_secure_and_insecure),
		cmocka_unit_test(test_ipv6_host),
		cmocka_unit_test(test_sec_krb5_refuses_auth_sys),
		cmocka_unit_test(test_fsid0_is_the_pseudo_root),
		cmocka_unit_test(test_exportfs_v),
		cmocka_unit_test(test_a_bad_file_refuses_to_start),
		cmocka_unit_test(test_reload_keeps_old_exports_on_error_and_applies_a_good_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
