/* The descriptor ferryd keeps for writing while an open with write access
 * exists (backend/local/local_wkeep.c): it is opened by the first WRITE, serves
 * the next ones, and is closed at CLOSE, at OPEN_DOWNGRADE to read and
 * when the client's lease runs out.  What a WRITE answers does not change
 * with it: each WRITE is still checked as an open for writing would be (a
 * chmod on the host is seen by the next WRITE; the owner still writes its
 * 0000 file), a file renamed on the host still takes the writes of the
 * open and one unlinked there is stale.  Descriptors are counted in /proc/PID/fd: those
 * open write-only on the file. */
#include "deleg_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

enum { OWNER = 1000, OTHER = 1001 };

static void host_path(const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%.256s/export/%.64s", dl_dir, name);
	assert_true(n > 0 && (size_t)n < len);
}

/* A file on the host, owned by OWNER, of mode. */
static void host_file(const char *name, mode_t mode)
{
	char p[400];
	host_path(name, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(p, OWNER, OWNER), 0);
	assert_int_equal(chmod(p, mode), 0);
}

/* ferryd's descriptors open write-only on the file that was at path when
 * it was opened (renamed or unlinked since: prefix names it). */
static unsigned write_fds(const char *prefix)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)server.pid);
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char link[320], target[PATH_MAX], info[320], line[128];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%s", (int)server.pid, e->d_name);
		FILE *f = fopen(info, "r");
		if (!f)
			continue;
		unsigned long flags = 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "flags: %lo", &flags) == 1)
				break;
		fclose(f);
		if ((flags & O_ACCMODE) == O_WRONLY)
			n++;
	}
	closedir(d);
	return n;
}

static unsigned write_fds_of(const char *name)
{
	char p[400];
	host_path(name, p, sizeof(p));
	return write_fds(p);
}

static struct dl_open open_write(struct nfs4c_sess *s, const char *name)
{
	struct dl_open o = dl_open(s, name, OPEN4_SHARE_ACCESS_WRITE | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
				   false);
	assert_int_equal(o.status, NFS4_OK);
	assert_true(o.deleg.type == OPEN_DELEGATE_NONE || o.deleg.type == OPEN_DELEGATE_NONE_EXT);
	return o;
}

/* WRITE (FILE_SYNC) of 4 bytes of value byte at off through o; its status. */
static uint32_t write_at(struct nfs4c_sess *s, const struct dl_open *o, uint64_t off, uint8_t byte)
{
	uint8_t buf[4];
	memset(buf, byte, sizeof(buf));
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putfh(&m, o->fh, o->fhlen);
	struct nfs4_write_args w = {o->stateid, off, FILE_SYNC4, {buf, sizeof(buf)}};
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_WRITE);
	if (st == NFS4_OK) {
		struct nfs4_write_res r;
		assert_true(nfs4_dec_write_res(&p.d, &r));
		assert_int_equal(r.count, sizeof(buf));
	}
	nfs4c_done(&p);
	return st;
}

static void add_close(struct nfs4c_call *m, const void *arg)
{
	nfs4c_close_op(m, 0, arg);
}

static uint32_t close_open(struct nfs4c_sess *s, const struct dl_open *o)
{
	return dl_on(s, o->fh, o->fhlen, OP_CLOSE, add_close, &o->stateid);
}

static void add_downgrade_to_read(struct nfs4c_call *m, const void *arg)
{
	struct nfs4_open_downgrade_args a = {.stateid = *(const struct nfs4_stateid *)arg,
					     .share_access = OPEN4_SHARE_ACCESS_READ,
					     .share_deny = OPEN4_SHARE_DENY_NONE};
	NFS4C_OP(m, OP_OPEN_DOWNGRADE, nfs4_enc_open_downgrade_args, &a);
}

/* The bytes of the host file path at off. */
static void host_bytes(const char *path, off_t off, uint8_t *out, size_t len)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, len, off), (ssize_t)len);
	close(fd);
}

