/* NFSACL version 3 (program 100227) through a real ferryd, beside NFSv3:
 * GETACL of the ACL a mode makes (sent as four entries) and of the host's
 * ACLs; SETACL seen in the host's system.posix_acl_* attributes, removed
 * again, inherited through a default ACL; the kernel enforcing it for
 * other users over NFSv3; who may set one; every refusal with nothing
 * applied; memory and read-only exports, root squashing and the secure
 * port; a retransmitted SETACL answered
 * from the reply cache; the calls in /metrics. */
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

#include "lib/ctl_test.h"
#include "lib/ferryd_proc.h"
#include "lib/host_acl.h"
#include "lib/nfs3_client.h"
#include "lib/nfs4_client.h"
#include "xdr/nfsacl_codec.h"

enum {
	USER_OBJ = 0x01,
	USER = 0x02,
	GROUP_OBJ = 0x04,
	GROUP = 0x08,
	MASK = 0x10,
	OTHER = 0x20,
	DEF = NFSACL_DEFAULT,
	USER_A = 1234,
	USER_B = 4321,
	ALL = NFSACL_MASK_ALL,
};

static struct ferryd_proc server;
static char dir[256];
static int fd = -1;
static struct nfs3c_fh rw, mem, ro, sq;
static uint32_t next_xid = 0x7a000000;

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/ferry-nfsacl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	char p[400];
	snprintf(p, sizeof(p), "%s/rw", dir);
	if (chmod(dir, 0755) != 0 || mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ro", dir);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/sq", dir);
	if (mkdir(p, 0777) != 0 || chmod(p, 0777) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ferryd.conf", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fprintf(f,
		"[export rw]\npath = %s/rw\npseudo = /rw\nsquash = none\n\n"
		"[export ro]\npath = %s/ro\npseudo = /ro\nsquash = none\naccess = ro\n\n"
		"[export mem]\npath = mem\npseudo = /mem\nbackend = memory\nsquash = none\n\n"
		"[export sq]\npath = %s/sq\npseudo = /sq\nsquash = root\n",
		dir, dir, dir);
	fclose(f);
	const char *args[] = {"--config", p, NULL};
	if (ferryd_start(&server, args) != 0)
		return -1;
	fd = rpctest_connect(server.hostport);
	if (fd < 0)
		return -1;
	static const char *const prw[] = {"rw", NULL}, *const pro[] = {"ro", NULL},
				 *const pmem[] = {"mem", NULL}, *const psq[] = {"sq", NULL};
	if (nfs3c_export_root(fd, prw, &rw) != 0 || nfs3c_export_root(fd, pro, &ro) != 0 ||
	    nfs3c_export_root(fd, pmem, &mem) != 0 || nfs3c_export_root(fd, psq, &sq) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(fd);
	int rc = ferryd_stop(&server);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return rc == 0 ? 0 : -1;
}

/* --- calls -------------------------------------------------------------------------------- */

struct acl_reply {
	struct rpctest_reply raw;
	struct nfsacl_res res;
};

/* Sends raw arguments of proc under cred (NULL: root); the RPC accept
 * status. */
static uint32_t acl_call_raw(const struct rpc_cred *cred, uint32_t proc, const struct buf *args,
			     struct acl_reply *out)
{
	memset(out, 0, sizeof(*out));
	assert_int_equal(rpctest_call(fd, next_xid++, NFSACL_PROGRAM, NFSACL_VERSION, proc,
				      cred ? cred : nfs4c_root_cred(), args ? args->data : NULL,
				      args ? args->len : 0, &out->raw),
			 0);
	assert_int_equal(out->raw.hdr.reply_stat, RPC_MSG_ACCEPTED);
	if (out->raw.hdr.accept_stat == RPC_SUCCESS) {
		struct xdr_dec d = out->raw.results;
		struct xdr_stream x = XDR_DEC_STREAM(&d);
		assert_true(nfsacl_xdr_res(&x, proc, &out->res));
		assert_int_equal(xdr_dec_remaining(&d), 0);
	}
	return out->raw.hdr.accept_stat;
}

