/* Large READs and WRITEs through a real ferryd on loopback, with the file
 * changing under them on the host.
 *
 * Ferry serves a READ of 64 KiB or more by handing the file's pages to the
 * socket (file -> pipe -> socket, the pipe holding page references until
 * the reply is written; to a client on another host by default, and here
 * always, or as FERRY_TEST_SPLICE_READS says), to a client on this host by
 * having the kernel copy them into the socket from a mapping of the file
 * (FERRY_TEST_MAP_READS=no: read into the reply first), and a large WRITE
 * by taking the socket's bytes into a pipe and from there into the file.
 * Whatever path serves them, these tests hold the protocol to what a
 * client sees:
 *  - READ around and past the end of the file, of a sparse file, and
 *    several READs of odd lengths in one COMPOUND: the count, eof and
 *    every byte, the XDR padding, and the connection's record framing
 *    after short replies;
 *  - READs pipelined while the host truncates and refills the file: every
 *    reply well formed, its bytes the file's pattern or zeros, never past
 *    the largest size the file had, and the connection still in step;
 *  - READs whose replies wait unread in the server while the host breaks
 *    the server's kernel lease and overwrites the file: every 4 KiB block
 *    entirely the old or the new data (from a mapping: every byte), the
 *    host writer not held past the recall;
 *  - a READ replayed from the v4.1 slot cache (as large as the session's
 *    ca_maxresponsesize_cached lets it be) or a 1 MiB READ from the v4.0
 *    duplicate request cache, after the file changed: the very bytes of
 *    the first reply; NFS4ERR_RETRY_UNCACHED_REP for a retry that was not
 *    kept;
 *  - a 1 MiB WRITE whose connection dies with the record incomplete
 *    (close, half close, reset): nothing of it reaches the file; sent
 *    whole, or in small pieces with pauses, it lands exactly. */

#include <pthread.h>

#include "lib/ctl_test.h"
#include "proto/deleg_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "lib/rpctest.h"
#include "rpc/record.h"

enum {
	KIB = 1024,
	MIB = 1024 * 1024,
	UNALIGNED_OFF = 4096 * 3 + 123,
	UID = 962, /* owns the test files: SETATTR by the owner succeeds */
	RD = OPEN4_SHARE_ACCESS_READ,
	RACE_INFLIGHT = 8, /* READs in flight together on one connection */
};

/* --- data patterns ------------------------------------------------------------------- */

/* Byte at offset off of pattern gen: never zero (a zero is a hole or a
 * truncated range), different from one gen to the next almost everywhere. */
static uint8_t pat(uint64_t off, unsigned gen)
{
	uint32_t x = (uint32_t)(off ^ (off >> 12) * 0x45d9f3bu) + gen * 0x9e3779b9u;
	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (uint8_t)(x % 255 + 1);
}

static void fill(uint8_t *b, uint64_t off, size_t len, unsigned gen)
{
	for (size_t i = 0; i < len; i++)
		b[i] = pat(off + i, gen);
}

/* Fails at the first byte of data (file offset off) that is not pattern
 * gen. */
static void check_pat(const uint8_t *data, uint64_t off, size_t len, unsigned gen)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] != pat(off + i, gen))
			fail_msg("byte at offset %llu is 0x%02x, pattern %u has 0x%02x",
				 (unsigned long long)(off + i), data[i], gen, pat(off + i, gen));
}

/* --- the file on the host ------------------------------------------------------------- */

static void host_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/export/%s", dl_dir, name);
}

/* name, size bytes of pattern gen, mode 0666, owned by UID. */
static void host_fill(const char *name, size_t size, unsigned gen)
{
	char path[400];
	host_path(path, sizeof(path), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	assert_int_equal(fchown(fd, UID, UID), 0);
	uint8_t *b = malloc(size ? size : 1);
	assert_non_null(b);
	fill(b, 0, size, gen);
	assert_int_equal(write(fd, b, size), (ssize_t)size);
	free(b);
	close(fd);
}

/* The whole file as the host sees it; *size its length. */
static uint8_t *host_read(const char *name, size_t *size)
{
	char path[400];
	host_path(path, sizeof(path), name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	*size = (size_t)sb.st_size;
	uint8_t *b = malloc(*size + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, *size, 0), (ssize_t)*size);
	close(fd);
	return b;
}

/* The host's file is exactly want[0..size). */
static void host_expect(const char *name, const uint8_t *want, size_t size)
{
	size_t got_size;
	uint8_t *got = host_read(name, &got_size);
	assert_int_equal(got_size, size);
	for (size_t i = 0; i < size; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte at offset %zu is 0x%02x, expected 0x%02x", name, i,
				 got[i], want[i]);
	free(got);
}

/* --- sessions, READ and WRITE ------------------------------------------------------ */

static const struct rpc_cred *cred(void) { return nfs4c_cred(UID); }

/* A v4.1 client on a connection of its own whose session carries 1 MiB
 * READs and WRITEs and keeps replies as large as the server allows. */
static void big_sess(struct nfs4c_sess *s, const char *name)
{
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_attrs a;
	nfs4c_default_attrs(&a);
	a.maxreq = 2 * MIB;
	a.maxresp = 2 * MIB;
	a.maxcached = 2 * MIB;
	a.maxreqs = 16;
	nfs4c_session_up(s, fd, UID, name, &a);
	assert_true(s->nslots >= RACE_INFLIGHT + 2);
	assert_true(s->fore.maxresp >= MIB + 1024);
	assert_true(s->fore.maxreq >= MIB + 1024);
}

static void sess_end(struct nfs4c_sess *s)
{
	assert_int_equal(nfs4c_destroy_session(s), NFS4_OK);
	close(s->fd);
}

/* The file handle of the export's file name. */
static void lookup_fh(struct nfs4c_sess *s, const char *name, uint8_t *fh, uint32_t *fhlen)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, name);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p.d, &g));
	memcpy(fh, g.fh.data, g.fh.len);
	*fhlen = g.fh.len;
	nfs4c_done(&p);
}

/* READ with the anonymous stateid. */
static void add_read(struct nfs4c_call *m, uint64_t off, uint32_t count)
{
	struct nfs4_read_args r;
	memset(&r, 0, sizeof(r));
	r.offset = off;
	r.count = count;
	NFS4C_OP(m, OP_READ, nfs4_enc_read_args, &r);
}

