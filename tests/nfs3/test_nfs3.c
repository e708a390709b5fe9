/* NFSv3 (RFC 1813) through a real ferryd: every procedure's success and
 * main errors, weak cache consistency data, exclusive create and its
 * replay, the duplicate request cache, bad handles and garbage
 * arguments, and program 100003 serving versions 3 and 4 side by side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs3_client.h"
#include "lib/nfs4_client.h"
#include "rpc/record.h"

static struct ferryd_proc srv;
static int fd = -1;
static struct nfs3c_fh root;

static int setup(void **st)
{
	(void)st;
	if (ferryd_start_export(&srv, "squash = none\n[rpc]\nsplice_reads = always\n") != 0)
		return -1;
	fd = rpctest_connect(srv.hostport);
	if (fd < 0)
		return -1;
	static const char *const path[] = {"export", NULL};
	return nfs3c_export_root(fd, path, &root);
}

static int teardown(void **st)
{
	(void)st;
	close(fd);
	return ferryd_stop(&srv) == 0 ? 0 : -1;
}

static union nfs3_args fh_args(const struct nfs3c_fh *fh)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.fh = nfs3c_wire(fh);
	return a;
}

/* Calls proc and returns its status (the results stay in r). */
static uint32_t call(uint32_t proc, union nfs3_args *a, struct nfs3c_res *r)
{
	int rc = nfs3c_call(fd, NULL, proc, a, r);
	assert_int_equal(rc, 0);
	return r->res.status;
}

static uint32_t call_status(uint32_t proc, union nfs3_args *a)
{
	struct nfs3c_res r;
	uint32_t st = call(proc, a, &r);
	nfs3c_release(&r);
	return st;
}

static struct nfs3_fattr getattr(const struct nfs3c_fh *fh)
{
	union nfs3_args a = fh_args(fh);
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_GETATTR, &a, &r), NFS3_OK);
	struct nfs3_fattr f = r.res.attr.attr;
	nfs3c_release(&r);
	return f;
}

static void mkdir_ok(const struct nfs3c_fh *dir, const char *name, struct nfs3c_fh *out)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.mkdir.where = (struct nfs3_diropargs){nfs3c_wire(dir), nfs3c_str(name)};
	a.mkdir.attr.set_mode = true;
	a.mkdir.attr.mode = 0755;
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_MKDIR, &a, &r), NFS3_OK);
	assert_true(r.res.fh.present);
	assert_true(r.res.attr.present);
	assert_int_equal(r.res.attr.attr.type, NF3DIR);
	assert_int_equal(r.res.attr.attr.mode, 0755);
	/* WCC of the parent: before and after, and it changed. */
	assert_true(r.res.wcc.before.present);
	assert_true(r.res.wcc.after.present);
	if (out)
		nfs3c_copy_fh(out, &r.res.fh.fh);
	nfs3c_release(&r);
}

static uint32_t write_at(const struct nfs3c_fh *fh, uint64_t off, const char *data,
			 uint32_t stable, struct nfs3c_res *r)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(fh);
	a.write.offset = off;
	a.write.count = (uint32_t)strlen(data);
	a.write.stable = stable;
	a.write.data = nfs3c_str(data);
	return call(NFSPROC3_WRITE, &a, r);
}

