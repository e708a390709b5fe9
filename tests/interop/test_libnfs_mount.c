/* libnfs's MOUNT v3 client (its own XDR, not Ferry's) against ferryd:
 * NULL, MNT (the root handle and flavours), EXPORT with host rules as
 * groups, DUMP after the MNT, UMNT, then DUMP empty again. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>

#include "lib/ferryd_proc.h"

static struct ferryd_proc server;
static char closed_dir[128];

struct call {
	bool done;
	int status;
	/* What the callback copied out of libnfs's reply. */
	int mnt_status;
	unsigned fh_len, nflavors;
	int flavors[8];
	char text[1024];
};

static int setup(void **state)
{
	snprintf(closed_dir, sizeof(closed_dir), "%s/ferry-libnfs-mount-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(closed_dir))
		return -1;
	char extra[512];
	snprintf(extra, sizeof(extra),
	         "secure = no\n\n[export closed]\npath = %s\npseudo = /closed\n"
	         "clients = 10.0.0.0/8, ::1\n",
	         closed_dir);
	return ferryd_start_export(&server, extra);
}

static int teardown(void **state)
{
	rmdir(closed_dir);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* Services rpc until c is done (10 s at most). */
static void wait_done(struct rpc_context *rpc, struct call *c)
{
	for (int i = 0; i < 1000 && !c->done; i++) {
		struct pollfd pfd = {.fd = rpc_get_fd(rpc), .events = (short)rpc_which_events(rpc)};
		if (poll(&pfd, 1, 10) < 0)
			break;
		assert_int_equal(rpc_service(rpc, pfd.revents), 0);
	}
	assert_true(c->done);
}

static void done_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	c->status = status;
	c->done = true;
}

static void mnt_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		mountres3 r;
		memcpy(&r, data, sizeof(r));
		c->mnt_status = r.fhs_status;
		if (r.fhs_status == MNT3_OK) {
			mountres3_ok *ok = &r.mountres3_u.mountinfo;
			c->fh_len = ok->fhandle.fhandle3_len;
			c->nflavors = ok->auth_flavors.auth_flavors_len;
			for (unsigned i = 0; i < c->nflavors && i < 8; i++)
				memcpy(&c->flavors[i], &ok->auth_flavors.auth_flavors_val[i],
				       sizeof(int));
		}
	}
	done_cb(rpc, status, data, priv);
}

/* libnfs's decoder places list nodes at 4-byte alignment: each node is
 * copied out before its fields are read, which UBSan would call a
 * misaligned access otherwise. */
static void export_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		exports next;
		memcpy(&next, data, sizeof(next));
		while (next) {
			exportnode ex;
			memcpy(&ex, next, sizeof(ex));
			size_t n = strlen(c->text);
			snprintf(c->text + n, sizeof(c->text) - n, "%s:", ex.ex_dir);
			for (groups gp = ex.ex_groups; gp;) {
				groupnode g;
				memcpy(&g, gp, sizeof(g));
				n = strlen(c->text);
				snprintf(c->text + n, sizeof(c->text) - n, "%s%s", g.gr_name,
				         g.gr_next ? "," : "");
				gp = g.gr_next;
			}
			n = strlen(c->text);
			snprintf(c->text + n, sizeof(c->text) - n, ";");
			next = ex.ex_next;
		}
	}
	done_cb(rpc, status, data, priv);
}

static void dump_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		mountlist next;
		memcpy(&next, data, sizeof(next));
		while (next) {
			mountbody m;
			memcpy(&m, next, sizeof(m));
			size_t n = strlen(c->text);
			snprintf(c->text + n, sizeof(c->text) - n, "%s %s;", m.ml_hostname,
			         m.ml_directory);
			next = m.ml_next;
		}
	}
	done_cb(rpc, status, data, priv);
}

static void test_libnfs_mount3(void **state)
{
	struct rpc_context *rpc = rpc_init_context();
	assert_non_null(rpc);
	struct call c = {0};
	assert_int_equal(rpc_connect_async(rpc, "127.0.0.1", server.port, done_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_null_async(rpc, done_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_mnt_async(rpc, mnt_cb, "/export", &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);
	assert_int_equal(c.mnt_status, MNT3_OK);
	assert_true(c.fh_len > 0 && c.fh_len <= 64);
	assert_int_equal(c.nflavors, 2);
	assert_int_equal(c.flavors[0], 1); /* AUTH_SYS, then AUTH_NONE */
	assert_int_equal(c.flavors[1], 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_mnt_async(rpc, mnt_cb, "/closed", &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.mnt_status, MNT3ERR_ACCES);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_export_async(rpc, export_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);
	assert_string_equal(c.text, "/export:;/closed:10.0.0.0/8,::1;");

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_dump_async(rpc, dump_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);
	assert_string_equal(c.text, "127.0.0.1 /export;");

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_umnt_async(rpc, done_cb, "/export", &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_mount3_dump_async(rpc, dump_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);
	assert_string_equal(c.text, "");
	rpc_destroy_context(rpc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libnfs_mount3),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