/* SEQUENCE (slot, cachethis), PUTFH, READ: the COMPOUND4args bytes. */
static struct buf *read_call(struct nfs4c_sess *s, uint32_t slot, bool cachethis,
			     const uint8_t *fh, uint32_t fhlen, uint64_t off, uint32_t count)
{
	struct nfs4c_call m;
	nfs4c_begin_seq(s, &m, slot, cachethis);
	nfs4c_putfh(&m, fh, fhlen);
	add_read(&m, off, count);
	return nfs4c_call_bytes(&m);
}

/* A READ's result. */
struct rd {
	bool eof;
	uint32_t len;
	const uint8_t *data; /* in the reply */
};

/* The results of a reply to read_call: SEQUENCE, PUTFH and READ all
 * NFS4_OK, and nothing after READ's data (the framing is exact). */
static void read_result(struct nfs4c_reply *p, struct rd *out)
{
	assert_int_equal(p->status, NFS4_OK);
	assert_int_equal(p->nres, 3);
	assert_int_equal(nfs4c_seq_result(p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(p, OP_READ), NFS4_OK);
	struct nfs4_read_res r;
	assert_true(nfs4_dec_read_res(&p->d, &r));
	out->eof = r.eof;
	out->len = r.data.len;
	out->data = r.data.data;
	assert_int_equal(xdr_dec_remaining(&p->d), 0);
}

/* Sends args (a COMPOUND4args) with xid on fd and takes the reply. */
static void call_xid(int fd, uint32_t xid, const struct buf *args, struct nfs4c_reply *p)
{
	struct rpctest_reply r;
	assert_int_equal(nfs4c_rpc(fd, xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND, cred(),
				   args->data, args->len, &r),
			 0);
	assert_int_equal(r.xid, xid);
	assert_int_equal(nfs4c_reply_take(&r, p), 0);
}

/* READ count at off on slot 0; the reply stays in *p (nfs4c_done). */
static void read41(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint64_t off,
		   uint32_t count, struct nfs4c_reply *p, struct rd *out)
{
	struct nfs4c_call m;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	add_read(&m, off, count);
	nfs4c_send(s->fd, s->cred, &m, p);
	read_result(p, out);
}

/* What a READ of count at off returns of a file of size bytes. */
static uint64_t expect_len(uint64_t off, uint64_t count, uint64_t size)
{
	return off >= size ? 0 : size - off < count ? size - off : count;
}

/* READ count at off of a file of size bytes of pattern gen: exactly the
 * bytes to the end, eof when the range reaches it (RFC 8881 18.22.3). */
static void read_expect(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen, uint64_t off,
			uint32_t count, uint64_t size, unsigned gen)
{
	struct nfs4c_reply p;
	struct rd r;
	read41(s, fh, fhlen, off, count, &p, &r);
	uint64_t want = expect_len(off, count, size);
	if (r.len != want || r.eof != (off + want >= size))
		fail_msg("READ %u at %llu of a %llu-byte file: %u bytes, eof %d; expected %llu, "
			 "eof %d",
			 count, (unsigned long long)off, (unsigned long long)size, r.len, r.eof,
			 (unsigned long long)want, off + want >= size);
	check_pat(r.data, off, r.len, gen);
	nfs4c_done(&p);
}

/* Reads the whole file (1 MiB at a time) and compares it with want. */
static void nfs_expect(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
		       const uint8_t *want, size_t size)
{
	uint64_t off = 0;
	for (;;) {
		struct nfs4c_reply p;
		struct rd r;
		read41(s, fh, fhlen, off, MIB, &p, &r);
		assert_true(off + r.len <= size);
		if (memcmp(r.data, want + off, r.len) != 0)
			fail_msg("READ at %llu differs from the file",
				 (unsigned long long)off);
		off += r.len;
		bool eof = r.eof;
		nfs4c_done(&p);
		if (eof)
			break;
		assert_true(r.len > 0);
	}
	assert_int_equal(off, size);
}

/* GETATTR size over the session. */
static uint64_t getattr_size(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen)
{
	static const unsigned bits[] = {FATTR4_SIZE};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	nfs4c_getattr(&m, bits, 1);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res g;
	assert_true(nfs4_dec_getattr_res(&p.d, &g));
	assert_int_equal(g.attrs.vals.len, 8);
	struct xdr_dec d;
	xdr_dec_init(&d, g.attrs.vals.data, 8);
	uint64_t size = 0;
	assert_true(xdr_decode_u64(&d, &size));
	nfs4c_done(&p);
	return size;
}

/* One record holding the CALL of args with xid (record mark included). */
static struct buf *record_of(uint32_t xid, const struct buf *args)
{
	struct buf *call = rpctest_build_call(xid, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
					      cred(), args->data, args->len);
	assert_non_null(call);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, call->len + 4, call->len + 4));
	rpctest_append_record(&e, call->data, call->len);
	assert_false(e.overflow);
	buf_unref(call);
	return xdr_enc_take(&e);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static unsigned uniq;

/* A client name no other test of the run uses. */
static const char *client_name(const char *what)
{
	static char name[64];
	snprintf(name, sizeof(name), "lio-%s-%u-%u", what, (unsigned)getpid(), ++uniq);
	return name;
}

/* Sends a 1 MiB READ at off on slot as one record with xid; the reply is
 * read later (rpctest_recv_reply). */
static void send_read(struct nfs4c_sess *s, uint32_t slot, const uint8_t *fh, uint32_t fhlen,
		      uint64_t off, uint32_t xid)
{
	struct buf *args = read_call(s, slot, false, fh, fhlen, off, MIB);
	struct buf *rec = record_of(xid, args);
	assert_int_equal(rpctest_send_raw(s->fd, rec->data, rec->len), 0);
	buf_unref(rec);
	buf_unref(args);
}

/* --- 1. READ around the end of the file ---------------------------------------------- */

enum { EOF_SIZE = MIB + 1000, GEN_EOF = 1 };

/* How the server sends large READ data ([rpc] splice_reads): "always"
 * by default here, so that the pipe path is the one under test, or what
 * FERRY_TEST_SPLICE_READS says (ctest runs the suite again with "remote",
 * the default, which copies to this loopback client). */
static const char *splice_reads(void)
{
	const char *mode = getenv("FERRY_TEST_SPLICE_READS");
	return mode && *mode ? mode : "always";
}

/* Whether large READ data to this client goes from a mapping of the
 * file ([rpc] map_reads, on by default; FERRY_TEST_MAP_READS=no turns it
 * off) rather than a pipe or a copy. */
