/* NFSv4.0 operations without client state, through a real ferryd, on both
 * back ends: the file-handle walk, the pseudo-fs, attributes, directories
 * and the escape attempts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "nfs4/fs/fattr.h"

struct fixture {
	struct ferryd_proc srv;
	const char *backend;
	int fd;
	char conf[400];
};

static int start(void **state, const char *backend)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->backend = backend;
	/* Two exports: handles of one must not work as handles of the other. */
	snprintf(f->conf, sizeof(f->conf), "%s/ferry-v40-%s-%d.conf",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", backend, getpid());
	char dir[] = "/tmp/ferry-v40-XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	FILE *cf = fopen(f->conf, "w");
	fprintf(cf,
		"[export a]\npath = %s/a\npseudo = /export\nsquash = none\nbackend = %s\n"
		"[export b]\npath = %s/b\npseudo = /other/b\nsquash = none\nbackend = %s\n"
		"[export c]\npath = %s/c\npseudo = /hidden\nbackend = %s\n"
		"clients = 10.0.0.0/8, 192.0.2.1\n",
		dir, backend, dir, backend, dir, backend);
	fclose(cf);
	mkdir(strcat(strcpy((char[300]){0}, dir), "/a"), 0755);
	mkdir(strcat(strcpy((char[300]){0}, dir), "/b"), 0755);
	mkdir(strcat(strcpy((char[300]){0}, dir), "/c"), 0755);
	const char *args[] = {"--config", f->conf, NULL};
	if (ferryd_start(&f->srv, args) != 0)
		return -1;
	f->fd = rpctest_connect(f->srv.hostport);
	*state = f;
	return f->fd >= 0 ? 0 : -1;
}

static int setup_local(void **state) { return start(state, "local"); }
static int setup_memory(void **state) { return start(state, "memory"); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->fd);
	int rc = ferryd_stop(&f->srv);
	unlink(f->conf);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Runs a COMPOUND and checks the status of every result in turn against
 * want[] (the last one may fail); returns the reply for body decoding. */
static void send_expect(struct fixture *f, struct nfs4c_call *call, struct nfs4c_reply *r,
			uint32_t status)
{
	assert_int_equal(nfs4c_call(f->fd, nfs4c_root_cred(), call, r), 0);
	assert_int_equal(r->status, status);
}

static void next_ok(struct nfs4c_reply *r, uint32_t op)
{
	uint32_t got_op, st;
	assert_true(nfs4c_result(r, &got_op, &st));
	assert_int_equal(got_op, op);
	assert_int_equal(st, NFS4_OK);
}

struct wire_fh {
	uint8_t b[NFS4_FHSIZE];
	uint32_t len;
};

static void decode_fh(struct nfs4c_reply *r, struct wire_fh *out)
{
	const uint8_t *p;
	assert_true(xdr_decode_opaque(&r->d, NFS4_FHSIZE, &p, &out->len));
	memcpy(out->b, p, out->len);
}

/* Decodes a GETATTR result of type, fsid and fileid. */
static void decode_type_fsid_fileid(struct nfs4c_reply *r, uint32_t *type, uint64_t fsid[2],
				    uint64_t *fileid)
{
	struct nfs4_bitmap b;
	bool extra;
	const uint8_t *vals;
	uint32_t len;
	assert_true(nfs4_decode_bitmap(&r->d, &b, &extra));
	assert_true(nfs4_bitmap_isset(&b, FATTR4_TYPE));
	assert_true(nfs4_bitmap_isset(&b, FATTR4_FSID));
	assert_true(nfs4_bitmap_isset(&b, FATTR4_FILEID));
	assert_true(xdr_decode_opaque(&r->d, UINT32_MAX, &vals, &len));
	assert_int_equal(len, 4 + 16 + 8);
	struct xdr_dec v;
	xdr_dec_init(&v, vals, len);
	xdr_decode_u32(&v, type);
	xdr_decode_u64(&v, &fsid[0]);
	xdr_decode_u64(&v, &fsid[1]);
	xdr_decode_u64(&v, fileid);
}

static const unsigned tff[] = {FATTR4_TYPE, FATTR4_FSID, FATTR4_FILEID};

/* PUTROOTFH lands in the pseudo-fs; LOOKUP crosses into the export (a new
 * fsid); LOOKUPP comes back to the same pseudo directory. */