static struct buf *encode(uint32_t proc, union nfsacl_args *a)
{
	struct xdr_enc e;
	assert_true(xdr_enc_init(&e, 256, 1u << 20));
	struct xdr_stream x = XDR_ENC_STREAM(&e);
	assert_true(nfsacl_xdr_args(&x, proc, a));
	assert_false(e.overflow);
	return xdr_enc_take(&e);
}

/* GETACL with mask; the NFS status (out released by the caller). */
static uint32_t getacl(const struct nfs3c_fh *fh, uint32_t mask, struct acl_reply *out)
{
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.getacl.fh = nfs3c_wire(fh);
	a.getacl.mask = mask;
	struct buf *b = encode(NFSACLPROC3_GETACL, &a);
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_GETACL, b, out), RPC_SUCCESS);
	buf_unref(b);
	return out->res.status;
}

/* SETACL of both lists under cred; the NFS status. */
static uint32_t setacl_as(const struct rpc_cred *cred, const struct nfs3c_fh *fh, uint32_t mask,
			  const struct nfsacl_ace *acc, uint32_t nacc, const struct nfsacl_ace *dfl,
			  uint32_t ndfl)
{
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.setacl.fh = nfs3c_wire(fh);
	a.setacl.mask = mask;
	a.setacl.access = (struct nfsacl_list){nacc, nacc, NULL, acc};
	a.setacl.dflt = (struct nfsacl_list){ndfl, ndfl, NULL, dfl};
	struct buf *b = encode(NFSACLPROC3_SETACL, &a);
	struct acl_reply r;
	assert_int_equal(acl_call_raw(cred, NFSACLPROC3_SETACL, b, &r), RPC_SUCCESS);
	buf_unref(b);
	uint32_t st = r.res.status;
	if (st == NFS3_OK)
		assert_true(r.res.attr.present);
	rpctest_reply_release(&r.raw);
	return st;
}

static uint32_t setacl(const struct nfs3c_fh *fh, const struct nfsacl_ace *acc, uint32_t nacc)
{
	return setacl_as(NULL, fh, NFSACL_ACL | NFSACL_DFACL, acc, nacc, NULL, 0);
}

/* A file made by root through NFSv3 with mode, owned by owner (SETATTR). */
static void make_file(const char *name, uint32_t mode, uint32_t owner, struct nfs3c_fh *out)
{
	assert_int_equal(nfs3c_create(fd, &rw, name, mode, out), NFS3_OK);
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.setattr.object = nfs3c_wire(out);
	a.setattr.attr.set_uid = true;
	a.setattr.attr.uid = owner;
	a.setattr.attr.set_gid = true;
	a.setattr.attr.gid = owner;
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_SETATTR, &a, &r), 0);
	assert_int_equal(r.res.status, NFS3_OK);
	nfs3c_release(&r);
}

static void host_path(char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/rw/%s", dir, rel);
}

/* The host's ACL of rel in xattr (host_acl.h); the count, 0 for none. */
static int host_acl(const char *rel, const char *xattr, uint16_t tags[], uint16_t perms[],
		    uint32_t ids[])
{
	char p[400];
	host_path(p, sizeof(p), rel);
	return host_acl_read(p, xattr, tags, perms, ids);
}

static int host_access(const char *rel, uint16_t tags[], uint16_t perms[], uint32_t ids[])
{
	return host_acl(rel, HOST_ACL_ACCESS, tags, perms, ids);
}

static uint32_t host_mode(const char *rel)
{
	char p[400];
	struct stat st;
	host_path(p, sizeof(p), rel);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static uint32_t read_as(uint32_t uid, const struct nfs3c_fh *fh)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.read.file = nfs3c_wire(fh);
	a.read.count = 16;
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, nfs4c_cred(uid), NFSPROC3_READ, &a, &r), 0);
	uint32_t st = r.res.status;
	nfs3c_release(&r);
	return st;
}

