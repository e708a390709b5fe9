/* libnfs, an NFS client Ferry did not write (Debian's libnfs 4.0), against
 * a real ferryd: a 10,000-entry listing with every name back exactly once
 * and its sizes right, a file's whole life (create, write, read back,
 * stat, chmod, rename, remove), and several contexts at once; each over
 * NFSv4 and over NFSv3 (MOUNT then NFS, both on ferryd's port, given to
 * libnfs as mountport and nfsport so that no rpcbind is asked).
 *
 * Two things of the library shape the test rather than the server:
 * - every context of a process gets the same NFSv4 client name within a
 *   second, and a second SETCLIENTID with the same name and another
 *   verifier is, by RFC 7530 16.33.5, the first client rebooted (its state
 *   goes); so each context here names itself;
 * - an NFSv4 WRITE of more than about 3.9 KiB fails inside libnfs 4.0 before
 *   anything is sent ("ZDR error: Failed to encode COMPOUND4args", the same
 *   against NFS-Ganesha), so writes go in WRITE_CHUNK pieces;
 * - nfs_creat() opens for reading only (flags 0), so a WRITE on what it
 *   opened is rightly NFS4ERR_OPENMODE: files are made with nfs_create()
 *   and the open flags a program would give creat(2). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs-raw-nfs4.h>

#include "lib/ferryd_proc.h"

enum {
	MANY = 10000,     /* entries of the listed directory: dozens of READDIRs */
	WRITE_CHUNK = 2048,
	LIFE_BYTES = 300 * 1024,
	CONTEXTS = 4,
	FILES_PER_CONTEXT = 60,
};

static struct ferryd_proc server;

/* The protocol version a test runs with (its cmocka state), and a tag that
 * keeps the names of the two runs apart in the one export. */
struct vers_case {
	int version;
	const char *tag;
};
static const struct vers_case v4 = {4, "v4"}, v3 = {3, "v3"};

static int setup(void **state)
{
	(void)state;
	/* libnfs binds a reserved port when run as root, as the export's
	 * default (secure) asks; anyone else needs an insecure export. */
	return ferryd_start_export(&server, geteuid() == 0 ? "squash = none\n"
							  : "squash = none\nsecure = no\n");
}

static int teardown(void **state)
{
	(void)state;
	return ferryd_stop(&server) == 0 ? 0 : -1;
}

/* A mounted context of version vc->version named `name` (the NFSv4 client
 * name); NULL with the library's message on stderr when it cannot mount. */
static struct nfs_context *mount_vers(const struct vers_case *vc, const char *name)
{
	struct nfs_context *nfs = nfs_init_context();
	if (!nfs)
		return NULL;
	char url_text[160];
	if (vc->version == 3)
		snprintf(url_text, sizeof(url_text),
			 "nfs://127.0.0.1/export?version=3&nfsport=%u&mountport=%u", server.port,
			 server.port);
	else
		snprintf(url_text, sizeof(url_text), "nfs://127.0.0.1/export?version=4&nfsport=%u",
			 server.port);
	/* Parsing applies the URL's arguments (version, port) to the context. */
	struct nfs_url *url = nfs_parse_url_dir(nfs, url_text);
	if (!url) {
		fprintf(stderr, "libnfs: %s: %s\n", url_text, nfs_get_error(nfs));
		nfs_destroy_context(nfs);
		return NULL;
	}
	if (vc->version == 4)
		nfs4_set_client_name(nfs, name);
	int rc = nfs_mount(nfs, url->server, url->path);
	nfs_destroy_url(url);
	if (rc != 0) {
		fprintf(stderr, "libnfs: mount as %s: %s\n", name, nfs_get_error(nfs));
		nfs_destroy_context(nfs);
		return NULL;
	}
	return nfs;
}

static void unmount(struct nfs_context *nfs)
{
	nfs_umount(nfs);
	nfs_destroy_context(nfs);
}

static void host_path(const char *name, char *out, size_t len)
{
	ferryd_export_path(&server, name, out, len);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

/* Writes len bytes at offset 0 in WRITE_CHUNK pieces; 0 or the library's
 * negative errno. */
static int write_all(struct nfs_context *nfs, struct nfsfh *fh, const uint8_t *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t n = len - off < WRITE_CHUNK ? len - off : WRITE_CHUNK;
		int rc = nfs_pwrite(nfs, fh, off, n, (const char *)buf + off);
		if (rc <= 0) {
			fprintf(stderr, "libnfs: WRITE of %zu at %zu: %s\n", n, off, nfs_get_error(nfs));
			return rc < 0 ? rc : -EIO;
		}
		off += (size_t)rc;
	}
	return 0;
}

/* Reads len bytes from offset 0; the count read or a negative errno. */
static long read_all(struct nfs_context *nfs, struct nfsfh *fh, uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		int rc = nfs_pread(nfs, fh, off, len - off, (char *)buf + off);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		off += (size_t)rc;
	}
	return (long)off;
}

/* 10,000 files made on the host, listed through libnfs: each name once, each
 * size the one it was made with. */
