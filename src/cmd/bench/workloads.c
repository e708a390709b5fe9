/* The workloads: what one operation is, how it is encoded and how its
 * results are checked.  Every NFSv4.1 workload works inside a fresh work
 * directory it makes in the export ("ferry-bench.<pid>.<random>") and
 * removes at the end unless --keep.
 *
 *   null      RPC NULL
 *   sequence  SEQUENCE alone
 *   getattr   SEQUENCE PUTFH GETATTR (the attributes `stat` needs)
 *   lookup    SEQUENCE PUTROOTFH LOOKUP... GETFH GETATTR: the path from the
 *             pseudo root to a file --depth directories below the work dir
 *   create    SEQUENCE PUTFH OPEN(create) WRITE(4 KiB) CLOSE, then
 *             SEQUENCE PUTFH REMOVE: one op is one file's whole life
 *   rename    SEQUENCE PUTFH SAVEFH RENAME: each stream renames a file of
 *             its own (made at set-up) to another name and back, all in
 *             the work directory
 *   read4k    SEQUENCE PUTFH READ 4 KiB at a random aligned offset
 *   read1m    SEQUENCE PUTFH READ 1 MiB, sequential per stream
 *   readplus1m  the same with READ_PLUS, in NFSv4.2 COMPOUNDs (the file has
 *             no holes: what READ_PLUS costs over READ)
 *   write4k   SEQUENCE PUTFH WRITE 4 KiB at a random aligned offset
 *   write1m   SEQUENCE PUTFH WRITE 1 MiB, sequential per stream
 *   readdir   a whole listing of a directory of --dir-entries files:
 *             SEQUENCE PUTFH READDIR until eof, with `ls -l` attributes
 *   copy      NFSv4.2: one op copies the whole --file-size file into a new
 *             file of the stream's with server-side COPY (synchronous when
 *             the server will, else asynchronous, its end polled with
 *             OFFLOAD_STATUS: ferry-bench serves no back channel), then
 *             COMMIT, CLOSE and REMOVE of the copy
 *   copyrw    the same copy done by the client: READ 1 MiB, WRITE it,
 *             to the end, then COMMIT, CLOSE and REMOVE (NFSv4.1, so a
 *             server without COPY runs it too)
 *
 * Reads go to one shared file of --file-size, opened by every session;
 * writes go to one file per session.  Short reads and writes, and listings
 * with the wrong number of entries, are protocol errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cmd/bench/bench.h"
#include "cmd/bench/setup.h"
#include "core/clock.h"

enum {
	MAX_LOOKUP_COMPONENTS = 32,
	CREATE_WRITE_SIZE = 4096,
	READDIR_DIRCOUNT = 16384,
	READDIR_MAXCOUNT = 65536,
	COMPOUND_OVERHEAD = 4096, /* bytes around a READ/WRITE payload */
};

static uint8_t payload[1u << 20];

/* The path walked by the lookup workload, as components. */
static char lookup_comps[MAX_LOOKUP_COMPONENTS][64];
static unsigned nlookup_comps;
/* The work dir and the directories below it, made by the lookup setup. */
static struct bench_fh lookup_dirs[MAX_LOOKUP_COMPONENTS];
static unsigned lookup_levels;

static struct nfs4_bitmap stat_attrs(void)
{
	static const unsigned attrs[] = {
		FATTR4_TYPE,	    FATTR4_CHANGE,	FATTR4_SIZE,	    FATTR4_FSID,
		FATTR4_FILEID,	    FATTR4_MODE,	FATTR4_NUMLINKS,    FATTR4_OWNER,
		FATTR4_OWNER_GROUP, FATTR4_SPACE_USED,	FATTR4_TIME_ACCESS, FATTR4_TIME_METADATA,
		FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID,
	};
	struct nfs4_bitmap b = {{0}};
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		nfs4_bitmap_set(&b, attrs[i]);
	return b;
}

static struct nfs4_getattr_args getattr_args;

/* --- shared setup ------------------------------------------------------ */

static struct bench_session *ctl_session(struct bench_ctx *c) { return &c->sessions[0]; }

static int check_io_size(struct bench_ctx *c, uint32_t io)
{
	for (unsigned i = 0; i < c->nsessions; i++) {
		const struct nfs4_chan_attrs *f = &c->sessions[i].fore;
		if (f->maxrequestsize < io + COMPOUND_OVERHEAD ||
		    f->maxresponsesize < io + COMPOUND_OVERHEAD) {
			bench_fail(c,
				   "the server's session limits (maxrequestsize %u, maxresponsesize "
				   "%u) are too small for %u-byte I/O",
				   f->maxrequestsize, f->maxresponsesize, io);
			return -1;
		}
	}
	return 0;
}

/* Looks up the export and makes the work directory in it. */
static int setup_workdir(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	struct bench_fh export_fh;
	uint32_t rnd;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)clock_now_ns();
	if (setup_attrs_init(c) || setup_lookup_path(ss, c->opts.export_path, &export_fh) != 0)
		return -1;
	snprintf(c->workdir, sizeof(c->workdir), "ferry-bench.%d.%08x", (int)getpid(), rnd);
	if (setup_mkdir(ss, &export_fh, c->workdir, &c->workdir_fh) != 0)
		return -1;
	c->workdir_made = true;
	getattr_args.mask = stat_attrs();
	for (size_t i = 0; i < sizeof(payload); i += 4) {
		uint32_t v = (uint32_t)i * 2654435761u;
		memcpy(payload + i, &v, 4);
	}
	c->payload = payload;
	return 0;
}

