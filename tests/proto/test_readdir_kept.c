/* READDIR entries sent again as kept (the local back end keeps each
 * entry4 a listing of a directory snapshot encoded, and sends it again
 * while the entry's file is unchanged), through a real ferryd: once
 * listings of a directory are served from kept entries, a change of a
 * file on the host (chmod, truncate, utimes, append) or through the
 * server (SETATTR of the mode and of the size, WRITE) is in the very next
 * listing; and listings that ask for different attributes each get
 * exactly theirs, whichever was kept last.  Every entry of every listing
 * is compared with lstat(2). */
#include <fcntl.h>
#include <sys/stat.h>

#include "proto/dirdeleg_fixture.h"

enum { NFILES = 40 };

static char d_path[400];

static int setup(void **st)
{
	(void)st;
	return dl_setup_with("");
}

/* The attributes a listing asks for (each one checkable below). */
struct want {
	struct nfs4_bitmap map;
	unsigned checked;
};

static void want_init(struct want *w, const unsigned *bits, size_t n)
{
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < n; i++)
		nfs4_bitmap_set(&w->map, bits[i]);
}

static void check_time(const char *name, const char *what, const uint8_t *v,
		       const struct timespec *t)
{
	uint64_t sec = xdr_get_be64(v);
	uint32_t nsec = xdr_get_be32(v + 8);

	if (sec != (uint64_t)t->tv_sec || nsec != (uint32_t)t->tv_nsec)
		fail_msg("%s: listed %s %llu.%09u, the file has %lld.%09ld", name, what,
			 (unsigned long long)sec, nsec, (long long)t->tv_sec, t->tv_nsec);
}

/* One entry: exactly the attributes asked, in bit order, each equal to
 * what lstat says now. */
static void check_entry(void *arg, const struct nfs4_dirent *e)
{
	struct want *w = arg;
	char name[64], p[500];
	struct stat st;

	assert_true(e->name.len < sizeof(name));
	memcpy(name, e->name.data, e->name.len);
	name[e->name.len] = '\0';
	snprintf(p, sizeof(p), "%s/%s", d_path, name);
	assert_int_equal(lstat(p, &st), 0);
	for (int i = 0; i < NFS4_BITMAP_WORDS; i++)
		assert_int_equal(e->attrs.mask.w[i], w->map.w[i]);
	const uint8_t *v = e->attrs.vals.data;
	size_t off = 0;
	for (unsigned bit = 0; bit < 32 * NFS4_BITMAP_WORDS; bit++) {
		if (!nfs4_bitmap_isset(&w->map, bit))
			continue;
		switch (bit) {
		case FATTR4_TYPE:
			assert_int_equal(xdr_get_be32(v + off), NF4REG);
			off += 4;
			break;
		case FATTR4_SIZE:
			if (xdr_get_be64(v + off) != (uint64_t)st.st_size)
				fail_msg("%s: listed size %llu, the file has %lld", name,
					 (unsigned long long)xdr_get_be64(v + off),
					 (long long)st.st_size);
			off += 8;
			break;
		case FATTR4_FILEID:
			assert_int_equal(xdr_get_be64(v + off), st.st_ino);
			off += 8;
			break;
		case FATTR4_MODE:
			if (xdr_get_be32(v + off) != (st.st_mode & 07777))
				fail_msg("%s: listed mode %o, the file has %o", name,
					 xdr_get_be32(v + off), st.st_mode & 07777);
			off += 4;
			break;
		case FATTR4_NUMLINKS:
			assert_int_equal(xdr_get_be32(v + off), st.st_nlink);
			off += 4;
			break;
		case FATTR4_TIME_METADATA:
			check_time(name, "ctime", v + off, &st.st_ctim);
			off += 12;
			break;
		case FATTR4_TIME_MODIFY:
			check_time(name, "mtime", v + off, &st.st_mtim);
			off += 12;
			break;
		default:
			fail_msg("attribute %u asked but not checked", bit);
		}
	}
	assert_int_equal(e->attrs.vals.len, off);
	w->checked++;
}

/* Lists dir to the end in small replies (several READDIRs) asking w, and
 * checks every entry; returns the entries listed. */
static unsigned list_checked(struct nfs4c_sess *s, const struct dd_fh *dir, struct want *w)
{
	w->checked = 0;
	nfs4c_list_dir_attrs(s, dir->fh, dir->len, 512, 2048, &w->map, check_entry, NULL, w);
	return w->checked;
}

/* PUTFH dir, LOOKUP name, then the operation add puts (asserts NFS4_OK). */
static void on_file(struct nfs4c_sess *s, const struct dd_fh *dir, const char *name,
		    uint32_t opnum, dl_op_fn add, const void *arg)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;

	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dir->fh, dir->len);
	nfs4c_lookup(&m, name);
	add(&m, arg);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, opnum), NFS4_OK);
	nfs4c_done(&p);
}