static bool map_reads(void)
{
	const char *v = getenv("FERRY_TEST_MAP_READS");
	return strcmp(splice_reads(), "always") != 0 && !(v && strcmp(v, "no") == 0);
}

/* Bytes of READ data the server sent from a pipe, and from a mapping. */
static double spliced_bytes(void)
{
	return ctlt_metric_now(&server, "ferry_rpc_spliced_reply_bytes_total");
}

static double mapped_bytes(void)
{
	return ctlt_metric_now(&server, "ferry_rpc_mapped_reply_bytes_total");
}

static void test_read_past_eof(void **st)
{
	(void)st;
	host_fill("eof", EOF_SIZE, GEN_EOF);
	host_fill("empty", 0, GEN_EOF);
	struct nfs4c_sess s;
	big_sess(&s, client_name("eof"));
	uint8_t fh[NFS4_FHSIZE], efh[NFS4_FHSIZE];
	uint32_t fhlen, efhlen;
	lookup_fh(&s, "eof", fh, &fhlen);
	lookup_fh(&s, "empty", efh, &efhlen);

	/* Whole, then short at the end (eof), ending exactly at the end
	 * (eof), unaligned, 256 KiB inside.  The whole one went through a
	 * pipe, not memory, unless splice_reads keeps pipes from clients on
	 * this host: then from a mapping (map_reads), or copied. */
	double before = spliced_bytes(), mapped_before = mapped_bytes();
	read_expect(&s, fh, fhlen, 0, MIB, EOF_SIZE, GEN_EOF);
	if (strcmp(splice_reads(), "always") == 0)
		assert_true(spliced_bytes() - before >= MIB);
	else
		assert_true(spliced_bytes() == before);
	if (map_reads())
		assert_true(mapped_bytes() - mapped_before >= MIB);
	else
		assert_true(mapped_bytes() == mapped_before);
	read_expect(&s, fh, fhlen, 512 * KIB, MIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, 1000, MIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, UNALIGNED_OFF, MIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, UNALIGNED_OFF, 256 * KIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, MIB - 256 * KIB + 1, 256 * KIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, EOF_SIZE - 1, MIB, EOF_SIZE, GEN_EOF);
	/* At the end and far past it: nothing, eof. */
	read_expect(&s, fh, fhlen, EOF_SIZE, MIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, EOF_SIZE + UNALIGNED_OFF, MIB, EOF_SIZE, GEN_EOF);
	read_expect(&s, fh, fhlen, 1ull << 40, MIB, EOF_SIZE, GEN_EOF);
	/* An empty file. */
	read_expect(&s, efh, efhlen, 0, MIB, 0, GEN_EOF);
	read_expect(&s, efh, efhlen, UNALIGNED_OFF, 256 * KIB, 0, GEN_EOF);

	/* The connection is in step after the short and empty replies. */
	assert_int_equal(getattr_size(&s, fh, fhlen), EOF_SIZE);
	assert_int_equal(getattr_size(&s, efh, efhlen), 0);
	read_expect(&s, fh, fhlen, 4096, MIB, EOF_SIZE, GEN_EOF);
	sess_end(&s);
}

/* The same short READs pipelined in v4.0 on one connection, replies read
 * after all were sent: every reply in its own record, whole. */
static void test_read_past_eof_pipelined(void **st)
{
	(void)st;
	host_fill("eof", EOF_SIZE, GEN_EOF);
	static const uint64_t offs[] = {0,       512 * KIB,      1000,       UNALIGNED_OFF,
					EOF_SIZE - 1, EOF_SIZE, EOF_SIZE + 7, 1ull << 40};
	enum { N = sizeof(offs) / sizeof(offs[0]) };
	int fd = nfs4c_connect(server.hostport);
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 64 * KIB, 4 * MIB));
	for (unsigned i = 0; i < N; i++) {
		struct nfs4c_call m;
		nfs4c_begin(&m, 0);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_lookup(&m, "eof");
		add_read(&m, offs[i], MIB);
		struct buf *args = nfs4c_call_bytes(&m);
		struct buf *rec = record_of(0x1e0f0000u + i, args);
		uint8_t *p = xdr_enc_reserve(&e, rec->len);
		assert_non_null(p);
		memcpy(p, rec->data, rec->len);
		buf_unref(rec);
		buf_unref(args);
	}
	assert_int_equal(rpctest_send_raw(fd, e.buf->data, xdr_enc_len(&e)), 0);
	xdr_enc_release(&e);
	for (unsigned n = 0; n < N; n++) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(fd, &r, 10000), 0);
		uint32_t i = r.xid - 0x1e0f0000u;
		assert_true(i < N);
		struct nfs4c_reply p;
		assert_int_equal(nfs4c_reply_take(&r, &p), 0);
		assert_int_equal(p.status, NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
		struct nfs4_read_res rr;
		assert_true(nfs4_dec_read_res(&p.d, &rr));
		assert_int_equal(xdr_dec_remaining(&p.d), 0);
		uint64_t off = offs[i];
		uint64_t want = expect_len(off, MIB, EOF_SIZE);
		assert_int_equal(rr.data.len, want);
		assert_int_equal(rr.eof, off + want >= EOF_SIZE);
		check_pat(rr.data.data, off, rr.data.len, GEN_EOF);
		nfs4c_done(&p);
	}
	assert_true(rpctest_nothing_pending(fd));
	close(fd);
}

/* Several large READs in one COMPOUND, of lengths that need XDR padding,
 * with a GETATTR after them: each READ's data where its result says, the
 * padding and the results that follow in place. */
