/* LOOKUP after LOOKUP in one COMPOUND, through a real ferryd on a local
 * export: the server walks such a run of names in one back-end call when
 * all of them resolve, and otherwise takes them one by one.  Every path
 * walk here (PUTROOTFH LOOKUP "export" LOOKUP... GETFH GETATTR, v4.0 and
 * v4.1) must give what one COMPOUND per name gives: the same handle and
 * fileid at the end, or the same failing LOOKUP with the same status.  And
 * changes made on the host between two walks (chmod 0 of a directory on
 * the way, renames, a name replaced, a symbolic link or a mount on the
 * way) are seen by the next walk at once.
 * Runs ferryd in a mount namespace of its own (root needed, as for ferryd). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ferryd_proc.h"
#include "lib/nfs4_client.h"

enum { USER = 4001, MAX_NAMES = 24 };

static struct ferryd_proc server;
static struct nfs4c_sess sess;
static int fd40;

struct fh {
	uint8_t data[NFS4_FHSIZE];
	uint32_t len;
};

/* Where a walk ended: how many of its LOOKUPs (after "export") succeeded,
 * the status of the one that failed (NFS4_OK: none did), and for a walk
 * that went through the last handle and fileid. */
struct walked {
	unsigned ok;
	uint32_t status;
	struct fh fh;
	uint64_t fileid;
};

static void host_path(const char *name, char *out, size_t len)
{
	ferryd_export_path(&server, name, out, len);
}

