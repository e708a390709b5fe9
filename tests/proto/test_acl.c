/* NFSv4 ACLs through a real ferryd (RFC 8881 6): the acl, dacl and
 * aclsupport attributes on a local export (the host's POSIX ACLs, as knfsd
 * maps them) and their absence on a memory export; an ACL set by SETATTR,
 * by OPEN's and CREATE's attributes, and by the host, read back; the
 * kernel enforcing it for other users; who may set one; and what is
 * refused, with nothing of it applied. */
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

#include "lib/ferryd_proc.h"
#include "lib/host_acl.h"
#include "lib/nfs4_client.h"
#include "xdr/nfs4_fattr.h"

enum {
	ALLOW = ACE4_ACCESS_ALLOWED_ACE_TYPE,
	DENY = ACE4_ACCESS_DENIED_ACE_TYPE,
	RD = ACE4_READ_DATA,
	WR = ACE4_WRITE_DATA | ACE4_APPEND_DATA,
	EX = ACE4_EXECUTE,
	ANYONE = ACE4_READ_ATTRIBUTES | ACE4_READ_ACL | ACE4_SYNCHRONIZE,
	OWNER_EXTRA = ACE4_WRITE_ATTRIBUTES | ACE4_WRITE_ACL,
	INHERIT = ACE4_FILE_INHERIT_ACE | ACE4_DIRECTORY_INHERIT_ACE,
	USER_A = 1234,
	USER_B = 4321,
};

static struct ferryd_proc server;
static char dir[256];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-acl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
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

/* --- a client and its current file ------------------------------------------------------ */

struct ac {
	struct nfs4c_sess s;
	uint8_t fh[NFS4_FHSIZE];
	uint32_t fhlen;
};

static void ac_up(struct ac *x, uint32_t uid, const char *name)
{
	int fd = nfs4c_connect(server.hostport);
	assert_true(fd >= 0);
	nfs4c_session_up_minor(&x->s, 1, fd, uid, name, NULL);
}

static void ac_find(struct ac *x, const char *path)
{
	assert_int_equal(nfs4c_find(&x->s, path, x->fh, &x->fhlen), NFS4_OK);
}

/* An ACE as the test writes it: who a string. */
struct ace {
	uint32_t type, flag, mask;
	const char *who;
};

/* fattr4 values of an acl (or, with dacl, a dacl with flag 0) attribute. */
static void acl_vals(struct xdr_enc *e, const struct ace *aces, uint32_t n, bool dacl)
{
	assert_true(xdr_enc_init(e, 256, 1u << 20));
	if (dacl)
		assert_true(xdr_encode_u32(e, 0));
	assert_true(xdr_encode_u32(e, n));
	for (uint32_t i = 0; i < n; i++) {
		struct nfs4_ace a = {aces[i].type, aces[i].flag, aces[i].mask,
				     nfs4_opaque_str(aces[i].who)};
		assert_true(nfs4_ace_encode(e, &a));
	}
}

/* SETATTR of the current file with the attributes of mask (values vals). */
static uint32_t ac_setattr(struct ac *x, const struct nfs4_bitmap *mask, struct nfs4_opaque vals)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct nfs4_setattr_args a;
	memset(&a, 0, sizeof(a));
	a.attrs.mask = *mask;
	a.attrs.vals = vals;
	nfs4c_begin_seq(&x->s, &m, 0, false);
	nfs4c_putfh(&m, x->fh, x->fhlen);
	NFS4C_OP(&m, OP_SETATTR, nfs4_enc_setattr_args, &a);
	nfs4c_send(x->s.fd, x->s.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_SETATTR);
	nfs4c_done(&p);
	return st;
}

static uint32_t ac_set_acl(struct ac *x, const struct ace *aces, uint32_t n)
{
	struct xdr_enc e;
	acl_vals(&e, aces, n, false);
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_ACL);
	uint32_t st = ac_setattr(x, &m, (struct nfs4_opaque){e.buf->data, (uint32_t)xdr_enc_len(&e)});
	xdr_enc_release(&e);
	return st;
}