static void test_null_and_versions(void **st)
{
	(void)st;
	struct rpctest_reply r;
	assert_int_equal(rpctest_call(fd, 1, NFS3_PROGRAM, 3, NFSPROC3_NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	/* v4 beside v3 on the same number and listener. */
	assert_int_equal(rpctest_call(fd, 2, NFS3_PROGRAM, 4, 0, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_SUCCESS);
	rpctest_reply_release(&r);
	/* Outside both: PROG_MISMATCH with the overall range. */
	for (uint32_t v = 2; v <= 5; v += 3) {
		assert_int_equal(rpctest_call(fd, 3 + v, NFS3_PROGRAM, v, 0, NULL, NULL, 0, &r), 0);
		assert_int_equal(r.hdr.accept_stat, RPC_PROG_MISMATCH);
		assert_int_equal(r.hdr.mismatch_low, 3);
		assert_int_equal(r.hdr.mismatch_high, 4);
		rpctest_reply_release(&r);
	}
	/* A procedure past COMMIT. */
	assert_int_equal(rpctest_call(fd, 9, NFS3_PROGRAM, 3, 22, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.hdr.accept_stat, RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r);
}

static void test_getattr_lookup_access(void **st)
{
	(void)st;
	struct nfs3_fattr ra = getattr(&root);
	assert_int_equal(ra.type, NF3DIR);
	struct nfs3c_fh d, f;
	mkdir_ok(&root, "la", &d);
	assert_int_equal(nfs3c_create(fd, &d, "file", 0640, &f), NFS3_OK);
	struct nfs3_fattr fa = getattr(&f);
	assert_int_equal(fa.type, NF3REG);
	assert_int_equal(fa.mode, 0640);
	assert_int_equal(fa.size, 0);
	assert_int_equal(fa.fsid, ra.fsid);

	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.dirop = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("file")};
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_LOOKUP, &a, &r), NFS3_OK);
	assert_int_equal(r.res.fh.fh.len, f.len);
	assert_memory_equal(r.res.fh.fh.data, f.data, f.len);
	assert_true(r.res.attr.present);
	assert_int_equal(r.res.attr.attr.fileid, fa.fileid);
	assert_true(r.res.dir_attr.present);
	nfs3c_release(&r);

	a.dirop.name = nfs3c_str("missing");
	assert_int_equal(call(NFSPROC3_LOOKUP, &a, &r), NFS3ERR_NOENT);
	assert_true(r.res.dir_attr.present);
	nfs3c_release(&r);
	/* ".." of the directory is the export root; of the root, itself. */
	struct nfs3c_fh up;
	assert_int_equal(nfs3c_lookup(fd, &d, "..", &up), NFS3_OK);
	assert_int_equal(getattr(&up).fileid, ra.fileid);
	assert_int_equal(nfs3c_lookup(fd, &root, "..", &up), NFS3_OK);
	assert_int_equal(getattr(&up).fileid, ra.fileid);
	/* LOOKUP in a file, and names that are no component. */
	assert_int_equal(nfs3c_lookup(fd, &f, "x", NULL), NFS3ERR_NOTDIR);
	assert_int_equal(nfs3c_lookup(fd, &d, "a/b", NULL), NFS3ERR_ACCES);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(nfs3c_lookup(fd, &d, longname, NULL), NFS3ERR_NAMETOOLONG);

	memset(&a, 0, sizeof(a));
	a.access.object = nfs3c_wire(&f);
	a.access.access = ACCESS3_READ | ACCESS3_MODIFY | ACCESS3_EXECUTE | ACCESS3_LOOKUP;
	assert_int_equal(call(NFSPROC3_ACCESS, &a, &r), NFS3_OK);
	assert_true(r.res.attr.present);
	/* root, squash none, mode 0640: read and write, no execute; LOOKUP
	 * means nothing for a file. */
	assert_int_equal(r.res.u.access, ACCESS3_READ | ACCESS3_MODIFY);
	nfs3c_release(&r);
	/* Another user: only what the mode gives others (nothing). */
	union nfs3_args b = a;
	struct nfs3c_res r2;
	assert_int_equal(nfs3c_call(fd, nfs4c_cred(4242), NFSPROC3_ACCESS, &b, &r2), 0);
	assert_int_equal(r2.res.status, NFS3_OK);
	assert_int_equal(r2.res.u.access, 0);
	nfs3c_release(&r2);
}

static void test_setattr_guard_and_wcc(void **st)
{
	(void)st;
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_create(fd, &root, "sa", 0600, &f), NFS3_OK);
	struct nfs3_fattr before = getattr(&f);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.setattr.object = nfs3c_wire(&f);
	a.setattr.attr.set_mode = true;
	a.setattr.attr.mode = 0604;
	a.setattr.attr.set_size = true;
	a.setattr.attr.size = 1000;
	a.setattr.attr.mtime_how = SET_TO_CLIENT_TIME;
	a.setattr.attr.mtime = (struct nfs3_time){1000000000, 5};
	/* A guard with another ctime: NOT_SYNC, nothing changed. */
	a.setattr.guard_check = true;
	a.setattr.guard_ctime = (struct nfs3_time){before.ctime.sec + 7, before.ctime.nsec};
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_SETATTR, &a, &r), NFS3ERR_NOT_SYNC);
	assert_true(r.res.wcc.after.present);
	assert_int_equal(r.res.wcc.after.attr.mode, 0600);
	nfs3c_release(&r);
	/* The right ctime: done, with before and after. */
	a.setattr.guard_ctime = before.ctime;
	assert_int_equal(call(NFSPROC3_SETATTR, &a, &r), NFS3_OK);
	assert_true(r.res.wcc.before.present);
	assert_int_equal(r.res.wcc.before.attr.size, 0);
	assert_true(r.res.wcc.after.present);
	assert_int_equal(r.res.wcc.after.attr.mode, 0604);
	assert_int_equal(r.res.wcc.after.attr.size, 1000);
	assert_int_equal(r.res.wcc.after.attr.mtime.sec, 1000000000);
	assert_int_equal(r.res.wcc.after.attr.mtime.nsec, 5);
	nfs3c_release(&r);
	/* A size on a directory. */
	a.setattr.object = nfs3c_wire(&root);
	a.setattr.guard_check = false;
	a.setattr.attr.set_mode = false;
	a.setattr.attr.mtime_how = DONT_CHANGE;
	assert_int_equal(call_status(NFSPROC3_SETATTR, &a), NFS3ERR_ISDIR);
	/* Another user may not chmod root's file. */
	a.setattr.object = nfs3c_wire(&f);
	a.setattr.attr.set_size = false;
	a.setattr.attr.set_mode = true;
	assert_int_equal(nfs3c_call(fd, nfs4c_cred(4242), NFSPROC3_SETATTR, &a, &r), 0);
	assert_int_equal(r.res.status, NFS3ERR_PERM);
	nfs3c_release(&r);
}

