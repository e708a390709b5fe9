/* NFSv4.2 extended attributes (RFC 8276) through a real ferryd: GETXATTR,
 * SETXATTR, LISTXATTRS and REMOVEXATTR with each of their errors, the
 * xattr_support attribute and ACCESS's XA bits, on a local export (whose
 * attributes are the host's user.* ones), a memory export and a read-only
 * one; conflicts with delegations are in test_xattr_deleg.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/backend.h"
#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"
#include "xdr/nfs4_fattr.h"

static struct ferryd_proc server;
static char dir[256];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-xattr-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	char p[400];
	snprintf(p, sizeof(p), "%s/rw", dir);
	if (chmod(dir, 0755) != 0 || mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ro", dir);
	if (mkdir(p, 0777) != 0)
		return -1;
	/* A file the read-only export shows with an attribute. */
	snprintf(p, sizeof(p), "%s/ro/f", dir);
	FILE *f = fopen(p, "w");
	if (!f || fclose(f) != 0 || setxattr(p, "user.kept", "ro", 2, 0) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ferryd.conf", dir);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[export rw]\npath = %s/rw\npseudo = /rw\nsquash = none\n\n"
		"[export ro]\npath = %s/ro\npseudo = /ro\naccess = ro\nsquash = none\n\n"
		"[export mem]\npath = mem\npseudo = /mem\nbackend = memory\nsquash = none\n",
		dir, dir);
	fclose(f);
	const char *args[] = {"--config", p, NULL};
	return ferryd_start(&server, args);
}

static int teardown(void **state)
{
	(void)state;
	int rc = ferryd_stop(&server);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

/* --- a v4.2 client --------------------------------------------------------------------- */

struct xc {
	struct nfs4c_sess s;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

static void xc_up_minor(struct xc *x, uint32_t minor, uint32_t uid, const char *name,
			const struct nfs4c_attrs *fore)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	nfs4c_session_up_minor(&x->s, minor, fd, uid, name, fore);
}

static void xc_up(struct xc *x, uint32_t uid, const char *name, const struct nfs4c_attrs *fore)
{
	xc_up_minor(x, 2, uid, name, fore);
}

static void xc_down(struct xc *x) { nfs4c_close(x->s.fd); }

/* SEQUENCE of a COMPOUND of the client's minor version on slot 0. */
static void begin42(struct xc *x, struct nfs4c_call *m)
{
	nfs4c_begin_seq(&x->s, m, 0, false);
}

/* Sends m and checks SEQUENCE. */
static void send42(struct xc *x, struct nfs4c_call *m, struct nfs4c_reply *p)
{
	nfs4c_send(x->s.fd, x->s.cred, m, p);
	assert_int_equal(nfs4c_seq_result(p, NULL), NFS4_OK);
}

/* Makes path (under the export's pseudo path, "/rw/f") the client's
 * current file: its filehandle in x->fh.  Returns LOOKUP's status. */
static uint32_t xc_find(struct xc *x, const char *path)
{
	return nfs4c_find(&x->s, path, x->fh, &x->fhlen);
}

/* Creates regular file name (mode 0644) in directory path and makes it
 * current. */
static void xc_create(struct xc *x, const char *path, const char *name)
{
	assert_int_equal(xc_find(x, path), NFS4_OK);
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa4}; /* 0644 */
	struct nfs4_fattr_raw attrs = {.vals = {mode, sizeof(mode)}};
	nfs4_bitmap_set(&attrs.mask, FATTR4_MODE);
	assert_int_equal(nfs4c_create(&x->s, x->fh, &x->fhlen, name, &attrs, NULL), NFS4_OK);
}

/* One operation on the current file after SEQUENCE and PUTFH: the reply
 * positioned at its result body; the status in *st.  nfs4c_done(p)
 * afterwards. */
typedef void (*xc_add_fn)(struct nfs4c_call *m, const void *arg);