/* The current file's attributes in bits, decoded into *at (the reply's
 * bytes stay in *keep, for the ACL's ACEs: nfs4c_done it after). */
static void ac_getattr(struct ac *x, const unsigned *bits, unsigned n, struct nfs4_attrs *at,
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

/* The current file's ACL, as the test's ACEs (who copied into names). */
static uint32_t ac_get_acl(struct ac *x, struct ace *out, uint32_t cap, char names[][32])
{
	static const unsigned bits[] = {FATTR4_ACL};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	ac_getattr(x, bits, 1, &at, &p);
	assert_true(nfs4_bitmap_isset(&at.present, FATTR4_ACL));
	assert_true(at.acl.count <= cap);
	struct xdr_dec d;
	xdr_dec_init(&d, at.acl.aces.data, at.acl.aces.len);
	for (uint32_t i = 0; i < at.acl.count; i++) {
		struct nfs4_ace a;
		assert_true(nfs4_acl_next(&d, &a));
		assert_true(a.who.len < 32);
		memcpy(names[i], a.who.data, a.who.len);
		names[i][a.who.len] = '\0';
		out[i] = (struct ace){a.type, a.flag, a.access_mask, names[i]};
	}
	nfs4c_done(&p);
	return at.acl.count;
}

static uint32_t ac_mode(struct ac *x)
{
	static const unsigned bits[] = {FATTR4_MODE};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	ac_getattr(x, bits, 1, &at, &p);
	nfs4c_done(&p);
	return at.mode;
}

/* ACCESS READ|MODIFY of the current file: what is granted. */
static uint32_t ac_access(struct ac *x)
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

/* The host's access ACL of rel (host_acl.h); the count. */
static int host_acl(const char *rel, uint16_t tags[], uint16_t perms[], uint32_t ids[])
{
	char p[400];
	host_path(p, sizeof(p), rel);
	return host_acl_read(p, HOST_ACL_ACCESS, tags, perms, ids);
}

/* --- the tests --------------------------------------------------------------------------- */

static void test_support(void **state)
{
	(void)state;
	struct ac x;
	ac_up(&x, 0, "acl-support");
	static const unsigned bits[] = {FATTR4_SUPPORTED_ATTRS, FATTR4_ACLSUPPORT};
	struct nfs4_attrs at;
	struct nfs4c_reply p;
	ac_find(&x, "/rw");
	ac_getattr(&x, bits, 2, &at, &p);
	nfs4c_done(&p);
	assert_true(nfs4_bitmap_isset(&at.supported_attrs, FATTR4_ACL));
	assert_true(nfs4_bitmap_isset(&at.supported_attrs, FATTR4_DACL));
	assert_int_equal(at.aclsupport, ACL4_SUPPORT_ALLOW_ACL | ACL4_SUPPORT_DENY_ACL);

	/* The memory back end keeps none. */
	ac_find(&x, "/mem");
	ac_getattr(&x, bits, 2, &at, &p);
	nfs4c_done(&p);
	assert_false(nfs4_bitmap_isset(&at.supported_attrs, FATTR4_ACL));
	assert_false(nfs4_bitmap_isset(&at.supported_attrs, FATTR4_DACL));
	assert_int_equal(at.aclsupport, ACL4_SUPPORT_NONE);
	static const struct ace one[] = {{ALLOW, 0, RD, "EVERYONE@"}};
	assert_int_equal(ac_set_acl(&x, one, 1), NFS4ERR_ATTRNOTSUPP);
	nfs4c_close(x.s.fd);
}

static void test_mode_reads_as_acl(void **state)
{
	(void)state;
	struct ac x;
	ac_up(&x, 0, "acl-mode");
	ac_find(&x, "/rw");
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa0}; /* 0640 */
	struct nfs4_fattr_raw attrs = {.vals = {mode, sizeof(mode)}};
	nfs4_bitmap_set(&attrs.mask, FATTR4_MODE);
	assert_int_equal(nfs4c_create(&x.s, x.fh, &x.fhlen, "plain", &attrs, NULL), NFS4_OK);
	struct ace got[8];
	char names[8][32];
	uint32_t n = ac_get_acl(&x, got, 8, names);
	assert_int_equal(n, 3);
	assert_string_equal(got[0].who, "OWNER@");
	assert_int_equal(got[0].type, ALLOW);
	assert_int_equal(got[0].mask, RD | WR | ANYONE | OWNER_EXTRA);
	assert_string_equal(got[1].who, "GROUP@");
	assert_int_equal(got[1].mask, RD | ANYONE);
	assert_string_equal(got[2].who, "EVERYONE@");
	assert_int_equal(got[2].mask, ANYONE);
	nfs4c_close(x.s.fd);
}