static void test_pseudo_root_and_crossing(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;
	struct wire_fh root, exp, back;
	uint32_t type;
	uint64_t fsid_root[2], fsid_exp[2], fileid;

	nfs4c_begin_tag(&call, 0, "walk");
	nfs4c_putrootfh(&call);
	nfs4c_getfh(&call);
	nfs4c_getattr(&call, tff, 3);
	nfs4c_lookup(&call, "export");
	nfs4c_getfh(&call);
	nfs4c_getattr(&call, tff, 3);
	nfs4c_op(&call, OP_LOOKUPP);
	nfs4c_getfh(&call);
	send_expect(f, &call, &r, NFS4_OK);
	assert_int_equal(r.nres, 8);
	assert_int_equal(r.taglen, 4);
	assert_memory_equal(r.tag, "walk", 4);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &root);
	next_ok(&r, OP_GETATTR);
	decode_type_fsid_fileid(&r, &type, fsid_root, &fileid);
	assert_int_equal(type, NF4DIR);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &exp);
	next_ok(&r, OP_GETATTR);
	decode_type_fsid_fileid(&r, &type, fsid_exp, &fileid);
	assert_int_equal(type, NF4DIR);
	assert_false(fsid_root[0] == fsid_exp[0] && fsid_root[1] == fsid_exp[1]);
	next_ok(&r, OP_LOOKUPP);
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &back);
	assert_int_equal(back.len, root.len);
	assert_memory_equal(back.b, root.b, root.len);
	nfs4c_done(&r);

	/* The pseudo-fs is read-only and has no parent above the root. */
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_op(&call, OP_LOOKUPP);
	send_expect(f, &call, &r, NFS4ERR_NOENT);
	nfs4c_done(&r);
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_op(&call, OP_CREATE);
	xdr_encode_u32(&call.e, NF4DIR);
	xdr_encode_opaque(&call.e, "x", 1);
	xdr_encode_u32(&call.e, 0);
	xdr_encode_u32(&call.e, 0);
	send_expect(f, &call, &r, NFS4ERR_ROFS);
	nfs4c_done(&r);
}

static void test_bad_names(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		uint32_t len;
		uint32_t status;
	} cases[] = {
		{"missing", 7, NFS4ERR_NOENT}, {".", 1, NFS4ERR_BADNAME},
		{"..", 2, NFS4ERR_BADNAME},    {"a/b", 3, NFS4ERR_BADCHAR},
		{"", 0, NFS4ERR_INVAL},        {"\xff\xfe", 2, NFS4ERR_INVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nfs4c_call call;
		struct nfs4c_reply r;
		nfs4c_begin_tag(&call, 0, "");
		nfs4c_putrootfh(&call);
		nfs4c_lookup(&call, "export");
		nfs4c_op(&call, OP_LOOKUP);
		xdr_encode_opaque(&call.e, cases[i].name, cases[i].len);
		send_expect(f, &call, &r, cases[i].status);
		assert_int_equal(r.nres, 3);
		nfs4c_done(&r);
	}
}

static void test_fh_errors(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;

	nfs4c_begin_tag(&call, 0, "");
	nfs4c_getfh(&call);
	send_expect(f, &call, &r, NFS4ERR_NOFILEHANDLE);
	nfs4c_done(&r);

	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_op(&call, OP_RESTOREFH);
	send_expect(f, &call, &r, NFS4ERR_RESTOREFH);
	nfs4c_done(&r);

	/* A handle of export a, and one of export b. */
	struct wire_fh a, b;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	nfs4c_getfh(&call);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "other");
	nfs4c_lookup(&call, "b");
	nfs4c_getfh(&call);
	send_expect(f, &call, &r, NFS4_OK);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &a);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &b);
	nfs4c_done(&r);

	/* Every single flipped byte is caught, including a handle of a
	 * relabelled as b's (the export id lives in bytes 2..5). */
	for (uint32_t i = 0; i < a.len; i++) {
		struct wire_fh forged = a;
		forged.b[i] ^= 0x01;
		nfs4c_begin_tag(&call, 0, "");
		nfs4c_putfh(&call, forged.b, forged.len);
		nfs4c_getattr(&call, tff, 3);
		send_expect(f, &call, &r, NFS4ERR_BADHANDLE);
		nfs4c_done(&r);
	}
	struct wire_fh relabelled = a;
	memcpy(relabelled.b + 2, b.b + 2, 4);
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putfh(&call, relabelled.b, relabelled.len);
	send_expect(f, &call, &r, NFS4ERR_BADHANDLE);
	nfs4c_done(&r);

	/* Too long, too short. */
	uint8_t big[NFS4_FHSIZE + 4] = {1};
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putfh(&call, big, sizeof(big));
	send_expect(f, &call, &r, NFS4ERR_BADHANDLE);
	nfs4c_done(&r);
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putfh(&call, big, 3);
	send_expect(f, &call, &r, NFS4ERR_BADHANDLE);
	nfs4c_done(&r);
}