static void host_mkdir(const char *name)
{
	char p[400];
	host_path(name, p, sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
}

static void host_file(const char *name)
{
	char p[400];
	host_path(name, p, sizeof(p));
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void host_chmod(const char *name, mode_t mode)
{
	char p[400];
	host_path(name, p, sizeof(p));
	assert_int_equal(chmod(p, mode), 0);
}

static void host_rename(const char *from, const char *to)
{
	char p[400], q[400];
	host_path(from, p, sizeof(p));
	host_path(to, q, sizeof(q));
	assert_int_equal(rename(p, q), 0);
}

static uint64_t host_ino(const char *name)
{
	char p[400];
	struct stat st;
	host_path(name, p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	return st.st_ino;
}

static void begin(struct nfs4c_call *m, uint32_t minor)
{
	if (minor == 0)
		nfs4c_begin(m, 0);
	else
		nfs4c_begin_seq(&sess, m, 0, false);
}

static void send_call(struct nfs4c_call *m, uint32_t minor, struct nfs4c_reply *p)
{
	if (minor == 0) {
		nfs4c_send(fd40, nfs4c_cred(USER), m, p);
	} else {
		nfs4c_send(sess.fd, sess.cred, m, p);
		assert_int_equal(nfs4c_seq_result(p, NULL), NFS4_OK);
	}
}

static const unsigned fileid_bit[] = {FATTR4_FILEID};

/* GETFH and GETATTR(fileid) results into *w. */
static void read_fh_fileid(struct nfs4c_reply *p, struct walked *w)
{
	struct nfs4_getfh_res g;
	struct nfs4_getattr_res r;
	assert_int_equal(nfs4c_next(p, OP_GETFH), NFS4_OK);
	assert_true(nfs4_dec_getfh_res(&p->d, &g));
	memcpy(w->fh.data, g.fh.data, g.fh.len);
	w->fh.len = g.fh.len;
	assert_int_equal(nfs4c_next(p, OP_GETATTR), NFS4_OK);
	assert_true(nfs4_dec_getattr_res(&p->d, &r));
	assert_int_equal(r.attrs.vals.len, 8);
	w->fileid = xdr_get_be64(r.attrs.vals.data);
}

/* PUTROOTFH LOOKUP "export" LOOKUP names[0..n) GETFH GETATTR: one COMPOUND. */
static struct walked walk(uint32_t minor, const char *const *names, unsigned n)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct walked w = {0};
	begin(&m, minor);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	for (unsigned i = 0; i < n; i++)
		nfs4c_lookup(&m, names[i]);
	nfs4c_getfh(&m);
	nfs4c_getattr(&m, fileid_bit, 1);
	send_call(&m, minor, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	for (; w.ok < n; w.ok++) {
		w.status = nfs4c_next(&p, OP_LOOKUP);
		if (w.status != NFS4_OK)
			break;
	}
	if (w.status == NFS4_OK)
		read_fh_fileid(&p, &w);
	else
		assert_int_equal(p.status, w.status);
	/* Nothing after the failing operation. */
	uint32_t op, st;
	assert_false(nfs4c_result(&p, &op, &st));
	nfs4c_done(&p);
	return w;
}

/* The same names, one LOOKUP per COMPOUND (PUTFH of the previous result),
 * which the server never walks in one call. */
static struct walked one_by_one(uint32_t minor, const char *const *names, unsigned n)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct walked w = {0};
	begin(&m, minor);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	nfs4c_getfh(&m);
	nfs4c_getattr(&m, fileid_bit, 1);
	send_call(&m, minor, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	read_fh_fileid(&p, &w);
	nfs4c_done(&p);
	for (; w.ok < n; w.ok++) {
		begin(&m, minor);
		nfs4c_putfh(&m, w.fh.data, w.fh.len);
		nfs4c_lookup(&m, names[w.ok]);
		nfs4c_getfh(&m);
		nfs4c_getattr(&m, fileid_bit, 1);
		send_call(&m, minor, &p);
		assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
		w.status = nfs4c_next(&p, OP_LOOKUP);
		if (w.status == NFS4_OK)
			read_fh_fileid(&p, &w);
		nfs4c_done(&p);
		if (w.status != NFS4_OK) {
			w.fh.len = 0;
			w.fileid = 0;
			break;
		}
	}
	return w;
}

/* A walk in one COMPOUND gives what one COMPOUND per name gives, in both
 * minor versions; returns the v4.1 result. */
static struct walked walk_checked(const char *const *names, unsigned n)
{
	struct walked w41 = {0};
	for (uint32_t minor = 0; minor <= 1; minor++) {
		struct walked w = walk(minor, names, n);
		struct walked ref = one_by_one(minor, names, n);
		if (w.ok != ref.ok || w.status != ref.status)
			fail_msg("v4.%u walk of %u names: %u LOOKUPs then status %u; one by one: %u "
				 "then %u",
				 minor, n, w.ok, w.status, ref.ok, ref.status);
		assert_int_equal(w.fh.len, ref.fh.len);
		assert_memory_equal(w.fh.data, ref.fh.data, w.fh.len);
		assert_int_equal(w.fileid, ref.fileid);
		if (minor == 1)
			w41 = w;
	}
	return w41;
}

static int setup(void **st)
{
	(void)st;
	/* Mounts the tests make stay in this namespace, which ferryd shares. */
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	if (ferryd_start_conf(&server, "") != 0)
		return -1;
	char p[400];
	host_path("", p, sizeof(p));
	if (chmod(p, 0755) != 0)
		return -1;
	struct nfs4c_attrs fore;
	nfs4c_default_attrs(&fore);
	fore.maxops = MAX_NAMES + 8; /* SEQUENCE PUTROOTFH LOOKUP... GETFH GETATTR */
	nfs4c_session_up(&sess, nfs4c_connect(server.hostport), USER, "walk", &fore);
	fd40 = nfs4c_connect(server.hostport);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char p[400];
	host_path("t/a/m", p, sizeof(p));
	umount2(p, MNT_DETACH);
	nfs4c_close(sess.fd);
	nfs4c_close(fd40);
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

static const char *const path5[] = {"t", "a", "b", "c", "f"};

static void make_tree(void)
{
	host_mkdir("t");
	host_mkdir("t/a");
	host_mkdir("t/a/b");
	host_mkdir("t/a/b/c");
	host_file("t/a/b/c/f");
}

static void test_walk_matches_one_by_one(void **st)
{
	(void)st;
	make_tree();
	struct walked w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.ok, 5);
	assert_int_equal(w.fileid, host_ino("t/a/b/c/f"));
	/* Ending at a directory, and walked again (its objects cached now). */
	w = walk_checked(path5, 4);
	assert_int_equal(w.fileid, host_ino("t/a/b/c"));
	w = walk_checked(path5, 5);
	assert_int_equal(w.fileid, host_ino("t/a/b/c/f"));
	/* More LOOKUPs than one walk takes. */
	static const char *deep[MAX_NAMES];
	char names[MAX_NAMES][8], rel[MAX_NAMES * 8] = "t";
	deep[0] = "t";
	for (unsigned i = 1; i < MAX_NAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%u", i);
		deep[i] = names[i];
		strcat(rel, "/");
		strcat(rel, names[i]);
		host_mkdir(rel);
	}
	w = walk_checked(deep, MAX_NAMES);
	assert_int_equal(w.ok, MAX_NAMES);
	assert_int_equal(w.fileid, host_ino(rel));
}

/* chmod 0 of a directory on the way between two walks: the user may no
 * longer search it, so the LOOKUP below it fails with NFS4ERR_ACCESS (the
 * one of the directory itself still succeeds); back to 0755, it works. */
static void test_walk_sees_host_chmod(void **st)
{
	(void)st;
	assert_int_equal(walk_checked(path5, 5).status, NFS4_OK);
	host_chmod("t/a/b", 0);
	struct walked w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4ERR_ACCESS);
	assert_int_equal(w.ok, 3); /* t, a, b */
	host_chmod("t/a/b", 0755);
	w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4_OK);
	/* The last directory only, then the first. */
	host_chmod("t/a/b/c", 0700);
	assert_int_equal(walk_checked(path5, 5).status, NFS4ERR_ACCESS);
	assert_int_equal(walk_checked(path5, 4).status, NFS4_OK);
	host_chmod("t/a/b/c", 0755);
	host_chmod("t", 0);
	w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4ERR_ACCESS);
	assert_int_equal(w.ok, 1);
	host_chmod("t", 0755);
	assert_int_equal(walk_checked(path5, 5).status, NFS4_OK);
}

