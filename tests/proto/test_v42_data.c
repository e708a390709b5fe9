/* NFSv4.2 data operations (RFC 7862) against a real ferryd, on a local
 * export (ext4 or whatever $TMPDIR is), a memory export and a read-only
 * one: ALLOCATE, DEALLOCATE, SEEK, READ_PLUS, CLONE, IO_ADVISE, their
 * errors, their stateid and delegation checks, and the 4.2 attributes. */
#include "proto/deleg_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "xdr/nfs4_fattr.h"

enum { K64 = 64 * 1024 };

/* Exports: /export (local, the fixture's), /mem (memory), /ro (local,
 * read-only, holding one file made on the host). */
static int setup(void **st)
{
	(void)st;
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-v42-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	char p[300], conf[300], state[300];
	snprintf(p, sizeof(p), "%s/export", dl_dir);
	if (mkdir(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ro", dl_dir);
	if (mkdir(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ro/file", dl_dir);
	FILE *f = fopen(p, "w");
	if (!f || fputs("read-only data", f) < 0 || fclose(f) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		"callback_retry_ms = 200\ncallback_retries = 1\n"
		"[export main]\npath = %s/export\npseudo = /export\nsquash = none\n"
		"[export mem]\npath = mem\npseudo = /mem\nbackend = memory\nsquash = none\n"
		"[export ro]\npath = %s/ro\npseudo = /ro\naccess = ro\nsquash = none\n",
		dl_dir, dl_dir);
	fclose(f);
	snprintf(state, sizeof(state), "%s/state", dl_dir);
	const char *args[] = {"--config", conf, "--state-dir", state, NULL};
	return ferryd_start(&server, args);
}

/* --- requests ------------------------------------------------------------ */

/* SEQUENCE and PUTFH of o's file; then the caller's operations. */
static void begin_on(struct nfs4c_sess *s, struct nfs4c_call *m, const struct dl_open *o)
{
	nfs4c_begin_seq(s, m, 0, false);
	nfs4c_putfh(m, o->fh, o->fhlen);
}

static void send_on(struct nfs4c_sess *s, struct nfs4c_call *m, struct nfs4c_reply *p)
{
	nfs4c_send(s->fd, s->cred, m, p);
	assert_int_equal(nfs4c_seq_result(p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(p, OP_PUTFH), NFS4_OK);
}

/* One operation without a result body on o's file; its status. */
static uint32_t space_op(struct nfs4c_sess *s, const struct dl_open *o, uint32_t opnum,
			 const struct nfs4_stateid *sid, uint64_t off, uint64_t len)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	struct nfs4_allocate_args a = {*sid, off, len};
	NFS4C_OP(&m, opnum, nfs4_enc_allocate_args, &a);
	send_on(s, &m, &p);
	uint32_t st = nfs4c_next(&p, opnum);
	nfs4c_done(&p);
	return st;
}

static uint32_t seek_op(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
			uint32_t what, struct nfs4_seek_res *r)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	struct nfs4_seek_args a = {o->stateid, off, what};
	NFS4C_OP(&m, OP_SEEK, nfs4_enc_seek_args, &a);
	send_on(s, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_SEEK);
	if (st == NFS4_OK)
		assert_true(nfs4_dec_seek_res(&p.d, r));
	nfs4c_done(&p);
	return st;
}

/* WRITE (FILE_SYNC) of len bytes of value byte at off. */
static void write_at(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off, uint32_t len,
		     uint8_t byte)
{
	uint8_t *buf = malloc(len);
	memset(buf, byte, len);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	struct nfs4_write_args w = {o->stateid, off, FILE_SYNC4, {buf, len}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	send_on(s, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_WRITE), NFS4_OK);
	nfs4c_done(&p);
	free(buf);
}

/* GETATTR of the given attributes of o's file into *a. */
static void getattrs(struct nfs4c_sess *s, const struct dl_open *o, const unsigned *bits,
		     unsigned n, struct nfs4_attrs *a)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	nfs4c_getattr(&m, bits, n);
	send_on(s, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res r;
	assert_true(nfs4_dec_getattr_res(&p.d, &r));
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(&r.attrs.mask, r.attrs.vals, a, &bad));
	nfs4c_done(&p);
}

static void size_and_space(struct nfs4c_sess *s, const struct dl_open *o, uint64_t *size,
			   uint64_t *used)
{
	static const unsigned bits[] = {FATTR4_SIZE, FATTR4_SPACE_USED};
	struct nfs4_attrs a;
	getattrs(s, o, bits, 2, &a);
	*size = a.size;
	*used = a.space_used;
}

/* READ_PLUS's segments, copied. */
struct rp_seg {
	uint32_t type;
	uint64_t offset, length;
	uint8_t first, last; /* of a data segment's bytes */
	bool uniform;        /* every data byte equals first */
};
struct rp_result {
	bool eof;
	uint32_t n;
	struct rp_seg seg[16];
};

static uint32_t read_plus(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
			  uint32_t count, struct rp_result *out)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	struct nfs4_read_args a = {o->stateid, off, count};
	NFS4C_OP(&m, OP_READ_PLUS, nfs4_enc_read_plus_args, &a);
	send_on(s, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_READ_PLUS);
	memset(out, 0, sizeof(*out));
	if (st == NFS4_OK) {
		struct nfs4_read_plus_res r;
		assert_true(nfs4_dec_read_plus_res(&p.d, &r));
		out->eof = r.eof;
		out->n = r.count;
		assert_true(r.count <= 16);
		for (uint32_t i = 0; i < r.count; i++) {
			struct nfs4_read_plus_content c;
			assert_true(nfs4_read_plus_res_next(&r, &c));
			struct rp_seg *g = &out->seg[i];
			g->type = c.type;
			g->offset = c.offset;
			g->length = c.length;
			if (c.type == NFS4_CONTENT_DATA && c.data.len) {
				g->first = c.data.data[0];
				g->last = c.data.data[c.data.len - 1];
				g->uniform = true;
				for (uint32_t k = 0; k < c.data.len; k++)
					g->uniform &= c.data.data[k] == g->first;
			}
		}
	}
	nfs4c_done(&p);
	return st;
}

/* CLONE from src (saved) into dst (current). */
static uint32_t clone_op(struct nfs4c_sess *s, const struct dl_open *src,
			 const struct dl_open *dst, uint64_t src_off, uint64_t dst_off,
			 uint64_t count)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, src->fh, src->fhlen);
	nfs4c_op(&m, OP_SAVEFH);
	nfs4c_putfh(&m, dst->fh, dst->fhlen);
	struct nfs4_clone_args a = {src->stateid, dst->stateid, src_off, dst_off, count};
	NFS4C_OP(&m, OP_CLONE, nfs4_enc_clone_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_SAVEFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_CLONE);
	nfs4c_done(&p);
	return st;
}