static void test_set_enforced_and_read_back(void **state)
{
	(void)state;
	struct ac root, a, b;
	ac_up(&root, 0, "acl-root");
	ac_up(&a, USER_A, "acl-user-a");
	ac_up(&b, USER_B, "acl-user-b");
	ac_find(&root, "/rw");
	assert_int_equal(nfs4c_create(&root.s, root.fh, &root.fhlen, "shared", NULL, NULL),
			 NFS4_OK);
	/* Owner read-write, user A read, nobody else anything. */
	static const struct ace acl[] = {
		{ALLOW, 0, RD | WR, "OWNER@"},
		{ALLOW, 0, RD, "1234"},
		{ALLOW, 0, 0, "GROUP@"},
		{ALLOW, 0, 0, "EVERYONE@"},
	};
	assert_int_equal(ac_set_acl(&root, acl, 4), NFS4_OK);

	/* The host's POSIX ACL: u::rw- u:1234:r-- g::--- m::r-- o::---. */
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("shared", tags, perms, ids), 5);
	assert_int_equal(tags[1], 0x02);
	assert_int_equal(ids[1], USER_A);
	assert_int_equal(perms[1], 4);
	assert_int_equal(tags[3], 0x10);
	assert_int_equal(perms[3], 4);
	assert_int_equal(ac_mode(&root) & 0777, 0640);

	/* Read back as knfsd would show it. */
	struct ace got[16];
	char names[16][32];
	uint32_t n = ac_get_acl(&root, got, 16, names);
	bool found = false;
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(got[i].who, "1234") == 0 && got[i].type == ALLOW) {
			assert_int_equal(got[i].mask, RD | ANYONE);
			found = true;
		}
	assert_true(found);

	/* The kernel enforces it: A reads, B does not. */
	ac_find(&a, "/rw/shared");
	ac_find(&b, "/rw/shared");
	assert_int_equal(ac_access(&a), ACCESS4_READ);
	assert_int_equal(ac_access(&b), 0);
	/* Only the owner sets an ACL. */
	assert_int_equal(ac_set_acl(&a, acl, 4), NFS4ERR_PERM);
	nfs4c_close(root.s.fd);
	nfs4c_close(a.s.fd);
	nfs4c_close(b.s.fd);
}

