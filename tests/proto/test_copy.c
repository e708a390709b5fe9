/* Server-side COPY through a real ferryd over NFSv4.2 (RFC 7862 15.2, 15.8,
 * 15.9, 16.1): synchronous copies, asynchronous ones whose result comes
 * by CB_OFFLOAD on the test client's back channel, or waits for
 * OFFLOAD_STATUS when that back channel does not answer, OFFLOAD_CANCEL of
 * a copy under way, DESTROY_CLIENTID during one, and the refusals: across
 * exports (NFS4ERR_XDEV), into a read-only export, within one file, past
 * the source's end, a synchronous copy too long to make synchronously,
 * inter-server copy, a delegation of another client on the destination.
 *
 * The server copies at most 1 MiB synchronously and at 16 MiB/s, so that a
 * copy of 16 MiB is still under way a moment after it started, and keeps
 * two asynchronous copies per client. */
#include "proto/deleg_fixture.h"

#include <fcntl.h>

#include "lib/ctl_test.h"

enum {
	SYNC_MAX = 1 << 20,
	BIG = 16 << 20, /* a second at the copy rate */
	MID = 4 << 20,
};

static const uint32_t RD = OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
static const uint32_t BOTH = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;

/* Two read-write exports and a read-only one; the fixture's timings. */
static int cp_setup(void **st)
{
	(void)st;
	const char *tmp = getenv("TMPDIR");
	snprintf(dl_dir, sizeof(dl_dir), "%s/ferry-copy-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dl_dir))
		return -1;
	static const char *const dirs[] = {"export", "other", "ro"};
	char p[300];
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dl_dir, dirs[i]);
		if (mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
			return -1;
	}
	char conf[300], state[300];
	snprintf(conf, sizeof(conf), "%s/ferry.conf", dl_dir);
	snprintf(state, sizeof(state), "%s/state", dl_dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[nfs]\nlease_time = 10\ngrace_time = 4\ncallback_timeout_ms = 300\n"
		"callback_retry_ms = 200\ncallback_retries = 1\ncopy_sync_max = %d\n"
		"copy_rate_mb = 16\ncopy_max_per_client = 2\n"
		"[export export]\npath = %s/export\npseudo = /export\nsquash = none\n"
		"[export other]\npath = %s/other\npseudo = /other\nsquash = none\n"
		"[export ro]\npath = %s/ro\npseudo = /ro\nsquash = none\naccess = ro\n",
		SYNC_MAX, dl_dir, dl_dir, dl_dir);
	fclose(f);
	const char *args[] = {"--config", conf, "--state-dir", state, NULL};
	return ferryd_start(&server, args);
}

/* A v4.1 session (back channel on its connection, answered in the
 * background) whose COMPOUNDs are of minor version 2. */
static void cp_client(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name, uint32_t uid)
{
	dl_client(s, svc, name, uid);
	s->minor = 2;
}

/* The same without the fixture's wait for a working back channel (which
 * leaves an open file behind): a client that can be destroyed. */
static void cp_client_bare(struct nfs4c_sess *s, struct nfs4c_cb *svc, const char *name,
			   uint32_t uid)
{
	int fd = nfs4c_connect(server.hostport);
	nfs4c_cb_init(svc, NFS4C_CB_PROGRAM);
	nfs4c_cb_attach(fd, svc);
	nfs4c_bg_start(fd);
	nfs4c_session_up_flags(s, fd, uid, name, NULL, CREATE_SESSION4_FLAG_CONN_BACK_CHAN);
	s->minor = 2;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	nfs4c_send(fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_RECLAIM_COMPLETE), NFS4_OK);
	nfs4c_done(&p);
}

/* Writes a file of len bytes, byte i being (i * 7 + seed) & 0xff, on the
 * host, in export dir. */
static void host_file(const char *dir, const char *name, size_t len, unsigned seed)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s/%s", dl_dir, dir, name);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	uint8_t *buf = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	free(buf);
	close(fd);
}

/* A sparse file of len bytes on the host (reads as zeros). */
static void host_sparse(const char *dir, const char *name, off_t len)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s/%s", dl_dir, dir, name);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	assert_int_equal(ftruncate(fd, len), 0);
	close(fd);
}

