/* The MOUNT v3 program against a real ferryd: every procedure, MNT's
 * errors (no such export, host rules, secure port, a path too long),
 * garbage arguments, versions other than 3, a listener that serves no
 * MOUNT, and the handle MNT gives checked against the one NFSv4 gives
 * the same export root.  The control plane's view of the mount list is
 * checked too. */
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

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "lib/rpctest.h"
#include "xdr/mount_codec.h"

static struct ferryd_proc server;
static char dir[256];
static char no_mount[64]; /* the listener with mount=no */
static uint32_t next_xid = 1;

/* ferryd's configuration; a_clients, when not NULL, the host rules of
 * export a. */
static int write_config(const char *a_clients)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
	        "[export a]\npath = %s/a\npseudo = /a\n%s%s%s\n"
	        "[export b]\npath = %s/b\npseudo = /deep/b\nsec = none:sys\n\n"
	        "[export closed]\npath = %s/closed\npseudo = /closed\n"
	        "clients = 10.0.0.0/8, 192.168.1.0/24\n\n"
	        "[export v4only]\npath = %s/v4only\npseudo = /v4only\nnfs3 = no\n",
	        dir, a_clients ? "clients = " : "", a_clients ? a_clients : "",
	        a_clients ? "\n" : "", dir, dir, dir);
	return fclose(f) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-mount-%d",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	char path[400];
	mkdir(dir, 0700);
	const char *names[] = {"a", "b", "closed", "v4only"};
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		mkdir(path, 0777);
	}
	/* Below export a: directories to mount, a file, a directory root
	 * (squashed to nobody) may not enter. */
	const char *below[] = {"a/sub", "a/sub/inner", "a/private"};
	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, below[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/a/private", dir);
	chmod(path, 0700);
	snprintf(path, sizeof(path), "%s/a/file", dir);
	FILE *file = fopen(path, "w");
	if (!file)
		return -1;
	fclose(file);
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	if (write_config(NULL) != 0)
		return -1;
	const char *args[] = {
	    "--config", path, "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0,mount=no", NULL};
	if (ferryd_start(&server, args) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/port", server.dir);
	FILE *f = fopen(path, "r");
	unsigned p1 = 0, p2 = 0;
	if (!f || fscanf(f, "%u %u", &p1, &p2) != 2)
		return -1;
	fclose(f);
	snprintf(no_mount, sizeof(no_mount), "127.0.0.1:%u", p2);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A MOUNT v3 call with raw arguments on fd; the reply in *r. */
static void mount_call(int fd, uint32_t vers, uint32_t proc, const void *args, size_t len,
                       struct rpctest_reply *r)
{
	assert_int_equal(rpctest_call(fd, next_xid++, MOUNT_PROGRAM, vers, proc, nfs4c_root_cred(),
	                              args, len, r),
	                 0);
	assert_int_equal(r->hdr.reply_stat, RPC_MSG_ACCEPTED);
}

/* MNT path: the decoded result (its handle copied to fh). */
static void mnt(int fd, const char *path, struct mount_mnt_res *res, uint8_t *fh)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 8192));
	struct mount_name p = {(const uint8_t *)path, (uint32_t)strlen(path)};
	assert_true(mount_enc_dirpath(&e, &p));
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_MNT, e.buf->data, xdr_enc_len(&e), &r);
	xdr_enc_release(&e);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_true(mount_dec_mnt_res(&r.results, res));
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	if (res->status == MNT3_OK && fh) {
		memcpy(fh, res->fh.data, res->fh.len);
		res->fh.data = fh;
	}
	rpctest_reply_release(&r);
}

static uint32_t mnt_status(int fd, const char *path)
{
	struct mount_mnt_res res;
	mnt(fd, path, &res, NULL);
	return res.status;
}

/* PUTROOTFH, LOOKUP each name, GETFH over NFSv4.0: the handle. */
static uint32_t v4_handle(int fd, const char *const *names, unsigned n, uint8_t *fh)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	for (unsigned i = 0; i < n; i++)
		nfs4c_lookup(&call, names[i]);
	nfs4c_getfh(&call);
	assert_int_equal(nfs4c_call(fd, nfs4c_root_cred(), &call, &r), 0);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&r.d, &g));
	memcpy(fh, g.fh.data, g.fh.len);
	uint32_t len = g.fh.len;
	nfs4c_done(&r);
	return len;
}