static void test_list_many(void **state)
{
	const struct vers_case *vc = *state;
	char dir[400], path[450], name[32];
	snprintf(name, sizeof(name), "many-%s", vc->tag);
	host_path(name, dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int i = 0; i < MANY; i++) {
		snprintf(path, sizeof(path), "%s/entry-%05d", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		for (int k = 0; k < i % 7; k++)
			fputc('x', f);
		assert_int_equal(fclose(f), 0);
	}

	struct nfs_context *nfs = mount_vers(vc, "ferry-libnfs-list");
	assert_non_null(nfs);
	struct nfsdir *d;
	char nfs_dir[40];
	snprintf(nfs_dir, sizeof(nfs_dir), "/%s", name);
	int rc = nfs_opendir(nfs, nfs_dir, &d);
	if (rc != 0)
		fprintf(stderr, "opendir: %s\n", nfs_get_error(nfs));
	assert_int_equal(rc, 0);
	static unsigned char seen[MANY];
	memset(seen, 0, sizeof(seen));
	int names = 0;
	for (struct nfsdirent *e; (e = nfs_readdir(nfs, d)) != NULL;) {
		if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
			continue;
		int i;
		char tail;
		assert_int_equal(sscanf(e->name, "entry-%5d%c", &i, &tail), 1);
		assert_true(i >= 0 && i < MANY);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		assert_int_equal(e->size, (uint64_t)(i % 7));
		assert_int_equal(e->type, vc->version == 3 ? (uint32_t)NF3REG : (uint32_t)NF4REG);
		names++;
	}
	nfs_closedir(nfs, d);
	assert_int_equal(names, MANY);
	unmount(nfs);
}

/* One file's whole life through libnfs, checked on the host's disk too. */
static void test_file_life(void **state)
{
	const struct vers_case *vc = *state;
	/* Names of this version's run: /life-V.bin, /life-V.d, /life-V.d/moved.bin. */
	char lb[32], ld[32], lm[48];
	snprintf(lb, sizeof(lb), "/life-%s.bin", vc->tag);
	snprintf(ld, sizeof(ld), "/life-%s.d", vc->tag);
	snprintf(lm, sizeof(lm), "%s/moved.bin", ld);
	struct nfs_context *nfs = mount_vers(vc, "ferry-libnfs-life");
	assert_non_null(nfs);
	static uint8_t data[LIFE_BYTES], back[LIFE_BYTES + 1];
	fill(data, sizeof(data), 1);

	struct nfsfh *fh;
	assert_int_equal(nfs_create(nfs, lb, O_RDWR | O_CREAT | O_EXCL, 0644, &fh), 0);
	assert_int_equal(write_all(nfs, fh, data, sizeof(data)), 0);
	assert_int_equal(nfs_fsync(nfs, fh), 0);
	struct nfs_stat_64 st;
	assert_int_equal(nfs_fstat64(nfs, fh, &st), 0);
	assert_int_equal(st.nfs_size, LIFE_BYTES);
	assert_int_equal(nfs_close(nfs, fh), 0);

	char path[450];
	host_path(lb + 1, path, sizeof(path));
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back), f), LIFE_BYTES);
	fclose(f);
	assert_memory_equal(back, data, LIFE_BYTES);

	/* Changed on the host, read back through libnfs. */
	fill(data, sizeof(data), 2);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, sizeof(data), f), LIFE_BYTES);
	fclose(f);
	assert_int_equal(nfs_open(nfs, lb, O_RDONLY, &fh), 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(read_all(nfs, fh, back, sizeof(back)), LIFE_BYTES);
	assert_memory_equal(back, data, LIFE_BYTES);
	assert_int_equal(nfs_close(nfs, fh), 0);

	assert_int_equal(nfs_chmod(nfs, lb, 0600), 0);
	assert_int_equal(nfs_stat64(nfs, lb, &st), 0);
	assert_int_equal(st.nfs_mode & 07777, 0600);
	assert_int_equal(st.nfs_size, LIFE_BYTES);

	assert_int_equal(nfs_mkdir(nfs, ld), 0);
	assert_int_equal(nfs_rename(nfs, lb, lm), 0);
	assert_int_equal(nfs_stat64(nfs, lb, &st), -ENOENT);
	assert_int_equal(nfs_stat64(nfs, lm, &st), 0);
	assert_int_equal(st.nfs_size, LIFE_BYTES);
	host_path(lm + 1, path, sizeof(path));
	struct stat hst;
	assert_int_equal(stat(path, &hst), 0);
	assert_int_equal(hst.st_mode & 07777, 0600);

	assert_int_equal(nfs_unlink(nfs, lm), 0);
	assert_int_equal(nfs_stat64(nfs, lm, &st), -ENOENT);
	assert_int_equal(nfs_rmdir(nfs, ld), 0);
	host_path(ld + 1, path, sizeof(path));
	assert_int_equal(stat(path, &hst), -1);
	assert_int_equal(errno, ENOENT);
	unmount(nfs);
}

