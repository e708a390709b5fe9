/* Large WRITEs whose data ferryd splices from the socket into a pipe and on
 * into the file (rpc's find_bulk, nfs4/engine/bulk.c, the local back end's
 * write_pipe): the file holds exactly the bytes sent, at unaligned offsets
 * and lengths, stable or not; a WRITE torn by a closed connection writes
 * nothing. */
#include "deleg_fixture.h"

#include <fcntl.h>

#include "lib/ctl_test.h"
#include "rpc/record.h"

/* The test client's sessions take requests of up to 1 MiB, headers
 * included: its largest WRITEs carry a little less. */
enum { MIB = 1 << 20, BIG = MIB - 1024, WRITES = 64, BASE = 13 };

/* The byte the tests write at file offset x. */
static uint8_t pattern(uint64_t x)
{
	return (uint8_t)((x * 131u) ^ (x >> 11) ^ (x >> 19));
}

static void host_path(const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%.256s/export/%.64s", dl_dir, name);
	assert_true(n > 0 && (size_t)n < len);
}

static struct dl_open open_write(struct nfs4c_sess *s, const char *name)
{
	struct dl_open o = dl_open(s, name,
				   OPEN4_SHARE_ACCESS_WRITE | OPEN4_SHARE_ACCESS_WANT_NO_DELEG, true);
	assert_int_equal(o.status, NFS4_OK);
	return o;
}

/* SEQUENCE, PUTFH, WRITE of the pattern at [off, off + len), then GETATTR
 * when getattr_after (operations after the data are read as usual). */
static void write_pattern(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
			  uint32_t len, uint32_t stable, bool getattr_after)
{
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pattern(off + i);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	struct nfs4_write_args w = {o->stateid, off, stable, {buf, len}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	if (getattr_after) {
		static const unsigned bits[] = {FATTR4_SIZE};
		nfs4c_getattr(&m, bits, 1);
	}
	nfs4c_send(s->fd, s->cred, &m, &p);
	free(buf);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_WRITE), NFS4_OK);
	struct nfs4_write_res r;
	assert_true(nfs4_dec_write_res(&p.d, &r));
	assert_int_equal(r.count, len);
	assert_int_equal(r.committed, stable);
	if (getattr_after)
		assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	nfs4c_done(&p);
}

/* The host file's bytes from BASE to end are the pattern, none before. */
static void check_file(const char *name, uint64_t end)
{
	char path[400];
	host_path(name, path, sizeof(path));
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, end);
	uint8_t *buf = malloc(MIB);
	assert_non_null(buf);
	for (uint64_t at = 0; at < end;) {
		ssize_t n = pread(fd, buf, MIB, (off_t)at);
		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++) {
			uint8_t want = at + (uint64_t)i < BASE ? 0 : pattern(at + (uint64_t)i);
			if (buf[i] != want)
				fail_msg("byte %llu is %u, not %u", (unsigned long long)(at + i), buf[i],
					 want);
		}
		at += (uint64_t)n;
	}
	free(buf);
	close(fd);
}

static double spliced_bytes(void)
{
	char *page = ctlt_scrape(&server);
	double v = ctlt_metric(page, "ferry_rpc_splice_in_bytes_total");
	free(page);
	return v;
}

/* 64 WRITEs of about 1 MiB at unaligned offsets, some lengths not a
 * multiple of four (XDR pad after the data), some stable, some followed
 * by a GETATTR: the file is the pattern, and most of it was spliced. */
static void test_large_writes_land_exactly(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "splice", 0);
	struct dl_open o = open_write(&s, "big");
	double before = spliced_bytes();
	uint64_t off = BASE;
	for (unsigned k = 0; k < WRITES; k++) {
		uint32_t len = k % 2 ? BIG - 3 : BIG;
		uint32_t stable = k % 8 == 3 ? FILE_SYNC4 : k % 8 == 5 ? DATA_SYNC4 : UNSTABLE4;
		write_pattern(&s, &o, off, len, stable, k % 4 == 1);
		off += len;
	}
	check_file("big", off);
	assert_true(spliced_bytes() - before > WRITES / 2 * (double)MIB);
	dl_client_end(&s, &svc);
}