/* Goes to /export, then runs ops appended by the caller. */
static void begin_in_export(struct nfs4c_call *call)
{
	nfs4c_begin_tag(call, 0, "");
	nfs4c_putrootfh(call);
	nfs4c_lookup(call, "export");
}

static void create_op(struct nfs4c_call *call, uint32_t type, const char *name,
		      const char *link)
{
	nfs4c_op(call, OP_CREATE);
	xdr_encode_u32(&call->e, type);
	if (type == NF4LNK)
		xdr_encode_opaque(&call->e, link, (uint32_t)strlen(link));
	xdr_encode_opaque(&call->e, name, (uint32_t)strlen(name));
	xdr_encode_u32(&call->e, 0); /* empty bitmap */
	xdr_encode_u32(&call->e, 0); /* no values */
}

static void test_create_link_rename_remove(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;

	begin_in_export(&call);
	create_op(&call, NF4DIR, "d1", NULL);
	nfs4c_op(&call, OP_SAVEFH);
	create_op(&call, NF4LNK, "escape", "/");
	nfs4c_op(&call, OP_READLINK);
	send_expect(f, &call, &r, NFS4_OK);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_CREATE);
	nfs4c_done(&r);

	/* The symlink to "/" reads back as text; nothing follows it. */
	begin_in_export(&call);
	nfs4c_lookup(&call, "d1");
	nfs4c_lookup(&call, "escape");
	nfs4c_op(&call, OP_READLINK);
	nfs4c_lookup(&call, "etc");
	send_expect(f, &call, &r, NFS4ERR_SYMLINK);
	for (int i = 0; i < 4; i++) {
		uint32_t op, st;
		assert_true(nfs4c_result(&r, &op, &st));
		assert_int_equal(st, NFS4_OK);
	}
	uint32_t op, st;
	assert_true(nfs4c_result(&r, &op, &st)); /* READLINK */
	assert_int_equal(op, OP_READLINK);
	const uint8_t *text;
	uint32_t tlen;
	assert_true(xdr_decode_opaque(&r.d, 4096, &text, &tlen));
	assert_int_equal(tlen, 1);
	assert_int_equal(text[0], '/');
	nfs4c_done(&r);

	/* Duplicate create, rename, link, remove. */
	begin_in_export(&call);
	create_op(&call, NF4DIR, "d1", NULL);
	send_expect(f, &call, &r, NFS4ERR_EXIST);
	nfs4c_done(&r);

	begin_in_export(&call);
	nfs4c_lookup(&call, "d1");
	nfs4c_op(&call, OP_SAVEFH);
	nfs4c_op(&call, OP_RENAME);
	xdr_encode_opaque(&call.e, "escape", 6);
	xdr_encode_opaque(&call.e, "lnk", 3);
	nfs4c_lookup(&call, "lnk");
	nfs4c_op(&call, OP_SAVEFH);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	nfs4c_lookup(&call, "d1");
	nfs4c_op(&call, OP_LINK);
	xdr_encode_opaque(&call.e, "lnk2", 4);
	nfs4c_op(&call, OP_REMOVE);
	xdr_encode_opaque(&call.e, "lnk", 3);
	nfs4c_lookup(&call, "lnk2");
	send_expect(f, &call, &r, NFS4_OK);
	assert_int_equal(r.nres, 13);
	nfs4c_done(&r);

	/* Renaming across exports is XDEV. */
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	nfs4c_lookup(&call, "d1");
	nfs4c_op(&call, OP_SAVEFH);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "other");
	nfs4c_lookup(&call, "b");
	nfs4c_op(&call, OP_RENAME);
	xdr_encode_opaque(&call.e, "lnk2", 4);
	xdr_encode_opaque(&call.e, "moved", 5);
	send_expect(f, &call, &r, NFS4ERR_XDEV);
	nfs4c_done(&r);

	/* A removed object's handle goes stale. */
	struct wire_fh gone;
	begin_in_export(&call);
	create_op(&call, NF4DIR, "soon-gone", NULL);
	nfs4c_getfh(&call);
	nfs4c_op(&call, OP_LOOKUPP);
	nfs4c_op(&call, OP_REMOVE);
	xdr_encode_opaque(&call.e, "soon-gone", 9);
	send_expect(f, &call, &r, NFS4_OK);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_CREATE);
	assert_true(xdr_decode_skip(&r.d, 4 + 8 + 8)); /* change_info */
	struct nfs4_bitmap bm;
	bool extra;
	assert_true(nfs4_decode_bitmap(&r.d, &bm, &extra));
	next_ok(&r, OP_GETFH);
	decode_fh(&r, &gone);
	nfs4c_done(&r);
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putfh(&call, gone.b, gone.len);
	nfs4c_getattr(&call, tff, 3);
	send_expect(f, &call, &r, NFS4ERR_STALE);
	nfs4c_done(&r);
}