static void teardown_workdir(struct bench_ctx *c)
{
	if (!c->workdir_made || c->failed)
		return;
	if (c->opts.keep) {
		fprintf(stderr, "ferry-bench: kept %s/%s\n", c->opts.export_path, c->workdir);
		return;
	}
	struct bench_fh export_fh;
	struct bench_session *ss = ctl_session(c);
	if (setup_lookup_path(ss, c->opts.export_path, &export_fh) == 0)
		setup_remove(ss, &export_fh, c->workdir);
	c->workdir_made = false;
}

/* Removes a file of the work directory, unless the run failed (what is
 * left shows what happened) or --keep. */
static void remove_unless_kept(struct bench_ctx *c, struct bench_session *ss, const char *name)
{
	if (!c->failed && !c->opts.keep)
		setup_remove(ss, &c->workdir_fh, name);
}

/* --- sequence ------------------------------------------------------------ */

static bool sequence_enc(struct bench_stream *s, struct nfs4_compound_enc *ce) { return true; }

static enum step_result sequence_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	if (n != 0) {
		bench_fail(s->ctx, "SEQUENCE alone got %u more results", n);
		return STEP_FATAL;
	}
	return STEP_DONE;
}

static int sequence_setup(struct bench_ctx *c) { return 0; }

static void no_teardown(struct bench_ctx *c) {}

static void no_op_begin(struct bench_stream *s) {}

/* --- getattr --------------------------------------------------------------- */

static int getattr_setup(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	struct nfs4_stateid sid;
	if (setup_workdir(c) != 0 ||
	    setup_open(ss, &c->workdir_fh, "f", OPEN4_SHARE_ACCESS_WRITE, true, &c->rfh, &sid) ||
	    setup_write(ss, &c->rfh, &sid, 0, payload, 4096, FILE_SYNC4) ||
	    setup_close(ss, &c->rfh, &sid))
		return -1;
	return 0;
}

static void getattr_teardown(struct bench_ctx *c)
{
	remove_unless_kept(c, ctl_session(c), "f");
	teardown_workdir(c);
}

static bool enc_putfh(struct nfs4_compound_enc *ce, const struct bench_fh *fh)
{
	const struct nfs4_putfh_args a = {.fh = bench_fh_opaque(fh)};
	return nfs4_enc_op(ce, OP_PUTFH) && nfs4_enc_putfh_args(ce->e, &a);
}

static bool enc_getattr(struct nfs4_compound_enc *ce)
{
	return nfs4_enc_op(ce, OP_GETATTR) && nfs4_enc_getattr_args(ce->e, &getattr_args);
}

static bool getattr_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	return enc_putfh(ce, &s->ctx->rfh) && enc_getattr(ce);
}

static enum step_result dec_fattr_result(struct bench_stream *s, struct xdr_dec *d)
{
	struct nfs4_getattr_res r;
	if (!nfs4_dec_getattr_res(d, &r))
		return session_malformed(s, OP_GETATTR);
	if (!nfs4_bitmap_isset(&r.attrs.mask, FATTR4_TYPE)) {
		bench_fail(s->ctx, "GETATTR result without the file type");
		return STEP_FATAL;
	}
	return STEP_DONE;
}

static enum step_result getattr_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_OK(s, d, n, OP_GETATTR);
	return dec_fattr_result(s, d);
}

/* --- lookup ------------------------------------------------------------- */

static int add_lookup_comp(struct bench_ctx *c, const char *name, size_t len)
{
	if (nlookup_comps >= MAX_LOOKUP_COMPONENTS || len >= sizeof(lookup_comps[0])) {
		bench_fail(c, "lookup path too deep or a component too long");
		return -1;
	}
	memcpy(lookup_comps[nlookup_comps], name, len);
	lookup_comps[nlookup_comps][len] = '\0';
	nlookup_comps++;
	return 0;
}

static int lookup_setup(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	if (setup_workdir(c) != 0)
		return -1;
	nlookup_comps = 0;
	for (const char *p = c->opts.export_path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n && add_lookup_comp(c, p, n))
			return -1;
		p += n;
	}
	if (add_lookup_comp(c, c->workdir, strlen(c->workdir)))
		return -1;
	if (c->opts.depth >= MAX_LOOKUP_COMPONENTS - 8) {
		bench_fail(c, "--depth %u is too deep", c->opts.depth);
		return -1;
	}
	lookup_dirs[0] = c->workdir_fh;
	lookup_levels = 1;
	for (unsigned i = 1; i <= c->opts.depth; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d%u", i);
		if (setup_mkdir(ss, &lookup_dirs[i - 1], name, &lookup_dirs[i]) ||
		    add_lookup_comp(c, name, strlen(name)))
			return -1;
		lookup_levels = i + 1;
	}
	if (setup_touch(ss, &lookup_dirs[lookup_levels - 1], "f") || add_lookup_comp(c, "f", 1))
		return -1;
	/* SEQUENCE PUTROOTFH LOOKUP... GETFH GETATTR */
	uint32_t ops = nlookup_comps + 4;
	for (unsigned i = 0; i < c->nsessions; i++) {
		if (c->sessions[i].fore.maxoperations < ops) {
			bench_fail(c, "the path walk needs %u ops per COMPOUND; the server allows %u",
				   ops, c->sessions[i].fore.maxoperations);
			return -1;
		}
	}
	return 0;
}

