/* Changes stable before the reply (export/durable.h): every COMPOUND
 * that changes names or metadata waits for a flush of what it changed, seen
 * in ferry_nfs_durable_*; a burst of creates sent at once shares flushes;
 * an export with `async = yes` answers without one (and says so in the
 * control plane's exports); a read-only COMPOUND never waits.  And the
 * write verifier differs after a restart, so that clients send again the
 * unstable data a crash may have lost. */
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
#include "xdr/nfs4_codec_file.h"
#include "xdr/nfs4_prot.h"

enum { BURST = 60 };

static const struct rpc_cred *cred(void) { return nfs4c_root_cred(); }

static double metric(const struct ferryd_proc *p, const char *name)
{
	char *page = ctlt_scrape(p);
	double v = ctlt_metric(page, name);
	free(page);
	assert_true(v >= 0);
	return v;
}

struct durable_counts {
	double flushes, waits, objects;
};

static struct durable_counts counts(const struct ferryd_proc *p)
{
	return (struct durable_counts){
		metric(p, "ferry_nfs_durable_flushes_total"),
		metric(p, "ferry_nfs_durable_waits_total"),
		metric(p, "ferry_nfs_durable_objects_total"),
	};
}

/* v4.0 COMPOUND: PUTROOTFH, LOOKUP export, then what add puts. */
static struct buf *export_call(void (*add)(struct nfs4c_call *, const void *), const void *arg)
{
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	add(&m, arg);
	return nfs4c_call_bytes(&m);
}

static uint32_t run(const struct ferryd_proc *p, void (*add)(struct nfs4c_call *, const void *),
		    const void *arg)
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	add(&m, arg);
	int fd = nfs4c_connect(p->hostport);
	nfs4c_send(fd, cred(), &m, &r);
	uint32_t st = r.status;
	nfs4c_done(&r);
	close(fd);
	return st;
}

static void add_mkdir(struct nfs4c_call *m, const void *name)
{
	struct nfs4_create_args c;
	memset(&c, 0, sizeof(c));
	c.type = NF4DIR;
	c.name = nfs4_opaque_str(name);
	NFS4C_OP(m, OP_CREATE, nfs4_enc_create_args, &c);
}

static void add_rename(struct nfs4c_call *m, const void *arg)
{
	const char *const *names = arg;
	nfs4c_op(m, OP_SAVEFH);
	struct nfs4_rename_args r = {nfs4_opaque_str(names[0]), nfs4_opaque_str(names[1])};
	NFS4C_OP(m, OP_RENAME, nfs4_enc_rename_args, &r);
}

/* SETATTR mode 0700 of the entry name (anonymous stateid). */
static void add_chmod(struct nfs4c_call *m, const void *name)
{
	static const uint8_t mode[4] = {0, 0, 0x01, 0xc0};
	nfs4c_lookup(m, name);
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* LINK of the export's entry names[0] as names[1]. */
static void add_link(struct nfs4c_call *m, const void *arg)
{
	const char *const *names = arg;
	nfs4c_lookup(m, names[0]);
	nfs4c_op(m, OP_SAVEFH);
	nfs4c_putrootfh(m);
	nfs4c_lookup(m, "export");
	NFS4C_OP(m, OP_LINK, nfs4_enc_link_args, &(struct nfs4_link_args){nfs4_opaque_str(names[1])});
}

static void add_remove(struct nfs4c_call *m, const void *name)
{
	NFS4C_OP(m, OP_REMOVE, nfs4_enc_remove_args, &(struct nfs4_name_args){nfs4_opaque_str(name)});
}

static void add_getattr(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const unsigned bits[] = {FATTR4_SIZE, FATTR4_CHANGE};
	nfs4c_getattr(m, bits, 2);
}

/* Runs one change and checks it waited once for a flush of `objects`
 * objects (a COMPOUND alone, so its batch is its own). */
static void change_waits(const struct ferryd_proc *p, void (*add)(struct nfs4c_call *, const void *),
			 const void *arg, double objects)
{
	struct durable_counts before = counts(p);
	assert_int_equal(run(p, add, arg), NFS4_OK);
	struct durable_counts after = counts(p);
	assert_true(after.waits == before.waits + 1);
	assert_true(after.flushes == before.flushes + 1);
	assert_true(after.objects == before.objects + objects);
}

static void test_each_change_waits_for_its_flush(void **st)
{
	(void)st;
	struct ferryd_proc p;
	assert_int_equal(ferryd_start_export(&p, "squash = none\n"), 0);
	char path[400];
	ferryd_export_path(&p, "file", path, sizeof(path));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);

	/* The export's directory and the new directory. */
	change_waits(&p, add_mkdir, "d1", 2);
	/* Both names are in one directory: one object. */
	static const char *const ren[] = {"d1", "d2"};
	change_waits(&p, add_rename, ren, 1);
	change_waits(&p, add_chmod, "d2", 1);
	/* The directory the name comes into and the file it names. */
	static const char *const lnk[] = {"file", "file2"};
	change_waits(&p, add_link, lnk, 2);
	change_waits(&p, add_remove, "file2", 1);
	/* Reading changes nothing: no wait. */
	struct durable_counts before = counts(&p);
	assert_int_equal(run(&p, add_getattr, NULL), NFS4_OK);
	struct durable_counts after = counts(&p);
	assert_true(after.waits == before.waits);
	/* A failed change waits for nothing either. */
	assert_int_equal(run(&p, add_remove, "no-such-name"), NFS4ERR_NOENT);
	assert_true(counts(&p).waits == before.waits);
	struct stat sb;
	ferryd_export_path(&p, "d2", path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* BURST mkdirs named prefix-N sent at once on one connection: every reply
 * is OK and waited for its flush, every directory is there.  Returns the
 * flushes they took. */
static uint64_t burst(struct ferryd_proc *p, const char *prefix)
{
	struct durable_counts before = counts(p);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64 * 1024, 1 << 20));
	char names[BURST][24];
	for (unsigned i = 0; i < BURST; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%u", prefix, i);
		struct buf *args = export_call(add_mkdir, names[i]);
		struct buf *call = rpctest_build_call(0xd0a0000u + i, NFS4_PROGRAM, NFS4_VERSION,
						      NFSPROC4_COMPOUND, cred(), args->data,
						      args->len);
		assert_non_null(call);
		rpctest_append_record(&e, call->data, call->len);
		buf_unref(call);
		buf_unref(args);
	}
	assert_false(e.overflow);
	int fd = nfs4c_connect(p->hostport);
	assert_int_equal(rpctest_send_raw(fd, e.buf->data, xdr_enc_len(&e)), 0);
	xdr_enc_release(&e);
	for (unsigned n = 0; n < BURST; n++) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(fd, &r, 20000), 0);
		assert_true(r.xid - 0xd0a0000u < BURST);
		struct nfs4c_reply c;
		assert_int_equal(nfs4c_reply_take(&r, &c), 0);
		assert_int_equal(c.status, NFS4_OK);
		nfs4c_done(&c);
	}
	close(fd);
	struct durable_counts after = counts(p);
	assert_true(after.waits - before.waits == BURST);
	for (unsigned i = 0; i < BURST; i++) {
		char path[400];
		struct stat sb;
		ferryd_export_path(p, names[i], path, sizeof(path));
		assert_int_equal(stat(path, &sb), 0);
	}
	return after.flushes - before.flushes;
}