static void test_read_write_commit(void **st)
{
	(void)st;
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_create(fd, &root, "rw", 0644, &f), NFS3_OK);
	struct nfs3c_res r;
	uint8_t verf[8];
	const uint32_t stables[] = {UNSTABLE, DATA_SYNC, FILE_SYNC};
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(write_at(&f, i * 5, "hello", stables[i], &r), NFS3_OK);
		assert_int_equal(r.res.u.write.count, 5);
		assert_true(r.res.u.write.committed >= stables[i]);
		assert_true(r.res.wcc.before.present);
		assert_int_equal(r.res.wcc.before.attr.size, i * 5);
		assert_true(r.res.wcc.after.present);
		assert_int_equal(r.res.wcc.after.attr.size, i * 5 + 5);
		if (i == 0)
			memcpy(verf, r.res.u.write.verf, 8);
		else
			assert_memory_equal(verf, r.res.u.write.verf, 8);
		nfs3c_release(&r);
	}
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.commit.file = nfs3c_wire(&f);
	assert_int_equal(call(NFSPROC3_COMMIT, &a, &r), NFS3_OK);
	assert_memory_equal(verf, r.res.u.commit_verf, 8);
	assert_true(r.res.wcc.after.present);
	nfs3c_release(&r);

	memset(&a, 0, sizeof(a));
	a.read.file = nfs3c_wire(&f);
	a.read.offset = 3;
	a.read.count = 100;
	assert_int_equal(call(NFSPROC3_READ, &a, &r), NFS3_OK);
	assert_int_equal(r.res.u.read.count, 12);
	assert_true(r.res.u.read.eof);
	assert_int_equal(r.res.u.read.data.len, 12);
	assert_memory_equal(r.res.u.read.data.data, "lohellohello", 12);
	assert_true(r.res.attr.present);
	nfs3c_release(&r);
	a.read.offset = 0;
	a.read.count = 4;
	assert_int_equal(call(NFSPROC3_READ, &a, &r), NFS3_OK);
	assert_int_equal(r.res.u.read.count, 4);
	assert_false(r.res.u.read.eof);
	nfs3c_release(&r);
	/* READ and WRITE of a directory. */
	a.read.file = nfs3c_wire(&root);
	assert_int_equal(call_status(NFSPROC3_READ, &a), NFS3ERR_ISDIR);
	assert_int_equal(write_at(&root, 0, "x", UNSTABLE, &r), NFS3ERR_ISDIR);
	assert_true(r.res.wcc.after.present);
	nfs3c_release(&r);
	/* Another user without write permission. */
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(&f);
	a.write.count = 1;
	a.write.data = nfs3c_str("x");
	assert_int_equal(nfs3c_call(fd, nfs4c_cred(4242), NFSPROC3_WRITE, &a, &r), 0);
	assert_int_equal(r.res.status, NFS3ERR_ACCES);
	nfs3c_release(&r);
}

/* 1 MiB written in one WRITE and read back in READs of 256 KiB (the
 * large replies count against the memory budgets first). */
static void test_large_io(void **st)
{
	(void)st;
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_create(fd, &root, "large", 0644, &f), NFS3_OK);
	enum { SIZE = 1 << 20, PIECE = 256 << 10 };
	uint8_t *data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 12));
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(&f);
	a.write.count = SIZE;
	a.write.stable = UNSTABLE;
	a.write.data = (struct nfs3_str){data, SIZE};
	struct nfs3c_res *r = malloc(sizeof(*r));
	char *before = ctlt_scrape(&srv);
	assert_int_equal(call(NFSPROC3_WRITE, &a, r), NFS3_OK);
	assert_int_equal(r->res.u.write.count, SIZE);
	nfs3c_release(r);
	/* The data went from the socket into a pipe, not into memory. */
	char *mid = ctlt_scrape(&srv);
	assert_true(ctlt_metric(mid, "ferry_rpc_splice_in_bytes_total") -
			    ctlt_metric(before, "ferry_rpc_splice_in_bytes_total") >=
		    SIZE / 2);
	free(before);
	before = mid;
	for (uint32_t off = 0; off < SIZE; off += PIECE) {
		memset(&a, 0, sizeof(a));
		a.read.file = nfs3c_wire(&f);
		a.read.offset = off;
		a.read.count = PIECE;
		assert_int_equal(call(NFSPROC3_READ, &a, r), NFS3_OK);
		assert_int_equal(r->res.u.read.count, PIECE);
		assert_int_equal(r->res.u.read.eof, off + PIECE == SIZE);
		assert_memory_equal(r->res.u.read.data.data, data + off, PIECE);
		nfs3c_release(r);
	}
	/* The local back end's pages went to the socket through a pipe. */
	char *after = ctlt_scrape(&srv);
	assert_true(ctlt_metric(after, "ferry_rpc_spliced_reply_bytes_total") -
			    ctlt_metric(before, "ferry_rpc_spliced_reply_bytes_total") >=
		    SIZE);
	free(before);
	free(after);
	free(r);
	free(data);
}

/* The same READs from a ferryd with the default [rpc] settings, which do
 * not splice READ data to a client on this host but send it from a
 * mapping of the file (map_reads): every byte, at aligned and unaligned
 * offsets and across the end, and none of it through a pipe. */