/* Renames on the host: the old path is gone at the renamed name, the new
 * one leads to the same objects; a name replaced by another file leads to
 * that file. */
static void test_walk_sees_host_rename(void **st)
{
	(void)st;
	uint64_t f = walk_checked(path5, 5).fileid;
	host_rename("t/a/b", "t/a/b2");
	struct walked w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4ERR_NOENT);
	assert_int_equal(w.ok, 2);
	static const char *const renamed[] = {"t", "a", "b2", "c", "f"};
	w = walk_checked(renamed, 5);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.fileid, f);
	host_rename("t/a/b2", "t/a/b");
	assert_int_equal(walk_checked(path5, 5).fileid, f);

	host_file("t/a/b/c/g");
	uint64_t g = host_ino("t/a/b/c/g");
	host_rename("t/a/b/c/g", "t/a/b/c/f");
	w = walk_checked(path5, 5);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.fileid, g);
	assert_int_not_equal(w.fileid, f);
}

/* What a walk cannot take through: a symbolic link, a file, a mount point
 * on the way, or a name LOOKUP refuses.  The LOOKUPs before it succeed
 * and the failing one gives the status it gives alone. */
static void test_walk_stops_where_lookup_does(void **st)
{
	(void)st;
	char p[400];
	host_path("t/a/lnk", p, sizeof(p));
	assert_int_equal(symlink("b", p), 0);
	static const char *const via_link[] = {"t", "a", "lnk", "c", "f"};
	struct walked w = walk_checked(via_link, 5);
	assert_int_not_equal(w.status, NFS4_OK);
	assert_int_equal(w.ok, 3);
	w = walk_checked(via_link, 3); /* the link itself */
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.fileid, host_ino("t/a/lnk"));

	static const char *const through_file[] = {"t", "a", "b", "c", "f", "x"};
	w = walk_checked(through_file, 6);
	assert_int_equal(w.status, NFS4ERR_NOTDIR);
	assert_int_equal(w.ok, 5);

	static const char *const missing[] = {"t", "a", "nope", "c"};
	w = walk_checked(missing, 4);
	assert_int_equal(w.status, NFS4ERR_NOENT);
	assert_int_equal(w.ok, 2);

	static const char *const dotdot[] = {"t", "a", "..", "a", "b"};
	w = walk_checked(dotdot, 5);
	assert_int_not_equal(w.status, NFS4_OK);
	assert_int_equal(w.ok, 2);
	static const char *const empty[] = {"t", "a", "b", "", "c"};
	w = walk_checked(empty, 5);
	assert_int_not_equal(w.status, NFS4_OK);
	assert_int_equal(w.ok, 3);

	/* Another file system mounted on the way. */
	host_mkdir("t/a/m");
	host_path("t/a/m", p, sizeof(p));
	assert_int_equal(mount("none", p, "tmpfs", 0, "size=1m,mode=0755"), 0);
	host_mkdir("t/a/m/x");
	host_mkdir("t/a/m/x/y");
	static const char *const via_mount[] = {"t", "a", "m", "x", "y"};
	w = walk_checked(via_mount, 5);
	assert_int_not_equal(w.status, NFS4_OK);
	assert_int_equal(w.ok, 2);
	assert_int_equal(umount(p), 0);
	/* Unmounted: the directory below is walked. */
	host_mkdir("t/a/m/x");
	host_mkdir("t/a/m/x/y");
	w = walk_checked(via_mount, 5);
	assert_int_equal(w.status, NFS4_OK);
	assert_int_equal(w.fileid, host_ino("t/a/m/x/y"));
}