static void xc_op(struct xc *x, uint32_t opnum, xc_add_fn add, const void *arg,
		  struct nfs4c_reply *p, uint32_t *st)
{
	struct nfs4c_call m;
	begin42(x, &m);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	add(&m, arg);
	send42(x, &m, p);
	assert_int_equal(nfs4c_next(p, OP_PUTFH), NFS4_OK);
	*st = nfs4c_next(p, opnum);
}

struct setx {
	uint32_t option;
	struct nfs4_opaque name, value;
};

static void add_getxattr(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_GETXATTR, nfs4_enc_getxattr_args,
		 &(struct nfs4_getxattr_args){*(const struct nfs4_opaque *)arg});
}

static void add_setxattr(struct nfs4c_call *m, const void *arg)
{
	const struct setx *s = arg;
	struct nfs4_setxattr_args a = {s->option, s->name, s->value};
	NFS4C_OP(m, OP_SETXATTR, nfs4_enc_setxattr_args, &a);
}

static void add_removexattr(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_REMOVEXATTR, nfs4_enc_removexattr_args,
		 &(struct nfs4_removexattr_args){*(const struct nfs4_opaque *)arg});
}

static void add_listxattrs(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_LISTXATTRS, nfs4_enc_listxattrs_args, arg);
}

/* GETXATTR of name; the value (at most cap bytes) in buf, its length in
 * *len. */
static uint32_t xget_n(struct xc *x, struct nfs4_opaque name, void *buf, size_t cap, size_t *len)
{
	struct nfs4c_reply p;
	uint32_t st;
	xc_op(x, OP_GETXATTR, add_getxattr, &name, &p, &st);
	if (st == NFS4_OK) {
		struct nfs4_getxattr_res r;
		assert_true(nfs4_dec_getxattr_res(&p.d, &r));
		assert_true(r.value.len <= cap);
		memcpy(buf, r.value.data, r.value.len);
		*len = r.value.len;
	}
	nfs4c_done(&p);
	return st;
}

static uint32_t xget(struct xc *x, const char *name, char *buf, size_t cap, size_t *len)
{
	return xget_n(x, nfs4_opaque_str(name), buf, cap, len);
}

/* SETXATTR; the change_info4 in *ci when not NULL. */
static uint32_t xset_n(struct xc *x, uint32_t option, struct nfs4_opaque name, const void *value,
		       size_t vlen, struct nfs4_change_info *ci)
{
	struct setx s = {option, name, {value, (uint32_t)vlen}};
	struct nfs4c_reply p;
	uint32_t st;
	xc_op(x, OP_SETXATTR, add_setxattr, &s, &p, &st);
	if (st == NFS4_OK) {
		struct nfs4_setxattr_res r;
		assert_true(nfs4_dec_setxattr_res(&p.d, &r));
		if (ci)
			*ci = r.cinfo;
	}
	nfs4c_done(&p);
	return st;
}

static uint32_t xset(struct xc *x, uint32_t option, const char *name, const char *value,
		     struct nfs4_change_info *ci)
{
	return xset_n(x, option, nfs4_opaque_str(name), value, strlen(value), ci);
}

static uint32_t xremove_n(struct xc *x, struct nfs4_opaque name, struct nfs4_change_info *ci)
{
	struct nfs4c_reply p;
	uint32_t st;
	xc_op(x, OP_REMOVEXATTR, add_removexattr, &name, &p, &st);
	if (st == NFS4_OK) {
		struct nfs4_removexattr_res r;
		assert_true(nfs4_dec_removexattr_res(&p.d, &r));
		if (ci)
			*ci = r.cinfo;
	}
	nfs4c_done(&p);
	return st;
}

static uint32_t xremove(struct xc *x, const char *name, struct nfs4_change_info *ci)
{
	return xremove_n(x, nfs4_opaque_str(name), ci);
}

