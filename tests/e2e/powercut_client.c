/* The NFSv4.1 client of the power-cut test (tests/e2e/powercut.sh).
 *
 *   powercut_client run --server HOST:PORT --log FILE --dir NAME
 *       [--seconds 60] [--sync-interval-ms 2000]
 *   powercut_client verify --server HOST:PORT --log FILE
 *
 * run: in a new directory NAME of the export "/export", a loop of namespace
 * changes as fast as ferryd answers them: every file is made by OPEN with
 * create and closed; every 16th step makes a subdirectory (and every other
 * file goes into the newest one); every third step renames the file made
 * the step before (out of the subdirectory into NAME, or within NAME);
 * every fifth step removes the file made three steps before.  About every
 * --sync-interval-ms the new file also gets data that ferryd promised to
 * keep: alternately one WRITE with FILE_SYNC4 (counted only when the reply
 * says FILE_SYNC4), or two UNSTABLE4 WRITEs followed by a COMMIT (counted
 * only when the verifiers of the WRITEs and the COMMIT agree).  Those data
 * writes are kept rare on purpose: each one makes ferryd fsync, which on
 * ext4 commits the journal and with it every earlier namespace change.
 *
 * Before each operation goes out, an intent line is appended to the log,
 * and after ferryd acknowledged it an ack line; the log is flushed after
 * every line, so whatever happens to the server, the log names every
 * acknowledged operation, and at most one operation (the last intent
 * without an ack) is in flight:
 *   I <n> mkdir <path>               A <n>
 *   I <n> create <path>              A <n>
 *   I <n> rename <from> <to>         A <n>
 *   I <n> remove <path>              A <n>
 *   I <n> write <path> <off> <len> <seed>            (FILE_SYNC4)
 *   I <n> commit <path> <off> <len> <seed> ...       (the UNSTABLE4 ranges it covers)
 * Paths are relative to the export; names are never used twice.
 *
 * The loop ends when the connection breaks (the power cut: exit 0, with
 * at least one acknowledged operation), on any status other than NFS4_OK
 * (NFS4ERR_DELAY and NFS4ERR_GRACE are retried) or after --seconds (exit
 * 1: the cut never came).
 *
 * verify: replays a run's log and checks ferryd's export against every
 * acknowledged operation: made files and directories exist with their
 * type unless a later acknowledged REMOVE took them away, a renamed file
 * is under its new name and not its old one, a removed file is under none
 * of its names, and the data of an acknowledged FILE_SYNC4 WRITE or COMMIT
 * reads back identical.  The object of the operation in flight (if any)
 * is not checked at all: either outcome is right for it.  Each
 * acknowledged operation whose effect is missing is printed on a "LOST"
 * line and counted once; a lost directory makes the operations on the
 * files in it lost too.  The last line is
 *   POWERCUT VERIFY acked=<n> lost=<m>
 * and the exit status 0 when m is 0, 1 when it is not.
 *
 * Exit status 3 in both modes: the client could not do its work (no
 * session, a malformed log, an assertion of the test client library).
 * The test client's helpers assert with cmocka, so the work runs as one
 * cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/nfs4_client.h"
#include "xdr/nfs4_fattr.h"

/* A status of our own: the connection broke (or no reply came). */
#define PC_LOST 0xffffffffu

enum { MAX_DATA = 16384, MAX_DIRS = 4096, MAX_NAMES = 4, MAX_CLAIMS = 2 };

static struct {
	const char *mode, *server, *log, *dir;
	unsigned seconds, sync_interval_ms;
} opt = {.seconds = 60, .sync_interval_ms = 2000};

static int exit_code = 3;

/* realloc that gives up (an assertion) when memory runs out. */
static void *grow(void *p, size_t size)
{
	void *q = realloc(p, size);
	assert_non_null(q);
	return q;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Byte pos of the data written with seed. */
static uint8_t pattern(uint32_t seed, uint64_t pos)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (pos + 1) * 0xc2b2ae3d27d4eb4full;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)x;
}

static void fill(uint8_t *buf, uint32_t seed, uint64_t off, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = pattern(seed, off + i);
}

struct fh {
	uint8_t data[NFS4_FHSIZE];
	uint32_t len;
};

static struct nfs4c_sess sess;
static bool broken; /* the connection broke */

/* Sends m and reads SEQUENCE's result: NFS4_OK with *p to release, or the
 * failing status (PC_LOST when the transport failed; p is then released). */