static struct dl_open open_rw(struct nfs4c_sess *s, const char *dir, const char *name)
{
	struct dl_open o = dl_open_full(s, dir, name,
					OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
					true, NULL, NULL, 0);
	assert_int_equal(o.status, NFS4_OK);
	return o;
}

/* A file of 192 KiB: data (0x11) in [0, 64K), a hole, data (0x33) in
 * [128K, 192K), written through NFS so that both back ends make the hole. */
static struct dl_open sparse_file(struct nfs4c_sess *s, const char *dir, const char *name)
{
	struct dl_open o = open_rw(s, dir, name);
	write_at(s, &o, 0, K64, 0x11);
	write_at(s, &o, 2 * K64, K64, 0x33);
	return o;
}

/* A v4.2 client with a back channel; name and dir make its owner unique
 * (each test has clients of its own). */
static void v42_client_in(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name,
			  const char *dir)
{
	char owner[128];
	snprintf(owner, sizeof(owner), "%s-%s", name, dir);
	dl_client_minor(s, svc, owner, 0, 2);
}

static void v42_client(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name)
{
	v42_client_in(s, svc, name, "");
}

/* --- tests --------------------------------------------------------------- */

static void check_allocate(const char *dir)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client_in(&s, &svc, "alloc", dir);
	struct dl_open o = open_rw(&s, dir, "alloc");
	static const unsigned chg[] = {FATTR4_CHANGE};
	struct nfs4_attrs before, after;
	getattrs(&s, &o, chg, 1, &before);
	uint64_t size, used;
	/* Within nothing: the size grows to the end of the range. */
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &o.stateid, 0, 3 * K64), NFS4_OK);
	size_and_space(&s, &o, &size, &used);
	assert_int_equal(size, 3 * K64);
	assert_true(used >= 3 * K64);
	getattrs(&s, &o, chg, 1, &after);
	assert_true(after.change != before.change);
	/* Inside the file: the size stays. */
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &o.stateid, 4096, 4096), NFS4_OK);
	size_and_space(&s, &o, &size, &used);
	assert_int_equal(size, 3 * K64);
	/* Anonymous and bypass stateids write as WRITE would (pynfs ALLOC2,
	 * ALLOC3). */
	struct nfs4_stateid zero = {0}, ones;
	memset(&ones, 0xff, sizeof(ones));
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &zero, 0, 1), NFS4_OK);
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &ones, 0, 1), NFS4_OK);
	/* Errors: no length, past what a file can hold, a stateid of no one,
	 * a read-only open. */
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &o.stateid, 0, 0), NFS4ERR_INVAL);
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &o.stateid, UINT64_MAX - 10, 100),
			 NFS4ERR_FBIG);
	struct nfs4_stateid bogus = o.stateid;
	bogus.other[5] ^= 0x5a;
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &bogus, 0, 1), NFS4ERR_BAD_STATEID);
	/* A directory. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, dir);
	struct nfs4_allocate_args a = {zero, 0, 1};
	NFS4C_OP(&m, OP_ALLOCATE, nfs4_enc_allocate_args, &a);
	nfs4c_send(s.fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4ERR_ISDIR);
	nfs4c_done(&p);
	dl_client_end(&s, &svc);
}

static void test_allocate_local(void **st) { check_allocate("export"); }
static void test_allocate_memory(void **st) { check_allocate("mem"); }

/* A second client's read-only open of the file: its stateid may not
 * change the data (NFS4ERR_OPENMODE, as WRITE). */