/* A LISTXATTRS result kept: the names copied out. */
struct xlisting {
	uint64_t cookie;
	bool eof;
	unsigned n;
	char names[64][64];
	size_t resok_len; /* the bytes of LISTXATTRS4resok */
};

static uint32_t xlist(struct xc *x, uint64_t cookie, uint32_t maxcount, struct xlisting *out)
{
	struct nfs4_listxattrs_args a = {cookie, maxcount};
	struct nfs4c_reply p;
	uint32_t st;
	xc_op(x, OP_LISTXATTRS, add_listxattrs, &a, &p, &st);
	memset(out, 0, sizeof(*out));
	if (st == NFS4_OK) {
		const uint8_t *start = p.d.p;
		struct nfs4_listxattrs_res r;
		assert_true(nfs4_dec_listxattrs_res(&p.d, &r));
		out->resok_len = (size_t)(p.d.p - start);
		out->cookie = r.cookie;
		out->eof = r.eof;
		struct nfs4_opaque name;
		for (uint32_t i = 0; i < r.count; i++) {
			assert_true(nfs4_listxattrs_res_next(&r, &name));
			assert_true(name.len < sizeof(out->names[0]) && out->n < 64);
			memcpy(out->names[out->n], name.data, name.len);
			out->names[out->n][name.len] = '\0';
			out->n++;
		}
	}
	nfs4c_done(&p);
	return st;
}

static bool xlisting_has(const struct xlisting *l, unsigned upto, const char *name)
{
	for (unsigned i = 0; i < upto && i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* GETATTR change of the current file. */
static uint64_t xchange(struct xc *x)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	static const unsigned bits[] = {FATTR4_CHANGE};
	begin42(x, &m);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	nfs4c_getattr(&m, bits, 1);
	send42(x, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res r;
	assert_true(nfs4_dec_getattr_res(&p.d, &r));
	struct nfs4_attrs at;
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(&r.attrs.mask, r.attrs.vals, &at, &bad));
	nfs4c_done(&p);
	return at.change;
}

/* --- the operations, on a local and a memory export ----------------------------------- */

static void ops_on(const char *export)
{
	struct xc x;
	char buf[128];
	size_t len = 0;
	struct nfs4_change_info ci;
	xc_up(&x, 0, export, NULL);
	xc_create(&x, export, "f");

	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4ERR_NOXATTR);
	assert_int_equal(xset(&x, SETXATTR4_REPLACE, "a", "1", NULL), NFS4ERR_NOXATTR);
	assert_int_equal(xremove(&x, "a", NULL), NFS4ERR_NOXATTR);

	uint64_t c0 = xchange(&x);
	assert_int_equal(xset(&x, SETXATTR4_CREATE, "a", "1", &ci), NFS4_OK);
	assert_false(ci.atomic);
	assert_true(ci.before == c0);
	assert_true(ci.after != ci.before);
	assert_true(ci.after == xchange(&x));
	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(len, 1);
	assert_memory_equal(buf, "1", 1);

	assert_int_equal(xset(&x, SETXATTR4_CREATE, "a", "2", NULL), NFS4ERR_EXIST);
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "a", "22", NULL), NFS4_OK);
	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "22", 2);
	assert_int_equal(xset(&x, SETXATTR4_REPLACE, "a", "333", NULL), NFS4_OK);
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "b", "", NULL), NFS4_OK);
	assert_int_equal(xget(&x, "b", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(len, 0);
	assert_int_equal(xset(&x, 3, "c", "x", NULL), NFS4ERR_INVAL);

	if (strcmp(export, "/rw") == 0) {
		/* On the host, the user namespace. */
		char p[400];
		snprintf(p, sizeof(p), "%s/rw/f", dir);
		assert_int_equal(getxattr(p, "user.a", buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "333", 3);
		assert_int_equal(setxattr(p, "user.host", "h", 1, 0), 0);
		assert_int_equal(xget(&x, "host", buf, sizeof(buf), &len), NFS4_OK);
		assert_int_equal(len, 1);
		assert_int_equal(removexattr(p, "user.host"), 0);
	}

	uint64_t c1 = xchange(&x);
	assert_int_equal(xremove(&x, "a", &ci), NFS4_OK);
	assert_true(ci.before == c1);
	assert_true(ci.after != c1);
	assert_int_equal(xremove(&x, "a", NULL), NFS4ERR_NOXATTR);
	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4ERR_NOXATTR);

	/* A directory carries them too; a symbolic link none. */
	assert_int_equal(xc_find(&x, export), NFS4_OK);
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "d", "dir", NULL), NFS4_OK);
	assert_int_equal(xget(&x, "d", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(xremove(&x, "d", NULL), NFS4_OK);
	xc_down(&x);
}

static void test_ops_local(void **state) { ops_on("/rw"); }
static void test_ops_memory(void **state) { ops_on("/mem"); }

/* Symbolic links and special files carry none, as on the host. */
static void test_symlink(void **state)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/rw/link", dir);
	assert_int_equal(symlink("f", p), 0);
	struct xc x;
	char buf[16];
	size_t len;
	xc_up(&x, 0, "symlink", NULL);
	assert_int_equal(xc_find(&x, "/rw/link"), NFS4_OK);
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "a", "1", NULL), NFS4ERR_PERM);
	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4ERR_NOXATTR);
	assert_int_equal(xremove(&x, "a", NULL), NFS4ERR_PERM);
	struct xlisting l;
	assert_int_equal(xlist(&x, 0, 4096, &l), NFS4_OK);
	assert_true(l.eof);
	assert_int_equal(l.n, 0);
	xc_down(&x);
}