static uint32_t send_seq(struct nfs4c_call *m, struct nfs4c_reply *p)
{
	if (nfs4c_call(sess.fd, sess.cred, m, p) != 0) {
		broken = true;
		return PC_LOST;
	}
	uint32_t s = nfs4c_seq_result(p, NULL);
	if (s != NFS4_OK)
		nfs4c_done(p);
	return s;
}

static void take_fh(struct nfs4c_reply *p, struct fh *out)
{
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&p->d, &g));
	assert_true(g.fh.len <= sizeof(out->data));
	memcpy(out->data, g.fh.data, g.fh.len);
	out->len = g.fh.len;
}

/* PUTROOTFH, LOOKUP "export", LOOKUP each component of path ("" for the
 * export itself), GETFH. */
static uint32_t lookup_path(const char *path, struct fh *out)
{
	char buf[512], *save = NULL;
	const char *comp[32];
	unsigned n = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = strtok_r(buf, "/", &save); c && n < 32; c = strtok_r(NULL, "/", &save))
		comp[n++] = c;
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putrootfh(&m);
	nfs4c_lookup(&m, "export");
	for (unsigned i = 0; i < n; i++)
		nfs4c_lookup(&m, comp[i]);
	nfs4c_getfh(&m);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTROOTFH);
	for (unsigned i = 0; i <= n && s == NFS4_OK; i++)
		s = nfs4c_next(&p, OP_LOOKUP);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_GETFH)) == NFS4_OK)
		take_fh(&p, out);
	nfs4c_done(&p);
	return s;
}

/* ------------------------------------------------------------------ run */

static FILE *log_file;
static unsigned op_seq, acked;
static unsigned n_mkdir, n_create, n_rename, n_remove, n_write, n_commit;

static void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	if (fflush(log_file) != 0) {
		perror("powercut_client: writing the log");
		exit(3);
	}
}

static void log_ack(unsigned *counter)
{
	log_line("A %u", op_seq);
	acked++;
	(*counter)++;
}

/* Runs op until it is neither NFS4ERR_DELAY nor NFS4ERR_GRACE (for at most
 * 30 s). */
#define RETRYING(st, call)                                                               \
	do {                                                                             \
		double t0_ = now_s();                                                    \
		while (((st) = (call)) == NFS4ERR_DELAY || (st) == NFS4ERR_GRACE) {      \
			if (now_s() - t0_ > 30)                                          \
				break;                                                   \
			usleep(50 * 1000);                                               \
		}                                                                        \
	} while (0)

static uint32_t do_mkdir(const struct fh *dir, const char *name, struct fh *out)
{
	struct nfs4_create_args a;
	memset(&a, 0, sizeof(a));
	a.type = NF4DIR;
	a.name = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, dir->data, dir->len);
	NFS4C_OP(&m, OP_CREATE, nfs4_enc_create_args, &a);
	nfs4c_getfh(&m);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_CREATE)) == NFS4_OK) {
		struct nfs4_create_res r;
		assert_true(nfs4_dec_create_res(&p.d, &r));
		if ((s = nfs4c_next(&p, OP_GETFH)) == NFS4_OK)
			take_fh(&p, out);
	}
	nfs4c_done(&p);
	return s;
}

static uint32_t do_open_create(const struct fh *dir, const char *name, struct nfs4_stateid *sid,
			       struct fh *out)
{
	struct nfs4_open_args a;
	memset(&a, 0, sizeof(a));
	a.share_access = OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG;
	a.share_deny = OPEN4_SHARE_DENY_NONE;
	a.owner.clientid = sess.clientid;
	a.owner.owner = nfs4_opaque_str("ferry-powercut");
	a.opentype = OPEN4_CREATE;
	a.how.mode = UNCHECKED4;
	a.claim.type = CLAIM_NULL;
	a.claim.file = nfs4_opaque_str(name);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, dir->data, dir->len);
	nfs4c_open_op(&m, &a);
	nfs4c_getfh(&m);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_OPEN)) == NFS4_OK) {
		struct nfs4_open_res r;
		assert_true(nfs4_dec_open_res(&p.d, &r));
		*sid = r.stateid;
		if ((s = nfs4c_next(&p, OP_GETFH)) == NFS4_OK)
			take_fh(&p, out);
	}
	nfs4c_done(&p);
	return s;
}