/* READDIR pages through a large directory: every name exactly once,
 * cookies resume, reserved cookies and wrong verifiers are refused. */
static void test_readdir_paging(void **state)
{
	struct fixture *f = *state;
	enum { N = 300 };
	struct nfs4c_call call;
	struct nfs4c_reply r;
	begin_in_export(&call);
	create_op(&call, NF4DIR, "big", NULL);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "entry-%04d", i);
		create_op(&call, NF4DIR, name, NULL);
		nfs4c_op(&call, OP_LOOKUPP);
	}
	send_expect(f, &call, &r, NFS4_OK);
	nfs4c_done(&r);

	static char seen[N];
	memset(seen, 0, sizeof(seen));
	uint64_t cookie = 0;
	uint8_t verf[8] = {0};
	bool eof = false;
	int pages = 0, total = 0;
	uint64_t after_first_page = 0;
	while (!eof) {
		begin_in_export(&call);
		nfs4c_lookup(&call, "big");
		nfs4c_op(&call, OP_READDIR);
		xdr_encode_u64(&call.e, cookie);
		xdr_encode_opaque_fixed(&call.e, verf, 8);
		xdr_encode_u32(&call.e, 1024);
		xdr_encode_u32(&call.e, 2048);
		struct nfs4_bitmap want = {{0}};
		nfs4_bitmap_set(&want, FATTR4_FILEID);
		nfs4_encode_bitmap(&call.e, &want);
		send_expect(f, &call, &r, NFS4_OK);
		next_ok(&r, OP_PUTROOTFH);
		next_ok(&r, OP_LOOKUP);
		next_ok(&r, OP_LOOKUP);
		next_ok(&r, OP_READDIR);
		const uint8_t *v;
		assert_true(xdr_decode_opaque_fixed(&r.d, 8, &v));
		memcpy(verf, v, 8);
		bool follows;
		int in_page = 0;
		while (xdr_decode_bool(&r.d, &follows) && follows) {
			const uint8_t *name;
			uint32_t nlen;
			assert_true(xdr_decode_u64(&r.d, &cookie));
			assert_true(cookie > 2);
			assert_true(xdr_decode_opaque(&r.d, 255, &name, &nlen));
			struct nfs4_bitmap got;
			bool extra;
			const uint8_t *vals;
			uint32_t vlen;
			assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
			assert_true(xdr_decode_opaque(&r.d, 4096, &vals, &vlen));
			assert_int_equal(vlen, 8);
			int idx = atoi((const char *)name + 6);
			assert_true(nlen == 10 && memcmp(name, "entry-", 6) == 0);
			assert_true(idx >= 0 && idx < N);
			assert_int_equal(seen[idx], 0);
			seen[idx] = pages == 0 ? 2 : 1; /* 2: listed on the first page */
			in_page++;
		}
		if (pages == 0)
			after_first_page = cookie;
		assert_true(xdr_decode_bool(&r.d, &eof));
		assert_true(in_page > 0 || eof);
		total += in_page;
		pages++;
		nfs4c_done(&r);
		assert_true(pages < 1000);
	}
	assert_int_equal(total, N);
	assert_true(pages > 5); /* 2 KiB pages cannot hold 300 entries */

	uint64_t bad_cookies[] = {1, 2};
	for (int i = 0; i < 2; i++) {
		begin_in_export(&call);
		nfs4c_op(&call, OP_READDIR);
		xdr_encode_u64(&call.e, bad_cookies[i]);
		xdr_encode_opaque_fixed(&call.e, verf, 8);
		xdr_encode_u32(&call.e, 1024);
		xdr_encode_u32(&call.e, 4096);
		xdr_encode_u32(&call.e, 0);
		send_expect(f, &call, &r, NFS4ERR_BAD_COOKIE);
		nfs4c_done(&r);
	}
	/* A cookie ferryd issued stays valid whatever verifier comes with it
	 * (libnfs sends one of its own): the listing goes on where the cookie
	 * points, with nothing of the first page again. */
	uint8_t wrong[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	begin_in_export(&call);
	nfs4c_lookup(&call, "big");
	nfs4c_op(&call, OP_READDIR);
	xdr_encode_u64(&call.e, after_first_page);
	xdr_encode_opaque_fixed(&call.e, wrong, 8);
	xdr_encode_u32(&call.e, 1024);
	xdr_encode_u32(&call.e, 2048);
	struct nfs4_bitmap none = {{0}};
	nfs4_encode_bitmap(&call.e, &none);
	send_expect(f, &call, &r, NFS4_OK);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_READDIR);
	const uint8_t *v;
	assert_true(xdr_decode_opaque_fixed(&r.d, 8, &v));
	assert_memory_equal(v, verf, 8); /* ours again, not the client's */
	int next_page = 0;
	bool follows;
	while (xdr_decode_bool(&r.d, &follows) && follows) {
		uint64_t c2;
		const uint8_t *name;
		uint32_t nlen;
		struct nfs4_bitmap got;
		bool extra;
		const uint8_t *vals;
		uint32_t vlen;
		assert_true(xdr_decode_u64(&r.d, &c2));
		assert_true(xdr_decode_opaque(&r.d, 255, &name, &nlen));
		assert_true(nfs4_decode_bitmap(&r.d, &got, &extra));
		assert_true(xdr_decode_opaque(&r.d, 4096, &vals, &vlen));
		assert_true(nlen == 10 && memcmp(name, "entry-", 6) == 0);
		int idx = atoi((const char *)name + 6);
		assert_true(idx >= 0 && idx < N);
		assert_int_equal(seen[idx], 1);
		next_page++;
	}
	assert_true(next_page > 0);
	nfs4c_done(&r);

	begin_in_export(&call);
	nfs4c_lookup(&call, "big");
	nfs4c_op(&call, OP_READDIR);
	xdr_encode_u64(&call.e, 0);
	xdr_encode_opaque_fixed(&call.e, verf, 8);
	xdr_encode_u32(&call.e, 10);
	xdr_encode_u32(&call.e, 20);
	xdr_encode_u32(&call.e, 0);
	send_expect(f, &call, &r, NFS4ERR_TOOSMALL);
	nfs4c_done(&r);
}