static void test_allocate_openmode(void **st)
{
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	v42_client(&a, &sa, "openmode-a");
	v42_client(&b, &sb, "openmode-b");
	struct dl_open w = open_rw(&a, "export", "openmode");
	write_at(&a, &w, 0, 100, 1);
	struct dl_open r = dl_open_full(&b, "export", "openmode",
					OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
					false, NULL, NULL, 0);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(space_op(&b, &r, OP_ALLOCATE, &r.stateid, 0, 10), NFS4ERR_OPENMODE);
	assert_int_equal(space_op(&b, &r, OP_DEALLOCATE, &r.stateid, 0, 10), NFS4ERR_OPENMODE);
	/* ... but it may SEEK and READ_PLUS. */
	struct nfs4_seek_res sr;
	assert_int_equal(seek_op(&b, &r, 0, NFS4_CONTENT_DATA, &sr), NFS4_OK);
	assert_int_equal(sr.offset, 0);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

static void check_deallocate(const char *dir)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client_in(&s, &svc, "dealloc", dir);
	struct dl_open o = open_rw(&s, dir, "punch");
	write_at(&s, &o, 0, 3 * K64, 0x5a);
	uint64_t size, used0, used1;
	size_and_space(&s, &o, &size, &used0);
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, K64, K64), NFS4_OK);
	size_and_space(&s, &o, &size, &used1);
	assert_int_equal(size, 3 * K64);
	assert_true(used1 + K64 <= used0);
	struct rp_result r;
	assert_int_equal(read_plus(&s, &o, 0, 3 * K64, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.seg[1].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[1].offset, K64);
	assert_int_equal(r.seg[1].length, K64);
	/* Past the end: nothing to free, the size stays (RFC 7862 15.4.3). */
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, 2 * K64, 10 * K64), NFS4_OK);
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, 20 * K64, K64), NFS4_OK);
	size_and_space(&s, &o, &size, &used1);
	assert_int_equal(size, 3 * K64);
	assert_int_equal(read_plus(&s, &o, 0, 3 * K64, &r), NFS4_OK);
	assert_int_equal(r.n, 2); /* data, then one hole to the end */
	assert_int_equal(r.seg[1].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[1].offset, K64);
	assert_int_equal(r.seg[1].length, 2 * K64);
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, 0, 0), NFS4ERR_INVAL);
	dl_client_end(&s, &svc);
}