static void test_reads_in_one_compound(void **st)
{
	(void)st;
	host_fill("eof", EOF_SIZE, GEN_EOF);
	struct nfs4c_sess s;
	big_sess(&s, client_name("multi"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&s, "eof", fh, &fhlen);
	static const struct {
		uint64_t off;
		uint32_t count;
	} reads[] = {
		{UNALIGNED_OFF, 256 * KIB + 3},
		{512 * KIB + 1, 300001},
		{EOF_SIZE - 4097, 64 * KIB}, /* short: 4097 bytes, eof */
		{EOF_SIZE + 1, 64 * KIB},    /* past the end */
		{0, 128 * KIB + 2},
	};
	enum { N = sizeof(reads) / sizeof(reads[0]) };
	static const unsigned bits[] = {FATTR4_SIZE};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	for (unsigned i = 0; i < N; i++)
		add_read(&m, reads[i].off, reads[i].count);
	nfs4c_getattr(&m, bits, 1);
	nfs4c_send(s.fd, s.cred, &m, &p);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(p.nres, N + 3);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
		struct nfs4_read_res r;
		assert_true(nfs4_dec_read_res(&p.d, &r));
		uint64_t off = reads[i].off;
		uint64_t want = expect_len(off, reads[i].count, EOF_SIZE);
		assert_int_equal(r.data.len, want);
		assert_int_equal(r.eof, off + want >= EOF_SIZE);
		check_pat(r.data.data, off, r.data.len, GEN_EOF);
	}
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res g;
	assert_true(nfs4_dec_getattr_res(&p.d, &g));
	assert_int_equal(g.attrs.vals.len, 8);
	assert_int_equal(xdr_dec_remaining(&p.d), 0);
	nfs4c_done(&p);
	read_expect(&s, fh, fhlen, 0, MIB, EOF_SIZE, GEN_EOF);
	sess_end(&s);
}

/* A sparse file: 1 MiB READs across its holes give zeros there and the
 * data around them. */
static void test_read_sparse(void **st)
{
	(void)st;
	enum { SPARSE_SIZE = 3 * MIB + 777 };
	char path[400];
	host_path(path, sizeof(path), "sparse");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SPARSE_SIZE), 0);
	uint8_t *want = calloc(1, SPARSE_SIZE);
	assert_non_null(want);
	/* Data at [100 KiB, 300 KiB + 5), [1 MiB + 3, 2 MiB - 64 KiB) and
	 * the last 777 bytes; holes elsewhere. */
	static const struct {
		uint64_t off, len;
	} runs[] = {{100 * KIB, 200 * KIB + 5},
		    {MIB + 3, MIB - 64 * KIB - 3},
		    {3 * MIB, 777}};
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		fill(want + runs[i].off, runs[i].off, runs[i].len, GEN_EOF);
		assert_int_equal(pwrite(fd, want + runs[i].off, runs[i].len, (off_t)runs[i].off),
				 (ssize_t)runs[i].len);
	}
	close(fd);
	struct nfs4c_sess s;
	big_sess(&s, client_name("sparse"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&s, "sparse", fh, &fhlen);
	nfs_expect(&s, fh, fhlen, want, SPARSE_SIZE);
	static const uint64_t offs[] = {UNALIGNED_OFF, 2 * MIB - 64 * KIB - 1, 2 * MIB + 5,
					3 * MIB - 100};
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct nfs4c_reply p;
		struct rd r;
		read41(&s, fh, fhlen, offs[i], MIB, &p, &r);
		uint64_t n = expect_len(offs[i], MIB, SPARSE_SIZE);
		assert_int_equal(r.len, n);
		assert_int_equal(r.eof, offs[i] + n >= SPARSE_SIZE);
		assert_memory_equal(r.data, want + offs[i], n);
		nfs4c_done(&p);
	}
	free(want);
	sess_end(&s);
}

/* --- 2. READs racing a truncate on the host --------------------------------------- */

enum { GEN_RACE = 2, RACE_MS = 2500 };

struct truncater {
	char path[400];
	_Atomic int stop;
	unsigned rounds;
};

/* Truncates the file to 0 and fills it again to 1 MiB in 64 KiB pieces
 * (every other round extended with zeros first), until stopped; a round
 * is always finished: the file ends whole. */
static void *truncate_loop(void *arg)
{
	struct truncater *t = arg;
	int fd = open(t->path, O_RDWR);
	uint8_t *b = malloc(MIB);
	if (fd < 0 || !b)
		abort();
	fill(b, 0, MIB, GEN_RACE);
	while (!atomic_load(&t->stop)) {
		if (ftruncate(fd, 0) != 0)
			abort();
		if ((t->rounds & 1) && ftruncate(fd, MIB) != 0)
			abort();
		for (size_t off = 0; off < MIB; off += 64 * KIB)
			if (pwrite(fd, b + off, 64 * KIB, (off_t)off) != 64 * KIB)
				abort();
		t->rounds++;
	}
	free(b);
	close(fd);
	return NULL;
}