/* A WRITE below the splicing threshold and one just above it. */
static void test_small_and_threshold_writes(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "splice-small", 0);
	struct dl_open o = open_write(&s, "small");
	write_pattern(&s, &o, BASE, 1000, UNSTABLE4, false);
	write_pattern(&s, &o, BASE + 1000, 200 * 1024 + 1, FILE_SYNC4, true);
	write_pattern(&s, &o, BASE + 1000 + 200 * 1024 + 1, 4096, UNSTABLE4, false);
	check_file("small", BASE + 1000 + 200 * 1024 + 1 + 4096);
	dl_client_end(&s, &svc);
}

/* A WRITE whose record stops half-way when its connection closes is never
 * served: the file does not grow. */
static void test_torn_write_writes_nothing(void **st)
{
	(void)st;
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "splice-torn", 0);
	struct dl_open o = open_write(&s, "torn");
	write_pattern(&s, &o, BASE, 4096, FILE_SYNC4, false);

	uint8_t *data = calloc(1, MIB);
	assert_non_null(data);
	struct nfs4c_call m;
	nfs4c_begin_seq(&s, &m, 1, false);
	nfs4c_putfh(&m, o.fh, o.fhlen);
	struct nfs4_write_args w = {o.stateid, 8 * MIB, FILE_SYNC4, {data, BIG}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4_enc_compound_end(&m.c);
	struct buf *call = rpctest_build_call(4242, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
					      s.cred, m.e.buf->data, m.e.buf->len);
	xdr_enc_release(&m.e);
	free(data);
	assert_non_null(call);
	/* Another connection bound to nothing: what it sends is a record. */
	int fd = rpctest_connect(server.hostport);
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)call->len);
	assert_int_equal(rpctest_send_raw(fd, mark, 4), 0);
	assert_int_equal(rpctest_send_raw(fd, call->data, call->len / 2), 0);
	buf_unref(call);
	usleep(200 * 1000);
	close(fd);
	usleep(200 * 1000);
	char path[400];
	host_path("torn", path, sizeof(path));
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, BASE + 4096);
	/* The server is fine: the session goes on. */
	write_pattern(&s, &o, BASE + 4096, 300 * 1024, UNSTABLE4, false);
	check_file("torn", BASE + 4096 + 300 * 1024);
	dl_client_end(&s, &svc);
}

/* A COMPOUND whose first WRITE has exactly 64 KiB of data (the most an
 * event loop serves, the least rpc splices) and whose record is long
 * enough to be spliced (a second WRITE after it): the first WRITE's data
 * went into a pipe, so it runs on a worker; the file gets the client's
 * bytes, never what the record's buffer held in the hole. */
