/* The NFSv4.2 POSIX ACL attributes (draft-ietf-nfsv4-posix-acls) through
 * a real ferryd on a local export: offered from minor version 2 where the
 * export keeps ACLs; acl_trueform and its scope; posix_access_acl and
 * posix_default_acl read as the host keeps them (the mode's ACL for a
 * file without one), set by SETATTR in any entry order and seen in the
 * host's attributes, enforced for other users, inherited by a file OPEN
 * makes, removed by an empty list, given in OPEN's and CREATE's
 * attributes; and each refusal: with acl, in VERIFY, a who naming
 * nobody, an invalid ACL, a default ACL on a file, a non-owner, 4.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ferryd_proc.h"
#include "lib/host_acl.h"
#include "lib/nfs4_client.h"
#include "xdr/nfs4_fattr.h"

enum {
	UOBJ = POSIXACE4_TAG_USER_OBJ,
	USER = POSIXACE4_TAG_USER,
	GOBJ = POSIXACE4_TAG_GROUP_OBJ,
	GROUP = POSIXACE4_TAG_GROUP,
	MASK = POSIXACE4_TAG_MASK,
	OTHER = POSIXACE4_TAG_OTHER,
	USER_A = 1234,
	USER_B = 4321,
};

static struct ferryd_proc server;
static char dir[256];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-posix-acl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	char p[400];
	snprintf(p, sizeof(p), "%s/rw", dir);
	if (chmod(dir, 0755) != 0 || mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ferryd.conf", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[export rw]\npath = %s/rw\npseudo = /rw\nsquash = none\n\n"
		"[export mem]\npath = mem\npseudo = /mem\nbackend = memory\nsquash = none\n",
		dir);
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

/* --- a client and its current file ------------------------------------------ */

struct pc {
	struct nfs4c_sess s;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

static void pc_up(struct pc *x, uint32_t minor, uint32_t uid, const char *name)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	nfs4c_session_up_minor(&x->s, minor, fd, uid, name, NULL);
}

static void pc_find(struct pc *x, const char *path)
{
	assert_int_equal(nfs4c_find(&x->s, path, x->fh, &x->fhlen), NFS4_OK);
}

/* An ACE as the test writes it. */
struct pace {
	uint32_t tag, perm;
	const char *who;
};

/* A posixace4<>'s XDR appended to e. */
static void posix_vals(struct xdr_enc *e, const struct pace *aces, uint32_t n)
{
	assert_true(xdr_encode_u32(e, n));
	for (uint32_t i = 0; i < n; i++) {
		struct nfs4_posix_ace a = {aces[i].tag, aces[i].perm, nfs4_opaque_str(aces[i].who)};
		assert_true(nfs4_posix_ace_encode(e, &a));
	}
}

/* SETATTR of the current file; op OP_SETATTR or OP_VERIFY. */
static uint32_t pc_attr_op(struct pc *x, int op, const struct nfs4_bitmap *mask,
			   const struct xdr_enc *vals)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&x->s, &m, 0, false);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	struct nfs4_opaque v = {vals->buf->data, (uint32_t)xdr_enc_len(vals)};
	if (op == OP_SETATTR) {
		struct nfs4_setattr_args a;
		memset(&a, 0, sizeof(a));
		a.attrs.mask = *mask;
		a.attrs.vals = v;
		NFS4C_OP(&m, OP_SETATTR, nfs4_enc_setattr_args, &a);
	} else {
		struct nfs4_verify_args a;
		memset(&a, 0, sizeof(a));
		a.attrs.mask = *mask;
		a.attrs.vals = v;
		NFS4C_OP(&m, OP_VERIFY, nfs4_enc_verify_args, &a);
	}
	nfs4c_send(x->s.fd, x->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, (uint32_t)op);
	nfs4c_done(&p);
	return st;
}

/* SETATTR of posix_access_acl (acc, nacc; NULL: not given) and
 * posix_default_acl (dfl, ndfl; NULL: not given). */
static uint32_t pc_set(struct pc *x, const struct pace *acc, uint32_t nacc, const struct pace *dfl,
		       uint32_t ndfl)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	struct nfs4_bitmap m = {{0}};
	/* Bit order: the default ACL (91) before the access one (92). */
	if (dfl) {
		nfs4_bitmap_set(&m, FATTR4_POSIX_DEFAULT_ACL);
		posix_vals(&e, dfl, ndfl);
	}
	if (acc) {
		nfs4_bitmap_set(&m, FATTR4_POSIX_ACCESS_ACL);
		posix_vals(&e, acc, nacc);
	}
	uint32_t st = pc_attr_op(x, OP_SETATTR, &m, &e);
	xdr_enc_release(&e);
	return st;
}