/* What cannot be set is refused, and nothing of the SETATTR is applied. */
static void test_refused(void **state)
{
	(void)state;
	struct ac x;
	ac_up(&x, 0, "acl-refused");
	ac_find(&x, "/rw");
	assert_int_equal(nfs4c_create(&x.s, x.fh, &x.fhlen, "refused", NULL, NULL), NFS4_OK);
	uint32_t mode0 = ac_mode(&x) & 07777;
	static const struct ace audit[] = {{ACE4_SYSTEM_AUDIT_ACE_TYPE, 0, RD, "EVERYONE@"}};
	assert_int_equal(ac_set_acl(&x, audit, 1), NFS4ERR_ATTRNOTSUPP);
	static const struct ace inherit[] = {{ALLOW, INHERIT, RD, "EVERYONE@"}};
	assert_int_equal(ac_set_acl(&x, inherit, 1), NFS4ERR_ATTRNOTSUPP); /* a file */
	static const struct ace nobody[] = {{ALLOW, 0, RD, "no-such-user-here@localdomain"}};
	assert_int_equal(ac_set_acl(&x, nobody, 1), NFS4ERR_BADOWNER);
	static const struct ace deny_read_acl[] = {{DENY, 0, ACE4_READ_ACL, "EVERYONE@"}};
	assert_int_equal(ac_set_acl(&x, deny_read_acl, 1), NFS4ERR_ATTRNOTSUPP);

	/* mode and a bad ACL together: the mode is not changed either.
	 * (Values in attribute order: acl, 12, before mode, 33.) */
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 4096));
	assert_true(xdr_encode_u32(&e, 1));
	struct nfs4_ace bad = {ACE4_SYSTEM_ALARM_ACE_TYPE, 0, RD, nfs4_opaque_str("OWNER@")};
	assert_true(nfs4_ace_encode(&e, &bad));
	assert_true(xdr_encode_u32(&e, 0777));
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_MODE);
	nfs4_bitmap_set(&m, FATTR4_ACL);
	assert_int_equal(ac_setattr(&x, &m, (struct nfs4_opaque){e.buf->data,
							       (uint32_t)xdr_enc_len(&e)}),
			 NFS4ERR_ATTRNOTSUPP);
	xdr_enc_release(&e);
	assert_int_equal(ac_mode(&x) & 07777, mode0);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("refused", tags, perms, ids), 0);

	/* acl and dacl in one SETATTR. */
	static const struct ace ok[] = {{ALLOW, 0, RD, "EVERYONE@"}};
	struct xdr_enc a1, a2;
	acl_vals(&a1, ok, 1, false);
	acl_vals(&a2, ok, 1, true);
	assert_true(xdr_encode_opaque_fixed(&a1, a2.buf->data, xdr_enc_len(&a2)));
	m = (struct nfs4_bitmap){{0}};
	nfs4_bitmap_set(&m, FATTR4_ACL);
	nfs4_bitmap_set(&m, FATTR4_DACL);
	assert_int_equal(ac_setattr(&x, &m, (struct nfs4_opaque){a1.buf->data,
							       (uint32_t)xdr_enc_len(&a1)}),
			 NFS4ERR_ATTRNOTSUPP);
	xdr_enc_release(&a1);
	xdr_enc_release(&a2);

	/* More ACEs than the limit (4096). */
	static struct ace many[4097];
	for (size_t i = 0; i < 4097; i++)
		many[i] = (struct ace){ALLOW, 0, RD, "EVERYONE@"};
	assert_int_equal(ac_set_acl(&x, many, 4097), NFS4ERR_FBIG);
	assert_int_equal(ac_set_acl(&x, many, 4096), NFS4_OK);
	nfs4c_close(x.s.fd);
}

/* A directory's inheritable ACEs become its default ACL, which a file
 * made in it starts with; dacl sets the same. */