static void test_deallocate_local(void **st) { check_deallocate("export"); }
static void test_deallocate_memory(void **st) { check_deallocate("mem"); }

static void check_seek(const char *dir)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client_in(&s, &svc, "seek", dir);
	struct dl_open o = sparse_file(&s, dir, "seek");
	struct nfs4_seek_res r;
	assert_int_equal(seek_op(&s, &o, 0, NFS4_CONTENT_DATA, &r), NFS4_OK);
	assert_int_equal(r.offset, 0);
	assert_false(r.eof);
	assert_int_equal(seek_op(&s, &o, 100, NFS4_CONTENT_HOLE, &r), NFS4_OK);
	assert_int_equal(r.offset, K64);
	assert_false(r.eof);
	assert_int_equal(seek_op(&s, &o, K64 + 5, NFS4_CONTENT_DATA, &r), NFS4_OK);
	assert_int_equal(r.offset, 2 * K64);
	assert_false(r.eof);
	/* The hole at the end of the file. */
	assert_int_equal(seek_op(&s, &o, 2 * K64, NFS4_CONTENT_HOLE, &r), NFS4_OK);
	assert_int_equal(r.offset, 3 * K64);
	assert_true(r.eof);
	/* At or past the end: NFS4ERR_NXIO (RFC 7862 15.11.3). */
	assert_int_equal(seek_op(&s, &o, 3 * K64, NFS4_CONTENT_DATA, &r), NFS4ERR_NXIO);
	assert_int_equal(seek_op(&s, &o, 3 * K64, NFS4_CONTENT_HOLE, &r), NFS4ERR_NXIO);
	assert_int_equal(seek_op(&s, &o, UINT64_MAX, NFS4_CONTENT_DATA, &r), NFS4ERR_NXIO);
	/* No data after the offset: the end, not an error. */
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, 2 * K64, K64), NFS4_OK);
	assert_int_equal(seek_op(&s, &o, K64, NFS4_CONTENT_DATA, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.offset, 3 * K64);
	/* Neither data nor hole. */
	assert_int_equal(seek_op(&s, &o, 0, 7, &r), NFS4ERR_UNION_NOTSUPP);
	dl_client_end(&s, &svc);
}

static void test_seek_local(void **st) { check_seek("export"); }
static void test_seek_memory(void **st) { check_seek("mem"); }

