/* The NFSv3 workloads (--vers 3): the same files as their NFSv4.1
 * namesakes, made by the same set-up through an NFSv4.1 session; their
 * NFSv3 handles come from MOUNT and NFSv3 LOOKUP (handles3.c), as a v3
 * client gets them, since a server's v3 handles need not be its v4 ones.
 * Then one NFSv3 call per step:
 *
 *   getattr      GETATTR of a file
 *   lookup       LOOKUP of a file in the deepest of --depth directories
 *   read4k       READ 4 KiB at a random aligned offset
 *   read1m       READ 1 MiB, sequential per stream
 *   write1m      WRITE 1 MiB, sequential per stream (--stable)
 *   readdirplus  READDIRPLUS of a directory of --dir-entries files until eof
 *   create       CREATE (GUARDED), WRITE 4 KiB, REMOVE: a file's whole life
 *
 * Short reads and writes, and listings with the wrong number of entries,
 * are protocol errors, as for NFSv4. */
#include <stdio.h>
#include <string.h>

#include "cmd/bench/bench.h"
#include "xdr/nfs3_codec.h"

enum { V3_ENTRIES = 4096, V3_DIRCOUNT = 16384, V3_MAXCOUNT = 65536 };

static uint8_t payload3[1u << 20];
/* The listing being decoded (one thread runs the loop). */
static struct nfs3_entry entries3[V3_ENTRIES];

static struct nfs3_fh wire(const struct bench_fh *fh)
{
	return (struct nfs3_fh){fh->data, fh->len};
}

static void v3_on_reply(struct bench_stream *s, struct xdr_dec *d);

/* Sends proc with a's arguments; payload (WRITE's data, len bytes) goes
 * out from where it is, after the rest of the arguments. */
static void v3_send(struct bench_stream *s, uint32_t proc, union nfs3_args *a,
		    const uint8_t *data, uint32_t len)
{
	call_begin(s, NFS3_PROGRAM, NFS3_VERSION, proc, &s->ctx->cred);
	struct xdr_stream x = XDR_ENC_STREAM(&s->call.enc);
	s->counter = proc; /* which results the reply holds */
	if (data) {
		/* WRITE: everything up to the data's length, then the data. */
		a->write.data = (struct nfs3_str){NULL, 0};
		if (!nfs3_xdr_fh(&x, &a->write.file) || !xdr_u64(&x, &a->write.offset) ||
		    !xdr_u32(&x, &a->write.count) || !xdr_u32(&x, &a->write.stable) ||
		    !xdr_encode_u32(&s->call.enc, len)) {
			bench_fail(s->ctx, "WRITE arguments do not fit");
			return;
		}
		call_splice(s, data, len);
	} else if (!nfs3_xdr_args(&x, proc, a)) {
		bench_fail(s->ctx, "%s arguments do not fit", nfs3_proc_name(proc));
		return;
	}
	s->on_reply = v3_on_reply;
	call_send(s);
}

/* The step's call, by workload and step. */
static void issue3_getattr(struct bench_stream *s)
{
	union nfs3_args a = {.fh = wire(&s->ctx->v3.file)};
	v3_send(s, NFSPROC3_GETATTR, &a, NULL, 0);
}

static void issue3_lookup(struct bench_stream *s)
{
	union nfs3_args a = {.dirop = {wire(&s->ctx->v3.lookup_dir), {(const uint8_t *)"f", 1}}};
	v3_send(s, NFSPROC3_LOOKUP, &a, NULL, 0);
}

static void issue3_read(struct bench_stream *s)
{
	union nfs3_args a = {.read = {wire(&s->ctx->v3.file), s->offset, s->ctx->io_size}};
	v3_send(s, NFSPROC3_READ, &a, NULL, 0);
}

static void issue3_write(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	union nfs3_args a = {
		.write = {wire(&s->sess->wfh3), s->offset, c->io_size, c->opts.write_stable, {NULL, 0}}};
	v3_send(s, NFSPROC3_WRITE, &a, payload3, c->io_size);
}

static void issue3_readdirplus(struct bench_stream *s)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.readdir.dir = wire(&s->ctx->v3.dir);
	a.readdir.cookie = s->cookie;
	memcpy(a.readdir.verf, s->verf.data, NFS3_COOKIEVERFSIZE);
	a.readdir.count = V3_DIRCOUNT;
	a.readdir.maxcount = V3_MAXCOUNT;
	v3_send(s, NFSPROC3_READDIRPLUS, &a, NULL, 0);
}

