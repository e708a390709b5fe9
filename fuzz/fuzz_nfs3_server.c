/* libFuzzer target: NFSv3 calls served by the real program (nfs3/) of an
 * in-process server on the memory back end (tests/lib/inproc_server.h),
 * every procedure from decoding through the back end to the encoded
 * results.
 *
 * Input layout:
 *   byte 0   bits 0-6: the procedure (modulo 22); bit 7: the call starts
 *            as on an event loop (the procedures that may run there do,
 *            the others ask for a worker and run again there), else as
 *            on a worker
 *   the rest its arguments, where each "@ROOTFH@", "@FILEFH@" and
 *            "@DIRFH@@" given as an opaque (its length 8 in front) is
 *            replaced by the handle of the export's root, of a file and
 *            of a directory the target made in it, so that an input gets
 *            past the handle checks although handles are MAC'd
 *
 * A new server is built for every input (in the same static storage, with
 * no state directory): nothing an input leaves behind reaches the next
 * one.  Memory files hold at most 1 MiB.
 *
 * Checked beyond "no sanitizer report": the call is done (deferred at most
 * once, from the loop; never parked: the memory back end keeps nothing to
 * flush), leaves no per-request state, is answered SUCCESS or
 * GARBAGE_ARGS, and a SUCCESS's results decode whole with the codec.
 *
 * FUZZ_NFS3_SERVER_SEEDS=DIR writes a seed per procedure to DIR and exits:
 *   FUZZ_NFS3_SERVER_SEEDS=fuzz/corpus/nfs3_server build/fuzz/fuzz_nfs3_server
 * FUZZ_NFS3_SERVER_VERBOSE=1 prints each call's procedure and status to
 * stderr (to see how far a seed gets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/fh.h"
#include "lib/inproc_server.h"
#include "nfs3/nfs3.h"
#include "xdr/nfs3_codec.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MARK = 8, MAX_ENTRIES = 256 };
static bool verbose;
static const char *const marks[] = {"@ROOTFH@", "@FILEFH@", "@DIRFH@@"};

/* The handles the markers stand for, made in ip's first export. */
static void make_objects(struct inproc *ip, struct fh out[3])
{
	struct export *ex = ip->nfs.exports.list[0];
	struct backend_cred root = {0};
	struct backend_setattr sa = {.mask = BACKEND_SET_MODE, .mode = 0644};
	struct backend_handle f, d;
	struct backend_attr attr;
	bool created;
	CHECK(ex->ops->create_file(ex->bex, &root, &ex->root, "f", BACKEND_CREATE_GUARDED, NULL, &sa,
				   &f, &attr, &created) == 0);
	size_t written;
	enum backend_stable committed;
	CHECK(ex->ops->write(ex->bex, &root, &f, 0, "fuzz data", 9, BACKEND_UNSTABLE, &written,
			     &committed) == 0);
	sa.mode = 0755;
	CHECK(ex->ops->mknod(ex->bex, &root, &ex->root, "d", BACKEND_DIR, 0, 0, &sa, &d, &attr) ==
	      0);
	fh_from_object(&ip->nfs.exports, ex, &ex->root, &out[0]);
	fh_from_object(&ip->nfs.exports, ex, &f, &out[1]);
	fh_from_object(&ip->nfs.exports, ex, &d, &out[2]);
}

/* The arguments with each marked opaque replaced by its handle; a new
 * buffer (the caller's), or NULL when out of memory. */