static void check_read_plus(const char *dir)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client_in(&s, &svc, "readplus", dir);
	struct dl_open o = sparse_file(&s, dir, "readplus");
	struct rp_result r;
	assert_int_equal(read_plus(&s, &o, 0, 3 * K64, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.seg[0].type, NFS4_CONTENT_DATA);
	assert_int_equal(r.seg[0].offset, 0);
	assert_int_equal(r.seg[0].length, K64);
	assert_true(r.seg[0].uniform && r.seg[0].first == 0x11);
	assert_int_equal(r.seg[1].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[1].offset, K64);
	assert_int_equal(r.seg[1].length, K64);
	assert_int_equal(r.seg[2].type, NFS4_CONTENT_DATA);
	assert_int_equal(r.seg[2].offset, 2 * K64);
	assert_int_equal(r.seg[2].length, K64);
	assert_true(r.seg[2].uniform && r.seg[2].first == 0x33);
	/* Inside the hole: one hole segment, clipped to the range asked. */
	assert_int_equal(read_plus(&s, &o, K64 + 100, 1000, &r), NFS4_OK);
	assert_false(r.eof);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.seg[0].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[0].offset, K64 + 100);
	assert_int_equal(r.seg[0].length, 1000);
	/* Across a boundary, count respected. */
	assert_int_equal(read_plus(&s, &o, K64 - 10, 30, &r), NFS4_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.seg[0].length, 10);
	assert_int_equal(r.seg[1].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[1].length, 20);
	/* The last bytes: data to the end, eof. */
	assert_int_equal(read_plus(&s, &o, 3 * K64 - 4, 100, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.seg[0].length, 4);
	/* Past the end: nothing, eof. */
	assert_int_equal(read_plus(&s, &o, 10 * K64, 100, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.n, 0);
	dl_client_end(&s, &svc);
}

static void test_read_plus_local(void **st) { check_read_plus("export"); }
static void test_read_plus_memory(void **st) { check_read_plus("mem"); }

/* Whether the file system under the local export clones (FICLONERANGE). */
static bool host_can_clone(void)
{
	char a[300], b[300];
	snprintf(a, sizeof(a), "%s/export/.clone-probe-a", dl_dir);
	snprintf(b, sizeof(b), "%s/export/.clone-probe-b", dl_dir);
	int fa = open(a, O_RDWR | O_CREAT, 0644), fb = open(b, O_RDWR | O_CREAT, 0644);
	assert_true(fa >= 0 && fb >= 0);
	char buf[4096];
	memset(buf, 1, sizeof(buf));
	assert_int_equal(pwrite(fa, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	struct file_clone_range r = {.src_fd = fa, .src_offset = 0, .src_length = 4096};
	bool ok = ioctl(fb, FICLONERANGE, &r) == 0;
	close(fa);
	close(fb);
	unlink(a);
	unlink(b);
	return ok;
}

static void check_clone(const char *dir, bool can_clone)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client_in(&s, &svc, "clone", dir);
	struct dl_open src = sparse_file(&s, dir, "clone-src");
	struct dl_open dst = open_rw(&s, dir, "clone-dst");
	static const unsigned blk[] = {FATTR4_CLONE_BLKSIZE};
	struct nfs4_attrs a;
	getattrs(&s, &dst, blk, 1, &a);
	assert_true(a.clone_blksize >= 1);
	/* The range rules come first (RFC 7862 15.13.3), whatever the file
	 * system can do. */
	if (a.clone_blksize > 1)
		assert_int_equal(clone_op(&s, &src, &dst, 1, 0, a.clone_blksize), NFS4ERR_INVAL);
	assert_int_equal(clone_op(&s, &src, &dst, 0, 0, 4 * K64), NFS4ERR_INVAL);
	assert_int_equal(clone_op(&s, &src, &dst, 4 * K64, 0, 0), NFS4ERR_INVAL);
	assert_int_equal(clone_op(&s, &src, &src, 0, K64 / 2, K64), NFS4ERR_INVAL);
	uint32_t st = clone_op(&s, &src, &dst, 0, K64, 0); /* all of it, at 64K */
	if (!can_clone) {
		assert_int_equal(st, NFS4ERR_NOTSUPP);
		dl_client_end(&s, &svc);
		return;
	}
	assert_int_equal(st, NFS4_OK);
	struct rp_result r;
	assert_int_equal(read_plus(&s, &dst, 0, 4 * K64, &r), NFS4_OK);
	assert_true(r.eof);
	assert_int_equal(r.n, 4); /* the hole before, then the source's layout */
	assert_int_equal(r.seg[0].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[1].type, NFS4_CONTENT_DATA);
	assert_int_equal(r.seg[1].offset, K64);
	assert_true(r.seg[1].uniform && r.seg[1].first == 0x11);
	assert_int_equal(r.seg[2].type, NFS4_CONTENT_HOLE);
	assert_int_equal(r.seg[3].offset, 3 * K64);
	assert_true(r.seg[3].uniform && r.seg[3].first == 0x33);
	dl_client_end(&s, &svc);
}

static void test_clone_local(void **st) { check_clone("export", host_can_clone()); }
static void test_clone_memory(void **st) { check_clone("mem", true); }

static void test_clone_errors(void **st)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client(&s, &svc, "clone-errors");
	struct dl_open f = open_rw(&s, "export", "clone-e");
	struct dl_open m = open_rw(&s, "mem", "clone-e");
	/* Across exports. */
	assert_int_equal(clone_op(&s, &f, &m, 0, 0, 0), NFS4ERR_XDEV);
	/* No saved filehandle. */
	struct nfs4c_call c;
	struct nfs4c_reply p;
	begin_on(&s, &c, &f);
	struct nfs4_clone_args a = {f.stateid, f.stateid, 0, 0, 0};
	NFS4C_OP(&c, OP_CLONE, nfs4_enc_clone_args, &a);
	send_on(&s, &c, &p);
	assert_int_equal(nfs4c_next(&p, OP_CLONE), NFS4ERR_NOFILEHANDLE);
	nfs4c_done(&p);
	dl_client_end(&s, &svc);
}

/* A read-only export refuses what changes files before it looks further. */
static void test_read_only_export(void **st)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client(&s, &svc, "ro");
	struct dl_open o = dl_open_full(&s, "ro", "file",
					OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
					false, NULL, NULL, 0);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(space_op(&s, &o, OP_ALLOCATE, &o.stateid, 0, 1), NFS4ERR_ROFS);
	assert_int_equal(space_op(&s, &o, OP_DEALLOCATE, &o.stateid, 0, 1), NFS4ERR_ROFS);
	assert_int_equal(clone_op(&s, &o, &o, 0, 0, 0), NFS4ERR_ROFS);
	/* Reading ones work. */
	struct nfs4_seek_res r;
	assert_int_equal(seek_op(&s, &o, 0, NFS4_CONTENT_HOLE, &r), NFS4_OK);
	assert_int_equal(r.offset, 14);
	assert_true(r.eof);
	dl_client_end(&s, &svc);
}