static void test_large_read_mapped(void **st)
{
	(void)st;
	struct ferryd_proc p;
	assert_int_equal(ferryd_start_export(&p, "squash = none\n"), 0);
	int c = rpctest_connect(p.hostport);
	assert_true(c >= 0);
	static const char *const path[] = {"export", NULL};
	struct nfs3c_fh top, f;
	assert_int_equal(nfs3c_export_root(c, path, &top), 0);
	assert_int_equal(nfs3c_create(c, &top, "mapped", 0644, &f), NFS3_OK);
	union nfs3_args a;
	struct nfs3c_res *r = malloc(sizeof(*r));
	enum { SIZE = (1 << 20) + 1000 };
	uint8_t *data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 11) + 1);
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(&f);
	a.write.count = SIZE;
	a.write.stable = FILE_SYNC;
	a.write.data = (struct nfs3_str){data, SIZE};
	assert_int_equal(nfs3c_call(c, NULL, NFSPROC3_WRITE, &a, r), 0);
	assert_int_equal(r->res.status, NFS3_OK);
	nfs3c_release(r);

	char *before = ctlt_scrape(&p);
	static const struct {
		uint32_t off, count, got;
	} reads[] = {{0, 1 << 20, 1 << 20},
		     {1000, 256 << 10, 256 << 10},
		     {(1 << 20) - 4096 + 7, 1 << 20, 4096 - 7 + 1000},
		     {SIZE, 1 << 20, 0}};
	size_t mapped = 0;
	for (size_t k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
		memset(&a, 0, sizeof(a));
		a.read.file = nfs3c_wire(&f);
		a.read.offset = reads[k].off;
		a.read.count = reads[k].count;
		assert_int_equal(nfs3c_call(c, NULL, NFSPROC3_READ, &a, r), 0);
		assert_int_equal(r->res.status, NFS3_OK);
		assert_int_equal(r->res.u.read.count, reads[k].got);
		assert_int_equal(r->res.u.read.eof, reads[k].off + reads[k].got >= SIZE);
		if (reads[k].got)
			assert_memory_equal(r->res.u.read.data.data, data + reads[k].off,
					    reads[k].got);
		nfs3c_release(r);
		mapped += reads[k].got >= 64 << 10 ? reads[k].got : 0;
	}
	char *after = ctlt_scrape(&p);
	assert_true(ctlt_metric(after, "ferry_rpc_mapped_reply_bytes_total") -
			    ctlt_metric(before, "ferry_rpc_mapped_reply_bytes_total") >=
		    (double)mapped);
	assert_true(ctlt_metric(after, "ferry_rpc_spliced_reply_bytes_total") ==
		    ctlt_metric(before, "ferry_rpc_spliced_reply_bytes_total"));
	free(before);
	free(after);
	free(r);
	free(data);
	close(c);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_create_modes(void **st)
{
	(void)st;
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.create.where = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("cm")};
	a.create.mode = GUARDED;
	a.create.attr.set_mode = true;
	a.create.attr.mode = 0600;
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_CREATE, &a, &r), NFS3_OK);
	assert_true(r.res.fh.present && r.res.attr.present);
	assert_true(r.res.wcc.before.present && r.res.wcc.after.present);
	nfs3c_release(&r);
	assert_int_equal(call_status(NFSPROC3_CREATE, &a), NFS3ERR_EXIST);
	/* UNCHECKED over it, with a size: truncated. */
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_lookup(fd, &root, "cm", &f), NFS3_OK);
	assert_int_equal(write_at(&f, 0, "abcdef", FILE_SYNC, &r), NFS3_OK);
	nfs3c_release(&r);
	a.create.mode = UNCHECKED;
	a.create.attr.set_size = true;
	a.create.attr.size = 2;
	assert_int_equal(call(NFSPROC3_CREATE, &a, &r), NFS3_OK);
	assert_int_equal(r.res.attr.attr.size, 2);
	assert_int_equal(r.res.attr.attr.fileid, getattr(&f).fileid);
	nfs3c_release(&r);
	/* EXCLUSIVE: the same verifier again is the same create (a
	 * retransmission after a lost reply), another is EXIST. */
	memset(&a, 0, sizeof(a));
	a.create.where = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("excl")};
	a.create.mode = EXCLUSIVE;
	memcpy(a.create.verf, "verifier", 8);
	assert_int_equal(call(NFSPROC3_CREATE, &a, &r), NFS3_OK);
	struct nfs3c_fh e1;
	nfs3c_copy_fh(&e1, &r.res.fh.fh);
	nfs3c_release(&r);
	assert_int_equal(call(NFSPROC3_CREATE, &a, &r), NFS3_OK);
	assert_int_equal(r.res.fh.fh.len, e1.len);
	assert_memory_equal(r.res.fh.fh.data, e1.data, e1.len);
	nfs3c_release(&r);
	memcpy(a.create.verf, "another!", 8);
	assert_int_equal(call_status(NFSPROC3_CREATE, &a), NFS3ERR_EXIST);
	/* The client's SETATTR after an exclusive create. */
	union nfs3_args s;
	memset(&s, 0, sizeof(s));
	s.setattr.object = nfs3c_wire(&e1);
	s.setattr.attr.set_mode = true;
	s.setattr.attr.mode = 0640;
	assert_int_equal(call_status(NFSPROC3_SETATTR, &s), NFS3_OK);
	assert_int_equal(getattr(&e1).mode, 0640);
	/* "." and ".." are never created. */
	a.create.where.name = nfs3c_str("..");
	assert_int_equal(call_status(NFSPROC3_CREATE, &a), NFS3ERR_EXIST);
}

static void test_mkdir_symlink_mknod(void **st)
{
	(void)st;
	struct nfs3c_fh d;
	mkdir_ok(&root, "msm", &d);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.mkdir.where = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("msm")};
	assert_int_equal(call_status(NFSPROC3_MKDIR, &a), NFS3ERR_EXIST);

	memset(&a, 0, sizeof(a));
	a.symlink.where = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("ln")};
	a.symlink.path = nfs3c_str("../target/x");
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_SYMLINK, &a, &r), NFS3_OK);
	assert_true(r.res.fh.present);
	assert_int_equal(r.res.attr.attr.type, NF3LNK);
	struct nfs3c_fh l;
	nfs3c_copy_fh(&l, &r.res.fh.fh);
	nfs3c_release(&r);
	union nfs3_args rl = fh_args(&l);
	assert_int_equal(call(NFSPROC3_READLINK, &rl, &r), NFS3_OK);
	assert_int_equal(r.res.u.path.len, 11);
	assert_memory_equal(r.res.u.path.data, "../target/x", 11);
	nfs3c_release(&r);
	rl = fh_args(&d);
	assert_int_equal(call_status(NFSPROC3_READLINK, &rl), NFS3ERR_INVAL);

	memset(&a, 0, sizeof(a));
	a.mknod.where = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("fifo")};
	a.mknod.type = NF3FIFO;
	a.mknod.attr.set_mode = true;
	a.mknod.attr.mode = 0600;
	assert_int_equal(call(NFSPROC3_MKNOD, &a, &r), NFS3_OK);
	assert_int_equal(r.res.attr.attr.type, NF3FIFO);
	nfs3c_release(&r);
	a.mknod.where.name = nfs3c_str("reg");
	a.mknod.type = NF3REG;
	assert_int_equal(call_status(NFSPROC3_MKNOD, &a), NFS3ERR_BADTYPE);
}