/* The first WRITE opens one descriptor, the next ones use it, CLOSE
 * closes it; a second open of the file by another client shares it. */
static void test_kept_from_first_write_to_close(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "wk-close-a", OWNER);
	dl_client(&b, &sb, "wk-close-b", OWNER);
	host_file("kept", 0644);
	struct dl_open oa = open_write(&a, "kept");
	assert_int_equal(write_fds_of("kept"), 0);
	assert_int_equal(write_at(&a, &oa, 0, 'a'), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 1);
	for (unsigned i = 1; i < 20; i++)
		assert_int_equal(write_at(&a, &oa, 4 * i, 'a'), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 1);
	struct dl_open ob = open_write(&b, "kept");
	assert_int_equal(write_at(&b, &ob, 80, 'b'), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 1);
	/* Kept while either open is. */
	assert_int_equal(close_open(&a, &oa), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 1);
	assert_int_equal(close_open(&b, &ob), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 0);
	char p[400];
	host_path("kept", p, sizeof(p));
	uint8_t got[84], want[84];
	memset(want, 'a', 80);
	memset(want + 80, 'b', 4);
	host_bytes(p, 0, got, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
	/* An anonymous WRITE (no open) keeps nothing. */
	struct dl_open anon = oa;
	memset(&anon.stateid, 0, sizeof(anon.stateid));
	assert_int_equal(write_at(&a, &anon, 0, 'z'), NFS4_OK);
	assert_int_equal(write_fds_of("kept"), 0);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

/* OPEN_DOWNGRADE to read ends the open's write access: the descriptor
 * goes with it. */
static void test_closed_at_downgrade(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "wk-down", OWNER);
	host_file("down", 0644);
	/* READ first, then WRITE through the same owner: one open with both,
	 * which may go back to READ. */
	struct dl_open r =
		dl_open(&a, "down", OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_NO_DELEG, false);
	assert_int_equal(r.status, NFS4_OK);
	struct dl_open o = open_write(&a, "down");
	assert_int_equal(write_at(&a, &o, 0, 'd'), NFS4_OK);
	assert_int_equal(write_fds_of("down"), 1);
	assert_int_equal(dl_on(&a, o.fh, o.fhlen, OP_OPEN_DOWNGRADE, add_downgrade_to_read,
			       &o.stateid),
			 NFS4_OK);
	assert_int_equal(write_fds_of("down"), 0);
	dl_client_end(&a, &sa);
}

/* A client that goes silent loses its opens with its lease, and the
 * descriptor with them, without any further request reaching ferryd. */
static void test_closed_at_lease_expiry(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "wk-expire", OWNER);
	host_file("expire", 0644);
	struct dl_open o = open_write(&a, "expire");
	assert_int_equal(write_at(&a, &o, 0, 'e'), NFS4_OK);
	assert_int_equal(write_fds_of("expire"), 1);
	/* The lease is 10 s; the state thread's pass comes soon after. */
	uint64_t end = dl_now_ms() + 30000;
	while (write_fds_of("expire") != 0 && dl_now_ms() < end)
		usleep(250 * 1000);
	assert_int_equal(write_fds_of("expire"), 0);
	dl_client_end(&a, &sa);
}

/* Each WRITE through the kept descriptor is checked as opening one would
 * be: a host chmod that takes the caller's write permission away refuses
 * the next WRITE (NFS4ERR_ACCESS), while the owner writes whatever the
 * mode (owner override), as before the descriptor was kept. */
/* Enough WRITEs for the back end to hold the file (its reads and writes
 * no longer reported to the attribute cache, whose other events then
 * vouch for the permission check and the link count: local_attrcache.c),
 * a pause for the cache to catch up with what is queued, and more WRITEs
 * so that the checks made while quiet are remembered. */