static off_t host_size(const char *dir, const char *name)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s/%s", dl_dir, dir, name);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

/* The host's view of a file: its bytes (malloc'd) and size. */
static uint8_t *host_read(const char *dir, const char *name, size_t *len)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s/%s", dl_dir, dir, name);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	*len = (size_t)sb.st_size;
	uint8_t *buf = malloc(*len ? *len : 1);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, *len), (ssize_t)*len);
	close(fd);
	return buf;
}

/* Whether dst[dst_off ..] holds src's bytes src_off .. src_off + n of a
 * host_file with seed. */
static bool same_bytes(const uint8_t *dst, size_t dst_off, size_t src_off, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (dst[dst_off + i] != (uint8_t)((src_off + i) * 7 + seed))
			return false;
	return true;
}

/* An open of name in the export at pseudo path dir ("export", "other"). */
static struct dl_open cp_open(struct nfs4c_sess *s, const char *dir, const char *name,
			      uint32_t access, bool create)
{
	if (strcmp(dir, "export") == 0)
		return dl_open(s, name, access, create);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, dir);
	nfs4c_getfh(&m);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p.d, &g));
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen = g.fh.len;
	memcpy(fh, g.fh.data, fhlen);
	nfs4c_done(&p);
	struct nfs4_open_claim claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str(name)};
	return dl_open_claim(s, name, access, create, &claim, fh, fhlen);
}

/* The outcome of a COPY. */
struct cp_result {
	uint32_t status;
	struct nfs4_copy_res res;          /* NFS4_OK */
	struct nfs4_copy_requirements req; /* NFS4ERR_OFFLOAD_NO_REQS */
};

struct cp_args {
	const struct dl_open *src, *dst; /* src NULL: no SAVEFH */
	uint64_t src_off, dst_off, count;
	bool synchronous;
	uint32_t nsources;
};

static struct cp_result cp_copy(struct nfs4c_sess *s, const struct cp_args *c)
{
	struct nfs4_copy_args a;
	memset(&a, 0, sizeof(a));
	if (c->src)
		a.src_stateid = c->src->stateid;
	a.dst_stateid = c->dst->stateid;
	a.src_offset = c->src_off;
	a.dst_offset = c->dst_off;
	a.count = c->count;
	a.consecutive = false;
	a.synchronous = c->synchronous;
	a.nsources = c->nsources;
	for (uint32_t i = 0; i < c->nsources; i++) {
		a.sources[i].type = NL4_NAME;
		a.sources[i].name = nfs4_opaque_str("elsewhere.example");
	}
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	if (c->src) {
		nfs4c_putfh(&m, c->src->fh, c->src->fhlen);
		nfs4c_op(&m, OP_SAVEFH);
	}
	nfs4c_putfh(&m, c->dst->fh, c->dst->fhlen);
	NFS4C_OP(&m, OP_COPY, nfs4_enc_copy_args, &a);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	struct cp_result out;
	memset(&out, 0, sizeof(out));
	if (c->src) {
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_SAVEFH), NFS4_OK);
	}
	out.status = nfs4c_next(&p, OP_PUTFH);
	if (out.status == NFS4_OK)
		out.status = nfs4c_next(&p, OP_COPY);
	if (out.status == NFS4_OK)
		assert_true(nfs4_dec_copy_res(&p.d, &out.res));
	else if (out.status == NFS4ERR_OFFLOAD_NO_REQS)
		assert_true(nfs4_dec_copy_requirements(&p.d, &out.req));
	nfs4c_done(&p);
	return out;
}

/* OFFLOAD_STATUS of sid on file fh. */
static uint32_t cp_status(struct nfs4c_sess *s, const struct dl_open *dst,
			  const struct nfs4_stateid *sid, struct nfs4_offload_status_res *r)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dst->fh, dst->fhlen);
	NFS4C_OP(&m, OP_OFFLOAD_STATUS, nfs4_enc_offload_status_args,
		 &(struct nfs4_stateid_args){*sid});
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_OFFLOAD_STATUS);
	if (st == NFS4_OK)
		assert_true(nfs4_dec_offload_status_res(&p.d, r));
	nfs4c_done(&p);
	return st;
}