static void test_read_racing_truncate(void **st)
{
	(void)st;
	host_fill("race", MIB, GEN_RACE);
	struct nfs4c_sess s;
	big_sess(&s, client_name("race"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&s, "race", fh, &fhlen);

	struct truncater t = {.stop = 0};
	host_path(t.path, sizeof(t.path), "race");
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, truncate_loop, &t), 0);

	/* Offsets inside, unaligned, at the largest size and past it. */
	static const uint64_t offs[] = {0,         UNALIGNED_OFF, 256 * KIB, 512 * KIB + 1,
					MIB - 100, MIB,           MIB + UNALIGNED_OFF};
	enum { NOFFS = sizeof(offs) / sizeof(offs[0]) };
	const uint32_t base_xid = 0x7ace0000u;
	uint64_t sent_off[RACE_INFLIGHT];
	uint32_t sent_count[RACE_INFLIGHT];
	unsigned nsent = 0, nrecv = 0, full = 0, shortr = 0, empty = 0, zeros = 0;
	/* One READ in flight on each slot 1..RACE_INFLIGHT; a reply frees its
	 * slot for the next. */
	struct buf *args;
	for (uint32_t k = 0; k < RACE_INFLIGHT; k++) {
		sent_off[k] = offs[nsent % NOFFS];
		sent_count[k] = nsent % 3 == 2 ? 256 * KIB : MIB;
		args = read_call(&s, k + 1, false, fh, fhlen, sent_off[k], sent_count[k]);
		struct buf *rec = record_of(base_xid + k, args);
		assert_int_equal(rpctest_send_raw(s.fd, rec->data, rec->len), 0);
		buf_unref(rec);
		buf_unref(args);
		nsent++;
	}
	uint64_t end = dl_now_ms() + RACE_MS;
	unsigned inflight = RACE_INFLIGHT;
	while (inflight > 0) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(s.fd, &r, 10000), 0);
		uint32_t k = r.xid - base_xid;
		assert_true(k < RACE_INFLIGHT);
		struct nfs4c_reply p;
		assert_int_equal(nfs4c_reply_take(&r, &p), 0);
		struct rd rd;
		read_result(&p, &rd);
		uint64_t off = sent_off[k];
		uint32_t count = sent_count[k];
		/* At most what was asked, never past the largest size the file
		 * had; past that, nothing and eof. */
		bool beyond = rd.len && off + rd.len > MIB;
		bool past_end = off >= MIB && (rd.len || !rd.eof);
		if (rd.len > count || beyond || past_end)
			fail_msg("READ %u at %llu of a file never over %u bytes: %u bytes, eof %d",
				 count, (unsigned long long)off, MIB, rd.len, rd.eof);
		/* Every byte the file's pattern or a zero of a truncated or
		 * extended range. */
		for (uint32_t i = 0; i < rd.len; i++) {
			if (rd.data[i] == 0) {
				zeros++;
				continue;
			}
			if (rd.data[i] != pat(off + i, GEN_RACE))
				fail_msg("READ %u at %llu: byte %u is 0x%02x, neither the "
					 "pattern's 0x%02x nor zero",
					 count, (unsigned long long)off, i, rd.data[i],
					 pat(off + i, GEN_RACE));
		}
		if (rd.len == count)
			full++;
		else if (rd.len == 0)
			empty++;
		else
			shortr++;
		nfs4c_done(&p);
		nrecv++;
		inflight--;
		if (dl_now_ms() < end) {
			sent_off[k] = offs[nsent % NOFFS];
			sent_count[k] = nsent % 3 == 2 ? 256 * KIB : MIB;
			args = read_call(&s, k + 1, false, fh, fhlen, sent_off[k], sent_count[k]);
			struct buf *rec = record_of(base_xid + k, args);
			assert_int_equal(rpctest_send_raw(s.fd, rec->data, rec->len), 0);
			buf_unref(rec);
			buf_unref(args);
			nsent++;
			inflight++;
		}
	}
	atomic_store(&t.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	fprintf(stderr,
		"# %u READs during %u truncations: %u whole, %u short, %u empty; %u zero "
		"bytes\n",
		nrecv, t.rounds, full, shortr, empty, zeros);
	assert_true(t.rounds >= 2);
	assert_true(nrecv >= 2 * RACE_INFLIGHT);

	/* Still in step: the whole file, exactly, and its size. */
	assert_true(rpctest_nothing_pending(s.fd));
	read_expect(&s, fh, fhlen, 0, MIB, MIB, GEN_RACE);
	read_expect(&s, fh, fhlen, UNALIGNED_OFF, 256 * KIB, MIB, GEN_RACE);
	assert_int_equal(getattr_size(&s, fh, fhlen), MIB);
	sess_end(&s);
}

/* --- 3. READ replies waiting while the lease breaks ------------------------------- */

enum { GEN_LEASE_OLD = 3, GEN_LEASE_NEW = 4, LEASE_READS = 8, LEASE_LATE = 4 };

struct host_writer {
	char path[400];
	uint64_t t_start, t_done;
	_Atomic uint64_t t_open; /* 0 until open(2) returned */
	int err;
};

/* Opens the file for writing (which waits for the server's lease to go)
 * and overwrites it with the new pattern. */
static void *host_write_main(void *arg)
{
	struct host_writer *w = arg;
	uint8_t *b = malloc(MIB);
	if (!b)
		abort();
	fill(b, 0, MIB, GEN_LEASE_NEW);
	w->t_start = dl_now_ms();
	int fd = open(w->path, O_WRONLY);
	w->t_open = dl_now_ms();
	if (fd < 0) {
		w->err = errno;
		free(b);
		return NULL;
	}
	if (pwrite(fd, b, MIB, 0) != MIB)
		w->err = errno ? errno : EIO;
	close(fd);
	w->t_done = dl_now_ms();
	free(b);
	return NULL;
}

static long lease_break_s(void)
{
	FILE *f = fopen("/proc/sys/fs/lease-break-time", "r");
	long v = 45;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 45;
		fclose(f);
	}
	return v;
}

/* On file name (a fresh one: the server grants no delegation of a file
 * just changed on the host).  answer: A returns the delegation when
 * recalled; else A's back channel stays silent and the server revokes the
 * delegation when the recall times out. */
