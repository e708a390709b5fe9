/* COMMIT checks what WRITE checks: a read-only export answers NFS4ERR_ROFS,
 * and a caller who may not write the file NFS4ERR_ACCESS (as knfsd, which
 * verifies the handle for writing, with owner override, before it syncs),
 * while the file's owner commits.  Without the checks COMMIT would fsync any file for anyone
 * (I/O the caller has no right to cause) and report success on a read-only
 * export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;
static char dir[256];
static int fd = -1;

static void make_file(const char *path, uid_t uid, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("data\n", f);
	fclose(f);
	assert_int_equal(chown(path, uid, uid), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-commit-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 getpid());
	char path[400];
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/rw", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/rw/roots", dir);
	make_file(path, 0, 0600);
	snprintf(path, sizeof(path), "%s/rw/users", dir);
	make_file(path, 1000, 0644);
	snprintf(path, sizeof(path), "%s/rw/users-readonly", dir);
	make_file(path, 1000, 0444);
	snprintf(path, sizeof(path), "%s/ro", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/ro/users", dir);
	make_file(path, 1000, 0644);
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "[export rw]\npath = %s/rw\npseudo = /rw\n\n"
		   "[export ro]\npath = %s/ro\npseudo = /ro\naccess = ro\n",
		dir, dir);
	fclose(f);
	const char *args[] = {"--config", path, NULL};
	if (ferryd_start(&server, args) != 0)
		return -1;
	fd = rpctest_connect(server.hostport);
	return fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	close(fd);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* PUTROOTFH, LOOKUP export, LOOKUP name, COMMIT 0 0 as uid: COMMIT's status. */
static uint32_t commit_as(uint32_t uid, const char *export, const char *name)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, export);
	nfs4c_lookup(&call, name);
	struct nfs4_commit_args ca = {.offset = 0, .count = 0};
	NFS4C_OP(&call, OP_COMMIT, nfs4_enc_commit_args, &ca);
	assert_int_equal(nfs4c_call(fd, uid ? nfs4c_cred(uid) : nfs4c_root_cred(), &call, &r), 0);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	uint32_t st = nfs4c_next(&r, OP_COMMIT);
	nfs4c_done(&r);
	return st;
}

static void test_owner_commits(void **state)
{
	assert_int_equal(commit_as(1000, "rw", "users"), NFS4_OK);
	/* Even a file the owner made 0444 after writing it (knfsd's owner
	 * override): its unstable writes must still reach the disk. */
	assert_int_equal(commit_as(1000, "rw", "users-readonly"), NFS4_OK);
	/* root is squashed to nobody (squash = root), who may not write uid
	 * 1000's file. */
	assert_int_equal(commit_as(0, "rw", "users"), NFS4ERR_ACCESS);
}

static void test_commit_without_write_access_is_refused(void **state)
{
	/* root's 0600 file: uid 1000 may neither read nor write it. */
	assert_int_equal(commit_as(1000, "rw", "roots"), NFS4ERR_ACCESS);
	/* uid 1001 may read uid 1000's 0644 file, not write it. */
	assert_int_equal(commit_as(1001, "rw", "users"), NFS4ERR_ACCESS);
}

static void test_commit_on_a_read_only_export_is_refused(void **state)
{
	assert_int_equal(commit_as(1000, "ro", "users"), NFS4ERR_ROFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_commits),
		cmocka_unit_test(test_commit_without_write_access_is_refused),
		cmocka_unit_test(test_commit_on_a_read_only_export_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
