/* The NFSv3 codec: every procedure's arguments and results round-trip
 * (encode, decode, encode again to the same bytes), no proper prefix
 * decodes, and the values RFC 1813 does not allow are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xdr/nfs3_codec.h"

static uint8_t fhbytes[NFS3_FHSIZE];
static const struct nfs3_fh FH = {fhbytes, 28};

static struct nfs3_str str(const char *s)
{
	return (struct nfs3_str){(const uint8_t *)s, (uint32_t)strlen(s)};
}

static struct nfs3_sattr full_sattr(void)
{
	return (struct nfs3_sattr){.set_mode = true,
				   .mode = 0640,
				   .set_uid = true,
				   .uid = 7,
				   .set_gid = true,
				   .gid = 8,
				   .set_size = true,
				   .size = 1ull << 40,
				   .atime_how = SET_TO_CLIENT_TIME,
				   .atime = {12, 34},
				   .mtime_how = SET_TO_SERVER_TIME};
}

/* Encodes with desc into a new buffer (the caller's). */
typedef bool desc_fn(struct xdr_stream *x, uint32_t proc, void *v);

static bool args_desc(struct xdr_stream *x, uint32_t proc, void *v)
{
	return nfs3_xdr_args(x, proc, v);
}

static bool res_desc(struct xdr_stream *x, uint32_t proc, void *v)
{
	return nfs3_xdr_res(x, proc, v);
}

static struct buf *encode(desc_fn *desc, uint32_t proc, void *v)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 1 << 20));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	assert_true(desc(&x, proc, v));
	assert_false(e.overflow);
	return xdr_enc_take(&e);
}

/* Round trip of *v (size bytes, decoded into a fresh copy prepared by
 * prep: readdir results need their entry array). */
static void round_trip(desc_fn *desc, uint32_t proc, void *v, size_t size,
		       void (*prep)(void *fresh))
{
	struct buf *b = encode(desc, proc, v);
	void *out = calloc(1, size);
	for (size_t k = 0; k < b->len; k++) {
		uint8_t *copy = malloc(k ? k : 1);
		memcpy(copy, b->data, k);
		memset(out, 0, size);
		if (prep)
			prep(out);
		struct xdr_dec d;
		xdr_dec_init(&d, copy, k);
		struct xdr_stream x = XDR_DEC_STREAM(&d);
		if (desc(&x, proc, out))
			fail_msg("proc %u: a prefix of %zu of %zu bytes decoded", proc, k, b->len);
		free(copy);
	}
	memset(out, 0, size);
	if (prep)
		prep(out);
	struct xdr_dec d;
	xdr_dec_init(&d, b->data, b->len);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	assert_true(desc(&x, proc, out));
	assert_int_equal(xdr_dec_remaining(&d), 0);
	struct buf *b2 = encode(desc, proc, out);
	assert_int_equal(b2->len, b->len);
	assert_memory_equal(b2->data, b->data, b->len);
	buf_unref(b2);
	buf_unref(b);
	free(out);
}

static void test_args_round_trip(void **st)
{
	(void)st;
	for (unsigned i = 0; i < sizeof(fhbytes); i++)
		fhbytes[i] = (uint8_t)(i * 7 + 1);
	struct nfs3_diropargs where = {FH, str("name")};
	union nfs3_args a;
	for (uint32_t proc = 0; proc < NFSPROC3_COUNT; proc++) {
		memset(&a, 0, sizeof(a));
		switch (proc) {
		case NFSPROC3_SETATTR:
			a.setattr = (struct nfs3_setattr_args){FH, full_sattr(), true, {5, 6}};
			break;
		case NFSPROC3_LOOKUP:
		case NFSPROC3_REMOVE:
		case NFSPROC3_RMDIR:
			a.dirop = where;
			break;
		case NFSPROC3_ACCESS:
			a.access = (struct nfs3_access_args){FH, 0x3f};
			break;
		case NFSPROC3_READ:
			a.read = (struct nfs3_read_args){FH, 1ull << 33, 65536};
			break;
		case NFSPROC3_WRITE:
			a.write = (struct nfs3_write_args){FH, 99, 5, FILE_SYNC, str("hello")};
			break;
		case NFSPROC3_CREATE:
			a.create.where = where;
			a.create.mode = GUARDED;
			a.create.attr = full_sattr();
			break;
		case NFSPROC3_MKDIR:
			a.mkdir = (struct nfs3_mkdir_args){where, full_sattr()};
			break;
		case NFSPROC3_SYMLINK:
			a.symlink = (struct nfs3_symlink_args){where, full_sattr(), str("../t")};
			break;
		case NFSPROC3_MKNOD:
			a.mknod = (struct nfs3_mknod_args){where, NF3CHR, full_sattr(), 1, 3};
			break;
		case NFSPROC3_RENAME:
			a.rename = (struct nfs3_rename_args){where, {FH, str("other")}};
			break;
		case NFSPROC3_LINK:
			a.link = (struct nfs3_link_args){FH, where};
			break;
		case NFSPROC3_READDIR:
		case NFSPROC3_READDIRPLUS:
			a.readdir = (struct nfs3_readdir_args){FH, 42, "cookieve", 4096, 32768};
			break;
		case NFSPROC3_COMMIT:
			a.commit = (struct nfs3_commit_args){FH, 0, 0};
			break;
		default:
			a.fh = FH;
			break;
		}
		if (proc != NFSPROC3_NULL)
			round_trip(args_desc, proc, &a, sizeof(a), NULL);
	}
	/* The other arms of the unions. */
	memset(&a, 0, sizeof(a));
	a.create.where = where;
	a.create.mode = EXCLUSIVE;
	memcpy(a.create.verf, "12345678", 8);
	round_trip(args_desc, NFSPROC3_CREATE, &a, sizeof(a), NULL);
	uint32_t types[] = {NF3FIFO, NF3SOCK, NF3REG, NF3DIR, NF3LNK};
	for (unsigned i = 0; i < 5; i++) {
		memset(&a, 0, sizeof(a));
		a.mknod.where = where;
		a.mknod.type = types[i];
		round_trip(args_desc, NFSPROC3_MKNOD, &a, sizeof(a), NULL);
	}
}