/* SIZE and MODE of the object at the end of PUTROOTFH LOOKUP "export"
 * LOOKUP names... GETFH GETATTR (the GETATTR answers from what the LOOKUP
 * read), or with from_dir of PUTFH from_dir LOOKUP last GETFH GETATTR. */
static void size_mode(uint32_t minor, const char *const *names, unsigned n,
		      const struct fh *from_dir, uint64_t *size, uint32_t *mode)
{
	static const unsigned bits[] = {FATTR4_SIZE, FATTR4_MODE};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	struct nfs4_getattr_res r;
	begin(&m, minor);
	if (from_dir) {
		nfs4c_putfh(&m, from_dir->data, from_dir->len);
		nfs4c_lookup(&m, names[n - 1]);
	} else {
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		for (unsigned i = 0; i < n; i++)
			nfs4c_lookup(&m, names[i]);
	}
	nfs4c_getfh(&m);
	nfs4c_getattr(&m, bits, 2);
	send_call(&m, minor, &p);
	uint32_t op, st;
	while (nfs4c_result(&p, &op, &st) && op != OP_GETFH)
		assert_int_equal(st, NFS4_OK);
	assert_int_equal(op, OP_GETFH);
	assert_int_equal(st, NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p.d, &g));
	assert_int_equal(nfs4c_next(&p, OP_GETATTR), NFS4_OK);
	assert_true(nfs4_dec_getattr_res(&p.d, &r));
	assert_int_equal(r.attrs.vals.len, 12);
	*size = (uint64_t)xdr_get_be32(r.attrs.vals.data) << 32 | xdr_get_be32(r.attrs.vals.data + 4);
	*mode = xdr_get_be32(r.attrs.vals.data + 8);
	nfs4c_done(&p);
}

/* The GETATTR after a LOOKUP (walked or alone) shows what the host did to
 * the object before the COMPOUND came, every time. */
static void test_getattr_after_lookup_is_fresh(void **st)
{
	(void)st;
	char p[400];
	host_path("t/a/b/c/f", p, sizeof(p));
	struct fh dir = {0};
	struct walked w = walk(1, path5, 4);
	dir = w.fh;
	for (unsigned i = 1; i <= 4; i++) {
		assert_int_equal(truncate(p, 100 * i), 0);
		assert_int_equal(chmod(p, 0600 + i), 0);
		for (uint32_t minor = 0; minor <= 1; minor++) {
			uint64_t size;
			uint32_t mode;
			size_mode(minor, path5, 5, NULL, &size, &mode);
			assert_int_equal(size, 100 * i);
			assert_int_equal(mode, 0600 + i);
			size_mode(minor, path5, 5, &dir, &size, &mode);
			assert_int_equal(size, 100 * i);
			assert_int_equal(mode, 0600 + i);
		}
	}
}

/* An operation between the LOOKUP and the GETATTR that changes the object
 * (SETATTR of its mode, after GETFH) leaves no old attributes to take. */