static void add_offload_cancel(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_OFFLOAD_CANCEL, nfs4_enc_offload_cancel_args,
		 &(struct nfs4_stateid_args){*(const struct nfs4_stateid *)arg});
}

static uint32_t cp_cancel(struct nfs4c_sess *s, const struct dl_open *dst,
			  const struct nfs4_stateid *sid)
{
	return dl_on(s, dst->fh, dst->fhlen, OP_OFFLOAD_CANCEL, add_offload_cancel, sid);
}

static void add_change_size(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	static const unsigned bits[] = {FATTR4_CHANGE, FATTR4_SIZE};
	nfs4c_getattr(m, bits, 2);
}

/* The change attribute and size of o's file, as a client sees them. */
static void cp_change_size(struct nfs4c_sess *s, const struct dl_open *o, uint64_t *change,
			   uint64_t *size)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	add_change_size(&m, NULL);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res r;
	assert_true(nfs4_dec_getattr_res(&p.d, &r));
	assert_int_equal(r.attrs.vals.len, 16);
	*change = (uint64_t)xdr_get_be32(r.attrs.vals.data) << 32 |
		  xdr_get_be32(r.attrs.vals.data + 4);
	*size = (uint64_t)xdr_get_be32(r.attrs.vals.data + 8) << 32 |
		xdr_get_be32(r.attrs.vals.data + 12);
	nfs4c_done(&p);
}

static double metric_delta(const char *before, const char *series)
{
	char *now = ctlt_scrape(&server);
	double d = ctlt_metric(now, series) - ctlt_metric(before, series);
	free(now);
	return d;
}

/* Waits up to ms for series to have grown by want since before. */
static bool metric_reaches(const char *before, const char *series, double want, unsigned ms)
{
	uint64_t end = dl_now_ms() + ms;
	do {
		if (metric_delta(before, series) >= want)
			return true;
		usleep(50 * 1000);
	} while (dl_now_ms() < end);
	return false;
}

/* A synchronous copy: the whole file (count 0), then a range into the
 * middle of another file; the reply says synchronous, consecutive, the
 * bytes copied, UNSTABLE with the server's write verifier. */