static struct nfs3_post_attr post_attr(void)
{
	return (struct nfs3_post_attr){
		true,
		{NF3REG, 0644, 1, 2, 3, 4096, 8192, 0, 0, 77, 1234567, {1, 2}, {3, 4}, {5, 6}}};
}

static struct nfs3_wcc wcc(void)
{
	return (struct nfs3_wcc){{true, {100, {1, 2}, {3, 4}}}, post_attr()};
}

static struct nfs3_entry entries[3];

static void prep_entries(void *fresh)
{
	struct nfs3_res *r = fresh;
	static struct nfs3_entry space[8];
	r->u.readdir.list.v = space;
	r->u.readdir.list.cap = 8;
}

static void test_results_round_trip(void **st)
{
	(void)st;
	struct nfs3_res r;
	for (uint32_t proc = 1; proc < NFSPROC3_COUNT; proc++) {
		for (int ok = 0; ok <= 1; ok++) {
			memset(&r, 0, sizeof(r));
			r.status = ok ? NFS3_OK : NFS3ERR_ACCES;
			r.wcc = wcc();
			r.wcc2 = wcc();
			r.attr = post_attr();
			r.dir_attr = post_attr();
			r.fh = (struct nfs3_post_fh){true, FH};
			switch (proc) {
			case NFSPROC3_ACCESS:
				r.u.access = 0x1f;
				break;
			case NFSPROC3_READLINK:
				r.u.path = str("/a/b");
				break;
			case NFSPROC3_READ:
				r.u.read.count = 3;
				r.u.read.eof = true;
				r.u.read.data = str("abc");
				break;
			case NFSPROC3_WRITE:
				r.u.write.count = 3;
				r.u.write.committed = DATA_SYNC;
				memcpy(r.u.write.verf, "wverfwve", 8);
				break;
			case NFSPROC3_READDIR:
			case NFSPROC3_READDIRPLUS:
				for (int i = 0; i < 3; i++) {
					entries[i] = (struct nfs3_entry){
						(uint64_t)i + 10, str(i ? "entry" : "e"),
						(uint64_t)i + 1, post_attr(), {i != 1, FH}};
					if (proc == NFSPROC3_READDIR) {
						entries[i].attr.present = false;
						entries[i].fh.present = false;
					}
				}
				memcpy(r.u.readdir.verf, "rdverfrd", 8);
				r.u.readdir.list = (struct nfs3_dirlist){entries, 3, 3, true};
				break;
			case NFSPROC3_FSSTAT:
				r.u.fsstat.tbytes = 1ull << 40;
				r.u.fsstat.invarsec = 1;
				break;
			case NFSPROC3_FSINFO:
				r.u.fsinfo.rtmax = 1 << 20;
				r.u.fsinfo.time_delta = (struct nfs3_time){0, 1};
				r.u.fsinfo.properties = FSF3_LINK;
				break;
			case NFSPROC3_PATHCONF:
				r.u.pathconf.name_max = 255;
				r.u.pathconf.case_preserving = true;
				break;
			default:
				break;
			}
			round_trip(res_desc, proc, &r, sizeof(r), prep_entries);
		}
	}
	/* Attributes and handles that are absent. */
	memset(&r, 0, sizeof(r));
	r.status = NFS3_OK;
	r.fh.present = false;
	round_trip(res_desc, NFSPROC3_CREATE, &r, sizeof(r), NULL);
	/* An entry and its size. */
	struct nfs3_entry e = {1, str("abcde"), 2, post_attr(), {true, FH}};
	struct xdr_enc enc;
	assert_true(xdr_enc_init(&enc, 16, 4096));
	struct xdr_stream x = XDR_ENC_STREAM(&enc);
	assert_true(nfs3_xdr_entry(&x, &e, true));
	assert_int_equal(xdr_enc_len(&enc), nfs3_entry_size(&e, true));
	xdr_enc_release(&enc);
	assert_int_equal(nfs3_entry_size(&e, false), 4 + 8 + 4 + 8 + 8);
}