static void test_getattr_after_change_in_compound(void **st)
{
	(void)st;
	static const unsigned mode_bit[] = {FATTR4_MODE};
	char p[400];
	host_path("t/a/b/c/f", p, sizeof(p));
	assert_int_equal(chown(p, USER, USER), 0);
	assert_int_equal(chmod(p, 0644), 0);
	for (uint32_t minor = 0; minor <= 1; minor++) {
		uint32_t want = minor ? 0640 : 0604;
		uint8_t v[4] = {0, 0, (uint8_t)(want >> 8), (uint8_t)want};
		struct nfs4_setattr_args sa;
		memset(&sa, 0, sizeof(sa));
		nfs4_bitmap_set(&sa.attrs.mask, FATTR4_MODE);
		sa.attrs.vals = (struct nfs4_opaque){v, sizeof(v)};
		struct nfs4c_call m;
		struct nfs4c_reply r;
		struct nfs4_getattr_res g;
		begin(&m, minor);
		nfs4c_putrootfh(&m);
		nfs4c_lookup(&m, "export");
		for (unsigned i = 0; i < 5; i++)
			nfs4c_lookup(&m, path5[i]);
		nfs4c_getfh(&m);
		NFS4C_OP(&m, OP_SETATTR, nfs4_enc_setattr_args, &sa);
		nfs4c_getattr(&m, mode_bit, 1);
		send_call(&m, minor, &r);
		uint32_t op, status;
		while (nfs4c_result(&r, &op, &status) && op != OP_SETATTR) {
			assert_int_equal(status, NFS4_OK);
			if (op == OP_GETFH) {
				struct nfs4_getfh_res fh;
				assert_true(nfs4_dec_getfh_res(&r.d, &fh));
			}
		}
		assert_int_equal(op, OP_SETATTR);
		assert_int_equal(status, NFS4_OK);
		struct nfs4_setattr_res res;
		assert_true(nfs4_dec_setattr_res(&r.d, &res));
		assert_int_equal(nfs4c_next(&r, OP_GETATTR), NFS4_OK);
		assert_true(nfs4_dec_getattr_res(&r.d, &g));
		assert_int_equal(g.attrs.vals.len, 4);
		assert_int_equal(xdr_get_be32(g.attrs.vals.data), want);
		nfs4c_done(&r);
	}
}

/* PUTFH fh LOOKUP name: LOOKUP's status. */
static uint32_t lookup_from(uint32_t minor, const struct fh *fh, const char *name)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	begin(&m, minor);
	nfs4c_putfh(&m, fh->data, fh->len);
	nfs4c_lookup(&m, name);
	send_call(&m, minor, &p);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_LOOKUP);
	nfs4c_done(&p);
	return st;
}

/* One LOOKUP from a handle: the directory's own error ranks before the
 * name's, and a directory removed on the host is stale, whether or not the
 * name was looked up first. */
static void test_lookup_errors_rank(void **st)
{
	(void)st;
	host_mkdir("r");
	host_mkdir("r/gone");
	host_file("r/file");
	char p[400];
	host_path("r/link", p, sizeof(p));
	assert_int_equal(symlink("gone", p), 0);
	static const char *const gone[] = {"r", "gone"}, *const file[] = {"r", "file"},
				 *const link[] = {"r", "link"};
	for (uint32_t minor = 0; minor <= 1; minor++) {
		struct fh g = walk(minor, gone, 2).fh, f = walk(minor, file, 2).fh,
			  l = walk(minor, link, 2).fh;
		assert_int_equal(lookup_from(minor, &f, "x"), NFS4ERR_NOTDIR);
		assert_int_equal(lookup_from(minor, &f, ".."), NFS4ERR_NOTDIR);
		assert_int_equal(lookup_from(minor, &l, "x"), NFS4ERR_SYMLINK);
		assert_int_equal(lookup_from(minor, &g, "x"), NFS4ERR_NOENT);
		assert_int_equal(lookup_from(minor, &g, ".."), NFS4ERR_BADNAME);
		host_path("r/gone", p, sizeof(p));
		assert_int_equal(rmdir(p), 0);
		assert_int_equal(lookup_from(minor, &g, "x"), NFS4ERR_STALE);
		assert_int_equal(lookup_from(minor, &g, ".."), NFS4ERR_STALE);
		host_mkdir("r/gone");
	}
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: ferryd's local export needs root\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_matches_one_by_one),
		cmocka_unit_test(test_walk_sees_host_chmod),
		cmocka_unit_test(test_walk_sees_host_rename),
		cmocka_unit_test(test_getattr_after_lookup_is_fresh),
		cmocka_unit_test(test_getattr_after_change_in_compound),
		cmocka_unit_test(test_lookup_errors_rank),
		cmocka_unit_test(test_walk_stops_where_lookup_does),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