/* PUTFH fh, GETATTR type over NFSv4.0: PUTFH's status, or GETATTR's. */
static uint32_t v4_use(int fd, const uint8_t *fh, uint32_t len)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putfh(&call, fh, len);
	unsigned bits[] = {FATTR4_TYPE};
	nfs4c_getattr(&call, bits, 1);
	assert_int_equal(nfs4c_call(fd, nfs4c_root_cred(), &call, &r), 0);
	uint32_t st = nfs4c_next(&r, OP_PUTFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&r, OP_GETATTR);
	nfs4c_done(&r);
	return st;
}

static void test_null(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_NULL, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
	close(fd);
}

static void test_mnt_gives_the_root_handle_nfsv4_gives(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	uint8_t fh[FHSIZE3], v4[NFS4_FHSIZE];
	struct mount_mnt_res res;
	mnt(fd, "/a", &res, fh);
	assert_int_equal(res.status, MNT3_OK);
	assert_true(res.fh.len > 0 && res.fh.len <= FHSIZE3);
	/* The export's flavours in its order: the default sys:none. */
	assert_int_equal(res.nflavors, 2);
	assert_int_equal(res.flavors[0], MOUNT_FLAVOR_SYS);
	assert_int_equal(res.flavors[1], MOUNT_FLAVOR_NONE);
	const char *a[] = {"a"};
	uint32_t v4len = v4_handle(fd, a, 1, v4);
	assert_int_equal(v4len, res.fh.len);
	assert_memory_equal(v4, fh, v4len);
	/* And it works as a handle. */
	assert_int_equal(v4_use(fd, fh, res.fh.len), NFS4_OK);

	/* Below a pseudo directory, flavours none then sys. */
	mnt(fd, "/deep/b", &res, fh);
	assert_int_equal(res.status, MNT3_OK);
	assert_int_equal(res.nflavors, 2);
	assert_int_equal(res.flavors[0], MOUNT_FLAVOR_NONE);
	assert_int_equal(res.flavors[1], MOUNT_FLAVOR_SYS);
	const char *b[] = {"deep", "b"};
	v4len = v4_handle(fd, b, 2, v4);
	assert_int_equal(v4len, res.fh.len);
	assert_memory_equal(v4, fh, v4len);
	close(fd);
}

static void test_mnt_by_directory_and_untidy_paths(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	uint8_t fh1[FHSIZE3], fh2[FHSIZE3];
	struct mount_mnt_res r1, r2;
	mnt(fd, "/a", &r1, fh1);
	char path[400];
	snprintf(path, sizeof(path), "%s/a", dir);
	mnt(fd, path, &r2, fh2);
	assert_int_equal(r2.status, MNT3_OK);
	assert_int_equal(r1.fh.len, r2.fh.len);
	assert_memory_equal(fh1, fh2, r1.fh.len);
	/* Doubled and trailing slashes name the same export. */
	assert_int_equal(mnt_status(fd, "//a/"), MNT3_OK);
	assert_int_equal(mnt_status(fd, "/deep//b"), MNT3_OK);
	close(fd);
}

static void test_mnt_errors(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	assert_int_equal(mnt_status(fd, "/nope"), MNT3ERR_NOENT);
	assert_int_equal(mnt_status(fd, "a"), MNT3ERR_NOENT);
	assert_int_equal(mnt_status(fd, ""), MNT3ERR_NOENT);
	/* The pseudo directory above an export is no export. */
	assert_int_equal(mnt_status(fd, "/deep"), MNT3ERR_NOENT);
	assert_int_equal(mnt_status(fd, "/"), MNT3ERR_NOENT);
	/* A NUL inside the path names nothing. */
	uint8_t nul[] = {0, 0, 0, 4, '/', 'a', 0, 'b'};
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_MNT, nul, sizeof(nul), &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	struct mount_mnt_res res;
	assert_true(mount_dec_mnt_res(&r.results, &res));
	assert_int_equal(res.status, MNT3ERR_NOENT);
	rpctest_reply_release(&r);
	/* An export NFSv3 may not use (nfs3 = no) has no handle to give. */
	assert_int_equal(mnt_status(fd, "/v4only"), MNT3ERR_ACCES);
	/* Host rules that leave 127.0.0.1 out. */
	assert_int_equal(mnt_status(fd, "/closed"), MNT3ERR_ACCES);
	char path[MNTPATHLEN + 2];
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(mnt_status(fd, path), MNT3ERR_NAMETOOLONG);
	/* Exactly MNTPATHLEN is allowed (and names nothing). */
	path[MNTPATHLEN] = '\0';
	assert_int_equal(mnt_status(fd, path), MNT3ERR_NOENT);
	close(fd);

	/* A secure export (the default) and a source port >= 1024. */
	fd = rpctest_connect_unreserved(server.hostport);
	assert_true(fd >= 0);
	assert_int_equal(mnt_status(fd, "/a"), MNT3ERR_ACCES);
	close(fd);
}