static uint32_t do_close(const struct fh *f, const struct nfs4_stateid *sid)
{
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, f->data, f->len);
	nfs4c_close_op(&m, 0, sid);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_CLOSE);
	nfs4c_done(&p);
	return s;
}

static uint32_t do_write(const struct fh *f, const struct nfs4_stateid *sid, uint64_t off,
			 const uint8_t *data, uint32_t len, uint32_t stable,
			 struct nfs4_write_res *res)
{
	struct nfs4_write_args a = {.stateid = *sid, .offset = off, .stable = stable,
				    .data = {data, len}};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, f->data, f->len);
	assert_true(nfs4_enc_write_args(nfs4c_op(&m, OP_WRITE), &a));
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_WRITE)) == NFS4_OK)
		assert_true(nfs4_dec_write_res(&p.d, res));
	nfs4c_done(&p);
	if (s == NFS4_OK && res->count != len) {
		printf("POWERCUT WRITE wrote %u of %u bytes\n", res->count, len);
		return NFS4ERR_IO;
	}
	return s;
}

static uint32_t do_commit(const struct fh *f, struct nfs4_verifier *verf)
{
	struct nfs4_commit_args a = {.offset = 0, .count = 0};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, f->data, f->len);
	NFS4C_OP(&m, OP_COMMIT, nfs4_enc_commit_args, &a);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK && (s = nfs4c_next(&p, OP_COMMIT)) == NFS4_OK) {
		struct nfs4_commit_res r;
		assert_true(nfs4_dec_commit_res(&p.d, &r));
		*verf = r.writeverf;
	}
	nfs4c_done(&p);
	return s;
}

static uint32_t do_rename(const struct fh *from_dir, const char *from, const struct fh *to_dir,
			  const char *to)
{
	struct nfs4_rename_args a = {.oldname = nfs4_opaque_str(from),
				     .newname = nfs4_opaque_str(to)};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, from_dir->data, from_dir->len);
	nfs4c_op(&m, OP_SAVEFH);
	nfs4c_putfh(&m, to_dir->data, to_dir->len);
	NFS4C_OP(&m, OP_RENAME, nfs4_enc_rename_args, &a);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_SAVEFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_RENAME);
	nfs4c_done(&p);
	return s;
}

static uint32_t do_remove(const struct fh *dir, const char *name)
{
	struct nfs4_remove_args a = {.name = nfs4_opaque_str(name)};
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_putfh(&m, dir->data, dir->len);
	NFS4C_OP(&m, OP_REMOVE, nfs4_enc_remove_args, &a);
	uint32_t s = send_seq(&m, &p);
	if (s != NFS4_OK)
		return s;
	s = nfs4c_next(&p, OP_PUTFH);
	if (s == NFS4_OK)
		s = nfs4c_next(&p, OP_REMOVE);
	nfs4c_done(&p);
	return s;
}

/* The run's directories: [0] is --dir, then its subdirectories. */
static struct fh dirs[MAX_DIRS];
static char dir_path[MAX_DIRS][64];
static unsigned ndirs;

/* Where each step's file is now: its directory and name (removed: dir -1). */
struct run_file {
	int dir;
	char name[24];
};

static char *file_path(const struct run_file *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir_path[f->dir], f->name);
	return buf;
}

/* Ends the run: the connection broke (the power cut) or ferryd answered
 * st to what. */
static void run_end(uint32_t st, const char *what, double t0)
{
	printf("POWERCUT RUN acked=%u (mkdir %u, create %u, rename %u, remove %u, "
	       "FILE_SYNC write %u, commit %u) in %.2f s: %s%s%s\n",
	       acked, n_mkdir, n_create, n_rename, n_remove, n_write, n_commit, now_s() - t0,
	       st == PC_LOST ? "the connection broke" : nfs4_status_name(st),
	       st == PC_LOST ? "" : " answered to ", st == PC_LOST ? "" : what);
	exit_code = st == PC_LOST && acked > 0 ? 0 : 1;
}

#define END_RUN(st, what)                                                                \
	do {                                                                             \
		run_end((st), (what), t0);                                               \
		return;                                                                  \
	} while (0)