static void test_remove_rmdir_rename_link(void **st)
{
	(void)st;
	struct nfs3c_fh d, sub, f;
	mkdir_ok(&root, "rr", &d);
	mkdir_ok(&d, "sub", &sub);
	assert_int_equal(nfs3c_create(fd, &d, "f", 0644, &f), NFS3_OK);
	assert_int_equal(nfs3c_create(fd, &sub, "inner", 0644, NULL), NFS3_OK);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.dirop = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("sub")};
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_RMDIR, &a, &r), NFS3ERR_NOTEMPTY);
	assert_true(r.res.wcc.after.present);
	nfs3c_release(&r);
	assert_int_equal(call_status(NFSPROC3_REMOVE, &a), NFS3ERR_ISDIR);
	a.dirop.name = nfs3c_str("f");
	assert_int_equal(call_status(NFSPROC3_RMDIR, &a), NFS3ERR_NOTDIR);

	/* LINK: nlink 2, the directory's WCC. */
	memset(&a, 0, sizeof(a));
	a.link.file = nfs3c_wire(&f);
	a.link.link = (struct nfs3_diropargs){nfs3c_wire(&sub), nfs3c_str("f2")};
	assert_int_equal(call(NFSPROC3_LINK, &a, &r), NFS3_OK);
	assert_true(r.res.attr.present);
	assert_int_equal(r.res.attr.attr.nlink, 2);
	assert_true(r.res.wcc.before.present && r.res.wcc.after.present);
	nfs3c_release(&r);
	assert_int_equal(call_status(NFSPROC3_LINK, &a), NFS3ERR_EXIST);
	a.link.file = nfs3c_wire(&sub);
	a.link.link.name = nfs3c_str("dirlink");
	assert_int_equal(call_status(NFSPROC3_LINK, &a), NFS3ERR_ISDIR);

	/* RENAME across directories, both WCCs. */
	memset(&a, 0, sizeof(a));
	a.rename.from = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("f")};
	a.rename.to = (struct nfs3_diropargs){nfs3c_wire(&sub), nfs3c_str("moved")};
	assert_int_equal(call(NFSPROC3_RENAME, &a, &r), NFS3_OK);
	assert_true(r.res.wcc.before.present && r.res.wcc.after.present);
	assert_true(r.res.wcc2.before.present && r.res.wcc2.after.present);
	nfs3c_release(&r);
	assert_int_equal(nfs3c_lookup(fd, &sub, "moved", NULL), NFS3_OK);
	assert_int_equal(nfs3c_lookup(fd, &d, "f", NULL), NFS3ERR_NOENT);
	assert_int_equal(call_status(NFSPROC3_RENAME, &a), NFS3ERR_NOENT);
	/* A directory over a non-empty one. */
	a.rename.from = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("rr")};
	a.rename.to = (struct nfs3_diropargs){nfs3c_wire(&d), nfs3c_str("..")};
	assert_int_equal(call_status(NFSPROC3_RENAME, &a), NFS3ERR_INVAL);

	/* REMOVE: the name goes, the other link stays. */
	memset(&a, 0, sizeof(a));
	a.dirop = (struct nfs3_diropargs){nfs3c_wire(&sub), nfs3c_str("moved")};
	assert_int_equal(call(NFSPROC3_REMOVE, &a, &r), NFS3_OK);
	assert_true(r.res.wcc.before.present && r.res.wcc.after.present);
	nfs3c_release(&r);
	assert_int_equal(getattr(&f).nlink, 1);
	assert_int_equal(call_status(NFSPROC3_REMOVE, &a), NFS3ERR_NOENT);
}

/* Lists dir in pages of at most count bytes: the names seen, in *n. */
static unsigned list_all(const struct nfs3c_fh *dir, bool plus, uint32_t count, char names[][32],
			 unsigned max)
{
	unsigned n = 0, pages = 0;
	uint64_t cookie = 0;
	uint8_t verf[8] = {0};
	for (;;) {
		union nfs3_args a;
		memset(&a, 0, sizeof(a));
		a.readdir.dir = nfs3c_wire(dir);
		a.readdir.cookie = cookie;
		memcpy(a.readdir.verf, verf, 8);
		a.readdir.count = count;
		a.readdir.maxcount = count * 4;
		struct nfs3c_res *r = malloc(sizeof(*r));
		uint32_t proc = plus ? NFSPROC3_READDIRPLUS : NFSPROC3_READDIR;
		int rc = nfs3c_call(fd, NULL, proc, &a, r);
		assert_int_equal(rc, 0);
		assert_int_equal(r->res.status, NFS3_OK);
		assert_true(r->body_len <= (plus ? count * 4 : count));
		memcpy(verf, r->res.u.readdir.verf, 8);
		for (uint32_t i = 0; i < r->res.u.readdir.list.n; i++) {
			struct nfs3_entry *e = &r->res.u.readdir.list.v[i];
			assert_true(n < max);
			snprintf(names[n++], 32, "%.*s", (int)e->name.len, e->name.data);
			if (plus) {
				assert_true(e->attr.present);
				assert_int_equal(e->attr.attr.fileid, e->fileid);
				assert_true(e->fh.present);
			}
			cookie = e->cookie;
		}
		bool eof = r->res.u.readdir.list.eof;
		nfs3c_release(r);
		free(r);
		pages++;
		if (eof)
			break;
		assert_true(pages < 100);
	}
	return n;
}