static void warm(struct nfs4c_sess *s, struct dl_open *o, uint64_t off, char c)
{
	for (unsigned i = 0; i < 24; i++)
		assert_int_equal(write_at(s, o, off, c), NFS4_OK);
	usleep(200 * 1000);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(write_at(s, o, off, c), NFS4_OK);
}

static void host_chmod_seen_by_next_write(bool held)
{
	struct nfs4c_sess own, oth;
	struct nfs4c_cb so, sn;
	const char *name = held ? "chmod-held" : "chmod";
	dl_client(&own, &so, held ? "wk-chmod-owner-held" : "wk-chmod-owner", OWNER);
	dl_client(&oth, &sn, held ? "wk-chmod-other-held" : "wk-chmod-other", OTHER);
	host_file(name, 0666);
	char p[400];
	host_path(name, p, sizeof(p));
	struct dl_open on = open_write(&oth, name);
	struct dl_open oo = open_write(&own, name);
	assert_int_equal(write_at(&oth, &on, 0, 'o'), NFS4_OK);
	assert_int_equal(write_at(&own, &oo, 4, 'w'), NFS4_OK);
	if (held) {
		warm(&oth, &on, 0, 'o');
		warm(&own, &oo, 4, 'w');
	}
	assert_int_equal(write_fds_of(name), 1);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(write_at(&oth, &on, 0, 'x'), NFS4ERR_ACCESS);
	assert_int_equal(write_at(&own, &oo, 4, 'y'), NFS4_OK);
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(write_at(&oth, &on, 0, 'x'), NFS4ERR_ACCESS);
	assert_int_equal(write_at(&own, &oo, 4, 'z'), NFS4_OK);
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(write_at(&oth, &on, 0, 'q'), NFS4_OK);
	if (held) {
		/* Quiet again, the other's permission remembered: a chmod
		 * must still be seen by its very next WRITE. */
		warm(&oth, &on, 0, 'q');
		assert_int_equal(chmod(p, 0644), 0);
		assert_int_equal(write_at(&oth, &on, 0, 'x'), NFS4ERR_ACCESS);
		assert_int_equal(chmod(p, 0666), 0);
	}
	uint8_t got[8];
	host_bytes(p, 0, got, sizeof(got));
	assert_memory_equal(got, "qqqqzzzz", 8);
	assert_int_equal(close_open(&oth, &on), NFS4_OK);
	assert_int_equal(close_open(&own, &oo), NFS4_OK);
	assert_int_equal(write_fds_of(name), 0);
	dl_client_end(&own, &so);
	dl_client_end(&oth, &sn);
}

static void test_host_chmod_seen_by_next_write(void **st)
{
	(void)st;
	host_chmod_seen_by_next_write(false);
}

static void test_host_chmod_seen_by_next_write_held(void **st)
{
	(void)st;
	host_chmod_seen_by_next_write(true);
}

/* A file renamed on the host takes the open's writes under its new name;
 * one unlinked on the host is stale, and the descriptor goes at CLOSE. */
static void host_rename_and_unlink(bool held)
{
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, held ? "wk-rename-held" : "wk-rename", OWNER);
	const char *before = held ? "before-held" : "before", *after = held ? "after-held" : "after";
	host_file(before, 0644);
	char from[400], to[400];
	host_path(before, from, sizeof(from));
	host_path(after, to, sizeof(to));
	struct dl_open o = open_write(&a, before);
	assert_int_equal(write_at(&a, &o, 0, '1'), NFS4_OK);
	if (held)
		warm(&a, &o, 0, '1');
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(write_at(&a, &o, 4, '2'), NFS4_OK);
	uint8_t got[8];
	host_bytes(to, 0, got, sizeof(got));
	assert_memory_equal(got, "11112222", 8);
	assert_int_equal(write_fds(to), 1);
	if (held)
		warm(&a, &o, 4, '2');
	/* Unlinked on the host, the file is gone for ferryd as before: its
	 * handle is stale (the back end's getattr of an inode with no link
	 * left, before any write), the kept descriptor notwithstanding; it is
	 * still closed at CLOSE. */
	assert_int_equal(unlink(to), 0);
	assert_int_equal(write_at(&a, &o, 8, '3'), NFS4ERR_STALE);
	assert_int_equal(write_fds(to), 1); /* "... (deleted)" */
	assert_int_equal(close_open(&a, &o), NFS4_OK);
	assert_int_equal(write_fds(to), 0);
	dl_client_end(&a, &sa);
}