/* Decodes bytes as proc's arguments: true when they decode whole. */
static bool decodes(uint32_t proc, const uint8_t *p, size_t n)
{
	union nfs3_args a;
	struct xdr_dec d;
	xdr_dec_init(&d, p, n);
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	return nfs3_xdr_args(&x, proc, &a);
}

static void test_refused(void **st)
{
	(void)st;
	/* A handle of 65 bytes. */
	uint8_t big[4 + 68] = {0, 0, 0, 65};
	assert_false(decodes(NFSPROC3_GETATTR, big, sizeof(big)));
	big[3] = 64;
	assert_true(decodes(NFSPROC3_GETATTR, big, 68));
	/* Values outside their enums, bools other than 0 and 1. */
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.create.where = (struct nfs3_diropargs){FH, str("n")};
	a.create.mode = UNCHECKED;
	struct buf *b = encode(args_desc, NFSPROC3_CREATE, &a);
	size_t mode_at = 4 + 28 + 4 + 4;
	assert_true(decodes(NFSPROC3_CREATE, b->data, b->len));
	xdr_put_be32(b->data + mode_at, 3);
	assert_false(decodes(NFSPROC3_CREATE, b->data, b->len));
	xdr_put_be32(b->data + mode_at, UNCHECKED);
	xdr_put_be32(b->data + mode_at + 4, 2); /* set_mode: not a bool */
	assert_false(decodes(NFSPROC3_CREATE, b->data, b->len));
	xdr_put_be32(b->data + mode_at + 4, 0);
	/* atime's time_how after four false bools */
	xdr_put_be32(b->data + mode_at + 20, 3);
	assert_false(decodes(NFSPROC3_CREATE, b->data, b->len));
	buf_unref(b);
	memset(&a, 0, sizeof(a));
	a.write = (struct nfs3_write_args){FH, 0, 1, UNSTABLE, str("x")};
	b = encode(args_desc, NFSPROC3_WRITE, &a);
	xdr_put_be32(b->data + 4 + 28 + 8 + 4, 3);
	assert_false(decodes(NFSPROC3_WRITE, b->data, b->len));
	buf_unref(b);
	memset(&a, 0, sizeof(a));
	a.mknod.where = (struct nfs3_diropargs){FH, str("n")};
	a.mknod.type = NF3FIFO;
	b = encode(args_desc, NFSPROC3_MKNOD, &a);
	xdr_put_be32(b->data + 4 + 28 + 4 + 4, 8);
	assert_false(decodes(NFSPROC3_MKNOD, b->data, b->len));
	buf_unref(b);
	/* Procedures past COMMIT, both ways. */
	assert_false(decodes(22, big, 68));
	struct nfs3_res r = {0};
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 16, 4096));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	assert_false(nfs3_xdr_res(&x, 22, &r));
	xdr_enc_release(&e);
	/* A listing with more entries than the decoder's room. */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		entries[i] = (struct nfs3_entry){1, str("x"), 2, {0}, {0}};
	r.u.readdir.list = (struct nfs3_dirlist){entries, 3, 3, true};
	b = encode(res_desc, NFSPROC3_READDIR, &r);
	struct nfs3_res out;
	memset(&out, 0, sizeof(out));
	struct nfs3_entry two[2];
	out.u.readdir.list.v = two;
	out.u.readdir.list.cap = 2;
	struct xdr_dec d;
	xdr_dec_init(&d, b->data, b->len);
	x = XDR_DEC_STREAM(&d);
	assert_false(nfs3_xdr_res(&x, NFSPROC3_READDIR, &out));
	buf_unref(b);
	assert_string_equal(nfs3_proc_name(NFSPROC3_READDIRPLUS), "READDIRPLUS");
	assert_string_equal(nfs3_proc_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_round_trip),
		cmocka_unit_test(test_results_round_trip),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