static uint32_t access_as(uint32_t uid, const struct nfs3c_fh *fh)
{
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.access.object = nfs3c_wire(fh);
	a.access.access = ACCESS3_READ | ACCESS3_MODIFY;
	struct nfs3c_res r;
	assert_int_equal(nfs3c_call(fd, nfs4c_cred(uid), NFSPROC3_ACCESS, &a, &r), 0);
	assert_int_equal(r.res.status, NFS3_OK);
	uint32_t granted = r.res.u.access;
	nfs3c_release(&r);
	return granted;
}

static void assert_ace(const struct nfsacl_list *l, uint32_t i, uint32_t type, uint32_t id,
		       uint32_t perm)
{
	assert_true(i < l->n);
	struct nfsacl_ace a = nfsacl_list_at(l, i);
	assert_int_equal(a.type, type);
	assert_int_equal(a.id, id);
	assert_int_equal(a.perm, perm);
}

/* --- the tests ----------------------------------------------------------------------------- */

static void test_null_and_versions(void **state)
{
	(void)state;
	struct acl_reply r;
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_NULL, NULL, &r), RPC_SUCCESS);
	rpctest_reply_release(&r.raw);
	/* Version 2 is not served: PROG_MISMATCH, 3 to 3. */
	struct rpctest_reply raw;
	assert_int_equal(
		rpctest_call(fd, next_xid++, NFSACL_PROGRAM, 2, 0, nfs4c_root_cred(), NULL, 0, &raw),
		0);
	assert_int_equal(raw.hdr.accept_stat, RPC_PROG_MISMATCH);
	assert_int_equal(raw.hdr.mismatch_low, 3);
	assert_int_equal(raw.hdr.mismatch_high, 3);
	rpctest_reply_release(&raw);
	/* A procedure past SETACL. */
	assert_int_equal(acl_call_raw(NULL, 3, NULL, &r), RPC_PROC_UNAVAIL);
	rpctest_reply_release(&r.raw);
}

/* A file without an ACL: the one its mode makes, as four entries. */
static void test_mode_as_four_entries(void **state)
{
	(void)state;
	struct nfs3c_fh f;
	make_file("plain", 0640, USER_A, &f);
	struct acl_reply r;
	assert_int_equal(getacl(&f, ALL, &r), NFS3_OK);
	assert_true(r.res.attr.present);
	assert_int_equal(r.res.attr.attr.mode & 0777, 0640);
	assert_int_equal(r.res.mask, ALL);
	assert_int_equal(r.res.access.count, 4);
	assert_ace(&r.res.access, 0, USER_OBJ, USER_A, 6);
	assert_ace(&r.res.access, 1, GROUP_OBJ, USER_A, 4);
	assert_ace(&r.res.access, 2, MASK, 0, 4);
	assert_ace(&r.res.access, 3, OTHER, 0, 0);
	/* A file has no default ACL. */
	assert_int_equal(r.res.dflt.count, 0);
	assert_int_equal(r.res.dflt.n, 0);
	rpctest_reply_release(&r.raw);

	/* The counts alone: no entries. */
	assert_int_equal(getacl(&f, NFSACL_ACLCNT | NFSACL_DFACLCNT, &r), NFS3_OK);
	assert_int_equal(r.res.access.count, 4);
	assert_int_equal(r.res.access.n, 0);
	rpctest_reply_release(&r.raw);
}

/* SETACL of an extended ACL: in the host's attribute, the mode's group
 * bits from its MASK, read back; the kernel enforces it on NFSv3 calls. */