static void lookup_teardown(struct bench_ctx *c)
{
	if (!c->failed && !c->opts.keep && lookup_levels > 0) {
		/* Bottom up: f in the deepest directory, then each d<i>. */
		struct bench_session *ss = ctl_session(c);
		if (setup_remove(ss, &lookup_dirs[lookup_levels - 1], "f") == 0) {
			for (unsigned i = lookup_levels - 1; i > 0 && !c->failed; i--) {
				char name[16];
				snprintf(name, sizeof(name), "d%u", i);
				setup_remove(ss, &lookup_dirs[i - 1], name);
			}
		}
	}
	teardown_workdir(c);
}

static bool lookup_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	bool ok = nfs4_enc_op(ce, OP_PUTROOTFH);
	for (unsigned i = 0; ok && i < nlookup_comps; i++) {
		const struct nfs4_lookup_args a = {.name = nfs4_opaque_str(lookup_comps[i])};
		ok = nfs4_enc_op(ce, OP_LOOKUP) && nfs4_enc_lookup_args(ce->e, &a);
	}
	return ok && nfs4_enc_op(ce, OP_GETFH) && enc_getattr(ce);
}

static enum step_result lookup_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct nfs4_getfh_res fh;
	EXPECT_OK(s, d, n, OP_PUTROOTFH);
	for (unsigned i = 0; i < nlookup_comps; i++)
		EXPECT_OK(s, d, n, OP_LOOKUP);
	EXPECT_RES(s, d, n, OP_GETFH, nfs4_dec_getfh_res, &fh);
	EXPECT_OK(s, d, n, OP_GETATTR);
	return dec_fattr_result(s, d);
}

/* --- create ------------------------------------------------------------- */

static int create_setup(struct bench_ctx *c) { return setup_workdir(c); }

static void create_teardown(struct bench_ctx *c) { teardown_workdir(c); }

static void create_op_begin(struct bench_stream *s)
{
	snprintf(s->name, sizeof(s->name), "c%u.%llu", s->id, (unsigned long long)s->counter++);
}

/* PUTFH of the work directory, OPEN that creates the stream's file
 * s->name: the first step of the create and copy workloads.  This and the
 * remove step are inline: they are the create workload's hot path, and
 * calls to them cost ~0.4% of the client's instructions per op. */
static inline bool enc_open_create(struct bench_stream *s, struct nfs4_compound_enc *ce,
			    uint32_t share_access)
{
	struct bench_ctx *c = s->ctx;
	uint8_t owner[64];
	const struct nfs4_open_args open = {
		.share_access = share_access | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
		.share_deny = OPEN4_SHARE_DENY_NONE,
		.owner = {.clientid = c->id.clientid,
			  .owner = {owner, setup_open_owner(s->sess, owner, sizeof(owner))}},
		.opentype = OPEN4_CREATE,
		.how = {.mode = UNCHECKED4, .attrs = c->file_mode_attrs},
		.claim = {.type = CLAIM_NULL, .file = nfs4_opaque_str(s->name)},
	};
	return enc_putfh(ce, &c->workdir_fh) && nfs4_enc_op(ce, OP_OPEN) &&
	       nfs4_enc_open_args(ce->e, &open);
}

/* PUTFH of the work directory, REMOVE of the stream's file: the last step
 * of the create and copy workloads. */
static inline bool enc_remove_own_file(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	const struct nfs4_remove_args remove = {.name = nfs4_opaque_str(s->name)};
	return enc_putfh(ce, &s->ctx->workdir_fh) && nfs4_enc_op(ce, OP_REMOVE) &&
	       nfs4_enc_remove_args(ce->e, &remove);
}

static inline enum step_result dec_remove_own_file(struct bench_stream *s, struct xdr_dec *d,
						   uint32_t n)
{
	struct nfs4_remove_res remove;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_REMOVE, nfs4_dec_remove_res, &remove);
	return STEP_DONE;
}

static bool create_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	if (s->step != 0)
		return enc_remove_own_file(s, ce);
	const struct nfs4_write_args write = {.stateid = bench_current_stateid,
					      .stable = s->ctx->opts.write_stable,
					      .data = {payload, CREATE_WRITE_SIZE}};
	const struct nfs4_close_args close = {.stateid = bench_current_stateid};
	if (!enc_open_create(s, ce, OPEN4_SHARE_ACCESS_WRITE) || !nfs4_enc_op(ce, OP_WRITE) ||
	    !nfs4_enc_write_args_hdr(ce->e, &write))
		return false;
	call_splice(s, payload, CREATE_WRITE_SIZE);
	return nfs4_enc_op(ce, OP_CLOSE) && nfs4_enc_close_args(ce->e, &close);
}