/* GETATTR of bits, decoded into *at (ACEs in *keep: nfs4c_done it). */
static void pc_getattr(struct pc *x, const unsigned *bits, unsigned n, struct nfs4_attrs *at,
		       struct nfs4c_reply *keep)
{
	struct nfs4c_call m;
	nfs4c_begin_seq(&x->s, &m, 0, false);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	nfs4c_getattr(&m, bits, n);
	nfs4c_send(x->s.fd, x->s.cred, &m, keep);
	assert_int_equal(nfs4c_seq_result(keep, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(keep, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(keep, OP_GETATTR), NFS4_OK);
	struct nfs4_getattr_res r;
	assert_true(nfs4_dec_getattr_res(&keep->d, &r));
	uint32_t bad;
	assert_true(nfs4_fattr_decode_values(&r.attrs.mask, r.attrs.vals, at, &bad));
}

/* One of the current file's POSIX ACLs, as the test's ACEs (who copied
 * into names); the count. */
static uint32_t pc_get(struct pc *x, unsigned bit, struct pace *out, uint32_t cap,
		       char names[][32])
{
	const unsigned bits[] = {bit};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	pc_getattr(x, bits, 1, &at, &p);
	assert_true(nfs4_bitmap_isset(&at.present, bit));
	const struct nfs4_posix_acl *acl =
		bit == FATTR4_POSIX_ACCESS_ACL ? &at.posix_access_acl : &at.posix_default_acl;
	assert_true(acl->count <= cap);
	struct xdr_dec d;
	xdr_dec_init(&d, acl->aces.data, acl->aces.len);
	for (uint32_t i = 0; i < acl->count; i++) {
		struct nfs4_posix_ace a;
		assert_true(nfs4_posix_acl_next(&d, &a));
		assert_true(a.who.len < 32);
		memcpy(names[i], a.who.data, a.who.len);
		names[i][a.who.len] = '\0';
		out[i] = (struct pace){a.tag, a.perm, names[i]};
	}
	uint32_t n = acl->count;
	nfs4c_done(&p);
	return n;
}

static uint32_t pc_access(struct pc *x)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&x->s, &m, 0, false);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	NFS4C_OP(&m, OP_ACCESS, nfs4_enc_access_args,
		 &(struct nfs4_access_args){ACCESS4_READ | ACCESS4_MODIFY});
	nfs4c_send(x->s.fd, x->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_ACCESS), NFS4_OK);
	struct nfs4_access_res r;
	assert_true(nfs4_dec_access_res(&p.d, &r));
	nfs4c_done(&p);
	return r.access;
}

static void host_path(char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/rw/%s", dir, rel);
}

/* The host's ACL (HOST_ACL_ACCESS or HOST_ACL_DEFAULT) of rel
 * (host_acl.h); the count, 0 for none. */
static int host_acl(const char *rel, const char *which, uint16_t tags[], uint16_t perms[],
		    uint32_t ids[])
{
	char p[400];
	host_path(p, sizeof(p), rel);
	return host_acl_read(p, which, tags, perms, ids);
}


/* A file made by OPEN with mode 0640. */
static void make_file(struct pc *x, const char *dirpath, const char *name)
{
	pc_find(x, dirpath);
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa0};
	struct nfs4_fattr_raw attrs = {.vals = {mode, sizeof(mode)}};
	nfs4_bitmap_set(&attrs.mask, FATTR4_MODE);
	assert_int_equal(nfs4c_create(&x->s, x->fh, &x->fhlen, name, &attrs, NULL), NFS4_OK);
}

/* --- the tests ------------------------------------------------------------------ */