/* SETATTR size (arg: a uint64_t) with the anonymous stateid. */
static void add_truncate(struct nfs4c_call *m, const void *arg)
{
	uint64_t size = *(const uint64_t *)arg;
	uint8_t v[8];
	struct nfs4_setattr_args a;

	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(size >> (56 - 8 * i));
	memset(&a, 0, sizeof(a));
	nfs4_bitmap_set(&a.attrs.mask, FATTR4_SIZE);
	a.attrs.vals = (struct nfs4_opaque){v, sizeof(v)};
	NFS4C_OP(m, OP_SETATTR, nfs4_enc_setattr_args, &a);
}

/* WRITE of "hello" at offset 100 with the anonymous stateid. */
static void add_write(struct nfs4c_call *m, const void *arg)
{
	(void)arg;
	struct nfs4_write_args w;

	memset(&w, 0, sizeof(w));
	w.offset = 100;
	w.stable = FILE_SYNC4;
	w.data = nfs4_opaque_str("hello");
	NFS4C_OP(m, OP_WRITE, nfs4_enc_write_args, &w);
}

static void host_path(char *p, size_t len, const char *name)
{
	snprintf(p, len, "%s/%s", d_path, name);
}

static struct dd_fh make_dir(struct nfs4c_sess *s, const char *name)
{
	char p[40];
	struct dd_fh dir = dd_mkdir(s, name);

	snprintf(d_path, sizeof(d_path), "%s/export/%s", dl_dir, name);
	for (unsigned i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "f%02u", i);
		dd_host_file(d_path, p, i);
	}
	usleep(1200 * 1000); /* settled: listings come from a snapshot */
	return dir;
}

static const unsigned attrs_a[] = {FATTR4_TYPE, FATTR4_SIZE, FATTR4_FILEID, FATTR4_MODE,
				   FATTR4_TIME_MODIFY};
static const unsigned attrs_b[] = {FATTR4_SIZE, FATTR4_NUMLINKS, FATTR4_TIME_METADATA,
				   FATTR4_TIME_MODIFY};

static void test_changes_between_listings(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	struct want w;
	char p[500];
	int fd;

	dl_client(&a, &sa, "rdk-a", 4001);
	struct dd_fh dir = make_dir(&a, "k1");
	want_init(&w, attrs_a, sizeof(attrs_a) / sizeof(attrs_a[0]));
	for (int i = 0; i < 3; i++) /* builds the snapshot, keeps, is served kept */
		assert_int_equal(list_checked(&a, &dir, &w), NFILES);

	/* On the host. */
	host_path(p, sizeof(p), "f01");
	assert_int_equal(chmod(p, 0600), 0);
	host_path(p, sizeof(p), "f02");
	assert_int_equal(truncate(p, 4321), 0);
	host_path(p, sizeof(p), "f03");
	struct timespec ts[2] = {{.tv_sec = 1000000, .tv_nsec = 3}, {.tv_sec = 2000000, .tv_nsec = 5}};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	host_path(p, sizeof(p), "f04");
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "more", 4), 4);
	close(fd);
	assert_int_equal(list_checked(&a, &dir, &w), NFILES);
	assert_int_equal(list_checked(&a, &dir, &w), NFILES);

	/* Through the server. */
	static const uint32_t mode = 0640;
	static const uint64_t size = 9999;
	on_file(&a, &dir, "f05", OP_SETATTR, dd_add_chmod, &mode);
	on_file(&a, &dir, "f06", OP_SETATTR, add_truncate, &size);
	on_file(&a, &dir, "f07", OP_WRITE, add_write, NULL);
	assert_int_equal(list_checked(&a, &dir, &w), NFILES);
	assert_int_equal(list_checked(&a, &dir, &w), NFILES);

	/* Both again, on entries kept since the last change. */
	host_path(p, sizeof(p), "f05");
	assert_int_equal(chmod(p, 0604), 0);
	on_file(&a, &dir, "f01", OP_WRITE, add_write, NULL);
	assert_int_equal(list_checked(&a, &dir, &w), NFILES);
	dl_client_end(&a, &sa);
}

static void test_two_bitmaps(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	struct want wa, wb;
	char p[500];

	dl_client(&a, &sa, "rdk-b", 4001);
	struct dd_fh dir = make_dir(&a, "k2");
	want_init(&wa, attrs_a, sizeof(attrs_a) / sizeof(attrs_a[0]));
	want_init(&wb, attrs_b, sizeof(attrs_b) / sizeof(attrs_b[0]));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(list_checked(&a, &dir, &wa), NFILES);
		assert_int_equal(list_checked(&a, &dir, &wa), NFILES);
		assert_int_equal(list_checked(&a, &dir, &wb), NFILES);
		assert_int_equal(list_checked(&a, &dir, &wb), NFILES);
	}
	host_path(p, sizeof(p), "f10");
	assert_int_equal(truncate(p, 77), 0);
	host_path(p, sizeof(p), "f11");
	assert_int_equal(chmod(p, 0611), 0);
	assert_int_equal(list_checked(&a, &dir, &wb), NFILES);
	assert_int_equal(list_checked(&a, &dir, &wa), NFILES);
	assert_int_equal(list_checked(&a, &dir, &wa), NFILES);
	assert_int_equal(list_checked(&a, &dir, &wb), NFILES);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_between_listings),
		cmocka_unit_test(test_two_bitmaps),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