static enum step_result create_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	if (s->step != 0)
		return dec_remove_own_file(s, d, n);
	struct nfs4_open_res open;
	struct nfs4_write_res write;
	struct nfs4_close_res close;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_OPEN, nfs4_dec_open_res, &open);
	EXPECT_RES(s, d, n, OP_WRITE, nfs4_dec_write_res, &write);
	if (write.count != CREATE_WRITE_SIZE) {
		bench_fail(s->ctx, "WRITE to a new file: %u of %u bytes written", write.count,
			   CREATE_WRITE_SIZE);
		return STEP_FATAL;
	}
	EXPECT_RES(s, d, n, OP_CLOSE, nfs4_dec_close_res, &close);
	s->op_bytes = CREATE_WRITE_SIZE;
	return STEP_NEXT;
}

/* --- rename ------------------------------------------------------------- */

/* The stream's file: r<index> and r<index>~ in turn. */
#define RENAME_NAME "r%07u"

static unsigned stream_index(const struct bench_stream *s)
{
	return (unsigned)(s - s->ctx->workers);
}

static int rename_setup(struct bench_ctx *c)
{
	unsigned made;
	return setup_workdir(c) ||
	       setup_touch_many(ctl_session(c), &c->workdir_fh, RENAME_NAME, c->nworkers, &made);
}

static void rename_teardown(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	for (unsigned i = 0; !c->failed && !c->opts.keep && i < c->nworkers; i++) {
		char name[32];
		snprintf(name, sizeof(name), RENAME_NAME, i);
		setup_remove_if_there(ss, &c->workdir_fh, name);
		strcat(name, "~");
		if (!c->failed)
			setup_remove_if_there(ss, &c->workdir_fh, name);
	}
	teardown_workdir(c);
}

static void rename_op_begin(struct bench_stream *s) { (void)s; }

static bool rename_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	char a[32], b[32];
	snprintf(a, sizeof(a), RENAME_NAME, stream_index(s));
	snprintf(b, sizeof(b), RENAME_NAME "~", stream_index(s));
	bool back = s->counter & 1;
	const struct nfs4_rename_args r = {.oldname = nfs4_opaque_str(back ? b : a),
					   .newname = nfs4_opaque_str(back ? a : b)};
	return enc_putfh(ce, &s->ctx->workdir_fh) && nfs4_enc_op(ce, OP_SAVEFH) &&
	       nfs4_enc_op(ce, OP_RENAME) && nfs4_enc_rename_args(ce->e, &r);
}

static enum step_result rename_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct nfs4_rename_res r;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_OK(s, d, n, OP_SAVEFH);
	EXPECT_RES(s, d, n, OP_RENAME, nfs4_dec_rename_res, &r);
	s->counter++; /* the file has its other name now */
	return STEP_DONE;
}

/* --- read and write ----------------------------------------------------- */

static uint64_t data_size(struct bench_ctx *c)
{
	uint64_t size = c->opts.file_size / c->io_size * c->io_size;
	return size ? size : c->io_size;
}

static int read_setup(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	struct nfs4_stateid sid;
	c->io_size = c->opts.workload->io_size;
	if (check_io_size(c, c->io_size) || setup_workdir(c) ||
	    setup_open(ss, &c->workdir_fh, "data", OPEN4_SHARE_ACCESS_BOTH, true, &c->rfh, &sid))
		return -1;
	uint64_t size = data_size(c);
	uint32_t chunk = sizeof(payload);
	for (uint64_t off = 0; off < size; off += chunk) {
		uint32_t len = size - off < chunk ? (uint32_t)(size - off) : chunk;
		if (check_io_size(c, chunk) == 0) {
			if (setup_write(ss, &c->rfh, &sid, off, payload, len, UNSTABLE4))
				return -1;
		} else {
			return -1;
		}
	}
	if (setup_commit(ss, &c->rfh) || setup_close(ss, &c->rfh, &sid))
		return -1;
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *si = &c->sessions[i];
		struct bench_fh fh;
		if (setup_open(si, &c->workdir_fh, "data", OPEN4_SHARE_ACCESS_READ, false, &fh,
			       &si->rsid))
			return -1;
		si->ropen = true;
	}
	return 0;
}

/* Closes the file a session holds open for the run, if it still does. */
static void close_held(struct bench_session *si, const struct bench_fh *fh,
		       struct nfs4_stateid *sid, bool *open)
{
	if (*open && setup_close(si, fh, sid) == 0)
		*open = false;
}

static void read_teardown(struct bench_ctx *c)
{
	for (unsigned i = 0; i < c->nsessions && !c->failed; i++)
		close_held(&c->sessions[i], &c->rfh, &c->sessions[i].rsid, &c->sessions[i].ropen);
	remove_unless_kept(c, ctl_session(c), "data");
	teardown_workdir(c);
}

static int write_setup(struct bench_ctx *c)
{
	c->io_size = c->opts.workload->io_size;
	if (check_io_size(c, c->io_size) || setup_workdir(c))
		return -1;
	for (unsigned i = 0; i < c->nsessions; i++) {
		struct bench_session *si = &c->sessions[i];
		char name[32];
		snprintf(name, sizeof(name), "w%u", i);
		if (setup_open(si, &c->workdir_fh, name, OPEN4_SHARE_ACCESS_BOTH, true, &si->wfh,
			       &si->wsid))
			return -1;
		si->wopen = true;
	}
	return 0;
}