static void run(void)
{
	char path[160], path2[160];
	static uint8_t data[MAX_DATA];
	struct fh root;
	uint32_t st;
	size_t cap = 1024;
	struct run_file *files = calloc(cap, sizeof(*files));
	assert_non_null(files);

	log_file = fopen(opt.log, "w");
	if (!log_file) {
		perror(opt.log);
		return;
	}
	log_line("# powercut_client run --dir %s", opt.dir);
	RETRYING(st, lookup_path("", &root));
	if (st != NFS4_OK) {
		printf("POWERCUT RUN cannot look up the export: %s\n",
		       st == PC_LOST ? "connection broke" : nfs4_status_name(st));
		return;
	}
	double t0 = now_s(), last_sync = 0;
	snprintf(dir_path[0], sizeof(dir_path[0]), "%s", opt.dir);
	op_seq++;
	log_line("I %u mkdir %s", op_seq, dir_path[0]);
	RETRYING(st, do_mkdir(&root, opt.dir, &dirs[0]));
	if (st != NFS4_OK)
		END_RUN(st, "CREATE of the run's directory");
	log_ack(&n_mkdir);
	ndirs = 1;
	unsigned syncs = 0;
	for (unsigned i = 0;; i++) {
		if (now_s() - t0 > opt.seconds) {
			printf("POWERCUT RUN no power cut within %u s\n", opt.seconds);
			exit_code = 1;
			return;
		}
		if (i >= cap) {
			cap *= 2;
			files = grow(files, cap * sizeof(*files));
		}
		if (i % 16 == 15 && ndirs < MAX_DIRS) {
			snprintf(dir_path[ndirs], sizeof(dir_path[0]), "%s/d%05u", opt.dir, i);
			op_seq++;
			log_line("I %u mkdir %s", op_seq, dir_path[ndirs]);
			RETRYING(st, do_mkdir(&dirs[0], dir_path[ndirs] + strlen(opt.dir) + 1,
					      &dirs[ndirs]));
			if (st != NFS4_OK)
				END_RUN(st, "CREATE (directory)");
			log_ack(&n_mkdir);
			ndirs++;
		}

		/* The step's file, in the newest subdirectory every other step. */
		struct run_file *f = &files[i];
		f->dir = i % 2 && ndirs > 1 ? (int)ndirs - 1 : 0;
		snprintf(f->name, sizeof(f->name), "f%06u", i);
		struct nfs4_stateid sid;
		struct fh fh;
		op_seq++;
		log_line("I %u create %s", op_seq, file_path(f, path, sizeof(path)));
		RETRYING(st, do_open_create(&dirs[f->dir], f->name, &sid, &fh));
		if (st != NFS4_OK)
			END_RUN(st, "OPEN (create)");
		log_ack(&n_create);

		if (i == 0 || (now_s() - last_sync) * 1000 >= opt.sync_interval_ms) {
			struct nfs4_write_res w1, w2;
			uint32_t len1 = 1000 + (i * 7919u) % 9000, len2 = 500 + (i * 104729u) % 6000;
			last_sync = now_s();
			if (syncs++ % 2 == 0) {
				fill(data, i, 0, len1);
				op_seq++;
				log_line("I %u write %s 0 %u %u", op_seq, path, len1, i);
				RETRYING(st, do_write(&fh, &sid, 0, data, len1, FILE_SYNC4, &w1));
				if (st != NFS4_OK)
					END_RUN(st, "WRITE (FILE_SYNC4)");
				if (w1.committed == FILE_SYNC4)
					log_ack(&n_write);
				else
					log_line("# %u: answered committed=%u, not counted", op_seq,
						 w1.committed);
			} else {
				/* Two UNSTABLE4 writes, then COMMIT: the ranges go in
				 * the COMMIT's intent (the WRITEs themselves promise
				 * nothing). */
				fill(data, i, 0, len1);
				RETRYING(st, do_write(&fh, &sid, 0, data, len1, UNSTABLE4, &w1));
				if (st != NFS4_OK)
					END_RUN(st, "WRITE (UNSTABLE4)");
				fill(data, i + 1000000, len1, len2);
				RETRYING(st, do_write(&fh, &sid, len1, data, len2, UNSTABLE4, &w2));
				if (st != NFS4_OK)
					END_RUN(st, "WRITE (UNSTABLE4)");
				struct nfs4_verifier cv;
				op_seq++;
				log_line("I %u commit %s 0 %u %u %u %u %u", op_seq, path, len1, i, len1,
					 len2, i + 1000000);
				RETRYING(st, do_commit(&fh, &cv));
				if (st != NFS4_OK)
					END_RUN(st, "COMMIT");
				if (memcmp(&cv, &w1.writeverf, sizeof(cv)) == 0 &&
				    memcmp(&cv, &w2.writeverf, sizeof(cv)) == 0)
					log_ack(&n_commit);
				else
					log_line("# %u: write verifier changed, not counted", op_seq);
			}
		}
		RETRYING(st, do_close(&fh, &sid));
		if (st != NFS4_OK)
			END_RUN(st, "CLOSE");

		/* Rename the previous step's file: out of a subdirectory into the
		 * run's directory, or within it. */
		if (i % 3 == 2 && files[i - 1].dir >= 0) {
			struct run_file *g = &files[i - 1];
			struct run_file to = {.dir = 0};
			snprintf(to.name, sizeof(to.name), "r%06u", i - 1);
			op_seq++;
			log_line("I %u rename %s %s", op_seq, file_path(g, path, sizeof(path)),
				 file_path(&to, path2, sizeof(path2)));
			RETRYING(st, do_rename(&dirs[g->dir], g->name, &dirs[0], to.name));
			if (st != NFS4_OK)
				END_RUN(st, "RENAME");
			log_ack(&n_rename);
			*g = to;
		}
		/* Remove the file of three steps before, wherever it is now. */
		if (i % 5 == 4 && files[i - 3].dir >= 0) {
			struct run_file *g = &files[i - 3];
			op_seq++;
			log_line("I %u remove %s", op_seq, file_path(g, path, sizeof(path)));
			RETRYING(st, do_remove(&dirs[g->dir], g->name));
			if (st != NFS4_OK)
				END_RUN(st, "REMOVE");
			log_ack(&n_remove);
			g->dir = -1;
		}
	}
}