static void lease_case(const char *name, bool answer)
{
	host_fill(name, MIB, GEN_LEASE_OLD);
	/* A holds a read delegation: the server holds a kernel lease. */
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, client_name("holder"), UID);
	struct dl_open o = dl_open(&a, name, RD, false);
	assert_int_equal(o.status, NFS4_OK);
	assert_int_equal(o.deleg.type, OPEN_DELEGATE_READ);
	if (!answer) {
		pthread_mutex_lock(&sa.lock);
		sa.silent = true;
		pthread_mutex_unlock(&sa.lock);
	}

	/* B pipelines 1 MiB READs and reads none of the replies yet. */
	struct nfs4c_sess b;
	big_sess(&b, client_name("reader"));
	static const uint64_t offs[LEASE_READS + LEASE_LATE] = {
		0, UNALIGNED_OFF, 0, 256 * KIB + 7, 0, 4096, MIB / 2, 0, 0, UNALIGNED_OFF, 0, 8191};
	const uint32_t base_xid = 0x1ea50000u;
	assert_true(b.nslots > LEASE_READS + LEASE_LATE);
	for (uint32_t k = 0; k < LEASE_READS; k++)
		send_read(&b, k + 1, o.fh, o.fhlen, offs[k], base_xid + k);
	sleep_ms(300);

	/* The host writer breaks the lease and waits in open(2); A is
	 * recalled.  While the delegation is out the writer stays held (the
	 * lease is real) and more READs are queued behind the first. */
	unsigned before = nfs4c_cb_count(&sa, OP_CB_RECALL);
	struct host_writer w = {.err = 0};
	host_path(w.path, sizeof(w.path), name);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, host_write_main, &w), 0);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_RECALL, before + 1, 5000));
	assert_true(nfs4c_cb_recalled(&sa, &o.deleg.stateid));
	for (uint32_t k = LEASE_READS; k < LEASE_READS + LEASE_LATE; k++)
		send_read(&b, k + 1, o.fh, o.fhlen, offs[k], base_xid + k);
	uint64_t t_return = 0;
	if (answer) {
		sleep_ms(200);
		assert_int_equal(atomic_load(&w.t_open), 0);
		t_return = dl_now_ms();
		assert_int_equal(dl_delegreturn(&a, &o), NFS4_OK);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.err, 0);
	long brk = lease_break_s();
	fprintf(stderr, "# host writer (%s): open %llu ms after it began, done after %llu ms "
			"(lease break time %ld s)\n",
		answer ? "delegation returned" : "recall unanswered",
		(unsigned long long)(w.t_open - w.t_start),
		(unsigned long long)(w.t_done - w.t_start), brk);
	if (answer)
		assert_true(w.t_open >= t_return);
	assert_true(w.t_done - w.t_start < (uint64_t)(brk < 10 ? brk : 10) * 1000);

	/* Every reply whole, each 4 KiB block of the file entirely the old or
	 * the new data.  Data sent from a mapping is the file's as the kernel
	 * copies it into the socket, which it does as the unread socket makes
	 * room, while the writer writes: every byte the old or the new data,
	 * and a block may hold both where a copy stopped (as knfsd's spliced
	 * READs, which a writer changes until they are sent). */
	bool by_byte = map_reads();
	unsigned old_blocks = 0, new_blocks = 0, mixed_blocks = 0;
	for (unsigned n = 0; n < LEASE_READS + LEASE_LATE; n++) {
		struct rpctest_reply r;
		assert_int_equal(rpctest_recv_reply(b.fd, &r, 10000), 0);
		uint32_t k = r.xid - base_xid;
		assert_true(k < LEASE_READS + LEASE_LATE);
		struct nfs4c_reply p;
		assert_int_equal(nfs4c_reply_take(&r, &p), 0);
		struct rd rd;
		read_result(&p, &rd);
		uint64_t off = offs[k];
		uint64_t want = MIB - off < MIB ? MIB - off : MIB;
		assert_int_equal(rd.len, want);
		assert_int_equal(rd.eof, off + want >= MIB);
		uint64_t pos = off;
		while (pos < off + rd.len) {
			uint64_t blk_end = (pos / 4096 + 1) * 4096;
			if (blk_end > off + rd.len)
				blk_end = off + rd.len;
			const uint8_t *d = rd.data + (pos - off);
			size_t len = (size_t)(blk_end - pos), i;
			bool is_old = true, is_new = true;
			for (i = 0; i < len && (is_old || is_new); i++) {
				is_old = is_old && d[i] == pat(pos + i, GEN_LEASE_OLD);
				is_new = is_new && d[i] == pat(pos + i, GEN_LEASE_NEW);
			}
			if (!is_old && !is_new && by_byte) {
				for (i = 0; i < len; i++)
					if (d[i] != pat(pos + i, GEN_LEASE_OLD) &&
					    d[i] != pat(pos + i, GEN_LEASE_NEW))
						fail_msg("READ %u at %llu: byte %llu is neither the "
							 "old nor the new data",
							 k, (unsigned long long)off,
							 (unsigned long long)(pos + i));
				mixed_blocks++;
			} else if (!is_old && !is_new) {
				fail_msg("READ %u at %llu: the block at %llu is neither the old "
					 "nor the new data",
					 k, (unsigned long long)off, (unsigned long long)pos);
			} else if (is_old) {
				old_blocks++;
			} else {
				new_blocks++;
			}
			pos = blk_end;
		}
		nfs4c_done(&p);
	}
	fprintf(stderr, "# %u blocks of the old data, %u of the new, %u of both\n", old_blocks,
		new_blocks, mixed_blocks);
	/* Afterwards: the new data. */
	read_expect(&b, o.fh, o.fhlen, 0, MIB, MIB, GEN_LEASE_NEW);
	read_expect(&b, o.fh, o.fhlen, UNALIGNED_OFF, 256 * KIB, MIB, GEN_LEASE_NEW);
	sess_end(&b);
	dl_client_end(&a, &sa);
}

static void test_read_while_lease_breaks(void **st)
{
	(void)st;
	lease_case("leased", true);
}

static void test_read_while_lease_breaks_unanswered(void **st)
{
	(void)st;
	lease_case("leased-unanswered", false);
}

/* --- 4. large READs replayed from the reply caches ------------------------------ */

enum { GEN_REPLAY_A = 5, GEN_REPLAY_B = 6, GEN_REPLAY_C = 7 };

/* A copy of a reply's COMPOUND4res. */
struct kept {
	uint8_t *bytes;
	size_t len;
};

static void keep(const struct nfs4c_reply *p, struct kept *k)
{
	k->len = p->res_len;
	k->bytes = malloc(k->len);
	assert_non_null(k->bytes);
	memcpy(k->bytes, p->res_start, k->len);
}

static void same_bytes(const struct kept *a, const struct nfs4c_reply *p)
{
	assert_int_equal(p->res_len, a->len);
	if (memcmp(p->res_start, a->bytes, a->len) != 0) {
		size_t i = 0;
		while (p->res_start[i] == a->bytes[i])
			i++;
		fail_msg("the replayed reply differs from the first at byte %zu of %zu", i,
			 a->len);
	}
}

/* v4.1, sa_cachethis: the slot keeps the reply; a retry after the file
 * changed gets it byte for byte.  The server bounds
 * ca_maxresponsesize_cached: the READ is the largest that fits. */