static void test_sync_copy(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-sync", 1001);
	host_file("export", "s-src", 100000, 3);
	struct dl_open src = dl_open(&a, "s-src", RD, false);
	struct dl_open dst = dl_open(&a, "s-dst", BOTH, true);
	assert_int_equal(src.status, NFS4_OK);
	assert_int_equal(dst.status, NFS4_OK);
	char *before = ctlt_scrape(&server);
	uint64_t change0, change1, size;
	cp_change_size(&a, &dst, &change0, &size);
	assert_int_equal(size, 0);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, true, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_false(r.res.response.has_callback_id);
	assert_int_equal(r.res.response.count, 100000);
	/* The destination changed as a WRITE changes it. */
	cp_change_size(&a, &dst, &change1, &size);
	assert_int_equal(size, 100000);
	assert_true(change1 != change0);
	assert_int_equal(r.res.response.committed, UNSTABLE4);
	assert_true(r.res.requirements.synchronous);
	assert_true(r.res.requirements.consecutive);
	size_t len;
	uint8_t *got = host_read("export", "s-dst", &len);
	assert_int_equal(len, 100000);
	assert_true(same_bytes(got, 0, 0, len, 3));
	free(got);
	/* A range, past the destination's end; asked async but small:
	 * answered synchronously all the same. */
	r = cp_copy(&a, &(struct cp_args){&src, &dst, 1000, 200000, 5000, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_false(r.res.response.has_callback_id);
	assert_true(r.res.requirements.synchronous);
	assert_int_equal(r.res.response.count, 5000);
	got = host_read("export", "s-dst", &len);
	assert_int_equal(len, 205000);
	assert_true(same_bytes(got, 200000, 1000, 5000, 3));
	free(got);
	/* Nothing left at the end of the source: 0 bytes, no error. */
	r = cp_copy(&a, &(struct cp_args){&src, &dst, 100000, 0, 0, true, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.res.response.count, 0);
	assert_int_equal(metric_delta(before, "ferry_copies_started_total{mode=\"sync\"}"), 2);
	assert_int_equal(metric_delta(before, "ferry_copy_bytes_total"), 105000);
	free(before);
	dl_client_end(&a, &sa);
}

/* An asynchronous copy: the copy stateid at once, the result in
 * CB_OFFLOAD on the back channel; once the client answered it, the
 * stateid is gone. */
static void test_async_copy_cb_offload(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-async", 1002);
	host_file("export", "a-src", MID, 5);
	struct dl_open src = dl_open(&a, "a-src", RD, false);
	struct dl_open dst = dl_open(&a, "a-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, MID, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_true(r.res.response.has_callback_id);
	assert_int_equal(r.res.response.callback_id.seqid, 1);
	assert_false(r.res.requirements.synchronous);
	assert_true(nfs4c_cb_wait(&sa, OP_CB_OFFLOAD, 1, 10000));
	struct nfs4c_cb_rec rec;
	assert_true(nfs4c_cb_get(&sa, OP_CB_OFFLOAD, 0, &rec));
	assert_memory_equal(rec.stateid.other, r.res.response.callback_id.other, NFS4_OTHER_SIZE);
	assert_int_equal(rec.fhlen, dst.fhlen);
	assert_memory_equal(rec.fh, dst.fh, dst.fhlen);
	/* CB_OFFLOAD is an NFSv4.2 callback: its CB_COMPOUND says minor
	 * version 2 (the Linux client treats it as illegal in 1). */
	assert_int_equal(rec.minor, 2);
	assert_int_equal(rec.offload_status, NFS4_OK);
	assert_false(rec.offload.has_callback_id);
	assert_int_equal(rec.offload.count, MID);
	assert_int_equal(rec.offload.committed, UNSTABLE4);
	uint64_t change, size;
	cp_change_size(&a, &dst, &change, &size);
	assert_int_equal(size, MID);
	size_t len;
	uint8_t *got = host_read("export", "a-dst", &len);
	assert_int_equal(len, MID);
	assert_true(same_bytes(got, 0, 0, len, 5));
	free(got);
	/* The client answered CB_OFFLOAD: it knows, the state went. */
	assert_true(metric_reaches(before, "ferry_callbacks_total{op=\"offload\",result=\"ok\"}",
				   1, 2000));
	struct nfs4_offload_status_res os;
	assert_int_equal(cp_status(&a, &dst, &r.res.response.callback_id, &os),
			 NFS4ERR_BAD_STATEID);
	assert_int_equal(metric_delta(before, "ferry_copies_started_total{mode=\"async\"}"), 1);
	assert_int_equal(metric_delta(before, "ferry_copies_ended_total{result=\"completed\"}"),
			 1);
	free(before);
	dl_client_end(&a, &sa);
}

/* A back channel that never answers: CB_OFFLOAD fails (counted), the
 * result waits for OFFLOAD_STATUS, which reports it once. */
static void test_async_copy_back_channel_down(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-down", 1003);
	host_file("export", "d-src", MID, 9);
	struct dl_open src = dl_open(&a, "d-src", RD, false);
	struct dl_open dst = dl_open(&a, "d-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	pthread_mutex_lock(&sa.lock);
	sa.silent = true;
	pthread_mutex_unlock(&sa.lock);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_true(r.res.response.has_callback_id);
	assert_true(metric_reaches(before, "ferry_copy_offload_undelivered_total", 1, 15000));
	assert_int_equal(
		metric_delta(before, "ferry_callbacks_total{op=\"offload\",result=\"failed\"}"), 1);
	struct nfs4_offload_status_res os;
	assert_int_equal(cp_status(&a, &dst, &r.res.response.callback_id, &os), NFS4_OK);
	assert_true(os.has_complete);
	assert_int_equal(os.complete, NFS4_OK);
	assert_int_equal(os.count, MID);
	/* Learned: the state goes. */
	assert_int_equal(cp_status(&a, &dst, &r.res.response.callback_id, &os),
			 NFS4ERR_BAD_STATEID);
	size_t len;
	uint8_t *got = host_read("export", "d-dst", &len);
	assert_int_equal(len, MID);
	assert_true(same_bytes(got, 0, 0, len, 9));
	free(got);
	free(before);
	dl_client_end(&a, &sa);
}

/* OFFLOAD_CANCEL of a copy under way: it stops short, no CB_OFFLOAD comes,
 * the stateid is gone, the copy counts as cancelled. */
static void test_offload_cancel(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-cancel", 1004);
	host_file("export", "c-src", BIG, 11);
	struct dl_open src = dl_open(&a, "c-src", RD, false);
	struct dl_open dst = dl_open(&a, "c-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, BIG, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	struct nfs4_stateid sid = r.res.response.callback_id;
	/* Under way: status without completion. */
	struct nfs4_offload_status_res os;
	assert_int_equal(cp_status(&a, &dst, &sid, &os), NFS4_OK);
	assert_false(os.has_complete);
	assert_true(os.count < BIG);
	/* Another file, or seqid 0, names no copy. */
	struct nfs4_stateid zero = sid;
	zero.seqid = 0;
	assert_int_equal(cp_status(&a, &dst, &zero, &os), NFS4ERR_BAD_STATEID);
	assert_int_equal(cp_cancel(&a, &src, &sid), NFS4ERR_BAD_STATEID);
	assert_int_equal(cp_cancel(&a, &dst, &sid), NFS4_OK);
	assert_int_equal(cp_cancel(&a, &dst, &sid), NFS4ERR_BAD_STATEID);
	assert_int_equal(cp_status(&a, &dst, &sid, &os), NFS4ERR_BAD_STATEID);
	assert_true(metric_reaches(before, "ferry_copies_ended_total{result=\"cancelled\"}", 1,
				   5000));
	usleep(1500 * 1000); /* longer than the whole copy would have taken */
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_OFFLOAD), 0);
	size_t len;
	uint8_t *got = host_read("export", "c-dst", &len);
	assert_true(len < BIG);
	assert_true(same_bytes(got, 0, 0, len, 11));
	free(got);
	assert_int_equal(metric_delta(before, "ferry_copies_kept"), 0);
	free(before);
	dl_client_end(&a, &sa);
}

static void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

/* DESTROY_CLIENTID while a copy runs: the copy stops (cancelled), its
 * state goes, no CB_OFFLOAD, and the server goes on serving. */
static void test_destroy_clientid_during_copy(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client_bare(&a, &sa, "cp-destroy", 1005);
	host_file("export", "x-src", BIG, 13);
	struct dl_open src = dl_open(&a, "x-src", RD, false);
	struct dl_open dst = dl_open(&a, "x-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_true(r.res.response.has_callback_id);
	/* The opens go (a client with state cannot be destroyed), then the
	 * session and the client, while the copy still runs. */
	assert_int_equal(dl_on(&a, src.fh, src.fhlen, OP_CLOSE, add_close, &src.stateid), NFS4_OK);
	assert_int_equal(dl_on(&a, dst.fh, dst.fhlen, OP_CLOSE, add_close, &dst.stateid), NFS4_OK);
	assert_int_equal(nfs4c_destroy_session(&a), NFS4_OK);
	assert_int_equal(nfs4c_destroy_clientid(&a), NFS4_OK);
	assert_true(metric_reaches(before, "ferry_copies_ended_total{result=\"cancelled\"}", 1,
				   5000));
	assert_int_equal(metric_delta(before, "ferry_copies_kept"), 0);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_OFFLOAD), 0);
	size_t len;
	uint8_t *got = host_read("export", "x-dst", &len);
	assert_true(len < BIG);
	free(got);
	dl_client_end(&a, &sa);
	/* Still serving. */
	struct nfs4c_sess b;
	struct nfs4c_cb sb;
	cp_client(&b, &sb, "cp-destroy-after", 1006);
	assert_int_equal(nfs4c_ping(&b) & SEQ4_STATUS_CB_PATH_DOWN, 0);
	dl_client_end(&b, &sb);
	free(before);
}

/* What COPY refuses, with RFC 7862's errors. */
static void test_copy_refusals(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-refuse", 1007);
	host_file("export", "r-src", 2 * SYNC_MAX, 17);
	host_file("other", "r-other", 1000, 17);
	host_file("ro", "r-ro", 1000, 17);
	struct dl_open src = dl_open(&a, "r-src", RD, false);
	struct dl_open dst = dl_open(&a, "r-dst", BOTH, true);
	struct dl_open other = cp_open(&a, "other", "r-other", BOTH, false);
	struct dl_open ro = cp_open(&a, "ro", "r-ro", RD, false);
	assert_int_equal(other.status, NFS4_OK);
	assert_int_equal(ro.status, NFS4_OK);
	char *before = ctlt_scrape(&server);
	/* Across exports: XDEV, either way. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){&src, &other, 0, 0, 100, true, 0}).status,
			 NFS4ERR_XDEV);
	assert_int_equal(cp_copy(&a, &(struct cp_args){&other, &dst, 0, 0, 100, true, 0}).status,
			 NFS4ERR_XDEV);
	/* Into a read-only export. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){&src, &ro, 0, 0, 100, true, 0}).status,
			 NFS4ERR_ROFS);
	/* Within one file, even without overlap. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){&dst, &dst, 0, 0, 0, true, 0}).status,
			 NFS4ERR_INVAL);
	/* Past the source's end. */
	assert_int_equal(
		cp_copy(&a, &(struct cp_args){&src, &dst, 2 * SYNC_MAX + 1, 0, 0, true, 0}).status,
		NFS4ERR_INVAL);
	assert_int_equal(
		cp_copy(&a, &(struct cp_args){&src, &dst, SYNC_MAX, 0, SYNC_MAX + 1, true, 0})
			.status,
		NFS4ERR_INVAL);
	/* Too long to copy synchronously, and the client insists. */
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, true, 0});
	assert_int_equal(r.status, NFS4ERR_OFFLOAD_NO_REQS);
	assert_true(r.req.consecutive);
	assert_false(r.req.synchronous);
	/* Inter-server. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 100, true, 1}).status,
			 NFS4ERR_OFFLOAD_DENIED);
	/* No saved filehandle. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){NULL, &dst, 0, 0, 100, true, 0}).status,
			 NFS4ERR_NOFILEHANDLE);
	/* The destination's stateid must allow writing; the source's must
	 * be one of this server. */
	assert_int_equal(cp_copy(&a, &(struct cp_args){&dst, &src, 0, 0, 0, true, 0}).status,
			 NFS4ERR_OPENMODE);
	struct dl_open forged = src;
	forged.stateid.other[5] ^= 0x5a;
	assert_int_equal(cp_copy(&a, &(struct cp_args){&forged, &dst, 0, 0, 100, true, 0}).status,
			 NFS4ERR_BAD_STATEID);
	/* A directory is no file to copy. */
	struct dl_open dir;
	memset(&dir, 0, sizeof(dir));
	{
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&a, &m, 0, false);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		nfs4c_getfh(&m);
		nfs4c_send(a.fd, a.cred, &m, &p);
		assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
		assert_int_equal(nfs4c_next(&p, OP_GETFH), NFS4_OK);
		struct nfs4_getfh_res g;
		assert_true(nfs4_dec_getfh_res(&p.d, &g));
		memcpy(dir.fh, g.fh.data, g.fh.len);
		dir.fhlen = g.fh.len;
		nfs4c_done(&p);
	}
	assert_int_equal(cp_copy(&a, &(struct cp_args){&dir, &dst, 0, 0, 100, true, 0}).status,
			 NFS4ERR_WRONG_TYPE);
	/* No inter-server copy, so no COPY_NOTIFY; an unknown copy stateid. */
	struct nfs4_stateid nothing = {.seqid = 1, .other = {1, 2, 3}};
	struct nfs4_offload_status_res os;
	assert_int_equal(cp_status(&a, &dst, &nothing, &os), NFS4ERR_BAD_STATEID);
	assert_int_equal(cp_cancel(&a, &dst, &nothing), NFS4ERR_BAD_STATEID);
	assert_int_equal(metric_delta(before, "ferry_copies_no_reqs_total"), 1);
	assert_int_equal(metric_delta(before, "ferry_copy_bytes_total"), 0);
	free(before);
	dl_client_end(&a, &sa);
}