static void test_inline_sized_write_in_spliced_record(void **st)
{
	(void)st;
	enum { FIRST = 64 * 1024, SECOND = 70000 };
	struct nfs4c_sess s;
	struct nfs4c_cb svc;
	dl_client(&s, &svc, "splice-inline-sized", 0);
	struct dl_open o = open_write(&s, "inline-sized");
	uint8_t *data = malloc(FIRST + SECOND);
	assert_non_null(data);
	uint32_t seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	for (size_t i = 0; i < FIRST + SECOND; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 24);
	}
	struct nfs4c_call m;
	nfs4c_begin_seq(&s, &m, 1, false);
	nfs4c_putfh(&m, o.fh, o.fhlen);
	struct nfs4_write_args w1 = {o.stateid, 0, UNSTABLE4, {data, FIRST}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w1);
	struct nfs4_write_args w2 = {o.stateid, FIRST, UNSTABLE4, {data + FIRST, SECOND}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w2);
	nfs4_enc_compound_end(&m.c);
	struct buf *call = rpctest_build_call(4343, NFS4_PROGRAM, NFS4_VERSION, NFSPROC4_COMPOUND,
					      s.cred, m.e.buf->data, m.e.buf->len);
	xdr_enc_release(&m.e);
	assert_non_null(call);
	double before = spliced_bytes();
	/* The record goes out by hand and its reply is read here: the
	 * session's background reader (dl_client) must not race for it. */
	nfs4c_bg_stop(s.fd);
	/* The record's first 4 KiB, then the rest: ferryd decides where the
	 * payload goes having seen only the head. */
	uint8_t mark[4];
	xdr_put_be32(mark, RPC_RECORD_LAST_FRAG | (uint32_t)call->len);
	assert_int_equal(rpctest_send_raw(s.fd, mark, 4), 0);
	assert_int_equal(rpctest_send_raw(s.fd, call->data, 4096), 0);
	usleep(200 * 1000);
	assert_int_equal(rpctest_send_raw(s.fd, call->data + 4096, call->len - 4096), 0);
	buf_unref(call);
	struct rpctest_reply r;
	assert_int_equal(rpctest_recv_reply(s.fd, &r, 10000), 0);
	struct nfs4c_reply p;
	assert_int_equal(nfs4c_reply_take(&r, &p), 0);
	assert_int_equal(p.status, NFS4_OK);
	nfs4c_done(&p);
	nfs4c_bg_start(s.fd);
	assert_true(spliced_bytes() - before >= 32 * 1024);
	char path[400];
	host_path("inline-sized", path, sizeof(path));
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	uint8_t *got = malloc(FIRST + SECOND);
	assert_non_null(got);
	assert_int_equal(pread(fd, got, FIRST + SECOND, 0), FIRST + SECOND);
	close(fd);
	for (size_t i = 0; i < FIRST + SECOND; i++)
		if (got[i] != data[i])
			fail_msg("byte %zu is %u, not %u", i, got[i], data[i]);
	free(got);
	free(data);
	dl_client_end(&s, &svc);
}

/* READ of [off, off + len) with the anonymous stateid: the pattern. */
static void read_back_pattern(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off,
			      uint32_t len)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	struct nfs4_read_args a = {.offset = off, .count = len};
	NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_READ), NFS4_OK);
	struct nfs4_read_res r;
	assert_true(nfs4_dec_read_res(&p.d, &r));
	assert_int_equal(r.data.len, len);
	for (uint32_t i = 0; i < len; i++)
		if (r.data.data[i] != pattern(off + i))
			fail_msg("byte %llu differs", (unsigned long long)(off + i));
	nfs4c_done(&p);
}

/* The memory back end has no write_pipe: the WRITE handler reads the pipe
 * into the record first, and the data is the same. */
static void test_memory_backend_gets_the_bytes(void **st)
{
	(void)st;
	struct ferryd_proc mem;
	assert_int_equal(ferryd_start_export(&mem, "backend = memory\nsquash = none\n"), 0);
	struct nfs4c_sess s;
	nfs4c_session_up(&s, nfs4c_connect(mem.hostport), 0, "splice-mem", NULL);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(s.fd, s.cred, &m, &p);
	nfs4c_done(&p);
	struct dl_open o = open_write(&s, "mem");
	write_pattern(&s, &o, BASE, BIG, UNSTABLE4, false);
	write_pattern(&s, &o, BASE + BIG, BIG - 3, FILE_SYNC4, true);
	for (uint64_t at = BASE; at < BASE + 2 * BIG - 3; at += 256 * 1024) {
		uint64_t left = BASE + 2 * BIG - 3 - at;
		read_back_pattern(&s, &o, at, left < 256 * 1024 ? (uint32_t)left : 256 * 1024);
	}
	char *page = ctlt_scrape(&mem);
	assert_true(ctlt_metric(page, "ferry_rpc_splice_in_bytes_total") > BIG);
	free(page);
	nfs4c_close(s.fd);
	assert_int_equal(ferryd_stop(&mem), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_writes_land_exactly),
		cmocka_unit_test(test_small_and_threshold_writes),
		cmocka_unit_test(test_torn_write_writes_nothing),
		cmocka_unit_test(test_inline_sized_write_in_spliced_record),
		cmocka_unit_test(test_memory_backend_gets_the_bytes),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
