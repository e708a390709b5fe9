/* libnfs's NLM v4 client (its own XDR, not Ferry's) against ferryd: the
 * file's handle from MOUNT and an NFSv3 LOOKUP, then LOCK, TEST from
 * another host (DENIED, naming the holder's svid, range and owner handle),
 * UNLOCK, and TEST again (GRANTED). */
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
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs-raw-nlm.h>

#include "lib/ferryd_proc.h"

static struct ferryd_proc server;

struct call {
	bool done;
	int status;
	int result; /* MNT, LOOKUP or NLM status */
	char fh[128];
	unsigned fh_len;
	/* TEST's holder when DENIED. */
	unsigned svid;
	uint64_t offset, len;
	bool exclusive;
	char oh[128];
};

static int setup(void **state)
{
	if (ferryd_start_export(&server, "secure = no\n") != 0)
		return -1;
	return ferryd_export_put(&server, "nlm-file", "0123456789", 10);
}

static int teardown(void **state) { return ferryd_stop(&server) == 0 ? 0 : -1; }

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

/* libnfs's decoder may leave its results unaligned: each is copied out
 * before its fields are read. */
static void mnt_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		mountres3 r;
		memcpy(&r, data, sizeof(r));
		c->result = r.fhs_status;
		if (r.fhs_status == MNT3_OK) {
			fhandle3 fh = r.mountres3_u.mountinfo.fhandle;
			c->fh_len = fh.fhandle3_len;
			memcpy(c->fh, fh.fhandle3_val, fh.fhandle3_len);
		}
	}
	done_cb(rpc, status, data, priv);
}

static void lookup_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		LOOKUP3res r;
		memcpy(&r, data, sizeof(r));
		c->result = r.status;
		if (r.status == NFS3_OK) {
			nfs_fh3 fh = r.LOOKUP3res_u.resok.object;
			c->fh_len = fh.data.data_len;
			memcpy(c->fh, fh.data.data_val, fh.data.data_len);
		}
	}
	done_cb(rpc, status, data, priv);
}

static void lockres_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		NLM4_LOCKres r;
		memcpy(&r, data, sizeof(r));
		c->result = r.status;
	}
	done_cb(rpc, status, data, priv);
}

static void testres_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct call *c = priv;
	if (status == RPC_STATUS_SUCCESS) {
		NLM4_TESTres r;
		memcpy(&r, data, sizeof(r));
		c->result = r.reply.status;
		if (r.reply.status == NLM4_DENIED) {
			nlm4_holder h = r.reply.nlm4_testreply_u.lock.holder;
			c->svid = h.svid;
			c->offset = h.l_offset;
			c->len = h.l_len;
			c->exclusive = h.exclusive;
			snprintf(c->oh, sizeof(c->oh), "%s", h.oh ? h.oh : "");
		}
	}
	done_cb(rpc, status, data, priv);
}

static nlm4_lock mk(const struct call *file, char *host, char *oh, unsigned svid)
{
	nlm4_lock l = {.caller_name = host, .oh = oh, .svid = svid, .l_offset = 0, .l_len = 5};
	l.fh.data.data_len = file->fh_len;
	l.fh.data.data_val = (char *)file->fh;
	return l;
}

static void test_libnfs_nlm4(void **state)
{
	struct rpc_context *rpc = rpc_init_context();
	assert_non_null(rpc);
	struct call c = {0};
	assert_int_equal(rpc_connect_async(rpc, "127.0.0.1", server.port, done_cb, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);

	struct call root = {0};
	assert_int_equal(rpc_mount3_mnt_async(rpc, mnt_cb, "/export", &root), 0);
	wait_done(rpc, &root);
	assert_int_equal(root.result, MNT3_OK);

	struct call file = {0};
	LOOKUP3args la = {0};
	la.what.dir.data.data_len = root.fh_len;
	la.what.dir.data.data_val = root.fh;
	la.what.name = "nlm-file";
	assert_int_equal(rpc_nfs3_lookup_async(rpc, lookup_cb, &la, &file), 0);
	wait_done(rpc, &file);
	assert_int_equal(file.result, NFS3_OK);

	char cookie[] = "libnfs";
	NLM4_LOCKargs lk = {.block = 0, .exclusive = 1,
			    .lock = mk(&file, "libnfs-a", "1@libnfs-a", 1), .reclaim = 0,
			    .state = 1};
	lk.cookie.data.data_len = 6;
	lk.cookie.data.data_val = cookie;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_nlm4_lock_async(rpc, lockres_cb, &lk, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.status, RPC_STATUS_SUCCESS);
	assert_int_equal(c.result, NLM4_GRANTED);

	NLM4_TESTargs t = {.exclusive = 0, .lock = mk(&file, "libnfs-b", "2@libnfs-b", 2)};
	t.cookie = lk.cookie;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_nlm4_test_async(rpc, testres_cb, &t, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.result, NLM4_DENIED);
	assert_int_equal(c.svid, 1);
	assert_true(c.exclusive);
	assert_int_equal(c.offset, 0);
	assert_int_equal(c.len, 5);
	assert_string_equal(c.oh, "1@libnfs-a");

	NLM4_UNLOCKargs u = {.lock = lk.lock};
	u.cookie = lk.cookie;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_nlm4_unlock_async(rpc, lockres_cb, &u, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.result, NLM4_GRANTED);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rpc_nlm4_test_async(rpc, testres_cb, &t, &c), 0);
	wait_done(rpc, &c);
	assert_int_equal(c.result, NLM4_GRANTED);
	rpc_destroy_context(rpc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libnfs_nlm4),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