static void issue3_create(struct bench_stream *s)
{
	struct bench_ctx *c = s->ctx;
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	struct nfs3_str name = {(const uint8_t *)s->name, (uint32_t)strlen(s->name)};
	switch (s->step) {
	case 0:
		a.create.where = (struct nfs3_diropargs){wire(&c->v3.workdir), name};
		a.create.mode = GUARDED;
		a.create.attr.set_mode = true;
		a.create.attr.mode = 0644;
		v3_send(s, NFSPROC3_CREATE, &a, NULL, 0);
		return;
	case 1:
		a.write = (struct nfs3_write_args){wire(&s->fh), 0, 4096, UNSTABLE, {NULL, 0}};
		v3_send(s, NFSPROC3_WRITE, &a, payload3, 4096);
		return;
	default:
		a.dirop = (struct nfs3_diropargs){wire(&c->v3.workdir), name};
		v3_send(s, NFSPROC3_REMOVE, &a, NULL, 0);
		return;
	}
}

/* The reply of the step's call: its status, and what the workload checks. */
static void v3_on_reply(struct bench_stream *s, struct xdr_dec *d)
{
	struct bench_ctx *c = s->ctx;
	uint32_t proc = (uint32_t)s->counter;
	struct nfs3_res r;
	memset(&r, 0, sizeof(r));
	r.u.readdir.list.v = entries3;
	r.u.readdir.list.cap = V3_ENTRIES;
	struct xdr_stream x = XDR_DEC_STREAM(d);
	if (!nfs3_xdr_res(&x, proc, &r)) {
		bench_fail(c, "malformed NFSv3 %s result", nfs3_proc_name(proc));
		return;
	}
	if (r.status != NFS3_OK) {
		s->err_op = proc;
		s->err_status = r.status;
		s->done(s, STEP_ERROR);
		return;
	}
	switch (proc) {
	case NFSPROC3_READ:
		if (r.u.read.data.len != c->io_size) {
			bench_fail(c, "short READ at %llu: %u of %u bytes",
				   (unsigned long long)s->offset, r.u.read.data.len, c->io_size);
			return;
		}
		s->op_bytes = r.u.read.data.len;
		break;
	case NFSPROC3_WRITE: {
		bool creating = c->opts.workload->issue3 == issue3_create;
		uint32_t want = creating ? 4096 : c->io_size;
		if (r.u.write.count != want) {
			bench_fail(c, "short WRITE at %llu: %u of %u bytes",
				   (unsigned long long)s->offset, r.u.write.count, want);
			return;
		}
		if (creating) {
			/* The create workload goes on with its REMOVE. */
			s->done(s, STEP_NEXT);
			return;
		}
		s->op_bytes = r.u.write.count;
		break;
	}
	case NFSPROC3_CREATE:
		if (!r.fh.present || r.fh.fh.len > sizeof(s->fh.data)) {
			bench_fail(c, "CREATE gave no file handle");
			return;
		}
		s->fh.len = r.fh.fh.len;
		memcpy(s->fh.data, r.fh.fh.data, r.fh.fh.len);
		s->done(s, STEP_NEXT);
		return;
	case NFSPROC3_READDIRPLUS: {
		struct nfs3_dirlist *l = &r.u.readdir.list;
		memcpy(s->verf.data, r.u.readdir.verf, NFS3_COOKIEVERFSIZE);
		/* "." and ".." are listed too: not the directory's files. */
		for (uint32_t i = 0; i < l->n; i++) {
			const struct nfs3_str *nm = &l->v[i].name;
			bool dot = (nm->len == 1 && nm->data[0] == '.') ||
				   (nm->len == 2 && nm->data[0] == '.' && nm->data[1] == '.');
			s->entries += !dot;
		}
		if (!l->eof) {
			if (l->n == 0) {
				bench_fail(c, "READDIRPLUS returned no entries and no eof");
				return;
			}
			s->cookie = l->v[l->n - 1].cookie;
			s->done(s, STEP_NEXT);
			return;
		}
		if (s->entries != c->opts.dir_entries) {
			bench_fail(c, "READDIRPLUS listed %u entries, the directory has %u",
				   s->entries, c->opts.dir_entries);
			return;
		}
		break;
	}
	default:
		break;
	}
	s->done(s, STEP_DONE);
}