static void write_teardown(struct bench_ctx *c)
{
	for (unsigned i = 0; i < c->nsessions && !c->failed; i++) {
		struct bench_session *si = &c->sessions[i];
		char name[32];
		snprintf(name, sizeof(name), "w%u", i);
		close_held(si, &si->wfh, &si->wsid, &si->wopen);
		remove_unless_kept(c, si, name);
	}
	teardown_workdir(c);
}

static void random_op_begin(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	uint64_t blocks = data_size(c) / c->io_size;
	s->offset = (bench_rand(&s->rng) % blocks) * c->io_size;
}

static void sequential_op_begin(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	if (s->cursor >= data_size(c))
		s->cursor = 0;
	s->offset = s->cursor;
	s->cursor += c->io_size;
}

/* PUTFH of the shared data file, then op (READ, or READ_PLUS in NFSv4.2
 * COMPOUNDs) of io_size bytes at s->offset. */
static bool enc_read(struct bench_stream *s, struct nfs4_compound_enc *ce, uint32_t op)
{
	struct bench_ctx *c = s->ctx;
	const struct nfs4_read_args a = {
		.stateid = s->sess->rsid, .offset = s->offset, .count = c->io_size};
	if (!enc_putfh(ce, &c->rfh) || !nfs4_enc_op(ce, op))
		return false;
	return op == OP_READ_PLUS ? nfs4_enc_read_plus_args(ce->e, &a)
				  : nfs4_enc_read_args(ce->e, &a);
}

/* A READ or READ_PLUS must return io_size bytes: short is a protocol
 * error. */
static enum step_result read_short(struct bench_stream *s, uint32_t op, uint64_t got, bool eof)
{
	bench_fail(s->ctx, "short %s at %llu: %llu of %u bytes (eof %d)", bench_op_name(op),
		   (unsigned long long)s->offset, (unsigned long long)got, s->ctx->io_size, eof);
	return STEP_FATAL;
}

static bool read_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	return enc_read(s, ce, OP_READ);
}

static bool read_plus_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	return enc_read(s, ce, OP_READ_PLUS);
}

static enum step_result read_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct nfs4_read_res r;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_READ, nfs4_dec_read_res, &r);
	if (r.data.len != s->ctx->io_size)
		return read_short(s, OP_READ, r.data.len, r.eof);
	s->op_bytes = r.data.len;
	return STEP_DONE;
}

/* Holes count as bytes read: the client learns them as it would zeros. */
static enum step_result read_plus_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct nfs4_read_plus_res r;
	struct nfs4_read_plus_content seg;
	uint64_t got = 0;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_READ_PLUS, nfs4_dec_read_plus_res, &r);
	for (uint32_t i = 0; i < r.count; i++) {
		if (!nfs4_read_plus_res_next(&r, &seg)) {
			bench_fail(s->ctx, "malformed READ_PLUS segment");
			return STEP_FATAL;
		}
		got += seg.length;
	}
	if (got != s->ctx->io_size)
		return read_short(s, OP_READ_PLUS, got, r.eof);
	s->op_bytes = (uint32_t)got;
	return STEP_DONE;
}

/* PUTFH fh, then WRITE of io_size bytes of the payload at s->offset. */
static bool enc_write(struct bench_stream *s, struct nfs4_compound_enc *ce,
		      const struct bench_fh *fh, const struct nfs4_stateid *sid, uint32_t stable)
{
	uint32_t len = s->ctx->io_size;
	const struct nfs4_write_args a = {
		.stateid = *sid, .offset = s->offset, .stable = stable, .data = {payload, len}};
	if (!enc_putfh(ce, fh) || !nfs4_enc_op(ce, OP_WRITE) ||
	    !nfs4_enc_write_args_hdr(ce->e, &a))
		return false;
	call_splice(s, payload, len);
	return true;
}

static bool write_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	return enc_write(s, ce, &s->sess->wfh, &s->sess->wsid, s->ctx->opts.write_stable);
}

static enum step_result write_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct nfs4_write_res r;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_WRITE, nfs4_dec_write_res, &r);
	if (r.count != s->ctx->io_size) {
		bench_fail(s->ctx, "short WRITE at %llu: %u of %u bytes",
			   (unsigned long long)s->offset, r.count, s->ctx->io_size);
		return STEP_FATAL;
	}
	s->op_bytes = r.count;
	return STEP_DONE;
}

/* --- copy and copyrw -------------------------------------------------------- *
 * Steps: 0 OPEN(create) the stream's copy; 1 COPY (copy) or READ/WRITE
 * pieces (copyrw, the step repeats); 2 OFFLOAD_STATUS until the copy ended
 * (copy, when asynchronous); 3 COMMIT and CLOSE; 4 REMOVE. */

enum { COPY_POLL_NS = 5000000 }; /* between OFFLOAD_STATUS polls */

static void copy_op_begin(struct bench_stream *s)
{
	/* One file per stream, created again by each op: a failed op leaves
	 * at most that one behind. */
	snprintf(s->name, sizeof(s->name), "copy%u", s->id);
	s->offset = 0;
	s->entries = 0; /* copyrw: 0 reading, 1 writing */
	s->async = false;
}

