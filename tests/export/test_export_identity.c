/* An export's identity in file handles is its root, not only its pseudo
 * path: handles stay valid across a restart with the same root, and when
 * the export is re-pointed at another directory (same pseudo path, same
 * state directory and key) the handles of the old tree are NFS4ERR_STALE
 * instead of still reaching files outside the new export.  An export whose
 * root never changed keeps the id ferryd always gave it (from its pseudo
 * path), so handles made before roots were recorded keep working. */
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
#include "lib/nfs4_client.h"

static char dir[256];

struct handle {
	uint8_t data[NFS4_FHSIZE];
	uint32_t len;
};

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/ferry-exid-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 getpid());
	char path[400];
	mkdir(dir, 0700);
	for (const char *const *d = (const char *const[]){"a", "b", "state", NULL}; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		mkdir(path, 0700);
		chmod(path, strcmp(*d, "state") ? 0755 : 0700); /* root is squashed */
	}
	snprintf(path, sizeof(path), "%s/a/secret", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("only in a\n", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ferryd exporting dir/sub at /export with the shared state directory. */
static void start(struct ferryd_proc *p, const char *sub)
{
	static char exp[400], state_dir[400];
	snprintf(exp, sizeof(exp), "%s/%s:/export", dir, sub);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	const char *args[] = {"--export", exp, "--state-dir", state_dir, NULL};
	assert_int_equal(ferryd_start(p, args), 0);
}

/* PUTROOTFH, LOOKUP export [, LOOKUP name], GETFH. */
static void get_handle(int fd, const char *name, struct handle *h)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putrootfh(&call);
	nfs4c_lookup(&call, "export");
	if (name)
		nfs4c_lookup(&call, name);
	nfs4c_getfh(&call);
	nfs4c_send(fd, nfs4c_root_cred(), &call, &r);
	assert_int_equal(r.status, NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_PUTROOTFH), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	if (name)
		assert_int_equal(nfs4c_next(&r, OP_LOOKUP), NFS4_OK);
	assert_int_equal(nfs4c_next(&r, OP_GETFH), NFS4_OK);
	struct nfs4_getfh_res g;
	assert_true(nfs4_dec_getfh_res(&r.d, &g));
	memcpy(h->data, g.fh.data, g.fh.len);
	h->len = g.fh.len;
	nfs4c_done(&r);
}

/* PUTFH, GETATTR type: the first status that is not NFS4_OK, or NFS4_OK. */
static uint32_t use_handle(int fd, const struct handle *h)
{
	struct nfs4c_call call;
	struct nfs4c_reply r;
	nfs4c_begin(&call, 0);
	nfs4c_putfh(&call, h->data, h->len);
	unsigned bits[] = {FATTR4_TYPE};
	nfs4c_getattr(&call, bits, 1);
	nfs4c_send(fd, nfs4c_root_cred(), &call, &r);
	uint32_t st = nfs4c_next(&r, OP_PUTFH);
	if (st == NFS4_OK)
		st = nfs4c_next(&r, OP_GETATTR);
	nfs4c_done(&r);
	return st;
}

/* The id of an export before roots were recorded: FNV-1a of "export:" and
 * the pseudo path (bytes 2..5 of the handle, export/fh.h). */
static uint32_t id_before_roots(const char *pseudo)
{
	uint32_t h = 2166136261u;
	for (const char *p = "export:"; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (const char *p = pseudo; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static uint32_t id_in(const struct handle *h)
{
	return (uint32_t)h->data[2] << 24 | (uint32_t)h->data[3] << 16 | (uint32_t)h->data[4] << 8 |
	       h->data[5];
}

static void test_handles_survive_a_restart_with_the_same_root(void **state)
{
	struct ferryd_proc p;
	struct handle root, file;
	start(&p, "a");
	int fd = nfs4c_connect(p.hostport);
	get_handle(fd, NULL, &root);
	get_handle(fd, "secret", &file);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
	assert_int_equal(id_in(&root), id_before_roots("/export"));

	start(&p, "a");
	fd = nfs4c_connect(p.hostport);
	assert_int_equal(use_handle(fd, &root), NFS4_OK);
	assert_int_equal(use_handle(fd, &file), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

static void test_handles_of_a_former_root_are_stale(void **state)
{
	struct ferryd_proc p;
	struct handle root, file;
	start(&p, "a");
	int fd = nfs4c_connect(p.hostport);
	get_handle(fd, NULL, &root);
	get_handle(fd, "secret", &file);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);

	/* The same pseudo path, key and file system, another directory. */
	start(&p, "b");
	fd = nfs4c_connect(p.hostport);
	assert_int_equal(use_handle(fd, &root), NFS4ERR_STALE);
	assert_int_equal(use_handle(fd, &file), NFS4ERR_STALE);
	struct handle now;
	get_handle(fd, NULL, &now);
	assert_int_equal(use_handle(fd, &now), NFS4_OK);
	close(fd);
	assert_int_equal(ferryd_stop(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handles_survive_a_restart_with_the_same_root),
		cmocka_unit_test(test_handles_of_a_former_root_are_stale),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