/* Names and values past what the host takes. */
static void test_limits(void **state)
{
	struct xc x;
	char name[BACKEND_XATTR_NAME_MAX + 2];
	char buf[128];
	size_t len;
	xc_up(&x, 0, "limits", NULL);
	xc_create(&x, "/rw", "limits");
	memset(name, 'n', sizeof(name));
	struct nfs4_opaque longest = {(const uint8_t *)name, BACKEND_XATTR_NAME_MAX};
	struct nfs4_opaque too_long = {(const uint8_t *)name, BACKEND_XATTR_NAME_MAX + 1};
	assert_int_equal(xset_n(&x, SETXATTR4_CREATE, longest, "v", 1, NULL), NFS4_OK);
	assert_int_equal(xget_n(&x, longest, buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(xset_n(&x, SETXATTR4_CREATE, too_long, "v", 1, NULL),
			 NFS4ERR_NAMETOOLONG);
	assert_int_equal(xget_n(&x, too_long, buf, sizeof(buf), &len), NFS4ERR_NAMETOOLONG);
	assert_int_equal(xremove_n(&x, too_long, NULL), NFS4ERR_NAMETOOLONG);
	struct nfs4_opaque empty = {(const uint8_t *)"", 0};
	assert_int_equal(xset_n(&x, SETXATTR4_EITHER, empty, "v", 1, NULL), NFS4ERR_INVAL);
	assert_int_equal(xget_n(&x, empty, buf, sizeof(buf), &len), NFS4ERR_INVAL);
	struct nfs4_opaque nul = {(const uint8_t *)"a\0b", 3};
	assert_int_equal(xset_n(&x, SETXATTR4_EITHER, nul, "v", 1, NULL), NFS4ERR_INVAL);

	uint8_t *big = calloc(1, BACKEND_XATTR_SIZE_MAX + 1);
	assert_int_equal(xset_n(&x, SETXATTR4_EITHER, nfs4_opaque_str("big"), big,
				BACKEND_XATTR_SIZE_MAX + 1, NULL),
			 NFS4ERR_XATTR2BIG);
	/* A value that fits the file system but not the session's replies. */
	memset(big, 'v', 3000);
	assert_int_equal(xset_n(&x, SETXATTR4_EITHER, nfs4_opaque_str("mid"), big, 3000, NULL),
			 NFS4_OK);
	/* Past the short values read on the stack, within the reply. */
	memset(big, 'w', 700);
	assert_int_equal(xset_n(&x, SETXATTR4_EITHER, nfs4_opaque_str("w700"), big, 700, NULL),
			 NFS4_OK);
	free(big);
	xc_down(&x);

	struct nfs4c_attrs fore;
	nfs4c_default_attrs(&fore);
	fore.maxresp = 1024;
	xc_up(&x, 0, "limits-small", &fore);
	assert_int_equal(xc_find(&x, "/rw/limits"), NFS4_OK);
	char *small = malloc(4096);
	assert_int_equal(xget(&x, "mid", small, 4096, &len), NFS4ERR_TOOSMALL);
	assert_int_equal(xget(&x, "w700", small, 4096, &len), NFS4_OK);
	assert_int_equal(len, 700);
	assert_true(small[0] == 'w' && small[699] == 'w');
	assert_int_equal(xget(&x, "v-missing", small, 4096, &len), NFS4ERR_NOXATTR);
	free(small);
	xc_down(&x);
}

/* A listing in pieces: each name once, each piece within lxa_maxcount. */
static void test_list(void **state)
{
	struct xc x;
	xc_up(&x, 0, "list", NULL);
	xc_create(&x, "/rw", "many");
	struct xlisting l;
	assert_int_equal(xlist(&x, 0, 4096, &l), NFS4_OK);
	assert_true(l.eof);
	assert_int_equal(l.n, 0);
	/* Nothing to list fits in the fixed part alone (cookie, count,
	 * eof); less does not. */
	assert_int_equal(xlist(&x, 0, 16, &l), NFS4_OK);
	assert_int_equal(xlist(&x, 0, 15, &l), NFS4ERR_TOOSMALL);

	char name[32];
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "name-%02d", i); /* 8 bytes: 12 on the wire */
		assert_int_equal(xset(&x, SETXATTR4_CREATE, name, "v", NULL), NFS4_OK);
	}
	/* Not even one name fits. */
	assert_int_equal(xlist(&x, 0, 16 + 11, &l), NFS4ERR_TOOSMALL);
	assert_int_equal(xlist(&x, 0, 16 + 12, &l), NFS4_OK);
	assert_int_equal(l.n, 1);
	assert_false(l.eof);

	/* 100 bytes: 7 names a piece. */
	struct xlisting all;
	memset(&all, 0, sizeof(all));
	uint64_t cookie = 0;
	unsigned pieces = 0;
	for (;;) {
		assert_int_equal(xlist(&x, cookie, 100, &l), NFS4_OK);
		assert_true(l.resok_len <= 100);
		pieces++;
		for (unsigned i = 0; i < l.n; i++) {
			assert_false(xlisting_has(&all, all.n, l.names[i]));
			strcpy(all.names[all.n++], l.names[i]);
		}
		cookie = l.cookie;
		if (l.eof)
			break;
		assert_true(l.n > 0);
		assert_true(pieces < 20);
	}
	assert_int_equal(all.n, 30);
	assert_int_equal(pieces, 5);
	/* A maxcount past any reply is bounded by the reply, not refused. */
	assert_int_equal(xlist(&x, 0, UINT32_MAX, &l), NFS4_OK);
	assert_int_equal(l.n, 30);
	assert_true(l.eof);

	/* Names that go while a listing is under way are not listed later;
	 * those that stay are listed once. */
	assert_int_equal(xlist(&x, 0, 100, &l), NFS4_OK);
	struct xlisting first = l;
	for (unsigned i = 0; i < first.n; i++)
		assert_int_equal(xremove(&x, first.names[i], NULL), NFS4_OK);
	cookie = first.cookie;
	unsigned rest = 0;
	for (;;) {
		assert_int_equal(xlist(&x, cookie, 100, &l), NFS4_OK);
		for (unsigned i = 0; i < l.n; i++)
			assert_false(xlisting_has(&first, first.n, l.names[i]));
		rest += l.n;
		cookie = l.cookie;
		if (l.eof)
			break;
	}
	assert_int_equal(rest, 30 - first.n);
	xc_down(&x);
}