static void test_mnt_below_an_export_root(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	uint8_t fh[FHSIZE3], v4[NFS4_FHSIZE];
	struct mount_mnt_res res;
	mnt(fd, "/a/sub", &res, fh);
	assert_int_equal(res.status, MNT3_OK);
	assert_int_equal(res.nflavors, 2);
	const char *sub[] = {"a", "sub"};
	uint32_t v4len = v4_handle(fd, sub, 2, v4);
	assert_int_equal(v4len, res.fh.len);
	assert_memory_equal(v4, fh, v4len);

	/* By the export's directory too, two levels down, slashes untidy. */
	char path[400];
	snprintf(path, sizeof(path), "%s/a//sub/inner/", dir);
	mnt(fd, path, &res, fh);
	assert_int_equal(res.status, MNT3_OK);
	const char *inner[] = {"a", "sub", "inner"};
	v4len = v4_handle(fd, inner, 3, v4);
	assert_int_equal(v4len, res.fh.len);
	assert_memory_equal(v4, fh, v4len);

	assert_int_equal(mnt_status(fd, "/a/nosuch"), MNT3ERR_NOENT);
	assert_int_equal(mnt_status(fd, "/a/file"), MNT3ERR_NOTDIR);
	assert_int_equal(mnt_status(fd, "/a/file/x"), MNT3ERR_NOTDIR);
	/* Lookups are made as the caller after squashing: root is nobody
	 * here, who may name a 0700 directory of root's but not look in it. */
	assert_int_equal(mnt_status(fd, "/a/private"), MNT3_OK);
	assert_int_equal(mnt_status(fd, "/a/private/x"), MNT3ERR_ACCES);
	/* Nothing climbs out of an export. */
	assert_int_equal(mnt_status(fd, "/a/sub/../../closed"), MNT3ERR_INVAL);
	assert_int_equal(mnt_status(fd, "/a/."), MNT3ERR_INVAL);
	/* Host rules hold below an export's root as at it. */
	assert_int_equal(mnt_status(fd, "/closed/x"), MNT3ERR_ACCES);
	close(fd);
}

static void test_garbage_args(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	/* A length of 10 and 3 bytes. */
	uint8_t short_path[] = {0, 0, 0, 10, '/', 'a', 'b'};
	mount_call(fd, MOUNT_V3, MOUNTPROC3_MNT, short_path, sizeof(short_path), &r);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	/* No argument at all. */
	mount_call(fd, MOUNT_V3, MOUNTPROC3_MNT, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	/* Bytes after the path. */
	uint8_t trailing[] = {0, 0, 0, 2, '/', 'a', 0, 0, 0, 0, 0, 1};
	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNT, trailing, sizeof(trailing), &r);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	/* The connection still serves. */
	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK);
	close(fd);
}

static void test_versions_and_procedures(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	for (uint32_t vers = 1; vers <= 4; vers += vers == 2 ? 2 : 1) {
		mount_call(fd, vers, MOUNTPROC3_NULL, NULL, 0, &r);
		assert_int_equal(r.hdr.accept_stat, RPC_PROG_MISMATCH);
		assert_int_equal(r.hdr.mismatch_low, 3);
		assert_int_equal(r.hdr.mismatch_high, 3);
		rpctest_reply_release(&r);
	}
	mount_call(fd, MOUNT_V3, MOUNTPROC3_COUNT, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
	close(fd);

	/* The control plane says which listeners serve MOUNT. */
	struct ctl_http_reply h;
	ctlt_request(&server, "GET", "/api/v1/listeners", false, NULL, &h);
	assert_int_equal(h.status, 200);
	const char *second = strstr(h.body, "\"index\": 1");
	assert_non_null(second);
	const char *yes = strstr(h.body, "\"mount\": true");
	const char *no = strstr(h.body, "\"mount\": false");
	assert_true(yes && yes < second);
	assert_true(no && no > second);
	ctl_http_reply_free(&h);

	/* The listener that says mount=no serves NFS only. */
	fd = rpctest_connect(no_mount);
	assert_true(fd >= 0);
	mount_call(fd, MOUNT_V3, MOUNTPROC3_NULL, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_PROG_UNAVAIL);
	rpctest_reply_release(&r);
	uint8_t v4[NFS4_FHSIZE];
	const char *a[] = {"a"};
	assert_true(v4_handle(fd, a, 1, v4) > 0);
	close(fd);
}

/* DUMP: the entries as "host path" lines in out. */
static unsigned dump(int fd, char out[][1100], unsigned cap)
{
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_DUMP, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	unsigned n = 0;
	bool more;
	assert_true(mount_dec_more(&r.results, &more));
	while (more) {
		struct mount_body b;
		assert_true(mount_dec_body(&r.results, &b));
		assert_true(n < cap);
		snprintf(out[n++], 1100, "%.*s %.*s", (int)b.host.len, (const char *)b.host.data,
		         (int)b.dir.len, (const char *)b.dir.data);
		assert_true(mount_dec_more(&r.results, &more));
	}
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
	return n;
}

static void umnt(int fd, const char *path)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64, 8192));
	struct mount_name p = {(const uint8_t *)path, (uint32_t)strlen(path)};
	assert_true(mount_enc_dirpath(&e, &p));
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNT, e.buf->data, xdr_enc_len(&e), &r);
	xdr_enc_release(&e);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
}