/* name, what it does, the NFSv4.1 workload whose set-up it takes, its call. */
static const struct {
	const char *name, *desc, *base;
	void (*issue3)(struct bench_stream *s);
} v3_table[] = {
	{"getattr", "NFSv3 GETATTR", "getattr", issue3_getattr},
	{"lookup", "NFSv3 LOOKUP of a file --depth directories down", "lookup", issue3_lookup},
	{"read4k", "NFSv3 READ 4 KiB at random offsets", "read4k", issue3_read},
	{"read1m", "NFSv3 READ 1 MiB sequentially", "read1m", issue3_read},
	{"write1m", "NFSv3 WRITE 1 MiB sequentially", "write1m", issue3_write},
	{"readdirplus", "NFSv3 READDIRPLUS of a large directory until eof", "readdir",
	 issue3_readdirplus},
	{"create", "NFSv3 CREATE, WRITE 4 KiB, REMOVE", "create", issue3_create},
};

const char *bench_call_name(uint32_t vers, uint32_t op)
{
	return vers == 3 ? nfs3_proc_name(op) : bench_op_name(op);
}

const char *bench_call_status_name(uint32_t vers, uint32_t status)
{
	static const struct {
		uint32_t status;
		const char *name;
	} v3_names[] = {
		{NFS3_OK, "NFS3_OK"},
		{NFS3ERR_PERM, "NFS3ERR_PERM"},
		{NFS3ERR_NOENT, "NFS3ERR_NOENT"},
		{NFS3ERR_IO, "NFS3ERR_IO"},
		{NFS3ERR_NXIO, "NFS3ERR_NXIO"},
		{NFS3ERR_ACCES, "NFS3ERR_ACCES"},
		{NFS3ERR_EXIST, "NFS3ERR_EXIST"},
		{NFS3ERR_XDEV, "NFS3ERR_XDEV"},
		{NFS3ERR_NODEV, "NFS3ERR_NODEV"},
		{NFS3ERR_NOTDIR, "NFS3ERR_NOTDIR"},
		{NFS3ERR_ISDIR, "NFS3ERR_ISDIR"},
		{NFS3ERR_INVAL, "NFS3ERR_INVAL"},
		{NFS3ERR_FBIG, "NFS3ERR_FBIG"},
		{NFS3ERR_NOSPC, "NFS3ERR_NOSPC"},
		{NFS3ERR_ROFS, "NFS3ERR_ROFS"},
		{NFS3ERR_MLINK, "NFS3ERR_MLINK"},
		{NFS3ERR_NAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
		{NFS3ERR_NOTEMPTY, "NFS3ERR_NOTEMPTY"},
		{NFS3ERR_DQUOT, "NFS3ERR_DQUOT"},
		{NFS3ERR_STALE, "NFS3ERR_STALE"},
		{NFS3ERR_REMOTE, "NFS3ERR_REMOTE"},
		{NFS3ERR_BADHANDLE, "NFS3ERR_BADHANDLE"},
		{NFS3ERR_NOT_SYNC, "NFS3ERR_NOT_SYNC"},
		{NFS3ERR_BAD_COOKIE, "NFS3ERR_BAD_COOKIE"},
		{NFS3ERR_NOTSUPP, "NFS3ERR_NOTSUPP"},
		{NFS3ERR_TOOSMALL, "NFS3ERR_TOOSMALL"},
		{NFS3ERR_SERVERFAULT, "NFS3ERR_SERVERFAULT"},
		{NFS3ERR_BADTYPE, "NFS3ERR_BADTYPE"},
		{NFS3ERR_JUKEBOX, "NFS3ERR_JUKEBOX"},
	};
	static char other[32];
	if (vers != 3)
		return bench_status_name(status);
	for (size_t i = 0; i < sizeof(v3_names) / sizeof(v3_names[0]); i++)
		if (v3_names[i].status == status)
			return v3_names[i].name;
	snprintf(other, sizeof(other), "NFS3ERR_%u", status);
	return other;
}

const struct bench_workload *workload_find_v3(const char *name)
{
	static struct bench_workload wl;
	for (size_t i = 0; i < sizeof(v3_table) / sizeof(v3_table[0]); i++) {
		if (strcmp(v3_table[i].name, name) != 0)
			continue;
		const struct bench_workload *base = workload_find(v3_table[i].base);
		if (!base)
			return NULL;
		wl = *base;
		wl.name = v3_table[i].name;
		wl.desc = v3_table[i].desc;
		wl.issue3 = v3_table[i].issue3;
		wl.base_name = v3_table[i].base;
		return &wl;
	}
	return NULL;
}

void workload_list_v3(FILE *out)
{
	for (size_t i = 0; i < sizeof(v3_table) / sizeof(v3_table[0]); i++)
		fprintf(out, "%-11s %s (--vers 3)\n", v3_table[i].name, v3_table[i].desc);
}