static void add_copy_notify(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	/* COPY_NOTIFY4args: a stateid (seqid, other), one netloc4 name. */
	struct xdr_enc *e = nfs4c_op(m, OP_COPY_NOTIFY);
	static const uint8_t other[NFS4_OTHER_SIZE];
	assert_true(xdr_encode_u32(e, 0) && xdr_encode_opaque_fixed(e, other, sizeof(other)) &&
		    xdr_encode_u32(e, NL4_NAME) && xdr_encode_opaque(e, "dest.example", 12));
}

static void test_copy_notify_refused(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-notify", 1008);
	struct dl_open f = dl_open(&a, "n-file", BOTH, true);
	assert_int_equal(dl_on(&a, f.fh, f.fhlen, OP_COPY_NOTIFY, add_copy_notify, NULL),
			 NFS4ERR_NOTSUPP);
	dl_client_end(&a, &sa);
}

/* Another client's delegation on the destination is recalled, as a WRITE
 * would recall it: NFS4ERR_DELAY until it is returned.  The copying client
 * writes with the anonymous stateid (an open for writing would have
 * recalled the delegation already). */
static void test_copy_recalls_delegation(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	cp_client(&a, &sa, "cp-deleg-a", 1009);
	cp_client(&b, &sb, "cp-deleg-b", 1010);
	host_file("export", "g-src", 1000, 19);
	host_file("export", "g-dst", 10, 19);
	struct dl_open held = dl_open(&b, "g-dst", OPEN4_SHARE_ACCESS_READ, false);
	assert_int_equal(held.status, NFS4_OK);
	assert_int_equal(held.deleg.type, OPEN_DELEGATE_READ);
	struct dl_open src = dl_open(&a, "g-src", RD, false);
	struct dl_open dst = held;
	memset(&dst.stateid, 0, sizeof(dst.stateid));
	assert_int_equal(cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, true, 0}).status,
			 NFS4ERR_DELAY);
	assert_true(nfs4c_cb_wait(&sb, OP_CB_RECALL, 1, 5000));
	assert_true(nfs4c_cb_recalled(&sb, &held.deleg.stateid));
	assert_int_equal(dl_delegreturn(&b, &held), NFS4_OK);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, true, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.res.response.count, 1000);
	size_t len;
	uint8_t *got = host_read("export", "g-dst", &len);
	assert_int_equal(len, 1000);
	assert_true(same_bytes(got, 0, 0, len, 19));
	free(got);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* A client keeps at most two asynchronous copies: a third waits
 * (NFS4ERR_DELAY) while both run; once both ended without their
 * CB_OFFLOAD delivered, the older one makes room. */