static uint8_t *substitute(const uint8_t *p, size_t n, const struct fh fhs[3], size_t *out_len)
{
	uint8_t *out = malloc(n / (4 + MARK) * (4 + FH_MAX_SIZE) + n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int which = -1;
		if (i + 4 + MARK <= n && xdr_get_be32(p + i) == MARK)
			for (int k = 0; k < 3; k++)
				if (memcmp(p + i + 4, marks[k], MARK) == 0)
					which = k;
		if (which < 0) {
			out[o++] = p[i++];
			continue;
		}
		const struct fh *fh = &fhs[which];
		xdr_put_be32(out + o, fh->wire_len);
		memcpy(out + o + 4, fh->wire, fh->wire_len);
		memset(out + o + 4 + fh->wire_len, 0, xdr_pad4(fh->wire_len) - fh->wire_len);
		o += 4 + xdr_pad4(fh->wire_len);
		i += 4 + MARK;
	}
	*out_len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t proc = (data[0] & 0x7f) % NFSPROC3_COUNT;
	bool on_loop = data[0] & 0x80;
	static struct inproc server;
	struct inproc *ip = &server;
	CHECK(inproc_init_diskless(ip, LOG_LEVEL_ERROR));
	static struct nfs3_server v3;
	CHECK(nfs3_server_init(&v3, &ip->nfs.exports, ip->nfs.state, ip->nfs.write_verifier,
			       ip->cfg.max_record_size) == 0);
	v3.durable = ip->nfs.durable;
	struct rpc_program prog;
	nfs3_program_describe(&prog, &v3);
	struct fh fhs[3];
	make_objects(ip, fhs);
	size_t len = 0;
	uint8_t *args = substitute(data + 1, size - 1, fhs, &len);
	CHECK(args);

	struct rpc_request req;
	memset(&req, 0, sizeof(req));
	req.conn = ip->conn;
	req.hdr.xid = ip->xid++;
	req.hdr.rpcvers = 2;
	req.hdr.prog = NFS3_PROGRAM;
	req.hdr.vers = NFS3_VERSION;
	req.hdr.proc = proc;
	req.hdr.cred_flavor = ip->cred.flavor;
	req.cred = ip->cred;
	xdr_dec_init(&req.args, args, len);
	CHECK(xdr_enc_init(&req.reply, 512, (size_t)ip->cfg.max_record_size + 4));
	xdr_enc_reserve(&req.reply, 4);
	rpc_encode_accepted(&req.reply, req.hdr.xid, RPC_SUCCESS);
	req.results_off = xdr_enc_len(&req.reply);
	req.on_worker = !on_loop;

	struct rpc_dispatch_result r = prog.dispatch(&req, prog.ctx);
	if (r.action == RPC_DISPATCH_DEFER) {
		/* As rpc does: the same request again, on a worker, with
		 * nothing appended to its reply. */
		CHECK(on_loop);
		CHECK(xdr_enc_len(&req.reply) == req.results_off);
		req.on_worker = true;
		r = prog.dispatch(&req, prog.ctx);
	}
	CHECK(r.action == RPC_DISPATCH_DONE);
	CHECK(req.prog_state == NULL);
	CHECK(r.stat == RPC_SUCCESS || r.stat == RPC_GARBAGE_ARGS);
	if (r.stat == RPC_SUCCESS && !req.reply.overflow) {
		/* A kept reply (the reply cache) goes out by reference. */
		CHECK(req.tail == NULL);
		static struct nfs3_entry entries[MAX_ENTRIES];
		struct nfs3_res res;
		memset(&res, 0, sizeof(res));
		res.u.readdir.list.v = entries;
		res.u.readdir.list.cap = MAX_ENTRIES;
		struct xdr_dec d;
		xdr_dec_init(&d, req.reply.buf->data + req.results_off,
			     req.reply.buf->len - req.results_off);
		struct xdr_stream x = XDR_DEC_STREAM(&d);
		CHECK(nfs3_xdr_res(&x, proc, &res));
		CHECK(xdr_dec_remaining(&d) == 0);
		if (verbose)
			fprintf(stderr, "%s: status %u\n", nfs3_proc_name(proc), res.status);
	} else if (verbose) {
		fprintf(stderr, "%s: accept_stat %d\n", nfs3_proc_name(proc), (int)r.stat);
	}
	rpc_request_pipe_drop(&req);
	xdr_enc_release(&req.reply);
	free(args);
	nfs3_server_fini(&v3);
	inproc_fini(ip);
	return 0;
}

/* --- seeds ---------------------------------------------------------------- */

static struct nfs3_fh mark(int k)
{
	return (struct nfs3_fh){(const uint8_t *)marks[k], MARK};
}