static uint32_t io_advise(struct nfs4c_sess *s, const struct dl_open *o, const unsigned *hints,
			  unsigned n, struct nfs4_bitmap *got)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	struct nfs4_io_advise_args a;
	memset(&a, 0, sizeof(a));
	a.stateid = o->stateid;
	a.count = 4096;
	for (unsigned i = 0; i < n; i++)
		nfs4_bitmap_set(&a.hints, hints[i]);
	NFS4C_OP(&m, OP_IO_ADVISE, nfs4_enc_io_advise_args, &a);
	send_on(s, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_IO_ADVISE);
	if (st == NFS4_OK) {
		struct nfs4_io_advise_res r;
		assert_true(nfs4_dec_io_advise_res(&p.d, &r));
		*got = r.hints;
	}
	nfs4c_done(&p);
	return st;
}

static void test_io_advise(void **st)
{
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	v42_client(&s, &svc, "advise");
	struct dl_open o = sparse_file(&s, "export", "advise");
	struct nfs4_bitmap got;
	static const unsigned seq_will[] = {IO_ADVISE4_SEQUENTIAL, IO_ADVISE4_WILLNEED,
					    IO_ADVISE4_READ};
	assert_int_equal(io_advise(&s, &o, seq_will, 3, &got), NFS4_OK);
	assert_true(nfs4_bitmap_isset(&got, IO_ADVISE4_SEQUENTIAL));
	assert_true(nfs4_bitmap_isset(&got, IO_ADVISE4_WILLNEED));
	assert_false(nfs4_bitmap_isset(&got, IO_ADVISE4_READ)); /* no posix_fadvise for it */
	/* Contradictions are not taken. */
	static const unsigned both[] = {IO_ADVISE4_SEQUENTIAL, IO_ADVISE4_RANDOM,
					IO_ADVISE4_DONTNEED};
	assert_int_equal(io_advise(&s, &o, both, 3, &got), NFS4_OK);
	assert_false(nfs4_bitmap_isset(&got, IO_ADVISE4_SEQUENTIAL));
	assert_false(nfs4_bitmap_isset(&got, IO_ADVISE4_RANDOM));
	assert_true(nfs4_bitmap_isset(&got, IO_ADVISE4_DONTNEED));
	/* Memory has no cache to advise: nothing taken, no error. */
	struct dl_open mo = open_rw(&s, "mem", "advise");
	assert_int_equal(io_advise(&s, &mo, seq_will, 3, &got), NFS4_OK);
	for (unsigned i = 0; i < NFS4_BITMAP_WORDS; i++)
		assert_int_equal(got.w[i], 0);
	dl_client_end(&s, &svc);
}