static void test_per_client_cap(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client(&a, &sa, "cp-cap", 1013);
	host_file("export", "k-src", BIG, 23);
	struct dl_open src = dl_open(&a, "k-src", RD, false);
	struct dl_open d1 = dl_open(&a, "k-d1", BOTH, true);
	struct dl_open d2 = dl_open(&a, "k-d2", BOTH, true);
	struct dl_open d3 = dl_open(&a, "k-d3", BOTH, true);
	struct cp_result r1 = cp_copy(&a, &(struct cp_args){&src, &d1, 0, 0, 0, false, 0});
	struct cp_result r2 = cp_copy(&a, &(struct cp_args){&src, &d2, 0, 0, 0, false, 0});
	assert_int_equal(r1.status, NFS4_OK);
	assert_int_equal(r2.status, NFS4_OK);
	assert_int_equal(cp_copy(&a, &(struct cp_args){&src, &d3, 0, 0, 0, false, 0}).status,
			 NFS4ERR_DELAY);
	assert_int_equal(cp_cancel(&a, &d1, &r1.res.response.callback_id), NFS4_OK);
	assert_int_equal(cp_cancel(&a, &d2, &r2.res.response.callback_id), NFS4_OK);
	/* Two that end with nobody told. */
	char *before = ctlt_scrape(&server);
	pthread_mutex_lock(&sa.lock);
	sa.silent = true;
	pthread_mutex_unlock(&sa.lock);
	r1 = cp_copy(&a, &(struct cp_args){&src, &d1, 0, 0, MID, false, 0});
	r2 = cp_copy(&a, &(struct cp_args){&src, &d2, 0, 0, MID, false, 0});
	assert_int_equal(r1.status, NFS4_OK);
	assert_int_equal(r2.status, NFS4_OK);
	assert_true(metric_reaches(before, "ferry_copy_offload_undelivered_total", 2, 15000));
	struct cp_result r3 = cp_copy(&a, &(struct cp_args){&src, &d3, 0, 0, MID, false, 0});
	assert_int_equal(r3.status, NFS4_OK);
	struct nfs4_offload_status_res os;
	assert_int_equal(cp_status(&a, &d1, &r1.res.response.callback_id, &os),
			 NFS4ERR_BAD_STATEID);
	assert_int_equal(cp_status(&a, &d2, &r2.res.response.callback_id, &os), NFS4_OK);
	assert_true(os.has_complete);
	assert_int_equal(os.count, MID);
	free(before);
	dl_client_end(&a, &sa);
}