static void test_readdir(void **st)
{
	(void)st;
	struct nfs3c_fh d;
	mkdir_ok(&root, "rd", &d);
	for (int i = 0; i < 40; i++) {
		char name[32];
		snprintf(name, sizeof(name), "entry-%02d", i);
		assert_int_equal(nfs3c_create(fd, &d, name, 0644, NULL), NFS3_OK);
	}
	char names[64][32];
	for (int plus = 0; plus <= 1; plus++) {
		/* Small pages: several calls, every name once, "." and ".."
		 * first. */
		unsigned n = list_all(&d, plus, 512, names, 64);
		assert_int_equal(n, 42);
		assert_string_equal(names[0], ".");
		assert_string_equal(names[1], "..");
		for (int i = 0; i < 40; i++) {
			char want[32];
			snprintf(want, sizeof(want), "entry-%02d", i);
			int seen = 0;
			for (unsigned j = 0; j < n; j++)
				seen += strcmp(names[j], want) == 0;
			assert_int_equal(seen, 1);
		}
		assert_int_equal(list_all(&d, plus, 32768, names, 64), 42);
	}
	/* "." is the directory, ".." its parent (the export root). */
	union nfs3_args pa;
	memset(&pa, 0, sizeof(pa));
	pa.readdir.dir = nfs3c_wire(&d);
	pa.readdir.count = 4096;
	pa.readdir.maxcount = 32768;
	struct nfs3c_res *pr = malloc(sizeof(*pr));
	assert_int_equal(call(NFSPROC3_READDIRPLUS, &pa, pr), NFS3_OK);
	assert_true(pr->res.u.readdir.list.n >= 2);
	assert_int_equal(pr->res.u.readdir.list.v[0].fileid, getattr(&d).fileid);
	assert_int_equal(pr->res.u.readdir.list.v[1].fileid, getattr(&root).fileid);
	assert_int_equal(pr->res.u.readdir.list.v[0].cookie, 1);
	assert_int_equal(pr->res.u.readdir.list.v[1].cookie, 2);
	nfs3c_release(pr);
	free(pr);
	/* Too small for a single entry. */
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.readdir.dir = nfs3c_wire(&d);
	a.readdir.count = 100;
	a.readdir.maxcount = 100;
	assert_int_equal(call_status(NFSPROC3_READDIR, &a), NFS3ERR_TOOSMALL);
	/* A cookie with a verifier of the client's own (libnfs sends one):
	 * the listing goes on from the cookie, as knfsd's does. */
	a.readdir.count = 4096;
	a.readdir.cookie = 2;
	memcpy(a.readdir.verf, "badverf!", 8);
	struct nfs3c_res *rr = malloc(sizeof(*rr));
	assert_int_equal(call(NFSPROC3_READDIR, &a, rr), NFS3_OK);
	assert_int_equal(rr->res.u.readdir.list.n, 40);
	assert_true(rr->res.u.readdir.list.eof);
	nfs3c_release(rr);
	free(rr);
	/* A cookie the back end never made. */
	a.readdir.cookie = UINT64_MAX;
	assert_int_equal(call_status(NFSPROC3_READDIR, &a), NFS3ERR_BAD_COOKIE);
	/* A file is not listed. */
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_lookup(fd, &d, "entry-00", &f), NFS3_OK);
	memset(&a, 0, sizeof(a));
	a.readdir.dir = nfs3c_wire(&f);
	a.readdir.count = 4096;
	assert_int_equal(call_status(NFSPROC3_READDIR, &a), NFS3ERR_NOTDIR);
}

static void test_fsstat_fsinfo_pathconf(void **st)
{
	(void)st;
	union nfs3_args a = fh_args(&root);
	struct nfs3c_res r;
	assert_int_equal(call(NFSPROC3_FSSTAT, &a, &r), NFS3_OK);
	assert_true(r.res.u.fsstat.tbytes > 0);
	assert_true(r.res.u.fsstat.fbytes <= r.res.u.fsstat.tbytes);
	assert_true(r.res.u.fsstat.abytes <= r.res.u.fsstat.fbytes);
	nfs3c_release(&r);
	assert_int_equal(call(NFSPROC3_FSINFO, &a, &r), NFS3_OK);
	assert_true(r.res.u.fsinfo.rtmax >= 65536);
	assert_true(r.res.u.fsinfo.wtmax >= 65536);
	assert_true(r.res.u.fsinfo.properties & FSF3_CANSETTIME);
	assert_true(r.res.attr.present);
	nfs3c_release(&r);
	assert_int_equal(call(NFSPROC3_PATHCONF, &a, &r), NFS3_OK);
	assert_int_equal(r.res.u.pathconf.name_max, 255);
	assert_true(r.res.u.pathconf.no_trunc);
	assert_true(r.res.u.pathconf.case_preserving);
	nfs3c_release(&r);
}