static void test_offered_from_42(void **state)
{
	(void)state;
	static const unsigned posix_bits[] = {FATTR4_ACL_TRUEFORM, FATTR4_ACL_TRUEFORM_SCOPE,
					      FATTR4_POSIX_DEFAULT_ACL, FATTR4_POSIX_ACCESS_ACL};
	static const unsigned bits[] = {FATTR4_SUPPORTED_ATTRS, FATTR4_ACL_TRUEFORM,
					FATTR4_ACL_TRUEFORM_SCOPE};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	struct pc x;
	pc_up(&x, 2, 0, "posix-42");
	pc_find(&x, "/rw");
	pc_getattr(&x, bits, 3, &at, &p);
	nfs4c_done(&p);
	for (size_t i = 0; i < 4; i++)
		assert_true(nfs4_bitmap_isset(&at.supported_attrs, posix_bits[i]));
	assert_int_equal(at.acl_trueform, ACL_MODEL_POSIX_DRAFT);
	assert_int_equal(at.acl_trueform_scope, ACL_SCOPE_FILE_SYSTEM);
	/* Not on an export without ACLs. */
	pc_find(&x, "/mem");
	pc_getattr(&x, bits, 1, &at, &p);
	nfs4c_done(&p);
	for (size_t i = 0; i < 4; i++)
		assert_false(nfs4_bitmap_isset(&at.supported_attrs, posix_bits[i]));
	static const struct pace minimal[] = {{UOBJ, 7, ""}, {GOBJ, 5, ""}, {OTHER, 5, ""}};
	assert_int_equal(pc_set(&x, minimal, 3, NULL, 0), NFS4ERR_ATTRNOTSUPP);
	nfs4c_close(x.s.fd);

	/* Nor in 4.1, where setting one is not supported either. */
	struct pc y;
	pc_up(&y, 1, 0, "posix-41");
	pc_find(&y, "/rw");
	pc_getattr(&y, bits, 1, &at, &p);
	nfs4c_done(&p);
	for (size_t i = 0; i < 4; i++)
		assert_false(nfs4_bitmap_isset(&at.supported_attrs, posix_bits[i]));
	assert_int_equal(pc_set(&y, minimal, 3, NULL, 0), NFS4ERR_ATTRNOTSUPP);
	nfs4c_close(y.s.fd);
}

/* A file without an ACL reads as its mode's; it has no default ACL. */
static void test_mode_reads_as_posix(void **state)
{
	(void)state;
	struct pc x;
	pc_up(&x, 2, 0, "posix-mode");
	make_file(&x, "/rw", "plain");
	struct pace got[8];
	char names[8][32];
	assert_int_equal(pc_get(&x, FATTR4_POSIX_ACCESS_ACL, got, 8, names), 3);
	assert_int_equal(got[0].tag, UOBJ);
	assert_int_equal(got[0].perm, 6);
	assert_string_equal(got[0].who, "");
	assert_int_equal(got[1].tag, GOBJ);
	assert_int_equal(got[1].perm, 4);
	assert_int_equal(got[2].tag, OTHER);
	assert_int_equal(got[2].perm, 0);
	assert_int_equal(pc_get(&x, FATTR4_POSIX_DEFAULT_ACL, got, 8, names), 0);
	nfs4c_close(x.s.fd);
}

/* SETATTR in any order: the host's ACL, read back sorted, enforced;
 * removed by an empty list. */
static void test_set_enforced_and_removed(void **state)
{
	(void)state;
	struct pc root, a, b;
	pc_up(&root, 2, 0, "posix-root");
	make_file(&root, "/rw", "shared");
	static const struct pace acl[] = {
		{OTHER, 0, ""}, {MASK, 4, ""}, {USER, 4, "1234"}, {GOBJ, 0, ""}, {UOBJ, 6, ""},
	};
	assert_int_equal(pc_set(&root, acl, 5, NULL, 0), NFS4_OK);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("shared", HOST_ACL_ACCESS, tags, perms, ids), 5);
	assert_int_equal(tags[1], 0x02);
	assert_int_equal(ids[1], USER_A);
	assert_int_equal(perms[1], 4);

	struct pace got[8];
	char names[8][32];
	assert_int_equal(pc_get(&root, FATTR4_POSIX_ACCESS_ACL, got, 8, names), 5);
	assert_int_equal(got[1].tag, USER);
	assert_string_equal(got[1].who, "1234");
	assert_int_equal(got[3].tag, MASK);

	pc_up(&a, 2, USER_A, "posix-a");
	pc_up(&b, 2, USER_B, "posix-b");
	pc_find(&a, "/rw/shared");
	pc_find(&b, "/rw/shared");
	assert_int_equal(pc_access(&a), ACCESS4_READ);
	assert_int_equal(pc_access(&b), 0);
	/* Not theirs to change. */
	assert_int_equal(pc_set(&a, acl, 5, NULL, 0), NFS4ERR_PERM);

	/* The acl attribute reads the same ACL, mapped. */
	static const unsigned acl_bit[] = {FATTR4_ACL};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	pc_getattr(&root, acl_bit, 1, &at, &p);
	bool named = false;
	struct xdr_dec d;
	xdr_dec_init(&d, at.acl.aces.data, at.acl.aces.len);
	struct nfs4_ace ace;
	while (nfs4_acl_next(&d, &ace))
		named |= ace.who.len == 4 && memcmp(ace.who.data, "1234", 4) == 0;
	nfs4c_done(&p);
	assert_true(named);

	/* An empty list removes it; the mode stays. */
	assert_int_equal(pc_set(&root, acl, 0, NULL, 0), NFS4_OK);
	assert_int_equal(host_acl("shared", HOST_ACL_ACCESS, tags, perms, ids), 0);
	char hp[400];
	struct stat st;
	host_path(hp, sizeof(hp), "shared");
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(pc_access(&a), 0);
	nfs4c_close(a.s.fd);
	nfs4c_close(b.s.fd);
	nfs4c_close(root.s.fd);
}