static void test_set_seen_and_enforced(void **state)
{
	(void)state;
	struct nfs3c_fh f;
	make_file("shared", 0600, USER_B, &f);
	assert_int_equal(read_as(USER_A, &f), NFS3ERR_ACCES);
	const struct nfsacl_ace acl[] = {
		{OTHER, 0, 0},	      {USER_OBJ, USER_B, 6}, {USER, USER_A, 4},
		{GROUP_OBJ, 0, 0},    {MASK, 0, 4},
	};
	/* Only the owner sets it (or root). */
	assert_int_equal(
		setacl_as(nfs4c_cred(USER_A), &f, NFSACL_ACL | NFSACL_DFACL, acl, 5, NULL, 0),
		NFS3ERR_PERM);
	assert_int_equal(setacl_as(nfs4c_cred(USER_B), &f, NFSACL_ACL | NFSACL_DFACL, acl, 5,
				   NULL, 0),
			 NFS3_OK);

	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_access("shared", tags, perms, ids), 5);
	assert_int_equal(tags[1], USER);
	assert_int_equal(ids[1], USER_A);
	assert_int_equal(perms[1], 4);
	assert_int_equal(host_mode("shared"), 0640);

	struct acl_reply r;
	assert_int_equal(getacl(&f, ALL, &r), NFS3_OK);
	assert_int_equal(r.res.access.count, 5);
	assert_ace(&r.res.access, 0, USER_OBJ, USER_B, 6);
	assert_ace(&r.res.access, 1, USER, USER_A, 4);
	assert_ace(&r.res.access, 2, GROUP_OBJ, USER_B, 0);
	assert_ace(&r.res.access, 3, MASK, 0, 4);
	assert_ace(&r.res.access, 4, OTHER, 0, 0);
	rpctest_reply_release(&r.raw);

	/* USER_A reads now, another user does not; ACCESS says so. */
	assert_int_equal(read_as(USER_A, &f), NFS3_OK);
	assert_int_equal(read_as(USER_A + 1, &f), NFS3ERR_ACCES);
	assert_int_equal(access_as(USER_A, &f), ACCESS3_READ);
	assert_int_equal(access_as(USER_A + 1, &f), 0);

	/* The four entries GETACL makes of a mode: the ACL goes, the mode
	 * stays as they say. */
	const struct nfsacl_ace minimal[] = {
		{USER_OBJ, USER_B, 6}, {GROUP_OBJ, USER_B, 4}, {MASK, 0, 4}, {OTHER, 0, 0}};
	assert_int_equal(setacl(&f, minimal, 4), NFS3_OK);
	assert_int_equal(host_access("shared", tags, perms, ids), 0);
	assert_int_equal(host_mode("shared"), 0640);
	assert_int_equal(read_as(USER_A, &f), NFS3ERR_ACCES);

	/* An access ACL the mask leaves out is removed too. */
	assert_int_equal(setacl(&f, acl, 5), NFS3_OK);
	assert_int_equal(host_access("shared", tags, perms, ids), 5);
	assert_int_equal(setacl_as(NULL, &f, NFSACL_DFACL, NULL, 0, NULL, 0), NFS3_OK);
	assert_int_equal(host_access("shared", tags, perms, ids), 0);
}

/* A directory's default ACL: set, read back with NFSACL_DEFAULT, given to
 * a file made in it over NFSv3, removed by an empty list. */