static void test_bad_handles(void **st)
{
	(void)st;
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	uint8_t junk[20] = {1, 2, 3};
	a.fh = (struct nfs3_fh){junk, sizeof(junk)};
	assert_int_equal(call_status(NFSPROC3_GETATTR, &a), NFS3ERR_BADHANDLE);
	a.fh = (struct nfs3_fh){junk, 0};
	assert_int_equal(call_status(NFSPROC3_GETATTR, &a), NFS3ERR_BADHANDLE);
	/* One byte of a good handle changed: its MAC no longer verifies. */
	struct nfs3c_fh bad = root;
	bad.data[bad.len - 1] ^= 0x5a;
	a.fh = nfs3c_wire(&bad);
	assert_int_equal(call_status(NFSPROC3_GETATTR, &a), NFS3ERR_BADHANDLE);
	/* The pseudo file system's root has no v3 meaning. */
	struct nfs4c_call call4;
	nfs4c_begin(&call4, 0);
	nfs4c_putrootfh(&call4);
	nfs4c_getfh(&call4);
	struct nfs4c_reply p;
	assert_int_equal(nfs4c_call(fd, nfs4c_root_cred(), &call4, &p), 0);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	const uint8_t *fhp;
	uint32_t fhl;
	assert_true(xdr_decode_opaque(&p.d, NFS3_FHSIZE, &fhp, &fhl));
	struct nfs3c_fh pseudo;
	memcpy(pseudo.data, fhp, fhl);
	pseudo.len = fhl;
	nfs4c_done(&p);
	a.fh = nfs3c_wire(&pseudo);
	assert_int_equal(call_status(NFSPROC3_GETATTR, &a), NFS3ERR_BADHANDLE);
	/* A removed file's handle: STALE. */
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_create(fd, &root, "gone", 0644, &f), NFS3_OK);
	union nfs3_args rm;
	memset(&rm, 0, sizeof(rm));
	rm.dirop = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("gone")};
	assert_int_equal(call_status(NFSPROC3_REMOVE, &rm), NFS3_OK);
	a.fh = nfs3c_wire(&f);
	assert_int_equal(call_status(NFSPROC3_GETATTR, &a), NFS3ERR_STALE);
}

static void test_garbage_args(void **st)
{
	(void)st;
	struct rpctest_reply r;
	/* A handle longer than 64 bytes, a truncated WRITE, a bad stable_how. */
	uint8_t longfh[4 + 68] = {0, 0, 0, 68};
	assert_int_equal(
		rpctest_call(fd, 77, NFS3_PROGRAM, 3, NFSPROC3_GETATTR, nfs4c_root_cred(), longfh,
			     sizeof(longfh), &r),
		0);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(&root);
	a.write.count = 5;
	a.write.data = nfs3c_str("hello");
	struct buf *b = nfs3c_encode_args(NFSPROC3_WRITE, &a);
	assert_non_null(b);
	assert_int_equal(rpctest_call(fd, 78, NFS3_PROGRAM, 3, NFSPROC3_WRITE, nfs4c_root_cred(),
				      b->data, b->len - 6, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	/* stable_how sits after handle (4 + len), offset, count. */
	size_t at = 4 + xdr_pad4(root.len) + 8 + 4;
	xdr_put_be32(b->data + at, 7);
	assert_int_equal(rpctest_call(fd, 79, NFS3_PROGRAM, 3, NFSPROC3_WRITE, nfs4c_root_cred(),
				      b->data, b->len, &r),
			 0);
	assert_int_equal(r.hdr.accept_stat, RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r);
	buf_unref(b);
	/* The connection still serves. */
	assert_int_equal(getattr(&root).type, NF3DIR);
}

/* A retransmission (same XID, same arguments, same connection) of a CREATE
 * and of a REMOVE gets the first reply, byte for byte; a new XID runs
 * again (and fails). */
/* An UNSTABLE WRITE whose count is small enough for an event loop but
 * whose data (RFC 1813 lets it be longer than count) is long enough for
 * ferryd to splice it from the socket into a pipe: the file gets the
 * client's bytes, never what the record's buffer held where the pipe's
 * bytes would have been. */
static void test_write_count_below_spliced_data(void **st)
{
	(void)st;
	enum { DATA = 256 << 10, COUNT = 65536 };
	struct nfs3c_fh f;
	assert_int_equal(nfs3c_create(fd, &root, "count-below-data", 0644, &f), NFS3_OK);
	uint8_t *data = malloc(DATA);
	assert_non_null(data);
	/* Bytes of this run alone: nothing a buffer held before matches. */
	uint32_t seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	for (size_t i = 0; i < DATA; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 24);
	}
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.write.file = nfs3c_wire(&f);
	a.write.count = COUNT;
	a.write.stable = UNSTABLE;
	a.write.data = (struct nfs3_str){data, DATA};
	struct buf *args = nfs3c_encode_args(NFSPROC3_WRITE, &a);
	assert_non_null(args);
	struct buf *rec = rpctest_build_call(0x7e7e0001, NFS3_PROGRAM, NFS3_VERSION,
					      NFSPROC3_WRITE, nfs4c_root_cred(), args->data,
					      args->len);
	assert_non_null(rec);
	buf_unref(args);
	char *before = ctlt_scrape(&srv);
	int c = rpctest_connect(srv.hostport);
	assert_true(c >= 0);
	/* The record's first 4 KiB, then the rest: ferryd decides where the
	 * payload goes having seen only the head. */
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)rec->len);
	assert_int_equal(rpctest_send_raw(c, mark, sizeof(mark)), 0);
	assert_int_equal(rpctest_send_raw(c, rec->data, 4096), 0);
	usleep(200 * 1000);
	assert_int_equal(rpctest_send_raw(c, rec->data + 4096, rec->len - 4096), 0);
	buf_unref(rec);
	struct rpctest_reply rep;
	assert_int_equal(rpctest_recv_reply(c, &rep, 10000), 0);
	assert_int_equal(rep.hdr.reply_stat, RPC_MSG_ACCEPTED);
	assert_int_equal(rep.hdr.accept_stat, RPC_SUCCESS);
	struct nfs3_res res;
	memset(&res, 0, sizeof(res));
	struct xdr_stream x = XDR_DEC_STREAM(&rep.results);
	assert_true(nfs3_xdr_res(&x, NFSPROC3_WRITE, &res));
	assert_int_equal(res.status, NFS3_OK);
	assert_int_equal(res.u.write.count, COUNT);
	rpctest_reply_release(&rep);
	close(c);
	/* The payload did go into a pipe. */
	char *after = ctlt_scrape(&srv);
	assert_true(ctlt_metric(after, "ferry_rpc_splice_in_bytes_total") -
			    ctlt_metric(before, "ferry_rpc_splice_in_bytes_total") >=
		    32 << 10);
	free(before);
	free(after);

	struct nfs3c_res *r = malloc(sizeof(*r));
	assert_non_null(r);
	memset(&a, 0, sizeof(a));
	a.read.file = nfs3c_wire(&f);
	a.read.count = DATA;
	assert_int_equal(call(NFSPROC3_READ, &a, r), NFS3_OK);
	assert_int_equal(r->res.u.read.count, COUNT);
	assert_true(r->res.u.read.eof);
	assert_memory_equal(r->res.u.read.data.data, data, COUNT);
	nfs3c_release(r);
	free(r);
	free(data);
}