struct worker {
	const struct vers_case *vc;
	int id;
	pthread_t thread;
	char failure[200]; /* empty when every step went right */
};

#define WORKER_CHECK(w, cond, ...)                                                          \
	do {                                                                                \
		if (!(cond)) {                                                              \
			snprintf((w)->failure, sizeof((w)->failure), __VA_ARGS__);          \
			goto out;                                                           \
		}                                                                           \
	} while (0)

/* One context's share of test_contexts_at_once: its own directory of files
 * made, listed, read back, renamed and removed. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[64], dir[64], path[128], to[128];
	snprintf(name, sizeof(name), "ferry-libnfs-ctx-%d-%d", (int)getpid(), w->id);
	struct nfs_context *nfs = mount_vers(w->vc, name);
	if (!nfs) {
		snprintf(w->failure, sizeof(w->failure), "context %d did not mount", w->id);
		return NULL;
	}
	uint8_t data[3 * WRITE_CHUNK + 100], back[sizeof(data)];
	snprintf(dir, sizeof(dir), "/ctx-%s-%d", w->vc->tag, w->id);
	WORKER_CHECK(w, nfs_mkdir(nfs, dir) == 0, "mkdir %s: %s", dir, nfs_get_error(nfs));
	for (int i = 0; i < FILES_PER_CONTEXT; i++) {
		struct nfsfh *fh;
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fill(data, sizeof(data), (unsigned)(w->id * 1000 + i));
		WORKER_CHECK(w, nfs_create(nfs, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh) == 0,
			     "create %s: %s", path, nfs_get_error(nfs));
		int rc = write_all(nfs, fh, data, sizeof(data));
		nfs_close(nfs, fh);
		WORKER_CHECK(w, rc == 0, "write %s: %d", path, rc);
	}
	struct nfsdir *d;
	WORKER_CHECK(w, nfs_opendir(nfs, dir, &d) == 0, "opendir %s: %s", dir, nfs_get_error(nfs));
	int listed = 0;
	for (struct nfsdirent *e; (e = nfs_readdir(nfs, d)) != NULL;)
		listed += e->name[0] == 'f';
	nfs_closedir(nfs, d);
	WORKER_CHECK(w, listed == FILES_PER_CONTEXT, "%s lists %d files", dir, listed);
	for (int i = 0; i < FILES_PER_CONTEXT; i++) {
		struct nfsfh *fh;
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		snprintf(to, sizeof(to), "%s/g%d", dir, i);
		fill(data, sizeof(data), (unsigned)(w->id * 1000 + i));
		WORKER_CHECK(w, nfs_open(nfs, path, O_RDONLY, &fh) == 0, "open %s: %s", path,
			     nfs_get_error(nfs));
		long n = read_all(nfs, fh, back, sizeof(back));
		nfs_close(nfs, fh);
		WORKER_CHECK(w, n == (long)sizeof(data) && memcmp(back, data, sizeof(data)) == 0,
			     "%s read back %ld bytes, not what was written", path, n);
		WORKER_CHECK(w, nfs_rename(nfs, path, to) == 0, "rename %s: %s", path,
			     nfs_get_error(nfs));
		WORKER_CHECK(w, nfs_unlink(nfs, to) == 0, "unlink %s: %s", to, nfs_get_error(nfs));
	}
	WORKER_CHECK(w, nfs_rmdir(nfs, dir) == 0, "rmdir %s: %s", dir, nfs_get_error(nfs));
out:
	unmount(nfs);
	return NULL;
}

/* CONTEXTS contexts of one process, each a client of its own, working at
 * the same time. */
static void test_contexts_at_once(void **state)
{
	const struct vers_case *vc = *state;
	struct worker w[CONTEXTS];
	for (int i = 0; i < CONTEXTS; i++) {
		w[i] = (struct worker){.vc = vc, .id = i};
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_run, &w[i]), 0);
	}
	int failed = 0;
	for (int i = 0; i < CONTEXTS; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].failure[0]) {
			fprintf(stderr, "context %d: %s\n", i, w[i].failure);
			failed++;
		}
	}
	if (failed)
		ferryd_dump_log(&server);
	assert_int_equal(failed, 0);
	char path[450];
	for (int i = 0; i < CONTEXTS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "ctx-%s-%d", vc->tag, i);
		host_path(name, path, sizeof(path));
		assert_int_equal(access(path, F_OK), -1); /* removed through libnfs */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{"test_list_many (NFSv4)", test_list_many, NULL, NULL, (void *)&v4},
		{"test_file_life (NFSv4)", test_file_life, NULL, NULL, (void *)&v4},
		{"test_contexts_at_once (NFSv4)", test_contexts_at_once, NULL, NULL, (void *)&v4},
		{"test_list_many (NFSv3)", test_list_many, NULL, NULL, (void *)&v3},
		{"test_file_life (NFSv3)", test_file_life, NULL, NULL, (void *)&v3},
		{"test_contexts_at_once (NFSv3)", test_contexts_at_once, NULL, NULL, (void *)&v3},
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