/* A directory's default ACL: set, read back, given to a file OPEN makes
 * in it; a directory CREATE makes with POSIX ACLs. */
static void test_default_and_create(void **state)
{
	(void)state;
	struct pc x;
	pc_up(&x, 2, 0, "posix-default");
	char p[400];
	host_path(p, sizeof(p), "inh");
	assert_int_equal(mkdir(p, 0755), 0);
	pc_find(&x, "/rw/inh");
	static const struct pace dflt[] = {
		{UOBJ, 6, ""}, {USER, 6, "1234"}, {GOBJ, 4, ""}, {MASK, 6, ""}, {OTHER, 0, ""},
	};
	assert_int_equal(pc_set(&x, NULL, 0, dflt, 5), NFS4_OK);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("inh", HOST_ACL_DEFAULT, tags, perms, ids), 5);
	/* The access ACL was left alone. */
	assert_int_equal(host_acl("inh", HOST_ACL_ACCESS, tags, perms, ids), 0);
	struct pace got[8];
	char names[8][32];
	assert_int_equal(pc_get(&x, FATTR4_POSIX_DEFAULT_ACL, got, 8, names), 5);
	assert_string_equal(got[1].who, "1234");

	make_file(&x, "/rw/inh", "child");
	assert_int_equal(host_acl("inh/child", HOST_ACL_ACCESS, tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);

	/* CREATE of a directory with both ACLs in its attributes. */
	pc_find(&x, "/rw");
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	static const struct pace acc[] = {
		{UOBJ, 7, ""}, {USER, 5, "4321"}, {GOBJ, 5, ""}, {MASK, 5, ""}, {OTHER, 0, ""}};
	posix_vals(&e, dflt, 5);
	posix_vals(&e, acc, 5);
	struct nfs4_create_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.type = NF4DIR;
	ca.name = nfs4_opaque_str("made");
	nfs4_bitmap_set(&ca.attrs.mask, FATTR4_POSIX_DEFAULT_ACL);
	nfs4_bitmap_set(&ca.attrs.mask, FATTR4_POSIX_ACCESS_ACL);
	ca.attrs.vals = (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)};
	struct nfs4c_call m;
	struct nfs4c_reply r;
	nfs4c_begin_seq(&x.s, &m, 0, false);
	nfs4c_putfh(&m, x.fh, x.fhlen);
	NFS4C_OP(&m, OP_CREATE, nfs4_enc_create_args, &ca);
	nfs4c_send(x.s.fd, x.s.cred, &m, &r);
	assert_int_equal(nfs4c_seq_result(&r, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_CREATE), NFS4_OK);
	struct nfs4_create_res cr;
	assert_true(nfs4_dec_create_res(&r.d, &cr));
	assert_true(nfs4_bitmap_isset(&cr.attrset, FATTR4_POSIX_ACCESS_ACL));
	assert_true(nfs4_bitmap_isset(&cr.attrset, FATTR4_POSIX_DEFAULT_ACL));
	nfs4c_done(&r);
	xdr_enc_release(&e);
	assert_int_equal(host_acl("made", HOST_ACL_ACCESS, tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_B);
	assert_int_equal(host_acl("made", HOST_ACL_DEFAULT, tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);
	nfs4c_close(x.s.fd);
}

/* What is refused, and how; nothing of it applied. */
static void test_refused(void **state)
{
	(void)state;
	struct pc x;
	pc_up(&x, 2, 0, "posix-refused");
	make_file(&x, "/rw", "refused");
	static const struct pace good[] = {
		{UOBJ, 6, ""}, {USER, 4, "1234"}, {GOBJ, 4, ""}, {MASK, 4, ""}, {OTHER, 4, ""}};
	assert_int_equal(pc_set(&x, good, 5, NULL, 0), NFS4_OK);

	/* acl with a POSIX ACL. */
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	assert_true(xdr_encode_u32(&e, 1));
	struct nfs4_ace everyone = {ACE4_ACCESS_ALLOWED_ACE_TYPE, 0, ACE4_READ_DATA,
				    nfs4_opaque_str("EVERYONE@")};
	assert_true(nfs4_ace_encode(&e, &everyone));
	posix_vals(&e, good, 5);
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_ACL);
	nfs4_bitmap_set(&m, FATTR4_POSIX_ACCESS_ACL);
	assert_int_equal(pc_attr_op(&x, OP_SETATTR, &m, &e), NFS4ERR_INVAL);
	xdr_enc_release(&e);

	/* VERIFY of one. */
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	posix_vals(&e, good, 5);
	memset(&m, 0, sizeof(m));
	nfs4_bitmap_set(&m, FATTR4_POSIX_ACCESS_ACL);
	assert_int_equal(pc_attr_op(&x, OP_VERIFY, &m, &e), NFS4ERR_INVAL);
	xdr_enc_release(&e);

	/* Read-only attributes. */
	assert_true(xdr_enc_init(&e, 16, 64));
	assert_true(xdr_encode_u32(&e, ACL_MODEL_POSIX_DRAFT));
	memset(&m, 0, sizeof(m));
	nfs4_bitmap_set(&m, FATTR4_ACL_TRUEFORM);
	assert_int_equal(pc_attr_op(&x, OP_SETATTR, &m, &e), NFS4ERR_INVAL);
	xdr_enc_release(&e);

	static const struct pace nobody[] = {{UOBJ, 6, ""},
					     {USER, 4, "no-such-user-here@example.invalid"},
					     {GOBJ, 4, ""},
					     {MASK, 4, ""},
					     {OTHER, 4, ""}};
	assert_int_equal(pc_set(&x, nobody, 5, NULL, 0), NFS4ERR_BADOWNER);
	static const struct pace no_other[] = {{UOBJ, 6, ""}, {GOBJ, 4, ""}};
	assert_int_equal(pc_set(&x, no_other, 2, NULL, 0), NFS4ERR_INVAL);
	static const struct pace twice[] = {
		{UOBJ, 6, ""}, {USER, 4, "7"}, {USER, 6, "7"}, {GOBJ, 4, ""}, {MASK, 6, ""},
		{OTHER, 0, ""}};
	assert_int_equal(pc_set(&x, twice, 6, NULL, 0), NFS4ERR_INVAL);
	static const struct pace no_mask[] = {{UOBJ, 6, ""}, {USER, 4, "7"}, {GOBJ, 4, ""},
					      {OTHER, 0, ""}};
	assert_int_equal(pc_set(&x, no_mask, 4, NULL, 0), NFS4ERR_INVAL);
	/* A tag or bits the draft does not define: not XDR it knows. */
	static const struct pace bad_tag[] = {{UOBJ, 6, ""}, {9, 4, ""}, {OTHER, 0, ""}};
	assert_int_equal(pc_set(&x, bad_tag, 3, NULL, 0), NFS4ERR_BADXDR);
	static const struct pace bad_bits[] = {{UOBJ, 0xe, ""}, {GOBJ, 4, ""}, {OTHER, 0, ""}};
	assert_int_equal(pc_set(&x, bad_bits, 3, NULL, 0), NFS4ERR_BADXDR);
	/* A default ACL on a file. */
	static const struct pace dflt[] = {{UOBJ, 6, ""}, {GOBJ, 4, ""}, {OTHER, 0, ""}};
	assert_int_equal(pc_set(&x, good, 5, dflt, 3), NFS4ERR_ACCESS);

	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("refused", HOST_ACL_ACCESS, tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);
	assert_int_equal(perms[4], 4);
	nfs4c_close(x.s.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered_from_42),
		cmocka_unit_test(test_mode_reads_as_posix),
		cmocka_unit_test(test_set_enforced_and_removed),
		cmocka_unit_test(test_default_and_create),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