/* Requests that wait while a flush runs share the next one: fewer flushes
 * than replies.  Whether a burst's requests overlap a flush depends on how
 * fast the disk flushes against how fast the loop serves them: on tmpfs a
 * flush ends before the next mkdir is served and none shares.  So ferryd
 * runs with each flush started 20 ms late, which leaves every mkdir served
 * meanwhile to the next one. */
static void test_burst_shares_flushes(void **st)
{
	(void)st;
	struct ferryd_proc p;
	/* The child ferryd inherits it; the other tests start without it. */
	setenv("FERRY_TEST_DURABLE_FLUSH_DELAY_MS", "20", 1);
	int rc = ferryd_start_export(&p, "squash = none\n");
	unsetenv("FERRY_TEST_DURABLE_FLUSH_DELAY_MS");
	assert_int_equal(rc, 0);
	uint64_t flushes = burst(&p, "burst");
	/* 60 mkdirs at some 0.1 ms each fit in a few 20 ms windows. */
	assert_true(flushes < BURST / 4);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_async_export_does_not_wait(void **st)
{
	(void)st;
	struct ferryd_proc p;
	assert_int_equal(ferryd_start_export(&p, "squash = none\nasync = yes\n"), 0);
	struct durable_counts before = counts(&p);
	assert_int_equal(run(&p, add_mkdir, "quick"), NFS4_OK);
	assert_int_equal(run(&p, add_remove, "quick"), NFS4_OK);
	struct durable_counts after = counts(&p);
	assert_true(after.waits == before.waits);
	assert_true(after.flushes == before.flushes);
	struct ctl_http_reply r;
	ctlt_request(&p, "GET", "/api/v1/exports", false, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"async\": true"));
	ctl_http_reply_free(&r);
	assert_int_equal(ferryd_stop(&p), 0);
}

/* An UNSTABLE WRITE of a file of the export; returns its verifier. */
static void unstable_write(const struct ferryd_proc *p, const char *name, uint8_t verf[8])
{
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, name);
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.stable = UNSTABLE4;
	w.data = nfs4_opaque_str("data");
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	int fd = nfs4c_connect(p->hostport);
	nfs4c_send(fd, cred(), &m, &r);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_WRITE), NFS4_OK);
	struct nfs4_write_res res;
	assert_true(nfs4_dec_write_res(&r.d, &res));
	assert_int_equal(res.committed, UNSTABLE4);
	memcpy(verf, res.writeverf.data, 8);
	nfs4c_done(&r);
	close(fd);
}

static void test_write_verifier_changes_on_restart(void **st)
{
	(void)st;
	/* One export directory and state directory for both runs. */
	const char *tmp = getenv("TMPDIR");
	char dir[256], conf[300], state[300], path[300];
	snprintf(dir, sizeof(dir), "%s/ferry-verf-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(path, sizeof(path), "%s/export", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "[export e]\npath = %s\npseudo = /export\nsquash = none\n", path);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/export/w", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	const char *args[] = {"--config", conf, "--state-dir", state, NULL};

	uint8_t first[8], again[8], after[8];
	struct ferryd_proc p;
	assert_int_equal(ferryd_start(&p, args), 0);
	unstable_write(&p, "w", first);
	unstable_write(&p, "w", again);
	assert_memory_equal(first, again, 8); /* one run, one verifier */
	assert_int_equal(ferryd_stop(&p), 0);
	assert_int_equal(ferryd_start(&p, args), 0);
	unstable_write(&p, "w", after);
	assert_memory_not_equal(first, after, 8);
	assert_int_equal(ferryd_stop(&p), 0);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_change_waits_for_its_flush),
		cmocka_unit_test(test_burst_shares_flushes),
		cmocka_unit_test(test_async_export_does_not_wait),
		cmocka_unit_test(test_write_verifier_changes_on_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