static void test_replay_v41_cached(void **st)
{
	(void)st;
	host_fill("replay", MIB, GEN_REPLAY_A);
	struct nfs4c_sess s;
	big_sess(&s, client_name("replay"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&s, "replay", fh, &fhlen);
	uint32_t cached = s.fore.maxcached, count = MIB;
	if (cached < MIB + 1024) {
		/* The reply's RPC header and results around the data: well
		 * under 1 KiB. */
		count = (cached - 1024) & ~4095u;
		fprintf(stderr, "# ca_maxresponsesize_cached granted %u (asked %u): replaying a "
				"READ of %u\n",
			cached, 2 * MIB, count);
		/* A 1 MiB READ to be kept does not fit: NFS4ERR_REP_TOO_BIG_TO_CACHE,
		 * the session goes on. */
		struct buf *big = read_call(&s, 3, true, fh, fhlen, 0, MIB);
		struct nfs4c_reply p;
		call_xid(s.fd, 0x2ea70000u, big, &p);
		assert_int_equal(p.status, NFS4ERR_REP_TOO_BIG_TO_CACHE);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_READ), NFS4ERR_REP_TOO_BIG_TO_CACHE);
		nfs4c_done(&p);
		buf_unref(big);
	}
	assert_true(count >= 4096);

	struct buf *args = read_call(&s, 1, true, fh, fhlen, UNALIGNED_OFF, count);
	const uint32_t xid = 0x2ea70001u;
	struct nfs4c_reply p;
	struct rd rd;
	call_xid(s.fd, xid, args, &p);
	struct kept first;
	keep(&p, &first);
	read_result(&p, &rd);
	assert_int_equal(rd.len, count);
	assert_false(rd.eof);
	check_pat(rd.data, UNALIGNED_OFF, rd.len, GEN_REPLAY_A);
	nfs4c_done(&p);

	host_fill("replay", MIB, GEN_REPLAY_B);
	/* The same call on the same slot and seqid, with its XID and with
	 * another: the kept reply. */
	call_xid(s.fd, xid, args, &p);
	same_bytes(&first, &p);
	nfs4c_done(&p);
	call_xid(s.fd, xid + 0x100, args, &p);
	same_bytes(&first, &p);
	nfs4c_done(&p);
	/* The slot's next seqid reads the file as it is now. */
	buf_unref(args);
	args = read_call(&s, 1, true, fh, fhlen, UNALIGNED_OFF, count);
	call_xid(s.fd, xid + 1, args, &p);
	read_result(&p, &rd);
	assert_int_equal(rd.len, count);
	check_pat(rd.data, UNALIGNED_OFF, rd.len, GEN_REPLAY_B);
	nfs4c_done(&p);
	buf_unref(args);
	free(first.bytes);

	/* Without sa_cachethis nothing is kept: a retry of a 1 MiB READ is
	 * NFS4ERR_RETRY_UNCACHED_REP (RFC 8881 2.10.6.1.3), never a reply
	 * built anew. */
	args = read_call(&s, 2, false, fh, fhlen, 0, MIB);
	call_xid(s.fd, xid + 2, args, &p);
	read_result(&p, &rd);
	assert_int_equal(rd.len, MIB);
	check_pat(rd.data, 0, rd.len, GEN_REPLAY_B);
	nfs4c_done(&p);
	host_fill("replay", MIB, GEN_REPLAY_C);
	call_xid(s.fd, xid + 2, args, &p);
	assert_int_equal(p.status, NFS4ERR_RETRY_UNCACHED_REP);
	assert_int_equal(p.nres, 1);
	assert_int_equal(nfs4c_next(&p, OP_SEQUENCE), NFS4ERR_RETRY_UNCACHED_REP);
	nfs4c_done(&p);
	buf_unref(args);
	/* The connection and session go on. */
	read_expect(&s, fh, fhlen, 0, MIB, MIB, GEN_REPLAY_C);
	sess_end(&s);
}

/* SETATTR mode 0644 with the anonymous stateid. */
static void add_chmod(struct nfs4c_call *m)
{
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa4};
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_MODE);
	a.attrs.vals = (struct nfs4_opaque){mode, sizeof(mode)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* v4.0: a COMPOUND with a 1 MiB READ and a SETATTR (not idempotent: the
 * duplicate request cache keeps its reply), retransmitted with its XID
 * from the same connection after the file changed: the first reply byte
 * for byte. */
static void test_replay_v40_drc(void **st)
{
	(void)st;
	host_fill("replay40", MIB + 1000, GEN_REPLAY_A);
	int fd = nfs4c_connect(server.hostport);
	struct nfs4c_call m;
	nfs4c_begin(&m, 0);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_lookup(&m, "replay40");
	add_read(&m, UNALIGNED_OFF, MIB);
	add_chmod(&m);
	struct buf *args = nfs4c_call_bytes(&m);
	const uint32_t xid = 0x40d20000u + (uint32_t)getpid();

	struct nfs4c_reply p;
	call_xid(fd, xid, args, &p);
	struct kept first;
	keep(&p, &first);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
	struct nfs4_read_res rr;
	assert_true(nfs4_dec_read_res(&p.d, &rr));
	assert_int_equal(rr.data.len, MIB + 1000 - UNALIGNED_OFF);
	assert_true(rr.eof);
	check_pat(rr.data.data, UNALIGNED_OFF, rr.data.len, GEN_REPLAY_A);
	assert_int_equal(nfs4c_next(&p, OP_SETATTR), NFS4_OK);
	nfs4c_done(&p);

	host_fill("replay40", MIB + 1000, GEN_REPLAY_B);
	call_xid(fd, xid, args, &p);
	same_bytes(&first, &p);
	nfs4c_done(&p);
	call_xid(fd, xid, args, &p);
	same_bytes(&first, &p);
	nfs4c_done(&p);
	/* A new XID runs anew and sees the change. */
	call_xid(fd, xid + 1, args, &p);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
	assert_true(nfs4_dec_read_res(&p.d, &rr));
	assert_int_equal(rr.data.len, MIB + 1000 - UNALIGNED_OFF);
	check_pat(rr.data.data, UNALIGNED_OFF, rr.data.len, GEN_REPLAY_B);
	nfs4c_done(&p);
	free(first.bytes);
	buf_unref(args);
	close(fd);
}

/* --- 5. WRITEs torn by the connection's end ------------------------------------- */

enum {
	TORN_SIZE = MIB + 5000,
	GEN_TORN_OLD = 8,
	GEN_TORN_NEW = 9,
	GEN_SPLIT = 10,
};

/* The record of SEQUENCE (slot 0), PUTFH, WRITE FILE_SYNC of len bytes of
 * pattern gen at off, with the anonymous stateid. */
static struct buf *write_record(struct nfs4c_sess *s, const uint8_t *fh, uint32_t fhlen,
				uint64_t off, uint32_t len, unsigned gen, uint32_t xid)
{
	uint8_t *data = malloc(len);
	assert_non_null(data);
	fill(data, off, len, gen);
	struct nfs4c_call m;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, fh, fhlen);
	struct nfs4_write_args w;
	memset(&w, 0, sizeof(w));
	w.offset = off;
	w.stable = FILE_SYNC4;
	w.data = (struct nfs4_opaque){data, len};
	assert_true(nfs4_enc_write_args(nfs4c_op(&m, OP_WRITE), &w));
	struct buf *args = nfs4c_call_bytes(&m);
	free(data);
	struct buf *rec = record_of(xid, args);
	buf_unref(args);
	return rec;
}

/* The WRITE's reply on s: all NFS4_OK, count len, FILE_SYNC. */
static void write_reply_ok(struct nfs4c_sess *s, uint32_t xid, uint32_t len)
{
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(s->fd, &r, 10000), 0);
	assert_int_equal(r.xid, xid);
	struct nfs4c_reply p;
	assert_int_equal(nfs4c_reply_take(&r, &p), 0);
	assert_int_equal(p.status, NFS4_OK);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_WRITE), NFS4_OK);
	struct nfs4_write_res w;
	assert_true(nfs4_dec_write_res(&p.d, &w));
	assert_int_equal(w.count, len);
	assert_int_equal(w.committed, FILE_SYNC4);
	assert_int_equal(xdr_dec_remaining(&p.d), 0);
	nfs4c_done(&p);
}