static void test_host_rename_and_unlink(void **st)
{
	(void)st;
	host_rename_and_unlink(false);
}

static void test_host_rename_and_unlink_held(void **st)
{
	(void)st;
	host_rename_and_unlink(true);
}

/* A kept descriptor would refuse any lease: it is closed before the
 * server takes one.  b's read delegation comes as soon as a has closed,
 * and a write delegation while another open of the same client keeps a
 * descriptor. */
/* SEQUENCE PUTROOTFH LOOKUP export [SAVEFH] OPEN(create name, write)
 * [RESTOREFH] WRITE "once", CLOSE: the status of the WRITE. */
static uint32_t open_write_close(struct nfs4c_sess *s, const char *name, bool back_to_dir)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_WRITE | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = s->clientid;
	a.owner.owner = nfs4_opaque_str("wk-one-compound");
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	/* v4.1's current stateid (RFC 8881 16.2.3.1.2); back on the
	 * directory there is none (RESTOREFH brings back SAVEFH's), so the
	 * WRITE goes anonymous. */
	const struct nfs4_stateid current = {.seqid = 1}, anonymous = {0};
	struct nfs4_write_args w = {back_to_dir ? anonymous : current, 0, FILE_SYNC4,
				    {(const uint8_t *)"once", 4}};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(s, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	if (back_to_dir)
		nfs4c_op(&m, OP_SAVEFH);
	nfs4c_open_op(&m, &a);
	if (back_to_dir)
		nfs4c_op(&m, OP_RESTOREFH);
	NFS4C_OP(&m, OP_WRITE, nfs4_enc_write_args, &w);
	nfs4c_close_op(&m, 0, &current);
	nfs4c_send(s->fd, s->cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_LOOKUP), NFS4_OK);
	if (back_to_dir)
		assert_int_equal(nfs4c_next(&p, OP_SAVEFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_OPEN), NFS4_OK);
	struct nfs4_open_res o;
	assert_true(nfs4_dec_open_res(&p.d, &o));
	if (back_to_dir)
		assert_int_equal(nfs4c_next(&p, OP_RESTOREFH), NFS4_OK);
	uint32_t st = nfs4c_next(&p, OP_WRITE);
	if (st == NFS4_OK) {
		struct nfs4_write_res r;
		assert_true(nfs4_dec_write_res(&p.d, &r));
		assert_int_equal(r.count, 4);
		assert_int_equal(nfs4c_next(&p, OP_CLOSE), NFS4_OK);
	}
	nfs4c_done(&p);
	return st;
}

/* A WRITE in the COMPOUND of the OPEN that created the file, closed in it
 * too (how ferry-bench's create runs; the WRITE takes the file's type
 * from the OPEN): the write lands and nothing is kept.  A WRITE back on
 * the directory after such an OPEN is refused as ever. */
static void test_open_write_close_in_one_compound(void **st)
{
	(void)st;
	struct nfs4c_sess a;
	struct nfs4c_cb sa;
	dl_client(&a, &sa, "wk-one-compound", OWNER);
	assert_int_equal(open_write_close(&a, "onego", false), NFS4_OK);
	assert_int_equal(write_fds_of("onego"), 0);
	char p[400];
	uint8_t got[4];
	host_path("onego", p, sizeof(p));
	host_bytes(p, 0, got, sizeof(got));
	assert_memory_equal(got, "once", 4);
	assert_int_equal(open_write_close(&a, "twogo", true), NFS4ERR_ISDIR);
	dl_client_end(&a, &sa);
}