static void setattr_mode(struct nfs4c_call *call, uint32_t mode)
{
	nfs4c_op(call, OP_SETATTR);
	struct nfs4_stateid zero = {0};
	nfs4_encode_stateid(&call->e, &zero);
	struct nfs4_bitmap b = {{0}};
	nfs4_bitmap_set(&b, FATTR4_MODE);
	nfs4_encode_bitmap(&call->e, &b);
	xdr_encode_u32(&call->e, 4);
	xdr_encode_u32(&call->e, mode);
}

static void verify_mode(struct nfs4c_call *call, uint32_t op, uint32_t mode)
{
	nfs4c_op(call, op);
	struct nfs4_bitmap b = {{0}};
	nfs4_bitmap_set(&b, FATTR4_MODE);
	nfs4_encode_bitmap(&call->e, &b);
	xdr_encode_u32(&call->e, 4);
	xdr_encode_u32(&call->e, mode);
}

static void test_setattr_verify(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;
	begin_in_export(&call);
	create_op(&call, NF4DIR, "attrs", NULL);
	setattr_mode(&call, 0701);
	verify_mode(&call, OP_VERIFY, 0701);
	verify_mode(&call, OP_NVERIFY, 0755);
	send_expect(f, &call, &r, NFS4_OK);
	nfs4c_done(&r);

	begin_in_export(&call);
	nfs4c_lookup(&call, "attrs");
	verify_mode(&call, OP_VERIFY, 0755);
	send_expect(f, &call, &r, NFS4ERR_NOT_SAME);
	nfs4c_done(&r);
	begin_in_export(&call);
	nfs4c_lookup(&call, "attrs");
	verify_mode(&call, OP_NVERIFY, 0701);
	send_expect(f, &call, &r, NFS4ERR_SAME);
	nfs4c_done(&r);

	/* Mode bits beyond 07777 and read-only attributes are refused. */
	begin_in_export(&call);
	nfs4c_lookup(&call, "attrs");
	setattr_mode(&call, 010000);
	send_expect(f, &call, &r, NFS4ERR_INVAL);
	nfs4c_done(&r);
	begin_in_export(&call);
	nfs4c_lookup(&call, "attrs");
	nfs4c_op(&call, OP_SETATTR);
	struct nfs4_stateid zero = {0};
	nfs4_encode_stateid(&call.e, &zero);
	struct nfs4_bitmap b = {{0}};
	nfs4_bitmap_set(&b, FATTR4_FILEID);
	nfs4_encode_bitmap(&call.e, &b);
	xdr_encode_u32(&call.e, 8);
	xdr_encode_u64(&call.e, 1);
	send_expect(f, &call, &r, NFS4ERR_INVAL);
	nfs4c_done(&r);
}