/* --------------------------------------------------------------- verify */

enum op_kind { OP_K_MKDIR, OP_K_CREATE, OP_K_RENAME, OP_K_REMOVE, OP_K_WRITE, OP_K_COMMIT };

struct claim {
	uint64_t off;
	uint32_t len, seed;
};

struct vop {
	unsigned n;
	enum op_kind kind;
	char *line; /* the intent, for messages */
	char *a, *b; /* path(s) */
	struct claim claims[MAX_CLAIMS];
	unsigned nclaims;
	bool acked, lost;
};

struct vobj {
	bool dir, removed, uncertain;
	char *names[MAX_NAMES];
	int name_op[MAX_NAMES]; /* the op that gave names[i]: mkdir/create, then renames */
	unsigned nnames;
	int remove_op;
	int data_op[8];
	unsigned ndata;
};

static struct vop *ops;
static unsigned nops;
static struct vobj *objs;
static unsigned nobjs;
static unsigned lost;

static bool parse_log(void)
{
	FILE *f = fopen(opt.log, "r");
	if (!f) {
		perror(opt.log);
		return false;
	}
	char line[1024];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'I') {
			if (nops == cap) {
				cap = cap ? cap * 2 : 1024;
				ops = grow(ops, cap * sizeof(*ops));
			}
			struct vop *o = &ops[nops];
			memset(o, 0, sizeof(*o));
			char kind[16], a[256] = "", b[256] = "";
			int used = 0;
			if (sscanf(line, "I %u %15s %255s %n", &o->n, kind, a, &used) < 3)
				goto bad;
			o->line = strdup(line + 2);
			o->a = strdup(a);
			const char *rest = line + used;
			if (strcmp(kind, "mkdir") == 0) {
				o->kind = OP_K_MKDIR;
			} else if (strcmp(kind, "create") == 0) {
				o->kind = OP_K_CREATE;
			} else if (strcmp(kind, "remove") == 0) {
				o->kind = OP_K_REMOVE;
			} else if (strcmp(kind, "rename") == 0) {
				o->kind = OP_K_RENAME;
				if (sscanf(rest, "%255s", b) != 1)
					goto bad;
				o->b = strdup(b);
			} else if (strcmp(kind, "write") == 0 || strcmp(kind, "commit") == 0) {
				o->kind = kind[0] == 'w' ? OP_K_WRITE : OP_K_COMMIT;
				unsigned long long off;
				unsigned len, seed;
				int k;
				while (o->nclaims < MAX_CLAIMS &&
				       sscanf(rest, "%llu %u %u%n", &off, &len, &seed, &k) == 3) {
					o->claims[o->nclaims++] = (struct claim){off, len, seed};
					rest += k;
				}
				if (o->nclaims == 0)
					goto bad;
			} else {
				goto bad;
			}
			nops++;
		} else if (line[0] == 'A') {
			unsigned n;
			if (sscanf(line, "A %u", &n) != 1 || nops == 0 || ops[nops - 1].n != n)
				goto bad;
			ops[nops - 1].acked = true;
		} else if (line[0] != '#' && line[0] != '\0') {
			goto bad;
		}
	}
	fclose(f);
	return true;