static bool copy_enc_common(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	if (s->step == 0)
		return enc_open_create(s, ce, OPEN4_SHARE_ACCESS_BOTH) && nfs4_enc_op(ce, OP_GETFH);
	if (s->step != 3)
		return enc_remove_own_file(s, ce);
	const struct nfs4_commit_args commit = {0};
	const struct nfs4_close_args close = {.stateid = s->sid};
	return enc_putfh(ce, &s->fh) && nfs4_enc_op(ce, OP_COMMIT) &&
	       nfs4_enc_commit_args(ce->e, &commit) && nfs4_enc_op(ce, OP_CLOSE) &&
	       nfs4_enc_close_args(ce->e, &close);
}

static enum step_result copy_dec_common(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	if (s->step != 0 && s->step != 3) {
		enum step_result r = dec_remove_own_file(s, d, n);
		if (r == STEP_DONE)
			s->op_bytes = data_size(s->ctx);
		return r;
	}
	EXPECT_OK(s, d, n, OP_PUTFH);
	if (s->step == 0) {
		struct nfs4_open_res open;
		struct nfs4_getfh_res fh;
		EXPECT_RES(s, d, n, OP_OPEN, nfs4_dec_open_res, &open);
		EXPECT_RES(s, d, n, OP_GETFH, nfs4_dec_getfh_res, &fh);
		if (fh.fh.len > NFS4_FHSIZE)
			return session_malformed(s, OP_GETFH);
		s->sid = open.stateid;
		s->fh.len = fh.fh.len;
		memcpy(s->fh.data, fh.fh.data, fh.fh.len);
		return STEP_NEXT;
	}
	struct nfs4_commit_res commit;
	struct nfs4_close_res close;
	EXPECT_RES(s, d, n, OP_COMMIT, nfs4_dec_commit_res, &commit);
	EXPECT_RES(s, d, n, OP_CLOSE, nfs4_dec_close_res, &close);
	return STEP_NEXT;
}

/* A copy that failed part way (a server without COPY, say) leaves its
 * file behind: removed before the work directory. */
static void copy_teardown(struct bench_ctx *c)
{
	for (unsigned i = 0; i < c->nworkers && !c->failed && !c->opts.keep; i++) {
		struct bench_stream *s = &c->workers[i];
		if (s->name[0] && strncmp(s->name, "copy", 4) == 0)
			setup_remove_if_there(ctl_session(c), &c->workdir_fh, s->name);
	}
	read_teardown(c);
}

static bool copy_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	struct bench_ctx *c = s->ctx;
	if (s->step == 1) {
		struct nfs4_copy_args a;
		memset(&a, 0, sizeof(a));
		a.src_stateid = s->sess->rsid;
		a.dst_stateid = s->sid;
		a.count = 0; /* to the end */
		a.synchronous = !s->async;
		return enc_putfh(ce, &c->rfh) && nfs4_enc_op(ce, OP_SAVEFH) &&
		       enc_putfh(ce, &s->fh) && nfs4_enc_op(ce, OP_COPY) &&
		       nfs4_enc_copy_args(ce->e, &a);
	}
	if (s->step == 2) {
		const struct nfs4_stateid_args a = {.stateid = s->copy_sid};
		return enc_putfh(ce, &s->fh) && nfs4_enc_op(ce, OP_OFFLOAD_STATUS) &&
		       nfs4_enc_offload_status_args(ce->e, &a);
	}
	return copy_enc_common(s, ce);
}

static enum step_result copy_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct bench_ctx *c = s->ctx;
	uint64_t size = data_size(c);
	if (s->step == 1) {
		EXPECT_OK(s, d, n, OP_PUTFH);
		EXPECT_OK(s, d, n, OP_SAVEFH);
		EXPECT_OK(s, d, n, OP_PUTFH);
		int rc = session_res(s, d, &n, OP_COPY);
		if (rc < 0)
			return STEP_FATAL;
		if (rc == 0) {
			if (s->err_status == NFS4ERR_OFFLOAD_NO_REQS && !s->async) {
				/* Too long for the server to copy synchronously. */
				s->async = true;
				s->step = 0; /* step 1 again */
				return STEP_NEXT;
			}
			return session_failed(s);
		}
		struct nfs4_copy_res r;
		if (!nfs4_dec_copy_res(d, &r))
			return session_malformed(s, OP_COPY);
		if (r.response.has_callback_id) {
			s->copy_sid = r.response.callback_id;
			return STEP_NEXT; /* poll */
		}
		if (r.response.count != size) {
			bench_fail(c, "short COPY: %llu of %llu bytes",
				   (unsigned long long)r.response.count, (unsigned long long)size);
			return STEP_FATAL;
		}
		s->step = 2; /* no polling */
		return STEP_NEXT;
	}
	if (s->step == 2) {
		struct nfs4_offload_status_res r;
		EXPECT_OK(s, d, n, OP_PUTFH);
		EXPECT_RES(s, d, n, OP_OFFLOAD_STATUS, nfs4_dec_offload_status_res, &r);
		if (!r.has_complete) {
			s->wait_ns = COPY_POLL_NS;
			return STEP_WAIT;
		}
		if (r.complete != NFS4_OK || r.count != size) {
			bench_fail(c, "asynchronous COPY ended with %s after %llu of %llu bytes",
				   bench_status_name(r.complete), (unsigned long long)r.count,
				   (unsigned long long)size);
			return STEP_FATAL;
		}
		return STEP_NEXT;
	}
	return copy_dec_common(s, d, n);
}