static void test_access(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;
	begin_in_export(&call);
	nfs4c_op(&call, OP_ACCESS);
	xdr_encode_u32(&call.e, 0x1f);
	send_expect(f, &call, &r, NFS4_OK);
	next_ok(&r, OP_PUTROOTFH);
	next_ok(&r, OP_LOOKUP);
	next_ok(&r, OP_ACCESS);
	uint32_t supported, access;
	assert_true(xdr_decode_u32(&r.d, &supported));
	assert_true(xdr_decode_u32(&r.d, &access));
	assert_int_equal(supported, 0x1f);
	assert_int_equal(access, 0x1f); /* root, squash none, rw */
	nfs4c_done(&r);

	begin_in_export(&call);
	nfs4c_op(&call, OP_ACCESS);
	xdr_encode_u32(&call.e, 0x40);
	send_expect(f, &call, &r, NFS4ERR_INVAL);
	nfs4c_done(&r);
}

/* A v4.0 COMPOUND is served up to 1024 operations; the next one gets
 * NFS4ERR_RESOURCE (there is no negotiated limit in v4.0). */
static void test_long_compound(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "long");
	for (int i = 0; i < 1024; i++)
		nfs4c_putrootfh(&call);
	send_expect(f, &call, &r, NFS4_OK);
	assert_int_equal(r.nres, 1024);
	nfs4c_done(&r);
	nfs4c_begin_tag(&call, 0, "long");
	for (int i = 0; i < 1500; i++)
		nfs4c_putrootfh(&call);
	send_expect(f, &call, &r, NFS4ERR_RESOURCE);
	assert_int_equal(r.nres, 1025);
	nfs4c_done(&r);
}

/* An export limited to other client addresses is not there for us. */
static void test_export_client_list(void **state)
{
	struct fixture *f = *state;
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "hidden");
	send_expect(f, &call, &r, NFS4ERR_NOENT);
	nfs4c_done(&r);
	nfs4c_begin_tag(&call, 0, "");
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "other");
	send_expect(f, &call, &r, NFS4_OK);
	nfs4c_done(&r);
}

#define BOTH(t)                                                                    \
	cmocka_unit_test_setup_teardown(t, setup_local, teardown),                 \
		cmocka_unit_test_setup_teardown(t, setup_memory, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_pseudo_root_and_crossing),
		BOTH(test_bad_names),
		BOTH(test_fh_errors),
		BOTH(test_create_link_rename_remove),
		BOTH(test_readdir_paging),
		BOTH(test_setattr_verify),
		BOTH(test_access),
		BOTH(test_export_client_list),
		cmocka_unit_test_setup_teardown(test_long_compound, setup_memory, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