bad:
	printf("POWERCUT VERIFY malformed log line: %s\n", line);
	fclose(f);
	return false;
}

/* The object now named path (not removed). */
static struct vobj *obj_at(const char *path)
{
	for (unsigned i = nobjs; i-- > 0;) {
		struct vobj *o = &objs[i];
		if (!o->removed && strcmp(o->names[o->nnames - 1], path) == 0)
			return o;
	}
	return NULL;
}

/* Builds the objects from the log.  Only acknowledged ops (and the one in
 * flight) are in it; an op after one that was neither is a malformed log. */
static bool replay(void)
{
	objs = calloc(nops + 1, sizeof(*objs));
	assert_non_null(objs);
	for (unsigned i = 0; i < nops; i++) {
		struct vop *op = &ops[i];
		if (!op->acked && i + 1 < nops) {
			/* A "# ... not counted" op (the WRITE or COMMIT promised
			 * nothing): it claims nothing, and its file stays as it was. */
			if (op->kind == OP_K_WRITE || op->kind == OP_K_COMMIT)
				continue;
			printf("POWERCUT VERIFY log: op %u was never acknowledged\n", op->n);
			return false;
		}
		struct vobj *o;
		if (op->kind == OP_K_MKDIR || op->kind == OP_K_CREATE) {
			o = &objs[nobjs++];
			o->dir = op->kind == OP_K_MKDIR;
			o->names[0] = op->a;
			o->name_op[0] = (int)i;
			o->nnames = 1;
			o->remove_op = -1;
		} else {
			o = obj_at(op->a);
			if (!o) {
				printf("POWERCUT VERIFY log: nothing is named %s at op %u\n", op->a,
				       op->n);
				return false;
			}
			if (op->kind == OP_K_RENAME) {
				if (o->nnames == MAX_NAMES) {
					printf("POWERCUT VERIFY log: %s renamed too often\n", op->a);
					return false;
				}
				o->names[o->nnames] = op->b;
				o->name_op[o->nnames++] = (int)i;
			} else if (op->kind == OP_K_REMOVE) {
				o->removed = true;
				o->remove_op = (int)i;
			} else if (o->ndata < 8) {
				o->data_op[o->ndata++] = (int)i;
			}
		}
		if (!op->acked)
			o->uncertain = true;
	}
	return true;
}

/* What the listings found: path and type, sorted by path. */
struct seen {
	char *path;
	uint32_t type;
};
static struct seen *seen;
static size_t nseen, seen_cap;
static const char *listing_dir;