static void test_inherited(void **state)
{
	(void)state;
	struct ac x;
	ac_up(&x, 0, "acl-inherit");
	char p[400];
	host_path(p, sizeof(p), "inh");
	assert_int_equal(mkdir(p, 0755), 0);
	ac_find(&x, "/rw/inh");
	static const struct ace acl[] = {
		{ALLOW, 0, RD | WR | EX | ACE4_DELETE_CHILD, "OWNER@"},
		{ALLOW, 0, RD | EX, "EVERYONE@"},
		{ALLOW, INHERIT | ACE4_INHERIT_ONLY_ACE, RD | WR, "OWNER@"},
		{ALLOW, INHERIT | ACE4_INHERIT_ONLY_ACE, RD, "1234"},
		{ALLOW, INHERIT | ACE4_INHERIT_ONLY_ACE, 0, "EVERYONE@"},
	};
	struct xdr_enc e;
	acl_vals(&e, acl, 5, true);
	struct nfs4_bitmap m = {{0}};
	nfs4_bitmap_set(&m, FATTR4_DACL);
	assert_int_equal(ac_setattr(&x, &m, (struct nfs4_opaque){e.buf->data,
							       (uint32_t)xdr_enc_len(&e)}),
			 NFS4_OK);
	xdr_enc_release(&e);
	assert_true(getxattr(p, "system.posix_acl_default", NULL, 0) > 0);

	/* The mode a client asks for masks what the default ACL gives. */
	static const uint8_t mode[4] = {0, 0, 0x01, 0xa0}; /* 0640 */
	struct nfs4_fattr_raw attrs = {.vals = {mode, sizeof(mode)}};
	nfs4_bitmap_set(&attrs.mask, FATTR4_MODE);
	assert_int_equal(nfs4c_create(&x.s, x.fh, &x.fhlen, "child", &attrs, NULL), NFS4_OK);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	int n = host_acl("inh/child", tags, perms, ids);
	assert_true(n >= 4);
	assert_int_equal(tags[1], 0x02);
	assert_int_equal(ids[1], USER_A);
	struct ac a;
	ac_up(&a, USER_A, "acl-inherit-a");
	ac_find(&a, "/rw/inh/child");
	assert_int_equal(ac_access(&a), ACCESS4_READ);
	nfs4c_close(a.s.fd);
	nfs4c_close(x.s.fd);
}

/* An ACL in OPEN's create attributes, and one the host sets. */
static void test_create_and_host(void **state)
{
	(void)state;
	struct ac x;
	ac_up(&x, 0, "acl-create");
	ac_find(&x, "/rw");
	static const struct ace acl[] = {
		{ALLOW, 0, RD | WR, "OWNER@"},
		{ALLOW, 0, RD | WR, "4321"},
		{ALLOW, 0, 0, "GROUP@"},
		{ALLOW, 0, 0, "EVERYONE@"},
	};
	struct xdr_enc e;
	acl_vals(&e, acl, 4, false);
	struct nfs4_fattr_raw attrs = {.vals = {e.buf->data, (uint32_t)xdr_enc_len(&e)}};
	nfs4_bitmap_set(&attrs.mask, FATTR4_ACL);
	struct nfs4_bitmap set;
	assert_int_equal(nfs4c_create(&x.s, x.fh, &x.fhlen, "made", &attrs, &set), NFS4_OK);
	xdr_enc_release(&e);
	assert_true(nfs4_bitmap_isset(&set, FATTR4_ACL));
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("made", tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_B);
	assert_int_equal(perms[1], 6);

	/* setfacl -m u:1234:r on the host shows up. */
	char p[400];
	host_path(p, sizeof(p), "made");
	uint8_t v[4 + 6 * 8];
	static const struct {
		uint16_t tag, perm;
		uint32_t id;
	} ent[] = {{0x01, 6, 0xffffffffu}, {0x02, 4, USER_A}, {0x02, 6, USER_B},
		   {0x04, 0, 0xffffffffu}, {0x10, 6, 0xffffffffu}, {0x20, 0, 0xffffffffu}};
	v[0] = 2;
	v[1] = v[2] = v[3] = 0;
	for (int i = 0; i < 6; i++) {
		uint8_t *q = v + 4 + 8 * i;
		q[0] = (uint8_t)ent[i].tag;
		q[1] = 0;
		q[2] = (uint8_t)ent[i].perm;
		q[3] = 0;
		for (int k = 0; k < 4; k++)
			q[4 + k] = (uint8_t)(ent[i].id >> (8 * k));
	}
	assert_int_equal(setxattr(p, "system.posix_acl_access", v, sizeof(v), 0), 0);
	struct ace got[32];
	char names[32][32];
	uint32_t n = ac_get_acl(&x, got, 32, names);
	bool a_reads = false;
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(got[i].who, "1234") == 0 && got[i].type == ALLOW)
			a_reads = got[i].mask == (RD | ANYONE);
	assert_true(a_reads);
	nfs4c_close(x.s.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_support),
		cmocka_unit_test(test_mode_reads_as_acl),
		cmocka_unit_test(test_set_enforced_and_read_back),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_inherited),
		cmocka_unit_test(test_create_and_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