static void test_leases_after_writes(void **st)
{
	(void)st;
	struct nfs4c_sess a, b;
	struct nfs4c_cb sa, sb;
	dl_client(&a, &sa, "wk-lease-a", OWNER);
	dl_client(&b, &sb, "wk-lease-b", OWNER);
	host_file("leased", 0644);
	struct dl_open o = open_write(&a, "leased");
	assert_int_equal(write_at(&a, &o, 0, 'l'), NFS4_OK);
	assert_int_equal(write_fds_of("leased"), 1);
	assert_int_equal(close_open(&a, &o), NFS4_OK);
	struct dl_open r = dl_open(&b, "leased", OPEN4_SHARE_ACCESS_READ, false);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(r.deleg.type, OPEN_DELEGATE_READ);
	assert_int_equal(dl_delegreturn(&b, &r), NFS4_OK);
	assert_int_equal(close_open(&b, &r), NFS4_OK);

	/* a writes through an open that wants no delegation (the descriptor
	 * is kept), then asks for a write delegation through a second owner
	 * of its own: the kept descriptor gives way to the lease. */
	o = open_write(&a, "leased");
	assert_int_equal(write_at(&a, &o, 0, 'm'), NFS4_OK);
	assert_int_equal(write_fds_of("leased"), 1);
	struct nfs4_open_args args;
	memset(&args, 0, sizeof(args));
	args.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG;
	args.share_deny = OPEN4_SHARE_DENY_NONE;
	args.owner.clientid = a.clientid;
	args.owner.owner = nfs4_opaque_str("wk-second-owner");
	args.opentype = OPEN4_NOCREATE;
	args.claim.type = CLAIM_FH;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&a, &m, 0, false);
	nfs4c_putfh(&m, o.fh, o.fhlen);
	nfs4c_open_op(&m, &args);
	nfs4c_send(a.fd, a.cred, &m, &p);
	assert_int_equal(nfs4c_seq_result(&p, NULL), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_PUTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&p, OP_OPEN), NFS4_OK);
	struct nfs4_open_res res;
	assert_true(nfs4_dec_open_res(&p.d, &res));
	nfs4c_done(&p);
	assert_int_equal(res.delegation.type, OPEN_DELEGATE_WRITE);
	/* Writes go through the lease's descriptor now (read-write). */
	assert_int_equal(write_at(&a, &o, 4, 'n'), NFS4_OK);
	assert_int_equal(write_fds_of("leased"), 0);
	struct dl_open d = o;
	d.deleg = res.delegation;
	assert_int_equal(dl_delegreturn(&a, &d), NFS4_OK);
	struct dl_open second = o;
	second.stateid = res.stateid;
	assert_int_equal(close_open(&a, &second), NFS4_OK);
	assert_int_equal(close_open(&a, &o), NFS4_OK);
	assert_int_equal(write_fds_of("leased"), 0);
	char path[400];
	host_path("leased", path, sizeof(path));
	uint8_t got[8];
	host_bytes(path, 0, got, sizeof(got));
	assert_memory_equal(got, "mmmmnnnn", 8);
	dl_client_end(&a, &sa);
	dl_client_end(&b, &sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_from_first_write_to_close),
		cmocka_unit_test(test_closed_at_downgrade),
		cmocka_unit_test(test_host_chmod_seen_by_next_write),
		cmocka_unit_test(test_host_rename_and_unlink),
		cmocka_unit_test(test_host_chmod_seen_by_next_write_held),
		cmocka_unit_test(test_host_rename_and_unlink_held),
		cmocka_unit_test(test_leases_after_writes),
		cmocka_unit_test(test_open_write_close_in_one_compound),
		cmocka_unit_test(test_closed_at_lease_expiry),
	};
	return cmocka_run_group_tests(tests, dl_setup, dl_teardown);
}