static void test_default_inherited(void **state)
{
	(void)state;
	struct nfs3c_fh d;
	union nfs3_args a;
	memset(&a, 0, sizeof(a));
	a.mkdir.where = (struct nfs3_diropargs){nfs3c_wire(&rw), nfs3c_str("inh")};
	a.mkdir.attr.set_mode = true;
	a.mkdir.attr.mode = 0755;
	struct nfs3c_res mr;
	assert_int_equal(nfs3c_call(fd, NULL, NFSPROC3_MKDIR, &a, &mr), 0);
	assert_int_equal(mr.res.status, NFS3_OK);
	nfs3c_copy_fh(&d, &mr.res.fh.fh);
	nfs3c_release(&mr);

	const struct nfsacl_ace access[] = {
		{USER_OBJ, 0, 7}, {GROUP_OBJ, 0, 5}, {MASK, 0, 5}, {OTHER, 0, 5}};
	const struct nfsacl_ace dflt[] = {{DEF | USER_OBJ, 0, 6}, {DEF | USER, USER_A, 6},
					  {DEF | GROUP_OBJ, 0, 4}, {DEF | MASK, 0, 6},
					  {DEF | OTHER, 0, 0}};
	assert_int_equal(setacl_as(NULL, &d, NFSACL_ACL | NFSACL_DFACL, access, 4, dflt, 5),
			 NFS3_OK);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_acl("inh", HOST_ACL_DEFAULT, tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);

	struct acl_reply r;
	assert_int_equal(getacl(&d, ALL, &r), NFS3_OK);
	assert_int_equal(r.res.access.count, 4);
	assert_int_equal(r.res.dflt.count, 5);
	assert_ace(&r.res.dflt, 1, DEF | USER, USER_A, 6);
	assert_ace(&r.res.dflt, 3, DEF | MASK, 0, 6);
	rpctest_reply_release(&r.raw);

	struct nfs3c_fh child;
	assert_int_equal(nfs3c_create(fd, &d, "child", 0644, &child), NFS3_OK);
	assert_int_equal(host_access("inh/child", tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);

	/* An empty default list removes it. */
	assert_int_equal(setacl_as(NULL, &d, NFSACL_ACL | NFSACL_DFACL, access, 4, NULL, 0),
			 NFS3_OK);
	assert_int_equal(host_acl("inh", HOST_ACL_DEFAULT, tags, perms, ids), 0);
}

/* What is refused, and how; nothing of it applied. */
static void test_refused(void **state)
{
	(void)state;
	struct nfs3c_fh f;
	make_file("refused", 0644, 0, &f);
	const struct nfsacl_ace good[] = {{USER_OBJ, 0, 6},  {USER, USER_A, 4}, {GROUP_OBJ, 0, 4},
					  {MASK, 0, 4},	     {OTHER, 0, 4}};
	assert_int_equal(setacl(&f, good, 5), NFS3_OK);

	static const struct {
		const char *what;
		struct nfsacl_ace acl[5];
		uint32_t n;
	} bad[] = {
		{"an unknown type", {{USER_OBJ, 0, 6}, {0x40, 0, 4}, {GROUP_OBJ, 0, 4}, {OTHER, 0, 4}},
		 4},
		{"bits beyond rwx", {{USER_OBJ, 0, 0xe}, {GROUP_OBJ, 0, 4}, {OTHER, 0, 4}}, 3},
		{"a named user of id -1",
		 {{USER_OBJ, 0, 6}, {USER, UINT32_MAX, 4}, {GROUP_OBJ, 0, 4}, {MASK, 0, 4},
		  {OTHER, 0, 4}},
		 5},
		{"a user twice",
		 {{USER_OBJ, 0, 6}, {USER, USER_A, 4}, {USER, USER_A, 6}, {GROUP_OBJ, 0, 4},
		  {OTHER, 0, 4}},
		 5},
		{"a named user without a mask",
		 {{USER_OBJ, 0, 6}, {USER, USER_B, 4}, {GROUP_OBJ, 0, 4}, {OTHER, 0, 4}},
		 4},
		{"no OTHER", {{USER_OBJ, 0, 6}, {GROUP_OBJ, 0, 4}}, 2},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refused: %s\n", bad[i].what);
		assert_int_equal(setacl(&f, bad[i].acl, bad[i].n), NFS3ERR_INVAL);
	}
	/* A default ACL on a file. */
	const struct nfsacl_ace dflt[] = {
		{DEF | USER_OBJ, 0, 6}, {DEF | GROUP_OBJ, 0, 4}, {DEF | OTHER, 0, 4}};
	assert_int_equal(setacl_as(NULL, &f, NFSACL_ACL | NFSACL_DFACL, good, 5, dflt, 3),
			 NFS3ERR_ACCES);
	/* GETACL with a mask bit NFSACL does not have. */
	struct acl_reply r;
	assert_int_equal(getacl(&f, 0x10 | NFSACL_ACL, &r), NFS3ERR_INVAL);
	assert_true(r.res.attr.present);
	rpctest_reply_release(&r.raw);

	/* Arguments that do not decode: GARBAGE_ARGS. */
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.setacl.fh = nfs3c_wire(&f);
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, good};
	a.setacl.mask = NFSACL_ACL | 0x10; /* an unknown mask bit */
	struct buf *b = encode(NFSACLPROC3_SETACL, &a);
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_SETACL, b, &r), RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r.raw);
	buf_unref(b);
	a.setacl.mask = NFSACL_ACL;
	a.setacl.access = (struct nfsacl_list){6, 5, NULL, good}; /* a count, fewer entries */
	b = encode(NFSACLPROC3_SETACL, &a);
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_SETACL, b, &r), RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r.raw);
	buf_unref(b);
	/* More entries than NFSACL carries. */
	struct nfsacl_ace *many = calloc(NFSACL_MAX_ENTRIES + 1, sizeof(*many));
	assert_non_null(many);
	a.setacl.access = (struct nfsacl_list){NFSACL_MAX_ENTRIES + 1, NFSACL_MAX_ENTRIES + 1, NULL,
					       many};
	b = encode(NFSACLPROC3_SETACL, &a);
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_SETACL, b, &r), RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r.raw);
	buf_unref(b);
	free(many);
	/* Cut short. */
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, good};
	b = encode(NFSACLPROC3_SETACL, &a);
	b->len -= 8;
	assert_int_equal(acl_call_raw(NULL, NFSACLPROC3_SETACL, b, &r), RPC_GARBAGE_ARGS);
	rpctest_reply_release(&r.raw);
	buf_unref(b);

	/* The first ACL stands. */
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_access("refused", tags, perms, ids), 5);
	assert_int_equal(ids[1], USER_A);
	assert_int_equal(host_mode("refused"), 0644);

	/* A handle that is not one. */
	struct nfs3c_fh junk = {{1, 2, 3, 4}, 4};
	assert_int_equal(getacl(&junk, ALL, &r), NFS3ERR_BADHANDLE);
	assert_false(r.res.attr.present);
	rpctest_reply_release(&r.raw);
}