static bool copyrw_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	if (s->step != 1)
		return copy_enc_common(s, ce);
	if (s->entries == 0)
		return enc_read(s, ce, OP_READ);
	/* The source holds the payload in every piece (read_setup wrote it
	 * so, and the READ was checked against it): writing the payload
	 * writes what was read. */
	return enc_write(s, ce, &s->fh, &s->sid, UNSTABLE4);
}

static enum step_result copyrw_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct bench_ctx *c = s->ctx;
	if (s->step != 1)
		return copy_dec_common(s, d, n);
	EXPECT_OK(s, d, n, OP_PUTFH);
	if (s->entries == 0) {
		struct nfs4_read_res r;
		EXPECT_RES(s, d, n, OP_READ, nfs4_dec_read_res, &r);
		if (r.data.len != c->io_size || memcmp(r.data.data, payload, c->io_size) != 0) {
			bench_fail(c, "READ of the source at %llu: %u bytes, not the data written",
				   (unsigned long long)s->offset, r.data.len);
			return STEP_FATAL;
		}
		s->entries = 1;
	} else {
		struct nfs4_write_res w;
		EXPECT_OK(s, d, n, OP_WRITE);
		if (!nfs4_dec_write_res(d, &w) || w.count != c->io_size) {
			bench_fail(c, "short or malformed WRITE of the copy at %llu",
				   (unsigned long long)s->offset);
			return STEP_FATAL;
		}
		s->entries = 0;
		s->offset += c->io_size;
		if (s->offset >= data_size(c)) {
			s->step = 2; /* on to COMMIT and CLOSE, step 3 */
			return STEP_NEXT;
		}
	}
	s->step = 0; /* step 1 again */
	return STEP_NEXT;
}

/* --- readdir -------------------------------------------------------------- */

static struct nfs4_readdir_args readdir_args = {
	.dircount = READDIR_DIRCOUNT,
	.maxcount = READDIR_MAXCOUNT,
};

static int readdir_setup(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	if (setup_workdir(c) || setup_mkdir(ss, &c->workdir_fh, "dir", &c->dir_fh))
		return -1;
	c->dir_made = true;
	if (setup_touch_many(ss, &c->dir_fh, "e%07u", c->opts.dir_entries, &c->files_made))
		return -1;
	static const unsigned attrs[] = {FATTR4_TYPE,	  FATTR4_CHANGE,      FATTR4_SIZE,
					 FATTR4_FILEID,	  FATTR4_MODE,	      FATTR4_NUMLINKS,
					 FATTR4_OWNER,	  FATTR4_OWNER_GROUP, FATTR4_SPACE_USED,
					 FATTR4_TIME_MODIFY};
	memset(&readdir_args.attr_request, 0, sizeof(readdir_args.attr_request));
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		nfs4_bitmap_set(&readdir_args.attr_request, attrs[i]);
	return 0;
}

static void readdir_teardown(struct bench_ctx *c)
{
	struct bench_session *ss = ctl_session(c);
	if (!c->failed && !c->opts.keep && c->dir_made) {
		setup_remove_many(ss, &c->dir_fh, "e%07u", c->files_made);
		if (!c->failed)
			setup_remove(ss, &c->workdir_fh, "dir");
	}
	teardown_workdir(c);
}

static void readdir_op_begin(struct bench_stream *s)
{
	s->cookie = 0;
	memset(&s->verf, 0, sizeof(s->verf));
	s->entries = 0;
}

static bool readdir_enc(struct bench_stream *s, struct nfs4_compound_enc *ce)
{
	/* Only the cookie and its verifier change from call to call. */
	readdir_args.cookie = s->cookie;
	readdir_args.cookieverf = s->verf;
	return enc_putfh(ce, &s->ctx->dir_fh) && nfs4_enc_op(ce, OP_READDIR) &&
	       nfs4_enc_readdir_args(ce->e, &readdir_args);
}

static enum step_result readdir_dec(struct bench_stream *s, struct xdr_dec *d, uint32_t n)
{
	struct bench_ctx *c = s->ctx;
	struct nfs4_readdir_res r;
	EXPECT_OK(s, d, n, OP_PUTFH);
	EXPECT_RES(s, d, n, OP_READDIR, nfs4_dec_readdir_res, &r);
	s->verf = r.cookieverf;
	s->entries += r.count;
	if (!r.eof) {
		if (r.count == 0) {
			bench_fail(c, "READDIR returned no entries and no eof at cookie %llu",
				   (unsigned long long)s->cookie);
			return STEP_FATAL;
		}
		s->cookie = r.last_cookie;
		return STEP_NEXT;
	}
	if (s->entries != c->opts.dir_entries) {
		bench_fail(c, "READDIR listed %u entries, the directory has %u", s->entries,
			   c->opts.dir_entries);
		return STEP_FATAL;
	}
	return STEP_DONE;
}

/* --- table ------------------------------------------------------------------ */

