/* READDIR's attributes after changes, through a real ferryd whose local
 * export keeps an attribute cache (the default): a directory is listed
 * until its listings come from the cache, then its files are changed on
 * the host (append, chmod, truncate, rename over, unlink and create again)
 * and through the protocol (SETATTR), and every later listing must show
 * each entry's size, mode and fileid as lstat(2) has them, at once. */
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

/* One entry's name and attributes (TYPE, SIZE, FILEID, MODE, in bit order). */
static void check_entry(const struct nfs4_dirent *e, unsigned *checked)
{
	char name[64], p[500];
	struct stat st;

	assert_true(e->name.len < sizeof(name));
	memcpy(name, e->name.data, e->name.len);
	name[e->name.len] = '\0';
	assert_true(nfs4_bitmap_isset(&e->attrs.mask, FATTR4_SIZE));
	assert_true(nfs4_bitmap_isset(&e->attrs.mask, FATTR4_FILEID));
	assert_true(nfs4_bitmap_isset(&e->attrs.mask, FATTR4_MODE));
	assert_int_equal(e->attrs.vals.len, 4 + 8 + 8 + 4);
	const uint8_t *v = e->attrs.vals.data;
	uint64_t size = xdr_get_be64(v + 4), fileid = xdr_get_be64(v + 12);
	uint32_t mode = xdr_get_be32(v + 20);
	snprintf(p, sizeof(p), "%s/%s", d_path, name);
	assert_int_equal(lstat(p, &st), 0);
	if (size != (uint64_t)st.st_size || fileid != st.st_ino || mode != (st.st_mode & 07777))
		fail_msg("%s: listed size %llu mode %o fileid %llu, the file has %lld %o %llu", name,
			 (unsigned long long)size, mode, (unsigned long long)fileid,
			 (long long)st.st_size, st.st_mode & 07777, (unsigned long long)st.st_ino);
	(*checked)++;
}

/* Lists dir to the end (small replies, so several READDIRs) and checks
 * every entry against the file system; returns the entries listed. */
static void check_listed(void *checked, const struct nfs4_dirent *e)
{
	check_entry(e, checked);
}

static unsigned list_checked(struct nfs4c_sess *s, const struct dd_fh *dir)
{
	unsigned checked = 0;

	nfs4c_list_dir(s, dir->fh, dir->len, 512, 2048, check_listed, NULL, &checked);
	return checked;
}

/* SETATTR mode of dir/name through the protocol. */
static void proto_chmod(struct nfs4c_sess *s, const struct dd_fh *dir, const char *name,
			uint32_t mode)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;

	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, dir->fh, dir->len);
	nfs4c_lookup(&m, name);
	dd_add_chmod(&m, &mode);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_SETATTR), NFS4_OK);
	nfs4c_done(&p);
}

static void test_listing_after_changes(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	char p[500], q[500], name[32];
	int fd;

	dl_client(&a, &sa, "rda-a", 4001);
	struct dd_fh dir = dd_mkdir(&a, "d");
	snprintf(d_path, sizeof(d_path), "%s/export/d", dl_dir);
	for (unsigned i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%02u", i);
		dd_host_file(d_path, name, i);
	}
	usleep(1200 * 1000); /* settled: listings come from a snapshot */
	for (int i = 0; i < 3; i++) /* builds it, fills the cache, is served */
		assert_int_equal(list_checked(&a, &dir), NFILES);

	/* Changes that leave the directory alone: its snapshot is still
	 * served, so only the cache stands between them and a listing. */
	snprintf(p, sizeof(p), "%s/f01", d_path);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "more", 4), 4);
	close(fd);
	snprintf(p, sizeof(p), "%s/f02", d_path);
	assert_int_equal(chmod(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/f03", d_path);
	assert_int_equal(truncate(p, 12345), 0);
	proto_chmod(&a, &dir, "f04", 0640);
	assert_int_equal(list_checked(&a, &dir), NFILES);
	assert_int_equal(list_checked(&a, &dir), NFILES);

	/* Changes of names: listed directly, then from a new snapshot. */
	snprintf(p, sizeof(p), "%s/f05", d_path);
	snprintf(q, sizeof(q), "%s/f06", d_path);
	assert_int_equal(rename(p, q), 0);
	snprintf(p, sizeof(p), "%s/f07", d_path);
	assert_int_equal(unlink(p), 0);
	dd_host_file(d_path, "f07", 777);
	assert_int_equal(list_checked(&a, &dir), NFILES - 1);
	usleep(1200 * 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(list_checked(&a, &dir), NFILES - 1);
	snprintf(p, sizeof(p), "%s/f06", d_path);
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(list_checked(&a, &dir), NFILES - 1);
	dl_client_end(&a, &sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing_after_changes),
	};
	return cmocka_run_group_tests(tests, setup, dl_teardown);
}