enum torn_end { END_CLOSE, END_SHUT_WR, END_RESET };

static const char *const end_names[] = {"close", "shutdown(SHUT_WR)", "reset"};

/* A 1 MiB WRITE over the file whose record stops after keep bytes, then
 * the connection ends as end says; the file must be as it was. */
static void torn_case(const uint8_t *fh, uint32_t fhlen, const uint8_t *old,
		      size_t keep_from_end, bool half, enum torn_end end)
{
	struct nfs4c_sess v;
	big_sess(&v, client_name("torn"));
	struct buf *rec = write_record(&v, fh, fhlen, 0, MIB, GEN_TORN_NEW, 0x7047);
	size_t n = half ? rec->len - MIB / 2 : rec->len - keep_from_end;
	assert_int_equal(rpctest_send_raw(v.fd, rec->data, n), 0);
	buf_unref(rec);
	/* Let the server take in what was sent before the end. */
	sleep_ms(100);
	switch (end) {
	case END_CLOSE:
		close(v.fd);
		break;
	case END_SHUT_WR:
		assert_int_equal(shutdown(v.fd, SHUT_WR), 0);
		/* The record can never complete: the server closes. */
		if (!rpctest_wait_closed(v.fd, 5000))
			fail_msg("the server kept a half-closed connection with a partial record");
		close(v.fd);
		break;
	case END_RESET: {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		assert_int_equal(setsockopt(v.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
		close(v.fd);
		break;
	}
	}
	sleep_ms(200);
	/* Nothing half written, on the host and through the server on a
	 * fresh connection. */
	host_expect("torn", old, TORN_SIZE);
	struct nfs4c_sess c;
	big_sess(&c, client_name("after-torn"));
	nfs_expect(&c, fh, fhlen, old, TORN_SIZE);
	assert_int_equal(getattr_size(&c, fh, fhlen), TORN_SIZE);
	sess_end(&c);
	fprintf(stderr, "# %s after %zu of the record's bytes: the file is unchanged\n",
		end_names[end], n);
}

static void test_write_torn_by_dropped_connection(void **st)
{
	(void)st;
	host_fill("torn", TORN_SIZE, GEN_TORN_OLD);
	uint8_t *old = malloc(TORN_SIZE);
	assert_non_null(old);
	fill(old, 0, TORN_SIZE, GEN_TORN_OLD);
	struct nfs4c_sess c;
	big_sess(&c, client_name("checker"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&c, "torn", fh, &fhlen);

	for (int end = END_CLOSE; end <= END_RESET; end++) {
		torn_case(fh, fhlen, old, 0, true, (enum torn_end)end);
		torn_case(fh, fhlen, old, 4, false, (enum torn_end)end);
	}

	/* The control: the same WRITE whole lands (the test sees a write). */
	struct nfs4c_sess v;
	big_sess(&v, client_name("whole"));
	struct buf *rec = write_record(&v, fh, fhlen, 0, MIB, GEN_TORN_NEW, 0x7048);
	assert_int_equal(rpctest_send_raw(v.fd, rec->data, rec->len), 0);
	buf_unref(rec);
	write_reply_ok(&v, 0x7048, MIB);
	uint8_t *want = malloc(TORN_SIZE);
	assert_non_null(want);
	memcpy(want, old, TORN_SIZE);
	fill(want, 0, MIB, GEN_TORN_NEW);
	host_expect("torn", want, TORN_SIZE);
	nfs_expect(&c, fh, fhlen, want, TORN_SIZE);
	sess_end(&v);
	free(want);
	free(old);
	sess_end(&c);
}

/* A 1 MiB WRITE at an unaligned offset whose bytes come in 64 KiB pieces
 * with pauses: it lands exactly, the file grown to its end. */
static void test_write_in_pieces(void **st)
{
	(void)st;
	host_fill("pieces", TORN_SIZE, GEN_TORN_OLD);
	struct nfs4c_sess v;
	big_sess(&v, client_name("pieces"));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
	lookup_fh(&v, "pieces", fh, &fhlen);
	struct buf *rec = write_record(&v, fh, fhlen, UNALIGNED_OFF, MIB, GEN_SPLIT, 0x7049);
	for (size_t off = 0; off < rec->len; off += 64 * KIB) {
		size_t n = rec->len - off < 64 * KIB ? rec->len - off : 64 * KIB;
		assert_int_equal(rpctest_send_raw(v.fd, rec->data + off, n), 0);
		sleep_ms(5);
	}
	buf_unref(rec);
	write_reply_ok(&v, 0x7049, MIB);
	size_t size = UNALIGNED_OFF + MIB;
	assert_true(size > TORN_SIZE);
	uint8_t *want = malloc(size);
	assert_non_null(want);
	fill(want, 0, TORN_SIZE, GEN_TORN_OLD);
	fill(want + UNALIGNED_OFF, UNALIGNED_OFF, MIB, GEN_SPLIT);
	host_expect("pieces", want, size);
	nfs_expect(&v, fh, fhlen, want, size);
	assert_int_equal(getattr_size(&v, fh, fhlen), size);
	free(want);
	sess_end(&v);
}

static int large_io_setup(void **st)
{
	(void)st;
	char extra[96];
	snprintf(extra, sizeof(extra), "[rpc]\nsplice_reads = %s\nmap_reads = %s\n",
		 splice_reads(), map_reads() ? "yes" : "no");
	return dl_setup_with(extra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_past_eof),
		cmocka_unit_test(test_read_past_eof_pipelined),
		cmocka_unit_test(test_reads_in_one_compound),
		cmocka_unit_test(test_read_sparse),
		cmocka_unit_test(test_read_racing_truncate),
		cmocka_unit_test(test_read_while_lease_breaks),
		cmocka_unit_test(test_read_while_lease_breaks_unanswered),
		cmocka_unit_test(test_replay_v41_cached),
		cmocka_unit_test(test_replay_v40_drc),
		cmocka_unit_test(test_write_torn_by_dropped_connection),
		cmocka_unit_test(test_write_in_pieces),
	};
	return cmocka_run_group_tests(tests, large_io_setup, dl_teardown);
}