/* ALLOCATE and DEALLOCATE change the file: another client's read
 * delegation is recalled and the change waits (NFS4ERR_DELAY), as for
 * WRITE.  The recall is a CB_COMPOUND of minor version 2. */
static void test_delegation_recalled(void **st)
{
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	v42_client(&a, &sa, "deleg-a");
	v42_client(&b, &sb, "deleg-b");
	/* A file each: no new delegation is granted on a file just
	 * recalled. */
	static const uint32_t ops[] = {OP_ALLOCATE, OP_DEALLOCATE};
	static const char *const names[] = {"deleg-alloc", "deleg-dealloc"};
	for (unsigned i = 0; i < 2; i++) {
		struct dl_open r = dl_open(&a, names[i], OPEN4_SHARE_ACCESS_READ, true);
		assert_int_equal(r.status, NFS4_OK);
		assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
		/* b has no open: the anonymous stateid, another client to
		 * every delegation. */
		struct dl_open w = r;
		memset(&w.stateid, 0, sizeof(w.stateid));
		unsigned before = nfs4c_cb_count(&sa, OP_CB_RECALL);
		assert_int_equal(space_op(&b, &w, ops[i], &w.stateid, 0, 4096), NFS4ERR_DELAY);
		assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, before + 1, 5000));
		/* The callback speaks the client's minor version: the Linux
		 * client finds no 4.2 session for a 4.1 CB_SEQUENCE. */
		struct nfs4c_cb_rec rec;
		assert_true(nfs4c_cb_get(&sa, OP_CB_RECALL, before, &rec));
		assert_int_equal(rec.minor, 2);
		assert_int_equal(dl_delegreturn(&a, &r), NFS4_OK);
		assert_int_equal(space_op(&b, &w, ops[i], &w.stateid, 0, 4096), NFS4_OK);
	}
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* The 4.2 attributes: offered in minor version 2 only; sec_label never. */
static void test_attributes(void **st)
{
	struct nfs4c_sess s, s41;
	struct nfs4c_cb svc, svc41;
	v42_client(&s, &svc, "attrs");
	dl_client_minor(&s41, &svc41, "attrs41", 0, 1);
	struct dl_open o = sparse_file(&s, "export", "attrs");
	static const unsigned bits[] = {FATTR4_SUPPORTED_ATTRS, FATTR4_SPACE_USED,
					FATTR4_CLONE_BLKSIZE,   FATTR4_SPACE_FREED,
					FATTR4_CHANGE_ATTR_TYPE};
	struct nfs4_attrs a;
	getattrs(&s, &o, bits, 5, &a);
	assert_true(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_CLONE_BLKSIZE));
	assert_true(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_SPACE_FREED));
	assert_true(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_CHANGE_ATTR_TYPE));
	assert_false(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_SEC_LABEL));
	assert_true(nfs4_bitmap_isset(&a.present, FATTR4_CLONE_BLKSIZE));
	assert_true(a.clone_blksize >= 512);
	assert_int_equal(a.space_freed, a.space_used);
	assert_int_equal(a.change_attr_type, NFS4_CHANGE_TYPE_IS_TIME_METADATA);
	struct dl_open mo = sparse_file(&s, "mem", "attrs");
	getattrs(&s, &mo, bits, 5, &a);
	assert_int_equal(a.change_attr_type, NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR);
	assert_int_equal(a.space_used, 2 * K64); /* the hole holds nothing */
	assert_int_equal(a.clone_blksize, 4096);

	/* In 4.1 they are not there, even when asked for. */
	struct dl_open o41 = dl_open(&s41, "attrs", OPEN4_SHARE_ACCESS_READ, false);
	assert_int_equal(o41.status, NFS4_OK);
	getattrs(&s41, &o41, bits, 5, &a);
	assert_false(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_CLONE_BLKSIZE));
	assert_false(nfs4_bitmap_isset(&a.present, FATTR4_CLONE_BLKSIZE));
	assert_false(nfs4_bitmap_isset(&a.present, FATTR4_SPACE_FREED));
	dl_client_end(&s, &svc);
	dl_client_end(&s41, &svc41);
}