static const struct bench_workload wl_null = {
	.name = "null", .desc = "RPC NULL calls", .nfs = false,
	.op_begin = no_op_begin, /* run.c sends RPC NULL itself */
};
static const struct bench_workload wl_sequence = {
	.name = "sequence", .desc = "SEQUENCE alone", .nfs = true,
	.setup = sequence_setup, .op_begin = no_op_begin, .enc = sequence_enc,
	.dec = sequence_dec, .teardown = no_teardown,
};
static const struct bench_workload wl_getattr = {
	.name = "getattr", .desc = "SEQUENCE PUTFH GETATTR", .nfs = true,
	.setup = getattr_setup, .op_begin = no_op_begin, .enc = getattr_enc,
	.dec = getattr_dec, .teardown = getattr_teardown,
};
static const struct bench_workload wl_lookup = {
	.name = "lookup", .desc = "path walk from the root: PUTROOTFH LOOKUP... GETFH GETATTR",
	.nfs = true, .setup = lookup_setup, .op_begin = no_op_begin, .enc = lookup_enc,
	.dec = lookup_dec, .teardown = lookup_teardown,
};
static const struct bench_workload wl_create = {
	.name = "create", .desc = "OPEN(create) WRITE 4 KiB CLOSE, then REMOVE", .nfs = true,
	.setup = create_setup, .op_begin = create_op_begin, .enc = create_enc,
	.dec = create_dec, .teardown = create_teardown,
};
static const struct bench_workload wl_rename = {
	.name = "rename", .desc = "RENAME a file of the stream's to another name and back",
	.nfs = true, .setup = rename_setup, .op_begin = rename_op_begin, .enc = rename_enc,
	.dec = rename_dec, .teardown = rename_teardown,
};
static const struct bench_workload wl_read4k = {
	.name = "read4k", .desc = "READ 4 KiB at random offsets", .nfs = true, .io_bytes = true,
	.io_size = 4096, .setup = read_setup, .op_begin = random_op_begin, .enc = read_enc,
	.dec = read_dec, .teardown = read_teardown,
};
static const struct bench_workload wl_read1m = {
	.name = "read1m", .desc = "READ 1 MiB sequentially", .nfs = true, .io_bytes = true,
	.io_size = 1u << 20, .setup = read_setup, .op_begin = sequential_op_begin, .enc = read_enc,
	.dec = read_dec, .teardown = read_teardown,
};
static const struct bench_workload wl_readplus1m = {
	.name = "readplus1m", .desc = "READ_PLUS 1 MiB sequentially (NFSv4.2)", .nfs = true,
	.io_bytes = true, .minor = 2, .io_size = 1u << 20, .setup = read_setup,
	.op_begin = sequential_op_begin, .enc = read_plus_enc, .dec = read_plus_dec,
	.teardown = read_teardown,
};
static const struct bench_workload wl_write4k = {
	.name = "write4k", .desc = "WRITE 4 KiB at random offsets", .nfs = true,
	.io_bytes = true, .io_size = 4096, .setup = write_setup, .op_begin = random_op_begin,
	.enc = write_enc, .dec = write_dec, .teardown = write_teardown,
};
static const struct bench_workload wl_write1m = {
	.name = "write1m", .desc = "WRITE 1 MiB sequentially", .nfs = true, .io_bytes = true,
	.io_size = 1u << 20, .setup = write_setup, .op_begin = sequential_op_begin, .enc = write_enc,
	.dec = write_dec, .teardown = write_teardown,
};
static const struct bench_workload wl_copy = {
	.name = "copy", .desc = "NFSv4.2 server-side COPY of the --file-size file, then COMMIT",
	.nfs = true, .io_bytes = true, .io_size = 1u << 20, .minor = 2, .setup = read_setup,
	.op_begin = copy_op_begin, .enc = copy_enc, .dec = copy_dec, .teardown = copy_teardown,
};
static const struct bench_workload wl_copyrw = {
	.name = "copyrw", .desc = "the same copy by the client: READ and WRITE 1 MiB, then COMMIT",
	.nfs = true, .io_bytes = true, .io_size = 1u << 20, .setup = read_setup,
	.op_begin = copy_op_begin, .enc = copyrw_enc, .dec = copyrw_dec, .teardown = copy_teardown,
};
static const struct bench_workload wl_readdir = {
	.name = "readdir", .desc = "list a large directory (READDIR until eof)", .nfs = true,
	.setup = readdir_setup, .op_begin = readdir_op_begin, .enc = readdir_enc,
	.dec = readdir_dec, .teardown = readdir_teardown,
};

const struct bench_workload *const bench_workloads[] = {
	&wl_null,  &wl_sequence, &wl_getattr, &wl_lookup,  &wl_create, &wl_rename,
	&wl_read4k, &wl_read1m,  &wl_readplus1m, &wl_write4k, &wl_write1m, &wl_readdir,
	&wl_copy,   &wl_copyrw,  NULL,
};

const struct bench_workload *workload_find(const char *name)
{
	for (unsigned i = 0; bench_workloads[i]; i++)
		if (strcmp(bench_workloads[i]->name, name) == 0)
			return bench_workloads[i];
	return NULL;
}

void workload_list(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (unsigned i = 0; bench_workloads[i] && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "",
					 bench_workloads[i]->name);
}