/* xattr_support is a v4.2 attribute: supported and true on an export, false
 * on the pseudo-fs; unknown to v4.1. */
static void test_xattr_support(void **state)
{
	struct xc x1, x;
	xc_up_minor(&x1, 1, 0, "support-41", NULL);
	xc_up(&x, 0, "support-42", NULL);
	static const unsigned bits[] = {FATTR4_SUPPORTED_ATTRS, FATTR4_XATTR_SUPPORT};
	for (int minor = 1; minor <= 2; minor++) {
		struct xc *c = minor == 1 ? &x1 : &x;
		for (int root = 0; root < 2; root++) {
			struct nfs4c_call m;
			struct nfs4c_reply p;
			begin42(c, &m);
			nfs4c_putrootfh(&m);
			if (!root)
				nfs4c_lookup(&m, "rw");
			nfs4c_getattr(&m, bits, 2);
			send42(c, &m, &p);
			assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
			if (!root)
				assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
			assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
			struct nfs4_getattr_res r;
			assert_true(nfs4_dec_getattr_res(&p.d, &r));
			struct nfs4_attrs at;
			uint32_t bad;
			assert_true(nfs4_fattr_decode_values(&r.attrs.mask, r.attrs.vals, &at, &bad));
			bool sup = nfs4_bitmap_isset(&at.supported_attrs, FATTR4_XATTR_SUPPORT);
			bool got = nfs4_bitmap_isset(&r.attrs.mask, FATTR4_XATTR_SUPPORT);
			assert_int_equal(sup, minor == 2);
			assert_int_equal(got, minor == 2);
			if (got)
				assert_int_equal(at.xattr_support, !root);
			nfs4c_done(&p);
		}
	}
	/* The operations are not v4.1's. */
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin42(&x1, &m);
	nfs4c_putrootfh(&m);
	NFS4C_OP(&m, OP_GETXATTR, nfs4_enc_getxattr_args,
		 &(struct nfs4_getxattr_args){nfs4_opaque_str("a")});
	send42(&x1, &m, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_ILLEGAL), NFS4ERR_OP_ILLEGAL);
	nfs4c_done(&p);
	/* The pseudo-fs keeps none. */
	char buf[8];
	size_t len;
	struct xlisting l;
	assert_int_equal(xc_find(&x, "/"), NFS4_OK);
	assert_int_equal(xget(&x, "a", buf, sizeof(buf), &len), NFS4ERR_NOTSUPP);
	assert_int_equal(xlist(&x, 0, 4096, &l), NFS4ERR_NOTSUPP);
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "a", "1", NULL), NFS4ERR_ROFS);
	assert_int_equal(xremove(&x, "a", NULL), NFS4ERR_ROFS);
	xc_down(&x1);
	xc_down(&x);
}