/* SETATTR of mode_set_masked on o's file; its status. */
static uint32_t set_masked(struct nfs4c_sess *s, const struct dl_open *o, uint32_t value,
			   uint32_t mbits, bool with_mode)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin_on(s, &m, o);
	uint8_t vals[12];
	uint32_t n = 0;
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	if (with_mode) {
		nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
		xdr_put_be32(vals, 0600);
		n = 4;
	}
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE_SET_MASKED);
	xdr_put_be32(vals + n, value);
	xdr_put_be32(vals + n + 4, mbits);
	a.attrs.vals = (struct nfs4_opaque){vals, n + 8};
	NFS4C_OP(&m, OP_SETATTR, nfs4_enc_setattr_args, &a);
	send_on(s, &m, &p);
	uint32_t st = nfs4c_next(&p, OP_SETATTR);
	nfs4c_done(&p);
	return st;
}

static uint32_t mode_of(struct nfs4c_sess *s, const struct dl_open *o)
{
	static const unsigned bits[] = {FATTR4_MODE};
	struct nfs4_attrs a;
	getattrs(s, o, bits, 1, &a);
	return a.mode;
}

/* mode_set_masked (RFC 8881 6.2.4) changes the bits of the mask only; it
 * is write-only, offered in 4.2, and refused beside mode. */
static void test_mode_set_masked(void **st)
{
	struct nfs4c_sess s, s41;
	struct nfs4c_cb svc, svc41;
	v42_client(&s, &svc, "masked");
	dl_client_minor(&s41, &svc41, "masked41", 0, 1);
	struct dl_open o = open_rw(&s, "export", "masked");
	assert_int_equal(mode_of(&s, &o), 0666);
	/* Group and other lose write, the owner's bits stay. */
	assert_int_equal(set_masked(&s, &o, 0, 0022, false), NFS4_OK);
	assert_int_equal(mode_of(&s, &o), 0644);
	assert_int_equal(set_masked(&s, &o, 0100, 0111, false), NFS4_OK);
	assert_int_equal(mode_of(&s, &o), 0744);
	assert_int_equal(set_masked(&s, &o, 0, 0022, true), NFS4ERR_INVAL);
	assert_int_equal(set_masked(&s, &o, 010000, 010000, false), NFS4ERR_INVAL);
	assert_int_equal(mode_of(&s, &o), 0744);
	/* Never returned by GETATTR; in 4.1 not an attribute Ferry has. */
	static const unsigned bits[] = {FATTR4_MODE_SET_MASKED, FATTR4_SUPPORTED_ATTRS};
	struct nfs4_attrs a;
	getattrs(&s, &o, bits, 2, &a);
	assert_false(nfs4_bitmap_isset(&a.present, FATTR4_MODE_SET_MASKED));
	assert_true(nfs4_bitmap_isset(&a.supported_attrs, FATTR4_MODE_SET_MASKED));
	struct dl_open o41 = dl_open(&s41, "masked", OPEN4_SHARE_ACCESS_READ, false);
	assert_int_equal(o41.status, NFS4_OK);
	assert_int_equal(set_masked(&s41, &o41, 0, 0022, false), NFS4ERR_ATTRNOTSUPP);
	dl_client_end(&s, &svc);
	dl_client_end(&s41, &svc41);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocate_local),
		cmocka_unit_test(test_allocate_memory),
		cmocka_unit_test(test_allocate_openmode),
		cmocka_unit_test(test_deallocate_local),
		cmocka_unit_test(test_deallocate_memory),
		cmocka_unit_test(test_seek_local),
		cmocka_unit_test(test_seek_memory),
		cmocka_unit_test(test_read_plus_local),
		cmocka_unit_test(test_read_plus_memory),
		cmocka_unit_test(test_clone_local),
		cmocka_unit_test(test_clone_memory),
		cmocka_unit_test(test_clone_errors),
		cmocka_unit_test(test_read_only_export),
		cmocka_unit_test(test_io_advise),
		cmocka_unit_test(test_delegation_recalled),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_mode_set_masked),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