static bool listed(char lines[][1100], unsigned n, const char *line)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(lines[i], line) == 0)
			return true;
	return false;
}

static void test_mount_list(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNTALL, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	static char lines[16][1100];
	assert_int_equal(dump(fd, lines, 16), 0);

	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK);
	assert_int_equal(mnt_status(fd, "/deep/b/"), MNT3_OK);
	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK); /* listed once */
	assert_int_equal(mnt_status(fd, "/a/sub"), MNT3_OK);
	assert_int_equal(mnt_status(fd, "/closed"), MNT3ERR_ACCES); /* not listed */
	unsigned n = dump(fd, lines, 16);
	assert_int_equal(n, 3);
	assert_true(listed(lines, n, "127.0.0.1 /a"));
	assert_true(listed(lines, n, "127.0.0.1 /a/sub"));
	assert_true(listed(lines, n, "127.0.0.1 /deep/b"));

	/* The control plane shows the same list. */
	struct ctl_http_reply h;
	ctlt_request(&server, "GET", "/api/v1/mounts", false, NULL, &h);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.body, "\"path\": \"/deep/b\""));
	assert_non_null(strstr(h.body, "\"client\": \"127.0.0.1\""));
	ctl_http_reply_free(&h);
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_mount_list_entries") == 3);
	assert_true(ctlt_metric(page, "ferry_mount_mnt_total{result=\"acces\"}") >= 1);
	assert_true(ctlt_metric(page, "ferry_mount_calls_total{proc=\"dump\"}") >= 2);
	assert_true(ctlt_promtool_ok(page));
	free(page);

	/* ferryctl mounts prints it as a table. */
	char cmd[600], out[4096] = "";
	snprintf(cmd, sizeof(cmd), "%s --state-dir %s/state mounts", FERRYCTL_PATH, server.dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "CLIENT     PATH"));
	assert_non_null(strstr(out, "\n127.0.0.1  /deep/b "));
	assert_non_null(strstr(out, "MNT results: acces "));
	assert_non_null(strstr(out, ", nametoolong 1, noent "));

	/* UMNT tidies its path as MNT did. */
	umnt(fd, "//a/");
	n = dump(fd, lines, 16);
	assert_int_equal(n, 2);
	assert_true(listed(lines, n, "127.0.0.1 /deep/b"));
	/* Unmounting what was never mounted is no error. */
	umnt(fd, "/nope");
	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK);
	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNTALL, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	assert_int_equal(dump(fd, lines, 16), 0);
	close(fd);
}

static void test_export_list(void **state)
{
	int fd = rpctest_connect_unreserved(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_EXPORT, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	/* Not /v4only: an export with nfs3 = no has nothing to offer a MOUNT
	 * client (its MNT is refused). */
	static const char *const want[] = {"/a", "/deep/b", "/closed"};
	unsigned n = 0;
	bool more;
	assert_true(mount_dec_more(&r.results, &more));
	while (more) {
		struct mount_name d, g;
		assert_true(mount_dec_export_dir(&r.results, &d));
		assert_true(n < 3);
		assert_int_equal(d.len, strlen(want[n]));
		assert_memory_equal(d.data, want[n], d.len);
		char groups[256] = "";
		bool gmore;
		assert_true(mount_dec_more(&r.results, &gmore));
		while (gmore) {
			assert_true(mount_dec_group(&r.results, &g));
			snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%.*s",
			         groups[0] ? "," : "", (int)g.len, (const char *)g.data);
			assert_true(mount_dec_more(&r.results, &gmore));
		}
		/* Host rules as configured; none: everyone. */
		assert_string_equal(groups, n == 2 ? "10.0.0.0/8,192.168.1.0/24" : "");
		n++;
		assert_true(mount_dec_more(&r.results, &more));
	}
	assert_int_equal(n, 3);
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
	close(fd);
}