/* A memory export keeps no ACLs; a read-only one takes none. */
static void test_memory_and_read_only(void **state)
{
	(void)state;
	struct acl_reply r;
	assert_int_equal(getacl(&mem, ALL, &r), NFS3ERR_NOTSUPP);
	assert_true(r.res.attr.present);
	rpctest_reply_release(&r.raw);
	const struct nfsacl_ace minimal[] = {{USER_OBJ, 0, 7}, {GROUP_OBJ, 0, 5}, {OTHER, 0, 5}};
	assert_int_equal(setacl(&mem, minimal, 3), NFS3ERR_NOTSUPP);

	assert_int_equal(getacl(&ro, ALL, &r), NFS3_OK);
	assert_int_equal(r.res.access.count, 4);
	rpctest_reply_release(&r.raw);
	assert_int_equal(setacl(&ro, minimal, 3), NFS3ERR_ROFS);
}

/* The export's rules: root squashed to nobody may not set the ACL of
 * root's file; a call from an unreserved port is refused (`secure`). */
static void test_export_rules(void **state)
{
	(void)state;
	char p[400];
	snprintf(p, sizeof(p), "%s/sq/roots", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	struct nfs3c_fh roots;
	assert_int_equal(nfs3c_lookup(fd, &sq, "roots", &roots), NFS3_OK);
	const struct nfsacl_ace acl[] = {{USER_OBJ, 0, 6}, {GROUP_OBJ, 0, 4}, {OTHER, 0, 4}};
	assert_int_equal(setacl(&roots, acl, 3), NFS3ERR_PERM);
	/* Reading is everyone's. */
	struct acl_reply r;
	assert_int_equal(getacl(&roots, ALL, &r), NFS3_OK);
	rpctest_reply_release(&r.raw);

	int ufd = rpctest_connect_unreserved(server.hostport);
	assert_true(ufd >= 0);
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.getacl.fh = nfs3c_wire(&rw);
	a.getacl.mask = ALL;
	struct buf *b = encode(NFSACLPROC3_GETACL, &a);
	struct rpctest_reply raw;
	assert_int_equal(rpctest_call(ufd, next_xid++, NFSACL_PROGRAM, NFSACL_VERSION,
				      NFSACLPROC3_GETACL, nfs4c_root_cred(), b->data, b->len, &raw),
			 0);
	assert_int_equal(raw.hdr.accept_stat, RPC_SUCCESS);
	struct xdr_dec d = raw.results;
	struct xdr_stream x = XDR_DEC_STREAM(&d);
	struct nfsacl_res res;
	memset(&res, 0, sizeof(res));
	assert_true(nfsacl_xdr_res(&x, NFSACLPROC3_GETACL, &res));
	assert_int_equal(res.status, NFS3ERR_PERM);
	rpctest_reply_release(&raw);
	buf_unref(b);
	close(ufd);
}

/* A retransmitted SETACL (same xid, same arguments) is answered from the
 * reply cache, byte for byte, without running again. */
static void test_retransmission(void **state)
{
	(void)state;
	struct nfs3c_fh f;
	make_file("retrans", 0600, 0, &f);
	const struct nfsacl_ace acl[] = {
		{USER_OBJ, 0, 6}, {USER, USER_A, 4}, {GROUP_OBJ, 0, 0}, {MASK, 0, 4}, {OTHER, 0, 0}};
	union nfsacl_args a;
	memset(&a, 0, sizeof(a));
	a.setacl.fh = nfs3c_wire(&f);
	a.setacl.mask = NFSACL_ACL | NFSACL_DFACL;
	a.setacl.access = (struct nfsacl_list){5, 5, NULL, acl};
	struct buf *b = encode(NFSACLPROC3_SETACL, &a);
	double hits0 = ctlt_metric_now(&server, "ferry_nfs3_drc_hits_total");
	uint32_t xid = next_xid++;
	struct rpctest_reply r1, r2;
	assert_int_equal(rpctest_call(fd, xid, NFSACL_PROGRAM, NFSACL_VERSION, NFSACLPROC3_SETACL,
				      nfs4c_root_cred(), b->data, b->len, &r1),
			 0);
	/* Changed in between: the retransmission must not set it again. */
	const struct nfsacl_ace other[] = {{USER_OBJ, 0, 6}, {GROUP_OBJ, 0, 0}, {OTHER, 0, 0}};
	assert_int_equal(setacl(&f, other, 3), NFS3_OK);
	assert_int_equal(rpctest_call(fd, xid, NFSACL_PROGRAM, NFSACL_VERSION, NFSACLPROC3_SETACL,
				      nfs4c_root_cred(), b->data, b->len, &r2),
			 0);
	size_t n1 = xdr_dec_remaining(&r1.results), n2 = xdr_dec_remaining(&r2.results);
	assert_int_equal(n1, n2);
	assert_memory_equal(r1.results.p, r2.results.p, n1);
	rpctest_reply_release(&r1);
	rpctest_reply_release(&r2);
	buf_unref(b);
	uint16_t tags[16], perms[16];
	uint32_t ids[16];
	assert_int_equal(host_access("retrans", tags, perms, ids), 0);
	assert_true(ctlt_metric_now(&server, "ferry_nfs3_drc_hits_total") >= hits0 + 1);
}

/* The calls counted where NFSv3's are. */
static void test_metrics(void **state)
{
	(void)state;
	char *page = ctlt_scrape(&server);
	assert_true(ctlt_metric(page, "ferry_nfs3_calls_total{proc=\"GETACL\"}") >= 8);
	assert_true(ctlt_metric(page, "ferry_nfs3_calls_total{proc=\"SETACL\"}") >= 10);
	assert_true(ctlt_metric(page, "ferry_nfs3_errors_total{proc=\"SETACL\"}") >= 8);
	assert_true(ctlt_metric(page, "ferry_nfs3_calls_total{proc=\"ACL_NULL\"}") >= 1);
	assert_true(
		ctlt_metric(page, "ferry_nfs3_call_duration_seconds_count{proc=\"GETACL\"}") >= 8);
	assert_true(ctlt_promtool_ok(page));
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_versions),
		cmocka_unit_test(test_mode_as_four_entries),
		cmocka_unit_test(test_set_seen_and_enforced),
		cmocka_unit_test(test_default_inherited),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_memory_and_read_only),
		cmocka_unit_test(test_export_rules),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