static struct nfs3_str str(const char *s)
{
	return (struct nfs3_str){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static void write_seed(const char *dir, uint32_t proc, union nfs3_args *a, const char *suffix)
{
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 256, 1u << 20));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	CHECK(nfs3_xdr_args(&x, proc, a) && !e.overflow);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s%s", dir, nfs3_proc_name(proc), suffix);
	FILE *f = fopen(path, "wb");
	CHECK(f);
	uint8_t head = (uint8_t)(proc | (strstr(suffix, "loop") ? 0x80 : 0));
	CHECK(fwrite(&head, 1, 1, f) == 1);
	CHECK(fwrite(e.buf->data, 1, xdr_enc_len(&e), f) == xdr_enc_len(&e));
	CHECK(fclose(f) == 0);
	xdr_enc_release(&e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	backend_memory_set_file_max(1 << 20);
	const char *v = getenv("FUZZ_NFS3_SERVER_VERBOSE");
	verbose = v && *v && *v != '0';
	const char *dir = getenv("FUZZ_NFS3_SERVER_SEEDS");
	if (!dir)
		return 0;
	struct nfs3_sattr sa = {.set_mode = true, .mode = 0640, .mtime_how = SET_TO_SERVER_TIME};
	struct nfs3_diropargs in_root = {mark(0), str("new")};
	struct nfs3_diropargs file_in_root = {mark(0), str("f")};
	for (uint32_t proc = 0; proc < NFSPROC3_COUNT; proc++) {
		union nfs3_args a;
		memset(&a, 0, sizeof(a));
		switch (proc) {
		case NFSPROC3_SETATTR:
			a.setattr = (struct nfs3_setattr_args){mark(1), sa, false, {0, 0}};
			break;
		case NFSPROC3_LOOKUP:
		case NFSPROC3_REMOVE:
			a.dirop = file_in_root;
			break;
		case NFSPROC3_RMDIR:
			a.dirop = (struct nfs3_diropargs){mark(0), str("d")};
			break;
		case NFSPROC3_ACCESS:
			a.access = (struct nfs3_access_args){mark(1), 0x3f};
			break;
		case NFSPROC3_READ:
			a.read = (struct nfs3_read_args){mark(1), 0, 4096};
			break;
		case NFSPROC3_WRITE:
			a.write = (struct nfs3_write_args){mark(1), 3, 5, FILE_SYNC, str("hello")};
			break;
		case NFSPROC3_CREATE:
			a.create.where = in_root;
			a.create.mode = GUARDED;
			a.create.attr = sa;
			break;
		case NFSPROC3_MKDIR:
			a.mkdir = (struct nfs3_mkdir_args){in_root, sa};
			break;
		case NFSPROC3_SYMLINK:
			a.symlink = (struct nfs3_symlink_args){in_root, sa, str("f")};
			break;
		case NFSPROC3_MKNOD:
			a.mknod = (struct nfs3_mknod_args){in_root, NF3FIFO, sa, 0, 0};
			break;
		case NFSPROC3_RENAME:
			a.rename = (struct nfs3_rename_args){file_in_root, {mark(2), str("moved")}};
			break;
		case NFSPROC3_LINK:
			a.link = (struct nfs3_link_args){mark(1), {mark(2), str("link")}};
			break;
		case NFSPROC3_READDIR:
		case NFSPROC3_READDIRPLUS:
			a.readdir = (struct nfs3_readdir_args){mark(0), 0, {0}, 4096, 8192};
			break;
		case NFSPROC3_COMMIT:
			a.commit = (struct nfs3_commit_args){mark(1), 0, 0};
			break;
		case NFSPROC3_READLINK:
		case NFSPROC3_GETATTR:
		case NFSPROC3_FSSTAT:
		case NFSPROC3_FSINFO:
		case NFSPROC3_PATHCONF:
			a.fh = mark(proc == NFSPROC3_READLINK ? 1 : 0);
			break;
		default:
			break;
		}
		write_seed(dir, proc, &a, "");
	}
	/* Those that may run on a loop, started there. */
	union nfs3_args l;
	memset(&l, 0, sizeof(l));
	l.fh = mark(0);
	write_seed(dir, NFSPROC3_GETATTR, &l, "-loop");
	l.read = (struct nfs3_read_args){mark(1), 0, 4096};
	write_seed(dir, NFSPROC3_READ, &l, "-loop");
	l.write = (struct nfs3_write_args){mark(1), 3, 5, UNSTABLE, str("hello")};
	write_seed(dir, NFSPROC3_WRITE, &l, "-loop");
	l.dirop = (struct nfs3_diropargs){mark(0), str("f")};
	write_seed(dir, NFSPROC3_LOOKUP, &l, "-loop");
	l.dirop = (struct nfs3_diropargs){mark(0), str("f")};
	write_seed(dir, NFSPROC3_REMOVE, &l, "-loop");
	/* The other arm of CREATE. */
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.create.where = in_root;
	a.create.mode = EXCLUSIVE;
	memcpy(a.create.verf, "verifier", 8);
	write_seed(dir, NFSPROC3_CREATE, &a, "-exclusive");
	exit(0);
}