/* A reload's host rules apply to the next MNT and show in EXPORT. */
static void test_reload_changes_host_rules(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK);
	assert_int_equal(write_config("10.9.9.0/24"), 0);
	struct ctl_http_reply h;
	ctlt_request(&server, "POST", "/api/v1/exports/reload", true, "{}", &h);
	assert_int_equal(h.status, 200);
	ctl_http_reply_free(&h);
	assert_int_equal(mnt_status(fd, "/a"), MNT3ERR_ACCES);
	assert_int_equal(mnt_status(fd, "/a/sub"), MNT3ERR_ACCES);
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_EXPORT, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	bool more, gmore;
	struct mount_name d, g;
	assert_true(mount_dec_more(&r.results, &more) && more);
	assert_true(mount_dec_export_dir(&r.results, &d));
	assert_true(mount_dec_more(&r.results, &gmore) && gmore);
	assert_true(mount_dec_group(&r.results, &g));
	assert_int_equal(g.len, strlen("10.9.9.0/24"));
	assert_memory_equal(g.data, "10.9.9.0/24", g.len);
	rpctest_reply_release(&r);

	assert_int_equal(write_config(NULL), 0);
	ctlt_request(&server, "POST", "/api/v1/exports/reload", true, "{}", &h);
	assert_int_equal(h.status, 200);
	ctl_http_reply_free(&h);
	assert_int_equal(mnt_status(fd, "/a"), MNT3_OK);
	close(fd);
}

/* The mount list holds 4096 entries: more MNTs are answered and counted,
 * not listed; a DUMP larger than a reply may be is cut short, whole. */
static void test_mount_list_limits(void **state)
{
	enum { DIRS = 4100 };
	/* Paths of about 1000 bytes: 4096 of them are four times what one
	 * reply may carry (max_record_size, 1 MiB). */
	char base[600], name[300], path[1100];
	char seg[241];
	memset(seg, 'd', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	snprintf(base, sizeof(base), "%s/a/%s", dir, seg);
	mkdir(base, 0755);
	snprintf(base + strlen(base), sizeof(base) - strlen(base), "/%s", seg);
	assert_int_equal(mkdir(base, 0755), 0);
	for (unsigned i = 0; i < DIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s%05u", base, seg, i);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	struct rpctest_reply r;
	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNTALL, NULL, 0, &r);
	rpctest_reply_release(&r);
	for (unsigned i = 0; i < DIRS; i++) {
		snprintf(name, sizeof(name), "%s%05u", seg, i);
		snprintf(path, sizeof(path), "/a/%s/%s/%s", seg, seg, name);
		assert_int_equal(mnt_status(fd, path), MNT3_OK);
	}
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_mount_list_entries") == 4096);
	assert_true(ctlt_metric(page, "ferry_mount_not_listed_total") == DIRS - 4096);
	free(page);

	mount_call(fd, MOUNT_V3, MOUNTPROC3_DUMP, NULL, 0, &r);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	unsigned n = 0;
	bool more;
	assert_true(mount_dec_more(&r.results, &more));
	while (more) {
		struct mount_body b;
		assert_true(mount_dec_body(&r.results, &b));
		assert_true(b.dir.len > 700);
		n++;
		assert_true(mount_dec_more(&r.results, &more));
	}
	assert_int_equal(xdr_dec_remaining(&r.results), 0);
	rpctest_reply_release(&r);
	assert_true(n > 500 && n < 4096);

	mount_call(fd, MOUNT_V3, MOUNTPROC3_UMNTALL, NULL, 0, &r);
	rpctest_reply_release(&r);
	page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_mount_list_entries") == 0);
	free(page);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_mnt_gives_the_root_handle_nfsv4_gives),
	    cmocka_unit_test(test_mnt_by_directory_and_untidy_paths),
	    cmocka_unit_test(test_mnt_errors),
	    cmocka_unit_test(test_mnt_below_an_export_root),
	    cmocka_unit_test(test_garbage_args),
	    cmocka_unit_test(test_versions_and_procedures),
	    cmocka_unit_test(test_mount_list),
	    cmocka_unit_test(test_export_list),
	    cmocka_unit_test(test_reload_changes_host_rules),
	    cmocka_unit_test(test_mount_list_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