static void seen_entry(void *arg, const struct nfs4_dirent *e)
{
	(void)arg;
	struct nfs4_attrs at;
	uint32_t bad;
	memset(&at, 0, sizeof(at));
	assert_true(nfs4_fattr_decode_values(&e->attrs.mask, e->attrs.vals, &at, &bad));
	assert_true(nfs4_bitmap_isset(&at.present, FATTR4_TYPE));
	if (nseen == seen_cap) {
		seen_cap = seen_cap ? seen_cap * 2 : 1024;
		seen = grow(seen, seen_cap * sizeof(*seen));
	}
	char *p = malloc(strlen(listing_dir) + e->name.len + 2);
	assert_non_null(p);
	sprintf(p, "%s%s%.*s", listing_dir, listing_dir[0] ? "/" : "", (int)e->name.len,
		(const char *)e->name.data);
	seen[nseen++] = (struct seen){p, at.type};
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists every directory that holds one of the objects' names. */
static bool list_dirs(void)
{
	char **parents = calloc(nobjs * MAX_NAMES + 1, sizeof(*parents));
	size_t np = 0;
	assert_non_null(parents);
	for (unsigned i = 0; i < nobjs; i++) {
		for (unsigned k = 0; k < objs[i].nnames; k++) {
			char *p = strdup(objs[i].names[k]);
			char *slash = strrchr(p, '/');
			if (slash)
				*slash = '\0';
			else
				p[0] = '\0';
			parents[np++] = p;
		}
	}
	qsort(parents, np, sizeof(*parents), str_cmp);
	struct nfs4_bitmap want;
	memset(&want, 0, sizeof(want));
	nfs4_bitmap_set(&want, FATTR4_TYPE);
	for (size_t i = 0; i < np; i++) {
		if (i > 0 && strcmp(parents[i], parents[i - 1]) == 0)
			continue;
		struct fh fh;
		uint32_t st;
		RETRYING(st, lookup_path(parents[i], &fh));
		if (st == NFS4ERR_NOENT || st == NFS4ERR_NOTDIR)
			continue; /* a lost directory: nothing is in it */
		if (st != NFS4_OK) {
			printf("POWERCUT VERIFY LOOKUP of %s: %s\n", parents[i],
			       st == PC_LOST ? "connection broke" : nfs4_status_name(st));
			return false;
		}
		listing_dir = parents[i];
		nfs4c_list_dir_attrs(&sess, fh.data, fh.len, 8192, 32768, &want, seen_entry, NULL,
				     NULL);
	}
	qsort(seen, nseen, sizeof(*seen), seen_cmp);
	return true;
}

static bool seen_as(const char *path, bool dir)
{
	struct seen key = {(char *)path, 0};
	struct seen *s = bsearch(&key, seen, nseen, sizeof(*seen), seen_cmp);
	return s && s->type == (dir ? NF4DIR : NF4REG);
}

static void mark_lost(int opi, const char *fmt, ...)
{
	struct vop *op = &ops[opi];
	if (op->lost)
		return;
	op->lost = true;
	lost++;
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("LOST op %u (%s): %s\n", op->n, op->line, why);
}

/* Reads [off, off + len) of path with the anonymous stateid: NFS4_OK with
 * *got bytes (short at end of file). */
static uint32_t read_range(const char *path, uint64_t off, uint32_t len, uint8_t *buf,
			   uint32_t *got)
{
	struct fh fh;
	uint32_t st;
	RETRYING(st, lookup_path(path, &fh));
	*got = 0;
	while (st == NFS4_OK && *got < len) {
		struct nfs4_read_args a = {.offset = off + *got, .count = len - *got};
		struct nfs4c_call m;
		struct nfs4c_reply p;
		nfs4c_begin_seq(&sess, &m, 0, false);
		nfs4c_putfh(&m, fh.data, fh.len);
		NFS4C_OP(&m, OP_READ, nfs4_enc_read_args, &a);
		st = send_seq(&m, &p);
		if (st != NFS4_OK)
			break;
		st = nfs4c_next(&p, OP_PUTFH);
		bool eof = false;
		if (st == NFS4_OK && (st = nfs4c_next(&p, OP_READ)) == NFS4_OK) {
			struct nfs4_read_res r;
			assert_true(nfs4_dec_read_res(&p.d, &r));
			uint32_t n = r.data.len < len - *got ? r.data.len : len - *got;
			memcpy(buf + *got, r.data.data, n);
			*got += n;
			eof = r.eof || n == 0;
		}
		nfs4c_done(&p);
		if (eof)
			break;
	}
	return st;
}

static bool check_data(const struct vobj *o, const char *path)
{
	static uint8_t want[MAX_DATA], got[MAX_DATA];
	for (unsigned d = 0; d < o->ndata; d++) {
		const struct vop *op = &ops[o->data_op[d]];
		for (unsigned c = 0; c < op->nclaims; c++) {
			const struct claim *cl = &op->claims[c];
			uint32_t n = 0, st;
			assert_true(cl->len <= MAX_DATA);
			st = read_range(path, cl->off, cl->len, got, &n);
			if (st == PC_LOST) {
				printf("POWERCUT VERIFY READ of %s: connection broke\n", path);
				return false;
			}
			fill(want, cl->seed, cl->off, cl->len);
			if (st != NFS4_OK)
				mark_lost(o->data_op[d], "READ of %s: %s", path, nfs4_status_name(st));
			else if (n < cl->len)
				mark_lost(o->data_op[d], "%s holds %llu bytes, not %llu", path,
					  (unsigned long long)(cl->off + n),
					  (unsigned long long)(cl->off + cl->len));
			else if (memcmp(want, got, cl->len) != 0)
				mark_lost(o->data_op[d], "%s differs in [%llu, %llu)", path,
					  (unsigned long long)cl->off,
					  (unsigned long long)(cl->off + cl->len));
		}
	}
	return true;
}

static void verify(void)
{
	if (!parse_log() || !replay() || !list_dirs())
		return;
	unsigned nacked = 0, uncertain = 0;
	for (unsigned i = 0; i < nops; i++)
		nacked += ops[i].acked;
	for (unsigned i = 0; i < nobjs; i++) {
		struct vobj *o = &objs[i];
		if (o->uncertain) {
			uncertain++;
			continue;
		}
		/* The newest of its names it is found under (-1: none). */
		int j = -1;
		for (unsigned k = 0; k < o->nnames; k++)
			if (seen_as(o->names[k], o->dir))
				j = (int)k;
		if (!o->removed) {
			if (j < 0)
				mark_lost(o->name_op[0], "%s is missing", o->names[o->nnames - 1]);
			for (unsigned k = 1; k < o->nnames; k++)
				if ((int)k > j)
					mark_lost(o->name_op[k], j < 0 ? "%s is under none of its names"
									: "still named %s",
						  j < 0 ? o->names[k] : o->names[j]);
			if (j < 0) {
				for (unsigned d = 0; d < o->ndata; d++)
					mark_lost(o->data_op[d], "its file is missing");
			} else if (!check_data(o, o->names[j])) {
				return;
			}
		} else if (j >= 0) {
			mark_lost(o->remove_op, "still there as %s", o->names[j]);
			for (unsigned k = (unsigned)j + 1; k < o->nnames; k++)
				mark_lost(o->name_op[k], "still named %s", o->names[j]);
		}
	}
	if (nops > 0 && !ops[nops - 1].acked)
		printf("POWERCUT VERIFY in flight at the cut (not checked): %s\n",
		       ops[nops - 1].line);
	printf("POWERCUT VERIFY acked=%u lost=%u\n", nacked, lost);
	exit_code = lost ? 1 : 0;
}

static void test_main(void **state)
{
	(void)state;
	int fd = rpctest_connect(opt.server);
	if (fd < 0) {
		printf("POWERCUT cannot connect to %s\n", opt.server);
		return;
	}
	/* The same client owner every time: after a power cut ferryd sees this
	 * client's restart, not a second client.  In the boot where one run
	 * verifies and the next one works, the second finds the client's
	 * reclaims already complete. */
	nfs4c_session_up_flags(&sess, fd, 0, "ferry-powercut", NULL, 0);
	struct nfs4c_call m;
	struct nfs4c_reply p;
	nfs4c_begin_seq(&sess, &m, 0, false);
	nfs4c_reclaim_complete_op(&m, false);
	uint32_t st = send_seq(&m, &p);
	if (st == NFS4_OK) {
		st = nfs4c_next(&p, OP_RECLAIM_COMPLETE);
		nfs4c_done(&p);
	}
	if (st != NFS4_OK && st != NFS4ERR_COMPLETE_ALREADY) {
		printf("POWERCUT RECLAIM_COMPLETE: %s\n",
		       st == PC_LOST ? "connection broke" : nfs4_status_name(st));
		return;
	}
	if (strcmp(opt.mode, "run") == 0)
		run();
	else
		verify();
	if (!broken)
		nfs4c_destroy_session(&sess);
	nfs4c_close(fd);
}

static void usage(void)
{
	fprintf(stderr, "usage: powercut_client run --server HOST:PORT --log FILE --dir NAME "
			"[--seconds N] [--sync-interval-ms N]\n"
			"       powercut_client verify --server HOST:PORT --log FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"log", required_argument, NULL, 'l'},
		{"dir", required_argument, NULL, 'd'},
		{"seconds", required_argument, NULL, 't'},
		{"sync-interval-ms", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0}};
	if (argc < 2)
		usage();
	opt.mode = argv[1];
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server = optarg; break;
		case 'l': opt.log = optarg; break;
		case 'd': opt.dir = optarg; break;
		case 't': opt.seconds = (unsigned)atoi(optarg); break;
		case 'i': opt.sync_interval_ms = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	bool is_run = strcmp(opt.mode, "run") == 0;
	if ((!is_run && strcmp(opt.mode, "verify") != 0) || !opt.server || !opt.log ||
	    (is_run && (!opt.dir || !opt.dir[0] || strchr(opt.dir, '/'))) || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_main)};
	if (cmocka_run_group_tests_name("powercut_client", tests, NULL, NULL) != 0)
		return 3;
	return exit_code;
}