static void test_drc_replay(void **st)
{
	(void)st;
	char *before = ctlt_scrape(&srv);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.create.where = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("drc")};
	a.create.mode = GUARDED;
	struct nfs3c_res r1, r2;
	assert_int_equal(nfs3c_call_xid(fd, 0x7001, NULL, NFSPROC3_CREATE, &a, &r1), 0);
	assert_int_equal(r1.res.status, NFS3_OK);
	assert_int_equal(nfs3c_call_xid(fd, 0x7001, NULL, NFSPROC3_CREATE, &a, &r2), 0);
	assert_int_equal(r2.res.status, NFS3_OK);
	assert_int_equal(r1.body_len, r2.body_len);
	assert_memory_equal(r1.body, r2.body, r1.body_len);
	nfs3c_release(&r1);
	nfs3c_release(&r2);
	assert_int_equal(nfs3c_call_xid(fd, 0x7002, NULL, NFSPROC3_CREATE, &a, &r1), 0);
	assert_int_equal(r1.res.status, NFS3ERR_EXIST);
	nfs3c_release(&r1);

	memset(&a, 0, sizeof(a));
	a.dirop = (struct nfs3_diropargs){nfs3c_wire(&root), nfs3c_str("drc")};
	assert_int_equal(nfs3c_call_xid(fd, 0x7003, NULL, NFSPROC3_REMOVE, &a, &r1), 0);
	assert_int_equal(r1.res.status, NFS3_OK);
	assert_int_equal(nfs3c_call_xid(fd, 0x7003, NULL, NFSPROC3_REMOVE, &a, &r2), 0);
	assert_int_equal(r2.res.status, NFS3_OK);
	assert_memory_equal(r1.body, r2.body, r1.body_len);
	nfs3c_release(&r1);
	nfs3c_release(&r2);
	assert_int_equal(nfs3c_call_xid(fd, 0x7004, NULL, NFSPROC3_REMOVE, &a, &r1), 0);
	assert_int_equal(r1.res.status, NFS3ERR_NOENT);
	nfs3c_release(&r1);
	char *after = ctlt_scrape(&srv);
	assert_int_equal(ctlt_metric(after, "ferry_nfs3_drc_hits_total") -
				 ctlt_metric(before, "ferry_nfs3_drc_hits_total"),
			 2);
	/* The CREATE and the REMOVE that ran waited for the committer NFSv4
	 * uses (the replays and the failures did not). */
	assert_int_equal(ctlt_metric(after, "ferry_nfs_durable_waits_total") -
				 ctlt_metric(before, "ferry_nfs_durable_waits_total"),
			 2);
	/* A local export's changes go to the workers, never to the remote
	 * pool (a CephFS export's do: tests/ceph, test_ceph_clients). */
	assert_true(ctlt_metric(after, "ferry_rpc_worker_handoffs_total") -
			    ctlt_metric(before, "ferry_rpc_worker_handoffs_total") >=
		    4);
	assert_int_equal(ctlt_metric(after, "ferry_rpc_remote_handoffs_total"), 0);
	/* Every call lands in one latency bucket; promtool takes the page. */
	assert_true(ctlt_metric(after, "ferry_nfs3_call_duration_seconds_count{proc=\"CREATE\"}") >=
		    ctlt_metric(after, "ferry_nfs3_calls_total{proc=\"CREATE\"}"));
	const char *inf = "ferry_nfs3_call_duration_seconds_bucket{proc=\"REMOVE\",le=\"+Inf\"}";
	assert_true(ctlt_metric(after, inf) >= 2);
	assert_true(ctlt_promtool_ok(after));
	assert_true(ctlt_metric(after, "ferry_nfs3_calls_total{proc=\"CREATE\"}") -
			    ctlt_metric(before, "ferry_nfs3_calls_total{proc=\"CREATE\"}") >=
		    2);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_versions),
		cmocka_unit_test(test_getattr_lookup_access),
		cmocka_unit_test(test_setattr_guard_and_wcc),
		cmocka_unit_test(test_read_write_commit),
		cmocka_unit_test(test_large_io),
		cmocka_unit_test(test_large_read_mapped),
		cmocka_unit_test(test_create_modes),
		cmocka_unit_test(test_mkdir_symlink_mknod),
		cmocka_unit_test(test_remove_rmdir_rename_link),
		cmocka_unit_test(test_readdir),
		cmocka_unit_test(test_fsstat_fsinfo_pathconf),
		cmocka_unit_test(test_bad_handles),
		cmocka_unit_test(test_garbage_args),
		cmocka_unit_test(test_drc_replay),
		cmocka_unit_test(test_write_count_below_spliced_data),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
