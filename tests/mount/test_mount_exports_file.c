/* MOUNT and NFSv3 on exports read from a knfsd exports(5) file: MOUNT's
 * export list names them by directory with their host patterns, as
 * knfsd's showmount -e does; MNT takes the directory; a host pattern's
 * ro or rw holds for NFSv3 (NFS3ERR_ROFS), and a host no pattern matches
 * is refused.  Clients are told apart by the loopback address their
 * socket is bound to. */
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
#include "lib/nfs3_client.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/mount_codec.h"

static struct ferryd_proc server;
static char dir[256];
static uint32_t next_xid = 0x6d6e7400;

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-mount-exports-%d",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	static const char *const subdirs[] = {"", "/root", "/root/data", "/root/lab"};
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char path[400];
		snprintf(path, sizeof(path), "%s%s", dir, subdirs[i]);
		if (mkdir(path, 0777) != 0 || chmod(path, 0777) != 0)
			return -1;
	}
	char exports[320];
	snprintf(exports, sizeof(exports), "%s/exports", dir);
	FILE *f = fopen(exports, "w");
	if (!f)
		return -1;
	fprintf(f,
		"%1$s/root      *(ro,fsid=0)\n"
		"%1$s/root/data 127.0.0.0/24(ro,no_root_squash) 127.0.0.1(rw,no_root_squash)\n"
		"%1$s/root/lab  127.0.0.2(rw)\n",
		dir);
	fclose(f);
	const char *args[] = {"--exports", exports, NULL};
	return ferryd_start(&server, args);
}

static int teardown(void **state)
{
	int rc = ferryd_stop(&server);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

static int connect_from(const char *src)
{
	int fd = rpctest_connect_addr(server.hostport, src, false);
	if (fd < 0)
		fail_msg("cannot connect from %s", src);
	return fd;
}

/* MOUNT's EXPORT list as "DIR GROUP,GROUP" lines into out. */
static unsigned export_list(char out[][512], unsigned cap)
{
	int fd = connect_from("127.0.0.1");
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, next_xid++, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_EXPORT,
				      nfs4c_root_cred(), NULL, 0, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	unsigned n = 0;
	bool more;
	assert_true(mount_dec_more(&r.results, &more));
	while (more) {
		struct mount_name d, g;
		assert_true(mount_dec_export_dir(&r.results, &d));
		assert_true(n < cap);
		snprintf(out[n], 512, "%.*s ", (int)d.len, (const char *)d.data);
		bool gmore, first = true;
		assert_true(mount_dec_more(&r.results, &gmore));
		while (gmore) {
			assert_true(mount_dec_group(&r.results, &g));
			snprintf(out[n] + strlen(out[n]), 512 - strlen(out[n]), "%s%.*s",
				 first ? "" : ",", (int)g.len, (const char *)g.data);
			first = false;
			assert_true(mount_dec_more(&r.results, &gmore));
		}
		n++;
		assert_true(mount_dec_more(&r.results, &more));
	}
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
	close(fd);
	return n;
}

static void test_export_list_names_directories(void **state)
{
	char lines[8][512], want[512];
	assert_int_equal(export_list(lines, 8), 2);
	/* The single host before the network, as knfsd tries them. */
	snprintf(want, sizeof(want), "%s/root/data 127.0.0.1,127.0.0.0/24", dir);
	assert_string_equal(lines[0], want);
	snprintf(want, sizeof(want), "%s/root/lab 127.0.0.2", dir);
	assert_string_equal(lines[1], want);
}

/* MNT path from src: its status, the handle into fh. */
static uint32_t mnt_from(const char *src, const char *path, struct nfs3c_fh *fh)
{
	int fd = connect_from(src);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 8192));
	struct mount_name p = {(const uint8_t *)path, (uint32_t)strlen(path)};
	assert_true(mount_enc_dirpath(&e, &p));
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, next_xid++, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_MNT,
				      nfs4c_root_cred(), e.buf->data, xdr_enc_len(&e), &r),
			 0);
	xdr_enc_release(&e);
	struct mount_mnt_res res;
	assert_true(mount_dec_mnt_res(&r.results, &res));
	if (res.status == MNT3_OK && fh) {
		memcpy(fh->data, res.fh.data, res.fh.len);
		fh->len = res.fh.len;
	}
	rpctest_reply_release(&r);
	close(fd);
	return res.status;
}

static void test_mnt_by_directory_and_host(void **state)
{
	char data[400], lab[400];
	snprintf(data, sizeof(data), "%s/root/data", dir);
	snprintf(lab, sizeof(lab), "%s/root/lab", dir);
	struct nfs3c_fh fh;
	assert_int_equal(mnt_from("127.0.0.1", data, &fh), MNT3_OK);
	assert_int_equal(mnt_from("127.0.0.2", data, &fh), MNT3_OK);
	/* Through the pseudo path too (fsid=0 put it at /data). */
	assert_int_equal(mnt_from("127.0.0.2", "/data", &fh), MNT3_OK);
	assert_int_equal(mnt_from("127.0.0.2", lab, &fh), MNT3_OK);
	/* 127.0.0.1 is no pattern of lab; 127.0.1.1 none of data. */
	assert_int_equal(mnt_from("127.0.0.1", lab, &fh), MNT3ERR_ACCES);
	assert_int_equal(mnt_from("127.0.1.1", data, &fh), MNT3ERR_ACCES);
}

/* CREATE name in the export at path (by MNT) from src: NFSv3's status. */
static uint32_t create_from(const char *src, const char *path, const char *name)
{
	struct nfs3c_fh root;
	assert_int_equal(mnt_from(src, path, &root), MNT3_OK);
	int fd = connect_from(src);
	uint32_t st = nfs3c_create(fd, &root, name, 0644, NULL);
	close(fd);
	return st;
}

static void test_nfsv3_rw_and_ro_per_host(void **state)
{
	char data[400], made[500];
	struct stat st;
	snprintf(data, sizeof(data), "%s/root/data", dir);
	assert_int_equal(create_from("127.0.0.1", data, "by-one"), NFS3_OK);
	snprintf(made, sizeof(made), "%s/by-one", data);
	assert_int_equal(stat(made, &st), 0);
	assert_int_equal(st.st_uid, 0); /* no_root_squash */
	/* 127.0.0.3 gets the network's ro. */
	assert_int_equal(create_from("127.0.0.3", data, "by-three"), NFS3ERR_ROFS);
	snprintf(made, sizeof(made), "%s/by-three", data);
	assert_int_not_equal(stat(made, &st), 0);
	/* A handle from elsewhere is no way in for a host no pattern matches. */
	struct nfs3c_fh root;
	assert_int_equal(mnt_from("127.0.0.1", data, &root), MNT3_OK);
	int fd = connect_from("127.0.1.1");
	assert_int_equal(nfs3c_create(fd, &root, "by-stranger", 0644, NULL), NFS3ERR_ACCES);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_list_names_directories),
		cmocka_unit_test(test_mnt_by_directory_and_host),
		cmocka_unit_test(test_nfsv3_rw_and_ro_per_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