/* A client whose lease expires (it sends nothing more) while its copy
 * runs: the copy stops when the state thread expires the client, and
 * its state goes. */
/* Until the copies earlier tests' clients left behind are gone (those
 * clients' leases run out): this test counts ferry_copies_kept. */
static void wait_no_copies_kept(void)
{
	double kept = -1;
	for (uint64_t end = dl_now_ms() + 30000; dl_now_ms() < end; usleep(100 * 1000)) {
		char *page = ctlt_scrape(&server);
		kept = ctlt_metric(page, "ferry_copies_kept");
		free(page);
		if (kept == 0)
			break;
	}
	assert_int_equal(kept, 0);
}

static void test_lease_expiry_cancels_copy(void **st)
{
	(void)st;
	wait_no_copies_kept();
	enum { LONG = 256 << 20 }; /* 16 s at the copy rate; the lease is 10 s */
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client_bare(&a, &sa, "cp-lease", 1011);
	host_sparse("export", "l-src", LONG);
	struct dl_open src = dl_open(&a, "l-src", RD, false);
	struct dl_open dst = dl_open(&a, "l-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	uint64_t start = dl_now_ms();
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_true(r.res.response.has_callback_id);
	assert_true(metric_reaches(before, "ferry_copies_ended_total{result=\"cancelled\"}", 1,
				   25000));
	/* Not before the lease ran out. */
	assert_true(dl_now_ms() - start >= 9000);
	assert_true(host_size("export", "l-dst") < LONG);
	assert_int_equal(metric_delta(before, "ferry_copies_kept"), 0);
	assert_int_equal(nfs4c_cb_count(&sa, OP_CB_OFFLOAD), 0);
	free(before);
	dl_client_end(&a, &sa);
	host_sparse("export", "l-src", 0);
	host_sparse("export", "l-dst", 0);
}

/* Last: a copy under way when the server stops.  The teardown asserts
 * that ferryd stops in time and cleanly (exit status 0; in the sanitized
 * build, no leak and no use after free). */
static void test_stop_during_copy(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	cp_client_bare(&a, &sa, "cp-stop", 1012);
	host_sparse("export", "t-src", BIG * 4);
	struct dl_open src = dl_open(&a, "t-src", RD, false);
	struct dl_open dst = dl_open(&a, "t-dst", BOTH, true);
	char *before = ctlt_scrape(&server);
	struct cp_result r = cp_copy(&a, &(struct cp_args){&src, &dst, 0, 0, 0, false, 0});
	assert_int_equal(r.status, NFS4_OK);
	assert_true(r.res.response.has_callback_id);
	assert_int_equal(metric_delta(before, "ferry_copies_running"), 1);
	free(before);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_copy),
		cmocka_unit_test(test_async_copy_cb_offload),
		cmocka_unit_test(test_async_copy_back_channel_down),
		cmocka_unit_test(test_offload_cancel),
		cmocka_unit_test(test_destroy_clientid_during_copy),
		cmocka_unit_test(test_copy_refusals),
		cmocka_unit_test(test_copy_notify_refused),
		cmocka_unit_test(test_copy_recalls_delegation),
		cmocka_unit_test(test_per_client_cap),
		cmocka_unit_test(test_lease_expiry_cancels_copy),
		cmocka_unit_test(test_stop_during_copy),
	};
	return cmocka_run_group_tests(tests, cp_setup, dl_teardown);
}