/* A read-only export shows its attributes and refuses changes. */
static void test_read_only(void **state)
{
	struct xc x;
	char buf[16];
	size_t len;
	xc_up(&x, 0, "ro", NULL);
	assert_int_equal(xc_find(&x, "/ro/f"), NFS4_OK);
	assert_int_equal(xget(&x, "kept", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(len, 2);
	struct xlisting l;
	assert_int_equal(xlist(&x, 0, 4096, &l), NFS4_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "kept");
	assert_int_equal(xset(&x, SETXATTR4_EITHER, "new", "1", NULL), NFS4ERR_ROFS);
	assert_int_equal(xremove(&x, "kept", NULL), NFS4ERR_ROFS);
	xc_down(&x);
}

static void add_access(struct nfs4c_call *m, const void *arg)
{
	NFS4C_OP(m, OP_ACCESS, nfs4_enc_access_args, arg);
}

static struct nfs4_access_res xaccess(struct xc *x, uint32_t want, uint32_t *st)
{
	struct nfs4_access_args a = {want};
	struct nfs4c_reply p;
	struct nfs4_access_res r = {0};
	xc_op(x, OP_ACCESS, add_access, &a, &p, st);
	if (*st == NFS4_OK)
		assert_true(nfs4_dec_access_res(&p.d, &r));
	nfs4c_done(&p);
	return r;
}

/* The caller's own rights: ACCESS's XA bits, then the operations as the
 * host judges them. */
static void test_access(void **state)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/rw/rootfile", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(setxattr(p, "user.r", "1", 1, 0), 0);

	const uint32_t xa = ACCESS4_XAREAD | ACCESS4_XAWRITE | ACCESS4_XALIST;
	uint32_t st;
	struct xc root, user;
	xc_up(&root, 0, "access-root", NULL);
	xc_up(&user, 1234, "access-user", NULL);
	assert_int_equal(xc_find(&root, "/rw/rootfile"), NFS4_OK);
	assert_int_equal(xc_find(&user, "/rw/rootfile"), NFS4_OK);
	struct nfs4_access_res r = xaccess(&root, xa | ACCESS4_READ, &st);
	assert_int_equal(st, NFS4_OK);
	assert_int_equal(r.supported, xa | ACCESS4_READ);
	assert_int_equal(r.access, xa | ACCESS4_READ);
	r = xaccess(&user, xa, &st);
	assert_int_equal(st, NFS4_OK);
	assert_int_equal(r.supported, xa);
	assert_int_equal(r.access, ACCESS4_XAREAD | ACCESS4_XALIST);

	char buf[8];
	size_t len;
	assert_int_equal(xget(&user, "r", buf, sizeof(buf), &len), NFS4_OK);
	assert_int_equal(xset(&user, SETXATTR4_EITHER, "w", "1", NULL), NFS4ERR_ACCESS);
	assert_int_equal(xremove(&user, "r", NULL), NFS4ERR_ACCESS);
	struct xlisting l;
	assert_int_equal(xlist(&user, 0, 4096, &l), NFS4_OK);
	assert_int_equal(l.n, 1);

	/* Not readable: neither XAREAD nor the value. */
	assert_int_equal(chmod(p, 0600), 0);
	r = xaccess(&user, xa, &st);
	assert_int_equal(r.access, 0);
	assert_int_equal(xget(&user, "r", buf, sizeof(buf), &len), NFS4ERR_ACCESS);

	/* A symbolic link supports none of the XA bits. */
	snprintf(p, sizeof(p), "%s/rw/link2", dir);
	assert_int_equal(symlink("rootfile", p), 0);
	assert_int_equal(xc_find(&root, "/rw/link2"), NFS4_OK);
	r = xaccess(&root, xa | ACCESS4_READ, &st);
	assert_int_equal(st, NFS4_OK);
	assert_int_equal(r.supported, ACCESS4_READ);

	/* v4.1 knows no XA bits. */
	struct xc v41;
	xc_up_minor(&v41, 1, 0, "access-41", NULL);
	assert_int_equal(xc_find(&v41, "/rw/rootfile"), NFS4_OK);
	xaccess(&v41, ACCESS4_XAREAD, &st);
	assert_int_equal(st, NFS4ERR_INVAL);
	r = xaccess(&v41, ACCESS4_READ, &st);
	assert_int_equal(st, NFS4_OK);
	xc_down(&v41);
	xc_down(&root);
	xc_down(&user);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_local), cmocka_unit_test(test_ops_memory),
		cmocka_unit_test(test_symlink),	  cmocka_unit_test(test_limits),
		cmocka_unit_test(test_list),	  cmocka_unit_test(test_xattr_support),
		cmocka_unit_test(test_read_only), cmocka_unit_test(test_access),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
