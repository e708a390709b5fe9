/* Exports are `secure` by default: AUTH_SYS (and AUTH_NONE) from a source
 * port >= 1024 is refused with NFS4ERR_PERM, as knfsd does; an export with
 * `secure = no` (knfsd's `insecure`) admits it.  The test harness's
 * connections come from reserved ports, so the other tests exercise the
 * default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

static struct ferryd_proc server;
static char dir[256];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-secure-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 getpid());
	char path[400];
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/sec", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/open", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "[export sec]\npath = %s/sec\npseudo = /sec\n\n"
		   "[export open]\npath = %s/open\npseudo = /open\nsecure = no\n",
		dir, dir);
	fclose(f);
	const char *args[] = {"--config", path, NULL};
	return ferryd_start(&server, args);
}

static int teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* PUTROOTFH, LOOKUP name, GETFH: LOOKUP's status; the handle into fh. */
static uint32_t lookup_export(int fd, const struct rpc_cred *cred, const char *name, uint8_t *fh,
			      uint32_t *fhlen)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, name);
	nfs4c_getfh(&call);
	assert_int_equal(nfs4c_call(fd, cred, &call, &r), 0);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&r, OP_LOOKUP);
	if (st == NFS4_OK && fh) {
		assert_int_equal(nfs4c_next(&r, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&r.d, &g));
		memcpy(fh, g.fh.data, g.fh.len);
		*fhlen = g.fh.len;
	}
	nfs4c_done(&r);
	return st;
}

/* PUTFH fh, GETATTR type: PUTFH's status, or GETATTR's when PUTFH passed. */
static uint32_t use_handle(int fd, const struct rpc_cred *cred, const uint8_t *fh, uint32_t len)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putfh(&call, fh, len);
	unsigned bits[] = {FATTR4_TYPE};
	nfs4c_getattr(&call, bits, 1);
	assert_int_equal(nfs4c_call(fd, cred, &call, &r), 0);
	uint32_t st = nfs4c_next(&r, OP_PUTFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&r, OP_GETATTR);
	nfs4c_done(&r);
	return st;
}

static void test_reserved_port_is_admitted(void **state)
{
	int fd = rpctest_connect(server.hostport);
	assert_true(fd >= 0);
	assert_true(local_port(fd) < 1024);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t len = 0;
	assert_int_equal(lookup_export(fd, nfs4c_cred(1000), "sec", fh, &len), NFS4_OK);
	assert_int_equal(use_handle(fd, nfs4c_cred(1000), fh, len), NFS4_OK);
	close(fd);
}

static void test_unreserved_port_is_refused_on_a_secure_export(void **state)
{
	int good = rpctest_connect(server.hostport);
	assert_true(good >= 0);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t len = 0;
	assert_int_equal(lookup_export(good, nfs4c_root_cred(), "sec", fh, &len), NFS4_OK);
	close(good);

	int fd = rpctest_connect_unreserved(server.hostport);
	assert_true(fd >= 0);
	assert_true(local_port(fd) >= 1024);
	/* Any uid: the identity from such a port is not to be trusted. */
	assert_int_equal(lookup_export(fd, nfs4c_root_cred(), "sec", NULL, NULL), NFS4ERR_PERM);
	assert_int_equal(lookup_export(fd, nfs4c_cred(1000), "sec", NULL, NULL), NFS4ERR_PERM);
	assert_int_equal(lookup_export(fd, NULL, "sec", NULL, NULL), NFS4ERR_PERM);
	/* A handle learnt elsewhere is no way round it. */
	assert_int_equal(use_handle(fd, nfs4c_root_cred(), fh, len), NFS4ERR_PERM);
	close(fd);
}

static void test_insecure_export_admits_unreserved_ports(void **state)
{
	int fd = rpctest_connect_unreserved(server.hostport);
	assert_true(fd >= 0);
	assert_true(local_port(fd) >= 1024);
	uint8_t fh[NFS4_FHSIZE];
	uint32_t len = 0;
	assert_int_equal(lookup_export(fd, nfs4c_cred(1000), "open", fh, &len), NFS4_OK);
	assert_int_equal(use_handle(fd, nfs4c_cred(1000), fh, len), NFS4_OK);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved_port_is_admitted),
		cmocka_unit_test(test_unreserved_port_is_refused_on_a_secure_export),
		cmocka_unit_test(test_insecure_export_admits_unreserved_ports),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
