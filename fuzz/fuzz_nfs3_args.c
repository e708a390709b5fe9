/* libFuzzer target: the NFSv3 codec's decoders (xdr/nfs3_codec.h), the
 * arguments a server takes from the wire and the results a client does.
 *
 * Input layout:
 *   byte 0   bits 0-4: the procedure (modulo 22); bit 7: results instead
 *            of arguments
 *   the rest the procedure's arguments (or results)
 *
 * Beyond "no sanitizer report": what decodes re-encodes into as many bytes
 * as it consumed, and the re-encoding decodes whole into values that encode
 * to the same bytes again (every value the decoders accept has one
 * encoding but for padding: no bitmaps, bools only 0 and 1).
 *
 * FUZZ_NFS3_SEEDS=DIR writes a seed per procedure and direction to DIR
 * and exits: FUZZ_NFS3_SEEDS=fuzz/corpus/nfs3_args build/fuzz/fuzz_nfs3_args */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_codec.h"
#include "xdr/nfs3_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ENTRIES = 64 };

static bool describe(struct xdr_stream *x, bool results, uint32_t proc, union nfs3_args *a,
		     struct nfs3_res *r, struct nfs3_entry *space)
{
	if (!results)
		return nfs3_xdr_args(x, proc, a);
	if (xdr_is_dec(x)) {
		memset(r, 0, sizeof(*r));
		r->u.readdir.list.v = space;
		r->u.readdir.list.cap = MAX_ENTRIES;
	}
	return nfs3_xdr_res(x, proc, r);
}

static struct buf *encode(bool results, uint32_t proc, union nfs3_args *a, struct nfs3_res *r)
{
	struct xdr_enc e;
	CHECK(xdr_enc_init(&e, 256, 1u << 22));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	CHECK(describe(&x, results, proc, a, r, NULL));
	CHECK(!e.overflow);
	return xdr_enc_take(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool results = data[0] & 0x80;
	uint32_t proc = (data[0] & 0x1f) % NFSPROC3_COUNT;
	static struct nfs3_entry space[MAX_ENTRIES], space2[MAX_ENTRIES];
	union nfs3_args a, a2;
	struct nfs3_res r, r2;
	memset(&a, 0, sizeof(a));
	struct xdr_dec d;
	xdr_dec_init(&d, data + 1, size - 1);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	if (!describe(&x, results, proc, &a, &r, space))
		return 0;
	size_t used = size - 1 - xdr_dec_remaining(&d);
	struct buf *b = encode(results, proc, &a, &r);
	/* As long as what the decoder consumed (only padding may differ:
	 * the decoders do not look at it), and it decodes again into
	 * values that encode to the same bytes. */
	CHECK(b->len == used);
	memset(&a2, 0, sizeof(a2));
	xdr_dec_init(&d, b->data, b->len);
	x = XDR_DEC_STREAM(&d);
	CHECK(describe(&x, results, proc, &a2, &r2, space2));
	CHECK(xdr_dec_remaining(&d) == 0);
	struct buf *b2 = encode(results, proc, &a2, &r2);
	CHECK(b2->len == b->len && memcmp(b2->data, b->data, b->len) == 0);
	buf_unref(b2);
	buf_unref(b);
	return 0;
}

static void write_seed(const char *dir, bool results, uint32_t proc, union nfs3_args *a,
		       struct nfs3_res *r)
{
	struct buf *b = encode(results, proc, a, r);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s-%s", dir, results ? "res" : "args",
		 nfs3_proc_name(proc));
	FILE *f = fopen(path, "wb");
	CHECK(f);
	uint8_t head = (uint8_t)(proc | (results ? 0x80 : 0));
	CHECK(fwrite(&head, 1, 1, f) == 1);
	CHECK(fwrite(b->data, 1, b->len, f) == b->len);
	CHECK(fclose(f) == 0);
	buf_unref(b);
}

static struct nfs3_str str(const char *s)
{
	return (struct nfs3_str){(const uint8_t *)s, (uint32_t)strlen(s)};
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_NFS3_SEEDS");
	if (!dir)
		return 0;
	static uint8_t fhb[32] = {1, 1, 0, 0, 0, 7};
	struct nfs3_fh fh = {fhb, sizeof(fhb)};
	struct nfs3_sattr sa = {.set_mode = true, .mode = 0644, .set_size = true, .size = 10,
				.atime_how = SET_TO_CLIENT_TIME, .atime = {1, 2},
				.mtime_how = SET_TO_SERVER_TIME};
	struct nfs3_diropargs where = {fh, str("name")};
	for (uint32_t proc = 0; proc < NFSPROC3_COUNT; proc++) {
		union nfs3_args a;
		memset(&a, 0, sizeof(a));
		switch (proc) {
		case NFSPROC3_SETATTR:
			a.setattr = (struct nfs3_setattr_args){fh, sa, true, {3, 4}};
			break;
		case NFSPROC3_LOOKUP:
		case NFSPROC3_REMOVE:
		case NFSPROC3_RMDIR:
			a.dirop = where;
			break;
		case NFSPROC3_ACCESS:
			a.access = (struct nfs3_access_args){fh, 0x3f};
			break;
		case NFSPROC3_READ:
			a.read = (struct nfs3_read_args){fh, 0, 4096};
			break;
		case NFSPROC3_WRITE:
			a.write = (struct nfs3_write_args){fh, 0, 5, DATA_SYNC, str("hello")};
			break;
		case NFSPROC3_CREATE:
			a.create.where = where;
			a.create.mode = GUARDED;
			a.create.attr = sa;
			break;
		case NFSPROC3_MKDIR:
			a.mkdir = (struct nfs3_mkdir_args){where, sa};
			break;
		case NFSPROC3_SYMLINK:
			a.symlink = (struct nfs3_symlink_args){where, sa, str("target")};
			break;
		case NFSPROC3_MKNOD:
			a.mknod = (struct nfs3_mknod_args){where, NF3BLK, sa, 8, 1};
			break;
		case NFSPROC3_RENAME:
			a.rename = (struct nfs3_rename_args){where, {fh, str("to")}};
			break;
		case NFSPROC3_LINK:
			a.link = (struct nfs3_link_args){fh, where};
			break;
		case NFSPROC3_READDIR:
		case NFSPROC3_READDIRPLUS:
			a.readdir = (struct nfs3_readdir_args){fh, 0, {0}, 4096, 65536};
			break;
		case NFSPROC3_COMMIT:
			a.commit = (struct nfs3_commit_args){fh, 0, 0};
			break;
		default:
			a.fh = fh;
			break;
		}
		write_seed(dir, false, proc, &a, NULL);
		struct nfs3_res r;
		memset(&r, 0, sizeof(r));
		r.attr.present = true;
		r.attr.attr.type = NF3REG;
		r.wcc.before.present = true;
		r.fh = (struct nfs3_post_fh){true, fh};
		static struct nfs3_entry e[2];
		e[0] = (struct nfs3_entry){1, str("a"), 1, {0}, {0}};
		e[1] = (struct nfs3_entry){2, str("bb"), 2, {0}, {true, fh}};
		if (proc == NFSPROC3_READDIR || proc == NFSPROC3_READDIRPLUS)
			r.u.readdir.list = (struct nfs3_dirlist){e, 2, 2, true};
		if (proc == NFSPROC3_READ)
			r.u.read.data = str("data");
		if (proc == NFSPROC3_READLINK)
			r.u.path = str("/x");
		if (proc != NFSPROC3_NULL)
			write_seed(dir, true, proc, NULL, &r);
	}
	exit(0);
}
